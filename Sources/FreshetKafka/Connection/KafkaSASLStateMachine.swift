import NIOCore

/// The SASL exchange of one connection, without IO: SaslHandshake v1 names the mechanism,
/// then SaslAuthenticate requests carry the mechanism's messages (KIP-43, KIP-152).
/// `KafkaConnection.connect` sends what the actions say and feeds back the responses.
///
/// Transitions:
/// - `initial` → `handshaking` on `start()` (send SaslHandshake).
/// - `handshaking` → `authenticating` on a good SaslHandshake response (send the first
///   SaslAuthenticate: PLAIN's only message, or SCRAM's client-first).
/// - `authenticating` → `authenticating` on SCRAM's server-first (send client-final).
/// - `authenticating` → `authenticated` on PLAIN's answer or on a verified SCRAM
///   server-final.
/// - any → `failed` on an error code, UNSUPPORTED_SASL_MECHANISM (naming the mechanisms
///   the broker offers) or a SCRAM check that fails.
struct KafkaSASLStateMachine: Sendable {
    enum Action: Sendable, Hashable {
        /// Send SaslHandshake (v1) with this mechanism.
        case sendHandshake(mechanism: String)
        /// Send SaslAuthenticate with these bytes.
        case sendAuthenticate(ByteBuffer)
        /// Authentication succeeded: the connection is ready.
        case authenticated
        /// Authentication failed: close the connection and report this.
        case fail(KafkaConnectionError)
    }

    private enum Exchange: Sendable {
        case plain
        case scram(SCRAMClient)
    }

    private enum State: Sendable {
        case initial
        case handshaking
        case plainSent
        case scramClientFirstSent
        case scramClientFinalSent
        case authenticated
        case failed
    }

    private let configuration: KafkaSASLConfiguration
    private let broker: String?
    private var exchange: Exchange
    private var state: State = .initial

    /// - Parameter scramNonce: the SCRAM client nonce, for tests; random when nil.
    init(configuration: KafkaSASLConfiguration, broker: String?, scramNonce: String? = nil) {
        self.configuration = configuration
        self.broker = broker
        switch configuration.mechanism.base {
        case .plain:
            exchange = .plain
        case .scramSHA256:
            exchange = .scram(
                SCRAMClient(
                    algorithm: .sha256, username: configuration.username, password: configuration.password, nonce: scramNonce,
                    maximumIterations: configuration.maximumSCRAMIterations))
        case .scramSHA512:
            exchange = .scram(
                SCRAMClient(
                    algorithm: .sha512, username: configuration.username, password: configuration.password, nonce: scramNonce,
                    maximumIterations: configuration.maximumSCRAMIterations))
        }
    }

    var isAuthenticated: Bool { if case .authenticated = state { true } else { false } }

    mutating func start() -> Action {
        guard case .initial = state else { return outOfOrder("start") }
        state = .handshaking
        return .sendHandshake(mechanism: mechanism)
    }

    mutating func handshakeReceived(_ response: SaslHandshakeResponse) -> Action {
        guard case .handshaking = state else { return outOfOrder("SaslHandshake response") }
        if response.errorCode == .unsupportedSaslMechanism {
            let offered = response.mechanisms.isEmpty ? "none" : response.mechanisms.joined(separator: ", ")
            return fail(
                .unsupportedSASLMechanism,
                "the broker does not enable SASL mechanism \(mechanism); it offers: \(offered)")
        }
        guard response.errorCode == .noError else {
            return fail(.authenticationFailed, "SaslHandshake for \(mechanism) failed with \(response.errorCode)")
        }
        switch exchange {
        case .plain:
            state = .plainSent
            // RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid.
            var bytes = ByteBuffer()
            bytes.writeInteger(UInt8(0))
            bytes.writeString(configuration.username)
            bytes.writeInteger(UInt8(0))
            bytes.writeString(configuration.password)
            return .sendAuthenticate(bytes)
        case .scram(var client):
            let message = client.clientFirstMessage()
            exchange = .scram(client)
            state = .scramClientFirstSent
            return .sendAuthenticate(ByteBuffer(string: message))
        }
    }

    mutating func authenticateReceived(_ response: SaslAuthenticateResponse) -> Action {
        guard response.errorCode == .noError else {
            let detail = response.errorMessage.map { ": \($0)" } ?? ""
            return fail(
                .authenticationFailed,
                "\(mechanism) authentication as user '\(configuration.username)' was rejected with \(response.errorCode)\(detail)")
        }
        switch (state, exchange) {
        case (.plainSent, .plain):
            state = .authenticated
            return .authenticated
        case (.scramClientFirstSent, .scram(var client)):
            let serverFirst = String(buffer: response.authBytes)
            do {
                let message = try client.clientFinalMessage(serverFirst: serverFirst)
                exchange = .scram(client)
                state = .scramClientFinalSent
                return .sendAuthenticate(ByteBuffer(string: message))
            } catch {
                return scramFailed(error)
            }
        case (.scramClientFinalSent, .scram(var client)):
            do {
                try client.verifyServerFinal(String(buffer: response.authBytes))
                exchange = .scram(client)
                state = .authenticated
                return .authenticated
            } catch {
                return scramFailed(error)
            }
        default:
            return outOfOrder("SaslAuthenticate response")
        }
    }

    // MARK: Helpers

    private var mechanism: String { configuration.mechanism.name }

    private mutating func scramFailed(_ failure: SCRAMClient.Failure) -> Action {
        fail(.authenticationFailed, "\(mechanism) authentication as user '\(configuration.username)' failed: \(failure.message)")
    }

    private mutating func outOfOrder(_ event: String) -> Action {
        fail(.authenticationFailed, "SASL \(mechanism): unexpected \(event)")
    }

    private mutating func fail(_ code: KafkaConnectionError.Code, _ message: String) -> Action {
        state = .failed
        return .fail(KafkaConnectionError(code: code, message: message, broker: broker))
    }
}
