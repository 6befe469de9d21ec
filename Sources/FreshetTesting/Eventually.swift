/// A wait that gave up: what was awaited, and for how long.
public struct EventuallyTimeout: Error, CustomStringConvertible {
    public var what: String
    public var limit: Duration
    public var description: String { "timed out after \(limit) waiting until \(what)" }
}

/// Checks `condition` every `interval` until it holds, and throws `EventuallyTimeout` naming
/// `what` once `limit` has passed — the one wait tests use for an outcome that has no event to
/// await (rows in another process's store, a child process's progress). The limit is generous
/// for a loaded machine; it bounds a hang, it does not time the code under test.
public func eventually(
    _ what: String, within limit: Duration = .seconds(120), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw EventuallyTimeout(what: what, limit: limit) }
        try await Task.sleep(for: interval)
    }
}
