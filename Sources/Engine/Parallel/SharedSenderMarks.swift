import Bytes
import Tracking

/// The marks (TTL, IP id) of the hosts several shards see, as one thread keeps them: every
/// shard's packets of those hosts, followed in frame order up to the frame being judged. A reset
/// or ICMP error in such a host's name is held against these, not against one shard's share.
struct SharedSenderMarks {
    private let notes: [[SenderNote]]
    private var next: [Int]
    /// By the shared host's number: a note per packet of a busy server wants no hashing.
    private var marks: [SenderMarks?]
    private let hosts: SharedHosts

    /// `notes`: each shard's, of every outside sender (by the shard's id of it), in frame order.
    init(_ notes: [[SenderNote]], hosts: SharedHosts) {
        self.notes = notes
        self.hosts = hosts
        next = [Int](repeating: 0, count: notes.count)
        marks = [SenderMarks?](repeating: nil, count: hosts.count)
    }

    /// Takes in every noted packet before `frame` (a reset or an ICMP error is never noted, so
    /// nothing of the judged frame itself is missed).
    mutating func follow(upTo frame: UInt64) {
        while true {
            var earliest: Int? = nil
            for s in notes.indices where next[s] < notes[s].count && notes[s][next[s]].frame < frame {
                if earliest.map({ notes[s][next[s]].frame < notes[$0][next[$0]].frame }) ?? true { earliest = s }
            }
            guard let s = earliest else { return }
            let n = notes[s][next[s]]
            next[s] += 1
            // A host only this shard sees: its own marks judge it there.
            let host = Int(hosts.numbersByShard[s][Int(n.host)])
            guard host >= 0 else { continue }
            if marks[host] == nil {
                marks[host] = SenderMarks(ttl: n.ttl, id: n.id, destination: n.destination, time: n.time)
            } else {
                marks[host]!.note(ttl: n.ttl, id: n.id, destination: n.destination, time: n.time)
            }
        }
    }

    private func marks(of address: IPAddress) -> SenderMarks? {
        hosts.number(address).flatMap { marks[Int($0)] }
    }

    /// The event with its judgement made on these marks, where it concerns such a host.
    func judged(_ event: ConnectionAttemptEvent) -> ConnectionAttemptEvent {
        switch event {
        case .reset(let attempt, let time, .oneVantage(let fit)) where marks(of: attempt.key.peer.address) != nil:
            let shared = SenderMarks.fit(marks(of: attempt.key.peer.address), ttl: fit.ttl, ipID: fit.ipID, time: time)
            return .reset(attempt, time: time, origin: .oneVantage(shared))
        case .icmpUnreachable(let attempt, let time, let code, let reporter, let fit?) where marks(of: reporter) != nil:
            let shared = SenderMarks.fit(marks(of: reporter), ttl: fit.ttl, ipID: fit.ipID, time: time)
            return .icmpUnreachable(attempt, time: time, code: code, reporter: reporter, inPeersName: shared)
        default:
            return event
        }
    }
}
