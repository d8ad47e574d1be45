"""The status page at "/": opened in headless Chromium (Debian `chromium`),
its tables checked against the database; a screenshot is kept as a test
artifact (next to the built heraldd: test-artifacts/status.png)."""

import html.parser
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import HERALDD, HeraldTestCase, recent, rss, wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(HERALDD or ".")), "test-artifacts")


class Tables(html.parser.HTMLParser):
    """Every <table id=...> as a list of rows of cell texts; <p id=...> texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.paras = {}, {}
        self._table = self._row = self._cell = self._para = None
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "p" and a.get("id"):
            self._para = a["id"]
            self.paras[self._para] = ""
        elif tag == "a":
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._para = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._para is not None:
            self.paras[self._para] += data


def chromium(*args, timeout=60):
    profile = tempfile.mkdtemp(prefix="herald-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--user-data-dir=" + profile] + list(args),
            capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class StatusPageTest(HeraldTestCase):
    def test_status_page_in_chromium_matches_the_database(self):
        self.assertTrue(CHROMIUM, "chromium is not installed (contrib/install-deps.sh installs it)")
        items = [{"guid": "st-%d" % i, "link": "http://status.example.org/%d" % i,
                  "title": "Status <entry> & %d" % i, "date": recent(12, i)} for i in range(4)]
        self.server.set("/ok.xml", rss(items, title="Good feed"))
        self.server.set("/bad.xml", b"nope", status=500)
        self.server.set("/hook", b"down", status=503)
        feeds = [("good<one>", self.server.url("/ok.xml"), {"interval": "1h"}),
                 ("broken", self.server.url("/bad.xml"), {"interval": "1h"})]
        d = self.new_daemon()
        d.write_config(d.config(feeds) +
                       '\n[output "news"]\nfeeds = good<one>\n'
                       '\n[webhook "chat"]\nurl = %s?token=SECRET123\nformat = slack\n'
                       'retry = 1h\n' % self.server.url("/hook"))
        d.start()
        d.wait_ids(["st-3", "st-2", "st-1", "st-0"])
        self.server.wait_requests("/bad.xml", 1)
        self.server.wait_requests("/hook", 1)

        url = "http://127.0.0.1:%d/" % d.port
        dom = chromium("--dump-dom", url)
        self.assertEqual(dom.returncode, 0, dom.stderr.decode(errors="replace")[-2000:])
        page = Tables()
        page.feed(dom.stdout.decode("utf-8"))

        # Feeds: one row per configured feed, the same as the database.
        feeds_t = page.tables.get("feeds")
        self.assertTrue(feeds_t, "no feeds table in %r" % dom.stdout[:500])
        head, rows = feeds_t[0], {r[0]: dict(zip(feeds_t[0], r)) for r in feeds_t[1:]}
        self.assertIn("STATE", head)
        self.assertEqual(set(rows), {"good<one>", "broken"})
        conn = sqlite3.connect("file:%s?mode=ro" % d.db_path, uri=True)
        try:
            for name, row in rows.items():
                fid, status, errors = conn.execute(
                    "SELECT id, last_status, error_count FROM feeds WHERE name = ?",
                    (name,)).fetchone()
                n = conn.execute("SELECT count(*) FROM entries WHERE feed_id = ?",
                                 (fid,)).fetchone()[0]
                self.assertEqual(row["ENTRIES"], str(n), name)
                self.assertEqual(row["STATUS"], str(status), name)
                self.assertEqual(row["STATE"], "ok" if errors == 0 else "error", name)
            pending = conn.execute(
                "SELECT count(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]
        finally:
            conn.close()
        self.assertIn("http: HTTP 500", rows["broken"]["LAST ERROR"])

        # Outputs with their links.
        outs = {r[0].split(" ")[0]: r for r in page.tables["outputs"][1:]}
        self.assertEqual(set(outs), {"news", "all"})
        for ext in ("atom", "rss", "json"):
            self.assertIn("http://127.0.0.1:%d/outputs/news.%s" % (d.port, ext), page.links)

        # Webhooks: counts as in the database; the URL's path and token hidden.
        hooks = page.tables["webhooks"]
        row = dict(zip(hooks[0], hooks[1]))
        self.assertEqual(row["NAME"], "chat")
        self.assertEqual(row["ENDPOINT"], "http://127.0.0.1:%d" % self.server.port)
        self.assertEqual(int(row["PENDING"]) + int(row["FAILED"]), pending)
        self.assertEqual(row["STATE"], "failing")
        self.assertNotIn(b"SECRET123", dom.stdout)
        self.assertIn("1 failing", page.paras["summary"])

        # The screenshot, kept for people to look at.
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "status.png")
        if os.path.exists(shot):
            os.unlink(shot)
        out = chromium("--screenshot=" + shot, "--window-size=1400,900", url)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace")[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print("status page screenshot: %s" % shot)
        self.assertStopsCleanly(d)

    def test_status_page_is_for_loopback_and_the_token(self):
        self.server.set("/ok.xml", rss([], title="Empty"))
        d = self.new_daemon()
        token = "status-page-token-0123456789"
        path = os.path.join(d.dir, "admin.token")
        with open(path, "w") as f:
            f.write(token + "\n")
        d.start(d.config([("f", self.server.url("/ok.xml"))], admin_token="file:" + path),
                wait=False)
        wait_until(lambda: self._status(d, "/feed.atom") == 200, 10, 0.05, "heraldd serving")
        # With a token, loopback clients need it too; outputs stay public.
        r = d.fetch("/")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")
        self.assertEqual(d.fetch("/", headers={"Authorization": "Bearer nope"}).status, 401)
        r = d.fetch("/", headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status, 200)
        self.assertIn(b'<table id="feeds">', r.body)
        self.assertIn("text/html", r.header("Content-Type"))
        self.assertNotIn(token.encode(), r.body)
        self.assertStopsCleanly(d)

    @staticmethod
    def _status(d, path):
        try:
            return d.fetch(path, timeout=1.0).status
        except OSError:
            return None


if __name__ == "__main__":
    unittest.main()
