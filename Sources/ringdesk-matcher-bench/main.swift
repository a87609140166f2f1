// Matcher throughput and memory per queued ticket (scripts/bench/matcher).
//
// Fills a RoutingEngine with `--agents` agents and `--tickets` queued tickets of a realistic
// after-sales mix, lets the first pass hand every agent its capacity, then measures the steady
// state: an agent completes a ticket, a new ticket arrives, `advance` decides the next offer for the freed slot, the
// agent accepts. One decision per iteration; the figure includes complete + enqueue + advance + accept.
// Memory per queued ticket is the growth of the resident set (/proc/self/statm) from enqueuing the tickets.
import Foundation
import Glibc
import RingdeskDomain
import RingdeskRouting

struct Options {
    var agents = 1000
    var tickets = 100_000
    var decisions = 200_000
    var seed: UInt64 = 42
}

func parse() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        guard let value = arguments.popFirst(), let number = Int(value), number > 0 else {
            FileHandle.standardError.write(Data("usage: ringdesk-matcher-bench [--agents N] [--tickets N] [--decisions N] [--seed N]\n".utf8))
            exit(2)
        }
        switch flag {
        case "--agents": options.agents = number
        case "--tickets": options.tickets = number
        case "--decisions": options.decisions = number
        case "--seed": options.seed = UInt64(number)
        default:
            FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8))
            exit(2)
        }
    }
    return options
}

extension SeededGenerator {
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Resident set size from /proc/self/statm (pages × page size).
func heapBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

let options = parse()
var rng = SeededGenerator(seed: options.seed)
let skills = ["returns", "refunds", "logistics", "general", "repairs", "complaints", "billing"]
let regions = [("eu-west", "en"), ("eu-central", "de"), ("eu-south", "fr"), ("us-east", "en")]
let channels: [Channel] = [.email, .chat, .app, .phone, .social, .sms]
let t0 = Date(timeIntervalSince1970: 1_800_000_000)
// Offers and leases never lapse here: the bench accepts at once and completes by itself.
var engine = try RoutingEngine(configuration: RoutingConfiguration(
    neighbourRegions: ["eu-west": ["eu-central", "eu-south"], "eu-central": ["eu-west", "eu-south"], "eu-south": ["eu-west", "eu-central"]],
    offerTimeout: 1e9, leaseDuration: 1e9))

for index in 0..<options.agents {
    let (region, language) = regions[index % regions.count]
    var agentSkills: [String: Int] = [:]
    for _ in 0..<(2 + rng.next(3)) { agentSkills[skills[rng.next(skills.count)]] = 1 + rng.next(5) }
    try engine.upsertAgent(RoutingAgent(
        id: "agent-\(index)", skills: agentSkills, languages: rng.next(4) == 0 ? [language, "en"] : [language],
        regions: [region], supportTier: [.l1, .l1, .l2, .expert][rng.next(4)],
        capacity: [.phone: 1, .chat: 3, .email: 5, .social: 3, .sms: 3, .app: 3], presence: .available,
        idleSince: t0.addingTimeInterval(-Double(rng.next(3600)))))
}

@MainActor func makeTicket(_ index: Int, arrival: Date) -> RoutingTicket {
    let (region, language) = regions[rng.next(regions.count)]
    let urgency = [Urgency.green, .green, .green, .yellow, .yellow, .red][rng.next(6)]
    let target: Double = urgency == .red ? 300 : urgency == .yellow ? 1800 : 14_400
    return RoutingTicket(
        id: "T-\(index)", requirements: [SkillRequirement(skill: skills[rng.next(skills.count)], minLevel: 1 + rng.next(3))],
        language: language, region: region, channel: channels[rng.next(channels.count)], urgency: urgency,
        supportTier: rng.next(10) == 0 ? .l2 : .l1, waitingSince: arrival, dueAt: arrival.addingTimeInterval(target))
}

let before = heapBytes()
for index in 0..<options.tickets {
    try engine.enqueue(makeTicket(index, arrival: t0.addingTimeInterval(-Double(rng.next(7200)))))
}
let perTicket = Double(heapBytes() - before) / Double(options.tickets)

// First pass: every agent gets its capacity (agent-first over all free agents).
var now = t0
var held: [(ticket: String, agent: String)] = []
let firstStart = ContinuousClock.now
var firstDecisions = 0
for case .decide(let decision) in engine.advance(to: now) {
    try engine.accept(ticketID: decision.ticketID, agentID: decision.agentID, at: now)
    held.append((decision.ticketID, decision.agentID))
    firstDecisions += 1
}
let firstElapsed = ContinuousClock.now - firstStart
// Top the queue back up, so the steady state runs with `tickets` waiting.
var nextTicket = options.tickets
while engine.queuedCount < options.tickets {
    try engine.enqueue(makeTicket(nextTicket, arrival: t0.addingTimeInterval(-Double(rng.next(7200)))))
    nextTicket += 1
}

// Steady state: one completion, one new ticket (the queue stays at its size), one decision.
var decisions = 0
var idle = 0
let start = ContinuousClock.now
for _ in 0..<options.decisions {
    now = now.addingTimeInterval(0.01)
    guard !held.isEmpty else { break }
    let pick = rng.next(held.count)
    let (ticket, agent) = held[pick]
    held.swapAt(pick, held.count - 1)
    held.removeLast()
    try engine.complete(ticketID: ticket, agentID: agent, at: now)
    try engine.enqueue(makeTicket(nextTicket, arrival: now))
    nextTicket += 1
    var decided = false
    for case .decide(let decision) in engine.advance(to: now) {
        try engine.accept(ticketID: decision.ticketID, agentID: decision.agentID, at: now)
        held.append((decision.ticketID, decision.agentID))
        decisions += 1
        decided = true
    }
    if !decided { idle += 1 }
}
let elapsed = ContinuousClock.now - start
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
let rate = Double(decisions) / seconds(elapsed)
let firstRate = Double(firstDecisions) / seconds(firstElapsed)
print(String(format: "agents %d, queued %d (%d at the end), first pass %d decisions at %.0f/s; steady %d decisions in %.2f s: %.0f decisions/s (%d completions found nothing eligible); resident %.0f bytes per queued ticket",
             options.agents, options.tickets, engine.queuedCount, firstDecisions, firstRate, decisions, seconds(elapsed), rate, idle, perTicket))
print(#"{"agents":\#(options.agents),"queued":\#(options.tickets),"decisions":\#(decisions),"decisions_per_second":\#(Int(rate)),"first_pass_decisions_per_second":\#(Int(firstRate)),"bytes_per_queued_ticket":\#(Int(perTicket))}"#)
