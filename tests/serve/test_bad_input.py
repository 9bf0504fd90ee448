"""Hostile and broken requests: each gets its status, the server stays up,
and the store is not damaged."""
import http.client
import json
import socket
import time

from conftest import KEY, image, integrity, rows


def healthy_after(s, fixture, store, expected_rows):
    assert s.proc.poll() is None, "\n".join(s.log)
    assert s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[0] == 200
    assert len(rows(store)) == expected_rows + 1
    assert integrity(store) == "ok"


def test_undecodable_images_get_422_naming_the_problem(start, fixture, tmp_path):
    s = start(extra=["--max-pixels", "1000000"])
    cases = {
        "not_an_image.bin": "not a JPEG, PNG, TIFF or BMP",
        "truncated.jpg": "item 't'",
        "bomb.png": "pixels",
    }
    for name, words in cases.items():
        status, body = s.json("POST", "/v1/inspect?item=t", image(fixture, name), key=KEY)
        assert status == 422 and words in body["error"], (name, body)
    status, body = s.json("POST", "/v1/inspect", b"", key=KEY)
    assert status == 422 and "empty" in body["error"]
    status, body = s.json("POST", "/v1/inspect?roi=100,100,64,64", image(fixture, "dark.png"), key=KEY)
    assert status == 422 and ("outside" in body["error"] or "region" in body["error"]), body
    for roi in ["1,2,3", "a,b,c,d", "0,0,0,5", "-1,0,4,4"]:
        status, body = s.json("POST", "/v1/inspect?roi=" + roi, image(fixture, "dark.png"), key=KEY)
        assert status == 400 and "roi" in body["error"], roi
    status, body = s.json("POST", "/v1/inspect?item=" + "x" * 300, image(fixture, "dark.png"), key=KEY)
    assert status == 400
    assert rows(tmp_path / "store") == []
    healthy_after(s, fixture, tmp_path / "store", 0)


def test_oversize_bodies_get_413_before_and_while_reading(start, fixture, tmp_path):
    s = start(extra=["--max-bytes", "4096"])
    # Declared too large: answered from the headers, the body never sent.
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(b"POST /v1/inspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() +
                  b"\r\nContent-Length: 1000000000\r\n\r\n")
        reply = b""
        while b"}" not in reply:
            data = c.recv(4096)
            if not data:
                break
            reply += data
        reply = reply.decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413") and "--max-bytes" in reply
    # Chunked, so no length up front: refused while reading.
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    chunks = (b"\x89PNG" + b"x" * 1020 for _ in range(16))
    try:
        conn.request("POST", "/v1/inspect", body=chunks, headers={"Authorization": "Bearer " + KEY},
                     encode_chunked=True)
        r = conn.getresponse()
        assert r.status == 413
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close before the client has sent everything
    finally:
        conn.close()
    healthy_after(s, fixture, tmp_path / "store", 0)


def test_a_slow_client_is_dropped_and_others_are_served(start, fixture, tmp_path):
    s = start(extra=["--read-timeout", "1"])
    slow = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    slow.sendall(b"POST /v1/inspect HTTP/1.1\r\nHost: x\r\n")  # and then nothing
    t0 = time.monotonic()
    assert s.request("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[0] == 200
    data = slow.recv(4096)  # the server gives up on it: closed, maybe with an error status
    assert time.monotonic() - t0 < 8
    assert data == b"" or data.startswith(b"HTTP/1.1 4")
    slow.close()
    # A slow body (headers complete, body stalls) is dropped too.
    slow = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    slow.sendall(b"POST /v1/inspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() +
                 b"\r\nContent-Length: 1000\r\n\r\n\x89PNG")
    data = slow.recv(4096)
    assert data == b"" or data.startswith(b"HTTP/1.1 4")
    slow.close()
    healthy_after(s, fixture, tmp_path / "store", 1)


def test_garbage_requests_do_not_hurt(start, fixture, tmp_path):
    s = start()
    for junk in [b"\x00\x01\x02 garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"POST /v1/inspect HTTP/1.1\r\n" +
                 b"X: " + b"y" * 20000 + b"\r\n\r\n"]:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(junk)
            c.settimeout(10)
            try:
                c.recv(4096)
            except (ConnectionResetError, socket.timeout):
                pass
    healthy_after(s, fixture, tmp_path / "store", 0)


def start_error(aoi, args, timeout=60):
    import subprocess
    p = subprocess.run([aoi, "serve", *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def test_startup_refuses_bad_keys_stores_models_and_addresses(aoi, fixture, tmp_path, start):
    base = ["--weights", fixture / "tiny.aoiw", "--listen", "127.0.0.1:0"]
    short = tmp_path / "short.txt"
    short.write_text("ok-key-0123456789\nshort\n")
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", tmp_path / "s1",
                                  "--api-key-file", short, *base])
    assert code == 1 and "short.txt:2" in err and "at least 16" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", tmp_path / "s1",
                                  "--api-key-file", empty, *base])
    assert code == 1 and "no API key" in err
    afile = tmp_path / "a_file"
    afile.write_text("x")
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", afile,
                                  "--api-key-file", fixture / "api_keys.txt", *base])
    assert code == 1 and "a_file" in err
    code, err = start_error(aoi, ["--model", tmp_path / "missing.json", "--store", tmp_path / "s2",
                                  "--api-key-file", fixture / "api_keys.txt", *base])
    assert code == 1 and "cannot load the model" in err and "missing.json" in err
    notdb = tmp_path / "s3"
    notdb.mkdir()
    (notdb / "results.sqlite").write_bytes(b"this is not a database" * 100)
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", notdb,
                                  "--api-key-file", fixture / "api_keys.txt", *base])
    assert code == 1 and "results.sqlite" in err
    # A store from a newer aoi is refused, not downgraded.
    s = start(store=tmp_path / "s4")
    s.stop()
    import sqlite3
    db = sqlite3.connect(str(tmp_path / "s4" / "results.sqlite"))
    db.execute("INSERT INTO schema_migrations (version, description) VALUES (99, 'future')")
    db.commit()
    db.close()
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", tmp_path / "s4",
                                  "--api-key-file", fixture / "api_keys.txt", *base])
    assert code == 1 and "schema version 99" in err
    # The port is taken.
    s = start(store=tmp_path / "s5")
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", tmp_path / "s6",
                                  "--api-key-file", fixture / "api_keys.txt", "--weights", fixture / "tiny.aoiw",
                                  "--listen", "127.0.0.1:%d" % s.port])
    assert code == 1 and "cannot listen" in err
    code, err = start_error(aoi, ["--model", fixture / "model.json", "--store", tmp_path / "s6",
                                  "--api-key-file", fixture / "api_keys.txt", "--listen", "nonsense"])
    assert code != 0 and "HOST:PORT" in err


def test_bodies_only_where_a_route_takes_one(start, fixture, tmp_path):
    s = start()
    # No key needed to try, so no body is read: routes without one refuse it unread.
    for path in ["/healthz", "/review", "/nowhere"]:
        status, body = s.json("POST", path, b"x" * 100, key=None)
        assert status == 413 and "no body" in body["error"], path
    status, body = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY,
                          headers={"Content-Encoding": "gzip"})
    assert status == 415 and "Content-Encoding" in body["error"]
    r = s.json("POST", "/v1/inspect", image(fixture, "dark.png"), key=KEY)[1]
    status, body = s.json("POST", "/v1/results/%d/label" % r["id"], b"{" + b" " * 5000 + b"}", key=KEY)
    assert status == 413 and "4096" in body["error"]
    status, body = s.json("POST", "/v1/results/%d/label" % r["id"], b'{"label": "maybe", "by": "x"}', key=KEY)
    assert status == 400
    healthy_after(s, fixture, tmp_path / "store", 1)
