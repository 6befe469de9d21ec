import NIOCore
import Testing

@testable import FreshetKafka

/// `KafkaConnectionStateMachine` as plain function calls: no channel, no clock.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = KafkaConnectionStateMachine
    typealias ID = Machine.RequestID

    static let clientID = "freshet-test"

    static func machine(maxInFlight: Int = 5) -> Machine {
        Machine(configuration: .init(clientID: clientID, maximumInFlightRequests: maxInFlight, brokerDescription: "broker:9092"))
    }

    static func apiVersionsFrame(version: Int16, correlationID: Int32) throws -> ByteBuffer {
        try KafkaWire.encodeRequest(
            ApiVersionsRequest(clientSoftwareName: "freshet", clientSoftwareVersion: "0.1.0"),
            version: version, correlationID: correlationID, clientID: clientID)
    }

    /// The broker's answer: every implemented API at its full range.
    static func brokerVersions(errorCode: KafkaErrorCode = .noError) -> ApiVersionsResponse {
        var response = ApiVersionsResponse()
        response.errorCode = errorCode
        response.apiKeys = ApiKey.implementedRequests.map {
            .init(apiKey: $0.apiKey, minVersion: 0, maxVersion: $0.supportedVersions.upperBound + 2)
        }
        return response
    }

    static func responseFrame<R: KafkaRequest>(_ response: R.Response, to: R.Type, version: Int16, correlationID: Int32) throws -> ByteBuffer {
        var frame = try KafkaWire.encodeResponse(response, to: R.self, version: version, correlationID: correlationID)
        frame.moveReaderIndex(forwardBy: 4)
        return frame
    }

    /// A machine past ApiVersions (correlation id 0); the next correlation id is 1.
    static func readyMachine(maxInFlight: Int = 5) throws -> Machine {
        var m = machine(maxInFlight: maxInFlight)
        _ = m.channelActive()
        let frame = try responseFrame(brokerVersions(), to: ApiVersionsRequest.self, version: 3, correlationID: 0)
        #expect(m.frameReceived(frame) == .ready(write: []))
        return m
    }

    static func metadataFrame(correlationID: Int32, version: Int16 = 12) throws -> ByteBuffer {
        try KafkaWire.encodeRequest(MetadataRequest(topics: nil), version: version, correlationID: correlationID, clientID: clientID)
    }

    static func metadataResponse(correlationID: Int32, version: Int16 = 12) throws -> ByteBuffer {
        var r = MetadataResponse()
        r.brokers = [.init(nodeID: 1, host: "h", port: 9092)]
        return try responseFrame(r, to: MetadataRequest.self, version: version, correlationID: correlationID)
    }

    @Test func connectSendsApiVersionsV3ThenIsReady() throws {
        var m = Self.machine()
        #expect(m.channelActive() == .write([try Self.apiVersionsFrame(version: 3, correlationID: 0)]))
        #expect(!m.isReady)
        let frame = try Self.responseFrame(Self.brokerVersions(), to: ApiVersionsRequest.self, version: 3, correlationID: 0)
        #expect(m.frameReceived(frame) == .ready(write: []))
        #expect(m.isReady)
        #expect(m.negotiatedVersions[.produce] == ProduceRequest.supportedVersions.upperBound)
        #expect(m.negotiatedVersions[.fetch] == FetchRequest.supportedVersions.upperBound)
    }

    @Test func unsupportedApiVersionsRetriesWithV0() throws {
        var m = Self.machine()
        _ = m.channelActive()
        // An old broker answers in v0 with UNSUPPORTED_VERSION and no list.
        var old = ApiVersionsResponse()
        old.errorCode = .unsupportedVersion
        let answer = try Self.responseFrame(old, to: ApiVersionsRequest.self, version: 0, correlationID: 0)
        #expect(m.frameReceived(answer) == .write([try Self.apiVersionsFrame(version: 0, correlationID: 1)]))
        var v0 = Self.brokerVersions()
        v0.apiKeys = [.init(apiKey: .metadata, minVersion: 0, maxVersion: 5), .init(apiKey: .apiVersions, minVersion: 0, maxVersion: 0)]
        let good = try Self.responseFrame(v0, to: ApiVersionsRequest.self, version: 0, correlationID: 1)
        #expect(m.frameReceived(good) == .ready(write: []))
        #expect(m.negotiatedVersions == [.metadata: 5, .apiVersions: 0])
    }

    @Test func unsupportedApiVersionsRetriesWithTheBrokersHighest() throws {
        var m = Self.machine()
        _ = m.channelActive()
        var old = ApiVersionsResponse()
        old.errorCode = .unsupportedVersion
        old.apiKeys = [.init(apiKey: .apiVersions, minVersion: 0, maxVersion: 2)]
        let answer = try Self.responseFrame(old, to: ApiVersionsRequest.self, version: 0, correlationID: 0)
        #expect(m.frameReceived(answer) == .write([try Self.apiVersionsFrame(version: 2, correlationID: 1)]))
    }

    @Test func apiVersionsErrorFailsTheConnect() throws {
        var m = Self.machine()
        _ = m.channelActive()
        let queued = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        #expect(queued == .none)
        let frame = try Self.responseFrame(
            Self.brokerVersions(errorCode: .clusterAuthorizationFailed), to: ApiVersionsRequest.self, version: 3, correlationID: 0)
        guard case .failAll(let failures, let error, let close) = m.frameReceived(frame) else {
            Issue.record("expected failAll")
            return
        }
        #expect(close)
        #expect(error.code == .versionNegotiationFailed)
        #expect(failures[ID(1)]?.code == .versionNegotiationFailed)
        #expect(m.isClosed)
    }

    @Test func requestsQueuedDuringNegotiationGoOutWhenReady() throws {
        var m = Self.machine()
        _ = m.channelActive()
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(7)) == .none)
        let frame = try Self.responseFrame(Self.brokerVersions(), to: ApiVersionsRequest.self, version: 3, correlationID: 0)
        #expect(m.frameReceived(frame) == .ready(write: [try Self.metadataFrame(correlationID: 1)]))
        #expect(m.inFlightCount == 1)
    }

    @Test func requestUsesTheNegotiatedVersionAndResponseSucceeds() throws {
        var m = try Self.readyMachine()
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(1)) == .write([try Self.metadataFrame(correlationID: 1)]))
        let response = try Self.metadataResponse(correlationID: 1)
        #expect(m.frameReceived(response) == .succeed(ID(1), .init(api: .metadata, version: 12, correlationID: 1, frame: response), write: []))
        #expect(m.inFlightCount == 0)
    }

    @Test func pipelinedResponsesComeBackInOrder() throws {
        var m = try Self.readyMachine()
        for i in 1...3 {
            #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(UInt64(i))) == .write([try Self.metadataFrame(correlationID: Int32(i))]))
        }
        #expect(m.inFlightCount == 3)
        for i in 1...3 {
            let response = try Self.metadataResponse(correlationID: Int32(i))
            #expect(
                m.frameReceived(response) == .succeed(ID(UInt64(i)), .init(api: .metadata, version: 12, correlationID: Int32(i), frame: response), write: []))
        }
    }

    @Test func inFlightCapQueuesAndDrainsOnResponse() throws {
        var m = try Self.readyMachine(maxInFlight: 2)
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(1)) == .write([try Self.metadataFrame(correlationID: 1)]))
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(2)) == .write([try Self.metadataFrame(correlationID: 2)]))
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(3)) == .none)
        #expect(m.inFlightCount == 2)
        #expect(m.queuedCount == 1)
        let response = try Self.metadataResponse(correlationID: 1)
        #expect(
            m.frameReceived(response)
                == .succeed(
                    ID(1), .init(api: .metadata, version: 12, correlationID: 1, frame: response),
                    write: [try Self.metadataFrame(correlationID: 3)]))
        #expect(m.inFlightCount == 2)
        #expect(m.queuedCount == 0)
    }

    @Test func outOfOrderCorrelationIDClosesAndFailsEverything() throws {
        var m = try Self.readyMachine()
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(2))
        guard case .failAll(let failures, let error, let close) = m.frameReceived(try Self.metadataResponse(correlationID: 2)) else {
            Issue.record("expected failAll")
            return
        }
        #expect(close)
        #expect(error.code == .unexpectedCorrelationID)
        #expect(error.message.contains("expected 1"))
        #expect(Set(failures.keys) == [ID(1), ID(2)])
        #expect(failures.values.allSatisfy { $0.code == .unexpectedCorrelationID })
        #expect(m.isClosed)
        // Later requests fail at once.
        guard case .fail(ID(3), let later) = m.sendRequest(MetadataRequest(topics: nil), id: ID(3)) else {
            Issue.record("expected fail")
            return
        }
        #expect(later.code == .connectionClosed)
    }

    @Test func unknownCorrelationIDWithNothingInFlightCloses() throws {
        var m = try Self.readyMachine()
        guard case .failAll(let failures, let error, true) = m.frameReceived(try Self.metadataResponse(correlationID: 42)) else {
            Issue.record("expected failAll")
            return
        }
        #expect(failures.isEmpty)
        #expect(error.code == .unexpectedCorrelationID)
        #expect(error.correlationID == 42)
    }

    @Test func timeoutOfAWrittenRequestClosesTheConnection() throws {
        var m = try Self.readyMachine()
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(2))
        guard case .failAll(let failures, _, true) = m.requestTimedOut(ID(1)) else {
            Issue.record("expected failAll")
            return
        }
        #expect(failures[ID(1)]?.code == .requestTimedOut)
        #expect(failures[ID(1)]?.correlationID == 1)
        #expect(failures[ID(2)]?.code == .requestTimedOut)
        #expect(m.isClosed)
        // A late response is ignored.
        #expect(m.frameReceived(try Self.metadataResponse(correlationID: 1)) == .none)
    }

    @Test func timeoutOfAQueuedRequestOnlyFailsThatRequest() throws {
        var m = try Self.readyMachine(maxInFlight: 1)
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        #expect(m.sendRequest(MetadataRequest(topics: nil), id: ID(2)) == .none)
        guard case .fail(ID(2), let error) = m.requestTimedOut(ID(2)) else {
            Issue.record("expected fail")
            return
        }
        #expect(error.code == .requestTimedOut)
        #expect(!m.isClosed)
        #expect(m.requestTimedOut(ID(99)) == .none)
    }

    @Test func connectionClosedWithRequestsInFlightFailsThemAll() throws {
        var m = try Self.readyMachine(maxInFlight: 2)
        for i in 1...4 { _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(UInt64(i))) }
        guard case .failAll(let failures, let error, false) = m.channelInactive() else {
            Issue.record("expected failAll without close")
            return
        }
        #expect(Set(failures.keys) == [ID(1), ID(2), ID(3), ID(4)])
        #expect(failures.values.allSatisfy { $0.code == .connectionClosed })
        #expect(error.description.contains("the broker closed the connection"))
        #expect(error.description.contains("broker:9092"))
        #expect(m.channelInactive() == .none)
    }

    @Test func clientCloseFailsPendingRequests() throws {
        var m = try Self.readyMachine()
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        guard case .failAll(let failures, _, true) = m.close() else {
            Issue.record("expected failAll")
            return
        }
        #expect(failures[ID(1)]?.code == .connectionClosed)
    }

    @Test func apiTheBrokerLacksFailsOnlyThatRequest() throws {
        var m = Self.machine()
        _ = m.channelActive()
        var limited = ApiVersionsResponse()
        limited.apiKeys = [.init(apiKey: .metadata, minVersion: 0, maxVersion: 12)]
        #expect(m.frameReceived(try Self.responseFrame(limited, to: ApiVersionsRequest.self, version: 3, correlationID: 0)) == .ready(write: []))
        guard case .fail(ID(1), let error) = m.sendRequest(ProduceRequest(), id: ID(1)) else {
            Issue.record("expected fail")
            return
        }
        #expect(error.code == .noCommonVersion)
        #expect(!m.isClosed)
    }

    @Test func connectTimeoutFailsQueuedRequests() throws {
        var m = Self.machine()
        _ = m.channelActive()
        _ = m.sendRequest(MetadataRequest(topics: nil), id: ID(1))
        guard case .failAll(let failures, let error, true) = m.connectTimedOut() else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.code == .requestTimedOut)
        #expect(failures[ID(1)] != nil)
    }
}
