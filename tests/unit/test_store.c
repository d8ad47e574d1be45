/* Unit tests for store/: schema, ingest without duplicates, fetch state. */
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

    assert_int_equal(store_merged(s, &(struct store_merged_opts){.limit = 10}, &m), 0);
    assert_int_equal(m->n_entries, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(m->entries[i].id, order[i]);
    assert_int_equal(m->updated, 1000000120);
    assert_string_equal(m->entries[0].source.title, "Doc title");
    assert_string_equal(m->entries[0].source.id, "https://a.example/feed");
    assert_string_equal(m->entries[1].source.id, "urn:feed:b");
    assert_string_equal(m->entries[1].source.url, "https://b.example/feed");
    feed_free(m);

    assert_int_equal(store_merged(s, &(struct store_merged_opts){.limit = 2}, &m), 0);
    assert_int_equal(m->n_entries, 2);
    feed_free(m);

    /* Feeds no longer configured leave the merged output. */
    const char *keep[] = {"b"};
    assert_int_equal(store_feeds_retain(s, keep, 1), 0);
    assert_int_equal(store_merged(s, &(struct store_merged_opts){.limit = 10}, &m), 0);
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

/* An int64 from a one-value query. */
static int64_t query_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A database as heraldd 0.1 (schema 1) left it. */
static void write_version_1(void)
{
    sqlite3 *db;
    static const char v1[] =
        "PRAGMA journal_mode = WAL;"
        "CREATE TABLE feeds (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL,"
        " active INTEGER NOT NULL DEFAULT 1, title TEXT, site_link TEXT, self_link TEXT, uid TEXT,"
        " updated INTEGER, etag TEXT, last_modified TEXT, last_status INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT, error_count INTEGER NOT NULL DEFAULT 0, last_poll INTEGER,"
        " last_success INTEGER, next_poll INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE entries (id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL REFERENCES"
        " feeds(id) ON DELETE CASCADE, key TEXT NOT NULL, guid TEXT, link TEXT, title TEXT,"
        " summary TEXT, content TEXT, author TEXT, published INTEGER, updated INTEGER,"
        " first_seen INTEGER NOT NULL, sort_time INTEGER NOT NULL, hash TEXT NOT NULL,"
        " UNIQUE (feed_id, key));"
        "CREATE INDEX entries_by_time ON entries (sort_time DESC, id DESC);"
        "INSERT INTO feeds (name, url, etag, last_status, next_poll)"
        " VALUES ('old', 'https://old.example/feed', '\"e1\"', 200, 2000000500);"
        "INSERT INTO entries (feed_id, key, link, title, first_seen, sort_time, hash)"
        " VALUES (1, 'l:http://old.example/post/?utm_source=rss', 'http://old.example/post/"
        "?utm_source=rss', 'Old', 1, 1, 'h');"
        "PRAGMA user_version = 1;";

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, v1, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void test_migration_from_version_1(void **state)
{
    struct store *s;
    struct store_feed_state *st;
    int64_t n;

    (void)state;
    write_version_1();
    s = open_db();
    assert_int_equal(query_int("PRAGMA user_version"), 3);
    /* Migration 3: canonical links, link keys and change hashes. */
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE key ="
                               " 'l:https://old.example/post' AND canon = 'https://old.example/post'"
                               " AND length(hash) = 64"),
                     1);
    assert_int_equal(query_int("SELECT count(*) FROM feeds WHERE config_url = url"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events"), 0);
    assert_int_equal(store_feed_register(s, "old", "https://old.example/feed", &st), 0);
    assert_string_equal(st->url, "https://old.example/feed");
    assert_string_equal(st->etag, "\"e1\"");
    assert_int_equal(st->next_poll, 2000000500);
    assert_false(st->gone);
    assert_null(st->body_hash);
    assert_int_equal(store_count_entries(s, &n), 0);
    assert_int_equal(n, 1);
    store_feed_state_free(st);
    store_close(s);
}

static void test_moved_feed_keeps_its_new_url(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct feed *doc = doc_with(1, "m", 1000000000);
    struct store_poll poll = ok_poll(2000000000);

    (void)state;
    assert_int_equal(store_feed_register(s, "m", "https://a.example/old", &st), 0);
    poll.moved_to = "https://a.example/new";
    poll.body_hash = "abc";
    poll.body_size = 1234;
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    store_feed_state_free(st);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'moved'"
                               " AND detail = 'https://a.example/new' AND at = 2000000000"),
                     1);

    /* A restart with the same configured URL keeps the move. */
    store_close(s);
    s = open_db();
    assert_int_equal(store_feed_register(s, "m", "https://a.example/old", &st), 0);
    assert_string_equal(st->url, "https://a.example/new");
    assert_string_equal(st->etag, "\"v1\"");
    assert_string_equal(st->body_hash, "abc");
    assert_int_equal(st->body_size, 1234);
    store_feed_state_free(st);

    /* A new configured URL wins over the move and starts afresh. */
    assert_int_equal(store_feed_register(s, "m", "https://b.example/feed", &st), 0);
    assert_string_equal(st->url, "https://b.example/feed");
    assert_null(st->etag);
    assert_null(st->body_hash);
    assert_int_equal(st->next_poll, 0);
    store_feed_state_free(st);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'configured'"), 1);
    feed_free(doc);
    store_close(s);
}

static void test_gone_until_the_url_changes(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_poll gone = {.status = 410,
                              .error = "HTTP 410 (gone)",
                              .error_class = "http",
                              .gone = true,
                              .polled_at = 2000000000,
                              .next_poll = 2000000060};

    (void)state;
    assert_int_equal(store_feed_register(s, "g", "https://g.example/feed", &st), 0);
    assert_int_equal(store_record_poll(s, st->id, &gone), 0);
    store_feed_state_free(st);
    assert_int_equal(store_feed_register(s, "g", "https://g.example/feed", &st), 0);
    assert_true(st->gone);
    assert_string_equal(st->error_class, "http");
    assert_string_equal(st->last_error, "HTTP 410 (gone)");
    store_feed_state_free(st);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'gone'"), 1);

    assert_int_equal(store_feed_register(s, "g", "https://g.example/new-feed", &st), 0);
    assert_false(st->gone);
    store_feed_state_free(st);
    store_close(s);
}

static void test_politeness_counters(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_feed_info *info;
    struct feed *doc = doc_with(2, "p", 1000000000);
    struct store_poll poll = ok_poll(2000000000);
    struct store_poll nm = {.status = 304, .polled_at = 2000000100, .next_poll = 2000000200};
    struct store_poll same = {.status = 200,
                              .unchanged = true,
                              .etag = "\"v2\"",
                              .body_size = 1000,
                              .polled_at = 2000000200,
                              .next_poll = 2000000300,
                              .hint = 3600,
                              .hint_source = "max-age"};
    struct store_poll slow = {.status = 429,
                              .error = "HTTP 429",
                              .error_class = "http",
                              .retry_after = 2000000900,
                              .polled_at = 2000000300,
                              .next_poll = 2000000900};

    (void)state;
    assert_int_equal(store_feed_register(s, "p", "https://p.example/feed", &st), 0);
    poll.body_size = 1000;
    poll.body_hash = "h1";
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_int_equal(store_record_poll(s, st->id, &nm), 0);
    assert_int_equal(store_record_poll(s, st->id, &same), 0);
    assert_int_equal(store_feed_info(s, "p", &info), 0);
    assert_string_equal(info->last_outcome, "unchanged");
    assert_int_equal(info->last_status, 200);
    assert_int_equal(info->hint, 3600);
    assert_string_equal(info->hint_source, "max-age");
    store_feed_info_free(info);
    assert_int_equal(store_record_poll(s, st->id, &slow), 0);

    assert_int_equal(store_feed_info(s, "p", &info), 0);
    assert_int_equal(info->polls, 4);
    assert_int_equal(info->not_modified, 2);
    assert_int_equal(info->bytes_saved, 2000);
    assert_int_equal(info->throttled, 1);
    assert_int_equal(info->retry_after, 2000000900);
    assert_int_equal(info->entries, 2);
    assert_int_equal(info->error_count, 1);
    assert_string_equal(info->error_class, "http");
    assert_string_equal(info->last_outcome, "error");
    assert_int_equal(info->last_success, 2000000200);
    assert_int_equal(info->next_poll - info->last_poll, 600);
    assert_int_equal(info->hint, 0);
    assert_string_equal(info->config_url, "https://p.example/feed");
    store_feed_info_free(info);
    assert_int_equal(store_feed_info(s, "nope", &info), -ENOENT);
    store_feed_state_free(st);

    /* The unchanged 200 replaced the validators (it is a 200). */
    assert_int_equal(store_feed_register(s, "p", "https://p.example/feed", &st), 0);
    assert_string_equal(st->etag, "\"v2\"");
    assert_null(st->last_modified);
    assert_string_equal(st->body_hash, "h1");
    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);

    /* Read-only: the status is readable, nothing writable. */
    assert_int_equal(store_open_readonly(path, &s, (char[256]){0}, 256), 0);
    assert_int_equal(store_feed_info(s, "p", &info), 0);
    assert_int_equal(info->polls, 4);
    store_feed_info_free(info);
    assert_int_equal(store_feed_register(s, "q", "https://q.example/", &st), -EROFS);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_order_limit_and_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_newer_version, setup, teardown),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test_setup_teardown(test_migration_from_version_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_feed_keeps_its_new_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_until_the_url_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_politeness_counters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
