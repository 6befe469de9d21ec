#!/usr/bin/env python3
"""Reference numbers for `freshet bench kafka`: produce then consume N keyed records with
confluent-kafka (librdkafka) against the same broker, with the same record shape as
Freshet's side of the benchmark. Prints one JSON object on stdout.

    python3 scripts/tools/kafka_bench.py --bootstrap 127.0.0.1:9092 --topic bench-librdkafka \
        --records 200000 --value-bytes 1000 --partitions 3
"""
import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--value-bytes", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--compression", default="none")
    args = parser.parse_args()

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    futures = admin.create_topics([NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1)])
    for future in futures.values():
        try:
            future.result(timeout=30)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise

    # Same shape as Freshet's side: a 36-byte UUID key and a value of value-bytes.
    filler = b"x" * max(0, args.value_bytes - 40)
    keys = [str(uuid.UUID(int=i + 1)).encode() for i in range(args.records)]

    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "compression.type": args.compression,
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
    })
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(str(error))

    start = time.perf_counter()
    for i, key in enumerate(keys):
        value = b'{"n":%d,"f":"' % i + filler + b'"}'
        while True:
            try:
                producer.produce(args.topic, value=value, key=key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        if i % 10_000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    produce_seconds = time.perf_counter() - start
    if remaining or failures:
        print(f"kafka_bench: {remaining} undelivered, failures: {failures[:3]}", file=sys.stderr)
        sys.exit(1)

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"bench-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "fetch.max.bytes": 52_428_800,
    })
    consumer.subscribe([args.topic])
    received = 0
    first = None
    deadline = time.perf_counter() + 300
    while received < args.records and time.perf_counter() < deadline:
        messages = consumer.consume(num_messages=10_000, timeout=1.0)
        for message in messages:
            if message.error():
                continue
            if first is None:
                first = time.perf_counter()
            received += 1
    end = time.perf_counter()
    consumer.close()
    if received < args.records:
        print(f"kafka_bench: consumed {received} of {args.records}", file=sys.stderr)
        sys.exit(1)
    # Consume time runs from the first record (group join excluded, as on Freshet's side).
    consume_seconds = end - (first or end)
    print(json.dumps({
        "client": "confluent-kafka (librdkafka)",
        "records": args.records,
        "produce_seconds": produce_seconds,
        "produce_records_per_second": args.records / produce_seconds,
        "consume_seconds": consume_seconds,
        "consume_records_per_second": args.records / consume_seconds if consume_seconds > 0 else None,
    }))


if __name__ == "__main__":
    main()
