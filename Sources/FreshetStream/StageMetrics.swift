import CoreMetrics
import FreshetCore
import FreshetSource

/// The pipeline's swift-metrics instruments, one set per stage, created once. Whatever metrics
/// backend the process bootstrapped receives them (`freshet up` exports them at `/metrics` in
/// Prometheus format); without a bootstrap they cost nothing.
public struct StageMetrics: Sendable {
    // Source.
    let sourcePeople = Counter(label: "freshet_source_people_total")
    let sourceRequests = Counter(label: "freshet_source_requests_total")
    let sourceErrors: [SourceErrorClass: Counter] = Dictionary(
        uniqueKeysWithValues: SourceErrorClass.allCases.map {
            ($0, Counter(label: "freshet_source_errors_total", dimensions: [("class", $0.rawValue)]))
        })
    // Log.
    let produced = Counter(label: "freshet_log_records_produced_total")
    let produceDuration = Timer(label: "freshet_log_produce_duration_seconds")
    // Processor.
    let consumed = Counter(label: "freshet_processor_records_consumed_total")
    let skippedReplays = Counter(label: "freshet_processor_replays_skipped_total")
    let lateForWindows = Counter(label: "freshet_processor_late_records_total")
    /// Records neither stored nor dead-lettered, by stage (`ingest`, `processor`).
    let droppedByIngest = Counter(label: "freshet_records_dropped_total", dimensions: [("stage", "ingest")])
    let droppedByProcessor = Counter(label: "freshet_records_dropped_total", dimensions: [("stage", "processor")])
    let batchSize = Recorder(label: "freshet_processor_batch_records", aggregate: true)
    /// Records read per store transaction (one poll's at low rates, several polls' under backlog).
    let transactionRecords = Recorder(label: "freshet_store_transaction_records", aggregate: true)
    let deadLettered: [RejectionCode: Counter] = Dictionary(
        uniqueKeysWithValues: RejectionCode.allCases.map {
            ($0, Counter(label: "freshet_dead_letters_total", dimensions: [("code", $0.rawValue)]))
        })
    // Store.
    let stored = Counter(label: "freshet_store_rows_written_total")
    let storeWrite = Timer(label: "freshet_store_write_duration_seconds")
    let storeErrors = Counter(label: "freshet_store_errors_total")
    // End to end.
    let endToEnd = Timer(label: "freshet_end_to_end_latency_seconds")

    public init() {}

    /// Adds what changed in the source's own statistics since `previous`.
    func recordSource(_ now: SourceStats, since previous: SourceStats) {
        if now.people > previous.people { sourcePeople.increment(by: now.people - previous.people) }
        if now.requests > previous.requests { sourceRequests.increment(by: now.requests - previous.requests) }
        for (errorClass, count) in now.errors {
            let before = previous.errors[errorClass] ?? 0
            if count > before { sourceErrors[errorClass]?.increment(by: count - before) }
        }
    }
}
