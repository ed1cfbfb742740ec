import FuzzEntries

/// libFuzzer's entry: the v5 and v4 client ciphers (encrypt, decrypt, checkcode).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = ICQEntries.clientCipher(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
