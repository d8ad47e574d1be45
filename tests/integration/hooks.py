"""Webhook receiver for the integration tests: a scripted HTTP server on
127.0.0.1 (port chosen by the kernel) that records every request heraldd
sends to it and checks Standard Webhooks signatures.

    recv = Receiver()
    recv.script("/hook", [500, 500, 200])        # then the path's default
    recv.script("/slow", [Reply(429, headers={"Retry-After": "4"})])
    recv.script("/moved", [Reply(302, headers={"Location": recv.url("/x")})])
    recv.script("/hang", [Reply(200, delay=8)])  # answers after 8 s
    recv.set_default("/gone", Reply(410))        # every answer, once the queue is empty
    ...
    reqs = recv.wait_requests("/hook", 3, timeout=15)
    reqs[0].json(), reqs[0].body (exact bytes), reqs[0].header("webhook-id")
    verify_request(reqs[0], "whsec_...")         # True when one v1 signature matches

Standard Webhooks (https://www.standardwebhooks.com/): the signed content
is f"{webhook-id}.{webhook-timestamp}." followed by the exact body bytes;
the signature is HMAC-SHA256, base64, written "v1,<base64>"; the header may
hold several space-separated signatures. The key is the base64-decoded part
after "whsec_" for secrets with that prefix, else the secret's own bytes.

Only the standard library, like harness.py (Debian's /usr/bin/python3).
"""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

from harness import Timeout
from harness import _Server  # the fixture server's: tracks and closes its connections


# --------------------------------------------------------------------------
# Standard Webhooks signatures


def secret_key(secret):
    """The HMAC key of a secret (str or bytes): base64-decoded after a
    "whsec_" prefix, else the secret's bytes."""
    if isinstance(secret, bytes):
        secret = secret.decode("utf-8")
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def sign(secret, msg_id, timestamp, body):
    """The "v1,<base64>" signature of body (bytes or str) for msg_id and
    timestamp (int or its decimal text)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = ("%s.%s." % (msg_id, timestamp)).encode("utf-8") + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signatures(header):
    """The v1 signatures (base64 text) of a webhook-signature header; other
    versions are ignored."""
    out = []
    for part in (header or "").split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            out.append(value)
    return out


def verify(secret, msg_id, timestamp, body, header):
    """True when one of the header's v1 signatures is the one of secret."""
    want = sign(secret, msg_id, timestamp, body).split(",", 1)[1].encode("ascii")
    return any(hmac.compare_digest(want, s.encode("ascii", "replace")) for s in signatures(header))


def verify_request(req, secret):
    """True when a recorded request carries webhook-id, webhook-timestamp and
    a webhook-signature one of whose v1 signatures matches secret."""
    msg_id = req.header("webhook-id")
    ts = req.header("webhook-timestamp")
    sig = req.header("webhook-signature")
    if not msg_id or not ts or not sig:
        return False
    return verify(secret, msg_id, ts, req.body, sig)


# --------------------------------------------------------------------------
# Recorded requests and scripted replies


class Received:
    """One request the receiver saw.

    headers: dict with lower-case names (last value wins); header_list:
    every (name, value) as sent; body: the exact body bytes; time:
    time.monotonic() when the whole request had arrived; wall: time.time()
    then; status: the status answered (set on arrival, before a reply's
    delay); end: time.monotonic() when the answer started."""

    def __init__(self, method, path, query, header_list, body, when, wall):
        self.method = method
        self.path = path
        self.query = query
        self.header_list = header_list
        self.headers = {k.lower(): v for k, v in header_list}
        self.body = body
        self.time = when
        self.wall = wall
        self.status = None
        self.end = None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body parsed as JSON (AssertionError naming the body if not)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise AssertionError("%s %s: the body is not JSON (%s): %r"
                                 % (self.method, self.path, exc, self.body[:2000]))

    @property
    def webhook_id(self):
        return self.header("webhook-id")

    @property
    def webhook_timestamp(self):
        """webhook-timestamp as an int (None when absent or not a number)."""
        try:
            return int(self.header("webhook-timestamp"))
        except (TypeError, ValueError):
            return None

    def __repr__(self):
        return "Received(%s %s -> %s, id=%s, ts=%s, %d bytes)" % (
            self.method, self.path, self.status, self.webhook_id,
            self.header("webhook-timestamp"), len(self.body))


def max_overlap(reqs):
    """The most requests in flight at once among reqs (each from its
    arrival to the start of its answer); requests without an answer yet
    count as still in flight."""
    points = []
    for r in reqs:
        points.append((r.time, 1))
        points.append((r.end if r.end is not None else float("inf"), -1))
    best = cur = 0
    for _, step in sorted(points, key=lambda p: (p[0], p[1])):  # ends before starts on ties
        cur += step
        best = max(best, cur)
    return best


class Reply:
    """An answer: status, extra headers, body, and a delay (seconds) before
    the answer is sent (a slow or hanging endpoint)."""

    def __init__(self, status=200, headers=None, body=b"", delay=0.0):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.status = status
        self.headers = dict(headers or {})
        self.body = body
        self.delay = delay

    def __repr__(self):
        return "Reply(%d, %r, delay=%s)" % (self.status, self.headers, self.delay)


def _reply(x):
    return x if isinstance(x, Reply) else Reply(int(x))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HeraldHookReceiver/1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        t = self.rfile.readline(65537)
                        if not t or t in (b"\r\n", b"\n"):
                            break
                    break
                out += self.rfile.read(size)
                self.rfile.readline(3)  # CRLF after the chunk
            return out
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        recv = self.server.receiver
        body = self._read_body()
        path, _, query = self.path.partition("?")
        req = Received(self.command, path, query or None, list(self.headers.items()), body,
                       time.monotonic(), time.time())
        reply = recv._next_reply(path)
        req.status = reply.status
        recv._record(req)
        deadline = time.monotonic() + reply.delay
        while time.monotonic() < deadline and not recv._stopped:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        with recv._cond:
            req.end = time.monotonic()
            recv._cond.notify_all()
        if recv._stopped:
            self.close_connection = True
            return
        self.send_response(reply.status)
        headers = dict(reply.headers)
        headers.setdefault("Content-Type", "text/plain")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _handle

    def do_HEAD(self):
        self._handle()


class Receiver:
    """A threaded webhook receiver on 127.0.0.1, started on construction.

    Each path answers the replies queued by script(path, [...]) in order
    (ints are statuses), then its default (set_default(), else 200). Every
    request is recorded (Received) when it has fully arrived, before a
    reply's delay. Redirect replies are only answered, never followed by
    the receiver; a test checks the Location target saw nothing."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queues = {}
        self._defaults = {}
        self._log = []
        self._stopped = False
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.receiver = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    # scripting
    def script(self, path, replies):
        """Queues replies (Reply or int status) for path, after any queued."""
        with self._lock:
            self._queues.setdefault(path, []).extend(_reply(r) for r in replies)

    def set_default(self, path, reply):
        """What path answers once its queue is empty (default: 200)."""
        with self._lock:
            self._defaults[path] = _reply(reply)

    def clear(self, path):
        """Drops path's queued replies and its default (back to 200)."""
        with self._lock:
            self._queues.pop(path, None)
            self._defaults.pop(path, None)

    def _next_reply(self, path):
        with self._lock:
            queue = self._queues.get(path)
            if queue:
                return queue.pop(0)
            return self._defaults.get(path) or Reply(200)

    # request log
    def _record(self, req):
        with self._cond:
            self._log.append(req)
            self._cond.notify_all()

    def requests(self):
        with self._lock:
            return list(self._log)

    def requests_for(self, path):
        with self._lock:
            return [r for r in self._log if r.path == path]

    def wait_requests(self, path, n, timeout=10.0):
        """Waits until at least n requests for path arrived; returns them all.
        Raises Timeout (an AssertionError) otherwise."""
        return self.wait_for(lambda reqs: len(reqs) >= n, path, timeout,
                             "%d requests of %s" % (n, path))

    def wait_for(self, cond, path=None, timeout=10.0, message="requests"):
        """Waits until cond(requests of path, or all requests) is truthy;
        returns those requests."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self._log if path is None or r.path == path]
                if cond(got):
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("timed out after %.1fs waiting for %s (saw %r)"
                                  % (timeout, message, got))
                self._cond.wait(min(left, 0.1))  # also re-checks conditions on time

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(5)
