import HeapModule
import RingdeskMembership

/// Many `SWIMInstance`s in one process over virtual time: an event queue ordered by (time,
/// sequence), a seeded generator for every random choice, and a network with loss, a delay
/// distribution, partitions, crashes, restarts and CPU-starved nodes. The same options and seed
/// replay exactly. Node `i` has id `i + 1` and address `sim:i`.
///
/// Not thread-safe: one simulation belongs to one task.
public final class SWIMSimulation {
    /// The network and the nodes' starting conditions.
    public struct Options: Sendable {
        public var nodeCount: Int
        public var seed: UInt64
        public var configuration: SWIMConfiguration
        /// Probability that a message is lost.
        public var lossRate: Double
        /// One-way delay, uniform in `[minimumDelay, maximumDelay]`.
        public var minimumDelay: Duration
        public var maximumDelay: Duration
        /// The first `seedCount` nodes are the seeds every node joins through.
        public var seedCount: Int
        /// Nodes start at random times within this window.
        public var startWindow: Duration
        /// Encode every message, decode it again and deliver the decoded copy (slower; proves the
        /// codec on every message). Off: messages are only encoded, to count bytes.
        public var verifyCodec: Bool

        public init(nodeCount: Int, seed: UInt64, configuration: SWIMConfiguration = .defaults, lossRate: Double = 0,
                    minimumDelay: Duration = .milliseconds(1), maximumDelay: Duration = .milliseconds(10), seedCount: Int = 3,
                    startWindow: Duration = .seconds(1), verifyCodec: Bool = false) {
            self.nodeCount = nodeCount
            self.seed = seed
            self.configuration = configuration
            self.lossRate = lossRate
            self.minimumDelay = minimumDelay
            self.maximumDelay = maximumDelay
            self.seedCount = seedCount
            self.startWindow = startWindow
            self.verifyCodec = verifyCodec
        }
    }

    /// Called for every membership change any node reports: (observer, change, time).
    public var onChange: ((Int, SWIMMembershipChange, SWIMTime) -> Void)?

    /// Called for every message just before a node handles it: (from, to, message, time).
    public var onDeliver: ((Int, Int, SWIMMessage, SWIMTime) -> Void)?

    public let options: Options
    public private(set) var now = SWIMTime.zero
    /// Bytes every node has sent (encoded size, lost messages included).
    public private(set) var bytesSent: [Int]
    public private(set) var messagesSent = 0
    /// Bytes sent per message kind: ping, ping-req, ack, nack, gossip, push-pull.
    public private(set) var bytesByKind: [String: Int] = [:]
    public private(set) var messagesDropped = 0
    public private(set) var eventsProcessed = 0

    private var nodes: [Node]
    private var pendingBoots: Int
    private var queue = Heap<Event>()
    private var mailbox: [SWIMMessage?] = []
    private var freeSlots: [Int32] = []
    private var actions: [(SWIMSimulation) -> Void] = []
    private var nextSequence: UInt64 = 0
    private var random: SimRandom
    private var encodeBuffer: [UInt8] = []
    private let limits: SWIMCodec.Limits
    private var minimumDelay: Int64
    private var maximumDelay: Int64
    public private(set) var lossRate: Double

    struct Node {
        var instance: SWIMInstance?
        var epoch = 0
        /// The time of the valid pending wake-up, or `.max` when none is queued.
        var wakeAt = Int64.max
        /// Partition group: nodes in different groups cannot talk.
        var group = 0
        /// A CPU-starved node handles every event up to this much later, in order.
        var starvation: Int64 = 0
        var lastProcessed: Int64 = 0
        var deferredTickPending = false
        var restarts = 0
    }

    struct Event: Comparable {
        var time: Int64
        var sequence: UInt64
        var node: Int32
        var from: Int32
        /// Mailbox slot of a message, or one of the negative kinds.
        var slot: Int32
        var epoch: Int32
        var deferred: Bool

        static let wake: Int32 = -1
        static let action: Int32 = -2

        static func < (lhs: Event, rhs: Event) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
        }
    }

    public init(options: Options) {
        self.options = options
        self.random = SimRandom(seed: options.seed)
        self.nodes = Array(repeating: Node(), count: options.nodeCount)
        self.bytesSent = Array(repeating: 0, count: options.nodeCount)
        self.limits = SWIMCodec.Limits(options.configuration)
        self.minimumDelay = options.minimumDelay.nanosecondsClamped
        self.maximumDelay = options.maximumDelay.nanosecondsClamped
        self.lossRate = options.lossRate
        self.pendingBoots = options.nodeCount
        let window = options.startWindow.nanosecondsClamped
        for node in 0..<options.nodeCount {
            let start = window > 0 ? random.between(0, window) : 0
            schedule(at: SWIMTime(nanoseconds: start)) { simulation in
                simulation.pendingBoots -= 1
                simulation.boot(node)
            }
        }
    }

    // MARK: Addresses

    public static func nodeID(_ node: Int) -> SWIMNodeID { SWIMNodeID(UInt64(node) + 1) }
    public static func address(_ node: Int) -> String { "sim:\(node)" }
    public static func node(of id: SWIMNodeID) -> Int { Int(truncatingIfNeeded: id.rawValue) - 1 }

    public static func metadata(_ node: Int) -> SWIMNodeMetadata {
        SWIMNodeMetadata(name: "node-\(node)", region: node % 2 == 0 ? "eu-west" : "eu-central",
                         zone: "zone-\(node % 3)", addresses: [address(node)], load: 0, version: "0.5.0")
    }

    // MARK: Control

    public func isUp(_ node: Int) -> Bool { nodes[node].instance != nil }

    public func instance(_ node: Int) -> SWIMInstance? { nodes[node].instance }

    public var nodeCount: Int { nodes.count }

    /// Runs `action` at virtual time `time` (in event order with everything else).
    public func schedule(at time: SWIMTime, _ action: @escaping (SWIMSimulation) -> Void) {
        actions.append(action)
        push(Event(time: time.nanoseconds, sequence: 0, node: -1, from: -1, slot: Event.action - Int32(actions.count - 1), epoch: 0, deferred: false))
    }

    /// Processes events up to and including `time`; `now` is `time` afterwards.
    public func run(until time: SWIMTime) {
        while let next = queue.min, next.time <= time.nanoseconds {
            _ = queue.popMin()
            now = SWIMTime(nanoseconds: next.time)
            eventsProcessed += 1
            process(next)
        }
        now = max(now, time)
    }

    public func run(for duration: Duration) {
        run(until: now + duration)
    }

    /// Runs until `condition` holds (checked every `step`) or `limit` passes; returns whether it held.
    public func run(until condition: (SWIMSimulation) -> Bool, step: Duration = .milliseconds(100), limit: SWIMTime) -> Bool {
        while now < limit {
            if condition(self) { return true }
            run(until: min(limit, now + step))
        }
        return condition(self)
    }

    /// Stops a node: its state is lost and messages to it vanish.
    public func crash(_ node: Int) {
        nodes[node].instance = nil
        nodes[node].epoch += 1
        nodes[node].wakeAt = .max
        nodes[node].deferredTickPending = false
    }

    /// Starts a crashed node again with a fresh instance (incarnation 0); it joins through the seeds
    /// and must refute its own death with a higher incarnation.
    public func restart(_ node: Int) {
        crash(node)
        nodes[node].restarts += 1
        boot(node)
    }

    /// Splits the network: nodes in different groups cannot talk; nodes not listed form group 0.
    public func partition(_ groups: [[Int]]) {
        for index in nodes.indices { nodes[index].group = 0 }
        for (number, group) in groups.enumerated() {
            for node in group { nodes[node].group = number + 1 }
        }
    }

    public func heal() {
        for index in nodes.indices { nodes[index].group = 0 }
    }

    /// Starves a node of CPU: it handles each event up to `maximumDelay` late (nil: normal again).
    public func setStarved(_ node: Int, maximumDelay: Duration?) {
        nodes[node].starvation = maximumDelay?.nanosecondsClamped ?? 0
    }

    public func setLossRate(_ rate: Double) {
        lossRate = rate
    }

    /// Runs `body` on a node's instance (e.g. to change its metadata or leave) and performs the directives.
    public func withInstance(_ node: Int, _ body: (inout SWIMInstance, SWIMTime) -> [SWIMDirective]) {
        guard var instance = nodes[node].instance else { return }
        let directives = body(&instance, now)
        nodes[node].instance = instance
        perform(directives, from: node)
        reschedule(node)
    }

    // MARK: Views

    /// Whether `observer` sees exactly `expected` as alive (and no one else as alive or suspect).
    public func sees(_ observer: Int, alive expected: Set<Int>) -> Bool {
        guard let instance = nodes[observer].instance else { return false }
        let others = expected.count - (expected.contains(observer) ? 1 : 0)
        guard instance.liveMemberCount == others else { return false }
        for node in expected where node != observer {
            guard instance.status(of: Self.nodeID(node)) == .alive else { return false }
        }
        return true
    }

    /// Whether every node has started (nodes boot at random times within `startWindow`).
    public var allStarted: Bool { pendingBoots == 0 }

    /// Whether every node has started and every running node sees exactly the running nodes as alive.
    public var isConverged: Bool {
        guard allStarted else { return false }
        let up = Set(nodes.indices.filter { nodes[$0].instance != nil })
        return up.allSatisfy { sees($0, alive: up) }
    }

    // MARK: Engine

    private func push(_ event: Event) {
        var event = event
        nextSequence += 1
        event.sequence = nextSequence
        queue.insert(event)
    }

    private func boot(_ node: Int) {
        let seeds = (0..<min(options.seedCount, nodes.count)).map(Self.address)
        var configuration = options.configuration
        configuration.seeds = seeds
        let instanceSeed = options.seed ^ (UInt64(node) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(nodes[node].restarts) << 48)
        guard var instance = try? SWIMInstance(id: Self.nodeID(node), metadata: Self.metadata(node), configuration: configuration,
                                               seed: instanceSeed, now: now)
        else { preconditionFailure("simulation configuration is invalid") }
        nodes[node].lastProcessed = now.nanoseconds
        let directives = instance.join(now: now)
        nodes[node].instance = instance
        perform(directives, from: node)
        reschedule(node)
    }

    private func process(_ event: Event) {
        if event.slot <= Event.action {
            let action = actions[Int(Event.action - event.slot)]
            action(self)
            return
        }
        let node = Int(event.node)
        if event.slot == Event.wake {
            guard nodes[node].instance != nil, Int(event.epoch) == nodes[node].epoch else { return }
            if event.deferred {
                nodes[node].deferredTickPending = false
            } else {
                guard event.time == nodes[node].wakeAt else { return }  // superseded
                nodes[node].wakeAt = .max
                if nodes[node].starvation > 0 {
                    var later = event
                    later.time = starvedTime(node, arrival: event.time)
                    later.deferred = true
                    nodes[node].deferredTickPending = true
                    push(later)
                    return
                }
            }
            let directives = nodes[node].instance!.tick(now: now)
            perform(directives, from: node)
            reschedule(node)
            return
        }
        // A message delivery.
        guard let message = mailbox[Int(event.slot)] else { return }
        let from = Int(event.from)
        if nodes[node].instance == nil || nodes[from].group != nodes[node].group {
            release(event.slot)
            messagesDropped += 1
            return
        }
        if nodes[node].starvation > 0, !event.deferred {
            var later = event
            later.time = starvedTime(node, arrival: event.time)
            later.deferred = true
            push(later)
            return
        }
        release(event.slot)
        onDeliver?(from, node, message, now)
        let directives = nodes[node].instance!.receive(message, now: now)
        perform(directives, from: node)
        reschedule(node)
    }

    private func starvedTime(_ node: Int, arrival: Int64) -> Int64 {
        let time = max(nodes[node].lastProcessed, arrival + random.between(0, nodes[node].starvation))
        nodes[node].lastProcessed = time
        return time
    }

    private func reschedule(_ node: Int) {
        guard let deadline = nodes[node].instance?.nextDeadline, !nodes[node].deferredTickPending else { return }
        let time = max(deadline.nanoseconds, now.nanoseconds)
        guard time < nodes[node].wakeAt else { return }
        nodes[node].wakeAt = time
        push(Event(time: time, sequence: 0, node: Int32(node), from: -1, slot: Event.wake, epoch: Int32(nodes[node].epoch), deferred: false))
    }

    private func release(_ slot: Int32) {
        mailbox[Int(slot)] = nil
        freeSlots.append(slot)
    }

    private func perform(_ directives: [SWIMDirective], from node: Int) {
        for directive in directives {
            switch directive {
            case .membershipChanged(let change):
                onChange?(node, change, now)
            case .send(let message, let target, _):
                let destination: Int
                switch target {
                case .member(let id): destination = Self.node(of: id)
                case .seed(let address): destination = Int(address.dropFirst(4)) ?? -1
                }
                send(message, from: node, to: destination)
            }
        }
    }

    private func send(_ message: SWIMMessage, from node: Int, to destination: Int) {
        encodeBuffer.removeAll(keepingCapacity: true)
        SWIMCodec.encode(message, into: &encodeBuffer)
        bytesSent[node] += encodeBuffer.count
        let kind: String
        switch message.kind {
        case .ping: kind = "ping"
        case .pingRequest: kind = "ping-req"
        case .ack: kind = "ack"
        case .nack: kind = "nack"
        case .gossip: kind = "gossip"
        case .pushPull: kind = "push-pull"
        }
        bytesByKind[kind, default: 0] += encodeBuffer.count
        messagesSent += 1
        guard destination >= 0, destination < nodes.count else { return }
        if lossRate > 0, random.unit() < lossRate {
            messagesDropped += 1
            return
        }
        var delivered = message
        if options.verifyCodec {
            do {
                delivered = try SWIMCodec.decode(encodeBuffer, limits: limits)
            } catch {
                preconditionFailure("codec round trip failed: \(error)")
            }
            precondition(delivered == message, "codec round trip changed the message")
        }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            mailbox[Int(slot)] = delivered
        } else {
            slot = Int32(mailbox.count)
            mailbox.append(delivered)
        }
        let delay = random.between(minimumDelay, maximumDelay)
        push(Event(time: now.nanoseconds + delay, sequence: 0, node: Int32(destination), from: Int32(node), slot: slot, epoch: 0, deferred: false))
    }
}
