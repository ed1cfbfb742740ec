import Bytes

extension PacketDecoder {
    /// Decodes UDP, TCP, ICMP or ICMPv6 between `offset` and `end` (the IP datagram's end).
    /// `end` bounds what was captured; `wireEnd` is where the datagram ends on the wire.
    static func decodeTransport(_ bytes: UnsafeRawBufferPointer, protocolNumber: UInt8, at offset: Int,
                                end: Int, wireEnd: Int, isIPv6: Bool, into packet: inout DecodedPacket) {
        defer {
            if packet.payloadOffset > 0 {
                packet.payloadWireLength = max(packet.payloadLength, wireEnd - packet.payloadOffset)
            }
        }
        switch protocolNumber {
        case IPProtocol.udp: decodeUDP(bytes, at: offset, end: end, into: &packet)
        case IPProtocol.tcp: decodeTCP(bytes, at: offset, end: end, into: &packet)
        case IPProtocol.icmp where !isIPv6: decodeICMP(bytes, at: offset, end: end, isIPv6: false, into: &packet)
        case IPProtocol.icmpv6 where isIPv6: decodeICMP(bytes, at: offset, end: end, isIPv6: true, into: &packet)
        default:
            packet.payloadOffset = offset
            packet.payloadLength = max(0, end - offset)
        }
    }

    static func decodeUDP(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket) {
        guard end >= offset + 8 else {
            packet.malformation = Malformation(.udp, at: offset, "header truncated")
            return
        }
        let length = Int(bytes.u16BE(at: offset + 4))
        let header = UDPHeader(
            sourcePort: bytes.u16BE(at: offset), destinationPort: bytes.u16BE(at: offset + 2),
            length: length, checksum: bytes.u16BE(at: offset + 6))
        packet.transport = .udp(header)
        guard length >= 8 else {
            packet.malformation = Malformation(.udp, at: offset + 4, "length below 8")
            return
        }
        packet.payloadOffset = offset + 8
        // The UDP length bounds the payload; a snap length may cut it shorter.
        packet.payloadLength = max(0, min(end, offset + length) - packet.payloadOffset)
    }

    static func decodeTCP(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket) {
        guard end >= offset + 20 else {
            packet.malformation = Malformation(.tcp, at: offset, "header truncated")
            return
        }
        let dataOffsetAndFlags = bytes.u16BE(at: offset + 12)
        let headerLength = Int(dataOffsetAndFlags >> 12) * 4
        var header = TCPHeader(
            sourcePort: bytes.u16BE(at: offset), destinationPort: bytes.u16BE(at: offset + 2),
            sequenceNumber: bytes.u32BE(at: offset + 4), acknowledgementNumber: bytes.u32BE(at: offset + 8),
            headerLength: headerLength, flags: dataOffsetAndFlags & 0x0FFF,
            window: bytes.u16BE(at: offset + 14), checksum: bytes.u16BE(at: offset + 16),
            urgentPointer: bytes.u16BE(at: offset + 18), options: TCPOptions())
        guard headerLength >= 20 else {
            packet.transport = .tcp(header)
            packet.malformation = Malformation(.tcp, at: offset + 12, "header length below 20")
            return
        }
        guard end >= offset + headerLength else {
            packet.transport = .tcp(header)
            packet.malformation = Malformation(.tcp, at: offset + 20, "options truncated")
            return
        }
        header.options = decodeTCPOptions(bytes, from: offset + 20, to: offset + headerLength)
        packet.transport = .tcp(header)
        packet.payloadOffset = offset + headerLength
        packet.payloadLength = end - packet.payloadOffset
    }

    static func decodeTCPOptions(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> TCPOptions {
        var options = TCPOptions()
        var position = start
        while position < end {
            let kind = bytes[position]
            if kind == 0 { break }
            if kind == 1 { position += 1; continue }
            guard position + 2 <= end else { break }
            let length = Int(bytes[position + 1])
            guard length >= 2, position + length <= end else { break }
            switch (kind, length) {
            case (2, 4): options.maximumSegmentSize = bytes.u16BE(at: position + 2)
            case (3, 3): options.windowScale = bytes[position + 2]
            case (4, 2): options.sackPermitted = true
            case (5, _): options.sackBlocks = (length - 2) / 8
            case (8, 10):
                options.timestampValue = bytes.u32BE(at: position + 2)
                options.timestampEcho = bytes.u32BE(at: position + 6)
            default: break
            }
            position += length
        }
        return options
    }

    static func decodeICMP(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, isIPv6: Bool,
                           into packet: inout DecodedPacket) {
        let layer: Malformation.Layer = isIPv6 ? .icmpv6 : .icmp
        guard end >= offset + 8 else {
            packet.malformation = Malformation(layer, at: offset, "header truncated")
            return
        }
        var message = ICMPMessage(type: bytes[offset], code: bytes[offset + 1], checksum: bytes.u16BE(at: offset + 2))
        let isError: Bool
        let isEcho: Bool
        if isIPv6 {
            isError = message.type < 128  // 1 unreachable, 2 too big, 3 time exceeded, 4 parameter problem
            isEcho = message.type == 128 || message.type == 129
        } else {
            isError = message.type == 3 || message.type == 11 || message.type == 12 || message.type == 4 || message.type == 5
            isEcho = message.type == 0 || message.type == 8
        }
        if isEcho {
            message.identifier = bytes.u16BE(at: offset + 4)
            message.sequence = bytes.u16BE(at: offset + 6)
        }
        packet.payloadOffset = offset + 8
        packet.payloadLength = end - packet.payloadOffset
        if isError {
            message.quoted = decodeQuoted(bytes, at: offset + 8, end: end, isIPv6: isIPv6)
            if message.quoted == nil {
                packet.transport = isIPv6 ? .icmpv6(message) : .icmp(message)
                packet.malformation = Malformation(layer, at: offset + 8, "quoted datagram truncated")
                return
            }
        }
        packet.transport = isIPv6 ? .icmpv6(message) : .icmp(message)
    }

    /// The IP header (and the first 8 bytes after it) that an ICMP error quotes.
    static func decodeQuoted(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, isIPv6: Bool) -> QuotedDatagram? {
        var quoted: QuotedDatagram
        var transportOffset: Int
        if !isIPv6 {
            guard end >= offset + 20, bytes[offset] >> 4 == 4 else { return nil }
            let headerLength = Int(bytes[offset] & 0x0F) * 4
            guard headerLength >= 20 else { return nil }
            quoted = QuotedDatagram(
                source: .ipv4(bytes, at: offset + 12), destination: .ipv4(bytes, at: offset + 16),
                protocolNumber: bytes[offset + 9], sourcePort: nil, destinationPort: nil,
                ttl: bytes[offset + 8], identification: bytes.u16BE(at: offset + 4))
            transportOffset = offset + headerLength
            // A quoted non-first fragment carries no ports.
            if bytes.u16BE(at: offset + 6) & 0x1FFF != 0 { return quoted }
        } else {
            guard end >= offset + 40, bytes[offset] >> 4 == 6 else { return nil }
            quoted = QuotedDatagram(
                source: .ipv6(bytes, at: offset + 8), destination: .ipv6(bytes, at: offset + 24),
                protocolNumber: bytes[offset + 6], sourcePort: nil, destinationPort: nil,
                ttl: bytes[offset + 7], identification: 0)
            transportOffset = offset + 40
        }
        let proto = quoted.protocolNumber
        if (proto == IPProtocol.udp || proto == IPProtocol.tcp) && end >= transportOffset + 4 {
            quoted.sourcePort = bytes.u16BE(at: transportOffset)
            quoted.destinationPort = bytes.u16BE(at: transportOffset + 2)
        }
        // The quoted UDP payload, which the ICQ decoders read "as far as it goes".
        if proto == IPProtocol.udp && end >= transportOffset + 8 {
            let udpLength = Int(bytes.u16BE(at: transportOffset + 4))
            if udpLength >= 8 {
                quoted.udpPayloadOffset = transportOffset + 8
                quoted.udpPayloadQuoted = min(end, transportOffset + udpLength) - quoted.udpPayloadOffset
                quoted.udpPayloadWireLength = udpLength - 8
            }
        }
        return quoted
    }
}
