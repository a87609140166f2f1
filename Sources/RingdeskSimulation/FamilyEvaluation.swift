import Foundation
import RingdeskRouting

/// Runs days of a `DayFamily` through every policy and judges the engine against the baselines
/// on each day (issue 18's targets), so that routing is measured on a family of days, not on one.
/// Pure: the caller gets a result per day (and may report progress from `onDay`).
public struct FamilyEvaluation: Sendable {
    public var family: DayFamily
    /// The engine's configuration (nil: the engine's defaults).
    public var configuration: RoutingConfiguration?
    /// The engine may trail EDF at equal eligibility by at most this much on any day (points).
    public var tolerancePP: Double = 0.3

    public init(family: DayFamily, configuration: RoutingConfiguration? = nil) {
        self.family = family
        self.configuration = configuration
    }

    /// One day's figures.
    public struct DayResult: Sendable, Codable, Hashable {
        public var day: Int
        public var parameters: DayFamily.Parameters
        public var tickets: Int
        public var agents: Int
        /// First-response attainment per policy (share 0–1).
        public var frSLA: [String: Double]
        public var engineMinusEdfPP: Double
        public var bestBaseline: String
        public var engineMinusBestBaselinePP: Double
        public var skillFit: [String: Double]
        public var redP90Wait: [String: Double]
        public var maxWait: [String: Double]
        public var maxBreachedWait: [String: Double]
        public var resolutionSLA: [String: Double]
        /// Tiny days: the exact optimum (tickets met) and each policy's met count.
        public var exactOptimumMet: Int?
        public var frMet: [String: Int]
        /// Targets this day misses (empty: none).
        public var failures: [String]

        enum CodingKeys: String, CodingKey {
            case day, parameters, tickets, agents
            case frSLA = "fr_sla"
            case engineMinusEdfPP = "engine_minus_edf_pp"
            case bestBaseline = "best_baseline"
            case engineMinusBestBaselinePP = "engine_minus_best_baseline_pp"
            case skillFit = "skill_fit"
            case redP90Wait = "red_p90_wait_s"
            case maxWait = "max_wait_s"
            case maxBreachedWait = "max_breached_wait_s"
            case resolutionSLA = "resolution_sla"
            case exactOptimumMet = "exact_optimum_met"
            case frMet = "fr_met"
            case failures
        }
    }

    /// Every policy of the comparison on day `index`, and the day's target checks:
    /// engine ≥ EDF − `tolerancePP` (equal eligibility), red p90 ≤ FIFO-RR's, the longest wait of
    /// a breached ticket ≤ FIFO-RR's longest wait; tiny days also get the exact optimum.
    public func run(day index: Int) throws -> DayResult {
        let (trace, parameters) = family.day(index)
        let comparison = PolicyComparison(trace: trace, configuration: configuration, engineOptions: .init(seed: UInt64(index) &+ 1))
        var metrics: [String: QualityMetrics] = [:]
        for kind in PolicyKind.standard { metrics[kind.rawValue] = try comparison.run(kind).metrics }
        func pp(_ a: Double, _ b: Double) -> Double { ((a - b) * 10000).rounded() / 100 }
        let engine = metrics["engine"]!, edf = metrics["edf"]!, fifo = metrics["fifo-rr"]!
        let baselines = PolicyKind.standard.filter { $0 != .engine }.map(\.rawValue)
        let best = baselines.max { metrics[$0]!.firstResponseAttainment < metrics[$1]!.firstResponseAttainment }!
        var failures: [String] = []
        let vsEdf = pp(engine.firstResponseAttainment, edf.firstResponseAttainment)
        if vsEdf < -tolerancePP { failures.append("engine_below_edf") }
        if engine.redP90Wait > fifo.redP90Wait { failures.append("red_p90_above_fifo") }
        if engine.maxBreachedWait > fifo.maxWait { failures.append("breached_wait_above_fifo_max") }
        let exact = trace.tickets.count <= ExactOptimum.maxTickets
            ? try ExactOptimum.firstResponseMet(trace, proficiencyRelaxation: comparison.relaxation) : nil
        return DayResult(
            day: index, parameters: parameters, tickets: trace.tickets.count, agents: trace.agents.count,
            frSLA: metrics.mapValues(\.firstResponseAttainment), engineMinusEdfPP: vsEdf, bestBaseline: best,
            engineMinusBestBaselinePP: pp(engine.firstResponseAttainment, metrics[best]!.firstResponseAttainment),
            skillFit: metrics.mapValues(\.skillFit), redP90Wait: metrics.mapValues(\.redP90Wait),
            maxWait: metrics.mapValues(\.maxWait), maxBreachedWait: metrics.mapValues(\.maxBreachedWait),
            resolutionSLA: metrics.mapValues(\.resolutionAttainment), exactOptimumMet: exact,
            frMet: metrics.mapValues(\.firstResponseMet), failures: failures)
    }

    /// The family's figures over days.
    public struct Summary: Sendable, Codable, Hashable {
        public var days: Int
        public var engineMinusEdfPPMin: Double
        public var engineMinusEdfPPMedian: Double
        public var engineMinusBestBaselinePPMin: Double
        public var engineMinusBestBaselinePPMedian: Double
        public var skillFitEngineMedian: Double
        public var skillFitEngineMin: Double
        public var skillFitEdfMedian: Double
        /// Days where the engine's red p90 wait is above FIFO-RR's, and the largest engine / FIFO ratio.
        public var redP90AboveFifoDays: Int
        public var redP90RatioMax: Double
        public var breachedWaitAboveFifoDays: Int
        public var engineBelowEdfDays: Int
        public var daysFailing: Int
        /// Tiny days with the exact optimum: how many, and how many tickets the engine and EDF left below it in total.
        public var exactDays: Int
        public var exactEngineShortfall: Int
        public var exactEdfShortfall: Int
        public var medianTarget: Bool
        public var allTargetsMet: Bool

        enum CodingKeys: String, CodingKey {
            case days
            case engineMinusEdfPPMin = "engine_minus_edf_pp_min"
            case engineMinusEdfPPMedian = "engine_minus_edf_pp_median"
            case engineMinusBestBaselinePPMin = "engine_minus_best_baseline_pp_min"
            case engineMinusBestBaselinePPMedian = "engine_minus_best_baseline_pp_median"
            case skillFitEngineMedian = "skill_fit_engine_median"
            case skillFitEngineMin = "skill_fit_engine_min"
            case skillFitEdfMedian = "skill_fit_edf_median"
            case redP90AboveFifoDays = "red_p90_above_fifo_days"
            case redP90RatioMax = "red_p90_engine_over_fifo_max"
            case breachedWaitAboveFifoDays = "breached_wait_above_fifo_days"
            case engineBelowEdfDays = "engine_below_edf_days"
            case daysFailing = "days_failing"
            case exactDays = "exact_days"
            case exactEngineShortfall = "exact_engine_shortfall"
            case exactEdfShortfall = "exact_edf_shortfall"
            case medianTarget = "median_target_met"
            case allTargetsMet = "all_targets_met"
        }

        /// Median ≥ +0.5 pp over EDF and no day failing.
        public init(_ results: [DayResult]) {
            func median(_ values: [Double]) -> Double {
                guard !values.isEmpty else { return 0 }
                let sorted = values.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            days = results.count
            let vsEdf = results.map(\.engineMinusEdfPP)
            let vsBest = results.map(\.engineMinusBestBaselinePP)
            engineMinusEdfPPMin = vsEdf.min() ?? 0
            engineMinusEdfPPMedian = median(vsEdf)
            engineMinusBestBaselinePPMin = vsBest.min() ?? 0
            engineMinusBestBaselinePPMedian = median(vsBest)
            let fits = results.compactMap { $0.skillFit["engine"] }
            skillFitEngineMedian = median(fits)
            skillFitEngineMin = fits.min() ?? 1
            skillFitEdfMedian = median(results.compactMap { $0.skillFit["edf"] })
            redP90AboveFifoDays = results.filter { $0.failures.contains("red_p90_above_fifo") }.count
            redP90RatioMax = results.compactMap { r -> Double? in
                guard let e = r.redP90Wait["engine"], let f = r.redP90Wait["fifo-rr"], f > 0 else { return nil }
                return (e / f * 1000).rounded() / 1000
            }.max() ?? 0
            breachedWaitAboveFifoDays = results.filter { $0.failures.contains("breached_wait_above_fifo_max") }.count
            engineBelowEdfDays = results.filter { $0.failures.contains("engine_below_edf") }.count
            daysFailing = results.filter { !$0.failures.isEmpty }.count
            let exact = results.filter { $0.exactOptimumMet != nil }
            exactDays = exact.count
            exactEngineShortfall = exact.reduce(0) { $0 + $1.exactOptimumMet! - ($1.frMet["engine"] ?? 0) }
            exactEdfShortfall = exact.reduce(0) { $0 + $1.exactOptimumMet! - ($1.frMet["edf"] ?? 0) }
            medianTarget = engineMinusEdfPPMedian >= 0.5
            allTargetsMet = medianTarget && daysFailing == 0
        }
    }
}
