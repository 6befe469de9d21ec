import FreshetCore

/// The JSON API's query parameters, parsed by pure functions (fuzzed by `web-query`): the raw
/// query string in, typed values or an error naming the parameter out. Handlers never read
/// `request.uri.queryParameters` for these.
public enum WebQuery {
    /// A parameter the API cannot use, and why.
    public struct Failure: Error, Sendable, Equatable {
        public var parameter: String
        public var message: String
        public init(parameter: String, message: String) {
            self.parameter = parameter
            self.message = message
        }
    }

    /// Longest query string considered: 8 KiB (the HTTP decoder bounds the line anyway).
    public static let maxQueryBytes = 8 << 10
    /// At most this many `name=value` pairs are read: 64.
    public static let maxPairs = 64

    /// `name=value&…` decoded (`%XX`, `+` as a space); the first occurrence of a name wins.
    /// Pairs whose name or value is not valid percent-encoded UTF-8 are ignored, as are pairs
    /// past `maxPairs` and a query longer than `maxQueryBytes`.
    public struct Parameters: Sendable, Equatable {
        public private(set) var values: [String: String] = [:]

        public init(query: String) {
            guard query.utf8.count <= WebQuery.maxQueryBytes else { return }
            for pair in query.split(separator: "&", omittingEmptySubsequences: true).prefix(WebQuery.maxPairs) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let plus = { (s: Substring) in String(s.map { $0 == "+" ? " " : $0 }) }
                guard let name = percentDecoded(plus(parts[0])), !name.isEmpty else { continue }
                let value = parts.count == 2 ? percentDecoded(plus(parts[1])) : ""
                guard let value, values[name] == nil else { continue }
                values[name] = value
            }
        }

        public subscript(_ name: String) -> String? { values[name] }
    }

    /// An integer parameter in `range`, `defaultValue` when absent.
    public static func int(_ parameters: Parameters, _ name: String, range: ClosedRange<Int>, default defaultValue: Int) -> Result<Int, Failure> {
        guard let text = parameters[name] else { return .success(defaultValue) }
        guard let n = ConfigRange.int(text, in: range) else {
            return .failure(
                Failure(parameter: name, message: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound); got '\(text.prefix(32))'"))
        }
        return .success(n)
    }

    /// `/api/users`: `limit` (1…1000, default 50) and `cursor` (the last id of the previous page).
    public struct UsersPage: Sendable, Equatable {
        public var limit: Int
        public var cursor: String?
        public init(limit: Int, cursor: String?) {
            self.limit = limit
            self.cursor = cursor
        }
    }

    public static func users(_ parameters: Parameters) -> Result<UsersPage, Failure> {
        let limit: Int
        switch int(parameters, "limit", range: 1...1000, default: 50) {
        case .success(let n): limit = n
        case .failure(let f): return .failure(f)
        }
        let cursor = parameters["cursor"]
        if let cursor, !UserSchema.isUUID(cursor) {
            return .failure(
                Failure(parameter: "cursor", message: "cursor must be the id of the last user of the previous page (a UUID); got '\(cursor.prefix(64))'"))
        }
        return .success(UsersPage(limit: limit, cursor: cursor))
    }

    /// `/api/topics/{name}/messages`, `/api/dlq`: `limit` (1…500, default 20).
    public static func messages(_ parameters: Parameters) -> Result<Int, Failure> {
        int(parameters, "limit", range: 1...500, default: 20)
    }

    /// `/api/dags/{dag}/runs`: `limit` (1…500, default 20).
    public static func runs(_ parameters: Parameters) -> Result<Int, Failure> {
        int(parameters, "limit", range: 1...500, default: 20)
    }

    /// A topic name from the path: 1…249 bytes of letters, digits, `.`, `_` and `-` (Kafka's rule).
    public static func topic(_ name: String) -> Result<String, Failure> {
        guard !name.isEmpty, name.utf8.count <= 249, name.utf8.allSatisfy(isTopicByte) else {
            return .failure(Failure(parameter: "name", message: "no topic named '\(name.prefix(100))'"))
        }
        return .success(name)
    }

    /// A letter, a digit, `.`, `_` or `-`.
    static func isTopicByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
    }
}
