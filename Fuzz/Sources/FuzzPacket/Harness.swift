import FuzzEntries

/// libFuzzer's entry: the link/IP/transport decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = PacketEntries.packet(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
