import FreshetCore

/// A manual run's `conf` as the web API receives it (`POST /api/dags/{dag}/runs` with
/// `{"conf": {"duration": "3s", "rate": 500}}`): parsed by FreshetCore's strict JSON reader
/// (lone surrogates, invalid UTF-8 and deep nesting are refused) into the text map that
/// `DAG.applying(conf:)` validates. Pure, so the `dag-conf` fuzz target drives it.
public enum RunConf {
    /// Why a body cannot be a run's conf; `parameter` is the body field at fault, `key` the conf key.
    public struct Failure: Error, Sendable, Equatable {
        public var message: String
        public var parameter: String
        public var key: String?
    }

    /// At most this many conf keys: 16.
    public static let maxKeys = 16
    /// Longest conf value: 256 bytes.
    public static let maxValueBytes = 256

    /// The body as a JSON object (any write's body must be one, or empty).
    public static func object(_ body: [UInt8]) -> Result<JSONObject, Failure> {
        guard case .object(let object)? = try? JSONParser.parse(body) else {
            return .failure(Failure(message: "the body is not a JSON object (e.g. {\"conf\": {\"duration\": \"3s\"}})", parameter: "body"))
        }
        return .success(object)
    }

    /// The `conf` of a trigger body; an empty body is an empty conf.
    public static func parse(_ body: [UInt8]) -> Result<[String: String], Failure> {
        if body.isEmpty { return .success([:]) }
        let object: JSONObject
        switch self.object(body) {
        case .success(let o): object = o
        case .failure(let f): return .failure(f)
        }
        if let key = object.keys.sorted().first(where: { $0 != "conf" }) {
            return .failure(Failure(message: "unknown field '\(key.prefix(100))' (known: conf)", parameter: String(key.prefix(100))))
        }
        var conf: [String: String] = [:]
        switch object["conf"] {
        case nil, .null?: return .success([:])
        case .object(let members)?:
            guard members.members.count <= maxKeys else {
                return .failure(Failure(message: "conf has \(members.members.count) keys; at most \(maxKeys)", parameter: "conf"))
            }
            for member in members.members {
                let key = member.key
                let text: String
                switch member.value {
                case .string(let s): text = s
                case .number(let n): text = n
                default:
                    return .failure(
                        Failure(
                            message: "conf key '\(key.prefix(100))': the value must be a string or a number", parameter: "conf", key: String(key.prefix(100))))
                }
                guard text.utf8.count <= maxValueBytes else {
                    return .failure(
                        Failure(
                            message: "conf key '\(key.prefix(100))': the value is longer than \(maxValueBytes) bytes", parameter: "conf",
                            key: String(key.prefix(100))))
                }
                guard conf[key] == nil else {
                    return .failure(Failure(message: "conf key '\(key.prefix(100))' is given twice", parameter: "conf", key: String(key.prefix(100))))
                }
                conf[key] = text
            }
            return .success(conf)
        default:
            return .failure(
                Failure(message: "conf must be an object of key: value strings (e.g. {\"duration\": \"3s\", \"rate\": \"500\"})", parameter: "conf"))
        }
    }
}
