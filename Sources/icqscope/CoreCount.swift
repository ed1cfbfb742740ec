#if canImport(Glibc)
import Glibc
#endif

/// The default of `--threads` for `read` and `live`: the cores online.
enum CoreCount {
    static var online: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
