import Bytes
import Capture

/// The capture file walkers: bytes read as a pcap or pcapng file, every packet and error taken
/// until the reader ends.
public enum CaptureEntries {
    /// Classic pcap only (inputs with another magic number are not this harness's).
    public static func pcap(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        guard bytes.count >= 4 else { return FuzzTally() }
        switch bytes.u32LE(at: 0) {
        case 0xA1B2_C3D4, 0xA1B2_3C4D, 0xD4C3_B2A1, 0x4D3C_B2A1: return walk(bytes)
        default: return FuzzTally()
        }
    }

    /// pcapng only.
    public static func pcapng(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        guard bytes.count >= 4, bytes.u32LE(at: 0) == 0x0A0D_0D0A else { return FuzzTally() }
        return walk(bytes)
    }

    static func walk(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var tally = FuzzTally()
        let reader: CaptureFileReader
        do {
            reader = try CaptureFileReader(input: MemoryFile.shared.input(bytes), name: "fuzz")
        } catch {
            tally.malformed += 1
            return tally
        }
        var source = reader
        var checksum: UInt8 = 0
        // Bounded: a reader that never ends (a bug) would show as a fuzzer timeout.
        while true {
            do {
                guard let packet = try source.nextPacket() else { break }
                tally.decoded += 1
                tally.saw(kind: Int(packet.linkType.rawValue % 64))
                // Touch every byte lent, as a decoder would; ASan checks they are the file's.
                for b in packet.bytes { checksum &+= b }
                _ = packet.interfaceIndex < source.interfaces.count
            } catch {
                tally.malformed += 1
                _ = error.message
                if error.isFatal { break }
            }
        }
        tally.fields = Int(checksum)
        return tally
    }
}
