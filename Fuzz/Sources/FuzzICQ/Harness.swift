import FuzzEntries

/// libFuzzer's entry: the classic ICQ decoders, v2-v5, both directions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = ICQEntries.icq(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
