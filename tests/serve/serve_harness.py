"""Starts a real `aoi serve` process on loopback and talks HTTP to it.

Used by the service tests (tests/serve/test_*.py) and the load benchmark
(bench/serve_load.py). Every wait is bounded; a server left running is
killed when its Server object is closed.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

LISTENING = re.compile(r"listening on http://([^:]+):(\d+)")


class Server:
    def __init__(self, aoi, model, store, keys, weights, extra=(), env=None, wait_ready=True, timeout=120):
        self.args = [aoi, "serve", *(["--model", str(model)] if model else []), "--store", str(store),
                     "--api-key-file", str(keys), "--weights", str(weights), "--listen", "127.0.0.1:0",
                     *map(str, extra)]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(self.args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=full_env,
                                     text=True)
        self.log = []
        self.port = None
        got_port = threading.Event()

        def read_log():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                m = LISTENING.search(line)
                if m and not got_port.is_set():
                    self.port = int(m.group(2))
                    got_port.set()
            got_port.set()

        self.reader = threading.Thread(target=read_log, daemon=True)
        self.reader.start()
        if not got_port.wait(timeout) or self.port is None:
            self.kill()
            raise RuntimeError("aoi serve did not start: " + "\n".join(self.log))
        if wait_ready:
            self.wait_ready(timeout)

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("aoi serve exited: " + "\n".join(self.log))
            try:
                status, _, _ = self.request("GET", "/healthz", key=None, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("aoi serve not ready in %s s: %s" % (timeout, "\n".join(self.log)))

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, key="", headers=None, timeout=60, conn=None):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def json(self, method, path, body=None, key="", **kw):
        status, headers, data = self.request(method, path, body=body, key=key, **kw)
        return status, json.loads(data) if data else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=60):
        """SIGTERM, then wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.reader.join(5)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self.reader.join(5)

    def close(self):
        self.kill()
