import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct KPIReportTests {
    @Test func nearestRankPercentile() {
        let values: [Double] = [15, 20, 35, 40, 50]
        #expect(Percentiles.nearestRank(values, 5) == 15)
        #expect(Percentiles.nearestRank(values, 30) == 20)
        #expect(Percentiles.nearestRank(values, 40) == 20)
        #expect(Percentiles.nearestRank(values, 50) == 35)
        #expect(Percentiles.nearestRank(values, 90) == 50)
        #expect(Percentiles.nearestRank(values, 100) == 50)
        #expect(Percentiles.nearestRank([], 50) == nil)
        let p = Percentiles([40, 15, 50, 35, 20])
        #expect(p.count == 5 && p.p50 == 35 && p.p90 == 50)
    }

    /// Targets: first response 200 s, resolution 5000 s for every urgency; no triage rules.
    var policy: DomainPolicy {
        var p = DomainPolicy.defaults
        p.triage = TriageRules(rules: [])
        let target = SLATarget(firstResponse: 200, resolution: 5000)
        p.sla = SLAPolicy(targets: [.green: target, .yellow: target, .red: target])
        return p
    }

    /// Six tickets created at t=0 (all email), driven by hand:
    /// T1 a1: FR 60, resolved 3600, rated 5.        T2 a1: FR 300 (late), resolved 7200 (late), rated 2.
    /// T3 a2: FR 600 (late), waiting on customer since 700 (resolution clock paused).
    /// T4: cancelled at 100.                        T5: queued, overridden to red, never answered.
    /// T6 a2: FR 120, resolved 1800, reopened 2000, resolved 5000 (due 5200 after the 200 s pause), closed.
    func dataSet() throws -> [Ticket] {
        let p = policy
        func at(_ s: TimeInterval) -> Date { monday.addingTimeInterval(s) }
        func make(_ id: String, region: String) throws -> Ticket {
            try Ticket.create(id: id, draft: sampleDraft(region: region), by: intake, at: monday, policy: p)
        }
        func assign(_ t: inout Ticket, _ agent: String, _ s: TimeInterval) throws {
            _ = try t.apply(.offer(agentID: agent, expiresAt: at(s + 30)), by: .system, at: at(s), policy: p)
            _ = try t.apply(.acceptOffer(agentID: agent), by: .agent(agent), at: at(s), policy: p)
        }
        var t1 = try make("T1", region: "eu-west")
        try assign(&t1, "a1", 60)
        _ = try t1.apply(.resolve(note: ""), by: .agent("a1"), at: at(3600), policy: p)
        _ = try t1.apply(.feedback(rating: 5, comment: ""), by: customer, at: at(3700), policy: p)

        var t2 = try make("T2", region: "eu-west")
        try assign(&t2, "a1", 300)
        _ = try t2.apply(.resolve(note: ""), by: .agent("a1"), at: at(7200), policy: p)
        _ = try t2.apply(.feedback(rating: 2, comment: "slow"), by: customer, at: at(7300), policy: p)

        var t3 = try make("T3", region: "eu-west")
        try assign(&t3, "a2", 600)
        _ = try t3.apply(.requestCustomerInfo(question: "?"), by: .agent("a2"), at: at(700), policy: p)

        var t4 = try make("T4", region: "us-east")
        _ = try t4.apply(.cancel(reason: "dup"), by: customer, at: at(100), policy: p)

        var t5 = try make("T5", region: "us-east")
        _ = try t5.apply(.overrideUrgency(.red), by: supervisor, at: at(10), policy: p)

        var t6 = try make("T6", region: "us-east")
        try assign(&t6, "a2", 120)
        _ = try t6.apply(.resolve(note: ""), by: .agent("a2"), at: at(1800), policy: p)
        _ = try t6.apply(.reopen(reason: "again"), by: customer, at: at(2000), policy: p)
        try assign(&t6, "a2", 2100)
        _ = try t6.apply(.resolve(note: ""), by: .agent("a2"), at: at(5000), policy: p)
        _ = try t6.apply(.close, by: .system, at: at(6000), policy: p)
        return [t1, t2, t3, t4, t5, t6]
    }

    var agents: [Agent] {
        [Agent(id: "a1", name: "Ann", regions: ["eu-west"], presence: .available, presenceSince: monday),
         Agent(id: "a2", name: "Bo", regions: ["us-east"], presence: .available, presenceSince: monday),
         Agent(id: "a3", name: "Cy", regions: ["eu-west"], presence: .offline, presenceSince: monday)]
    }

    @Test func overallFiguresMatchHandComputation() throws {
        let tickets = try dataSet()
        #expect(tickets[5].sla.resolutionDue == monday.addingTimeInterval(5200))
        let report = KPIReport(tickets: tickets, agents: agents, now: monday.addingTimeInterval(10_000))
        let m = report.overall
        #expect(m.ticketCount == 6)
        // First responses: 60, 120, 300, 600 → p50 = 2nd = 120, p90 = 4th = 600.
        #expect(m.firstResponseTime == Percentiles([60, 120, 300, 600]))
        #expect(m.firstResponseTime.p50 == 120 && m.firstResponseTime.p90 == 600)
        // Resolutions: 3600, 5000, 7200 → p50 = 5000, p90 = 7200.
        #expect(m.resolutionTime.p50 == 5000 && m.resolutionTime.p90 == 7200 && m.resolutionTime.count == 3)
        // 3 resolved/closed of 5 not cancelled.
        #expect(m.resolutionRatePercent == 60)
        // FR decided: T1 met, T2 late, T3 late, T5 overdue, T6 met → 2/5.
        #expect(m.firstResponseSLAPercent == 40)
        // Resolution decided: T1 met, T2 late, T5 overdue, T6 met; T3 paused → 2/4.
        #expect(m.resolutionSLAPercent == 50)
        #expect(m.csatAverage == 3.5)
        #expect(m.csatDistribution == [0, 1, 0, 0, 1])
        // Feedback on 2 of 3 resolved/closed.
        #expect(abs(m.feedbackCoveragePercent! - 200.0 / 3) < 1e-9)
        #expect(m.backlog == [.red: 1, .yellow: 0, .green: 1])
        // Reopened 1 of 3 ever resolved.
        #expect(abs(m.reopenRatePercent! - 100.0 / 3) < 1e-9)
        // a2 holds T3 (email): busy 1 of 36 (two available agents × 18 default slots); a3 is offline.
        #expect(abs(m.utilisationPercent! - 100.0 / 36) < 1e-9)
    }

    @Test func groupedFigures() throws {
        let report = KPIReport(tickets: try dataSet(), agents: agents, now: monday.addingTimeInterval(10_000))
        let a1 = try #require(report.byAgent["a1"])
        #expect(a1.ticketCount == 2 && a1.resolutionRatePercent == 100 && a1.csatAverage == 3.5)
        #expect(a1.utilisationPercent == 0)
        let a2 = try #require(report.byAgent["a2"])
        #expect(a2.ticketCount == 2 && a2.reopenRatePercent == 100)
        #expect(abs(a2.utilisationPercent! - 100.0 / 18) < 1e-9)
        #expect(report.byAgent["a3"]?.ticketCount == 0)
        #expect(report.byRegion["eu-west"]?.ticketCount == 3)
        #expect(report.byRegion["us-east"]?.resolutionRatePercent == 50) // T6 of T5, T6
        #expect(report.byCategory["inquiry"]?.ticketCount == 6)
        let email = try #require(report.byChannel["email"])
        #expect(abs(email.utilisationPercent! - 10.0) < 1e-9) // 1 of 2 × 5 email slots
        #expect(report.byChannel["chat"] == nil)
    }

    @Test func emptyInputHasNoRates() {
        let report = KPIReport(tickets: [], agents: [], now: monday)
        #expect(report.overall.ticketCount == 0)
        #expect(report.overall.resolutionRatePercent == nil)
        #expect(report.overall.csatAverage == nil)
        #expect(report.overall.firstResponseTime.p50 == nil)
        #expect(report.overall.utilisationPercent == nil)
    }

    @Test func reportEncodesSnakeCase() throws {
        let report = KPIReport(tickets: try dataSet(), agents: agents, now: monday.addingTimeInterval(10_000))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(text.contains(#""resolution_rate_pct":60"#))
        #expect(text.contains(#""backlog":{"#))
        #expect(text.contains(#""by_agent""#))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(KPIReport.self, from: Data(text.utf8)) == report)
    }
}
