/// What a Raft group replicates: a deterministic state machine that every replica applies the same
/// committed entries to, in the same order, ending with the same state. The replication host and
/// the Raft simulation drive any conforming machine; they never look inside its commands or rows.
///
/// Rules a conformer keeps:
/// - `apply` is a pure function of the state and the command: no clock, no randomness, no I/O.
///   Anything that depends on time or configuration travels inside the command.
/// - A rejected command leaves the state exactly as it was.
/// - `decode` refuses bytes it does not understand (an unknown entry version included) by
///   throwing: the host then stops applying that group and says so; it never skips an entry.
public protocol ReplicatedStateMachine: Sendable {
    /// One decoded log entry.
    associatedtype Command: Sendable
    /// What applying one command produced, answered to its proposer.
    associatedtype Result: Sendable
    /// A change of one stored row, kept as a value so that encoding it can happen off the loop.
    associatedtype RowChange: Sendable

    /// The empty machine.
    init()

    /// The machine a store kept as rows (as of the index they were applied to).
    init(rows: some Sequence<(id: String, record: [UInt8])>) throws

    /// The machine from `snapshot()`'s bytes; throws on anything that does not decode.
    init(snapshot: [UInt8]) throws

    /// The whole state, canonical (equal states give equal bytes).
    func snapshot() -> [UInt8]

    /// The bytes of a command in the log.
    static func encode(_ command: Command) -> [UInt8]

    /// The command in a log entry; throws on bytes this build cannot decode.
    static func decode(_ entry: [UInt8]) throws -> Command

    /// Applies one committed command.
    mutating func apply(_ command: Command) -> Result

    /// The rows a store writes after `command` was applied (harmless for a rejected one).
    func rows(touchedBy command: Command) -> [RowChange]

    /// Every row (a store replaces its rows with these after a snapshot was installed).
    func allRows() -> [RowChange]

    /// The stored form of a row change, or nil when it needs no row of its own.
    static func storedRow(_ change: RowChange) -> ReplicatedRow?
}

/// One row of a replicated machine's table as a store keeps it: an id and opaque bytes.
public enum ReplicatedRow: Sendable, Hashable {
    case put(id: String, record: [UInt8])
    case delete(id: String)
}
