import FreshetCQL
import FreshetCQLClient
import FreshetContracts
import FreshetCore

/// The dashboard's reads over the sink's tables, so that the web UI, the JSON API, `freshet
/// users …` and the CQL endpoint serve a Cassandra store.
///
/// | query | how |
/// | --- | --- |
/// | counters (`totalUsers`, genders, countries, email domains, months) | the sum of every `stream_state` row's counters (one row per partition, plus the upserts'): a scan of a few rows |
/// | `recentUsers(limit)` | the state rows' recent lists, newest first, then the rows by id |
/// | `windowCounts(dimension:since:)` | point reads of each partition's windows from `since` to now + 5 minutes when that is at most 512 reads (the dashboard's last hour), else a scan of `partition_windows` |
/// | `user(id:)` | by key |
/// | `users(limit:after:)` | `WHERE token(id) > token(?)`: Cassandra's token order, not id order; every row once when paging with the last id |
///
/// The counters count what the rows say: a partition's counters move with each row its
/// records change (`CassandraCountingPlan`).
extension CassandraSink: UserQueries {
    /// A `stream_state` row as the queries read it.
    struct StateRow: Sendable {
        var topic: String
        var partition: Int32
        var counters: CassandraCounts
        var recent: CassandraRecentUsers
    }

    /// Point reads of windows at most, before `windowCounts` scans instead.
    static let maximumWindowReads = 512

    func stateRows() async throws -> [StateRow] {
        let statements = try prepared()
        var rows: [StateRow] = []
        do {
            for try await page in client.pages(statements.selectStates, pageSize: 1_000) {
                for row in page.rows where row.count >= 6 {
                    guard case .text(let id)? = row[0] else { continue }
                    var topic = ""
                    var partition: Int32 = -1
                    if case .text(let t)? = row[1] { topic = t }
                    if case .int(let p)? = row[2] { partition = p }
                    do throws(CassandraSinkStateError) {
                        var counters = CassandraCounts()
                        var recent = CassandraRecentUsers()
                        if case .blob(let bytes)? = row[4] { counters = try CassandraCounts(decoding: bytes) }
                        if case .blob(let bytes)? = row[5] { recent = try CassandraRecentUsers(decoding: bytes) }
                        rows.append(StateRow(topic: topic, partition: partition, counters: counters, recent: recent))
                    } catch {
                        throw CassandraSinkError(code: .readFailed, message: "stream_state \(id) holds what this sink cannot read: \(error)")
                    }
                }
            }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot read the stream state: \(error.message)", underlying: error)
        }
        return rows
    }

    func counters() async throws -> CassandraCounts {
        var sum = CassandraCounts()
        for row in try await stateRows() { sum.add(row.counters) }
        return sum
    }

    /// A dimension's positive counts: by count descending then label, or by label.
    func counts(_ dimension: String, byCount: Bool, limit: Int? = nil) async throws -> [LabeledCount] {
        let all = try await counters().counts.filter { $0.key.dimension == dimension && $0.value > 0 }
        let sorted = all.map { (cell: $0.key, count: $0.value) }.sorted { a, b in
            if byCount, a.count != b.count { return a.count > b.count }
            return a.cell < b.cell
        }
        return sorted.prefix(max(0, limit ?? sorted.count)).map { LabeledCount(label: $0.cell.label, count: Int($0.count)) }
    }

    public func totalUsers() async throws -> Int {
        Int(try await counters()[CassandraCell("total", "")])
    }

    public func countsByGender() async throws -> [LabeledCount] {
        try await counts("gender", byCount: true)
    }

    public func topCountries(limit: Int) async throws -> [LabeledCount] {
        try await counts("country", byCount: true, limit: limit)
    }

    public func registrationsPerMonth() async throws -> [LabeledCount] {
        try await counts("registration_month", byCount: false)
    }

    public func topEmailDomains(limit: Int) async throws -> [LabeledCount] {
        try await counts("email_domain", byCount: true, limit: limit)
    }

    public func recentUsers(limit: Int) async throws -> [CreatedUserRow] {
        guard limit > 0 else { return [] }
        var entries = try await stateRows().flatMap(\.recent.entries)
        entries.sort(by: CassandraRecentUsers.newer)
        var seen = Set<String>()
        let ids = entries.map(\.id).filter { seen.insert($0).inserted }
        // A listed id may have no row yet (counted, not yet written): read a few more than asked.
        var rows: [CreatedUserRow] = []
        var next = 0
        while rows.count < limit, next < ids.count {
            let chunk = Array(ids[next..<min(ids.count, next + max(limit - rows.count, 8))])
            next += chunk.count
            rows += try await concurrently(chunk) { try await self.user(id: $0) }.compactMap { $0 }
        }
        rows.sort { a, b in
            a.ingestedAt != b.ingestedAt ? a.ingestedAt > b.ingestedAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
        return Array(rows.prefix(limit))
    }

    public func windowCounts(dimension: String, since: Int64) async throws -> [WindowCount] {
        let statements = try prepared()
        var sums: [Int64: [String: Int64]] = [:]
        func add(_ start: Int64, _ cells: CassandraCounts) {
            for (cell, count) in cells.counts where cell.dimension == dimension && start >= since {
                sums[start, default: [:]][cell.label, default: 0] += count
            }
        }
        let partitions = try await stateRows().filter { $0.partition >= 0 }
        let first = since <= 0 ? 0 : (since + 59_999) / 60_000 * 60_000
        let last = now() + 5 * 60_000
        let minutes = first > last ? 0 : Int((last - first) / 60_000) + 1
        do {
            if since > 0, minutes * partitions.count <= Self.maximumWindowReads {
                let ids = partitions.flatMap { state in
                    stride(from: first, through: last, by: 60_000).map {
                        (start: $0, id: Self.windowID(topic: state.topic, partition: state.partition, start: $0))
                    }
                }
                let found = try await concurrently(ids) { window -> (Int64, CassandraCounts)? in
                    let page = try await self.client.page(statements.selectWindow, [.text(window.id)])
                    guard let row = page.rows.first, row.count >= 2, case .blob(let bytes)? = row[1] else { return nil }
                    return (window.start, try Self.cells(bytes, window.id))
                }
                for case (let start, let cells)? in found { add(start, cells) }
            } else {
                for try await page in client.pages(statements.selectWindows, pageSize: 1_000) {
                    for row in page.rows where row.count >= 4 {
                        guard case .timestamp(let start)? = row[2], start >= since, case .blob(let bytes)? = row[3] else { continue }
                        add(start, try Self.cells(bytes, "\(start)"))
                    }
                }
            }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot read the window counts: \(error.message)", underlying: error)
        }
        return sums.keys.sorted().flatMap { start in
            (sums[start] ?? [:]).filter { $0.value != 0 }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map {
                WindowCount(windowStart: start, dimension: dimension, value: $0.key, count: Int($0.value))
            }
        }
    }

    static func cells(_ bytes: [UInt8], _ id: String) throws -> CassandraCounts {
        do throws(CassandraSinkStateError) {
            return try CassandraCounts(decoding: bytes)
        } catch {
            throw CassandraSinkError(code: .readFailed, message: "partition_windows \(id) holds what this sink cannot read: \(error)")
        }
    }

    public func user(id: String) async throws -> CreatedUserRow? {
        let statements = try prepared()
        let page: CQLRowPage
        do {
            page = try await client.page(statements.selectUser, [.text(id)])
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot read row \(id): \(error.message)", underlying: error)
        }
        guard let cells = page.rows.first else { return nil }
        guard let row = Self.row(cells[...]) else {
            throw CassandraSinkError(code: .readFailed, message: "created_users \(id) has a missing or mistyped column")
        }
        return row
    }

    /// Rows after `cursor` in Cassandra's token order (not by id): paging with the last id of
    /// each page returns every row once.
    public func users(limit: Int, after cursor: String?) async throws -> [CreatedUserRow] {
        guard limit > 0 else { return [] }
        let statements = try prepared()
        let limitValue = CQLValue.int(Int32(clamping: limit))
        let (statement, values): (CQLPreparedStatement, [CQLValue?]) =
            cursor.map { (statements.usersAfter, [.text($0), limitValue]) } ?? (statements.usersFromStart, [.bigint(Int64.min), limitValue])
        var rows: [CreatedUserRow] = []
        do {
            for try await page in client.pages(statement, values, pageSize: Int32(clamping: min(limit, 5_000))) {
                for cells in page.rows {
                    guard let row = Self.row(cells[...]) else {
                        throw CassandraSinkError(code: .readFailed, message: "a created_users row has a missing or mistyped column")
                    }
                    rows.append(row)
                }
                if rows.count >= limit { break }
            }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot page created_users: \(error.message)", underlying: error)
        }
        return Array(rows.prefix(limit))
    }
}
