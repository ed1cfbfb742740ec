import FuzzEntries

/// libFuzzer's entry: the OSCAR framer and FLAP/SNAC decoding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = StreamDecoderEntries.oscarFraming(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
