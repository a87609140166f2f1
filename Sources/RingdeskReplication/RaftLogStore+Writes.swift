import GRDB
import RingdeskRaft

/// Writes: each public method is one transaction, so one fsync, however many groups it touches.
extension RaftLogStore {
    /// Makes every group's Ready work durable in one transaction: per group, the snapshot (which
    /// replaces the stored snapshot and the whole log, and ends recovery), then the entries (stored
    /// entries from the first new index on are deleted first: a conflicting suffix is overwritten),
    /// then the hard state.
    public func persist(_ writes: [GroupWrite]) throws {
        try commit(writes: writes, applies: [])
    }

    /// Applies every group's row changes and moves its applied index, in one transaction: the
    /// index and the rows it stands for are never seen apart. Throws `.unknownGroup` (writing
    /// nothing at all) if a group was never created.
    public func apply(_ applies: [GroupApply]) throws {
        try commit(writes: [], applies: applies)
    }

    /// `persist`, then `apply`, then compactions, in one transaction: the replication loop's whole
    /// turn for one fsync. A compaction records the group's snapshot metadata and deletes the
    /// entries it covers: the ticket rows are the state there, so its index must be applied
    /// (by now, in this transaction included), or nothing is written (`.invalidArgument`).
    ///
    /// `project` writes a read model derived from the applies (tables the store does not own) in
    /// the same transaction, after them.
    public func commit(writes: [GroupWrite], applies: [GroupApply], compactions: [(group: UInt32, metadata: RaftSnapshotMetadata)] = [],
                       project: ((Database) throws -> Void)? = nil) throws {
        let writes = writes.filter { !$0.isEmpty }
        guard !writes.isEmpty || !applies.isEmpty || !compactions.isEmpty else { return }
        for write in writes { try Self.validate(write) }
        let groups = Set(writes.map(\.group)).union(applies.map(\.group)).count
        try withTicketRows { ticketRows in
            try inTransaction(groups: groups, entries: writes.reduce(0) { $0 + $1.entries.count }) { db in
                for write in writes { try Self.persist(write, db) }
                for apply in applies { try Self.apply(apply, db, ticketRows: &ticketRows) }
                if !applies.isEmpty { try project?(db) }
                for (group, metadata) in compactions { try Self.compact(group: group, upTo: metadata.index, metadata: metadata, db) }
            }
        }
    }

    /// Runs `body` with the ticket-row cache; if it throws (the transaction rolled back), the cache
    /// is dropped and reloads from disk on next use.
    func withTicketRows<T>(_ body: (inout [UInt32: TicketRows]) throws -> T) throws -> T {
        try ticketRows.withLock { cache in
            do {
                return try body(&cache)
            } catch {
                cache.removeAll()
                throw error
            }
        }
    }

    /// Records a snapshot at `metadata.index` (which must be applied: the ticket rows hold the
    /// state there) and deletes the entries it covers, up to `index` (≤ the snapshot's index; a
    /// smaller one keeps a tail of entries for followers that lag a little).
    public func compact(group: UInt32, upTo index: UInt64, metadata: RaftSnapshotMetadata) throws {
        try inTransaction { db in try Self.compact(group: group, upTo: index, metadata: metadata, db) }
    }

    /// `compact(group:upTo:metadata:)` up to the snapshot's own index.
    public func compact(group: UInt32, metadata: RaftSnapshotMetadata) throws {
        try compact(group: group, upTo: metadata.index, metadata: metadata)
    }

    static func compact(group: UInt32, upTo index: UInt64, metadata: RaftSnapshotMetadata, _ db: Database) throws {
        guard index <= metadata.index else {
            throw RaftLogStoreError(code: .invalidArgument,
                                    message: "cannot compact group \(group) to \(index), past its snapshot at \(metadata.index)")
        }
        let applied = try Int64.fetchOne(db.cachedStatement(sql: "SELECT applied_idx FROM raft_groups WHERE group_id = ?"),
                                         arguments: [Int64(group)])
        guard let applied else { throw RaftLogStoreError(code: .unknownGroup, message: "group \(group) was never created") }
        guard UInt64(bitPattern: applied) >= metadata.index else {
            throw RaftLogStoreError(code: .invalidArgument,
                                    message: "cannot snapshot group \(group) at \(metadata.index): its rows are applied only to \(applied)")
        }
        try storeSnapshot(metadata, group: group, db)
        try db.cachedStatement(sql: "DELETE FROM raft_entries WHERE group_id = ? AND idx <= ?")
            .execute(arguments: [Int64(group), Int64(bitPattern: index)])
    }

    /// Wipes what a corrupted group can no longer trust: entries, snapshot, applied index, ticket
    /// and key rows. The hard state keeps its term and vote (so the replica never votes twice in a
    /// term) with commit reset to 0; a hard state that fails its checksum is deleted. The group
    /// stays registered with its initial voters, marked recovering (see `load(group:)`).
    public func deleteGroupState(group: UInt32) throws {
        try withTicketRows { ticketRows in
            ticketRows[group] = nil
            try wipeGroupState(group: group)
        }
    }

    private func wipeGroupState(group: UInt32) throws {
        try inTransaction { db in
            let key: StatementArguments = [Int64(group)]
            for table in ["raft_entries", "raft_snapshots", "shard_tickets"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE group_id = ?", arguments: key)
            }
            try db.execute(sql: "UPDATE raft_groups SET applied_idx = 0, recovering = 1 WHERE group_id = ?", arguments: key)
            if let row = try Row.fetchOne(db, sql: "SELECT term, vote, commit_idx, crc FROM raft_hard_state WHERE group_id = ?", arguments: key) {
                let stored = RaftHardState(term: UInt64(bitPattern: row[0]), vote: UInt64(bitPattern: row[1]), commit: UInt64(bitPattern: row[2]))
                if Self.checksum(stored, group: group) == Self.crc(row[3]) {
                    try Self.storeHardState(RaftHardState(term: stored.term, vote: stored.vote, commit: 0), group: group, db)
                } else {
                    try db.execute(sql: "DELETE FROM raft_hard_state WHERE group_id = ?", arguments: key)
                }
            }
        }
    }

    /// Clears the recovering mark `deleteGroupState` left: call once the replica has caught up with
    /// a leader by log replay (a persisted snapshot clears it by itself).
    public func markRecovered(group: UInt32) throws {
        try inTransaction { db in
            try db.execute(sql: "UPDATE raft_groups SET recovering = 0 WHERE group_id = ?", arguments: [Int64(group)])
        }
    }

    // MARK: Statements

    static func validate(_ write: GroupWrite) throws {
        guard let first = write.entries.first else { return }
        for (offset, entry) in write.entries.enumerated() where entry.index != first.index &+ UInt64(offset) {
            throw RaftLogStoreError(code: .invalidArgument,
                                    message: "group \(write.group): entry \(entry.index) at position \(offset) after \(first.index) is not contiguous")
        }
        if let snapshot = write.snapshot, first.index != snapshot.metadata.index &+ 1 {
            throw RaftLogStoreError(code: .invalidArgument,
                                    message: "group \(write.group): entries from \(first.index) do not follow the snapshot at \(snapshot.metadata.index)")
        }
    }

    static func persist(_ write: GroupWrite, _ db: Database) throws {
        let group = Int64(write.group)
        if let snapshot = write.snapshot {
            try storeSnapshot(snapshot.metadata, group: write.group, db)
            try db.cachedStatement(sql: "DELETE FROM raft_entries WHERE group_id = ?").execute(arguments: [group])
            // A leader's snapshot is a complete, trusted state: a wiped replica has recovered.
            try db.cachedStatement(sql: "UPDATE raft_groups SET recovering = 0 WHERE group_id = ? AND recovering != 0").execute(arguments: [group])
        }
        if let first = write.entries.first {
            if write.snapshot == nil {
                try db.cachedStatement(sql: "DELETE FROM raft_entries WHERE group_id = ? AND idx >= ?")
                    .execute(arguments: [group, Int64(bitPattern: first.index)])
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO raft_entries (group_id, idx, term, kind, data, crc) VALUES (?, ?, ?, ?, ?, ?)")
            for entry in write.entries {
                try run(insert, .integer(group), .integer(Int64(bitPattern: entry.index)), .integer(Int64(bitPattern: entry.term)),
                        .integer(Int64(entry.kind.rawValue)), .blob(entry.data),
                        .integer(Int64(RaftCodec.entryChecksum(entry, group: write.group))), db: db)
            }
        }
        if let hardState = write.hardState {
            try storeHardState(hardState, group: write.group, db)
        }
    }

    static func apply(_ apply: GroupApply, _ db: Database, ticketRows cache: inout [UInt32: TicketRows]) throws {
        let group = Int64(apply.group)
        try db.cachedStatement(sql: "UPDATE raft_groups SET applied_idx = ? WHERE group_id = ?")
            .execute(arguments: [Int64(bitPattern: apply.appliedIndex), group])
        guard db.changesCount == 1 else {
            // Thrown inside the transaction: it rolls back, other groups' rows included.
            throw RaftLogStoreError(code: .unknownGroup, message: "group \(apply.group) was never created")
        }
        if apply.replaceAll {
            try db.cachedStatement(sql: "DELETE FROM shard_tickets WHERE group_id = ?").execute(arguments: [group])
            cache[apply.group] = TicketRows(rowByTicket: [:], next: 1)
        }
        // Taken out of the cache while it changes, so the dictionary is not copied.
        var rows = try cache.removeValue(forKey: apply.group) ?? loadTicketRows(group: group, db)
        defer { cache[apply.group] = rows }
        for change in apply.rows {
            switch change {
            case .putTicket(let id, let record):
                let crc = Int64(checksum(ticket: id.utf8, record: record, group: apply.group))
                if let row = rows.rowByTicket[id] {
                    try run(db.cachedStatement(sql: "UPDATE shard_tickets SET record = ?, crc = ? WHERE group_id = ? AND row_no = ?"),
                            .blob(record), .integer(crc), .integer(group), .integer(row), db: db)
                } else {
                    let row = rows.next
                    rows.next += 1
                    rows.rowByTicket[id] = row
                    try run(db.cachedStatement(sql: "INSERT INTO shard_tickets (group_id, row_no, ticket_id, record, crc) VALUES (?, ?, ?, ?, ?)"),
                            .integer(group), .integer(row), .text(id), .blob(record), .integer(crc), db: db)
                }
            case .deleteTicket(let id):
                if let row = rows.rowByTicket.removeValue(forKey: id) {
                    try db.cachedStatement(sql: "DELETE FROM shard_tickets WHERE group_id = ? AND row_no = ?").execute(arguments: [group, row])
                }
            }
        }
    }

    /// The group's ticket → row map as stored (once per group after open or a failed transaction).
    static func loadTicketRows(group: Int64, _ db: Database) throws -> TicketRows {
        var rows = TicketRows(rowByTicket: [:], next: 1)
        // The id is read as bytes: read as text, SQLite's C string would end at an embedded NUL.
        let cursor = try Row.fetchCursor(db, sql: "SELECT row_no, CAST(ticket_id AS BLOB) FROM shard_tickets WHERE group_id = ?",
                                         arguments: [group])
        while let row = try cursor.next() {
            let number: Int64 = row[0]
            rows.rowByTicket[String(decoding: bytes(row[1]), as: UTF8.self)] = number
            rows.next = max(rows.next, number + 1)
        }
        return rows
    }

    static func storeHardState(_ state: RaftHardState, group: UInt32, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO raft_hard_state (group_id, term, vote, commit_idx, crc) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [Int64(group), Int64(bitPattern: state.term), Int64(bitPattern: state.vote), Int64(bitPattern: state.commit),
                                 Int64(checksum(state, group: group))])
    }

    /// A snapshot row holds metadata only (an empty image, checksummed as such).
    static func storeSnapshot(_ metadata: RaftSnapshotMetadata, group: UInt32, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO raft_snapshots (group_id, idx, term, voters, learners, data, crc) VALUES (?, ?, ?, ?, ?, NULL, ?)
            """)
            .execute(arguments: [Int64(group), Int64(bitPattern: metadata.index), Int64(bitPattern: metadata.term),
                                 blob(encodeMembers(metadata.conf.voters)), blob(encodeMembers(metadata.conf.learners)),
                                 Int64(checksum(RaftSnapshot(metadata: metadata, data: []), group: group))])
    }
}
