import Foundation
import FreshetCore
import FreshetTesting
import Testing

/// Attacks on a live `freshet up`, as a client on loopback (or an unlucky user) would make
/// them: after each one the process must still answer on every interface, keep storing the
/// stream, and its peak resident memory must stay under `HostileInputTests.memoryBudget`.
/// docs/security.md lists what is exposed and the limits these attacks run into.
@Suite("Hostile input against a live freshet up", .serialized)
struct HostileInputTests {
    /// Peak RSS (VmHWM) allowed at any point of the attacks.
    static let memoryBudget = 400 << 20

    /// One attack: what it does, against the running target.
    struct Attack: Sendable {
        let name: String
        let run: @Sendable (Target) async throws -> Void
        init(_ name: String, _ run: @escaping @Sendable (Target) async throws -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// The process under attack and where it listens.
    struct Target: Sendable {
        let up: RunningFreshet
        let webPort: Int
        let cqlPort: Int
        let webCredentials: String  // "user:password", for the DAG API
    }

    /// The configuration of the process under attack: short read/idle timeouts so that slow
    /// and idle connections are seen being shed within the test, web credentials so that the
    /// DAG API's writes are reachable.
    static let configuration = """
        web:
          username: admin
          password: hostile-test-password
          request_timeout: 2s
          idle_timeout: 3s
        cql:
          frame_read_timeout: 2s
          idle_timeout: 3s
          write_timeout: 3s
        """

    @Test func attacksOnTheEndpointsLeaveThePipelineUpAndWithinItsMemory() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A table worth materialising: an unpaged SELECT * of 100,000 rows is ~50 MB.
        let fill = try await runFreshet(
            ["up", "--no-web", "--no-cql", "--count", "100000", "--rate", "1000000", "--seed", "hostile", "--data-dir", dir], timeout: 300)
        #expect(fill.status == 0, "\(fill.stderr)")
        let config = dir + "/freshet.yaml"
        try Self.configuration.write(toFile: config, atomically: true, encoding: .utf8)
        let up = try await RunningFreshet(
            ["up", "--config", config, "--web-port", "0", "--cql-port", "0", "--rate", "200", "--seed", "hostile-live", "--data-dir", dir],
            readyMarker: "web UI listening on", stderrFile: dir + "/up.log")
        defer { up.sendTerminate() }
        let webPort = try #require(Self.port(in: up.readyLine, after: "http://127.0.0.1:"))
        let cqlPort = try #require(Self.port(in: try await up.line(containing: "CQL endpoint listening on"), after: "127.0.0.1:"))
        let target = Target(up: up, webPort: webPort, cqlPort: cqlPort, webCredentials: "admin:hostile-test-password")

        var stored = try await Self.checkAlive(target, after: "start", storedBefore: 0)
        for attack in Self.attacks {
            do {
                try await attack.run(target)
            } catch {
                Issue.record("attack \(attack.name) could not be carried out: \(error)")
            }
            stored = try await Self.checkAlive(target, after: attack.name, storedBefore: stored)
            let memory = try up.memory()
            print("hostile: \(attack.name): RSS \(memory.resident >> 20) MB, peak \(memory.peak >> 20) MB, \(stored) users stored")
            #expect(memory.peak < Self.memoryBudget, "after \(attack.name): peak RSS \(memory.peak >> 20) MB")
        }
        #expect(await up.stop() == 0, "freshet up did not shut down cleanly after the attacks")
    }

    /// Records the processor cannot store, produced into `users_created` before the pipeline
    /// runs: each one becomes a dead letter with its reason (a bounded prefix when it is too
    /// large to fit the dead-letter topic whole), and the good records behind them are stored —
    /// in this run and in every run after it.
    @Test func poisonPillsAreDeadLetteredAndTheRecordsBehindThemStored() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try await runFreshet(["fetch", "--count", "500", "--seed", "before-the-pills", "--quiet"])
        let after = try await runFreshet(["fetch", "--count", "500", "--seed", "after-the-pills", "--quiet"])
        #expect(before.status == 0 && after.status == 0)
        let almostOneMiB = (1 << 20) - 512
        let validPerson = String(decoding: before.stdout.split(separator: UInt8(ascii: "\n")).first ?? [], as: UTF8.self)
        let pills: [(String, [UInt8])] = [
            ("not JSON, just under the record limit", Array("{".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: almostOneMiB)),
            (
                "a person with a 1 MiB first_name",
                Array(
                    validPerson.replacingOccurrences(
                        of: "\"first_name\":\"", with: "\"first_name\":\"" + String(repeating: "y", count: almostOneMiB - validPerson.utf8.count)
                    ).utf8)
            ),
            ("200,000 nested arrays", [UInt8](repeating: UInt8(ascii: "["), count: 200_000)),
            ("invalid UTF-8", [0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC0, 0x80, 0x22, 0x7D]),
            ("a lone surrogate in the key field", Array(#"{"id":"\uD800\u0041"}"#.utf8)),
            ("a number with 100,000 digits", Array("{\"id\":".utf8) + [UInt8](repeating: UInt8(ascii: "9"), count: 100_000) + [UInt8(ascii: "}")]),
        ]
        var input = before.stdout
        for (_, pill) in pills { input.append(contentsOf: pill + [UInt8(ascii: "\n")]) }
        input.append(after.stdout)
        let produce = try await runFreshet(["produce", "users_created", "--key-field", "id", "--data-dir", dir], stdin: input)
        #expect(produce.status == 0, "\(produce.stderr)")
        #expect(produce.stderr.contains("produced \(1000 + pills.count) records"), "\(produce.stderr)")

        for (round, expected) in [(1, 1100), (2, 1200)] {
            let up = try await runFreshet(
                ["up", "--no-web", "--no-cql", "--no-scheduler", "--count", "100", "--rate", "100000", "--seed", "pills-\(round)", "--data-dir", dir],
                timeout: 300)
            #expect(up.status == 0, "run \(round): \(up.stderr)")
            let count = try await runFreshet(["users", "count", "--data-dir", dir])
            #expect(count.stdoutText.hasPrefix("\(expected) "), "run \(round): \(count.stdoutText)")
        }
        let dlq = try await runFreshet(["dlq", "list", "-n", "100", "--json", "--data-dir", dir])
        #expect(dlq.status == 0, "\(dlq.stderr)")
        let letters = dlq.stdoutText.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)).objectValue }
        #expect(letters.count == pills.count, "\(letters.count) dead letters for \(pills.count) pills: \(dlq.stdoutText.prefix(2000))")
        for letter in letters {
            #expect(letter["code"]?.stringValue?.isEmpty == false && letter["reason"]?.stringValue?.isEmpty == false, "\(letter.keys)")
            #expect((letter["value"]?.stringValue?.utf8.count ?? 0) <= 1 << 20)
        }
    }

    /// A segment whose middle batch has a corrupt base offset (which the CRC does not cover),
    /// found by a recovery that scans the whole segment (its index, derived data, is gone): the
    /// log is cut at the corrupt batch, and `consume` and `up` work on what is left.
    @Test func aCorruptBaseOffsetOnDiskIsRecoveredFrom() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Three runs, so that every partition's segment holds at least three batches.
        for seed in ["disk-1", "disk-2", "disk-3"] {
            let run = try await runFreshet(
                ["up", "--no-web", "--no-cql", "--no-scheduler", "--count", "600", "--rate", "100000", "--seed", seed, "--data-dir", dir], timeout: 300)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let partition = dir + "/topics/users_created/0/"
        let segment = partition + "00000000000000000000.log"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        func batchSize(at position: Int) -> Int {
            Int(UInt32(bytes[position + 8]) | UInt32(bytes[position + 9]) << 8 | UInt32(bytes[position + 10]) << 16 | UInt32(bytes[position + 11]) << 24) + 12
        }
        let second = batchSize(at: 0)
        try #require(bytes.count > second + batchSize(at: second) + 40, "the segment holds fewer than three batches (\(bytes.count) bytes)")
        for (i, byte) in withUnsafeBytes(of: (Int64.max - 1).littleEndian, Array.init).enumerated() { bytes[second + i] = byte }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        try FileManager.default.removeItem(atPath: partition + "00000000000000000000.index")

        let consume = try await runFreshet(["consume", "users_created", "--from", "earliest", "--max", "5000", "--json", "--data-dir", dir])
        #expect(consume.status == 0, "\(consume.stderr.suffix(1000))")
        let up = try await runFreshet(
            ["up", "--no-web", "--no-cql", "--no-scheduler", "--count", "100", "--rate", "100000", "--seed", "disk-4", "--data-dir", dir], timeout: 300)
        #expect(up.status == 0, "\(up.stderr.suffix(1000))")
        let after = try await runFreshet(["consume", "users_created", "--from", "earliest", "--max", "5000", "--json", "--data-dir", dir])
        #expect(after.status == 0, "\(after.stderr.suffix(1000))")
    }

    /// A "Kafka broker" that answers every request with garbage of one kind: the client fails
    /// with an error naming the problem and exit status 1, never a trap.
    @Test(arguments: GarbageBroker.Reply.allCases)
    func aBrokerThatAnswersGarbageIsAnErrorNotACrash(_ reply: GarbageBroker.Reply) async throws {
        let broker = try GarbageBroker(reply)
        defer { broker.server.stop() }
        let result = try await runFreshet(["topics", "list", "--broker", "kafka://127.0.0.1:\(broker.server.port)?request_timeout_ms=2000"], timeout: 120)
        #expect(result.status == 1, "\(reply): status \(result.status), stderr: \(result.stderr.suffix(500))")
        #expect(result.stderr.contains("error"), "\(reply): \(result.stderr.suffix(500))")
    }

    /// A Random User API that sends a 2 MiB person between ordinary ones: the oversized one is
    /// dead-lettered (or skipped with a metric), the others stored, the run ends normally.
    @Test func anAPIThatSendsAnOversizedPersonDoesNotStopTheSource() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let normal = try Fixtures.bytes("sample-1.json")
        let normalText = String(decoding: normal, as: UTF8.self)
        let huge = Array(normalText.replacingOccurrences(of: "\"first\": \"", with: "\"first\": \"" + String(repeating: "z", count: 2 << 20)).utf8)
        try #require(huge.count > 2 << 20, "the fixture's first name was not found")
        let requests = RequestCounter()
        let api = try RawTCPServer { connection in
            while let request = try? connection.receive(timeout: 30), !request.isEmpty {
                let body = requests.next() == 2 ? huge : normal
                try? connection.send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            }
        }
        defer { api.stop() }
        let up = try await runFreshet(
            [
                "up", "--no-web", "--no-cql", "--no-scheduler", "--source", "http://127.0.0.1:\(api.port)/api/", "--rps", "50", "--batch-size", "1",
                "--count", "3", "--data-dir", dir,
            ], timeout: 120)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(requests.count >= 3)
        let count = try await runFreshet(["users", "count", "--data-dir", dir])
        #expect(count.stdoutText.hasPrefix("1 "), "the fixture's person once: \(count.stdoutText)")
    }

    // MARK: Liveness

    /// The web UI answers, the CQL endpoint answers a new client, and the pipeline stores more
    /// than before. Returns the stored count.
    static func checkAlive(_ target: Target, after attack: String, storedBefore: Int) async throws -> Int {
        #expect(target.up.process.isRunning, "freshet up is not running after \(attack)")
        guard target.up.process.isRunning else { throw CancellationError() }
        let health = try HTTP.get(port: target.webPort, "/healthz")
        #expect(health.status == 200, "/healthz after \(attack): \(health.status)")
        let cql = try CQLWire.connect(port: target.cqlPort)
        let count = try cql.query("SELECT COUNT(*) FROM spark_streams.created_users")
        #expect(count.opcode == CQLWire.result, "COUNT(*) after \(attack): \(count)")
        var stored = storedBefore
        // Generous for a loaded machine: it bounds a stalled pipeline, it does not time one.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            stored = try usersTotal(port: target.webPort)
            if stored > storedBefore { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(stored > storedBefore, "the pipeline stored nothing more after \(attack) (\(stored) users)")
        return stored
    }

    static func usersTotal(port: Int) throws -> Int {
        let stats = try HTTP.get(port: port, "/api/stats", headers: ["Authorization: Basic " + Data("admin:hostile-test-password".utf8).base64EncodedString()])
        guard stats.status == 200, case .object(let root)? = try? JSONParser.parse(stats.body),
            case .object(let users)? = root["users"], case .number(let total)? = users["total"], let n = Int(total)
        else { throw FixtureError(message: "/api/stats answered \(stats.status): \(String(decoding: stats.body.prefix(300), as: UTF8.self))") }
        return n
    }

    static func port(in line: String, after marker: String) -> Int? {
        guard let range = line.range(of: marker) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: The attacks

    static let attacks: [Attack] = cqlAttacks + webAttacks
}

// MARK: - CQL attacks

extension HostileInputTests {
    static let table = "spark_streams.created_users"

    /// Statements that once trapped the parser or the planner, and their neighbours: every
    /// one gets an ERROR frame on its stream and leaves the connection usable.
    static let hostileStatements: [(String, String)] = [
        ("timestamp with 4 fractional digits", "SELECT * FROM \(table) WHERE ingested_at = '2020-01-01 00:00:00.1234'"),
        ("timestamp with 30 fractional digits", "SELECT * FROM \(table) WHERE ingested_at = '2020-01-01 00:00:00.\(String(repeating: "9", count: 30))'"),
        ("timestamp with an offset of 99:99", "SELECT * FROM \(table) WHERE ingested_at = '2020-01-01T00:00:00+99:99'"),
        ("timestamp in year 99999999999", "SELECT * FROM \(table) WHERE ingested_at = '99999999999-01-01'"),
        ("timestamp with month 13 day 45", "SELECT * FROM \(table) WHERE ingested_at = '2020-13-45 25:61:61'"),
        ("timestamp as Int64.max", "SELECT * FROM \(table) WHERE ingested_at = 9223372036854775807"),
        ("integer past Int64", "SELECT * FROM \(table) WHERE ingested_at = 99999999999999999999999999"),
        ("10,000 nested [", "SELECT * FROM \(table) WHERE id = " + String(repeating: "[", count: 10_000)),
        ("10,000 nested (", "SELECT * FROM \(table) WHERE id = " + String(repeating: "(", count: 10_000)),
        ("10,000 nested {", "SELECT * FROM \(table) WHERE id = " + String(repeating: "{", count: 10_000)),
        (
            "10,000 nested frozen<",
            "CREATE TABLE spark_streams.t (id int PRIMARY KEY, x " + String(repeating: "frozen<", count: 10_000) + "int" + String(repeating: ">", count: 10_000)
                + ")"
        ),
        (
            "10,000 nested list<",
            "CREATE TABLE spark_streams.t (id int PRIMARY KEY, x " + String(repeating: "list<", count: 10_000) + "int" + String(repeating: ">", count: 10_000)
                + ")"
        ),
        (
            "10,000 nested tuple<",
            "CREATE TABLE spark_streams.t (id int PRIMARY KEY, x " + String(repeating: "tuple<", count: 10_000) + "int" + String(repeating: ">", count: 10_000)
                + ")"
        ),
        (
            "10,000 nested function calls",
            "SELECT " + String(repeating: "toJson(", count: 10_000) + "id" + String(repeating: ")", count: 10_000) + " FROM \(table)"
        ),
        ("a 10 MB string literal", "SELECT * FROM \(table) WHERE id = '" + String(repeating: "a", count: 10_000_000) + "'"),
    ]

    static let cqlAttacks: [Attack] = [
        Attack("CQL statements that trapped the parser and planner") { target in
            var client = try CQLWire.connect(port: target.cqlPort)
            for (name, statement) in hostileStatements {
                let answer = try client.query(statement)
                #expect(answer.opcode == CQLWire.error || answer.opcode == CQLWire.result, "\(name): \(answer)")
                if answer.opcode == CQLWire.error { #expect(!answer.errorMessage.isEmpty, "\(name): an error without a message") }
                // Still usable, or (for a frame over the size limit) closed with an error first.
                if let supported = try? client.options(), supported.opcode == CQLWire.supported { continue }
                #expect(answer.opcode == CQLWire.error, "\(name): the connection broke without an error")
                _ = try client.reconnect()
            }
        },
        Attack("PREPARE with 65,537 bind markers") { target in
            let client = try CQLWire.connect(port: target.cqlPort)
            let markers = Array(repeating: "?", count: 65_537).joined(separator: ",")
            let answer = try client.prepare("SELECT * FROM \(table) WHERE id IN (\(markers))")
            #expect(answer.opcode == CQLWire.error, "\(answer)")
        },
        Attack("20 prepared statements of 4 MiB each") { target in
            var client = try CQLWire.connect(port: target.cqlPort)
            for i in 0..<20 {
                let padding = String(repeating: " ", count: 4 << 20)
                let answer = try client.prepare("SELECT id FROM \(table) WHERE id = ?\(padding)-- \(i)")
                #expect(answer.opcode == CQLWire.error || answer.opcode == CQLWire.result, "statement \(i): \(answer)")
                if answer.opcode == CQLWire.error { _ = try? client.reconnect() }
            }
        },
        Attack("64 unpaged SELECT * from 2 clients that never read") { target in
            var clients: [RawTCPConnection] = []
            for _ in 0..<2 {
                let client = try CQLWire.connect(port: target.cqlPort)
                for stream in 1...64 {
                    // Sending may stall once the server stops reading this client: that is the point.
                    try? client.connection.send(CQLWire.queryFrame(stream: Int16(stream), "SELECT * FROM \(table)"), timeout: 5)
                }
                clients.append(client.connection)
            }
            // Give the server time to do (or refuse) the work while nobody reads.
            try await Task.sleep(for: .seconds(8))
            let memory = try target.up.memory()
            #expect(memory.resident < memoryBudget, "while 128 unpaged queries were pending: RSS \(memory.resident >> 20) MB")
            clients.forEach { $0.close() }
        },
        Attack("40 connections that each send half of a 15 MiB frame") { target in
            var connections: [RawTCPConnection] = []
            for stream in 0..<40 {
                let connection = try RawTCPConnection(port: target.cqlPort)
                var bytes = CQLWire.header(stream: Int16(stream), opcode: 0x07, length: 15 << 20)
                bytes += [UInt8](repeating: 0x20, count: 64 << 10)
                try? connection.send(bytes, timeout: 5)
                try? connection.send([UInt8](repeating: 0x20, count: 7 << 20), timeout: 2)
                connections.append(connection)
            }
            for connection in connections {
                #expect(connection.waitForClose(timeout: 15), "a connection with a half-sent 15 MiB frame was kept open")
            }
        },
        Attack("a frame of 1 MiB left half-sent (read timeout)") { target in
            let connection = try RawTCPConnection(port: target.cqlPort)
            try connection.send(CQLWire.startupFrame() + CQLWire.header(stream: 1, opcode: 0x07, length: 512 << 10) + [UInt8](repeating: 0x20, count: 1000))
            #expect(connection.waitForClose(timeout: 15), "a connection that stalled mid-frame was kept open past the read timeout")
        },
        Attack("300 idle CQL connections") { target in
            var connections: [RawTCPConnection] = []
            for _ in 0..<300 {
                guard let connection = try? RawTCPConnection(port: target.cqlPort) else { break }
                connections.append(connection)
            }
            for connection in connections {
                #expect(connection.waitForClose(timeout: 20), "an idle CQL connection was kept open past the idle timeout")
            }
        },
        Attack("garbage and frames of other protocol versions") { target in
            var generator = SplitMix64(seed: 13)
            for version: UInt8 in [0x01, 0x02, 0x03, 0x05, 0x41, 0x42, 0xFF] {
                let connection = try RawTCPConnection(port: target.cqlPort)
                try? connection.send([version] + (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
                #expect(connection.waitForClose(timeout: 10), "a connection sending version \(version) garbage was kept open")
            }
            let connection = try CQLWire.connect(port: target.cqlPort)
            for length in [0, 1, 7, 100, 4000] {
                let body = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                for opcode: UInt8 in [0x07, 0x09, 0x0A, 0x0D, 0x0B, 0x0F, 0x99] {
                    try? connection.connection.send(CQLWire.header(stream: 3, opcode: opcode, length: Int32(body.count)) + body)
                }
            }
            _ = try? connection.connection.receive(timeout: 2)
        },
    ]
}

// MARK: - Web attacks

extension HostileInputTests {
    static let webAttacks: [Attack] = [
        Attack("500 web connections that never finish their headers") { target in
            var connections: [RawTCPConnection] = []
            for _ in 0..<500 {
                guard let connection = try? RawTCPConnection(port: target.webPort) else { break }
                try? connection.send(Array("GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8), timeout: 2)
                connections.append(connection)
            }
            for connection in connections {
                #expect(connection.waitForClose(timeout: 20), "a web connection with unfinished headers was kept open")
            }
        },
        Attack("a 10 MB request header and a 100 MB body") { target in
            let huge = try RawTCPConnection(port: target.webPort)
            try? huge.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8) + [UInt8](repeating: 0x61, count: 10 << 20), timeout: 5)
            #expect(huge.waitForClose(timeout: 15), "a 10 MB header was not refused")
            let body = try RawTCPConnection(port: target.webPort)
            let auth = "Authorization: Basic " + Data(target.webCredentials.utf8).base64EncodedString()
            try? body.send(
                Array(
                    "POST /api/dags/user_automation/runs HTTP/1.1\r\nHost: 127.0.0.1:\(target.webPort)\r\nOrigin: http://127.0.0.1:\(target.webPort)\r\n\(auth)\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
                        .utf8), timeout: 5)
            try? body.send([UInt8](repeating: 0x20, count: 16 << 20), timeout: 5)
            #expect(body.waitForClose(timeout: 15), "a 100 MB request body was not refused")
        },
        Attack("web API parameters out of every range") { target in
            for path in [
                "/api/users?limit=99999999999999999999", "/api/users?limit=-1", "/api/users?limit=1e20", "/api/users?cursor=%00%ff",
                "/api/users/" + String(repeating: "%41", count: 5000), "/api/topics/users_created/messages?limit=500",
                "/api/topics/users_created.dlq/messages?limit=500", "/api/dlq?limit=500", "/api/topics/" + String(repeating: "x", count: 3000) + "/messages",
                "/api/dags/user_automation/runs?limit=99999999999999999999",
            ] {
                let answer = try HTTP.get(
                    port: target.webPort, path, headers: ["Authorization: Basic " + Data(target.webCredentials.utf8).base64EncodedString()])
                #expect([200, 400, 404, 414, 431].contains(answer.status), "\(path.prefix(80)): \(answer.status)")
                #expect(answer.body.count < 8 << 20, "\(path.prefix(80)): \(answer.body.count) bytes")
            }
        },
        Attack("DAG run conf with numbers out of range") { target in
            for conf in [
                #"{"rate": 1e20}"#, #"{"duration": "1e300"}"#, #"{"duration": "1m4m1m0m2222222222222222222222.h2222222222223mm"}"#, #"{"rate": -1}"#,
                #"{"count": 1e30}"#,
            ] {
                let answer = try HTTP.post(
                    port: target.webPort, "/api/dags/user_automation/runs", body: Array(#"{"conf": \#(conf)}"#.utf8), credentials: target.webCredentials)
                #expect(answer.status == 400, "conf \(conf): \(answer.status) \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
            }
        },
    ]
}

// MARK: - Minimal clients

/// Just enough HTTP/1.1 over a raw socket to check status codes and bodies.
enum HTTP {
    struct Answer {
        var status: Int
        var body: [UInt8]
    }

    static func get(port: Int, _ path: String, headers: [String] = []) throws -> Answer {
        try request(
            port: port, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\(headers.map { $0 + "\r\n" }.joined())\r\n".utf8))
    }

    static func post(port: Int, _ path: String, body: [UInt8], credentials: String) throws -> Answer {
        let head =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://127.0.0.1:\(port)\r\nConnection: close\r\n"
            + "Authorization: Basic \(Data(credentials.utf8).base64EncodedString())\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        return try request(port: port, Array(head.utf8) + body)
    }

    static func request(port: Int, _ bytes: [UInt8]) throws -> Answer {
        let connection = try RawTCPConnection(port: port)
        defer { connection.close() }
        try connection.send(bytes)
        var response: [UInt8] = []
        while let chunk = try connection.receive(timeout: 30), !chunk.isEmpty {
            response += chunk
            guard response.count < 64 << 20 else { break }
        }
        guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)),
            let statusLine = String(decoding: response[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n").first,
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw FixtureError(message: "not an HTTP response: \(String(decoding: response.prefix(200), as: UTF8.self))") }
        var body = Array(response[end.upperBound...])
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
        if head.contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Answer(status: status, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = bytes[...]
        while let lineEnd = rest.firstRange(of: Array("\r\n".utf8)),
            let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16), size > 0,
            rest.count >= lineEnd.upperBound - rest.startIndex + size
        {
            out += rest[lineEnd.upperBound..<lineEnd.upperBound + size]
            rest = rest[(lineEnd.upperBound + size + 2)...]
        }
        return out
    }
}

/// CQL v4 frames by hand: a client that can misbehave.
struct CQLWire {
    static let error: UInt8 = 0x00, ready: UInt8 = 0x02, supported: UInt8 = 0x06, result: UInt8 = 0x08

    struct Frame: CustomStringConvertible {
        var opcode: UInt8
        var stream: Int16
        var body: [UInt8]
        var errorMessage: String {
            guard opcode == CQLWire.error, body.count >= 6 else { return "" }
            let length = Int(body[4]) << 8 | Int(body[5])
            return String(decoding: body.dropFirst(6).prefix(length), as: UTF8.self)
        }
        var description: String {
            opcode == CQLWire.error ? "ERROR \(errorMessage.prefix(200))" : "opcode 0x\(String(opcode, radix: 16)) (\(body.count) bytes)"
        }
    }

    var connection: RawTCPConnection

    /// Connects and sends STARTUP; expects READY.
    static func connect(port: Int) throws -> CQLWire {
        let client = CQLWire(connection: try RawTCPConnection(port: port))
        try client.startup()
        return client
    }

    mutating func reconnect() throws -> CQLWire {
        connection.close()
        self = try CQLWire.connect(port: connection.port)
        return self
    }

    func startup() throws {
        try connection.send(Self.startupFrame())
        let answer = try read()
        guard answer.opcode == Self.ready else { throw FixtureError(message: "STARTUP answered \(answer)") }
    }

    func options() throws -> Frame {
        try connection.send(Self.header(stream: 2, opcode: 0x05, length: 0))
        return try read()
    }

    func query(_ text: String, timeout: Double = 60) throws -> Frame {
        try? connection.send(Self.queryFrame(stream: 1, text), timeout: timeout)
        return try read(timeout: timeout)
    }

    func prepare(_ text: String) throws -> Frame {
        let body = Self.longString(text)
        try? connection.send(Self.header(stream: 1, opcode: 0x09, length: Int32(body.count)) + body, timeout: 60)
        return try read(timeout: 60)
    }

    func read(timeout: Double = 60) throws -> Frame {
        guard let header = try connection.receive(exactly: 9, timeout: timeout) else {
            throw FixtureError(message: "no CQL frame within \(timeout) s (connection closed or silent)")
        }
        let length = Int(Int32(bitPattern: UInt32(header[5]) << 24 | UInt32(header[6]) << 16 | UInt32(header[7]) << 8 | UInt32(header[8])))
        guard length >= 0, length < 256 << 20, let body = try connection.receive(exactly: length, timeout: timeout) else {
            throw FixtureError(message: "a CQL frame with body length \(length) did not arrive")
        }
        return Frame(opcode: header[4], stream: Int16(bitPattern: UInt16(header[2]) << 8 | UInt16(header[3])), body: body)
    }

    static func header(stream: Int16, opcode: UInt8, length: Int32) -> [UInt8] {
        let s = UInt16(bitPattern: stream)
        let l = UInt32(bitPattern: length)
        return [0x04, 0x00, UInt8(s >> 8), UInt8(s & 0xFF), opcode, UInt8(l >> 24), UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF)]
    }

    static func startupFrame() -> [UInt8] {
        func string(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return [UInt8(u.count >> 8), UInt8(u.count & 0xFF)] + u
        }
        let body: [UInt8] = [0x00, 0x01] + string("CQL_VERSION") + string("3.0.0")
        return header(stream: 0, opcode: 0x01, length: Int32(body.count)) + body
    }

    static func longString(_ text: String) -> [UInt8] {
        let u = Array(text.utf8)
        let n = UInt32(u.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + u
    }

    /// QUERY at ONE with no values and no page size (unpaged).
    static func queryFrame(stream: Int16, _ text: String) -> [UInt8] {
        let body = longString(text) + [0x00, 0x01, 0x00]
        return header(stream: stream, opcode: 0x07, length: Int32(body.count)) + body
    }
}

/// Counts the requests a fake server answered.
final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.withLock { value } }
    /// The number of this request, from 1.
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

/// A Kafka "broker" on loopback that reads each request frame and answers with one kind of
/// garbage.
struct GarbageBroker {
    enum Reply: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case randomBytes, hugeLength, negativeLength, truncatedBody, wrongCorrelationID, validHeaderGarbageBody
        var testDescription: String { rawValue }
    }

    let server: RawTCPServer

    init(_ reply: Reply) throws {
        server = try RawTCPServer { connection in
            var generator = SplitMix64(seed: 99)
            func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
            func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
            while let size = try? connection.receive(exactly: 4, timeout: 30) {
                let length = Int(Int32(bitPattern: UInt32(size[0]) << 24 | UInt32(size[1]) << 16 | UInt32(size[2]) << 8 | UInt32(size[3])))
                guard length >= 8, length < 1 << 20, let request = try? connection.receive(exactly: length, timeout: 30) else { return }
                let correlation = Array(request[4..<8])
                let answer: [UInt8]
                switch reply {
                case .randomBytes: answer = random(512)
                case .hugeLength: answer = be32(Int32.max) + correlation + random(64)
                case .negativeLength: answer = be32(-5) + correlation
                case .truncatedBody: answer = be32(4096) + correlation + random(16)
                case .wrongCorrelationID: answer = be32(12) + be32(Int32.min) + random(8)
                case .validHeaderGarbageBody: answer = be32(4 + 256) + correlation + [UInt8](repeating: 0xFF, count: 256)
                }
                try? connection.send(answer)
                if reply == .truncatedBody { return }  // and hang up mid-frame
            }
        }
    }
}
