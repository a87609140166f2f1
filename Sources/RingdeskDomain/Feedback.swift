import Foundation

/// The customer's rating (1...5) and comment after resolution; given at most once per ticket.
public struct Feedback: Sendable, Codable, Hashable {
    public var rating: Int
    public var comment: String
    public var at: Date

    public static let maxCommentLength = 2_000

    public init(rating: Int, comment: String, at: Date) {
        self.rating = rating
        self.comment = comment
        self.at = at
    }
}
