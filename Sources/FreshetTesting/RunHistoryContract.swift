import FreshetCore
import FreshetScheduler

/// What every `RunHistory` must do, written once and run by each implementation's tests
/// (in memory, SQLite, PostgreSQL). Each check takes an empty history and throws
/// `RunHistoryContractViolation` naming what differed, so a `@Test` that calls it fails.
public enum RunHistoryContract {
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_767_225_600_000)  // 2026-01-01T00:00:00Z
    static func at(_ seconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + seconds * 1000) }

    /// Every check, in order.
    public static func all(_ make: () async throws -> any RunHistory) async throws {
        try await runsAndTasksRoundTrip(try await make())
        try await claimsAreExclusiveAndLeasesExpire(try await make())
        try await pauseFlagsAndRegistration(try await make())
        try await heartbeatsPerOwner(try await make())
        try await manualRunIDsDoNotCollide(try await make())
    }

    /// Runs and task instances come back with every field; newest first; queued, unfinished and
    /// latest scheduled runs are selected as documented.
    public static func runsAndTasksRoundTrip(_ h: any RunHistory) async throws {
        let interval = DataInterval(start: t0, end: at(3600))
        let scheduled = DAGRunEntry(
            dagID: "d", runID: "scheduled__1", kind: .scheduled, interval: interval, state: .success,
            createdAt: at(3600), startedAt: at(3601), endedAt: at(3661), recordsProduced: 600, error: "none 'quoted'",
            owner: "1@a", leaseUntil: at(3700))
        let manual = DAGRunEntry(
            dagID: "d", runID: "manual__2", kind: .manual, state: .queued, createdAt: at(7200),
            conf: ["duration": "3s", "rate": "10"])
        try await h.saveRun(scheduled)
        try await h.saveRun(manual)
        try expect(try await h.runs(dagID: "d", limit: 10), [manual, scheduled], "runs, newest first, every field back")
        try expect(try await h.runs(dagID: "d", limit: 1), [manual], "runs limited to 1")
        try expect(try await h.runs(dagID: nil, limit: 10).count, 2, "runs of every DAG")
        try expect(try await h.runs(dagID: "other", limit: 10), [], "runs of an unknown DAG")
        try expect(try await h.run(dagID: "d", runID: "scheduled__1"), scheduled, "one run")
        try expect(try await h.queuedRuns(), [manual], "queued runs")
        try expect(try await h.unfinishedRuns(), [manual], "unfinished runs")
        try expect(try await h.latestScheduledRuns(), [scheduled], "latest scheduled runs")
        var replaced = scheduled
        replaced.state = .failed
        try await h.saveRun(replaced)
        try expect(try await h.run(dagID: "d", runID: "scheduled__1")?.state, .failed, "saveRun replaces")
        try expect(try await h.insertRun(manual), false, "insertRun of an existing run")

        let first = TaskInstanceEntry(
            dagID: "d", runID: "scheduled__1", taskID: "t", tryNumber: 1, state: .failed,
            startedAt: at(3601), endedAt: at(3602), error: "exit code 3: boom")
        var second = first
        second.tryNumber = 2
        second.state = .running
        second.startedAt = at(3610)
        second.endedAt = nil
        second.error = nil
        try await h.saveTask(first)
        try await h.saveTask(second)
        second.state = .success
        second.endedAt = at(3611)
        try await h.saveTask(second)
        try expect(try await h.tasks(dagID: "d", runID: "scheduled__1"), [first, second], "task instances in start order, replaced by try")
    }

    /// A run is claimed once: the first claimer gets it, a second is refused while the lease
    /// runs, takes it over once the lease has expired; renewals extend it; finished runs are
    /// never claimed; queued runs are claimed keeping their fields.
    public static func claimsAreExclusiveAndLeasesExpire(_ h: any RunHistory) async throws {
        let entry = DAGRunEntry(
            dagID: "d", runID: "scheduled__x", kind: .scheduled, interval: DataInterval(start: t0, end: at(60)),
            state: .running, createdAt: at(60))
        let a = try await h.claimRun(entry, owner: "1@a", leaseUntil: at(90), now: at(60))
        try expect(a?.owner, "1@a", "the first claim inserts the run")
        try expect(a?.state, .running, "a claimed run is running")
        try expect(a?.leaseUntil, at(90), "the first claim's lease")
        try expect(a?.startedAt, at(60), "a claimed run's start")
        try expect(try await h.run(dagID: "d", runID: "scheduled__x"), a, "the claimed run as stored")
        try expect(try await h.claimRun(entry, owner: "2@b", leaseUntil: at(100), now: at(70)), nil, "a second owner during the lease")
        try expect(try await h.claimRun(entry, owner: "1@a", leaseUntil: at(95), now: at(70))?.leaseUntil, at(95), "the owner claims again")
        try await h.renewLeases(owner: "1@a", until: at(120))
        try await h.renewLeases(owner: "2@b", until: at(500))
        try expect(try await h.run(dagID: "d", runID: "scheduled__x")?.leaseUntil, at(120), "renewed by its owner only")
        try expect(try await h.claimRun(entry, owner: "2@b", leaseUntil: at(150), now: at(110)), nil, "a second owner before the renewed lease ends")
        let taken = try await h.claimRun(entry, owner: "2@b", leaseUntil: at(150), now: at(121))
        try expect(taken?.owner, "2@b", "a second owner after the lease expired")
        try expect(taken?.startedAt, at(60), "a takeover keeps the start")
        try expect(try await h.claimRun(entry, owner: "1@a", leaseUntil: at(200), now: at(130)), nil, "the old owner after the takeover")

        var done = try await h.run(dagID: "d", runID: "scheduled__x")!
        done.state = .success
        done.endedAt = at(140)
        try await h.saveRun(done)
        try expect(try await h.claimRun(entry, owner: "2@b", leaseUntil: at(1000), now: at(900)), nil, "a finished run, even by its owner")
        try expect(try await h.claimRun(entry, owner: "3@c", leaseUntil: at(1000), now: at(900)), nil, "a finished run by anyone")
        try expect(try await h.run(dagID: "d", runID: "scheduled__x")?.state, .success, "a finished run stays finished")

        let queued = DAGRunEntry(dagID: "d", runID: "manual__q", kind: .manual, state: .queued, createdAt: at(10), conf: ["rate": "5"])
        try expect(try await h.insertRun(queued), true, "insertRun of a new run")
        var bare = queued
        bare.conf = [:]
        let claimed = try await h.claimRun(bare, owner: "3@c", leaseUntil: at(50), now: at(20))
        try expect(claimed?.conf, ["rate": "5"], "a claimed queued run keeps its conf")
        try expect(claimed?.kind, .manual, "a claimed queued run keeps its kind")
        try expect(claimed?.owner, "3@c", "a queued run is claimable")
        try expect(try await h.claimRun(bare, owner: "1@a", leaseUntil: at(50), now: at(21)), nil, "a claimed queued run is refused to others")
    }

    /// `registerDAGs` sets the flag of new DAGs only; later pauses and unpauses persist.
    public static func pauseFlagsAndRegistration(_ h: any RunHistory) async throws {
        try await h.registerDAGs(["builtin": true, "mine": false])
        try expect(try await h.pausedDAGs(), ["builtin"], "new DAGs get their initial flag")
        try await h.setPaused("builtin", false)
        try await h.setPaused("mine", true)
        try await h.registerDAGs(["builtin": true, "mine": false, "new": true])
        try expect(try await h.pausedDAGs(), ["mine", "new"], "known DAGs keep the users' flags")
        try await h.setPaused("mine", false)
        try expect(try await h.pausedDAGs(), ["new"], "unpause")
    }

    /// One heartbeat per owner; the freshest is reported; ending one removes only it.
    public static func heartbeatsPerOwner(_ h: any RunHistory) async throws {
        try expect(try await h.heartbeat(), nil, "no heartbeat yet")
        try await h.beat(SchedulerHeartbeat(owner: "1@a", at: at(10)))
        try await h.beat(SchedulerHeartbeat(owner: "2@b", at: at(12)))
        try await h.beat(SchedulerHeartbeat(owner: "1@a", at: at(11)))
        try expect(try await h.heartbeat(), SchedulerHeartbeat(owner: "2@b", at: at(12)), "the freshest heartbeat")
        try await h.endHeartbeat(owner: "2@b")
        try expect(try await h.heartbeat(), SchedulerHeartbeat(owner: "1@a", at: at(11)), "after 2@b ended")
        try await h.endHeartbeat(owner: "1@a")
        try expect(try await h.heartbeat(), nil, "after every owner ended")
    }

    /// Manual runs triggered in the same millisecond get distinct ids, all queued.
    public static func manualRunIDsDoNotCollide(_ h: any RunHistory) async throws {
        let dag = try DAG(id: "m", schedule: Schedule(.manual, startDate: t0), tasks: [DAGTask("a", .shell(command: "true"))])
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await h.queueManualRun(dag: dag, conf: [:], now: at(5))) }
        try expect(Set(ids).count, 3, "distinct ids \(ids)")
        try expect(ids[0], "manual__2026-01-01T00:00:05.000Z", "the first id")
        try expect(try await h.queuedRuns().map(\.runID).sorted(), ids.sorted(), "every trigger queued")
    }

    static func expect<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        guard actual == expected else { throw RunHistoryContractViolation(description: "\(what): got \(actual), expected \(expected)") }
    }
}

/// A run history did not do what `RunHistoryContract` requires.
public struct RunHistoryContractViolation: Error, CustomStringConvertible {
    public var description: String
}
