import Foundation
import FreshetAvro
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetStream
import FreshetTesting
import FreshetWeb
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// The Topics page's API shows Confluent-framed Avro records as JSON, with their schema id.
@Suite("Web: Avro records")
struct WebAvroTests {
    @Test func messagesShowAvroAsJSONAndUndecodableAsRaw() async throws {
        try await withFixture { f in
            let registry = MemorySchemaRegistry()
            let id = try await registry.register(subject: "users_created-value", schema: UserCreatedAvro.schemaJSON)
            let message = UserCreated(
                id: "0e6b1c5e-4f36-4a8e-9d0c-1f1d3b8f9a01", firstName: "Zoé", lastName: "Lefèvre", gender: "female", address: "1 Rue, Lyon, ARA, France",
                postCode: "69001", email: "zoe@example.com", username: "zoe", dob: "1987-03-14T08:21:43.512Z", registeredDate: "2012-11-02T17:05:09.000Z",
                phone: "04", picture: "https://example.com/p.jpg", nat: "FR")
            try await f.broker.createTopic("avro_topic", config: TopicConfig(partitions: 1))
            var framed: [UInt8] = []
            AvroUserCodec.frame(message, schemaID: id, into: &framed)
            _ = try await f.broker.produce(
                topic: "avro_topic",
                records: [
                    ProducerRecord(key: Array(message.id.utf8), value: framed, timestamp: 1),
                    ProducerRecord(key: nil, value: [0, 0, 0, 3, 231, 1, 2], timestamp: 2),
                    ProducerRecord(key: nil, value: message.jsonBytes(), timestamp: 3),
                ])
            let server = WebServer(
                configuration: .init(port: 0), queries: f.store, broker: .live(f.broker), metrics: f.metrics, registry: PrometheusCollectorRegistry(),
                recordView: AvroRecordView(registry: registry))
            try await Application(router: server.makeRouter()).test(.router) { client in
                try await client.execute(uri: "/api/topics/avro_topic/messages?limit=10", method: .get) { response in
                    #expect(response.status == .ok)
                    let messages = try #require(try json(response.body) as? [[String: Any]])
                    #expect(messages.count == 3)
                    let byOffset = Dictionary(uniqueKeysWithValues: messages.map { ($0["offset"] as? Int ?? -1, $0) })
                    let avro = try #require(byOffset[0])
                    #expect(avro["schema_id"] as? Int == Int(id))
                    #expect(avro["value"] as? String == message.jsonString())
                    #expect(avro["value_error"] == nil)
                    let unknown = try #require(byOffset[1])
                    #expect(unknown["schema_id"] as? Int == 999)
                    #expect((unknown["value_error"] as? String)?.contains("40403") == true)
                    let plain = try #require(byOffset[2])
                    #expect(plain["schema_id"] == nil)
                    #expect(plain["value"] as? String == message.jsonString())
                }
            }
        }
    }
}
