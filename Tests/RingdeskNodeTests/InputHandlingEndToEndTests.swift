import Foundation
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// Issue 17 against a real `ringdeskd`: hostile path and query values, idempotency keys reused
/// with another body, valid JSON with wrong values, messages without Swift internals, and what
/// supervisors do with the API and the CLI. Each check failed before its fix.
@Suite(.serialized) struct InputHandlingEndToEndTests {
    func text(_ reply: APIClient.Reply) -> String { String(decoding: reply.body.prefix(400), as: UTF8.self) }

    @Test func controlCharactersInPathAndQueryAreRefused() async throws {
        try await withNode { _, api in
            let created = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-1"))
            let id = try #require(created.json["id"] as? String)
            // `%00garbage` used to answer the real ticket.
            var reply = try await api.send("GET", "/v1/tickets/\(id)%00garbage")
            #expect(reply.status == 400 && reply.code == "invalid_parameter", "\(text(reply))")
            #expect((reply.json["message"] as? String)?.contains("'id'") == true, "\(text(reply))")
            // …and wrote a comment on it.
            reply = try await api.send("POST", "/v1/tickets/\(id)%00zz/events", json: ["type": "comment", "text": "smuggled"])
            #expect(reply.status == 400 && reply.code == "invalid_parameter", "\(text(reply))")
            reply = try await api.send("GET", "/v1/tickets/\(id)")
            #expect((reply.json["history"] as? [Any])?.count == 2, "nothing was written")
            // …and listed C-1's tickets.
            reply = try await api.send("GET", "/v1/tickets?customer_id=C-1%00zzz")
            #expect(reply.status == 400 && reply.code == "invalid_parameter", "\(text(reply))")
            #expect((reply.json["message"] as? String)?.contains("'customer_id'") == true, "\(text(reply))")
            reply = try await api.send("GET", "/v1/agents/ana%0A/offers")
            #expect(reply.status == 400 && reply.code == "invalid_parameter", "\(text(reply))")
            reply = try await api.send("GET", "/v1/tickets?customer_id=C-1")
            #expect((reply.json["tickets"] as? [Any])?.count == 1, "clean values still work")
        }
    }

    @Test func idempotencyKeyWithAnotherBodyIsRefused() async throws {
        try await withNode { _, api in
            let first = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-key"), headers: [("idempotency-key", "order-9")])
            #expect(first.status == 201)
            let id = try #require(first.json["id"] as? String)
            let same = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-key"), headers: [("idempotency-key", "order-9")])
            #expect(same.status == 200 && same.json["id"] as? String == id, "\(text(same))")
            let other = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-key", subject: "A different request"),
                                           headers: [("idempotency-key", "order-9")])
            #expect(other.status == 409 && other.code == "idempotency_key_reused", "\(text(other))")
            #expect((other.json["message"] as? String)?.contains(id) == true, "\(text(other))")
            let list = try await api.send("GET", "/v1/tickets?customer_id=C-key")
            #expect((list.json["tickets"] as? [Any])?.count == 1)
        }
    }

    /// Found by scripts/chaos/api-fuzz: a blank `X-Ringdesk-Intake` recorded an intake actor with an
    /// empty id, which the documented schema (and every later read of the ticket) refuses.
    @Test func blankIntakeHeaderRecordsTheDefaultIntake() async throws {
        try await withNode { _, api in
            let blank = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-blank"), headers: [("x-ringdesk-intake", "")])
            #expect(blank.status == 201, "\(text(blank))")
            let actor = ((blank.json["history"] as? [[String: Any]])?.first?["actor"] as? [String: Any])
            #expect(actor?["kind"] as? String == "intake" && actor?["id"] as? String == "api", "\(text(blank))")
            let named = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-named"), headers: [("x-ringdesk-intake", "webshop")])
            let namedActor = ((named.json["history"] as? [[String: Any]])?.first?["actor"] as? [String: Any])
            #expect(namedActor?["id"] as? String == "webshop", "\(text(named))")
        }
    }

    @Test func wrongValuesAreInvalidFieldsWithReadableMessages() async throws {
        try await withNode { _, api in
            let created = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-val"))
            let id = try #require(created.json["id"] as? String)
            let fraction = #"{"category":"refund","channel":"chat","subject":"s","customer":{"id":"c","language":"en","region":"eu-west","order_value":2.5},"required_skills":[{"skill":"refunds","min_level":2.5}]}"#
            let huge = fraction.replacingOccurrences(of: "2.5}]", with: "1e23}]")
            let cases: [(String, String, String, [String])] = [
                ("POST", "/v1/tickets", fraction, ["required_skills[0].min_level", "whole number"]),
                ("POST", "/v1/tickets", huge, ["required_skills[0].min_level"]),
                ("POST", "/v1/tickets", "[]", ["body must be a JSON object"]),
                ("POST", "/v1/tickets/\(id)/feedback", #"{"rating":2.5}"#, ["rating"]),
                ("POST", "/v1/tickets", #"{"category":"RETURN","channel":"chat","subject":"s","customer":{"id":"c","language":"en","region":"eu-west"}}"#,
                 ["category", "must be one of return, exchange, refund", "got 'RETURN'"]),
                ("PUT", "/v1/agents/fx", #"{"name":"Fx","channel_capacity":{"fax":1}}"#, ["channel_capacity.fax", "unknown key 'fax'", "phone, chat, email"]),
            ]
            for (method, path, body, phrases) in cases {
                let reply = try await api.send(method, path, raw: body)
                let message = reply.json["message"] as? String ?? ""
                #expect(reply.status == 400 && reply.code == "invalid_field", "\(body): \(text(reply))")
                for phrase in phrases { #expect(message.contains(phrase), "\(body): \(message)") }
                #expect(!message.contains("Cannot initialize") && !message.contains("Could not convert"), "\(message)")
            }
            // "a agent cannot customer_reply a ticket"
            let reply = try await api.send("POST", "/v1/tickets/\(id)/events", json: ["type": "customer_reply", "text": "hi", "actor": ["kind": "agent", "id": "ana"]])
            #expect(reply.status == 403 && reply.json["message"] as? String == "an agent cannot reply as the customer (customer_reply)", "\(text(reply))")
        }
    }

    @Test func smallerAPIDefects() async throws {
        try await withNode { _, api in
            let created = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-small"))
            let id = try #require(created.json["id"] as? String)
            // A queue that does not exist.
            var reply = try await api.send("POST", "/v1/tickets/\(id)/events", json: ["type": "transfer", "queue": "nowhere"])
            #expect(reply.status == 400 && reply.code == "unknown_queue", "\(text(reply))")
            #expect((reply.json["message"] as? String)?.contains("supervisor_review") == true, "lists the known queues: \(text(reply))")
            // Clearing an override that is not set: no event.
            reply = try await api.send("POST", "/v1/tickets/\(id)/events", json: ["type": "override_urgency"])
            #expect(reply.status == 200 && (reply.json["history"] as? [Any])?.count == 2, "\(text(reply))")
            // Unknown query parameters are refused everywhere, as on /v1/tickets.
            for path in ["/v1/kpis?colour=red", "/v1/agents?colour=red", "/v1/dashboard/stream?colour=red", "/v1/tickets/\(id)?colour=red"] {
                reply = try await api.send("GET", path)
                #expect(reply.status == 400 && reply.code == "unknown_parameter", "\(path): \(text(reply))")
            }
            // /health echoes x-request-id like the API.
            reply = try await api.send("GET", "/health", headers: [("x-request-id", "probe-17")])
            #expect(reply.status == 200 && reply.headers["x-request-id"] == "probe-17")
        }
    }

    @Test func supervisorsFindTheReviewQueueFromTheAPIAndTheCLI() async throws {
        try await withNode { node, api in
            let ringdesk = try NodeProcess.executable("ringdesk").path
            let address = "127.0.0.1:\(node.port)"
            _ = try await api.send("PUT", "/v1/agents/ana", json: ["name": "Ana", "languages": ["en"], "regions": ["eu-west"], "skills": ["refunds": 4]])
            _ = try await api.send("PUT", "/v1/agents/ana/presence", json: ["presence": "available"])
            let offeredID = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-sup")).json["id"] as? String)
            let polled = try await api.send("GET", "/v1/agents/ana/offers?wait=10")
            #expect((polled.json["offers"] as? [[String: Any]])?.first?["id"] as? String == offeredID)

            // `tickets show` prints "why this agent" in full, wrapped, never cut.
            let shown = try await runProgram(ringdesk, ["--node", address, "tickets", "show", offeredID], timeout: 30)
            #expect(shown.status == 0, "\(shown.stderr)")
            let ticket = try await api.send("GET", "/v1/tickets/\(offeredID)")
            let offered = (ticket.json["history"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "offered" }
            let why = try #require(offered?["details"] as? [String: String])
            #expect(why.count > 3)
            for (key, value) in why { #expect(shown.stdout.contains("\(key)=\(value)"), "\(key)=\(value) missing:\n\(shown.stdout)") }
            #expect(!shown.stdout.contains("…"), "\(shown.stdout)")

            // `agent renew` prints dates like the rest.
            _ = try await api.send("POST", "/v1/agents/ana/offers/\(offeredID)/accept")
            let renewed = try await runProgram(ringdesk, ["--node", address, "agent", "renew", "ana", offeredID], timeout: 30)
            #expect(renewed.status == 0, "\(renewed.stderr)")
            #expect(renewed.stdout.range(of: #"until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?Z \(in "#, options: .regularExpression) != nil, "\(renewed.stdout)")

            // The review queue: the API filter and the CLI's --queue with a QUEUE column.
            let reviewID = try #require(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-rev", skills: [["skill": "repairs", "min_level": 5]])).json["id"] as? String)
            var reply = try await api.send("POST", "/v1/tickets/\(reviewID)/events", json: ["type": "transfer", "queue": "supervisor_review"])
            #expect(reply.status == 200, "\(text(reply))")
            reply = try await api.send("GET", "/v1/tickets?queue=supervisor_review")
            #expect(reply.status == 200 && (reply.json["tickets"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [reviewID], "\(text(reply))")
            let listed = try await runProgram(ringdesk, ["tickets", "list", "--queue", "supervisor_review", "--node", address], timeout: 30)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("QUEUE") && listed.stdout.contains(reviewID) && listed.stdout.contains("supervisor_review")
                    && !listed.stdout.contains(offeredID), "\(listed.stdout)")

            // Global options before the subcommand; the node named once.
            let health = try await runProgram(ringdesk, ["--node", address, "--timeout", "5", "health"], timeout: 30)
            #expect(health.status == 0, "\(health.stderr)")
            #expect(!health.stdout.contains(" at "), "\(health.stdout)")
            let unreachable = try await runProgram(ringdesk, ["--node", "127.0.0.1:1", "health"], timeout: 30)
            #expect(unreachable.status != 0 && !unreachable.stderr.contains("Unknown option"), "\(unreachable.stderr)")

            // KPIs by region, agent and skill too.
            let kpis = try await runProgram(ringdesk, ["kpis", "--node", address], timeout: 30)
            for title in ["By category", "By channel", "By region", "By agent", "By skill"] {
                #expect(kpis.stdout.contains(title), "\(title) missing:\n\(kpis.stdout)")
            }

            // Replication on a node without it: said plainly, not "no route".
            let replication = try await runProgram(ringdesk, ["--node", address, "replication", "status"], timeout: 30)
            #expect(replication.status != 0 && replication.stderr.contains("replication is not configured") && !replication.stderr.contains("no route"),
                    "\(replication.stderr)")
        }
    }
}
