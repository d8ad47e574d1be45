"""HTTP/2 multiplexing where the server offers it (issue 4, point 3).

An HTTPS server on 127.0.0.1 that speaks only HTTP/2 (ALPN "h2", python3-h2)
serves six feeds of one site, each answer held back 400 ms so that the
requests overlap. Its certificate is made by the openssl CLI and trusted
through `ca_file`. With per_site = 4 and no site gap, Herald's requests to
the site share one TLS connection as concurrent streams: the server counts
connections, streams and the most streams open at once on one connection.
"""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import h2.config
import h2.connection
import h2.events

from harness import HeraldTestCase, recent, rss

FEEDS = 6
HOLD = 0.4  # seconds each answer is held back


def items(i):
    return [{"guid": "h2-%d-%d" % (i, k), "link": "https://h2.example.org/%d/%d" % (i, k),
             "title": "Feed %d entry %d" % (i, k), "date": recent(30 + k, 9, 0)} for k in range(2)]


class H2Server:
    """HTTP/2 over TLS only; a thread per connection. Records per connection
    the streams it answered and the most open at once."""

    def __init__(self, tmp):
        self.key = os.path.join(tmp, "key.pem")
        self.cert = os.path.join(tmp, "cert.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", self.key, "-out", self.cert, "-days", "1",
                            "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError("openssl req failed: %s" % p.stderr)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, self.key)
        self.ctx.set_alpn_protocols(["h2"])
        self.bodies = {"/f%d.xml" % i: rss(items(i), title="H2 feed %d" % i)
                       for i in range(FEEDS)}
        self.lock = threading.Lock()
        self.connections = []  # per connection: {"alpn", "streams", "max_open"}
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        rec = {"alpn": None, "streams": 0, "max_open": 0}
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        rec["alpn"] = tls.selected_alpn_protocol()
        with self.lock:
            self.connections.append(rec)
        if rec["alpn"] != "h2":
            tls.close()
            return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        tls.sendall(conn.data_to_send())
        due = []  # (time, stream id, path)
        tls.settimeout(0.05)
        try:
            while not self.stopping:
                try:
                    data = tls.recv(65536)
                    if not data:
                        return
                    for ev in conn.receive_data(data):
                        if isinstance(ev, h2.events.RequestReceived):
                            path = dict((k.decode() if isinstance(k, bytes) else k,
                                         v.decode() if isinstance(v, bytes) else v)
                                        for k, v in ev.headers)[":path"]
                            due.append((time.time() + HOLD, ev.stream_id, path))
                            with self.lock:
                                rec["streams"] += 1
                                rec["max_open"] = max(rec["max_open"], len(due))
                except socket.timeout:
                    pass
                now = time.time()
                for item in [d for d in due if d[0] <= now]:
                    due.remove(item)
                    _, sid, path = item
                    body = self.bodies.get(path)
                    status = "200" if body else "404"
                    body = body or b"no\n"
                    conn.send_headers(sid, [(":status", status),
                                            ("content-type", "application/rss+xml"),
                                            ("content-length", str(len(body)))])
                    conn.send_data(sid, body, end_stream=True)
                out = conn.data_to_send()
                if out:
                    tls.sendall(out)
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()

    def close(self):
        self.stopping = True
        self.sock.close()


class Http2Test(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="herald-h2-")
        self.h2 = H2Server(self.tmp)

    def tearDown(self):
        self.h2.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def test_one_site_shares_one_connection(self):
        feeds = [("f%d" % i, "https://127.0.0.1:%d/f%d.xml" % (self.h2.port, i),
                  {"interval": "1h"}) for i in range(FEEDS)]
        d = self.start_daemon(feeds, ca_file=self.h2.cert, per_site="4", site_gap="0s")
        d.wait_ids([it["guid"] for i in range(FEEDS) for it in items(i)], timeout=20)
        with self.h2.lock:
            conns = [dict(c) for c in self.h2.connections]
        self.assertTrue(all(c["alpn"] == "h2" for c in conns), conns)
        self.assertEqual(sum(c["streams"] for c in conns), FEEDS, conns)
        self.assertEqual(len(conns), 1, "one TLS connection for the site: %r" % conns)
        # Several requests in flight on it at once, never more than per_site.
        self.assertGreaterEqual(conns[0]["max_open"], 2, conns)
        self.assertLessEqual(conns[0]["max_open"], 4, conns)
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
