import Foundation
import NIOConcurrencyHelpers
import RingdeskDomain
import RingdeskStorage

/// The original single-node ticket store: one SQLite file, one writer with group commit. A ticket
/// is a row (its document without history) plus one row per history event, so a command writes
/// only its new events however long the history is. Kept while the shard journal takes over.
public final class SQLiteTicketJournal: TicketJournal {
    public let storage: SQLiteStorage
    private let ids = NIOLockedValueBox(TicketIDGenerator())

    public init(storage: SQLiteStorage) {
        self.storage = storage
    }

    public func loadTickets(terminalSince: Date) async throws -> [Ticket] {
        let events = try await storage.allEvents()
        var loaded: [Ticket] = []
        for row in try await storage.allTickets() {
            ids.withLockedValue { $0.observe(row.id) }
            let ticket = try Self.ticket(row, events: events[row.id] ?? [])
            if ticket.status.isOpen || ticket.updatedAt >= terminalSince { loaded.append(ticket) }
        }
        return loaded
    }

    public func newTicketID(now: Date, idempotencyKey: String?) -> String {
        ids.withLockedValue { $0.next(now: now) }
    }

    public func create(_ ticket: Ticket) async throws -> TicketJournalCreated {
        let rows = try Self.rows(ticket, eventsAfter: 0)
        let result: StorageWriteResult
        do {
            result = try await storage.write(.createTicket(rows.row, events: rows.events))
        } catch {
            throw ServiceError.unavailable("the ticket could not be stored: \(error)")
        }
        switch result {
        case .applied:
            return .created(ticket, document: rows.document)
        case .duplicate(let existingID):
            guard let existing = try await storedTicket(existingID) else { throw ServiceError.ticketNotFound(existingID) }
            return .duplicate(existing)
        case .versionConflict, .notFound:
            throw ServiceError.conflict("unexpected storage result \(result)")
        }
    }

    public func commit(_ change: TicketJournalChange) async throws -> TicketJournalCommitted {
        let updated = try Self.rows(change.after, eventsAfter: change.before.history.count)
        var operations: [StorageWrite] = [.updateTicket(updated.row, expectedVersion: change.before.history.count, newEvents: updated.events)]
        for followUp in change.followUps {
            let created = try Self.rows(followUp, eventsAfter: 0)
            operations.append(.createTicket(created.row, events: created.events))
        }
        let result = try await storage.write(operations)
        guard result == .applied else {
            throw ServiceError.conflict("ticket \(change.after.id) changed underneath this command (\(result))")
        }
        return TicketJournalCommitted(ticket: change.after, followUps: change.followUps)
    }

    public func storedTicket(_ id: String) async throws -> Ticket? {
        guard let row = try await storage.ticket(id: id) else { return nil }
        return try Self.ticket(row, events: try await storage.events(ticketID: id))
    }

    /// One page from SQLite (filters and keyset paging are the storage's), with the histories
    /// read in one more query.
    public func list(_ filter: TicketFilter) async throws -> (tickets: [Ticket], nextCursor: String?) {
        let page = try await storage.listTickets(filter)
        let events = try await storage.events(ticketIDs: page.tickets.map(\.id))
        return (try page.tickets.map { try Self.ticket($0, events: events[$0.id] ?? []) }, page.nextCursor)
    }

    /// The single-node store applies the policy the service holds; nothing to record.
    public func setPolicy(_ policy: DomainPolicy) async throws {}

    // MARK: Rows

    /// A ticket from its stored row (the document without history) and its event rows. Events
    /// newer than the row's version (a write that landed between two reads) are left out.
    static func ticket(_ row: TicketRow, events: [TicketEventRow]) throws -> Ticket {
        var ticket = try TicketService.decode(Ticket.self, row.doc)
        ticket.history = try events.prefix(row.version).map { try TicketService.decode(TicketEvent.self, $0.doc) }
        return ticket
    }

    /// The ticket's row and its history events from `count` on, plus the API document (with the
    /// whole history) for answering. Each event is stored once, in its `ticket_events` row; the
    /// ticket row's document has an empty history, so a command writes only its new events
    /// however long the history is.
    static func rows(_ ticket: Ticket, eventsAfter count: Int) throws -> (row: TicketRow, events: [TicketEventRow], document: Data) {
        let (full, stored, eventDocs) = TicketJSONWriter.document(ticket)
        let events = zip(ticket.history, eventDocs).dropFirst(count).map { event, eventDoc in
            TicketEventRow(ticketID: ticket.id, seq: event.seq, at: event.at.timeIntervalSince1970, kind: event.kind.rawValue, doc: eventDoc)
        }
        return (row(ticket, doc: stored), events, full)
    }

    /// The ticket's row and only the event rows from `first` on, without the API document: what a
    /// store that holds the first `first` events writes (the shards' read model).
    static func rows(_ ticket: Ticket, storedEvents first: Int) -> (row: TicketRow, events: [TicketEventRow]) {
        let (stored, eventDocs) = TicketJSONWriter.stored(ticket, eventsFrom: first)
        let events = zip(ticket.history.dropFirst(first), eventDocs).map { event, eventDoc in
            TicketEventRow(ticketID: ticket.id, seq: event.seq, at: event.at.timeIntervalSince1970, kind: event.kind.rawValue, doc: eventDoc)
        }
        return (row(ticket, doc: stored), events)
    }

    private static func row(_ ticket: Ticket, doc: Data) -> TicketRow {
        TicketRow(
            id: ticket.id, idempotencyKey: ticket.idempotencyKey, status: ticket.status.rawValue,
            urgency: ticket.urgency.rawValue, category: ticket.category.rawValue, channel: ticket.channel.rawValue,
            region: ticket.customer.region, language: ticket.customer.language, queue: ticket.queue,
            // The holder, else the agent offered it, else the last agent who handled it: so a
            // supervisor's "tickets of agent X" still finds the ones X resolved.
            agentID: ticket.listedAgentID, customerID: ticket.customer.id,
            createdAt: ticket.createdAt.timeIntervalSince1970, updatedAt: ticket.updatedAt.timeIntervalSince1970,
            version: ticket.history.count, doc: doc
        )
    }
}

extension Ticket {
    /// The agent a supervisor's "tickets of agent X" finds it under: the holder, else the agent
    /// offered it, else the last agent who handled it (so X's resolved tickets still show).
    public var listedAgentID: String? { assignedAgentID ?? offer?.agentID ?? lastAgentID }
}
