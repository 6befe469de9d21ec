import Foundation
import FreshetCore
import Testing

@Suite("JSON parser and writer")
struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2.5e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {} } "#)
        guard case .object(let o) = value else {
            Issue.record("not an object")
            return
        }
        #expect(o.keys == ["a", "b"])
        #expect(o["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x\né😀")]))
        #expect(o["b"] == .object(JSONObject()))
    }

    @Test(
        "rejects malformed input with a code and an offset",
        arguments: [
            ("", JSONParseError.Code.unexpectedEnd),
            ("{", .unexpectedEnd),
            ("{\"a\" 1}", .unexpectedByte),
            ("[1,]", .unexpectedByte),
            ("01", .trailingData),
            ("-", .invalidNumber),
            ("1.", .invalidNumber),
            ("\"\\x\"", .invalidEscape),
            ("\"\\ud800\"", .invalidEscape),
            ("\"a\u{01}b\"", .controlCharacterInString),
            ("nul", .unexpectedEnd),
            ("{} {}", .trailingData),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), .tooDeep),
        ])
    func rejects(input: String, code: JSONParseError.Code) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.code == code, "\(input.debugDescription): \(error)")
        }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let bytes: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect(throws: JSONParseError(code: .invalidUTF8, offset: 6)) { try JSONParser.parse(bytes) }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7F} ünïcødé 😀 \u{2028}"
        var writer = JSONWriter()
        writer.string(nasty)
        #expect(try JSONParser.parse(writer.bytes) == .string(nasty))
        // Foundation reads it too.
        let foundation = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed]) as? String
        #expect(foundation == nasty)
    }

    @Test func writerIntegers() {
        for n in [0, 7, -7, 1_234_567, Int.max, Int.min + 1] {
            var writer = JSONWriter()
            writer.int(n)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(n))
        }
    }

    @Test func valuesRoundTripByteForByte() throws {
        let text = #"{"n":5440,"f":-0.25,"s":"Grønnegade","a":[null,true],"o":{"k":"v"}}"#
        var writer = JSONWriter()
        writer.value(try JSONParser.parse(text))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == text)
    }
}
