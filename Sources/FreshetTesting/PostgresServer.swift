import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private, throwaway PostgreSQL cluster for integration tests: `initdb` into a fresh
/// temporary directory, `pg_ctl start` on a free loopback port (its Unix socket in that
/// directory too), a password user `freshet`, and `stop()` removes everything.
///
/// PostgreSQL refuses to run as root, and CI runs as root: then every `initdb`/`pg_ctl` runs as
/// an unprivileged user through `runuser -u USER --` — `postgres` when it exists (Debian's
/// package creates it), else `nobody` — and the temporary directory is created owned by that
/// user. As another user, the binaries run directly.
///
/// The binaries are found in `FRESHET_PG_BIN` (a directory), on `PATH`, or in Debian's
/// `/usr/lib/postgresql/<version>/bin` (newest version). scripts/test installs Debian's
/// `postgresql` package when none is found. A missing server is a test failure, never a skip.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let user = "freshet"
    public let password: String
    /// The OS user the server runs as (nil: the current user).
    public let osUser: String?
    private let binDirectory: String
    private let directory: String
    private let lock = NSLock()
    private var stopped = false

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// `postgres://freshet:PASSWORD@127.0.0.1:PORT/database`.
    public func url(database: String = "postgres") -> String {
        "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    private init(port: Int, password: String, osUser: String?, binDirectory: String, directory: String) {
        self.port = port
        self.password = password
        self.osUser = osUser
        self.binDirectory = binDirectory
        self.directory = directory
    }

    /// The directory holding `initdb`, `pg_ctl` and `postgres`, or throws saying how to install them.
    public static func binDirectory() throws -> String {
        let fm = FileManager.default
        func hasServer(_ dir: String) -> Bool {
            ["initdb", "pg_ctl", "postgres"].allSatisfy { fm.isExecutableFile(atPath: dir + "/" + $0) }
        }
        if let dir = ProcessInfo.processInfo.environment["FRESHET_PG_BIN"] {
            guard hasServer(dir) else { throw Failure("FRESHET_PG_BIN=\(dir) has no initdb, pg_ctl and postgres") }
            return dir
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) {
            let initdb = dir + "/initdb"
            guard fm.isExecutableFile(atPath: initdb) else { continue }
            // /usr/local/bin/initdb may be a symbolic link into the real bin directory.
            let real = URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
            if hasServer(real) { return real }
            if hasServer(dir) { return dir }
        }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where hasServer("/usr/lib/postgresql/\(version)/bin") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        throw Failure(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH, in /usr/lib/postgresql/*/bin or FRESHET_PG_BIN: "
                + "run scripts/test, which installs them with `apt-get install -y postgresql`")
    }

    /// Creates and starts a cluster; waits until it accepts connections.
    public static func start() throws -> PostgresServer {
        let bin = try binDirectory()
        let osUser: String? = getuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        // As root, /tmp rather than TMPDIR: the server's user must be able to reach the directory.
        let parent = osUser == nil ? FileManager.default.temporaryDirectory.path : "/tmp"
        var template = Array((parent + "/freshet-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure("mkdtemp failed: errno \(errno)") }
        let directory = String(cString: made)
        if let osUser {
            guard let entry = getpwnam(osUser), chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw Failure("cannot give \(directory) to user \(osUser)")
            }
        }
        let password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            let server = PostgresServer(port: port, password: password, osUser: osUser, binDirectory: bin, directory: directory)
            do {
                try server.initializeIfNeeded()
                try server.run(
                    "pg_ctl",
                    [
                        "-D", server.dataDirectory, "-l", server.logPath, "-w", "-t", "60", "start",
                        "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1",
                    ])
                return server
            } catch {
                lastError = "\(error)"
                _ = try? server.run("pg_ctl", ["-D", server.dataDirectory, "-m", "immediate", "stop"])
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw Failure("PostgreSQL did not start: \(lastError)")
    }

    var dataDirectory: String { directory + "/data" }
    var logPath: String { directory + "/server.log" }

    /// `initdb` with trust for the Unix socket and SCRAM passwords over TCP, superuser `freshet`.
    private func initializeIfNeeded() throws {
        guard !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return }
        let passwordFile = directory + "/password"
        guard FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw Failure("cannot write \(passwordFile)")
        }
        let common = [
            "-D", dataDirectory, "-U", user, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
        ]
        // A linguistic default collation (ICU en-US, as most production clusters have one), so
        // tests notice code that relies on byte order without asking for it. Builds without ICU
        // get the C.UTF-8 default.
        do {
            try run("initdb", common + ["--locale-provider=icu", "--icu-locale=en-US"])
        } catch {
            try? FileManager.default.removeItem(atPath: dataDirectory)
            try run("initdb", common)
        }
    }

    /// Runs one of the server's binaries as ``osUser``; throws with its output when it fails.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        try runAsServerUser(binDirectory + "/" + tool, arguments, what: tool)
    }

    private func runAsServerUser(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let argv = osUser.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        let (status, output) = try Self.spawnAndWait(argv + arguments, outputPath: directory + "/\(what)-\(UUID().uuidString).out")
        guard status == 0 else {
            throw Failure("\(what) \(arguments.joined(separator: " ")) failed (exit \(status)): \(output) \(log().suffix(2000))")
        }
        return output
    }

    /// posix_spawn and waitpid, output to a file. Not Foundation's `Process`: its child
    /// reaping missed `pg_ctl start` (which leaves a daemon behind) when two suites started
    /// servers at once, and `waitUntilExit()` hung.
    static func spawnAndWait(_ argv: [String], outputPath: String) throws -> (Int32, String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard spawned == 0 else { throw Failure("cannot run \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure("waitpid failed: errno \(errno)") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outputPath)
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    /// Creates a database (through `psql` on the cluster's socket) and returns its URL.
    public func createDatabase(_ name: String) throws -> String {
        let psql = ["/usr/bin/psql", binDirectory + "/psql"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let psql else { throw Failure("psql not found in /usr/bin or \(binDirectory)") }
        _ = try runAsServerUser(
            psql,
            [
                "-h", directory, "-p", String(port), "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \"\(name)\"",
            ], what: "psql")
        return url(database: name)
    }

    /// The server's log so far.
    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Stops the server at once and deletes the cluster. Idempotent.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a fresh cluster, stopping it afterwards.
    public static func with<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    // MARK: From async code
    // initdb, pg_ctl and psql take seconds; run synchronously they would hold one of Swift
    // concurrency's few cooperative threads (two on a 2-core machine) and starve every other
    // test meanwhile. These overloads wait for them on a Dispatch thread instead.

    /// ``start()`` off the cooperative thread pool.
    public static func start() async throws -> PostgresServer {
        try await offPool { try start() }
    }

    /// ``createDatabase(_:)`` off the cooperative thread pool.
    public func createDatabase(_ name: String) async throws -> String {
        try await Self.offPool { try self.createDatabase(name) }
    }

    /// ``stop()`` off the cooperative thread pool.
    public func stop() async {
        _ = try? await Self.offPool { self.stop() }
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    private static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Failure("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
