#if canImport(Glibc)
import Glibc
#endif

/// A single-threaded poll(2) loop with timers. It always ends: `run(until:)` returns at the
/// deadline (the peer's `--run-for`) or when `stop()` is called, whichever comes first.
public final class EventLoop {
    public let clock: LabClock
    private var readers: [Int32: () -> Void] = [:]
    private var writers: [Int32: () -> Void] = [:]
    private var timers: [(id: Int, due: Double, action: () -> Void)] = []
    private var nextTimerID = 0
    private var stopped = false

    public init(clock: LabClock) { self.clock = clock }

    public var now: Double { clock.now }

    /// Calls `handler` whenever `fd` is readable (or has an error/hang-up pending).
    public func onReadable(_ fd: Int32, _ handler: @escaping () -> Void) { readers[fd] = handler }

    /// Calls `handler` once when `fd` becomes writable (a non-blocking connect finished).
    public func onceWritable(_ fd: Int32, _ handler: @escaping () -> Void) { writers[fd] = handler }

    public func remove(_ fd: Int32) {
        readers[fd] = nil
        writers[fd] = nil
    }

    @discardableResult
    public func after(_ seconds: Double, _ action: @escaping () -> Void) -> Int {
        nextTimerID += 1
        timers.append((nextTimerID, clock.now + max(0, seconds), action))
        return nextTimerID
    }

    public func cancel(_ id: Int) { timers.removeAll { $0.id == id } }

    public func stop() { stopped = true }

    public func run(until deadline: Double) {
        while !stopped {
            let now = clock.now
            if now >= deadline { return }
            if let index = timers.indices.min(by: { timers[$0].due < timers[$1].due }), timers[index].due <= now {
                let timer = timers.remove(at: index)
                timer.action()
                continue
            }
            let nextDue = timers.map(\.due).min() ?? deadline
            let wait = max(0, min(nextDue, deadline) - now)
            var fds: [pollfd] = []
            for fd in readers.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            for fd in writers.keys { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
            let rc = poll(&fds, nfds_t(fds.count), Int32((wait * 1000).rounded(.up)))
            guard rc > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                if entry.events == Int16(POLLOUT) {
                    if let handler = writers.removeValue(forKey: entry.fd) { handler() }
                } else if let handler = readers[entry.fd] {
                    handler()
                }
            }
        }
    }
}
