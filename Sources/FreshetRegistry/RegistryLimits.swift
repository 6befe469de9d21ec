/// What one registry holds at most (docs/schema-registry.md "Limits"). Writes beyond a limit
/// are refused with a `SchemaRegistryError` naming it; records already in `_schemas` are applied
/// whatever the limits, so that every process reading the topic has the same state.
public struct RegistryLimits: Sendable, Equatable {
    /// Bytes of one schema's JSON. Defaults to 1 MiB.
    public var maxSchemaBytes: Int
    /// Subjects (soft-deleted ones included). Defaults to 10,000.
    public var maxSubjects: Int
    /// Versions of one subject (soft-deleted ones included). Defaults to 1,000.
    public var maxVersionsPerSubject: Int
    /// Distinct schemas (global ids). Defaults to 100,000.
    public var maxSchemas: Int
    /// Bytes of a subject name. Defaults to 255.
    public var maxSubjectBytes: Int

    public init(
        maxSchemaBytes: Int = 1 << 20, maxSubjects: Int = 10_000, maxVersionsPerSubject: Int = 1_000, maxSchemas: Int = 100_000,
        maxSubjectBytes: Int = 255
    ) {
        self.maxSchemaBytes = maxSchemaBytes
        self.maxSubjects = maxSubjects
        self.maxVersionsPerSubject = maxVersionsPerSubject
        self.maxSchemas = maxSchemas
        self.maxSubjectBytes = maxSubjectBytes
    }

    /// The largest schema a `_schemas` record is read with, whatever `maxSchemaBytes` says: the
    /// most it can be set to, so that processes configured with different limits apply the same
    /// records (limits are checked when writing). 16 MiB.
    public static let readableSchemaBytes = 16 << 20

    /// What a `_schemas` reader uses: these limits with `readableSchemaBytes`.
    public var reading: RegistryLimits {
        var limits = self
        limits.maxSchemaBytes = Self.readableSchemaBytes
        return limits
    }

    /// Largest `_schemas` record read: a schema escaped in JSON can grow up to 6 times, plus
    /// room for the other fields.
    public var maxRecordBytes: Int {
        let (escaped, overflow) = maxSchemaBytes.multipliedReportingOverflow(by: 6)
        return overflow ? Int.max : escaped + 4096
    }

    /// Why `subject` is not a valid subject name (nil when it is): 1 to `maxSubjectBytes` bytes
    /// of UTF-8 without control characters.
    static func subjectProblem(_ subject: String, limits: RegistryLimits) -> String? {
        if subject.isEmpty { return "a subject name cannot be empty" }
        if subject.utf8.count > limits.maxSubjectBytes {
            return "a subject name has at most \(limits.maxSubjectBytes) bytes; this one has \(subject.utf8.count)"
        }
        if subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "a subject name cannot contain control characters"
        }
        return nil
    }
}
