import Foundation
import RingdeskLoad
import Testing

@Suite struct LoadScenarioTests {
    static let example = #"""
    {"name": "big-sale", "target": "intake", "arrivals": "poisson", "seed": 7,
     "phases": [{"duration": 10, "rate": 40}, {"duration": 10, "rate_from": 40, "rate_to": 200},
                {"duration": 5, "rate": 400}, {"duration": 10, "rate": 60}],
     "agents": {"count": 8, "handle_ms": 200, "rating_share": 0.5,
                "churn": [{"at": 12, "away": 3}, {"at": 25, "back": 3}]}}
    """#

    @Test func uniformPhasesAreExactlySpaced() {
        let scenario = LoadScenario(name: "steps", phases: [.init(duration: 1, rate: 4), .init(duration: 1, rate: 2), .init(duration: 1, rate: 0)])
        #expect(scenario.offsets(pattern: .uniform, seed: 1) == [0, 0.25, 0.5, 0.75, 1, 1.5])
    }

    @Test func rampFollowsTheCumulativeRate() {
        // Rate 0 → 10 over 10 s: Λ(t) = t²/2, so arrival k is at √(2k); 50 arrivals in all.
        let ramp = LoadScenario(name: "ramp", phases: [.init(duration: 10, rateFrom: 0, rateTo: 10)])
        let offsets = ramp.offsets(pattern: .uniform, seed: 1)
        #expect(offsets.count == 50)
        for (k, offset) in offsets.enumerated() { #expect(abs(offset - (2 * Double(k)).squareRoot()) < 1e-9) }
    }

    @Test func poissonPhasesReplayAndKeepTheirRates() throws {
        let scenario = try LoadScenario.decode(Data(Self.example.utf8))
        let a = scenario.offsets(pattern: .poisson, seed: 7)
        #expect(a == scenario.offsets(pattern: .poisson, seed: 7))
        #expect(a != scenario.offsets(pattern: .poisson, seed: 8))
        #expect(zip(a, a.dropFirst()).allSatisfy { $0 <= $1 })
        // Expected counts per phase: 400, 1200, 2000, 600; allow ±5 sigma.
        for (range, expected) in [(0.0..<10.0, 400.0), (10.0..<20.0, 1200.0), (20.0..<25.0, 2000.0), (25.0..<35.0, 600.0)] {
            let count = Double(a.filter { range.contains($0) }.count)
            #expect(abs(count - expected) < 5 * expected.squareRoot(), "\(range): \(count)")
        }
        #expect(scenario.duration == 35)
    }

    @Test func validationNamesTheField() {
        func error(_ json: String) -> String {
            do { _ = try LoadScenario.decode(Data(json.utf8)); return "" } catch { return "\(error)" }
        }
        #expect(error(#"{"name": "x", "phases": []}"#).contains("phases"))
        #expect(error(#"{"name": "x", "phases": [{"duration": 5}]}"#).contains("phases[0] needs either rate"))
        #expect(error(#"{"name": "x", "phases": [{"duration": -1, "rate": 3}]}"#).contains("phases[0].duration"))
        #expect(error(#"{"name": "x", "phases": [{"duration": 1, "rate_from": 1, "rate_to": -2}]}"#).contains("phases[0].rate_to"))
        #expect(error(#"{"name": "x", "phases": [{"duration": 1, "rate": 1}], "target": "ftp"}"#).contains("target"))
        #expect(error(#"{"phases": [{"duration": 1, "rate": 1}]}"#).contains("name is required"))
        #expect(error(#"{"name": "x", "phases": [{"duration": 9, "rate": 1}], "agents": {"count": 2, "churn": [{"at": 1, "away": 3}]}}"#)
            .contains("agents.churn[0]"))
        #expect(error(#"{"name": "x", "phases": [{"duration": 9, "rate": 1}], "agents": {"count": 2, "churn": [{"at": 99, "away": 1}]}}"#)
            .contains("agents.churn[0].at"))
        #expect(error(#"{"name": "x", "phases": [{"duration": "long", "rate": 1}]}"#).contains("phases.[0].duration") ||
                error(#"{"name": "x", "phases": [{"duration": "long", "rate": 1}]}"#).contains("duration"))
        #expect(error(Self.example).isEmpty)
    }
}
