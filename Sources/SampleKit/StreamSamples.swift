/// The TCP stream samples under samples/ (OSCAR, ICQ peer-to-peer): deterministic, seeded, a
/// few KB each. The generator writes them; a test checks the committed files equal its output.
public enum StreamSamples {
    public static let files: [(file: String, build: @Sendable () -> [UInt8])] = [
        ("oscar-session.pcapng", { OSCARSample.pcapng() }),
        ("peer-file-transfer.pcapng", { PeerSample.pcapng() }),
        ("peer-external-application.pcapng", { PeerExternalApplicationSample.pcapng(blocked: true) }),
    ]
}
