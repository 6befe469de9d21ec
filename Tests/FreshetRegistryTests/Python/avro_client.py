"""confluent-kafka's AvroSerializer and AvroDeserializer (clients no one here wrote) against a
Freshet schema registry and the users_created topic on a Kafka cluster (Tansu in the tests).
Needs: pip install "confluent-kafka[schemaregistry,avro]".

    python3 avro_client.py produce BOOTSTRAP REGISTRY_URL
        Produces to users_created: 20 people with the latest users_created-value schema of the
        registry (checked to be USER below, Freshet's freshet.UserCreated), 20 with that schema
        plus an optional field with a default (a compatible evolution, registered by the
        serializer), then three bad values: plain JSON (not Avro), a frame
        with a schema id the registry does not have, and a truncated Avro frame. Prints one JSON
        object: {"ids": [v1 id, evolved id], "people": [the 40 good values, as produced]}.

    python3 avro_client.py consume BOOTSTRAP REGISTRY_URL COUNT
        Reads COUNT records of users_created from the earliest offset with AvroDeserializer and
        prints each value as a JSON line, with its schema id added as "_schema_id".
"""

import json
import struct
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

TOPIC = "users_created"
STRING_FIELDS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
                 "dob", "registered_date", "phone", "picture"]
USER = {
    "type": "record", "name": "UserCreated", "namespace": "freshet", "aliases": ["users_created"],
    "doc": "A person as the source produces it to users_created.",
    "fields": [{"name": n, "type": "string"} for n in STRING_FIELDS]
    + [{"name": "nat", "type": ["null", "string"], "default": None}],
}


def person(i, evolved):
    p = {
        "id": "00000000-0000-4000-8000-%012d" % i,
        "first_name": "Ada%d" % i,
        "last_name": "Lovelace",
        "gender": "female" if i % 2 else "male",
        "address": "%d Main Street, London, England, United Kingdom" % i,
        "post_code": "N1 %dAA" % (i % 10),
        "email": "ada%d@example.org" % i,
        "username": "ada%d" % i,
        "dob": "1990-01-%02dT10:00:00.000Z" % (i % 28 + 1),
        "registered_date": "2015-06-%02dT12:00:00.000Z" % (i % 28 + 1),
        "phone": "020 7946 %04d" % i,
        "picture": "https://randomuser.me/api/portraits/med/women/%d.jpg" % (i % 90),
        "nat": "GB",
    }
    if evolved:
        p["cell"] = "07700 900%03d" % i
    return p


def produce(bootstrap, url):
    registry = SchemaRegistryClient({"url": url})
    # The schema Freshet registered, as its registry has it; the same as USER.
    latest = registry.get_latest_version(TOPIC + "-value").schema.schema_str
    assert json.loads(latest) == USER, f"users_created-value is {latest}"
    evolved_schema = json.loads(latest)
    evolved_schema["fields"].append({"name": "cell", "type": ["null", "string"], "default": None})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    ctx = SerializationContext(TOPIC, MessageField.VALUE)
    people, framed = [], []
    for evolved, schema in ((False, latest), (True, json.dumps(evolved_schema))):
        serializer = AvroSerializer(registry, schema)
        for i in range(20):
            p = person(i + (100 if evolved else 0), evolved)
            value = serializer(p, ctx)
            framed.append(value)
            producer.produce(TOPIC, key=p["id"].encode(), value=value)
            people.append(p)
    ids = sorted({struct.unpack(">I", v[1:5])[0] for v in framed})
    assert len(ids) == 2, f"expected two schema ids, got {ids}"
    bad = [
        json.dumps(person(900, False)).encode(),                     # not Avro
        b"\x00" + struct.pack(">I", 987654) + framed[0][5:],          # an unknown schema id
        framed[1][: len(framed[1]) // 2],                             # truncated
    ]
    for value in bad:
        producer.produce(TOPIC, key=b"bad", value=value)
    assert producer.flush(30) == 0, "not every record was delivered"
    print(json.dumps({"ids": ids, "people": people}))


def consume(bootstrap, url, count):
    registry = SchemaRegistryClient({"url": url})
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "avro-client-%d" % time.time_ns(),
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 6000})
    consumer.subscribe([TOPIC])
    seen = 0
    deadline = time.monotonic() + 60
    while seen < count:
        assert time.monotonic() < deadline, f"read {seen} of {count} records in 60 s"
        message = consumer.poll(1.0)
        if message is None:
            continue
        assert message.error() is None, str(message.error())
        raw = message.value()
        value = deserializer(raw, SerializationContext(TOPIC, MessageField.VALUE))
        value["_schema_id"] = struct.unpack(">I", raw[1:5])[0]
        print(json.dumps(value, ensure_ascii=False))
        seen += 1
    consumer.close()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "produce":
        produce(sys.argv[2], sys.argv[3])
    elif command == "consume":
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(f"unknown command {command}")
