import RingdeskPrimitives

extension Placement {
    /// The placement of `settings.shardCount` shards on the alive members. Pure and deterministic:
    /// the result depends on the members as a set (not their order) and the settings, never on the
    /// process, the platform or the time.
    ///
    /// 1. Rendezvous hashing ranks the alive members per shard (a member of weight w takes the best
    ///    of w hash draws; ties by id).
    /// 2. Replicas are picked down that ranking, each time from the members that add a new region,
    ///    else a new zone, else any: spread where the members allow, graceful where they do not.
    ///    With a load bound, a member already at its cap is passed over for the next one of the same
    ///    spread (consistent hashing with bounded loads; shards in ascending order). Spread wins
    ///    over the cap: when only full members keep the spread, the least-overloaded one is taken.
    /// 3. The preferred leader is the best-ranked replica under its leader cap; a repair pass then
    ///    moves leaderships along augmenting paths (only inside replica sets) until no node is over
    ///    its leader cap where the replica sets allow it.
    public static func compute(members: [PlacementMember], settings: PlacementSettings) throws(PlacementError) -> Placement {
        try settings.validate()
        try validate(members)
        let alive = members.filter { $0.state == .alive }.sorted { $0.id < $1.id }
        guard !alive.isEmpty else {
            throw PlacementError(.noEligibleMembers, "none of the \(members.count) members is alive")
        }
        var builder = PlacementBuilder(alive: alive, settings: settings)
        let shards = builder.build()
        return Placement(version: settings.version, settings: settings, inputDigest: digest(members, settings), shards: shards)
    }

    static func validate(_ members: [PlacementMember]) throws(PlacementError) {
        var seen = Set<PlacementNodeID>()
        for member in members {
            guard seen.insert(member.id).inserted else {
                throw PlacementError(.invalidMember, "duplicate member id \(member.id.rawValue)")
            }
            guard (1...PlacementSettings.maxWeight).contains(member.weight) else {
                throw PlacementError(.invalidMember, "member \(member.id.rawValue) has weight \(member.weight), outside 1...\(PlacementSettings.maxWeight)")
            }
            guard !member.region.isEmpty, !member.zone.isEmpty else {
                throw PlacementError(.invalidMember, "member \(member.id.rawValue) has an empty region or zone")
            }
        }
    }

    /// FNV-1a over the settings and the members sorted by id, in the project's byte encoding.
    static func digest(_ members: [PlacementMember], _ settings: PlacementSettings) -> UInt64 {
        var writer = ByteWriter()
        writer.varint(UInt64(settings.shardCount))
        writer.varint(UInt64(settings.replicasPerShard))
        writer.u64(settings.version)
        writer.u64(settings.seed)
        writer.varint(UInt64(settings.loadBoundPermille ?? 0))
        for member in members.sorted(by: { $0.id < $1.id }) {
            writer.u64(member.id.rawValue)
            writer.string(member.region)
            writer.string(member.zone)
            writer.varint(UInt64(member.weight))
            writer.string(member.state.rawValue)
        }
        return FNV1a.hash(writer.bytes)
    }
}
