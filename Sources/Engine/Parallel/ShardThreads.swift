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
            let box = Unmanaged.passRetained(Body { body(i) })
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { argument in
                Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
                return nil
            }, box.toOpaque())
            if started == 0 {
                threads.append(thread)
            } else {
                // No thread to be had: the work is done all the same, here.
                box.release()
                inline.append(i)
            }
        }
        body(0)
        for i in inline { body(i) }
        for thread in threads { pthread_join(thread, nil) }
    }
}
