import Crypto
import Foundation
import FreshetTesting
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import _CryptoExtras

@testable import FreshetKafka

/// The server side of SCRAM (RFC 5802) for tests, written apart from `SCRAMClient`: PBKDF2
/// comes from `_CryptoExtras`, and the proof is checked the way a server does (recover the
/// client key from the proof, hash it, compare with the stored key).
struct TestSCRAMServer: Sendable {
    struct Rejected: Error, CustomStringConvertible {
        var description: String
    }

    let algorithm: SCRAMClient.Algorithm
    let username: String
    let salt: [UInt8]
    let iterations: Int
    let nonceSuffix: String
    let password: [UInt8]
    private(set) var clientFirstBare = ""
    private(set) var serverFirst = ""
    private(set) var nonce = ""

    init(
        algorithm: SCRAMClient.Algorithm, username: String, password: String,
        salt: [UInt8] = Array("freshet-test-salt".utf8), iterations: Int = 4096, nonceSuffix: String = "srv-3rHf9zQ"
    ) throws {
        self.algorithm = algorithm
        self.username = username
        self.salt = salt
        self.iterations = iterations
        self.nonceSuffix = nonceSuffix
        self.password = Array(password.utf8)
    }

    /// The stored and server keys, derived when a client's proof arrives: a client that refuses
    /// the iteration count never makes the server spend them (200,000 rounds take seconds in a
    /// debug build on a loaded machine, longer than a connect waits).
    func keys() throws -> (stored: [UInt8], server: [UInt8]) {
        let (hash, length): (KDF.Insecure.PBKDF2.HashFunction, Int) = algorithm == .sha256 ? (.sha256, 32) : (.sha512, 64)
        let salted = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: hash, outputByteCount: length, unsafeUncheckedRounds: iterations)
            .withUnsafeBytes { Array($0) }
        let clientKey = Self.hmac(algorithm, key: salted, Array("Client Key".utf8))
        let storedKey = algorithm == .sha256 ? Array(SHA256.hash(data: clientKey)) : Array(SHA512.hash(data: clientKey))
        return (storedKey, Self.hmac(algorithm, key: salted, Array("Server Key".utf8)))
    }

    static func hmac(_ algorithm: SCRAMClient.Algorithm, key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        return algorithm == .sha256
            ? Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            : Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
    }

    /// Answers `n,,n=<user>,r=<nonce>` with `r=<nonce+suffix>,s=<salt>,i=<iterations>`.
    mutating func receiveClientFirst(_ message: String) throws -> String {
        guard message.hasPrefix("n,,") else { throw Rejected(description: "GS2 header is not n,,") }
        clientFirstBare = String(message.dropFirst(3))
        let fields = Self.fields(clientFirstBare)
        let user = fields["n"]?.replacing("=2C", with: ",").replacing("=3D", with: "=")
        guard user == username else { throw Rejected(description: "unknown user") }
        guard let clientNonce = fields["r"], !clientNonce.isEmpty else { throw Rejected(description: "no nonce") }
        nonce = clientNonce + nonceSuffix
        serverFirst = "r=\(nonce),s=\(Data(salt).base64EncodedString()),i=\(iterations)"
        return serverFirst
    }

    /// Checks `c=biws,r=…,p=…`; returns `v=<server signature>`, or throws on a bad proof.
    func receiveClientFinal(_ message: String) throws -> String {
        guard let proofRange = message.range(of: ",p=") else { throw Rejected(description: "no proof") }
        let withoutProof = String(message[..<proofRange.lowerBound])
        let fields = Self.fields(withoutProof)
        guard fields["c"] == "biws", fields["r"] == nonce else { throw Rejected(description: "bad channel binding or nonce") }
        guard let proof = Data(base64Encoded: String(message[proofRange.upperBound...])) else {
            throw Rejected(description: "proof is not base64")
        }
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let (storedKey, serverKey) = try keys()
        let clientSignature = Self.hmac(algorithm, key: storedKey, authMessage)
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        let hashed = algorithm == .sha256 ? Array(SHA256.hash(data: clientKey)) : Array(SHA512.hash(data: clientKey))
        guard proof.count == storedKey.count, hashed == storedKey else { throw Rejected(description: "invalid-proof") }
        return "v=" + Data(Self.hmac(algorithm, key: serverKey, authMessage)).base64EncodedString()
    }

    private static func fields(_ message: String) -> [Character: String] {
        var result: [Character: String] = [:]
        for part in message.split(separator: ",") where part.count >= 2 {
            result[part.first!] = String(part.dropFirst(2))
        }
        return result
    }
}

/// A Kafka "broker" in the test process, on NIO and the module's own codec: answers
/// ApiVersions, SaslHandshake, SaslAuthenticate (PLAIN and SCRAM with one fixed
/// credential) and Metadata, optionally behind TLS. Like Kafka, it closes a connection
/// that sends anything but those before authenticating, and one whose authentication
/// failed, right after the error response.
final class TestKafkaBroker: Sendable {
    struct Options: Sendable {
        /// Mechanisms enabled, in the order SaslHandshake lists them. Empty: no SASL.
        var mechanisms: [String] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
        var username = "alice"
        var password = "correct horse battery staple"
        var scramIterations = 4096
        /// Served behind `NIOSSLServerHandler` when set.
        var tls: NIOSSLContext? = nil
        /// SaslHandshake versions listed in ApiVersions.
        var saslHandshakeVersions: ClosedRange<Int16> = 0...1
        /// Topics listed in Metadata answers (name → partition count), every partition led by
        /// this broker (node 1).
        var topics: [String: Int32] = [:]
        /// Scripted answers (the request version is given); `nil` closes the connection on
        /// that request.
        var findCoordinator: (@Sendable (Int16) -> FindCoordinatorResponse)? = nil
        var fetch: (@Sendable (FetchRequest) -> FetchResponse)? = nil
        var produce: (@Sendable (ProduceRequest) -> ProduceResponse)? = nil
        var initProducerId: (@Sendable () -> InitProducerIdResponse)? = nil
        /// Serves a group of one member: FindCoordinator names this broker, JoinGroup makes
        /// the member its leader, SyncGroup hands back the assignment it computed, OffsetFetch
        /// answers offset 0 for every partition, Heartbeat is counted (`heartbeats`).
        var group = false
        /// Bytes written instead of a Metadata answer (a hostile frame).
        var rawMetadataReply: [UInt8]? = nil
    }

    let options: Options
    private let channel: any Channel
    private let log = Mutex<[String]>([])
    private let heartbeatCount = Mutex(0)
    /// Heartbeats received (with `Options.group`).
    var heartbeats: Int { heartbeatCount.withLock { $0 } }
    func countHeartbeat() { heartbeatCount.withLock { $0 += 1 } }
    var port: Int { channel.localAddress?.port ?? 0 }

    /// Requests received, in order, as "SaslHandshake v1 PLAIN" etc.
    var requests: [String] { log.withLock { $0 } }

    private init(options: Options, channel: any Channel) {
        self.options = options
        self.channel = channel
    }

    static func with<T>(_ options: Options = .init(), _ body: (TestKafkaBroker) async throws -> T) async throws -> T {
        let broker = try await start(options)
        do {
            let result = try await body(broker)
            try? await broker.channel.close()
            return result
        } catch {
            try? await broker.channel.close()
            throw error
        }
    }

    static func start(_ options: Options) async throws -> TestKafkaBroker {
        let box = Mutex<TestKafkaBroker?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let broker = box.withLock({ $0 }) else { throw TestSCRAMServer.Rejected(description: "not started") }
                    let sync = child.pipeline.syncOperations
                    if let tls = options.tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.addHandler(ByteToMessageHandler(KafkaFrameByteToMessageDecoder(maximumFrameSize: 1 << 20)))
                    try sync.addHandler(TestBrokerHandler(broker: broker))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let broker = TestKafkaBroker(options: options, channel: channel)
        box.withLock { $0 = broker }
        return broker
    }

    func record(_ entry: String) { log.withLock { $0.append(entry) } }
}

private final class TestBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let broker: TestKafkaBroker
    private var mechanism: String?
    private var scram: TestSCRAMServer?
    private var scramRound = 0
    private var authenticated: Bool

    init(broker: TestKafkaBroker) {
        self.broker = broker
        self.authenticated = broker.options.mechanisms.isEmpty
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            try handle(frame, context: context)
        } catch {
            broker.record("error: \(error)")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        broker.record("error: \(error)")
        context.close(promise: nil)
    }

    private func handle(_ frame: ByteBuffer, context: ChannelHandlerContext) throws {
        var peek = frame
        let header = try KafkaRequestHeader.decode(from: &peek)
        let version = header.apiVersion
        let id = header.correlationID
        switch header.apiKey {
        case .apiVersions:
            broker.record("ApiVersions v\(version)")
            var response = ApiVersionsResponse()
            response.apiKeys = ApiKey.implementedRequests.map { type in
                let range = type.apiKey == .saslHandshake ? broker.options.saslHandshakeVersions : type.supportedVersions
                return .init(apiKey: type.apiKey, minVersion: range.lowerBound, maxVersion: range.upperBound)
            }
            try reply(response, to: ApiVersionsRequest.self, version: version, id: id, context)
        case .saslHandshake:
            let request = try KafkaWire.decodeRequest(frame, as: SaslHandshakeRequest.self).body
            broker.record("SaslHandshake v\(version) \(request.mechanism)")
            var response = SaslHandshakeResponse()
            response.mechanisms = broker.options.mechanisms
            if broker.options.mechanisms.contains(request.mechanism) {
                mechanism = request.mechanism
            } else {
                response.errorCode = .unsupportedSaslMechanism
            }
            try reply(response, to: SaslHandshakeRequest.self, version: version, id: id, context)
            if mechanism == nil { context.close(promise: nil) }
        case .saslAuthenticate:
            let request = try KafkaWire.decodeRequest(frame, as: SaslAuthenticateRequest.self).body
            broker.record("SaslAuthenticate v\(version)")
            var response = SaslAuthenticateResponse()
            do {
                response.authBytes = ByteBuffer(string: try authenticate(request.authBytes))
            } catch {
                response.errorCode = .saslAuthenticationFailed
                response.errorMessage = "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism ?? "?")"
            }
            try reply(response, to: SaslAuthenticateRequest.self, version: version, id: id, context)
            if response.errorCode != .noError { context.close(promise: nil) }
        case .metadata:
            broker.record("Metadata v\(version)")
            guard authenticated else {
                broker.record("closed: Metadata before authentication")
                context.close(promise: nil)
                return
            }
            if let raw = broker.options.rawMetadataReply {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: raw)), promise: nil)
                return
            }
            var response = MetadataResponse()
            response.brokers = [.init(nodeID: 1, host: "127.0.0.1", port: Int32(broker.port))]
            response.clusterID = "freshet-test-cluster"
            response.controllerID = 1
            let request = try KafkaWire.decodeRequest(frame, as: MetadataRequest.self).body
            let names = request.topics.map { $0.compactMap(\.name) } ?? Array(broker.options.topics.keys)
            response.topics = names.sorted().map { name in
                var topic = MetadataResponse.Topic()
                topic.name = name
                guard let count = broker.options.topics[name] else {
                    topic.errorCode = .unknownTopicOrPartition
                    return topic
                }
                topic.partitions = (0..<count).map { p in
                    var partition = MetadataResponse.Partition()
                    partition.partitionIndex = p
                    partition.leaderID = 1
                    partition.replicaNodes = [1]
                    partition.isrNodes = [1]
                    return partition
                }
                return topic
            }
            try reply(response, to: MetadataRequest.self, version: version, id: id, context)
        case .findCoordinator where broker.options.findCoordinator != nil:
            broker.record("FindCoordinator v\(version)")
            try reply(broker.options.findCoordinator!(version), to: FindCoordinatorRequest.self, version: version, id: id, context)
        case .fetch where broker.options.fetch != nil:
            broker.record("Fetch v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: FetchRequest.self).body
            try reply(broker.options.fetch!(request), to: FetchRequest.self, version: version, id: id, context)
        case .produce where broker.options.produce != nil:
            broker.record("Produce v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: ProduceRequest.self).body
            try reply(broker.options.produce!(request), to: ProduceRequest.self, version: version, id: id, context)
        case .initProducerId where broker.options.initProducerId != nil:
            broker.record("InitProducerId v\(version)")
            try reply(broker.options.initProducerId!(), to: InitProducerIdRequest.self, version: version, id: id, context)
        case .findCoordinator where broker.options.group:
            broker.record("FindCoordinator v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: FindCoordinatorRequest.self).body
            var response = FindCoordinatorResponse()
            if version >= 4 {
                var c = FindCoordinatorResponse.Coordinator()
                c.key = request.coordinatorKeys.first ?? request.key
                c.nodeID = 1
                c.host = "127.0.0.1"
                c.port = Int32(broker.port)
                response.coordinators = [c]
            } else {
                response.nodeID = 1
                response.host = "127.0.0.1"
                response.port = Int32(broker.port)
            }
            try reply(response, to: FindCoordinatorRequest.self, version: version, id: id, context)
        case .joinGroup where broker.options.group:
            broker.record("JoinGroup v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: JoinGroupRequest.self).body
            var response = JoinGroupResponse()
            response.generationID = 1
            response.memberID = "member-1"
            response.leader = "member-1"
            response.protocolType = "consumer"
            response.protocolName = request.protocols.first?.name ?? "range"
            var member = JoinGroupResponse.Member()
            member.memberID = "member-1"
            member.metadata = request.protocols.first?.metadata ?? ByteBuffer()
            response.members = [member]
            try reply(response, to: JoinGroupRequest.self, version: version, id: id, context)
        case .syncGroup where broker.options.group:
            broker.record("SyncGroup v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: SyncGroupRequest.self).body
            var response = SyncGroupResponse()
            response.protocolType = request.protocolType
            response.protocolName = request.protocolName
            response.assignment = request.assignments.first { $0.memberID == request.memberID }?.assignment ?? ByteBuffer()
            try reply(response, to: SyncGroupRequest.self, version: version, id: id, context)
        case .offsetFetch where broker.options.group:
            broker.record("OffsetFetch v\(version)")
            let request = try KafkaWire.decodeRequest(frame, as: OffsetFetchRequest.self).body
            let asked = request.groups.first?.topics ?? request.topics ?? []
            let topics = asked.map { t in
                var topic = OffsetFetchResponse.Topic()
                topic.name = t.name
                topic.partitions = t.partitionIndexes.map { p in
                    var partition = OffsetFetchResponse.Partition()
                    partition.partitionIndex = p
                    partition.committedOffset = 0
                    return partition
                }
                return topic
            }
            var response = OffsetFetchResponse()
            response.topics = topics
            var group = OffsetFetchResponse.Group()
            group.groupID = request.groupID
            group.topics = topics
            response.groups = [group]
            try reply(response, to: OffsetFetchRequest.self, version: version, id: id, context)
        case .heartbeat where broker.options.group:
            broker.record("Heartbeat v\(version)")
            broker.countHeartbeat()
            try reply(HeartbeatResponse(), to: HeartbeatRequest.self, version: version, id: id, context)
        default:
            broker.record("closed: unexpected \(header.apiKey)")
            context.close(promise: nil)
        }
    }

    /// The server's answer to one SaslAuthenticate; throws when the credential is wrong.
    private func authenticate(_ bytes: ByteBuffer) throws -> String {
        let options = broker.options
        switch mechanism {
        case "PLAIN":
            guard Array(bytes.readableBytesView) == [0] + Array(options.username.utf8) + [0] + Array(options.password.utf8) else {
                throw TestSCRAMServer.Rejected(description: "bad PLAIN credential")
            }
            authenticated = true
            return ""
        case "SCRAM-SHA-256", "SCRAM-SHA-512":
            scramRound += 1
            if scramRound == 1 {
                var server = try TestSCRAMServer(
                    algorithm: mechanism == "SCRAM-SHA-256" ? .sha256 : .sha512, username: options.username,
                    password: options.password, iterations: options.scramIterations)
                let answer = try server.receiveClientFirst(String(buffer: bytes))
                scram = server
                return answer
            }
            guard scramRound == 2, let scram else { throw TestSCRAMServer.Rejected(description: "SCRAM round \(scramRound)") }
            let answer = try scram.receiveClientFinal(String(buffer: bytes))
            authenticated = true
            return answer
        default:
            throw TestSCRAMServer.Rejected(description: "SaslAuthenticate before SaslHandshake")
        }
    }

    private func reply<R: KafkaRequest>(
        _ response: R.Response, to: R.Type, version: Int16, id: Int32, _ context: ChannelHandlerContext
    ) throws {
        let frame = try KafkaWire.encodeResponse(response, to: R.self, version: version, correlationID: id)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

extension TestCertificates {
    /// The server side: this certificate, and (for mTLS) client certificates must chain to
    /// the test CA.
    func serverContext(requireClientCertificate: Bool = false) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(serverCertificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: serverKeyFile, format: .pem)))
        if requireClientCertificate {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
