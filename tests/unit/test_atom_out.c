/* Unit tests for feed/atom_out: the merged Atom document. */
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

#include "feed/atom_out.h"

static const struct atom_out_meta meta = {
    .id = "http://127.0.0.1:8080/",
    .title = "Merged & more",
    .self_url = "http://127.0.0.1:8080/feed.atom",
    .generator_version = "0.1.0",
};

static struct feed *sample(void)
{
    struct feed *f = feed_new();
    struct entry *e;

    assert_non_null(f);
    e = feed_add_entry(f);
    model_set_str(&e->id, "tag:example.org,2026:1");
    model_set_str(&e->title, "Fish & <chips>");
    model_set_str(&e->link, "https://example.org/a?x=1&y=2");
    model_set_str(&e->content, "<p>Hello <b>world</b></p>");
    model_set_str(&e->author, "Ada \"Countess\" Lovelace");
    e->published = 1764000000; /* 2025-11-24T16:00:00Z */
    e->updated = 1764003600;
    model_set_str(&e->source.id, "urn:feed:one");
    model_set_str(&e->source.title, "Feed One");
    model_set_str(&e->source.link, "https://example.org/");
    model_set_str(&e->source.url, "https://example.org/feed.xml");

    e = feed_add_entry(f);
    model_set_str(&e->link, "https://example.org/b");
    model_set_str(&e->title, "No id, so the link is the id");
    e->published = 1763900000;
    e->updated = 1763900000;
    model_set_str(&e->source.title, "Feed Two");
    model_set_str(&e->source.id, "https://two.example/feed");

    e = feed_add_entry(f);
    model_set_str(&e->summary, "Only a summary \x01 with a control character");
    e->updated = 1763800000;
    f->updated = 1764003600;
    return f;
}

static xmlXPathObjectPtr query(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o;

    xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST "http://www.w3.org/2005/Atom");
    o = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    xmlXPathFreeContext(ctx);
    return o;
}

static char *text_of(xmlDocPtr doc, const char *xpath)
{
    xmlXPathObjectPtr o = query(doc, xpath);
    char *s = NULL;

    if (o && o->nodesetval && o->nodesetval->nodeNr > 0)
        s = (char *)xmlNodeGetContent(o->nodesetval->nodeTab[0]);
    xmlXPathFreeObject(o);
    return s;
}

static int count(xmlDocPtr doc, const char *xpath)
{
    xmlXPathObjectPtr o = query(doc, xpath);
    int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;

    xmlXPathFreeObject(o);
    return n;
}

static void expect_text(xmlDocPtr doc, const char *xpath, const char *want)
{
    char *got = text_of(doc, xpath);

    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", xpath, got ? got : "(none)", want);
    xmlFree(got);
}

static void test_render_valid_and_escaped(void **state)
{
    struct feed *f = sample();
    char *out;
    size_t len;
    xmlDocPtr doc;

    (void)state;
    assert_int_equal(atom_render(&meta, f, &out, &len), 0);
    assert_int_equal(strlen(out), len);
    doc = xmlReadMemory(out, (int)len, NULL, NULL, XML_PARSE_NONET);
    if (!doc)
        fail_msg("not well-formed:\n%s", out);
    expect_text(doc, "/a:feed/a:id", "http://127.0.0.1:8080/");
    expect_text(doc, "/a:feed/a:title", "Merged & more");
    expect_text(doc, "/a:feed/a:updated", "2025-11-24T17:00:00Z");
    expect_text(doc, "/a:feed/a:author/a:name", "Merged & more");
    assert_int_equal(
        count(doc, "/a:feed/a:link[@rel='self'][@href='http://127.0.0.1:8080/feed.atom']"), 1);
    assert_int_equal(count(doc, "/a:feed/a:entry"), 3);
    expect_text(doc, "/a:feed/a:entry[1]/a:id", "tag:example.org,2026:1");
    expect_text(doc, "/a:feed/a:entry[1]/a:title", "Fish & <chips>");
    expect_text(doc, "/a:feed/a:entry[1]/a:published", "2025-11-24T16:00:00Z");
    expect_text(doc, "/a:feed/a:entry[1]/a:updated", "2025-11-24T17:00:00Z");
    expect_text(doc, "/a:feed/a:entry[1]/a:author/a:name", "Ada \"Countess\" Lovelace");
    expect_text(doc, "/a:feed/a:entry[1]/a:content[@type='html']", "<p>Hello <b>world</b></p>");
    assert_int_equal(
        count(doc,
              "/a:feed/a:entry[1]/a:link[@rel='alternate'][@href='https://example.org/a?x=1&y=2']"),
        1);
    expect_text(doc, "/a:feed/a:entry[1]/a:source/a:id", "urn:feed:one");
    expect_text(doc, "/a:feed/a:entry[1]/a:source/a:title", "Feed One");
    assert_int_equal(count(doc, "/a:feed/a:entry[1]/a:source/a:link[@rel='self'][@href='https://"
                                "example.org/feed.xml']"),
                     1);
    expect_text(doc, "/a:feed/a:entry[2]/a:id", "https://example.org/b");
    expect_text(doc, "/a:feed/a:entry[2]/a:source/a:title", "Feed Two");
    /* No id and no link: a stable URN from the content hash. */
    char *id3 = text_of(doc, "/a:feed/a:entry[3]/a:id");
    assert_non_null(id3);
    assert_int_equal(strncmp(id3, "urn:sha256:", 11), 0);
    assert_int_equal(strlen(id3), 11 + 64);
    xmlFree(id3);
    expect_text(doc, "/a:feed/a:entry[3]/a:content", "Only a summary  with a control character");
    /* Upper-case T and Z everywhere, never a lower-case form. */
    assert_null(strstr(out, "t00:"));
    xmlFreeDoc(doc);
    free(out);
    feed_free(f);
}

/* A story's other sources: one rel=related link each, titled by source. */
static void test_related_links(void **state)
{
    struct feed *f = sample();
    struct entry *e = &f->entries[0];
    char *out, *t;
    size_t len;
    xmlDocPtr doc;

    (void)state;
    e->related = calloc(2, sizeof(*e->related));
    e->n_related = 2;
    model_set_str(&e->related[0].link, "https://two.example/s?a=1&b=2");
    model_set_str(&e->related[0].source.title, "Two & co");
    model_set_str(&e->related[1].title, "no link: not rendered");
    assert_int_equal(atom_render(&meta, f, &out, &len), 0);
    doc = xmlReadMemory(out, (int)len, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    assert_int_equal(count(doc, "//a:entry[1]/a:link[@rel='related']"), 1);
    assert_int_equal(count(doc, "//a:entry[2]/a:link[@rel='related']"), 0);
    t = text_of(doc, "//a:entry[1]/a:link[@rel='related']/@href");
    assert_string_equal(t, "https://two.example/s?a=1&b=2");
    xmlFree(t);
    t = text_of(doc, "//a:entry[1]/a:link[@rel='related']/@title");
    assert_string_equal(t, "Two & co");
    xmlFree(t);
    xmlFreeDoc(doc);
    free(out);
    feed_free(f);
}

static void test_render_is_deterministic(void **state)
{
    struct feed *f = sample();
    char *a, *b;
    size_t alen, blen;

    (void)state;
    assert_int_equal(atom_render(&meta, f, &a, &alen), 0);
    assert_int_equal(atom_render(&meta, f, &b, &blen), 0);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    free(a);
    free(b);
    feed_free(f);
}

static void test_empty_feed(void **state)
{
    struct feed *f = feed_new();
    char *out;
    size_t len;
    xmlDocPtr doc;

    (void)state;
    assert_int_equal(atom_render(&meta, f, &out, &len), 0);
    doc = xmlReadMemory(out, (int)len, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    expect_text(doc, "/a:feed/a:updated", "1970-01-01T00:00:00Z");
    assert_int_equal(count(doc, "/a:feed/a:entry"), 0);
    xmlFreeDoc(doc);
    free(out);
    feed_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_valid_and_escaped),
        cmocka_unit_test(test_render_is_deterministic),
        cmocka_unit_test(test_related_links),
        cmocka_unit_test(test_empty_feed),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);

    xmlCleanupParser();
    return r;
}
