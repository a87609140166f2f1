import Foundation
import RingdeskDomain
@testable import RingdeskRouting

/// Small hand-made cases: a manual clock in seconds from t0, helpers to build agents and tickets.
struct RoutingFixture {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var engine: RoutingEngine
    var now: Date = RoutingFixture.t0

    init(_ configuration: RoutingConfiguration = RoutingConfiguration(
        relaxationSteps: [0, 30, 90, 180], neighbourRegions: ["eu-west": ["eu-central"], "eu-central": ["eu-west"]])) {
        engine = try! RoutingEngine(configuration: configuration)
    }

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    mutating func move(to seconds: Double) { now = Self.at(seconds) }

    mutating func agent(_ id: String, skills: [String: Int] = ["returns": 3], languages: [String] = ["en"],
                        regions: [String] = ["eu-west"], tier: SupportTier = .l1, chat: Int = 1,
                        presence: Presence = .available, idleSince: Double = 0) {
        try! engine.upsertAgent(RoutingAgent(
            id: id, skills: skills, languages: languages, regions: regions, supportTier: tier,
            capacity: [.chat: chat, .email: chat], presence: presence, idleSince: Self.at(idleSince)))
    }

    mutating func ticket(_ id: String, skill: String = "returns", minLevel: Int = 2, language: String = "en",
                         region: String = "eu-west", channel: Channel = .chat, urgency: Urgency = .green,
                         tier: SupportTier = .l1, arrived: Double? = nil, due: Double = 3600,
                         preferred: String? = nil, attempts: Int = 0, atHead: Bool = false) {
        let arrival = arrived.map(Self.at) ?? now
        try! engine.enqueue(RoutingTicket(
            id: id, requirements: [SkillRequirement(skill: skill, minLevel: minLevel)], language: language,
            region: region, channel: channel, urgency: urgency, supportTier: tier, waitingSince: arrival,
            dueAt: arrival.addingTimeInterval(due), preferredAgentID: preferred, deliveryAttempts: attempts, epoch: 7),
            atHead: atHead)
    }

    mutating func advance() -> [RoutingAction] { engine.advance(to: now) }

    /// Offers made by the next `advance`, as ticket → agent.
    mutating func offers() -> [String: String] {
        var result: [String: String] = [:]
        for case .decide(let decision) in advance() { result[decision.ticketID] = decision.agentID }
        return result
    }

    mutating func decisions() -> [RoutingDecision] {
        advance().compactMap { if case .decide(let d) = $0 { d } else { nil } }
    }
}
