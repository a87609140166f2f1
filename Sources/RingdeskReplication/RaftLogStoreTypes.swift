import RingdeskRaft

extension RaftLogStore {
    /// One group's state as it was last made durable, checked against its checksums.
    public struct LoadedGroup: Sendable, Hashable {
        /// What `RaftNode` needs to resume. When `corruption` is set, this is cut before the first
        /// bad row (and the hard state's commit is clamped to the last good entry).
        public var persistent: RaftPersistentState
        /// The last entry whose effects are in `shard_tickets` (0 if none).
        public var appliedIndex: UInt64
        /// The ticket rows at `appliedIndex`, in creation order: the state machine there.
        public var tickets: [StoredTicket]
        /// Set when a row failed its checksum, the log had a gap, or the rows are behind the
        /// snapshot: the replica must not vote on or serve this data and should recover from the leader.
        public var corruption: CorruptionReport?

        public init(persistent: RaftPersistentState, appliedIndex: UInt64, tickets: [StoredTicket] = [], corruption: CorruptionReport?) {
            self.persistent = persistent
            self.appliedIndex = appliedIndex
            self.tickets = tickets
            self.corruption = corruption
        }
    }

    /// One applied ticket row as stored (its checksum verified); the store never reads `record`.
    public struct StoredTicket: Sendable, Hashable {
        public var id: String
        public var record: [UInt8]

        public init(id: String, record: [UInt8]) {
            self.id = id
            self.record = record
        }
    }

    /// Where `load(group:)` found damage.
    public struct CorruptionReport: Sendable, Hashable, CustomStringConvertible {
        /// The SQLite table holding the bad row: "raft_entries", "raft_hard_state", "raft_snapshots",
        /// "shard_tickets", or "raft_groups" (wiped and not caught up, or rows behind the snapshot).
        public var table: String
        /// The log index of the bad entry or snapshot (0 for the hard state, the row number for a
        /// ticket row, the applied index for rows behind the snapshot).
        public var index: UInt64
        public var reason: String

        public init(table: String, index: UInt64, reason: String) {
            self.table = table
            self.index = index
            self.reason = reason
        }

        public var description: String { "\(table) at index \(index): \(reason)" }
    }

    /// One group's share of a `RaftReady` that must be durable before its messages go out.
    public struct GroupWrite: Sendable, Hashable {
        public var group: UInt32
        public var hardState: RaftHardState?
        /// Contiguous; stored entries from `entries[0].index` on are replaced (a conflicting suffix).
        public var entries: [RaftEntry]
        /// Replaces the group's snapshot and its whole log (see `RaftReady`); `entries` follow it.
        /// Only the metadata is stored: the state it carries must be applied (a `GroupApply` with
        /// `replaceAll`) in the same `commit`, or the next load reports the rows behind it.
        public var snapshot: RaftSnapshot?

        public init(group: UInt32, hardState: RaftHardState? = nil, entries: [RaftEntry] = [], snapshot: RaftSnapshot? = nil) {
            self.group = group
            self.hardState = hardState
            self.entries = entries
            self.snapshot = snapshot
        }

        var isEmpty: Bool { hardState == nil && entries.isEmpty && snapshot == nil }
    }

    /// A row of the application table, as a plain value: the store never interprets `record`.
    public enum RowChange: Sendable, Hashable {
        case putTicket(id: String, record: [UInt8])
        case deleteTicket(id: String)
    }

    /// One group's applied state: its row changes and the index they bring it to, written in the
    /// same transaction so a restart never sees one without the other.
    public struct GroupApply: Sendable, Hashable {
        public var group: UInt32
        public var appliedIndex: UInt64
        /// Delete every ticket row of the group first (a snapshot was installed).
        public var replaceAll: Bool
        public var rows: [RowChange]

        public init(group: UInt32, appliedIndex: UInt64, replaceAll: Bool = false, rows: [RowChange]) {
            self.group = group
            self.appliedIndex = appliedIndex
            self.replaceAll = replaceAll
            self.rows = rows
        }
    }

    /// Durability settings read back from the writer connection.
    public struct Diagnostics: Sendable, Hashable {
        /// `PRAGMA synchronous` by name: "FULL" is required.
        public var synchronous: String
        /// `PRAGMA journal_mode`: "wal" is required.
        public var journalMode: String
    }
}

/// An error crossing the module from the log store; `code` is stable and opaque.
public struct RaftLogStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let raw: String
        public var description: String { raw }

        /// `createGroup` was never called for the group.
        public static let unknownGroup = Code(raw: "raft_store_unknown_group")
        /// An argument breaks the documented contract (non-contiguous entries, compaction past the snapshot).
        public static let invalidArgument = Code(raw: "raft_store_invalid_argument")
        /// The writer does not read back `synchronous=FULL` and `journal_mode=wal`.
        public static let durability = Code(raw: "raft_store_durability_not_guaranteed")
        /// The disk is full.
        public static let diskFull = Code(raw: "raft_store_disk_full")
        /// The file is not a database or SQLite found it damaged.
        public static let corruptFile = Code(raw: "raft_store_corrupt_file")
        /// Anything else SQLite or the file system reported.
        public static let sqlite = Code(raw: "raft_store_sqlite")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
