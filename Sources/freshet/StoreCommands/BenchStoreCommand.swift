import ArgumentParser
import Foundation
import FreshetContracts
import FreshetCore
import FreshetPostgres
import FreshetStore

#if canImport(Glibc)
    import Glibc
#endif

/// `freshet bench store`: upsert throughput and dashboard query latency of the SQLite store, or
/// of a PostgreSQL database with `--store postgres://…`.
struct BenchStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "SQLite or PostgreSQL store: upsert rows/s (fresh inserts, replays, changed updates), batch p50/p99, query latency, size, peak RSS.",
        discussion: """
            Writes --rows generated users in batches of --batch (each batch with its window increments and \
            one position, as the processor writes them) into a scratch store, then replays the same batches \
            (no change), then rewrites them with changed values (counters move). Only the time inside \
            `write` is counted. Then times each dashboard query. Run it on a release build.

            With --store postgres://user:password@host:port/db the same batches go through the \
            PostgreSQL sink of `freshet up --store postgres://…` (one transaction per batch) into that \
            database: it must be an empty scratch database (the bench creates Freshet's tables when \
            missing, refuses a database that already has users, and empties the tables when done \
            unless --keep). The SQLite options (--synchronous, --counters, --cache-mib, …) do not apply.

            Examples:
              swift build -c release && .build/release/freshet bench store --rows 1000000 --batch 5000
              .build/release/freshet bench store --store postgres://bench:secret@127.0.0.1:5432/bench
            """
    )

    @Option(help: "Users to write.") var rows = 1_000_000
    @Option(help: "Rows per batch (one transaction).") var batch = 5_000
    @Option(help: "Scratch directory (removed afterwards unless --keep). Defaults to a temp directory.")
    var dir: String?
    @Flag(help: "Keep the scratch store.") var keep = false
    @Option(help: "PRAGMA synchronous: FULL, NORMAL or OFF.") var synchronous = "FULL"
    @Option(help: "Counter maintenance: swiftDeltas or triggers.") var counters = "swiftDeltas"
    @Option(help: "Page cache per connection, MiB.") var cacheMib = 64
    @Option(help: "WAL auto-checkpoint threshold, MiB.") var walAutocheckpointMib = 64
    @Option(help: "Page size of the new database, bytes.") var pageSize = 16_384
    @Flag(help: "Only the fresh-insert pass (skip replays, updates and queries).") var insertsOnly = false
    @Option(help: "Repetitions of each query; the median and max are reported.") var queryRepeats = 20
    @Option(
        help: ArgumentHelp("sqlite (default: a scratch file) or postgres://user:password@host:port/database (an empty scratch database).", valueName: "URL"))
    var store = "sqlite"

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard SQLiteStore.Synchronous(rawValue: synchronous.uppercased()) != nil else {
            throw ValidationError("--synchronous must be FULL, NORMAL or OFF, got \(synchronous)")
        }
        guard SQLiteStore.CounterMaintenance(rawValue: counters) != nil else {
            throw ValidationError("--counters must be swiftDeltas or triggers, got \(counters)")
        }
        guard queryRepeats >= 1 else { throw ValidationError("--query-repeats must be at least 1") }
        try BenchPostgres.validateStore(store)
    }

    func run() async throws {
        printMachine()
        if PostgresSinkConfiguration.isPostgresURL(store) {
            try await runPostgres()
        } else {
            try await runSQLite()
        }
        print("memory: peak RSS \(peakRSSMegabytes()) MB")
    }

    private func printMachine() {
        #if DEBUG
            print("freshet bench store — debug build: numbers are not representative; use `swift build -c release`")
        #else
            print("freshet bench store — release build")
        #endif
        print("machine: \(cpuModel()), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores")
    }

    private func runPostgres() async throws {
        let sink = try await BenchPostgres.connectEmpty(store)
        print(
            "store bench: \(rows) rows, batches of \(batch), PostgreSQL \(redact(store)) (\(sink.configuration.maximumConnections) connections, one transaction per batch)"
        )
        do {
            try await passes(sink, queries: sink)
            let bytes = try await BenchPostgres.tableBytes(sink)
            print(String(format: "size in PostgreSQL: %.1f MiB (tables and indexes) = %.0f bytes/row", Double(bytes) / 1_048_576, Double(bytes) / Double(rows)))
            if !keep { try await BenchPostgres.truncate(sink) }
        } catch {
            if !keep { try? await BenchPostgres.truncate(sink) }
            try? await sink.close()
            throw error
        }
        try await sink.close()
    }

    private func passes(_ sink: any Sink, queries store: any UserQueries) async throws {
        // Each pass continues the log: the same ids again are new records (a second run with
        // the same seed), not a replay the store's position would skip.
        let insert = try await pass(sink, variant: 0, firstOffset: 0)
        report("fresh inserts", insert)
        if insertsOnly { return }
        let replay = try await pass(sink, variant: 0, firstOffset: Int64(rows))
        report("same rows again (unchanged)", replay)
        let update = try await pass(sink, variant: 1, firstOffset: 2 * Int64(rows))
        report("updates (changed values)", update)
        try await queries(store)
    }

    private func runSQLite() async throws {
        let directory = dir ?? (NSTemporaryDirectory() + "freshet-bench-store-\(UUID().uuidString)")
        let path = directory + "/freshet.sqlite"
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        let configuration = SQLiteStore.Configuration(
            path: path, synchronous: SQLiteStore.Synchronous(rawValue: synchronous.uppercased())!,
            cacheSizeKiB: cacheMib * 1024,
            counterMaintenance: SQLiteStore.CounterMaintenance(rawValue: counters)!,
            walAutocheckpointBytes: walAutocheckpointMib << 20, pageSize: pageSize)
        print(
            "store bench: \(rows) rows, batches of \(batch), synchronous=\(configuration.synchronous.rawValue), counters=\(counters), cache \(cacheMib) MiB, wal_autocheckpoint \(walAutocheckpointMib) MiB, page size \(pageSize)"
        )
        print("file: \(path)")
        try await SQLiteStore.withStore(configuration) { store in
            try await store.prepare()
            try await passes(store, queries: store)
        }
        let size = ["", "-wal", "-shm"].map { fileSize(path + $0) }
        print(
            String(
                format: "size on disk: %.1f MiB (db %.1f MiB, wal %.1f MiB) = %.0f bytes/row",
                Double(size.reduce(0, +)) / 1_048_576, Double(size[0]) / 1_048_576, Double(size[1]) / 1_048_576,
                Double(size[0]) / Double(rows)))
    }

    struct PassResult {
        var rows: Int
        var writeTime: Duration
        var batchTimes: [Duration]
    }

    /// Writes all rows once; `variant` changes every non-id column deterministically.
    private func pass(_ store: any Sink, variant: UInt64, firstOffset: Int64) async throws -> PassResult {
        let clock = ContinuousClock()
        let generator = BenchRows(variant: variant)
        var total = Duration.zero
        var times: [Duration] = []
        var written = 0
        var offset = firstOffset
        while written < rows {
            let count = min(batch, rows - written)
            let rows = (0..<count).map { generator.row(index: written + $0) }
            let sinkBatch = Self.batch(rows, topic: "bench", from: offset)
            offset += Int64(count)
            let start = clock.now
            try await store.write(sinkBatch)
            let elapsed = clock.now - start
            total += elapsed
            times.append(elapsed)
            written += count
        }
        return PassResult(rows: written, writeTime: total, batchTimes: times)
    }

    /// One slice of partition 0 of `topic` holding `rows` at offsets `from`…, each counted in
    /// the window of its `ingested_at`.
    static func batch(_ rows: [CreatedUserRow], topic: String, from: Int64) -> SinkBatch {
        let records = rows.enumerated().map {
            SinkRecord(offset: from + Int64($0.offset), row: $0.element, windowStart: $0.element.ingestedAt / 60_000 * 60_000)
        }
        return SinkBatch(slices: [PartitionSlice(topic: topic, partition: 0, from: from, to: from + Int64(rows.count), records: records)])
    }

    private func report(_ name: String, _ result: PassResult) {
        let seconds = Self.seconds(result.writeTime)
        let sorted = result.batchTimes.sorted()
        let p50 = Self.seconds(sorted[sorted.count / 2]) * 1000
        let p99 = Self.seconds(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) * 1000
        print(
            Self.pad(name, 26)
                + String(
                    format: " %9.0f rows/s  (%.2f s in write; batch p50 %.1f ms, p99 %.1f ms)",
                    Double(result.rows) / seconds, seconds, p50, p99))
    }

    private func queries(_ store: any UserQueries) async throws {
        let clock = ContinuousClock()
        let someID = try await store.users(limit: 1, after: nil).first?.id ?? "x"
        let cases: [(String, @Sendable () async throws -> Void)] = [
            ("totalUsers", { _ = try await store.totalUsers() }),
            ("countsByGender", { _ = try await store.countsByGender() }),
            ("topCountries(10)", { _ = try await store.topCountries(limit: 10) }),
            ("registrationsPerMonth", { _ = try await store.registrationsPerMonth() }),
            ("topEmailDomains(10)", { _ = try await store.topEmailDomains(limit: 10) }),
            ("recentUsers(20)", { _ = try await store.recentUsers(limit: 20) }),
            ("windowCounts(country, 0)", { _ = try await store.windowCounts(dimension: "country", since: 0) }),
            ("user(id:)", { _ = try await store.user(id: someID) }),
            ("users(limit: 100, after:)", { _ = try await store.users(limit: 100, after: someID) }),
        ]
        print("query latency (\(queryRepeats) runs):")
        for (name, query) in cases {
            var times: [Duration] = []
            for _ in 0..<queryRepeats {
                let start = clock.now
                try await query()
                times.append(clock.now - start)
            }
            times.sort()
            print(
                "  " + Self.pad(name, 26)
                    + String(
                        format: " median %8.3f ms  max %8.3f ms",
                        Self.seconds(times[times.count / 2]) * 1000, Self.seconds(times.last!) * 1000))
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// Deterministic, realistic-sized rows: row `index` always has the same id; `variant` changes the rest.
struct BenchRows {
    let variant: UInt64

    private static let first = ["Emma", "Noah", "Olivia", "Liam", "Ava", "Lucas", "Mia", "Hugo", "Léa", "Mateo"]
    private static let last = ["Smith", "Müller", "Dubois", "Silva", "Jensen", "García", "Rossi", "Novak"]
    private static let countries = [
        "United States", "Germany", "France", "Brazil", "Denmark", "Spain", "Italy", "Norway", "Canada",
        "Australia", "New Zealand", "Ireland", "Switzerland", "Netherlands", "Turkey", "Iran", "Finland",
        "India", "Mexico", "Ukraine", "Serbia", "United Kingdom",
    ]
    private static let domains = ["example.com", "gmail.com", "yahoo.com", "proton.me", "outlook.com", "web.de"]
    private static let nats = ["US", "DE", "FR", "BR", "DK", "ES", nil]

    private func hash(_ index: Int, _ salt: UInt64) -> UInt64 {
        var z = UInt64(index &+ 1) &* 0x9E37_79B9_7F4A_7C15 &+ salt &* 0xD1B5_4A32_D192_ED03
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func row(index: Int) -> CreatedUserRow {
        let idBits = hash(index, 0)
        let id = String(
            format: "%08x-%04x-4%03x-%04x-%012llx", UInt32(truncatingIfNeeded: idBits >> 32),
            UInt32(truncatingIfNeeded: idBits >> 16) & 0xffff, UInt32(truncatingIfNeeded: idBits) & 0xfff,
            UInt32(truncatingIfNeeded: index) & 0xffff, hash(index, 1) & 0xffff_ffff_ffff)
        let r = hash(index, 2 &+ variant)
        let gender = r & 1 == 0 ? "female" : "male"
        let first = Self.first[Int(r >> 8) % Self.first.count]
        let last = Self.last[Int(r >> 16) % Self.last.count]
        let country = Self.countries[Int(r >> 24) % Self.countries.count]
        let domain = Self.domains[Int(r >> 32) % Self.domains.count]
        let year = 2002 + Int(r >> 40) % 21
        let month = 1 + Int(r >> 45) % 12
        let day = 1 + Int(r >> 50) % 28
        let birthYear = year - 18 - Int(r >> 55) % 50
        let login = "\(first.lowercased())\(last.lowercased())\(index % 1000)"
        return CreatedUserRow(
            id: id, firstName: first, lastName: last, gender: gender,
            address: "\(Int(r % 9000) + 100) \(last) Street, Springfield, State \(Int(r >> 12) % 50), \(country)",
            postCode: String(10_000 + Int(r >> 20) % 89_999), email: "\(login)@\(domain)", username: login,
            dob: String(format: "%04d-%02d-%02dT08:15:00.000Z", birthYear, month, day),
            registeredDate: String(format: "%04d-%02d-%02dT17:42:11.000Z", year, month, day),
            phone: String(format: "(%03d) %03d-%04d", Int(r >> 4) % 1000, Int(r >> 14) % 1000, Int(r >> 28) % 10000),
            picture: "https://randomuser.me/api/portraits/med/\(gender == "female" ? "women" : "men")/\(Int(r >> 36) % 100).jpg",
            year: String(year), month: String(month), day: String(day), country: country, emailDomain: domain,
            age: year - birthYear, nat: Self.nats[Int(r >> 58) % Self.nats.count],
            ingestedAt: 1_767_225_600_000 + Int64(index) * 5
        )
    }
}
