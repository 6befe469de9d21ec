import FreshetContracts
import FreshetCore
import FreshetStore

/// What every store (`Sink` + `UserQueries`) must do, written once and run by each store's
/// tests (SQLite, PostgreSQL, Cassandra over Freshet's CQL endpoint, the in-memory sink). A
/// check throws `SinkContractViolation` naming what differed, so a `@Test` that calls it fails.
///
/// The heart of it is the store contract (docs/pipeline.md): applying a batch is idempotent
/// and fenced by position — replays, overlapping batches, concurrent writers of one partition
/// and crashes at any step leave every record applied exactly once, and the dashboard's
/// counters equal what the rows say.
public enum SinkContract {
    public typealias Store = Sink & UserQueries
    static let topic = "users_created"

    // MARK: Rows and counters

    /// Every column comes back as written: text with quotes and emoji, an empty string, a
    /// missing `nat`, an age beyond Int32, a huge timestamp; an unknown id reads as nil.
    public static func everyColumnRoundTrips(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 1)
        var withNat = generator.row(idPool: 10)
        withNat.id = "with-nat"
        withNat.nat = "DE"
        withNat.firstName = "Zoë 😀 O'Brien \"quoted\""
        withNat.ingestedAt = Int64.max - 1
        withNat.age = Int(Int32.max) + 7
        var withoutNat = generator.row(idPool: 10)
        withoutNat.id = "without-nat"
        withoutNat.nat = nil
        withoutNat.address = ""
        // Bytes some wire formats give a meaning (PostgreSQL's COPY text format: tab, newline,
        // carriage return, backslash, `\N` for NULL, `\.` for the end of the data) are text.
        var special = generator.row(idPool: 10)
        special.id = "special\t\\N"
        special.firstName = "tab\there"
        special.lastName = "line\nbreak\r\nand CR\r"
        special.address = "back\\slash \\t \\\\ end\\"
        special.postCode = "\\."
        special.email = "\\N"
        special.nat = "\\N"
        try await store.write(batch(slice([withNat, special], partition: 0, from: 0)))
        try await store.upsert([withoutNat])
        try expect(try await store.user(id: "with-nat"), withNat, "the row with nat")
        try expect(try await store.user(id: special.id), special, "the row with tabs, newlines and backslashes")
        try expect(try await store.user(id: "without-nat"), withoutNat, "the row without nat (written outside the log)")
        try expect(try await store.user(id: "missing"), nil, "an unknown id")
        try expect(try await store.totalUsers(), 3, "total")
    }

    /// An upsert that changes a row moves it between the dashboard's counts; the same id twice
    /// in one slice: the last version wins and is counted once.
    public static func anUpsertThatChangesARowMovesItsCounts(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 3)
        var first = generator.row(idPool: 1)
        first.gender = "female"
        first.country = "Germany"
        first.emailDomain = "a.com"
        first.registeredDate = "2015-03-04T00:00:00.000Z"
        var second = first
        second.gender = "male"
        second.country = "France"
        second.emailDomain = "b.com"
        second.registeredDate = "2016-11-30T00:00:00.000Z"
        try await store.write(batch(slice([first], from: 0)))
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "Germany", count: 1)], "countries after the first write")
        try await store.write(batch(slice([second], from: 1)))
        try expect(try await store.totalUsers(), 1, "total after the change")
        try expect(try await store.countsByGender(), [LabeledCount(label: "male", count: 1)], "genders after the change")
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "France", count: 1)], "countries after the change")
        try expect(try await store.topEmailDomains(limit: 10), [LabeledCount(label: "b.com", count: 1)], "email domains after the change")
        try expect(try await store.registrationsPerMonth(), [LabeledCount(label: "2016-11", count: 1)], "registrations after the change")
        var third = second
        third.country = "Spain"
        try await store.write(batch(slice([first, third], from: 2)))
        try expect(try await store.totalUsers(), 1, "total after the same id twice in a slice")
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "Spain", count: 1)], "countries: the last version wins")
        try expect(try await store.countsByGender(), [LabeledCount(label: "male", count: 1)], "genders: the last version wins")
        try expect(try await store.user(id: first.id), third, "the stored row")
        try await checkInvariants(store, rows: 1, countedRecords: 4, "after the upserts")
    }

    // MARK: Windows

    /// Each applied record counts once in each of its window's cells (total, gender, country,
    /// nat); a record that came too late for its window (`windowStart` nil) counts in none.
    public static func eachAppliedRecordCountsOnceInItsWindow(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 5)
        let rows = (0..<30).map { _ in generator.row(idPool: 1_000_000) }
        var first = slice(Array(rows[0..<20]), from: 0, windowStart: 60_000)
        for i in 10..<15 { first.records[i].windowStart = 120_000 }
        for i in 15..<20 { first.records[i].windowStart = nil }  // late
        try await store.write(batch(first))
        try await store.write(batch(slice(Array(rows[20..<30]), from: 20, windowStart: 120_000)))
        let totals = try await store.windowCounts(dimension: "total", since: 0)
        try expect(
            totals,
            [
                WindowCount(windowStart: 60_000, dimension: "total", value: "", count: 10),
                WindowCount(windowStart: 120_000, dimension: "total", value: "", count: 15),
            ], "total windows")
        try expect(try await store.windowCounts(dimension: "total", since: 120_000).count, 1, "total windows since 120 s")
        let genders = try await store.windowCounts(dimension: "gender", since: 0)
        try expect(genders.reduce(0) { $0 + $1.count }, 25, "gender windows add up to the counted records")
        let expectedNat = rows.indices.filter { $0 < 15 || $0 >= 20 }.filter { rows[$0].nat != nil }.count
        try expect(try await store.windowCounts(dimension: "nat", since: 0).reduce(0) { $0 + $1.count }, expectedNat, "nat windows: records with a nat")
    }

    // MARK: The fence

    /// A batch applied again (a retry after a lost answer, a replay the processor missed)
    /// changes nothing and says so.
    public static func aReplayedBatchChangesNothing(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 7)
        let rows = (0..<100).map { _ in generator.row(idPool: 1_000_000) }
        let once = batch(slice(rows, from: 0))
        let first = try await store.write(once)
        try expect(first.map(\.applied), [100], "first write applied")
        let again = try await store.write(once)
        try expect(again.map(\.stale), [true], "the replay is stale")
        try expect(again.map(\.applied), [0], "the replay applies nothing")
        try expect(try await store.positions(topic: topic), [0: 100], "the position")
        try await checkInvariants(store, rows: Set(rows.map(\.id)).count, countedRecords: 100, "after a replay")
    }

    /// A batch that overlaps the stored position applies only the records beyond it.
    public static func anOverlappingBatchAppliesOnlyWhatIsNew(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 9)
        let rows = (0..<150).map { _ in generator.row(idPool: 1_000_000) }
        try await store.write(batch(slice(Array(rows[0..<100]), from: 0)))
        let overlap = try await store.write(batch(slice(Array(rows[50..<150]), from: 50)))
        try expect(overlap.map(\.applied), [50], "records applied from the overlapping batch")
        try expect(overlap.map(\.alreadyApplied), [50], "records already applied")
        try expect(overlap.map(\.positionBefore), [100], "the position before")
        try expect(try await store.positions(topic: topic), [0: 150], "the position after")
        try await checkInvariants(store, rows: Set(rows.map(\.id)).count, countedRecords: 150, "after an overlap")
    }

    /// A batch one of whose slices starts beyond the stored position would skip records: the
    /// store refuses the whole batch (`SliceGapError`) and changes nothing.
    public static func aBatchThatStartsPastThePositionIsRefusedWhole(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 11)
        let rows = (0..<60).map { _ in generator.row(idPool: 1_000_000) }
        try await store.write(batch(slice(Array(rows[0..<20]), partition: 0, from: 0), slice(Array(rows[20..<30]), partition: 1, from: 0)))
        do {
            try await store.write(
                batch(
                    slice(Array(rows[30..<40]), partition: 0, from: 20),
                    slice(Array(rows[40..<60]), partition: 1, from: 15)))
            throw SinkContractViolation(description: "a batch starting at 15 past the position 10 was accepted")
        } catch let gap as SliceGapError {
            try expect(gap.partition, 1, "the gap's partition")
            try expect(gap.stored, 10, "the gap's stored position")
        }
        try expect(try await store.positions(topic: topic), [0: 20, 1: 10], "positions after the refused batch")
        try expect(try await store.user(id: rows[30].id), nil, "a row of the refused batch's other slice")
        try await checkInvariants(store, rows: Set(rows[0..<30].map(\.id)).count, countedRecords: 30, "after a refused batch")
    }

    /// Offsets without records (dead letters, skipped records) still move the position, and a
    /// slice of nothing but such offsets is fenced like any other.
    public static func rangesWithoutRecordsMovePositions(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 13)
        let rows = (0..<10).map { _ in generator.row(idPool: 1_000_000) }
        try await store.write(batch(slice(rows, from: 0, to: 25)))
        try await store.write(batch(slice([], from: 25, to: 40)))
        try expect(try await store.positions(topic: topic), [0: 40], "the position after an empty range")
        let stale = try await store.write(batch(slice([], from: 30, to: 35)))
        try expect(stale.map(\.stale), [true], "an empty range behind the position is stale")
        try expect(try await store.positions(topic: topic), [0: 40], "the position did not move back")
        try await checkInvariants(store, rows: 10, countedRecords: 10, "after empty ranges")
    }

    /// Each partition has its own position: a stale slice of one does not stop another's.
    public static func partitionsAreFencedIndependently(_ store: some Store) async throws {
        var generator = RowGenerator(seed: 17)
        let rows = (0..<40).map { _ in generator.row(idPool: 1_000_000) }
        try await store.write(batch(slice(Array(rows[0..<10]), partition: 0, from: 0)))
        let outcomes = try await store.write(
            batch(
                slice(Array(rows[0..<10]), partition: 0, from: 0),
                slice(Array(rows[10..<40]), partition: 2, from: 0)))
        let byPartition = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.partition, $0) })
        try expect(byPartition[0]?.stale, true, "partition 0 is stale")
        try expect(byPartition[2]?.applied, 30, "partition 2 applied")
        try expect(try await store.positions(topic: topic), [0: 10, 2: 30], "positions")
        try await checkInvariants(store, rows: 40, countedRecords: 40, "after two partitions")
    }

    // MARK: Concurrency and crashes

    /// Two writers (two handles on one store) race through the same partition with batches cut
    /// differently, as a processor and the zombie it replaced would: every record is applied
    /// once, and neither writer fails.
    public static func concurrentWritersOfOnePartitionApplyEachRecordOnce(
        _ makeStore: @escaping @Sendable () async throws -> any Store
    ) async throws {
        var generator = RowGenerator(seed: 19)
        // Ids repeat now and then, so versions of a row race too.
        let rows = (0..<1200).map { _ in generator.row(idPool: 900) }
        let first = try await makeStore()
        let second = try await makeStore()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (store, size) in [(first, 100), (second, 150)] {
                group.addTask {
                    var start = 0
                    while start < rows.count {
                        let end = min(start + size, rows.count)
                        try await store.write(batch(slice(Array(rows[start..<end]), from: Int64(start))))
                        start = end
                    }
                }
            }
            try await group.waitForAll()
        }
        try expect(try await first.positions(topic: topic), [0: 1200], "the position")
        try await checkInvariants(first, rows: Set(rows.map(\.id)).count, countedRecords: rows.count, "after two racing writers")
        var last: [String: CreatedUserRow] = [:]
        for row in rows { last[row.id] = row }
        for (id, row) in last.prefix(50) { try expect(try await first.user(id: id), row, "the last version of \(id)") }
        try await first.close()
        try await second.close()
    }

    /// A write that fails at its k-th statement (for every k until one gets through), or whose
    /// answer is lost after it committed, then retried: every record applied exactly once.
    public static func aCrashAtAnyStepThenARetryAppliesEachRecordOnce(_ store: some Store & FaultInjectable) async throws {
        var generator = RowGenerator(seed: 23)
        var offset: Int64 = 0
        var written: [CreatedUserRow] = []
        var counted = 0
        var step = 1
        var reachedTheEnd = false
        while !reachedTheEnd {
            // Two partitions, an id twice, a late record: every kind of statement.
            var rows = (0..<12).map { _ in generator.row(idPool: 400) }
            rows[5] = rows[2]
            var slices = [slice(Array(rows[0..<8]), partition: 0, from: offset), slice(Array(rows[8..<12]), partition: 1, from: offset / 2)]
            slices[0].records[3].windowStart = nil
            store.injectFault(.failAtStatement(step))
            do {
                try await store.write(SinkBatch(slices: slices))
                reachedTheEnd = true  // the write sent fewer statements than `step`
            } catch is SliceGapError {
                throw SinkContractViolation(description: "a write with a fault at statement \(step) was refused as a gap")
            } catch {
                // The injected crash: retry, as the processor does.
                do {
                    try await store.write(SinkBatch(slices: slices))
                } catch {
                    throw SinkContractViolation(description: "the retry after a fault at statement \(step) failed: \(error)")
                }
            }
            offset += 8
            written += rows
            counted += 11
            try await checkInvariants(store, rows: Set(written.map(\.id)).count, countedRecords: counted, "after a crash at statement \(step)")
            step += 1
            guard step < 1000 else { throw SinkContractViolation(description: "a write of 12 rows sent 1000 statements") }
        }
        let lastRows = (0..<6).map { _ in generator.row(idPool: 1_000_000) }
        let last = batch(slice(lastRows, from: offset))
        store.injectFault(.loseAnswerAfterCommit)
        do {
            try await store.write(last)
            throw SinkContractViolation(description: "the injected lost answer did not fail the write")
        } catch is InjectedStoreFault {
            let retried = try await store.write(last)
            try expect(retried.map(\.stale), [true], "the retry of a write whose answer was lost")
        }
        written += lastRows
        counted += 6
        try await checkInvariants(store, rows: Set(written.map(\.id)).count, countedRecords: counted, "after a lost answer")
    }

    // MARK: A transaction across writes (TransactionalSink)

    /// Slices applied in one open transaction (two partitions, an overlap, the same ids in two
    /// partitions) are fenced by what the transaction applied before, seen by its `positions`,
    /// and land together at the commit; a transaction rolled back leaves nothing; an ended
    /// transaction refuses to apply.
    public static func aTransactionAcrossWritesCommitsWhole(_ store: some Store & TransactionalSink) async throws {
        var generator = RowGenerator(seed: 31)
        let rows = (0..<200).map { _ in generator.row(idPool: 1_000_000) }
        let rolledBack = try await store.beginTransaction()
        try await rolledBack.apply(batch(slice(Array(rows[0..<100]), from: 0)))
        try expect(try await rolledBack.positions(topic: topic), [0: 100], "positions inside a transaction")
        await rolledBack.rollback()
        await rolledBack.rollback()
        try expect(try await store.positions(topic: topic), [:], "positions after a rollback")
        try await checkInvariants(store, rows: 0, countedRecords: 0, "after a rollback")
        do {
            try await rolledBack.apply(batch(slice(Array(rows[0..<10]), from: 0)))
            throw SinkContractViolation(description: "a rolled-back transaction applied a batch")
        } catch is SinkContractViolation {
            throw SinkContractViolation(description: "a rolled-back transaction applied a batch")
        } catch {}

        let transaction = try await store.beginTransaction()
        let first = try await transaction.apply(
            batch(slice(Array(rows[0..<100]), partition: 0, from: 0), slice(Array(rows[100..<150]), partition: 1, from: 0)))
        try expect(first.map(\.applied), [100, 50], "the first apply")
        let overlap = try await transaction.apply(batch(slice(Array(rows[50..<200]), partition: 0, from: 50)))
        try expect(overlap.map(\.applied), [100], "an overlapping apply: only what the transaction has not applied")
        try expect(overlap.map(\.alreadyApplied), [50], "an overlapping apply: what it applied before")
        try expect(overlap.map(\.positionBefore), [100], "an overlapping apply: the position the transaction moved")
        try expect(try await transaction.positions(topic: topic), [0: 200, 1: 50], "positions inside the transaction")
        try await transaction.commit()
        try expect(try await store.positions(topic: topic), [0: 200, 1: 50], "positions after the commit")
        try await checkInvariants(store, rows: 200, countedRecords: 250, "after the commit")
        do {
            try await transaction.commit()
            throw SinkContractViolation(description: "a committed transaction committed again")
        } catch is SinkContractViolation {
            throw SinkContractViolation(description: "a committed transaction committed again")
        } catch {}
        let replay = try await store.write(batch(slice(Array(rows[50..<200]), partition: 0, from: 50)))
        try expect(replay.map(\.stale), [true], "a replay of the committed transaction")
    }

    /// A failure inside an open transaction — a gap, a crash at any statement of an apply — rolls
    /// the whole transaction back (the applies before it included) and ends it; a commit whose
    /// answer was lost committed everything, and its retry is stale.
    public static func aFailureInATransactionRollsAllOfItBack(_ store: some Store & TransactionalSink & FaultInjectable) async throws {
        var generator = RowGenerator(seed: 37)
        let rows = (0..<40).map { _ in generator.row(idPool: 1_000_000) }
        try await store.write(batch(slice(Array(rows[0..<10]), from: 0)))

        let gapped = try await store.beginTransaction()
        try await gapped.apply(batch(slice(Array(rows[10..<20]), from: 10)))
        do {
            try await gapped.apply(batch(slice(Array(rows[30..<40]), from: 30)))
            throw SinkContractViolation(description: "an apply past the transaction's position was not refused")
        } catch let gap as SliceGapError {
            try expect(gap.stored, 20, "the gap's stored position (the transaction's own)")
        }
        do {
            try await gapped.apply(batch(slice(Array(rows[20..<30]), from: 20)))
            throw SinkContractViolation(description: "a transaction applied after a failed apply")
        } catch is SinkContractViolation {
            throw SinkContractViolation(description: "a transaction applied after a failed apply")
        } catch {}
        try expect(try await store.positions(topic: topic), [0: 10], "positions after a gap in a transaction")
        try await checkInvariants(store, rows: 10, countedRecords: 10, "after a gap in a transaction")

        var step = 1
        while true {
            let transaction = try await store.beginTransaction()
            try await transaction.apply(batch(slice(Array(rows[10..<20]), from: 10)))
            store.injectFault(.failAtStatement(step))
            do {
                try await transaction.apply(batch(slice(Array(rows[20..<30]), partition: 0, from: 20), slice(Array(rows[30..<35]), partition: 1, from: 0)))
            } catch {
                try expect(try await store.positions(topic: topic), [0: 10], "positions after a crash at statement \(step) of an apply")
                try await checkInvariants(store, rows: 10, countedRecords: 10, "after a crash at statement \(step) of an apply")
                step += 1
                guard step < 1000 else { throw SinkContractViolation(description: "an apply of 15 rows sent 1000 statements") }
                continue
            }
            // The apply sent fewer statements than `step`: no fault fired (it was taken).
            await transaction.rollback()
            guard step > 3 else { throw SinkContractViolation(description: "an apply of 15 rows failed at none of its first statements") }
            break
        }

        let lost = try await store.beginTransaction()
        try await lost.apply(batch(slice(Array(rows[10..<30]), from: 10)))
        store.injectFault(.loseAnswerAfterCommit)
        do {
            try await lost.commit()
            throw SinkContractViolation(description: "the injected lost answer did not fail the commit")
        } catch is InjectedStoreFault {}
        try expect(try await store.positions(topic: topic), [0: 30], "positions after a commit whose answer was lost")
        try await checkInvariants(store, rows: 30, countedRecords: 30, "after a commit whose answer was lost")
        let retried = try await store.write(batch(slice(Array(rows[10..<30]), from: 10)))
        try expect(retried.map(\.stale), [true], "the retry of a commit whose answer was lost")
    }

    // MARK: Invariants

    /// The store's rows, windows and counters agree: `rows` rows, `countedRecords` records in
    /// the total windows, and every dashboard counter equal to what the rows say.
    public static func checkInvariants(_ store: some Store, rows expectedRows: Int, countedRecords: Int, _ when: String) async throws {
        var all: [CreatedUserRow] = []
        var cursor: String?
        while true {
            let page = try await store.users(limit: 500, after: cursor)
            all += page
            guard page.count == 500, let last = page.last else { break }
            cursor = last.id
        }
        try expect(all.count, expectedRows, "\(when): rows")
        try expect(Set(all.map(\.id)).count, all.count, "\(when): distinct ids")
        try expect(try await store.totalUsers(), all.count, "\(when): the total counter")
        let windows = try await store.windowCounts(dimension: "total", since: 0).reduce(0) { $0 + $1.count }
        try expect(windows, countedRecords, "\(when): records counted in the total windows")
        func counts(_ key: (CreatedUserRow) -> String) -> [String: Int] {
            all.reduce(into: [:]) { $0[key($1), default: 0] += 1 }
        }
        func asDictionary(_ labeled: [LabeledCount]) -> [String: Int] {
            Dictionary(labeled.map { ($0.label, $0.count) }, uniquingKeysWith: +)
        }
        try expect(asDictionary(try await store.countsByGender()), counts(\.gender), "\(when): genders")
        try expect(asDictionary(try await store.topCountries(limit: 1000)), counts(\.country), "\(when): countries")
        try expect(asDictionary(try await store.topEmailDomains(limit: 1000)), counts(\.emailDomain), "\(when): email domains")
        try expect(asDictionary(try await store.registrationsPerMonth()), counts { String($0.registeredDate.prefix(7)) }, "\(when): registrations per month")
    }

    static func expect<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        guard actual == expected else { throw SinkContractViolation(description: "\(what): got \(actual), expected \(expected)") }
    }
}

/// A store did not do what `SinkContract` requires.
public struct SinkContractViolation: Error, CustomStringConvertible {
    public var description: String
}
