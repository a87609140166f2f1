import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import RingdeskDomain
import RingdeskNode
import RingdeskReplication
import RingdeskRouting
import RingdeskShard
import ServiceLifecycle
import UnixSignals

/// The Ringdesk node. Precedence: flags, then environment (RINGDESK_*), then the config file
/// (`--config` or RINGDESK_CONFIG, JSON), then defaults. See docs/operations.md.
@main
struct RingdeskDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringdeskd",
        abstract: "Run a Ringdesk node (HTTP/2 API on cleartext h2c by default, data in ./data).",
        version: RingdeskNode.version
    )

    @Option(help: "JSON configuration file (env RINGDESK_CONFIG).")
    var config: String?

    @Option(help: "Address to listen on (env RINGDESK_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env RINGDESK_PORT).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the node's data (env RINGDESK_DATA_DIR).")
    var dataDirectory: String?

    @Option(help: "Event-loop threads, 0 = one per core (env RINGDESK_THREADS).")
    var threads: Int?

    @Option(name: .customLong("node-id"), help: "Node identifier (env RINGDESK_NODE_ID).")
    var nodeID: String?

    @Option(name: .customLong("offer-timeout"), help: "Seconds an agent has to accept an offer (env RINGDESK_OFFER_TIMEOUT).")
    var offerTimeout: Double?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTP/2 over TLS with ALPN h2 (env RINGDESK_TLS_CERT).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert (env RINGDESK_TLS_KEY).")
    var tlsKey: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env RINGDESK_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line; env RINGDESK_LOG_FORMAT).")
    var logFormat: String?

    @Option(name: .customLong("ticket-store"),
            help: "Where tickets live: shards (Raft-replicated shards, the one path) or sqlite (the single-node store) (env RINGDESK_TICKET_STORE).")
    var ticketStore: String?

    @Flag(name: .customLong("print-config"), help: "Print the effective configuration as JSON and exit.")
    var printConfig = false

    /// The keys a config file may hold.
    struct FileConfiguration: Decodable {
        var host: String?
        var port: Int?
        var dataDir: String?
        var threads: Int?
        var nodeID: String?
        var logLevel: String?
        var logFormat: String?
        var tickInterval: Double?
        var maxRequestBodyBytes: Int?
        var maxConcurrentStreams: Int?
        var tlsCert: String?
        var tlsKey: String?
        var policy: DomainPolicy?
        var routing: RoutingConfiguration?
        var cluster: ClusterConfiguration?
        var replication: ReplicationConfiguration?
        var ticketStore: String?
        var shards: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case host, port, threads, policy, routing, cluster, replication, shards
            case ticketStore = "ticket_store"
            case dataDir = "data_dir"
            case nodeID = "node_id"
            case logLevel = "log_level"
            case logFormat = "log_format"
            case tickInterval = "tick_interval"
            case maxRequestBodyBytes = "max_request_body_bytes"
            case maxConcurrentStreams = "max_concurrent_streams"
            case tlsCert = "tls_cert"
            case tlsKey = "tls_key"
        }
    }

    static func loadFile(_ path: String) throws -> FileConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("config file \(path) is not a JSON object")
        }
        let known = Set(FileConfiguration.CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ValidationError("config file \(path): unknown key '\(unknown)'; known keys: \(known.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(FileConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ValidationError("config file \(path): \(describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return "key '\(key)': \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)' is required"
        @unknown default:
            return "\(error)"
        }
    }

    func effectiveConfiguration(environment: [String: String]) throws -> (NodeConfiguration, Logger.Level) {
        var config = NodeConfiguration.defaults
        var levelText = "info"
        var tlsCertPath: String?
        var tlsKeyPath: String?
        if let path = self.config ?? environment["RINGDESK_CONFIG"] {
            let file = try Self.loadFile(path)
            if let value = file.host { config.host = value }
            if let value = file.port { config.port = value }
            if let value = file.dataDir { config.dataDirectory = value }
            if let value = file.threads { config.threads = value }
            if let value = file.nodeID { config.nodeID = value }
            if let value = file.logLevel { levelText = value }
            if let value = file.logFormat { config.logFormat = value }
            if let value = file.tickInterval { config.tickInterval = value }
            if let value = file.maxRequestBodyBytes { config.http.maxRequestBodySize = value }
            if let value = file.maxConcurrentStreams { config.http.maxConcurrentStreams = UInt32(clamping: value) }
            if let value = file.policy { config.policy = value }
            if let value = file.routing {
                do { config.routing = try value.validated() } catch let error as RoutingError {
                    throw ValidationError("config file \(path): \(error.message)")
                }
            }
            if let value = file.cluster {
                do { _ = try value.swimConfiguration() } catch { throw ValidationError("config file \(path): \(error)") }
                config.cluster = value
            }
            if let value = file.replication {
                let problems = value.validationErrors()
                guard problems.isEmpty else { throw ValidationError("config file \(path): \(problems.joined(separator: "; "))") }
                config.replication = value
            }
            if let value = file.ticketStore { config.ticketStore = try Self.ticketStore(value) }
            if let value = file.shards { config.shards = value }
            tlsCertPath = file.tlsCert
            tlsKeyPath = file.tlsKey
        }
        if let value = tlsCert ?? environment["RINGDESK_TLS_CERT"] { tlsCertPath = value }
        if let value = tlsKey ?? environment["RINGDESK_TLS_KEY"] { tlsKeyPath = value }
        switch (tlsCertPath, tlsKeyPath) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            do {
                config.http.tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
                )
            } catch {
                throw ValidationError("tls_cert/tls_key: cannot load \(cert) and \(key): \(error)")
            }
        default:
            throw ValidationError("tls_cert and tls_key must be given together")
        }
        if let value = host ?? environment["RINGDESK_HOST"] { config.host = value }
        if let value = try port ?? environment["RINGDESK_PORT"].map({ try Self.number($0, key: "RINGDESK_PORT") }) { config.port = value }
        if let value = dataDirectory ?? environment["RINGDESK_DATA_DIR"] { config.dataDirectory = value }
        if let value = try threads ?? environment["RINGDESK_THREADS"].map({ try Self.number($0, key: "RINGDESK_THREADS") }) { config.threads = value }
        if let value = nodeID ?? environment["RINGDESK_NODE_ID"] { config.nodeID = value }
        if let value = try offerTimeout ?? environment["RINGDESK_OFFER_TIMEOUT"].map({ try Self.number($0, key: "RINGDESK_OFFER_TIMEOUT") }) {
            config.policy.offerTimeout = value
        }
        if let value = ticketStore ?? environment["RINGDESK_TICKET_STORE"] { config.ticketStore = try Self.ticketStore(value) }
        // Only to try out how a cluster refuses a node of another version (docs/operations.md).
        if let value = environment["RINGDESK_CLUSTER_PROTOCOL"] {
            guard let version = UInt32(value) else { throw ValidationError("RINGDESK_CLUSTER_PROTOCOL must be a non-negative integer, got '\(value)'") }
            config.replication?.clusterProtocol = version
        }
        if let value = logLevel ?? environment["RINGDESK_LOG_LEVEL"] { levelText = value }
        if let value = logFormat ?? environment["RINGDESK_LOG_FORMAT"] { config.logFormat = value }
        guard ["text", "json"].contains(config.logFormat) else {
            throw ValidationError("log_format must be text or json, got '\(config.logFormat)'")
        }
        guard (0...65535).contains(config.port) else { throw ValidationError("port must be between 0 and 65535, got \(config.port)") }
        guard (0...256).contains(config.threads) else { throw ValidationError("threads must be between 0 and 256, got \(config.threads)") }
        guard config.policy.offerTimeout > 0, config.policy.offerTimeout <= 3600 else {
            throw ValidationError("offer timeout must be between 0 and 3600 seconds, got \(config.policy.offerTimeout)")
        }
        guard (1...TicketShardMap.maxShards).contains(config.shards) else {
            throw ValidationError("shards must be between 1 and \(TicketShardMap.maxShards), got \(config.shards)")
        }
        guard config.tickInterval >= 0.01, config.tickInterval <= 60 else {
            throw ValidationError("tick_interval must be between 0.01 and 60 seconds, got \(config.tickInterval)")
        }
        guard config.http.maxRequestBodySize >= 1024 else { throw ValidationError("max_request_body_bytes must be at least 1024") }
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error; got '\(levelText)'")
        }
        return (config, level)
    }

    static func number<T: LosslessStringConvertible>(_ text: String, key: String) throws -> T {
        guard let value = T(text) else { throw ValidationError("\(key) must be a number, got '\(text)'") }
        return value
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (config, level) = try effectiveConfiguration(environment: environment)
        if printConfig {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let policy = try JSONSerialization.jsonObject(with: encoder.encode(config.policy))
            let routing = try JSONSerialization.jsonObject(with: encoder.encode(config.routing))
            let cluster = try config.cluster.map { try JSONSerialization.jsonObject(with: encoder.encode($0)) } ?? NSNull()
            let replication = try config.replication.map { try JSONSerialization.jsonObject(with: encoder.encode($0)) } ?? NSNull()
            let effective: [String: Any] = [
                "host": config.host, "port": config.port, "data_dir": config.dataDirectory, "threads": config.threads,
                "node_id": config.effectiveNodeID, "log_level": level.rawValue, "log_format": config.logFormat, "tick_interval": config.tickInterval,
                "max_request_body_bytes": config.http.maxRequestBodySize,
                "max_concurrent_streams": Int(config.http.maxConcurrentStreams), "policy": policy, "routing": routing, "cluster": cluster, "replication": replication,
                "ticket_store": config.ticketStore.rawValue, "shards": config.shards,
                "tls": config.http.tls != nil,
            ]
            let data = try JSONSerialization.data(withJSONObject: effective, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let json = config.logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ringdeskd")
        let threadCount = config.threads == 0 ? NIOCore.System.coreCount : config.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threadCount)
        // One registry for the node's own metrics and anything a library records through the
        // global swift-metrics system; /metrics renders it.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let node = RingdeskNode(configuration: config, group: group, logger: logger, registry: registry)
        let services = ServiceGroup(configuration: .init(
            services: [node], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        // SIGHUP re-reads the configuration (file, environment, flags) and applies its policy;
        // an invalid file is reported and the running policy stays.
        let reloads = await UnixSignalsSequence(trapping: .sighup)
        let reloader = Task {
            for await _ in reloads {
                do {
                    let (fresh, _) = try effectiveConfiguration(environment: ProcessInfo.processInfo.environment)
                    try await node.reload(policy: fresh.policy, routing: fresh.routing)
                } catch {
                    logger.error("configuration reload refused; the running policy stays", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { reloader.cancel() }
        try await services.run()
        try await group.shutdownGracefully()
    }
}

extension RingdeskDaemon {
    static func ticketStore(_ text: String) throws -> NodeConfiguration.TicketStore {
        guard let store = NodeConfiguration.TicketStore(rawValue: text) else {
            throw ValidationError("ticket_store must be shards or sqlite, got '\(text)'")
        }
        return store
    }
}
