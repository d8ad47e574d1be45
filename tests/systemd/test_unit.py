"""contrib/heraldd.service and contrib/heraldd.socket, checked offline with
systemd-analyze (Debian's systemd package; no running systemd needed):

- `systemd-analyze verify` is clean, with ExecStart= pointing at the built
  heraldd (verify reports an ExecStart= binary that does not exist);
- `systemd-analyze security --offline=yes` rates the sandbox at an exposure
  of at most MAX_EXPOSURE;
- the service keeps the settings heraldd relies on (Type=notify, the
  watchdog, reload by SIGHUP, its directories).

A missing systemd-analyze is a failure, not a skip: contrib/install-deps.sh
installs it for `make test`.

    HERALDD=build/heraldd /usr/bin/python3 tests/systemd/test_unit.py -v
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "HERALD_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
HERALDD = os.environ.get("HERALDD", "")
SERVICE = os.path.join(SOURCE_DIR, "contrib", "heraldd.service")
SOCKET = os.path.join(SOURCE_DIR, "contrib", "heraldd.socket")
INSTALLED_BINARY = "/usr/bin/heraldd"
MAX_EXPOSURE = 1.2

REQUIRED = {
    "Type": "notify",
    "ExecStart": INSTALLED_BINARY + " run -c /etc/herald/heraldd.conf",
    "ExecReload": "/bin/kill -HUP $MAINPID",
    "WatchdogSec": "30s",
    "Restart": "on-failure",
    "TimeoutStopSec": "20s",
    "DynamicUser": "yes",
    "StateDirectory": "herald",
    "ConfigurationDirectory": "herald",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
}


def analyze():
    path = shutil.which("systemd-analyze")
    if path is None:
        raise AssertionError("systemd-analyze not found: install the Debian package 'systemd' "
                             "(contrib/install-deps.sh does)")
    return path


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def settings(path):
    """{key: [values]} of a unit file (comments and sections ignored)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            k, sep, v = line.partition("=")
            if sep:
                out.setdefault(k.strip(), []).append(v.strip())
    return out


def exposure(unit_path):
    p = subprocess.run([analyze(), "security", "--offline=yes", unit_path],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout)
    if not m:
        raise AssertionError("no exposure level in systemd-analyze output (exit %d):\n%s\n%s"
                             % (p.returncode, p.stdout, p.stderr))
    return float(m.group(1)), p.stdout


class UnitTest(unittest.TestCase):
    def setUp(self):
        if not HERALDD or not os.access(HERALDD, os.X_OK):
            raise AssertionError("HERALDD must name the built heraldd (got %r)" % HERALDD)
        self.dir = tempfile.mkdtemp(prefix="herald-unit-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def copy(self, src, text_filter=lambda t: t):
        """The unit in a scratch folder, same name, with ExecStart= on the
        built binary."""
        text = read(src).replace("ExecStart=" + INSTALLED_BINARY + " ",
                                 "ExecStart=" + os.path.abspath(HERALDD) + " ")
        text = text_filter(text)
        dst = os.path.join(self.dir, os.path.basename(src))
        with open(dst, "w", encoding="utf-8") as f:
            f.write(text)
        return dst

    def test_required_settings(self):
        s = settings(SERVICE)
        for key, value in REQUIRED.items():
            self.assertEqual(s.get(key), [value], key)
        self.assertEqual(settings(SOCKET).get("Accept"), ["no"])

    def test_verify_is_clean(self):
        service = self.copy(SERVICE)
        self.assertIn("ExecStart=" + os.path.abspath(HERALDD) + " ", read(service))
        socket_unit = self.copy(SOCKET)
        p = subprocess.run([analyze(), "verify", socket_unit, service],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""),
                         "systemd-analyze verify is not clean")

    def test_verify_reports_a_missing_binary(self):
        # The check above would pass vacuously if verify ignored ExecStart=.
        service = self.copy(SERVICE, lambda t: t.replace(os.path.abspath(HERALDD),
                                                         os.path.join(self.dir, "no-heraldd")))
        p = subprocess.run([analyze(), "verify", service], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no-heraldd", p.stdout + p.stderr)

    def test_security_exposure(self):
        level, report = exposure(self.copy(SERVICE))
        self.assertLessEqual(level, MAX_EXPOSURE, "exposure %.1f > %.1f:\n%s"
                             % (level, MAX_EXPOSURE, report))
        print("systemd-analyze security: exposure %.1f" % level)

    def test_an_unhardened_unit_scores_high(self):
        # The same measure on the service without its [Service] sandboxing.
        def strip(text):
            keep = ("Type=", "ExecStart=", "ExecReload=", "Restart=", "WatchdogSec=")
            lines = [l for l in text.splitlines()
                     if not re.match(r"^[A-Z]\w*=", l) or l.startswith(keep)
                     or l.startswith(("Description=", "After=", "Wants=", "WantedBy="))]
            return "\n".join(lines) + "\n"
        level, _ = exposure(self.copy(SERVICE, strip))
        self.assertGreater(level, 9.0)


if __name__ == "__main__":
    unittest.main()
