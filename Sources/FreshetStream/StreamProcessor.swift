import CoreMetrics
import FreshetContracts
import FreshetCore
import Logging
import ServiceLifecycle
import Synchronization

/// The seeds' Spark Structured Streaming job: consume `users_created` in micro-batches,
/// parse with an explicit schema, validate, transform, and write `created_users`.
///
/// Guarantees: a batch's rows, window counts and log positions reach the store in one
/// transaction; only then are the offsets committed to the broker. After a crash the
/// processor skips records the store already has (its positions are ahead of the group's
/// committed offsets), so nothing is lost, nothing is stored or counted twice.
public final class StreamProcessor: Service, Sendable {
    public struct Configuration: Sendable {
        /// Defaults to "users_created".
        public var topic: String = "users_created"
        /// Defaults to "users_created.dlq".
        public var deadLetterTopic: String = "users_created.dlq"
        /// How both topics are created when missing. Defaults to `TopicConfig()`; the pipeline
        /// passes `log.partitions`, so every stage creates them alike.
        public var topicConfig = TopicConfig()
        /// Consumer group. Defaults to "freshet-processor".
        public var group: String = "freshet-processor"
        /// Most records per micro-batch (one store transaction). Defaults to 5,000: under load
        /// batches fill up; at low rates every poll returns at once with what is there.
        public var maxBatchRecords: Int = 5000
        /// Most bytes per micro-batch. Defaults to 8 MiB.
        public var maxBatchBytes: Int = 8 << 20
        /// When the pending store transaction is written (`TransactionPlanner`): at once when a
        /// poll returns less than a full batch; under backlog, once it holds 50,000 records,
        /// 8 MiB of records, or its first record is 500 ms old (the defaults).
        public var transaction = TransactionPlanner.Limits()
        /// How long an idle poll waits for data. Defaults to 100 ms.
        public var idleWait: Duration = .milliseconds(100)
        /// Tumbling window size for the per-minute counts. Defaults to 60 s.
        public var window: Duration = .seconds(60)
        /// How late (behind the newest ingest time seen) a record may be and still count in its
        /// window. Defaults to 60 s.
        public var allowedLateness: Duration = .seconds(60)
        /// The message schema and its limits.
        public var schema: UserSchema = UserSchema()
        /// First retry delay of a failed store write; doubles up to `storeRetryMax`. Defaults to 100 ms.
        public var storeRetryBase: Duration = .milliseconds(100)
        /// Defaults to 5 s.
        public var storeRetryMax: Duration = .seconds(5)
        /// Exit once the source has finished and the processor has reached the end of the log.
        public var drainWhenSourceFinishes: Bool = false
        /// The largest dead letter (key, value and headers); a larger original keeps a prefix.
        /// Defaults to `DeadLetter.maxRecordBytes` (1 MiB − 64 KiB), which fits the embedded log
        /// and Kafka's default `message.max.bytes`.
        public var maxDeadLetterBytes: Int = DeadLetter.maxRecordBytes
        /// How values are read: JSON (the default) or Confluent-framed Avro resolved to
        /// `UserCreatedAvro.schema` (`AvroUserCodec`).
        public var format: MessageFormat = .json
        /// Under backlog, apply each poll to a store transaction kept open across polls when the
        /// store can (`TransactionalSink`: SQLite, PostgreSQL), so the processor holds at most
        /// two polls whatever the transaction's size. Defaults to `true`; `false` gathers the
        /// transaction in memory (bounded by `transaction.maxBytes`), as stores that cannot do
        /// it always are.
        public var streamTransactions: Bool = true

        public init() {}
    }

    let broker: any Broker
    let sink: any Sink
    /// `sink`, when it keeps a transaction open across polls and `streamTransactions` is on.
    let transactional: (any TransactionalSink)?
    public let configuration: Configuration
    let metrics: PipelineMetrics
    let backpressure: Backpressure?
    let logger: Logger
    let sourceFinished: SourceFinishedFlag
    /// The per-partition watermarks that decide each record's window (`Watermarks`).
    let watermarks: Mutex<Watermarks>
    let stage = StageMetrics()
    /// Time on the injected clock since the processor was made: the store transaction's time
    /// limit is measured with it.
    let elapsed: @Sendable () -> Duration

    public init(
        broker: any Broker, sink: any Sink, configuration: Configuration = .init(), metrics: PipelineMetrics = .init(),
        backpressure: Backpressure? = nil, sourceFinished: SourceFinishedFlag = .init(), logger: Logger = Logger(label: "freshet.processor"),
        clock: some Clock<Duration> = ContinuousClock()
    ) {
        let origin = clock.now
        self.elapsed = { origin.duration(to: clock.now) }
        self.broker = broker
        self.sink = sink
        self.transactional = configuration.streamTransactions ? sink as? any TransactionalSink : nil
        self.configuration = configuration
        self.metrics = metrics
        self.backpressure = backpressure
        self.sourceFinished = sourceFinished
        self.logger = logger
        self.watermarks = Mutex(Watermarks(window: configuration.window, allowedLateness: configuration.allowedLateness))
    }

    public func run() async throws {
        try await ensureTopics()
        var consumerConfig = ConsumerConfig(groupID: configuration.group, topics: [configuration.topic], resetPolicy: .earliest)
        consumerConfig.maxPollRecords = configuration.maxBatchRecords
        consumerConfig.maxPollBytes = configuration.maxBatchBytes
        consumerConfig.maxWait = configuration.idleWait
        consumerConfig.clientID = "freshet-processor"
        let consumer = try await broker.makeConsumer(consumerConfig)
        // Per partition, the position the next slice starts at: the store's position when the
        // partition was assigned (records below it were applied before and are skipped), then
        // the end of each batch written.
        var positions: [TopicPartition: Int64] = [:]
        // Partitions whose store position is known; a partition must be in here before any of
        // its records is processed, however the poll and the assignment interleave.
        var loaded = Set<TopicPartition>()
        var knownAssignment: [TopicPartition] = []
        // The store transaction being gathered: the processed slices of one or more polls.
        var pending = PendingTransaction()
        var planner = TransactionPlanner(limits: configuration.transaction)
        // Per partition, the end of a streamed transaction that failed and is being read again:
        // until every one is passed, transactions are gathered in memory, where a refused row is
        // isolated and a store outage retried (`flush`). Empty: stream when the store can.
        var recovering: [TopicPartition: Int64] = [:]
        do {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let records = try await consumer.poll(maxRecords: nil, maxBytes: nil, maxWait: nil)
                let assignment = await consumer.assignment()
                if assignment != knownAssignment {
                    // What was read under the old assignment is written first: the positions of
                    // partitions that come back are then loaded from a store that has it.
                    if !planner.isEmpty { try await flush(&pending, &planner, consumer: consumer, positions: &positions, recovering: &recovering) }
                    // A revoked partition may be advanced by another processor before it comes back.
                    knownAssignment = assignment
                    loaded.formIntersection(assignment)
                    recovering = recovering.filter { assignment.contains($0.key) }
                    logger.info("assigned partitions", metadata: ["partitions": "\(assignment.map(\.description).joined(separator: ","))"])
                }
                // A poll returns a partition's records together: one insert per run of them.
                var inBatch = Set<TopicPartition>()
                var previous: ConsumerRecord?
                for record in records where previous?.partition != record.partition || previous?.topic != record.topic {
                    inBatch.insert(TopicPartition(record.topic, record.partition))
                    previous = record
                }
                if !inBatch.isSubset(of: loaded) {
                    // Learn how far the store already is for these partitions (an open
                    // transaction answers for the store: the store's other calls wait for it).
                    let stored =
                        if let transaction = pending.transaction {
                            try await transaction.positions(topic: configuration.topic)
                        } else {
                            try await sink.positions(topic: configuration.topic)
                        }
                    for tp in inBatch.subtracting(loaded) {
                        positions[tp] = stored[tp.partition]
                        loaded.insert(tp)
                    }
                }
                if records.isEmpty {
                    if !planner.isEmpty { try await flush(&pending, &planner, consumer: consumer, positions: &positions, recovering: &recovering) }
                    if configuration.drainWhenSourceFinishes, sourceFinished.isSet, try await caughtUp(consumer) { break }
                    continue
                }
                let bytes = try await prepare(records, into: &pending, positions: positions)
                // A poll less than full has caught up, unless the consumer knows at least a full
                // poll more is waiting (a Kafka fetch answers a share of each partition at a time,
                // whatever the backlog). A few records arriving meanwhile, at a low rate, are not
                // a backlog: they do not hold the transaction open (latency).
                var full = isFull(records.count, bytes: bytes)
                if !full, let waiting = await consumer.backlog(), waiting >= configuration.maxBatchRecords { full = true }
                if planner.add(records: records.count, bytes: bytes, full: full, now: elapsed()) {
                    try await flush(&pending, &planner, consumer: consumer, positions: &positions, recovering: &recovering)
                } else if let transactional, recovering.isEmpty, isFull(planner.heldRecords, bytes: planner.heldBytes) {
                    // Under backlog, into a store that can: a full poll's worth of records goes
                    // into the open store transaction now (applied while the next is read), so
                    // the processor holds two polls' worth at most, whatever the transaction's
                    // size. Polls that come back short (a Kafka fetch answers a share of each
                    // partition) are gathered first: SQLite inserts a bigger apply's ids, sorted,
                    // in fewer passes over its id index.
                    try await stream(&pending, &planner, into: transactional, consumer: consumer, positions: &positions, recovering: &recovering)
                }
            }
            // A graceful shutdown writes and commits what was read.
            if !planner.isEmpty { try await flush(&pending, &planner, consumer: consumer, positions: &positions, recovering: &recovering) }
        } catch {
            // Whatever the open transaction applied is thrown away; the store's positions
            // (where the next run starts) are those of its last commit.
            await pending.abandonTransaction()
            try? await consumer.close()
            throw error
        }
        try await consumer.close()
    }

    /// Whether a poll returned as much as it could: `maxBatchRecords` records, or within one
    /// largest record of `maxBatchBytes`. More is then likely waiting in the log.
    func isFull(_ count: Int, bytes: Int) -> Bool {
        count >= configuration.maxBatchRecords || TransactionPlanner.saturatingAdd(bytes, DeadLetter.maxRecordBytes) >= configuration.maxBatchBytes
    }

    /// Writes the pending transaction (one `sink.write`, or the last poll's apply and the commit
    /// of a streamed one), then commits its offsets and records its metrics. A gap (the store is
    /// behind this processor) throws the whole transaction away and reads every partition of it
    /// again from where it started; so does any failure of a streamed transaction.
    func flush(
        _ pending: inout PendingTransaction, _ planner: inout TransactionPlanner, consumer: any BrokerConsumer,
        positions: inout [TopicPartition: Int64], recovering: inout [TopicPartition: Int64]
    ) async throws {
        defer {
            pending = PendingTransaction()
            planner.reset()
            recovering = recovering.filter { (positions[$0.key] ?? 0) < $0.value }
        }
        if planner.polls > 1 || planner.records > configuration.maxBatchRecords {
            logger.debug(
                "writing a store transaction",
                metadata: [
                    "records": "\(planner.records)", "bytes": "\(planner.bytes)", "polls": "\(planner.polls)",
                    "reason": "\(planner.reason?.rawValue ?? "shutdown")",
                    "to": "\(pending.ends)",
                ])
        }
        if pending.transaction != nil {
            try await commitStreamed(pending, consumer: consumer, positions: &positions, recovering: &recovering)
            return
        }
        do {
            try await write(pending, consumer: consumer, positions: &positions)
        } catch let gap as SliceGapError {
            // The store is behind where this processor believes it is (it was replaced or
            // rolled back underneath): nothing of the transaction was written. Read the gap's
            // partition again from the store's position, and the others from where the
            // transaction started (their records were read past, and are not in the store).
            logger.error("the store refused a batch that starts past its position; reading again from there", metadata: ["error": "\(gap)"])
            try await rewind(pending, gap: gap, consumer: consumer, positions: &positions)
        }
    }

    /// Reads every partition of `pending` again from where the transaction started (the gap's
    /// partition from the store's position).
    func rewind(_ pending: PendingTransaction, gap: SliceGapError?, consumer: any BrokerConsumer, positions: inout [TopicPartition: Int64]) async throws {
        var rewind = Dictionary(uniqueKeysWithValues: pending.order.compactMap { tp in pending.slices[tp].map { (tp, $0.from) } })
        if let gap { rewind[TopicPartition(gap.topic, gap.partition)] = gap.stored }
        for (tp, offset) in rewind.sorted(by: { $0.key.description < $1.key.description }) {
            positions[tp] = offset
            do {
                try await consumer.seek(tp, to: .offset(offset))
            } catch let error as LogError where error.code == .illegalGeneration {
                logger.warning("the partition is no longer this processor's", metadata: ["partition": "\(tp)", "error": "\(error)"])
            }
        }
    }

    /// Applies the rows read since the last apply (the last poll) to the open store
    /// transaction, opening it first if needed, and forgets them: the transaction now holds
    /// them. A failure rolls the transaction back and reads it again (`abandonStreamed`).
    func stream(
        _ pending: inout PendingTransaction, _ planner: inout TransactionPlanner, into sink: any TransactionalSink, consumer: any BrokerConsumer,
        positions: inout [TopicPartition: Int64], recovering: inout [TopicPartition: Int64]
    ) async throws {
        if pending.transaction == nil {
            do {
                pending.transaction = try await sink.beginTransaction()
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                // Nothing was applied: this transaction is gathered in memory instead.
                noteStoreError(error, "cannot open a store transaction; gathering this one in memory")
                for tp in pending.order { if let slice = pending.slices[tp] { recovering[tp] = slice.to } }
                return
            }
            logger.debug("streaming a store transaction across polls", metadata: ["records": "\(planner.records)", "to": "\(pending.ends)"])
        }
        do {
            try await applyStreamed(&pending, wait: false)
            planner.released()
        } catch {
            planner.reset()
            try await abandonStreamed(&pending, error, consumer: consumer, positions: &positions, recovering: &recovering)
        }
    }

    /// Hands each partition's records since the last apply (the last poll) to the open store
    /// transaction, and drops them from `pending` (keeping the slice's range, for the offsets to
    /// commit). The apply runs while the processor reads and decodes the next poll: one apply
    /// in flight, so SQLite's writer thread and the decoding overlap (a depth-2 pipeline; the
    /// processor holds at most two polls). `wait` waits for it; a failed apply throws at the
    /// next call (`settle`).
    func applyStreamed(_ pending: inout PendingTransaction, wait: Bool) async throws {
        try await settle(&pending)
        guard let transaction = pending.transaction else { return }
        var slices: [PartitionSlice] = []
        for tp in pending.order {
            guard var slice = pending.slices[tp] else { continue }
            let from = pending.appliedTo[tp] ?? slice.from
            guard slice.to > from else { continue }
            slice.from = from
            slices.append(slice)
            pending.appliedTo[tp] = slice.to
            for record in slice.records { pending.appliedIngestedAt.append(record.row.ingestedAt) }
            pending.slices[tp]?.records = []
        }
        if !slices.isEmpty {
            let batch = SinkBatch(slices: slices)
            pending.inFlight = InFlightApply(
                partitions: slices.map { TopicPartition($0.topic, $0.partition) },
                task: Task {
                    let started = ContinuousClock.now
                    let outcomes = try await transaction.apply(batch)
                    return (outcomes, started.duration(to: .now))
                })
        }
        if wait { try await settle(&pending) }
    }

    /// Waits for the apply in flight, if any, and folds what it did into `pending`.
    func settle(_ pending: inout PendingTransaction) async throws {
        guard let inFlight = pending.inFlight else { return }
        pending.inFlight = nil
        let (outcomes, took) = try await inFlight.task.value
        pending.applyMicros += micros(took)
        for (tp, outcome) in zip(inFlight.partitions, outcomes) { pending.merge(outcome, for: tp) }
    }

    /// The end of a streamed transaction: the last poll's apply, the commit, then the offsets
    /// and metrics as for any other.
    func commitStreamed(
        _ pending: PendingTransaction, consumer: any BrokerConsumer, positions: inout [TopicPartition: Int64],
        recovering: inout [TopicPartition: Int64]
    ) async throws {
        var pending = pending
        do {
            try await applyStreamed(&pending, wait: true)
            let started = ContinuousClock.now
            try await pending.transaction?.commit()
            pending.applyMicros += micros(started.duration(to: .now))
        } catch {
            try await abandonStreamed(&pending, error, consumer: consumer, positions: &positions, recovering: &recovering)
            return
        }
        // Every slice was applied at least once (a slice exists only once a record of it was read).
        let applied = pending.order.compactMap { tp in pending.slices[tp].flatMap { slice in pending.outcomes[tp].map { (slice, $0) } } }
        let slices = applied.map(\.0)
        let outcomes = applied.map(\.1)
        try await finish(
            pending, slices: slices, outcomes: outcomes, writeMicros: pending.applyMicros, skipped: pending.skipped, dropped: pending.dropped,
            deadCodes: pending.deadCodes, consumer: consumer, positions: &positions)
    }

    /// A streamed transaction failed (a gap, a refused row, the store unavailable, a commit
    /// whose answer was lost): the store threw all of it away, and the processor no longer holds
    /// its rows. Its partitions are read again from where it started, and gathered in memory
    /// until past its end (`recovering`), where `write` isolates refused rows and retries.
    /// `pending` is emptied (the caller's planner must be reset too).
    func abandonStreamed(
        _ pending: inout PendingTransaction, _ error: any Error, consumer: any BrokerConsumer,
        positions: inout [TopicPartition: Int64], recovering: inout [TopicPartition: Int64]
    ) async throws {
        let abandoned = pending
        pending = PendingTransaction()
        await abandoned.abandonTransaction()
        let gap = error as? SliceGapError
        if gap == nil { noteStoreError(error, "a streamed store transaction failed; reading it again") }
        if (Task.isCancelled || Task.isShuttingDownGracefully) && gap == nil { throw error }
        for tp in abandoned.order { if let slice = abandoned.slices[tp] { recovering[tp] = max(recovering[tp] ?? 0, slice.to) } }
        // The rewind's positions stand; nothing of the transaction counts.
        try await rewind(abandoned, gap: gap, consumer: consumer, positions: &positions)
    }

    func noteStoreError(_ error: any Error, _ message: Logger.Message) {
        metrics.update { $0.storeErrors += 1 }
        stage.storeErrors.increment()
        logger.error(message, metadata: ["error": "\(error)"])
    }

    /// True when every owned partition's position is at the end of the log.
    func caughtUp(_ consumer: any BrokerConsumer) async throws -> Bool {
        let description = try await broker.describeTopic(configuration.topic)
        let assignment = await consumer.assignment()
        guard !assignment.isEmpty else { return false }
        for tp in assignment {
            guard let latest = description.partitions.first(where: { $0.partition == tp.partition })?.latestOffset else { return false }
            let position = await consumer.position(tp) ?? 0
            if position < latest { return false }
        }
        return true
    }

    func ensureTopics() async throws {
        let existing = Set(try await broker.listTopics())
        for topic in [configuration.topic, configuration.deadLetterTopic] where !existing.contains(topic) {
            do {
                try await broker.createTopic(topic, config: configuration.topicConfig)
            } catch let error as LogError where error.code == .topicAlreadyExists {
                // Created concurrently by the ingest side: fine.
            }
        }
    }

    /// Processes one poll's records as a store transaction of their own: `prepare`, then `write`.
    func process(_ records: [ConsumerRecord], consumer: any BrokerConsumer, positions: inout [TopicPartition: Int64]) async throws {
        var pending = PendingTransaction()
        _ = try await prepare(records, into: &pending, positions: positions)
        try await write(pending, consumer: consumer, positions: &positions)
    }

    /// Processes one poll's records into the pending transaction: each record is skipped (the
    /// store has it), dead-lettered or turned into a row of its partition's slice, which goes on
    /// from where the pending slice (or the store's position) ends. Dead letters are produced
    /// here, before the store write: if we crash before it, the replay sends them again (at
    /// least once), whereas the other order could lose them. A dead letter the broker refuses
    /// even as bare headers is dropped (counted, logged): it must not stop the pipeline.
    /// Returns the bytes (keys and values) of `records`.
    func prepare(_ records: [ConsumerRecord], into pending: inout PendingTransaction, positions: [TopicPartition: Int64]) async throws -> Int {
        var deadLetters: [ProducerRecord] = []
        var bytes = 0
        // Avro: the batch's writer schemas, looked up before any record is decoded (a registry
        // that is unreachable holds the batch here, uncommitted, rather than dead-lettering it).
        var avro: (codec: AvroUserCodec, writers: AvroUserCodec.WriterTable)?
        if case .avro(let codec) = configuration.format {
            avro = (codec, try await codec.writers(for: records.lazy.map(\.value)))
        }
        // The hot loop works on local copies: the watermarks are taken out of their lock once
        // per poll (only this task moves them), and the slice of the partition being read is
        // taken out of `pending` for the run of records of that partition (a poll returns a
        // partition's records together), so a record costs no lock, no dictionary lookup and no
        // copy-on-write of a slice.
        var marks = watermarks.withLock { $0 }
        var run: PartitionSlice?
        var runTP = TopicPartition("", -1)
        var runEnd: Int64?
        func endRun() {
            if let slice = run {
                pending.slices[runTP] = slice
                run = nil
            }
        }
        for record in records {
            bytes = TransactionPlanner.saturatingAdd(bytes, TransactionPlanner.saturatingAdd(record.value.count, record.key?.count ?? 0))
            if record.partition != runTP.partition || record.topic != runTP.topic {
                endRun()
                runTP = TopicPartition(record.topic, record.partition)
                runEnd = pending.slices[runTP]?.to ?? positions[runTP]
            }
            let tp = runTP
            // Offsets come from the wire: any Int64. An offset with no successor cannot be
            // committed past, so the record is dropped (and logged), never trapped on.
            guard record.offset >= 0, record.offset < Int64.max else {
                pending.dropped += 1
                logger.error("dropped a record with an impossible offset", metadata: ["partition": "\(tp)", "offset": "\(record.offset)"])
                continue
            }
            // Records before the pending slice's end are in it already (read again after a
            // rebalance); records before the store's position were applied before a crash or by
            // another processor.
            let from = runEnd ?? record.offset
            if record.offset < from {
                pending.skipped += 1
                continue
            }
            if run == nil {
                if let existing = pending.slices.removeValue(forKey: tp) {
                    run = existing
                } else {
                    run = PartitionSlice(topic: record.topic, partition: record.partition, from: from, to: from, records: [])
                    pending.order.append(tp)
                }
            }
            run!.to = record.offset + 1
            runEnd = record.offset + 1
            guard Self.acceptedTimestamps.contains(record.timestamp) else {
                let rejection = Rejection(.badTimestamp, "log timestamp \(record.timestamp) is outside 1970-01-01…9999-12-31 (milliseconds since the epoch)")
                deadLetters.append(DeadLetter.record(for: record, rejection: rejection, maxBytes: configuration.maxDeadLetterBytes))
                pending.deadCodes[rejection.code, default: 0] += 1
                continue
            }
            let result: Result<CreatedUserRow, Rejection>
            if let avro {
                result = avro.codec.decode(record.value, with: avro.writers).flatMap {
                    configuration.schema.row(from: $0, ingestedAt: record.timestamp)
                }
            } else {
                result = configuration.schema.row(from: record.value, ingestedAt: record.timestamp)
            }
            switch result {
            case .success(let row):
                let window = marks.window(of: record.timestamp, partition: tp)
                if window == nil { pending.late += 1 }
                run!.records.append(SinkRecord(offset: record.offset, row: row, windowStart: window))
            case .failure(let rejection):
                deadLetters.append(DeadLetter.record(for: record, rejection: rejection, maxBytes: configuration.maxDeadLetterBytes))
                pending.deadCodes[rejection.code, default: 0] += 1
            }
        }
        endRun()
        watermarks.withLock { $0 = marks }
        pending.consumed += records.count
        pending.dropped += try await DeadLetter.produce(deadLetters, to: configuration.deadLetterTopic, broker: broker, logger: logger)
        stage.batchSize.record(records.count)
        return bytes
    }

    /// Writes a pending transaction in one `sink.write`, dead-letters the rows the store refuses,
    /// then commits the offsets and records the metrics.
    func write(_ pending: PendingTransaction, consumer: any BrokerConsumer, positions: inout [TopicPartition: Int64]) async throws {
        let skipped = pending.skipped
        var dropped = pending.dropped
        var deadCodes = pending.deadCodes
        var batch = SinkBatch(slices: pending.order.compactMap { pending.slices[$0] })
        let started = ContinuousClock.now
        let (outcomes, refused) = try await write(&batch)
        let writeMicros = micros(started.duration(to: .now))
        if !refused.isEmpty {
            var storeDead: [ProducerRecord] = []
            for (id, error) in refused {
                for address in pending.addresses(of: id) {
                    let record =
                        await reread(address)
                        ?? ConsumerRecord(
                            topic: address.partition.topic, partition: address.partition.partition, offset: address.offset, timestamp: 0,
                            key: Array(id.utf8), value: [], headers: [])
                    storeDead.append(
                        DeadLetter.record(
                            for: record, rejection: Rejection(.storeRejected, "the store refused the row: \(error)"),
                            maxBytes: configuration.maxDeadLetterBytes))
                }
            }
            let undeliverable = try await DeadLetter.produce(storeDead, to: configuration.deadLetterTopic, broker: broker, logger: logger)
            dropped += undeliverable
            deadCodes[.storeRejected, default: 0] += storeDead.count - undeliverable
        }
        try await finish(
            pending, slices: batch.slices, outcomes: outcomes, writeMicros: writeMicros, skipped: skipped, dropped: dropped, deadCodes: deadCodes,
            consumer: consumer, positions: &positions)
    }

    /// After a store transaction is durable: commits the offsets of `slices` (from their
    /// `outcomes`), moves `positions`, records the metrics. The end-to-end latency is taken from
    /// the records still in `slices` and, for a streamed transaction, `appliedIngestedAt`.
    func finish(
        _ pending: PendingTransaction, slices: [PartitionSlice], outcomes: [SliceOutcome], writeMicros: Int64, skipped: Int, dropped: Int,
        deadCodes: [RejectionCode: Int], consumer: any BrokerConsumer, positions: inout [TopicPartition: Int64]
    ) async throws {
        var skipped = skipped
        var commit: [TopicPartition: Int64] = [:]
        var stored = 0
        for (slice, outcome) in zip(slices, outcomes) {
            let tp = TopicPartition(slice.topic, slice.partition)
            skipped += outcome.alreadyApplied
            stored += outcome.applied
            if outcome.stale, let ahead = outcome.positionBefore, ahead > slice.to {
                // Another processor is further along this partition: this one lost it (its
                // consumer learns so at the next poll) or is a step behind. Nothing was written.
                logger.warning(
                    "the store is past this batch: another processor writes this partition",
                    metadata: [
                        "partition": "\(tp)", "batch": "\(slice.from)..<\(slice.to)", "store": "\(ahead)",
                    ])
                positions[tp] = ahead
                continue
            }
            positions[tp] = slice.to
            commit[tp] = slice.to
        }
        if !commit.isEmpty {
            do {
                try await consumer.commit(commit)
            } catch let error as LogError where error.code == .illegalGeneration {
                // The group rebalanced under this processor (it was paused past its session, or
                // lost a partition): the store has the batch; whoever owns the partitions now
                // resumes from the store's positions. The next poll rejoins the group.
                logger.warning("offsets not committed: the group rebalanced; the next poll rejoins", metadata: ["error": "\(error)"])
            }
        }

        let consumed = pending.consumed
        let late = pending.late
        let now = Self.wallClockMillis()
        stage.consumed.increment(by: consumed)
        stage.stored.increment(by: stored)
        stage.skippedReplays.increment(by: skipped)
        stage.lateForWindows.increment(by: late)
        stage.transactionRecords.record(consumed)
        stage.storeWrite.recordMicroseconds(writeMicros)
        if dropped > 0 { stage.droppedByProcessor.increment(by: dropped) }
        for (code, n) in deadCodes { stage.deadLettered[code]?.increment(by: n) }
        for slice in slices {
            for event in slice.records { stage.endToEnd.recordMilliseconds(Self.age(of: event.row.ingestedAt, now: now)) }
        }
        for ingestedAt in pending.appliedIngestedAt { stage.endToEnd.recordMilliseconds(Self.age(of: ingestedAt, now: now)) }
        metrics.update { m in
            m.consumed += consumed
            m.stored += stored
            m.skippedReplays += skipped
            m.lateForWindows += late
            m.storeWrites += 1
            m.storeWrite.record(micros: writeMicros)
            m.dropped += dropped
            for (code, n) in deadCodes { m.deadLettered[code, default: 0] += n }
            for slice in slices {
                for event in slice.records { m.endToEnd.record(micros: Self.age(of: event.row.ingestedAt, now: now) * 1000) }
            }
            for ingestedAt in pending.appliedIngestedAt { m.endToEnd.record(micros: Self.age(of: ingestedAt, now: now) * 1000) }
        }
        backpressure?.processed(consumed)
    }

    /// The record at `address`, read again from the log: a transaction keeps only where its rows
    /// came from, not their bytes (that would double what it holds), and needs the bytes only
    /// to dead-letter a row the store refuses. Nil (logged) when the log no longer has it; its
    /// dead letter then carries the id as key and no value.
    func reread(_ address: RecordAddress) async -> ConsumerRecord? {
        do {
            for maxRecords in [1, 10_000] {
                let result = try await broker.fetch(
                    topic: address.partition.topic, partition: address.partition.partition, offset: address.offset,
                    maxRecords: maxRecords, maxBytes: 16 << 20, maxWait: .zero)
                if let record = result.records.first(where: { $0.offset == address.offset }) { return record }
            }
        } catch {
            logger.error(
                "cannot read a refused row's record again", metadata: ["partition": "\(address.partition)", "offset": "\(address.offset)", "error": "\(error)"])
            return nil
        }
        logger.error("a refused row's record is no longer in the log", metadata: ["partition": "\(address.partition)", "offset": "\(address.offset)"])
        return nil
    }

    /// The per-minute window a record of `partition` counts in, by its ingest time; nil when it
    /// is late (`Watermarks`).
    func windowStart(of timestamp: Int64, partition: TopicPartition) -> Int64? {
        watermarks.withLock { $0.window(of: timestamp, partition: partition) }
    }

    /// Writes the batch, retrying while the store is unavailable. A row the store refuses for
    /// good (a `SinkFailure` naming it) is taken out of the batch, which is written again without
    /// it; the refused rows are returned (to be dead-lettered). When the store cannot say which
    /// row it refuses, each row is tried alone (`upsert`, idempotent) to find out.
    func write(_ batch: inout SinkBatch) async throws -> ([SliceOutcome], refused: [(String, any Error)]) {
        var refused: [(String, any Error)] = []
        while true {
            do {
                return (try await writeRetrying(batch), refused)
            } catch let failure as any SinkFailure where failure.rejectedRowID != nil {
                logger.warning("store rejected a row; isolating", metadata: ["row": "\(failure.rejectedRowID ?? "?")", "error": "\(failure)"])
                let rows = batch.slices.flatMap(\.records).map(\.row)
                var ids: Set<String> = []
                if let id = failure.rejectedRowID, id != "?", rows.contains(where: { $0.id == id }) {
                    ids = [id]
                    refused.append((id, failure))
                } else {
                    for row in rows {
                        do {
                            try await sink.upsert([row])
                        } catch let error as any SinkFailure where error.rejectedRowID != nil {
                            ids.insert(row.id)
                            refused.append((row.id, error))
                        }
                    }
                    // No single row is refused: the batch as a whole is (a store's bug); stop.
                    guard !ids.isEmpty else { throw failure }
                }
                for index in batch.slices.indices { batch.slices[index].records.removeAll { ids.contains($0.row.id) } }
            }
        }
    }

    /// Retries any failure that is not a row's fault (and not a gap), with capped exponential
    /// backoff, until it succeeds or the service is shut down (then nothing is committed, and
    /// nothing is lost). The store's contract makes a retry safe whatever the failed attempt did.
    func writeRetrying(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        var delay = configuration.storeRetryBase
        while true {
            do {
                return try await sink.write(batch)
            } catch let error as any SinkFailure where error.rejectedRowID != nil {
                throw error
            } catch let gap as SliceGapError {
                throw gap
            } catch {
                metrics.update { $0.storeErrors += 1 }
                stage.storeErrors.increment()
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                logger.error("store write failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.storeRetryMax)
            }
        }
    }

    /// Log timestamps the processor accepts: 1970-01-01 … 9999-12-31 in milliseconds. Window
    /// arithmetic on them (`start + size`, `now - timestamp`) cannot overflow; a record outside
    /// is dead-lettered as `bad_timestamp`.
    public static let acceptedTimestamps: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Milliseconds from `timestamp` to `now`, at least 0 (a clock behind the log's is not negative latency).
    static func age(of timestamp: Int64, now: Int64) -> Int64 {
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        return overflow ? 0 : min(max(0, age), Int64.max / 1000)
    }

    func micros(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
    }

    static func wallClockMillis() -> Int64 {
        Timestamp.now().millisecondsSinceEpoch
    }
}

/// The store transaction the processor is gathering: the processed slices of one or more polls
/// (a partition's slices merged: `from` of the first, `to` of the last), and what to count and
/// dead-letter once it is written.
struct PendingTransaction {
    var slices: [TopicPartition: PartitionSlice] = [:]
    var order: [TopicPartition] = []
    var deadCodes: [RejectionCode: Int] = [:]
    var consumed = 0
    var skipped = 0
    var dropped = 0
    var late = 0
    /// The store transaction the polls so far were applied to (streamed, `TransactionalSink`);
    /// nil while they are held here.
    var transaction: (any SinkTransaction)?
    /// Per partition, where the part applied to `transaction` ends (its slice's records before
    /// it are no longer held).
    var appliedTo: [TopicPartition: Int64] = [:]
    /// Per partition, what the applies so far did, merged.
    var outcomes: [TopicPartition: SliceOutcome] = [:]
    /// Ingest times of the applied records: their end-to-end latency is taken at the commit.
    var appliedIngestedAt: [Int64] = []
    /// Time spent in the applies and the commit.
    var applyMicros: Int64 = 0
    /// The apply running while the next poll is read (`StreamProcessor.applyStreamed`).
    var inFlight: InFlightApply?

    /// Waits for the apply in flight (whatever it did), then rolls the transaction back.
    func abandonTransaction() async {
        if let inFlight { _ = try? await inFlight.task.value }
        await transaction?.rollback()
    }

    /// Folds one apply's outcome for `tp` into what the transaction did: counts add up; the
    /// position before and staleness are the last apply's (they decide the offsets to commit).
    mutating func merge(_ outcome: SliceOutcome, for tp: TopicPartition) {
        guard var merged = outcomes[tp] else {
            outcomes[tp] = outcome
            return
        }
        merged.applied += outcome.applied
        merged.alreadyApplied += outcome.alreadyApplied
        merged.positionBefore = outcome.positionBefore
        merged.stale = outcome.stale
        outcomes[tp] = merged
    }

    /// "partition:end" of each slice, for logs.
    var ends: String {
        order.compactMap { slices[$0] }.map { "\($0.partition):\($0.to)" }.joined(separator: ",")
    }
}

extension PendingTransaction {
    /// Where the records of the row `id` are in the log, to dead-letter them when the store
    /// refuses the row (they are read again then): a scan of the slices, done only for a refused
    /// row, rather than an index kept for every record. Not the records themselves: those would
    /// double what a transaction holds across polls.
    func addresses(of id: String) -> [RecordAddress] {
        var found: [RecordAddress] = []
        for tp in order {
            guard let slice = slices[tp] else { continue }
            for record in slice.records where record.row.id == id { found.append(RecordAddress(partition: tp, offset: record.offset)) }
        }
        return found
    }
}

/// An apply to a streamed store transaction that is running: the partitions of its slices,
/// in order, and the task that applies them (its outcomes and how long it took).
struct InFlightApply {
    var partitions: [TopicPartition]
    var task: Task<([SliceOutcome], Duration), any Error>
}

/// A record's place in the log.
struct RecordAddress: Hashable {
    var partition: TopicPartition
    var offset: Int64
}

/// Set once the source has produced its last record (bounded runs).
public final class SourceFinishedFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}
