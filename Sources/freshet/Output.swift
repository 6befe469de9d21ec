#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thrown when stdout's reader went away (e.g. `freshet fetch | head`): a quiet, successful end.
struct OutputClosed: Error {}

/// Unbuffered writes of whole chunks to a file descriptor.
struct FileHandleOutput: Sendable {
    let fd: Int32

    static let standardOutput = FileHandleOutput(fd: 1)
    static let standardError = FileHandleOutput(fd: 2)

    var isTerminal: Bool { isatty(fd) == 1 }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw OutputClosed() }
                    throw OutputError(message: "cannot write to \(fd == 1 ? "stdout" : "fd \(fd)"): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    func writeLine(_ text: String) {
        try? write(Array((text + "\n").utf8))
    }
}

struct OutputError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
