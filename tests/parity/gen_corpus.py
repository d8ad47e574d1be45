#!/usr/bin/python3
"""Generate the parity corpus into tests/parity/corpus/ (deterministic).

Every case is one small file named for what it tests. RSS and Atom cases
put the item under test between two control items ("Control 1" first and
"Control 2" last) unless the case is about the document structure itself:
the controls check that the case does not disturb the entries around it
(an unclosed CDATA section swallowing the next item, a nested item
shifting the entry index, a bad date leaking into its neighbour) and keep
the entry alignment between heraldd and feedparser honest.

Sidecars:
  FILE.args         extra `heraldd parse` arguments, one per line
                    (--content-type TYPE, --base URL); run_parity.py passes
                    the same values to feedparser as response headers.
  FILE.expect.json  JSON Feed files only (feedparser cannot read JSON
                    Feed): the expected entries, written by hand below.

Run: /usr/bin/python3 tests/parity/gen_corpus.py   (rewrites corpus/,
keeping files listed in corpus/HANDWRITTEN).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

FILES = {}  # name -> bytes


def add(name, data, args=None, expect=None):
    if name in FILES:
        sys.exit("duplicate case " + name)
    if isinstance(data, str):
        data = data.encode("utf-8")
    FILES[name] = data
    if args:
        FILES[name + ".args"] = ("\n".join(args) + "\n").encode()
    if expect is not None:
        FILES[name + ".expect.json"] = (json.dumps(expect, indent=1, ensure_ascii=False) + "\n").encode()


NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "feedburner": "http://rssnamespace.org/feedburner/ext/1.0",
}
ALLNS = " ".join('xmlns:%s="%s"' % kv for kv in NS.items())
DECL = '<?xml version="1.0" encoding="utf-8"?>\n'

# ---------------------------------------------------------------- templates


def rss_ctrl(n, guid=True, date=True):
    s = "<item><title>Control %d</title><link>http://example.com/control/%d</link>" % (n, n)
    if guid:
        s += '<guid isPermaLink="false">control-%d</guid>' % n
    if date:
        s += "<pubDate>Mon, 02 Jan 2006 15:04:0%d GMT</pubDate>" % n
        s += "<author>control@example.com (Control Author %d)</author>" % n
    return s + "</item>\n"


def rss(items, version="2.0", chan="", decl=DECL, root_attrs="", controls=True, ns=True):
    c1 = rss_ctrl(1) if controls else ""
    c2 = rss_ctrl(2) if controls else ""
    v = ' version="%s"' % version if version is not None else ""
    return (
        "%s<rss%s %s%s>\n<channel>\n<title>Parity feed</title>\n<link>http://example.com/</link>\n"
        "<description>A test feed</description>\n%s%s%s%s</channel>\n</rss>\n"
        % (decl, v, ALLNS if ns else "", root_attrs, chan, c1, items, c2)
    )


def rss_old(items, version, ctrl=True, doctype=""):
    """RSS 0.91/0.92/0.93/0.94: no guid/pubDate in the controls."""
    c1 = rss_ctrl(1, guid=False, date=False) if ctrl else ""
    c2 = rss_ctrl(2, guid=False, date=False) if ctrl else ""
    return (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n%s<rss version="%s">\n<channel>\n'
        "<title>Old feed</title>\n<link>http://example.com/</link>\n<description>d</description>\n"
        "<language>en-us</language>\n%s%s%s</channel>\n</rss>\n" % (doctype, version, c1, items, c2)
    )


def rdf_ctrl(n, core=True):
    return (
        '<item rdf:about="http://example.com/control/%d"><title>Control %d</title>'
        "<link>http://example.com/control/%d</link></item>\n" % (n, n, n)
    )


def rdf(items, ns="http://purl.org/rss/1.0/", controls=True, chan_extra=""):
    c1 = rdf_ctrl(1) if controls else ""
    c2 = rdf_ctrl(2) if controls else ""
    return (
        '%s<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="%s" %s>\n'
        '<channel rdf:about="http://example.com/"><title>RDF feed</title><link>http://example.com/</link>'
        "<description>d</description>%s</channel>\n%s%s%s</rdf:RDF>\n"
        % (DECL, ns, ALLNS, chan_extra, c1, items, c2)
    )


def atom_ctrl(n):
    return (
        "<entry><title>Control %d</title><id>urn:example:control-%d</id>"
        '<link href="http://example.com/control/%d"/><published>2006-01-01T15:04:0%dZ</published>'
        "<updated>2006-01-02T15:04:0%dZ</updated><author><name>Control Author %d</name></author>"
        "</entry>\n" % (n, n, n, n, n, n)
    )


def atom(entries, feed_extra="", root_attrs="", decl=DECL, controls=True):
    c1 = atom_ctrl(1) if controls else ""
    c2 = atom_ctrl(2) if controls else ""
    return (
        '%s<feed xmlns="http://www.w3.org/2005/Atom" %s%s>\n<title>Parity feed</title>\n'
        "<id>urn:example:feed</id>\n<updated>2006-01-02T15:04:05Z</updated>\n"
        '<link href="http://example.com/"/>\n%s%s%s%s</feed>\n'
        % (decl, ALLNS.replace('xmlns:atom="http://www.w3.org/2005/Atom"', ""), root_attrs, feed_extra, c1, entries, c2)
    )


def atom03_ctrl(n):
    return (
        "<entry><title>Control %d</title><id>urn:example:control-%d</id>"
        '<link rel="alternate" type="text/html" href="http://example.com/control/%d"/>'
        "<issued>2006-01-01T15:04:0%dZ</issued><modified>2006-01-02T15:04:0%dZ</modified>"
        "<author><name>Control Author %d</name></author></entry>\n" % (n, n, n, n, n, n)
    )


def atom03(entries, controls=True):
    c1 = atom03_ctrl(1) if controls else ""
    c2 = atom03_ctrl(2) if controls else ""
    return (
        '%s<feed version="0.3" xmlns="http://purl.org/atom/ns#" xmlns:dc="%s">\n<title>Atom 0.3 feed</title>\n'
        '<link rel="alternate" type="text/html" href="http://example.com/"/>\n'
        "<modified>2006-01-02T15:04:05Z</modified>\n%s%s%s</feed>\n" % (DECL, NS["dc"], c1, entries, c2)
    )


def item(title="Case", link="http://example.com/case", guid=None, extra="", pub=None):
    s = "<item>"
    if title is not None:
        s += "<title>%s</title>" % title
    if link is not None:
        s += "<link>%s</link>" % link
    if guid is not None:
        s += guid if guid.startswith("<") else "<guid>%s</guid>" % guid
    if pub is not None:
        s += "<pubDate>%s</pubDate>" % pub
    return s + extra + "</item>\n"


def entry(title="Case", eid="urn:example:case", link="http://example.com/case", extra="", updated="2006-01-03T00:00:00Z"):
    s = "<entry>"
    if title is not None:
        s += "<title>%s</title>" % title
    if eid is not None:
        s += "<id>%s</id>" % eid
    if link is not None:
        s += '<link href="%s"/>' % link
    if updated is not None:
        s += "<updated>%s</updated>" % updated
    return s + extra + "</entry>\n"


# ---------------------------------------------------------------- formats


def formats():
    add("rss090-basic.xml", rdf(
        '<item><title>Case</title><link>http://example.com/case</link></item>\n',
        ns="http://my.netscape.com/rdf/simple/0.9/").replace(' rdf:about="http://example.com/control/1"', "")
        .replace(' rdf:about="http://example.com/control/2"', ""))
    add("rss090-no-items.xml", rdf("", ns="http://my.netscape.com/rdf/simple/0.9/", controls=False))
    add("rss091-netscape-doctype.xml", rss_old(item(), "0.91", doctype=(
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n')))
    add("rss091-userland.xml", rss_old(item(extra="<description>Case &amp; more</description>"), "0.91"))
    add("rss091-latin1-title.xml", rss_old(item(title="Caf\xe9"), "0.91").encode("iso-8859-1"))
    add("rss092-enclosure.xml", rss_old(item(extra='<enclosure url="http://example.com/case.mp3" length="10" type="audio/mpeg"/>'), "0.92"))
    add("rss092-category-source.xml", rss_old(item(extra='<category>News</category><source url="http://other.example/rss">Other</source>'), "0.92"))
    add("rss092-no-link.xml", rss_old(item(link=None, extra="<description>only a description</description>"), "0.92"))
    add("rss093-pubdate.xml", rss_old(item(pub="Sat, 07 Sep 2002 00:00:01 GMT"), "0.93"))
    add("rss093-expirationdate.xml", rss_old(item(extra="<expirationDate>Sat, 07 Sep 2030 00:00:01 GMT</expirationDate>"), "0.93"))
    add("rss094-guid.xml", rss_old(item(guid="http://example.com/case", pub="Sat, 07 Sep 2002 00:00:01 GMT",
                                        extra="<author>jo@example.com (Jo)</author>"), "0.94"))
    add("rss10-basic.xml", rdf('<item rdf:about="http://example.com/case"><title>Case</title><link>http://example.com/case</link>'
                               "<description>d</description></item>\n"))
    add("rss10-modules.xml", rdf('<item rdf:about="http://example.com/case"><title>Case</title><link>http://example.com/case</link>'
                                 "<dc:creator>Jo</dc:creator><dc:subject>News</dc:subject>"
                                 "<content:encoded><![CDATA[<p>x</p>]]></content:encoded></item>\n"))
    add("rss10-items-inside-channel.xml", rdf("", controls=False, chan_extra=(
        '<item rdf:about="http://example.com/case"><title>Case</title><link>http://example.com/case</link></item>')))
    add("rss10-no-about.xml", rdf("<item><title>Case</title><link>http://example.com/case</link></item>\n"))
    add("rss20-minimal.xml", rss(item()))
    add("rss20-full.xml", rss(item(guid="http://example.com/case", pub="Sat, 07 Sep 2002 00:00:01 GMT", extra=(
        "<description>&lt;p&gt;Hello&lt;/p&gt;</description><author>jo@example.com (Jo)</author>"
        '<category>News</category><comments>http://example.com/case#c</comments>'
        '<enclosure url="http://example.com/case.mp3" length="10" type="audio/mpeg"/>'
        '<source url="http://other.example/rss">Other</source>'))))
    add("rss20-no-version.xml", rss(item(), version=None))
    add("rss20-version-2.0.1.xml", rss(item(), version="2.0.1"))
    add("rss20-default-namespace.xml", rss(item(), root_attrs=' xmlns="http://backend.userland.com/rss2"'))
    add("rss20-items-after-channel.xml",
        DECL + '<rss version="2.0"><channel><title>T</title><link>http://example.com/</link></channel>\n'
        + rss_ctrl(1) + item() + rss_ctrl(2) + "</rss>\n")
    add("rss20-empty-channel.xml", rss("", controls=False))
    add("rss20-single-item.xml", rss(item(), controls=False))
    add("atom03-basic.xml", atom03("<entry><title>Case</title><id>urn:example:case</id>"
                                   '<link rel="alternate" type="text/html" href="http://example.com/case"/>'
                                   "<issued>2002-09-07T00:00:01Z</issued><modified>2002-09-08T00:00:01Z</modified>"
                                   "<author><name>Jo</name></author></entry>\n"))
    add("atom03-content-modes.xml", atom03(
        "<entry><title>Case</title><id>urn:example:case</id>"
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2002-09-08T00:00:01Z</modified>'
        '<content type="text/html" mode="escaped">&lt;p&gt;x&lt;/p&gt;</content></entry>\n'))
    add("atom10-minimal.xml", atom(entry()))
    add("atom10-full.xml", atom(entry(extra=(
        "<published>2002-09-07T00:00:01Z</published><author><name>Jo</name><email>jo@example.com</email></author>"
        '<category term="news"/><summary>s</summary><content type="html">&lt;p&gt;c&lt;/p&gt;</content>'
        '<link rel="enclosure" href="http://example.com/case.mp3" length="10" type="audio/mpeg"/>'
        "<rights>r</rights>"))))
    add("atom10-prefixed.xml",
        DECL + '<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>T</a:title><a:id>urn:f</a:id>'
        "<a:updated>2006-01-02T15:04:05Z</a:updated>\n"
        '<a:entry><a:title>Case</a:title><a:id>urn:example:case</a:id><a:link href="http://example.com/case"/>'
        "<a:updated>2006-01-03T00:00:00Z</a:updated><a:author><a:name>Jo</a:name></a:author></a:entry>\n"
        "</a:feed>\n")
    add("atom10-no-entries.xml", atom("", controls=False))
    add("atom10-entry-document.xml",
        DECL + '<entry xmlns="http://www.w3.org/2005/Atom"><title>Lone entry</title><id>urn:example:lone</id>'
        '<link href="http://example.com/lone"/><updated>2006-01-03T00:00:00Z</updated></entry>\n')
    add("atom10-source-not-an-entry.xml", atom(entry(extra=(
        "<source><id>urn:example:src</id><title>Source feed</title><updated>2005-01-01T00:00:00Z</updated>"
        '<link href="http://other.example/"/></source>'))))


# ---------------------------------------------------------------- ids


def ids():
    add("id-rss20-guid-permalink-default.xml", rss(item(guid="http://example.com/case")))
    add("id-rss20-guid-permalink-true.xml", rss(item(guid='<guid isPermaLink="true">http://example.com/case</guid>')))
    add("id-rss20-guid-permalink-false.xml", rss(item(guid='<guid isPermaLink="false">case-42</guid>')))
    add("id-rss20-guid-permalink-false-uppercase.xml", rss(item(guid='<guid isPermaLink="FALSE">case-42</guid>')))
    add("id-rss20-guid-whitespace.xml", rss(item(guid="<guid isPermaLink=\"false\">\n   case-42   \n</guid>")))
    add("id-rss20-guid-empty.xml", rss(item(guid="<guid></guid>")))
    add("id-rss20-no-guid.xml", rss(item()))
    add("id-rss20-guid-urn.xml", rss(item(guid='<guid isPermaLink="false">urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</guid>')))
    add("id-rss20-guid-entity.xml", rss(item(guid='<guid isPermaLink="false">a&amp;b</guid>')))
    add("id-rss20-guid-cdata.xml", rss(item(guid='<guid isPermaLink="false"><![CDATA[case-42]]></guid>')))
    add("id-rss20-guid-permalink-relative.xml",
        rss(item(link="http://example.com/case", guid="<guid>/posts/42</guid>")), args=["--base", "http://example.com/feed.xml"])
    add("id-rss20-guid-nonpermalink-relative.xml",
        rss(item(guid='<guid isPermaLink="false">/posts/42</guid>')), args=["--base", "http://example.com/feed.xml"])
    add("id-rss10-rdf-about.xml", rdf('<item rdf:about="http://example.com/case"><title>Case</title><link>http://example.com/case</link></item>\n'))
    add("id-atom10-id.xml", atom(entry(eid="tag:example.com,2006:case")))
    add("id-atom10-id-whitespace.xml", atom(entry(eid="\n  tag:example.com,2006:case  \n")))
    add("id-atom10-no-id.xml", atom(entry(eid=None)))
    add("id-atom10-id-relative.xml", atom(entry(eid="case-42")), args=["--base", "http://example.com/feed.atom"])
    add("id-atom03-id.xml", atom03("<entry><title>Case</title><id>tag:example.com,2003:case</id>"
                                   '<link rel="alternate" type="text/html" href="http://example.com/case"/>'
                                   "<modified>2003-01-01T00:00:00Z</modified></entry>\n"))


# ---------------------------------------------------------------- links


def links():
    add("link-rss20-link.xml", rss(item()))
    add("link-rss20-link-whitespace.xml", rss(item(link="\n   http://example.com/case  \n")))
    add("link-rss20-link-cdata.xml", rss(item(link="<![CDATA[http://example.com/case?a=1&b=2]]>")))
    add("link-rss20-link-ampersand-entity.xml", rss(item(link="http://example.com/case?a=1&amp;b=2")))
    add("link-rss20-guid-permalink-no-link.xml", rss(item(link=None, guid="http://example.com/case")))
    add("link-rss20-guid-permalink-false-no-link.xml", rss(item(link=None, guid='<guid isPermaLink="false">http://example.com/case</guid>')))
    add("link-rss20-guid-and-link-differ.xml", rss(item(link="http://example.com/case", guid="http://example.com/guid")))
    add("link-rss20-guid-before-link.xml",
        rss('<item><title>Case</title><guid>http://example.com/guid</guid><link>http://example.com/case</link></item>\n'))
    add("link-rss20-empty-link-guid-permalink.xml", rss(item(link="", guid="http://example.com/case")))
    add("link-rss20-guid-tag-uri-no-link.xml", rss(item(link=None, guid="tag:example.com,2006:case")))
    add("link-rss20-atom-link.xml", rss(item(link=None, extra='<atom:link href="http://example.com/case"/>')))
    add("link-rss20-link-and-atom-link.xml", rss(item(extra='<atom:link rel="alternate" href="http://example.com/other"/>')))
    add("link-rss20-feedburner-origlink.xml", rss(item(
        link="http://feeds.feedburner.com/~r/example/~3/abc/case",
        extra="<feedburner:origLink>http://example.com/case</feedburner:origLink>")))
    add("link-rss20-feedburner-origlink-before-link.xml", rss(
        "<item><title>Case</title><feedburner:origLink>http://example.com/case</feedburner:origLink>"
        "<link>http://feeds.feedburner.com/~r/example/~3/abc/case</link></item>\n"))
    add("link-atom10-no-rel.xml", atom(entry()))
    add("link-atom10-rel-alternate.xml", atom(entry(link=None, extra='<link rel="alternate" href="http://example.com/case"/>')))
    add("link-atom10-alternate-type-html.xml", atom(entry(link=None, extra='<link rel="alternate" type="text/html" href="http://example.com/case"/>')))
    add("link-atom10-alternate-xhtml.xml", atom(entry(link=None, extra='<link rel="alternate" type="application/xhtml+xml" href="http://example.com/case"/>')))
    add("link-atom10-related-then-alternate.xml", atom(entry(link=None, extra=(
        '<link rel="related" href="http://example.com/related"/><link rel="alternate" href="http://example.com/case"/>'))))
    add("link-atom10-self-then-alternate.xml", atom(entry(link=None, extra=(
        '<link rel="self" href="http://example.com/case.atom"/><link rel="alternate" type="text/html" href="http://example.com/case"/>'))))
    add("link-atom10-enclosure-then-alternate.xml", atom(entry(link=None, extra=(
        '<link rel="enclosure" href="http://example.com/case.mp3"/><link href="http://example.com/case"/>'))))
    add("link-atom10-only-related.xml", atom(entry(link=None, extra='<link rel="related" href="http://example.com/related"/>')))
    add("link-atom10-only-self.xml", atom(entry(link=None, extra='<link rel="self" href="http://example.com/case.atom"/>')))
    add("link-atom10-only-enclosure.xml", atom(entry(link=None, extra='<link rel="enclosure" type="audio/mpeg" href="http://example.com/case.mp3"/>')))
    add("link-atom10-alternate-iana-uri.xml", atom(entry(link=None, extra=(
        '<link rel="http://www.iana.org/assignments/relation/alternate" href="http://example.com/case"/>'))))
    add("link-atom10-alternate-whitespace-href.xml", atom(entry(link=None, extra='<link rel="alternate" href="  http://example.com/case  "/>')))
    add("link-atom10-no-href.xml", atom(entry(link=None, extra='<link rel="alternate"/>')))
    add("link-atom03-alternate.xml", atom03("<entry><title>Case</title><id>urn:example:case</id>"
                                            '<link rel="service.edit" type="application/x.atom+xml" href="http://example.com/edit"/>'
                                            '<link rel="alternate" type="text/html" href="http://example.com/case"/>'
                                            "<modified>2003-01-01T00:00:00Z</modified></entry>\n"))


# ---------------------------------------------------------------- titles


def titles():
    add("title-rss20-plain.xml", rss(item(title="A plain title")))
    add("title-rss20-entity-amp.xml", rss(item(title="Fish &amp; Chips")))
    add("title-rss20-numeric-refs.xml", rss(item(title="Caf&#233; &#x2014; bar")))
    add("title-rss20-cdata.xml", rss(item(title="<![CDATA[Fish & Chips]]>")))
    add("title-rss20-whitespace.xml", rss(item(title="\n     Spaced   title  \n")))
    add("title-rss20-empty.xml", rss(item(title="")))
    add("title-rss20-missing.xml", rss(item(title=None)))
    add("title-rss20-dc-title.xml", rss(item(title=None, extra="<dc:title>DC title</dc:title>")))
    add("title-rss20-lt-escaped.xml", rss(item(title="1 &lt; 2")))
    add("title-rss20-non-ascii.xml", rss(item(title="Gr\u00fc\u00dfe \u2013 \u65e5\u672c")))
    add("title-atom10-text.xml", atom(entry(title="A text title")))
    add("title-atom10-type-text-angle.xml", atom(entry(title=None, extra='<title type="text">1 &lt; 2 &amp;&amp; 3 &gt; 2</title>')))
    add("title-atom10-html.xml", atom(entry(title=None, extra='<title type="html">A &lt;b&gt;bold&lt;/b&gt; title</title>')))
    add("title-atom10-html-entity.xml", atom(entry(title=None, extra='<title type="html">Fish &amp;amp; Chips</title>')))
    add("title-atom10-html-cdata.xml", atom(entry(title=None, extra='<title type="html"><![CDATA[A <em>cdata</em> title]]></title>')))
    add("title-atom10-xhtml.xml", atom(entry(title=None, extra=(
        '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">An <b>xhtml</b> title</div></title>'))))
    add("title-atom10-xhtml-nested.xml", atom(entry(title=None, extra=(
        '<title type="xhtml"><xh:div xmlns:xh="http://www.w3.org/1999/xhtml"><xh:span>Nested <xh:i>spans</xh:i></xh:span></xh:div></title>'))))
    add("title-atom10-whitespace.xml", atom(entry(title="\n   Spaced title   \n")))
    add("title-atom10-empty.xml", atom(entry(title="")))
    add("title-atom03-escaped-html.xml", atom03(
        '<entry><title type="text/html" mode="escaped">Fish &amp;amp; Chips</title><id>urn:example:case</id>'
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2003-01-01T00:00:00Z</modified></entry>\n'))
    add("title-atom03-base64.xml", atom03(
        '<entry><title type="text/plain" mode="base64">QmFzZTY0IHRpdGxl</title><id>urn:example:case</id>'
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2003-01-01T00:00:00Z</modified></entry>\n'))


# ---------------------------------------------------------------- summary / content


def contents():
    add("content-rss20-description-plain.xml", rss(item(extra="<description>Just text</description>")))
    add("content-rss20-description-escaped-html.xml", rss(item(extra="<description>&lt;p&gt;Para &amp;amp; more&lt;/p&gt;</description>")))
    add("content-rss20-description-cdata.xml", rss(item(extra="<description><![CDATA[<p>Para</p><a href='/x'>x</a>]]></description>")))
    add("content-rss20-description-inline-markup.xml", rss(item(extra="<description><p>Inline <b>markup</b></p></description>")))
    add("content-rss20-description-inline-title.xml",
        rss("<item><description><h1>x</h1><title>Inner</title><link>http://example.com/inner</link></description>"
            "<title>Case</title><link>http://example.com/case</link></item>\n"))
    add("content-rss20-content-encoded.xml", rss(item(extra="<content:encoded><![CDATA[<p>Full</p>]]></content:encoded>")))
    add("content-rss20-description-and-encoded.xml", rss(item(extra=(
        "<description>Short</description><content:encoded><![CDATA[<p>Full</p>]]></content:encoded>"))))
    add("content-rss20-xhtml-body.xml", rss(item(extra='<body xmlns="http://www.w3.org/1999/xhtml"><p>Body</p></body>')))
    add("content-rss20-script-in-description.xml", rss(item(extra="<description>&lt;script&gt;alert(1)&lt;/script&gt;ok</description>")))
    add("content-atom10-summary-text.xml", atom(entry(extra="<summary>Plain &lt; summary</summary>")))
    add("content-atom10-summary-html.xml", atom(entry(extra='<summary type="html">&lt;p&gt;s&lt;/p&gt;</summary>')))
    add("content-atom10-summary-xhtml.xml", atom(entry(extra=(
        '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>s</p></div></summary>'))))
    add("content-atom10-content-text.xml", atom(entry(extra='<content type="text">c &amp; d</content>')))
    add("content-atom10-content-html.xml", atom(entry(extra='<content type="html">&lt;p&gt;c&lt;/p&gt;</content>')))
    add("content-atom10-content-xhtml.xml", atom(entry(extra=(
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>c <a href="/x">x</a></p></div></content>'))))
    add("content-atom10-content-xhtml-feedlike-names.xml", atom(
        '<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><title>Inner</title>'
        '<link href="http://example.com/inner"/><p>id</p></div></content>'
        '<title>Case</title><id>urn:example:case</id><link href="http://example.com/case"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n"))
    add("content-atom10-content-src.xml", atom(entry(extra='<content src="http://example.com/case.html" type="text/html"/>')))
    add("content-atom10-content-base64.xml", atom(entry(extra='<content type="image/png">iVBORw0KGgo=</content>')))
    add("content-atom10-content-xml-type.xml", atom(entry(extra='<content type="application/xml"><data><title>x</title></data></content>')))
    add("content-atom10-summary-and-content.xml", atom(entry(extra=(
        '<summary>s</summary><content type="html">&lt;p&gt;c&lt;/p&gt;</content>'))))
    add("content-atom03-base64.xml", atom03(
        "<entry><title>Case</title><id>urn:example:case</id>"
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2003-01-01T00:00:00Z</modified>'
        '<content type="text/html" mode="base64">PHA+QmFzZTY0PC9wPg==</content></entry>\n'))
    add("content-atom03-mode-xml.xml", atom03(
        "<entry><title>Case</title><id>urn:example:case</id>"
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2003-01-01T00:00:00Z</modified>'
        '<content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry>\n'))
    add("content-atom03-multipart.xml", atom03(
        "<entry><title>Case</title><id>urn:example:case</id>"
        '<link rel="alternate" type="text/html" href="http://example.com/case"/><modified>2003-01-01T00:00:00Z</modified>'
        '<content type="multipart/alternative"><content type="text/plain">t</content>'
        '<content type="text/html" mode="escaped">&lt;p&gt;h&lt;/p&gt;</content></content></entry>\n'))


# ---------------------------------------------------------------- authors


def authors():
    A = lambda x: rss(item(extra=x))
    add("author-rss20-email-name.xml", A("<author>jo@example.com (Jo Bloggs)</author>"))
    add("author-rss20-name-angle-email.xml", A("<author>Jo Bloggs &lt;jo@example.com&gt;</author>"))
    add("author-rss20-email-only.xml", A("<author>jo@example.com</author>"))
    add("author-rss20-name-only.xml", A("<author>Jo Bloggs</author>"))
    add("author-rss20-email-name-spaces.xml", A("<author>  jo@example.com   ( Jo Bloggs )  </author>"))
    add("author-rss20-mailto.xml", A("<author>mailto:jo@example.com (Jo Bloggs)</author>"))
    add("author-rss20-dc-creator.xml", A("<dc:creator>Jo Bloggs</dc:creator>"))
    add("author-rss20-dc-creator-and-author.xml", A("<author>jo@example.com (Jo Bloggs)</author><dc:creator>Jo Bloggs</dc:creator>"))
    add("author-rss20-two-dc-creators.xml", A("<dc:creator>Jo Bloggs</dc:creator><dc:creator>Al Smith</dc:creator>"))
    add("author-rss20-itunes-author.xml", A("<itunes:author>Jo Bloggs</itunes:author>"))
    add("author-rss20-itunes-and-author.xml", A("<author>jo@example.com (Jo Bloggs)</author><itunes:author>Jo Bloggs</itunes:author>"))
    add("author-rss20-atom-author.xml", A("<atom:author><atom:name>Jo Bloggs</atom:name></atom:author>"))
    add("author-rss20-channel-managing-editor.xml", rss(item(), chan="<managingEditor>ed@example.com (The Editor)</managingEditor>\n"))
    add("author-rss20-empty-author.xml", A("<author></author>"))
    add("author-rss10-dc-creator.xml", rdf('<item rdf:about="http://example.com/case"><title>Case</title>'
                                           "<link>http://example.com/case</link><dc:creator>Jo Bloggs</dc:creator></item>\n"))
    E = lambda x: atom(entry(extra=x))
    add("author-atom10-name.xml", E("<author><name>Jo Bloggs</name></author>"))
    add("author-atom10-name-email-uri.xml", E("<author><name>Jo Bloggs</name><email>jo@example.com</email><uri>http://jo.example/</uri></author>"))
    add("author-atom10-email-only.xml", E("<author><email>jo@example.com</email></author>"))
    add("author-atom10-two-authors.xml", E("<author><name>Jo Bloggs</name></author><author><name>Al Smith</name></author>"))
    add("author-atom10-name-whitespace.xml", E("<author><name>\n   Jo Bloggs  \n</name></author>"))
    add("author-atom10-contributor-only.xml", E("<contributor><name>Al Smith</name></contributor>"))
    add("author-atom10-feed-author-inherited.xml",
        atom('<entry><title>Case</title><id>urn:example:case</id><link href="http://example.com/case"/>'
             "<updated>2006-01-03T00:00:00Z</updated></entry>\n",
             feed_extra="<author><name>Feed Author</name></author>\n"))
    add("author-atom10-source-author-inherited.xml",
        atom('<entry><title>Case</title><id>urn:example:case</id><link href="http://example.com/case"/>'
             "<updated>2006-01-03T00:00:00Z</updated><source><id>urn:example:src</id><title>S</title>"
             "<author><name>Source Author</name></author></source></entry>\n"))
    add("author-atom03-author.xml", atom03("<entry><title>Case</title><id>urn:example:case</id>"
                                           '<link rel="alternate" type="text/html" href="http://example.com/case"/>'
                                           "<modified>2003-01-01T00:00:00Z</modified><author><name>Jo Bloggs</name>"
                                           "<email>jo@example.com</email></author></entry>\n"))
    add("author-atom03-dc-creator.xml", atom03("<entry><title>Case</title><id>urn:example:case</id>"
                                               '<link rel="alternate" type="text/html" href="http://example.com/case"/>'
                                               "<modified>2003-01-01T00:00:00Z</modified><dc:creator>Jo Bloggs</dc:creator></entry>\n"))


# ---------------------------------------------------------------- categories


def categories():
    add("category-rss20-one.xml", rss(item(extra="<category>News</category>")))
    add("category-rss20-domain.xml", rss(item(extra='<category domain="http://example.com/tags">a/b</category>')))
    add("category-rss20-many.xml", rss(item(extra="<category>One</category><category>Two</category><category>Three</category>")))
    add("category-rss20-dc-subject.xml", rss(item(extra="<dc:subject>News</dc:subject>")))
    add("category-atom10-term-label.xml", atom(entry(extra='<category term="news" scheme="http://example.com/s" label="News"/>')))
    add("category-atom10-many.xml", atom(entry(extra='<category term="a"/><category term="b"/>')))
    add("category-itunes.xml", rss(item(extra='<itunes:category text="Technology"/><itunes:keywords>a, b</itunes:keywords>')))


# ---------------------------------------------------------------- enclosures


def enclosures():
    A = lambda x: rss(item(extra=x))
    add("enclosure-rss20-one.xml", A('<enclosure url="http://example.com/case.mp3" length="1234" type="audio/mpeg"/>'))
    add("enclosure-rss20-two.xml", A('<enclosure url="http://example.com/b.mp3" length="1" type="audio/mpeg"/>'
                                     '<enclosure url="http://example.com/a.ogg" length="1" type="audio/ogg"/>'))
    add("enclosure-rss20-no-length-type.xml", A('<enclosure url="http://example.com/case.mp3"/>'))
    add("enclosure-rss20-no-url.xml", A('<enclosure length="1" type="audio/mpeg"/>'))
    add("enclosure-rss20-empty-url.xml", A('<enclosure url="" length="1" type="audio/mpeg"/>'))
    add("enclosure-rss20-url-whitespace.xml", A('<enclosure url=" http://example.com/case.mp3 " length="1" type="audio/mpeg"/>'))
    add("enclosure-rss20-url-ampersand.xml", A('<enclosure url="http://example.com/get?id=1&amp;f=mp3" length="1" type="audio/mpeg"/>'))
    add("enclosure-rss20-relative.xml", A('<enclosure url="media/case.mp3" length="1" type="audio/mpeg"/>'),
        args=["--base", "http://example.com/podcast/feed.xml"])
    add("enclosure-rss20-podcast.xml", A(
        '<enclosure url="http://example.com/ep1.mp3" length="1" type="audio/mpeg"/>'
        "<itunes:author>Pod Host</itunes:author><itunes:duration>12:34</itunes:duration>"
        '<itunes:image href="http://example.com/ep1.jpg"/><itunes:explicit>no</itunes:explicit>'))
    add("enclosure-rss20-media-content.xml", A('<media:content url="http://example.com/case.mp4" type="video/mp4" medium="video"/>'))
    add("enclosure-rss20-media-group.xml", A(
        '<media:group><media:content url="http://example.com/case-hi.mp4" type="video/mp4"/>'
        '<media:content url="http://example.com/case-lo.mp4" type="video/mp4"/></media:group>'))
    add("enclosure-rss20-media-content-image.xml", A('<media:content url="http://example.com/case.jpg" medium="image" type="image/jpeg"/>'))
    add("enclosure-rss20-media-thumbnail-only.xml", A('<media:thumbnail url="http://example.com/case-thumb.jpg" width="75" height="50"/>'))
    add("enclosure-rss20-media-content-and-thumbnail.xml", A(
        '<media:content url="http://example.com/case.mp4" type="video/mp4"/>'
        '<media:thumbnail url="http://example.com/case-thumb.jpg"/>'))
    add("enclosure-rss20-enclosure-and-media-same.xml", A(
        '<enclosure url="http://example.com/case.mp3" length="1" type="audio/mpeg"/>'
        '<media:content url="http://example.com/case.mp3" type="audio/mpeg"/>'))
    add("enclosure-rss20-media-content-no-url.xml", A('<media:content type="video/mp4"><media:player url="http://example.com/player"/></media:content>'))
    E = lambda x: atom(entry(extra=x))
    add("enclosure-atom10-link.xml", E('<link rel="enclosure" type="audio/mpeg" length="1" href="http://example.com/case.mp3"/>'))
    add("enclosure-atom10-two-links.xml", E('<link rel="enclosure" href="http://example.com/z.mp3"/><link rel="enclosure" href="http://example.com/a.mp3"/>'))
    add("enclosure-atom10-relative-xml-base.xml", atom(
        '<entry xml:base="http://example.com/media/"><title>Case</title><id>urn:example:case</id>'
        '<link href="http://example.com/case"/><link rel="enclosure" href="case.mp3"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n"))
    add("enclosure-atom10-media-content.xml", E('<media:content url="http://example.com/case.mp4" type="video/mp4"/>'))
    add("enclosure-atom10-media-thumbnail.xml", E('<media:thumbnail url="http://example.com/thumb.jpg"/>'))
    add("enclosure-atom10-link-no-href.xml", E('<link rel="enclosure" type="audio/mpeg"/>'))


# ---------------------------------------------------------------- dates

RFC822 = [
    # slug, value
    ("gmt", "Sat, 07 Sep 2002 00:00:01 GMT"),
    ("ut", "Sat, 07 Sep 2002 00:00:01 UT"),
    ("utc", "Sat, 07 Sep 2002 00:00:01 UTC"),
    ("z", "Sat, 07 Sep 2002 00:00:01 Z"),
    ("plus0000", "Sat, 07 Sep 2002 00:00:01 +0000"),
    ("minus0000", "Sat, 07 Sep 2002 00:00:01 -0000"),
    ("minus0500", "Sat, 07 Sep 2002 09:10:11 -0500"),
    ("plus0530", "Sat, 07 Sep 2002 09:10:11 +0530"),
    ("plus1245", "Sat, 07 Sep 2002 09:10:11 +1245"),
    ("plus1400", "Sat, 07 Sep 2002 09:10:11 +1400"),
    ("colon-offset", "Sat, 07 Sep 2002 09:10:11 +05:30"),
    ("2digit-year-02", "Sat, 07 Sep 02 09:10:11 GMT"),
    ("2digit-year-99", "Tue, 07 Sep 99 09:10:11 GMT"),
    ("2digit-year-49", "Tue, 07 Sep 49 09:10:11 GMT"),
    ("2digit-year-89", "Thu, 07 Sep 89 09:10:11 GMT"),
    ("2digit-year-95", "Thu, 07 Sep 95 09:10:11 GMT"),
    ("no-seconds", "Sat, 07 Sep 2002 09:10 GMT"),
    ("no-seconds-offset", "Sat, 07 Sep 2002 09:10 +0200"),
    ("no-time", "Sat, 07 Sep 2002"),
    ("no-time-no-dayname", "07 Sep 2002"),
    ("no-dayname", "07 Sep 2002 09:10:11 GMT"),
    ("no-comma", "Sat 07 Sep 2002 09:10:11 GMT"),
    ("no-space-after-comma", "Sat,07 Sep 2002 09:10:11 GMT"),
    ("extra-spaces", "Sat,  07  Sep  2002  09:10:11  GMT"),
    ("wrong-dayname", "Mon, 07 Sep 2002 09:10:11 GMT"),
    ("full-dayname", "Saturday, 07 Sep 2002 09:10:11 GMT"),
    ("dayname-misplaced-end", "07 Sep 2002 09:10:11 GMT Sat"),
    ("dayname-misplaced-after-day", "07 Sat Sep 2002 09:10:11 GMT"),
    ("month-before-day", "Sat, Sep 07 2002 09:10:11 GMT"),
    ("single-digit-day", "Sat, 7 Sep 2002 09:10:11 GMT"),
    ("single-digit-hour", "Sat, 07 Sep 2002 9:10:11 GMT"),
    ("full-month", "Sat, 07 September 2002 09:10:11 GMT"),
    ("lowercase", "sat, 07 sep 2002 09:10:11 gmt"),
    ("uppercase", "SAT, 07 SEP 2002 09:10:11 GMT"),
    ("est", "Sat, 07 Sep 2002 09:10:11 EST"),
    ("edt", "Sat, 07 Sep 2002 09:10:11 EDT"),
    ("cst", "Sat, 07 Sep 2002 09:10:11 CST"),
    ("cdt", "Sat, 07 Sep 2002 09:10:11 CDT"),
    ("mst", "Sat, 07 Sep 2002 09:10:11 MST"),
    ("mdt", "Sat, 07 Sep 2002 09:10:11 MDT"),
    ("pst", "Sat, 07 Sep 2002 09:10:11 PST"),
    ("pdt", "Sat, 07 Sep 2002 09:10:11 PDT"),
    ("ast", "Sat, 07 Sep 2002 09:10:11 AST"),
    ("et", "Sat, 07 Sep 2002 09:10:11 ET"),
    ("pt", "Sat, 07 Sep 2002 09:10:11 PT"),
    ("military-a", "Sat, 07 Sep 2002 09:10:11 A"),
    ("military-n", "Sat, 07 Sep 2002 09:10:11 N"),
    ("gmt-plus-7", "Sat, 07 Sep 2002 09:10:11 GMT+7"),
    ("gmt-plus-0700", "Sat, 07 Sep 2002 09:10:11 GMT+0700"),
    ("gmt-minus-05-00", "Sat, 07 Sep 2002 09:10:11 GMT-05:00"),
    ("utc-plus-2", "Sat, 07 Sep 2002 09:10:11 UTC+2"),
    ("etc-gmt", "Sat, 07 Sep 2002 09:10:11 Etc/GMT"),
    ("cest", "Sat, 07 Sep 2002 09:10:11 CEST"),
    ("cet", "Sat, 07 Dec 2002 09:10:11 CET"),
    ("bst", "Sat, 07 Sep 2002 09:10:11 BST"),
    ("jst", "Sat, 07 Sep 2002 09:10:11 JST"),
    ("aest", "Sat, 07 Sep 2002 09:10:11 AEST"),
    ("met", "Sat, 07 Dec 2002 09:10:11 MET"),
    ("mest", "Sat, 07 Sep 2002 09:10:11 MEST"),
    ("no-zone", "Sat, 07 Sep 2002 09:10:11"),
    ("pm", "Sat, 07 Sep 2002 01:30:00 PM GMT"),
    ("am", "Sat, 07 Sep 2002 11:30:00 AM GMT"),
    ("leading-trailing-whitespace", "\n     Sat, 07 Sep 2002 09:10:11 GMT   \n"),
    ("iso-in-pubdate", "2002-09-07T09:10:11Z"),
    ("iso-offset-in-pubdate", "2002-09-07T09:10:11+02:00"),
    ("rollover-jun-31", "Mon, 31 Jun 2002 09:10:11 GMT"),
    ("epoch-zero", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ("far-future", "Fri, 31 Dec 2099 23:59:59 GMT"),
    ("leap-day", "Thu, 29 Feb 2024 12:00:00 GMT"),
    ("invalid-feb-30", "Fri, 30 Feb 2024 12:00:00 GMT"),
    ("garbage", "not a date at all"),
    ("empty", ""),
    ("hour-24", "Sat, 07 Sep 2002 24:00:00 GMT"),
]

W3C = [
    ("z", "2002-09-07T09:10:11Z"),
    ("plus-0200", "2002-09-07T09:10:11+02:00"),
    ("minus-0500", "2002-09-07T09:10:11-05:00"),
    ("plus-0530", "2002-09-07T09:10:11+05:30"),
    ("fraction", "2002-09-07T09:10:11.5Z"),
    ("fraction-long", "2002-09-07T09:10:11.123456789+01:00"),
    ("lower-t", "2002-09-07t09:10:11Z"),
    ("lower-z", "2002-09-07T09:10:11z"),
    ("lower-t-z", "2002-09-07t09:10:11z"),
    ("no-zone", "2002-09-07T09:10:11"),
    ("no-seconds", "2002-09-07T09:10Z"),
    ("no-seconds-offset", "2002-09-07T09:10+02:00"),
    ("date-only", "2002-09-07"),
    ("year-month", "2002-09"),
    ("year-only", "2002"),
    ("space-separator", "2002-09-07 09:10:11Z"),
    ("space-separator-no-zone", "2002-09-07 09:10:11"),
    ("compact-offset", "2002-09-07T09:10:11+0200"),
    ("hour-only-offset", "2002-09-07T09:10:11+02"),
    ("basic-format", "20020907T091011Z"),
    ("basic-date", "20020907"),
    ("ordinal", "2002-250"),
    ("mssql", "2004-07-08 23:56:58.0"),
    ("leap-second", "2002-12-31T23:59:60Z"),
    ("hour-24", "2002-09-07T24:00:00Z"),
    ("minute-61", "2002-09-07T09:61:00Z"),
    ("whitespace", "\n   2002-09-07T09:10:11Z   \n"),
    ("year-omitted", "-09-07"),
    ("two-digit-year", "020907"),
    ("negative-zero-offset", "2002-09-07T09:10:11-00:00"),
    ("before-1970", "1969-07-20T20:17:40Z"),
]

OTHER = [
    ("asctime", "Sun Jan  4 16:29:06 2004"),
    ("asctime-zone", "Sun Jan  4 16:29:06 PST 2004"),
    ("asctime-gmt", "Sun Jan  4 16:29:06 GMT 2004"),
    ("perforce", "Fri, 2006/09/15 08:19:53 EDT"),
    ("german-maerz", "Mi, 05 M\u00e4r 2003 10:00:00 +0100"),
    ("german-oktober", "Do, 02 Okt 2003 10:00:00 +0200"),
    ("german-dezember", "Mo, 01 Dez 2003 10:00:00 +0100"),
    ("german-mai", "Fr, 02 Mai 2003 10:00:00 +0200"),
    ("french-fevrier", "mer., 05 f\u00e9vr. 2003 10:00:00 +0100"),
    ("french-janvier", "jeu., 02 janv. 2003 10:00:00 +0100"),
    ("dutch-mei", "vr, 02 mei 2003 10:00:00 +0200"),
    ("spanish-enero", "mi\u00e9, 08 ene 2003 10:00:00 +0100"),
    ("greek", "\u039a\u03c5\u03c1, 11 \u0399\u03bf\u03cd\u03bb 2004 12:00:00 EST"),
    ("hungarian", "2004-j\u00falius-13T9:15-05:00"),
    ("korean-onblog", "2004\ub144 05\uc6d4 28\uc77c  01:31:15"),
    ("english-full-month-no-comma", "January 26 2004 10:00:00 GMT"),
    ("us-slash", "09/07/2002 09:10:11 GMT"),
    ("unix-epoch-number", "1031389811"),
]


def dates():
    for slug, v in RFC822:
        add("date-rfc822-%s.xml" % slug, rss(item(pub=v)))
    for slug, v in W3C:
        add("date-w3cdtf-%s.xml" % slug, atom(entry(updated=v)))
    for slug, v in OTHER:  # the parser, not the element, is under test
        add("date-other-%s.xml" % slug, atom(entry(updated=v)))
    # dates by element (all UTC 2002-09-07 09:10:11 unless said)
    I = lambda x: rss(item(extra=x))
    add("date-el-rss20-pubdate.xml", I("<pubDate>Sat, 07 Sep 2002 09:10:11 GMT</pubDate>"))
    add("date-el-rss20-dc-date.xml", I("<dc:date>2002-09-07T09:10:11Z</dc:date>"))
    add("date-el-rss20-pubdate-and-dc-date.xml", I("<pubDate>Sat, 07 Sep 2002 09:10:11 GMT</pubDate><dc:date>2002-09-08T09:10:11Z</dc:date>"))
    add("date-el-rss20-dcterms-issued.xml", I("<dcterms:issued>2002-09-07T09:10:11Z</dcterms:issued>"))
    add("date-el-rss20-dcterms-modified.xml", I("<dcterms:modified>2002-09-07T09:10:11Z</dcterms:modified>"))
    add("date-el-rss20-dcterms-created.xml", I("<dcterms:created>2002-09-07T09:10:11Z</dcterms:created>"))
    add("date-el-rss20-atom-published.xml", I("<atom:published>2002-09-07T09:10:11Z</atom:published>"))
    add("date-el-rss20-atom-updated.xml", I("<atom:updated>2002-09-07T09:10:11Z</atom:updated>"))
    add("date-el-rss20-pubdate-and-atom-updated.xml", I("<pubDate>Sat, 07 Sep 2002 09:10:11 GMT</pubDate><atom:updated>2002-09-09T09:10:11Z</atom:updated>"))
    add("date-el-rss20-bad-pubdate-good-dcterms-issued.xml", I("<pubDate>yesterday</pubDate><dcterms:issued>2002-09-07T09:10:11Z</dcterms:issued>"))
    add("date-el-rss10-dc-date.xml", rdf('<item rdf:about="http://example.com/case"><title>Case</title>'
                                         "<link>http://example.com/case</link><dc:date>2002-09-07T09:10:11+02:00</dc:date></item>\n"))
    E = lambda x: atom(entry(updated=None, extra=x))
    add("date-el-atom10-published-only.xml", E("<published>2002-09-07T09:10:11Z</published>"))
    add("date-el-atom10-updated-only.xml", E("<updated>2002-09-07T09:10:11Z</updated>"))
    add("date-el-atom10-published-and-updated.xml", E("<published>2002-09-07T09:10:11Z</published><updated>2002-09-08T09:10:11Z</updated>"))
    add("date-el-atom10-updated-before-published.xml", E("<updated>2002-09-08T09:10:11Z</updated><published>2002-09-07T09:10:11Z</published>"))
    add("date-el-atom10-no-dates.xml", E(""))
    add("date-el-atom10-dc-date.xml", E("<dc:date>2002-09-07T09:10:11Z</dc:date>"))
    T3 = lambda x: atom03("<entry><title>Case</title><id>urn:example:case</id>"
                          '<link rel="alternate" type="text/html" href="http://example.com/case"/>%s</entry>\n' % x)
    add("date-el-atom03-issued.xml", T3("<issued>2002-09-07T09:10:11Z</issued>"))
    add("date-el-atom03-modified.xml", T3("<modified>2002-09-07T09:10:11Z</modified>"))
    add("date-el-atom03-issued-modified-created.xml", T3(
        "<issued>2002-09-07T09:10:11Z</issued><modified>2002-09-08T09:10:11Z</modified><created>2002-09-06T09:10:11Z</created>"))
    add("date-el-atom03-issued-no-zone.xml", T3("<issued>2002-09-07T09:10:11</issued><modified>2002-09-08T09:10:11Z</modified>"))


# ---------------------------------------------------------------- encodings


def encodings():
    t = "Caf\u00e9 \u2013 na\u00efve"  # windows-1252 has all three
    doc = lambda title, enc_decl: rss(item(title=title), decl=('<?xml version="1.0" encoding="%s"?>\n' % enc_decl) if enc_decl else "")
    add("enc-utf8-no-decl.xml", doc(t, None))
    add("enc-utf8-decl.xml", doc(t, "utf-8"))
    add("enc-utf8-bom.xml", b"\xef\xbb\xbf" + doc(t, "utf-8").encode())
    add("enc-utf8-bom-no-decl.xml", b"\xef\xbb\xbf" + doc(t, None).encode())
    add("enc-utf8-bom-decl-latin1.xml", b"\xef\xbb\xbf" + doc(t, "iso-8859-1").encode())
    add("enc-latin1-decl.xml", doc("Caf\u00e9 na\u00efve", "iso-8859-1").encode("iso-8859-1"))
    add("enc-windows1252-decl.xml", doc(t + " \u20ac \u201cq\u201d", "windows-1252").encode("cp1252"))
    add("enc-latin1-decl-with-c1-bytes.xml", doc(t + " \u20ac", "iso-8859-1").encode("cp1252"))
    add("enc-invalid-utf8-declared-utf8.xml", doc(t + " \u20ac", "utf-8").encode("cp1252"))
    add("enc-invalid-utf8-no-decl.xml", doc(t, None).encode("cp1252"))
    add("enc-utf16le-bom.xml", b"\xff\xfe" + doc(t, "utf-16").encode("utf-16-le"))
    add("enc-utf16be-bom.xml", b"\xfe\xff" + doc(t, "utf-16").encode("utf-16-be"))
    add("enc-utf16le-no-bom.xml", doc(t, "utf-16le").encode("utf-16-le"))
    add("enc-utf16be-no-bom.xml", doc(t, "utf-16be").encode("utf-16-be"))
    add("enc-utf16le-bom-no-decl.xml", b"\xff\xfe" + doc(t, None).encode("utf-16-le"))
    add("enc-koi8r-decl.xml", doc("\u041f\u0440\u0438\u0432\u0435\u0442", "koi8-r").encode("koi8-r"))
    add("enc-shift-jis-decl.xml", doc("\u65e5\u672c\u8a9e", "shift_jis").encode("shift_jis"))
    add("enc-gb2312-decl.xml", doc("\u4e2d\u6587", "gb2312").encode("gb2312"))
    add("enc-iso8859-15-decl.xml", doc("Prix 5 \u20ac", "iso-8859-15").encode("iso8859-15"))
    add("enc-us-ascii-decl-with-ncr.xml", doc("Caf&#233;", "us-ascii"))
    add("enc-decl-single-quotes.xml", rss(item(title=t), decl="<?xml version='1.0' encoding='utf-8'?>\n"))
    # HTTP charset vs declaration
    CT = "--content-type"
    add("enc-http-charset-latin1-no-decl.xml", doc("Caf\u00e9", None).encode("iso-8859-1"),
        args=[CT, "application/rss+xml; charset=iso-8859-1"])
    add("enc-http-charset-utf8-no-decl.xml", doc(t, None), args=[CT, "application/rss+xml; charset=utf-8"])
    add("enc-http-charset-windows1252-no-decl.xml", doc(t, None).encode("cp1252"),
        args=[CT, "application/xml; charset=windows-1252"])
    add("enc-http-charset-agrees-with-decl.xml", doc(t, "iso-8859-1").encode("cp1252"),
        args=[CT, "application/rss+xml; charset=iso-8859-1"])
    add("enc-http-charset-utf8-decl-latin1-bytes-utf8.xml", doc(t, "iso-8859-1"),
        args=[CT, "application/rss+xml; charset=utf-8"])
    add("enc-http-charset-latin1-decl-utf8-bytes-latin1.xml", doc("Caf\u00e9", "utf-8").encode("iso-8859-1"),
        args=[CT, "application/rss+xml; charset=iso-8859-1"])
    add("enc-http-charset-quoted.xml", doc("Caf\u00e9", None).encode("iso-8859-1"),
        args=[CT, 'application/rss+xml; charset="ISO-8859-1"'])
    add("enc-http-text-xml-no-charset-utf8.xml", doc(t, "utf-8"), args=[CT, "text/xml"])
    add("enc-http-charset-vs-bom.xml", b"\xef\xbb\xbf" + doc(t, None).encode(),
        args=[CT, "application/rss+xml; charset=iso-8859-1"])
    add("enc-http-charset-utf16-no-bom.xml", doc(t, None).encode("utf-16-le"),
        args=[CT, "application/xml; charset=utf-16le"])
    add("enc-http-html-content-type.xml", doc(t, "utf-8"), args=[CT, "text/html; charset=utf-8"])
    add("enc-atom-latin1-decl.xml", atom(entry(title="Caf\u00e9"), decl='<?xml version="1.0" encoding="iso-8859-1"?>\n').encode("iso-8859-1"))
    add("enc-atom-utf16le-bom.xml", b"\xff\xfe" + atom(entry(title=t), decl='<?xml version="1.0" encoding="utf-16"?>\n').encode("utf-16-le"))


# ---------------------------------------------------------------- broken XML


def broken():
    base = rss(item(title="Case"))
    add("broken-whitespace-before-decl.xml", "\n\n   " + base)
    add("broken-junk-before-decl.xml", "junk text\n" + base)
    add("broken-html-comment-before-decl.xml", "<!-- generated -->\n" + base)
    add("broken-php-warning-before-decl.xml", "<br />\n<b>Warning</b>:  something in <b>/var/www/x.php</b> on line <b>3</b><br />\n" + base)
    add("broken-bom-and-whitespace.xml", b"\xef\xbb\xbf\n  " + base.encode())
    add("broken-entity-nbsp-title.xml", rss(item(title="Fish&nbsp;Chips")))
    add("broken-entity-rsquo-title.xml", rss(item(title="It&rsquo;s here")))
    add("broken-entity-eacute-title.xml", rss(item(title="Caf&eacute;")))
    add("broken-entity-hellip-description.xml", rss(item(extra="<description>More&hellip;</description>")))
    add("broken-entity-mdash-atom.xml", atom(entry(title="A &mdash; B")))
    add("broken-entity-unknown-name.xml", rss(item(title="A &bogus; B")))
    add("broken-bare-ampersand-title.xml", rss(item(title="Fish & Chips")))
    add("broken-bare-ampersand-link.xml", rss(item(link="http://example.com/case?a=1&b=2")))
    add("broken-bare-lt-title.xml", rss(item(title="1 < 2")))
    add("broken-undefined-prefix.xml", rss(item(extra="<foo:bar>baz</foo:bar>")))
    add("broken-undefined-prefix-dc.xml",
        DECL + '<rss version="2.0"><channel><title>T</title><link>http://example.com/</link>\n'
        + rss_ctrl(1) + item(extra="<dc:creator>Jo Bloggs</dc:creator>") + rss_ctrl(2) + "</channel></rss>\n")
    add("broken-unclosed-cdata.xml", rss(item(extra="<description><![CDATA[<p>never closed</description>")))
    add("broken-truncated-mid-item.xml", rss(item()).split("</channel>")[0].rsplit("</item>", 1)[0][:-10])
    add("broken-truncated-after-item.xml", rss(item()).split("</channel>")[0])
    add("broken-truncated-mid-tag.xml", rss(item()).split("</channel>")[0] + "<item><title>Trunc")
    add("broken-mismatched-tags.xml", rss("<item><title>Case</title><link>http://example.com/case</link><b>bold</i></item>\n"))
    add("broken-unclosed-element-in-item.xml", rss("<item><title>Case</title><link>http://example.com/case</link><p>unclosed</item>\n"))
    add("broken-duplicate-attribute.xml", rss(item(extra='<enclosure url="http://example.com/a.mp3" url="http://example.com/b.mp3" type="audio/mpeg"/>')))
    add("broken-control-char.xml", rss(item(title="Bell\x07 char")))
    add("broken-form-feed.xml", rss(item(title="Form\x0cfeed")))
    add("broken-two-roots.xml", rss(item()) + "<rss><channel><item><title>Second</title></item></channel></rss>\n")
    add("broken-attr-no-quotes.xml", rss(item(extra="<enclosure url=http://example.com/a.mp3 type=audio/mpeg/>")))
    add("broken-decl-not-first.xml", "<!-- c -->" + DECL + rss(item(), decl=""))
    add("broken-uppercase-elements.xml", rss(rss_ctrl(1) + "<ITEM><TITLE>Case</TITLE><LINK>http://example.com/case</LINK></ITEM>\n",
                                             controls=False))
    add("broken-html-not-a-feed.xml", "<!DOCTYPE html><html><head><title>Not a feed</title></head><body><p>x</p></body></html>\n")
    add("broken-empty-file.xml", b"")
    add("broken-atom-entity-in-link-href.xml", atom(entry(link="http://example.com/case?a=1&b=2")))


# ---------------------------------------------------------------- nesting / structure


def structure():
    add("nested-item-inside-item.xml", rss(
        "<item><title>Outer</title><link>http://example.com/outer</link>"
        "<item><title>Inner</title><link>http://example.com/inner</link></item>"
        "<guid>http://example.com/outer</guid></item>\n"))
    add("nested-empty-item-inside-item.xml", rss(
        "<item><title>Outer</title><item/><link>http://example.com/outer</link></item>\n"))
    add("nested-item-in-description-escaped.xml", rss(item(extra=(
        "<description>&lt;item&gt;&lt;title&gt;Not an item&lt;/title&gt;&lt;/item&gt;</description>"))))
    add("nested-item-in-content-encoded-cdata.xml", rss(item(extra=(
        "<content:encoded><![CDATA[<item><title>Not an item</title></item>]]></content:encoded>"))))
    add("nested-entry-inside-entry.xml", atom(
        "<entry><title>Outer</title><id>urn:example:outer</id>"
        "<entry><title>Inner</title><id>urn:example:inner</id></entry>"
        '<link href="http://example.com/outer"/></entry>\n'))
    add("nested-unclosed-item-then-item.xml", rss(
        "<item><title>First</title><link>http://example.com/first</link>\n"
        "<item><title>Second</title><link>http://example.com/second</link></item>\n"))
    add("nested-item-with-rdf-seq.xml", rdf(
        '<item rdf:about="http://example.com/case"><title>Case</title><link>http://example.com/case</link>'
        '<dc:subject><rdf:Bag><rdf:li>a</rdf:li></rdf:Bag></dc:subject></item>\n'))
    many = "".join(
        '<item><title>Item %d</title><link>http://example.com/i/%d</link><guid isPermaLink="false">i-%d</guid>'
        "<pubDate>Mon, %02d Jan 2007 10:00:00 GMT</pubDate></item>\n" % (i, i, i, i % 28 + 1) for i in range(40))
    add("structure-rss20-40-items.xml", rss(many, controls=False))
    add("structure-rss20-same-guid-twice.xml", rss(item(guid="http://example.com/case") + item(title="Again", guid="http://example.com/case")))
    add("structure-atom10-entries-only-controls.xml", atom(""))


# ---------------------------------------------------------------- relative URLs


def relative():
    B = ["--base", "http://example.com/blog/feed.xml"]
    add("rel-rss20-link-relative-feed-url.xml", rss(item(link="posts/1")), args=B)
    add("rel-rss20-link-absolute-path.xml", rss(item(link="/posts/1")), args=B)
    add("rel-rss20-link-parent.xml", rss(item(link="../posts/1")), args=B)
    add("rel-rss20-link-protocol-relative.xml", rss(item(link="//cdn.example.net/posts/1")), args=B)
    add("rel-rss20-link-query-only.xml", rss(item(link="?p=1")), args=B)
    add("rel-rss20-link-fragment-only.xml", rss(item(link="#p1")), args=B)
    add("rel-rss20-link-absolute-untouched.xml", rss(item(link="https://other.example/x")), args=B)
    add("rel-rss20-link-relative-no-base.xml", rss(item(link="posts/1")))
    add("rel-rss20-xml-base-on-channel.xml", rss(item(link="posts/1"), root_attrs=' xml:base="http://base.example/root/"'), args=B)
    add("rel-rss20-xml-base-on-item.xml", rss('<item xml:base="http://item.example/a/"><title>Case</title><link>posts/1</link></item>\n'), args=B)
    add("rel-rss20-xml-base-relative-on-item.xml", rss('<item xml:base="sub/"><title>Case</title><link>posts/1</link></item>\n'), args=B)
    add("rel-rss20-xml-base-on-link.xml", rss('<item><title>Case</title><link xml:base="http://link.example/x/">posts/1</link></item>\n'), args=B)
    add("rel-rss20-enclosure-relative.xml", rss(item(extra='<enclosure url="media/a.mp3" type="audio/mpeg" length="1"/>')), args=B)
    add("rel-rss20-guid-permalink-relative-no-link.xml", rss(item(link=None, guid="posts/1")), args=B)
    add("rel-atom10-link-relative-feed-url.xml", atom(entry(link="posts/1")), args=["--base", "http://example.com/blog/feed.atom"])
    add("rel-atom10-xml-base-feed.xml", atom(entry(link="posts/1"), root_attrs=' xml:base="http://base.example/root/"'))
    add("rel-atom10-xml-base-nested.xml", atom(
        '<entry xml:base="entries/"><title>Case</title><id>urn:example:case</id><link href="posts/1"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n", root_attrs=' xml:base="http://base.example/root/"'))
    add("rel-atom10-xml-base-three-levels.xml", atom(
        '<entry xml:base="entries/"><title>Case</title><id>urn:example:case</id>'
        '<link xml:base="deeper/" href="posts/1"/><updated>2006-01-03T00:00:00Z</updated></entry>\n',
        root_attrs=' xml:base="/root/"'), args=["--base", "http://example.com/feed.atom"])
    add("rel-atom10-xml-base-relative-to-feed-url.xml", atom(entry(link="posts/1"), root_attrs=' xml:base="sub/"'),
        args=["--base", "http://example.com/blog/feed.atom"])
    add("rel-atom10-xml-base-absolute-path.xml", atom(
        '<entry xml:base="/other/"><title>Case</title><id>urn:example:case</id><link href="posts/1"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n"), args=["--base", "http://example.com/blog/feed.atom"])
    add("rel-atom10-xml-base-parent-dirs.xml", atom(
        '<entry xml:base="../../up/"><title>Case</title><id>urn:example:case</id><link href="posts/1"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n", root_attrs=' xml:base="http://base.example/a/b/c/"'))
    add("rel-atom10-enclosure-xml-base.xml", atom(
        '<entry xml:base="http://media.example/m/"><title>Case</title><id>urn:example:case</id>'
        '<link href="http://example.com/case"/><link rel="enclosure" href="a.mp3"/>'
        "<updated>2006-01-03T00:00:00Z</updated></entry>\n"))
    add("rel-atom10-base-with-query.xml", atom(entry(link="posts/1")), args=["--base", "http://example.com/blog/feed?format=atom"])
    add("rel-atom10-link-absolute-untouched.xml", atom(entry(link="https://other.example/x")), args=["--base", "http://example.com/feed.atom"])
    add("rel-atom10-xml-base-file-scheme.xml", atom(entry(link="posts/1"), root_attrs=' xml:base="file:///etc/"'))
    add("rel-atom10-javascript-link.xml", atom(entry(link="javascript:alert(1)")), args=["--base", "http://example.com/feed.atom"])
    add("rel-rss10-link-relative.xml", rdf('<item rdf:about="posts/1"><title>Case</title><link>posts/1</link></item>\n'),
        args=["--base", "http://example.com/blog/feed.rdf"])


# ---------------------------------------------------------------- safety


def safety():
    add("safety-xxe-file-title.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + rss(item(title="Leak &xxe; here"), decl=""))
    add("safety-xxe-file-description.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
        + rss(item(extra="<description>&xxe;</description>"), decl=""))
    add("safety-xxe-parameter-entity.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n' + rss(item(), decl=""))
    add("safety-xxe-external-dtd.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "file:///etc/passwd">\n' + rss(item(), decl=""))
    add("safety-xxe-http-entity.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "http://127.0.0.1:9/leak">]>\n' + rss(item(title="A &x; B"), decl=""))
    add("safety-xxe-atom.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + atom(entry(title="Leak &xxe;"), decl=""))
    lol = "".join('<!ENTITY lol%d "%s">' % (i, "&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    add("safety-billion-laughs.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY lol0 "lol">%s]>\n' % lol + rss(item(title="&lol9;"), decl=""))
    add("safety-quadratic-blowup.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "%s">]>\n' % ("x" * 20000) + rss(item(title="&a;" * 200), decl=""))
    add("safety-internal-entity-ok.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY co "Example Co">]>\n' + rss(item(title="By &co;"), decl=""))
    add("safety-xinclude.xml", rss(item(extra='<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>')))
    add("safety-deep-nesting.xml", rss(item(extra="<x>" * 300 + "deep" + "</x>" * 300)))
    add("safety-long-title.xml", rss(item(title="A" * 10000)))


# ---------------------------------------------------------------- JSON Feed


def jf(version, items, extra=None):
    d = {"version": "https://jsonfeed.org/version/%s" % version, "title": "JSON feed", "home_page_url": "http://example.com/"}
    if extra:
        d.update(extra)
    d["items"] = items
    return json.dumps(d, indent=1, ensure_ascii=False) + "\n"


def X(id=None, link=None, title=None, published=None, updated=None, author=None, enclosures=()):
    return {"id": id, "link": link, "title": title, "published": published, "updated": updated,
            "author": author, "enclosures": sorted(enclosures)}


def jsonfeed():
    c1 = {"id": "control-1", "url": "http://example.com/control/1", "title": "Control 1",
          "date_published": "2006-01-02T15:04:01Z", "authors": [{"name": "Control Author 1"}]}
    c2 = {"id": "control-2", "url": "http://example.com/control/2", "title": "Control 2",
          "date_published": "2006-01-02T15:04:02Z", "authors": [{"name": "Control Author 2"}]}
    x1 = X("control-1", "http://example.com/control/1", "Control 1", "2006-01-02T15:04:01Z", None, "Control Author 1")
    x2 = X("control-2", "http://example.com/control/2", "Control 2", "2006-01-02T15:04:02Z", None, "Control Author 2")

    def case(name, item_, expect, version="1.1", extra=None, args=None, controls=True):
        items = [c1, item_, c2] if controls else ([item_] if item_ is not None else [])
        mid = [expect] if expect is not None else []
        exp = [x1] + mid + [x2] if controls else mid
        add(name, jf(version, items, extra), args=args, expect={"entries": exp})

    full = {"id": "case", "url": "http://example.com/case", "title": "Case",
            "content_html": "<p>x</p>", "date_published": "2002-09-07T09:10:11Z",
            "date_modified": "2002-09-08T09:10:11Z"}
    fx = X("case", "http://example.com/case", "Case", "2002-09-07T09:10:11Z", "2002-09-08T09:10:11Z")
    case("json11-basic.json", dict(full, authors=[{"name": "Jo Bloggs"}]), dict(fx, author="Jo Bloggs"))
    case("json10-basic.json", dict(full, author={"name": "Jo Bloggs"}), dict(fx, author="Jo Bloggs"), version="1")
    case("json10-author-object-in-11.json", dict(full, author={"name": "Jo Bloggs"}), dict(fx, author="Jo Bloggs"))
    case("json11-two-authors.json", dict(full, authors=[{"name": "Jo Bloggs"}, {"name": "Al Smith"}]), dict(fx, author="Jo Bloggs"))
    case("json11-author-url-only.json", dict(full, authors=[{"url": "http://jo.example/"}]), fx)
    case("json11-feed-author-inherited.json", full, dict(fx, author="Feed Author"),
         extra={"authors": [{"name": "Feed Author"}]}, controls=False)
    case("json11-numeric-id.json", dict(full, id=42), dict(fx, id="42"))
    case("json11-id-whitespace.json", dict(full, id="  case  "), fx)
    case("json11-no-url.json", {k: v for k, v in full.items() if k != "url"}, dict(fx, link=None))
    case("json11-external-url-only.json", dict({k: v for k, v in full.items() if k != "url"}, external_url="http://other.example/x"),
         dict(fx, link=None))
    case("json11-relative-url.json", dict(full, url="posts/1"), dict(fx, link="http://example.com/blog/posts/1"),
         args=["--base", "http://example.com/blog/feed.json"])
    case("json11-no-title.json", {k: v for k, v in full.items() if k != "title"}, dict(fx, title=None))
    case("json11-title-whitespace.json", dict(full, title="  Case \n"), fx)
    case("json11-date-offset.json", dict(full, date_published="2002-09-07T11:10:11+02:00"), fx)
    case("json11-date-fraction.json", dict(full, date_published="2002-09-07T09:10:11.250Z"), fx)
    case("json11-date-lowercase-tz.json", dict(full, date_published="2002-09-07t09:10:11z"), fx)
    case("json11-date-invalid.json", dict(full, date_published="yesterday"), dict(fx, published=None))
    case("json11-date-modified-only.json", {k: v for k, v in full.items() if k != "date_published"}, dict(fx, published=None))
    case("json11-attachments.json", dict(full, attachments=[
        {"url": "http://example.com/b.mp3", "mime_type": "audio/mpeg"},
        {"url": "http://example.com/a.ogg", "mime_type": "audio/ogg"}]),
        dict(fx, enclosures=["http://example.com/a.ogg", "http://example.com/b.mp3"]))
    case("json11-attachment-no-url.json", dict(full, attachments=[{"mime_type": "audio/mpeg"}]), fx)
    case("json11-non-ascii.json", dict(full, title="Caf\u00e9 \u2013 \u65e5\u672c"), dict(fx, title="Caf\u00e9 \u2013 \u65e5\u672c"))
    case("json11-item-not-object.json", "just a string", None)
    case("json11-no-items.json", None, None, controls=False)
    case("json11-unknown-keys.json", dict(full, _custom={"x": 1}, tags=["a", "b"]), fx)
    add("json11-utf8-bom.json", b"\xef\xbb\xbf" + jf("1.1", [c1, c2]).encode(), expect={"entries": [x1, x2]})
    add("json11-truncated.json", jf("1.1", [c1, c2])[:-40], expect={"entries": []})


# ---------------------------------------------------------------- real-world shapes
# Larger documents shaped like the feeds Herald meets most (WordPress,
# Blogger, podcasts, GitHub, Mastodon, Hacker News, Reddit, Medium,
# LiveJournal, Substack, Ghost): the common path, many entries each.
# Deterministic: values derive from the entry number.

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WORDS = ["release", "notes", "feed", "parser", "weekly", "digest", "daemon", "update", "caf\u00e9", "news",
         "tips", "review", "&amp;", "\u201cquoted\u201d", "Q&amp;A", "part"]


def rw_words(i, n=4):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n)).capitalize()


def rw_rfc822(i, zone="+0000"):
    import datetime
    t = datetime.datetime(2023, 1, 1, 8, 0, 0) + datetime.timedelta(days=i * 3, hours=i, minutes=i * 7, seconds=i)
    return "%s, %02d %s %d %02d:%02d:%02d %s" % (DAYS[t.weekday()], t.day, MONTHS[t.month - 1], t.year,
                                                 t.hour, t.minute, t.second, zone)


def rw_iso(i, suffix="Z", frac=""):
    import datetime
    t = datetime.datetime(2023, 2, 1, 8, 0, 0) + datetime.timedelta(days=i * 2, hours=i * 5, minutes=i * 11, seconds=i * 3)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + suffix


def realworld():
    items = ""
    for i in range(10):
        items += (
            "<item><title>%s</title><link>https://blog.example.com/%d/post-%d/</link>"
            "<comments>https://blog.example.com/%d/post-%d/#respond</comments>"
            "<dc:creator><![CDATA[Author %d]]></dc:creator><pubDate>%s</pubDate>"
            "<category><![CDATA[Uncategorized]]></category><category><![CDATA[Tag %d]]></category>"
            '<guid isPermaLink="false">https://blog.example.com/?p=%d</guid>'
            "<description><![CDATA[<p>Excerpt %d [&#8230;]</p>]]></description>"
            "<content:encoded><![CDATA[<p>Body %d</p><img src=\"/wp-content/%d.jpg\">]]></content:encoded>"
            "<wfw:commentRss>https://blog.example.com/%d/feed/</wfw:commentRss><slash:comments>%d</slash:comments></item>\n"
            % (rw_words(i), 2023, i, 2023, i, i % 3, rw_rfc822(i), i, 100 + i, i, i, i, i, i % 5))
    add("realworld-wordpress-rss20.xml", rss(items, controls=False, root_attrs=(
        ' xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'),
        chan='<atom:link href="https://blog.example.com/feed/" rel="self" type="application/rss+xml"/>\n'
             "<lastBuildDate>Mon, 02 Jan 2023 10:00:00 +0000</lastBuildDate><generator>https://wordpress.org/?v=6.4</generator>\n"))

    ents = ""
    for i in range(25):
        ents += (
            "<entry><id>tag:blogger.com,1999:blog-123.post-%d</id><published>%s</published><updated>%s</updated>"
            '<category scheme="http://www.blogger.com/atom/ns#" term="Label%d"/><title type="text">%s</title>'
            '<content type="html">&lt;p&gt;Post %d&lt;/p&gt;</content>'
            '<link rel="replies" type="application/atom+xml" href="https://x.blogspot.com/feeds/%d/comments/default" title="Post Comments"/>'
            '<link rel="edit" type="application/atom+xml" href="https://www.blogger.com/feeds/123/posts/default/%d"/>'
            '<link rel="self" type="application/atom+xml" href="https://www.blogger.com/feeds/123/posts/default/%d"/>'
            '<link rel="alternate" type="text/html" href="https://x.blogspot.com/2023/02/post-%d.html" title="%s"/>'
            "<author><name>Blogger %d</name><uri>https://www.blogger.com/profile/%d</uri><email>noreply@blogger.com</email>"
            '<gd:image rel="http://schemas.google.com/g/2005#thumbnail" width="16" height="16" src="https://img1.blogblog.com/img/b16-rounded.gif"/></author>'
            "<thr:total>%d</thr:total></entry>\n"
            % (1000 + i, rw_iso(i, "-08:00", ".001"), rw_iso(i + 1, "-08:00", ".002"), i % 4, rw_words(i + 3), i, i, i, i, i,
               rw_words(i + 3), i % 2, i % 2, i % 6))
    add("realworld-blogger-atom10.xml", atom(ents, controls=False, root_attrs=(
        ' xmlns:gd="http://schemas.google.com/g/2005" xmlns:thr="http://purl.org/syndication/thread/1.0"')))

    items = ""
    for i in range(100):
        items += (
            "<item><title>Episode %d: %s</title><itunes:title>%s</itunes:title><itunes:episode>%d</itunes:episode>"
            "<description><![CDATA[<p>Show notes %d</p>]]></description><pubDate>%s</pubDate>"
            '<guid isPermaLink="false">podcast-ep-%d</guid><link>https://pod.example.com/episodes/%d</link>'
            '<enclosure url="https://cdn.pod.example.com/ep%d.mp3?source=feed" length="%d" type="audio/mpeg"/>'
            "<itunes:author>The Hosts</itunes:author><itunes:duration>00:%02d:%02d</itunes:duration>"
            "<itunes:explicit>false</itunes:explicit></item>\n"
            % (i, rw_words(i), rw_words(i), i, i, rw_rfc822(i, "-0500"), i, i, i, 1000000 + i, 10 + i, i))
    add("realworld-podcast-rss20.xml", rss(items, controls=False, chan=(
        "<itunes:author>The Hosts</itunes:author><itunes:type>episodic</itunes:type>"
        '<itunes:image href="https://pod.example.com/cover.jpg"/><itunes:category text="Technology"/>\n')))

    ents = ""
    for i in range(10):
        ents += (
            "<entry><id>tag:github.com,2008:Repository/4242/v1.%d.0</id><updated>%s</updated>"
            '<link rel="alternate" type="text/html" href="https://github.com/example/herald/releases/tag/v1.%d.0"/>'
            "<title>v1.%d.0</title><content type=\"html\">&lt;ul&gt;&lt;li&gt;Fix %d&lt;/li&gt;&lt;/ul&gt;</content>"
            "<author><name>maintainer%d</name></author>"
            '<media:thumbnail height="30" width="30" url="https://avatars.githubusercontent.com/u/%d?s=60&amp;v=4"/></entry>\n'
            % (i, rw_iso(i, "Z"), i, i, i, i % 3, 500 + i % 3))
    add("realworld-github-releases-atom10.xml", atom(ents, controls=False))

    items = ""
    for i in range(20):
        media = ('<media:content url="https://files.social.example/media/%d.png" type="image/png" fileSize="1234" medium="image">'
                 '<media:rating scheme="urn:simple">nonadult</media:rating></media:content>' % i) if i % 4 == 0 else ""
        items += (
            "<item><guid isPermaLink=\"true\">https://social.example/@user/1100%d</guid>"
            "<link>https://social.example/@user/1100%d</link><pubDate>%s</pubDate>"
            "<description>&lt;p&gt;Toot number %d &amp;amp; more&lt;/p&gt;</description>%s"
            "<category>tag%d</category></item>\n" % (i, i, rw_rfc822(i), i, media, i % 3))
    add("realworld-mastodon-rss20-untitled.xml", rss(items, controls=False))

    items = ""
    for i in range(30):
        items += (
            "<item><title>%s</title><link>https://news.example.org/story/%d</link><pubDate>%s</pubDate>"
            "<comments>https://news.ycombinator.example/item?id=%d</comments>"
            "<description><![CDATA[<a href=\"https://news.ycombinator.example/item?id=%d\">Comments</a>]]></description></item>\n"
            % (rw_words(i + 5), i, rw_rfc822(i, "+0000"), 9000 + i, 9000 + i))
    add("realworld-hackernews-rss20.xml", rss(items, controls=False))

    ents = ""
    for i in range(25):
        ents += (
            "<entry><author><name>/u/user%d</name><uri>https://www.reddit.example/user/user%d</uri></author>"
            '<category term="programming" label="r/programming"/><content type="html">&lt;table&gt;&lt;tr&gt;&lt;td&gt;x&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;</content>'
            "<id>t3_%05d</id>"
            '<media:thumbnail url="https://b.thumbs.reddit.example/%d.jpg"/>'
            '<link href="https://www.reddit.example/r/programming/comments/%05d/x/"/>'
            "<updated>%s</updated><published>%s</published><title>%s</title></entry>\n"
            % (i, i, i, i, i, rw_iso(i, "+00:00"), rw_iso(i, "+00:00"), rw_words(i + 2)))
    add("realworld-reddit-atom10.xml", atom(ents, controls=False))

    items = ""
    for i in range(10):
        items += (
            "<item><title><![CDATA[%s]]></title><link>https://medium.example/@writer/post-%x?source=rss</link>"
            '<guid isPermaLink="false">https://medium.example/p/%x</guid><category><![CDATA[tech]]></category>'
            "<dc:creator><![CDATA[Writer %d]]></dc:creator><pubDate>%s</pubDate>"
            "<atom:updated>%s</atom:updated><content:encoded><![CDATA[<p>Story %d</p>]]></content:encoded></item>\n"
            % (rw_words(i + 1), 0xabc00 + i, 0xabc00 + i, i % 4, rw_rfc822(i, "GMT"), rw_iso(i + 30, "Z", ".123"), i))
    add("realworld-medium-rss20.xml", rss(items, controls=False))

    items = ""
    for i in range(25):
        items += (
            "<item><guid isPermaLink='true'>https://user.livejournal.example/%d.html</guid>"
            "<pubDate>%s</pubDate><title>%s</title><link>https://user.livejournal.example/%d.html</link>"
            "<description>entry %d</description><comments>https://user.livejournal.example/%d.html?view=comments#comments</comments>"
            "<lj:security>public</lj:security><lj:reply-count>%d</lj:reply-count></item>\n"
            % (7000 + i, rw_rfc822(i, "GMT"), rw_words(i + 4), 7000 + i, i, 7000 + i, i))
    add("realworld-livejournal-rss20.xml", rss(items, controls=False, root_attrs=' xmlns:lj="http://www.livejournal.org/rss/lj/1.0/"'))

    items = ""
    for i in range(20):
        items += (
            "<item><title><![CDATA[%s]]></title><description><![CDATA[Subtitle %d]]></description>"
            "<link>https://letter.substack.example/p/post-%d</link>"
            '<guid isPermaLink="false">https://letter.substack.example/p/post-%d</guid>'
            "<dc:creator><![CDATA[Letter Writer]]></dc:creator><pubDate>%s</pubDate>"
            '<enclosure url="https://substackcdn.example/image/%d.jpeg" length="0" type="image/jpeg"/>'
            "<content:encoded><![CDATA[<div><p>Letter %d</p></div>]]></content:encoded></item>\n"
            % (rw_words(i + 6), i, i, i, rw_rfc822(i, "GMT"), i, i))
    add("realworld-substack-rss20.xml", rss(items, controls=False))

    items = ""
    for i in range(15):
        items += (
            "<item><title><![CDATA[%s]]></title><description><![CDATA[<p>Ghost %d</p>]]></description>"
            "<link>https://ghost.example/post-%d/</link><guid isPermaLink=\"false\">64a%05d</guid>"
            "<category><![CDATA[News]]></category><dc:creator><![CDATA[Ghost Author]]></dc:creator>"
            "<pubDate>%s</pubDate>"
            '<media:content url="https://ghost.example/content/images/%d.png" medium="image"/>'
            "<content:encoded><![CDATA[<p>Ghost body %d</p>]]></content:encoded></item>\n"
            % (rw_words(i + 8), i, i, i, rw_rfc822(i, "GMT"), i, i))
    add("realworld-ghost-rss20.xml", rss(items, controls=False))

    ents = ""
    for i in range(20):
        ents += (
            '<entry><title type="html">%s</title><link href="https://docs.example.org/changes/%d.html" rel="alternate"/>'
            "<id>https://docs.example.org/changes/%d.html</id><updated>%s</updated>"
            '<summary type="html">&lt;p&gt;Change %d&lt;/p&gt;</summary><author><name>Docs Team</name></author></entry>\n'
            % (rw_words(i + 9), i, i, rw_iso(i, "+02:00"), i))
    add("realworld-hugo-atom10.xml", atom(ents, controls=False))

    ents = ""
    for i in range(15):
        ents += (
            "<entry><title>%s</title><link rel=\"alternate\" type=\"text/html\" href=\"http://typepad.example/blog/2004/0%d/post_%d.html\"/>"
            "<id>tag:typepad.com,2003:post-%d</id><issued>%s</issued><modified>%s</modified><created>%s</created>"
            "<summary>Summary %d</summary><author><name>Typepad User</name></author><dc:subject>Blogs</dc:subject>"
            '<content type="text/html" mode="escaped" xml:lang="en-US" xml:base="http://typepad.example/blog/">'
            "&lt;p&gt;Body %d&lt;/p&gt;</content></entry>\n"
            % (rw_words(i + 10), i % 9 + 1, i, 300 + i, rw_iso(i, "-05:00"), rw_iso(i + 1, "Z"), rw_iso(i, "Z"), i, i))
    add("realworld-typepad-atom03.xml", atom03(ents, controls=False))

    ents = ""
    for i in range(10):
        ents += (
            "<entry><author><name>wpuser%d</name><uri>https://wp.example.org</uri></author>"
            '<title type="html"><![CDATA[%s]]></title>'
            '<link rel="alternate" type="text/html" href="https://wp.example.org/2023/02/post-%d/"/>'
            "<id>https://wp.example.org/?p=%d</id><updated>%s</updated><published>%s</published>"
            '<category scheme="https://wp.example.org" term="News"/><summary type="html"><![CDATA[Sum %d]]></summary>'
            '<content type="html" xml:base="https://wp.example.org/2023/02/post-%d/"><![CDATA[<p>Body %d</p>]]></content>'
            '<link rel="replies" type="text/html" href="https://wp.example.org/2023/02/post-%d/#comments" thr:count="%d"/>'
            "<thr:total>%d</thr:total></entry>\n"
            % (i % 3, rw_words(i + 11).replace("&amp;", "&#038;"), i, 200 + i, rw_iso(i + 2, "Z"), rw_iso(i, "Z"), i, i, i, i, i % 4, i % 4))
    add("realworld-wordpress-atom10.xml", atom(ents, controls=False, root_attrs=' xmlns:thr="http://purl.org/syndication/thread/1.0"'))

    items = ""
    for i in range(10):
        items += (
            "<item><title>%s</title><link>https://drupal.example/node/%d</link>"
            "<description>&lt;p&gt;Node %d&lt;/p&gt;</description><pubDate>%s</pubDate>"
            "<dc:creator>editor%d</dc:creator><guid isPermaLink=\"false\">%d at https://drupal.example</guid></item>\n"
            % (rw_words(i + 12), 40 + i, i, rw_rfc822(i, "+0000"), i % 2, 40 + i))
    add("realworld-drupal-rss20.xml", rss(items, controls=False))

    items = ""
    for i in range(40):
        items += (
            "<item><title><![CDATA[Headline %d about the %s]]></title><description><![CDATA[Standfirst %d.]]></description>"
            "<link>https://news.bbc.example/news/world-%d</link>"
            '<guid isPermaLink="true">https://news.bbc.example/news/world-%d#%d</guid><pubDate>%s</pubDate>'
            '<media:thumbnail width="240" height="135" url="https://ichef.bbc.example/240/%d.jpg"/></item>\n'
            % (i, ["budget", "election", "weather"][i % 3], i, 6000 + i, 6000 + i, i % 2, rw_rfc822(i, "GMT"), i))
    add("realworld-bbc-rss20.xml", rss(items, controls=False))

    ents = ""
    for i in range(10):
        ents += (
            '<entry><title type="html">%s</title><link href="/2023/%02d/%02d/post-%d.html" rel="alternate" type="text/html" title="t"/>'
            "<published>%s</published><updated>%s</updated><id>https://jekyll.example/2023/%02d/%02d/post-%d</id>"
            '<content type="html" xml:base="/2023/%02d/%02d/post-%d.html">&lt;p&gt;Jekyll %d&lt;/p&gt;</content>'
            "<author><name>Jekyll Author</name></author><category term=\"blog\"/>"
            '<summary type="html">Jekyll summary %d</summary></entry>\n'
            % (rw_words(i + 13), i % 12 + 1, i % 28 + 1, i, rw_iso(i, "+01:00"), rw_iso(i, "+01:00"), i % 12 + 1, i % 28 + 1, i,
               i % 12 + 1, i % 28 + 1, i, i, i))
    add("realworld-jekyll-atom10-xml-base.xml", atom(ents, controls=False, root_attrs=' xml:base="https://jekyll.example/"'))

    items = ""
    for i in range(40):
        items += (
            '<item rdf:about="http://arxiv.example/abs/2302.%05d"><title>%s. (arXiv:2302.%05d v1 [cs.DL])</title>'
            "<link>http://arxiv.example/abs/2302.%05d</link><description>&lt;p&gt;Abstract %d&lt;/p&gt;</description>"
            "<dc:creator>Author A%d, Author B%d</dc:creator></item>\n" % (i, rw_words(i + 14), i, i, i, i, i))
    add("realworld-arxiv-rss10.xml", rdf(items, controls=False))

    ents = ""
    for i in range(30):
        ents += (
            "<entry><id>https://stack.example/q/%d</id><re:rank scheme=\"https://stack.example\">%d</re:rank>"
            '<title type="text">%s</title><category scheme="https://stack.example/tags" term="c"/>'
            "<author><name>asker%d</name><uri>https://stack.example/users/%d</uri></author>"
            '<link rel="alternate" href="https://stack.example/questions/%d/q-%d"/>'
            "<published>%s</published><updated>%s</updated>"
            '<summary type="html">&lt;p&gt;Question %d&lt;/p&gt;</summary></entry>\n'
            % (77000 + i, i % 5, rw_words(i + 15), i, 300 + i, 77000 + i, i, rw_iso(i, "Z"), rw_iso(i + 1, "Z"), i))
    add("realworld-stackexchange-atom10.xml", atom(ents, controls=False, root_attrs=' xmlns:re="http://purl.org/atompub/rank/1.0"'))


GROUPS = [formats, ids, links, titles, contents, authors, categories, enclosures, dates, encodings,
          broken, structure, relative, safety, jsonfeed, realworld]


def main():
    for g in GROUPS:
        g()
    os.makedirs(OUT, exist_ok=True)
    keep = set()
    hw = os.path.join(OUT, "HANDWRITTEN")
    if os.path.exists(hw):
        with open(hw) as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#"):
                    keep.update({line, line + ".args", line + ".expect.json"})
    for name in os.listdir(OUT):
        if name != "HANDWRITTEN" and name not in keep and name not in FILES:
            os.unlink(os.path.join(OUT, name))
    for name, data in sorted(FILES.items()):
        if name in keep:
            continue
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
    n = sum(1 for k in FILES if not k.endswith((".args", ".expect.json")))
    print("wrote %d cases (%d files) into %s" % (n, len(FILES), OUT))


if __name__ == "__main__":
    main()
