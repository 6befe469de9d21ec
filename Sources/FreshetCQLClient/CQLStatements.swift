import FreshetCQL
import NIOCore

/// A statement prepared on the cluster: its id, bind markers and result columns.
public struct CQLPreparedStatement: Sendable, Hashable {
    /// The CQL text.
    public let query: String
    /// The id EXECUTE sends; the client updates its cache when a node assigns a new one.
    public internal(set) var id: ByteBuffer
    /// The bind markers and which of them form the partition key.
    public let metadata: CQLPreparedMetadata
    /// The columns an EXECUTE returns (none for writes).
    public let resultMetadata: CQLRowsMetadata

    public init(query: String, prepared: CQLPrepared) {
        self.query = query
        self.id = prepared.id
        self.metadata = prepared.metadata
        self.resultMetadata = prepared.resultMetadata
    }

    /// The keyspace of the table the statement uses, as the node reported it.
    public var keyspace: String? {
        metadata.globalTableSpec?.keyspace ?? metadata.columns.first?.keyspace ?? resultMetadata.globalTableSpec?.keyspace
    }

    /// The serialized partition key for these values, or `nil` if a key component is not bound
    /// (or the statement has no partition-key markers): then the request is not token-aware.
    public func routingKey(_ values: [CQLBindValue]) -> ByteBuffer? {
        guard !metadata.partitionKeyIndexes.isEmpty else { return nil }
        var components: [ByteBuffer] = []
        for index in metadata.partitionKeyIndexes {
            guard Int(index) < values.count, let bytes = values[Int(index)].buffer else { return nil }
            components.append(bytes)
        }
        return CQLMurmur3Token.routingKey(components)
    }

    /// Checks the number of values against the markers.
    func check(_ values: [CQLBindValue]) throws {
        guard values.count == metadata.columns.count else {
            throw CQLClientError(
                code: .invalidConfiguration,
                message: "\(query) has \(metadata.columns.count) bind markers but \(values.count) values were given")
        }
    }
}

/// One page of rows, decoded.
public struct CQLRowPage: Sendable, Hashable {
    public var columns: [CQLColumnSpec]
    public var rows: [[CQLValue?]]
    /// Where the next page starts; `nil` on the last page.
    public var pagingState: ByteBuffer?

    public init(columns: [CQLColumnSpec], rows: [[CQLValue?]], pagingState: ByteBuffer?) {
        self.columns = columns
        self.rows = rows
        self.pagingState = pagingState
    }

    /// Decodes a Rows result; `columns` stands in when the result skipped its metadata.
    public init(_ rows: CQLRows, columns fallback: [CQLColumnSpec]? = nil) throws {
        let columns = rows.metadata.columns ?? fallback ?? []
        self.columns = columns
        self.rows = try rows.decodedRows(columns: columns)
        self.pagingState = rows.metadata.pagingState
    }

    /// The index of the column named `name`.
    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// Rows as dictionaries keyed by column name.
    public var namedRows: [[String: CQLValue]] {
        rows.map { row in
            var out: [String: CQLValue] = [:]
            for (column, value) in zip(columns, row) { if let value { out[column.name] = value } }
            return out
        }
    }
}

/// One statement of a BATCH.
public struct CQLBatchItem: Sendable, Hashable {
    public var statement: CQLPreparedStatement
    public var values: [CQLValue?]

    public init(_ statement: CQLPreparedStatement, _ values: [CQLValue?]) {
        self.statement = statement
        self.values = values
    }
}

/// Pages of a SELECT, fetched one at a time as the sequence is iterated.
public struct CQLPages: AsyncSequence, Sendable {
    public typealias Element = CQLRowPage
    let fetch: @Sendable (ByteBuffer?) async throws -> CQLRowPage

    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: @Sendable (ByteBuffer?) async throws -> CQLRowPage
        var state: ByteBuffer?
        var done = false

        public mutating func next() async throws -> CQLRowPage? {
            guard !done else { return nil }
            let page = try await fetch(state)
            state = page.pagingState
            done = page.pagingState == nil
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch, state: nil) }
}
