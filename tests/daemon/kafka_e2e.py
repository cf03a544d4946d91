#!/usr/bin/python3
"""Kafka end-to-end and fault tests for raqib's publisher.

A librdkafka mock cluster runs in its own process (tests/tools/mock_kafka_cluster.cc); raqib's
real outbox + producer code runs in another (tests/tools/publish_driver.cc) and can be killed;
what landed on the cluster is read back by two independent clients, kcat and the pure-Python
kafka-python, and checked: every article on the right topics with the right key, CloudEvents
headers, a payload valid against docs/alert.schema.json, none lost, and duplicates (allowed:
at-least-once) carrying the same ce_id and the same bytes.

  kafka_e2e.py --scenario topics|leader|errors|sigkill|slow|fatal --mock BIN --driver BIN --schema FILE

Exit 0: pass; 1: fail; 77: a needed client (kcat, kafka-python, lz4, jsonschema) is missing.
"""
import argparse
import collections
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
try:
    import jsonschema
    import kafka
    import kafka.partitioner.default
    import lz4.frame  # noqa: F401  (kafka-python needs it to read lz4 batches)
except ImportError as e:  # pragma: no cover
    print(f"SKIP: missing python module: {e}")
    sys.exit(SKIP)

TOPICS = {
    "attack": "raqib.alerts.attack",
    "claim": "raqib.alerts.claim",
    "statement": "raqib.alerts.statement",
    "article": "raqib.articles",
}
# publish_driver's article i has these labels by i % 4.
LABELS = [[], ["attack"], ["claim", "statement"], ["attack", "claim", "statement"]]
PARTITIONS = 3
DEADLINE = 40  # seconds any single wait may take before the test fails


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Lines:
    """Reads a process's stdout on a thread, so the test can wait for a line with a timeout."""

    def __init__(self, proc, name):
        self.proc = proc
        self.name = name
        self.queue = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def next(self, timeout=DEADLINE):
        try:
            line = self.queue.get(timeout=timeout)
        except queue.Empty:
            raise Failure(f"{self.name}: no output for {timeout} s")
        if line is not None:
            self.seen.append(line)
        return line

    def until(self, predicate, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while True:
            line = self.next(max(0.1, end - time.monotonic()))
            if line is None:
                raise Failure(f"{self.name}: ended before the expected line")
            if predicate(line):
                return line


class MockCluster:
    def __init__(self, binary, brokers=3):
        self.brokers = brokers
        self.proc = subprocess.Popen(
            [binary, "--brokers", str(brokers), "--partitions", str(PARTITIONS),
             "--replication", str(brokers), *TOPICS.values()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines = Lines(self.proc, "mock cluster")
        self.bootstrap = self.lines.next()
        check(self.bootstrap and "127.0.0.1" in self.bootstrap, f"bad bootstrap {self.bootstrap}")

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.lines.next()
        check(answer == "ok", f"mock cluster: {line!r} answered {answer!r}")

    def close(self):
        """Stops the cluster; returns its exit status (0 unless it crashed or leaked)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# Properties every test run of the driver uses: fast reconnects and a short message timeout,
# so a stuck message fails back to the outbox (and is retried from there) within the test.
TEST_PROPERTIES = {
    "reconnect.backoff.ms": "10",
    "reconnect.backoff.max.ms": "100",
    "retry.backoff.ms": "50",
    "message.timeout.ms": "1500",
    "topic.metadata.refresh.interval.ms": "1000",
}


def start_driver(binary, cluster, outbox, start, count, delay_ms=0, extra=None):
    cmd = [binary, "--outbox", outbox, "--brokers", cluster.bootstrap, "--start", str(start),
           "--count", str(count), "--delay-ms", str(delay_ms), "--flush-ms", "30000",
           "--backoff-ms", "200"]
    for name, value in {**TEST_PROPERTIES, **(extra or {})}.items():
        cmd += ["--property", f"{name}={value}"]
    # Logs (stderr) go to a file per run: the fatal scenario reads them, a failure prints them.
    log = open(f"{outbox}-{start}.log", "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    lines = Lines(proc, "publish_driver")
    first = lines.next()
    check(first and first.startswith("start depth="), f"driver said {first!r}")
    return proc, lines, int(first.split("=")[1])


def finish_driver(proc, lines):
    """Waits for the driver's final stats line and a 0 exit."""
    stats_line = lines.until(lambda l: l.startswith("stats "))
    stats = json.loads(stats_line[len("stats "):])
    check(proc.wait(timeout=DEADLINE) == 0, f"driver exited {proc.returncode}: {stats}")
    check(stats["flushed"] and stats["depth"] == 0, f"outbox not drained: {stats}")
    return stats


def published(line):
    return int(line.split()[1]) if line.startswith("published ") else None


# ---- reading back ------------------------------------------------------------------------------

Record = collections.namedtuple("Record", "topic partition offset key value headers")


def read_kafka_python(bootstrap):
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                   group_id=None, consumer_timeout_ms=1000,
                                   request_timeout_ms=10000, api_version_auto_timeout_ms=10000)
    try:
        parts = [kafka.TopicPartition(t, p) for t in TOPICS.values() for p in range(PARTITIONS)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        records = []
        deadline = time.monotonic() + DEADLINE
        while any(consumer.position(tp) < end[tp] for tp in parts):
            check(time.monotonic() < deadline, "kafka-python: timed out reading")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for r in batch:
                    records.append(Record(r.topic, r.partition, r.offset, r.key.decode(),
                                          r.value.decode(),
                                          {k: v.decode() for k, v in r.headers}))
        return records
    finally:
        consumer.close()


def read_kcat(bootstrap):
    records = []
    for topic in TOPICS.values():
        out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                              "-J", "-q", "-X", "api.version.request=true"],
                             capture_output=True, text=True, timeout=DEADLINE, check=True).stdout
        for line in out.splitlines():
            m = json.loads(line)
            headers = m.get("headers") or {}
            if isinstance(headers, list):  # older kcat: [name, value, name, value, ...]
                headers = dict(zip(headers[::2], headers[1::2]))
            records.append(Record(m["topic"], m["partition"], m["offset"], m["key"],
                                  m["payload"], headers))
    return records


# ---- checks ------------------------------------------------------------------------------------

def expected_messages(ids):
    """{(topic, key): kind} for articles `ids`."""
    expected = {}
    for i in ids:
        for kind in LABELS[i % 4] + ["article"]:
            expected[(TOPICS[kind], f"art-{i}")] = kind
    return expected


def verify(records, ids, schema, client):
    """Every expected message at least once, nothing unexpected, duplicates identical."""
    expected = expected_messages(ids)
    validator = jsonschema.Draft202012Validator(schema)
    by_message = collections.defaultdict(list)
    for r in records:
        check((r.topic, r.key) in expected, f"{client}: unexpected {r.topic} {r.key}")
        by_message[(r.topic, r.key)].append(r)
    missing = sorted(set(expected) - set(by_message))
    check(not missing, f"{client}: {len(missing)} messages lost, e.g. {missing[:5]}")

    # murmur2 partitioning, as kafka-python's (Java-compatible) default partitioner computes it.
    partitioner = kafka.partitioner.default.DefaultPartitioner()
    duplicates = 0
    for (topic, key), copies in by_message.items():
        kind = expected[(topic, key)]
        first = copies[0]
        h = first.headers
        check(h.get("ce_specversion") == "1.0", f"{client}: ce_specversion {h}")
        check(h.get("ce_id") == f"{key}/{kind}", f"{client}: ce_id {h.get('ce_id')} for {key}")
        check(h.get("ce_type") == ("org.raqib.article" if kind == "article"
                                   else f"org.raqib.alert.{kind}"), f"{client}: ce_type {h}")
        check(h.get("ce_source"), f"{client}: no ce_source")
        check(h.get("ce_time", "").endswith("Z"), f"{client}: ce_time {h.get('ce_time')}")
        check(h.get("content-type") == "application/json", f"{client}: content-type {h}")
        value = json.loads(first.value)
        errors = sorted(validator.iter_errors(value), key=str)
        check(not errors, f"{client}: {topic} {key} not schema-valid: {errors[:1]}")
        check(value["id"] == key, f"{client}: value id {value['id']} under key {key}")
        i = int(key.split("-")[1])
        check(value["labels"] == LABELS[i % 4], f"{client}: labels {value['labels']} for {key}")
        check("\\u" not in first.value, f"{client}: escaped unicode in {key}")
        all_partitions = list(range(PARTITIONS))
        want = partitioner(key.encode(), all_partitions, all_partitions)
        check(first.partition == want,
              f"{client}: {key} on partition {first.partition}, murmur2 says {want}")
        for dup in copies[1:]:
            duplicates += 1
            check(dup.headers.get("ce_id") == h.get("ce_id"), f"{client}: duplicate, other ce_id")
            check(dup.value == first.value and dup.partition == first.partition,
                  f"{client}: duplicate of {topic} {key} differs")
    return len(by_message), duplicates


def verify_both(cluster, ids, schema):
    # Both clients read before either is judged, so a loss says whether the other, independent
    # client saw the same hole (the cluster lost it) or not (one client misread).
    read = {client: reader(cluster.bootstrap)
            for client, reader in (("kafka-python", read_kafka_python), ("kcat", read_kcat))}
    expected = set(expected_messages(ids))
    for client, records in read.items():
        missing = sorted(expected - {(r.topic, r.key) for r in records})
        if missing:
            print(f"{client} misses {len(missing)}: {missing[:10]}")
    counts = {}
    for client, records in read.items():
        distinct, duplicates = verify(records, ids, schema, client)
        counts[client] = collections.Counter((r.topic, r.key, r.headers["ce_id"]) for r in records)
        print(f"{client}: {len(records)} records, {distinct} distinct messages, "
              f"{duplicates} duplicates")
    check(counts["kafka-python"] == counts["kcat"], "kcat and kafka-python read different records")
    return duplicates


# ---- scenarios ---------------------------------------------------------------------------------

def scenario_topics(args, cluster, workdir, schema):
    """No faults: 40 articles land on the right topics, keys, headers and payloads. zstd here
    (the other scenarios run raqib's default, lz4), so both codecs are read back."""
    proc, lines, depth = start_driver(args.driver, cluster, f"{workdir}/outbox.sqlite3", 0, 40,
                                      extra={"compression.type": "zstd"})
    check(depth == 0, "fresh outbox not empty")
    stats = finish_driver(proc, lines)
    print("driver:", stats)
    check(stats["enqueued"] == stats["delivered"] == 40 + sum(len(LABELS[i % 4]) for i in range(40)),
          f"counts {stats}")
    verify_both(cluster, range(40), schema)


def scenario_leader(args, cluster, workdir, schema):
    """A broker leading some partitions goes down for 3 s (longer than message.timeout.ms, so
    deliveries fail back to the outbox) and comes back; then another answers 200 ms slower
    for a while, and leaderships move mid-stream."""
    n = 150
    proc, lines, _ = start_driver(args.driver, cluster, f"{workdir}/outbox.sqlite3", 0, n,
                                  delay_ms=20)
    lines.until(lambda l: published(l) == 30)
    cluster.command("down 1")
    time.sleep(3)
    cluster.command("up 1")
    cluster.command("rtt 2 200")
    lines.until(lambda l: published(l) == 120)
    cluster.command("rtt 2 0")
    cluster.command(f"leader {TOPICS['article']} 0 3")
    cluster.command(f"leader {TOPICS['attack']} 1 2")
    stats = finish_driver(proc, lines)
    print("driver:", stats)
    check(stats["delivery_errors"] > 0, "the broker outage failed no delivery: not exercised")
    check(stats["retried"] > 0, "nothing was re-sent from the outbox")
    verify_both(cluster, range(n), schema)


def scenario_errors(args, cluster, workdir, schema):
    """Injected Produce errors: retriable ones (librdkafka retries them) and a permanent one
    (the delivery fails and raqib re-sends from the outbox after a backoff)."""
    n = 60
    cluster.command("error Produce 4 6")   # NOT_LEADER_OR_FOLLOWER: retriable
    cluster.command("error Produce 3 7")   # REQUEST_TIMED_OUT: retriable
    cluster.command("error Produce 3 29")  # TOPIC_AUTHORIZATION_FAILED: permanent
    proc, lines, _ = start_driver(args.driver, cluster, f"{workdir}/outbox.sqlite3", 0, n,
                                  delay_ms=5)
    lines.until(lambda l: published(l) == 30)
    cluster.command("error Produce 5 19")  # NOT_ENOUGH_REPLICAS: retriable
    cluster.command("error Produce 2 29")
    stats = finish_driver(proc, lines)
    print("driver:", stats)
    check(stats["delivery_errors"] > 0, "no delivery failed: the permanent errors did not bite")
    check(stats["retried"] > 0, "nothing was re-sent from the outbox")
    verify_both(cluster, range(n), schema)


def scenario_sigkill(args, cluster, workdir, schema):
    """The publisher is SIGKILLed mid-stream while every broker is down (so messages are on
    disk, unacknowledged), then restarted on the same outbox: it re-sends them and goes on."""
    n = 200
    outbox = f"{workdir}/outbox.sqlite3"
    proc, lines, _ = start_driver(args.driver, cluster, outbox, 0, n, delay_ms=10)
    lines.until(lambda l: published(l) == 60)
    for b in range(1, cluster.brokers + 1):
        cluster.command(f"down {b}")
    # Articles published from here on cannot be acknowledged before the kill.
    last = published(lines.until(lambda l: (published(l) or 0) >= 120))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=DEADLINE)
    # Whatever it printed before dying is durable too.
    while (line := lines.next()) is not None:
        last = published(line) if published(line) is not None else last
    # A copy of the outbox as the killed run left it (the writer is dead, so copying the
    # database and its WAL is safe), for the duplicate check below.
    for suffix in ("", "-wal"):
        if os.path.exists(outbox + suffix):
            shutil.copyfile(outbox + suffix, f"{workdir}/snapshot.sqlite3{suffix}")
    for b in range(1, cluster.brokers + 1):
        cluster.command(f"up {b}")
    print(f"killed after article {last}")
    proc, lines, depth = start_driver(args.driver, cluster, outbox, last + 1, n - last - 1,
                                      delay_ms=2)
    print(f"restart found {depth} messages in the outbox")
    check(depth > 0, "the killed run left nothing in the outbox: the kill was not mid-stream")
    stats = finish_driver(proc, lines)
    print("driver after restart:", stats)
    check(stats["retried"] >= depth, f"restart re-sent {stats['retried']} of {depth}")
    verify_both(cluster, range(n), schema)

    # A crash after Kafka acknowledged messages but before their removal reached the disk
    # leaves exactly such an outbox: starting on the snapshot re-sends what is already
    # delivered. Those duplicates must be byte-identical with the same ce_id.
    proc, lines, again = start_driver(args.driver, cluster, f"{workdir}/snapshot.sqlite3", 0, 0)
    check(again == depth, f"snapshot holds {again} messages, the outbox held {depth}")
    finish_driver(proc, lines)
    duplicates = verify_both(cluster, range(n), schema)
    check(duplicates >= depth, f"expected at least {depth} duplicates, read {duplicates}")


def scenario_slow(args, cluster, workdir, schema):
    """Every broker answers 2.5 s late for a while, longer than request.timeout.ms (1 s here):
    requests the brokers did write time out on the producer side and are sent again. The mock
    does not de-duplicate idempotent producers, so its log then holds real duplicates, which
    must carry the same ce_id and bytes."""
    n = 80
    proc, lines, _ = start_driver(args.driver, cluster, f"{workdir}/outbox.sqlite3", 0, n,
                                  delay_ms=10, extra={"request.timeout.ms": "1000"})
    lines.until(lambda l: published(l) == 20)
    for b in range(1, cluster.brokers + 1):
        cluster.command(f"rtt {b} 2500")
    lines.until(lambda l: published(l) == 50)
    time.sleep(2)
    for b in range(1, cluster.brokers + 1):
        cluster.command(f"rtt {b} 0")
    stats = finish_driver(proc, lines)
    print("driver:", stats)
    check(stats["delivery_errors"] > 0, "no delivery timed out: the scenario did not happen")
    verify_both(cluster, range(n), schema)


def scenario_fatal(args, cluster, workdir, schema):
    """Errors the idempotent producer cannot recover from: the first producer is fenced when it
    asks for its producer id, its replacement gets an out-of-order sequence number on its first
    Produce. raqib replaces the producer each time; the messages a dead one held go back to the
    outbox and are delivered by the next."""
    n = 40
    cluster.command("error InitProducerId 1 90")  # PRODUCER_FENCED: fatal
    cluster.command("error Produce 1 45")  # OUT_OF_ORDER_SEQUENCE_NUMBER: fatal
    proc, lines, _ = start_driver(args.driver, cluster, f"{workdir}/outbox.sqlite3", 0, n,
                                  delay_ms=5)
    stats = finish_driver(proc, lines)
    print("driver:", stats)
    with open(f"{workdir}/outbox.sqlite3-0.log", encoding="utf-8", errors="replace") as f:
        restarts = sum("starting a new producer" in line for line in f)
    print(f"producer replaced {restarts} times")
    check(restarts >= 2, "fewer fatal producer errors than injected: scenario not exercised")
    verify_both(cluster, range(n), schema)


def check_logs(workdir):
    """Message contents never reach the logs (they may be large, and are not log material)."""
    for name in os.listdir(workdir):
        if name.endswith(".log"):
            with open(f"{workdir}/{name}", encoding="utf-8", errors="replace") as f:
                text = f.read()
            check('"schema_version"' not in text, f"{name}: a message value was logged")


SCENARIOS = {"topics": scenario_topics, "leader": scenario_leader, "errors": scenario_errors,
             "sigkill": scenario_sigkill, "slow": scenario_slow, "fatal": scenario_fatal}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--mock", required=True)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--schema", required=True)
    args = parser.parse_args()
    if shutil.which("kcat") is None:
        print("SKIP: kcat not installed")
        return SKIP
    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)

    workdir = tempfile.mkdtemp(prefix="raqib-kafka-e2e-")
    cluster = MockCluster(args.mock)
    try:
        started = time.monotonic()
        SCENARIOS[args.scenario](args, cluster, workdir, schema)
        check_logs(workdir)
        status = cluster.close()
        check(status == 0, f"mock cluster exited with {status}")
        print(f"PASS {args.scenario} in {time.monotonic() - started:.1f} s")
        return 0
    except Failure as e:
        print(f"FAIL {args.scenario}: {e}")
        # Articles the failure names: what the driver's log says of them (deliveries with
        # topic, partition and offset; failures), so a loss can be traced to the broker's ack.
        named = set(re.findall(r"art-\d+\b", str(e))[:5])
        for name in sorted(os.listdir(workdir)):
            if name.endswith(".log"):
                with open(f"{workdir}/{name}", encoding="utf-8", errors="replace") as f:
                    lines = f.readlines()
                about = [l for l in lines if any(f"key {k}\n" in l or f"article {k}," in l
                                                 for k in named)]
                if about:
                    print(f"--- {name} (lines about {sorted(named)})\n" + "".join(about[:40]))
                print(f"--- {name} (last 40 lines)\n" + "".join(lines[-40:]))
        return 1
    finally:
        cluster.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
