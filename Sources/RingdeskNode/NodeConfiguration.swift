/// What a node needs to start. Only executables fill it from flags, files and the environment.
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

    public init() {}

    public static var defaults: NodeConfiguration { NodeConfiguration() }
}
