import FreshetCore
import FreshetSource
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a compatible Random User API server on a free loopback port for the duration of
/// `body`, which receives its base URL (`http://127.0.0.1:PORT/api/`).
public func withRandomUserAPIServer<T: Sendable>(
    faults: FaultInjection? = nil,
    referenceDate: Timestamp? = nil,
    _ body: @Sendable (String) async throws -> T
) async throws -> T {
    let server = RandomUserAPIServer(configuration: .init(host: "127.0.0.1", port: 0, faults: faults, referenceDate: referenceDate))
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "freshet.test.api")
    logger.logLevel = .critical  // cancelling in-flight handlers at the end is expected
    let app = server.makeApplication(logger: logger) { port in continuation.yield(port) }
    let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await services.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw FixtureError(message: "API server did not start") }
        do {
            let result = try await body("http://127.0.0.1:\(port)/api/")
            // Graceful shutdown waits for in-flight handlers (a deliberately slow answer may
            // still be sleeping); cancelling ends them, and the test does not wait for them.
            await services.triggerGracefulShutdown()
            group.cancelAll()
            while (try? await group.next()) != nil {}
            return result
        } catch {
            await services.triggerGracefulShutdown()
            group.cancelAll()
            throw error
        }
    }
}
