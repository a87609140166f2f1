import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct OfferTests {
    let policy = DomainPolicy.defaults

    @Test func acceptByAnotherAgentIsRefused() throws {
        var t = try ticket(in: .offered)
        let before = t
        expectDomainError("not_offered_to_agent", field: "agent_id") {
            _ = try t.apply(.acceptOffer(agentID: "a2"), by: supervisor, at: monday, policy: policy)
        }
        expectDomainError("not_offered_to_agent") {
            _ = try t.apply(.rejectOffer(agentID: "a2"), by: .agent("a2"), at: monday, policy: policy)
        }
        #expect(t == before)
    }

    @Test func acceptAfterExpiryIsRefusedAndExpiryBeforeDeadlineToo() throws {
        var t = try ticket(in: .offered) // expires monday + 30 s
        expectDomainError("offer_expired") {
            _ = try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a1"), at: monday.addingTimeInterval(31), policy: policy)
        }
        expectDomainError("offer_not_expired") {
            _ = try t.apply(.offerExpired, by: .system, at: monday.addingTimeInterval(29), policy: policy)
        }
        // Accepting exactly at the deadline still wins.
        _ = try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a1"), at: monday.addingTimeInterval(30), policy: policy)
        #expect(t.status == .assigned)
    }

    @Test func rejectExcludesAgentFromReoffers() throws {
        var t = try ticket(in: .offered)
        let effects = try t.apply(.rejectOffer(agentID: "a1"), by: .agent("a1"), at: monday, policy: policy)
        #expect(effects == [.releaseAgent("a1"), .requeue(atHead: false)])
        #expect(t.excludedAgentIDs == ["a1"])
        #expect(t.history.last?.kind == .offerRejected)
        expectDomainError("agent_excluded") {
            _ = try t.apply(.offer(agentID: "a1", expiresAt: monday.addingTimeInterval(60)), by: .system, at: monday, policy: policy)
        }
        _ = try t.apply(.offer(agentID: "a2", expiresAt: monday.addingTimeInterval(60)), by: .system, at: monday, policy: policy)
        #expect(t.offer?.agentID == "a2")
    }

    @Test func expiryExcludesAgentToo() throws {
        var t = try ticket(in: .offered)
        let effects = try t.apply(.offerExpired, by: .system, at: monday.addingTimeInterval(30), policy: policy)
        #expect(effects == [.releaseAgent("a1"), .requeue(atHead: false)])
        #expect(t.excludedAgentIDs == ["a1"] && t.offer == nil && t.status == .queued)
    }

    @Test func deliveryLimitMovesTicketToSupervisorReview() throws {
        var p = policy
        p.maxDeliveryAttempts = 2
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: clock.now, policy: p)
        _ = try t.apply(.offer(agentID: "a1", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: p)
        #expect(try t.apply(.rejectOffer(agentID: "a1"), by: .agent("a1"), at: clock.now, policy: p) == [.releaseAgent("a1"), .requeue(atHead: false)])
        _ = try t.apply(.offer(agentID: "a2", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: p)
        clock.advance(30)
        let effects = try t.apply(.offerExpired, by: .system, at: clock.now, policy: p)
        #expect(effects == [.releaseAgent("a2"), .deliveryLimitReached])
        #expect(t.queue == "supervisor_review" && t.status == .queued)
        #expect(t.history.last?.kind == .deliveryLimitReached)
        expectDomainError("delivery_limit_reached") {
            _ = try t.apply(.offer(agentID: "a3", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: p)
        }
        // A supervisor sends it back: attempts and exclusions reset.
        _ = try t.apply(.transfer(queue: "general", requiredSkills: nil), by: supervisor, at: clock.now, policy: p)
        #expect(t.deliveryAttempts == 0 && t.excludedAgentIDs.isEmpty)
        _ = try t.apply(.offer(agentID: "a1", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: p)
        #expect(t.status == .offered)
    }

    @Test func leaseExpiryIsFencedAndRequeuesAtHead() throws {
        var t = try ticket(in: .inProgress)
        let before = t
        expectDomainError("stale_epoch") {
            _ = try t.apply(.leaseExpired(epoch: t.epoch - 1), by: .system, at: monday, policy: policy)
        }
        #expect(t == before)
        let effects = try t.apply(.leaseExpired(epoch: t.epoch), by: .system, at: monday, policy: policy)
        #expect(effects == [.releaseAgent("a1"), .requeue(atHead: true)])
        #expect(t.status == .queued && t.queuedAtHead && t.assignedAgentID == nil)
        #expect(t.epoch == before.epoch + 1)
        #expect(t.excludedAgentIDs.isEmpty) // a lapsed lease is not a refusal
    }

    @Test func exclusionListIsBounded() throws {
        var p = policy
        p.maxExcludedAgents = 2
        p.maxDeliveryAttempts = 10
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: monday, policy: p)
        for agent in ["a1", "a2", "a3"] {
            _ = try t.apply(.offer(agentID: agent, expiresAt: monday.addingTimeInterval(30)), by: .system, at: monday, policy: p)
            _ = try t.apply(.rejectOffer(agentID: agent), by: .agent(agent), at: monday, policy: p)
        }
        #expect(t.excludedAgentIDs == ["a2", "a3"])
    }
}
