#!/usr/bin/python3
"""Regenerates the seed corpora of every fuzz target from the tests.

fuzz/corpus/ (fuzz_parse): the parse fixtures, contrib samples and hand-made
seeds. Every unit starts with one selector byte (fuzz_parse.c: byte % 4 picks
the Content-Type: 0 none, 1 iso-8859-1 RSS, 2 utf-16 XML, 3 JSON); the rest is
the document.

fuzz/corpus-http/, corpus-config/, corpus-date/, corpus-url/: the string
literals of tests/unit/test_httpd.c, test_config.c, test_date.c, test_url.c
and test_dedup.c (C literals, adjacent ones and string macros joined), the
requests of tests/integration/test_hostile_clients.py, and the dates and
links of tests/fixtures/parse/; see gen_target_seeds() for each unit's
selector byte. Run from the repository root: /usr/bin/python3 fuzz/gen_seeds.py
"""
import ast
import codecs
import glob
import hashlib
import html
import os
import re
import sys
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S = {}
S["seed-rss091.xml"] = b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><title>T</title><link>http://x/</link><description>d</description><language>en</language><item><title>a</title><link>http://x/a</link><description>&lt;b&gt;hi&lt;/b&gt;</description></item></channel></rss>\n'
S["seed-rss20-min.xml"] = b'<rss version="2.0"><channel><title>t</title><item><guid isPermaLink="false">1</guid></item></channel></rss>'
S["seed-rss20-full.xml"] = b'''<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Full &amp; proper</title><link>https://ex.org/</link><atom:link rel="self" href="/feed.xml"/><description>desc</description><lastBuildDate>Tue, 10 Jun 2003 04:00:00 GMT</lastBuildDate><managingEditor>ed@ex.org (Ed)</managingEditor>
<item><title>One</title><link>/one</link><guid isPermaLink="true">https://ex.org/one</guid><pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate><dc:date>2006-01-02T15:04:05Z</dc:date><dc:creator>Bob</dc:creator><author>bob@ex.org</author><description>short</description><content:encoded><![CDATA[<p>Hello <a href="rel/x" onclick="x()">w</a><script>alert(1)</script><img src="javascript:1"></p>]]></content:encoded><enclosure url="/a.mp3" length="123" type="audio/mpeg"/><itunes:duration>01:02:03</itunes:duration><category>c</category></item>
<item><title>Two</title><pubDate>Sun, 6 Nov 1994 08:49:37 CEST</pubDate></item>
</channel></rss>'''
S["seed-rss20-dates.xml"] = b'<rss version="2.0"><channel><item><pubDate>Sat, 31 Dec 2005 11:59 PM EST</pubDate></item><item><pubDate>2005-12-31</pubDate></item><item><pubDate>31 Dec 05 23:59:60 +1400</pubDate></item><item><pubDate>Thu, 01 Jan 1970 00:00:00 -9999</pubDate></item><item><pubDate>Fri, 31 Dec 9999 23:59:59 Z</pubDate></item><item><dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2024-02-30T25:61:61.123456789+99:99</dc:date></item></channel></rss>'
S["seed-rdf.rdf"] = b'''<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="http://x/"><title>R</title><link>http://x/</link><items><rdf:Seq><rdf:li resource="http://x/1"/></rdf:Seq></items></channel><item rdf:about="http://x/1"><title>i</title><link>http://x/1</link><dc:date>2003-12-13T18:30:02+01:00</dc:date><description>d</description></item></rdf:RDF>'''
S["seed-rss090.rdf"] = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>n</title><link>http://x</link></channel><item><title>a</title><link>http://x/a</link></item></rdf:RDF>'
S["seed-atom10.xml"] = b'''<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://ex.org/base/"><id>urn:uuid:1</id><title type="html">A &amp;lt;b&amp;gt;</title><subtitle type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">s<b>x</b></div></subtitle><updated>2003-12-13T18:30:02Z</updated><link rel="self" href="feed"/><link href="./"/><author><name>N</name><email>e@x</email></author>
<entry xml:base="sub/"><id>tag:ex.org,2003:1</id><title type="text">e</title><link rel="alternate" type="text/html" href="e1"/><published>2003-12-13T08:29:29-04:00</published><updated>2003-12-13T18:30:02.25+01:00</updated><summary type="html">&lt;p&gt;s&lt;/p&gt;</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>c<a href="../x">l</a></p></div></content><author><email>only@x</email></author></entry>
<entry><id>2</id><content type="text/plain">plain</content></entry><entry><id>3</id><content type="image/png" src="i.png"/></entry><entry><id>4</id><content type="application/octet-stream">AAEC</content></entry></feed>'''
S["seed-atom03.xml"] = b'<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped">t &amp;amp;</title><link rel="alternate" type="text/html" href="http://x/"/><modified>2003-12-13T18:30:02Z</modified><entry><title>e</title><id>tag:x,2003:1</id><issued>2003-12-13T08:29:29-04:00</issued><modified>2003-12-13T18:30:02Z</modified><content type="text/html" mode="base64">PHA+aGk8L3A+</content><summary mode="xml"><p xmlns="http://www.w3.org/1999/xhtml">s</p></summary></entry></feed>'
S["seed-atom-prefixed.xml"] = b'<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>p</a:title><a:entry><a:id>1</a:id><a:link href="http://x/1"/><a:title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></a:title></a:entry></a:feed>'
S["seed-json11.json"] = b'{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://ex.org/","feed_url":"https://ex.org/feed.json","authors":[{"name":"A"}],"items":[{"id":"1","url":"/1","title":"t","content_html":"<p>h</p>","content_text":"t","summary":"s","date_published":"2010-02-07T14:04:00-05:00","date_modified":"2010-02-07T14:04:00Z","authors":[{"name":"B","url":"x"}]},{"id":2,"content_text":"num id"}]}'
S["seed-json10.json"] = b'{"version":"https://jsonfeed.org/version/1","title":"J","author":{"name":"Old"},"items":[{"id":"a","content_text":"x","date_published":"bad"}]}'
S["seed-json-bad.json"] = b'{"version":"https://jsonfeed.org/version/1.1","items":[null,1,"x",{"id":null,"url":5},{"id":"\\u0000\\ud800"}],"title":["not","string"]}'
S["seed-json-deep.json"] = b'{"version":"https://jsonfeed.org/version/1.1","items":' + b'[' * 200 + b']' * 200 + b'}'
S["seed-broken-unclosed.xml"] = b'<rss version="2.0"><channel><title>broken<item><title>a & b</title><link>http://x/?a=1&b=2</link><description><p>unclosed'
S["seed-broken-mismatch.xml"] = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</titl></entry><entry><id>2</id></feed></rss>'
S["seed-broken-garbage.xml"] = b'\x00\x01<rss>\xff\xfe<<<>>>&&&;<![CDATA[ x ]]]]><!-- -- --><?pi?></rss>'
S["seed-entities-html.xml"] = b'<rss version="2.0"><channel><title>&eacute;t&eacute; &nbsp; &mdash; &copy; &hellip; &#233; &#xE9; &#0; &#x110000; &#xD800; &bogus;</title><item><title>&lt;&gt;&amp;&quot;&apos;&rsquo;</title></item></channel></rss>'
S["seed-entities-dtd.xml"] = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;"><!ENTITY ext SYSTEM "file:///etc/passwd"><!ENTITY % pe SYSTEM "http://127.0.0.1/x.dtd">%pe;]><rss version="2.0"><channel><title>&b;&ext;</title></channel></rss>'
S["seed-latin1-decl.xml"] = '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>caf\u00e9 na\u00efve</title><item><title>\u00fcber</title></item></channel></rss>'.encode("latin-1")
S["seed-latin1-nodecl.xml"] = '<rss version="2.0"><channel><title>caf\u00e9</title><item><title>\u00e0 la</title></item></channel></rss>'.encode("latin-1")
S["seed-win1252.xml"] = b'<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>\x93quoted\x94 \x80 \x85</title></channel></rss>'
S["seed-bogus-encoding.xml"] = b'<?xml version="1.0" encoding="x-no-such-charset"?><rss version="2.0"><channel><title>t</title></channel></rss>'
S["seed-utf8-bom.xml"] = b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>\xe2\x98\x83 \xf0\x9f\x98\x80 \xc3\x28 \xed\xa0\x80</title></channel></rss>'
doc16 = '<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>\u65e5\u672c</title><entry><id>1</id><title>\u00e9</title></entry></feed>'
S["seed-utf16le-bom.xml"] = codecs.BOM_UTF16_LE + doc16.encode("utf-16-le")
S["seed-utf16be-bom.xml"] = codecs.BOM_UTF16_BE + doc16.encode("utf-16-be")
S["seed-utf16le-nobom.xml"] = '<rss version="2.0"><channel><title>x</title></channel></rss>'.encode("utf-16-le")
S["seed-utf16-odd.xml"] = codecs.BOM_UTF16_LE + doc16.encode("utf-16-le")[:-1]
S["seed-html-page.html"] = b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head><body><p>not a feed</body></html>'
S["seed-empty-channel.xml"] = b'<rss version="2.0"><channel/></rss>'
S["seed-nested-items.xml"] = b'<rss version="2.0"><channel><item><item/><item><title>in</title></item></item><item><title></title><link>   </link><guid></guid></item></channel></rss>'
S["seed-links-weird.xml"] = b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//"><link href="//evil/"/><entry><id> </id><link href="http://[::1"/><link rel="enclosure" href="data:text/html,x"/><link href="%zz/../../.."/><link href="HTTPS://EX.ORG:99999/a b"/></entry></feed>'
S["seed-cdata-html.xml"] = b'<rss version="2.0"><channel><item><description><![CDATA[<div><style>x{}</style><iframe src=x></iframe><a href="mailto:a@b">m</a><img srcset="a.png 1x, javascript:x 2x" src="data:image/png;base64,AA=="><svg><script>1</script></svg><table><tr><td>c</table><p style="x" onmouseover=y>t]]></description></item></channel></rss>'
S["seed-ns-default-rss.xml"] = b'<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>ns</title><item><title>i</title></item></channel></rss>'
S["seed-many-items.xml"] = b'<rss version="2.0"><channel>' + b'<item><title>x</title></item>' * 300 + b'</channel></rss>'
S["seed-long-attr.xml"] = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://x/' + b'a' * 4000 + b'"/><title>' + b'&amp;' * 500 + b'</title></entry></feed>'
out = {}
for sub, prefix in (("tests/fixtures/parse", "fixture-"), ("contrib/samples", "sample-")):
    for f in sorted(glob.glob(os.path.join(ROOT, sub, "*"))):
        out[prefix + os.path.basename(f)] = b"\x00" + open(f, "rb").read()
for n, d in S.items():
    out[n] = b"\x00" + d
for sel, n in ((1, "seed-latin1-nodecl.xml"), (1, "seed-rss20-full.xml"),
               (2, "seed-utf16le-nobom.xml"), (2, "seed-utf16le-bom.xml"),
               (2, "seed-rss20-min.xml"), (3, "seed-json11.json"), (3, "seed-atom10.xml")):
    out["ct%d-%s" % (sel, n)] = bytes([sel]) + S[n]
out["ct3-fixture-feed.json"] = b"\x03" + open(os.path.join(ROOT, "tests/fixtures/parse/feed.json"), "rb").read()
os.makedirs(D, exist_ok=True)
for n, d in out.items():
    with open(os.path.join(D, n), "wb") as fh:
        fh.write(d)
print("%d seeds in %s" % (len(out), D))


# ---- the other targets ------------------------------------------------------

C_ESC = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'", "a": "\a",
         "b": "\b", "f": "\f", "v": "\v", "?": "?"}


def c_unescape(body):
    """Bytes of a C string literal's body (\\x takes at most two digits)."""
    out, i = bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        nx = body[i + 1]
        if nx == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        elif nx in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += C_ESC.get(nx, nx).encode("utf-8")
            i += 2
    return bytes(out)


def c_literals(path):
    """String literals of a C file; adjacent ones, and #define'd string
    macros next to literals, joined as the compiler would."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    macros = {}
    for m in re.finditer(r'^#define\s+(\w+)\s+((?:"(?:[^"\\\n]|\\.)*"\s*)+)$', text, re.M):
        macros[m.group(1)] = b"".join(c_unescape(x) for x in
                                      re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(2)))
    text = re.sub(r"^#.*$", " ", text, flags=re.M)
    tok = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z_]\w*)|(\s+)|(.)', re.S)
    lits, cur, last_ws = [], None, False
    for m in tok.finditer(text):
        if m.group(1) is not None:
            cur = (cur or b"") + c_unescape(m.group(1))
        elif m.group(2) is not None and m.group(2) in macros:
            cur = (cur or b"") + macros[m.group(2)]
        elif m.group(3) is not None:
            continue
        else:
            if cur is not None:
                lits.append(cur)
            cur = None
    if cur is not None:
        lits.append(cur)
    return lits


def py_bytes(path):
    """Bytes expressions of a Python test made of constants only
    (b"a" * 3 + b"b", b"%d" % 5)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    out = []

    def const_only(n):
        return all(isinstance(x, (ast.Constant, ast.BinOp, ast.operator, ast.expr_context))
                   for x in ast.walk(n))

    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.Constant)) and const_only(node):
            try:
                v = eval(compile(ast.Expression(node), path, "eval"), {"__builtins__": {}})
            except Exception:
                continue
            if isinstance(v, bytes):
                out.append(v)
    return out


def write_corpus(name, units):
    d = os.path.join(os.path.dirname(D), name)
    os.makedirs(d, exist_ok=True)
    n = 0
    for u in sorted(set(units)):
        if not u or len(u) > 16384:
            continue
        with open(os.path.join(d, hashlib.sha1(u).hexdigest()[:16]), "wb") as fh:
            fh.write(u)
        n += 1
    print("%d seeds in %s" % (n, d))


def fixture_texts():
    for f in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/parse/*"))):
        yield open(f, "rb").read()


def gen_target_seeds():
    unit = lambda sub: os.path.join(ROOT, "tests/unit", sub)

    # fuzz_http: byte 0 picks the split point (0xff: one write; 0x80: halves).
    reqs = [l for l in c_literals(unit("test_httpd.c")) if b"HTTP/" in l or b"\r\n" in l]
    hostile = [b for b in py_bytes(os.path.join(ROOT, "tests/integration/test_hostile_clients.py"))
               if b"HTTP/" in b or b"\r\n" in b]
    reqs += [b.replace(b"/feed.atom", b"/feed").replace(b"/healthz", b"/who") for b in hostile]
    reqs += [
        b"GET /feed HTTP/1.1\r\nHost: t\r\nIf-None-Match: W/\"abc\", \"x\"\r\n\r\n",
        b"GET /feed HTTP/1.1\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n",
        b"GET /pre/a%2Fb?bad HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
        b"GET /pre/x?q=1 HTTP/1.1\r\nIf-None-Match: *\r\n\r\nHEAD /pre/ HTTP/1.1\r\n\r\n",
        b"GET /who HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nAccept-Encoding: br\r\n\r\n",
        b"GET /feed HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /feed HTTP/1.0\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\n\r\n",
        b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org\r\n\r\n",
        b"GET /feed HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"GET /feed HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    ]
    units = []
    for r in reqs:
        r = r[:16000]
        units += [b"\xff" + r, b"\x80" + r, b"\x10" + r]
    write_corpus("corpus-http", units)

    # fuzz_config: the configuration texts of the unit tests.
    confs = [l for l in c_literals(unit("test_config.c"))
             if b"[" in l and (b"=" in l or b"]\n" in l)]
    confs += [
        b"[herald]\nopml = feeds.opml\n[feed \"x\"]\nurl = https://x.example/\n",
        b"[herald]\nlisten = [::1]:8080\nadmin_token = file:pw.txt\ninterval = 1h30m\n"
        b"timeout = 1s500ms\nmax_feed_size = 8M\ndedup = story\nstrip_params = ref, id\n",
        b"[output \"o\"]\ninclude = (?i)rust|go\nexclude = [\nfeeds = a b\n"
        b"[feed \"a\"]\nurl = file:empty.txt\n",
        b"[webhook \"w\"]\nurl = https://h.example/\nformat = template\ntemplate = hook.tpl\n"
        b"secret = env:HERALD_TEST_HOOK_SECRET\nevents = story.new, feed.gone\n"
        b"retry = 10s 1m 1h\n",
    ]
    write_corpus("corpus-config", confs)

    # fuzz_date: the unit test's dates and every date of the parse fixtures.
    dates = [l for l in c_literals(unit("test_date.c")) if l and b"%" not in l]
    tags = rb"pubDate|lastBuildDate|updated|published|modified|issued|created|dc:date|date"
    for t in fixture_texts():
        dates += re.findall(rb"<(?:%s)>([^<]{1,80})</" % tags, t)
        dates += re.findall(rb'"date_(?:published|modified)"\s*:\s*"([^"]{1,80})"', t)
    dates += [b"2024-02-29T24:00:00Z", b"1999-365", b"20240102T030405Z", b"2004-W53-7",
              b"Sat, 31 Dec 2005 11:59 PM EST", b"9999-12-31T23:59:60-23:59"]
    write_corpus("corpus-date", dates)

    # fuzz_url: byte 0 picks the options (bits: fold_scheme, fold_slash, strip, fingerprint).
    urls = [l for l in c_literals(unit("test_url.c")) + c_literals(unit("test_dedup.c"))
            if b"://" in l or l.startswith(b"/")]
    for t in fixture_texts():
        urls += re.findall(rb'(?:href|url|src|xmlUrl)="([^"]{1,300})"', t)
        urls += re.findall(rb"<(?:link|guid|id)>([^<]{1,300})</", t)
    urls += [b"HTTP://EX.org:80/a/./b/../%7euser/?utm_source=x&id=1#f",
             b"https://[::1]:443/%2e%2E/a b?x=%zz", b"http://user:pw@0x7f.1/a//"]
    units = []
    for u in urls:
        units += [b"\x00" + u, b"\x0f" + u]
    write_corpus("corpus-url", units)

    # fuzz_sanitize: byte 0 picks the base URL (% 4); the HTML of the
    # sanitizer's unit tests, the content of the parse fixtures and tidy
    # blog HTML as bench/gen_corpus.py writes it (the fast path's input).
    htmls = [l for l in c_literals(unit("test_sanitize.c")) if b"<" in l or b"&" in l]
    for t in fixture_texts():
        htmls += [m.replace(b"]]>", b"") for m in
                  re.findall(rb"<!\[CDATA\[(.{1,8000}?)\]\]>", t, re.S)]
        htmls += [html.unescape(m.decode("utf-8", "replace")).encode() for m in
                  re.findall(rb"<(?:description|content|summary)[^>]*>([^<]{1,8000})</", t)
                  if b"&lt;" in m]
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_corpus
    g = gen_corpus.Gen(7)
    htmls += [g.html("example.org", 100, 3000).encode() for _ in range(12)]
    units = []
    for h in htmls:
        units += [b"\x00" + h, b"\x01" + h]
    write_corpus("corpus-sanitize", units)


gen_target_seeds()
