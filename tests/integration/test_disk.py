"""Disk full, and a database deleted or made read-only underneath, on a
real size-limited filesystem (a 1 MiB tmpfs mounted for the test; the suite
runs as root): ingest fails cleanly, the outputs keep serving the last good
data, /healthz says why, and everything resumes when space returns."""

import os
import subprocess
import unittest

from harness import HeraldTestCase, recent, rss, wait_until


def items(prefix, n, words=200):
    return [{"guid": "%s-%d" % (prefix, i), "link": "http://disk.example.org/%s/%d" % (prefix, i),
             "title": "%s entry %d" % (prefix, i), "date": recent(10, i % 24),
             "description": "<p>" + ("%s lorem ipsum %d " % (prefix, i)) * words + "</p>"}
            for i in range(n)]


class DiskTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(os.geteuid(), 0, "mounting a tmpfs needs root (make test runs as root)")
        self.d = self.new_daemon()
        self.mnt = os.path.join(self.d.dir, "small")
        os.mkdir(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", self.mnt], check=True)
        self.addCleanup(lambda: subprocess.run(["umount", "-l", self.mnt]))

    def health(self):
        r = self.d.fetch("/healthz")
        return r.status, r.body.decode()

    def start(self):
        self.server.set("/f.xml", rss(items("first", 3, 20), title="Disk"))
        self.d.write_config(self.d.config([("f", self.server.url("/f.xml"), {"interval": "1s"})],
                                          database=os.path.join(self.mnt, "herald.db")))
        self.d.start()
        self.d.wait_ids(["first-2", "first-1", "first-0"])

    def test_disk_full_then_space_returns(self):
        self.start()
        filler = os.path.join(self.mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        self.addCleanup(lambda: os.path.exists(filler) and os.unlink(filler))
        # A bigger document now: it cannot be stored.
        self.server.set("/f.xml", rss(items("second", 30), title="Disk"))
        self.d.wait_log(r"feed \"f\": cannot store .*(full|disk)", timeout=15)
        wait_until(lambda: self.health()[0] == 503, 10, 0.2, "/healthz 503 while the disk is full")
        self.assertIn("the last database write failed", self.health()[1])
        # The outputs keep serving the last good data.
        self.assertEqual(set(self.d.feed().ids), {"first-0", "first-1", "first-2"})
        self.assertTrue(self.d.running())
        # Space returns: the next poll stores the document, health recovers.
        os.unlink(filler)
        self.d.wait_feed(lambda f: "second-29" in f.ids, timeout=15,
                         message="the document stored once space returned")
        wait_until(lambda: self.health()[0] == 200, 10, 0.2, "/healthz 200 again")
        self.assertStopsCleanly(self.d)

    def test_database_made_read_only_underneath(self):
        # A remount read-only is refused while heraldd holds the file open
        # for writing (EBUSY); what an operator can do is chmod it, which an
        # open descriptor would ignore: heraldd notices and says so.
        self.start()
        db = os.path.join(self.mnt, "herald.db")
        os.chmod(db, 0o444)
        self.addCleanup(lambda: os.path.exists(db) and os.chmod(db, 0o644))
        status, body = self.health()
        self.assertEqual(status, 503)
        self.assertIn("made read-only", body)
        self.assertTrue(self.d.running())
        self.assertEqual(self.d.fetch("/feed.atom").status, 200)
        os.chmod(db, 0o644)
        self.assertEqual(self.health()[0], 200)
        self.assertStopsCleanly(self.d)

    def test_database_deleted_underneath(self):
        self.start()
        os.unlink(os.path.join(self.mnt, "herald.db"))
        status, body = self.health()
        self.assertEqual(status, 503)
        self.assertIn("deleted or replaced", body)
        self.assertTrue(self.d.running())
        self.assertEqual(self.d.fetch("/feed.atom").status, 200)
        self.assertStopsCleanly(self.d)


if __name__ == "__main__":
    unittest.main()
