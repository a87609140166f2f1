import Foundation
import RingdeskDomain
@testable import RingdeskSimulation

/// Tiny hand-made traces: agents on one shift from 0, tickets needing `returns`.
enum Tiny {
    static func agent(_ id: String, skills: [String: Int] = ["returns": 3], languages: [String] = ["en"],
                      region: String = "eu-west", tier: SupportTier = .l1, capacity: Int = 1,
                      shifts: [Shift] = [Shift(0, 3600)]) -> TraceAgent {
        TraceAgent(id: id, skills: skills, languages: languages, regions: [region], tier: tier, capacity: capacity, shifts: shifts)
    }

    static func ticket(_ id: String, at arrival: Double, handling: Double = 300, urgency: Urgency = .yellow,
                       skill: String = "returns", minLevel: Int = 2, language: String = "en", region: String = "eu-west",
                       tier: SupportTier = .l1, firstResponse: Double? = nil) -> TraceTicket {
        TraceTicket(id: id, arrival: arrival, urgency: urgency, category: .return, region: region, language: language,
                    tier: tier, requiredSkills: [SkillRequirement(skill: skill, minLevel: minLevel)], handling: handling,
                    firstResponseTarget: firstResponse)
    }

    /// Runs a policy and returns ticket id → (agent id, start).
    static func assignments<P: RoutingPolicy>(_ trace: Trace, _ policy: inout P) throws -> [String: (String, Double)] {
        let outcome = try Simulator(trace: trace).run(&policy)
        var result: [String: (String, Double)] = [:]
        for (i, ticket) in trace.tickets.enumerated() {
            if let a = outcome.agent[i], let s = outcome.start[i] { result[ticket.id] = (trace.agents[a].id, s) }
        }
        return result
    }

    static func agentsOf(_ result: [String: (String, Double)]) -> [String: String] { result.mapValues(\.0) }
}
