#!/usr/bin/python3
"""`cmake --install` lays out heraldd, its configuration, units and man
pages; the installed configuration is valid; contrib/debian agrees with
contrib/install-deps.sh and enables nothing.

Runs `cmake --install HERALD_BUILD_DIR` into a temporary DESTDIR (the
package's own build, contrib/build-deb.sh, is not part of `make test`).
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ["HERALD_SOURCE_DIR"]
BUILD = os.environ["HERALD_BUILD_DIR"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def cache(name):
    m = re.search(r"^" + name + r":[A-Z]+=(.*)$", read(os.path.join(BUILD, "CMakeCache.txt")),
                  re.M)
    return m.group(1) if m else None


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dest = tempfile.mkdtemp(prefix="herald-install.")
        env = dict(os.environ, DESTDIR=cls.dest)
        r = subprocess.run(["cmake", "--install", BUILD], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + r.stdout + r.stderr)
        cls.log = r.stdout
        prefix = cache("CMAKE_INSTALL_PREFIX")
        sysconf = cache("CMAKE_INSTALL_SYSCONFDIR") or "etc"
        if not sysconf.startswith("/"):
            # GNUInstallDirs: /etc for the prefix /usr, PREFIX/etc otherwise.
            sysconf = "/etc" if prefix == "/usr" else os.path.join(prefix, sysconf)
        mandir = cache("CMAKE_INSTALL_MANDIR") or "share/man"
        cls.prefix = cls.dest + prefix
        cls.conf = cls.dest + sysconf + "/herald/heraldd.conf"
        cls.mandir = os.path.join(cls.prefix, mandir)
        cls.unitdir = cls.dest + cache("HERALD_SYSTEMD_UNITDIR")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dest)

    def test_binary(self):
        heraldd = os.path.join(self.prefix, "bin", "heraldd")
        self.assertTrue(os.access(heraldd, os.X_OK), heraldd + "\n" + self.log)
        version = re.search(r"project\(herald VERSION ([0-9.]+)",
                            read(os.path.join(SRC, "CMakeLists.txt"))).group(1)
        r = subprocess.run([heraldd, "--version"], capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "heraldd " + version)

    def test_configuration(self):
        self.assertTrue(os.path.isfile(self.conf), self.conf + "\n" + self.log)
        text = read(self.conf)
        self.assertEqual(text, read(os.path.join(SRC, "contrib", "heraldd.conf.dist")))
        active = [l.strip() for l in text.splitlines() if l.strip() and l[0] not in "#;"]
        self.assertIn("database = /var/lib/herald/herald.db", active)
        self.assertIn("listen = 127.0.0.1:8080", active)
        self.assertFalse([l for l in active if l.startswith("[") and l != "[herald]"],
                         "the installed configuration has sections besides [herald]")
        # Valid as installed: heraldd check does not open the database.
        heraldd = os.path.join(self.prefix, "bin", "heraldd")
        r = subprocess.run([heraldd, "check", "-c", self.conf], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok (0 feeds)", r.stdout)

    def test_man_pages(self):
        for page in ("man8/heraldd.8", "man5/heraldd.conf.5"):
            path = os.path.join(self.mandir, page)
            self.assertTrue(os.path.isfile(path), path + "\n" + self.log)

    def test_units(self):
        for unit in ("heraldd.service", "heraldd.socket"):
            installed = os.path.join(self.unitdir, unit)
            if os.path.exists(os.path.join(SRC, "contrib", unit)):
                self.assertTrue(os.path.isfile(installed), installed + "\n" + self.log)
            else:
                self.assertFalse(os.path.exists(installed))
        service = os.path.join(SRC, "contrib", "heraldd.service")
        if os.path.exists(service):
            # The unit and the installed configuration agree.
            text = read(service)
            self.assertRegex(text, r"(?m)^StateDirectory=herald$")
            self.assertRegex(text, r"(?m)^ExecStart=/usr/bin/heraldd run -c /etc/herald/heraldd.conf$")


class Debian(unittest.TestCase):
    def control(self):
        return read(os.path.join(SRC, "contrib", "debian", "control"))

    def build_depends(self):
        m = re.search(r"^Build-Depends:(.*?)(?=^\S)", self.control(), re.S | re.M)
        names = set()
        for item in m.group(1).split(","):
            item = re.sub(r"#.*", "", item).strip()
            if item:
                names.add(re.match(r"[a-z0-9.+-]+", item).group(0))
        return names

    def install_deps_build(self):
        text = read(os.path.join(SRC, "contrib", "install-deps.sh"))
        build_part = text.split('if [ "${HERALD_DEPS:-test}" = test ]')[0]
        return set(re.findall(r"\|\| need ([a-z0-9.+-]+)", build_part))

    def test_build_depends_match_install_deps(self):
        deps = self.install_deps_build()
        self.assertIn("libcurl4-openssl-dev", deps)
        bd = self.build_depends()
        self.assertEqual(deps - bd, set(), "in install-deps.sh, not in Build-Depends")
        extra = bd - deps - {"debhelper-compat", "cmake"}
        self.assertEqual(extra, set(), "in Build-Depends, not in install-deps.sh")
        self.assertRegex(self.control(), r"debhelper-compat \(= 1[3-9]\)")

    def test_nothing_enabled_or_started(self):
        rules = read(os.path.join(SRC, "contrib", "debian", "rules"))
        m = re.search(r"^\tdh_installsystemd(.*)$", rules, re.M)
        self.assertTrue(m, "debian/rules does not call dh_installsystemd itself")
        self.assertIn("--no-enable", m.group(1))
        self.assertIn("--no-start", m.group(1))

    def test_version_matches(self):
        changelog = read(os.path.join(SRC, "contrib", "debian", "changelog"))
        version = re.search(r"project\(herald VERSION ([0-9.]+)",
                            read(os.path.join(SRC, "CMakeLists.txt"))).group(1)
        self.assertRegex(changelog.splitlines()[0], r"^herald \(" + re.escape(version) + r"-\d+\)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
