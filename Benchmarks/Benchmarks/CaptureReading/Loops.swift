import Benchmark
// CPcap is the main package's system library for libpcap; its module map comes with the Capture
// module that uses it, so the baseline calls exactly the libpcap the reader cross-checks against.
import CPcap
import Capture
import Wire

// The loops measured. Each touches every packet (its length, its decoded payload length) and
// hands the sum to `blackHole`, so the optimiser cannot drop the work.

/// Our reader only: pcap records to borrowed packets.
func readWithOurs(_ path: String) -> Int {
    var reader = open(path)
    var packets = 0
    var bytes = 0
    do {
        while let packet = try reader.nextPacket() {
            packets += 1
            bytes &+= packet.capturedLength
        }
    } catch { fatalError("\(error)") }
    blackHole(bytes)
    return packets
}

/// Our reader and the layer 2–4 decoder, decoding into one reused `DecodedPacket`.
func readAndDecodeWithOurs(_ path: String) -> Int {
    var reader = open(path)
    var decoded = DecodedPacket()
    var packets = 0
    var payload = 0
    do {
        while let packet = try reader.nextPacket() {
            packets += 1
            PacketDecoder.decode(packet, into: &decoded)
            payload &+= decoded.payloadLength
        }
    } catch { fatalError("\(error)") }
    blackHole(payload)
    return packets
}

/// The same with `decode(_:) -> DecodedPacket`, which returns the ~290-byte value by copy.
func readAndDecodeByValueWithOurs(_ path: String) -> Int {
    var reader = open(path)
    var packets = 0
    var payload = 0
    do {
        while let packet = try reader.nextPacket() {
            packets += 1
            payload &+= PacketDecoder.decode(packet).payloadLength
        }
    } catch { fatalError("\(error)") }
    blackHole(payload)
    return packets
}

/// The baseline: libpcap's own `pcap_next_ex` loop, the way a C tool reads a file.
func readWithLibpcap(_ path: String) -> Int {
    let handle = openLibpcap(path)
    defer { pcap_close(handle) }
    var header: UnsafeMutablePointer<pcap_pkthdr>?
    var data: UnsafePointer<UInt8>?
    var packets = 0
    var bytes = 0
    while pcap_next_ex(handle, &header, &data) == 1 {
        packets += 1
        bytes &+= Int(header!.pointee.caplen)
    }
    blackHole(bytes)
    return packets
}

/// libpcap's reader feeding our decoder: the same decoding work as `readAndDecodeWithOurs`.
func readAndDecodeWithLibpcap(_ path: String) -> Int {
    let handle = openLibpcap(path)
    defer { pcap_close(handle) }
    let linkType = LinkType(rawValue: UInt32(pcap_datalink(handle)))
    var header: UnsafeMutablePointer<pcap_pkthdr>?
    var data: UnsafePointer<UInt8>?
    var decoded = DecodedPacket()
    var packets = 0
    var payload = 0
    while pcap_next_ex(handle, &header, &data) == 1 {
        packets += 1
        let bytes = UnsafeRawBufferPointer(start: data, count: Int(header!.pointee.caplen))
        PacketDecoder.decode(bytes, linkType: linkType, into: &decoded)
        payload &+= decoded.payloadLength
    }
    blackHole(payload)
    return packets
}

func open(_ path: String) -> CaptureFileReader {
    do { return try CaptureFileReader(path: path) } catch { fatalError("\(error)") }
}

private func openLibpcap(_ path: String) -> OpaquePointer {
    var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
    guard let handle = pcap_open_offline(path, &errorBuffer) else {
        let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fatalError("libpcap refuses \(path): \(reason)")
    }
    return handle
}
