/// Why a placement could not be computed or compared: a stable `code` for programs and a `message`
/// for people. Placement refuses bad input instead of guessing, because every node must reach the
/// same answer from it.
public struct PlacementError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A setting out of its documented range (shards, replicas, load bound).
        public static let invalidSettings = Code(rawValue: "invalid_settings")
        /// A member the list cannot hold: a repeated id, a weight out of range, an empty region or zone.
        public static let invalidMember = Code(rawValue: "invalid_member")
        /// No member is alive, so no replica can be placed.
        public static let noEligibleMembers = Code(rawValue: "no_eligible_members")
        /// Two placements with different shard counts cannot be diffed (resharding is not a move).
        public static let shardCountMismatch = Code(rawValue: "shard_count_mismatch")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
