import GRDB

/// The ticket tables (`tickets`, `ticket_events`) written as a read model from inside another
/// writer's transaction: the Raft store projects every applied ticket into them, in the
/// transaction that moves its applied index, so lists, backups and operators' SQL see what the
/// shards applied. Same rows, same statements as the single-node writer.
public enum TicketReadModel {
    /// The number of events stored for the ticket (its row's version), nil when it has no row.
    public static func storedVersion(of id: String, _ db: Database) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: SQL.ticketVersion), arguments: [id])
    }

    /// Stores the ticket's row, stored so far at `storedVersion` (nil: new), and its events that
    /// row does not have yet (`newEvents`, in order).
    public static func put(_ row: TicketRow, storedVersion: Int?, newEvents: [TicketEventRow], _ db: Database) throws {
        if let storedVersion {
            try update(row, expectedVersion: storedVersion, db)
        } else {
            try insert(row, db)
        }
        try insert(newEvents[...], db)
    }

    /// Removes tickets and their events (a shard's state was replaced by a snapshot).
    public static func delete(ticketIDs: some Sequence<String>, _ db: Database) throws {
        for id in ticketIDs {
            try db.cachedStatement(sql: "DELETE FROM ticket_events WHERE ticket_id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM tickets WHERE id = ?").execute(arguments: [id])
        }
    }

    /// Every stored ticket id (to find a replaced shard's rows).
    public static func allTicketIDs(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM tickets")
    }

    static func insert(_ row: TicketRow, _ db: Database) throws {
        try db.cachedStatement(sql: SQL.insertTicket).execute(arguments: [
            row.id, row.idempotencyKey, row.status, row.urgency, row.category, row.channel, row.region,
            row.language, row.queue, row.agentID, row.customerID, row.createdAt, row.updatedAt,
            row.version, row.doc,
        ])
    }

    /// Updates the row if it is at `expectedVersion` (`db.changesCount` says whether it was).
    static func update(_ row: TicketRow, expectedVersion: Int, _ db: Database) throws {
        try db.cachedStatement(sql: SQL.updateTicket).execute(arguments: [
            row.idempotencyKey, row.status, row.urgency, row.category, row.channel, row.region,
            row.language, row.queue, row.agentID, row.customerID, row.createdAt, row.updatedAt,
            row.version, row.doc, row.id, expectedVersion,
        ])
    }

    static func insert(_ events: ArraySlice<TicketEventRow>, _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(sql: SQL.insertEvent)
        for event in events {
            try statement.execute(arguments: [event.ticketID, event.seq, event.at, event.kind, event.doc])
        }
    }
}
