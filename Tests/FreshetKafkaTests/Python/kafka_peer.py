#!/usr/bin/env python3
"""confluent-kafka (librdkafka) as the reference peer of the Freshet Kafka client tests.

Subcommands (output: one JSON object per line on stdout, errors on stderr, exit 1 on failure):

  consume BOOTSTRAP TOPIC PARTITIONS EXPECTED
      Assign every partition from offset 0 (no group) and print each record:
      {"p": partition, "o": offset, "k": key hex|null, "v": value hex, "h": [[key, value hex|null], ...]}
  group-consume BOOTSTRAP TOPIC GROUP EXPECTED
      Subscribe in consumer group GROUP (session.timeout.ms 6000) and print {"p", "o"} per record.
  produce BOOTSTRAP TOPIC PARTITIONS COUNT COMPRESSION
      Produce COUNT records with the codec (none/gzip/snappy/lz4/zstd), record i to partition
      i % PARTITIONS, key "key-<i>", value "value-<i>-" + "x" * (i % 50), headers
      [("i", str(i)), ("codec", COMPRESSION)]; print {"produced": COUNT}.

Standard library plus confluent_kafka.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def hexed(b):
    return None if b is None else b.hex()


def consume(bootstrap, topic, partitions, expected):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "freshet-peer-assign", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    n, deadline = 0, time.time() + 120
    out = sys.stdout
    while n < expected and time.time() < deadline:
        for m in c.consume(num_messages=10000, timeout=0.5):
            if m.error():
                print("consumer error:", m.error(), file=sys.stderr)
                continue
            out.write(json.dumps({"p": m.partition(), "o": m.offset(), "k": hexed(m.key()), "v": hexed(m.value()),
                                  "h": [[k, hexed(v)] for k, v in (m.headers() or [])]}) + "\n")
            n += 1
    c.close()
    if n < expected:
        print(f"consumed only {n} of {expected} records", file=sys.stderr)
        sys.exit(1)


def group_consume(bootstrap, topic, group, expected):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": True,
                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
    c.subscribe([topic])
    n, deadline = 0, time.time() + 120
    while n < expected and time.time() < deadline:
        for m in c.consume(num_messages=1000, timeout=0.5):
            if m.error():
                print("consumer error:", m.error(), file=sys.stderr)
                continue
            sys.stdout.write(json.dumps({"p": m.partition(), "o": m.offset()}) + "\n")
            n += 1
    c.close()
    if n < expected:
        print(f"group consumed only {n} of {expected} records", file=sys.stderr)
        sys.exit(1)


def produce(bootstrap, topic, partitions, count, compression):
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "compression.type": compression, "linger.ms": 5,
                  "enable.idempotence": False, "acks": "all"})

    def done(err, _msg):
        if err is not None:
            errors.append(str(err))

    for i in range(count):
        p.produce(topic, key=f"key-{i}".encode(), value=(f"value-{i}-" + "x" * (i % 50)).encode(),
                  partition=i % partitions, headers=[("i", str(i).encode()), ("codec", compression.encode())],
                  on_delivery=done)
        if i % 1000 == 0:
            p.poll(0)
    remaining = p.flush(60)
    if errors or remaining:
        print(f"produce failed: {remaining} undelivered, errors {errors[:5]}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"produced": count}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "consume":
        consume(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "group-consume":
        group_consume(args[0], args[1], args[2], int(args[3]))
    elif cmd == "produce":
        produce(args[0], args[1], int(args[2]), int(args[3]), args[4])
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
