import RingdeskDomain
import RingdeskHTTP2
import RingdeskReplication
import RingdeskService
import RingdeskStorage

/// The one place where errors from every module become HTTP statuses and `{code, message}` bodies.
enum APIErrors {
    static func response(for error: any Error) -> HTTP2Response {
        switch error {
        case let error as APIError:
            return .error(status: error.status, code: error.code, message: error.message)
        case let error as HTTPError:
            return error.response
        case let error as DomainError:
            let message = error.field.map { field in error.message.contains(field) ? error.message : "\(field): \(error.message)" } ?? error.message
            return .error(status: status(forDomainCode: error.code), code: error.code, message: message)
        case let error as ServiceError:
            return .error(status: status(forServiceCode: error.code), code: error.code, message: error.message)
        case let error as StorageError:
            return .error(status: error.code == .invalidArgument ? 400 : 503, code: error.code.description, message: error.message)
        case let error as ReplicationError:
            // A ticket shard that cannot take the request now (halted, shutting down, overloaded,
            // or a proposal whose outcome is unknown: retry with the same idempotency key).
            return .error(status: 503, code: error.code, message: error.message)
        case is CancellationError:
            return .error(status: 503, code: "cancelled", message: "the request was cancelled")
        default:
            return .error(status: 500, code: "internal_error", message: "the node failed to handle the request")
        }
    }

    static func status(forDomainCode code: String) -> Int {
        switch code {
        case DomainError.invalidFieldCode, DomainError.unknownQueueCode: 400
        case DomainError.notPermittedCode, DomainError.notAssignedAgentCode: 403
        default: 409  // illegal transitions, offers not held, limits reached, idempotency keys reused
        }
    }

    static func status(forServiceCode code: String) -> Int {
        switch code {
        case "ticket_not_found", "agent_not_found": 404
        case "conflict": 409
        case "storage_unavailable", "shard_unavailable": 503
        default: 500
        }
    }
}
