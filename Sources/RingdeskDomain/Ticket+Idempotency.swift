extension Ticket {
    /// Detail of the `created` event that holds `TicketDraft.fingerprint` of the request that
    /// created a ticket under an idempotency key: stored with the ticket, so it survives restarts.
    public static let requestFingerprintDetail = "request_fingerprint"

    /// The fingerprint of the creating request; nil for tickets created without an idempotency
    /// key or before fingerprints were recorded.
    public var requestFingerprint: String? {
        history.first { $0.kind == .created }?.details[Self.requestFingerprintDetail]
    }

    /// Answers a retry under this ticket's idempotency key: `retry` is the ticket prepared from the
    /// later request. The same request gets this ticket back; another request is refused with
    /// `idempotency_key_reused`. A ticket without a recorded fingerprint accepts any retry.
    public func answeringRetry(_ retry: Ticket) throws -> Ticket {
        guard let stored = requestFingerprint, let asked = retry.requestFingerprint, stored != asked else { return self }
        throw DomainError(
            code: DomainError.idempotencyKeyReusedCode,
            message: "Idempotency-Key '\(idempotencyKey ?? "")' was already used for ticket \(id) with a different request; "
                + "send a new key to open another ticket")
    }
}
