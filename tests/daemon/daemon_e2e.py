#!/usr/bin/python3
"""End-to-end tests of `raqib run` as a real process.

  daemon_e2e.py --scenario kafka|hostile|once|notify --raqib BIN [--mock BIN]

kafka:   a real HTTP server on 127.0.0.1 whose feeds change between polls -> raqib run -> the
         librdkafka mock cluster in its own process (tests/tools/mock_kafka_cluster) -> read
         back by kafka-python and kcat. Checks that new items alert once, that re-polls and 304s
         do not re-alert, that the same text under a new GUID is not alerted twice, that a
         restart does not re-alert, that SIGHUP adds a feed, that SIGTERM exits 0 with an empty
         outbox, and that /metrics, /healthz and /readyz answer.
hostile: next to a good feed, feeds that are huge, slow, broken, a gzip bomb, not a feed, and
         a 500; the good feed's articles still arrive (stdout sink), the daemon stays healthy
         and reports the bad feeds as failing in /status and /metrics.
once:    `raqib run --once` polls, publishes (stdout sink) and exits 0; a rerun publishes nothing.
notify:  the sd_notify protocol on a real NOTIFY_SOCKET: READY, STATUS, WATCHDOG, RELOADING on
         SIGHUP, STOPPING on SIGTERM; a bad config on SIGHUP is rejected and raqib runs on.

Exit 0: pass; 1: fail; 77: a needed client (kcat, kafka-python, lz4) is missing.
"""
import argparse
import collections
import gzip
import http.server
import json
import os
import queue
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
DEADLINE = 40  # seconds any single wait may take before the test fails
TOPICS = ["raqib.alerts.attack", "raqib.alerts.claim", "raqib.alerts.statement", "raqib.articles"]

# Articles written for this test (fiction). The attack ones are unambiguous for the classifier.
ATTACK_1 = ("مقتل خمسة جنود في هجوم مسلح على نقطة تفتيش",
            "قتل خمسة جنود وأصيب ثمانية آخرون بجروح في هجوم شنه مسلحون على نقطة تفتيش عسكرية "
            "فجر اليوم، بحسب مصدر أمني.")
SPORT = ("المنتخب يفوز على ضيفه بهدفين دون رد",
         "فاز المنتخب الوطني لكرة القدم على ضيفه بهدفين دون رد في مباراة ودية أقيمت مساء أمس.")
ATTACK_2 = ("انفجار عبوة ناسفة يستهدف حافلة ركاب ويقتل أربعة مدنيين",
            "قتل أربعة مدنيين وأصيب اثنا عشر آخرون إثر انفجار عبوة ناسفة زرعت على جانب الطريق "
            "لدى مرور حافلة ركاب.")
CLAIM = ("جماعة مسلحة تتبنى الهجوم على نقطة التفتيش",
         "أعلنت جماعة مسلحة مسؤوليتها عن الهجوم الذي استهدف نقطة تفتيش عسكرية، في بيان نشرته "
         "على قناتها في تطبيق تلغرام.")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(predicate, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise Failure(f"timed out waiting for {what}")


def rss(items):
    """An RSS 2.0 document; items are (guid, title, text)."""
    body = "".join(
        f"<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>"
        f"<link>http://news.example/{guid}</link><description>{text}</description></item>"
        for guid, title, text in items)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>test</title><link>http://news.example/</link>{body}</channel></rss>").encode()


# ---- the feed server -----------------------------------------------------------------------

class FeedServer:
    """HTTP on 127.0.0.1 (ephemeral port). Each path serves a callable(handler) or bytes with an
    optional ETag; counts requests and 304s per path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.requests = collections.Counter()
        self.not_modified = collections.Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with server.lock:
                    server.requests[self.path] += 1
                    route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if callable(route):
                    route(self)
                    return
                body, etag = route
                if etag and self.headers.get("If-None-Match") == etag:
                    with server.lock:
                        server.not_modified[self.path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path, route):
        with self.lock:
            self.routes[path] = route

    def count(self, path, not_modified=False):
        with self.lock:
            return (self.not_modified if not_modified else self.requests)[path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- raqib as a process --------------------------------------------------------------------

class Raqib:
    """`raqib run --config FILE` with JSON logs on stderr (read on a thread) and, without
    brokers, the stdout sink's JSON lines on stdout."""

    def __init__(self, binary, config, workdir):
        self.log = open(os.path.join(workdir, "raqib.log"), "a", encoding="utf-8")
        self.proc = subprocess.Popen([binary, "run", "--config", config], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.port = None
        self.lines = queue.Queue()
        self.messages = []
        self.lock = threading.Lock()
        threading.Thread(target=self._stderr, daemon=True).start()
        threading.Thread(target=self._stdout, daemon=True).start()
        wait_for(lambda: self.port, "raqib's HTTP port in its log")

    def _stderr(self):
        for line in self.proc.stderr:
            self.log.write(line)
            self.log.flush()
            m = re.search(r"on port (\d+)", line)
            if m:
                self.port = int(m.group(1))

    def _stdout(self):
        for line in self.proc.stdout:
            with self.lock:
                self.messages.append(json.loads(line))

    def sink_messages(self):
        with self.lock:
            return list(self.messages)

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name):
        """Sum of a metric's samples whose line starts with `name` (labels included)."""
        _, text = self.get("/metrics")
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=DEADLINE)
        self.log.close()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def write_config(path, feeds, workdir, brokers=None, extra_defaults=""):
    lines = ["feeds:"]
    for url in feeds:
        lines += [f"  - url: {url}", "    interval: 1s"]
    lines += ["defaults:", "  per_host_delay: 0ms", "  max_connections_per_host: 8",
              "  min_interval: 1s", "  max_backoff: 2s", extra_defaults,
              f"state_dir: {workdir}/state", "http:", "  listen: 127.0.0.1:0",
              "log:", "  level: debug", "  format: json",
              "pipeline:", "  shutdown_timeout: 15s"]
    if brokers:
        lines += ["kafka:", f"  brokers: {brokers}", "  properties:",
                  "    reconnect.backoff.ms: '10'", "    reconnect.backoff.max.ms: '100'",
                  "    topic.metadata.refresh.interval.ms: '1000'"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(l for l in lines if l) + "\n")


# ---- reading Kafka back with independent clients -------------------------------------------

def read_kafka_python(bootstrap):
    import kafka
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                   group_id=None, consumer_timeout_ms=1000,
                                   request_timeout_ms=10000, api_version_auto_timeout_ms=10000)
    try:
        parts = [tp for t in TOPICS for tp in
                 (kafka.TopicPartition(t, p) for p in consumer.partitions_for_topic(t) or [0])]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        records = []
        deadline = time.monotonic() + DEADLINE
        while any(consumer.position(tp) < end[tp] for tp in parts):
            check(time.monotonic() < deadline, "kafka-python: timed out reading")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records += [(r.topic, r.key.decode(), json.loads(r.value)) for r in batch]
        return records
    finally:
        consumer.close()


def read_kcat(bootstrap):
    records = []
    for topic in TOPICS:
        out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                              "-J", "-q"], capture_output=True, text=True, timeout=DEADLINE,
                             check=True).stdout
        for line in out.splitlines():
            m = json.loads(line)
            records.append((m["topic"], m["key"], json.loads(m["payload"])))
    return records


# ---- scenarios -----------------------------------------------------------------------------

def scenario_kafka(args, workdir):
    try:
        import kafka  # noqa: F401
        import lz4.frame  # noqa: F401  (raqib compresses with lz4)
    except ImportError as e:
        print(f"SKIP: missing python module: {e}")
        sys.exit(SKIP)
    if shutil.which("kcat") is None:
        print("SKIP: kcat not installed")
        sys.exit(SKIP)

    cluster = subprocess.Popen([args.mock, "--brokers", "1", "--partitions", "2", *TOPICS],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    server = FeedServer()
    daemon = None
    try:
        bootstrap = cluster.stdout.readline().strip()
        check("127.0.0.1" in bootstrap, f"mock cluster said {bootstrap!r}")
        a_items = [("a1", *ATTACK_1), ("a2", *SPORT)]
        server.serve("/a.rss", (rss(a_items), '"a-v1"'))
        server.serve("/b.rss", (rss([("b1", *CLAIM)]), '"b-v1"'))
        config = os.path.join(workdir, "raqib.yaml")
        write_config(config, [server.url("/a.rss")], workdir, brokers=bootstrap)

        # 1. New items alert once; re-polls are answered 304 and alert nothing.
        daemon = Raqib(args.raqib, config, workdir)
        wait_for(lambda: daemon.metric("raqib_messages_delivered_total") >= 3,
                 "a1 (alert + archive) and a2 (archive) delivered")
        wait_for(lambda: server.count("/a.rss", not_modified=True) >= 2, "two 304 re-polls")

        # 2. The feed changes: one new article, and a1's text again under a new GUID and link.
        server.serve("/a.rss", (rss([("a3", *ATTACK_2), ("a1-republished", *ATTACK_1)] + a_items),
                                '"a-v2"'))
        wait_for(lambda: daemon.metric("raqib_messages_delivered_total") >= 5, "a3 delivered")
        polls = server.count("/a.rss")
        wait_for(lambda: server.count("/a.rss") >= polls + 2, "two more polls of a.rss")

        # 3. The operator's endpoints.
        check(daemon.get("/healthz")[0] == 200, "/healthz is not 200")
        check(daemon.get("/readyz")[0] == 200, "/readyz is not 200")
        _, metrics = daemon.get("/metrics")
        for name in ["raqib_http_responses_total{code=\"304\"}", "raqib_feeds{state=\"ok\"} 1",
                     "raqib_item_to_kafka_latency_seconds_count", "raqib_fetch_duration_seconds_bucket",
                     "raqib_outbox_depth 0", "raqib_items_duplicate_total"]:
            check(name in metrics, f"/metrics lacks {name}")
        status = json.loads(daemon.get("/status")[1])
        check(status["feeds"]["ok"] == 1 and not status["failing"], f"/status: {status}")

        # 4. SIGHUP adds a feed without a restart.
        write_config(config, [server.url("/a.rss"), server.url("/b.rss")], workdir,
                     brokers=bootstrap)
        delivered = daemon.metric("raqib_messages_delivered_total")
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: daemon.metric("raqib_messages_delivered_total") >= delivered + 2,
                 "the new feed's article delivered after SIGHUP")
        check(daemon.proc.poll() is None, "raqib exited on SIGHUP")

        # 5. SIGTERM: exit 0 with an empty outbox.
        check(daemon.stop() == 0, "raqib did not exit 0 on SIGTERM")
        with sqlite3.connect(os.path.join(workdir, "state", "outbox.sqlite3")) as db:
            depth = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        check(depth == 0, f"outbox not empty after SIGTERM: {depth}")

        # 6. A restart re-reads every feed in full (no ETag now) and alerts nothing again.
        server.serve("/a.rss", (rss([("a3", *ATTACK_2), ("a1-republished", *ATTACK_1)] + a_items),
                                None))
        before = (server.count("/a.rss"), server.count("/b.rss"))
        daemon = Raqib(args.raqib, config, workdir)
        wait_for(lambda: server.count("/a.rss") >= before[0] + 2 and
                 server.count("/b.rss") >= before[1] + 2, "two polls of each feed after restart")
        # The server counts a poll when it arrives; the daemon counts its items once parsed.
        wait_for(lambda: daemon.metric("raqib_items_duplicate_total") >= 5,
                 "re-read items counted as duplicates")
        check(daemon.stop() == 0, "raqib did not exit 0 on the second SIGTERM")

        # 7. What Kafka holds, read by two independent clients.
        for client, reader in (("kafka-python", read_kafka_python), ("kcat", read_kcat)):
            records = reader(bootstrap)
            by_topic = collections.defaultdict(collections.Counter)
            for topic, key, value in records:
                by_topic[topic][key] += 1
                check(value["id"] == key, f"{client}: key {key} carries article {value['id']}")
            archive = by_topic["raqib.articles"]
            check(archive == collections.Counter({"a1": 1, "a2": 1, "a3": 1, "b1": 1}),
                  f"{client}: archive topic holds {dict(archive)}")
            for topic in TOPICS[:3]:
                check(all(n == 1 for n in by_topic[topic].values()),
                      f"{client}: duplicate alerts on {topic}: {dict(by_topic[topic])}")
            attacks = by_topic["raqib.alerts.attack"]
            check(attacks["a1"] == 1 and attacks["a3"] == 1, f"{client}: attack alerts {dict(attacks)}")
            check("a2" not in attacks, f"{client}: the sport article alerted")
            print(f"{client}: {len(records)} records, archive {dict(archive)}, "
                  f"attack {dict(attacks)}")
    finally:
        if daemon:
            daemon.kill()
        server.close()
        if cluster.poll() is None:
            cluster.stdin.close()
            cluster.wait(timeout=10)


def scenario_hostile(args, workdir):
    server = FeedServer()
    daemon = None
    try:
        server.serve("/good.rss", (rss([("g1", *ATTACK_1), ("g2", *SPORT)]), None))

        def huge(h):  # 8 MiB of a valid-looking feed against a 1 MiB cap
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(8 << 20))
            h.end_headers()
            chunk = b"<item><title>" + b"x" * 1000 + b"</title></item>"
            try:
                h.wfile.write(b"<rss><channel>")
                for _ in range((8 << 20) // len(chunk)):
                    h.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def slow(h):  # one byte per second, forever
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.end_headers()
            try:
                for _ in range(600):
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass

        bomb_body = gzip.compress(b"<rss>" + b"\0" * (64 << 20), compresslevel=9)

        def bomb(h):  # 64 MiB of zeros in ~64 KiB of gzip
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Encoding", "gzip")
            h.send_header("Content-Length", str(len(bomb_body)))
            h.end_headers()
            try:
                h.wfile.write(bomb_body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def error500(h):
            h.send_error(500)

        server.serve("/huge.rss", huge)
        server.serve("/slow.rss", slow)
        server.serve("/bomb.rss", bomb)
        server.serve("/error.rss", error500)
        server.serve("/broken.rss", (b"<rss><channel><item><title>\xff\xfe<<<&&& broken", None))
        server.serve("/html.rss", (b"<html><body><h1>Not a feed</h1></body></html>", None))
        hostile = ["/huge.rss", "/slow.rss", "/bomb.rss", "/error.rss", "/broken.rss", "/html.rss"]
        config = os.path.join(workdir, "raqib.yaml")
        write_config(config, [server.url(p) for p in hostile] + [server.url("/good.rss")], workdir,
                     extra_defaults="  max_body_bytes: 1048576\n  total_timeout: 3s")
        daemon = Raqib(args.raqib, config, workdir)

        # The good feed's articles arrive while the hostile ones misbehave ...
        wait_for(lambda: {m["key"] for m in daemon.sink_messages()
                          if m["topic"] == "raqib.articles"} >= {"g1", "g2"},
                 "the good feed's articles on the stdout sink")
        # ... and keep being polled after every hostile feed has failed at least once.
        wait_for(lambda: len(json.loads(daemon.get("/status")[1])["failing"]) >= 4,
                 "the hostile feeds reported as failing")
        polls = server.count("/good.rss")
        wait_for(lambda: server.count("/good.rss") >= polls + 2, "the good feed still polled")
        server.serve("/good.rss", (rss([("g3", *ATTACK_2), ("g1", *ATTACK_1), ("g2", *SPORT)]),
                                   None))
        wait_for(lambda: "g3" in {m["key"] for m in daemon.sink_messages()},
                 "a new article on the good feed while the hostile ones keep failing")
        check(daemon.get("/healthz")[0] == 200, "/healthz is not 200")
        status = json.loads(daemon.get("/status")[1])
        failing = {f["url"].rsplit("/", 1)[1]: f["last_error"] for f in status["failing"]}
        print("failing feeds:", json.dumps(failing, ensure_ascii=False))
        for name in ["huge.rss", "bomb.rss", "error.rss", "html.rss"]:
            check(name in failing, f"{name} is not reported failing: {status}")
        check("good.rss" not in failing, "the good feed is reported failing")
        check(daemon.metric("raqib_fetch_errors_total") >= 3, "no fetch errors counted")
        check(daemon.stop() == 0, "raqib did not exit 0 on SIGTERM")
        keys = collections.Counter(m["key"] for m in daemon.sink_messages()
                                   if m["topic"] == "raqib.articles")
        # What could be recovered from broken.rss may be there too; every article exactly once.
        check(all(keys[k] == 1 for k in ("g1", "g2", "g3")), f"archive: {dict(keys)}")
        check(all(n == 1 for n in keys.values()), f"an article published twice: {dict(keys)}")
    finally:
        if daemon:
            daemon.kill()
        server.close()


def scenario_once(args, workdir):
    """`raqib run --once`: one poll cycle of a file:// feed, stdout sink, exit 0; a second run
    on the same state directory publishes nothing."""
    feed = os.path.join(workdir, "feed.xml")
    with open(feed, "wb") as f:
        f.write(rss([("o1", *ATTACK_1), ("o2", *SPORT)]))
    config = os.path.join(workdir, "raqib.yaml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"feeds:\n  - url: file://{feed}\nstate_dir: {workdir}/state\nhttp:\n  listen: ''\n")
    runs = []
    for _ in range(2):
        done = subprocess.run([args.raqib, "run", "--once", "--config", config],
                              capture_output=True, text=True, timeout=DEADLINE)
        check(done.returncode == 0, f"--once exited {done.returncode}: {done.stderr}")
        runs.append([json.loads(line) for line in done.stdout.splitlines()])
    archive = sorted(m["key"] for m in runs[0] if m["topic"] == "raqib.articles")
    check(archive == ["o1", "o2"], f"first --once published {archive}")
    check(runs[1] == [], f"second --once published {runs[1]}")


def scenario_notify(args, workdir):
    """The sd_notify protocol over a real NOTIFY_SOCKET, as systemd provides it: READY=1,
    STATUS=, WATCHDOG=1 (WATCHDOG_USEC set), RELOADING=1 on SIGHUP, STOPPING=1 on SIGTERM."""
    import socket
    path = os.path.join(workdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(DEADLINE)
    feed = os.path.join(workdir, "feed.xml")
    with open(feed, "wb") as f:
        f.write(rss([("n1", *SPORT)]))
    config = os.path.join(workdir, "raqib.yaml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f"feeds:\n  - url: file://{feed}\nstate_dir: {workdir}/state\nhttp:\n  listen: ''\n")
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
    log_path = os.path.join(workdir, "raqib.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([args.raqib, "run", "--config", config], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    got = []

    def receive_until(word):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            message = sock.recv(4096).decode()
            got.extend(message.split("\n"))
            if any(line.startswith(word) for line in message.split("\n")):
                return
        raise Failure(f"no {word} from raqib; got {got}")

    try:
        receive_until("READY=1")
        receive_until("WATCHDOG=1")
        proc.send_signal(signal.SIGHUP)
        receive_until("RELOADING=1")
        receive_until("READY=1")
        receive_until("STATUS=")
        # A bad config on SIGHUP is rejected with a message; the daemon keeps running.
        with open(config, "a", encoding="utf-8") as f:
            f.write("frobnicate: yes\n")
        proc.send_signal(signal.SIGHUP)
        receive_until("RELOADING=1")
        receive_until("READY=1")
        check(proc.poll() is None, "raqib exited on a bad config")
        wait_for(lambda: "config reload rejected" in open(log_path, encoding="utf-8").read(),
                 "the rejected reload in the log")
        check("frobnicate: unknown key" in open(log_path, encoding="utf-8").read(),
              "the rejection does not name the key")
        proc.send_signal(signal.SIGTERM)
        receive_until("STOPPING=1")
        check(proc.wait(timeout=DEADLINE) == 0, f"raqib exited {proc.returncode}")
        print("sd_notify messages:", sorted(set(l.split("=")[0] for l in got if l)))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", required=True, choices=["kafka", "hostile", "once", "notify"])
    parser.add_argument("--raqib", required=True)
    parser.add_argument("--mock")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix=f"raqib-e2e-{args.scenario}-")
    try:
        {"kafka": scenario_kafka, "hostile": scenario_hostile, "once": scenario_once,
         "notify": scenario_notify}[args.scenario](args, workdir)
    except Failure as e:
        print(f"FAIL: {e}")
        log = os.path.join(workdir, "raqib.log")
        if os.path.exists(log):
            with open(log, encoding="utf-8") as f:
                print("--- raqib log (last 60 lines) ---\n" + "".join(f.readlines()[-60:]))
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
