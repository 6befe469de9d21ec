import Foundation
import NIOCore
import Testing

@testable import FreshetKafka

/// Byte layouts of the `ProtocolSamples` values at every implemented version, snapshotted in
/// Golden/layouts.txt and checked once against Kafka's message schemas with
/// Golden/schemacheck.py (see Golden/README.md). Round trips cannot catch a version gate
/// that is wrong the same way in encode and decode; this can.
@Suite("Message layouts at every version")
struct ProtocolLayoutTests {
    static let file = ProtocolGoldenFrame.directory.appendingPathComponent("layouts.txt")

    /// "MetadataResponse 7" → hex of the body.
    static func current() throws -> [(String, String)] {
        var lines: [(String, String)] = []
        for type in ApiKey.implementedRequests {
            try lines.append(contentsOf: layouts(type))
        }
        return lines
    }

    static func layouts<R: KafkaRequest>(_: R.Type) throws -> [(String, String)] {
        let (request, response) = ProtocolSamples.pair(R.self)
        return try R.supportedVersions.flatMap { v -> [(String, String)] in
            let a = try (request as! R).encodeBody(version: v)
            let b = try R.encodeResponseBody(response as! R.Response, version: v)
            return [
                ("\(R.apiKey.name)Request \(v)", hex(a)),
                ("\(R.apiKey.name)Response \(v)", hex(b)),
            ]
        }
    }

    static func hex(_ b: ByteBuffer) -> String {
        b.readableBytesView.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test("every message at every version encodes to the checked layout")
    func layouts() throws {
        let current = try Self.current()
        if ProcessInfo.processInfo.environment["FRESHET_KAFKA_WRITE_LAYOUTS"] != nil {
            let text = current.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
            try text.write(to: Self.file, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: Self.file, encoding: .utf8).split(separator: "\n").compactMap { line -> (String, String)? in
            // An empty body (ApiVersions v0) leaves the hex column empty.
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return ("\(parts[0]) \(parts[1])", String(parts[2]))
        }
        #expect(stored.count == current.count)
        let table = Dictionary(stored, uniquingKeysWith: { a, _ in a })
        for (key, hex) in current {
            #expect(table[key] == hex, "\(key) differs from Golden/layouts.txt")
        }
    }
}
