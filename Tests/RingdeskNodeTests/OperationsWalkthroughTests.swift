import Foundation
import RingdeskTestSupport
import Testing

/// Runs every command of docs/operations.md's walkthrough, in order, as one bash script against
/// the built binaries on a free port, in a throwaway directory. The node it starts is stopped by
/// the PID the walkthrough records, also when a step fails.
@Suite struct OperationsWalkthroughTests {
    /// The `sh` blocks of the "Walkthrough" section.
    static func walkthroughScript() throws -> String {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        guard let start = text.range(of: "## Walkthrough") else { return "" }
        let section = text[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        var blocks: [String] = []
        var current: [String]?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```sh" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return blocks.joined(separator: "\n")
    }

    @Test func everyWalkthroughCommandRuns() async throws {
        let script = try Self.walkthroughScript()
        #expect(script.components(separatedBy: "ringdesk").count > 20, "the walkthrough has its commands")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-walkthrough-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try NodeProcess.freePort()
        let binaries = try NodeProcess.executable("ringdeskd").deletingLastPathComponent().path
        let wrapped = """
        set -euo pipefail
        cd '\(directory.path)'
        export PATH='\(binaries)':"$PATH" RINGDESK_PORT=\(port) RINGDESK_NODE=127.0.0.1:\(port)
        trap 'pid=$(cat "\(directory.path)/ringdesk-node/ringdeskd.pid" 2>/dev/null || true); [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true' EXIT
        \(script)
        """
        let scriptFile = directory.appendingPathComponent("walkthrough.sh")
        try wrapped.write(to: scriptFile, atomically: true, encoding: .utf8)
        let result = try await runProgram("bash", [scriptFile.path], timeout: 180)
        #expect(result.status == 0, "walkthrough failed:\n\(result.stdout.suffix(2000))\n\(result.stderr.suffix(2000))")
        #expect(result.stdout.contains("\"offer_timeout\":45"), "the reload took effect")
        #expect(result.stdout.contains("relaxation_level") || result.stdout.contains("offered"), "the history was shown")
        #expect(result.stdout.contains("downloaded to ringdesk-backup.sqlite"), "the backup was downloaded")
        #expect(result.stdout.contains("kept: the file exists"), "a second download to the same file was refused")
    }
}
