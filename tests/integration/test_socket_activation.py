"""Socket activation: systemd-socket-activate (Debian's systemd package)
binds a port, waits for the first connection, then execs heraldd with the
listening socket as fd 3 and LISTEN_FDS/LISTEN_PID set, as systemd does for
contrib/heraldd.socket. heraldd must serve on that socket, not bind its
configured `listen` address."""

import shutil
import socket
import unittest

from harness import EnvDaemon, HeraldTestCase, free_port, recent, require_heraldd, rss, wait_until

ITEMS = [{"guid": "sa-%d" % i, "link": "http://sa.example.org/%d" % i,
          "title": "Activated entry %d" % i, "date": recent(20 + i)} for i in range(1, 4)]
IDS = [i["guid"] for i in reversed(ITEMS)]

ACTIVATE = shutil.which("systemd-socket-activate")


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


class SocketActivationTest(HeraldTestCase):
    def setUp(self):
        super().setUp()
        self.server.set("/sa.xml", rss(ITEMS, title="Activated feed"))
        self.feeds = [("sa", self.server.url("/sa.xml"), {"interval": "1h"})]

    def test_serves_the_passed_socket(self):
        # A missing tool is a failure: contrib/install-deps.sh installs it.
        self.assertIsNotNone(ACTIVATE, "systemd-socket-activate not found (Debian: systemd)")
        d = self.new_daemon()
        configured = d.port
        d.write_config(d.config(self.feeds))
        activated = free_port()
        d.binary = ACTIVATE
        d.start(wait=False, args=["-l", "127.0.0.1:%d" % activated, require_heraldd(),
                                  "-c", d.conf_path])
        wait_until(lambda: "Listening on" in d.log() or not d.running(), 10, 0.02,
                   lambda: "systemd-socket-activate listening; log:\n%s" % d.log())
        d.port = activated  # d.fetch() goes to the passed socket from now on
        feed = d.wait_ids(IDS)  # the first connection starts heraldd
        self.assertEqual(feed.title, "Herald")
        self.assertRegex(d.log(), r"listening on the socket passed by systemd \(fd 3, port %d\)"
                         % activated)
        self.assertTrue(refused(configured), "heraldd bound its configured listen address too")
        self.assertEqual(d.fetch("/healthz").status, 200)
        self.assertStopsCleanly(d)

    def test_sockets_for_another_process_are_ignored(self):
        # LISTEN_PID names another process: fd 3 is not ours to take.
        d = EnvDaemon({"LISTEN_PID": "1", "LISTEN_FDS": "1"})
        self.addCleanup(d.cleanup)
        d.start(d.config(self.feeds))
        d.wait_ids(IDS)
        self.assertNotIn("passed by systemd", d.log())
        self.assertStopsCleanly(d)


if __name__ == "__main__":
    unittest.main()
