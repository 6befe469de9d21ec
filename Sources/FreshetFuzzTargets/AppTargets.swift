import FreshetStream

extension FuzzTargets {
    /// What a user types: the configuration file, environment and flags, broker and store
    /// URLs, web API parameters.
    static let app: [FuzzTarget] = []
}
