import FreshetAvro
import FreshetContracts
import FreshetCore
import FreshetRegistry
import Logging
import ServiceLifecycle
import Synchronization

/// The schema registry Freshet serves: a `RegistryState` kept in the log's `_schemas` topic
/// (one partition, never pruned) through the `Broker` contract, so it works on the embedded log
/// and on a Kafka cluster, where several Freshet processes share it (docs/schema-registry.md).
///
/// `run()` (a ServiceLifecycle service) reads the topic to its end (then the registry is ready)
/// and follows it. A write plans its record against the state, appends it, waits until the
/// reader has applied it, and answers from the state: ids come from the log, so they are the
/// same in every process reading it and after a restart. Two processes that planned the same
/// new id or version at once are settled by `RegistryState.apply`'s rules; the one whose record
/// was ignored plans again on the state that now has the other's.
public final class LogSchemaRegistry: SchemaRegistry, Service, Sendable {
    /// The topic the registry lives in (Confluent's name).
    public static let topic = "_schemas"

    public struct Configuration: Sendable {
        public var limits: RegistryLimits
        /// How long a write waits for its record to come back from the log. Defaults to 30 s.
        public var writeTimeout: Duration
        /// Attempts of a registration that loses races to other writers. Defaults to 16.
        public var maxWriteAttempts: Int
        /// How long the reader waits for new records in one fetch. Defaults to 500 ms.
        public var pollWait: Duration

        public init(
            limits: RegistryLimits = RegistryLimits(), writeTimeout: Duration = .seconds(30), maxWriteAttempts: Int = 16,
            pollWait: Duration = .milliseconds(500)
        ) {
            self.limits = limits
            self.writeTimeout = writeTimeout
            self.maxWriteAttempts = maxWriteAttempts
            self.pollWait = pollWait
        }
    }

    private enum Condition {
        case ready
        case applied(Int64)
    }

    private struct Waiter {
        let id: UInt64
        let condition: Condition
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Shared {
        var state: RegistryState
        /// The next offset of `_schemas` to apply.
        var nextOffset: Int64 = 0
        /// The end of the topic when the reader started: ready once applied up to it.
        var readyOffset: Int64?
        var waiters: [Waiter] = []
        var cancelled: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
        /// Why the reader stopped; later waits fail with it.
        var stopped: (any Error)?

        func satisfied(_ condition: Condition) -> Bool {
            switch condition {
            case .ready: readyOffset.map { nextOffset >= $0 } ?? false
            case .applied(let offset): readyOffset != nil && nextOffset > offset
            }
        }
    }

    public let broker: any Broker
    public let configuration: Configuration
    let logger: Logger
    private let shared: Mutex<Shared>

    public init(broker: any Broker, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "freshet.registry")) {
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
        shared = Mutex(Shared(state: RegistryState(limits: configuration.limits)))
    }

    // MARK: The reader

    /// Creates `_schemas` when missing, reads it to its end, then follows it until cancelled or
    /// a graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.follow()
            }
        } catch {
            stop(error is CancellationError ? SchemaRegistryError(status: 500, code: SchemaRegistryError.storeError, message: "the registry stopped") : error)
            if error is CancellationError { return }
            throw error
        }
        stop(SchemaRegistryError(status: 500, code: SchemaRegistryError.storeError, message: "the registry stopped"))
    }

    private func follow() async throws {
        try await Self.createTopic(on: broker, limits: configuration.limits)
        let end = try await broker.describeTopic(Self.topic).partitions.first?.latestOffset ?? 0
        settle { $0.readyOffset = end }
        var offset: Int64 = 0
        while !Task.isCancelled {
            let result = try await broker.fetch(
                topic: Self.topic, partition: 0, offset: offset, maxRecords: 500, maxBytes: configuration.limits.reading.maxRecordBytes,
                maxWait: configuration.pollWait)
            var records: [(Int64, RegistryRecord)] = []
            for message in result.records {
                do {
                    records.append((message.offset, try RegistryRecord.decode(message.value, limits: configuration.limits.reading)))
                } catch {
                    logger.warning("skipping a _schemas record that is not a registry record", metadata: ["offset": "\(message.offset)", "error": "\(error)"])
                }
            }
            let next = max(result.nextOffset, offset)
            settle { shared in
                for (recordOffset, record) in records {
                    if case .ignored(let why) = shared.state.apply(record) {
                        logger.debug("_schemas record not applied", metadata: ["offset": "\(recordOffset)", "why": "\(why)"])
                    }
                }
                shared.nextOffset = next
            }
            offset = next
        }
    }

    /// Creates `_schemas` (one partition, nothing ever pruned) unless it exists.
    public static func createTopic(on broker: any Broker, limits: RegistryLimits = RegistryLimits()) async throws {
        guard try await !broker.listTopics().contains(topic) else { return }
        do {
            try await broker.createTopic(
                topic, config: TopicConfig(partitions: 1, retentionBytes: nil, retentionMs: nil, maxRecordBytes: min(limits.reading.maxRecordBytes, 1 << 30)))
        } catch let error as LogError where error.code == .topicAlreadyExists {
            // Another process created it meanwhile.
        }
    }

    /// Changes the shared state, then resumes the waits it satisfies.
    private func settle(_ change: (inout Shared) -> Void) {
        let resumed: [Waiter] = shared.withLock { shared in
            change(&shared)
            var done: [Waiter] = []
            var waiting: [Waiter] = []
            for waiter in shared.waiters {
                if shared.satisfied(waiter.condition) { done.append(waiter) } else { waiting.append(waiter) }
            }
            shared.waiters = waiting
            return done
        }
        for waiter in resumed { waiter.continuation.resume() }
    }

    private func stop(_ error: any Error) {
        let waiters: [Waiter] = shared.withLock { shared in
            shared.stopped = error
            defer { shared.waiters = [] }
            return shared.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
    }

    private func wait(for condition: Condition) async throws {
        let id = shared.withLock { shared in
            shared.nextWaiterID += 1
            return shared.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = shared.withLock { shared in
                    if shared.satisfied(condition) { return .success(()) }
                    if let stopped = shared.stopped { return .failure(stopped) }
                    if shared.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    shared.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiter: Waiter? = shared.withLock { shared in
                if let index = shared.waiters.firstIndex(where: { $0.id == id }) { return shared.waiters.remove(at: index) }
                shared.cancelled.insert(id)
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits for `condition`, at most `writeTimeout`.
    private func waitBounded(for condition: Condition) async throws {
        let timeout = configuration.writeTimeout
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.wait(for: condition)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw SchemaRegistryError(
                    status: 500, code: 50002, message: "the registry's log did not answer within \(timeout) (is the _schemas reader running?)")
            }
        }
    }

    // MARK: Reading and writing

    /// Waits until the reader has read `_schemas` to the end it had when it started.
    public func waitUntilReady() async throws {
        try await waitBounded(for: .ready)
    }

    /// Reads the state once the registry is ready.
    public func read<T>(_ body: (RegistryState) throws(SchemaRegistryError) -> T) async throws -> T {
        try await waitUntilReady()
        return try shared.withLock { shared throws(SchemaRegistryError) in try body(shared.state) }
    }

    /// Applies the log up to its current end: what other processes wrote until now is seen.
    public func catchUp() async throws {
        try await waitUntilReady()
        let end = try await broker.describeTopic(Self.topic).partitions.first?.latestOffset ?? 0
        if end > 0 { try await waitBounded(for: .applied(end - 1)) }
    }

    /// Appends `record` and waits until it is applied.
    private func append(_ record: RegistryRecord) async throws {
        let metadata = try await broker.produce(
            topic: Self.topic, records: [ProducerRecord(key: record.subject.map { Array($0.utf8) }, value: record.encoded(), partition: 0)])
        guard let offset = metadata.first?.offset else {
            throw SchemaRegistryError(status: 500, code: SchemaRegistryError.storeError, message: "the log did not say where the record landed")
        }
        try await waitBounded(for: .applied(offset))
    }

    /// Registers `schema` under `subject` (or finds it there): Confluent's `POST /subjects/{s}/versions`.
    public func registerSchema(subject: String, schema: String) async throws -> RegistryState.Registered {
        try await waitUntilReady()
        for _ in 0..<max(1, configuration.maxWriteAttempts) {
            let plan = try shared.withLock { shared throws(SchemaRegistryError) in try shared.state.planRegister(subject: subject, schema: schema) }
            switch plan {
            case .existing(let registered):
                return registered
            case .write(let record):
                try await append(record)
                if let registered = shared.withLock({ $0.state.registered(record) }) {
                    return registered
                }
                // Another writer took the id or the version first: plan again on the state with its record.
                logger.debug("registration lost a race; planning again", metadata: ["subject": "\(subject)"])
            }
        }
        throw SchemaRegistryError(
            status: 500, code: SchemaRegistryError.storeError,
            message: "registering under \(subject) lost \(configuration.maxWriteAttempts) races to other writers; try again")
    }

    /// Soft- or hard-deletes one version; returns its number.
    public func deleteVersion(_ spec: RegistryState.VersionSpec, of subject: String, permanent: Bool) async throws -> Int {
        try await waitUntilReady()
        let (record, version) = try shared.withLock { shared throws(SchemaRegistryError) in
            try shared.state.planDeleteVersion(spec, of: subject, permanent: permanent)
        }
        try await append(record)
        return version
    }

    /// Soft- or hard-deletes a subject; returns the versions deleted.
    public func deleteSubject(_ subject: String, permanent: Bool) async throws -> [Int] {
        try await waitUntilReady()
        let (record, versions) = try shared.withLock { shared throws(SchemaRegistryError) in
            try shared.state.planDeleteSubject(subject, permanent: permanent)
        }
        try await append(record)
        return versions
    }

    /// Sets (nil: removes) the compatibility level of `subject`, or the global one.
    public func setCompatibility(_ level: AvroCompatibilityLevel?, subject: String?) async throws {
        try await waitUntilReady()
        try await append(.config(subject: subject, compatibility: level))
    }

    // MARK: SchemaRegistry

    public func register(subject: String, schema: String) async throws -> UInt32 {
        try await registerSchema(subject: subject, schema: schema).id
    }

    /// The schema with global id `id`; when this process has not seen it, reads what other
    /// processes have written to `_schemas` since, then looks again.
    public func schema(id: UInt32) async throws -> String {
        if let text = try await read({ $0.schemas[id]?.text }) { return text }
        try await catchUp()
        return try await read { state throws(SchemaRegistryError) in try state.schema(id: id).text }
    }
}
