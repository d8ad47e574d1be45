"""Polite, adaptive polling: unchanged bodies, moved and gone feeds,
Retry-After, back-off across restarts, disabled feeds, per-feed request
settings, and `heraldd feeds`."""

import base64
import os
import re
import time
import unittest

from harness import HeraldTestCase, heraldd_feeds, http_date, recent, rss, wait_until

import datetime as _dt

ITEMS = [{"guid": "p-%d" % i, "link": "http://p.example.org/%d" % i, "title": "Entry %d" % i,
          "date": recent(20 + i, 9, 0)} for i in range(1, 4)]
IDS = [i["guid"] for i in ITEMS]


def gaps(reqs):
    return [b.time - a.time for a, b in zip(reqs, reqs[1:])]


class UnchangedTest(HeraldTestCase):
    def test_same_body_counts_as_not_modified(self):
        # No validators: every poll is a full 200 with the same bytes.
        self.server.set("/same.xml", rss(ITEMS, title="Same"))
        d = self.start_daemon([("same", self.server.url("/same.xml"), {"interval": "1s"})])
        d.wait_ids(IDS)
        wait_until(lambda: d.query("SELECT polls FROM feeds WHERE name='same'")[0]["polls"] >= 1,
                   10, 0.1, "the first poll recorded")
        snapshot = d.query("SELECT * FROM entries ORDER BY id")
        self.server.wait_requests("/same.xml", 4, timeout=15)

        def unchanged():
            r = d.query("SELECT * FROM feeds WHERE name='same'")[0]
            return r if r["polls"] >= 3 and r["last_outcome"] == "unchanged" else None

        row = wait_until(unchanged, 10, 0.1, lambda: repr(d.query("SELECT * FROM feeds")))
        self.assertEqual(d.query("SELECT * FROM entries ORDER BY id"), snapshot,
                         "an unchanged body must not write entries")
        self.assertGreaterEqual(row["not_modified"], 2)
        self.assertGreater(row["bytes_saved"], 0)
        self.assertEqual(row["last_status"], 200)
        self.assertIsNone(row["last_error"])
        stored = [l for l in d.log().splitlines() if re.search(r'feed "same": \d+ entries', l)]
        self.assertEqual(len(stored), 1, "only the first 200 is parsed and stored: %r" % stored)


class ParserLimitsTest(HeraldTestCase):
    def test_config_limits_apply_to_polled_documents(self):
        """max_feed_entries and max_field_size reach the parser of polled
        documents: 2 of 5 entries are stored, each value cut at 1 KiB."""
        items = [{"guid": "l-%d" % i, "link": "http://l.example.org/%d" % i,
                  "title": "Item %d" % i, "date": recent(20 - i, 9, 0),
                  "description": "<p>" + "word " * 2000 + "</p>"} for i in range(5)]
        self.server.set("/lim.xml", rss(items, title="Limits"))
        d = self.start_daemon([("lim", self.server.url("/lim.xml"), {})],
                              max_feed_entries="2", max_field_size="1k")
        d.wait_ids(["l-0", "l-1"])
        wait_until(lambda: d.query("SELECT polls FROM feeds WHERE name='lim'")[0]["polls"] >= 1,
                   10, 0.1, "the first poll recorded")
        rows = d.query("SELECT guid, length(summary) AS n FROM entries ORDER BY guid")
        self.assertEqual([r["guid"] for r in rows], ["l-0", "l-1"])
        for r in rows:
            self.assertLessEqual(r["n"], 1100, r)


class MovedTest(HeraldTestCase):
    def moved(self, status):
        new_url = self.server.url("/new.xml")
        self.server.set("/old.xml", b"", status=status, headers={"Location": new_url})
        self.server.set("/new.xml", rss(ITEMS, title="Moved"))
        d = self.start_daemon([("m", self.server.url("/old.xml"), {"interval": "1s"})])
        d.wait_ids(IDS)
        wait_until(lambda: d.query("SELECT url FROM feeds WHERE name='m'")[0]["url"] == new_url,
                   10, 0.1, lambda: "url moved; feeds: %r; log:\n%s" % (
                       d.query("SELECT * FROM feeds"), d.log()[-3000:]))
        row = d.query("SELECT url, config_url FROM feeds WHERE name='m'")[0]
        self.assertEqual(row["config_url"], self.server.url("/old.xml"))
        events = d.query("SELECT kind, detail FROM feed_events")
        self.assertIn({"kind": "moved", "detail": new_url}, events)
        d.wait_log(r'^\S+\s+warn\s+FETCH:\s.*feed "m": moved permanently', 5)

        # Later polls go straight to the new URL, across a restart too.
        old = len(self.server.requests_for("/old.xml"))
        n = len(self.server.requests_for("/new.xml"))
        self.server.wait_requests("/new.xml", n + 2, timeout=10)
        self.assertEqual(len(self.server.requests_for("/old.xml")), old)
        self.assertStopsCleanly(d)
        n = len(self.server.requests_for("/new.xml"))
        d.start()
        self.server.wait_requests("/new.xml", n + 1, timeout=10)
        self.assertEqual(len(self.server.requests_for("/old.xml")), old)
        self.assertEqual(d.query("SELECT url FROM feeds WHERE name='m'")[0]["url"], new_url)

    def test_301_moves_the_feed(self):
        self.moved(301)

    def test_308_moves_the_feed(self):
        self.moved(308)

    def test_302_keeps_the_url(self):
        self.server.set("/old.xml", b"", status=302,
                        headers={"Location": self.server.url("/new.xml")})
        self.server.set("/new.xml", rss(ITEMS, title="Temporary"))
        d = self.start_daemon([("t", self.server.url("/old.xml"), {"interval": "1s"})])
        d.wait_ids(IDS)
        self.server.wait_requests("/old.xml", 3, timeout=10)
        self.assertEqual(d.query("SELECT url FROM feeds WHERE name='t'")[0]["url"],
                         self.server.url("/old.xml"))
        self.assertEqual(d.query("SELECT count(*) AS n FROM feed_events WHERE kind='moved'")[0]["n"],
                         0)


class GoneTest(HeraldTestCase):
    def test_410_stops_polling(self):
        self.server.set("/gone.xml", b"gone\n", status=410, content_type="text/plain")
        d = self.start_daemon([("g", self.server.url("/gone.xml"), {"interval": "1s"})])
        self.server.wait_requests("/gone.xml", 1, timeout=10)
        time.sleep(4)  # several intervals
        self.assertEqual(len(self.server.requests_for("/gone.xml")), 1)
        row = d.query("SELECT gone, last_status, error_class FROM feeds WHERE name='g'")[0]
        self.assertEqual(row, {"gone": 1, "last_status": 410, "error_class": "http"})
        self.assertEqual(d.query("SELECT kind FROM feed_events"), [{"kind": "gone"}])
        lines = [l for l in d.log().splitlines() if 'feed "g": gone' in l]
        self.assertEqual(len(lines), 1, "logged once: %r" % lines)
        self.assertIn("gone", heraldd_feeds(d)["g"])

        # Not polled after a restart either.
        self.assertStopsCleanly(d)
        d.start()
        time.sleep(2)
        self.assertEqual(len(self.server.requests_for("/gone.xml")), 1)


class RetryAfterTest(HeraldTestCase):
    def throttled(self, retry_after, at_least, status=429):
        self.server.set("/slow.xml", b"slow down\n", status=status, content_type="text/plain",
                        headers={"Retry-After": retry_after})
        d = self.start_daemon([("s", self.server.url("/slow.xml"), {"interval": "1s"})])
        first = self.server.wait_requests("/slow.xml", 1, timeout=10)[0]
        self.server.set("/slow.xml", rss(ITEMS, title="Slow"))
        second = self.server.wait_requests("/slow.xml", 2, timeout=15)[1]
        self.assertGreaterEqual(second.time - first.time, at_least,
                                "the next request came before Retry-After")
        d.wait_ids(IDS)
        row = d.query("SELECT throttled, retry_after FROM feeds WHERE name='s'")[0]
        self.assertEqual(row["throttled"], 1 if status == 429 else 0)  # the 429s seen
        self.assertIsNotNone(row["retry_after"])

    def test_retry_after_seconds(self):
        self.throttled("4", 3.0)

    def test_retry_after_on_503(self):
        self.throttled("4", 3.0, status=503)

    def test_retry_after_http_date(self):
        when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=5)
        self.throttled(http_date(when), 3.5)


class BackoffTest(HeraldTestCase):
    def test_errors_back_off_then_clear(self):
        self.server.set("/err.xml", b"oops\n", status=500, content_type="text/plain")
        d = self.start_daemon([("e", self.server.url("/err.xml"), {"interval": "1s"})])
        reqs = self.server.wait_requests("/err.xml", 4, timeout=20)
        g = gaps(reqs[:4])
        self.assertGreater(g[2], g[0] + 1.5, "back-off grows: gaps %r" % g)
        self.assertGreaterEqual(g[2], 3.0, "the third retry waits 4 intervals: gaps %r" % g)
        row = wait_until(lambda: [r for r in d.query("SELECT * FROM feeds") if r["error_count"] >= 4],
                         5, 0.1, lambda: repr(d.query("SELECT * FROM feeds")))[0]
        self.assertEqual(row["error_class"], "http")
        self.assertEqual(row["last_status"], 500)
        self.assertIn("backing off", heraldd_feeds(d)["e"])

        self.server.set("/err.xml", rss(ITEMS, title="Recovered"))
        d.wait_ids(IDS, timeout=20)
        row = wait_until(lambda: [r for r in d.query("SELECT * FROM feeds")
                                  if r["error_count"] == 0 and r["last_error"] is None],
                         5, 0.1, "error cleared")[0]
        self.assertIsNone(row["error_class"])

    def test_restart_keeps_the_backoff(self):
        self.server.set("/err.xml", b"oops\n", status=500, content_type="text/plain")
        d = self.start_daemon([("e", self.server.url("/err.xml"), {"interval": "8s"})])
        first = self.server.wait_requests("/err.xml", 1, timeout=10)[0]
        wait_until(lambda: d.query("SELECT error_count FROM feeds")[0]["error_count"] == 1,
                   5, 0.05, "the failure recorded")
        self.assertStopsCleanly(d)
        d.start()
        second = self.server.wait_requests("/err.xml", 2, timeout=15)[1]
        self.assertGreaterEqual(second.time - first.time, 7.0,
                                "a restart must not cut the wait short")


class SettingsTest(HeraldTestCase):
    def test_disabled_feed_is_not_polled_and_leaves_the_output(self):
        other = [{"guid": "o-1", "link": "http://o.example.org/1", "title": "Other",
                  "date": recent(28)}]
        self.server.set("/on.xml", rss(ITEMS, title="On"))
        self.server.set("/off.xml", rss(other, title="Off"))
        d = self.new_daemon()
        feeds = [("on", self.server.url("/on.xml"), {"interval": "1s"}),
                 ("off", self.server.url("/off.xml"), {"interval": "1s"})]
        d.start(d.config(feeds, site_gap="0s"))
        d.wait_ids(IDS + ["o-1"])
        self.assertStopsCleanly(d)

        feeds[1] = ("off", self.server.url("/off.xml"), {"interval": "1s", "enabled": "no"})
        n = len(self.server.requests_for("/off.xml"))
        d.start(d.config(feeds, site_gap="0s"))
        d.wait_ids(IDS)
        self.server.wait_requests("/on.xml", len(self.server.requests_for("/on.xml")) + 2, 10)
        self.assertEqual(len(self.server.requests_for("/off.xml")), n)
        self.assertIn("disabled", heraldd_feeds(d)["off"])

    def test_user_agent_headers_and_basic_auth(self):
        self.server.set("/auth.xml", rss(ITEMS, title="Auth"))
        d = self.new_daemon()
        with open(os.path.join(d.dir, "pw.secret"), "w") as f:
            f.write("s3cret-pw\n")
        d.start(d.config([("auth", self.server.url("/auth.xml"), {
            "interval": "1h", "user_agent": "special-agent/2.0", "header": "X-One: first",
            "username": "bob", "password": "file:pw.secret"})]).replace(
                "header = X-One: first\n", "header = X-One: first\nheader = X-Two: second\n"))
        d.wait_ids(IDS)
        req = self.server.requests_for("/auth.xml")[0]
        self.assertEqual(req.header("User-Agent"), "special-agent/2.0")
        self.assertEqual(req.header("X-One"), "first")
        self.assertEqual(req.header("X-Two"), "second")
        self.assertEqual(req.header("Authorization"),
                         "Basic " + base64.b64encode(b"bob:s3cret-pw").decode())
        self.assertNotIn("s3cret-pw", d.log())


class FeedsCommandTest(HeraldTestCase):
    def test_feeds_lists_everything(self):
        self.server.set("/ok.xml", rss(ITEMS, title="OK"), etag='"v1"')
        self.server.set("/err.xml", b"oops\n", status=500, content_type="text/plain")
        self.server.set("/gone.xml", b"", status=410)
        self.server.set("/hinted.xml", rss(ITEMS, title="Hinted"),
                        headers={"Cache-Control": "max-age=7200"})
        d = self.start_daemon([
            ("ok", self.server.url("/ok.xml"), {"interval": "1s"}),
            ("hinted", self.server.url("/hinted.xml"), {"interval": "1s"}),
            ("err", self.server.url("/err.xml"), {"interval": "1h"}),
            ("gone", self.server.url("/gone.xml"), {"interval": "1s"}),
            ("off", self.server.url("/off.xml"), {"enabled": "no"}),
        ], site_gap="0s")
        d.wait_ids(IDS)
        self.server.wait_requests("/ok.xml", 3, timeout=10)  # 304s
        self.server.wait_requests("/err.xml", 1, timeout=10)
        self.server.wait_requests("/gone.xml", 1, timeout=10)
        self.server.wait_requests("/hinted.xml", 1, timeout=10)

        def settled():
            js = {f["name"]: f for f in heraldd_feeds(d, json_output=True)}
            ok = (js["err"]["state"] == "error" and js["gone"]["state"] == "gone"
                  and js["ok"]["not_modified"] >= 1 and js["hinted"]["hint"] is not None)
            return js if ok else None

        js = wait_until(settled, 10, 0.2, lambda: repr(heraldd_feeds(d, json_output=True)))
        self.assertEqual(list(js), ["ok", "hinted", "err", "gone", "off"])
        self.assertEqual(js["ok"]["state"], "ok")
        self.assertEqual(js["ok"]["entries"], 3)
        self.assertEqual(js["ok"]["last_status"], 304)
        self.assertEqual(js["off"]["state"], "disabled")
        self.assertEqual(js["err"]["error_class"], "http")
        self.assertEqual(js["err"]["last_status"], 500)
        self.assertIsNone(js["gone"]["next_poll"])
        # The politeness record: 304s spared bodies, no 429s, and the
        # interval taken against the server's hint (max-age is a floor).
        self.assertGreater(js["ok"]["bytes_saved"], 0)
        self.assertEqual(js["ok"]["throttled"], 0)
        self.assertEqual(js["hinted"]["hint"], 7200)
        self.assertEqual(js["hinted"]["hint_source"], "max-age")
        self.assertGreaterEqual(js["hinted"]["interval"], 7200)
        self.assertLessEqual(js["ok"]["interval"], 2)

        rows = heraldd_feeds(d)
        self.assertEqual(set(rows), {"ok", "hinted", "err", "gone", "off"})
        self.assertRegex(rows["hinted"], r"max-age 2h")
        self.assertRegex(rows["ok"], r"\bok\b.*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+304\b")
        self.assertRegex(rows["err"], r"\berror\b.*\b500\s+http: HTTP 500")
        self.assertRegex(rows["gone"], r"\bgone\b")
        self.assertRegex(rows["off"], r"\bdisabled\s+never\b")
        self.assertTrue(d.running())
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
