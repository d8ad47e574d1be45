"""The sample feeds in contrib/samples (used by `make run`): valid for
feedparser and for heraldd, and merged by a daemon that reads them as
file: URLs."""

import glob
import json
import os
import unittest
import xml.etree.ElementTree as ET

import feedparser

from harness import SOURCE_DIR, HeraldTestCase, run_heraldd

SAMPLES = sorted(glob.glob(os.path.join(SOURCE_DIR, "contrib", "samples", "*.*")))


def sample_entries(path):
    fp = feedparser.parse(path)
    return fp, [(e.id, e.link) for e in fp.entries]


class SamplesTest(HeraldTestCase):
    def test_samples_are_valid_feeds(self):
        self.assertGreaterEqual(len(SAMPLES), 4, "samples: %r" % SAMPLES)
        for path in SAMPLES:
            with self.subTest(sample=os.path.basename(path)):
                ET.parse(path)  # well-formed
                fp, entries = sample_entries(path)
                self.assertFalse(fp.bozo, fp.get("bozo_exception"))
                self.assertIn(fp.version, ("rss20", "atom10"))
                self.assertTrue(5 <= len(entries) <= 8, len(entries))
                self.assertEqual(len({e[0] for e in entries}), len(entries), "unique ids")
                for e in fp.entries:
                    self.assertTrue(e.link.startswith("https://"), "absolute link: %r" % e.link)
                    self.assertTrue(e.published_parsed, "dated entry")

    def test_heraldd_parse_reads_every_sample(self):
        for path in SAMPLES:
            with self.subTest(sample=os.path.basename(path)):
                p = run_heraldd(["parse", path])
                self.assertEqual(p.returncode, 0, p.stderr)
                doc = json.loads(p.stdout)
                _, entries = sample_entries(path)
                self.assertEqual([(i.get("id"), i.get("url")) for i in doc["items"]], entries)

    def test_daemon_merges_the_samples_from_file_urls(self):
        feeds = [(os.path.splitext(os.path.basename(p))[0], "file://" + p) for p in SAMPLES]
        d = self.start_daemon(feeds)
        every = {}
        total = 0
        for path in SAMPLES:
            _, entries = sample_entries(path)
            every.update(entries)
            total += len(entries)
        # Planet-style republishing shares ids between feeds: each distinct
        # id appears, at most once per source feed.
        f = d.wait_feed(lambda f: set(f.ids) == set(every), timeout=15,
                        message="every sample entry id")
        self.assertTrue(len(every) <= len(f.entries) <= total, len(f.entries))
        for e in f.entries:
            self.assertEqual(e.link, every[e.id])

    def test_relative_file_urls_resolve_against_the_config_folder(self):
        d = self.new_daemon()
        picks = [p for p in SAMPLES if p.endswith((".atom",))][:2]
        feeds = [(os.path.basename(p), "file:" + os.path.relpath(p, d.dir)) for p in picks]
        self.assertTrue(all(f[1].startswith("file:../") or f[1].startswith("file:..")
                            for f in feeds), feeds)
        d.start(d.config(feeds))
        ids = set()
        for p in picks:
            ids.update(i for i, _ in sample_entries(p)[1])
        d.wait_ids(ids, timeout=15)


if __name__ == "__main__":
    unittest.main()
