import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct SimpleAssignerTests {
    let policy = DomainPolicy.defaults
    let assigner = SimpleAssigner(configuration: .init(policy: .defaults))

    func agent(_ id: String, skills: [String: Int] = [:], languages: [String] = ["en"], regions: [String] = ["eu-west"],
               tier: SupportTier = .l1, capacity: [Channel: Int] = Channel.defaultCapacities,
               presence: Presence = .available, idleSince: TimeInterval = 0) -> Agent {
        Agent(id: id, name: id, regions: regions, languages: languages, skills: skills, supportTier: tier,
              channelCapacity: capacity, presence: presence, presenceSince: monday.addingTimeInterval(idleSince))
    }

    func queued(_ id: String, at offset: TimeInterval = 0, draft: TicketDraft = sampleDraft()) throws -> Ticket {
        try Ticket.create(id: id, draft: draft, by: intake, at: monday.addingTimeInterval(offset), policy: policy)
    }

    @Test func requiresEverySkillAtMinimumLevel() throws {
        let t = try queued("T-1", draft: sampleDraft(skills: [SkillRequirement(skill: "returns", minLevel: 3),
                                                             SkillRequirement(skill: "de", minLevel: 1)]))
        let agents = [agent("a-low", skills: ["returns": 2, "de": 5], idleSince: -100),
                      agent("a-partial", skills: ["returns": 5], idleSince: -90),
                      agent("a-ok", skills: ["returns": 3, "de": 1])]
        let offers = assigner.plan(queued: [t], agents: agents, load: [:], now: monday)
        #expect(offers.map(\.agentID) == ["a-ok"])
        #expect(offers.first?.expiresAt == monday.addingTimeInterval(30))
        #expect(offers.first?.epoch == t.epoch)
    }

    @Test func requiresLanguagePresenceAndTier() throws {
        var t = try queued("T-1", draft: sampleDraft(language: "de-AT"))
        let agents = [agent("a-en", languages: ["en"], idleSince: -100),
                      agent("a-away", languages: ["de"], presence: .away, idleSince: -90),
                      agent("a-de", languages: ["de"])]
        #expect(assigner.plan(queued: [t], agents: agents, load: [:], now: monday).map(\.agentID) == ["a-de"])
        // No language list = speaks anything.
        #expect(assigner.plan(queued: [t], agents: [agent("a-any", languages: [])], load: [:], now: monday).count == 1)
        _ = try t.apply(.escalate(reason: "hard"), by: supervisor, at: monday, policy: policy)
        #expect(assigner.plan(queued: [t], agents: agents, load: [:], now: monday).isEmpty)
        #expect(assigner.plan(queued: [t], agents: [agent("a-l2", languages: ["de"], tier: .l2)], load: [:], now: monday).count == 1)
    }

    @Test func respectsChannelCapacityIncludingLoadAndOffers() throws {
        let calls = try (0..<3).map { try queued("T-\($0)", at: Double($0), draft: sampleDraft(channel: .phone)) }
        let a = agent("a1")
        // Phone capacity 1: one offer per agent.
        #expect(assigner.plan(queued: calls, agents: [a], load: [:], now: monday).map(\.ticketID) == ["T-0"])
        // Already on a call: nothing.
        #expect(assigner.plan(queued: calls, agents: [a], load: ["a1": [.phone: 1]], now: monday).isEmpty)
        // Other channels are independent.
        let mail = try queued("M-1", draft: sampleDraft(channel: .email))
        #expect(assigner.plan(queued: calls + [mail], agents: [a], load: ["a1": [.phone: 1]], now: monday).map(\.ticketID) == ["M-1"])
        // Load derived from tickets counts offers.
        var offered = calls[0]
        _ = try offered.apply(.offer(agentID: "a1", expiresAt: monday.addingTimeInterval(30)), by: .system, at: monday, policy: policy)
        #expect(Agent.loads(from: [offered]) == ["a1": [.phone: 1]])
    }

    @Test func ordersByUrgencyThenHeadThenAge() throws {
        let oldGreen = try queued("old-green", at: 0)
        let newGreen = try queued("new-green", at: 100)
        let red = try queued("red", at: 200, draft: sampleDraft(subject: "fraud alert"))
        var requeued = try queued("requeued", at: 150)
        _ = try requeued.apply(.offer(agentID: "x", expiresAt: monday.addingTimeInterval(500)), by: .system, at: monday.addingTimeInterval(300), policy: policy)
        _ = try requeued.apply(.acceptOffer(agentID: "x"), by: .agent("x"), at: monday.addingTimeInterval(300), policy: policy)
        _ = try requeued.apply(.leaseExpired(epoch: requeued.epoch), by: .system, at: monday.addingTimeInterval(400), policy: policy)
        #expect(requeued.urgency == .green && requeued.queuedAtHead)
        let order = [newGreen, oldGreen, requeued, red].sorted(by: SimpleAssigner.queueOrder).map(\.id)
        #expect(order == ["red", "requeued", "old-green", "new-green"])
        // With two email slots, the red ticket and the head-of-queue ticket win.
        let a = agent("a1", capacity: [.email: 2])
        let offers = assigner.plan(queued: [newGreen, oldGreen, requeued, red], agents: [a], load: [:], now: monday)
        #expect(offers.map(\.ticketID) == ["red", "requeued"])
    }

    @Test func excludesAgentAfterReject() throws {
        var t = try queued("T-1")
        _ = try t.apply(.offer(agentID: "a1", expiresAt: monday.addingTimeInterval(30)), by: .system, at: monday, policy: policy)
        _ = try t.apply(.rejectOffer(agentID: "a1"), by: .agent("a1"), at: monday, policy: policy)
        let agents = [agent("a1", idleSince: -1000), agent("a2")]
        #expect(assigner.plan(queued: [t], agents: agents, load: [:], now: monday).map(\.agentID) == ["a2"])
        #expect(assigner.plan(queued: [t], agents: [agent("a1")], load: [:], now: monday).isEmpty)
    }

    @Test func prefersPreferredAgentThenRegionThenLongestIdle() throws {
        let agents = [agent("idle-us", regions: ["us-east"], idleSince: -3000),
                      agent("eu-recent", regions: ["eu-west"], idleSince: -10),
                      agent("eu-idle", regions: ["eu-west"], idleSince: -2000),
                      agent("fav", regions: ["ap-south"], idleSince: 0)]
        let plain = try queued("T-1")
        #expect(assigner.plan(queued: [plain], agents: agents, load: [:], now: monday).first
            .map { [$0.agentID, $0.reason] } == ["eu-idle", "same_region"])
        let sticky = try queued("T-2", draft: sampleDraft(preferredAgentID: "fav"))
        #expect(assigner.plan(queued: [sticky], agents: agents, load: [:], now: monday).first
            .map { [$0.agentID, $0.reason] } == ["fav", "preferred_agent"])
        let far = try queued("T-3", draft: sampleDraft(region: "sa-east"))
        #expect(assigner.plan(queued: [far], agents: agents, load: [:], now: monday).first
            .map { [$0.agentID, $0.reason] } == ["idle-us", "longest_idle"])
        // A busy preferred agent is skipped in favour of the region rule.
        #expect(assigner.plan(queued: [sticky], agents: agents, load: ["fav": [.email: 5]], now: monday).first?.agentID == "eu-idle")
    }

    @Test func skipsReviewQueueAndNonQueuedTickets() throws {
        var p = policy
        p.maxDeliveryAttempts = 1
        var t = try queued("T-1")
        _ = try t.apply(.offer(agentID: "a9", expiresAt: monday.addingTimeInterval(30)), by: .system, at: monday, policy: p)
        let offered = t
        _ = try t.apply(.rejectOffer(agentID: "a9"), by: .agent("a9"), at: monday, policy: p)
        #expect(t.queue == "supervisor_review")
        let a = SimpleAssigner(configuration: .init(policy: p))
        #expect(a.plan(queued: [t, offered], agents: [agent("a1")], load: [:], now: monday).isEmpty)
    }
}
