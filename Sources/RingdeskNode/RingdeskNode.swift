import Logging
import NIOCore
import NIOPosix
import RingdeskHTTP2
import ServiceLifecycle

/// One Ringdesk node: today its HTTP/2 API; later issues add storage, membership and shards.
public final class RingdeskNode: Service {
    public static let version = "0.1.0"

    public let configuration: NodeConfiguration
    public let server: HTTP2Server

    public init(configuration: NodeConfiguration, group: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        let nodeID = configuration.nodeID ?? "\(configuration.host):\(configuration.port)"
        self.server = try HTTP2Server(
            host: configuration.host, port: configuration.port,
            router: NodeRoutes.router(nodeID: nodeID, version: Self.version),
            group: group, logger: logger
        )
    }

    public func run() async throws {
        try await server.run()
    }
}
