import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

@Suite("Routing offers, leases and supervisors")
struct OfferLeaseTests {
    @Test func offerTimesOutAndGoesToTheNextAgent() throws {
        var f = RoutingFixture()
        f.agent("a", idleSince: 0)
        f.agent("b", idleSince: 5)
        f.ticket("t")
        f.move(to: 10)
        #expect(f.offers() == ["t": "a"])
        #expect(f.engine.nextDeadline == RoutingFixture.at(40))
        f.move(to: 39.9)
        #expect(f.advance().isEmpty)
        f.move(to: 40)
        let actions = f.advance()
        #expect(actions.first == .offerExpired(ticketID: "t", agentID: "a"))
        #expect(actions.dropFirst().compactMap { if case .decide(let d) = $0 { d.agentID } else { nil } } == ["b"])
        #expect(f.engine.load(of: "a", on: .chat) == 0)
    }

    @Test func rejectReoffersToSomeoneElse() throws {
        var f = RoutingFixture()
        f.agent("a", idleSince: 0)
        f.agent("b", idleSince: 5)
        f.ticket("t")
        f.move(to: 10)
        #expect(f.offers() == ["t": "a"])
        #expect(try f.engine.reject(ticketID: "t", agentID: "a", at: f.now).isEmpty)
        #expect(f.offers() == ["t": "b"])
        #expect(throws: RoutingError.self) { try f.engine.accept(ticketID: "t", agentID: "a", at: f.now) }
    }

    @Test func excludedAgentIsNotOfferedAgainUntilTheExclusionAgesOut() throws {
        var f = RoutingFixture()
        f.agent("a")
        f.agent("b", presence: .away)
        f.ticket("t")
        #expect(f.offers() == ["t": "a"])
        _ = try f.engine.reject(ticketID: "t", agentID: "a", at: f.now)
        f.move(to: 119)
        #expect(f.offers().isEmpty)  // a declined; b could take it once back
        #expect(f.engine.state(of: "t", at: f.now) == .queued(level: .neighbouringRegions, deliveryAttempts: 1))
        f.move(to: 120)  // exclusion_expiry (default 120 s): a may be offered it again
        #expect(f.offers() == ["t": "a"])
    }

    @Test func reviewAtOnceWhenEveryEligibleAgentDeclinedAndExclusionsLastForGood() throws {
        var f = RoutingFixture(RoutingConfiguration(exclusionExpiry: 0))
        f.agent("a", idleSince: 0)
        f.agent("b", idleSince: 1)
        f.agent("other-skill", skills: ["repairs": 5])
        f.ticket("t")
        f.move(to: 5)
        #expect(f.offers() == ["t": "a"])
        #expect(try f.engine.reject(ticketID: "t", agentID: "a", at: f.now).isEmpty)
        #expect(f.offers() == ["t": "b"])
        f.move(to: 35)  // b lets it lapse: nobody who could take it is left
        #expect(f.advance() == [.offerExpired(ticketID: "t", agentID: "b"),
                                .movedToReview(ticketID: "t", attempts: 2, reason: .noEligibleAgent)])
        #expect(f.engine.state(of: "t", at: f.now) == .review)
    }

    /// Issue 17: one qualified agent, one reject (or one expiry) moved the ticket to review. With
    /// the default rule it is re-offered as each exclusion ages out, and reviewed only after
    /// `max_delivery_attempts` (5) offers, with reason `delivery_limit`.
    @Test(arguments: [false, true])
    func singleQualifiedAgentGoesToReviewOnlyAfterTheDeliveryLimit(expires: Bool) throws {
        var f = RoutingFixture()
        f.agent("ps", skills: ["hol3": 3])
        f.ticket("t", skill: "hol3", due: 86_400)
        var clock = 0.0
        for attempt in 1...5 {
            #expect(f.offers() == ["t": "ps"], "attempt \(attempt)")
            let actions: [RoutingAction]
            if expires {
                clock += 30
                f.move(to: clock)
                actions = Array(f.advance().dropFirst())  // after .offerExpired
            } else {
                actions = try f.engine.reject(ticketID: "t", agentID: "ps", at: f.now)
            }
            if attempt < 5 {
                #expect(actions.isEmpty, "attempt \(attempt)")
                #expect(f.engine.state(of: "t", at: f.now) == .queued(
                    level: f.engine.configuration.level(waited: clock), deliveryAttempts: attempt))
                f.move(to: clock + 119)
                #expect(f.offers().isEmpty)  // still excluded
                clock += 120
                f.move(to: clock)
            } else {
                #expect(actions == [.movedToReview(ticketID: "t", attempts: 5, reason: .deliveryLimit)])
            }
        }
        #expect(f.engine.state(of: "t", at: f.now) == .review)
    }

    @Test func leaseLapsesBackToTheHeadUnlessRenewed() throws {
        var f = RoutingFixture(RoutingConfiguration(leaseDuration: 100))
        f.agent("a")
        f.ticket("t", due: 3600)
        #expect(f.offers() == ["t": "a"])
        let expiry = try f.engine.accept(ticketID: "t", agentID: "a", at: f.now)
        #expect(expiry == RoutingFixture.at(100))
        f.move(to: 90)
        #expect(try f.engine.renewLease(ticketID: "t", agentID: "a", at: f.now) == RoutingFixture.at(190))
        f.move(to: 150)
        #expect(f.advance().isEmpty)  // the old expiry (100) is stale
        f.ticket("fresh", urgency: .red, due: 60)
        f.move(to: 190)
        let actions = f.advance()
        #expect(actions.first == .leaseLapsed(ticketID: "t", agentID: "a", epoch: 7))
        // At the head: ahead of a red ticket that is due sooner.
        #expect(actions.dropFirst().compactMap { if case .decide(let d) = $0 { d.ticketID } else { nil } } == ["t"])
    }

    @Test func onlyTheHolderMayActOnTheTicket() throws {
        var f = RoutingFixture()
        f.agent("a")
        f.agent("b")
        f.ticket("t")
        let holder = try #require(f.offers()["t"])
        let other = holder == "a" ? "b" : "a"
        #expect(throws: RoutingError.self) { try f.engine.accept(ticketID: "t", agentID: other, at: f.now) }
        #expect(throws: RoutingError.self) { try f.engine.renewLease(ticketID: "t", agentID: holder, at: f.now) }
        try f.engine.accept(ticketID: "t", agentID: holder, at: f.now)
        #expect(throws: RoutingError.self) { try f.engine.complete(ticketID: "t", agentID: other, at: f.now) }
        #expect(throws: RoutingError.self) { try f.engine.accept(ticketID: "nope", agentID: holder, at: f.now) }
    }

    @Test func deliveryLimitMovesToReview() throws {
        var f = RoutingFixture(RoutingConfiguration(maxDeliveryAttempts: 2))
        f.agent("a", idleSince: 0)
        f.agent("b", idleSince: 1)
        f.agent("c", idleSince: 2)
        f.ticket("t")
        f.move(to: 5)
        #expect(f.offers() == ["t": "a"])
        _ = try f.engine.reject(ticketID: "t", agentID: "a", at: f.now)
        #expect(f.offers() == ["t": "b"])
        let actions = try f.engine.reject(ticketID: "t", agentID: "b", at: f.now)
        #expect(actions == [.movedToReview(ticketID: "t", attempts: 2, reason: .deliveryLimit)])
        #expect(f.engine.reviewTicketIDs == ["t"])
        #expect(f.offers().isEmpty)  // c is free but review tickets are never auto-offered
        #expect(f.engine.state(of: "t", at: f.now) == .review)
    }

    @Test func ticketArrivingWithAttemptsUsedGoesStraightToReview() throws {
        var f = RoutingFixture()
        f.agent("a")
        f.ticket("t", attempts: 5)
        #expect(f.offers().isEmpty)
        #expect(f.engine.reviewTicketIDs == ["t"])
    }

    @Test func supervisorAssignsFromReviewOrTakesFromAnotherAgent() throws {
        var f = RoutingFixture(RoutingConfiguration(maxDeliveryAttempts: 1))
        f.agent("a")
        f.agent("sup-pick", skills: [:])
        f.ticket("t")
        #expect(f.offers()["t"] == "a")
        _ = try f.engine.reject(ticketID: "t", agentID: "a", at: f.now)
        let decision = try f.engine.assign(ticketID: "t", to: "sup-pick", at: f.now)
        #expect(decision.kind == .manual)
        #expect(decision.score.skillFit < 0)  // not qualified: the supervisor's call, shown in the score
        #expect(f.engine.reviewTicketIDs.isEmpty)
        #expect(f.engine.state(of: "t", at: f.now) == .leased(agentID: "sup-pick", expiresAt: f.now.addingTimeInterval(600)))
        // Take it from sup-pick and give it to a.
        _ = try f.engine.assign(ticketID: "t", to: "a", at: f.now)
        #expect(f.engine.load(of: "sup-pick", on: .chat) == 0)
        #expect(f.engine.load(of: "a", on: .chat) == 1)
    }

    @Test func transferChangesSkillsAndResetsAttempts() throws {
        var f = RoutingFixture()
        f.agent("returns", skills: ["returns": 3])
        f.agent("refunds", skills: ["refunds": 3])
        f.ticket("t")
        #expect(f.offers() == ["t": "returns"])
        try f.engine.accept(ticketID: "t", agentID: "returns", at: f.now)
        try f.engine.transfer(ticketID: "t", requirements: [SkillRequirement(skill: "refunds", minLevel: 2)], at: f.now)
        #expect(f.engine.load(of: "returns", on: .chat) == 0)
        #expect(f.offers() == ["t": "refunds"])
    }

    @Test func escalationRaisesTheTierAndQueuesAtTheHead() throws {
        var f = RoutingFixture()
        f.agent("l1", tier: .l1)
        f.ticket("t")
        #expect(f.offers() == ["t": "l1"])
        try f.engine.accept(ticketID: "t", agentID: "l1", at: f.now)
        try f.engine.escalate(ticketID: "t", to: .l2, at: f.now)
        f.ticket("red", urgency: .red, due: 10)
        f.agent("l2", tier: .l2, idleSince: -10)
        // l1 is free again but may not take an l2 ticket; l2 takes the escalated one first.
        #expect(f.offers() == ["t": "l2", "red": "l1"])
    }

    @Test func withdrawFreesTheAgent() throws {
        var f = RoutingFixture()
        f.agent("a")
        f.ticket("t")
        f.ticket("u", due: 4000)
        #expect(f.offers() == ["t": "a"])
        f.engine.withdraw(ticketID: "t")
        #expect(f.engine.state(of: "t", at: f.now) == nil)
        #expect(f.offers() == ["u": "a"])
        f.engine.withdraw(ticketID: "unknown")
    }

    @Test func completingRestartsTheIdleClock() throws {
        var f = RoutingFixture()
        f.agent("a", idleSince: 0)
        f.agent("b", idleSince: 10)
        f.ticket("t")
        f.move(to: 20)
        #expect(f.offers() == ["t": "a"])
        try f.engine.accept(ticketID: "t", agentID: "a", at: f.now)
        f.move(to: 30)
        try f.engine.complete(ticketID: "t", agentID: "a", at: f.now)
        f.ticket("u")
        #expect(f.offers() == ["u": "b"])  // b idle since 10, a since 30
    }

    @Test func nextDeadlineIncludesRelaxationSteps() {
        var f = RoutingFixture(RoutingConfiguration(offerTimeout: 1000))
        f.agent("exact", skills: ["returns": 2])
        f.ticket("blocker", minLevel: 2, due: 10)
        #expect(f.offers() == ["blocker": "exact"])
        f.agent("low", skills: ["returns": 1])
        f.ticket("t", minLevel: 2)
        #expect(f.advance().isEmpty)
        #expect(f.engine.nextDeadline == RoutingFixture.at(10))  // the default lower_proficiency timer
    }

    @Test func configurationValidationNamesTheKey() throws {
        #expect(throws: RoutingError.self) { try RoutingEngine(configuration: RoutingConfiguration(relaxationSteps: [5, 10, 20, 30])) }
        do {
            _ = try RoutingEngine(configuration: RoutingConfiguration(offerTimeout: 0))
            Issue.record("accepted a zero offer timeout")
        } catch let error as RoutingError {
            #expect(error.message.contains("routing.offer_timeout"))
        }
        let partial = try JSONDecoder().decode(RoutingConfiguration.self, from: Data(#"{"offer_timeout": 12}"#.utf8))
        #expect(partial.offerTimeout == 12)
        #expect(partial.leaseDuration == RoutingConfiguration.defaults.leaseDuration)
    }

    @Test func identicalCommandSequencesGiveIdenticalDecisions() {
        func run() -> [RoutingAction] {
            var f = RoutingFixture()
            for index in 0..<20 { f.agent("a\(index % 7)-\(index)", idleSince: Double(index % 3)) }
            var all: [RoutingAction] = []
            for index in 0..<200 {
                f.move(to: Double(index))
                f.ticket("t\(index)", minLevel: 1 + index % 3, urgency: Urgency.allCases[index % 3], due: Double(300 + (index * 37) % 900))
                all += f.advance()
            }
            return all
        }
        #expect(run() == run())
    }
}

@Suite("Routing adoption after a restart")
struct AdoptionTests {
    @Test func adoptedOfferCountsAndExpires() throws {
        var f = RoutingFixture()
        f.agent("a", chat: 1)
        let ticket = RoutingTicket(id: "t", requirements: [SkillRequirement(skill: "returns", minLevel: 1)], language: "en",
                                   region: "eu-west", channel: .chat, urgency: .green, waitingSince: f.now,
                                   dueAt: f.now.addingTimeInterval(3600), deliveryAttempts: 1)
        try f.engine.adopt(ticket, holding: .offered(agentID: "a", expiresAt: RoutingFixture.at(20)))
        #expect(f.engine.load(of: "a", on: .chat) == 1)
        f.ticket("u")
        #expect(f.offers().isEmpty)  // a is full
        f.move(to: 20)
        let actions = f.advance()
        #expect(actions.first == .offerExpired(ticketID: "t", agentID: "a"))
        #expect(f.engine.state(of: "u", at: f.now) != nil)
        #expect(throws: RoutingError.self) { try f.engine.adopt(ticket, holding: .leased(agentID: "a", expiresAt: f.now)) }
        #expect(throws: RoutingError.self) {
            try f.engine.adopt(RoutingTicket(id: "x", language: "en", region: "eu-west", channel: .chat, urgency: .green,
                                             waitingSince: f.now, dueAt: f.now), holding: .leased(agentID: "nobody", expiresAt: f.now))
        }
    }

    @Test func adoptedLeaseLapses() throws {
        var f = RoutingFixture(RoutingConfiguration(leaseDuration: 50))
        f.agent("a")
        try f.engine.adopt(RoutingTicket(id: "t", language: "en", region: "eu-west", channel: .chat, urgency: .red,
                                         waitingSince: f.now, dueAt: f.now, epoch: 3),
                           holding: .leased(agentID: "a", expiresAt: RoutingFixture.at(10)))
        try f.engine.renewLease(ticketID: "t", agentID: "a", at: RoutingFixture.at(5))
        f.move(to: 54)
        #expect(f.advance().isEmpty)
        f.move(to: 55)
        #expect(f.advance().first == .leaseLapsed(ticketID: "t", agentID: "a", epoch: 3))
    }
}
