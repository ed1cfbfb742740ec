#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(0)` on the calling thread and `body(1)` … `body(count - 1)` on threads of their
/// own, and returns when all have. Each shard's analyzer is touched by its own thread only
/// until the join; the box only carries the closure across.
enum ShardThreads {
    private final class Body: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    static func run(_ count: Int, _ body: @escaping (Int) -> Void) {
        var threads: [pthread_t] = []
        var inline: [Int] = []
        for i in 1..<max(count, 1) {
            if let thread = start({ body(i) }, detached: false) {
                threads.append(thread)
            } else {
                inline.append(i)
            }
        }
        body(0)
        for i in inline { body(i) }
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `body(0)` on the calling thread and the others on threads of their own, all at once
    /// (they wait on each other), and returns when all have; false when a thread could not be
    /// started: `notAll` then lets go of those that did, which are joined, and `body(0)` is not run.
    static func runTogether(_ count: Int, _ body: @escaping (Int) -> Void, notAll: () -> Void) -> Bool {
        var threads: [pthread_t] = []
        for i in 1..<max(count, 1) {
            guard let thread = start({ body(i) }, detached: false) else {
                notAll()
                for thread in threads { pthread_join(thread, nil) }
                return false
            }
            threads.append(thread)
        }
        body(0)
        for thread in threads { pthread_join(thread, nil) }
        return true
    }

    /// Runs `body(0)` … `body(count - 1)` on threads of their own and returns at once: for work
    /// nobody waits for (letting go of a shard's memory at the end of the run, which the process
    /// may exit before it is done).
    static func detach(_ count: Int, _ body: @escaping (Int) -> Void) {
        for i in 0..<count where start({ body(i) }, detached: true) == nil { body(i) }
    }

    /// `work` on a thread of its own; nil when no thread is to be had (the caller then does the
    /// work all the same, on its own thread).
    private static func start(_ work: @escaping () -> Void, detached: Bool) -> pthread_t? {
        let box = Unmanaged.passRetained(Body(work))
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let started = pthread_create(&thread, &attributes, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard started == 0 else {
            box.release()
            return nil
        }
        return thread
    }
}
