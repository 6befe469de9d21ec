// Codec and record-batch throughput, for docs/kafka-compression.md.
// Run: swift run -c release RecordsBench
//      swift run RecordsBench dump DIR   — writes batches for RecordsGolden/replay.py
import Foundation
import FreshetKafka

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "dump" {
    // The records capture.py produces, encoded by Freshet with each codec.
    let dir = URL(fileURLWithPath: CommandLine.arguments[2])
    let golden = (0..<50).map { i in
        KafkaRecord(
            key: Array("key-\(i)".utf8),
            value: Array(#"{"id":\#(i),"name":"user-\#(i)","email":"user-\#(i)@example.com"}"#.utf8),
            headers: [
                KafkaRecordHeader(key: "source", value: Array("freshet-golden".utf8)),
                KafkaRecordHeader(key: "seq", value: Array("\(i)".utf8)),
            ],
            timestamp: 1_700_000_000_000 + Int64(i))
    }
    let payload = Array(try RecordBatch.producing(golden).encode()[RecordBatch.headerSize...])
    try Data(payload).write(to: dir.appendingPathComponent("payload.bin"))
    for (codec, name) in [(KafkaCompression.none, "none"), (.gzip, "gzip"), (.snappy, "snappy"), (.lz4, "lz4"), (.zstd, "zstd")] {
        let batch = try RecordBatch.producing(golden, compression: codec, producerId: -1).encode()
        try Data(batch).write(to: dir.appendingPathComponent("\(name).batch"))
        try Data(KafkaCodecs.compress(payload, codec: codec)).write(to: dir.appendingPathComponent("payload.\(name)"))
    }
    exit(0)
}

/// 10,000 user-event records (~230 B JSON values, one header): Freshet's typical batch.
func workload() -> [KafkaRecord] {
    (0..<10_000).map { i in
        let value =
            #"{"id":\#(i),"name":"user-\#(i)","email":"user-\#(i)@example.com","country":"\#(["DE", "FR", "US", "BR", "JP"][i % 5])","#
            + #""age":\#(18 + i % 60),"registered":"2024-0\#(1 + i % 9)-1\#(i % 10)T10:\#(10 + i % 50):00Z","phone":"+49-30-\#(1_000_000 + i * 7919 % 9_000_000)","#
            + #""city":"\#(["Berlin", "Paris", "Austin", "Recife", "Osaka"][i % 5])","score":\#(Double(i % 1000) / 7.0)}"#
        return KafkaRecord(
            key: Array("user-\(i)".utf8), value: Array(value.utf8),
            headers: [KafkaRecordHeader(key: "source", value: Array("randomuser".utf8))], timestamp: 1_700_000_000_000 + Int64(i))
    }
}

func measure(_ bytes: Int, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    try body()  // warm up
    var iterations = 0
    let start = clock.now
    var elapsed = Duration.zero
    repeat {
        try body()
        iterations += 1
        elapsed = clock.now - start
    } while elapsed < .milliseconds(700)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(bytes * iterations) / seconds / 1e6
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func fmt(_ x: Double) -> String { String(Int(x.rounded())) }

let records = workload()
let plain = try RecordBatch.producing(records).encode()
let payload = Array(plain[RecordBatch.headerSize...])
print("workload: \(records.count) records, \(payload.count) bytes of uncompressed records")
print(pad("codec", 11), pad("ratio", 7), pad("compress MB/s", 14), pad("decompress MB/s", 16), pad("batch encode MB/s", 18), "batch decode MB/s")
for codec in [KafkaCompression.none, .gzip, .snappy, .lz4, .zstd] {
    let compressed = try KafkaCodecs.compress(payload, codec: codec)
    let c = try measure(payload.count) { _ = try KafkaCodecs.compress(payload, codec: codec) }
    let d = try measure(payload.count) { _ = try KafkaCodecs.decompress(compressed, codec: codec) }
    let batch = RecordBatch.producing(records, compression: codec)
    let encoded = try batch.encode()
    let e = try measure(payload.count) { _ = try batch.encode() }
    let dec = try measure(payload.count) { _ = try RecordBatch.decode(encoded) }
    let ratio = Double(payload.count) / Double(compressed.count)
    let isNone = codec == .none
    print(pad("\(codec)", 11), pad(String(format2(ratio)), 7), pad(isNone ? "-" : fmt(c), 14), pad(isNone ? "-" : fmt(d), 16), pad(fmt(e), 18), fmt(dec))
}

func format2(_ x: Double) -> String {
    let r = (x * 100).rounded() / 100
    return "\(r)"
}
