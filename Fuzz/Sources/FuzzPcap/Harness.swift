import FuzzEntries

/// libFuzzer's entry: the pcap walker.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = CaptureEntries.pcap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
