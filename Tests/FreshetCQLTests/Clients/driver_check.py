"""Drives Freshet's CQL endpoint with the DataStax Python driver (cassandra-driver).

Run by Tests/FreshetCQLTests/CQLEndpointClientTests.swift; prints one JSON object on stdout.

  driver_check.py data PORT PROTOCOL KNOWN_ID   PROTOCOL is 4 or "default" (negotiate from v5)
  driver_check.py auth PORT USER PASSWORD
  driver_check.py lww PORT                      last write wins by USING TIMESTAMP
"""
import json
import sys
import uuid

from cassandra import AuthenticationFailed
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, SimpleStatement

INSERT_COLUMNS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
                  "dob", "registered_date", "phone", "picture", "nat"]


def data(port, protocol, known_id):
    kwargs = {} if protocol == "default" else {"protocol_version": int(protocol)}
    profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()), request_timeout=60)
    # Generous timeouts: the suite runs in parallel on a loaded 2-core CI machine.
    cluster = Cluster(["127.0.0.1"], port=port, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      connect_timeout=60, control_connection_timeout=60, **kwargs)
    session = cluster.connect()
    out = {"protocol_version": cluster.protocol_version}

    # Metadata the driver built from system.local and system_schema.
    meta = cluster.metadata
    out["partitioner"] = meta.partitioner
    out["cluster_name"] = meta.cluster_name
    ks = meta.keyspaces["spark_streams"]
    out["replication"] = ks.replication_strategy.export_for_schema()
    table = ks.tables["created_users"]
    out["columns"] = {name: column.cql_type for name, column in table.columns.items()}
    out["partition_key"] = [c.name for c in table.partition_key]

    # Token-aware routing: the prepared statement carries the routing key, the token map
    # names the replica, and the policy puts it first.
    select = session.prepare("SELECT * FROM spark_streams.created_users WHERE id = ?")
    bound = select.bind([known_id])
    policy = cluster.profile_manager.default.load_balancing_policy
    out["policy"] = type(policy).__name__
    out["routing_key"] = bound.routing_key.decode() if bound.routing_key else None
    token = meta.token_map.token_class.from_key(bound.routing_key)
    out["replicas"] = [str(h.endpoint) for h in meta.token_map.get_replicas("spark_streams", token)]
    out["plan"] = [str(h.endpoint) for h in policy.make_query_plan("spark_streams", bound)]

    row = session.execute(bound).one()
    out["row"] = None if row is None else {k: str(v) for k, v in row._asdict().items()}
    out["missing_row"] = session.execute(select, [str(uuid.uuid4())]).one()

    # Paging: 500 rows a page, every id once.
    result = session.execute(SimpleStatement("SELECT id FROM spark_streams.created_users", fetch_size=500))
    ids, pages = [], 0
    while True:
        ids.extend(r.id for r in result.current_rows)
        pages += 1
        if not result.has_more_pages:
            break
        result.fetch_next_page()
    out["paged_ids"] = len(ids)
    out["distinct_ids"] = len(set(ids))
    out["pages"] = pages
    out["paged_sample"] = ids[:3]
    out["count"] = session.execute("SELECT COUNT(*) FROM spark_streams.created_users").one()[0]
    limited = session.execute(SimpleStatement("SELECT id FROM spark_streams.created_users LIMIT 700", fetch_size=500))
    out["limited"] = len(list(limited))

    # Writes: a prepared INSERT with the seeds' columns, then one read back.
    insert = session.prepare("INSERT INTO spark_streams.created_users (%s) VALUES (%s)"
                             % (", ".join(INSERT_COLUMNS), ", ".join("?" * len(INSERT_COLUMNS))))
    inserted = []
    for i in range(3):
        new_id = str(uuid.uuid4())
        session.execute(insert, [new_id, "Ada%d" % i, "Lovelace", "female", "12 St James's Square, London, United Kingdom",
                                 "SW1Y 4JH", "ada%d@Example.org" % i, "ada%d" % i, "1815-12-10T08:00:00.000Z",
                                 "2020-03-04T05:06:07.000Z", "+44 20 0000 0000", "https://example.org/ada.png", "GB"])
        inserted.append(new_id)
    out["inserted"] = inserted
    back = session.execute(select, [inserted[0]]).one()
    out["inserted_back"] = {k: str(v) for k, v in back._asdict().items()}
    out["count_after"] = session.execute("SELECT COUNT(*) FROM spark_streams.created_users").one()[0]
    cluster.shutdown()
    return out


def auth(port, user, password):
    cluster = Cluster(["127.0.0.1"], port=port, protocol_version=4, auth_provider=PlainTextAuthProvider(user, password),
                      connect_timeout=60, control_connection_timeout=60)
    try:
        session = cluster.connect()
        count = session.execute("SELECT COUNT(*) FROM spark_streams.created_users").one()[0]
        return {"result": "ok", "count": count}
    except AuthenticationFailed as e:
        return {"result": "AuthenticationFailed", "message": str(e)}
    except NoHostAvailable as e:
        errors = list(e.errors.values())
        first = errors[0] if errors else e
        return {"result": type(first).__name__, "message": str(first)}
    finally:
        cluster.shutdown()


def lww(port):
    """Writes of one row with USING TIMESTAMP, in either order: the later timestamp wins."""
    cluster = Cluster(["127.0.0.1"], port=port, protocol_version=4, connect_timeout=60, control_connection_timeout=60)
    session = cluster.connect("spark_streams")
    out = {}
    insert = session.prepare("INSERT INTO created_users (id, first_name) VALUES (?, ?) USING TIMESTAMP ?")
    select = session.prepare("SELECT first_name, writetime(first_name) FROM created_users WHERE id = ?")
    out["timestamp_marker"] = [c.name for c in insert.column_metadata][-1]

    def read(key):
        row = session.execute(select, [key]).one()
        return None if row is None else [row[0], row[1]]

    session.execute(insert, ["lww-newer-first", "newer", 2000])
    session.execute(insert, ["lww-newer-first", "older", 1000])
    out["newer_first"] = read("lww-newer-first")
    session.execute(insert, ["lww-older-first", "older", 1000])
    session.execute(insert, ["lww-older-first", "newer", 2000])
    out["older_first"] = read("lww-older-first")

    # A BATCH with its own timestamp, as text, then an older single write.
    session.execute("BEGIN BATCH USING TIMESTAMP 3000 "
                    "INSERT INTO created_users (id, first_name) VALUES ('lww-batch', 'batch') "
                    "INSERT INTO created_users (id, first_name) VALUES ('lww-batch-2', 'batch') APPLY BATCH")
    session.execute(insert, ["lww-batch", "older", 2999])
    out["batch"] = read("lww-batch")
    out["batch_2"] = read("lww-batch-2")

    # A driver BATCH of prepared statements, each with its timestamp.
    batch = BatchStatement()
    batch.add(insert, ["lww-driver-batch", "newer", 5000])
    batch.add(insert, ["lww-driver-batch", "older", 4000])
    session.execute(batch)
    out["driver_batch"] = read("lww-driver-batch")

    # Without USING TIMESTAMP the driver sends its clock (microseconds), which wins over 2000.
    session.execute("INSERT INTO created_users (id, first_name) VALUES ('lww-newer-first', 'now')")
    out["now"] = read("lww-newer-first")

    try:
        session.execute("INSERT INTO created_users (id, first_name) VALUES ('lww-bad', 'x') USING TIMESTAMP 'soon'")
        out["bad_timestamp"] = "accepted"
    except Exception as e:  # InvalidRequest
        out["bad_timestamp"] = type(e).__name__ + ": " + str(e)
    cluster.shutdown()
    return out


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "data":
        out = data(port, sys.argv[3], sys.argv[4])
    elif mode == "auth":
        out = auth(port, sys.argv[3], sys.argv[4])
    elif mode == "lww":
        out = lww(port)
    else:
        raise SystemExit("unknown mode %r" % mode)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
