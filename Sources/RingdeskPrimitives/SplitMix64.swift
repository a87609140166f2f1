import Foundation

/// SplitMix64: small, fast and seedable, so a load run's mix and arrivals, a simulated scenario,
/// a protocol core's timers or a randomised test replay exactly from the seed on every platform
/// (the standard library's generator is not seedable). The project's one seeded generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// The stream starting after `seed` (nearby seeds give shifted copies of one stream: owners
    /// that need unrelated streams for neighbouring seeds scramble the seed with `mix` first).
    @inlinable
    public init(seed: UInt64) {
        state = seed
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }

    /// The generator's output function on its own: a bijective 64-bit mix with good avalanche,
    /// `mix(x)` being the first output of `SplitMix64(seed: x)`. For spreading hash sums and
    /// scrambling seeds.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        finalize(value &+ 0x9E37_79B9_7F4A_7C15)
    }

    @inlinable
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (bound > 0), by Lemire's multiply-shift (bias < 2^-32 for our sizes).
    @inlinable
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Exponentially distributed with the given mean.
    public mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - unit())
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// An index drawn with probability proportional to `weights`.
    public mutating func pick(weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (index, weight) in weights.enumerated() {
            if x < weight { return index }
            x -= weight
        }
        return weights.count - 1
    }

    /// A key drawn with probability proportional to its weight (pairs keep the order stable).
    public mutating func pick<T>(_ pairs: [(T, Double)]) -> T {
        pairs[pick(weights: pairs.map(\.1))].0
    }
}
