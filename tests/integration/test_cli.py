"""The command line: --version, --help, `check` with file:line errors, and
`parse` printing JSON Feed 1.1."""

import json
import os
import re
import shutil
import tempfile
import textwrap
import unittest

from harness import SOURCE_DIR, atom, free_port, parse_rfc3339, rss, run_heraldd, utc

JSONFEED_11 = "https://jsonfeed.org/version/1.1"


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*herald\s+VERSION\s+([0-9.]+)", f.read())
    return m.group(1)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="herald-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text, dedent=True):
        path = os.path.join(self.tmp, name)
        mode = "wb" if isinstance(text, bytes) else "w"
        with open(path, mode) as f:
            f.write(textwrap.dedent(text).lstrip("\n") if dedent and mode == "w" else text)
        return path

    # -- version and help ---------------------------------------------------

    def test_version(self):
        p = run_heraldd(["--version"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0].strip(), "heraldd " + project_version())

    def test_help(self):
        p = run_heraldd(["--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ("check", "parse", "-c"):
            self.assertIn(word, p.stdout, "--help should mention %s" % word)

    def test_unknown_option_and_subcommand(self):
        for args in (["--no-such-option"], ["frobnicate", "-c", "x.conf"]):
            with self.subTest(args=args):
                p = run_heraldd(args)
                self.assertNotEqual(p.returncode, 0)
                self.assertTrue(p.stderr.strip(), "an error message on stderr")

    # -- check ----------------------------------------------------------------

    def test_check_accepts_a_complete_config(self):
        self.write("local.xml", rss([{"guid": "x", "link": "http://x.example/", "title": "x"}]))
        conf = self.write("good.conf", """
            ; Herald test config using every documented key
            # hash comments work too
            [herald]
            database = state/herald.db
            listen = 127.0.0.1:%d
            interval = 15m
            user_agent = HeraldTest/1.0 (+http://example.org/bot)
            max_entries = 50
            max_concurrent = 4
            timeout = 30s
            connect_timeout = 10s
            max_feed_size = 8M
            max_redirects = 5
            log_level = info

            [feed "a"]
            url = http://127.0.0.1:9/a.xml
            interval = 90s
            title = Feed A

            [feed "b"]
            url = https://example.org/b.xml   ; trailing comment
            interval = 2h

            [feed "local file"]
            url = file:local.xml
            interval = 1d
            """ % free_port())
        p = run_heraldd(["check", "-c", conf])
        self.assertEqual(p.returncode, 0, "stdout=%r stderr=%r" % (p.stdout, p.stderr))
        self.assertNotRegex(p.stderr, r"good\.conf:\d+:", "no error lines")
        p = run_heraldd(["check", "--config", conf])
        self.assertEqual(p.returncode, 0, p.stderr)

    def check_fails(self, text, lines, *words):
        """Writes bad.conf, runs check, asserts exit 1 and an error naming
        bad.conf and one of lines (an int or a collection of ints); returns
        stderr."""
        conf = self.write("bad.conf", text)
        p = run_heraldd(["check", "-c", conf])
        self.assertEqual(p.returncode, 1, "check of:\n%s\nstdout=%r stderr=%r"
                         % (text, p.stdout, p.stderr))
        allowed = {lines} if isinstance(lines, int) else set(lines)
        found = [int(n) for n in re.findall(r"bad\.conf:(\d+):", p.stderr)]
        self.assertTrue(allowed & set(found), "expected bad.conf:%s: in stderr %r"
                        % ("|".join(map(str, sorted(allowed))), p.stderr))
        for w in words:
            self.assertIn(w.lower(), p.stderr.lower())
        return p.stderr

    def test_unknown_key_names_its_line(self):
        self.check_fails("""
            [herald]
            database = herald.db
            listen = 127.0.0.1:8080
            interval = 30m
            colour = blue

            [feed "a"]
            url = http://127.0.0.1:9/a.xml
            """, 5, "colour")

    def test_unknown_section(self):
        # The section header is line 4; a parser that reports the first key
        # of the section (line 5) is accepted too.
        self.check_fails("""
            [herald]
            listen = 127.0.0.1:8080

            [mirror]
            url = http://127.0.0.1:9/a.xml
            """, (4, 5), "mirror")

    def test_bad_durations(self):
        cases = ["interval = 5 parsecs", "interval = 0s", "interval = soon",
                 "connect_timeout = 5 parsecs"]
        for line in cases:
            with self.subTest(line=line):
                self.check_fails("""
                    [herald]
                    listen = 127.0.0.1:8080
                    %s

                    [feed "a"]
                    url = http://127.0.0.1:9/a.xml
                    """ % line, 3)
        with self.subTest(where="feed section"):
            self.check_fails("""
                [herald]
                listen = 127.0.0.1:8080

                [feed "a"]
                url = http://127.0.0.1:9/a.xml
                interval = 5 parsecs
                """, 6)

    def test_bad_values(self):
        cases = ["max_entries = lots", "max_entries = -1", "log_level = loud",
                 "max_feed_size = huge", "max_redirects = many"]
        for line in cases:
            with self.subTest(line=line):
                self.check_fails("""
                    [herald]
                    listen = 127.0.0.1:8080
                    %s

                    [feed "a"]
                    url = http://127.0.0.1:9/a.xml
                    """ % line, 3)

    def test_feed_without_url(self):
        self.check_fails("""
            [herald]
            listen = 127.0.0.1:8080

            [feed "nourl"]
            title = No URL here

            [feed "ok"]
            url = http://127.0.0.1:9/ok.xml
            """, (4, 5, 6), "url")

    def test_feed_with_unsupported_scheme(self):
        self.check_fails("""
            [herald]
            listen = 127.0.0.1:8080

            [feed "ftp"]
            url = ftp://127.0.0.1/feed.xml
            """, 5)

    def test_bad_listen(self):
        for value in ("127.0.0.1:99999", "127.0.0.1:eighty", "just-a-word"):
            with self.subTest(listen=value):
                self.check_fails("""
                    [herald]
                    interval = 30m
                    listen = %s

                    [feed "a"]
                    url = http://127.0.0.1:9/a.xml
                    """ % value, 3)

    def test_every_error_is_reported(self):
        stderr = self.check_fails("""
            [herald]
            listen = 127.0.0.1:8080
            colour = blue

            [feed "a"]
            url = http://127.0.0.1:9/a.xml
            interval = 5 parsecs
            """, 3)
        self.assertIn("bad.conf:7:", stderr, "the second error is reported too")

    def test_run_refuses_a_bad_config(self):
        port = free_port()
        conf = self.write("bad.conf", """
            [herald]
            listen = 127.0.0.1:%d
            colour = blue
            """ % port)
        p = run_heraldd(["-c", conf], timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("bad.conf:3:", p.stderr)

    # -- parse ----------------------------------------------------------------

    def parse_json(self, path):
        p = run_heraldd(["parse", path])
        self.assertEqual(p.returncode, 0, p.stderr)
        try:
            doc = json.loads(p.stdout)
        except ValueError as exc:
            self.fail("parse output is not JSON (%s): %r" % (exc, p.stdout[:500]))
        self.assertEqual(doc.get("version"), JSONFEED_11)
        self.assertIsInstance(doc.get("title"), str, "JSON Feed requires title")
        self.assertIsInstance(doc.get("items"), list, "JSON Feed requires items")
        for item in doc["items"]:
            self.assertIsInstance(item.get("id"), str, "JSON Feed items require a string id")
            self.assertTrue(item["id"])
            for key in ("date_published", "date_modified"):
                if key in item:
                    parse_rfc3339(item[key])
        return doc

    def test_parse_rss_prints_json_feed(self):
        items = [
            {"guid": "p-1", "link": "http://p.example.org/1", "title": "First & <best>",
             "date": utc(2026, 11, 25, 10, 15), "content": "<p>one</p>", "author": "Ann"},
            {"guid": "p-2", "link": "http://p.example.org/2", "title": "Second",
             "date": utc(2026, 11, 22, 8, 0), "description": "<p>two</p>"},
            {"link": "http://p.example.org/3", "title": "Third, without guid",
             "date": utc(2026, 11, 20, 8, 0)},
        ]
        path = self.write("fixture.xml", rss(items, title="Parse Fixture",
                                             link="http://p.example.org/"))
        doc = self.parse_json(path)
        self.assertEqual(doc["title"], "Parse Fixture")
        self.assertEqual(doc.get("home_page_url"), "http://p.example.org/")
        self.assertEqual(len(doc["items"]), 3)
        got = doc["items"]
        self.assertEqual([i["id"] for i in got[:2]], ["p-1", "p-2"])
        self.assertEqual([i.get("url") for i in got], [i["link"] for i in items])
        self.assertEqual([i.get("title") for i in got], [i["title"] for i in items])
        for item, src in zip(got, items):
            self.assertEqual(parse_rfc3339(item["date_published"]), src["date"])
        self.assertIn("one", got[0].get("content_html", ""))

    def test_parse_atom_resolves_xml_base(self):
        entries = [{"id": "urn:x:1", "link": "posts/1.html", "title": "Relative",
                    "published": utc(2026, 11, 26, 9, 0), "summary": "<p>s</p>"},
                   {"id": "urn:x:2", "link": "2.html", "base": "https://x.example.org/blog/2026/",
                    "title": "Entry base", "published": utc(2026, 11, 23, 9, 0)}]
        path = self.write("fixture.atom", atom(entries, title="Atom Fixture",
                                               base="https://x.example.org/blog/"))
        doc = self.parse_json(path)
        self.assertEqual(doc["title"], "Atom Fixture")
        self.assertEqual([i["id"] for i in doc["items"]], ["urn:x:1", "urn:x:2"])
        self.assertEqual([i.get("url") for i in doc["items"]],
                         ["https://x.example.org/blog/posts/1.html",
                          "https://x.example.org/blog/2026/2.html"])

    def test_parse_limits(self):
        """--max-feed-entries, --max-field-size, --max-nesting and
        --max-feed-size: the configuration's parser limits, from the command
        line; a bad value is refused with the option's name."""
        items = [{"guid": "l-%d" % i, "link": "http://l.example.org/%d" % i,
                  "title": "Item %d" % i, "date": utc(2026, 11, 20, 8, i),
                  "description": "<p>" + "word " * 2000 + "</p>"} for i in range(5)]
        path = self.write("limits.xml", rss(items, title="Limits"))
        p = run_heraldd(["parse", "--max-feed-entries", "2", path])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([i["id"] for i in json.loads(p.stdout)["items"]], ["l-0", "l-1"])
        full = json.loads(run_heraldd(["parse", path]).stdout)["items"][0]
        cut = json.loads(run_heraldd(["parse", "--max-field-size=1k", path]).stdout)["items"][0]
        body = lambda item: item.get("content_html") or item.get("summary") or ""
        self.assertGreater(len(body(full)), 9000)
        self.assertLessEqual(len(body(cut)), 1100)
        p = run_heraldd(["parse", "--max-feed-size", "1k", path])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("larger than 1024 bytes", p.stderr)
        deep = ("<div xmlns='http://www.w3.org/1999/xhtml'>top " + "<span>" * 10 + "bottom"
                + "</span>" * 10 + "</div>")
        atom_path = self.write("deep.atom", (
            "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>"
            "<id>urn:f</id><updated>2026-01-01T00:00:00Z</updated><entry><id>urn:1</id>"
            "<updated>2026-01-01T00:00:00Z</updated><title type='xhtml'>%s</title></entry>"
            "</feed>" % deep).encode())
        title = lambda args: json.loads(run_heraldd(["parse"] + args + [atom_path]).stdout)[
            "items"][0]["title"]
        self.assertEqual(title([]), "top bottom")
        self.assertEqual(title(["--max-nesting", "4"]), "top")
        for opt, value in (("--max-nesting", "x"), ("--max-feed-entries", "0"),
                           ("--max-field-size", "lots")):
            p = run_heraldd(["parse", opt, value, path])
            self.assertEqual(p.returncode, 2)
            self.assertIn(opt, p.stderr)

    def test_parse_garbage_fails_with_a_message(self):
        path = self.write("garbage.xml", b"\x00\x01 not a feed at all \xff\xfe<<<\n" * 10)
        p = run_heraldd(["parse", path])
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip(), "a message on stderr")
        self.assertNotIn(JSONFEED_11, p.stdout)

    def test_parse_missing_file_fails(self):
        path = os.path.join(self.tmp, "does-not-exist.xml")
        p = run_heraldd(["parse", path])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("does-not-exist.xml", p.stderr)


if __name__ == "__main__":
    unittest.main()
