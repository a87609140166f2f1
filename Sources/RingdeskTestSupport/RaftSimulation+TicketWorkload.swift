import Foundation
import RingdeskDomain
import RingdeskRaft
import RingdeskShard

/// The domain's whole ticket lifecycle on the log (`TicketShardMachine`): intake creates tickets
/// with idempotency keys; the router proposes offers, offer expiries and lease lapses fenced by
/// the epoch it saw (two routers sometimes race, as an old and a new routing leader would);
/// agents accept, reject, work, ask the customer and resolve; customers reply and rate;
/// supervisors escalate, transfer, cancel, override urgency and reopen; now and then the policy
/// changes, so commands decided under the old one are refused. Every actor decides on a possibly
/// stale view of some replica.
///
/// The check replays the committed log: one holder per ticket and epoch, an accept only of the
/// offer standing for that agent, a fenced command only at the epoch it names, epochs and history
/// that never go back, and a final state equal to the last result the log recorded.
enum TicketWorkload: RaftSimWorkload {
    static let queues = ["returns", "billing", "complaints", "no-such-queue"]

    static func digest(_ machine: TicketShardMachine) -> UInt64 { machine.digest }
    static func ticketCount(_ machine: TicketShardMachine) -> Int { machine.tickets.count }
    static func ticketID(forKey key: String, in machine: TicketShardMachine) -> String? { machine.idempotencyKeys[key] }
    static func hasTicket(_ id: String, in machine: TicketShardMachine) -> Bool { machine.tickets[id] != nil }

    static func isClaim(_ entry: TicketLogEntry) -> Bool {
        if case .command(let command) = entry, case .acceptOffer = command.command { return true }
        return false
    }

    static func date(_ world: RaftSimulationWorld<TicketWorkload>) -> Date {
        Date(timeIntervalSince1970: Double(world.clockMilliseconds) / 1000)
    }

    /// The view of a random live replica: its policy and, when asked, one ticket.
    static func view(_ world: RaftSimulationWorld<TicketWorkload>) -> TicketShardMachine? {
        world.randomLiveReplica().map { world.replicas[$0].disk.machine }
    }

    static func createCommand(ticketID: String, key: String?, world: RaftSimulationWorld<TicketWorkload>) -> TicketLogEntry {
        let random = { (bound: Int) in world.random.below(bound) }
        let categories = TicketCategory.allCases
        let channels = Channel.allCases
        let draft = TicketDraft(
            category: categories[random(categories.count)], channel: channels[random(channels.count)],
            customer: CustomerContext(id: "C-\(random(20))", tier: random(4) == 0 ? .vip : .standard, orderID: "O-\(random(1000))",
                                      orderValue: Double(random(50_000)) / 100, language: ["en", "de", "pt-BR"][random(3)],
                                      region: ["eu-west", "us-east", "apac"][random(3)]),
            subject: "Order problem \(random(100))", body: random(2) == 0 ? "" : "Please help",
            requiredSkills: random(3) == 0 ? [] : [SkillRequirement(skill: ["refunds", "returns", "billing"][random(3)], minLevel: 1 + random(4))])
        let policy = view(world)?.policy ?? .defaults
        do {
            return .create(try Ticket.create(id: ticketID, draft: draft, idempotencyKey: key, by: .intake("shop"), at: date(world), policy: policy))
        } catch {
            world.violation("driver", "intake could not create a valid ticket: \(error)")
            return .create(try! Ticket.create(id: ticketID, draft: TicketDraft(category: .inquiry, channel: .email,
                                                                              customer: CustomerContext(id: "C-0", language: "en", region: "eu-west"),
                                                                              subject: "fallback"),
                                              idempotencyKey: key, by: .intake("shop"), at: date(world), policy: .defaults))
        }
    }

    static func createdTicketID(_ result: TicketLogResult) -> String? {
        switch result {
        case .created(let ticket), .duplicate(let ticket): ticket.id
        default: nil
        }
    }

    static func act(on ticketID: String, roll: Int, world: RaftSimulationWorld<TicketWorkload>) {
        let agents = RaftSimClientRules.agents
        guard let machine = view(world), let ticket = machine.ticket(ticketID) else { return }
        let now = date(world)
        let someone = agents[world.random.below(agents.count)]
        let holder = ticket.assignedAgentID ?? ticket.offer?.agentID ?? someone
        func propose(_ command: TicketCommand, by actor: TicketActor, fenced: Bool = false, at: Date? = nil) {
            _ = world.propose(.command(TicketLogCommand(ticketID: ticketID, command: command, actor: actor, at: at ?? now,
                                                        policyVersion: machine.policyVersion,
                                                        expectedEpoch: fenced ? ticket.epoch : nil)))
        }
        switch roll {
        case 30..<48:
            // The router offers to an agent, fenced by the epoch it saw; a second router (a stale
            // routing leader) sometimes offers the same ticket at the same epoch to someone else.
            let expiry = now.addingTimeInterval(Double(world.random.between(1, 40)))
            propose(.offer(agentID: someone, expiresAt: expiry, why: ["score": "\(world.random.below(100))"]), by: .system, fenced: true)
            if world.random.below(100) < 40 {
                let other = agents[(agents.firstIndex(of: someone)! + 1 + world.random.below(agents.count - 1)) % agents.count]
                propose(.offer(agentID: other, expiresAt: expiry, why: [:]), by: .system, fenced: true)
            }
        case 48..<60:
            // Usually the agent the offer stands for; sometimes another one tries.
            let agent = world.random.below(6) == 0 ? someone : holder
            propose(.acceptOffer(agentID: agent), by: .agent(agent))
        case 60..<64:
            propose(.rejectOffer(agentID: holder), by: .agent(holder))
        case 64..<69:
            // The router's offer timer, possibly before the offer ran out (then refused).
            let at = ticket.offer.map { world.random.below(2) == 0 ? $0.expiresAt : now } ?? now
            propose(.offerExpired, by: .system, fenced: true, at: at)
        case 69..<74:
            propose(.leaseExpired(epoch: ticket.epoch), by: .system, fenced: world.random.below(2) == 0)
        case 74..<82:
            let commands: [(TicketCommand, TicketActor)] = [
                (.startWork, .agent(holder)), (.requestCustomerInfo(question: "Which order?"), .agent(holder)),
                (.customerReply(text: "This one"), .customer(ticket.customer.id)),
                (.comment(text: "note", internal: world.random.below(2) == 0), .agent(holder)),
            ]
            let (command, actor) = commands[world.random.below(commands.count)]
            propose(command, by: actor)
        case 82..<88:
            if world.random.below(3) == 0 {
                propose(.close, by: .supervisor("sue"))
            } else {
                propose(.resolve(note: "done"), by: .agent(holder))
            }
        case 88..<92:
            if world.random.below(4) == 0, let followUp = ticket.feedback.map({ _ in "f-\(ticketID)" }) {
                propose(.linkFollowUp(ticketID: followUp), by: .system)
            } else {
                propose(.feedback(rating: 1 + world.random.below(5), comment: "thanks"), by: .customer(ticket.customer.id))
            }
        case 92..<97:
            let commands: [TicketCommand] = [
                .escalate(reason: "needs L2"), .transfer(queue: queues[world.random.below(queues.count)], requiredSkills: nil),
                .cancel(reason: "duplicate"), .overrideUrgency(world.random.below(2) == 0 ? .red : nil), .reopen(reason: "came back"),
                .slaCheck,
            ]
            propose(commands[world.random.below(commands.count)], by: .supervisor("sue"))
        default:
            var policy = machine.policy
            policy.maxDeliveryAttempts = 1 + world.random.below(5)
            policy.offerTimeout = Double(10 + world.random.below(50))
            _ = world.propose(.setPolicy(version: machine.policyVersion + 1, policy: policy))
        }
    }

    static func checkLog(_ world: RaftSimulationWorld<TicketWorkload>, upTo commit: UInt64, final machine: TicketShardMachine) {
        var model: [String: Ticket] = [:]
        var holders: [String: String] = [:]
        guard commit >= 1 else { return }
        for logIndex in 1...commit {
            guard Int(logIndex) < world.appliedLog.count, let record = world.appliedLog[Int(logIndex)] else {
                world.violation("claims_linearizable", "committed index \(logIndex) was never applied by anyone")
                return
            }
            guard let entry = record.command, let result = record.result else { continue }
            func fail(_ detail: String) { world.violation("claims_linearizable", "index \(logIndex): \(detail)") }
            switch (entry, result) {
            case (.create(let proposed), .created(let created)):
                guard model[created.id] == nil, created == proposed else { return fail("create of \(created.id) made something else") }
                model[created.id] = created
            case (.create, .duplicate(let first)):
                guard model[first.id] == first else { return fail("a duplicate create answered a ticket that is not the current one") }
            case let (.command(command), .applied(after, _)):
                guard let before = model[command.ticketID], after.id == command.ticketID else {
                    return fail("\(command.command.name) applied to unknown ticket \(command.ticketID)")
                }
                if let expected = command.expectedEpoch, expected != before.epoch {
                    return fail("\(command.command.name) fenced at epoch \(expected) applied at epoch \(before.epoch)")
                }
                guard after.epoch >= before.epoch, after.history.count >= before.history.count,
                      after.history.prefix(before.history.count) == before.history[...], after.updatedAt >= before.updatedAt else {
                    return fail("\(command.command.name) on \(after.id) went back in epoch, history or time")
                }
                if case .acceptOffer(let agent) = command.command {
                    guard before.status == .offered, before.offer?.agentID == agent else {
                        return fail("\(agent) accepted \(after.id), which was not offered to them (\(before.status.rawValue))")
                    }
                }
                if let holder = after.assignedAgentID {
                    let key = "\(after.id)@\(after.epoch)"
                    if let other = holders[key], other != holder {
                        return fail("ticket \(after.id) held by \(other) and \(holder) at epoch \(after.epoch)")
                    }
                    holders[key] = holder
                }
                model[after.id] = after
            case (.command, .rejected), (.setPolicy, .policySet), (.setPolicy, .rejected), (.create, .rejected):
                break
            default:
                return fail("\(entry) → \(result) is not a result that entry can have")
            }
        }
        for id in model.keys.sorted() where machine.tickets[id] != model[id] {
            world.violation("claims_linearizable", "ticket \(id) ends in another state than the last result its log recorded")
            return
        }
    }
}
