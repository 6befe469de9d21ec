import FreshetCQL
import FreshetContracts
import FreshetCore
import FreshetStore
import FreshetTesting
import Synchronization
import Testing

@testable import FreshetCassandra

/// Stops a sink's write at one step until released: a processor paused (GC, a lost session)
/// while another takes its partition over, then resumed — a zombie.
final class WritePause: Sendable {
    let step: CassandraSink.WriteStep
    private struct State {
        var fired = false
        var released = false
        var waiting: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let arrivals: AsyncStream<Void>
    private let arrived: AsyncStream<Void>.Continuation

    init(at step: CassandraSink.WriteStep) {
        self.step = step
        (arrivals, arrived) = AsyncStream<Void>.makeStream()
    }

    /// The sink's hook: the first time the write reaches `step`, it waits for `release()`.
    func hook(_ reached: CassandraSink.WriteStep) async {
        guard reached == step,
            state.withLock({ state in
                defer { state.fired = true }
                return !state.fired
            })
        else { return }
        arrived.yield()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = state.withLock { state in
                if state.released { return true }
                state.waiting = continuation
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// Returns once the write waits at the step.
    func reached() async {
        for await _ in arrivals { return }
    }

    func release() {
        let waiting = state.withLock { state in
            state.released = true
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume()
    }
}

/// Two sinks on one partition, one of them stopped at a chosen step of its write while the
/// other writes, then resumed: each record is still counted once, and the newest rows, state
/// and position win. Deterministic, unlike a race.
@Suite("Cassandra sink: zombies and takeovers")
struct CassandraZombieTests {
    static func rows(_ count: Int, seed: UInt64) -> [CreatedUserRow] {
        var generator = RowGenerator(seed: seed)
        // Ids repeat, so that later records change rows written earlier.
        return (0..<count).map { _ in generator.row(idPool: count * 3 / 4) }
    }

    static func lastVersions(_ rows: some Sequence<CreatedUserRow>) -> [String: CreatedUserRow] {
        rows.reduce(into: [:]) { $0[$1.id] = $1 }
    }

    /// Runs `body` with two sinks on one endpoint; the first one's writes stop at `pause`.
    static func withTwoSinks(
        pausing step: CassandraSink.WriteStep, _ body: (CassandraSink, CassandraSink, WritePause) async throws -> Void
    ) async throws {
        try await EndpointScope.with { scope in
            let zombie = try await CassandraContractTests.connect(scope)
            let live = try await CassandraContractTests.connect(scope)
            let pause = WritePause(at: step)
            zombie.stepHook.withLock { $0 = { await pause.hook($0) } }
            do {
                try await body(zombie, live, pause)
            } catch {
                pause.release()
                try? await zombie.close()
                try? await live.close()
                throw error
            }
            try await zombie.close()
            try await live.close()
        }
    }

    /// The state moves between the writer's first read of it and its reads of the rows: the
    /// rows it reads are then newer than the state it started from, so it must start over
    /// (step 6), or it would count from the wrong snapshot.
    @Test func aStateMovedAfterTheFirstReadMakesTheWriterStartOver() async throws {
        let rows = Self.rows(200, seed: 31)
        try await Self.withTwoSinks(pausing: .readState(attempt: 0)) { slow, fast, pause in
            let write = Task { try await slow.write(batch(slice(rows, from: 0))) }
            await pause.reached()
            try await fast.write(batch(slice(Array(rows[0..<100]), from: 0)))
            pause.release()
            let outcomes = try await write.value
            #expect(outcomes.map(\.stale) == [false])
            try await SinkContract.checkInvariants(fast, rows: Set(rows.map(\.id)).count, countedRecords: 200, "after the takeover")
            #expect(try await fast.positions(topic: "users_created") == [0: 200])
            for (id, row) in Self.lastVersions(rows) { #expect(try await fast.user(id: id) == row, "row \(id)") }
        }
    }

    /// A writer that checked the state, then stopped before writing it; another writer applies
    /// its slice and the next; the first then resumes and writes its state, rows and position
    /// as of the old offset. They lose to the newer ones: nothing counts twice, no row goes back.
    @Test func aZombiesLateWritesLoseToNewerOnes() async throws {
        let rows = Self.rows(200, seed: 37)
        try await Self.withTwoSinks(pausing: .checkedState) { zombie, live, pause in
            let write = Task { try await zombie.write(batch(slice(Array(rows[0..<100]), from: 0))) }
            await pause.reached()
            try await live.write(batch(slice(Array(rows[0..<100]), from: 0)))
            try await live.write(batch(slice(Array(rows[100..<200]), from: 100)))
            pause.release()
            _ = try await write.value
            try await SinkContract.checkInvariants(live, rows: Set(rows.map(\.id)).count, countedRecords: 200, "after the zombie wrote")
            #expect(try await live.positions(topic: "users_created") == [0: 200])
            for (id, row) in Self.lastVersions(rows) { #expect(try await live.user(id: id) == row, "row \(id)") }
        }
    }

    /// A writer that wrote its state and stopped before its rows (a crash there); another
    /// writer, with batches cut differently, writes the counted rows and goes on; the first
    /// then writes its rows and position late.
    @Test func rowsCountedByAStoppedWriterAreWrittenByTheNext() async throws {
        let rows = Self.rows(300, seed: 41)
        try await Self.withTwoSinks(pausing: .wroteState) { stopped, next, pause in
            let write = Task { try await stopped.write(batch(slice(Array(rows[0..<100]), from: 0))) }
            await pause.reached()
            // The position is still behind: the next writer starts from it.
            #expect(try await next.positions(topic: "users_created").isEmpty)
            let outcome = try await next.write(batch(slice(Array(rows[0..<150]), from: 0)))
            #expect(outcome.map(\.stale) == [false])
            try await SinkContract.checkInvariants(next, rows: Set(rows[0..<150].map(\.id)).count, countedRecords: 150, "before the stopped writer resumes")
            pause.release()
            _ = try await write.value
            try await next.write(batch(slice(Array(rows[150..<300]), from: 150)))
            try await SinkContract.checkInvariants(next, rows: Set(rows.map(\.id)).count, countedRecords: 300, "after both")
            #expect(try await next.positions(topic: "users_created") == [0: 300])
            for (id, row) in Self.lastVersions(rows) { #expect(try await next.user(id: id) == row, "row \(id)") }
        }
    }
}
