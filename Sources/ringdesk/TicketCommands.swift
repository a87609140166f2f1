import ArgumentParser
import Foundation
import RingdeskAPI
import RingdeskDomain

/// `ringdesk tickets …`: open, read and move after-sales tickets.
struct Tickets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickets",
        abstract: "Create, inspect and move after-sales tickets.",
        subcommands: [TicketCreate.self, TicketShow.self, TicketProgress.self, TicketList.self, TicketEventCommand.self, TicketFeedback.self]
    )
}

struct TicketCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Open a ticket from flags, or send a JSON draft file as is.",
        discussion: "Without --file, --category, --channel, --customer-id, --language, --region and --subject are required."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("JSON ticket draft sent as is (instead of the draft flags).", valueName: "path"),
            completion: .file(extensions: ["json"]))
    var file: String?
    @Option(help: "What the ticket is about.") var category: TicketCategory?
    @Option(help: "How the customer reached us.") var channel: Channel?
    @Option(name: .customLong("customer-id"), help: "Customer identifier.") var customerID: String?
    @Option(help: "Customer tier (default standard).") var tier: CustomerTier?
    @Option(help: "Customer language tag, e.g. en or pt-BR.") var language: String?
    @Option(help: "Customer region, e.g. eu-west.") var region: String?
    @Option(name: .customLong("order-id"), help: "Order the ticket is about.") var orderID: String?
    @Option(name: .customLong("order-value"), help: "Order value in currency units.") var orderValue: Double?
    @Option(help: "Return-window end or refund deadline (ISO 8601 date or date-time).") var deadline: DateArgument?
    @Option(help: "One-line subject.") var subject: String?
    @Option(help: "Ticket body text.") var body: String?
    @Option(name: .customLong("skill"), help: ArgumentHelp("Required skill and minimum level 1-5 (repeatable).", valueName: "name:level"))
    var skills: [SkillArgument] = []
    @Option(name: .customLong("preferred-agent"), help: "Agent to prefer (e.g. the last one who helped).") var preferredAgent: String?
    @Option(help: "Department queue (default: the category's queue).") var queue: String?
    @Option(name: .customLong("idempotency-key"), help: "Repeat-safe key: the same key returns the same ticket.") var idempotencyKey: String?

    func validate() throws {
        let draftFlagsGiven = category != nil || channel != nil || customerID != nil || tier != nil || language != nil || region != nil
            || orderID != nil || orderValue != nil || deadline != nil || subject != nil || body != nil || !skills.isEmpty
            || preferredAgent != nil || queue != nil
        if file != nil {
            if draftFlagsGiven { throw ValidationError("--file cannot be combined with the draft flags (only --idempotency-key)") }
            return
        }
        var missing: [String] = []
        if category == nil { missing.append("--category") }
        if channel == nil { missing.append("--channel") }
        if customerID == nil { missing.append("--customer-id") }
        if language == nil { missing.append("--language") }
        if region == nil { missing.append("--region") }
        if subject == nil { missing.append("--subject") }
        if !missing.isEmpty { throw ValidationError("missing \(missing.joined(separator: ", ")) (or give --file)") }
    }

    func run() async throws {
        let data: Data
        if let file {
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw CLIError.input("cannot read \(file): \(error.localizedDescription)")
            }
        } else {
            let customer = CustomerContext(id: customerID!, tier: tier ?? .standard, orderID: orderID, orderValue: orderValue,
                                           language: language!, region: region!, deadline: deadline?.date)
            let draft = TicketDraft(category: category!, channel: channel!, customer: customer, subject: subject!, body: body ?? "",
                                    requiredSkills: skills.map { SkillRequirement(skill: $0.name, minLevel: $0.level) },
                                    preferredAgentID: preferredAgent, queue: queue)
            data = try WireJSON.encoder().encode(draft)
        }
        try await global.withClient { client in
            let headers = idempotencyKey.map { [("idempotency-key", $0)] } ?? []
            let reply = try await client.send("POST", "/v1/tickets", body: data, headers: headers)
            if global.json { print(reply.text); return }
            let ticket = try reply.decode(Ticket.self)
            print(TicketRendering.summary(ticket, note: reply.status == 201 ? "created" : "existing: same idempotency key"))
        }
    }
}

struct TicketShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a ticket and its history.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket id.") var id: String

    func run() async throws {
        try await global.withClient { client in
            let (ticket, reply) = try await client.get(Ticket.self, "/v1/tickets/\(segment(id))")
            if global.json { print(reply.text); return }
            print(TicketRendering.summary(ticket))
            print("")
            print(TicketRendering.history(ticket))
        }
    }
}

struct TicketProgress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "progress", abstract: "Show a ticket as its customer sees it.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket id.") var id: String

    func run() async throws {
        try await global.withClient { client in
            let (view, reply) = try await client.get(CustomerProgressView.self, "/v1/tickets/\(segment(id))/progress")
            if global.json { print(reply.text); return }
            var fields = FieldList()
            fields.add("Ticket", view.id)
            fields.add("Subject", view.subject)
            fields.add("About", "\(view.category.rawValue) via \(view.channel.rawValue)")
            fields.add("Stage", view.stage.rawValue)
            fields.add("Next step", view.nextStep)
            fields.add("Opened", Format.date(view.createdAt))
            fields.add("Updated", Format.date(view.updatedAt))
            if let due = view.firstResponseDue { fields.add("Reply expected by", Format.due(due)) }
            if let due = view.resolutionDue { fields.add("Resolution expected by", Format.due(due)) }
            if let resolved = view.resolvedAt { fields.add("Resolved", Format.date(resolved)) }
            fields.add("Feedback", view.rating.map { "rated \($0)/5" } ?? (view.canGiveFeedback ? "you can rate this ticket" : "-"))
            print(fields.render())
            if !view.messages.isEmpty {
                print("")
                var table = TextTable(["AT", "FROM", "MESSAGE"])
                for message in view.messages { table.add([Format.date(message.at), message.author.rawValue, Format.clip(message.text, 90)]) }
                print(table.render())
            }
        }
    }
}

struct TicketList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tickets, one page at a time.")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Statuses, comma-separated (\(TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "a,b"))
    var status: String?
    @Option(help: "Only this urgency.") var urgency: Urgency?
    @Option(help: "Only this customer region.") var region: String?
    @Option(help: "Only this category.") var category: TicketCategory?
    @Option(help: "Only this channel.") var channel: Channel?
    @Option(help: "Only tickets held or offered to this agent.") var agent: String?
    @Option(help: "Only this customer's tickets.") var customer: String?
    @Option(help: ArgumentHelp("Only tickets in this queue (e.g. supervisor_review, the review queue).", valueName: "name"))
    var queue: String?
    @Option(help: "Page size.") var limit: Int?
    @Option(help: "Cursor from the previous page.") var cursor: String?
    @Option(help: "Sort order.") var order: SortOrder?

    enum SortOrder: String, ExpressibleByArgument, CaseIterable {
        case newest, oldest
    }

    struct Page: Decodable {
        var tickets: [Ticket]
        var nextCursor: String?
        enum CodingKeys: String, CodingKey {
            case tickets
            case nextCursor = "next_cursor"
        }
    }

    func validate() throws {
        if let status {
            for word in status.split(separator: ",", omittingEmptySubsequences: false) where TicketStatus(rawValue: String(word)) == nil {
                throw ValidationError("unknown status '\(word)' in --status; use \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        var query = Query()
        query.add("status", status)
        query.add("urgency", urgency?.rawValue)
        query.add("region", region)
        query.add("category", category?.rawValue)
        query.add("channel", channel?.rawValue)
        query.add("agent_id", agent)
        query.add("customer_id", customer)
        query.add("queue", queue)
        query.add("limit", limit.map(String.init))
        query.add("cursor", cursor)
        query.add("order", order?.rawValue)
        try await global.withClient { client in
            let (page, reply) = try await client.get(Page.self, query.path("/v1/tickets"))
            if global.json { print(reply.text); return }
            print(TicketRendering.list(page.tickets))
            print("")
            if let next = page.nextCursor {
                print("\(page.tickets.count) tickets; next page: --cursor \(next)")
            } else {
                print("\(page.tickets.count) tickets; end of list")
            }
        }
    }
}


struct TicketEventCommand: AsyncParsableCommand {
    static let eventTypes = ["comment", "start_work", "request_customer_info", "customer_reply", "transfer", "escalate", "resolve",
                             "close", "reopen", "cancel", "override_urgency"]

    static let configuration = CommandConfiguration(
        commandName: "event",
        abstract: "Post a lifecycle event to a ticket.",
        discussion: "TYPE is one of: \(eventTypes.joined(separator: ", ")). Without --actor the node records supervisor:api."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket id.") var id: String
    @Argument(help: "Event type.", completion: .list(TicketEventCommand.eventTypes)) var type: String
    @Option(help: "Comment or reply text.") var text: String?
    @Option(help: "Question for request_customer_info.") var question: String?
    @Option(help: "Target queue for transfer.") var queue: String?
    @Option(help: "Reason for escalate, reopen or cancel.") var reason: String?
    @Option(help: "Resolution note.") var note: String?
    @Option(help: "Urgency for override_urgency (omit to clear the override).") var urgency: Urgency?
    @Flag(help: "Make a comment an internal note.") var `internal` = false
    @Option(name: .customLong("skill"), help: ArgumentHelp("Required skill for transfer (repeatable).", valueName: "name:level"))
    var skills: [SkillArgument] = []
    @Option(help: ArgumentHelp("Who posts the event; kind is system, agent, supervisor, customer or intake.", valueName: "kind:id")) var actor: ActorArgument?

    func run() async throws {
        let body = TicketEventRequest(type: type, actor: actor?.actor, text: text, internal: `internal` ? true : nil, question: question, queue: queue,
                             requiredSkills: skills.isEmpty ? nil : skills.map { SkillRequirement(skill: $0.name, minLevel: $0.level) },
                             reason: reason, note: note, urgency: urgency)
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/tickets/\(segment(id))/events", json: body)
            if global.json { print(reply.text); return }
            let ticket = try reply.decode(Ticket.self)
            print(TicketRendering.summary(ticket))
            if let last = ticket.history.last {
                print("")
                print("last event: #\(last.seq) \(last.kind.rawValue) by \(last.actor.kind.rawValue):\(last.actor.id)")
            }
        }
    }
}

struct TicketFeedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Rate a resolved ticket as its customer (1-5); a low rating opens a call-back ticket."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket id.") var id: String
    @Option(help: "Rating from 1 to 5.") var rating: Int
    @Option(help: "Free-text comment.") var comment: String?

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/tickets/\(segment(id))/feedback", json: FeedbackRequest(rating: rating, comment: comment))
            if global.json { print(reply.text); return }
            let ticket = try reply.decode(Ticket.self)
            print("Ticket \(ticket.id) rated \(ticket.feedback?.rating ?? rating)/5")
            if let followUp = ticket.followUpTicketID {
                print("Follow-up call-back ticket opened: \(followUp)")
            }
        }
    }
}
