import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog
import FreshetStream

struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "The dead-letter topic users_created.dlq: what was refused, and why.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The newest dead letters: code, reason, where the record came from, its bytes.",
            discussion: """
                Works while `freshet up` runs (the log is opened read-only then).

                Examples:
                  freshet dlq list
                  freshet dlq list -n 100 --json
                """
        )

        @OptionGroup var log: LogOptions
        @Option(name: .short, help: "How many, newest first.") var n = 20
        @Flag(help: "One JSON object per dead letter.") var json = false

        func validate() throws {
            guard n >= 1 else { throw ValidationError("-n must be at least 1, got \(n)") }
        }

        func run() async throws {
            let n = self.n
            let entries = try await log.withReadingBroker { broker -> [DeadLetter.Entry] in
                guard try await broker.listTopics().contains("users_created.dlq") else { return [] }
                let description = try await broker.describeTopic("users_created.dlq")
                var entries: [DeadLetter.Entry] = []
                for p in description.partitions where p.latestOffset > p.earliestOffset {
                    var offset = max(p.earliestOffset, p.latestOffset - Int64(n))
                    while offset < p.latestOffset {
                        let result = try await broker.fetch(
                            topic: "users_created.dlq", partition: p.partition, offset: offset, maxRecords: n, maxBytes: 16 << 20, maxWait: .zero)
                        if result.records.isEmpty { break }
                        entries += result.records.map(DeadLetter.entry(from:))
                        offset = result.nextOffset
                    }
                }
                return Array(entries.sorted { ($0.timestamp, $0.partition, $0.offset) > ($1.timestamp, $1.partition, $1.offset) }.prefix(n))
            }
            if json {
                for e in entries {
                    print(
                        logCLIJSON(
                            CLIJSON.DeadLetterLine(
                                code: e.code, reason: e.reason, sourceTopic: e.sourceTopic, sourcePartition: Int(e.sourcePartition),
                                sourceOffset: Int(e.sourceOffset), timestamp: Int(e.timestamp), value: String(decoding: e.value, as: UTF8.self))))
                }
                return
            }
            if entries.isEmpty {
                print("no dead letters")
                return
            }
            let rows = entries.map { e in
                [
                    e.code, "\(e.sourceTopic)/\(e.sourcePartition)@\(e.sourceOffset)", String(e.reason.prefix(70)),
                    String(String(decoding: e.value, as: UTF8.self).prefix(40)).replacingOccurrences(of: "\n", with: " "),
                ]
            }
            print(logCLITable(["CODE", "SOURCE", "REASON", "VALUE"], rows))
        }
    }
}
