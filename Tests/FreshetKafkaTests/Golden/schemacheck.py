#!/usr/bin/env python3
"""Check Golden/layouts.txt against Kafka's message schemas.

Each line of layouts.txt is "<MessageName> <version> <hex body>", written by
ProtocolLayoutTests (FRESHET_KAFKA_WRITE_LAYOUTS=1 swift test --filter ProtocolLayoutTests).
This tool reads every body with a generic reader driven by Kafka's own JSON message
definitions (clients/src/main/resources/common/message/*.json in an apache/kafka checkout)
and fails when a body ends early or leaves bytes over, i.e. when a field or a version gate
in the Swift code disagrees with the schema.

Usage: python3 schemacheck.py --schemas DIR [--layouts FILE]
Standard library only.
"""
import argparse
import json
import os
import re
import struct
import sys

FIXED = {"bool": 1, "int8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
         "int64": 8, "float64": 8, "uuid": 16}


def in_versions(spec, v):
    if spec is None or spec == "none":
        return False
    if spec.endswith("+"):
        return v >= int(spec[:-1])
    if "-" in spec:
        low, high = spec.split("-")
        return int(low) <= v <= int(high)
    return v == int(spec)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("ends at byte %d, needs %d more" % (self.pos, n))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value


def read_length(r, flexible, width, nullable, name):
    if flexible:
        n = r.uvarint() - 1
    else:
        n = struct.unpack(">h" if width == 2 else ">i", r.take(width))[0]
    if n < 0:
        if not nullable:
            raise ValueError("null in non-nullable field %s" % name)
        return None
    return n


def read_type(r, t, field, v, flexible, structs):
    nullable = in_versions(field.get("nullableVersions"), v)
    if t in FIXED:
        return r.take(FIXED[t])
    if t == "string":
        n = read_length(r, flexible, 2, nullable, field["name"])
        return None if n is None else r.take(n).decode()
    if t in ("bytes", "records"):
        n = read_length(r, flexible, 4, nullable, field["name"])
        return None if n is None else r.take(n)
    if t.startswith("[]"):
        n = read_length(r, flexible, 4, nullable, field["name"])
        return None if n is None else [read_type(r, t[2:], field, v, flexible, structs) for _ in range(n)]
    return read_struct(r, field.get("fields") or structs[t], v, flexible, structs)


def read_struct(r, fields, v, flexible, structs):
    out = {}
    for f in fields:
        if not in_versions(f["versions"], v):
            continue
        if flexible and in_versions(f.get("taggedVersions"), v):
            continue  # lives in the tagged section
        out[f["name"]] = read_type(r, f["type"], f, v, flexible, structs)
    if flexible:
        for _ in range(r.uvarint()):
            r.uvarint()
            r.take(r.uvarint())
    return out


def load(schemas, name):
    text = open(os.path.join(schemas, name + ".json")).read()
    return json.loads(re.sub(r"//.*", "", text))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--layouts", default=os.path.join(here, "layouts.txt"))
    args = parser.parse_args()
    ok = bad = 0
    for line in open(args.layouts):
        parts = line.split()
        if not parts:
            continue
        name, version, hexed = parts[0], parts[1], (parts[2] if len(parts) > 2 else "")
        version = int(version)
        schema = load(args.schemas, name)
        structs = {c["name"]: c["fields"] for c in schema.get("commonStructs", [])}
        flexible = in_versions(schema.get("flexibleVersions"), version)
        r = Reader(bytes.fromhex(hexed))
        try:
            read_struct(r, schema["fields"], version, flexible, structs)
            if r.pos != len(r.data):
                raise ValueError("%d bytes left over" % (len(r.data) - r.pos))
            ok += 1
        except (ValueError, KeyError, UnicodeDecodeError) as e:
            bad += 1
            print("FAIL %s v%d: %s" % (name, version, e))
    print("%d passed, %d failed" % (ok, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
