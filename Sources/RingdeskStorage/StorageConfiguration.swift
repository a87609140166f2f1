/// How a node's SQLite store is opened and how its group-commit writer batches work.
///
/// Only executables read flags, files and the environment; everything else receives this value.
public struct StorageConfiguration: Sendable, Hashable {
    /// Path of the SQLite database file; missing parent directories are created at open.
    public var path: String

    /// Most operations applied in one transaction (one fsync). A multi-operation atomic write
    /// larger than this still runs, alone in its transaction.
    public var maxBatchSize: Int

    /// How long a connection waits on a lock held by another process (e.g. an external
    /// `sqlite3` shell) before failing with `storage_unavailable`.
    public var busyTimeout: Duration

    /// Most concurrent reader connections (WAL readers never block the writer).
    public var maxReaderCount: Int

    /// The defaults for a database at `path`: 1024 writes per transaction, 5 s busy timeout, 4 readers.
    public static func defaults(path: String) -> StorageConfiguration {
        StorageConfiguration(path: path, maxBatchSize: 1024, busyTimeout: .seconds(5), maxReaderCount: 4)
    }

    /// The defaults for `./data/ringdesk.sqlite`, where a node with no configuration keeps its data.
    public static var defaults: StorageConfiguration {
        defaults(path: "data/ringdesk.sqlite")
    }

    public init(path: String, maxBatchSize: Int, busyTimeout: Duration, maxReaderCount: Int) {
        self.path = path
        self.maxBatchSize = maxBatchSize
        self.busyTimeout = busyTimeout
        self.maxReaderCount = maxReaderCount
    }
}
