"""Maintenance: retention prunes old entries but never one an output shows,
one still in its feed, or one a pending delivery announces; `heraldd
backup` copies the database consistently while the daemon runs."""

import os
import sqlite3
import subprocess
import unittest

from harness import HERALDD, HeraldTestCase, recent, rss


def items(prefix, n, day):
    return [{"guid": "%s-%d" % (prefix, i), "link": "http://keep.example.org/%s/%d" % (prefix, i),
             "title": "%s entry %d on topic %s" % (prefix, i, "xyz"[i % 3] * (i + 2)),
             "date": recent(day, i)} for i in range(n)]


class MaintenanceTest(HeraldTestCase):
    def guids(self, d):
        conn = sqlite3.connect("file:%s?mode=ro" % d.db_path, uri=True)
        try:
            return {r[0] for r in conn.execute("SELECT guid FROM entries")}
        finally:
            conn.close()

    def test_retention_keeps_what_is_shown_current_or_owed(self):
        old = items("old", 6, 2)
        new = items("new", 6, 20)
        self.server.set("/k.xml", rss(old, title="Keep"))
        # The webhook endpoint fails: old-0's story.new stays pending.
        self.server.set("/hook", b"no", status=500)
        feeds = [("k", self.server.url("/k.xml"), {"interval": "1s"})]
        extra = ('\n[output "few"]\nmax_entries = 2\ninclude = ^(old entry 0|new entry)\n'
                 '\n[webhook "w"]\nurl = %s\noutputs = few\nretry = 1h\n'
                 % self.server.url("/hook"))
        d = self.new_daemon()
        d.write_config(d.config(feeds, keep_per_feed=3, maintenance_interval="1s",
                                max_entries=3, dedup="none") + extra)
        d.start()
        d.wait_ids([i["guid"] for i in reversed(old)][:3])
        # The feed moves on: the old entries leave it.
        self.server.set("/k.xml", rss(new, title="Keep"))
        d.wait_ids([i["guid"] for i in reversed(new)][:3])
        d.wait_log(r"retention: \d+ old entries pruned", timeout=15)

        def settled():
            g = self.guids(d)
            return g if not (g & {"old-1", "old-2"}) else None
        got = self._wait(settled)
        self.assertTrue(got, "old entries beyond keep_per_feed were pruned: %r" % self.guids(d))
        g = self.guids(d)
        # The periodic WAL checkpoint ran too.
        d.wait_log(r"WAL checkpoint: \d+ of \d+ frames written back", timeout=10)
        # All of the current document stays, whatever keep_per_feed says.
        self.assertTrue({i["guid"] for i in new} <= g, g)
        # old-0: a pending delivery (the failing webhook) announces it.
        self.assertIn("old-0", g)
        self.assertTrue(d.running())
        self.assertStopsCleanly(d)

    def test_backup_while_running(self):
        self.server.set("/b.xml", rss(items("bk", 5, 5), title="Backup"))
        d = self.start_daemon([("b", self.server.url("/b.xml"), {"interval": "1s"})])
        d.wait_ids(["bk-%d" % i for i in reversed(range(5))])
        dest = os.path.join(d.dir, "copy.db")
        out = subprocess.run([HERALDD, "backup", "-c", d.conf_path, dest], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        conn = sqlite3.connect(dest)
        try:
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(conn.execute("SELECT count(*) FROM entries").fetchone()[0], 5)
        finally:
            conn.close()
        # Never over an existing file.
        again = subprocess.run([HERALDD, "backup", "-c", d.conf_path, dest], capture_output=True,
                               text=True, timeout=30)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("exists", again.stderr)
        self.assertStopsCleanly(d)

    @staticmethod
    def _wait(cond, timeout=15.0):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = cond()
            if v:
                return v
            time.sleep(0.2)
        return None


if __name__ == "__main__":
    unittest.main()
