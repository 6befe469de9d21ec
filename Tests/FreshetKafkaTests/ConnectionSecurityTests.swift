import Foundation
import FreshetTesting
import NIOCore
import Testing

@testable import FreshetKafka

/// `KafkaConnection` with SASL and TLS against the in-test broker (`TestKafkaBroker`), and
/// what the real Tansu broker supports of them.
@Suite struct ConnectionSecurityTests {
    static let mechanisms: [KafkaSASLConfiguration.Mechanism] = [.plain, .scramSHA256, .scramSHA512]

    static func configuration(
        _ mechanism: KafkaSASLConfiguration.Mechanism?, username: String = "alice",
        password: String = "correct horse battery staple", tls: KafkaTLSConfiguration? = nil, timeout: Int64 = 60
    ) -> KafkaConnection.Configuration {
        KafkaConnection.Configuration(
            connectTimeout: .seconds(timeout), requestTimeout: .seconds(timeout), tls: tls,
            sasl: mechanism.map { .init(mechanism: $0, username: username, password: password) })
    }

    // MARK: SASL

    /// ApiVersions → SaslHandshake v1 → SaslAuthenticate (1 round for PLAIN, 2 for SCRAM),
    /// then a Metadata request works.
    @Test(arguments: mechanisms)
    func eachMechanismAuthenticatesThenMetadataWorks(_ mechanism: KafkaSASLConfiguration.Mechanism) async throws {
        try await TestKafkaBroker.with { broker in
            let connection = try await KafkaConnection.connect(
                host: "127.0.0.1", port: broker.port, configuration: Self.configuration(mechanism))
            let metadata = try await connection.send(MetadataRequest(topics: nil))
            #expect(metadata.brokers.map(\.port) == [Int32(broker.port)])
            try await connection.close()
            let rounds = mechanism == .plain ? 1 : 2
            let expected =
                ["ApiVersions v3", "SaslHandshake v1 \(mechanism.name)"]
                + Array(repeating: "SaslAuthenticate v2", count: rounds) + ["Metadata v12"]
            #expect(broker.requests == expected)
        }
    }

    @Test(arguments: mechanisms)
    func wrongPasswordFailsWithAuthenticationFailed(_ mechanism: KafkaSASLConfiguration.Mechanism) async throws {
        let password = "not-the-password-42"
        try await TestKafkaBroker.with { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: Self.configuration(mechanism, password: password))
            }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.broker == "127.0.0.1:\(broker.port)")
            #expect(error?.message.contains(mechanism.name) == true)
            #expect(error.map { "\($0)".contains(password) } == false)
            #expect(!broker.requests.contains { $0.hasPrefix("Metadata") })
        }
    }

    @Test func unknownUserFailsWithAuthenticationFailed() async throws {
        try await TestKafkaBroker.with { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: Self.configuration(.scramSHA512, username: "mallory"))
            }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func unsupportedMechanismNamesTheOffered() async throws {
        var options = TestKafkaBroker.Options()
        options.mechanisms = ["SCRAM-SHA-512", "GSSAPI"]
        try await TestKafkaBroker.with(options) { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: Self.configuration(.plain))
            }
            #expect(error?.code == .unsupportedSASLMechanism)
            #expect(error?.message.contains("PLAIN") == true)
            #expect(error?.message.contains("SCRAM-SHA-512, GSSAPI") == true)
        }
    }

    /// A broker too old for SaslAuthenticate framing is refused before anything is sent.
    @Test func brokerWithoutSaslHandshakeV1IsNotSupported() async throws {
        var options = TestKafkaBroker.Options()
        options.saslHandshakeVersions = 0...0
        try await TestKafkaBroker.with(options) { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: Self.configuration(.scramSHA256))
            }
            #expect(error?.code == .notSupported)
            #expect(broker.requests == ["ApiVersions v3"])
        }
    }

    /// The in-test broker closes a connection that skips authentication: this guards the
    /// tests above against a broker that would accept anything.
    @Test func brokerRequiresAuthentication() async throws {
        try await TestKafkaBroker.with { broker in
            let connection = try await KafkaConnection.connect(
                host: "127.0.0.1", port: broker.port, configuration: Self.configuration(nil))
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await connection.send(MetadataRequest(topics: nil))
            }
            #expect(error?.code == .connectionClosed)
        }
    }

    // MARK: TLS

    static func tlsBroker(requireClientCertificate: Bool = false, mechanisms: [String] = []) throws -> TestKafkaBroker.Options {
        var options = TestKafkaBroker.Options()
        options.mechanisms = mechanisms
        options.tls = try TestCertificates.shared().serverContext(requireClientCertificate: requireClientCertificate)
        return options
    }

    /// By host name, and by address with the certificate's name as `serverName`.
    @Test func tlsWithTheCAFileSucceeds() async throws {
        let certificates = try TestCertificates.shared()
        try await TestKafkaBroker.with(try Self.tlsBroker()) { broker in
            for (host, serverName) in [("localhost", nil), ("127.0.0.1", "localhost")] {
                let connection = try await KafkaConnection.connect(
                    host: host, port: broker.port,
                    configuration: Self.configuration(
                        nil, tls: .init(trustRoots: .pemFile(certificates.caFile), serverName: serverName)))
                let metadata = try await connection.send(MetadataRequest(topics: nil))
                #expect(metadata.clusterID == "freshet-test-cluster")
                try await connection.close()
            }
        }
    }

    @Test func tlsAndSCRAMTogether() async throws {
        let certificates = try TestCertificates.shared()
        try await TestKafkaBroker.with(try Self.tlsBroker(mechanisms: ["SCRAM-SHA-512"])) { broker in
            let connection = try await KafkaConnection.connect(
                host: "localhost", port: broker.port,
                configuration: Self.configuration(.scramSHA512, tls: .init(trustRoots: .pemFile(certificates.caFile))))
            _ = try await connection.send(MetadataRequest(topics: nil))
            try await connection.close()
            #expect(broker.requests.filter { $0.hasPrefix("SaslAuthenticate") }.count == 2)
        }
    }

    @Test func tlsWithSystemTrustRootsRejectsThePrivateCA() async throws {
        try await TestKafkaBroker.with(try Self.tlsBroker()) { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "localhost", port: broker.port, configuration: Self.configuration(nil, tls: .init()))
            }
            #expect(error?.code == .tlsFailed)
            #expect(error?.broker == "localhost:\(broker.port)")
            #expect(error?.message.contains("system trust roots") == true)
            #expect(error?.message.uppercased().contains("CERTIFICATE") == true)
        }
    }

    /// A certificate for "localhost" does not do for another name, nor for the address
    /// 127.0.0.1 when no server name is given.
    @Test(arguments: [("localhost", "wrong.example.com"), ("127.0.0.1", "wrong.example.com"), ("127.0.0.1", nil)])
    func tlsWithAWrongServerNameFails(_ host: String, _ serverName: String?) async throws {
        let certificates = try TestCertificates.shared()
        try await TestKafkaBroker.with(try Self.tlsBroker()) { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: host, port: broker.port,
                    configuration: Self.configuration(
                        nil, tls: .init(trustRoots: .pemFile(certificates.caFile), serverName: serverName)))
            }
            #expect(error?.code == .tlsFailed)
            #expect(error?.message.contains("name '\(serverName ?? host)'") == true)
            #expect(broker.requests.isEmpty)
        }
    }

    @Test func tlsVerificationNoneAcceptsAnyCertificate() async throws {
        try await TestKafkaBroker.with(try Self.tlsBroker()) { broker in
            let connection = try await KafkaConnection.connect(
                host: "127.0.0.1", port: broker.port,
                configuration: Self.configuration(nil, tls: .init(serverName: "wrong.example.com", verification: .none)))
            _ = try await connection.send(MetadataRequest(topics: nil))
            try await connection.close()
        }
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let certificates = try TestCertificates.shared()
        try await TestKafkaBroker.with(try Self.tlsBroker(requireClientCertificate: true)) { broker in
            var tls = KafkaTLSConfiguration(trustRoots: .pemFile(certificates.caFile))
            // Without a client certificate the broker ends the handshake (TLS 1.3 reports it
            // after the client's side is done, so the failure may surface on the request).
            await #expect(throws: KafkaConnectionError.self) {
                let connection = try await KafkaConnection.connect(
                    host: "localhost", port: broker.port, configuration: Self.configuration(nil, tls: tls))
                _ = try await connection.send(MetadataRequest(topics: nil))
            }
            tls.clientCertificate = .init(
                certificateChainFile: certificates.clientCertificateFile, privateKeyFile: certificates.clientKeyFile)
            let connection = try await KafkaConnection.connect(
                host: "localhost", port: broker.port, configuration: Self.configuration(nil, tls: tls))
            _ = try await connection.send(MetadataRequest(topics: nil))
            try await connection.close()
        }
    }

    @Test func tlsToAPlaintextListenerFailsClearly() async throws {
        let certificates = try TestCertificates.shared()
        var options = TestKafkaBroker.Options()
        options.mechanisms = []
        try await TestKafkaBroker.with(options) { broker in
            let error = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port,
                    configuration: Self.configuration(nil, tls: .init(trustRoots: .pemFile(certificates.caFile))))
            }
            #expect(error?.code == .tlsFailed || error?.code == .connectionClosed)
        }
    }

    @Test func unreadableCAFileIsAConfigurationError() async throws {
        let error = await #expect(throws: KafkaConnectionError.self) {
            _ = try await KafkaConnection.connect(
                host: "127.0.0.1", port: 1,
                configuration: Self.configuration(nil, tls: .init(trustRoots: .pemFile("/nonexistent/freshet-ca.pem"))))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("/nonexistent/freshet-ca.pem") == true)
    }

    // MARK: Tansu

    /// Tansu 0.6 with `--authentication` accepts SaslHandshake for SCRAM-SHA-256/512 (and
    /// OAUTHBEARER) and closes the connection, without an answer, for PLAIN. It cannot be
    /// given a user with in-memory storage (it refuses AlterUserScramCredentials before
    /// authentication), so against it we check the handshake and a rejected login; the
    /// successful exchanges are covered by the in-test broker above.
    @Test func tansuRefusesPlainAndRejectsAnUnknownSCRAMUser() async throws {
        // Generous timeouts: a real broker on a loaded CI machine, and the test is about what
        // Tansu answers, not how fast (alone it takes well under a second).
        try await TansuBroker.with(arguments: ["--authentication"]) { broker in
            let plain = await #expect(throws: KafkaConnectionError.self) {
                _ = try await KafkaConnection.connect(
                    host: "127.0.0.1", port: broker.port, configuration: Self.configuration(.plain, timeout: 60))
            }
            #expect(plain?.code == .connectionClosed)
            #expect(plain?.message.contains("SaslHandshake for PLAIN") == true)
            for mechanism in [KafkaSASLConfiguration.Mechanism.scramSHA256, .scramSHA512] {
                let error = await #expect(throws: KafkaConnectionError.self) {
                    _ = try await KafkaConnection.connect(
                        host: "127.0.0.1", port: broker.port, configuration: Self.configuration(mechanism, username: "nobody", timeout: 60))
                }
                #expect(error?.code == .authenticationFailed, "\(mechanism): \(String(describing: error))")
            }
        }
    }
}
