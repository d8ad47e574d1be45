/* Unit tests for feed/dedup: an entry's identity and fingerprint. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_prefers_guid_then_link),
        cmocka_unit_test(test_key_falls_back_to_content_hash),
        cmocka_unit_test(test_hash_tracks_every_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
