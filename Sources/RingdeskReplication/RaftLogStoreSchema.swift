import GRDB
import RingdeskRaft

/// The Raft store's schema as frozen SQL migrations. Never edit a shipped migration: append one.
///
/// Integers are SQLite INTEGERs holding the UInt64's bit pattern (node ids may use all 64 bits).
/// Blob columns allow NULL because SQLite binds an empty blob as NULL; readers treat NULL as empty.
/// `crc` columns hold the CRC-32C of the row (see `RaftLogStore` for what each covers).
enum RaftLogStoreSchema {
    /// A migration: frozen SQL, or Swift where it computes what SQL cannot (checksums).
    enum Step {
        case sql(String)
        case code(@Sendable (Database) throws -> Void)
    }

    static let migrations: [(identifier: String, step: Step)] = [
        ("raft-v1-initial", .sql(v1Initial)),
        ("raft-v2-recovering", .sql(v2Recovering)),
        ("raft-v3-ticket-rows-in-creation-order", .sql(v3TicketRowsInCreationOrder)),
        ("raft-v4-checked-rows-imageless-snapshots", .code(v4CheckedRowsImagelessSnapshots)),
    ]

    /// The applied ticket rows become the group's durable state machine, so they carry a CRC-32C
    /// like every other row (`RaftLogStore.checksum(ticket:record:group:)`), computed here for the
    /// rows already stored. Snapshot rows keep only their metadata: the rows are the state at the
    /// applied index (never behind a snapshot), and an image is encoded only when a follower needs
    /// one. A stored image whose checksum holds is dropped and the row re-checksummed without it;
    /// one that fails its checksum is left as it is, so loading still reports it.
    static func v4CheckedRowsImagelessSnapshots(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE shard_tickets ADD COLUMN crc INTEGER NOT NULL DEFAULT 0")
        let rows = try Row.fetchAll(db, sql: "SELECT group_id, row_no, CAST(ticket_id AS BLOB), record FROM shard_tickets")
        let update = try db.makeStatement(sql: "UPDATE shard_tickets SET crc = ? WHERE group_id = ? AND row_no = ?")
        for row in rows {
            let group = UInt32(truncatingIfNeeded: row[0] as Int64)
            let crc = RaftLogStore.checksum(ticket: RaftLogStore.bytes(row[2]), record: RaftLogStore.bytes(row[3]), group: group)
            try update.execute(arguments: [Int64(crc), row[0] as Int64, row[1] as Int64])
        }
        let snapshots = try Row.fetchAll(db, sql: "SELECT idx, term, voters, learners, data, crc, group_id FROM raft_snapshots")
        let rewrite = try db.makeStatement(sql: "UPDATE raft_snapshots SET data = NULL, crc = ? WHERE group_id = ?")
        for row in snapshots {
            let group = UInt32(truncatingIfNeeded: row[6] as Int64)
            guard let stored = RaftLogStore.storedSnapshot(row),
                  RaftLogStore.checksum(stored, group: group) == RaftLogStore.crc(row[5]) else { continue }
            let metadata = stored.metadata
            try rewrite.execute(arguments: [Int64(RaftLogStore.checksum(RaftSnapshot(metadata: metadata, data: []), group: group)), row[6] as Int64])
        }
    }

    /// Ticket rows keyed by a per-group row number the store hands out in creation order, so a
    /// batch of creates appends to the B-tree's right edge instead of dirtying one random page per
    /// ticket (30 creates per commit wrote ~570 KB to the WAL keyed by ticket id, ~75 KB this way).
    /// Idempotency keys are not a table any more: each ticket's record carries its key, and the
    /// state machine (rebuilt from snapshot and log) holds the key map.
    static let v3TicketRowsInCreationOrder = """
        CREATE TABLE shard_ticket_rows (
            group_id INTEGER NOT NULL,
            row_no INTEGER NOT NULL,
            ticket_id TEXT NOT NULL,
            record BLOB,
            PRIMARY KEY (group_id, row_no)
        ) WITHOUT ROWID;
        INSERT INTO shard_ticket_rows (group_id, row_no, ticket_id, record)
            SELECT group_id, ROW_NUMBER() OVER (PARTITION BY group_id ORDER BY ticket_id), ticket_id, record FROM shard_tickets;
        DROP TABLE shard_tickets;
        DROP TABLE shard_idempotency;
        ALTER TABLE shard_ticket_rows RENAME TO shard_tickets;
        """

    /// A group whose state was wiped after corruption stays marked until a snapshot (or the
    /// owner) says it caught up again, so a restart in between cannot forget that the replica may
    /// have lost entries it acknowledged and must not vote.
    static let v2Recovering = """
        ALTER TABLE raft_groups ADD COLUMN recovering INTEGER NOT NULL DEFAULT 0;
        """

    static let v1Initial = """
        CREATE TABLE raft_groups (
            group_id INTEGER PRIMARY KEY NOT NULL,
            initial_voters BLOB,
            applied_idx INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE raft_hard_state (
            group_id INTEGER PRIMARY KEY NOT NULL,
            term INTEGER NOT NULL,
            vote INTEGER NOT NULL,
            commit_idx INTEGER NOT NULL,
            crc INTEGER NOT NULL
        );

        CREATE TABLE raft_entries (
            group_id INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            term INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            data BLOB,
            crc INTEGER NOT NULL,
            PRIMARY KEY (group_id, idx)
        ) WITHOUT ROWID;

        CREATE TABLE raft_snapshots (
            group_id INTEGER PRIMARY KEY NOT NULL,
            idx INTEGER NOT NULL,
            term INTEGER NOT NULL,
            voters BLOB,
            learners BLOB,
            data BLOB,
            crc INTEGER NOT NULL
        );

        CREATE TABLE shard_tickets (
            group_id INTEGER NOT NULL,
            ticket_id TEXT NOT NULL,
            record BLOB,
            PRIMARY KEY (group_id, ticket_id)
        ) WITHOUT ROWID;

        CREATE TABLE shard_idempotency (
            group_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            PRIMARY KEY (group_id, key)
        ) WITHOUT ROWID;
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            switch migration.step {
            case .sql(let sql): migrator.registerMigration(migration.identifier) { db in try db.execute(sql: sql) }
            case .code(let body): migrator.registerMigration(migration.identifier, migrate: body)
            }
        }
        return migrator
    }
}
