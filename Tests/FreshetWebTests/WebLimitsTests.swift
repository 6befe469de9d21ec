import AsyncHTTPClient
import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What one client may hold: request time, body size, answer size.
@Suite("Web server limits")
struct WebLimitsTests {
    /// `/api/topics/{name}/messages?limit=500` used to gather limit × partitions × up to 1 MiB
    /// before trimming; now it gathers at most `messagesMaxBytes`, cutting long values.
    @Test func topicMessagesAreBoundedByBytes() async throws {
        try await withFixture { f in
            try await f.broker.createTopic("big", config: TopicConfig())
            let value = [UInt8](repeating: UInt8(ascii: "v"), count: 900_000)
            for i in 0..<12 {
                _ = try await f.broker.produce(topic: "big", records: [ProducerRecord(key: Array("k\(i)".utf8), value: value)])
            }
            var configuration = WebConfiguration(port: 0)
            configuration.messagesMaxBytes = 256 << 10
            let app = Application(router: f.server(configuration).makeRouter())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/topics/big/messages?limit=500", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.readableBytes < 2 * (256 << 10))
                    let messages = try #require(try json(response.body) as? [[String: Any]])
                    #expect(!messages.isEmpty)
                    for message in messages {
                        #expect(message["truncated"] as? Bool == true)
                        #expect(message["value_bytes"] as? Int == 900_000)
                        #expect(((message["value"] as? String)?.utf8.count ?? .max) <= 256 << 10)
                    }
                }
                // Small records are untouched and all come back.
                try await client.execute(uri: "/api/topics/users_created/messages?limit=500", method: .get) { response in
                    let messages = try #require(try json(response.body) as? [[String: Any]])
                    #expect(messages.count == 300)
                    #expect(messages.allSatisfy { $0["truncated"] == nil })
                }
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await withFixture { f in
            var configuration = WebConfiguration(port: 0, token: "t")
            configuration.maxBodyBytes = 1024
            let app = Application(router: f.server(configuration).makeRouter())
            try await app.test(.router) { client in
                let body = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: " "), count: 4096))
                try await client.execute(
                    uri: "/api/dags/user_automation/runs", method: .post, headers: [.authorization: "Bearer t", .contentType: "application/json"], body: body
                ) { response in
                    #expect(response.status == .contentTooLarge)
                    let answer = try #require(try json(response.body) as? [String: Any])
                    #expect((answer["error"] as? String)?.contains("web.max_body_bytes") == true)
                }
            }
        }
    }

    /// A client that never finishes its headers used to hold a connection for ever (500 of them
    /// exhaust the server). With one connection allowed and a short request timeout, the slow
    /// client is disconnected and the next client is served.
    @Test func aClientThatNeverFinishesItsHeadersIsShedAndOthersAreServed() async throws {
        try await withFixture { f in
            var configuration = WebConfiguration(port: 0)
            configuration.maxConnections = 1
            configuration.requestTimeout = .milliseconds(300)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "test.web")
            logger.logLevel = .critical
            let app = f.server(configuration).makeApplication(logger: logger) { continuation.yield($0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let slow = try connect(port: port)
                defer { close(slow) }
                _ = "GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".withCString { send(slow, $0, strlen($0), 0) }
                // The server closes the slow connection: read returns 0 (EOF), not data.
                let closed = await Task.detached { readUntilClosed(slow) }.value
                #expect(closed)
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(30))
                #expect(response.status == .ok)
                group.cancelAll()
            }
        }
    }

    @Test func queryParameters() {
        let p = WebQuery.Parameters(query: "limit=5&limit=7&cursor=%ZZ&a+b=c%20d&&=x")
        #expect(p["limit"] == "5")
        #expect(p["cursor"] == nil)
        #expect(p["a b"] == "c d")
        #expect(WebQuery.messages(p) == .success(5))
        #expect(
            WebQuery.messages(.init(query: "limit=501")) == .failure(.init(parameter: "limit", message: "limit must be an integer from 1 to 500; got '501'")))
        #expect(WebQuery.users(.init(query: "limit=99999999999999999999999999")).isFailure)
        #expect(
            WebQuery.users(.init(query: "cursor=55d52592-02d2-4ffc-85b5-522e726444c5"))
                == .success(.init(limit: 50, cursor: "55d52592-02d2-4ffc-85b5-522e726444c5")))
        #expect(WebQuery.topic("users_created.dlq").isSuccess && WebQuery.topic("../etc").isFailure && WebQuery.topic("").isFailure)
        #expect(WebQuery.Parameters(query: String(repeating: "a=1&", count: 5000)).values.count <= WebQuery.maxPairs)
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
    var isFailure: Bool { !isSuccess }
}

struct SocketError: Error { let call: String }

/// A blocking TCP connection to 127.0.0.1:`port`, with a 30 s receive timeout as a safety net.
func connect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketError(call: "socket") }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else {
        close(fd)
        throw SocketError(call: "connect")
    }
    return fd
}

/// Reads until the peer closes (true) or the receive timeout or an error (false).
func readUntilClosed(_ fd: Int32) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n == 0 { return true }
        if n < 0 { return errno == ECONNRESET }
    }
}
