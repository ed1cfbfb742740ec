import FuzzEntries

/// libFuzzer's entry: FLAP and SNAC decoding of one PDU.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = StreamDecoderEntries.oscarPDU(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
