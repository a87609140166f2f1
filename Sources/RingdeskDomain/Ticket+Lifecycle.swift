import Foundation

/// The ticket lifecycle as a pure state machine: one command in, effects out. A refused
/// command throws and leaves the ticket exactly as it was.
extension Ticket {
    public static let maxCommentLength = 10_000
    public static let maxReasonLength = 2_000

    /// Applies `command` issued by `actor` at `now`. Every successful command appends at least
    /// one history event, except a `.slaCheck` that found nothing to change and an idempotent
    /// repeat of `.linkFollowUp`.
    public mutating func apply(_ command: TicketCommand, by actor: TicketActor, at now: Date,
                               policy: DomainPolicy) throws -> [TicketEffect] {
        var next = self
        let effects = try next.transition(command, by: actor, at: now, policy: policy)
        self = next
        return effects
    }

    // MARK: - Transition table

    private mutating func transition(_ command: TicketCommand, by actor: TicketActor, at now: Date,
                                     policy: DomainPolicy) throws -> [TicketEffect] {
        let from = status
        switch command {
        case let .offer(agentID, expiresAt, why):
            try permit(command, actor, [.system, .supervisor])
            try requireStatus(command, [.queued])
            try Validate.identifier(agentID, field: "agent_id")
            if excludedAgentIDs.contains(agentID) {
                guard exclusionAgedOut(agentID, at: now, policy: policy) else {
                    throw DomainError(code: DomainError.agentExcludedCode,
                                      message: "agent \(agentID) already declined or let expire an offer of ticket \(id)",
                                      field: "agent_id")
                }
                excludedAgentIDs.removeAll { $0 == agentID }
            }
            if deliveryAttempts >= policy.maxDeliveryAttempts {
                throw DomainError(code: DomainError.deliveryLimitReachedCode,
                                  message: "ticket \(id) used its \(policy.maxDeliveryAttempts) delivery attempts; a supervisor must transfer it")
            }
            guard expiresAt > now else { throw DomainError.invalid("expires_at", "must be after now") }
            offer = Offer(agentID: agentID, offeredAt: now, expiresAt: expiresAt)
            deliveryAttempts += 1
            epoch += 1
            queuedAtHead = false
            record(.offered, by: actor, at: now, from: from, to: .offered,
                   details: why.merging(["agent_id": agentID, "epoch": String(epoch), "attempt": String(deliveryAttempts)]) { $1 })
            return [.scheduleOfferExpiry(agentID: agentID, at: expiresAt)]

        case let .acceptOffer(agentID):
            try permitAgentNamed(agentID, command, actor)
            try requireStatus(command, [.offered])
            guard let offer, offer.agentID == agentID else { throw notOffered(agentID) }
            if now > offer.expiresAt {
                throw DomainError(code: DomainError.offerExpiredCode,
                                  message: "the offer of ticket \(id) to agent \(agentID) expired")
            }
            self.offer = nil
            assignedAgentID = agentID
            lastAgentID = agentID
            epoch += 1
            record(.offerAccepted, by: actor, at: now, from: from, to: .assigned,
                   details: ["agent_id": agentID, "epoch": String(epoch)])
            var effects: [TicketEffect] = [.startLease(agentID: agentID, epoch: epoch)]
            if firstResponseAt == nil {
                firstResponseAt = now
                if sla.recordFirstResponse(at: now) { effects += noteBreaches([.firstResponse], by: actor, at: now) }
            }
            return effects

        case let .rejectOffer(agentID):
            try permitAgentNamed(agentID, command, actor)
            try requireStatus(command, [.offered])
            guard let offer, offer.agentID == agentID else { throw notOffered(agentID) }
            return failDelivery(of: offer, kind: .offerRejected, by: actor, at: now, policy: policy)

        case .offerExpired:
            try permit(command, actor, [.system, .supervisor])
            try requireStatus(command, [.offered])
            guard let offer else { throw illegal(command) }
            if now < offer.expiresAt {
                throw DomainError(code: DomainError.offerNotExpiredCode,
                                  message: "the offer of ticket \(id) to agent \(offer.agentID) runs until \(offer.expiresAt)")
            }
            return failDelivery(of: offer, kind: .offerExpired, by: actor, at: now, policy: policy)

        case .startWork:
            try permitHolder(command, actor)
            try requireStatus(command, [.assigned])
            record(.workStarted, by: actor, at: now, from: from, to: .inProgress)
            return []

        case let .comment(text, isInternal):
            if isInternal && (actor.kind == .customer || actor.kind == .intake) {
                throw DomainError(code: DomainError.notPermittedCode,
                                  message: "\(actor.kind.withArticle) cannot write internal notes")
            }
            try requireStatus(command, TicketStatus.allCases.filter { $0 != .cancelled && $0 != .new })
            try Validate.text(text, field: "text", min: 1, max: Self.maxCommentLength, multiline: true)
            record(.commented, by: actor, at: now, from: from, to: from, reason: text, isInternal: isInternal)
            return []

        case let .requestCustomerInfo(question):
            try permitHolder(command, actor)
            try requireStatus(command, [.assigned, .inProgress])
            try Validate.text(question, field: "question", min: 1, max: Self.maxCommentLength, multiline: true)
            let effects = noteBreaches(sla.evaluate(now: now, responded: firstResponseAt != nil, resolved: false),
                                       by: .system, at: now)
            sla.pause(at: now)
            record(.customerInfoRequested, by: actor, at: now, from: from, to: .waitingOnCustomer, reason: question)
            return effects

        case let .customerReply(text):
            try permit(command, actor, [.customer, .intake, .system, .supervisor])
            try requireStatus(command, [.queued, .offered, .assigned, .inProgress, .waitingOnCustomer])
            try Validate.text(text, field: "text", min: 1, max: Self.maxCommentLength, multiline: true)
            guard from == .waitingOnCustomer else {
                record(.customerReplied, by: actor, at: now, from: from, to: from, reason: text)
                return []
            }
            sla.resume(at: now, calendar: calendar(policy))
            if assignedAgentID != nil {
                record(.customerReplied, by: actor, at: now, from: from, to: .inProgress, reason: text)
                return []
            }
            queuedAt = now
            queuedAtHead = true
            record(.customerReplied, by: actor, at: now, from: from, to: .queued, reason: text)
            return [.requeue(atHead: true)]

        case let .transfer(newQueue, newSkills, reason):
            try permitHolder(command, actor)
            try requireStatus(command, [.queued, .offered, .assigned, .inProgress])
            try Validate.identifier(newQueue, field: "queue", maxLength: 64)
            try policy.checkQueue(newQueue, field: "queue")
            if let newSkills {
                var probe = draft
                probe.requiredSkills = newSkills
                _ = try probe.validated()
            }
            var effects = releaseHolder()
            let oldQueue = queue
            queue = newQueue
            if let newSkills { requiredSkills = newSkills }
            resetDelivery()
            queuedAt = now
            queuedAtHead = false
            var details = ["from_queue": oldQueue, "queue": newQueue]
            if let reason {
                try Validate.identifier(reason, field: "reason", maxLength: 64)
                details["reason"] = reason
            }
            if let newSkills {
                details["required_skills"] = newSkills.map { "\($0.skill):\($0.minLevel)" }.joined(separator: ",")
            }
            record(.transferred, by: actor, at: now, from: from, to: .queued, details: details)
            effects.append(.requeue(atHead: false))
            return effects

        case let .escalate(reason):
            try permitHolder(command, actor)
            try requireStatus(command, [.queued, .offered, .assigned, .inProgress])
            try Validate.text(reason, field: "reason", min: 1, max: Self.maxReasonLength, multiline: true)
            guard let nextTier = supportTier.next else {
                throw DomainError(code: DomainError.maxTierReachedCode,
                                  message: "ticket \(id) is already at the expert tier and cannot be escalated further")
            }
            var effects = releaseHolder()
            let oldTier = supportTier
            supportTier = nextTier
            resetDelivery()
            queuedAt = now
            queuedAtHead = true
            record(.escalated, by: actor, at: now, from: from, to: .queued, reason: reason,
                   details: ["from_tier": oldTier.rawValue, "tier": nextTier.rawValue])
            effects.append(.requeue(atHead: true))
            return effects

        case let .resolve(note):
            try permitHolder(command, actor)
            try requireStatus(command, [.assigned, .inProgress, .waitingOnCustomer])
            try Validate.text(note, field: "note", min: 0, max: Self.maxCommentLength, multiline: true)
            var effects: [TicketEffect] = []
            if firstResponseAt == nil {
                firstResponseAt = now
                if sla.recordFirstResponse(at: now) { effects += noteBreaches([.firstResponse], by: .system, at: now) }
            }
            if sla.recordResolution(at: now, calendar: calendar(policy)) {
                effects += noteBreaches([.resolution], by: .system, at: now)
            }
            resolvedAt = now
            effects += releaseHolder()
            record(.resolved, by: actor, at: now, from: from, to: .resolved, reason: note.isEmpty ? nil : note)
            return effects

        case .close:
            try requireStatus(command, [.resolved])
            closedAt = now
            record(.closed, by: actor, at: now, from: from, to: .closed)
            return []

        case let .reopen(reason):
            try requireStatus(command, [.resolved, .closed])
            try Validate.text(reason, field: "reason", min: 1, max: Self.maxReasonLength, multiline: true)
            let since = closedAt ?? resolvedAt ?? updatedAt
            if now.timeIntervalSince(since) > policy.reopenWindow {
                throw DomainError(code: DomainError.reopenWindowElapsedCode,
                                  message: "ticket \(id) can be reopened only within \(Int(policy.reopenWindow)) s of being \(from.rawValue)")
            }
            if let resolvedAt { sla.addPause(from: resolvedAt, to: now, calendar: calendar(policy)) }
            resolvedAt = nil
            closedAt = nil
            reopenCount += 1
            if let lastAgentID { preferredAgentID = lastAgentID }
            resetDelivery()
            epoch += 1
            queuedAt = now
            queuedAtHead = true
            record(.reopened, by: actor, at: now, from: from, to: .queued, reason: reason,
                   details: ["reopen_count": String(reopenCount)])
            return [.requeue(atHead: true)]

        case let .cancel(reason):
            try requireStatus(command, TicketStatus.allCases.filter(\.isOpen))
            try Validate.text(reason, field: "reason", min: 1, max: Self.maxReasonLength, multiline: true)
            let effects = releaseHolder()
            if sla.isPaused { sla.resume(at: now, calendar: calendar(policy)) }
            record(.cancelled, by: actor, at: now, from: from, to: .cancelled, reason: reason)
            return effects

        case let .overrideUrgency(newUrgency):
            try permit(command, actor, [.supervisor, .system])
            try requireStatus(command, TicketStatus.allCases.filter(\.isOpen))
            let old = urgency
            if let newUrgency {
                urgency = newUrgency
                urgencyOverridden = true
                retargetSLA(policy)
                record(.urgencyOverridden, by: actor, at: now, from: from, to: from,
                       details: ["from_urgency": old.rawValue, "urgency": newUrgency.rawValue])
            } else {
                // Clearing an override that is not set changes nothing: no event, no error, so a
                // supervisor's retry is harmless.
                guard urgencyOverridden else { return [] }
                urgencyOverridden = false
                urgency = policy.triage.triage(draft, now: now)
                retargetSLA(policy)
                urgency = policy.escalation.urgency(for: self, now: now, calendar: calendar(policy))
                record(.urgencyOverrideCleared, by: actor, at: now, from: from, to: from,
                       details: ["from_urgency": old.rawValue, "urgency": urgency.rawValue])
            }
            return urgency == old ? [] : [.urgencyChanged(from: old, to: urgency)]

        case let .leaseExpired(fence):
            try permit(command, actor, [.system, .supervisor])
            try requireStatus(command, [.assigned, .inProgress, .waitingOnCustomer])
            if fence != epoch {
                throw DomainError(code: DomainError.staleEpochCode,
                                  message: "lease epoch \(fence) is stale; ticket \(id) is at epoch \(epoch)")
            }
            let agent = assignedAgentID ?? ""
            var effects = releaseHolder()
            if from == .waitingOnCustomer {
                record(.leaseExpired, by: actor, at: now, from: from, to: from, details: ["agent_id": agent])
                return effects
            }
            queuedAt = now
            queuedAtHead = true
            record(.leaseExpired, by: actor, at: now, from: from, to: .queued, details: ["agent_id": agent])
            effects += enqueueAfterFailedDelivery(atHead: true, by: actor, at: now, policy: policy)
            return effects

        case let .feedback(rating, comment):
            try permit(command, actor, [.customer, .intake, .system, .supervisor])
            try requireStatus(command, [.resolved, .closed])
            if feedback != nil {
                throw DomainError(code: DomainError.feedbackExistsCode,
                                  message: "ticket \(id) already has feedback; it can be given once")
            }
            guard (1...5).contains(rating) else { throw DomainError.invalid("rating", "must be between 1 and 5") }
            try Validate.text(comment, field: "comment", min: 0, max: Feedback.maxCommentLength, multiline: true)
            feedback = Feedback(rating: rating, comment: comment, at: now)
            record(.feedbackReceived, by: actor, at: now, from: from, to: from,
                   reason: comment.isEmpty ? nil : comment, details: ["rating": String(rating)])
            if rating <= 2 && followUpTicketID == nil {
                return [.openFollowUp(followUpDraft(rating: rating, comment: comment))]
            }
            return []

        case let .linkFollowUp(ticketID):
            try permit(command, actor, [.system, .supervisor])
            try Validate.identifier(ticketID, field: "ticket_id")
            if let existing = followUpTicketID {
                if existing == ticketID { return [] }
                throw DomainError(code: DomainError.followUpExistsCode,
                                  message: "ticket \(id) already has follow-up ticket \(existing)")
            }
            followUpTicketID = ticketID
            record(.followUpLinked, by: actor, at: now, from: from, to: from, details: ["ticket_id": ticketID])
            return []

        case .slaCheck:
            try permit(command, actor, [.system, .supervisor])
            guard status.isOpen else { return [] }
            var effects = noteBreaches(sla.evaluate(now: now, responded: firstResponseAt != nil, resolved: false),
                                       by: actor, at: now)
            if !urgencyOverridden {
                // Only the customer's deadline makes triage depend on time; without one the
                // colour from intake stands and re-running the rules would change nothing.
                let retriaged = customer.deadline == nil ? urgency : policy.triage.triage(draft, now: now)
                let raised = max(policy.escalation.urgency(for: self, now: now, calendar: calendar(policy)), retriaged)
                if raised > urgency {
                    let old = urgency
                    urgency = raised
                    record(.urgencyEscalated, by: actor, at: now, from: from, to: from,
                           details: ["from_urgency": old.rawValue, "urgency": raised.rawValue])
                    effects.append(.urgencyChanged(from: old, to: raised))
                }
            }
            return effects
        }
    }

    // MARK: - Helpers

    /// Offer rejected or expired: exclude the agent, back to the queue (or to review).
    private mutating func failDelivery(of offer: Offer, kind: TicketEvent.Kind, by actor: TicketActor, at now: Date,
                                       policy: DomainPolicy) -> [TicketEffect] {
        let from = status
        self.offer = nil
        epoch += 1
        excludedAgentIDs.removeAll { $0 == offer.agentID }
        excludedAgentIDs.append(offer.agentID)
        if excludedAgentIDs.count > max(0, policy.maxExcludedAgents) {
            excludedAgentIDs.removeFirst(excludedAgentIDs.count - max(0, policy.maxExcludedAgents))
        }
        queuedAt = now
        queuedAtHead = false
        record(kind, by: actor, at: now, from: from, to: .queued,
               details: ["agent_id": offer.agentID, "epoch": String(epoch)])
        return [.releaseAgent(offer.agentID)]
            + enqueueAfterFailedDelivery(atHead: false, by: actor, at: now, policy: policy)
    }

    /// After a failed delivery: requeue, or move to the review queue once attempts are used up.
    private mutating func enqueueAfterFailedDelivery(atHead: Bool, by actor: TicketActor, at now: Date,
                                                     policy: DomainPolicy) -> [TicketEffect] {
        guard deliveryAttempts >= policy.maxDeliveryAttempts, queue != policy.reviewQueue else {
            return [.requeue(atHead: atHead)]
        }
        let oldQueue = queue
        queue = policy.reviewQueue
        epoch += 1
        record(.deliveryLimitReached, by: .system, at: now, from: status, to: .queued,
               details: ["from_queue": oldQueue, "queue": queue, "attempts": String(deliveryAttempts), "reason": "delivery_limit"])
        return [.deliveryLimitReached]
    }

    /// Whether the agent's exclusion (its last reject or lapsed offer) is `policy.exclusionExpiry`
    /// old; never when the expiry is 0.
    private func exclusionAgedOut(_ agentID: String, at now: Date, policy: DomainPolicy) -> Bool {
        guard policy.exclusionExpiry > 0 else { return false }
        let last = history.last { ($0.kind == .offerRejected || $0.kind == .offerExpired) && $0.details["agent_id"] == agentID }
        return last.map { now.timeIntervalSince($0.at) >= policy.exclusionExpiry } ?? true
    }

    /// Drops the holder and any outstanding offer; bumps the epoch when either existed.
    private mutating func releaseHolder() -> [TicketEffect] {
        var effects: [TicketEffect] = []
        if let agent = assignedAgentID {
            lastAgentID = agent
            assignedAgentID = nil
            effects.append(.releaseAgent(agent))
        }
        if let offer {
            self.offer = nil
            effects.append(.releaseAgent(offer.agentID))
        }
        epoch += 1
        return effects
    }

    private mutating func resetDelivery() {
        deliveryAttempts = 0
        excludedAgentIDs = []
    }

    private mutating func retargetSLA(_ policy: DomainPolicy) {
        let target = policy.sla.target(urgency: urgency, category: category, tier: customer.tier, channel: channel)
        sla.retarget(target, calendar: calendar(policy))
    }

    private mutating func noteBreaches(_ kinds: [SLAKind], by actor: TicketActor, at now: Date) -> [TicketEffect] {
        for kind in kinds {
            record(.slaBreached, by: actor, at: now, from: status, to: status, details: ["clock": kind.rawValue])
        }
        return kinds.map { .slaBreached($0) }
    }

    private func followUpDraft(rating: Int, comment: String) -> TicketDraft {
        let prefix = "Call-back: "
        let subjectText = String((prefix + subject).prefix(TicketDraft.maxSubjectLength))
        var bodyText = "Customer rated ticket \(id) \(rating)/5."
        if !comment.isEmpty { bodyText += "\nComment: \(comment)" }
        return TicketDraft(category: .complaint, channel: .phone, customer: customer, subject: subjectText,
                           body: bodyText, requiredSkills: requiredSkills, preferredAgentID: nil, queue: nil)
    }

    // MARK: - Guards

    private func illegal(_ command: TicketCommand) -> DomainError {
        DomainError(code: DomainError.illegalTransitionCode,
                    message: "cannot \(command.phrase) (\(command.name)) while ticket \(id) is \(status.rawValue)", field: nil)
    }

    private func requireStatus(_ command: TicketCommand, _ allowed: [TicketStatus]) throws {
        if !allowed.contains(status) { throw illegal(command) }
    }

    private func notOffered(_ agentID: String) -> DomainError {
        let holder = offer.map { "it is offered to \($0.agentID)" } ?? "it has no offer"
        return DomainError(code: DomainError.notOfferedToAgentCode,
                           message: "ticket \(id) is not offered to agent \(agentID); \(holder)", field: "agent_id")
    }

    private func permit(_ command: TicketCommand, _ actor: TicketActor, _ kinds: [TicketActor.Kind]) throws {
        if !kinds.contains(actor.kind) {
            throw DomainError(code: DomainError.notPermittedCode,
                              message: "\(actor.kind.withArticle) cannot \(command.phrase) (\(command.name))")
        }
    }

    /// Agents may act only for themselves; supervisors and the system for anyone.
    private func permitAgentNamed(_ agentID: String, _ command: TicketCommand, _ actor: TicketActor) throws {
        try permit(command, actor, [.agent, .supervisor, .system])
        if actor.kind == .agent && actor.id != agentID {
            throw DomainError(code: DomainError.notPermittedCode,
                              message: "agent \(actor.id) cannot \(command.phrase) (\(command.name)) on behalf of agent \(agentID)")
        }
    }

    /// Work commands: the holding agent, a supervisor or the system.
    private func permitHolder(_ command: TicketCommand, _ actor: TicketActor) throws {
        try permit(command, actor, [.agent, .supervisor, .system])
        if actor.kind == .agent && actor.id != assignedAgentID {
            throw DomainError(code: DomainError.notAssignedAgentCode,
                              message: "agent \(actor.id) does not hold ticket \(id)")
        }
    }
}
