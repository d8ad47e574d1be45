/* Unit tests for feed/rss_out: RSS 2.0 per the RSS Advisory Board's
 * profile, read back with libxml2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "feed/rss_out.h"

static const struct rss_out_meta meta = {
    .title = "Merged & more",
    .site_url = "http://127.0.0.1:8080/",
    .self_url = "http://127.0.0.1:8080/outputs/all.rss",
    .generator_version = "0.1.0",
    .prev_archive = "http://127.0.0.1:8080/outputs/all/archive/4.rss",
};

static struct feed *sample(void)
{
    struct feed *f = feed_new();
    struct entry *e = feed_add_entry(f);

    model_set_str(&e->id, "https://example.org/a?x=1&y=2");
    model_set_str(&e->link, "https://example.org/a?x=1&y=2");
    model_set_str(&e->title, "Fish & <chips>");
    model_set_str(&e->summary, "<p>Short</p>");
    model_set_str(&e->content, "<p>Hello <b>world</b></p>");
    model_set_str(&e->author, "Ada Lovelace");
    e->published = 1764000000; /* Mon, 24 Nov 2025 16:00:00 GMT */
    model_set_str(&e->source.title, "Feed One");
    model_set_str(&e->source.url, "https://one.example/feed.xml");
    e->related = calloc(1, sizeof(*e->related));
    e->n_related = 1;
    model_set_str(&e->related[0].link, "https://two.example/a");
    model_set_str(&e->related[0].source.title, "Two");

    e = feed_add_entry(f);
    model_set_str(&e->id, "urn:uuid:1234");
    model_set_str(&e->link, "https://example.org/b");
    model_set_str(&e->title, "Second");
    e->updated = 1763900000;
    model_set_str(&e->source.url, "file:///local/feed.xml");
    f->updated = 1764000000;
    return f;
}

static xmlDocPtr render(const struct feed *f, char **out)
{
    size_t len;
    xmlDocPtr doc;

    assert_int_equal(rss_render(&meta, f, out, &len), 0);
    assert_int_equal(strlen(*out), len);
    doc = xmlReadMemory(*out, (int)len, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc); /* well-formed */
    return doc;
}

static char *text(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o;
    char *s = NULL;

    xmlXPathRegisterNs(ctx, BAD_CAST "atom", BAD_CAST "http://www.w3.org/2005/Atom");
    xmlXPathRegisterNs(ctx, BAD_CAST "content",
                       BAD_CAST "http://purl.org/rss/1.0/modules/content/");
    xmlXPathRegisterNs(ctx, BAD_CAST "dc", BAD_CAST "http://purl.org/dc/elements/1.1/");
    xmlXPathRegisterNs(ctx, BAD_CAST "fh", BAD_CAST "http://purl.org/syndication/history/1.0");
    o = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    if (o && o->nodesetval && o->nodesetval->nodeNr > 0)
        s = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[0]);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return s;
}

static void expect(xmlDocPtr doc, const char *xpath, const char *want)
{
    char *got = text(doc, xpath);

    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    xmlFree(got);
}

static void test_channel_and_items(void **state)
{
    struct feed *f = sample();
    char *out;
    xmlDocPtr doc = render(f, &out);

    (void)state;
    expect(doc, "/rss/@version", "2.0");
    expect(doc, "/rss/channel/title", "Merged & more");
    expect(doc, "/rss/channel/link", "http://127.0.0.1:8080/");
    expect(doc, "/rss/channel/description", "Merged & more");
    expect(doc, "/rss/channel/atom:link[@rel='self']/@href", meta.self_url);
    expect(doc, "/rss/channel/atom:link[@rel='prev-archive']/@href", meta.prev_archive);
    /* The newest entry's date, RFC 822 with a four-digit year. */
    expect(doc, "/rss/channel/lastBuildDate", "Mon, 24 Nov 2025 16:00:00 GMT");
    expect(doc, "/rss/channel/item[1]/title", "Fish & <chips>");
    expect(doc, "/rss/channel/item[1]/link", "https://example.org/a?x=1&y=2");
    expect(doc, "/rss/channel/item[1]/description", "<p>Short</p>");
    expect(doc, "/rss/channel/item[1]/content:encoded", "<p>Hello <b>world</b></p>");
    expect(doc, "/rss/channel/item[1]/dc:creator", "Ada Lovelace");
    expect(doc, "/rss/channel/item[1]/guid", "https://example.org/a?x=1&y=2");
    expect(doc, "/rss/channel/item[1]/guid/@isPermaLink", "true");
    expect(doc, "/rss/channel/item[1]/pubDate", "Mon, 24 Nov 2025 16:00:00 GMT");
    expect(doc, "/rss/channel/item[1]/source", "Feed One");
    expect(doc, "/rss/channel/item[1]/source/@url", "https://one.example/feed.xml");
    expect(doc, "/rss/channel/item[1]/atom:link[@rel='related']/@href", "https://two.example/a");
    expect(doc, "/rss/channel/item[1]/atom:link[@rel='related']/@title", "Two");
    /* A non-URL id is not a permalink; a date from updated; no file: source. */
    expect(doc, "/rss/channel/item[2]/guid/@isPermaLink", "false");
    expect(doc, "/rss/channel/item[2]/pubDate", "Sun, 23 Nov 2025 12:13:20 GMT");
    expect(doc, "/rss/channel/item[2]/source", NULL);
    expect(doc, "/rss/channel/item[2]/description", NULL);
    expect(doc, "/rss/channel/fh:archive", NULL);
    xmlFreeDoc(doc);
    free(out);
    feed_free(f);
}

static void test_deterministic_and_archive(void **state)
{
    struct feed *f = sample();
    struct rss_out_meta m = meta;
    char *a, *b;
    size_t la, lb;

    (void)state;
    assert_int_equal(rss_render(&meta, f, &a, &la), 0);
    assert_int_equal(rss_render(&meta, f, &b, &lb), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    m.archive = 1;
    m.current = "http://127.0.0.1:8080/outputs/all.rss";
    assert_int_equal(rss_render(&m, f, &a, &la), 0);
    assert_non_null(strstr(a, "<fh:archive/>"));
    assert_non_null(strstr(a, "rel=\"current\""));
    free(a);
    feed_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_and_items),
        cmocka_unit_test(test_deterministic_and_archive),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
