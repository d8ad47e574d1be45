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
    assert_int_equal(query_int("PRAGMA user_version"), 8);
    /* Migration 3: canonical links, link keys and change hashes. */
    assert_int_equal(
        query_int("SELECT count(*) FROM entries WHERE key ="
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

/* Migration 8: the change hashes of a schema 7 database (SHA-256) are
 * recomputed, so the next poll finds its entries unchanged, not revised. */
static void test_migration_8_rehashes(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll = ok_poll(2000000000);
    struct feed *doc = doc_with(3, "m", 1000000000);
    char want[HASH_HEX_LEN + 1], sql[256];
    sqlite3 *db;

    (void)state;
    poll.body_hash = "ab12";
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 3);
    store_feed_state_free(st);
    store_close(s);
    /* As schema 7 left them: SHA-256 change hashes (the urn layout). */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dedup_entry_urn_hash(&doc->entries[i], want), 0);
        snprintf(sql, sizeof(sql), "UPDATE entries SET hash = '%s' WHERE guid = 'm-%d'", want, i);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    s = open_db();
    assert_int_equal(query_int("PRAGMA user_version"), 8);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dedup_entry_hash(&doc->entries[i], want), 0);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM entries WHERE guid = 'm-%d' AND hash = '%s'", i, want);
        assert_int_equal(query_int(sql), 1);
    }
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_null(st->body_hash);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.unchanged, 3);
    assert_int_equal(stats.updated, 0);
    store_feed_state_free(st);
    feed_free(doc);
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

/* ---- dedup ------------------------------------------------------------------ */

#define T1 1700000000 /* when the dedup tests' stories happen */

/* Two outlets' takes on one central bank decision. */
#define ECB_A_TITLE "ECB raises interest rates to 4% in tenth straight hike"
#define ECB_A_LEAD                                                                                 \
    "<p>The European Central Bank raised its key deposit rate by a quarter point to 4% on "        \
    "Thursday, its tenth consecutive increase, and signalled that borrowing costs may now have "   \
    "peaked as inflation in the euro zone slows.</p>"
#define ECB_B_TITLE "European Central Bank lifts deposit rate to record 4 percent"
#define ECB_B_LEAD                                                                                 \
    "<p>Frankfurt - The ECB on Thursday raised its deposit rate by 25 basis points to 4%, a "      \
    "tenth straight hike, but President Christine Lagarde hinted that rates may have peaked "      \
    "with euro zone inflation cooling.</p>"
#define STORM_TITLE "Storm Ciarán batters Cornwall with record winds"
#define STORM_LEAD                                                                                 \
    "Gusts of more than 100 mph hit the coast of Cornwall overnight as Storm Ciarán brought "     \
    "flooding and power cuts to thousands of homes, the Met Office said."

static struct entry *add_item(struct feed *f, const char *guid, const char *link, const char *title,
                              const char *summary, int64_t published)
{
    struct entry *e = feed_add_entry(f);

    assert_non_null(e);
    model_set_str(&e->id, guid);
    model_set_str(&e->link, link);
    model_set_str(&e->title, title);
    model_set_str(&e->summary, summary);
    e->published = published;
    return e;
}

static struct feed *new_doc(const char *title)
{
    struct feed *f = feed_new();

    model_set_str(&f->title, title);
    return f;
}

static void set_level(struct store *s, enum dedup_level level)
{
    struct store_dedup d = *store_get_dedup(s);

    d.level = level;
    store_set_dedup(s, &d);
}

static struct feed *merged(struct store *s, enum dedup_level level)
{
    struct feed *m = NULL;

    assert_int_equal(store_merged(s, &(struct store_merged_opts){.level = level, .limit = 50}, &m),
                     0);
    return m;
}

/* The entry of m whose id is guid (fails when none). */
static const struct entry *by_guid(const struct feed *m, const char *guid)
{
    for (size_t i = 0; i < m->n_entries; i++)
        if (m->entries[i].id && strcmp(m->entries[i].id, guid) == 0)
            return &m->entries[i];
    fail_msg("no entry %s in the merged output", guid);
    return NULL;
}

static void exec_sql(const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

#define LINK_A "https://news.example/2026/11/budget-vote"
#define LINK_B "http://news.example/2026/11/budget-vote/?utm_source=rss&utm_medium=feed"

/* Feed a and feed b link the same article; b's link has tracking. */
static void ingest_same_link(struct store *s, struct store_ingest_stats *stats_b)
{
    struct store_feed_state *a, *b;
    struct store_poll poll = ok_poll(T1 + 3600);
    struct feed *da = new_doc("Feed A"), *db = new_doc("Feed B");

    assert_int_equal(store_feed_register(s, "a", "https://a.example/feed", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://b.example/feed", &b), 0);
    add_item(da, "a-1", LINK_A, "Parliament approves the budget", NULL, T1);
    add_item(da, "a-2", "https://news.example/2026/11/weather", "Snow expected", NULL, T1 + 10);
    add_item(db, "b-1", LINK_B, "Budget passes after late-night session", NULL, T1 + 600);
    assert_int_equal(store_ingest(s, a->id, da, &poll, NULL), 0);
    assert_int_equal(store_ingest(s, b->id, db, &poll, stats_b), 0);
    store_feed_state_free(a);
    store_feed_state_free(b);
    feed_free(da);
    feed_free(db);
}

static void check_same_link_folded(enum dedup_level ingest_level)
{
    struct store *s = open_db();
    struct store_ingest_stats stats;
    struct feed *m;
    const struct entry *e;

    set_level(s, ingest_level);
    ingest_same_link(s, &stats);
    assert_int_equal(stats.seen, 1);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.merged, 1);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 3);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE story_rule = 'link'"), 1);

    for (enum dedup_level out = DEDUP_LINK; out <= DEDUP_STORY; out++) {
        m = merged(s, out);
        assert_int_equal(m->n_entries, 2);
        /* The story sorts by its representative, the earliest entry. */
        assert_string_equal(m->entries[0].id, "a-2");
        assert_int_equal(m->entries[0].n_related, 0);
        e = &m->entries[1];
        assert_string_equal(e->id, "a-1");
        assert_string_equal(e->link, LINK_A);
        assert_string_equal(e->source.title, "Feed A");
        assert_int_equal(e->n_related, 1);
        assert_string_equal(e->related[0].link, LINK_B);
        assert_string_equal(e->related[0].title, "Budget passes after late-night session");
        assert_string_equal(e->related[0].source.title, "Feed B");
        assert_string_equal(e->related[0].source.url, "https://b.example/feed");
        feed_free(m);
    }
    m = merged(s, DEDUP_NONE);
    assert_int_equal(m->n_entries, 3);
    assert_string_equal(m->entries[0].id, "b-1");
    for (size_t i = 0; i < m->n_entries; i++)
        assert_int_equal(m->entries[i].n_related, 0);
    feed_free(m);
    store_close(s);
}

static void test_same_link_across_feeds_at_link(void **state)
{
    (void)state;
    check_same_link_folded(DEDUP_LINK);
}

static void test_same_link_across_feeds_at_story(void **state)
{
    (void)state;
    check_same_link_folded(DEDUP_STORY);
}

static void test_same_link_not_folded_at_none(void **state)
{
    struct store *s = open_db();
    struct store_ingest_stats stats;
    struct feed *m;

    (void)state;
    set_level(s, DEDUP_NONE);
    ingest_same_link(s, &stats);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.merged, 0);
    /* Nothing was grouped at ingest, so no output folds it. */
    m = merged(s, DEDUP_LINK);
    assert_int_equal(m->n_entries, 3);
    feed_free(m);
    m = merged(s, DEDUP_STORY);
    assert_int_equal(m->n_entries, 3);
    feed_free(m);
    store_close(s);
}

static void test_dedup_prefer(void **state)
{
    struct store *s = open_db();
    struct feed *m;
    const char *prefer_b[] = {"b"};
    const char *prefer_c_a[] = {"c", "a", "b"};

    (void)state;
    ingest_same_link(s, NULL);
    assert_int_equal(
        store_merged(s,
                     &(struct store_merged_opts){
                         .level = DEDUP_LINK, .limit = 50, .prefer = prefer_b, .n_prefer = 1},
                     &m),
        0);
    assert_int_equal(m->n_entries, 2);
    /* b's entry represents the story, and it sorts by b's time. */
    assert_string_equal(m->entries[0].id, "b-1");
    assert_string_equal(m->entries[0].link, LINK_B);
    assert_string_equal(m->entries[0].source.title, "Feed B");
    assert_int_equal(m->entries[0].n_related, 1);
    assert_string_equal(m->entries[0].related[0].link, LINK_A);
    assert_string_equal(m->entries[0].related[0].source.title, "Feed A");
    assert_string_equal(m->entries[1].id, "a-2");
    feed_free(m);

    assert_int_equal(
        store_merged(s,
                     &(struct store_merged_opts){
                         .level = DEDUP_STORY, .limit = 50, .prefer = prefer_c_a, .n_prefer = 3},
                     &m),
        0);
    assert_int_equal(m->n_entries, 2);
    assert_string_equal(by_guid(m, "a-1")->related[0].link, LINK_B);
    feed_free(m);
    store_close(s);
}

static void test_guid_churn_switches_to_link(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll = ok_poll(T1);
    struct feed *doc = doc_with(3, "c", T1 - 3600);
    char guid[64];

    (void)state;
    assert_int_equal(store_feed_register(s, "c", "https://c.example/feed", &st), 0);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 3);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 3);

    /* Two entries get new guids: the same entries, below the threshold. */
    for (int i = 0; i < 2; i++) {
        snprintf(guid, sizeof(guid), "c-%d-v2", i);
        model_set_str(&doc->entries[i].id, guid);
    }
    poll = ok_poll(T1 + 100);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 0);
    assert_int_equal(stats.churned, 2);
    assert_int_equal(stats.updated, 2);
    assert_int_equal(stats.unchanged, 1);
    assert_null(stats.identity_switch);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 3);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE id_rule ="
                               " 'link (guid changed)' AND guid LIKE '%-v2'"),
                     2);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'identity'"), 0);
    assert_int_equal(query_int("SELECT count(*) FROM feeds WHERE id_mode = 'guid'"), 1);

    /* All three re-published with new guids, and one new entry: the
     * threshold is reached in this poll. */
    for (int i = 0; i < 3; i++) {
        snprintf(guid, sizeof(guid), "c-%d-v3", i);
        model_set_str(&doc->entries[i].id, guid);
    }
    add_item(doc, "c-new", "https://example.org/c/new", "A genuinely new entry", NULL, T1);
    poll = ok_poll(T1 + 200);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.seen, 4);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.churned, 3);
    assert_non_null(stats.identity_switch);
    assert_string_equal(stats.identity_switch, "link");
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 4);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'identity'"
                               " AND at = 1700000200 AND detail LIKE 'link%'"),
                     1);
    assert_int_equal(query_int("SELECT count(*) FROM feeds WHERE id_mode = 'link'"), 1);

    /* Yet other guids: still nothing new, and no second switch. */
    for (int i = 0; i < 3; i++) {
        snprintf(guid, sizeof(guid), "c-%d-v4", i);
        model_set_str(&doc->entries[i].id, guid);
    }
    poll = ok_poll(T1 + 300);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 0);
    assert_null(stats.identity_switch);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 4);
    assert_int_equal(query_int("SELECT count(*) FROM feed_events WHERE kind = 'identity'"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE key LIKE 'l:%'"), 4);

    /* And the same document again adds nothing. */
    poll = ok_poll(T1 + 400);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 0);
    assert_int_equal(stats.churned, 0);
    assert_null(stats.identity_switch);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 4);

    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

/* A re-fetch of the same document writes no entry, whatever the length
 * of the entries' keys. */
static void test_refetch_with_long_keys_is_unchanged(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll;

    (void)state;
    assert_int_equal(store_feed_register(s, "l", "https://l.example/feed", &st), 0);
    for (int i = 0; i < 2; i++) {
        struct feed *doc = new_doc("Feed L");

        add_item(doc, "https://l.example/posts/a-rather-long-guid-1", "https://l.example/p/1",
                 "Post one", "<p>One.</p>", T1 - 60);
        add_item(doc, NULL, "https://l.example/p/2", "Post two", "<p>Two.</p>", T1 - 30);
        poll = ok_poll(T1 + i * 100);
        assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
        assert_int_equal(stats.added, i == 0 ? 2 : 0);
        assert_int_equal(stats.updated, 0);
        assert_int_equal(stats.unchanged, i == 0 ? 0 : 2);
        feed_free(doc);
    }
    store_feed_state_free(st);
    store_close(s);
}

/* An empty database reads as an empty output at every level. */
static void test_merged_empty_at_every_level(void **state)
{
    struct store *s = open_db();

    (void)state;
    for (int l = DEDUP_NONE; l <= DEDUP_STORY; l++) {
        struct store_merged_opts o = {.level = (enum dedup_level)l, .limit = 10};
        struct feed *m;

        assert_int_equal(store_merged(s, &o, &m), 0);
        assert_int_equal(m->n_entries, 0);
        assert_int_equal(m->updated, TIME_NONE);
        feed_free(m);
    }
    store_close(s);
}

static void test_tracking_params_same_entry(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll = ok_poll(T1);
    const char *links[] = {
        "https://example.org/post/1",
        "https://example.org/post/1?utm_source=rss&utm_medium=feed&utm_campaign=x",
        "http://example.org/post/1/?fbclid=abc#comments",
    };

    (void)state;
    assert_int_equal(store_feed_register(s, "d", "https://d.example/feed", &st), 0);
    for (int i = 0; i < 3; i++) {
        struct feed *doc = new_doc("Feed D");

        add_item(doc, NULL, links[i], "Post one", "<p>The first post.</p>", T1 - 60);
        poll = ok_poll(T1 + i * 100);
        assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
        assert_int_equal(stats.added, i == 0 ? 1 : 0);
        assert_int_equal(stats.updated, i == 0 ? 0 : 1);
        assert_int_equal(stats.churned, 0);
        feed_free(doc);
    }
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM entries"
                               " WHERE key = 'l:https://example.org/post/1'"),
                     1);
    /* Only the link changed: no revision of the text. */
    assert_int_equal(query_int("SELECT revisions FROM entries"), 0);
    assert_int_equal(query_int("SELECT revised IS NULL FROM entries"), 1);

    /* Another path is another entry. */
    struct feed *doc = new_doc("Feed D");
    add_item(doc, NULL, "https://example.org/post/2?utm_source=rss", "Post two", NULL, T1);
    poll = ok_poll(T1 + 400);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 1);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 2);
    feed_free(doc);
    store_feed_state_free(st);
    store_close(s);
}

static void test_story_level_paraphrase(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *a, *b, *c;
    struct store_ingest_stats stats;
    struct store_poll poll;
    struct feed *da = new_doc("Feed A"), *db = new_doc("Feed B"), *dc = new_doc("Feed C");
    struct feed *m;
    const struct entry *e;
    int64_t a_id, b_id, ref_entry, ref_story;
    double sim;

    (void)state;
    assert_int_equal(store_feed_register(s, "a", "https://a.example/feed", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://b.example/feed", &b), 0);
    assert_int_equal(store_feed_register(s, "c", "https://c.example/feed", &c), 0);

    add_item(da, "a-ecb", "https://a.example/markets/ecb-hike", ECB_A_TITLE, ECB_A_LEAD, T1);
    add_item(da, "a-storm", "https://a.example/uk/storm", STORM_TITLE, STORM_LEAD, T1 + 60);
    poll = ok_poll(T1 + 600);
    assert_int_equal(store_ingest(s, a->id, da, &poll, &stats), 0);
    assert_int_equal(stats.added, 2);
    assert_int_equal(stats.merged, 0);

    /* Another outlet, in other words, half an hour later. */
    add_item(db, "b-ecb", "https://b.example/2023/11/ecb-rates", ECB_B_TITLE, ECB_B_LEAD,
             T1 + 1800);
    poll = ok_poll(T1 + 3600);
    assert_int_equal(store_ingest(s, b->id, db, &poll, &stats), 0);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.merged, 1);
    a_id = query_int("SELECT id FROM entries WHERE guid = 'a-ecb'");
    b_id = query_int("SELECT id FROM entries WHERE guid = 'b-ecb'");
    assert_int_equal(query_int("SELECT story FROM entries WHERE guid = 'b-ecb'"), a_id);
    assert_int_equal(query_int("SELECT coalesce(story, id) FROM entries WHERE guid = 'a-ecb'"),
                     a_id);
    assert_int_equal(query_int("SELECT story_ref FROM entries WHERE guid = 'b-ecb'"), a_id);
    assert_int_equal(query_int("SELECT story_rule = 'story' FROM entries WHERE guid = 'b-ecb'"), 1);
    assert_true(query_int("SELECT story_sim FROM entries WHERE guid = 'b-ecb'") >= 20);
    assert_int_equal(query_int("SELECT story IS NULL FROM entries WHERE guid = 'a-storm'"), 1);

    m = merged(s, DEDUP_STORY);
    assert_int_equal(m->n_entries, 2);
    e = by_guid(m, "a-ecb");
    assert_int_equal(e->n_related, 1);
    assert_string_equal(e->related[0].link, "https://b.example/2023/11/ecb-rates");
    assert_string_equal(e->related[0].title, ECB_B_TITLE);
    assert_int_equal(by_guid(m, "a-storm")->n_related, 0);
    feed_free(m);
    m = merged(s, DEDUP_LINK);
    assert_int_equal(m->n_entries, 3);
    for (size_t i = 0; i < m->n_entries; i++)
        assert_int_equal(m->entries[i].n_related, 0);
    feed_free(m);

    /* The lookup alone, as ingest would do it, for an entry of feed c. */
    struct entry probe = {.published = T1 + 2000, .updated = TIME_NONE};
    model_set_str(&probe.title, ECB_B_TITLE);
    model_set_str(&probe.summary, ECB_B_LEAD);
    assert_int_equal(store_story_lookup(s, &probe, c->id, T1 + 3600, &ref_entry, &ref_story, &sim),
                     1);
    assert_int_equal(ref_entry, b_id); /* the same words */
    assert_int_equal(ref_story, a_id);
    assert_float_equal(sim, 1.0, 1e-9);
    entry_release(&probe);
    probe = (struct entry){.published = T1 + 2000, .updated = TIME_NONE};
    model_set_str(&probe.title, ECB_A_TITLE);
    model_set_str(&probe.summary, ECB_A_LEAD);
    assert_int_equal(store_story_lookup(s, &probe, c->id, T1 + 3600, &ref_entry, &ref_story, &sim),
                     1);
    assert_int_equal(ref_entry, a_id);
    assert_int_equal(ref_story, a_id);
    entry_release(&probe);

    /* The same words as a's, ten days later: another story. */
    add_item(dc, "c-ecb", "https://c.example/ecb", ECB_A_TITLE, ECB_A_LEAD, T1 + 10 * 86400);
    poll = ok_poll(T1 + 10 * 86400 + 600);
    assert_int_equal(store_ingest(s, c->id, dc, &poll, &stats), 0);
    assert_int_equal(stats.added, 1);
    assert_int_equal(stats.merged, 0);
    assert_int_equal(query_int("SELECT story_rule IS NULL FROM entries WHERE guid = 'c-ecb'"), 1);
    m = merged(s, DEDUP_STORY);
    assert_int_equal(m->n_entries, 3);
    assert_string_equal(m->entries[0].id, "c-ecb");
    assert_int_equal(m->entries[0].n_related, 0);
    assert_int_equal(by_guid(m, "a-ecb")->n_related, 1);
    feed_free(m);

    store_feed_state_free(a);
    store_feed_state_free(b);
    store_feed_state_free(c);
    feed_free(da);
    feed_free(db);
    feed_free(dc);
    store_close(s);
}

static void test_update_in_place(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_ingest_stats stats;
    struct store_poll poll;
    struct feed *doc, *m;
    const int64_t p1 = T1 + 600, p2 = T1 + 7200, p3 = T1 + 9000, p4 = T1 + 20000;

    (void)state;
    assert_int_equal(store_feed_register(s, "f", "https://f.example/feed", &st), 0);
    doc = new_doc("Feed F");
    add_item(doc, "f-1", "https://f.example/1", "Original title", "<p>Text.</p>", T1);
    poll = ok_poll(p1);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 1);
    feed_free(doc);
    /* Count the writes to entries from here on. */
    exec_sql("CREATE TABLE test_writes (op TEXT);"
             "CREATE TRIGGER test_ins AFTER INSERT ON entries"
             " BEGIN INSERT INTO test_writes VALUES ('insert'); END;"
             /* Content writes; last_seen (retention) is written on purpose. */
             "CREATE TRIGGER test_upd AFTER UPDATE OF key, guid, link, title, summary, content,"
             " author, published, updated, hash, sort_time ON entries"
             " BEGIN INSERT INTO test_writes VALUES ('update'); END;");

    /* The title corrected, no updated date from the feed. */
    doc = new_doc("Feed F");
    add_item(doc, "f-1", "https://f.example/1", "Corrected title", "<p>Text.</p>", T1);
    poll = ok_poll(p2);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.added, 0);
    assert_int_equal(stats.updated, 1);
    assert_int_equal(stats.unchanged, 0);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM test_writes WHERE op = 'update'"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM test_writes WHERE op = 'insert'"), 0);
    assert_int_equal(query_int("SELECT revisions FROM entries"), 1);
    assert_int_equal(query_int("SELECT revised FROM entries"), p2);
    assert_int_equal(query_int("SELECT first_seen FROM entries"), p1);
    m = merged(s, DEDUP_NONE);
    assert_int_equal(m->n_entries, 1);
    assert_string_equal(m->entries[0].title, "Corrected title");
    assert_int_equal(m->entries[0].published, T1);
    assert_int_equal(m->entries[0].updated, p2);
    assert_int_equal(m->updated, p2);
    feed_free(m);

    /* The same again: unchanged, nothing written to entries. */
    poll = ok_poll(p3);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.unchanged, 1);
    assert_int_equal(stats.updated, 0);
    assert_int_equal(stats.added, 0);
    assert_int_equal(query_int("SELECT count(*) FROM test_writes"), 1);
    assert_int_equal(query_int("SELECT revisions FROM entries"), 1);
    assert_int_equal(query_int("SELECT last_seen FROM entries"), p3); /* seen in the document */
    m = merged(s, DEDUP_NONE);
    assert_int_equal(m->entries[0].updated, p2);
    feed_free(m);
    feed_free(doc);

    /* A change the feed dates itself: its date, not the poll's. */
    doc = new_doc("Feed F");
    add_item(doc, "f-1", "https://f.example/1", "Corrected again", "<p>Text.</p>", T1)->updated =
        p4 - 100;
    poll = ok_poll(p4);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, &stats), 0);
    assert_int_equal(stats.updated, 1);
    assert_int_equal(query_int("SELECT revisions FROM entries"), 2);
    m = merged(s, DEDUP_NONE);
    assert_string_equal(m->entries[0].title, "Corrected again");
    assert_int_equal(m->entries[0].updated, p4 - 100);
    feed_free(m);
    feed_free(doc);

    store_feed_state_free(st);
    store_close(s);
}

#define WHY_LINK "https://news.example/markets/ecb-hike"

static void test_why(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *a, *b, *c;
    struct store_poll poll = ok_poll(T1 + 3600);
    struct feed *da = new_doc("Feed A"), *db = new_doc("Feed B"), *dc = new_doc("Feed C");
    struct store_why *w;
    int64_t a_id, b_id, c_id;
    char q[32];

    (void)state;
    assert_int_equal(store_feed_register(s, "a", "https://a.example/feed", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://b.example/feed", &b), 0);
    assert_int_equal(store_feed_register(s, "c", "https://c.example/feed", &c), 0);
    add_item(da, "a-ecb", WHY_LINK, ECB_A_TITLE, ECB_A_LEAD, T1);
    add_item(db, "b-ecb", WHY_LINK "?utm_source=rss", "ECB hikes", NULL, T1 + 600);
    add_item(dc, "c-ecb", "https://c.example/ecb-lagarde", ECB_B_TITLE, ECB_B_LEAD, T1 + 1200);
    assert_int_equal(store_ingest(s, a->id, da, &poll, NULL), 0);
    assert_int_equal(store_ingest(s, b->id, db, &poll, NULL), 0);
    assert_int_equal(store_ingest(s, c->id, dc, &poll, NULL), 0);
    a_id = query_int("SELECT id FROM entries WHERE guid = 'a-ecb'");
    b_id = query_int("SELECT id FROM entries WHERE guid = 'b-ecb'");
    c_id = query_int("SELECT id FROM entries WHERE guid = 'c-ecb'");

    /* By id, with or without "#": the first of its story. */
    snprintf(q, sizeof(q), "#%lld", (long long)a_id);
    assert_int_equal(store_why(s, q, &w), 0);
    assert_int_equal(w->id, a_id);
    assert_string_equal(w->feed, "a");
    assert_string_equal(w->id_mode, "guid");
    assert_string_equal(w->key, "g:a-ecb");
    assert_string_equal(w->id_rule, "guid");
    assert_string_equal(w->guid, "a-ecb");
    assert_string_equal(w->canon, WHY_LINK);
    assert_string_equal(w->title, ECB_A_TITLE);
    assert_true(w->has_fp);
    assert_null(w->story_rule);
    assert_int_equal(w->story, a_id);
    assert_int_equal(w->link_group, a_id);
    assert_int_equal(w->sources, 3);
    assert_int_equal(w->revised, TIME_NONE);
    assert_int_equal(w->revisions, 0);
    assert_int_equal(w->first_seen, T1 + 3600);
    store_why_free(w);
    snprintf(q, sizeof(q), "%lld", (long long)b_id);
    assert_int_equal(store_why(s, q, &w), 0);
    assert_int_equal(w->id, b_id);
    store_why_free(w);

    /* By guid: joined by its link. */
    assert_int_equal(store_why(s, "b-ecb", &w), 0);
    assert_int_equal(w->id, b_id);
    assert_string_equal(w->feed, "b");
    assert_string_equal(w->story_rule, "link");
    assert_int_equal(w->story_ref, a_id);
    assert_string_equal(w->ref_feed, "a");
    assert_string_equal(w->ref_title, ECB_A_TITLE);
    assert_string_equal(w->ref_link, WHY_LINK);
    assert_int_equal(w->story, a_id);
    assert_int_equal(w->link_group, a_id);
    assert_int_equal(w->sources, 3);
    assert_false(w->has_fp); /* "ECB hikes": too few terms */
    store_why_free(w);

    /* By a link with other tracking parameters: the newest with that canonical link. */
    assert_int_equal(
        store_why(s, "http://news.example/markets/ecb-hike/?utm_campaign=x&fbclid=1", &w), 0);
    assert_int_equal(w->id, b_id);
    store_why_free(w);

    /* Joined by its story. */
    assert_int_equal(store_why(s, "https://c.example/ecb-lagarde?utm_source=twitter", &w), 0);
    assert_int_equal(w->id, c_id);
    assert_string_equal(w->story_rule, "story");
    assert_int_equal(w->story_ref, a_id);
    assert_string_equal(w->ref_feed, "a");
    assert_true(w->story_similarity >= 20 && w->story_similarity <= 100);
    assert_int_equal(w->story, a_id);
    assert_int_equal(w->link_group, c_id);
    assert_int_equal(w->sources, 3);
    assert_true(w->has_fp);
    store_why_free(w);
    assert_int_equal(store_why(s, "https://c.example/ecb-lagarde", &w), 0);
    assert_int_equal(w->id, c_id);
    store_why_free(w);

    assert_int_equal(store_why(s, "no-such-entry", &w), -ENOENT);
    assert_int_equal(store_why(s, "#987654", &w), -ENOENT);
    assert_int_equal(store_why(s, "https://news.example/markets/other", &w), -ENOENT);

    store_feed_state_free(a);
    store_feed_state_free(b);
    store_feed_state_free(c);
    feed_free(da);
    feed_free(db);
    feed_free(dc);
    store_close(s);
}

/* ---- the webhook outbox ------------------------------------------------------ */

static void add_delivery(struct store *s, const char *webhook, const char *msg_id, int64_t at,
                         int64_t entry_id)
{
    char payload[64], title[64];

    snprintf(payload, sizeof(payload), "{\"msg\":\"%s\"}", msg_id);
    snprintf(title, sizeof(title), "title of %s", msg_id);
    assert_int_equal(store_delivery_add(s, &(struct store_delivery_new){.webhook = webhook,
                                                                        .msg_id = msg_id,
                                                                        .event = "story.new",
                                                                        .entry_id = entry_id,
                                                                        .feed_id = 0,
                                                                        .payload = payload,
                                                                        .title = title,
                                                                        .at = at}),
                     0);
}

/* The ids of the webhook's deliveries due at now (at most max), as "1,2,3". */
static char *due_ids(struct store *s, const char *webhook, int64_t now, size_t max)
{
    static char out[256];
    struct store_delivery *v = NULL;
    size_t n = 0;

    assert_int_equal(store_deliveries_due(s, webhook, now, max, &v, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? "," : "",
                 (long long)v[i].id);
    store_deliveries_free(v, n);
    return out;
}

static char *list_ids(struct store *s, bool all)
{
    static char out[256];
    struct store_delivery *v = NULL;
    size_t n = 0;

    assert_int_equal(store_deliveries_list(s, all, &v, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? "," : "",
                 (long long)v[i].id);
    store_deliveries_free(v, n);
    return out;
}

/* Delivery id, as store_deliveries_list(all) reads it (fails when absent). */
static struct store_delivery *delivery(struct store *s, int64_t id, struct store_delivery **all,
                                       size_t *n)
{
    assert_int_equal(store_deliveries_list(s, true, all, n), 0);
    for (size_t i = 0; i < *n; i++)
        if ((*all)[i].id == id)
            return &(*all)[i];
    fail_msg("no delivery %lld", (long long)id);
    return NULL;
}

static void expect_counts(struct store *s, int64_t pending, int64_t dead)
{
    int64_t p = -1, d = -1;

    assert_int_equal(store_deliveries_count(s, &p, &d), 0);
    assert_int_equal(p, pending);
    assert_int_equal(d, dead);
}

static void test_outbox_add_and_due(void **state)
{
    struct store *s = open_db();
    struct store_delivery *v = NULL;
    size_t n = 0;
    int64_t next;

    (void)state;
    expect_counts(s, 0, 0);
    assert_string_equal(due_ids(s, "a", 5000, 10), "");
    assert_int_equal(store_deliveries_next(s, "a", &next), 0);
    assert_int_equal(next, 0);

    add_delivery(s, "a", "msg_1", 1000, 7);
    add_delivery(s, "a", "msg_2", 1002, 0);
    add_delivery(s, "a", "msg_3", 1001, 0); /* queued later, due earlier */
    add_delivery(s, "b", "msg_4", 1000, 0);
    expect_counts(s, 4, 0);

    /* Due at their time, oldest (first queued) first, at most max. */
    assert_string_equal(due_ids(s, "a", 999, 10), "");
    assert_string_equal(due_ids(s, "a", 1000, 10), "1");
    assert_string_equal(due_ids(s, "a", 1001, 10), "1,3");
    assert_string_equal(due_ids(s, "a", 5000, 10), "1,2,3");
    assert_string_equal(due_ids(s, "a", 5000, 2), "1,2");
    assert_string_equal(due_ids(s, "a", 5000, 1), "1");
    assert_string_equal(due_ids(s, "b", 5000, 10), "4");
    assert_string_equal(due_ids(s, "c", 5000, 10), "");
    assert_int_equal(store_deliveries_next(s, "a", &next), 0);
    assert_int_equal(next, 1000);

    /* Every column as queued. */
    assert_int_equal(store_deliveries_due(s, "a", 1000, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, 1);
    assert_string_equal(v[0].webhook, "a");
    assert_string_equal(v[0].msg_id, "msg_1");
    assert_string_equal(v[0].event, "story.new");
    assert_string_equal(v[0].payload, "{\"msg\":\"msg_1\"}");
    assert_string_equal(v[0].title, "title of msg_1");
    assert_string_equal(v[0].state, "pending");
    assert_int_equal(v[0].attempts, 0);
    assert_int_equal(v[0].last_status, 0);
    assert_null(v[0].last_error);
    assert_int_equal(v[0].created, 1000);
    assert_int_equal(v[0].next_attempt, 1000);
    assert_true(v[0].last_attempt == TIME_NONE);
    assert_true(v[0].delivered_at == TIME_NONE);
    assert_int_equal(v[0].batch, 0);
    store_deliveries_free(v, n);
    assert_int_equal(query_int("SELECT entry_id FROM deliveries WHERE msg_id = 'msg_1'"), 7);
    assert_int_equal(query_int("SELECT count(*) FROM deliveries WHERE entry_id IS NULL"
                               " AND feed_id IS NULL"),
                     3);

    /* They outlive the process. */
    store_close(s);
    s = open_db();
    assert_string_equal(due_ids(s, "a", 5000, 10), "1,2,3");
    expect_counts(s, 4, 0);
    store_close(s);
}

static void test_outbox_batches(void **state)
{
    struct store *s = open_db();
    struct store_delivery *v = NULL, *all = NULL;
    size_t n = 0, n_all = 0;
    const int64_t ids[] = {2, 3};

    (void)state;
    add_delivery(s, "a", "msg_1", 1000, 0);
    add_delivery(s, "a", "msg_2", 1000, 0);
    add_delivery(s, "a", "msg_3", 1000, 0);
    assert_int_equal(store_deliveries_set_batch(s, ids, 2), 0);

    assert_int_equal(store_deliveries_batch(s, 2, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, 2);
    assert_int_equal(v[1].id, 3);
    assert_int_equal(v[0].batch, 2);
    assert_int_equal(v[1].batch, 2);
    assert_string_equal(v[1].msg_id, "msg_3");
    store_deliveries_free(v, n);
    assert_int_equal(store_deliveries_batch(s, 1, &v, &n), 0);
    assert_int_equal(n, 0);
    store_deliveries_free(v, n);
    assert_int_equal(delivery(s, 1, &all, &n_all)->batch, 0);
    store_deliveries_free(all, n_all);

    /* Only its pending deliveries make the batch. */
    assert_int_equal(store_deliveries_attempted(
                         s, ids, 1,
                         &(struct store_attempt){
                             .at = 1100, .status = 200, .outcome = STORE_DELIVERY_DELIVERED}),
                     0);
    assert_int_equal(store_deliveries_batch(s, 2, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, 3);
    store_deliveries_free(v, n);
    store_close(s);
}

static void test_outbox_attempts(void **state)
{
    struct store *s = open_db();
    struct store_delivery *all = NULL, *d;
    size_t n_all = 0;
    const int64_t one = 1, two[] = {1, 2}, three = 3, last[] = {3, 4};
    int count = -1;
    int64_t next;

    (void)state;
    for (int i = 1; i <= 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "msg_%d", i);
        add_delivery(s, "a", id, 1000, 0);
    }

    /* A failure: retried at next_attempt, attempts counted. */
    assert_int_equal(store_deliveries_attempted(s, &one, 1,
                                                &(struct store_attempt){
                                                    .at = 1100,
                                                    .status = 500,
                                                    .error = "HTTP 500",
                                                    .outcome = STORE_DELIVERY_RETRY,
                                                    .next_attempt = 1400,
                                                }),
                     0);
    d = delivery(s, 1, &all, &n_all);
    assert_string_equal(d->state, "pending");
    assert_int_equal(d->attempts, 1);
    assert_int_equal(d->last_status, 500);
    assert_string_equal(d->last_error, "HTTP 500");
    assert_int_equal(d->last_attempt, 1100);
    assert_int_equal(d->next_attempt, 1400);
    assert_true(d->delivered_at == TIME_NONE);
    store_deliveries_free(all, n_all);
    assert_string_equal(due_ids(s, "a", 1399, 10), "2,3,4");
    assert_string_equal(due_ids(s, "a", 1400, 10), "1,2,3,4");
    assert_int_equal(store_deliveries_next(s, "a", &next), 0);
    assert_int_equal(next, 1000);

    /* Another failure without a response. */
    assert_int_equal(store_deliveries_attempted(s, &one, 1,
                                                &(struct store_attempt){
                                                    .at = 1400,
                                                    .error = "timeout",
                                                    .outcome = STORE_DELIVERY_RETRY,
                                                    .next_attempt = 2000,
                                                }),
                     0);
    d = delivery(s, 1, &all, &n_all);
    assert_int_equal(d->attempts, 2);
    assert_int_equal(d->last_status, 0);
    assert_string_equal(d->last_error, "timeout");
    assert_int_equal(d->next_attempt, 2000);
    store_deliveries_free(all, n_all);

    /* One request of two deliveries succeeds. */
    assert_int_equal(store_deliveries_attempted(
                         s, two, 2,
                         &(struct store_attempt){
                             .at = 2000, .status = 204, .outcome = STORE_DELIVERY_DELIVERED}),
                     0);
    d = delivery(s, 1, &all, &n_all);
    assert_string_equal(d->state, "delivered");
    assert_int_equal(d->attempts, 3);
    assert_int_equal(d->last_status, 204);
    assert_null(d->last_error);
    assert_int_equal(d->delivered_at, 2000);
    assert_int_equal(d->last_attempt, 2000);
    store_deliveries_free(all, n_all);
    d = delivery(s, 2, &all, &n_all);
    assert_string_equal(d->state, "delivered");
    assert_int_equal(d->attempts, 1);
    assert_int_equal(d->delivered_at, 2000);
    store_deliveries_free(all, n_all);

    /* Given up: dead. */
    assert_int_equal(store_deliveries_attempted(s, &three, 1,
                                                &(struct store_attempt){
                                                    .at = 2100,
                                                    .status = 400,
                                                    .error = "HTTP 400",
                                                    .outcome = STORE_DELIVERY_DEAD,
                                                }),
                     0);
    d = delivery(s, 3, &all, &n_all);
    assert_string_equal(d->state, "dead");
    assert_int_equal(d->attempts, 1);
    assert_int_equal(d->last_status, 400);
    assert_true(d->delivered_at == TIME_NONE);
    store_deliveries_free(all, n_all);

    expect_counts(s, 1, 1);
    assert_string_equal(due_ids(s, "a", 1000000, 10), "4");
    assert_string_equal(list_ids(s, false), "3,4");
    assert_string_equal(list_ids(s, true), "1,2,3,4");
    assert_int_equal(store_deliveries_next(s, "a", &next), 0);
    assert_int_equal(next, 1000);

    /* Requeue: a delivered one is not sent again; a dead one is, at now,
     * with its attempts kept. */
    assert_int_equal(store_deliveries_requeue(s, 1, 3000, &count), 0);
    assert_int_equal(count, 0);
    d = delivery(s, 1, &all, &n_all);
    assert_string_equal(d->state, "delivered");
    store_deliveries_free(all, n_all);
    assert_int_equal(store_deliveries_requeue(s, 3, 3000, &count), 0);
    assert_int_equal(count, 1);
    d = delivery(s, 3, &all, &n_all);
    assert_string_equal(d->state, "pending");
    assert_int_equal(d->next_attempt, 3000);
    assert_int_equal(d->attempts, 1);
    store_deliveries_free(all, n_all);
    expect_counts(s, 2, 0);
    assert_string_equal(due_ids(s, "a", 2999, 10), "4");
    assert_string_equal(due_ids(s, "a", 3000, 10), "3,4");
    assert_int_equal(store_deliveries_requeue(s, 999, 3000, &count), 0);
    assert_int_equal(count, 0);

    /* Every dead one at once (id 0). */
    assert_int_equal(store_deliveries_attempted(
                         s, last, 2,
                         &(struct store_attempt){
                             .at = 3000, .error = "refused", .outcome = STORE_DELIVERY_DEAD}),
                     0);
    expect_counts(s, 0, 2);
    assert_string_equal(due_ids(s, "a", 1000000, 10), "");
    assert_int_equal(store_deliveries_next(s, "a", &next), 0);
    assert_int_equal(next, 0);
    assert_int_equal(store_deliveries_requeue(s, 0, 4000, &count), 0);
    assert_int_equal(count, 2);
    expect_counts(s, 2, 0);
    assert_string_equal(due_ids(s, "a", 4000, 10), "3,4");
    assert_int_equal(store_deliveries_requeue(s, 0, 4000, &count), 0);
    assert_int_equal(count, 0);

    /* Prune forgets deliveries delivered before a time, nothing else. */
    assert_int_equal(store_deliveries_prune(s, 2000), 0);
    assert_string_equal(list_ids(s, true), "1,2,3,4");
    assert_int_equal(store_deliveries_prune(s, 2001), 0);
    assert_string_equal(list_ids(s, true), "3,4");
    expect_counts(s, 2, 0);
    store_close(s);
}

static void test_webhook_disable_persists(void **state)
{
    struct store *s = open_db();
    int64_t at = 0;
    char *reason = NULL;
    int changed = -1;

    (void)state;
    assert_int_equal(store_webhook_disabled(s, "hook", &at, &reason), 0);
    assert_null(reason);
    assert_int_equal(store_webhook_disable(s, "hook", 1234, "HTTP 410 Gone"), 0);
    assert_int_equal(store_webhook_disabled(s, "hook", &at, &reason), 1);
    assert_int_equal(at, 1234);
    assert_string_equal(reason, "HTTP 410 Gone");
    free(reason);
    reason = NULL;
    assert_int_equal(store_webhook_disabled(s, "other", &at, NULL), 0);

    /* Disabled across a restart; disabling again updates it. */
    store_close(s);
    s = open_db();
    assert_int_equal(store_webhook_disabled(s, "hook", &at, NULL), 1);
    assert_int_equal(at, 1234);
    assert_int_equal(store_webhook_disable(s, "hook", 5678, "again"), 0);
    assert_int_equal(store_webhook_disabled(s, "hook", &at, &reason), 1);
    assert_int_equal(at, 5678);
    assert_string_equal(reason, "again");
    free(reason);

    assert_int_equal(store_webhook_enable(s, "hook", &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(store_webhook_disabled(s, "hook", &at, NULL), 0);
    assert_int_equal(store_webhook_enable(s, "hook", &changed), 0);
    assert_int_equal(changed, 0);
    store_close(s);
    s = open_db();
    assert_int_equal(store_webhook_disabled(s, "hook", &at, NULL), 0);
    store_close(s);
}

/* ---- the event hook ------------------------------------------------------------ */

struct rec_event {
    enum store_event_kind kind;
    int64_t at, feed_id, entry_id, story_id;
    char *feed_name, *feed_title, *feed_url, *title, *joined, *error, *moved_to;
    int status, errors_before, errors;
};

struct recorder {
    struct rec_event ev[64];
    size_t n;
    int fail_kind; /* -1: never */
    int fail_nth;  /* fail the nth event of fail_kind (1-based) */
    int seen_kind; /* events of fail_kind so far */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *const kind_names[] = {
    [STORE_EVENT_ENTRY_NEW] = "entry.new",   [STORE_EVENT_ENTRY_REVISED] = "entry.revised",
    [STORE_EVENT_FEED_MOVED] = "feed.moved", [STORE_EVENT_FEED_GONE] = "feed.gone",
    [STORE_EVENT_POLL_OK] = "poll.ok",       [STORE_EVENT_POLL_FAILED] = "poll.failed",
};

/* Records the event, and queues a delivery for it in the poll's transaction. */
static int record_event(struct store *s, const struct store_event *ev, void *ud)
{
    struct recorder *rec = ud;
    struct rec_event *r;
    char msg_id[32];

    assert_true(rec->n < sizeof(rec->ev) / sizeof(rec->ev[0]));
    r = &rec->ev[rec->n++];
    *r = (struct rec_event){.kind = ev->kind,
                            .at = ev->at,
                            .feed_id = ev->feed_id,
                            .entry_id = ev->entry_id,
                            .story_id = ev->story_id,
                            .feed_name = dup_or_null(ev->feed_name),
                            .feed_title = dup_or_null(ev->feed_title),
                            .feed_url = dup_or_null(ev->feed_url),
                            .title = dup_or_null(ev->entry ? ev->entry->title : NULL),
                            .joined = dup_or_null(ev->joined),
                            .error = dup_or_null(ev->error),
                            .moved_to = dup_or_null(ev->moved_to),
                            .status = ev->status,
                            .errors_before = ev->errors_before,
                            .errors = ev->errors};
    snprintf(msg_id, sizeof(msg_id), "msg_rec_%zu", rec->n);
    assert_int_equal(
        store_delivery_add(s, &(struct store_delivery_new){.webhook = "rec",
                                                           .msg_id = msg_id,
                                                           .event = kind_names[ev->kind],
                                                           .entry_id = ev->entry_id,
                                                           .feed_id = ev->feed_id,
                                                           .payload = "{}",
                                                           .title = "t",
                                                           .at = ev->at}),
        0);
    if ((int)ev->kind == rec->fail_kind && ++rec->seen_kind == rec->fail_nth)
        return -EIO;
    return 0;
}

static void recorder_reset(struct recorder *rec)
{
    for (size_t i = 0; i < rec->n; i++) {
        struct rec_event *r = &rec->ev[i];
        free(r->feed_name);
        free(r->feed_title);
        free(r->feed_url);
        free(r->title);
        free(r->joined);
        free(r->error);
        free(r->moved_to);
    }
    rec->n = 0;
    rec->fail_kind = -1;
    rec->seen_kind = 0;
}

/* The kinds recorded, as "poll.ok,entry.new,...". */
static const char *kinds(const struct recorder *rec)
{
    static char out[1024];

    out[0] = '\0';
    for (size_t i = 0; i < rec->n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "",
                 kind_names[rec->ev[i].kind]);
    return out;
}

static int64_t entry_id_of(const char *guid)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT id FROM entries WHERE guid = '%s'", guid);
    return query_int(sql);
}

static void test_event_hook_new_and_revised(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(2000000000);
    struct feed *doc = doc_with(3, "e", 1000000000);

    (void)state;
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    store_set_event_hook(s, record_event, &rec);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new,entry.new,entry.new");
    assert_int_equal(rec.ev[0].errors_before, 0);
    assert_int_equal(rec.ev[0].status, 200);
    for (size_t i = 0; i < rec.n; i++) {
        assert_int_equal(rec.ev[i].at, 2000000000);
        assert_int_equal(rec.ev[i].feed_id, st->id);
        assert_string_equal(rec.ev[i].feed_name, "one");
        assert_string_equal(rec.ev[i].feed_title, "Doc title");
        assert_string_equal(rec.ev[i].feed_url, "https://example.org/feed");
    }
    for (int i = 0; i < 3; i++) {
        struct rec_event *r = &rec.ev[1 + i];
        char guid[16], title[64];
        snprintf(guid, sizeof(guid), "e-%d", i);
        snprintf(title, sizeof(title), "https://example.org/e/%d", i);
        assert_true(r->entry_id > 0);
        assert_int_equal(r->entry_id, entry_id_of(guid));
        assert_int_equal(r->story_id, r->entry_id); /* each starts its story */
        assert_null(r->joined);
        assert_string_equal(r->title, title);
    }
    /* The hook's deliveries were committed with the poll. */
    expect_counts(s, 4, 0);
    assert_int_equal(query_int("SELECT count(*) FROM deliveries d JOIN entries e"
                               " ON e.id = d.entry_id WHERE d.event = 'entry.new'"),
                     3);

    /* The same again: a poll, no entry event. */
    recorder_reset(&rec);
    poll = ok_poll(2000000100);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok");

    /* A corrected title: revised; a new entry: new. */
    recorder_reset(&rec);
    model_set_str(&doc->entries[1].title, "Corrected title");
    struct entry *e = feed_add_entry(doc);
    model_set_str(&e->id, "e-new");
    model_set_str(&e->link, "https://example.org/e/new");
    model_set_str(&e->title, "Newer");
    poll = ok_poll(2000000200);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.revised,entry.new");
    assert_int_equal(rec.ev[1].entry_id, entry_id_of("e-1"));
    assert_string_equal(rec.ev[1].title, "Corrected title");
    assert_int_equal(rec.ev[1].at, 2000000200);
    assert_int_equal(rec.ev[2].entry_id, entry_id_of("e-new"));
    assert_string_equal(rec.ev[2].title, "Newer");

    /* Without a hook, nothing is handed out. */
    recorder_reset(&rec);
    store_set_event_hook(s, NULL, NULL);
    model_set_str(&doc->entries[0].title, "Changed again");
    poll = ok_poll(2000000300);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_int_equal(rec.n, 0);
    expect_counts(s, 8, 0); /* 4 + 1 + 3: none from the last poll */

    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

static void test_event_hook_failure_rolls_back(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = STORE_EVENT_ENTRY_NEW, .fail_nth = 2};
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(2000000000);
    struct store_poll bad = {
        .status = 500, .error = "HTTP 500", .polled_at = 2000000100, .next_poll = 2000000200};
    struct feed *doc = doc_with(3, "r", 1000000000);
    int64_t n = -1, id;

    (void)state;
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    id = st->id;
    store_feed_state_free(st);
    store_set_event_hook(s, record_event, &rec);
    assert_int_equal(store_ingest(s, id, doc, &poll, NULL), -EIO);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new,entry.new");
    /* Nothing of the poll stayed: no entries, no deliveries, no validators. */
    assert_int_equal(store_count_entries(s, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 0);
    assert_int_equal(query_int("SELECT count(*) FROM deliveries"), 0);
    expect_counts(s, 0, 0);
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_null(st->etag);
    assert_true(st->last_poll == TIME_NONE);
    store_feed_state_free(st);

    /* The same poll again, the hook working: all of it. */
    recorder_reset(&rec);
    assert_int_equal(store_ingest(s, id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new,entry.new,entry.new");
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 3);
    expect_counts(s, 4, 0);
    for (size_t i = 1; i < rec.n; i++)
        assert_true(rec.ev[i].entry_id > 0);

    /* A failed poll rolled back: the error is not counted. */
    recorder_reset(&rec);
    rec.fail_kind = STORE_EVENT_POLL_FAILED;
    rec.fail_nth = 1;
    assert_int_equal(store_record_poll(s, id, &bad), -EIO);
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    assert_int_equal(st->error_count, 0);
    assert_null(st->last_error);
    store_feed_state_free(st);
    expect_counts(s, 4, 0);

    recorder_reset(&rec);
    feed_free(doc);
    store_close(s);
}

/* Several polls in one transaction: each is atomic on its own, so the one
 * whose event hook fails is rolled back alone, with its delivery. */
static void test_record_polls_grouped(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *st;
    struct store_poll_rec recs[3] = {
        {.poll = {.status = 304, .polled_at = 2000000100, .next_poll = 2000000200}},
        {.poll = {.status = 500,
                  .error = "HTTP 500",
                  .error_class = "http",
                  .polled_at = 2000000100,
                  .next_poll = 2000000300}},
        {.poll = {.status = 304, .polled_at = 2000000100, .next_poll = 2000000400}},
    };
    const char *names[3] = {"a", "b", "c"};
    int results[3] = {1, 1, 1};

    (void)state;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_feed_register(s, names[i], "https://example.org/feed", &st), 0);
        recs[i].feed_id = st->id;
        store_feed_state_free(st);
    }
    store_set_event_hook(s, record_event, &rec);
    rec.fail_kind = STORE_EVENT_POLL_FAILED;
    rec.fail_nth = 1;
    assert_int_equal(store_record_polls(s, recs, 3, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], -EIO);
    assert_int_equal(results[2], 0);
    assert_string_equal(kinds(&rec), "poll.ok,poll.failed,poll.ok");
    /* a and c recorded with their events; b not at all. */
    assert_int_equal(query_int("SELECT count(*) FROM deliveries"), 2);
    assert_int_equal(query_int("SELECT sum(polls) FROM feeds"), 2);
    assert_int_equal(query_int("SELECT next_poll FROM feeds WHERE name = 'a'"), 2000000200);
    assert_int_equal(query_int("SELECT next_poll FROM feeds WHERE name = 'c'"), 2000000400);
    assert_int_equal(query_int("SELECT polls + error_count FROM feeds WHERE name = 'b'"), 0);

    /* One poll alone is store_record_poll(). */
    recorder_reset(&rec);
    rec.fail_kind = -1;
    assert_int_equal(store_record_polls(s, &recs[1], 1, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(query_int("SELECT error_count FROM feeds WHERE name = 'b'"), 1);
    recorder_reset(&rec);
    store_close(s);
}

static void test_event_hook_poll_errors(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *st;
    struct store_poll bad = {.status = 500,
                             .error = "HTTP 500",
                             .error_class = "http",
                             .polled_at = 2000000100,
                             .next_poll = 2000000200};
    struct store_poll nm = {.status = 304, .polled_at = 2000000500, .next_poll = 2000000600};
    struct store_poll poll = ok_poll(2000000900);
    struct feed *doc = doc_with(1, "p", 1000000000);

    (void)state;
    assert_int_equal(store_feed_register(s, "one", "https://example.org/feed", &st), 0);
    store_set_event_hook(s, record_event, &rec);
    for (int i = 1; i <= 3; i++) {
        recorder_reset(&rec);
        bad.polled_at = 2000000100 + i;
        assert_int_equal(store_record_poll(s, st->id, &bad), 0);
        assert_string_equal(kinds(&rec), "poll.failed");
        assert_int_equal(rec.ev[0].errors, i);
        assert_int_equal(rec.ev[0].errors_before, i - 1);
        assert_int_equal(rec.ev[0].status, 500);
        assert_string_equal(rec.ev[0].error, "HTTP 500");
        assert_int_equal(rec.ev[0].at, 2000000100 + i);
        assert_string_equal(rec.ev[0].feed_name, "one");
    }

    /* The first success after them. */
    recorder_reset(&rec);
    assert_int_equal(store_record_poll(s, st->id, &nm), 0);
    assert_string_equal(kinds(&rec), "poll.ok");
    assert_int_equal(rec.ev[0].errors_before, 3);
    assert_int_equal(rec.ev[0].errors, 0);
    assert_int_equal(rec.ev[0].status, 304);
    assert_null(rec.ev[0].error);
    recorder_reset(&rec);
    nm.polled_at++;
    assert_int_equal(store_record_poll(s, st->id, &nm), 0);
    assert_int_equal(rec.ev[0].errors_before, 0);

    /* An ingest is a success too. */
    recorder_reset(&rec);
    assert_int_equal(store_record_poll(s, st->id, &bad), 0);
    assert_int_equal(rec.ev[0].errors, 1);
    recorder_reset(&rec);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new");
    assert_int_equal(rec.ev[0].errors_before, 1);

    recorder_reset(&rec);
    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

static void test_event_hook_gone_and_moved(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(2000000000);
    struct store_poll gone = {.status = 410,
                              .error = "HTTP 410 (gone)",
                              .error_class = "http",
                              .gone = true,
                              .polled_at = 2000000500,
                              .next_poll = 2000000560};
    struct feed *doc = doc_with(1, "m", 1000000000);

    (void)state;
    assert_int_equal(store_feed_register(s, "m", "https://a.example/old", &st), 0);
    store_set_event_hook(s, record_event, &rec);
    poll.moved_to = "https://a.example/new";
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "feed.moved,poll.ok,entry.new");
    assert_string_equal(rec.ev[0].moved_to, "https://a.example/new");
    assert_int_equal(rec.ev[0].status, 200);
    assert_int_equal(rec.ev[0].at, 2000000000);
    assert_string_equal(rec.ev[0].feed_name, "m");

    recorder_reset(&rec);
    assert_int_equal(store_record_poll(s, st->id, &gone), 0);
    assert_string_equal(kinds(&rec), "feed.gone,poll.failed");
    assert_string_equal(rec.ev[0].error, "HTTP 410 (gone)");
    assert_int_equal(rec.ev[0].status, 410);
    assert_int_equal(rec.ev[0].at, 2000000500);
    assert_int_equal(rec.ev[1].errors, 1);
    assert_int_equal(query_int("SELECT count(*) FROM deliveries WHERE event = 'feed.gone'"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM deliveries WHERE event = 'feed.moved'"), 1);

    recorder_reset(&rec);
    store_feed_state_free(st);
    feed_free(doc);
    store_close(s);
}

/* At level link, an entry with another feed's canonical link joins its story. */
static void test_event_hook_joined_by_link(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *a, *b;
    struct store_poll poll = ok_poll(T1 + 3600);
    struct feed *da = new_doc("Feed A"), *db = new_doc("Feed B");
    int64_t a_id;

    (void)state;
    set_level(s, DEDUP_LINK);
    assert_int_equal(store_feed_register(s, "a", "https://a.example/feed", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://b.example/feed", &b), 0);
    add_item(da, "a-1", LINK_A, "Parliament approves the budget", NULL, T1);
    add_item(db, "b-1", LINK_B, "Budget passes after late-night session", NULL, T1 + 600);
    store_set_event_hook(s, record_event, &rec);
    assert_int_equal(store_ingest(s, a->id, da, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new");
    a_id = rec.ev[1].entry_id;
    assert_int_equal(rec.ev[1].story_id, a_id);
    assert_null(rec.ev[1].joined);
    recorder_reset(&rec);
    assert_int_equal(store_ingest(s, b->id, db, &poll, NULL), 0);
    assert_string_equal(kinds(&rec), "poll.ok,entry.new");
    assert_int_equal(rec.ev[1].entry_id, entry_id_of("b-1"));
    assert_true(rec.ev[1].entry_id != a_id);
    assert_int_equal(rec.ev[1].story_id, a_id);
    assert_string_equal(rec.ev[1].joined, "link");
    assert_string_equal(rec.ev[1].feed_title, "Feed B");

    recorder_reset(&rec);
    store_feed_state_free(a);
    store_feed_state_free(b);
    feed_free(da);
    feed_free(db);
    store_close(s);
}

/* Retention: what goes and what stays. */
static int64_t count_entries(const char *where)
{
    char sql[256];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM entries WHERE %s", where);
    return query_int(sql);
}

static void test_prune(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    const int64_t day = 86400, t0 = 1700000000;
    struct store_poll poll = ok_poll(t0);
    struct feed *doc;
    size_t deleted;
    int64_t protect[1];

    (void)state;
    set_level(s, DEDUP_NONE);
    assert_int_equal(store_feed_register(s, "f", "https://example.org/f", &st), 0);
    /* Day 0: old-0..old-5 stored. Day 10: the document holds new-0..new-5
     * only (and old-5, still in the feed). */
    doc = doc_with(6, "old", t0 - 3600);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    doc = doc_with(6, "new", t0 + 10 * day - 3600);
    {
        struct entry *e = feed_add_entry(doc);
        model_set_str(&e->id, "old-5");
        model_set_str(&e->link, "https://example.org/old/5");
        model_set_str(&e->title, "https://example.org/old/5");
        e->published = t0 - 3600 + 5 * 60;
    }
    poll = ok_poll(t0 + 10 * day);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    assert_int_equal(count_entries("1"), 12);

    /* Nothing is older than 30 days: nothing goes. */
    struct store_retention rt = {.keep_seconds = 30 * day, .now = t0 + 10 * day};
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 0);

    /* keep 5 days: old-* (first seen on day 0) may go, except old-5 (in the
     * last document), old-4 (protected: an output shows it) and old-3 (a
     * pending delivery announces it). */
    int64_t id4 = query_int("SELECT id FROM entries WHERE guid = 'old-4'");
    int64_t id3 = query_int("SELECT id FROM entries WHERE guid = 'old-3'");
    struct store_delivery_new d = {.webhook = "w",
                                   .msg_id = "msg_x",
                                   .event = "story.new",
                                   .entry_id = id3,
                                   .payload = "{}",
                                   .at = t0};
    assert_int_equal(store_delivery_add(s, &d), 0);
    protect[0] = id4;
    rt = (struct store_retention){.keep_seconds = 5 * day,
                                  .protect = protect,
                                  .n_protect = 1,
                                  .max_rows = 2,
                                  .now = t0 + 10 * day};
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 2); /* max_rows per call */
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(count_entries("guid LIKE 'old-%'"), 3);
    assert_int_equal(count_entries("guid IN ('old-3', 'old-4', 'old-5')"), 3);
    assert_int_equal(count_entries("guid LIKE 'new-%'"), 6);

    /* keep_per_feed 2 without an age limit: beyond the newest two, only
     * what is neither in the last document, protected nor pending goes. */
    rt = (struct store_retention){.keep_per_feed = 2, .now = t0 + 10 * day};
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 1); /* old-4: no longer protected */
    assert_int_equal(count_entries("1"), 8);

    /* A feed never stored since migration (last_doc NULL): nothing goes. */
    exec_sql("UPDATE feeds SET last_doc = NULL");
    exec_sql("DELETE FROM deliveries");
    rt = (struct store_retention){.keep_per_feed = 1, .now = t0 + 100 * day};
    assert_int_equal(store_prune(s, &rt, &deleted), 0);
    assert_int_equal(deleted, 0);
    store_feed_state_free(st);
    store_close(s);
}

/* A backup is a consistent, checked copy; it never overwrites a file. */
/* A batch: each write in it fails or succeeds alone (a savepoint), nothing
 * is visible to another connection before store_batch_end(), then all of
 * it is, with its events' deliveries. */
static void test_batch(void **state)
{
    struct store *s = open_db();
    struct recorder rec = {.fail_kind = -1};
    struct store_feed_state *a, *b, *c;
    struct store_poll poll = ok_poll(1700000000);
    struct store_poll_rec recs[2] = {
        {.poll = {.status = 304, .polled_at = 1700000000, .next_poll = 1700000500}},
        {.poll = {.status = 304, .polled_at = 1700000000, .next_poll = 1700000600}},
    };
    int results[2];
    struct feed *doc;

    (void)state;
    assert_int_equal(store_feed_register(s, "a", "https://example.org/a", &a), 0);
    assert_int_equal(store_feed_register(s, "b", "https://example.org/b", &b), 0);
    assert_int_equal(store_feed_register(s, "c", "https://example.org/c", &c), 0);
    recs[0].feed_id = recs[1].feed_id = c->id;
    store_set_event_hook(s, record_event, &rec);
    assert_int_equal(store_batch_end(s), -EINVAL);
    assert_int_equal(store_batch_begin(s), 0);
    assert_int_equal(store_batch_begin(s), -EINVAL);

    doc = doc_with(3, "a", 1700000000);
    assert_int_equal(store_ingest(s, a->id, doc, &poll, NULL), 0);
    feed_free(doc);
    /* b's second new entry's event fails: b's ingest is undone, a's stays. */
    rec.fail_kind = STORE_EVENT_ENTRY_NEW;
    rec.fail_nth = 2;
    doc = doc_with(3, "b", 1700000000);
    assert_int_equal(store_ingest(s, b->id, doc, &poll, NULL), -EIO);
    feed_free(doc);
    rec.fail_kind = -1;
    assert_int_equal(store_record_polls(s, recs, 2, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    /* Not committed yet: another connection sees nothing. */
    assert_int_equal(query_int("SELECT count(*) FROM entries"), 0);
    assert_int_equal(query_int("SELECT sum(polls) FROM feeds"), 0);

    assert_int_equal(store_batch_end(s), 0);
    assert_int_equal(store_batch_end(s), -EINVAL);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE feed_id = 1"), 3);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE feed_id = 2"), 0);
    assert_int_equal(query_int("SELECT polls FROM feeds WHERE name = 'a'"), 1);
    assert_int_equal(query_int("SELECT polls FROM feeds WHERE name = 'b'"), 0);
    assert_int_equal(query_int("SELECT polls FROM feeds WHERE name = 'c'"), 2);
    /* a's poll and three entries, c's two polls; none of b's. */
    assert_int_equal(query_int("SELECT count(*) FROM deliveries"), 6);
    /* After the batch, a write is its own transaction again. */
    doc = doc_with(1, "after", 1700000100);
    poll.polled_at = 1700000100;
    assert_int_equal(store_ingest(s, b->id, doc, &poll, NULL), 0);
    feed_free(doc);
    assert_int_equal(query_int("SELECT count(*) FROM entries WHERE feed_id = 2"), 1);
    recorder_reset(&rec);
    store_feed_state_free(a);
    store_feed_state_free(b);
    store_feed_state_free(c);
    store_close(s);
}

struct wal_seen {
    int calls, frames;
};

static void on_wal(void *userdata, int frames)
{
    struct wal_seen *w = userdata;

    w->calls++;
    w->frames = frames;
}

/* Deferred checkpoints: commits leave the WAL to grow (no checkpoint on
 * the writer's thread) and report its size, a checkpointer on its own
 * connection writes it back, and the WAL starts over at the next commit;
 * a commit between two checkpoints leaves its frames to the second. */
static void test_deferred_checkpoints(void **state)
{
    struct wal_seen seen = {0};
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(1700000000);
    struct store_checkpointer *c;
    char err[256];
    int frames = -1, done = -1, before;

    (void)state;
    store_defer_checkpoints(s, on_wal, &seen);
    assert_int_equal(store_feed_register(s, "f", "https://example.org/f", &st), 0);
    char body[4096];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    for (int i = 0; i < 60; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "w%d-", i);
        struct feed *doc = doc_with(30, prefix, 1700000000 + i);
        for (size_t k = 0; k < doc->n_entries; k++)
            model_set_str(&doc->entries[k].content, body);
        poll.polled_at = 1700000000 + i;
        assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
        feed_free(doc);
    }
    /* Far past SQLite's own threshold of 1,000 pages, never checkpointed. */
    before = store_wal_frames(s);
    assert_true(before > 1000);
    assert_int_equal(seen.frames, before);
    assert_true(seen.calls >= 60);
    c = store_checkpointer_new(path);
    assert_non_null(c);
    assert_int_equal(store_checkpointer_run(c, &frames, &done, err, sizeof(err)), 0);
    assert_int_equal(frames, before);
    assert_int_equal(done, frames);
    /* Nothing new: nothing to do. */
    assert_int_equal(store_checkpointer_run(c, &frames, &done, err, sizeof(err)), 0);
    assert_int_equal(done, frames);
    /* The next commit writes from the WAL's start again. */
    struct feed *doc = doc_with(1, "again-", 1700000100);
    poll.polled_at = 1700000100;
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    assert_true(store_wal_frames(s) < before);
    /* A commit after a checkpoint (as while one runs beside the writer)
     * leaves frames behind; the next checkpoint takes them, and only then
     * does a commit start the WAL over. */
    for (int i = 0; i < 10; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "t%d-", i);
        doc = doc_with(30, prefix, 1700000200 + i);
        for (size_t k = 0; k < doc->n_entries; k++)
            model_set_str(&doc->entries[k].content, body);
        poll.polled_at = 1700000200 + i;
        assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
        feed_free(doc);
        if (i == 4)
            assert_int_equal(store_checkpointer_run(c, &frames, &done, err, sizeof(err)), 0);
    }
    before = store_wal_frames(s);
    assert_int_equal(frames, done);
    assert_true(before > frames); /* the five later commits went on after it */
    doc = doc_with(1, "mid-", 1700000300);
    poll.polled_at = 1700000300;
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    assert_true(store_wal_frames(s) > before); /* not started over: frames left */
    assert_int_equal(store_checkpointer_run(c, &frames, &done, err, sizeof(err)), 0);
    assert_int_equal(done, frames);
    before = store_wal_frames(s);
    doc = doc_with(1, "over-", 1700000400);
    poll.polled_at = 1700000400;
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    assert_true(store_wal_frames(s) < before);
    assert_int_equal(seen.frames, store_wal_frames(s));
    store_checkpointer_free(c);
    /* A checkpointer for a file that does not exist fails clearly. */
    c = store_checkpointer_new("/nonexistent/herald.db");
    assert_non_null(c);
    assert_int_equal(store_checkpointer_run(c, &frames, &done, err, sizeof(err)), -EIO);
    assert_true(err[0] != '\0');
    store_checkpointer_free(c);
    store_feed_state_free(st);
    store_close(s);
}

static void test_backup(void **state)
{
    struct store *s = open_db();
    struct store_feed_state *st;
    struct store_poll poll = ok_poll(1700000000);
    struct feed *doc = doc_with(4, "b", 1700000000);
    char dest[sizeof(path) + 16], err[512];

    (void)state;
    assert_int_equal(store_feed_register(s, "f", "https://example.org/f", &st), 0);
    assert_int_equal(store_ingest(s, st->id, doc, &poll, NULL), 0);
    feed_free(doc);
    snprintf(dest, sizeof(dest), "%s.bak", path);
    unlink(dest);
    /* While the store is open (as under a running daemon). */
    assert_int_equal(store_backup(path, dest, err, sizeof(err)), 0);
    assert_int_not_equal(store_backup(path, dest, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "exists"));
    store_feed_state_free(st);
    store_close(s);
    {
        struct store *copy;
        int64_t n = 0;
        assert_int_equal(store_open_readonly(dest, &copy, err, sizeof(err)), 0);
        assert_int_equal(store_count_entries(copy, &n), 0);
        assert_int_equal(n, 4);
        store_close(copy);
    }
    unlink(dest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_order_limit_and_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_newer_version, setup, teardown),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test_setup_teardown(test_migration_from_version_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_8_rehashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_feed_keeps_its_new_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_until_the_url_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_politeness_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_link_across_feeds_at_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_link_across_feeds_at_story, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_link_not_folded_at_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_prefer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guid_churn_switches_to_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracking_params_same_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_empty_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refetch_with_long_keys_is_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_story_level_paraphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_add_and_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_disable_persists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_hook_new_and_revised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_hook_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_hook_poll_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_polls_grouped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_hook_gone_and_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_hook_joined_by_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
