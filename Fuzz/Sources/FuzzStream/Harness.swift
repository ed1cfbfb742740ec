import FuzzEntries

/// libFuzzer's entry: the stream consumer over TCP reassembly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = ReassemblyEntries.stream(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
