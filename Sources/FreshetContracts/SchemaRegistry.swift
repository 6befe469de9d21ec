/// A Confluent-compatible schema registry as the pipeline uses it (docs/schema-registry.md):
/// the source registers its writer schema once, under `<topic>-value`; the processor and the
/// readers of a topic look writer schemas up by the global id each Avro message carries.
///
/// Implementations: the registry Freshet serves itself (kept in the log's `_schemas` topic) and
/// a REST client of an external one (Confluent's, or another Freshet's).
public protocol SchemaRegistry: Sendable {
    /// Registers `schema` (an Avro schema as JSON) under `subject`, or finds it if the subject
    /// already has it; returns its global id. Throws `SchemaRegistryError` (e.g. 409 for a
    /// schema the subject's compatibility level refuses, 42201 for an invalid schema).
    func register(subject: String, schema: String) async throws -> UInt32
    /// The schema (Avro schema JSON) with global id `id`; throws `SchemaRegistryError` with
    /// code 40403 when no schema has that id.
    func schema(id: UInt32) async throws -> String
}

/// An error as Confluent's registry reports it: an HTTP status, an `error_code` and a message.
public struct SchemaRegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (404, 409, 422, 500…).
    public var status: Int
    /// Confluent's `error_code`, e.g. 40401 subject not found, 40403 schema not found,
    /// 42201 invalid schema, 409 incompatible schema.
    public var code: Int
    public var message: String

    public init(status: Int, code: Int, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static let subjectNotFound = 40401
    public static let versionNotFound = 40402
    public static let schemaNotFound = 40403
    public static let subjectSoftDeleted = 40404
    public static let subjectNotSoftDeleted = 40405
    public static let schemaVersionSoftDeleted = 40406
    public static let schemaVersionNotSoftDeleted = 40407
    public static let incompatibleSchema = 409
    public static let invalidSchema = 42201
    public static let invalidVersion = 42202
    public static let invalidCompatibilityLevel = 42203
    public static let storeError = 50001

    public var description: String { "schema registry error \(code) (HTTP \(status)): \(message)" }
}
