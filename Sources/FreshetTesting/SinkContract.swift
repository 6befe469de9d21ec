import FreshetCore
import FreshetStore

/// What every store (`Sink` + `UserQueries`) must do, written once and run by each store's
/// tests (SQLite, PostgreSQL). A check throws `SinkContractViolation` naming what differed, so a
/// `@Test` that calls it fails.
public enum SinkContract {
    /// Every column comes back as written: text with quotes and emoji, an empty string, a
    /// missing `nat`, an age beyond Int32, a huge timestamp; an unknown id reads as nil.
    public static func everyColumnRoundTrips(_ store: some Sink & UserQueries) async throws {
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
        try await store.write(batch([withNat, withoutNat]))
        try expect(try await store.user(id: "with-nat"), withNat, "the row with nat")
        try expect(try await store.user(id: "without-nat"), withoutNat, "the row without nat")
        try expect(try await store.user(id: "missing"), nil, "an unknown id")
    }

    /// An upsert that changes a row moves it between the dashboard's counts; the same id twice
    /// in one batch: the last version wins and is counted once.
    public static func anUpsertThatChangesARowMovesItsCounts(_ store: some Sink & UserQueries) async throws {
        var generator = RowGenerator(seed: 3)
        var first = generator.row(idPool: 1)
        first.gender = "female"; first.country = "Germany"; first.emailDomain = "a.com"
        first.registeredDate = "2015-03-04T00:00:00.000Z"
        var second = first
        second.gender = "male"; second.country = "France"; second.emailDomain = "b.com"
        second.registeredDate = "2016-11-30T00:00:00.000Z"
        try await store.write(batch([first]))
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "Germany", count: 1)], "countries after the first write")
        try await store.write(batch([second]))
        try expect(try await store.totalUsers(), 1, "total after the change")
        try expect(try await store.countsByGender(), [LabeledCount(label: "male", count: 1)], "genders after the change")
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "France", count: 1)], "countries after the change")
        try expect(try await store.topEmailDomains(limit: 10), [LabeledCount(label: "b.com", count: 1)], "email domains after the change")
        try expect(try await store.registrationsPerMonth(), [LabeledCount(label: "2016-11", count: 1)], "registrations after the change")
        var third = second
        third.country = "Spain"
        try await store.write(batch([first, third]))
        try expect(try await store.totalUsers(), 1, "total after the same id twice in a batch")
        try expect(try await store.topCountries(limit: 10), [LabeledCount(label: "Spain", count: 1)], "countries: the last version wins")
        try expect(try await store.countsByGender(), [LabeledCount(label: "male", count: 1)], "genders: the last version wins")
        try expect(try await store.user(id: first.id), third, "the stored row")
    }

    /// Window increments add up across batches and within one (the same key twice).
    public static func windowIncrementsAddUp(_ store: some Sink & UserQueries) async throws {
        try await store.write(batch([], windows: [
            WindowCount(windowStart: 0, dimension: "gender", value: "female", count: 3),
            WindowCount(windowStart: 60_000, dimension: "gender", value: "male", count: 2),
        ]))
        try await store.write(batch([], windows: [
            WindowCount(windowStart: 0, dimension: "gender", value: "female", count: 4),
            WindowCount(windowStart: 120_000, dimension: "gender", value: "female", count: 1),
            WindowCount(windowStart: 120_000, dimension: "gender", value: "female", count: 5),
            WindowCount(windowStart: 0, dimension: "country", value: "Spain", count: 9),
        ]))
        try expect(try await store.windowCounts(dimension: "gender", since: 0), [
            WindowCount(windowStart: 0, dimension: "gender", value: "female", count: 7),
            WindowCount(windowStart: 60_000, dimension: "gender", value: "male", count: 2),
            WindowCount(windowStart: 120_000, dimension: "gender", value: "female", count: 6),
        ], "gender windows")
        try expect(try await store.windowCounts(dimension: "gender", since: 60_000).count, 2, "gender windows since 60 s")
        try expect(try await store.windowCounts(dimension: "country", since: 0).map(\.count), [9], "country windows")
    }

    static func expect<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        guard actual == expected else { throw SinkContractViolation(description: "\(what): got \(actual), expected \(expected)") }
    }
}

/// A store did not do what `SinkContract` requires.
public struct SinkContractViolation: Error, CustomStringConvertible {
    public var description: String
}
