import Foundation
import Testing
@testable import RingdeskDomain

/// A clock moved by hand: tests never read the real time.
struct ManualClock {
    var now: Date
    init(_ start: Date) { now = start }
    mutating func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
}

/// 2025-06-02T08:00:00Z, a Monday (10:00 in Berlin).
let monday = Date(timeIntervalSince1970: 1_748_851_200)

/// An instant from UTC civil fields, computed with Foundation (independent of LocalDate).
func utc(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ min: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!
}

/// An instant from Berlin local civil fields.
func berlin(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ min: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
    return calendar.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!
}

func sampleDraft(
    category: TicketCategory = .inquiry,
    channel: Channel = .email,
    tier: CustomerTier = .standard,
    orderValue: Double? = nil,
    deadline: Date? = nil,
    subject: String = "Where is my parcel?",
    body: String = "It was due yesterday.",
    language: String = "en",
    region: String = "eu-west",
    skills: [SkillRequirement] = [],
    preferredAgentID: String? = nil
) -> TicketDraft {
    TicketDraft(
        category: category, channel: channel,
        customer: CustomerContext(id: "c-1", tier: tier, orderID: "o-1", orderValue: orderValue,
                                  language: language, region: region, deadline: deadline),
        subject: subject, body: body, requiredSkills: skills, preferredAgentID: preferredAgentID)
}

let supervisor = TicketActor.supervisor("sup-1")
let intake = TicketActor.intake("shop")
let customer = TicketActor.customer("c-1")

func expectDomainError(_ code: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected DomainError \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DomainError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// Drives a new ticket into `status` with agent "a1" (offers expire 30 s after `now`).
func ticket(in status: TicketStatus, draft: TicketDraft = sampleDraft(), at now: Date = monday,
            policy: DomainPolicy = .defaults) throws -> Ticket {
    var t = try Ticket.create(id: "T-1", draft: draft, by: intake, at: now, policy: policy)
    func step(_ c: TicketCommand, _ actor: TicketActor = supervisor) throws { _ = try t.apply(c, by: actor, at: now, policy: policy) }
    switch status {
    case .new:
        t.status = .new
    case .queued:
        break
    case .offered:
        try step(.offer(agentID: "a1", expiresAt: now.addingTimeInterval(30)))
    case .assigned:
        try step(.offer(agentID: "a1", expiresAt: now.addingTimeInterval(30)))
        try step(.acceptOffer(agentID: "a1"), .agent("a1"))
    case .inProgress:
        t = try ticket(in: .assigned, draft: draft, at: now, policy: policy)
        _ = try t.apply(.startWork, by: .agent("a1"), at: now, policy: policy)
    case .waitingOnCustomer:
        t = try ticket(in: .inProgress, draft: draft, at: now, policy: policy)
        _ = try t.apply(.requestCustomerInfo(question: "Which size?"), by: .agent("a1"), at: now, policy: policy)
    case .resolved:
        t = try ticket(in: .inProgress, draft: draft, at: now, policy: policy)
        _ = try t.apply(.resolve(note: "Refund issued"), by: .agent("a1"), at: now, policy: policy)
    case .closed:
        t = try ticket(in: .resolved, draft: draft, at: now, policy: policy)
        _ = try t.apply(.close, by: .system, at: now, policy: policy)
    case .cancelled:
        try step(.cancel(reason: "duplicate"))
    }
    #expect(t.status == status)
    return t
}
