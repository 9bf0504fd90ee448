"""The learning loop on the tiny model: registry and promotions followed by a
running server, the promotion gate, retraining with a time holdout, and
notifications through the outbox."""
import hashlib
import hmac
import http.server
import json
import os
import sqlite3
import stat
import threading
import time

from conftest import KEY, image, png, run_aoi, wait_for
from test_crash_and_reload import load


def registry_with(aoi, reg, *bundles):
    versions = []
    for b in bundles:
        code, out, err = run_aoi(aoi, "models", "--registry", reg, "add", b)
        assert code == 0, err
        versions.append(out.strip())
    return versions


def test_registry_switches_are_followed_under_load(aoi, start, fixture, tmp_path):
    reg = tmp_path / "registry"
    a, b = registry_with(aoi, reg, fixture / "model.json", fixture / "model_b.json")
    assert registry_with(aoi, reg, fixture / "model.json") == [a]  # adding again: the same version
    assert not os.stat(reg / "versions" / a / "model.json").st_mode & stat.S_IWUSR  # immutable
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "promote", "aoi-0000000000000000")
    assert code == 1 and "no version" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "add", bad)
    assert code == 1 and "bad.json" in err
    store = tmp_path / "store"
    assert run_aoi(aoi, "models", "--registry", reg, "promote", a, "--store", store, "--by", "carol")[0] == 0

    s = start(store=store, extra=["--registry", reg, "--registry-poll-ms", "100"], model=None, use_registry=True)
    assert s.json("GET", "/healthz", key=None)[1]["model_version"] == a
    stop, results, errors = threading.Event(), [], []
    threads = load(s, fixture, stop, results, errors, unique=False)
    time.sleep(0.8)
    assert run_aoi(aoi, "models", "--registry", reg, "promote", b, "--store", store, "--by", "carol")[0] == 0

    def serving():
        return s.json("GET", "/healthz", key=None)[1]["model_version"]

    deadline = time.monotonic() + 20
    while serving() != b and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serving() == b
    time.sleep(0.5)
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "rollback", "--store", store, "--by", "dave")
    assert code == 0 and "rolled back to " + a in err
    deadline = time.monotonic() + 20
    while serving() != a and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(60)
    assert errors == [] and serving() == a
    versions = [r[0]["model_version"] for r in results]
    assert versions[0] == a and b in versions and versions[-1] == a
    code, out, _ = run_aoi(aoi, "models", "--registry", reg, "list")
    assert "* " + a in out and "  " + b in out
    assert (reg / "current").read_text().strip() == a
    history = json.loads((reg / "history.json").read_text())
    assert [(h["action"], h["version"], h["previous"], h["who"]) for h in history] == [
        ("promote", a, "", "carol"), ("promote", b, a, "carol"), ("rollback", a, b, "dave")]
    code, out, _ = run_aoi(aoi, "audit", "--store", store)
    actions = [line.split("\t")[1:4] for line in out.splitlines()]
    assert ["carol", "promote", b] in actions and ["dave", "rollback", a] in actions
    assert ["registry", "reload", b] in actions and ["registry", "reload", a] in actions
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "rollback")
    assert code == 1 and "nothing to roll back" in err


def labelled_store(start, tmp_path, count=60):
    """A store with `count` labelled results: grey images, fail when bright."""
    s = start(store=tmp_path / "store")
    ids = []
    for n in range(count):
        level = (n * 97) % 256
        r = s.json("POST", "/v1/inspect?item=g%d" % n, png(level, salt=n), key=KEY)[1]
        label = "fail" if level > 128 else "pass"
        assert s.json("POST", "/v1/results/%d/label" % r["id"], json.dumps({"label": label, "by": "op"}),
                      key=KEY)[0] == 200
        ids.append(r["id"])
    s.stop()
    return ids


def test_gate_refuses_a_worse_candidate_and_promotes_a_fair_one(aoi, start, fixture, tmp_path):
    labelled_store(start, tmp_path)
    reg = tmp_path / "registry"
    a, bad, same = registry_with(aoi, reg, fixture / "model.json", fixture / "model_inverted.json",
                                 fixture / "model_review.json")
    store = tmp_path / "store"
    weights = ["--weights", fixture / "tiny.aoiw"]
    assert run_aoi(aoi, "models", "--registry", reg, "promote", a, "--gate", "--store", store, *weights)[0] == 0
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "promote", bad, "--gate", "--store", store, *weights)
    assert code == 1 and "refused" in err
    report = json.loads((reg / "versions" / bad / "gate.json").read_text())
    assert report["passed"] is False and report["candidate"]["auc"] < report["incumbent"]["auc"]
    assert report["holdout_ids"][1] - report["holdout_ids"][0] + 1 == 12  # the newest 20% of 60
    assert "<svg" in (reg / "versions" / bad / "gate.html").read_text()
    assert (reg / "current").read_text().strip() == a
    # The same trees with a wider review band: same AUC, no escapes: promoted.
    code, _, err = run_aoi(aoi, "models", "--registry", reg, "promote", same, "--gate", "--store", store, *weights)
    assert code == 0 and "promoted" in err, err
    assert (reg / "current").read_text().strip() == same
    assert json.loads((reg / "versions" / same / "gate.json").read_text())["passed"] is True


def test_retrain_adds_the_labels_and_holds_out_the_newest(aoi, start, fixture, tmp_path):
    ids = labelled_store(start, tmp_path)
    base = tmp_path / "base"
    base.mkdir()
    lines = ["path,label,time"]
    for n in range(30):
        level = (n * 53 + 7) % 256
        (base / ("b%d.png" % n)).write_bytes(png(level, salt=n))
        lines.append("b%d.png,%s,%d" % (n, "fail" if level > 128 else "pass", n))
    (base / "manifest.csv").write_text("\n".join(lines) + "\n")
    reg = tmp_path / "registry"
    registry_with(aoi, reg, fixture / "model.json")
    run_aoi(aoi, "models", "--registry", reg, "promote", registry_with(aoi, reg, fixture / "model.json")[0])
    candidate = tmp_path / "candidate.json"
    code, _, err = run_aoi(aoi, "retrain", "--store", tmp_path / "store", "--manifest", base / "manifest.csv",
                           "-o", candidate, "--weights", fixture / "tiny.aoiw", "--folds", "3", "--promote",
                           "--registry", reg)
    assert "30 rows of" in err and "48 labelled results" in err and "newest 12 are held out" in err, err
    merged = (tmp_path / "candidate.json.manifest.csv").read_text().splitlines()
    assert len(merged) == 1 + 30 + 48
    groups = [line.split(",")[3] for line in merged[31:]]
    assert groups == ["store-%d" % i for i in ids[:48]]  # the oldest 80%, in time order after the base
    assert [int(line.split(",")[2]) for line in merged[31:]] == list(range(30, 78))
    version = json.loads(candidate.read_text())["model_version"]
    gate = json.loads((reg / "versions" / version / "gate.json").read_text())
    assert code == (0 if gate["passed"] else 1)
    assert gate["holdout_ids"] == [ids[48], ids[59]]


class Receiver:
    """A local HTTP receiver of notifications; `fail` makes it answer 500."""

    def __init__(self, port=0):
        self.events, self.fail = [], False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.events.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()



def test_notifications_arrive_signed_survive_downtime_and_dead_letter(start, fixture, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-for-hmac\n")
    receiver = Receiver()
    port = receiver.port
    url = "http://127.0.0.1:%d/hooks/aoi" % port
    store = tmp_path / "store"
    s = start(store=store, extra=["--notify-url", url, "--notify-secret", secret])
    fail = s.json("POST", "/v1/inspect", image(fixture, "bright.png"), key=KEY)[1]
    s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)  # a pass: no event
    assert fail["verdict"] == "fail"
    assert wait_for(lambda: len(receiver.events) == 1)
    headers, body = receiver.events[0]
    event = json.loads(body)
    assert event["event"] == "fail" and event["id"] == fail["id"] and headers["X-Aoi-Event"] == "fail"
    expected = hmac.new(b"s3cret-for-hmac", body, hashlib.sha256).hexdigest()
    assert headers["X-Aoi-Signature"] == "sha256=" + expected

    # The receiver goes down; the event waits in the outbox, across a restart.
    receiver.close()
    second = s.json("POST", "/v1/inspect", image(fixture, "bright.png") + b"x", key=KEY)[1]
    time.sleep(1.0)
    db = sqlite3.connect(str(store / "results.sqlite"))
    assert db.execute("SELECT state, attempts > 0 FROM outbox WHERE body LIKE ?",
                      ('%"id":' + str(second["id"]) + ',%',)).fetchone() == ("pending", 1)
    db.close()
    assert s.stop() == 0
    receiver = Receiver(port)
    s = start(store=store, extra=["--notify-url", url, "--notify-secret", secret])
    assert wait_for(lambda: any(json.loads(b)["id"] == second["id"] for _, b in receiver.events), 60)

    # A receiver that keeps failing: the event ends dead after the last attempt.
    s.stop()
    receiver.fail = True
    s = start(store=store, extra=["--notify-url", url, "--notify-max-attempts", "2"])
    third = s.json("POST", "/v1/inspect", image(fixture, "bright.png") + b"y", key=KEY)[1]

    def state():
        db = sqlite3.connect(str(store / "results.sqlite"))
        try:
            return db.execute("SELECT state, attempts, last_error FROM outbox WHERE body LIKE ?",
                              ('%"id":' + str(third["id"]) + ',%',)).fetchone()
        finally:
            db.close()

    assert wait_for(lambda: state()[0] == "dead", 30)
    assert state()[1] == 2 and "500" in state()[2]
    receiver.close()


def test_promotions_and_rollbacks_are_announced(aoi, start, fixture, tmp_path):
    receiver = Receiver()
    reg = tmp_path / "registry"
    a, b = registry_with(aoi, reg, fixture / "model.json", fixture / "model_b.json")
    run_aoi(aoi, "models", "--registry", reg, "promote", a)
    s = start(extra=["--registry", reg, "--registry-poll-ms", "100", "--notify-url",
                     "http://127.0.0.1:%d/events" % receiver.port], model=None, use_registry=True)
    assert run_aoi(aoi, "models", "--registry", reg, "promote", b, "--by", "erin")[0] == 0
    assert wait_for(lambda: any(json.loads(body)["event"] == "promote" for _, body in receiver.events))
    assert run_aoi(aoi, "models", "--registry", reg, "rollback", "--by", "erin")[0] == 0
    assert wait_for(lambda: any(json.loads(body)["event"] == "rollback" for _, body in receiver.events))
    events = [json.loads(body) for _, body in receiver.events]
    promote = next(e for e in events if e["event"] == "promote")
    rollback = next(e for e in events if e["event"] == "rollback")
    assert (promote["version"], promote["previous"], promote["who"]) == (b, a, "erin")
    assert (rollback["version"], rollback["previous"]) == (a, b)
    s.stop()
    receiver.close()
