"""OPML: `heraldd export-opml` lists the configured feeds (tags as
categories), `heraldd import-opml FILE` prints [feed] sections that
`heraldd check` accepts, and a config's `opml = FILE` makes the file's
outlines feeds that the daemon polls; a bad OPML file is a config error
with the OPML file's name and line."""

import os
import shutil
import tempfile
import textwrap
import unittest
import xml.etree.ElementTree as ET

from harness import HeraldTestCase, recent, rss, run_heraldd

SUBSCRIPTIONS = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Tech News">
      <outline type="rss" text="Alpha &amp; Co" title="Alpha &amp; Co"
               xmlUrl="http://a.example/feed.xml" category="/topics/Open Source"/>
      <outline type="rss" text="Beta ; weekly" xmlUrl="https://b.example/atom"/>
    </outline>
    <outline text="folder without feeds"/>
    <outline type="rss" text="Alpha again" xmlUrl="http://a.example/feed.xml"/>
    <outline type="rss" xmlUrl="http://c.example/rss"/>
  </body>
</opml>
"""


class OpmlCommandsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="herald-opml-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_export_lists_enabled_feeds_with_categories(self):
        conf = self.write("heraldd.conf", textwrap.dedent("""\
            [herald]
            database = herald.db
            title = Q&A <feeds>

            [feed "one"]
            url = http://one.example/feed?a=1&b=2
            title = One "quoted" & <odd>
            tags = tech, news

            [feed "off"]
            url = http://off.example/feed
            enabled = no

            [feed "two"]
            url = https://two.example/atom
            """))
        p = run_heraldd(["export-opml", "-c", conf])
        self.assertEqual(p.returncode, 0, p.stderr)
        root = ET.fromstring(p.stdout.encode("utf-8"))
        self.assertEqual(root.tag, "opml")
        self.assertEqual(root.get("version"), "2.0")
        self.assertEqual(root.find("head/title").text, "Q&A <feeds>")
        outlines = root.findall("body/outline")
        self.assertEqual([o.get("xmlUrl") for o in outlines],
                         ["http://one.example/feed?a=1&b=2", "https://two.example/atom"])
        one, two = outlines
        self.assertEqual(one.get("type"), "rss")
        self.assertEqual(one.get("title"), 'One "quoted" & <odd>')
        self.assertEqual(one.get("text"), 'One "quoted" & <odd>')
        self.assertEqual(one.get("category"), "tech,news")
        self.assertEqual(two.get("title"), "two")  # no title: the name
        self.assertIsNone(two.get("category"))
        # byte-identical for an unchanged config
        again = run_heraldd(["export-opml", "-c", conf])
        self.assertEqual(again.stdout, p.stdout)

    def test_export_needs_a_valid_config(self):
        conf = self.write("bad.conf", "[herald]\nfrobnicate = 1\n")
        p = run_heraldd(["export-opml", "-c", conf])
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.conf:2:", p.stderr)

    def test_import_prints_sections_check_accepts(self):
        opml = self.write("subs.opml", SUBSCRIPTIONS)
        p = run_heraldd(["import-opml", opml])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn('[feed "alpha--co"]\nurl = http://a.example/feed.xml\n'
                      "title = Alpha & Co\ntags = Tech-News, Open-Source\n", out)
        # the title would be cut at " ;" by the config reader: left out
        self.assertIn('[feed "beta--weekly"]\nurl = https://b.example/atom\n# title of line 8', out)
        self.assertIn("would be read as a comment", out)
        self.assertIn('[feed "httpc.examplerss"]\nurl = http://c.example/rss\n', out)
        self.assertEqual(out.count("[feed "), 3, out)  # the duplicate URL once

        conf = self.write("heraldd.conf", "[herald]\ndatabase = herald.db\n\n" + out)
        c = run_heraldd(["check", "-c", conf])
        self.assertEqual(c.returncode, 0, c.stderr + "\n" + out)
        self.assertIn("(3 feeds)", c.stdout)

        # what export-opml makes of it reads back the same
        e = run_heraldd(["export-opml", "-c", conf])
        self.assertEqual(e.returncode, 0, e.stderr)
        urls = [o.get("xmlUrl") for o in ET.fromstring(e.stdout.encode()).iter("outline")]
        self.assertEqual(urls, ["http://a.example/feed.xml", "https://b.example/atom",
                                "http://c.example/rss"])

    def test_import_bad_file(self):
        bad = self.write("bad.opml", "<opml>\n<body>\n<outline text='x'>\n</body>\n</opml>\n")
        p = run_heraldd(["import-opml", bad])
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.opml:4:", p.stderr)
        self.assertEqual(p.stdout, "")

        p = run_heraldd(["import-opml", os.path.join(self.tmp, "missing.opml")])
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.opml", p.stderr)

        p = run_heraldd(["import-opml"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("import-opml", p.stderr)

    def test_help_mentions_the_commands(self):
        p = run_heraldd(["--help"])
        self.assertIn("export-opml", p.stdout)
        self.assertIn("import-opml", p.stdout)

    def test_check_reports_the_opml_file_and_line(self):
        self.write("subs.opml", "<?xml version='1.0'?>\n<opml>\n<body>\n"
                                "<outline text='a' xmlUrl='http://a.example/'>\n"
                                "</body></opml>\n")
        conf = self.write("heraldd.conf", "[herald]\ndatabase = herald.db\nopml = subs.opml\n")
        p = run_heraldd(["check", "-c", conf])
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(os.path.join(self.tmp, "subs.opml") + ":5:", p.stderr)

        self.write("subs.opml", "<opml><body>\n"
                                "<outline text='ftp' xmlUrl='ftp://f.example/x'/>\n"
                                "</body></opml>\n")
        p = run_heraldd(["check", "-c", conf])
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("subs.opml:2:", p.stderr)
        self.assertIn("http", p.stderr)


ITEMS_A = [{"guid": "opml-a-%d" % i, "link": "http://a.example.org/%d" % i,
            "title": "A %d" % i, "date": recent(10 + i, 8, 0)} for i in range(1, 3)]
ITEMS_B = [{"guid": "opml-b-%d" % i, "link": "http://b.example.org/%d" % i,
            "title": "B %d" % i, "date": recent(10 + i, 9, 0)} for i in range(1, 3)]


class OpmlConfigTest(HeraldTestCase):
    def test_daemon_polls_the_feeds_of_the_opml_file(self):
        self.server.set("/a.xml", rss(ITEMS_A, title="Feed A"))
        self.server.set("/b.xml", rss(ITEMS_B, title="Feed B"))
        d = self.new_daemon()
        with open(os.path.join(d.dir, "subs.opml"), "w") as f:
            f.write(textwrap.dedent("""\
                <opml version="1.0"><body>
                  <outline text="Group">
                    <outline text="Feed A" xmlUrl="%s"/>
                    <outline text="Feed B" xmlUrl="%s"/>
                  </outline>
                </body></opml>
                """ % (self.server.url("/a.xml"), self.server.url("/b.xml"))))
        d.start(d.config(interval="1s", opml="subs.opml"))
        d.wait_ids([i["guid"] for i in ITEMS_A + ITEMS_B])
        self.assertGreaterEqual(len(self.server.requests_for("/a.xml")), 1)
        self.assertGreaterEqual(len(self.server.requests_for("/b.xml")), 1)
        names = {r["name"] for r in d.query("SELECT name FROM feeds")}
        self.assertTrue({"feed-a", "feed-b"} <= names, names)
        # export-opml lists them too, their folder as the category
        p = run_heraldd(["export-opml", "-c", d.conf_path])
        self.assertEqual(p.returncode, 0, p.stderr)
        cats = {o.get("xmlUrl"): o.get("category")
                for o in ET.fromstring(p.stdout.encode()).iter("outline")}
        self.assertEqual(cats, {self.server.url("/a.xml"): "Group",
                                self.server.url("/b.xml"): "Group"})
        # /opml serves the same document.
        r = d.fetch("/opml")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "text/x-opml; charset=utf-8")
        self.assertEqual(r.body, p.stdout.encode())
        self.assertEqual(d.fetch("/opml", headers={"If-None-Match": r.headers["ETag"]}).status,
                         304)
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
