import SampleKit

/// The gateway mix of SampleKit (`icqscope-samples --gateway-mix`) as a benchmark fixture:
/// made on first use, reused afterwards, never committed.
public enum GatewayMixCapture {
    /// Bump when the generator changes, so cached fixtures from older runs are not reused.
    static let version = 1

    public static func path(users: Int, packets: Int, seed: UInt64 = 1) -> String {
        FixtureFile.path("gateway-mix-v\(version)-\(users)u-\(packets)-s\(seed).pcap") { path in
            do {
                _ = try GatewayMixFile.write(users: users, packets: packets, seed: seed, to: path)
            } catch {
                fatalError("cannot write \(path): \(error)")
            }
        }
    }
}
