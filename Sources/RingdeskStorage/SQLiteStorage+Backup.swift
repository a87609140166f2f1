import Foundation
import GRDB

extension SQLiteStorage {
    /// Writes a consistent, compacted snapshot of the database to `path` (which must not exist)
    /// with `VACUUM INTO` on a reader connection, then fsyncs the file. The writer keeps going.
    public func backup(to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StorageError(code: .invalidArgument, message: "backup destination exists: \(path)")
        }
        do {
            try await pool.unsafeRead { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            }
            try await Self.runBlocking {
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.synchronize()
            }
        } catch {
            throw StorageError(error)
        }
    }
}
