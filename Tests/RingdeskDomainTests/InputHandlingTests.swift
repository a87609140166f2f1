import Foundation
import Testing
@testable import RingdeskDomain

/// Regressions of issue 17 where the logic is pure: messages without Swift internals, readable
/// refusals, idempotency fingerprints, known queues, clearing an unset urgency override.
@Suite struct InputHandlingTests {
    func decodingMessage<T: Decodable>(_ type: T.Type, _ json: String) -> String {
        do {
            _ = try JSONDecoder().decode(T.self, from: Data(json.utf8))
            return "decoded"
        } catch DecodingError.dataCorrupted(let context) {
            return context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
        } catch {
            return "\(error)"
        }
    }

    @Test func unknownEnumValueListsTheAllowedValues() {
        let message = decodingMessage(TicketDraft.self, #"{"category":"RETURN","channel":"chat","subject":"s","customer":{"id":"c","language":"en","region":"r"}}"#)
        #expect(message == "category: must be one of return, exchange, refund, repair, complaint, inquiry, logistics; got 'RETURN'", "\(message)")
        let presence = decodingMessage([String: Presence].self, #"{"presence":"asleep"}"#)
        #expect(presence.contains("must be one of") && !presence.contains("Cannot initialize"), "\(presence)")
        let kind = decodingMessage(TicketActor.self, #"{"kind":"robot","id":"x"}"#)
        #expect(kind == "kind: must be one of system, agent, supervisor, customer, intake; got 'robot'", "\(kind)")
    }

    @Test func unknownChannelCapacityKeyIsNamedWithTheAllowedKeys() throws {
        let message = decodingMessage(AgentProfile.self, #"{"id":"a","name":"A","channel_capacity":{"chat":2,"fax":1}}"#)
        #expect(message == "channel_capacity.fax: unknown key 'fax'; allowed keys: phone, chat, email, social, sms, app", "\(message)")
        let profile = try JSONDecoder().decode(AgentProfile.self, from: Data(#"{"id":"a","name":"A","channel_capacity":{"chat":2}}"#.utf8))
        #expect(profile.channelCapacity == [.chat: 2])
        let none = try JSONDecoder().decode(AgentProfile.self, from: Data(#"{"id":"a","name":"A","channel_capacity":null}"#.utf8))
        #expect(none.channelCapacity.isEmpty)
    }

    @Test func refusalsReadAsEnglish() throws {
        var t = try ticket(in: .queued)
        do {
            _ = try t.apply(.customerReply(text: "hi"), by: .agent("a1"), at: monday, policy: .defaults)
            Issue.record("an agent replied as the customer")
        } catch let error as DomainError {
            #expect(error.message == "an agent cannot reply as the customer (customer_reply)")
        }
        do {
            _ = try t.apply(.close, by: supervisor, at: monday, policy: .defaults)
            Issue.record("closed a queued ticket")
        } catch let error as DomainError {
            #expect(error.message == "cannot close a ticket (close) while ticket T-1 is queued")
        }
        #expect(TicketActor.Kind.allCases.allSatisfy { !$0.withArticle.hasPrefix("a a") && !$0.withArticle.hasPrefix("a i") })
    }

    @Test func fingerprintIgnoresFormButNotContent() {
        let draft = sampleDraft()
        var spaced = draft
        spaced.subject = "  \(draft.subject)  "
        var spelledOutQueue = draft
        spelledOutQueue.queue = draft.category.defaultQueue
        #expect(draft.fingerprint == spaced.fingerprint)
        #expect(draft.fingerprint == spelledOutQueue.fingerprint)
        #expect(draft.fingerprint.hasPrefix("fnv1a64:"))
        var otherBody = draft
        otherBody.body = "Something else entirely."
        var otherSkills = draft
        otherSkills.requiredSkills = [SkillRequirement(skill: "refunds", minLevel: 2)]
        #expect(Set([draft.fingerprint, otherBody.fingerprint, otherSkills.fingerprint]).count == 3)
    }

    @Test func idempotencyKeyReusedWithAnotherRequestIsRefused() throws {
        let first = try Ticket.create(id: "T-1", draft: sampleDraft(), idempotencyKey: "k-1", by: intake, at: monday, policy: .defaults)
        #expect(first.requestFingerprint == sampleDraft().fingerprint)
        let same = try Ticket.create(id: "T-2", draft: sampleDraft(), idempotencyKey: "k-1", by: intake, at: monday.addingTimeInterval(5), policy: .defaults)
        #expect(try first.answeringRetry(same).id == "T-1")
        let other = try Ticket.create(id: "T-3", draft: sampleDraft(subject: "Another parcel"), idempotencyKey: "k-1", by: intake, at: monday, policy: .defaults)
        expectDomainError(DomainError.idempotencyKeyReusedCode) { _ = try first.answeringRetry(other) }
        // Tickets stored before fingerprints were recorded keep answering retries.
        var old = first
        old.history[0].details[Ticket.requestFingerprintDetail] = nil
        #expect(try old.answeringRetry(other).id == "T-1")
        // Without a key nothing is recorded.
        let keyless = try Ticket.create(id: "T-4", draft: sampleDraft(), by: intake, at: monday, policy: .defaults)
        #expect(keyless.requestFingerprint == nil)
    }

    @Test func transferAndCreateNeedAKnownQueue() throws {
        var t = try ticket(in: .queued)
        expectDomainError(DomainError.unknownQueueCode, field: "queue") {
            _ = try t.apply(.transfer(queue: "nowhere", requiredSkills: nil), by: supervisor, at: monday, policy: .defaults)
        }
        #expect(t.history.count == 2, "a refused transfer leaves the ticket untouched")
        _ = try t.apply(.transfer(queue: DomainPolicy.defaults.reviewQueue, requiredSkills: nil), by: supervisor, at: monday, policy: .defaults)
        #expect(t.queue == "supervisor_review")
        let custom = DomainPolicy(queues: ["billing-de"])
        _ = try t.apply(.transfer(queue: "billing-de", requiredSkills: nil), by: supervisor, at: monday, policy: custom)
        #expect(t.queue == "billing-de")
        var draft = sampleDraft()
        draft.queue = "nowhere"
        expectDomainError(DomainError.unknownQueueCode, field: "queue") {
            _ = try Ticket.create(id: "T-9", draft: draft, by: intake, at: monday, policy: .defaults)
        }
        #expect(custom.knownQueues == ["returns", "billing", "repairs", "complaints", "general", "logistics", "billing-de", "supervisor_review"])
    }

    @Test func clearingAnUnsetUrgencyOverrideChangesNothing() throws {
        var t = try ticket(in: .queued)
        let before = t
        let effects = try t.apply(.overrideUrgency(nil), by: supervisor, at: monday.addingTimeInterval(60), policy: .defaults)
        #expect(effects.isEmpty)
        #expect(t == before, "no event, no change")
        _ = try t.apply(.overrideUrgency(.red), by: supervisor, at: monday.addingTimeInterval(61), policy: .defaults)
        _ = try t.apply(.overrideUrgency(nil), by: supervisor, at: monday.addingTimeInterval(62), policy: .defaults)
        #expect(t.history.last?.kind == .urgencyOverrideCleared && !t.urgencyOverridden)
    }
}
