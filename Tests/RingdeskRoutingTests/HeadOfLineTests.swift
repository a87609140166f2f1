import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

/// Issue 17: a queue head that excludes an agent (after a reject or an offer expiry) must not
/// keep the tickets behind it from that agent.
@Suite("Routing head-of-line blocking")
struct HeadOfLineTests {
    /// `ps` available, `pt` offline, both with skill hol3; A then B of the same signature.
    static func twoTickets() -> RoutingFixture {
        var f = RoutingFixture()
        f.agent("ps", skills: ["hol3": 3])
        f.agent("pt", skills: ["hol3": 3], presence: .offline)
        f.ticket("A", skill: "hol3", arrived: 0)
        f.move(to: 1)
        f.ticket("B", skill: "hol3", arrived: 1)
        return f
    }

    @Test func rejectedHeadDoesNotBlockTheTicketBehindIt() throws {
        var f = Self.twoTickets()
        #expect(f.offers() == ["A": "ps"])
        f.move(to: 2)
        #expect(try f.engine.reject(ticketID: "A", agentID: "ps", at: f.now).isEmpty)
        #expect(f.offers() == ["B": "ps"])
        #expect(f.engine.state(of: "A", at: f.now) == .queued(level: .exactSkillsInRegion, deliveryAttempts: 1))
    }

    @Test func expiredHeadDoesNotBlockTheTicketBehindIt() throws {
        var f = Self.twoTickets()
        #expect(f.offers() == ["A": "ps"])
        f.move(to: 31)  // the offer (30 s) lapses unanswered
        let actions = f.advance()
        #expect(actions.first == .offerExpired(ticketID: "A", agentID: "ps"))
        #expect(actions.dropFirst().compactMap { if case .decide(let d) = $0 { "\(d.ticketID)→\(d.agentID)" } else { nil } } == ["B→ps"])
    }

    @Test func aTicketArrivingBehindAnExcludedHeadGoesToTheIdleAgentAtOnce() throws {
        var f = RoutingFixture()
        f.agent("ps", skills: ["hol3": 3])
        f.agent("pt", skills: ["hol3": 3], presence: .offline)
        f.ticket("A", skill: "hol3")
        #expect(f.offers() == ["A": "ps"])
        #expect(try f.engine.reject(ticketID: "A", agentID: "ps", at: f.now).isEmpty)
        #expect(f.offers().isEmpty)  // ps idles: A excludes it, nothing else waits
        f.move(to: 5)
        f.ticket("B", skill: "hol3")
        #expect(f.offers() == ["B": "ps"])
    }

    @Test func headSideMatchingAlsoLooksBehindAnExcludedHead() throws {
        // More free agents than queue heads: heads choose agents. A excludes ps; B must still go to ps.
        var f = RoutingFixture()
        f.agent("ps", skills: ["hol3": 3])
        f.agent("other", skills: ["repairs": 3])
        try f.engine.enqueue(Self.excludingPS("A", at: f.now))
        f.ticket("B", skill: "hol3", due: 3700)
        #expect(f.offers() == ["B": "ps"])
    }

    static func excludingPS(_ id: String, at now: Date) -> RoutingTicket {
        RoutingTicket(id: id, requirements: [SkillRequirement(skill: "hol3", minLevel: 2)], language: "en", region: "eu-west",
                      channel: .chat, urgency: .green, waitingSince: now, dueAt: now.addingTimeInterval(3600),
                      excludedAgentIDs: ["ps"], excludedSince: now)
    }

    @Test func theAgentTakesTheBestTicketItMayTakeAcrossQueues() throws {
        // A (hol3, most urgent) excludes ps; B (hol3) and C (returns, later due) wait: ps takes B, not C.
        var f = Self.twoTickets()
        f.agent("ps", skills: ["hol3": 3, "returns": 3])
        f.ticket("C", skill: "returns", due: 7200)
        #expect(f.offers() == ["A": "ps"])
        _ = try f.engine.reject(ticketID: "A", agentID: "ps", at: f.now)
        #expect(f.offers() == ["B": "ps"])
    }

    @Test func idleEligibleMeasureSeesTicketsStarvedBehindAnExcludedHead() throws {
        var f = RoutingFixture()
        f.agent("ps", skills: ["hol3": 3])
        try f.engine.enqueue(Self.excludingPS("A", at: f.now))
        f.ticket("B", skill: "hol3", due: 3700)
        // Before a pass, B waits with ps free, and only A (which excludes ps) is ahead of it.
        #expect(f.engine.idleEligibleTickets(at: f.now) == [IdleEligibleTicket(ticketID: "B", behindExcludedHead: true)])
        #expect(f.offers() == ["B": "ps"])
        #expect(f.engine.idleEligibleTickets(at: f.now).isEmpty)
        // Once the exclusion ages out (120 s), A may go to ps as soon as ps is free again.
        try f.engine.accept(ticketID: "B", agentID: "ps", at: f.now)
        f.move(to: 121)
        try f.engine.complete(ticketID: "B", agentID: "ps", at: f.now)
        #expect(f.engine.idleEligibleTickets(at: f.now) == [IdleEligibleTicket(ticketID: "A", behindExcludedHead: false)])
        #expect(f.offers() == ["A": "ps"])
    }
}
