"""Politeness towards each site, seen from the servers: per_site caps the
requests in flight to one site (not to others), site_gap spaces request
starts to one site, and a 429 with Retry-After pauses the whole site while
other sites go on. A site is the registrable domain; an IP literal is its
own site, so 127.0.0.1 and 127.0.0.2 are two sites."""

import time
import unittest

from harness import FixtureServer, HeraldTestCase, recent, rss, wait_until


def feed(tag, n=2):
    return rss([{"guid": "%s-%d" % (tag, i), "link": "http://%s.example.org/%d" % (tag, i),
                 "title": "%s %d" % (tag, i), "date": recent(20 + i, 9, 0)} for i in range(n)],
               title="Feed %s" % tag)


def max_overlap(intervals):
    """Most intervals [start, end) open at one instant (an end at the very
    moment of a start does not overlap it)."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
                    key=lambda ev: (ev[0], ev[1]))
    best = cur = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


class PoliteTestCase(HeraldTestCase):
    def other_site(self):
        """A second FixtureServer on 127.0.0.2: another site."""
        s = FixtureServer("127.0.0.2")
        self.addCleanup(s.stop)
        return s


class PerSiteTest(PoliteTestCase):
    def test_per_site_caps_one_site_not_another(self):
        paths = ["/f%d.xml" % i for i in range(6)]
        for p in paths:
            self.server.set(p, feed(p[1:3]), delay=0.5)
        other = self.other_site()
        other.set("/g.xml", feed("g"), delay=0.5)
        feeds = [("f%d" % i, self.server.url(p), {"interval": "1s"}) for i, p in enumerate(paths)]
        feeds.append(("g", other.url("/g.xml"), {"interval": "1s"}))
        self.start_daemon(feeds, per_site=2, site_gap="0s")

        def enough():
            done = [r for r in self.server.requests() if r.end is not None]
            return len(done) >= 18 and len([r for r in other.requests() if r.end]) >= 3
        wait_until(enough, 30, 0.1, lambda: "18 answered requests on site 1 (%d) and 3 on "
                   "site 2 (%d)" % (len(self.server.requests()), len(other.requests())))

        # Site 1 never had more than 2 requests in flight, and had 2 (the
        # six feeds due every second keep both slots busy).
        self.assertLessEqual(self.server.max_in_flight, 2, "per_site = 2 exceeded on 127.0.0.1")
        self.assertEqual(self.server.max_in_flight, 2, "per_site = 2 never reached")
        for p in paths:
            self.assertGreaterEqual(len(self.server.requests_for(p)), 2, "%s polled" % p)

        # Site 2 is not held back by site 1's slots: its requests overlap
        # two in flight on site 1.
        s1 = [(r.time, r.end) for r in self.server.requests() if r.end is not None]
        s2 = [(r.time, r.end) for r in other.requests() if r.end is not None]
        self.assertEqual(max_overlap(s1), 2)
        self.assertGreaterEqual(max_overlap(s1 + s2), 3,
                                "127.0.0.2 was served alongside 127.0.0.1's two")
        overlapping = [b for b in s2 if any(a[0] < b[1] and b[0] < a[1] for a in s1)]
        self.assertGreaterEqual(len(overlapping), 2, "requests to 127.0.0.2 overlapping "
                                "127.0.0.1's: %d of %d" % (len(overlapping), len(s2)))


class SiteGapTest(PoliteTestCase):
    def test_site_gap_spaces_request_starts(self):
        paths = ["/a.xml", "/b.xml", "/c.xml"]
        for p in paths:
            self.server.set(p, feed(p[1]))
        other = self.other_site()
        other.set("/o.xml", feed("o"))
        feeds = [(p[1], self.server.url(p), {"interval": "1s"}) for p in paths]
        feeds.append(("o", other.url("/o.xml"), {"interval": "1s"}))
        self.start_daemon(feeds, site_gap="1s")
        wait_until(lambda: len(self.server.requests()) >= 8, 20, 0.1,
                   lambda: "8 requests on 127.0.0.1 (saw %d)" % len(self.server.requests()))
        starts = sorted(r.time for r in self.server.requests())
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertGreaterEqual(min(gaps), 0.9, "request starts to one site: gaps %r"
                                % ["%.2f" % g for g in gaps])
        # Still polled steadily, every feed in turn.
        self.assertLessEqual(max(gaps), 2.5, "gaps %r" % ["%.2f" % g for g in gaps])
        for p in paths:
            self.assertGreaterEqual(len(self.server.requests_for(p)), 2, "%s polled" % p)
        # The gap is per site: the feed on 127.0.0.2 is not spaced against
        # 127.0.0.1's requests (nor slowed by them).
        o = [r.time for r in other.requests()]
        near = [t for t in o if any(abs(t - s) < 0.5 for s in starts)]
        self.assertGreaterEqual(len(o), 4)
        self.assertTrue(near, "a request to 127.0.0.2 within 0.5 s of one to 127.0.0.1: %r %r"
                        % (o, starts))


class SitePauseTest(PoliteTestCase):
    def test_429_pauses_the_whole_site(self):
        self.server.set("/a.xml", feed("a"))
        self.server.set("/b.xml", feed("b"))
        other = self.other_site()
        other.set("/c.xml", feed("c"))
        d = self.start_daemon([("a", self.server.url("/a.xml"), {"interval": "1s"}),
                               ("b", self.server.url("/b.xml"), {"interval": "1s"}),
                               ("c", other.url("/c.xml"), {"interval": "1s"})])
        d.wait_ids(["a-0", "a-1", "b-0", "b-1", "c-0", "c-1"])
        self.server.wait_requests("/b.xml", 2, timeout=10)

        # A's next poll gets 429 Retry-After: 3; the poll after that is fine.
        n = len(self.server.requests_for("/a.xml"))
        self.server.set("/a.xml", b"slow down\n", status=429, content_type="text/plain",
                        headers={"Retry-After": "3"})
        throttled = self.server.wait_requests("/a.xml", n + 1, timeout=10)[n]
        self.server.set("/a.xml", feed("a"))
        self.assertEqual(throttled.status, 429)
        t0 = throttled.time

        # B (same site) is resumed only after the pause; C (another site)
        # is polled all along.
        def b_after():
            late = [r for r in self.server.requests_for("/b.xml") if r.time > t0 + 2.5]
            return late[0] if late else None
        b_next = wait_until(b_after, 10, 0.05, lambda: "B polled again after the pause: %r"
                            % ["%.2f" % (r.time - t0) for r in self.server.requests_for("/b.xml")])
        during = [r.time - t0 for r in self.server.requests_for("/b.xml") if 0.3 < r.time - t0 < 2.7]
        self.assertEqual(during, [], "B polled while its site was paused (s after the 429)")
        self.assertLess(b_next.time - t0, 5.0, "B resumed soon after Retry-After")
        a_during = [r.time - t0 for r in self.server.requests_for("/a.xml") if 0 < r.time - t0 < 2.7]
        self.assertEqual(a_during, [], "A polled before its Retry-After")
        c_during = [r.time - t0 for r in other.requests_for("/c.xml") if 0 < r.time - t0 < 3.0]
        self.assertGreaterEqual(len(c_during), 2, "C (127.0.0.2) polled during the pause: %r"
                                % c_during)

        def recorded():
            rows = {r["name"]: r for r in d.query("SELECT * FROM feeds")}
            return rows if rows["a"]["throttled"] >= 1 else None
        rows = wait_until(recorded, 5, 0.1, lambda: repr(d.query("SELECT * FROM feeds")))
        self.assertEqual(rows["a"]["throttled"], 1)
        self.assertIsNotNone(rows["a"]["retry_after"])
        self.assertEqual(rows["b"]["throttled"], 0)
        self.assertEqual(rows["b"]["error_count"], 0, "a site pause is not B's failure")
        self.assertEqual(rows["c"]["error_count"], 0)
        self.assertTrue(d.running())
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
