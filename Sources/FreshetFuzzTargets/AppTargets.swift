import FreshetApp
import FreshetCore
import FreshetKafka
import FreshetScheduler
import FreshetStream
import FreshetWeb

extension FuzzTargets {
    /// What a user types: the configuration file, environment and flags, broker and store
    /// URLs, web API parameters, a DAG run's conf, DAG definitions.
    static let app: [FuzzTarget] = [
        FuzzTarget("config-yaml", "PipelineConfiguration.apply(yaml:), then validate() and the DAG definitions, as freshet up does", maxLength: 16 * 1024) {
            bytes in
            var configuration = PipelineConfiguration()
            do throws(ConfigurationError) {
                try configuration.apply(yaml: String(decoding: bytes, as: UTF8.self), origin: "fuzz.yaml")
                try configuration.validate()
            } catch {
                FuzzCheck.expect(!error.key.isEmpty, "a configuration error names no key: \(error)")
                return
            }
            _ = configuration.dagDefinitions(builtins: [DAG.userAutomation()])
            _ = configuration.yaml()
        },
        FuzzTarget(
            "config-key", "PipelineConfiguration.set(_:to:origin:) and apply(environment:): the first byte picks a key, the rest is its value", maxLength: 1024
        ) { bytes in
            var input = FuzzInput(bytes)
            let names = PipelineConfiguration.keyNames
            let name = names[Int(input.byte()) % names.count]
            let value = String(decoding: input.rest(), as: UTF8.self)
            var configuration = PipelineConfiguration()
            if (try? configuration.set(name, to: value, origin: "--fuzz")) != nil {
                _ = try? configuration.validate()
                // What was accepted prints and reads back as the same configuration.
                var again = PipelineConfiguration()
                _ = try? again.apply(yaml: configuration.yaml(), origin: "print")
                _ = configuration.yaml()
            }
            var fromEnvironment = PipelineConfiguration()
            let variable = "FRESHET_" + name.uppercased().map { $0 == "." ? "_" : $0 }
            _ = try? fromEnvironment.apply(environment: [variable: value])
        },
        FuzzTarget(
            "urls", "broker, store, metadata and source URLs through the configuration's checks and the Kafka, Cassandra and PostgreSQL URL parsers",
            maxLength: 2048
        ) { bytes in
            var input = FuzzInput(bytes)
            let choice = input.byte()
            let text = String(decoding: input.rest(), as: UTF8.self)
            let schemes = ["", "kafka://", "cassandra://", "postgres://", "postgresql://", "sqlite://", "http://", "https://"]
            let url = schemes[Int(choice) % schemes.count] + text
            var configuration = PipelineConfiguration()
            for key in ["broker.url", "store.url", "metadata.url", "source.url"] {
                _ = try? configuration.set(key, to: url, origin: "--fuzz")
            }
            if url.hasPrefix("kafka://") { _ = try? KafkaClientConfiguration(url: url) }
            _ = configuration.storePath
            _ = redact(url)
        },
        FuzzTarget(
            "web-query", "the JSON API's query parameters (WebQuery): a raw query string to users, messages and runs parameters, and a topic name",
            maxLength: 8 * 1024
        ) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let parameters = WebQuery.Parameters(query: text)
            if case .success(let page) = WebQuery.users(parameters) {
                FuzzCheck.expect((1...1000).contains(page.limit), "users limit out of range: \(page.limit)")
            }
            if case .success(let limit) = WebQuery.messages(parameters) {
                FuzzCheck.expect((1...500).contains(limit), "messages limit out of range: \(limit)")
            }
            _ = WebQuery.runs(parameters)
            _ = WebQuery.topic(text)
        },
        FuzzTarget(
            "dag-conf", "a DAG run's conf as POST /api/dags/{dag}/runs receives it (RunConf.parse), applied to the DAG (DAG.applying(conf:))", maxLength: 4096
        ) { bytes in
            guard case .success(let conf) = RunConf.parse(bytes) else { return }
            guard let dag = try? DAG.userAutomation().applying(conf: conf) else { return }
            for task in dag.tasks {
                if case .stream(let duration, let rate) = task.kind {
                    FuzzCheck.expect(ConfigRange.runDuration.contains(duration), "stream duration out of range: \(duration)")
                    FuzzCheck.expect(rate.map { ConfigRange.rate.contains($0) } ?? true, "stream rate out of range: \(rate ?? 0)")
                }
            }
        },
        FuzzTarget("dags", "the configuration file's dags: section (YAML) to DAGDefinitions", maxLength: 16 * 1024) { bytes in
            var configuration = PipelineConfiguration()
            let text = "dags:\n" + String(decoding: bytes, as: UTF8.self)
            guard (try? configuration.apply(yaml: text, origin: "fuzz.yaml")) != nil else { return }
            let definitions = configuration.dagDefinitions(builtins: [DAG.userAutomation()])
            for dag in definitions.dags {
                for task in dag.tasks {
                    let policy = dag.retryPolicy(for: task)
                    FuzzCheck.expect(ConfigRange.retries.contains(policy.retries), "retries out of range: \(policy.retries)")
                    _ = policy.delay(beforeRetry: policy.retries)
                }
            }
        },
    ]
}
