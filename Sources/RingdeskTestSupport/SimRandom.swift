import RingdeskPrimitives

/// xoshiro256** seeded through SplitMix64: the simulator's only randomness, so a seed replays exactly.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var seeds = SplitMix64(seed: seed)
        s0 = seeds.next()
        s1 = seeds.next()
        s2 = seeds.next()
        s3 = seeds.next()
    }

    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// Uniform in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in `lower...upper` (inclusive).
    public mutating func between(_ lower: Int64, _ upper: Int64) -> Int64 {
        upper <= lower ? lower : lower + Int64(below(Int(upper - lower) + 1))
    }
}
