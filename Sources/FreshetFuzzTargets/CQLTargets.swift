import FreshetCQL
import FreshetCQLServer
import NIOCore

extension FuzzTargets {
    /// FreshetCQL's parsers: frames, request and response messages, statements.
    static let cql: [FuzzTarget] = [
        FuzzTarget(
            "cql-frame",
            "bytes drip-fed in pieces to CQLFrameDecoder and CQLConnectionGuard; each frame through CQLRequestFrame, the server connection state machine and the planner over the real catalog; every answer encoded"
        ) { bytes in
            CQLFuzz.frames(bytes)
        },
        FuzzTarget(
            "cql-statement",
            "text through the lexer and parser (default and small limits), the planner over the real catalog (query, prepare, execute and batch with bound bytes and default timestamps), literal conversion, timestamps, the created_users last-write-wins merge and keyed rows with write times",
            maxLength: 16 * 1024
        ) { bytes in
            CQLFuzz.statement(bytes)
        },
        FuzzTarget(
            "cql-response",
            "bytes as a node's responses: CQLFrameDecoder, CQLResponseFrame, rows decoded with their metadata, the client connection state machine with requests in flight, the token ring from decoded text"
        ) { bytes in
            CQLFuzz.responses(bytes)
        },
    ]
}

/// The bodies of the CQL fuzz targets.
enum CQLFuzz {
    static let catalog = CQLCatalog(userKeyspaces: [
        CQLKeyspaceDefinition.simpleStrategy(
            CreatedUsersCQLTable.keyspaceName, replicationFactor: 1,
            tables: [CreatedUsersCQLTable.definition] + SinkStateCQLTables.all)
    ])
    static let addresses = CQLSystemSchema.Addresses(address: CQLInetAddress("127.0.0.1")!, nativePort: 9042)

    /// A planner whose cache and limits are small, so that eviction and refusals happen.
    static func planner(small: Bool) -> CQLQueryPlanner {
        CQLQueryPlanner(
            catalog: catalog, preparedStatements: CQLPreparedStatementCache(maximumBytes: small ? 4096 : 1 << 20, maximumEntries: small ? 2 : 100),
            limits: small
                ? CQLQueryLimits(maximumStatementLength: 512, maximumNestingDepth: 4, maximumPageRows: 3, maximumPageBytes: 64)
                : CQLQueryLimits())
    }

    /// Encodes an answer as the server would; a failure to encode is a SERVER_ERROR there, so it
    /// only needs not to trap.
    static func encode(_ response: CQLResponseFrame) {
        _ = try? response.encoded()
    }

    static func frames(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let mode = input.byte()
        var seed = UInt32(input.byte()) | 1
        let stream = input.rest()
        let credentials = mode & 1 != 0 ? CQLCredentials(username: "u", password: "p") : nil
        var machine = CQLServerConnectionStateMachine(configuration: .init(credentials: credentials))
        let planner = planner(small: mode & 2 != 0)
        var decoder = CQLFrameDecoder(maximumBodyLength: mode & 4 != 0 ? 64 : 64 * 1024)
        var connectionGuard = CQLConnectionGuard(
            configuration: .init(frameReadTimeout: .seconds(1), idleTimeout: .seconds(2), writeTimeout: .seconds(1)),
            now: .uptimeNanoseconds(0))
        var session = CQLSessionState(addresses: addresses)
        var offset = 0
        var clock: UInt64 = 0
        while offset < stream.count {
            // Pieces of 1 to 64 bytes, chosen by a little generator seeded from the input.
            seed = seed &* 1_103_515_245 &+ 12_345
            let size = min(stream.count - offset, 1 + Int((seed >> 16) % 64))
            let piece = ByteBuffer(bytes: stream[offset..<(offset + size)])
            offset += size
            clock += UInt64(seed % 300_000_000)
            let now = NIODeadline.uptimeNanoseconds(clock)
            decoder.feed(piece)
            connectionGuard.received(piece, at: now)
            if seed & 0x100 != 0 { connectionGuard.readingPaused(at: now) } else { connectionGuard.readingResumed(at: now) }
            connectionGuard.outputPending(Int(seed % 5), at: now)
            _ = connectionGuard.check(at: now)
            do {
                while let frame = try decoder.next() {
                    handle(frame, machine: &machine, planner: planner, session: &session)
                }
            } catch {
                if case .respondAndClose(let answer) = machine.decodeFailed(error) { encode(answer) }
                return
            }
            // Between frames, the guard and the decoder agree on whether one is incomplete.
            FuzzCheck.expect(
                connectionGuard.hasIncompleteFrame == (decoder.bufferedBytes > 0),
                "guard says incomplete=\(connectionGuard.hasIncompleteFrame), decoder holds \(decoder.bufferedBytes) bytes")
        }
    }

    static func handle(_ frame: CQLFrame, machine: inout CQLServerConnectionStateMachine, planner: CQLQueryPlanner, session: inout CQLSessionState) {
        switch machine.received(frame) {
        case .none: break
        case .respond(let answer), .respondAndClose(let answer): encode(answer)
        case .process(let request):
            switch planner.plan(request.request, session: session) {
            case .result(let result):
                if case .setKeyspace(let keyspace) = result { session.keyspace = keyspace }
                encode(CQLResponseFrame(streamID: request.streamID, response: .result(result)))
            case .error(let error):
                encode(CQLResponseFrame(streamID: request.streamID, response: .error(error)))
            case .storage(let operation):
                check(operation)
            }
        }
    }

    /// What the server does with a planned write before storage: merge it into a row, last
    /// write wins by timestamp; a keyed table's row is encoded with its write time and read back.
    static func check(_ operation: CQLStorageOperation) {
        var writes: [(table: CQLTableDefinition, write: CQLRowWrite)] = []
        switch operation.kind {
        case .upsert(let w): writes = w.map { (operation.table, $0) }
        case .upsertTables(let tables): writes = tables.flatMap { table in table.writes.map { (table.table, $0) } }
        case .scan(let page):
            _ = page.encoded()
            if let range = page.tokenRange {
                FuzzCheck.expect(!range.contains(.min) || range.lower == nil || range.lower == .min, "a range above \(range.lower ?? 0) holds Long.MIN_VALUE")
            }
        default: break
        }
        for (table, write) in writes {
            let timestamp = write.timestamp ?? 0
            if table.name == CreatedUsersCQLTable.tableName {
                let base = (row: CreatedUsersCQLTable.blank(id: "fuzz", ingestedAt: 0), writeTime: Int64?(timestamp / 2))
                guard let merged = try? CreatedUsersCQLTable.merge(write.values, at: timestamp, into: base, id: "fuzz", ingestedAt: 0) else { continue }
                FuzzCheck.expect(merged.writeTime == timestamp, "the merged row is as of its write")
                _ = CreatedUsersCQLTable.values(merged.row).reduce(0) { $0 + ($1?.serializedSize ?? 0) }
                FuzzCheck.expect(
                    CreatedUsersCQLTable.decodeWriteTime(CreatedUsersCQLTable.encodeWriteTime(timestamp)) == timestamp, "write times round-trip")
            } else {
                var row = [CQLValue?](repeating: nil, count: table.columns.count)
                for (name, value) in write.values {
                    if let index = table.columnIndex(name) { row[index] = value }
                }
                let bytes = KeyedCQLRow.encode(row, writeTime: write.timestamp)
                let decoded = try? KeyedCQLRow.decode(bytes, table: table)
                FuzzCheck.expect(decoded?.writeTime == write.timestamp, "a keyed row's write time round-trips")
                FuzzCheck.expect(decoded?.row.count == row.count, "a keyed row's cells round-trip")
            }
        }
    }

    static func statement(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let mode = input.byte()
        let text = String(decoding: input.rest(), as: UTF8.self)
        let planner = planner(small: mode & 1 != 0)
        var session = CQLSessionState(addresses: addresses)
        if mode & 2 != 0 { session.keyspace = CreatedUsersCQLTable.keyspaceName }
        _ = CQLLiteralConversion.parseTimestamp(text)
        guard let parsed = try? CQLStatementParser.parse(text, limits: planner.limits) else {
            _ = planner.plan(.query(text, parameters: .init()), session: session)
            return
        }
        FuzzCheck.expect(parsed.bindMarkerCount <= CQLQueryLimits.maximumBindMarkers, "\(parsed.bindMarkerCount) markers")
        // Bound values: null, not set, empty, or some of the text's bytes.
        let values: [CQLBindValue] = (0..<min(parsed.bindMarkerCount, 64)).map { i in
            switch (Int(mode >> 2) + i) % 4 {
            case 0: .null
            case 1: .unset
            case 2: .bytes(ByteBuffer())
            default: .bytes(ByteBuffer(bytes: text.utf8.prefix(i + 8)))
            }
        }
        // A default timestamp (as drivers send their clock), sometimes the reserved Long.MIN_VALUE.
        let defaultTimestamp: Int64? = mode & 0x80 == 0 ? nil : (mode & 0x20 != 0 ? .min : Int64(text.utf8.count))
        let parameters = CQLQueryParameters(
            values: values.isEmpty ? nil : .positional(values), pageSize: mode & 0x40 != 0 ? 2 : nil, defaultTimestamp: defaultTimestamp)
        for plan in [planner.plan(.query(text, parameters: parameters), session: session), planner.plan(.prepare(text), session: session)] {
            switch plan {
            case .result(.prepared(let prepared)):
                FuzzCheck.expect(prepared.metadata.columns.count == parsed.bindMarkerCount, "prepared metadata for every marker")
                encode(CQLResponseFrame(streamID: 1, response: .result(.prepared(prepared))))
                if case .storage(let operation) = planner.plan(.execute(id: prepared.id, parameters: parameters), session: session) {
                    check(operation)
                }
                let batch = CQLBatch(
                    statements: [CQLBatchStatement(.prepared(id: prepared.id), values: values), CQLBatchStatement(.query(text), values: values)],
                    defaultTimestamp: defaultTimestamp)
                if case .storage(let operation) = planner.plan(.batch(batch), session: session) { check(operation) }
            case .result(let result): encode(CQLResponseFrame(streamID: 1, response: .result(result)))
            case .error(let error): encode(CQLResponseFrame(streamID: 1, response: .error(error)))
            case .storage(let operation): check(operation)
            }
        }
    }

    static func responses(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let mode = input.byte()
        let stream = input.rest()
        var decoder = CQLFrameDecoder(maximumBodyLength: 1 << 20)
        let limits = CQLResponseLimits(maximumRowCells: mode & 1 != 0 ? 16 : 100_000, maximumDecodedValues: mode & 1 != 0 ? 32 : 200_000)
        var machine = CQLClientConnectionStateMachine(
            configuration: .init(maximumInFlightRequests: 4, maximumQueuedRequests: 4, maximumOrphanedStreams: 2, responseLimits: limits))
        // Through the handshake, then requests on streams 1...4 (and queued), one of them an
        // EXECUTE whose statement the node may say it forgot.
        _ = machine.channelActive()
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .supported(options: [:])))
        _ = machine.received(CQLResponseFrame(streamID: 0, response: .ready))
        let id = ByteBuffer(bytes: [1, 2, 3, 4])
        for n in 1...6 {
            let request: CQLClientConnectionStateMachine.Request =
                n == 2
                ? .init(.execute(id: id, parameters: .init()), preparedQueries: [id: "SELECT * FROM t WHERE id = ?"])
                : .init(.query("SELECT \(n)", parameters: .init()))
            _ = machine.send(request, id: .init(UInt64(n)))
        }
        if mode & 2 != 0 { _ = machine.requestTimedOut(.init(3)) }
        decoder.feed(stream)
        do {
            while let frame = try decoder.next() {
                _ = machine.received(frame)
                decodeAsTheClientDoes(frame, limits: limits)
            }
        } catch {
            _ = machine.decodeFailed(error)
        }
    }

    static func decodeAsTheClientDoes(_ frame: CQLFrame, limits: CQLResponseLimits) {
        guard let response = try? CQLResponseFrame(decoding: frame, limits: limits) else { return }
        guard case .result(let result) = response.response else {
            encode(response)
            return
        }
        switch result {
        case .rows(let rows):
            guard let values = try? rows.decodedRows(maximumValues: limits.maximumDecodedValues) else { return }
            // The topology and replication the client would build from such rows.
            var texts: [String] = []
            var replication: [String: String] = [:]
            for row in values {
                for value in row {
                    switch value {
                    case .text(let s)?: texts.append(s)
                    case .set(let elements)?, .list(let elements)?:
                        for case .text(let s) in elements { texts.append(s) }
                    case .map(let entries)?:
                        for case (.text(let k), .text(let v)) in entries.map({ ($0.key, $0.value) }) { replication[k] = v }
                    default: break
                    }
                }
            }
            let nodes = (0..<3).map { i in
                CQLTokenRing.Node(
                    address: "n\(i)", dataCenter: i == 2 ? "dc2" : "dc1",
                    tokens: CQLTokenRing.tokens(texts.enumerated().filter { $0.offset % 3 == i }.map(\.element)))
            }
            let ring = CQLTokenRing(nodes: nodes)
            if let strategy = CQLReplication(replication) {
                _ = ring.replicas(of: 0, replication: strategy, localDataCenter: "dc1")
            }
            _ = ring.replicas(of: Int64.min, replication: .simple(replicationFactor: 2))
            encode(response)
        case .prepared(let prepared):
            let components = prepared.metadata.partitionKeyIndexes.map { ByteBuffer(bytes: [UInt8(truncatingIfNeeded: $0)]) }
            _ = CQLMurmur3Token.token(of: CQLMurmur3Token.routingKey(components))
            encode(response)
        default:
            encode(response)
        }
    }
}
