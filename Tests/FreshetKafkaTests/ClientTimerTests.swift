import Foundation
import FreshetContracts
import FreshetTesting
import NIOCore
import Synchronization
import Testing

@testable import FreshetKafka

/// The client's timers run on an injected clock: these tests move a `ManualClock` by hand and
/// check what happens at each step — no real sleeps, no timed assertions.
@Suite("Kafka client timers on a manual clock")
struct ClientTimerTests {
    static func configuration(_ broker: TestKafkaBroker) -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: [.init(host: "127.0.0.1", port: broker.port)])
        c.producer.idempotence = false
        c.retries = 1
        return c
    }

    static func options(topics: [String: Int32] = ["t": 1]) -> TestKafkaBroker.Options {
        var options = TestKafkaBroker.Options()
        options.mechanisms = []
        options.topics = topics
        return options
    }

    /// Every partition of every Produce written at offset `base`, `base` counting up.
    final class Counter: Sendable {
        let value = Mutex(0)
        func next() -> Int {
            value.withLock { c in
                defer { c += 1 }
                return c
            }
        }
    }

    static func accepting(_ counter: Counter) -> @Sendable (ProduceRequest) -> ProduceResponse {
        { request in
            var r = ProduceResponse()
            r.responses = request.topicData.map { t in
                var topic = ProduceResponse.TopicResponse()
                topic.name = t.name
                topic.partitionResponses = t.partitionData.map { p in
                    var answer = ProduceResponse.PartitionResponse()
                    answer.index = p.index
                    answer.baseOffset = Int64(counter.next())
                    return answer
                }
                return topic
            }
            return r
        }
    }

    /// What a produce call running in the background came to.
    final class Outcome: Sendable {
        let value = Mutex<Result<[RecordMetadata], any Error>?>(nil)
        var done: Bool { value.withLock { $0 != nil } }
    }

    static func produceInBackground(
        _ client: KafkaBroker, _ records: [ProducerRecord], into outcome: Outcome, group: inout ThrowingTaskGroup<Void, any Error>
    ) {
        group.addTask {
            do {
                let metadata = try await client.produce(topic: "t", records: records)
                outcome.value.withLock { $0 = .success(metadata) }
            } catch {
                outcome.value.withLock { $0 = .failure(error) }
            }
        }
    }

    @Test("a batch waits for linger on the injected clock, and goes out when it has passed")
    func lingerRunsOnTheInjectedClock() async throws {
        var options = Self.options()
        options.produce = Self.accepting(Counter())
        try await TestKafkaBroker.with(options) { broker in
            var config = Self.configuration(broker)
            config.producer.linger = .milliseconds(50)
            let clock = ManualClock()
            try await KafkaBroker.withBroker(config, clock: clock) { client in
                let outcome = Outcome()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    Self.produceInBackground(client, [ProducerRecord(value: [1], partition: 0)], into: outcome, group: &group)
                    // The linger timer is armed for 50 ms from now.
                    try await eventually("the linger timer is armed") { clock.nextDeadline?.offset == .milliseconds(50) }
                    clock.advance(by: .milliseconds(49))
                    #expect(broker.requests.filter { $0.hasPrefix("Produce") }.isEmpty)
                    #expect(!outcome.done)
                    clock.advance(by: .milliseconds(1))
                    try await group.waitForAll()
                }
                let metadata = try outcome.value.withLock { $0 }?.get()
                #expect(metadata?.map(\.offset) == [0])
                #expect(broker.requests.filter { $0.hasPrefix("Produce") }.count == 1)
            }
        }
    }

    @Test("retries wait for the backoff on the injected clock; the delivery timeout fails the batch")
    func deliveryTimeoutRunsOnTheInjectedClock() async throws {
        var options = Self.options()
        options.produce = { request in
            var r = ProduceResponse()
            var topic = ProduceResponse.TopicResponse()
            topic.name = "t"
            var p = ProduceResponse.PartitionResponse()
            p.errorCode = .notEnoughReplicas
            topic.partitionResponses = [p]
            r.responses = [topic]
            return r
        }
        try await TestKafkaBroker.with(options) { broker in
            var config = Self.configuration(broker)
            config.producer.linger = .zero
            config.producer.retryBackoff = .milliseconds(100)
            config.producer.deliveryTimeout = .seconds(1)
            let clock = ManualClock()
            try await KafkaBroker.withBroker(config, clock: clock) { client in
                let outcome = Outcome()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    Self.produceInBackground(client, [ProducerRecord(value: [1], partition: 0)], into: outcome, group: &group)
                    // Attempts at 0, 100, …, 1000 ms: the one at 1 s fails past the delivery timeout.
                    for step in 1...10 {
                        try await eventually("retry \(step) is scheduled") { clock.nextDeadline?.offset == .milliseconds(100 * step) }
                        #expect(broker.requests.filter { $0.hasPrefix("Produce") }.count == step)
                        clock.advance(by: .milliseconds(100))
                    }
                    try await group.waitForAll()
                }
                let result = try #require(outcome.value.withLock { $0 })
                let error = #expect(throws: KafkaClientError.self) { try result.get() }
                #expect(error?.code == .timedOut)
                #expect(error?.message.contains("after 11 attempts") == true, "\(String(describing: error))")
                #expect(broker.requests.filter { $0.hasPrefix("Produce") }.count == 11)
            }
        }
    }

    @Test("heartbeats go out every heartbeat interval of the injected clock, and only then")
    func heartbeatsRunOnTheInjectedClock() async throws {
        var options = Self.options(topics: ["t": 2])
        options.group = true
        try await TestKafkaBroker.with(options) { broker in
            var config = Self.configuration(broker)
            config.consumer.heartbeatInterval = .seconds(3)
            let clock = ManualClock()
            try await KafkaBroker.withBroker(config, clock: clock) { client in
                let consumer = try await client.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                #expect(await consumer.assignment() == [TopicPartition("t", 0), TopicPartition("t", 1)])
                try await eventually("the heartbeat timer is armed") { clock.nextDeadline?.offset == .seconds(3) }
                #expect(broker.heartbeats == 0)
                clock.advance(by: .seconds(2))
                #expect(broker.heartbeats == 0)
                clock.advance(by: .seconds(1))
                try await eventually("the first heartbeat") { broker.heartbeats == 1 }
                try await eventually("the next heartbeat is armed") { clock.nextDeadline?.offset == .seconds(6) }
                clock.advance(by: .seconds(3))
                try await eventually("the second heartbeat") { broker.heartbeats == 2 }
                try await consumer.close()
                #expect(broker.heartbeats == 2)
            }
        }
    }

    @Test("cancelling run() fails a pending produce with a closed error instead of hanging")
    func cancellingRunFailsPendingProduces() async throws {
        var options = Self.options()
        options.produce = Self.accepting(Counter())
        try await TestKafkaBroker.with(options) { broker in
            var config = Self.configuration(broker)
            config.producer.linger = .seconds(60)
            let clock = ManualClock()
            let client = try await KafkaBroker.connect(config, clock: clock)
            let outcome = Outcome()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The produce starts first and waits for run() (up to the delivery timeout, 120 s):
                // the group's cancellation reaches it too, and must not cut that wait short.
                Self.produceInBackground(client, [ProducerRecord(value: [1], partition: 0)], into: outcome, group: &group)
                try await eventually("the produce waits for run()") { clock.nextDeadline?.offset == .seconds(120) }
                group.addTask { try await client.run() }
                try await eventually("the linger timer is armed") { clock.nextDeadline?.offset == .seconds(60) }
                group.cancelAll()
                try await group.waitForAll()
            }
            let result = try #require(outcome.value.withLock { $0 })
            let error = #expect(throws: KafkaClientError.self) { try result.get() }
            #expect(error?.code == .closed)
            #expect(broker.requests.filter { $0.hasPrefix("Produce") }.isEmpty)
            let later = await #expect(throws: KafkaClientError.self) { _ = try await client.produce(topic: "t", records: [ProducerRecord(value: [2])]) }
            #expect(later?.code == .closed)
            try await client.close()
        }
    }

    @Test("a produce without run() fails after the delivery timeout, and one before run() starts waits for it")
    func aProduceWithoutRunFailsInsteadOfHanging() async throws {
        var options = Self.options()
        options.produce = Self.accepting(Counter())
        try await TestKafkaBroker.with(options) { broker in
            var config = Self.configuration(broker)
            config.producer.linger = .zero
            config.producer.deliveryTimeout = .seconds(30)
            let clock = ManualClock()
            let client = try await KafkaBroker.connect(config, clock: clock)
            // Nobody runs the client: the produce waits for run() on the injected clock...
            let orphan = Outcome()
            try await withThrowingTaskGroup(of: Void.self) { group in
                Self.produceInBackground(client, [ProducerRecord(value: [1], partition: 0)], into: orphan, group: &group)
                try await eventually("the produce waits for run()") { clock.nextDeadline?.offset == .seconds(30) }
                clock.advance(by: .seconds(29))
                #expect(!orphan.done)
                // ...and fails at the delivery timeout, saying why.
                clock.advance(by: .seconds(1))
                try await group.waitForAll()
            }
            let result = try #require(orphan.value.withLock { $0 })
            let error = #expect(throws: KafkaClientError.self) { try result.get() }
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("run()") == true, "\(String(describing: error))")
            #expect(broker.requests.filter { $0.hasPrefix("Produce") }.isEmpty)

            // A produce that starts before run() goes out once run() starts.
            let early = Outcome()
            try await withThrowingTaskGroup(of: Void.self) { group in
                Self.produceInBackground(client, [ProducerRecord(value: [2], partition: 0)], into: early, group: &group)
                try await eventually("the produce waits for run()") { clock.nextDeadline != nil }
                group.addTask { try await client.run() }
                try await eventually("the produce went out") { early.done }
                try await client.close()
                try await group.waitForAll()
            }
            #expect(try early.value.withLock { $0 }?.get().map(\.offset) == [0])
        }
    }
}

/// Up to five batches of a partition in flight with idempotence (issue #15), against a
/// scripted broker that checks sequence numbers as Kafka does.
@Suite("Idempotent producer with batches in flight")
struct ClientInFlightTests {
    /// A one-partition log that accepts a batch only at the next expected sequence
    /// (DUPLICATE_SEQUENCE_NUMBER below it, OUT_OF_ORDER_SEQUENCE_NUMBER above), and fails
    /// the batch at `failSequence` once with a retriable error.
    final class SequencedLog: Sendable {
        struct State {
            var next: Int32 = 0
            var values: [[UInt8]] = []
            var failed = false
            /// Base sequences in the order the Produce requests arrived.
            var seen: [Int32] = []
        }
        let state = Mutex(State())
        let failSequence: Int32

        init(failSequence: Int32) { self.failSequence = failSequence }

        /// Fetch answers from the log: one batch from the requested offset to the end.
        func fetch(_ request: FetchRequest) -> FetchResponse {
            let values = state.withLock { $0.values }
            var response = FetchResponse()
            response.responses = request.topics.map { t in
                var topic = FetchResponse.Topic()
                topic.topic = t.topic
                topic.partitions = t.partitions.map { p in
                    var partition = FetchResponse.Partition()
                    partition.partitionIndex = p.partition
                    partition.highWatermark = Int64(values.count)
                    partition.logStartOffset = 0
                    if p.fetchOffset >= 0, p.fetchOffset < Int64(values.count) {
                        var batch = RecordBatch.producing(values[Int(p.fetchOffset)...].map { KafkaRecord(key: nil, value: $0, timestamp: 0) })
                        batch.baseOffset = p.fetchOffset
                        partition.records = ByteBuffer(bytes: (try? batch.encode()) ?? [])
                    }
                    return partition
                }
                return topic
            }
            return response
        }

        func answer(_ request: ProduceRequest) -> ProduceResponse {
            var r = ProduceResponse()
            r.responses = request.topicData.map { t in
                var topic = ProduceResponse.TopicResponse()
                topic.name = t.name
                topic.partitionResponses = t.partitionData.map { p in
                    var answer = ProduceResponse.PartitionResponse()
                    answer.index = p.index
                    guard let bytes = p.records, let batch = try? RecordBatch.decodeAll(bytes).batches.first else {
                        answer.errorCode = .corruptMessage
                        return answer
                    }
                    state.withLock { s in
                        s.seen.append(batch.baseSequence)
                        if batch.baseSequence == failSequence && !s.failed {
                            s.failed = true
                            answer.errorCode = .notEnoughReplicas
                        } else if batch.baseSequence == s.next {
                            answer.baseOffset = Int64(s.values.count)
                            s.values += batch.records.map { $0.value ?? [] }
                            s.next += Int32(batch.records.count)
                        } else if batch.baseSequence < s.next {
                            answer.errorCode = .duplicateSequenceNumber
                        } else {
                            answer.errorCode = .outOfOrderSequenceNumber
                        }
                    }
                    return answer
                }
                return topic
            }
            return r
        }
    }

    @Test("the middle batch of five in flight fails: a consumer reads every record once, in order")
    func middleBatchOfFiveFails() async throws {
        let log = SequencedLog(failSequence: 20)
        var options = TestKafkaBroker.Options()
        options.mechanisms = []
        options.topics = ["t": 1]
        options.produce = { log.answer($0) }
        options.fetch = { log.fetch($0) }
        options.group = true
        options.initProducerId = {
            var r = InitProducerIdResponse()
            r.producerID = 4242
            r.producerEpoch = 0
            return r
        }
        try await TestKafkaBroker.with(options) { broker in
            var config = KafkaClientConfiguration(bootstrapServers: [.init(host: "127.0.0.1", port: broker.port)])
            config.retries = 1
            config.producer.maxInFlight = 5
            config.producer.linger = .zero
            config.producer.retryBackoff = .milliseconds(100)
            // 30 bytes a record (9-byte values): ten records fill a batch.
            config.producer.maxBatchBytes = 300
            let clock = ManualClock()
            try await KafkaBroker.withBroker(config, clock: clock) { client in
                let records = (0..<50).map { i in ProducerRecord(value: Array(String(format: "value-%03d", i).utf8), partition: 0) }
                let outcome = ClientTimerTests.Outcome()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            let metadata = try await client.produce(topic: "t", records: records)
                            outcome.value.withLock { $0 = .success(metadata) }
                        } catch {
                            outcome.value.withLock { $0 = .failure(error) }
                        }
                    }
                    // Batch 20… fails, 30… and 40… are refused behind it; they wait for the backoff.
                    try await eventually("the retries are scheduled") { clock.nextDeadline != nil && log.state.withLock { $0.seen.count } == 5 }
                    clock.advance(by: .milliseconds(100))
                    try await group.waitForAll()
                }
                let metadata = try #require(try outcome.value.withLock { $0 }?.get())
                #expect(metadata.map(\.offset) == (0..<50).map(Int64.init))
                // Read back as a group member: each record once, in the order produced.
                let consumer = try await client.makeConsumer(ConsumerConfig(groupID: "g", topics: ["t"]))
                let read = try await ClientTest.pollAll(consumer, count: 50)
                try await consumer.close()
                #expect(read.map(\.offset) == (0..<50).map(Int64.init))
                #expect(read.map(\.value) == records.map(\.value))
            }
        }
        let state = log.state.withLock { $0 }
        // Five written back to back, then the failed one and those after it, one at a time, in order.
        #expect(state.seen == [0, 10, 20, 30, 40, 20, 30, 40])
        #expect(state.values == (0..<50).map { Array(String(format: "value-%03d", $0).utf8) })
    }

    @Test("max_in_flight is 1…5", arguments: ["0", "6", "x"])
    func maxInFlightIsBounded(_ value: String) {
        #expect(throws: KafkaClientError.self) { _ = try KafkaClientConfiguration(url: "kafka://h:9092?max_in_flight=\(value)") }
    }

    @Test func maxInFlightFromTheURL() throws {
        #expect(try KafkaClientConfiguration(url: "kafka://h:9092?max_in_flight=1").producer.maxInFlight == 1)
        #expect(try KafkaClientConfiguration(url: "kafka://h:9092").producer.maxInFlight == 5)
    }
}
