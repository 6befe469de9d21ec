/// An optional that a synthesized `Encodable` writes as `null` when absent, where the plain
/// optional would leave its key out: JSON answers whose clients look for every key
/// (`"nat": null`, `"next_cursor": null`) keep their shape.
@propertyWrapper
public struct NullEncoded<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}

extension NullEncoded: Equatable where Value: Equatable {}
