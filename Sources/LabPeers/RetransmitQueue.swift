/// Packets sent and not yet acknowledged, resent on a fixed interval until acknowledged or until
/// the sender gives up: what the reference describes for both sides of ICQ v5
/// (docs/protocol.md#reliability, docs/flow-semantics.md#retransmission: the Mirabilis client
/// resends every 10 s and gives up after 6 transmissions, iserverd resends a push every 10 s, 5
/// times).
///
/// Keyed by (seq1, seq2) plus a per-peer key (the server keeps one queue for all users).
/// `transmit` builds the datagram anew each time, because a client re-encrypts every copy with a
/// fresh random checkcode.
final class RetransmitQueue<Owner: Hashable> {
    struct Key: Hashable {
        var owner: Owner
        var seq1: UInt16
        var seq2: UInt16
    }

    private struct Entry {
        var transmissions: Int
        var timer: Int
        var transmit: () -> Void
        var gaveUp: (Int) -> Void
    }

    let loop: EventLoop
    let interval: Double
    let maximumTransmissions: Int
    private var entries: [Key: Entry] = [:]

    /// `maximumTransmissions` counts the first send.
    init(loop: EventLoop, interval: Double, maximumTransmissions: Int) {
        self.loop = loop
        self.interval = interval
        self.maximumTransmissions = max(1, maximumTransmissions)
    }

    /// Sends now and keeps resending. `transmit(n)` is called with the transmission number
    /// (1 = first). `gaveUp` gets the number of transmissions made.
    func send(_ key: Key, transmit: @escaping (Int) -> Void, gaveUp: @escaping (Int) -> Void) {
        cancel(key)
        transmit(1)
        entries[key] = Entry(transmissions: 1, timer: schedule(key), transmit: {}, gaveUp: gaveUp)
        entries[key]?.transmit = { [weak self] in
            guard let self, var entry = self.entries[key] else { return }
            entry.transmissions += 1
            self.entries[key] = entry
            transmit(entry.transmissions)
        }
    }

    private func schedule(_ key: Key) -> Int {
        loop.after(interval) { [weak self] in self?.expire(key) }
    }

    private func expire(_ key: Key) {
        guard let entry = entries[key] else { return }
        if entry.transmissions >= maximumTransmissions {
            entries[key] = nil
            entry.gaveUp(entry.transmissions)
            return
        }
        entry.transmit()
        entries[key]?.timer = schedule(key)
    }

    /// An acknowledgement arrived: returns how many transmissions it took, nil if nothing matched.
    @discardableResult
    func acknowledge(_ key: Key) -> Int? {
        guard let entry = entries.removeValue(forKey: key) else { return nil }
        loop.cancel(entry.timer)
        return entry.transmissions
    }

    func cancel(_ key: Key) {
        if let entry = entries.removeValue(forKey: key) { loop.cancel(entry.timer) }
    }

    func cancelAll(owner: Owner) {
        for key in entries.keys where key.owner == owner { cancel(key) }
    }

    var pendingCount: Int { entries.count }
}
