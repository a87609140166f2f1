import Foundation
import NIOCore
import RingdeskDomain
import RingdeskShard
import Testing
@testable import RingdeskNode

/// The fast reader must never disagree with the full decoder: whatever it accepts decodes to the
/// same request, and anything unusual falls back (nil). The writer must produce the same JSON
/// value as `APIJSON.response`.
@Suite("Replicated command JSON fast path")
struct ShardCommandFastJSONTests {
    func fast(_ text: String) -> ShardCommandRequest? { ShardCommandFastJSON.decode(ByteBuffer(string: text)) }

    func full(_ text: String) -> ShardCommandRequest? {
        try? APIJSON.decoder().decode(ShardCommandRequest.self, from: Data(text.utf8))
    }

    @Test("common bodies take the fast path and decode exactly as the full decoder does")
    func commonBodies() {
        let bodies = [
            #"{"op":"create","ticket_id":"t-1","idempotency_key":"k-1","payload":"hello","at":1700000000000}"#,
            #"  { "op" : "claim" , "ticket_id" : "t-1", "agent": "ana", "epoch": 0, "lease_until": -5 }  "#,
            "{\"op\":\"renew\",\n\t\"ticket_id\":\"ü-票\",\r\n\"agent\":\"a\",\"epoch\":18446744073709551615,\"lease_until\":9223372036854775807}",
            #"{"op":"expire","ticket_id":"t","epoch":3,"now":-9223372036854775808}"#,
            #"{"op":"event","ticket_id":"t","epoch":1,"kind":"resolve","payload":null,"idempotency_key":null}"#,
            #"{"ticket_id":"t","op":"requeue","epoch":2}"#,
            #"{"op":"nonsense","ticket_id":""}"#,
        ]
        for body in bodies {
            let decoded = fast(body)
            #expect(decoded != nil, "fast path should take \(body)")
            #expect(decoded == full(body), "disagrees on \(body)")
        }
    }

    @Test("anything unusual falls back to the full decoder")
    func fallbacks() {
        let bodies = [
            #"{"op":"create","ticket_id":"a\"b"}"#,              // escape
            #"{"op":"create","ticket_id":"\u0041"}"#,             // unicode escape
            #"{"op":"create","ticket_id":"t","at":1.0}"#,         // fraction
            #"{"op":"create","ticket_id":"t","at":1e3}"#,         // exponent
            #"{"op":"create","ticket_id":"t","at":01}"#,          // leading zero
            #"{"op":"create","ticket_id":"t","at":9223372036854775808}"#, // Int64 overflow
            #"{"op":"claim","ticket_id":"t","epoch":-1}"#,        // negative UInt64
            #"{"op":"claim","ticket_id":"t","epoch":18446744073709551616}"#,
            #"{"op":"create","ticket_id":"t","extra":1}"#,        // unknown key
            #"{"op":"create","ticket_id":"t","op":"claim"}"#,     // repeated key
            #"{"op":"create"}"#,                                  // missing ticket_id
            #"{"op":null,"ticket_id":"t"}"#,                      // null where required
            #"{"op":"create","ticket_id":7}"#,                    // wrong type
            #"{"op":"create","ticket_id":"t","payload":{"a":1}}"#, // nesting
            #"{"op":"create","ticket_id":"t"} x"#,                // trailing bytes
            #"{"op":"create","ticket_id":"t",}"#,                 // trailing comma
            #"["op"]"#, "", "{", #"{"op":"create","ticket_id":"t""#, "{\"op\":\"create\",\"ticket_id\":\"a\u{1}b\"}",
            #"{"op":"create","ticket_id":"t","at":-}"#, #"{"op":"create","ticket_id":"t","at":nul}"#, #"{"op":"create","ticket_id":"t","at":true}"#,
        ]
        for body in bodies { #expect(fast(body) == nil, "should fall back: \(body)") }
        // Invalid UTF-8 inside a string falls back too.
        var bytes = ByteBuffer(string: #"{"op":"create","ticket_id":""#)
        bytes.writeBytes([0xFF, 0xFE])
        bytes.writeString(#""}"#)
        #expect(ShardCommandFastJSON.decode(bytes) == nil)
    }

    @Test("seeded random bodies: the fast path agrees with the full decoder whenever it answers")
    func randomBodies() {
        var generator = SeededGenerator(seed: 0x5EED_F00D)
        let keys = ["op", "ticket_id", "idempotency_key", "payload", "at", "agent", "epoch", "lease_until", "now", "kind", "other"]
        let strings = ["create", "claim", "t-1", "", "ü", "a\\\"b", "x\\ny", "票据", "\\u00e9", " spaced ", "a/b"]
        let numbers = ["0", "-0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                       "18446744073709551615", "18446744073709551616", "1.5", "2e3", "007", "-"]
        let spaces = ["", " ", "\n", "\t", "  \r\n "]
        var taken = 0
        for _ in 0..<3_000 {
            // Usually a well-formed start, so a good share of bodies reach the comparison.
            var members = generator.next() % 8 == 0 ? [] : [#""op":"create""#, #""ticket_id":"t""#]
            for _ in 0..<Int(generator.next() % 4) {
                let key = keys[Int(generator.next() % UInt64(keys.count))]
                let value: String
                switch generator.next() % 5 {
                case 0, 1: value = "\"" + strings[Int(generator.next() % UInt64(strings.count))] + "\""
                case 2, 3: value = numbers[Int(generator.next() % UInt64(numbers.count))]
                default: value = generator.next() % 2 == 0 ? "null" : "[1]"
                }
                let space = spaces[Int(generator.next() % UInt64(spaces.count))]
                members.append("\(space)\"\(key)\"\(space):\(space)\(value)\(space)")
            }
            members.shuffle(using: &generator)
            let body = "{" + members.joined(separator: ",") + "}"
            if let decoded = fast(body) {
                taken += 1
                #expect(decoded == full(body), "disagrees on \(body)")
            }
        }
        #expect(taken > 100, "the fast path took only \(taken) of 3000 bodies")
    }

    @Test("the writer produces the same JSON value as the full encoder for every outcome")
    func writer() throws {
        let results: [ShardResult] = [
            .created(ticketID: "t-1"), .duplicate(ticketID: "quote\" back\\slash ctrl\u{1}\u{1F} tab\t nl\n cr\r ü 票 / end"),
            .claimed(epoch: 0), .renewed(epoch: .max, leaseUntil: .min), .expired(epoch: 7), .requeued(epoch: 8),
            .updated(status: .resolved, epoch: 9), .rejected(code: "stale_epoch"),
        ]
        for (index, result) in results.enumerated() {
            let response = ShardCommandResponse(group: UInt32(index), index: UInt64.max - UInt64(index), result: ShardResultBody(result))
            let fastBytes = Data(ShardCommandFastJSON.encode(response).readableBytesView)
            let fullBytes = try APIJSON.encoder().encode(response)
            let fastValue = try JSONSerialization.jsonObject(with: fastBytes) as? NSDictionary
            let fullValue = try JSONSerialization.jsonObject(with: fullBytes) as? NSDictionary
            #expect(fastValue != nil && fastValue == fullValue, "\(String(decoding: fastBytes, as: UTF8.self)) vs \(String(decoding: fullBytes, as: UTF8.self))")
        }
    }
}
