import Foundation
import RingdeskDomain

/// Writes a ticket (and its history events) as JSON directly into bytes: the same document the
/// domain types' `Codable` form gives through `ISO8601Millis.encoder()` (same keys, nil optionals
/// left out), at a fraction of the cost. Every create and every command writes one, so this is the
/// node's hottest serialisation; `TicketJSONWriterTests` checks it against `JSONEncoder`.
public struct TicketJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 2048) {
        bytes.reserveCapacity(capacity)
    }

    /// The ticket as the API shows it (`full`, with its history), the same document with an
    /// empty history as it is stored (`stored`; the events live in their own rows), and each
    /// event's document.
    static func document(_ ticket: Ticket) -> (full: Data, stored: Data, events: [Data]) {
        var events: [Data]? = []
        events?.reserveCapacity(ticket.history.count)
        var writer = TicketJSONWriter()
        let history = writer.ticket(ticket, eventDocuments: &events)
        let full = Data(writer.bytes)
        var stored = Data(writer.bytes[..<history.lowerBound])
        stored.append(contentsOf: writer.bytes[history.upperBound...])
        return (full, stored, events ?? [])
    }

    /// The ticket as the API shows it (with its history): the body of a ticket response and of
    /// an offer line on the agents' stream.
    public static func apiDocument(_ ticket: Ticket) -> [UInt8] {
        var writer = TicketJSONWriter()
        var none: [Data]? = nil
        writer.ticket(ticket, eventDocuments: &none)
        return writer.bytes
    }

    /// An object of optional string fields followed by one array of tickets (in that key order):
    /// the shape of the ticket list, offers and assignments responses.
    public static func apiObject(fields: [(String, String?)], arrayKey: String, tickets: [Ticket]) -> [UInt8] {
        var writer = TicketJSONWriter(capacity: 256 + 2048 * tickets.count)
        var none: [Data]? = nil
        writer.open()
        for (name, value) in fields { writer.field(name, value) }
        writer.key(arrayKey)
        writer.array(tickets) { $0.ticket($1, eventDocuments: &none) }
        writer.close()
        return writer.bytes
    }

    /// The stored document (empty history) and the documents of the events from `first` on only:
    /// what a store writes for a ticket whose first `first` events it already holds.
    static func stored(_ ticket: Ticket, eventsFrom first: Int) -> (stored: Data, events: [Data]) {
        var events: [Data]? = []
        events?.reserveCapacity(max(0, ticket.history.count - first))
        var writer = TicketJSONWriter()
        writer.ticket(ticket, eventDocuments: &events, eventsFrom: first)
        return (Data(writer.bytes), events ?? [])
    }

    // MARK: Domain types

    /// Writes the ticket; returns the byte range of the history array's contents. With
    /// `eventsFrom`, the history array stays empty and only the events from that index on are
    /// written, each as its own document. Event documents are collected only when
    /// `eventDocuments` is not nil.
    @discardableResult
    mutating func ticket(_ t: Ticket, eventDocuments: inout [Data]?, eventsFrom first: Int? = nil) -> Range<Int> {
        open()
        field("id", t.id)
        field("category", t.category.rawValue)
        field("channel", t.channel.rawValue)
        key("customer"); customer(t.customer)
        field("subject", t.subject)
        field("body", t.body)
        key("required_skills"); array(t.requiredSkills) { $0.skill($1) }
        field("preferred_agent_id", t.preferredAgentID)
        field("queue", t.queue)
        field("status", t.status.rawValue)
        field("urgency", t.urgency.rawValue)
        field("urgency_overridden", t.urgencyOverridden)
        field("support_tier", t.supportTier.rawValue)
        field("created_at", t.createdAt)
        field("updated_at", t.updatedAt)
        field("first_response_at", t.firstResponseAt)
        field("resolved_at", t.resolvedAt)
        field("closed_at", t.closedAt)
        field("assigned_agent_id", t.assignedAgentID)
        field("last_agent_id", t.lastAgentID)
        if let offer = t.offer {
            key("offer"); open()
            field("agent_id", offer.agentID)
            field("offered_at", offer.offeredAt)
            field("expires_at", offer.expiresAt)
            close()
        }
        key("epoch"); integer(Int64(clamping: t.epoch))
        field("delivery_attempts", t.deliveryAttempts)
        key("excluded_agent_ids"); array(t.excludedAgentIDs) { $0.string($1) }
        field("reopen_count", t.reopenCount)
        field("queued_at", t.queuedAt)
        field("queued_at_head", t.queuedAtHead)
        key("sla"); sla(t.sla)
        key("history")
        bytes.append(UInt8(ascii: "["))
        let historyStart = bytes.count
        if let first {
            var scratch = TicketJSONWriter()
            for event in t.history.dropFirst(first) {
                scratch.bytes.removeAll(keepingCapacity: true)
                scratch.event(event)
                eventDocuments?.append(Data(scratch.bytes))
            }
        } else {
            for (index, event) in t.history.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                let start = bytes.count
                self.event(event)
                if eventDocuments != nil { eventDocuments?.append(Data(bytes[start...])) }
            }
        }
        let historyEnd = bytes.count
        bytes.append(UInt8(ascii: "]"))
        if let feedback = t.feedback {
            key("feedback"); open()
            field("rating", feedback.rating)
            field("comment", feedback.comment)
            field("at", feedback.at)
            close()
        }
        field("follow_up_of", t.followUpOf)
        field("follow_up_ticket_id", t.followUpTicketID)
        field("idempotency_key", t.idempotencyKey)
        close()
        return historyStart..<historyEnd
    }

    mutating func customer(_ c: CustomerContext) {
        open()
        field("id", c.id)
        field("tier", c.tier.rawValue)
        field("order_id", c.orderID)
        if let value = c.orderValue { key("order_value"); number(value) }
        field("language", c.language)
        field("region", c.region)
        field("deadline", c.deadline)
        close()
    }

    mutating func skill(_ s: SkillRequirement) {
        open()
        field("skill", s.skill)
        field("min_level", s.minLevel)
        close()
    }

    mutating func sla(_ s: SLAClock) {
        open()
        field("started_at", s.startedAt)
        key("first_response_target"); number(s.firstResponseTarget)
        key("resolution_target"); number(s.resolutionTarget)
        field("first_response_due", s.firstResponseDue)
        field("resolution_due", s.resolutionDue)
        field("paused_since", s.pausedSince)
        key("total_paused"); number(s.totalPaused)
        field("first_response_breached", s.firstResponseBreached)
        field("resolution_breached", s.resolutionBreached)
        close()
    }

    mutating func event(_ e: TicketEvent) {
        open()
        field("seq", e.seq)
        field("at", e.at)
        field("kind", e.kind.rawValue)
        key("actor"); open()
        field("kind", e.actor.kind.rawValue)
        field("id", e.actor.id)
        close()
        field("from", e.from?.rawValue)
        field("to", e.to.rawValue)
        field("reason", e.reason)
        key("details"); open()
        for (name, value) in e.details.sorted(by: { $0.key < $1.key }) { field(name, value) }
        close()
        field("internal", e.isInternal)
        close()
    }

    // MARK: JSON primitives

    /// Whether the next key in the current object needs a leading comma.
    private var needsComma = false

    private mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    private mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    private mutating func key(_ name: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    private mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name); string(value)
    }

    private mutating func field(_ name: String, _ value: Int) {
        key(name); integer(Int64(value))
    }

    private mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    private mutating func field(_ name: String, _ value: Date?) {
        guard let value else { return }
        key(name); string(ISO8601Millis.string(value))
    }

    private mutating func array<T>(_ values: [T], _ element: (inout TicketJSONWriter, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, value)
        }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    private mutating func integer(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Finite numbers only (the domain validates them); integral values are written without a
    /// fraction, like JSONEncoder does.
    private mutating func number(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            integer(Int64(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Runs of bytes that need no escape go in one copy.
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                escape(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
        case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        }
    }
}
