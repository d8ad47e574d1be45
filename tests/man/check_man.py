#!/usr/bin/python3
"""The man pages document every command, option and configuration key.

Sources of truth, read at test time:
  - daemon/app/main.c's usage text: commands, options, environment variables;
  - README.md's "Command line" block: commands;
  - daemon/app/config.c's rules[] table: (section, key) pairs;
  - README.md's "Configuration" tables: (section, key) pairs.
heraldd(8) must have a .TP entry for every command (under COMMANDS) and every
option (under OPTIONS) and mention every environment variable; heraldd.conf(5)
must have a .TP entry (tag line ".B key ...") for every key under its
section's .SS heading, and no entry for a key the table lacks. Both pages
must format without a warning from `man --warnings` (what lintian runs) and
`groff -ww`, and carry the project's version (CMakeLists.txt) in .TH.

The test cases at the bottom also run the checks on broken copies of the
pages, so the checks themselves are known to fail when they should.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("HERALD_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
MAN8 = os.path.join(SRC, "docs", "man", "heraldd.8")
MAN5 = os.path.join(SRC, "docs", "man", "heraldd.conf.5")

SECTIONS = {"SECTION_HERALD": "herald", "SECTION_FEED": "feed",
            "SECTION_OUTPUT": "output", "SECTION_WEBHOOK": "webhook"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- sources of truth -----------------------------------------------------

def usage_text():
    src = read(os.path.join(SRC, "daemon", "app", "main.c"))
    m = re.search(r"static const char usage\[\] =(.*?);\n", src, re.S)
    assert m, "usage[] not found in main.c"
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))


def usage_commands(text):
    # "heraldd [run] [-c FILE]", "heraldd check ...": the word after heraldd.
    return sorted({m for m in re.findall(r"heraldd \[?([a-z][a-z-]*)", text)})


def usage_options(text):
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b", text))
    return sorted(opts)


def usage_environment(text):
    return sorted(set(re.findall(r"\b(HERALD_[A-Z_]+)=", text)))


def readme_section(title):
    readme = read(os.path.join(SRC, "README.md"))
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## )", readme, re.S | re.M)
    assert m, "README.md has no section " + title
    return m.group(1)


def readme_commands():
    block = readme_section("Command line").split("```")[1]
    return sorted(set(re.findall(r"^heraldd \[?([a-z][a-z-]*)", block, re.M)))


def rules_keys():
    src = read(os.path.join(SRC, "daemon", "app", "config.c"))
    m = re.search(r"static const struct key_rule rules\[\] = \{(.*?)\n\};", src, re.S)
    assert m, "rules[] not found in config.c"
    pairs = re.findall(r'\{(SECTION_[A-Z]+), "([a-z_]+)"', m.group(1))
    assert len(pairs) > 20, "rules[] looks wrong: %d keys" % len(pairs)
    return sorted((SECTIONS[s], k) for s, k in pairs)


def readme_keys():
    text = readme_section("Configuration")
    keys = set()
    section = None
    for line in text.splitlines():
        h = re.match(r"^`\[(herald|feed|output|webhook)\b", line)
        if h:
            section = h.group(1)
            continue
        row = re.match(r"^\| `([a-z_]+)` \|", line)
        if row and section:
            keys.add((section, row.group(1)))
    assert len(keys) > 20, "README tables look wrong: %d keys" % len(keys)
    return sorted(keys)


# ---- the pages ------------------------------------------------------------

def plain(roff):
    """Roff text to plain words: escapes for hyphens, quotes and fonts."""
    s = roff.replace("\\-", "-").replace("\\(dq", '"').replace("\\&", "")
    s = re.sub(r"\\f[BIRP]|\\f\[[A-Z]*\]|\\c", "", s)
    return s


def tp_tags(lines):
    """The first word of the tag line of every .TP entry, as plain text."""
    tags = []
    for i, line in enumerate(lines):
        if line.strip() == ".TP" and i + 1 < len(lines):
            tag = re.sub(r"^\.(B|I|BI|BR|IR|RB)\s+", "", lines[i + 1])
            words = plain(tag).replace('"', " ").replace(",", " ").split()
            if words:
                tags.append((words[0], plain(tag)))
    return tags


def sections(roff, level):
    """{heading: [lines]} for the .SH (level 'SH') or .SS headings."""
    out, name = {}, None
    for line in roff.splitlines():
        m = re.match(r"^\.(SH|SS)\s+(.*)$", line)
        if m and (m.group(1) == level or (level == "SS" and m.group(1) == "SH")):
            name = plain(m.group(2)).strip('"') if m.group(1) == level else None
            out.setdefault(name, []) if name else None
            continue
        if name:
            out[name].append(line)
    return out


def man8_problems(roff, commands, options, env):
    problems = []
    sh = sections(roff, "SH")
    documented = {w for w, _ in tp_tags(sh.get("COMMANDS", []))}
    for c in commands:
        if c not in documented:
            problems.append("heraldd(8): command '%s' has no entry under COMMANDS" % c)
    option_tags = " ".join(t for _, t in tp_tags(sh.get("OPTIONS", [])))
    for o in options:
        if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", option_tags):
            problems.append("heraldd(8): option '%s' has no entry under OPTIONS" % o)
    text = plain(roff)
    for v in env:
        if v not in text:
            problems.append("heraldd(8): environment variable %s is not documented" % v)
    return problems


def man5_problems(roff, keys, exact=True):
    problems = []
    ss = sections(roff, "SS")
    found = {}
    for heading, lines in ss.items():
        m = re.match(r"^\[(herald|feed|output|webhook)\b", heading)
        if m:
            found[m.group(1)] = {w for w, _ in tp_tags(lines)}
    for section, key in keys:
        if section not in found:
            problems.append("heraldd.conf(5): no .SS [%s] heading" % section)
            found[section] = set()
        elif key not in found[section]:
            problems.append("heraldd.conf(5): key '%s' of [%s] is not documented" % (key, section))
    if exact:
        known = set(keys)
        for section, words in found.items():
            for w in sorted(words):
                if (section, w) not in known:
                    problems.append("heraldd.conf(5): [%s] documents '%s', which config.c "
                                    "does not know" % (section, w))
    return problems


def format_warnings(path):
    """Warnings of man --warnings (as lintian runs it) and groff -ww."""
    out = []
    if not shutil.which("man") and not shutil.which("groff"):
        return ["neither man nor groff is installed (Debian packages man-db, groff-base)"]
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out += ["man: " + l for l in r.stderr.splitlines() if l.strip()]
        if r.returncode != 0:
            out.append("man: exit status %d" % r.returncode)
    if shutil.which("groff"):
        r = subprocess.run(["groff", "-man", "-ww", "-z", "-t", path], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out += ["groff: " + l for l in r.stderr.splitlines() if l.strip()]
        if r.returncode != 0:
            out.append("groff: exit status %d" % r.returncode)
    return ["%s: %s" % (os.path.basename(path), l) for l in out]


def version_problems(path):
    cm = read(os.path.join(SRC, "CMakeLists.txt"))
    version = re.search(r"project\(herald VERSION ([0-9.]+)", cm).group(1)
    th = re.search(r"^\.TH .*$", read(path), re.M)
    if not th or ("heraldd " + version) not in th.group(0):
        return ["%s: .TH does not carry \"heraldd %s\"" % (os.path.basename(path), version)]
    return []


def all_problems(man8=MAN8, man5=MAN5):
    text = usage_text()
    commands = sorted(set(usage_commands(text)) | set(readme_commands()))
    problems = man8_problems(read(man8), commands, usage_options(text),
                             usage_environment(text))
    problems += man5_problems(read(man5), sorted(set(rules_keys()) | set(readme_keys())))
    for page in (man8, man5):
        problems += format_warnings(page) + version_problems(page)
    return problems


# ---- tests ----------------------------------------------------------------

class Sources(unittest.TestCase):
    def test_sources_parse(self):
        text = usage_text()
        self.assertIn("run", usage_commands(text))
        self.assertIn("webhook-test", usage_commands(text))
        self.assertIn("--config", usage_options(text))
        self.assertIn("-c", usage_options(text))
        self.assertIn(("webhook", "url"), rules_keys())
        self.assertIn(("herald", "database"), readme_keys())
        # The README documents no key config.c does not know. (Not the
        # reverse: it lacks shutdown_timeout, which the man page has.)
        self.assertLessEqual(set(readme_keys()), set(rules_keys()),
                             "README.md's Configuration tables name unknown keys")


class Pages(unittest.TestCase):
    def test_pages_complete_and_clean(self):
        problems = all_problems()
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


class ChecksCatchMistakes(unittest.TestCase):
    """The checks, run on broken copies of the pages, must complain."""

    def broken(self, src, old, new):
        text = read(src)
        self.assertIn(old, text)
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, os.path.basename(src))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))
        return path

    def test_missing_key(self):
        # The first ".B url" is [feed]'s; [webhook]'s must still be missed.
        text = read(MAN5)
        webhook = text.index(".SS [webhook")
        path = self.broken(MAN5, text[webhook:], text[webhook:].replace(".TP\n.B url\n", "", 1))
        self.assertTrue(any("'url' of [webhook]" in p for p in all_problems(man5=path)))

    def test_unknown_key(self):
        path = self.broken(MAN5, ".TP\n.B proxy\n", ".TP\n.B proxi\n")
        problems = all_problems(man5=path)
        self.assertTrue(any("'proxy' of [feed]" in p for p in problems))
        self.assertTrue(any("documents 'proxi'" in p for p in problems))

    def test_missing_command_and_option(self):
        path = self.broken(MAN8, ".TP\n.B export\\-opml\n", ".TP\n.B export\\-xml\n")
        path = self.broken(path, ".TP\n.B \\-\\-all\n", ".TP\n.B \\-\\-al\n")
        problems = all_problems(man8=path)
        self.assertTrue(any("command 'export-opml'" in p for p in problems))
        self.assertTrue(any("option '--all'" in p for p in problems))

    def test_roff_warning(self):
        path = self.broken(MAN8, ".SH SIGNALS\n", ".SH SIGNALS\n.XYZZY\n")
        self.assertTrue(format_warnings(path), "an undefined macro went unnoticed")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
