import FreshetContracts
import FreshetLog
import Logging

/// How the web UI reaches the log: the running pipeline's broker (`freshet up`), or a
/// read-only snapshot opened per request (`freshet serve`, next to another process).
public enum BrokerAccess: Sendable {
    case live(any Broker)
    case readOnly(dataDirectory: String)

    func with<T: Sendable>(_ body: (any Broker) async throws -> T) async throws -> T {
        switch self {
        case .live(let broker):
            return try await body(broker)
        case .readOnly(let directory):
            var config = EmbeddedBrokerConfig(dataDirectory: directory, durability: .none)
            config.readOnly = true
            var logger = Logger(label: "freshet.web.log")
            logger.logLevel = .error
            config.logger = logger
            return try await EmbeddedBroker.withBroker(config) { try await body($0) }
        }
    }
}
