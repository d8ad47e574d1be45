"""heraldd as a systemd service: sd_notify messages received on a real
AF_UNIX datagram socket named by NOTIFY_SOCKET (a path, and an abstract
'@name'), as systemd's manager socket receives them: READY=1 once the
listener accepts connections, STATUS= lines, WATCHDOG=1 pings at half of
WATCHDOG_USEC, STOPPING=1 on SIGTERM."""

import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest

from harness import Daemon, HeraldTestCase, recent, rss, wait_until

ITEMS = [{"guid": "sd-%d" % i, "link": "http://sd.example.org/%d" % i,
          "title": "Systemd entry %d" % i, "date": recent(20 + i)} for i in range(1, 4)]


class NotifySocket:
    """A datagram socket like systemd's notify socket. Every datagram is
    kept as (monotonic time, text, port_accepting): whether a TCP connection
    to port (when set) succeeded right when the datagram arrived."""

    def __init__(self, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.dir = None
        if abstract:
            name = "herald-it-notify-%d-%s" % (os.getpid(), os.urandom(4).hex())
            self.sock.bind("\0" + name)  # exact length, as systemd binds it
            self.address = "@" + name
        else:
            self.dir = tempfile.mkdtemp(prefix="herald-notify-")
            self.address = os.path.join(self.dir, "notify")
            self.sock.bind(self.address)
        self.port = None
        self.messages = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _probe(self):
        if self.port is None:
            return None
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def _run(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            when = time.monotonic()  # before the probe, which may take a while
            text = data.decode("utf-8", "replace")
            accepting = self._probe() if "READY=1" in text.split("\n") else None
            with self.lock:
                self.messages.append((when, text, accepting))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def assignments(self, key):
        """(time, value) for every KEY=value line received so far."""
        out = []
        for when, text, _ in self.snapshot():
            for line in text.split("\n"):
                k, sep, v = line.partition("=")
                if sep and k == key:
                    out.append((when, v))
        return out

    def wait_for(self, key, pred=lambda v: True, timeout=10.0):
        """Waits for a KEY=value line whose value satisfies pred."""
        def find():
            for when, v in self.assignments(key):
                if pred(v):
                    return (when, v)
            return None
        return wait_until(find, timeout, 0.02,
                          lambda: "%s= in notifications %r" % (key, self.snapshot()))

    def close(self):
        self.sock.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class NotifiedDaemon(Daemon):
    def __init__(self, extra_env):
        super().__init__()
        self.extra_env = extra_env

    def env(self):
        env = super().env()
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        env.update(self.extra_env)
        return env


class SystemdNotifyTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/sd.xml", rss(ITEMS, title="Systemd feed"))

    def notify_socket(self, abstract):
        n = NotifySocket(abstract)
        self.addCleanup(n.close)
        return n

    def daemon(self, notify, **env):
        d = NotifiedDaemon(dict(env, NOTIFY_SOCKET=notify.address))
        self.addCleanup(d.cleanup)
        notify.port = d.port
        return d

    def ready_status_stopping(self, abstract):
        n = self.notify_socket(abstract)
        d = self.daemon(n)
        d.start(d.config([("sd", self.server.url("/sd.xml"), {"interval": "1h"})]), wait=False)
        _, ready_text, accepting = [m for m in self.wait_ready(n, d)][0]
        self.assertTrue(accepting, "READY=1 arrived before the listener accepted connections")
        # READY=1 comes with the first status line, in one datagram.
        self.assertIn("STATUS=", ready_text)
        self.assertRegex(ready_text, r"STATUS=1 feeds: [01] ok, [01] failing; \d+ entries")
        self.assertEqual(len(n.assignments("READY")), 1)
        self.assertEqual(d.fetch("/healthz").status, 200)
        # The line is refreshed (every 10 s) and follows the database.
        d.wait_ids([i["guid"] for i in ITEMS])
        n.wait_for("STATUS", lambda v: v == "1 feeds: 1 ok, 0 failing; 3 entries", timeout=15)
        self.assertEqual(n.assignments("WATCHDOG"), [], "no watchdog pings without WATCHDOG_USEC")
        self.assertEqual(n.assignments("STOPPING"), [])
        self.assertStopsCleanly(d)
        n.wait_for("STOPPING", lambda v: v == "1", timeout=5)
        for line in [v for _, v in n.assignments("STATUS")]:
            self.assertNotIn("\n", line)

    def wait_ready(self, n, d):
        def ready():
            if not d.running():
                raise AssertionError("heraldd exited with %s before READY=1; log:\n%s"
                                     % (d.proc.returncode, d.log()))
            return [m for m in n.snapshot() if "READY=1" in m[1].split("\n")]
        return wait_until(ready, 10, 0.02, lambda: "READY=1; got %r" % n.snapshot())

    def test_path_socket(self):
        self.ready_status_stopping(abstract=False)

    def test_abstract_socket(self):
        self.ready_status_stopping(abstract=True)

    def test_watchdog_pings_at_half_the_interval(self):
        n = self.notify_socket(abstract=True)
        d = self.daemon(n, WATCHDOG_USEC="400000")  # 0.4 s: a ping every 0.2 s
        # WATCHDOG_PID names the daemon itself, as systemd sets it.
        d.binary = "/bin/sh"
        d.start(d.config([("sd", self.server.url("/sd.xml"))]), wait=False,
                args=["-c", 'export WATCHDOG_PID=$$; exec "$0" "$@"', self.heraldd(),
                      "-c", d.conf_path])
        ready_at = self.wait_ready(n, d)[0][0]
        wait_until(lambda: len(n.assignments("WATCHDOG")) >= 6, 5, 0.05,
                   lambda: "6 WATCHDOG=1; got %r" % n.snapshot())
        pings = n.assignments("WATCHDOG")
        self.assertTrue(all(v == "1" for _, v in pings), pings)
        times = [t for t, _ in pings[:6]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Half of 0.4 s; well under the 0.4 s deadline despite a busy machine.
        self.assertLess(times[0] - ready_at, 0.4, "first ping after READY=1")
        self.assertGreater(min(gaps), 0.1, gaps)
        self.assertLess(sum(gaps) / len(gaps), 0.3, gaps)
        self.assertLess(max(gaps), 0.4, gaps)
        self.assertStopsCleanly(d)
        n.wait_for("STOPPING", timeout=5)

    def test_watchdog_meant_for_another_process_is_ignored(self):
        n = self.notify_socket(abstract=False)
        d = self.daemon(n, WATCHDOG_USEC="200000", WATCHDOG_PID="1")
        d.start(d.config([("sd", self.server.url("/sd.xml"))]), wait=False)
        self.wait_ready(n, d)
        time.sleep(0.8)  # four periods: a ping would have come by now
        self.assertEqual(n.assignments("WATCHDOG"), [])
        self.assertStopsCleanly(d)

    def test_reload_is_announced(self):
        n = self.notify_socket(abstract=True)
        d = self.daemon(n)
        feeds = [("sd", self.server.url("/sd.xml"), {"interval": "1h"})]
        d.start(d.config(feeds), wait=False)
        self.wait_ready(n, d)
        d.wait_ids([i["guid"] for i in ITEMS])

        def after(k):
            """Texts of the datagrams after the first k."""
            return [text for _, text, _ in n.snapshot()[k:]]

        # A good reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 and
        # the status of the new configuration (two feeds).
        k = len(n.snapshot())
        d.write_config(d.config(feeds + [("sd2", self.server.url("/sd.xml"), {"interval": "1h"})]))
        d.send_signal(signal.SIGHUP)
        wait_until(lambda: any("READY=1" in t for t in after(k)), 10, 0.02,
                   lambda: "READY=1 after SIGHUP; got %r" % after(k))
        texts = after(k)
        self.assertRegex(texts[0], r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
        ready = [t for t in texts if t.startswith("READY=1")][0]
        self.assertRegex(ready, r"^READY=1\nSTATUS=2 feeds: ")
        self.assertNotIn("reload failed", ready)
        for path in ("/metrics", "/healthz", "/feed.atom"):
            self.assertEqual(d.fetch(path).status, 200, "%s after a reload" % path)
        # A bad one: the running configuration stays, and STATUS= says why.
        k = len(n.snapshot())
        d.write_config(d.config(feeds) + "bogus_key = 1\n")
        d.send_signal(signal.SIGHUP)
        wait_until(lambda: any("READY=1" in t for t in after(k)), 10, 0.02,
                   lambda: "READY=1 after a bad SIGHUP; got %r" % after(k))
        texts = after(k)
        self.assertTrue(texts[0].startswith("RELOADING=1\n"), texts)
        ready = [t for t in texts if t.startswith("READY=1")][0]
        self.assertRegex(ready, r"^READY=1\nSTATUS=2 feeds: .*; reload failed: .*heraldd\.conf:\d+")
        self.assertEqual(len(ready.split("\n")), 2, "STATUS= is one line")
        self.assertStopsCleanly(d)

    def test_no_ready_when_the_listener_cannot_bind(self):
        n = self.notify_socket(abstract=False)
        d = self.daemon(n)
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", d.port))
        busy.listen(1)
        d.start(d.config([("sd", self.server.url("/sd.xml"))]), wait=False)
        self.assertEqual(d.proc.wait(10), 1)
        self.assertEqual([m for m in n.snapshot() if "READY=1" in m[1]], [])
        self.assertIn("cannot listen", d.log())

    @staticmethod
    def heraldd():
        from harness import require_heraldd
        return require_heraldd()


if __name__ == "__main__":
    unittest.main()
