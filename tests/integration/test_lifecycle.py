"""Process lifecycle and the HTTP listener's limits: clean shutdown on
SIGTERM/SIGINT, state kept across restarts, status codes, header limits and
slow clients."""

import signal
import socket
import sqlite3
import threading
import time
import unittest

from harness import HeraldTestCase, read_responses, recent, rss

ITEMS = [{"guid": "life-%d" % i, "link": "http://life.example.org/%d" % i,
          "title": "Lifecycle entry %d" % i, "date": recent(15 + i, 6, 30)}
         for i in range(1, 6)]
IDS = [i["guid"] for i in reversed(ITEMS)]  # newest first


class LifecycleTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/life.xml", rss(ITEMS, title="Lifecycle feed"))

    def feeds(self, interval="1s"):
        return [("life", self.server.url("/life.xml"), {"interval": interval})]

    def check_db(self, d):
        conn = sqlite3.connect(d.db_path)
        try:
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(conn.execute("PRAGMA journal_mode").fetchone()[0], "wal")
            n = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
            self.assertEqual(n, len(ITEMS), "entries stored before the signal")
        finally:
            conn.close()

    def signal_exits_cleanly(self, sig):
        d = self.start_daemon(self.feeds())
        d.wait_ids(IDS)
        self.server.wait_requests("/life.xml", 2, timeout=15)  # mid-life, polls going on
        t0 = time.monotonic()
        self.assertStopsCleanly(d, sig, within=10)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 5.0, "exit took %.1fs after signal %d" % (elapsed, sig))
        self.check_db(d)

    def test_sigterm_exits_0_and_db_is_intact(self):
        self.signal_exits_cleanly(signal.SIGTERM)

    def test_sigint_exits_0_and_db_is_intact(self):
        self.signal_exits_cleanly(signal.SIGINT)

    def test_sigterm_during_a_fetch_and_with_an_idle_client(self):
        self.server.set("/stuck.xml", rss(ITEMS, title="Stuck feed"), delay=20)
        d = self.start_daemon(self.feeds() + [("stuck", self.server.url("/stuck.xml"),
                                               {"interval": "1s"})], timeout="30s",
                              shutdown_timeout="2s")
        d.wait_ids(IDS)
        self.server.wait_requests("/stuck.xml", 1, timeout=10)  # in flight for 20 s
        idle = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        self.addCleanup(idle.close)
        idle.sendall(b"GET /feed")
        self.assertEqual(d.fetch("/healthz").status, 200)
        t0 = time.monotonic()
        self.assertStopsCleanly(d, signal.SIGTERM, within=10)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 5.0, "exit took %.1fs with a fetch in flight" % elapsed)
        self.assertGreaterEqual(elapsed, 1.9, "the fetch in flight got its shutdown_timeout")
        self.assertIn("shutdown_timeout reached", d.log())
        self.check_db(d)

    def test_sigterm_lets_a_poll_in_flight_finish_and_be_stored(self):
        slow = [{"guid": "slow-1", "link": "http://life.example.org/slow",
                 "title": "Stored during shutdown", "date": recent(20, 8)}]
        d = self.start_daemon(self.feeds(interval="1h"))
        d.wait_ids(IDS)
        self.assertStopsCleanly(d)
        # The feed now answers slowly with a new entry; SIGTERM arrives while
        # the transfer is in flight: it finishes and is stored before exit.
        self.server.set("/life.xml", rss(slow + ITEMS, title="Lifecycle feed"), delay=2)
        conn = sqlite3.connect(d.db_path)
        conn.execute("UPDATE feeds SET next_poll = 0")
        conn.commit()
        conn.close()
        n = len(self.server.requests_for("/life.xml"))
        d.start(d.config(self.feeds(interval="1h")))
        self.server.wait_requests("/life.xml", n + 1, timeout=10)
        t0 = time.monotonic()
        self.assertStopsCleanly(d, signal.SIGTERM, within=10)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0, "waited for the transfer")
        conn = sqlite3.connect(d.db_path)
        try:
            got = conn.execute("SELECT count(*) FROM entries WHERE guid = 'slow-1'").fetchone()[0]
        finally:
            conn.close()
        self.assertEqual(got, 1, "the poll in flight at SIGTERM was stored")

    def test_run_subcommand_and_long_option(self):
        d = self.new_daemon()
        d.write_config(d.config(self.feeds()))
        d.start(args=["run", "--config", d.conf_path])
        d.wait_ids(IDS)
        self.assertStopsCleanly(d)

    def test_entries_survive_a_restart(self):
        d = self.start_daemon(self.feeds())
        before = d.wait_ids(IDS)
        self.assertStopsCleanly(d)

        # No source any more, and a long interval: whatever /feed.atom
        # serves now comes from the database.
        self.server.stop()
        d.start(d.config(self.feeds(interval="1h")))
        after = d.wait_feed(lambda f: f.ids == before.ids, timeout=5,
                            message="the same entries right after the restart")
        for a, b in zip(before.entries, after.entries):
            self.assertEqual((a.id, a.link, a.title, a.published),
                             (b.id, b.link, b.title, b.published))
        self.assertStopsCleanly(d)
        self.check_db(d)

    def test_status_codes(self):
        d = self.start_daemon(self.feeds(interval="1h"))
        r = d.fetch("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(d.fetch("/healthz", method="HEAD").status, 200)
        self.assertEqual(d.fetch("/no/such/path").status, 404)
        self.assertEqual(d.fetch("/feed.atom.bak").status, 404)
        post = d.fetch("/feed.atom", method="POST", body=b"x=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(post.status, 405)
        self.assertIn("GET", post.header("Allow", ""), "a 405 names the allowed methods")
        self.assertEqual(d.fetch("/healthz", method="DELETE").status, 405)
        self.assertEqual(d.fetch("/healthz").status, 200, "still serving after errors")

    def test_oversized_headers_get_431(self):
        d = self.start_daemon(self.feeds(interval="1h"))
        big = "a" * (20 * 1024)
        req = ("GET /feed.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n" % big).encode()
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
            try:
                s.sendall(req)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may stop reading once the limit is hit
            data = b""
            try:
                while not data.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
        self.assertTrue(data.startswith(b"HTTP/1.1 431"), "answer to 20 KB of headers: %r" % data[:200])
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_slow_client_is_disconnected_while_others_are_served(self):
        d = self.start_daemon(self.feeds(interval="1h"))
        slow = socket.create_connection(("127.0.0.1", d.port), timeout=30)
        self.addCleanup(slow.close)
        slow.sendall(b"GET /feed.at")  # half a request line, then nothing
        t0 = time.monotonic()

        closed = {}

        def watch():
            data = b""
            try:
                while True:
                    chunk = slow.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError as exc:
                closed["error"] = exc
            closed["after"] = time.monotonic() - t0
            closed["data"] = data

        t = threading.Thread(target=watch, daemon=True)
        t.start()

        served = 0
        while t.is_alive() and time.monotonic() - t0 < 20:
            q0 = time.monotonic()
            self.assertEqual(d.fetch("/healthz", timeout=3).status, 200)
            self.assertLess(time.monotonic() - q0, 2.0, "a request waited behind the slow client")
            served += 1
            t.join(0.25)
        t.join(1)
        self.assertFalse(t.is_alive(), "the slow client was not disconnected within 20s")
        self.assertLessEqual(closed["after"], 16.0, "disconnected after %.1fs" % closed["after"])
        self.assertGreater(served, 3, "requests served while the slow client hung")
        if closed["data"]:  # a 408 is allowed before the close
            self.assertTrue(closed["data"].startswith(b"HTTP/1.1 408"), closed["data"][:100])
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_keep_alive_and_pipelining(self):
        d = self.start_daemon(self.feeds(interval="1h"))
        # The feed's one poll is stored first: the GET and the HEAD below
        # must see the same document to announce the same length.
        d.wait_ids(IDS)
        with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            first = read_responses(s, 1)
            s.sendall(b"GET /feed.atom HTTP/1.1\r\nHost: t\r\n\r\n")  # same connection
            second = read_responses(s, 1)
            # three pipelined requests in one write: answers in request order
            s.sendall(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                      b"HEAD /feed.atom HTTP/1.1\r\nHost: t\r\n\r\n"
                      b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            piped = read_responses(s, 3, methods=["GET", "HEAD", "GET"])
        self.assertEqual([r[0] for r in first], [200])
        self.assertEqual([r[0] for r in second], [200])
        self.assertIn(b"<feed", second[0][2])
        self.assertEqual([r[0] for r in piped], [404, 200, 200], piped)
        self.assertEqual(piped[1][1].get("content-length"), str(len(second[0][2])),
                         "HEAD announces the GET length")
        self.assertEqual(piped[1][1].get("etag"), second[0][1].get("etag"))

    def test_headers_trickling_in_are_cut_off(self):
        d = self.start_daemon(self.feeds(interval="1h"))
        s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
        self.addCleanup(s.close)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        t0 = time.monotonic()
        outcome = None
        while time.monotonic() - t0 < 20:  # one header byte every 0.5 s
            try:
                s.sendall(b"X")
                s.settimeout(0.5)
                data = s.recv(4096)
                outcome = data[:40] or b"<EOF>"
                break
            except socket.timeout:
                continue
            except OSError as exc:
                outcome = repr(exc)
                break
        elapsed = time.monotonic() - t0
        self.assertIsNotNone(outcome, "still connected after 20s of trickled headers")
        self.assertLessEqual(elapsed, 16.0, "cut off after %.1fs: %r" % (elapsed, outcome))
        if isinstance(outcome, bytes) and outcome != b"<EOF>":
            self.assertTrue(outcome.startswith(b"HTTP/1.1 408"), outcome)
        self.assertEqual(d.fetch("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
