#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import RingdeskAPI
import RingdeskHTTP2
import RingdeskService

/// Backups: the node writes snapshots only into `data_dir/backups` (no client picks a path on the
/// node's host) and serves them back by name, so an operator can keep one on another machine
/// (`ringdesk backup --output PATH`).
extension NodeAPI {
    static let backupRoute = "/v1/admin/backups/{name}"
    /// Bytes read from disk and written to the stream at a time.
    static let backupChunkBytes = 256 * 1024

    /// The folder of the snapshots, beside the database.
    var backupsDirectory: String {
        (service.storage.configuration.path as NSString).deletingLastPathComponent + "/backups"
    }

    /// Writes a consistent snapshot (SQLite `VACUUM INTO`, then fsync) next to the database, in
    /// `backups/`, while the node keeps serving; `location` names it for the download route.
    /// Restoring is documented in docs/operations.md.
    @Sendable func backup(_ request: HTTP2Request) async throws -> HTTP2Response {
        let storage = service.storage
        let directory = backupsDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let name = BackupName.make(stamp: ISO8601Millis.string(service.clock.now())) else {
            throw APIError(status: 500, code: "internal_error", message: "the node's clock gives a time that does not fit a backup name")
        }
        let path = URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL.path
        try await storage.backup(to: path)
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return try APIJSON.response(BackupResponse(path: path, bytes: bytes), status: 201, headers: [("location", "/v1/admin/backups/\(name)")])
    }

    /// `GET /v1/admin/backups/{name}`: streams one snapshot with its length, read off the
    /// cooperative pool. A name that is not of the shape the node makes is refused (400) before
    /// the disk is touched; a well-formed name with no regular file behind it is 404.
    func downloadBackup(_ request: HTTP2Request, _ writer: HTTP2ResponseWriter) async throws {
        let start = ContinuousClock.now
        let requestID = Self.requestID(request)
        let file: BackupFile
        do {
            if let refusal = Self.unknownParameter(request, allowed: []) { throw refusal }
            let given = request.pathParameters["name"] ?? ""
            guard let name = BackupName.validated(given) else {
                throw APIError(status: 400, code: "invalid_parameter",
                               message: "name must be a backup name as POST /v1/admin/backups makes them (\(BackupName.shape), 0 a digit, X a hex digit)")
            }
            file = try await BackupFile.open(directory: backupsDirectory, name: name)
        } catch {
            var response = APIErrors.response(for: error)
            response.headers.add("x-request-id", requestID)
            try await writer.writeHead(status: response.status, headers: response.headers)
            try await writer.write(response.body)
            try await writer.finish()
            finishBackupRequest(request, requestID: requestID, status: response.status, since: start)
            return
        }
        defer { file.close() }
        try await writer.writeHead(status: 200, headers: HTTP2Headers([
            ("content-type", "application/vnd.sqlite3"), ("content-length", String(file.size)),
            ("content-disposition", "attachment; filename=\"\(file.name)\""), ("cache-control", "no-store"), ("x-request-id", requestID),
        ]))
        var sent = 0
        do {
            while sent < file.size {
                let chunk = try await file.read(upTo: min(Self.backupChunkBytes, file.size - sent))
                guard chunk.readableBytes > 0 else { break }
                sent += chunk.readableBytes
                try await writer.write(chunk)
            }
            // A snapshot never changes once written; a short file means the disk lost it.
            guard sent == file.size else {
                throw APIError(status: 500, code: "backup_truncated", message: "\(file.name) ended after \(sent) of \(file.size) bytes")
            }
            try await writer.finish()
        } catch {
            // Headers are gone: throwing resets the stream, and the client sees fewer bytes than content-length.
            finishBackupRequest(request, requestID: requestID, status: error is HTTP2TransportError ? 499 : 500, since: start)
            throw error
        }
        finishBackupRequest(request, requestID: requestID, status: 200, since: start)
    }

    private func finishBackupRequest(_ request: HTTP2Request, requestID: String, status: Int, since start: ContinuousClock.Instant) {
        metrics.record(route: Self.backupRoute, method: "GET", status: status, since: start)
        // The name only when it is a valid one: log lines carry no client-chosen text.
        var fields: Logger.Metadata = ["request_id": "\(requestID)", "route": "\(Self.backupRoute)", "method": "GET", "status": "\(status)"]
        if let name = request.pathParameters["name"].flatMap(BackupName.validated) { fields["backup"] = "\(name)" }
        logger.log(level: status >= 500 ? .warning : .debug, "request", metadata: fields)
    }
}

/// One snapshot opened for reading: the descriptor, its size, and blocking reads run on NIO's
/// thread pool. Opened with `O_NOFOLLOW` and checked to be a regular file, so a symbolic link
/// placed in `backups/` is never followed.
final class BackupFile: Sendable {
    let name: String
    let size: Int
    private let descriptor: Int32

    private init(name: String, size: Int, descriptor: Int32) {
        self.name = name
        self.size = size
        self.descriptor = descriptor
    }

    static func open(directory: String, name: String) async throws -> BackupFile {
        let path = directory + "/" + name
        return try await NIOThreadPool.singleton.runIfActive {
            #if canImport(Glibc)
            let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            #else
            let fd = Darwin.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            #endif
            guard fd >= 0 else {
                // Missing, or a symbolic link (O_NOFOLLOW): not a snapshot of this node.
                if errno == ENOENT || errno == ELOOP { throw notFound(name) }
                throw APIError(status: 500, code: "backup_unreadable", message: "cannot open backup \(name): \(String(cString: strerror(errno)))")
            }
            var status = stat()
            guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
                _ = closeDescriptor(fd)
                throw notFound(name)
            }
            return BackupFile(name: name, size: Int(status.st_size), descriptor: fd)
        }
    }

    private static func notFound(_ name: String) -> APIError {
        APIError(status: 404, code: "backup_not_found", message: "no backup named \(name) on this node")
    }

    /// Up to `count` bytes from the current offset; empty at the end of the file.
    func read(upTo count: Int) async throws -> ByteBuffer {
        let descriptor = self.descriptor
        return try await NIOThreadPool.singleton.runIfActive {
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            var failure: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                while true {
                    #if canImport(Glibc)
                    let result = Glibc.read(descriptor, raw.baseAddress, count)
                    #else
                    let result = Darwin.read(descriptor, raw.baseAddress, count)
                    #endif
                    if result >= 0 { return result }
                    if errno != EINTR { failure = errno; return 0 }
                }
            }
            if failure != 0 { throw IOError(errnoCode: failure, reason: "read") }
            return buffer
        }
    }

    func close() { _ = Self.closeDescriptor(descriptor) }

    private static func closeDescriptor(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
    }
}
