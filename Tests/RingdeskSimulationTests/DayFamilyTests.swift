import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskSimulation

@Suite("Family of random days")
struct DayFamilyTests {
    @Test func sameSeedSameDayOtherSeedOtherDay() throws {
        let family = DayFamily(seed: 7)
        #expect(family.day(3).trace == family.day(3).trace)
        #expect(family.day(3).trace != family.day(4).trace)
        #expect(family.day(3).trace != DayFamily(seed: 8).day(3).trace)
    }

    @Test func daysAreValidAndCoverTheRanges() throws {
        let family = DayFamily(seed: 1)
        var skills = Set<Int>(), capacities = Set<String>(), shifts = Set<String>(), spikes = 0, tiny = 0, behaving = 0
        var loads: [Double] = []
        for index in 0..<120 {
            let (trace, parameters) = family.day(index)
            try trace.validate()
            #expect(!trace.tickets.isEmpty)
            #expect((0.5...1.6).contains(parameters.offeredLoad))
            skills.insert(parameters.skills)
            capacities.insert(parameters.capacity)
            shifts.insert(parameters.shifts)
            if parameters.shape.hasPrefix("spike") { spikes += 1 }
            if parameters.behaviour != .perfect { behaving += 1 }
            if parameters.tiny {
                tiny += 1
                #expect(trace.tickets.count <= ExactOptimum.maxTickets)
                continue
            }
            #expect((3...15).contains(parameters.skills))
            #expect(trace.tickets.count <= 2000)
            // Offered work over capacity-seconds is near the drawn load (Poisson noise aside).
            let work = trace.tickets.reduce(0) { $0 + $1.handling }
            let capacity = trace.agents.reduce(0.0) { sum, agent in
                sum + Double(agent.capacity) * agent.shifts.reduce(0) { $0 + max(0, min($1.end, trace.tickets.last!.arrival) - $1.start) }
            }
            if trace.tickets.count > 300 { loads.append(work / capacity / parameters.offeredLoad) }
            let targets = Set(trace.tickets.map(\.firstResponseTarget))
            #expect(targets.isSubset(of: [180, 600, 1800, 900, 3600, 14400, 86400]))
        }
        #expect(skills.count >= 8)
        #expect(capacities.count >= 4)
        #expect(shifts == ["all-day", "staggered", "dip"])
        #expect(spikes >= 30)
        #expect(tiny >= 1)
        #expect(behaving >= 10)
        let sorted = loads.sorted()
        #expect(abs(sorted[sorted.count / 2] - 1) < 0.2)
    }

    @Test func aFamilyDayIsJudgedAgainstEveryBaseline() throws {
        let family = DayFamily(seed: 1)
        let tinyDay = (0..<200).first { family.day($0).parameters.tiny }!
        let evaluation = FamilyEvaluation(family: family)
        let small = try evaluation.run(day: tinyDay)
        let optimum = try #require(small.exactOptimumMet)
        for (policy, met) in small.frMet { #expect(met <= optimum, "\(policy)") }
        #expect(Set(small.frSLA.keys) == Set(PolicyKind.standard.map(\.rawValue)))
        let summary = FamilyEvaluation.Summary([small])
        #expect(summary.exactDays == 1)
        #expect(summary.days == 1)
        #expect(summary.daysFailing == (small.failures.isEmpty ? 0 : 1))
    }
}
