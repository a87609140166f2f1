import Foundation

/// One row of `agents`: an agent's profile as a caller-encoded document.
public struct AgentRow: Sendable, Hashable {
    public var id: String
    /// Seconds since 1970 (UTC).
    public var updatedAt: Double
    /// The caller-encoded agent document.
    public var doc: Data

    public init(id: String, updatedAt: Double, doc: Data) {
        self.id = id
        self.updatedAt = updatedAt
        self.doc = doc
    }
}
