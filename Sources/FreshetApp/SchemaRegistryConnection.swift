import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetRegistry
import FreshetRegistryClient
import FreshetRegistryServer
import Logging
import ServiceLifecycle

/// The schema registry of a process (docs/schema-registry.md), built from the
/// `schema_registry.*` keys: the `any SchemaRegistry` the pipeline's Avro source and processor
/// use, and the services that keep it.
public struct SchemaRegistryAssembly: Sendable {
    /// What the pipeline uses: the local registry (in-process calls) or an external one's client.
    public let registry: any SchemaRegistry
    /// The registry served from the log, when this process keeps one (nil with an external one).
    public let local: LogSchemaRegistry?
    /// The `_schemas` reader and the REST listener, or the external client's shutdown.
    public let companions: [Companion]

    /// Releases what the registry holds when its companions will not run (a later step of
    /// assembling the process failed): an external registry's client is shut down.
    public func close() async {
        if let remote = registry as? RemoteSchemaRegistry { try? await remote.shutdown() }
    }
}

public enum SchemaRegistryConnection {
    /// The registry of a process whose pipeline uses `broker`:
    ///
    /// - `schema_registry.url` set: a client of that registry;
    /// - else, with `schema_registry.enabled`: the registry kept in `broker`'s `_schemas` topic,
    ///   served on `schema_registry.host:port` when `serve` (`freshet up`, `freshet serve`), read
    ///   in-process only otherwise (`freshet ingest`/`process` on a Kafka cluster share the
    ///   topic, so they see the same ids as the process that serves it);
    /// - else nil.
    public static func open(
        _ config: PipelineConfiguration, broker: any Broker, serve: Bool, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) throws -> SchemaRegistryAssembly? {
        let settings = config.schemaRegistry
        if let url = settings.url {
            let client = try remote(config, url: url)
            return SchemaRegistryAssembly(registry: client, local: nil, companions: [Companion(RemoteRegistryCloser(client: client))])
        }
        guard settings.enabled else { return nil }
        let registry = LogSchemaRegistry(broker: broker, configuration: .init(limits: config.registryLimits), logger: Logger(label: "freshet.registry"))
        var companions = [Companion(registry, failure: "the schema registry cannot read the _schemas topic")]
        if serve {
            let host = settings.host
            let server = RegistryServer(
                registry: registry,
                configuration: RegistryServerConfiguration(
                    host: host, port: settings.port, maxBodyBytes: settings.maxBodyBytes, maxConnections: settings.maxConnections,
                    requestTimeout: settings.requestTimeout))
            companions.append(
                Companion(
                    server.makeApplication { port in onListening(host, port) },
                    failure: "the schema registry cannot listen on \(host):\(settings.port) (use --registry-port, or --no-registry)"))
        }
        return SchemaRegistryAssembly(registry: registry, local: registry, companions: companions)
    }

    /// A client of the external registry `url`; a bad setting is a `ConfigurationError` naming its key.
    static func remote(_ config: PipelineConfiguration, url: String) throws -> RemoteSchemaRegistry {
        let settings = config.schemaRegistry
        do {
            return try RemoteSchemaRegistry(
                RemoteRegistryConfiguration(url: url, username: settings.username, password: settings.password, caFile: settings.caFile))
        } catch let error as RemoteRegistryConfigurationError {
            throw ConfigurationError(key: error.key, origin: "configuration", message: error.message)
        }
    }
}

extension SchemaRegistryConnection {
    /// Whether the registry kept in `_schemas` needs a broker client of its own: on Kafka (its
    /// reader's long polls must not queue ahead of the pipeline's requests on one connection),
    /// when this process keeps the registry (no external one, not `--no-registry`).
    static func needsOwnClient(_ config: PipelineConfiguration, pipelineBroker: any Broker) -> Bool {
        BrokerConnection.service(of: pipelineBroker) != nil && config.schemaRegistry.url == nil && config.schemaRegistry.enabled
    }
}

/// A broker client owned by one companion: runs its background work (a Kafka client's
/// `run()`), then closes it.
struct DedicatedBrokerClient: Service {
    let broker: any Broker

    func run() async throws {
        do {
            try await BrokerConnection.service(of: broker)?.run()
        } catch {
            try? await broker.close()
            throw error
        }
        try await broker.close()
    }
}

extension PipelineConfiguration {
    /// The registry's limits from the `schema_registry.max_*` keys.
    public var registryLimits: RegistryLimits {
        RegistryLimits(
            maxSchemaBytes: schemaRegistry.maxSchemaBytes, maxSubjects: schemaRegistry.maxSubjects,
            maxVersionsPerSubject: schemaRegistry.maxVersionsPerSubject, maxSchemas: schemaRegistry.maxSchemas)
    }
}

/// Closes an external registry's client when the process shuts down.
struct RemoteRegistryCloser: Service {
    let client: RemoteSchemaRegistry

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
