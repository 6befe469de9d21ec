import NIOCore

/// How a keyspace places replicas (`system_schema.keyspaces.replication`).
public enum CQLReplication: Sendable, Hashable {
    /// `SimpleStrategy`: the owner of the token and the next `replicationFactor - 1` distinct
    /// nodes clockwise.
    case simple(replicationFactor: Int)
    /// `NetworkTopologyStrategy`: per data center, the first `factor` distinct nodes of that
    /// data center clockwise from the token (racks are not considered).
    case networkTopology([String: Int])

    /// Reads a replication map; `nil` for a strategy this client does not know (LocalStrategy,
    /// EverywhereStrategy…), for which token-aware routing is not used.
    public init?(_ map: [String: String]) {
        guard let strategy = map["class"] else { return nil }
        if strategy.hasSuffix("SimpleStrategy") {
            guard let rf = map["replication_factor"].flatMap({ Int($0) }), rf > 0 else { return nil }
            self = .simple(replicationFactor: rf)
        } else if strategy.hasSuffix("NetworkTopologyStrategy") {
            var factors: [String: Int] = [:]
            for (key, value) in map where key != "class" && key != "replication_factor" {
                // Cassandra 4 may write "3/1" (full/transient replicas).
                if let n = Int(value.split(separator: "/").first ?? "") { factors[key] = n }
            }
            self = .networkTopology(factors)
        } else {
            return nil
        }
    }
}

/// The token ring of a Murmur3Partitioner cluster: which nodes own which token ranges.
///
/// A node with token `t` owns the range `(previous token, t]`; the first token of the ring
/// also owns everything after the last one. Built from `system.local` and `system.peers`
/// (each node's `tokens` set, data center and rack).
public struct CQLTokenRing: Sendable, Hashable {
    /// A node of the ring.
    public struct Node: Sendable, Hashable, CustomStringConvertible {
        /// How the client reaches it (`host:port`).
        public var address: String
        public var dataCenter: String
        public var rack: String
        public var tokens: [Int64]

        public init(address: String, dataCenter: String, rack: String = "rack1", tokens: [Int64]) {
            self.address = address
            self.dataCenter = dataCenter
            self.rack = rack
            self.tokens = tokens
        }

        public var description: String { "\(address) (\(dataCenter))" }
    }

    public let nodes: [Node]
    /// (token, index into `nodes`), ascending.
    let ring: [(token: Int64, node: Int)]

    public static func == (a: CQLTokenRing, b: CQLTokenRing) -> Bool { a.nodes == b.nodes }
    public func hash(into hasher: inout Hasher) { hasher.combine(nodes) }

    public init(nodes: [Node]) {
        self.nodes = nodes
        var ring: [(token: Int64, node: Int)] = []
        for (index, node) in nodes.enumerated() {
            for token in node.tokens { ring.append((token, index)) }
        }
        ring.sort { ($0.token, $0.node) < ($1.token, $1.node) }
        self.ring = ring
    }

    /// Parses `system.local`'s / `system.peers`' `tokens` strings (decimal `Int64`s); strings that
    /// are not are skipped.
    public static func tokens(_ texts: [String]) -> [Int64] { texts.compactMap { Int64($0) } }

    /// The index into the ring of the first token ≥ `token` (wrapping to 0).
    func ownerIndex(_ token: Int64) -> Int? {
        guard !ring.isEmpty else { return nil }
        var low = 0
        var high = ring.count
        while low < high {
            let mid = (low + high) / 2
            if ring[mid].token < token { low = mid + 1 } else { high = mid }
        }
        return low == ring.count ? 0 : low
    }

    /// The node that owns `token` (the primary replica).
    public func owner(of token: Int64) -> Node? {
        ownerIndex(token).map { nodes[ring[$0].node] }
    }

    /// The replicas of `token` under `replication`, primary first, walking the ring clockwise.
    /// With `localDataCenter`, the replicas in that data center come first (ring order kept
    /// within each group).
    public func replicas(of token: Int64, replication: CQLReplication, localDataCenter: String? = nil) -> [Node] {
        guard let start = ownerIndex(token) else { return [] }
        var chosen: [Int] = []
        var seen = Set<Int>()
        var perDC: [String: Int] = [:]
        let wanted: Int
        switch replication {
        case .simple(let rf): wanted = min(rf, nodes.count)
        case .networkTopology(let factors):
            wanted = factors.reduce(0) { total, entry in
                total + min(entry.value, nodes.filter { $0.dataCenter == entry.key }.count)
            }
        }
        var step = 0
        while chosen.count < wanted, step < ring.count {
            let index = ring[(start + step) % ring.count].node
            step += 1
            guard !seen.contains(index) else { continue }
            switch replication {
            case .simple:
                seen.insert(index)
                chosen.append(index)
            case .networkTopology(let factors):
                let dc = nodes[index].dataCenter
                guard perDC[dc, default: 0] < factors[dc, default: 0] else { continue }
                seen.insert(index)
                perDC[dc, default: 0] += 1
                chosen.append(index)
            }
        }
        let replicas = chosen.map { nodes[$0] }
        guard let localDataCenter else { return replicas }
        return replicas.filter { $0.dataCenter == localDataCenter } + replicas.filter { $0.dataCenter != localDataCenter }
    }

    /// The replicas of a serialized partition key (`CQLMurmur3Token.routingKey` for compound keys).
    public func replicas(ofKey key: ByteBuffer, replication: CQLReplication, localDataCenter: String? = nil) -> [Node] {
        replicas(of: CQLMurmur3Token.token(of: key), replication: replication, localDataCenter: localDataCenter)
    }
}
