import Bytes
import Capture
import Tracking
import Wire

/// Rule R4's open attempts: their deadlines and their slots.
extension PeerPortState {
    // MARK: Deadlines

    /// Reports what capture time `time` makes due: an attempt is final once more than
    /// `synFinal` has passed since its SYN, provisional once more than `synProvisional` has
    /// passed and the SYN was retransmitted. Several attempts can come due at one packet: they are
    /// reported oldest first (by SYN time, then by the SYN's frame).
    @inline(__always)
    mutating func advance(to time: Int64, emit: (Finding) -> Void) {
        if time > clock { clock = time }
        guard let first = deadlines.first, first.deadline < time else { return }
        reportDue(at: time, emit: emit)
    }

    mutating func reportDue(at time: Int64, emit: (Finding) -> Void) {
        due.removeAll(keepingCapacity: true)
        while let slot = deadlines.popExpired(before: time) { due.append(slot) }
        if due.count > 1 {
            due.sort { a, b in
                let x = attempts[Int(a)], y = attempts[Int(b)]
                return (x.firstTime, x.frames[0]) < (y.firstTime, y.frames[0])
            }
        }
        for slot in due {
            let firstTime = attempts[Int(slot)].firstTime
            if time > CaptureTime.after(firstTime, thresholds.synFinal) {
                let attempt = close(slot)
                report(attempt, detail: .noAnswer, time: time, final: true, emit: emit,
                       proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")) within \(seconds(thresholds.synFinal)) s")
            } else if time > CaptureTime.after(firstTime, thresholds.synProvisional) && attempts[Int(slot)].retransmissions >= 1
                        && !attempts[Int(slot)].provisionalReported {
                attempts[Int(slot)].provisionalReported = true
                schedule(slot)
                report(attempts[Int(slot)], detail: .noAnswer, time: time, final: false, emit: emit,
                       proof: "nothing answered the SYN within \(seconds(thresholds.synProvisional)) s, though it was retransmitted")
            } else {
                schedule(slot)
            }
        }
    }

    /// Puts an attempt in the deadline queue at the time its next finding is due.
    mutating func schedule(_ slot: Int32) {
        let a = attempts[Int(slot)]
        guard a.pendingReset == nil else { return }
        var due = CaptureTime.after(a.firstTime, thresholds.synFinal)
        if a.retransmissions >= 1 && !a.provisionalReported {
            due = min(due, CaptureTime.after(a.firstTime, thresholds.synProvisional))
        }
        deadlines.schedule(slot, at: due, order: a.sequence)
    }

    // MARK: Slots

    /// The open attempt from these endpoints, if any.
    @inline(__always)
    func findAttempt(_ key: AttemptKey) -> Int32? {
        guard !index.isEmpty else { return nil }
        return index.find(hasher.hash(key.client, key.peer)) { attempts[Int($0)].key == key }
    }

    mutating func open(_ key: AttemptKey, time: Int64, frame: UInt64, isn: UInt32, advertised entry: AdvertisedEndpoints.Entry) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            var frames = attempts[Int(slot)].frames
            attempts[Int(slot)].frames = []
            frames.removeAll(keepingCapacity: true)
            frames.append(frame)
            attempts[Int(slot)] = Attempt(key: key, firstTime: time, frames: frames, isn: isn, advertised: entry,
                                          sequence: nextSequence)
        } else {
            slot = Int32(attempts.count)
            attempts.append(Attempt(key: key, firstTime: time, frames: [frame], isn: isn, advertised: entry,
                                    sequence: nextSequence))
        }
        nextSequence += 1
        index.insert(slot, hash: hasher.hash(key.client, key.peer))
        byFrame.insert(slot, hash: hasher.hash(frame, 0))
        schedule(slot)
    }

    /// Ends an attempt (answered, reported or given up) and returns it; its slot is free again.
    @discardableResult
    mutating func close(_ slot: Int32) -> Attempt {
        let attempt = attempts[Int(slot)]
        index.remove(slot, hash: hasher.hash(attempt.key.client, attempt.key.peer))
        if let first = attempt.frames.first { byFrame.remove(slot, hash: hasher.hash(first, 0)) }
        if let reset = attempt.pendingReset { byFrame.remove(slot, hash: hasher.hash(reset.frame, 0)) }
        deadlines.remove(slot)
        freeSlots.append(slot)
        return attempt
    }

    /// The open attempts whose SYN the gateway did not forward, reported final (oldest first).
    mutating func finalizeDroppedAtGateway(emit: (Finding) -> Void) {
        let free = Set(freeSlots)
        var proven: [Int32] = []
        for slot in attempts.indices where !free.contains(Int32(slot)) {
            let a = attempts[slot]
            // A SYN retransmitted after its attempt was reported final opens another attempt
            // of the same connection: already said.
            if a.notForwarded && a.pendingReset == nil && !finalConnections.contains(a.key) { proven.append(Int32(slot)) }
        }
        proven.sort { a, b in
            let x = attempts[Int(a)], y = attempts[Int(b)]
            return (x.firstTime, x.frames[0]) < (y.firstTime, y.frames[0])
        }
        for slot in proven {
            let attempt = close(slot)
            report(attempt, detail: .noAnswer, time: max(clock, attempt.firstTime), final: true, emit: emit,
                   proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")); the capture ended before \(seconds(thresholds.synFinal)) s had passed, but the gateway's two sides prove the block")
        }
    }

    mutating func removeAllAttempts() {
        attempts.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        byFrame.removeAll()
        deadlines.removeAll()
    }
}
