/// What a member tells the cluster about itself; rides on alive updates and full-state syncs.
/// Changing it bumps the member's incarnation, so the newest version always wins.
public struct SWIMNodeMetadata: Hashable, Sendable {
    /// Human-readable node name (the shell may derive the `SWIMNodeID` from it).
    public var name: String
    public var region: String
    public var zone: String
    /// Where peers reach this node (e.g. "10.0.1.7:7946"); the shell picks the one it can use.
    public var addresses: [String]
    /// An application load figure (e.g. open tickets or sessions); informs placement only.
    public var load: UInt32
    /// Software version, so mixed-version clusters are visible.
    public var version: String

    public init(name: String, region: String = "", zone: String = "", addresses: [String] = [], load: UInt32 = 0, version: String = "") {
        self.name = name
        self.region = region
        self.zone = zone
        self.addresses = addresses
        self.load = load
        self.version = version
    }
}
