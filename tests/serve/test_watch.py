"""`aoi watch`: files written slowly, partly, renamed in, duplicated and
corrupt, and a kill -9 mid-run: each file is inspected exactly once."""
import collections
import os
import signal
import sqlite3
import subprocess
import threading
import time

from conftest import image, png, wait_for


def watch(aoi, fixture, folder, store, *extra):
    log = open(str(folder) + ".log", "a")
    return subprocess.Popen([aoi, "watch", str(folder), "--model", str(fixture / "model.json"), "--store", str(store),
                             "--weights", str(fixture / "tiny.aoiw"), *map(str, extra)], stderr=log,
                            stdout=subprocess.DEVNULL)


def items(store):
    db = sqlite3.connect(str(store / "results.sqlite"))
    try:
        return collections.Counter(r[0] for r in db.execute("SELECT item FROM inspections"))
    except sqlite3.OperationalError:  # the watcher has created the file but not yet its tables
        return collections.Counter()
    finally:
        db.close()


def pending(folder):
    return [p.name for p in folder.iterdir() if p.is_file()]



def test_slow_partial_renamed_duplicate_and_corrupt_files(aoi, fixture, tmp_path):
    folder, store = tmp_path / "in", tmp_path / "store"
    folder.mkdir()
    p = watch(aoi, fixture, folder, store, "--settle-ms", "1500", "--poll-ms", "50")
    try:
        # Slowly: pauses shorter than the settle time, so never taken half-written.
        body = png(30, width=200, height=150, salt=1)
        with open(folder / "slow.png", "wb") as f:
            for k in range(5):
                f.write(body[k * len(body) // 5:(k + 1) * len(body) // 5])
                f.flush()
                time.sleep(0.25)
        # Renamed in from a name the watcher ignores.
        (folder / ".incoming.png").write_bytes(png(200, salt=2))
        os.rename(folder / ".incoming.png", folder / "renamed.png")
        (folder / "corrupt.jpg").write_bytes(image(fixture, "truncated.jpg"))
        for n in range(10):
            (folder / ("board-%02d.png" % n)).write_bytes(png(n * 25, salt=n))
        (folder / "dup.png").write_bytes(png(90, salt=9))
        assert wait_for(lambda: pending(folder) == [], 60), pending(folder)
        # The same file dropped again: recorded once, moved beside the first.
        (folder / "dup.png").write_bytes(png(90, salt=9))
        assert wait_for(lambda: pending(folder) == [], 60), pending(folder)
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    counts = items(store)
    expected = {"slow.png", "renamed.png", "dup.png"} | {"board-%02d.png" % n for n in range(10)}
    assert set(counts) == expected and all(c == 1 for c in counts.values()), counts
    done = {p.name for p in (folder / "done").iterdir()}
    assert expected <= done and len(done) == len(expected) + 1  # dup.png twice
    assert (folder / "done" / "slow.png").read_bytes() == body
    assert (folder / "failed" / "corrupt.jpg").exists()
    assert "corrupt.jpg" in (folder / "failed" / "corrupt.jpg.reason.txt").read_text()
    log = open(str(folder) + ".log").read()
    assert "dup.png: already inspected (done)" in log


def test_kill_9_mid_run_inspects_each_file_once(aoi, fixture, tmp_path):
    folder, store = tmp_path / "in", tmp_path / "store"
    folder.mkdir()
    names = ["f%03d.png" % n for n in range(40)]
    for n, name in enumerate(names):
        (folder / name).write_bytes(png((n * 37) % 256, salt=n))
    for round_ in range(3):
        p = watch(aoi, fixture, folder, store, "--settle-ms", "0", "--poll-ms", "20")
        target = 8 * (round_ + 1)
        wait_for(lambda: (store / "results.sqlite").exists() and sum(items(store).values()) >= target, 60)
        p.kill()
        p.wait(30)
    p = watch(aoi, fixture, folder, store, "--settle-ms", "0", "--poll-ms", "20", "--once")
    assert p.wait(120) == 0
    counts = items(store)
    assert set(counts) == set(names) and all(c == 1 for c in counts.values()), counts
    assert pending(folder) == []
    assert sorted(p.name for p in (folder / "done").iterdir()) == names
    db = sqlite3.connect(str(store / "results.sqlite"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM intake WHERE outcome = 'done'").fetchone()[0] == 40
    db.close()


def test_fails_from_the_folder_are_announced(aoi, fixture, tmp_path):
    import json
    from test_loop import Receiver
    receiver = Receiver()
    folder, store = tmp_path / "in", tmp_path / "store"
    folder.mkdir()
    (folder / "bright.png").write_bytes(png(235, salt=1))
    (folder / "dark.png").write_bytes(png(20, salt=2))
    p = watch(aoi, fixture, folder, store, "--settle-ms", "0", "--poll-ms", "20", "--once", "--notify-url",
              "http://127.0.0.1:%d/events" % receiver.port)
    assert p.wait(60) == 0
    events = [json.loads(body) for _, body in receiver.events]
    db = sqlite3.connect(str(store / "results.sqlite"))
    fail_id = db.execute("SELECT id FROM inspections WHERE item = 'bright.png' AND verdict = 'fail'").fetchone()[0]
    db.close()
    assert [(e["event"], e["id"]) for e in events] == [("fail", fail_id)]
    receiver.close()
