import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskSimulation

/// Random tiny traces: 2–3 agents with mixed skills and shifts, 8 tickets with tight targets.
func tinyTrace(seed: UInt64) -> Trace {
    var random = SeededGenerator(seed: seed)
    let agents = (0..<(2 + Int(random.next() % 2))).map { i in
        Tiny.agent("a\(i)", skills: ["returns": 2 + Int(random.next() % 3), "repairs": 1 + Int(random.next() % 4)],
                   languages: random.chance(0.7) ? ["en"] : ["en", "de"], region: random.chance(0.5) ? "eu-west" : "us-east",
                   capacity: random.chance(0.2) ? 2 : 1,
                   shifts: random.chance(0.5) ? [Shift(0, 1800)] : [Shift(0, 600), Shift(900, 1800)])
    }
    let tickets = (0..<8).map { j in
        Tiny.ticket("t\(j)", at: Double(random.next() % 20) * 60, handling: Double(2 + random.next() % 8) * 60,
                    urgency: random.pick([(Urgency.red, 0.4), (.yellow, 0.4), (.green, 0.2)]),
                    skill: random.chance(0.7) ? "returns" : "repairs", minLevel: 2 + Int(random.next() % 2),
                    language: random.chance(0.8) ? "en" : "de", region: random.chance(0.5) ? "eu-west" : "us-east",
                    firstResponse: Double(random.next() % 6) * 60)
    }
    return Trace(name: "tiny \(seed)", agents: agents, tickets: tickets)
}

@Suite("Offline optimum")
struct OptimumTests {
    @Test func idlingForARedTicketBeatsEveryGreedyPolicy() throws {
        let trace = Trace(name: "wait", agents: [Tiny.agent("a")], tickets: [
            Tiny.ticket("green", at: 0, handling: 600, urgency: .green), Tiny.ticket("red", at: 60, urgency: .red),
        ])
        #expect(try ExactOptimum.firstResponseMet(trace) == 2)
        for kind in PolicyKind.allCases {
            #expect(try PolicyComparison(trace: trace).run(kind).metrics.firstResponseMet == 1)
        }
    }

    @Test func refusesLargeTraces() {
        #expect(throws: SimulationError.self) { try ExactOptimum.firstResponseMet(Scenario.normal.trace(seed: 1, scale: 0.1)) }
    }

    @Test(arguments: 1...12)
    func exactOptimumBoundsEveryPolicy(seed: UInt64) throws {
        let trace = tinyTrace(seed: seed)
        let optimum = try ExactOptimum.firstResponseMet(trace)
        for kind in PolicyKind.allCases {
            #expect(try PolicyComparison(trace: trace).run(kind).metrics.firstResponseMet <= optimum)
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pythonWithScipy: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import scipy.optimize"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// scripts/sim/optimum.py's bound is at least the exact optimum.
    @Test(.enabled(if: pythonWithScipy, "needs python3 with scipy"), arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func scriptBoundIsAtLeastTheExactOptimum(seed: UInt64) throws {
        let trace = tinyTrace(seed: seed)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-optimum-test-\(seed)-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try trace.encoded().write(to: file)
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository.appendingPathComponent("scripts/sim/optimum.py").path, file.path, "--time-limit", "10"]
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let result = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let met = try #require(result?["met"] as? Int)
        let exact = try ExactOptimum.firstResponseMet(trace)
        #expect(met >= exact)
        if result?["exact"] as? Bool == true { #expect(met == exact) }
    }
}
