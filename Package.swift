// swift-tools-version: 6.1
import PackageDescription

/// Strict settings applied to every target (see the loop at the bottom).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Freshet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "freshet", targets: ["freshet"]),
        .library(name: "FreshetCore", targets: ["FreshetCore"]),
        .library(name: "FreshetSource", targets: ["FreshetSource"]),
        .library(name: "FreshetLog", targets: ["FreshetLog"]),
        .library(name: "FreshetTesting", targets: ["FreshetTesting"]),
        .library(name: "FreshetScheduler", targets: ["FreshetScheduler"]),
        .library(name: "FreshetAvro", targets: ["FreshetAvro"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through async-http-client; FreshetKafka uses them for TLS and SCRAM.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // IO-free domain: records, schema, JSON codec, transforms.
        .target(name: "FreshetCore", dependencies: ["CFreshetCRC32C"]),
        // CRC-32C with the SSE 4.2 `crc32` instruction (a C shim: Swift has no intrinsic for
        // it); FreshetCore's `CRC32C` falls back to its table code on other CPUs.
        .target(name: "CFreshetCRC32C"),
        // IO-free Avro: schemas (parsing, canonical form, fingerprints), the binary encoding,
        // schema resolution and compatibility levels, Confluent's wire format.
        .target(name: "FreshetAvro", dependencies: ["FreshetCore"]),
        // The schema registry's state, IO-free: subjects, versions, global ids, compatibility
        // levels, and the `_schemas` records that change them (docs/schema-registry.md).
        .target(name: "FreshetRegistry", dependencies: ["FreshetAvro", "FreshetContracts", "FreshetCore"]),
        // The registry Freshet serves: its state kept in the log's `_schemas` topic through the
        // Broker contract, and Confluent's REST API over it (Hummingbird, its own listener).
        .target(
            name: "FreshetRegistryServer",
            dependencies: [
                "FreshetRegistry", "FreshetAvro", "FreshetContracts", "FreshetCore", "FreshetHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Swift 6.3.1 crashes (signal 11, LLVM's coroutine splitting) optimizing the route
            // closures of `RegistryServer.makeRouter` in release builds; the registry's REST
            // handlers are not a hot path, so this module is built unoptimized.
            swiftSettings: [.unsafeFlags(["-Onone"], .when(configuration: .release))]
        ),
        // A client of an external Confluent-compatible registry (or another Freshet's).
        .target(
            name: "FreshetRegistryClient",
            dependencies: [
                "FreshetContracts", "FreshetCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Where data enters: offline generator, Random User HTTP client, compatible API server.
        .target(
            name: "FreshetSource",
            dependencies: [
                "FreshetCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The contracts between stages, which implementations depend on: the `Broker` a source
        // produces to and a processor consumes from (the embedded log, Kafka), and the `Sink` and
        // `UserQueries` of a store (SQLite, PostgreSQL, Cassandra).
        .target(name: "FreshetContracts", dependencies: ["FreshetCore"]),
        // What the HTTP servers (web UI, schema registry) share: the request time limit.
        .target(
            name: "FreshetHTTP",
            dependencies: ["FreshetCore", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio")]),
        // The embedded durable log: Freshet's default broker, with Kafka's semantics.
        .target(
            name: "FreshetLog",
            dependencies: ["FreshetCore", "FreshetContracts", .product(name: "Logging", package: "swift-log")]
        ),
        // Where rows land: the Sink contract, SQLite (default), and the dashboard queries.
        .target(
            name: "FreshetStore",
            dependencies: [
                "FreshetCore", "FreshetContracts",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The processor: micro-batches, schema, dead letters, windows, checkpoints; the ingest
        // service and backpressure.
        .target(
            name: "FreshetStream",
            dependencies: [
                "FreshetCore", "FreshetContracts", "FreshetSource",
                // Avro on the topic: the users_created schema, framing and resolution.
                "FreshetAvro",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The application: the configuration (defaults, YAML, environment, flags), each URL's
        // broker and store, and the pipeline's services for a role.
        .target(
            name: "FreshetApp",
            dependencies: [
                "FreshetCore", "FreshetContracts", "FreshetSource", "FreshetLog", "FreshetStore", "FreshetStream",
                "FreshetCassandra", "FreshetPostgres", "FreshetKafka", "FreshetWeb", "FreshetCQL", "FreshetCQLServer",
                // The configuration reads the `dags` section (DAGDefinitions); `freshet up` runs
                // the scheduler over a run history in SQLite or PostgreSQL.
                "FreshetScheduler", "FreshetSchedulerSQLite", "FreshetSchedulerPostgres", "FreshetSchedulerService",
                // The schema registry: served over the log, or an external one's client.
                "FreshetRegistry", "FreshetRegistryServer", "FreshetRegistryClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The web UI: dashboard, pipeline and topic pages, JSON API, SSE, Prometheus metrics.
        .target(
            name: "FreshetWeb",
            dependencies: [
                "FreshetCore", "FreshetContracts", "FreshetHTTP", "FreshetSource", "FreshetLog", "FreshetStore", "FreshetStream",
                // The Runs page and the DAG API (`WebScheduling`).
                "FreshetScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The dashboard's pages, styles and script as files, compiled into the binary.
            resources: [
                .embedInCode("Resources/layout.html"), .embedInCode("Resources/dashboard.html"),
                .embedInCode("Resources/pipeline.html"), .embedInCode("Resources/topics.html"),
                .embedInCode("Resources/runs.html"), .embedInCode("Resources/app.css"),
                .embedInCode("Resources/app.js"),
            ]
        ),
        // Kafka's wire protocol: sans-IO codec (primitives, headers, framing, messages, version
        // negotiation, record batches, compression) and a NIO connection with pipelining.
        .target(
            name: "FreshetKafka",
            dependencies: [
                "FreshetCore", "FreshetContracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Cassandra's native protocol v4: sans-IO codec (primitives, framing, messages both
        // ways, types and values) and the Murmur3 partitioner's token.
        .target(
            name: "FreshetCQL",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // The CQL endpoint over the store: a NIO server running FreshetCQL's connection state
        // machine and query planner, with spark_streams.created_users backed by FreshetStore.
        .target(
            name: "FreshetCQLServer",
            dependencies: [
                "FreshetCQL", "FreshetCore", "FreshetContracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CQL client: connections running FreshetCQL's client state machine, a pool with
        // token-aware routing, prepared statements, retries and reconnects.
        .target(
            name: "FreshetCQLClient",
            dependencies: [
                "FreshetCQL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The Cassandra sink: created_users, window counts and stream positions in a Cassandra
        // cluster (or another Freshet's CQL endpoint) through FreshetCQLClient.
        .target(
            name: "FreshetCassandra",
            dependencies: [
                "FreshetCore", "FreshetContracts", "FreshetCQL", "FreshetCQLClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The PostgreSQL sink: created_users, window counts, stream positions and the dashboard
        // counters in a PostgreSQL database through postgres-nio, one transaction per batch.
        .target(
            name: "FreshetPostgres",
            dependencies: [
                "FreshetCore", "FreshetContracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The IO-free scheduler core: cron and interval schedules, DAG model and validation, task
        // instance state machine, retries, and a scheduler loop driven by an injected clock.
        .target(name: "FreshetScheduler", dependencies: ["FreshetCore"]),
        // The run history in SQLite (`<data_dir>/scheduler.sqlite`), through sqlite-nio's bundled C library.
        .target(
            name: "FreshetSchedulerSQLite",
            dependencies: ["FreshetScheduler", "FreshetCore", .product(name: "SQLiteNIO", package: "sqlite-nio")]
        ),
        // The scheduler for real: task executor (broker steps, stream, shell) and the scheduler service.
        .target(
            name: "FreshetSchedulerService",
            dependencies: [
                "FreshetContracts", "FreshetScheduler", "FreshetCore", "FreshetLog", "FreshetSource", "FreshetStream",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The run history in PostgreSQL, shared by several schedulers (runs claimed with leases).
        .target(
            name: "FreshetSchedulerPostgres",
            dependencies: [
                "FreshetScheduler", "FreshetCore", "FreshetPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Codec benchmark: `swift run -c release RecordsBench`.
        .executableTarget(name: "RecordsBench", dependencies: ["FreshetKafka"], path: "Benchmarks/RecordsBench"),
        // Shared test helpers: fixtures, local servers, the RunHistory contract.
        .target(
            name: "FreshetTesting",
            dependencies: [
                "FreshetCore", "FreshetContracts", "FreshetSource", "FreshetStore", "FreshetScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CLI: wiring only.
        .executableTarget(
            name: "freshet",
            dependencies: [
                "FreshetApp", "FreshetContracts",
                "FreshetCore",
                "FreshetSource",
                "FreshetLog",
                "FreshetStore",
                "FreshetStream",
                "FreshetWeb",
                "FreshetKafka",
                "FreshetCQL", "FreshetCQLServer", "FreshetCassandra", "FreshetPostgres",
                "FreshetScheduler", "FreshetSchedulerSQLite", "FreshetSchedulerPostgres", "FreshetSchedulerService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "FreshetCoreTests", dependencies: ["FreshetCore", "FreshetTesting"]),
        // Golden vectors from fastavro (Python/golden.py) are read from Golden/ by path.
        .testTarget(
            name: "FreshetRegistryTests",
            dependencies: [
                "FreshetRegistry", "FreshetRegistryServer", "FreshetRegistryClient", "FreshetAvro", "FreshetContracts", "FreshetCore",
                "FreshetLog", "FreshetKafka", "FreshetTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // confluent-kafka's SchemaRegistryClient script, run by FreshetCLITests' SchemaRegistryCLITests.
            exclude: ["Python"]
        ),
        .testTarget(name: "FreshetAvroTests", dependencies: ["FreshetAvro", "FreshetCore", "FreshetTesting"], exclude: ["Golden", "Python"]),
        .testTarget(
            name: "FreshetStreamTests",
            dependencies: [
                "FreshetApp", "FreshetAvro", "FreshetContracts", "FreshetCore", "FreshetSource", "FreshetLog", "FreshetStore", "FreshetStream",
                "FreshetScheduler", "FreshetTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FreshetWebTests",
            dependencies: [
                "FreshetAvro", "FreshetContracts", "FreshetCore", "FreshetSource", "FreshetLog", "FreshetStore", "FreshetStream", "FreshetWeb",
                "FreshetScheduler",
                "FreshetTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FreshetKafkaTests",
            dependencies: [
                "FreshetContracts", "FreshetCore", "FreshetKafka", "FreshetLog", "FreshetTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for the in-test SCRAM server, independent of FreshetKafka's Hi().
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Golden", "RecordsGolden", "Python"]
        ),
        .testTarget(
            name: "FreshetCQLTests",
            dependencies: [
                "FreshetContracts", "FreshetCQL", "FreshetCQLServer", "FreshetCore", "FreshetSource", "FreshetStore", "FreshetTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Golden", "Clients"]
        ),
        .testTarget(
            name: "FreshetCQLClientTests",
            dependencies: [
                "FreshetApp", "FreshetContracts", "FreshetCQL", "FreshetCQLClient", "FreshetCQLServer", "FreshetCassandra", "FreshetCore", "FreshetSource",
                "FreshetStore", "FreshetStream", "FreshetTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "FreshetStoreTests", dependencies: ["FreshetContracts", "FreshetCore", "FreshetStore", "FreshetTesting"]),
        .testTarget(
            name: "FreshetPostgresTests",
            dependencies: [
                "FreshetApp", "FreshetContracts", "FreshetCore", "FreshetStore", "FreshetPostgres", "FreshetStream", "FreshetTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "FreshetLogTests", dependencies: ["FreshetContracts", "FreshetCore", "FreshetLog", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "FreshetCLITests",
            dependencies: [
                "FreshetContracts", "FreshetCore", "FreshetSource", "FreshetLog", "FreshetStore", "FreshetTesting", "FreshetPostgres", "FreshetCassandra",
                "FreshetRegistryClient",
                "FreshetScheduler", "FreshetSchedulerSQLite", "FreshetSchedulerPostgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FreshetSourceTests",
            dependencies: [
                "FreshetCore", "FreshetSource", "FreshetTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The fuzz targets: a library, so that `FuzzCorpusTests` replays their corpora in
        // every test run, and the libFuzzer driver below runs them.
        .target(
            name: "FreshetFuzzTargets",
            dependencies: [
                "FreshetApp", "FreshetAvro", "FreshetContracts", "FreshetCore", "FreshetCQL", "FreshetCQLServer", "FreshetKafka", "FreshetLog",
                "FreshetRegistry",
                "FreshetStream", "FreshetScheduler", "FreshetWeb",
            ]
        ),
        .testTarget(name: "FreshetFuzzTests", dependencies: ["FreshetFuzzTargets", "FreshetTesting"]),
        .testTarget(name: "FreshetSchedulerTests", dependencies: ["FreshetScheduler", "FreshetCore", "FreshetTesting"]),
        .testTarget(
            name: "FreshetSchedulerServiceTests",
            dependencies: [
                "FreshetContracts", "FreshetScheduler", "FreshetSchedulerSQLite", "FreshetSchedulerPostgres", "FreshetSchedulerService", "FreshetCore",
                "FreshetLog", "FreshetTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

// MARK: Fuzzing
// Only when FRESHET_FUZZ=1 (`scripts/fuzz`): the libFuzzer driver, with every Freshet module
// compiled with coverage instrumentation. Dependencies are not instrumented, so a fuzz build
// after a normal one recompiles only Freshet's own modules.
let fuzzing = Context.environment["FRESHET_FUZZ"] == "1"
if fuzzing {
    package.targets.append(
        .executableTarget(
            name: "freshet-fuzz", dependencies: ["FreshetFuzzTargets"], path: "Fuzz/Driver",
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        ))
}

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
    if fuzzing && target.type != .test {
        target.swiftSettings! += [.unsafeFlags(["-sanitize=fuzzer"])]
    }
}
