"""SIGHUP reloads the configuration without a restart: feeds, outputs and
webhooks added, removed or changed take effect, feed state is kept, work in
flight is not lost, and an invalid file is reported (file:line) and changes
nothing."""

import signal
import time
import unittest

from harness import HeraldTestCase, feed_section, recent, rss


def items(prefix, n, day=10):
    return [{"guid": "%s-%d" % (prefix, i), "link": "http://%s.example.org/%d" % (prefix, i),
             "title": "%s story number %d about %s" % (prefix.title(), i, prefix * (i + 1)),
             "date": recent(day + i, 9)} for i in range(1, n + 1)]


A = items("alpha", 3)
B = items("bravo", 2, day=14)


class ReloadTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/a.xml", rss(A, title="Alpha"), etag='"a1"')
        self.server.set("/b.xml", rss(B, title="Bravo"), etag='"b1"')
        self.server.set("/hook", b"ok", status=200)

    @staticmethod
    def outcomes(d):
        log = d.log()
        return log.count("configuration reloaded") + log.count("reload failed")

    def reload(self, d, text):
        """Writes the file, sends SIGHUP and waits until the daemon says how
        the reload went."""
        d.write_config(text)
        n = self.outcomes(d)
        d.send_signal(signal.SIGHUP)
        self.assertTrue(self._wait(lambda: self.outcomes(d) > n), "no reload outcome logged")

    def ids_of(self, d):
        return set(d.feed().ids)

    def test_feeds_added_removed_and_state_kept(self):
        a = ("a", self.server.url("/a.xml"), {"interval": "1s"})
        b = ("b", self.server.url("/b.xml"), {"interval": "1s"})
        d = self.start_daemon([a])
        d.wait_ids([i["guid"] for i in reversed(A)])
        self.server.wait_requests("/a.xml", 2, timeout=10)  # a conditional re-poll

        # Add b: polled at once; a keeps its validators (no unconditional GET).
        n_a = len(self.server.requests_for("/a.xml"))
        self.reload(d, d.config([a, b]))
        self.assertIn("configuration reloaded: 2 feeds", d.log())
        d.wait_feed(lambda f: {i["guid"] for i in A + B} <= set(f.ids),
                    message="b's entries after the reload")
        later = self.server.wait_requests("/a.xml", n_a + 1, timeout=10)[n_a:]
        self.assertTrue(all(r.header("If-None-Match") == '"a1"' for r in later),
                        "a's ETag survived the reload: %r" % later)

        # Remove a: its entries leave the merged feed, b's stay.
        self.reload(d, d.config([b]))
        d.wait_feed(lambda f: set(f.ids) == {i["guid"] for i in B},
                    message="only b's entries after removing a")
        n_a = len(self.server.requests_for("/a.xml"))
        time.sleep(2.5)
        self.assertEqual(len(self.server.requests_for("/a.xml")), n_a, "a is no longer polled")
        self.assertStopsCleanly(d)

    def test_invalid_configuration_is_reported_and_changes_nothing(self):
        a = ("a", self.server.url("/a.xml"), {"interval": "1s"})
        d = self.start_daemon([a])
        d.wait_ids([i["guid"] for i in reversed(A)])
        good = d.config([a])
        bad = good + "\n[feed \"broken\"]\nurl = ftp://nope\ninterval = often\n"
        self.reload(d, bad)
        log = d.log()
        self.assertIn("reload failed: the running configuration is kept", log)
        # Every problem, with the file and line.
        lines = good.count("\n") + 1
        self.assertRegex(log, r"reload: .*heraldd\.conf:%d: url: 'ftp://nope'" % (lines + 2))
        self.assertRegex(log, r"reload: .*heraldd\.conf:%d: interval: bad duration" % (lines + 3))
        # The running configuration goes on: a is still polled and served.
        n = len(self.server.requests_for("/a.xml"))
        self.server.wait_requests("/a.xml", n + 2, timeout=10)
        self.assertEqual(self.ids_of(d), {i["guid"] for i in A})
        self.assertTrue(d.running())
        # A good file afterwards is taken.
        self.reload(d, good)
        self.assertIn("configuration reloaded", d.log())
        self.assertStopsCleanly(d)

    def test_outputs_and_webhooks_change_on_reload(self):
        a = ("a", self.server.url("/a.xml"), {"interval": "1s"})
        b = ("b", self.server.url("/b.xml"), {"interval": "1h"})
        d = self.start_daemon([a])
        d.wait_ids([i["guid"] for i in reversed(A)])
        self.assertEqual(d.fetch("/outputs/bravo.atom").status, 404)

        # A new output, a new feed and a webhook on that output.
        extra = ('\n[output "bravo"]\nfeeds = b\n'
                 '\n[webhook "hook"]\nurl = %s\noutputs = bravo\nretry = 1s\n'
                 % self.server.url("/hook"))
        self.reload(d, d.config([a, b]) + extra)
        d.wait_log("configuration reloaded: 2 feeds, 2 outputs, 1 webhooks")

        def bravo_ids():
            r = d.fetch("/outputs/bravo.atom")
            if r.status != 200:
                return None
            from harness import parse_atom
            return set(parse_atom(r.body).ids)
        got = self._wait(lambda: bravo_ids() == {i["guid"] for i in B})
        self.assertTrue(got, "the new output serves b's entries")
        # One delivery per new story of b (a's entries are not in the output).
        posts = self.server.wait_requests("/hook", len(B), timeout=15)
        time.sleep(1.0)
        posts = [r for r in self.server.requests_for("/hook") if r.method == "POST"]
        self.assertEqual(len(posts), len(B))
        ids = {r.header("webhook-id") for r in posts}
        self.assertEqual(len(ids), len(B), "one webhook-id per story")

        # The webhook removed again: nothing more is sent.
        self.reload(d, d.config([a, b]) + '\n[output "bravo"]\nfeeds = b\n')
        self.server.set("/b.xml", rss(items("charlie", 1) + B, title="Bravo"), etag='"b2"')
        # b's interval shortened from 1h: it counts from b's last poll.
        self.reload(d, d.config([a, ("b", self.server.url("/b.xml"), {"interval": "1s"})])
                    + '\n[output "bravo"]\nfeeds = b\n')
        d.wait_feed(lambda f: "charlie-1" in f.ids, message="b's new entry")
        time.sleep(1.0)
        self.assertEqual(len([r for r in self.server.requests_for("/hook")
                              if r.method == "POST"]), len(B))
        self.assertStopsCleanly(d)

    def test_a_poll_in_flight_during_a_reload_is_stored(self):
        self.server.set("/slow.xml", rss(B, title="Slow"), delay=2)
        a = ("a", self.server.url("/a.xml"), {"interval": "1h"})
        slow = ("slow", self.server.url("/slow.xml"), {"interval": "1h"})
        d = self.start_daemon([a, slow])
        self.server.wait_requests("/slow.xml", 1, timeout=10)  # in flight for 2 s
        self.reload(d, d.config([a, slow], title="Renamed"))
        self.assertIn("configuration reloaded", d.log())
        d.wait_feed(lambda f: {i["guid"] for i in B} <= set(f.ids), timeout=10,
                    message="the slow feed's entries, fetched across the reload")
        self.assertEqual(d.feed().title, "Renamed")
        self.assertStopsCleanly(d)

    @staticmethod
    def _wait(cond, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.1)
        return False


if __name__ == "__main__":
    unittest.main()
