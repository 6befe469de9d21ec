import Foundation
import FreshetCQL
import FreshetCQLServer
import FreshetContracts
import FreshetCore
import FreshetSource
import FreshetStore
import FreshetTesting
import Logging
import Synchronization

/// A CQL endpoint over a temporary SQLite store filled with generated users.
final class CQLEndpointFixture: Sendable {
    let store: SQLiteStore
    let rows: [CreatedUserRow]
    let port: Int
    let directory: String
    private let task: Task<Void, any Error>

    private init(store: SQLiteStore, rows: [CreatedUserRow], port: Int, directory: String, task: Task<Void, any Error>) {
        self.store = store
        self.rows = rows
        self.port = port
        self.directory = directory
        self.task = task
    }

    /// Rows from the offline generator through the processor's transform.
    static func users(_ count: Int, seed: String = "cql") -> [CreatedUserRow] {
        let generator = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1))
        var rows: [CreatedUserRow] = []
        var page = 1
        while rows.count < count {
            let batch = generator.page(seed: seed, page: page, results: min(1000, count - rows.count)).map(UserCreated.init)
            rows += batch.map { try! UserSchema().row(from: $0.jsonBytes(), ingestedAt: 1_767_225_600_000 + Int64(rows.count)).get() }
            page += 1
        }
        return rows
    }

    static func start(
        rows count: Int = 2_000, credentials: CQLCredentials? = nil, maxInFlight: Int = 128,
        configure: (inout CQLServerConfiguration) -> Void = { _ in }, logs: CQLLogCapture? = nil
    ) async throws -> CQLEndpointFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cql-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(.init(path: SQLiteStore.path(dataDirectory: directory)))
        try await store.prepare()
        let rows = users(count)
        try await store.upsert(rows)
        var logger = logs.map { capture in Logger(label: "freshet.cql.test") { _ in capture } } ?? Logger(label: "freshet.cql.test")
        logger.logLevel = ProcessInfo.processInfo.environment["FRESHET_CQL_DEBUG"] == nil ? (logs == nil ? .warning : .info) : .debug
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var configuration = CQLServerConfiguration(host: "127.0.0.1", port: 0, credentials: credentials, maxInFlightRequestsPerConnection: maxInFlight)
        configure(&configuration)
        let server = CQLServer(
            configuration: configuration, queries: store, sink: store, logger: logger,
            now: { 1_800_000_000_000 },
            onListening: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let task = Task { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            _ = try await task.value
            throw CQLFixtureError("the CQL endpoint did not start")
        }
        return CQLEndpointFixture(store: store, rows: rows, port: port, directory: directory, task: task)
    }

    func stop() async throws {
        task.cancel()
        _ = try await task.value
        try await store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func with<T>(
        rows: Int = 2_000, credentials: CQLCredentials? = nil, maxInFlight: Int = 128, configure: (inout CQLServerConfiguration) -> Void = { _ in },
        logs: CQLLogCapture? = nil, _ body: (CQLEndpointFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(rows: rows, credentials: credentials, maxInFlight: maxInFlight, configure: configure, logs: logs)
        do {
            let result = try await body(fixture)
            try await fixture.stop()
            return result
        } catch {
            try? await fixture.stop()
            throw error
        }
    }
}

/// `runTool` (an asynchronous wait: a client blocking on the endpoint never holds one of the
/// few threads the endpoint itself needs).
func runClient(_ name: String, _ arguments: [String], timeout: Double = 120) async throws -> ProcessResult {
    // cqlsh gives up on a connection after 5 s by default, which a loaded CI machine running
    // the whole suite in parallel can exceed; the tests are about answers, not speed.
    let arguments = name == "cqlsh" ? ["--connect-timeout", "60", "--request-timeout", "60"] + arguments : arguments
    let result = try await runTool(name, arguments, timeout: timeout)
    if ProcessInfo.processInfo.environment["FRESHET_CQL_DEBUG"] != nil {
        print("$ \(name) \(arguments.joined(separator: " ")) → \(result.status)\n\(result.stdoutText)\n\(result.stderr)")
    }
    return result
}

/// The Python script that drives cassandra-driver.
var driverScript: String {
    Fixtures.repositoryRoot.appendingPathComponent("Tests/FreshetCQLTests/Clients/driver_check.py").path
}

/// Runs `driver_check.py` and decodes its JSON; a non-zero exit is an error with its stderr.
func runDriver(_ arguments: [String]) async throws -> [String: Any] {
    let result = try await runClient("python3", [driverScript] + arguments)
    guard result.status == 0 else {
        throw CQLFixtureError(
            "driver_check.py \(arguments.joined(separator: " ")) exited with \(result.status): \(result.stderr.suffix(4000)) \(result.stdoutText)")
    }
    let line = result.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw CQLFixtureError("driver_check.py printed no JSON object: \(result.stdoutText)")
    }
    return object
}

struct CQLFixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Log messages of an endpoint, as they happen: tests wait for "CQL connection closed: …"
/// instead of sleeping.
struct CQLLogCapture: LogHandler {
    final class Messages: Sendable {
        struct Waiter {
            var id: Int
            var text: String
            var continuation: CheckedContinuation<String?, Never>
        }

        struct State {
            var messages: [String] = []
            var waiters: [Waiter] = []
            var nextID = 0
        }

        let state = Mutex(State())

        func append(_ message: String) {
            let ready = state.withLock { state -> [Waiter] in
                state.messages.append(message)
                let ready = state.waiters.filter { message.contains($0.text) }
                state.waiters.removeAll { message.contains($0.text) }
                return ready
            }
            for waiter in ready { waiter.continuation.resume(returning: message) }
        }

        func first(containing text: String, within limit: Duration) async -> String? {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                let id: Int? = state.withLock { state in
                    if state.messages.contains(where: { $0.contains(text) }) { return nil }
                    state.nextID += 1
                    state.waiters.append(Waiter(id: state.nextID, text: text, continuation: continuation))
                    return state.nextID
                }
                guard let id else {
                    continuation.resume(returning: state.withLock { $0.messages.first { $0.contains(text) } })
                    return
                }
                Task {
                    try? await Task.sleep(for: limit)
                    let expired = self.state.withLock { state -> Waiter? in
                        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.waiters.remove(at: index)
                    }
                    expired?.continuation.resume(returning: nil)
                }
            }
        }
    }

    let messages = Messages()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.append(event.message.description)
    }

    /// Waits for a message containing `text` (or returns one logged before). `nil` if none came
    /// within `limit`: the deadline only keeps a broken endpoint from hanging the suite; it is not
    /// what the test measures.
    func first(containing text: String, within limit: Duration = .seconds(60)) async -> String? {
        await messages.first(containing: text, within: limit)
    }
}
