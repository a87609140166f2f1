import Foundation
import Testing
@testable import RingdeskDomain

/// A command built from the ticket it is applied to, with its own time offset.
struct CommandCase: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable (Ticket) -> TicketCommand
    /// Seconds after `monday` at which it is applied.
    let offset: TimeInterval
    init(_ name: String, offset: TimeInterval = 1, _ make: @escaping @Sendable (Ticket) -> TicketCommand) {
        self.name = name
        self.make = make
        self.offset = offset
    }
    var testDescription: String { name }
}

let allCommands: [CommandCase] = [
    CommandCase("offer") { _ in .offer(agentID: "a2", expiresAt: monday.addingTimeInterval(60)) },
    CommandCase("accept_offer") { _ in .acceptOffer(agentID: "a1") },
    CommandCase("reject_offer") { _ in .rejectOffer(agentID: "a1") },
    CommandCase("offer_expired", offset: 31) { _ in .offerExpired },
    CommandCase("start_work") { _ in .startWork },
    CommandCase("comment") { _ in .comment(text: "note", internal: true) },
    CommandCase("request_customer_info") { _ in .requestCustomerInfo(question: "Size?") },
    CommandCase("customer_reply") { _ in .customerReply(text: "M") },
    CommandCase("transfer") { _ in .transfer(queue: "repairs", requiredSkills: nil) },
    CommandCase("escalate") { _ in .escalate(reason: "needs L2") },
    CommandCase("resolve") { _ in .resolve(note: "done") },
    CommandCase("close") { _ in .close },
    CommandCase("reopen") { _ in .reopen(reason: "still broken") },
    CommandCase("cancel") { _ in .cancel(reason: "duplicate") },
    CommandCase("override_urgency") { _ in .overrideUrgency(.red) },
    CommandCase("lease_expired") { t in .leaseExpired(epoch: t.epoch) },
    CommandCase("feedback") { _ in .feedback(rating: 4, comment: "ok") },
]

/// Legal (command, from) → to. Everything else must be refused with illegal_transition.
let legalTransitions: [String: [TicketStatus: TicketStatus]] = [
    "offer": [.queued: .offered],
    "accept_offer": [.offered: .assigned],
    "reject_offer": [.offered: .queued],
    "offer_expired": [.offered: .queued],
    "start_work": [.assigned: .inProgress],
    "comment": [.queued: .queued, .offered: .offered, .assigned: .assigned, .inProgress: .inProgress,
                .waitingOnCustomer: .waitingOnCustomer, .resolved: .resolved, .closed: .closed],
    "request_customer_info": [.assigned: .waitingOnCustomer, .inProgress: .waitingOnCustomer],
    "customer_reply": [.queued: .queued, .offered: .offered, .assigned: .assigned, .inProgress: .inProgress,
                       .waitingOnCustomer: .inProgress],
    "transfer": [.queued: .queued, .offered: .queued, .assigned: .queued, .inProgress: .queued],
    "escalate": [.queued: .queued, .offered: .queued, .assigned: .queued, .inProgress: .queued],
    "resolve": [.assigned: .resolved, .inProgress: .resolved, .waitingOnCustomer: .resolved],
    "close": [.resolved: .closed],
    "reopen": [.resolved: .queued, .closed: .queued],
    "cancel": [.queued: .cancelled, .offered: .cancelled, .assigned: .cancelled, .inProgress: .cancelled,
               .waitingOnCustomer: .cancelled],
    "override_urgency": [.queued: .queued, .offered: .offered, .assigned: .assigned, .inProgress: .inProgress,
                         .waitingOnCustomer: .waitingOnCustomer],
    "lease_expired": [.assigned: .queued, .inProgress: .queued, .waitingOnCustomer: .waitingOnCustomer],
    "feedback": [.resolved: .resolved, .closed: .closed],
]

let reachableStatuses: [TicketStatus] = [.queued, .offered, .assigned, .inProgress, .waitingOnCustomer,
                                         .resolved, .closed, .cancelled]

@Suite struct LifecycleTests {
    let policy = DomainPolicy.defaults

    @Test func createValidatesTriagesAndQueues() throws {
        let t = try Ticket.create(id: "T-1", draft: sampleDraft(category: .refund), idempotencyKey: "idem-1",
                                  by: intake, at: monday, policy: policy)
        #expect(t.status == .queued)
        #expect(t.queue == "billing")
        #expect(t.supportTier == .l1)
        #expect(t.epoch == 0)
        #expect(t.idempotencyKey == "idem-1")
        #expect(t.history.map(\.kind) == [.created, .queued])
        #expect(t.history.map(\.from) == [nil, .new])
        #expect(t.history.map(\.seq) == [1, 2])
        #expect(t.history.allSatisfy { $0.actor == intake && $0.at == monday })
        expectDomainError("invalid_field", field: "subject") {
            _ = try Ticket.create(id: "T-2", draft: sampleDraft(subject: ""), by: intake, at: monday, policy: policy)
        }
        expectDomainError("invalid_field", field: "id") {
            _ = try Ticket.create(id: "bad id", draft: sampleDraft(), by: intake, at: monday, policy: policy)
        }
    }

    @Test(arguments: allCommands)
    func transitionTable(_ command: CommandCase) throws {
        for status in reachableStatuses {
            let before = try ticket(in: status)
            var t = before
            let now = monday.addingTimeInterval(command.offset)
            let cmd = command.make(before)
            if let expected = legalTransitions[command.name]?[status] {
                _ = try t.apply(cmd, by: supervisor, at: now, policy: policy)
                #expect(t.status == expected, "\(command.name) from \(status)")
                #expect(t.history.count > before.history.count, "\(command.name) from \(status) must record an event")
                #expect(t.history.last?.at == now)
                #expect(t.updatedAt == now)
            } else {
                do {
                    _ = try t.apply(cmd, by: supervisor, at: now, policy: policy)
                    Issue.record("\(command.name) from \(status) should be illegal")
                } catch let error as DomainError {
                    #expect(error.code == "illegal_transition", "\(command.name) from \(status): \(error)")
                    #expect(error.message.contains(status.rawValue))
                    #expect(error.message.contains(command.name))
                }
                #expect(t == before, "\(command.name) from \(status) changed the ticket")
            }
        }
    }

    @Test func happyPathRecordsWhoWhenAndWhy() throws {
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: clock.now, policy: policy)
        clock.advance(10)
        #expect(try t.apply(.offer(agentID: "a1", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: policy)
            == [.scheduleOfferExpiry(agentID: "a1", at: clock.now.addingTimeInterval(30))])
        #expect(t.epoch == 1 && t.deliveryAttempts == 1)
        clock.advance(5)
        #expect(try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a1"), at: clock.now, policy: policy)
            == [.startLease(agentID: "a1", epoch: 2)])
        #expect(t.assignedAgentID == "a1")
        #expect(t.firstResponseAt == clock.now) // accepting is the first response
        clock.advance(5)
        _ = try t.apply(.startWork, by: .agent("a1"), at: clock.now, policy: policy)
        expectDomainError("not_assigned_agent") {
            _ = try t.apply(.resolve(note: "x"), by: .agent("a2"), at: clock.now, policy: policy)
        }
        clock.advance(600)
        #expect(try t.apply(.resolve(note: "Replacement sent"), by: .agent("a1"), at: clock.now, policy: policy) == [.releaseAgent("a1")])
        #expect(t.resolvedAt == clock.now && t.assignedAgentID == nil && t.lastAgentID == "a1")
        clock.advance(3600)
        _ = try t.apply(.close, by: .system, at: clock.now, policy: policy)
        #expect(t.closedAt == clock.now)
        #expect(t.history.map(\.kind) == [.created, .queued, .offered, .offerAccepted, .workStarted, .resolved, .closed])
        #expect(t.history[5].actor == .agent("a1"))
        #expect(t.history[5].reason == "Replacement sent")
        #expect(t.history.map(\.seq) == Array(1...7))
    }

    @Test func transferMovesQueueAndReleasesAgent() throws {
        var t = try ticket(in: .inProgress)
        let epoch = t.epoch
        let effects = try t.apply(.transfer(queue: "repairs", requiredSkills: [SkillRequirement(skill: "electronics", minLevel: 3)]),
                                  by: .agent("a1"), at: monday, policy: policy)
        #expect(effects == [.releaseAgent("a1"), .requeue(atHead: false)])
        #expect(t.queue == "repairs" && t.requiredSkills.first?.skill == "electronics")
        #expect(t.epoch > epoch)
        #expect(t.history.last?.details["from_queue"] == "general")
        var bad = try ticket(in: .inProgress)
        let before = bad
        expectDomainError("invalid_field", field: "required_skills[0].min_level") {
            _ = try bad.apply(.transfer(queue: "repairs", requiredSkills: [SkillRequirement(skill: "x", minLevel: 7)]),
                              by: supervisor, at: monday, policy: policy)
        }
        #expect(bad == before)
    }

    @Test func escalationTiersThenError() throws {
        var t = try ticket(in: .inProgress)
        #expect(try t.apply(.escalate(reason: "warranty dispute"), by: .agent("a1"), at: monday, policy: policy)
            == [.releaseAgent("a1"), .requeue(atHead: true)])
        #expect(t.supportTier == .l2 && t.status == .queued && t.queuedAtHead)
        _ = try t.apply(.escalate(reason: "legal review"), by: supervisor, at: monday, policy: policy)
        #expect(t.supportTier == .expert)
        let before = t
        expectDomainError("max_tier_reached") {
            _ = try t.apply(.escalate(reason: "again"), by: supervisor, at: monday, policy: policy)
        }
        #expect(t == before)
    }

    @Test func reopenWithinWindowOnly() throws {
        var clock = ManualClock(monday)
        var t = try ticket(in: .closed, at: clock.now)
        clock.advance(6 * 86_400)
        #expect(try t.apply(.reopen(reason: "zipper broke again"), by: customer, at: clock.now, policy: policy) == [.requeue(atHead: true)])
        #expect(t.reopenCount == 1 && t.resolvedAt == nil && t.closedAt == nil)
        #expect(t.preferredAgentID == "a1") // stickiness to the last agent
        var late = try ticket(in: .resolved, at: monday)
        let before = late
        expectDomainError("reopen_window_elapsed") {
            _ = try late.apply(.reopen(reason: "x"), by: customer, at: monday.addingTimeInterval(8 * 86_400), policy: policy)
        }
        #expect(late == before)
    }

    @Test func customerReplyRequeuesWhenNobodyHoldsTheTicket() throws {
        var t = try ticket(in: .waitingOnCustomer)
        #expect(try t.apply(.leaseExpired(epoch: t.epoch), by: .system, at: monday, policy: policy) == [.releaseAgent("a1")])
        #expect(t.status == .waitingOnCustomer && t.assignedAgentID == nil)
        #expect(try t.apply(.customerReply(text: "here"), by: customer, at: monday, policy: policy) == [.requeue(atHead: true)])
        #expect(t.status == .queued)
    }

    @Test func permissions() throws {
        var t = try ticket(in: .offered)
        expectDomainError("not_permitted") { _ = try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a2"), at: monday, policy: policy) }
        expectDomainError("not_permitted") { _ = try t.apply(.comment(text: "x", internal: true), by: customer, at: monday, policy: policy) }
        expectDomainError("not_permitted") { _ = try t.apply(.customerReply(text: "x"), by: .agent("a1"), at: monday, policy: policy) }
        expectDomainError("not_permitted") { _ = try t.apply(.offerExpired, by: customer, at: monday, policy: policy) }
        expectDomainError("invalid_field", field: "text") {
            _ = try t.apply(.comment(text: "", internal: false), by: customer, at: monday, policy: policy)
        }
    }

    @Test func ticketRoundTripsThroughJSON() throws {
        var t = try ticket(in: .resolved)
        _ = try t.apply(.feedback(rating: 5, comment: "great"), by: customer, at: monday, policy: policy)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(t)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""assigned_agent_id""#) == false) // nil fields are omitted
        #expect(text.contains(#""last_agent_id":"a1""#))
        #expect(text.contains(#""internal":false"#))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        #expect(try decoder.decode(Ticket.self, from: data) == t)
    }

    @Test func commandsRoundTripThroughJSON() throws {
        let commands: [TicketCommand] = [.offer(agentID: "a", expiresAt: monday), .overrideUrgency(nil),
                                         .transfer(queue: "q", requiredSkills: nil), .slaCheck, .leaseExpired(epoch: 7)]
        let data = try JSONEncoder().encode(commands)
        #expect(try JSONDecoder().decode([TicketCommand].self, from: data) == commands)
    }
}
