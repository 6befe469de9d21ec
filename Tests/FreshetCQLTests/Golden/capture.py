#!/usr/bin/env python3
"""Capture golden CQL native-protocol v4 frames and values with the Python cassandra-driver.

Writes, next to this script:

  requests/<name>.hex   request frames encoded by the driver itself
                        (cassandra.protocol message classes + ProtocolHandler.encode_message).
  responses/<name>.hex  server frames as Cassandra sends them. The driver has no encoder for
                        server messages, so they are built here with the driver's own primitive
                        writers (write_int, write_string, ...) following the v4 spec, with cell
                        values serialized by the driver's cqltypes; then every frame is decoded
                        with the driver's ProtocolHandler.decode_message and the decoded fields
                        are asserted, so each file is one the driver accepts.
                        The PROTOCOL_ERROR answers to v5/v65/v66 are also served, from a
                        loopback stand-in server, to the driver's real Connection class, which
                        must raise ProtocolVersionUnsupported (what Cluster catches to retry
                        one version lower) and then connect at v4.
  values.txt            "<name> <hex>": CQL values serialized by the driver's cqltypes.
  murmur3.txt           "<hex key> <token>": Murmur3Partitioner tokens from the driver
                        (cassandra.metadata.Murmur3Token.hash_fn, the compiled cmurmur3), checked
                        against the driver's pure-Python murmur3 module too.

Each .hex file is the whole frame (9-byte header included) as hex, after one '#' comment line.

The Swift tests (Tests/FreshetCQLTests/CQLGoldenTests.swift) decode every file and encode
the same messages again; the bytes must be identical. Because the Swift encoder must produce
exactly these bytes, the driver's successful decode of them here is also a check of what
Swift writes.

Usage:  pip install cassandra-driver==3.30.1 && python3 capture.py
Captured with cassandra-driver 3.30.1 (Python 3.11). The script is deterministic: running it
again must leave the files unchanged (git diff is empty).
"""
import io
import ipaddress
import os
import struct
import sys
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import cassandra
from cassandra import ConsistencyLevel, ProtocolVersion, cqltypes, util
from cassandra import murmur3 as pure_murmur3
from cassandra.metadata import Murmur3Token
from cassandra.protocol import (
    AuthResponseMessage, BatchMessage, ExecuteMessage, OptionsMessage, PrepareMessage,
    ProtocolException, QueryMessage, RegisterMessage, StartupMessage, _ProtocolHandler,
    _UNSET_VALUE, write_bytesmap, write_byte, write_consistency_level, write_inet, write_int,
    write_long, write_short, write_string, write_stringlist, write_stringmap,
    write_stringmultimap, write_value)
from cassandra.query import BatchType

HERE = os.path.dirname(os.path.abspath(__file__))
V4 = 4
Handler = _ProtocolHandler  # the pure-Python codec (no Cython row parser)


def write_hex(path, comment, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    h = data.hex()
    lines = [h[i:i + 64] for i in range(0, len(h), 64)] or [""]
    with open(path, "w") as f:
        f.write("# " + comment + "\n" + "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------
# Requests: encoded by the driver.

def encode(msg, stream, version=V4):
    return Handler.encode_message(msg, stream, protocol_version=version, compressor=None,
                                  allow_beta_protocol_version=False)


def capture_requests():
    out = {}
    # What Connection._send_startup_message sends (CQL_VERSION is appended last).
    out["startup"] = (encode(StartupMessage(cqlversion="3.4.5", options={
        "DRIVER_NAME": "Apache Cassandra Python Driver",
        "DRIVER_VERSION": cassandra.__version__}), 0), "STARTUP, stream 0")
    out["options"] = (encode(OptionsMessage(), 1), "OPTIONS, stream 1")
    auth = AuthResponseMessage(b"\x00cassandra\x00cassandra")
    out["auth-response"] = (encode(auth, 2), "AUTH_RESPONSE, PLAIN token, stream 2")

    out["query-simple"] = (encode(QueryMessage("USE freshet", ConsistencyLevel.ONE), 3),
                           "QUERY 'USE freshet' at ONE, no flags, stream 3")

    q = QueryMessage("SELECT id, first_name, age FROM freshet.created_users WHERE country = ?",
                     ConsistencyLevel.LOCAL_QUORUM,
                     serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL, fetch_size=100,
                     paging_state=b"\x00\x10paging-state-01\xf0\x7f\xff\xff\xfe\x00",
                     timestamp=1_700_000_000_123_456)
    q.query_params = [cqltypes.UTF8Type.serialize("NZ", V4), None, _UNSET_VALUE]
    out["query-paged"] = (encode(q, 4), "QUERY with values (text, null, unset), page size 100, "
                          "paging state, LOCAL_SERIAL, default timestamp, stream 4")

    traced = QueryMessage("SELECT * FROM system.local", ConsistencyLevel.ONE)
    traced.tracing = True
    traced.custom_payload = {"freshet": b"\x01\x02", "empty": b""}
    out["query-traced-payload"] = (encode(traced, 5), "QUERY with tracing flag and a custom "
                                   "payload, stream 5")

    out["prepare"] = (encode(PrepareMessage(
        "INSERT INTO freshet.created_users (id, first_name, age, ingested_at) VALUES (?, ?, ?, ?)"), 6),
        "PREPARE, stream 6")

    prepared_id = bytes.fromhex("5f0d1a3c9e2b47c8a1f0e3d2c1b0a998")
    values = [
        cqltypes.UTF8Type.serialize("8c1b7f52-0d0c-4b5e-9a8f-3b7b1e5f6a01", V4),
        cqltypes.UTF8Type.serialize("Zoë", V4),
        cqltypes.Int32Type.serialize(42, V4),
        cqltypes.LongType.serialize(1_700_000_000_000, V4),
        None,
        _UNSET_VALUE,
    ]
    # (ExecuteMessage takes skip_meta but driver 3.30.1 never writes the 0x02 flag for it.)
    ex = ExecuteMessage(prepared_id, values, ConsistencyLevel.QUORUM, fetch_size=5000)
    out["execute"] = (encode(ex, 7), "EXECUTE with 6 values (text, text, int, bigint, null, "
                      "unset), page size 5000, QUORUM, stream 7")

    batch = BatchMessage(BatchType.UNLOGGED, [
        (True, prepared_id, values[:4]),
        (False, "UPDATE freshet.user_counts SET count = ? WHERE dimension = ? AND value = ?",
         [cqltypes.LongType.serialize(3, V4), cqltypes.UTF8Type.serialize("nat", V4),
          cqltypes.UTF8Type.serialize("NZ", V4)]),
        (False, "DELETE FROM freshet.created_users WHERE id = 'x'", []),
    ], ConsistencyLevel.LOCAL_QUORUM, serial_consistency_level=ConsistencyLevel.SERIAL,
        timestamp=1_700_000_000_000_001)
    out["batch"] = (encode(batch, 8), "BATCH unlogged: prepared + 2 query strings, "
                    "LOCAL_QUORUM, SERIAL, default timestamp, stream 8")

    out["register"] = (encode(RegisterMessage(["TOPOLOGY_CHANGE", "STATUS_CHANGE",
                                               "SCHEMA_CHANGE"]), 9), "REGISTER all three events, stream 9")

    # What a driver sends first when it tries a newer protocol: OPTIONS at v5 / DSE v1/v2.
    out["options-v5"] = (encode(OptionsMessage(), 0, ProtocolVersion.V5), "OPTIONS at protocol v5, stream 0")
    out["options-v65"] = (encode(OptionsMessage(), 3, ProtocolVersion.DSE_V1), "OPTIONS at DSE_V1 (65), stream 3")
    out["options-v66"] = (encode(OptionsMessage(), 0x1234, ProtocolVersion.DSE_V2), "OPTIONS at DSE_V2 (66), stream 0x1234")
    out["options-v3"] = (encode(OptionsMessage(), 7, ProtocolVersion.V3), "OPTIONS at protocol v3, stream 7")

    for name, (data, comment) in out.items():
        write_hex(os.path.join(HERE, "requests", name + ".hex"), comment, data)
    return out


# ---------------------------------------------------------------------------------------
# Responses: built with the driver's primitives, checked with the driver's decoder.

OPT = {"custom": 0x00, "ascii": 0x01, "bigint": 0x02, "blob": 0x03, "boolean": 0x04,
       "counter": 0x05, "decimal": 0x06, "double": 0x07, "float": 0x08, "int": 0x09,
       "timestamp": 0x0B, "uuid": 0x0C, "text": 0x0D, "varint": 0x0E, "timeuuid": 0x0F,
       "inet": 0x10, "date": 0x11, "time": 0x12, "smallint": 0x13, "tinyint": 0x14,
       "list": 0x20, "map": 0x21, "set": 0x22, "udt": 0x30, "tuple": 0x31}


def write_type(f, t):
    """t: "int" | ("list", t) | ("map", k, v) | ("set", t) | ("tuple", [t...]) |
    ("udt", ks, name, [(field, t)...]) | ("custom", classname)."""
    if isinstance(t, str):
        write_short(f, OPT[t])
        return
    kind = t[0]
    write_short(f, OPT[kind])
    if kind in ("list", "set"):
        write_type(f, t[1])
    elif kind == "map":
        write_type(f, t[1])
        write_type(f, t[2])
    elif kind == "tuple":
        write_short(f, len(t[1]))
        for e in t[1]:
            write_type(f, e)
    elif kind == "udt":
        write_string(f, t[1])
        write_string(f, t[2])
        write_short(f, len(t[3]))
        for name, ft in t[3]:
            write_string(f, name)
            write_type(f, ft)
    elif kind == "custom":
        write_string(f, t[1])


def response_frame(opcode, body, stream, flags=0):
    f = io.BytesIO()
    Handler._write_header(f, 0x80 | V4, flags, stream, opcode, len(body))
    return f.getvalue() + body


def decode(frame, result_metadata=None):
    version, flags, stream, opcode, length = struct.unpack(">BBhBi", frame[:9])
    assert version == 0x84, version
    assert length == len(frame) - 9
    return Handler.decode_message(version & 0x7F, {}, stream, flags, opcode, frame[9:], None,
                                  result_metadata)


def metadata(f, columns, global_spec=None, paging_state=None, no_metadata=False):
    flags = (1 if global_spec else 0) | (2 if paging_state is not None else 0) | (4 if no_metadata else 0)
    write_int(f, flags)
    write_int(f, len(columns))
    if paging_state is not None:
        write_value(f, paging_state)
    if no_metadata:
        return
    if global_spec:
        write_string(f, global_spec[0])
        write_string(f, global_spec[1])
    for ks, table, name, t in columns:
        if not global_spec:
            write_string(f, ks)
            write_string(f, table)
        write_string(f, name)
        write_type(f, t)


# The Freshet users table, as it would be in Cassandra, plus a few more types.
ADDRESS_UDT = ("udt", "freshet", "address", [("street", "text"), ("number", "int")])
USER_COLUMNS = [
    ("freshet", "created_users", "id", "text"),
    ("freshet", "created_users", "first_name", "text"),
    ("freshet", "created_users", "age", "int"),
    ("freshet", "created_users", "ingested_at", "bigint"),
    ("freshet", "created_users", "registered", "timestamp"),
    ("freshet", "created_users", "uid", "uuid"),
    ("freshet", "created_users", "active", "boolean"),
    ("freshet", "created_users", "score", "double"),
    ("freshet", "created_users", "dob", "date"),
    ("freshet", "created_users", "tags", ("list", "text")),
    ("freshet", "created_users", "counts", ("map", "text", "int")),
    ("freshet", "created_users", "lucky", ("set", "int")),
    ("freshet", "created_users", "pair", ("tuple", ["int", "text"])),
    ("freshet", "created_users", "home", ADDRESS_UDT),
    ("freshet", "created_users", "span", ("custom", "org.apache.cassandra.db.marshal.DurationType")),
]
ListText = cqltypes.ListType.apply_parameters([cqltypes.UTF8Type])
MapTextInt = cqltypes.MapType.apply_parameters([cqltypes.UTF8Type, cqltypes.Int32Type])
SetInt = cqltypes.SetType.apply_parameters([cqltypes.Int32Type])
TupleIntText = cqltypes.TupleType.apply_parameters([cqltypes.Int32Type, cqltypes.UTF8Type])
AddressType = cqltypes.UserType.make_udt_class("freshet", "address", ["street", "number"],
                                               [cqltypes.UTF8Type, cqltypes.Int32Type])
USER_TYPES = [cqltypes.UTF8Type, cqltypes.UTF8Type, cqltypes.Int32Type, cqltypes.LongType,
              cqltypes.DateType, cqltypes.UUIDType, cqltypes.BooleanType, cqltypes.DoubleType,
              cqltypes.SimpleDateType, ListText, MapTextInt, SetInt, TupleIntText, AddressType,
              cqltypes.DurationType]
USER_ROWS = [
    ["8c1b7f52-0d0c-4b5e-9a8f-3b7b1e5f6a01", "Zoë", 42, 1_700_000_000_000,
     datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc),
     uuid.UUID("550e8400-e29b-41d4-a716-446655440000"), True, 0.5, util.Date(date(1981, 2, 3)),
     ["a", "bc"], {"x": 1, "y": -2}, {3, 7}, (5, "five"),
     ("Main St", 12), util.Duration(1, -2, 3_000_000_001)],
    ["00000000-0000-0000-0000-000000000000", "", -1, -9_000_000_000, None, None, False, -1.25,
     util.Date(date(1969, 12, 31)), [], {}, None, (None, "x"), None, None],
]
EXPECTED_USER_ROWS = [
    ("8c1b7f52-0d0c-4b5e-9a8f-3b7b1e5f6a01", "Zoë", 42, 1_700_000_000_000,
     datetime(2023, 11, 14, 22, 13, 20, 123000), uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
     True, 0.5, util.Date(date(1981, 2, 3)), ["a", "bc"], {"x": 1, "y": -2}, {3, 7}, (5, "five"),
     None, util.Duration(1, -2, 3_000_000_001)),
]


def serialize_row(row):
    cells = []
    for value, t in zip(row, USER_TYPES):
        cells.append(None if value is None else t.serialize(value, V4))
    return cells


def rows_body(columns, rows, **kw):
    f = io.BytesIO()
    write_int(f, 2)
    metadata(f, columns, **kw)
    write_int(f, len(rows))
    for row in rows:
        for cell in row:
            write_value(f, cell)
    return f.getvalue()


def body(*writes):
    f = io.BytesIO()
    for w, *args in writes:
        w(f, *args)
    return f.getvalue()


def error_body(code, message, *extra):
    return body((write_int, code), (write_string, message), *extra)


ERRORS = {
    "server": (0x0000, "java.lang.NullPointerException", []),
    "protocol": (0x000A, "Unknown opcode 4", []),
    "authentication": (0x0100, "Provided username cassandra and/or password are incorrect", []),
    "unavailable": (0x1000, "Cannot achieve consistency level QUORUM",
                    [(write_consistency_level, ConsistencyLevel.QUORUM), (write_int, 2), (write_int, 1)]),
    "overloaded": (0x1001, "Server is in overloaded state", []),
    "is-bootstrapping": (0x1002, "Cannot read from a bootstrapping node", []),
    "truncate": (0x1003, "Error during truncate", []),
    "write-timeout": (0x1100, "Operation timed out - received only 1 responses.",
                      [(write_consistency_level, ConsistencyLevel.LOCAL_QUORUM), (write_int, 1),
                       (write_int, 2), (write_string, "BATCH_LOG")]),
    "read-timeout": (0x1200, "Operation timed out - received only 0 responses.",
                     [(write_consistency_level, ConsistencyLevel.ONE), (write_int, 0), (write_int, 1),
                      (write_byte, 0)]),
    "read-failure": (0x1300, "Operation failed - received 1 responses and 2 failures",
                     [(write_consistency_level, ConsistencyLevel.ALL), (write_int, 1), (write_int, 3),
                      (write_int, 2), (write_byte, 1)]),
    "function-failure": (0x1400, "execution of 'freshet.initials[text, text]' failed",
                         [(write_string, "freshet"), (write_string, "initials"),
                          (write_stringlist, ["text", "text"])]),
    "write-failure": (0x1500, "Operation failed - received 0 responses and 1 failures",
                      [(write_consistency_level, ConsistencyLevel.EACH_QUORUM), (write_int, 0),
                       (write_int, 2), (write_int, 1), (write_string, "SIMPLE")]),
    "syntax": (0x2000, "line 1:0 no viable alternative at input 'SELEC'", []),
    "unauthorized": (0x2100, "User bob has no SELECT permission on <table freshet.created_users>", []),
    "invalid": (0x2200, "Undefined column name nope", []),
    "config": (0x2300, "Cannot add already existing column family", []),
    "already-exists": (0x2400, "Cannot add already existing table \"created_users\" to keyspace \"freshet\"",
                       [(write_string, "freshet"), (write_string, "created_users")]),
    "unprepared": (0x2500, "Prepared query with ID 5f0d1a3c not found",
                   [(write_short, 16), (lambda f, b: f.write(b), bytes.fromhex("5f0d1a3c9e2b47c8a1f0e3d2c1b0a998"))]),
}


def capture_responses():
    out = {}

    def add(name, frame, comment, check, result_metadata=None):
        msg = decode(frame, result_metadata)
        check(msg)
        out[name] = (frame, comment)

    add("ready", response_frame(0x02, b"", 0), "READY, stream 0",
        lambda m: type(m).__name__ == "ReadyMessage" or sys.exit("ready"))
    add("authenticate", response_frame(0x03, body((write_string, "org.apache.cassandra.auth.PasswordAuthenticator")), 0),
        "AUTHENTICATE PasswordAuthenticator, stream 0",
        lambda m: m.authenticator == "org.apache.cassandra.auth.PasswordAuthenticator" or sys.exit("auth"))
    supported = {"CQL_VERSION": ["3.4.7"], "COMPRESSION": ["snappy", "lz4"],
                 "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5"]}
    add("supported", response_frame(0x06, body((write_stringmultimap, supported)), 1),
        "SUPPORTED (as Cassandra 5.0 answers), stream 1",
        lambda m: (m.cql_versions == ["3.4.7"] and m.options == {k: v for k, v in supported.items()
                                                                 if k != "CQL_VERSION"}) or sys.exit("supported"))
    add("auth-challenge", response_frame(0x0E, body((write_value, b"\x01challenge")), 2),
        "AUTH_CHALLENGE with a token, stream 2",
        lambda m: m.challenge == b"\x01challenge" or sys.exit("challenge"))
    add("auth-success", response_frame(0x10, body((write_value, None)), 2),
        "AUTH_SUCCESS with a null token, stream 2",
        # The driver reads the null token with read_longstring, which yields "".
        lambda m: m.token in (None, "") or sys.exit("success"))

    add("result-void", response_frame(0x08, body((write_int, 1)), 3), "RESULT Void, stream 3",
        lambda m: m.kind == 1 or sys.exit("void"))
    add("result-set-keyspace", response_frame(0x08, body((write_int, 3), (write_string, "freshet")), 3),
        "RESULT Set_keyspace freshet, stream 3",
        lambda m: m.new_keyspace == "freshet" or sys.exit("keyspace"))

    rows = [serialize_row(r) for r in USER_ROWS]

    def check_rows(m):
        assert m.kind == 2
        assert m.column_names == [c[2] for c in USER_COLUMNS], m.column_names
        assert m.paging_state == b"\x00\x04page\xff", m.paging_state
        first = m.parsed_rows[0]
        for i, expected in enumerate(EXPECTED_USER_ROWS[0]):
            if i == 13:
                assert first[i].street == "Main St" and first[i].number == 12
            else:
                assert first[i] == expected, (i, first[i], expected)
        second = m.parsed_rows[1]
        assert second[4] is None and second[5] is None and second[11] is None
        assert second[12] == (None, "x")
    add("result-rows", response_frame(0x08, rows_body(USER_COLUMNS, rows, global_spec=("freshet", "created_users"),
                                                      paging_state=b"\x00\x04page\xff"), 4),
        "RESULT Rows: global table spec, has more pages, 15 columns of every kind Freshet "
        "needs (and collections, tuple, UDT, duration as custom), 2 rows with nulls, stream 4",
        check_rows)

    mixed = [("system", "local", "key", "text"), ("system_schema", "tables", "table_name", "text"),
             ("system", "local", "tokens", ("set", "text"))]
    mixed_rows = [[b"local", b"created_users", SetText.serialize({"-3074457345618258603"}, V4)]]
    add("result-rows-per-column-spec",
        response_frame(0x08, rows_body(mixed, mixed_rows), 5),
        "RESULT Rows without global table spec (columns from two tables), stream 5",
        lambda m: (m.column_names == ["key", "table_name", "tokens"]
                   and m.parsed_rows[0][2] == {"-3074457345618258603"}) or sys.exit("mixed"))

    nometa_cols = [("freshet", "created_users", "id", "text"), ("freshet", "created_users", "age", "int")]
    nometa_rows = [[b"a", cqltypes.Int32Type.serialize(1, V4)], [b"b", None]]
    from cassandra.protocol import ColumnMetadata
    result_md = [ColumnMetadata("freshet", "created_users", "id", cqltypes.UTF8Type),
                 ColumnMetadata("freshet", "created_users", "age", cqltypes.Int32Type)]
    add("result-rows-no-metadata", response_frame(0x08, rows_body(nometa_cols, nometa_rows, no_metadata=True), 6),
        "RESULT Rows with No_metadata (answer to skip metadata), 2 columns, 2 rows, stream 6",
        lambda m: m.parsed_rows == [("a", 1), ("b", None)] or sys.exit("nometa"), result_md)

    add("result-rows-empty", response_frame(0x08, rows_body(nometa_cols, [], global_spec=("freshet", "created_users")), 6),
        "RESULT Rows, no rows, stream 6",
        lambda m: m.parsed_rows == [] or sys.exit("empty"))

    f = io.BytesIO()
    write_int(f, 4)
    write_short(f, 16)
    f.write(bytes.fromhex("5f0d1a3c9e2b47c8a1f0e3d2c1b0a998"))
    bind = [("freshet", "created_users", "id", "text"), ("freshet", "created_users", "first_name", "text"),
            ("freshet", "created_users", "age", "int"), ("freshet", "created_users", "ingested_at", "bigint")]
    write_int(f, 1)  # global tables spec
    write_int(f, len(bind))
    write_int(f, 1)  # pk count
    write_short(f, 0)
    write_string(f, "freshet")
    write_string(f, "created_users")
    for _, _, name, t in bind:
        write_string(f, name)
        write_type(f, t)
    metadata(f, [], no_metadata=True)
    add("result-prepared-insert", response_frame(0x08, f.getvalue(), 7),
        "RESULT Prepared for an INSERT: 4 bind markers, pk index [0], empty result metadata, stream 7",
        lambda m: (m.query_id == bytes.fromhex("5f0d1a3c9e2b47c8a1f0e3d2c1b0a998") and m.pk_indexes == [0]
                   and [c.name for c in m.bind_metadata] == ["id", "first_name", "age", "ingested_at"]
                   and m.column_metadata is None) or sys.exit("prepared"))

    f = io.BytesIO()
    write_int(f, 4)
    write_short(f, 4)
    f.write(b"\xca\xfe\xba\xbe")
    write_int(f, 0)  # per-column spec
    write_int(f, 2)
    write_int(f, 2)
    write_short(f, 1)
    write_short(f, 0)
    for name, t in [("year", "text"), ("country", "text")]:
        write_string(f, "freshet")
        write_string(f, "by_country")
        write_string(f, name)
        write_type(f, t)
    metadata(f, [("freshet", "by_country", "id", "text"), ("freshet", "by_country", "age", "int")],
             global_spec=("freshet", "by_country"))
    add("result-prepared-select", response_frame(0x08, f.getvalue(), 8),
        "RESULT Prepared for a SELECT: 2 markers without global spec, pk indexes [1, 0], "
        "result metadata of 2 columns, stream 8",
        lambda m: (m.pk_indexes == [1, 0] and [c[2] for c in m.column_metadata] == ["id", "age"])
        or sys.exit("prepared select"))

    add("result-schema-change-table",
        response_frame(0x08, body((write_int, 5), (write_string, "CREATED"), (write_string, "TABLE"),
                                  (write_string, "freshet"), (write_string, "created_users")), 9),
        "RESULT Schema_change CREATED TABLE freshet.created_users, stream 9",
        lambda m: m.schema_change_event == {"target_type": "TABLE", "change_type": "CREATED",
                                            "keyspace": "freshet", "table": "created_users"} or sys.exit("sc"))
    add("result-schema-change-function",
        response_frame(0x08, body((write_int, 5), (write_string, "DROPPED"), (write_string, "FUNCTION"),
                                  (write_string, "freshet"), (write_string, "initials"),
                                  (write_stringlist, ["text", "text"])), 9),
        "RESULT Schema_change DROPPED FUNCTION freshet.initials(text, text), stream 9",
        lambda m: (m.schema_change_event["function"].name == "initials"
                   and m.schema_change_event["function"].argument_types == ["text", "text"]) or sys.exit("fn"))

    add("event-topology",
        response_frame(0x0C, body((write_string, "TOPOLOGY_CHANGE"), (write_string, "NEW_NODE"),
                                  (write_inet, ("10.0.0.7", 9042))), -1),
        "EVENT TOPOLOGY_CHANGE NEW_NODE 10.0.0.7:9042, stream -1",
        lambda m: m.event_args == {"change_type": "NEW_NODE", "address": ("10.0.0.7", 9042)} or sys.exit("topo"))
    add("event-status",
        response_frame(0x0C, body((write_string, "STATUS_CHANGE"), (write_string, "DOWN"),
                                  (write_inet, ("fe80::1:2", 9042))), -1),
        "EVENT STATUS_CHANGE DOWN [fe80::1:2]:9042, stream -1",
        lambda m: m.event_args == {"change_type": "DOWN", "address": ("fe80::1:2", 9042)} or sys.exit("status"))
    add("event-schema-keyspace",
        response_frame(0x0C, body((write_string, "SCHEMA_CHANGE"), (write_string, "UPDATED"),
                                  (write_string, "KEYSPACE"), (write_string, "freshet")), -1),
        "EVENT SCHEMA_CHANGE UPDATED KEYSPACE freshet, stream -1",
        lambda m: m.event_args == {"target_type": "KEYSPACE", "change_type": "UPDATED", "keyspace": "freshet"}
        or sys.exit("schema event"))

    for name, (code, message, extra) in ERRORS.items():
        def check(m, code=code, message=message):
            assert m.code == code and m.message == message, (m.code, m.message)
        add("error-" + name, response_frame(0x00, error_body(code, message, *extra), 10),
            "ERROR 0x%04x (%s), stream 10" % (code, name), check)

    def check_downgrade(m):
        # What Connection.process_msg does with it: mark the connection as having an
        # unsupported protocol version, so Cluster retries with a lower one.
        assert isinstance(m, ProtocolException)
        assert "unsupported protocol version" in m.message
    for version, stream in [(5, 0), (65, 3), (66, 0x1234), (3, 7)]:
        message = ("Invalid or unsupported protocol version (%d); supported versions are (4/v4)" % version)
        add("error-unsupported-version-v%d" % version, response_frame(0x00, error_body(0x000A, message), stream),
            "ERROR PROTOCOL_ERROR answering an OPTIONS at v%d (v4 header), stream %d" % (version, stream),
            check_downgrade)

    def check_envelope(m):
        assert m.trace_id == uuid.UUID("11111111-2222-3333-4444-555555555555")
        assert m.warnings == ["Aggregation query used without partition key"]
        assert m.custom_payload == {"k": b"v"}
        assert m.kind == 1
    f = io.BytesIO()
    f.write(uuid.UUID("11111111-2222-3333-4444-555555555555").bytes)
    write_stringlist(f, ["Aggregation query used without partition key"])
    write_bytesmap(f, {"k": b"v"})
    write_int(f, 1)
    add("result-void-traced-warnings-payload", response_frame(0x08, f.getvalue(), 11, flags=0x02 | 0x04 | 0x08),
        "RESULT Void with tracing id, a warning and a custom payload, stream 11", check_envelope)

    for name, (data, comment) in out.items():
        write_hex(os.path.join(HERE, "responses", name + ".hex"), comment, data)
    return out


SetText = cqltypes.SetType.apply_parameters([cqltypes.UTF8Type])


def check_downgrade_with_a_real_connection(responses):
    """Runs the driver's own Connection against a loopback stand-in server that answers
    exactly like FreshetCQL: a frame of another version gets the captured
    error-unsupported-version-vN frame (on the request's stream), a v4 OPTIONS gets SUPPORTED
    and a v4 STARTUP gets READY. The driver must raise ProtocolVersionUnsupported at v5 (what
    Cluster catches to retry one version lower) and connect at v4."""
    import socket
    import threading
    from cassandra.cluster import DefaultConnection
    from cassandra.connection import DefaultEndPoint, ProtocolVersionUnsupported

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve(conn):
        with conn:
            buf = b""
            while not stop.is_set():
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while len(buf) >= 9:
                    version, _, stream, opcode, length = struct.unpack(">BBhBi", buf[:9])
                    if len(buf) < 9 + length:
                        break
                    buf = buf[9 + length:]
                    if version != V4:
                        answer = bytearray(responses["error-unsupported-version-v%d" % version][0])
                        struct.pack_into(">h", answer, 2, stream)
                        conn.sendall(bytes(answer))
                        return
                    if opcode == 0x05:
                        # The driver requires the COMPRESSION key (KeyError without it).
                        conn.sendall(response_frame(0x06, body((write_stringmultimap, {
                            "CQL_VERSION": ["3.4.7"], "COMPRESSION": []})), stream))
                    elif opcode == 0x01:
                        conn.sendall(response_frame(0x02, b"", stream))

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    DefaultConnection.initialize_reactor()  # as Cluster does before its first connection
    endpoint = DefaultEndPoint("127.0.0.1", port)
    try:
        for version in (ProtocolVersion.V5, ProtocolVersion.DSE_V2, ProtocolVersion.DSE_V1):
            try:
                DefaultConnection.factory(endpoint, 5, protocol_version=version).close()
                sys.exit("the driver connected at v%d" % version)
            except ProtocolVersionUnsupported:
                pass
        conn = DefaultConnection.factory(endpoint, 5, protocol_version=V4)
        assert not conn.is_defunct
        conn.close()
    finally:
        stop.set()
        listener.close()

# ---------------------------------------------------------------------------------------
# Values: name -> (driver type, python value). The Swift test has the same names.

VALUES = [
    ("ascii", cqltypes.AsciiType, "freshet"),
    ("bigint", cqltypes.LongType, -9_000_000_000_000_000_000),
    ("blob", cqltypes.BytesType, b"\x00\xff\x10"),
    ("boolean-true", cqltypes.BooleanType, True),
    ("boolean-false", cqltypes.BooleanType, False),
    ("counter", cqltypes.CounterColumnType, 12345),
    ("decimal", cqltypes.DecimalType, Decimal("-123.4500")),
    ("double", cqltypes.DoubleType, -0.1),
    ("float", cqltypes.FloatType, 1.5),
    ("int", cqltypes.Int32Type, -2_147_483_648),
    ("timestamp", cqltypes.DateType, datetime(2001, 9, 9, 1, 46, 40, 5000, tzinfo=timezone.utc)),
    ("timestamp-before-epoch", cqltypes.DateType, datetime(1969, 7, 20, 20, 17, 40, tzinfo=timezone.utc)),
    ("uuid", cqltypes.UUIDType, uuid.UUID("550e8400-e29b-41d4-a716-446655440000")),
    ("text", cqltypes.UTF8Type, "Zoë Ωmega ✓"),
    ("text-empty", cqltypes.UTF8Type, ""),
    ("varint-0", cqltypes.IntegerType, 0),
    ("varint-128", cqltypes.IntegerType, 128),
    ("varint--129", cqltypes.IntegerType, -129),
    ("varint-big", cqltypes.IntegerType, 2**70 + 5),
    ("timeuuid", cqltypes.TimeUUIDType, uuid.UUID("e6bd4a30-8e0c-11ee-b9d1-0242ac120002")),
    ("inet-v4", cqltypes.InetAddressType, "192.168.1.20"),
    ("inet-v6", cqltypes.InetAddressType, "2001:db8::ff00:42:8329"),
    ("date", cqltypes.SimpleDateType, util.Date(date(2024, 2, 29))),
    ("date-before-epoch", cqltypes.SimpleDateType, util.Date(date(1900, 1, 1))),
    ("time", cqltypes.TimeType, util.Time(86_399_999_999_999)),
    ("smallint", cqltypes.ShortType, -32768),
    ("tinyint", cqltypes.ByteType, -128),
    ("duration", cqltypes.DurationType, util.Duration(14, -3, 86_400_000_000_001)),
    ("duration-zero", cqltypes.DurationType, util.Duration(0, 0, 0)),
    ("duration-extremes", cqltypes.DurationType, util.Duration(-2**31, 2**31 - 1, -2**63)),
    ("list-text", ListText, ["NZ", "", "ü"]),
    ("list-empty", ListText, []),
    ("set-int", SetInt, [1, 2, 3]),
    ("map-text-int", MapTextInt, {"a": 1, "b": -1}),
    ("tuple-int-text", TupleIntText, (7, None)),
    ("udt-address", AddressType, ("Main St", None)),
]


def capture_values():
    lines = ["# <name> <hex>: values serialized by cassandra-driver %s cqltypes (protocol v4)" % cassandra.__version__]
    for name, t, value in VALUES:
        data = t.serialize(value, V4)
        # The driver must read back what it wrote.
        back = t.deserialize(data, V4)
        assert back is not None
        lines.append("%s %s" % (name, data.hex()))
    with open(os.path.join(HERE, "values.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------
# Murmur3 tokens.

def murmur3_keys():
    keys = [b"", b"a", b"abc", b"freshet", b"hello world", "Zoë".encode()]
    for n in [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 64, 100]:
        keys.append(bytes((i * 37 + 11) % 256 for i in range(n)))   # mixed, with bytes >= 0x80
        keys.append(bytes(0x80 + (i % 0x80) for i in range(n)))     # every byte >= 0x80
    keys.append(b"\xff" * 15)
    keys.append(b"\x80" * 17)
    keys.append(uuid.UUID("550e8400-e29b-41d4-a716-446655440000").bytes)
    keys.append(uuid.UUID("8c1b7f52-0d0c-4b5e-9a8f-3b7b1e5f6a01").bytes)
    keys.append(struct.pack(">q", 1_700_000_000_000))                # a bigint key
    keys.append(struct.pack(">i", 42))                               # an int key
    # A compound key (text 'NZ', int 7) as CompositeType serializes it.
    keys.append(b"\x00\x02NZ\x00" + b"\x00\x04" + struct.pack(">i", 7) + b"\x00")
    return keys


def capture_murmur3():
    lines = ["# <hex key> <token>: Murmur3Partitioner tokens from cassandra-driver %s "
             "(Murmur3Token.hash_fn, checked against cassandra.murmur3)" % cassandra.__version__]
    for key in murmur3_keys():
        token = Murmur3Token.hash_fn(key)
        assert token == pure_murmur3.murmur3(key), key
        lines.append("%s %d" % (key.hex() or "-", token))
    with open(os.path.join(HERE, "murmur3.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    assert Murmur3Token.hash_fn(b"") == 0
    assert Murmur3Token.hash_fn(b"a") == -8839064797231613815
    assert Murmur3Token.hash_fn(b"abc") == -5434086359492102041
    requests = capture_requests()
    responses = capture_responses()
    check_downgrade_with_a_real_connection(responses)
    capture_values()
    capture_murmur3()
    print("wrote %d request frames, %d response frames, %d values, %d tokens"
          % (len(requests), len(responses), len(VALUES), len(murmur3_keys())))
