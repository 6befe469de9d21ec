import FreshetCQL
import NIOCore
import Testing

/// The connection state machine as plain function calls.
@Suite("CQL server connection state machine")
struct CQLServerStateMachineTests {
    typealias Machine = CQLServerConnectionStateMachine

    static let credentials = CQLCredentials(username: "freshet", password: "pa55")
    static let startup = CQLRequest.startup(options: ["CQL_VERSION": "3.0.0", "DRIVER_NAME": "test"])

    static func frame(_ request: CQLRequest, stream: Int16 = 1) -> CQLRequestFrame { CQLRequestFrame(streamID: stream, request: request) }

    static func respond(_ response: CQLResponse, stream: Int16 = 1) -> Machine.Action {
        .respond(CQLResponseFrame(streamID: stream, response: response))
    }

    static func plain(_ user: String, _ password: String) -> CQLRequest {
        .authResponse(token: ByteBuffer(bytes: [0] + Array(user.utf8) + [0] + Array(password.utf8)))
    }

    static func errorCode(_ action: Machine.Action) -> CQLErrorCode? {
        switch action {
        case .respond(let frame), .respondAndClose(let frame):
            if case .error(let error) = frame.response { return error.code }
            return nil
        default: return nil
        }
    }

    @Test func optionsAnswersSupportedWithAnEmptyCompressionList() {
        var machine = Machine()
        let action = machine.received(Self.frame(.options, stream: 7))
        #expect(action == Self.respond(.supported(options: ["CQL_VERSION": ["3.4.6"], "COMPRESSION": [], "PROTOCOL_VERSIONS": ["4/v4"]]), stream: 7))
        #expect(machine.state == .awaitingStartup)
    }

    @Test func startupWithoutCredentialsIsReady() {
        var machine = Machine()
        #expect(machine.received(Self.frame(Self.startup)) == Self.respond(.ready))
        #expect(machine.state == .ready)
        #expect(machine.received(Self.frame(.register(events: ["SCHEMA_CHANGE"]), stream: 2)) == Self.respond(.ready, stream: 2))
        let query = Self.frame(.query("SELECT * FROM system.local", parameters: .init()), stream: 3)
        #expect(machine.received(query) == .process(query))
        #expect(Self.errorCode(machine.received(Self.frame(Self.startup))) == .protocolError)
    }

    @Test func queriesBeforeStartupAreProtocolErrors() {
        var machine = Machine()
        let action = machine.received(Self.frame(.query("SELECT 1", parameters: .init())))
        #expect(Self.errorCode(action) == .protocolError)
        #expect(machine.state == .awaitingStartup)
    }

    @Test func startupNeedsACQLVersionAndNoCompression() {
        var machine = Machine()
        #expect(Self.errorCode(machine.received(Self.frame(.startup(options: [:])))) == .protocolError)
        #expect(Self.errorCode(machine.received(Self.frame(.startup(options: ["CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"])))) == .protocolError)
        #expect(machine.state == .awaitingStartup)
    }

    @Test func passwordAuthentication() {
        var machine = Machine(configuration: .init(credentials: Self.credentials))
        #expect(machine.received(Self.frame(Self.startup)) == Self.respond(.authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator")))
        #expect(machine.state == .authenticating)
        #expect(Self.errorCode(machine.received(Self.frame(.query("SELECT 1", parameters: .init())))) == .protocolError)

        let wrong = machine.received(Self.frame(Self.plain("freshet", "nope")))
        #expect(Self.errorCode(wrong) == .authenticationError)
        if case .respond(let frame) = wrong, case .error(let error) = frame.response {
            #expect(error.message == "Provided username freshet and/or password are incorrect")
            #expect(!error.message.contains("nope"))
        }
        #expect(Self.errorCode(machine.received(Self.frame(Self.plain("other", "pa55")))) == .authenticationError)
        #expect(Self.errorCode(machine.received(Self.frame(.authResponse(token: ByteBuffer(string: "no separators"))))) == .authenticationError)
        #expect(Self.errorCode(machine.received(Self.frame(.authResponse(token: nil)))) == .authenticationError)
        #expect(machine.state == .authenticating)

        #expect(machine.received(Self.frame(Self.plain("freshet", "pa55"))) == Self.respond(.authSuccess(token: nil)))
        #expect(machine.state == .ready)
        #expect(machine.authenticatedUser == "freshet")
    }

    @Test func credentialsNeverPrintThePassword() {
        #expect(!"\(Self.credentials)".contains("pa55"))
        let configuration = Machine.Configuration(credentials: Self.credentials)
        #expect(!"\(configuration)".contains("pa55"))
        #expect(!String(reflecting: configuration).contains("pa55"))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("pa55"))
    }

    /// Drivers open with v5 (or DSE v65/v66); v3 clients exist too. Each gets the v4
    /// PROTOCOL_ERROR on its own stream that drivers downgrade on, and the connection closes.
    @Test(arguments: [UInt8(3), 5, 65, 66])
    func otherProtocolVersionsGetTheDowngradeAnswer(version: UInt8) throws {
        var bytes: [UInt8] = [version, 0, 0, 9, CQLOpcode.options.rawValue, 0, 0, 0, 0]
        if version < 3 { bytes = [version, 0, 9, CQLOpcode.options.rawValue, 0, 0, 0, 0] }
        var decoder = CQLFrameDecoder()
        decoder.feed(bytes)
        var machine = Machine()
        var action = Machine.Action.none
        do {
            _ = try decoder.next()
            Issue.record("a v\(version) frame decoded")
        } catch {
            action = machine.decodeFailed(error)
        }
        guard case .respondAndClose(let frame) = action, case .error(let error) = frame.response else {
            Issue.record("expected an error and close, got \(action)")
            return
        }
        #expect(frame.streamID == 9)
        #expect(error.code == .protocolError)
        #expect(error.message.lowercased().contains("unsupported protocol version"))
        #expect(machine.state == .closed)
        #expect(machine.received(Self.frame(.options)) == .none)
        // The frame itself is v4, which the driver reads before downgrading.
        #expect(try frame.frame().header.version == 4)
    }

    @Test func aMalformedBodyIsAnErrorOnItsStreamAndTheConnectionStays() {
        var machine = Machine()
        _ = machine.received(Self.frame(Self.startup))
        let header = CQLFrameHeader(direction: .request, streamID: 12, opcode: .query, bodyLength: 0)
        let action = machine.received(CQLFrame(header: header, body: ByteBuffer(bytes: [0, 0, 0, 50, 1])))
        guard case .respond(let frame) = action else {
            Issue.record("expected a response, got \(action)")
            return
        }
        #expect(frame.streamID == 12)
        #expect(Self.errorCode(action) == .protocolError)
        #expect(machine.state == .ready)
    }
}
