#!/usr/bin/python3
"""Generates the parse benchmark's corpus: 1,000 realistic feeds, deterministically.

    /usr/bin/python3 bench/gen_corpus.py OUTDIR [--seed N]

Mix (by feed): 40% summary-only (RSS 2.0 and Atom 1.0, a paragraph or two of
HTML per entry), 35% full-content (RSS content:encoded in CDATA, Atom
type="html" escaped; 2-8 KB of HTML per entry: paragraphs, links, images,
lists, code, quotes, entities), 25% podcasts (RSS 2.0 + iTunes: enclosures,
durations, show notes). A few full-content feeds carry a long archive, so
the largest input is around 1 MB, as in the wild. Everything is well-formed
XML so every tool measured reads the same documents. Same seed, same bytes.
Writes OUTDIR/feed-NNNN.{xml,atom} and OUTDIR/manifest.json (files, bytes,
entries per file, totals).
"""
import json
import os
import random
import sys
from xml.sax.saxutils import escape

N_FEEDS = 1000
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
BASE_TS = 1_760_000_000  # fixed: no clock in the corpus

WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an have not but "
    "which one all were when we there can more if has will their what about would so out up "
    "system kernel memory latency throughput cache buffer request server client feed parser "
    "release version patch commit branch merge build compiler linker allocator thread process "
    "socket packet network storage database index query schema migration benchmark profile "
    "function pointer structure array string library module interface protocol encoding "
    "performance regression security vulnerability sandbox container cluster replica leader "
    "quorum consensus snapshot journal transaction isolation lock contention scheduler queue "
    "garden recipe coffee morning weekend travel music episode interview guest conversation "
    "history science research climate energy solar battery city bicycle train photograph "
    "résumé café naïve über façade coördinate smörgåsbord"
).split()

TAGS_INLINE = ["strong", "em", "code", "b", "i"]
DOMAINS = ["example.org", "blog.example.com", "news.example.net", "dev.example.io", "pod.example.fm"]


def rfc822(ts):
    import time
    t = time.gmtime(ts)
    zone = ["+0000", "GMT", "-0500", "+0100", "-0700", "+0530"][ts % 6]
    return "%s, %02d %s %04d %02d:%02d:%02d %s" % (
        DAY_NAMES[t.tm_wday], t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec, zone)


def rfc3339(ts):
    import time
    t = time.gmtime(ts)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def words(self, lo, hi):
        return " ".join(self.r.choices(WORDS, k=self.r.randint(lo, hi)))

    def title(self):
        w = self.words(3, 10)
        return w[0].upper() + w[1:]

    def sentence(self):
        s = self.words(6, 22)
        return s[0].upper() + s[1:] + self.r.choice([".", ".", ".", "?", "!"])

    def inline(self, dom):
        parts = []
        for _ in range(self.r.randint(2, 6)):
            s = self.sentence()
            c = self.r.random()
            if c < 0.18:
                s = '%s <a href="https://%s/%s">%s</a>.' % (s[:-1], dom, self.slug(), self.words(1, 4))
            elif c < 0.30:
                t = self.r.choice(TAGS_INLINE)
                s = "<%s>%s</%s> %s" % (t, self.words(1, 3), t, s)
            elif c < 0.36:
                s = s + " &amp; " + self.words(2, 5) + " &lt;3 &#8212; &quot;ok&quot;"
            parts.append(s)
        return " ".join(parts)

    def slug(self):
        return "-".join(self.r.choices(WORDS[:60], k=self.r.randint(2, 5)))

    def html(self, dom, lo, hi):
        """Blog-like HTML of lo..hi bytes (approximately)."""
        target = self.r.randint(lo, hi)
        out = []
        n = 0
        while n < target:
            c = self.r.random()
            if c < 0.62:
                b = "<p>%s</p>\n" % self.inline(dom)
            elif c < 0.72:
                b = '<figure><img src="https://%s/img/%s.jpg" alt="%s" width="%d" height="%d"/><figcaption>%s</figcaption></figure>\n' % (
                    dom, self.slug(), self.words(2, 6), self.r.randint(300, 1600), self.r.randint(200, 900), self.words(3, 9))
            elif c < 0.82:
                b = "<ul>%s</ul>\n" % "".join("<li>%s</li>" % self.inline(dom) for _ in range(self.r.randint(2, 5)))
            elif c < 0.90:
                code = "\n".join("    %s(%s);" % (self.r.choice(WORDS[40:90]), ", ".join(self.r.choices(WORDS[:40], k=2)))
                                 for _ in range(self.r.randint(3, 12)))
                b = '<pre><code class="language-c">if (x &lt; y &amp;&amp; p-&gt;len) {\n%s\n}</code></pre>\n' % code
            elif c < 0.95:
                b = "<blockquote><p>%s</p></blockquote>\n" % self.inline(dom)
            else:
                b = "<h2>%s</h2>\n" % self.title()
            out.append(b)
            n += len(b)
        return "".join(out)


def rss_feed(g, i, kind, n_entries):
    dom = g.r.choice(DOMAINS)
    site = "https://%s/~u%d/" % (dom, i)
    podcast = kind == "podcast"
    ns = ' xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
    if podcast:
        ns += ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    ts = BASE_TS - g.r.randint(0, 86400 * 30)
    o = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"%s>\n<channel>\n' % ns]
    o.append("<title>%s</title>\n<link>%s</link>\n<description>%s</description>\n" % (escape(g.title()), site, escape(g.sentence())))
    o.append('<atom:link href="%sfeed.xml" rel="self" type="application/rss+xml"/>\n' % site)
    o.append("<language>en-us</language>\n<lastBuildDate>%s</lastBuildDate>\n<generator>gen %d</generator>\n" % (rfc822(ts), i))
    if podcast:
        o.append('<itunes:author>%s</itunes:author>\n<itunes:image href="%scover.jpg"/>\n<itunes:category text="Technology"/>\n<itunes:explicit>false</itunes:explicit>\n' % (escape(g.words(2, 3)), site))
    for j in range(n_entries):
        ts -= g.r.randint(3600, 86400 * 4)
        link = "%s%s/%s" % (site, j, g.slug())
        o.append("<item>\n<title>%s</title>\n<link>%s</link>\n" % (escape(g.title()), link))
        o.append('<guid isPermaLink="%s">%s</guid>\n<pubDate>%s</pubDate>\n' % (
            "true" if j % 3 else "false", link if j % 3 else "tag:%s,2025:%d-%d" % (dom, i, j), rfc822(ts)))
        o.append("<dc:creator>%s</dc:creator>\n" % escape(g.words(2, 2).title()))
        for _ in range(g.r.randint(0, 3)):
            o.append("<category>%s</category>\n" % g.r.choice(WORDS[40:100]))
        if kind == "summary":
            o.append("<description>%s</description>\n" % escape(g.html(dom, 150, 900)))
        elif kind == "full":
            o.append("<description>%s</description>\n" % escape("<p>%s</p>" % g.sentence()))
            o.append("<content:encoded><![CDATA[%s]]></content:encoded>\n" % g.html(dom, 2048, 8192))
        else:
            notes = g.html(dom, 400, 2500)
            o.append("<description><![CDATA[%s]]></description>\n" % notes)
            o.append('<enclosure url="https://cdn.%s/ep/%d-%d.mp3" length="%d" type="audio/mpeg"/>\n' % (dom, i, j, g.r.randint(10**7, 10**8)))
            o.append("<itunes:duration>%02d:%02d:%02d</itunes:duration>\n<itunes:episode>%d</itunes:episode>\n" % (
                g.r.randint(0, 2), g.r.randint(0, 59), g.r.randint(0, 59), n_entries - j))
            o.append("<itunes:summary>%s</itunes:summary>\n" % escape(g.sentence()))
        o.append("</item>\n")
    o.append("</channel>\n</rss>\n")
    return "".join(o)


def atom_feed(g, i, kind, n_entries):
    dom = g.r.choice(DOMAINS)
    site = "https://%s/~a%d/" % (dom, i)
    ts = BASE_TS - g.r.randint(0, 86400 * 30)
    o = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n']
    o.append('<title>%s</title>\n<subtitle>%s</subtitle>\n<id>%s</id>\n<updated>%s</updated>\n' % (
        escape(g.title()), escape(g.sentence()), site, rfc3339(ts)))
    o.append('<link href="%s"/>\n<link rel="self" href="%satom.xml"/>\n<author><name>%s</name></author>\n' % (site, site, escape(g.words(2, 2).title())))
    for j in range(n_entries):
        ts -= g.r.randint(3600, 86400 * 4)
        link = "%s%d/%s" % (site, j, g.slug())
        o.append("<entry>\n<title>%s</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"%s\"/>\n<id>tag:%s,2025:%d-%d</id>\n" % (
            escape(g.title()), link, dom, i, j))
        o.append("<published>%s</published>\n<updated>%s</updated>\n" % (rfc3339(ts), rfc3339(ts + g.r.randint(0, 7200))))
        for _ in range(g.r.randint(0, 3)):
            o.append('<category term="%s"/>\n' % g.r.choice(WORDS[40:100]))
        if kind == "summary":
            o.append('<summary type="html">%s</summary>\n' % escape(g.html(dom, 150, 900)))
        else:
            o.append('<summary>%s</summary>\n' % escape(g.sentence()))
            o.append('<content type="html">%s</content>\n' % escape(g.html(dom, 2048, 8192)))
        o.append("</entry>\n")
    o.append("</feed>\n")
    return "".join(o)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_corpus.py OUTDIR [--seed N]")
    out = sys.argv[1]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--seed" else 20251126
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):  # a previous corpus, possibly of another seed
        if old.startswith("feed-") or old == "manifest.json":
            os.unlink(os.path.join(out, old))
    plan = random.Random(seed)
    files = []
    for i in range(N_FEEDS):
        g = Gen(seed * 7919 + i)
        c = plan.random()
        if c < 0.40:
            kind, n = "summary", plan.randint(22, 80)
        elif c < 0.75:
            kind, n = "full", plan.randint(8, 24)
            if plan.random() < 0.01:
                kind, n = "full", 200  # a long archive
        else:
            kind, n = "podcast", plan.randint(15, 60)
        atom = kind != "podcast" and plan.random() < 0.4
        doc = (atom_feed if atom else rss_feed)(g, i, kind, n).encode("utf-8")
        name = "feed-%04d.%s" % (i, "atom" if atom else "xml")
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(doc)
        files.append({"file": name, "bytes": len(doc), "entries": n, "kind": kind,
                      "format": "atom" if atom else "rss"})
    total = {"files": len(files), "bytes": sum(f["bytes"] for f in files),
             "entries": sum(f["entries"] for f in files),
             "largest_bytes": max(f["bytes"] for f in files), "seed": seed}
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump({"total": total, "files": files}, fh, indent=0)
    print("corpus: %(files)d feeds, %(bytes)d bytes, %(entries)d entries, largest %(largest_bytes)d bytes" % total)


if __name__ == "__main__":
    main()
