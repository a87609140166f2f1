/// An error crossing the module: a stable `code` for programs and a `message` for people.
public struct SWIMError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(code): \(message)"
    }

    static func malformed(_ message: String) -> SWIMError {
        SWIMError(code: "swim_malformed_message", message: message)
    }

    static func payloadTooLarge(_ size: Int, limit: Int) -> SWIMError {
        SWIMError(code: "swim_payload_too_large", message: "payload of \(size) bytes exceeds the limit of \(limit)")
    }

    static func invalidConfiguration(_ message: String) -> SWIMError {
        SWIMError(code: "swim_invalid_configuration", message: message)
    }
}
