#!/usr/bin/python3
"""Issue 9, point 7: secrets never show, files get the documented modes.

One run with every kind of secret the configuration takes (a webhook's
signing secret, a feed's basic-auth password, the admin token, each read
from a file), a webhook endpoint that fails (error lines), a feed that
fails (error lines and `heraldd feeds`' last error), then every place a
secret could leak: the log, the status page, /metrics, `heraldd feeds`
(table and JSON), `heraldd deliveries` (table and JSON) and the error
messages of a failing `heraldd webhook-test`. Then the modes: the
database (and its WAL) 0600 whatever the umask, exported files 0644
less the umask.
"""
import os
import stat
import unittest

from harness import HeraldTestCase, run_heraldd, rss, wait_until

ITEMS = [{"guid": "exp-%d" % i, "link": "http://exp.example.org/%d" % i,
          "title": "Exposure %d" % i, "description": "<p>Body %d</p>" % i}
         for i in range(3)]

HOOK_SECRET = "whsec_c2VjcmV0LWtleS1mb3ItZXhwb3N1cmUtdGVzdA=="
PASSWORD = "pa55-exposure-word"
TOKEN = "admin-token-exposure-0123456789"


class ExposureTest(HeraldTestCase):
    def test_secrets_never_show_and_files_have_their_modes(self):
        self.server.set("/auth.xml", rss(ITEMS, title="Auth"))
        self.server.set("/down.xml", b"", status=500)
        self.server.set("/hook", b"no", status=500)
        d = self.new_daemon()
        secrets = {"hook.secret": HOOK_SECRET, "pw.secret": PASSWORD, "admin.token": TOKEN}
        for name, value in secrets.items():
            with open(os.path.join(d.dir, name), "w") as f:
                f.write(value + "\n")
        export = os.path.join(d.dir, "export")
        os.mkdir(export)
        text = d.config([("auth", self.server.url("/auth.xml"),
                          {"username": "bob", "password": "file:pw.secret"}),
                         ("down", self.server.url("/down.xml"))],
                        admin_token="file:admin.token", export_dir=export)
        text += ('\n[webhook "hook"]\nurl = %s\nsecret = file:hook.secret\nretry = 1h\n'
                 % self.server.url("/hook"))
        old = os.umask(0o022)
        try:
            d.start(text, wait=False)  # /healthz wants the token
        finally:
            os.umask(old)
        auth = {"Authorization": "Bearer " + TOKEN}
        wait_until(lambda: self._status(d, "/healthz", auth) == 200, 10, 0.05, "heraldd up")
        d.wait_ids(["exp-2", "exp-1", "exp-0"])
        self.server.wait_requests("/down.xml", 1)
        self.server.wait_requests("/hook", 1)
        wait_until(lambda: os.listdir(export), 10, 0.1,
                   "the exports written")
        wait_until(lambda: b"HTTP 500" in d.fetch("/", headers=auth).body, 10, 0.1,
                   "the failing feed on the status page")

        places = {
            "status page": d.fetch("/", headers=auth).body.decode("utf-8", "replace"),
            "metrics": d.fetch("/metrics", headers=auth).body.decode("utf-8", "replace"),
        }
        for name, args in (("feeds", ["feeds"]), ("feeds --json", ["feeds", "--json"]),
                           ("deliveries", ["deliveries", "--all"]),
                           ("deliveries --json", ["deliveries", "--all", "--json"]),
                           ("webhook-test", ["webhook-test"])):
            cmd = [args[0], "-c", d.conf_path] + args[1:] + (["hook"] if name == "webhook-test"
                                                              else [])
            p = run_heraldd(cmd)
            if name == "webhook-test":
                self.assertNotEqual(p.returncode, 0, "the endpoint answers 500")
            else:
                self.assertEqual(p.returncode, 0, "%s: %s" % (name, p.stderr))
            places[name] = p.stdout + p.stderr
        self.assertIn("HTTP 500", places["feeds"], "the failing feed's error is shown")
        self.assertStopsCleanly(d)
        places["log"] = d.log(all_runs=True)
        self.assertIn("HTTP 500", places["log"])
        key = HOOK_SECRET[len("whsec_"):]
        for where, text in places.items():
            for secret in (HOOK_SECRET, key, PASSWORD, TOKEN):
                self.assertNotIn(secret, text, "a secret in the %s" % where)

        # The database and its WAL 0600 even under umask 022; exports 0644.
        for path in (d.db_path, d.db_path + "-wal"):
            if os.path.exists(path):
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        for name in os.listdir(export):
            path = os.path.join(export, name)
            if os.path.isfile(path):
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644, path)

    @staticmethod
    def _status(d, path, headers):
        try:
            return d.fetch(path, headers=headers, timeout=1.0).status
        except OSError:
            return None


if __name__ == "__main__":
    unittest.main()
