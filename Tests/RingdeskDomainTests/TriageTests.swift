import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct TriageTests {
    let rules = TriageRules.defaults
    let now = monday

    @Test func plainEmailInquiryIsGreen() {
        #expect(rules.triage(sampleDraft(), now: now) == .green)
        #expect(rules.matchingRules(sampleDraft(), now: now).isEmpty)
    }

    @Test func vipComplaintIsRed() {
        #expect(rules.triage(sampleDraft(category: .complaint, tier: .vip), now: now) == .red)
        #expect(rules.triage(sampleDraft(category: .complaint), now: now) == .yellow)
        #expect(rules.triage(sampleDraft(tier: .vip), now: now) == .yellow)
    }

    @Test func refundDeadlineWithin24hIsRed() {
        let soon = now.addingTimeInterval(23 * 3600)
        let later = now.addingTimeInterval(48 * 3600)
        let far = now.addingTimeInterval(100 * 3600)
        #expect(rules.triage(sampleDraft(category: .refund, deadline: soon), now: now) == .red)
        #expect(rules.triage(sampleDraft(category: .return, deadline: soon), now: now) == .red)
        #expect(rules.triage(sampleDraft(category: .refund, deadline: later), now: now) == .yellow)
        #expect(rules.triage(sampleDraft(category: .refund, deadline: far), now: now) == .green)
        // A passed deadline still matches; other categories do not.
        #expect(rules.triage(sampleDraft(category: .refund, deadline: now.addingTimeInterval(-60)), now: now) == .red)
        #expect(rules.triage(sampleDraft(category: .repair, deadline: soon), now: now) == .green)
    }

    @Test func highOrderValueIsYellow() {
        #expect(rules.triage(sampleDraft(orderValue: 500), now: now) == .yellow)
        #expect(rules.triage(sampleDraft(orderValue: 499.99), now: now) == .green)
    }

    @Test func liveChannelsAreAtLeastYellow() {
        #expect(rules.triage(sampleDraft(channel: .phone), now: now) == .yellow)
        #expect(rules.triage(sampleDraft(channel: .chat), now: now) == .yellow)
        #expect(rules.triage(sampleDraft(channel: .sms), now: now) == .green)
    }

    @Test(arguments: ["Possible FRAUD on my card", "I will file a chargeback", "talking to my Lawyer",
                      "child injury from toy", "Légal notice"])
    func riskKeywordsAreRed(subject: String) {
        #expect(rules.triage(sampleDraft(subject: subject), now: now) == .red)
    }

    @Test func keywordsAreSearchedInBodyToo() {
        #expect(rules.triage(sampleDraft(body: "this looks like fraud"), now: now) == .red)
    }

    @Test func conditionsAreAndedAndListsAreAnyOf() {
        let custom = TriageRules(rules: [
            TriageRule(name: "vip_phone_big", tiers: [.vip], channels: [.phone, .app], minOrderValue: 100, urgency: .red),
        ])
        #expect(custom.triage(sampleDraft(channel: .app, tier: .vip, orderValue: 100), now: now) == .red)
        #expect(custom.triage(sampleDraft(channel: .app, tier: .vip, orderValue: nil), now: now) == .green)
        #expect(custom.triage(sampleDraft(channel: .email, tier: .vip, orderValue: 1000), now: now) == .green)
        #expect(custom.triage(sampleDraft(channel: .phone, tier: .standard, orderValue: 1000), now: now) == .green)
    }

    @Test func highestMatchWinsAndDefaultApplies() {
        let custom = TriageRules(rules: [
            TriageRule(name: "all_yellow", urgency: .yellow),
            TriageRule(name: "returns_green", categories: [.return], urgency: .green),
        ], defaultUrgency: .green)
        #expect(custom.triage(sampleDraft(category: .return), now: now) == .yellow)
        #expect(TriageRules(rules: [], defaultUrgency: .yellow).triage(sampleDraft(), now: now) == .yellow)
    }

    @Test func rulesRoundTripThroughJSON() throws {
        let data = try JSONEncoder().encode(rules)
        #expect(String(decoding: data, as: UTF8.self).contains("deadline_within"))
        #expect(try JSONDecoder().decode(TriageRules.self, from: data) == rules)
    }

    @Test func createRecordsTriage() throws {
        let t = try Ticket.create(id: "T-9", draft: sampleDraft(category: .complaint, tier: .vip),
                                  by: intake, at: now, policy: .defaults)
        #expect(t.urgency == .red)
        #expect(t.history.first?.details["triage_rules"]?.contains("vip_complaint") == true)
    }
}

@Suite struct UrgencyEscalationTests {
    let policy = DomainPolicy.defaults

    @Test func firstResponseSlackRaisesOneColourThenRedOnBreach() throws {
        // Green email: first response 4 h, always-open calendar.
        var clock = ManualClock(monday)
        let t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: clock.now, policy: policy)
        #expect(t.urgency == .green)
        let esc = policy.escalation
        let cal = BusinessCalendar.alwaysOpen
        clock.advance(2 * 3600) // 50% left
        #expect(esc.urgency(for: t, now: clock.now, calendar: cal) == .green)
        clock.advance(3600 + 60) // 2h59 left of 4h... 1h - 60 s left = 24.6%
        #expect(esc.urgency(for: t, now: clock.now, calendar: cal) == .yellow)
        clock.advance(3600) // past due
        #expect(esc.urgency(for: t, now: clock.now, calendar: cal) == .red)
    }

    @Test func slaCheckAppliesEscalationAndRecordsBreach() throws {
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: clock.now, policy: policy)
        clock.advance(3600)
        let events = t.history.count
        #expect(try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy) == [])
        #expect(t.history.count == events) // nothing changed, no event
        clock.advance(2 * 3600 + 1800) // 30 min left of 4 h = 12.5%
        #expect(try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy) == [.urgencyChanged(from: .green, to: .yellow)])
        #expect(t.urgency == .yellow)
        let dueBefore = t.sla.firstResponseDue
        clock.advance(1801)
        let effects = try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy)
        #expect(effects == [.slaBreached(.firstResponse), .urgencyChanged(from: .yellow, to: .red)])
        #expect(t.sla.firstResponseBreached)
        #expect(t.sla.firstResponseDue == dueBefore) // escalation never moves due dates
        #expect(t.history.last?.kind == .urgencyEscalated)
    }

    @Test func resolutionSlackCountsAfterFirstResponse() throws {
        var clock = ManualClock(monday)
        var t = try ticket(in: .inProgress, at: clock.now)
        // Green resolution 72 h; responded, so only resolution slack counts.
        clock.advance(60 * 3600) // 12 h left = 16.7%
        _ = try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy)
        #expect(t.urgency == .yellow)
        clock.advance(13 * 3600)
        _ = try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy)
        #expect(t.urgency == .red)
        #expect(t.sla.resolutionBreached)
        #expect(!t.sla.firstResponseBreached)
    }

    @Test func approachingCustomerDeadlineRaisesUrgencyThroughTriage() throws {
        var p = policy
        p.escalation.enabled = false // only triage re-evaluation can raise it
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(category: .refund, deadline: monday.addingTimeInterval(48 * 3600)),
                                  by: intake, at: clock.now, policy: p)
        #expect(t.urgency == .yellow)
        clock.advance(23 * 3600) // 25 h left: not yet within 24 h
        #expect(try t.apply(.slaCheck, by: .system, at: clock.now, policy: p).contains(.urgencyChanged(from: .yellow, to: .red)) == false)
        #expect(t.urgency == .yellow)
        clock.advance(2 * 3600)
        let effects = try t.apply(.slaCheck, by: .system, at: clock.now, policy: p)
        #expect(effects.contains(.urgencyChanged(from: .yellow, to: .red)))
        #expect(t.urgency == .red)
    }

    @Test func overrideIsFloorAndCeilingUntilCleared() throws {
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: clock.now, policy: policy)
        _ = try t.apply(.overrideUrgency(.green), by: supervisor, at: clock.now, policy: policy)
        #expect(t.urgencyOverridden)
        clock.advance(5 * 3600) // first response breached
        let effects = try t.apply(.slaCheck, by: .system, at: clock.now, policy: policy)
        #expect(effects == [.slaBreached(.firstResponse)])
        #expect(t.urgency == .green) // ceiling holds
        expectDomainError("not_permitted") {
            _ = try t.apply(.overrideUrgency(.red), by: .agent("a1"), at: clock.now, policy: policy)
        }
        let cleared = try t.apply(.overrideUrgency(nil), by: supervisor, at: clock.now, policy: policy)
        #expect(!t.urgencyOverridden)
        #expect(t.urgency == .red) // escalation resumes once cleared
        #expect(cleared == [.urgencyChanged(from: .green, to: .red)])
    }

    @Test func overrideRetargetsSLA() throws {
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: monday, policy: policy)
        #expect(t.sla.firstResponseDue == monday.addingTimeInterval(4 * 3600))
        _ = try t.apply(.overrideUrgency(.red), by: supervisor, at: monday.addingTimeInterval(60), policy: policy)
        #expect(t.sla.firstResponseDue == monday.addingTimeInterval(5 * 60))
        #expect(t.sla.resolutionDue == monday.addingTimeInterval(4 * 3600))
        #expect(t.history.last?.kind == .urgencyOverridden)
    }

    @Test func disabledEscalationDoesNothing() throws {
        var p = policy
        p.escalation.enabled = false
        let t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: monday, policy: p)
        #expect(p.escalation.urgency(for: t, now: monday.addingTimeInterval(10 * 3600), calendar: .alwaysOpen) == .green)
    }
}
