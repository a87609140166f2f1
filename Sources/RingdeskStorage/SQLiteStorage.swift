import CoreMetrics
import Dispatch
import Foundation
import GRDB
import Synchronization

/// The node's durable store: one SQLite file in WAL mode, one writer connection with group
/// commit, and a pool of reader connections that never block the writer.
///
/// Writes go through `write(_:)`: concurrent callers' operations are applied in one transaction
/// (one fsync) by a single writer loop, each in its own savepoint, and every caller is resumed
/// only after that transaction has committed with `synchronous=FULL`.
///
/// Blocking SQLite work runs on GRDB's dispatch queues (writer and readers) or a global dispatch
/// queue, never on Swift's cooperative thread pool. Call `close()` before dropping the store to
/// let queued writes commit.
public final class SQLiteStorage: Sendable {
    /// The configuration the store was opened with.
    public let configuration: StorageConfiguration

    /// GRDB's pool: its writer connection is the only writer of the file; readers are WAL readers.
    let pool: DatabasePool
    let state = Mutex(GroupCommitStateMachine<WriteRequest, CheckedContinuation<Void, Never>>())
    let stats = Mutex(StorageStatistics())
    let metrics: StorageMetrics?

    /// One caller's submission: operations applied atomically, and who to resume after COMMIT.
    struct WriteRequest: Sendable {
        var operations: [StorageWrite]
        var continuation: CheckedContinuation<StorageWriteResult, any Error>
    }

    /// Opens (creating if needed) and migrates the database, off the cooperative thread pool.
    public static func open(_ configuration: StorageConfiguration, metrics: (any MetricsFactory)? = nil) async throws -> SQLiteStorage {
        try await runBlocking { try SQLiteStorage(configuration: configuration, metrics: metrics) }
    }

    /// Opens (creating if needed) and migrates the database, blocking the calling thread.
    /// From async code prefer `open(_:)`.
    ///
    /// Throws `StorageError` with code `durability_not_guaranteed` if the writer does not
    /// read back `synchronous=FULL` and `journal_mode=wal`.
    public init(configuration: StorageConfiguration, metrics: (any MetricsFactory)? = nil) throws {
        self.metrics = metrics.map(StorageMetrics.init(factory:))
        guard configuration.maxBatchSize >= 1, configuration.maxReaderCount >= 1 else {
            throw StorageError(code: .invalidArgument, message: "maxBatchSize and maxReaderCount must be at least 1")
        }
        self.configuration = configuration
        do {
            let directory = URL(fileURLWithPath: configuration.path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

            var grdb = Configuration()
            grdb.label = "ringdesk.storage"
            grdb.journalMode = .wal
            grdb.maximumReaderCount = configuration.maxReaderCount
            let timeout = configuration.busyTimeout.components
            grdb.busyMode = .timeout(Double(timeout.seconds) + Double(timeout.attoseconds) * 1e-18)
            pool = try DatabasePool(path: configuration.path, configuration: grdb)

            try StorageSchema.migrator.migrate(pool)

            // GRDB sets synchronous=NORMAL when it enables WAL: a committed transaction could then
            // be lost on power failure. Set FULL again on the writer and check it took.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // Statement and savepoint journals in memory: no temp-file I/O on the write path.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                let diagnostics = try Self.diagnostics(db)
                guard diagnostics.synchronous == "FULL", diagnostics.journalMode == "wal" else {
                    throw StorageError(
                        code: .durability,
                        message: "writer reads back synchronous=\(diagnostics.synchronous), journal_mode=\(diagnostics.journalMode)")
                }
            }
        } catch {
            throw StorageError(error)
        }
    }

    // MARK: - Writes

    /// Applies one operation in the next group-commit transaction and returns once it is durable.
    ///
    /// A refused operation (`.duplicate`, `.versionConflict`, `.notFound`) leaves nothing written.
    /// A thrown `StorageError` means the operation was not applied: either it broke a constraint
    /// (only its own savepoint is rolled back), or the whole transaction failed.
    /// Cancelling the calling task does not withdraw a queued write.
    public func write(_ operation: StorageWrite) async throws -> StorageWriteResult {
        try await submit([operation])
    }

    /// Applies several operations atomically (all or nothing) in the next group-commit transaction.
    ///
    /// Returns `.applied` if every operation applied, otherwise the first refusal, with none of
    /// the operations written.
    public func write(_ operations: [StorageWrite]) async throws -> StorageWriteResult {
        guard !operations.isEmpty else { return .applied }
        return try await submit(operations)
    }

    private func submit(_ operations: [StorageWrite]) async throws -> StorageWriteResult {
        try await withCheckedThrowingContinuation { continuation in
            let request = WriteRequest(operations: operations, continuation: continuation)
            let action = state.withLock { $0.enqueue(request, weight: operations.count) }
            switch action {
            case .rejectClosed:
                continuation.resume(throwing: StorageError(code: .closed, message: "storage is closed"))
            case .queued(let waiters):
                waiters.forEach { $0.resume() }
            case .startWriter(let waiters):
                waiters.forEach { $0.resume() }
                scheduleWriter()
            }
        }
    }

    // MARK: - Lifecycle and introspection

    /// Stops accepting writes, lets queued writes commit, then closes every connection.
    public func close() async throws {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            switch state.withLock({ $0.close(waiter) }) {
            case .closeNow:
                waiter.resume()
            case .wait:
                break
            case .startWriterAndWait:
                scheduleWriter()
            }
        }
        let pool = self.pool
        do {
            try await Self.runBlocking { try pool.close() }
        } catch {
            throw StorageError(error)
        }
    }

    /// A snapshot of the writer's counters, for metrics.
    public func statistics() -> StorageStatistics {
        var snapshot = stats.withLock { $0 }
        snapshot.queuedWrites = state.withLock { $0.queuedCount }
        return snapshot
    }

    /// Durability settings read back from the writer connection.
    public func diagnostics() async throws -> StorageDiagnostics {
        do {
            return try await pool.writeWithoutTransaction { db in try Self.diagnostics(db) }
        } catch {
            throw StorageError(error)
        }
    }

    private static func diagnostics(_ db: Database) throws -> StorageDiagnostics {
        let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        let journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
        let names = [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"]
        return StorageDiagnostics(synchronous: names[synchronous] ?? "\(synchronous)", journalMode: journalMode)
    }

    /// Runs blocking work on a global dispatch queue, keeping it off the cooperative thread pool.
    static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result(catching: work))
            }
        }
    }
}

/// Durability settings of the writer connection, as SQLite reports them.
public struct StorageDiagnostics: Sendable, Hashable {
    /// `PRAGMA synchronous` by name: "FULL" is required.
    public var synchronous: String
    /// `PRAGMA journal_mode`: "wal" is required.
    public var journalMode: String
}

// MARK: - Test hooks

extension SQLiteStorage {
    /// Holds new transactions back; queued writes wait until `resumeWriter()`.
    /// Lets tests make batching deterministic.
    @_spi(Testing)
    public func pauseWriter() {
        state.withLock { $0.pause() }
    }

    /// Lets the writer take everything queued.
    @_spi(Testing)
    public func resumeWriter() {
        if state.withLock({ $0.resume() }) {
            scheduleWriter()
        }
    }

    /// Returns once at least `count` writes are queued.
    @_spi(Testing)
    public func waitUntilQueued(_ count: Int) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            state.withLock { $0.waitUntilQueued(count, waiter) }?.resume()
        }
    }
}
