/// 64-bit FNV-1a: a stable, platform-independent hash of bytes (Swift's `Hasher` is seeded per
/// process), for fingerprints, node ids from names and row digests. The project's one copy.
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of `bytes`, continuing from `seed` (pass a previous hash to hash a concatenation).
    @inlinable
    public static func hash(_ bytes: some Sequence<UInt8>, seed: UInt64 = offsetBasis) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= prime
        }
        return hash
    }

    /// The hash of a string's UTF-8 bytes.
    @inlinable
    public static func hash(_ string: String, seed: UInt64 = offsetBasis) -> UInt64 {
        hash(string.utf8, seed: seed)
    }
}
