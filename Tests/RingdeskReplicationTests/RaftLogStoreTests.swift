import Foundation
import GRDB
import RingdeskRaft
import RingdeskShard
import Synchronization
import Testing
@testable import RingdeskReplication

/// Runs `body` with a store in a fresh temporary directory, removed afterwards.
private func withStore<T>(_ body: (RaftLogStore, String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-raftstore-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("raft/raft.sqlite").path
    let store = try RaftLogStore(path: path)
    defer { try? store.close() }
    return try body(store, path)
}

/// A store path in a fresh temporary directory (for tests that write an old schema first); the
/// caller removes the directory.
private func temporaryStorePath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-raftstore-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("raft.sqlite").path
}

/// Creates a store at `path` migrated only up to `migration` (an older build's file) and fills it.
private func writeOldStore(at path: String, upTo migration: String, _ fill: (Database) throws -> Void) throws {
    let old = try DatabasePool(path: path)
    try RaftLogStoreSchema.migrator.migrate(old, upTo: migration)
    try old.write(fill)
    try old.close()
}

private func entries(_ range: ClosedRange<UInt64>, term: UInt64, group: UInt32 = 0) -> [RaftEntry] {
    range.map { RaftEntry(term: term, index: $0, kind: .normal, data: Array("g\(group)-t\(term)-i\($0)".utf8)) }
}

/// Counts the writer connection's COMMITs, straight from SQLite's commit hook.
private final class CommitCounter: TransactionObserver, Sendable {
    let commits = Mutex(0)
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}

@Suite("Raft log store")
struct RaftLogStoreTests {
    @Test("the writer runs with synchronous=FULL in WAL mode, and reopening migrates nothing twice")
    func durability() throws {
        try withStore { store, path in
            #expect(try store.diagnostics() == RaftLogStore.Diagnostics(synchronous: "FULL", journalMode: "wal"))
            let again = try RaftLogStore(path: path)
            #expect(try again.diagnostics().synchronous == "FULL")
            try again.close()
        }
    }

    @Test("a few groups round-trip: hard state, entries, initial voters; createGroup is idempotent")
    func roundTrip() throws {
        try withStore { store, _ in
            for group: UInt32 in [0, 1, 7] { try store.createGroup(group, voters: [3, 1, 2]) }
            try store.createGroup(1, voters: [9])
            #expect(try store.groups() == [0, 1, 7])
            try store.persist([
                .init(group: 0, hardState: RaftHardState(term: 2, vote: 1, commit: 3), entries: entries(1...4, term: 2, group: 0)),
                .init(group: 1, hardState: RaftHardState(term: 5, vote: .max, commit: 0)),
                .init(group: 7, entries: entries(1...1, term: 1, group: 7) + [RaftEntry(term: 1, index: 2, kind: .configChange, data: [])]),
            ])
            let zero = try store.load(group: 0)
            #expect(zero.corruption == nil)
            #expect(zero.persistent.hardState == RaftHardState(term: 2, vote: 1, commit: 3))
            #expect(zero.persistent.entries == entries(1...4, term: 2, group: 0))
            #expect(zero.persistent.initialConf == RaftConfState(voters: [1, 2, 3]))
            #expect(zero.persistent.snapshot == nil && zero.tickets.isEmpty && zero.appliedIndex == 0)
            let one = try store.load(group: 1)
            #expect(one.persistent.hardState.vote == .max)
            #expect(one.persistent.entries.isEmpty)
            #expect(one.persistent.initialConf.voters == [1, 2, 3])
            let seven = try store.load(group: 7)
            #expect(seven.persistent.entries.last == RaftEntry(term: 1, index: 2, kind: .configChange, data: []))
            #expect(throws: RaftLogStoreError.self) { try store.load(group: 8) }
        }
    }

    @Test("entries from the first new index on replace a conflicting suffix")
    func conflictingSuffix() throws {
        try withStore { store, _ in
            try store.createGroup(1, voters: [1])
            try store.persist([.init(group: 1, entries: entries(1...5, term: 1))])
            try store.persist([.init(group: 1, entries: entries(3...4, term: 2))])
            #expect(try store.load(group: 1).persistent.entries == entries(1...2, term: 1) + entries(3...4, term: 2))
            // Appending after the end deletes nothing.
            try store.persist([.init(group: 1, entries: entries(5...5, term: 2))])
            #expect(try store.load(group: 1).persistent.entries.map(\.index) == [1, 2, 3, 4, 5])
            let gap = RaftLogStore.GroupWrite(group: 1, entries: [RaftEntry(term: 2, index: 6), RaftEntry(term: 2, index: 8)])
            #expect(throws: RaftLogStoreError.self) { try store.persist([gap]) }
            #expect(try store.load(group: 1).persistent.entries.count == 5)
        }
    }

    @Test("compaction records the snapshot's metadata and keeps the entries after it; an installed snapshot replaces the whole log")
    func snapshotAndCompaction() throws {
        try withStore { store, _ in
            try store.createGroup(2, voters: [1, 2, 3])
            try store.commit(writes: [.init(group: 2, hardState: RaftHardState(term: 1, vote: 1, commit: 10), entries: entries(1...10, term: 1))],
                             applies: [.init(group: 2, appliedIndex: 10, rows: [.putTicket(id: "a", record: [1]), .putTicket(id: "b", record: [2])])])
            let conf = RaftConfState(voters: [1, 2, 3], learners: [4])
            let local = RaftSnapshotMetadata(index: 6, term: 1, conf: conf)
            try store.compact(group: 2, metadata: local)
            var loaded = try store.load(group: 2)
            #expect(loaded.corruption == nil)
            #expect(loaded.persistent.snapshot == local)
            #expect(loaded.persistent.entries == entries(7...10, term: 1))
            // The state is the rows at the applied index; no image is stored.
            #expect(loaded.appliedIndex == 10)
            #expect(loaded.tickets == [.init(id: "a", record: [1]), .init(id: "b", record: [2])])
            let image = try store.pool.read { db in try Data.fetchOne(db, sql: "SELECT data FROM raft_snapshots WHERE group_id = 2") }
            #expect(image == nil)

            // A tail kept before the snapshot is not part of the loaded log.
            let later = RaftSnapshotMetadata(index: 9, term: 1, conf: conf)
            try store.compact(group: 2, upTo: 8, metadata: later)
            loaded = try store.load(group: 2)
            #expect(loaded.persistent.entries == entries(10...10, term: 1))
            #expect(throws: RaftLogStoreError.self) { try store.compact(group: 2, upTo: 10, metadata: later) }
            // A snapshot past the applied rows would claim a state nobody stored: refused, nothing written.
            #expect(throws: RaftLogStoreError.self) {
                try store.commit(writes: [.init(group: 2, hardState: RaftHardState(term: 1, vote: 1, commit: 11), entries: entries(11...11, term: 1))],
                                 applies: [], compactions: [(2, RaftSnapshotMetadata(index: 11, term: 1, conf: conf))])
            }
            #expect(try store.load(group: 2).persistent.snapshot == later)
            #expect(try store.load(group: 2).persistent.entries.map(\.index) == [10])

            // From the leader: the snapshot at 20 replaces everything, its rows replace the rows.
            let installed = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 20, term: 3, conf: RaftConfState(voters: [1, 2])), data: [1, 2, 3])
            try store.commit(writes: [.init(group: 2, hardState: RaftHardState(term: 3, vote: 0, commit: 20), entries: entries(21...22, term: 3),
                                            snapshot: installed)],
                             applies: [.init(group: 2, appliedIndex: 20, replaceAll: true, rows: [.putTicket(id: "z", record: [9])])])
            loaded = try store.load(group: 2)
            #expect(loaded.corruption == nil)
            #expect(loaded.persistent.snapshot == installed.metadata)
            #expect(loaded.persistent.entries == entries(21...22, term: 3))
            #expect(loaded.tickets == [.init(id: "z", record: [9])])
            let stored = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM raft_entries WHERE group_id = 2") }
            #expect(stored == 2)

            // A snapshot persisted without the rows it stands for leaves them behind it: reported.
            let bare = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 30, term: 3, conf: RaftConfState(voters: [1, 2])), data: [])
            try store.persist([.init(group: 2, snapshot: bare)])
            #expect(try store.load(group: 2).corruption == RaftLogStore.CorruptionReport(
                table: "raft_groups", index: 20, reason: "applied rows are behind the snapshot at 30"))
        }
    }

    @Test("applied index and rows change together; a failing apply leaves neither")
    func applyAtomicity() throws {
        try withStore { store, _ in
            try store.createGroup(1, voters: [1])
            try store.createGroup(2, voters: [1])
            try store.apply([
                .init(group: 1, appliedIndex: 5, rows: [.putTicket(id: "t1", record: [1]), .putTicket(id: "t0", record: [0])]),
                .init(group: 2, appliedIndex: 3, rows: [.putTicket(id: "t9", record: [])]),
            ])
            #expect(try store.load(group: 1).appliedIndex == 5)
            #expect(try store.loadTickets(group: 1).map(\.id) == ["t1", "t0"], "rows come back in creation order")
            #expect(try store.loadTickets(group: 2).map(\.record) == [[]])

            // Group 99 does not exist: the whole transaction rolls back, group 1's part included.
            #expect(throws: RaftLogStoreError.self) {
                try store.apply([
                    .init(group: 1, appliedIndex: 6, rows: [.putTicket(id: "t2", record: [2]), .deleteTicket(id: "t1")]),
                    .init(group: 99, appliedIndex: 1, rows: []),
                ])
            }
            #expect(try store.load(group: 1).appliedIndex == 5)
            #expect(try store.loadTickets(group: 1).map(\.id) == ["t1", "t0"])

            // Same with a persist in the transaction: the log write does not survive either.
            #expect(throws: RaftLogStoreError.self) {
                try store.commit(writes: [.init(group: 1, entries: entries(1...3, term: 1))],
                                 applies: [.init(group: 77, appliedIndex: 1, rows: [])])
            }
            #expect(try store.load(group: 1).persistent.entries.isEmpty)

            // After the rollback the store still knows where t1 lives: an update, a delete and a
            // new ticket land on the right rows.
            try store.apply([.init(group: 1, appliedIndex: 7, rows: [.putTicket(id: "t1", record: [3]), .deleteTicket(id: "t0"),
                                                                       .putTicket(id: "t2", record: [4])])])
            #expect(try store.loadTickets(group: 1).map(\.record) == [[3], [4]])

            // A snapshot install replaces the rows wholesale.
            try store.apply([.init(group: 1, appliedIndex: 50, replaceAll: true, rows: [.putTicket(id: "t5", record: [5])])])
            #expect(try store.loadTickets(group: 1).map(\.id) == ["t5"])
            try store.apply([.init(group: 1, appliedIndex: 51, rows: [.putTicket(id: "t5", record: [6]), .putTicket(id: "t6", record: [7])])])
            #expect(try store.loadTickets(group: 1).map(\.record) == [[6], [7]])
            #expect(try store.loadTickets(group: 2).map(\.id) == ["t9"])
        }
    }

    @Test("a byte flipped in an entry on disk is reported, and the log is cut before it")
    func entryCorruption() throws {
        try withStore { store, _ in
            try store.createGroup(4, voters: [1, 2, 3])
            try store.persist([.init(group: 4, hardState: RaftHardState(term: 1, vote: 2, commit: 5), entries: entries(1...5, term: 1, group: 4))])
            // A raw UPDATE, as a damaged sector would: the stored crc no longer matches.
            try store.pool.write { db in
                var data = try Data.fetchOne(db, sql: "SELECT data FROM raft_entries WHERE group_id = 4 AND idx = 3")!
                data[data.startIndex + 2] ^= 0x01
                try db.execute(sql: "UPDATE raft_entries SET data = ? WHERE group_id = 4 AND idx = 3", arguments: [data])
            }
            let loaded = try store.load(group: 4)
            #expect(loaded.corruption == RaftLogStore.CorruptionReport(table: "raft_entries", index: 3, reason: "checksum mismatch"))
            #expect(loaded.persistent.entries == entries(1...2, term: 1, group: 4))
            #expect(loaded.persistent.hardState == RaftHardState(term: 1, vote: 2, commit: 2))

            // After the wipe: nothing left to distrust, the term and vote are kept, the commit is not,
            // and until the replica catches up every load (a restart) still says it is recovering.
            try store.apply([.init(group: 4, appliedIndex: 2, rows: [.putTicket(id: "t", record: [1])])])
            try store.deleteGroupState(group: 4)
            let wiped = try store.load(group: 4)
            #expect(wiped.corruption?.table == "raft_groups")
            #expect(wiped.persistent.entries.isEmpty && wiped.persistent.snapshot == nil && wiped.appliedIndex == 0)
            #expect(wiped.persistent.hardState == RaftHardState(term: 1, vote: 2, commit: 0))
            #expect(try store.loadTickets(group: 4).isEmpty)
            #expect(try store.groups() == [4])

            // A snapshot from the leader ends recovery; so does markRecovered after a log catch-up.
            let snapshot = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 5, term: 1, conf: RaftConfState(voters: [1, 2, 3])), data: [1])
            try store.commit(writes: [.init(group: 4, hardState: RaftHardState(term: 1, vote: 2, commit: 5), snapshot: snapshot)],
                             applies: [.init(group: 4, appliedIndex: 5, replaceAll: true, rows: [.putTicket(id: "t", record: [2])])])
            let recovered = try store.load(group: 4)
            #expect(recovered.corruption == nil)
            #expect(recovered.persistent.snapshot == snapshot.metadata)
            try store.deleteGroupState(group: 4)
            #expect(try store.load(group: 4).corruption != nil)
            try store.markRecovered(group: 4)
            #expect(try store.load(group: 4).corruption == nil)
        }
    }

    @Test("a damaged term, hard state, snapshot, ticket row or a missing entry is reported too")
    func otherCorruption() throws {
        try withStore { store, _ in
            for group: UInt32 in 1...5 { try store.createGroup(group, voters: [1]) }
            let snapshot = RaftSnapshotMetadata(index: 2, term: 1, conf: RaftConfState(voters: [1]))
            for group: UInt32 in 1...5 {
                try store.commit(writes: [.init(group: group, hardState: RaftHardState(term: 1, vote: 1, commit: 4),
                                                entries: entries(1...4, term: 1, group: group))],
                                 applies: [.init(group: group, appliedIndex: 2, rows: [.putTicket(id: "a", record: [1, 2]), .putTicket(id: "b", record: [3])])])
            }
            try store.compact(group: 3, metadata: snapshot)
            try store.pool.write { db in
                try db.execute(sql: "UPDATE raft_entries SET term = 2 WHERE group_id = 1 AND idx = 4")
                try db.execute(sql: "UPDATE raft_hard_state SET vote = 3 WHERE group_id = 2")
                try db.execute(sql: "UPDATE raft_snapshots SET term = 7 WHERE group_id = 3")
                try db.execute(sql: "DELETE FROM raft_entries WHERE group_id = 4 AND idx = 2")
                try db.execute(sql: "UPDATE shard_tickets SET record = x'0103' WHERE group_id = 5 AND ticket_id = 'a'")
            }
            let one = try store.load(group: 1)
            #expect(one.corruption?.index == 4)
            #expect(one.persistent.entries.count == 3)
            let two = try store.load(group: 2)
            #expect(two.corruption?.table == "raft_hard_state")
            #expect(two.persistent.hardState == RaftHardState())
            #expect(two.persistent.entries.count == 4)
            let three = try store.load(group: 3)
            #expect(three.corruption?.table == "raft_snapshots")
            #expect(three.persistent.snapshot == nil && three.persistent.entries.isEmpty)
            let four = try store.load(group: 4)
            #expect(four.corruption?.table == "raft_entries")
            #expect(four.corruption?.index == 2)
            #expect(four.persistent.entries.map(\.index) == [1])
            let five = try store.load(group: 5)
            #expect(five.corruption == RaftLogStore.CorruptionReport(table: "shard_tickets", index: 1, reason: "checksum mismatch"))
            #expect(five.tickets.isEmpty && five.persistent.entries.count == 4)
            #expect(throws: RaftLogStoreError.self) { try store.loadTickets(group: 5) }
            #expect(try store.load(group: 1).tickets.map(\.id) == ["a", "b"])
        }
    }

    @Test("a reopened store sees everything that was committed")
    func reopen() throws {
        try withStore { store, path in
            try store.createGroup(3, voters: [1, 2])
            let snapshot = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 2, term: 1, conf: RaftConfState(voters: [1, 2])), data: [7])
            try store.commit(writes: [.init(group: 3, hardState: RaftHardState(term: 1, vote: 1, commit: 4), entries: entries(3...4, term: 1),
                                            snapshot: snapshot)],
                             applies: [.init(group: 3, appliedIndex: 4, rows: [.putTicket(id: "a", record: [1, 2]), .putTicket(id: "b", record: [3])])])
            let before = try store.load(group: 3)
            try store.close()
            let reopened = try RaftLogStore(path: path)
            defer { try? reopened.close() }
            #expect(try reopened.load(group: 3) == before)
            #expect(before.persistent.entries.map(\.index) == [3, 4] && before.appliedIndex == 4)
            #expect(try reopened.loadTickets(group: 3).map(\.record) == [[1, 2], [3]])
            // The reopened store finds existing rows by id: an update replaces, a new id appends.
            try reopened.apply([.init(group: 3, appliedIndex: 5, rows: [.putTicket(id: "a", record: [9]), .putTicket(id: "c", record: [4])])])
            #expect(try reopened.loadTickets(group: 3).map(\.record) == [[9], [3], [4]])
        }
    }

    @Test("a store written before ticket rows were keyed by creation order migrates its rows and drops the key table")
    func migratesTicketRows() throws {
        let path = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        try writeOldStore(at: path, upTo: "raft-v2-recovering") { db in
            try db.execute(sql: "INSERT INTO raft_groups (group_id, initial_voters, applied_idx) VALUES (4, NULL, 9)")
            try db.execute(sql: "INSERT INTO shard_tickets VALUES (4, 'zeta', x'01'), (4, 'alpha', x'02')")
            try db.execute(sql: "INSERT INTO shard_idempotency VALUES (4, 'k', 'zeta')")
        }
        let store = try RaftLogStore(path: path)
        defer { try? store.close() }
        #expect(try store.loadTickets(group: 4).map(\.id) == ["alpha", "zeta"])
        try store.apply([.init(group: 4, appliedIndex: 10, rows: [.putTicket(id: "zeta", record: [3]), .putTicket(id: "new", record: [4])])])
        #expect(try store.loadTickets(group: 4).map(\.record) == [[2], [3], [4]])
        let tables = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'shard_%' ORDER BY name") }
        #expect(tables == ["shard_tickets"])
        // The hot-path binding keeps odd values intact: an empty id and record, non-ASCII text and
        // an embedded NUL (kept on the way back too, and found again by a reopened store).
        try store.apply([.init(group: 4, appliedIndex: 11, rows: [.putTicket(id: "", record: []), .putTicket(id: "票-ü\u{0}x", record: [0, 255])])])
        let rows = try store.loadTickets(group: 4)
        #expect(rows.suffix(2).map(\.id) == ["", "票-ü\u{0}x"])
        #expect(rows.suffix(2).map(\.record) == [[], [0, 255]])
        try store.close()
        let reopened = try RaftLogStore(path: path)
        defer { try? reopened.close() }
        try reopened.apply([.init(group: 4, appliedIndex: 12, rows: [.putTicket(id: "票-ü\u{0}x", record: [7])])])
        #expect(try reopened.loadTickets(group: 4).suffix(2).map(\.record) == [[], [7]], "updated in place, not added again")
    }

    @Test("a store from before checked rows gets its rows checksummed and its intact snapshot images dropped; a damaged one stays reported")
    func migratesToCheckedRowsAndImagelessSnapshots() throws {
        let path = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let conf = RaftConfState(voters: [1, 2, 3])
        let intact = RaftSnapshot(metadata: RaftSnapshotMetadata(index: 4, term: 2, conf: conf), data: [0x52, 0x44, 0x53, 0x01, 0])
        try writeOldStore(at: path, upTo: "raft-v3-ticket-rows-in-creation-order") { db in
            try db.execute(sql: "INSERT INTO raft_groups (group_id, initial_voters, applied_idx) VALUES (1, NULL, 6), (2, NULL, 6)")
            try db.execute(sql: "INSERT INTO shard_tickets VALUES (1, 1, 'x', x'0102'), (1, 2, 'y', NULL), (2, 1, 'z', x'03')")
            for (group, crc) in [(Int64(1), Int64(RaftLogStore.checksum(intact, group: 1))), (2, 12345)] {
                try db.execute(sql: "INSERT INTO raft_snapshots VALUES (?, 4, 2, ?, NULL, ?, ?)",
                               arguments: [group, Data(RaftLogStore.encodeMembers(conf.voters)), Data(intact.data), crc])
            }
        }
        let store = try RaftLogStore(path: path)
        defer { try? store.close() }
        let one = try store.load(group: 1)
        #expect(one.corruption == nil)
        #expect(one.persistent.snapshot == intact.metadata)
        #expect(one.tickets == [.init(id: "x", record: [1, 2]), .init(id: "y", record: [])])
        let image = try store.pool.read { db in try Data.fetchOne(db, sql: "SELECT data FROM raft_snapshots WHERE group_id = 1") }
        #expect(image == nil)
        let two = try store.load(group: 2)
        #expect(two.corruption?.table == "raft_snapshots")
        #expect(two.tickets == [.init(id: "z", record: [3])])
    }

    @Test("a group commit of 64 groups is one SQLite transaction")
    func groupCommitIsOneTransaction() throws {
        try withStore { store, _ in
            for group: UInt32 in 0..<64 { try store.createGroup(group, voters: [1, 2, 3]) }
            let counter = CommitCounter()
            store.pool.add(transactionObserver: counter)
            let transactionsBefore = store.transactionCount
            let writes = (0..<UInt32(64)).map { group in
                RaftLogStore.GroupWrite(group: group, hardState: RaftHardState(term: 1, vote: 1, commit: 1), entries: entries(1...3, term: 1, group: group))
            }
            let applies = (0..<UInt32(64)).map { group in
                RaftLogStore.GroupApply(group: group, appliedIndex: 1, rows: [.putTicket(id: "t\(group)", record: [UInt8(group)])])
            }
            try store.commit(writes: writes, applies: applies)
            #expect(counter.commits.withLock { $0 } == 1)
            #expect(store.transactionCount == transactionsBefore + 1)
            for group: UInt32 in 0..<64 {
                let loaded = try store.load(group: group)
                #expect(loaded.persistent.entries.count == 3 && loaded.appliedIndex == 1)
            }
            // Nothing to write is no transaction at all.
            try store.persist([.init(group: 5)])
            #expect(counter.commits.withLock { $0 } == 1)
        }
    }

    @Test("shard rows map to store rows through a record that round-trips and never traps")
    func shardRows() throws {
        let ticket = ShardTicket(id: "tk-1", idempotencyKey: "idem", payload: [0, 1, 2], createdAt: -5, status: .assigned, epoch: 9,
                                 holder: "agent-ü", leaseUntil: Int64.max, escalations: 2, reopens: .max)
        let record = ticket.record
        #expect(ShardTicket(record: record) == ticket)
        let plain = ShardTicket(id: "x", idempotencyKey: nil, payload: [], createdAt: Int64.min)
        #expect(ShardTicket(record: plain.record) == plain)
        for length in 0..<record.count { #expect(ShardTicket(record: Array(record.prefix(length))) == nil) }
        #expect(ShardTicket(record: record + [0]) == nil)

        let apply = RaftLogStore.GroupApply(group: 1, appliedIndex: 3, machineRows: [.ticket(ticket), .idempotencyKey(key: "idem", ticketID: "tk-1")],
                                            of: ShardStateMachine.self)
        // The key needs no row of its own: the ticket's record carries it.
        #expect(apply.rows == [.putTicket(id: "tk-1", record: record)])
    }

    /// The fsync cost the replication loop pays per turn. Prints medians; asserts nothing about
    /// time (machines differ). Run with RINGDESK_MEASURE_FSYNC=1.
    @Test("persist latency with synchronous=FULL", .enabled(if: ProcessInfo.processInfo.environment["RINGDESK_MEASURE_FSYNC"] != nil))
    func measurePersist() throws {
        try withStore { store, _ in
            for group: UInt32 in 0..<64 { try store.createGroup(group, voters: [1, 2, 3]) }
            let clock = ContinuousClock()
            func median(_ samples: [Duration]) -> Double {
                let sorted = samples.sorted()
                let middle = sorted[sorted.count / 2].components
                return Double(middle.seconds) * 1e3 + Double(middle.attoseconds) * 1e-15
            }
            let payload = [UInt8](repeating: 0x5A, count: 200)
            var next = [UInt64](repeating: 1, count: 64)
            func batch(groups: Int, entries: Int) -> [RaftLogStore.GroupWrite] {
                (0..<groups).map { group in
                    defer { next[group] += UInt64(entries) }
                    let first = next[group]
                    return RaftLogStore.GroupWrite(group: UInt32(group), hardState: RaftHardState(term: 1, vote: 1, commit: first - 1),
                                                   entries: (0..<UInt64(entries)).map { RaftEntry(term: 1, index: first + $0, data: payload) })
                }
            }
            var report: [String] = []
            for (groups, entries) in [(1, 1), (8, 1), (64, 1), (64, 16)] {
                var samples: [Duration] = []
                for _ in 0..<200 {
                    let writes = batch(groups: groups, entries: entries)
                    let start = clock.now
                    try store.persist(writes)
                    samples.append(clock.now - start)
                }
                let sorted = samples.sorted()
                report.append("groups=\(groups) entries/group=\(entries) median=\(String(format: "%.3f", median(samples)))ms p90=\(sorted[sorted.count * 9 / 10]) max=\(sorted.last!)")
            }
            print("RaftLogStore persist, 200 calls each, 200-byte entries + a hard state per group: " + report.joined(separator: "; "))
        }
    }
}
