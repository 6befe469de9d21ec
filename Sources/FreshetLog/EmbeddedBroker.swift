import Foundation
import FreshetContracts
import FreshetCore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Settings of the embedded log.
public struct EmbeddedBrokerConfig: Sendable {
    /// Where topics and group offsets live. Defaults to `./freshet-data`.
    public var dataDirectory: String = "./freshet-data"
    /// When a produce call counts as durable. Defaults to `.interval(.milliseconds(5))` (group commit).
    public var durability: Durability = .default
    /// Settings for topics created without explicit ones. Defaults to `TopicConfig()` (3 partitions).
    public var defaultTopicConfig = TopicConfig()
    /// Create a topic with `defaultTopicConfig` when a producer names an unknown one.
    /// Defaults to `false` (unknown topics are an error).
    public var autoCreateTopics = false
    /// Bytes of batches between sparse index entries. Defaults to 4096 (Kafka's `index.interval.bytes`).
    public var indexIntervalBytes = 4096
    /// Wall-clock milliseconds since the epoch, for record timestamps and age retention.
    /// Defaults to the system clock; tests inject their own.
    public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    /// Defaults to `Logger(label: "freshet.log")`.
    public var logger = Logger(label: "freshet.log")
    /// Open without the directory lock and without changing anything on disk, so a running
    /// pipeline's log can be inspected from another process: listing, describing and fetching
    /// work on a snapshot taken at open; anything that writes throws `READ_ONLY`. A torn tail
    /// (a batch being appended right now) is skipped, not truncated. Defaults to `false`.
    public var readOnly = false

    public init(dataDirectory: String = "./freshet-data", durability: Durability = .default) {
        self.dataDirectory = dataDirectory
        self.durability = durability
    }
}

/// Produce calls whose records are written but maybe not durable yet (see `EmbeddedBroker.append`).
public struct PendingProduce: Sendable {
    let waits: [(PartitionLog, Int64)]
    /// Where each record landed, in input order.
    public let metadata: [RecordMetadata]

    /// Returns once every record is durable under the broker's policy.
    public func durable() async throws -> [RecordMetadata] {
        for (p, target) in waits { try await p.waitDurable(upTo: target) }
        return metadata
    }
}

final class Topic: Sendable {
    let name: String
    let config: TopicConfig
    let directory: String
    let partitions: [PartitionLog]
    let sticky = Mutex<Int>(0)

    init(name: String, config: TopicConfig, directory: String, partitions: [PartitionLog]) {
        self.name = name
        self.config = config
        self.directory = directory
        self.partitions = partitions
    }

    func partition(_ p: Int32) throws -> PartitionLog {
        guard p >= 0 && Int(p) < partitions.count else {
            throw LogError.unknownPartition(name, p, count: partitions.count)
        }
        return partitions[Int(p)]
    }
}

/// Freshet's default broker: a durable, partitioned, append-only log in this process.
///
/// Layout under `dataDirectory`: `topics/<topic>/topic.json`, `topics/<topic>/<partition>/<base>.log`
/// and `.index`, `groups/<group>.json` (committed offsets). See docs/log.md.
public final class EmbeddedBroker: Broker {
    public let config: EmbeddedBrokerConfig
    let logger: Logger
    let signal = ChangeSignal()
    let committer: GroupCommitter?
    private let lockFile: FileRef
    private let topics: Mutex<[String: Topic]>
    let groups = Mutex<[String: GroupState]>([:])
    /// Serialises group-offset file writes so the newest state always lands last.
    private let groupFileLock = Mutex<Void>(())
    private let closed = Mutex(false)
    private let memberSequence = Mutex(0)

    var topicsDirectory: String { config.dataDirectory + "/topics" }
    var groupsDirectory: String { config.dataDirectory + "/groups" }

    var partitionSettings: PartitionSettings {
        PartitionSettings(
            durability: config.durability, indexIntervalBytes: config.indexIntervalBytes, now: config.now,
            readOnly: config.readOnly)
    }

    /// Opens (creating if needed) the data directory, recovering every partition.
    /// Throws `DATA_DIR_LOCKED` if another process has it open.
    public init(_ config: EmbeddedBrokerConfig) throws {
        self.config = config
        self.logger = config.logger
        if config.readOnly {
            guard FS.exists(config.dataDirectory + "/topics") else {
                throw LogError(
                    .unknownTopicOrPartition, "no freshet log in '\(config.dataDirectory)' (no topics directory)",
                    context: ["path": config.dataDirectory])
            }
        } else {
            try FS.makeDirectories(config.dataDirectory)
            try FS.makeDirectory(config.dataDirectory + "/topics")
            try FS.makeDirectory(config.dataDirectory + "/groups")
        }
        let lockPath = config.dataDirectory + "/.lock"
        lockFile = try FileRef(path: config.readOnly ? "/dev/null" : lockPath, flags: config.readOnly ? O_RDONLY : O_RDWR | O_CREAT)
        if !config.readOnly && flock(lockFile.fd, LOCK_EX | LOCK_NB) != 0 {
            throw LogError(
                .dataDirLocked,
                "data directory '\(config.dataDirectory)' is in use by another freshet process",
                context: ["path": config.dataDirectory])
        }
        var loaded: [String: Topic] = [:]
        let settings = PartitionSettings(
            durability: config.durability, indexIntervalBytes: config.indexIntervalBytes, now: config.now,
            readOnly: config.readOnly)
        for name in try FS.list(config.dataDirectory + "/topics") where Self.isValidName(name) {
            let dir = config.dataDirectory + "/topics/" + name
            guard FS.exists(dir + "/topic.json") else { continue }
            let bytes = try FS.readAll(dir + "/topic.json")
            let topicConfig: TopicConfig
            do {
                topicConfig = try JSONDecoder().decode(TopicConfig.self, from: Data(bytes))
            } catch {
                throw LogError(
                    .storageError, "cannot read topic config '\(dir)/topic.json': \(error)",
                    context: ["path": dir + "/topic.json", "topic": name])
            }
            // The file is read back from disk: check it as `createTopic` checks what it writes.
            if let problem = topicConfig.problem {
                throw LogError(
                    .storageError, "topic config '\(dir)/topic.json' is invalid: \(problem.message)",
                    context: ["path": dir + "/topic.json", "topic": name, "field": problem.field])
            }
            var parts: [PartitionLog] = []
            for p in 0..<topicConfig.partitions {
                parts.append(
                    try PartitionLog.open(
                        topic: name, partition: p, directory: dir + "/\(p)", config: topicConfig, settings: settings,
                        logger: config.logger, signal: signal))
            }
            loaded[name] = Topic(name: name, config: topicConfig, directory: dir, partitions: parts)
        }
        topics = Mutex(loaded)
        if case .interval(let d) = config.durability { committer = GroupCommitter(interval: d) } else { committer = nil }
    }

    /// Opens a broker, runs `body`, and closes it (also when `body` throws).
    public static func withBroker<R: Sendable>(
        _ config: EmbeddedBrokerConfig, _ body: (EmbeddedBroker) async throws -> R
    ) async throws -> R {
        let broker = try EmbeddedBroker(config)
        do {
            let r = try await body(broker)
            try await broker.close()
            return r
        } catch {
            try? await broker.close()
            throw error
        }
    }

    func checkOpen() throws {
        if closed.withLock({ $0 }) { throw LogError(.brokerClosed, "the broker is closed") }
    }

    /// Throws `READ_ONLY` when the broker was opened read-only.
    func checkWritable(_ what: String) throws {
        if config.readOnly {
            throw LogError(
                .readOnly, "cannot \(what): '\(config.dataDirectory)' is opened read-only (a freshet process may be running on it)",
                context: ["path": config.dataDirectory])
        }
    }

    /// Topic names: 1–249 of `[A-Za-z0-9._-]`, not `.` or `..` (Kafka's rule).
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E
                || c == 0x5F || c == 0x2D
        }
    }

    func topic(_ name: String) throws -> Topic {
        try checkOpen()
        guard let t = topics.withLock({ $0[name] }) else { throw LogError.unknownTopic(name) }
        return t
    }

    // MARK: Topics

    public func createTopic(_ name: String, config topicConfig: TopicConfig) async throws {
        try checkWritable("create topic '\(name)'")
        try createTopicSync(name, config: topicConfig)
    }

    @discardableResult
    func createTopicSync(_ name: String, config topicConfig: TopicConfig) throws -> Topic {
        try checkOpen()
        guard Self.isValidName(name) else {
            throw LogError(
                .invalidTopic, "invalid topic name '\(name)': use 1-249 characters of [A-Za-z0-9._-]",
                context: ["topic": name])
        }
        if let problem = topicConfig.problem {
            throw LogError(
                problem.field == "partitions" ? .invalidPartitions : .invalidConfig, "topic '\(name)': \(problem.message)",
                context: ["topic": name, "field": problem.field])
        }
        return try topics.withLock { map -> Topic in
            if map[name] != nil {
                throw LogError(.topicAlreadyExists, "topic '\(name)' already exists", context: ["topic": name])
            }
            let dir = topicsDirectory + "/" + name
            try FS.makeDirectory(dir)
            var parts: [PartitionLog] = []
            for p in 0..<topicConfig.partitions {
                parts.append(
                    try PartitionLog.open(
                        topic: name, partition: p, directory: dir + "/\(p)", config: topicConfig,
                        settings: partitionSettings, logger: logger, signal: signal))
            }
            let json: Data
            do { json = try JSONEncoder().encode(topicConfig) } catch {
                throw LogError(.invalidConfig, "cannot encode topic config: \(error)", context: ["topic": name])
            }
            // topic.json written last: a topic without it is an unfinished create and is ignored.
            try FS.atomicWrite(Array(json), to: dir + "/topic.json", sync: true)
            FS.syncDirectory(topicsDirectory)
            let t = Topic(name: name, config: topicConfig, directory: dir, partitions: parts)
            map[name] = t
            return t
        }
    }

    public func deleteTopic(_ name: String) async throws {
        try checkWritable("delete topic '\(name)'")
        try checkOpen()
        guard let t = topics.withLock({ $0.removeValue(forKey: name) }) else { throw LogError.unknownTopic(name) }
        for p in t.partitions { p.close() }
        let trash = topicsDirectory + "/.deleted-\(name)-\(UInt64.random(in: 0...UInt64.max))"
        if rename(t.directory, trash) != 0 { throw LogError.io("deleting topic directory", path: t.directory, errno: errno) }
        FS.syncDirectory(topicsDirectory)
        try FS.removeTree(trash)
        signal.notify()
    }

    public func listTopics() async throws -> [String] {
        try checkOpen()
        return topics.withLock { $0.keys.sorted() }
    }

    public func describeTopic(_ name: String) async throws -> TopicDescription {
        let t = try topic(name)
        return TopicDescription(name: name, config: t.config, partitions: t.partitions.map { $0.describe() })
    }

    // MARK: Produce

    public func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] {
        try await append(topic: topic, records: records).durable()
    }

    /// Writes `records` now (in call order, so a caller can pipeline several calls) and returns
    /// a handle whose `durable()` waits for the durability policy.
    public func append(topic name: String, records: [ProducerRecord]) throws -> PendingProduce {
        try checkWritable("produce to '\(name)'")
        let t: Topic
        do { t = try topic(name) } catch let e as LogError where e.code == .unknownTopicOrPartition && config.autoCreateTopics {
            do { t = try createTopicSync(name, config: config.defaultTopicConfig) } catch let e2 as LogError
                where e2.code == .topicAlreadyExists
            {
                t = try topic(name)
            }
        }
        guard !records.isEmpty else { return PendingProduce(waits: [], metadata: []) }
        let count = Int32(t.partitions.count)
        let stickyPartition = Int32(
            t.sticky.withLock { s in
                s += 1
                return s % Int(count)
            })
        var byPartition = [[Int]](repeating: [], count: Int(count))
        for (i, r) in records.enumerated() {
            let size = BatchFormat.encodedSize(r) - 4
            if size > t.config.maxRecordBytes {
                throw LogError(
                    .messageTooLarge,
                    "record \(i) for topic '\(name)' is \(size) bytes, over the limit of \(t.config.maxRecordBytes)",
                    context: ["topic": name, "record": "\(i)", "size": "\(size)", "limit": "\(t.config.maxRecordBytes)"])
            }
            let p: Int32
            if let explicit = r.partition {
                guard explicit >= 0 && explicit < count else {
                    throw LogError.unknownPartition(name, explicit, count: Int(count))
                }
                p = explicit
            } else if let key = r.key {
                p = kafkaPartition(forKey: key, partitionCount: count)
            } else {
                p = stickyPartition
            }
            byPartition[Int(p)].append(i)
        }
        // Limits of the on-disk format (u16 header counts and key lengths, 1 GiB batches),
        // checked before anything is written.
        for (p, indices) in byPartition.enumerated() where !indices.isEmpty {
            var total = BatchFormat.headerSize
            for i in indices {
                let r = records[i]
                if r.headers.count > BatchFormat.maximumHeaderCount
                    || r.headers.contains(where: { $0.key.utf8.count > BatchFormat.maximumHeaderCount })
                {
                    throw LogError(
                        .messageTooLarge,
                        "record \(i) for topic '\(name)' has \(r.headers.count) headers or a header key over \(BatchFormat.maximumHeaderCount) bytes; the log stores at most \(BatchFormat.maximumHeaderCount) of each",
                        context: ["topic": name, "record": "\(i)"])
                }
                total += BatchFormat.encodedSize(r)
            }
            if total > BatchFormat.maxBatchSize {
                throw LogError(
                    .messageTooLarge,
                    "the records of one produce call for partition \(p) of topic '\(name)' take \(total) bytes, over the \(BatchFormat.maxBatchSize)-byte batch limit; produce fewer at a time",
                    context: ["topic": name, "partition": "\(p)", "size": "\(total)"])
            }
        }
        let now = config.now()
        var metadata = [RecordMetadata](
            repeating: RecordMetadata(topic: name, partition: 0, offset: 0, timestamp: 0), count: records.count)
        var waits: [(PartitionLog, Int64)] = []
        for (p, indices) in byPartition.enumerated() where !indices.isEmpty {
            let timestamps = indices.map { records[$0].timestamp ?? now }
            var batch = BatchFormat.encode(records, indices: indices, timestamps: timestamps)
            let log = t.partitions[p]
            let (base, needsSync) = try log.append(
                &batch, count: indices.count, maxTimestamp: timestamps.max() ?? now)
            for (k, i) in indices.enumerated() {
                metadata[i] = RecordMetadata(
                    topic: name, partition: Int32(p), offset: base + Int64(k), timestamp: timestamps[k])
            }
            if let committer {
                if needsSync { committer.markDirty(log) }
                waits.append((log, base + Int64(indices.count)))
            }
        }
        return PendingProduce(waits: waits, metadata: metadata)
    }

    // MARK: Fetch

    public func fetch(
        topic name: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int, maxWait: Duration
    ) async throws -> FetchResult {
        let p = try topic(name).partition(partition)
        let deadline = ContinuousClock.now + maxWait
        while true {
            let seen = signal.version
            let result = try p.read(from: offset, maxRecords: maxRecords, maxBytes: maxBytes)
            if !result.records.isEmpty || ContinuousClock.now >= deadline { return result }
            await signal.wait(seen: seen, timeout: deadline - ContinuousClock.now)
            if Task.isCancelled { return result }
        }
    }

    /// `fetch` without waiting, for callers that are not async (the fuzz targets).
    package func readNow(topic name: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int) throws -> FetchResult {
        try topic(name).partition(partition).read(from: offset, maxRecords: maxRecords, maxBytes: maxBytes)
    }

    /// `committedOffsets(group:)` without `async`, for the fuzz targets.
    package func committedOffsetsNow(group: String) throws -> [TopicPartition: Int64] {
        try checkOpen()
        try validateGroup(group)
        return try withGroup(group) { $0.committed }
    }

    /// Deletes old segments past retention in every partition now (it also runs on every
    /// segment roll and when the broker opens).
    public func enforceRetention() throws {
        for t in topics.withLock({ Array($0.values) }) {
            for p in t.partitions { try p.enforceRetention() }
        }
    }

    // MARK: Lifecycle

    public func close() async throws {
        let wasClosed = closed.withLock { c in
            defer { c = true }
            return c
        }
        if wasClosed { return }
        let all = topics.withLock { Array($0.values) }
        committer?.stop()
        for t in all {
            for p in t.partitions {
                p.sync()
                p.close()
            }
        }
        groups.withLock { g in
            for k in g.keys { g[k]?.members.removeAll() }
        }
        signal.notify()
        flock(lockFile.fd, LOCK_UN)
    }

    func nextMemberNumber() -> Int {
        memberSequence.withLock { n in
            n += 1
            return n
        }
    }

    func partitionCounts(_ names: some Sequence<String>) -> [String: Int32] {
        topics.withLock { map in
            var r: [String: Int32] = [:]
            for n in names { if let t = map[n] { r[n] = Int32(t.partitions.count) } }
            return r
        }
    }

    func writeGroupFile(_ group: String) throws {
        try groupFileLock.withLock { _ in
            let offsets = groups.withLock { $0[group]?.committed ?? [:] }
            let file = GroupFile(
                group: group,
                offsets: offsets.keys.sorted().map { GroupFile.Entry(topic: $0.topic, partition: $0.partition, offset: offsets[$0]!) })
            let data: Data
            do { data = try JSONEncoder().encode(file) } catch {
                throw LogError(.storageError, "cannot encode offsets of group '\(group)': \(error)")
            }
            try FS.atomicWrite(Array(data), to: groupsDirectory + "/\(group).json", sync: config.durability != .none)
        }
    }

    func loadGroupFile(_ group: String) throws -> [TopicPartition: Int64]? {
        let path = groupsDirectory + "/\(group).json"
        guard FS.exists(path) else { return nil }
        let bytes = try FS.readAll(path)
        do {
            let file = try JSONDecoder().decode(GroupFile.self, from: Data(bytes))
            var r: [TopicPartition: Int64] = [:]
            for (i, e) in file.offsets.enumerated() {
                // Read back from disk: an offset becomes a position (`offset + 1` after a
                // record, lag = end - offset), so it must be one this log can hand out.
                let problem: (String, String)? =
                    !Self.isValidName(e.topic)
                    ? ("topic", "topic '\(e.topic)' is not a valid topic name")
                    : e.partition < 0
                        ? ("partition", "partition \(e.partition) is negative")
                        : e.offset < 0 ? ("offset", "offset \(e.offset) is negative") : nil
                if let (field, message) = problem {
                    throw LogError(
                        .storageError, "committed offsets '\(path)' are invalid: entry \(i): \(message)",
                        context: ["path": path, "group": group, "field": field])
                }
                r[TopicPartition(e.topic, e.partition)] = e.offset
            }
            return r
        } catch let error as LogError {
            throw error
        } catch {
            throw LogError(
                .storageError, "cannot read committed offsets '\(path)': \(error)", context: ["path": path, "group": group])
        }
    }
}

struct GroupFile: Codable {
    struct Entry: Codable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }
    var group: String
    var offsets: [Entry]
}
