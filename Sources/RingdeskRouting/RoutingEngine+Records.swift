import Foundation
import HeapModule
import RingdeskDomain

extension Channel {
    /// Dense index for per-channel arrays.
    var index: Int {
        switch self {
        case .phone: 0
        case .chat: 1
        case .email: 2
        case .social: 3
        case .sms: 4
        case .app: 5
        }
    }
}

/// The routing-relevant shape of a ticket: tickets with the same signature are served by the
/// same agents at the same levels, so they share one queue.
struct Signature: Hashable, Sendable {
    /// (skill id, minimum level), sorted by skill id.
    var requirements: [Requirement]
    /// Primary language subtag, lowercased.
    var language: String
    var region: Int32
    var channel: Channel
    var tier: SupportTier

    struct Requirement: Hashable, Sendable {
        var skill: Int32
        var minLevel: Int8
    }
}

/// A ticket's slot. `generation` changes on every state change, which makes queue and timer
/// entries pushed earlier stale.
struct TicketRecord: Sendable {
    enum State: Sendable {
        case free
        case queued
        case offered(agent: Int32, expiresAt: Double)
        case leased(agent: Int32, expiresAt: Double)
        case review
    }

    var id: String = ""
    var signature: Int32 = 0
    var channelIndex: Int = 0
    var urgency: Urgency = .green
    var waitingSince: Double = 0
    var dueAt: Double = 0
    /// Queue order: lower first. `dueAt - urgencyLead·rank + waitWeight·waitingSince`, so that
    /// comparing keys compares the ticket's score terms (slack + urgency + waited) at any instant.
    var key: Double = 0
    /// Seconds added to `key` when the first-response deadline passed in the queue (0: not demoted).
    var demotion: Double = 0
    var preferred: Int32 = -1
    /// Agents who declined or let an offer lapse, each until its exclusion ages out.
    var excluded: [Exclusion] = []
    var attempts: Int32 = 0
    var epoch: UInt64 = 0
    var generation: UInt32 = 0
    var state: State = .free

    init() {}

    /// Whether `agent` may not be offered this ticket at `now`.
    func excludes(_ agent: Int32, at now: Double) -> Bool {
        excluded.contains { $0.agent == agent && $0.until > now }
    }

    init(ticket: RoutingTicket, signature: Int32, configuration: RoutingConfiguration) {
        id = ticket.id
        self.signature = signature
        channelIndex = ticket.channel.index
        urgency = ticket.urgency
        waitingSince = ticket.waitingSince.timeIntervalSince1970
        dueAt = ticket.dueAt.timeIntervalSince1970
        key = dueAt - configuration.urgencyLead * Double(ticket.urgency.rank) + configuration.waitWeight * waitingSince
        attempts = Int32(clamping: ticket.deliveryAttempts)
        epoch = ticket.epoch
    }

    /// The routing input this record came from (for re-interning after a transfer/escalation).
    func ticket(engine: RoutingEngine) -> RoutingTicket {
        let signature = engine.signatures[Int(self.signature)]
        let regionName = engine.regionName(signature.region)
        return RoutingTicket(
            id: id,
            requirements: signature.requirements.map { SkillRequirement(skill: engine.skillName($0.skill), minLevel: Int($0.minLevel)) },
            language: signature.language, region: regionName, channel: signature.channel, urgency: urgency,
            supportTier: signature.tier, waitingSince: Date(timeIntervalSince1970: waitingSince),
            dueAt: Date(timeIntervalSince1970: dueAt), epoch: epoch)
    }
}

/// An agent kept from re-offers of one ticket until `until` (`infinity`: for good).
struct Exclusion: Sendable, Hashable {
    var agent: Int32
    var until: Double
}

/// An agent as the engine keeps it: profile, presence, idle clock and per-channel load.
struct AgentRecord: Sendable {
    var id: String
    var profile: RoutingAgent
    var presence: Presence
    var idleSince: Double
    var capacity: [Int32]
    var load: [Int32]

    init(_ agent: RoutingAgent) {
        id = agent.id
        profile = agent
        presence = agent.presence
        idleSince = agent.idleSince.timeIntervalSince1970
        capacity = Channel.allCases.sorted { $0.index < $1.index }.map { Int32(clamping: max(0, agent.capacity[$0] ?? 0)) }
        load = Array(repeating: 0, count: capacity.count)
    }

    mutating func update(_ agent: RoutingAgent) {
        let keptLoad = load
        let keptIdle = idleSince
        self = AgentRecord(agent)
        load = keptLoad
        idleSince = max(keptIdle, idleSince)
    }

    func hasRoom(channel: Int) -> Bool { load[channel] < capacity[channel] }

    /// Tickets held on every channel together, and room for them (utilisation's units).
    var totalLoad: Int32 { load.reduce(0, +) }
    var totalCapacity: Int32 { capacity.reduce(0, +) }

    var hasAnyRoom: Bool {
        for index in capacity.indices where load[index] < capacity[index] { return true }
        return false
    }
}

/// A queue entry: `key` already includes the head-of-queue lift.
struct QueueEntry: Sendable, Comparable {
    var key: Double
    var seq: UInt64
    var slot: Int32
    var generation: UInt32

    static func < (a: QueueEntry, b: QueueEntry) -> Bool { a.key != b.key ? a.key < b.key : a.seq < b.seq }
    static func == (a: QueueEntry, b: QueueEntry) -> Bool { a.key == b.key && a.seq == b.seq }
}

/// One signature's waiting tickets: a min-heap by (key, seq) with lazy deletion (entries whose
/// ticket moved on are dropped when they reach the top) for tickets nobody is excluded from, and
/// a short sorted list for tickets some agent declined or let lapse. Keeping those apart is what
/// lets an agent excluded from the queue's head find the best ticket behind it without scanning
/// the heap: every ticket in the heap may go to any eligible agent, so its top is the best one.
struct SignatureQueue: Sendable {
    var heap = Heap<QueueEntry>()
    /// Tickets with exclusions, sorted by (key, seq); stale entries are pruned by `cleanTop`.
    var excluding: [QueueEntry] = []
    /// `seq` of the heap's top whose relaxation timer is armed while a head with exclusions is
    /// in front of it (it is then the ticket agents the head excludes are offered).
    var timedOpenSeq: UInt64 = 0

    mutating func push(_ entry: QueueEntry, hasExclusions: Bool) {
        guard hasExclusions else { return heap.insert(entry) }
        var low = 0, high = excluding.count
        while low < high {
            let mid = (low + high) / 2
            if excluding[mid] < entry { low = mid + 1 } else { high = mid }
        }
        excluding.insert(entry, at: low)
    }

    /// Drops stale entries and returns the live head.
    mutating func cleanTop(in slots: [TicketRecord]) -> QueueEntry? {
        while let top = heap.min, !Self.isLive(top, slots) { heap.removeMin() }
        if !excluding.isEmpty { excluding.removeAll { !Self.isLive($0, slots) } }
        return Self.earlier(heap.min, excluding.first)
    }

    func peekLive(in slots: [TicketRecord]) -> QueueEntry? {
        guard let top = Self.earlier(heap.min, excluding.first), Self.isLive(top, slots) else { return nil }
        return top
    }

    /// The first live ticket in queue order that `agent` is not excluded from at `now`.
    func first(notExcluding agent: Int32, at now: Double, in slots: [TicketRecord]) -> QueueEntry? {
        let open = heap.min.flatMap { Self.isLive($0, slots) ? $0 : nil }
        for entry in excluding {
            if let open, open < entry { return open }
            if Self.isLive(entry, slots), !slots[Int(entry.slot)].excludes(agent, at: now) { return entry }
        }
        return open
    }

    /// Live tickets in queue order from the head, as far as the excluded ones go and one more
    /// (the heap's top): the candidates when the head cannot be placed because of exclusions.
    func headCandidates(in slots: [TicketRecord]) -> [QueueEntry] {
        var result = excluding.filter { Self.isLive($0, slots) }
        if let open = heap.min, Self.isLive(open, slots) {
            let index = result.firstIndex { open < $0 } ?? result.count
            result.insert(open, at: index)
            result.removeSubrange((index + 1)...)
        }
        return result
    }

    private static func earlier(_ a: QueueEntry?, _ b: QueueEntry?) -> QueueEntry? {
        guard let a else { return b }
        guard let b else { return a }
        return b < a ? b : a
    }

    private static func isLive(_ entry: QueueEntry, _ slots: [TicketRecord]) -> Bool {
        let record = slots[Int(entry.slot)]
        guard record.generation == entry.generation, case .queued = record.state else { return false }
        return true
    }
}

/// The heads of non-empty signature queues, sorted by (key, seq): the candidates of every decision.
struct HeadIndex: Sendable {
    struct Entry: Sendable {
        var key: Double
        var seq: UInt64
        var signature: Int32

        func precedes(_ other: Entry) -> Bool { key != other.key ? key < other.key : seq < other.seq }
    }

    private(set) var entries: [Entry] = []
    private var current: [Int32: Entry] = [:]

    var count: Int { entries.count }

    /// Returns whether the head changed.
    @discardableResult
    mutating func set(signature: Int32, head: QueueEntry?) -> Bool {
        let new = head.map { Entry(key: $0.key, seq: $0.seq, signature: signature) }
        let old = current[signature]
        if old?.seq == new?.seq && old?.key == new?.key { return false }
        if let old {
            let index = position(of: old)
            entries.remove(at: index)
        }
        current[signature] = new
        if let new { entries.insert(new, at: position(of: new)) }
        return true
    }

    /// First index whose entry does not precede `entry`.
    private func position(of entry: Entry) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].precedes(entry) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// Offer expiries, lease lapses or relaxation steps: a min-heap by time with lazy deletion by
/// generation.
struct TimerHeap: Sendable {
    struct Entry: Sendable, Comparable {
        var at: Double
        var slot: Int32
        var generation: UInt32

        static func < (a: Entry, b: Entry) -> Bool { (a.at, a.slot, a.generation) < (b.at, b.slot, b.generation) }
    }

    private var heap = Heap<Entry>()

    mutating func push(at: Double, slot: Int32, generation: UInt32) {
        heap.insert(Entry(at: at, slot: slot, generation: generation))
    }

    /// The top entry, possibly stale (a spurious early deadline is harmless).
    func peekLive(in slots: [TicketRecord]) -> Entry? { heap.min }

    /// Drops stale entries from the top.
    mutating func cleanTop(in slots: [TicketRecord]) {
        while let top = heap.min, slots[Int(top.slot)].generation != top.generation { heap.removeMin() }
    }

    /// Pops the next live entry due at or before `now`.
    mutating func popDue(at now: Double, in slots: [TicketRecord]) -> Entry? {
        cleanTop(in: slots)
        guard let top = heap.min, top.at <= now else { return nil }
        return heap.removeMin()
    }
}
