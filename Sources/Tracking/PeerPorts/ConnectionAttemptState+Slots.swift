import Bytes
import Capture
import Wire

/// Open attempts: their deadlines and their slots.
extension ConnectionAttemptState {
    // MARK: Deadlines

    /// Gives what capture time `time` makes due: an attempt is unanswered for good once more than
    /// `synFinal` has passed since its SYN, provisionally once more than `synProvisional` has
    /// passed and the SYN was retransmitted. Several attempts can come due at one packet: they are
    /// given oldest first (by SYN time, then by the SYN's frame).
    @inline(__always)
    mutating func advance(to time: Int64) {
        moveClock(to: time)
        guard let first = deadlines.first, first.deadline < time else { return }
        giveDue(at: time)
    }

    /// What `advance` does when nothing is due: the clock moves (never back).
    mutating func moveClock(to time: Int64) {
        if time > clock { clock = time }
    }

    mutating func giveDue(at time: Int64) {
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
            if time > CaptureTime.after(firstTime, configuration.synFinal) {
                events.append(.unanswered(close(slot), time: time, final: true))
            } else if time > CaptureTime.after(firstTime, configuration.synProvisional) && attempts[Int(slot)].retransmissions >= 1
                        && !attempts[Int(slot)].provisionalGiven {
                attempts[Int(slot)].provisionalGiven = true
                schedule(slot)
                events.append(.unanswered(attempts[Int(slot)], time: time, final: false))
            } else {
                schedule(slot)
            }
        }
    }

    /// Puts an attempt in the deadline queue at the time its next finding is due.
    mutating func schedule(_ slot: Int32) {
        let a = attempts[Int(slot)]
        guard a.pendingReset == nil else { return }
        var due = CaptureTime.after(a.firstTime, configuration.synFinal)
        if a.retransmissions >= 1 && !a.provisionalGiven {
            due = min(due, CaptureTime.after(a.firstTime, configuration.synProvisional))
        }
        deadlines.schedule(slot, at: due, order: a.sequence)
    }

    // MARK: Slots

    /// The open attempt from these endpoints, if any.
    @inline(__always)
    func findAttempt(_ key: ConnectionAttempt.Key) -> Int32? {
        guard !index.isEmpty else { return nil }
        return index.find(hasher.hash(key.client, key.peer)) { attempts[Int($0)].key == key }
    }

    mutating func open(_ key: ConnectionAttempt.Key, time: Int64, frame: UInt64, isn: UInt32, advertised entry: AdvertisedEndpoints.Entry) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            var frames = attempts[Int(slot)].frames
            attempts[Int(slot)].frames = []
            frames.removeAll(keepingCapacity: true)
            frames.append(frame)
            attempts[Int(slot)] = ConnectionAttempt(key: key, firstTime: time, frames: frames, isn: isn, advertised: entry,
                                          sequence: nextSequence)
        } else {
            slot = Int32(attempts.count)
            attempts.append(ConnectionAttempt(key: key, firstTime: time, frames: [frame], isn: isn, advertised: entry,
                                    sequence: nextSequence))
        }
        nextSequence += 1
        index.insert(slot, hash: hasher.hash(key.client, key.peer))
        byFrame.insert(slot, hash: hasher.hash(frame, 0))
        schedule(slot)
    }

    /// Ends an attempt (answered, reported or given up) and returns it; its slot is free again.
    @discardableResult
    mutating func close(_ slot: Int32) -> ConnectionAttempt {
        let attempt = attempts[Int(slot)]
        index.remove(slot, hash: hasher.hash(attempt.key.client, attempt.key.peer))
        if let first = attempt.frames.first { byFrame.remove(slot, hash: hasher.hash(first, 0)) }
        if let reset = attempt.pendingReset { byFrame.remove(slot, hash: hasher.hash(reset.frame, 0)) }
        deadlines.remove(slot)
        freeSlots.append(slot)
        ended.set(attempt.isn, for: attempt.key)
        return attempt
    }

    /// The open attempts whose SYN the gateway did not forward, oldest first.
    mutating func giveDroppedAtGateway() {
        let free = Set(freeSlots)
        var proven: [Int32] = []
        for slot in attempts.indices where !free.contains(Int32(slot)) {
            if attempts[slot].notForwarded && attempts[slot].pendingReset == nil { proven.append(Int32(slot)) }
        }
        proven.sort { a, b in
            let x = attempts[Int(a)], y = attempts[Int(b)]
            return (x.firstTime, x.frames[0]) < (y.firstTime, y.frames[0])
        }
        for slot in proven {
            let attempt = close(slot)
            events.append(.droppedAtGateway(attempt, time: max(clock, attempt.firstTime)))
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
