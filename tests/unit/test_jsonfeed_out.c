/* test_jsonfeed_out: jsonfeed_render() output, reparsed with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "feed/jsonfeed_out.h"
#include "feed/parse.h"

static struct feed *parse_fixture(const char *name)
{
    char path[512];
    struct feed *f = NULL;
    FILE *fp;
    char *data;
    long n;

    snprintf(path, sizeof(path), FIXTURES "/parse/%s", name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    data = malloc((size_t)n);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_int_equal(feed_parse(data, (size_t)n, "http://example.org/feed", NULL, &f, NULL, 0), 0);
    free(data);
    return f;
}

static json_t *render(const struct feed *f)
{
    json_error_t je;
    char *out = NULL;
    json_t *root;

    assert_int_equal(jsonfeed_render(f, &out), 0);
    assert_non_null(out);
    root = json_loads(out, 0, &je);
    if (!root)
        print_error("%s\n%s\n", je.text, out);
    assert_non_null(root);
    free(out);
    return root;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const json_t *item(const json_t *root, size_t i)
{
    return json_array_get(json_object_get(root, "items"), i);
}

static void test_rss_fixture(void **state)
{
    struct feed *f = parse_fixture("rss2.xml");
    json_t *root = render(f);
    const json_t *ext = json_object_get(root, "_herald"), *it, *iext;

    (void)state;
    assert_string_equal(str(root, "version"), "https://jsonfeed.org/version/1.1");
    assert_string_equal(str(root, "title"), "Example & Co");
    assert_string_equal(str(root, "home_page_url"), "http://example.org/blog/");
    assert_string_equal(str(root, "feed_url"), "http://example.org/blog/feed.xml");
    assert_string_equal(str(root, "description"), "News from example.org");
    assert_string_equal(str(json_array_get(json_object_get(root, "authors"), 0), "name"),
                        "Ed Itor");
    assert_string_equal(str(ext, "format"), "rss");
    assert_true(json_is_null(json_object_get(ext, "id")));
    assert_true(json_is_false(json_object_get(ext, "bozo")));
    assert_true(json_is_null(json_object_get(ext, "bozo_message")));
    assert_int_equal(json_array_size(json_object_get(root, "items")), 4);
    for (size_t i = 0; i < 4; i++) {
        it = item(root, i);
        assert_non_null(str(it, "id")); /* required by JSON Feed */
        assert_true(str(it, "content_html") || str(it, "content_text"));
        assert_true(json_is_object(json_object_get(it, "_herald")));
    }

    it = item(root, 0);
    iext = json_object_get(it, "_herald");
    assert_string_equal(str(it, "id"), "http://example.org/posts/1");
    assert_string_equal(str(it, "url"), "http://example.org/posts/1");
    assert_string_equal(str(it, "content_html"), "<p>Full <b>content</b></p>");
    assert_string_equal(str(it, "summary"), "Short & sweet"); /* plain text */
    assert_string_equal(str(it, "date_published"), "2024-01-01T09:00:00Z");
    assert_null(json_object_get(it, "date_modified"));
    assert_string_equal(str(json_array_get(json_object_get(it, "authors"), 0), "name"), "Jane Doe");
    assert_string_equal(str(iext, "id"), "http://example.org/posts/1");
    assert_true(json_is_true(json_object_get(iext, "id_is_permalink")));
    assert_null(json_object_get(iext, "source"));

    it = item(root, 1); /* summary only: it becomes content_html */
    assert_string_equal(str(it, "content_html"), "Plain description");
    assert_null(json_object_get(it, "summary"));
    assert_true(json_is_false(json_object_get(json_object_get(it, "_herald"), "id_is_permalink")));

    it = item(root, 2); /* no id: the link stands in, the original is null */
    assert_string_equal(str(it, "id"), "http://other.example.com/dir/page.html");
    assert_true(json_is_null(json_object_get(json_object_get(it, "_herald"), "id")));
    assert_string_equal(str(it, "content_text"), "");
    json_decref(root);
    feed_free(f);
}

static void test_atom_bozo(void **state)
{
    struct feed *f = parse_fixture("broken.xml");
    json_t *root = render(f);
    const json_t *ext = json_object_get(root, "_herald");

    (void)state;
    assert_true(json_is_true(json_object_get(ext, "bozo")));
    assert_non_null(str(ext, "bozo_message"));
    json_decref(root);
    feed_free(f);
    f = parse_fixture("atom10.xml");
    root = render(f);
    ext = json_object_get(root, "_herald");
    assert_string_equal(str(ext, "format"), "atom");
    assert_string_equal(str(ext, "id"), "urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6");
    assert_string_equal(str(item(root, 0), "date_modified"), "2024-01-02T09:00:00Z");
    json_decref(root);
    feed_free(f);
}

/* A hand-built feed: no title, an entry with neither id nor link, invalid
 * UTF-8, and a source. */
static void test_model_edges(void **state)
{
    struct feed *f = feed_new();
    struct entry *e;
    json_t *root;
    const json_t *src;
    char *id;

    (void)state;
    assert_non_null(f);
    e = feed_add_entry(f);
    assert_non_null(e);
    assert_int_equal(model_set_str(&e->title, "bad \xFF\xC3 utf8 \xED\xA0\x80!"), 0);
    assert_int_equal(model_set_str(&e->content, "<p>x</p>"), 0);
    e = feed_add_entry(f);
    assert_non_null(e);
    assert_int_equal(model_set_str(&e->id, "id-2"), 0);
    assert_int_equal(model_set_str(&e->source.url, "http://origin.example/feed"), 0);
    assert_int_equal(model_set_str(&e->source.title, "Origin"), 0);
    e->source.updated = 0;

    root = render(f);
    assert_string_equal(str(root, "title"), "");
    assert_non_null(str(item(root, 0), "id"));
    id = strdup(str(item(root, 0), "id"));
    assert_non_null(id);
    assert_int_equal(strncmp(id, "urn:sha256:", 11), 0);
    assert_int_equal(strlen(id), 11 + 64);
    assert_string_equal(str(item(root, 0), "title"),
                        "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
    src = json_object_get(json_object_get(item(root, 1), "_herald"), "source");
    assert_non_null(src);
    assert_string_equal(str(src, "feed_url"), "http://origin.example/feed");
    assert_string_equal(str(src, "title"), "Origin");
    assert_string_equal(str(src, "updated"), "1970-01-01T00:00:00Z");
    assert_true(json_is_null(json_object_get(src, "id")));
    assert_string_equal(str(item(root, 1), "content_text"), "");
    json_decref(root);

    /* The fallback id is stable across renders. */
    root = render(f);
    assert_string_equal(str(item(root, 0), "id"), id);
    json_decref(root);
    free(id);
    feed_free(f);
}

static void test_jsonfeed_roundtrip(void **state)
{
    struct feed *f = parse_fixture("feed.json");
    json_t *root = render(f);

    (void)state;
    assert_string_equal(str(root, "title"), "JSON Example");
    assert_string_equal(str(json_object_get(root, "_herald"), "format"), "json");
    assert_string_equal(str(item(root, 0), "summary"), "Sum & more");
    assert_string_equal(str(item(root, 1), "id"), "2");
    json_decref(root);
    feed_free(f);
}

/* Everything JSON Feed has a key for, and the _herald extras. */
static void test_full_rss(void **state)
{
    struct feed *f;
    json_t *root;
    const json_t *ext, *it, *a, *sy;
    int r;

    (void)state;
    {
        char path[512];
        FILE *fp;
        char *data;
        long n;

        snprintf(path, sizeof(path), FIXTURES "/parse/%s", "rss2_full.xml");
        fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        rewind(fp);
        data = malloc((size_t)n);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        f = NULL;
        r = feed_parse(data, (size_t)n, "https://full.example.org/feed.xml", NULL, &f, NULL, 0);
        free(data);
        assert_int_equal(r, 0);
    }
    root = render(f);
    ext = json_object_get(root, "_herald");
    assert_string_equal(str(ext, "version"), "rss20");
    assert_string_equal(str(ext, "encoding"), "utf-8");
    assert_string_equal(str(ext, "generator"), "Herald Test 1.0");
    assert_int_equal(json_integer_value(json_object_get(ext, "ttl")), 90);
    assert_int_equal(json_array_size(json_object_get(ext, "skip_hours")), 3);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(ext, "skip_hours"), 2)), 23);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ext, "skip_days"), 0)),
                        "Saturday");
    sy = json_object_get(ext, "sy");
    assert_string_equal(str(sy, "update_period"), "hourly");
    assert_int_equal(json_integer_value(json_object_get(sy, "update_frequency")), 2);
    assert_string_equal(str(sy, "update_base"), "2000-01-01T12:00:00Z");
    assert_string_equal(str(root, "language"), "de-DE");
    assert_string_equal(str(root, "icon"), "https://full.example.org/logo.png");
    a = json_array_get(json_object_get(root, "hubs"), 1);
    assert_string_equal(str(a, "type"), "WebSub");
    assert_string_equal(str(a, "url"), "https://pubsubhubbub.appspot.com/");

    it = item(root, 0);
    assert_string_equal(str(it, "url"), "https://full.example.org/posts/1");
    a = json_array_get(json_object_get(it, "authors"), 0);
    assert_string_equal(str(a, "name"), "Jo Doe");
    assert_string_equal(str(a, "url"), "mailto:jo@full.example.org");
    assert_int_equal(json_array_size(json_object_get(it, "tags")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(it, "tags"), 2)),
                        "Subject");
    assert_string_equal(str(it, "image"), "https://full.example.org/media/1-inner.jpg");
    assert_int_equal(json_array_size(json_object_get(it, "attachments")), 3); /* no thumbnails */
    a = json_array_get(json_object_get(it, "attachments"), 0);
    assert_string_equal(str(a, "url"), "https://full.example.org/media/1.mp3");
    assert_string_equal(str(a, "mime_type"), "audio/mpeg");
    assert_int_equal(json_integer_value(json_object_get(a, "size_in_bytes")), 12345);
    assert_int_equal(json_integer_value(json_object_get(a, "duration_in_seconds")), 61);
    ext = json_object_get(it, "_herald");
    assert_string_equal(str(ext, "comments"), "https://full.example.org/posts/1#comments");
    assert_string_equal(str(json_array_get(json_object_get(ext, "categories"), 1), "scheme"),
                        "http://full.example.org/tags");
    assert_int_equal(json_array_size(json_object_get(ext, "enclosures")), 6);
    assert_string_equal(str(json_array_get(json_object_get(ext, "enclosures"), 2), "kind"),
                        "thumbnail");
    assert_int_equal(json_array_size(json_object_get(item(root, 1), "authors")), 2);
    json_decref(root);
    feed_free(f);
}

/* A media type is guessed for attachments that came without one. */
/* A story's other sources (a deduplicated output) go in _herald.sources. */
static void test_related_sources(void **state)
{
    struct feed *f = feed_new();
    struct entry *e = feed_add_entry(f);
    json_t *doc, *src;

    (void)state;
    model_set_str(&e->id, "urn:a");
    model_set_str(&e->title, "Story");
    e->related = calloc(2, sizeof(*e->related));
    e->n_related = 2;
    model_set_str(&e->related[0].link, "https://two.example/story");
    model_set_str(&e->related[0].title, "The story, told again");
    model_set_str(&e->related[0].source.title, "Two");
    model_set_str(&e->related[0].source.url, "https://two.example/feed");
    model_set_str(&e->related[1].link, "https://three.example/s");
    doc = render(f);
    src = json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "items"), 0), "_herald"), "sources");
    assert_int_equal(json_array_size(src), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "url")),
                        "https://two.example/story");
    assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "title")),
                        "The story, told again");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(src, 0), "source"), "feed_url")),
                        "https://two.example/feed");
    assert_null(json_object_get(json_array_get(src, 1), "source"));
    json_decref(doc);
    feed_free(f);
}

static void test_attachment_type(void **state)
{
    struct feed *f = feed_new();
    struct entry *e;
    json_t *root;

    (void)state;
    assert_non_null(f);
    e = feed_add_entry(f);
    assert_non_null(e);
    e->enclosures = calloc(2, sizeof(*e->enclosures));
    assert_non_null(e->enclosures);
    e->n_enclosures = 2;
    e->enclosures[0] =
        (struct enclosure){.url = strdup("http://x/a.MP3?dl=1"), .length = -1, .duration = -1};
    e->enclosures[1] =
        (struct enclosure){.url = strdup("http://x/blob"), .length = -1, .duration = -1};
    root = render(f);
    assert_string_equal(
        str(json_array_get(json_object_get(item(root, 0), "attachments"), 0), "mime_type"),
        "audio/mpeg");
    assert_string_equal(
        str(json_array_get(json_object_get(item(root, 0), "attachments"), 1), "mime_type"),
        "application/octet-stream");
    json_decref(root);
    feed_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss_fixture),     cmocka_unit_test(test_atom_bozo),
        cmocka_unit_test(test_model_edges),     cmocka_unit_test(test_jsonfeed_roundtrip),
        cmocka_unit_test(test_full_rss),        cmocka_unit_test(test_attachment_type),
        cmocka_unit_test(test_related_sources),
    };
    int r;

    feed_parse_init();
    r = cmocka_run_group_tests(tests, NULL, NULL);
    feed_parse_cleanup();
    return r;
}
