import FreshetAvro
import FreshetContracts
import FreshetCore
import Logging
import ServiceLifecycle
import Synchronization

/// `topic.format`: how `users_created` values are written.
public enum TopicFormat: String, Sendable, CaseIterable {
    /// One compact JSON object per person (the default).
    case json
    /// Avro binary in Confluent's wire format, with the schema in a schema registry.
    case avro
}

/// How the source writes and the processor reads `users_created` values.
public enum MessageFormat: Sendable {
    case json
    case avro(AvroUserCodec)

    public var topicFormat: TopicFormat {
        switch self {
        case .json: .json
        case .avro: .avro
        }
    }
}

/// `users_created` as Confluent-framed Avro (docs/pipeline.md, "Avro on the topic").
///
/// Producing: the writer schema (`UserCreatedAvro.schema`) is registered under `<topic>-value`
/// once, on first use; each message is then framed with its id.
///
/// Consuming: a batch's schema ids are looked up together before its records are decoded
/// (`writers(for:)`), each id once: a writer schema is fetched, parsed and resolved to the
/// reader schema the first time it is seen, then kept in a bounded cache (`cacheCapacity`), so
/// the hot path makes no registry call and parses no schema. While the registry is unreachable
/// (a transport error, an HTTP 5xx answer, refused credentials) the lookup is retried with
/// capped backoff and no record is dead-lettered; only a definitive answer — no such id (40403),
/// a schema that does not parse or does not resolve — sends records to the dead-letter topic.
public final class AvroUserCodec: Sendable {
    /// Settings of the codec.
    public struct Configuration: Sendable {
        /// Writer schemas (with their resolution to the reader schema) kept; the least recently
        /// used is dropped beyond it. Defaults to 1,000: ids are per schema version, and a topic
        /// rarely sees more than a few.
        public var cacheCapacity: Int = 1000
        /// Limits on one decoded record. Defaults to `AvroDecodingLimits()`.
        public var decodingLimits = AvroDecodingLimits()
        /// Limits on a writer schema from the registry. Defaults to `AvroSchemaLimits()`.
        public var schemaLimits = AvroSchemaLimits()
        /// First retry delay while the registry is unreachable; doubles up to `retryMax`.
        /// Defaults to 100 ms.
        public var retryBase: Duration = .milliseconds(100)
        /// Defaults to 5 s.
        public var retryMax: Duration = .seconds(5)
        /// Schema ids new to the processor (not cached) looked up for one batch. Defaults to 64:
        /// a producer does not change schemas 64 times between two polls, but a hostile one can
        /// write a different random id in every record; past the limit, records are
        /// dead-lettered as `unknown_schema_id` without a registry call.
        public var maxLookupsPerBatch: Int = 64

        public init() {}
    }

    /// A writer schema as the processor uses it: a decoder into the reader schema, or why its
    /// records cannot be read (dead-lettered with that rejection).
    public enum Writer: Sendable {
        case decoder(AvroDecoder)
        case failed(Rejection)
    }

    /// The writers of one batch's schema ids, for `decode(_:with:)`.
    public struct WriterTable: Sendable {
        var writers: [UInt32: Writer] = [:]
        public subscript(id: UInt32) -> Writer? { writers[id] }

        /// A table made by hand (tests, fuzzing); the processor's comes from `writers(for:)`.
        public init(_ writers: [UInt32: Writer] = [:]) {
            self.writers = writers
        }
    }

    public let registry: any SchemaRegistry
    /// The subject the source registers its schema under: `<topic>-value`.
    public let subject: String
    public let configuration: Configuration
    let logger: Logger
    let state: Mutex<State>

    struct State {
        var schemaID: UInt32?
        var cache: BoundedCache<UInt32, Writer>
    }

    public init(
        registry: any SchemaRegistry, topic: String = "users_created", configuration: Configuration = .init(),
        logger: Logger = Logger(label: "freshet.avro")
    ) {
        self.registry = registry
        self.subject = topic + "-value"
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(cache: BoundedCache(capacity: configuration.cacheCapacity)))
    }

    /// The schema the source registers and every writer schema is resolved to
    /// (`UserCreatedAvro.schemaJSON`).
    public static var readerSchemaJSON: String { UserCreatedAvro.schemaJSON }

    /// Writer schemas in the cache.
    public var cachedWriters: Int { state.withLock { $0.cache.count } }

    // MARK: Producing

    /// The id of `UserCreatedAvro.schema` under `subject`, registered on the first call (retried
    /// while the registry is unreachable). A refusal (e.g. 409: the subject's compatibility
    /// level refuses it) is thrown: the source cannot write.
    public func schemaID() async throws -> UInt32 {
        if let id = state.withLock({ $0.schemaID }) { return id }
        let id = try await retrying("register \(subject)") { [registry, subject] in
            try await registry.register(subject: subject, schema: UserCreatedAvro.schemaJSON)
        }
        state.withLock { $0.schemaID = id }
        logger.info("registered the users_created schema", metadata: ["subject": "\(subject)", "id": "\(id)"])
        return id
    }

    /// `message` framed with `schemaID`: magic byte 0, the id, the Avro binary datum.
    public static func frame(_ message: UserCreated, schemaID: UInt32, into out: inout [UInt8]) {
        out.append(ConfluentWireFormat.magicByte)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: schemaID >> UInt32(shift))) }
        UserCreatedAvro.encode(message, into: &out)
    }

    // MARK: Consuming

    /// The writers of every schema id in `values` (Confluent-framed; others are skipped): from
    /// the cache, else fetched from the registry, parsed and resolved once. Retries while the
    /// registry is unreachable; throws only when cancelled.
    public func writers(for values: some Sequence<[UInt8]>) async throws -> WriterTable {
        var ids = Set<UInt32>()
        for value in values {
            guard let (id, _) = try? ConfluentWireFormat.unframe(value) else { continue }
            ids.insert(id)
        }
        var table = WriterTable()
        var missing: [UInt32] = []
        state.withLock { state in
            for id in ids {
                if let writer = state.cache.get(id) { table.writers[id] = writer } else { missing.append(id) }
            }
        }
        for (n, id) in missing.sorted().enumerated() {
            guard n < configuration.maxLookupsPerBatch else {
                table.writers[id] = .failed(
                    Rejection(
                        .unknownSchemaID,
                        "schema id \(id) not looked up: more than \(configuration.maxLookupsPerBatch) schema ids new to the processor in one batch"))
                continue
            }
            table.writers[id] = try await fetchWriter(id)
        }
        return table
    }

    /// A table of writer schemas given as JSON, parsed and resolved as `writers(for:)` does
    /// (benchmarks, tests, fuzzing).
    public static func writerTable(_ schemas: [UInt32: String], limits: AvroDecodingLimits = AvroDecodingLimits()) -> WriterTable {
        var writers: [UInt32: Writer] = [:]
        for (id, text) in schemas { writers[id] = writer(id: id, schemaJSON: text, schemaLimits: AvroSchemaLimits(), decodingLimits: limits) }
        return WriterTable(writers)
    }

    /// The writer of schema `id` from its JSON: a decoder into `UserCreatedAvro.schema`, or the
    /// rejection of its records when it does not parse or resolve.
    static func writer(id: UInt32, schemaJSON text: String, schemaLimits: AvroSchemaLimits, decodingLimits: AvroDecodingLimits) -> Writer {
        do {
            let schema = try AvroSchema(parsing: text, limits: schemaLimits)
            return .decoder(try AvroDecoder(writer: schema, reader: UserCreatedAvro.schema, limits: decodingLimits))
        } catch let error as AvroSchemaError {
            return .failed(Rejection(.avroSchemaMismatch, "schema id \(id) does not parse: \(error)"))
        } catch {
            return .failed(Rejection(.avroSchemaMismatch, "schema id \(id) cannot be read as freshet.UserCreated: \(error)"))
        }
    }

    /// Decodes one framed value with the writers of its batch.
    public func decode(_ value: [UInt8], with table: WriterTable) -> Result<UserCreated, Rejection> {
        Self.decode(value, with: table)
    }

    /// Decodes one framed value with `table`: IO-free, the processor's hot path.
    public static func decode(_ value: [UInt8], with table: WriterTable) -> Result<UserCreated, Rejection> {
        let id: UInt32
        let payload: ArraySlice<UInt8>
        do {
            (id, payload) = try ConfluentWireFormat.unframe(value)
        } catch {
            return .failure(Rejection(.notAvro, error.description))
        }
        guard let writer = table[id] else {
            return .failure(Rejection(.unknownSchemaID, "schema id \(id) was not looked up for this batch"))
        }
        switch writer {
        case .failed(let rejection):
            return .failure(rejection)
        case .decoder(let decoder):
            do {
                let value = try decoder.decode(payload)
                guard let message = UserCreatedAvro.message(from: value) else {
                    return .failure(Rejection(.avroDecodeFailed, "schema id \(id): the datum is not a freshet.UserCreated"))
                }
                return .success(message)
            } catch {
                return .failure(Rejection(.avroDecodeFailed, "schema id \(id): \(error)"))
            }
        }
    }

    /// The writer of `id`: fetched, parsed and resolved, then cached — unless the registry
    /// does not know the id, which is not cached (the next batch asks again).
    func fetchWriter(_ id: UInt32) async throws -> Writer {
        let text: String
        do {
            text = try await retrying("fetch schema \(id)") { [registry] in try await registry.schema(id: id) }
        } catch let error as SchemaRegistryError {
            logger.warning("the schema registry has no such schema; its records are dead-lettered", metadata: ["id": "\(id)", "error": "\(error)"])
            return .failed(Rejection(.unknownSchemaID, "schema id \(id): \(error)"))
        }
        let writer = Self.writer(id: id, schemaJSON: text, schemaLimits: configuration.schemaLimits, decodingLimits: configuration.decodingLimits)
        if case .failed(let rejection) = writer {
            logger.warning("a writer schema cannot be read; its records are dead-lettered", metadata: ["id": "\(id)", "reason": "\(rejection.reason)"])
        }
        state.withLock { _ = $0.cache.put(id, writer) }
        return writer
    }

    /// Whether the registry's answer settles the question: a 4xx answer other than 401, 403
    /// (credentials: fixed by an operator, not by dropping records), 408 and 429.
    static func isDefinitive(_ error: SchemaRegistryError) -> Bool {
        (400..<500).contains(error.status) && ![401, 403, 408, 429].contains(error.status)
    }

    /// Runs `operation` until it succeeds or fails definitively (`isDefinitive`, thrown at
    /// once); any other failure (a transport error, a 5xx answer, bad credentials) is retried
    /// with capped exponential backoff until the task is cancelled.
    func retrying<T: Sendable>(_ what: String, _ operation: @Sendable () async throws -> T) async throws -> T {
        var delay = configuration.retryBase
        while true {
            do {
                return try await operation()
            } catch let error as SchemaRegistryError where Self.isDefinitive(error) {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // A shutdown does not wait for the registry: nothing of the batch is committed.
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                logger.error("the schema registry is unreachable; retrying", metadata: ["operation": "\(what)", "error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.retryMax)
            }
        }
    }
}

/// A dictionary that keeps at most `capacity` entries, dropping the least recently used.
struct BoundedCache<Key: Hashable, Value> {
    let capacity: Int
    private var entries: [Key: (value: Value, used: UInt64)] = [:]
    private var tick: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    mutating func get(_ key: Key) -> Value? {
        guard let entry = entries[key] else { return nil }
        tick &+= 1
        entries[key] = (entry.value, tick)
        return entry.value
    }

    /// Stores `value`; returns the key dropped to make room, if any.
    mutating func put(_ key: Key, _ value: Value) -> Key? {
        tick &+= 1
        var evicted: Key?
        if entries[key] == nil, entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
            evicted = oldest
        }
        entries[key] = (value, tick)
        return evicted
    }
}

extension BoundedCache: Sendable where Key: Sendable, Value: Sendable {}
