import ArgumentParser
import Foundation

/// The `ringdesk` root command: a client of a node's JSON API over HTTP/2 cleartext.
struct Ringdesk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringdesk",
        abstract: "Command-line client of a Ringdesk node (HTTP/2 cleartext JSON API).",
        discussion: "Every command takes --node HOST:PORT (default $RINGDESK_NODE or 127.0.0.1:7600), --json, --timeout SECONDS and --tls-ca FILE, before or after the command name.",
        subcommands: [Health.self, Tickets.self, AgentGroup.self, KPIs.self, Backup.self, Cluster.self, Demo.self, Load.self, Simulate.self, Replication.self]
    )
}

/// Runs the parsed command; API and connection errors become one `error:` line and exit code 1,
/// everything else (usage errors, help, completion scripts) goes through ArgumentParser.
enum RingdeskMain {
    static func run() async {
        do {
            var command = try Ringdesk.parseAsRoot(GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        } catch {
            Ringdesk.exit(withError: error)
        }
    }
}
