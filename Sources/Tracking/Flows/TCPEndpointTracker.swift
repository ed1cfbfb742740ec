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
    private static let tooLargeSequenceDelta: Int32 = 1_048_576

    private static func step(_ endpoint: inout TCPEndpointTracker, peer: inout TCPEndpointTracker,
                             isOriginator: Bool, _ segment: TCPSegmentInfo, _ history: inout FlowHistory) {
        func add(_ upper: Character) {
            let letter = upper.asciiValue!
            history.append(isOriginator ? letter : letter | 0x20)
        }
        /// Adds the letter the first time; returns whether it had been seen before.
        func once(_ mask: HistorySeen, _ upper: Character) -> Bool {
            if endpoint.seen.contains(mask) { return true }
            endpoint.seen.insert(mask)
            add(upper)
            return false
        }

        let length = UInt32(clamping: segment.payloadLength)
        var segmentLength = length &+ (segment.syn ? 1 : 0) &+ (segment.fin ? 1 : 0)
        if segment.rst { segmentLength &-= length }
        let seq = segment.sequence
        let onePast = seq &+ segmentLength

        // init_endpoint: where relative numbering starts.
        switch endpoint.state {
        case .inactive:
            if segment.syn {
                endpoint.startSeq = seq
                endpoint.lastSeq = onePast
            } else {
                // Midstream: number as if a SYN came just before, and do not call the first
                // segment a retransmission.
                endpoint.startSeq = seq &- 1
                endpoint.lastSeq = seq
            }
        case .synSent, .synAckSent:
            if segment.syn && seq != endpoint.startSeq {
                endpoint.startSeq = seq
                endpoint.lastSeq = onePast
            }
        case .established, .partial:
            if segment.syn {
                endpoint.startSeq = seq
                endpoint.lastSeq = onePast
            }
        case .reset:
            if segment.syn && endpoint.previousState == .inactive {
                endpoint.startSeq = seq
                endpoint.lastSeq = onePast
            }
        case .closed:
            break
        }
        let relative = seq &- endpoint.startSeq

        // update_history
        let controlBits = (segment.syn ? 1 : 0) + (segment.fin ? 1 : 0) + (segment.rst ? 1 : 0)
        if controlBits > 1 {
            if segment.fin && segment.rst {
                _ = once(.finRst, "I")
            } else {
                _ = once(.multiFlag, "Q")
            }
        } else if controlBits == 1 {
            if segment.syn {
                let code: Character = segment.ack ? "H" : "S"
                if once(.syn, code) && relative != endpoint.lastSYN { add(code) }
                endpoint.lastSYN = relative
            }
            if segment.fin {
                // A FIN's sequence number counts at the end of its data.
                let finSeq = relative &+ length
                if once(.fin, "F") && finSeq != endpoint.lastFIN { add("F") }
                endpoint.lastFIN = finSeq
            }
            if segment.rst {
                if once(.rst, "R") && relative != endpoint.lastRST { add("R") }
                endpoint.lastRST = relative
            }
        } else if length > 0 {
            _ = once(.data, "D")
        } else if segment.ack {
            _ = once(.ack, "A")
        }

        // update_window: a zero window is of interest unless the connection is going away.
        if segment.window == 0 && !segment.rst && peer.state != .closed && endpoint.state != .reset {
            if endpoint.zeroWindows.record() { add("W") }
        }

        // update_last_seq: data at or below what was already sent is a retransmission.
        let delta = Int32(bitPattern: onePast &- endpoint.lastSeq)
        if (segment.syn || segment.rst) && (delta > tooLargeSequenceDelta || delta < -tooLargeSequenceDelta) {
            // An outlandish SYN or RST sequence number is not trusted.
        } else if segment.fin && endpoint.lastSeq == endpoint.startSeq &+ 1 {
            endpoint.lastSeq = onePast
        } else if endpoint.state == .reset {
            // Nothing after a RST is trusted.
        } else if delta > 0 {
            endpoint.lastSeq = onePast
        } else if length > 0 {
            if endpoint.retransmissions.record() { add("T") }
        }

        if !segment.rst { endpoint.payloadBytes &+= UInt64(length) }

        // UpdateStateMachine
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
