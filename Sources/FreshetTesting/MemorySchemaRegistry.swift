import FreshetContracts

/// A `SchemaRegistry` in memory for tests: subject + schema → id (the same schema text under
/// any subject gets the same global id, as Confluent's registry does), id → schema. It can be
/// made unreachable (every call throws a transport-like error) and counts its calls, so tests
/// can check that a hot path does not ask it per record.
public actor MemorySchemaRegistry: SchemaRegistry {
    /// What an unreachable registry throws: not a `SchemaRegistryError` (no answer at all).
    public struct Unreachable: Error, CustomStringConvertible {
        public var description: String { "connection refused (test registry is down)" }
    }

    private var ids: [String: UInt32] = [:]
    private var schemas: [UInt32: String] = [:]
    private var subjects: [String: [UInt32]] = [:]
    private var nextID: UInt32
    public private(set) var reachable = true
    public private(set) var registerCalls = 0
    public private(set) var lookupCalls = 0

    /// Ids start at `firstID` (Confluent's start at 1).
    public init(firstID: UInt32 = 1) {
        self.nextID = firstID
    }

    public func register(subject: String, schema: String) async throws -> UInt32 {
        registerCalls += 1
        guard reachable else { throw Unreachable() }
        let id: UInt32
        if let existing = ids[schema] {
            id = existing
        } else {
            id = nextID
            nextID += 1
            ids[schema] = id
            schemas[id] = schema
        }
        if !(subjects[subject] ?? []).contains(id) { subjects[subject, default: []].append(id) }
        return id
    }

    public func schema(id: UInt32) async throws -> String {
        lookupCalls += 1
        guard reachable else { throw Unreachable() }
        guard let schema = schemas[id] else {
            throw SchemaRegistryError(status: 404, code: SchemaRegistryError.schemaNotFound, message: "Schema \(id) not found")
        }
        return schema
    }

    /// The ids registered under `subject`, oldest first.
    public func versions(of subject: String) -> [UInt32] { subjects[subject] ?? [] }

    public func setReachable(_ reachable: Bool) { self.reachable = reachable }
}
