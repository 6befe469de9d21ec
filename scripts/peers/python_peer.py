#!/usr/bin/env python3
"""A plain Python consumer of users_created: what a team would write instead of Freshet.

confluent-kafka (librdkafka) consumer in a group, stdlib json, the seeds' transforms (the
derived columns of Freshet's created_users row), upserts by id in batches of --batch records,
one transaction per batch, offsets committed (synchronously) after the transaction. Stores:
SQLite (stdlib sqlite3, WAL, synchronous=FULL: Freshet's durability) or PostgreSQL (psycopg 3:
COPY into a temporary table, then one INSERT ... ON CONFLICT (id) DO UPDATE).

It stops once --expect records have been stored. After each committed batch it prints
`stored <total> <unix time>` on stdout, which scripts/bench-peers reads to time it.

Unlike Freshet's processor it keeps no dashboard counters, window counts, stream positions or
dead letters, and validates nothing beyond what parsing needs: it does strictly less work.
"""
import argparse
import datetime
import json
import sqlite3
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

COLUMNS = [
    "id", "first_name", "last_name", "gender", "address", "post_code", "email", "username", "dob",
    "registered_date", "phone", "picture", "year", "month", "day", "country", "email_domain", "age",
    "nat", "ingested_at",
]
UTC = datetime.timezone.utc

SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS created_users (
    id TEXT PRIMARY KEY NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    gender TEXT NOT NULL, address TEXT NOT NULL, post_code TEXT NOT NULL, email TEXT NOT NULL,
    username TEXT NOT NULL, dob TEXT NOT NULL, registered_date TEXT NOT NULL, phone TEXT NOT NULL,
    picture TEXT NOT NULL, year TEXT NOT NULL, month TEXT NOT NULL, day TEXT NOT NULL,
    country TEXT NOT NULL, email_domain TEXT NOT NULL, age INTEGER NOT NULL, nat TEXT NULL,
    ingested_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS created_users_ingested_at ON created_users (ingested_at DESC, id);
"""

POSTGRES_TABLE = """
CREATE TABLE IF NOT EXISTS created_users (
    id TEXT COLLATE "C" PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    gender TEXT NOT NULL, address TEXT NOT NULL, post_code TEXT NOT NULL, email TEXT NOT NULL,
    username TEXT NOT NULL, dob TEXT NOT NULL, registered_date TEXT NOT NULL, phone TEXT NOT NULL,
    picture TEXT NOT NULL, year TEXT NOT NULL, month TEXT NOT NULL, day TEXT NOT NULL,
    country TEXT NOT NULL, email_domain TEXT NOT NULL, age BIGINT NOT NULL, nat TEXT NULL,
    ingested_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS created_users_ingested_at ON created_users (ingested_at DESC, id)
"""

UPDATES = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
SQLITE_UPSERT = (
    f"INSERT INTO created_users ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    f"ON CONFLICT(id) DO UPDATE SET {UPDATES}"
)
POSTGRES_UPSERT = (
    f"INSERT INTO created_users ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM peer_stage "
    f"ON CONFLICT (id) DO UPDATE SET {UPDATES}"
)


def country(address):
    """The seeds' rule: the text after the last ", " of the address; "Unknown" if empty."""
    cut = address.rfind(", ")
    tail = address[cut + 2:] if cut >= 0 else address
    return tail or "Unknown"


def instant(text):
    """An ISO-8601 instant in UTC (the API's `2004-10-12T03:59:38.072Z`, or any offset)."""
    return datetime.datetime.fromisoformat(text).astimezone(UTC)


def whole_years(dob, registered):
    years = registered.year - dob.year
    if (registered.month, registered.day, registered.time()) < (dob.month, dob.day, dob.time()):
        years -= 1
    return years


def row(value, timestamp_ms):
    """A created_users row (a tuple in COLUMNS order) from one message value."""
    m = json.loads(value)
    address, email = m["address"], m["email"]
    dob, registered = instant(m["dob"]), instant(m["registered_date"])
    post_code = m["post_code"]
    return (
        m["id"], m["first_name"], m["last_name"], m["gender"], address,
        post_code if isinstance(post_code, str) else json.dumps(post_code),
        email, m["username"], m["dob"], m["registered_date"], m["phone"], m["picture"],
        str(registered.year), str(registered.month), str(registered.day),
        country(address), email.split("@", 1)[1].lower(), whole_years(dob, registered),
        m.get("nat"), timestamp_ms,
    )


class SQLiteStore:
    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(SQLITE_TABLE)

    def write(self, rows):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(SQLITE_UPSERT, rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self):
        self.db.close()


class PostgresStore:
    def __init__(self, url):
        import psycopg

        self.db = psycopg.connect(url)
        with self.db.transaction():
            self.db.execute(POSTGRES_TABLE)
        self.db.execute("CREATE TEMPORARY TABLE peer_stage (LIKE created_users) ON COMMIT DELETE ROWS")
        self.db.commit()

    def write(self, rows):
        with self.db.transaction():
            with self.db.cursor() as cursor:
                with cursor.copy(f"COPY peer_stage ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
                cursor.execute(POSTGRES_UPSERT)

    def close(self):
        self.db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True, help="host:port of the Kafka broker")
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", default="users_created")
    parser.add_argument("--sqlite", help="SQLite file to upsert into")
    parser.add_argument("--postgres", help="PostgreSQL connection string to upsert into")
    parser.add_argument("--expect", type=int, required=True, help="stop after this many records are stored")
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    if bool(args.sqlite) == bool(args.postgres):
        parser.error("give exactly one of --sqlite and --postgres")
    store = SQLiteStore(args.sqlite) if args.sqlite else PostgresStore(args.postgres)

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "fetch.max.bytes": 52428800,
    })
    consumer.subscribe([args.topic])
    stored = 0
    try:
        while stored < args.expect:
            # Last version of each id wins inside a batch (one statement cannot upsert an id twice).
            pending = {}
            offsets = {}
            count = 0
            while count < args.batch:
                messages = consumer.consume(num_messages=args.batch - count, timeout=0.1 if count else 1.0)
                if not messages:
                    break
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            continue
                        raise RuntimeError(f"consume failed: {error}")
                    r = row(message.value(), message.timestamp()[1])
                    pending[r[0]] = r
                    offsets[(message.topic(), message.partition())] = message.offset() + 1
                    count += 1
            if not count:
                continue
            store.write(list(pending.values()))
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
            stored += count
            print(f"stored {stored} {time.time():.6f}", flush=True)
    finally:
        consumer.close()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
