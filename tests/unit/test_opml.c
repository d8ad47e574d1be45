/* Unit tests for app/opml: reading (folders, categories, fallbacks,
 * duplicates, entities never expanded, errors with file:line), rendering
 * (escaping, categories, disabled feeds, stable bytes) and [feed] sections
 * (unique names, values that cannot be written). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/config.h"
#include "app/opml.h"

static char dir[] = "/tmp/herald-test-opml-XXXXXX";

static char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const struct opml_feed *by_url(const struct opml_feed *f, size_t n, const char *url)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].url, url) == 0)
            return &f[i];
    }
    fail_msg("no feed with url %s", url);
    return NULL;
}

static void assert_tags(const struct opml_feed *f, const char *const *want, size_t n)
{
    assert_int_equal(f->n_tags, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(f->tags[i], want[i]);
    if (n)
        assert_null(f->tags[n]);
    else
        assert_null(f->tags);
}

static const char fixture[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                         /* 1 */
    "<opml version=\"2.0\">\n"                                                             /* 2 */
    "  <head><title>Subscriptions</title></head>\n"                                        /* 3 */
    "  <body>\n"                                                                           /* 4 */
    "    <outline text=\"Tech News\" title=\"unused\">\n"                                  /* 5 */
    "      <outline title=\"Inner, folder\">\n"                                            /* 6 */
    "        <outline type=\"rss\" text=\"A text\" title=\"A &amp; title\"\n"              /* 7 */
    "                 xmlUrl=\"http://a.example/feed?x=1&amp;y=2\"\n"                      /* 8 */
    "                 category=\"/Topics/Open Source,plain,,/x/\"/>\n"                     /* 9 */
    "      </outline>\n"                                                                   /* 10 */
    "      <outline type=\"atom\" text=\"B text\" xmlURL=\" https://b.example/atom \"/>\n" /* 11 */
    "    </outline>\n"                                                                     /* 12 */
    "    <outline text=\"just a folder without a url\"/>\n"                                /* 13 */
    "    <outline xmlUrl=\"http://c.example/\"/>\n"                                        /* 14 */
    "    <outline text=\"Again\" xmlUrl=\"http://a.example/feed?x=1&amp;y=2\"/>\n"         /* 15 */
    "    <outline type=\"link\" text=\"Gopher\" xmlUrl=\"gopher://d.example/\"/>\n"        /* 16 */
    "  </body>\n"
    "</opml>\n";

static void test_read(void **state)
{
    struct opml_feed *f = NULL;
    const struct opml_feed *a, *b, *c;
    size_t n = 0;
    char err[256];

    (void)state;
    assert_int_equal(opml_read(write_file("a.opml", fixture), &f, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4); /* the duplicate URL is kept once, the folder is no feed */
    assert_string_equal(f[0].url, "http://a.example/feed?x=1&y=2");
    assert_string_equal(f[1].url, "https://b.example/atom"); /* trimmed, xmlURL */
    assert_string_equal(f[2].url, "http://c.example/");
    assert_string_equal(f[3].url, "gopher://d.example/"); /* any scheme: callers check */

    a = by_url(f, n, "http://a.example/feed?x=1&y=2");
    assert_string_equal(a->title, "A & title"); /* title over text */
    assert_int_equal(a->line, 9);               /* libxml2's: where the start tag ends */
    assert_tags(a, (const char *[]){"Tech-News", "Inner-folder", "Open-Source", "plain", "x"}, 5);

    b = by_url(f, n, "https://b.example/atom");
    assert_string_equal(b->title, "B text"); /* text without title */
    assert_int_equal(b->line, 11);
    assert_tags(b, (const char *[]){"Tech-News"}, 1);

    c = by_url(f, n, "http://c.example/");
    assert_string_equal(c->title, "http://c.example/"); /* neither: the URL */
    assert_tags(c, NULL, 0);
    opml_feeds_free(f, n);
}

static void test_read_empty_body(void **state)
{
    struct opml_feed *f = (void *)1;
    size_t n = 1;
    char err[256];

    (void)state;
    assert_int_equal(opml_read(write_file("e.opml", "<opml version=\"1.0\"><head/></opml>"), &f, &n,
                               err, sizeof(err)),
                     0);
    assert_int_equal(n, 0);
    assert_null(f);
}

/* Entities the document declares are never expanded: an external one is
 * not loaded (in an attribute it is an error), an internal one is left
 * out, and an external DTD is not read. */
static void test_entities_not_expanded(void **state)
{
    char secret[600], text[2048], err[512];
    struct opml_feed *f = NULL;
    size_t n = 0;

    (void)state;
    snprintf(secret, sizeof(secret), "%s", write_file("secret.txt", "TOPSECRET"));

    /* in element content and an attribute */
    snprintf(text, sizeof(text),
             "<!DOCTYPE opml [ <!ENTITY xxe SYSTEM \"file://%s\"> ]>\n"
             "<opml><head><title>&xxe;</title></head><body>\n"
             "<outline text=\"&xxe;\" xmlUrl=\"http://e.example/\"/></body></opml>\n",
             secret);
    assert_int_equal(opml_read(write_file("x1.opml", text), &f, &n, err, sizeof(err)), -EINVAL);
    assert_null(strstr(err, "TOPSECRET"));
    assert_non_null(strstr(err, "x1.opml:3: "));

    /* in element content only: not loaded, the document reads */
    snprintf(text, sizeof(text),
             "<!DOCTYPE opml [ <!ENTITY xxe SYSTEM \"file://%s\"> <!ENTITY i \"INTERNAL\"> ]>\n"
             "<opml><head><title>&xxe;</title></head><body>\n"
             "<outline text=\"a &i; b\" xmlUrl=\"http://e.example/\"/></body></opml>\n",
             secret);
    assert_int_equal(opml_read(write_file("x2.opml", text), &f, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].title, "a  b");
    opml_feeds_free(f, n);

    /* an external DTD that would declare the entity */
    snprintf(text, sizeof(text), "<!ENTITY e \"FROMDTD\">\n");
    write_file("ext.dtd", text);
    snprintf(text, sizeof(text),
             "<!DOCTYPE opml SYSTEM \"%s/ext.dtd\">\n"
             "<opml><body><outline text=\"x&e;\" xmlUrl=\"http://e.example/\"/></body></opml>\n",
             dir);
    f = NULL;
    n = 0;
    if (opml_read(write_file("x3.opml", text), &f, &n, err, sizeof(err)) == 0) {
        assert_int_equal(n, 1);
        assert_null(strstr(f[0].title, "FROMDTD"));
        opml_feeds_free(f, n);
    } else {
        assert_null(strstr(err, "FROMDTD"));
    }
}

static void test_read_errors(void **state)
{
    struct opml_feed *f = NULL;
    size_t n = 0;
    char err[512], missing[512], *path;

    (void)state;
    path = write_file("bad.opml", "<opml>\n<body>\n<outline text=\"x\" xmlUrl=\"http://e/\">\n"
                                  "</body>\n</opml>\n");
    assert_int_equal(opml_read(path, &f, &n, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "bad.opml:4: not well-formed XML"));
    assert_null(strchr(err, '\n'));

    path = write_file("rss.opml", "<rss>\n<channel/></rss>\n");
    assert_int_equal(opml_read(path, &f, &n, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "rss.opml:1: not an OPML document"));

    snprintf(missing, sizeof(missing), "%s/missing.opml", dir);
    assert_int_equal(opml_read(missing, &f, &n, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "missing.opml: "));
}

static void test_read_too_large(void **state)
{
    char path[512], err[512];
    struct opml_feed *f = NULL;
    size_t n = 0;
    FILE *out;

    (void)state;
    snprintf(path, sizeof(path), "%s/big.opml", dir);
    out = fopen(path, "w");
    assert_non_null(out);
    fputs("<opml><body>", out);
    for (size_t i = 0; i < OPML_FILE_MAX / 64 + 1; i++)
        fprintf(out, "<!-- %56zu -->", i);
    fputs("</body></opml>", out);
    fclose(out);
    assert_int_equal(opml_read(path, &f, &n, err, sizeof(err)), -EFBIG);
    assert_non_null(strstr(err, "larger than 16 MiB"));
}

/* ---- render -------------------------------------------------------------------- */

static char *words[] = {"tech", "a&b", NULL};

static void test_render(void **state)
{
    struct feed_conf feeds[] = {
        {.name = "one",
         .url = "http://a.example/?x=1&y=<2>",
         .title = "Q&A \"quoted\" <b>",
         .enabled = true,
         .tags = {.v = words, .n = 2}},
        {.name = "off", .url = "http://off.example/", .enabled = false},
        {.name = "two", .url = "https://b.example/feed", .enabled = true},
    };
    struct config cfg = {.feeds = feeds, .n_feeds = 3};
    char *doc, *again;
    size_t len, len2;

    (void)state;
    assert_int_equal(opml_render(&cfg, "Mine & yours", &doc, &len), 0);
    assert_int_equal(strlen(doc), len);
    assert_non_null(strstr(doc, "<opml version=\"2.0\">"));
    assert_non_null(strstr(doc, "<title>Mine &amp; yours</title>"));
    assert_non_null(strstr(doc, "<outline type=\"rss\" text=\"Q&amp;A &quot;quoted&quot; "
                                "&lt;b&gt;\" title=\"Q&amp;A &quot;quoted&quot; &lt;b&gt;\" "
                                "xmlUrl=\"http://a.example/?x=1&amp;y=&lt;2&gt;\" "
                                "category=\"tech,a&amp;b\"/>"));
    assert_non_null(strstr(doc, "<outline type=\"rss\" text=\"two\" title=\"two\" "
                                "xmlUrl=\"https://b.example/feed\"/>"));
    assert_null(strstr(doc, "off.example"));
    assert_null(strstr(doc, "dateCreated"));

    assert_int_equal(opml_render(&cfg, "Mine & yours", &again, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(doc, again, len);
    free(again);

    /* and it reads back */
    {
        struct opml_feed *f;
        size_t n;
        char err[256];

        assert_int_equal(opml_read(write_file("round.opml", doc), &f, &n, err, sizeof(err)), 0);
        assert_int_equal(n, 2);
        assert_string_equal(f[0].title, "Q&A \"quoted\" <b>");
        assert_string_equal(f[0].url, "http://a.example/?x=1&y=<2>");
        assert_tags(&f[0], (const char *[]){"tech", "a&b"}, 2);
        opml_feeds_free(f, n);
    }
    free(doc);
}

/* ---- names and sections ------------------------------------------------------ */

static void test_names(void **state)
{
    char long_title[100];
    const char *titles[7];
    const char *taken[] = {"blog", "Other"};
    char **names;

    (void)state;
    memset(long_title, 'x', sizeof(long_title) - 1);
    long_title[sizeof(long_title) - 1] = '\0';
    titles[0] = "Blog";
    titles[1] = "My Blog: News & Views!";
    titles[2] = "blog";
    titles[3] = "Ünïcode";
    titles[4] = "???";
    titles[5] = long_title;
    titles[6] = long_title;
    assert_int_equal(opml_names(titles, 7, taken, 2, &names), 0);
    assert_string_equal(names[0], "blog-2");
    assert_string_equal(names[1], "my-blog-news--views");
    assert_string_equal(names[2], "blog-3");
    assert_string_equal(names[3], "ncode");
    assert_string_equal(names[4], "feed-5");
    assert_int_equal(strlen(names[5]), OPML_NAME_MAX);
    assert_int_equal(strlen(names[6]), OPML_NAME_MAX);
    assert_string_equal(names[6] + OPML_NAME_MAX - 2, "-2");
    opml_names_free(names, 7);
}

static void test_value_problem(void **state)
{
    char long_value[200];

    (void)state;
    memset(long_value, 'a', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    assert_null(opml_value_problem("Fine; with a semicolon"));
    assert_string_equal(opml_value_problem("two\nlines"), "spans lines");
    assert_non_null(opml_value_problem("a ; comment"));
    assert_non_null(opml_value_problem(";first"));
    assert_non_null(opml_value_problem("bell\a"));
    assert_string_equal(opml_value_problem(long_value), "is longer than 190 characters");
    long_value[OPML_VALUE_MAX] = '\0';
    assert_null(opml_value_problem(long_value));
}

static char *print(const struct opml_feed *f, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    assert_int_equal(opml_print_sections(f, n, out), 0);
    fclose(out);
    return text;
}

static void test_print_sections(void **state)
{
    char long_title[300], long_url[300];
    char *tags_a[] = {"tech", "news", NULL};
    struct opml_feed f[] = {
        {.title = "Blog", .url = "http://a.example/", .tags = tags_a, .n_tags = 2, .line = 3},
        {.title = "Blog", .url = "http://b.example/", .line = 4},
        {.title = long_title, .url = "http://c.example/", .line = 5},
        {.title = "two\nlines", .url = "http://d.example/", .line = 6},
        {.title = "Long URL", .url = long_url, .line = 7},
        {.title = "Gopher", .url = "gopher://g.example/", .line = 8},
        {.title = "http://h.example/", .url = "http://h.example/", .line = 9},
    };
    char *text;

    (void)state;
    memset(long_title, 't', sizeof(long_title) - 1);
    long_title[sizeof(long_title) - 1] = '\0';
    snprintf(long_url, sizeof(long_url), "http://e.example/%0250d", 0);
    text = print(f, 7);
    assert_non_null(strstr(text, "[feed \"blog\"]\nurl = http://a.example/\ntitle = Blog\n"
                                 "tags = tech, news\n"));
    assert_non_null(strstr(text, "[feed \"blog-2\"]\nurl = http://b.example/\ntitle = Blog\n"));
    assert_non_null(strstr(text, "url = http://c.example/\n"
                                 "# title of line 5 left out: it is longer than 190 characters\n"));
    assert_non_null(strstr(text, "url = http://d.example/\n"
                                 "# title of line 6 left out: it spans lines\n"));
    assert_non_null(
        strstr(text, "# outline of line 7 left out: its xmlUrl is longer than 190 characters\n"));
    assert_null(strstr(text, "e.example"));
    assert_non_null(strstr(text, "# outline of line 8 left out: its xmlUrl is not an http"));
    assert_null(strstr(text, "gopher:"));
    /* a title that is only the URL is not written */
    assert_non_null(strstr(text, "url = http://h.example/\n"));
    assert_null(strstr(text, "title = http://h.example/"));
    assert_null(strstr(text, "title = ttt"));
    free(text);
}

/* Many tags are spread over "tags =" lines that fit on a config line. */
static void test_print_many_tags(void **state)
{
    char *tags[OPML_TAGS_MAX + 1], buf[OPML_TAGS_MAX][32], *text;
    struct opml_feed f = {
        .title = "T", .url = "http://a.example/", .tags = tags, .n_tags = OPML_TAGS_MAX};
    size_t lines = 0, seen = 0;

    (void)state;
    for (size_t i = 0; i < OPML_TAGS_MAX; i++) {
        snprintf(buf[i], sizeof(buf[i]), "tag-number-%02zu", i);
        tags[i] = buf[i];
    }
    tags[OPML_TAGS_MAX] = NULL;
    text = print(&f, 1);
    for (const char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 198); /* inih's line buffer */
        if (strncmp(line, "tags = ", 7) != 0)
            continue;
        lines++;
        for (const char *p = line; p < nl; p++)
            seen += *p == ',';
        seen++;
    }
    assert_true(lines >= 2);
    assert_int_equal(seen, OPML_TAGS_MAX);
    assert_non_null(strstr(text, "tags = tag-number-00, tag-number-01,"));
    free(text);
}

/* ---- the config's `opml` key ------------------------------------------------- */

static void test_config_opml(void **state)
{
    struct config *c = NULL;
    struct buf errs;
    char text[1024];

    (void)state;
    write_file("subs.opml", fixture);
    snprintf(text, sizeof(text),
             "[herald]\n"
             "opml = subs.opml\n"
             "[feed \"blog\"]\n"
             "url = http://c.example/\n"
             "[feed \"a--title\"]\n"
             "url = http://z.example/\n"
             "[output \"tech\"]\n"
             "tags = Open-Source\n");
    buf_init(&errs, 1 << 16);
    /* gopher:// in the file is refused with its line */
    assert_int_equal(config_load(write_file("t.conf", text), &c, &errs), -EINVAL);
    assert_non_null(strstr(buf_cstr(&errs), "subs.opml:16: "));
    buf_release(&errs);

    {
        struct buf fixed;
        const char *g = strstr(fixture, "gopher://");

        buf_init(&fixed, 1 << 16);
        buf_append(&fixed, fixture, (size_t)(g - fixture));
        buf_puts(&fixed, "http://");
        buf_puts(&fixed, g + 9);
        write_file("subs.opml", buf_cstr(&fixed));
        buf_release(&fixed);
    }
    buf_init(&errs, 1 << 16);
    assert_int_equal(config_load(write_file("t.conf", text), &c, &errs), 0);
    buf_release(&errs);
    assert_int_equal(c->n_feeds, 2 + 3); /* c.example is configured already */
    assert_string_equal(c->feeds[2].name, "a--title-2");
    assert_string_equal(c->feeds[2].url, "http://a.example/feed?x=1&y=2");
    assert_string_equal(c->feeds[2].title, "A & title");
    assert_true(c->feeds[2].enabled);
    assert_int_equal(c->feeds[2].tags.n, 5);
    assert_string_equal(c->feeds[2].tags.v[2], "Open-Source");
    assert_null(c->feeds[2].tags.v[5]);
    assert_string_equal(c->feeds[3].name, "b-text");
    assert_string_equal(c->feeds[4].name, "gopher");
    assert_string_equal(c->feeds[4].url, "http://d.example/");
    assert_non_null(config_find_output(c, "tech"));
    config_free(c);

    write_file("subs.opml", "<opml>\n<body>\n<outline>\n</body></opml>");
    buf_init(&errs, 1 << 16);
    assert_int_equal(config_load(write_file("t.conf", text), &c, &errs), -EINVAL);
    assert_non_null(strstr(buf_cstr(&errs), "t.conf: "));
    assert_non_null(strstr(buf_cstr(&errs), "subs.opml:4: not well-formed XML"));
    buf_release(&errs);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[600];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_read_empty_body),
        cmocka_unit_test(test_entities_not_expanded),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_read_too_large),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_value_problem),
        cmocka_unit_test(test_print_sections),
        cmocka_unit_test(test_print_many_tags),
        cmocka_unit_test(test_config_opml),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
