"""Webhooks: [webhook "NAME"] sections POST events to HTTP endpoints.

One delivery per new story and webhook (deduplicated at the level of the
webhook's outputs, filtered by them), story.source_added and story.updated
when configured; Standard Webhooks headers and signatures, webhook-id
stable across retries; retries after failures and timeouts, Retry-After on
429/503, redirects never followed, 410 disabling an endpoint, dead
deliveries requeued with `heraldd deliveries --retry`; the outbox surviving
SIGKILL; the json, slack, discord, ntfy and template formats; batches;
feed.gone, feed.moved, feed.failing and feed.recovered; `heraldd
webhook-test`; config errors with FILE:LINE; the secret kept out of logs.

The receiver is hooks.Receiver (a scripted HTTP server that records every
request and checks signatures)."""

import base64
import datetime as _dt
import json
import os
import re
import secrets
import shutil
import tempfile
import textwrap
import time
import unittest

from harness import (HeraldTestCase, free_port, parse_rfc3339, recent, rss, run_heraldd,
                     wait_until)
from hooks import (Receiver, Reply, max_overlap, secret_key, sign, signatures, verify,
                   verify_request)

# Standard Webhooks test vector (from the specification's libraries).
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}

STORY_EVENTS = ("story.new", "story.updated", "story.source_added")
FEED_EVENTS = ("feed.moved", "feed.gone", "feed.failing", "feed.recovered")


def new_secret():
    """A fresh whsec_ secret (24 random bytes, base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def webhook_section(name, url, **keys):
    """A [webhook "NAME"] section; a list value repeats its key (header)."""
    lines = ['[webhook "%s"]' % name, "url = %s" % url]
    for k, v in keys.items():
        for item in (v if isinstance(v, (list, tuple)) else [v]):
            lines.append("%s = %s" % (k, item))
    return "\n".join(lines) + "\n"


TOPICS = [
    ("Harbour authority approves a new ferry terminal", "Ferries will dock at the east pier."),
    ("Tram network extended to the airport", "Four new stops open in the spring."),
    ("Orchard growers report a record apple harvest", "Cold nights helped the fruit."),
    ("Observatory spots a comet near Jupiter", "Amateurs can see it with binoculars."),
    ("Lighthouse keeper retires after forty years", "The light is now automatic."),
    ("Glacier retreat measured by drones", "The ice lost twelve metres this summer."),
    ("Bakery wins the national bread award", "Its rye loaf impressed the judges."),
    ("Chess club hosts a simultaneous exhibition", "A grandmaster played thirty boards."),
]


def item(n, prefix="w", **extra):
    """An RSS item with guid PREFIX-N, its own link, a title and a body
    about topic n (entries of different n are different stories; the same
    n in two feeds is one story at dedup = story)."""
    title, body = TOPICS[n % len(TOPICS)]
    it = {"guid": "%s-%d" % (prefix, n), "link": "https://%s.example.org/story/%d" % (prefix, n),
          "title": "%s (%s)" % (title, prefix), "description": "<p>%s</p>" % body,
          "date": recent(29, 1 + n % 20)}
    it.update(extra)
    return it


def line_of(text, pattern, start=0):
    """1-based number of the first line at or after line start+1 matching
    the regex."""
    rx = re.compile(pattern)
    for i, line in enumerate(text.splitlines()[start:], start + 1):
        if rx.search(line):
            return i
    raise AssertionError("no line matches %r in:\n%s" % (pattern, text))


class WebhookTestCase(HeraldTestCase):
    """A FixtureServer for feeds (self.server), a Receiver (self.recv), and
    helpers for daemons with [webhook] sections."""

    def setUp(self):
        super().setUp()
        self.recv = Receiver()
        self.addCleanup(self.recv.stop)

    def hook_daemon(self, feeds, hooks, outputs="", files=None, start=True, **herald):
        """A daemon whose config is feeds + outputs + hooks (text); files
        maps names in the daemon's folder to their content (secrets,
        templates)."""
        d = self.new_daemon()
        for name, content in (files or {}).items():
            with open(os.path.join(d.dir, name), "w", encoding="utf-8") as f:
                f.write(content)
        text = d.config(feeds, **herald) + outputs + "\n" + hooks
        if start:
            d.start(text)
        else:
            d.write_config(text)
        return d

    def set_env(self, name, value):
        old = os.environ.get(name)
        os.environ[name] = value

        def restore():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
        self.addCleanup(restore)

    # -- heraldd deliveries -------------------------------------------------

    def deliveries(self, d, *args):
        p = run_heraldd(["deliveries", "-c", d.conf_path] + list(args))
        return p

    def deliveries_json(self, d, all_=True):
        p = self.deliveries(d, "--json", *(["--all"] if all_ else []))
        self.assertEqual(p.returncode, 0, "heraldd deliveries --json: %s" % p.stderr)
        try:
            rows = json.loads(p.stdout)
        except ValueError as exc:
            raise AssertionError("deliveries --json is not JSON (%s): %r" % (exc, p.stdout))
        self.assertIsInstance(rows, list)
        for r in rows:
            for key in ("id", "webhook", "event", "state", "attempts", "last_status",
                        "last_error", "next_attempt", "title"):
                self.assertIn(key, r, "deliveries --json row %r" % r)
            self.assertIn(r["state"], ("pending", "failed", "dead", "delivered"), r)
        return rows

    def wait_deliveries(self, d, cond, timeout=10.0, message="deliveries", all_=True):
        last = [None]

        def check():
            last[0] = self.deliveries_json(d, all_)
            return last[0] if cond(last[0]) else None

        return wait_until(check, timeout, 0.2, lambda: "%s; deliveries: %r; log:\n%s" % (
            message, last[0], d.log()[-3000:]))

    # -- assertions ---------------------------------------------------------

    def assertWebhookHeaders(self, req, secret=None, extra=None):
        """content-type, webhook-id, webhook-timestamp of this attempt, the
        signature (iff secret) and the configured extra headers."""
        ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
        self.assertEqual(ctype, "application/json", req)
        self.assertEqual(req.method, "POST", req)
        self.assertRegex(req.webhook_id or "", r"^msg_\S+$", req)
        ts = req.webhook_timestamp
        self.assertIsNotNone(ts, "webhook-timestamp: %r" % req.header("webhook-timestamp"))
        self.assertLessEqual(abs(ts - req.wall), 3, "webhook-timestamp is the attempt's time")
        if secret is None:
            self.assertIsNone(req.header("webhook-signature"), "no secret, no signature")
        else:
            self.assertTrue(req.header("webhook-signature"), "a secret signs: %r" % req)
            self.assertTrue(verify_request(req, secret),
                            "signature %r does not verify" % req.header("webhook-signature"))
        for k, v in (extra or {}).items():
            self.assertEqual(req.header(k), v, "configured header %s" % k)

    def assertEventShape(self, body, kind):
        self.assertEqual(body.get("type"), kind, body)
        ts = parse_rfc3339(body.get("timestamp"))
        self.assertEqual(ts.utcoffset(), _dt.timedelta(0), "timestamp in UTC")
        self.assertIsInstance(body.get("data"), dict, body)
        return body["data"]

    def assertSecretHidden(self, secret, *texts):
        key_b64 = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
        for text in texts:
            self.assertNotIn(secret, text)
            self.assertNotIn(key_b64, text)

    def settle(self, path, polls=2, timeout=15):
        """Waits until the feed at path was polled `polls` more times: the
        daemon had its chances to send what it must not send."""
        n = len(self.server.requests_for(path))
        self.server.wait_requests(path, n + polls, timeout=timeout)

    @staticmethod
    def bodies(reqs):
        return [r.json() for r in reqs]


# --------------------------------------------------------------------------
# The helper itself: always runs (no daemon needed)


class ReceiverSelfTest(unittest.TestCase):
    def test_standard_webhooks_vector(self):
        v = VECTOR
        self.assertEqual(sign(v["secret"], v["id"], v["timestamp"], v["body"]), v["signature"])
        self.assertEqual(sign(v["secret"], v["id"], str(v["timestamp"]), v["body"].decode()),
                         v["signature"])
        self.assertTrue(verify(v["secret"], v["id"], v["timestamp"], v["body"], v["signature"]))
        # Several signatures: one good one is enough; other versions ignored.
        bogus = "v1," + base64.b64encode(b"x" * 32).decode()
        good = v["signature"]
        self.assertTrue(verify(v["secret"], v["id"], v["timestamp"], v["body"],
                               bogus + " " + good))
        self.assertEqual(signatures("v1a,abc " + good + " v2,zzz"), [good[3:]])
        self.assertFalse(verify(v["secret"], v["id"], v["timestamp"], v["body"],
                                "v2," + good[3:]))
        self.assertFalse(verify(v["secret"], v["id"], v["timestamp"], v["body"], bogus))
        self.assertFalse(verify(v["secret"], v["id"], v["timestamp"] + 1, v["body"], good))
        self.assertFalse(verify(v["secret"], v["id"] + "x", v["timestamp"], v["body"], good))
        self.assertFalse(verify(v["secret"], v["id"], v["timestamp"], v["body"] + b" ", good))
        self.assertFalse(verify(v["secret"], v["id"], v["timestamp"], v["body"], ""))
        # The key: base64 after whsec_, else the raw bytes.
        self.assertEqual(secret_key(v["secret"]),
                         base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        self.assertEqual(secret_key("plain-secret"), b"plain-secret")
        import hashlib
        import hmac
        raw = base64.b64encode(hmac.new(b"plain-secret", b"msg_1.5.{}", hashlib.sha256)
                               .digest()).decode()
        self.assertEqual(sign("plain-secret", "msg_1", 5, b"{}"), "v1," + raw)

    def test_receiver_records_and_follows_its_script(self):
        import http.client
        recv = Receiver()
        self.addCleanup(recv.stop)
        target = recv.url("/target")
        recv.script("/a", [500, Reply(429, headers={"Retry-After": "7"}),
                           Reply(302, headers={"Location": target}), Reply(200, delay=0.5)])
        recv.set_default("/gone", 410)

        def post(path, body, headers=None, chunked=False):
            conn = http.client.HTTPConnection("127.0.0.1", recv.port, timeout=5)
            try:
                if chunked:
                    conn.putrequest("POST", path)
                    for k, v in (headers or {}).items():
                        conn.putheader(k, v)
                    conn.putheader("Transfer-Encoding", "chunked")
                    conn.endheaders()
                    for part in (body[:3], body[3:]):
                        conn.send(b"%x\r\n%s\r\n" % (len(part), part))
                    conn.send(b"0\r\n\r\n")
                else:
                    conn.request("POST", path, body=body, headers=headers or {})
                r = conn.getresponse()
                r.read()
                return r
            finally:
                conn.close()

        body = b'{"x": "caf\xc3\xa9 \\" \\n"}'
        v = VECTOR
        hdrs = {"webhook-id": v["id"], "webhook-timestamp": str(v["timestamp"]),
                "webhook-signature": v["signature"], "Content-Type": "application/json"}
        statuses = []
        for _ in range(4):
            t0 = time.monotonic()
            r = post("/a", body, hdrs)
            statuses.append((r.status, r.getheader("Retry-After"), r.getheader("Location"),
                             time.monotonic() - t0))
        self.assertEqual([s[0] for s in statuses], [500, 429, 302, 200])
        self.assertEqual(statuses[1][1], "7")
        self.assertEqual(statuses[2][2], target)
        self.assertGreaterEqual(statuses[3][3], 0.45, "the slow reply waited")
        self.assertEqual(post("/a", body).status, 200, "after the queue: 200")
        self.assertEqual(post("/gone", b"{}").status, 410)
        self.assertEqual(post("/gone", b"{}").status, 410)
        post("/chunked", VECTOR["body"], hdrs, chunked=True)

        reqs = recv.requests_for("/a")
        self.assertEqual(len(reqs), 5)
        self.assertEqual([r.status for r in reqs], [500, 429, 302, 200, 200])
        self.assertTrue(all(r.body == body for r in reqs), "exact body bytes")
        self.assertEqual(reqs[0].header("Webhook-Id"), v["id"])
        self.assertEqual(reqs[0].webhook_timestamp, v["timestamp"])
        self.assertEqual(recv.requests_for("/target"), [], "nothing follows a redirect")
        self.assertEqual(len(recv.wait_requests("/gone", 2, timeout=1)), 2)
        chunked = recv.requests_for("/chunked")[0]
        self.assertEqual(chunked.body, VECTOR["body"])
        self.assertTrue(verify_request(chunked, v["secret"]))
        self.assertFalse(verify_request(reqs[0], v["secret"]), "another body, same signature")
        self.assertFalse(verify_request(recv.requests_for("/gone")[0], v["secret"]),
                         "no signature header")
        with self.assertRaises(AssertionError):
            recv.wait_requests("/never", 1, timeout=0.2)

    def test_config_generation(self):
        self.assertEqual(
            webhook_section("a", "http://127.0.0.1:9/h", events="story.new story.updated",
                            header=["X-One: 1", "X-Two: 2"], retry="1s"),
            '[webhook "a"]\nurl = http://127.0.0.1:9/h\nevents = story.new story.updated\n'
            "header = X-One: 1\nheader = X-Two: 2\nretry = 1s\n")
        self.assertEqual(line_of("a\nb = 1\n[x]\nb = 2\n", r"^b =", 2), 4)


# --------------------------------------------------------------------------
# Stories


class StoryNewTest(WebhookTestCase):
    def test_json_body_headers_and_signature(self):
        secret = new_secret()
        self.set_env("HERALD_IT_WEBHOOK_SECRET", secret)
        items = [item(1, "news", author="Alice Example"), item(2, "news")]
        self.server.set("/news.xml", rss(items, title="News Title", link="https://news.example/"))
        feed_url = self.server.url("/news.xml")
        d = self.hook_daemon(
            [("news", feed_url, {"interval": "1s"})],
            webhook_section("main", self.recv.url("/main"), secret="env:HERALD_IT_WEBHOOK_SECRET",
                            header=["X-Herald-Test: yes", "X-Other: a: b"], retry="1s"))
        reqs = self.recv.wait_requests("/main", 2, timeout=15)
        for r in reqs:
            self.assertWebhookHeaders(r, secret, {"x-herald-test": "yes", "x-other": "a: b"})
        by_id = {}
        for r in reqs:
            data = self.assertEventShape(r.json(), "story.new")
            by_id[data["story"]["id"]] = (r, data)
        self.assertEqual(set(by_id), {"news-1", "news-2"})
        self.assertNotEqual(reqs[0].webhook_id, reqs[1].webhook_id, "one id per delivery")

        _, data = by_id["news-1"]
        story, feed = data["story"], data["feed"]
        row = d.query("SELECT id FROM entries WHERE guid = 'news-1'")[0]
        self.assertEqual(story["entry_id"], row["id"])
        self.assertIsInstance(story["entry_id"], int)
        self.assertEqual(story["title"], items[0]["title"])
        self.assertEqual(story["link"], items[0]["link"])
        self.assertIsInstance(story["canonical_link"], str)
        self.assertIn(TOPICS[1][1], story["summary"])
        self.assertEqual(parse_rfc3339(story["published"]), items[0]["date"])
        self.assertTrue(story["updated"] is None or parse_rfc3339(story["updated"]))
        self.assertIsInstance(story["authors"], list)
        self.assertIn("Alice Example", json.dumps(story["authors"]))
        # (keys besides the specified ones are allowed)
        self.assertEqual([{k: s.get(k) for k in ("feed", "title", "link")}
                          for s in story["sources"]],
                         [{"feed": "news", "title": items[0]["title"], "link": items[0]["link"]}])
        self.assertEqual(feed["name"], "news")
        self.assertEqual(feed["title"], "News Title")
        self.assertEqual(feed["url"], feed_url)

        # A later entry is one more delivery; re-polls add none.
        items.append(item(3, "news"))
        self.server.set("/news.xml", rss(items, title="News Title", link="https://news.example/"))
        third = self.recv.wait_requests("/main", 3, timeout=15)[2]
        self.assertWebhookHeaders(third, secret)
        self.assertEqual(third.json()["data"]["story"]["id"], "news-3")
        self.settle("/news.xml")
        self.assertEqual(len(self.recv.requests_for("/main")), 3, "one delivery per story")

        rows = self.wait_deliveries(d, lambda rows: len(rows) == 3 and all(
            r["state"] == "delivered" for r in rows), message="three delivered")
        for r in rows:
            self.assertEqual((r["webhook"], r["event"], r["attempts"], r["last_status"]),
                             ("main", "story.new", 1, 200), r)
        self.assertEqual(sorted(r["title"] for r in rows), sorted(i["title"] for i in items))
        self.assertEqual(self.deliveries_json(d, all_=False), [], "nothing pending")
        texts = [d.log(all_runs=True)] + [self.deliveries(d, *a).stdout
                                         for a in ([], ["--all"], ["--json", "--all"])]
        self.assertSecretHidden(secret, *texts)
        self.assertStopsCleanly(d)
        self.assertSecretHidden(secret, d.log(all_runs=True))


    def test_authorization_header_is_sent(self):
        # The usual way to authenticate to a webhook endpoint besides
        # signatures: header = Authorization: Bearer TOKEN.
        self.server.set("/auth.xml", rss([item(1, "auth")], title="Auth"))
        self.hook_daemon([("auth", self.server.url("/auth.xml"), {"interval": "1s"})],
                         webhook_section("auth", self.recv.url("/auth"), retry="1s",
                                         header="Authorization: Bearer t0ken-123"))
        req = self.recv.wait_requests("/auth", 1, timeout=15)[0]
        self.assertWebhookHeaders(req, None, {"authorization": "Bearer t0ken-123"})


class DedupTest(WebhookTestCase):
    """One story told by two feeds (the same link): one story.new per
    webhook, story.source_added only where configured, every entry at
    dedup = none."""

    SHARED = "https://shared.example.com/2026/harbour-reopens"

    def test_one_delivery_per_story(self):
        wire = [item(1, "wire"), {"guid": "wire-shared", "link": self.SHARED,
                                  "title": "The old harbour reopens after five years",
                                  "description": "<p>Ships are back in the old harbour.</p>",
                                  "date": recent(29, 6)}]
        paper = [item(2, "paper"), {"guid": "paper-shared", "link": self.SHARED,
                                    "title": "The old harbour reopens after five years",
                                    "description": "<p>Ships are back in the old harbour.</p>",
                                    "date": recent(29, 6, 20)}]
        self.server.set("/wire.xml", rss(wire, title="Wire"))
        self.server.set("/paper.xml", rss(paper, title="Paper"))
        outputs = '\n[output "copy"]\ntitle = Copy\n\n[output "raw"]\ndedup = none\n'
        hooks = (webhook_section("new", self.recv.url("/new"), outputs="all, copy", retry="1s")
                 + "\n" + webhook_section("both", self.recv.url("/both"),
                                          events="story.new, story.source_added", retry="1s")
                 + "\n" + webhook_section("raw", self.recv.url("/raw"), outputs="raw",
                                          retry="1s"))
        self.hook_daemon([("wire", self.server.url("/wire.xml"), {"interval": "1s"}),
                          ("paper", self.server.url("/paper.xml"), {"interval": "1s"})],
                         hooks, outputs)
        shared = {"wire-shared", "paper-shared"}

        new = self.bodies(self.recv.wait_requests("/new", 3, timeout=15))
        raw = self.bodies(self.recv.wait_requests("/raw", 4, timeout=15))
        both = self.bodies(self.recv.wait_requests("/both", 4, timeout=15))
        self.settle("/wire.xml")
        self.settle("/paper.xml", 1)
        new = self.bodies(self.recv.requests_for("/new"))
        raw = self.bodies(self.recv.requests_for("/raw"))
        both = self.bodies(self.recv.requests_for("/both"))

        for b in new + raw + both:
            self.assertIn(b["type"], ("story.new", "story.source_added"), b)
        ids = sorted(b["data"]["story"]["id"] for b in new)
        self.assertEqual(len(new), 3, "one story.new per story, once although in two outputs: %r"
                         % ids)
        self.assertTrue(all(b["type"] == "story.new" for b in new), "source_added not configured")
        self.assertEqual(len(set(ids) & shared), 1, ids)
        self.assertTrue({"wire-1", "paper-2"} <= set(ids), ids)

        self.assertEqual(sorted(b["data"]["story"]["id"] for b in raw),
                         sorted(["wire-1", "paper-2"] + list(shared)), "dedup = none: every entry")
        self.assertTrue(all(b["type"] == "story.new" for b in raw))

        kinds = sorted(b["type"] for b in both)
        self.assertEqual(kinds, ["story.new"] * 3 + ["story.source_added"], kinds)
        added = [b for b in both if b["type"] == "story.source_added"][0]
        self.assertEventShape(added, "story.source_added")
        self.assertEqual({s["feed"] for s in added["data"]["story"]["sources"]},
                         {"wire", "paper"}, "the story's sources after the join: %r" % added)
        first = [b["data"]["story"]["id"] for b in both
                 if b["type"] == "story.new" and b["data"]["story"]["id"] in shared]
        self.assertEqual(len(first), 1)


class FilterTest(WebhookTestCase):
    def test_output_filters_apply(self):
        items = [item(1, "sport"), item(2, "sport"),
                 item(3, "sport", title="Football: the cup final goes to extra time")]
        self.server.set("/sport.xml", rss(items, title="Sport"))
        self.server.set("/other.xml", rss([item(4, "other")], title="Other"))
        outputs = '\n[output "quiet"]\nfeeds = sport\nexclude = football\n'
        hooks = (webhook_section("quiet", self.recv.url("/quiet"), outputs="quiet", retry="1s")
                 + "\n" + webhook_section("every", self.recv.url("/every"), retry="1s"))
        self.hook_daemon([("sport", self.server.url("/sport.xml"), {"interval": "1s"}),
                          ("other", self.server.url("/other.xml"), {"interval": "1s"})],
                         hooks, outputs)
        self.recv.wait_requests("/every", 4, timeout=15)  # default outputs: all
        self.recv.wait_requests("/quiet", 2, timeout=15)
        self.settle("/sport.xml")
        self.settle("/other.xml", 1)
        quiet = self.bodies(self.recv.requests_for("/quiet"))
        self.assertEqual(sorted(b["data"]["story"]["id"] for b in quiet), ["sport-1", "sport-2"],
                         "feeds = sport and exclude = football")
        self.assertEqual(sorted(b["data"]["story"]["id"]
                                for b in self.bodies(self.recv.requests_for("/every"))),
                         ["other-4", "sport-1", "sport-2", "sport-3"])


class ConcurrencyTest(WebhookTestCase):
    def test_one_request_at_a_time_unless_configured(self):
        for path in ("/serial", "/parallel"):
            self.recv.set_default(path, Reply(200, delay=1.0))
        self.server.set("/c.xml", rss([item(n, "c") for n in range(1, 4)], title="C"))
        hooks = (webhook_section("serial", self.recv.url("/serial"), retry="1s") + "\n"
                 + webhook_section("parallel", self.recv.url("/parallel"), concurrency=3,
                                   retry="1s"))
        self.hook_daemon([("c", self.server.url("/c.xml"), {"interval": "1s"})], hooks)
        serial = self.recv.wait_for(lambda reqs: len(reqs) >= 3 and all(r.end for r in reqs),
                                    "/serial", 15, "three answered requests")
        parallel = self.recv.wait_for(lambda reqs: len(reqs) >= 3 and all(r.end for r in reqs),
                                      "/parallel", 15, "three answered requests")
        self.assertEqual(max_overlap(serial), 1, "concurrency defaults to 1: %r"
                         % [(r.time, r.end) for r in serial])
        self.assertGreater(max_overlap(parallel), 1, "concurrency = 3 with three due")
        self.assertEqual(len({r.webhook_id for r in serial + parallel}), 6)


class UpdatedTest(WebhookTestCase):
    def test_changed_entry_is_story_updated(self):
        items = [item(1, "upd")]
        self.server.set("/upd.xml", rss(items, title="Upd"))
        hooks = (webhook_section("upd", self.recv.url("/upd"),
                                 events="story.new story.updated", retry="1s")
                 + "\n" + webhook_section("plain", self.recv.url("/plain"), retry="1s"))
        self.hook_daemon([("upd", self.server.url("/upd.xml"), {"interval": "1s"})], hooks)
        first = self.recv.wait_requests("/upd", 1, timeout=15)[0]
        self.recv.wait_requests("/plain", 1, timeout=15)
        self.assertEqual(first.json()["type"], "story.new")

        changed = dict(items[0], title="UPD story number 1, corrected headline",
                       description="<p>Corrected body.</p>")
        self.server.set("/upd.xml", rss([changed], title="Upd"))
        reqs = self.recv.wait_requests("/upd", 2, timeout=15)
        data = self.assertEventShape(reqs[1].json(), "story.updated")
        self.assertEqual(data["story"]["id"], "upd-1")
        self.assertEqual(data["story"]["title"], changed["title"])
        self.assertNotEqual(reqs[1].webhook_id, first.webhook_id, "a new delivery")
        self.settle("/upd.xml")
        self.assertEqual(len(self.recv.requests_for("/upd")), 2)
        self.assertEqual(len(self.recv.requests_for("/plain")), 1,
                         "story.updated is not sent unless configured")


# --------------------------------------------------------------------------
# Failures and retries


class RetryTest(WebhookTestCase):
    def one_item_daemon(self, hooks, files=None, name="r", **herald):
        self.server.set("/%s.xml" % name, rss([item(1, name)], title=name.upper()))
        return self.hook_daemon([(name, self.server.url("/%s.xml" % name), {"interval": "1s"})],
                                hooks, files=files, **herald)

    def test_500s_then_success_same_id_fresh_timestamps(self):
        secret = new_secret()
        self.recv.script("/hook", [500, 500, 200])
        d = self.one_item_daemon(webhook_section("h", self.recv.url("/hook"),
                                                 secret="file:hook.secret", retry="2s"),
                                 files={"hook.secret": secret + "\n"})
        reqs = self.recv.wait_requests("/hook", 3, timeout=20)
        for r in reqs:
            self.assertWebhookHeaders(r, secret)
        self.assertEqual(len({r.webhook_id for r in reqs}), 1, "webhook-id stable across retries")
        stamps = [r.webhook_timestamp for r in reqs]
        self.assertTrue(stamps[0] < stamps[1] < stamps[2],
                        "each attempt has its own webhook-timestamp: %r" % stamps)
        self.assertEqual(len({r.header("webhook-signature") for r in reqs}), 3)
        self.assertEqual(len({json.dumps(r.json()["data"], sort_keys=True) for r in reqs}), 1)
        gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
        self.assertTrue(all(g >= 1.75 for g in gaps), "retry = 2s (-10%% jitter): gaps %r" % gaps)

        rows = self.wait_deliveries(d, lambda rows: rows and rows[0]["state"] == "delivered",
                                    message="delivered")
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["attempts"], rows[0]["last_status"]), (3, 200))
        self.settle("/r.xml")
        self.assertEqual(len(self.recv.requests_for("/hook")), 3)
        self.assertSecretHidden(secret, d.log(), self.deliveries(d, "--all").stdout)

    def test_timeout_is_a_failure(self):
        self.recv.script("/hook", [Reply(200, delay=6)])
        d = self.one_item_daemon(webhook_section("h", self.recv.url("/hook"), timeout="1s",
                                                 retry="1s"))
        reqs = self.recv.wait_requests("/hook", 2, timeout=15)
        gap = reqs[1].time - reqs[0].time
        self.assertLess(gap, 5, "the slow answer was not waited for (timeout = 1s)")
        self.assertEqual(reqs[0].webhook_id, reqs[1].webhook_id)
        rows = self.wait_deliveries(d, lambda rows: rows and rows[0]["state"] == "delivered",
                                    message="delivered")
        self.assertEqual(rows[0]["attempts"], 2)

    def test_retry_after_is_honoured_on_429_and_503(self):
        self.recv.script("/429", [Reply(429, headers={"Retry-After": "4"})])
        self.recv.script("/503", [Reply(503, headers={"Retry-After": "4"})])
        hooks = (webhook_section("h429", self.recv.url("/429"), retry="1s") + "\n"
                 + webhook_section("h503", self.recv.url("/503"), retry="1s"))
        self.one_item_daemon(hooks)
        for path in ("/429", "/503"):
            with self.subTest(path=path):
                reqs = self.recv.wait_requests(path, 2, timeout=15)
                gap = reqs[1].time - reqs[0].time
                # Retry-After is whole seconds: 3 s is the least a clock
                # in whole seconds can make of "4" (retry = 1s would be 1).
                self.assertGreaterEqual(gap, 3.0, "%s: the retry came before Retry-After" % path)
                self.assertEqual(reqs[0].webhook_id, reqs[1].webhook_id)

    def test_redirect_is_a_failure_and_is_not_followed(self):
        target = "/elsewhere"
        self.recv.script("/hook", [Reply(302, headers={"Location": self.recv.url(target)})])
        d = self.one_item_daemon(webhook_section("h", self.recv.url("/hook"), retry="1s"))
        reqs = self.recv.wait_requests("/hook", 2, timeout=15)
        self.assertEqual(reqs[0].webhook_id, reqs[1].webhook_id, "a 302 is retried")
        rows = self.wait_deliveries(d, lambda rows: rows and rows[0]["state"] == "delivered",
                                    message="delivered")
        self.assertEqual(rows[0]["attempts"], 2)
        self.assertEqual(self.recv.requests_for(target), [], "the redirect was followed")


class GoneEndpointTest(WebhookTestCase):
    def test_410_disables_the_endpoint_until_enabled(self):
        self.recv.set_default("/gone", 410)
        items = [item(1, "g")]
        self.server.set("/g.xml", rss(items, title="G"))
        hooks = (webhook_section("gonehook", self.recv.url("/gone"), retry="1s") + "\n"
                 + webhook_section("okhook", self.recv.url("/ok"), retry="1s"))
        d = self.hook_daemon([("g", self.server.url("/g.xml"), {"interval": "1s"})], hooks)
        self.recv.wait_requests("/gone", 1, timeout=15)
        items.append(item(2, "g"))
        self.server.set("/g.xml", rss(items, title="G"))
        self.recv.wait_requests("/ok", 2, timeout=15)  # the other webhook goes on
        self.settle("/g.xml")
        time.sleep(1.5)  # several retry delays: nothing may come
        self.assertEqual(len(self.recv.requests_for("/gone")), 1,
                         "no request to an endpoint that answered 410")

        def disabled_line(text):
            return [l for l in text.splitlines() if "gonehook" in l and "disabled" in l]

        p = self.deliveries(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(disabled_line(p.stdout), "deliveries shows it disabled:\n" + p.stdout)
        self.assertFalse([l for l in p.stdout.splitlines() if "okhook" in l and "disabled" in l])

        self.recv.set_default("/gone", 200)
        p = self.deliveries(d, "--enable", "gonehook")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(disabled_line(self.deliveries(d).stdout), "enabled again")
        self.assertStopsCleanly(d)
        d.start()
        items.append(item(3, "g"))
        self.server.set("/g.xml", rss(items, title="G"))
        self.recv.wait_for(lambda reqs: any(r.json()["data"]["story"]["id"] == "g-3"
                                            for r in reqs if r.status == 200),
                           "/gone", 15, "the re-enabled endpoint gets g-3")


class DeadTest(WebhookTestCase):
    def test_dead_after_max_attempts_then_requeued(self):
        secret = new_secret()
        self.recv.set_default("/dead", 500)
        items = [item(1, "dd"), item(2, "dd")]
        self.server.set("/dd.xml", rss(items, title="DD"))
        d = self.hook_daemon([("dd", self.server.url("/dd.xml"), {"interval": "1s"})],
                             webhook_section("deadhook", self.recv.url("/dead"), max_attempts=3,
                                             retry="1s", secret="file:dead.secret"),
                             files={"dead.secret": secret})
        self.recv.wait_requests("/dead", 6, timeout=25)
        rows = self.wait_deliveries(d, lambda rows: len(rows) == 2 and all(
            r["state"] == "dead" for r in rows), message="two dead deliveries")
        for r in rows:
            self.assertEqual((r["webhook"], r["event"], r["attempts"], r["last_status"]),
                             ("deadhook", "story.new", 3, 500), r)
        time.sleep(1.5)  # retry = 1s: a fourth attempt would come now
        reqs = self.recv.requests_for("/dead")
        self.assertEqual(len(reqs), 6, "max_attempts = 3 per delivery: %r" % reqs)
        ids = {}
        for r in reqs:
            self.assertWebhookHeaders(r, secret)
            ids.setdefault(r.json()["data"]["story"]["title"], set()).add(r.webhook_id)
        self.assertEqual(sorted(ids), sorted(i["title"] for i in items))
        self.assertTrue(all(len(v) == 1 for v in ids.values()), ids)

        # The table: one row per dead delivery with its columns.
        p = self.deliveries(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        for r in rows:
            line = [l for l in p.stdout.splitlines() if re.search(r"\b%s\b" % re.escape(
                str(r["id"])), l) and "deadhook" in l and "dead" in l.replace("deadhook", "")]
            self.assertTrue(line, "a row for delivery %r in:\n%s" % (r["id"], p.stdout))
            self.assertIn("story.new", line[0])
            self.assertIn("500", line[0])
        self.assertSecretHidden(secret, p.stdout, self.deliveries(d, "--json").stdout,
                                d.log())

        # --retry ID requeues one, the running daemon sends it.
        self.recv.set_default("/dead", 200)
        one = [r for r in rows if r["title"] == items[0]["title"]][0]
        p = self.deliveries(d, "--retry", str(one["id"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.recv.wait_requests("/dead", 7, timeout=10)[6]
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json()["data"]["story"]["title"], items[0]["title"])
        self.assertEqual({got.webhook_id}, ids[items[0]["title"]], "same webhook-id when requeued")
        self.assertWebhookHeaders(got, secret)
        time.sleep(1.5)
        self.assertEqual(len(self.recv.requests_for("/dead")), 7, "only the requeued one")
        rows = self.wait_deliveries(d, lambda rows: [r for r in rows if r["id"] == one["id"]
                                                     and r["state"] == "delivered"],
                                    message="the requeued delivery delivered")
        done = [r for r in rows if r["id"] == one["id"]][0]
        self.assertEqual(done["attempts"], 4, "attempts are kept on requeue")
        self.assertEqual([r["state"] for r in rows if r["id"] != one["id"]], ["dead"])

        # --retry all-dead requeues the rest.
        p = self.deliveries(d, "--retry", "all-dead")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.recv.wait_requests("/dead", 8, timeout=10)[7]
        self.assertEqual(got.json()["data"]["story"]["title"], items[1]["title"])
        self.assertEqual({got.webhook_id}, ids[items[1]["title"]])
        self.wait_deliveries(d, lambda rows: len(rows) == 2 and all(
            r["state"] == "delivered" for r in rows), message="all delivered")
        self.assertEqual(self.deliveries_json(d, all_=False), [])


class DurabilityTest(WebhookTestCase):
    def kill_and_restart(self, d, first, secret):
        d.kill()  # SIGKILL
        d.start()
        reqs = self.recv.wait_for(lambda reqs: len(reqs) >= 2 and reqs[-1].status == 200,
                                  "/hook", 20, "the delivery after the restart")
        again = reqs[-1]
        self.assertEqual(again.webhook_id, first.webhook_id, "the same delivery")
        self.assertWebhookHeaders(again, secret)
        self.assertEqual(again.json()["data"], first.json()["data"])
        self.settle("/k.xml")
        self.assertEqual({r.webhook_id for r in self.recv.requests_for("/hook")},
                         {first.webhook_id}, "one delivery, no new one after the restart")
        rows = self.wait_deliveries(d, lambda rows: rows and rows[0]["state"] == "delivered",
                                    message="delivered")
        self.assertEqual(len(rows), 1)

    def daemon(self, **keys):
        secret = new_secret()
        self.server.set("/k.xml", rss([item(1, "k")], title="K"))
        d = self.hook_daemon([("k", self.server.url("/k.xml"), {"interval": "1s"})],
                             webhook_section("kh", self.recv.url("/hook"),
                                             secret="file:k.secret", **keys),
                             files={"k.secret": secret})
        return d, secret

    def test_sigkill_while_the_receiver_hangs(self):
        self.recv.script("/hook", [Reply(200, delay=20)])
        d, secret = self.daemon(timeout="30s", retry="1s")
        first = self.recv.wait_requests("/hook", 1, timeout=15)[0]
        self.kill_and_restart(d, first, secret)

    def test_sigkill_while_the_receiver_fails(self):
        self.recv.script("/hook", [500])
        d, secret = self.daemon(retry="3s")
        first = self.recv.wait_requests("/hook", 1, timeout=15)[0]
        self.wait_deliveries(d, lambda rows: rows and rows[0]["attempts"] == 1
                             and rows[0]["last_status"] == 500, message="the 500 recorded")
        self.kill_and_restart(d, first, secret)


# --------------------------------------------------------------------------
# Formats and batches

TRICKY_TITLE = 'He said "stop" \\ C:\\temp \u2014 na\u00efve caf\u00e9 {braces} \'q\''
NEWLINE_TITLE = 'First line\nsecond line\twith a tab, "quotes" and a \\ backslash'
LONG_TITLE = ("An extremely long headline about nothing in particular " * 60).strip()
LONG_SUMMARY = "<p>" + ("Paragraph text that goes on and on. " * 200) + "</p>"
TEMPLATE = textwrap.dedent("""\
    {"title": "{{title}}", "link": "{{link}}", "summary": "{{summary}}",
     "feed": "{{feed}}", "feed_title": "{{feed_title}}", "published": "{{published}}",
     "id": "{{id}}", "type": "{{type}}", "canonical_link": "{{canonical_link}}"}
    """)


class FormatTest(WebhookTestCase):
    def test_every_format(self):
        items = [item(1, "fmt", title=TRICKY_TITLE,
                      description='<p>Line one says "hi".</p>\n<p>Line two \\ ends.</p>'),
                 item(2, "fmt", title=LONG_TITLE, description=LONG_SUMMARY),
                 item(3, "fmt", title=NEWLINE_TITLE, description="<p>one</p>\n\n<p>two</p>")]
        self.server.set("/fmt.xml", rss(items, title="Format \"Feed\""))
        hooks = "\n".join([
            webhook_section("j", self.recv.url("/json"), retry="1s"),
            webhook_section("s", self.recv.url("/slack"), format="slack", retry="1s"),
            webhook_section("dc", self.recv.url("/discord"), format="discord", retry="1s"),
            webhook_section("n", self.recv.url("/alerts-topic"), format="ntfy", retry="1s"),
            webhook_section("t", self.recv.url("/tmpl"), format="template",
                            template="hook.tmpl", retry="1s"),
        ])
        self.hook_daemon([("fmt", self.server.url("/fmt.xml"), {"interval": "1s"})], hooks,
                         files={"hook.tmpl": TEMPLATE})
        got = {}
        for path in ("/json", "/slack", "/discord", "/", "/tmpl"):
            got[path] = self.recv.wait_requests(path, 3, timeout=15)
            for r in got[path]:
                self.assertWebhookHeaders(r)  # no secret: no signature
                r.json()
        self.assertEqual(self.recv.requests_for("/alerts-topic"), [], "ntfy posts to the root")
        ref = {}
        for r in got["/json"]:
            b = r.json()
            self.assertEventShape(b, "story.new")
            ref[b["data"]["story"]["id"]] = b
        self.assertEqual(set(ref), {"fmt-1", "fmt-2", "fmt-3"})
        tricky = ref["fmt-1"]["data"]["story"]
        self.assertEqual(tricky["title"], TRICKY_TITLE)
        self.assertEqual(ref["fmt-3"]["data"]["story"]["title"], NEWLINE_TITLE)
        self.assertEqual(ref["fmt-2"]["data"]["story"]["title"], LONG_TITLE)

        with self.subTest(format="slack"):
            texts = [r.json()["text"] for r in got["/slack"]]
            self.assertTrue(all(isinstance(t, str) for t in texts))
            hit = [t for t in texts if TRICKY_TITLE in t]
            self.assertTrue(hit, "slack text with the title: %r" % texts)
            self.assertIn(tricky["link"], hit[0])
        with self.subTest(format="discord"):
            contents = [r.json()["content"] for r in got["/discord"]]
            for c in contents:
                self.assertLessEqual(len(c), 2000, "discord content over 2000 characters")
            hit = [c for c in contents if TRICKY_TITLE in c]
            self.assertTrue(hit, "discord content with the title: %r" % contents)
            self.assertIn(tricky["link"], hit[0])
        with self.subTest(format="ntfy"):
            bodies = [r.json() for r in got["/"]]
            for b in bodies:
                self.assertEqual(b["topic"], "alerts-topic")
                self.assertIn("title", b)
                self.assertIn("message", b)
            hit = [b for b in bodies if b["click"] == tricky["link"]]
            self.assertEqual(len(hit), 1, bodies)
            self.assertIn(TRICKY_TITLE, hit[0]["title"] + "\n" + hit[0]["message"])
        with self.subTest(format="template"):
            seen = set()
            for r in got["/tmpl"]:
                # Valid JSON (json.loads rejects raw control characters in
                # strings) although titles hold quotes, backslashes, a
                # newline and a tab.
                t = r.json()
                seen.add(t["id"])
                self.assertIn(t["id"], ref)
                b = ref[t["id"]]
                story, feed = b["data"]["story"], b["data"]["feed"]
                self.assertEqual(t["title"], story["title"])
                self.assertEqual(t["link"], story["link"])
                self.assertEqual(t["summary"], story["summary"])
                self.assertEqual(t["canonical_link"], story["canonical_link"])
                self.assertEqual(t["feed"], "fmt")
                self.assertEqual(t["feed_title"], feed["title"])
                self.assertEqual(t["type"], "story.new")
                self.assertEqual(parse_rfc3339(t["published"]), parse_rfc3339(story["published"]))
            self.assertEqual(seen, set(ref))


class BatchTest(WebhookTestCase):
    def test_batches_of_up_to_n_events(self):
        items = [item(n, "b") for n in range(1, 6)]
        self.server.set("/b.xml", rss(items, title="B"))
        self.hook_daemon([("b", self.server.url("/b.xml"), {"interval": "1s"})],
                         webhook_section("bh", self.recv.url("/batch"), batch=3, retry="1s"))

        def count(reqs):
            return sum(len(r.json()["data"]["events"]) for r in reqs)

        self.recv.wait_for(lambda reqs: count(reqs) >= 5, "/batch", 15, "five events")
        self.settle("/b.xml")
        reqs = self.recv.requests_for("/batch")
        ids = []
        for r in reqs:
            self.assertWebhookHeaders(r)
            data = self.assertEventShape(r.json(), "batch")
            self.assertTrue(1 <= len(data["events"]) <= 3, "batch = 3: %d events"
                            % len(data["events"]))
            for ev in data["events"]:
                self.assertEventShape(ev, "story.new")
                ids.append(ev["data"]["story"]["id"])
        self.assertEqual(sorted(ids), ["b-%d" % n for n in range(1, 6)], "each event once")
        self.assertTrue(any(len(r.json()["data"]["events"]) > 1 for r in reqs),
                        "five events stored together go out in batches: %r" % reqs)


# --------------------------------------------------------------------------
# Feed events


class FeedEventsTest(WebhookTestCase):
    def test_gone_moved_failing_recovered(self):
        secret = new_secret()
        new_url = self.server.url("/new.xml")
        self.server.set("/gone.xml", b"gone\n", status=410, content_type="text/plain")
        self.server.set("/old.xml", b"", status=301, headers={"Location": new_url})
        self.server.set("/new.xml", rss([item(1, "mv")], title="Moved"))
        self.server.set("/flaky.xml", b"oops\n", status=500, content_type="text/plain")
        feeds = [("gone", self.server.url("/gone.xml"), {"interval": "1s"}),
                 ("moved", self.server.url("/old.xml"), {"interval": "1s"}),
                 ("flaky", self.server.url("/flaky.xml"), {"interval": "1s"})]
        hook = webhook_section("ops", self.recv.url("/ops"), secret="file:ops.secret",
                               events="feed.moved feed.gone feed.failing feed.recovered",
                               retry="1s")
        d = self.hook_daemon(feeds, hook, files={"ops.secret": secret},
                             failing_after=3, max_backoff="2s")

        def of(kind):
            return [r for r in self.recv.requests_for("/ops") if r.json()["type"] == kind]

        def wait_kind(kind, timeout=15):
            self.recv.wait_for(lambda reqs: any(r.json()["type"] == kind for r in reqs),
                               "/ops", timeout, kind)
            return of(kind)[0]

        gone = self.assertEventShape(wait_kind("feed.gone").json(), "feed.gone")
        self.assertEqual(gone["feed"]["name"], "gone")
        self.assertEqual(gone["feed"]["url"], self.server.url("/gone.xml"))
        self.assertEqual(gone["status"], 410)
        self.assertIn("error", gone)
        self.assertNotIn("moved_to", gone)

        moved = self.assertEventShape(wait_kind("feed.moved").json(), "feed.moved")
        self.assertEqual(moved["feed"]["name"], "moved")
        self.assertEqual(moved["moved_to"], new_url)

        failing_req = wait_kind("feed.failing", 20)
        failing = self.assertEventShape(failing_req.json(), "feed.failing")
        self.assertEqual(failing["feed"]["name"], "flaky")
        self.assertEqual(failing["status"], 500)
        self.assertTrue(failing["error"])
        polls = self.server.requests_for("/flaky.xml")
        self.assertGreaterEqual(len(polls), 3)
        self.assertGreaterEqual(failing_req.time, polls[2].time,
                                "feed.failing only after failing_after = 3 failed polls")
        # One more failed poll: still one feed.failing.
        self.server.wait_requests("/flaky.xml", 4, timeout=10)
        self.assertEqual(len(of("feed.failing")), 1)

        self.server.set("/flaky.xml", rss([item(1, "fl")], title="Flaky"))
        recovered = self.assertEventShape(wait_kind("feed.recovered").json(), "feed.recovered")
        self.assertEqual(recovered["feed"]["name"], "flaky")
        self.settle("/flaky.xml")
        self.settle("/new.xml", 1)
        reqs = self.recv.requests_for("/ops")
        kinds = sorted(r.json()["type"] for r in reqs)
        self.assertEqual(kinds, sorted(FEED_EVENTS),
                         "one of each, no story events (not configured): %r" % kinds)
        for r in reqs:
            self.assertWebhookHeaders(r, secret)
        self.assertSecretHidden(secret, d.log())


# --------------------------------------------------------------------------
# The command line


class WebhookTestCommandTest(WebhookTestCase):
    def test_webhook_test_sends_one_signed_event(self):
        secret = new_secret()
        self.recv.set_default("/bad", 500)
        closed = free_port()
        hooks = "\n".join([
            webhook_section("t", self.recv.url("/t"), secret="file:t.secret",
                            header="X-Test: 1"),
            webhook_section("bad", self.recv.url("/bad"), secret="file:t.secret"),
            webhook_section("down", "http://127.0.0.1:%d/x" % closed, timeout="2s"),
        ])
        d = self.hook_daemon([("f", self.server.url("/f.xml"), {"interval": "1h"})], hooks,
                             files={"t.secret": secret}, start=False)
        p = run_heraldd(["webhook-test", "-c", d.conf_path, "t"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        reqs = self.recv.requests_for("/t")
        self.assertEqual(len(reqs), 1, "one request")
        self.assertWebhookHeaders(reqs[0], secret, {"x-test": "1"})
        self.assertEventShape(reqs[0].json(), "webhook.test")
        self.assertSecretHidden(secret, p.stdout, p.stderr)

        p = run_heraldd(["webhook-test", "-c", d.conf_path, "bad"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("500", p.stdout + p.stderr)
        self.assertEqual(len(self.recv.requests_for("/bad")), 1, "webhook-test does not retry")
        self.assertSecretHidden(secret, p.stdout, p.stderr)
        p = run_heraldd(["webhook-test", "-c", d.conf_path, "down"])
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue((p.stdout + p.stderr).strip())
        p = run_heraldd(["webhook-test", "-c", d.conf_path, "nosuch"])
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.server.requests_for("/f.xml"), [], "no feed was polled")


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="herald-hooks-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        with open(os.path.join(self.tmp, "hook.secret"), "w") as f:
            f.write(new_secret() + "\n")
        with open(os.path.join(self.tmp, "hook.tmpl"), "w") as f:
            f.write(TEMPLATE)

    BASE = textwrap.dedent("""\
        [herald]
        database = herald.db
        listen = 127.0.0.1:%d
        failing_after = 3

        [feed "a"]
        url = http://127.0.0.1:9/a.xml

        [output "tech"]
        include = linux
        """)

    def check(self, hook):
        text = self.BASE % free_port() + "\n" + hook
        path = os.path.join(self.tmp, "heraldd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path, text, run_heraldd(["check", "-c", path])

    def test_every_key_is_accepted(self):
        os.environ["HERALD_IT_CHECK_SECRET"] = "whsec_" + base64.b64encode(b"k" * 24).decode()
        self.addCleanup(os.environ.pop, "HERALD_IT_CHECK_SECRET", None)
        hooks = "\n".join([
            webhook_section("full", "http://127.0.0.1:9/hook", outputs="all, tech",
                            events="story.new story.updated story.source_added feed.moved "
                                   "feed.gone feed.failing feed.recovered",
                            format="json", secret="file:hook.secret",
                            header=["X-A: 1", "X-B: two words"], timeout="15s", max_attempts=8,
                            retry="5s 5m 30m 2h 5h 10h 24h", batch=10, concurrency=2),
            webhook_section("tmpl", "http://127.0.0.1:9/t", format="template",
                            template="hook.tmpl", secret="env:HERALD_IT_CHECK_SECRET",
                            events="story.new,story.updated"),
            webhook_section("s", "https://hooks.example.com/x", format="slack"),
            webhook_section("d", "https://discord.example.com/x", format="discord"),
            webhook_section("n", "https://ntfy.example.com/topic", format="ntfy"),
        ])
        path, text, p = self.check(hooks)
        self.assertEqual(p.returncode, 0, "check: %s\n%s" % (p.stderr, text))

    def test_errors_name_file_and_line(self):
        # A bad value is reported at its key's line; a conflict between two
        # keys at one of them or at the section's header (as config.c does
        # for a feed's username without password).
        cases = [
            ("unknown format", {"format": "yaml"}, [r"^format ="]),
            ("literal secret", {"secret": "whsec_bGl0ZXJhbA=="}, [r"^secret ="]),
            ("unknown output", {"outputs": "all, nosuch"}, [r"^outputs ="]),
            ("bad event", {"events": "story.new story.deleted"}, [r"^events ="]),
            ("template without file", {"format": "template"}, [r"^format =", r"^\[webhook"]),
            ("batch with template", {"format": "template", "template": "hook.tmpl", "batch": 3},
             [r"^batch =", r"^format =", r"^\[webhook"]),
        ]
        for name, keys, where in cases:
            with self.subTest(case=name):
                path, text, p = self.check(webhook_section("w", "http://127.0.0.1:9/h", **keys))
                self.assertNotEqual(p.returncode, 0, "check accepted %s:\n%s" % (name, text))
                section = line_of(text, r"^\[webhook")
                lines = [line_of(text, w, section - 1) for w in where]
                got = [int(m) for m in re.findall(r"^%s:(\d+): " % re.escape(path), p.stderr,
                                                  re.M)]
                self.assertTrue(set(got) & set(lines), "%s: expected %s:%s: ... in %r"
                                % (name, path, "|".join(map(str, lines)), p.stderr))
                if name == "literal secret":
                    self.assertNotIn("bGl0ZXJhbA==", p.stderr, "the secret is not echoed")


if __name__ == "__main__":
    unittest.main()
