import FreshetAvro
import FreshetContracts
import FreshetCore

/// A registry's subjects, versions, schemas and compatibility levels: an IO-free value that
/// changes only by `apply(_:)`-ing `RegistryRecord`s, so that every process applying the same
/// records in the same order has the same state and ids (docs/schema-registry.md).
///
/// Writes are planned against the state (`planRegister`, `planDeleteVersion`, …), which checks
/// them as Confluent's registry does and returns the record to append; the writer appends it,
/// applies the log up to it, and reads the outcome. The apply rules settle races between
/// writers that planned against the same state:
///
/// - a SCHEMA record is applied only if its version is the subject's next one (one more than
///   its highest version, soft-deleted ones included), its id is new or already that schema's,
///   the schema has no other id, and the subject has no live version of it;
/// - deletes and configuration changes are applied when they still make sense (a permanent
///   delete removes only soft-deleted versions), and are no-ops when repeated.
public struct RegistryState: Sendable {
    /// One version of a subject.
    public struct Version: Sendable, Equatable {
        public var version: Int
        public var id: UInt32
        public var deleted: Bool
    }

    /// A schema by global id: its JSON as registered (compacted) and parsed.
    public struct StoredSchema: Sendable {
        public let text: String
        public let parsed: AvroSchema
    }

    /// A schema registered under a subject, as the REST API shows it.
    public struct Registered: Sendable, Equatable {
        public var subject: String
        public var version: Int
        public var id: UInt32
        public var schema: String
        public var deleted: Bool
    }

    /// Which version an operation means: a number, or the latest.
    public enum VersionSpec: Sendable, Equatable {
        case latest
        case number(Int)

        /// `latest`, `-1` (Confluent's other spelling of it) or a version in 1...Int32.max;
        /// else 42202 invalid version.
        public init(parsing text: String) throws(SchemaRegistryError) {
            if text == "latest" || text == "-1" {
                self = .latest
            } else if let number = Int(text), number >= 1, number <= Int(Int32.max) {
                self = .number(number)
            } else {
                throw SchemaRegistryError(
                    status: 422, code: SchemaRegistryError.invalidVersion,
                    message:
                        "The specified version '\(text.prefix(40))' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
                )
            }
        }
    }

    /// What applying a record did.
    public enum Outcome: Sendable, Equatable {
        case applied
        /// The record changed nothing; why (a lost race, a repeat, a record that does not apply).
        case ignored(String)
    }

    public let limits: RegistryLimits
    /// Versions of each subject, oldest first.
    public private(set) var subjects: [String: [Version]] = [:]
    public private(set) var schemas: [UInt32: StoredSchema] = [:]
    private var idsByText: [String: UInt32] = [:]
    public private(set) var maxID: UInt32 = 0
    /// The global compatibility level. Defaults to BACKWARD.
    public private(set) var globalCompatibility: AvroCompatibilityLevel = .backward
    public private(set) var subjectCompatibility: [String: AvroCompatibilityLevel] = [:]

    public init(limits: RegistryLimits = RegistryLimits()) {
        self.limits = limits
    }

    // MARK: Applying records

    /// Applies one record (deterministic, and a no-op when repeated).
    @discardableResult
    public mutating func apply(_ record: RegistryRecord) -> Outcome {
        switch record {
        case .schema(let subject, let version, let id, let text):
            let versions = subjects[subject] ?? []
            let next = (versions.last?.version ?? 0) + 1
            guard version == next else { return .ignored("\(subject) version \(version) is not the next version (\(next))") }
            if let stored = schemas[id], stored.text != text { return .ignored("id \(id) is another schema's") }
            if let existing = idsByText[text], existing != id { return .ignored("the schema already has id \(existing)") }
            if versions.contains(where: { $0.id == id && !$0.deleted }) { return .ignored("\(subject) already has schema \(id)") }
            if schemas[id] == nil {
                // Parsed with the readable limit, not this process's: every process must agree.
                guard let parsed = try? AvroSchema(parsing: text, limits: AvroSchemaLimits(maxBytes: RegistryLimits.readableSchemaBytes)) else {
                    return .ignored("schema \(id) is not a valid Avro schema")
                }
                schemas[id] = StoredSchema(text: text, parsed: parsed)
                idsByText[text] = id
                maxID = max(maxID, id)
            }
            subjects[subject, default: []].append(Version(version: version, id: id, deleted: false))
            return .applied

        case .deleteVersion(let subject, let version, let permanent):
            guard var versions = subjects[subject], let index = versions.firstIndex(where: { $0.version == version }) else {
                return .ignored("\(subject) has no version \(version)")
            }
            if permanent {
                guard versions[index].deleted else { return .ignored("\(subject) version \(version) is not soft-deleted") }
                versions.remove(at: index)
            } else {
                guard !versions[index].deleted else { return .ignored("\(subject) version \(version) is already soft-deleted") }
                versions[index].deleted = true
            }
            setVersions(versions, of: subject)
            return .applied

        case .deleteSubject(let subject, let permanent):
            guard var versions = subjects[subject] else { return .ignored("no subject \(subject)") }
            if permanent {
                let before = versions.count
                versions.removeAll(where: \.deleted)
                guard versions.count != before else { return .ignored("\(subject) has no soft-deleted version") }
            } else {
                guard versions.contains(where: { !$0.deleted }) else { return .ignored("\(subject) is already soft-deleted") }
                for i in versions.indices { versions[i].deleted = true }
            }
            setVersions(versions, of: subject)
            return .applied

        case .config(let subject, let level):
            if let subject {
                if subjectCompatibility[subject] == level { return .ignored("no change") }
                subjectCompatibility[subject] = level
            } else {
                let level = level ?? .backward
                if globalCompatibility == level { return .ignored("no change") }
                globalCompatibility = level
            }
            return .applied
        }
    }

    /// A subject left without versions is gone, with its compatibility level (as Confluent's
    /// permanent delete does). Schemas stay readable by id: messages written with them may
    /// still be in topics.
    private mutating func setVersions(_ versions: [Version], of subject: String) {
        if versions.isEmpty {
            subjects[subject] = nil
            subjectCompatibility[subject] = nil
        } else {
            subjects[subject] = versions
        }
    }

    // MARK: Reading

    /// Subjects with a live version (or with any version, when `deleted`), sorted.
    public func subjectNames(deleted: Bool = false) -> [String] {
        subjects.filter { deleted || $0.value.contains { !$0.deleted } }.keys.sorted()
    }

    /// The version numbers of `subject`: 40401 when it has none (live ones unless `deleted`).
    public func versions(of subject: String, deleted: Bool = false) throws(SchemaRegistryError) -> [Int] {
        let versions = try liveVersions(subject, deleted: deleted)
        return versions.map(\.version)
    }

    /// One version of `subject`: 40401 when the subject has none, 40402 when it lacks that one.
    public func version(_ spec: VersionSpec, of subject: String, deleted: Bool = false) throws(SchemaRegistryError) -> Registered {
        let versions = try liveVersions(subject, deleted: deleted)
        let found: Version?
        switch spec {
        case .latest: found = versions.last
        case .number(let n): found = versions.first { $0.version == n }
        }
        guard let found, let stored = schemas[found.id] else { throw Self.versionNotFound(spec) }
        return Registered(subject: subject, version: found.version, id: found.id, schema: stored.text, deleted: found.deleted)
    }

    /// The schema with global id `id`: 40403 when there is none.
    public func schema(id: UInt32) throws(SchemaRegistryError) -> StoredSchema {
        guard let stored = schemas[id] else {
            throw SchemaRegistryError(status: 404, code: SchemaRegistryError.schemaNotFound, message: "Schema \(id) not found")
        }
        return stored
    }

    /// The subjects and versions that have schema `id` (live ones unless `deleted`), by subject.
    public func usages(of id: UInt32, deleted: Bool = false) throws(SchemaRegistryError) -> [(subject: String, version: Int)] {
        _ = try schema(id: id)
        var result: [(subject: String, version: Int)] = []
        for subject in subjects.keys.sorted() {
            for version in subjects[subject] ?? [] where version.id == id && (deleted || !version.deleted) {
                result.append((subject, version.version))
            }
        }
        return result
    }

    /// The version of `subject` holding `schema` (Confluent's lookup): 40401 when the subject
    /// has no version, 40403 when none is this schema, 42201 when it is not a valid schema.
    public func lookup(_ schema: String, under subject: String, deleted: Bool = false) throws(SchemaRegistryError) -> Registered {
        let versions = try liveVersions(subject, deleted: deleted)
        let (text, _) = try normalize(schema)
        guard let id = idsByText[text], let found = versions.last(where: { $0.id == id }) else {
            throw SchemaRegistryError(status: 404, code: SchemaRegistryError.schemaNotFound, message: "Schema not found")
        }
        return Registered(subject: subject, version: found.version, id: id, schema: text, deleted: found.deleted)
    }

    /// The level that applies to `subject`: its own, else the global one.
    public func compatibility(of subject: String) -> AvroCompatibilityLevel {
        subjectCompatibility[subject] ?? globalCompatibility
    }

    /// The problems with `schema` as the next version of `subject` (Confluent's
    /// `/compatibility/subjects/{s}/versions/{v}`): against `version` only, or, for `latest`,
    /// against the versions the subject's level says. Empty when compatible (or when the
    /// subject has no version yet and `latest` is asked).
    public func compatibilityProblems(of schema: String, subject: String, version spec: VersionSpec) throws(SchemaRegistryError) -> [String] {
        let (_, parsed) = try normalize(schema)
        let live = (subjects[subject] ?? []).filter { !$0.deleted }
        let previous: [Version]
        switch spec {
        case .latest:
            previous = live
        case .number(let n):
            guard !live.isEmpty else { throw Self.subjectNotFound(subject) }
            guard let found = live.first(where: { $0.version == n }) else { throw Self.versionNotFound(spec) }
            previous = [found]
        }
        let level = compatibility(of: subject)
        return AvroCompatibility.check(parsed, against: previous.compactMap { schemas[$0.id]?.parsed }, level: level)
    }

    // MARK: Planning writes

    /// What registering `schema` under `subject` needs.
    public enum RegisterPlan: Sendable, Equatable {
        /// The subject already has it: nothing to write.
        case existing(Registered)
        /// Append this SCHEMA record, then read the outcome with `registered(_:)`.
        case write(RegistryRecord)
    }

    /// Checks a registration as Confluent does: a valid subject (42208) and schema (42201,
    /// 42209 when larger than `maxSchemaBytes`), compatible with the subject's earlier versions
    /// under its level (409), within the limits (42205).
    public func planRegister(subject: String, schema: String) throws(SchemaRegistryError) -> RegisterPlan {
        if let problem = RegistryLimits.subjectProblem(subject, limits: limits) {
            throw SchemaRegistryError(status: 422, code: Self.invalidSubject, message: problem)
        }
        let (text, parsed) = try normalize(schema)
        let versions = subjects[subject] ?? []
        let existingID = idsByText[text]
        if let existingID, let live = versions.last(where: { $0.id == existingID && !$0.deleted }) {
            return .existing(Registered(subject: subject, version: live.version, id: existingID, schema: text, deleted: false))
        }
        let live = versions.filter { !$0.deleted }
        let level = compatibility(of: subject)
        let problems = AvroCompatibility.check(parsed, against: live.compactMap { schemas[$0.id]?.parsed }, level: level)
        guard problems.isEmpty else {
            throw SchemaRegistryError(
                status: 409, code: SchemaRegistryError.incompatibleSchema,
                message: "Schema being registered is incompatible with an earlier schema for subject \"\(subject)\" (\(level.rawValue)): "
                    + problems.joined(separator: "; "))
        }
        if versions.isEmpty && subjects.count >= limits.maxSubjects {
            throw Self.limitReached("the registry holds \(limits.maxSubjects) subjects (schema_registry.max_subjects)")
        }
        if versions.count >= limits.maxVersionsPerSubject {
            throw Self.limitReached("\(subject) has \(limits.maxVersionsPerSubject) versions (schema_registry.max_versions_per_subject)")
        }
        let id: UInt32
        if let existingID {
            id = existingID
        } else {
            guard schemas.count < limits.maxSchemas else {
                throw Self.limitReached("the registry holds \(limits.maxSchemas) schemas (schema_registry.max_schemas)")
            }
            guard maxID < UInt32(Int32.max) else { throw Self.limitReached("no global id is left") }
            id = maxID + 1
        }
        let version = (versions.last?.version ?? 0) + 1
        return .write(.schema(subject: subject, version: version, id: id, schema: text))
    }

    /// What a SCHEMA record registered, once applied: nil when it lost a race (the writer plans
    /// again). The schema is compared too: two writers may have planned the same id and version
    /// for different schemas.
    public func registered(_ record: RegistryRecord) -> Registered? {
        guard case .schema(let subject, let version, let id, let text) = record,
            let found = subjects[subject]?.first(where: { $0.version == version }), found.id == id, !found.deleted,
            let stored = schemas[id], stored.text == text
        else { return nil }
        return Registered(subject: subject, version: version, id: id, schema: stored.text, deleted: false)
    }

    /// Checks a delete of one version: 40401 no such subject, 40402 no such version, 40406 a
    /// soft delete of a soft-deleted version, 40407 a permanent delete of a live one. Returns the
    /// record and the version number to answer.
    public func planDeleteVersion(_ spec: VersionSpec, of subject: String, permanent: Bool) throws(SchemaRegistryError) -> (RegistryRecord, Int) {
        guard let versions = subjects[subject], !versions.isEmpty else { throw Self.subjectNotFound(subject) }
        let found: Version?
        switch spec {
        case .latest: found = permanent ? versions.last : versions.last(where: { !$0.deleted })
        case .number(let n): found = versions.first { $0.version == n }
        }
        guard let found else { throw Self.versionNotFound(spec) }
        if permanent && !found.deleted {
            throw SchemaRegistryError(
                status: 404, code: SchemaRegistryError.schemaVersionNotSoftDeleted,
                message: "Subject '\(subject)' Version \(found.version) was not deleted first before being permanently deleted")
        }
        if !permanent && found.deleted {
            throw SchemaRegistryError(
                status: 404, code: SchemaRegistryError.schemaVersionSoftDeleted,
                message: "Subject '\(subject)' Version \(found.version) was soft deleted. Set permanent=true to delete permanently")
        }
        return (.deleteVersion(subject: subject, version: found.version, permanent: permanent), found.version)
    }

    /// Checks a delete of a subject: 40401 no such subject, 40404 a soft delete of a
    /// soft-deleted subject, 40405 a permanent delete of one not soft-deleted first. Returns the
    /// record and the versions it deletes.
    public func planDeleteSubject(_ subject: String, permanent: Bool) throws(SchemaRegistryError) -> (RegistryRecord, [Int]) {
        guard let versions = subjects[subject], !versions.isEmpty else { throw Self.subjectNotFound(subject) }
        let live = versions.filter { !$0.deleted }
        if permanent && !live.isEmpty {
            throw SchemaRegistryError(
                status: 404, code: SchemaRegistryError.subjectNotSoftDeleted,
                message: "Subject '\(subject)' was not deleted first before being permanently deleted")
        }
        if !permanent && live.isEmpty {
            throw SchemaRegistryError(
                status: 404, code: SchemaRegistryError.subjectSoftDeleted,
                message: "Subject '\(subject)' was soft deleted. Set permanent=true to delete permanently")
        }
        return (.deleteSubject(subject: subject, permanent: permanent), (permanent ? versions : live).map(\.version))
    }

    // MARK: Helpers

    /// The schema's compact JSON (its identity: the same JSON is the same global id) and its
    /// parsed form; 42209 beyond `maxSchemaBytes`, 42201 when it is not a valid Avro schema.
    public func normalize(_ schema: String) throws(SchemaRegistryError) -> (String, AvroSchema) {
        let bytes = Array(schema.utf8)
        guard bytes.count <= limits.maxSchemaBytes else {
            throw SchemaRegistryError(
                status: 422, code: Self.schemaTooLarge,
                message: "the schema is \(bytes.count) bytes; at most \(limits.maxSchemaBytes) are accepted (schema_registry.max_schema_bytes)")
        }
        do {
            let parsed = try AvroSchema(parsing: bytes, limits: AvroSchemaLimits(maxBytes: limits.maxSchemaBytes))
            var writer = JSONWriter(capacity: bytes.count)
            // Parsed above, so it is JSON.
            writer.value(try JSONParser.parse(bytes))
            return (String(decoding: writer.bytes, as: UTF8.self), parsed)
        } catch let error as AvroSchemaError {
            throw SchemaRegistryError(status: 422, code: SchemaRegistryError.invalidSchema, message: "Invalid schema: \(error)")
        } catch {
            throw SchemaRegistryError(status: 422, code: SchemaRegistryError.invalidSchema, message: "Invalid schema: \(error)")
        }
    }

    private func liveVersions(_ subject: String, deleted: Bool) throws(SchemaRegistryError) -> [Version] {
        let versions = (subjects[subject] ?? []).filter { deleted || !$0.deleted }
        guard !versions.isEmpty else { throw Self.subjectNotFound(subject) }
        return versions
    }

    /// Confluent's codes the contract does not name.
    public static let subjectCompatibilityNotConfigured = 40408
    public static let operationNotPermitted = 42205
    public static let invalidSubject = 42208
    public static let schemaTooLarge = 42209

    public static func subjectNotFound(_ subject: String) -> SchemaRegistryError {
        SchemaRegistryError(status: 404, code: SchemaRegistryError.subjectNotFound, message: "Subject '\(subject)' not found.")
    }

    static func versionNotFound(_ spec: VersionSpec) -> SchemaRegistryError {
        let text: String
        switch spec {
        case .latest: text = "latest"
        case .number(let n): text = String(n)
        }
        return SchemaRegistryError(status: 404, code: SchemaRegistryError.versionNotFound, message: "Version \(text) not found.")
    }

    static func limitReached(_ what: String) -> SchemaRegistryError {
        SchemaRegistryError(status: 422, code: operationNotPermitted, message: "Registry limit reached: \(what)")
    }
}
