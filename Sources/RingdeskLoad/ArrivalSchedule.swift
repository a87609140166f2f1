import Foundation
import RingdeskDomain

/// When an open-loop load run means to send each request, as offsets from the start. Requests are
/// timed from these intended moments, not from when they actually left, so a stalled server shows
/// up in the latencies instead of silently slowing the sender (coordinated omission).
public struct ArrivalSchedule: Sendable {
    public enum Pattern: String, Sendable, Codable {
        /// Evenly spaced: exactly `rate` per second.
        case uniform
        /// Exponentially distributed gaps with mean 1/rate (Poisson arrivals), from the seed.
        case poisson
    }

    public let rate: Double
    public let pattern: Pattern
    private var generator: SeededGenerator
    private var index = 0
    private var last: Double = 0

    public init(rate: Double, pattern: Pattern = .uniform, seed: UInt64 = 1) {
        precondition(rate > 0, "rate must be positive")
        self.rate = rate
        self.pattern = pattern
        self.generator = SeededGenerator(seed: seed)
    }

    /// The next intended send time, in seconds from the start of the run.
    public mutating func next() -> Double {
        defer { index += 1 }
        switch pattern {
        case .uniform:
            return Double(index) / rate
        case .poisson:
            // Inverse transform of a uniform draw in (0, 1].
            let uniform = (Double(generator.next() >> 11) + 1) / Double(1 << 53)
            last += -Foundation.log(uniform) / rate
            return last
        }
    }

    /// Every intended send time before `duration` seconds.
    public mutating func offsets(within duration: Double) -> [Double] {
        var result: [Double] = []
        while true {
            let offset = next()
            if offset >= duration { return result }
            result.append(offset)
        }
    }
}
