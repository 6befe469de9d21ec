import FreshetContracts
import FreshetKafka
import FreshetLog
import NIOCore

extension FuzzTargets {
    /// FreshetKafka's parsers: response frames of every API a client reads, record batches.
    static let kafka: [FuzzTarget] = [
        FuzzTarget(
            "kafka-response",
            "byte 0 picks the API (ApiKey.implementedRequests), byte 1 the version; the rest is decoded as that response body, re-encoded and decoded to the same value, then checked as the client uses it"
        ) { bytes in
            var input = FuzzInput(bytes)
            let types = ApiKey.implementedRequests
            let type = types[Int(input.byte()) % types.count]
            let pick = Int(input.byte())
            KafkaFuzzing.response(type, pick: pick, body: ByteBuffer(bytes: input.rest()))
        },
        FuzzTarget(
            "kafka-record-batch",
            "RecordBatch.decodeAll of a Fetch records blob (byte 0: CRC check, legacy sets, or one codec's decompressor alone); batches re-encode to themselves"
        ) { bytes in
            var input = FuzzInput(bytes)
            let mode = input.byte()
            KafkaFuzzing.recordBatches(mode: mode, bytes: input.rest())
        },
        FuzzTarget(
            "kafka-frame",
            "bytes drip-fed (chunk sizes from byte 0) through KafkaFrameDecoder into KafkaConnectionStateMachine with requests in flight; answered frames decoded as their responses"
        ) { bytes in
            var input = FuzzInput(bytes)
            let seed = input.byte()
            KafkaFuzzing.connection(seed: seed, bytes: input.rest())
        },
        FuzzTarget(
            "scram",
            "SCRAMClient: the bytes up to the first NUL are the server-first message, the rest the server-final (byte 0 picks SHA-256/512)",
            maxLength: 8192
        ) { bytes in
            var input = FuzzInput(bytes)
            let mode = input.byte()
            let rest = input.rest()
            let split = rest.firstIndex(of: 0) ?? rest.count
            let first = String(decoding: rest[..<split], as: UTF8.self)
            let final = split < rest.count ? String(decoding: rest[(split + 1)...], as: UTF8.self) : ""
            // Iteration counts 1...64 keep each run fast; the bound is the same code as the
            // default 4096...100,000.
            var client = SCRAMClient(
                algorithm: mode & 1 == 0 ? .sha256 : .sha512, username: "user", password: "pencil",
                nonce: "rOprNGfwEbeRWgbNEkqO", maximumIterations: 64, minimumIterations: 1)
            _ = client.clientFirstMessage()
            guard let answer = try? client.clientFinalMessage(serverFirst: first) else { return }
            FuzzCheck.expect(
                answer.utf8.count <= SCRAMClient.maximumServerMessageBytes + 200, "client-final is \(answer.utf8.count) bytes")
            _ = try? client.verifyServerFinal(final)
        },
    ]
}

/// The bodies of the Kafka fuzz targets.
enum KafkaFuzzing {
    /// A small decompression budget: enough for every codec's paths, fast per run.
    static let options = RecordBatchDecodingOptions(verifyCRC: false, maxDecompressedBytes: 4 << 20)

    static func response<R: KafkaRequest>(_: R.Type, pick: Int, body: ByteBuffer) {
        let versions = R.supportedVersions
        let version = versions.lowerBound + Int16(pick % versions.count)
        guard let response = try? R.decodeResponseBody(body, version: version) else { return }
        // What decodes encodes and decodes to the same value. (Encoding may refuse: a string
        // repaired from invalid UTF-8 can grow past the wire's length limit.)
        if let again = try? R.encodeResponseBody(response, version: version) {
            let decoded = try? R.decodeResponseBody(again, version: version)
            FuzzCheck.expect(decoded == response, "\(R.apiKey) v\(version) did not round-trip")
        }
        use(response)
    }

    /// What the client does with each answer after decoding it.
    static func use(_ response: any KafkaWireStruct) {
        switch response {
        case let r as FetchResponse:
            for t in r.responses {
                for p in t.partitions {
                    let tp = TopicPartition(t.topic, p.partitionIndex)
                    guard let fetched = try? KafkaConsumer.decode(tp, requestedOffset: 0, p, options: options) else { continue }
                    var last: Int64 = -1
                    for record in fetched.records {
                        FuzzCheck.expect(record.offset > last && record.offset < Int64.max, "offset \(record.offset) after \(last)")
                        last = record.offset
                    }
                    FuzzCheck.expect(fetched.next > last, "next offset \(fetched.next) is not after \(last)")
                }
            }
        case let r as FindCoordinatorResponse:
            if let answer = try? r.answer(for: "group"), answer.errorCode == .noError {
                FuzzCheck.expect(answer.nodeID >= 0 && (1...65535).contains(answer.port), "unchecked coordinator")
                _ = Int32.max - answer.nodeID
            }
        case let r as MetadataResponse:
            _ = try? r.validate()
        case let r as JoinGroupResponse:
            for m in r.members { _ = try? ConsumerProtocolSubscription.decode(m.metadata) }
        case let r as SyncGroupResponse:
            _ = try? ConsumerProtocolAssignment.decode(r.assignment)
        case let r as DescribeGroupsResponse:
            for g in r.groups {
                for m in g.members {
                    _ = try? ConsumerProtocolSubscription.decode(m.memberMetadata)
                    _ = try? ConsumerProtocolAssignment.decode(m.memberAssignment)
                }
            }
        case let r as ApiVersionsResponse:
            _ = try? KafkaVersionNegotiation.negotiateAll(broker: r)
        default:
            break
        }
    }

    static func recordBatches(mode: UInt8, bytes: [UInt8]) {
        if mode & 0x80 != 0 {
            // One codec's decompressor on its own, and what it yields compresses back.
            guard let codec = KafkaCompression(rawValue: Int8(mode & 0x7) % 5) else { return }
            guard let plain = try? KafkaCodecs.decompress(bytes, codec: codec, maxBytes: options.maxDecompressedBytes) else {
                return
            }
            FuzzCheck.expect(plain.count <= options.maxDecompressedBytes, "\(codec) inflated past its limit")
            if let packed = try? KafkaCodecs.compress(plain, codec: codec) {
                FuzzCheck.expect((try? KafkaCodecs.decompress(packed, codec: codec)) == plain, "\(codec) did not round-trip")
            }
            return
        }
        var decoding = options
        decoding.verifyCRC = mode & 1 != 0
        decoding.legacyMessageSets = mode & 2 != 0 ? .skip : .reject
        guard let decoded = try? RecordBatch.decodeAll(bytes, options: decoding) else { return }
        for batch in decoded.batches {
            FuzzCheck.expect(batch.baseOffset >= 0 && batch.lastOffset < Int64.max, "batch offsets out of range")
            var last = batch.baseOffset - 1
            for r in batch.records {
                FuzzCheck.expect(r.offset > last && r.offset <= batch.lastOffset, "record offset \(r.offset) out of order")
                last = r.offset
            }
            if let encoded = try? batch.encode() {
                FuzzCheck.expect((try? RecordBatch.decode(encoded)) == batch, "batch at \(batch.baseOffset) did not round-trip")
            }
        }
    }

    static func connection(seed: UInt8, bytes: [UInt8]) {
        var machine = KafkaConnectionStateMachine(
            configuration: .init(maximumInFlightRequests: 1 + Int(seed % 5), brokerDescription: "fuzz:9092"))
        var decoder = KafkaFrameDecoder(maximumFrameSize: 1 << 16)
        var versions: [Int32: (ApiKey, Int16)] = [:]
        var pendingIDs = Set<UInt64>()
        func perform(_ action: KafkaConnectionStateMachine.Action) {
            switch action {
            case .succeed(let id, let response, _):
                FuzzCheck.expect(pendingIDs.remove(id.rawValue) != nil, "answer for \(id), which is not pending")
                versions[response.correlationID] = (response.api, response.version)
                decodeAnswer(response)
            case .fail(let id, _):
                pendingIDs.remove(id.rawValue)
            case .failAll(let failures, _, _):
                for id in failures.keys { pendingIDs.remove(id.rawValue) }
            case .none, .write, .ready:
                break
            }
            for id in machine.takeFailedWhileDraining().keys { pendingIDs.remove(id.rawValue) }
        }
        perform(machine.channelActive())
        let requests: [any KafkaRequest] = [
            MetadataRequest(topics: ["t"]), FetchRequest(), FindCoordinatorRequest(), HeartbeatRequest(),
            ListOffsetsRequest(), SyncGroupRequest(), OffsetFetchRequest(),
        ]
        for (i, request) in requests.enumerated() {
            pendingIDs.insert(UInt64(i))
            perform(machine.sendRequest(request, id: .init(UInt64(i))))
        }
        var rest = bytes[...]
        var size = Int(seed >> 3) + 1
        while !rest.isEmpty {
            let piece = rest.prefix(size)
            rest = rest.dropFirst(piece.count)
            size = size % 7 + 1  // drip: 1…7 bytes at a time after the first piece
            decoder.feed(piece)
            do {
                while let frame = try decoder.next() {
                    perform(machine.frameReceived(frame))
                }
            } catch {
                perform(machine.errorCaught(error))
                FuzzCheck.expect(machine.isClosed, "a frame error left the connection open")
                return
            }
            FuzzCheck.expect(decoder.bufferedBytes <= (1 << 16) + 4 + 7 + 255, "the frame decoder holds \(decoder.bufferedBytes) bytes")
        }
        perform(machine.channelInactive())
        FuzzCheck.expect(pendingIDs.isEmpty, "requests \(pendingIDs) were never completed")
    }

    /// Decodes an answered frame as `KafkaConnection.send` does.
    static func decodeAnswer(_ response: KafkaConnectionStateMachine.Response) {
        guard let type = response.api.requestType else { return }
        decode(type, response)
    }

    static func decode<R: KafkaRequest>(_: R.Type, _ response: KafkaConnectionStateMachine.Response) {
        guard let (_, body) = try? KafkaWire.decodeResponse(response.frame, to: R.self, version: response.version) else { return }
        use(body)
    }
}
