/* Unit tests for store/: schema, ingest without duplicates, fetch state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

static char path[] = "/tmp/herald-test-store-XXXXXX";

static struct store *open_db(void)
{
    struct store *s = NULL;
    char err[256];

    if (store_open(path, &s, err, sizeof(err)) < 0)
        fail_msg("store_open: %s", err);
    return s;
}

static int setup(void **state)
{
    int fd;

    (void)state;
    strcpy(path + sizeof(path) - 7, "XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(path); /* let SQLite create it */
    return 0;
}

static int teardown(void **state)
{
    char p[sizeof(path) + 8];

    (void)state;
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    return 0;
}

static struct feed *doc_with(int n, const char *prefix, int64_t t0)
{
    struct feed *f = feed_new();

    model_set_str(&f->title, "Doc title");
    model_set_str(&f->link, "https://example.org/");
    for (int i = 0; i < n; i++) {
        struct entry *e = feed_add_entry(f);
        char buf[64];

        snprintf(buf, sizeof(buf), "%s-%d", prefix, i);
        model_set_str(&e->id, buf);
        snprintf(buf, sizeof(buf), "https://example.org/%s/%d", prefix, i);
        model_set_str(&e->link, buf);
        model_set_str(&e->title, buf);
        e->published = t0 + i * 60;
    }
    return f;
}

static struct store_poll ok_poll(int64_t now)
{
    return (struct store_poll){.status = 200,
                               .etag = "\"v1\"",
                               .last_modified = "Tue, 01 Dec 2026 00:00:00 GMT",
                               .polled_at = now,
                               .next_poll = now + 60};
}

static void test_ingest_is_idempotent(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll = ok_poll(2000000000);
    struct feed *doc = doc_with(3, "a", 1000000000);
    int64_t n;

    (void)state;
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(st->next_poll, 0);
    assert_null(st->etag);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 3);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 0);
    assert_int_equal(stats.unchanged, 3);
    assert_int_equal(store_count_entries(s, &n), 0);
    assert_int_equal(n, 3);

    /* A changed entry is updated in place, a new one added. */
    model_set_str(&doc->entries[1].title, "Corrected title");
    struct entry *e = feed_add_entry(doc);
    model_set_str(&e->link, "https://example.org/no-guid");
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.updated, 1);
    assert_int_equal(stats.unchanged, 2);
    assert_int_equal(store_count_entries(s, &n), 0);
    assert_int_equal(n, 4);

    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

static void test_state_survives_reopen(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(2000000000);
    struct feed *doc = doc_with(1, "x", 1000000000);

    (void)state;
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    store_feed_state_free(st);

    /* A failure keeps the validators and counts. */
    struct store_poll bad = {
        .status = 500, .error = "HTTP 500", .polled_at = 2000000100, .next_poll = 2000000200};
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(store_record_poll(s, st->id, &bad), 0);
    assert_int_equal(store_record_poll(s, st->id, &bad), 0);
    store_feed_state_free(st);
    store_close(s);

    s = open_db();
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_string_equal(st->etag, "\"v1\"");
    assert_string_equal(st->last_modified, "Tue, 01 Dec 2026 00:00:00 GMT");
    assert_string_equal(st->last_error, "HTTP 500");
    assert_int_equal(st->error_count, 2);
    assert_int_equal(st->last_status, 500);
    assert_int_equal(st->next_poll, 2000000200);
    store_feed_state_free(st);

    /* A 304 clears the error, keeps the validators. */
    struct store_poll nm = {.status = 304, .polled_at = 2000000300, .next_poll = 2000000400};
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(store_record_poll(s, st->id, &nm), 0);
    store_feed_state_free(st);
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_null(st->last_error);
    assert_int_equal(st->error_count, 0);
    assert_string_equal(st->etag, "\"v1\"");
    store_feed_state_free(st);

    /* A new URL forgets the validators and makes the feed due. */
    assert_int_equal(store_feed_register(s, "one", "https://example.org/moved", &st), 0);
    assert_null(st->etag);
    assert_int_equal(st->next_poll, 0);
    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

static void test_merged_order_limit_and_sources(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *a, *b;
    struct store_poll poll = ok_poll(2000000000);
    struct feed *da = doc_with(3, "a", 1000000000); /* t0, t0+60, t0+120 */
    struct feed *db = doc_with(2, "b", 1000000030); /* t0+30, t0+90 */
    struct feed *m;
    const char *order[] = {"a-2", "b-1", "a-1", "b-0", "a-0"};
    int64_t n;

    (void)state;
    model_set_str(&db->id, "urn:feed:b");
    assert_int_equal(store_feed_register(s, "a", "https://a.example/feed", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://b.example/feed", &b), 0);
    assert_int_equal(store_ingest(s, a->id, da, &poll, NULL), 0);
    assert_int_equal(store_ingest(s, b->id, db, &poll, NULL), 0);

    assert_int_equal(store_merged(s, 10, NULL, NULL, &m), 0);
    assert_int_equal(m->n_entries, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(m->entries[i].id, order[i]);
    assert_int_equal(m->updated, 1000000120);
    assert_string_equal(m->entries[0].source.title, "Doc title");
    assert_string_equal(m->entries[0].source.id, "https://a.example/feed");
    assert_string_equal(m->entries[1].source.id, "urn:feed:b");
    assert_string_equal(m->entries[1].source.url, "https://b.example/feed");
    feed_free(m);

    assert_int_equal(store_merged(s, 2, NULL, NULL, &m), 0);
    assert_int_equal(m->n_entries, 2);
    feed_free(m);

    /* Feeds no longer configured leave the merged output. */
    const char *keep[] = {"b"};
    assert_int_equal(store_feeds_retain(s, keep, 1), 0);
    assert_int_equal(store_merged(s, 10, NULL, NULL, &m), 0);
    assert_int_equal(m->n_entries, 2);
    assert_int_equal(store_count_entries(s, &n), 0);
    assert_int_equal(n, 2);
    feed_free(m);

    store_feed_state_free(a);
    store_feed_state_free(b);
    feed_free(da);
    feed_free(db);
    store_close(s);
}

static void test_schema_and_newer_version(void **state)
{
    struct store *s = open_db();
    sqlite3 *db;
    sqlite3_stmt *st;
    char err[256];

    (void)state;
    store_close(s);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_true(store_open(path, &s, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "newer"));
}

static void test_unwritable_path(void **state)
{
    struct store *s;
    char err[256];

    (void)state;
    assert_true(store_open("/nonexistent-dir/x.db", &s, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_order_limit_and_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_newer_version, setup, teardown),
        cmocka_unit_test(test_unwritable_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
