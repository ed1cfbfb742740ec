import FuzzEntries

/// libFuzzer's entry: the whole analysis on a capture file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = AnalysisEntries.analysis(UnsafeRawBufferPointer(start: data, count: size), quiet: true)
    return 0
}
