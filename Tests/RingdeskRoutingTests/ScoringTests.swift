import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

@Suite("Routing scores")
struct ScoringTests {
    @Test func earliestDeadlineFirst() {
        var f = RoutingFixture()
        f.ticket("late-due", due: 3000)
        f.ticket("early-due", due: 600)
        f.agent("a")
        #expect(f.offers() == ["early-due": "a"])
    }

    @Test func urgencyLeadBeatsASlightlyEarlierDeadline() {
        var f = RoutingFixture()
        f.ticket("green", urgency: .green, due: 600)
        f.ticket("red", urgency: .red, due: 700)  // 100 s later, but red leads by 240 s
        f.agent("a")
        #expect(f.offers() == ["red": "a"])
    }

    @Test func timeWaitedBreaksEqualDeadlines() {
        var f = RoutingFixture()
        f.ticket("newer", arrived: 100, due: 500)  // due at 600
        f.ticket("older", arrived: 0, due: 600)  // due at 600, waited longer
        f.move(to: 100)
        f.agent("a")
        #expect(f.offers() == ["older": "a"])
    }

    @Test func regionFitPicksTheHomeAgent() {
        var f = RoutingFixture(RoutingConfiguration(relaxationSteps: [0, 0, 0, 0],
                                                    neighbourRegions: ["eu-west": ["eu-central"]]))
        f.agent("central", regions: ["eu-central"], idleSince: 0)
        f.agent("us", regions: ["us-east"], idleSince: 0)
        f.agent("west", regions: ["eu-west"], idleSince: 10)  // idle less long
        f.ticket("t")
        f.move(to: 20)
        let decision = f.decisions()
        #expect(decision.map(\.agentID) == ["west"])
        #expect(decision.first?.score.region == 60)
    }

    @Test func exactFitKeepsExpertsFree() {
        var f = RoutingFixture()
        f.agent("expert", skills: ["returns": 5])
        f.agent("exact", skills: ["returns": 2], idleSince: 5)
        f.ticket("t", minLevel: 2)
        f.move(to: 10)
        let decision = f.decisions()
        #expect(decision.map(\.agentID) == ["exact"])
        // exact: fit 30, proficiency 20·2/5 = 8; expert: fit 30·(1 - 3/4) = 7.5, proficiency 20.
        #expect(decision.first?.score.skillFit == 30)
        #expect(decision.first?.score.proficiency == 8)
    }

    @Test func preferredAgentIsASoftPreference() throws {
        var f = RoutingFixture()
        f.agent("other", idleSince: 0)
        f.agent("previous", idleSince: 50)
        f.ticket("t", preferred: "previous")
        f.move(to: 60)
        #expect(f.offers() == ["t": "previous"])
        // Soft: when the previous agent can't take it, someone else does.
        f.ticket("u", preferred: "previous")
        #expect(f.offers() == ["u": "other"])
    }

    @Test func longestIdleWinsTiesThenId() {
        var f = RoutingFixture()
        f.agent("b", idleSince: 0)
        f.agent("a", idleSince: 0)
        f.agent("c", idleSince: -100)
        f.ticket("t1")
        f.ticket("t2", due: 3700)
        f.ticket("t3", due: 3800)
        #expect(f.offers() == ["t1": "c", "t2": "a", "t3": "b"])
    }

    @Test func idleFairnessInTheBreakdown() {
        var f = RoutingFixture(RoutingConfiguration(idleWeight: 0.1, idleCap: 100))
        f.agent("a", idleSince: 0)
        f.ticket("t")
        f.move(to: 500)
        let decision = f.decisions().first
        #expect(decision?.score.idle == 10)  // capped at 100 s
    }

    @Test func breakdownTermsAddUpAndExplainTheDecision() throws {
        var f = RoutingFixture()
        f.agent("a", skills: ["returns": 3])
        f.ticket("t", minLevel: 2, urgency: .yellow, due: 1800)
        f.move(to: 60)
        let decision = try #require(f.decisions().first)
        let s = decision.score
        #expect(s.slack == 60 - 1800)
        #expect(s.urgency == 120)
        #expect(abs(s.waited - 6) < 1e-9)
        #expect(s.skillFit == 22.5)  // 30 · (1 - excess 1 / 4)
        #expect(abs(s.proficiency - 12) < 1e-9)
        #expect(s.region == 60)
        #expect(s.level == .lowerProficiency)
        let ticketTerms: Double = s.slack + s.breach + s.urgency + s.waited
        let agentTerms: Double = s.skillFit + s.proficiency + s.region + s.idle + s.balance + s.stickiness + s.scarcity
        #expect(abs(s.total - ticketTerms - agentTerms) < 1e-9)
        #expect(s.details["relaxation_level"] == "lower_proficiency")
        #expect(decision.epoch == 7)
        #expect(decision.expiresAt == RoutingFixture.at(90))
    }

    @Test func agentFirstAndTicketFirstAgree() {
        // Same situation solved with one free agent (agent-first) and many (ticket-first).
        var few = RoutingFixture()
        few.ticket("red", urgency: .red, due: 300)
        few.ticket("green", due: 14_400)
        few.agent("a")
        #expect(few.offers() == ["red": "a"])

        var many = RoutingFixture()
        many.ticket("red", urgency: .red, due: 300)
        for index in 0..<5 { many.agent("a\(index)", idleSince: Double(index)) }
        #expect(many.offers() == ["red": "a0"])
    }
}
