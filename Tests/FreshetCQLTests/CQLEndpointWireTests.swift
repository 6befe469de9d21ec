import Foundation
import FreshetCQL
import FreshetCQLServer
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
                    CQLRequestFrame(streamID: Int16(100 + i), request: .query("SELECT id FROM spark_streams.created_users WHERE id = '\(id)'", parameters: .init()))
                }
                requests.append(CQLRequestFrame(streamID: 99, request: .query("SELECT COUNT(*) FROM spark_streams.created_users", parameters: .init())))
                requests.append(CQLRequestFrame(streamID: 98, request: .query("SELECT nonsense", parameters: .init())))
                let responses = try await client.exchange(requests, expecting: requests.count)
                #expect(Set(responses.map(\.streamID)) == Set(requests.map(\.streamID)))
                for response in responses {
                    switch response.streamID {
                    case 99:
                        guard case .result(.rows(let rows)) = response.response else { Issue.record("COUNT: \(response.response)"); continue }
                        #expect(try rows.decodedRows() == [[.bigint(50)]])
                    case 98:
                        guard case .error(let error) = response.response else { Issue.record("nonsense: \(response.response)"); continue }
                        #expect(error.code == .syntaxError)
                    default:
                        guard case .result(.rows(let rows)) = response.response else { Issue.record("\(response.response)"); continue }
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
                    [CQLRequestFrame(streamID: 2, request: .query("INSERT INTO spark_streams.created_users (id) VALUES ('x')", parameters: .init()))], expecting: 1)
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
}
