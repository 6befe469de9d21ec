import ArgumentParser
import Foundation
import FreshetContracts
import FreshetLog
import Synchronization

/// `freshet bench log`: append/read throughput of the embedded log against raw disk bandwidth.
struct BenchLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Append throughput per durability policy, read throughput, and raw write bandwidth for comparison.",
        discussion: """
            Writes into a scratch directory next to --data-dir (removed afterwards). For each policy, \
            --producers tasks append keyed records of --record-size bytes in batches of --batch; the \
            baseline writes the same number of bytes with plain write(2) in batch-sized chunks and the \
            same fsync cadence (none, every chunk, or every commit interval).

            Example:
              swift build -c release && .build/release/freshet bench log --records 300000
            """)

    @OptionGroup var log: LogOptions
    @Option(help: "Records per policy.") var records: Int = 300_000
    @Option(name: .customLong("record-size"), help: "Value bytes per record.") var recordSize: Int = 600
    @Option(help: "Records per produce call.") var batch: Int = 500
    @Option(help: "Concurrent producer tasks.") var producers: Int = 8
    @Option(help: "Partitions of the bench topic.") var partitions: Int32 = 3
    @Option(help: "Policies to run: group-commit, fsync, none (comma separated).")
    var policies: String = "group-commit,fsync,none"

    func validate() throws {
        guard records >= 1 else { throw ValidationError("--records must be at least 1, got \(records)") }
        guard recordSize >= 1 && recordSize <= 1 << 20 else {
            throw ValidationError("--record-size must be 1...1048576, got \(recordSize)")
        }
        guard batch >= 1, producers >= 1, partitions >= 1 else {
            throw ValidationError("--batch, --producers and --partitions must be at least 1")
        }
        for p in policies.split(separator: ",") where DurabilityChoice(rawValue: String(p)) == nil {
            throw ValidationError("--policies: unknown policy '\(p)' (use group-commit, fsync, none)")
        }
    }

    func run() async throws {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        print(
            "freshet bench log: \(records) records x \(recordSize) B, batch \(batch), \(producers) producers, "
                + "\(partitions) partitions; CPU \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        // Records are built once so the bench measures the log, not record generation.
        let value = [UInt8]((0..<recordSize).map { UInt8(truncatingIfNeeded: 0x41 + $0 % 26) })
        let keys = (0..<1000).map { Array("user-\($0)-\(UInt32.random(in: 0...UInt32.max))".utf8) }
        let batches: [[ProducerRecord]] = stride(from: 0, to: records, by: batch).map { start in
            (start..<min(start + batch, records)).map { i in ProducerRecord(key: keys[i % keys.count], value: value) }
        }
        var rows: [[String]] = []
        var readRow: [String]?
        for name in policies.split(separator: ",") {
            let choice = DurabilityChoice(rawValue: String(name))!
            let durability: Durability =
                switch choice {
                case .groupCommit: .interval(.milliseconds(log.commitIntervalMs))
                case .fsync: .everyBatch
                case .none: .none
                }
            let dir = log.dataDir.hasSuffix("/") ? String(log.dataDir.dropLast()) : log.dataDir
            let scratch = "\(dir).bench-\(getpid())-\(name)"
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            var config = log.brokerConfig()
            config.dataDirectory = scratch
            config.durability = durability
            let (seconds, bytes, readSeconds) = try await EmbeddedBroker.withBroker(config) { broker in
                try await broker.createTopic("bench", config: TopicConfig(partitions: partitions, retentionMs: nil))
                let next = LogBenchCounter()
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<producers {
                        group.addTask {
                            while let i = next.take(below: batches.count) {
                                _ = try await broker.produce(topic: "bench", records: batches[i])
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = (ContinuousClock.now - start).logSeconds
                let size = try await broker.describeTopic("bench").partitions.reduce(Int64(0)) { $0 + $1.sizeBytes }
                var readSeconds: Double?
                if readRow == nil {
                    var c = ConsumerConfig(groupID: "bench", topics: ["bench"])
                    c.maxPollRecords = 5000
                    c.maxPollBytes = 8 << 20
                    c.maxWait = .zero
                    let consumer = try await broker.makeConsumer(c)
                    let t0 = ContinuousClock.now
                    var n = 0
                    while n < records {
                        let r = try await consumer.poll()
                        if r.isEmpty { break }
                        n += r.count
                    }
                    readSeconds = (ContinuousClock.now - t0).logSeconds
                    try await consumer.close()
                    if n != records { throw LogBenchError(description: "read back \(n) of \(records) records") }
                }
                return (elapsed, size, readSeconds)
            }
            let chunk = Int(bytes / Int64(batches.count))
            let baseline = try rawWrite(
                path: scratch + ".raw", total: Int(bytes), chunk: chunk, durability: durability)
            let mbs = Double(bytes) / seconds / 1e6
            let rawMBs = Double(bytes) / baseline / 1e6
            rows.append([
                durability.description, format(Double(records) / seconds), String(format: "%.1f", mbs),
                String(format: "%.1f", rawMBs), String(format: "%.2f", mbs / rawMBs),
            ])
            if let readSeconds {
                readRow = [format(Double(records) / readSeconds), String(format: "%.1f", Double(bytes) / readSeconds / 1e6)]
            }
        }
        print("")
        print(logCLITable(["APPEND POLICY", "RECORDS/S", "MB/S", "RAW WRITE MB/S", "RATIO"], rows))
        if let readRow {
            print("")
            print(logCLITable(["READ (consumer poll)", "RECORDS/S", "MB/S"], [["page cache"] + readRow]))
        }
    }

    func format(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.2fM", x / 1e6) : String(format: "%.0fk", x / 1e3)
    }

    /// Writes `total` bytes in `chunk`-sized write(2) calls with the policy's fsync cadence.
    func rawWrite(path: String, total: Int, chunk: Int, durability: Durability) throws -> Double {
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LogBenchError(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let buffer = [UInt8](repeating: 0x5A, count: max(chunk, 1))
        let interval: Duration? = if case .interval(let d) = durability { d } else { nil }
        let start = ContinuousClock.now
        var lastSync = start
        var written = 0
        while written < total {
            let n = min(buffer.count, total - written)
            let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress!, n) }
            guard w > 0 else { throw LogBenchError(description: "write to \(path) failed: \(String(cString: strerror(errno)))") }
            written += w
            switch durability {
            case .everyBatch: fsync(fd)
            case .interval:
                if ContinuousClock.now - lastSync >= interval! {
                    fsync(fd)
                    lastSync = ContinuousClock.now
                }
            case .none: break
            }
        }
        if case .none = durability {} else { fsync(fd) }
        return (ContinuousClock.now - start).logSeconds
    }
}

struct LogBenchError: Error, CustomStringConvertible {
    var description: String
}

/// Hands out batch numbers to producer tasks.
final class LogBenchCounter: Sendable {
    private let value = Mutex(0)
    func take(below limit: Int) -> Int? {
        value.withLock { v in
            guard v < limit else { return nil }
            defer { v += 1 }
            return v
        }
    }
}

extension Duration {
    var logSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
