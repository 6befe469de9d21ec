import FreshetContracts
import FreshetRegistry

/// The registry's schemas as a log's `_schemas` topic holds them, read on demand: for the readers
/// of a topic (`freshet consume`, `freshet topics tail`), which show Avro values as JSON but run
/// no registry. It never writes (not even the topic): `register` is refused, and a log without
/// `_schemas` knows no schema.
///
/// A lookup of an id it has not seen reads what was appended since its last read (to the
/// topic's end when asked), then answers; records that do not decode are skipped, as the
/// registry itself skips them, so every reader has the registry's ids.
public actor LogSchemaReader: SchemaRegistry {
    let broker: any Broker
    let limits: RegistryLimits
    private var state: RegistryState
    private var nextOffset: Int64 = 0

    public init(broker: any Broker, limits: RegistryLimits = RegistryLimits()) {
        self.broker = broker
        self.limits = limits
        state = RegistryState(limits: limits)
    }

    public func register(subject: String, schema: String) async throws -> UInt32 {
        throw SchemaRegistryError(
            status: 405, code: SchemaRegistryError.storeError, message: "a reader of \(LogSchemaRegistry.topic) does not register schemas")
    }

    public func schema(id: UInt32) async throws -> String {
        if let text = state.schemas[id]?.text { return text }
        try await catchUp()
        return try state.schema(id: id).text
    }

    /// Applies `_schemas` from where the last read stopped to its current end.
    func catchUp() async throws {
        guard try await broker.listTopics().contains(LogSchemaRegistry.topic) else { return }
        let end = try await broker.describeTopic(LogSchemaRegistry.topic).partitions.first?.latestOffset ?? 0
        while nextOffset < end {
            let result = try await broker.fetch(
                topic: LogSchemaRegistry.topic, partition: 0, offset: nextOffset, maxRecords: 500, maxBytes: limits.reading.maxRecordBytes,
                maxWait: .zero)
            for message in result.records {
                if let record = try? RegistryRecord.decode(message.value, limits: limits.reading) { _ = state.apply(record) }
            }
            guard result.nextOffset > nextOffset else { break }  // nothing more readable (a gap at the end)
            nextOffset = result.nextOffset
        }
    }
}
