import FreshetApp
import FreshetCore
import FreshetScheduler
import FreshetStream
import Testing

@Suite("Configuration ranges and fail-closed credentials")
struct ConfigurationRangeTests {
    @Test(
        "every number is range-checked, naming the key and the range",
        arguments: [
            ("source.rate", "1e20", "expected a number in 0.001…1000000, got 1e20"),
            ("source.rate", "0", "0.001…1000000"),
            ("source.rate", "nan", "0.001…1000000"),
            ("source.requests_per_second", "1e9", "0.001…1000"),
            ("source.duration", "1e300", "1ms…366d"),
            ("source.duration", "1m4m1m0m2222222222222222222222.h2222222222223mm", "1ms…366d"),
            ("source.count", "9223372036854775807", "1…1000000000"),
            ("source.timeout", "0s", "1ms…10.0m"),
            ("source.batch_size", "5001", "1…5000"),
            ("log.partitions", "100000", "1…1000"),
            ("log.commit_interval", "1h", "1ms…10s"),
            ("processor.max_batch_records", "0", "1…100000"),
            ("processor.idle_wait", "2d", "1ms…1.0m"),
            ("processor.window", "500ms", "1s…24.0h"),
            ("processor.allowed_lateness", "400d", "0ms…24.0h"),
            ("processor.max_field_bytes", "99999999", "1…1048576"),
            ("processor.max_unprocessed", "-1", "1…10000000"),
            ("processor.max_transaction_records", "0", "1…1000000"),
            ("processor.max_transaction_records", "9223372036854775807", "1…1000000"),
            ("processor.max_transaction_bytes", "1000", "1048576…1073741824"),
            ("processor.max_transaction_time", "0s", "1ms…1.0m"),
            ("processor.max_transaction_time", "1e300", "1ms…1.0m"),
            ("store.sqlite_cache_bytes", "-1", "1048576…4294967296"),
            ("store.sqlite_cache_bytes", "99999999999999999999", "1048576…4294967296"),
            ("web.port", "70000", "0…65535"),
            ("cql.port", "-1", "0…65535"),
            ("cql.max_in_flight_per_connection", "100000", "1…4096"),
            ("scheduler.lease", "0s", "1s…1.0h"),
            ("web.max_connections", "0", "1…10000"),
            ("web.request_timeout", "1ms", "100ms…10.0m"),
            ("web.idle_timeout", "2h", "1s…1.0h"),
            ("web.max_body_bytes", "10", "1024…16777216"),
            ("web.messages_max_bytes", "1", "65536…67108864"),
        ])
    func outOfRange(key: String, value: String, message: String) {
        var c = PipelineConfiguration()
        do {
            try c.set(key, to: value, origin: "--flag")
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect(error.key == key)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func inRangeValuesAndWebDefaults() throws {
        var c = PipelineConfiguration()
        #expect(c.web.maxConnections == 256 && c.web.requestTimeout == .seconds(10) && c.web.idleTimeout == .seconds(60))
        #expect(c.web.maxBodyBytes == 64 << 10 && c.web.messagesMaxBytes == 4 << 20)
        try c.set("source.rate", to: "1000000", origin: "t")
        try c.set("source.duration", to: "366d", origin: "t")
        try c.set("web.max_connections", to: "32", origin: "t")
        try c.set("web.request_timeout", to: "2s", origin: "t")
        #expect(c.source.rate == 1_000_000 && c.source.duration == .seconds(366 * 86_400))
        #expect(c.web.maxConnections == 32 && c.web.requestTimeout == .seconds(2))
        var reread = PipelineConfiguration()
        try reread.apply(yaml: c.yaml(), origin: "printed")
        #expect(reread.web == c.web)
    }

    @Test(
        "a user without a password, or a password without a user, is an error naming the missing key",
        arguments: [
            (["FRESHET_WEB_USERNAME": "admin"], "web.password"),
            (["FRESHET_WEB_PASSWORD": "pw"], "web.username"),
            (["FRESHET_CQL_USERNAME": "reader"], "cql.password"),
            (["FRESHET_CQL_PASSWORD": "pw"], "cql.username"),
        ])
    func credentialsComeInPairs(environment: [String: String], missing: String) throws {
        var c = PipelineConfiguration()
        _ = try c.apply(environment: environment)
        #expect(throws: ConfigurationError.self) { try c.validate() }
        do { try c.validate() } catch { #expect(error.key == missing) }
    }

    @Test("an empty credential given explicitly is an error", arguments: ["web.token", "web.username", "web.password", "cql.username", "cql.password"])
    func emptyCredentials(key: String) {
        var c = PipelineConfiguration()
        #expect(throws: ConfigurationError.self) { try c.set(key, to: "", origin: "env") }
        var fromFile = PipelineConfiguration()
        let parts = key.split(separator: ".")
        #expect(throws: ConfigurationError.self) { try fromFile.apply(yaml: "\(parts[0]):\n  \(parts[1]): \"\"\n", origin: "f.yaml") }
        // `~` still means "not set".
        var unset = PipelineConfiguration()
        #expect(throws: Never.self) { try unset.apply(yaml: "\(parts[0]):\n  \(parts[1]): ~\n", origin: "f.yaml") }
    }

    @Test func dagRunConfIsRangeChecked() throws {
        let dag = DAG.userAutomation()
        for (key, value) in [("rate", "1e20"), ("rate", "-1"), ("duration", "1e300"), ("duration", "1m4m1m0m2222222222222222222222.h2222222222223mm")] {
            #expect(throws: SchedulerError.self) { _ = try dag.applying(conf: [key: value]) }
        }
        let applied = try dag.applying(conf: ["rate": "500", "duration": "3s"])
        #expect(applied.tasks.contains { $0.kind == .stream(duration: .seconds(3), rate: 500) })
    }

    @Test func dagDefinitionsAreRangeChecked() throws {
        var c = PipelineConfiguration()
        try c.apply(
            yaml: """
                dags:
                  a: {schedule: "every 1e300s", tasks: {t: {shell: x}}}
                  b: {schedule: manual, tasks: {t: {shell: x, retries: 1000}}}
                  c: {schedule: manual, max_active_runs: 100000, tasks: {t: {shell: x}}}
                  d: {schedule: manual, tasks: {t: {stream: {rate: 1e20}}}}
                  e: {schedule: manual, default_args: {retry_delay: 1e300}, tasks: {t: {shell: x}}}
                  f: {schedule: manual, tasks: {t: {shell: x, timeout: 0s}}}
                  ok: {schedule: "every 30m", tasks: {t: {shell: x, retries: 3}}}
                """, origin: "f.yaml")
        let definitions = c.dagDefinitions(builtins: [])
        #expect(definitions.dags.map(\.id) == ["ok"])
        #expect(Set(definitions.errors.map(\.dagID)) == ["a", "b", "c", "d", "e", "f"])
        #expect(definitions.errors.first { $0.dagID == "b" }?.path == "dags.b.tasks.t.retries")
        #expect(definitions.errors.first { $0.dagID == "b" }?.message.contains("0…100") == true)
    }

    @Test func runConfFromTheWebBody() {
        #expect(RunConf.parse(Array(#"{"conf": {"rate": 500, "duration": "3s"}}"#.utf8)) == .success(["rate": "500", "duration": "3s"]))
        #expect(RunConf.parse([]) == .success([:]))
        guard case .failure(let boolean) = RunConf.parse(Array(#"{"conf": {"rate": true}}"#.utf8)) else {
            Issue.record("a boolean rate was accepted")
            return
        }
        #expect(boolean.key == "rate")
        guard case .failure(let surrogate) = RunConf.parse(Array(#"{"conf": {"duration": "\uD800\u0041"}}"#.utf8)) else {
            Issue.record("a lone surrogate was accepted")
            return
        }
        #expect(surrogate.parameter == "body")
        guard case .failure(let unknown) = RunConf.parse(Array(#"{"conf": {}, "x": 1}"#.utf8)) else {
            Issue.record("an unknown field was accepted")
            return
        }
        #expect(unknown.parameter == "x")
    }

    /// Fuzz target `dags` found it: a mapping used as a key trapped in `Yams.load`'s
    /// constructor (`String.construct(from:)!`). The file is now walked as a node tree.
    @Test(
        "YAML keys that are not names are errors, not traps",
        arguments: [
            "dags:\n  big: {schedule: \"every 0_300s\", {scheery 0_300ell:s: 9998}}\n",
            "{[a, b]: 1}\n", "source:\n  {x: 1}: 2\n", "? [1]\n: 2\n", "source:\n  rate: [[1]]\n",
        ])
    func nonNameKeys(yaml: String) {
        var c = PipelineConfiguration()
        do {
            try c.apply(yaml: yaml, origin: "f.yaml")
            _ = c.dagDefinitions(builtins: [])
        } catch {
            #expect(!error.message.isEmpty)
        }
    }

    @Test func scalarsKeepTheTextAsWritten() throws {
        var c = PipelineConfiguration()
        try c.apply(yaml: "source:\n  rate: 500\n  nationalities: [GB, FR]\n  seed: ~\nweb:\n  enabled: no\n", origin: "f.yaml")
        #expect(c.source.rate == 500 && c.source.nationalities.map(\.rawValue) == ["GB", "FR"] && c.source.seed == nil && !c.web.enabled)
        do {
            try c.apply(yaml: "source:\n  rate: 1e20\n", origin: "f.yaml")
            Issue.record("1e20 accepted")
        } catch {
            #expect(error.message.hasSuffix("got 1e20"), "\(error.message)")
        }
    }

    /// Fuzz target `config-yaml`: an empty key (`&a: x` anchors an empty scalar) made an
    /// error that named no key.
    @Test(
        "an error always names a key",
        arguments: [
            "&ata_dir: ./freshet-data\n", "\"\": 1\n", "source:\n  \"\": 1\n",
            // An empty key whose value is a mapping with a complex key (found by CI's fuzz run).
            "\"\":\n  ? [a]\n  : 1\n",
        ])
    func errorsNameAKey(yaml: String) {
        var c = PipelineConfiguration()
        do {
            try c.apply(yaml: yaml, origin: "f.yaml")
            Issue.record("accepted")
        } catch {
            #expect(!error.key.isEmpty)
        }
    }
}
