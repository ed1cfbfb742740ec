#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A capture file made when the benchmarks run, never committed. Each is written once into a
/// scratch directory and reused by later benchmarks and later runs: the name carries a version,
/// and the file appears under its name only when complete (written beside it, then renamed).
public enum FixtureFile {
    /// `$ICQSCOPE_BENCH_DIR`, else `$TMPDIR/icqscope-bench`, else `/tmp/icqscope-bench`.
    public static var directory: String {
        if let dir = getenv("ICQSCOPE_BENCH_DIR") { return String(cString: dir) }
        let tmp = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        return tmp + "/icqscope-bench"
    }

    /// The path of fixture `name`, calling `make` with a path to write to when it is missing.
    public static func path(_ name: String, make: (String) -> Void) -> String {
        let dir = directory
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            fatalError("cannot create \(dir): errno \(errno)")
        }
        let path = dir + "/" + name
        if access(path, F_OK) == 0 { return path }
        let partial = path + ".partial.\(getpid())"
        make(partial)
        guard rename(partial, path) == 0 else { fatalError("cannot rename \(partial): errno \(errno)") }
        return path
    }
}
