import CPrivileges
#if canImport(Glibc)
import Glibc
#endif

/// A user account as the system's user database knows it.
public struct UserAccount: Sendable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    /// nil when no such user exists (or the database cannot be read).
    public init?(named name: String) {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &found) == 0, found != nil else { return nil }
        self.name = name
        uid = entry.pw_uid
        gid = entry.pw_gid
    }
}

/// Giving up, once the capture handles and the output files are open, the privileges that only
/// opening them needed (as tcpdump -Z): a bug in a decoder fed by hostile packets then runs as
/// an ordinary user with no capabilities.
public enum PrivilegeDrop {
    public struct Failure: Error {
        public let message: String
    }

    /// What the process runs as afterwards, for the line that says the capture started.
    public enum Outcome {
        /// Root became `account`: its groups, gid and uid, every capability gone.
        case becameUser(UserAccount)
        /// Not root (a binary with file capabilities, say): the capabilities are gone, the user
        /// stays; `wanted` is a -Z user the process could not become.
        case droppedCapabilities(wanted: UserAccount?)
        /// Root without -Z: nothing given up.
        case keptRoot
    }

    public static var isRoot: Bool { geteuid() == 0 || getuid() == 0 }

    public static func relinquish(becoming account: UserAccount?) throws(Failure) -> Outcome {
        if isRoot {
            guard let account else { return .keptRoot }
            try become(account)
            return .becameUser(account)
        }
        try dropCapabilities()
        return .droppedCapabilities(wanted: account.flatMap { $0.uid == getuid() ? nil : $0 })
    }

    /// Root to `account`. The bounding set goes first (dropping from it needs CAP_SETPCAP, lost
    /// with the uid); the groups and gid before the uid (changing them needs root); the
    /// inheritable set last (setuid empties the permitted, effective and ambient sets only).
    private static func become(_ account: UserAccount) throws(Failure) {
        try clearAmbientAndBounding()
        guard initgroups(account.name, account.gid) == 0 else { throw failure("setting the groups of \(account.name)") }
        guard icq_set_all_gids(account.gid) == 0 else { throw failure("setresgid(\(account.gid))") }
        guard icq_set_all_uids(account.uid) == 0 else { throw failure("setresuid(\(account.uid))") }
        try clearCapabilitySets()
        // Checked rather than trusted: a partial drop must not go on capturing as if complete.
        guard icq_ids_are(account.uid, account.gid) == 1 else {
            throw Failure(message: "the user and group ids did not all change to \(account.name)'s")
        }
        if account.uid != 0 && setuid(0) == 0 {
            throw Failure(message: "root could be regained after becoming \(account.name)")
        }
    }

    /// Every capability set emptied, the user unchanged.
    private static func dropCapabilities() throws(Failure) {
        try clearAmbientAndBounding()
        try clearCapabilitySets()
    }

    private static func clearAmbientAndBounding() throws(Failure) {
        // EINVAL: a kernel older than 4.3 has no ambient set.
        if icq_clear_ambient_capabilities() != 0 && errno != EINVAL { throw failure("clearing the ambient capabilities") }
        // Up to the last capability the kernel knows (reading past it is EINVAL). EPERM: without
        // CAP_SETPCAP the bounding set stays; it only limits what an exec could gain, and
        // no_new_privs (below) rules that out as well.
        for capability: Int32 in 0..<64 {
            let held = icq_bounding_has_capability(capability)
            if held < 0 { break }
            if held == 1 && icq_drop_bounding_capability(capability) != 0 && errno != EPERM {
                throw failure("dropping capability \(capability) from the bounding set")
            }
        }
    }

    private static func clearCapabilitySets() throws(Failure) {
        guard icq_clear_capabilities() == 0 else { throw failure("clearing the capability sets") }
        guard icq_set_no_new_privileges() == 0 else { throw failure("setting no_new_privs") }
        var permitted: UInt64 = 0, effective: UInt64 = 0, inheritable: UInt64 = 0
        guard icq_read_capabilities(&permitted, &effective, &inheritable) == 0 else { throw failure("reading the capability sets") }
        guard permitted | effective | inheritable == 0 else {
            throw Failure(message: "capabilities remain after clearing them")
        }
    }

    /// Called right after the failing call: errno is still its own.
    private static func failure(_ what: @autoclosure () -> String) -> Failure {
        let err = errno
        return Failure(message: "\(what()) failed: \(String(cString: strerror(err)))")
    }
}
