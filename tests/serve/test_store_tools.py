"""`aoi store`: backup while serving, check, prune; each on a real store."""
import os
import sqlite3
import subprocess
import threading
import time

from conftest import KEY, image, rows


def store_cmd(aoi, *args):
    p = subprocess.run([aoi, "store", *map(str, args)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr


def test_backup_while_serving_is_a_consistent_copy(aoi, start, fixture, tmp_path):
    s = start()
    stop = threading.Event()

    def post():
        while not stop.is_set():
            s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)

    t = threading.Thread(target=post)
    t.start()
    time.sleep(0.5)
    code, err = store_cmd(aoi, "backup", "--store", tmp_path / "store", "-o", tmp_path / "copy.sqlite")
    stop.set()
    t.join(30)
    assert code == 0, err
    db = sqlite3.connect(str(tmp_path / "copy.sqlite"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = db.execute("SELECT count(*) FROM inspections").fetchone()[0]
    db.close()
    assert 0 < copied <= len(rows(tmp_path / "store"))
    assert not os.path.exists(str(tmp_path / "copy.sqlite-wal"))


def test_check_finds_a_missing_or_altered_image(aoi, start, fixture, tmp_path):
    s = start()
    a = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]
    s.json("POST", "/v1/inspect", image(fixture, "bright.png"), key=KEY)
    assert store_cmd(aoi, "check", "--store", tmp_path / "store")[0] == 0
    archived = tmp_path / "store" / "images" / a["image_sha256"][:2] / a["image_sha256"]
    archived.write_bytes(b"altered")
    code, err = store_cmd(aoi, "check", "--store", tmp_path / "store")
    assert code == 1 and "result %d" % a["id"] in err and "hash" in err
    archived.unlink()
    code, err = store_cmd(aoi, "check", "--store", tmp_path / "store")
    assert code == 1 and "missing" in err
    code, err = store_cmd(aoi, "check", "--store", tmp_path / "nowhere")
    assert code == 1 and "not a results store" in err


def test_prune_deletes_old_rows_and_their_unreferenced_images(aoi, start, fixture, tmp_path):
    s = start()
    old = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]
    shared = s.json("POST", "/v1/inspect", image(fixture, "board.jpg"), key=KEY)[1]
    s.stop()
    store = tmp_path / "store"
    # Age both rows and their images by a day; board.jpg is then posted again (reused).
    db = sqlite3.connect(str(store / "results.sqlite"))
    db.execute("UPDATE inspections SET received_ms = received_ms - 86400000")
    db.commit()
    db.close()
    day_ago = time.time() - 86400
    for sha in (old["image_sha256"], shared["image_sha256"]):
        os.utime(store / "images" / sha[:2] / sha, (day_ago, day_ago))
    s = start()
    recent = s.json("POST", "/v1/inspect", image(fixture, "board.jpg"), key=KEY)[1]
    s.stop()
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    code, err = store_cmd(aoi, "prune", "--store", store, "--before", cutoff)
    assert code == 0 and "pruned 2 results and 1 images" in err, err
    assert [r["id"] for r in rows(store)] == [recent["id"]]
    assert not (store / "images" / old["image_sha256"][:2] / old["image_sha256"]).exists()
    assert (store / "images" / recent["image_sha256"][:2] / recent["image_sha256"]).exists()
    assert store_cmd(aoi, "check", "--store", store)[0] == 0
    code, err = store_cmd(aoi, "prune", "--store", store, "--before", "last week")
    assert code == 1 and "ISO 8601" in err
