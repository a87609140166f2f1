import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RingdeskHTTP2
import RingdeskReplication
import RingdeskService
import RingdeskShard

/// The node-to-node routes of the ticket shards: Raft traffic (`POST /internal/raft`) and requests
/// a node forwards to the leader of a shard it does not lead (`POST /internal/tickets`: a proposal
/// or a read point, `TicketShardRequest` bytes). The leader runs them on its own replica only, so a
/// request crosses at most one hop.
struct TicketShardsAPI: Sendable {
    let journal: ShardTicketJournal

    func register(in router: inout HTTP2Router) {
        let host = journal.host
        router.add("POST", "/internal/raft", .inline { request in
            do {
                try host.receive(Array(request.body.readableBytesView))
                return HTTP2Response(status: 204)
            } catch {
                return APIErrors.response(for: APIError(status: 400, code: "raft_malformed", message: "\(error)"))
            }
        })
        let journal = self.journal
        router.add("POST", "/internal/tickets", .async { request in
            let decoded: (group: UInt32, request: TicketShardRequest)
            do {
                decoded = try TicketShardRequest.decode(Array(request.body.readableBytesView))
            } catch {
                return APIErrors.response(for: APIError(status: 400, code: "shard_request_malformed", message: "\(error)"))
            }
            guard decoded.group < host.configuration.groups else {
                return APIErrors.response(for: APIError(status: 404, code: "unknown_group", message: "no shard \(decoded.group)"))
            }
            let reply = await journal.serve(decoded.request, group: decoded.group)
            return HTTP2Response(status: 200, headers: HTTP2Headers([("content-type", "application/octet-stream")]),
                                 body: ByteBuffer(bytes: reply.encoded))
        })
    }
}

/// Sends a `TicketShardRequest` to the node that leads the shard, over the peers' HTTP/2 client.
struct HTTPTicketShardForwarder: TicketShardForwarder {
    let client: HTTP2Client
    let peers: [UInt64: HTTP2Client.Peer]
    /// A forwarded request waits at most this long (the journal retries within its own deadline).
    var timeout: TimeAmount = .seconds(3)

    func send(_ request: TicketShardRequest, group: UInt32, to node: UInt64) async throws -> TicketShardReply {
        guard let peer = peers[node] else {
            throw ReplicationError(code: "leader_unreachable", message: "node \(node) leads shard \(group) but is not among the configured peers")
        }
        let outgoing = HTTP2ClientRequest(method: "POST", path: "/internal/tickets",
                                          headers: HTTP2Headers([("content-type", "application/octet-stream")]),
                                          body: ByteBuffer(bytes: request.encoded(group: group)))
        let response: HTTP2ClientResponse
        do {
            response = try await client.execute(outgoing, to: peer, timeout: timeout)
        } catch {
            throw ReplicationError(code: "leader_unreachable", message: "node \(node) (leader of shard \(group)) did not answer: \(error)")
        }
        guard response.status == 200 else {
            let text = String(buffer: response.body)
            throw ReplicationError(code: "leader_unreachable", message: "node \(node) answered \(response.status): \(text.prefix(200))")
        }
        do {
            return try TicketShardReply(encoded: Array(response.body.readableBytesView))
        } catch {
            throw ReplicationError(code: "shard_error", message: "node \(node) sent a reply this build cannot read: \(error)")
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
