import FreshetCore

extension FuzzTargets {
    /// FreshetCore's parsers: the JSON reader, the Random User API decoder, the
    /// `users_created` message schema, durations.
    static let core: [FuzzTarget] = [
        FuzzTarget("json", "JSONParser.parse; what parses writes back and parses to the same value") { bytes in
            guard let value = try? JSONParser.parse(bytes) else { return }
            var writer = JSONWriter()
            writer.value(value)
            let again = try? JSONParser.parse(writer.bytes)
            FuzzCheck.expect(again == value, "JSON did not round-trip")
        },
        FuzzTarget("randomuser", "RandomUserResponse.decode of an API response body, then the users_created message of each person") { bytes in
            guard let response = try? RandomUserResponse.decode(bytes) else { return }
            for person in response.results {
                let message = UserCreated(person)
                FuzzCheck.expect((try? UserCreated.decode(message.jsonBytes())) == message, "users_created did not round-trip")
                var writer = JSONWriter()
                UserCreated.encode(person, into: &writer)
                FuzzCheck.expect(writer.bytes == message.jsonBytes(), "the message written directly differs")
            }
        },
        FuzzTarget(
            "users-created",
            "UserSchema.row: a users_created message from the topic to a store row, or a rejection; its direct path agrees with the general one"
        ) { bytes in
            var input = FuzzInput(bytes)
            let ingestedAt = Int64(bitPattern: UInt64(input.uint16()) << 48 | UInt64(input.uint16()))
            let schema = UserSchema(maxFieldBytes: 1024)
            let message = input.rest()
            let row = schema.row(from: message, ingestedAt: ingestedAt)
            FuzzCheck.expect(row == schema.generalRow(from: message, ingestedAt: ingestedAt), "the direct and general paths disagree")
        },
        FuzzTarget("duration", "DurationText.parse of flag, config and conf values", maxLength: 256) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let duration = DurationText.parse(text) else { return }
            _ = DurationText.format(duration)
        },
    ]
}
