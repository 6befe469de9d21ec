/// SASL authentication of a Kafka connection: after ApiVersions, the connection sends
/// SaslHandshake v1 with the mechanism, then SaslAuthenticate rounds (KIP-43, KIP-152).
///
/// The password never appears in `description`, `debugDescription`, mirrors (`dump`) or
/// errors.
public struct KafkaSASLConfiguration: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// A SASL mechanism Freshet implements.
    public struct Mechanism: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case plain = "PLAIN"
            case scramSHA256 = "SCRAM-SHA-256"
            case scramSHA512 = "SCRAM-SHA-512"
        }

        let base: Base

        /// PLAIN (RFC 4616): the password travels as is, so use it over TLS only.
        public static let plain = Mechanism(base: .plain)
        /// SCRAM-SHA-256 (RFC 5802, RFC 7677): the password never leaves the client.
        public static let scramSHA256 = Mechanism(base: .scramSHA256)
        /// SCRAM-SHA-512 (RFC 5802), as Kafka names it.
        public static let scramSHA512 = Mechanism(base: .scramSHA512)

        /// The name sent in SaslHandshake, e.g. "SCRAM-SHA-256".
        public var name: String { base.rawValue }
        public var description: String { name }
    }

    /// Defaults to SCRAM-SHA-512.
    public var mechanism: Mechanism
    public var username: String
    /// Used as UTF-8 bytes (no SASLprep normalization, as Kafka's own clients do).
    public var password: String
    /// Largest SCRAM iteration count accepted from the broker's server-first message: each
    /// iteration is two HMACs, so a hostile broker asking for 2^31 would keep a core busy for
    /// an hour. Kafka's own maximum is 16,384. URL key `sasl_max_iterations`. Defaults to 100,000.
    public var maximumSCRAMIterations: Int = 100_000

    public init(mechanism: Mechanism = .scramSHA512, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    public var description: String {
        "KafkaSASLConfiguration(mechanism: \(mechanism), username: \"\(username)\", password: <redacted>)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["mechanism": mechanism, "username": username, "password": "<redacted>"], displayStyle: .struct)
    }
}
