import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RingdeskAPI
import RingdeskDomain
import RingdeskHTTP2
import RingdeskLoad

/// `ringdesk load`: the scripted load client: intake (or echo) load, optionally with simulated
/// agents that take the offers, work and resolve them.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive a node (or several) with scripted load and report latency and throughput.",
        subcommands: [LoadRun.self, LoadCompare.self],
        defaultSubcommand: LoadRun.self
    )
}

struct LoadRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send requests for a fixed time; print a line per second, a summary table and a JSON line last.",
        discussion: """
        closed mode keeps --concurrency requests in flight (peak throughput). open mode sends --rate \
        requests per second whatever the node does, and times each request from when it was meant to \
        leave, so queueing shows in the latencies (no coordinated omission); requests that would exceed \
        --concurrency outstanding are counted as client_backlog errors instead of being delayed.
        """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        /// POST /v1/tickets with the seeded after-sales mix: durable creates.
        case intake
        /// POST /v1/echo with a ~100-byte JSON body: the transport alone.
        case echo
    }

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case open, closed
    }

    @Option(help: ArgumentHelp("Nodes to spread requests over, comma-separated (default: $RINGDESK_NODE or 127.0.0.1:7600).", valueName: "host:port,…"))
    var nodes: String?

    @Option(help: "What to send: intake (ticket creates) or echo (transport only).")
    var target: Target = .intake

    @Option(help: "closed (fixed concurrency) or open (fixed arrival rate).")
    var mode: Mode = .closed

    @Option(help: "Open mode: requests per second.")
    var rate: Double = 1000

    @Option(help: "Open mode: uniform or poisson arrivals.")
    var pattern: ArrivalSchedule.Pattern = .uniform

    @Option(help: "Requests in flight (closed), or the most allowed outstanding (open).")
    var concurrency: Int = 64

    @Option(help: "HTTP/2 connections per node.")
    var connections: Int = 4

    @Option(help: "Seconds to run.")
    var duration: Double = 10

    @Option(help: "Send at most this many requests, then stop sending (0 = no limit; the run still ends at --duration).")
    var requests: Int = 0

    @Option(help: "With --agents: after the last request, agents keep working up to this many seconds until every created ticket is resolved (0 = they stop at --duration).")
    var drain: Double = 0

    @Option(help: "Seed of the ticket mix and of Poisson arrivals.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Also write the JSON report to this file (compare two with `ringdesk load compare`).", valueName: "file"))
    var out: String?

    @Option(help: "Intake runs: simulated agents that long-poll offers, accept, work and resolve (0 = none).")
    var agents: Int = 0

    @Option(name: .customLong("handle-ms"), help: "Mean handling time of a simulated agent, in milliseconds (exponential).")
    var handleMilliseconds: Double = 200

    @Option(help: ArgumentHelp("Run a scenario file (JSON: arrival phases for ramps and bursts, agents with churn and ratings); its keys override the flags above.", valueName: "file"))
    var scenario: String?

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("Nodes serve TLS: trust this PEM CA or certificate (default: $RINGDESK_TLS_CA; none = cleartext h2c).", valueName: "file"))
    var tlsCA: String?

    @Option(name: .customLong("agent-pull"), help: "How simulated agents take offers: stream (the NDJSON assignment stream) or poll (long-poll).")
    var agentPull: AgentPull = .stream

    @Option(name: .customLong("rating-share"), help: "Share of resolved tickets the simulated customer rates (1-5 from the seed; 2 or less opens a call-back).")
    var ratingShare: Double = 0

    @Flag(help: "No line per second.")
    var quiet = false

    func validate() throws {
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be between 0 and 3600 seconds") }
        guard (1...100_000).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 100000") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be between 1 and 64") }
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be between 0 and 1000000") }
        guard (0...1000).contains(agents) else { throw ValidationError("--agents must be between 0 and 1000") }
        guard agents == 0 || target == .intake else { throw ValidationError("--agents needs --target intake") }
        guard handleMilliseconds >= 0, handleMilliseconds <= 600_000 else { throw ValidationError("--handle-ms must be between 0 and 600000") }
        guard (0...1).contains(ratingShare) else { throw ValidationError("--rating-share must be between 0 and 1") }
        guard requests >= 0 else { throw ValidationError("--requests must be 0 or more") }
        guard drain >= 0, drain <= 3600 else { throw ValidationError("--drain must be between 0 and 3600 seconds") }
        _ = try peers()
    }

    /// Loads `--scenario` and lets its keys override the flags; returns it (nil without a file).
    mutating func applyScenario() throws -> LoadScenario? {
        guard let path = scenario else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot read scenario \(path): \(error.localizedDescription)")
        }
        let loaded: LoadScenario
        do { loaded = try LoadScenario.decode(data) } catch {
            throw ValidationError("scenario \(path): \(error)")
        }
        mode = .open
        duration = loaded.duration
        if let value = loaded.target { target = Target(rawValue: value) ?? target }
        if let value = loaded.arrivals { pattern = value }
        if let value = loaded.seed { seed = value }
        if let value = loaded.concurrency { concurrency = value }
        if let value = loaded.connections { connections = value }
        if let value = loaded.agents {
            agents = value.count
            if let handle = value.handleMs { handleMilliseconds = handle }
            if let share = value.ratingShare { ratingShare = share }
        }
        guard agents == 0 || target == .intake else { throw ValidationError("scenario \(path): agents need target intake") }
        return loaded
    }

    func peers() throws -> [HTTP2Client.Peer] {
        let text = nodes ?? ProcessInfo.processInfo.environment["RINGDESK_NODE"].flatMap { $0.isEmpty ? nil : $0 } ?? GlobalOptions.defaultNode
        let list = try text.split(separator: ",").map { try GlobalOptions.peer(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty else { throw ValidationError("--nodes needs at least one HOST:PORT") }
        return list
    }

    func run() async throws {
        var command = self
        let loaded = try command.applyScenario()
        try await command.execute(scenario: loaded)
    }

    func execute(scenario loaded: LoadScenario?) async throws {
        let peers = try peers()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clientConfiguration = HTTP2ClientConfiguration.defaults
        clientConfiguration.defaultRequestTimeout = .seconds(10)
        if let path = tlsCA ?? ProcessInfo.processInfo.environment["RINGDESK_TLS_CA"], !path.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path)) } catch {
                throw ValidationError("--tls-ca: cannot read a PEM certificate from \(path): \(error)")
            }
            clientConfiguration.tls = tls
        }
        // One client per connection slot: each keeps one connection to each node.
        let clients = try (0..<connections).map { _ in try HTTP2Client(group: group, configuration: clientConfiguration) }
        let bodies: [ByteBuffer]
        let path: String
        let expected: Int
        switch target {
        case .intake:
            bodies = try TicketMix.bodies(count: 4096, seed: seed).map { ByteBuffer(bytes: $0) }
            path = "/v1/tickets"
            expected = 201
        case .echo:
            bodies = [ByteBuffer(string: #"{"customer":"C-100234","order":"O-99812731","category":"refund","channel":"chat","note":"late parcel"}"#)]
            path = "/v1/echo"
            expected = 200
        }
        let operation = target == .intake ? "create" : "echo"
        let plan = LoadPlan(clients: clients, peers: peers, bodies: bodies, path: path, expected: expected)
        let progress = NIOLockedValueBox(Progress())
        let start = ContinuousClock.now
        let reporter = Task {
            guard !quiet else { return }
            var second = 0
            while !Task.isCancelled {
                second += 1
                try? await Task.sleep(until: start + .seconds(second), clock: .continuous)
                if Task.isCancelled { break }
                let snapshot = progress.withLockedValue { value -> Progress in
                    defer { value.okThisSecond = 0; value.errorsThisSecond = 0 }
                    return value
                }
                print("t=\(second)s  \(operation) ok \(snapshot.okThisSecond)/s  errors \(snapshot.errorsThisSecond)  total \(snapshot.ok)  in flight \(snapshot.inFlight)")
            }
        }
        let agentIDs = try await prepareAgents(client: clients[0], peer: peers[0])
        let deadline = start + .milliseconds(Int64(duration * 1000))
        let agentsStop = AgentsStop(deadline: deadline, drain: drain)
        let churn = Task {
            await runChurn(loaded?.agents?.churn ?? [], agentIDs: agentIDs, client: clients[0], peer: peers[0], start: start)
        }
        let agentWork = Task {
            await withTaskGroup(of: AgentRecorders.self) { group in
                for (index, id) in agentIDs.enumerated() {
                    group.addTask {
                        await simulateAgent(id, index: index, client: clients[index % clients.count], peer: peers[index % peers.count],
                                            start: start, stop: agentsStop)
                    }
                }
                var total = AgentRecorders()
                for await recorders in group { total.merge(recorders) }
                return total
            }
        }
        let recorder: OperationRecorder
        switch mode {
        case .closed:
            recorder = await runClosed(plan, start: start, progress: progress)
        case .open:
            var schedule = ArrivalSchedule(rate: rate, pattern: pattern, seed: seed)
            let offsets = loaded?.offsets(pattern: pattern, seed: seed) ?? schedule.offsets(within: duration)
            recorder = await runOpen(plan, offsets: requests > 0 ? Array(offsets.prefix(requests)) : offsets, start: start, progress: progress)
        }
        agentsStop.intakeEnded(created: progress.withLockedValue { $0.ok })
        let agentRecorders = await agentWork.value
        churn.cancel()
        await churn.value
        reporter.cancel()
        // The run's length: until the last request, or the agents' last resolve with --drain.
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await retireAgents(agentIDs, client: clients[0], peer: peers[0])
        for client in clients { await client.shutdown() }
        try await group.shutdownGracefully()

        let scenario = loaded?.name ?? "\(target.rawValue)-\(mode.rawValue)" + (mode == .open ? "-\(Int(rate))rps" : "-c\(concurrency)")
        var operations = [operation: recorder.summary(duration: min(seconds, duration))]
        if !agentIDs.isEmpty {
            for (name, agentRecorder) in agentRecorders.all {
                // With --drain the agents work past --duration: their rates are over the whole run.
                operations[name] = agentRecorder.summary(duration: drain > 0 ? seconds : min(seconds, duration))
            }
        }
        let report = LoadReport(scenario: scenario + (agentIDs.isEmpty ? "" : "-\(agentIDs.count)agents"), mode: mode.rawValue,
                                nodes: peers.map(\.description), seconds: (seconds * 1000).rounded() / 1000, operations: operations)
        printSummary(report)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(report)
        if let out { try json.write(to: URL(fileURLWithPath: out)) }
        print(String(decoding: json, as: UTF8.self))
        if report.totalErrors > 0 { throw ExitCode(2) }
    }

    // MARK: Simulated agents

    /// What the simulated agents measure: request latencies of accept and resolve, and from the
    /// node's own timestamps the time from creation to the offer and to resolution.
    struct AgentRecorders: Sendable {
        var accept = OperationRecorder()
        var resolve = OperationRecorder()
        var createToOffer = OperationRecorder()
        /// From the offer to its acceptance, by the node's timestamps (seen on the resolved ticket).
        var offerToAccept = OperationRecorder()
        var lifecycle = OperationRecorder()
        /// Customer ratings after a resolve (only with --rating-share).
        var feedback = OperationRecorder()

        var all: [(String, OperationRecorder)] {
            [("accept", accept), ("resolve", resolve), ("create_to_offer", createToOffer), ("offer_to_accept", offerToAccept), ("lifecycle", lifecycle)]
                + (feedback.perSecond.isEmpty ? [] : [("feedback", feedback)])
        }

        mutating func merge(_ other: AgentRecorders) {
            feedback.merge(other.feedback)
            accept.merge(other.accept)
            resolve.merge(other.resolve)
            createToOffer.merge(other.createToOffer)
            offerToAccept.merge(other.offerToAccept)
            lifecycle.merge(other.lifecycle)
        }
    }

    /// Registers the agents with every skill of the mix at the top level, available.
    func prepareAgents(client: HTTP2Client, peer: HTTP2Client.Peer) async throws -> [String] {
        guard agents > 0 else { return [] }
        let skills = Dictionary(uniqueKeysWithValues: TicketMix.skills.map { ($0, 5) })
        let encoder = JSONEncoder()
        var ids: [String] = []
        for index in 0..<agents {
            let id = "load-agent-\(seed)-\(index)"
            let profile = AgentProfile(id: id, name: "Load agent \(index)", regions: [], languages: [], skills: skills)
            for (method, path, body) in [("PUT", "/v1/agents/\(id)", try encoder.encode(profile)),
                                         ("PUT", "/v1/agents/\(id)/presence", try encoder.encode(PresenceRequest(presence: .available)))] {
                let response = try await client.execute(HTTP2ClientRequest(method: method, path: path, headers: HTTP2Headers([("content-type", "application/json")]), body: ByteBuffer(bytes: body)), to: peer)
                guard (200...201).contains(response.status) else {
                    throw ValidationError("could not set up simulated agent \(id): HTTP \(response.status) \(String(buffer: response.body))")
                }
            }
            ids.append(id)
        }
        return ids
    }

    /// Takes the agents offline again so they get no offers after the run.
    func retireAgents(_ ids: [String], client: HTTP2Client, peer: HTTP2Client.Peer) async {
        let body = ByteBuffer(bytes: (try? JSONEncoder().encode(PresenceRequest(presence: .offline))) ?? Data())
        for id in ids {
            _ = try? await client.execute(HTTP2ClientRequest(method: "PUT", path: "/v1/agents/\(id)/presence", headers: HTTP2Headers([("content-type", "application/json")]), body: body), to: peer)
        }
    }

    /// One agent until the deadline: takes offers from the assignment stream (or long-polls),
    /// accepts each, works a sampled time, resolves, and the customer may rate it.
    func simulateAgent(_ id: String, index: Int, client: HTTP2Client, peer: HTTP2Client.Peer,
                       start: ContinuousClock.Instant, stop: AgentsStop) async -> AgentRecorders {
        var desk = SimulatedDesk(command: self, id: id, client: client, peer: peer, start: start,
                                 generator: SeededGenerator(seed: seed &+ UInt64(index) &* 7919), stop: stop)
        switch agentPull {
        case .poll:
            while !stop.done() {
                guard let polled = try? await client.execute(HTTP2ClientRequest(path: "/v1/agents/\(id)/offers?wait=1"), to: peer, timeout: .seconds(5)),
                      polled.status == 200,
                      let offers = try? desk.decoder.decode(AgentOffersResponse.self, from: Data(polled.body.readableBytesView)).offers
                else { continue }
                for offer in offers where !stop.done() { await desk.handle(offer) }
            }
        case .stream:
            // The stream re-sends open offers when it (re)connects: handled ids are skipped.
            while !stop.done() {
                let reader = Task { [desk] in
                    var desk = desk
                    guard let response = try? await client.stream(HTTP2ClientRequest(path: "/v1/agents/\(id)/offers/stream"), to: peer, timeout: .seconds(5)),
                          response.status == 200 else { return desk }
                    var pending = Data()
                    do {
                        for try await chunk in response.body {
                            pending.append(contentsOf: chunk.readableBytesView)
                            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                                let line = pending[pending.startIndex..<newline]
                                pending = Data(pending[pending.index(after: newline)...])
                                guard let parsed = try? desk.decoder.decode(StreamLine.self, from: line), parsed.type == "offer",
                                      let offer = parsed.ticket else { continue }
                                if Task.isCancelled { return desk }
                                await desk.handle(offer)
                            }
                        }
                    } catch {}
                    return desk
                }
                // Stop reading at the deadline, or once drained (dropping the body resets the stream).
                let stopper = Task {
                    if stop.drain == 0 { try? await Task.sleep(until: stop.deadline, clock: .continuous) }
                    while !Task.isCancelled, !stop.done() { try? await Task.sleep(for: .milliseconds(10)) }
                    reader.cancel()
                }
                desk = await reader.value
                stopper.cancel()
            }
        }
        return desk.recorders
    }

    enum AgentPull: String, ExpressibleByArgument, CaseIterable {
        case stream, poll
    }

    /// One simulated agent's desk: what it handled and measured.
    struct SimulatedDesk: Sendable {
        let command: LoadRun
        let id: String
        let client: HTTP2Client
        let peer: HTTP2Client.Peer
        let start: ContinuousClock.Instant
        var generator: SeededGenerator
        var recorders = AgentRecorders()
        var handled: Set<String> = []
        let decoder = WireJSON.decoder()
        let stop: AgentsStop

        init(command: LoadRun, id: String, client: HTTP2Client, peer: HTTP2Client.Peer, start: ContinuousClock.Instant,
             generator: SeededGenerator, stop: AgentsStop) {
            self.stop = stop
            self.command = command
            self.id = id
            self.client = client
            self.peer = peer
            self.start = start
            self.generator = generator
        }

        func second() -> Int { Int(Self.seconds(since: start)) }

        static func seconds(since start: ContinuousClock.Instant) -> Double {
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        func timed(_ request: HTTP2ClientRequest) async -> (HTTP2ClientResponse?, Double) {
            let sent = ContinuousClock.now
            let response = try? await client.execute(request, to: peer)
            return (response, Self.seconds(since: sent))
        }

        /// Accept, work an exponentially sampled time, resolve; the customer may rate it.
        mutating func handle(_ offer: Ticket) async {
            guard handled.insert(offer.id).inserted else { return }
            let json = HTTP2Headers([("content-type", "application/json")])
            if let offeredAt = offer.offer?.offeredAt {
                recorders.createToOffer.success(latency: offeredAt.timeIntervalSince(offer.createdAt), second: second())
            }
            let (accepted, acceptLatency) = await timed(HTTP2ClientRequest(method: "POST", path: "/v1/agents/\(id)/offers/\(offer.id)/accept"))
            guard let accepted, accepted.status == 200 else {
                recorders.accept.failure(code: accepted.map { "http_\($0.status)" } ?? "transport", second: second())
                return
            }
            recorders.accept.success(latency: acceptLatency, second: second())
            let uniform = (Double(generator.next() >> 11) + 1) / Double(1 << 53)
            let handle = -Foundation.log(uniform) * command.handleMilliseconds / 1000
            try? await Task.sleep(for: .milliseconds(Int64(handle * 1000)))
            let resolveBody = (try? JSONEncoder().encode(TicketEventRequest(type: "resolve", actor: .agent(id), note: "handled by the load client"))) ?? Data()
            let (resolved, resolveLatency) = await timed(HTTP2ClientRequest(method: "POST", path: "/v1/tickets/\(offer.id)/events", headers: json,
                                                                            body: ByteBuffer(bytes: resolveBody)))
            guard let resolved, resolved.status == 200 else {
                recorders.resolve.failure(code: resolved.map { "http_\($0.status)" } ?? "transport", second: second())
                return
            }
            recorders.resolve.success(latency: resolveLatency, second: second())
            if let ticket = try? decoder.decode(Ticket.self, from: Data(resolved.body.readableBytesView)) {
                if let resolvedAt = ticket.resolvedAt {
                    recorders.lifecycle.success(latency: resolvedAt.timeIntervalSince(ticket.createdAt), second: second())
                }
                if let accepted = ticket.history.last(where: { $0.kind == .offerAccepted }),
                   let offered = ticket.history.last(where: { $0.kind == .offered && $0.seq < accepted.seq }) {
                    recorders.offerToAccept.success(latency: accepted.at.timeIntervalSince(offered.at), second: second())
                }
                // Call-backs opened by low ratings are not counted: the drain waits for the created ones.
                if ticket.followUpOf == nil { stop.resolved() }
            }
            // The customer rates some tickets (a low rating opens a call-back ticket).
            if command.ratingShare > 0, Double(generator.next() % 10_000) < command.ratingShare * 10_000 {
                let rating = 1 + Int(generator.next() % 5)
                let body = (try? JSONEncoder().encode(FeedbackRequest(rating: rating, comment: "rated by the load client"))) ?? Data()
                let (rated, rateLatency) = await timed(HTTP2ClientRequest(method: "POST", path: "/v1/tickets/\(offer.id)/feedback",
                                                                          headers: json, body: ByteBuffer(bytes: body)))
                if let rated, rated.status == 200 {
                    recorders.feedback.success(latency: rateLatency, second: second())
                } else {
                    recorders.feedback.failure(code: rated.map { "http_\($0.status)" } ?? "transport", second: second())
                }
            }
        }
    }

    /// Agent churn from the scenario: at each step the first `away` available agents go away, or
    /// `back` of the away ones become available again.
    func runChurn(_ steps: [LoadScenario.ChurnStep], agentIDs: [String], client: HTTP2Client, peer: HTTP2Client.Peer,
                  start: ContinuousClock.Instant) async {
        var away: [String] = []
        let encoder = JSONEncoder()
        for step in steps.sorted(by: { $0.at < $1.at }) {
            try? await Task.sleep(until: start + .milliseconds(Int64(step.at * 1000)), clock: .continuous)
            if Task.isCancelled { return }
            let moving: [String]
            let presence: Presence
            if let count = step.away {
                moving = Array(agentIDs.filter { !away.contains($0) }.prefix(count))
                away += moving
                presence = .away
            } else {
                moving = Array(away.prefix(step.back ?? 0))
                away.removeFirst(moving.count)
                presence = .available
            }
            guard let body = try? encoder.encode(PresenceRequest(presence: presence)) else { continue }
            for id in moving {
                _ = try? await client.execute(HTTP2ClientRequest(method: "PUT", path: "/v1/agents/\(id)/presence",
                                                                 headers: HTTP2Headers([("content-type", "application/json")]),
                                                                 body: ByteBuffer(bytes: body)), to: peer)
            }
            if !quiet { print("churn t=\(step.at)s: \(moving.count) agents \(presence.rawValue)") }
        }
    }

    /// When the simulated agents stop: at --duration, or with --drain once every created ticket
    /// is resolved (at most --drain seconds after the last request).
    final class AgentsStop: Sendable {
        let deadline: ContinuousClock.Instant
        let drain: Double
        private let state = NIOLockedValueBox(State())

        struct State {
            var intakeEndedAt: ContinuousClock.Instant?
            var created = 0
            var resolved = 0
        }

        init(deadline: ContinuousClock.Instant, drain: Double) {
            self.deadline = deadline
            self.drain = drain
        }

        func intakeEnded(created: Int) {
            state.withLockedValue {
                $0.intakeEndedAt = ContinuousClock.now
                $0.created = created
            }
        }

        func resolved() { state.withLockedValue { $0.resolved += 1 } }

        func done() -> Bool {
            let now = ContinuousClock.now
            guard drain > 0 else { return now >= deadline }
            return state.withLockedValue { state in
                guard let ended = state.intakeEndedAt else { return false }
                return state.resolved >= state.created || now >= ended + .milliseconds(Int64(drain * 1000))
            }
        }
    }

    /// Counters for the line per second.
    struct Progress {
        var ok = 0
        /// Requests started (closed mode, for --requests).
        var sent = 0
        var okThisSecond = 0
        var errorsThisSecond = 0
        var inFlight = 0
    }

    /// What every request needs.
    struct LoadPlan: Sendable {
        var clients: [HTTP2Client]
        var peers: [HTTP2Client.Peer]
        var bodies: [ByteBuffer]
        var path: String
        var expected: Int

        /// Sends request `index`; returns nil on success or an error code.
        func send(_ index: Int) async -> String? {
            let client = clients[index % clients.count]
            let peer = peers[(index / clients.count) % peers.count]
            var headers = HTTP2Headers([("content-type", "application/json")])
            if path == "/v1/tickets" { headers.add("x-ringdesk-intake", "load") }
            let request = HTTP2ClientRequest(method: "POST", path: path, headers: headers, body: bodies[index % bodies.count])
            do {
                let response = try await client.execute(request, to: peer)
                return response.status == expected ? nil : "http_\(response.status)"
            } catch let error as HTTP2TransportError {
                return error.code
            } catch {
                return "client_error"
            }
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func runClosed(_ plan: LoadPlan, start: ContinuousClock.Instant, progress: NIOLockedValueBox<Progress>) async -> OperationRecorder {
        let deadline = start + .milliseconds(Int64(duration * 1000))
        let workers = concurrency
        let requestLimit = requests
        return await withTaskGroup(of: OperationRecorder.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var recorder = OperationRecorder()
                    var index = worker
                    while ContinuousClock.now < deadline {
                        let sent = ContinuousClock.now
                        let admitted = progress.withLockedValue { value -> Bool in
                            guard requestLimit == 0 || value.sent < requestLimit else { return false }
                            value.sent += 1
                            value.inFlight += 1
                            return true
                        }
                        guard admitted else { break }
                        let failure = await plan.send(index)
                        let latency = seconds(since: sent)
                        let second = Int(seconds(since: start))
                        progress.withLockedValue { value in
                            value.inFlight -= 1
                            if failure == nil { value.ok += 1; value.okThisSecond += 1 } else { value.errorsThisSecond += 1 }
                        }
                        if let failure { recorder.failure(code: failure, second: second) } else { recorder.success(latency: latency, second: second) }
                        index += workers
                    }
                    return recorder
                }
            }
            var total = OperationRecorder()
            for await recorder in group { total.merge(recorder) }
            return total
        }
    }

    func runOpen(_ plan: LoadPlan, offsets: [Double], start: ContinuousClock.Instant, progress: NIOLockedValueBox<Progress>) async -> OperationRecorder {
        let limit = concurrency
        let collected = NIOLockedValueBox(OperationRecorder())
        await withTaskGroup(of: Void.self) { group in
            var index = 0
            for offset in offsets {
                let intended = start + .nanoseconds(Int64(offset * 1e9))
                if intended > ContinuousClock.now + .milliseconds(1) {
                    try? await Task.sleep(until: intended, clock: .continuous)
                }
                let admitted = progress.withLockedValue { value -> Bool in
                    guard value.inFlight < limit else { value.errorsThisSecond += 1; return false }
                    value.inFlight += 1
                    return true
                }
                let requestIndex = index
                index += 1
                guard admitted else {
                    let second = Int(offset)
                    collected.withLockedValue { $0.failure(code: "client_backlog", second: second) }
                    continue
                }
                group.addTask {
                    let failure = await plan.send(requestIndex)
                    // Timed from the intended send time: waiting to be sent counts.
                    let latency = ContinuousClock.now - intended
                    let latencySeconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
                    let second = Int(seconds(since: start))
                    progress.withLockedValue { value in
                        value.inFlight -= 1
                        if failure == nil { value.ok += 1; value.okThisSecond += 1 } else { value.errorsThisSecond += 1 }
                    }
                    collected.withLockedValue { recorder in
                        if let failure { recorder.failure(code: failure, second: second) } else { recorder.success(latency: latencySeconds, second: second) }
                    }
                }
            }
            await group.waitForAll()
        }
        return collected.withLockedValue { $0 }
    }

    func printSummary(_ report: LoadReport) {
        var table = TextTable(["OPERATION", "OK", "ERRORS", "PER S", "P50 MS", "P90 MS", "P99 MS", "P99.9 MS", "MAX MS"], rightAligned: Set(1...8))
        for (name, summary) in report.operations.sorted(by: { $0.key < $1.key }) {
            table.add([name, String(summary.count), String(summary.errors), String(summary.perSecond), String(summary.p50Ms),
                       String(summary.p90Ms), String(summary.p99Ms), String(summary.p999Ms), String(summary.maxMs)])
        }
        print("\(report.scenario) against \(report.nodes.joined(separator: ", ")) for \(report.seconds) s")
        print(table.render())
        for (name, summary) in report.operations where !summary.errorsByCode.isEmpty {
            print("\(name) errors: " + summary.errorsByCode.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }
}

extension ArrivalSchedule.Pattern: ExpressibleByArgument {}

struct LoadCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Compare two load reports written with --out.")

    @Argument(help: "The earlier report.") var before: String
    @Argument(help: "The later report.") var after: String

    func run() async throws {
        let decoder = JSONDecoder()
        func load(_ path: String) throws -> LoadReport {
            do {
                return try decoder.decode(LoadReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ValidationError("\(path) is not a ringdesk load report: \(error.localizedDescription)")
            }
        }
        let a = try load(before)
        let b = try load(after)
        var table = TextTable(["OPERATION", "FIGURE", "BEFORE", "AFTER", "AFTER/BEFORE"], rightAligned: [2, 3, 4])
        for row in LoadReport.compare(a, b) {
            table.add([row.operation, row.figure, String(row.before), String(row.after), row.ratio.map { String(format: "%.3f", $0) } ?? "-"])
        }
        print("\(a.scenario) (\(before)) → \(b.scenario) (\(after))")
        print(table.render())
    }
}
