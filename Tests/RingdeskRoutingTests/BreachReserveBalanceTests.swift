import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

/// Breach demotion, reservation of scarce agents and load balance, on small hand-made cases
/// with a manual clock.
@Suite("Routing: breached tickets, reserved agents, load balance")
struct BreachReserveBalanceTests {
    static let regions = ["eu-west": ["eu-central"], "eu-central": ["eu-west"]]

    /// Only the rule under test is on.
    /// `redBreachDemotion` nil: red tickets drop back as far as the others; `reserveOnlyWithCover`
    /// false: the issue-4 reservation rule alone.
    static func configuration(breachDemotion: TimeInterval = 0, redBreachDemotion: TimeInterval? = nil,
                              reserveRatio: Double = 0, reserveMargin: Double = -1, reserveOnlyWithCover: Bool = false,
                              balanceWeight: Double = 0) -> RoutingConfiguration {
        RoutingConfiguration(balanceWeight: balanceWeight, breachDemotion: breachDemotion,
                             redBreachDemotion: redBreachDemotion ?? breachDemotion,
                             reserveOnlyWithCover: reserveOnlyWithCover, reserveRatio: reserveRatio,
                             reserveLead: 60, reserveMargin: reserveMargin, reserveCommonAgents: 4,
                             relaxationSteps: [0, 30, 90, 180], neighbourRegions: regions,
                             leaseDuration: 86_400)
    }

    // MARK: Breach demotion

    @Test func aBreachedTicketGoesBehindOneThatCanStillMakeIt() throws {
        for demotion in [0.0, 86_400] {
            var f = RoutingFixture(Self.configuration(breachDemotion: demotion))
            f.ticket("breached", arrived: 0, due: 600)  // due at 600
            f.ticket("on-time", urgency: .yellow, arrived: 100, due: 1400)  // due at 1500, same queue
            f.move(to: 700)
            f.agent("a", idleSince: 700)
            let decision = try #require(f.decisions().first)
            if demotion == 0 {
                #expect(decision.ticketID == "breached")  // plain earliest deadline first
            } else {
                #expect(decision.ticketID == "on-time")
                #expect(decision.score.breach == 0)
            }
        }
    }

    @Test func aBreachedTicketIsStillServedWhenNothingElseWaits() throws {
        var f = RoutingFixture(Self.configuration(breachDemotion: 86_400))
        f.ticket("breached", arrived: 0, due: 300)
        f.move(to: 400)
        f.agent("a", idleSince: 400)
        let decision = try #require(f.decisions().first)
        #expect(decision.ticketID == "breached")
        #expect(decision.score.breach == -86_400)
        #expect(decision.score.slack == 100)
        let s = decision.score
        let sum = s.slack + s.breach + s.urgency + s.waited + s.skillFit + s.proficiency + s.region + s.idle
            + s.balance + s.stickiness + s.scarcity
        #expect(abs(s.total - sum) < 1e-9)
    }

    @Test func breachedTicketsAcrossQueuesKeepTheirOrderBehindOnTimeOnes() throws {
        var f = RoutingFixture(Self.configuration(breachDemotion: 86_400))
        f.ticket("old-breach", skill: "refunds", arrived: 0, due: 300)  // due 300
        f.ticket("new-breach", arrived: 50, due: 300)  // due 350
        f.ticket("on-time", skill: "logistics", arrived: 100, due: 3500)  // due 3600
        f.move(to: 400)
        f.agent("a", skills: ["returns": 3, "refunds": 3, "logistics": 3], idleSince: 400)
        #expect(f.offers() == ["on-time": "a"])
        try f.engine.accept(ticketID: "on-time", agentID: "a", at: f.now)
        try f.engine.complete(ticketID: "on-time", agentID: "a", at: f.now)
        #expect(f.offers() == ["old-breach": "a"])
    }

    // MARK: Reservation

    /// One technician (repairs and returns) and four generalists (returns): the repairs signature
    /// has 1 agent, the returns signature 5, so the technician's reserve is 5× the returns
    /// ticket's scarcity term.
    static func technicianAndGeneralists(_ configuration: RoutingConfiguration, generalists: Int = 4,
                                         presence: Presence = .offline) -> RoutingFixture {
        var f = RoutingFixture(configuration)
        f.agent("tech", skills: ["repairs": 4, "returns": 3], tier: .l2, idleSince: 0)
        for index in 0..<generalists { f.agent("g\(index)", presence: presence) }
        // A repair once seen makes the repairs signature exist; the technician serves it.
        f.ticket("repair", skill: "repairs", minLevel: 3, urgency: .red, due: 300)
        #expect(f.offers() == ["repair": "tech"])
        try! f.engine.accept(ticketID: "repair", agentID: "tech", at: f.now)
        f.move(to: 10)
        try! f.engine.complete(ticketID: "repair", agentID: "tech", at: f.now)
        return f
    }

    @Test func aScarceAgentHoldsBackFromCommonWorkUntilItsDeadlineNears() throws {
        var f = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 4))
        f.ticket("returns", arrived: 10, due: 3600)  // due 3610; nobody else on duty
        f.move(to: 20)
        #expect(f.offers().isEmpty)
        f.move(to: 200)  // past every relaxation step
        #expect(f.offers().isEmpty)
        #expect(f.engine.nextDeadline == RoutingFixture.at(3550))  // reserve_lead 60 s before due
        f.move(to: 3550)
        #expect(f.offers() == ["returns": "tech"])
    }

    @Test func withoutReservationTheScarceAgentTakesCommonWorkAtOnce() throws {
        var f = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 0))
        f.ticket("returns", arrived: 10, due: 3600)
        f.move(to: 20)
        #expect(f.offers() == ["returns": "tech"])
    }

    @Test func ticketsFewAgentsCanServeAreNeverHeldBackFrom() throws {
        // Returns has 3 agents (< reserve_common_agents 4): scarce work itself.
        var f = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 2), generalists: 2)
        f.ticket("returns", arrived: 10, due: 3600)
        f.move(to: 20)
        #expect(f.offers() == ["returns": "tech"])
    }

    @Test func anAgentLessBusyThanThePoolTakesCommonWork() throws {
        // reserve_margin 0: the technician holds back only while busier than the pool. A
        // generalist on duty and busy the whole time makes the pool busier than the technician.
        var f = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 4, reserveMargin: 0),
                                              generalists: 4, presence: .offline)
        try f.engine.setPresence(agentID: "g0", .available, at: RoutingFixture.at(0))
        f.ticket("busy", arrived: 0, due: 3600)
        let first = f.offers()
        #expect(first == ["busy": "g0"])
        try f.engine.accept(ticketID: "busy", agentID: "g0", at: f.now)
        f.move(to: 1000)
        f.ticket("returns", arrived: 1000, due: 3600)
        #expect(f.offers() == ["returns": "tech"])

        // The same with reservation always on (margin -1): the technician holds back.
        var g = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 4, reserveMargin: -1))
        try g.engine.setPresence(agentID: "g0", .available, at: RoutingFixture.at(0))
        g.ticket("busy", arrived: 0, due: 3600)
        #expect(g.offers() == ["busy": "g0"])
        try g.engine.accept(ticketID: "busy", agentID: "g0", at: g.now)
        g.move(to: 1000)
        g.ticket("returns", arrived: 1000, due: 3600)
        #expect(g.offers().isEmpty)
    }

    // MARK: Load balance

    @Test func workGoesToTheLessBusyAgentAmongFreeOnes() throws {
        for weight in [0.0, 1200] {
            var f = RoutingFixture(Self.configuration(balanceWeight: weight))
            f.agent("busy", idleSince: 0)
            f.ticket("first", arrived: 0, due: 3600)
            #expect(f.offers() == ["first": "busy"])
            try f.engine.accept(ticketID: "first", agentID: "busy", at: f.now)
            f.move(to: 500)
            try f.engine.complete(ticketID: "first", agentID: "busy", at: f.now)
            f.move(to: 550)
            f.agent("fresh", idleSince: 550)  // idle for less long, but has done no work
            f.move(to: 600)
            f.ticket("t", arrived: 600, due: 3600)
            let decision = try #require(f.decisions().first)
            if weight == 0 {
                #expect(decision.agentID == "busy")  // longest idle
            } else {
                #expect(decision.agentID == "fresh")
                #expect(decision.score.balance > 0)
            }
        }
    }

    @Test func utilisationIsLoadOverAvailableCapacityOverTime() {
        var ledger = WorkloadLedger()
        ledger.note(0)
        ledger.addAgent()
        ledger.update(agent: 0, load: 0, availableCapacity: 1)
        ledger.note(100)
        ledger.update(agent: 0, load: 1, availableCapacity: 1)
        ledger.addAgent()
        ledger.update(agent: 1, load: 0, availableCapacity: 1)
        #expect(ledger.utilisation(agent: 0, at: 200) == 0.5)
        #expect(ledger.utilisation(agent: 1, at: 200) == 0)
        #expect(abs(ledger.poolUtilisation(at: 200) - 100.0 / 300) < 1e-12)
        // Off duty: capacity stops counting, work in hand still does.
        ledger.note(200)
        ledger.update(agent: 0, load: 1, availableCapacity: 0)
        #expect(ledger.utilisation(agent: 0, at: 300) == 1)
        #expect(ledger.utilisation(agent: 1, at: 300) == 0)
    }
}

extension BreachReserveBalanceTests {
    /// Demand-aware reservation: the technician holds back while busier than the pool; idling
    /// lowers its utilisation, so without a recheck (no event) it would sit idle next to work.
    @Test func anIdleAgentThatHeldBackIsLookedAtAgain() throws {
        var f = RoutingFixture(Self.configuration(reserveRatio: 4, reserveMargin: 0))
        f.agent("tech", skills: ["repairs": 4, "returns": 3], tier: .l2, idleSince: 0)
        for index in 0..<4 { f.agent("g\(index)", presence: .offline) }
        f.agent("biller", skills: ["billing": 3], idleSince: 0)
        f.ticket("repair", skill: "repairs", minLevel: 3, urgency: .red, due: 300)
        #expect(f.offers() == ["repair": "tech"])
        try f.engine.accept(ticketID: "repair", agentID: "tech", at: f.now)
        f.move(to: 200)
        f.ticket("bill", skill: "billing", due: 3600)
        #expect(f.offers() == ["bill": "biller"])
        try f.engine.accept(ticketID: "bill", agentID: "biller", at: f.now)
        // At 1000 the technician (busy 0–1000) is busier than the pool: it holds back. Idling
        // lowers its utilisation below the pool's at 1200 (1000 / 2t < (1000 + t − 200) / 4t).
        f.move(to: 1000)
        try f.engine.complete(ticketID: "repair", agentID: "tech", at: f.now)
        f.ticket("returns", due: 3600)
        #expect(f.offers().isEmpty)
        #expect(f.engine.nextDeadline == RoutingFixture.at(1005))  // reserve_recheck
        var at = 1000.0
        var offered: [String: String] = [:]
        while offered.isEmpty, at < 3000 {
            at = try #require(f.engine.nextDeadline).timeIntervalSince(RoutingFixture.t0)
            f.move(to: at)
            offered = f.offers()
        }
        #expect(offered == ["returns": "tech"])
        #expect(at > 1195 && at <= 1205)  // not at reserve_lead (4540): within one recheck of the crossing
    }
}

/// Issue 18: red tickets drop back less once breached, and reservation only when someone else
/// takes the ticket meanwhile.
extension BreachReserveBalanceTests {
    @Test func aBreachedRedTicketDropsBackLessThanOthers() throws {
        var f = RoutingFixture(Self.configuration(breachDemotion: 86_400, redBreachDemotion: 1800))
        f.ticket("late-yellow", urgency: .yellow, arrived: 0, due: 300)  // due 300 → key ~ 86,700
        f.ticket("late-red", urgency: .red, arrived: 100, due: 300)  // due 400 → key ~ 2,200
        f.ticket("on-time", arrived: 200, due: 3400)  // due 3600, behind the red one's 2,200
        f.move(to: 500)
        f.agent("a", skills: ["returns": 3], idleSince: 500)
        let decision = try #require(f.decisions().first)
        #expect(decision.ticketID == "late-red")
        #expect(decision.score.breach == -1800)
        try f.engine.accept(ticketID: "late-red", agentID: "a", at: f.now)
        try f.engine.complete(ticketID: "late-red", agentID: "a", at: f.now)
        #expect(f.offers() == ["on-time": "a"])
        #expect(RoutingConfiguration(breachDemotion: 0, redBreachDemotion: 1800).demotion(for: .red) == 0)
        #expect(RoutingConfiguration(breachDemotion: 600, redBreachDemotion: 0).demotion(for: .red) == 1)
    }

    @Test func aScarceAgentHoldsBackOnlyWhenAnotherFreeAgentCoversTheTicket() throws {
        // Nobody else on duty: holding back would only idle the technician next to the ticket.
        var f = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 4, reserveOnlyWithCover: true))
        f.ticket("returns", arrived: 10, due: 3600)
        f.move(to: 20)
        #expect(f.offers() == ["returns": "tech"])

        // A generalist is free: it takes the ticket, the technician stays free for repairs.
        var g = Self.technicianAndGeneralists(Self.configuration(reserveRatio: 4, reserveOnlyWithCover: true))
        try g.engine.setPresence(agentID: "g0", .available, at: RoutingFixture.at(10))
        g.move(to: 20)
        g.ticket("returns", arrived: 20, due: 3600)
        #expect(g.offers() == ["returns": "g0"])
    }
}
