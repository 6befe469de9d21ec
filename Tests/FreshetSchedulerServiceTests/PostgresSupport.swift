import Foundation
import FreshetCore
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetTesting
import Synchronization
import Testing

/// A history that can be cut off, as if its process died: once `sever()` is called every call
/// fails, so the service using it can neither renew leases nor record its shutdown.
final class SeverableHistory: RunHistory {
    let base: any RunHistory
    private let severed = Mutex(false)
    init(_ base: any RunHistory) { self.base = base }

    struct Severed: Error {}
    func sever() { severed.withLock { $0 = true } }
    private func check() throws { if severed.withLock({ $0 }) { throw Severed() } }

    func saveRun(_ run: DAGRunEntry) async throws {
        try check()
        try await base.saveRun(run)
    }
    func insertRun(_ run: DAGRunEntry) async throws -> Bool {
        try check()
        return try await base.insertRun(run)
    }
    func claimRun(_ entry: DAGRunEntry, owner: String, leaseUntil: Timestamp, now: Timestamp) async throws -> DAGRunEntry? {
        try check()
        return try await base.claimRun(entry, owner: owner, leaseUntil: leaseUntil, now: now)
    }
    func renewLeases(owner: String, until: Timestamp) async throws {
        try check()
        try await base.renewLeases(owner: owner, until: until)
    }
    func saveTask(_ task: TaskInstanceEntry) async throws {
        try check()
        try await base.saveTask(task)
    }
    func runs(dagID: String?, limit: Int) async throws -> [DAGRunEntry] {
        try check()
        return try await base.runs(dagID: dagID, limit: limit)
    }
    func run(dagID: String, runID: String) async throws -> DAGRunEntry? {
        try check()
        return try await base.run(dagID: dagID, runID: runID)
    }
    func tasks(dagID: String, runID: String) async throws -> [TaskInstanceEntry] {
        try check()
        return try await base.tasks(dagID: dagID, runID: runID)
    }
    func queuedRuns() async throws -> [DAGRunEntry] {
        try check()
        return try await base.queuedRuns()
    }
    func unfinishedRuns() async throws -> [DAGRunEntry] {
        try check()
        return try await base.unfinishedRuns()
    }
    func latestScheduledRuns() async throws -> [DAGRunEntry] {
        try check()
        return try await base.latestScheduledRuns()
    }
    func registerDAGs(_ pausedIfNew: [String: Bool]) async throws {
        try check()
        try await base.registerDAGs(pausedIfNew)
    }
    func setPaused(_ dagID: String, _ paused: Bool) async throws {
        try check()
        try await base.setPaused(dagID, paused)
    }
    func pausedDAGs() async throws -> Set<String> {
        try check()
        return try await base.pausedDAGs()
    }
    func beat(_ heartbeat: SchedulerHeartbeat) async throws {
        try check()
        try await base.beat(heartbeat)
    }
    func endHeartbeat(owner: String) async throws {
        try check()
        try await base.endHeartbeat(owner: owner)
    }
    func heartbeat() async throws -> SchedulerHeartbeat? {
        try check()
        return try await base.heartbeat()
    }
}
