"""Failing sources: the daemon keeps serving the good ones, logs each
failure with the feed's name, and records the error in the database."""

import unittest

from harness import HeraldTestCase, free_port, rss, recent, wait_until

GOOD = [{"guid": "good-%d" % i, "link": "http://good.example.org/%d" % i,
         "title": "Good entry %d" % i, "date": recent(18 + i, 8, 0)} for i in range(1, 4)]

GARBAGE = b"\x00\x01\x02 this is not a feed \xff\xfe\xfd <<<< ]]> &&& \x1b[31m\n" * 20

# One warn line per failure naming the feed and the error.
ERRORS = {
    "broken": r"\b500\b",
    "garbage": r"not a feed|pars|xml|format|document",
    "refused": r"couldn'?t connect|connection refused|failed to connect",
    "html": r"not a feed",
}
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Hi</p></body></html>"


class FailuresTest(HeraldTestCase):
    def test_bad_feeds_do_not_stop_the_good_one(self):
        closed = free_port()  # nothing listens there
        self.server.set("/500.xml", b"internal error\n", status=500, content_type="text/plain")
        self.server.set("/garbage.xml", GARBAGE, content_type="application/rss+xml")
        self.server.set("/good.xml", rss(GOOD, title="Good feed"))
        self.server.set("/page.html", HTML_PAGE, content_type="text/html")
        d = self.start_daemon([
            ("html", self.server.url("/page.html"), {"interval": "1s"}),
            ("broken", self.server.url("/500.xml"), {"interval": "1s"}),
            ("garbage", self.server.url("/garbage.xml"), {"interval": "1s"}),
            ("refused", "http://127.0.0.1:%d/feed.xml" % closed, {"interval": "1s"}),
            ("good", self.server.url("/good.xml"), {"interval": "1s"}),
        ])

        f = d.wait_ids([g["guid"] for g in GOOD])
        self.assertEqual([e.source["title"] for e in f.entries], ["Good feed"] * 3)

        for name, err in ERRORS.items():
            with self.subTest(feed=name):
                # a warn-level line naming the feed and its error
                d.wait_log(r'(?i)^\S+\s+warn\s+\S+:\s.*feed "%s".*(%s)' % (name, err), timeout=15)
        bad_good = [r[3] for r in d.log_records()
                    if r[0] in ("warn", "error") and 'feed "good"' in r[2]]
        self.assertEqual(bad_good, [], "the good feed logged a failure")

        def errors_recorded():
            rows = {r["name"]: r for r in d.query(
                "SELECT name, last_error, error_count, last_status FROM feeds")}
            bad = all(rows.get(n) and rows[n]["last_error"] for n in ERRORS)
            return rows if bad else None

        rows = wait_until(errors_recorded, 15, 0.2,
                          lambda: "last_error for %s; feeds: %r" % (
                              sorted(ERRORS), d.query("SELECT * FROM feeds")))
        for name, err in ERRORS.items():
            with self.subTest(feed=name):
                self.assertRegex(rows[name]["last_error"], "(?i)" + err)
                self.assertNotRegex(rows[name]["last_error"], r"(?i)not a feed:.*not a feed",
                                    "the error message repeats its prefix")
                self.assertGreaterEqual(rows[name]["error_count"], 1)
        self.assertEqual(rows["broken"]["last_status"], 500)
        self.assertFalse(rows["good"]["last_error"], "the good feed has no error")
        self.assertEqual(rows["good"]["error_count"], 0)
        self.assertEqual(rows["good"]["last_status"], 200)

        # Still alive and serving.
        self.assertTrue(d.running())
        self.assertEqual(d.fetch("/healthz").status, 200)
        self.assertEqual(d.feed().ids, f.ids)
        self.assertStopsCleanly(d)

    def test_feed_that_breaks_keeps_its_entries_and_recovers(self):
        self.server.set("/flaky.xml", rss(GOOD, title="Flaky feed"))
        d = self.start_daemon([("flaky", self.server.url("/flaky.xml"), {"interval": "1s"})])
        want = [g["guid"] for g in GOOD]
        d.wait_ids(want)

        self.server.set("/flaky.xml", b"temporarily down\n", status=503, content_type="text/plain")
        wait_until(lambda: any(r.status == 503 for r in self.server.requests_for("/flaky.xml")),
                   15, 0.1, "a poll answered 503")
        d.wait_log(r'(?i)^\S+\s+warn\s+\S+:\s.*feed "flaky".*\b503\b', timeout=10)
        wait_until(lambda: d.query("SELECT last_error FROM feeds WHERE name='flaky'")[0]["last_error"],
                   10, 0.2, "last_error of flaky")
        self.assertEqual(set(d.feed().ids), set(want), "entries of a failing feed stay")

        new = {"guid": "good-9", "link": "http://good.example.org/9", "title": "Back",
               "date": recent(29, 10, 0)}
        self.server.set("/flaky.xml", rss([new] + GOOD, title="Flaky feed"))
        # Allow for the back-off after an error.
        f = d.wait_ids(want + ["good-9"], timeout=40)
        self.assertEqual(f.ids[0], "good-9")
        row = wait_until(lambda: [r for r in d.query(
            "SELECT last_error, last_status FROM feeds WHERE name='flaky'")
            if not r["last_error"]], 10, 0.2,
            lambda: "last_error cleared after a good poll: %r" % d.query("SELECT * FROM feeds"))
        self.assertEqual(row[0]["last_status"], 200)


class LimitsTest(HeraldTestCase):
    """Configured limits on fetches: body size, time, redirects."""

    def good_feed(self, path="/good.xml"):
        self.server.set(path, rss(GOOD, title="Good feed"))
        return (path.strip("/").split(".")[0], self.server.url(path), {"interval": "1s"})

    def test_oversized_feed_is_refused(self):
        big = [{"guid": "big-%d" % i, "link": "http://big.example.org/%d" % i,
                "title": "Big entry %d" % i, "description": "x" * 2000,
                "date": recent(20, 0, i % 60)} for i in range(100)]  # ~220 KB
        body = rss(big, title="Big feed")
        self.assertGreater(len(body), 200 * 1024)
        self.server.set("/big.xml", body)
        d = self.start_daemon([("big", self.server.url("/big.xml"), {"interval": "1s"}),
                               self.good_feed()], max_feed_size="64k")
        d.wait_ids([g["guid"] for g in GOOD])
        d.wait_log(r'(?i)^\S+\s+warn\s+\S+:\s.*feed "big".*(size|large|limit|exceed)', 15)
        self.assertEqual(d.query("SELECT count(*) AS n FROM entries e JOIN feeds f ON f.id = e.feed_id "
                                 "WHERE f.name = 'big'")[0]["n"], 0)
        self.assertFalse(any(i.startswith("big-") for i in d.feed().ids))

    def test_slow_feed_times_out(self):
        self.server.set("/slow.xml", rss(GOOD[:1], title="Slow feed"), delay=6)
        d = self.start_daemon([("slow", self.server.url("/slow.xml"), {"interval": "1s"}),
                               self.good_feed()], timeout="2s")
        d.wait_ids([g["guid"] for g in GOOD])
        d.wait_log(r'(?i)^\S+\s+warn\s+\S+:\s.*feed "slow".*time[d ]?\s?out', 10)
        self.assertEqual(d.fetch("/healthz").status, 200)

    def test_redirects_are_followed_within_the_limit(self):
        self.server.set("/moved.xml", b"", status=301,
                        headers={"Location": self.server.url("/good.xml")})
        self.server.set("/loop-a.xml", b"", status=302,
                        headers={"Location": self.server.url("/loop-b.xml")})
        self.server.set("/loop-b.xml", b"", status=302,
                        headers={"Location": self.server.url("/loop-a.xml")})
        self.server.set("/good.xml", rss(GOOD, title="Good feed"))
        d = self.start_daemon([("moved", self.server.url("/moved.xml"), {"interval": "1h"}),
                               ("loop", self.server.url("/loop-a.xml"), {"interval": "1h"})],
                              max_redirects=3)
        f = d.wait_ids([g["guid"] for g in GOOD])
        self.assertEqual({e.source["title"] for e in f.entries}, {"Good feed"})
        d.wait_log(r'(?i)^\S+\s+warn\s+\S+:\s.*feed "loop".*redirect', 10)
        loops = len(self.server.requests_for("/loop-a.xml")) + len(self.server.requests_for("/loop-b.xml"))
        self.assertLessEqual(loops, 4, "max_redirects = 3 allows 4 requests per poll")


if __name__ == "__main__":
    unittest.main()
