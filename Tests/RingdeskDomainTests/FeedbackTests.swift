import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct FeedbackTests {
    let policy = DomainPolicy.defaults

    @Test(arguments: [1, 2])
    func lowRatingOpensFollowUp(rating: Int) throws {
        var t = try ticket(in: .resolved, draft: sampleDraft(category: .return, channel: .email))
        let effects = try t.apply(.feedback(rating: rating, comment: "Nobody called back"), by: customer, at: monday, policy: policy)
        #expect(effects.count == 1)
        guard case let .openFollowUp(draft) = effects.first else {
            Issue.record("expected openFollowUp, got \(effects)")
            return
        }
        #expect(draft.category == .complaint)
        #expect(draft.channel == .phone)
        #expect(draft.customer == t.customer)
        #expect(draft.subject.hasPrefix("Call-back: "))
        #expect(draft.body.contains("\(rating)/5") && draft.body.contains("Nobody called back"))
        #expect(t.feedback?.rating == rating)

        // The owner creates the call-back ticket and links it.
        var p = policy
        p.triage = TriageRules(rules: []) // even with no rules the call-back is at least yellow
        let followUp = try Ticket.createFollowUp(id: "T-2", draft: draft, followUpOf: t.id, at: monday, policy: p)
        #expect(followUp.followUpOf == "T-1")
        #expect(followUp.urgency >= .yellow)
        #expect(followUp.idempotencyKey == "follow-up:T-1")
        #expect(followUp.queue == "complaints")
        _ = try t.apply(.linkFollowUp(ticketID: followUp.id), by: .system, at: monday, policy: policy)
        #expect(t.followUpTicketID == "T-2")
        #expect(try t.apply(.linkFollowUp(ticketID: "T-2"), by: .system, at: monday, policy: policy) == []) // idempotent
        expectDomainError("follow_up_exists") {
            _ = try t.apply(.linkFollowUp(ticketID: "T-3"), by: .system, at: monday, policy: policy)
        }
    }

    @Test(arguments: [3, 4, 5])
    func goodRatingOpensNothing(rating: Int) throws {
        var t = try ticket(in: .closed)
        #expect(try t.apply(.feedback(rating: rating, comment: ""), by: customer, at: monday, policy: policy) == [])
        #expect(t.feedback == Feedback(rating: rating, comment: "", at: monday))
        #expect(t.history.last?.kind == .feedbackReceived)
        #expect(t.history.last?.details["rating"] == String(rating))
    }

    @Test func secondFeedbackIsRefused() throws {
        var t = try ticket(in: .resolved)
        _ = try t.apply(.feedback(rating: 5, comment: "thanks"), by: customer, at: monday, policy: policy)
        let before = t
        expectDomainError("feedback_exists") {
            _ = try t.apply(.feedback(rating: 1, comment: "changed my mind"), by: customer, at: monday, policy: policy)
        }
        #expect(t == before)
    }

    @Test func ratingAndCommentAreValidated() throws {
        var t = try ticket(in: .resolved)
        expectDomainError("invalid_field", field: "rating") {
            _ = try t.apply(.feedback(rating: 0, comment: ""), by: customer, at: monday, policy: policy)
        }
        expectDomainError("invalid_field", field: "rating") {
            _ = try t.apply(.feedback(rating: 6, comment: ""), by: customer, at: monday, policy: policy)
        }
        expectDomainError("invalid_field", field: "comment") {
            _ = try t.apply(.feedback(rating: 4, comment: String(repeating: "x", count: 2001)), by: customer, at: monday, policy: policy)
        }
        #expect(t.feedback == nil)
    }

    @Test func feedbackBeforeResolutionIsIllegal() throws {
        var t = try ticket(in: .inProgress)
        expectDomainError("illegal_transition") {
            _ = try t.apply(.feedback(rating: 5, comment: ""), by: customer, at: monday, policy: policy)
        }
    }
}

@Suite struct CustomerProgressViewTests {
    let policy = DomainPolicy.defaults

    @Test func hidesInternalNotesAndAgentData() throws {
        var t = try ticket(in: .inProgress)
        _ = try t.apply(.comment(text: "SECRET: customer abuses returns", internal: true), by: .agent("a1"), at: monday, policy: policy)
        _ = try t.apply(.comment(text: "We are checking with the warehouse.", internal: false), by: .agent("a1"), at: monday, policy: policy)
        _ = try t.apply(.requestCustomerInfo(question: "Could you send a photo?"), by: .agent("a1"), at: monday, policy: policy)
        let waiting = CustomerProgressView(ticket: t)
        #expect(waiting.stage == .waitingForYou)
        #expect(waiting.resolutionDue == nil) // paused
        _ = try t.apply(.customerReply(text: "Photo attached"), by: customer, at: monday, policy: policy)
        let view = CustomerProgressView(ticket: t)
        #expect(view.stage == .beingHandled)
        #expect(view.messages.map(\.text) == ["We are checking with the warehouse.", "Could you send a photo?", "Photo attached"])
        #expect(view.messages.map(\.author) == [.support, .support, .customer])
        #expect(view.firstResponseDue == nil) // already responded
        #expect(view.resolutionDue == t.sla.resolutionDue)
        let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
        #expect(!json.contains("SECRET"))
        #expect(!json.contains("a1"))
        #expect(!json.contains("epoch"))
        #expect(!json.contains("general")) // no queue names
        #expect(json.contains("next_step"))
    }

    @Test func stagesAndNextSteps() throws {
        let queued = CustomerProgressView(ticket: try ticket(in: .queued))
        #expect(queued.stage == .waitingForAgent)
        #expect(queued.firstResponseDue != nil)
        let resolved = CustomerProgressView(ticket: try ticket(in: .resolved))
        #expect(resolved.stage == .resolved && resolved.canGiveFeedback)
        #expect(resolved.messages.map(\.text) == ["Refund issued"])
        #expect(resolved.resolutionDue == nil)
        #expect(CustomerProgressView(ticket: try ticket(in: .cancelled)).stage == .cancelled)
        #expect(CustomerProgressView(ticket: try ticket(in: .offered)).stage == .waitingForAgent)
    }
}
