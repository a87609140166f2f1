import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import RingdeskDomain
import RingdeskReplication
import RingdeskRouting
import RingdeskStorage

/// What the ticket service needs besides its storage and clock.
public struct TicketServiceConfiguration: Sendable {
    /// Triage, SLA, escalation, offer timeout and delivery limits.
    public var policy: DomainPolicy = .defaults
    /// Resolved, closed and cancelled tickets stay in memory this long for live KPIs; older ones
    /// are read from SQLite on demand.
    public var terminalRetention: TimeInterval = 7 * 86_400
    /// How often `tick` re-checks SLA clocks of open tickets (offers expire on every tick).
    public var slaCheckInterval: TimeInterval = 5
    /// Routing engine weights, relaxation timers and lease duration. Offer timeout, delivery
    /// limit and excluded agents come from `policy` (one source of truth).
    public var routing: RoutingConfiguration = .defaults

    public init() {}

    public static var defaults: TicketServiceConfiguration { TicketServiceConfiguration() }

    /// `routing` with the policy's offer timeout, delivery limit, exclusion memory and expiry.
    public var effectiveRouting: RoutingConfiguration {
        var routing = routing
        routing.offerTimeout = policy.offerTimeout
        routing.maxDeliveryAttempts = policy.maxDeliveryAttempts
        routing.maxExcludedAgents = policy.maxExcludedAgents
        routing.exclusionExpiry = policy.exclusionExpiry
        return routing
    }
}

/// The single-node ticket service: authoritative in-memory state rebuilt from SQLite at start.
///
/// Every change is computed by the pure domain core, written durably (group commit) and only then
/// installed in memory and answered. Commands on one ticket are serialised; commands on different
/// tickets overlap while their writes share transactions.
public actor TicketService {
    /// Agents' profiles and presence (tickets too, with the single-node journal).
    public nonisolated let storage: SQLiteStorage
    /// Where ticket changes become durable: the Raft shards (the one path) or the single-node store.
    public nonisolated let journal: any TicketJournal
    /// Where agents live and which node routes, in a cluster (the routing domain); nil keeps
    /// agents in `storage` and routes here.
    public nonisolated let directory: (any AgentDirectory)?
    /// Whether this node runs the routing engine: always alone; in a cluster, while it leads the
    /// routing domain (checked every tick). The engine follows every ticket and agent on every
    /// node either way, so a node that takes over routes at once.
    private var routesHere: Bool
    public nonisolated let clock: any NodeClock
    private var configuration: TicketServiceConfiguration
    /// The policy, readable without entering the actor (creates triage off the actor).
    private nonisolated let currentPolicy: NIOLockedValueBox<DomainPolicy>
    private let logger: Logger

    private var tickets: [String: Ticket] = [:]
    private var idempotency: [String: String] = [:]
    private var agents: [String: Agent] = [:]
    /// Creates whose idempotency key is being written: later requests with the key wait for it.
    private var pendingKeys: [String: [CheckedContinuation<Ticket, any Error>]] = [:]
    /// Per-entity serialisation ("t:<id>" for tickets, "a:<id>" for agents).
    private var locks: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var subscribers: [String: [UUID: AsyncStream<Ticket>.Continuation]] = [:]
    private var assignmentRunning = false
    private var assignmentRequested = false
    private var lastSLACheck: Date = .distantPast
    /// Open tickets still to SLA-check in the current sweep.
    private var slaSweep: [String] = []
    /// The routing engine: decides offers, expires them, lapses leases. It follows the tickets'
    /// durable state (`syncRouting`); its actions become lifecycle commands.
    private var routing: RoutingEngine
    /// The ticket epoch the engine last saw for each routed ticket.
    private var routedEpochs: [String: UInt64] = [:]
    /// Actions the engine returned outside an assignment pass (a re-queued ticket nobody is
    /// left to offer to), performed by the next pass.
    private var pendingRoutingActions: [RoutingAction] = []

    private let metrics: ServiceMetrics?
    /// Consumes the journal's change feed (started by `load`).
    private var followTask: Task<Void, Never>?
    /// Set by `stop()`: no more assignment passes or feed.
    private var stopped = false

    /// Stops routing and following the journal (before the journal's store shuts down).
    public func stop() {
        stopped = true
        assignmentRequested = false
        pendingRoutingActions = []
        followTask?.cancel()
        followTask = nil
    }

    /// `journal` defaults to the single-node store in `storage`.
    public init(storage: SQLiteStorage, journal: (any TicketJournal)? = nil, directory: (any AgentDirectory)? = nil,
                configuration: TicketServiceConfiguration = .defaults,
                clock: any NodeClock, logger: Logger, metrics: (any MetricsFactory)? = nil) throws {
        self.directory = directory
        self.routesHere = directory == nil
        self.routing = try RoutingEngine(configuration: configuration.effectiveRouting)
        self.metrics = metrics.map(ServiceMetrics.init(factory:))
        self.storage = storage
        self.journal = journal ?? SQLiteTicketJournal(storage: storage)
        self.configuration = configuration
        self.currentPolicy = NIOLockedValueBox(configuration.policy)
        self.clock = clock
        self.logger = logger
    }

    /// Loads every stored agent and the tickets worth keeping in memory. Call once before serving.
    public func load() async throws {
        let now = clock.now()
        if let directory {
            directory.follow { [weak self] changes in Task { await self?.adopt(changes) } }
            for agent in try await directory.loadAgents() { try install(agent) }
            routesHere = directory.routesHere
        } else {
            for row in try await storage.allAgents() { try install(try Self.decode(Agent.self, row.doc)) }
        }
        // Follow first: what the journal applies while the tickets load is adopted after them
        // (`adopt` keeps whichever state is newer), so no change falls between the two.
        followJournal()
        for ticket in try await journal.loadTickets(terminalSince: now.addingTimeInterval(-configuration.terminalRetention)) {
            if let key = ticket.idempotencyKey { idempotency[key] = ticket.id }
            keep(ticket)
        }
        logger.info("ticket service loaded", metadata: ["tickets": "\(tickets.count)", "agents": "\(agents.count)"])
        requestAssignment()
    }

    /// Follows the journal's change feed: tickets changed by another proposer (another node's
    /// service, a replica catching up) reach memory and routing here too, in the journal's order.
    private func followJournal() {
        guard followTask == nil else { return }
        let (stream, continuation) = AsyncStream<[Ticket]>.makeStream()
        journal.follow { continuation.yield($0) }
        followTask = Task { [weak self] in
            for await batch in stream { await self?.adopt(batch) }
        }
    }

    /// Installs applied tickets newer than what memory holds (this service's own changes are
    /// usually installed already and are skipped).
    func adopt(_ batch: [Ticket]) {
        for ticket in batch {
            if let held = tickets[ticket.id], held.history.count >= ticket.history.count { continue }
            keep(ticket)
            if let key = ticket.idempotencyKey, idempotency[key] == nil { settle(key, with: ticket) }
        }
    }

    /// Agents the directory applied (changed through any node): memory, the routing engine and
    /// this node's `agents` rows (backups) follow them.
    func adopt(_ changes: AgentDirectoryChanges) async {
        for renewal in changes.renewals {
            // Every node's engine extends the lease the same way; only the router's acts on it.
            _ = try? routing.renewLease(ticketID: renewal.ticketID, agentID: renewal.agentID, at: renewal.at)
        }
        for var agent in changes.agents {
            if let held = agents[agent.id] {
                guard held != agent else { continue }
                // When an assignment last ended is this node's routing memory, not directory state.
                agent.lastAssignmentEndedAt = held.lastAssignmentEndedAt ?? agent.lastAssignmentEndedAt
            }
            do { try await store(agent) } catch {
                logger.warning("agent not kept", metadata: ["agent": "\(agent.id)", "error": "\(error)"])
            }
        }
        requestAssignment()
    }

    private func install(_ agent: Agent) throws {
        agents[agent.id] = agent
        try routing.upsertAgent(RoutingAgent(agent: agent))
    }

    public var policy: DomainPolicy { configuration.policy }

    /// Replaces the policy (configuration reload); applies to commands from now on.
    public func setPolicy(_ policy: DomainPolicy) async throws {
        var next = configuration
        next.policy = policy
        try routing.reconfigure(next.effectiveRouting)
        try await journal.setPolicy(policy)
        configuration = next
        currentPolicy.withLockedValue { $0 = policy }
        requestAssignment()
    }

    /// Replaces the routing weights and timers (configuration reload).
    public func setRouting(_ routingConfiguration: RoutingConfiguration) throws {
        var next = configuration
        next.routing = routingConfiguration
        try routing.reconfigure(next.effectiveRouting)
        configuration = next
        requestAssignment()
    }

    public var routingConfiguration: RoutingConfiguration { configuration.effectiveRouting }

    // MARK: Intake

    /// The outcome of a create: the ticket and whether this call created it (false: the idempotency
    /// key named an existing ticket, which is returned unchanged).
    public struct Created: Sendable {
        public var ticket: Ticket
        public var created: Bool
        /// The ticket's JSON in API form (with its history), when this call wrote it.
        public var document: Data?
    }

    private enum Reservation {
        case existing(Ticket)
        case new(Ticket)
    }

    /// Validates, triages and durably stores a new ticket; answers only once it is on disk.
    public nonisolated func create(_ draft: TicketDraft, idempotencyKey: String?, by actor: TicketActor) async throws -> Created {
        // Validation and triage are pure: done here, in parallel, not inside the actor. The actor
        // only checks the idempotency key and hands out the time-ordered id.
        let prepared = try Ticket.create(id: Self.unassignedID, draft: draft, idempotencyKey: idempotencyKey,
                                         by: actor, at: clock.now(), policy: currentPolicy.withLockedValue { $0 })
        switch try await reserve(prepared) {
        case .existing(let ticket):
            return Created(ticket: try ticket.answeringRetry(prepared), created: false)
        case .new(let ticket):
            let stored: TicketJournalCreated
            do {
                stored = try await journal.create(ticket)
            } catch {
                await abandon(idempotencyKey, error: error)
                throw error
            }
            switch stored {
            case .created(let created, let document):
                await install(created: created)
                return Created(ticket: created, created: true, document: document)
            case .duplicate(let existing):
                await settle(idempotencyKey, with: existing)
                return Created(ticket: try existing.answeringRetry(prepared), created: false)
            }
        }
    }

    private static let unassignedID = "T-unassigned"

    private func reserve(_ prepared: Ticket) async throws -> Reservation {
        if let key = prepared.idempotencyKey {
            if let id = idempotency[key] { return .existing(try await ticket(id)) }
            if pendingKeys[key] != nil {
                let ticket = try await withCheckedThrowingContinuation { pendingKeys[key]!.append($0) }
                return .existing(ticket)
            }
            pendingKeys[key] = []
        }
        var ticket = prepared
        ticket.id = journal.newTicketID(now: prepared.createdAt, idempotencyKey: prepared.idempotencyKey)
        return .new(ticket)
    }

    private func install(created ticket: Ticket) {
        keep(ticket)
        settle(ticket.idempotencyKey, with: ticket)
        requestAssignment()
    }

    /// Installs a ticket's new state in memory and brings the routing engine in line with it.
    /// Never goes back: a state with fewer history events than the one held is older (the change
    /// feed may already have brought a later change, such as a new call-back's first offer,
    /// before the command that created it returns).
    private func keep(_ ticket: Ticket) {
        let held = tickets[ticket.id]
        if let held, held.history.count > ticket.history.count { return }
        tickets[ticket.id] = ticket
        // A new offer reaches the agent's stream on whichever node it is connected to: every
        // node installs every applied change, its own or another's.
        if ticket.status == .offered, let offer = ticket.offer, held?.status != .offered || held?.offer != offer {
            notify(offer.agentID, ticket)
        }
        syncRouting(ticket)
    }

    private func settle(_ key: String?, with ticket: Ticket) {
        guard let key else { return }
        idempotency[key] = ticket.id
        for waiter in pendingKeys.removeValue(forKey: key) ?? [] { waiter.resume(returning: ticket) }
    }

    private func abandon(_ key: String?, error: any Error) {
        guard let key else { return }
        for waiter in pendingKeys.removeValue(forKey: key) ?? [] { waiter.resume(throwing: error) }
    }

    // MARK: Reading

    /// The ticket with its history, from memory or (for old terminal tickets) from the journal.
    /// A ticket as it stands: from memory on a node alone; in a cluster through the journal
    /// (read-index on its shard), since memory follows other nodes' changes a moment later.
    public func ticket(_ id: String) async throws -> Ticket {
        if !journal.sharedWithOtherNodes, let ticket = tickets[id] { return ticket }
        guard let ticket = try await journal.storedTicket(id) else { throw ServiceError.ticketNotFound(id) }
        if ticket.status.isOpen || tickets[id] != nil { keep(ticket) }
        return tickets[id].map { $0.history.count > ticket.history.count ? $0 : ticket } ?? ticket
    }

    /// One page of tickets (filters and keyset paging are the journal's).
    public nonisolated func list(_ filter: TicketFilter) async throws -> (tickets: [Ticket], nextCursor: String?) {
        try await journal.list(filter)
    }

    /// Open tickets in memory (all of them: open tickets are never evicted).
    func allOpenTickets() -> [Ticket] {
        tickets.values.filter { $0.status.isOpen }
    }

    public func kpis() -> KPIReport {
        KPIReport(tickets: Array(tickets.values), agents: Array(agents.values), now: clock.now())
    }

    /// Region label values handed out so far (they stay, so series do not flap).
    private var metricRegions: [String] = []
    static let maxRegionLabels = 16

    /// Queue depth by urgency and region, SLA clocks at risk and breached, for metrics.
    public func routingSnapshot() -> RoutingSnapshot {
        let policy = configuration.policy
        var snapshot = RoutingSnapshot()
        // Bounded labels: the policy's calendar regions plus the first regions seen, at most
        // `maxRegionLabels` in all; the rest count as "other".
        for ticket in tickets.values where metricRegions.count < Self.maxRegionLabels && !metricRegions.contains(ticket.customer.region) {
            metricRegions.append(ticket.customer.region)
        }
        let known = Set(policy.sla.calendars.keys).union(metricRegions.prefix(Self.maxRegionLabels))
        snapshot.regions = known.sorted() + ["other"]
        let now = clock.now()
        for ticket in tickets.values where ticket.status.isOpen {
            snapshot.byStatus[ticket.status, default: 0] += 1
            if ticket.queue == policy.reviewQueue { snapshot.inReview += 1 }
            if ticket.status == .queued {
                let region = known.contains(ticket.customer.region) ? ticket.customer.region : "other"
                snapshot.queued[ticket.urgency, default: [:]][region, default: 0] += 1
            }
            let sla = ticket.sla
            if ticket.firstResponseAt == nil {
                if sla.firstResponseBreached || sla.firstResponseDue <= now {
                    snapshot.breached[.firstResponse, default: 0] += 1
                } else if sla.firstResponseDue.timeIntervalSince(now) < sla.firstResponseTarget / 5 {
                    snapshot.atRisk[.firstResponse, default: 0] += 1
                }
            }
            if sla.resolutionBreached || sla.resolutionDue <= now {
                snapshot.breached[.resolution, default: 0] += 1
            } else if sla.pausedSince == nil, sla.resolutionDue.timeIntervalSince(now) < sla.resolutionTarget / 5 {
                snapshot.atRisk[.resolution, default: 0] += 1
            }
        }
        return snapshot
    }

    // MARK: Commands

    /// Applies one lifecycle command durably. A low rating also opens the linked call-back ticket
    /// in the same transaction.
    @discardableResult
    public func apply(_ command: TicketCommand, to id: String, by actor: TicketActor) async throws -> Ticket {
        try await apply(command, to: id, by: actor, decidedAt: nil, fenced: false)
    }

    /// `decidedAt` is when routing made the decision this command records (an offer): the
    /// offer's window then starts when the agent was reserved, not when the write got its turn,
    /// so `expires_at - offered_at` is the policy's offer timeout. Never earlier than the
    /// ticket's last change, so its history stays in time order.
    /// `fenced`: the command records a routing decision made on the ticket as it is now; it
    /// applies only while the ticket keeps its epoch.
    private func apply(_ command: TicketCommand, to id: String, by actor: TicketActor, decidedAt: Date?, fenced: Bool) async throws -> Ticket {
        await lock("t:" + id)
        defer { unlock("t:" + id) }
        // In a cluster, decide on this node's copy first (no read round before the proposal):
        // the shard refuses the change unless its ticket is that copy (`stale_view`). A copy that
        // lags may also refuse a command the shard's ticket takes, or see nothing to change: every
        // outcome but an applied change is decided again on the shard's ticket.
        if journal.sharedWithOtherNodes, let copy = tickets[id],
           let decided = try? decide(command, on: copy, by: actor, decidedAt: decidedAt) {
            do {
                return try await commit(decided, command: command, on: copy, by: actor, fenced: fenced, decidedOnCopy: true)
            } catch let error as ServiceError where error.code == ServiceError.staleViewCode {}
        }
        let before = try await ticket(id)
        let decided = try decide(command, on: before, by: actor, decidedAt: decidedAt)
        guard let decided else { return before }
        return try await commit(decided, command: command, on: before, by: actor, fenced: fenced, decidedOnCopy: false)
    }

    /// What `command` makes of `before`, and the effects; nil when it changes nothing.
    private struct Decision {
        var after: Ticket
        var effects: [TicketEffect]
        var followUps: [Ticket]
        var at: Date
    }

    private func decide(_ command: TicketCommand, on before: Ticket, by actor: TicketActor, decidedAt: Date?) throws -> Decision? {
        var ticket = before
        let now = decidedAt.map { max($0, before.updatedAt) } ?? clock.now()
        var effects = try ticket.apply(command, by: actor, at: now, policy: configuration.policy)
        guard ticket != before else { return nil }
        var followUps: [Ticket] = []
        for case .openFollowUp(let draft) in effects {
            let id = journal.newTicketID(now: now, idempotencyKey: "follow-up:\(ticket.id)")
            let followUp = try Ticket.createFollowUp(id: id, draft: draft, followUpOf: ticket.id, at: now, policy: configuration.policy)
            effects += try ticket.apply(.linkFollowUp(ticketID: followUp.id), by: .system, at: now, policy: configuration.policy)
            followUps.append(followUp)
        }
        return Decision(after: ticket, effects: effects, followUps: followUps, at: now)
    }

    private func commit(_ decision: Decision, command: TicketCommand, on before: Ticket, by actor: TicketActor, fenced: Bool,
                        decidedOnCopy: Bool) async throws -> Ticket {
        let now = decision.at, effects = decision.effects
        let committed = try await journal.commit(TicketJournalChange(command: command, actor: actor, at: now, before: before, after: decision.after,
                                                                     followUps: decision.followUps, fenced: fenced, decidedOnCopy: decidedOnCopy))
        keep(committed.ticket)
        for followUp in committed.followUps { install(created: followUp) }
        metrics?.record(command, before: before, after: committed.ticket, effects: effects, at: now)
        await perform(effects, on: committed.ticket, at: now)
        return committed.ticket
    }

    private func perform(_ effects: [TicketEffect], on ticket: Ticket, at now: Date) async {
        for effect in effects {
            switch effect {
            case .requeue:
                requestAssignment()
            case .releaseAgent(let agentID):
                if var agent = agents[agentID] {
                    agent.assignmentEnded(at: now)
                    agents[agentID] = agent
                }
                requestAssignment()
            case .deliveryLimitReached:
                logger.notice("ticket moved to review after its delivery attempts",
                              metadata: ["ticket": "\(ticket.id)", "reason": "delivery_limit", "attempts": "\(ticket.deliveryAttempts)"])
            case .slaBreached(let kind):
                logger.info("SLA breached", metadata: ["ticket": "\(ticket.id)", "sla": "\(kind.rawValue)"])
            case .scheduleOfferExpiry, .startLease, .openFollowUp, .urgencyChanged:
                break  // expiry is found by `tick`; leases arrive with the routing engine
            }
        }
    }

    // MARK: Agents

    public func agent(_ id: String) async throws -> Agent {
        try await refreshAgent(id)
        guard let agent = agents[id] else { throw ServiceError.agentNotFound(id) }
        return agent
    }

    /// In a cluster, brings this node's copy of the agent up to a linearizable read of the
    /// routing domain (another node may have just created or changed it).
    private func refreshAgent(_ id: String) async throws {
        guard let directory, journal.sharedWithOtherNodes else { return }
        guard let fresh = try await directory.agent(id) else { return }
        await adopt(AgentDirectoryChanges(agents: [fresh]))
    }

    public func allAgents() -> [Agent] {
        agents.values.sorted { $0.id < $1.id }
    }

    /// Creates or updates an agent's profile (presence is kept; new agents start offline).
    public func upsertAgent(_ profile: AgentProfile) async throws -> (agent: Agent, created: Bool) {
        let profile = try profile.validated()
        await lock("a:" + profile.id)
        defer { unlock("a:" + profile.id) }
        try await refreshAgent(profile.id)
        let created = agents[profile.id] == nil
        var agent: Agent
        if let directory {
            agent = try await directory.upsert(profile, at: clock.now())
        } else if let existing = agents[profile.id] {
            agent = existing
            try agent.update(profile: profile)
        } else {
            agent = try Agent(profile: profile, presence: .offline, at: clock.now())
        }
        try await store(agent)
        requestAssignment()
        return (agent, created)
    }

    public func setPresence(_ presence: Presence, agentID: String) async throws -> Agent {
        await lock("a:" + agentID)
        defer { unlock("a:" + agentID) }
        try await refreshAgent(agentID)
        guard var agent = agents[agentID] else { throw ServiceError.agentNotFound(agentID) }
        guard agent.presence != presence else { return agent }
        if let directory {
            agent = try await directory.setPresence(presence, agentID: agentID, at: clock.now())
        } else {
            agent.setPresence(presence, at: clock.now())
        }
        try await store(agent)
        requestAssignment()
        return agent
    }

    private func store(_ agent: Agent) async throws {
        let routed = RoutingAgent(agent: agent)
        _ = try await storage.write(.upsertAgent(AgentRow(id: agent.id, updatedAt: clock.now().timeIntervalSince1970, doc: try Self.encode(agent))))
        agents[agent.id] = agent
        do { try routing.upsertAgent(routed) } catch {
            logger.error("routing refused an agent the domain accepted", metadata: ["agent": "\(agent.id)", "error": "\(error)"])
        }
    }

    /// Tickets currently offered to the agent, oldest offer first.
    public func offers(for agentID: String) async throws -> [Ticket] {
        try await refreshAgent(agentID)
        guard agents[agentID] != nil else { throw ServiceError.agentNotFound(agentID) }
        return tickets.values
            .filter { $0.status == .offered && $0.offer?.agentID == agentID }
            .sorted { ($0.offer!.offeredAt, $0.id) < ($1.offer!.offeredAt, $1.id) }
    }

    /// Tickets the agent holds (assigned, in progress or waiting on the customer).
    public func assignments(for agentID: String) async throws -> [Ticket] {
        try await refreshAgent(agentID)
        guard agents[agentID] != nil else { throw ServiceError.agentNotFound(agentID) }
        return tickets.values
            .filter { $0.status.isOpen && $0.assignedAgentID == agentID }
            .sorted { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
    }

    /// A stream of offers made to the agent from now on (current offers first). Ends when the
    /// consumer stops iterating.
    public func subscribe(agentID: String) async throws -> AsyncStream<Ticket> {
        let current = try await offers(for: agentID)
        let id = UUID()
        let (stream, continuation) = AsyncStream<Ticket>.makeStream(bufferingPolicy: .bufferingNewest(256))
        for ticket in current { continuation.yield(ticket) }
        subscribers[agentID, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(agentID: agentID, id: id) }
        }
        return stream
    }

    private func unsubscribe(agentID: String, id: UUID) {
        subscribers[agentID]?[id] = nil
        if subscribers[agentID]?.isEmpty == true { subscribers[agentID] = nil }
    }

    private func notify(_ agentID: String, _ ticket: Ticket) {
        for continuation in subscribers[agentID]?.values ?? [:].values { continuation.yield(ticket) }
    }

    // MARK: Assignment and timers

    /// Asks for an assignment pass; passes never overlap and coalesce while one runs.
    private func requestAssignment() {
        guard !stopped, routesHere else { return }
        assignmentRequested = true
        guard !assignmentRunning else { return }
        assignmentRunning = true
        Task { await self.assignmentLoop() }
    }

    private func assignmentLoop() async {
        while assignmentRequested {
            assignmentRequested = false
            await assignmentPass()
        }
        assignmentRunning = false
    }

    /// Runs the routing engine (timers and matching) and turns its actions into durable
    /// lifecycle commands: offers with their score breakdown, offer expiries, lease lapses.
    /// A command the ticket refuses (it moved on meanwhile) re-syncs the engine from the ticket.
    ///
    /// The commands are pipelined: each ticket's actions run in the engine's order, up to
    /// `routingActionsInFlight` tickets at once, so one group commit (or one Raft writer turn)
    /// makes many of them durable instead of one round trip each.
    private func assignmentPass() async {
        let actions = pendingRoutingActions + routing.advance(to: clock.now())
        pendingRoutingActions = []
        var batches = Self.byTicket(actions).makeIterator()
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            while running < Self.routingActionsInFlight, let batch = batches.next() {
                group.addTask { await self.performRouting(batch) }
                running += 1
            }
            for await goOn in group {
                running -= 1
                guard goOn, !stopped else {
                    group.cancelAll()
                    break
                }
                if let batch = batches.next() {
                    group.addTask { await self.performRouting(batch) }
                    running += 1
                }
            }
        }
    }

    /// Routing commands in flight at once in one pass (each on its own ticket).
    static let routingActionsInFlight = 256

    /// The actions grouped per ticket, each group in the engine's order (an expiry before the
    /// ticket's next offer), the groups in order of their first action.
    private static func byTicket(_ actions: [RoutingAction]) -> [[RoutingAction]] {
        var groups: [[RoutingAction]] = []
        var index: [String: Int] = [:]
        for action in actions {
            if let at = index[action.ticketID] {
                groups[at].append(action)
            } else {
                index[action.ticketID] = groups.count
                groups.append([action])
            }
        }
        return groups
    }

    /// Applies one ticket's routing actions in order; false once the journal has stopped
    /// (the pass then starts nothing more).
    private func performRouting(_ actions: [RoutingAction]) async -> Bool {
        for action in actions {
            guard !stopped else { return false }
            // Decided here, just before the command takes the ticket's lock: what the ticket is
            // now, not when the pass started.
            guard let (ticketID, command, decidedAt) = routingCommand(for: action) else { continue }
            do { _ = try await apply(command, to: ticketID, by: .system, decidedAt: decidedAt, fenced: true) } catch {
                logger.debug("routing action not applied", metadata: ["ticket": "\(ticketID)", "command": "\(command.name)", "error": "\(error)"])
                if let error = error as? ReplicationError, error.code == "replication_stopped" {
                    // The shards are shutting down: routing again would only fail again, at once.
                    stop()
                    return false
                }
                resync(ticketID)
            }
        }
        return true
    }

    /// The lifecycle command recording a routing action, or nil when there is nothing to apply
    /// (a lapsed lease the ticket no longer has is re-synced instead).
    private func routingCommand(for action: RoutingAction) -> (ticketID: String, command: TicketCommand, decidedAt: Date?)? {
        switch action {
        case .decide(let decision):
            return (decision.ticketID, .offer(agentID: decision.agentID, expiresAt: decision.expiresAt, why: decision.score.details), decision.decidedAt)
        case .offerExpired(let id, _):
            return (id, .offerExpired, nil)
        case .leaseLapsed(let id, let agentID, _):
            guard let ticket = tickets[id], ticket.assignedAgentID == agentID else {
                resync(id)
                return nil
            }
            return (id, .leaseExpired(epoch: ticket.epoch), nil)
        case .movedToReview(let id, let attempts, let reason):
            // The delivery limit moves it in the lifecycle too (its own event); otherwise
            // routing gave up on it (see RoutingConfiguration.exclusionExpiry): move it to the
            // supervisors' queue with the reason on the event.
            guard let ticket = tickets[id], ticket.status == .queued, ticket.queue != configuration.policy.reviewQueue else { return nil }
            logger.notice("ticket moved to review by routing",
                          metadata: ["ticket": "\(id)", "reason": "\(reason.rawValue)", "attempts": "\(attempts)"])
            return (id, .transfer(queue: configuration.policy.reviewQueue, requiredSkills: nil, reason: reason.rawValue), nil)
        }
    }

    /// Re-derives the engine's view of a ticket from its current state.
    private func resync(_ ticketID: String) {
        routedEpochs[ticketID] = nil
        if let ticket = tickets[ticketID] {
            syncRouting(ticket)
        } else {
            routing.withdraw(ticketID: ticketID)
        }
    }

    /// Brings the routing engine in line with the ticket's durable state: queued tickets are
    /// routed (again, after anything that changed their epoch), offers and holds are adopted,
    /// accepted offers start a lease, and tickets nobody should be offered leave routing.
    private func syncRouting(_ ticket: Ticket) {
        let now = clock.now()
        let state = routing.state(of: ticket.id, at: now)
        let routable = ticket.status.isOpen && ticket.queue != configuration.policy.reviewQueue
        do {
            switch ticket.status {
            case .queued where routable:
                if case .queued = state, routedEpochs[ticket.id] == ticket.epoch { return }
                routing.withdraw(ticketID: ticket.id)
                // A ticket nobody is left to offer to comes back as .movedToReview.
                pendingRoutingActions += try routing.enqueue(RoutingTicket(ticket: ticket), atHead: ticket.queuedAtHead)
            case .offered where routable:
                guard let offer = ticket.offer else { return }
                if case .offered(let agentID, _)? = state, agentID == offer.agentID { break }
                routing.withdraw(ticketID: ticket.id)
                try routing.adopt(RoutingTicket(ticket: ticket), holding: .offered(agentID: offer.agentID, expiresAt: offer.expiresAt))
            case .assigned, .inProgress:
                guard let holder = ticket.assignedAgentID else { return }
                switch state {
                case .offered(let agentID, _)? where agentID == holder:
                    try routing.accept(ticketID: ticket.id, agentID: holder, at: now)
                case .leased(let agentID, _)? where agentID == holder:
                    break
                default:
                    routing.withdraw(ticketID: ticket.id)
                    let expiresAt = now.addingTimeInterval(routing.configuration.leaseDuration)
                    try routing.adopt(RoutingTicket(ticket: ticket), holding: .leased(agentID: holder, expiresAt: expiresAt))
                }
            default:
                // Waiting on the customer, resolved, closed, cancelled or in review: not routed;
                // a holder's capacity frees and their idle clock restarts.
                if case .leased(let holder, _)? = state {
                    try routing.complete(ticketID: ticket.id, agentID: holder, at: now)
                } else {
                    routing.withdraw(ticketID: ticket.id)
                }
            }
        } catch {
            logger.warning("routing could not follow the ticket", metadata: ["ticket": "\(ticket.id)", "error": "\(error)"])
            routing.withdraw(ticketID: ticket.id)
        }
        routedEpochs[ticket.id] = routing.state(of: ticket.id, at: now) == nil ? nil : ticket.epoch
        requestAssignment()
    }

    /// The holder's client keeps its lease alive; returns the new expiry. Without renewals the
    /// lease lapses and the ticket goes back to the head of its queue.
    public func renewLease(ticketID: String, agentID: String) async throws -> Date {
        let ticket = try await self.ticket(ticketID)
        guard [.assigned, .inProgress].contains(ticket.status), ticket.assignedAgentID == agentID else {
            throw ServiceError.conflict("ticket \(ticketID) is not held by \(agentID) under a lease (status \(ticket.status.rawValue))")
        }
        let now = clock.now()
        if let directory {
            // Durable, through the routing domain: the router's engine (and every other) extends
            // the lease when the renewal is applied, whichever node this request reached.
            try await directory.renewLease(ticketID: ticketID, agentID: agentID, at: now)
            return now.addingTimeInterval(routing.configuration.leaseDuration)
        }
        do { return try routing.renewLease(ticketID: ticketID, agentID: agentID, at: now) } catch {
            throw ServiceError.conflict("ticket \(ticketID): \(error)")
        }
    }

    /// Periodic work: routing timers (offer expiry, lease lapse, relaxation) and matching,
    /// SLA clocks, forgetting old terminal tickets. The node calls it on a timer; tests call it
    /// after moving a manual clock.
    public nonisolated func tick() async {
        let now = clock.now()
        if let directory { await setRoutesHere(directory.routesHere) }
        if let slaSnapshot = await dueWork(now: now) {
            // Evaluate every open ticket's SLA check on a copy, outside the actor; only tickets
            // whose check changes something go through the durable path.
            let policy = currentPolicy.withLockedValue { $0 }
            let owned = journal.timerOwnership()
            let changed = slaSnapshot.compactMap { ticket -> String? in
                guard owned(ticket.id) else { return nil }
                var copy = ticket
                guard (try? copy.apply(.slaCheck, by: .system, at: now, policy: policy)) != nil else { return nil }
                return copy.history.count != ticket.history.count ? ticket.id : nil
            }
            for id in changed {
                do { try await apply(.slaCheck, to: id, by: .system) } catch {
                    logger.debug("SLA check skipped", metadata: ["ticket": "\(id)", "error": "\(error)"])
                }
            }
        }
        await requestAssignment()
    }

    /// Starts or stops routing on this node as it gains or loses the routing domain's leadership.
    private func setRoutesHere(_ leads: Bool) {
        guard leads != routesHere else { return }
        routesHere = leads
        logger.notice(leads ? "routing here: this node leads the routing domain" : "routing elsewhere: another node leads the routing domain")
        if !leads { pendingRoutingActions = [] }
    }

    /// The next slice of open tickets to SLA-check. A sweep over all open tickets starts every
    /// `slaCheckInterval` and is taken `slaSliceSize` tickets per tick, so no tick holds the
    /// actor for long however many tickets are open. A new sweep also forgets terminal tickets
    /// past the retention.
    private func dueWork(now: Date) -> [Ticket]? {
        if slaSweep.isEmpty {
            guard now.timeIntervalSince(lastSLACheck) >= configuration.slaCheckInterval else { return nil }
            lastSLACheck = now
            let retention = configuration.terminalRetention
            tickets = tickets.filter { $0.value.status.isOpen || now.timeIntervalSince($0.value.updatedAt) < retention }
            slaSweep = tickets.values.filter { $0.status.isOpen }.map(\.id)
        }
        let slice = slaSweep.suffix(Self.slaSliceSize)
        slaSweep.removeLast(slice.count)
        return slice.compactMap { tickets[$0] }
    }

    /// Tickets SLA-checked per tick (about 8,000 a second at the default 250 ms tick).
    static let slaSliceSize = 2000

    // MARK: Serialisation per entity

    private func lock(_ key: String) async {
        if locks[key] == nil {
            locks[key] = []
            return
        }
        await withCheckedContinuation { locks[key]!.append($0) }
    }

    private func unlock(_ key: String) {
        guard var waiters = locks[key], !waiters.isEmpty else {
            locks[key] = nil
            return
        }
        let next = waiters.removeFirst()
        locks[key] = waiters
        next.resume()
    }

    // MARK: Documents

    /// Storage documents are the API's JSON (dates in `ISO8601Millis`), so a stored ticket
    /// document doubles as the response body.
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try ISO8601Millis.encoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        try ISO8601Millis.decoder().decode(type, from: data)
    }

    /// An agent as the `agents` table stores it.
    public static func storedAgent(_ row: AgentRow) throws -> Agent {
        try decode(Agent.self, row.doc)
    }
}

extension RoutingAction {
    /// The ticket the action is about.
    fileprivate var ticketID: String {
        switch self {
        case .decide(let decision): decision.ticketID
        case .offerExpired(let id, _), .leaseLapsed(let id, _, _), .movedToReview(let id, _, _): id
        }
    }
}
