import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct TicketDraftTests {
    @Test func validDraftPassesAndSubjectIsTrimmed() throws {
        var draft = sampleDraft(subject: "  Broken zipper \n")
        draft.requiredSkills = [SkillRequirement(skill: "returns", minLevel: 2)]
        let valid = try draft.validated()
        #expect(valid.subject == "Broken zipper")
        #expect(valid.effectiveQueue == "general")
    }

    @Test(arguments: invalidDraftCases)
    func invalidFieldIsNamed(_ testCase: InvalidDraftCase) {
        var draft = sampleDraft()
        testCase.mutate(&draft)
        expectDomainError("invalid_field", field: testCase.field) { _ = try draft.validated() }
    }

    @Test func decodesSnakeCaseWithDefaults() throws {
        let json = #"""
        {"category":"refund","channel":"chat","subject":"Refund please",
         "customer":{"id":"c-9","order_id":"o-7","order_value":120.5,"language":"de","region":"eu-west"},
         "preferred_agent_id":"a7"}
        """#
        let draft = try JSONDecoder().decode(TicketDraft.self, from: Data(json.utf8))
        #expect(draft.category == .refund)
        #expect(draft.customer.tier == .standard)
        #expect(draft.customer.orderValue == 120.5)
        #expect(draft.body == "")
        #expect(draft.requiredSkills == [])
        #expect(draft.preferredAgentID == "a7")
        #expect(draft.effectiveQueue == "billing")
    }

    @Test func encodesSnakeCaseKeys() throws {
        var draft = sampleDraft(orderValue: 10)
        draft.requiredSkills = [SkillRequirement(skill: "returns", minLevel: 3)]
        let text = String(decoding: try JSONEncoder().encode(draft), as: UTF8.self)
        #expect(text.contains(#""required_skills":[{"#))
        #expect(text.contains(#""min_level":3"#))
        #expect(text.contains(#""order_value":10"#))
        #expect(!text.contains("orderValue"))
        #expect(try JSONDecoder().decode(TicketDraft.self, from: Data(text.utf8)) == draft)
    }

    @Test func agentProfileValidation() throws {
        let profile = AgentProfile(id: "a1", name: "Ann", regions: ["eu-west"], languages: ["en", "de"],
                                   skills: ["returns": 4], channelCapacity: [.chat: 2])
        let agent = try Agent(profile: profile, presence: .available, at: monday)
        #expect(agent.capacity(for: .chat) == 2)
        #expect(agent.capacity(for: .email) == 5)
        var bad = profile
        bad.skills = ["returns": 9]
        expectDomainError("invalid_field", field: "skills.returns") { _ = try bad.validated() }
        bad = profile
        bad.languages = ["x"]
        expectDomainError("invalid_field", field: "languages[0]") { _ = try bad.validated() }
        bad = profile
        bad.channelCapacity = [.phone: -1]
        expectDomainError("invalid_field", field: "channel_capacity.phone") { _ = try bad.validated() }
        bad = profile
        bad.name = ""
        expectDomainError("invalid_field", field: "name") { _ = try bad.validated() }
    }
}

struct InvalidDraftCase: Sendable, CustomTestStringConvertible {
    let field: String
    let mutate: @Sendable (inout TicketDraft) -> Void
    init(_ field: String, _ mutate: @escaping @Sendable (inout TicketDraft) -> Void) {
        self.field = field
        self.mutate = mutate
    }
    var testDescription: String { field }
}

let invalidDraftCases: [InvalidDraftCase] = [
        InvalidDraftCase("subject") { d in d.subject = "   " },
        InvalidDraftCase("subject") { d in d.subject = String(repeating: "x", count: 201) },
        InvalidDraftCase("subject") { d in d.subject = "a\u{7}b" },
        InvalidDraftCase("body") { d in d.body = String(repeating: "x", count: 10_001) },
        InvalidDraftCase("body") { d in d.body = "nul\u{0}" },
        InvalidDraftCase("customer.id") { d in d.customer.id = "" },
        InvalidDraftCase("customer.id") { d in d.customer.id = String(repeating: "x", count: 129) },
        InvalidDraftCase("customer.id") { d in d.customer.id = "has space" },
        InvalidDraftCase("customer.order_id") { d in d.customer.orderID = "o/1" },
        InvalidDraftCase("customer.order_value") { d in d.customer.orderValue = -1 },
        InvalidDraftCase("customer.order_value") { d in d.customer.orderValue = .infinity },
        InvalidDraftCase("customer.order_value") { d in d.customer.orderValue = .nan },
        InvalidDraftCase("customer.language") { d in d.customer.language = "e" },
        InvalidDraftCase("customer.language") { d in d.customer.language = "english-long" },
        InvalidDraftCase("customer.region") { d in d.customer.region = "" },
        InvalidDraftCase("customer.region") { d in d.customer.region = String(repeating: "r", count: 65) },
        InvalidDraftCase("required_skills") { d in
            d.requiredSkills = (0..<17).map { SkillRequirement(skill: "s\($0)", minLevel: 1) } },
        InvalidDraftCase("required_skills[0].min_level") { d in d.requiredSkills = [SkillRequirement(skill: "x", minLevel: 6)] },
        InvalidDraftCase("required_skills[0].min_level") { d in d.requiredSkills = [SkillRequirement(skill: "x", minLevel: 0)] },
        InvalidDraftCase("required_skills[1].skill") { d in
            d.requiredSkills = [SkillRequirement(skill: "x", minLevel: 1), SkillRequirement(skill: "x", minLevel: 2)] },
        InvalidDraftCase("preferred_agent_id") { d in d.preferredAgentID = "" },
        InvalidDraftCase("queue") { d in d.queue = "bad queue" },
]
