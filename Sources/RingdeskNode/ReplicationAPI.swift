import Foundation
import Logging
import NIOCore
import RingdeskHTTP2
import RingdeskRaft
import RingdeskReplication
import RingdeskShard

/// Routes of the replicated shards: peer traffic (`/internal/raft`), commands and linearizable
/// reads of one group, and the groups' status. Any node accepts a command and forwards it (once)
/// to the group's leader, so a client never needs to know who leads.
struct ReplicationAPI: Sendable {
    let host: ShardReplicationHost
    /// Carries requests to the leader; nil answers 503 `no_leader` with the leader's id instead.
    let forwarder: HTTP2Client?
    let metrics: NodeMetrics
    let logger: Logger

    static let forwardedHeader = "x-ringdesk-forwarded"

    func register(in router: inout HTTP2Router) {
        let host = self.host
        let version = host.configuration.clusterProtocol
        router.add("POST", "/internal/raft", .inline { request in
            if let refusal = PeerRoutes.refusal(request, version: version) { return refusal }
            do {
                try host.receive(Array(request.body.readableBytesView))
                return HTTP2Response(status: 204)
            } catch {
                return APIErrors.response(for: APIError(status: 400, code: "raft_malformed", message: "\(error)"))
            }
        })
        let commandTemplate = "/v1/replication/groups/{group}/commands"
        router.add("POST", commandTemplate, .deferred { [self] request, responder in
            let start = ContinuousClock.now
            command(request) { response in
                metrics.record(route: commandTemplate, method: "POST", status: response.status, since: start)
                return response
            } answer: { make in
                responder.respond(make)
            }
        })
        route(&router, "GET", "/v1/replication/groups/{group}/tickets/{id}", readTicket)
        route(&router, "GET", "/v1/replication/status", status)
        route(&router, "POST", "/v1/admin/replication/drain", drain)
        route(&router, "POST", "/v1/admin/replication/groups/{group}/members", changeMembership)
    }

    private func route(_ router: inout HTTP2Router, _ method: String, _ template: String,
                       _ body: @escaping @Sendable (HTTP2Request) async throws -> HTTP2Response) {
        let metrics = self.metrics
        router.add(method, template, .async { request in
            let start = ContinuousClock.now
            var response: HTTP2Response
            do {
                response = try await body(request)
            } catch {
                response = APIErrors.response(for: error)
            }
            metrics.record(route: template, method: method, status: response.status, since: start)
            return response
        })
    }

    private func group(_ request: HTTP2Request) throws -> UInt32 {
        guard let text = request.pathParameters["group"], let group = UInt32(text), group < host.configuration.groups else {
            throw APIError(status: 404, code: "unknown_group",
                           message: "group must be an integer from 0 to \(host.configuration.groups - 1)")
        }
        return group
    }

    /// `POST …/commands`, the hot path: decoded on the event loop, proposed without a task, and
    /// answered (`answer` gets a builder the event loop runs; `finish` sees every response) when
    /// the entry is applied. Only forwarding to another leader takes a task.
    func command(_ request: HTTP2Request, finish: @escaping @Sendable (HTTP2Response) -> HTTP2Response,
                 answer: @escaping @Sendable (@escaping @Sendable () -> HTTP2Response) -> Void) {
        let group: UInt32
        let command: ShardCommand
        do {
            group = try self.group(request)
            let body = try ShardCommandFastJSON.decode(request.body)
                ?? APIJSON.decode(ShardCommandRequest.self, from: request, schema: .shardCommand)
            command = try body.command()
        } catch {
            return answer { finish(APIErrors.response(for: error)) }
        }
        host.propose(group: group, command: command) { [self] result in
            switch result {
            case .success(let outcome):
                answer {
                    let body = ShardCommandResponse(group: group, index: outcome.index, result: ShardResultBody(outcome.result))
                    return finish(HTTP2Response.json(ShardCommandFastJSON.encode(body)))
                }
            case .failure(let error as ReplicationError):
                Task {
                    let response: HTTP2Response
                    do { response = try await forwardOrFail(error, request) } catch { response = APIErrors.response(for: error) }
                    answer { finish(response) }
                }
            case .failure(let error):
                answer { finish(APIErrors.response(for: error)) }
            }
        }
    }

    @Sendable func readTicket(_ request: HTTP2Request) async throws -> HTTP2Response {
        let group = try group(request)
        guard let id = request.pathParameters["id"], !id.isEmpty else {
            throw APIError(status: 400, code: "invalid_parameter", message: "a ticket id is required")
        }
        do {
            let local: Bool
            switch request.queryItems["consistency"] {
            case nil, "linearizable": local = false
            case "local": local = true
            case let other?:
                throw APIError(status: 400, code: "invalid_parameter", message: "consistency must be 'linearizable' or 'local', got '\(other)'")
            }
            guard let ticket = try await host.readTicket(group: group, ticketID: id, local: local) else {
                throw APIError(status: 404, code: "ticket_not_found", message: "no ticket \(id) in group \(group)")
            }
            return try APIJSON.response(ShardTicketBody(ticket))
        } catch let error as ReplicationError {
            return try await forwardOrFail(error, request)
        }
    }

    @Sendable func status(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(ReplicationStatusBody(nodeID: host.configuration.nodeID, groups: host.status))
    }

    @Sendable func changeMembership(_ request: HTTP2Request) async throws -> HTTP2Response {
        let group = try group(request)
        let body = try APIJSON.decode(MembershipChangeRequest.self, from: request, schema: .membershipChange)
        let kind: RaftConfChange.Kind
        switch body.action {
        case "add_learner": kind = .addLearner
        case "promote": kind = .promote
        case "remove": kind = .remove
        default: throw APIError(status: 400, code: "invalid_field", message: "action must be one of add_learner, promote, remove")
        }
        guard body.node > 0 else { throw APIError(status: 400, code: "invalid_field", message: "node must be a positive replica id") }
        do {
            let index = try await host.changeMembership(group: group, RaftConfChange(kind, node: body.node))
            return try APIJSON.response(MembershipChangeResponse(group: group, index: index, action: body.action, node: body.node))
        } catch let error as ReplicationError {
            switch error.code {
            case "raft_conf_change_pending", "raft_invalid_conf_change":
                throw APIError(status: 409, code: error.code, message: error.message)
            case "unknown_node":
                throw APIError(status: 400, code: error.code, message: error.message)
            default:
                return try await forwardOrFail(error, request)
            }
        }
    }

    @Sendable func drain(_ request: HTTP2Request) async throws -> HTTP2Response {
        let started = try await host.drain()
        return try APIJSON.response(DrainBody(nodeID: host.configuration.nodeID, transfersStarted: started), status: 202)
    }

    /// A follower sends the request to the leader it knows (one hop only); anything else is an error.
    private func forwardOrFail(_ error: ReplicationError, _ request: HTTP2Request) async throws -> HTTP2Response {
        if error.code == "raft_not_leader", error.leaderHint != 0, request.headers[Self.forwardedHeader] == nil, let forwarder,
           let parsed = host.peer(of: error.leaderHint) {
            var headers = HTTP2Headers([(Self.forwardedHeader, "\(host.configuration.nodeID)")])
            if let type = request.headers["content-type"] { headers.add("content-type", type) }
            let forwarded = HTTP2ClientRequest(method: request.method, path: request.path, headers: headers,
                                               body: request.body.readableBytes > 0 ? request.body : nil)
            let leaderID = error.leaderHint
            do {
                let response = try await forwarder.execute(forwarded, to: parsed, timeout: .seconds(10))
                var headers = HTTP2Headers()
                if let type = response.headers["content-type"] { headers.add("content-type", type) }
                headers.add("x-ringdesk-leader", "\(leaderID)")
                return HTTP2Response(status: response.status, headers: headers, body: response.body)
            } catch {
                throw APIError(status: 503, code: "leader_unreachable", message: "the leader (node \(leaderID)) did not answer: \(error)")
            }
        }
        switch error.code {
        case "raft_not_leader":
            throw APIError(status: 503, code: "no_leader", message: error.leaderHint == 0
                ? "the group has no leader right now (election in progress or no majority); retry"
                : "node \(error.leaderHint) leads this group; it did not take the forwarded request")
        case "unknown_group":
            throw APIError(status: 404, code: error.code, message: error.message)
        default:
            throw APIError(status: 503, code: error.code, message: error.message)
        }
    }
}

/// `POST /v1/admin/replication/groups/{group}/members`.
struct MembershipChangeRequest: Decodable {
    var action: String
    var node: UInt64
}

struct MembershipChangeResponse: Encodable {
    var group: UInt32
    var index: UInt64
    var action: String
    var node: UInt64
}

/// `POST /v1/admin/replication/drain`.
struct DrainBody: Encodable {
    var nodeID: UInt64
    var transfersStarted: Int

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id"
        case transfersStarted = "transfers_started"
    }
}

/// `GET /v1/replication/status`.
struct ReplicationStatusBody: Encodable {
    var nodeID: UInt64
    var groups: [ReplicationGroupStatus]

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id"
        case groups
    }
}
