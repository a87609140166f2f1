import Foundation
import RingdeskDomain
@testable import RingdeskService
import Testing

/// The hand-written ticket document must be exactly what `JSONEncoder` makes of the `Codable`
/// domain types: same keys and values (compared as parsed JSON), and it must decode back.
@Suite struct TicketJSONWriterTests {
    /// The default policy plus the department queue the rich ticket is created into.
    let policy = DomainPolicy(queues: ["billing-de"])
    let start = Date(timeIntervalSince1970: 1_795_512_600.123)

    func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    func richTicket() throws -> Ticket {
        let draft = TicketDraft(
            category: .refund, channel: .chat,
            customer: CustomerContext(id: "C-7", tier: .vip, orderID: "O-1", orderValue: 129.9, language: "de", region: "eu-central",
                                      deadline: at(3600)),
            subject: "Erstattung \"dringend\" — 返金", body: "Line one\nline two\ttab \\ backslash / slash\r\nend \"q\"",
            requiredSkills: [SkillRequirement(skill: "refunds", minLevel: 3), SkillRequirement(skill: "german", minLevel: 2)],
            preferredAgentID: "ana", queue: "billing-de"
        )
        var ticket = try Ticket.create(id: "T-json-1", draft: draft, idempotencyKey: "key:1", by: .intake("shop"), at: start, policy: policy)
        _ = try ticket.apply(.offer(agentID: "bo", expiresAt: at(30)), by: .system, at: at(1), policy: policy)
        _ = try ticket.apply(.rejectOffer(agentID: "bo"), by: .agent("bo"), at: at(2), policy: policy)
        _ = try ticket.apply(.offer(agentID: "ana", expiresAt: at(40)), by: .system, at: at(3), policy: policy)
        _ = try ticket.apply(.acceptOffer(agentID: "ana"), by: .agent("ana"), at: at(4), policy: policy)
        _ = try ticket.apply(.comment(text: "internal \"note\"", internal: true), by: .agent("ana"), at: at(5), policy: policy)
        _ = try ticket.apply(.requestCustomerInfo(question: "IBAN?"), by: .agent("ana"), at: at(6), policy: policy)
        _ = try ticket.apply(.customerReply(text: "DE00 1234"), by: .customer("C-7"), at: at(606.5), policy: policy)
        _ = try ticket.apply(.resolve(note: "done"), by: .agent("ana"), at: at(700), policy: policy)
        _ = try ticket.apply(.feedback(rating: 1, comment: "slow"), by: .customer("C-7"), at: at(800), policy: policy)
        _ = try ticket.apply(.linkFollowUp(ticketID: "T-json-2"), by: .system, at: at(800), policy: policy)
        return ticket
    }

    func assertSameAsEncoder(_ ticket: Ticket) throws {
        let (written, stored, events) = TicketJSONWriter.document(ticket)
        var bare = ticket
        bare.history = []
        #expect(try ISO8601Millis.decoder().decode(Ticket.self, from: stored) == bare)
        let encoded = try ISO8601Millis.encoder().encode(ticket)
        let a = try JSONSerialization.jsonObject(with: written) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
        #expect(a != nil && a == b, "\(String(decoding: written, as: UTF8.self))\n---\n\(String(decoding: encoded, as: UTF8.self))")
        #expect(try ISO8601Millis.decoder().decode(Ticket.self, from: written) == ticket)
        #expect(Data(TicketJSONWriter.apiDocument(ticket)) == written)
        #expect(events.count == ticket.history.count)
        for (event, document) in zip(ticket.history, events) {
            #expect(try ISO8601Millis.decoder().decode(TicketEvent.self, from: document) == event)
        }
    }

    @Test func storedFormWithNewEventsOnlyMatchesTheWholeDocument() throws {
        let ticket = try richTicket()
        let whole = TicketJSONWriter.document(ticket)
        for first in 0...ticket.history.count {
            let partial = TicketJSONWriter.stored(ticket, eventsFrom: first)
            #expect(partial.stored == whole.stored)
            #expect(partial.events == Array(whole.events.dropFirst(first)))
        }
    }

    @Test func richTicketMatchesJSONEncoder() throws {
        let ticket = try richTicket()
        #expect(ticket.feedback != nil && ticket.followUpTicketID != nil && !ticket.excludedAgentIDs.isEmpty)
        try assertSameAsEncoder(ticket)
    }

    @Test func freshAndOfferedTicketsMatchJSONEncoder() throws {
        let draft = TicketDraft(category: .inquiry, channel: .email,
                                customer: CustomerContext(id: "C-1", tier: .standard, language: "en", region: "us-east"),
                                subject: "Where is my parcel?", body: "", requiredSkills: [])
        var ticket = try Ticket.create(id: "T-json-3", draft: draft, by: .intake("mail"), at: start, policy: policy)
        try assertSameAsEncoder(ticket)
        _ = try ticket.apply(.offer(agentID: "cy", expiresAt: at(30)), by: .system, at: at(1), policy: policy)
        try assertSameAsEncoder(ticket)
    }

    /// The list, offers and assignments responses: an object of string fields and one ticket array.
    @Test func ticketListObjectsMatchJSONEncoder() throws {
        let rich = try richTicket()
        let draft = TicketDraft(category: .inquiry, channel: .email,
                                customer: CustomerContext(id: "C-1", tier: .standard, language: "en", region: "us-east"),
                                subject: "Where is my parcel?", body: "", requiredSkills: [])
        let plain = try Ticket.create(id: "T-json-4", draft: draft, by: .intake("mail"), at: start, policy: policy)
        struct Page: Encodable {
            var tickets: [Ticket]
            var nextCursor: String?
            enum CodingKeys: String, CodingKey { case tickets, nextCursor = "next_cursor" }
        }
        for (tickets, cursor) in [([rich, plain], "c/2"), ([], nil), ([plain], nil)] as [([Ticket], String?)] {
            let written = Data(TicketJSONWriter.apiObject(fields: [("next_cursor", cursor)], arrayKey: "tickets", tickets: tickets))
            let encoded = try ISO8601Millis.encoder().encode(Page(tickets: tickets, nextCursor: cursor))
            let a = try JSONSerialization.jsonObject(with: written) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
            #expect(a != nil && a == b, "\(String(decoding: written, as: UTF8.self))\n---\n\(String(decoding: encoded, as: UTF8.self))")
        }
    }
}
