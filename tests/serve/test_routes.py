"""Every route of `aoi serve` and its statuses, against a real server process."""
import hashlib
import json
import re
import threading
import time

from conftest import KEY, image, integrity, rows, wait_for


def test_inspect_every_format_then_read_it_back(start, fixture, tmp_path):
    s = start()
    seen = {}
    for name, item, roi in [("dark.png", "board-1", None), ("bright.png", None, None), ("board.jpg", "b/3", "10,20,64,48"),
                            ("board.tif", "tif", None), ("board.bmp", "bmp", None)]:
        query = "&".join(p for p in ["item=" + item if item else "", "roi=" + roi if roi else ""] if p)
        status, body = s.json("POST", "/v1/inspect" + ("?" + query if query else ""), image(fixture, name), key=KEY)
        assert status == 200, body
        assert set(body) >= {"id", "item", "p_fail", "verdict", "model_version", "elapsed_ms"}
        assert body["item"] == item and body["verdict"] in ("pass", "review", "fail")
        assert 0.0 <= body["p_fail"] <= 1.0 and body["elapsed_ms"] > 0
        assert re.fullmatch(r"aoi-[0-9a-f]{16}", body["model_version"])
        seen[name] = body
    # The tiny model's P(fail) grows with brightness.
    assert seen["dark.png"]["verdict"] == "pass" and seen["bright.png"]["verdict"] == "fail"

    for name, body in seen.items():
        status, row = s.json("GET", "/v1/results/%d" % body["id"], key=KEY)
        assert status == 200 and row["p_fail"] == body["p_fail"] and row["verdict"] == body["verdict"]
        assert row["image_sha256"] == hashlib.sha256(image(fixture, name)).hexdigest()
        assert row["label"] is None and row["received_at"].endswith("Z")
        status, headers, data = s.request("GET", "/v1/results/%d/image" % body["id"], key=KEY)
        assert status == 200 and data == image(fixture, name)
        assert headers["content-type"] == {"png": "image/png", "jpg": "image/jpeg", "tif": "image/tiff",
                                           "bmp": "image/bmp"}[name.rsplit(".", 1)[1]]
    assert s.json("GET", "/v1/results/%d" % seen["board.jpg"]["id"], key=KEY)[1]["roi"] == [10, 20, 64, 48]

    # The store holds the same, durably, with the image archived under its hash.
    store = tmp_path / "store"
    stored = rows(store)
    assert [r["id"] for r in stored] == sorted(b["id"] for b in seen.values())
    for r in stored:
        archived = store / "images" / r["image_sha256"][:2] / r["image_sha256"]
        assert hashlib.sha256(archived.read_bytes()).hexdigest() == r["image_sha256"]


def test_results_filters_and_pages_newest_first(start, fixture):
    s = start()
    ids = [s.json("POST", "/v1/inspect", image(fixture, n), key=KEY)[1]["id"]
           for n in ["dark.png", "bright.png", "dark.png", "bright.png", "dark.png"]]
    status, body = s.json("GET", "/v1/results", key=KEY)
    assert status == 200 and [r["id"] for r in body["results"]] == ids[::-1] and body["next_before"] is None
    status, body = s.json("GET", "/v1/results?verdict=fail", key=KEY)
    assert [r["id"] for r in body["results"]] == [ids[3], ids[1]]
    # Pages of two: follow next_before to the end.
    got, before = [], None
    for _ in range(5):
        status, body = s.json("GET", "/v1/results?limit=2" + ("&before=%d" % before if before else ""), key=KEY)
        got += [r["id"] for r in body["results"]]
        before = body["next_before"]
        if before is None:
            break
    assert got == ids[::-1]
    assert s.json("GET", "/v1/results?since=2999-01-01T00:00:00Z", key=KEY)[1]["results"] == []
    assert len(s.json("GET", "/v1/results?since=2000-01-01", key=KEY)[1]["results"]) == 5
    for bad in ["verdict=maybe", "since=yesterday", "limit=0", "limit=5000", "before=x"]:
        status, body = s.json("GET", "/v1/results?" + bad, key=KEY)
        assert status == 400 and body["error"], bad
    status, body = s.json("GET", "/v1/results/999999", key=KEY)
    assert status == 404 and "999999" in body["error"]
    assert s.json("GET", "/v1/results/999999/image", key=KEY)[0] == 404
    assert s.json("GET", "/v1/nothing", key=KEY)[0] == 404


def test_same_image_twice_is_archived_once(start, fixture, tmp_path):
    s = start()
    a = s.json("POST", "/v1/inspect", image(fixture, "board.jpg"), key=KEY)[1]
    b = s.json("POST", "/v1/inspect", image(fixture, "board.jpg"), key=KEY)[1]
    assert a["id"] != b["id"] and a["image_sha256"] == b["image_sha256"]
    files = [p for p in (tmp_path / "store" / "images").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(files) == 1


def test_keys_are_required_on_v1_only(start, fixture):
    s = start()
    for key in [None, "wrong-key-0123456789", ""]:
        status, headers, data = s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=key)
        assert status == 401 and "error" in json.loads(data) and headers["www-authenticate"] == "Bearer"
        assert s.request("GET", "/v1/results", key=key)[0] == 401
    assert s.request("GET", "/v1/results", key="second-key-abcdefghijklmnop")[0] == 200
    assert s.request("GET", "/v1/results", key=None, headers={"Authorization": "bearer " + KEY})[0] == 200
    status, body = s.json("GET", "/healthz", key=None)
    assert status == 200 and body["status"] == "ok" and body["model_version"].startswith("aoi-")
    assert s.request("GET", "/metrics", key=None)[0] == 200


def test_metrics_count_requests_verdicts_and_batches(start, fixture):
    s = start()
    for n in ["dark.png", "bright.png", "bright.png"]:
        assert s.request("POST", "/v1/inspect", image(fixture, n), key=KEY)[0] == 200
    s.request("POST", "/v1/inspect", b"junk", key=KEY)
    s.request("GET", "/v1/results", key="bad-key-0123456789")
    # Read until the batch histogram and queue gauge show all three: this
    # once failed intermittently with neither text nor cause on record (the
    # assertion below now prints the text). Bounded: 2 s.
    def metrics():
        return s.request("GET", "/metrics", key=None)[2].decode()

    def settled():
        text = metrics()
        return "aoi_batch_size_count 3" in text and "aoi_queue_depth 0" in text

    wait_for(settled, seconds=2)
    text = metrics()
    assert 'aoi_requests_total{route="POST /v1/inspect",status="200"} 3' in text
    assert 'aoi_requests_total{route="POST /v1/inspect",status="422"} 1' in text
    assert 'aoi_requests_total{route="GET /v1/results",status="401"} 1' in text
    assert 'aoi_verdicts_total{verdict="fail"} 2' in text and 'aoi_verdicts_total{verdict="pass"} 1' in text
    assert re.search(r'aoi_request_duration_seconds_bucket\{route="POST /v1/inspect",le="\+Inf"\} 4', text)
    assert "aoi_batch_size_count 3" in text and "aoi_queue_depth 0" in text, text
    assert re.search(r'aoi_model_info\{model_version="aoi-[0-9a-f]{16}"\} 1', text)


def test_503_while_the_model_loads(start, fixture):
    s = start(env={"AOI_SERVE_TEST_LOAD_DELAY_MS": "3000"}, wait_ready=False)
    status, body = s.json("GET", "/healthz", key=None)
    assert status == 503 and body["status"] == "loading"
    status, headers, data = s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)
    assert status == 503 and "loading" in json.loads(data)["error"] and "retry-after" in headers
    s.wait_ready(60)
    assert s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[0] == 200


def test_429_with_retry_after_when_the_queue_is_full(start, fixture):
    # One admitted inspection at a time, held 1.5 s by a batch that waits to fill.
    s = start(extra=["--max-queue", "1", "--batch", "64", "--batch-wait-ms", "1500"])
    first = {}
    t = threading.Thread(target=lambda: first.update(r=s.request("POST", "/v1/inspect", image(fixture, "dark.png"),
                                                                 key=KEY)))
    t.start()
    time.sleep(0.4)
    status, headers, data = s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)
    t.join(30)
    assert status == 429 and headers["retry-after"] == "1" and "--max-queue" in json.loads(data)["error"]
    assert first["r"][0] == 200


def test_sigterm_drains_requests_in_flight(start, fixture, tmp_path):
    s = start(extra=["--batch", "64", "--batch-wait-ms", "1500"])
    result = {}
    t = threading.Thread(target=lambda: result.update(r=s.json("POST", "/v1/inspect?item=last",
                                                               image(fixture, "dark.png"), key=KEY)))
    t.start()
    time.sleep(0.4)
    code = s.stop()
    t.join(30)
    assert code == 0
    assert result["r"][0] == 200
    assert [r["item"] for r in rows(tmp_path / "store")] == ["last"]
    assert any("stopped after" in line for line in s.log)


def test_reload_swaps_the_model_or_refuses_a_bad_one(start, fixture, tmp_path):
    bundle = tmp_path / "current.json"
    bundle.write_bytes((fixture / "model.json").read_bytes())
    s = start(model=bundle)
    first = s.json("GET", "/healthz", key=None)[1]["model_version"]
    # A broken bundle is refused; the old model keeps serving.
    bundle.write_text("{ not json")
    status, body = s.json("POST", "/v1/model/reload", key=KEY)
    assert status == 422 and "current.json" in body["error"] and first in body["error"]
    assert s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]["model_version"] == first
    # A good one by the API...
    bundle.write_bytes((fixture / "model_b.json").read_bytes())
    status, body = s.json("POST", "/v1/model/reload", key=KEY)
    second = body["model_version"]
    assert status == 200 and second != first
    assert s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]["model_version"] == second
    # ...and by SIGHUP.
    bundle.write_bytes((fixture / "model.json").read_bytes())
    s.signal(__import__("signal").SIGHUP)
    deadline = time.monotonic() + 30
    while s.json("GET", "/healthz", key=None)[1]["model_version"] != first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s.json("GET", "/healthz", key=None)[1]["model_version"] == first
    text = s.request("GET", "/metrics", key=None)[2].decode()
    assert 'aoi_model_reloads_total{outcome="refused"} 1' in text


def test_a_restarted_server_keeps_the_store(start, fixture, tmp_path):
    s = start()
    first = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]["id"]
    assert s.stop() == 0
    s = start()
    second = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]["id"]
    assert second > first and s.json("GET", "/v1/results/%d" % first, key=KEY)[0] == 200
    assert integrity(tmp_path / "store") == "ok"
