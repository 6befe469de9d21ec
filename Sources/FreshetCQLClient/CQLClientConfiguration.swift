import FreshetCQL
import NIOCore

/// A node to contact first: `host:port`.
public struct CQLContactPoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// Defaults to 9042.
    public var port: Int

    public init(host: String, port: Int = 9042) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Configuration of a `CQLClient`: where the cluster is, how many connections, consistency,
/// retries and reconnects.
public struct CQLClientConfiguration: Sendable {
    /// Retries of failed requests.
    public struct Retry: Sendable, Hashable {
        /// Further attempts after the first, at most. Defaults to 3.
        public var maximumRetries: Int
        /// Wait before the first retry; doubled each time. Defaults to 100 ms.
        public var initialBackoff: Duration
        /// Longest wait between attempts. Defaults to 2 seconds.
        public var maximumBackoff: Duration

        public init(maximumRetries: Int = 3, initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(2)) {
            self.maximumRetries = max(0, maximumRetries)
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    /// Reconnecting to a node whose connections closed.
    public struct Reconnect: Sendable, Hashable {
        /// Wait before the first attempt; doubled after each failure. Defaults to 500 ms.
        public var initialBackoff: Duration
        /// Longest wait between attempts. Defaults to 30 seconds.
        public var maximumBackoff: Duration

        public init(initialBackoff: Duration = .milliseconds(500), maximumBackoff: Duration = .seconds(30)) {
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    /// Nodes to contact first; the others are found in `system.peers`. At least one.
    public var contactPoints: [CQLContactPoint]
    /// Each connection's settings (credentials, timeouts, stream ids, TLS). Defaults to `.init()`.
    public var connection: CQLConnection.Configuration
    /// Connections opened to each node. Defaults to 2.
    public var connectionsPerHost: Int
    /// Consistency of requests that do not name one. Defaults to LOCAL_QUORUM.
    public var consistency: CQLConsistency
    /// The data center whose nodes are preferred. Defaults to `nil`: the first contact point's.
    public var localDataCenter: String?
    /// Route EXECUTEs to a replica of their partition key. Defaults to `true`.
    public var tokenAware: Bool
    /// Defaults to `.init()`: 3 retries from 100 ms backoff, only for idempotent requests.
    public var retry: Retry
    /// Defaults to `.init()`: from 500 ms up to 30 s.
    public var reconnect: Reconnect
    /// Prepared statements kept by query text. Defaults to 1,000.
    public var preparedStatementCacheCapacity: Int
    /// How long to wait for all nodes to report the same schema version after a schema change.
    /// Defaults to 10 seconds.
    public var schemaAgreementTimeout: Duration
    /// Rows per page of `pages(…)` and `allRows(…)`. Defaults to 5,000 (the drivers' default).
    public var pageSize: Int32

    public init(
        contactPoints: [CQLContactPoint], connection: CQLConnection.Configuration = .init(), connectionsPerHost: Int = 2,
        consistency: CQLConsistency = .localQuorum, localDataCenter: String? = nil, tokenAware: Bool = true, retry: Retry = .init(),
        reconnect: Reconnect = .init(), preparedStatementCacheCapacity: Int = 1_000, schemaAgreementTimeout: Duration = .seconds(10),
        pageSize: Int32 = 5_000
    ) {
        self.contactPoints = contactPoints
        self.connection = connection
        self.connectionsPerHost = max(1, connectionsPerHost)
        self.consistency = consistency
        self.localDataCenter = localDataCenter
        self.tokenAware = tokenAware
        self.retry = retry
        self.reconnect = reconnect
        self.preparedStatementCacheCapacity = max(1, preparedStatementCacheCapacity)
        self.schemaAgreementTimeout = schemaAgreementTimeout
        self.pageSize = pageSize
    }
}
