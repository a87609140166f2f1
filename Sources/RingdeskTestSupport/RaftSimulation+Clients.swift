import RingdeskRaft

/// The clients of a simulation: intake creating tickets (with idempotency keys, retried through
/// another replica after a timeout) and the workload's own actors (agents racing to claim, the
/// router's fenced offers, supervisors) acting on the tickets they know of.
struct RaftSimClients<Command, Result> {
    struct Op {
        var command: Command
        /// Index into `creates` for a create.
        var create: Int?
        var issuedAt: Int64
    }

    /// One logical create: every attempt carries the same key and a fresh ticket id.
    struct Create {
        var number: Int
        var key: String?
        var attempts = 0
        var ackedTicket: String?
        var inFlight = false
    }

    struct Ack {
        var op: Int
        var index: UInt64
        var term: UInt64
        var command: Command
        var result: Result
    }

    var ops: [Int: Op] = [:]
    var nextOp = 0
    var creates: [Create] = []
    /// Creates waiting for another attempt: (create, not before).
    var retries: [(create: Int, at: Int64)] = []
    var acknowledged: [Ack] = []
    var knownTickets: [String] = []
    var known: Set<String> = []
    var proposed = 0
    /// Read-index requests waiting for their answer: the highest index known committed when asked.
    var reads: [UInt64: UInt64] = [:]
    var nextRead: UInt64 = 1
    /// Per agent connection ("agent@node"): the session epoch its last acknowledged open gave it.
    var sessionEpochs: [String: UInt64] = [:]
}

/// Constants every workload's clients share.
enum RaftSimClientRules {
    static let agents = ["ana", "bo", "chen", "dara", "eli"]
    static let timeoutMicros: Int64 = 300_000
    static let maxAttempts = 5
    static let maxInFlight = 48
    /// Wall-clock base of the proposers' clocks (ms), so times look real.
    static let clockBase: Int64 = 1_750_000_000_000

    static func ticketID(_ number: Int, attempt: Int) -> String { "t\(number).\(attempt)" }
}

extension RaftSimulationWorld {
    var clockMilliseconds: Int64 { RaftSimClientRules.clockBase + now / 1000 }

    /// One step of client activity.
    func clientStep() {
        expireClientOps()
        var due: [Int] = []
        clients.retries.removeAll { entry in
            if entry.at <= now {
                due.append(entry.create)
                return true
            }
            return false
        }
        for create in due { attemptCreate(create) }
        var count = Int(profile.clientRate)
        if random.unit() < profile.clientRate - Double(count) { count += 1 }
        for _ in 0..<count where clients.ops.count < RaftSimClientRules.maxInFlight {
            clientAction()
            if stopped { return }
        }
    }

    private func clientAction() {
        if random.below(8) == 0 {
            requestRead()
            return
        }
        let roll = random.below(100)
        if roll < 30 || clients.knownTickets.isEmpty {
            let number = clients.creates.count
            // Most intakes send an idempotency key; a few do not (and then never retry).
            let key: String? = random.below(10) == 0 ? nil : "k\(number)"
            clients.creates.append(Clients.Create(number: number, key: key))
            attemptCreate(number)
            return
        }
        let ticketID = clients.knownTickets[random.below(clients.knownTickets.count)]
        Workload.act(on: ticketID, roll: roll, world: self)
    }

    func attemptCreate(_ number: Int) {
        var create = clients.creates[number]
        guard create.ackedTicket == nil, !create.inFlight, create.attempts < RaftSimClientRules.maxAttempts else { return }
        let ticketID = create.key == nil ? "u\(number)" : RaftSimClientRules.ticketID(number, attempt: create.attempts)
        create.attempts += 1
        clients.creates[number] = create
        let command = Workload.createCommand(ticketID: ticketID, key: create.key, world: self)
        if propose(command, create: number) {
            clients.creates[number].inFlight = true
        } else if create.key != nil {
            clients.retries.append((number, now + random.between(10_000, 60_000)))
        }
    }

    func randomLiveReplica() -> Int? {
        var live: [Int] = []
        for index in replicas.indices where replicas[index].isUp && !replicas[index].decommissioned { live.append(index) }
        return live.isEmpty ? nil : live[random.below(live.count)]
    }

    /// Sends a command to a random replica, which forwards it to the leader it knows of.
    @discardableResult
    func propose(_ command: Machine.Command, create: Int? = nil) -> Bool {
        guard var target = randomLiveReplica() else { return false }
        if let node = replicas[target].node, node.role != .leader {
            let hint = Int(node.leader) - 1
            if hint >= 0, hint < replicas.count, replicas[hint].isUp { target = hint }
        }
        let data = Machine.encode(command)
        let index: UInt64
        do {
            index = try replicas[target].node!.propose(data)
        } catch {
            return false
        }
        let term = replicas[target].node!.term
        let op = clients.nextOp
        clients.nextOp += 1
        clients.proposed += 1
        clients.ops[op] = Clients.Op(command: command, create: create, issuedAt: now)
        if let previous = replicas[target].proposals[index] { forgetOp(previous.op) }
        replicas[target].proposals[index] = RaftSimPending(op: op, term: term, dataHash: Self.hash(data))
        trace(.propose, node: replicas[target].id, index, term, UInt64(op), 0)
        afterEvent(target)
        return true
    }

    /// A linearizable read through read-index, at the leader the chosen replica knows of.
    private func requestRead() {
        guard var target = randomLiveReplica() else { return }
        if let node = replicas[target].node, node.role != .leader {
            let hint = Int(node.leader) - 1
            if hint >= 0, hint < replicas.count, replicas[hint].isUp { target = hint }
        }
        let requestID = clients.nextRead
        clients.nextRead += 1
        do {
            try replicas[target].node!.readIndex(requestID: requestID)
        } catch {
            return
        }
        let committed = UInt64(commitTerms.count - 1)
        clients.reads[requestID] = committed
        trace(.read, node: replicas[target].id, requestID, committed, 0, 0)
        afterEvent(target)
    }

    /// A read point must not be older than anything committed before the read was asked for
    /// (a deposed leader that still believes it leads must not answer).
    func checkReads(_ index: Int, _ states: [RaftReadState]) {
        for state in states {
            guard let committedWhenAsked = clients.reads.removeValue(forKey: state.requestID) else {
                violation("linearizable_read", "replica \(replicas[index].id) answered read \(state.requestID), which nobody asked it")
                return
            }
            report.readsServed += 1
            trace(.readServed, node: replicas[index].id, state.requestID, state.index, 0, 0)
            if state.index < committedWhenAsked {
                violation("linearizable_read", "replica \(replicas[index].id) answered read \(state.requestID) at index \(state.index), "
                              + "but \(committedWhenAsked) was already committed when it was asked")
                return
            }
            let known = UInt64(commitTerms.count - 1)
            if state.index > max(known, replicas[index].node?.commitIndex ?? 0) {
                violation("linearizable_read", "replica \(replicas[index].id) answered read \(state.requestID) at index \(state.index), "
                              + "beyond anything committed")
                return
            }
        }
    }

    /// The proposer applied its entry: the client gets `result`.
    func acknowledgeOp(_ op: Int, index: UInt64, term: UInt64, command: Machine.Command, result: Machine.Result) {
        guard let pending = clients.ops.removeValue(forKey: op) else { return }
        clients.acknowledged.append(Clients.Ack(op: op, index: index, term: term, command: command,
                                                                                       result: result))
        trace(.ack, node: 0, index, term, UInt64(op), 0)
        Workload.acknowledged(command, result: result, world: self)
        guard let create = pending.create else { return }
        clients.creates[create].inFlight = false
        guard let ticketID = Workload.createdTicketID(result) else {
            violation("exactly_once", "create \(command) answered \(result)")
            return
        }
        if let earlier = clients.creates[create].ackedTicket, earlier != ticketID {
            violation("exactly_once", "create with key \(clients.creates[create].key ?? "-") was acknowledged as \(earlier) and as \(ticketID)")
            return
        }
        clients.creates[create].ackedTicket = ticketID
        if clients.known.insert(ticketID).inserted { clients.knownTickets.append(ticketID) }
    }

    /// The proposal's fate is unknown to its client (its replica crashed, or its entry was replaced).
    func forgetOp(_ op: Int) {
        guard let pending = clients.ops.removeValue(forKey: op) else { return }
        retry(pending)
    }

    private func retry(_ pending: Clients.Op) {
        guard let create = pending.create else { return }
        clients.creates[create].inFlight = false
        if clients.creates[create].key != nil, faultsEnabled {
            clients.retries.append((create, now + random.between(10_000, 60_000)))
        }
    }

    private func expireClientOps() {
        var expired: [Int] = []
        for (op, pending) in clients.ops where now - pending.issuedAt > RaftSimClientRules.timeoutMicros { expired.append(op) }
        for op in expired.sorted() {
            if let pending = clients.ops.removeValue(forKey: op) { retry(pending) }
        }
    }
}
