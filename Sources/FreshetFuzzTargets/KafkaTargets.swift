import FreshetKafka

extension FuzzTargets {
    /// FreshetKafka's parsers: response frames of every API a client reads, record batches.
    static let kafka: [FuzzTarget] = []
}
