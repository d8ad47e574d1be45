/* test_parse: feed_parse() against the fixtures in tests/fixtures/parse/:
 * every RSS version (0.90-2.0, 1.0), Atom 1.0 and 0.3 with every content
 * type, JSON Feed 1.0 and 1.1, every field of the model, encodings (BOMs,
 * UTF-16 without BOM, HTTP charset against the declaration, invalid
 * UTF-8), limits, and hostile or broken input (XXE, billion laughs, HTML
 * entities, bare "&", unclosed tags and CDATA, undefined prefixes, junk
 * before the document, truncation, HTML pages). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed/date.h"
#include "base/buf.h"
#include "feed/parse.h"

#define DIR FIXTURES "/parse/"

static char *slurp(const char *path, size_t *ret_len)
{
    FILE *fp = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    data[n] = '\0';
    *ret_len = (size_t)n;
    return data;
}

static struct feed *parse_file(const char *name, const char *url)
{
    char path[512], err[256];
    struct feed *f = NULL;
    size_t len;
    char *data;
    int r;

    snprintf(path, sizeof(path), DIR "%s", name);
    data = slurp(path, &len);
    r = feed_parse(data, len, url, NULL, &f, err, sizeof(err));
    free(data);
    if (r != 0)
        print_error("%s: %d %s\n", name, r, err);
    assert_int_equal(r, 0);
    assert_non_null(f);
    return f;
}

static int parse_str(const char *s, const char *content_type, struct feed **ret, char *err,
                     size_t errlen)
{
    return feed_parse(s, strlen(s), NULL, content_type, ret, err, errlen);
}

static void assert_time(int64_t got, const char *rfc3339)
{
    assert_true(got != TIME_NONE);
    assert_true(got == date_parse(rfc3339));
}

static void test_rss2(void **state)
{
    struct feed *f = parse_file("rss2.xml", "http://example.org/feeds/rss2.xml");
    const struct entry *e;

    (void)state;
    assert_int_equal(f->format, FEED_FORMAT_RSS);
    assert_false(f->bozo);
    assert_null(f->id);
    assert_string_equal(f->title, "Example & Co"); /* trimmed, not <image><title> */
    assert_string_equal(f->subtitle, "News from example.org");
    assert_string_equal(f->link, "http://example.org/blog/");
    assert_string_equal(f->self, "http://example.org/blog/feed.xml");
    assert_string_equal(f->author, "Ed Itor");
    assert_time(f->updated, "2024-01-02T03:04:05Z");
    assert_int_equal(f->n_entries, 4);

    e = &f->entries[0]; /* permalink guid, content:encoded, dc:creator */
    assert_string_equal(e->id, "http://example.org/posts/1");
    assert_true(e->id_is_permalink);
    assert_string_equal(e->link, "http://example.org/posts/1");
    assert_string_equal(e->title, "Permalink guid");
    assert_string_equal(e->summary, "<p>Short &amp; sweet</p>");
    assert_string_equal(e->content, "<p>Full <b>content</b></p>");
    assert_string_equal(e->author, "Jane Doe");
    assert_time(e->published, "2024-01-01T09:00:00Z");
    assert_true(e->updated == TIME_NONE);

    e = &f->entries[1]; /* non-permalink guid, relative link, RSS author */
    assert_string_equal(e->id, "urn:example:2");
    assert_false(e->id_is_permalink);
    assert_string_equal(e->link, "http://example.org/blog/posts/2?x=1");
    assert_string_equal(e->summary, "Plain description");
    assert_null(e->content);
    assert_string_equal(e->author, "Joe Bloggs");
    assert_time(e->published, "2024-01-01T04:59:00Z");

    e = &f->entries[2]; /* nested xml:base, dc:date */
    assert_null(e->id);
    assert_false(e->id_is_permalink);
    assert_string_equal(e->link, "http://other.example.com/dir/page.html");
    assert_time(e->published, "2023-12-30T12:00:00Z");

    e = &f->entries[3]; /* a "permalink" guid that is no URL is not a link */
    assert_string_equal(e->id, "not-a-url-42");
    assert_true(e->id_is_permalink);
    assert_null(e->link);
    assert_null(e->title);
    feed_free(f);
}

static void test_atom10(void **state)
{
    struct feed *f = parse_file("atom10.xml", NULL);
    const struct entry *e;

    (void)state;
    assert_int_equal(f->format, FEED_FORMAT_ATOM);
    assert_false(f->bozo);
    assert_string_equal(f->id, "urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6");
    assert_string_equal(f->title, "Atom Feed & more"); /* type=html to text */
    assert_string_equal(f->subtitle, "A subtitle");
    assert_string_equal(f->link, "http://example.com/");
    assert_string_equal(f->self, "http://example.com/atom.xml");
    assert_string_equal(f->author, "Feed Author");
    assert_time(f->updated, "2024-01-02T03:04:05Z");
    assert_int_equal(f->n_entries, 4);

    e = &f->entries[0]; /* text/html alternate wins; type=text content */
    assert_string_equal(e->id, "tag:example.com,2024:1");
    assert_false(e->id_is_permalink);
    assert_string_equal(e->link, "http://example.com/1.html");
    assert_string_equal(e->title, "Text entry <not a tag>");
    assert_string_equal(e->content, "a &lt; b &amp; c");
    assert_string_equal(e->summary, "Summary text");
    assert_string_equal(e->author, "Feed Author"); /* inherited */
    assert_time(e->published, "2024-01-01T10:00:00Z");
    assert_time(e->updated, "2024-01-02T09:00:00Z");

    e = &f->entries[1]; /* xhtml, nested xml:base, e-mail only author */
    assert_string_equal(e->link, "http://example.com/posts/2.html");
    assert_string_equal(e->title, "XHTML title");
    /* Sanitized, and the link resolved against the nested xml:base. */
    assert_string_equal(e->content, "<p>Hello <a href=\"http://example.com/posts/x\" "
                                    "rel=\"noopener noreferrer\">world</a></p>");
    assert_string_equal(e->author, "only-email@example.com");
    assert_true(e->published == TIME_NONE);

    e = &f->entries[2]; /* type=html */
    assert_string_equal(e->link, "http://elsewhere.example.net/3");
    assert_string_equal(e->title, "HTML & bold");
    assert_string_equal(e->content, "<p>Escaped <i>HTML</i></p>");

    e = &f->entries[3]; /* atom:source author beats the feed's */
    assert_string_equal(e->author, "Source Author");
    assert_null(e->link);
    assert_null(e->content);
    feed_free(f);
}

static void test_rss10(void **state)
{
    struct feed *f = parse_file("rss10.rdf", NULL);
    const struct entry *e;

    (void)state;
    assert_int_equal(f->format, FEED_FORMAT_RDF);
    assert_string_equal(f->title, "RDF Site");
    assert_string_equal(f->link, "http://example.net/");
    assert_string_equal(f->subtitle, "An RSS 1.0 feed");
    assert_time(f->updated, "2024-02-01T00:00:00Z");
    assert_int_equal(f->n_entries, 2);
    e = &f->entries[0];
    assert_string_equal(e->id, "http://example.net/a"); /* rdf:about */
    assert_false(e->id_is_permalink);
    assert_string_equal(e->link, "http://example.net/a");
    assert_string_equal(e->title, "Item A");
    assert_string_equal(e->summary, "About A");
    assert_string_equal(e->author, "Alice");
    assert_time(e->published, "2024-01-31T13:30:00Z");
    assert_string_equal(f->entries[1].title, "Item B");
    feed_free(f);
}

static void test_atom03(void **state)
{
    struct feed *f = parse_file("atom03.xml", NULL);
    const struct entry *e;

    (void)state;
    assert_int_equal(f->format, FEED_FORMAT_ATOM);
    assert_string_equal(f->title, "Old Atom");
    assert_string_equal(f->subtitle, "Atom 0.3 tagline");
    assert_string_equal(f->link, "http://old.example.org/");
    assert_time(f->updated, "2004-05-06T07:08:09Z");
    assert_int_equal(f->n_entries, 1);
    e = &f->entries[0];
    assert_string_equal(e->id, "tag:old.example.org,2004:1");
    assert_string_equal(e->link, "http://old.example.org/1");
    assert_string_equal(e->content, "<p>Escaped</p>");
    assert_string_equal(e->summary, "Plain 0.3 summary");
    assert_string_equal(e->author, "Old Author");
    assert_time(e->published, "2004-05-05T14:00:00Z");
    assert_time(e->updated, "2004-05-06T00:00:00Z");
    feed_free(f);
}

static void test_jsonfeed(void **state)
{
    struct feed *f = parse_file("feed.json", NULL);
    const struct entry *e;

    (void)state;
    assert_int_equal(f->format, FEED_FORMAT_JSON);
    assert_string_equal(f->title, "JSON Example");
    assert_string_equal(f->link, "https://json.example.org/");
    assert_string_equal(f->self, "https://json.example.org/feed.json");
    assert_string_equal(f->subtitle, "A JSON Feed");
    assert_string_equal(f->author, "JSON Author");
    assert_int_equal(f->n_entries, 2);
    e = &f->entries[0];
    assert_string_equal(e->id, "1");
    assert_string_equal(e->link, "https://json.example.org/1");
    assert_string_equal(e->content, "<p>Hi</p>");
    assert_string_equal(e->summary, "Sum &amp; more");
    assert_time(e->published, "2024-03-01T12:00:00Z");
    assert_time(e->updated, "2024-03-02T10:00:00Z");
    e = &f->entries[1];
    assert_string_equal(e->id, "2"); /* a number in the wild */
    assert_string_equal(e->content, "Plain &lt;text&gt;");
    assert_string_equal(e->author, "Old Style");
    feed_free(f);
}

/* &nbsp; and an unclosed tag: recovered, bozo, entities before the error
 * read as characters, the item after the error still found. */
static void test_broken(void **state)
{
    struct feed *f = parse_file("broken.xml", NULL);

    (void)state;
    assert_true(f->bozo);
    assert_non_null(f->bozo_message);
    assert_non_null(strstr(f->bozo_message, "line 9"));
    assert_string_equal(f->title, "Broken\xC2\xA0"
                                  "feed \xE2\x80\x99s");
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "First\xC2\xA0item");
    assert_string_equal(f->entries[0].link, "http://broken.example.com/1");
    assert_string_equal(f->entries[1].title, "Second item");
    assert_string_equal(f->entries[1].link, "http://broken.example.com/2");
    feed_free(f);
}

/* Only undeclared HTML entities: still a full (strict) parse, but bozo. */
static void test_html_entities(void **state)
{
    struct feed *f = parse_file("entities.xml", NULL);

    (void)state;
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "&eacute;"));
    assert_string_equal(f->title, "Caf\xC3\xA9 & friends\xE2\x80\xA6");
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].title, "It\xE2\x80\x99s\xC2\xA0here");
    assert_string_equal(f->entries[0].summary, "<p>a&amp;b</p>");
    feed_free(f);
}

static bool contains(const char *s, const char *needle)
{
    return s && strstr(s, needle);
}

static void test_xxe(void **state)
{
    struct feed *f = parse_file("xxe.xml", NULL);

    (void)state;
    assert_false(contains(f->title, "root:"));
    assert_true(contains(f->title, "inner text")); /* internal entities still work */
    assert_int_equal(f->n_entries, 1);
    assert_false(contains(f->entries[0].title, "root:"));
    assert_false(contains(f->entries[0].summary, "root:"));
    feed_free(f);
}

/* External DTD subsets and parameter entities are never loaded either. */
static void test_xxe_dtd(void **state)
{
    static const char *const docs[] = {
        "<?xml version=\"1.0\"?><!DOCTYPE rss SYSTEM \"file:///etc/passwd\">"
        "<rss><channel><title>t &ent;</title></channel></rss>",
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
        "<rss><channel><title>t</title></channel></rss>",
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY e SYSTEM \"http://127.0.0.1:1/x\">]>"
        "<rss><channel><title>t &e;</title></channel></rss>",
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct feed *f = NULL;
        int r = parse_str(docs[i], NULL, &f, err, sizeof(err));

        if (r == 0) {
            assert_false(contains(f->title, "root:"));
            feed_free(f);
        } else {
            assert_int_equal(r, -EBADMSG);
        }
    }
}

static void test_billion_laughs(void **state)
{
    char path[512], err[256];
    struct feed *f = NULL;
    size_t len;
    char *data;
    int r;

    (void)state;
    snprintf(path, sizeof(path), DIR "%s", "billion.xml");
    data = slurp(path, &len);
    r = feed_parse(data, len, NULL, NULL, &f, err, sizeof(err));
    free(data);
    if (r == 0) {
        assert_true(f->bozo);
        assert_true(!f->title || strlen(f->title) < 4096);
        feed_free(f);
    } else {
        assert_int_equal(r, -EBADMSG);
    }
}

/* One 64 KiB entity referenced 200 times in each of 20 items: a 78 KB
 * document that would expand to 262 MB without a per-document budget. */
static void test_entity_amplification(void **state)
{
    struct buf b;
    struct feed *f = NULL;
    char err[256];
    size_t total = 0;

    (void)state;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY big \"");
    for (int i = 0; i < 65536; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, "\">]>\n<rss version=\"2.0\"><channel><title>t</title>");
    for (int i = 0; i < 20; i++) {
        buf_printf(&b, "<item><guid>g%d</guid><description>", i);
        for (int j = 0; j < 200; j++)
            buf_puts(&b, "&big;");
        buf_puts(&b, "</description></item>");
    }
    buf_puts(&b, "</channel></rss>\n");
    assert_int_equal(b.err, 0);
    assert_int_equal(feed_parse(b.data, b.len, NULL, NULL, &f, err, sizeof(err)), 0);
    assert_int_equal(f->n_entries, 20);
    for (size_t i = 0; i < f->n_entries; i++)
        total += f->entries[i].summary ? strlen(f->entries[i].summary) : 0;
    /* Bounded by the budget: the body's size plus 1 MiB. */
    assert_true(total <= b.len + (1u << 20));
    assert_true(total >= 65536); /* honest use still expands */
    feed_free(f);
    buf_release(&b);
}

static void test_entry_cap(void **state)
{
    struct buf b;
    struct feed *f = NULL;
    char err[256];

    (void)state;
    buf_init(&b, 4 << 20);
    buf_puts(&b, "<rss version=\"2.0\"><channel><title>t</title>");
    for (int i = 0; i < FEED_MAX_ENTRIES + 100; i++)
        buf_printf(&b, "<item><guid>g%d</guid></item>", i);
    buf_puts(&b, "</channel></rss>");
    assert_int_equal(feed_parse(b.data, b.len, NULL, NULL, &f, err, sizeof(err)), 0);
    assert_int_equal(f->n_entries, FEED_MAX_ENTRIES);
    assert_string_equal(f->entries[0].id, "g0");
    feed_free(f);
    buf_release(&b);
}

static void test_not_a_feed(void **state)
{
    char path[512], err[256] = "";
    struct feed *f = NULL;
    size_t len;
    char *data;

    (void)state;
    snprintf(path, sizeof(path), DIR "%s", "page.html");
    data = slurp(path, &len);
    assert_int_equal(feed_parse(data, len, NULL, "text/html", &f, err, sizeof(err)), -EBADMSG);
    assert_null(f);
    assert_non_null(strstr(err, "html"));
    free(data);
    assert_int_equal(parse_str("{\"a\": 1}", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("[1, 2]", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("{\"version\": ", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("hello", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("<rss version=\"2.0\"/>", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("<feed/>", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_null(f);
}

static void test_empty(void **state)
{
    char err[256] = "";
    struct feed *f = NULL;

    (void)state;
    assert_int_equal(feed_parse("", 0, NULL, NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "empty document");
    assert_int_equal(feed_parse(NULL, 0, NULL, NULL, &f, NULL, 0), -EBADMSG);
    assert_int_equal(parse_str(" \r\n\t ", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_int_equal(parse_str("\xEF\xBB\xBF", NULL, &f, err, sizeof(err)), -EBADMSG);
    assert_null(f);
}

static void test_too_big(void **state)
{
    size_t len = (16u << 20) + 1;
    char *data = calloc(1, len);
    struct feed *f = NULL;

    (void)state;
    assert_non_null(data);
    assert_int_equal(feed_parse(data, len, NULL, NULL, &f, NULL, 0), -E2BIG);
    assert_null(f);
    free(data);
}

/* BOM and white space before the declaration; the HTTP charset wins over
 * the declaration (RFC 7303: BOM > HTTP > declaration > UTF-8). */
static void test_encoding(void **state)
{
    const char *bom = "\xEF\xBB\xBF\n  <?xml version=\"1.0\"?><rss><channel><title>caf\xC3\xA9"
                      "</title></channel></rss>";
    const char *latin = "<rss><channel><title>caf\xE9</title></channel></rss>";
    const char *declared = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><channel><title>"
                           "caf\xC3\xA9</title></channel></rss>";
    struct feed *f = NULL;

    (void)state;
    assert_int_equal(parse_str(bom, NULL, &f, NULL, 0), 0);
    assert_false(f->bozo);
    assert_string_equal(f->title, "caf\xC3\xA9");
    feed_free(f);
    assert_int_equal(parse_str(latin, "text/xml; charset=ISO-8859-1", &f, NULL, 0), 0);
    assert_false(f->bozo);
    assert_string_equal(f->title, "caf\xC3\xA9");
    feed_free(f);
    assert_int_equal(parse_str(declared, "text/xml; charset=iso-8859-1", &f, NULL, 0), 0);
    assert_string_equal(f->title, "caf\xC3\x83\xC2\xA9"); /* the bytes read as latin-1 */
    assert_string_equal(f->encoding, "windows-1252");
    feed_free(f);
    assert_int_equal(parse_str(declared, "application/rss+xml", &f, NULL, 0), 0);
    assert_string_equal(f->title, "caf\xC3\xA9");
    assert_string_equal(f->encoding, "utf-8");
    feed_free(f);
}

static struct feed *parse_file_ct(const char *name, const char *url, const char *content_type)
{
    char path[512], err[256];
    struct feed *f = NULL;
    size_t len;
    char *data;
    int r;

    snprintf(path, sizeof(path), DIR "%s", name);
    data = slurp(path, &len);
    r = feed_parse(data, len, url, content_type, &f, err, sizeof(err));
    free(data);
    if (r != 0)
        print_error("%s: %d %s\n", name, r, err);
    assert_int_equal(r, 0);
    return f;
}

/* Every RSS version, detected by content. */
static void test_rss_versions(void **state)
{
    static const struct {
        const char *file;
        enum feed_format format;
        const char *version;
        size_t entries;
    } cases[] = {
        {"rss090.rdf", FEED_FORMAT_RDF, "rss090", 2},
        {"rss091n.xml", FEED_FORMAT_RSS, "rss091n", 1},
        {"rss091u.xml", FEED_FORMAT_RSS, "rss091u", 1},
        {"rss092.xml", FEED_FORMAT_RSS, "rss092", 1},
        {"rss093.xml", FEED_FORMAT_RSS, "rss093", 1},
        {"rss094.xml", FEED_FORMAT_RSS, "rss094", 1},
        {"rss2.xml", FEED_FORMAT_RSS, "rss20", 4},
        {"rss10.rdf", FEED_FORMAT_RDF, "rss10", 2},
        {"atom03.xml", FEED_FORMAT_ATOM, "atom03", 1},
        {"atom10.xml", FEED_FORMAT_ATOM, "atom10", 4},
        {"feed10.json", FEED_FORMAT_JSON, "json1", 1},
        {"feed.json", FEED_FORMAT_JSON, "json11", 2},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct feed *f = parse_file(cases[i].file, NULL);

        assert_int_equal(f->format, cases[i].format);
        assert_string_equal(feed_version_name(f->version), cases[i].version);
        assert_int_equal(f->n_entries, cases[i].entries);
        assert_false(f->bozo);
        feed_free(f);
    }
}

static void test_rss_old(void **state)
{
    struct feed *f = parse_file("rss090.rdf", NULL);
    const struct entry *e;

    (void)state;
    assert_string_equal(f->title, "Mozilla Dot Org");
    assert_string_equal(f->logo, "http://www.mozilla.org/images/moz.gif");
    assert_string_equal(f->entries[1].link, "http://www.mozilla.org/bugs/");
    feed_free(f);

    f = parse_file("rss091n.xml", NULL);
    assert_string_equal(f->encoding, "windows-1252");
    assert_string_equal(f->language, "en-us");
    assert_string_equal(f->logo, "http://writetheweb.com/images/mynetscape88.gif");
    assert_string_equal(f->author, "editor@writetheweb.com");
    assert_int_equal(f->skip_hours, (1u << 0) | (1u << 1)); /* 24 is midnight */
    assert_string_equal(f->entries[0].summary,
                        "WorldOS is a framework on which to build programs \xC3\xA9");
    feed_free(f);

    f = parse_file("rss092.xml", NULL);
    e = &f->entries[0];
    assert_int_equal(e->n_categories, 1);
    assert_string_equal(e->categories[0].term, "Music/Grateful Dead");
    assert_string_equal(e->categories[0].scheme, "http://www.dmoz.org");
    assert_int_equal(e->n_enclosures, 1);
    assert_int_equal(e->enclosures[0].kind, ENCLOSURE_LINK);
    assert_string_equal(e->enclosures[0].type, "audio/mpeg");
    assert_true(e->enclosures[0].length == 6182912);
    assert_time(f->updated, "2001-04-13T19:23:02Z");
    feed_free(f);

    f = parse_file("rss093.xml", NULL);
    assert_time(f->entries[0].published, "2001-04-13T19:23:02Z");
    feed_free(f);

    f = parse_file("rss094.xml", NULL);
    assert_string_equal(f->entries[0].summary, "<b>bold</b>");
    assert_false(f->entries[0].id_is_permalink);
    feed_free(f);
}

static void test_rss_full(void **state)
{
    struct feed *f = parse_file("rss2_full.xml", "https://full.example.org/feed.xml");
    const struct entry *e;

    (void)state;
    assert_false(f->bozo);
    assert_string_equal(f->language, "de-DE");
    assert_string_equal(f->generator, "Herald Test 1.0");
    assert_string_equal(f->logo, "https://full.example.org/logo.png");
    assert_string_equal(f->self, "https://full.example.org/feed.xml");
    assert_int_equal(f->n_hubs, 2);
    assert_string_equal(f->hubs[0], "https://hub.example.net/");
    assert_string_equal(f->hubs[1], "https://pubsubhubbub.appspot.com/");
    assert_true(f->ttl == 90);
    assert_int_equal(f->skip_hours, (1u << 0) | (1u << 1) | (1u << 23));
    assert_int_equal(f->skip_days, (1u << 5) | (1u << 6));
    assert_string_equal(f->sy_period, "hourly");
    assert_true(f->sy_frequency == 2);
    assert_time(f->sy_base, "2000-01-01T12:00:00Z");
    assert_int_equal(f->n_authors, 1);
    assert_string_equal(f->authors[0].name, "Ed Itor"); /* "Name <mail>" */
    assert_string_equal(f->authors[0].email, "ed@full.example.org");
    assert_int_equal(f->n_entries, 4);

    e = &f->entries[0];
    assert_string_equal(e->link, "https://full.example.org/posts/1"); /* feedburner:origLink */
    assert_string_equal(e->author, "Jo Doe");
    assert_string_equal(e->authors[0].email, "jo@full.example.org");
    assert_string_equal(e->comments, "https://full.example.org/posts/1#comments");
    assert_int_equal(e->n_categories, 3); /* the duplicate "News" dropped */
    assert_string_equal(e->categories[0].term, "News");
    assert_string_equal(e->categories[1].term, "c");
    assert_string_equal(e->categories[1].scheme, "http://full.example.org/tags");
    assert_string_equal(e->categories[2].term, "Subject");
    assert_time(e->published, "2024-02-01T10:00:00Z");
    assert_time(e->updated, "2024-02-02T10:00:00Z");
    /* Sanitized: no onclick, no script; relative href resolved. */
    assert_string_equal(e->summary, "<p>Hi <a href=\"https://full.example.org/rel\" "
                                    "rel=\"noopener noreferrer\">rel</a></p>");
    /* enclosure and media:content of one URL merge; thumbnails, nested
     * ones and media:group children are all there. */
    assert_int_equal(e->n_enclosures, 6);
    assert_string_equal(e->enclosures[0].url, "https://full.example.org/media/1.mp3");
    assert_int_equal(e->enclosures[0].kind, ENCLOSURE_LINK);
    assert_string_equal(e->enclosures[0].type, "audio/mpeg");
    assert_true(e->enclosures[0].length == 12345);
    assert_true(e->enclosures[0].duration == 61);
    assert_string_equal(e->enclosures[1].url, "https://full.example.org/media/1.mp4");
    assert_int_equal(e->enclosures[1].kind, ENCLOSURE_MEDIA);
    assert_true(e->enclosures[1].duration == 12);
    assert_true(e->enclosures[1].length == -1);
    assert_string_equal(e->enclosures[2].url, "https://full.example.org/media/1-inner.jpg");
    assert_int_equal(e->enclosures[2].kind, ENCLOSURE_THUMBNAIL);
    assert_string_equal(e->enclosures[3].url, "https://full.example.org/media/1.jpg");
    assert_string_equal(e->enclosures[4].url, "https://full.example.org/media/1-hd.mp4");
    assert_string_equal(e->enclosures[5].url, "https://full.example.org/media/1-hd.jpg");

    e = &f->entries[1]; /* two dc:creator beat itunes:author */
    assert_int_equal(e->n_authors, 2);
    assert_string_equal(e->author, "Ann");
    assert_string_equal(e->authors[1].name, "Bob");
    assert_string_equal(e->authors[1].email, "bob@full.example.org");
    assert_time(e->published, "2024-02-03T00:00:00Z");
    assert_string_equal(e->link, "https://full.example.org/posts/2"); /* permalink guid */

    e = &f->entries[2];
    assert_string_equal(e->author, "Pod Caster");
    assert_string_equal(e->comments, "https://full.example.org/posts/3/comments");
    assert_int_equal(e->n_enclosures, 1);
    assert_string_equal(e->enclosures[0].type, "audio/ogg");
    assert_true(e->enclosures[0].length == 77);
    assert_time(e->published, "2024-02-03T23:00:00Z");
    assert_null(e->link);

    e = &f->entries[3]; /* e-mail only; a German date with MEZ */
    assert_string_equal(e->author, "solo@full.example.org");
    assert_null(e->authors[0].name);
    assert_time(e->published, "2024-02-05T09:00:00Z");
    feed_free(f);
}

static void test_atom_content_types(void **state)
{
    struct feed *f = parse_file("atom_content.xml", NULL);
    const struct entry *e;

    (void)state;
    assert_false(f->bozo);
    assert_string_equal(f->title, "XHTML feed title");
    assert_string_equal(f->language, "fr-CA");
    assert_string_equal(f->icon, "https://atom.example.com/favicon.ico");
    assert_string_equal(f->logo, "https://atom.example.com/blog/logo.png");
    assert_string_equal(f->generator, "Gen");
    assert_string_equal(f->self, "https://atom.example.com/blog/atom.xml"); /* IANA rel URI */
    assert_string_equal(f->link, "https://atom.example.com/blog/");
    assert_int_equal(f->n_hubs, 1);
    assert_int_equal(f->n_authors, 2);
    assert_string_equal(f->authors[0].uri, "https://atom.example.com/a1");
    assert_string_equal(f->authors[1].email, "two@atom.example.com");
    assert_int_equal(f->n_entries, 7);

    e = &f->entries[0]; /* text; categories; enclosure; replies */
    assert_string_equal(e->title, "Text & content");
    assert_string_equal(e->content, "1 &lt; 2");
    assert_int_equal(e->n_authors, 2); /* inherited */
    assert_int_equal(e->n_categories, 2);
    assert_string_equal(e->categories[0].term, "t1");
    assert_string_equal(e->categories[0].scheme, "https://atom.example.com/s");
    assert_string_equal(e->categories[0].label, "Term One");
    assert_int_equal(e->n_enclosures, 1);
    assert_string_equal(e->enclosures[0].url, "https://atom.example.com/e.mp3");
    assert_true(e->enclosures[0].length == 1337);
    assert_string_equal(e->comments, "https://atom.example.com/blog/1#comments");

    e = &f->entries[1]; /* html: href, src and srcset resolved against xml:base */
    assert_string_equal(e->title, "HTML title");
    assert_non_null(strstr(e->content, "href=\"https://atom.example.com/blog/posts/x.html\""));
    assert_non_null(strstr(e->content, "src=\"https://atom.example.com/blog/posts/i.png\""));
    assert_non_null(strstr(e->content, "https://atom.example.com/blog/posts/i2.png 2x"));

    e = &f->entries[2]; /* xhtml with its own xml:base */
    assert_string_equal(e->content, "<p>See <a href=\"https://other.example.net/dir/page\" "
                                    "rel=\"noopener noreferrer\">page</a></p>");
    assert_string_equal(e->summary, "Short <b>one</b>");

    e = &f->entries[3]; /* base64 image */
    assert_non_null(strstr(e->content, "data:image/png;base64,iVBORw0KGgo="));

    e = &f->entries[4]; /* inline XML shown as text */
    assert_non_null(strstr(e->content, "&lt;v&gt;42&lt;/v&gt;"));

    e = &f->entries[5]; /* src: nothing inline */
    assert_null(e->content);
    assert_string_equal(e->summary, "Plain &lt;summary&gt;");

    e = &f->entries[6];
    assert_int_equal(e->n_authors, 1);
    assert_string_equal(e->author, "Entry Author");
    assert_string_equal(e->content, "plain media type");
    feed_free(f);

    f = parse_file("atom03_base64.xml", NULL);
    assert_string_equal(f->title, "Zero <three>");
    assert_string_equal(f->authors[0].uri, "http://old.example.org/me");
    e = &f->entries[0];
    assert_string_equal(e->content, "<p><b>hi</b></p>");
    assert_string_equal(e->summary, "Inline <i>xml</i>");
    assert_time(e->published, "2004-05-05T14:00:00Z");
    feed_free(f);
}

static void test_jsonfeed_full(void **state)
{
    struct feed *f = parse_file("feed11_full.json", "https://jf.example.org/feed.json");
    const struct entry *e;

    (void)state;
    assert_string_equal(f->logo, "https://jf.example.org/icon-512.png");
    assert_string_equal(f->icon, "https://jf.example.org/favicon.ico");
    assert_string_equal(f->language, "en-GB");
    assert_int_equal(f->n_authors, 2);
    assert_int_equal(f->n_hubs, 1);
    e = &f->entries[0];
    assert_string_equal(e->link, "https://jf.example.org/posts/1");
    assert_string_equal(e->content, "<p>Hi <a href=\"https://jf.example.org/rel\" "
                                    "rel=\"noopener noreferrer\">rel</a></p>");
    assert_string_equal(e->summary, "A &lt;summary&gt;");
    assert_string_equal(e->authors[0].email, "item@jf.example.org");
    assert_int_equal(e->n_categories, 2);
    assert_int_equal(e->n_enclosures, 3);
    assert_string_equal(e->enclosures[0].url, "https://jf.example.org/media/1.mp3");
    assert_true(e->enclosures[0].length == 1000);
    assert_true(e->enclosures[0].duration == 60);
    assert_int_equal(e->enclosures[2].kind, ENCLOSURE_THUMBNAIL);
    assert_int_equal(f->entries[1].n_authors, 2); /* inherited */
    assert_string_equal(f->entries[1].author, "Feed Author");
    feed_free(f);
}

/* BOMs, UTF-16 with and without one, declared encodings, HTTP charset. */
static void test_encodings(void **state)
{
    static const struct {
        const char *file, *content_type, *encoding, *title;
        bool bozo;
    } cases[] = {
        {"utf16le_bom.xml", NULL, "utf-16le",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        {"utf16be_bom.xml", NULL, "utf-16be",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        {"utf16le_nobom.xml", NULL, "utf-16le",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        {"utf16be_nobom.xml", NULL, "utf-16be",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        {"utf8_bom.xml", NULL, "utf-8", "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
         false},
        /* The BOM wins over the HTTP charset. */
        {"utf8_bom.xml", "text/xml; charset=iso-8859-1", "utf-8",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        {"utf16le_bom.xml", "text/xml; charset=utf-8", "utf-16le",
         "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", false},
        /* ISO-8859-1 means windows-1252 (smart quotes, euro); a hole of the
         * code page becomes U+FFFD. */
        {"latin1_decl.xml", NULL, "windows-1252",
         "\xE2\x80\x9C"
         "Caf\xC3\xA9\xE2\x80\x9D \xE2\x82\xAC \xEF\xBF\xBD",
         false},
        {"latin2_decl.xml", NULL, "iso-8859-2", "Za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87", false},
        /* The HTTP charset wins over the declaration. */
        {"latin2_decl.xml", "application/rss+xml; charset=\"windows-1252\"", "windows-1252",
         "Za\xC2\xBF\xC3\xB3\xC2\xB3\xC3\xA6", false},
        /* Invalid UTF-8: the stray bytes as windows-1252, controls dropped. */
        {"invalid_utf8.xml", NULL, "windows-1252",
         "Caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D caf\xC3\xA9", true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct feed *f = parse_file_ct(cases[i].file, NULL, cases[i].content_type);

        if (strcmp(f->title, cases[i].title) != 0 || strcmp(f->encoding, cases[i].encoding) != 0)
            print_error("case %zu: %s %s\n", i, f->title, f->encoding);
        assert_string_equal(f->title, cases[i].title);
        assert_string_equal(f->encoding, cases[i].encoding);
        assert_int_equal(f->bozo, cases[i].bozo);
        if (f->n_entries)
            assert_string_equal(f->entries[0].title, "\xC3\xBC"
                                                     "ber");
        feed_free(f);
    }
}

/* An inline document, parsed with base url (may be NULL). */
static struct feed *parse_doc(const char *doc, const char *url)
{
    char err[256];
    struct feed *f = NULL;
    int r = feed_parse(doc, strlen(doc), url, NULL, &f, err, sizeof(err));

    if (r != 0)
        print_error("%d %s\n", r, err);
    assert_int_equal(r, 0);
    assert_non_null(f);
    return f;
}

#define RSS_HEAD   "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
#define RSS_TAIL   "</channel></rss>"
#define ITEM_AFTER "<item><title>After</title><link>http://e.example/after</link></item>"

/* Titles are text: escaped HTML inside CDATA is decoded once, plain
 * text is not decoded again. */
static void test_title_entities(void **state)
{
    struct feed *f;

    (void)state;
    f = parse_doc(
        RSS_HEAD
        "<title><![CDATA[Feed &amp; co]]></title>"
        "<item><title><![CDATA[Q&amp;a notes]]></title></item>"
        "<item><title><![CDATA[Fish &amp;amp; Chips &#8217; &bogus; & <b>]]></title></item>"
        "<item><title>Tom &amp;amp; Jerry</title></item>"
        "<item><title><![CDATA[1 &lt; 2]]> &amp;amp;</title></item>" RSS_TAIL,
        NULL);
    assert_int_equal(f->n_entries, 4);
    assert_string_equal(f->entries[0].title, "Q&a notes");
    assert_string_equal(f->entries[1].title, "Fish &amp; Chips \xE2\x80\x99 &bogus; & <b>");
    assert_string_equal(f->entries[2].title, "Tom &amp; Jerry");
    assert_string_equal(f->entries[3].title, "1 < 2 &");
    feed_free(f);

    f = parse_doc("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>F</title><entry>"
                  "<id>x</id><title type=\"html\">Fish &amp;amp; &lt;b&gt;Chips&lt;/b&gt;</title>"
                  "</entry></feed>",
                  NULL);
    assert_string_equal(f->entries[0].title, "Fish & Chips");
    feed_free(f);
}

/* A title is capped at MODEL_TITLE_MAX, at a character boundary. */
static void test_title_cap(void **state)
{
    struct buf b;
    struct feed *f;

    (void)state;
    buf_init(&b, 1u << 20);
    buf_puts(&b, RSS_HEAD "<item><title>");
    for (int i = 0; i < 3000; i++)
        buf_puts(&b, "\xC3\xA9"); /* 6000 bytes, two a character */
    buf_puts(&b, "x</title></item>" RSS_TAIL);
    assert_int_equal(b.err, 0);
    f = parse_doc(b.data, NULL);
    assert_int_equal(strlen(f->entries[0].title), MODEL_TITLE_MAX);
    feed_free(f);
    buf_release(&b);
}

/* Repairs after the strict parse failed. */
static void test_repairs_more(void **state)
{
    struct feed *f;
    struct buf b;

    (void)state;
    /* A bare "<". */
    f = parse_doc(RSS_HEAD "<item><title>1 < 2</title></item>" ITEM_AFTER RSS_TAIL, NULL);
    assert_true(f->bozo);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "1 < 2");
    feed_free(f);

    /* Unquoted attribute values; "/>" still ends the tag. */
    f = parse_doc(RSS_HEAD "<item><title>C</title><enclosure url=http://e.example/a.mp3 "
                           "type=audio/mpeg/></item>" ITEM_AFTER RSS_TAIL,
                  NULL);
    assert_int_equal(f->n_entries, 2);
    assert_int_equal(f->entries[0].n_enclosures, 1);
    assert_string_equal(f->entries[0].enclosures[0].url, "http://e.example/a.mp3");
    assert_string_equal(f->entries[0].enclosures[0].type, "audio/mpeg");
    feed_free(f);

    /* PHP warnings that begin with "<" before the declaration. */
    f = parse_doc("<br />\n<b>Warning</b>: x in <b>/x.php</b><br />\n" RSS_HEAD ITEM_AFTER RSS_TAIL,
                  NULL);
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "junk"));
    assert_int_equal(f->n_entries, 1);
    feed_free(f);

    /* Items after </channel>. */
    f = parse_doc(RSS_HEAD "</channel>" ITEM_AFTER "</rss>", NULL);
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].title, "After");
    feed_free(f);

    /* A cut document: an unclosed "(" still names the author. */
    f = parse_doc(RSS_HEAD "<item><title>C</title><author>jo@e.example (Jo Doe", NULL);
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].author, "Jo Doe");
    assert_string_equal(f->entries[0].authors[0].email, "jo@e.example");
    feed_free(f);

    /* Nesting beyond libxml2's 256 levels: flattened, the next item kept. */
    buf_init(&b, 1u << 20);
    buf_puts(&b, RSS_HEAD "<item><title>Deep</title>");
    for (int i = 0; i < 300; i++)
        buf_puts(&b, "<x>");
    buf_puts(&b, "text");
    for (int i = 0; i < 300; i++)
        buf_puts(&b, "</x>");
    buf_puts(&b, "</item>" ITEM_AFTER RSS_TAIL);
    assert_int_equal(b.err, 0);
    f = parse_doc(b.data, NULL);
    assert_true(f->bozo);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "Deep");
    assert_string_equal(f->entries[1].title, "After");
    feed_free(f);
    buf_release(&b);
}

/* An entity bomb is refused without losing the entries around it: the
 * internal subset is dropped and its references read as text. */
static void test_entity_loop_neighbours(void **state)
{
    struct feed *f;

    (void)state;
    f = parse_doc(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]>"
        "<rss version=\"2.0\"><channel><title>T</title>"
        "<item><title>&a;</title><link>http://e.example/case</link></item>" ITEM_AFTER RSS_TAIL,
        NULL);
    assert_true(f->bozo);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "&a;");
    assert_string_equal(f->entries[0].link, "http://e.example/case");
    assert_string_equal(f->entries[1].title, "After");
    feed_free(f);
}

/* An empty nested <item/> is no entry. */
static void test_no_empty_entries(void **state)
{
    struct feed *f;

    (void)state;
    f = parse_doc(RSS_HEAD "<item><title>Outer</title><item/><link>http://e.example/o</link></item>"
                           "<item></item>" ITEM_AFTER RSS_TAIL,
                  NULL);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "Outer");
    assert_string_equal(f->entries[1].title, "After");
    feed_free(f);
}

/* Links: "#f" keeps the base's path and query (RFC 3986 5.2.2), with or
 * without curl; a relative permalink guid is resolved before it is
 * judged to be a Web address. */
static void test_links_relative(void **state)
{
    struct feed *f;

    (void)state;
    f = parse_doc(RSS_HEAD "<item><title>A</title><link>#p1</link></item>"
                           "<item><title>B</title><guid>posts/1</guid></item>"
                           "<item><title>C</title><guid>tag:e.example,2024:1</guid></item>"
                           "<item><title>D</title><guid>12345</guid></item>" RSS_TAIL,
                  "http://e.example/blog/feed.xml?x=1");
    assert_string_equal(f->entries[0].link, "http://e.example/blog/feed.xml?x=1#p1");
    assert_string_equal(f->entries[1].link, "http://e.example/blog/posts/1");
    assert_string_equal(f->entries[1].id, "posts/1");
    assert_null(f->entries[2].link);
    assert_null(f->entries[3].link); /* a bare token is an identifier */
    feed_free(f);

    f = parse_doc(RSS_HEAD "<item><title>A</title><link>#p1</link></item>" RSS_TAIL,
                  "http://e.example:8080/blog/feed.xml");
    assert_string_equal(f->entries[0].link, "http://e.example:8080/blog/feed.xml#p1");
    feed_free(f);
}

/* An Atom Entry Document is a feed of one entry. */
static void test_atom_entry_document(void **state)
{
    struct feed *f;

    (void)state;
    f = parse_doc("<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>Lone</title>"
                  "<id>urn:x:1</id><link href=\"http://e.example/1\"/></entry>",
                  NULL);
    assert_int_equal(f->format, FEED_FORMAT_ATOM);
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].title, "Lone");
    assert_string_equal(f->entries[0].link, "http://e.example/1");
    feed_free(f);
}

static void test_broken_repairs(void **state)
{
    struct feed *f;
    const struct entry *e;

    (void)state;
    f = parse_file("junk_before.xml", NULL);
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "junk"));
    assert_string_equal(f->title, "Junk");
    assert_int_equal(f->n_entries, 1);
    feed_free(f);

    /* Bare "&" escaped before parsing again: entities elsewhere survive
     * (recover mode would have dropped them). */
    f = parse_file("bare_amp.xml", NULL);
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "not well-formed"));
    assert_string_equal(f->title, "Tom & Jerry & co");
    assert_string_equal(f->link, "http://amp.example/?a=1&b=2");
    assert_int_equal(f->n_entries, 2);
    e = &f->entries[0];
    assert_string_equal(e->title, "A & B");
    assert_string_equal(e->link, "http://amp.example/1?x=1&y=2");
    assert_string_equal(e->summary, "<p>x &amp; y</p> \xC2\xA9 &amp;unknownent; \xC3\xA9 \xC3\xA9");
    assert_string_equal(f->entries[1].title, "C < D");
    assert_string_equal(f->entries[1].summary, "keep &amp; as is"); /* CDATA untouched */
    feed_free(f);

    f = parse_file("undefined_prefix.xml", NULL);
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "prefix"));
    e = &f->entries[0];
    assert_string_equal(e->author, "Undeclared Author");
    assert_string_equal(e->content, "<p>full</p>");
    assert_int_equal(e->n_enclosures, 1);
    assert_int_equal(e->enclosures[0].kind, ENCLOSURE_THUMBNAIL);
    feed_free(f);

    f = parse_file("unclosed_cdata.xml", NULL);
    assert_true(f->bozo);
    assert_non_null(strstr(f->bozo_message, "CData"));
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].summary, "<p>never closed &amp; raw</p>");
    assert_string_equal(f->entries[1].title, "Two & more");
    feed_free(f);

    f = parse_file("truncated.xml", NULL);
    assert_true(f->bozo);
    assert_string_equal(f->title, "Truncated & cut");
    assert_true(f->n_entries >= 2);
    assert_string_equal(f->entries[0].title, "One & only");
    assert_string_equal(f->entries[1].link, "http://trunc.example/2");
    feed_free(f);
}

static void test_limits(void **state)
{
    struct feed_limits lim = {.max_entries = 3, .max_field = 8, .max_depth = 4};
    struct feed *f = NULL;
    struct buf b;
    char err[256];

    (void)state;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "<rss version=\"2.0\"><channel><title>caf\xC3\xA9 caf\xC3\xA9</title>");
    for (int i = 0; i < 10; i++)
        buf_printf(&b,
                   "<item><guid>g%d</guid><title><b><i><u><s>deep</s></u></i></b>t</title>"
                   "</item>",
                   i);
    buf_puts(&b, "</channel></rss>");
    assert_int_equal(feed_parse_ex(b.data, b.len, NULL, NULL, &lim, &f, err, sizeof(err)), 0);
    assert_int_equal(f->n_entries, 3);
    assert_string_equal(f->title, "caf\xC3\xA9 ca"); /* 8 bytes, cut on a character */
    assert_string_equal(f->entries[0].title, "t");   /* deeper than 4 levels: skipped */
    feed_free(f);
    f = NULL;
    lim = (struct feed_limits){.max_bytes = 16};
    assert_int_equal(feed_parse_ex(b.data, b.len, NULL, NULL, &lim, &f, err, sizeof(err)), -E2BIG);
    assert_null(f);
    buf_release(&b);
}

/* Hostile markup of a few MB is handled in time linear in its size (each
 * of these took minutes before: a quadratic search in the repair pass, and
 * libxml2's recover mode appending a million attributes one list walk at
 * a time). No clock here: ctest's timeout is the bound. */
static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
    char *s = malloc(h + u * times + t + 1);

    assert_non_null(s);
    memcpy(s, head, h);
    for (size_t i = 0; i < times; i++)
        memcpy(s + h + i * u, unit, u);
    memcpy(s + h + u * times, tail, t + 1);
    return s;
}

static void test_hostile_markup_is_linear(void **state)
{
    static const struct {
        const char *head, *unit, *tail;
        size_t times;
    } cases[] = {
        {"<rss><channel>", "<a>", "", 1000000},            /* nested, no "&" anywhere */
        {"<rss><channel><item><title>", "<", "", 3000000}, /* bare "<" */
        {"<rss><channel><item><title>", "<!", "", 1500000},
        {"<rss><channel><item a=\"b\"", " a=\"b\"", "", 400000}, /* unclosed, duplicates */
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = repeat(cases[i].head, cases[i].unit, cases[i].times, cases[i].tail);
        struct feed *f = NULL;
        int r = feed_parse(s, strlen(s), NULL, NULL, &f, err, sizeof(err));

        assert_true(r == 0 || r == -EBADMSG);
        if (r == 0)
            assert_true(f->bozo); /* recovered, and said so */
        feed_free(f);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss2),
        cmocka_unit_test(test_atom10),
        cmocka_unit_test(test_rss10),
        cmocka_unit_test(test_atom03),
        cmocka_unit_test(test_jsonfeed),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_html_entities),
        cmocka_unit_test(test_xxe),
        cmocka_unit_test(test_xxe_dtd),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_not_a_feed),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_entity_amplification),
        cmocka_unit_test(test_entry_cap),
        cmocka_unit_test(test_rss_versions),
        cmocka_unit_test(test_rss_old),
        cmocka_unit_test(test_rss_full),
        cmocka_unit_test(test_atom_content_types),
        cmocka_unit_test(test_jsonfeed_full),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_broken_repairs),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_title_entities),
        cmocka_unit_test(test_title_cap),
        cmocka_unit_test(test_repairs_more),
        cmocka_unit_test(test_entity_loop_neighbours),
        cmocka_unit_test(test_no_empty_entries),
        cmocka_unit_test(test_links_relative),
        cmocka_unit_test(test_atom_entry_document),
        cmocka_unit_test(test_hostile_markup_is_linear),
    };
    int r;

    feed_parse_init();
    r = cmocka_run_group_tests(tests, NULL, NULL);
    feed_parse_cleanup();
    return r;
}
