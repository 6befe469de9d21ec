import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetTesting
import Logging
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Reads what a finished `freshet up` left in a data directory: every record of a topic.
func records(in dataDir: String, topic: String) async throws -> [ConsumerRecord] {
    var config = EmbeddedBrokerConfig(dataDirectory: dataDir, durability: .none)
    config.readOnly = true
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    config.logger = logger
    return try await EmbeddedBroker.withBroker(config) { broker in
        guard try await broker.listTopics().contains(topic) else { return [] }
        var all: [ConsumerRecord] = []
        for p in try await broker.describeTopic(topic).partitions {
            var offset = p.earliestOffset
            while offset < p.latestOffset {
                let r = try await broker.fetch(topic: topic, partition: p.partition, offset: offset, maxRecords: 10_000, maxBytes: 64 << 20, maxWait: .zero)
                all += r.records
                offset = r.nextOffset
            }
        }
        return all
    }
}

/// Every row of the store, paged by id.
func storedRows(in dataDir: String) async throws -> [CreatedUserRow] {
    try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dataDir), readOnly: true)) { store in
        var rows: [CreatedUserRow] = []
        var cursor: String?
        while true {
            let page = try await store.users(limit: 1000, after: cursor)
            if page.isEmpty { break }
            rows += page
            cursor = page.last?.id
        }
        return rows
    }
}

func tempDataDir() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-e2e-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("freshet up, end to end", .serialized)
struct PipelineE2ETests {
    @Test func boundedRunStoresEveryDistinctIdWithCorrectDerivedColumns() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await runFreshet(["up", "--no-cql", "--no-web", "--count", "3000", "--rate", "100000", "--seed", "e2e", "--data-dir", dir])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("3000 rows stored"))

        let log = try await records(in: dir, topic: "users_created")
        let messages = try log.map { try UserCreated.decode($0.value) }
        let produced = Set(messages.map(\.id))
        #expect(log.count == 3000)
        let rows = try await storedRows(in: dir)
        #expect(rows.count == produced.count)
        #expect(Set(rows.map(\.id)) == produced)

        // Derived columns against an independent computation (Foundation's calendar).
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for message in messages.shuffled().prefix(200) {
            let row = try #require(byID[message.id])
            let registered = try #require(iso.date(from: message.registeredDate))
            let dob = try #require(iso.date(from: message.dob))
            let parts = calendar.dateComponents([.year, .month, .day], from: registered)
            #expect(row.year == String(parts.year!))
            #expect(row.month == String(parts.month!))
            #expect(row.day == String(parts.day!))
            #expect(row.age == calendar.dateComponents([.year], from: dob, to: registered).year!)
            #expect(row.country == message.address.components(separatedBy: ", ").last!)
            #expect(row.emailDomain == message.email.split(separator: "@").last!.lowercased())
            #expect(row.firstName == message.firstName && row.address == message.address && row.postCode == message.postCode)
            #expect(row.nat == message.nat)
        }

        // The live counts saw every record exactly once.
        let windows = try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) {
            try await $0.windowCounts(dimension: "total", since: 0)
        }
        #expect(windows.map(\.count).reduce(0, +) == 3000)
        #expect(try await records(in: dir, topic: "users_created.dlq").isEmpty)
    }

    @Test func noSecretFieldLandsOnDisk() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await RunningFreshet(["api", "serve", "--port", "0"], readyMarker: "listening on")
        defer { server.sendTerminate() }
        let url = try #require(server.readyLine.split(separator: " ").first { $0.hasPrefix("http://") })
        let result = try await runFreshet([
            "up", "--no-cql", "--no-web", "--source", String(url), "--seed", "secrets", "--count", "1000", "--batch-size", "250", "--rps", "100", "--data-dir",
            dir,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await storedRows(in: dir).count == 1000)

        // The secrets the server sent for these four pages.
        let generator = RandomUserGenerator(referenceDate: .now())
        var secrets = Set<String>()
        for page in 1...4 {
            for index in 0..<250 {
                let s = generator.secrets(seedHash: SplitMix64.hash("secrets"), page: page, index: index)
                secrets.formUnion([s.salt, s.md5, s.sha1, s.sha256])
            }
        }
        // They are what the server really sent (so a leak would be caught).
        let (body, _) = try await URLSession.shared.data(from: URL(string: "\(url)?results=250&seed=secrets&page=3")!)
        let sent = try RandomUserResponse.decode(Array(body))
        #expect(sent.results.count == 250)
        let rawLogin = try #require(try JSONParser.parse(Array(body)).objectValue?["results"]?.arrayValue?[17].objectValue?["login"]?.objectValue)
        #expect(secrets.contains(try #require(rawLogin["sha256"]?.stringValue)))
        #expect(secrets.contains(try #require(rawLogin["salt"]?.stringValue)))

        var scanned = 0
        let enumerator = try #require(FileManager.default.enumerator(atPath: dir))
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            let full = dir + "/" + path
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
            let text = String(decoding: bytes, as: UTF8.self)
            scanned += 1
            for key in ["\"password\"", "\"salt\"", "\"md5\"", "\"sha1\"", "\"sha256\""] { #expect(!text.contains(key), "\(key) in \(path)") }
            // Secrets are alphanumeric runs: compare whole tokens, once per file.
            var tokens = Set<String>()
            var current: [UInt8] = []
            for byte in bytes {
                if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) {
                    current.append(byte)
                } else if !current.isEmpty {
                    if current.count >= 8 { tokens.insert(String(decoding: current, as: UTF8.self)) }
                    current.removeAll(keepingCapacity: true)
                }
            }
            if current.count >= 8 { tokens.insert(String(decoding: current, as: UTF8.self)) }
            let leaked = tokens.intersection(secrets)
            #expect(leaked.isEmpty, "\(leaked.count) secrets from the API are in \(path)")
        }
        #expect(scanned >= 4)
    }

    /// SIGKILL at 20 random points (the seed is printed: `FRESHET_TEST_SEED=<seed>` replays
    /// the same points), then a bounded run: every person of the source stored once, every
    /// record of the log counted once in the windows, every dashboard counter equal to what the
    /// rows say.
    @Test func sigkillAtRandomPointsLosesAndDuplicatesNothing() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seed = ProcessInfo.processInfo.environment["FRESHET_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(Int64.max))
        print("sigkillAtRandomPoints: FRESHET_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let arguments = [
            "up", "--no-cql", "--count", "20000", "--rate", "10000", "--seed", "crash", "--no-web", "--no-scheduler", "--no-registry", "--data-dir", dir,
        ]
        var kills = 0
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = try freshetExecutable()
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(random.inRange(150...1200)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            _ = await waitForExit(of: process)
        }
        // Later runs have less left to do and may finish before their kill; most must not.
        #expect(kills >= 10, "only \(kills) of 20 runs were killed mid-flight (FRESHET_TEST_SEED=\(seed))")
        let final = try await runFreshet(arguments)
        #expect(final.status == 0, "\(final.stderr)")

        // Every person of the seed, exactly once.
        let generator = RandomUserGenerator(referenceDate: .now())
        let expected = Set((1...20).flatMap { generator.page(seed: "crash", page: $0, results: 1000).map(\.login.uuid) })
        let rows = try await storedRows(in: dir)
        #expect(rows.count == 20_000, "FRESHET_TEST_SEED=\(seed)")
        #expect(Set(rows.map(\.id)) == expected, "FRESHET_TEST_SEED=\(seed)")
        // Rows = distinct ids of the log; every record of the log counted once in the windows
        // (none is late: ingest times only grow within a partition); every counter as the rows say.
        let logRecords = try await records(in: dir, topic: "users_created")
        let logIDs = Set(logRecords.compactMap { try? UserCreated.decode($0.value).id })
        #expect(logIDs == expected, "FRESHET_TEST_SEED=\(seed)")
        try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { store in
            do {
                try await SinkContract.checkInvariants(store, rows: logIDs.count, countedRecords: logRecords.count, "after \(kills) kills")
            } catch {
                Issue.record("\(error) (FRESHET_TEST_SEED=\(seed))")
            }
            // The same counters computed from the rows with SQL, by SQLite itself (Python's sqlite3).
            let script = """
                import json, sqlite3, sys
                db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
                q = lambda sql: {str(k): v for k, v in db.execute(sql)}
                print(json.dumps({"total": q("SELECT '', COUNT(*) FROM created_users"),
                    "gender": q("SELECT gender, COUNT(*) FROM created_users GROUP BY gender"),
                    "country": q("SELECT country, COUNT(*) FROM created_users GROUP BY country"),
                    "email_domain": q("SELECT email_domain, COUNT(*) FROM created_users GROUP BY email_domain"),
                    "month": q("SELECT substr(registered_date, 1, 7), COUNT(*) FROM created_users GROUP BY 1")}))
                """
            let sql = try await runTool("python3", ["-c", script, SQLiteStore.path(dataDirectory: dir)])
            let computed = try JSONParser.parse(sql.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue
            func fromSQL(_ key: String) -> [String: Int] {
                Dictionary(uniqueKeysWithValues: (computed?[key]?.objectValue?.members ?? []).compactMap { m in m.value.intValue.map { (m.key, $0) } })
            }
            func counters(_ labeled: [LabeledCount]) -> [String: Int] { Dictionary(uniqueKeysWithValues: labeled.map { ($0.label, $0.count) }) }
            let total = try await store.totalUsers()
            let genders = try await store.countsByGender()
            let countries = try await store.topCountries(limit: 1000)
            let domains = try await store.topEmailDomains(limit: 1000)
            let months = try await store.registrationsPerMonth()
            #expect(!fromSQL("gender").isEmpty, "no SQL result: \(sql.stdoutText) \(sql.stderr)")
            #expect(fromSQL("total") == ["": total], "FRESHET_TEST_SEED=\(seed)")
            #expect(fromSQL("gender") == counters(genders), "FRESHET_TEST_SEED=\(seed)")
            #expect(fromSQL("country") == counters(countries), "FRESHET_TEST_SEED=\(seed)")
            #expect(fromSQL("email_domain") == counters(domains), "FRESHET_TEST_SEED=\(seed)")
            #expect(fromSQL("month") == counters(months), "FRESHET_TEST_SEED=\(seed)")
            // The positions are the log's ends: nothing left to process, nothing past the log.
            let ends = Dictionary(grouping: logRecords, by: \.partition).mapValues { ($0.map(\.offset).max() ?? -1) + 1 }
            let positions = try await store.positions(topic: "users_created")
            #expect(positions == ends, "FRESHET_TEST_SEED=\(seed)")
        }
    }

    /// SIGKILL while a large store transaction is open: a backlog of 100,000 people is in the
    /// log before `freshet up` starts (with a 64 MiB transaction budget), so its polls come back
    /// full and are streamed into one SQLite transaction open across polls. The processor logs
    /// (debug) "streaming a store transaction across polls" when it opens one, and "writing a
    /// store transaction" with the records and the positions it ends at before its last apply
    /// and commit; the test kills at once at one of them (rounds 0 and 1: the first or second
    /// "writing" line, with tens of thousands of rows applied and uncommitted; round 2: the
    /// first "streaming" line, the first poll being applied) and proves the transaction was
    /// open (the store did not reach those positions) at least once. Then a bounded run: every
    /// record of the log stored once, every counter as the rows say, the positions are the
    /// log's ends.
    @Test func sigkillDuringALargeStoreTransactionLosesAndDuplicatesNothing() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let generator = RandomUserGenerator(referenceDate: .now())
        var backlog: [UInt8] = []
        for page in 1...100 {
            for person in generator.page(seed: "big-tx", page: page, results: 1000) { backlog += UserCreated(person).jsonBytes() + [0x0A] }
        }
        let produced = try await runFreshet(["produce", "users_created", "--key-field", "id", "--data-dir", dir], stdin: Data(backlog), timeout: 600)
        #expect(produced.status == 0, "\(produced.stderr)")

        let arguments = ["up", "--no-cql", "--no-web", "--no-scheduler", "--source", "none", "--data-dir", dir]
        var openWhenKilled = 0
        var largest = 0
        for round in 0..<3 {
            let logFile = dir + "/up-\(round).log"
            // A byte budget past the default (8 MiB), so that the record (50,000) or time limit
            // ends the transactions: as large as the processor makes them.
            let environment = ["FRESHET_LOG_LEVEL": "debug", "FRESHET_PROCESSOR_MAX_TRANSACTION_BYTES": "\(64 << 20)"]
            let up = try await RunningFreshet(arguments, readyMarker: "pipeline running", environment: environment, stderrFile: logFile)
            // Kill at the first transaction line, or the second (some transactions commit first).
            let wanted = round == 1 ? 2 : 1
            let marker = round == 2 ? "streaming a store transaction across polls" : "writing a store transaction"
            var line: Substring?
            // A hang guard, not a timing check.
            let deadline = ContinuousClock.now + .seconds(300)
            while line == nil, up.process.isRunning, ContinuousClock.now < deadline {
                let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                let lines = text.split(separator: "\n").filter { $0.contains(marker) }
                if lines.count >= wanted { line = lines[wanted - 1] } else { try await Task.sleep(for: .milliseconds(2)) }
            }
            await up.kill()
            guard let line else {
                Issue.record(
                    "round \(round): no store transaction was logged; log: \((try? String(contentsOfFile: logFile, encoding: .utf8))?.suffix(2000) ?? "")")
                continue
            }
            // "… records=20000 … to=0:6711,1:6650,2:6639 …"
            func field(_ name: String) -> String? {
                line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
            }
            let records = field("records").flatMap(Int.init) ?? 0
            if round < 2 { largest = max(largest, records) }
            let ends = Dictionary(
                uniqueKeysWithValues: (field("to") ?? "").split(separator: ",").compactMap { part -> (Int32, Int64)? in
                    let pair = part.split(separator: ":")
                    guard pair.count == 2, let p = Int32(pair[0]), let o = Int64(pair[1]) else { return nil }
                    return (p, o)
                })
            #expect(!ends.isEmpty, "cannot read the transaction's end positions from: \(line)")
            let stored = try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) {
                try await $0.positions(topic: "users_created")
            }
            if ends.contains(where: { (stored[$0.key] ?? 0) < $0.value }) { openWhenKilled += 1 }
        }
        print("sigkillDuringALargeStoreTransaction: \(openWhenKilled) of 3 kills while the logged transaction was open; largest \(largest) records")
        // Transactions larger than one poll (5,000 records), and at least one of them killed
        // before its commit.
        #expect(largest > 5_000, "largest transaction seen: \(largest) records")
        #expect(openWhenKilled >= 1, "no kill landed while the logged transaction was open")

        let final = try await runFreshet(
            ["up", "--no-cql", "--no-web", "--no-scheduler", "--count", "1", "--seed", "big-tx-after", "--data-dir", dir], timeout: 600)
        #expect(final.status == 0, "\(final.stderr)")
        let logRecords = try await records(in: dir, topic: "users_created")
        #expect(logRecords.count == 100_001)
        let logIDs = Set(logRecords.compactMap { try? UserCreated.decode($0.value).id })
        let rows = try await storedRows(in: dir)
        #expect(rows.count == logIDs.count)
        #expect(Set(rows.map(\.id)) == logIDs)
        try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { store in
            try await SinkContract.checkInvariants(store, rows: logIDs.count, countedRecords: logRecords.count, "after killing large transactions")
            let ends = Dictionary(grouping: logRecords, by: \.partition).mapValues { ($0.map(\.offset).max() ?? -1) + 1 }
            #expect(try await store.positions(topic: "users_created") == ends)
        }
    }

    @Test func sigtermDrainsCommitsAndExitsZero() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await RunningFreshet(
            ["up", "--no-cql", "--no-web", "--rate", "2000", "--seed", "term", "--data-dir", dir], readyMarker: "pipeline running")
        try await Task.sleep(for: .seconds(2))
        #expect(up.process.isRunning)
        #expect(await up.stop() == 0)  // SIGTERM

        // What was processed is committed exactly as far as the store has it: nothing to replay.
        var config = EmbeddedBrokerConfig(dataDirectory: dir, durability: .none)
        config.readOnly = true
        let committed = try await EmbeddedBroker.withBroker(config) { try await $0.committedOffsets(group: "freshet-processor") }
        let positions = try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) {
            try await $0.positions(topic: "users_created")
        }
        #expect(!positions.isEmpty)
        for (partition, next) in positions {
            #expect(committed[TopicPartition("users_created", partition)] == next)
        }
        let rows = try await storedRows(in: dir)
        #expect(!rows.isEmpty)  // some progress; the point is what follows
        // A restart picks up the rest of the log and stores it all.
        let rest = try await runFreshet(["up", "--no-cql", "--no-web", "--count", "1", "--seed", "term-2", "--data-dir", dir])
        #expect(rest.status == 0, "\(rest.stderr)")
        let log = try await records(in: dir, topic: "users_created")
        let ids = Set(try log.map { try UserCreated.decode($0.value).id })
        #expect(Set(try await storedRows(in: dir).map(\.id)) == ids)
    }

    @Test func badRecordsGoToTheDeadLetterTopicAndTheRunCompletes() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = RandomUserGenerator(referenceDate: .now()).page(seed: "dlq", page: 1, results: 100).map(UserCreated.init)
        var input: [UInt8] = []
        var expectedCodes: [String] = []
        for (i, message) in good.enumerated() {
            input += message.jsonBytes() + [0x0A]
            if let bad = BadRecords.all[safe: i] {
                input += bad.1 + [0x0A]
                expectedCodes.append(bad.2.rawValue)
            }
        }
        let produced = try await runFreshet(["produce", "users_created", "--data-dir", dir], stdin: Data(input))
        #expect(produced.status == 0, "\(produced.stderr)")
        let result = try await runFreshet(["up", "--no-cql", "--no-web", "--count", "10", "--rate", "1000", "--seed", "after", "--data-dir", dir])
        #expect(result.status == 0, "\(result.stderr)")

        let rows = Set(try await storedRows(in: dir).map(\.id))
        #expect(rows.count == 110)
        #expect(Set(good.map(\.id)).isSubset(of: rows))
        let dlq = try await runFreshet(["dlq", "list", "-n", "100", "--json", "--data-dir", dir])
        #expect(dlq.status == 0, "\(dlq.stderr)")
        let codes = try dlq.stdoutText.split(separator: "\n").map { line -> String in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["reason"] as? String)?.isEmpty == false)
            #expect(object["source_topic"] as? String == "users_created")
            return try #require(object["code"] as? String)
        }
        #expect(codes.sorted() == expectedCodes.sorted())
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
