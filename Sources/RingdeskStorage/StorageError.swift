import GRDB

/// An error crossing the storage module: an opaque, stable `code` to branch on and a message for humans.
///
/// Domain outcomes that callers expect (duplicate idempotency key, version conflict, missing row)
/// are not errors: they come back as a `StorageWriteResult`.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, opaque error code; compare against the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let raw: String
        public var description: String { raw }

        /// The database cannot be reached right now (I/O error, lock held elsewhere, cannot open).
        public static let storageUnavailable = Code(raw: "storage_unavailable")
        /// The file is not a database or is damaged.
        public static let corrupt = Code(raw: "corrupt")
        /// The disk is full.
        public static let diskFull = Code(raw: "disk_full")
        /// A write broke a uniqueness or NOT NULL rule (e.g. a ticket id that already exists).
        public static let constraintViolation = Code(raw: "constraint_violation")
        /// The stored version differs from the expected one (for callers turning a result into an error).
        public static let versionConflict = Code(raw: "version_conflict")
        /// The store was closed; no more work is accepted.
        public static let closed = Code(raw: "storage_closed")
        /// An argument is outside its documented range (limit, cursor, path).
        public static let invalidArgument = Code(raw: "invalid_argument")
        /// The durability settings could not be established (`synchronous` is not FULL, no WAL).
        public static let durability = Code(raw: "durability_not_guaranteed")
        /// Anything else SQLite reported.
        public static let internalError = Code(raw: "storage_internal")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension StorageError {
    /// Maps any error from GRDB/SQLite to a `StorageError`, keeping `StorageError`s as they are.
    init(_ error: any Error) {
        if let storageError = error as? StorageError {
            self = storageError
            return
        }
        guard let dbError = error as? DatabaseError else {
            self.init(code: .internalError, message: String(describing: error))
            return
        }
        let message = dbError.message ?? "\(dbError.resultCode)"
        let code: Code
        switch dbError.resultCode {
        case .SQLITE_CONSTRAINT: code = .constraintViolation
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: code = .corrupt
        case .SQLITE_FULL: code = .diskFull
        case .SQLITE_MISUSE where message.contains("closed"): code = .closed
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PROTOCOL:
            code = .storageUnavailable
        default: code = .internalError
        }
        self.init(code: code, message: message)
    }
}
