import Foundation
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL
import Prometheus
import RingdeskDomain
import RingdeskHTTP2
import RingdeskPrimitives
import RingdeskReplication
import RingdeskRouting
import RingdeskService
import RingdeskShard
import RingdeskStorage
import ServiceLifecycle

/// One Ringdesk node: SQLite storage, the ticket service and its HTTP/2 API, run as a `Service`.
/// `run()` serves until graceful shutdown: the server drains, the timer stops, storage closes.
public final class RingdeskNode: Service {
    public static let version = "0.2.0"

    public let configuration: NodeConfiguration
    private let group: any EventLoopGroup
    /// The running ticket service, for configuration reloads; nil until `run()` has loaded it.
    private let running = NIOLockedValueBox<TicketService?>(nil)
    private let runningMembership = NIOLockedValueBox<MembershipService?>(nil)
    private let logger: Logger
    private let clock: any NodeClock

    /// Every metric of this node (request, routing, storage); `ringdeskd` bootstraps
    /// swift-metrics with a factory over the same registry.
    public let registry: PrometheusCollectorRegistry

    public init(configuration: NodeConfiguration, group: any EventLoopGroup, logger: Logger, clock: any NodeClock = SystemClock(),
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let path = (configuration.dataDirectory as NSString).appendingPathComponent("ringdesk.sqlite")
        let metrics = NodeMetrics(registry: registry)
        let storage = try await SQLiteStorage.open(.defaults(path: path), metrics: metrics.factory)
        var serviceConfiguration = TicketServiceConfiguration.defaults
        serviceConfiguration.policy = configuration.policy
        serviceConfiguration.routing = configuration.routing
        if configuration.ticketStore == .sqlite, try await storage.meta(Self.ticketStoreKey) == NodeConfiguration.TicketStore.shards.rawValue {
            throw ServiceError(code: "shard_data", message: """
                \(configuration.dataDirectory) keeps its tickets in Raft shards; start it with --ticket-store shards
                """)
        }
        let ticketShards = try await openTicketShards(storage: storage, metrics: metrics)
        let service = try TicketService(storage: storage, journal: ticketShards?.journal, directory: ticketShards?.directory,
                                        configuration: serviceConfiguration, clock: clock, logger: logger, metrics: metrics.factory)
        // A node alone loads before it listens. A node of a cluster listens first: its shards
        // elect their leaders over the node-to-node routes, and only then can it load.
        let gate = StartGate()
        let clustered = ticketShards?.peerClient != nil
        let load: @Sendable () async throws -> Void = { [running, policy = configuration.policy, logger] in
            try await ticketShards?.start(policy: policy, storage: storage, logger: logger)
            try await service.load()
            running.withLockedValue { $0 = service }
            gate.open()
            if clustered { logger.notice("ticket shards joined: serving") }
        }
        if !clustered { try await load() }

        var membership: MembershipService?
        if let cluster = configuration.cluster {
            membership = try MembershipService(configuration: cluster, nodeName: configuration.effectiveNodeID,
                                               advertise: "\(configuration.host):\(configuration.port)", version: Self.version,
                                               dataDirectory: configuration.dataDirectory, group: group, logger: self.logger,
                                               metrics: metrics.factory)
        }
        membership?.updatePolicyFingerprint(Self.policyFingerprint(configuration.policy, configuration.routing))
        runningMembership.withLockedValue { $0 = membership }
        var replication: (host: ShardReplicationHost, client: HTTP2Client?)?
        // With the ticket shards, `replication` places them (peers, voters); the standalone
        // replicated-shard service runs only beside the single-node store.
        if let settings = configuration.replication, ticketShards == nil {
            let client = try HTTP2Client(group: group, configuration: Self.peerClientConfiguration(tlsCA: configuration.cluster?.tlsCA))
            let path = (configuration.dataDirectory as NSString).appendingPathComponent("raft.sqlite")
            let host = try ShardReplicationHost(configuration: settings, databasePath: path, client: client,
                                           logger: Logger(label: "ringdesk.raft"), metrics: metrics.factory, eventLoop: group.next())
            host.start()
            replication = (host, client)
        }
        var router = Self.router(service: service, storage: storage, nodeID: configuration.effectiveNodeID, metrics: metrics, logger: logger,
                                 membership: membership, replication: replication, ticketShards: clustered ? ticketShards : nil)
        gate.guardRoutes(of: &router)
        let server = try HTTP2Server(
            host: configuration.host, port: configuration.port, router: router,
            configuration: configuration.http, group: group, logger: logger
        )
        let tickInterval = configuration.tickInterval
        let logger = self.logger
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if clustered {
                // Serving the cluster's routes already; the public ones open once loaded. A node
                // that cannot reach a quorum within the start deadline stops with the reason.
                tasks.addTask {
                    try await load()
                    try await Task.sleep(for: .seconds(1_000_000_000))
                }
            }
            tasks.addTask {
                // Offer expiry and SLA checks; stops when the server returns.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(tickInterval))
                    if gate.opened { await service.tick() }
                }
            }
            tasks.addTask {
                try await server.run()
            }
            if let membership {
                tasks.addTask {
                    try await membership.run()
                    // Membership only ends with the node; keep the group waiting for the server.
                    try await Task.sleep(for: .seconds(1_000_000_000))
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        running.withLockedValue { $0 = nil }
        runningMembership.withLockedValue { $0 = nil }
        await service.stop()
        await ticketShards?.stop()
        if let replication {
            replication.host.stop()
            await replication.client?.shutdown()
        }
        try await storage.close()
        logger.info("node stopped")
    }

    /// With `ticket_store: shards`, the ticket shards: a Raft host of `TicketShardMachine` groups in
    /// the node's `ringdesk.sqlite`, started (the journal's `start` waits for the shards to serve).
    /// Without `replication` this node is the only voter of each (a cluster of one); with it, the
    /// shards are replicated on its peers and requests for shards another node leads are forwarded
    /// there (`peerClient` carries them). Refuses a data directory whose single-node store already
    /// holds tickets, rather than hide them.
    private func openTicketShards(storage: SQLiteStorage, metrics: NodeMetrics) async throws -> TicketShards? {
        guard configuration.ticketStore == .shards else { return nil }
        // The data directory remembers which store holds its tickets: the single-node store's
        // tickets are never hidden behind an empty set of shards.
        let marker = try await storage.meta(Self.ticketStoreKey)
        let stored = try await storage.ticketCount()
        // A directory the single-node store wrote is imported into the shards at start, on a node
        // alone; a cluster's node refuses it (a peer's snapshot could replace rows not yet imported).
        let importing = marker != NodeConfiguration.TicketStore.shards.rawValue && stored > 0
        let clustered = (configuration.replication?.peers.count ?? 0) > 1
        guard !(importing && clustered) else {
            throw ServiceError(code: "single_node_data", message: """
                \(configuration.dataDirectory) holds \(stored) tickets in the single-node store (ringdesk.sqlite); \
                a cluster's node does not import them: start this directory alone with --ticket-store shards once \
                (it imports them into its shards), or with --ticket-store sqlite to keep the single-node store
                """)
        }
        var settings: ReplicationConfiguration
        var peerClient: HTTP2Client?
        if var clustered = configuration.replication, clustered.peers.count > 1 {
            clustered.groups = configuration.shards
            settings = clustered
            peerClient = try HTTP2Client(group: group, configuration: Self.peerClientConfiguration(tlsCA: configuration.cluster?.tlsCA))
        } else {
            // The only member: its address is never dialled (no peer client), it only has to parse.
            settings = ReplicationConfiguration(nodeID: configuration.replication?.nodeID ?? 1,
                                                peers: [configuration.replication?.nodeID ?? 1: "\(configuration.host):\(max(configuration.port, 1))"],
                                                groups: configuration.shards)
        }
        // One store per node: the shards' logs and applied tickets share `ringdesk.sqlite` with the
        // agents, so a backup (`VACUUM INTO`) is one consistent file holding all of it.
        let path = storage.configuration.path
        let host = try ShardTicketJournal.Host(configuration: settings, databasePath: path, client: peerClient, logger: Logger(label: "ringdesk.shards"),
                                               metrics: metrics.factory, eventLoop: group.next(),
                                               projection: ShardTicketJournal.readModel(shards: try TicketShardMap(shards: configuration.shards)),
                                               forwarder: peerClient.map { PeerRoutes.forwarder(client: $0, configuration: settings, path: "/internal/tickets") })
        host.start()
        var routingHost: RoutingDirectory.Host?
        do {
            // The routing domain (agents; its leader routes): one group on the same members, in
            // its own file (a Raft store holds one machine's groups).
            var routingSettings = settings
            routingSettings.groups = 1
            let routingPath = (configuration.dataDirectory as NSString).appendingPathComponent("routing.sqlite")
            routingHost = try RoutingDirectory.Host(configuration: routingSettings, databasePath: routingPath, client: peerClient,
                                                    logger: Logger(label: "ringdesk.routing"), metrics: metrics.factory, eventLoop: group.next(),
                                                    raftPath: "/internal/raft/routing",
                                                    forwarder: peerClient.map { PeerRoutes.forwarder(client: $0, configuration: routingSettings,
                                                                                                     path: "/internal/routing") })
            routingHost?.start()
            if marker == nil, !importing {
                _ = try await storage.write(.setMeta(key: Self.ticketStoreKey, value: NodeConfiguration.TicketStore.shards.rawValue))
            }
            // A cluster's nodes start one after another: wait for a quorum for a while.
            let journal = try ShardTicketJournal(host: host, storage: storage, startDeadline: peerClient == nil ? 5 : Self.clusterStartDeadline)
            logger.info("ticket shards open", metadata: ["shards": "\(configuration.shards)", "path": "\(path)",
                                                         "replicas": "\(settings.initialVoters.count)"])
            return TicketShards(journal: journal, directory: RoutingDirectory(host: routingHost!), peerClient: peerClient,
                                startDeadline: journal.startDeadline, importing: importing ? stored : nil)
        } catch {
            host.stop()
            routingHost?.stop()
            await peerClient?.shutdown()
            throw error
        }
    }

    /// How long a node of a cluster waits at start for its shards to find a quorum.
    static let clusterStartDeadline: TimeInterval = 120

    /// The `meta` key naming the store that holds a data directory's tickets.
    static let ticketStoreKey = "ticket_store"

    /// Client settings for node-to-node traffic: TLS trusting `tlsCA` when the nodes serve TLS.
    static func peerClientConfiguration(tlsCA: String?) throws -> HTTP2ClientConfiguration {
        var configuration = HTTP2ClientConfiguration.defaults
        configuration.connectTimeout = .milliseconds(500)
        configuration.defaultRequestTimeout = .seconds(2)
        if let path = tlsCA {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            configuration.tls = tls
        }
        return configuration
    }

    /// Applies a reloaded policy (triage, SLA, offers) and routing configuration to commands
    /// from now on. Returns false when the node is not serving yet.
    @discardableResult
    public func reload(policy: DomainPolicy, routing: RoutingConfiguration = .defaults) async throws -> Bool {
        guard let service = running.withLockedValue({ $0 }) else { return false }
        try await service.setRouting(routing)
        try await service.setPolicy(policy)
        // Tell the cluster which policy this node now runs, so a node that missed a reload shows.
        runningMembership.withLockedValue { $0 }?.updatePolicyFingerprint(Self.policyFingerprint(policy, routing))
        logger.notice("policy reloaded", metadata: ["offer_timeout": "\(policy.offerTimeout)", "triage_rules": "\(policy.triage.rules.count)",
                                                     "relaxation_steps": "\(routing.relaxationSteps)"])
        return true
    }

    /// A short fingerprint of the policy and routing configuration (FNV-1a over their canonical
    /// JSON), gossiped to the cluster so every node can see whether all run the same rules.
    static func policyFingerprint(_ policy: DomainPolicy, _ routing: RoutingConfiguration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = FNV1a.offsetBasis
        for part in [try? encoder.encode(policy), try? encoder.encode(routing)] {
            hash = FNV1a.hash(part ?? Data(), seed: hash)
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// Every route the node serves (also used by the OpenAPI contract test).
    /// `replication` adds the replicated-shard routes of that host (`forwarder`, if given, carries
    /// requests a follower passes on to the leader).
    public static func router(service: TicketService, storage: SQLiteStorage, nodeID: String,
                              registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                              logger: Logger = Logger(label: "ringdesk.api"),
                              replication: (host: ShardReplicationHost, client: HTTP2Client?)? = nil,
                              ticketShards: TicketShards? = nil) -> HTTP2Router {
        router(service: service, storage: storage, nodeID: nodeID, metrics: NodeMetrics(registry: registry), logger: logger, membership: nil,
               replication: replication, ticketShards: ticketShards)
    }

    static func router(service: TicketService, storage: SQLiteStorage, nodeID: String, metrics: NodeMetrics, logger: Logger,
                       membership: MembershipService?, replication: (host: ShardReplicationHost, client: HTTP2Client?)?,
                       ticketShards: TicketShards?) -> HTTP2Router {
        var router = NodeRoutes.router(nodeID: nodeID, version: Self.version)
        NodeAPI(service: service, metrics: metrics, logger: logger, nodeID: nodeID, membership: membership).register(in: &router)
        if let ticketShards {
            PeerRoutes.register(ticketShards.journal.host, raftPath: "/internal/raft", forwardPath: "/internal/tickets", in: &router)
            PeerRoutes.register(ticketShards.directory.host, raftPath: "/internal/raft/routing", forwardPath: "/internal/routing", in: &router)
        }
        if let replication {
            ReplicationAPI(host: replication.host, forwarder: replication.client, metrics: metrics, logger: logger).register(in: &router)
        }
        router.add("GET", "/metrics", .async { _ in
            let text = await metrics.render(service: service, storage: storage, membership: membership)
            return HTTP2Response(status: 200, headers: HTTP2Headers([("content-type", "text/plain; version=0.0.4")]), body: ByteBuffer(string: text))
        })
        return router
    }
}

/// A node's Raft-replicated state with `ticket_store: shards`: the ticket shards, the routing
/// domain (agents; its leader routes), and the client that carries both hosts' peer traffic.
public struct TicketShards: Sendable {
    public let journal: ShardTicketJournal
    public let directory: RoutingDirectory
    let peerClient: HTTP2Client?
    let startDeadline: TimeInterval
    /// The single-node store's ticket count when its tickets are to be imported at start.
    let importing: Int?

    init(journal: ShardTicketJournal, directory: RoutingDirectory, peerClient: HTTP2Client?, startDeadline: TimeInterval, importing: Int? = nil) {
        self.journal = journal
        self.directory = directory
        self.peerClient = peerClient
        self.startDeadline = startDeadline
        self.importing = importing
    }

    /// Hosts already open (tests, tools): `router(…, ticketShards:)` then serves their node-to-node routes.
    public init(journal: ShardTicketJournal, directory: RoutingDirectory) {
        self.init(journal: journal, directory: directory, peerClient: nil, startDeadline: 5)
    }

    /// Waits for both to serve, records `policy` in every shard, and moves agents a data directory
    /// kept in its own `agents` table (written before the routing domain existed) into the domain.
    func start(policy: DomainPolicy, storage: SQLiteStorage, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [directory, journal, startDeadline] in
                try await directory.start(deadline: startDeadline)
                try await journal.start(policy: policy)
                return true
            }
            // A node whose cluster protocol a majority refuses can never join: say so at once
            // rather than waiting out the start deadline.
            group.addTask { [journal, startDeadline] in
                let deadline = ContinuousClock.now + .seconds(startDeadline)
                while ContinuousClock.now < deadline {
                    if journal.host.refusedByQuorum { throw Self.refused(journal.host) }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            // Done when the start is (it has its own deadline), or the watcher threw.
            while let started = try await group.next(), !started {}
            group.cancelAll()
        }
        if let importing {
            logger.notice("importing the single-node store's tickets into the shards", metadata: ["tickets": "\(importing)"])
            let counts = try await journal.importStoredTickets { done in
                if done % 10_000 < 512 { logger.info("import progress", metadata: ["tickets": "\(done)", "of": "\(importing)"]) }
            }
            _ = try await storage.write(.setMeta(key: RingdeskNode.ticketStoreKey, value: NodeConfiguration.TicketStore.shards.rawValue))
            logger.notice("single-node store imported", metadata: ["imported": "\(counts.imported)", "already_held": "\(counts.held)"])
        }
        guard try await directory.loadAgents().isEmpty else { return }
        let rows = try await storage.allAgents()
        for row in rows {
            let agent = try TicketService.storedAgent(row)
            let profile = AgentProfile(id: agent.id, name: agent.name, regions: agent.regions, languages: agent.languages, skills: agent.skills,
                                       supportTier: agent.supportTier, channelCapacity: agent.channelCapacity)
            _ = try await directory.upsert(profile, at: agent.presenceSince)
            if agent.presence != .offline { _ = try await directory.setPresence(agent.presence, agentID: agent.id, at: agent.presenceSince) }
        }
        if !rows.isEmpty { logger.notice("agents moved into the routing domain", metadata: ["agents": "\(rows.count)"]) }
    }

    static func refused(_ host: ShardTicketJournal.Host) -> ServiceError {
        let peers = host.protocolRefusals.sorted { $0.key < $1.key }.map { "node \($0.key) speaks \($0.value)" }.joined(separator: ", ")
        return ServiceError(code: ClusterProtocol.mismatchCode, message: """
            this node speaks cluster protocol \(host.configuration.clusterProtocol) and its peers refuse it (\(peers)); \
            one cluster runs one version: start every node from the same build (docs/operations.md, upgrades)
            """)
    }

    func stop() async {
        journal.host.stop()
        directory.host.stop()
        await peerClient?.shutdown()
    }
}
