import FreshetCQL

extension FuzzTargets {
    /// FreshetCQL's parsers: frames, request and response messages, statements.
    static let cql: [FuzzTarget] = []
}
