import FreshetLog

extension FuzzTargets {
    /// FreshetLog's parsers: segment files on recovery, batches on read.
    static let log: [FuzzTarget] = []
}
