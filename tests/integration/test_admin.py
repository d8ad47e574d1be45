"""/metrics and /healthz: what a Prometheus scraper and a health checker
see, and who may see it (loopback clients, or anyone with admin_token's
bearer token; the outputs stay public)."""

import http.client
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from harness import EnvDaemon, HeraldTestCase, Route, recent, require_heraldd, rss, wait_until


def sanitized():
    """Whether heraldd is built with AddressSanitizer (linked to libasan)."""
    out = subprocess.run(["ldd", require_heraldd()], capture_output=True, text=True).stdout
    return "libasan" in out


ITEMS = [{"guid": "adm-%d" % i, "link": "http://adm.example.org/%d" % i,
          "title": "Admin entry %d" % i, "date": recent(20 + i)} for i in range(1, 4)]
TOKEN = "t0ken-for-the-admin-endpoints"


def local_address():
    """This host's address on its outbound interface (not loopback), for a
    client that must not look local; None when there is no such route."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.123", 9))  # UDP: nothing is sent
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr


def request(host, port, path, headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def samples(text):
    """{'name{labels}': float} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class AdminTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/ok.xml", rss(ITEMS, title="OK feed"), etag='"v1"')
        self.server.set("/broken.xml", "oops", status=500)
        self.server.set("/garbage.xml", "this is not a feed", content_type="application/rss+xml")

    def metrics(self, d, headers=None):
        r = d.fetch("/metrics", headers=headers)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        self.assertTrue(r.body.endswith(b"\n"))
        return samples(r.body.decode("utf-8"))

    def test_metrics_follow_the_polls(self):
        d = self.start_daemon([("ok", self.server.url("/ok.xml"), {"interval": "1s"}),
                               ("broken", self.server.url("/broken.xml"), {"interval": "1h"}),
                               ("garbage", self.server.url("/garbage.xml"), {"interval": "1h"}),
                               ("off", self.server.url("/ok.xml"), {"enabled": "no"})])
        # The second poll of ok.xml is a 304: its body size is saved.
        self.server.wait_requests("/ok.xml", 3, timeout=15)

        def polled():
            m = self.metrics(d)
            return m if m['herald_fetch_total{result="not_modified"}'] >= 1 and \
                m['herald_fetch_total{result="parse_error"}'] == 1 else None
        m = wait_until(polled, 15, 0.2, "a 304 and the parse error counted")
        self.assertGreaterEqual(m['herald_fetch_total{result="ok"}'], 1)
        self.assertEqual(m['herald_fetch_total{result="http_error"}'], 1)
        self.assertEqual(m['herald_fetch_total{result="net_error"}'], 0)
        self.assertEqual(m['herald_fetch_total{result="storage_error"}'], 0)
        self.assertEqual(m['herald_feeds{state="ok"}'], 1)
        self.assertEqual(m['herald_feeds{state="failing"}'], 2)
        self.assertEqual(m['herald_feeds{state="disabled"}'], 1)
        self.assertEqual(m["herald_entries"], 3)
        self.assertEqual(m["herald_stories"], 3)
        self.assertEqual(m["herald_entries_new_total"], 3)
        self.assertEqual(m["herald_stories_new_total"], 3)
        self.assertEqual(m["herald_entries_updated_total"], 0)
        # The story index is loaded at the first ingest (dedup = story); these
        # titles are too short for a fingerprint, so it holds none of them.
        self.assertEqual(m["herald_story_index_entries"], 0)
        self.assertGreater(m["herald_story_index_bytes"], 0)
        body = len(rss(ITEMS, title="OK feed"))
        self.assertGreaterEqual(m["herald_fetch_bytes_saved_total"], body)
        self.assertGreaterEqual(m["herald_fetch_bytes_total"], body)
        polls = sum(v for k, v in m.items() if k.startswith("herald_fetch_total{"))
        self.assertEqual(m['herald_fetch_duration_seconds_bucket{le="+Inf"}'], polls)
        self.assertEqual(m["herald_fetch_duration_seconds_count"], polls)
        self.assertGreater(m["herald_database_bytes"], 0)
        self.assertGreater(m["process_resident_memory_bytes"], 0)
        self.assertGreater(m["process_open_fds"], 3)
        # Where the memory is: SQLite's part is inside malloc's in-use figure.
        # AddressSanitizer's allocator does not say (mallinfo2 gives zeros):
        # the heap gauges are left out then.
        self.assertGreater(m["herald_sqlite_memory_bytes"], 0)
        if not sanitized():
            self.assertGreater(m["herald_heap_bytes_in_use"], m["herald_sqlite_memory_bytes"])
            self.assertGreaterEqual(m["herald_heap_bytes_free"], 0)
        else:
            self.assertNotIn("herald_heap_bytes_in_use", m)
        self.assertAlmostEqual(m["process_start_time_seconds"], time.time(), delta=120)
        self.assertEqual(d.fetch("/healthz").body, b"ok\n")
        self.assertStopsCleanly(d)

    def test_webhook_deliveries_by_result(self):
        self.server.set("/hook-ok", b"ok")
        self.server.set("/hook-bad", b"no", status=500)
        self.server.set("/hook-gone", b"gone", status=410)
        d = self.new_daemon()
        hooks = "".join('\n[webhook "%s"]\nurl = %s\nretry = 1h\nmax_attempts = %d\n'
                        % (name, self.server.url(path), attempts)
                        for name, path, attempts in (("ok", "/hook-ok", 8), ("bad", "/hook-bad", 8),
                                                     ("dead", "/hook-bad", 1),
                                                     ("gone", "/hook-gone", 8)))
        d.write_config(d.config([("ok", self.server.url("/ok.xml"))]) + hooks)
        d.start()

        def counted():
            m = self.metrics(d)
            k = 'herald_webhook_deliveries_total{result="%s"}'
            return m if (m[k % "delivered"] == len(ITEMS) and m[k % "disabled"] == 1 and
                         m[k % "dead"] == len(ITEMS)) else None
        m = wait_until(counted, 15, 0.2, "deliveries counted by result")
        # "bad" fails once and then waits an hour, pausing its endpoint.
        self.assertEqual(m['herald_webhook_deliveries_total{result="failed"}'], 1)
        # Pending: bad's 3 and gone's 3 (waiting for --enable); dead: 3.
        self.assertEqual(m["herald_outbox_pending"], 2 * len(ITEMS))
        self.assertEqual(m["herald_outbox_dead"], len(ITEMS))
        self.assertStopsCleanly(d)

    def test_healthz_reports_a_stalled_loop(self):
        d = self.start_daemon([("ok", self.server.url("/ok.xml"))])
        self.assertEqual(d.fetch("/healthz").status, 200)
        # Frozen for 6 s: to the loop, one callback that ran for 6 s.
        d.send_signal(signal.SIGSTOP)
        time.sleep(6)
        d.send_signal(signal.SIGCONT)
        r = wait_until(lambda: (lambda r: r if r.status == 503 else None)(d.fetch("/healthz")),
                       5, 0.1, "/healthz = 503")
        self.assertRegex(r.body.decode(),
                         r"^unhealthy: the event loop stalled for [5-9]\.\d s in the last 60 s\n$")
        self.assertGreaterEqual(self.metrics(d)["herald_loop_stall_max_seconds"], 5.5)
        self.assertStopsCleanly(d)

    def test_healthz_reports_a_failing_database(self):
        # Files may not grow past 300 KB (ulimit -f counts 512-byte blocks):
        # storing a 500 KB feed fails with EFBIG, as on a full disk.
        big = [{"guid": "big-%d" % i, "link": "http://big.example.org/%d" % i,
                "title": "Big %d" % i, "description": "lorem ipsum " * 100, "date": recent(25)}
               for i in range(400)]
        self.server.set("/big.xml", rss(big, title="Big feed"))
        d = self.new_daemon()
        d.binary = "/bin/sh"
        d.write_config(d.config([("big", self.server.url("/big.xml"), {"interval": "1s"})]))
        d.start(wait=False, args=["-c", 'ulimit -f 600; exec "$0" "$@"', self.heraldd(),
                                  "-c", d.conf_path])
        r = wait_until(lambda: self._status(d, 503), 15, 0.1, lambda: "/healthz = 503; log:\n"
                       + d.log())
        self.assertEqual(r.body, b"unhealthy: the last database write failed\n")
        m = self.metrics(d)
        self.assertGreaterEqual(m['herald_fetch_total{result="storage_error"}'], 1)
        self.assertEqual(m["herald_database_write_failed"], 1)
        self.assertTrue(d.running(), "heraldd survives writes past RLIMIT_FSIZE")
        # A feed small enough to store: healthy again.
        self.server.set("/big.xml", rss(big[:3], title="Big feed"))
        wait_until(lambda: self._status(d, 200), 15, 0.1, "/healthz = 200 again")
        self.assertEqual(self.metrics(d)["herald_database_write_failed"], 0)
        self.assertStopsCleanly(d)

    def test_healthz_reports_a_deleted_database(self):
        d = self.start_daemon([("ok", self.server.url("/ok.xml"))])
        d.wait_ids([i["guid"] for i in ITEMS])
        self.assertEqual(d.fetch("/healthz").status, 200)
        os.unlink(d.db_path)  # SQLite would go on writing to the unlinked file
        r = d.fetch("/healthz")
        self.assertEqual(r.status, 503)
        self.assertRegex(r.body.decode(), r"^unhealthy: .+\n$")
        self.assertStopsCleanly(d)

    @staticmethod
    def heraldd():
        from harness import require_heraldd
        return require_heraldd()

    @staticmethod
    def _status(d, status):
        if not d.running():
            raise AssertionError("heraldd exited with %s; log:\n%s" % (d.proc.returncode, d.log()))
        try:
            r = d.fetch("/healthz", timeout=1)
        except OSError:
            return None
        return r if r.status == status else None

    def test_loopback_only_without_a_token(self):
        addr = local_address()
        if addr is None:
            self.skipTest("no non-loopback address to connect from")
        d = self.new_daemon()
        d.listen = "0.0.0.0:%d" % d.port
        d.start(d.config([("ok", self.server.url("/ok.xml"))]))
        d.wait_ids([i["guid"] for i in ITEMS])
        for path in ("/metrics", "/healthz"):
            status, headers, _ = request(addr, d.port, path)
            self.assertEqual(status, 403, "%s from %s" % (path, addr))
            self.assertIsNone(headers.get("WWW-Authenticate"))
            self.assertEqual(d.fetch(path).status, 200, "%s from loopback" % path)
        status, _, _ = request(addr, d.port, "/feed.atom")
        self.assertEqual(status, 200, "outputs stay public")
        self.assertStopsCleanly(d)

    def test_bearer_token(self):
        d = EnvDaemon({"HERALD_TEST_ADMIN_TOKEN": TOKEN})
        self.addCleanup(d.cleanup)
        d.listen = "0.0.0.0:%d" % d.port
        d.start(d.config([("ok", self.server.url("/ok.xml"))],
                         admin_token="env:HERALD_TEST_ADMIN_TOKEN"), wait=False)
        wait_until(lambda: self._answers(d), 10, 0.05, "heraldd listening")
        good = {"Authorization": "Bearer " + TOKEN}
        for path in ("/metrics", "/healthz"):
            # With a token configured, loopback clients need it too.
            r = d.fetch(path)
            self.assertEqual(r.status, 401, path)
            self.assertEqual(r.headers["WWW-Authenticate"], "Bearer")
            self.assertEqual(d.fetch(path, headers={"Authorization": "Bearer wrong"}).status, 401)
            self.assertEqual(d.fetch(path, headers={"Authorization": "Bearer " + TOKEN[:-1]})
                             .status, 401)
            self.assertEqual(d.fetch(path, headers={"Authorization": "Basic " + TOKEN}).status,
                             401)
            self.assertEqual(d.fetch(path, headers=good).status, 200, path)
            self.assertEqual(d.fetch(path, headers={"Authorization": "bearer  " + TOKEN}).status,
                             200, "the scheme is case-insensitive")
        addr = local_address()
        if addr is not None:
            self.assertEqual(request(addr, d.port, "/metrics", good)[0], 200)
            self.assertEqual(request(addr, d.port, "/metrics")[0], 401)
        self.assertEqual(d.fetch("/feed.atom").status, 200, "outputs stay public")
        self.assertNotIn(TOKEN, d.log(), "the token is never logged")
        self.assertStopsCleanly(d)

    def test_a_literal_token_is_refused(self):
        d = self.new_daemon()
        d.write_config(d.config([("ok", self.server.url("/ok.xml"))], admin_token=TOKEN))
        d.start(wait=False)
        self.assertEqual(d.proc.wait(10), 1)
        self.assertRegex(d.log(), r"admin_token must be file:PATH or env:NAME")
        self.assertNotIn(TOKEN, d.log())

    @staticmethod
    def _answers(d):
        if not d.running():
            raise AssertionError("heraldd exited; log:\n%s" % d.log())
        try:
            return d.fetch("/feed.atom", timeout=1).status == 200
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
