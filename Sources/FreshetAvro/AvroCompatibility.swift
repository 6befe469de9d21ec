/// Confluent Schema Registry's compatibility levels: which earlier versions a new schema is
/// checked against, and in which direction.
public enum AvroCompatibilityLevel: String, Sendable, CaseIterable {
    case none = "NONE"
    /// The new schema reads data written with the latest previous one.
    case backward = "BACKWARD"
    /// ... with every previous one.
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    /// The latest previous schema reads data written with the new one.
    case forward = "FORWARD"
    /// Every previous schema reads data written with the new one.
    case forwardTransitive = "FORWARD_TRANSITIVE"
    /// Backward and forward against the latest previous schema.
    case full = "FULL"
    /// Backward and forward against every previous schema.
    case fullTransitive = "FULL_TRANSITIVE"
}

/// Whether a reader's schema can read every datum a writer's schema can write (Avro 1.11
/// "Schema Resolution", taken strictly: a writer's union branch or enum symbol the reader cannot
/// take is a problem even though only data holding it would fail).
public enum AvroCompatibility {
    /// The problems that stop `reader` from reading data written with `writer`; empty when it can.
    /// Each names the reader's field: `address.street: …`.
    public static func check(reader: AvroSchema, writer: AvroSchema) -> [String] {
        var checker = Checker(writer: writer, reader: reader)
        return checker.check(writer: writer.root, reader: reader.root, path: [])
    }

    /// Confluent's check of a new schema version: the problems with `new` under `level`, given
    /// the earlier versions oldest first (the last is the latest). Empty when it is compatible
    /// (always for `none`, and when there is no previous version).
    public static func check(_ new: AvroSchema, against previous: [AvroSchema], level: AvroCompatibilityLevel) -> [String] {
        guard let latestIndex = previous.indices.last else { return [] }
        let versions: [Int]
        switch level {
        case .none: return []
        case .backward, .forward, .full: versions = [latestIndex]
        case .backwardTransitive, .forwardTransitive, .fullTransitive: versions = Array(previous.indices)
        }
        let backward = [.backward, .backwardTransitive, .full, .fullTransitive].contains(level)
        let forward = [.forward, .forwardTransitive, .full, .fullTransitive].contains(level)
        var problems: [String] = []
        for i in versions {
            if backward {
                problems += check(reader: new, writer: previous[i]).map { "the new schema cannot read previous[\(i)]: \($0)" }
            }
            if forward {
                problems += check(reader: previous[i], writer: new).map { "previous[\(i)] cannot read the new schema: \($0)" }
            }
        }
        return problems
    }

    struct Checker {
        let writer: AvroSchema
        let reader: AvroSchema
        /// Record pairs checked or being checked: each pair's problems are reported once, and a
        /// recursive pair is assumed fine while it is being checked.
        var seen: [String: [String]] = [:]

        init(writer: AvroSchema, reader: AvroSchema) {
            self.writer = writer
            self.reader = reader
        }

        static func problem(_ path: [String], _ message: String) -> String {
            let text = AvroPath.text(path)
            return (text.isEmpty ? "(top level)" : text) + ": " + message
        }

        mutating func check(writer w: AvroType, reader r: AvroType, path: [String]) -> [String] {
            guard path.count <= 128 else { return [Self.problem(path, "types nested too deep to compare")] }
            let wt = writer.resolve(w)
            let rt = reader.resolve(r)
            if case .union(let writerBranches) = wt {
                var problems: [String] = []
                for branch in writerBranches {
                    problems += check(writer: branch, reader: r, path: path)
                }
                return problems
            }
            if case .union(let readerBranches) = rt {
                for i in AvroTypeMatch.branchOrder(writer: wt, readerBranches: readerBranches, in: reader) {
                    if check(writer: wt, reader: readerBranches[i], path: path).isEmpty { return [] }
                }
                return [Self.problem(path, "no branch of the reader's union \(AvroTypeMatch.describe(readerBranches)) reads the writer's \(wt.displayName)")]
            }
            switch (wt, rt) {
            case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
                (.bytes, .bytes), (.string, .string),
                (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double), (.float, .double),
                (.string, .bytes), (.bytes, .string):
                return []
            case (.fixed(let wf), .fixed(let rf)):
                guard AvroTypeMatch.namesMatch(writer: wf.name, reader: rf.name, readerAliases: rf.aliases) else {
                    return [Self.problem(path, "the reader's fixed \(rf.name.fullName) does not match the writer's \(wf.name.fullName)")]
                }
                guard wf.size == rf.size else {
                    return [Self.problem(path, "fixed \(rf.name.fullName) is \(rf.size) bytes in the reader, \(wf.size) in the writer")]
                }
                return []
            case (.enumeration(let we), .enumeration(let re)):
                guard AvroTypeMatch.namesMatch(writer: we.name, reader: re.name, readerAliases: re.aliases) else {
                    return [Self.problem(path, "the reader's enum \(re.name.fullName) does not match the writer's \(we.name.fullName)")]
                }
                let readerSymbols = Set(re.symbols)
                let missing = we.symbols.filter { !readerSymbols.contains($0) }
                guard missing.isEmpty || re.defaultSymbol != nil else {
                    return [
                        Self.problem(
                            path, "the reader's enum \(re.name.fullName) lacks the writer's symbols \(missing.joined(separator: ", ")) and has no default")
                    ]
                }
                return []
            case (.array(let wi), .array(let ri)):
                return check(writer: wi, reader: ri, path: path + ["[]"])
            case (.map(let wv), .map(let rv)):
                return check(writer: wv, reader: rv, path: path + ["[]"])
            case (.record(let wr), .record(let rr)):
                guard AvroTypeMatch.namesMatch(writer: wr.name, reader: rr.name, readerAliases: rr.aliases) else {
                    return [Self.problem(path, "the reader's record \(rr.name.fullName) does not match the writer's \(wr.name.fullName)")]
                }
                let key = wr.name.fullName + "\u{0}" + rr.name.fullName
                if let known = seen[key] { return known }
                seen[key] = []
                var problems: [String] = []
                // The same matching as the resolving decoder's.
                var writerFieldFor: [Int: Int] = [:]
                for (w, r) in AvroTypeMatch.fieldMapping(writer: wr, reader: rr).enumerated() {
                    if let r { writerFieldFor[r] = w }
                }
                for (r, readerField) in rr.fields.enumerated() {
                    let fieldPath = path + [readerField.name]
                    if let w = writerFieldFor[r] {
                        let writerField = wr.fields[w]
                        problems += check(writer: writerField.type, reader: readerField.type, path: fieldPath)
                    } else if readerField.defaultValue == nil {
                        problems.append(
                            Self.problem(
                                fieldPath, "the reader's field '\(readerField.name)' has no default and the writer's \(wr.name.fullName) does not have it"))
                    }
                }
                seen[key] = problems
                return problems
            default:
                return [Self.problem(path, "the reader's \(rt.displayName) cannot read the writer's \(wt.displayName)")]
            }
        }
    }
}
