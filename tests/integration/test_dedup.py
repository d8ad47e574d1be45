"""Deduplication end to end: the same story carried by several feeds is one
entry of the merged feed, at the level the configuration chooses, with its
other sources as rel=related links; `heraldd why` explains it; a feed whose
guids churn is switched to link identity and its old entries do not come
back as new."""

import os
import unittest

from harness import HeraldTestCase, rss, recent, run_heraldd

# One central-bank decision told by two outlets in their own words.
WIRE = [
    {"guid": "wire-1001", "link": "https://wire.example.com/markets/ecb-holds-rates-1001",
     "title": "ECB holds interest rates at 2% as eurozone inflation cools",
     "description": "<p>The European Central Bank kept its deposit rate at 2% on Thursday, "
                    "saying inflation in the eurozone was settling near its target while "
                    "growth remained modest. President Christine Lagarde said policy was in a "
                    "good place.</p>",
     "date": recent(29, 12, 45)},
    {"guid": "wire-1002", "link": "https://wire.example.com/sport/cup-final-1002",
     "title": "Underdogs win the cup final on penalties",
     "description": "<p>A second-division side beat the champions on penalties after a "
                    "goalless draw in front of 80,000 fans.</p>",
     "date": recent(29, 20, 0)},
]
PAPER = [
    {"guid": "tag:paper.example.org,2026:ecb", "link": "https://paper.example.org/business/ecb",
     "title": "Lagarde keeps borrowing costs unchanged, says ECB is 'in a good place'",
     "description": "<p>Eurozone policymakers left the European Central Bank's deposit rate "
                    "at 2% on Thursday as inflation cools towards target, with Christine "
                    "Lagarde telling reporters that monetary policy was in a good place.</p>",
     "date": recent(29, 13, 30)},
    {"guid": "tag:paper.example.org,2026:garden", "link": "https://paper.example.org/life/garden",
     "title": "How to grow tomatoes on a balcony",
     "description": "<p>Five varieties that thrive in pots, and what to feed them.</p>",
     "date": recent(29, 9, 0)},
]
# A planet-style repost of the wire's sports story, with tracking parameters.
PLANET = [
    {"guid": "planet-77", "link": "http://WIRE.example.com:80/sport/cup-final-1002"
                                  "?utm_source=planet&utm_medium=rss#comments",
     "title": "Wire: Underdogs win the cup final on penalties",
     "description": "<p>Reposted.</p>", "date": recent(29, 21, 0)},
]

ECB_IDS = {"wire-1001", "tag:paper.example.org,2026:ecb"}
CUP_IDS = {"wire-1002", "planet-77"}


class DedupTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/wire.xml", rss(WIRE, title="Wire", link="https://wire.example.com/"))
        self.server.set("/paper.xml", rss(PAPER, title="Paper", link="https://paper.example.org/"))
        self.server.set("/planet.xml", rss(PLANET, title="Planet", link="https://planet.example/"))

    def feeds(self):
        return [(name, self.server.url("/%s.xml" % name), {"interval": "1s"})
                for name in ("wire", "paper", "planet")]

    def wait_polled(self, d):
        """Until each feed has been stored once."""
        d.wait_feed(lambda f: True)
        d.wait_log(r'feed "wire": \d+ entries')
        d.wait_log(r'feed "paper": \d+ entries')
        d.wait_log(r'feed "planet": \d+ entries')

    def groups(self, f):
        return sorted(sorted([e.id] + [h for rel, h in e.links if rel == "related"])
                      for e in f.entries)

    def test_story_level_shows_each_story_once_with_its_other_sources(self):
        d = self.new_daemon()  # dedup = story is the default
        d.start(d.config(self.feeds()) + '\n[output "raw"]\ndedup = none\n')
        f = d.wait_feed(lambda f: len(f.entries) == 3 and
                        sum(rel == "related" for e in f.entries for rel, _ in e.links) == 2,
                        timeout=15, message="three stories from five entries")
        by_story = {}
        for e in f.entries:
            related = [h for rel, h in e.links if rel == "related"]
            by_story[e.id] = related
        ecb = [i for i in by_story if i in ECB_IDS]
        cup = [i for i in by_story if i in CUP_IDS]
        self.assertEqual(len(ecb), 1, by_story)
        self.assertEqual(len(cup), 1, by_story)
        self.assertIn("tag:paper.example.org,2026:garden", by_story)
        self.assertEqual(len(by_story[ecb[0]]), 1, "the other outlet is a related link")
        self.assertEqual(len(by_story[cup[0]]), 1)
        self.assertEqual(by_story["tag:paper.example.org,2026:garden"], [])
        rows = d.query("SELECT count(*) AS n FROM entries")
        self.assertEqual(rows[0]["n"], 5, "every source entry is kept")
        # An output with its own level shows every entry.
        raw = d.fetch("/outputs/raw.atom")
        self.assertEqual(raw.body.count(b"<entry>"), 5, "dedup = none in [output]")

        # `heraldd why` explains both kinds of grouping.
        planet = run_heraldd(["why", "-c", d.conf_path,
                              "https://wire.example.com/sport/cup-final-1002?utm_source=x"])
        self.assertEqual(planet.returncode, 0, planet.stderr)
        story = d.query("SELECT id, story_rule FROM entries WHERE guid IN ('wire-1001',"
                        " 'tag:paper.example.org,2026:ecb') ORDER BY id")
        joined = [r["id"] for r in story if r["story_rule"] == "story"]
        self.assertEqual(len(joined), 1, story)
        why = run_heraldd(["why", "-c", d.conf_path, str(joined[0])])
        self.assertEqual(why.returncode, 0, why.stderr)
        self.assertIn("tells the same story: similarity", why.stdout)
        self.assertRegex(why.stdout, r"story: #\d+ \(2 entries\); joined it as a new source")
        missing = run_heraldd(["why", "-c", d.conf_path, "https://nowhere.example/"])
        self.assertEqual(missing.returncode, 3)
        self.assertIn("no entry has the id, guid or link", missing.stderr)
        self.assertStopsCleanly(d)

    def test_link_level_folds_only_the_same_link(self):
        d = self.start_daemon(self.feeds(), dedup="link")
        self.wait_polled(d)
        f = d.wait_feed(lambda f: len(f.entries) == 4, timeout=15,
                        message="four entries: the repost folded, the paraphrase not")
        ids = set(f.ids)
        self.assertTrue(ECB_IDS <= ids, ids)
        self.assertEqual(len(ids & CUP_IDS), 1, ids)

    def test_none_shows_every_entry_and_prefer_picks_the_representative(self):
        d = self.start_daemon(self.feeds(), dedup="none")
        d.wait_feed(lambda f: len(f.entries) == 5, timeout=15, message="all five entries")
        self.assertStopsCleanly(d)
        d2 = self.start_daemon(self.feeds(), dedup="link", dedup_prefer="planet")
        self.wait_polled(d2)
        f = d2.wait_feed(lambda f: len(f.entries) == 4, timeout=15, message="folded by link")
        self.assertIn("planet-77", f.ids, "the preferred feed's entry represents the story")
        self.assertNotIn("wire-1002", f.ids)

    def test_bad_dedup_settings_are_reported_with_their_line(self):
        d = self.new_daemon()
        text = d.config(self.feeds(), dedup="maybe", dedup_prefer="wire, nosuch")
        d.write_config(text)
        p = run_heraldd(["check", "-c", d.conf_path])
        self.assertEqual(p.returncode, 1)
        lines = text.splitlines()
        dedup_line = next(i for i, l in enumerate(lines, 1) if l.startswith("dedup ="))
        prefer_line = next(i for i, l in enumerate(lines, 1) if l.startswith("dedup_prefer"))
        self.assertIn("%s:%d: dedup must be none, link or story, not 'maybe'"
                      % (d.conf_path, dedup_line), p.stderr)
        self.assertIn("%s:%d: dedup_prefer: no feed is named \"nosuch\""
                      % (d.conf_path, prefer_line), p.stderr)


class ChurnTest(HeraldTestCase):
    def items(self, generation):
        """The same four posts; every generation gives them new guids (a CMS
        that mints a UUID per fetch), links unchanged."""
        return [{"guid": "urn:uuid:%d-%d" % (generation, n),
                 "link": "https://blog.example.net/2026/post-%d.html" % n,
                 "title": "Post number %d about event loops" % n,
                 "description": "<p>Body %d.</p>" % n, "date": recent(28, n)}
                for n in range(4)]

    def test_guid_churn_switches_the_feed_to_link_identity(self):
        self.server.set("/blog.xml", rss(self.items(0), title="Blog"))
        d = self.start_daemon([("blog", self.server.url("/blog.xml"), {"interval": "1s"})])
        d.wait_feed(lambda f: len(f.entries) == 4, message="four posts")
        self.server.set("/blog.xml", rss(self.items(1), title="Blog"))
        d.wait_log(r'feed "blog": its entries are now identified by link \(guids changed')
        self.server.set("/blog.xml", rss(self.items(2) + [{
            "guid": "urn:uuid:new", "link": "https://blog.example.net/2026/post-9.html",
            "title": "A genuinely new post", "date": recent(29)}], title="Blog"))
        f = d.wait_feed(lambda f: len(f.entries) == 5, message="only the new post is new")
        self.assertIn("urn:uuid:new", f.ids)
        rows = d.query("SELECT count(*) AS n FROM entries")
        self.assertEqual(rows[0]["n"], 5, "churned guids made no new rows")
        events = d.query("SELECT detail FROM feed_events WHERE kind = 'identity'")
        self.assertEqual(len(events), 1, events)
        self.assertIn("guids changed while links stayed the same", events[0]["detail"])
        self.assertEqual(len([l for l in d.log().splitlines() if "now identified by" in l]), 1,
                         "the switch is logged once")


if __name__ == "__main__":
    unittest.main()
