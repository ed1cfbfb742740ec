/// The OSCAR capability GUIDs of the "external applications" the firewall guide means (voice,
/// video, games started with an online user), as an ICBM channel 2 rendezvous names them
/// (docs/protocol.md#oscar-external-applications). Sources, which agree byte for byte: Pidgin's
/// libpurple `protocols/oscar/family_locate.c` (`aim_caps[]`) and Wireshark's
/// `epan/dissectors/packet-aim.c` (`known_client_caps[]`). Every one but the second games GUID
/// (a byte-swapped variant some AIM versions sent, listed by both) is 0946xxxx-4C7F-11D1-8222-
/// 444553540000, differing in bytes 2 and 3.
public enum ExternalApplicationCapability {
    /// Bytes 2–3 of the 0946xxxx family, and the name Wireshark gives it.
    static let family: [(UInt16, StaticString)] = [
        (0x0100, "Video Chat"),
        (0x0101, "Live Video"),
        (0x0102, "Camera"),
        (0x0103, "Microphone"),
        (0x0104, "Live Audio"),
        (0x1341, "Voice Chat"),
        (0x1347, "Add-Ins"),
        (0x134A, "Games"),
    ]

    /// The application a rendezvous capability starts, or nil for any other capability (file
    /// transfer, direct IM, chat, ICQ server relay).
    public static func name(of capability: UnsafeRawBufferPointer) -> StaticString? {
        index(of: capability).map(name)
    }

    /// An application by its index (`index(of:)`, or `classicExternalPlugin`): what the tables
    /// keep, one byte.
    public static func name(_ index: UInt8) -> StaticString {
        Int(index) < family.count ? family[Int(index)].1 : "ICQ External plugin"
    }

    /// The index given to an application started by the classic peer-to-peer protocol's
    /// External plugin (`PeerPlugin.external`, docs/protocol.md#peer-plugins), whose messages do
    /// not say which application it is.
    public static let classicExternalPlugin = UInt8(family.count)

    /// The application's index in `family`, or nil.
    public static func index(of capability: UnsafeRawBufferPointer) -> UInt8? {
        guard capability.count == 16, capability[0] == 0x09, capability[1] == 0x46,
              capability[4] == 0x4C, capability[5] == 0x7F, capability[6] == 0x11, capability[7] == 0xD1 else { return nil }
        let tail: [UInt8] = [0x44, 0x45, 0x53, 0x54, 0x00, 0x00]
        for i in 0..<6 where capability[10 + i] != tail[i] { return nil }
        let middle = (capability[8], capability[9])
        let id = UInt16(capability[2]) << 8 | UInt16(capability[3])
        // 82 22 for all; 22 82 only in the games variant.
        guard middle == (0x82, 0x22) || (middle == (0x22, 0x82) && id == 0x134A) else { return nil }
        return family.firstIndex { $0.0 == id }.map { UInt8($0) }
    }
}
