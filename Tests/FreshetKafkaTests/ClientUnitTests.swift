import FreshetContracts
import FreshetCore
import FreshetLog
import Testing

@testable import FreshetKafka

@Suite("Kafka client configuration URL")
struct ClientConfigurationTests {
    @Test func fullURL() throws {
        let c = try KafkaClientConfiguration(
            url:
                "kafka://k1:9093,[::1]:9094,k3?client_id=ingest%2D1&partitions=6&linger_ms=20&session_timeout_ms=6000&acks=all&idempotence=true&compression=zstd&assignor=roundrobin"
        )
        #expect(c.bootstrapServers == [.init(host: "k1", port: 9093), .init(host: "::1", port: 9094), .init(host: "k3", port: 9092)])
        #expect(c.clientID == "ingest-1")
        #expect(c.connection.clientID == "ingest-1")
        #expect(c.topicDefaults.partitions == 6)
        #expect(c.producer.linger == .milliseconds(20))
        #expect(c.consumer.sessionTimeout == .milliseconds(6000))
        #expect(c.consumer.heartbeatInterval == .milliseconds(2000))
        #expect(c.producer.acks == -1 && c.producer.idempotence)
        #expect(c.producer.compression == .zstd)
        #expect(c.consumer.assignor == .roundRobin)
    }

    @Test func defaults() throws {
        let c = try KafkaClientConfiguration(url: "kafka://localhost:9092")
        #expect(c.producer.linger == .milliseconds(5))
        #expect(c.producer.maxBatchBytes == 1 << 20)
        #expect(c.producer.acks == -1)
        #expect(c.producer.idempotence)
        #expect(c.consumer.sessionTimeout == .seconds(10))
        #expect(c.topicDefaults.partitions == 3)
        #expect(c.topicDefaults.replicationFactor == -1)
    }

    @Test func acksOneTurnsIdempotenceOff() throws {
        let c = try KafkaClientConfiguration(url: "kafka://h:1?acks=1")
        #expect(c.producer.acks == 1)
        #expect(!c.producer.idempotence)
    }

    @Test(
        "bad URLs are refused, naming the culprit",
        arguments: [
            ("kafka://h:9092?colour=blue", "colour"),
            ("kafka://h:9092?partitions=zero", "partitions"),
            ("kafka://h:9092?partitions=0", "partitions"),
            ("kafka://h:notaport", "h:notaport"),
            ("kafka://h:70000", "h:70000"),
            ("http://h:9092", "kafka://"),
            ("kafka://", "host"),
            ("kafka://h:1?acks=0", "acks=0"),
            ("kafka://h:1?acks=1&idempotence=true", "idempotence"),
            ("kafka://h:1?compression=brotli", "compression"),
            ("kafka://h:1?linger_ms", "linger_ms"),
            ("kafka://h:1?session_timeout_ms=6000&heartbeat_interval_ms=7000", "heartbeat"),
            ("kafka://u:pw@h:1", "sasl="),
            ("kafka://h:1?sasl=plain", "needs credentials"),
            ("kafka://u:pw@h:1?sasl=gssapi", "'sasl'"),
            ("kafka://pw@h:1?sasl=plain", "user:password@"),
            ("kafka://h:1?tls=maybe", "'tls'"),
            ("kafka://h:1?tls_cert=/c.pem", "tls_key"),
            ("kafka://h:1?tls=false&tls_ca=/ca.pem", "tls=false"),
            ("kafka://h:1?tls_verify=some", "tls_verify"),
            ("kafka://u:p%zz@h:1?sasl=plain", "percent-encoded"),
            ("kafka://h:1?client_id=a%2", "client_id"),
        ])
    func badURL(_ url: String, _ named: String) {
        let error = #expect(throws: KafkaClientError.self) { try KafkaClientConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "") should name \(named)")
    }
}

@Suite("Kafka client security in the URL")
struct ClientSecurityURLTests {
    @Test func credentialsAndMechanismBecomeSASL() throws {
        let c = try KafkaClientConfiguration(url: "kafka://app%40corp:p%3Ass@k1:9093?sasl=scram-sha-256")
        #expect(c.bootstrapServers == [.init(host: "k1", port: 9093)])
        #expect(c.connection.sasl?.mechanism == .scramSHA256)
        #expect(c.connection.sasl?.username == "app@corp")
        #expect(c.connection.sasl?.password == "p:ss")
        #expect(c.connection.tls == nil)
    }

    @Test func tlsKeys() throws {
        let c = try KafkaClientConfiguration(
            url: "kafka://h:9093?tls_ca=/etc/ca.pem&tls_cert=/etc/c.pem&tls_key=/etc/k.pem&tls_server_name=kafka.internal&tls_verify=no-hostname")
        let tls = try #require(c.connection.tls)
        #expect(tls.trustRoots == .pemFile("/etc/ca.pem"))
        #expect(tls.clientCertificate == .init(certificateChainFile: "/etc/c.pem", privateKeyFile: "/etc/k.pem"))
        #expect(tls.serverName == "kafka.internal")
        #expect(tls.verification == .noHostnameVerification)
        let plain = try KafkaClientConfiguration(url: "kafka://h:9093?tls=true")
        #expect(plain.connection.tls?.trustRoots == .system)
        #expect(plain.connection.tls?.verification == .full)
    }

    @Test func thePasswordNeverAppearsInAnError() {
        let error = #expect(throws: KafkaClientError.self) {
            try KafkaClientConfiguration(url: "kafka://app:hunter2@h:1?colour=blue")
        }
        #expect(error?.message.contains("hunter2") == false, "\(error?.message ?? "")")
        #expect(error?.message.contains("kafka://app:***@h:1") == true, "\(error?.message ?? "")")
    }
}

@Suite("Partition assignors")
struct ClientAssignorTests {
    @Test func rangeGivesConsecutiveRangesExtraToFirst() {
        let plan = KafkaPartitionAssignor.range.assign(
            subscriptions: ["b": ["t"], "a": ["t"], "c": ["t", "u"]], partitionCounts: ["t": 7, "u": 2])
        #expect(plan["a"] == [TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("t", 2)])
        #expect(plan["b"] == [TopicPartition("t", 3), TopicPartition("t", 4)])
        #expect(plan["c"] == [TopicPartition("t", 5), TopicPartition("t", 6), TopicPartition("u", 0), TopicPartition("u", 1)])
    }

    @Test func rangeWithMoreMembersThanPartitions() {
        let plan = KafkaPartitionAssignor.range.assign(subscriptions: ["a": ["t"], "b": ["t"], "c": ["t"]], partitionCounts: ["t": 2])
        #expect(plan["a"]?.count == 1 && plan["b"]?.count == 1 && plan["c"] == [])
    }

    @Test func roundRobinDealsSortedPartitions() {
        let plan = KafkaPartitionAssignor.roundRobin.assign(
            subscriptions: ["a": ["t", "u"], "b": ["t", "u"]], partitionCounts: ["t": 3, "u": 2])
        #expect(plan["a"] == [TopicPartition("t", 0), TopicPartition("t", 2), TopicPartition("u", 1)])
        #expect(plan["b"] == [TopicPartition("t", 1), TopicPartition("u", 0)])
    }

    @Test func roundRobinSkipsUnsubscribedMembers() {
        let plan = KafkaPartitionAssignor.roundRobin.assign(subscriptions: ["a": ["t"], "b": ["u"]], partitionCounts: ["t": 2, "u": 1, "x": 4])
        #expect(plan["a"] == [TopicPartition("t", 0), TopicPartition("t", 1)])
        #expect(plan["b"] == [TopicPartition("u", 0)])
    }

    @Test("every partition is assigned exactly once", arguments: KafkaPartitionAssignor.allCases)
    func complete(_ assignor: KafkaPartitionAssignor) {
        let subs = ["m1": ["a", "b"], "m2": ["a"], "m3": ["b"], "m4": ["a", "b"]]
        let plan = assignor.assign(subscriptions: subs, partitionCounts: ["a": 5, "b": 9])
        let all = plan.values.flatMap { $0 }
        #expect(all.count == 14)
        #expect(Set(all).count == 14)
        for (member, tps) in plan { #expect(tps.allSatisfy { subs[member]!.contains($0.topic) }) }
    }
}

@Suite("Group state machine")
struct ClientGroupStateMachineTests {
    typealias M = KafkaGroupStateMachine
    let t0 = TopicPartition("t", 0)
    let t1 = TopicPartition("t", 1)

    func stableLeader() -> (M, M.Generation) {
        var m = M()
        #expect(m.join() == [.sendJoin(memberID: "")])
        #expect(
            m.joinCompleted(error: .memberIdRequired, generationID: -1, memberID: "m-1", leaderID: "", protocolName: nil, members: [:])
                == [.sendJoin(memberID: "m-1")])
        let g = M.Generation(generationID: 1, memberID: "m-1", protocolName: "range", leaderID: "m-1")
        #expect(
            m.joinCompleted(error: .noError, generationID: 1, memberID: "m-1", leaderID: "m-1", protocolName: "range", members: ["m-1": ["t"]])
                == [.sendSync(g, members: ["m-1": ["t"]])])
        #expect(m.syncCompleted(error: .noError, assignment: [t1, t0]) == [.assigned([t0, t1])])
        #expect(m.generation == g)
        return (m, g)
    }

    @Test func joinSyncStable() {
        let (m, g) = stableLeader()
        #expect(m.heartbeatDue() == [.sendHeartbeat(g)])
        #expect(!m.needsJoin)
    }

    @Test func followerSyncsWithoutMembers() {
        var m = M()
        _ = m.join()
        let g = M.Generation(generationID: 4, memberID: "f", protocolName: "range", leaderID: "other")
        #expect(
            m.joinCompleted(error: .noError, generationID: 4, memberID: "f", leaderID: "other", protocolName: "range", members: [:])
                == [.sendSync(g, members: nil)])
    }

    @Test func rebalanceInProgressRevokesWithCommit() {
        var (m, g) = stableLeader()
        #expect(m.heartbeatCompleted(error: .rebalanceInProgress, generation: g) == [.rejoinNeeded])
        #expect(m.needsJoin)
        #expect(m.commitGeneration == g)
        #expect(m.join() == [.revoke([t0, t1], commit: true, generation: g), .sendJoin(memberID: "m-1")])
    }

    @Test func unknownMemberRevokesWithoutCommitAndForgetsTheID() {
        var (m, g) = stableLeader()
        #expect(m.heartbeatCompleted(error: .unknownMemberId, generation: g) == [.rejoinNeeded])
        #expect(m.commitGeneration == nil)
        #expect(m.join() == [.revoke([t0, t1], commit: false, generation: nil), .sendJoin(memberID: "")])
    }

    @Test func illegalGenerationKeepsTheIDButNoCommit() {
        var (m, g) = stableLeader()
        _ = m.heartbeatCompleted(error: .illegalGeneration, generation: g)
        #expect(m.join() == [.revoke([t0, t1], commit: false, generation: nil), .sendJoin(memberID: "m-1")])
    }

    @Test func fencedFails() {
        var (m, g) = stableLeader()
        #expect(m.heartbeatCompleted(error: .fencedInstanceId, generation: g) == [.fail(.fencedInstanceId)])
        #expect(m.heartbeatDue() == [])
    }

    @Test func staleHeartbeatAnswersAreIgnored() {
        var (m, g) = stableLeader()
        var old = g
        old.generationID = 0
        #expect(m.heartbeatCompleted(error: .rebalanceInProgress, generation: old) == [])
        #expect(m.heartbeatCompleted(error: .notCoordinator, generation: g) == [.refreshCoordinator])
        #expect(!m.needsJoin)
    }

    @Test func syncErrorsRejoin() {
        var m = M()
        _ = m.join()
        _ = m.joinCompleted(error: .noError, generationID: 2, memberID: "x", leaderID: "y", protocolName: "range", members: [:])
        #expect(m.syncCompleted(error: .rebalanceInProgress, assignment: []) == [.retryJoin(memberID: "x", refreshCoordinator: false)])
        _ = m.joinCompleted(error: .noError, generationID: 3, memberID: "x", leaderID: "y", protocolName: "range", members: [:])
        #expect(m.syncCompleted(error: .notCoordinator, assignment: []) == [.retryJoin(memberID: "x", refreshCoordinator: true)])
        _ = m.joinCompleted(error: .noError, generationID: 4, memberID: "x", leaderID: "y", protocolName: "range", members: [:])
        #expect(m.syncCompleted(error: .groupAuthorizationFailed, assignment: []) == [.fail(.groupAuthorizationFailed)])
    }

    @Test func leaving() {
        var (m, _) = stableLeader()
        #expect(m.leave() == [.sendLeave(memberID: "m-1")])
        #expect(m.leave() == [])
        var fresh = M()
        #expect(fresh.leave() == [])
    }

    @Test func rejectedCommitTriggersRejoin() {
        var (m, g) = stableLeader()
        #expect(m.commitRejected(error: .rebalanceInProgress) == [.rejoinNeeded])
        #expect(m.commitGeneration == g)
    }
}

@Suite("Producer bookkeeping")
struct ClientProducerStateTests {
    @Test func sequencesAdvancePerPartitionAndWrap() {
        var s = KafkaProducerSequences()
        s.reset(producerID: 7, epoch: 0)
        let a = TopicPartition("t", 0)
        let b = TopicPartition("t", 1)
        #expect(s.assign(a, count: 10) == 0)
        #expect(s.assign(a, count: 5) == 10)
        #expect(s.assign(b, count: 3) == 0)
        #expect(s.nextSequence(a) == 15)
        #expect(KafkaProducerSequences.add(Int32.max - 1, 3) == 1)
        s.reset(producerID: 7, epoch: 1)
        #expect(s.nextSequence(a) == 0)
        #expect(s.epoch == 1)
    }

    @Test func partitionerMatchesKafka() throws {
        var p = KafkaPartitioner()
        let key = Array("user-42".utf8)
        let keyed = try KafkaPartitioner.partition(of: ProducerRecord(key: key, value: []), topic: "t", partitionCount: 3, sticky: 0)
        #expect(keyed == (murmur2(key) & 0x7fff_ffff) % 3)
        #expect(try KafkaPartitioner.partition(of: ProducerRecord(value: [], partition: 2), topic: "t", partitionCount: 3, sticky: 0) == 2)
        #expect(throws: LogError.self) { try KafkaPartitioner.partition(of: ProducerRecord(value: [], partition: 3), topic: "t", partitionCount: 3, sticky: 0) }
        let stickies = (0..<4).map { _ in p.nextStickyPartition(topic: "t", partitionCount: 3) }
        #expect(stickies == [0, 1, 2, 0])
        #expect(try KafkaPartitioner.partition(of: ProducerRecord(value: []), topic: "t", partitionCount: 3, sticky: 1) == 1)
    }

    @Test(
        "produce outcomes follow the Java producer",
        arguments: [
            (KafkaErrorCode.noError, KafkaProduceOutcome.success),
            (.duplicateSequenceNumber, .success),
            (.notLeaderOrFollower, .retry(refreshMetadata: true)),
            (.unknownTopicOrPartition, .retry(refreshMetadata: true)),
            (.requestTimedOut, .retry(refreshMetadata: false)),
            (.unknownProducerId, .bumpEpochAndRetry),
            (.outOfOrderSequenceNumber, .bumpEpochAndFail),
            (.invalidProducerEpoch, .bumpEpochAndFail),
            (.messageTooLarge, .fail),
            (.topicAuthorizationFailed, .fail),
        ])
    func outcomes(_ code: KafkaErrorCode, _ outcome: KafkaProduceOutcome) {
        #expect(KafkaProduceOutcome.of(code) == outcome)
    }

    @Test func reconnectBackoffDoublesUpToTheMaximum() {
        let b = (1...8).map { KafkaCluster.backoff(failures: $0, base: .milliseconds(100), max: .seconds(10)) }
        #expect(b.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(b.last == .seconds(10))
    }
}
