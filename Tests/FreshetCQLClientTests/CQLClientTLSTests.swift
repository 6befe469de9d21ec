import FreshetCQL
import FreshetCQLClient
import FreshetCassandra
import FreshetTesting
import NIOCore
import NIOSSL
import Testing

/// The client over TLS, against the scripted node behind a certificate of the throwaway test
/// CA (made with the openssl CLI; a missing openssl fails these tests).
@Suite("CQL client over TLS")
struct CQLClientTLSTests {
    static func serverContext() throws -> NIOSSLContext {
        let certificates = try TestCertificates.shared()
        return try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.serverCertificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.serverKeyFile, format: .pem))))
    }

    static func clientTLS(trustingTheTestCA: Bool) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if trustingTheTestCA { tls.trustRoots = .file(try TestCertificates.shared().caFile) }
        return tls
    }

    @Test func connectsWithTheCAFileAndQueries() async throws {
        try await ScriptedCQLServer.with(tls: try Self.serverContext(), script: { _, _ in .pass }) { server in
            // The certificate names localhost, which the client verifies.
            let connection = try await CQLConnection.connect(
                host: "localhost", port: server.port, configuration: .init(tls: try Self.clientTLS(trustingTheTestCA: true)))
            let rows = try await connection.rows("SELECT release_version FROM system.local")
            #expect(rows.rows.count == 1)
            await connection.close()
        }
    }

    @Test func refusesANodeItCannotVerify() async throws {
        try await ScriptedCQLServer.with(tls: try Self.serverContext(), script: { _, _ in .pass }) { server in
            let error = await #expect(throws: CQLClientError.self) {
                _ = try await CQLConnection.connect(
                    host: "localhost", port: server.port, configuration: .init(tls: try Self.clientTLS(trustingTheTestCA: false)))
            }
            #expect(error?.code == .tlsFailed, "\(String(describing: error))")
            #expect(error?.host == "localhost:\(server.port)")
        }
    }

    @Test func theSinkURLTakesACAFile() throws {
        let configuration = try CassandraSinkConfiguration(url: "cassandra://db1:9142?tls_ca=/etc/cassandra/ca.pem")
        #expect(configuration.tls)
        #expect(configuration.tlsCAFile == "/etc/cassandra/ca.pem")
        let error = #expect(throws: CassandraSinkError.self) { try CassandraSinkConfiguration(url: "cassandra://db1?tls_ca=") }
        #expect(error?.parameter == "tls_ca")
    }
}
