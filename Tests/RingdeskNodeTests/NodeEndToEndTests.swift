import Foundation
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL
import RingdeskHTTP2
import RingdeskService
import RingdeskTestSupport
import Testing

/// A real `ringdeskd` process over real HTTP/2: intake to closed, idempotency, bad input, and
/// `kill -9` during a burst of creates.
@Suite(.serialized) struct NodeEndToEndTests {
    @Test func ticketFromIntakeToClosedWithFeedback() async throws {
        try await withNode(arguments: ["--offer-timeout", "30"]) { _, api in
            var reply = try await api.send("PUT", "/v1/agents/ana", json: ["name": "Ana", "languages": ["en"], "regions": ["eu-west"], "skills": ["refunds": 4]])
            #expect(reply.status == 201)
            reply = try await api.send("PUT", "/v1/agents/ana/presence", json: ["presence": "available"])
            #expect(reply.status == 200 && reply.json["presence"] as? String == "available")

            reply = try await api.send("POST", "/v1/tickets", json: draftJSON(), headers: [("idempotency-key", "e2e-1")])
            #expect(reply.status == 201)
            let id = try #require(reply.json["id"] as? String)
            #expect(reply.headers["location"] == "/v1/tickets/\(id)")

            // The agent long-polls and gets the offer.
            reply = try await api.send("GET", "/v1/agents/ana/offers?wait=10")
            let offers = reply.json["offers"] as? [[String: Any]] ?? []
            #expect(offers.map { $0["id"] as? String } == [id])

            reply = try await api.send("POST", "/v1/agents/ana/offers/\(id)/accept")
            #expect(reply.status == 200 && reply.json["status"] as? String == "assigned")
            // Why this agent: the offer event carries the routing score.
            let offered = (reply.json["history"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "offered" }
            let why = offered?["details"] as? [String: String] ?? [:]
            #expect(why["agent_id"] == "ana" && why["score_total"] != nil && why["relaxation_level"] != nil, "\(why)")
            // The agent's client keeps the lease alive; nobody else can.
            reply = try await api.send("POST", "/v1/agents/ana/assignments/\(id)/lease")
            #expect(reply.status == 200 && reply.json["lease_expires_at"] is String, "\(String(decoding: reply.body, as: UTF8.self))")
            reply = try await api.send("PUT", "/v1/agents/bo", json: ["name": "Bo", "skills": ["refunds": 4]])
            reply = try await api.send("POST", "/v1/agents/bo/assignments/\(id)/lease")
            #expect(reply.status == 409 && reply.json["code"] as? String == "conflict", "\(String(decoding: reply.body, as: UTF8.self))")
            reply = try await api.send("GET", "/v1/admin/routing")
            #expect(reply.json["relaxation_steps"] as? [Double] == [0, 10, 20, 40])
            let agentActor = ["kind": "agent", "id": "ana"]
            for event: [String: Any] in [
                ["type": "start_work", "actor": agentActor],
                ["type": "comment", "text": "customer has a history of late returns", "internal": true, "actor": agentActor],
                ["type": "request_customer_info", "question": "Which bank account should we refund to?", "actor": agentActor],
                ["type": "customer_reply", "text": "The card I paid with.", "actor": ["kind": "customer", "id": "C-1"]],
                ["type": "resolve", "note": "Refund issued to the original card.", "actor": agentActor],
            ] {
                reply = try await api.send("POST", "/v1/tickets/\(id)/events", json: event)
                #expect(reply.status == 200, "\(event["type"]!): \(String(decoding: reply.body, as: UTF8.self))")
            }
            #expect(reply.json["status"] as? String == "resolved")

            reply = try await api.send("POST", "/v1/tickets/\(id)/feedback", json: ["rating": 5, "comment": "Quick and friendly"])
            #expect(reply.status == 200)
            #expect((reply.json["feedback"] as? [String: Any])?["rating"] as? Int == 5)
            #expect(reply.json["follow_up_ticket_id"] == nil)
            reply = try await api.send("POST", "/v1/tickets/\(id)/events", json: ["type": "close"])
            #expect(reply.json["status"] as? String == "closed")

            reply = try await api.send("GET", "/v1/tickets/\(id)")
            let history = (reply.json["history"] as? [[String: Any]] ?? []).compactMap { $0["to"] as? String }
            #expect(history == ["new", "queued", "offered", "assigned", "in_progress", "in_progress", "waiting_on_customer", "in_progress", "resolved", "resolved", "closed"])

            // The customer's view never shows the internal note.
            reply = try await api.send("GET", "/v1/tickets/\(id)/progress")
            #expect(reply.status == 200)
            let view = String(decoding: reply.body, as: UTF8.self)
            #expect(!view.contains("late returns"))
            #expect(view.contains("Which bank account"))

            // The feedback is the ticket's customer's, and the agent's resolved ticket stays findable.
            let feedbackEvent = history.isEmpty ? nil : (try await api.send("GET", "/v1/tickets/\(id)")).json["history"] as? [[String: Any]]
            let actor = feedbackEvent?.first { $0["kind"] as? String == "feedback_received" }?["actor"] as? [String: String]
            #expect(actor == ["kind": "customer", "id": "C-1"])
            reply = try await api.send("GET", "/v1/tickets?agent_id=ana")
            #expect((reply.json["tickets"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])

            reply = try await api.send("GET", "/v1/kpis")
            let overall = try #require(reply.json["overall"] as? [String: Any])
            #expect(overall["csat_average"] as? Double == 5)
        }
    }

    @Test func offersArriveOnTheStreamAndByLongPollWhileWaiting() async throws {
        try await withNode { node, api in
            _ = try await api.send("PUT", "/v1/agents/cy", json: ["name": "Cy", "skills": ["refunds": 3], "channel_capacity": ["chat": 2]])
            _ = try await api.send("PUT", "/v1/agents/cy/presence", json: ["presence": "available"])
            // The agent's client opens the assignment stream before any ticket exists.
            let stream = try await api.client.stream(HTTP2ClientRequest(path: "/v1/agents/cy/offers/stream"), to: node.peer, timeout: .seconds(10))
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"] == "application/x-ndjson")
            let first = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-s1")).json["id"] as? String)
            var lines: [[String: Any]] = []
            var buffer = ""
            for try await chunk in stream.body {
                buffer += String(buffer: chunk)
                while let newline = buffer.firstIndex(of: "\n") {
                    let line = String(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["type"] as? String == "offer" {
                        lines.append(object)
                    }
                }
                if !lines.isEmpty { break }  // dropping the iterator resets the stream
            }
            #expect((lines.first?["ticket"] as? [String: Any])?["id"] as? String == first)

            #expect(try await api.send("POST", "/v1/agents/cy/offers/\(first)/accept").status == 200)

            // With no offer outstanding, a long-poll waits and returns when the next offer is made.
            let clock = ContinuousClock()
            let start = clock.now
            async let polled = api.send("GET", "/v1/agents/cy/offers?wait=20")
            // Whichever reaches the node first, the poll must answer with exactly the new offer.
            let second = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-s2")).json["id"] as? String)
            let offers = (try await polled).json["offers"] as? [[String: Any]] ?? []
            #expect(offers.compactMap { $0["id"] as? String } == [second])
            #expect(clock.now - start < .seconds(15), "the poll returned on the offer, not at its timeout")
            // Capacity 2 on chat (one held, one offered): a third chat ticket waits in the queue.
            let third = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-s3")).json["id"] as? String)
            let held = try await api.send("GET", "/v1/agents/cy/offers")
            #expect(!((held.json["offers"] as? [[String: Any]])?.contains { $0["id"] as? String == third } ?? true))
            #expect(try await api.send("GET", "/v1/tickets/\(third)").json["status"] as? String == "queued")
        }
    }

    @Test func lowRatingOpensALinkedCallBack() async throws {
        try await withNode { _, api in
            _ = try await api.send("PUT", "/v1/agents/bo", json: ["name": "Bo", "skills": ["refunds": 3]])
            _ = try await api.send("PUT", "/v1/agents/bo/presence", json: ["presence": "available"])
            let id = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-7")).json["id"] as? String)
            _ = try await api.send("GET", "/v1/agents/bo/offers?wait=10")
            #expect(try await api.send("POST", "/v1/agents/bo/offers/\(id)/accept").status == 200)
            #expect(try await api.send("POST", "/v1/tickets/\(id)/events", json: ["type": "resolve", "actor": ["kind": "agent", "id": "bo"]]).status == 200)
            let rated = try await api.send("POST", "/v1/tickets/\(id)/feedback", json: ["rating": 1, "comment": "Still no money"])
            let followUp = try #require(rated.json["follow_up_ticket_id"] as? String)
            let callBack = try await api.send("GET", "/v1/tickets/\(followUp)")
            #expect(callBack.json["follow_up_of"] as? String == id)
            #expect(callBack.json["channel"] as? String == "phone")
            #expect(["yellow", "red"].contains(callBack.json["urgency"] as? String ?? ""))
            // Rating twice is refused and changes nothing.
            let again = try await api.send("POST", "/v1/tickets/\(id)/feedback", json: ["rating": 4])
            #expect(again.status == 409 && again.code == "feedback_exists")
        }
    }

    @Test func sameIdempotencyKeyYieldsOneTicket() async throws {
        try await withNode { _, api in
            let first = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-idem"), headers: [("idempotency-key", "shop-order-77")])
            #expect(first.status == 201)
            let id = try #require(first.json["id"] as? String)
            let second = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-idem"), headers: [("idempotency-key", "shop-order-77")])
            #expect(second.status == 200 && second.json["id"] as? String == id)
            // Many at once with a fresh key: still one ticket.
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let reply = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-idem"), headers: [("idempotency-key", "shop-order-78")])
                        return reply.json["id"] as? String ?? "missing"
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && !ids.contains("missing"))
            let list = try await api.send("GET", "/v1/tickets?customer_id=C-idem&limit=50")
            #expect((list.json["tickets"] as? [Any])?.count == 2)
        }
    }

    @Test func badInputGetsClearErrorsAndWritesNothing() async throws {
        try await withNode(arguments: ["--config", try Self.smallBodyConfig()]) { _, api in
            let ok = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-bad"))
            let id = try #require(ok.json["id"] as? String)
            var bigSubject = draftJSON(customer: "C-bad")
            bigSubject["subject"] = String(repeating: "s", count: 300)
            var wrongType = draftJSON(customer: "C-bad")
            wrongType["customer"] = ["id": "C-bad", "language": "en", "region": "eu-west", "order_value": "lots"]
            var unknownNested = draftJSON(customer: "C-bad")
            unknownNested["customer"] = ["id": "C-bad", "language": "en", "region": "eu-west", "vip": true]
            var badCategory = draftJSON(customer: "C-bad")
            badCategory["category"] = "teleport"
            var badSkill = draftJSON(customer: "C-bad")
            badSkill["required_skills"] = [["skill": "refunds", "min_level": 9]]
            let cases: [(String, String, Any?, String?, Int, String)] = [
                ("POST", "/v1/tickets", nil, "{\"category\": ", 400, "malformed_json"),
                ("POST", "/v1/tickets", nil, "[1,2]", 400, "invalid_field"),  // valid JSON, wrong shape (issue 17)
                ("POST", "/v1/tickets", draftJSON(customer: "C-bad").merging(["priority": "high"]) { $1 }, nil, 400, "unknown_field"),
                ("POST", "/v1/tickets", unknownNested, nil, 400, "unknown_field"),
                ("POST", "/v1/tickets", wrongType, nil, 400, "invalid_field"),
                ("POST", "/v1/tickets", bigSubject, nil, 400, "invalid_field"),
                ("POST", "/v1/tickets", badCategory, nil, 400, "invalid_field"),
                ("POST", "/v1/tickets", badSkill, nil, 400, "invalid_field"),
                ("POST", "/v1/tickets", ["category": "refund"], nil, 400, "invalid_field"),
                ("POST", "/v1/tickets", nil, "{\"subject\":\"" + String(repeating: "x", count: 5000) + "\"}", 413, "payload_too_large"),
                ("POST", "/v1/tickets/\(id)/events", ["type": "close"], nil, 409, "illegal_transition"),
                ("POST", "/v1/tickets/\(id)/events", ["type": "teleport"], nil, 400, "invalid_field"),
                ("POST", "/v1/tickets/\(id)/events", ["type": "cancel"], nil, 400, "invalid_field"),
                ("POST", "/v1/tickets/\(id)/feedback", ["rating": 4], nil, 409, "illegal_transition"),
                ("POST", "/v1/tickets/\(id)/feedback", ["rating": "five"], nil, 400, "invalid_field"),
                ("GET", "/v1/tickets/T-does-not-exist", nil, nil, 404, "ticket_not_found"),
                ("POST", "/v1/tickets/T-does-not-exist/events", ["type": "close"], nil, 404, "ticket_not_found"),
                ("GET", "/v1/agents/nobody", nil, nil, 404, "agent_not_found"),
                ("PUT", "/v1/agents/nobody/presence", ["presence": "available"], nil, 404, "agent_not_found"),
                ("PUT", "/v1/agents/x1/presence", ["presence": "asleep"], nil, 400, "invalid_field"),
                ("PUT", "/v1/agents/x1", ["name": "X", "skills": ["refunds": 7]], nil, 400, "invalid_field"),
                ("POST", "/v1/agents/nobody/offers/\(id)/accept", nil, nil, 404, "agent_not_found"),
                ("GET", "/v1/tickets?status=lost", nil, nil, 400, "invalid_parameter"),
                ("GET", "/v1/tickets?limit=0", nil, nil, 400, "invalid_parameter"),
                ("GET", "/v1/tickets?colour=red", nil, nil, 400, "unknown_parameter"),
                ("GET", "/v1/tickets?cursor=%%%", nil, nil, 400, "invalid_argument"),
                ("GET", "/v1/agents/x1/offers?wait=999", nil, nil, 400, "invalid_parameter"),
                ("DELETE", "/v1/tickets/\(id)", nil, nil, 405, "method_not_allowed"),
            ]
            for (method, path, json, raw, status, code) in cases {
                let reply = try await api.send(method, path, json: json, raw: raw)
                #expect(reply.status == status && reply.code == code, "\(method) \(path) \(raw?.prefix(40) ?? ""): got \(reply.status) \(String(decoding: reply.body.prefix(300), as: UTF8.self))")
                #expect((reply.json["message"] as? String)?.isEmpty == false)
            }
            // Nothing half-written: still exactly one ticket for the customer, unchanged.
            let list = try await api.send("GET", "/v1/tickets?customer_id=C-bad")
            let tickets = list.json["tickets"] as? [[String: Any]] ?? []
            #expect(tickets.count == 1)
            #expect(tickets.first?["status"] as? String == "queued")
            #expect((tickets.first?["history"] as? [Any])?.count == 2)
            #expect(try await api.send("GET", "/v1/agents/x1").status == 404)
        }
    }

    @Test func nodeServesTheAPIOverTLS() async throws {
        let material = try await makeSelfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        let configuration = try tlsClientConfiguration(trusting: material.certificate)
        try await withNode(arguments: ["--tls-cert", material.certificate, "--tls-key", material.key], client: configuration) { _, api in
            let created = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-tls"))
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? String)
            #expect(try await api.send("GET", "/v1/tickets/\(id)").json["customer"] as? [String: Any] != nil)
        }
    }

    @Test func backupSnapshotRestoresOnAnotherNode() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let node = try NodeProcess()
        let restored = try NodeProcess()
        defer {
            node.stop()
            restored.stop()
            node.removeData()
            restored.removeData()
        }
        try await node.start(client: client)
        let api = APIClient(client: client, peer: node.peer)
        var ids: [String] = []
        for index in 0..<25 {
            ids.append(try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-b\(index)")).json["id"] as? String))
        }
        _ = try await api.send("POST", "/v1/tickets/\(ids[0])/events", json: ["type": "comment", "text": "before backup"])
        let backup = try await api.send("POST", "/v1/admin/backups")
        #expect(backup.status == 201)
        let path = try #require(backup.json["path"] as? String)
        #expect(path.hasPrefix(node.dataDirectory.path))
        #expect((backup.json["bytes"] as? Int ?? 0) > 0)
        // Written after the snapshot: must not be in it.
        let later = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-after")).json["id"] as? String)

        // Restore: the snapshot becomes another node's database.
        try FileManager.default.createDirectory(at: restored.dataDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path, toPath: restored.dataDirectory.appendingPathComponent("ringdesk.sqlite").path)
        try await restored.start(client: client)
        let api2 = APIClient(client: client, peer: restored.peer)
        for id in ids { #expect(try await api2.send("GET", "/v1/tickets/\(id)").status == 200) }
        let first = try await api2.send("GET", "/v1/tickets/\(ids[0])")
        #expect((first.json["history"] as? [[String: Any]])?.last?["reason"] as? String == "before backup")
        #expect(try await api2.send("GET", "/v1/tickets/\(later)").status == 404)
        await client.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func sighupReloadsThePolicyAndABadFileKeepsTheOldOne() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-reload-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: config) }
        try Data(#"{"policy": {"offer_timeout": 30}}"#.utf8).write(to: config)
        try await withNode(arguments: ["--config", config.path], oneProcess: true) { node, api in
            #expect(try await api.send("GET", "/v1/admin/policy").json["offer_timeout"] as? Double == 30)
            try Data(#"{"policy": {"offer_timeout": 7, "max_delivery_attempts": 2}}"#.utf8).write(to: config)
            kill(node.pid, SIGHUP)
            var policy: [String: Any] = [:]
            for _ in 0..<500 {  // bounded: about 5 s
                policy = try await api.send("GET", "/v1/admin/policy").json
                if policy["offer_timeout"] as? Double == 7 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(policy["offer_timeout"] as? Double == 7)
            #expect(policy["max_delivery_attempts"] as? Int == 2)
            // Offers made from now on use the new timeout.
            _ = try await api.send("PUT", "/v1/agents/di", json: ["name": "Di", "skills": ["refunds": 3]])
            _ = try await api.send("PUT", "/v1/agents/di/presence", json: ["presence": "available"])
            _ = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-reload"))
            let offer = try #require(((try await api.send("GET", "/v1/agents/di/offers?wait=10")).json["offers"] as? [[String: Any]])?.first?["offer"] as? [String: Any])
            let offered = try #require((offer["offered_at"] as? String).flatMap(ISO8601Millis.date))
            let expires = try #require((offer["expires_at"] as? String).flatMap(ISO8601Millis.date))
            #expect(abs(expires.timeIntervalSince(offered) - 7) < 0.01)

            // A broken file is refused; the node keeps the policy it has and keeps serving.
            try Data(#"{"policy": {"offer_timeout": "soon"}}"#.utf8).write(to: config)
            kill(node.pid, SIGHUP)
            #expect(try await api.send("GET", "/health").status == 200)
            #expect(try await api.send("GET", "/v1/admin/policy").json["offer_timeout"] as? Double == 7)
        }
    }

    @Test func metricsUseRouteTemplatesAndTraceLogsCarryNoCustomerData() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-log-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: log) }
        try await withNode(logFile: log, oneProcess: true) { node, api in
            // Personal data that must never reach the log.
            var draft = draftJSON(customer: "CUST-ZX81-PRIVATE", subject: "Refund for Jane Q. Sample, jane.sample@example.org")
            draft["body"] = "Call me on +44 7700 900123, I live at 221B Baker Street."
            _ = try await api.send("PUT", "/v1/agents/ed", json: ["name": "Ed", "skills": ["refunds": 3]])
            _ = try await api.send("PUT", "/v1/agents/ed/presence", json: ["presence": "available"])
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(try #require(try await api.send("POST", "/v1/tickets", json: draft).json["id"] as? String))
            }
            _ = try await api.send("GET", "/v1/agents/ed/offers?wait=5")
            _ = try await api.send("POST", "/v1/agents/ed/offers/\(ids[0])/accept")
            _ = try await api.send("POST", "/v1/tickets/\(ids[0])/events", json: ["type": "comment", "text": "Spoke to Jane Q. Sample", "internal": true])
            for id in ids { _ = try await api.send("GET", "/v1/tickets/\(id)") }
            _ = try await api.send("GET", "/v1/tickets/T-missing")
            _ = try await api.send("POST", "/v1/tickets", raw: "{broken")

            let metrics = String(decoding: try await api.send("GET", "/metrics").body, as: UTF8.self)
            for name in ["ringdesk_http_requests_total", "ringdesk_http_request_duration_seconds_bucket", "ringdesk_tickets_open",
                         "ringdesk_queue_depth", "ringdesk_queue_depth_by_region", "ringdesk_storage_transactions_total",
                         "ringdesk_storage_batch_size_average", "ringdesk_storage_batch_size_bucket", "ringdesk_storage_commit_seconds_bucket",
                         "ringdesk_offers_total", "ringdesk_offer_outcomes_total", "ringdesk_assignment_latency_seconds_bucket",
                         "ringdesk_lease_lapses_total", "ringdesk_review_moves_total", "ringdesk_sla_at_risk", "ringdesk_sla_breached_open",
                         "ringdesk_sla_breaches_total"] {
                #expect(metrics.contains(name), "missing metric \(name)")
            }
            #expect(metrics.contains(#"ringdesk_offer_outcomes_total{outcome="accepted"} 1"#))
            #expect(metrics.contains(#"ringdesk_queue_depth_by_region{urgency="yellow",region="eu-west"}"#) ||
                    metrics.contains(#"ringdesk_queue_depth_by_region{urgency="green",region="eu-west"}"#))
            // Bounded labels: every label value comes from a fixed set or a route template.
            let allowed: [String: (String) -> Bool] = [
                "route": { $0.hasPrefix("/") && !$0.contains("T-") }, "method": { ["GET", "POST", "PUT"].contains($0) },
                "status": { Int($0) != nil || ["new", "queued", "offered", "assigned", "in_progress", "waiting_on_customer"].contains($0) }, "urgency": { ["red", "yellow", "green"].contains($0) },
                "region": { ["eu-west", "other"].contains($0) }, "clock": { ["first_response", "resolution"].contains($0) },
                "outcome": { ["accepted", "rejected", "expired", "committed", "unknown", "refused"].contains($0) }, "le": { _ in true },
                // The ticket shards' Raft metrics (`--ticket-store shards`).
                "role": { ["leader", "follower", "candidate", "preCandidate"].contains($0) },
            ]
            for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
                guard let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") else { continue }
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    let value = parts.count == 2 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : ""
                    #expect(allowed[parts[0]]?(value) == true, "unexpected label \(pair) in \(line)")
                }
            }
            #expect(metrics.contains(#"ringdesk_http_requests_total{route="/v1/tickets/{id}",method="GET",status="200"} 3"#))
            #expect(metrics.contains(#"route="/v1/tickets/{id}",method="GET",status="404"} 1"#))
            // Labels are route templates: no ticket id, customer or path value appears in them.
            for id in ids + ["T-missing", "CUST-ZX81-PRIVATE"] { #expect(!metrics.contains(id), "\(id) leaked into a label") }

            node.stop()  // flushes and closes the log
            let text = String(decoding: try Data(contentsOf: log), as: UTF8.self)
            #expect(text.contains("listening"), "the log was captured at trace level")
            for secret in ["CUST-ZX81-PRIVATE", "Jane", "jane.sample@example.org", "7700 900123", "Baker Street"] {
                #expect(!text.contains(secret), "personal data '\(secret)' in the log")
            }
        }
    }

    @Test func jsonLogsCarryRequestIDs() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-jsonlog-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: log) }
        try await withNode(arguments: ["--log-format", "json"], logFile: log, oneProcess: true) { node, api in
            let given = try await api.send("GET", "/v1/tickets/T-nope", headers: [("x-request-id", "req-42")])
            #expect(given.status == 404 && given.headers["x-request-id"] == "req-42")
            let generated = try await api.send("GET", "/v1/agents", headers: [("x-request-id", "not a token!")])
            let fresh = try #require(generated.headers["x-request-id"])
            #expect(fresh != "not a token!" && !fresh.isEmpty)
            node.stop()
            let lines = String(decoding: try Data(contentsOf: log), as: UTF8.self).split(separator: "\n")
            var records: [[String: Any]] = []
            for line in lines {
                let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                #expect(record["ts"] is String && record["level"] is String && record["msg"] is String)
                records.append(record)
            }
            let requests = records.filter { $0["msg"] as? String == "request" }
            #expect(requests.contains { $0["request_id"] as? String == "req-42" && $0["route"] as? String == "/v1/tickets/{id}"
                && $0["ticket_id"] as? String == "T-nope" && $0["status"] as? String == "404" })
            #expect(requests.contains { $0["request_id"] as? String == fresh && $0["route"] as? String == "/v1/agents" })
        }
    }

    static func smallBodyConfig() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-config-\(UUID().uuidString).json")
        try Data(#"{"max_request_body_bytes": 4096}"#.utf8).write(to: path)
        return path.path
    }

    @Test func killNineDuringCreateBurstLosesNothingAcknowledged() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let client = try HTTP2Client(group: group)
        let node = try NodeProcess()
        defer {
            node.stop()
            node.removeData()
        }
        try await node.start(client: client)
        let api = APIClient(client: client, peer: node.peer)
        let acknowledged = NIOLockedValueBox<[String]>([])
        let killAfter = 400
        let pid = node.pid
        // 64 concurrent writers, each creating until the node dies (bounded per writer).
        await withTaskGroup(of: Void.self) { tasks in
            for writer in 0..<64 {
                tasks.addTask {
                    for index in 0..<200 {
                        guard let reply = try? await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-\(writer)-\(index)")),
                              reply.status == 201, let id = reply.json["id"] as? String else { return }
                        let count = acknowledged.withLockedValue { $0.append(id); return $0.count }
                        if count == killAfter { kill(pid, SIGKILL) }
                    }
                }
            }
        }
        node.kill9()  // reaps the process (already killed by the writer that saw ack number 400)
        let acked = acknowledged.withLockedValue { $0 }
        #expect(acked.count >= killAfter)
        #expect(node.process?.terminationReason == .uncaughtSignal)

        // Restart on the same data: every acknowledged ticket is there.
        let restarted = try NodeProcess(dataDirectory: node.dataDirectory)
        defer { restarted.stop() }
        try await restarted.start(client: client)
        let api2 = APIClient(client: client, peer: restarted.peer)
        var missing: [String] = []
        for id in acked {
            let reply = try await api2.send("GET", "/v1/tickets/\(id)")
            if reply.status != 200 { missing.append(id) }
        }
        #expect(missing.isEmpty, "acknowledged but lost after kill -9: \(missing.prefix(10))")
        await client.shutdown()
        try await group.shutdownGracefully()
    }
}
