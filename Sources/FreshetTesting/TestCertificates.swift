import Foundation

/// A throwaway CA, a server certificate for the name localhost (deliberately not for
/// 127.0.0.1: NIOSSL accepts a certificate naming the address it connected to, whatever
/// the server name, so an IP entry would hide name checks) and a client certificate,
/// made once per test run with the openssl CLI in a temporary directory. A missing openssl
/// is a test failure, not a skip (scripts/test installs it).
public struct TestCertificates: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var serverCertificateFile: String { directory + "/server.pem" }
    public var serverKeyFile: String { directory + "/server.key" }
    public var clientCertificateFile: String { directory + "/client.pem" }
    public var clientKeyFile: String { directory + "/client.key" }

    private static let made: Result<TestCertificates, Failure> = Result { try make() }.mapError {
        $0 as? Failure ?? Failure(description: "\($0)")
    }

    public static func shared() throws -> TestCertificates { try made.get() }

    private static func make() throws -> TestCertificates {
        guard
            let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw Failure(description: "the openssl CLI is missing: the TLS tests need it (apt-get install openssl; scripts/test installs it)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
            }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Freshet Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        for (name, subject, extensions) in [
            ("server", "/CN=localhost", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"),
            ("client", "/CN=freshet-client", "extendedKeyUsage=clientAuth\n"),
        ] {
            try (extensions + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
                .write(toFile: directory + "/\(name).ext", atomically: true, encoding: .utf8)
            try run(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
            ])
        }
        return TestCertificates(directory: directory)
    }
}
