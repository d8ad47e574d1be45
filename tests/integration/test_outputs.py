"""Outputs: [output] sections select and filter entries; every output is
served as Atom, RSS 2.0 and JSON Feed 1.1, read here by three independent
consumers (python3-feedparser, newsboat, sfeed); and the HTTP caching rules
(strong ETags per representation, gzip, 304, HEAD, Vary, Cache-Control,
CORS) hold for real requests."""

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import feedparser

from harness import HeraldTestCase, rss, recent

TECH = [
    {"guid": "tech-1", "link": "https://tech.example.org/linux-6-20", "title": "Linux 6.20 released",
     "description": "<p>The kernel gains a new scheduler.</p>", "date": recent(29, 8),
     "raw": "<category>kernel</category>"},
    {"guid": "tech-2", "link": "https://tech.example.org/phone", "title": "A new phone",
     "description": "<p>Thinner than ever.</p>", "date": recent(29, 7)},
    {"guid": "tech-3", "link": "https://tech.example.org/gcc", "title": "GCC 16 is out",
     "description": "<p>Compilers &amp; more.</p>", "date": recent(28, 6),
     "raw": "<category>Linux</category>"},
]
WORLD = [
    {"guid": "world-1", "link": "https://world.example.net/summit", "title": "Leaders meet in Oslo",
     "description": "<p>Climate talks continue.</p>", "date": recent(29, 9)},
    {"guid": "world-2", "link": "https://world.example.net/old", "title": "An old story",
     "description": "<p>From last month.</p>", "date": recent(2, 9)},
]
SPORT = [
    {"guid": "sport-1", "link": "https://sport.example.com/cup", "title": "Football: cup final tonight",
     "description": "<p>Kick-off at eight.</p>", "date": recent(29, 10)},
    {"guid": "sport-2", "link": "https://sport.example.com/tennis", "title": "Tennis: a new champion",
     "description": "<p>Five sets.</p>", "date": recent(28, 10)},
]

# Output name -> ids it must carry, newest first.
WANT = {
    "news": ["world-1", "sport-2"],  # tags news; football excluded; max_age 7d drops world-2
    "tech": ["tech-1", "tech-3"],    # feed tech; include linux|kernel (title or category)
    "all": ["sport-1", "world-1", "tech-1", "tech-2", "sport-2", "tech-3", "world-2"],
}
LINKS = {e["guid"]: e["link"] for e in TECH + WORLD + SPORT}
TITLES = {e["guid"]: e["title"] for e in TECH + WORLD + SPORT}

OUTPUTS = """
[output "news"]
tags = news
exclude = football
max_age = 7d

[output "tech"]
feeds = tech
include = linux|kernel
"""


class OutputsTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/tech.xml", rss(TECH, title="Tech"))
        self.server.set("/world.xml", rss(WORLD, title="World"))
        self.server.set("/sport.xml", rss(SPORT, title="Sport"))
        self.d = self.new_daemon()
        text = self.d.config([
            ("tech", self.server.url("/tech.xml"), {"tags": "tech", "interval": "1s"}),
            ("world", self.server.url("/world.xml"), {"tags": "news"}),
            ("sport", self.server.url("/sport.xml"), {"tags": "news, sport"}),
        ], cache_max_age="5m", cors="yes") + OUTPUTS
        self.d.start(text)
        self.d.wait_feed(lambda f: len(f.entries) == 7, message="all seven entries")

    def get(self, path, **headers):
        return self.d.fetch(path, headers=headers)

    def parsed(self, name, ext):
        r = self.get("/outputs/%s.%s" % (name, ext))
        self.assertEqual(r.status, 200)
        return r, feedparser.parse(r.body)

    def test_feedparser_reads_every_format_of_every_output(self):
        # Debian's feedparser (6.0.10) reads Atom and RSS; JSON Feed is
        # checked against the spec below and in the next test.
        for name, ids in WANT.items():
            with self.subTest(output=name, format="json"):
                doc = json.loads(self.get("/outputs/%s.json" % name).body)
                self.assertEqual([i["id"] for i in doc["items"]], ids)
                self.assertEqual([i["url"] for i in doc["items"]], [LINKS[i] for i in ids])
                self.assertEqual([i["title"] for i in doc["items"]], [TITLES[i] for i in ids])
            for ext, version in (("atom", "atom10"), ("rss", "rss20")):
                with self.subTest(output=name, format=ext):
                    r, fp = self.parsed(name, ext)
                    self.assertFalse(fp.bozo, fp.get("bozo_exception"))
                    self.assertEqual(fp.version, version)
                    self.assertEqual([e.id for e in fp.entries], ids)
                    for e in fp.entries:
                        self.assertEqual(e.link, LINKS[e.id])
                        self.assertEqual(e.title, TITLES[e.id])
                        self.assertTrue(e.get("published_parsed") or e.get("updated_parsed"))
        # Sources: Atom's atom:source and RSS's <source url>.
        _, fp = self.parsed("all", "atom")
        self.assertEqual(fp.entries[0].source.title, "Sport")
        _, fp = self.parsed("all", "rss")
        self.assertEqual(fp.entries[0].source.href, self.server.url("/sport.xml"))

    def test_default_output_and_json_feed_fields(self):
        for ext in ("atom", "rss", "json"):
            a, b = self.get("/feed." + ext), self.get("/outputs/all." + ext)
            self.assertEqual(a.body, b.body, ext)
            self.assertEqual(a.headers["ETag"], b.headers["ETag"])
        doc = json.loads(self.get("/outputs/news.json").body)
        self.assertEqual(doc["version"], "https://jsonfeed.org/version/1.1")
        self.assertTrue(doc["title"])
        self.assertTrue(doc["feed_url"].endswith("/outputs/news.json"))
        for item in doc["items"]:
            self.assertIn("id", item)
            self.assertTrue("content_html" in item or "content_text" in item, item)
            self.assertEqual(item["_herald"]["source"]["feed_url"][:7], "http://")

    def test_sfeed_reads_atom_and_rss(self):
        if not shutil.which("sfeed"):
            self.fail("sfeed is not installed (contrib/install-deps.sh installs it)")
        for name in ("all", "news", "tech"):
            for ext in ("atom", "rss"):
                body = self.get("/outputs/%s.%s" % (name, ext)).body
                p = subprocess.run(["sfeed"], input=body, capture_output=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                links = [line.split(b"\t")[2].decode() for line in p.stdout.splitlines()]
                self.assertEqual(sorted(links), sorted(LINKS[i] for i in WANT[name]),
                                 (name, ext))

    def test_newsboat_reads_atom_and_rss(self):
        if not shutil.which("newsboat"):
            self.fail("newsboat is not installed (contrib/install-deps.sh installs it)")
        tmp = tempfile.mkdtemp(prefix="herald-newsboat-")
        self.addCleanup(shutil.rmtree, tmp, True)
        urls, conf, cache = (os.path.join(tmp, n) for n in ("urls", "config", "cache.db"))
        base = "http://127.0.0.1:%d" % self.d.port
        with open(urls, "w") as f:
            f.write(base + "/outputs/news.atom\n" + base + "/outputs/tech.rss\n")
        with open(conf, "w") as f:
            f.write("download-timeout 10\nmax-items 0\n")
        env = dict(os.environ, HOME=tmp, TERM="dumb",
                   XDG_CONFIG_HOME=os.path.join(tmp, "c"), XDG_DATA_HOME=os.path.join(tmp, "d"),
                   XDG_CACHE_HOME=os.path.join(tmp, "e"))
        p = subprocess.run(["newsboat", "-u", urls, "-C", conf, "-c", cache, "-x", "reload"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, "newsboat: %s %s" % (p.stdout, p.stderr))
        conn = sqlite3.connect(cache)
        try:
            rows = conn.execute("SELECT feedurl, title FROM rss_item").fetchall()
        finally:
            conn.close()
        got = {}
        for feedurl, title in rows:
            got.setdefault(feedurl.rsplit("/", 1)[1], set()).add(title)
        self.assertEqual(got, {"news.atom": {TITLES[i] for i in WANT["news"]},
                               "tech.rss": {TITLES[i] for i in WANT["tech"]}})

    def test_http_caching_rules(self):
        path = "/outputs/tech.atom"
        plain = self.get(path)
        self.assertEqual(plain.status, 200)
        self.assertEqual(plain.headers["Content-Type"], "application/atom+xml; charset=utf-8")
        self.assertEqual(plain.headers["Cache-Control"], "max-age=300")
        self.assertEqual(plain.headers["Vary"], "Accept-Encoding")
        self.assertEqual(plain.headers["Access-Control-Allow-Origin"], "*")
        self.assertIsNone(plain.headers.get("Content-Encoding"))
        etag = plain.headers["ETag"]
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')

        packed = self.get(path, **{"Accept-Encoding": "br, gzip;q=0.8"})
        self.assertEqual(packed.headers["Content-Encoding"], "gzip")
        self.assertEqual(gzip.decompress(packed.body), plain.body)
        gz_etag = packed.headers["ETag"]
        self.assertNotEqual(gz_etag, etag, "each representation has its own strong ETag")
        self.assertEqual(self.get(path, **{"Accept-Encoding": "gzip;q=0"}).headers.get(
            "Content-Encoding"), None)

        for headers, tag in (({"If-None-Match": etag}, etag),
                             ({"If-None-Match": gz_etag, "Accept-Encoding": "gzip"}, gz_etag)):
            r = self.get(path, **headers)
            self.assertEqual(r.status, 304, headers)
            self.assertEqual(r.headers["ETag"], tag)
            self.assertEqual(r.body, b"")
        # If-None-Match wins over If-Modified-Since.
        r = self.get(path, **{"If-None-Match": '"nope"',
                              "If-Modified-Since": plain.headers["Last-Modified"]})
        self.assertEqual(r.status, 200)
        r = self.get(path, **{"If-Modified-Since": plain.headers["Last-Modified"]})
        self.assertEqual(r.status, 304)
        head = self.d.fetch(path, method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers["ETag"], etag)
        self.assertEqual(int(head.headers["Content-Length"]), len(plain.body))
        for ext, ctype in (("rss", "application/rss+xml"), ("json", "application/feed+json")):
            self.assertEqual(self.get("/outputs/tech." + ext).headers["Content-Type"],
                             ctype + "; charset=utf-8")
        self.assertEqual(self.get("/outputs/nosuch.atom").status, 404)

        # Unchanged sources re-polled: the same bytes and validators.
        self.d.wait_log(r'feed "tech": unchanged')
        again = self.get(path)
        self.assertEqual(again.body, plain.body)
        self.assertEqual(again.headers["ETag"], etag)
        self.assertEqual(again.headers["Last-Modified"], plain.headers["Last-Modified"])


class ExportTest(HeraldTestCase):
    def test_export_dir_gets_every_output_atomically(self):
        self.server.set("/tech.xml", rss(TECH, title="Tech"))
        d = self.new_daemon()
        out = os.path.join(d.dir, "public")
        os.mkdir(out)
        d.start(d.config([("tech", self.server.url("/tech.xml"), {"interval": "1s"})],
                         export_dir=out) + '\n[output "tech"]\ninclude = linux|kernel\n')
        d.wait_feed(lambda f: len(f.entries) == 3, message="three entries")
        names = {"%s.%s%s" % (o, ext, gz) for o in ("all", "tech") for ext in ("atom", "rss", "json")
                 for gz in ("", ".gz")}
        from harness import wait_until
        wait_until(lambda: names <= set(os.listdir(out)), 10, 0.1,
                   lambda: "exported files; have %r" % os.listdir(out))
        wait_until(lambda: open(os.path.join(out, "all.atom"), "rb").read() ==
                   d.fetch("/outputs/all.atom").body, 10, 0.1, lambda: "all.atom as served")
        # One export job writes the files one after another: all.atom being
        # current does not make the others current yet (seen on a busy machine).
        def read(name):
            with open(os.path.join(out, name), "rb") as f:
                return f.read()
        for ext in ("atom", "rss", "json"):
            served = d.fetch("/outputs/tech." + ext).body
            wait_until(lambda: read("tech." + ext) == served, 10, 0.1,
                       lambda: "tech.%s as served" % ext)
            wait_until(lambda: gzip.decompress(read("tech.%s.gz" % ext)) == served, 10, 0.1,
                       lambda: "tech.%s.gz as served" % ext)
        self.assertFalse([n for n in os.listdir(out) if n.endswith(".tmp")], "no temporary files")
        # A new entry is exported too.
        self.server.set("/tech.xml", rss([{"guid": "tech-9", "link": "https://tech.example.org/9",
                                           "title": "Kernel 7.0", "date": recent(29, 12)}] + TECH,
                                         title="Tech"))
        wait_until(lambda: b"tech-9" in open(os.path.join(out, "tech.json"), "rb").read(), 15,
                   0.1, lambda: "tech-9 in the exported tech.json")


class PagingTest(HeraldTestCase):
    def test_archive_pages_let_a_reader_catch_up(self):
        items = [{"guid": "p-%d" % i, "link": "https://p.example/%d" % i, "title": "Post %d" % i,
                  "date": recent(10 + i)} for i in range(8)]
        self.server.set("/p.xml", rss(items, title="P"))
        d = self.start_daemon([("p", self.server.url("/p.xml"))], max_entries=3)
        d.wait_feed(lambda f: len(f.entries) == 3, message="three newest")
        base = "http://127.0.0.1:%d" % d.port
        seen, url, pages = set(), "/outputs/all.atom", 0
        while url:
            r = d.fetch(url)
            self.assertEqual(r.status, 200, url)
            fp = feedparser.parse(r.body)
            self.assertFalse(fp.bozo, fp.get("bozo_exception"))
            seen.update(e.id for e in fp.entries)
            links = {l.rel: l.href for l in fp.feed.links}
            if pages:
                self.assertIn(b"<fh:archive/>", r.body)
                self.assertEqual(links["current"], base + "/outputs/all.atom")
                self.assertEqual(r.headers["Cache-Control"], "max-age=31536000, immutable")
            nxt = links.get("prev-archive")
            url = nxt[len(base):] if nxt else None
            pages += 1
        self.assertEqual(seen, {i["guid"] for i in items}, "the archive covers every entry")
        self.assertEqual(pages, 3, "the document and two closed pages (ids 1-3, 4-6)")
        self.assertEqual(d.fetch("/outputs/all/archive/2.atom").status, 404, "not closed yet")
        self.assertEqual(d.fetch("/outputs/all/archive/01.atom").status, 404)
        self.assertEqual(d.fetch("/outputs/all/archive/1.txt").status, 404)
        # JSON Feed: next_url walks the same pages; RSS: atom:link.
        doc = json.loads(d.fetch("/outputs/all.json").body)
        self.assertEqual(doc["next_url"], base + "/outputs/all/archive/1.json")
        page1 = json.loads(d.fetch("/outputs/all/archive/1.json").body)
        self.assertEqual(page1["next_url"], base + "/outputs/all/archive/0.json")
        self.assertEqual([i["id"] for i in page1["items"]], ["p-5", "p-4", "p-3"])
        self.assertNotIn("next_url", json.loads(d.fetch("/outputs/all/archive/0.json").body))
        rss0 = d.fetch("/outputs/all.rss").body
        self.assertIn(b'rel="prev-archive"', rss0)
        self.assertFalse(feedparser.parse(rss0).bozo)


class OutputConfigTest(HeraldTestCase):
    def test_bad_outputs_are_reported_with_their_line(self):
        d = self.new_daemon()
        text = d.config([("a", "http://127.0.0.1:9/a.xml", {"tags": "x"})],
                        default_output="nosuch")
        text += '\n[output "bad name"]\n[output "o"]\nfeeds = a, b\ntags = y\ninclude = (unclosed\n'
        d.write_config(text)
        p = subprocess.run([os.environ["HERALDD"], "check", "-c", d.conf_path],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        lines = text.splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith('[output "o"]'))

        def line_of(prefix):
            return next(i for i, l in enumerate(lines, 1) if l.startswith(prefix) and
                        (i > start or prefix.startswith("[")))
        err = p.stderr
        self.assertIn("%s:%d: bad output name" % (d.conf_path, line_of('[output "bad')), err)
        self.assertIn('%s:%d: output "o": no feed is named "b"' % (d.conf_path, line_of("feeds")), err)
        self.assertIn('%s:%d: output "o": no feed has the tag "y"' % (d.conf_path, line_of("tags")),
                      err)
        self.assertIn('%s:%d: output "o": include: bad regular expression' % (
            d.conf_path, line_of("include")), err)
        self.assertIn('default_output: no output is named "nosuch"', err)


if __name__ == "__main__":
    unittest.main()
