"""Conditional GET, both ways: heraldd echoes the validators of the feeds it
polls, and answers conditional requests for its own output."""

import re
import unittest

from harness import HeraldTestCase, rss, recent


def items(prefix, n, day0=10):
    return [{"guid": "%s-%d" % (prefix, i), "link": "http://%s.example.org/%d" % (prefix, i),
             "title": "%s entry %d" % (prefix, i), "date": recent(day0 + i, 12, 0)}
            for i in range(1, n + 1)]


class PollingTest(HeraldTestCase):
    """Validators sent by the fixture server come back on the next poll."""

    def test_etag_echoed_as_if_none_match_and_304_changes_nothing(self):
        strong, weak = '"v1-7f3a/9c=="', 'W/"w-42"'
        e_items, w_items = items("etag", 3), items("weak", 2, day0=20)
        self.server.set("/etag.xml", rss(e_items, title="ETag feed"), etag=strong)
        self.server.set("/weak.xml", rss(w_items, title="Weak feed"), etag=weak)
        d = self.start_daemon([("etag", self.server.url("/etag.xml"), {"interval": "1s"}),
                               ("weak", self.server.url("/weak.xml"), {"interval": "1s"})])
        want = [i["guid"] for i in e_items + w_items]
        before = d.wait_ids(want)

        reqs = self.server.wait_requests("/etag.xml", 3, timeout=15)
        self.assertIsNone(reqs[0].header("If-None-Match"), "first poll of a new feed")
        self.assertEqual(reqs[0].status, 200)
        for r in reqs[1:3]:
            self.assertEqual(r.header("If-None-Match"), strong, "re-poll must echo the ETag verbatim")
            self.assertEqual(r.status, 304)
        wreqs = self.server.wait_requests("/weak.xml", 2, timeout=15)
        self.assertEqual(wreqs[1].header("If-None-Match"), weak, "weak ETags are echoed verbatim too")

        # The 304s changed nothing: same entries, same stored validator.
        after = d.feed()
        self.assertEqual(after.ids, before.ids)
        rows = d.query("SELECT etag FROM feeds WHERE name = ?", ("etag",))
        self.assertEqual(rows, [{"etag": strong}])
        self.assertEqual(d.query("SELECT count(*) AS n FROM entries")[0]["n"], len(want))

        # A changed feed with a new ETag: the new entry appears and the next
        # poll carries the new validator.
        strong2 = '"v2-8b1c"'
        new = items("etag", 4)
        self.server.set("/etag.xml", rss(new, title="ETag feed"), etag=strong2)
        d.wait_ids(want + ["etag-4"], timeout=15)
        seen = len(self.server.requests_for("/etag.xml"))
        last = self.server.wait_requests("/etag.xml", seen + 1, timeout=15)[-1]
        self.assertEqual(last.header("If-None-Match"), strong2)
        self.assertEqual(last.status, 304)

    def test_last_modified_echoed_as_if_modified_since(self):
        lm = "Tue, 24 Nov 2026 10:00:00 GMT"
        lm_items = items("lm", 3)
        self.server.set("/lm.xml", rss(lm_items, title="LM feed"), last_modified=lm)
        d = self.start_daemon([("lm", self.server.url("/lm.xml"), {"interval": "1s"})])
        want = [i["guid"] for i in lm_items]
        before = d.wait_ids(want)

        reqs = self.server.wait_requests("/lm.xml", 3, timeout=15)
        self.assertIsNone(reqs[0].header("If-Modified-Since"))
        for r in reqs[1:3]:
            self.assertEqual(r.header("If-Modified-Since"), lm, "re-poll must echo Last-Modified")
            self.assertIsNone(r.header("If-None-Match"), "no ETag was ever sent")
            self.assertEqual(r.status, 304)
        self.assertEqual(d.feed().ids, before.ids)
        rows = d.query("SELECT last_modified FROM feeds WHERE name = ?", ("lm",))
        self.assertEqual(rows, [{"last_modified": lm}])


class OutputTest(HeraldTestCase):
    """/feed.atom carries a strong ETag and honours If-None-Match."""

    def test_feed_atom_etag_and_304(self):
        # No validators on the source: every poll is a full 200 with the same
        # body, which must not change the output.
        src = items("out", 3)
        self.server.set("/out.xml", rss(src, title="Output feed"))
        d = self.start_daemon([("out", self.server.url("/out.xml"), {"interval": "1s"})])
        want = [i["guid"] for i in src]
        d.wait_ids(want)

        r = d.fetch("/feed.atom")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type", "").startswith("application/atom+xml"),
                        r.header("Content-Type"))
        etag = r.header("ETag")
        self.assertIsNotNone(etag, "no ETag on /feed.atom")
        self.assertRegex(etag, r'^"[\x21\x23-\x7e]+"$', "ETag must be strong and quoted")

        nm = d.fetch("/feed.atom", {"If-None-Match": etag})
        self.assertEqual(nm.status, 304)
        self.assertEqual(nm.body, b"", "a 304 has no body")
        self.assertEqual(nm.header("ETag"), etag, "a 304 repeats the ETag")

        listed = d.fetch("/feed.atom", {"If-None-Match": '"nope", %s' % etag})
        self.assertEqual(listed.status, 304, "If-None-Match with a list")

        other = d.fetch("/feed.atom", {"If-None-Match": '"something-else"'})
        self.assertEqual(other.status, 200)
        self.assertEqual(other.body, r.body)

        lm = r.header("Last-Modified")
        if lm is not None:  # optional, but honoured when sent
            self.assertEqual(d.fetch("/feed.atom", {"If-Modified-Since": lm}).status, 304)
            self.assertEqual(d.fetch("/feed.atom", {"If-Modified-Since": lm,
                                                    "If-None-Match": '"other"'}).status, 200,
                             "If-None-Match wins over If-Modified-Since")

        head = d.fetch("/feed.atom", method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("ETag"), etag)

        # Re-polls that find nothing new keep the output and its ETag.
        seen = len(self.server.requests_for("/out.xml"))
        self.server.wait_requests("/out.xml", seen + 2, timeout=15)
        self.assertEqual(d.fetch("/feed.atom", {"If-None-Match": etag}).status, 304,
                         "ETag changed although no entry changed")

        # A new entry: new ETag, the old one no longer matches.
        self.server.set("/out.xml", rss(items("out", 4), title="Output feed"))
        d.wait_ids(want + ["out-4"], timeout=15)
        r2 = d.fetch("/feed.atom", {"If-None-Match": etag})
        self.assertEqual(r2.status, 200)
        self.assertNotEqual(r2.header("ETag"), etag)
        self.assertTrue(re.match(r'^"[^"]+"$', r2.header("ETag") or ""))


if __name__ == "__main__":
    unittest.main()
