import FuzzEntries

/// libFuzzer's entry: the pcapng walker.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = CaptureEntries.pcapng(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
