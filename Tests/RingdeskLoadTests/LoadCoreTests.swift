import Foundation
import RingdeskDomain
import RingdeskLoad
import Testing

@Suite struct ArrivalScheduleTests {
    @Test func uniformArrivalsAreExactlySpaced() {
        var schedule = ArrivalSchedule(rate: 4)
        #expect(schedule.offsets(within: 2) == [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75])
        var fast = ArrivalSchedule(rate: 1000)
        #expect(fast.offsets(within: 1).count == 1000)
    }

    @Test func poissonArrivalsReplayFromTheSeedAndKeepTheRate() {
        var a = ArrivalSchedule(rate: 500, pattern: .poisson, seed: 42)
        var b = ArrivalSchedule(rate: 500, pattern: .poisson, seed: 42)
        var c = ArrivalSchedule(rate: 500, pattern: .poisson, seed: 43)
        let first = a.offsets(within: 20)
        #expect(first == b.offsets(within: 20))
        #expect(first != c.offsets(within: 20))
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing")
        // 10,000 expected; a Poisson count has standard deviation 100, so ±5% is ±5 sigma.
        #expect(abs(first.count - 10_000) < 500)
    }
}

@Suite struct OperationRecorderTests {
    @Test func percentilesOfKnownSamples() {
        var recorder = OperationRecorder()
        for millis in 1...100 { recorder.success(latency: Double(millis) / 1000, second: millis / 50) }
        recorder.failure(code: "http_503", second: 1)
        recorder.failure(code: "http_503", second: 2)
        recorder.failure(code: "timeout", second: 2)
        let summary = recorder.summary(duration: 2)
        #expect(summary.count == 100)
        #expect(summary.errors == 3)
        #expect(summary.errorsByCode == ["http_503": 2, "timeout": 1])
        #expect(summary.perSecond == 50)
        // HDR with three significant digits: values within 0.1% of the exact nearest rank.
        #expect(abs(summary.p50Ms - 50) <= 0.05)
        #expect(abs(summary.p90Ms - 90) <= 0.09)
        #expect(abs(summary.p99Ms - 99) <= 0.1)
        #expect(abs(summary.maxMs - 100) <= 0.1)
        #expect(abs(summary.meanMs - 50.5) <= 0.05)
        #expect(summary.series == [49, 51, 3])
    }

    @Test func mergingAddsHistogramsErrorsAndSeries() {
        var a = OperationRecorder()
        var b = OperationRecorder()
        for _ in 0..<10 { a.success(latency: 0.001, second: 0) }
        for _ in 0..<30 { b.success(latency: 0.003, second: 3) }
        b.failure(code: "x", second: 0)
        a.merge(b)
        let summary = a.summary(duration: 4)
        #expect(summary.count == 40)
        #expect(summary.series == [11, 0, 0, 30])
        #expect(abs(summary.p50Ms - 3) <= 0.01)
        #expect(abs(summary.p90Ms - 3) <= 0.01)
        #expect(summary.errors == 1)
    }

    @Test func anEmptyRecorderReportsZeros() {
        let summary = OperationRecorder().summary(duration: 1)
        #expect(summary.count == 0 && summary.p99Ms == 0 && summary.perSecond == 0 && summary.series.isEmpty)
    }
}

@Suite struct LoadReportTests {
    func report(_ rate: Double, _ p99: Double, errors: Int = 0) -> LoadReport {
        LoadReport(scenario: "s", mode: "closed", nodes: ["127.0.0.1:7600"], seconds: 10, operations: [
            "create": OperationSummary(count: 100, errors: errors, errorsByCode: errors > 0 ? ["http_500": errors] : [:], perSecond: rate,
                                       p50Ms: 1, p90Ms: 2, p99Ms: p99, p999Ms: 4, maxMs: 5, meanMs: 1.2, series: [10, 10]),
        ])
    }

    @Test func reportsRoundTripThroughJSONAndCompare() throws {
        let before = report(1000, 4)
        let data = try JSONEncoder().encode(before)
        #expect(try JSONDecoder().decode(LoadReport.self, from: data) == before)
        #expect(String(decoding: data, as: UTF8.self).contains("\"p99_ms\":4"))
        let rows = LoadReport.compare(before, report(1500, 2, errors: 3))
        let rate = rows.first { $0.operation == "create" && $0.figure == "per_s" }
        #expect(rate?.ratio == 1.5)
        #expect(rows.first { $0.figure == "p99_ms" }?.ratio == 0.5)
        #expect(rows.first { $0.figure == "errors" }?.ratio == nil, "no ratio against zero")
        #expect(report(1, 1, errors: 2).totalErrors == 2)
    }
}

@Suite struct TicketMixTests {
    @Test func theMixIsValidVariedAndReplays() throws {
        let drafts = TicketMix.drafts(count: 2000, seed: 7)
        #expect(drafts == TicketMix.drafts(count: 2000, seed: 7))
        #expect(drafts != TicketMix.drafts(count: 2000, seed: 8))
        for draft in drafts { _ = try draft.validated() }
        #expect(Set(drafts.map(\.category)) == Set(TicketCategory.allCases))
        #expect(Set(drafts.map(\.channel)) == Set(Channel.allCases))
        let vip = drafts.filter { $0.customer.tier == .vip }.count
        #expect((100...300).contains(vip), "about one in ten is VIP: \(vip)")
        let returns = drafts.filter { $0.category == .return }.count
        #expect((380...580).contains(returns), "returns are the largest share (~24%): \(returns)")
    }
}
