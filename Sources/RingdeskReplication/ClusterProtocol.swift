/// The version of everything a cluster's nodes exchange and replicate: the Raft wire codec, the
/// forwarded requests and replies, and the formats of log entries, rows and snapshots. One cluster
/// runs one version. Every node-to-node request names the sender's (`header`); a node answers a
/// request naming another version (or none: a node from before versions were named) with 409
/// `cluster_protocol_mismatch` and never reads its body, so a node of another version cannot
/// join: it gets no votes and no entries, and it refuses the others' traffic the same way.
///
/// Bump `current` with any change an older node could not read. 2: ticket log `importTicket` entries. 3: `basedOnEvents` on ticket commands. Upgrading then means stopping
/// every node, installing the new build, and starting them again (docs/operations.md).
public enum ClusterProtocol {
    public static let current: UInt32 = 3
    /// The request header naming the sender's version; a refusal names the receiver's.
    public static let header = "ringdesk-cluster-protocol"
    /// The error code of a refusal (HTTP 409).
    public static let mismatchCode = "cluster_protocol_mismatch"

    /// Whether a request naming `value` (a header's text, or nil) may be served by a node at `version`.
    public static func accepts(_ value: String?, at version: UInt32) -> Bool {
        value.flatMap(UInt32.init) == version
    }
}
