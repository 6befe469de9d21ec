import FreshetCQL
import FreshetCore
import FreshetStore

/// `spark_streams.created_users` as CQL sees it: the store's columns with CQL types.
///
/// | store column | CQL type | note |
/// | --- | --- | --- |
/// | id | text, partition key | a UUID's text; an unquoted UUID literal is accepted for it |
/// | first_name … picture, year, month, day, country, email_domain | text | |
/// | age | int | |
/// | nat | text | the only nullable column |
/// | ingested_at | timestamp | ms since the epoch, as stored |
public enum CreatedUsersCQLTable {
    public static let keyspaceName = "spark_streams"
    public static let tableName = "created_users"

    static let types: [String: CQLType] = ["age": .int, "ingested_at": .timestamp]

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
            .int(Int32(clamping: row.age)), row.nat.map(CQLValue.text), .timestamp(row.ingestedAt),
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
                    throw CQLServerError(code: .invalid, message: "\(keyspaceName).\(tableName).\(name) cannot be null: Freshet's store keeps a value in every column but nat")
                }
                row.nat = nil
                continue
            }
            switch (name, value) {
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

    package static func blank(id: String, ingestedAt: Int64) -> CreatedUserRow {
        CreatedUserRow(
            id: id, firstName: "", lastName: "", gender: "", address: "", postCode: "", email: "", username: "", dob: "",
            registeredDate: "", phone: "", picture: "", year: "", month: "", day: "", country: "", emailDomain: "", age: 0,
            nat: nil, ingestedAt: ingestedAt)
    }
}

/// `created_users` rows from the store: reads through `UserQueries`, writes through `Sink.upsert`
/// of rows only (upserts by id).
struct CreatedUsersStorage: CQLTableStorage {
    let queries: any UserQueries
    /// `nil`: the endpoint is read-only.
    let sink: (any Sink)?
    /// Milliseconds since the epoch, for `ingested_at` of rows an INSERT creates without it.
    let now: @Sendable () -> Int64
    /// Group commit of the upserts that arrive concurrently (on every connection).
    let writer: RowWriteGroupCommit?
    /// How large a written row, and the rows of one upsert, may be.
    let limits: CQLRowLimits

    init(queries: any UserQueries, sink: (any Sink)?, now: @escaping @Sendable () -> Int64, limits: CQLRowLimits = CQLRowLimits(maximumRowBytes: 64 * 1024)) {
        self.queries = queries
        self.sink = sink
        self.now = now
        self.writer = sink.map(RowWriteGroupCommit.init)
        self.limits = limits
    }

    func count() async throws -> Int64 { Int64(try await queries.totalUsers()) }

    func id(_ key: CQLValue) throws(CQLServerError) -> String {
        guard case .text(let id) = key else { throw CQLServerError(code: .invalid, message: "id must be text, got \(key)") }
        return id
    }

    func row(key: CQLValue) async throws -> [CQLValue?]? {
        try await queries.user(id: try id(key)).map(CreatedUsersCQLTable.values)
    }

    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]] {
        let cursor = try key.map { (k) throws(CQLServerError) in try id(k) }
        return try await queries.users(limit: limit, after: cursor).map(CreatedUsersCQLTable.values)
    }

    func upsert(_ writes: [CQLRowWrite]) async throws {
        guard let writer else {
            throw CQLServerError(code: .unauthorized, message: "this CQL endpoint is read-only (it serves a store opened for reading)")
        }
        var rows: [String: CreatedUserRow] = [:]
        var sizes: [String: Int] = [:]
        var total = 0
        var order: [String] = []
        for write in writes {
            let id = try id(write.key)
            guard (1...255).contains(id.utf8.count) else {
                throw CQLServerError(code: .invalid, message: "id must be 1 to 255 bytes long (got \(id.utf8.count))")
            }
            var row: CreatedUserRow
            if let pending = rows[id] {
                row = pending
            } else if let stored = try await queries.user(id: id) {
                row = stored
            } else {
                row = CreatedUsersCQLTable.blank(id: id, ingestedAt: now())
            }
            try CreatedUsersCQLTable.apply(write.values, to: &row)
            // Rows stay small enough for a page, and one upsert holds a bounded number of bytes.
            let values = CreatedUsersCQLTable.values(row)
            try limits.check(values, table: CreatedUsersCQLTable.definition.qualifiedName, key: id)
            let size = CQLRowLimits.size(values)
            total += size - (sizes.updateValue(size, forKey: id) ?? 0)
            try limits.checkTotal(total)
            if rows.updateValue(row, forKey: id) == nil { order.append(id) }
        }
        do {
            try await writer.write(order.compactMap { rows[$0] })
        } catch let error as StoreError where error.code == .rowRejected {
            throw CQLServerError(code: .invalid, message: "Freshet's store refused the row: \(error.message)")
        }
    }
}

/// Group commit for upserts: while one store transaction runs, the rows of every INSERT that
/// arrives (a Cassandra writer sends hundreds concurrently, one row each) wait, and then go in
/// the next transaction together — one fsync for all of them instead of one each. Each INSERT
/// is answered once its row is durable. A row the store refuses fails only its own INSERT: the
/// group is then written request by request.
actor RowWriteGroupCommit {
    private let sink: any Sink
    private var pending: [(rows: [CreatedUserRow], done: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false

    init(_ sink: any Sink) {
        self.sink = sink
    }

    func write(_ rows: [CreatedUserRow]) async throws {
        guard !rows.isEmpty else { return }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            pending.append((rows, done))
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
            // Later writes of an id win, in arrival order.
            var merged: [String: CreatedUserRow] = [:]
            var order: [String] = []
            for request in group {
                for row in request.rows where merged.updateValue(row, forKey: row.id) == nil { order.append(row.id) }
            }
            do {
                try await sink.upsert(order.compactMap { merged[$0] })
                for request in group { request.done.resume() }
            } catch let error as StoreError where error.code == .rowRejected && group.count > 1 {
                for request in group {
                    do {
                        try await sink.upsert(request.rows)
                        request.done.resume()
                    } catch {
                        request.done.resume(throwing: error)
                    }
                }
            } catch {
                for request in group { request.done.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
