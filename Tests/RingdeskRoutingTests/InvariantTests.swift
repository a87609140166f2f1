import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskRouting

/// Random command sequences from fixed seeds; after every step the engine's invariants hold.
@Suite("Routing invariants")
struct InvariantTests {
    struct Rng {
        var generator: SeededGenerator
        init(state: UInt64) { generator = SeededGenerator(seed: state) }
        mutating func next(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomCommandsKeepInvariants(seed: UInt64) throws {
        var rng = Rng(state: seed)
        var f = RoutingFixture(RoutingConfiguration(offerTimeout: 20, leaseDuration: 60, maxDeliveryAttempts: 3))
        let skills = ["returns", "refunds", "repairs"]
        var capacity: [Int] = []
        for index in 0..<12 {
            capacity.append(1 + rng.next(3))
            f.agent("a\(index)", skills: [skills[index % 3]: 1 + rng.next(5), skills[(index + 1) % 3]: 1 + rng.next(5)],
                    languages: [["en", "de"][rng.next(2)]], regions: [["eu-west", "eu-central", "us-east"][rng.next(3)]],
                    chat: capacity[index], idleSince: Double(rng.next(100)))
        }
        var offered: [String: String] = [:]  // ticket → agent
        var leased: [String: String] = [:]
        var nextTicket = 0
        var clock = 0.0
        for _ in 0..<600 {
            clock += Double(rng.next(10))
            f.move(to: clock)
            switch rng.next(10) {
            case 0, 1, 2:
                f.ticket("t\(nextTicket)", skill: skills[rng.next(3)], minLevel: 1 + rng.next(5), language: ["en", "de"][rng.next(2)],
                         region: ["eu-west", "eu-central", "us-east"][rng.next(3)], urgency: Urgency.allCases[rng.next(3)],
                         due: Double(60 + rng.next(3600)))
                nextTicket += 1
            case 3, 4:
                if let (ticket, agent) = offered.sorted(by: { $0.key < $1.key }).first {
                    try f.engine.accept(ticketID: ticket, agentID: agent, at: f.now)
                    offered[ticket] = nil
                    leased[ticket] = agent
                }
            case 5:
                if let (ticket, agent) = offered.sorted(by: { $0.key < $1.key }).last {
                    _ = try f.engine.reject(ticketID: ticket, agentID: agent, at: f.now)
                    offered[ticket] = nil
                }
            case 6, 7:
                if let (ticket, agent) = leased.sorted(by: { $0.key < $1.key }).first {
                    try f.engine.complete(ticketID: ticket, agentID: agent, at: f.now)
                    leased[ticket] = nil
                }
            case 8:
                if let (ticket, agent) = leased.sorted(by: { $0.key < $1.key }).last {
                    try f.engine.renewLease(ticketID: ticket, agentID: agent, at: f.now)
                }
            default:
                try f.engine.setPresence(agentID: "a\(rng.next(12))", [.available, .away][rng.next(2)], at: f.now)
            }
            for action in f.advance() {
                switch action {
                case .decide(let decision):
                    #expect(offered[decision.ticketID] == nil && leased[decision.ticketID] == nil, "ticket held twice")
                    offered[decision.ticketID] = decision.agentID
                case .offerExpired(let ticket, let agent):
                    #expect(offered.removeValue(forKey: ticket) == agent)
                case .leaseLapsed(let ticket, let agent, _):
                    #expect(leased.removeValue(forKey: ticket) == agent)
                case .movedToReview(let ticket, _, _):
                    #expect(offered[ticket] == nil && leased[ticket] == nil)
                }
            }
            // Load equals what the engine handed out, and never exceeds capacity.
            for index in 0..<12 {
                let id = "a\(index)"
                let held = offered.values.filter { $0 == id }.count + leased.values.filter { $0 == id }.count
                #expect(f.engine.load(of: id, on: .chat) == held)
                #expect(held <= capacity[index])
            }
            let queued = (0..<nextTicket).filter {
                if case .queued = f.engine.state(of: "t\($0)", at: f.now) { true } else { false }
            }.count
            #expect(f.engine.queuedCount == queued)
        }
        // Every agent below capacity means no queued ticket it could take right now.
        #expect(nextTicket > 100)
    }
}
