/// One entry of the member list placement is computed from: where the node is (region, zone), how
/// much it should carry relative to the others (weight) and whether it may take replicas (state).
/// The caller maps its membership view onto this (SWIM alive/suspect → alive, leaving → draining).
public struct PlacementMember: Hashable, Sendable, Codable {
    /// Whether a member takes replicas. Only `alive` members do: a draining member is being emptied
    /// on purpose and a dead one cannot be trusted with new replicas.
    public enum State: String, Hashable, Sendable, Codable, CaseIterable {
        case alive, draining, dead
    }

    public var id: PlacementNodeID
    /// Failure domain above the zone; replicas spread over regions first.
    public var region: String
    /// Failure domain inside a region (zone names are scoped by their region).
    public var zone: String
    /// Relative share of replicas and leaders, 1...`PlacementSettings.maxWeight` (integers keep the
    /// computation exact on every platform). A member of weight w ranks first for a shard w times as
    /// often (best of w hash draws) and its caps scale with w; its share of replica sets is somewhat
    /// less than proportional (weight 2 among 8 members of 1: ~1.7×). It never holds more than one replica of a shard,
    /// so a share above the shard count is clipped and the rest goes to the others.
    public var weight: Int
    public var state: State

    public init(id: PlacementNodeID, region: String, zone: String, weight: Int = 1, state: State = .alive) {
        self.id = id
        self.region = region
        self.zone = zone
        self.weight = weight
        self.state = state
    }
}
