"""Merging: several source feeds become one Atom feed, newest first, each
entry keeping its original id and naming its source."""

import unittest

from harness import HeraldTestCase, atom, parse_rfc3339, rss, recent

ALPHA = [  # RSS with guids
    {"guid": "alpha-1", "link": "http://alpha.example.org/posts/1", "title": "Alpha one",
     "description": "<p>first</p>", "date": recent(20, 10, 0)},
    {"guid": "alpha-2", "link": "http://alpha.example.org/posts/2", "title": "Alpha two",
     "description": "<p>second</p>", "date": recent(23, 8, 0)},
    {"guid": "alpha-3", "link": "http://alpha.example.org/posts/3", "title": "Alpha three",
     "description": "<p>third</p>", "date": recent(26, 12, 0)},
]
BETA = [  # Atom
    {"id": "urn:beta:1", "link": "http://beta.example.net/n/1", "title": "Beta one",
     "published": recent(21, 9, 0), "summary": "b1"},
    {"id": "urn:beta:2", "link": "http://beta.example.net/n/2", "title": "Beta two",
     "published": recent(24, 18, 30), "summary": "b2"},
    {"id": "urn:beta:3", "link": "http://beta.example.net/n/3", "title": "Beta three",
     "published": recent(27, 7, 15), "summary": "b3"},
]
GAMMA = [  # RSS; the second item has no guid: its link is its id
    {"guid": "gamma-1", "link": "http://gamma.example.com/a", "title": "Gamma one",
     "date": recent(22, 16, 45)},
    {"link": "http://gamma.example.com/b", "title": "Gamma two (no guid)",
     "date": recent(25, 5, 5)},
]

ALPHA_TITLE = "Alpha Blog"
BETA_TITLE = "Beta News"
GAMMA_OWN_TITLE = "Gamma's own title"
GAMMA_CONF_TITLE = "Gamma (configured title)"


def entry_id(e):
    return e.get("guid") or e.get("id") or e["link"]


def entry_date(e):
    return e.get("date") or e.get("published")


def expected():
    """(id, link, title, date, source title) of every entry, newest first."""
    rows = []
    for items, src in ((ALPHA, ALPHA_TITLE), (BETA, BETA_TITLE), (GAMMA, GAMMA_CONF_TITLE)):
        for e in items:
            rows.append((entry_id(e), e["link"], e["title"], entry_date(e), src))
    rows.sort(key=lambda r: r[3], reverse=True)
    return rows


class MergeTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/alpha.xml", rss(ALPHA, title=ALPHA_TITLE, link="http://alpha.example.org/"))
        self.server.set("/beta.atom", atom(BETA, title=BETA_TITLE, feed_id="urn:beta:feed",
                                           link="http://beta.example.net/"))
        self.server.set("/gamma.xml", rss(GAMMA, title=GAMMA_OWN_TITLE,
                                          link="http://gamma.example.com/"))

    def feeds(self):
        return [
            ("alpha", self.server.url("/alpha.xml"), {"interval": "1s"}),
            ("beta", self.server.url("/beta.atom"), {"interval": "1s"}),
            ("gamma", self.server.url("/gamma.xml"), {"interval": "1s", "title": GAMMA_CONF_TITLE}),
        ]

    def test_all_entries_merged_newest_first_with_sources(self):
        d = self.start_daemon(self.feeds())
        want = expected()
        f = d.wait_ids([r[0] for r in want])

        self.assertEqual(f.ids, [r[0] for r in want], "entries not ordered newest first")
        for (eid, link, title, date, src), e in zip(want, f.entries):
            with self.subTest(id=eid):
                self.assertEqual(e.link, link)
                self.assertEqual(e.title, title)
                self.assertEqual(parse_rfc3339(e.published), date, "published of %s" % eid)
                self.assertIsNotNone(e.updated, "atom:updated is required")
                parse_rfc3339(e.updated)
                self.assertIsNotNone(e.source, "entry %s has no atom:source" % eid)
                self.assertTrue(e.source["id"], "atom:source of %s has no id" % eid)
                if src != GAMMA_CONF_TITLE:  # the override has its own test
                    self.assertEqual(e.source["title"], src)
        self.assertTrue(f.id, "merged feed has no atom:id")
        self.assertTrue(f.title, "merged feed has no atom:title")
        parse_rfc3339(f.updated)

    def test_configured_title_overrides_feed_title(self):
        d = self.start_daemon(self.feeds())
        f = d.wait_ids([r[0] for r in expected()])
        for eid in ("gamma-1", "http://gamma.example.com/b"):
            e = f.by_id(eid)
            self.assertEqual(e.source["title"], GAMMA_CONF_TITLE, "source title of %s" % eid)

    def test_second_poll_adds_nothing(self):
        d = self.start_daemon(self.feeds())
        want = [r[0] for r in expected()]
        first = d.wait_ids(want)
        # Three requests each: the second poll has been fully processed once
        # the third one starts (a feed is polled again only after its result).
        for path in ("/alpha.xml", "/beta.atom", "/gamma.xml"):
            self.server.wait_requests(path, 3, timeout=15)
        again = d.feed()
        self.assertEqual(again.ids, first.ids)
        rows = d.query("SELECT count(*) AS n FROM entries")
        self.assertEqual(rows[0]["n"], len(want), "entries rows after re-polls")

    def test_new_entry_appears_after_next_poll(self):
        d = self.start_daemon(self.feeds())
        want = [r[0] for r in expected()]
        d.wait_ids(want)
        new = {"guid": "alpha-4", "link": "http://alpha.example.org/posts/4", "title": "Alpha four",
               "date": recent(28, 9, 30)}
        self.server.set("/alpha.xml", rss([new] + ALPHA, title=ALPHA_TITLE,
                                          link="http://alpha.example.org/"))
        f = d.wait_ids(want + ["alpha-4"], timeout=15)
        self.assertEqual(f.ids[0], "alpha-4", "the newest entry must come first")
        self.assertEqual(f.entries[0].link, new["link"])
        self.assertEqual(f.entries[0].source["title"], ALPHA_TITLE)
        self.assertEqual(f.ids[1:], want)

    def test_changed_entry_is_updated_in_place(self):
        d = self.start_daemon(self.feeds())
        want = [r[0] for r in expected()]
        d.wait_ids(want)
        changed = [dict(e) for e in BETA]
        changed[1]["title"] = "Beta two (corrected)"
        changed[1]["updated"] = recent(28, 10, 0)
        self.server.set("/beta.atom", atom(changed, title=BETA_TITLE, feed_id="urn:beta:feed",
                                           link="http://beta.example.net/"))
        f = d.wait_feed(lambda f: f.by_id("urn:beta:2") and
                        f.by_id("urn:beta:2").title == "Beta two (corrected)",
                        timeout=15, message="the corrected title of urn:beta:2")
        self.assertEqual(f.ids, want, "an update is not a new entry and keeps its place")
        self.assertEqual(parse_rfc3339(f.by_id("urn:beta:2").updated), recent(28, 10, 0))
        rows = d.query("SELECT count(*) AS n FROM entries")
        self.assertEqual(rows[0]["n"], len(want))

    def test_max_entries_caps_the_output(self):
        d = self.start_daemon(self.feeds(), max_entries=5)
        for path in ("/alpha.xml", "/beta.atom", "/gamma.xml"):
            self.server.wait_requests(path, 2, timeout=15)
        top5 = [r[0] for r in expected()][:5]
        f = d.wait_feed(lambda f: f.ids == top5, timeout=10,
                        message="the 5 newest entries %r" % top5)
        self.assertEqual(len(f.entries), 5)

    def test_polls_carry_the_configured_user_agent(self):
        ua = "HeraldTest/9.9 (+http://example.org/herald-test)"
        self.start_daemon(self.feeds(), user_agent=ua)
        for path in ("/alpha.xml", "/beta.atom", "/gamma.xml"):
            req = self.server.wait_requests(path, 1, timeout=10)[0]
            self.assertEqual(req.header("User-Agent"), ua, path)
            self.assertEqual(req.method, "GET")


if __name__ == "__main__":
    unittest.main()
