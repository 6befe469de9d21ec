import Foundation
import FreshetApp
import FreshetAvro
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetStore
import FreshetStream
import FreshetTesting
import Logging
import Testing

/// `users_created` as Confluent-framed Avro (docs/pipeline.md, "Avro on the topic"): the source
/// registers and frames, the processor looks writer schemas up once and resolves them to
/// `freshet.UserCreated`, readers show records as JSON.
@Suite("Avro on the topic")
struct AvroTopicTests {
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }

    static func codec(_ registry: MemorySchemaRegistry, configure: (inout AvroUserCodec.Configuration) -> Void = { _ in }) -> AvroUserCodec {
        var configuration = AvroUserCodec.Configuration()
        configuration.retryBase = .milliseconds(1)
        configuration.retryMax = .milliseconds(20)
        configure(&configuration)
        return AvroUserCodec(registry: registry, configuration: configuration, logger: quiet("test.avro"))
    }

    static func framed(_ message: UserCreated, id: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        AvroUserCodec.frame(message, schemaID: id, into: &out)
        return out
    }

    /// A producer's schema that added optional fields with defaults and reordered the others.
    static let evolvedSchemaJSON =
        #"{"type":"record","name":"UserCreated","namespace":"freshet","fields":[{"name":"nat","type":["null","string"],"default":null},{"name":"middle_name","type":["null","string"],"default":null},"#
        + UserCreated.seedKeys.reversed().map { #"{"name":"\#($0)","type":"string"}"# }.joined(separator: ",") + "]}"

    static func evolvedValue(_ m: UserCreated, schema: AvroSchema) throws -> [UInt8] {
        let strings: [String: String] = [
            "id": m.id, "first_name": m.firstName, "last_name": m.lastName, "gender": m.gender, "address": m.address,
            "post_code": m.postCode, "email": m.email, "username": m.username, "dob": m.dob, "registered_date": m.registeredDate,
            "phone": m.phone, "picture": m.picture,
        ]
        var fields: [AvroValue.Field] = [
            .init("nat", m.nat.map { .union(branch: 1, .string($0)) } ?? .union(branch: 0, .null)),
            .init("middle_name", .union(branch: 1, .string("Anne"))),
        ]
        for key in UserCreated.seedKeys.reversed() { fields.append(.init(key, .string(strings[key]!))) }
        return try AvroEncoder().encode(.record(fields), as: schema)
    }

    // MARK: The pipeline

    /// One bounded `freshet up`-style run (source → embedded log → processor → SQLite).
    static func run(
        format: TopicFormat, seed: String, count: Int, registry: MemorySchemaRegistry?
    ) async throws -> (
        dir: String, metrics: PipelineMetrics.Snapshot
    ) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-avro-\(UUID().uuidString)").path
        var config = PipelineConfiguration()
        try config.set("data_dir", to: dir, origin: "test")
        try config.set("source.count", to: String(count), origin: "test")
        try config.set("source.rate", to: "1000000", origin: "test")
        try config.set("source.seed", to: seed, origin: "test")
        try config.set("processor.max_batch_records", to: "300", origin: "test")
        try config.set("log.durability", to: "none", origin: "test")
        try config.set("topic.format", to: format.rawValue, origin: "test")
        let pipeline = try await Pipeline.open(config, schemaRegistry: registry, logger: quiet("test.pipeline"))
        try await pipeline.run(handleSignals: false)
        return (dir, pipeline.metrics.snapshot)
    }

    static func rate(_ count: Int, _ d: Duration) -> Int {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(count) / seconds) : 0
    }

    @Test func avroPipelineStoresTheSameRowsAndCountsAsJSON() async throws {
        let count = 2_000
        let registry = MemorySchemaRegistry()
        let clock = ContinuousClock()
        var jsonRun: (dir: String, metrics: PipelineMetrics.Snapshot)?
        var avroRun: (dir: String, metrics: PipelineMetrics.Snapshot)?
        let jsonTime = try await clock.measure { jsonRun = try await Self.run(format: .json, seed: "avro-vs-json", count: count, registry: nil) }
        let avroTime = try await clock.measure { avroRun = try await Self.run(format: .avro, seed: "avro-vs-json", count: count, registry: registry) }
        // Numbers, not an assertion (a debug build on a shared machine): source → log →
        // processor → SQLite, the same people in each format.
        print("avro-vs-json: \(count) records end to end: json \(Self.rate(count, jsonTime)) records/s, avro \(Self.rate(count, avroTime)) records/s")
        let (json, avro) = (try #require(jsonRun), try #require(avroRun))
        defer {
            try? FileManager.default.removeItem(atPath: json.dir)
            try? FileManager.default.removeItem(atPath: avro.dir)
        }
        #expect(json.metrics.stored == count && avro.metrics.stored == count)
        #expect(avro.metrics.totalDeadLettered == 0)
        // One registration by the source, one lookup by the processor: none per record.
        #expect(await registry.registerCalls == 1)
        #expect(await registry.lookupCalls == 1)
        #expect(await registry.versions(of: "users_created-value").count == 1)

        let fromJSON = try await Dashboard.read(json.dir + "/store/freshet.sqlite", count: count)
        let fromAvro = try await Dashboard.read(avro.dir + "/store/freshet.sqlite", count: count)
        #expect(fromJSON.total == count)
        #expect(fromAvro == fromJSON)
        // The log holds Confluent-framed values of the registered id.
        try await withTempBrokerAt(avro.dir) { broker in
            let fetched = try await broker.fetch(topic: "users_created", partition: 0, offset: 0, maxRecords: 5, maxBytes: 1 << 20, maxWait: .zero)
            #expect(!fetched.records.isEmpty)
            for record in fetched.records {
                #expect(try ConfluentWireFormat.unframe(record.value).schemaID == 1)
            }
        }
    }

    @Test func avroWithoutARegistryIsAConfigurationError() async throws {
        var config = PipelineConfiguration()
        try config.set("topic.format", to: "avro", origin: "test")
        #expect(config.topic.format == .avro)
        do {
            _ = try await Pipeline.open(config, logger: Self.quiet("test.pipeline"))
            Issue.record("opened an Avro pipeline without a registry")
        } catch let error as ConfigurationError {
            #expect(error.key == "topic.format")
            #expect(error.message == "topic.format avro needs a schema registry")
        }
        do throws(ConfigurationError) {
            var bad = PipelineConfiguration()
            try bad.set("topic.format", to: "protobuf", origin: "--format")
            Issue.record("topic.format protobuf accepted")
        } catch {
            #expect(error.key == "topic.format" && error.message.contains("json, avro"))
        }
        // A registry made on the pipeline's broker once it is open (one kept in the log).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-avro-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try config.set("data_dir", to: dir, origin: "test")
        try config.set("source.count", to: "50", origin: "test")
        try config.set("log.durability", to: "none", origin: "test")
        let registry = MemorySchemaRegistry()
        let pipeline = try await Pipeline.open(
            config,
            makeSchemaRegistry: { broker in
                #expect(broker is EmbeddedBroker)
                return registry
            }, logger: Self.quiet("test.pipeline"))
        #expect(pipeline.schemaRegistry != nil)
        try await pipeline.run(handleSignals: false)
        #expect(pipeline.metrics.snapshot.stored == 50)
        #expect(await registry.registerCalls == 1)

        #expect(PipelineConfiguration().topic.format == .json)
        #expect(PipelineConfiguration().yaml().contains("topic:\n  format: json"))
    }

    // MARK: The processor

    @Test func deadLettersEveryAvroReasonAndStoresTheRest() async throws {
        let registry = MemorySchemaRegistry()
        let codec = Self.codec(registry)
        let id = try await codec.schemaID()
        let unresolvable = try await registry.register(
            subject: "other-value", schema: #"{"type":"record","name":"UserCreated","namespace":"freshet","fields":[{"name":"id","type":"string"}]}"#)
        let unparsable = try await registry.register(subject: "other-value", schema: #"{"type":"record","name":"Broken"}"#)
        let good = people(50, seed: "avro-dead")
        var badEmail = good[0]
        badEmail.email = "nobody"
        let truncated = Array(Self.framed(good[1], id: id).dropLast(3))
        let bad: [([UInt8], String)] = [
            (good[2].jsonBytes(), "not_avro"),
            ([0, 0, 0], "not_avro"),
            ([], "not_avro"),
            (Self.framed(good[3], id: 999), "unknown_schema_id"),
            (truncated, "avro_decode_failed"),
            (Self.framed(good[4], id: id) + [0x00], "avro_decode_failed"),
            ([0, 0, 0, 0, UInt8(id), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "avro_decode_failed"),
            (Self.framed(good[5], id: unresolvable), "avro_schema_mismatch"),
            (Self.framed(good[6], id: unparsable), "avro_schema_mismatch"),
            (Self.framed(badEmail, id: id), "bad_email"),
        ]
        let kept = Array(good[7...])
        try await withTempBroker { broker in
            try await produce(broker, kept.map { Self.framed($0, id: id) } + bad.map(\.0))
            let sink = MemorySink()
            let metrics = try await drain(broker, sink) {
                $0.format = .avro(codec)
                $0.maxBatchRecords = 7
            }
            #expect(sink.snapshot.rows.count == kept.count)
            #expect(Set(sink.snapshot.rows.keys) == Set(kept.map(\.id)))
            let dead = try await deadLetters(broker)
            #expect(dead.map(\.code).sorted() == bad.map(\.1).sorted())
            #expect(metrics.snapshot.totalDeadLettered == bad.count)
            let reasons = Dictionary(grouping: dead, by: \.code)
            #expect(reasons["unknown_schema_id"]?.first?.reason.contains("40403") == true)
            #expect(reasons["avro_decode_failed"]?.contains { $0.reason.contains("truncated") || $0.reason.contains("length_past_end") } == true)
            #expect(reasons["avro_schema_mismatch"]?.contains { $0.reason.contains("does not parse") } == true)
            #expect(reasons["avro_schema_mismatch"]?.contains { $0.reason.contains("cannot be read as freshet.UserCreated") } == true)
            // The original bytes are kept.
            #expect(dead.contains { $0.value == truncated })
        }
    }

    @Test func aProducerWithAnEvolvedSchemaFlows() async throws {
        let registry = MemorySchemaRegistry()
        let codec = Self.codec(registry)
        let evolvedID = try await registry.register(subject: "users_created-value", schema: Self.evolvedSchemaJSON)
        let evolved = try AvroSchema(parsing: Self.evolvedSchemaJSON)
        let messages = people(40, seed: "avro-evolved")
        try await withTempBroker { jsonBroker in
            try await withTempBroker { avroBroker in
                try await produce(jsonBroker, messages.map { $0.jsonBytes() })
                var values: [[UInt8]] = []
                for m in messages {
                    values.append(ConfluentWireFormat.frame(schemaID: evolvedID, payload: try Self.evolvedValue(m, schema: evolved)))
                }
                try await produce(avroBroker, values)
                let fromJSON = MemorySink()
                let fromAvro = MemorySink()
                try await drain(jsonBroker, fromJSON)
                try await drain(avroBroker, fromAvro) { $0.format = .avro(codec) }
                #expect(try await deadLetters(avroBroker).isEmpty)
                #expect(fromAvro.snapshot.rows.count == messages.count)
                func strip(_ rows: [String: CreatedUserRow]) -> [String: CreatedUserRow] {
                    rows.mapValues {
                        var row = $0
                        row.ingestedAt = 0
                        return row
                    }
                }
                #expect(strip(fromAvro.snapshot.rows) == strip(fromJSON.snapshot.rows))
            }
        }
    }

    @Test func anUnreachableRegistryHoldsRecordsInsteadOfDeadLetteringThem() async throws {
        let registry = MemorySchemaRegistry()
        let codec = Self.codec(registry)
        let id = try await registry.register(subject: "users_created-value", schema: UserCreatedAvro.schemaJSON)
        await registry.setReachable(false)
        let messages = people(30, seed: "avro-down")
        try await withTempBroker { broker in
            try await produce(broker, messages.map { Self.framed($0, id: id) })
            let sink = MemorySink()
            let processing = Task { try await drain(broker, sink) { $0.format = .avro(codec) } }
            // It asks, and asks again: the registry is down, not the records bad.
            try await eventually("the processor retried the lookup") { await registry.lookupCalls >= 3 }
            #expect(sink.snapshot.rows.isEmpty)
            #expect(try await deadLetters(broker).isEmpty)
            await registry.setReachable(true)
            let metrics = try await processing.value
            #expect(sink.snapshot.rows.count == messages.count)
            #expect(metrics.snapshot.totalDeadLettered == 0)
            #expect(try await deadLetters(broker).isEmpty)
        }
    }

    @Test func writerSchemasAreLookedUpOnceAndTheCacheIsBounded() async throws {
        let registry = MemorySchemaRegistry()
        let codec = Self.codec(registry) { $0.cacheCapacity = 2 }
        var ids: [UInt32] = [try await codec.schemaID()]
        for extra in ["a", "b"] {
            let text = UserCreatedAvro.schemaJSON.replacingOccurrences(of: #""fields":["#, with: #""fields":[{"name":"\#(extra)","type":"int","default":0},"#)
            ids.append(try await registry.register(subject: "users_created-value", schema: text))
        }
        #expect(Set(ids).count == 3)
        let messages = people(600, seed: "avro-cache")
        try await withTempBroker { broker in
            // Ids 1 and the two others take turns, every batch holding each; schemas "a" and "b"
            // have an int first: write those values by hand.
            var values: [[UInt8]] = []
            for (i, m) in messages.enumerated() {
                let id = ids[i % 3]
                if id == ids[0] {
                    values.append(Self.framed(m, id: id))
                } else {
                    values.append(ConfluentWireFormat.frame(schemaID: id, payload: [0x02] + UserCreatedAvro.encode(m)))
                }
            }
            try await produce(broker, values)
            let sink = MemorySink()
            try await drain(broker, sink) {
                $0.format = .avro(codec)
                $0.maxBatchRecords = 100
            }
            #expect(sink.snapshot.rows.count == messages.count)
            #expect(codec.cachedWriters == 2)
            // Three ids, a cache of two: at most one lookup per id per batch, never per record.
            #expect(await registry.lookupCalls <= 3 * (messages.count / 100 + 1))
        }
    }

    @Test func randomIDsCostABoundedNumberOfLookupsPerBatch() async throws {
        let registry = MemorySchemaRegistry()
        let codec = Self.codec(registry) { $0.maxLookupsPerBatch = 3 }
        let messages = people(20, seed: "avro-random-ids")
        try await withTempBroker { broker in
            try await produce(broker, messages.enumerated().map { i, m in Self.framed(m, id: 1000 + UInt32(i)) })
            let sink = MemorySink()
            try await drain(broker, sink) { $0.format = .avro(codec) }
            let dead = try await deadLetters(broker)
            #expect(dead.count == messages.count && dead.allSatisfy { $0.code == "unknown_schema_id" })
            #expect(dead.filter { $0.reason.contains("not looked up") }.count > 0)
            // At most 3 per poll (the 20 records come in at most 3 polls, one per partition).
            #expect(await registry.lookupCalls <= 9)
            #expect(sink.snapshot.rows.isEmpty)
        }
    }

    @Test func fastavroBytesDecodeAsTheProcessorReadsThem() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../FreshetAvroTests/Golden/users_created.json")
        guard case .object(let golden)? = try? JSONParser.parse(Array(try Data(contentsOf: url))) else {
            Issue.record("cannot read \(url.path)")
            return
        }
        let cases = (golden["cases"]?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(cases.count >= 4)
        var writers: [UInt32: AvroUserCodec.Writer] = [:]
        for entry in cases {
            let id = UInt32(try #require(entry["schema_id"]?.intValue))
            let writer = try AvroSchema(parsing: try #require(entry["writer"]?.stringValue))
            writers[id] = .decoder(try AvroDecoder(writer: writer, reader: UserCreatedAvro.schema))
        }
        let table = AvroUserCodec.WriterTable(writers)
        for entry in cases {
            let framed = hexBytes(try #require(entry["framed"]?.stringValue))
            let expected = try UserCreated.decode(try #require(entry["read"]))
            #expect(try AvroUserCodec.decode(framed, with: table).get() == expected, "\(entry["name"]?.stringValue ?? "")")
        }
    }

    // MARK: Readers

    @Test func readersShowAvroAsTheJSONOfTheSamePerson() async throws {
        let registry = MemorySchemaRegistry()
        let id = try await registry.register(subject: "users_created-value", schema: UserCreatedAvro.schemaJSON)
        let view = AvroRecordView(registry: registry)
        let person = people(1, seed: "avro-view")[0]
        #expect(await view.show(Self.framed(person, id: id)) == .avro(schemaID: id, json: person.jsonBytes()))
        #expect(await view.show(person.jsonBytes()) == .raw)
        guard case .undecodable(999, let reason) = await view.show(Self.framed(person, id: 999)) else {
            Issue.record("an unknown id is not undecodable")
            return
        }
        #expect(reason.contains("40403"))
        guard case .undecodable(id, _) = await view.show(Array(Self.framed(person, id: id).dropLast())) else {
            Issue.record("a truncated value is not undecodable")
            return
        }
        guard case .undecodable(_, let none) = await AvroRecordView(registry: nil).show(Self.framed(person, id: id)) else {
            Issue.record("no registry, yet decoded")
            return
        }
        #expect(none.contains("no schema registry"))
        // The schema was fetched once for all of that.
        #expect(await registry.lookupCalls == 2)
        // A few bytes that stand for a large value are not shown whole.
        let nulls = try await registry.register(subject: "nulls-value", schema: #"{"type":"array","items":"null"}"#)
        let small = AvroRecordView(registry: registry, maxJSONBytes: 1000)
        guard case .undecodable(nulls, let big) = await small.show(ConfluentWireFormat.frame(schemaID: nulls, payload: [0x80, 0x7D, 0x00])) else {
            Issue.record("8,000 nulls shown in 1,000 bytes")
            return
        }
        #expect(big.contains("more than a reader shows"))
        guard case .undecodable(nulls, let many) = await view.show(ConfluentWireFormat.frame(schemaID: nulls, payload: [0xFE, 0xFF, 0x7F, 0x00])) else {
            Issue.record("a million nulls shown")
            return
        }
        #expect(many.contains("too_many_items"), "\(many)")
        let one = person.jsonBytes().count
        let paged = AvroRecordView(registry: registry, maxJSONBytes: 2 * one, maxPageJSONBytes: one + one / 2)
        let shownPage = await paged.show(Array(repeating: Self.framed(person, id: id), count: 3))
        #expect(shownPage.filter { if case .avro = $0 { true } else { false } }.count == 1)
        let lookups = await registry.lookupCalls

        // A page of records with an id the registry lacks asks for it once.
        let page = await view.show(Array(repeating: Self.framed(person, id: 777), count: 5) + [person.jsonBytes()])
        #expect(page.count == 6 && page.last == .raw)
        #expect(await registry.lookupCalls == lookups + 1)
    }
}

/// What the dashboard shows of a store, and its rows but for when each entered the log.
struct Dashboard: Equatable {
    var total: Int
    var genders: [LabeledCount]
    var countries: [LabeledCount]
    var months: [LabeledCount]
    var domains: [LabeledCount]
    var windowTotal: Int
    var rows: [CreatedUserRow]

    static func read(_ path: String, count: Int) async throws -> Dashboard {
        try await SQLiteStore.withStore(.init(path: path, readOnly: true)) { store in
            Dashboard(
                total: try await store.totalUsers(), genders: try await store.countsByGender(), countries: try await store.topCountries(limit: 1000),
                months: try await store.registrationsPerMonth(), domains: try await store.topEmailDomains(limit: 1000),
                windowTotal: try await store.windowCounts(dimension: "total", since: 0).map(\.count).reduce(0, +),
                rows: try await store.users(limit: count + 1, after: nil).map {
                    var row = $0
                    row.ingestedAt = 0
                    return row
                })
        }
    }
}

func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) ?? 0)
    }
    return bytes
}

/// The embedded log of a pipeline's data directory, for reading after the run.
func withTempBrokerAt<R: Sendable>(_ dir: String, _ body: (EmbeddedBroker) async throws -> R) async throws -> R {
    var config = EmbeddedBrokerConfig(dataDirectory: dir, durability: .none)
    var logger = Logger(label: "test.log")
    logger.logLevel = .critical
    config.logger = logger
    return try await EmbeddedBroker.withBroker(config, body)
}
