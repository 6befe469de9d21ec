/// How to read a writer's datum as a reader's value, worked out once per schema pair
/// (Avro 1.11 "Schema Resolution").
struct ResolutionPlan: Sendable {
    var root: Node
    var records: [RecordPlan]

    indirect enum Node: Sendable {
        case null, boolean, int, long, float, double, bytes, string
        case intAsLong, intAsFloat, intAsDouble, longAsFloat, longAsDouble, floatAsDouble
        case stringAsBytes, bytesAsString
        case fixed(size: Int)
        /// Writer symbol index → reader symbol index; nil when the reader has neither the symbol
        /// nor a default (an error when a datum holds it).
        case enumeration(mapping: [Int?], writerSymbols: [String])
        case array(Node)
        case map(Node)
        case record(Int)
        /// One node per branch of the writer's union; nil for a branch the reader cannot read,
        /// with why.
        case writerUnion([Node?], reasons: [String])
        /// A writer's non-union value read as the reader's union branch `branch`.
        case readerUnion(branch: Int, Node)
        case failed(String)
    }

    struct RecordPlan: Sendable {
        enum Step: Sendable {
            /// Read the writer's field into the reader's field `index`.
            case read(index: Int, name: String, Node)
            /// The writer's field that the reader does not have.
            case skip(name: String, AvroType)
        }

        var readerFieldNames: [String] = []
        var steps: [Step] = []
        /// Reader fields the writer does not have, with their defaults.
        var defaults: [(index: Int, value: AvroValue)] = []
        /// Why a recursive record pair did not resolve, found after another plan referred to it.
        var failure: String?
    }
}

/// Builds a `ResolutionPlan`. Record pairs are planned once (memoized by full names), so a
/// recursive or much-referenced record costs one plan.
struct ResolutionPlanBuilder {
    let writer: AvroSchema
    let reader: AvroSchema
    var records: [ResolutionPlan.RecordPlan] = []
    private var recordIndex: [String: Int] = [:]

    init(writer: AvroSchema, reader: AvroSchema) {
        self.writer = writer
        self.reader = reader
    }

    mutating func build() throws(AvroPathError) -> ResolutionPlan {
        let root = try node(writer: writer.root, reader: reader.root)
        return ResolutionPlan(root: root, records: records)
    }

    mutating func node(writer w: AvroType, reader r: AvroType) throws(AvroPathError) -> ResolutionPlan.Node {
        let wt = writer.resolve(w)
        let rt = reader.resolve(r)
        if case .union(let writerBranches) = wt {
            var nodes: [ResolutionPlan.Node?] = []
            var reasons: [String] = []
            for branch in writerBranches {
                do {
                    nodes.append(try node(writer: branch, reader: r))
                    reasons.append("")
                } catch {
                    nodes.append(nil)
                    reasons.append(error.message)
                }
            }
            return .writerUnion(nodes, reasons: reasons)
        }
        if case .union(let readerBranches) = rt {
            for i in AvroTypeMatch.branchOrder(writer: wt, readerBranches: readerBranches, in: reader) {
                if let n = try? node(writer: wt, reader: readerBranches[i]) { return .readerUnion(branch: i, n) }
            }
            throw AvroPathError("no branch of the reader's union \(AvroTypeMatch.describe(readerBranches)) reads the writer's \(wt.displayName)")
        }
        switch (wt, rt) {
        case (.null, .null): return .null
        case (.boolean, .boolean): return .boolean
        case (.int, .int): return .int
        case (.int, .long): return .intAsLong
        case (.int, .float): return .intAsFloat
        case (.int, .double): return .intAsDouble
        case (.long, .long): return .long
        case (.long, .float): return .longAsFloat
        case (.long, .double): return .longAsDouble
        case (.float, .float): return .float
        case (.float, .double): return .floatAsDouble
        case (.double, .double): return .double
        case (.bytes, .bytes): return .bytes
        case (.bytes, .string): return .bytesAsString
        case (.string, .string): return .string
        case (.string, .bytes): return .stringAsBytes
        case (.fixed(let wf), .fixed(let rf)):
            guard AvroTypeMatch.namesMatch(writer: wf.name, reader: rf.name, readerAliases: rf.aliases) else {
                throw AvroPathError("the reader's fixed \(rf.name.fullName) does not match the writer's \(wf.name.fullName)")
            }
            guard wf.size == rf.size else {
                throw AvroPathError("fixed \(rf.name.fullName) is \(rf.size) bytes in the reader, \(wf.size) in the writer")
            }
            return .fixed(size: wf.size)
        case (.enumeration(let we), .enumeration(let re)):
            guard AvroTypeMatch.namesMatch(writer: we.name, reader: re.name, readerAliases: re.aliases) else {
                throw AvroPathError("the reader's enum \(re.name.fullName) does not match the writer's \(we.name.fullName)")
            }
            var readerIndex: [String: Int] = [:]
            for (i, symbol) in re.symbols.enumerated() { readerIndex[symbol] = i }
            let defaultIndex = re.defaultSymbol.flatMap { readerIndex[$0] }
            let mapping = we.symbols.map { readerIndex[$0] ?? defaultIndex }
            return .enumeration(mapping: mapping, writerSymbols: we.symbols)
        case (.array(let wi), .array(let ri)):
            do { return .array(try node(writer: wi, reader: ri)) } catch { throw error.within("[]") }
        case (.map(let wv), .map(let rv)):
            do { return .map(try node(writer: wv, reader: rv)) } catch { throw error.within("[]") }
        case (.record(let wr), .record(let rr)):
            guard AvroTypeMatch.namesMatch(writer: wr.name, reader: rr.name, readerAliases: rr.aliases) else {
                throw AvroPathError("the reader's record \(rr.name.fullName) does not match the writer's \(wr.name.fullName)")
            }
            return .record(try recordPlan(writer: wr, reader: rr))
        default:
            throw AvroPathError("the reader's \(rt.displayName) cannot read the writer's \(wt.displayName)")
        }
    }

    private mutating func recordPlan(writer wr: AvroRecordSchema, reader rr: AvroRecordSchema) throws(AvroPathError) -> Int {
        let key = wr.name.fullName + "\u{0}" + rr.name.fullName
        if let index = recordIndex[key] {
            if let failure = records[index].failure { throw AvroPathError(failure) }
            return index
        }
        let index = records.count
        records.append(ResolutionPlan.RecordPlan())
        recordIndex[key] = index
        do {
            records[index] = try recordSteps(writer: wr, reader: rr)
        } catch {
            records[index].failure = error.message
            throw error
        }
        return index
    }

    private mutating func recordSteps(writer wr: AvroRecordSchema, reader rr: AvroRecordSchema) throws(AvroPathError) -> ResolutionPlan.RecordPlan {
        var plan = ResolutionPlan.RecordPlan()
        plan.readerFieldNames = rr.fields.map(\.name)
        let mapping = AvroTypeMatch.fieldMapping(writer: wr, reader: rr)
        var filled = Array(repeating: false, count: rr.fields.count)
        for (writerField, target) in zip(wr.fields, mapping) {
            guard let i = target else {
                plan.steps.append(.skip(name: writerField.name, writerField.type))
                continue
            }
            filled[i] = true
            let readerField = rr.fields[i]
            do {
                plan.steps.append(.read(index: i, name: readerField.name, try node(writer: writerField.type, reader: readerField.type)))
            } catch { throw error.within(readerField.name) }
        }
        for (i, field) in rr.fields.enumerated() where !filled[i] {
            guard let json = field.defaultValue else {
                throw AvroPathError("the reader's field '\(field.name)' of \(rr.name.fullName) is not in the writer's record and has no default").within(
                    field.name)
            }
            do { plan.defaults.append((i, try AvroDefaults.value(json, of: field.type, in: reader))) } catch { throw error.within(field.name) }
        }
        return plan
    }
}

enum AvroTypeMatch {
    /// Avro 1.11: named types match when their unqualified names are equal; an alias of the
    /// reader's type may name the writer's (full or unqualified).
    static func namesMatch(writer: AvroName, reader: AvroName, readerAliases: [String]) -> Bool {
        if writer.name == reader.name { return true }
        return readerAliases.contains { $0 == writer.fullName || AvroName(fullName: $0).name == writer.name }
    }

    static func name(of type: AvroType) -> AvroName? {
        switch type {
        case .record(let r): r.name
        case .enumeration(let e): e.name
        case .fixed(let f): f.name
        default: nil
        }
    }

    /// The order in which a reader's union branches are tried for a writer's non-union type:
    /// the same kind with the same full name (or no name), then the same kind with a matching
    /// unqualified name or alias, then the others (promotions).
    static func branchOrder(writer: AvroType, readerBranches: [AvroType], in reader: AvroSchema) -> [Int] {
        var exact: [Int] = []
        var named: [Int] = []
        var others: [Int] = []
        let writerName = name(of: writer)
        for (i, branch) in readerBranches.enumerated() {
            let resolved = reader.resolve(branch)
            guard resolved.kindName == writer.kindName else {
                others.append(i)
                continue
            }
            switch (writerName, name(of: resolved)) {
            case (let w?, let r?) where w == r: exact.append(i)
            case (nil, nil): exact.append(i)
            default: named.append(i)
            }
        }
        return exact + named + others
    }

    /// For each writer field, the reader field it fills: the one of the same name, else the
    /// first whose aliases name it that the writer does not fill by its own name.
    static func fieldMapping(writer: AvroRecordSchema, reader: AvroRecordSchema) -> [Int?] {
        var byName: [String: Int] = [:]
        var byAlias: [String: [Int]] = [:]
        for (i, field) in reader.fields.enumerated() {
            byName[field.name] = i
            for alias in field.aliases { byAlias[alias, default: []].append(i) }
        }
        let writerNames = Set(writer.fields.map(\.name))
        var taken = Set<Int>()
        return writer.fields.map { field in
            if let i = byName[field.name] { return i }
            let candidates = byAlias[field.name] ?? []
            guard let i = candidates.first(where: { !writerNames.contains(reader.fields[$0].name) && !taken.contains($0) }) else { return nil }
            taken.insert(i)
            return i
        }
    }

    static func describe(_ branches: [AvroType]) -> String {
        "[" + branches.map(\.displayName).joined(separator: ", ") + "]"
    }
}

// MARK: Running a plan

struct PlanRunner {
    let plan: ResolutionPlan
    let writer: AvroSchema
    let limits: AvroDecodingLimits
    var input: AvroByteReader
    private var items = 0
    private var allocated = 0

    static let valueCost = 32

    init(plan: ResolutionPlan, writer: AvroSchema, limits: AvroDecodingLimits, input: AvroByteReader) {
        self.plan = plan
        self.writer = writer
        self.limits = limits
        self.input = input
    }

    private mutating func charge(_ bytes: Int) throws(DecodeFailure) {
        let (sum, overflow) = allocated.addingReportingOverflow(bytes)
        allocated = sum
        guard !overflow, allocated <= limits.maxAllocatedBytes else {
            throw DecodeFailure(.tooLarge, input.offset, "the datum needs more than \(limits.maxAllocatedBytes) bytes")
        }
    }

    private mutating func countItems(_ n: Int) throws(DecodeFailure) {
        guard n <= limits.maxItems - items else {
            throw DecodeFailure(.tooManyItems, input.offset, "more than \(limits.maxItems) array items and map entries")
        }
        items += n
    }

    private mutating func string() throws(DecodeFailure) -> String {
        let start = input.offset
        let length = try input.length()
        try charge(length)
        let slice = try input.take(length)
        guard let s = String(validating: slice, as: UTF8.self) else { throw DecodeFailure(.invalidUTF8, start, "a string that is not UTF-8") }
        return s
    }

    private mutating func bytes() throws(DecodeFailure) -> [UInt8] {
        let length = try input.length()
        try charge(length)
        return Array(try input.take(length))
    }

    mutating func read(_ node: ResolutionPlan.Node, depth: Int) throws(DecodeFailure) -> AvroValue {
        guard depth <= limits.maxDepth else { throw DecodeFailure(.tooDeep, input.offset, "values nested more than \(limits.maxDepth) deep") }
        try charge(Self.valueCost)
        switch node {
        case .null: return .null
        case .boolean:
            let start = input.offset
            switch try input.byte() {
            case 0: return .boolean(false)
            case 1: return .boolean(true)
            case let b: throw DecodeFailure(.invalidBoolean, start, "a boolean byte of \(b)")
            }
        case .int: return .int(try input.int())
        case .long: return .long(try input.long())
        case .float: return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try input.littleEndian(4))))
        case .double: return .double(Double(bitPattern: try input.littleEndian(8)))
        case .bytes: return .bytes(try bytes())
        case .string: return .string(try string())
        case .intAsLong: return .long(Int64(try input.int()))
        case .intAsFloat: return .float(Float(try input.int()))
        case .intAsDouble: return .double(Double(try input.int()))
        case .longAsFloat: return .float(Float(try input.long()))
        case .longAsDouble: return .double(Double(try input.long()))
        case .floatAsDouble: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try input.littleEndian(4)))))
        case .stringAsBytes: return .bytes(Array(try string().utf8))
        case .bytesAsString:
            let start = input.offset
            let raw = try bytes()
            guard let s = String(validating: raw, as: UTF8.self) else { throw DecodeFailure(.invalidUTF8, start, "bytes read as a string are not UTF-8") }
            return .string(s)
        case .fixed(let size):
            guard size <= input.remaining else { throw DecodeFailure(.truncated, input.offset, "a fixed of \(size) bytes with \(input.remaining) left") }
            try charge(size)
            return .fixed(Array(try input.take(size)))
        case .enumeration(let mapping, let symbols):
            let start = input.offset
            let index = try input.int()
            guard index >= 0, Int(index) < mapping.count else {
                throw DecodeFailure(.invalidEnumIndex, start, "enum index \(index) of \(mapping.count) symbols")
            }
            guard let readerIndex = mapping[Int(index)] else {
                throw DecodeFailure(.unresolvable, start, "the reader's enum has no symbol \(symbols[Int(index)]) and no default")
            }
            return .enumSymbol(readerIndex)
        case .array(let items):
            var values: [AvroValue] = []
            while true {
                let count = try input.blockCount()
                if count == 0 { return .array(values) }
                try countItems(count)
                values.reserveCapacity(values.count + min(count, input.remaining))
                for _ in 0..<count {
                    do { values.append(try read(items, depth: depth + 1)) } catch { throw error.within("[\(values.count)]") }
                }
            }
        case .map(let valuesNode):
            var entries: [AvroValue.MapEntry] = []
            while true {
                let count = try input.blockCount()
                if count == 0 { return .map(entries) }
                try countItems(count)
                entries.reserveCapacity(entries.count + min(count, input.remaining))
                for _ in 0..<count {
                    let key: String
                    do { key = try string() } catch { throw error.within("[\(entries.count)]") }
                    do { entries.append(.init(key, try read(valuesNode, depth: depth + 1))) } catch { throw error.within("[\"\(key)\"]") }
                }
            }
        case .record(let index):
            let recordPlan = plan.records[index]
            if let failure = recordPlan.failure { throw DecodeFailure(.unresolvable, input.offset, failure) }
            var values = [AvroValue?](repeating: nil, count: recordPlan.readerFieldNames.count)
            for step in recordPlan.steps {
                switch step {
                case .read(let i, let name, let fieldNode):
                    do { values[i] = try read(fieldNode, depth: depth + 1) } catch { throw error.within(name) }
                case .skip(let name, let type):
                    do { try skip(type, depth: depth + 1) } catch { throw error.within(name) }
                }
            }
            for (i, value) in recordPlan.defaults { values[i] = value }
            var fields: [AvroValue.Field] = []
            fields.reserveCapacity(values.count)
            for (name, value) in zip(recordPlan.readerFieldNames, values) {
                fields.append(.init(name, value ?? .null))
            }
            return .record(fields)
        case .writerUnion(let nodes, let reasons):
            let start = input.offset
            let branch = try input.long()
            guard branch >= 0, branch < Int64(nodes.count) else {
                throw DecodeFailure(.invalidUnionBranch, start, "union branch \(branch) of \(nodes.count)")
            }
            guard let inner = nodes[Int(branch)] else {
                throw DecodeFailure(.unresolvable, start, "the writer's union branch \(branch) cannot be read: \(reasons[Int(branch)])")
            }
            return try read(inner, depth: depth + 1)
        case .readerUnion(let branch, let inner):
            return .union(branch: branch, try read(inner, depth: depth + 1))
        case .failed(let message):
            throw DecodeFailure(.unresolvable, input.offset, message)
        }
    }

    /// Reads past a writer's value the reader does not want, checking it as it goes.
    mutating func skip(_ type: AvroType, depth: Int) throws(DecodeFailure) {
        guard depth <= limits.maxDepth else { throw DecodeFailure(.tooDeep, input.offset, "values nested more than \(limits.maxDepth) deep") }
        try charge(Self.valueCost)
        switch writer.resolve(type) {
        case .null: break
        case .enumeration(let e):
            let start = input.offset
            let index = try input.int()
            guard index >= 0, Int(index) < e.symbols.count else {
                throw DecodeFailure(.invalidEnumIndex, start, "enum index \(index) of \(e.symbols.count) symbols")
            }
        case .boolean, .int, .long, .float, .double, .bytes, .string, .fixed:
            // Checked by reading it: what that builds is bounded by the input it consumes.
            _ = try read(primitiveNode(writer.resolve(type)), depth: depth)
        case .array(let items):
            while true {
                let block = try input.block()
                if block.count == 0 { return }
                if let size = block.bytes {
                    _ = try input.take(size)
                    continue
                }
                try countItems(block.count)
                for i in 0..<block.count {
                    do { try skip(items, depth: depth + 1) } catch { throw error.within("[\(i)]") }
                }
            }
        case .map(let values):
            while true {
                let block = try input.block()
                if block.count == 0 { return }
                if let size = block.bytes {
                    _ = try input.take(size)
                    continue
                }
                try countItems(block.count)
                for i in 0..<block.count {
                    _ = try input.take(try input.length())
                    do { try skip(values, depth: depth + 1) } catch { throw error.within("[\(i)]") }
                }
            }
        case .record(let r):
            for field in r.fields {
                do { try skip(field.type, depth: depth + 1) } catch { throw error.within(field.name) }
            }
        case .union(let branches):
            let start = input.offset
            let branch = try input.long()
            guard branch >= 0, branch < Int64(branches.count) else {
                throw DecodeFailure(.invalidUnionBranch, start, "union branch \(branch) of \(branches.count)")
            }
            try skip(branches[Int(branch)], depth: depth + 1)
        case .reference(let name):
            throw DecodeFailure(.unresolvable, input.offset, "unknown named type \(name)")
        }
    }

    private func primitiveNode(_ type: AvroType) -> ResolutionPlan.Node {
        switch type {
        case .boolean: .boolean
        case .int: .int
        case .long: .long
        case .float: .float
        case .double: .double
        case .bytes: .bytes
        case .string: .string
        case .fixed(let f): .fixed(size: f.size)
        default: .null
        }
    }
}
