import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The built `freshet` executable: `FRESHET_BIN`, or `.build/debug/freshet` next to the tests.
public func freshetExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["FRESHET_BIN"] {
        return URL(fileURLWithPath: path)
    }
    var candidates: [URL] = []
    // The test runner lives in the build products folder, next to the executable.
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = runner.deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("freshet"))
        dir = dir.deletingLastPathComponent()
    }
    candidates.append(Fixtures.repositoryRoot.appendingPathComponent(".build/debug/freshet"))
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    throw FixtureError(message: "the freshet executable was not found (looked in \(candidates.map(\.path))); run `swift build` first or set FRESHET_BIN")
}

/// What every `freshet` a test starts gets in its environment (a test's own `environment`, or
/// a flag, overrides it): the schema registry on a free port rather than 8081, so that tests
/// running `freshet up` at the same time do not collide (as they pass `--web-port 0`).
public let testEnvironment = ["FRESHET_SCHEMA_REGISTRY_PORT": "0"]

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `freshet` with arguments and waits (up to `timeout` seconds) for it to exit.
///
/// Every wait on a child is asynchronous (a suspension, not a blocked thread): the test suites
/// run in parallel on a cooperative pool as wide as the machine has cores (two here), and a
/// blocked thread there stalls every other suite's timeouts.
public func runFreshet(
    _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], timeout: Double = 120
) async throws
    -> ProcessResult
{
    try await runProcess(try freshetExecutable(), arguments, stdin: stdin, environment: testEnvironment.merging(environment) { $1 }, timeout: timeout)
}

/// Runs a program found on PATH (e.g. `python3`, `chromium`); a missing program is an error
/// naming it, never a skipped check.
public func runTool(_ name: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 120) async throws -> ProcessResult {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    guard let path else { throw FixtureError(message: "\(name) is not installed (scripts/test installs it)") }
    return try await runProcess(path, arguments, stdin: stdin, timeout: timeout)
}

/// How often an asynchronous wait on a child looks at it again.
let childPollInterval = Duration.milliseconds(20)

/// The instant `seconds` from now; nil for an infinite (or absurdly long) wait.
func deadline(after seconds: Double) -> ContinuousClock.Instant? {
    guard seconds.isFinite, seconds < 86_400 * 365 else { return nil }
    return .now + .milliseconds(Int64(max(0, seconds) * 1000))
}

/// Waits, suspended, until `process` has exited or `timeout` seconds have passed; true if it exited.
public func waitForExit(of process: Process, timeout: Double = .infinity) async -> Bool {
    let deadline = deadline(after: timeout)
    while process.isRunning {
        if let deadline, ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: childPollInterval)
    }
    process.waitUntilExit()  // exited already: collects the status without waiting
    return true
}

/// Stops a child that overstayed: SIGTERM, then SIGKILL if it is still there 10 s later;
/// returns once it has exited.
func terminateAndReap(_ process: Process) async {
    guard process.isRunning else { return }
    process.terminate()
    if await waitForExit(of: process, timeout: 10) { return }
    _ = Glibc.kill(process.processIdentifier, SIGKILL)
    _ = await waitForExit(of: process, timeout: .infinity)
}

/// Runs an executable and waits (up to `timeout` seconds, then SIGTERM) for it to exit.
///
/// stdin, stdout and stderr are files, not pipes: with many children started in parallel (the
/// test suites run concurrently), a pipe end can be inherited by an unrelated child spawned at
/// the same moment, and then EOF — of this child's input, or of its output to us — waits for
/// that other child to exit.
public func runProcess(
    _ executable: URL, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], timeout: Double = 120
) async throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inPath = scratch.appendingPathComponent("stdin").path
    let outPath = scratch.appendingPathComponent("stdout").path
    let errPath = scratch.appendingPathComponent("stderr").path
    guard FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data()),
        FileManager.default.createFile(atPath: outPath, contents: nil),
        FileManager.default.createFile(atPath: errPath, contents: nil),
        let input = FileHandle(forReadingAtPath: inPath), let output = FileHandle(forWritingAtPath: outPath),
        let errors = FileHandle(forWritingAtPath: errPath)
    else { throw FixtureError(message: "cannot create the child's stdio files in \(scratch.path)") }
    defer {
        try? input.close()
        try? output.close()
        try? errors.close()
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    if await !waitForExit(of: process, timeout: timeout) {
        await terminateAndReap(process)
    }
    process.waitUntilExit()  // exited already: collects the status without waiting
    let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
    let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
    return ProcessResult(status: process.terminationStatus, stdout: out, stderr: String(decoding: err, as: UTF8.self))
}

/// A long-running `freshet` child (a server), stopped with SIGTERM by `stop()`.
///
/// Its stdout is read by a Foundation handler off the cooperative pool into a buffer that
/// `line(containing:)` looks at; every wait here is a suspension. In a `defer` (which cannot
/// await), `sendTerminate()`/`sendKill()` signal the child without waiting for it.
public final class RunningFreshet: Sendable {
    public let process: Process
    let outPipe = Pipe()
    let errPipe = Pipe()
    /// Everything the child printed on stdout so far, and whether it closed it.
    private let output = ChildOutput()
    public let readyLine: String

    /// Starts the child and waits until a line of its stdout contains `readyMarker`; that line
    /// is `readyLine`. `environment` is added to this process's; with `stderrFile`, the child's
    /// stderr goes to that file (tests read its log lines) instead of a pipe.
    public init(
        _ arguments: [String], readyMarker: String, timeout: Double = 30, environment: [String: String] = [:],
        stderrFile: String? = nil
    ) async throws {
        process = Process()
        process.executableURL = try freshetExecutable()
        process.arguments = arguments
        process.standardOutput = outPipe
        if let stderrFile {
            _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
        } else {
            process.standardError = errPipe
        }
        process.environment = ProcessInfo.processInfo.environment.merging(testEnvironment.merging(environment) { $1 }) { $1 }
        let output = self.output
        outPipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.state.withLock { state in
                if chunk.isEmpty {
                    state.closed = true
                } else {
                    state.data.append(chunk)
                }
            }
            if chunk.isEmpty { handle.readabilityHandler = nil }
        }
        try process.run()
        do {
            readyLine = try await Self.line(containing: readyMarker, in: output, process: process, timeout: timeout)
        } catch {
            await terminateAndReap(process)
            throw error
        }
    }

    /// The first line of the child's stdout that contains `marker`, waiting up to `timeout`
    /// seconds for it to be printed.
    public func line(containing marker: String, timeout: Double = 30) async throws -> String {
        try await Self.line(containing: marker, in: output, process: process, timeout: timeout)
    }

    private static func line(
        containing marker: String, in output: ChildOutput, process: Process, timeout: Double
    ) async throws -> String {
        let deadline = deadline(after: timeout) ?? .now + .seconds(86_400)
        while true {
            let (text, closed) = output.state.withLock { (String(decoding: $0.data, as: UTF8.self), $0.closed) }
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line)
            }
            if closed || ContinuousClock.now >= deadline {
                throw FixtureError(
                    message:
                        "freshet \(process.arguments?.joined(separator: " ") ?? "") did not print '\(marker)'\(closed ? " (it closed its output)" : ""); stdout: \(text)"
                )
            }
            try await Task.sleep(for: childPollInterval)
        }
    }

    /// Resident memory of the child (`VmRSS`) and its peak (`VmHWM`), in bytes, from /proc.
    public func memory() throws -> (resident: Int, peak: Int) {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        func kilobytes(_ key: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .flatMap { $0.split(whereSeparator: \.isWhitespace).dropFirst().first }
                .flatMap { Int($0) }
        }
        guard let rss = kilobytes("VmRSS"), let hwm = kilobytes("VmHWM") else {
            throw FixtureError(message: "no VmRSS/VmHWM in /proc/\(process.processIdentifier)/status")
        }
        return (rss * 1024, hwm * 1024)
    }

    /// Sends SIGKILL (no chance to drain, commit or leave the group) and waits for exit.
    public func kill() async {
        sendKill()
        _ = await waitForExit(of: process, timeout: .infinity)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits for exit; returns the exit status.
    @discardableResult
    public func stop() async -> Int32 {
        sendTerminate()
        _ = await waitForExit(of: process, timeout: .infinity)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the child to exit on its own (up to `timeout` seconds; then stops it with
    /// SIGTERM); returns the exit status.
    @discardableResult
    public func exit(timeout: Double = 120) async -> Int32 {
        if await !waitForExit(of: process, timeout: timeout) { await terminateAndReap(process) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGTERM without waiting (for a `defer`).
    public func sendTerminate() {
        if process.isRunning { process.terminate() }
    }

    /// Sends SIGKILL without waiting (for a `defer`).
    public func sendKill() {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// A child's stdout as read so far, filled by a Foundation readability handler.
final class ChildOutput: Sendable {
    let state = Mutex<(data: Data, closed: Bool)>((Data(), false))
}
