import FuzzEntries

/// libFuzzer's entry: the ICQ peer-to-peer decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = StreamDecoderEntries.peer(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
