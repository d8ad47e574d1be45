"""Integration harness: the real heraldd against loopback fixture servers.

Run by Debian's /usr/bin/python3 (stdlib + python3-feedparser only), one
ctest test per tests/integration/test_*.py, with the environment variables
HERALDD (the built daemon) and HERALD_SOURCE_DIR (the repository root).

- FixtureServer: a scripted HTTP server on 127.0.0.1 (port chosen by the
  kernel) whose routes tests change at runtime; it answers conditional
  requests and logs every request it sees.
- Daemon: a heraldd process in a temporary folder with a config written by
  the test, its stdout/stderr captured to files.
- rss(), atom(): tiny feed generators with chosen ids, links and dates.
- parse_atom(): the daemon's Atom output as plain Python objects.
- wait_until(): polls a condition until a deadline (no blind sleeps).

Set HERALD_KEEP_TMP=1 to keep the temporary folders of a run.
"""

import datetime as _dt
import http.client
import http.server
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from email.utils import format_datetime
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_quoteattr

HERALDD = os.environ.get("HERALDD", "")
SOURCE_DIR = os.environ.get(
    "HERALD_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")),
)

ATOM_NS = "http://www.w3.org/2005/Atom"
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --------------------------------------------------------------------------
# Waiting


class Timeout(AssertionError):
    pass


def wait_until(cond, timeout=10.0, interval=0.05, message="condition"):
    """Calls cond() until it returns a truthy value and returns that value.
    Raises Timeout (an AssertionError) naming message after timeout seconds.
    message may be a callable, evaluated at the deadline (to show state)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise Timeout("timed out after %.1fs waiting for %s" % (timeout, text))
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# Dates


def utc(year, month, day, hour=0, minute=0, second=0):
    return _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)


def recent(day, hour=0, minute=0):
    """A date in the recent past, whatever the clock says: day 30 is today
    (UTC), recent(29, 8, 30) is yesterday at 08:30, recent(10) twenty days
    ago. Fixtures use it because heraldd sorts dates more than a day in the
    future as first-seen."""
    today = _dt.datetime.now(_dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - _dt.timedelta(days=30 - day) + _dt.timedelta(hours=hour, minutes=minute)


def rfc822(d):
    """RFC 822 date as RSS wants it: 'Tue, 24 Nov 2026 10:00:00 +0000'."""
    if isinstance(d, str):
        return d
    return format_datetime(d.astimezone(_dt.timezone.utc))


def rfc3339(d):
    if isinstance(d, str):
        return d
    return d.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    """Parses an RFC 3339 timestamp (upper-case T and Z required, as Herald
    writes them) into an aware datetime. Raises ValueError otherwise."""
    if text is None or not RFC3339_RE.match(text):
        raise ValueError("not an RFC 3339 timestamp with upper-case T/Z: %r" % (text,))
    return _dt.datetime.fromisoformat(text)  # Python 3.11 takes Z and fractions


def http_date(d):
    return format_datetime(d.astimezone(_dt.timezone.utc), usegmt=True)


# --------------------------------------------------------------------------
# Feed generators


def _el(tag, text, attrs=""):
    if text is None:
        return ""
    return "<%s%s>%s</%s>" % (tag, attrs, _xml_escape(str(text)), tag)


def rss(items, title="Fixture RSS", link="http://example.org/", description="A fixture feed",
        ttl=None, extra_channel=""):
    """An RSS 2.0 document (bytes). Each item is a dict with optional keys:
    guid, permalink (bool, default True when guid is given), link, title,
    description (HTML text, escaped here), content (content:encoded), author
    (dc:creator), date (datetime or string -> pubDate), raw (extra XML)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        _el("title", title),
        _el("link", link),
        _el("description", description),
    ]
    if ttl is not None:
        out.append(_el("ttl", ttl))
    out.append(extra_channel)
    for it in items:
        out.append("<item>")
        out.append(_el("title", it.get("title")))
        out.append(_el("link", it.get("link")))
        if it.get("guid") is not None:
            perma = it.get("permalink", False)
            out.append(_el("guid", it["guid"], ' isPermaLink="%s"' % ("true" if perma else "false")))
        out.append(_el("description", it.get("description")))
        if it.get("content") is not None:
            out.append("<content:encoded><![CDATA[%s]]></content:encoded>" % it["content"])
        out.append(_el("dc:creator", it.get("author")))
        if it.get("date") is not None:
            out.append(_el("pubDate", rfc822(it["date"])))
        out.append(it.get("raw", ""))
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(x for x in out if x).encode("utf-8")


def atom(entries, title="Fixture Atom", feed_id="urn:uuid:fixture-atom", link="http://example.org/",
         updated=None, base=None):
    """An Atom 1.0 document (bytes). Each entry is a dict with optional keys:
    id, link, title, summary, content (HTML), author, published, updated
    (datetimes or strings), base (xml:base of the entry), raw (extra XML)."""
    if updated is None:
        dates = [e.get("updated") or e.get("published") for e in entries]
        dates = [d for d in dates if isinstance(d, _dt.datetime)]
        updated = max(dates) if dates else utc(2026, 11, 1)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom"%s>'
        % (" xml:base=%s" % _xml_quoteattr(base) if base else ""),
        _el("title", title),
        _el("id", feed_id),
        '<link rel="alternate" href=%s/>' % _xml_quoteattr(link),
        _el("updated", rfc3339(updated)),
        "<author><name>Fixture</name></author>",
    ]
    for e in entries:
        attrs = " xml:base=%s" % _xml_quoteattr(e["base"]) if e.get("base") else ""
        out.append("<entry%s>" % attrs)
        out.append(_el("id", e.get("id")))
        out.append(_el("title", e.get("title")))
        if e.get("link") is not None:
            out.append('<link rel="alternate" href=%s/>' % _xml_quoteattr(e["link"]))
        if e.get("published") is not None:
            out.append(_el("published", rfc3339(e["published"])))
        upd = e.get("updated", e.get("published"))
        if upd is not None:
            out.append(_el("updated", rfc3339(upd)))
        if e.get("author") is not None:
            out.append("<author>%s</author>" % _el("name", e["author"]))
        out.append(_el("summary", e.get("summary"), ' type="html"'))
        out.append(_el("content", e.get("content"), ' type="html"'))
        out.append(e.get("raw", ""))
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(x for x in out if x).encode("utf-8")


# --------------------------------------------------------------------------
# Parsing the daemon's Atom output


class AtomEntry:
    def __init__(self):
        self.id = None
        self.title = None
        self.link = None  # rel=alternate (or a link without rel)
        self.links = []  # (rel, href)
        self.published = None  # text as written
        self.updated = None
        self.summary = None
        self.content = None
        self.author = None
        self.source = None  # dict id/title/link, or None when absent

    def __repr__(self):
        return "AtomEntry(id=%r, title=%r, link=%r, published=%r)" % (
            self.id, self.title, self.link, self.published)


class AtomFeed:
    def __init__(self):
        self.id = None
        self.title = None
        self.updated = None
        self.links = []
        self.entries = []

    @property
    def ids(self):
        return [e.id for e in self.entries]

    def by_id(self, entry_id):
        for e in self.entries:
            if e.id == entry_id:
                return e
        return None


def _text(node, tag):
    child = node.find("{%s}%s" % (ATOM_NS, tag))
    if child is None:
        return None
    return "".join(child.itertext())


def _alternate(node):
    links = [(l.get("rel", "alternate"), l.get("href")) for l in node.findall("{%s}link" % ATOM_NS)]
    alt = [h for r, h in links if r == "alternate"]
    return links, (alt[0] if alt else None)


def parse_atom(data):
    """Parses an Atom 1.0 document (bytes) with xml.etree. Raises
    AssertionError when it is not well-formed or not an atom:feed."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise AssertionError("output is not well-formed XML: %s\n%s" % (exc, data[:2000]))
    if root.tag != "{%s}feed" % ATOM_NS:
        raise AssertionError("root element is %s, not atom:feed" % root.tag)
    feed = AtomFeed()
    feed.id = _text(root, "id")
    feed.title = _text(root, "title")
    feed.updated = _text(root, "updated")
    feed.links, _ = _alternate(root)
    for node in root.findall("{%s}entry" % ATOM_NS):
        e = AtomEntry()
        e.id = _text(node, "id")
        e.title = _text(node, "title")
        e.links, e.link = _alternate(node)
        e.published = _text(node, "published")
        e.updated = _text(node, "updated")
        e.summary = _text(node, "summary")
        e.content = _text(node, "content")
        author = node.find("{%s}author" % ATOM_NS)
        if author is not None:
            e.author = _text(author, "name")
        src = node.find("{%s}source" % ATOM_NS)
        if src is not None:
            _, slink = _alternate(src)
            e.source = {"id": _text(src, "id"), "title": _text(src, "title"), "link": slink}
        feed.entries.append(e)
    return feed


# --------------------------------------------------------------------------
# Fixture HTTP server


class Route:
    def __init__(self, body=b"", status=200, headers=None, etag=None, last_modified=None,
                 content_type=None, delay=0.0):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.status = status
        self.headers = dict(headers or {})
        self.etag = etag
        self.last_modified = last_modified
        self.content_type = content_type
        self.delay = delay


class Request:
    """One request the fixture server saw. headers: dict with lower-case
    names (last value wins); status: what the server answers (logged when
    the request arrives, before a route's delay)."""

    def __init__(self, method, path, query, headers, when):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.time = when
        self.status = None
        self.end = None  # when the answer started (after a route's delay)

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "Request(%s %s -> %s, %r)" % (self.method, self.path, self.status, self.headers)


def _guess_type(path, body):
    if b"<feed" in body[:1000]:
        return "application/atom+xml"
    if body[:200].lstrip().startswith(b"<") or path.endswith(".xml"):
        return "application/rss+xml"
    return "application/octet-stream"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HeraldFixture/1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def _serve(self, with_body):
        fixture = self.server.fixture
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, path, query or None, headers, time.monotonic())
        route = fixture.route(path)
        if route is None:
            status, extra, body = 404, {}, b"not found\n"
        else:
            status, extra, body = route.status, dict(route.headers), route.body
            ctype = route.content_type or _guess_type(path, body)
            extra.setdefault("Content-Type", ctype)
            if route.etag is not None:
                extra["ETag"] = route.etag
            if route.last_modified is not None:
                extra["Last-Modified"] = route.last_modified
            if status == 200 and fixture.not_modified(route, headers):
                status, body = 304, b""
                extra.pop("Content-Type", None)
        req.status = status
        fixture.record(req)  # on arrival: a delayed answer is a request in flight
        fixture._enter()
        try:
            if route is not None and route.delay:
                time.sleep(route.delay)
        finally:
            # Left before the answer is sent: once the client can see the
            # answer, the request no longer counts (no false overlaps).
            req.end = time.monotonic()
            fixture._leave()
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body and status != 304:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_GET(self):
        self._serve(True)

    def do_HEAD(self):
        self._serve(False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(True)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request_thread(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.sockets_lock:
                self.open_sockets.discard(request)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client (heraldd) closing a kept-alive connection
        super().handle_error(request, client_address)

    def close_connections(self):
        """Closes kept-alive connections too: a stopped server serves no one."""
        with self.sockets_lock:
            socks = list(self.open_sockets)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _RequestLog:
    """Request log queries shared by the servers: subclasses keep their
    requests in self._log under self._lock / self._cond (notified on each
    new request)."""

    def requests_for(self, path):
        with self._lock:
            return [r for r in self._log if r.path == path]

    def wait_requests(self, path, n, timeout=10.0):
        """Waits until at least n requests for path were logged; returns them
        all. Raises Timeout otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self._log if r.path == path]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("timed out after %.1fs waiting for %d requests of %s (saw %d)"
                                  % (timeout, n, path, len(got)))
                self._cond.wait(left)


class FixtureServer(_RequestLog):
    """A scripted HTTP/1.1 server on 127.0.0.1 (or host), started on
    construction.

    server.set(path, body, status=200, headers={}, etag=None,
               last_modified=None, content_type=None, delay=0)
    changes a route at any time. With etag set, a request whose
    If-None-Match lists it gets 304; with last_modified set, a request
    whose If-Modified-Since equals it (and that has no If-None-Match) gets
    304. Unknown paths get 404. Every request is logged. in_flight and
    max_in_flight count requests from their arrival until their answer
    starts (a route's delay keeps a request in flight); Request.end is
    when its answer started."""

    def __init__(self, host="127.0.0.1"):
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._routes = {}
        self._log = []
        self.host = host
        self.in_flight = 0  # requests between arrival and answer (see max_in_flight)
        self.max_in_flight = 0
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.fixture = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._stopped = False

    # routes
    def set(self, path, body=b"", status=200, headers=None, etag=None, last_modified=None,
            content_type=None, delay=0.0):
        route = Route(body, status, headers, etag, last_modified, content_type, delay)
        with self._lock:
            self._routes[path] = route
        return route

    def remove(self, path):
        with self._lock:
            self._routes.pop(path, None)

    def route(self, path):
        with self._lock:
            return self._routes.get(path)

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    # concurrency: requests counted from arrival until their answer starts
    def _enter(self):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self):
        with self._lock:
            self.in_flight -= 1

    def reset_max_in_flight(self):
        with self._lock:
            self.max_in_flight = self.in_flight

    @staticmethod
    def not_modified(route, headers):
        inm = headers.get("if-none-match")
        if inm is not None:
            if route.etag is None:
                return False
            tags = [t.strip() for t in inm.split(",")]
            return route.etag in tags or "*" in tags
        ims = headers.get("if-modified-since")
        return route.last_modified is not None and ims == route.last_modified

    # request log
    def record(self, req):
        with self._cond:
            self._log.append(req)
            self._cond.notify_all()

    def requests(self):
        with self._lock:
            return list(self._log)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(5)


class RawServer(_RequestLog):
    """A TCP server on 127.0.0.1 (or host) for faults a well-behaved HTTP
    server cannot produce: resets, cut-off chunks, trickled or endless
    bodies. Each connection reads one request head, logs it as a Request
    (with .sent = 0 and .closed = None) and calls handler(sock, req, server)
    on its own thread; handlers add to req.sent what they wrote and set
    req.closed (time.monotonic()) when they saw the peer go away. Handlers
    should loop on server.running()."""

    def __init__(self, handler, host="127.0.0.1"):
        self.handler = handler
        self.host = host
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._log = []
        self._conns = set()
        self._stopped = False
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def running(self):
        return not self._stopped

    def _accept_loop(self):
        while not self._stopped:
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            buf = b""
            while b"\r\n\r\n" not in buf and len(buf) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
            head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target = (head[0].split() + ["", ""])[:2]
            headers = {}
            for line in head[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            path, _, query = target.partition("?")
            req = Request(method, path, query or None, headers, time.monotonic())
            req.sent = 0
            req.closed = None
            with self._cond:
                self._log.append(req)
                self._cond.notify_all()
            self.handler(conn, req, self)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def requests(self):
        with self._lock:
            return list(self._log)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._listener.close()
        self._thread.join(5)
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(5)


def vm_hwm_kib(pid):
    """Peak resident set size (VmHWM, KiB) of a process, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


# --------------------------------------------------------------------------
# HTTP client helpers


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage (case-insensitive)
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def __repr__(self):
        return "Response(%d, %d bytes)" % (self.status, len(self.body))


def http_request(port, path, headers=None, method="GET", body=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.headers, data)
    finally:
        conn.close()


def read_responses(sock, n, timeout=5.0, methods=None):
    """Reads up to n HTTP/1.1 responses (with Content-Length bodies) from a
    raw socket; returns [(status, headers dict lower-case, body)], fewer
    when the peer closes or the deadline passes. methods lists the request
    methods in order (HEAD responses have no body)."""
    deadline = time.monotonic() + timeout
    buf, out = b"", []
    while len(out) < n:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            status = int(head[0].split()[1])
            length = int(headers.get("content-length", "0"))
            if (methods and methods[len(out)] == "HEAD") or status in (204, 304):
                length = 0
            if len(buf) >= end + 4 + length:
                out.append((status, headers, buf[end + 4:end + 4 + length]))
                buf = buf[end + 4 + length:]
                continue
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        buf += chunk
    return out


# --------------------------------------------------------------------------
# Daemon


def feed_section(name, url, **keys):
    lines = ['[feed "%s"]' % name, "url = %s" % url]
    for k, v in keys.items():
        lines.append("%s = %s" % (k, v))
    return "\n".join(lines) + "\n"


def require_heraldd():
    if not HERALDD or not os.access(HERALDD, os.X_OK):
        raise RuntimeError("HERALDD must name the built heraldd (got %r)" % HERALDD)
    return HERALDD


class Daemon:
    """A heraldd in its own temporary folder.

        d = Daemon()
        d.start(d.config(feeds=[("a", server.url("/a.xml"), {"interval": "1s"})]))
        ...
        assert d.stop() == 0
        d.cleanup()

    The folder holds heraldd.conf, herald.db, heraldd.stdout, heraldd.stderr.
    The listen port is chosen once per Daemon and kept across restarts."""

    def __init__(self, workdir=None):
        self.binary = require_heraldd()
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="herald-it-")
        self.port = free_port()
        self.listen = "127.0.0.1:%d" % self.port
        self.conf_path = os.path.join(self.dir, "heraldd.conf")
        self.db_path = os.path.join(self.dir, "herald.db")
        self.stdout_path = os.path.join(self.dir, "heraldd.stdout")
        self.stderr_path = os.path.join(self.dir, "heraldd.stderr")
        self.proc = None
        self._log_offset = 0  # stderr of earlier runs kept in the file

    def config(self, feeds=(), interval="1h", database="herald.db", **herald):
        """Config text: [herald] with listen/database/interval and the given
        keys, then one [feed] section per (name, url, {key: value})."""
        lines = ["; written by tests/integration/harness.py", "[herald]",
                 "database = %s" % database, "listen = %s" % self.listen,
                 "interval = %s" % interval]
        herald.setdefault("log_level", "debug")
        # Every fixture feed is on 127.0.0.1, one site: no pacing between
        # them unless a test asks for it.
        herald.setdefault("site_gap", "0s")
        for k, v in herald.items():
            lines.append("%s = %s" % (k, v))
        text = "\n".join(lines) + "\n\n"
        for f in feeds:
            name, url = f[0], f[1]
            keys = f[2] if len(f) > 2 else {}
            text += feed_section(name, url, **keys) + "\n"
        return text

    def write_config(self, text):
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write(text)

    def env(self):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("LISTEN_FDS", None)
        env.pop("LISTEN_PID", None)
        env.pop("HERALD_LOG_LEVEL", None)
        return env

    def start(self, config_text=None, wait=True, args=None, timeout=10.0):
        """Starts heraldd -c CONF (after writing config_text, if given) and
        waits for GET /healthz = 200."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("daemon already running")
        if config_text is not None:
            self.write_config(config_text)
        if os.path.exists(self.stderr_path):
            self._log_offset = os.path.getsize(self.stderr_path)
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            cmd = [self.binary] + (args if args is not None else ["-c", self.conf_path])
            # A working directory of its own, away from the config: relative
            # paths in the config must resolve against the config's folder.
            cwd = os.path.join(self.dir, "cwd")
            os.makedirs(cwd, exist_ok=True)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         cwd=cwd, env=self.env())
        finally:
            out.close()
            err.close()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("heraldd exited with %s before serving /healthz; log:\n%s"
                                     % (self.proc.returncode, self.log()))
            try:
                return self.fetch("/healthz", timeout=1.0).status == 200
            except OSError:
                return False

        wait_until(ready, timeout, 0.05,
                   lambda: "GET /healthz = 200 on %s; log:\n%s" % (self.listen, self.log()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def fetch(self, path, headers=None, method="GET", body=None, timeout=5.0):
        return http_request(self.port, path, headers, method, body, timeout)

    def feed(self):
        """GET /feed.atom, asserted 200, parsed."""
        r = self.fetch("/feed.atom")
        if r.status != 200:
            raise AssertionError("GET /feed.atom = %d" % r.status)
        return parse_atom(r.body)

    def wait_feed(self, cond, timeout=15.0, message="merged feed condition"):
        """Polls /feed.atom until cond(AtomFeed) is true; returns that feed."""
        last = [None]

        def check():
            if not self.running():
                raise AssertionError("heraldd exited with %s; log:\n%s"
                                     % (self.proc.returncode, self.log()))
            r = self.fetch("/feed.atom")
            if r.status != 200:
                return None
            f = parse_atom(r.body)
            last[0] = f
            return f if cond(f) else None

        return wait_until(check, timeout, 0.1, lambda: "%s; last ids: %r" % (
            message, last[0].ids if last[0] else None))

    def wait_ids(self, ids, timeout=15.0):
        """Waits until /feed.atom holds exactly the set ids."""
        want = set(ids)
        return self.wait_feed(lambda f: set(f.ids) == want, timeout,
                              "entry ids == %r" % sorted(want))

    def log(self, all_runs=False):
        """stderr text of the current run (or of every run)."""
        try:
            with open(self.stderr_path, "rb") as f:
                if not all_runs:
                    f.seek(self._log_offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    LOG_LINE = re.compile(r"^(\S+)\s+(error|warn|info|debug)\s+(\S+?):\s(.*)$")

    def log_records(self):
        """The current run's stderr as (level, subsystem, message, line)
        tuples; lines that are not log lines get level None."""
        out = []
        for line in self.log().splitlines():
            m = self.LOG_LINE.match(line)
            if m:
                out.append((m.group(2), m.group(3), m.group(4), line))
            else:
                out.append((None, None, line, line))
        return out

    def wait_log(self, pattern, timeout=10.0):
        """Waits until a stderr line matches the regex; returns the match."""
        rx = re.compile(pattern)

        def find():
            for line in self.log().splitlines():
                m = rx.search(line)
                if m:
                    return m
            return None

        return wait_until(find, timeout, 0.1,
                          lambda: "log line matching %r; log:\n%s" % (pattern, self.log()[-4000:]))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends sig and returns the exit code. Raises AssertionError (after
        SIGKILL) when the daemon does not exit within timeout seconds."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("heraldd did not exit within %.0fs of signal %d; log:\n%s"
                                     % (timeout, sig, self.log()[-4000:]))
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def db(self):
        """A new sqlite3 connection to the daemon's database (rows as
        sqlite3.Row). The caller closes it."""
        conn = sqlite3.connect(self.db_path, timeout=5.0)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql, params=()):
        conn = self.db()
        try:
            return [dict(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()

    def cleanup(self):
        self.kill()
        if self._own_dir and not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def run_heraldd(args, timeout=20.0, cwd=None):
    """Runs heraldd with args; returns CompletedProcess (text output)."""
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    return subprocess.run([require_heraldd()] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


# --------------------------------------------------------------------------
# Test case base


class EnvDaemon(Daemon):
    """A Daemon whose process gets extra environment variables."""

    def __init__(self, extra_env):
        super().__init__()
        self.extra_env = extra_env

    def env(self):
        env = super().env()
        env.update(self.extra_env)
        return env


class HeraldTestCase(unittest.TestCase):
    """Gives each test a FixtureServer (self.server) and starts daemons that
    are killed and removed on cleanup, even when the test fails."""

    def setUp(self):
        self.server = FixtureServer()
        self.addCleanup(self.server.stop)

    def new_daemon(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        return d

    def start_daemon(self, feeds, **herald):
        """A running daemon with the given feeds ([(name, url, {keys})])."""
        d = self.new_daemon()
        d.start(d.config(feeds, **herald))
        return d

    def assertStopsCleanly(self, d, sig=signal.SIGTERM, within=10.0):
        code = d.stop(sig, within)
        self.assertEqual(code, 0, "heraldd exit code after signal %d; log:\n%s"
                         % (sig, d.log()[-4000:]))


# --------------------------------------------------------------------------
# heraldd feeds


def heraldd_feeds(daemon, json_output=False):
    """Runs `heraldd feeds -c CONF [--json]` for a Daemon; returns the
    parsed JSON list, or the text table as a dict name -> row text.
    Raises AssertionError when the command fails."""
    import json as _json
    args = ["feeds", "-c", daemon.conf_path] + (["--json"] if json_output else [])
    p = run_heraldd(args)
    if p.returncode != 0:
        raise AssertionError("heraldd feeds exited %d: %s" % (p.returncode, p.stderr))
    if json_output:
        return _json.loads(p.stdout)
    rows = {}
    for line in p.stdout.splitlines()[1:]:
        rows[line.split("  ", 1)[0].strip()] = line
    return rows
