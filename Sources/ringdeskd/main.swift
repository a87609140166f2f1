import Foundation
import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import RingdeskNode
import ServiceLifecycle

/// The Ringdesk node. Flags override environment variables (RINGDESK_*), which override defaults.
@main
struct RingdeskDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringdeskd",
        abstract: "Run a Ringdesk node (HTTP/2 API on cleartext h2c by default).",
        version: RingdeskNode.version
    )

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

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env RINGDESK_LOG_LEVEL).")
    var logLevel: String?

    @Flag(name: .customLong("print-config"), help: "Print the effective configuration and exit.")
    var printConfig = false

    func effectiveConfiguration(environment: [String: String]) throws -> NodeConfiguration {
        var config = NodeConfiguration.defaults
        if let value = host ?? environment["RINGDESK_HOST"] { config.host = value }
        if let value = try port ?? environment["RINGDESK_PORT"].map({ try Self.integer($0, key: "RINGDESK_PORT") }) { config.port = value }
        if let value = dataDirectory ?? environment["RINGDESK_DATA_DIR"] { config.dataDirectory = value }
        if let value = try threads ?? environment["RINGDESK_THREADS"].map({ try Self.integer($0, key: "RINGDESK_THREADS") }) { config.threads = value }
        if let value = nodeID ?? environment["RINGDESK_NODE_ID"] { config.nodeID = value }
        guard (0...65535).contains(config.port) else { throw ValidationError("port must be between 0 and 65535, got \(config.port)") }
        guard (0...256).contains(config.threads) else { throw ValidationError("threads must be between 0 and 256, got \(config.threads)") }
        return config
    }

    static func integer(_ text: String, key: String) throws -> Int {
        guard let value = Int(text) else { throw ValidationError("\(key) must be an integer, got '\(text)'") }
        return value
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let config = try effectiveConfiguration(environment: environment)
        let levelText = logLevel ?? environment["RINGDESK_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error; got '\(levelText)'")
        }
        if printConfig {
            print("""
            host = "\(config.host)"
            port = \(config.port)
            data_dir = "\(config.dataDirectory)"
            threads = \(config.threads)
            node_id = "\(config.nodeID ?? "\(config.host):\(config.port)")"
            log_level = "\(level)"
            """)
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ringdeskd")
        let threadCount = config.threads == 0 ? NIOCore.System.coreCount : config.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threadCount)
        let node = try RingdeskNode(configuration: config, group: group, logger: logger)
        let services = ServiceGroup(configuration: .init(
            services: [node], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await services.run()
        try await group.shutdownGracefully()
    }
}
