import Foundation
import GRDB
import NIOConcurrencyHelpers
import RingdeskDomain
import RingdeskReplication
import RingdeskShard
import RingdeskStorage

/// The one ticket path: every ticket lives in a Raft-replicated shard (`TicketShardMachine`) of
/// this node's `ReplicationHost`, and every change is a `TicketLogEntry` that the shard's replicas
/// apply with the domain's own lifecycle. The service's answer is the shard's applied result, so
/// what a client is told is what every replica holds. A single node is a cluster of one: the same
/// code, with every group's only voter on this node.
///
/// Ids name their shard (`TicketIDs`); a create with an idempotency key goes to the key's shard,
/// whose log deduplicates the key. Commands carry the proposer's time, actor, policy version and
/// its urgency and SLA clocks (`TicketDerived`), so no replica consults its own clock or calendars.
/// Routing decisions are fenced by the ticket's epoch.
public final class ShardTicketJournal: TicketJournal {
    public typealias Host = ReplicationHost<TicketShardMachine>

    public let host: Host
    public let map: TicketShardMap
    /// The `tickets`/`ticket_events` tables the shards project into (`readModel(shards:)`), read
    /// for lists and for tickets the shards no longer hold in memory.
    private let readModel: SQLiteTicketJournal
    /// How long a proposal is retried through elections and leader changes before the caller
    /// gets `shard_unavailable`.
    public let requestDeadline: TimeInterval
    /// How long `start` waits for every shard to elect a leader and answer (a cluster whose nodes
    /// start one after another has no quorum until enough of them run).
    public let startDeadline: TimeInterval

    private struct State {
        var ids: TicketIDs
        var nextShard: UInt32 = 0
        /// The policy version each shard holds (commands must name it).
        var policyVersions: [UInt64]
    }
    private let state: NIOLockedValueBox<State>

    /// `storage` is the node's store whose `tickets`/`ticket_events` tables `host` projects into.
    /// Requests for shards another node leads go there through `host`'s forwarder.
    public init(host: Host, storage: SQLiteStorage, requestDeadline: TimeInterval = 5, startDeadline: TimeInterval = 5) throws {
        self.host = host
        self.readModel = SQLiteTicketJournal(storage: storage)
        self.map = try TicketShardMap(shards: host.configuration.groups)
        self.requestDeadline = requestDeadline
        self.startDeadline = startDeadline
        self.state = NIOLockedValueBox(State(ids: TicketIDs(node: host.configuration.nodeID), policyVersions: Array(repeating: 0, count: host.configuration.groups)))
    }

    private var shards: Range<UInt32> { 0..<UInt32(map.shards) }

    // MARK: Start and policy

    /// Waits until every shard serves (a cluster of one elects itself at once), continues the id
    /// sequence after every id stored, and records `policy` in every shard that holds another.
    public func start(policy: DomainPolicy) async throws {
        try await forEachShard { shard in
            let (version, current, lastID) = try await self.read(shard, deadline: self.startDeadline) { machine in
                (machine.policyVersion, machine.policy, machine.tickets.keys.max())
            }
            self.state.withLockedValue { state in
                state.policyVersions[Int(shard)] = version
                if let lastID { state.ids.observe(lastID) }
            }
            if version == 0 || current != policy { try await self.record(policy, in: shard, after: version) }
        }
    }

    public func setPolicy(_ policy: DomainPolicy) async throws {
        try await forEachShard { shard in
            let version = self.state.withLockedValue { $0.policyVersions[Int(shard)] }
            try await self.record(policy, in: shard, after: version)
        }
    }

    /// Runs `body` for every shard at once (their proposals share the store's transactions).
    private func forEachShard(_ body: @escaping @Sendable (UInt32) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for shard in shards { tasks.addTask { try await body(shard) } }
            try await tasks.waitForAll()
        }
    }

    private func record(_ policy: DomainPolicy, in shard: UInt32, after version: UInt64) async throws {
        var next = version + 1
        for _ in 0..<3 {
            let outcome = try await propose(.setPolicy(version: next, policy: policy), to: shard, safeToRepeat: true, deadline: startDeadline)
            switch outcome {
            case .policySet(let version):
                state.withLockedValue { $0.policyVersions[Int(shard)] = version }
                return
            case .rejected(let rejection) where rejection.code == TicketLogRejection.stalePolicy:
                // Another proposer (or an earlier attempt of this one) got there first.
                let held = try await read(shard) { $0.policyVersion }
                next = held + 1
            default:
                throw ServiceError.unavailable("shard \(shard) did not take the policy: \(outcome)")
            }
        }
        throw ServiceError.unavailable("shard \(shard) kept refusing the policy")
    }

    // MARK: Tickets

    public func loadTickets(terminalSince: Date) async throws -> [Ticket] {
        let loaded = NIOLockedValueBox<[Ticket]>([])
        try await forEachShard { shard in
            // This replica's own state: `start` has read every shard at a confirmed point, and the
            // change feed brings whatever is applied after this.
            let tickets = try await self.retrying(shard) { [host = self.host] in try await host.read(group: shard, local: true) { $0.tickets } }
            let kept = tickets.values.filter { $0.status.isOpen || $0.updatedAt >= terminalSince }
            loaded.withLockedValue { $0 += kept }
        }
        return loaded.withLockedValue { $0 }
    }

    /// Brings every ticket of a single-node data directory (the rows the single-node store wrote in
    /// this node's `tickets`/`ticket_events`, which are also the shards' read model) into the
    /// shards, whole, as `importTicket` entries: `maxInFlight` proposals at once, chunk by chunk.
    /// Safe to run again after an interruption (a ticket a shard holds answers as held). For a
    /// node alone: in a cluster a snapshot from a peer would replace a shard's rows before this ran.
    public func importStoredTickets(maxInFlight: Int = 128, progress: @Sendable (Int) -> Void = { _ in }) async throws -> (imported: Int, held: Int) {
        let storage = readModel.storage
        var imported = 0, held = 0
        try await storage.forEachTicket(chunkSize: 512) { rows in
            let events = try await storage.events(ticketIDs: rows.map(\.id))
            let tickets = try rows.map { try SQLiteTicketJournal.ticket($0, events: events[$0.id] ?? []) }
            try await withThrowingTaskGroup(of: Bool.self) { group in
                var next = 0
                func add() {
                    let ticket = tickets[next]
                    next += 1
                    group.addTask { [self] in
                        switch try await self.propose(.importTicket(ticket), to: self.map.shard(ofTicketID: ticket.id), safeToRepeat: true) {
                        case .created: return true
                        case .duplicate: return false
                        case .rejected(let rejection): throw ServiceError(code: "import_refused", message: "ticket \(ticket.id): \(rejection.message)")
                        case let other: throw ServiceError(code: "import_refused", message: "ticket \(ticket.id): unexpected shard result \(other)")
                        }
                    }
                }
                while next < min(maxInFlight, tickets.count) { add() }
                while let created = try await group.next() {
                    if created { imported += 1 } else { held += 1 }
                    if next < tickets.count { add() }
                }
            }
            progress(imported + held)
        }
        return (imported, held)
    }

    public func newTicketID(now: Date, idempotencyKey: String?) -> String {
        state.withLockedValue { state in
            let shard: UInt32
            if let idempotencyKey {
                shard = map.shard(forIdempotencyKey: idempotencyKey)
            } else {
                shard = state.nextShard
                state.nextShard = (state.nextShard + 1) % UInt32(map.shards)
            }
            return state.ids.next(now: now, shard: shard)
        }
    }

    public func create(_ ticket: Ticket) async throws -> TicketJournalCreated {
        var ticket = ticket
        for _ in 0..<3 {
            let shard = map.shard(ofTicketID: ticket.id)
            // Safe to repeat: the shard refuses a second create of one id and answers a known key
            // with its first ticket.
            switch try await propose(.create(ticket), to: shard, safeToRepeat: true) {
            case .created(let stored):
                return .created(stored, document: nil)
            case .duplicate(let first):
                return .duplicate(first)
            case .rejected(let rejection) where rejection.code == TicketLogRejection.duplicateTicketID:
                // Either an earlier attempt of this very create committed before its answer was
                // lost (the stored ticket is this one), or another proposer took the id in the
                // same millisecond: then this ticket gets a fresh id in the same shard.
                if let stored = try await storedTicket(ticket.id), stored.history.first == ticket.history.first {
                    return .created(stored, document: nil)
                }
                let fresh = state.withLockedValue { $0.ids.next(now: ticket.createdAt, shard: shard) }
                ticket.id = fresh
            case .rejected(let rejection):
                throw Self.error(rejection)
            case let other:
                throw ServiceError.conflict("unexpected shard result \(other)")
            }
        }
        throw ServiceError.conflict("no free ticket id in shard \(map.shard(ofTicketID: ticket.id))")
    }

    public func commit(_ change: TicketJournalChange) async throws -> TicketJournalCommitted {
        let shard = map.shard(ofTicketID: change.before.id)
        var ticket = try await apply(change.command, to: change.before, in: shard, actor: change.actor, at: change.at,
                                     derived: TicketDerived(of: change.after), fenced: change.fenced,
                                     basedOnEvents: change.decidedOnCopy ? change.before.history.count : nil)
        // A low rating's call-back: created in its own shard under the key `follow-up:<id>` (so a
        // retried rating, or a proposer that died in between, never makes a second one), then
        // linked from the rated ticket.
        var followUps: [Ticket] = []
        for followUp in change.followUps {
            let stored: Ticket
            switch try await create(followUp) {
            case .created(let created, _): stored = created
            case .duplicate(let first): stored = first
            }
            followUps.append(stored)
            if ticket.followUpTicketID != stored.id {
                ticket = try await apply(.linkFollowUp(ticketID: stored.id), to: ticket, in: shard, actor: .system, at: change.at,
                                         derived: TicketDerived(of: ticket), fenced: false)
            }
        }
        return TicketJournalCommitted(ticket: ticket, followUps: followUps)
    }

    private func apply(_ command: TicketCommand, to before: Ticket, in shard: UInt32, actor: TicketActor, at: Date,
                       derived: TicketDerived, fenced: Bool, basedOnEvents: Int? = nil) async throws -> Ticket {
        for attempt in 0..<2 {
            let version = state.withLockedValue { $0.policyVersions[Int(shard)] }
            let entry = TicketLogCommand(ticketID: before.id, command: command, actor: actor, at: at, policyVersion: version,
                                         expectedEpoch: fenced ? before.epoch : nil, derived: derived, basedOnEvents: basedOnEvents)
            // Only fenced commands may be proposed again after an unknown outcome: the fence
            // refuses the second copy. Others (a comment, an accept) surface `outcome_unknown`.
            switch try await propose(.command(entry), to: shard, safeToRepeat: fenced) {
            case .applied(let ticket, _):
                return ticket
            case .rejected(let rejection) where rejection.code == TicketLogRejection.policyChanged && attempt == 0:
                let held = try await read(shard) { $0.policyVersion }
                state.withLockedValue { $0.policyVersions[Int(shard)] = held }
            case .rejected(let rejection):
                throw Self.error(rejection)
            case let other:
                throw ServiceError.conflict("unexpected shard result \(other)")
            }
        }
        throw ServiceError.conflict("ticket \(before.id): the shard's policy kept changing")
    }

    /// The shard's ticket (read-index), else the read model's row (a ticket the shard no longer
    /// holds in memory), once the read model holds everything the shard has applied.
    public func storedTicket(_ id: String) async throws -> Ticket? {
        let shard = map.shard(ofTicketID: id)
        if let ticket = try await read(shard, { $0.ticket(id) }) { return ticket }
        try await readModelCaughtUp(shard)
        return try await readModel.storedTicket(id)
    }

    /// A page from the read model (SQLite's filters, indexes and keyset paging, the same as the
    /// single-node store), read once every shard's projection holds what the shard had applied
    /// when the request arrived: a client that was answered for a change finds it.
    public func list(_ filter: TicketFilter) async throws -> (tickets: [Ticket], nextCursor: String?) {
        try await forEachShard { shard in try await self.readModelCaughtUp(shard) }
        return try await readModel.list(filter)
    }

    /// Waits until this node's read model rows of the shard are durable at a confirmed read
    /// point (everything any client was answered for). A halted shard projects nothing more: its
    /// rows stay as they were when it stopped.
    private func readModelCaughtUp(_ shard: UInt32) async throws {
        do {
            _ = try await read(shard, durable: true) { _ in true }
        } catch let error as ReplicationError where error.code == "group_halted" {
            return
        }
    }

    /// A linearizable read of the shard's machine on this replica (`ReplicationHost.readAnywhere`),
    /// retried through elections.
    private func read<Value: Sendable>(_ shard: UInt32, durable: Bool = false, deadline: TimeInterval? = nil,
                                       _ body: @escaping @Sendable (TicketShardMachine) -> Value) async throws -> Value {
        try await retrying(shard, deadline: deadline) { [host] in try await host.readAnywhere(group: shard, durable: durable, body) }
    }

    // MARK: Change feed

    /// Every ticket a shard applied a change to on this node (created or changed; a refused or
    /// duplicate entry changes nothing), from the host's feed; after a snapshot replaced a shard,
    /// all of that shard's tickets.
    public func follow(_ handler: @escaping @Sendable (_ changed: [Ticket]) -> Void) {
        host.follow { [host] events in
            var changed: [Ticket] = []
            for event in events {
                switch event {
                case .applied(_, let results):
                    for result in results {
                        switch result {
                        case .created(let ticket), .applied(let ticket, _): changed.append(ticket)
                        case .duplicate, .policySet, .rejected: break
                        }
                    }
                case .replaced(let group):
                    Task {
                        if let all = try? await host.read(group: group, local: true, { Array($0.tickets.values) }) { handler(all) }
                    }
                }
            }
            if !changed.isEmpty { handler(changed) }
        }
    }

    /// The shards this node leads as of the host's last published status (a node alone leads
    /// them all). A shard changing leader between two ticks may see one check twice or late: the
    /// check is idempotent on the log (a ticket already breached stays as it is).
    public var sharedWithOtherNodes: Bool { host.configuration.peers.count > 1 }

    public func timerOwnership() -> @Sendable (_ ticketID: String) -> Bool {
        guard sharedWithOtherNodes else { return { _ in true } }
        let me = host.configuration.nodeID
        let led = Set(host.status.lazy.filter { $0.leader == me }.map(\.group))
        return { [map] id in led.contains(map.shard(ofTicketID: id)) }
    }

    // MARK: Read model

    /// Projects applied tickets into the node's `tickets` / `ticket_events` tables (the same rows
    /// the single-node store keeps), in the Raft store's transaction: backups, restarts and
    /// operators' SQL see exactly what the shards applied. A ticket changed several times in one
    /// transaction is written once, in its last state.
    public static func readModel(shards map: TicketShardMap) -> ReadModelProjection<TicketShardMachine> {
        { applied, db in
            for group in applied {
                if group.replaceAll {
                    let stale = try TicketReadModel.allTicketIDs(db).filter { map.shard(ofTicketID: $0) == group.group }
                    try TicketReadModel.delete(ticketIDs: stale, db)
                }
                var latest: [String: Ticket] = [:]
                var order: [String] = []
                for case .ticket(let ticket) in group.changes where latest.updateValue(ticket, forKey: ticket.id) == nil {
                    order.append(ticket.id)
                }
                for id in order {
                    // Only the events the read model does not hold yet are encoded and written.
                    let stored = try TicketReadModel.storedVersion(of: id, db)
                    let rows = SQLiteTicketJournal.rows(latest[id]!, storedEvents: stored ?? 0)
                    try TicketReadModel.put(rows.row, storedVersion: stored, newEvents: rows.events, db)
                }
            }
        }
    }

    // MARK: Proposals

    /// Proposes `entry` to `shard`, retrying with backoff while the shard has no leader here (an
    /// election, a transfer, back-pressure) until `requestDeadline`. With `safeToRepeat`, an
    /// unknown outcome (leadership changed while waiting) is retried too.
    private func propose(_ entry: TicketLogEntry, to shard: UInt32, safeToRepeat: Bool,
                         deadline: TimeInterval? = nil) async throws -> TicketLogResult {
        try await retrying(shard, alsoUnknownOutcomes: safeToRepeat, deadline: deadline) { [host] in
            try await host.proposeAnywhere(group: shard, command: entry)
        }
    }

    private func retrying<Value: Sendable>(_ shard: UInt32, alsoUnknownOutcomes: Bool = true, deadline: TimeInterval? = nil,
                                           _ body: @Sendable () async throws -> Value) async throws -> Value {
        try await retryingReplication("shard \(shard)", deadline: deadline ?? requestDeadline, alsoUnknownOutcomes: alsoUnknownOutcomes, body)
    }

    /// A shard's refusal as the service reports it: the domain's own refusals keep their code and
    /// field; a stale fence is a conflict.
    static func error(_ rejection: TicketLogRejection) -> any Error {
        switch rejection.code {
        case TicketLogRejection.staleEpoch, TicketLogRejection.duplicateTicketID:
            ServiceError.conflict(rejection.message)
        case TicketLogRejection.unknownTicket:
            ServiceError(code: "ticket_not_found", message: rejection.message)
        case TicketLogRejection.staleView:
            ServiceError(code: ServiceError.staleViewCode, message: rejection.message)
        default:
            DomainError(code: rejection.code, message: rejection.message, field: rejection.field)
        }
    }
}

