import Foundation
import RingdeskMembership

/// Cluster membership settings (the `cluster` object of the config file). Without it a node runs
/// alone. Timings are in seconds; the rest of SWIM's tuning keeps `SWIMConfiguration.defaults`.
public struct ClusterConfiguration: Sendable, Codable, Hashable {
    /// The node's name in the membership; its SWIM id is a stable hash of it. Default: node_id.
    public var name: String?
    public var region: String
    public var zone: String
    /// The address peers use to reach this node's API (host:port). Default: host:port.
    public var advertise: String?
    /// Addresses (host:port) of nodes to join through; re-tried periodically so a split heals.
    public var seeds: [String]
    public var probeInterval: Double
    public var probeTimeout: Double
    public var gossipInterval: Double
    public var pushPullInterval: Double
    public var rejoinInterval: Double
    /// Lifeguard α (minimum suspicion = α · max(1, log10 n) · probe interval).
    public var suspicionMinMultiplier: Double
    /// When the nodes serve TLS: the PEM CA (or certificate) that membership traffic trusts.
    public var tlsCA: String?

    public init(name: String? = nil, region: String = "", zone: String = "", advertise: String? = nil, seeds: [String] = [],
                probeInterval: Double = 1, probeTimeout: Double = 0.5, gossipInterval: Double = 0.2,
                pushPullInterval: Double = 30, rejoinInterval: Double = 10, suspicionMinMultiplier: Double = 4) {
        self.name = name
        self.region = region
        self.zone = zone
        self.advertise = advertise
        self.seeds = seeds
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.gossipInterval = gossipInterval
        self.pushPullInterval = pushPullInterval
        self.rejoinInterval = rejoinInterval
        self.suspicionMinMultiplier = suspicionMinMultiplier
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ClusterConfiguration()
        name = try c.decodeIfPresent(String.self, forKey: .name)
        region = try c.decodeIfPresent(String.self, forKey: .region) ?? d.region
        zone = try c.decodeIfPresent(String.self, forKey: .zone) ?? d.zone
        advertise = try c.decodeIfPresent(String.self, forKey: .advertise)
        seeds = try c.decodeIfPresent([String].self, forKey: .seeds) ?? d.seeds
        probeInterval = try c.decodeIfPresent(Double.self, forKey: .probeInterval) ?? d.probeInterval
        probeTimeout = try c.decodeIfPresent(Double.self, forKey: .probeTimeout) ?? d.probeTimeout
        gossipInterval = try c.decodeIfPresent(Double.self, forKey: .gossipInterval) ?? d.gossipInterval
        pushPullInterval = try c.decodeIfPresent(Double.self, forKey: .pushPullInterval) ?? d.pushPullInterval
        rejoinInterval = try c.decodeIfPresent(Double.self, forKey: .rejoinInterval) ?? d.rejoinInterval
        suspicionMinMultiplier = try c.decodeIfPresent(Double.self, forKey: .suspicionMinMultiplier) ?? d.suspicionMinMultiplier
        tlsCA = try c.decodeIfPresent(String.self, forKey: .tlsCA)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, region, zone, advertise, seeds
        case probeInterval = "probe_interval"
        case probeTimeout = "probe_timeout"
        case gossipInterval = "gossip_interval"
        case pushPullInterval = "push_pull_interval"
        case rejoinInterval = "rejoin_interval"
        case suspicionMinMultiplier = "suspicion_min_multiplier"
        case tlsCA = "tls_ca"
    }

    /// The SWIM tuning these settings give; throws a message naming the key when invalid.
    public func swimConfiguration() throws -> SWIMConfiguration {
        func seconds(_ value: Double, _ key: String) throws -> Duration {
            guard value.isFinite, value > 0, value <= 3600 else { throw ClusterConfigurationError("cluster.\(key) must be between 0 and 3600 seconds") }
            return .nanoseconds(Int64(value * 1e9))
        }
        for seed in seeds where Self.split(seed) == nil {
            throw ClusterConfigurationError("cluster.seeds: '\(seed)' is not host:port")
        }
        if let advertise, Self.split(advertise) == nil { throw ClusterConfigurationError("cluster.advertise: '\(advertise)' is not host:port") }
        guard suspicionMinMultiplier.isFinite, suspicionMinMultiplier >= 1, suspicionMinMultiplier <= 100 else {
            throw ClusterConfigurationError("cluster.suspicion_min_multiplier must be between 1 and 100")
        }
        let configuration = SWIMConfiguration(
            probeInterval: try seconds(probeInterval, "probe_interval"), probeTimeout: try seconds(probeTimeout, "probe_timeout"),
            suspicionMinMultiplier: suspicionMinMultiplier, gossipInterval: try seconds(gossipInterval, "gossip_interval"),
            pushPullInterval: try seconds(pushPullInterval, "push_pull_interval"), rejoinInterval: try seconds(rejoinInterval, "rejoin_interval"),
            seeds: seeds)
        do { try configuration.validate() } catch { throw ClusterConfigurationError("cluster: \(error)") }
        return configuration
    }

    /// "host:port" → (host, port).
    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port), colon != address.startIndex else { return nil }
        return (String(address[..<colon]), port)
    }
}

/// A cluster setting that cannot be used; the message names the key.
public struct ClusterConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
