import ArgumentParser
import Foundation

/// `ringdesk health`: liveness (`/health`) and readiness (`/ready`) of the node.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether the node is up and ready.")

    @OptionGroup var global: GlobalOptions

    struct Status: Decodable {
        var status: String
        var node: String?
        var version: String?
    }

    struct Readiness: Decodable {
        var ready: Bool
    }

    func run() async throws {
        try await global.withClient { client in
            let health = try await client.send("GET", "/health")
            // A node that is not ready may answer 503 with a body; show it instead of failing early.
            let ready: NodeClient.Reply
            do {
                ready = try await client.send("GET", "/ready")
            } catch CLIError.api(let status, let code, let message) where status == 503 {
                if global.json { print(health.text) }
                throw CLIError.api(status: status, code: code, message: message)
            }
            if global.json {
                print(health.text)
                print(ready.text)
                return
            }
            let status = try health.decode(Status.self)
            let readiness = try ready.decode(Readiness.self)
            var fields = FieldList()
            // The node's name is its address unless configured otherwise: say the address once.
            let name = status.node ?? "-"
            fields.add("Node", name == client.label ? name : "\(name) at \(client.label)")
            fields.add("Version", status.version ?? "-")
            fields.add("Health", status.status)
            fields.add("Ready", readiness.ready ? "yes" : "no")
            print(fields.render())
            if !readiness.ready { throw ExitCode(1) }
        }
    }
}
