import Foundation
import Testing

/// One private PostgreSQL cluster per suite marked `.postgresServer`: started before the suite's
/// first test, stopped after its last (off the cooperative thread pool). Tests reach it through
/// ``current`` and each creates its own database, so tests run in parallel without sharing tables.
public struct PostgresServerTrait: SuiteTrait, TestScoping {
    @TaskLocal public static var current: PostgresServer?

    public init() {}

    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await PostgresServer.start()
        do {
            try await Self.$current.withValue(server, operation: function)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// The suite's server; a test outside a `.postgresServer` suite fails.
    public static func server() throws -> PostgresServer {
        guard let current else { throw PostgresServer.Failure("no PostgreSQL server: mark the suite .postgresServer") }
        return current
    }

    /// The URL of a fresh database `<prefix>_<random>` of the suite's server.
    public static func freshDatabase(_ prefix: String) throws -> String {
        try server().createDatabase(prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())
    }
}

extension Trait where Self == PostgresServerTrait {
    /// A private PostgreSQL cluster for the suite (``PostgresServerTrait``).
    public static var postgresServer: Self { PostgresServerTrait() }
}
