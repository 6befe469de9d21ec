import Foundation
import FreshetCore
import FreshetTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `--format avro` end to end, from outside (issue #17): the embedded default against a JSON run
/// of the same seed, and on Kafka (Tansu) against clients no one here wrote — confluent-kafka's
/// `AvroSerializer` and `AvroDeserializer` with their `SchemaRegistryClient` pointed at a
/// Freshet registry (`Tests/FreshetRegistryTests/Python/avro_client.py`).
@Suite("Avro on users_created, end to end", .serialized)
struct AvroEndToEndTests {
    static let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/FreshetRegistryTests/Python/avro_client.py").path
    /// Short group timeouts: Tansu completes a join after session.timeout.ms / 2.
    static func kafka(_ tansu: TansuBroker) -> String { tansu.url + "?session_timeout_ms=6000" }

    /// The values of `freshet consume users_created --json` by person id, and each line's
    /// `schema_id` (nil on a JSON topic).
    static func consumed(_ arguments: [String]) async throws -> (values: [String: [String: String]], schemaIDs: Set<Int?>) {
        let result = try await runFreshet(["consume", "users_created", "--from", "earliest", "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        var values: [String: [String: String]] = [:]
        var schemaIDs: Set<Int?> = []
        for line in result.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(record["value_error"] == nil, "\(line)")
            // A JSON topic's value is the message's text; an Avro one's is the decoded object.
            let value: Any? =
                if let text = record["value"] as? String { try JSONSerialization.jsonObject(with: Data(text.utf8)) } else { record["value"] }
            let fields = try #require(value as? [String: Any], "\(line)")
            let strings = fields.compactMapValues { $0 as? String }
            values[try #require(strings["id"])] = strings
            schemaIDs.insert(record["schema_id"] as? Int)
        }
        return (values, schemaIDs)
    }

    /// `/api/stats`' `users` of `freshet serve` over a data directory, without `recent` (the
    /// newest rows by ingest time, which differs between two runs).
    static func dashboardUsers(_ dir: String) async throws -> NSDictionary {
        let serve = try await RunningFreshet(["serve", "--no-cql", "--web-port", "0", "--data-dir", dir], readyMarker: "web UI listening on")
        defer { serve.sendTerminate() }
        let (body, _) = try await URLSession.shared.data(from: URL(string: try webURL(serve) + "api/stats")!)
        let stats = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        var users = try #require(stats["users"] as? [String: Any])
        #expect((users["recent"] as? [Any])?.isEmpty == false)
        users["recent"] = nil
        #expect(await serve.stop() == 0)
        return users as NSDictionary
    }

    /// `freshet up --format avro` on the embedded log and a JSON run with the same seed and
    /// count: the same dashboard numbers and `users count`, and `consume --json` shows the Avro
    /// records as JSON objects (with their schema id) equal field for field to the JSON run's.
    @Test func embeddedAvroRunMatchesAJSONRunOfTheSameSeed() async throws {
        let avro = tempDataDir()
        let json = tempDataDir()
        defer {
            try? FileManager.default.removeItem(atPath: avro)
            try? FileManager.default.removeItem(atPath: json)
        }
        let common = ["up", "--no-cql", "--web-port", "0", "--no-scheduler", "--count", "2000", "--rate", "100000", "--seed", "avro-e2e"]
        let avroRun = try await runFreshet(common + ["--format", "avro", "--registry-port", "0", "--data-dir", avro])
        #expect(avroRun.status == 0, "\(avroRun.stderr)")
        #expect(avroRun.stdoutText.contains("schema registry listening on http://127.0.0.1:"), "\(avroRun.stdoutText)")
        #expect(avroRun.stdoutText.contains("2000 rows stored, 0 dead letters"), "\(avroRun.stdoutText)")
        let jsonRun = try await runFreshet(common + ["--data-dir", json])
        #expect(jsonRun.status == 0, "\(jsonRun.stderr)")

        let avroUsers = try await Self.dashboardUsers(avro)
        #expect(avroUsers["total"] as? Int == 2000)
        #expect(avroUsers == (try await Self.dashboardUsers(json)))
        let avroCount = try await runFreshet(["users", "count", "--data-dir", avro])
        let jsonCount = try await runFreshet(["users", "count", "--data-dir", json])
        #expect(avroCount.status == 0, "\(avroCount.stderr)")
        #expect(avroCount.stdoutText.hasPrefix("2000 users"), "\(avroCount.stdoutText)")
        #expect(avroCount.stdoutText == jsonCount.stdoutText)

        let fromAvro = try await Self.consumed(["--data-dir", avro])
        let fromJSON = try await Self.consumed(["--data-dir", json])
        #expect(fromAvro.values.count == 2000)
        #expect(fromAvro.schemaIDs == [1], "every Avro record carries the users_created-value id")
        #expect(fromJSON.schemaIDs == [nil])
        #expect(fromAvro.values == fromJSON.values)
    }

    /// A restarted `freshet up --format avro` over the same data directory finds its schema in
    /// `_schemas` under the same id: the first run's records still decode, the second run's carry
    /// the same id, and nothing is dead-lettered.
    @Test func restartedAvroRunKeepsTheSchemaID() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for seed in ["avro-restart-1", "avro-restart-2"] {
            let run = try await runFreshet(
                [
                    "up", "--format", "avro", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--count", "500", "--rate", "100000",
                    "--seed", seed, "--data-dir", dir,
                ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdoutText.contains("500 rows stored, 0 dead letters"), "\(run.stdoutText)")
        }
        let consumed = try await Self.consumed(["--data-dir", dir])
        #expect(consumed.values.count == 1000)
        #expect(consumed.schemaIDs == [1])
        let versions = try await runFreshet(["consume", "_schemas", "--from", "earliest", "--data-dir", dir])
        #expect(versions.status == 0, "\(versions.stderr)")
        #expect(versions.stdoutText.split(separator: "\n").count == 1, "one SCHEMA record, not one per run: \(versions.stdoutText)")
    }

    /// confluent-kafka's AvroDeserializer, with its SchemaRegistryClient on `freshet serve`'s
    /// registry over the cluster's `_schemas`, reads what `freshet up --format avro --broker
    /// kafka://…` produced: field for field the JSON `freshet fetch` gives for the same seed.
    @Test func avroDeserializerReadsWhatUpProducedOnKafka() async throws {
        try await TansuBroker.with { tansu in
            let dir = tempDataDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let count = 1000
            let up = try await runFreshet(
                [
                    "up", "--broker", Self.kafka(tansu), "--format", "avro", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler",
                    "--count", "\(count)", "--rate", "100000", "--seed", "avro-kafka", "--data-dir", dir,
                ], timeout: 120)
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stdoutText.contains("\(count) rows stored, 0 dead letters"), "\(up.stdoutText)")
            let serve = try await RunningFreshet(
                ["serve", "--broker", tansu.url, "--registry-port", "0", "--web-port", "0", "--no-cql", "--data-dir", dir],
                readyMarker: "schema registry listening on")
            defer { serve.sendTerminate() }
            let registry = try await SchemaRegistryCLITests.url(serve)

            let read = try await runTool("python3", [Self.script, "consume", tansu.bootstrap, registry, "\(count)"], timeout: 120)
            #expect(read.status == 0, "\(read.stderr)")
            var decoded: [String: [String: String]] = [:]
            var schemaIDs: Set<Int> = []
            for line in read.stdoutText.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                schemaIDs.insert(try #require(object["_schema_id"] as? Int))
                decoded[try #require(object["id"] as? String)] = object.compactMapValues { $0 as? String }
            }
            #expect(schemaIDs == [1])

            let fetch = try await runFreshet(["fetch", "--seed", "avro-kafka", "--count", "\(count)"])
            #expect(fetch.status == 0, "\(fetch.stderr)")
            var expected: [String: [String: String]] = [:]
            for line in fetch.stdoutText.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                expected[try #require(object["id"] as? String)] = object.compactMapValues { $0 as? String }
            }
            #expect(expected.count == count)
            #expect(decoded == expected)
        }
    }

    /// confluent-kafka's AvroSerializer, with its SchemaRegistryClient on `freshet serve`'s
    /// registry, produces people with the users_created schema Freshet registered and with an
    /// evolved one (an added optional field with a default), then three bad values; `freshet
    /// process --format avro` — reading the cluster's `_schemas` in-process, or with
    /// `--registry URL` a client of serve's registry (mode 2) — stores the 40 people next to the
    /// 10 `freshet up` stored, dead-letters the three with their reasons, and stays up.
    @Test(arguments: [false, true])
    func avroSerializerRecordsAreStoredAndBadOnesDeadLettered(externalRegistry: Bool) async throws {
        try await TansuBroker.with { tansu in
            let dir = tempDataDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // Freshet registers users_created-value (id 1) and stores 10 people of its own.
            let up = try await runFreshet(
                [
                    "up", "--broker", Self.kafka(tansu), "--format", "avro", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler",
                    "--count", "10", "--rate", "100000", "--seed", "avro-serializer", "--data-dir", dir,
                ], timeout: 120)
            #expect(up.status == 0, "\(up.stderr)")
            let serve = try await RunningFreshet(
                ["serve", "--broker", tansu.url, "--registry-port", "0", "--web-port", "0", "--no-cql", "--data-dir", dir],
                readyMarker: "schema registry listening on")
            defer { serve.sendTerminate() }
            let registry = try await SchemaRegistryCLITests.url(serve)

            let produced = try await runTool("python3", [Self.script, "produce", tansu.bootstrap, registry], timeout: 120)
            #expect(produced.status == 0, "\(produced.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: produced.stdout) as? [String: Any])
            let people = try #require(report["people"] as? [[String: String]])
            #expect(people.count == 40)
            #expect(report["ids"] as? [Int] == [1, 2], "the evolved schema is a new version, accepted")

            let process = try await RunningFreshet(
                ["process", "--broker", Self.kafka(tansu), "--format", "avro", "--no-web", "--no-cql", "--data-dir", dir]
                    + (externalRegistry ? ["--registry", registry] : []),
                readyMarker: "pipeline running")
            defer { process.sendKill() }
            try await eventually("50 people stored", within: .seconds(60)) { await KafkaPipelineTests.rowCount(dir) >= 50 }
            let letters = try await Self.deadLetters(tansu, count: 3)
            #expect(await process.stop() == 0, "process did not stop cleanly")

            let rows = try await storedRows(in: dir)
            #expect(rows.count == 50)
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
            for person in [people[0], people[19], people[20], people[39]] {
                let row = try #require(byID[person["id"]!], "\(person["id"]!) not stored")
                #expect(row.firstName == person["first_name"])
                #expect(row.email == person["email"])
                #expect(row.dob == person["dob"])
                #expect(row.registeredDate == person["registered_date"])
                #expect(row.emailDomain == "example.org")
            }
            #expect(letters.compactMap { $0["code"] as? String }.sorted() == ["avro_decode_failed", "not_avro", "unknown_schema_id"], "\(letters)")
            let unknown = letters.first { $0["code"] as? String == "unknown_schema_id" }
            #expect((unknown?["reason"] as? String)?.contains("987654") == true, "\(letters)")
            // consume shows the serializer's records decoded (the evolved ones with their added
            // field) and the bad frames raw with the reason.
            let consumed = try await runFreshet(["consume", "users_created", "--from", "earliest", "--json", "--broker", tansu.url])
            #expect(consumed.status == 0, "\(consumed.stderr)")
            let lines = try consumed.stdoutText.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            #expect(lines.count == 53)
            // A value that is not Confluent-framed is shown as it is (consume knows no topic format).
            #expect(lines.filter { $0["value_error"] != nil }.compactMap { $0["schema_id"] as? Int }.sorted() == [1, 987_654], "\(consumed.stdoutText)")
            let evolved = try #require(lines.first { ($0["value"] as? String)?.contains(people[39]["id"]!) == true })
            #expect(evolved["schema_id"] as? Int == 2)
            let evolvedValue = try JSONSerialization.jsonObject(with: Data(((evolved["value"] as? String) ?? "").utf8)) as? [String: Any]
            #expect(evolvedValue?["cell"] as? String == people[39]["cell"], "\(evolved)")
            let notAvro = letters.first { $0["code"] as? String == "not_avro" }
            #expect((notAvro?["value"] as? String)?.contains("Ada900") == true, "the JSON bytes are kept: \(letters)")
            #expect(letters.allSatisfy { ($0["reason"] as? String)?.isEmpty == false && $0["source_topic"] as? String == "users_created" }, "\(letters)")
        }
    }

    /// The registry of a running `freshet up`, through curl: a schema that does not parse is 422
    /// with 42201 naming where; a 10 MB schema body is 413 with the limit; the process stays up
    /// and answers the next request.
    @Test func badSchemasGetAClearErrorAndTheRegistryStaysUp() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await RunningFreshet(
            ["up", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--rate", "1", "--data-dir", dir],
            readyMarker: "schema registry listening on")
        defer { up.sendTerminate() }
        let registry = try await SchemaRegistryCLITests.url(up)
        func post(_ body: String) async throws -> (status: Int, body: [String: Any]) {
            let file = dir + "/body-\(UUID().uuidString).json"
            try Data(body.utf8).write(to: URL(fileURLWithPath: file))
            let result = try await runTool(
                "curl",
                [
                    "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/vnd.schemaregistry.v1+json",
                    "--data-binary", "@" + file, registry + "/subjects/users_created-value/versions",
                ])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
            let answer = (try? JSONSerialization.jsonObject(with: Data(lines.dropLast().joined(separator: "\n").utf8))) as? [String: Any]
            return (Int(lines.last ?? "") ?? 0, answer ?? [:])
        }
        func encoded(_ schema: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: ["schema": schema]), as: UTF8.self)
        }

        let unparsable = try await post(try encoded(#"{"type":"record","name":"R","fields":[{"name":"a","type":"strng"}]}"#))
        #expect(unparsable.status == 422)
        #expect(unparsable.body["error_code"] as? Int == 42201, "\(unparsable.body)")
        #expect((unparsable.body["message"] as? String)?.contains("fields[0].type") == true, "\(unparsable.body)")

        let huge = try await post(try encoded(#"{"type":"record","name":"R","doc":""# + String(repeating: "x", count: 10_000_000) + #"","fields":[]}"#))
        #expect(huge.status == 413, "\(huge.body)")
        #expect((huge.body["message"] as? String)?.isEmpty == false, "\(huge.body)")

        let good = try await post(try encoded(#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#))
        #expect(good.status == 200, "\(good.body)")
        #expect(good.body["id"] as? Int == 1, "\(good.body)")
        #expect(up.process.isRunning)
    }

    /// `freshet dlq list --json` on the cluster, once it holds `count` dead letters.
    static func deadLetters(_ tansu: TansuBroker, count: Int) async throws -> [[String: Any]] {
        var letters: [[String: Any]] = []
        try await eventually("\(count) dead letters", within: .seconds(60), every: .milliseconds(500)) {
            let listed = try await runFreshet(["dlq", "list", "--json", "--broker", tansu.url])
            guard listed.status == 0 else { return false }
            letters = try listed.stdoutText.split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            return letters.count >= count
        }
        return letters
    }
}
