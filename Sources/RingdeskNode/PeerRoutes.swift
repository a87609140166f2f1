import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RingdeskHTTP2
import RingdeskReplication

/// The node-to-node routes of one replication host: its Raft traffic (`raftPath`) and requests a
/// node forwards to the leader of a group it does not lead (`forwardPath`: a proposal or a read
/// point, `ForwardedRequest` bytes). The leader runs them on its own replica only, so a request
/// crosses at most one hop. The ticket shards use `/internal/raft` and `/internal/tickets`.
/// Both refuse a request naming another cluster protocol (`ClusterProtocol`) before reading it.
enum PeerRoutes {
    static func register<Machine: ForwardableStateMachine>(_ host: ReplicationHost<Machine>, raftPath: String, forwardPath: String,
                                                           in router: inout HTTP2Router) {
        let version = host.configuration.clusterProtocol
        router.add("POST", raftPath, .inline { request in
            if let refusal = refusal(request, version: version) { return refusal }
            do {
                try host.receive(Array(request.body.readableBytesView))
                return HTTP2Response(status: 204)
            } catch {
                return APIErrors.response(for: APIError(status: 400, code: "raft_malformed", message: "\(error)"))
            }
        })
        router.add("POST", forwardPath, .async { request in
            if let refusal = refusal(request, version: version) { return refusal }
            let reply = await host.serveForwarded(Array(request.body.readableBytesView))
            return HTTP2Response(status: 200, headers: HTTP2Headers([("content-type", "application/octet-stream")]), body: ByteBuffer(bytes: reply))
        })
    }

    /// 409 `cluster_protocol_mismatch` (naming this node's version in the header too) for a
    /// request from a node of another version; nil when it may be served.
    static func refusal(_ request: HTTP2Request, version: UInt32) -> HTTP2Response? {
        let theirs = request.headers[ClusterProtocol.header]
        guard !ClusterProtocol.accepts(theirs, at: version) else { return nil }
        var response = APIErrors.response(for: APIError(status: 409, code: ClusterProtocol.mismatchCode, message: """
            this node speaks cluster protocol \(version), the request \(theirs.map { "names \($0)" } ?? "names none"); \
            one cluster runs one version (docs/operations.md, upgrades)
            """))
        response.headers.add(ClusterProtocol.header, String(version))
        return response
    }

    /// Sends forwarded requests to `path` on the peers of `configuration`, over the peers' client.
    static func forwarder(client: HTTP2Client, configuration: ReplicationConfiguration, path: String,
                          timeout: TimeAmount = .seconds(3)) -> ReplicationForwarder {
        return { node, bytes in
            guard let peer = configuration.peer(of: node) else { throw ReplicationError(code: "unknown_node", message: "node \(node) is not among the peers") }
            let outgoing = HTTP2ClientRequest(method: "POST", path: path,
                                              headers: HTTP2Headers([("content-type", "application/octet-stream"),
                                                                     (ClusterProtocol.header, String(configuration.clusterProtocol))]),
                                              body: ByteBuffer(bytes: bytes))
            let response = try await client.execute(outgoing, to: peer, timeout: timeout)
            if response.status == 409 {
                throw ReplicationError(code: ClusterProtocol.mismatchCode, message: """
                    node \(node) speaks cluster protocol \(response.headers[ClusterProtocol.header] ?? "?"), \
                    this node \(configuration.clusterProtocol)
                    """)
            }
            guard response.status == 200 else {
                throw ReplicationError(code: "leader_unreachable", message: "node \(node) answered \(response.status): \(String(buffer: response.body).prefix(200))")
            }
            return Array(response.body.readableBytesView)
        }
    }
}

/// Closed until the node has loaded its tickets: the public routes answer 503 `starting` meanwhile,
/// while the node-to-node routes already serve (a cluster's nodes need each other's Raft traffic
/// to elect the leaders they load from).
final class StartGate: Sendable {
    private let isOpen = NIOLockedValueBox(false)

    func open() { isOpen.withLockedValue { $0 = true } }

    var opened: Bool { isOpen.withLockedValue { $0 } }

    /// Every route but health, metrics and the node-to-node ones waits for the gate.
    func guardRoutes(of router: inout HTTP2Router) {
        router.wrapHandlers(where: { !($0 == "/health" || $0 == "/metrics" || $0.hasPrefix("/internal/")) }) { handler in
            switch handler {
            case .inline(let body):
                return .inline { [self] request in opened ? body(request) : Self.starting }
            case .async(let body):
                return .async { [self] request in opened ? try await body(request) : Self.starting }
            case .deferred(let body):
                return .deferred { [self] request, responder in
                    if opened { body(request, responder) } else { responder.respond(Self.starting) }
                }
            case .streaming(let body):
                return .streaming { [self] request, writer in
                    if opened { return try await body(request, writer) }
                    try await writer.writeHead(status: 503, headers: HTTP2Headers([("content-type", "application/json")]))
                    try await writer.write(Self.starting.body)
                    try await writer.finish()
                }
            }
        }
    }

    static var starting: HTTP2Response {
        APIErrors.response(for: APIError(status: 503, code: "starting",
                                         message: "the node is joining its cluster and loading its tickets; retry shortly"))
    }
}
