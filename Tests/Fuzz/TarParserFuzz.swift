// libFuzzer entry for TarParser (the tar format as a state machine). Built by scripts/fuzz.sh together with the
// pure tar sources only: swiftc -sanitize=fuzzer,address -parse-as-library. The driver lives in
// Tests/ArchiveTests/TarFuzzDriver.swift, where ArchiveTests replays the corpus with it.

#if TAR_FUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func tarParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let first = TarFuzzDriver.run(input)
    // Deterministic: the same bytes give the same members and the same verdict.
    precondition(TarFuzzDriver.run(input) == first)
    return 0
}
#endif
