import ArgumentParser
import Foundation
import RingdeskAPI
import RingdeskDomain

/// `ringdesk agent …`: agent profiles, presence, and the agent's side of offers and work.
struct AgentGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Manage agents and act as one (offers, work, assignments).",
        subcommands: [AgentUpsert.self, AgentPresence.self, AgentShow.self, AgentList.self, AgentPull.self, AgentWatch.self,
                      AgentAccept.self, AgentReject.self, AgentStart.self, AgentRenew.self, AgentResolve.self, AgentAssignments.self]
    )
}

struct StreamLine: Decodable {
    var type: String
    var ticket: Ticket?
}

enum AgentRendering {
    static func summary(_ agent: Agent) -> String {
        var fields = FieldList()
        fields.add("Agent", agent.id)
        fields.add("Name", agent.name)
        fields.add("Presence", "\(agent.presence.rawValue) since \(Format.date(agent.presenceSince))")
        fields.add("Tier", agent.supportTier.rawValue)
        fields.add("Regions", Format.list(agent.regions))
        fields.add("Languages", agent.languages.isEmpty ? "any" : Format.list(agent.languages))
        fields.add("Skills", skills(agent))
        fields.add("Capacity", capacity(agent))
        if let ended = agent.lastAssignmentEndedAt { fields.add("Last assignment ended", Format.date(ended)) }
        return fields.render()
    }

    static func skills(_ agent: Agent) -> String {
        agent.skills.isEmpty ? "-" : agent.skills.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
    }

    static func capacity(_ agent: Agent) -> String {
        Channel.allCases.compactMap { channel in
            let n = agent.capacity(for: channel)
            return n > 0 ? "\(channel.rawValue):\(n)" : nil
        }.joined(separator: " ")
    }

    static func list(_ agents: [Agent]) -> String {
        var table = TextTable(["ID", "NAME", "PRESENCE", "TIER", "REGIONS", "LANGUAGES", "SKILLS", "CAPACITY"])
        for agent in agents {
            table.add([agent.id, agent.name, agent.presence.rawValue, agent.supportTier.rawValue, Format.list(agent.regions),
                       agent.languages.isEmpty ? "any" : Format.list(agent.languages), skills(agent), capacity(agent)])
        }
        return table.render()
    }
}

struct AgentUpsert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "upsert", abstract: "Create or replace an agent's profile (presence is kept).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String
    @Option(help: "Display name.") var name: String
    @Option(name: .customLong("region"), help: "Region served (repeatable).") var regions: [String] = []
    @Option(name: .customLong("language"), help: "Language spoken (repeatable; none means any).") var languages: [String] = []
    @Option(name: .customLong("skill"), help: ArgumentHelp("Skill and level 1-5 (repeatable).", valueName: "name:level"))
    var skills: [SkillArgument] = []
    @Option(help: "Support tier.") var tier: SupportTier = .l1
    @Option(name: .customLong("capacity"), help: ArgumentHelp("Concurrent tickets on a channel (repeatable; 0 disables it; channels: \(Channel.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "channel:n"))
    var capacities: [CapacityArgument] = []

    func validate() throws {
        let names = skills.map(\.name)
        if Set(names).count != names.count { throw ValidationError("each --skill may be given once") }
        let channels = capacities.map(\.channel)
        if Set(channels).count != channels.count { throw ValidationError("each channel may be given once in --capacity") }
    }

    func run() async throws {
        let profile = AgentProfile(id: id, name: name, regions: regions, languages: languages,
                                   skills: Dictionary(uniqueKeysWithValues: skills.map { ($0.name, $0.level) }), supportTier: tier,
                                   channelCapacity: Dictionary(uniqueKeysWithValues: capacities.map { ($0.channel, $0.capacity) }))
        try await global.withClient { client in
            let reply = try await client.send("PUT", "/v1/agents/\(segment(id))", json: profile)
            if global.json { print(reply.text); return }
            print(reply.status == 201 ? "created" : "updated")
            print(AgentRendering.summary(try reply.decode(Agent.self)))
        }
    }
}

struct AgentPresence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presence", abstract: "Set an agent available, away or offline.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String
    @Argument(help: "New presence.") var presence: Presence


    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("PUT", "/v1/agents/\(segment(id))/presence", json: PresenceRequest(presence: presence))
            if global.json { print(reply.text); return }
            let agent = try reply.decode(Agent.self)
            print("\(agent.id) is \(agent.presence.rawValue) since \(Format.date(agent.presenceSince))")
        }
    }
}

struct AgentShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an agent.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String

    func run() async throws {
        try await global.withClient { client in
            let (agent, reply) = try await client.get(Agent.self, "/v1/agents/\(segment(id))")
            if global.json { print(reply.text); return }
            print(AgentRendering.summary(agent))
        }
    }
}

struct AgentList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List all agents.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let (list, reply) = try await client.get(AgentListResponse.self, "/v1/agents")
            if global.json { print(reply.text); return }
            print(AgentRendering.list(list.agents))
            print("")
            print("\(list.agents.count) agents, \(list.agents.filter { $0.presence == .available }.count) available")
        }
    }
}

struct AgentPull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch the agent's offers, waiting up to --wait seconds for one to arrive (long poll)."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String
    @Option(help: "Seconds to wait for an offer when none is waiting (0-60).") var wait: Int = 20

    func validate() throws {
        guard (0...60).contains(wait) else { throw ValidationError("--wait must be from 0 to 60 seconds") }
    }

    func run() async throws {
        try await global.withClient { client in
            // The request deadline must outlast the long poll.
            let (list, reply) = try await client.get(AgentOffersResponse.self, "/v1/agents/\(segment(id))/offers?wait=\(wait)",
                                                     timeout: max(global.timeout, Double(wait) + 5))
            if global.json { print(reply.text); return }
            if list.offers.isEmpty {
                print("no offers for \(list.agentID)" + (wait > 0 ? " within \(wait)s" : ""))
            } else {
                print(TicketRendering.offers(list.offers))
            }
        }
    }
}

struct AgentWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the agent's offer stream (NDJSON), printing each offer until --count offers or Ctrl-C."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String
    @Option(help: "Stop after this many offers.") var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        try await global.withClient { client in
            let response = try await client.stream("/v1/agents/\(segment(id))/offers/stream")
            if !global.json { print("watching offers for \(id) on \(client.label)" + (count.map { " (stop after \($0))" } ?? "; Ctrl-C to stop")) }
            var seen = 0
            var pending = Data()
            let decoder = WireJSON.decoder()
            do {
                chunks: for try await chunk in response.body {
                    pending.append(contentsOf: chunk.readableBytesView)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = pending[pending.startIndex..<newline]
                        pending = Data(pending[pending.index(after: newline)...])
                        guard !line.isEmpty else { continue }
                        let parsed = try? decoder.decode(StreamLine.self, from: line)
                        if global.json {
                            print(String(decoding: line, as: UTF8.self))
                        } else if let ticket = parsed?.ticket, parsed?.type == "offer" {
                            let expires = ticket.offer.map { " expires \(Format.due($0.expiresAt))" } ?? ""
                            print("\(Format.date(Date()))  offer \(ticket.id) \(ticket.category.rawValue)/\(ticket.channel.rawValue) "
                                + "\(ticket.urgency.rawValue) \(ticket.customer.language)/\(ticket.customer.region)\(expires)  \(Format.clip(ticket.subject, 40))")
                        } else if parsed == nil {
                            FileHandle.standardError.write(Data("warning: unreadable stream line: \(Format.clip(String(decoding: line, as: UTF8.self), 80))\n".utf8))
                        }
                        if parsed?.type == "offer" {
                            seen += 1
                            if let count, seen >= count { break chunks }
                        }
                    }
                }
            } catch {
                throw client.mapped(error, seconds: global.timeout)
            }
            if let count, seen < count {
                throw CLIError.transport(node: client.label, code: "stream_ended", detail: "the offer stream ended after \(seen) of \(count) offers")
            }
        }
    }
}

/// Shared shape of the commands that act on one (agent, ticket) pair.
struct AgentTicketArguments: ParsableArguments {
    @Argument(help: "Agent id.") var agent: String
    @Argument(help: "Ticket id.") var ticket: String
}

/// Prints the ticket after an agent action.
func printAgentAction(_ reply: NodeClient.Reply, json: Bool, verb: String) throws {
    if json { print(reply.text); return }
    let ticket = try reply.decode(Ticket.self)
    print("\(verb) \(ticket.id): now \(ticket.status.rawValue)" + (ticket.assignedAgentID.map { ", held by \($0)" } ?? "")
        + (ticket.offer.map { ", offered to \($0.agentID)" } ?? ""))
}

struct AgentAccept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept an offer as the agent.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var pair: AgentTicketArguments

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/agents/\(segment(pair.agent))/offers/\(segment(pair.ticket))/accept")
            try printAgentAction(reply, json: global.json, verb: "accepted")
        }
    }
}

struct AgentReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject an offer as the agent (it goes to someone else).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var pair: AgentTicketArguments

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/agents/\(segment(pair.agent))/offers/\(segment(pair.ticket))/reject")
            try printAgentAction(reply, json: global.json, verb: "rejected")
        }
    }
}

struct AgentRenew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew", abstract: "Keep the agent's lease on an accepted ticket alive (it lapses back to the queue otherwise).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var pair: AgentTicketArguments

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/agents/\(segment(pair.agent))/assignments/\(segment(pair.ticket))/lease")
            if global.json { print(reply.text); return }
            let lease = try reply.decode(LeaseResponse.self)
            print("lease on \(lease.ticketID) held by \(lease.agentID) until \(Format.due(lease.leaseExpiresAt))")
        }
    }
}

struct AgentStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start work on an accepted ticket (event start_work).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var pair: AgentTicketArguments

    func run() async throws {
        try await global.withClient { client in
            let body = TicketEventRequest(type: "start_work", actor: .agent(pair.agent))
            let reply = try await client.send("POST", "/v1/tickets/\(segment(pair.ticket))/events", json: body)
            try printAgentAction(reply, json: global.json, verb: "started")
        }
    }
}

struct AgentResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve a ticket the agent holds (event resolve).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var pair: AgentTicketArguments
    @Option(help: "Resolution note shown to the customer.") var note: String?

    func run() async throws {
        try await global.withClient { client in
            let body = TicketEventRequest(type: "resolve", actor: .agent(pair.agent), note: note)
            let reply = try await client.send("POST", "/v1/tickets/\(segment(pair.ticket))/events", json: body)
            try printAgentAction(reply, json: global.json, verb: "resolved")
        }
    }
}

struct AgentAssignments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assignments", abstract: "List the tickets an agent holds.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Agent id.") var id: String

    func run() async throws {
        try await global.withClient { client in
            let (held, reply) = try await client.get(AgentAssignmentsResponse.self, "/v1/agents/\(segment(id))/assignments")
            if global.json { print(reply.text); return }
            if held.tickets.isEmpty {
                print("\(held.agentID) holds no tickets")
            } else {
                print(TicketRendering.list(held.tickets))
            }
        }
    }
}
