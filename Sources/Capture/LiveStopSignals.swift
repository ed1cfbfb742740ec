import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGINT and SIGTERM end a live capture cleanly instead of killing the process: the handler only
/// records the signal in an atomic and writes one byte to a pipe that the capture loop polls, so
/// the loop wakes at once, drains what was captured before the signal, and the caller writes its
/// summary and closes its files. Both are async-signal-safe. A second signal of the same kind
/// kills the process as usual (`SA_RESETHAND`), for when finishing takes too long.
public enum StopSignals {
    /// Installs the handlers once per process. Safe to call again.
    public static func install() {
        installLock.withLock { installed in
            guard !installed else { return }
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            // Touch the atomic before any handler can run: Swift globals initialise lazily.
            receivedSignal.store(0, ordering: .relaxed)
            signalPipeRead.store(fds[0], ordering: .relaxed)
            signalPipeWrite.store(fds[1], ordering: .relaxed)
            for signal in [SIGINT, SIGTERM] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = stopSignalHandler
                sigemptyset(&action.sa_mask)
                action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
                sigaction(signal, &action, nil)
            }
            // A parent may have started us with these signals blocked (a blocked mask survives
            // exec; test runners and some service managers leave one): we want them delivered.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGINT)
            sigaddset(&unblock, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            installed = true
        }
    }

    /// The signal received so far, if any.
    public static var received: Int32? {
        let s = receivedSignal.load(ordering: .acquiring)
        return s == 0 ? nil : s
    }

    /// The read end of the wake-up pipe, or -1 before `install()`.
    static var wakeDescriptor: Int32 { signalPipeRead.load(ordering: .relaxed) }

    /// Empties the wake-up pipe after a wake-up.
    static func drainWakeups() {
        let fd = wakeDescriptor
        guard fd >= 0 else { return }
        var sink: (UInt64, UInt64) = (0, 0)
        while read(fd, &sink, MemoryLayout.size(ofValue: sink)) > 0 {}
    }

    private static let installLock = Mutex(false)
}

private let receivedSignal = Atomic<Int32>(0)
private let signalPipeRead = Atomic<Int32>(-1)
private let signalPipeWrite = Atomic<Int32>(-1)

private func stopSignalHandler(_ signal: Int32) {
    let savedErrno = errno
    receivedSignal.store(signal, ordering: .releasing)
    let fd = signalPipeWrite.load(ordering: .relaxed)
    if fd >= 0 {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}
