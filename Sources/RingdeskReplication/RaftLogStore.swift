import CoreMetrics
import Foundation
import GRDB
import RingdeskRaft
import Synchronization

/// Every Raft group a node hosts, in one SQLite file (WAL, `synchronous=FULL`): logs, hard states,
/// snapshots, applied indexes and the shard tables the groups' state machines produce.
///
/// One file for all groups is what makes group commit across groups possible: `persist`,
/// `apply` and `commit` write any number of groups in one transaction, so one fsync covers
/// every group's appends of a replication-loop turn.
///
/// Every row the Raft protocol depends on carries a CRC-32C, checked on load: a flipped bit on
/// disk is reported (`LoadedGroup.corruption`) instead of being served or voted on.
/// - entry: `RaftCodec.entryChecksum(entry, group:)` (the same value the codec sends).
/// - hard state: group, term, vote, commit (each as big-endian u64).
/// - snapshot: group, index, term, voter count and ids, learner count and ids, data length and data
///   (always empty since raft-v4: snapshots are metadata, the ticket rows are the state).
/// - ticket row: group, id length and UTF-8 bytes, record length and record.
///
/// Threading: every method blocks the calling thread until SQLite is done (a write, until its
/// COMMIT is on disk). Call it from a dedicated thread (the replication loop's), never from a task
/// on Swift's cooperative pool. Writes run on GRDB's serial writer queue, so calls from several
/// threads are safe but serialised; reads use WAL readers and never wait for the writer.
public final class RaftLogStore: Sendable {
    public let path: String
    /// GRDB's pool: its writer connection is the only writer of the file.
    let pool: DatabasePool
    private let counters = Mutex(Counters())
    let metrics: RaftLogStoreMetrics?
    /// Each group's ticket ids → their `shard_tickets.row_no`, loaded on a group's first apply.
    /// Touched only inside write transactions (which GRDB serialises); dropped for every group
    /// when a transaction fails, so it never disagrees with what is on disk.
    let ticketRows = Mutex<[UInt32: TicketRows]>([:])

    /// Where a group's tickets sit: row numbers are handed out in creation order, so new tickets
    /// append to the table's B-tree instead of landing on a random page each.
    struct TicketRows {
        var rowByTicket: [String: Int64]
        var next: Int64
    }

    struct Counters {
        var transactions = 0
    }

    /// Opens (creating if needed) and migrates the store. `metrics`, if given, receives each write
    /// transaction's duration and size (see `RaftLogStoreMetrics`).
    ///
    /// Throws `RaftLogStoreError` with code `.durability` if the writer does not read back
    /// `synchronous=FULL` and `journal_mode=wal`.
    public init(path: String, metrics: (any MetricsFactory)? = nil) throws {
        self.path = path
        self.metrics = metrics.map(RaftLogStoreMetrics.init(factory:))
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.label = "ringdesk.raft"
            configuration.journalMode = .wal
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            try RaftLogStoreSchema.migrator.migrate(pool)
            // GRDB sets synchronous=NORMAL when it enables WAL: an acknowledged append could then
            // vanish on power loss, and Raft's safety assumes it cannot. Set FULL on the writer
            // (the only connection that commits) and check it took.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // The writer touches every group's log tail, machine rows and read-model rows:
                // with SQLite's default 2 MiB cache those pages were read back from the WAL (a
                // pread each) on every commit. 32 MiB holds a busy node's working set.
                try db.execute(sql: "PRAGMA cache_size = -32768")
                let diagnostics = try Self.diagnostics(db)
                guard diagnostics.synchronous == "FULL", diagnostics.journalMode == "wal" else {
                    throw RaftLogStoreError(
                        code: .durability,
                        message: "writer reads back synchronous=\(diagnostics.synchronous), journal_mode=\(diagnostics.journalMode)")
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Same as `init(path:metrics:)`.
    public static func open(path: String, metrics: (any MetricsFactory)? = nil) throws -> RaftLogStore {
        try RaftLogStore(path: path, metrics: metrics)
    }

    /// Closes every connection; later calls throw.
    public func close() throws {
        do { try pool.close() } catch { throw Self.mapped(error) }
    }

    /// Durability settings as the writer connection reports them.
    public func diagnostics() throws -> Diagnostics {
        try withWriter { db in try Self.diagnostics(db) }
    }

    /// Write transactions committed since open (each is one fsync).
    public var transactionCount: Int { counters.withLock { $0.transactions } }

    // MARK: Groups

    /// Registers `group` with the voters it starts with. Idempotent: a group that exists keeps
    /// its first voters (membership changes after that live in the log, not here).
    public func createGroup(_ group: UInt32, voters: [RaftNodeID]) throws {
        try inTransaction { db in
            try db.execute(sql: "INSERT OR IGNORE INTO raft_groups (group_id, initial_voters, applied_idx) VALUES (?, ?, 0)",
                           arguments: [Int64(group), Self.blob(Self.encodeMembers(RaftConfState(voters: voters).voters))])
        }
    }

    /// Every registered group, ascending.
    public func groups() throws -> [UInt32] {
        try withReader { db in
            try Int64.fetchAll(db, sql: "SELECT group_id FROM raft_groups ORDER BY group_id").map { UInt32(truncatingIfNeeded: $0) }
        }
    }

    // MARK: Loading

    /// The group's durable state, every checksum verified, read in one transaction: its log and
    /// the ticket rows its applied entries produced (the state machine at `appliedIndex`, which
    /// is never behind the snapshot: compactions and installs write their rows in the same
    /// transaction).
    ///
    /// On the first bad row the state is cut there: a bad entry drops it and every later entry; a
    /// bad snapshot drops the snapshot and the whole log (entries after it mean nothing alone); a
    /// bad hard state is replaced by an empty one. A gap in the log counts as a bad entry. The
    /// hard state's commit is clamped to the last entry kept. A bad ticket row, or rows behind the
    /// snapshot, is reported too (the rows are then not to be trusted at all). `corruption` says
    /// where the first damage is.
    ///
    /// A group wiped by `deleteGroupState` reports corruption (table "raft_groups") on every load
    /// until a snapshot is persisted for it or `markRecovered(group:)` is called: a restart must
    /// not turn a replica that lost acknowledged entries back into a voter.
    public func load(group: UInt32) throws -> LoadedGroup {
        try withReader { db in
            guard let groupRow = try Row.fetchOne(db, sql: "SELECT initial_voters, applied_idx, recovering FROM raft_groups WHERE group_id = ?",
                                                  arguments: [Int64(group)]) else {
                throw RaftLogStoreError(code: .unknownGroup, message: "group \(group) was never created")
            }
            let initialVoters = Self.decodeMembers(Self.bytes(groupRow[0])) ?? []
            let appliedIndex = UInt64(bitPattern: groupRow[1] as Int64)
            var corruption: CorruptionReport?
            func report(_ found: CorruptionReport) { if corruption == nil { corruption = found } }
            if (groupRow[2] as Int64) != 0 {
                report(CorruptionReport(table: "raft_groups", index: 0,
                                        reason: "state was wiped after corruption and the replica has not caught up since"))
            }

            var hardState = RaftHardState()
            if let row = try Row.fetchOne(db, sql: "SELECT term, vote, commit_idx, crc FROM raft_hard_state WHERE group_id = ?",
                                          arguments: [Int64(group)]) {
                let stored = RaftHardState(term: UInt64(bitPattern: row[0]), vote: UInt64(bitPattern: row[1]),
                                           commit: UInt64(bitPattern: row[2]))
                if Self.checksum(stored, group: group) == Self.crc(row[3]) {
                    hardState = stored
                } else {
                    report(CorruptionReport(table: "raft_hard_state", index: 0, reason: "checksum mismatch"))
                }
            }

            var snapshot: RaftSnapshotMetadata?
            if let row = try Row.fetchOne(db, sql: "SELECT idx, term, voters, learners, data, crc FROM raft_snapshots WHERE group_id = ?",
                                          arguments: [Int64(group)]) {
                let index = UInt64(bitPattern: row[0])
                if let candidate = Self.storedSnapshot(row) {
                    if Self.checksum(candidate, group: group) == Self.crc(row[5]) {
                        snapshot = candidate.metadata
                    } else {
                        report(CorruptionReport(table: "raft_snapshots", index: index, reason: "checksum mismatch"))
                    }
                } else {
                    report(CorruptionReport(table: "raft_snapshots", index: index, reason: "membership list is not a multiple of 8 bytes"))
                }
            }

            var entries: [RaftEntry] = []
            let snapshotBroken = corruption?.table == "raft_snapshots"
            if !snapshotBroken {
                let after = snapshot?.index ?? 0
                let rows = try Row.fetchCursor(db, sql: "SELECT idx, term, kind, data, crc FROM raft_entries WHERE group_id = ? AND idx > ? ORDER BY idx",
                                               arguments: [Int64(group), Int64(bitPattern: after)])
                var expected = after + 1
                while let row = try rows.next() {
                    let index = UInt64(bitPattern: row[0])
                    guard index == expected else {
                        report(CorruptionReport(table: "raft_entries", index: expected, reason: "missing entry (next stored is \(index))"))
                        break
                    }
                    let rawKind = row[2] as Int64
                    guard let kind = RaftEntryKind(rawValue: UInt8(truncatingIfNeeded: rawKind)), (0...255).contains(rawKind) else {
                        report(CorruptionReport(table: "raft_entries", index: index, reason: "unknown kind \(rawKind)"))
                        break
                    }
                    let entry = RaftEntry(term: UInt64(bitPattern: row[1]), index: index, kind: kind, data: Self.bytes(row[3]))
                    guard RaftCodec.entryChecksum(entry, group: group) == Self.crc(row[4]) else {
                        report(CorruptionReport(table: "raft_entries", index: index, reason: "checksum mismatch"))
                        break
                    }
                    entries.append(entry)
                    expected += 1
                }
            }
            if let snapshot, appliedIndex < snapshot.index {
                report(CorruptionReport(table: "raft_groups", index: appliedIndex,
                                        reason: "applied rows are behind the snapshot at \(snapshot.index)"))
            }
            if corruption != nil {
                let lastKept = entries.last?.index ?? snapshot?.index ?? 0
                hardState.commit = min(hardState.commit, lastKept)
            }
            let (tickets, badRow) = try Self.readTickets(group: group, db)
            if let badRow { report(badRow) }
            let persistent = RaftPersistentState(hardState: hardState, snapshot: snapshot, entries: entries,
                                                 initialConf: RaftConfState(voters: initialVoters))
            return LoadedGroup(persistent: persistent, appliedIndex: appliedIndex, tickets: tickets, corruption: corruption)
        }
    }

    /// The group's ticket rows as last applied, in the order they were first stored. Throws
    /// `.corruptFile` if a row fails its checksum.
    public func loadTickets(group: UInt32) throws -> [StoredTicket] {
        try withReader { db in
            let (tickets, badRow) = try Self.readTickets(group: group, db)
            if let badRow { throw RaftLogStoreError(code: .corruptFile, message: "group \(group): \(badRow)") }
            return tickets
        }
    }

    /// The group's ticket rows up to the first one that fails its checksum, and where that is.
    static func readTickets(group: UInt32, _ db: Database) throws -> ([StoredTicket], CorruptionReport?) {
        // The id is read as bytes: read as text, SQLite's C string would end at an embedded NUL.
        let rows = try Row.fetchCursor(db, sql: "SELECT row_no, CAST(ticket_id AS BLOB), record, crc FROM shard_tickets WHERE group_id = ? ORDER BY row_no",
                                       arguments: [Int64(group)])
        var tickets: [StoredTicket] = []
        while let row = try rows.next() {
            let id = bytes(row[1]), record = bytes(row[2])
            guard checksum(ticket: id, record: record, group: group) == crc(row[3]) else {
                return (tickets, CorruptionReport(table: "shard_tickets", index: UInt64(bitPattern: row[0]), reason: "checksum mismatch"))
            }
            tickets.append(StoredTicket(id: String(decoding: id, as: UTF8.self), record: record))
        }
        return (tickets, nil)
    }

    // MARK: Plumbing

    /// Runs `body` in one IMMEDIATE transaction on the writer and counts the commit;
    /// `groups`/`entries` only feed the metrics.
    func inTransaction<T>(groups: Int = 1, entries: Int = 0, _ body: (Database) throws -> T) throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let result = try pool.writeWithoutTransaction { db -> T in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
            counters.withLock { $0.transactions += 1 }
            if let metrics {
                let elapsed = (clock.now - start).components
                metrics.commitDuration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                metrics.groupsPerCommit.record(groups)
                metrics.entriesPerCommit.record(entries)
                metrics.transactions.increment()
            }
            return result
        } catch {
            metrics?.failedTransactions.increment()
            throw Self.mapped(error)
        }
    }

    func withWriter<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.writeWithoutTransaction(body) } catch { throw Self.mapped(error) }
    }

    func withReader<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw Self.mapped(error) }
    }

    static func diagnostics(_ db: Database) throws -> Diagnostics {
        let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        let journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
        let names = [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"]
        return Diagnostics(synchronous: names[synchronous] ?? "\(synchronous)", journalMode: journalMode)
    }

    static func mapped(_ error: any Error) -> RaftLogStoreError {
        if let error = error as? RaftLogStoreError { return error }
        guard let error = error as? DatabaseError else {
            return RaftLogStoreError(code: .sqlite, message: String(describing: error))
        }
        let message = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_FULL: return RaftLogStoreError(code: .diskFull, message: message)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return RaftLogStoreError(code: .corruptFile, message: message)
        default: return RaftLogStoreError(code: .sqlite, message: "\(error.resultCode): \(message)")
        }
    }

    // MARK: Row encodings and checksums

    static func checksum(_ state: RaftHardState, group: UInt32) -> UInt32 {
        var crc = CRC32C.checksum(bigEndian: UInt64(group))
        crc = CRC32C.checksum(bigEndian: state.term, seed: crc)
        crc = CRC32C.checksum(bigEndian: state.vote, seed: crc)
        return CRC32C.checksum(bigEndian: state.commit, seed: crc)
    }

    static func checksum(_ snapshot: RaftSnapshot, group: UInt32) -> UInt32 {
        var crc = CRC32C.checksum(bigEndian: UInt64(group))
        crc = CRC32C.checksum(bigEndian: snapshot.metadata.index, seed: crc)
        crc = CRC32C.checksum(bigEndian: snapshot.metadata.term, seed: crc)
        for members in [snapshot.metadata.conf.voters, snapshot.metadata.conf.learners] {
            crc = CRC32C.checksum(bigEndian: UInt64(members.count), seed: crc)
            for member in members { crc = CRC32C.checksum(bigEndian: member, seed: crc) }
        }
        crc = CRC32C.checksum(bigEndian: UInt64(snapshot.data.count), seed: crc)
        return CRC32C.checksum(snapshot.data, seed: crc)
    }

    static func checksum(ticket id: some Collection<UInt8>, record: [UInt8], group: UInt32) -> UInt32 {
        var crc = CRC32C.checksum(bigEndian: UInt64(group))
        crc = CRC32C.checksum(bigEndian: UInt64(id.count), seed: crc)
        crc = CRC32C.checksum(id, seed: crc)
        crc = CRC32C.checksum(bigEndian: UInt64(record.count), seed: crc)
        return CRC32C.checksum(record, seed: crc)
    }

    /// A `raft_snapshots` row selected as `idx, term, voters, learners, data, …`, or nil when a
    /// membership list is not a multiple of 8 bytes. The checksum is the caller's to verify.
    static func storedSnapshot(_ row: Row) -> RaftSnapshot? {
        guard let voters = decodeMembers(bytes(row[2])), let learners = decodeMembers(bytes(row[3])) else { return nil }
        // Built field by field (not through RaftConfState.init) so a damaged list is not normalised into a valid one.
        var conf = RaftConfState(voters: [])
        conf.voters = voters
        conf.learners = learners
        return RaftSnapshot(metadata: RaftSnapshotMetadata(index: UInt64(bitPattern: row[0]), term: UInt64(bitPattern: row[1]), conf: conf),
                            data: bytes(row[4]))
    }

    /// A stored crc column (a u32 in an INTEGER); anything out of range never matches.
    static func crc(_ value: Int64) -> UInt32? {
        (0...Int64(UInt32.max)).contains(value) ? UInt32(value) : nil
    }

    /// Node ids as consecutive big-endian u64s: exact, and checked (length) on the way back.
    static func encodeMembers(_ members: [RaftNodeID]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(members.count * 8)
        for member in members {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: member >> UInt64(shift))) }
        }
        return bytes
    }

    static func decodeMembers(_ bytes: [UInt8]) -> [RaftNodeID]? {
        guard bytes.count % 8 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { start in
            bytes[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
    }

    static func blob(_ bytes: [UInt8]) -> Data { Data(bytes) }

    /// A blob column; NULL (how SQLite stores an empty blob bound from an empty buffer) is empty.
    static func bytes(_ value: DatabaseValue) -> [UInt8] {
        switch value.storage {
        case .blob(let data): [UInt8](data)
        case .string(let string): Array(string.utf8)
        default: []
        }
    }
}
