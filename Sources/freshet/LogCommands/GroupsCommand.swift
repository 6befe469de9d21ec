import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog

/// `freshet groups list|describe|reset-offsets`.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "Consumer groups: committed offsets and lag.",
        discussion: """
            Examples:
              freshet groups list
              freshet groups describe freshet-processor
              freshet groups reset-offsets demo --to earliest
              freshet groups reset-offsets demo --to 1200 --topic users_created
            """,
        subcommands: [List.self, Describe.self, ResetOffsets.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups with their total lag.")
        @OptionGroup var log: LogOptions
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            let groups = try await log.withReadingBroker { broker in
                var all: [GroupDescription] = []
                for g in try await broker.listGroups() { all.append(try await broker.describeGroup(g)) }
                return all
            }
            let rows = groups.map { g in
                (
                    g.groupID, Set(g.offsets.map(\.topic)).sorted().joined(separator: ","),
                    g.offsets.compactMap(\.lag).reduce(Int64(0), +)
                )
            }
            if json {
                print(logCLIJSON(rows.map { CLIJSON.GroupSummary(group: $0.0, topics: $0.1, lag: $0.2) }))
            } else if rows.isEmpty {
                print("no consumer groups in \(log.dataDir)")
            } else {
                print(logCLITable(["GROUP", "TOPICS", "LAG"], rows.map { [$0.0, $0.1, "\($0.2)"] }))
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Committed offsets, latest offsets and lag per partition.")
        @OptionGroup var log: LogOptions
        @Argument(help: "Group.") var group: String
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            let d = try await log.withReadingBroker { try await $0.describeGroup(group) }
            printGroup(d, json: json)
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets", abstract: "Move a group's committed offsets (the group must have no running consumer).")
        @OptionGroup var log: LogOptions
        @Argument(help: "Group.") var group: String
        @Option(help: "earliest, latest or an offset (clamped to each partition's range).") var to: OffsetArgument
        @Option(help: "Only this topic (default: every topic the group has committed).") var topic: String?
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            let d = try await log.withBroker { broker in
                _ = try await broker.resetOffsets(group: group, topic: topic, to: to.spec)
                return try await broker.describeGroup(group)
            }
            printGroup(d, json: json)
        }
    }
}

func printGroup(_ d: GroupDescription, json: Bool) {
    if json {
        print(logCLIJSON(CLIJSON.GroupDetail(d)))
        return
    }
    print("group \(d.groupID) (\(d.state), \(d.members.count) members)")
    print(
        logCLITable(
            ["TOPIC", "PARTITION", "COMMITTED", "LATEST", "LAG", "OWNER"],
            d.offsets.map {
                [
                    $0.topic, "\($0.partition)", $0.committedOffset.map(String.init) ?? "-", "\($0.latestOffset)",
                    $0.lag.map(String.init) ?? "-", $0.owner ?? "-",
                ]
            }))
}
