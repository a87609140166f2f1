import GRDB
import GRDBSQLite

/// The store's per-row statements (one per log entry and one per ticket row) bind their values
/// through SQLite's C API on statements GRDB prepared and caches. GRDB's `StatementArguments`
/// box every value (an array of existentials and a `Data` copy per blob), which was a tenth of the
/// writer thread's time at 20k entries/s. Only the fixed-shape statements below go through here,
/// always inside a transaction GRDB opened; everything else stays on GRDB.
extension RaftLogStore {
    /// A value to bind: the few shapes the hot statements use.
    enum FastValue {
        case integer(Int64)
        /// Bound as a blob; empty binds NULL (readers treat NULL as empty, see `bytes(_:)`).
        case blob([UInt8])
        case text(String)
    }

    /// Binds `values` to parameters 1…n of `statement`, runs it to completion and resets it.
    /// Throws `DatabaseError` with SQLite's code and message when the step fails.
    static func run(_ statement: Statement, _ values: FastValue..., db: Database) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let code = try bind(values[...], to: handle, at: 1)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                message: db.lastErrorMessage, sql: statement.sql)
        }
    }

    /// Binds one value at a time, nesting so every buffer outlives the step (SQLITE_STATIC: SQLite
    /// does not copy), then steps once all are bound.
    private static func bind(_ values: ArraySlice<FastValue>, to handle: SQLiteStatement, at index: Int32) throws -> Int32 {
        guard let value = values.first else { return sqlite3_step(handle) }
        let rest = values.dropFirst()
        switch value {
        case .integer(let number):
            try check(sqlite3_bind_int64(handle, index, number))
            return try bind(rest, to: handle, at: index + 1)
        case .blob(let bytes):
            return try bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress, raw.count > 0 {
                    try check(sqlite3_bind_blob(handle, index, base, Int32(raw.count), nil))
                } else {
                    try check(sqlite3_bind_null(handle, index))
                }
                return try bind(rest, to: handle, at: index + 1)
            }
        case .text(var string):
            return try string.withUTF8 { utf8 in
                if let base = utf8.baseAddress, utf8.count > 0 {
                    try check(sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), nil))
                } else {
                    // SQLITE_TRANSIENT: SQLite copies the (empty) text now.
                    try check(sqlite3_bind_text(handle, index, "", 0, unsafeBitCast(-1, to: sqlite3_destructor_type.self)))
                }
                return try bind(rest, to: handle, at: index + 1)
            }
        }
    }

    private static func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding a parameter failed") }
    }
}
