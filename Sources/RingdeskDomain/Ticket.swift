import Foundation

/// An after-sales ticket: the draft's fields plus lifecycle state, SLA clock and history.
/// Change it only through `Ticket.create` and `apply(_:by:at:policy:)` (Ticket+Lifecycle.swift).
///
/// Decisions the owner relies on:
/// - Accepting an offer counts as the first response (`firstResponseAt`).
/// - `epoch` bumps whenever the holder, the offer, the queue, the required skills or the
///   support tier changes; fenced claims compare it.
/// - A supervisor override fixes the urgency (floor and ceiling) until cleared; automatic
///   escalation only raises and never moves SLA due dates.
public struct Ticket: Sendable, Codable, Hashable, Identifiable {
    public var id: String
    // The draft's fields.
    public var category: TicketCategory
    public var channel: Channel
    public var customer: CustomerContext
    public var subject: String
    public var body: String
    public var requiredSkills: [SkillRequirement]
    public var preferredAgentID: String?
    public var queue: String

    public var status: TicketStatus
    public var urgency: Urgency
    public var urgencyOverridden: Bool
    /// Lowest agent tier that may take the ticket; raised by escalation.
    public var supportTier: SupportTier
    public var createdAt: Date
    public var updatedAt: Date
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?
    /// The agent holding the ticket (assigned, in progress or waiting on the customer).
    public var assignedAgentID: String?
    /// The last agent who held the ticket (KPIs per agent; preferred agent after a reopen).
    public var lastAgentID: String?
    public var offer: Offer?
    public var epoch: UInt64
    /// Offers made since creation or since the last transfer/escalation/reopen.
    public var deliveryAttempts: Int
    /// Agents who rejected or let expire an offer of this ticket (most recent last, bounded).
    public var excludedAgentIDs: [String]
    public var reopenCount: Int
    /// When the ticket last entered the queue, and whether it went to the head.
    public var queuedAt: Date?
    public var queuedAtHead: Bool
    public var sla: SLAClock
    public var history: [TicketEvent]
    public var feedback: Feedback?
    public var followUpOf: String?
    public var followUpTicketID: String?
    public var idempotencyKey: String?

    /// Every field as given, unchecked: for decoders (shard rows, snapshots, log entries) that
    /// rebuild a ticket exactly as it was stored. New tickets come from `Ticket.create`.
    public init(
        id: String, category: TicketCategory, channel: Channel, customer: CustomerContext, subject: String, body: String,
        requiredSkills: [SkillRequirement], preferredAgentID: String?, queue: String, status: TicketStatus, urgency: Urgency,
        urgencyOverridden: Bool, supportTier: SupportTier, createdAt: Date, updatedAt: Date, firstResponseAt: Date?,
        resolvedAt: Date?, closedAt: Date?, assignedAgentID: String?, lastAgentID: String?, offer: Offer?, epoch: UInt64,
        deliveryAttempts: Int, excludedAgentIDs: [String], reopenCount: Int, queuedAt: Date?, queuedAtHead: Bool,
        sla: SLAClock, history: [TicketEvent], feedback: Feedback?, followUpOf: String?, followUpTicketID: String?,
        idempotencyKey: String?
    ) {
        self.id = id
        self.category = category
        self.channel = channel
        self.customer = customer
        self.subject = subject
        self.body = body
        self.requiredSkills = requiredSkills
        self.preferredAgentID = preferredAgentID
        self.queue = queue
        self.status = status
        self.urgency = urgency
        self.urgencyOverridden = urgencyOverridden
        self.supportTier = supportTier
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.firstResponseAt = firstResponseAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.assignedAgentID = assignedAgentID
        self.lastAgentID = lastAgentID
        self.offer = offer
        self.epoch = epoch
        self.deliveryAttempts = deliveryAttempts
        self.excludedAgentIDs = excludedAgentIDs
        self.reopenCount = reopenCount
        self.queuedAt = queuedAt
        self.queuedAtHead = queuedAtHead
        self.sla = sla
        self.history = history
        self.feedback = feedback
        self.followUpOf = followUpOf
        self.followUpTicketID = followUpTicketID
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey {
        case id, category, channel, customer, subject, body
        case requiredSkills = "required_skills"
        case preferredAgentID = "preferred_agent_id"
        case queue, status, urgency
        case urgencyOverridden = "urgency_overridden"
        case supportTier = "support_tier"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case firstResponseAt = "first_response_at"
        case resolvedAt = "resolved_at"
        case closedAt = "closed_at"
        case assignedAgentID = "assigned_agent_id"
        case lastAgentID = "last_agent_id"
        case offer, epoch
        case deliveryAttempts = "delivery_attempts"
        case excludedAgentIDs = "excluded_agent_ids"
        case reopenCount = "reopen_count"
        case queuedAt = "queued_at"
        case queuedAtHead = "queued_at_head"
        case sla, history, feedback
        case followUpOf = "follow_up_of"
        case followUpTicketID = "follow_up_ticket_id"
        case idempotencyKey = "idempotency_key"
    }

    /// The ticket's customer-facing fields as a draft (used for re-triage and follow-ups).
    public var draft: TicketDraft {
        TicketDraft(category: category, channel: channel, customer: customer, subject: subject, body: body,
                    requiredSkills: requiredSkills, preferredAgentID: preferredAgentID, queue: queue)
    }

    /// The business calendar of the ticket's region under `policy`.
    public func calendar(_ policy: DomainPolicy) -> BusinessCalendar {
        policy.sla.calendar(forRegion: customer.region)
    }

    /// Validates the draft, triages it, starts the SLA clock and queues the ticket
    /// (events `created` new and `queued` new → queued). The owner then enqueues it.
    /// `followUpOf` and `minimumUrgency` serve `createFollowUp`.
    public static func create(
        id: String,
        draft: TicketDraft,
        idempotencyKey: String? = nil,
        followUpOf: String? = nil,
        minimumUrgency: Urgency = .green,
        by actor: TicketActor,
        at now: Date,
        policy: DomainPolicy
    ) throws -> Ticket {
        try Validate.identifier(id, field: "id")
        if let idempotencyKey { try Validate.identifier(idempotencyKey, field: "idempotency_key") }
        if let followUpOf { try Validate.identifier(followUpOf, field: "follow_up_of") }
        let draft = try draft.validated()
        try policy.checkQueue(draft.effectiveQueue, field: "queue")
        let matched = policy.triage.matchingRules(draft, now: now)
        let urgency = max(policy.triage.triage(draft, now: now), minimumUrgency)
        let calendar = policy.sla.calendar(forRegion: draft.customer.region)
        let target = policy.sla.target(urgency: urgency, category: draft.category,
                                       tier: draft.customer.tier, channel: draft.channel)
        var ticket = Ticket(
            id: id, category: draft.category, channel: draft.channel, customer: draft.customer,
            subject: draft.subject, body: draft.body, requiredSkills: draft.requiredSkills,
            preferredAgentID: draft.preferredAgentID, queue: draft.effectiveQueue,
            status: .new, urgency: urgency, urgencyOverridden: false, supportTier: .l1,
            createdAt: now, updatedAt: now, firstResponseAt: nil, resolvedAt: nil, closedAt: nil,
            assignedAgentID: nil, lastAgentID: nil, offer: nil, epoch: 0, deliveryAttempts: 0,
            excludedAgentIDs: [], reopenCount: 0, queuedAt: nil, queuedAtHead: false,
            sla: SLAClock(startedAt: now, target: target, calendar: calendar),
            history: [], feedback: nil, followUpOf: followUpOf, followUpTicketID: nil,
            idempotencyKey: idempotencyKey)
        var details = ["urgency": urgency.rawValue, "queue": ticket.queue]
        if !matched.isEmpty { details["triage_rules"] = matched.map(\.name).joined(separator: ",") }
        if let followUpOf { details["follow_up_of"] = followUpOf }
        if idempotencyKey != nil { details[Ticket.requestFingerprintDetail] = draft.fingerprint }
        ticket.record(.created, by: actor, at: now, from: nil, to: .new, details: details)
        ticket.queuedAt = now
        ticket.record(.queued, by: actor, at: now, from: .new, to: .queued, details: ["queue": ticket.queue])
        return ticket
    }

    /// Creates the call-back ticket requested by `.openFollowUp(draft)`: linked to the original
    /// through `followUpOf`, idempotency key `follow-up:<originalID>`, urgency at least yellow.
    public static func createFollowUp(
        id: String, draft: TicketDraft, followUpOf originalID: String,
        by actor: TicketActor = .system, at now: Date, policy: DomainPolicy
    ) throws -> Ticket {
        try create(id: id, draft: draft, idempotencyKey: "follow-up:\(originalID)", followUpOf: originalID,
                   minimumUrgency: .yellow, by: actor, at: now, policy: policy)
    }

    /// Appends a history event, moves to `to` and stamps `updatedAt`.
    mutating func record(_ kind: TicketEvent.Kind, by actor: TicketActor, at now: Date, from: TicketStatus?,
                         to: TicketStatus, reason: String? = nil, details: [String: String] = [:],
                         isInternal: Bool = false) {
        history.append(TicketEvent(seq: history.count + 1, at: now, kind: kind, actor: actor, from: from, to: to,
                                   reason: reason, details: details, isInternal: isInternal))
        status = to
        updatedAt = now
    }
}
