import ArgumentParser
import Foundation
import RingdeskAPI

/// `ringdesk cluster …`: the membership as one node sees it.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cluster membership.",
        subcommands: [ClusterStatus.self]
    )
}

struct ClusterStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every member the node knows (status, incarnation, region, address) and the ticket shards it hosts (role, leader, lag)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("GET", "/v1/cluster/members")
            if global.json { print(reply.text); return }
            let view = try reply.decode(ClusterMembersResponse.self)
            if !view.clustered { print("\(view.node) runs alone (no cluster section in its configuration)") }
            var table = TextTable(["MEMBER", "STATUS", "INCARNATION", "REGION", "ZONE", "ADDRESS", "LOAD", "VERSION", "POLICY"], rightAligned: [2, 6])
            for member in view.members {
                table.add([member.name + (member.isSelf ? " (this node)" : ""), member.status, String(member.incarnation),
                           member.region.isEmpty ? "-" : member.region, member.zone.isEmpty ? "-" : member.zone,
                           member.address ?? "-", String(member.load), member.version.isEmpty ? "-" : member.version,
                           member.policy ?? "-"])
            }
            print(table.render())
            let counts = Dictionary(grouping: view.members, by: \.status).mapValues(\.count)
            let summary = ["alive", "suspect", "dead", "left"].compactMap { status in counts[status].map { "\(status) \($0)" } }
            print(summary.joined(separator: ", "))
            // Live members should run the same policy; a node that missed a reload stands out.
            let live = view.members.filter { $0.status == "alive" || $0.status == "suspect" }
            let mine = view.members.first(where: \.isSelf)?.policy
            let differing = live.filter { $0.policy != mine }.map(\.name)
            if view.clustered {
                print(differing.isEmpty ? "policy: the same on every live member" : "policy differs on: \(differing.joined(separator: ", "))")
            }
            try await printShards(client)
        }
    }

    /// The ticket shards as the node hosts them: role, leader, term, indexes and lag per shard.
    private func printShards(_ client: NodeClient) async throws {
        let shards = try (try await client.send("GET", "/v1/cluster/shards")).decode(ClusterShardsResponse.self)
        print()
        guard shards.ticketStore == "shards" else {
            print("tickets: single-node store (sqlite); no shards")
            return
        }
        var table = TextTable(["SHARD", "ROLE", "LEADER", "TERM", "COMMIT", "APPLIED", "LAG", "VOTERS"], rightAligned: [0, 2, 3, 4, 5, 6])
        for shard in shards.shards {
            table.add([String(shard.shard), shard.halted == nil ? shard.role : "halted", shard.leader == 0 ? "-" : String(shard.leader),
                       String(shard.term), String(shard.commitIndex), String(shard.appliedIndex), String(shard.lag),
                       shard.voters.map(String.init).joined(separator: ",")])
        }
        print(table.render())
        let leaderless = shards.shards.filter { $0.leader == 0 }.count
        let halted = shards.shards.filter { $0.halted != nil }.count
        let lag = shards.shards.map(\.lag).max() ?? 0
        print("tickets: \(shards.shards.count) shards; \(leaderless) without a known leader; \(halted) halted; largest lag \(lag) entries")
    }
}
