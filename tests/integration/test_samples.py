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
        ids_of = {}  # link -> the ids its sources gave it
        for path in SAMPLES:
            for i, link in sample_entries(path)[1]:
                ids_of.setdefault(link, set()).add(i)
        # Planet-style republishing: a story carried by two feeds appears
        # once (dedup = story by default), with the other as rel=related.
        f = d.wait_feed(lambda f: {e.link for e in f.entries} == set(ids_of), timeout=15,
                        message="one entry per sample story")
        self.assertEqual(len(f.entries), len(ids_of), "each story once")
        for e in f.entries:
            self.assertIn(e.id, ids_of[e.link])
        carried_twice = [link for link in ids_of
                         if sum(link in [l for _, l in sample_entries(p)[1]] for p in SAMPLES) > 1]
        self.assertTrue(carried_twice, "the samples republish stories")
        for e in f.entries:
            related = [href for rel, href in e.links if rel == "related"]
            self.assertEqual(bool(related), e.link in carried_twice, e.link)

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
