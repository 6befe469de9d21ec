import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client over a plain socket, for tests that must misbehave the way no real
/// client library would: send half a frame and stall, never read, send garbage, hold a
/// connection open. Every wait has a timeout.
public final class RawTCPConnection: @unchecked Sendable {
    public let port: Int
    private var fd: Int32

    /// Connects to `127.0.0.1:port`.
    public init(port: Int, timeout: Double = 10) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(message: "socket(): errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw FixtureError(message: "connect to 127.0.0.1:\(port): errno \(error)")
        }
    }

    /// Wraps an accepted socket (`RawTCPServer`).
    init(acceptedSocket: Int32, port: Int) {
        self.port = port
        fd = acceptedSocket
    }

    deinit { close() }

    /// Sends all of `bytes`. Throws when the peer has closed the connection (EPIPE, ECONNRESET)
    /// or when the peer's window stays full for `timeout` seconds.
    public func send(_ bytes: [UInt8], timeout: Double = 10) throws {
        var offset = 0
        let deadline = Date().addingTimeInterval(timeout)
        while offset < bytes.count {
            guard wait(for: Int16(POLLOUT), until: deadline) else {
                throw FixtureError(message: "send to port \(port): the peer's window stayed full for \(timeout) s (\(offset) of \(bytes.count) bytes sent)")
            }
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw FixtureError(message: "send to port \(port): errno \(errno)")
            }
            offset += n
        }
    }

    /// Whatever arrives within `timeout` seconds (at most `maximum` bytes); empty when the peer
    /// closed the connection, nil when nothing arrived in time.
    public func receive(maximum: Int = 1 << 16, timeout: Double = 10) throws -> [UInt8]? {
        guard wait(for: Int16(POLLIN), until: Date().addingTimeInterval(timeout)) else { return nil }
        var buffer = [UInt8](repeating: 0, count: maximum)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == ECONNRESET { return [] }
            throw FixtureError(message: "recv from port \(port): errno \(errno)")
        }
        return Array(buffer.prefix(n))
    }

    /// Exactly `count` bytes, or nil if the connection closed or `timeout` passed first.
    public func receive(exactly count: Int, timeout: Double = 10) throws -> [UInt8]? {
        var result: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while result.count < count {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let chunk = try receive(maximum: count - result.count, timeout: left), !chunk.isEmpty else { return nil }
            result += chunk
        }
        return result
    }

    /// Reads and discards input until the peer closes the connection; true if it did so within
    /// `timeout` seconds.
    public func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while deadline.timeIntervalSinceNow > 0 {
            do {
                guard let chunk = try receive(timeout: deadline.timeIntervalSinceNow) else { return false }
                if chunk.isEmpty { return true }
            } catch {
                return true  // reset or otherwise broken: closed by the peer
            }
        }
        return false
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private func wait(for events: Int16, until deadline: Date) -> Bool {
        while true {
            let left = deadline.timeIntervalSinceNow
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(0, min(left, 3600)) * 1000))
            if ready > 0 { return true }
            if ready == 0 { return false }
            if errno != EINTR { return true }  // let the read or write report the error
        }
    }
}

/// A TCP server on a free loopback port that hands each accepted connection to `handle` on a
/// thread of its own: a misbehaving peer (a broker that answers garbage, an API that sends a
/// 2 MiB person) in a few lines of a test.
public final class RawTCPServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32

    public init(handle: @escaping @Sendable (RawTCPConnection) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw FixtureError(message: "socket(): errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(listener)
            throw FixtureError(message: "cannot listen on a loopback port: errno \(errno)")
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        self.port = port
        Thread.detachNewThread {
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }  // closed by stop()
                let connection = RawTCPConnection(acceptedSocket: fd, port: port)
                Thread.detachNewThread { handle(connection) }
            }
        }
    }

    private let lock = NSLock()
    private var stopped = false

    /// Stops accepting (connections being handled run to their end).
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    deinit { stop() }
}
