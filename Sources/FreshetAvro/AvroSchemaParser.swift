import FreshetCore

/// Reads schema JSON (Avro 1.11 "Schema Declaration") into an `AvroSchema`, within
/// `AvroSchemaLimits`. Errors name where in the JSON: `fields[3].type`.
struct AvroSchemaParser {
    let limits: AvroSchemaLimits
    /// Named types defined so far, full name → definition; a name being defined (a record whose
    /// fields are being read) is in `defined` but not yet here.
    private var namedTypes: [String: AvroType] = [:]
    private var defined: Set<String> = []
    private var nodes = 0

    init(limits: AvroSchemaLimits) {
        self.limits = limits
    }

    static let primitives: Set<String> = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

    mutating func parse(_ bytes: [UInt8]) throws(AvroSchemaError) -> AvroSchema {
        guard bytes.count <= limits.maxBytes else {
            throw AvroSchemaError(.tooLarge, path: "", "schema is \(bytes.count) bytes, more than the limit of \(limits.maxBytes)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw AvroSchemaError(.invalidJSON, path: "", error.description)
        }
        let root = try parseType(json, namespace: nil, path: "", depth: 0)
        let schema = AvroSchema(root: root, namedTypes: namedTypes)
        try Self.checkDefaults(root, in: schema, path: "")
        return schema
    }

    static func join(_ path: String, _ component: String) -> String {
        if path.isEmpty { return component }
        if component.hasPrefix("[") { return path + component }
        return path + "." + component
    }

    private mutating func count(_ n: Int, path: String) throws(AvroSchemaError) {
        nodes += n
        guard nodes <= limits.maxNodes else {
            throw AvroSchemaError(.tooManyNodes, path: path, "more than \(limits.maxNodes) types, fields and symbols")
        }
    }

    mutating func parseType(_ json: JSONValue, namespace: String?, path: String, depth: Int) throws(AvroSchemaError) -> AvroType {
        guard depth <= limits.maxDepth else {
            throw AvroSchemaError(.tooDeep, path: path, "types nested more than \(limits.maxDepth) deep")
        }
        try count(1, path: path)
        switch json {
        case .string(let name):
            if let primitive = Self.primitive(name, logicalType: nil) { return primitive }
            return try reference(name, namespace: namespace, path: path)
        case .array(let branches):
            return try parseUnion(branches, namespace: namespace, path: path, depth: depth)
        case .object(let object):
            return try parseObject(object, namespace: namespace, path: path, depth: depth)
        default:
            throw AvroSchemaError(.invalidAttribute, path: path, "a type is a string, an object or an array (a union), not a \(json.typeName)")
        }
    }

    static func primitive(_ name: String, logicalType: AvroLogicalType?) -> AvroType? {
        switch name {
        case "null": .null
        case "boolean": .boolean
        case "int": .int(logicalType)
        case "long": .long(logicalType)
        case "float": .float
        case "double": .double
        case "bytes": .bytes(logicalType)
        case "string": .string(logicalType)
        default: nil
        }
    }

    private func reference(_ name: String, namespace: String?, path: String) throws(AvroSchemaError) -> AvroType {
        if !name.contains("."), let namespace, defined.contains(namespace + "." + name) {
            return .reference(namespace + "." + name)
        }
        if defined.contains(name) { return .reference(name) }
        throw AvroSchemaError(.unknownType, path: path, "unknown type '\(name)' (a named type must be defined before it is used)")
    }

    private mutating func parseUnion(_ branches: [JSONValue], namespace: String?, path: String, depth: Int) throws(AvroSchemaError) -> AvroType {
        guard branches.count <= limits.maxUnionBranches else {
            throw AvroSchemaError(.tooManyBranches, path: path, "a union of \(branches.count) branches, more than the limit of \(limits.maxUnionBranches)")
        }
        var types: [AvroType] = []
        types.reserveCapacity(branches.count)
        var seen: Set<String> = []
        for (i, branch) in branches.enumerated() {
            let branchPath = Self.join(path, "[\(i)]")
            let type = try parseType(branch, namespace: namespace, path: branchPath, depth: depth + 1)
            if case .union = type {
                throw AvroSchemaError(.invalidUnion, path: branchPath, "a union may not immediately contain another union")
            }
            let key = type.fullName ?? type.kindName
            guard seen.insert(key).inserted else {
                throw AvroSchemaError(.invalidUnion, path: branchPath, "the union has two branches of type \(key)")
            }
            types.append(type)
        }
        return .union(types)
    }

    private mutating func parseObject(_ object: JSONObject, namespace: String?, path: String, depth: Int) throws(AvroSchemaError) -> AvroType {
        guard let typeJSON = object["type"] else {
            throw AvroSchemaError(.missingAttribute, path: path, "a type object needs a 'type'")
        }
        guard case .string(let typeName) = typeJSON else {
            throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "type"), "'type' of a type object must be a string, not a \(typeJSON.typeName)")
        }
        switch typeName {
        case "record", "error":
            return try parseRecord(object, namespace: namespace, path: path, depth: depth)
        case "enum":
            return try parseEnum(object, namespace: namespace, path: path)
        case "array":
            guard let items = object["items"] else { throw AvroSchemaError(.missingAttribute, path: path, "an array needs 'items'") }
            return .array(items: try parseType(items, namespace: namespace, path: Self.join(path, "items"), depth: depth + 1))
        case "map":
            guard let values = object["values"] else { throw AvroSchemaError(.missingAttribute, path: path, "a map needs 'values'") }
            return .map(values: try parseType(values, namespace: namespace, path: Self.join(path, "values"), depth: depth + 1))
        case "fixed":
            return try parseFixed(object, namespace: namespace, path: path)
        default:
            if Self.primitives.contains(typeName) {
                let logical = Self.logicalType(object, on: typeName, fixedSize: nil)
                return Self.primitive(typeName, logicalType: logical)!
            }
            return try reference(typeName, namespace: namespace, path: Self.join(path, "type"))
        }
    }

    // MARK: Named types

    /// The full name of a named type being defined, registered as being defined.
    private mutating func define(_ object: JSONObject, namespace: String?, path: String) throws(AvroSchemaError) -> AvroName {
        guard let nameJSON = object["name"] else { throw AvroSchemaError(.missingAttribute, path: path, "a named type needs a 'name'") }
        guard case .string(let nameText) = nameJSON else {
            throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "name"), "'name' must be a string")
        }
        let name: AvroName
        if nameText.contains(".") {
            name = AvroName(fullName: nameText)
        } else {
            var space = namespace
            switch object["namespace"] {
            case nil: break
            case .string(let s)?: space = s
            case .null?: space = nil
            case let other?:
                throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "namespace"), "'namespace' must be a string, not a \(other.typeName)")
            }
            name = AvroName(name: nameText, namespace: space)
        }
        guard Self.isValidName(name.name), name.namespace.map(Self.isValidNamespace) ?? true else {
            throw AvroSchemaError(
                .invalidName, path: Self.join(path, "name"), "'\(name.fullName)' is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]* in dotted parts)")
        }
        guard !Self.primitives.contains(name.name) || name.namespace != nil else {
            throw AvroSchemaError(.invalidName, path: Self.join(path, "name"), "'\(name.name)' is a primitive type and cannot be redefined")
        }
        guard defined.insert(name.fullName).inserted else {
            throw AvroSchemaError(.duplicateName, path: Self.join(path, "name"), "'\(name.fullName)' is defined twice")
        }
        return name
    }

    private func aliases(_ object: JSONObject, namespace: String?, path: String) throws(AvroSchemaError) -> [String] {
        guard let json = object["aliases"] else { return [] }
        let aliasesPath = Self.join(path, "aliases")
        guard case .array(let elements) = json else {
            throw AvroSchemaError(.invalidAttribute, path: aliasesPath, "'aliases' must be an array of names")
        }
        var result: [String] = []
        for (i, element) in elements.enumerated() {
            guard case .string(let alias) = element, Self.isValidNamespace(alias) else {
                throw AvroSchemaError(.invalidName, path: Self.join(aliasesPath, "[\(i)]"), "an alias must be a valid Avro name")
            }
            if alias.contains(".") || namespace == nil {
                result.append(alias)
            } else {
                result.append(namespace! + "." + alias)
            }
        }
        return result
    }

    private func doc(_ object: JSONObject, path: String) throws(AvroSchemaError) -> String? {
        switch object["doc"] {
        case nil: return nil
        case .string(let s)?: return s
        case let other?: throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "doc"), "'doc' must be a string, not a \(other.typeName)")
        }
    }

    private mutating func parseRecord(_ object: JSONObject, namespace: String?, path: String, depth: Int) throws(AvroSchemaError) -> AvroType {
        let name = try define(object, namespace: namespace, path: path)
        let aliases = try self.aliases(object, namespace: name.namespace, path: path)
        let doc = try self.doc(object, path: path)
        guard let fieldsJSON = object["fields"] else { throw AvroSchemaError(.missingAttribute, path: path, "a record needs 'fields'") }
        guard case .array(let fieldsArray) = fieldsJSON else {
            throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "fields"), "'fields' must be an array")
        }
        var fields: [AvroField] = []
        fields.reserveCapacity(fieldsArray.count)
        var fieldNames: Set<String> = []
        for (i, fieldJSON) in fieldsArray.enumerated() {
            let fieldPath = Self.join(path, "fields[\(i)]")
            try count(1, path: fieldPath)
            guard case .object(let field) = fieldJSON else {
                throw AvroSchemaError(.invalidAttribute, path: fieldPath, "a field must be an object, not a \(fieldJSON.typeName)")
            }
            guard case .string(let fieldName)? = field["name"] else {
                throw AvroSchemaError(.missingAttribute, path: Self.join(fieldPath, "name"), "a field needs a string 'name'")
            }
            guard Self.isValidName(fieldName) else {
                throw AvroSchemaError(.invalidName, path: Self.join(fieldPath, "name"), "'\(fieldName)' is not a valid field name")
            }
            guard fieldNames.insert(fieldName).inserted else {
                throw AvroSchemaError(.duplicateName, path: Self.join(fieldPath, "name"), "field '\(fieldName)' appears twice in \(name.fullName)")
            }
            guard let typeJSON = field["type"] else {
                throw AvroSchemaError(.missingAttribute, path: fieldPath, "field '\(fieldName)' needs a 'type'")
            }
            let type = try parseType(typeJSON, namespace: name.namespace, path: Self.join(fieldPath, "type"), depth: depth + 1)
            var fieldAliases: [String] = []
            if let aliasesJSON = field["aliases"] {
                guard case .array(let elements) = aliasesJSON else {
                    throw AvroSchemaError(.invalidAttribute, path: Self.join(fieldPath, "aliases"), "'aliases' must be an array of names")
                }
                for (j, element) in elements.enumerated() {
                    guard case .string(let alias) = element, Self.isValidName(alias) else {
                        throw AvroSchemaError(.invalidName, path: Self.join(fieldPath, "aliases[\(j)]"), "a field alias must be a valid name")
                    }
                    fieldAliases.append(alias)
                }
            }
            var order: String?
            if let orderJSON = field["order"] {
                guard case .string(let o) = orderJSON, ["ascending", "descending", "ignore"].contains(o) else {
                    throw AvroSchemaError(.invalidAttribute, path: Self.join(fieldPath, "order"), "'order' is ascending, descending or ignore")
                }
                order = o
            }
            fields.append(
                AvroField(
                    name: fieldName, type: type, defaultValue: field["default"], aliases: fieldAliases,
                    doc: try self.doc(field, path: fieldPath), order: order))
        }
        let record = AvroType.record(AvroRecordSchema(name: name, aliases: aliases, doc: doc, fields: fields))
        namedTypes[name.fullName] = record
        return record
    }

    private mutating func parseEnum(_ object: JSONObject, namespace: String?, path: String) throws(AvroSchemaError) -> AvroType {
        let name = try define(object, namespace: namespace, path: path)
        let aliases = try self.aliases(object, namespace: name.namespace, path: path)
        let doc = try self.doc(object, path: path)
        guard case .array(let symbolsJSON)? = object["symbols"] else {
            throw AvroSchemaError(.missingAttribute, path: path, "an enum needs 'symbols', an array of names")
        }
        try count(symbolsJSON.count, path: Self.join(path, "symbols"))
        var symbols: [String] = []
        symbols.reserveCapacity(symbolsJSON.count)
        var seen: Set<String> = []
        for (i, symbolJSON) in symbolsJSON.enumerated() {
            let symbolPath = Self.join(path, "symbols[\(i)]")
            guard case .string(let symbol) = symbolJSON, Self.isValidName(symbol) else {
                throw AvroSchemaError(.invalidName, path: symbolPath, "an enum symbol must be a valid name ([A-Za-z_][A-Za-z0-9_]*)")
            }
            guard seen.insert(symbol).inserted else {
                throw AvroSchemaError(.duplicateName, path: symbolPath, "symbol '\(symbol)' appears twice")
            }
            symbols.append(symbol)
        }
        var defaultSymbol: String?
        if let defaultJSON = object["default"] {
            guard case .string(let s) = defaultJSON, seen.contains(s) else {
                throw AvroSchemaError(.invalidDefault, path: Self.join(path, "default"), "the default of enum \(name.fullName) must be one of its symbols")
            }
            defaultSymbol = s
        }
        let type = AvroType.enumeration(AvroEnumSchema(name: name, aliases: aliases, doc: doc, symbols: symbols, defaultSymbol: defaultSymbol))
        namedTypes[name.fullName] = type
        return type
    }

    private mutating func parseFixed(_ object: JSONObject, namespace: String?, path: String) throws(AvroSchemaError) -> AvroType {
        let name = try define(object, namespace: namespace, path: path)
        let aliases = try self.aliases(object, namespace: name.namespace, path: path)
        guard case .number(let sizeText)? = object["size"], let size = Int32(sizeText), size >= 0 else {
            throw AvroSchemaError(.invalidAttribute, path: Self.join(path, "size"), "a fixed needs a 'size', an integer in 0…\(Int32.max)")
        }
        let logical = Self.logicalType(object, on: "fixed", fixedSize: Int(size))
        let type = AvroType.fixed(AvroFixedSchema(name: name, aliases: aliases, size: Int(size), logicalType: logical))
        namedTypes[name.fullName] = type
        return type
    }

    // MARK: Logical types

    /// The logical type of a type object, or nil when it has none, an unknown one, or one that
    /// does not fit (the specification says to ignore it then).
    static func logicalType(_ object: JSONObject, on underlying: String, fixedSize: Int?) -> AvroLogicalType? {
        guard case .string(let name)? = object["logicalType"] else { return nil }
        switch (name, underlying) {
        case ("date", "int"): return .date
        case ("time-millis", "int"): return .timeMillis
        case ("time-micros", "long"): return .timeMicros
        case ("timestamp-millis", "long"): return .timestampMillis
        case ("timestamp-micros", "long"): return .timestampMicros
        case ("local-timestamp-millis", "long"): return .localTimestampMillis
        case ("local-timestamp-micros", "long"): return .localTimestampMicros
        case ("uuid", "string"): return .uuid
        case ("duration", "fixed") where fixedSize == 12: return .duration
        case ("decimal", "bytes"), ("decimal", "fixed"):
            guard case .number(let p)? = object["precision"], let precision = Int(p), precision > 0 else { return nil }
            var scale = 0
            if let scaleJSON = object["scale"] {
                guard case .number(let s) = scaleJSON, let value = Int(s) else { return nil }
                scale = value
            }
            guard scale >= 0, scale <= precision else { return nil }
            if let size = fixedSize {
                // The most decimal digits a signed `size`-byte integer holds: ⌊log10(2^(8·size−1) − 1)⌋.
                guard size > 0 else { return nil }
                let digits = Int((Double(8 * size - 1) * 0.301_029_995_663_981_2).rounded(.down))
                guard precision <= digits else { return nil }
            }
            return .decimal(precision: precision, scale: scale)
        default: return nil
        }
    }

    // MARK: Names

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        guard isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
    }

    /// A dotted sequence of names (a namespace or a full name).
    static func isValidNamespace(_ namespace: String) -> Bool {
        namespace.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isValidName(String($0)) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    // MARK: Defaults

    /// Checks every field default against its field's type, once the whole schema (and so every
    /// named type a default may need) is known.
    static func checkDefaults(_ type: AvroType, in schema: AvroSchema, path: String) throws(AvroSchemaError) {
        switch type {
        case .record(let record):
            for (i, field) in record.fields.enumerated() {
                let fieldPath = join(path, "fields[\(i)]")
                try checkDefaults(field.type, in: schema, path: join(fieldPath, "type"))
                guard let json = field.defaultValue else { continue }
                do { _ = try AvroDefaults.value(json, of: field.type, in: schema) } catch {
                    let inside = error.pathText
                    throw AvroSchemaError(
                        .invalidDefault, path: join(fieldPath, "default"),
                        "field '\(field.name)'\(inside.isEmpty ? "" : " at \(inside)"): \(error.message)")
                }
            }
        case .array(let items): try checkDefaults(items, in: schema, path: join(path, "items"))
        case .map(let values): try checkDefaults(values, in: schema, path: join(path, "values"))
        case .union(let branches):
            for (i, branch) in branches.enumerated() { try checkDefaults(branch, in: schema, path: join(path, "[\(i)]")) }
        default: break
        }
    }
}
