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

    /// `notes`: each shard's, of the hosts several shards see (by their shared number), in
    /// frame order.
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
            let host = Int(n.host)
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

    /// The host whose marks an event is judged on: a reset seen from one vantage is held against
    /// the peer's, an ICMP error against its reporter's. Only these hosts' notes are followed.
    static func judgedHost(_ event: ConnectionAttemptEvent) -> IPAddress? {
        switch event {
        case .reset(let attempt, _, .oneVantage): attempt.key.peer.address
        case .icmpUnreachable(_, _, _, let reporter, _?): reporter
        default: nil
        }
    }

    /// The event with its judgement made on these marks, where it concerns such a host.
    func judged(_ event: ConnectionAttemptEvent) -> ConnectionAttemptEvent {
        guard let host = Self.judgedHost(event), let marks = marks(of: host) else { return event }
        switch event {
        case .reset(let attempt, let time, .oneVantage(let fit)):
            let shared = SenderMarks.fit(marks, ttl: fit.ttl, ipID: fit.ipID, time: time)
            return .reset(attempt, time: time, origin: .oneVantage(shared))
        case .icmpUnreachable(let attempt, let time, let code, let reporter, let fit?):
            let shared = SenderMarks.fit(marks, ttl: fit.ttl, ipID: fit.ipID, time: time)
            return .icmpUnreachable(attempt, time: time, code: code, reporter: reporter, inPeersName: shared)
        default:
            return event
        }
    }
}
