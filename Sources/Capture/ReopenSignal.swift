import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGHUP asks a long-running capture to reopen its log files (`--events`), as logrotate's
/// `postrotate` step expects of a daemon: the handler only counts the signal in an atomic
/// (async-signal-safe); each file compares the count with the one it last saw, at its next
/// record and at the next tick of the live clock, and reopens its path when they differ.
public enum ReopenSignal {
    /// Installs the handler once per process (instead of SIGHUP's default, which ends it).
    public static func install() {
        installLock.withLock { installed in
            guard !installed else { return }
            hangups.store(0, ordering: .relaxed)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = reopenSignalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESTART)
            sigaction(SIGHUP, &action, nil)
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGHUP)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            installed = true
        }
    }

    /// How many SIGHUPs have arrived since `install()`.
    public static var generation: UInt64 { hangups.load(ordering: .acquiring) }

    private static let installLock = Mutex(false)
}

private let hangups = Atomic<UInt64>(0)

private func reopenSignalHandler(_ signal: Int32) {
    hangups.add(1, ordering: .releasing)
}
