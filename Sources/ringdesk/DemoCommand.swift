import ArgumentParser
import Foundation
import RingdeskAPI
import RingdeskDomain

/// `ringdesk demo`: a short scripted after-sales day against a running node.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scripted after-sales demo: agents, a burst of tickets, offers, work, ratings, KPIs.",
        discussion: """
        Deterministic from --seed. Creates are repeat-safe (idempotency keys demo-<seed>-<n>), so the demo can run \
        again against the same node: tickets already handled are counted, not redone. When it ends, the demo agents \
        go offline (a later run brings them back), so the next tickets go to your own agents. Exits non-zero when a \
        ticket is left unhandled or a step fails.
        """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Tickets in the burst (1-500).") var tickets: Int = 40
    @Option(help: "Seed of the demo data.") var seed: UInt64 = 7
    @Option(help: ArgumentHelp("Give up after this many seconds overall.", valueName: "seconds")) var deadline: Double = 45
    @Option(name: .customLong("max-rounds"), help: "Most offer polls per agent.") var maxRounds: Int = 100
    @Option(help: ArgumentHelp("Other nodes of the cluster to create tickets through, in turn with --node (a ticket whose node does "
                               + "not answer is created through the next one: the idempotency key makes that safe).", valueName: "host:port,..."))
    var intake: String?

    /// The intake nodes: --node first, then --intake's.
    func intakeAddresses() throws -> [String] {
        let extra = (intake ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for address in extra { _ = try GlobalOptions.peer(address) }
        return [global.nodeAddress] + extra
    }

    func validate() throws {
        guard (1...500).contains(tickets) else { throw ValidationError("--tickets must be from 1 to 500") }
        guard deadline > 0, deadline <= 600 else { throw ValidationError("--deadline must be from 0 to 600 seconds") }
        guard maxRounds >= 1 else { throw ValidationError("--max-rounds must be at least 1") }
        do { _ = try intakeAddresses() } catch { throw ValidationError("--intake: \(error)") }
    }

    func run() async throws {
        let script = DemoScript(seed: seed, count: tickets, now: Date())
        let tls = try global.tlsConfiguration()
        let others = try intakeAddresses().dropFirst().map { address in
            try NodeClient(peer: try GlobalOptions.peer(address), label: address, timeout: global.timeout, tls: tls)
        }
        do {
            try await global.withClient { client in
                let runner = DemoRunner(client: client, script: script, deadline: ContinuousClock.now + .seconds(deadline), maxRounds: maxRounds,
                                        intake: [client] + others)
                try await runner.run()
            }
        } catch {
            for other in others { await other.shutdown() }
            throw error
        }
        for other in others { await other.shutdown() }
    }
}

/// What the demo knows about one ticket it must see through.
struct DemoTicket: Sendable {
    /// The ticket's number in the burst (a call-back carries its original's).
    var number: Int
    var label: String
    var customerID: String
    var asksForInfo: Bool
    var rating: Int?
    var comment: String
    var resolved = false
    var rated = false
    /// A rating request is under way (agents and the rater may both reach a call-back).
    var ratingClaimed = false

    var done: Bool { resolved && (rating == nil || rated) }
}

/// The demo's shared bookkeeping and its output: one actor so lines and counters stay consistent.
actor DemoState {
    private let start = ContinuousClock.now
    private var tickets: [String: DemoTicket] = [:]
    private(set) var failures: [String] = []
    private(set) var counts: [String: Int] = [:]

    func say(_ line: String) {
        let elapsed = (ContinuousClock.now - start)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let stamp = String(format: "%6.2fs", seconds)
        FileHandle.standardOutput.write(Data("\(stamp)  \(line)\n".utf8))
    }

    func fail(_ line: String) {
        failures.append(line)
        say("FAILED \(line)")
    }

    func count(_ name: String, _ n: Int = 1) { counts[name, default: 0] += n }

    /// Why agents stopped before every ticket was done (the first reason given).
    private(set) var stopReason: String?

    func stop(because reason: String) {
        if stopReason == nil { stopReason = reason }
    }

    /// Resolutions seen before the ticket was tracked (a call-back handled before the rater
    /// learned its id).
    private var resolvedUntracked: Set<String> = []

    /// Starts following a ticket; answers whether it is already resolved.
    @discardableResult
    func track(_ id: String, _ ticket: DemoTicket) -> Bool {
        if tickets[id] == nil {
            var ticket = ticket
            ticket.resolved = resolvedUntracked.remove(id) != nil
            tickets[id] = ticket
        }
        return tickets[id]!.resolved
    }

    func ticket(_ id: String) -> DemoTicket? { tickets[id] }

    func markResolved(_ id: String) {
        if tickets[id] != nil { tickets[id]!.resolved = true } else { resolvedUntracked.insert(id) }
    }

    func markRated(_ id: String) { tickets[id]?.rated = true }

    /// The plan of a resolved ticket that still needs its rating, once: the caller then rates it.
    func claimRating(_ id: String) -> DemoTicket? {
        guard let ticket = tickets[id], ticket.resolved, ticket.rating != nil, !ticket.rated, !ticket.ratingClaimed else { return nil }
        tickets[id]!.ratingClaimed = true
        return ticket
    }

    func releaseRating(_ id: String) { tickets[id]?.ratingClaimed = false }

    var finished: Bool { tickets.values.allSatisfy(\.done) }
    var pending: [(String, DemoTicket)] { tickets.filter { !$0.value.done }.sorted { $0.key < $1.key } }
    var trackedCount: Int { tickets.count }
    var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Plays the script against the node: agents up, ticket burst, agents working their offers,
/// customers replying and rating, then the KPI table. Bounded by `deadline` and `maxRounds`.
struct DemoRunner: Sendable {
    let client: NodeClient
    let script: DemoScript
    let deadline: ContinuousClock.Instant
    let maxRounds: Int
    /// The nodes tickets are created through, in turn (the main node alone by default).
    var intake: [NodeClient] = []
    let state = DemoState()

    init(client: NodeClient, script: DemoScript, deadline: ContinuousClock.Instant, maxRounds: Int, intake: [NodeClient] = []) {
        self.client = client
        self.script = script
        self.deadline = deadline
        self.maxRounds = maxRounds
        self.intake = intake.isEmpty ? [client] : intake
    }

    /// Creates a ticket through intake node `number % count`, or the next one that answers.
    private func create(_ plan: DemoScript.TicketPlan) async throws -> (NodeClient.Reply, String) {
        var lastError: (any Error)?
        for offset in 0..<intake.count {
            let node = intake[(plan.number + offset) % intake.count]
            do {
                return (try await node.send("POST", "/v1/tickets", json: plan.draft, headers: [("idempotency-key", plan.idempotencyKey)]), node.label)
            } catch let error as CLIError where error.isUnavailable {
                lastError = error
                await state.say("intake  \(node.label) did not take #\(plan.number) (\(error)); trying the next node")
            }
        }
        throw lastError ?? CLIError.failed("no intake node")
    }

    /// Long-poll wait per round; short so that agents notice the end quickly.
    static let pollWait = 1

    func run() async throws {
        // Fail fast with a clear message when the node is not there.
        _ = try await client.send("GET", "/ready")
        await state.say("demo seed \(script.seed): \(script.agents.count) agents, \(script.tickets.count) tickets against \(client.label)")

        let unhandleable = script.unhandleable()
        if !unhandleable.isEmpty {
            for line in unhandleable { await state.say("no demo agent can take \(line)") }
            throw CLIError.failed("the demo data has \(unhandleable.count) tickets that no agent could handle")
        }

        try await setUpAgents()
        do {
            try await createTickets()
            await withTaskGroup(of: Void.self) { group in
                for agent in script.agents {
                    group.addTask { await self.work(as: agent.id) }
                }
            }
        } catch {
            await signOff()
            throw error
        }
        await signOff()
        try await finish()
    }

    /// The shift ends: every demo agent goes offline, so the node is left with no demo agent taking
    /// offers (the README tour's agent gets the next ticket, not a demo agent). A later run puts
    /// them back online.
    private func signOff() async {
        var offline: [String] = []
        for profile in script.agents {
            do {
                _ = try await client.send("PUT", "/v1/agents/\(segment(profile.id))/presence", json: PresenceRequest(presence: .offline))
                offline.append(profile.id)
            } catch {
                await state.fail("sign off \(profile.id): \(error)")
            }
        }
        if !offline.isEmpty {
            await state.say("shift over: \(offline.joined(separator: ", ")) offline (no demo agent takes new offers)")
        }
    }

    // MARK: Setup

    private func setUpAgents() async throws {
        for profile in script.agents {
            let reply = try await client.send("PUT", "/v1/agents/\(segment(profile.id))", json: profile)
            _ = try await client.send("PUT", "/v1/agents/\(segment(profile.id))/presence", json: PresenceRequest(presence: .available))
            let skills = profile.skills.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            let channels = Channel.allCases.filter { (profile.channelCapacity[$0] ?? $0.defaultCapacity) > 0 }.map(\.rawValue).joined(separator: ",")
            await state.say("agent \(profile.id) \(profile.name) \(reply.status == 201 ? "created" : "updated"), available "
                + "[\(profile.supportTier.rawValue); \(Format.list(profile.regions)); \(Format.list(profile.languages)); \(skills); \(channels)]")
        }
    }

    private func createTickets() async throws {
        var existing = 0
        for plan in script.tickets {
            let (reply, via) = try await create(plan)
            let ticket = try reply.decode(Ticket.self)
            let label = "#\(plan.number)"
            let created = reply.status == 201
            if !created { existing += 1 }
            let d = plan.draft
            await state.say("ticket \(ticket.id) \(label) \(d.category.rawValue)/\(d.channel.rawValue) \(d.customer.tier.rawValue) "
                + "\(d.customer.language)/\(d.customer.region) → \(ticket.urgency.rawValue), queue \(ticket.queue)"
                + (intake.count > 1 ? " via \(via)" : "")
                + (created ? "" : " (existing: \(ticket.status.rawValue)\(ticket.feedback.map { ", rated \($0.rating)" } ?? ""))"))
            await state.count(created ? "created" : "existing")
            await state.track(ticket.id, DemoTicket(number: plan.number, label: label, customerID: d.customer.id, asksForInfo: plan.asksForInfo,
                                                    rating: plan.rating, comment: plan.comment))
            try await catchUp(ticket)
        }
        if existing > 0 {
            await state.say("\(existing) of \(script.tickets.count) tickets already existed (same idempotency keys): continuing where they are")
        }
    }

    /// A ticket from an earlier run may be resolved already, rated, or have a call-back open.
    private func catchUp(_ ticket: Ticket) async throws {
        // Rated once already (a rating is given at most once, even if the ticket was reopened since).
        if ticket.feedback != nil { await state.markRated(ticket.id) }
        if let followUpID = ticket.followUpTicketID {
            let (followUp, _) = try await client.get(Ticket.self, "/v1/tickets/\(segment(followUpID))")
            await trackFollowUp(followUp.id, of: ticket.id)
            await state.count("followUps")
            try await catchUp(followUp)
        }
        if ticket.status == .cancelled {
            await state.say("note    \(ticket.id) was cancelled outside the demo; not rated")
            await state.markResolved(ticket.id)
            await state.markRated(ticket.id)
            return
        }
        guard ticket.status.isResolution else { return }
        await state.markResolved(ticket.id)
        if ticket.feedback == nil { await rate(ticket) }
    }

    /// Follows the call-back opened by a low rating of `originalID`; rates it when an agent
    /// already resolved it before the demo knew its id.
    private func trackFollowUp(_ followUpID: String, of originalID: String) async {
        guard let base = await state.ticket(originalID) else { return }
        let alreadyResolved = await state.track(followUpID, DemoTicket(
            number: base.number, label: "call-back of \(base.label)", customerID: base.customerID, asksForInfo: false,
            rating: script.followUpRating(forTicket: base.number), comment: "Thanks for calling back."))
        if alreadyResolved, let (followUp, _) = try? await client.get(Ticket.self, "/v1/tickets/\(segment(followUpID))") {
            await rate(followUp)
        }
    }

    // MARK: Agents

    private var timeLeft: Bool { ContinuousClock.now < deadline }

    /// One agent: first the tickets it already holds (from an interrupted run), then long-poll
    /// rounds of offers until every demo ticket is done, the rounds run out or time is up.
    private func work(as agentID: String) async {
        do {
            let (held, _) = try await client.get(AgentAssignmentsResponse.self, "/v1/agents/\(segment(agentID))/assignments")
            for ticket in held.tickets { await handle(ticket, agentID: agentID, offered: false) }
        } catch {
            await state.fail("assignments of \(agentID): \(error)")
        }
        var round = 0
        while round < maxRounds, timeLeft, await !state.finished {
            round += 1
            let offers: [Ticket]
            do {
                // No long poll in the last second before the deadline.
                let wait = ContinuousClock.now + .milliseconds(1500) < deadline ? Self.pollWait : 0
                let path = "/v1/agents/\(segment(agentID))/offers?wait=\(wait)"
                offers = try await client.get(AgentOffersResponse.self, path, timeout: Double(wait) + 5).0.offers
            } catch {
                await state.fail("poll offers of \(agentID): \(error)")
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            for ticket in offers where timeLeft { await handle(ticket, agentID: agentID, offered: true) }
        }
        if await !state.finished {
            await state.stop(because: timeLeft ? "\(agentID) used its \(maxRounds) rounds" : "the deadline passed")
        }
    }

    private func event(_ body: TicketEventRequest, _ ticketID: String) async throws -> Ticket {
        try await client.send("POST", "/v1/tickets/\(segment(ticketID))/events", json: body).decode(Ticket.self)
    }

    /// Takes one ticket from offer (or wherever an earlier run left it) to resolved and rated.
    private func handle(_ offered: Ticket, agentID: String, offered isOffer: Bool) async {
        if let original = offered.followUpOf, await state.ticket(offered.id) == nil {
            await trackFollowUp(offered.id, of: original)
        }
        let plan = await state.ticket(offered.id)
        let what = "\(offered.category.rawValue)/\(offered.channel.rawValue), \(offered.urgency.rawValue)"
        let label = plan.map { " \($0.label)" } ?? " (not from this demo)"
        var ticket = offered
        var step = "accept"
        do {
            if isOffer {
                await state.say("offer   \(ticket.id)\(label) → \(agentID) (\(what))")
                await state.count("offers")
                do {
                    ticket = try await client.send("POST", "/v1/agents/\(segment(agentID))/offers/\(segment(ticket.id))/accept").decode(Ticket.self)
                } catch let error as CLIError where ["offer_expired", "not_offered_to_agent"].contains(error.apiCode ?? "") {
                    // Gone to someone else meanwhile; it will be offered again.
                    await state.say("missed  \(ticket.id)\(label): \(error)")
                    await state.count("missed")
                    return
                }
            } else {
                await state.say("resume  \(ticket.id)\(label) held by \(agentID) (\(ticket.status.rawValue))")
            }
            if ticket.status == .assigned {
                step = "start work"
                ticket = try await event(TicketEventRequest(type: "start_work", actor: .agent(agentID)), ticket.id)
            }
            let asked = ticket.history.contains { $0.kind == .customerInfoRequested }
            if plan?.asksForInfo == true, !asked, ticket.status == .inProgress {
                step = "ask the customer"
                ticket = try await event(TicketEventRequest(type: "request_customer_info", actor: .agent(agentID),
                                                   question: "Could you send a photo of the label and your order number?"), ticket.id)
                await state.say("ask     \(ticket.id)\(label): \(agentID) asks the customer for a photo and the order number")
                await state.count("asked")
            }
            if ticket.status == .waitingOnCustomer {
                step = "customer reply"
                let customer = plan?.customerID ?? ticket.customer.id
                ticket = try await event(TicketEventRequest(type: "customer_reply", actor: .customer(customer),
                                                   text: "Photo attached; the order number is \(ticket.customer.orderID ?? "on the invoice")."), ticket.id)
                await state.say("reply   \(ticket.id)\(label): customer \(customer) replies")
            }
            step = "resolve"
            ticket = try await event(TicketEventRequest(type: "resolve", actor: .agent(agentID), note: "Sorted: \(Format.clip(ticket.subject, 40))"), ticket.id)
            let took = ticket.resolvedAt.map { Format.duration($0.timeIntervalSince(ticket.createdAt)) } ?? "-"
            await state.say("resolve \(ticket.id)\(label) by \(agentID) after \(took)")
            await state.count("resolved")
            await state.markResolved(ticket.id)
            await rate(ticket)
        } catch {
            await state.fail("\(step) \(ticket.id)\(label) as \(agentID): \(error)")
        }
    }

    /// The customer's rating; a low one opens a call-back ticket that the demo then follows.
    private func rate(_ ticket: Ticket) async {
        guard let plan = await state.claimRating(ticket.id), let rating = plan.rating else { return }
        do {
            let rated = try await client.send("POST", "/v1/tickets/\(segment(ticket.id))/feedback",
                                              json: FeedbackRequest(rating: rating, comment: plan.comment)).decode(Ticket.self)
            await state.markRated(ticket.id)
            if let followUpID = rated.followUpTicketID {
                await trackFollowUp(followUpID, of: rated.id)
                let (followUp, _) = try await client.get(Ticket.self, "/v1/tickets/\(segment(followUpID))")
                await state.say("rate    \(ticket.id) \(plan.label) \(rating)/5 \"\(plan.comment)\" → call-back \(followUpID) (\(followUp.category.rawValue)/\(followUp.channel.rawValue), \(followUp.urgency.rawValue))")
                await state.count("followUps")
            } else {
                await state.say("rate    \(ticket.id) \(plan.label) \(rating)/5")
            }
            await state.count("rated")
        } catch {
            await state.releaseRating(ticket.id)
            await state.fail("rate \(ticket.id) \(plan.label): \(error)")
        }
    }

    // MARK: End

    private func finish() async throws {
        let pending = await state.pending
        if !pending.isEmpty, let reason = await state.stopReason {
            await state.say("stopped early: \(reason); \(pending.count) tickets not done")
        }
        for (id, ticket) in pending {
            let where_: String
            if let (t, _) = try? await client.get(Ticket.self, "/v1/tickets/\(segment(id))") {
                switch t.status {
                case .offered:
                    where_ = "offered to \(t.offer?.agentID ?? "?"), not accepted in time"
                case .queued:
                    where_ = "queued in \(t.queue), waiting for a free eligible agent (\(t.customer.language), \(t.channel.rawValue), "
                        + "skills \(TicketRendering.skills(t.requiredSkills)), tier \(t.supportTier.rawValue), \(t.deliveryAttempts) offers so far)"
                default:
                    where_ = "\(t.status.rawValue)" + (t.assignedAgentID.map { ", held by \($0)" } ?? "")
                }
            } else {
                where_ = "status unknown"
            }
            await state.say("UNHANDLED \(id) \(ticket.label): \(ticket.resolved ? "resolved but not rated" : where_)")
        }
        let counts = await state.counts
        let failures = await state.failures
        let tracked = await state.trackedCount
        let elapsed = await state.elapsed
        func c(_ name: String) -> Int { counts[name] ?? 0 }
        await state.say("""
            summary: \(script.tickets.count) tickets (\(c("created")) new, \(c("existing")) existing), \(c("followUps")) call-backs; \
            \(c("offers")) offers, \(c("missed")) missed, \(c("asked")) info requests, \(c("resolved")) resolved, \(c("rated")) rated; \
            \(tracked - pending.count)/\(tracked) done, \(failures.count) failures in \(Format.seconds(elapsed))
            """)
        let (report, _) = try await client.get(KPIReport.self, "/v1/kpis")
        FileHandle.standardOutput.write(Data("\nKPIs (whole node)\n\(KPIRendering.report(report))\n".utf8))
        if !pending.isEmpty || !failures.isEmpty {
            throw CLIError.failed("demo incomplete: \(pending.count) tickets unhandled, \(failures.count) failed steps")
        }
    }
}
