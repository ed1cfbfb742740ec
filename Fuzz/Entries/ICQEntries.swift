import Bytes
import Report
import Wire

/// Classic ICQ over UDP: each decoder (v2, v3, v4, v5, client and server), by port rules or
/// with a known direction, and the v5/v4 client ciphers.
public enum ICQEntries {
    nonisolated(unsafe) static let decoder = ICQDecoder()

    /// The first byte picks how the rest (a UDP payload) reaches the decoder:
    /// bits 0-1: 0 = classified by ports (bits 2-3: to 4000, from 4000, both, neither),
    /// 1 = client to server, 2 = server to client, 3 = version forced to 2 + bits 2-3 (the first
    /// two bytes are overwritten) and direction bit 4.
    public static func icq(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var input = FuzzInput(bytes)
        let selector = input.byte()
        let payload = input.rest()
        let result: ICQClassification
        switch selector & 3 {
        case 0:
            let ports: (UInt16, UInt16) = [(40_000, 4000), (4000, 40_000), (4000, 4000), (40_000, 40_001)][Int(selector >> 2) & 3]
            result = decoder.classify(payload, sourcePort: ports.0, destinationPort: ports.1)
        case 1:
            result = decoder.decode(payload, direction: .clientToServer)
        case 2:
            result = decoder.decode(payload, direction: .serverToClient)
        default:
            guard payload.count >= 2 else { return FuzzTally() }
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count, alignment: 8)
            defer { copy.deallocate() }
            copy.copyMemory(from: payload)
            copy[0] = 2 + (selector >> 2) & 3
            copy[1] = 0
            result = decoder.decode(UnsafeRawBufferPointer(copy), direction: selector & 0x10 == 0 ? .clientToServer : .serverToClient)
            return tally(result)
        }
        return tally(result)
    }

    static func tally(_ result: ICQClassification) -> FuzzTally {
        var tally = FuzzTally()
        switch result {
        case .icq(let packet):
            tally.decoded += 1
            tally.saw(kind: Int(packet.header.version) * 2 + (packet.header.direction == .clientToServer ? 0 : 1))
            var visitor = RenderingVisitor()
            packet.visitFields(&visitor, revealSecrets: true)
            packet.visitFields(&visitor, revealSecrets: false)
            tally.fields += visitor.fields
            ICQDecoder.forEachInnerPacket(of: packet) { _, inner in
                tally.saw(kind: 20)
                tally = tally + Self.tally(inner)
            }
        case .malformed:
            tally.malformed += 1
        case .notICQ:
            break
        }
        var json = JSONWriter(capacity: 1024)
        ICQRecord.write(&json, result, revealSecrets: false)
        tally.fields += json.buffer.count + (ICQRecord.text(result, revealSecrets: true)?.utf8.count ?? 0)
        return tally
    }

    /// The client ciphers as a property: a plaintext packet (the first two bytes say v5 or v4,
    /// byte 2 and 3 are the sender's random choices R1 and R2, the rest is the packet from its
    /// third byte) encrypted as a client does must decrypt to itself and pass its checkcode.
    /// Traps (a failed property) are findings.
    public static func clientCipher(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var input = FuzzInput(bytes)
        let v4 = input.byte() & 1 == 1
        let r1Choice = Int(input.byte())
        let r2 = input.byte()
        let body = input.rest()
        let count = 2 + body.count
        let minimum = v4 ? ICQV4Cipher.headerLength : 24
        guard count >= minimum, count <= ICQDecoder.scratchCapacity else { return FuzzTally() }
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        defer { plain.deallocate(); wire.deallocate() }
        plain[0] = v4 ? 4 : 5
        plain[1] = 0
        UnsafeMutableRawBufferPointer(rebasing: plain[2...]).copyMemory(from: body)
        var tally = FuzzTally()
        if v4 {
            plain.storeBytes(of: 0, toByteOffset: 4, as: UInt16.self)  // the ZERO field
            plain.storeBytes(of: 0, toByteOffset: ICQV4Cipher.checkcodeOffset, as: UInt32.self)
            wire.copyMemory(from: UnsafeRawBufferPointer(plain))
            let r1 = r1Choice % count
            let checkcode = ICQV4Cipher.encrypt(wire, r1: r1, r2: r2)
            let back = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            defer { back.deallocate() }
            back.copyMemory(from: UnsafeRawBufferPointer(wire))
            precondition(ICQV4Cipher.decrypt(back) == checkcode, "v4: the checkcode read back differs")
            back.storeBytes(of: 0, toByteOffset: ICQV4Cipher.checkcodeOffset, as: UInt32.self)
            precondition(back.elementsEqual(plain), "v4: decrypting an encrypted packet does not give the plaintext")
            precondition(ICQV5Cipher.isValid(checkcode: checkcode, plaintext: UnsafeRawBufferPointer(back),
                                             checkcodeOffset: ICQV4Cipher.checkcodeOffset, table: ICQV4Cipher.table),
                         "v4: a client's checkcode does not validate")
            tally = Self.tally(decoder.decode(UnsafeRawBufferPointer(wire), direction: .clientToServer))
            tally.saw(kind: 40)
        } else {
            for i in 2..<6 { plain[i] = 0 }  // the client header's zero field
            plain.storeBytes(of: 0, toByteOffset: ICQV5Cipher.clientCheckcodeOffset, as: UInt32.self)
            wire.copyMemory(from: UnsafeRawBufferPointer(plain))
            let r1 = r1Choice % min(count, 256)
            let checkcode = ICQV5Cipher.encryptClient(wire, r1: r1, r2: r2)
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            defer { scratch.deallocate() }
            let (readBack, _) = ICQV5Cipher.decryptClient(UnsafeRawBufferPointer(wire), into: scratch)
            precondition(readBack == checkcode, "v5: the checkcode read back differs")
            precondition(scratch.elementsEqual(plain), "v5: decrypting an encrypted packet does not give the plaintext")
            let result = decoder.decode(UnsafeRawBufferPointer(wire), direction: .clientToServer)
            if case .malformed(let m, _) = result {
                precondition(m.reason.description != "checkcode", "v5: a client's checkcode does not validate")
            }
            tally = Self.tally(result)
            tally.saw(kind: 41)
        }
        return tally
    }
}
