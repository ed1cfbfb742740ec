import Bytes

extension PacketDecoder {
    static func decodeIPv4(_ bytes: UnsafeRawBufferPointer, at offset: Int, into packet: inout DecodedPacket) {
        guard bytes.count >= offset + 20 else {
            packet.malformation = Malformation(.ipv4, at: offset, "header truncated")
            return
        }
        let versionAndLength = bytes[offset]
        guard versionAndLength >> 4 == 4 else {
            packet.malformation = Malformation(.ipv4, at: offset, "version is not 4")
            return
        }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20 else {
            packet.malformation = Malformation(.ipv4, at: offset, "header length below 20")
            return
        }
        guard bytes.count >= offset + headerLength else {
            packet.malformation = Malformation(.ipv4, at: offset, "options truncated")
            return
        }
        let totalLength = Int(bytes.u16BE(at: offset + 2))
        let flagsAndOffset = bytes.u16BE(at: offset + 6)
        let header = IPv4Header(
            headerLength: headerLength, totalLength: totalLength, tos: bytes[offset + 1],
            identification: bytes.u16BE(at: offset + 4),
            dontFragment: flagsAndOffset & 0x4000 != 0, moreFragments: flagsAndOffset & 0x2000 != 0,
            fragmentOffset: Int(flagsAndOffset & 0x1FFF) * 8, ttl: bytes[offset + 8],
            protocolNumber: bytes[offset + 9], checksum: bytes.u16BE(at: offset + 10),
            source: .ipv4(bytes, at: offset + 12), destination: .ipv4(bytes, at: offset + 16))
        packet.network = .ipv4(header)
        guard totalLength >= headerLength else {
            packet.malformation = Malformation(.ipv4, at: offset + 2, "total length below header length")
            return
        }
        // Ethernet pads short frames: the IP total length, not the frame, bounds the datagram.
        // A capture cut by the snap length is shorter still; decode what is there.
        let end = min(bytes.count, offset + totalLength)
        packet.networkOffset = offset
        packet.ipPayloadOffset = offset + headerLength
        packet.ipEnd = end
        if header.fragmentOffset > 0 {
            // Not the first fragment: no transport header here.
            packet.payloadOffset = offset + headerLength
            packet.payloadLength = max(0, end - packet.payloadOffset)
            packet.payloadWireLength = totalLength - headerLength
            return
        }
        decodeTransport(bytes, protocolNumber: header.protocolNumber, at: offset + headerLength, end: end,
                        wireEnd: offset + totalLength, isIPv6: false, into: &packet)
    }

    static func decodeIPv6(_ bytes: UnsafeRawBufferPointer, at offset: Int, into packet: inout DecodedPacket) {
        guard bytes.count >= offset + 40 else {
            packet.malformation = Malformation(.ipv6, at: offset, "header truncated")
            return
        }
        let first = bytes.u32BE(at: offset)
        guard first >> 28 == 6 else {
            packet.malformation = Malformation(.ipv6, at: offset, "version is not 6")
            return
        }
        let payloadLength = Int(bytes.u16BE(at: offset + 4))
        var header = IPv6Header(
            trafficClass: UInt8(truncatingIfNeeded: first >> 20), flowLabel: first & 0xFFFFF,
            payloadLength: payloadLength, nextHeader: bytes[offset + 6], hopLimit: bytes[offset + 7],
            source: .ipv6(bytes, at: offset + 8), destination: .ipv6(bytes, at: offset + 24),
            upperProtocol: bytes[offset + 6], extensionHeaderCount: 0, isFragment: false,
            fragmentOffset: 0, moreFragments: false, fragmentIdentification: 0)
        // A jumbogram says 0 here; use what was captured then.
        let end = payloadLength == 0 ? bytes.count : min(bytes.count, offset + 40 + payloadLength)
        var next = header.nextHeader
        var position = offset + 40
        // Walk the extension headers; each has its own length rule.
        walk: while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard position + 2 <= end else {
                    packet.network = .ipv6(header)
                    packet.malformation = Malformation(.ipv6, at: position, "extension header truncated")
                    return
                }
                let length = (Int(bytes[position + 1]) + 1) * 8
                guard position + length <= end else {
                    packet.network = .ipv6(header)
                    packet.malformation = Malformation(.ipv6, at: position, "extension header truncated")
                    return
                }
                next = bytes[position]
                position += length
                header.extensionHeaderCount += 1
            case 44:  // fragment
                guard position + 8 <= end else {
                    packet.network = .ipv6(header)
                    packet.malformation = Malformation(.ipv6, at: position, "fragment header truncated")
                    return
                }
                let offsetAndFlags = bytes.u16BE(at: position + 2)
                header.isFragment = true
                header.fragmentOffset = Int(offsetAndFlags >> 3) * 8
                header.moreFragments = offsetAndFlags & 1 != 0
                header.fragmentIdentification = bytes.u32BE(at: position + 4)
                next = bytes[position]
                position += 8
                header.extensionHeaderCount += 1
            case 51:  // authentication header: length in 4-byte units, plus 2
                guard position + 2 <= end else {
                    packet.network = .ipv6(header)
                    packet.malformation = Malformation(.ipv6, at: position, "authentication header truncated")
                    return
                }
                let length = (Int(bytes[position + 1]) + 2) * 4
                guard position + length <= end else {
                    packet.network = .ipv6(header)
                    packet.malformation = Malformation(.ipv6, at: position, "authentication header truncated")
                    return
                }
                next = bytes[position]
                position += length
                header.extensionHeaderCount += 1
            default:
                break walk
            }
        }
        header.upperProtocol = next
        packet.network = .ipv6(header)
        packet.networkOffset = offset
        packet.ipPayloadOffset = position
        packet.ipEnd = end
        if header.isFragment && header.fragmentOffset > 0 {
            packet.payloadOffset = position
            packet.payloadLength = max(0, end - position)
            packet.payloadWireLength = packet.payloadLength
            return
        }
        let wireEnd = payloadLength == 0 ? end : offset + 40 + payloadLength
        decodeTransport(bytes, protocolNumber: next, at: position, end: end, wireEnd: wireEnd, isIPv6: true, into: &packet)
    }
}
