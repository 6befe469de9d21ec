import FreshetContracts
import FreshetCore
import NIOCore

/// Everything the Kafka client layer (`KafkaCluster`, `KafkaProducer`, `KafkaConsumer`,
/// `KafkaBroker`) needs. Build one in code or from a URL with `init(url:)`.
public struct KafkaClientConfiguration: Sendable {
    /// A `host:port` to contact.
    public struct Server: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Producer settings.
    public struct Producer: Sendable, Hashable {
        /// How long a partition's batch waits for more records before it is sent
        /// (Kafka's `linger.ms`). Defaults to 5 ms.
        public var linger: Duration = .milliseconds(5)
        /// A batch is sent as soon as it holds this many bytes (Kafka's `batch.size`, but
        /// larger). A single larger record still goes out alone. Defaults to 1 MiB.
        public var maxBatchBytes: Int = 1 << 20
        /// -1 waits for all in-sync replicas, 1 for the leader only. 0 (no response) is not
        /// supported. Defaults to -1 (`acks=all`).
        public var acks: Int16 = -1
        /// Idempotent producer: a producer id and per-partition sequence numbers, so that
        /// retries never duplicate or reorder. Requires `acks = -1`. Defaults to `true`.
        public var idempotence: Bool = true
        /// Time from a record being accepted until its batch succeeds or fails for good,
        /// retries included (Kafka's `delivery.timeout.ms`). Defaults to 120 s.
        public var deliveryTimeout: Duration = .seconds(120)
        /// Pause before retrying a batch after a retriable error. Defaults to 100 ms.
        public var retryBackoff: Duration = .milliseconds(100)
        /// Codec of produced batches. Defaults to `.none`.
        public var compression: KafkaCompression = .none
        /// Bytes of records accepted but not yet acknowledged, at most; `produce` waits while
        /// more are pending (Kafka's `buffer.memory`). Defaults to 32 MiB.
        public var maxBufferedBytes: Int = 32 << 20
        /// Time the broker may take to replicate a Produce (`timeout.ms`). Defaults to 30 s.
        public var requestTimeout: Duration = .seconds(30)
        /// Batches of one partition in flight at once with idempotence, 1…5 (Kafka's
        /// `max.in.flight.requests.per.connection`, which idempotence bounds by 5). Without
        /// idempotence a partition has one batch in flight, so retries cannot reorder. URL
        /// key `max_in_flight`. Defaults to 5.
        public var maxInFlight: Int = 5

        public init() {}
    }

    /// Consumer (group member) settings.
    public struct Consumer: Sendable, Hashable {
        /// The group forgets a member it has not heard from in this long
        /// (`session.timeout.ms`). Defaults to 10 s.
        public var sessionTimeout: Duration = .seconds(10)
        /// Time between heartbeats; a third of the session timeout or less
        /// (`heartbeat.interval.ms`). Defaults to 3 s.
        public var heartbeatInterval: Duration = .seconds(3)
        /// The broker answers a Fetch once it has this many bytes (`fetch.min.bytes`).
        /// Defaults to 1.
        public var fetchMinBytes: Int32 = 1
        /// Most bytes one Fetch response may carry (`fetch.max.bytes`). Defaults to 50 MiB.
        public var fetchMaxBytes: Int32 = 50 << 20
        /// Most bytes per partition in one Fetch (`max.partition.fetch.bytes`). Defaults to 1 MiB.
        public var partitionMaxBytes: Int32 = 1 << 20
        /// Longest a Fetch waits at the broker for `fetchMinBytes` (`fetch.max.wait.ms`); a
        /// poll with a shorter `maxWait` waits less. Defaults to 500 ms.
        public var maxWait: Duration = .milliseconds(500)
        /// How partitions are split among members when this consumer leads the group.
        /// Defaults to `.range` (Kafka's default, and what the embedded broker does).
        public var assignor: KafkaPartitionAssignor = .range
        /// Pause before retrying a join, a commit or a Fetch after a retriable error.
        /// Defaults to 100 ms.
        public var retryBackoff: Duration = .milliseconds(100)
        /// Most bytes the compressed batches of one partition's Fetch answer may inflate to,
        /// together (a decompression bomb fails the poll with `corruptCompressedData` naming
        /// the codec instead of exhausting memory). URL key `max_decompressed_bytes`.
        /// Defaults to 64 MiB.
        public var maxDecompressedBytes: Int = RecordBatchDecodingOptions.defaultMaxDecompressedBytes

        public init() {}

        /// How fetched record batches are decoded.
        var decodingOptions: RecordBatchDecodingOptions {
            RecordBatchDecodingOptions(maxDecompressedBytes: maxDecompressedBytes)
        }
    }

    /// Settings of topics the client creates.
    public struct TopicDefaults: Sendable, Hashable {
        /// Partitions of a created topic when the `TopicConfig` does not say. Defaults to 3.
        public var partitions: Int32 = 3
        /// Replicas per partition; -1 uses the broker's default. Defaults to -1.
        public var replicationFactor: Int16 = -1
        public init() {}
    }

    /// Where to find the cluster (any of its brokers). Defaults to `localhost:9092`.
    public var bootstrapServers: [Server] = [Server(host: "localhost", port: 9092)]
    /// Sent in every request (`client.id`). Defaults to "freshet".
    public var clientID: String = "freshet" {
        didSet { connection.clientID = clientID }
    }
    /// Per-connection settings (timeouts, pipelining, frame size). Defaults to
    /// `KafkaConnection.Configuration()` with `clientID`.
    public var connection = KafkaConnection.Configuration()
    /// First pause before reconnecting to a broker that failed; doubles each failure
    /// (`reconnect.backoff.ms`). Defaults to 100 ms.
    public var reconnectBackoff: Duration = .milliseconds(100)
    /// Longest pause between reconnect attempts (`reconnect.backoff.max.ms`). Defaults to 10 s.
    public var reconnectBackoffMax: Duration = .seconds(10)
    /// Attempts of an operation that meets retriable errors (leader moved, coordinator
    /// loading, connection lost) before it fails. Defaults to 10.
    public var retries: Int = 10
    public var producer = Producer()
    public var consumer = Consumer()
    public var topicDefaults = TopicDefaults()

    public init(bootstrapServers: [Server] = [Server(host: "localhost", port: 9092)], clientID: String = "freshet") {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.connection.clientID = clientID
    }

    /// The keys `init(url:)` understands.
    public static let urlQueryKeys = [
        "client_id", "partitions", "replication_factor", "linger_ms", "batch_bytes", "session_timeout_ms",
        "heartbeat_interval_ms", "acks", "idempotence", "compression", "request_timeout_ms", "assignor",
        "sasl", "tls", "tls_ca", "tls_cert", "tls_key", "tls_server_name", "tls_verify",
        "max_frame_bytes", "max_decompressed_bytes", "sasl_max_iterations", "max_in_flight",
    ]

    /// Parses `kafka://[user:password@]host:port[,host2:port2][?key=value&…]`.
    ///
    /// Security: `user:password@` (percent-encoded) are the SASL credentials, used with
    /// `sasl` (`plain`, `scram-sha-256`, `scram-sha-512`; required with credentials);
    /// `tls=true` turns on TLS with the system trust roots, `tls_ca` (a PEM file) trusts a
    /// private CA instead, `tls_cert` + `tls_key` (PEM files) present a client certificate,
    /// `tls_server_name` overrides the name checked in the broker's certificate, and
    /// `tls_verify` is `full` (default), `no-hostname` or `none`. Any `tls_*` key implies
    /// `tls=true`. The password never appears in an error.
    ///
    /// Query keys: `client_id`, `partitions`, `replication_factor`, `linger_ms`, `batch_bytes`,
    /// `session_timeout_ms`, `heartbeat_interval_ms` (defaults to a third of the session
    /// timeout when only that is given), `acks` (`all`, `-1` or `1`), `idempotence`
    /// (`true`/`false`; turned off by `acks=1` unless set), `compression`
    /// (`none`, `gzip`, `snappy`, `lz4`, `zstd`), `request_timeout_ms`, `assignor`
    /// (`range`, `roundrobin`), `max_frame_bytes` (largest response frame, 64 KiB–2 GiB),
    /// `max_decompressed_bytes` (per partition and Fetch, 1 MiB–2 GiB), `sasl_max_iterations`
    /// (largest SCRAM iteration count the broker may ask for, 4096–10,000,000), `max_in_flight`
    /// (batches of one partition in flight with idempotence, 1–5, default 5). A port
    /// defaults to 9092.
    /// - Throws: `KafkaClientError.invalidConfiguration` naming the bad part or key.
    public init(url: String) throws {
        self.init()
        let shown = redact(url)
        func bad(_ message: String) -> KafkaClientError {
            KafkaClientError(.invalidConfiguration, "invalid Kafka URL '\(shown)': \(message)")
        }
        guard url.hasPrefix("kafka://") else { throw bad("it must start with kafka://") }
        let rest = url.dropFirst("kafka://".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var authority = parts[0].hasSuffix("/") ? parts[0].dropLast() : parts[0]
        var credentials: (user: String, password: String)?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            guard let colon = userInfo.firstIndex(of: ":"), colon != userInfo.startIndex else {
                throw bad("credentials must be user:password@ (percent-encoded)")
            }
            guard let user = percentDecoded(userInfo[..<colon]), let password = percentDecoded(userInfo[userInfo.index(after: colon)...]) else {
                throw bad("credentials are badly percent-encoded (a % must be followed by two hex digits)")
            }
            credentials = (user, password)
            authority = authority[authority.index(after: at)...]
        }
        let hostPart = authority
        guard !hostPart.isEmpty else { throw bad("no host:port given") }
        var servers: [Server] = []
        for item in hostPart.split(separator: ",", omittingEmptySubsequences: false) {
            guard let server = Self.parseServer(item) else { throw bad("'\(item)' is not host:port") }
            servers.append(server)
        }
        bootstrapServers = servers

        var saslMechanism: KafkaSASLConfiguration.Mechanism?
        var tlsOn: Bool?
        var tls = KafkaTLSConfiguration()
        var tlsKeyGiven = false
        var certificateFile: String?
        var keyFile: String?
        var acksGiven: Int16?
        var idempotenceGiven: Bool?
        var sessionGiven = false
        var heartbeatGiven = false
        var scramMaxIterations: Int?
        if parts.count == 2, !parts[1].isEmpty {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0])
                guard kv.count == 2, !kv[1].isEmpty else { throw bad("query key '\(key)' has no value") }
                guard let value = percentDecoded(kv[1]) else { throw bad("query key '\(key)' has a badly percent-encoded value") }
                func int(_ range: ClosedRange<Int>) throws -> Int {
                    guard let n = Int(value), range.contains(n) else {
                        throw bad("'\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
                    }
                    return n
                }
                switch key {
                case "client_id": clientID = value
                case "partitions": topicDefaults.partitions = Int32(try int(1...100_000))
                case "replication_factor": topicDefaults.replicationFactor = Int16(try int(-1...Int(Int16.max)))
                case "linger_ms": producer.linger = .milliseconds(try int(0...600_000))
                case "batch_bytes": producer.maxBatchBytes = try int(1...(256 << 20))
                case "max_in_flight": producer.maxInFlight = try int(1...5)
                case "session_timeout_ms":
                    consumer.sessionTimeout = .milliseconds(try int(1000...3_600_000))
                    sessionGiven = true
                case "heartbeat_interval_ms":
                    consumer.heartbeatInterval = .milliseconds(try int(10...3_600_000))
                    heartbeatGiven = true
                case "request_timeout_ms":
                    let ms = try int(100...3_600_000)
                    connection.requestTimeout = .milliseconds(Int64(ms))
                    producer.requestTimeout = .milliseconds(ms)
                case "max_frame_bytes": connection.maximumFrameSize = try int((64 << 10)...Int(Int32.max))
                case "max_decompressed_bytes": consumer.maxDecompressedBytes = try int((1 << 20)...Int(Int32.max))
                case "sasl_max_iterations":
                    scramMaxIterations = try int(SCRAMClient.minimumIterations...10_000_000)
                case "acks":
                    switch value.lowercased() {
                    case "all", "-1": acksGiven = -1
                    case "1": acksGiven = 1
                    case "0": throw bad("acks=0 is not supported (the broker sends no response); use 1 or all")
                    default: throw bad("'acks' must be all, -1 or 1, got '\(value)'")
                    }
                case "idempotence":
                    switch value.lowercased() {
                    case "true", "1", "yes": idempotenceGiven = true
                    case "false", "0", "no": idempotenceGiven = false
                    default: throw bad("'idempotence' must be true or false, got '\(value)'")
                    }
                case "compression":
                    guard let codec = KafkaCompression.named(value) else {
                        throw bad("'compression' must be none, gzip, snappy, lz4 or zstd, got '\(value)'")
                    }
                    producer.compression = codec
                case "assignor":
                    guard let assignor = KafkaPartitionAssignor(rawValue: value.lowercased()) else {
                        throw bad("'assignor' must be range or roundrobin, got '\(value)'")
                    }
                    consumer.assignor = assignor
                case "sasl":
                    switch value.lowercased() {
                    case "plain": saslMechanism = .plain
                    case "scram-sha-256": saslMechanism = .scramSHA256
                    case "scram-sha-512": saslMechanism = .scramSHA512
                    default: throw bad("'sasl' must be plain, scram-sha-256 or scram-sha-512, got '\(value)'")
                    }
                case "tls":
                    switch value.lowercased() {
                    case "true", "1", "yes": tlsOn = true
                    case "false", "0", "no": tlsOn = false
                    default: throw bad("'tls' must be true or false, got '\(value)'")
                    }
                case "tls_ca":
                    tls.trustRoots = .pemFile(value)
                    tlsKeyGiven = true
                case "tls_cert":
                    certificateFile = value
                    tlsKeyGiven = true
                case "tls_key":
                    keyFile = value
                    tlsKeyGiven = true
                case "tls_server_name":
                    tls.serverName = value
                    tlsKeyGiven = true
                case "tls_verify":
                    switch value.lowercased() {
                    case "full": tls.verification = .full
                    case "no-hostname": tls.verification = .noHostnameVerification
                    case "none": tls.verification = .none
                    default: throw bad("'tls_verify' must be full, no-hostname or none, got '\(value)'")
                    }
                    tlsKeyGiven = true
                default:
                    throw bad("unknown query key '\(key)' (known: \(Self.urlQueryKeys.joined(separator: ", ")))")
                }
            }
        }
        switch (credentials, saslMechanism) {
        case (let credentials?, let mechanism?):
            connection.sasl = KafkaSASLConfiguration(mechanism: mechanism, username: credentials.user, password: credentials.password)
            if let scramMaxIterations { connection.sasl?.maximumSCRAMIterations = scramMaxIterations }
        case (.some, nil):
            throw bad("credentials given without 'sasl': add sasl=plain, sasl=scram-sha-256 or sasl=scram-sha-512")
        case (nil, let mechanism?):
            throw bad("'sasl=\(mechanism.name)' needs credentials: kafka://user:password@host:port")
        case (nil, nil):
            break
        }
        if scramMaxIterations != nil, connection.sasl?.mechanism == nil || connection.sasl?.mechanism == .plain {
            throw bad("'sasl_max_iterations' needs sasl=scram-sha-256 or sasl=scram-sha-512")
        }
        switch (certificateFile, keyFile) {
        case (let certificate?, let key?):
            tls.clientCertificate = .init(certificateChainFile: certificate, privateKeyFile: key)
        case (.some, nil), (nil, .some):
            throw bad("'tls_cert' and 'tls_key' go together")
        case (nil, nil):
            break
        }
        if tlsOn == false && tlsKeyGiven { throw bad("tls=false contradicts the tls_* keys") }
        if tlsOn == true || tlsKeyGiven { connection.tls = tls }
        if let acksGiven { producer.acks = acksGiven }
        if let idempotenceGiven {
            if idempotenceGiven && producer.acks != -1 { throw bad("idempotence=true requires acks=all") }
            producer.idempotence = idempotenceGiven
        } else if producer.acks != -1 {
            producer.idempotence = false
        }
        if sessionGiven && !heartbeatGiven { consumer.heartbeatInterval = consumer.sessionTimeout / 3 }
        // `didSet` does not run inside an initializer.
        connection.clientID = clientID
        try validate()
    }

    /// Checks values that must agree with each other.
    public func validate() throws {
        func bad(_ message: String) -> KafkaClientError { KafkaClientError(.invalidConfiguration, message) }
        if bootstrapServers.isEmpty { throw bad("no bootstrap servers configured") }
        if producer.acks != -1 && producer.acks != 1 { throw bad("producer acks must be -1 (all) or 1, got \(producer.acks)") }
        if producer.idempotence && producer.acks != -1 { throw bad("the idempotent producer requires acks=-1 (all)") }
        if !(1...5).contains(producer.maxInFlight) {
            throw bad("producer maxInFlight must be in 1...5 (Kafka's bound with idempotence), got \(producer.maxInFlight)")
        }
        if consumer.heartbeatInterval >= consumer.sessionTimeout {
            throw bad("heartbeat interval \(consumer.heartbeatInterval) must be below the session timeout \(consumer.sessionTimeout)")
        }
        if !(1...Int(Int32.max)).contains(connection.maximumFrameSize) {
            throw bad("maximum frame size \(connection.maximumFrameSize) must be in 1...\(Int32.max) (a frame's size is an Int32)")
        }
        if consumer.maxDecompressedBytes < 0 {
            throw bad("consumer maxDecompressedBytes must not be negative, got \(consumer.maxDecompressedBytes)")
        }
        if let sasl = connection.sasl, sasl.maximumSCRAMIterations < SCRAMClient.minimumIterations {
            throw bad("SASL maximumSCRAMIterations \(sasl.maximumSCRAMIterations) is below the SCRAM minimum \(SCRAMClient.minimumIterations)")
        }
        if producer.maxBatchBytes <= 0 || producer.maxBufferedBytes < producer.maxBatchBytes {
            throw bad("producer maxBufferedBytes (\(producer.maxBufferedBytes)) must be at least maxBatchBytes (\(producer.maxBatchBytes))")
        }
    }

    static func parseServer(_ text: Substring) -> Server? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else { return nil }
        var port = 9092
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        return Server(host: String(host), port: port)
    }
}

extension KafkaCompression {
    /// `none`, `gzip`, `snappy`, `lz4`, `zstd`.
    public static func named(_ name: String) -> KafkaCompression? {
        switch name.lowercased() {
        case "none": KafkaCompression.none
        case "gzip": .gzip
        case "snappy": .snappy
        case "lz4": .lz4
        case "zstd": .zstd
        default: nil
        }
    }
}

extension Duration {
    /// Whole milliseconds, clamped to Int32 (Kafka's `*_ms` fields).
    var kafkaMilliseconds: Int32 {
        let (s, atto) = components
        // Saturating: a Duration of any size (seconds up to Int64.max) gives a field value.
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        let (total, overflow2) = ms.addingReportingOverflow(atto / 1_000_000_000_000_000)
        if overflow || overflow2 { return s < 0 ? .min : .max }
        return Int32(clamping: total)
    }

    var timeAmount: TimeAmount { .milliseconds(Int64(kafkaMilliseconds)) }
}
