/// Zeek's TCP endpoint states (`TCP_ENDPOINT_*`), from which `conn_state` is derived.
public enum TCPEndpointState: UInt8, Sendable {
    case inactive, synSent, synAckSent, partial, established, closed, reset
}

/// One side of a TCP connection as Zeek's TCP session adapter follows it: its state, the
/// sequence numbers that decide which history letters repeat, and its retransmission and
/// zero-window counters. Everything is integers, so the flow record stays allocation-free.
struct TCPEndpointTracker: Hashable, Sendable {
    // Widest fields first: a million flows hold two of these each, so padding counts.
    /// TCP payload bytes sent (RST payloads excluded), Zeek's endpoint size for REJ.
    var payloadBytes: UInt64 = 0
    /// Sequence number the relative numbering starts from (the ISN, or one before the first
    /// segment seen midstream).
    var startSeq: UInt32 = 0
    /// One past the highest sequence number sent so far.
    var lastSeq: UInt32 = 0
    /// Relative sequence numbers of the last SYN, FIN and RST: a repeated flag adds its letter
    /// again only when its sequence number differs (a plain retransmission does not).
    var lastSYN: UInt32 = 0
    var lastFIN: UInt32 = 0
    var lastRST: UInt32 = 0
    var retransmissions = ScaledHistoryCounter()
    var zeroWindows = ScaledHistoryCounter()
    var state: TCPEndpointState = .inactive
    var previousState: TCPEndpointState = .inactive
    var seen: HistorySeen = []

    mutating func setState(_ newState: TCPEndpointState) {
        previousState = state
        state = newState
    }

    /// Zeek's `o_inactive`/`r_inactive`: inactive or only seen midstream.
    var isInactiveOrPartial: Bool { state == .inactive || state == .partial }
}

/// The TCP fields of one segment that the state machine needs.
struct TCPSegmentInfo {
    var flags: UInt16
    var sequence: UInt32
    var window: UInt16
    var payloadLength: Int

    var syn: Bool { flags & 0x002 != 0 }
    var fin: Bool { flags & 0x001 != 0 }
    var rst: Bool { flags & 0x004 != 0 }
    var ack: Bool { flags & 0x010 != 0 }
}

/// Both endpoints of a TCP flow and the update Zeek's `TCPSessionAdapter::Process` applies to them
/// per segment (`init_endpoint`, `update_history`, `update_window`, `update_last_seq`,
/// `UpdateStateMachine`), reduced to what `conn_state` and `history` depend on.
struct TCPConversation: Hashable, Sendable {
    var originator = TCPEndpointTracker()
    var responder = TCPEndpointTracker()

    mutating func update(_ segment: TCPSegmentInfo, fromOriginator: Bool, history: inout FlowHistory) {
        if fromOriginator {
            Self.step(&originator, peer: &responder, isOriginator: true, segment, &history)
        } else {
            Self.step(&responder, peer: &originator, isOriginator: false, segment, &history)
        }
    }

    /// Swaps the roles, as Zeek's `FlipRoles` does; the caller appends `^` to the history.
    mutating func flip() {
        swap(&originator, &responder)
    }

    /// Past this, a SYN's or RST's sequence number is not trusted to move `lastSeq` (Zeek's
    /// `TOO_LARGE_SEQ_DELTA`).
    static let tooLargeSequenceDelta: Int32 = 1_048_576

    private static func step(_ endpoint: inout TCPEndpointTracker, peer: inout TCPEndpointTracker,
                             isOriginator: Bool, _ segment: TCPSegmentInfo, _ history: inout FlowHistory) {
        let length = UInt32(clamping: segment.payloadLength)
        var segmentLength = length &+ (segment.syn ? 1 : 0) &+ (segment.fin ? 1 : 0)
        if segment.rst { segmentLength &-= length }
        let onePast = segment.sequence &+ segmentLength
        let letters = HistoryLetters(isOriginator: isOriginator)
        endpoint.startNumbering(segment, onePast: onePast)
        endpoint.recordFlags(segment, length: length, letters, &history)
        endpoint.recordZeroWindow(segment, peer: peer, letters, &history)
        endpoint.advanceLastSequence(segment, onePast: onePast, length: length, letters, &history)
        if !segment.rst { endpoint.payloadBytes &+= UInt64(length) }
        advanceStates(&endpoint, peer: &peer, isOriginator: isOriginator, segment, length: length)
    }

    /// Zeek's `UpdateStateMachine`: the endpoint's state after the segment, and the peer's where
    /// the segment settles it.
    private static func advanceStates(_ endpoint: inout TCPEndpointTracker, peer: inout TCPEndpointTracker,
                                      isOriginator: Bool, _ segment: TCPSegmentInfo, length: UInt32) {
        switch endpoint.state {
        case .inactive:
            if segment.syn {
                if isOriginator {
                    endpoint.setState(segment.ack ? .synAckSent : .synSent)
                } else {
                    // The responder's SYN(-ACK) establishes both sides; a SYN from it while the
                    // originator sent nothing is "unsolicited" but still moves it on.
                    if peer.state == .synSent { peer.setState(.established) }
                    endpoint.setState(.established)
                }
            }
            if segment.fin { endpoint.setState(.closed) }
            if segment.rst { endpoint.setState(.reset) }
            if endpoint.state == .inactive {
                if !isOriginator && length == 0 && peer.state == .synSent {
                    // Some stacks ACK a SYN before their SYN-ACK: not a partial connection.
                } else if segment.ack && peer.state == .established {
                    // A SYN-ACK seen without its SYN, then the ACK: the SYN was missed.
                    endpoint.setState(.established)
                } else {
                    endpoint.setState(.partial)
                }
            }
        case .synSent, .synAckSent:
            if segment.fin { endpoint.setState(.closed) }
            if segment.rst { endpoint.setState(.reset) }
        case .established, .partial:
            if segment.syn && endpoint.state == .partial && peer.state == .inactive && !segment.ack {
                endpoint.setState(.synSent)
            }
            if segment.fin && !segment.rst {
                endpoint.setState(.closed)
                // FIN then RST from the peer was a normal close after all.
                if peer.state == .reset && peer.previousState == .closed { peer.setState(.closed) }
            }
            if segment.rst { endpoint.setState(.reset) }
        case .closed:
            // After a FIN exchange a RST does not change the outcome.
            if segment.rst && peer.state != .closed { endpoint.setState(.reset) }
        case .reset:
            break
        }
    }
}

/// The letters a segment adds to the flow's history: upper case from the originator, lower from
/// the responder (Zeek's `history`).
struct HistoryLetters {
    let isOriginator: Bool

    /// A letter as a `Unicode.Scalar`: a `Character`'s ASCII value is looked up through its
    /// string at every segment.
    func add(_ upper: Unicode.Scalar, to history: inout FlowHistory) {
        let letter = UInt8(truncatingIfNeeded: upper.value)
        history.append(isOriginator ? letter : letter | 0x20)
    }
}

/// The steps of one segment on the endpoint that sent it, in Zeek's order.
extension TCPEndpointTracker {
    /// Zeek's `init_endpoint`: where relative numbering starts.
    mutating func startNumbering(_ segment: TCPSegmentInfo, onePast: UInt32) {
        let seq = segment.sequence
        switch state {
        case .inactive:
            if segment.syn {
                startSeq = seq
                lastSeq = onePast
            } else {
                // Midstream: number as if a SYN came just before, and do not call the first
                // segment a retransmission.
                startSeq = seq &- 1
                lastSeq = seq
            }
        case .synSent, .synAckSent:
            if segment.syn && seq != startSeq {
                startSeq = seq
                lastSeq = onePast
            }
        case .established, .partial:
            if segment.syn {
                startSeq = seq
                lastSeq = onePast
            }
        case .reset:
            if segment.syn && previousState == .inactive {
                startSeq = seq
                lastSeq = onePast
            }
        case .closed:
            break
        }
    }

    /// Adds the letter the first time; returns whether it had been seen before.
    mutating func once(_ mask: HistorySeen, _ upper: Unicode.Scalar, _ letters: HistoryLetters, _ history: inout FlowHistory) -> Bool {
        if seen.contains(mask) { return true }
        seen.insert(mask)
        letters.add(upper, to: &history)
        return false
    }

    /// Zeek's `update_history`: the flags and data of the segment, each letter once, or again
    /// when a SYN, FIN or RST is repeated at another sequence number.
    mutating func recordFlags(_ segment: TCPSegmentInfo, length: UInt32, _ letters: HistoryLetters,
                              _ history: inout FlowHistory) {
        let relative = segment.sequence &- startSeq
        let controlBits = (segment.syn ? 1 : 0) + (segment.fin ? 1 : 0) + (segment.rst ? 1 : 0)
        if controlBits > 1 {
            if segment.fin && segment.rst {
                _ = once(.finRst, "I", letters, &history)
            } else {
                _ = once(.multiFlag, "Q", letters, &history)
            }
        } else if controlBits == 1 {
            if segment.syn {
                let code: Unicode.Scalar = segment.ack ? "H" : "S"
                if once(.syn, code, letters, &history) && relative != lastSYN { letters.add(code, to: &history) }
                lastSYN = relative
            }
            if segment.fin {
                // A FIN's sequence number counts at the end of its data.
                let finSeq = relative &+ length
                if once(.fin, "F", letters, &history) && finSeq != lastFIN { letters.add("F", to: &history) }
                lastFIN = finSeq
            }
            if segment.rst {
                if once(.rst, "R", letters, &history) && relative != lastRST { letters.add("R", to: &history) }
                lastRST = relative
            }
        } else if length > 0 {
            _ = once(.data, "D", letters, &history)
        } else if segment.ack {
            _ = once(.ack, "A", letters, &history)
        }
    }

    /// Zeek's `update_window`: a zero window is of interest unless the connection is going away.
    mutating func recordZeroWindow(_ segment: TCPSegmentInfo, peer: TCPEndpointTracker, _ letters: HistoryLetters,
                                   _ history: inout FlowHistory) {
        if segment.window == 0 && !segment.rst && peer.state != .closed && state != .reset {
            if zeroWindows.record() { letters.add("W", to: &history) }
        }
    }

    /// Zeek's `update_last_seq`: data at or below what was already sent is a retransmission.
    mutating func advanceLastSequence(_ segment: TCPSegmentInfo, onePast: UInt32, length: UInt32,
                                      _ letters: HistoryLetters, _ history: inout FlowHistory) {
        let delta = Int32(bitPattern: onePast &- lastSeq)
        if (segment.syn || segment.rst) && (delta > TCPConversation.tooLargeSequenceDelta || delta < -TCPConversation.tooLargeSequenceDelta) {
            // An outlandish SYN or RST sequence number is not trusted.
        } else if segment.fin && lastSeq == startSeq &+ 1 {
            lastSeq = onePast
        } else if state == .reset {
            // Nothing after a RST is trusted.
        } else if delta > 0 {
            lastSeq = onePast
        } else if length > 0 {
            if retransmissions.record() { letters.add("T", to: &history) }
        }
    }
}
