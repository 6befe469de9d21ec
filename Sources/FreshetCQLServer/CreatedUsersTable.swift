import FreshetCQL
import FreshetContracts
import FreshetCore
import Synchronization

/// `spark_streams.created_users` as CQL sees it: the store's columns with CQL types.
///
/// | store column | CQL type | note |
/// | --- | --- | --- |
/// | id | text, partition key | a UUID's text; an unquoted UUID literal is accepted for it |
/// | first_name … picture, year, month, day, country, email_domain | text | |
/// | age | bigint | whole years (the store keeps an Int) |
/// | nat | text | the only nullable column |
/// | ingested_at | timestamp | ms since the epoch, as stored |
public enum CreatedUsersCQLTable {
    public static let keyspaceName = "spark_streams"
    public static let tableName = "created_users"

    static let types: [String: CQLType] = ["age": .bigint, "ingested_at": .timestamp]

    /// The keyed-rows table where the endpoint keeps the write time of each row it writes
    /// (`KeyedRowStore`), beside the rows themselves: 8 bytes, big-endian microseconds.
    public static let writeTimesTable = "spark_streams.created_users:write_times"

    /// The columns in the store's order, `id` the partition key.
    public static let definition = CQLTableDefinition(
        keyspace: keyspaceName, name: tableName,
        columns: CreatedUserRow.columns.map { name in
            name == "id" ? CQLColumnDefinition(name, .varchar, kind: .partitionKey) : CQLColumnDefinition(name, types[name] ?? .varchar)
        },
        source: .storage,
        comment: "Freshet's created_users (SQLite)")

    /// `spark_streams`, SimpleStrategy with replication factor 1.
    public static let keyspace = CQLKeyspaceDefinition.simpleStrategy(keyspaceName, replicationFactor: 1, tables: [definition])

    /// A row's values in `definition.columns` order.
    public static func values(_ row: CreatedUserRow) -> [CQLValue?] {
        [
            .text(row.id), .text(row.firstName), .text(row.lastName), .text(row.gender), .text(row.address), .text(row.postCode),
            .text(row.email), .text(row.username), .text(row.dob), .text(row.registeredDate), .text(row.phone), .text(row.picture),
            .text(row.year), .text(row.month), .text(row.day), .text(row.country), .text(row.emailDomain),
            .bigint(Int64(row.age)), row.nat.map(CQLValue.text), .timestamp(row.ingestedAt),
        ]
    }

    /// The columns the processor derives from others; an INSERT that does not set them gets
    /// them derived the same way.
    static let derived: Set<String> = ["year", "month", "day", "country", "email_domain", "age"]

    /// Applies an INSERT's columns to `row` (the stored row, or a blank one for a new id).
    package static func apply(_ values: [String: CQLValue?], to row: inout CreatedUserRow) throws(CQLServerError) {
        for (name, value) in values {
            guard let value else {
                guard name == "nat" else {
                    throw CQLServerError(
                        code: .invalid, message: "\(keyspaceName).\(tableName).\(name) cannot be null: Freshet's store keeps a value in every column but nat")
                }
                row.nat = nil
                continue
            }
            switch (name, value) {
            case ("age", .bigint(let v)): row.age = Int(v)
            case ("age", .int(let v)): row.age = Int(v)
            case ("ingested_at", .timestamp(let v)): row.ingestedAt = v
            case (_, .text(let s)):
                switch name {
                case "id": row.id = s
                case "first_name": row.firstName = s
                case "last_name": row.lastName = s
                case "gender": row.gender = s
                case "address": row.address = s
                case "post_code": row.postCode = s
                case "email": row.email = s
                case "username": row.username = s
                case "dob": row.dob = s
                case "registered_date": row.registeredDate = s
                case "phone": row.phone = s
                case "picture": row.picture = s
                case "year": row.year = s
                case "month": row.month = s
                case "day": row.day = s
                case "country": row.country = s
                case "email_domain": row.emailDomain = s
                case "nat": row.nat = s
                default: throw CQLServerError(code: .invalid, message: "Undefined column name \(name) in table \(keyspaceName).\(tableName)")
                }
            default:
                throw CQLServerError(code: .invalid, message: "Invalid value \(value) for column \(name)")
            }
        }
        // What the processor derives, for the derived columns the statement left out.
        let set = Set(values.keys)
        if let registered = Timestamp(iso8601: row.registeredDate)?.components {
            if !set.contains("year") { row.year = String(registered.year) }
            if !set.contains("month") { row.month = String(registered.month) }
            if !set.contains("day") { row.day = String(registered.day) }
            if !set.contains("age"), let dob = Timestamp(iso8601: row.dob)?.components {
                row.age = Timestamp.wholeYears(from: dob, to: registered)
            }
        }
        if !set.contains("country"), !row.address.isEmpty { row.country = UserSchema.country(of: row.address) }
        if !set.contains("email_domain"), let domain = UserSchema.emailDomain(row.email) { row.emailDomain = domain }
    }

    /// Applies one INSERT, written at `timestamp`, to the row of its id as stored (`base`, nil
    /// for a new id): Cassandra's last write wins, per row. Returns the new row and its write
    /// time, or nil when the write is older than the stored row (Cassandra applies it and its
    /// cells lose; here nothing changes). A row with no write time (written by Freshet's own
    /// pipeline) loses to any write; of two writes with the same timestamp the later applied
    /// wins (Cassandra compares the cells' values: see docs/cql.md).
    package static func merge(
        _ values: [String: CQLValue?], at timestamp: Int64, into base: (row: CreatedUserRow, writeTime: Int64?)?, id: String, ingestedAt: Int64
    ) throws(CQLServerError) -> (row: CreatedUserRow, writeTime: Int64?)? {
        if let stored = base?.writeTime, timestamp < stored { return nil }
        var row = base?.row ?? blank(id: id, ingestedAt: ingestedAt)
        try apply(values, to: &row)
        return (row, timestamp)
    }

    /// A write time as kept in `writeTimesTable`.
    package static func encodeWriteTime(_ time: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: time) >> (56 - 8 * $0)) }
    }

    package static func decodeWriteTime(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count == 8 else { return nil }
        return Int64(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    package static func blank(id: String, ingestedAt: Int64) -> CreatedUserRow {
        CreatedUserRow(
            id: id, firstName: "", lastName: "", gender: "", address: "", postCode: "", email: "", username: "", dob: "",
            registeredDate: "", phone: "", picture: "", year: "", month: "", day: "", country: "", emailDomain: "", age: 0,
            nat: nil, ingestedAt: ingestedAt)
    }
}

/// `created_users` rows from the store: reads through `UserQueries`, writes through `Sink.upsert`
/// (upserts by id), last write wins by timestamp when the store keeps write times.
struct CreatedUsersStorage: CQLTableStorage {
    let queries: any UserQueries
    /// `nil`: the endpoint is read-only.
    let sink: (any Sink)?
    /// Where write times are kept, in the same transaction as the rows (SQLite); `nil`: writes
    /// apply in the order they arrive, whatever their timestamps.
    let writeTimes: (any KeyedRowStore)?
    /// Group commit of the upserts that arrive concurrently (on every connection).
    let writer: RowWriteGroupCommit?

    init(
        queries: any UserQueries, sink: (any Sink)?, writeTimes: (any KeyedRowStore)? = nil, now: @escaping @Sendable () -> Int64,
        clock: CQLWriteClock = CQLWriteClock(), limits: CQLRowLimits = CQLRowLimits(maximumRowBytes: 64 * 1024)
    ) {
        self.queries = queries
        self.sink = sink
        self.writeTimes = writeTimes
        self.writer = sink.map { RowWriteGroupCommit($0, queries: queries, writeTimes: writeTimes, now: now, clock: clock, limits: limits) }
    }

    func count() async throws -> Int64 { Int64(try await queries.totalUsers()) }

    static func id(_ key: CQLValue) throws(CQLServerError) -> String {
        guard case .text(let id) = key else { throw CQLServerError(code: .invalid, message: "id must be text, got \(key)") }
        return id
    }

    func row(key: CQLValue) async throws -> [CQLValue?]? {
        try await row(key: key, withWriteTime: false)
    }

    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]] {
        try await rows(limit: limit, after: key, withWriteTime: false)
    }

    func row(key: CQLValue, withWriteTime: Bool) async throws -> [CQLValue?]? {
        let id = try Self.id(key)
        guard let row = try await queries.user(id: id) else { return nil }
        if withWriteTime { return try await values(row) }
        return CreatedUsersCQLTable.values(row)
    }

    func rows(limit: Int, after key: CQLValue?, withWriteTime: Bool) async throws -> [[CQLValue?]] {
        let cursor = try key.map { (k) throws(CQLServerError) in try Self.id(k) }
        let rows = try await queries.users(limit: limit, after: cursor)
        guard withWriteTime else { return rows.map(CreatedUsersCQLTable.values) }
        var result: [[CQLValue?]] = []
        for row in rows { result.append(try await values(row)) }
        return result
    }

    /// A row's cells and its write time.
    func values(_ row: CreatedUserRow) async throws -> [CQLValue?] {
        let time = try await writeTimes?.keyedRow(table: CreatedUsersCQLTable.writeTimesTable, key: row.id).flatMap(CreatedUsersCQLTable.decodeWriteTime)
        return CreatedUsersCQLTable.values(row) + [time.map(CQLValue.bigint)]
    }

    func upsert(_ writes: [CQLRowWrite]) async throws {
        guard let writer else {
            throw CQLServerError(code: .unauthorized, message: "this CQL endpoint is read-only (it serves a store opened for reading)")
        }
        for write in writes {
            let id = try Self.id(write.key)
            guard (1...255).contains(id.utf8.count) else {
                throw CQLServerError(code: .invalid, message: "id must be 1 to 255 bytes long (got \(id.utf8.count))")
            }
        }
        do {
            try await writer.write(writes)
        } catch let error as any SinkFailure where error.rejectedRowID != nil {
            throw CQLServerError(code: .invalid, message: "Freshet's store refused the row: \(error.rejectionReason)")
        }
    }
}

/// Timestamps for writes that carry none: the current time in microseconds, as a Cassandra
/// coordinator assigns it, and strictly increasing within the process (as Cassandra's client
/// state makes them), so two such writes of a row never tie.
final class CQLWriteClock: Sendable {
    private let last = Mutex<Int64>(0)
    private let nowMilliseconds: @Sendable () -> Int64

    init(nowMilliseconds: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch }) {
        self.nowMilliseconds = nowMilliseconds
    }

    func next() -> Int64 {
        let now = nowMilliseconds().multipliedReportingOverflow(by: 1000)
        let micros = now.overflow ? Int64.max : now.partialValue
        return last.withLock { last in
            last = max(micros, last == .max ? last : last + 1)
            return last
        }
    }
}

/// Group commit for upserts: while one store transaction runs, the writes of every INSERT that
/// arrives (a Cassandra writer sends hundreds concurrently, one row each) wait, and then go in
/// the next transaction together — one fsync for all of them instead of one each. Each INSERT
/// is answered once its row is durable.
///
/// The merge with the stored row happens here, one INSERT after another, so that it and the
/// comparison of timestamps (last write wins) are atomic with the write. An INSERT whose row
/// cannot be merged (a bad value, a row too large) fails alone; a row the store refuses fails
/// only its own INSERT: the group is then written request by request.
actor RowWriteGroupCommit {
    private let sink: any Sink
    private let queries: (any UserQueries)?
    private let writeTimes: (any KeyedRowStore)?
    /// Milliseconds since the epoch, for `ingested_at` of rows an INSERT creates without it.
    private let now: @Sendable () -> Int64
    private let clock: CQLWriteClock
    private let limits: CQLRowLimits
    private var pending: [(writes: [CQLRowWrite], done: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false

    typealias Version = (row: CreatedUserRow, writeTime: Int64?)

    init(
        _ sink: any Sink, queries: (any UserQueries)? = nil, writeTimes: (any KeyedRowStore)? = nil,
        now: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch }, clock: CQLWriteClock = CQLWriteClock(),
        limits: CQLRowLimits = CQLRowLimits(maximumRowBytes: 64 * 1024)
    ) {
        self.sink = sink
        self.queries = queries
        self.writeTimes = writeTimes
        self.now = now
        self.clock = clock
        self.limits = limits
    }

    func write(_ writes: [CQLRowWrite]) async throws {
        guard !writes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            pending.append((writes, done))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let group = pending
            pending = []
            await commit(group)
        }
        flushing = false
    }

    /// The stored version of a row.
    private func stored(_ id: String) async throws -> Version? {
        guard let row = try await queries?.user(id: id) else { return nil }
        let time = try await writeTimes?.keyedRow(table: CreatedUsersCQLTable.writeTimesTable, key: id).flatMap(CreatedUsersCQLTable.decodeWriteTime)
        return (row, time)
    }

    /// Merges the requests in arrival order and writes the rows they changed in one transaction.
    private func commit(_ group: [(writes: [CQLRowWrite], done: CheckedContinuation<Void, any Error>)]) async {
        var known: [String: Version?] = [:]
        var changed: [String] = []
        var changedSet = Set<String>()
        var accepted: [Int] = []
        for (index, request) in group.enumerated() {
            do {
                // One INSERT (or BATCH) applies whole or not at all.
                var mine: [String: Version] = [:]
                var order: [String] = []
                var sizes: [String: Int] = [:]
                var total = 0
                for write in request.writes {
                    let id = try CreatedUsersStorage.id(write.key)
                    let base: Version?
                    if let version = mine[id] {
                        base = version
                    } else if let version = known[id] {
                        base = version
                    } else {
                        base = try await stored(id)
                        known[id] = .some(base)
                    }
                    let timestamp = write.timestamp ?? clock.next()
                    guard let merged = try CreatedUsersCQLTable.merge(write.values, at: timestamp, into: base, id: id, ingestedAt: now()) else {
                        continue
                    }
                    // Rows stay small enough for a page, and one upsert holds a bounded number of bytes.
                    let values = CreatedUsersCQLTable.values(merged.row)
                    try limits.check(values, table: CreatedUsersCQLTable.definition.qualifiedName, key: id)
                    let size = CQLRowLimits.size(values)
                    total += size - (sizes.updateValue(size, forKey: id) ?? 0)
                    try limits.checkTotal(total)
                    if mine.updateValue(merged, forKey: id) == nil { order.append(id) }
                }
                for id in order {
                    known[id] = .some(mine[id])
                    if changedSet.insert(id).inserted { changed.append(id) }
                }
                accepted.append(index)
            } catch {
                request.done.resume(throwing: error)
            }
        }
        let versions = changed.compactMap { id in known[id].flatMap { $0 } }
        do {
            if let writeTimes {
                let times = versions.compactMap { version in
                    version.writeTime.map {
                        KeyedRow(table: CreatedUsersCQLTable.writeTimesTable, key: version.row.id, value: CreatedUsersCQLTable.encodeWriteTime($0))
                    }
                }
                if !versions.isEmpty { try await writeTimes.upsert(versions.map(\.row), putting: times) }
            } else if !versions.isEmpty {
                try await sink.upsert(versions.map(\.row))
            }
            for index in accepted { group[index].done.resume() }
        } catch let error as any SinkFailure where error.rejectedRowID != nil && accepted.count > 1 {
            // Find the refused row: each INSERT again, alone, against the store as it is.
            for index in accepted { await commit([group[index]]) }
        } catch {
            for index in accepted { group[index].done.resume(throwing: error) }
        }
    }
}
