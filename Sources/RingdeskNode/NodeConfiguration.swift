import RingdeskDomain
import RingdeskHTTP2
import RingdeskReplication
import RingdeskRouting

/// What a node needs to start. Only executables fill it from flags, a config file and the
/// environment; `docs/operations.md` documents every key.
public struct NodeConfiguration: Sendable {
    /// Address the HTTP/2 API listens on.
    public var host: String = "127.0.0.1"
    /// Port of the HTTP/2 API (0 picks a free port).
    public var port: Int = 7600
    /// Where the node keeps its SQLite files.
    public var dataDirectory: String = "./data"
    /// Event-loop threads; 0 means one per core.
    public var threads: Int = 0
    /// Node identifier in the cluster; defaults to host:port.
    public var nodeID: String?
    /// Triage rules, SLA policy and calendars, offer timeout, delivery limits.
    public var policy: DomainPolicy = .defaults
    /// Cluster membership (SWIM); nil runs the node alone.
    public var cluster: ClusterConfiguration?
    /// Raft-replicated shards hosted with the other nodes of `peers`; nil hosts none.
    public var replication: ReplicationConfiguration?
    /// Routing weights, relaxation timers, neighbouring regions, lease duration.
    public var routing: RoutingConfiguration = .defaults
    /// How `ringdeskd` writes logs: "text" (one line per record) or "json" (one JSON object per line).
    public var logFormat: String = "text"
    /// Seconds between service ticks (offer expiry, SLA checks).
    public var tickInterval: Double = 0.25
    /// Where tickets live.
    public enum TicketStore: String, Sendable, Hashable, CaseIterable {
        /// Raft-replicated shards (`TicketShardMachine`), the one path; a node alone is a cluster of one.
        case shards
        /// The single-node store (`ringdesk.sqlite`), being retired.
        case sqlite
    }
    public var ticketStore: TicketStore = .sqlite
    /// Number of ticket shards (Raft groups) with `ticketStore == .shards`; fixed for a data directory's life.
    public var shards: Int = 64
    /// Transport limits and timeouts.
    public var http: HTTP2ServerConfiguration = .defaults

    public init() {}

    public static var defaults: NodeConfiguration { NodeConfiguration() }

    public var effectiveNodeID: String { nodeID ?? "\(host):\(port)" }
}
