import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

@Suite("Routing eligibility")
struct EligibilityTests {
    @Test func skillBelowMinimumWaitsForRelaxation() throws {
        var f = RoutingFixture()
        f.agent("busy", skills: ["returns": 3])  // on duty at the exact level, but full
        f.ticket("blocker", minLevel: 2, due: 60)
        #expect(f.offers() == ["blocker": "busy"])
        try f.engine.accept(ticketID: "blocker", agentID: "busy", at: f.now)
        f.agent("a", skills: ["returns": 1])
        f.ticket("t", minLevel: 2)
        #expect(f.offers().isEmpty)
        f.move(to: 29.9)
        #expect(f.offers().isEmpty)
        f.move(to: 30)  // lower_proficiency opens: 2 - 1 = 1
        #expect(f.offers() == ["t": "a"])
    }

    @Test func missingSkillNeverQualifies() {
        var f = RoutingFixture()
        f.agent("a", skills: ["refunds": 5])
        f.ticket("t")
        f.move(to: 10_000)
        #expect(f.offers().isEmpty)
        #expect(f.engine.queuedCount == 1)
    }

    @Test func languageIsHardAndMatchesPrimarySubtag() {
        var f = RoutingFixture()
        f.agent("de", languages: ["de"])
        f.agent("en", languages: ["en-GB"])
        f.ticket("t", language: "en-US")
        f.move(to: 10_000)
        #expect(f.offers() == ["t": "en"])
    }

    @Test func agentWithoutLanguagesSpeaksAll() {
        var f = RoutingFixture()
        f.agent("any", languages: [])
        f.ticket("t", language: "pt-BR")
        #expect(f.offers() == ["t": "any"])
    }

    @Test func tierMustReachTheTicketsTier() {
        var f = RoutingFixture()
        f.agent("l1", tier: .l1)
        f.ticket("t", tier: .l2)
        #expect(f.offers().isEmpty)
        f.agent("l2", tier: .l2)
        #expect(f.offers() == ["t": "l2"])
    }

    @Test func channelCapacityCountsOffersAndLeases() throws {
        var f = RoutingFixture()
        f.agent("a", chat: 2)
        f.ticket("t1")
        f.ticket("t2")
        f.ticket("t3")
        let first = f.offers()
        #expect(first.count == 2)
        #expect(f.engine.load(of: "a", on: .chat) == 2)
        #expect(f.offers().isEmpty)
        let held = try #require(first.keys.sorted().first)
        try f.engine.accept(ticketID: held, agentID: "a", at: f.now)
        try f.engine.complete(ticketID: held, agentID: "a", at: f.now)
        #expect(f.offers() == ["t3": "a"])
    }

    @Test func noCapacityOnTheChannelMeansNever() {
        var f = RoutingFixture()
        f.agent("a")  // chat and email only
        f.ticket("t", channel: .phone)
        f.move(to: 10_000)
        #expect(f.offers().isEmpty)
    }

    @Test func onlyAvailableAgentsGetOffers() throws {
        var f = RoutingFixture()
        f.agent("a", presence: .away)
        f.ticket("t")
        #expect(f.offers().isEmpty)
        try f.engine.setPresence(agentID: "a", .available, at: f.now)
        #expect(f.offers() == ["t": "a"])
    }

    @Test func neighbouringRegionsThenAnyRegion() throws {
        var f = RoutingFixture()
        f.agent("west", regions: ["eu-west"], chat: 2)  // on duty in the region, but full
        f.ticket("b1", due: 10)
        f.ticket("b2", due: 11)
        #expect(f.offers() == ["b1": "west", "b2": "west"])
        try f.engine.accept(ticketID: "b1", agentID: "west", at: f.now)
        try f.engine.accept(ticketID: "b2", agentID: "west", at: f.now)
        f.agent("central", regions: ["eu-central"])
        f.agent("us", regions: ["us-east"])
        f.ticket("t", region: "eu-west")
        f.move(to: 89)
        #expect(f.offers().isEmpty)
        f.move(to: 90)
        #expect(f.offers() == ["t": "central"])
        try f.engine.accept(ticketID: "t", agentID: "central", at: f.now)
        f.ticket("u", region: "eu-west", arrived: 90)
        f.move(to: 90 + 179)
        #expect(f.offers().isEmpty)  // central is full (chat 1), us not yet allowed
        f.move(to: 90 + 180)
        #expect(f.offers() == ["u": "us"])
    }

    @Test func relaxesAtOnceWhenNobodyCloserIsOnDuty() throws {
        var f = RoutingFixture()
        f.agent("west", regions: ["eu-west"], presence: .offline)
        f.agent("us", regions: ["us-east"])
        f.ticket("t", region: "eu-west")
        let decision = try #require(f.decisions().first)
        #expect(decision.agentID == "us")
        #expect(decision.score.level == .anyQualified)
        // Once someone in the region is on duty again, new tickets wait for the region.
        try f.engine.setPresence(agentID: "west", .available, at: f.now)
        try f.engine.accept(ticketID: "t", agentID: "us", at: f.now)
        f.ticket("u", region: "eu-west", due: 7200)
        f.ticket("v", region: "eu-west", due: 7300)
        #expect(f.offers() == ["u": "west"])
    }

    @Test func agentWithoutRegionsIsAtHomeEverywhere() {
        var f = RoutingFixture()
        f.agent("global", regions: [])
        f.ticket("t", region: "ap-south")
        #expect(f.offers() == ["t": "global"])
    }

    @Test func profileUpdateChangesEligibility() {
        var f = RoutingFixture()
        f.agent("a", skills: ["refunds": 3])
        f.ticket("t")
        #expect(f.offers().isEmpty)
        f.agent("a", skills: ["returns": 3])
        #expect(f.offers() == ["t": "a"])
    }

    @Test func badInputIsRejectedAndChangesNothing() {
        var f = RoutingFixture()
        #expect(throws: RoutingError.self) {
            try f.engine.upsertAgent(RoutingAgent(id: "x", skills: ["returns": 9], idleSince: f.now))
        }
        #expect(throws: RoutingError.self) {
            try f.engine.enqueue(RoutingTicket(id: "t", requirements: [SkillRequirement(skill: "r", minLevel: 0)],
                                               language: "en", region: "eu-west", channel: .chat, urgency: .red,
                                               waitingSince: f.now, dueAt: f.now))
        }
        f.ticket("dup")
        #expect(throws: RoutingError.self) { try f.ticket_throwing("dup") }
        #expect(f.engine.queuedCount == 1)
    }
}

extension RoutingFixture {
    mutating func ticket_throwing(_ id: String) throws {
        try engine.enqueue(RoutingTicket(id: id, language: "en", region: "eu-west", channel: .chat, urgency: .green,
                                         waitingSince: now, dueAt: now))
    }
}
