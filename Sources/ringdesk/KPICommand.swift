import ArgumentParser
import Foundation
import RingdeskAPI
import RingdeskDomain

/// `ringdesk kpis`: the node's KPI report, overall and per category, channel, region, agent and skill.
struct KPIs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kpis", abstract: "Show KPIs: response times, resolution, SLA, CSAT, backlog.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let (report, reply) = try await client.get(KPIReport.self, "/v1/kpis")
            if global.json { print(reply.text); return }
            print(KPIRendering.report(report))
        }
    }
}

enum KPIRendering {
    static func report(_ report: KPIReport) -> String {
        let m = report.overall
        var fields = FieldList()
        fields.add("Generated", Format.date(report.generatedAt))
        fields.add("Tickets", "\(m.ticketCount)")
        fields.add("First response p50 / p90", "\(Format.duration(m.firstResponseTime.p50)) / \(Format.duration(m.firstResponseTime.p90))  (n=\(m.firstResponseTime.count))")
        fields.add("Resolution p50 / p90", "\(Format.duration(m.resolutionTime.p50)) / \(Format.duration(m.resolutionTime.p90))  (n=\(m.resolutionTime.count))")
        fields.add("Resolution rate", Format.percent(m.resolutionRatePercent))
        fields.add("SLA first response / resolution", "\(Format.percent(m.firstResponseSLAPercent)) / \(Format.percent(m.resolutionSLAPercent))")
        fields.add("CSAT average", m.csatAverage.map { Format.number($0) + " / 5" } ?? "-")
        fields.add("CSAT distribution", distribution(m.csatDistribution))
        fields.add("Feedback coverage", Format.percent(m.feedbackCoveragePercent))
        fields.add("Reopen rate", Format.percent(m.reopenRatePercent))
        fields.add("Utilisation", Format.percent(m.utilisationPercent))
        fields.add("Backlog red / yellow / green", backlog(m))
        return [
            fields.render(),
            "",
            "By category",
            groups(report.byCategory),
            "",
            "By channel",
            groups(report.byChannel),
            "",
            "By region",
            groups(report.byRegion),
            "",
            "By agent",
            groups(report.byAgent),
            "",
            "By skill",
            groups(report.bySkill),
        ].joined(separator: "\n")
    }

    static func groups(_ groups: [String: KPIMetrics]) -> String {
        var table = TextTable(["GROUP", "TICKETS", "FR P50", "FR P90", "RES P50", "RESOLVED", "FR SLA", "RES SLA", "CSAT", "BACKLOG R/Y/G"],
                              rightAligned: [1, 2, 3, 4, 5, 6, 7, 8])
        for (name, m) in groups.sorted(by: { $0.key < $1.key }) {
            table.add([name, "\(m.ticketCount)", Format.duration(m.firstResponseTime.p50), Format.duration(m.firstResponseTime.p90),
                       Format.duration(m.resolutionTime.p50), Format.percent(m.resolutionRatePercent), Format.percent(m.firstResponseSLAPercent),
                       Format.percent(m.resolutionSLAPercent), Format.number(m.csatAverage), backlog(m)])
        }
        return groups.isEmpty ? "(no tickets)" : table.render()
    }

    /// `1:0 2:1 3:2 4:5 5:9`.
    static func distribution(_ counts: [Int]) -> String {
        counts.enumerated().map { "\($0.offset + 1)★:\($0.element)" }.joined(separator: " ")
    }

    static func backlog(_ m: KPIMetrics) -> String {
        "\(m.backlog[.red] ?? 0)/\(m.backlog[.yellow] ?? 0)/\(m.backlog[.green] ?? 0)"
    }
}
