import Foundation
import FreshetAvro
import FreshetContracts
import FreshetKafka
import FreshetLog
import FreshetRegistry
import FreshetRegistryServer
import FreshetTesting
import Logging
import Testing

/// A fresh directory under the temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "freshet-registry-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Runs the registries' readers while `body` runs, then stops them.
func withRunning<T>(_ registries: [LogSchemaRegistry], _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for registry in registries { group.addTask { try await registry.run() } }
        defer { group.cancelAll() }
        return try await body()
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "freshet.registry.test")
    logger.logLevel = .warning
    return logger
}()

@Suite("Registry on the log")
struct LogSchemaRegistryTests {
    @Test func restartKeepsIDs() async throws {
        try await withTemporaryDirectory { directory in
            var config = EmbeddedBrokerConfig(dataDirectory: directory)
            config.logger = quietLogger
            let (first, second): (UInt32, UInt32)
            do {
                let broker = try EmbeddedBroker(config)
                let registry = LogSchemaRegistry(broker: broker, logger: quietLogger)
                (first, second) = try await withRunning([registry]) {
                    let a = try await registry.register(subject: "other-value", schema: Schemas.other)
                    let b = try await registry.register(subject: "users_created-value", schema: Schemas.user)
                    try await registry.setCompatibility(.full, subject: "users_created-value")
                    _ = try await registry.deleteVersion(.number(1), of: "other-value", permanent: false)
                    return (a, b)
                }
                try await broker.close()
            }
            let broker = try EmbeddedBroker(config)
            let registry = LogSchemaRegistry(broker: broker, logger: quietLogger)
            try await withRunning([registry]) { () async throws in
                #expect(try await registry.schema(id: first) == Schemas.other)
                #expect(try await registry.schema(id: second) == Schemas.user)
                #expect(try await registry.register(subject: "users_created-value", schema: Schemas.user) == second)
                #expect(try await registry.read { $0.compatibility(of: "users_created-value") } == .full)
                #expect(try await registry.read { $0.subjectNames() } == ["users_created-value"])
                // The next new schema gets the next id.
                #expect(try await registry.register(subject: "third", schema: Schemas.userAgeString) == 3)
            }
            try await broker.close()
        }
    }

    @Test func errorsComeFromTheState() async throws {
        try await withTemporaryDirectory { directory in
            let broker = try EmbeddedBroker(EmbeddedBrokerConfig(dataDirectory: directory))
            let registry = LogSchemaRegistry(broker: broker, logger: quietLogger)
            try await withRunning([registry]) {
                _ = try await registry.register(subject: "s", schema: Schemas.user)
                let incompatible = await #expect(throws: SchemaRegistryError.self) {
                    _ = try await registry.register(subject: "s", schema: Schemas.userAgeString)
                }
                #expect(incompatible?.code == 409 && incompatible?.status == 409)
                let missing = await #expect(throws: SchemaRegistryError.self) { _ = try await registry.schema(id: 42) }
                #expect(missing?.code == 40403)
                let invalid = await #expect(throws: SchemaRegistryError.self) { _ = try await registry.register(subject: "s", schema: "{") }
                #expect(invalid?.code == 42201)
            }
            try await broker.close()
        }
    }

    /// Two registries over one broker, as two processes on one Kafka cluster: registrations
    /// racing for the same next id and version settle on one answer everywhere.
    @Test func twoRegistriesOnOneBrokerAgree() async throws {
        try await withTemporaryDirectory { directory in
            let broker = try EmbeddedBroker(EmbeddedBrokerConfig(dataDirectory: directory))
            let a = LogSchemaRegistry(broker: broker, logger: quietLogger)
            let b = LogSchemaRegistry(broker: broker, logger: quietLogger)
            try await withRunning([a, b]) {
                try await Self.race(a, b)
            }
            try await broker.close()
        }
    }

    @Test func twoKafkaClientsOnTansuAgree() async throws {
        try await TansuBroker.with { tansu in
            // Each client runs (its producer's and consumers' background work) while it is used.
            let configuration = try KafkaClientConfiguration(url: tansu.url)
            let expected = try await KafkaBroker.withBroker(configuration, logger: quietLogger) { brokerA in
                try await KafkaBroker.withBroker(configuration, logger: quietLogger) { brokerB in
                    let a = LogSchemaRegistry(broker: brokerA, logger: quietLogger)
                    let b = LogSchemaRegistry(broker: brokerB, logger: quietLogger)
                    try await withRunning([a, b]) {
                        try await Self.race(a, b)
                    }
                    return try await a.read { $0 }
                }
            }
            // A third process started later reads the same state from the topic.
            try await KafkaBroker.withBroker(configuration, logger: quietLogger) { brokerC in
                let c = LogSchemaRegistry(broker: brokerC, logger: quietLogger)
                try await withRunning([c]) { () async throws in
                    let seen = try await c.read { $0 }
                    #expect(seen.subjects == expected.subjects)
                    #expect(seen.schemas.mapValues(\.text) == expected.schemas.mapValues(\.text))
                }
            }
        }
    }

    /// Both registries register different schemas at once, under one subject and under
    /// different ones; then each sees every schema under the same id.
    static func race(_ a: LogSchemaRegistry, _ b: LogSchemaRegistry) async throws {
        try await a.setCompatibility(AvroCompatibilityLevel.none, subject: nil)
        try await b.catchUp()
        let schemas = (0..<6).map { i in #"{"type":"record","name":"R\#(i)","fields":[{"name":"f","type":"long"}]}"# }
        let ids = try await withThrowingTaskGroup(of: (String, UInt32).self) { group in
            for (i, schema) in schemas.enumerated() {
                let registry = i % 2 == 0 ? a : b
                group.addTask { (schema, try await registry.register(subject: i < 4 ? "shared" : "own-\(i)", schema: schema)) }
                // The same schema from the other registry too.
                let other = i % 2 == 0 ? b : a
                group.addTask { (schema, try await other.register(subject: "copy-\(i)", schema: schema)) }
            }
            var ids: [String: Set<UInt32>] = [:]
            for try await (schema, id) in group { ids[schema, default: []].insert(id) }
            return ids
        }
        // One id per schema, six different ids.
        #expect(ids.values.allSatisfy { $0.count == 1 })
        #expect(Set(ids.values.compactMap(\.first)).count == schemas.count)
        try await a.catchUp()
        try await b.catchUp()
        let stateA = try await a.read { $0 }
        let stateB = try await b.read { $0 }
        #expect(stateA.subjects == stateB.subjects)
        #expect(stateA.schemas.mapValues(\.text) == stateB.schemas.mapValues(\.text))
        #expect(try stateA.versions(of: "shared") == [1, 2, 3, 4])
        for schema in schemas {
            #expect(try await b.schema(id: ids[schema]!.first!) == schema)
        }
    }
}
