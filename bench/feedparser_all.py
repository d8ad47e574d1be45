#!/usr/bin/python3
"""Times python3-feedparser over a corpus in one process (bench/parse runs it).

    /usr/bin/python3 bench/feedparser_all.py DIR

Loads every feed into memory first, then times feedparser.parse(bytes) over
all of them. Prints the same key=value line as bench/parse_all.c.
"""
import os
import resource
import sys
import time

import feedparser


def peak_kb():
    """VmHWM: ru_maxrss would carry the parent's peak over execve()."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    d = sys.argv[1]
    names = sorted(n for n in os.listdir(d) if n.startswith("feed-"))
    docs = []
    for n in names:
        with open(os.path.join(d, n), "rb") as fh:
            docs.append(fh.read())
    base_kb = peak_kb()
    entries = errors = 0
    start = time.monotonic()
    for doc in docs:
        r = feedparser.parse(doc)
        entries += len(r.entries)
        errors += 1 if r.bozo else 0
    seconds = time.monotonic() - start
    print("files=%d bytes=%d entries=%d errors=%d seconds=%.6f maxrss_kb=%d base_kb=%d largest=%d" % (
        len(docs), sum(map(len, docs)), entries, errors, seconds,
        peak_kb(), base_kb, max(map(len, docs))))


if __name__ == "__main__":
    main()
