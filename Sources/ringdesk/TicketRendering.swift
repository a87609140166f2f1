import Foundation
import RingdeskAPI
import RingdeskDomain

/// Human views of tickets shared by the ticket, agent and demo commands.
enum TicketRendering {
    /// The essentials after create/show: id, status, urgency (with the triage rules), queue, SLA.
    static func summary(_ ticket: Ticket, note: String? = nil) -> String {
        var fields = FieldList()
        fields.add("Ticket", note.map { "\(ticket.id)  (\($0))" } ?? ticket.id)
        fields.add("Status", ticket.status.rawValue)
        let rules = ticket.history.first { $0.kind == .created }?.details["triage_rules"]
        fields.add("Urgency", ticket.urgency.rawValue + (ticket.urgencyOverridden ? " (overridden)" : "") + (rules.map { "  [\($0)]" } ?? ""))
        fields.add("Queue", "\(ticket.queue)  (tier \(ticket.supportTier.rawValue))")
        fields.add("Category", "\(ticket.category.rawValue) via \(ticket.channel.rawValue)")
        fields.add("Customer", "\(ticket.customer.id) (\(ticket.customer.tier.rawValue), \(ticket.customer.language), \(ticket.customer.region))"
            + (ticket.customer.orderID.map { "  order \($0)" } ?? "")
            + (ticket.customer.orderValue.map { " value \(Format.number($0))" } ?? ""))
        if let deadline = ticket.customer.deadline { fields.add("Deadline", Format.due(deadline)) }
        fields.add("Subject", ticket.subject)
        if !ticket.requiredSkills.isEmpty { fields.add("Skills", skills(ticket.requiredSkills)) }
        if let offer = ticket.offer { fields.add("Offered to", "\(offer.agentID) until \(Format.date(offer.expiresAt))") }
        if let agent = ticket.assignedAgentID { fields.add("Agent", agent) }
        fields.add("Created", Format.date(ticket.createdAt))
        fields.add("First response due", Format.due(ticket.sla.firstResponseDue) + (ticket.sla.firstResponseBreached ? "  BREACHED" : ""))
        fields.add("Resolution due", Format.due(ticket.sla.resolutionDue) + (ticket.sla.resolutionBreached ? "  BREACHED" : "")
            + (ticket.sla.isPaused ? "  (paused: waiting on customer)" : ""))
        if let at = ticket.firstResponseAt { fields.add("First response", "\(Format.date(at)) (after \(Format.duration(at.timeIntervalSince(ticket.createdAt))))") }
        if let at = ticket.resolvedAt { fields.add("Resolved", "\(Format.date(at)) (after \(Format.duration(at.timeIntervalSince(ticket.createdAt))))") }
        if let feedback = ticket.feedback { fields.add("Rating", "\(feedback.rating)/5" + (feedback.comment.isEmpty ? "" : "  \"\(Format.clip(feedback.comment, 60))\"")) }
        if let followUpOf = ticket.followUpOf { fields.add("Follow-up of", followUpOf) }
        if let followUp = ticket.followUpTicketID { fields.add("Follow-up", followUp) }
        if let key = ticket.idempotencyKey { fields.add("Idempotency key", key) }
        return fields.render()
    }

    static func history(_ ticket: Ticket) -> String {
        // DETAIL wraps instead of being cut: an offer's "why this agent" is read in full.
        var table = TextTable(["SEQ", "AT", "EVENT", "ACTOR", "STATUS", "DETAIL"], rightAligned: [0], wrapping: [5: 70])
        for event in ticket.history {
            let status = event.from.map { $0 == event.to ? $0.rawValue : "\($0.rawValue)→\(event.to.rawValue)" } ?? event.to.rawValue
            var detail: [String] = []
            if let reason = event.reason, !reason.isEmpty { detail.append("\"\(Format.clip(reason, 40))\"") }
            detail += event.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            if event.isInternal { detail.append("(internal)") }
            table.add(["\(event.seq)", Format.date(event.at), event.kind.rawValue, "\(event.actor.kind.rawValue):\(event.actor.id)",
                       status, detail.isEmpty ? "-" : detail.joined(separator: " ")])
        }
        return table.render()
    }

    static func list(_ tickets: [Ticket]) -> String {
        var table = TextTable(["ID", "CREATED", "STATUS", "URGENCY", "QUEUE", "CATEGORY", "CHANNEL", "REGION", "CUSTOMER", "AGENT", "SUBJECT"])
        for t in tickets {
            table.add([t.id, Format.date(t.createdAt), t.status.rawValue, t.urgency.rawValue, t.queue, t.category.rawValue, t.channel.rawValue,
                       t.customer.region, t.customer.id, t.assignedAgentID ?? t.offer.map { "(\($0.agentID))" } ?? "-",
                       Format.clip(t.subject, 40)])
        }
        return table.render()
    }

    /// Offers waiting for an agent.
    static func offers(_ tickets: [Ticket]) -> String {
        var table = TextTable(["TICKET", "URGENCY", "CATEGORY", "CHANNEL", "LANG", "REGION", "EXPIRES", "SUBJECT"])
        for t in tickets {
            table.add([t.id, t.urgency.rawValue, t.category.rawValue, t.channel.rawValue, t.customer.language, t.customer.region,
                       t.offer.map { Format.due($0.expiresAt) } ?? "-", Format.clip(t.subject, 40)])
        }
        return table.render()
    }

    static func skills(_ skills: [SkillRequirement]) -> String {
        skills.map { "\($0.skill):\($0.minLevel)" }.joined(separator: " ")
    }

    /// One line: `T… refund/chat red queued`.
    static func line(_ t: Ticket) -> String {
        "\(t.id) \(t.category.rawValue)/\(t.channel.rawValue) \(t.urgency.rawValue) \(t.status.rawValue)"
    }
}
