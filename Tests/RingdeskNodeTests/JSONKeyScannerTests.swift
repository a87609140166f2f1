@testable import RingdeskNode
import Testing

@Suite struct JSONKeyScannerTests {
    func scan(_ text: String, _ schema: KeySchema = .ticketDraft) -> JSONKeyScanner.Result {
        Array(text.utf8).withUnsafeBytes { JSONKeyScanner.scan($0, schema: schema) }
    }

    @Test func knownKeysAnywherePass() {
        let body = #"{"category":"refund","subject":"a {\"tricky\": [1,2]} \\ text","customer":{"id":"c","order_value":1.5e2,"deadline":null},"required_skills":[{"skill":"x","min_level":2},{"skill":"y","min_level":1}],"body":"",  "queue" : "q"}"#
        #expect(scan(body) == .allKnown)
        #expect(scan(#"{"name":"A","skills":{"anything":3,"goes":4}}"#, .agentProfile) == .allKnown, "free-form maps are not checked")
    }

    @Test func unknownKeysAreFoundWithTheirPath() {
        #expect(scan(#"{"category":"refund","priority":"high"}"#) == .unknown(path: "", key: "priority"))
        #expect(scan(#"{"customer":{"id":"c","vip":true}}"#) == .unknown(path: "customer", key: "vip"))
        #expect(scan(#"{"required_skills":[{"skill":"x"},{"skill":"y","level":3}]}"#) == .unknown(path: "required_skills[]", key: "level"))
        #expect(scan(#"{"actor":{"kind":"agent","id":"a","role":"x"}}"#, .event) == .unknown(path: "actor", key: "role"))
    }

    @Test func whatItCannotJudgeIsLeftToTheDecoder() {
        #expect(scan(#"{"cat\u0065gory":"refund"}"#) == .undecided, "escaped keys")
        #expect(scan(#"{"category":"refund""#) == .undecided, "truncated")
        #expect(scan(#"{"category" "refund"}"#) == .undecided, "missing colon")
        #expect(scan(String(repeating: "[", count: 200)) == .undecided, "too deep")
        #expect(scan("") == .undecided)
    }
}
