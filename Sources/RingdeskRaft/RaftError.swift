/// Why the core refused a request. `code` is stable and opaque; callers map it, never the message.
public struct RaftError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// The leader this replica knows of (0 if none), so a caller can forward.
    public var leaderHint: RaftNodeID

    public init(code: String, message: String, leaderHint: RaftNodeID = 0) {
        self.code = code
        self.message = message
        self.leaderHint = leaderHint
    }

    public var description: String { "\(code): \(message)" }

    static func notLeader(_ leader: RaftNodeID) -> RaftError {
        RaftError(code: "raft_not_leader", message: leader == 0 ? "no leader is known" : "the leader is \(leader)", leaderHint: leader)
    }

    static let transferring = RaftError(code: "raft_transferring", message: "leadership is being transferred")
    static let tooMuchUncommitted = RaftError(code: "raft_backpressure", message: "too many uncommitted proposals")
    static let confChangePending = RaftError(code: "raft_conf_change_pending", message: "another membership change is not yet applied")
    static let invalidConfChange = RaftError(code: "raft_invalid_conf_change", message: "the membership change does not apply")
    static let notMember = RaftError(code: "raft_not_member", message: "that node is not in the group")
}
