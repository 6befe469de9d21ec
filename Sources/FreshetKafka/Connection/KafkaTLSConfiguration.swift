import NIOCore
import NIOSSL

/// TLS for a Kafka connection (a broker's SSL or SASL_SSL listener).
///
/// The defaults verify the broker's certificate fully against the system trust roots and
/// the host passed to `KafkaConnection.connect`.
public struct KafkaTLSConfiguration: Sendable, Hashable {
    /// Where the certificates that may sign the broker's certificate come from.
    public struct TrustRoots: Sendable, Hashable, CustomStringConvertible {
        enum Base: Sendable, Hashable {
            case system
            case pemFile(String)
        }

        let base: Base

        /// The operating system's trust store.
        public static let system = TrustRoots(base: .system)
        /// The certificates in a PEM file, e.g. the CA of a private cluster. Only these are
        /// trusted, not the system's.
        public static func pemFile(_ path: String) -> TrustRoots { TrustRoots(base: .pemFile(path)) }

        public var description: String {
            switch base {
            case .system: "the system trust roots"
            case .pemFile(let path): "the CA file \(path)"
            }
        }
    }

    /// A client certificate, for brokers that authenticate clients by TLS (mTLS).
    public struct ClientCertificate: Sendable, Hashable {
        /// PEM file holding the client certificate, optionally followed by intermediates.
        public var certificateChainFile: String
        /// PEM file holding the certificate's private key, unencrypted.
        public var privateKeyFile: String

        public init(certificateChainFile: String, privateKeyFile: String) {
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
        }
    }

    /// How much of the broker's certificate is checked.
    public struct Verification: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case full
            case noHostnameVerification
            case none
        }

        let base: Base

        /// The chain must lead to a trust root and the certificate must name the server.
        public static let full = Verification(base: .full)
        /// The chain must lead to a trust root; the name is not checked.
        public static let noHostnameVerification = Verification(base: .noHostnameVerification)
        /// Nothing is checked: anyone on the path can read and change the traffic. For tests
        /// against throwaway brokers only.
        public static let none = Verification(base: .none)

        public var description: String { base.rawValue }
    }

    /// Defaults to `.system`.
    public var trustRoots: TrustRoots
    /// Defaults to nil (no client certificate).
    public var clientCertificate: ClientCertificate?
    /// The name sent in SNI and matched against the certificate. Defaults to nil: the host
    /// passed to `connect`. A certificate that names the IP address connected to is
    /// accepted too (NIOSSL's rule); an IP address is never sent in SNI.
    public var serverName: String?
    /// Defaults to `.full`.
    public var verification: Verification

    public init(
        trustRoots: TrustRoots = .system, clientCertificate: ClientCertificate? = nil, serverName: String? = nil,
        verification: Verification = .full
    ) {
        self.trustRoots = trustRoots
        self.clientCertificate = clientCertificate
        self.serverName = serverName
        self.verification = verification
    }

    /// The name to verify for a connection to `host`.
    func expectedServerName(host: String) -> String { serverName ?? host }

    /// The name to send in SNI: none for an IP address, which NIOSSL then matches against
    /// the certificate's IP addresses.
    func sniName(host: String) -> String? {
        let name = expectedServerName(host: host)
        let isIPAddress = (try? SocketAddress(ipAddress: name, port: 0)) != nil
        return isIPAddress ? nil : name
    }

    /// Builds the NIOSSL context, reading the PEM files.
    func makeSSLContext(broker: String) throws(KafkaConnectionError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch verification.base {
        case .full: tls.certificateVerification = .fullVerification
        case .noHostnameVerification: tls.certificateVerification = .noHostnameVerification
        case .none: tls.certificateVerification = .none
        }
        do {
            switch trustRoots.base {
            case .system:
                tls.trustRoots = .default
            case .pemFile(let path):
                tls.trustRoots = .certificates(try Self.loadCertificates(path, what: "CA file"))
            }
            if let client = clientCertificate {
                let chain = try Self.loadCertificates(client.certificateChainFile, what: "client certificate file")
                tls.certificateChain = chain.map { .certificate($0) }
                do {
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: client.privateKeyFile, format: .pem))
                } catch {
                    throw Invalid(message: "cannot read the client private key file \(client.privateKeyFile) (unencrypted PEM expected): \(error)")
                }
            }
            return try NIOSSLContext(configuration: tls)
        } catch let error as Invalid {
            throw KafkaConnectionError(code: .invalidConfiguration, message: error.message, broker: broker)
        } catch {
            throw KafkaConnectionError(code: .invalidConfiguration, message: "cannot set up TLS: \(error)", broker: broker)
        }
    }

    private struct Invalid: Error {
        var message: String
    }

    private static func loadCertificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw Invalid(message: "cannot read the \(what) \(path) (PEM expected): \(error)")
        }
        guard !certificates.isEmpty else { throw Invalid(message: "the \(what) \(path) holds no PEM certificate") }
        return certificates
    }

    /// A TLS failure raised in the pipeline, as a connection error naming the broker and
    /// what to check; nil if `error` is not one of the handshake's.
    func handshakeError(_ error: any Error, host: String, broker: String) -> KafkaConnectionError? {
        let reason: String
        switch error {
        case NIOSSLError.handshakeFailed(let underlying):
            reason = "\(underlying)"
        case let error as NIOSSLExtraError:
            reason = "\(error)"
        case NIOSSLError.uncleanShutdown, NIOSSLError.unableToValidateCertificate, NIOSSLError.noCertificateToValidate,
            NIOSSLError.cannotFindPeerIP:
            reason = "\(error)"
        default:
            return nil
        }
        let checks =
            verification == .none
            ? "verification is off"
            : "the certificate must be signed by \(trustRoots)"
                + (verification == .full ? " and name '\(expectedServerName(host: host))'" : "")
        return KafkaConnectionError(
            code: .tlsFailed, message: "TLS handshake failed (\(checks)): \(reason)", broker: broker)
    }
}
