// Entry point of `ringdesk-fuzz-h2`, in both of its builds:
//
// - normal build: replays corpus files through the harness (see Replay.swift);
// - `-D FUZZING` build (scripts/fuzz/h2-server, with -sanitize=fuzzer,address): hands control to
//   libFuzzer (see FuzzEntry.swift).
//
// Why this is main.swift and not "no main at all" in the FUZZING build: on Linux SwiftPM compiles
// an executable target's entry point as `ringdesk_fuzz_h2_main` and links the product with
// `--defsym main=ringdesk_fuzz_h2_main`, so a FUZZING build without an entry point fails to link
// ("undefined symbol 'ringdesk_fuzz_h2_main'"), and libFuzzer's own `main` can never be the one
// used. So this file always provides the entry point, and in the FUZZING build it starts libFuzzer
// through `LLVMFuzzerRunDriver`, libFuzzer's documented entry for programs that own `main`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if FUZZING
exit(runLibFuzzer())
#else
exit(Replay.run(arguments: Array(CommandLine.arguments.dropFirst())))
#endif
