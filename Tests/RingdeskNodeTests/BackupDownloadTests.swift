import Foundation
import Logging
import NIOCore
import NIOPosix
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// `GET /v1/admin/backups/{name}` and `ringdesk backup --output`, against real processes: the
/// snapshot the node just made comes back byte for byte; nothing but such a snapshot can be read
/// through the route; the CLI writes the file atomically and never overwrites without --force.
@Suite struct BackupDownloadTests {
    static let sqliteMagic = Data("SQLite format 3\u{0}".utf8)

    @Test func theNodeServesItsSnapshotByNameAndNothingElse() async throws {
        try await withNode(oneProcess: true) { node, api in
            for index in 0..<5 { _ = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-dl\(index)")) }
            let created = try await api.send("POST", "/v1/admin/backups")
            #expect(created.status == 201)
            let path = try #require(created.json["path"] as? String)
            let name = (path as NSString).lastPathComponent
            #expect(created.headers["location"] == "/v1/admin/backups/\(name)")
            #expect(name.wholeMatch(of: /ringdesk-\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-[0-9A-F]{8}\.sqlite/) != nil, "\(name)")

            let download = try await api.send("GET", "/v1/admin/backups/\(name)")
            #expect(download.status == 200)
            #expect(download.headers["content-type"] == "application/vnd.sqlite3")
            #expect(download.headers["content-length"] == String(created.json["bytes"] as? Int ?? -1))
            #expect(download.headers["x-request-id"] != nil)
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(download.body == onDisk, "the download is the snapshot, byte for byte")
            #expect(download.body.prefix(16) == Self.sqliteMagic)

            // Traversal and smuggling: every one is a 4xx JSON error, never file bytes.
            let database = "ringdesk.sqlite"
            let attempts = [
                "..", "%2E%2E", "..%2F\(database)", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "%2F", database,
                "\(name)%00", "%00", "\(name)%00.txt", "..%00\(name)", "\(name)%2F..%2F..%2F\(database)", ".\(name)",
                name.replacingOccurrences(of: ".sqlite", with: "%2Esqlite%2F"), name.lowercased(), "\(name)%20",
                "..%5C..%5C\(database)", String(repeating: "a", count: 200),
            ]
            for attempt in attempts {
                let reply = try await api.send("GET", "/v1/admin/backups/\(attempt)")
                #expect((400..<500).contains(reply.status), "\(attempt) answered \(reply.status)")
                #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "\(attempt)")
                #expect(reply.code != nil && reply.json["message"] is String, "\(attempt): \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
                #expect(!reply.body.starts(with: Self.sqliteMagic), "\(attempt)")
            }
            // More segments than the route has: no route (a client that does not squash `..` sends this).
            for raw in ["/v1/admin/backups/../\(database)", "/v1/admin/backups/../../\(database)", "/v1/admin/backups/\(name)/x"] {
                let reply = try await api.send("GET", raw)
                #expect(reply.status == 404 && reply.code == "not_found", "\(raw): \(reply.status)")
            }
            let nul = try await api.send("GET", "/v1/admin/backups/\(name)%00")
            #expect(nul.status == 400 && nul.code == "invalid_parameter")
            let dots = try await api.send("GET", "/v1/admin/backups/..")
            #expect(dots.status == 400 && dots.code == "invalid_parameter")
            let slash = try await api.send("GET", "/v1/admin/backups/..%2F\(database)")
            #expect(slash.status == 400 && slash.code == "invalid_parameter")
            let query = try await api.send("GET", "/v1/admin/backups/\(name)?path=/etc/passwd")
            #expect(query.status == 400 && query.code == "unknown_parameter")

            // A well-formed name with no snapshot behind it: 404. So is a link or a folder with
            // such a name (placed by someone on the host): links are not followed.
            let unknown = "ringdesk-2020-01-01T000000.000Z-00000000.sqlite"
            let missing = try await api.send("GET", "/v1/admin/backups/\(unknown)")
            #expect(missing.status == 404 && missing.code == "backup_not_found")
            let backups = (path as NSString).deletingLastPathComponent
            let link = "ringdesk-2020-01-01T000000.000Z-0000000A.sqlite"
            try FileManager.default.createSymbolicLink(atPath: backups + "/" + link, withDestinationPath: node.dataDirectory.appendingPathComponent(database).path)
            let linked = try await api.send("GET", "/v1/admin/backups/\(link)")
            #expect(linked.status == 404 && linked.code == "backup_not_found", "a symbolic link is not served")
            let folder = "ringdesk-2020-01-01T000000.000Z-0000000B.sqlite"
            try FileManager.default.createDirectory(atPath: backups + "/" + folder, withIntermediateDirectories: false)
            let directory = try await api.send("GET", "/v1/admin/backups/\(folder)")
            #expect(directory.status == 404 && directory.code == "backup_not_found")

            // Only GET: nothing deletes or replaces a snapshot through the API.
            let put = try await api.send("PUT", "/v1/admin/backups/\(name)", raw: "x")
            #expect(put.status == 405)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == onDisk)
        }
    }

    @Test func theCLIWritesTheDownloadAtomicallyAndKeepsExistingFiles() async throws {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-backup-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: local) }
        try await withNode(oneProcess: true) { node, api in
            let ringdesk = try NodeProcess.executable("ringdesk").path
            let address = "127.0.0.1:\(node.port)"
            func backup(_ arguments: [String]) async throws -> ProgramResult {
                try await runProgram(ringdesk, ["--node", address, "backup"] + arguments, timeout: 60)
            }
            /// The node-side path the CLI printed.
            func nodePath(_ result: ProgramResult) throws -> String {
                String(try #require(result.stdout.firstMatch(of: /backup written on the node's host: (\S+) \(\d+ bytes\)/)).1)
            }
            func leftovers() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: local.path).filter { $0.hasSuffix(".partial") }
            }
            _ = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-out-1"))
            let output = local.appendingPathComponent("ringdesk.sqlite").path

            // Download to a new file.
            let first = try await backup(["--output", output])
            #expect(first.status == 0, "\(first.stderr)")
            let firstSnapshot = try nodePath(first)
            let written = try Data(contentsOf: URL(fileURLWithPath: output))
            #expect(written == (try Data(contentsOf: URL(fileURLWithPath: firstSnapshot))), "the local file is the node's snapshot")
            #expect(written.prefix(16) == Self.sqliteMagic)
            #expect(first.stdout.contains("downloaded to \(output) (\(written.count) bytes)"), "\(first.stdout)")
            let mode = try FileManager.default.attributesOfItem(atPath: output)[.posixPermissions] as? Int
            #expect(mode == 0o600, "a backup holds customer data: owner-only, got \(String(mode ?? 0, radix: 8))")
            #expect(try leftovers().isEmpty)

            // The same path again: refused, non-zero, the file untouched.
            _ = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-out-2"))
            let again = try await backup(["--output", output])
            #expect(again.status != 0)
            #expect(again.stderr.contains("error: output_error:") && again.stderr.contains("exists") && again.stderr.contains("--force"), "\(again.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == written)
            #expect(try leftovers().isEmpty)

            // --force replaces it with the new snapshot, which has the later ticket.
            let forced = try await backup(["--output", output, "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            let replaced = try Data(contentsOf: URL(fileURLWithPath: output))
            #expect(replaced == (try Data(contentsOf: URL(fileURLWithPath: try nodePath(forced)))))
            #expect(try leftovers().isEmpty)
            if (try? await runProgram("sqlite3", ["-version"], timeout: 10))?.status == 0 {
                let count = try await runProgram("sqlite3", [output, "select count(*) from tickets"], timeout: 30)
                #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(count.stdout) \(count.stderr)")
            }

            // A directory receives the snapshot under its own name; --json adds where it went.
            let intoDirectory = try await backup(["--output", local.path, "--json"])
            #expect(intoDirectory.status == 0, "\(intoDirectory.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(intoDirectory.stdout.utf8)) as? [String: Any])
            let nodeSide = try #require(object["path"] as? String)
            #expect(object["output"] as? String == local.appendingPathComponent((nodeSide as NSString).lastPathComponent).path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: object["output"] as? String ?? "")) == (try Data(contentsOf: URL(fileURLWithPath: nodeSide))))

            // A destination that cannot be written: a clear error and no backup is asked for.
            let before = try FileManager.default.contentsOfDirectory(atPath: (nodeSide as NSString).deletingLastPathComponent).count
            let nowhere = try await backup(["--output", local.appendingPathComponent("missing/dir/x.sqlite").path])
            #expect(nowhere.status != 0)
            #expect(nowhere.stderr.contains("does not exist"), "\(nowhere.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: (nodeSide as NSString).deletingLastPathComponent).count == before)
            let misuse = try await backup(["--force"])
            #expect(misuse.status != 0 && misuse.stderr.contains("--force only applies with --output"), "\(misuse.stderr)")

            // Without --output, the default is unchanged: the node's host only.
            let plain = try await backup([])
            #expect(plain.status == 0 && !plain.stdout.contains("downloaded"), "\(plain.stdout)")
            #expect(FileManager.default.fileExists(atPath: try nodePath(plain)))
        }
    }

    /// A node that breaks the download (fewer bytes than announced, or not a database): the CLI
    /// exits non-zero with an error, and neither the destination nor a temporary file is left.
    @Test(arguments: ["truncated", "not-sqlite"])
    func aBrokenDownloadLeavesNoFile(_ fault: String) async throws {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-backup-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: local) }
        let name = "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite"
        let announced = 600_000
        var router = HTTP2Router()
        router.add("POST", "/v1/admin/backups", .inline { _ in
            HTTP2Response(status: 201, headers: HTTP2Headers([("content-type", "application/json"), ("location", "/v1/admin/backups/\(name)")]),
                          body: ByteBuffer(string: #"{"path":"/srv/ringdesk/data/backups/\#(name)","bytes":\#(announced)}"#))
        })
        router.add("GET", "/v1/admin/backups/{name}", .streaming { _, writer in
            try await writer.writeHead(status: 200, headers: HTTP2Headers([("content-type", "application/vnd.sqlite3"), ("content-length", "\(announced)")]))
            let head = fault == "not-sqlite" ? "<html>login</html>     " : "SQLite format 3\u{0}"
            try await writer.write(ByteBuffer(string: head))
            let size = fault == "not-sqlite" ? announced - head.utf8.count : 300_000
            try await writer.write(ByteBuffer(repeating: 0, count: size))
            try await writer.finish()
        })
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "backup-fault")
        logger.logLevel = .critical
        let server = try HTTP2Server(host: "127.0.0.1", port: 0, router: router, group: group, logger: logger)
        let running = Task { try await server.run() }
        defer {
            server.beginShutdown()
            running.cancel()
        }
        let port = try await server.localAddress.port!
        let output = local.appendingPathComponent("backup.sqlite").path
        let result = try await runProgram(try NodeProcess.executable("ringdesk").path,
                                          ["--node", "127.0.0.1:\(port)", "--timeout", "10", "backup", "--output", output], timeout: 60)
        #expect(result.status != 0, "\(result.stdout)")
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        if fault == "not-sqlite" { #expect(result.stderr.contains("not an SQLite database"), "\(result.stderr)") }
        if fault == "truncated" { #expect(result.stderr.contains("download_incomplete") && result.stderr.contains("of 600000 bytes"), "\(result.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: output), "a failed download leaves no file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: local.path).isEmpty, "and no temporary file")
        server.beginShutdown()
        _ = try? await running.value
        try await group.shutdownGracefully()
    }
}
