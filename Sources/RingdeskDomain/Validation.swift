/// Shared field checks used by every `validated()` so that limits and messages stay uniform.
enum Validate {
    /// Characters allowed in identifiers: safe in URLs, SQL and logs.
    static func isIdentifierScalar(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", ":", "@", "+", "-": true
        default: false
        }
    }

    /// An identifier: 1...maxLength characters from `[A-Za-z0-9._:@+-]`.
    static func identifier(_ value: String, field: String, maxLength: Int = 128) throws {
        if value.isEmpty { throw DomainError.invalid(field, "must not be empty") }
        if value.unicodeScalars.count > maxLength {
            throw DomainError.invalid(field, "must be at most \(maxLength) characters")
        }
        if !value.unicodeScalars.allSatisfy(isIdentifierScalar) {
            throw DomainError.invalid(field, "may contain only letters, digits and . _ : @ + -")
        }
    }

    /// Free text: length bounds in characters; control characters refused except, when
    /// `multiline`, newline, carriage return and tab.
    static func text(_ value: String, field: String, min: Int, max: Int, multiline: Bool) throws {
        let count = value.count
        if count < min {
            throw DomainError.invalid(field, min == 1 ? "must not be empty" : "must be at least \(min) characters")
        }
        if count > max { throw DomainError.invalid(field, "must be at most \(max) characters") }
        for scalar in value.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline && (scalar == "\n" || scalar == "\r" || scalar == "\t") { continue }
            throw DomainError.invalid(field, "must not contain control characters")
        }
    }

    /// A language tag like `en` or `pt-BR`: 2...8 characters, letters, digits and `-`,
    /// starting with a letter.
    static func language(_ value: String, field: String) throws {
        let scalars = value.unicodeScalars
        guard (2...8).contains(scalars.count) else {
            throw DomainError.invalid(field, "must be a language tag of 2 to 8 characters (e.g. \"en\")")
        }
        let ok = scalars.allSatisfy { s in
            switch s {
            case "a"..."z", "A"..."Z", "0"..."9", "-": true
            default: false
            }
        }
        guard ok, let first = scalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            throw DomainError.invalid(field, "must be a language tag such as \"en\" or \"pt-BR\"")
        }
    }

    /// Lower-cased primary subtag of a language tag (`pt-BR` → `pt`), used for matching.
    static func primaryLanguage(_ tag: String) -> String {
        String(tag.split(separator: "-", maxSplits: 1).first ?? Substring(tag)).lowercased()
    }

    static func finiteNonNegative(_ value: Double, field: String) throws {
        if !value.isFinite || value < 0 {
            throw DomainError.invalid(field, "must be a finite number ≥ 0")
        }
    }
}
