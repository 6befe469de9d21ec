import Foundation
import FreshetCQL
import FreshetCQLServer
import FreshetContracts
import FreshetCore
import FreshetStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

/// The endpoint over a real socket, driven frame by frame.
@Suite("CQL endpoint on the wire", .serialized)
struct CQLEndpointWireTests {
    /// A raw client: writes bytes, collects response frames.
    final class RawClient {
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        /// The inbound stream allows one iterator.
        var frames: NIOAsyncChannelInboundStream<CQLFrame>.AsyncIterator

        init(inbound: NIOAsyncChannelInboundStream<CQLFrame>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
            self.outbound = outbound
            self.frames = inbound.makeAsyncIterator()
        }

        /// Connects, runs `body`, and closes the connection.
        static func with<T>(port: Int, _ body: (RawClient) async throws -> T) async throws -> T {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CQLFrameByteToMessageDecoder()))
                        return try NIOAsyncChannel<CQLFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await body(RawClient(inbound: inbound, outbound: outbound))
            }
        }

        /// Frames until the server closes the connection.
        func remainingFrames() async -> Int {
            var count = 0
            while let frame = try? await frames.next() {
                _ = frame
                count += 1
            }
            return count
        }

        /// Sends `requests` in one write and reads `count` responses, in arrival order.
        func exchange(_ requests: [CQLRequestFrame], expecting count: Int) async throws -> [CQLResponseFrame] {
            var bytes = ByteBuffer()
            for request in requests {
                var encoded = try request.encoded()
                bytes.writeBuffer(&encoded)
            }
            return try await exchange(bytes, expecting: count)
        }

        func exchange(_ bytes: ByteBuffer, expecting count: Int) async throws -> [CQLResponseFrame] {
            try await outbound.write(bytes)
            var responses: [CQLResponseFrame] = []
            while responses.count < count, let frame = try await frames.next() {
                responses.append(try CQLResponseFrame(decoding: frame))
            }
            return responses
        }
    }

    /// With one request in flight per connection the rest wait in the socket, and all are answered.
    @Test(arguments: [128, 1])
    func multiplexedStreamsAreAnsweredOnTheirStreams(maxInFlight: Int) async throws {
        try await CQLEndpointFixture.with(rows: 50, maxInFlight: maxInFlight) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                let startup = try await client.exchange(
                    [CQLRequestFrame(streamID: 5, request: .options), CQLRequestFrame(streamID: 6, request: .startup(options: ["CQL_VERSION": "3.0.0"]))],
                    expecting: 2)
                #expect(startup.map(\.streamID) == [5, 6])
                #expect(startup.last?.response == .ready)

                // Many queries in one write, each on its own stream; storage reads finish in any order.
                let ids = fixture.rows.prefix(40).map(\.id)
                var requests = ids.enumerated().map { i, id in
                    CQLRequestFrame(
                        streamID: Int16(100 + i), request: .query("SELECT id FROM spark_streams.created_users WHERE id = '\(id)'", parameters: .init()))
                }
                requests.append(CQLRequestFrame(streamID: 99, request: .query("SELECT COUNT(*) FROM spark_streams.created_users", parameters: .init())))
                requests.append(CQLRequestFrame(streamID: 98, request: .query("SELECT nonsense", parameters: .init())))
                let responses = try await client.exchange(requests, expecting: requests.count)
                #expect(Set(responses.map(\.streamID)) == Set(requests.map(\.streamID)))
                for response in responses {
                    switch response.streamID {
                    case 99:
                        guard case .result(.rows(let rows)) = response.response else {
                            Issue.record("COUNT: \(response.response)")
                            continue
                        }
                        #expect(try rows.decodedRows() == [[.bigint(50)]])
                    case 98:
                        guard case .error(let error) = response.response else {
                            Issue.record("nonsense: \(response.response)")
                            continue
                        }
                        #expect(error.code == .syntaxError)
                    default:
                        guard case .result(.rows(let rows)) = response.response else {
                            Issue.record("\(response.response)")
                            continue
                        }
                        #expect(try rows.decodedRows() == [[.text(ids[Int(response.streamID) - 100])]])
                    }
                }
            }
        }
    }

    @Test(arguments: [UInt8(3), 5, 66])
    func otherVersionsGetTheDowngradeAnswerAndAClose(version: UInt8) async throws {
        try await CQLEndpointFixture.with(rows: 1) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                // An OPTIONS frame of `version` on stream 3.
                let responses = try await client.exchange(ByteBuffer(bytes: [version, 0, 0, 3, CQLOpcode.options.rawValue, 0, 0, 0, 0]), expecting: 1)
                #expect(responses.first?.streamID == 3)
                guard case .error(let error)? = responses.first?.response else {
                    Issue.record("expected an ERROR, got \(responses)")
                    return
                }
                #expect(error.code == .protocolError && error.message.contains("unsupported protocol version"))
                // The server closes the connection after the answer.
                #expect(await client.remainingFrames() == 0)
            }
        }
    }

    @Test func gracefulShutdownStopsTheService() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cql-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLiteStore.open(.init(path: SQLiteStore.path(dataDirectory: directory)))
        try await store.prepare()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = CQLServer(configuration: .init(port: 0), queries: store, sink: nil, logger: logger, onListening: { continuation.yield($0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await RawClient.with(port: port) { client in
                let ready = try await client.exchange([CQLRequestFrame(streamID: 1, request: .startup(options: ["CQL_VERSION": "3.0.0"]))], expecting: 1)
                #expect(ready.first?.response == .ready)
                // A read-only endpoint refuses writes.
                let insert = try await client.exchange(
                    [CQLRequestFrame(streamID: 2, request: .query("INSERT INTO spark_streams.created_users (id) VALUES ('x')", parameters: .init()))],
                    expecting: 1)
                if case .error(let error)? = insert.first?.response {
                    #expect(error.code == .unauthorized)
                } else {
                    Issue.record("INSERT into a read-only endpoint: \(insert)")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(await client.remainingFrames() == 0)
            }
        }
        try await store.close()
    }

    @Test func stoppingTheServerClosesOpenConnections() async throws {
        let fixture = try await CQLEndpointFixture.start(rows: 1)
        try await RawClient.with(port: fixture.port) { client in
            let ready = try await client.exchange([CQLRequestFrame(streamID: 1, request: .startup(options: ["CQL_VERSION": "3.0.0"]))], expecting: 1)
            #expect(ready.first?.response == .ready)
            try await fixture.stop()
            // The idle connection ends: the inbound stream finishes rather than hanging.
            #expect(await client.remainingFrames() == 0)
        }
    }

    // MARK: Hostile clients

    static let startup = CQLRequestFrame(streamID: 1, request: .startup(options: ["CQL_VERSION": "3.0.0"]))

    static func query(_ text: String, stream: Int16, pageSize: Int32? = nil, pagingState: ByteBuffer? = nil) -> CQLRequestFrame {
        CQLRequestFrame(streamID: stream, request: .query(text, parameters: .init(pageSize: pageSize, pagingState: pagingState)))
    }

    static func count(_ client: RawClient, stream: Int16 = 7) async throws -> CQLValue? {
        let answer = try await client.exchange([query("SELECT COUNT(*) FROM spark_streams.created_users", stream: stream)], expecting: 1)
        guard case .result(.rows(let rows))? = answer.first?.response else {
            Issue.record("COUNT(*): \(answer)")
            return nil
        }
        return try rows.decodedRows().first?.first ?? nil
    }

    /// The crashes confirmed against `freshet up` are answered on their streams, and the
    /// connection keeps serving.
    @Test func theConfirmedCrashesAreAnsweredAndTheConnectionStays() async throws {
        try await CQLEndpointFixture.with(rows: 10) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                _ = try await client.exchange([Self.startup], expecting: 1)
                let markers = "SELECT * FROM spark_streams.created_users WHERE id = ?" + String(repeating: " AND id = ?", count: 65_536)
                let attacks: [(CQLRequest, CQLErrorCode, String)] = [
                    (
                        .query("SELECT * FROM spark_streams.created_users WHERE ingested_at = '2020-01-01 00:00:00.1234'", parameters: .init()), .invalid,
                        "partition key"
                    ),
                    (
                        .query("SELECT * FROM spark_streams.created_users WHERE id = " + String(repeating: "[", count: 10_000), parameters: .init()),
                        .syntaxError, "nests deeper"
                    ),
                    (
                        .query(
                            "CREATE TABLE spark_streams.x (x " + String(repeating: "frozen<", count: 4_000) + "int" + String(repeating: ">", count: 4_000)
                                + " PRIMARY KEY)", parameters: .init()), .syntaxError, "nests deeper"
                    ),
                    (.prepare(markers), .invalid, "byte limit"),
                ]
                for (i, attack) in attacks.enumerated() {
                    let stream = Int16(10 + i)
                    let answer = try await client.exchange([CQLRequestFrame(streamID: stream, request: attack.0)], expecting: 1)
                    #expect(answer.first?.streamID == stream)
                    guard case .error(let error)? = answer.first?.response else {
                        Issue.record("attack \(i): \(answer)")
                        continue
                    }
                    #expect(error.code == attack.1 && error.message.contains(attack.2), "attack \(i): \(error)")
                }
                #expect(try await Self.count(client) == .bigint(10))
            }
        }
    }

    @Test func connectionsBeyondTheLimitAreClosedAndTheOthersServed() async throws {
        let logs = CQLLogCapture()
        try await CQLEndpointFixture.with(rows: 5, configure: { $0.maxConnections = 2 }, logs: logs) { fixture in
            try await RawClient.with(port: fixture.port) { first in
                _ = try await first.exchange([Self.startup], expecting: 1)
                try await RawClient.with(port: fixture.port) { second in
                    _ = try await second.exchange([Self.startup], expecting: 1)
                    // Closed at once: the stream ends without an answer (or the channel is closed before
                    // the client has set it up).
                    let unanswered: Bool
                    do {
                        unanswered = try await RawClient.with(port: fixture.port) { third in
                            try? await third.outbound.write(try Self.startup.encoded())
                            return await third.remainingFrames() == 0
                        }
                    } catch let error as ChannelError where error == .ioOnClosedChannel {
                        unanswered = true
                    }
                    #expect(unanswered)
                    #expect(await logs.first(containing: "CQL connection refused: 2 connections are open") != nil)
                    #expect(try await Self.count(first) == .bigint(5))
                    #expect(try await Self.count(second) == .bigint(5))
                }
            }
            // A slot freed by a closed connection is available again, once the server has seen
            // the close (it counts a connection until its task ends, which races the client).
            var served = false
            for _ in 0..<100 where !served {
                do {
                    served = try await RawClient.with(port: fixture.port) { again in
                        guard try await again.exchange([Self.startup], expecting: 1).count == 1 else { return false }
                        #expect(try await Self.count(again) == .bigint(5))
                        return true
                    }
                } catch let error as ChannelError where error == .ioOnClosedChannel {
                    served = false
                }
                if !served { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(served, "no connection was served after the first two closed")
        }
    }

    /// A client that sends part of a frame and stops (15 MiB frames held 600 MB on 40 connections).
    @Test func aHalfSentFrameIsClosedAfterTheReadTimeout() async throws {
        let logs = CQLLogCapture()
        try await CQLEndpointFixture.with(rows: 1, configure: { $0.frameReadTimeout = .milliseconds(200) }, logs: logs) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                _ = try await client.exchange([Self.startup], expecting: 1)
                var bytes = ByteBuffer()
                CQLFrameHeader(direction: .request, streamID: 2, opcode: .query, bodyLength: 512 * 1024).encode(into: &bytes)
                bytes.writeRepeatingByte(0, count: 1024)
                try await client.outbound.write(bytes)
                #expect(await logs.first(containing: "frame read timeout") != nil)
                #expect(await client.remainingFrames() == 0)
            }
        }
    }

    @Test func aFrameLongerThanTheLimitIsRefusedAtItsHeader() async throws {
        try await CQLEndpointFixture.with(rows: 1) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                _ = try await client.exchange([Self.startup], expecting: 1)
                var bytes = ByteBuffer()
                CQLFrameHeader(direction: .request, streamID: 3, opcode: .query, bodyLength: 15 << 20).encode(into: &bytes)
                let answer = try await client.exchange(bytes, expecting: 1)
                guard case .error(let error)? = answer.first?.response else {
                    Issue.record("\(answer)")
                    return
                }
                #expect(answer.first?.streamID == 3)
                #expect(error.code == .protocolError && error.message.contains("outside 0...1048576"), "\(error)")
                #expect(await client.remainingFrames() == 0)
            }
        }
    }

    @Test func anIdleConnectionIsClosed() async throws {
        let logs = CQLLogCapture()
        try await CQLEndpointFixture.with(rows: 1, configure: { $0.idleTimeout = .milliseconds(300) }, logs: logs) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                _ = try await client.exchange([Self.startup], expecting: 1)
                #expect(await logs.first(containing: "idle timeout") != nil)
                #expect(await client.remainingFrames() == 0)
            }
        }
    }

    /// An unpaged `SELECT *` materialised the whole table; now the server pages it.
    @Test func anUnpagedSelectIsPagedByTheServer() async throws {
        try await CQLEndpointFixture.with(rows: 2_000, configure: { $0.queryLimits.maximumPageBytes = 256 * 1024 }) { fixture in
            try await RawClient.with(port: fixture.port) { client in
                _ = try await client.exchange([Self.startup], expecting: 1)
                var ids = Set<String>()
                var state: ByteBuffer?
                var pages = 0
                repeat {
                    let answer = try await client.exchange(
                        [Self.query("SELECT * FROM spark_streams.created_users", stream: 20, pagingState: state)], expecting: 1)
                    guard case .result(.rows(let rows))? = answer.first?.response else {
                        Issue.record("\(answer)")
                        return
                    }
                    // 2,000 rows of about 450 bytes do not fit the 256 KiB a page holds.
                    #expect(rows.rows.count < 2_000)
                    var bytes = 0
                    for row in rows.rows {
                        for cell in row { bytes += 4 + (cell?.readableBytes ?? 0) }
                    }
                    #expect(bytes <= 256 * 1024 + 64 * 1024)
                    for row in try rows.decodedRows() { if case .text(let id)? = row.first { ids.insert(id) } }
                    state = rows.metadata.pagingState
                    pages += 1
                } while state != nil && pages < 100
                #expect(pages > 1)
                #expect(ids == Set(fixture.rows.map(\.id)))
            }
        }
    }

    /// Two clients that asked for pages and never read took 5.7 GB; now such a client is closed
    /// by the write timeout, and another client is served meanwhile.
    @Test func aClientThatDoesNotReadIsShedWhileAnotherIsServed() async throws {
        let logs = CQLLogCapture()
        try await CQLEndpointFixture.with(rows: 2_000, configure: { $0.writeTimeout = .milliseconds(300) }, logs: logs) { fixture in
            try await RawClient.with(port: fixture.port) { hog in
                _ = try await hog.exchange([Self.startup], expecting: 1)
                var bytes = ByteBuffer()
                for i in 0..<200 {
                    var frame = try Self.query("SELECT * FROM spark_streams.created_users", stream: Int16(100 + i)).encoded()
                    bytes.writeBuffer(&frame)
                }
                try await hog.outbound.write(bytes)
                try await RawClient.with(port: fixture.port) { other in
                    _ = try await other.exchange([Self.startup], expecting: 1)
                    #expect(try await Self.count(other) == .bigint(2_000))
                }
                #expect(await logs.first(containing: "(write timeout)") != nil)
                // What was in flight to the hog ends with the close, far short of 200 pages.
                #expect(await hog.remainingFrames() < 200)
            }
            try await RawClient.with(port: fixture.port) { after in
                _ = try await after.exchange([Self.startup], expecting: 1)
                #expect(try await Self.count(after) == .bigint(2_000))
            }
        }
    }
}
