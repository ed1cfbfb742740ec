import FuzzEntries

/// libFuzzer's entry: the SOCKS handshake and UDP header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = StreamDecoderEntries.socks(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
