import RingdeskReplication
import Testing

/// The envelope of a request forwarded to a group's leader and of its answer.
@Suite("Forwarded request codec")
struct ForwardedRequestTests {
    @Test func requestsAndRepliesRoundTripAndDamageIsRefused() throws {
        let requests: [ForwardedRequest] = [.propose(group: 7, command: [2, 3, 1, 2, 3]), .readIndex(group: 4095), .propose(group: 0, command: [])]
        let replies: [ForwardedReply] = [.result([1, 1, 9, 9]), .readIndex(1 << 40), .failure(code: "raft_not_leader", message: "ça", leaderHint: 3)]
        for request in requests {
            #expect(try ForwardedRequest(encoded: request.encoded) == request)
            for length in 0..<6 { #expect(throws: ReplicationError.self) { try ForwardedRequest(encoded: Array(request.encoded[..<length])) } }
        }
        for reply in replies {
            #expect(try ForwardedReply(encoded: reply.encoded) == reply)
        }
        #expect(throws: ReplicationError.self) { try ForwardedRequest(encoded: [1, 9, 0, 0, 0, 1]) }
        #expect(throws: ReplicationError.self) { try ForwardedRequest(encoded: [1, 2, 0, 0, 0, 1, 5]) }
        #expect(throws: ReplicationError.self) { try ForwardedRequest(encoded: [2, 2, 0, 0, 0, 1]) }
        #expect(throws: ReplicationError.self) { try ForwardedReply(encoded: [1, 2, 0x80]) }
        #expect(throws: ReplicationError.self) { try ForwardedReply(encoded: [1, 3, 1, 65]) }
        #expect(throws: ReplicationError.self) { try ForwardedReply(encoded: [1, 7]) }
    }
}
