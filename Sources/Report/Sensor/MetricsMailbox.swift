import Synchronization

/// Where the analysis thread leaves its latest `MetricsSnapshot` and the metrics side picks it up.
/// Publishing is one short lock and a value copy, about once a second: the pipeline never waits
/// for a scrape, never touches the metrics library, and a slow reader only ever sees an older
/// snapshot.
public final class MetricsMailbox: Sendable {
    private let slot = Mutex<(version: UInt64, snapshot: MetricsSnapshot?)>((0, nil))

    public init() {}

    public func publish(_ snapshot: MetricsSnapshot) {
        slot.withLock { $0 = ($0.version &+ 1, snapshot) }
    }

    /// The latest snapshot and its version (which grows with each publish), nil before the first.
    public func latest() -> (version: UInt64, snapshot: MetricsSnapshot?) {
        slot.withLock { $0 }
    }
}
