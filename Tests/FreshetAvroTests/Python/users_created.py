#!/usr/bin/env python3
"""Golden vectors for the users_created topic in Avro (FreshetStreamTests' AvroTopicGoldenTests),
produced by fastavro.

    pip install fastavro
    python3 Tests/FreshetAvroTests/Python/users_created.py   # rewrites Tests/FreshetAvroTests/Golden/users_created.json

READER is Freshet's schema (UserCreatedAvro.schemaJSON; a test checks the two are the same).
Each case is a writer schema, a datum, fastavro's encoding of it, the value Confluent-framed with
the case's schema id (magic byte 0, the id as 4 bytes big-endian, the datum), and what fastavro
reads from it with READER as the reader schema.
"""
import io
import json
import os

import fastavro
from fastavro.schema import parse_schema

SEED_KEYS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email",
             "username", "dob", "registered_date", "phone", "picture"]

READER = {
    "type": "record", "name": "UserCreated", "namespace": "freshet", "aliases": ["users_created"],
    "doc": "A person as the source produces it to users_created.",
    "fields": [{"name": k, "type": "string"} for k in SEED_KEYS]
    + [{"name": "nat", "type": ["null", "string"], "default": None}],
}

USER = {
    "id": "0e6b1c5e-4f36-4a8e-9d0c-1f1d3b8f9a01",
    "first_name": "Zoé",
    "last_name": "Lefèvre \"Zo\"",
    "gender": "female",
    "address": "4242 Rue de la Paix, Lyon, Auvergne-Rhône-Alpes, France",
    "post_code": "69001",
    "email": "zoe.lefevre@example.com",
    "username": "bluebird123",
    "dob": "1987-03-14T08:21:43.512Z",
    "registered_date": "2012-11-02T17:05:09.000Z",
    "phone": "04-12-34-56-78",
    "picture": "https://randomuser.me/api/portraits/med/women/12.jpg",
    "nat": "FR",
}

# A producer that added optional fields with defaults and wrote the fields in another order.
EVOLVED = {
    "type": "record", "name": "UserCreated", "namespace": "freshet",
    "fields": [{"name": "nat", "type": ["null", "string"], "default": None},
               {"name": "middle_name", "type": ["null", "string"], "default": None}]
    + [{"name": k, "type": "string"} for k in reversed(SEED_KEYS)]
    + [{"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}],
}

# A producer whose record is named users_created in another namespace, without nat.
OTHER_NAME = {
    "type": "record", "name": "users_created", "namespace": "com.example",
    "fields": [{"name": k, "type": "string"} for k in SEED_KEYS],
}

CASES = [
    # (name, schema id, writer, datum)
    ("as_written", 1, READER, USER),
    ("nat_null", 1, READER, dict(USER, nat=None)),
    ("evolved_writer", 2, EVOLVED, dict(USER, middle_name="Anne", tags=["a", "b"])),
    ("other_record_name_without_nat", 3, OTHER_NAME, {k: USER[k] for k in SEED_KEYS}),
]


def main():
    reader = parse_schema(READER)
    cases = []
    for name, schema_id, writer, datum in CASES:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parse_schema(writer), datum)
        encoded = out.getvalue()
        framed = b"\x00" + schema_id.to_bytes(4, "big") + encoded
        read = fastavro.schemaless_reader(io.BytesIO(encoded), parse_schema(writer), reader)
        cases.append({
            "name": name,
            "schema_id": schema_id,
            "writer": json.dumps(writer, ensure_ascii=False),
            "datum": datum,
            "encoding": encoded.hex(),
            "framed": framed.hex(),
            "read": read,
        })
    out = {"fastavro": fastavro.__version__, "reader": json.dumps(READER, ensure_ascii=False), "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "Golden", "users_created.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
