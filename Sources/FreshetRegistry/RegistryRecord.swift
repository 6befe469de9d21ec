import FreshetAvro
import FreshetCore

/// One change to the registry, as kept in the `_schemas` topic (docs/schema-registry.md): the
/// registry's state is what applying every record of the topic, in log order, leaves.
///
/// The value of a `_schemas` message is the record as a JSON object:
///
/// - `{"type":"SCHEMA","subject":"users_created-value","version":1,"id":1,"schema":"{…}"}`
/// - `{"type":"DELETE_VERSION","subject":"s","version":2,"permanent":false}`
/// - `{"type":"DELETE_SUBJECT","subject":"s","permanent":true}`
/// - `{"type":"CONFIG","subject":"s","compatibility":"FULL"}` (`subject` null for the global
///   level; `compatibility` null removes a subject's level, or resets the global one to BACKWARD)
public enum RegistryRecord: Sendable, Equatable {
    /// Version `version` of `subject` is the schema with global id `id` (its compact JSON).
    case schema(subject: String, version: Int, id: UInt32, schema: String)
    /// Soft-deletes a version, or removes a soft-deleted one for good (`permanent`).
    case deleteVersion(subject: String, version: Int, permanent: Bool)
    /// Soft-deletes every version of a subject, or removes its soft-deleted versions for good.
    case deleteSubject(subject: String, permanent: Bool)
    /// Sets (or, with nil, removes) the compatibility level of `subject`, or the global one.
    case config(subject: String?, compatibility: AvroCompatibilityLevel?)

    /// The subject the record is about (nil for the global configuration): the message key.
    public var subject: String? {
        switch self {
        case .schema(let subject, _, _, _), .deleteVersion(let subject, _, _), .deleteSubject(let subject, _): subject
        case .config(let subject, _): subject
        }
    }

    /// The record's JSON, as written to `_schemas`.
    public func encoded() -> [UInt8] {
        var members: [JSONObject.Member] = []
        func add(_ key: String, _ value: JSONValue) { members.append(.init(key: key, value: value)) }
        switch self {
        case .schema(let subject, let version, let id, let schema):
            add("type", .string("SCHEMA"))
            add("subject", .string(subject))
            add("version", .number(String(version)))
            add("id", .number(String(id)))
            add("schema", .string(schema))
        case .deleteVersion(let subject, let version, let permanent):
            add("type", .string("DELETE_VERSION"))
            add("subject", .string(subject))
            add("version", .number(String(version)))
            add("permanent", .bool(permanent))
        case .deleteSubject(let subject, let permanent):
            add("type", .string("DELETE_SUBJECT"))
            add("subject", .string(subject))
            add("permanent", .bool(permanent))
        case .config(let subject, let level):
            add("type", .string("CONFIG"))
            add("subject", subject.map(JSONValue.string) ?? .null)
            add("compatibility", level.map { .string($0.rawValue) } ?? .null)
        }
        var writer = JSONWriter(capacity: 256)
        writer.value(.object(JSONObject(members)))
        return writer.bytes
    }

    /// Reads a `_schemas` message value. The bytes come from a topic anyone with access to the
    /// cluster can write, so they are read as hostile: at most `limits.maxRecordBytes`, and
    /// every field is checked (a bad one is an error naming it).
    public static func decode(_ bytes: [UInt8], limits: RegistryLimits = RegistryLimits()) throws(RegistryRecordError) -> RegistryRecord {
        guard bytes.count <= limits.maxRecordBytes else {
            throw RegistryRecordError(field: "record", "the record is \(bytes.count) bytes; at most \(limits.maxRecordBytes) are read")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw RegistryRecordError(field: "record", "not JSON: \(error)")
        }
        guard let object = json.objectValue else { throw RegistryRecordError(field: "record", "not a JSON object") }
        guard let type = object["type"]?.stringValue else { throw RegistryRecordError(field: "type", "missing or not a string") }
        switch type {
        case "SCHEMA":
            let subject = try subject(object, limits: limits)
            let version = try positiveInt(object, "version")
            let id = try positiveInt(object, "id")
            guard let schema = object["schema"]?.stringValue else { throw RegistryRecordError(field: "schema", "missing or not a string") }
            guard schema.utf8.count <= limits.maxSchemaBytes else {
                throw RegistryRecordError(field: "schema", "the schema is \(schema.utf8.count) bytes; at most \(limits.maxSchemaBytes)")
            }
            return .schema(subject: subject, version: version, id: UInt32(id), schema: schema)
        case "DELETE_VERSION":
            return .deleteVersion(
                subject: try subject(object, limits: limits), version: try positiveInt(object, "version"), permanent: try bool(object, "permanent"))
        case "DELETE_SUBJECT":
            return .deleteSubject(subject: try subject(object, limits: limits), permanent: try bool(object, "permanent"))
        case "CONFIG":
            let subject: String? = object["subject"].map(\.isNull) ?? true ? nil : try Self.subject(object, limits: limits)
            let level: AvroCompatibilityLevel?
            switch object["compatibility"] {
            case nil, .null?: level = nil
            case .string(let text)?:
                guard let parsed = AvroCompatibilityLevel(rawValue: text) else {
                    throw RegistryRecordError(field: "compatibility", "unknown level '\(text.prefix(40))'")
                }
                level = parsed
            default: throw RegistryRecordError(field: "compatibility", "not a string or null")
            }
            return .config(subject: subject, compatibility: level)
        default:
            throw RegistryRecordError(field: "type", "unknown record type '\(type.prefix(40))'")
        }
    }

    private static func subject(_ object: JSONObject, limits: RegistryLimits) throws(RegistryRecordError) -> String {
        guard let subject = object["subject"]?.stringValue else { throw RegistryRecordError(field: "subject", "missing or not a string") }
        if let problem = RegistryLimits.subjectProblem(subject, limits: limits) { throw RegistryRecordError(field: "subject", problem) }
        return subject
    }

    /// An integer in 1...Int32.max (Confluent's versions and ids are Java ints).
    private static func positiveInt(_ object: JSONObject, _ field: String) throws(RegistryRecordError) -> Int {
        guard case .number(let text)? = object[field], let value = Int(text), value >= 1, value <= Int(Int32.max) else {
            throw RegistryRecordError(field: field, "not an integer in 1...\(Int32.max)")
        }
        return value
    }

    private static func bool(_ object: JSONObject, _ field: String) throws(RegistryRecordError) -> Bool {
        guard case .bool(let value)? = object[field] else { throw RegistryRecordError(field: field, "missing or not a boolean") }
        return value
    }
}

/// Why a `_schemas` message is not a registry record; `field` names the bad field.
public struct RegistryRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "invalid _schemas record: \(field): \(message)" }
}
