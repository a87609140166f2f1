#if !FUZZING
import Foundation
import RingdeskHTTP2

/// Replays fuzz inputs (files, or directories searched recursively) through the same harness the
/// fuzzer uses. Each input runs twice and both outcomes must match (the harness is deterministic);
/// a crash, a trap in the harness or a mismatch fails the run.
///
///     ringdesk-fuzz-h2 [--verbose] PATH...
enum Replay {
    static func run(arguments: [String]) -> Int32 {
        var verbose = false
        var paths: [String] = []
        for argument in arguments {
            switch argument {
            case "-v", "--verbose": verbose = true
            case "-h", "--help":
                print("usage: ringdesk-fuzz-h2 [--verbose] PATH...  (replays files and directories of fuzz inputs)")
                return 0
            default: paths.append(argument)
            }
        }
        guard !paths.isEmpty else {
            printError("usage: ringdesk-fuzz-h2 [--verbose] PATH...")
            return 2
        }

        var files: [URL] = []
        for path in paths {
            guard let found = inputs(at: path) else {
                printError("ringdesk-fuzz-h2: no such file or directory: \(path)")
                return 1
            }
            files += found
        }

        var ran = 0
        var failures = 0
        var totalBytes = 0
        let started = Date()
        for file in files {
            guard let data = try? Data(contentsOf: file) else {
                printError("FAIL \(file.path): cannot read")
                failures += 1
                continue
            }
            let bytes = [UInt8](data)
            let first = HTTP2FuzzHarness.feedServerConnection(bytes)
            let second = HTTP2FuzzHarness.feedServerConnection(bytes)
            ran += 1
            totalBytes += bytes.count
            if first != second {
                printError("FAIL \(file.path): not deterministic (\(first) vs \(second))")
                failures += 1
            } else if verbose {
                print("ok \(file.path) (\(bytes.count) bytes): \(first)")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("ringdesk-fuzz-h2: replayed \(ran) inputs (\(totalBytes) bytes) in \(String(format: "%.2f", seconds)) s")
        print("\(ran - failures) passed, \(failures) failed")
        if ran == 0 {
            printError("ringdesk-fuzz-h2: no inputs found")
            return 1
        }
        return failures == 0 ? 0 : 1
    }

    /// The file itself, or every regular file under the directory, sorted by path; nil if missing.
    static func inputs(at path: String) -> [URL]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let url = URL(fileURLWithPath: path)
        guard isDirectory.boolValue else { return [url] }
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var files: [URL] = []
        for case let file as URL in enumerator {
            if (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
               !file.lastPathComponent.hasPrefix(".") {
                files.append(file)
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
#endif
