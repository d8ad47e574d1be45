"""Real consumers read the merged feed: python3-feedparser and newsboat."""

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import feedparser

from harness import HeraldTestCase, atom, rss, recent

# RSS with content:encoded and dc:creator, titles with markup characters and
# non-ASCII text.
NOTES = [
    {"guid": "https://notes.example.org/2026/11/stdio-tips", "permalink": True,
     "link": "https://notes.example.org/2026/11/stdio-tips",
     "title": "Tips & tricks for <stdio.h>", "author": "Mara Lindqvist",
     "description": "setvbuf &amp; friends", "date": recent(27, 18, 0),
     "content": "<p>Use <code>setvbuf(stdout, NULL, _IOLBF, 0)</code> &mdash; line buffering.</p>"},
    {"guid": "notes-epoll-2", "link": "https://notes.example.org/2026/11/epoll-2",
     "title": "R\u00e9sum\u00e9 of the \u201cepoll\u201d debate \u2014 part 2", "author": "Jonas \u00c5berg",
     "description": "Edge- versus level-triggered, again.", "date": recent(24, 7, 30),
     "content": "<p>\u00c9dition sp\u00e9ciale.</p>"},
    {"guid": "notes-3", "link": "https://notes.example.org/2026/11/three",
     "title": "Three small daemons", "date": recent(19, 12, 0)},
]
# Atom with relative links resolved against xml:base.
DIGEST = [
    {"id": "urn:uuid:5e0c9a4e-1111-4c2b-9d1e-000000000001", "link": "issues/12.html",
     "title": "Digest 12: page splits", "published": recent(28, 6, 0),
     "summary": "<p>B-tree page splits.</p>"},
    {"id": "urn:uuid:5e0c9a4e-1111-4c2b-9d1e-000000000002", "link": "issues/11.html",
     "title": "Digest 11: fsync", "published": recent(21, 6, 0),
     "summary": "<p>Sync the directory too.</p>"},
]
DIGEST_BASE = "https://digest.example.com/archive/"
# Plain RSS.
PLANET = [
    {"guid": "planet-a", "link": "https://planet.example.net/a", "title": "Planet A",
     "date": recent(26, 9, 0)},
    {"guid": "planet-b", "link": "https://planet.example.net/b", "title": "Planet B",
     "date": recent(16, 9, 0)},
]


def originals():
    """{id: (absolute link, title, date)} of every source entry."""
    out = {}
    for e in NOTES + PLANET:
        out[e["guid"]] = (e["link"], e["title"], e["date"])
    for e in DIGEST:
        out[e["id"]] = (DIGEST_BASE + e["link"], e["title"], e["published"])
    return out


class ConsumersTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/notes.xml", rss(NOTES, title="Notes"))
        self.server.set("/digest.atom", atom(DIGEST, title="Digest", base=DIGEST_BASE,
                                             feed_id="urn:uuid:digest-feed"))
        self.server.set("/planet.xml", rss(PLANET, title="Planet"))
        self.d = self.start_daemon([
            ("notes", self.server.url("/notes.xml"), {"interval": "1s"}),
            ("digest", self.server.url("/digest.atom"), {"interval": "1s"}),
            ("planet", self.server.url("/planet.xml"), {"interval": "1s"}),
        ])
        self.want = originals()
        self.d.wait_ids(self.want.keys())
        self.url = "http://127.0.0.1:%d/feed.atom" % self.d.port

    def test_feedparser_reads_the_merged_feed(self):
        r = self.d.fetch("/feed.atom")
        fp = feedparser.parse(r.body, response_headers={"content-type": r.header("Content-Type")})
        self.assertFalse(fp.bozo, "feedparser bozo: %r" % fp.get("bozo_exception"))
        self.assertEqual(fp.version, "atom10")
        self.assertEqual(len(fp.entries), len(self.want))
        self.assertEqual({e.id for e in fp.entries}, set(self.want))
        newest_first = sorted(self.want, key=lambda k: self.want[k][2], reverse=True)
        self.assertEqual([e.id for e in fp.entries], newest_first)
        for e in fp.entries:
            link, title, date = self.want[e.id]
            with self.subTest(id=e.id):
                self.assertEqual(e.link, link)
                self.assertEqual(e.title, title)
                self.assertEqual(dt.datetime(*e.published_parsed[:6], tzinfo=dt.timezone.utc), date)
                self.assertIn("source", e, "no atom:source")
                self.assertIn(e.source.get("title"), ("Notes", "Digest", "Planet"))
        by_id = {e.id: e for e in fp.entries}
        self.assertEqual(by_id["notes-epoll-2"].get("author"), "Jonas \u00c5berg")

    def test_newsboat_reads_the_merged_feed(self):
        if not shutil.which("newsboat"):
            self.fail("newsboat is not installed (contrib/install-deps.sh installs it)")
        tmp = tempfile.mkdtemp(prefix="herald-newsboat-")
        self.addCleanup(shutil.rmtree, tmp, True)
        urls, conf, cache = (os.path.join(tmp, n) for n in ("urls", "config", "cache.db"))
        with open(urls, "w") as f:
            f.write(self.url + "\n")
        with open(conf, "w") as f:
            f.write("download-timeout 10\nmax-items 0\n")
        env = dict(os.environ, HOME=tmp, TERM="dumb",
                   XDG_CONFIG_HOME=os.path.join(tmp, "config-home"),
                   XDG_DATA_HOME=os.path.join(tmp, "data-home"),
                   XDG_CACHE_HOME=os.path.join(tmp, "cache-home"))
        p = subprocess.run(["newsboat", "-u", urls, "-C", conf, "-c", cache, "-x", "reload"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, "newsboat: %s %s" % (p.stdout, p.stderr))
        self.assertEqual(self.d.fetch("/healthz").status, 200)
        conn = sqlite3.connect(cache)
        try:
            rows = conn.execute("SELECT guid, url, feedurl FROM rss_item").fetchall()
        finally:
            conn.close()
        self.assertEqual(len(rows), len(self.want), "rss_item rows: %r" % rows)
        self.assertEqual({r[0] for r in rows}, set(self.want))
        for guid, url, feedurl in rows:
            with self.subTest(guid=guid):
                self.assertEqual(url, self.want[guid][0])
                self.assertEqual(feedurl, self.url)


if __name__ == "__main__":
    unittest.main()
