import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetStream
import Synchronization

/// Computes what the dashboard shows: the store's panels, the live windows, and (in
/// `freshet up`) the pipeline's own numbers. At most one computation per half second is shared
/// by every client (each SSE connection asks once a second).
public final class StatsProvider: Sendable {
    let queries: any UserQueries
    let broker: BrokerAccess
    let metrics: PipelineMetrics?
    let group: String
    let clock: MonotonicTime
    let started: Duration

    struct Cache {
        var json: [UInt8] = []
        var at: Duration?
        var lastSample: (at: Duration, produced: Int, stored: Int)?
        var rates: (inPerSecond: Double, outPerSecond: Double) = (0, 0)
    }

    let cache = Mutex(Cache())
    /// Serialises recomputation so concurrent clients share one.
    let computing = AsyncSerializer()

    /// The document is cached for `cacheFor` of `clock`'s time (defaults: half a second of the
    /// process's monotonic clock).
    public init(
        queries: any UserQueries, broker: BrokerAccess, metrics: PipelineMetrics?, group: String = "freshet-processor",
        clock: MonotonicTime = .continuous, cacheFor: Duration = .milliseconds(500)
    ) {
        self.queries = queries
        self.broker = broker
        self.metrics = metrics
        self.group = group
        self.clock = clock
        self.started = clock.now()
        self.cacheFor = cacheFor
    }

    let cacheFor: Duration

    /// The `/api/stats` document as JSON bytes.
    public func statsJSON() async throws -> [UInt8] {
        try await computing.run {
            if let cached = cache.withLock({ c -> [UInt8]? in
                guard let at = c.at, clock.now() - at < cacheFor else { return nil }
                return c.json
            }) {
                return cached
            }
            let bytes = WebJSON.encode(try await stats())
            cache.withLock {
                $0.json = bytes
                $0.at = clock.now()
            }
            return bytes
        }
    }

    func stats() async throws -> WebJSON.Stats {
        let now = Timestamp.now().millisecondsSinceEpoch
        let genders = try await queries.countsByGender()
        let total = try await queries.totalUsers()
        let users = WebJSON.Stats.Users(
            total: total,
            male: genders.first { $0.label == "male" }?.count ?? 0,
            female: genders.first { $0.label == "female" }?.count ?? 0,
            gender: genders.map(WebJSON.LabeledCountJSON.init),
            topCountries: try await queries.topCountries(limit: 10).map(WebJSON.LabeledCountJSON.init),
            recent: try await queries.recentUsers(limit: 10).map(WebJSON.User.init),
            monthlyRegistrations: try await queries.registrationsPerMonth().map(WebJSON.LabeledCountJSON.init),
            emailDomains: try await queries.topEmailDomains(limit: 10).map(WebJSON.LabeledCountJSON.init))
        let windows = try await queries.windowCounts(dimension: "total", since: now - 60 * 60_000)
        return WebJSON.Stats(
            generatedAt: Int(now), mode: metrics == nil ? "serve" : "up", uptimeSeconds: (clock.now() - started).secondsDouble,
            users: users, ingestPerMinute: windows.map { WebJSON.Stats.Window(windowStart: Int($0.windowStart), count: $0.count) },
            pipeline: try await pipeline())
    }

    func pipeline() async throws -> WebJSON.Pipeline? {
        guard let metrics else { return nil }
        let m = metrics.snapshot
        let rates = cache.withLock { c -> (Double, Double) in
            let instant = clock.now()
            if let last = c.lastSample {
                let seconds = (instant - last.at).secondsDouble
                if seconds >= 0.9 {
                    c.rates = (Double(m.produced - last.produced) / seconds, Double(m.stored - last.stored) / seconds)
                    c.lastSample = (instant, m.produced, m.stored)
                }
            } else {
                c.lastSample = (instant, m.produced, m.stored)
            }
            return c.rates
        }
        let group = self.group
        let (lag, latest) = try await broker.with { broker -> ([WebJSON.Pipeline.PartitionLag], [WebJSON.Pipeline.DeadLetters.Latest]) in
            let description = try? await broker.describeGroup(group)
            let lag = (description?.offsets ?? []).filter { $0.topic == "users_created" }.map {
                WebJSON.Pipeline.PartitionLag(partition: Int($0.partition), lag: Int($0.lag ?? $0.latestOffset))
            }
            let latest = try await Self.messages(broker, topic: "users_created.dlq", limit: 5, maxBytes: 256 << 10).map { message in
                let entry = DeadLetter.entry(from: message.record)
                return WebJSON.Pipeline.DeadLetters.Latest(
                    code: entry.code, reason: entry.reason, source: "\(entry.sourceTopic)/\(entry.sourcePartition)@\(entry.sourceOffset)",
                    timestamp: Int(entry.timestamp))
            }
            return (lag, latest)
        }
        var byCode: [String: Int] = [:]
        for (code, count) in m.deadLettered { byCode[code.rawValue] = count }
        var errors: [String: Int] = [:]
        for errorClass in FreshetSourceErrorClasses.all { errors[errorClass] = 0 }
        for (errorClass, count) in m.source.errors { errors[errorClass.rawValue] = count }
        return WebJSON.Pipeline(
            recordsInPerSecond: rates.0, recordsOutPerSecond: rates.1,
            produced: m.produced, consumed: m.consumed, stored: m.stored,
            latencyMS: .init(p50: Double(m.endToEnd.percentile(0.5)) / 1000, p99: Double(m.endToEnd.percentile(0.99)) / 1000),
            storeWriteMS: .init(p50: Double(m.storeWrite.percentile(0.5)) / 1000, p99: Double(m.storeWrite.percentile(0.99)) / 1000),
            lag: lag, totalLag: lag.reduce(0) { $0 + $1.lag },
            dlq: .init(total: m.totalDeadLettered, byCode: byCode, latest: latest),
            dropped: m.dropped,
            source: .init(requests: m.source.requests, people: m.source.people, errors: errors),
            rssBytes: ProcessInfo.residentBytes)
    }

    /// The newest `limit` records of a topic across partitions, newest first.
    /// One record of a topic-messages answer; `record.value` may be cut to fit the budget.
    struct Message {
        var record: ConsumerRecord
        /// Whether the key, value or a header value was cut.
        var truncated: Bool
        /// The value's full size.
        var valueBytes: Int
    }

    /// Records fetched per partition per step, reading backwards from the end.
    static let messagesStep = 32

    /// The newest `limit` records of a topic across partitions, newest first, gathering at most
    /// `maxBytes`: each partition gets an equal share of the budget and is read backwards from
    /// its end in steps of `messagesStep` records; keys and values are cut to a fair share of
    /// the budget (at least 1 KiB) as they arrive, so however large the records, memory stays
    /// within the budget plus the one fetch in flight.
    static func messages(_ broker: any Broker, topic: String, limit: Int, maxBytes: Int) async throws -> [Message] {
        guard limit > 0, try await broker.listTopics().contains(topic) else { return [] }
        let partitions = try await broker.describeTopic(topic).partitions.filter { $0.latestOffset > $0.earliestOffset }
        guard !partitions.isEmpty else { return [] }
        let share = max(1024, maxBytes / partitions.count)
        let valueCap = max(1024, maxBytes / max(1, min(limit * partitions.count, limit * 4)))
        var messages: [Message] = []
        for p in partitions {
            var end = p.latestOffset
            var gathered = 0
            var used = 0
            while end > p.earliestOffset, gathered < limit, used < share {
                let count = Int64(min(messagesStep, limit - gathered))
                let start = max(p.earliestOffset, end - count)
                let fetched = try await broker.fetch(
                    topic: topic, partition: p.partition, offset: start, maxRecords: Int(end - start),
                    maxBytes: max(1, min(share - used, 1 << 20)), maxWait: .zero)
                if fetched.records.isEmpty { break }
                // The step's records, newest first; a fetch may return fewer than asked.
                for record in fetched.records.reversed() where record.offset < end && gathered < limit {
                    let message = cut(record, cap: valueCap)
                    used +=
                        message.record.value.count + (message.record.key?.count ?? 0)
                        + message.record.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
                    messages.append(message)
                    gathered += 1
                    if used >= share { break }
                }
                let lowest = fetched.records.map(\.offset).min() ?? start
                guard lowest < end else { break }
                end = min(start, lowest)
            }
        }
        messages.sort { ($0.record.timestamp, $0.record.partition, $0.record.offset) > ($1.record.timestamp, $1.record.partition, $1.record.offset) }
        return Array(messages.prefix(limit))
    }

    /// The record with its key and value cut to `cap` bytes and header values to 1 KiB.
    static func cut(_ record: ConsumerRecord, cap: Int) -> Message {
        var copy = record
        var truncated = false
        if copy.value.count > cap {
            copy.value = Array(copy.value.prefix(cap))
            truncated = true
        }
        if let key = copy.key, key.count > cap {
            copy.key = Array(key.prefix(cap))
            truncated = true
        }
        for i in copy.headers.indices where copy.headers[i].value.count > 1024 {
            copy.headers[i].value = Array(copy.headers[i].value.prefix(1024))
            truncated = true
        }
        return Message(record: copy, truncated: truncated, valueBytes: record.value.count)
    }
}

/// Monotonic time since an arbitrary origin: what the stats cache and the rates are measured
/// with. `continuous` is the process's clock; a test passes one it moves by hand.
public struct MonotonicTime: Sendable {
    public let now: @Sendable () -> Duration

    public init(_ now: @escaping @Sendable () -> Duration) {
        self.now = now
    }

    public static var continuous: MonotonicTime {
        let origin = ContinuousClock.now
        return MonotonicTime { ContinuousClock.now - origin }
    }
}

enum FreshetSourceErrorClasses {
    static let all = ["429", "5xx", "4xx", "timeout", "connection", "malformed", "empty"]
}

/// Runs async closures one at a time.
final class AsyncSerializer: Sendable {
    let busy = Mutex<(running: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            let now = busy.withLock { state -> Bool in
                if state.running {
                    state.waiters.append(continuation)
                    return false
                }
                state.running = true
                return true
            }
            if now { continuation.resume() }
        }
        defer {
            let next = busy.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.running = false
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}

extension Duration {
    var secondsDouble: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension ProcessInfo {
    /// Resident set size now (VmRSS), in bytes.
    static var residentBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        return 0
    }
}
