import Foundation
import GRDB

/// Reads run on GRDB's reader connections: isolated snapshots that never block the writer (WAL).
extension SQLiteStorage {
    public func ticket(id: String) async throws -> TicketRow? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(TicketColumns.list) FROM tickets WHERE id = ?", arguments: [id])
                .map(TicketColumns.decode)
        }
    }

    public func ticket(idempotencyKey: String) async throws -> TicketRow? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(TicketColumns.list) FROM tickets WHERE idempotency_key = ?", arguments: [idempotencyKey])
                .map(TicketColumns.decode)
        }
    }

    /// The ticket's history in `seq` order.
    public func events(ticketID: String) async throws -> [TicketEventRow] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT ticket_id, seq, at, kind, doc FROM ticket_events WHERE ticket_id = ? ORDER BY seq",
                arguments: [ticketID]
            ).map { row in
                TicketEventRow(ticketID: row[0], seq: row[1], at: row[2], kind: row[3], doc: row[4])
            }
        }
    }

    /// The histories of several tickets (each in `seq` order), in one read.
    public func events(ticketIDs: [String]) async throws -> [String: [TicketEventRow]] {
        guard !ticketIDs.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ticketIDs.count).joined(separator: ",")
        return try await read { db in
            var result: [String: [TicketEventRow]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT ticket_id, seq, at, kind, doc FROM ticket_events WHERE ticket_id IN (\(placeholders)) ORDER BY ticket_id, seq",
                arguments: StatementArguments(ticketIDs)
            )
            while let row = try rows.next() {
                let event = TicketEventRow(ticketID: row[0], seq: row[1], at: row[2], kind: row[3], doc: row[4])
                result[event.ticketID, default: []].append(event)
            }
            return result
        }
    }

    /// Every history event, by ticket and `seq`, in one read: for rebuilding state at start.
    public func allEvents() async throws -> [String: [TicketEventRow]] {
        try await read { db in
            var result: [String: [TicketEventRow]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT ticket_id, seq, at, kind, doc FROM ticket_events ORDER BY ticket_id, seq")
            while let row = try rows.next() {
                let event = TicketEventRow(ticketID: row[0], seq: row[1], at: row[2], kind: row[3], doc: row[4])
                result[event.ticketID, default: []].append(event)
            }
            return result
        }
    }

    /// One page of tickets matching `filter`, ordered by `(createdAt, id)`.
    ///
    /// Throws `invalid_argument` for a limit outside `TicketFilter.limits` or a malformed cursor.
    public func listTickets(_ filter: TicketFilter) async throws -> TicketPage {
        guard TicketFilter.limits.contains(filter.limit) else {
            throw StorageError(code: .invalidArgument, message: "limit must be within \(TicketFilter.limits)")
        }
        let cursor = try filter.cursor.map { try TicketCursor(encoded: $0) }
        let query = TicketQuery(filter: filter, cursor: cursor)
        let limit = filter.limit
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: query.sql, arguments: query.arguments)
            var tickets = rows.prefix(limit).map(TicketColumns.decode)
            tickets.reserveCapacity(limit)
            let next = rows.count > limit ? tickets.last.map { TicketCursor(createdAt: $0.createdAt, id: $0.id).encoded } : nil
            return TicketPage(tickets: tickets, nextCursor: next)
        }
    }

    /// Every ticket whose status is not in `excludingStatuses`, oldest first, in one read
    /// transaction (a consistent snapshot). For rebuilding in-memory state at start.
    public func allTickets(excludingStatuses: Set<String> = []) async throws -> [TicketRow] {
        let query = TicketQuery(excludingStatuses: excludingStatuses)
        return try await read { db in
            try Row.fetchAll(db, sql: query.sql, arguments: query.arguments).map(TicketColumns.decode)
        }
    }

    /// Streams every ticket whose status is not in `excludingStatuses`, oldest first, in chunks
    /// of `chunkSize`, so a large table never sits in memory at once. Each chunk is its own read:
    /// tickets written meanwhile may or may not be seen, none is seen twice.
    public func forEachTicket(
        excludingStatuses: Set<String> = [],
        chunkSize: Int = 1000,
        _ body: ([TicketRow]) async throws -> Void
    ) async throws {
        guard chunkSize >= 1 else {
            throw StorageError(code: .invalidArgument, message: "chunkSize must be at least 1")
        }
        var cursor: TicketCursor?
        while true {
            let query = TicketQuery(excludingStatuses: excludingStatuses, after: cursor, limit: chunkSize)
            let chunk = try await read { db in
                try Row.fetchAll(db, sql: query.sql, arguments: query.arguments).map(TicketColumns.decode)
            }
            if chunk.isEmpty { return }
            try await body(chunk)
            if chunk.count < chunkSize { return }
            cursor = chunk.last.map { TicketCursor(createdAt: $0.createdAt, id: $0.id) }
        }
    }

    public func ticketCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0 }
    }

    public func agent(id: String) async throws -> AgentRow? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT id, updated_at, doc FROM agents WHERE id = ?", arguments: [id])
                .map { AgentRow(id: $0[0], updatedAt: $0[1], doc: $0[2]) }
        }
    }

    /// Every agent, by id.
    public func allAgents() async throws -> [AgentRow] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, updated_at, doc FROM agents ORDER BY id")
                .map { AgentRow(id: $0[0], updatedAt: $0[1], doc: $0[2]) }
        }
    }

    public func meta(_ key: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// A reader access with errors mapped to `StorageError`.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StorageError(error)
        }
    }
}

/// The `tickets` column list in the order `decode` reads it.
enum TicketColumns {
    static let list = """
        id, idempotency_key, status, urgency, category, channel, region, language, queue, agent_id, \
        customer_id, created_at, updated_at, version, doc
        """

    static func decode(_ row: Row) -> TicketRow {
        TicketRow(
            id: row[0], idempotencyKey: row[1], status: row[2], urgency: row[3], category: row[4],
            channel: row[5], region: row[6], language: row[7], queue: row[8], agentID: row[9],
            customerID: row[10], createdAt: row[11], updatedAt: row[12], version: row[13],
            doc: row[14] ?? Data())
    }
}

/// A `SELECT` over `tickets` built from a filter: WHERE clauses, keyset condition, order, limit + 1.
struct TicketQuery: Sendable {
    private(set) var sql: String
    private(set) var arguments: StatementArguments

    init(filter: TicketFilter, cursor: TicketCursor?) {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !filter.statuses.isEmpty {
            clauses.append("status IN (\(Array(repeating: "?", count: filter.statuses.count).joined(separator: ", ")))")
            arguments += filter.statuses.map { $0 }
        }
        let equalities: [(String, String?)] = [
            ("urgency", filter.urgency), ("region", filter.region), ("category", filter.category),
            ("channel", filter.channel), ("agent_id", filter.agentID), ("customer_id", filter.customerID),
            ("queue", filter.queue),
        ]
        for case let (column, value?) in equalities {
            clauses.append("\(column) = ?")
            arguments.append(value)
        }
        if let from = filter.createdFrom {
            clauses.append("created_at >= ?")
            arguments.append(from)
        }
        if let before = filter.createdBefore {
            clauses.append("created_at < ?")
            arguments.append(before)
        }
        let ascending = filter.order == .oldestFirst
        if let cursor {
            clauses.append("(created_at, id) \(ascending ? ">" : "<") (?, ?)")
            arguments += [cursor.createdAt, cursor.id]
        }
        self.init(clauses: clauses, arguments: arguments, ascending: ascending, limit: filter.limit + 1)
    }

    init(excludingStatuses: Set<String>, after cursor: TicketCursor? = nil, limit: Int? = nil) {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !excludingStatuses.isEmpty {
            clauses.append("status NOT IN (\(Array(repeating: "?", count: excludingStatuses.count).joined(separator: ", ")))")
            arguments += excludingStatuses.sorted().map { $0 }
        }
        if let cursor {
            clauses.append("(created_at, id) > (?, ?)")
            arguments += [cursor.createdAt, cursor.id]
        }
        self.init(clauses: clauses, arguments: arguments, ascending: true, limit: limit)
    }

    private init(clauses: [String], arguments: [(any DatabaseValueConvertible)?], ascending: Bool, limit: Int?) {
        var sql = "SELECT \(TicketColumns.list) FROM tickets"
        if !clauses.isEmpty {
            sql += " WHERE " + clauses.joined(separator: " AND ")
        }
        sql += ascending ? " ORDER BY created_at, id" : " ORDER BY created_at DESC, id DESC"
        if let limit {
            sql += " LIMIT \(limit)"
        }
        self.sql = sql
        self.arguments = StatementArguments(arguments)
    }
}
