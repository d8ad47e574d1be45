"""Hostile clients on the daemon's own listener (issue 9, point 4):
slowloris (2,000 idle connections and a few sending a byte a second, while
normal requests must still be answered), oversized request lines, malformed
requests, request smuggling attempts, path traversal and encoded slashes,
and a `wrk` load that must not delay polling.

The limits asserted are the documented ones (README "HTTP endpoints" and
daemon/net/httpd.h): 8 KiB of request line and headers (431), a request
must arrive within header_timeout = 10 s of the connection (or of its first
byte), a keep-alive connection may idle idle_timeout = 30 s, and at most
max_connections = 1024 connections are held."""

import http.client
import os
import re
import resource
import selectors
import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import HeraldTestCase, read_responses, recent, rss, wait_until

ITEMS = [{"guid": "hc-%d" % i, "link": "http://hostile.example.org/%d" % i,
          "title": "Hostile-clients entry %d" % i, "date": recent(20 + i, 7, 0)}
         for i in range(1, 4)]
IDS = [i["guid"] for i in ITEMS]

HEADER_TIMEOUT = 10.0  # httpd.h header_timeout_ms default (README: "within 10 s")
IDLE_TIMEOUT = 30.0  # httpd.h idle_timeout_ms default (README: "idle for 30 s")
MAX_CONNECTIONS = 1024  # httpd.h max_connections default
SLACK = 3.0  # timer and scheduling slack on 2 shared cores

FLOOD = 2000  # idle connections of the slowloris test
TRICKLERS = 5  # connections sending one byte a second


def exchange(port, data, expect_close, timeout=5.0):
    """Sends raw bytes, reads one response. Returns (status or None,
    headers, body, closed): closed is True when the server closed the
    connection within 3 s of its response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once it has its answer
        got = read_responses(s, 1, timeout=timeout)
        if not got:
            return None, {}, b"", True
        status, headers, body = got[0]
        closed = False
        if expect_close:
            s.settimeout(3.0)
            try:
                closed = s.recv(65536) == b""
            except socket.timeout:
                closed = False
            except ConnectionError:
                closed = True
        return status, headers, body, closed
    finally:
        s.close()


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class HostileTestCase(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/h.xml", rss(ITEMS, title="Hostile clients feed"))

    def daemon(self, interval="1h"):
        d = self.start_daemon([("h", self.server.url("/h.xml"), {"interval": interval})])
        d.wait_ids(IDS)
        return d


class RequestParsingTest(HostileTestCase):
    def assertAnswer(self, d, name, data, want, close=True):
        """want: a status or a tuple of accepted statuses."""
        want = want if isinstance(want, tuple) else (want,)
        with self.subTest(case=name):
            status, headers, body, closed = exchange(d.port, data, close)
            self.assertIn(status, want, "%s: sent %r, got %r %r" % (name, data[:120], status,
                                                                     body[:120]))
            if close:
                self.assertTrue(closed, "%s: connection left open after %s" % (name, status))
            self.assertNotIn(b"root:", body)
            self.assertTrue(d.running(), "heraldd exited after %s" % name)
        return status

    def test_oversized_request_line_gets_431(self):
        d = self.daemon()
        self.assertAnswer(d, "100 KB URL", b"GET /" + b"a" * 100000 +
                          b" HTTP/1.1\r\nHost: t\r\n\r\n", 431)
        self.assertAnswer(d, "9 KB URL (just over 8 KiB)", b"GET /feed.atom?" + b"q" * 9000 +
                          b" HTTP/1.1\r\nHost: t\r\n\r\n", 431)
        self.assertAnswer(d, "100 KB method token", b"G" * 100000 + b" / HTTP/1.1\r\n\r\n",
                          (431, 400))
        # Just under the limit is fine (a request line of about 7 KiB).
        self.assertAnswer(d, "7 KB query", b"GET /feed.atom?" + b"q" * 7000 +
                          b" HTTP/1.1\r\nHost: t\r\n\r\n", 200, close=False)
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_malformed_requests_get_400_and_close(self):
        d = self.daemon()
        cases = [
            ("garbage bytes", b"\x00\x01\x02\xff\xfegarbage\r\n\r\n"),
            ("binary noise", bytes(range(256)) * 4),
            ("bad method token", b"G@T /feed.atom HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("lower-case method", b"get /feed.atom HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("no target", b"GET HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("missing HTTP version", b"GET /feed.atom\r\nHost: t\r\n\r\n"),
            ("garbage version", b"GET /feed.atom HTTQ/1.1\r\nHost: t\r\n\r\n"),
            ("space in header name", b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n"),
            ("space before colon", b"GET /feed.atom HTTP/1.1\r\nHost : t\r\n\r\n"),
            ("parenthesis in header name", b"GET /feed.atom HTTP/1.1\r\nX(y): z\r\n\r\n"),
            ("header without colon", b"GET /feed.atom HTTP/1.1\r\nNoColon\r\n\r\n"),
            ("NUL in header value", b"GET /feed.atom HTTP/1.1\r\nX-A: a\x00b\r\n\r\n"),
            ("CR alone in request line", b"GET /feed.atom\rHTTP/1.1\r\n\r\n"),
        ]
        for name, data in cases:
            self.assertAnswer(d, name, data, 400)
        # An unknown (future) version: 505 or 400 both refuse it.
        self.assertAnswer(d, "HTTP/9.9", b"GET /feed.atom HTTP/9.9\r\nHost: t\r\n\r\n", (400, 505))
        # Bare LF line endings: http-parser accepts them (RFC 9112 2.2
        # allows a recipient to), so they are one well-formed request whose
        # answer keeps the connection open, never a hang or a second request.
        with self.subTest(case="bare LF"):
            with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\nHost: t\n\nGET /feed.atom HTTP/1.1\nHost: t\n\n")
                got = read_responses(s, 2)
            self.assertEqual([g[0] for g in got], [200, 200], "bare-LF pipeline: %r" % got)
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_request_smuggling_gets_400(self):
        d = self.daemon()
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        cases = [
            ("Content-Length and Transfer-Encoding",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(smuggled)) + smuggled),
            ("Transfer-Encoding then Content-Length",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
             b"Content-Length: 4\r\n\r\n0\r\n\r\n" + smuggled),
            ("two different Content-Length",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
             b"Content-Length: %d\r\n\r\n" % len(smuggled) + smuggled),
            ("Content-Length list",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nContent-Length: 0, %d\r\n\r\n"
             % len(smuggled) + smuggled),
            ("Transfer-Encoding: chunked, identity",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n"
             b"\r\n0\r\n\r\n" + smuggled),
            ("obs-folded header",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n"),
            ("obs-fold hiding Transfer-Encoding",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n Transfer-Encoding: chunked"
             b"\r\n\r\n0\r\n\r\n" + smuggled),
            ("Transfer-Encoding with space before colon",
             b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n"
             b"0\r\n\r\n" + smuggled),
        ]
        for name, data in cases:
            with self.subTest(case=name):
                with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
                    try:
                        s.sendall(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    # Read everything until the server closes (or 3 s): one
                    # 400 and nothing for the smuggled request.
                    got = read_responses(s, 3, timeout=3)
                statuses = [g[0] for g in got]
                self.assertEqual(statuses, [400], "%s: sent %r, answers %r" % (
                    name, data, statuses))
        self.assertTrue(d.running())
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_path_traversal_and_encoded_slashes_get_404(self):
        d = self.daemon()
        self.assertEqual(d.fetch("/outputs/all.atom").status, 200)  # control
        paths = [
            "/../etc/passwd",
            "/../../../../../../etc/passwd",
            "/outputs/../../etc/passwd",
            "/outputs/..%2f..%2fetc%2fpasswd",
            "/outputs/..%2F..%2F..%2Fetc%2Fpasswd.atom",
            "/outputs/%2e%2e/%2e%2e/etc/passwd",
            "/%2e%2e/",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/outputs/all%2fx.atom",
            "/outputs/all%2f..%2f..%2fetc%2fpasswd",
            "/outputs/all/archive/..%2f..%2f..%2fetc%2fpasswd.atom",
            "/outputs/all/archive/../../../etc/passwd",
            "/feed.atom%00",
            "/feed.atom%00.txt",
            "/outputs/all.atom%00",
            "//etc/passwd",
            "/outputs/%2fetc%2fpasswd",
            "/outputs/all.atom/../../etc/passwd",
            "/feed.atom/",
            "/feed.atom/..",
            "/opml/../etc/passwd",
            "/healthz/../../etc/passwd",
        ]
        for path in paths:
            with self.subTest(path=path):
                data = ("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode()
                status, _, body, _ = exchange(d.port, data, False)
                self.assertEqual(status, 404, "%s: %r %r" % (path, status, body[:200]))
                self.assertNotIn(b"root:", body)
        # An absolute-form target takes the path from the URL: same rules.
        with self.subTest(path="absolute-form"):
            status, _, body, _ = exchange(
                d.port, b"GET http://t/../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", False)
            self.assertEqual(status, 404)
        # A raw NUL in the target is a malformed request: 400 (or 404).
        with self.subTest(path="raw NUL"):
            status, _, body, _ = exchange(d.port, b"GET /feed.atom\x00 HTTP/1.1\r\nHost: t\r\n\r\n",
                                          False)
            self.assertIn(status, (400, 404))
            self.assertNotIn(b"root:", body)
        self.assertEqual(d.fetch("/healthz").status, 200)


class SlowlorisTest(HostileTestCase):
    def raise_fd_limit(self, want):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < want:
            new = want if hard == resource.RLIM_INFINITY else min(want, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
            soft = new
        return soft

    def test_slowloris_is_bounded_and_normal_requests_are_answered(self):
        limit = self.raise_fd_limit(FLOOD + 512)
        flood = min(FLOOD, limit - 256)
        d = self.daemon()
        pid = d.proc.pid
        base_fds = nfds(pid)
        sockets = []
        self.addCleanup(lambda: [s.close() for s in sockets])

        # Keep-alive connections that made one request and then stay idle:
        # closed after idle_timeout (30 s).
        keepalive = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            sockets.append(s)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual([r[0] for r in read_responses(s, 1)], [200])
            keepalive.append((s, time.monotonic()))

        # Byte-a-second clients: a request line that never ends.
        tricklers = []
        for _ in range(TRICKLERS):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            sockets.append(s)
            tricklers.append((s, time.monotonic()))
        trickle_data = b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100
        stop = threading.Event()

        def trickle():
            i = 0
            while not stop.is_set() and i < len(trickle_data):
                for s, _ in tricklers:
                    try:
                        s.send(trickle_data[i:i + 1])
                    except OSError:
                        pass
                i += 1
                stop.wait(1.0)

        tt = threading.Thread(target=trickle, daemon=True)
        tt.start()
        self.addCleanup(stop.set)

        # The flood: connections that send nothing at all.
        idle = []
        t_flood = time.monotonic()
        refused = 0
        for _ in range(flood):
            try:
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            except OSError:
                refused += 1
                continue
            sockets.append(s)
            idle.append((s, time.monotonic()))
        t_open = time.monotonic() - t_flood

        # Watch every socket for EOF (or a response) while normal requests
        # are made, one every 0.25 s, until the flood has been dropped.
        watched = {s: ("keepalive", t) for s, t in keepalive}
        watched.update({s: ("trickle", t) for s, t in tricklers})
        watched.update({s: ("idle", t) for s, t in idle})
        sel = selectors.DefaultSelector()
        for s in watched:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        closed = {}  # socket -> (seconds after its connect, first bytes)
        normal = []  # (t since flood, status or error, seconds)
        max_fds = nfds(pid)
        deadline = t_flood + IDLE_TIMEOUT + 2 * SLACK
        next_req = time.monotonic()
        while time.monotonic() < deadline and len(closed) < len(watched):
            for key, _ in sel.select(0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as exc:
                    data = repr(exc).encode()
                kind, t = watched[s]
                closed[s] = (time.monotonic() - t, data[:20])
                sel.unregister(s)
            max_fds = max(max_fds, nfds(pid))
            now = time.monotonic()
            flood_left = any(s not in closed for s, _ in idle)
            if flood_left and now >= next_req:
                next_req = now + 0.25
                q0 = time.monotonic()
                try:
                    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=2)
                    c.request("GET", "/feed.atom")
                    r = c.getresponse()
                    r.read()
                    c.close()
                    res = r.status
                except (OSError, http.client.HTTPException) as exc:
                    res = type(exc).__name__
                normal.append((q0 - t_flood, res, time.monotonic() - q0))
        stop.set()
        sel.close()

        def by_kind(kind):
            return [closed.get(s) for s, (k, _) in watched.items() if k == kind]

        idle_closed = by_kind("idle")
        early = sum(1 for c in idle_closed if c and c[0] < HEADER_TIMEOUT - 1)
        at_timeout = sum(1 for c in idle_closed if c and c[0] >= HEADER_TIMEOUT - 1)
        ok = [n for n in normal if n[1] == 200 and n[2] < 2.0]
        summary = ("flood of %d idle connections opened in %.2fs (%d refused at connect); "
                   "%d dropped early (over the cap), %d at the header timeout, %d never; "
                   "daemon fds: %d before, %d at most; normal requests: %d of %d answered 200 "
                   "in < 2 s; first failures: %r; tricklers: %r; keep-alive: %r" % (
                       len(idle), t_open, refused, early, at_timeout,
                       sum(1 for c in idle_closed if c is None), base_fds, max_fds, len(ok),
                       len(normal), [n for n in normal if n not in ok][:5],
                       by_kind("trickle"), by_kind("keepalive")))
        print("\nslowloris: " + summary)
        with self.subTest(check="heraldd alive"):
            self.assertTrue(d.running(), "heraldd exited: %s" % d.log()[-3000:])
        with self.subTest(check="normal requests answered during the flood"):
            self.assertGreaterEqual(len(normal), 10, summary)
            self.assertEqual(len(ok), len(normal), summary)
        with self.subTest(check="fd count bounded by the connection cap"):
            self.assertLessEqual(max_fds, base_fds + MAX_CONNECTIONS + 16, summary)
        with self.subTest(check="idle connections closed by header_timeout"):
            for c in idle_closed:
                self.assertIsNotNone(c, "an idle connection still open: " + summary)
                self.assertLessEqual(c[0], HEADER_TIMEOUT + SLACK, summary)
                self.assertEqual(c[1], b"", "idle connections get no answer, only EOF")
        # At the cap the oldest waiting connections make room for new ones:
        # the tricklers and idle keep-alive connections, opened before the
        # flood, go first -- never later than their timeouts.
        with self.subTest(check="byte-a-second clients dropped by the flood or header_timeout"):
            for c in by_kind("trickle"):
                self.assertIsNotNone(c, "a trickling connection still open: " + summary)
                self.assertLessEqual(c[0], HEADER_TIMEOUT + SLACK, summary)
                self.assertTrue(c[1] in (b"",) or c[1].startswith(b"HTTP/1.1 408"), c)
        with self.subTest(check="idle keep-alive connections dropped by the flood or idle_timeout"):
            for c in by_kind("keepalive"):
                self.assertIsNotNone(c, "a keep-alive connection still open: " + summary)
                self.assertLessEqual(c[0], IDLE_TIMEOUT + SLACK, summary)
        # All dropped: the descriptors are back and the daemon serves.
        for s in sockets:
            s.close()
        wait_until(lambda: nfds(pid) <= base_fds + 2, 10, 0.1,
                   lambda: "daemon fds back to %d (now %d)" % (base_fds, nfds(pid)))
        self.assertEqual(d.fetch("/feed.atom").status, 200)
        self.assertStopsCleanly(d)


class TimeoutsTest(HostileTestCase):
    def test_trickling_and_idle_connections_time_out_without_a_flood(self):
        """Below the cap nothing is dropped early: a byte-a-second request is
        cut at header_timeout (408), an idle keep-alive connection at
        idle_timeout."""
        d = self.daemon()
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        keep = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        socks.append(keep)
        keep.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual([r[0] for r in read_responses(keep, 1)], [200])
        t_keep = time.monotonic()
        slow = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        socks.append(slow)
        t_slow = time.monotonic()
        data = b"GET /feed.atom HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100
        closed = {}

        def watch(name, s, t0):
            s.settimeout(IDLE_TIMEOUT + SLACK + 5)
            try:
                got = s.recv(64)
            except OSError:
                got = b""
            closed[name] = (time.monotonic() - t0, got)

        threads = [threading.Thread(target=watch, args=("keep", keep, t_keep), daemon=True),
                   threading.Thread(target=watch, args=("slow", slow, t_slow), daemon=True)]
        for t in threads:
            t.start()
        for i in range(len(data)):
            if "slow" in closed:
                break
            try:
                slow.send(data[i:i + 1])
            except OSError:
                break
            time.sleep(1.0)
        for t in threads:
            t.join(IDLE_TIMEOUT + SLACK + 10)
        self.assertGreaterEqual(closed["slow"][0], HEADER_TIMEOUT - 1, closed)
        self.assertLessEqual(closed["slow"][0], HEADER_TIMEOUT + SLACK, closed)
        self.assertTrue(closed["slow"][1].startswith(b"HTTP/1.1 408"), closed)
        self.assertGreaterEqual(closed["keep"][0], IDLE_TIMEOUT - 1, closed)
        self.assertLessEqual(closed["keep"][0], IDLE_TIMEOUT + SLACK, closed)
        self.assertEqual(closed["keep"][1], b"", closed)
        self.assertStopsCleanly(d)


class WrkLoadTest(HostileTestCase):
    WRK = shutil.which("wrk") or "/usr/bin/wrk"

    def test_wrk_load_does_not_delay_polling(self):
        if not os.access(self.WRK, os.X_OK):
            self.skipTest("wrk is not installed (Debian package wrk)")
        d = self.daemon(interval="1s")
        self.server.wait_requests("/h.xml", 2, timeout=10)
        t0 = time.monotonic()
        p = subprocess.run([self.WRK, "-t1", "-c50", "-d10s", "--latency",
                            "http://127.0.0.1:%d/feed.atom" % d.port],
                           capture_output=True, text=True, timeout=60)
        t1 = time.monotonic()
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        rps = float(m.group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
        sock_err = re.search(r"Socket errors: (.*)", p.stdout)
        times = [r.time for r in self.server.requests_for("/h.xml")]
        window = [max(t for t in times if t <= t0)] + [t for t in times if t0 < t <= t1] + [t1]
        gaps = [b - a for a, b in zip(window, window[1:])]
        print("\nwrk -t1 -c50 -d10s /feed.atom: %.0f requests/s; %d polls during the load, "
              "largest gap %.2fs\n%s" % (rps, len(window) - 2, max(gaps), p.stdout))
        self.assertTrue(d.running())
        self.assertIsNone(errors, "non-2xx answers under load:\n" + p.stdout)
        self.assertIsNone(sock_err, "socket errors under load:\n" + p.stdout)
        self.assertGreater(rps, 100, p.stdout)
        self.assertGreaterEqual(len(window) - 2, 5, "polls during 10 s of load")
        self.assertLessEqual(max(gaps), 2.0, "poll gaps under load (s): %s; wrk %.0f req/s" % (
            ["%.2f" % g for g in gaps], rps))
        rec = d.query("SELECT error_count, last_status FROM feeds WHERE name = 'h'")[0]
        self.assertEqual((rec["error_count"], rec["last_status"]), (0, 200))
        self.assertEqual(d.fetch("/healthz").status, 200)
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
