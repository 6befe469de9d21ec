import Foundation
import FreshetAvro
import FreshetCore
import Testing

/// The `users_created` schema (`UserCreatedAvro`) against fastavro: Python/users_created.py →
/// Golden/users_created.json.
@Suite("users_created in Avro")
struct UserCreatedAvroTests {
    static let golden: JSONObject = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/users_created.json")
        guard let data = try? Data(contentsOf: url), case .object(let object)? = try? JSONParser.parse(Array(data)) else {
            return JSONObject()
        }
        return object
    }()

    static var cases: [JSONObject] { (golden["cases"]?.arrayValue ?? []).compactMap(\.objectValue) }
    static var caseNames: [String] { cases.compactMap { $0["name"]?.stringValue } }

    static func find(_ name: String) throws -> JSONObject {
        try #require(cases.first { $0["name"]?.stringValue == name }, "no \(name) in Golden/users_created.json")
    }

    /// The message fastavro read (a JSON object of strings, `nat` possibly null).
    static func message(_ read: JSONValue) throws -> UserCreated {
        try UserCreated.decode(read)
    }

    static let sample = UserCreated(
        id: "0e6b1c5e-4f36-4a8e-9d0c-1f1d3b8f9a01", firstName: "Zoé", lastName: "Lefèvre \"Zo\"", gender: "female",
        address: "4242 Rue de la Paix, Lyon, Auvergne-Rhône-Alpes, France", postCode: "69001", email: "zoe.lefevre@example.com",
        username: "bluebird123", dob: "1987-03-14T08:21:43.512Z", registeredDate: "2012-11-02T17:05:09.000Z", phone: "04-12-34-56-78",
        picture: "https://randomuser.me/api/portraits/med/women/12.jpg", nat: "FR")

    @Test func goldenFileHasTheCases() {
        #expect(Self.caseNames.count >= 4)
    }

    @Test func schemaJSONParsesToTheSchema() throws {
        let parsed = try AvroSchema(parsing: UserCreatedAvro.schemaJSON)
        #expect(parsed.parsingCanonicalForm == UserCreatedAvro.schema.parsingCanonicalForm)
        #expect(parsed == UserCreatedAvro.schema)
        // The same schema as fastavro's generator uses.
        let python = try AvroSchema(parsing: try #require(Self.golden["reader"]?.stringValue))
        #expect(python == UserCreatedAvro.schema)
        guard case .record(let record) = parsed.root else {
            Issue.record("not a record")
            return
        }
        #expect(record.fields.map(\.name) == UserCreated.seedKeys + ["nat"])
    }

    @Test("Freshet writes what fastavro writes, byte for byte", arguments: ["as_written", "nat_null"])
    func encodingMatchesFastavro(name: String) throws {
        let entry = try Self.find(name)
        let message = try Self.message(try #require(entry["datum"]))
        #expect(UserCreatedAvro.encode(message) == hex(try #require(entry["encoding"]?.stringValue)))
        #expect(try AvroEncoder().encode(UserCreatedAvro.value(of: message), as: UserCreatedAvro.schema) == UserCreatedAvro.encode(message))
    }

    @Test("every writer's datum resolves to the message fastavro reads", arguments: caseNames)
    func resolvesLikeFastavro(name: String) throws {
        let entry = try Self.find(name)
        let writer = try AvroSchema(parsing: try #require(entry["writer"]?.stringValue))
        let decoder = try AvroDecoder(writer: writer, reader: UserCreatedAvro.schema)
        let bytes = hex(try #require(entry["encoding"]?.stringValue))
        let message = try #require(UserCreatedAvro.message(from: try decoder.decode(bytes)))
        #expect(message == (try Self.message(try #require(entry["read"]))))
        // Truncated input is an error, never a message or a trap.
        for cut in 0..<bytes.count {
            #expect(throws: AvroDecodeError.self) { try decoder.decode(bytes[..<cut]) }
        }
    }

    @Test func aDatumShowsAsTheJSONOfTheSamePerson() throws {
        let value = try AvroDecoder(schema: UserCreatedAvro.schema).decode(UserCreatedAvro.encode(Self.sample))
        #expect(AvroJSONRendering.json(value, schema: UserCreatedAvro.schema) == Self.sample.jsonBytes())
        // Without a nationality the JSON message has no `nat`; the Avro record has it, null.
        var noNat = Self.sample
        noNat.nat = nil
        let shown = AvroJSONRendering.json(
            try AvroDecoder(schema: UserCreatedAvro.schema).decode(UserCreatedAvro.encode(noNat)), schema: UserCreatedAvro.schema)
        #expect(try JSONParser.parse(shown) == JSONParser.parse(Array(noNat.jsonString().dropLast().utf8) + Array(#","nat":null}"#.utf8)))
    }

    @Test func renderingShowsEveryType() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},{"name":"b","type":"bytes"},{"name":"m","type":{"type":"map","values":["null","double"]}},{"name":"a","type":{"type":"array","items":"long"}},{"name":"f","type":"float"}]}"#
        )
        let value = AvroValue.record([
            .init("e", .enumSymbol(1)), .init("b", .bytes([0x41, 0xFF])),
            .init("m", .map([.init("x", .union(branch: 1, .double(2.5))), .init("y", .union(branch: 0, .null))])),
            .init("a", .array([.long(-1), .long(Int64.max)])), .init("f", .float(.nan)),
        ])
        #expect(
            String(decoding: AvroJSONRendering.json(value, schema: schema), as: UTF8.self)
                == #"{"e":"B","b":"Aÿ","m":{"x":2.5,"y":null},"a":[-1,9223372036854775807],"f":"NaN"}"#)
    }
}
