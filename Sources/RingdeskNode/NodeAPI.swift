import Foundation
import Logging
import NIOCore
import RingdeskAPI
import RingdeskDomain
import RingdeskHTTP2
import RingdeskReplication
import RingdeskService
import RingdeskStorage

/// The `/v1` ticket, agent and KPI routes. Handlers decode and validate the request, call the
/// ticket service, and encode the answer; every error becomes `{code, message}` in `APIErrors`.
struct NodeAPI: Sendable {
    let service: TicketService
    let metrics: NodeMetrics
    let logger: Logger
    let nodeID: String
    let membership: MembershipService?
    /// Longest long-poll an agent may ask for, in seconds.
    static let maxWait = 60

    func register(in router: inout HTTP2Router) {
        route(&router, "POST", "/v1/tickets", createTicket)
        route(&router, "GET", "/v1/tickets", query: Self.ticketListParameters, listTickets)
        route(&router, "GET", "/v1/tickets/{id}", getTicket)
        route(&router, "GET", "/v1/tickets/{id}/progress", progress)
        route(&router, "POST", "/v1/tickets/{id}/events", postEvent)
        route(&router, "POST", "/v1/tickets/{id}/feedback", postFeedback)
        route(&router, "GET", "/v1/agents", listAgents)
        route(&router, "PUT", "/v1/agents/{id}", putAgent)
        route(&router, "GET", "/v1/agents/{id}", getAgent)
        route(&router, "PUT", "/v1/agents/{id}/presence", putPresence)
        route(&router, "GET", "/v1/agents/{id}/offers", query: ["wait"], pollOffers)
        route(&router, "GET", "/v1/agents/{id}/assignments", agentAssignments)
        route(&router, "POST", "/v1/agents/{id}/offers/{ticket_id}/accept", acceptOffer)
        route(&router, "POST", "/v1/agents/{id}/offers/{ticket_id}/reject", rejectOffer)
        route(&router, "POST", "/v1/agents/{id}/assignments/{ticket_id}/lease", renewLease)
        route(&router, "GET", "/v1/kpis", kpis)
        route(&router, "POST", "/v1/admin/backups", backup)
        router.add("GET", "/v1/admin/backups/{name}", .streaming(downloadBackup))
        route(&router, "GET", "/v1/admin/policy", policy)
        route(&router, "GET", "/v1/admin/routing", routing)
        route(&router, "GET", "/v1/cluster/members", clusterMembers)
        route(&router, "GET", "/v1/cluster/shards", clusterShards)
        route(&router, "POST", "/internal/swim", swimMessage)
        router.add("GET", "/dashboard", .inline { _ in
            HTTP2Response(status: 200, headers: HTTP2Headers([("content-type", "text/html; charset=utf-8"), ("cache-control", "no-cache")]),
                          body: ByteBuffer(string: DashboardPage.html))
        })
        streamingRoute(&router, "/v1/dashboard/stream", query: ["interval"], streamDashboard)
        streamingRoute(&router, "/v1/agents/{id}/offers/stream", streamOffers)
    }

    /// A long-lived NDJSON stream; one that ends because the client left counts as status 499.
    /// Query parameters outside `query` are refused before the stream starts.
    private func streamingRoute(_ router: inout HTTP2Router, _ template: String, query: Set<String> = [],
                                _ body: @escaping @Sendable (HTTP2Request, HTTP2ResponseWriter) async throws -> Void) {
        let metrics = self.metrics
        router.add("GET", template, .streaming { request, writer in
            let start = ContinuousClock.now
            if let refusal = Self.unknownParameter(request, allowed: query) {
                let response = APIErrors.response(for: refusal)
                try await writer.writeHead(status: response.status, headers: response.headers)
                try await writer.write(response.body)
                metrics.record(route: template, method: "GET", status: response.status, since: start)
                return
            }
            do {
                try await body(request, writer)
            } catch {
                metrics.record(route: request.routeTemplate, method: request.method, status: 499, since: start)
                throw error
            }
        })
    }

    /// A JSON route: errors become `{code, message}`, every answer carries `x-request-id`, and
    /// query parameters outside `query` are refused (`unknown_parameter`) on every route alike.
    private func route(_ router: inout HTTP2Router, _ method: String, _ template: String, query: Set<String> = [],
                       _ body: @escaping @Sendable (HTTP2Request) async throws -> HTTP2Response) {
        let metrics = self.metrics
        let logger = self.logger
        router.add(method, template, .async { request in
            let start = ContinuousClock.now
            let requestID = Self.requestID(request)
            var response: HTTP2Response
            do {
                if let refusal = Self.unknownParameter(request, allowed: query) { throw refusal }
                response = try await body(request)
            } catch {
                response = APIErrors.response(for: error)
            }
            metrics.record(route: template, method: method, status: response.status, since: start)
            response.headers.add("x-request-id", requestID)
            // Ids only (request, route, ticket or agent from the path): never bodies or customer data.
            let elapsed = ContinuousClock.now - start
            var fields: Logger.Metadata = [
                "request_id": "\(requestID)", "route": "\(template)", "method": "\(method)", "status": "\(response.status)",
                "ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ]
            for (name, value) in request.pathParameters { fields[name == "id" && template.hasPrefix("/v1/agents") ? "agent_id" : name == "id" ? "ticket_id" : name] = "\(value)" }
            logger.log(level: response.status >= 500 ? .warning : .debug, "request", metadata: fields)
            return response
        })
    }

    // MARK: Tickets

    @Sendable func createTicket(_ request: HTTP2Request) async throws -> HTTP2Response {
        let draft = try APIJSON.decode(TicketDraft.self, from: request, schema: .ticketDraft)
        let key = request.headers["idempotency-key"]
        if let key, key.isEmpty || key.utf8.count > 128 {
            throw APIError(status: 400, code: "invalid_idempotency_key", message: "Idempotency-Key must be 1 to 128 characters")
        }
        // A blank header names no channel: the default, so that every recorded actor has an id.
        let intake = (request.headers["x-ringdesk-intake"] ?? "").trimmingCharacters(in: .whitespaces)
        let source = intake.isEmpty ? "api" : String(intake.prefix(64))
        let result = try await service.create(draft, idempotencyKey: key, by: .intake(source))
        let headers = [("location", "/v1/tickets/\(result.ticket.id)")]
        if let document = result.document {
            var response = HTTP2Response.json(ByteBuffer(bytes: document), status: 201)
            for (name, value) in headers { response.headers.add(name, value) }
            return response
        }
        return try APIJSON.response(result.ticket, status: result.created ? 201 : 200, headers: headers)
    }

    @Sendable func getTicket(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(try await service.ticket(try parameter(request, "id")))
    }

    @Sendable func progress(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(CustomerProgressView(ticket: try await service.ticket(try parameter(request, "id"))))
    }

    @Sendable func listTickets(_ request: HTTP2Request) async throws -> HTTP2Response {
        let items = request.queryItems
        var filter = TicketFilter()
        if let statuses = items["status"] {
            filter.statuses = try statuses.split(separator: ",").map { try enumValue(TicketStatus.self, String($0), field: "status").rawValue }
        }
        filter.urgency = try items["urgency"].map { try enumValue(Urgency.self, $0, field: "urgency").rawValue }
        filter.category = try items["category"].map { try enumValue(TicketCategory.self, $0, field: "category").rawValue }
        filter.channel = try items["channel"].map { try enumValue(Channel.self, $0, field: "channel").rawValue }
        filter.region = items["region"]
        filter.agentID = items["agent_id"]
        filter.customerID = items["customer_id"]
        filter.queue = items["queue"]
        filter.createdFrom = try items["created_from"].map { try date($0, field: "created_from").timeIntervalSince1970 }
        filter.createdBefore = try items["created_before"].map { try date($0, field: "created_before").timeIntervalSince1970 }
        switch items["order"] {
        case nil, "oldest": filter.order = .oldestFirst
        case "newest": filter.order = .newestFirst
        case let other?: throw APIError(status: 400, code: "invalid_parameter", message: "order must be 'oldest' or 'newest', got '\(other)'")
        }
        if let text = items["limit"] {
            guard let limit = Int(text), TicketFilter.limits.contains(limit) else {
                throw APIError(status: 400, code: "invalid_parameter", message: "limit must be an integer from \(TicketFilter.limits.lowerBound) to \(TicketFilter.limits.upperBound)")
            }
            filter.limit = limit
        }
        filter.cursor = items["cursor"]
        let page = try await service.list(filter)
        return try APIJSON.response(TicketListResponse(tickets: page.tickets, nextCursor: page.nextCursor))
    }

    static func command(for event: TicketEventRequest) throws -> TicketCommand {
        func required(_ value: String?, _ field: String) throws -> String {
            guard let value, !value.isEmpty else {
                throw APIError(status: 400, code: "invalid_field", message: "\(field) is required for a '\(event.type)' event")
            }
            return value
        }
        switch event.type {
        case "comment": return .comment(text: try required(event.text, "text"), internal: event.internal ?? false)
        case "start_work": return .startWork
        case "request_customer_info": return .requestCustomerInfo(question: try required(event.question ?? event.text, "question"))
        case "customer_reply": return .customerReply(text: try required(event.text, "text"))
        case "transfer": return .transfer(queue: try required(event.queue, "queue"), requiredSkills: event.requiredSkills)
        case "escalate": return .escalate(reason: try required(event.reason, "reason"))
        case "resolve": return .resolve(note: event.note ?? event.text ?? "")
        case "close": return .close
        case "reopen": return .reopen(reason: try required(event.reason, "reason"))
        case "cancel": return .cancel(reason: try required(event.reason, "reason"))
        case "override_urgency": return .overrideUrgency(event.urgency)
        default:
            throw APIError(status: 400, code: "invalid_field", message: "type must be one of \(TicketEventRequest.types.joined(separator: ", ")); got '\(event.type)'")
        }
    }

    @Sendable func postEvent(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        let event = try APIJSON.decode(TicketEventRequest.self, from: request, schema: .event)
        let command = try Self.command(for: event)
        let actor = try validated(event.actor ?? .supervisor("api"))
        return try APIJSON.response(try await service.apply(command, to: id, by: actor))
    }

    @Sendable func postFeedback(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        let feedback = try APIJSON.decode(FeedbackRequest.self, from: request, schema: .feedback)
        let customer = try await service.ticket(id).customer.id
        let ticket = try await service.apply(.feedback(rating: feedback.rating, comment: feedback.comment ?? ""), to: id, by: .customer(customer))
        return try APIJSON.response(ticket)
    }

    // MARK: Agents

    @Sendable func listAgents(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(AgentListResponse(agents: await service.allAgents()))
    }

    @Sendable func getAgent(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(try await service.agent(try parameter(request, "id")))
    }

    @Sendable func putAgent(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        // The path names the agent; a body `id`, when given, must agree.
        var body = request
        if let object = try? JSONSerialization.jsonObject(with: Data(request.body.readableBytesView)) as? [String: Any] {
            if let bodyID = object["id"] as? String, bodyID != id {
                throw APIError(status: 400, code: "invalid_field", message: "id in the body ('\(bodyID)') differs from the path ('\(id)')")
            }
            var withID = object
            withID["id"] = id
            body.body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: withID))
        }
        let profile = try APIJSON.decode(AgentProfile.self, from: body, schema: .agentProfile)
        let result = try await service.upsertAgent(profile)
        return try APIJSON.response(result.agent, status: result.created ? 201 : 200)
    }

    @Sendable func putPresence(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        let body = try APIJSON.decode(PresenceRequest.self, from: request, schema: .presence)
        return try APIJSON.response(try await service.setPresence(body.presence, agentID: id))
    }

    /// Long-poll: answers at once when offers are waiting, else when one arrives or `wait` passes.
    @Sendable func pollOffers(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        let waitText = request.queryItems["wait"] ?? "0"
        guard let wait = Int(waitText), (0...Self.maxWait).contains(wait) else {
            throw APIError(status: 400, code: "invalid_parameter", message: "wait must be an integer number of seconds from 0 to \(Self.maxWait)")
        }
        var offers = try await service.offers(for: id)
        if offers.isEmpty && wait > 0 {
            let stream = try await service.subscribe(agentID: id)
            _ = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in stream { return true }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(wait))
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            offers = try await service.offers(for: id)
        }
        return try APIJSON.response(AgentOffersResponse(agentID: id, offers: offers))
    }

    /// The assignment stream: one NDJSON line per offer (`{"type":"offer","ticket":{…}}`), current
    /// offers first, and `{"type":"heartbeat"}` every 15 s so idle connections stay observable.
    func streamOffers(_ request: HTTP2Request, _ writer: HTTP2ResponseWriter) async throws {
        let stream: AsyncStream<Ticket>
        do {
            stream = try await service.subscribe(agentID: try parameter(request, "id"))
        } catch {
            let response = APIErrors.response(for: error)
            try await writer.writeHead(status: response.status, headers: response.headers)
            try await writer.write(response.body)
            return
        }
        try await writer.writeHead(status: 200, headers: HTTP2Headers([("content-type", "application/x-ndjson")]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(15))
                    try await writer.write("{\"type\":\"heartbeat\"}\n")
                }
            }
            group.addTask {
                for await ticket in stream {
                    var line = ByteBuffer(string: "{\"type\":\"offer\",\"ticket\":")
                    line.writeBytes(TicketJSONWriter.apiDocument(ticket))
                    line.writeString("}\n")
                    try await writer.write(line)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The live dashboard's feed: one snapshot line (NDJSON) now and every `interval` seconds
    /// (0.2 to 60, default 1) until the client goes away.
    func streamDashboard(_ request: HTTP2Request, _ writer: HTTP2ResponseWriter) async throws {
        var interval = 1.0
        if let text = request.queryItems["interval"] {
            guard let value = Double(text), value >= 0.2, value <= 60 else {
                let response = APIErrors.response(for: APIError(status: 400, code: "invalid_parameter", message: "interval must be between 0.2 and 60 seconds"))
                try await writer.writeHead(status: response.status, headers: response.headers)
                try await writer.write(response.body)
                return
            }
            interval = value
        }
        try await writer.writeHead(status: 200, headers: HTTP2Headers([("content-type", "application/x-ndjson"), ("cache-control", "no-cache")]))
        let encoder = APIJSON.encoder()
        while !Task.isCancelled {
            var line = ByteBuffer(string: "{\"type\":\"snapshot\",\"snapshot\":")
            var snapshot = await service.dashboardSnapshot(node: membership?.name ?? nodeID)
            if let membership {
                snapshot.cluster = membership.members().map { .init(node: $0.name, status: $0.status, region: $0.region.isEmpty ? nil : $0.region) }
            }
            line.writeBytes(try encoder.encode(snapshot))
            line.writeString("}\n")
            try await writer.write(line)
            try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
        }
    }

    @Sendable func agentAssignments(_ request: HTTP2Request) async throws -> HTTP2Response {
        let id = try parameter(request, "id")
        return try APIJSON.response(AgentAssignmentsResponse(agentID: id, tickets: try await service.assignments(for: id)))
    }

    @Sendable func acceptOffer(_ request: HTTP2Request) async throws -> HTTP2Response {
        let agentID = try parameter(request, "id")
        _ = try await service.agent(agentID)
        let ticket = try await service.apply(.acceptOffer(agentID: agentID), to: try parameter(request, "ticket_id"), by: .agent(agentID))
        return try APIJSON.response(ticket)
    }

    @Sendable func rejectOffer(_ request: HTTP2Request) async throws -> HTTP2Response {
        let agentID = try parameter(request, "id")
        _ = try await service.agent(agentID)
        let ticket = try await service.apply(.rejectOffer(agentID: agentID), to: try parameter(request, "ticket_id"), by: .agent(agentID))
        return try APIJSON.response(ticket)
    }

    /// The holder's client keeps its assignment alive; without renewals the lease lapses and
    /// the ticket goes back to the head of its queue.
    @Sendable func renewLease(_ request: HTTP2Request) async throws -> HTTP2Response {
        let agentID = try parameter(request, "id")
        let ticketID = try parameter(request, "ticket_id")
        _ = try await service.agent(agentID)
        let expiresAt = try await service.renewLease(ticketID: ticketID, agentID: agentID)
        return try APIJSON.response(LeaseResponse(ticketID: ticketID, agentID: agentID, leaseExpiresAt: expiresAt))
    }

    @Sendable func kpis(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(await service.kpis())
    }

    // MARK: Operations

    /// The policy in effect (triage rules, SLA targets and calendars, offer timeout…), so an
    /// operator can check what a configuration reload applied.
    @Sendable func policy(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(await service.policy)
    }

    /// The membership as this node sees it (itself first).
    @Sendable func clusterMembers(_ request: HTTP2Request) async throws -> HTTP2Response {
        let members = membership?.members() ?? [ClusterMember(
            name: nodeID, id: "", status: "alive", incarnation: 0, region: "", zone: "", address: nodeID, load: 0,
            version: RingdeskNode.version, isSelf: true)]
        return try APIJSON.response(ClusterMembersResponse(node: membership?.name ?? nodeID, clustered: membership != nil, members: members))
    }

    /// The ticket shards this node hosts: each one's role, leader, term, commit and applied index
    /// and lag (committed, not yet applied). Empty with the single-node store.
    @Sendable func clusterShards(_ request: HTTP2Request) async throws -> HTTP2Response {
        guard let journal = service.journal as? ShardTicketJournal else {
            return try APIJSON.response(ClusterShardsResponse(node: nodeID, ticketStore: "sqlite", shards: []))
        }
        func shard(_ group: ReplicationGroupStatus) -> ClusterShardsResponse.Shard {
            ClusterShardsResponse.Shard(shard: group.group, role: group.role, leader: group.leader, term: group.term,
                                        commitIndex: group.commitIndex, appliedIndex: group.appliedIndex,
                                        lag: group.commitIndex &- min(group.commitIndex, group.appliedIndex), voters: group.voters,
                                        halted: group.halted)
        }
        let routing = (service.directory as? RoutingDirectory)?.host.status.first.map(shard)
        var refusedBy: [String: UInt32] = [:]
        for (peer, version) in journal.host.protocolRefusals { refusedBy[String(peer)] = version }
        return try APIJSON.response(ClusterShardsResponse(node: nodeID, ticketStore: "shards", shards: journal.host.status.map(shard),
                                                          routing: routing, replicaID: journal.host.configuration.nodeID,
                                                          clusterProtocol: journal.host.configuration.clusterProtocol, refusedBy: refusedBy))
    }

    /// A SWIM protocol message from a peer (binary `SWIMCodec` body); answered at once with 204.
    @Sendable func swimMessage(_ request: HTTP2Request) async throws -> HTTP2Response {
        guard let membership else {
            throw APIError(status: 404, code: "not_clustered", message: "this node runs without a cluster section in its configuration")
        }
        do {
            try membership.receive(Array(request.body.readableBytesView))
        } catch {
            throw APIError(status: 400, code: "invalid_swim_message", message: "\(error)")
        }
        return HTTP2Response(status: 204)
    }

    /// The routing engine's effective configuration (weights, relaxation timers, lease).
    @Sendable func routing(_ request: HTTP2Request) async throws -> HTTP2Response {
        try APIJSON.response(await service.routingConfiguration)
    }

    // MARK: Helpers

    /// The filters of `GET /v1/tickets`.
    static let ticketListParameters: Set<String> = ["status", "urgency", "region", "category", "channel", "agent_id", "customer_id",
                                                    "queue", "created_from", "created_before", "order", "limit", "cursor"]

    /// The first query parameter the route does not take, as the error that refuses it.
    static func unknownParameter(_ request: HTTP2Request, allowed: Set<String>) -> APIError? {
        guard let unknown = request.queryItems.keys.sorted().first(where: { !allowed.contains($0) }) else { return nil }
        let accepted = allowed.isEmpty ? "this route takes no query parameters" : "allowed: \(allowed.sorted().joined(separator: ", "))"
        return APIError(status: 400, code: "unknown_parameter", message: "unknown query parameter '\(unknown)'; \(accepted)")
    }

    /// The caller's `x-request-id` when it is a short token, else a fresh one.
    static func requestID(_ request: HTTP2Request) -> String {
        if let given = request.headers["x-request-id"], (1...64).contains(given.utf8.count),
           given.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") ||
                                   (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) }) {
            return given
        }
        return String(UUID().uuidString.prefix(18)).lowercased()
    }

    private func parameter(_ request: HTTP2Request, _ name: String) throws -> String {
        guard let value = request.pathParameters[name], !value.isEmpty, value.utf8.count <= 128 else {
            throw APIError(status: 400, code: "invalid_parameter", message: "\(name) must be 1 to 128 characters")
        }
        return value
    }

    private func enumValue<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ text: String, field: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw APIError(status: 400, code: "invalid_parameter", message: "\(field) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")); got '\(text)'")
        }
        return value
    }

    private func date(_ text: String, field: String) throws -> Date {
        if let date = ISO8601Millis.date(text) { return date }
        throw APIError(status: 400, code: "invalid_parameter", message: "\(field) must be an ISO 8601 date-time such as 2026-11-24T09:30:00Z")
    }

    private func validated(_ actor: TicketActor) throws -> TicketActor {
        guard !actor.id.isEmpty, actor.id.utf8.count <= 128 else {
            throw APIError(status: 400, code: "invalid_field", message: "actor.id must be 1 to 128 characters")
        }
        return actor
    }
}
