import FreshetCQL
import FreshetCQLClient
import FreshetCore

/// Why the Cassandra sink could not be configured or could not write, with what to do.
public struct CassandraSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The `cassandra://` URL is malformed or has a bad or unknown parameter (`parameter` names it).
        public static let invalidURL = Code(name: "invalidURL")
        /// The cluster refused one row for good (INVALID): `rowID` names it.
        public static let rowRejected = Code(name: "rowRejected")
        /// A write failed for a reason that may pass (timeouts, unavailable replicas, lost
        /// connections): retry the batch.
        public static let writeFailed = Code(name: "writeFailed")
        /// Reading positions or window totals failed.
        public static let readFailed = Code(name: "readFailed")
        /// Creating the keyspace or the tables failed.
        public static let schemaFailed = Code(name: "schemaFailed")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The URL parameter at fault, for `.invalidURL`.
    public var parameter: String?
    /// The row the cluster refused, for `.rowRejected`.
    public var rowID: String?
    /// The client error underneath, if any.
    public var underlying: CQLClientError?

    public init(code: Code, message: String, parameter: String? = nil, rowID: String? = nil, underlying: CQLClientError? = nil) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.rowID = rowID
        self.underlying = underlying
    }

    public var description: String { "CassandraSinkError.\(code): \(message)" }
}

/// Where and how the Cassandra sink writes, usually parsed from
/// `cassandra://[user:password@]host[:port][,host[:port]…][?key=value&…]`.
///
/// | parameter | default | meaning |
/// | --- | --- | --- |
/// | `keyspace` | `spark_streams` | created if missing (SimpleStrategy) |
/// | `replication_factor` | 1 | of a keyspace the sink creates |
/// | `consistency` | `LOCAL_QUORUM` | of every read and write: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE |
/// | `connections` | 2 | connections per node |
/// | `concurrency` | 256 | row writes in flight at once per batch |
/// | `local_dc` | the first contact point's | preferred data center |
/// | `request_timeout` | 12 (seconds) | per request |
/// | `connect_timeout` | 5 (seconds) | to open a connection and finish its handshake |
/// | `tls` | false | `true` speaks TLS, verifying the node's certificate with the system roots |
/// | `tls_ca` | — | a PEM file of CA certificates to verify the nodes with instead (implies `tls`) |
///
/// The port defaults to 9042. User name and password are percent-decoded.
public struct CassandraSinkConfiguration: Sendable, Hashable {
    public var contactPoints: [CQLContactPoint]
    /// Defaults to `nil`: no login.
    public var credentials: CQLCredentials?
    /// Defaults to "spark_streams", the seeds' keyspace.
    public var keyspace: String
    /// Of a keyspace the sink creates. Defaults to 1, as the seeds do.
    public var replicationFactor: Int
    /// Defaults to LOCAL_QUORUM.
    public var consistency: CQLConsistency
    /// Defaults to 2.
    public var connectionsPerHost: Int
    /// Row writes in flight at once within one `write`. Defaults to 256.
    public var maximumConcurrentWrites: Int
    /// Defaults to `nil`: the first contact point's data center.
    public var localDataCenter: String?
    /// Seconds. Defaults to 12.
    public var requestTimeoutSeconds: Int
    /// Seconds to connect and finish the handshake. Defaults to 5.
    public var connectTimeoutSeconds = 5
    /// Defaults to `false`.
    public var tls: Bool
    /// PEM file of the CA that signed the nodes' certificates; `nil` (the default): the
    /// system trust roots.
    public var tlsCAFile: String?

    public init(
        contactPoints: [CQLContactPoint], credentials: CQLCredentials? = nil, keyspace: String = "spark_streams",
        replicationFactor: Int = 1, consistency: CQLConsistency = .localQuorum, connectionsPerHost: Int = 2,
        maximumConcurrentWrites: Int = 256, localDataCenter: String? = nil, requestTimeoutSeconds: Int = 12, tls: Bool = false
    ) {
        self.contactPoints = contactPoints
        self.credentials = credentials
        self.keyspace = keyspace
        self.replicationFactor = replicationFactor
        self.consistency = consistency
        self.connectionsPerHost = connectionsPerHost
        self.maximumConcurrentWrites = maximumConcurrentWrites
        self.localDataCenter = localDataCenter
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.tls = tls
    }

    static let consistencies: [String: CQLConsistency] = [
        "ANY": .any, "ONE": .one, "TWO": .two, "THREE": .three, "QUORUM": .quorum, "ALL": .all, "LOCAL_QUORUM": .localQuorum,
        "EACH_QUORUM": .eachQuorum, "LOCAL_ONE": .localOne,
    ]

    static let parameters = [
        "keyspace", "replication_factor", "consistency", "connections", "concurrency", "local_dc", "request_timeout", "connect_timeout", "tls", "tls_ca",
    ]

    /// Parses a `cassandra://` URL; errors name the part or parameter at fault.
    public init(url: String) throws(CassandraSinkError) {
        func bad(_ message: String, _ parameter: String? = nil) -> CassandraSinkError {
            CassandraSinkError(code: .invalidURL, message: message, parameter: parameter)
        }
        let scheme = "cassandra://"
        guard url.lowercased().hasPrefix(scheme) else { throw bad("expected cassandra://[user:password@]host[:port][,host…][?keyspace=…]") }
        var rest = Substring(url.dropFirst(scheme.count))
        var query = Substring("")
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else { throw bad("unexpected path in the URL; give the keyspace as ?keyspace=name", "path") }
        self.init(contactPoints: [])
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else { throw bad("give both user and password: cassandra://user:password@host", "password") }
            guard let user = percentDecoded(userInfo[..<colon]), !user.isEmpty else { throw bad("the user name is empty or badly percent-encoded", "user") }
            guard let password = percentDecoded(userInfo[userInfo.index(after: colon)...]) else {
                throw bad("the password is badly percent-encoded", "password")
            }
            credentials = CQLCredentials(username: user, password: password)
        }
        guard !rest.isEmpty else { throw bad("no host in the URL", "host") }
        for entry in rest.split(separator: ",", omittingEmptySubsequences: false) {
            contactPoints.append(try Self.contactPoint(entry))
        }
        var seen = Set<String>()
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? (percentDecoded(parts[1]) ?? "") : ""
            guard seen.insert(key).inserted else { throw bad("parameter \(key) is given twice", key) }
            func int(_ range: ClosedRange<Int>) throws(CassandraSinkError) -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw bad("\(key) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(value)'", key)
                }
                return n
            }
            switch key {
            case "keyspace":
                guard Self.isValidName(value) else {
                    throw bad("keyspace must be 1 to 48 letters, digits or underscores, starting with a letter; got '\(value)'", key)
                }
                keyspace = value.lowercased()
            case "replication_factor": replicationFactor = try int(1...100)
            case "consistency":
                guard let level = Self.consistencies[value.uppercased()] else {
                    throw bad("consistency must be one of \(Self.consistencies.keys.sorted().joined(separator: ", ")); got '\(value)'", key)
                }
                consistency = level
            case "connections": connectionsPerHost = try int(1...64)
            case "concurrency": maximumConcurrentWrites = try int(1...4096)
            case "local_dc":
                guard !value.isEmpty else { throw bad("local_dc is empty", key) }
                localDataCenter = value
            case "request_timeout": requestTimeoutSeconds = try int(1...3600)
            case "connect_timeout": connectTimeoutSeconds = try int(1...600)
            case "tls":
                switch value.lowercased() {
                case "true", "1", "yes": tls = true
                case "false", "0", "no": tls = false
                default: throw bad("tls must be true or false; got '\(value)'", key)
                }
            case "tls_ca":
                guard !value.isEmpty else { throw bad("tls_ca is empty; give a PEM file", key) }
                tlsCAFile = value
                tls = true
            default:
                throw bad("unknown parameter \(key); known: \(Self.parameters.joined(separator: ", "))", key)
            }
        }
    }

    static func contactPoint(_ text: Substring) throws(CassandraSinkError) -> CQLContactPoint {
        func bad(_ message: String) -> CassandraSinkError { CassandraSinkError(code: .invalidURL, message: message, parameter: "host") }
        var host = text
        var port = 9042
        if host.hasPrefix("[") {
            // [IPv6]:port
            guard let close = host.firstIndex(of: "]") else { throw bad("unterminated IPv6 address '\(text)'") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw bad("bad port in '\(text)'") }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { throw bad("bad port in '\(text)' (1…65535)") }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw bad("empty host in the host list") }
        return CQLContactPoint(host: String(host), port: port)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, (1...48).contains(name.unicodeScalars.count), first.properties.isAlphabetic, first.isASCII else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
