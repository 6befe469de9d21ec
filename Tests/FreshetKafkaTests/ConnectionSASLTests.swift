import Foundation
import NIOCore
import Testing

@testable import FreshetKafka

/// SCRAM, PLAIN and the SASL exchange as plain function calls, plus password redaction.
@Suite struct ConnectionSASLTests {
    // MARK: SCRAM (RFC 5802)

    /// RFC 7677, section 3: the SCRAM-SHA-256 example, message for message.
    @Test func scramSHA256MatchesRFC7677Example() throws {
        var client = SCRAMClient(algorithm: .sha256, username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(client.clientFirstMessage() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let clientFinal = try client.clientFinalMessage(serverFirst: serverFirst)
        #expect(
            clientFinal
                == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        try client.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    }

    /// SCRAM-SHA-512 (no RFC vector) against the in-test server, which derives its keys
    /// with `_CryptoExtras`' PBKDF2 and checks the proof as a server does.
    @Test(arguments: [SCRAMClient.Algorithm.sha512, .sha256])
    func scramRoundTripAgainstTestServer(_ algorithm: SCRAMClient.Algorithm) throws {
        var server = try TestSCRAMServer(algorithm: algorithm, username: "us=er,1", password: "pä$$ word", iterations: 8192)
        var client = SCRAMClient(algorithm: algorithm, username: "us=er,1", password: "pä$$ word")
        let first = client.clientFirstMessage()
        #expect(first.hasPrefix("n,,n=us=3Der=2C1,r="))
        let serverFirst = try server.receiveClientFirst(first)
        let serverFinal = try server.receiveClientFinal(try client.clientFinalMessage(serverFirst: serverFirst))
        try client.verifyServerFinal(serverFinal)
    }

    @Test func scramWrongPasswordIsRejectedByTheServer() throws {
        var server = try TestSCRAMServer(algorithm: .sha512, username: "alice", password: "right")
        var client = SCRAMClient(algorithm: .sha512, username: "alice", password: "wrong")
        let serverFirst = try server.receiveClientFirst(client.clientFirstMessage())
        let clientFinal = try client.clientFinalMessage(serverFirst: serverFirst)
        #expect(throws: TestSCRAMServer.Rejected.self) { try server.receiveClientFinal(clientFinal) }
    }

    @Test func randomNoncesDifferAndAvoidCommas() {
        let a = SCRAMClient(algorithm: .sha256, username: "u", password: "p").clientNonce
        let b = SCRAMClient(algorithm: .sha256, username: "u", password: "p").clientNonce
        #expect(a != b)
        #expect(a.count >= 24 && !a.contains(","))
    }

    struct BadServerMessage: Sendable, CustomTestStringConvertible {
        var name: String
        var serverFirst: String
        var serverFinal: String?
        var reason: SCRAMClient.Failure.Reason
        var testDescription: String { name }
    }

    static let goodServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

    static let badServerMessages: [BadServerMessage] = [
        .init(
            name: "server nonce does not start with the client nonce",
            serverFirst: "r=XXprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            reason: .nonceMismatch),
        .init(
            name: "server nonce equals the client nonce",
            serverFirst: "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", reason: .nonceMismatch),
        .init(
            name: "iteration count below 4096",
            serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095", reason: .iterationCountTooLow),
        .init(
            name: "iteration count not a number",
            serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=many", reason: .malformedServerMessage),
        .init(name: "no salt", serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvY,i=4096", reason: .malformedServerMessage),
        .init(
            name: "mandatory extension",
            serverFirst: "m=ext,r=rOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", reason: .unsupportedExtension),
        .init(name: "garbage", serverFirst: "hello", reason: .malformedServerMessage),
        .init(
            name: "wrong server signature", serverFirst: goodServerFirst,
            serverFinal: "v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", reason: .serverSignatureMismatch),
        .init(name: "e= error", serverFirst: goodServerFirst, serverFinal: "e=invalid-proof", reason: .serverError),
        .init(name: "server-final without v= or e=", serverFirst: goodServerFirst, serverFinal: "x=1", reason: .malformedServerMessage),
    ]

    @Test(arguments: badServerMessages)
    func badServerMessagesFailClearly(_ bad: BadServerMessage) throws {
        var client = SCRAMClient(algorithm: .sha256, username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.clientFirstMessage()
        let failure: SCRAMClient.Failure?
        if let serverFinal = bad.serverFinal {
            _ = try client.clientFinalMessage(serverFirst: bad.serverFirst)
            failure = #expect(throws: SCRAMClient.Failure.self) { try client.verifyServerFinal(serverFinal) }
        } else {
            failure = #expect(throws: SCRAMClient.Failure.self) { try client.clientFinalMessage(serverFirst: bad.serverFirst) }
        }
        #expect(failure?.reason == bad.reason)
        #expect(failure?.message.isEmpty == false)
        #expect(failure?.message.contains("pencil") == false)
    }

    @Test func serverErrorIsNamedInTheFailure() throws {
        var client = SCRAMClient(algorithm: .sha256, username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.clientFirstMessage()
        _ = try client.clientFinalMessage(serverFirst: Self.goodServerFirst)
        let failure = #expect(throws: SCRAMClient.Failure.self) { try client.verifyServerFinal("e=unknown-user") }
        #expect(failure?.message.contains("unknown-user") == true)
    }

    // MARK: The SASL exchange

    static let broker = "broker:9093"

    static func machine(_ mechanism: KafkaSASLConfiguration.Mechanism, password: String = "pencil") -> KafkaSASLStateMachine {
        KafkaSASLStateMachine(
            configuration: .init(mechanism: mechanism, username: "user", password: password), broker: broker,
            scramNonce: "rOprNGfwEbeRWgbNEkqO")
    }

    static func handshake(_ error: KafkaErrorCode = .noError, offered: [String] = ["PLAIN", "SCRAM-SHA-256"]) -> SaslHandshakeResponse {
        var response = SaslHandshakeResponse()
        response.errorCode = error
        response.mechanisms = offered
        return response
    }

    static func authenticate(_ bytes: String = "", error: KafkaErrorCode = .noError, message: String? = nil) -> SaslAuthenticateResponse {
        var response = SaslAuthenticateResponse()
        response.errorCode = error
        response.errorMessage = message
        response.authBytes = ByteBuffer(string: bytes)
        return response
    }

    /// RFC 4616: NUL, user, NUL, password; then one SaslAuthenticate answer completes it.
    @Test func plainSendsExactBytes() {
        var m = Self.machine(.plain, password: "password")
        #expect(m.start() == .sendHandshake(mechanism: "PLAIN"))
        let expected = ByteBuffer(bytes: [0] + Array("user".utf8) + [0] + Array("password".utf8))
        #expect(m.handshakeReceived(Self.handshake()) == .sendAuthenticate(expected))
        #expect(m.authenticateReceived(Self.authenticate()) == .authenticated)
        #expect(m.isAuthenticated)
    }

    @Test func scramExchangeRunsThroughTheMachine() {
        var m = Self.machine(.scramSHA256)
        #expect(m.start() == .sendHandshake(mechanism: "SCRAM-SHA-256"))
        #expect(m.handshakeReceived(Self.handshake()) == .sendAuthenticate(ByteBuffer(string: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")))
        #expect(
            m.authenticateReceived(Self.authenticate(Self.goodServerFirst))
                == .sendAuthenticate(
                    ByteBuffer(
                        string: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")))
        #expect(m.authenticateReceived(Self.authenticate("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")) == .authenticated)
    }

    @Test func unsupportedMechanismNamesTheOfferedOnes() throws {
        var m = Self.machine(.scramSHA512)
        _ = m.start()
        guard case .fail(let error) = m.handshakeReceived(Self.handshake(.unsupportedSaslMechanism)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .unsupportedSASLMechanism)
        #expect(error.broker == Self.broker)
        #expect(error.message.contains("SCRAM-SHA-512"))
        #expect(error.message.contains("PLAIN, SCRAM-SHA-256"))
    }

    @Test func rejectedCredentialsFailWithAuthenticationFailed() {
        var m = Self.machine(.plain, password: "hunter2-secret")
        _ = m.start()
        _ = m.handshakeReceived(Self.handshake())
        let action = m.authenticateReceived(
            Self.authenticate(error: .saslAuthenticationFailed, message: "Authentication failed: Invalid username or password"))
        guard case .fail(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("PLAIN"))
        #expect(error.message.contains("Invalid username or password"))
        #expect(!"\(error)".contains("hunter2-secret"))
    }

    @Test func wrongServerSignatureFailsTheConnection() {
        var m = Self.machine(.scramSHA256)
        _ = m.start()
        _ = m.handshakeReceived(Self.handshake())
        _ = m.authenticateReceived(Self.authenticate(Self.goodServerFirst))
        let action = m.authenticateReceived(Self.authenticate("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        guard case .fail(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("SCRAM-SHA-256") && error.message.contains("signature"))
        #expect(!m.isAuthenticated)
    }

    // MARK: Redaction

    @Test func passwordNeverAppearsInDescriptions() {
        let secret = "s3cr3t-Passw0rd"
        let sasl = KafkaSASLConfiguration(mechanism: .scramSHA256, username: "alice", password: secret)
        let configuration = KafkaConnection.Configuration(tls: .init(), sasl: sasl)
        var dumped = ""
        dump(configuration, to: &dumped)
        var dumpedSASL = ""
        dump(sasl, to: &dumpedSASL)
        let texts = [
            sasl.description, sasl.debugDescription, String(describing: sasl), String(reflecting: sasl),
            String(describing: configuration), String(reflecting: configuration), "\(configuration)", dumped, dumpedSASL,
        ]
        for text in texts {
            #expect(!text.contains(secret), "password leaked in: \(text)")
        }
        #expect(sasl.description.contains("alice") && sasl.description.contains("SCRAM-SHA-256"))
        #expect(dumped.contains("<redacted>"))
    }
}
