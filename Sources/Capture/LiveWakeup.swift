import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Wakes a thread that sleeps in `poll` until another thread has news for it (packets in a ring,
/// room in a ring, a command), without a system call per packet: the sleeper announces itself
/// (`prepareToSleep`), looks once more at what it waits for, and only then polls the pipe; the
/// other side publishes first and writes a byte only when it sees a sleeper. A sequentially
/// consistent fence on both sides makes sure that at least one of them sees the other's store
/// (either the sleeper sees the news, or the publisher sees the sleeper), so no wake-up is lost.
final class LiveWakeup: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let sleeping = Atomic<Bool>(false)

    init() throws(CaptureError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw CaptureError(file: "live", reason: .captureFailed,
                               message: "cannot create a pipe for the capture threads: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// The descriptor to poll for wake-ups.
    var descriptor: Int32 { readEnd }

    /// The sleeper, before looking once more at what it waits for and polling.
    func prepareToSleep() {
        sleeping.store(true, ordering: .relaxed)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// The sleeper, awake again (or not sleeping after all); `drain`: empties the pipe (when poll
    /// said it holds something: no system call otherwise; a byte left by a late waker only makes
    /// the next poll return at once).
    func awake(drain: Bool = true) {
        sleeping.store(false, ordering: .relaxed)
        guard drain else { return }
        var sink: (UInt64, UInt64) = (0, 0)
        while read(readEnd, &sink, MemoryLayout.size(ofValue: sink)) > 0 {}
    }

    /// The other side, after publishing its news: wakes the sleeper if there is one.
    func wakeIfSleeping() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .relaxed), sleeping.exchange(false, ordering: .relaxed) { wake() }
    }

    /// Wakes the sleeper whether or not it sleeps now (a command: its next poll returns at once).
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }
}
