"""Crash safety (kill -9 under load, restart on the same store) and hot
reload under load, with real processes and concurrent clients."""
import hashlib
import os
import threading
import time

from conftest import KEY, image, integrity, rows


def load(s, fixture, stop, results, errors, unique=True, clients=4):
    """Clients posting until `stop` is set; each 200 goes into `results`."""
    base = image(fixture, "dark.png")

    def client(n):
        conn = s.connection(timeout=30)
        i = 0
        while not stop.is_set():
            # Bytes after the PNG's end make every body, and so its hash, distinct.
            body = base + (b"%d-%d" % (n, i) if unique else b"")
            i += 1
            try:
                status, _, data = s.request("POST", "/v1/inspect?item=c%d-%d" % (n, i), body, key=KEY, conn=conn)
            except OSError as e:
                errors.append(repr(e))
                conn.close()
                conn = s.connection(timeout=30)
                continue
            if status == 200:
                import json
                results.append((json.loads(data), hashlib.sha256(body).hexdigest()))
            else:
                errors.append(status)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    return threads


def test_kill_9_under_load_loses_no_acknowledged_inspection(start, fixture, tmp_path):
    store = tmp_path / "store"
    acknowledged = []
    for round_ in range(3):
        s = start(store=store)
        stop, results, errors = threading.Event(), [], []
        threads = load(s, fixture, stop, results, errors)
        deadline = time.monotonic() + 20
        while len(results) < 10 + 5 * round_ and time.monotonic() < deadline:
            time.sleep(0.02)
        s.proc.kill()  # SIGKILL mid-load: requests in flight die with it
        s.proc.wait(30)
        stop.set()
        for t in threads:
            t.join(60)
        assert len(results) >= 10, errors
        acknowledged += results
    s = start(store=store)
    stored = {r["id"]: r for r in rows(store)}
    for body, sha in acknowledged:
        row = stored.get(body["id"])
        assert row is not None, "acknowledged id %d missing after kill -9" % body["id"]
        assert row["image_sha256"] == sha and row["verdict"] == body["verdict"]
        archived = store / "images" / sha[:2] / sha
        assert hashlib.sha256(archived.read_bytes()).hexdigest() == sha
    assert integrity(store) == "ok"
    assert not [p for p in (store / "images").rglob("*.tmp-*")], "temporary files left behind"
    assert s.request("POST", "/v1/inspect", image(fixture, "bright.png"), key=KEY)[0] == 200


def test_reload_under_load_fails_no_request(start, fixture, tmp_path):
    bundle = tmp_path / "current.json"
    bundle.write_bytes((fixture / "model.json").read_bytes())
    s = start(model=bundle)
    old = s.json("GET", "/healthz", key=None)[1]["model_version"]
    stop, results, errors = threading.Event(), [], []
    threads = load(s, fixture, stop, results, errors, unique=False)
    time.sleep(1.0)
    # Replace the bundle as a deployment would (write beside, rename over), then reload.
    staged = tmp_path / "staged.json"
    staged.write_bytes((fixture / "model_b.json").read_bytes())
    os.replace(staged, bundle)
    status, body = s.json("POST", "/v1/model/reload", key=KEY)
    assert status == 200
    new = body["model_version"]
    reloaded_at = len(results)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(60)
    assert errors == []
    versions = [r[0]["model_version"] for r in results]
    assert set(versions) == {old, new} and versions[0] == old and versions[-1] == new
    assert len(results) > reloaded_at + 4
