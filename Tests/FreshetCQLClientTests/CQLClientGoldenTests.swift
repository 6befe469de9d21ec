import Foundation
import FreshetCQL
import FreshetTesting
import NIOCore
import Testing

/// The client state machine against frames captured from cassandra-driver 3.30.1
/// (Tests/FreshetCQLTests/Golden): the server errors it decodes, and the login it sends.
@Suite("CQL client against cassandra-driver golden frames")
struct CQLClientGoldenTests {
    static func golden(_ path: String) throws -> ByteBuffer {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Tests/FreshetCQLTests/Golden/\(path).hex")
        let text = try String(contentsOf: url, encoding: .utf8)
        let hex = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined()
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        return ByteBuffer(bytes: bytes)
    }

    /// A ready machine with a request in flight on stream 10 (the golden responses' stream).
    static func machineWaitingOnStream10() throws -> CQLClientConnectionStateMachine {
        var machine = try CQLClientStateMachineTests.ready()
        for id in 1...10 {
            _ = machine.send(.init(.query("SELECT \(id)", parameters: .init())), id: .init(UInt64(id)))
        }
        return machine
    }

    static func frame(_ bytes: ByteBuffer) throws -> CQLFrame {
        var decoder = CQLFrameDecoder()
        decoder.feed(bytes)
        return try #require(try decoder.next())
    }

    @Test(arguments: [
        ("error-write-timeout", CQLErrorCode.writeTimeout, true),
        ("error-unavailable", .unavailable, true),
        ("error-overloaded", .overloaded, true),
        ("error-read-timeout", .readTimeout, true),
        ("error-unprepared", .unprepared, false),
        ("error-invalid", .invalid, false),
        ("error-syntax", .syntaxError, false),
    ])
    func serverErrorsFromTheDriverAreTyped(file: String, code: CQLErrorCode, transient: Bool) throws {
        var machine = try Self.machineWaitingOnStream10()
        let action = machine.received(try Self.frame(try Self.golden("responses/\(file)")))
        guard case .fail(.init(10), let error, _) = action else {
            Issue.record("expected request #10 to fail, got \(action)")
            return
        }
        #expect(error.code == .server)
        #expect(error.serverError?.code == code)
        #expect(error.isTransient == transient)
        if code == .writeTimeout {
            guard case .writeTimeout(_, let received, let blockFor, let writeType)? = error.serverError?.details else {
                Issue.record("no WRITE_TIMEOUT details")
                return
            }
            #expect((received, blockFor, writeType) == (1, 2, .batchLog))
        }
    }

    @Test func theLoginIsTheDriversPlainToken() throws {
        var machine = CQLClientConnectionStateMachine(configuration: .init(credentials: CQLCredentials(username: "cassandra", password: "cassandra")))
        _ = machine.channelActive()
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .supported(options: [:])))
        let authenticate = try Self.frame(try Self.golden("responses/authenticate"))
        var ours = CQLFrame(header: authenticate.header, body: authenticate.body)
        ours.header.streamID = 0
        guard case .write(let frames) = machine.received(ours), let written = frames.first else {
            Issue.record("expected an AUTH_RESPONSE")
            return
        }
        let driver = try Self.frame(try Self.golden("requests/auth-response"))
        #expect(try Self.frame(written).body == driver.body)
    }

    @Test func theDriversAuthenticationErrorFailsTheLogin() throws {
        var machine = CQLClientConnectionStateMachine(configuration: .init(credentials: CQLCredentials(username: "cassandra", password: "nope")))
        _ = machine.channelActive()
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .supported(options: [:])))
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator")))
        var refusal = try Self.frame(try Self.golden("responses/error-authentication"))
        refusal.header.streamID = 0
        guard case .failAll(_, let error, true) = machine.received(refusal) else {
            Issue.record("expected the login to fail")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("Provided username cassandra and/or password are incorrect"))
    }
}
