import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The client side of SCRAM (RFC 5802) without channel binding, as Kafka uses it for
/// SCRAM-SHA-256 and SCRAM-SHA-512. A value type without IO: it takes the server's
/// messages and returns the client's.
///
/// 1. `clientFirstMessage()` → `n,,n=<user>,r=<nonce>`
/// 2. `clientFinalMessage(serverFirst:)` checks the server's nonce, salt and iteration
///    count and answers `c=biws,r=<nonce>,p=<proof>`
/// 3. `verifyServerFinal(_:)` checks that the server knows the credential (`v=`) or reports
///    its error (`e=`).
package struct SCRAMClient: Sendable {
    package enum Algorithm: Sendable, Hashable {
        case sha256
        case sha512
    }

    /// Why the exchange failed.
    package struct Failure: Error, Hashable, CustomStringConvertible {
        package enum Reason: Sendable, Hashable {
            case malformedServerMessage
            case nonceMismatch
            case iterationCountTooLow
            case iterationCountTooHigh
            case unsupportedExtension
            case serverError
            case serverSignatureMismatch
            case outOfOrder
        }

        package var reason: Reason
        package var message: String
        package var description: String { message }
    }

    /// Kafka's own floor; RFC 7677 recommends at least 4096 too.
    package static let minimumIterations = 4096
    /// Longest server message accepted. Kafka's are about 100 bytes (a nonce, a salt, a count
    /// or a signature); a longer one is refused before it is parsed or echoed back.
    package static let maximumServerMessageBytes = 4096

    private enum State: Sendable {
        case initial
        case sentClientFirst
        case sentClientFinal(serverSignature: [UInt8])
        case done
    }

    let algorithm: Algorithm
    let username: String
    private let password: String
    let clientNonce: String
    /// Iteration counts outside this range are refused before any PBKDF2 work.
    let iterationRange: ClosedRange<Int>
    private var state: State = .initial

    /// - Parameters:
    ///   - nonce: printable ASCII without ","; random (24 bytes, base64) when nil.
    ///   - maximumIterations: the largest iteration count the server may ask for
    ///     (`KafkaSASLConfiguration.maximumSCRAMIterations`).
    ///   - minimumIterations: the smallest; only tests and fuzzing lower it.
    package init(
        algorithm: Algorithm, username: String, password: String, nonce: String? = nil,
        maximumIterations: Int = 100_000, minimumIterations: Int = SCRAMClient.minimumIterations
    ) {
        self.algorithm = algorithm
        self.username = username
        self.password = password
        self.iterationRange = max(1, minimumIterations)...max(1, minimumIterations, maximumIterations)
        if let nonce {
            self.clientNonce = nonce
        } else {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            self.clientNonce = Data(bytes).base64EncodedString()
        }
    }

    /// `n=<user>,r=<nonce>`: the client's first message without the GS2 header.
    package var clientFirstMessageBare: String { "n=\(Self.saslName(username)),r=\(clientNonce)" }

    /// The first message, with the GS2 header `n,,` (no channel binding, no authzid).
    package mutating func clientFirstMessage() -> String {
        state = .sentClientFirst
        return "n,," + clientFirstMessageBare
    }

    /// Answers the server's first message with the proof.
    package mutating func clientFinalMessage(serverFirst: String) throws(Failure) -> String {
        guard case .sentClientFirst = state else {
            throw Failure(reason: .outOfOrder, message: "server-first-message received out of order")
        }
        let attributes = try Self.attributes(serverFirst, what: "server-first-message")
        if let first = attributes.first, first.key == "m" {
            throw Failure(reason: .unsupportedExtension, message: "the server requires an unsupported SCRAM extension (m=)")
        }
        guard let nonce = attributes.first(where: { $0.key == "r" })?.value,
            let saltText = attributes.first(where: { $0.key == "s" })?.value,
            let iterationText = attributes.first(where: { $0.key == "i" })?.value
        else {
            throw Failure(reason: .malformedServerMessage, message: "server-first-message lacks r=, s= or i=")
        }
        guard nonce.utf8.starts(with: clientNonce.utf8), nonce.utf8.count > clientNonce.utf8.count else {
            throw Failure(reason: .nonceMismatch, message: "the server's nonce does not extend the client's nonce")
        }
        // RFC 5802: printable ASCII except ','. The nonce goes back to the server verbatim.
        guard nonce.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E && $0 != 0x2C }) else {
            throw Failure(reason: .malformedServerMessage, message: "the server's nonce (r=) is not printable ASCII")
        }
        guard let salt = Data(base64Encoded: saltText), !salt.isEmpty else {
            throw Failure(reason: .malformedServerMessage, message: "the salt (s=) is not base64")
        }
        // Digits only (no sign, no spaces), and checked against the range before any hashing:
        // PBKDF2 with a hostile count is a CPU bomb.
        guard !iterationText.isEmpty, iterationText.utf8.count <= 10,
            iterationText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let iterations = Int(iterationText), iterations > 0
        else {
            throw Failure(
                reason: .malformedServerMessage,
                message: "the iteration count (i=\(iterationText.prefix(20))) is not a positive number of at most 10 digits")
        }
        guard iterations >= iterationRange.lowerBound else {
            throw Failure(
                reason: .iterationCountTooLow,
                message: "the server asks for \(iterations) iterations, fewer than the minimum \(iterationRange.lowerBound)")
        }
        guard iterations <= iterationRange.upperBound else {
            throw Failure(
                reason: .iterationCountTooHigh,
                message: "the server asks for \(iterations) iterations, more than the maximum \(iterationRange.upperBound) "
                    + "(KafkaSASLConfiguration.maximumSCRAMIterations, URL key sasl_max_iterations)")
        }
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = Array("\(clientFirstMessageBare),\(serverFirst),\(withoutProof)".utf8)
        let keys = Self.keys(algorithm, password: Array(password.utf8), salt: Array(salt), iterations: iterations)
        let clientSignature = Self.hmac(algorithm, key: keys.storedKey, message: authMessage)
        let proof = zip(keys.clientKey, clientSignature).map { $0 ^ $1 }
        state = .sentClientFinal(serverSignature: Self.hmac(algorithm, key: keys.serverKey, message: authMessage))
        return withoutProof + ",p=" + Data(proof).base64EncodedString()
    }

    /// Checks the server's final message: the server proves that it knows the credential.
    package mutating func verifyServerFinal(_ serverFinal: String) throws(Failure) {
        guard case .sentClientFinal(let expected) = state else {
            throw Failure(reason: .outOfOrder, message: "server-final-message received out of order")
        }
        let attributes = try Self.attributes(serverFinal, what: "server-final-message")
        if let error = attributes.first(where: { $0.key == "e" })?.value {
            throw Failure(reason: .serverError, message: "the server rejected the authentication: \(error.prefix(200))")
        }
        guard let text = attributes.first(where: { $0.key == "v" })?.value else {
            throw Failure(reason: .malformedServerMessage, message: "server-final-message has neither v= nor e=")
        }
        guard let signature = Data(base64Encoded: text), Array(signature) == expected else {
            throw Failure(
                reason: .serverSignatureMismatch,
                message: "the server's signature (v=) is wrong: the broker does not know the credential, or someone is impersonating it")
        }
        state = .done
    }

    // MARK: RFC 5802 primitives

    /// `=` → `=3D`, `,` → `=2C` (RFC 5802 saslname).
    static func saslName(_ name: String) -> String {
        name.replacing("=", with: "=3D").replacing(",", with: "=2C")
    }

    struct Keys: Sendable, Hashable {
        var clientKey: [UInt8]
        var storedKey: [UInt8]
        var serverKey: [UInt8]
    }

    static func keys(_ algorithm: Algorithm, password: [UInt8], salt: [UInt8], iterations: Int) -> Keys {
        let salted = hi(algorithm, password: password, salt: salt, iterations: iterations)
        let clientKey = hmac(algorithm, key: salted, message: Array("Client Key".utf8))
        return Keys(
            clientKey: clientKey, storedKey: hash(algorithm, clientKey),
            serverKey: hmac(algorithm, key: salted, message: Array("Server Key".utf8)))
    }

    /// Hi() of RFC 5802: PBKDF2 with HMAC and an output as long as one HMAC.
    static func hi(_ algorithm: Algorithm, password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var u = hmac(algorithm, key: password, message: salt + [0, 0, 0, 1])
        var result = u
        for _ in 1..<max(1, iterations) {
            u = hmac(algorithm, key: password, message: u)
            for index in result.indices { result[index] ^= u[index] }
        }
        return result
    }

    static func hmac(_ algorithm: Algorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    static func hash(_ algorithm: Algorithm, _ bytes: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }

    /// `k=v,k=v` → pairs, in order. Values may contain `=` (base64).
    private static func attributes(_ message: String, what: String) throws(Failure) -> [(key: Character, value: String)] {
        guard message.utf8.count <= maximumServerMessageBytes else {
            throw Failure(
                reason: .malformedServerMessage,
                message: "\(what) is \(message.utf8.count) bytes long, more than \(maximumServerMessageBytes)")
        }
        var result: [(key: Character, value: String)] = []
        for part in message.split(separator: ",", omittingEmptySubsequences: false) {
            guard part.count >= 2, let key = part.first, part.dropFirst().first == "=" else {
                throw Failure(reason: .malformedServerMessage, message: "\(what) is malformed: '\(message.prefix(200))'")
            }
            result.append((key, String(part.dropFirst(2))))
        }
        return result
    }
}
