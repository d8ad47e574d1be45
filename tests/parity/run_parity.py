#!/usr/bin/python3
"""Parity test: `heraldd parse` against python3-feedparser on every corpus file.

Usage: /usr/bin/python3 tests/parity/run_parity.py [-v] [--only SUBSTR] [--dump FILE]
Env:   HERALDD  path to heraldd (default: the first of build*/heraldd that exists)

For every corpus/FILE (not a sidecar) it runs `heraldd parse [ARGS] FILE`
(ARGS from FILE.args, one per line) and feedparser.parse() on the same bytes
with the same simulated HTTP headers (--content-type -> Content-Type,
--base -> Content-Location). JSON Feed files (*.json), which feedparser
cannot read, are compared with FILE.expect.json instead.

Compared: entry count per file, and per entry (by index) id, link, title,
published, updated (UTC epoch seconds), first author, enclosure URLs.
Normalisation: see README.md.

Exit 0 when every field agrees on >= 99% of compared entries, every
difference is in allowlist.txt (with the Herald value stated there), no
allowlist line is stale, heraldd never crashed, timed out or leaked a file
and its output always had the JSON Feed 1.1 required members; else 1.
"""
import argparse
import calendar
import concurrent.futures
import glob
import html
import html.parser
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
ALLOWLIST = os.path.join(HERE, "allowlist.txt")
REPO = os.path.dirname(os.path.dirname(HERE))
FIELDS = ["id", "link", "title", "published", "updated", "author", "enclosures"]
THRESHOLD = 99.0
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
HTML_TYPES = ("text/html", "application/xhtml+xml")

try:
    import feedparser
except ImportError:
    sys.exit("run_parity.py: cannot import feedparser: install the Debian package python3-feedparser "
             "and run this script with /usr/bin/python3 (not %s)" % sys.executable)


def find_heraldd():
    env = os.environ.get("HERALDD")
    if env:
        return env
    for cand in sorted(glob.glob(os.path.join(REPO, "build*", "heraldd"))):
        if os.access(cand, os.X_OK):
            return cand
    sys.exit("run_parity.py: no heraldd: set HERALDD or build one under %s/build*/" % REPO)


# ------------------------------------------------------------ normalisation


def norm_str(s):
    if s is None:
        return None
    if not isinstance(s, str):
        s = str(s)
    s = s.strip()
    return s or None


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []

    def handle_data(self, data):
        self.out.append(data)


def html_to_text(s):
    p = _Text()
    p.feed(s)
    p.close()
    return "".join(p.out)


RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:([Zz])|([+-])(\d\d):?(\d\d))$")


def rfc3339_epoch(s):
    """RFC 3339 (what heraldd prints, and the .expect.json files) -> epoch, else the string."""
    if s is None:
        return None
    m = RFC3339.match(s.strip())
    if not m:
        return "unparseable:" + s
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    t = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
    if m.group(8):
        off = int(m.group(9)) * 3600 + int(m.group(10)) * 60
        t -= off if m.group(8) == "+" else -off
    return t


def fmt_epoch(t):
    import time
    if t is None:
        return "-"
    if isinstance(t, str):
        return t
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def render(field, v):
    """The text form of a normalised value (reports and allowlist)."""
    if v is None:
        return "-"
    if field in ("published", "updated"):
        return fmt_epoch(v)
    if field == "enclosures":
        s = " ".join(v) if v else "-"
    else:
        s = str(v)
    # Long values (entity bombs) are shown by their start and length; the
    # escapes keep control characters and tabs visible and out of the TSV.
    if len(s) > 120:
        s = "%s...[%d chars]" % (s[:60], len(s))
    return s.encode("unicode_escape").decode("ascii") if not s.isprintable() else s


def herald_entries(doc):
    out = []
    for it in doc.get("items") or []:
        if not isinstance(it, dict):
            continue
        h = it.get("_herald") or {}
        authors = it.get("authors") or []
        author = None
        if authors and isinstance(authors[0], dict):
            # name, else the address of a mailto: url (feedparser side: name, else email)
            author = norm_str(authors[0].get("name"))
            url = norm_str(authors[0].get("url")) or ""
            if not author and url.lower().startswith("mailto:"):
                author = norm_str(url[7:])
        encl = sorted({norm_str(a.get("url")) for a in it.get("attachments") or []
                       if isinstance(a, dict) and norm_str(a.get("url"))})
        out.append({
            "id": norm_str(h.get("id")),
            "link": norm_str(it.get("url")),
            "title": norm_str(it.get("title")),
            "published": rfc3339_epoch(it.get("date_published")),
            "updated": rfc3339_epoch(it.get("date_modified")),
            "author": author,
            "enclosures": encl,
        })
    return out


def fp_time(e, key):
    # dict.get: FeedParserDict maps a missing updated_parsed to
    # published_parsed (with a warning); we want what the feed said.
    v = dict.get(e, key)
    return calendar.timegm(v) if v else None


def fp_entries(d):
    out = []
    for e in d.entries:
        title = dict.get(e, "title")
        td = dict.get(e, "title_detail") or {}
        if title and td.get("type") in HTML_TYPES:
            title = html_to_text(title)
        author = None
        authors = dict.get(e, "authors") or []
        if authors:
            a = authors[0]
            author = norm_str(a.get("name")) or norm_str(a.get("email"))
        urls = {norm_str(l.get("href")) for l in dict.get(e, "links") or [] if l.get("rel") == "enclosure"}
        urls |= {norm_str(m.get("url")) for m in dict.get(e, "media_content") or []}
        out.append({
            "id": norm_str(dict.get(e, "id")),
            "link": norm_str(dict.get(e, "link")),
            "title": norm_str(title),
            "published": fp_time(e, "published_parsed"),
            "updated": fp_time(e, "updated_parsed"),
            "author": author,
            "enclosures": sorted(u for u in urls if u),
        })
    return out


def expect_entries(path):
    with open(path, encoding="utf-8") as fh:
        exp = json.load(fh)
    out = []
    for x in exp["entries"]:
        out.append({
            "id": norm_str(x.get("id")),
            "link": norm_str(x.get("link")),
            "title": norm_str(x.get("title")),
            "published": rfc3339_epoch(x.get("published")),
            "updated": rfc3339_epoch(x.get("updated")),
            "author": norm_str(x.get("author")),
            "enclosures": sorted(x.get("enclosures") or []),
        })
    return out


def is_control(*entries):
    for e in entries:
        for k in ("id", "link"):
            v = e.get(k) or ""
            if "control-" in v or "/control/" in v:
                return True
    return False


# ------------------------------------------------------------ running


def read_args(path):
    args = []
    if os.path.exists(path + ".args"):
        with open(path + ".args") as fh:
            args = [line.rstrip("\n") for line in fh if line.strip()]
    return args


def headers_for(args):
    hdrs = {}
    i = 0
    while i < len(args):
        if args[i] == "--content-type" and i + 1 < len(args):
            hdrs["content-type"] = args[i + 1]
            i += 2
        elif args[i] == "--base" and i + 1 < len(args):
            hdrs["content-location"] = args[i + 1]
            i += 2
        else:
            i += 1
    return hdrs


def secrets():
    """Bytes whose appearance in heraldd's output means a file was read."""
    out = []
    for p in ("/etc/passwd", "/etc/hostname"):
        try:
            with open(p) as fh:
                first = fh.readline().strip()
            if len(first) >= 4:
                out.append((p, first))
        except OSError:
            pass
    return out


def run_one(heraldd, name):
    path = os.path.join(CORPUS, name)
    args = read_args(path)
    res = {"name": name, "args": args, "problems": []}
    try:
        p = subprocess.run([heraldd, "parse"] + args + [path], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        res["problems"].append("heraldd timed out (30 s)")
        res["herald"] = []
        return res
    res["rc"] = p.returncode
    res["stderr"] = p.stderr.decode("utf-8", "replace").strip()
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode < 0 or p.returncode > 128:
        res["problems"].append("heraldd crashed (status %d): %s" % (p.returncode, res["stderr"][:200]))
    if name.startswith("safety-"):
        for src, s in secrets():
            if s in out or s in res["stderr"]:
                res["problems"].append("heraldd output contains the first line of %s" % src)
    doc = None
    if p.returncode == 0:
        try:
            doc = json.loads(out)
        except ValueError as e:
            res["problems"].append("heraldd printed invalid JSON: %s" % e)
    if doc is not None:
        if doc.get("version") != JSONFEED_VERSION or not isinstance(doc.get("title"), str) \
                or not isinstance(doc.get("items"), list):
            res["problems"].append("heraldd output lacks JSON Feed 1.1 version/title/items")
        for i, it in enumerate(doc.get("items") or []):
            if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not it.get("id"):
                res["problems"].append("heraldd item %d has no string id (JSON Feed 1.1 requires one)" % i)
            elif not ("content_html" in it or "content_text" in it):
                res["problems"].append("heraldd item %d has neither content_html nor content_text" % i)
            elif not any(it.get(k) for k in ("url", "external_url", "title", "content_html", "content_text", "summary",
                                              "date_published", "date_modified", "authors", "attachments")) \
                    and not (it.get("_herald") or {}).get("id"):
                # feedparser's known mistake (an empty entry per nested <item/>): not to be copied.
                res["problems"].append("heraldd item %d is empty (no id, link, title, content, date, author)" % i)
    res["herald"] = herald_entries(doc) if doc else []
    res["herald_doc"] = doc
    if os.path.exists(path + ".expect.json"):
        res["other"] = expect_entries(path + ".expect.json")
        res["other_name"] = "expected"
    else:
        with open(path, "rb") as fh:
            data = fh.read()
        d = feedparser.parse(data, response_headers=headers_for(args))
        res["other"] = fp_entries(d)
        res["other_name"] = "feedparser"
        res["bozo"] = bool(d.get("bozo"))
    return res


# ------------------------------------------------------------ allowlist


def load_allowlist():
    """file<TAB>index<TAB>field<TAB>herald value<TAB>reason; '#' comments."""
    al = {}
    if not os.path.exists(ALLOWLIST):
        return al
    with open(ALLOWLIST, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 5 or not parts[4].strip():
                sys.exit("allowlist.txt:%d: want 5 tab-separated columns (file, index, field, herald value, reason)" % n)
            key = (parts[0], parts[1], parts[2])
            if key in al:
                sys.exit("allowlist.txt:%d: duplicate %s" % (n, key))
            al[key] = {"value": parts[3], "reason": parts[4], "line": n}
    return al


# ------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", "--verbose", action="store_true", help="also list allowlisted differences")
    ap.add_argument("--only", help="only corpus files whose name contains this")
    ap.add_argument("--dump", help="print both sides for one corpus file and exit")
    ap.add_argument("--tsv", help="write every difference as allowlist-style TSV lines to this file")
    opts = ap.parse_args()
    heraldd = find_heraldd()
    if not os.access(heraldd, os.X_OK):
        sys.exit("run_parity.py: %s is not executable" % heraldd)

    names = sorted(n for n in os.listdir(CORPUS)
                   if not n.endswith((".args", ".expect.json")) and n != "HANDWRITTEN" and not n.startswith("."))
    if opts.dump:
        r = run_one(heraldd, os.path.basename(opts.dump))
        print("args:", r["args"], "rc:", r.get("rc"), "stderr:", r.get("stderr"))
        for side in ("herald", "other"):
            print("--", side if side == "herald" else r["other_name"])
            for i, e in enumerate(r[side]):
                print(i, {k: render(k, e[k]) for k in FIELDS})
        for p in r["problems"]:
            print("PROBLEM:", p)
        return 0
    if opts.only:
        names = [n for n in names if opts.only in n]

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda n: run_one(heraldd, n), names))

    allow = load_allowlist()
    used = set()
    stats = {f: [0, 0, 0] for f in FIELDS}  # agreed, compared, allowlisted
    case_stats = {f: [0, 0] for f in FIELDS}
    count_stats = [0, 0, 0]
    unexplained, allowed, problems, stale = [], [], [], []

    def diff(name, idx, field, hv, ov, other):
        key = (name, str(idx), field)
        hr, orr = render(field, hv), render(field, ov)
        a = allow.get(key)
        if a is not None and a["value"] == hr:
            used.add(key)
            allowed.append((name, idx, field, hr, orr, other, a["reason"]))
            return True
        if a is not None:
            used.add(key)
            stale.append("allowlist.txt:%d: %s entry %s %s: allowlisted Herald value %r, Herald now gives %r"
                         % (a["line"], name, idx, field, a["value"], hr))
        unexplained.append((name, idx, field, hr, orr, other))
        return False

    for r in results:
        name = r["name"]
        for p in r["problems"]:
            problems.append("%s: %s" % (name, p))
        h, o = r["herald"], r["other"]
        count_stats[1] += 1
        if len(h) == len(o):
            count_stats[0] += 1
        elif diff(name, "-", "count", len(h), len(o), r["other_name"]):
            count_stats[2] += 1
        for i in range(min(len(h), len(o))):
            ctrl = is_control(h[i], o[i])
            for f in FIELDS:
                stats[f][1] += 1
                if not ctrl:
                    case_stats[f][1] += 1
                if h[i][f] == o[i][f]:
                    stats[f][0] += 1
                    if not ctrl:
                        case_stats[f][0] += 1
                elif diff(name, i, f, h[i][f], o[i][f], r["other_name"]):
                    stats[f][2] += 1

    for key, a in allow.items():
        if key not in used:
            stale.append("allowlist.txt:%d: %s entry %s %s no longer differs (remove the line)"
                         % (a["line"], key[0], key[1], key[2]))

    n_json = sum(1 for r in results if r["other_name"] == "expected")
    if feedparser.__version__ != "6.0.10":
        print("parity: warning: allowlist.txt was written against feedparser 6.0.10, this is %s" % feedparser.__version__)
    print("parity: %d corpus files (%d against feedparser %s, %d JSON Feed against .expect.json), heraldd %s"
          % (len(results), len(results) - n_json, feedparser.__version__, n_json, heraldd))
    print("%-11s %9s %8s %9s %11s   %s" % ("field", "agree", "of", "%", "allowlisted", "% (case entries only)"))
    ok = True
    pc = 100.0 * count_stats[0] / max(count_stats[1], 1)
    print("%-11s %9d %8d %8.2f%% %11d   (per file)" % ("count", count_stats[0], count_stats[1], pc, count_stats[2]))
    if pc < THRESHOLD:
        ok = False
    for f in FIELDS:
        a, c, al = stats[f]
        pct = 100.0 * a / max(c, 1)
        ca, cc = case_stats[f]
        print("%-11s %9d %8d %8.2f%% %11d   %6.2f%% of %d" % (f, a, c, pct, al, 100.0 * ca / max(cc, 1), cc))
        if pct < THRESHOLD:
            ok = False
    print("allowlist: %d lines, %d used" % (len(allow), len(used)))

    if opts.verbose and allowed:
        print("\nallowlisted differences (Herald right):")
        for name, idx, field, hr, orr, other, reason in allowed:
            print("  %s [%s] %s: herald=%r %s=%r -- %s" % (name, idx, field, hr, other, orr, reason))
    if unexplained:
        ok = False
        print("\n%d differences not in the allowlist:" % len(unexplained))
        for name, idx, field, hr, orr, other in unexplained:
            print("  %s [%s] %s: herald=%r %s=%r" % (name, idx, field, hr, other, orr))
    if opts.tsv:
        with open(opts.tsv, "w", encoding="utf-8") as fh:
            for name, idx, field, hr, orr, other in unexplained:
                fh.write("%s\t%s\t%s\t%s\t%s=%s\n" % (name, idx, field, hr, other, orr.replace("\t", " ")))
    if stale:
        ok = False
        print("\nstale allowlist lines:")
        for s in stale:
            print("  " + s)
    if problems:
        ok = False
        print("\nproblems (never allowlistable):")
        for p in problems:
            print("  " + p)
    print("\nparity: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
