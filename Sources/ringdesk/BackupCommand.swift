import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RingdeskAPI
import RingdeskHTTP2

/// `ringdesk backup`: asks the node for a consistent snapshot of its data, written on its host;
/// with `--output`, also downloads that snapshot to a file on this machine.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent snapshot of the node's database on the node's host; --output also downloads it here.",
        discussion: """
        The node keeps serving while it writes, always into data_dir/backups on its own host. With --output PATH the \
        snapshot is then downloaded over the API (GET /v1/admin/backups/{name}) and written to PATH on this machine \
        atomically (a temporary file beside PATH, synced, then renamed): PATH is complete or absent, never half-written. \
        An existing PATH is kept unless --force; a directory PATH receives the snapshot under its own name. Restore: stop a \
        node, make the snapshot its data directory's ringdesk.sqlite, start it (docs/operations.md).
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("output"), help: ArgumentHelp("Also download the snapshot to this file (or directory) on this machine.", valueName: "path"))
    var output: String?
    @Flag(help: "With --output: replace an existing file.") var force = false

    func validate() throws {
        if force && output == nil { throw ValidationError("--force only applies with --output") }
        if let output, output.isEmpty { throw ValidationError("--output needs a path") }
    }

    func run() async throws {
        // Refuse before the node does any work when the destination cannot be used.
        let destination = try output.map { try BackupDestination(path: $0, force: force) }
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/admin/backups")
            let backup = try reply.decode(BackupResponse.self)
            guard let destination else {
                if global.json { print(reply.text) } else { print("backup written on the node's host: \(backup.path) (\(backup.bytes) bytes)") }
                return
            }
            let location = Self.downloadPath(location: reply.headers["location"], nodePath: backup.path)
            let name = String(location.split(separator: "/").last ?? "")
            let file = try destination.file(named: name.removingPercentEncoding ?? name)
            let bytes = try await BackupDownload(client: client, path: location, idleTimeout: global.timeout).write(to: file, force: force)
            if global.json {
                var object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
                object["output"] = file
                object["output_bytes"] = bytes
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("backup written on the node's host: \(backup.path) (\(backup.bytes) bytes)")
                print("downloaded to \(file) (\(bytes) bytes)")
            }
        }
    }

    /// The node's `location` for the new snapshot; from the file name when a node does not send one.
    static func downloadPath(location: String?, nodePath: String) -> String {
        let prefix = "/v1/admin/backups/"
        if let location, location.hasPrefix(prefix), location.count > prefix.count, !location.contains("?") { return location }
        return prefix + segment((nodePath as NSString).lastPathComponent)
    }
}

/// Where `--output` points: a file path (new, or replaced with --force) or an existing directory.
/// Checked before the backup is made, and again once the file name is known.
struct BackupDestination {
    let path: String
    let isDirectory: Bool
    let force: Bool

    init(path given: String, force: Bool) throws {
        let path = (given as NSString).expandingTildeInPath
        var directory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &directory) {
            if !directory.boolValue && !force {
                throw CLIError.output("\(path) exists; choose another path or add --force to replace it")
            }
        } else {
            let parent = (path as NSString).deletingLastPathComponent
            var parentIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &parentIsDirectory), parentIsDirectory.boolValue else {
                throw CLIError.output("cannot write \(path): the directory \(parent) does not exist")
            }
        }
        self.path = path
        self.isDirectory = directory.boolValue
        self.force = force
    }

    /// The file to write: `path` itself, or the snapshot's own name inside the directory `path`.
    func file(named name: String) throws -> String {
        guard isDirectory else { return path }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CLIError.badResponse("the node named its backup '\(name)', which is not a file name")
        }
        let file = (path as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: file) && !force {
            throw CLIError.output("\(file) exists; choose another path or add --force to replace it")
        }
        return file
    }
}

/// Streams one snapshot from the node into an `AtomicFile`, checking its length against
/// `content-length` and its first bytes against SQLite's header; gives up when no byte arrives
/// for `idleTimeout` seconds.
struct BackupDownload {
    let client: NodeClient
    let path: String
    let idleTimeout: Double

    static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// Downloads to `file` and answers the number of bytes written.
    func write(to file: String, force: Bool) async throws -> Int {
        let response = try await client.stream(path, accept: "application/vnd.sqlite3")
        guard let expected = response.headers["content-length"].flatMap(Int.init), expected >= 0 else {
            throw CLIError.badResponse("the node sent the backup without a valid content-length")
        }
        let target = try AtomicFile(destination: file)
        do {
            let received = try await receive(response.body, expected: expected, into: target)
            guard received == expected else {
                throw CLIError.transport(node: client.label, code: "download_incomplete",
                                         detail: "the backup ended after \(received) of \(expected) bytes; nothing was written")
            }
            try target.commit(replacing: force)
            return received
        } catch {
            target.discard()
            throw error
        }
    }

    private func receive(_ body: HTTP2ResponseBody, expected: Int, into target: AtomicFile) async throws -> Int {
        let lastProgress = NIOLockedValueBox(ContinuousClock.now)
        let label = client.label
        let idleTimeout = idleTimeout
        return try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                var received = 0
                var head: [UInt8] = []
                do {
                    for try await chunk in body {
                        if head.count < Self.sqliteMagic.count {
                            head += chunk.readableBytesView.prefix(Self.sqliteMagic.count - head.count)
                            if head.count == Self.sqliteMagic.count, head != Self.sqliteMagic {
                                throw CLIError.badResponse("the node's download is not an SQLite database")
                            }
                        }
                        try target.write(chunk)
                        received += chunk.readableBytes
                        lastProgress.withLockedValue { $0 = .now }
                    }
                } catch let error as CLIError {
                    throw error
                } catch {
                    let cause = client.mapped(error, seconds: idleTimeout)
                    throw CLIError.transport(node: label, code: "download_incomplete",
                                             detail: "the backup stopped after \(received) of \(expected) bytes (\(cause)); nothing was written")
                }
                if received > 0, head.count < Self.sqliteMagic.count {
                    throw CLIError.badResponse("the node's download is not an SQLite database")
                }
                return received
            }
            group.addTask {
                // The watchdog: returns nil never; throws when the stream stalls.
                while true {
                    try await Task.sleep(for: .milliseconds(200))
                    let idle = ContinuousClock.now - lastProgress.withLockedValue { $0 }
                    if idle > .milliseconds(Int64(idleTimeout * 1000)) {
                        throw CLIError.timedOut(node: label, seconds: idleTimeout)
                    }
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let received = result { return received }
            }
            throw CLIError.badResponse("the backup download ended without a result")
        }
    }
}
