import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// The binary form of a `Ticket` that shard rows, snapshot images and log entries carry: every
/// field, in declaration order, with the shared primitives (`ByteWriter`/`ByteReader`: minimal
/// varints, zigzag integers, length-prefixed UTF-8), dates and doubles as their IEEE-754 bits
/// (exact, as the JSON form was), enums as one-byte codes (`WireEnum`), dictionaries in ascending
/// key order. Canonical: equal tickets give equal bytes, and the reader refuses any other form of
/// the same value (an overlong varint, a flag other than 0/1, keys out of order, -0.0).
///
/// The encoding itself is unversioned: what carries it (a row, an image, an entry) starts with
/// its own format byte and says which ticket encoding follows. The reader is bounded: every read
/// checks the remaining input, every count is checked against what the rest of the input could
/// hold before anything is allocated, and no input makes it trap (fuzzed by
/// `TicketCodecTests`).
///
/// Strings compare by Unicode canonical equivalence in Swift, so two tickets that differ only in
/// the normalization of some text are equal yet encode differently; the domain never produces
/// that from one input.
public enum TicketCodec {
    /// The ticket alone (no version byte): what `write` appends.
    public static func encode(_ ticket: Ticket) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(512 + ticket.history.count * 48)
        write(ticket, into: &writer)
        return writer.bytes
    }

    /// Decodes exactly one ticket filling `bytes`; throws on anything else, never traps.
    public static func decode(_ bytes: [UInt8]) throws(ShardCodecError) -> Ticket {
        var reader = ByteReader(bytes)
        do {
            let ticket = try read(from: &reader)
            try reader.requireEnd()
            return ticket
        } catch {
            throw .malformed("ticket: \(error.message)")
        }
    }

    public static func write(_ ticket: Ticket, into writer: inout ByteWriter) {
        writer.string(ticket.id)
        writer.code(ticket.category)
        writer.code(ticket.channel)
        write(ticket.customer, into: &writer)
        writer.string(ticket.subject)
        writer.string(ticket.body)
        write(ticket.requiredSkills, into: &writer)
        writer.optionalString(ticket.preferredAgentID)
        writer.string(ticket.queue)
        writer.code(ticket.status)
        writer.code(ticket.urgency)
        writer.bool(ticket.urgencyOverridden)
        writer.code(ticket.supportTier)
        writer.date(ticket.createdAt)
        writer.date(ticket.updatedAt)
        writer.optionalDate(ticket.firstResponseAt)
        writer.optionalDate(ticket.resolvedAt)
        writer.optionalDate(ticket.closedAt)
        writer.optionalString(ticket.assignedAgentID)
        writer.optionalString(ticket.lastAgentID)
        if let offer = ticket.offer {
            writer.byte(1)
            writer.string(offer.agentID)
            writer.date(offer.offeredAt)
            writer.date(offer.expiresAt)
        } else {
            writer.byte(0)
        }
        writer.varint(ticket.epoch)
        writer.int(ticket.deliveryAttempts)
        writer.strings(ticket.excludedAgentIDs)
        writer.int(ticket.reopenCount)
        writer.optionalDate(ticket.queuedAt)
        writer.bool(ticket.queuedAtHead)
        write(ticket.sla, into: &writer)
        writer.varint(UInt64(ticket.history.count))
        for event in ticket.history { write(event, into: &writer) }
        if let feedback = ticket.feedback {
            writer.byte(1)
            writer.int(feedback.rating)
            writer.string(feedback.comment)
            writer.date(feedback.at)
        } else {
            writer.byte(0)
        }
        writer.optionalString(ticket.followUpOf)
        writer.optionalString(ticket.followUpTicketID)
        writer.optionalString(ticket.idempotencyKey)
    }

    public static func read(from reader: inout ByteReader) throws(ByteReaderError) -> Ticket {
        let id = try reader.text()
        let category: TicketCategory = try reader.code()
        let channel: Channel = try reader.code()
        let customer = try readCustomer(from: &reader)
        let subject = try reader.text()
        let body = try reader.text()
        let requiredSkills = try readSkills(from: &reader)
        let preferredAgentID = try reader.optionalText()
        let queue = try reader.text()
        let status: TicketStatus = try reader.code()
        let urgency: Urgency = try reader.code()
        let urgencyOverridden = try reader.bool()
        let supportTier: SupportTier = try reader.code()
        let createdAt = try reader.date()
        let updatedAt = try reader.date()
        let firstResponseAt = try reader.optionalDate()
        let resolvedAt = try reader.optionalDate()
        let closedAt = try reader.optionalDate()
        let assignedAgentID = try reader.optionalText()
        let lastAgentID = try reader.optionalText()
        var offer: Offer?
        if try reader.presence() {
            offer = Offer(agentID: try reader.text(), offeredAt: try reader.date(), expiresAt: try reader.date())
        }
        let epoch = try reader.varint()
        let deliveryAttempts = try reader.int()
        let excludedAgentIDs = try reader.strings()
        let reopenCount = try reader.int()
        let queuedAt = try reader.optionalDate()
        let queuedAtHead = try reader.bool()
        let sla = try readSLA(from: &reader)
        let eventCount = try reader.count(minimumBytes: minimumEventBytes)
        var history: [TicketEvent] = []
        history.reserveCapacity(eventCount)
        for _ in 0..<eventCount { history.append(try readEvent(from: &reader)) }
        var feedback: Feedback?
        if try reader.presence() {
            feedback = Feedback(rating: try reader.int(), comment: try reader.text(), at: try reader.date())
        }
        let followUpOf = try reader.optionalText()
        let followUpTicketID = try reader.optionalText()
        let idempotencyKey = try reader.optionalText()
        return Ticket(
            id: id, category: category, channel: channel, customer: customer, subject: subject, body: body,
            requiredSkills: requiredSkills, preferredAgentID: preferredAgentID, queue: queue, status: status, urgency: urgency,
            urgencyOverridden: urgencyOverridden, supportTier: supportTier, createdAt: createdAt, updatedAt: updatedAt,
            firstResponseAt: firstResponseAt, resolvedAt: resolvedAt, closedAt: closedAt, assignedAgentID: assignedAgentID,
            lastAgentID: lastAgentID, offer: offer, epoch: epoch, deliveryAttempts: deliveryAttempts,
            excludedAgentIDs: excludedAgentIDs, reopenCount: reopenCount, queuedAt: queuedAt, queuedAtHead: queuedAtHead,
            sla: sla, history: history, feedback: feedback, followUpOf: followUpOf, followUpTicketID: followUpTicketID,
            idempotencyKey: idempotencyKey)
    }

    // MARK: Parts

    /// seq, date (8), kind, actor (2), from, to, reason flag, details count, internal flag.
    static let minimumEventBytes = 17

    static func write(_ customer: CustomerContext, into writer: inout ByteWriter) {
        writer.string(customer.id)
        writer.code(customer.tier)
        writer.optionalString(customer.orderID)
        writer.optionalDouble(customer.orderValue)
        writer.string(customer.language)
        writer.string(customer.region)
        writer.optionalDate(customer.deadline)
    }

    static func readCustomer(from reader: inout ByteReader) throws(ByteReaderError) -> CustomerContext {
        CustomerContext(id: try reader.text(), tier: try reader.code(), orderID: try reader.optionalText(),
                        orderValue: try reader.optionalDouble(), language: try reader.text(), region: try reader.text(),
                        deadline: try reader.optionalDate())
    }

    static func write(_ skills: [SkillRequirement], into writer: inout ByteWriter) {
        writer.varint(UInt64(skills.count))
        for skill in skills {
            writer.string(skill.skill)
            writer.int(skill.minLevel)
        }
    }

    static func readSkills(from reader: inout ByteReader) throws(ByteReaderError) -> [SkillRequirement] {
        let count = try reader.count(minimumBytes: 2)
        var skills: [SkillRequirement] = []
        skills.reserveCapacity(count)
        for _ in 0..<count { skills.append(SkillRequirement(skill: try reader.text(), minLevel: try reader.int())) }
        return skills
    }

    static func write(_ sla: SLAClock, into writer: inout ByteWriter) {
        writer.date(sla.startedAt)
        writer.double(sla.firstResponseTarget)
        writer.double(sla.resolutionTarget)
        writer.date(sla.firstResponseDue)
        writer.date(sla.resolutionDue)
        writer.optionalDate(sla.pausedSince)
        writer.double(sla.totalPaused)
        writer.bool(sla.firstResponseBreached)
        writer.bool(sla.resolutionBreached)
    }

    static func readSLA(from reader: inout ByteReader) throws(ByteReaderError) -> SLAClock {
        SLAClock(startedAt: try reader.date(), firstResponseTarget: try reader.double(), resolutionTarget: try reader.double(),
                 firstResponseDue: try reader.date(), resolutionDue: try reader.date(), pausedSince: try reader.optionalDate(),
                 totalPaused: try reader.double(), firstResponseBreached: try reader.bool(), resolutionBreached: try reader.bool())
    }

    static func write(_ actor: TicketActor, into writer: inout ByteWriter) {
        writer.code(actor.kind)
        writer.string(actor.id)
    }

    static func readActor(from reader: inout ByteReader) throws(ByteReaderError) -> TicketActor {
        TicketActor(kind: try reader.code(), id: try reader.text())
    }

    static func write(_ event: TicketEvent, into writer: inout ByteWriter) {
        writer.int(event.seq)
        writer.date(event.at)
        writer.code(event.kind)
        write(event.actor, into: &writer)
        writer.optionalCode(event.from)
        writer.code(event.to)
        writer.optionalString(event.reason)
        writer.stringMap(event.details)
        writer.bool(event.isInternal)
    }

    static func readEvent(from reader: inout ByteReader) throws(ByteReaderError) -> TicketEvent {
        let seq = try reader.int()
        let at = try reader.date()
        let kind: TicketEvent.Kind = try reader.code()
        let actor = try readActor(from: &reader)
        let from: TicketStatus? = try reader.optionalCode()
        let to: TicketStatus = try reader.code()
        let reason = try reader.optionalText()
        let details = try reader.stringMap()
        let isInternal = try reader.bool()
        return TicketEvent(seq: seq, at: at, kind: kind, actor: actor, from: from, to: to, reason: reason, details: details,
                           isInternal: isInternal)
    }
}
