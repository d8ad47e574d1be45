/* Unit tests for feed/dedup: an entry's identity and fingerprint. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed/dedup.h"

static struct entry make(const char *id, const char *link, const char *title, const char *content)
{
    struct entry e = {.published = TIME_NONE, .updated = TIME_NONE};

    model_set_str(&e.id, id);
    model_set_str(&e.link, link);
    model_set_str(&e.title, title);
    model_set_str(&e.content, content);
    return e;
}

static void expect_key(struct entry *e, const char *want)
{
    char *key;

    assert_int_equal(dedup_entry_key(e, &key), 0);
    assert_string_equal(key, want);
    free(key);
    entry_release(e);
}

static void test_key_prefers_guid_then_link(void **state)
{
    struct entry a = make("guid-1", "https://e.org/1", "T", "C");
    struct entry b = make(NULL, "https://e.org/1", "T", "C");

    (void)state;
    expect_key(&a, "g:guid-1");
    expect_key(&b, "l:https://e.org/1");
}

static void test_key_falls_back_to_content_hash(void **state)
{
    struct entry a = make(NULL, NULL, "Title", "Body");
    struct entry b = make(NULL, NULL, "Title", "Body");
    struct entry c = make(NULL, NULL, "Title", "Other body");
    /* Field boundaries matter: ("ab","c") is not ("a","bc"). */
    struct entry d = make(NULL, NULL, "TitleB", "ody");
    char *ka, *kb, *kc, *kd;

    (void)state;
    assert_int_equal(dedup_entry_key(&a, &ka), 0);
    assert_int_equal(dedup_entry_key(&b, &kb), 0);
    assert_int_equal(dedup_entry_key(&c, &kc), 0);
    assert_int_equal(dedup_entry_key(&d, &kd), 0);
    assert_int_equal(strncmp(ka, "h:", 2), 0);
    assert_int_equal(strlen(ka), 2 + 64);
    assert_string_equal(ka, kb);
    assert_string_not_equal(ka, kc);
    assert_string_not_equal(ka, kd);
    free(ka);
    free(kb);
    free(kc);
    free(kd);
    entry_release(&a);
    entry_release(&b);
    entry_release(&c);
    entry_release(&d);
}

static void test_hash_tracks_every_field(void **state)
{
    struct entry a = make("g", "l", "t", "c");
    char h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];

    (void)state;
    assert_int_equal(dedup_entry_hash(&a, h1), 0);
    assert_int_equal(dedup_entry_hash(&a, h2), 0);
    assert_string_equal(h1, h2);
    a.updated = 1000;
    assert_int_equal(dedup_entry_hash(&a, h2), 0);
    assert_string_not_equal(h1, h2);
    a.updated = TIME_NONE;
    model_set_str(&a.author, "someone");
    assert_int_equal(dedup_entry_hash(&a, h2), 0);
    assert_string_not_equal(h1, h2);
    model_set_str(&a.author, NULL);
    model_set_str(&a.summary, "");
    assert_int_equal(dedup_entry_hash(&a, h2), 0);
    assert_string_not_equal(h1, h2); /* "" is not absent */
    entry_release(&a);
}

static void test_level_parse_and_name(void **state)
{
    enum dedup_level l = DEDUP_NONE;

    (void)state;
    assert_int_equal(dedup_level_parse("story", &l), 0);
    assert_int_equal(l, DEDUP_STORY);
    assert_int_equal(dedup_level_parse("link", &l), 0);
    assert_int_equal(l, DEDUP_LINK);
    assert_int_equal(dedup_level_parse("none", &l), 0);
    assert_int_equal(l, DEDUP_NONE);
    l = DEDUP_LINK;
    assert_int_equal(dedup_level_parse("Story", &l), -EINVAL);
    assert_int_equal(dedup_level_parse("", &l), -EINVAL);
    assert_int_equal(dedup_level_parse("stories", &l), -EINVAL);
    assert_int_equal(l, DEDUP_LINK); /* left alone on error */
    assert_string_equal(dedup_level_name(DEDUP_NONE), "none");
    assert_string_equal(dedup_level_name(DEDUP_LINK), "link");
    assert_string_equal(dedup_level_name(DEDUP_STORY), "story");
    /* Names and parsing agree. */
    for (int i = DEDUP_NONE; i <= DEDUP_STORY; i++) {
        assert_int_equal(dedup_level_parse(dedup_level_name((enum dedup_level)i), &l), 0);
        assert_int_equal(l, i);
    }
}

static const struct dedup_opts link_opts = {
    .canon = {.fold_scheme = true, .fold_slash = true},
    .fingerprint = false,
};

/* The canonical link dedup_prepare_entry() gives link (NULL: none). */
static void expect_canon(const char *link, const struct dedup_opts *o, const char *want)
{
    struct entry e = make(NULL, link, "T", NULL);

    assert_int_equal(dedup_prepare_entry(&e, o), 0);
    assert_true(e.prepared);
    if (want)
        assert_string_equal(e.canon, want);
    else
        assert_null(e.canon);
    /* The link itself is left as written. */
    if (link)
        assert_string_equal(e.link, link);
    entry_release(&e);
}

static void test_prepare_canonical_link(void **state)
{
    static const char *const strip[] = {"ref", NULL};
    const struct dedup_opts strip_ref = {.canon = {.strip = strip}};

    (void)state;
    /* Tracking parameters removed, other parameters kept in order. */
    expect_canon("https://Example.org/news/story-1/?utm_source=rss&id=7&utm_medium=feed#top",
                 &link_opts, "https://example.org/news/story-1?id=7");
    expect_canon("HTTP://example.org:80/a/./b/../c?fbclid=1&x=2&gclid=3&y=1", &link_opts,
                 "https://example.org/a/c?x=2&y=1");
    expect_canon("https://example.org/post?utm_campaign=x", &link_opts, "https://example.org/post");
    /* Without folding, the scheme and trailing slash stay. */
    expect_canon("http://example.org/news/story-1/?utm_source=rss", &(struct dedup_opts){0},
                 "http://example.org/news/story-1/");
    /* Extra names to strip. */
    expect_canon("https://example.org/a?ref=home&id=2", &strip_ref, "https://example.org/a?id=2");
    expect_canon("https://example.org/a?ref=home&id=2", &link_opts,
                 "https://example.org/a?ref=home&id=2");
    /* A site's root page is no canonical link, with or without tracking. */
    expect_canon("https://example.org/", &link_opts, NULL);
    expect_canon("https://example.org", &link_opts, NULL);
    expect_canon("http://EXAMPLE.org/?utm_source=rss", &link_opts, NULL);
    expect_canon("https://example.org/#comments", &link_opts, NULL);
    /* But a query on the root is a page ("?p=123"). */
    expect_canon("https://example.org/?p=123", &link_opts, "https://example.org/?p=123");
    /* Not http(s), or not absolute: none. */
    expect_canon("ftp://example.org/file.txt", &link_opts, NULL);
    expect_canon("mailto:news@example.org", &link_opts, NULL);
    expect_canon("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", &link_opts, NULL);
    expect_canon("/relative/path", &link_opts, NULL);
    expect_canon(NULL, &link_opts, NULL);
}

static void test_prepare_fingerprint(void **state)
{
    const char *title = "Central bank raises interest rates again";
    const char *summary = "<p>The deposit rate rises a quarter point to four percent.</p>";
    const char *content = "<p>Frankfurt policymakers lifted borrowing costs on Thursday.</p>";
    struct dedup_opts fp_opts = link_opts;
    struct story_fp want, other;
    struct entry e;

    (void)state;
    fp_opts.fingerprint = true;

    /* Off: no fingerprint, however long the text. */
    e = make("g", "https://example.org/a", title, content);
    model_set_str(&e.summary, summary);
    memset(&e.fp, 0xff, sizeof(e.fp));
    assert_int_equal(dedup_prepare_entry(&e, &link_opts), 0);
    assert_int_equal(e.fp.n_terms, 0);
    assert_string_equal(e.canon, "https://example.org/a");
    entry_release(&e);

    /* On: over the title and the summary, not the content. */
    e = make("g", "https://example.org/a", title, content);
    model_set_str(&e.summary, summary);
    assert_int_equal(dedup_prepare_entry(&e, &fp_opts), 0);
    story_fingerprint(title, summary, &want);
    story_fingerprint(title, content, &other);
    assert_true(want.n_terms >= STORY_MIN_TERMS);
    assert_int_equal(e.fp.n_terms, want.n_terms);
    assert_memory_equal(e.fp.term, want.term, want.n_terms * sizeof(want.term[0]));
    assert_memory_equal(e.fp.tf, want.tf, want.n_terms);
    assert_memory_not_equal(e.fp.term, other.term, want.n_terms * sizeof(want.term[0]));

    /* A prepared entry is left alone. */
    char *canon = e.canon;
    model_set_str(&e.title, "Something else entirely different here");
    assert_int_equal(dedup_prepare_entry(&e, &link_opts), 0);
    assert_ptr_equal(e.canon, canon);
    assert_int_equal(e.fp.n_terms, want.n_terms);
    entry_release(&e);

    /* Without a summary: the title and the content. */
    e = make("g", "https://example.org/a", title, content);
    assert_int_equal(dedup_prepare_entry(&e, &fp_opts), 0);
    assert_int_equal(e.fp.n_terms, other.n_terms);
    assert_memory_equal(e.fp.term, other.term, other.n_terms * sizeof(other.term[0]));
    entry_release(&e);

    /* Too little text: none. */
    e = make("g", "https://example.org/a", "Photos", NULL);
    assert_int_equal(dedup_prepare_entry(&e, &fp_opts), 0);
    assert_int_equal(e.fp.n_terms, 0);
    entry_release(&e);

    /* dedup_prepare() prepares every entry of a document. */
    struct feed *doc = feed_new();
    struct entry *x = feed_add_entry(doc);
    model_set_str(&x->link, "https://example.org/one?utm_source=a");
    x = feed_add_entry(doc);
    model_set_str(&x->link, "https://example.org/two/");
    model_set_str(&x->title, title);
    model_set_str(&x->summary, summary);
    assert_int_equal(dedup_prepare(doc, &fp_opts), 0);
    assert_true(doc->entries[0].prepared);
    assert_true(doc->entries[1].prepared);
    assert_string_equal(doc->entries[0].canon, "https://example.org/one");
    assert_string_equal(doc->entries[1].canon, "https://example.org/two");
    assert_int_equal(doc->entries[0].fp.n_terms, 0);
    assert_int_equal(doc->entries[1].fp.n_terms, want.n_terms);
    feed_free(doc);
}

static void test_hash_text_and_metadata_halves(void **state)
{
    struct entry a = make("guid-1", "https://example.org/1", "Title", "<p>Body</p>");
    char h0[HASH_HEX_LEN + 1], h[HASH_HEX_LEN + 1], f[HASH_HEX_LEN + 1];

    (void)state;
    model_set_str(&a.summary, "Summary");
    a.published = 1000000000;
    assert_int_equal(dedup_entry_hash(&a, h0), 0);
    assert_int_equal(strlen(h0), HASH_HEX_LEN);
    assert_int_equal(strspn(h0, "0123456789abcdef"), HASH_HEX_LEN);

    /* The stored fields give the same hash. */
    assert_int_equal(dedup_fields_hash("guid-1", "https://example.org/1", "Title", "Summary",
                                       "<p>Body</p>", NULL, 1000000000, TIME_NONE, f),
                     0);
    assert_string_equal(f, h0);

    /* Text changes: the first half changes. */
    model_set_str(&a.title, "Title, corrected");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_not_equal(h, h0, DEDUP_TEXT_HEX);
    model_set_str(&a.title, "Title");
    model_set_str(&a.summary, "Summary, longer");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_not_equal(h, h0, DEDUP_TEXT_HEX);
    model_set_str(&a.summary, "Summary");
    model_set_str(&a.content, "<p>Body, edited</p>");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_not_equal(h, h0, DEDUP_TEXT_HEX);
    model_set_str(&a.content, "<p>Body</p>");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_string_equal(h, h0);

    /* Metadata changes: the first half stays, the rest changes. */
    model_set_str(&a.id, "guid-2");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_equal(h, h0, DEDUP_TEXT_HEX);
    assert_memory_not_equal(h + DEDUP_TEXT_HEX, h0 + DEDUP_TEXT_HEX, HASH_HEX_LEN - DEDUP_TEXT_HEX);
    model_set_str(&a.id, "guid-1");
    model_set_str(&a.link, "https://example.org/1?utm_source=rss");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_equal(h, h0, DEDUP_TEXT_HEX);
    assert_memory_not_equal(h + DEDUP_TEXT_HEX, h0 + DEDUP_TEXT_HEX, HASH_HEX_LEN - DEDUP_TEXT_HEX);
    model_set_str(&a.link, "https://example.org/1");
    a.published = 1000000001;
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_equal(h, h0, DEDUP_TEXT_HEX);
    assert_memory_not_equal(h + DEDUP_TEXT_HEX, h0 + DEDUP_TEXT_HEX, HASH_HEX_LEN - DEDUP_TEXT_HEX);
    /* Text moved between summary and content is a text change. */
    a.published = 1000000000;
    model_set_str(&a.summary, "<p>Body</p>");
    model_set_str(&a.content, "Summary");
    assert_int_equal(dedup_entry_hash(&a, h), 0);
    assert_memory_not_equal(h, h0, DEDUP_TEXT_HEX);
    entry_release(&a);
}

/* The urn:sha256: id of an entry with neither id nor link is what readers
 * have stored: the value below was computed independently (Python's
 * hashlib: SHA-256 of title, summary, content, each followed by a NUL and
 * 0x01 for an absent one, first 32 hex digits; then the same over id,
 * link, author and "published/updated"). The change hash is not it. */
static void test_urn_hash_is_stable(void **state)
{
    struct entry a = make(NULL, NULL, "Title \xc3\xa9", "<p>Body</p>");
    char h[HASH_HEX_LEN + 1], c[HASH_HEX_LEN + 1];

    (void)state;
    model_set_str(&a.author, "Ann");
    a.published = 1700000000;
    assert_int_equal(dedup_entry_urn_hash(&a, h), 0);
    assert_string_equal(h, "09d32f8ac49792bf57576da3a45675e7c268fbfe07cf7c2f8b10206f0abc1c36");
    assert_int_equal(dedup_entry_hash(&a, c), 0);
    assert_int_equal(strlen(c), HASH_HEX_LEN);
    assert_string_not_equal(c, h);
    entry_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_prefers_guid_then_link),
        cmocka_unit_test(test_key_falls_back_to_content_hash),
        cmocka_unit_test(test_hash_tracks_every_field),
        cmocka_unit_test(test_level_parse_and_name),
        cmocka_unit_test(test_prepare_canonical_link),
        cmocka_unit_test(test_prepare_fingerprint),
        cmocka_unit_test(test_hash_text_and_metadata_halves),
        cmocka_unit_test(test_urn_hash_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
