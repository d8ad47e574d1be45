"""Hostile and broken servers: a gzip bomb, resets, a chunked body cut
off, a trickled body, an endless body, a redirect chain past the limit,
and a redirect from a public address to a loopback one (SSRF; the public
server runs in a network namespace of its own). Each time the failure is
recorded with its class, the daemon stays alive and small, and a good feed
next to it keeps being polled on time."""

import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import zlib

from harness import (FixtureServer, HeraldTestCase, RawServer, heraldd_feeds, recent, rss,
                     vm_hwm_kib, wait_until)

GOOD = [{"guid": "good-%d" % i, "link": "http://good.example.org/%d" % i,
         "title": "Good entry %d" % i, "date": recent(18 + i, 8, 0)} for i in range(1, 4)]
GOOD_IDS = [g["guid"] for g in GOOD]

RSS_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            b"<title>Hostile</title><link>http://hostile.example.org/</link>"
            b"<description>d</description>")
ITEM = (b"<item><guid isPermaLink=\"false\">cut-1</guid><title>Cut</title>"
        b"<link>http://hostile.example.org/1</link></item>")

MIB = 1 << 20


def gzip_bomb(size):
    """A gzip stream (bytes) that decompresses to size bytes: the start of
    an RSS document, then spaces (valid XML whitespace, so the only thing
    wrong with it is its size)."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [co.compress(RSS_HEAD)]
    block = b" " * MIB
    left = size - len(RSS_HEAD)
    while left > 0:
        n = min(left, MIB)
        out.append(co.compress(block[:n]))
        left -= n
    out.append(co.flush())
    return b"".join(out)


def send(sock, req, data):
    """Sends data; on a peer that went away marks req.closed and returns
    False."""
    try:
        sock.sendall(data)
        req.sent += len(data)
        return True
    except OSError:
        if req.closed is None:
            req.closed = time.monotonic()
        return False


def wait_peer_gone(sock, req, server, timeout):
    """After the answer: waits (reading) until the client closes."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + timeout
    while server.running() and time.monotonic() < deadline:
        try:
            if not sock.recv(4096):
                break
        except socket.timeout:
            continue
        except OSError:
            break
    if req.closed is None:
        req.closed = time.monotonic()


# ---- raw handlers (one per connection, after the request head) ----------

def reset_handler(sock, req, server):
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


def cut_chunk_handler(sock, req, server):
    # Announces a 0x400-byte chunk holding a whole item, sends 300 bytes
    # of it and closes (FIN): the body is truncated mid-chunk.
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    payload = (RSS_HEAD + ITEM).ljust(1024, b" ")
    send(sock, req, head + b"400\r\n" + payload[:300])
    sock.shutdown(socket.SHUT_WR)
    wait_peer_gone(sock, req, server, 5)


def trickle_handler(sock, req, server):
    # Headers at once, then one byte per second of a 1000-byte body.
    body = (RSS_HEAD + ITEM + b"</channel></rss>").ljust(1000, b" ")
    if not send(sock, req, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                b"Content-Length: 1000\r\n\r\n"):
        return
    for i in range(len(body)):
        if not server.running() or not send(sock, req, body[i:i + 1]):
            return
        time.sleep(1.0)


def endless_handler(block, pause):
    # A body without length (Connection: close) that never ends: block
    # bytes at a time, pause seconds apart.
    def handler(sock, req, server):
        if not send(sock, req, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Connection: close\r\n\r\n" + RSS_HEAD):
            return
        data = b"<!-- " + b"x" * (block - 9) + b" -->"
        while server.running():
            if not send(sock, req, data):
                return
            if pause:
                time.sleep(pause)
    return handler


class FaultTestCase(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/good.xml", rss(GOOD, title="Good feed"))

    def good(self):
        return ("good", self.server.url("/good.xml"), {"interval": "1s"})

    def raw_server(self, handler, host="127.0.0.1"):
        s = RawServer(handler, host)
        self.addCleanup(s.stop)
        return s

    def feed_row(self, d, name):
        rows = d.query("SELECT * FROM feeds WHERE name = ?", (name,))
        return rows[0] if rows else None

    def wait_failures(self, d, name, n=1, timeout=15):
        """Waits until the feed has n failures recorded; returns its row."""
        def check():
            r = self.feed_row(d, name)
            return r if r and (r["error_count"] or 0) >= n else None
        return wait_until(check, timeout, 0.1, lambda: "%d failures of %s; feeds: %r; log:\n%s" % (
            n, name, d.query("SELECT * FROM feeds"), d.log()[-3000:]))

    def assertFailedWith(self, d, name, error_class, n=1, timeout=15):
        row = self.wait_failures(d, name, n, timeout)
        self.assertEqual(row["error_class"], error_class,
                         "error class of %s: %r" % (name, row["last_error"]))
        self.assertTrue(row["last_error"], "a message is recorded")
        js = {f["name"]: f for f in heraldd_feeds(d, json_output=True)}
        self.assertEqual(js[name]["error_class"], error_class)
        self.assertIn(js[name]["state"], ("error", "backing off"))
        self.assertEqual(self.entry_count(d, name), 0, "a failed poll stores nothing")
        return row

    def entry_count(self, d, name):
        return d.query("SELECT count(*) AS n FROM entries e JOIN feeds f ON f.id = e.feed_id "
                       "WHERE f.name = ?", (name,))[0]["n"]

    def assertGoodFeedAlive(self, d):
        """The daemon runs, serves, and the good feed keeps being polled
        successfully."""
        self.assertTrue(d.running(), "heraldd exited; log:\n%s" % d.log()[-3000:])
        self.assertEqual(d.fetch("/healthz").status, 200)
        n = len(self.server.requests_for("/good.xml"))
        self.server.wait_requests("/good.xml", n + 2, timeout=10)
        row = self.feed_row(d, "good")
        self.assertEqual((row["error_count"], row["last_error"], row["last_status"]), (0, None, 200))
        self.assertLessEqual(set(GOOD_IDS), set(d.feed().ids))


class GzipBombTest(FaultTestCase):
    def test_gzip_bomb_is_cut_at_max_feed_size(self):
        bomb = gzip_bomb(100 * MIB)
        self.assertLess(len(bomb), MIB, "compressed, the bomb is under the limit")
        self.server.set("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"},
                        content_type="application/rss+xml")
        d = self.start_daemon([("bomb", self.server.url("/bomb.xml"), {"interval": "1s"}),
                               self.good()], max_feed_size="1M")
        d.wait_ids(GOOD_IDS)
        self.server.wait_requests("/bomb.xml", 2, timeout=15)
        row = self.assertFailedWith(d, "bomb", "too-large", n=2)
        self.assertEqual(row["last_status"], 200)
        # Decompressed in full the bomb would take 100 MB; bounded, the
        # daemon stays far below that.
        hwm = vm_hwm_kib(d.proc.pid)
        self.assertLess(hwm, 64 * 1024, "peak RSS %d KiB after two bomb polls" % hwm)
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


class BrokenConnectionTest(FaultTestCase):
    def test_reset_and_cut_off_chunk(self):
        reset = self.raw_server(reset_handler)
        cut = self.raw_server(cut_chunk_handler)
        d = self.start_daemon([("reset", reset.url("/reset.xml"), {"interval": "1s"}),
                               ("cut", cut.url("/cut.xml"), {"interval": "1s"}),
                               self.good()])
        d.wait_ids(GOOD_IDS)
        reset.wait_requests("/reset.xml", 2, timeout=15)
        cut.wait_requests("/cut.xml", 2, timeout=15)
        for name in ("reset", "cut"):
            with self.subTest(feed=name):
                row = self.assertFailedWith(d, name, "protocol", n=2)
                self.assertIn(row["last_status"], (None, 0, 200))
        # The item inside the truncated chunk was never stored.
        self.assertNotIn("cut-1", d.feed().ids)
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


class SlowBodyTest(FaultTestCase):
    def test_trickled_body_times_out_and_good_feed_stays_on_schedule(self):
        slow = self.raw_server(trickle_handler)
        d = self.start_daemon([("slow", slow.url("/slow.xml"), {"interval": "1s"}),
                               self.good()], timeout="2s")
        d.wait_ids(GOOD_IDS)
        first = slow.wait_requests("/slow.xml", 1, timeout=10)[0]
        row = self.assertFailedWith(d, "slow", "timeout", n=1, timeout=10)
        # Cut after about 2 s (noticed by the server at its next byte).
        wait_until(lambda: first.closed, 5, 0.05, "the trickled connection closed")
        self.assertLess(first.closed - first.time, 4.5,
                        "the 2 s timeout cut the transfer (sent %d bytes)" % first.sent)
        self.assertLess(first.sent, 200)
        # The second slow poll (after back-off) also times out, while the
        # good feed is polled at its interval (1 s, within 1 s) throughout.
        slow.wait_requests("/slow.xml", 2, timeout=15)
        self.assertFailedWith(d, "slow", "timeout", n=2, timeout=10)
        window = [r.time for r in self.server.requests_for("/good.xml")
                  if r.time >= first.time - 1.0]
        window.append(time.monotonic())
        gaps = [b - a for a, b in zip(window, window[1:])]
        self.assertGreaterEqual(len(gaps), 4, "good polls while the slow feed was failing")
        self.assertLessEqual(max(gaps), 2.0, "gaps between good polls: %r" %
                             ["%.2f" % g for g in gaps])
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


class EndlessBodyTest(FaultTestCase):
    def test_fast_endless_body_stops_at_max_feed_size(self):
        endless = self.raw_server(endless_handler(64 * 1024, 0))
        d = self.start_daemon([("endless", endless.url("/endless.xml"), {"interval": "1s"}),
                               self.good()], max_feed_size="1M", timeout="20s")
        d.wait_ids(GOOD_IDS)
        first = endless.wait_requests("/endless.xml", 1, timeout=10)[0]
        self.assertFailedWith(d, "endless", "too-large", n=1, timeout=10)
        wait_until(lambda: first.closed, 5, 0.05, "the endless connection closed")
        # Well before the 20 s timeout, after about max_feed_size bytes
        # (plus what the socket buffers hold).
        self.assertLess(first.closed - first.time, 5.0)
        self.assertLess(first.sent, 16 * MIB)
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)

    def test_slow_endless_body_stops_at_timeout(self):
        # 10 KB/s: fast enough for curl's low-speed cut-off, far from 1M.
        endless = self.raw_server(endless_handler(1024, 0.1))
        d = self.start_daemon([("endless", endless.url("/endless.xml"), {"interval": "1s"}),
                               self.good()], max_feed_size="1M", timeout="2s")
        d.wait_ids(GOOD_IDS)
        first = endless.wait_requests("/endless.xml", 1, timeout=10)[0]
        self.assertFailedWith(d, "endless", "timeout", n=1, timeout=10)
        wait_until(lambda: first.closed, 5, 0.05, "the endless connection closed")
        self.assertLess(first.closed - first.time, 3.5)
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


class RedirectChainTest(FaultTestCase):
    def test_ten_redirects_with_max_three(self):
        for i in range(10):
            self.server.set("/hop%d.xml" % i, b"", status=302,
                            headers={"Location": self.server.url("/hop%d.xml" % (i + 1))})
        self.server.set("/hop10.xml", rss([{"guid": "chain-1", "title": "End of chain"}]))
        # Control: exactly three redirects are followed.
        for i in range(3):
            self.server.set("/ok%d.xml" % i, b"", status=302,
                            headers={"Location": self.server.url("/ok%d.xml" % (i + 1))})
        self.server.set("/ok3.xml", rss([{"guid": "three-1", "title": "Three hops"}]))
        d = self.start_daemon([("chain", self.server.url("/hop0.xml"), {"interval": "1s"}),
                               ("three", self.server.url("/ok0.xml"), {"interval": "1s"}),
                               self.good()], max_redirects=3)
        d.wait_ids(GOOD_IDS + ["three-1"])
        row = self.assertFailedWith(d, "chain", "redirects", n=1)
        self.assertEqual(row["last_status"], 302)
        counts = [len(self.server.requests_for("/hop%d.xml" % i)) for i in range(11)]
        self.assertGreaterEqual(counts[3], 1, "the 4th request (3rd redirect) is made: %r" % counts)
        self.assertEqual(counts[4:], [0] * 7, "no request past 3 redirects: %r" % counts)
        self.assertEqual(counts[0], counts[3], "each poll walks hop0..hop3: %r" % counts)
        self.assertEqual(self.feed_row(d, "three")["error_count"], 0)
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


# ---- SSRF: a public origin in a network namespace -------------------------

NETNS_SERVER = r'''
import http.server, sys, threading
host, secret = sys.argv[1], sys.argv[2]
lock = threading.Lock()
FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Public</title>'
        b'<link>http://public.example/</link><description>d</description>'
        b'<item><guid isPermaLink="false">public-1</guid><title>P</title></item>'
        b'</channel></rss>')
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        with lock:
            sys.stdout.write("REQ %s\n" % self.path)
            sys.stdout.flush()
        port = self.server.server_address[1]
        if self.path == "/to-secret.xml":
            self.answer(302, b"", {"Location": secret})
        elif self.path == "/to-public.xml":
            self.answer(302, b"", {"Location": "http://%s:%d/public.xml" % (host, port)})
        elif self.path == "/public.xml":
            self.answer(200, FEED, {"Content-Type": "application/rss+xml"})
        else:
            self.answer(404, b"no\n", {})
    def answer(self, status, body, headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer((host, 0), H)
s.daemon_threads = True
print("PORT %d" % s.server_address[1], flush=True)
try:
    s.serve_forever(poll_interval=0.05)
except KeyboardInterrupt:
    pass
'''


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20)


class PublicOrigin:
    """A network namespace joined to this one by a veth pair on a /30 of
    TEST-NET-3 (203.0.113.0/24, public as far as heraldd's classifier is
    concerned), with a small HTTP server inside it."""

    def __init__(self, secret_url):
        tag = os.getpid() % 100000
        self.ns = "herald-ssrf-%d" % tag
        self.veth = "hssrf%d" % tag  # host end; the peer is <veth>p, at most 15 chars
        base = 4 * (tag % 63)
        self.host_addr = "203.0.113.%d" % (base + 1)
        self.addr = "203.0.113.%d" % (base + 2)
        self.proc = None
        self.requests = []
        self._lock = threading.Lock()
        self.error = None
        steps = [
            ["ip", "netns", "add", self.ns],
            ["ip", "link", "add", self.veth, "type", "veth", "peer", "name", self.veth + "p",
             "netns", self.ns],
            ["ip", "addr", "add", self.host_addr + "/30", "dev", self.veth],
            ["ip", "link", "set", self.veth, "up"],
            ["ip", "netns", "exec", self.ns, "ip", "addr", "add", self.addr + "/30", "dev",
             self.veth + "p"],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", self.veth + "p", "up"],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"],
        ]
        for cmd in steps:
            try:
                p = run(cmd)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.error = "%s: %s" % (" ".join(cmd), exc)
                return
            if p.returncode != 0:
                self.error = "%s: %s" % (" ".join(cmd), p.stderr.strip())
                return
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "/usr/bin/python3", "-u", "-c", NETNS_SERVER,
             self.addr, secret_url],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.error = "server in %s did not start: %r %s" % (self.ns, line,
                                                                 self.proc.stderr.read())
            return
        self.port = int(line.split()[1])
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("REQ "):
                with self._lock:
                    self.requests.append(line[4:].strip())

    def requests_for(self, path):
        with self._lock:
            return [p for p in self.requests if p == path]

    def url(self, path):
        return "http://%s:%d%s" % (self.addr, self.port, path)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
            self.proc.stderr.close()
        run(["ip", "netns", "del", self.ns])  # takes both veth ends with it
        if os.path.exists("/sys/class/net/" + self.veth):
            run(["ip", "link", "del", self.veth])


class SsrfTest(FaultTestCase):
    def test_redirect_from_public_to_loopback_is_blocked(self):
        secret = FixtureServer()
        self.addCleanup(secret.stop)
        secret.set("/secret.xml", rss([{"guid": "secret-1", "title": "Secret"}]))
        origin = PublicOrigin(secret.url("/secret.xml"))
        self.addCleanup(origin.close)
        if origin.error:
            self.skipTest("cannot set up a network namespace (root and iproute2 needed): "
                          + origin.error)

        # Positive control: a configured loopback URL may redirect to
        # another loopback address (127.0.0.2).
        other = FixtureServer("127.0.0.2")
        self.addCleanup(other.stop)
        other.set("/local.xml", rss([{"guid": "local-1", "title": "Local"}]))
        self.server.set("/to-local.xml", b"", status=302,
                        headers={"Location": other.url("/local.xml")})

        d = self.start_daemon([
            ("ssrf", origin.url("/to-secret.xml"), {"interval": "1s"}),
            ("public", origin.url("/to-public.xml"), {"interval": "1s"}),
            ("local", self.server.url("/to-local.xml"), {"interval": "1s"}),
            self.good(),
        ])
        d.wait_ids(GOOD_IDS + ["public-1", "local-1"], timeout=20)
        wait_until(lambda: len(origin.requests_for("/to-secret.xml")) >= 2, 15, 0.1,
                   lambda: "two polls of the redirecting public feed; saw %r" % origin.requests)
        row = self.assertFailedWith(d, "ssrf", "blocked", n=2)
        self.assertEqual(secret.requests(), [], "the loopback server was reached")
        self.assertEqual(self.entry_count(d, "local"), 1)
        self.assertEqual(self.feed_row(d, "public")["error_count"], 0)
        self.assertGreaterEqual(len(other.requests_for("/local.xml")), 1)
        self.assertIn("blocked", heraldd_feeds(d)["ssrf"])
        self.assertGoodFeedAlive(d)
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
