/* store: see store.h.
 *
 * Schema changes are numbered migrations: migration N runs inside one
 * BEGIN IMMEDIATE transaction that also sets PRAGMA user_version = N, so a
 * crash leaves the file at N-1 or N, never in between. Statements are
 * prepared once (SQLITE_PREPARE_PERSISTENT) and reset after each use.
 */
#include "store/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hash.h"
#include "feed/dedup.h"

#define APPLICATION_ID 0x48524c44 /* "HRLD" */

static const char *const migrations[] = {
    /* 1: feeds and their entries */
    "CREATE TABLE feeds ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  url TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  title TEXT," /* the document's own title */
    "  site_link TEXT,"
    "  self_link TEXT,"
    "  uid TEXT," /* Atom id of the document */
    "  updated INTEGER,"
    "  etag TEXT,"
    "  last_modified TEXT,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  error_count INTEGER NOT NULL DEFAULT 0,"
    "  last_poll INTEGER,"
    "  last_success INTEGER,"
    "  next_poll INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE entries ("
    "  id INTEGER PRIMARY KEY,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  guid TEXT,"
    "  link TEXT,"
    "  title TEXT,"
    "  summary TEXT,"
    "  content TEXT,"
    "  author TEXT,"
    "  published INTEGER,"
    "  updated INTEGER,"
    "  first_seen INTEGER NOT NULL,"
    "  sort_time INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  UNIQUE (feed_id, key)"
    ");"
    "CREATE INDEX entries_by_time ON entries (sort_time DESC, id DESC);",

    /* 2: moved and gone feeds, failure classes, body hashes, politeness */
    "ALTER TABLE feeds ADD COLUMN config_url TEXT;"
    "UPDATE feeds SET config_url = url;"
    "ALTER TABLE feeds ADD COLUMN error_class TEXT;"
    "ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN body_hash TEXT;"
    "ALTER TABLE feeds ADD COLUMN body_size INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN last_outcome TEXT;"
    "ALTER TABLE feeds ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN bytes_saved INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN throttled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN retry_after INTEGER;"
    "ALTER TABLE feeds ADD COLUMN hint INTEGER;"
    "ALTER TABLE feeds ADD COLUMN hint_source TEXT;"
    "CREATE TABLE feed_events ("
    "  id INTEGER PRIMARY KEY,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL," /* moved, gone, configured */
    "  detail TEXT"
    ");"
    "CREATE INDEX feed_events_by_feed ON feed_events (feed_id, at);",
};

enum stmt_id {
    ST_FEED_GET,
    ST_FEED_INSERT,
    ST_FEED_SET_URL,
    ST_FEED_ACTIVATE,
    ST_FEED_INGESTED,
    ST_FEED_POLLED_OK,
    ST_FEED_POLLED_ERR,
    ST_FEED_VALIDATORS,
    ST_FEED_COUNTERS,
    ST_FEED_MOVED,
    ST_FEED_INFO,
    ST_EVENT_INSERT,
    ST_ENTRY_GET,
    ST_ENTRY_INSERT,
    ST_ENTRY_UPDATE,
    ST_MERGED,
    ST_COUNT_ENTRIES,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT,
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_FEED_GET] = "SELECT id, config_url, etag, last_modified, last_status, last_error,"
                    " error_count, last_poll, next_poll, url, error_class, gone, body_hash,"
                    " body_size FROM feeds WHERE name = ?1",
    [ST_FEED_INSERT] = "INSERT INTO feeds (name, url, config_url) VALUES (?1, ?2, ?2)",
    [ST_FEED_SET_URL] = "UPDATE feeds SET url = ?2, config_url = ?2, etag = NULL,"
                        " last_modified = NULL, body_hash = NULL, gone = 0, next_poll = 0"
                        " WHERE id = ?1",
    [ST_FEED_ACTIVATE] = "UPDATE feeds SET active = 1 WHERE id = ?1",
    [ST_FEED_INGESTED] = "UPDATE feeds SET title = ?2, site_link = ?3, self_link = ?4, uid = ?5,"
                         " updated = ?6, etag = ?7, last_modified = ?8, last_status = ?9,"
                         " last_error = NULL, error_class = NULL, error_count = 0,"
                         " last_poll = ?10, last_success = ?10, next_poll = ?11,"
                         " body_hash = ?12, body_size = ?13 WHERE id = ?1",
    [ST_FEED_POLLED_OK] = "UPDATE feeds SET last_status = ?2, last_error = NULL,"
                          " error_class = NULL, error_count = 0, last_poll = ?3,"
                          " last_success = ?3, next_poll = ?4 WHERE id = ?1",
    [ST_FEED_POLLED_ERR] = "UPDATE feeds SET last_status = ?2, last_error = ?3,"
                           " error_count = error_count + 1, last_poll = ?4, next_poll = ?5,"
                           " error_class = ?6, gone = max(gone, ?7) WHERE id = ?1",
    [ST_FEED_VALIDATORS] = "UPDATE feeds SET etag = ?2, last_modified = ?3, body_size = ?4"
                           " WHERE id = ?1",
    /* Before the poll's own update: bytes saved count the previous body. */
    [ST_FEED_COUNTERS] = "UPDATE feeds SET polls = polls + 1, not_modified = not_modified + ?2,"
                         " bytes_saved = bytes_saved + ?2 * body_size,"
                         " throttled = throttled + ?3, retry_after = coalesce(?4, retry_after),"
                         " hint = ?5, hint_source = ?6, last_outcome = ?7 WHERE id = ?1",
    [ST_FEED_MOVED] = "UPDATE feeds SET url = ?2 WHERE id = ?1",
    [ST_FEED_INFO] = "SELECT url, config_url, active, gone, last_status, last_error, error_class,"
                     " error_count, last_outcome, last_poll, last_success, next_poll,"
                     " (SELECT count(*) FROM entries WHERE feed_id = feeds.id), polls,"
                     " not_modified, bytes_saved, throttled, retry_after, hint, hint_source"
                     " FROM feeds WHERE name = ?1",
    [ST_EVENT_INSERT] = "INSERT INTO feed_events (feed_id, at, kind, detail)"
                        " VALUES (?1, ?2, ?3, ?4)",
    [ST_ENTRY_GET] = "SELECT id, hash, first_seen FROM entries WHERE feed_id = ?1 AND key = ?2",
    [ST_ENTRY_INSERT] = "INSERT INTO entries (feed_id, key, guid, link, title, summary, content,"
                        " author, published, updated, first_seen, sort_time, hash)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_ENTRY_UPDATE] = "UPDATE entries SET guid = ?3, link = ?4, title = ?5, summary = ?6,"
                        " content = ?7, author = ?8, published = ?9, updated = ?10,"
                        " sort_time = ?11, hash = ?13 WHERE id = ?1",
    [ST_MERGED] = "SELECT e.guid, e.link, e.title, e.summary, e.content, e.author, e.published,"
                  " e.updated, e.key, e.hash, f.name, f.url, f.title, f.site_link, f.uid,"
                  " f.updated, e.first_seen"
                  " FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE f.active"
                  " ORDER BY e.sort_time DESC, e.id DESC LIMIT ?1",
    [ST_COUNT_ENTRIES] = "SELECT count(*) FROM entries e JOIN feeds f ON f.id = e.feed_id"
                         " WHERE f.active",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    bool readonly;
    char errmsg[256];
};

/* ---- errors ------------------------------------------------------------ */

static int fail(struct store *s, int rc, const char *what)
{
    int primary = rc & 0xff;

    snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    switch (primary) {
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return -EROFS;
    case SQLITE_CANTOPEN:
        return -ENOENT;
    default:
        return -EIO;
    }
}

const char *store_errmsg(const struct store *s)
{
    return s->errmsg;
}

static int exec(struct store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : fail(s, rc, what);
}

/* Runs a statement that returns no rows, then resets it. */
static int run(struct store *s, enum stmt_id id, const char *what)
{
    sqlite3_stmt *st = s->stmt[id];
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : fail(s, rc, what);
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t == TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, t);
}

static char *column_text(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    char *copy;

    if (!t)
        return NULL;
    copy = strdup((const char *)t);
    if (!copy)
        *oom = true;
    return copy;
}

static int64_t column_time(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return TIME_NONE;
    return sqlite3_column_int64(st, i);
}

/* ---- open, migrate, close -------------------------------------------------- */

static int migrate(struct store *s)
{
    const int target = (int)(sizeof(migrations) / sizeof(migrations[0]));
    sqlite3_stmt *st;
    int version, rc;

    rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, "reading the schema version");
    rc = sqlite3_step(st);
    version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return fail(s, rc, "reading the schema version");
    if (version > target) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "database schema version %d is newer than this heraldd knows (%d)", version,
                 target);
        return -EPROTO;
    }
    for (int v = version + 1; v <= target; v++) {
        char bump[64];
        int r;

        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v);
        r = exec(s, "BEGIN IMMEDIATE", "starting a migration");
        if (r == 0)
            r = exec(s, migrations[v - 1], "migrating the schema");
        if (r == 0)
            r = exec(s, bump, "migrating the schema");
        if (r == 0)
            r = exec(s, "COMMIT", "committing a migration");
        if (r < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return r;
        }
    }
    return 0;
}

static int prepare_all(struct store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                                    NULL);
        if (rc != SQLITE_OK)
            return fail(s, rc, "preparing statements");
    }
    return 0;
}

static int configure(struct store *s)
{
    static const char pragmas[] = "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = NORMAL;"
                                  "PRAGMA foreign_keys = ON;"
                                  "PRAGMA secure_delete = OFF;";
    char app_id[64];
    int r;

    /* No busy_timeout: it would sleep on the loop thread. We are the only
     * writer; another process holding the lock is an error to report. */
    r = exec(s, pragmas, "configuring the database");
    if (r < 0)
        return r;
    snprintf(app_id, sizeof(app_id), "PRAGMA application_id = %d", APPLICATION_ID);
    return exec(s, app_id, "configuring the database");
}

int store_open(const char *path, struct store **ret, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof(*s));
    int rc, r;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        r = fail(s, rc, "opening the database");
        goto err;
    }
    sqlite3_extended_result_codes(s->db, 1);
    r = configure(s);
    if (r == 0)
        r = migrate(s);
    if (r == 0)
        r = prepare_all(s);
    if (r < 0)
        goto err;
    *ret = s;
    return 0;
err:
    snprintf(err, errlen, "%s: %s", path, s->errmsg);
    store_close(s);
    return r;
}

static int schema_version(struct store *s, int *ret)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);

    if (rc != SQLITE_OK)
        return fail(s, rc, "reading the schema version");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : fail(s, rc, "reading the schema version");
}

int store_open_readonly(const char *path, struct store **ret, char *err, size_t errlen)
{
    const int target = (int)(sizeof(migrations) / sizeof(migrations[0]));
    struct store *s = calloc(1, sizeof(*s));
    int rc, r, version = 0;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->readonly = true;
    rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        r = fail(s, rc, "opening the database");
        goto err;
    }
    sqlite3_extended_result_codes(s->db, 1);
    r = schema_version(s, &version);
    if (r == 0 && version != target) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "database schema version %d, this heraldd reads %d (start the daemon once to "
                 "migrate it)",
                 version, target);
        r = -EPROTO;
    }
    if (r == 0)
        r = prepare_all(s);
    if (r < 0)
        goto err;
    *ret = s;
    return 0;
err:
    snprintf(err, errlen, "%s: %s", path, s->errmsg);
    store_close(s);
    return r;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (s->db && !s->readonly) {
        /* Leave no -wal file behind on a clean shutdown. */
        sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    sqlite3_close_v2(s->db);
    free(s);
}

/* ---- feeds ------------------------------------------------------------------ */

void store_feed_state_free(struct store_feed_state *st)
{
    if (!st)
        return;
    free(st->url);
    free(st->etag);
    free(st->last_modified);
    free(st->last_error);
    free(st->error_class);
    free(st->body_hash);
    free(st);
}

/* Reads the row of NAME into *ret; -ENOENT when there is none. url_out
 * receives the configured URL (caller frees). */
static int feed_get(struct store *s, const char *name, struct store_feed_state **ret,
                    char **url_out)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_GET];
    struct store_feed_state *f;
    bool oom = false;
    int rc;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return -ENOENT;
    }
    if (rc != SQLITE_ROW) {
        done(st);
        return fail(s, rc, "reading a feed");
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        done(st);
        return -ENOMEM;
    }
    f->id = sqlite3_column_int64(st, 0);
    *url_out = column_text(st, 1, &oom);
    f->etag = column_text(st, 2, &oom);
    f->last_modified = column_text(st, 3, &oom);
    f->last_status = sqlite3_column_int(st, 4);
    f->last_error = column_text(st, 5, &oom);
    f->error_count = sqlite3_column_int(st, 6);
    f->last_poll = column_time(st, 7);
    f->next_poll = sqlite3_column_int64(st, 8);
    f->url = column_text(st, 9, &oom);
    f->error_class = column_text(st, 10, &oom);
    f->gone = sqlite3_column_int(st, 11) != 0;
    f->body_hash = column_text(st, 12, &oom);
    f->body_size = sqlite3_column_int64(st, 13);
    done(st);
    if (oom) {
        store_feed_state_free(f);
        free(*url_out);
        *url_out = NULL;
        return -ENOMEM;
    }
    *ret = f;
    return 0;
}

static int add_event(struct store *s, int64_t feed_id, int64_t at, const char *kind,
                     const char *detail)
{
    sqlite3_stmt *st = s->stmt[ST_EVENT_INSERT];

    sqlite3_bind_int64(st, 1, feed_id);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, kind);
    bind_text(st, 4, detail);
    return run(s, ST_EVENT_INSERT, "recording a feed event");
}

static int begin(struct store *s)
{
    return run(s, ST_BEGIN, "starting a transaction");
}

/* Commits when r is 0, else rolls back; returns r or the commit's error. */
static int end(struct store *s, int r)
{
    if (r == 0)
        r = run(s, ST_COMMIT, "committing");
    if (r < 0) {
        sqlite3_step(s->stmt[ST_ROLLBACK]);
        done(s->stmt[ST_ROLLBACK]);
    }
    return r;
}

/* A new configured URL: it wins over a move, and the feed starts afresh. */
static int reconfigure(struct store *s, struct store_feed_state *f, const char *url)
{
    char *copy = strdup(url);
    int r;

    if (!copy)
        return -ENOMEM;
    r = begin(s);
    if (r < 0) {
        free(copy);
        return r;
    }
    sqlite3_bind_int64(s->stmt[ST_FEED_SET_URL], 1, f->id);
    bind_text(s->stmt[ST_FEED_SET_URL], 2, url);
    r = run(s, ST_FEED_SET_URL, "changing a feed's URL");
    if (r == 0)
        r = add_event(s, f->id, clock_now(), "configured", url);
    r = end(s, r);
    if (r < 0) {
        free(copy);
        return r;
    }
    free(f->url);
    free(f->etag);
    free(f->last_modified);
    free(f->body_hash);
    f->url = copy;
    f->etag = f->last_modified = f->body_hash = NULL;
    f->gone = false;
    f->next_poll = 0;
    return 0;
}

int store_feed_register(struct store *s, const char *name, const char *url,
                        struct store_feed_state **ret)
{
    struct store_feed_state *f = NULL;
    char *old_url = NULL;
    int r;

    r = feed_get(s, name, &f, &old_url);
    if (r == -ENOENT) {
        bind_text(s->stmt[ST_FEED_INSERT], 1, name);
        bind_text(s->stmt[ST_FEED_INSERT], 2, url);
        r = run(s, ST_FEED_INSERT, "adding a feed");
        if (r == 0)
            r = feed_get(s, name, &f, &old_url);
    } else if (r == 0 && (!old_url || strcmp(old_url, url) != 0)) {
        r = reconfigure(s, f, url);
    }
    if (r == 0) {
        sqlite3_bind_int64(s->stmt[ST_FEED_ACTIVATE], 1, f->id);
        r = run(s, ST_FEED_ACTIVATE, "activating a feed");
    }
    free(old_url);
    if (r < 0) {
        store_feed_state_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

int store_feeds_retain(struct store *s, const char *const *names, size_t n)
{
    struct buf sql;
    int r;

    /* Built once per (re)configuration; names are bound, never spliced. */
    buf_init(&sql, 1 << 20);
    buf_puts(&sql, "UPDATE feeds SET active = 0 WHERE name NOT IN (");
    for (size_t i = 0; i < n; i++)
        buf_puts(&sql, i ? ",?" : "?");
    buf_puts(&sql, ")");
    if (sql.err)
        return sql.err;

    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL);
    buf_release(&sql);
    if (rc != SQLITE_OK)
        return fail(s, rc, "retiring feeds");
    for (size_t i = 0; i < n; i++)
        bind_text(st, (int)i + 1, names[i]);
    rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? 0 : fail(s, rc, "retiring feeds");
    sqlite3_finalize(st);
    return r;
}

/* ---- ingest ------------------------------------------------------------------ */

/* The time an entry sorts by: its published date, else its updated date,
 * else when it was first seen; a date more than a day in the future (a
 * broken clock or time zone) sorts as first seen. */
static int64_t sort_time(const struct entry *e, int64_t first_seen, int64_t now)
{
    int64_t t = e->published != TIME_NONE ? e->published : e->updated;

    if (t == TIME_NONE || t > now + 86400)
        return first_seen;
    return t;
}

static void bind_entry(sqlite3_stmt *st, const struct entry *e, const char *hash)
{
    bind_text(st, 3, e->id);
    bind_text(st, 4, e->link);
    bind_text(st, 5, e->title);
    bind_text(st, 6, e->summary);
    bind_text(st, 7, e->content);
    bind_text(st, 8, e->author);
    bind_time(st, 9, e->published);
    bind_time(st, 10, e->updated);
    bind_text(st, 13, hash);
}

/* Looks the entry up by key: 1 and its row id and hash when stored, 0 if
 * not. */
static int entry_lookup(struct store *s, int64_t feed_id, const char *key, int64_t *ret_id,
                        int64_t *ret_first_seen, char hash[HASH_HEX_LEN + 1])
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_GET];
    int rc, found = 0;

    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 1);
        *ret_id = sqlite3_column_int64(st, 0);
        *ret_first_seen = sqlite3_column_int64(st, 2);
        snprintf(hash, HASH_HEX_LEN + 1, "%s", h ? (const char *)h : "");
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = fail(s, rc, "looking up an entry");
    }
    done(st);
    return found;
}

static int ingest_entry(struct store *s, int64_t feed_id, const struct entry *e, int64_t now,
                        struct store_ingest_stats *stats)
{
    char hash[HASH_HEX_LEN + 1], old[HASH_HEX_LEN + 1];
    char *key = NULL;
    int64_t row = 0, first_seen = now;
    sqlite3_stmt *st;
    int r;

    r = dedup_entry_key(e, &key);
    if (r == 0)
        r = dedup_entry_hash(e, hash);
    if (r == 0)
        r = entry_lookup(s, feed_id, key, &row, &first_seen, old);
    if (r < 0)
        goto out;
    if (r == 1 && strcmp(old, hash) == 0) {
        stats->unchanged++;
        r = 0;
        goto out;
    }
    st = s->stmt[r == 1 ? ST_ENTRY_UPDATE : ST_ENTRY_INSERT];
    if (r == 1)
        sqlite3_bind_int64(st, 1, row);
    else
        sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, key);
    bind_entry(st, e, hash);
    if (r == 1) {
        sqlite3_bind_int64(st, 11, sort_time(e, first_seen, now));
        stats->updated++;
    } else {
        sqlite3_bind_int64(st, 11, now);
        sqlite3_bind_int64(st, 12, sort_time(e, now, now));
        stats->added++;
    }
    r = run(s, r == 1 ? ST_ENTRY_UPDATE : ST_ENTRY_INSERT, "storing an entry");
out:
    free(key);
    return r;
}

static int feed_ingested(struct store *s, int64_t feed_id, const struct feed *doc,
                         const struct store_poll *poll)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_INGESTED];

    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, doc->title);
    bind_text(st, 3, doc->link);
    bind_text(st, 4, doc->self);
    bind_text(st, 5, doc->id);
    bind_time(st, 6, doc->updated);
    bind_text(st, 7, poll->etag);
    bind_text(st, 8, poll->last_modified);
    sqlite3_bind_int(st, 9, poll->status);
    sqlite3_bind_int64(st, 10, poll->polled_at);
    sqlite3_bind_int64(st, 11, poll->next_poll);
    bind_text(st, 12, poll->body_hash);
    sqlite3_bind_int64(st, 13, poll->body_size);
    return run(s, ST_FEED_INGESTED, "updating a feed");
}

/* What every poll records besides its own update: counters, hints, a move
 * and a gone feed's event. Runs first, inside the poll's transaction. */
static int poll_extras(struct store *s, int64_t feed_id, const struct store_poll *poll,
                       const char *outcome)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_COUNTERS];
    bool not_modified = poll->status == 304 || poll->unchanged;
    int r;

    sqlite3_bind_int64(st, 1, feed_id);
    sqlite3_bind_int(st, 2, not_modified && !poll->error);
    sqlite3_bind_int(st, 3, poll->status == 429);
    if (poll->retry_after > 0)
        sqlite3_bind_int64(st, 4, poll->retry_after);
    else
        sqlite3_bind_null(st, 4);
    if (poll->hint > 0)
        sqlite3_bind_int64(st, 5, poll->hint);
    else
        sqlite3_bind_null(st, 5);
    bind_text(st, 6, poll->hint > 0 ? poll->hint_source : NULL);
    bind_text(st, 7, outcome);
    r = run(s, ST_FEED_COUNTERS, "counting a poll");
    if (r == 0 && poll->moved_to) {
        sqlite3_bind_int64(s->stmt[ST_FEED_MOVED], 1, feed_id);
        bind_text(s->stmt[ST_FEED_MOVED], 2, poll->moved_to);
        r = run(s, ST_FEED_MOVED, "moving a feed");
        if (r == 0)
            r = add_event(s, feed_id, poll->polled_at, "moved", poll->moved_to);
    }
    if (r == 0 && poll->gone && poll->error)
        r = add_event(s, feed_id, poll->polled_at, "gone", poll->error);
    return r;
}

int store_ingest(struct store *s, int64_t feed_id, const struct feed *doc,
                 const struct store_poll *poll, struct store_ingest_stats *ret_stats)
{
    struct store_ingest_stats stats = {.seen = (unsigned)doc->n_entries};
    int r;

    r = begin(s);
    if (r < 0)
        return r;
    r = poll_extras(s, feed_id, poll, "updated");
    for (size_t i = 0; i < doc->n_entries && r == 0; i++)
        r = ingest_entry(s, feed_id, &doc->entries[i], poll->polled_at, &stats);
    if (r == 0)
        r = feed_ingested(s, feed_id, doc, poll);
    r = end(s, r);
    if (r < 0)
        return r;
    if (ret_stats)
        *ret_stats = stats;
    return 0;
}

static int record_validators(struct store *s, int64_t feed_id, const struct store_poll *poll)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_VALIDATORS];

    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, poll->etag);
    bind_text(st, 3, poll->last_modified);
    sqlite3_bind_int64(st, 4, poll->body_size);
    return run(s, ST_FEED_VALIDATORS, "recording validators");
}

static const char *outcome_of(const struct store_poll *poll)
{
    if (poll->error)
        return poll->gone ? "gone" : "error";
    if (poll->unchanged)
        return "unchanged";
    return poll->status == 304 ? "not modified" : "polled";
}

int store_record_poll(struct store *s, int64_t feed_id, const struct store_poll *poll)
{
    enum stmt_id id = poll->error ? ST_FEED_POLLED_ERR : ST_FEED_POLLED_OK;
    sqlite3_stmt *st = s->stmt[id];
    int r = begin(s);

    if (r < 0)
        return r;
    r = poll_extras(s, feed_id, poll, outcome_of(poll));
    if (r < 0)
        return end(s, r);
    sqlite3_bind_int64(st, 1, feed_id);
    sqlite3_bind_int(st, 2, poll->status);
    if (poll->error) {
        bind_text(st, 3, poll->error);
        sqlite3_bind_int64(st, 4, poll->polled_at);
        sqlite3_bind_int64(st, 5, poll->next_poll);
        bind_text(st, 6, poll->error_class);
        sqlite3_bind_int(st, 7, poll->gone);
    } else {
        sqlite3_bind_int64(st, 3, poll->polled_at);
        sqlite3_bind_int64(st, 4, poll->next_poll);
    }
    r = run(s, id, "recording a poll");
    if (r == 0 && !poll->error && poll->unchanged)
        r = record_validators(s, feed_id, poll);
    return end(s, r);
}

/* ---- reading -------------------------------------------------------------------- */

static int read_merged_row(sqlite3_stmt *st, struct entry *e,
                           const char *(*title_of)(const char *, void *), void *ud)
{
    bool oom = false;
    const char *name = (const char *)sqlite3_column_text(st, 10);
    const char *title = name && title_of ? title_of(name, ud) : NULL;

    e->id = column_text(st, 0, &oom);
    e->link = column_text(st, 1, &oom);
    e->title = column_text(st, 2, &oom);
    e->summary = column_text(st, 3, &oom);
    e->content = column_text(st, 4, &oom);
    e->author = column_text(st, 5, &oom);
    e->published = column_time(st, 6);
    e->updated = column_time(st, 7);
    e->source.url = column_text(st, 11, &oom);
    e->source.title = title ? strdup(title) : column_text(st, 12, &oom);
    e->source.link = column_text(st, 13, &oom);
    e->source.id = column_text(st, 14, &oom);
    e->source.updated = column_time(st, 15);
    if (title && !e->source.title)
        oom = true;
    if (!e->source.id && e->source.url && !(e->source.id = strdup(e->source.url)))
        oom = true;
    if (!e->source.title && name && !(e->source.title = strdup(name)))
        oom = true;
    if (e->updated == TIME_NONE)
        e->updated = e->published != TIME_NONE ? e->published : sqlite3_column_int64(st, 16);
    return oom ? -ENOMEM : 0;
}

int store_merged(struct store *s, size_t limit, const char *(*title_of)(const char *name, void *ud),
                 void *ud, struct feed **ret)
{
    sqlite3_stmt *st = s->stmt[ST_MERGED];
    struct feed *f = feed_new();
    int rc, r = 0;

    if (!f)
        return -ENOMEM;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct entry *e = feed_add_entry(f);
        if (!e || read_merged_row(st, e, title_of, ud) < 0) {
            r = -ENOMEM;
            break;
        }
        if (f->updated == TIME_NONE || e->updated > f->updated)
            f->updated = e->updated;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = fail(s, rc, "reading the merged feed");
    done(st);
    if (r < 0) {
        feed_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

void store_feed_info_free(struct store_feed_info *info)
{
    if (!info)
        return;
    free(info->url);
    free(info->config_url);
    free(info->last_error);
    free(info->error_class);
    free(info->last_outcome);
    free(info->hint_source);
    free(info);
}

static void read_info(sqlite3_stmt *st, struct store_feed_info *f, bool *oom)
{
    f->url = column_text(st, 0, oom);
    f->config_url = column_text(st, 1, oom);
    f->active = sqlite3_column_int(st, 2) != 0;
    f->gone = sqlite3_column_int(st, 3) != 0;
    f->last_status = sqlite3_column_int(st, 4);
    f->last_error = column_text(st, 5, oom);
    f->error_class = column_text(st, 6, oom);
    f->error_count = sqlite3_column_int(st, 7);
    f->last_outcome = column_text(st, 8, oom);
    f->last_poll = column_time(st, 9);
    f->last_success = column_time(st, 10);
    f->next_poll = sqlite3_column_int64(st, 11);
    f->entries = sqlite3_column_int64(st, 12);
    f->polls = sqlite3_column_int64(st, 13);
    f->not_modified = sqlite3_column_int64(st, 14);
    f->bytes_saved = sqlite3_column_int64(st, 15);
    f->throttled = sqlite3_column_int64(st, 16);
    f->retry_after = sqlite3_column_int64(st, 17); /* NULL reads as 0 */
    f->hint = sqlite3_column_int64(st, 18);
    f->hint_source = column_text(st, 19, oom);
}

int store_feed_info(struct store *s, const char *name, struct store_feed_info **ret)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_INFO];
    struct store_feed_info *f;
    bool oom = false;
    int rc;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc, "reading a feed's status");
        done(st);
        return r;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        done(st);
        return -ENOMEM;
    }
    read_info(st, f, &oom);
    done(st);
    if (oom) {
        store_feed_info_free(f);
        return -ENOMEM;
    }
    *ret = f;
    return 0;
}

int store_count_entries(struct store *s, int64_t *ret)
{
    sqlite3_stmt *st = s->stmt[ST_COUNT_ENTRIES];
    int rc = sqlite3_step(st);
    int r = 0;

    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    else
        r = fail(s, rc, "counting entries");
    done(st);
    return r;
}
