import Bytes
import Capture
import SampleKit
import Testing
import Wire

/// Link types, tags, options and fragments the shared captures do not have, built by hand.
struct DecoderEdgeTests {
    static let client: UInt32 = 0xC0A8_0102
    static let server: UInt32 = 0xC633_6404

    static func decode(_ bytes: [UInt8], _ linkType: LinkType = .ethernet) -> DecodedPacket {
        bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType) }
    }

    static var udpIPPacket: [UInt8] {
        Array(FrameBuilder.udpFrame(from: client, 3070, to: server, 4000, payload: [5, 0, 0, 0]).dropFirst(14))
    }

    @Test func qinqTagsAreWalked() {
        let frame = FrameBuilder.ethernet(vlans: [100, 7], etherType: 0x0800, payload: Self.udpIPPacket)
        let d = Self.decode(frame)
        #expect(d.link?.vlanCount == 2)
        #expect(d.link?.vlanIDs.0 == 100)
        #expect(d.link?.innermostVLAN == 7)
        guard case .udp(let h) = d.transport else { Issue.record("no udp"); return }
        #expect(h.destinationPort == 4000)
        #expect(d.payloadLength == 4)
    }

    @Test func linuxCookedV1AndV2() {
        var v1: [UInt8] = [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]
        v1 += Self.udpIPPacket
        let d1 = Self.decode(v1, .linuxSLL)
        #expect(d1.link?.kind == .linuxSLL)
        #expect(d1.link?.packetType == 4)
        #expect(d1.ipv4?.destination == IPAddress(ipv4: Self.server))

        var v2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]
        v2 += Self.udpIPPacket
        let d2 = Self.decode(v2, .linuxSLL2)
        #expect(d2.link?.interfaceIndex == 7)
        #expect(d2.ipv4?.source == IPAddress(ipv4: Self.client))
    }

    @Test func bsdLoopbackInBothByteOrdersAndRawIP() {
        let little = Self.decode([2, 0, 0, 0] + Self.udpIPPacket, .null)
        #expect(little.ipv4 != nil)
        let big = Self.decode([0, 0, 0, 2] + Self.udpIPPacket, .null)
        #expect(big.ipv4 != nil)
        let loop = Self.decode([0, 0, 0, 2] + Self.udpIPPacket, .loop)
        #expect(loop.ipv4 != nil)
        let raw = Self.decode(Self.udpIPPacket, .raw)
        #expect(raw.ipv4?.destination == IPAddress(ipv4: Self.server))
    }

    @Test func ipv4OptionsAndFragments() {
        let payload = FrameBuilder.udp(sourcePort: 1, destinationPort: 4000, payload: [1, 2, 3, 4],
                                       pseudoHeader: FrameBuilder.pseudoHeaderV4(source: Self.client, destination: Self.server, protocolNumber: 17, length: 12))
        let withOptions = FrameBuilder.ipv4(source: Self.client, destination: Self.server, protocolNumber: 17,
                                            options: [0x94, 0x04, 0, 0], payload: payload)
        let d = Self.decode(withOptions, .raw)
        #expect(d.ipv4?.headerLength == 24)
        #expect(d.ipv4?.hasOptions == true)
        guard case .udp = d.transport else { Issue.record("udp after options"); return }

        let first = FrameBuilder.ipv4(source: Self.client, destination: Self.server, protocolNumber: 17,
                                      dontFragment: false, moreFragments: true, payload: payload)
        let df = Self.decode(first, .raw)
        #expect(df.ipv4?.isFragment == true)
        #expect(df.transport != nil)
        let later = FrameBuilder.ipv4(source: Self.client, destination: Self.server, protocolNumber: 17,
                                      dontFragment: false, fragmentOffset: 1480, payload: [9, 9, 9])
        let dl = Self.decode(later, .raw)
        #expect(dl.ipv4?.fragmentOffset == 1480)
        #expect(dl.transport == nil)
        #expect(dl.payloadLength == 3)
    }

    @Test func ipv6ExtensionHeadersAreWalked() {
        let src = [UInt8](repeating: 0, count: 15) + [1]
        let dst: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]
        let udp = FrameBuilder.udp(sourcePort: 5000, destinationPort: 4000, payload: [1, 2],
                                   pseudoHeader: FrameBuilder.pseudoHeaderV6(source: src, destination: dst, protocolNumber: 17, length: 10))
        // hop-by-hop (8 bytes) -> destination options (8 bytes) -> fragment (8 bytes, offset 0) -> UDP
        let ext: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0] + [44, 0, 1, 4, 0, 0, 0, 0] + [17, 0, 0, 0, 0, 0, 0, 42]
        let packet = FrameBuilder.ipv6(source: src, destination: dst, nextHeader: 0, extensionHeaders: ext, payload: udp)
        let d = Self.decode(packet, .raw)
        #expect(d.ipv6?.extensionHeaderCount == 3)
        #expect(d.ipv6?.upperProtocol == 17)
        #expect(d.ipv6?.isFragment == true)
        #expect(d.ipv6?.fragmentIdentification == 42)
        #expect(d.ipv6?.destination.description == "2001:db8::2")
        guard case .udp(let h) = d.transport else { Issue.record("no udp"); return }
        #expect(h.destinationPort == 4000)
    }

    @Test func tcpOptionsAndFlags() {
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]
        let frame = FrameBuilder.tcpFrame(from: Self.client, 40001, to: Self.server, 5190, sequence: 7, acknowledgement: 0,
                                          flags: [.syn], options: options + [0, 0])
        let d = Self.decode(frame)
        guard case .tcp(let h) = d.transport else { Issue.record("no tcp"); return }
        #expect(h.isSYN && !h.isACK)
        #expect(h.options.maximumSegmentSize == 1460)
        #expect(h.options.windowScale == 7)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestampValue == 9)
    }

    @Test func icmpErrorQuotesTheOriginalFlow() {
        let frame = FrameBuilder.icmpUnreachableFrame(from: Self.server, to: Self.client, code: 13, quoting: Self.udpIPPacket)
        let d = Self.decode(frame)
        guard case .icmp(let m) = d.transport, let q = m.quoted else { Issue.record("no quoted datagram"); return }
        #expect(m.type == 3 && m.code == 13)
        #expect(q.source == IPAddress(ipv4: Self.client))
        #expect(q.destination == IPAddress(ipv4: Self.server))
        #expect(q.sourcePort == 3070 && q.destinationPort == 4000)
        #expect(q.protocolNumber == 17)
    }

    /// Every prefix of real frames, and random bytes under every link type: a located reason or a
    /// clean partial decode, never a trap.
    @Test func truncatedAndRandomFramesNeverTrap() {
        let frames = [
            FrameBuilder.ethernet(vlans: [5], etherType: 0x0800, payload: Self.udpIPPacket),
            FrameBuilder.tcpFrame(from: 1, 2, to: 3, 4, sequence: 1, acknowledgement: 2, flags: [.ack], payload: [1, 2, 3],
                                  options: [2, 4, 0x05, 0xB4]),
            FrameBuilder.icmpUnreachableFrame(from: 1, to: 2, code: 3, quoting: Self.udpIPPacket),
        ]
        var malformed = 0
        for frame in frames {
            for cut in 0..<frame.count {
                let d = Self.decode(Array(frame.prefix(cut)))
                if let m = d.malformation {
                    malformed += 1
                    #expect(m.offset <= cut)
                }
            }
        }
        #expect(malformed > 50)
        var random = SeededRandom(seed: 42)
        for linkType in [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .raw, .ipv6] {
            for _ in 0..<2000 {
                let size = Int.random(in: 0...120, using: &random)
                var bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
                if size > 0 && linkType == .raw { bytes[0] = 0x45 }
                _ = Self.decode(bytes, linkType)
            }
        }
    }
}
