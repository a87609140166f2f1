import Foundation
import RingdeskDomain
import RingdeskRaft
import RingdeskShard

/// The routing domain's group (`RoutingDomainMachine`): an operator registers agents (intake's
/// creates, retried with their keys, become idempotent profile upserts) and changes their
/// profiles and capacities; every agent has two client connections, on two different nodes, that
/// open sessions (each reconnect takes the next session epoch), go available or away and close,
/// each with the epoch its own last acknowledged open gave it (so the older connection acts on a
/// stale session); supervisors set presence with no session. Every actor proposes through a
/// random replica.
///
/// The check replays the committed log through a reference model of sessions: epochs rise by one
/// per open; an action of a session applies only while that session is the agent's live one, and
/// is refused as `stale_session` otherwise (never the other way round); closing takes the agent
/// offline; at any index an agent has at most one session that may act, so the router (which
/// offers only to an agent's live session) counts its capacity once however many nodes it is
/// connected to; and the final agents equal the model.
enum RoutingWorkload: RaftSimWorkload {
    static func digest(_ machine: RoutingDomainMachine) -> UInt64 { machine.digest }
    static func ticketCount(_ machine: RoutingDomainMachine) -> Int { machine.agents.count }

    /// The agent a registration with `key` names ("k12" → "a12"), so a retry upserts the same one.
    static func agentID(forKey key: String) -> String { "a" + key.dropFirst() }

    static func ticketID(forKey key: String, in machine: RoutingDomainMachine) -> String? {
        let id = agentID(forKey: key)
        return machine.agent(id) == nil ? nil : id
    }

    static func hasTicket(_ id: String, in machine: RoutingDomainMachine) -> Bool { machine.agent(id) != nil }

    /// Counted as a claim: a session the domain gave an agent's connection.
    static func isClaim(_ entry: RoutingDomainEntry) -> Bool {
        if case .openSession = entry { return true }
        return false
    }

    static func date(_ world: RaftSimulationWorld<RoutingWorkload>) -> Date {
        Date(timeIntervalSince1970: Double(world.clockMilliseconds) / 1000)
    }

    static func profile(_ id: String, world: RaftSimulationWorld<RoutingWorkload>) -> AgentProfile {
        let random = { (bound: Int) in world.random.below(bound) }
        // Drawn in a fixed order (never a dictionary's), so a seed replays exactly.
        var skills: [String: Int] = [:]
        for skill in ["refunds", "returns"] where random(3) != 0 { skills[skill] = 1 + random(5) }
        return AgentProfile(id: id, name: "Agent \(id)", regions: random(2) == 0 ? [] : ["eu-west"], languages: ["en", "de"].prefix(random(3)).map { $0 },
                            skills: skills,
                            supportTier: SupportTier.allCases[random(SupportTier.allCases.count)],
                            channelCapacity: [.chat: 1 + random(3), .phone: random(2)])
    }

    static func createCommand(ticketID: String, key: String?, world: RaftSimulationWorld<RoutingWorkload>) -> RoutingDomainEntry {
        .upsertAgent(profile(key.map(agentID(forKey:)) ?? "a-\(ticketID)", world: world), at: date(world))
    }

    static func createdTicketID(_ result: RoutingDomainResult) -> String? {
        if case .agent(let agent) = result { return agent.id }
        return nil
    }

    /// The two nodes an agent's clients are connected to.
    static func connectionNodes(_ world: RaftSimulationWorld<RoutingWorkload>) -> [UInt64] {
        [1, UInt64(world.initialCount)]
    }

    static func connection(_ agentID: String, node: UInt64) -> String { "\(agentID)@\(node)" }

    static func act(on agentID: String, roll: Int, world: RaftSimulationWorld<RoutingWorkload>) {
        guard let viewer = world.randomLiveReplica(), world.replicas[viewer].disk.machine.agent(agentID) != nil else { return }
        let now = date(world)
        let nodes = connectionNodes(world)
        let node = nodes[world.random.below(nodes.count)]
        // The epoch this connection's last acknowledged open gave it; a connection that never had
        // one guesses (a client replaying an old session id).
        let held = world.clients.sessionEpochs[connection(agentID, node: node)] ?? UInt64(world.random.below(3))
        let presence = Presence.allCases[world.random.below(Presence.allCases.count)]
        switch roll {
        case 30..<50:
            _ = world.propose(.openSession(agentID: agentID, node: node, at: now))
        case 50..<75:
            _ = world.propose(.setPresence(agentID: agentID, presence, sessionEpoch: held, at: now))
        case 75..<85:
            _ = world.propose(.closeSession(agentID: agentID, epoch: held, at: now))
        case 85..<93:
            _ = world.propose(.setPresence(agentID: agentID, presence, sessionEpoch: nil, at: now))
        default:
            _ = world.propose(.upsertAgent(profile(agentID, world: world), at: now))
        }
    }

    static func acknowledged(_ entry: RoutingDomainEntry, result: RoutingDomainResult, world: RaftSimulationWorld<RoutingWorkload>) {
        if case let .openSession(agentID, node, _) = entry, case .session(let session) = result {
            let key = connection(agentID, node: node)
            world.clients.sessionEpochs[key] = max(world.clients.sessionEpochs[key] ?? 0, session.epoch)
        }
    }

    static func checkLog(_ world: RaftSimulationWorld<RoutingWorkload>, upTo commit: UInt64, final machine: RoutingDomainMachine) {
        struct Model {
            var epoch: UInt64 = 0
            var live = false
            var presence = Presence.offline
            var capacity: [Channel: Int] = [:]
        }
        var models: [String: Model] = [:]
        guard commit >= 1 else { return }
        for logIndex in 1...commit {
            guard Int(logIndex) < world.appliedLog.count, let record = world.appliedLog[Int(logIndex)] else {
                world.violation("sessions_fenced", "committed index \(logIndex) was never applied by anyone")
                return
            }
            guard let entry = record.command, let result = record.result else { continue }
            func fail(_ detail: String) { world.violation("sessions_fenced", "index \(logIndex): \(detail)") }
            /// Whether `epoch` names the agent's live session right before this entry.
            func isLive(_ id: String, _ epoch: UInt64) -> Bool { models[id].map { $0.live && $0.epoch == epoch } ?? false }
            switch (entry, result) {
            case let (.upsertAgent(profile, _), .agent(agent)):
                guard agent.id == profile.id, agent.channelCapacity == profile.effectiveCapacity,
                      agent.presence == (models[profile.id]?.presence ?? .offline) else {
                    return fail("upsert of \(profile.id) gave another agent or moved its presence")
                }
                models[profile.id, default: Model()].capacity = agent.channelCapacity
            case (.upsertAgent, .rejected):
                break
            case let (.openSession(id, node, _), .session(session)):
                guard var model = models[id] else { return fail("a session opened for unknown agent \(id)") }
                guard session.agentID == id, session.node == node, !session.closed, session.epoch == model.epoch + 1 else {
                    return fail("session \(session.epoch) of \(id) after \(model.epoch): epochs must rise by one per open")
                }
                // The new session replaces the old one: from here only it may act, on whichever node.
                model.epoch = session.epoch
                model.live = true
                models[id] = model
            case let (.openSession(id, _, _), .rejected(rejection)):
                guard models[id] == nil, rejection.code == "agent_not_found" else { return fail("open of a session for \(id) refused: \(rejection)") }
            case let (.setPresence(id, presence, epoch, _), .agent(agent)):
                guard models[id] != nil else { return fail("presence set for unknown agent \(id)") }
                if let epoch, !isLive(id, epoch) {
                    return fail("stale session \(epoch) of \(id) acted (live: \(models[id]!.live ? "\(models[id]!.epoch)" : "none"))")
                }
                guard agent.presence == presence else { return fail("presence of \(id) is \(agent.presence), the entry set \(presence)") }
                models[id]?.presence = presence
            case let (.setPresence(id, _, epoch, _), .rejected(rejection)):
                if models[id] == nil { break }
                guard let epoch, !isLive(id, epoch), rejection.code == "stale_session" else {
                    return fail("the live session (or a supervisor) of \(id) was refused: \(rejection)")
                }
            case let (.closeSession(id, epoch, _), .session(session)):
                guard isLive(id, epoch), session.closed, session.epoch == epoch else { return fail("session \(epoch) of \(id) closed while not live") }
                models[id]?.live = false
                models[id]?.presence = .offline
            case let (.closeSession(id, epoch, _), .rejected(rejection)):
                if models[id] == nil { break }
                guard !isLive(id, epoch), rejection.code == "stale_session" else { return fail("the live session \(epoch) of \(id) could not close") }
            default:
                return fail("\(entry) → \(result) is not a result that entry can have")
            }
        }
        for id in models.keys.sorted() {
            let model = models[id]!
            guard let agent = machine.agent(id), agent.presence == model.presence, agent.channelCapacity == model.capacity,
                  machine.liveSession(of: id)?.epoch == (model.live ? model.epoch : nil) else {
                world.violation("sessions_fenced", "agent \(id) ends in another state than its log says (presence \(model.presence), "
                                + "live session \(model.live ? "\(model.epoch)" : "none"))")
                return
            }
        }
    }
}
