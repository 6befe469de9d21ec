import FreshetCQL
import NIOCore
import Testing

/// The client connection state machine as plain function calls.
@Suite("CQL client connection state machine")
struct CQLClientStateMachineTests {
    typealias Machine = CQLClientConnectionStateMachine
    typealias ID = Machine.RequestID

    static let credentials = CQLCredentials(username: "freshet", password: "pa55")

    /// The requests in written bytes.
    static func requests(_ frames: [ByteBuffer]) throws -> [CQLRequestFrame] {
        var decoder = CQLFrameDecoder()
        for frame in frames { decoder.feed(frame) }
        var out: [CQLRequestFrame] = []
        while let frame = try decoder.next() { out.append(try CQLRequestFrame(decoding: frame)) }
        return out
    }

    static func written(_ action: Machine.Action) throws -> [CQLRequestFrame] {
        switch action {
        case .write(let frames), .ready(let frames): try requests(frames)
        case .succeed(_, _, _, let frames), .fail(_, _, let frames): try requests(frames)
        default: []
        }
    }

    static func response(_ response: CQLResponse, stream: Int16 = 0) -> CQLResponseFrame {
        CQLResponseFrame(streamID: stream, response: response)
    }

    /// A machine that has finished the handshake.
    static func ready(_ configuration: Machine.Configuration = .init()) throws -> Machine {
        var machine = Machine(configuration: configuration)
        _ = machine.channelActive()
        _ = machine.received(response(.supported(options: ["CQL_VERSION": ["3.4.6"], "COMPRESSION": []])))
        guard case .ready = machine.received(response(.ready)) else { throw Failure("not ready") }
        return machine
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func query(_ text: String = "SELECT * FROM system.local") -> Machine.Request {
        .init(.query(text, parameters: .init(consistency: .one)))
    }

    // MARK: Handshake

    @Test func startupWithoutAuthentication() throws {
        var machine = Machine()
        let options = try Self.written(machine.channelActive())
        #expect(options.map(\.request) == [.options])
        #expect(options.first?.streamID == 0)
        let startup = try Self.written(machine.received(Self.response(.supported(options: ["CQL_VERSION": ["3.4.6"]]))))
        #expect(startup.map(\.request) == [.startup(options: ["CQL_VERSION": "3.0.0"])])
        #expect(machine.state == .startup)
        #expect(machine.received(Self.response(.ready)) == .ready(write: []))
        #expect(machine.isReady)
    }

    @Test func startupWithPasswordAuthenticatorSendsSASLPlain() throws {
        var machine = Machine(configuration: .init(credentials: Self.credentials))
        _ = machine.channelActive()
        _ = machine.received(Self.response(.supported(options: [:])))
        let auth = try Self.written(machine.received(Self.response(.authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator"))))
        #expect(auth.map(\.request) == [.authResponse(token: ByteBuffer(bytes: [0] + Array("freshet".utf8) + [0] + Array("pa55".utf8)))])
        #expect(machine.state == .authenticating)
        #expect(machine.received(Self.response(.authSuccess(token: nil))) == .ready(write: []))
    }

    @Test func badCredentialsFailTheConnectWithTheServersMessage() throws {
        var machine = Machine(configuration: .init(credentials: Self.credentials, host: "db:9042"))
        _ = machine.channelActive()
        _ = machine.received(Self.response(.supported(options: [:])))
        _ = machine.received(Self.response(.authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator")))
        let refused = CQLServerError(code: .authenticationError, message: "Provided username freshet and/or password are incorrect")
        guard case .failAll(_, let error, let close) = machine.received(Self.response(.error(refused))) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.serverError == refused)
        #expect(error.host == "db:9042")
        #expect(error.message.contains("as freshet"))
        #expect(close)
        #expect(machine.isClosed)
    }

    @Test func authenticationRequiredWithoutCredentials() {
        var machine = Machine()
        _ = machine.channelActive()
        _ = machine.received(Self.response(.supported(options: [:])))
        guard case .failAll(_, let error, _) = machine.received(Self.response(.authenticate(authenticator: "PasswordAuthenticator"))) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.code == .authenticationRequired)
        #expect(error.message.contains("user:password@"))
    }

    @Test func aServerWithoutV4IsNamed() {
        var machine = Machine()
        _ = machine.channelActive()
        let refusal = CQLServerError(code: .protocolError, message: "Invalid or unsupported protocol version (4); supported versions are (3/v3)")
        guard case .failAll(_, let error, _) = machine.received(Self.response(.error(refusal))) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.code == .unsupportedProtocolVersion)
    }

    @Test func registerAfterStartupWhenEventsAreWanted() throws {
        var machine = Machine(configuration: .init(events: [CQLEventType.schemaChange]))
        _ = machine.channelActive()
        _ = machine.received(Self.response(.supported(options: [:])))
        let register = try Self.written(machine.received(Self.response(.ready)))
        #expect(register.map(\.request) == [.register(events: ["SCHEMA_CHANGE"])])
        #expect(machine.state == .registering)
        #expect(machine.received(Self.response(.ready)) == .ready(write: []))
        let event = CQLEvent.schemaChange(CQLSchemaChange(change: .created, target: .keyspace("ks")))
        #expect(machine.received(Self.response(.event(event), stream: -1)) == .event(event))
    }

    @Test func handshakeTimeoutNamesTheStep() {
        var machine = Machine()
        _ = machine.channelActive()
        _ = machine.received(Self.response(.supported(options: [:])))
        guard case .failAll(_, let error, true) = machine.connectTimedOut() else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.code == .connectTimedOut)
        #expect(error.message.contains("STARTUP"))
    }

    @Test func requestsSentDuringTheHandshakeGoOutWhenReady() throws {
        var machine = Machine()
        _ = machine.channelActive()
        #expect(machine.send(Self.query(), id: ID(1)) == .none)
        _ = machine.received(Self.response(.supported(options: [:])))
        let out = try Self.written(machine.received(Self.response(.ready)))
        #expect(out.map(\.streamID) == [1])
        #expect(machine.inFlightCount == 1)
    }

    // MARK: Streams

    @Test func streamExhaustionQueuesThenRefuses() throws {
        var machine = try Self.ready(.init(maximumInFlightRequests: 2, maximumQueuedRequests: 1))
        let first = try Self.written(machine.send(Self.query("A"), id: ID(1)))
        let second = try Self.written(machine.send(Self.query("B"), id: ID(2)))
        #expect(first.map(\.streamID) == [1])
        #expect(second.map(\.streamID) == [2])
        #expect(machine.send(Self.query("C"), id: ID(3)) == .none)
        #expect(machine.queuedCount == 1)
        guard case .fail(ID(4), let refused, []) = machine.send(Self.query("D"), id: ID(4)) else {
            Issue.record("expected the fourth request to be refused")
            return
        }
        #expect(refused.code == .tooManyRequests)
        #expect(refused.wasNeverSent)
        // The first response frees stream 1: the queued request takes it.
        let answer = machine.received(Self.response(.result(.void), stream: 1))
        guard case .succeed(ID(1), _, [], let frames) = answer else {
            Issue.record("expected #1 to succeed, got \(answer)")
            return
        }
        let next = try Self.requests(frames)
        #expect(next.map(\.streamID) == [1])
        #expect(next.first?.request == .query("C", parameters: .init(consistency: .one)))
        #expect(machine.queuedCount == 0)
        #expect(machine.inFlightCount == 2)
    }

    @Test func responsesMayArriveInAnyOrder() throws {
        var machine = try Self.ready()
        _ = machine.send(Self.query("A"), id: ID(10))
        _ = machine.send(Self.query("B"), id: ID(11))
        guard case .succeed(ID(11), _, _, _) = machine.received(Self.response(.result(.void), stream: 2)) else {
            Issue.record("stream 2 belongs to #11")
            return
        }
        guard case .succeed(ID(10), _, _, _) = machine.received(Self.response(.result(.void), stream: 1)) else {
            Issue.record("stream 1 belongs to #10")
            return
        }
        #expect(machine.inFlightCount == 0)
    }

    @Test func serverErrorsAreTyped() throws {
        var machine = try Self.ready()
        _ = machine.send(Self.query("INSERT"), id: ID(1))
        let timeout = CQLServerError(
            code: .writeTimeout, message: "Operation timed out - received only 0 responses.",
            details: .writeTimeout(consistency: .localQuorum, received: 0, blockFor: 2, writeType: .simple))
        guard case .fail(ID(1), let error, []) = machine.received(Self.response(.error(timeout), stream: 1)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .server)
        #expect(error.serverError == timeout)
        #expect(error.isTransient)
        #expect(!error.wasNeverSent)
        #expect(machine.isReady)
    }

    // MARK: Timeouts

    @Test func aWrittenRequestThatTimesOutOrphansItsStream() throws {
        var machine = try Self.ready(.init(maximumInFlightRequests: 1))
        _ = machine.send(Self.query("slow"), id: ID(1))
        #expect(machine.send(Self.query("next"), id: ID(2)) == .none)
        guard case .fail(ID(1), let error, []) = machine.requestTimedOut(ID(1)) else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.code == .requestTimedOut)
        #expect(machine.orphanedCount == 1)
        // Stream 1 is not reused until the late answer arrives; then the queued request takes it.
        #expect(machine.inFlightCount == 1)
        let late = try Self.written(machine.received(Self.response(.result(.void), stream: 1)))
        #expect(late.map(\.streamID) == [1])
        #expect(machine.orphanedCount == 0)
        guard case .succeed(ID(2), _, _, _) = machine.received(Self.response(.result(.void), stream: 1)) else {
            Issue.record("the answer on stream 1 now belongs to #2")
            return
        }
    }

    @Test func aQueuedRequestThatTimesOutWasNeverSent() throws {
        var machine = try Self.ready(.init(maximumInFlightRequests: 1))
        _ = machine.send(Self.query("A"), id: ID(1))
        _ = machine.send(Self.query("B"), id: ID(2))
        guard case .fail(ID(2), let error, []) = machine.requestTimedOut(ID(2)) else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.message.contains("never sent"))
        #expect(machine.queuedCount == 0)
        #expect(machine.orphanedCount == 0)
    }

    @Test func tooManyOrphansCloseTheConnection() throws {
        var machine = try Self.ready(.init(maximumOrphanedStreams: 1))
        _ = machine.send(Self.query("A"), id: ID(1))
        _ = machine.send(Self.query("B"), id: ID(2))
        _ = machine.send(Self.query("C"), id: ID(3))
        guard case .fail = machine.requestTimedOut(ID(1)) else {
            Issue.record("one orphan is allowed")
            return
        }
        guard case .failAll(let failures, let reason, true) = machine.requestTimedOut(ID(2)) else {
            Issue.record("the second orphan closes")
            return
        }
        #expect(Set(failures.keys) == [ID(2), ID(3)])
        #expect(failures[ID(2)]?.code == .requestTimedOut)
        #expect(failures[ID(3)]?.code == .connectionClosed)
        #expect(reason.code == .requestTimedOut)
        #expect(machine.isClosed)
    }

    @Test func closingFailsEverythingPending() throws {
        var machine = try Self.ready(.init(maximumInFlightRequests: 1))
        _ = machine.send(Self.query("A"), id: ID(1))
        _ = machine.send(Self.query("B"), id: ID(2))
        guard case .failAll(let failures, _, false) = machine.channelInactive() else {
            Issue.record("expected failAll")
            return
        }
        #expect(Set(failures.keys) == [ID(1), ID(2)])
        #expect(failures.values.allSatisfy { $0.code == .connectionClosed })
        guard case .fail(ID(3), let late, []) = machine.send(Self.query("C"), id: ID(3)) else {
            Issue.record("a closed connection refuses")
            return
        }
        #expect(late.code == .connectionClosed)
    }

    // MARK: UNPREPARED

    static let statementID = ByteBuffer(bytes: [0xAA, 0xBB])
    static let insert = "INSERT INTO ks.t (id) VALUES (?)"
    static func prepared(_ id: ByteBuffer) -> CQLPrepared {
        CQLPrepared(
            id: id, metadata: CQLPreparedMetadata(columns: [CQLColumnSpec(keyspace: "ks", table: "t", name: "id", type: .varchar)], partitionKeyIndexes: [0]),
            resultMetadata: .empty)
    }

    @Test func unpreparedIsPreparedAgainAndRetriedOnTheSameStream() throws {
        var machine = try Self.ready()
        let parameters = CQLQueryParameters(consistency: .one, values: .positional([CQLBindValue(.text("a"))]))
        let request = Machine.Request(.execute(id: Self.statementID, parameters: parameters), preparedQueries: [Self.statementID: Self.insert])
        #expect(try Self.written(machine.send(request, id: ID(7))).map(\.streamID) == [1])
        let forgot = CQLServerError.unprepared("Prepared query with ID aabb not found", id: Self.statementID)
        let prepare = try Self.written(machine.received(Self.response(.error(forgot), stream: 1)))
        #expect(prepare.map(\.request) == [.prepare(Self.insert)])
        #expect(prepare.map(\.streamID) == [1])
        // The node answers with a new id: the EXECUTE goes again with it.
        let newID = ByteBuffer(bytes: [0xCC])
        let again = try Self.written(machine.received(Self.response(.result(.prepared(Self.prepared(newID))), stream: 1)))
        #expect(again.map(\.request) == [.execute(id: newID, parameters: parameters)])
        #expect(again.map(\.streamID) == [1])
        guard case .succeed(ID(7), let response, let reprepared, []) = machine.received(Self.response(.result(.void), stream: 1)) else {
            Issue.record("expected success")
            return
        }
        #expect(response.response == .result(.void))
        #expect(reprepared.map(\.id) == [newID])
    }

    @Test func unpreparedTwiceForTheSameIDFails() throws {
        var machine = try Self.ready()
        let request = Machine.Request(.execute(id: Self.statementID, parameters: .init()), preparedQueries: [Self.statementID: Self.insert])
        _ = machine.send(request, id: ID(1))
        let forgot = CQLServerError.unprepared("not found", id: Self.statementID)
        _ = machine.received(Self.response(.error(forgot), stream: 1))
        _ = machine.received(Self.response(.result(.prepared(Self.prepared(Self.statementID))), stream: 1))
        guard case .fail(ID(1), let error, []) = machine.received(Self.response(.error(forgot), stream: 1)) else {
            Issue.record("a node that keeps forgetting must not loop")
            return
        }
        #expect(error.serverError?.code == .unprepared)
    }

    @Test func unpreparedWithoutTheQueryTextFails() throws {
        var machine = try Self.ready()
        _ = machine.send(.init(.execute(id: Self.statementID, parameters: .init())), id: ID(1))
        guard case .fail(ID(1), let error, []) = machine.received(Self.response(.error(.unprepared("gone", id: Self.statementID)), stream: 1)) else {
            Issue.record("expected the UNPREPARED error")
            return
        }
        #expect(error.serverError?.code == .unprepared)
    }

    @Test func unpreparedInABatchReplacesTheIDInEveryStatement() throws {
        var machine = try Self.ready()
        let batch = CQLBatch(statements: [
            CQLBatchStatement(.prepared(id: Self.statementID), values: [CQLBindValue(.text("a"))]),
            CQLBatchStatement(.prepared(id: Self.statementID), values: [CQLBindValue(.text("b"))]),
        ])
        _ = machine.send(.init(.batch(batch), preparedQueries: [Self.statementID: Self.insert]), id: ID(1))
        _ = machine.received(Self.response(.error(.unprepared("gone", id: Self.statementID)), stream: 1))
        let newID = ByteBuffer(bytes: [0x01])
        let again = try Self.written(machine.received(Self.response(.result(.prepared(Self.prepared(newID))), stream: 1)))
        guard case .batch(let sent)? = again.first?.request else {
            Issue.record("expected the batch again")
            return
        }
        #expect(sent.statements.map(\.kind) == [.prepared(id: newID), .prepared(id: newID)])
    }
}
