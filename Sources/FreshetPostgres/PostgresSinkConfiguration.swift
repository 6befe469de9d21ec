import FreshetCore

/// Why the PostgreSQL sink could not be configured, connect, or write, with what to do.
///
/// Messages never contain the password: URL errors name the part at fault (`part`), and server
/// errors carry the server's message and SQLSTATE (which do not echo credentials).
public struct PostgresSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The `postgres://` URL is malformed; `part` names the part (scheme, user, password, host,
        /// port, database, or a parameter).
        public static let invalidURL = Code(name: "invalidURL")
        /// The server could not be reached or refused the login: fix the URL or the server.
        public static let connectFailed = Code(name: "connectFailed")
        /// The server refused one row for good (a constraint or a value it cannot store):
        /// `rowID` names it ("?" when the batch had several rows; the processor isolates them).
        /// Nothing of the batch was applied.
        public static let rowRejected = Code(name: "rowRejected")
        /// A write failed for a reason that may pass (lost connection, serialization failure,
        /// disk full, …); nothing was applied, retry the batch.
        public static let writeFailed = Code(name: "writeFailed")
        /// A read (positions, dashboard queries) failed.
        public static let readFailed = Code(name: "readFailed")
        /// Creating the tables, indexes or triggers failed.
        public static let schemaFailed = Code(name: "schemaFailed")
        /// The sink has been closed.
        public static let closed = Code(name: "closed")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The URL part at fault, for `.invalidURL`.
    public var part: String?
    /// The row the server refused, for `.rowRejected`.
    public var rowID: String?
    /// The server's SQLSTATE, when the server answered with an error.
    public var sqlState: String?

    public init(code: Code, message: String, part: String? = nil, rowID: String? = nil, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.part = part
        self.rowID = rowID
        self.sqlState = sqlState
    }

    public var description: String {
        var text = "PostgresSinkError.\(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }
}

/// Where and how the PostgreSQL sink writes, usually parsed from
/// `postgres://user[:password]@host[:port]/database[?key=value&…]` (`postgresql://` too).
///
/// | parameter | default | meaning |
/// | --- | --- | --- |
/// | `sslmode` | `prefer` | `disable`, `prefer` (TLS when the server offers it) or `require` (TLS verified with the system roots) |
/// | `connections` | 4 | most connections in the pool (one writer at a time; the rest serve dashboard queries) |
/// | `connect_timeout` | 10 (seconds) | per connection attempt |
///
/// The port defaults to 5432. User name, password and database are percent-decoded.
public struct PostgresSinkConfiguration: Sendable, Hashable {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    /// Defaults to 5432.
    public var port: Int
    public var username: String
    /// Defaults to `nil`: trust or peer authentication.
    public var password: String?
    public var database: String
    /// Defaults to ``TLSMode/prefer``.
    public var tls: TLSMode
    /// Defaults to 4.
    public var maximumConnections: Int
    /// Seconds. Defaults to 10.
    public var connectTimeoutSeconds: Int

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        tls: TLSMode = .prefer, maximumConnections: Int = 4, connectTimeoutSeconds: Int = 10
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    static let parameters = ["sslmode", "connections", "connect_timeout"]

    /// Whether `url` asks for the PostgreSQL store.
    public static func isPostgresURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` URL; errors name the part at fault and never quote the password.
    public init(url: String) throws(PostgresSinkError) {
        func bad(_ message: String, _ part: String) -> PostgresSinkError {
            PostgresSinkError(code: .invalidURL, message: message, part: part)
        }
        let lower = url.lowercased()
        let scheme = ["postgres://", "postgresql://"].first { lower.hasPrefix($0) }
        guard let scheme else { throw bad("expected postgres://user:password@host:port/database", "scheme") }
        var rest = Substring(url.dropFirst(scheme.count))
        if url.contains("#") {
            throw bad("unexpected '#' in the URL; percent-encode it (%23) in the password", url.contains("@") ? "password" : "database")
        }
        var query = Substring("")
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        // The authority ends at the first "/" (as for `redact`, which must hide the password
        // in the same place): a password with "/", "?" or "#" must be percent-encoded.
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = authorityEnd < rest.endIndex ? rest[rest.index(after: authorityEnd)...] : ""
        if !authority.contains("@"), url.contains("@") {
            throw bad("the user info must come before the first '/', '?' or '#'; percent-encode those characters in the password (%2F, %3F, %23)", "password")
        }
        var userInfo: Substring?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }
        guard let userInfo else { throw bad("no user in the URL: postgres://user:password@host/database", "user") }
        let userPart: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            userPart = userInfo[..<colon]
            guard let decoded = percentDecoded(userInfo[userInfo.index(after: colon)...]) else {
                throw bad("the password is badly percent-encoded", "password")
            }
            password = decoded
        } else {
            userPart = userInfo
        }
        guard let user = percentDecoded(userPart), !user.isEmpty else { throw bad("the user name is empty or badly percent-encoded", "user") }
        var host = hostPort
        var port = 5432
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw bad("unterminated IPv6 address '\(hostPort)'", "host") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw bad("bad port in '\(hostPort)' (1…65535)", "port")
                }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw bad("bad port in '\(hostPort)' (1…65535)", "port")
            }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw bad("no host in the URL", "host") }
        guard let database = percentDecoded(path), !database.isEmpty, !database.contains("/") else {
            throw bad("give the database as the URL's path: postgres://user:password@host:port/database", "database")
        }
        self.init(host: String(host), port: port, username: user, password: password, database: database)
        var seen = Set<String>()
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? (percentDecoded(parts[1]) ?? "") : ""
            guard seen.insert(key).inserted else { throw bad("parameter \(key) is given twice", key) }
            func int(_ range: ClosedRange<Int>) throws(PostgresSinkError) -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw bad("\(key) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(value)'", key)
                }
                return n
            }
            switch key {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value.lowercased()) else {
                    throw bad("sslmode must be disable, prefer or require; got '\(value)'", key)
                }
                tls = mode
            case "connections": maximumConnections = try int(2...256)
            case "connect_timeout": connectTimeoutSeconds = try int(1...3600)
            default:
                throw bad("unknown parameter \(key); known: \(Self.parameters.joined(separator: ", "))", key)
            }
        }
    }
}
