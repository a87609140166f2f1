#if FUZZING
import RingdeskHTTP2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// WHY THIS FILE USES C POINTERS AND @convention(c) OUTSIDE RingdeskHTTP2
//
// Ringdesk keeps C pointers, `Unmanaged` and `@convention(c)` inside RingdeskHTTP2. This file is
// the one exception, because libFuzzer's C ABI strictly requires it:
// - libFuzzer calls `int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)`; the input
//   arrives only as that pointer and length, and is copied into a Swift array at once;
// - `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`
//   starts libFuzzer from our own entry point (see main.swift for why we need one), and takes
//   pointers to argc/argv and a C function pointer.
// Nothing else here touches memory; everything past the copy is the safe `HTTP2FuzzHarness` API.
// `@_extern(c)` needs `-enable-experimental-feature Extern`, which scripts/fuzz/h2-server passes
// together with -D FUZZING.

@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerConnection(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    HTTP2FuzzHarness.feedServerConnection(bytes)
    return 0
}

func runLibFuzzer() -> Int32 {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzServerConnection)
}
#endif
