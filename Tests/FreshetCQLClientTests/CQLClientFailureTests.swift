import FreshetCQL
import FreshetCQLClient
import Logging
import NIOCore
import Testing

/// Failure flows against a scripted node: each server error arrives as the right typed error,
/// and is retried only where that is safe.
@Suite("CQL client failure flows")
struct CQLClientFailureTests {
    static let insert = "INSERT INTO spark_streams.created_users (id, first_name) VALUES (?, ?)"
    static let values: [CQLValue?] = [.text("u-1"), .text("Ada")]

    static func configuration(_ port: Int, credentials: CQLCredentials? = nil, requestTimeout: TimeAmount = .seconds(5)) -> CQLClientConfiguration {
        CQLClientConfiguration(
            contactPoints: [CQLContactPoint(host: "127.0.0.1", port: port)],
            connection: .init(credentials: credentials, requestTimeout: requestTimeout), connectionsPerHost: 1,
            retry: .init(maximumRetries: 3, initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(4)),
            reconnect: .init(initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(50)))
    }

    /// Replays `error` for the first `times` EXECUTEs, then lets them through.
    static func failing(_ error: CQLServerError, times: Int) -> ScriptedCQLServer.Script {
        { request, before in
            guard case .execute = request, before < times else { return .pass }
            return .respond(.error(error))
        }
    }

    static let overloaded = CQLServerError(code: .overloaded, message: "Server is in overloaded state. Cannot accept more requests at this point")
    static let writeTimeout = CQLServerError(
        code: .writeTimeout, message: "Operation timed out - received only 1 responses.",
        details: .writeTimeout(consistency: .localQuorum, received: 1, blockFor: 2, writeType: .simple))
    static let unavailable = CQLServerError.unavailable(
        "Cannot achieve consistency level LOCAL_QUORUM", consistency: .localQuorum, required: 2, alive: 1)

    /// Runs `body` with a connected client, then closes it.
    static func withClient<T: Sendable>(
        _ server: ScriptedCQLServer, _ configuration: CQLClientConfiguration? = nil, _ body: (CQLClient) async throws -> T
    ) async throws -> T {
        try await CQLClient.withClient(configuration ?? Self.configuration(server.port), body)
    }

    // MARK: Authentication

    @Test func badCredentialsAreAuthenticationFailed() async throws {
        try await ScriptedCQLServer.with(credentials: CQLCredentials(username: "freshet", password: "right"), script: { _, _ in .pass }) { server in
            let error = await #expect(throws: CQLClientError.self) {
                try await CQLClient.withClient(Self.configuration(server.port, credentials: CQLCredentials(username: "freshet", password: "wrong"))) { _ in }
            }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.serverError?.code == .authenticationError)
            #expect(error?.serverError?.message.contains("freshet") == true)
            #expect(error?.host == "127.0.0.1:\(server.port)")
            // Only one attempt: a wrong password does not get better by retrying.
            #expect(server.connectionCount == 1)
        }
    }

    @Test func missingCredentialsAreAuthenticationRequired() async throws {
        try await ScriptedCQLServer.with(credentials: CQLCredentials(username: "freshet", password: "right"), script: { _, _ in .pass }) { server in
            let error = await #expect(throws: CQLClientError.self) {
                try await CQLClient.withClient(Self.configuration(server.port)) { _ in }
            }
            #expect(error?.code == .authenticationRequired)
        }
    }

    @Test func rightCredentialsConnect() async throws {
        let credentials = CQLCredentials(username: "freshet", password: "right")
        try await ScriptedCQLServer.with(credentials: credentials, script: { _, _ in .pass }) { server in
            try await CQLClient.withClient(Self.configuration(server.port, credentials: credentials)) { client in
                let statement = try await client.prepare(Self.insert)
                try await client.execute(statement, Self.values)
            }
        }
    }

    // MARK: UNPREPARED

    @Test func unpreparedIsPreparedAgainAndTheExecuteSucceeds() async throws {
        let script: ScriptedCQLServer.Script = { request, before in
            guard case .execute(let id, _) = request, before == 0 else { return .pass }
            return .respond(.error(.unprepared("Prepared query with ID not found", id: id)))
        }
        try await ScriptedCQLServer.with(script: script) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                // Not idempotent: the re-prepare is not a retry (the node never ran the statement).
                let result = try await client.execute(statement, Self.values, idempotent: false)
                #expect(result == .void)
            }
            #expect(server.count(.prepare) == 2)
            #expect(server.count(.execute) == 2)
        }
    }

    // MARK: Retries

    @Test func overloadedIsRetriedForIdempotentStatements() async throws {
        try await ScriptedCQLServer.with(script: Self.failing(Self.overloaded, times: 2)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                #expect(try await client.execute(statement, Self.values, idempotent: true) == .void)
            }
            #expect(server.count(.execute) == 3)
        }
    }

    @Test func overloadedIsNotRetriedForOtherStatements() async throws {
        try await ScriptedCQLServer.with(script: Self.failing(Self.overloaded, times: 2)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: false)
                }
                #expect(error?.code == .server)
                #expect(error?.serverError == Self.overloaded)
            }
            #expect(server.count(.execute) == 1)
        }
    }

    @Test func writeTimeoutCarriesItsDetailsAndIsRetriedOnlyWhenIdempotent() async throws {
        try await ScriptedCQLServer.with(script: Self.failing(Self.writeTimeout, times: 1)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values)
                }
                guard case .writeTimeout(let consistency, let received, let blockFor, let writeType)? = error?.serverError?.details else {
                    Issue.record("expected WRITE_TIMEOUT details, got \(String(describing: error))")
                    return
                }
                #expect((consistency, received, blockFor, writeType) == (.localQuorum, 1, 2, .simple))
                #expect(server.count(.execute) == 1)
                // The script fails only the first EXECUTE: an idempotent one now succeeds at once.
                #expect(try await client.execute(statement, Self.values, idempotent: true) == .void)
                #expect(server.count(.execute) == 2)
            }
        }
    }

    @Test func writeTimeoutThenSuccessForAnIdempotentStatement() async throws {
        try await ScriptedCQLServer.with(script: Self.failing(Self.writeTimeout, times: 1)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                #expect(try await client.execute(statement, Self.values, idempotent: true) == .void)
            }
            #expect(server.count(.execute) == 2)
        }
    }

    @Test func unavailableIsRetriedUpToTheLimitThenSurfaced() async throws {
        try await ScriptedCQLServer.with(script: Self.failing(Self.unavailable, times: .max)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: true)
                }
                guard case .unavailable(let consistency, let required, let alive)? = error?.serverError?.details else {
                    Issue.record("expected UNAVAILABLE details, got \(String(describing: error))")
                    return
                }
                #expect((consistency, required, alive) == (.localQuorum, 2, 1))
            }
            #expect(server.count(.execute) == 4)
        }
    }

    @Test func invalidRequestsAreNeverRetried() async throws {
        let invalid = CQLServerError(code: .invalid, message: "Undefined column name nope")
        try await ScriptedCQLServer.with(script: Self.failing(invalid, times: .max)) { server in
            try await Self.withClient(server) { client in
                let statement = try await client.prepare(Self.insert)
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: true)
                }
                #expect(error?.serverError?.code == .invalid)
                #expect(error?.isTransient == false)
            }
            #expect(server.count(.execute) == 1)
        }
    }

    @Test func aSilentNodeTimesOutAndIdempotentRequestsAreRetried() async throws {
        let script: ScriptedCQLServer.Script = { request, _ in
            if case .execute = request { return .silence }
            return .pass
        }
        try await ScriptedCQLServer.with(script: script) { server in
            // The timeout also bounds the PREPARE that the node answers: long enough for a loaded
            // machine, the silent EXECUTEs then take it five times.
            try await Self.withClient(server, Self.configuration(server.port, requestTimeout: .seconds(1))) { client in
                let statement = try await client.prepare(Self.insert)
                let once = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: false)
                }
                #expect(once?.code == .requestTimedOut)
                #expect(server.count(.execute) == 1)
                let retried = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: true)
                }
                #expect(retried?.code == .requestTimedOut)
                #expect(server.count(.execute) == 5)
            }
        }
    }

    // MARK: Reconnect

    @Test func aClosedConnectionIsReopened() async throws {
        let script: ScriptedCQLServer.Script = { request, before in
            if case .execute = request, before == 0 { return .close }
            return .pass
        }
        try await ScriptedCQLServer.with(script: script) { server in
            // Generous time: on a loaded machine the close and the reconnect may take seconds; the
            // test is about what the client sees, not how fast.
            try await Self.withClient(server, Self.configuration(server.port, requestTimeout: .seconds(60))) { client in
                let statement = try await client.prepare(Self.insert)
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.execute(statement, Self.values, idempotent: false)
                }
                #expect(error?.code == .connectionClosed)
                // The pool reconnects in the background; an idempotent request waits it out by retrying.
                var attempts = 0
                while client.openConnections.values.reduce(0, +) == 0, attempts < 6000 {
                    try await Task.sleep(for: .milliseconds(10))
                    attempts += 1
                }
                #expect(try await client.execute(statement, Self.values, idempotent: true) == .void)
            }
            #expect(server.connectionCount == 2)
        }
    }
}
