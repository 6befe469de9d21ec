#!/usr/bin/env python3
"""Golden vectors for FreshetAvroTests, produced by fastavro (an independent Avro implementation).

    pip install fastavro
    python3 Tests/FreshetAvroTests/Python/golden.py   # rewrites Tests/FreshetAvroTests/Golden/golden.json

For each case: the schema, fastavro's Parsing Canonical Form and CRC-64-AVRO fingerprint (the
8 bytes little-endian, in hex), and datums with their binary encoding. Resolution cases also give
a reader schema and the datum fastavro reads with it. Datums are JSON: bytes and fixed as
strings of code points 0-255, enums as their symbol, unions as the bare value.
"""
import io
import json
import os
import uuid

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

USERS_CREATED = {
    "type": "record",
    "name": "users_created",
    "namespace": "freshet",
    "doc": "A person from the Random User API, as the source produces it to users_created.",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "first_name", "type": "string"},
        {"name": "last_name", "type": "string"},
        {"name": "gender", "type": "string"},
        {"name": "address", "type": "string"},
        {"name": "post_code", "type": "string"},
        {"name": "email", "type": "string"},
        {"name": "username", "type": "string"},
        {"name": "dob", "type": "string"},
        {"name": "registered_date", "type": "string"},
        {"name": "phone", "type": "string"},
        {"name": "picture", "type": "string"},
        {"name": "nat", "type": ["null", "string"], "default": None},
    ],
}

USER = {
    "id": "0e6b1c5e-4f36-4a8e-9d0c-1f1d3b8f9a01",
    "first_name": "Zoé",
    "last_name": "Lefèvre",
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

KITCHEN_SINK = {
    "type": "record",
    "name": "Everything",
    "namespace": "org.example",
    "aliases": ["All"],
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string", "doc": "text", "default": "x"},
        {"name": "e", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"], "default": "SPADES"}},
        {"name": "e2", "type": "Suit"},
        {"name": "fx", "type": {"type": "fixed", "name": "MD5", "namespace": "org.hash", "size": 4}},
        {"name": "fx2", "type": "org.hash.MD5"},
        {"name": "a", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "double"]}},
        {"name": "u", "type": ["null", "string", "Suit", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}]},
        {"name": "dt", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "next", "type": ["null", "Everything"], "default": None},
    ],
}

SINK_DATUM = {
    "n": None, "b": True, "i": -2147483648, "l": 9223372036854775807, "f": 1.5, "d": -0.25,
    "by": b"\x00\x01\xfe\xff", "s": "héllo", "e": "DIAMONDS", "e2": "CLUBS",
    "fx": b"\xde\xad\xbe\xef", "fx2": b"\x00\x00\x00\x00",
    "a": [0, -1, 1, -64, 64, 8192, -8193],
    "m": {"a": None, "b": 2.5},
    "u": {"x": -7},
    "dt": 19000, "ts": 1700000000123, "tu": 1700000000123456,
    "dec": b"\x01\x00", "next": None,
}

CANONICAL_ONLY = [
    ("int", "int"),
    ("record_spec_example", {"type": "record", "name": "test", "fields": [{"name": "a", "type": "long"}, {"name": "b", "type": "string"}]}),
    ("namespaced_enum", {"type": "enum", "name": "Color", "namespace": "a.b", "doc": "d", "symbols": ["RED", "GREEN"]}),
    ("array_of_maps", {"type": "array", "items": {"type": "map", "values": {"type": "fixed", "name": "F", "size": 16}}}),
    ("union", ["null", {"type": "long", "logicalType": "timestamp-millis"}, "string"]),
    ("linked_list", {"type": "record", "name": "Node", "namespace": "x", "fields": [
        {"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"], "default": None}]}),
    ("nested_namespaces", {"type": "record", "name": "Outer", "namespace": "p", "fields": [
        {"name": "a", "type": {"type": "record", "name": "Mid", "namespace": "q", "fields": [
            {"name": "b", "type": {"type": "enum", "name": "E", "symbols": ["X"]}}]}},
        {"name": "c", "type": "q.E"},
        {"name": "d", "type": {"type": "fixed", "name": "r.G", "size": 2}}]}),
]

RESOLUTION = [
    # (name, writer, reader, datum written)
    ("promotions",
     {"type": "record", "name": "P", "fields": [
         {"name": "a", "type": "int"}, {"name": "b", "type": "int"}, {"name": "c", "type": "long"},
         {"name": "d", "type": "float"}, {"name": "e", "type": "string"}, {"name": "f", "type": "bytes"}]},
     {"type": "record", "name": "P", "fields": [
         {"name": "a", "type": "long"}, {"name": "b", "type": "double"}, {"name": "c", "type": "double"},
         {"name": "d", "type": "double"}, {"name": "e", "type": "bytes"}, {"name": "f", "type": "string"}]},
     {"a": -5, "b": 7, "c": 1 << 40, "d": 0.5, "e": "hé", "f": b"ok"}),
    ("added_field_with_default_and_removed_field",
     USERS_CREATED,
     {"type": "record", "name": "users_created", "namespace": "freshet", "fields": [
         {"name": "email", "type": "string"},
         {"name": "id", "type": "string"},
         {"name": "nationality", "aliases": ["nat"], "type": ["null", "string"], "default": None},
         {"name": "age", "type": "int", "default": 18},
         {"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["new"]}]},
     USER),
    ("enum_default_and_union_to_union",
     {"type": "record", "name": "R", "fields": [
         {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}},
         {"name": "u", "type": ["null", "int", "string"]}]},
     {"type": "record", "name": "R", "fields": [
         {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["C", "A", "Z"], "default": "Z"}},
         {"name": "u", "type": ["string", "null", "long"]}]},
     {"e": "B", "u": 42}),
    ("writer_plain_reader_union",
     {"type": "record", "name": "R", "fields": [{"name": "x", "type": "int"}]},
     {"type": "record", "name": "R", "fields": [{"name": "x", "type": ["null", "string", "double"]}]},
     {"x": 3}),
]


def encode(schema, datum):
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parse_schema(schema), datum)
    return out.getvalue()


def to_json(value):
    if isinstance(value, uuid.UUID):  # fastavro reads the uuid logical type as a UUID
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def schema_case(name, schema):
    canonical = to_parsing_canonical_form(parse_schema(schema))
    return {
        "name": name,
        "schema": json.dumps(schema, ensure_ascii=False),
        "canonical": canonical,
        "fingerprint": fingerprint(canonical, "CRC-64-AVRO"),
    }


def main():
    cases = []
    for name, schema, datum in [("users_created", USERS_CREATED, USER), ("kitchen_sink", KITCHEN_SINK, SINK_DATUM)]:
        case = schema_case(name, schema)
        case["datum"] = to_json(datum)
        case["encoding"] = encode(schema, datum).hex()
        cases.append(case)
    for name, schema in CANONICAL_ONLY:
        cases.append(schema_case(name, schema))
    resolution = []
    for name, writer, reader, datum in RESOLUTION:
        encoded = encode(writer, datum)
        read = fastavro.schemaless_reader(io.BytesIO(encoded), parse_schema(writer), parse_schema(reader))
        resolution.append({
            "name": name,
            "writer": json.dumps(writer, ensure_ascii=False),
            "reader": json.dumps(reader, ensure_ascii=False),
            "encoding": encoded.hex(),
            "read": to_json(read),
        })
    out = {"fastavro": fastavro.__version__, "schemas": cases, "resolution": resolution}
    path = os.path.join(os.path.dirname(__file__), "..", "Golden", "golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
