import FreshetAvro
import FreshetContracts
import FreshetCore
import Synchronization

/// How readers of a topic (`freshet consume`, `freshet topics tail`, the Topics page and its API)
/// show a record value: a Confluent-framed Avro value is decoded with its writer's schema (as
/// written, every field, not resolved to `freshet.UserCreated`) and shown as JSON
/// (`AvroJSONRendering`) with its schema id; anything else is shown as today.
///
/// A reader is not the pipeline: the registry is asked once per id (a bounded cache keeps what
/// it answered), and when it cannot answer the value is shown raw with the reason, at once.
public final class AvroRecordView: Sendable {
    /// What a reader shows for one value.
    public enum Shown: Sendable, Equatable {
        /// Not Confluent-framed (JSON, text, anything else): shown raw.
        case raw
        /// A framed value, decoded: its schema id and its JSON.
        case avro(schemaID: UInt32, json: [UInt8])
        /// A framed value that could not be decoded: shown raw, with why.
        case undecodable(schemaID: UInt32, reason: String)
    }

    public let registry: (any SchemaRegistry)?
    let limits: AvroDecodingLimits
    let maxJSONBytes: Int
    let maxPageJSONBytes: Int
    let decoders: Mutex<BoundedCache<UInt32, AvroDecoder>>

    /// Limits on one value a reader decodes: a few bytes of Avro can stand for many values (an
    /// array of a million nulls is 5 bytes), so a reader decodes less than the processor may.
    /// Defaults: 100,000 items, 16 MiB.
    public static let defaultLimits = AvroDecodingLimits(maxDepth: 64, maxItems: 100_000, maxAllocatedBytes: 16 << 20)

    /// `registry` nil: framed values are shown raw, with a reason saying there is no registry.
    /// `cacheCapacity` (writer schemas kept) defaults to 100. A value whose JSON would exceed
    /// `maxJSONBytes` (default 1 MiB), or take one `show(_:)` call's JSON past
    /// `maxPageJSONBytes` (default 16 MiB), is shown raw with the reason.
    public init(
        registry: (any SchemaRegistry)?, cacheCapacity: Int = 100, limits: AvroDecodingLimits = AvroRecordView.defaultLimits,
        maxJSONBytes: Int = 1 << 20, maxPageJSONBytes: Int = 16 << 20
    ) {
        self.registry = registry
        self.limits = limits
        self.maxJSONBytes = maxJSONBytes
        self.maxPageJSONBytes = maxPageJSONBytes
        self.decoders = Mutex(BoundedCache(capacity: cacheCapacity))
    }

    /// Whether `value` looks like Confluent's framing (magic byte 0 and a 4-byte id). A JSON
    /// value starts with `{`, never with a zero byte.
    public static func isFramed(_ value: [UInt8]) -> Bool {
        value.count >= ConfluentWireFormat.headerLength && value.first == ConfluentWireFormat.magicByte
    }

    public func show(_ value: [UInt8]) async -> Shown {
        var failures: [UInt32: String] = [:]
        var budget = maxPageJSONBytes
        return await show(value, failures: &failures, budget: &budget)
    }

    /// What to show for each of `values` (one page, one poll): an id the registry cannot answer
    /// for is asked once for all of them.
    public func show(_ values: [[UInt8]]) async -> [Shown] {
        var failures: [UInt32: String] = [:]
        var budget = maxPageJSONBytes
        var shown: [Shown] = []
        shown.reserveCapacity(values.count)
        for value in values { shown.append(await show(value, failures: &failures, budget: &budget)) }
        return shown
    }

    func show(_ value: [UInt8], failures: inout [UInt32: String], budget: inout Int) async -> Shown {
        guard Self.isFramed(value), let (id, payload) = try? ConfluentWireFormat.unframe(value) else { return .raw }
        guard let registry else {
            return .undecodable(schemaID: id, reason: "Avro with schema id \(id), and no schema registry is configured")
        }
        if let failure = failures[id] { return .undecodable(schemaID: id, reason: failure) }
        var decoder = decoders.withLock { $0.get(id) }
        if decoder == nil {
            do {
                let parsed = AvroDecoder(schema: try AvroSchema(parsing: try await registry.schema(id: id)), limits: limits)
                decoders.withLock { _ = $0.put(id, parsed) }
                decoder = parsed
            } catch {
                let reason = "schema id \(id): \(error)"
                failures[id] = reason
                return .undecodable(schemaID: id, reason: reason)
            }
        }
        guard let decoder else { return .raw }
        let json: [UInt8]
        do {
            json = AvroJSONRendering.json(try decoder.decode(payload), schema: decoder.writer)
        } catch {
            return .undecodable(schemaID: id, reason: "schema id \(id): \(error)")
        }
        guard json.count <= maxJSONBytes, json.count <= budget else {
            return .undecodable(
                schemaID: id, reason: "schema id \(id): its JSON (\(json.count) bytes) is more than a reader shows (\(min(maxJSONBytes, budget)) bytes left)")
        }
        budget -= json.count
        return .avro(schemaID: id, json: json)
    }
}
