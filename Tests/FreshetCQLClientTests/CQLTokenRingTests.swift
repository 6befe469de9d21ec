import FreshetCQL
import NIOCore
import Testing

/// Token-aware routing on a synthetic ring, with keys whose tokens come from cassandra-driver
/// (Tests/FreshetCQLTests/Golden/murmur3.txt).
@Suite("CQL token ring")
struct CQLTokenRingTests {
    static let a = CQLTokenRing.Node(address: "10.0.0.1:9042", dataCenter: "dc1", tokens: [-6_000_000_000_000_000_000])
    static let b = CQLTokenRing.Node(address: "10.0.0.2:9042", dataCenter: "dc2", tokens: [0])
    static let c = CQLTokenRing.Node(address: "10.0.0.3:9042", dataCenter: "dc1", tokens: [6_000_000_000_000_000_000])
    static let ring = CQLTokenRing(nodes: [b, c, a])

    /// (key bytes, its token from the driver, its owner on the ring above)
    static let vectors: [([UInt8], Int64, String)] = [
        (Array("a".utf8), -8_839_064_797_231_613_815, a.address),
        (Array("abc".utf8), -5_434_086_359_492_102_041, b.address),
        ([0x80, 0x81], 3_479_874_077_480_803_178, c.address),
        (Array("hello world".utf8), 5_998_619_086_395_760_910, c.address),
        // Past the last token: wraps to the first.
        ([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88], 7_770_289_513_489_161_555, a.address),
    ]

    @Test(arguments: vectors)
    func theOwnerIsTheFirstTokenAtOrAfterTheKeys(key: [UInt8], token: Int64, owner: String) {
        #expect(CQLMurmur3Token.token(of: key) == token)
        #expect(Self.ring.owner(of: token)?.address == owner)
        #expect(Self.ring.replicas(ofKey: ByteBuffer(bytes: key), replication: .simple(replicationFactor: 1)).map(\.address) == [owner])
    }

    @Test func aTokenEqualToANodesTokenBelongsToThatNode() {
        #expect(Self.ring.owner(of: 0)?.address == Self.b.address)
        #expect(Self.ring.owner(of: 1)?.address == Self.c.address)
        #expect(Self.ring.owner(of: .max)?.address == Self.a.address)
        #expect(Self.ring.owner(of: .min + 1)?.address == Self.a.address)
    }

    @Test func simpleStrategyWalksClockwise() {
        let rf2 = CQLReplication.simple(replicationFactor: 2)
        #expect(Self.ring.replicas(of: -8_839_064_797_231_613_815, replication: rf2).map(\.address) == [Self.a.address, Self.b.address])
        #expect(Self.ring.replicas(of: 5_998_619_086_395_760_910, replication: rf2).map(\.address) == [Self.c.address, Self.a.address])
        // More replicas than nodes: every node once.
        #expect(Self.ring.replicas(of: 0, replication: .simple(replicationFactor: 5)).count == 3)
    }

    @Test func networkTopologyCountsPerDataCenterAndPutsTheLocalOneFirst() {
        let nts = CQLReplication.networkTopology(["dc1": 1, "dc2": 1])
        let token: Int64 = 3_479_874_077_480_803_178  // owned by c (dc1); then a (dc1, full) is skipped for b (dc2)
        #expect(Self.ring.replicas(of: token, replication: nts).map(\.address) == [Self.c.address, Self.b.address])
        #expect(Self.ring.replicas(of: token, replication: nts, localDataCenter: "dc2").map(\.address) == [Self.b.address, Self.c.address])
        let dc1Only = CQLReplication.networkTopology(["dc1": 2])
        #expect(Self.ring.replicas(of: 1, replication: dc1Only).map(\.address) == [Self.c.address, Self.a.address])
    }

    @Test func virtualNodesCountEachNodeOnce() {
        let x = CQLTokenRing.Node(address: "x", dataCenter: "dc1", tokens: [-100, 100])
        let y = CQLTokenRing.Node(address: "y", dataCenter: "dc1", tokens: [0, 200])
        let ring = CQLTokenRing(nodes: [x, y])
        #expect(ring.replicas(of: 50, replication: .simple(replicationFactor: 2)).map(\.address) == ["x", "y"])
        #expect(ring.replicas(of: 150, replication: .simple(replicationFactor: 2)).map(\.address) == ["y", "x"])
        #expect(ring.owner(of: 300)?.address == "x")
    }

    @Test func replicationMapsParse() {
        #expect(CQLReplication(["class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "3"]) == .simple(replicationFactor: 3))
        #expect(CQLReplication(["class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "2/1"]) == .networkTopology(["dc1": 3, "dc2": 2]))
        #expect(CQLReplication(["class": "org.apache.cassandra.locator.LocalStrategy"]) == nil)
        #expect(CQLTokenRing.tokens(["-5", "12", "x"]) == [-5, 12])
    }

    @Test func anEmptyRingOwnsNothing() {
        #expect(CQLTokenRing(nodes: []).owner(of: 0) == nil)
        #expect(CQLTokenRing(nodes: []).replicas(of: 0, replication: .simple(replicationFactor: 1)).isEmpty)
    }
}
