/* test_parse: feed_parse() against the fixtures in tests/fixtures/parse/:
 * RSS 2.0, RSS 1.0, Atom 1.0 and 0.3, JSON Feed, and hostile or broken
 * input (XXE, billion laughs, HTML entities, unclosed tags, HTML pages). */
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
    assert_string_equal(e->content, "<p>Hello <a href=\"x\">world</a></p>");
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

/* BOM and white space before the declaration; charset from HTTP only
 * when the document declares none. */
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
    assert_string_equal(f->title, "caf\xC3\xA9");
    feed_free(f);
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
    };
    int r;

    feed_parse_init();
    r = cmocka_run_group_tests(tests, NULL, NULL);
    feed_parse_cleanup();
    return r;
}
