import FreshetApp
import FreshetCore
import FreshetScheduler
import FreshetStream
import Testing

@Suite("Pipeline configuration")
struct ConfigurationTests {
    @Test func fileThenEnvironmentThenFlags() throws {
        var c = PipelineConfiguration()
        try c.apply(
            yaml: """
                data_dir: /tmp/x
                source:
                  rate: 500
                  nationalities: [GB, fr]
                  count: 100
                processor:
                  window: 30s
                """, origin: "freshet.yaml")
        #expect(c.dataDir == "/tmp/x")
        #expect(c.source.rate == 500)
        #expect(c.source.nationalities == [.gb, .fr])
        #expect(c.source.count == 100)
        #expect(c.processor.window == .seconds(30))
        let unknown = try c.apply(environment: ["FRESHET_SOURCE_RATE": "700", "FRESHET_LOG_LEVEL": "debug", "FRESHET_SORCE_RATE": "1", "PATH": "/bin"])
        #expect(c.source.rate == 700)
        #expect(unknown == ["FRESHET_SORCE_RATE"])
        try c.set("source.rate", to: "900", origin: "--rate")
        #expect(c.source.rate == 900)
        #expect(c.storePath == "/tmp/x/store/freshet.sqlite")
    }

    @Test func unknownKeysAndBadValuesNameThemselves() {
        var c = PipelineConfiguration()
        #expect(throws: ConfigurationError.self) { try c.apply(yaml: "source:\n  rat: 5\n", origin: "f.yaml") }
        do {
            try c.apply(yaml: "source:\n  rat: 5\n", origin: "f.yaml")
        } catch {
            #expect(error.key == "source.rat")
            #expect(error.description.hasPrefix("f.yaml: source.rat: unknown key"))
        }
        for (key, value) in [
            ("source.rate", "fast"), ("log.durability", "maybe"), ("source.duration", "soon"), ("source.url", "ftp://x"), ("source.nationalities", "GB,XX"),
            ("log.partitions", "0"), ("topic.format", "protobuf"),
        ] {
            do {
                try c.set(key, to: value, origin: "test")
                Issue.record("\(key)=\(value) was accepted")
            } catch {
                #expect(error.key == key)
                #expect(!error.message.isEmpty)
            }
        }
        #expect(throws: ConfigurationError.self) { try c.apply(yaml: "- a\n- b\n", origin: "list.yaml") }
        #expect(throws: ConfigurationError.self) { try c.apply(yaml: "source: [unclosed\n", origin: "bad.yaml") }
    }

    @Test func printedYAMLRedactsCredentialsAndReadsBack() throws {
        var c = PipelineConfiguration()
        try c.set("source.url", to: "https://alice:s3cr3t@example.com/api/?nat=gb", origin: "test")
        try c.set("source.seed", to: "demo", origin: "test")
        try c.set("source.duration", to: "90s", origin: "test")
        let yaml = c.yaml()
        #expect(!yaml.contains("s3cr3t"))
        #expect(yaml.contains("https://alice:***@example.com/api/?nat=gb"))
        // Without credentials, the printed file configures the same pipeline.
        var plain = PipelineConfiguration()
        try plain.set("source.seed", to: "demo", origin: "test")
        try plain.set("source.duration", to: "90s", origin: "test")
        try plain.set("source.nationalities", to: "GB,FR", origin: "test")
        var reread = PipelineConfiguration()
        try reread.apply(yaml: plain.yaml(), origin: "printed")
        #expect(reread == plain)
    }

    @Test func everySectionIsPrintedOnce() {
        let sections = PipelineConfiguration().yaml().split(separator: "\n").filter { !$0.hasPrefix(" ") && $0.hasSuffix(":") }
        #expect(sections == ["source:", "broker:", "log:", "topic:", "processor:", "store:", "web:", "schema_registry:", "cql:", "scheduler:", "metadata:"])
    }

    @Test func webSecretsAreRedacted() throws {
        var c = PipelineConfiguration()
        _ = try c.apply(environment: ["FRESHET_WEB_TOKEN": "tok-123", "FRESHET_WEB_PASSWORD": "pw-456", "FRESHET_WEB_USERNAME": "ops"])
        #expect(c.web.token == "tok-123" && c.web.password == "pw-456")
        let yaml = c.yaml()
        #expect(!yaml.contains("tok-123") && !yaml.contains("pw-456"))
        #expect(yaml.contains("token: \"***\"") && yaml.contains("username: ops"))
    }

    @Test func schemaRegistryKeys() throws {
        var c = PipelineConfiguration()
        #expect(c.schemaRegistry.enabled && c.schemaRegistry.port == 8081 && c.schemaRegistry.url == nil)
        #expect(c.schemaRegistry.maxSchemaBytes == 1 << 20)
        _ = try c.apply(environment: [
            "FRESHET_SCHEMA_REGISTRY_URL": "https://sr.example.com:8081", "FRESHET_SCHEMA_REGISTRY_USERNAME": "svc",
            "FRESHET_SCHEMA_REGISTRY_PASSWORD": "sr-pw-123",
        ])
        try c.validate()
        let yaml = c.yaml()
        #expect(!yaml.contains("sr-pw-123") && yaml.contains("password: \"***\"") && yaml.contains("url: \"https://sr.example.com:8081\""))
        // Credentials come in pairs and are for an external registry.
        var lonely = PipelineConfiguration()
        try lonely.set("schema_registry.url", to: "http://sr:8081", origin: "test")
        try lonely.set("schema_registry.username", to: "svc", origin: "test")
        #expect(throws: ConfigurationError.self) { try lonely.validate() }
        // Without a URL, the credentials are the served registry's; a CA file needs a URL.
        var local = PipelineConfiguration()
        try local.set("schema_registry.username", to: "svc", origin: "test")
        try local.set("schema_registry.password", to: "pw", origin: "test")
        try local.validate()
        try local.set("schema_registry.ca_file", to: "/etc/ca.pem", origin: "test")
        #expect(throws: ConfigurationError.self) { try local.validate() }
        for (key, value) in [
            ("schema_registry.url", "ftp://sr"), ("schema_registry.url", "http://u:pw@sr:8081"), ("schema_registry.port", "70000"),
            ("schema_registry.max_schema_bytes", "10"), ("schema_registry.password", ""),
        ] {
            #expect(throws: ConfigurationError.self, "\(key)=\(value)") { try c.set(key, to: value, origin: "test") }
        }
    }

    @Test func cqlKeys() throws {
        var c = PipelineConfiguration()
        #expect(c.cql.enabled && c.cql.host == "127.0.0.1" && c.cql.port == 9042 && c.cql.username == nil)
        _ = try c.apply(environment: ["FRESHET_CQL_PORT": "19042", "FRESHET_CQL_USERNAME": "reader", "FRESHET_CQL_PASSWORD": "cql-pw-789"])
        try c.set("cql.enabled", to: "false", origin: "test")
        #expect(c.cql.port == 19042 && c.cql.username == "reader" && c.cql.password == "cql-pw-789" && !c.cql.enabled)
        #expect(!c.yaml().contains("cql-pw-789"))
        #expect(throws: ConfigurationError.self) { try c.set("cql.port", to: "70000", origin: "test") }
        #expect(throws: ConfigurationError.self) { try c.set("cql.max_in_flight_per_connection", to: "0", origin: "test") }
    }

    /// The endpoint's limits: safe defaults, each settable, each refusing nonsense with its name.
    @Test func cqlLimitKeys() throws {
        var c = PipelineConfiguration()
        #expect(c.cql.maxConnections == 64 && c.cql.maxInFlightPerConnection == 32 && c.cql.maxConcurrentStorageOperations == 128)
        #expect(c.cql.maxInFlightBytes == 64 << 20 && c.cql.maxFrameBytes == 1 << 20 && c.cql.maxPageBytes == 1 << 20)
        #expect(c.cql.frameReadTimeout == .seconds(10) && c.cql.idleTimeout == .seconds(120) && c.cql.writeTimeout == .seconds(10))
        #expect(c.cql.maxStatementBytes == 64 << 10 && c.cql.maxNestingDepth == 32 && c.cql.maxPageRows == 5_000)
        #expect(c.cql.maxRowBytes == 64 << 10 && c.cql.preparedCacheBytes == 8 << 20)
        _ = try c.apply(environment: ["FRESHET_CQL_MAX_CONNECTIONS": "8", "FRESHET_CQL_IDLE_TIMEOUT": "5m"])
        try c.set("cql.write_timeout", to: "0", origin: "test")
        try c.set("cql.max_frame_bytes", to: "2097152", origin: "test")
        try c.set("cql.max_page_rows", to: "100", origin: "test")
        #expect(c.cql.maxConnections == 8 && c.cql.idleTimeout == .seconds(300) && c.cql.writeTimeout == nil)
        #expect(c.cql.maxFrameBytes == 2 << 20 && c.cql.maxPageRows == 100)
        let yaml = c.yaml()
        #expect(yaml.contains("max_connections: 8") && yaml.contains("write_timeout: 0s"), "\(yaml)")
        for (key, bad) in [
            ("cql.max_connections", "0"), ("cql.max_frame_bytes", "1000000000"), ("cql.max_frame_bytes", "10"),
            ("cql.frame_read_timeout", "soon"), ("cql.max_nesting_depth", "100000"), ("cql.max_statement_bytes", "-1"),
            ("cql.max_page_bytes", "x"), ("cql.prepared_cache_bytes", "1"), ("cql.max_in_flight_bytes", "0"),
            ("cql.max_concurrent_storage_operations", "0"), ("cql.max_row_bytes", "0"), ("cql.idle_timeout", "-5s"),
        ] {
            let error = #expect(throws: ConfigurationError.self, "\(key)=\(bad)") { try c.set(key, to: bad, origin: "test") }
            #expect(error?.key == key)
        }
    }

    @Test func cassandraStoreURL() throws {
        var c = PipelineConfiguration()
        try c.set("store.url", to: "cassandra://app:cass-pw-456@db1:9042,db2?keyspace=spark_streams&consistency=LOCAL_QUORUM", origin: "--store")
        #expect(c.store.url.hasPrefix("cassandra://app:cass-pw-456@db1"))
        let yaml = c.yaml()
        #expect(!yaml.contains("cass-pw-456"))
        #expect(yaml.contains("cassandra://app:***@db1:9042,db2?keyspace=spark_streams&consistency=LOCAL_QUORUM"))
        do {
            try c.set("store.url", to: "cassandra://app:cass-pw-456@db1?keyspce=x", origin: "--store")
            Issue.record("a bad cassandra:// parameter was accepted")
        } catch {
            #expect(error.key == "store.url")
            #expect(error.description.contains("unknown parameter keyspce"))
            #expect(!error.description.contains("cass-pw-456"))
        }
        #expect(throws: ConfigurationError.self) { try c.set("store.url", to: "mysql://db", origin: "--store") }
    }

    @Test func redaction() {
        #expect(redact("postgres://u:pw@db:5432/x") == "postgres://u:***@db:5432/x")
        #expect(redact("https://example.com/a@b") == "https://example.com/a@b")
        #expect(redact("generator") == "generator")
    }
}

@Suite("Pipeline configuration: DAGs and the scheduler")
struct DAGConfigurationTests {
    static let file = """
        scheduler:
          lease: 10s
        metadata:
          url: postgres://freshet:s3cret@db.example:5432/meta
        dags:
          user_automation:
            schedule: every 10s
            duration: 3s
          nightly:
            schedule: "0 2 * * *"
            tasks:
              z_first: {shell: "echo 'one: two' # not a comment"}
              a_second: {builtin: check_broker, upstream: [z_first]}
          broken:
            schedule: "not cron"
            tasks: {a: {shell: "true"}}
        """

    @Test func theDagsSectionIsReadInOrderAndValidatedDAGByDAG() throws {
        var c = PipelineConfiguration()
        try c.apply(yaml: Self.file, origin: "freshet.yaml")
        #expect(c.scheduler.lease == .seconds(10))
        #expect(c.metadata.isPostgres)
        let d = c.dagDefinitions(builtins: [DAG.userAutomation(rate: 1000)])
        #expect(d.dags.map(\.id) == ["user_automation", "nightly"])
        #expect(d.dag("nightly")?.tasks.map(\.id) == ["z_first", "a_second"])
        #expect(d.dag("nightly")?.tasks.first?.kind == .shell(command: "echo 'one: two' # not a comment"))
        #expect(d.dag("user_automation")?.schedule.trigger == .interval(.seconds(10)))
        #expect(d.errors.map(\.path) == ["dags.broken.schedule"])
    }

    @Test func printedConfigurationReadsBackWithTheSameDAGsAndNoPassword() throws {
        var c = PipelineConfiguration()
        try c.apply(yaml: Self.file, origin: "freshet.yaml")
        let printed = c.yaml()
        #expect(!printed.contains("s3cret"))
        #expect(printed.contains("dags:"))
        var again = PipelineConfiguration()
        // The redacted password does not parse back as the same URL; drop that line.
        try again.apply(yaml: printed.split(separator: "\n").filter { !$0.contains("postgres://") }.joined(separator: "\n"), origin: "printed")
        #expect(again.dags == c.dags)
        #expect(again.scheduler == c.scheduler)
    }

    @Test func schedulerAndMetadataKeysNameThemselves() {
        var c = PipelineConfiguration()
        for (key, value) in [("scheduler.enabled", "maybe"), ("scheduler.lease", "0s"), ("metadata.url", "mysql://x"), ("metadata.url", "postgres://")] {
            do {
                try c.set(key, to: value, origin: "--flag")
                Issue.record("\(key)=\(value) accepted")
            } catch {
                #expect(error.key == key)
            }
        }
    }
}

/// The status line of each role shows what that process does: a processor-only process has
/// nothing ingested and its lag is the group's (never produced − consumed, which went negative).
@Suite struct StatusLineTests {
    @Test func eachRoleShowsItsOwnCountsAndTheGroupsLag() {
        var before = PipelineMetrics.Snapshot()
        before.consumed = 1000
        before.stored = 900
        var now = before
        now.consumed = 61_000
        now.stored = 60_900
        now.skippedReplays = 12
        let process = now.statusLine(role: .process, since: before, seconds: 30, groupLag: 52_428)
        #expect(process.hasPrefix("consumed 61000 (2000/s)  stored 60900 (2000/s)"), "\(process)")
        #expect(process.contains("replays skipped 12") && process.contains("lag 52428"), "\(process)")
        #expect(!process.contains("ingested"), "\(process)")
        #expect(now.statusLine(role: .process, since: before, seconds: 30, groupLag: nil).contains("lag ?"))
        now.produced = 3000
        let all = now.statusLine(role: .all, since: before, seconds: 1, groupLag: 7)
        #expect(all.hasPrefix("ingested 3000 (3000/s)") && all.contains("lag 7"), "\(all)")
        #expect(now.statusLine(role: .ingest, since: before, seconds: 1, groupLag: nil).hasPrefix("produced 3000 (3000/s)"))
    }
}
