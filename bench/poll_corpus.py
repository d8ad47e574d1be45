#!/usr/bin/python3
"""Corpus of bench/poll: N feeds of ~90 KB, ~35 entries each, deterministic.

    /usr/bin/python3 bench/poll_corpus.py OUTDIR [--feeds N] [--seed S]

Feed i is f/NNNNN.xml under OUTDIR: RSS 2.0 for even i, Atom 1.0 for odd i,
30 to 40 entries of ~2.5 KB escaped HTML each. Every feed draws from its own
random.Random(seed, i), so one feed can be rewritten alone: bench/poll
restores the pristine files with write_feed(..., extra=0) and adds round 3's
new entry with extra=1. Same seed, same bytes. The host in entry links is
irrelevant to fetching (bench/poll chooses the URLs).
"""
import argparse
import os
import random
from xml.sax.saxutils import escape

BASE_TS = 1_760_000_000  # fixed: no clock in the corpus
VERSION = 1  # bump when the bytes change (bench/poll regenerates then)
WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an have not but "
    "system kernel memory latency throughput cache buffer request server client feed parser "
    "release version patch commit branch merge build compiler linker allocator thread process "
    "socket packet network storage database index query schema migration benchmark profile "
    "garden recipe coffee morning weekend travel music episode interview guest conversation "
    "history science research climate energy solar battery city bicycle train photograph "
    "résumé café naïve über façade"
).split()
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

_pool = None


def paragraphs(seed):
    """4,096 HTML paragraphs of ~600 bytes, shared by all feeds."""
    global _pool
    if _pool is None:
        g = random.Random(f"poll-pool-{seed}")
        _pool = []
        for k in range(4096):
            words = " ".join(g.choice(WORDS) for _ in range(g.randint(60, 95)))
            _pool.append(f'<p>{words} <a href="https://example.org/ref/{k}">ref {k}</a></p>')
    return _pool


def rfc822(ts):
    import time

    t = time.gmtime(ts)
    return (f"{DAYS[t.tm_wday]}, {t.tm_mday:02d} {MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")


def rfc3339(ts):
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def entries(seed, i, extra):
    """[(guid, title, link, ts, html)], newest first; extra adds new ones on top."""
    g = random.Random(f"poll-feed-{seed}-{i}")
    pool = paragraphs(seed)
    n = g.randint(30, 40)
    out = []
    for j in range(n):
        ts = BASE_TS - i * 37 - j * 6 * 3600
        html = "".join(pool[g.randrange(len(pool))] for _ in range(4))
        out.append((f"tag:bench.test,2025:feed-{i}-entry-{j}", f"Feed {i} entry {j}: "
                    + " ".join(g.choice(WORDS) for _ in range(6)),
                    f"https://site{i % 500}.example/posts/{i}/{j}", ts, html))
    for x in range(extra, 0, -1):
        ts = BASE_TS + x * 3600
        html = "".join(pool[(i * 7 + x * 13 + k) % len(pool)] for k in range(4))
        out.insert(0, (f"tag:bench.test,2025:feed-{i}-new-{x}", f"Feed {i} new entry {x}",
                       f"https://site{i % 500}.example/posts/{i}/new-{x}", ts, html))
    return out


def render(seed, i, extra=0):
    es = entries(seed, i, extra)
    parts = []
    if i % 2 == 0:
        parts.append('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
                     f"<title>Bench feed {i}</title><link>https://site{i % 500}.example/</link>\n"
                     f"<description>Poll benchmark feed {i}</description>\n")
        for guid, title, link, ts, html in es:
            parts.append(f"<item><title>{escape(title)}</title><link>{link}</link>"
                         f'<guid isPermaLink="false">{guid}</guid><pubDate>{rfc822(ts)}</pubDate>'
                         f"<description>{escape(html)}</description></item>\n")
        parts.append("</channel></rss>\n")
    else:
        parts.append('<?xml version="1.0" encoding="utf-8"?>\n'
                     '<feed xmlns="http://www.w3.org/2005/Atom">\n'
                     f"<title>Bench feed {i}</title><id>tag:bench.test,2025:feed-{i}</id>"
                     f'<link href="https://site{i % 500}.example/"/>'
                     f"<updated>{rfc3339(es[0][3])}</updated>\n")
        for guid, title, link, ts, html in es:
            parts.append(f"<entry><title>{escape(title)}</title><link href=\"{link}\"/>"
                         f"<id>{guid}</id><updated>{rfc3339(ts)}</updated>"
                         f'<content type="html">{escape(html)}</content></entry>\n')
        parts.append("</feed>\n")
    return "".join(parts).encode(), len(es)


def path_of(outdir, i):
    return os.path.join(outdir, "f", f"{i:05d}.xml")


def write_feed(outdir, seed, i, extra=0):
    data, n = render(seed, i, extra)
    tmp = path_of(outdir, i) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path_of(outdir, i))  # atomic: nginx never serves half a file
    return len(data), n


def generate(outdir, feeds, seed):
    os.makedirs(os.path.join(outdir, "f"), exist_ok=True)
    os.chmod(outdir, 0o755)
    os.chmod(os.path.join(outdir, "f"), 0o755)
    total_bytes = total_entries = 0
    for i in range(feeds):
        b, n = write_feed(outdir, seed, i)
        total_bytes += b
        total_entries += n
    return total_bytes, total_entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--feeds", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    b, n = generate(a.outdir, a.feeds, a.seed)
    print(f"{a.feeds} feeds, {b} bytes, {n} entries")


if __name__ == "__main__":
    main()
