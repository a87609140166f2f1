import RingdeskRaft
import RingdeskShard

/// The fenced-claims shard: intake creates tickets with idempotency keys; agents race to claim,
/// renew, expire, requeue and move tickets through their lifecycle events, each deciding on a
/// possibly stale view of some replica. The check replays the committed log through a reference
/// model of claims.
enum ShardWorkload: RaftSimWorkload {
    static func digest(_ machine: ShardStateMachine) -> UInt64 { machine.digest }
    static func ticketCount(_ machine: ShardStateMachine) -> Int { machine.tickets.count }
    static func ticketID(forKey key: String, in machine: ShardStateMachine) -> String? { machine.idempotencyKeys[key] }
    static func hasTicket(_ id: String, in machine: ShardStateMachine) -> Bool { machine.tickets[id] != nil }

    static func isClaim(_ command: ShardCommand) -> Bool {
        if case .claim = command { return true }
        return false
    }

    static func createCommand(ticketID: String, key: String?, world: RaftSimulationWorld<ShardWorkload>) -> ShardCommand {
        let payload = (0..<world.random.below(12)).map { _ in UInt8(truncatingIfNeeded: world.random.next()) }
        return .create(ticketID: ticketID, idempotencyKey: key, payload: payload, at: world.clockMilliseconds)
    }

    static func createdTicketID(_ result: ShardResult) -> String? {
        switch result {
        case .created(let id), .duplicate(let id): id
        default: nil
        }
    }

    static func act(on ticketID: String, roll: Int, world: RaftSimulationWorld<ShardWorkload>) {
        let agents = RaftSimClientRules.agents
        // Agents decide on a possibly stale view: whatever some replica has applied.
        guard let viewer = world.randomLiveReplica(), let view = world.replicas[viewer].disk.machine.ticket(ticketID) else { return }
        let lease = world.clockMilliseconds + world.random.between(100, 600)
        switch roll {
        case 30..<62:
            // Competing agents claim the same ticket at the same epoch, through different replicas.
            let first = agents[world.random.below(agents.count)]
            _ = world.propose(.claim(ticketID: ticketID, agent: first, expectedEpoch: view.epoch, leaseUntil: lease))
            if world.random.below(100) < 60 {
                var second = agents[world.random.below(agents.count)]
                if second == first { second = agents[(agents.firstIndex(of: first)! + 1) % agents.count] }
                _ = world.propose(.claim(ticketID: ticketID, agent: second, expectedEpoch: view.epoch, leaseUntil: lease + 1))
            }
        case 62..<76:
            let agent = world.random.below(10) == 0 || view.holder == nil ? agents[world.random.below(agents.count)] : view.holder!
            _ = world.propose(.renew(ticketID: ticketID, agent: agent, epoch: view.epoch, leaseUntil: lease))
        case 76..<86:
            _ = world.propose(.expire(ticketID: ticketID, epoch: view.epoch, now: world.clockMilliseconds))
        case 86..<91:
            _ = world.propose(.requeue(ticketID: ticketID, epoch: view.epoch))
        default:
            let kind = ShardEventKind.allCases[world.random.below(ShardEventKind.allCases.count)]
            _ = world.propose(.event(ticketID: ticketID, epoch: view.epoch, kind: kind))
        }
    }

    /// Replays the committed log through a minimal reference model of claims: per ticket, epochs
    /// strictly increase, one holder per epoch, and every result is what the fencing rules allow.
    static func checkLog(_ world: RaftSimulationWorld<ShardWorkload>, upTo commit: UInt64, final machine: ShardStateMachine) {
        struct Model {
            var epoch: UInt64 = 0
            var holder: String?
            var queued = true
            var leaseUntil: Int64 = 0
        }
        var models: [String: Model] = [:]
        guard commit >= 1 else { return }
        for logIndex in 1...commit {
            guard Int(logIndex) < world.appliedLog.count, let record = world.appliedLog[Int(logIndex)] else {
                world.violation("claims_linearizable", "committed index \(logIndex) was never applied by anyone")
                return
            }
            guard let command = record.command, let result = record.result else { continue }
            let id = command.ticketID
            var model = models[id]
            var ok = true
            switch (command, result) {
            case (.create, .created(let created)):
                ok = created == id && model == nil
                model = Model()
            case (.create, _):
                break
            case let (.claim(_, agent, expected, until), .claimed(epoch)):
                ok = model != nil && model!.epoch == expected && model!.queued && model!.holder == nil && epoch == expected + 1
                model?.epoch = epoch
                model?.holder = agent
                model?.queued = false
                model?.leaseUntil = until
            case let (.claim(_, _, expected, _), .rejected):
                ok = !(model != nil && model!.epoch == expected && model!.queued)
            case let (.renew(_, agent, epoch, until), .renewed(renewed, _)):
                ok = model != nil && model!.epoch == epoch && renewed == epoch && model!.holder == agent
                if let current = model?.leaseUntil { model?.leaseUntil = max(current, until) }
            case let (.renew(_, agent, epoch, _), .rejected):
                ok = !(model != nil && model!.epoch == epoch && model!.holder == agent)
            case let (.expire(_, epoch, at), .expired(next)):
                ok = model != nil && model!.epoch == epoch && model!.holder != nil && model!.leaseUntil <= at && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = true
            case let (.expire(_, epoch, at), .rejected):
                ok = !(model != nil && model!.epoch == epoch && model!.holder != nil && model!.leaseUntil <= at)
            case let (.requeue(_, epoch), .requeued(next)):
                ok = model != nil && model!.epoch == epoch && model!.holder != nil && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = true
            case let (.event(_, epoch, _), .updated(status, next)):
                ok = model != nil && model!.epoch == epoch && next == epoch + 1
                model?.epoch = next
                model?.holder = nil
                model?.queued = status == .queued
            case (.event, .rejected), (.requeue, .rejected):
                break
            default:
                ok = false
            }
            if !ok {
                world.violation("claims_linearizable", "index \(logIndex): \(command) → \(result) contradicts the ticket's history "
                              + "(epoch \(model?.epoch ?? 0), holder \(model?.holder ?? "none"))")
                return
            }
            models[id] = model
        }
        for id in models.keys.sorted() {
            let model = models[id]!
            guard let ticket = machine.tickets[id], ticket.epoch == model.epoch, ticket.holder == model.holder else {
                world.violation("claims_linearizable", "ticket \(id) ends at epoch \(machine.tickets[id]?.epoch ?? 0) held by "
                              + "\(machine.tickets[id]?.holder ?? "none"); its history says epoch \(model.epoch) held by \(model.holder ?? "none")")
                return
            }
        }
    }
}
