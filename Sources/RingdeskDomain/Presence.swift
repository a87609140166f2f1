/// Whether an agent may receive offers right now; only `available` agents get offers.
public enum Presence: String, Sendable, Codable, CaseIterable, Hashable, CodingKeyRepresentable {
    case available
    case away
    case offline
}
