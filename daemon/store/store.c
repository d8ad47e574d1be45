/* store: see store.h.
 *
 * Schema changes are numbered migrations: migration N runs inside one
 * BEGIN IMMEDIATE transaction that also sets PRAGMA user_version = N, so a
 * crash leaves the file at N-1 or N, never in between. Statements are
 * prepared once (SQLITE_PREPARE_PERSISTENT) and reset after each use.
 */
#include "store/store.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hash.h"
#include "feed/dedup.h"
#include "feed/story_index.h"
#include "base/log.h"

#define APPLICATION_ID       0x48524c44 /* "HRLD" */
#define STORE_DAEMON_BUSY_MS 20

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

    /* 3: dedup - canonical links, identity churn, stories, revisions.
     * link_group and story are NULL on the first entry of a group (the
     * group's id is that entry's id), so that the indexes hold only the
     * entries that joined one. The herald_* functions
     * are registered by store_open() (default canonical options). */
    "ALTER TABLE feeds ADD COLUMN id_mode TEXT NOT NULL DEFAULT 'guid';"
    "ALTER TABLE feeds ADD COLUMN guid_churn INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN link_churn INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE entries ADD COLUMN canon TEXT;"
    "ALTER TABLE entries ADD COLUMN link_group INTEGER;"
    "ALTER TABLE entries ADD COLUMN story INTEGER;"
    "ALTER TABLE entries ADD COLUMN fp_terms INTEGER;"
    "ALTER TABLE entries ADD COLUMN id_rule TEXT;"
    "ALTER TABLE entries ADD COLUMN story_rule TEXT;"
    "ALTER TABLE entries ADD COLUMN story_ref INTEGER;"
    "ALTER TABLE entries ADD COLUMN story_sim INTEGER;"
    "ALTER TABLE entries ADD COLUMN revised INTEGER;"
    "ALTER TABLE entries ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;"
    "UPDATE entries SET canon = herald_canon(link),"
    "  hash = herald_hash(guid, link, title, summary, content, author, published, updated);"
    "UPDATE OR IGNORE entries SET key = 'l:' || canon WHERE key LIKE 'l:%' AND canon IS NOT NULL;"
    "CREATE INDEX entries_by_canon ON entries (canon) WHERE canon IS NOT NULL;"
    "CREATE INDEX entries_by_link_group ON entries (link_group) WHERE link_group IS NOT NULL;"
    "CREATE INDEX entries_by_story ON entries (story) WHERE story IS NOT NULL;",

    /* 4: categories, for output filters (terms joined by newlines) */
    "ALTER TABLE entries ADD COLUMN categories TEXT;",

    /* 5: the webhook outbox. A delivery is written in the transaction of
     * the entry or poll it announces; batch is the id of the first
     * delivery of the request it went out in (fixed at its first attempt,
     * so that retries resend the same batch under the same webhook-id). */
    "CREATE TABLE deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  webhook TEXT NOT NULL,"
    "  msg_id TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  entry_id INTEGER,"
    "  feed_id INTEGER,"
    "  payload TEXT NOT NULL,"
    "  title TEXT,"
    "  created INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'," /* pending, delivered, dead */
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL,"
    "  batch INTEGER,"
    "  last_attempt INTEGER,"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  delivered_at INTEGER"
    ");"
    "CREATE INDEX deliveries_due ON deliveries (webhook, state, next_attempt, id);"
    "CREATE INDEX deliveries_by_batch ON deliveries (batch) WHERE batch IS NOT NULL;"
    "CREATE TABLE webhook_state ("
    "  name TEXT PRIMARY KEY,"
    "  disabled_at INTEGER NOT NULL,"
    "  reason TEXT"
    ");",

    /* 6: retention. last_seen: when the entry was last in its feed's
     * document; last_doc: when the feed's last document was stored. An
     * entry of the last document is never pruned (it would come back as
     * new). */
    "ALTER TABLE entries ADD COLUMN last_seen INTEGER;"
    "ALTER TABLE feeds ADD COLUMN last_doc INTEGER;",

    /* 7: retention re-checks each candidate against the outbox. */
    "CREATE INDEX deliveries_by_entry ON deliveries (entry_id) WHERE entry_id IS NOT NULL;",

    /* 8: change hashes are XXH3-128 (they were SHA-256): the entries' are
     * recomputed, so that no entry looks revised on its next poll; a
     * body's is only compared with the next body, so it is dropped (that
     * poll parses the body once more). */
    "UPDATE entries SET"
    "  hash = herald_hash(guid, link, title, summary, content, author, published, updated);"
    "UPDATE feeds SET body_hash = NULL;",
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
    ST_FEED_IDENTITY_GET,
    ST_FEED_IDENTITY_SET,
    ST_ENTRY_GET,
    ST_ENTRY_BY_CANON,
    ST_ENTRY_BY_GUID,
    ST_ENTRY_INSERT,
    ST_ENTRY_UPDATE,
    ST_INDEX_LOAD,
    ST_MERGED,
    ST_ARCHIVE,
    ST_MAX_ID,
    ST_MEMBERS_LINK,
    ST_MEMBERS_STORY,
    ST_WHY,
    ST_WHY_COUNT,
    ST_COUNT_ENTRIES,
    ST_FEED_BRIEF,
    ST_OUT_INSERT,
    ST_OUT_DUE,
    ST_OUT_BATCH,
    ST_OUT_SET_BATCH,
    ST_OUT_RESULT,
    ST_OUT_NEXT,
    ST_OUT_LIST,
    ST_OUT_REQUEUE,
    ST_OUT_COUNTS,
    ST_OUT_PRUNE,
    ST_HOOK_GET,
    ST_HOOK_DISABLE,
    ST_HOOK_ENABLE,
    ST_STORY_SOURCES,
    ST_ENTRY_SEEN,
    ST_PRUNE_ONE,
    ST_CHECKPOINT,
    ST_HOOK_COUNTS,
    ST_COUNT_STORIES,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_COUNT,
};

#define MERGED_COLS                                                                                \
    "SELECT e.guid, e.link, e.title, e.summary, e.content, e.author, e.published,"                 \
    " e.updated, e.key, e.hash, f.name, f.url, f.title, f.site_link, f.uid, f.updated,"            \
    " e.first_seen, e.id, coalesce(e.link_group, e.id), coalesce(e.story, e.id), e.sort_time,"     \
    " e.revised, e.categories FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE f.active"

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
                         " body_hash = ?12, body_size = ?13, last_doc = ?10 WHERE id = ?1",
/* A poll without a document: its update and its counters (?10-?15, as
 * in ST_FEED_COUNTERS) in one statement. */
#define POLL_COUNTERS                                                                              \
    " polls = polls + 1, not_modified = not_modified + ?10,"                                       \
    " bytes_saved = bytes_saved + ?10 * body_size, throttled = throttled + ?11,"                   \
    " retry_after = coalesce(?12, retry_after), hint = ?13, hint_source = ?14,"                    \
    " last_outcome = ?15,"
    [ST_FEED_POLLED_OK] = "UPDATE feeds SET" POLL_COUNTERS " last_status = ?2, last_error = NULL,"
                          " error_class = NULL, error_count = 0, last_poll = ?3,"
                          " last_success = ?3, next_poll = ?4 WHERE id = ?1",
    [ST_FEED_POLLED_ERR] = "UPDATE feeds SET" POLL_COUNTERS " last_status = ?2, last_error = ?3,"
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
    [ST_FEED_IDENTITY_GET] = "SELECT id_mode, guid_churn, link_churn FROM feeds WHERE id = ?1",
    [ST_FEED_IDENTITY_SET] = "UPDATE feeds SET id_mode = ?2, guid_churn = ?3, link_churn = ?4"
                             " WHERE id = ?1",
    [ST_ENTRY_GET] =
        "SELECT id, hash, first_seen, key FROM entries WHERE feed_id = ?1 AND key = ?2",
    [ST_ENTRY_BY_CANON] = "SELECT id, hash, first_seen, key, feed_id, coalesce(link_group, id),"
                          " coalesce(story, id) FROM entries WHERE canon = ?1 ORDER BY id LIMIT 64",
    [ST_ENTRY_BY_GUID] = "SELECT id, hash, first_seen, key FROM entries"
                         " WHERE feed_id = ?1 AND guid = ?2 ORDER BY id DESC LIMIT 1",
    [ST_ENTRY_INSERT] =
        "INSERT INTO entries (feed_id, key, guid, link, title, summary, content,"
        " author, published, updated, first_seen, sort_time, hash, canon,"
        " link_group, story, fp_terms, id_rule, story_rule, story_ref,"
        " story_sim, categories, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
        " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?18, ?19, ?20, ?21, ?22, ?23, ?11)",
    [ST_ENTRY_UPDATE] = "UPDATE entries SET key = ?2, guid = ?3, link = ?4, title = ?5,"
                        " summary = ?6, content = ?7, author = ?8, published = ?9, updated = ?10,"
                        " sort_time = ?11, hash = ?13, canon = ?14, id_rule = ?15,"
                        " revised = CASE WHEN NOT ?16 THEN revised"
                        "   WHEN ?10 IS NULL OR ?10 IS updated THEN ?12 ELSE NULL END,"
                        " revisions = revisions + ?16, categories = ?23, last_seen = ?12"
                        " WHERE id = ?1",
    [ST_INDEX_LOAD] = "SELECT id, coalesce(story, id), feed_id, sort_time, title,"
                      " coalesce(summary, content)"
                      " FROM entries WHERE sort_time >= ?1 AND fp_terms IS NOT NULL",
    [ST_MERGED] = MERGED_COLS " ORDER BY e.sort_time DESC, e.id DESC",
    [ST_ARCHIVE] = MERGED_COLS " AND e.id BETWEEN ?1 AND ?2 ORDER BY e.id DESC",
    [ST_MAX_ID] = "SELECT coalesce(max(id), 0) FROM entries",
    /* A group's first entry keeps NULL in the column: found by its id. */
    [ST_MEMBERS_LINK] = MERGED_COLS " AND (e.link_group = ?1 OR e.id = ?1) ORDER BY e.id",
    [ST_MEMBERS_STORY] = MERGED_COLS " AND (e.story = ?1 OR e.id = ?1) ORDER BY e.id",
    [ST_WHY] = "SELECT e.id, f.name, f.id_mode, e.key, e.id_rule, e.guid, e.link, e.canon,"
               " e.title, e.first_seen, e.revised, e.revisions, e.fp_terms IS NOT NULL,"
               " coalesce(e.story, e.id), e.story_rule, e.story_ref, e.story_sim,"
               " rf.name, r.title, r.link, coalesce(e.link_group, e.id)"
               " FROM entries e JOIN feeds f ON f.id = e.feed_id"
               " LEFT JOIN entries r ON r.id = e.story_ref LEFT JOIN feeds rf ON rf.id = r.feed_id"
               " WHERE e.id = ?1 OR e.guid = ?2 OR e.link = ?2 OR e.canon = ?3"
               " ORDER BY e.id = ?1 DESC, e.id DESC LIMIT 1",
    [ST_WHY_COUNT] = "SELECT count(*) FROM entries WHERE story = ?1 OR id = ?1",
    [ST_COUNT_ENTRIES] = "SELECT count(*) FROM entries e JOIN feeds f ON f.id = e.feed_id"
                         " WHERE f.active",
    [ST_FEED_BRIEF] = "SELECT name, title, url, error_count FROM feeds WHERE id = ?1",
    [ST_OUT_INSERT] = "INSERT INTO deliveries (webhook, msg_id, event, entry_id, feed_id, payload,"
                      " title, created, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
#define OUT_COLS                                                                                   \
    "SELECT id, webhook, msg_id, event, payload, title, state, attempts, last_status,"             \
    " last_error, created, next_attempt, last_attempt, delivered_at, coalesce(batch, 0)"           \
    " FROM deliveries"
    [ST_OUT_DUE] = OUT_COLS " WHERE webhook = ?1 AND state = 'pending' AND next_attempt <= ?2"
                            " ORDER BY id LIMIT ?3",
    [ST_OUT_BATCH] = OUT_COLS " WHERE batch = ?1 AND state = 'pending' ORDER BY id",
    [ST_OUT_SET_BATCH] = "UPDATE deliveries SET batch = ?2 WHERE id = ?1",
    [ST_OUT_RESULT] = "UPDATE deliveries SET attempts = attempts + 1, last_attempt = ?2,"
                      " last_status = ?3, last_error = ?4, state = ?5, next_attempt = ?6,"
                      " delivered_at = CASE WHEN ?5 = 'delivered' THEN ?2 END WHERE id = ?1",
    [ST_OUT_NEXT] = "SELECT min(next_attempt) FROM deliveries WHERE webhook = ?1"
                    " AND state = 'pending'",
    [ST_OUT_LIST] = OUT_COLS " WHERE ?1 OR state <> 'delivered' ORDER BY id",
    [ST_OUT_REQUEUE] = "UPDATE deliveries SET state = 'pending', next_attempt = ?2"
                       " WHERE (?1 > 0 AND id = ?1 AND state <> 'delivered')"
                       " OR (?1 = 0 AND state = 'dead')",
    [ST_OUT_COUNTS] = "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'dead'), 0)"
                      " FROM deliveries",
    [ST_OUT_PRUNE] = "DELETE FROM deliveries WHERE state = 'delivered' AND delivered_at < ?1",
    [ST_HOOK_GET] = "SELECT disabled_at, reason FROM webhook_state WHERE name = ?1",
    [ST_HOOK_DISABLE] = "INSERT INTO webhook_state (name, disabled_at, reason) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT (name) DO UPDATE SET disabled_at = ?2, reason = ?3",
    [ST_HOOK_ENABLE] = "DELETE FROM webhook_state WHERE name = ?1",
    [ST_STORY_SOURCES] = "SELECT f.name, f.title, e.title, e.link FROM entries e"
                         " JOIN feeds f ON f.id = e.feed_id"
                         " WHERE e.story = ?1 OR e.id = ?1 ORDER BY e.id LIMIT ?2",
    [ST_ENTRY_SEEN] = "UPDATE entries SET last_seen = ?2 WHERE id = ?1",
    /* Deletes one candidate of store_prune_candidates() unless, since the
     * scan, a delivery came to announce it or its feed's document had it
     * again. */
    [ST_PRUNE_ONE] = "DELETE FROM entries WHERE id = ?1"
                     " AND NOT EXISTS (SELECT 1 FROM deliveries WHERE entry_id = ?1"
                     " AND state = 'pending') AND coalesce(last_seen, first_seen) <"
                     " (SELECT last_doc FROM feeds WHERE feeds.id = entries.feed_id)",
    [ST_CHECKPOINT] = "PRAGMA wal_checkpoint(PASSIVE)",
    [ST_HOOK_COUNTS] = "SELECT coalesce(sum(state = 'pending' AND attempts = 0), 0),"
                       " coalesce(sum(state = 'pending' AND attempts > 0), 0),"
                       " coalesce(sum(state = 'dead'), 0) FROM deliveries WHERE webhook = ?1",
    [ST_COUNT_STORIES] = "SELECT count(*) FROM entries e JOIN feeds f ON f.id = e.feed_id"
                         " WHERE f.active AND e.story IS NULL",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT poll",
    [ST_RELEASE] = "RELEASE poll",
    [ST_ROLLBACK_TO] = "ROLLBACK TO poll",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    bool readonly;
    bool shared; /* store_open_shared() with a busy timeout: a tool beside the daemon */
    bool batch;  /* between store_batch_begin() and _end(): transactions are savepoints */
    char errmsg[256];
    char *path; /* as opened, for store_check_file() */
    dev_t dev;  /* the file opened */
    ino_t ino;
    struct store_dedup dedup;
    struct story_index *index; /* NULL until the first ingest at level story */
    int64_t index_from;        /* the index holds entries from this time on */
    int64_t index_pruned;      /* when it was last pruned */
    int wal_frames;            /* frames in the WAL after the last commit (deferred checkpoints) */
    void (*wal_fn)(void *, int); /* told of them after each commit */
    void *wal_ud;
    store_event_fn event_fn; /* the outbox's router, or NULL */
    void *event_ud;
    struct feed_brief {
        int64_t id;
        char *name, *title, *url;
        int error_count; /* before this poll */
    } cur;               /* the feed of the poll being stored, while event_fn is set */
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

/* For a string that outlives the statement's step (SQLite keeps a
 * pointer, no copy): the entry's fields, bound and stepped in the same
 * function, the bindings cleared by run(). The content and summary are
 * most of the bytes a first poll stores. */
static void bind_text_static(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
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

static void brief_clear(struct store *s);

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

static int application_id(struct store *s)
{
    sqlite3_stmt *st;
    int id = -1;

    if (sqlite3_prepare_v2(s->db, "PRAGMA application_id", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return id;
}

static int configure(struct store *s)
{
    /* 8 KiB pages (new databases only; an existing one keeps its size): an
     * entry with a few KB of HTML left most of a 4 KiB page empty (one row
     * fits, a second does not), so every byte was written twice over, to
     * the WAL and back. Must come before WAL mode is set. */
    static const char pragmas[] = "PRAGMA page_size = 8192;"
                                  "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = NORMAL;"
                                  "PRAGMA foreign_keys = ON;"
                                  "PRAGMA secure_delete = OFF;";
    char app_id[64];
    int r;

    /* The daemon is the only long-lived writer; the command-line tools
     * (deliveries --retry/--enable) write a few rows at a time. A short
     * wait for their lock (it sleeps on the loop thread, so a short one)
     * keeps such a moment from failing a poll's transaction. */
    if (!s->shared)
        sqlite3_busy_timeout(s->db, STORE_DAEMON_BUSY_MS);
    r = exec(s, pragmas, "configuring the database");
    if (r < 0)
        return r;
    /* The daemon's batches (store_batch_begin) put each poll in a savepoint,
     * whose sub-journal (the pages it changes, to roll back to) SQLite
     * writes to a temporary file past 64 KiB: as many bytes again as the
     * WAL in a first poll. In memory it costs the pages of one feed's
     * ingest at a time. Its sorts all run on indexes. */
    if (!s->shared && !s->readonly) {
        r = exec(s, "PRAGMA temp_store = MEMORY", "configuring the database");
        if (r < 0)
            return r;
    }
    /* Written once: a write on every open would take the lock from the
     * daemon when a command-line tool opens the database beside it. */
    if (application_id(s) == APPLICATION_ID)
        return 0;
    snprintf(app_id, sizeof(app_id), "PRAGMA application_id = %d", APPLICATION_ID);
    return exec(s, app_id, "configuring the database");
}

/* herald_canon(link): the canonical link with the default options, for
 * migration 3. */
static void sql_canon(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *link = sqlite3_value_text(argv[0]);
    struct entry e = {.link = (char *)link};
    struct dedup_opts o = {.canon = {.fold_scheme = true, .fold_slash = true}};

    (void)argc;
    if (!link) {
        sqlite3_result_null(ctx);
        return;
    }
    if (dedup_prepare_entry(&e, &o) < 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (e.canon)
        sqlite3_result_text(ctx, e.canon, -1, free);
    else
        sqlite3_result_null(ctx);
}

static int64_t value_time(sqlite3_value *v)
{
    return sqlite3_value_type(v) == SQLITE_NULL ? TIME_NONE : sqlite3_value_int64(v);
}

/* herald_hash(guid, link, title, summary, content, author, published,
 * updated): the change hash (dedup_fields_hash()), for migration 3. */
static void sql_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *v[6];
    char hex[HASH_HEX_LEN + 1];

    (void)argc;
    for (int i = 0; i < 6; i++)
        v[i] = (const char *)sqlite3_value_text(argv[i]);
    if (dedup_fields_hash(v[0], v[1], v[2], v[3], v[4], v[5], value_time(argv[6]),
                          value_time(argv[7]), hex) < 0) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, hex, -1, SQLITE_TRANSIENT);
}

static int register_functions(struct store *s)
{
    int rc = sqlite3_create_function(s->db, "herald_canon", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                     NULL, sql_canon, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(s->db, "herald_hash", 8, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                     NULL, sql_hash, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(s, rc, "registering functions");
}

static void default_dedup(struct store_dedup *d)
{
    *d = (struct store_dedup){
        .level = DEDUP_STORY,
        .prepare = {.canon = {.fold_scheme = true, .fold_slash = true}, .fingerprint = true},
        .window = 72 * 3600,
        .min_similarity = STORE_DEFAULT_SIMILARITY,
    };
}

void store_set_dedup(struct store *s, const struct store_dedup *d)
{
    if (d->level != DEDUP_STORY || d->window != s->dedup.window) {
        /* Reloaded from the database with the new window when needed. */
        story_index_free(s->index);
        s->index = NULL;
    }
    s->dedup = *d;
    s->dedup.prepare.fingerprint = d->level == DEDUP_STORY;
}

const struct store_dedup *store_get_dedup(const struct store *s)
{
    return &s->dedup;
}

int store_open(const char *path, struct store **ret, char *err, size_t errlen)
{
    return store_open_shared(path, 0, ret, err, errlen);
}

int store_open_shared(const char *path, int busy_ms, struct store **ret, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof(*s));
    int rc, r;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* A new database is created 0600 whatever the umask (SQLite would
     * make it 0644 less the umask); its WAL and shared-memory files take
     * the database file's mode. An existing file keeps its mode. */
    if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        if (fd >= 0)
            close(fd);
    }
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        r = fail(s, rc, "opening the database");
        goto err;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if (busy_ms > 0) {
        sqlite3_busy_timeout(s->db, busy_ms);
        s->shared = true;
    }
    if (!(s->path = strdup(path))) {
        r = -ENOMEM;
        snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
        goto err;
    }
    default_dedup(&s->dedup);
    r = configure(s);
    if (r == 0)
        r = register_functions(s);
    if (r == 0)
        r = migrate(s);
    if (r == 0)
        r = prepare_all(s);
    if (r < 0)
        goto err;
    {
        struct stat sb;
        if (stat(path, &sb) == 0) {
            s->dev = sb.st_dev;
            s->ino = sb.st_ino;
        }
    }
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
    default_dedup(&s->dedup);
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
    if (s->db && !s->readonly && !s->shared) {
        /* Leave no -wal file behind on a clean shutdown (the daemon's; a
         * tool beside it would wait for the daemon's readers). */
        sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    sqlite3_close_v2(s->db);
    story_index_free(s->index);
    brief_clear(s);
    free(s->path);
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

/* ---- events, for the outbox --------------------------------------------- */

static void brief_clear(struct store *s)
{
    free(s->cur.name);
    free(s->cur.title);
    free(s->cur.url);
    memset(&s->cur, 0, sizeof(s->cur));
}

/* Reads the feed's name, title, URL and error count (before this poll)
 * for the events of its poll; a no-op without an event hook. */
static int brief_load(struct store *s, int64_t feed_id, const char *doc_title)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_BRIEF];
    bool oom = false;
    int rc, r = 0;

    brief_clear(s);
    if (!s->event_fn)
        return 0;
    sqlite3_bind_int64(st, 1, feed_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s->cur.id = feed_id;
        s->cur.name = column_text(st, 0, &oom);
        s->cur.title = doc_title ? strdup(doc_title) : column_text(st, 1, &oom);
        s->cur.url = column_text(st, 2, &oom);
        s->cur.error_count = sqlite3_column_int(st, 3);
        if (oom || (doc_title && !s->cur.title))
            r = -ENOMEM;
    } else {
        r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc, "reading a feed");
    }
    done(st);
    return r;
}

/* Hands an event of the current poll to the hook, inside its transaction:
 * a failure rolls the poll back. */
static int emit(struct store *s, struct store_event *ev)
{
    if (!s->event_fn || !s->cur.name)
        return 0;
    ev->feed_id = s->cur.id;
    ev->feed_name = s->cur.name;
    ev->feed_title = s->cur.title;
    ev->feed_url = s->cur.url;
    return s->event_fn(s, ev, s->event_ud);
}

void store_set_event_hook(struct store *s, store_event_fn fn, void *ud)
{
    s->event_fn = fn;
    s->event_ud = ud;
}

static int begin(struct store *s)
{
    if (s->batch)
        return run(s, ST_SAVEPOINT, "starting a savepoint");
    return run(s, ST_BEGIN, "starting a transaction");
}

/* Commits when r is 0, else rolls back; returns r or the commit's error.
 * In a batch, releases or rolls back the savepoint begin() started. */
static int end(struct store *s, int r)
{
    if (s->batch) {
        if (r < 0) {
            sqlite3_step(s->stmt[ST_ROLLBACK_TO]);
            done(s->stmt[ST_ROLLBACK_TO]);
        }
        sqlite3_step(s->stmt[ST_RELEASE]);
        done(s->stmt[ST_RELEASE]);
        return r;
    }
    if (r == 0)
        r = run(s, ST_COMMIT, "committing");
    if (r < 0) {
        sqlite3_step(s->stmt[ST_ROLLBACK]);
        done(s->stmt[ST_ROLLBACK]);
    }
    return r;
}

int store_batch_begin(struct store *s)
{
    int r;

    if (s->batch)
        return -EINVAL;
    r = begin(s);
    s->batch = r == 0;
    return r;
}

int store_batch_end(struct store *s)
{
    int r;

    if (!s->batch)
        return -EINVAL;
    s->batch = false;
    r = end(s, 0);
    if (r < 0 && s->index) {
        /* It took the batch's new entries, which were rolled back: it is
         * loaded again from the database when next needed. */
        story_index_free(s->index);
        s->index = NULL;
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

/* ---- the story index -------------------------------------------------------- */

/* Loads the entries of the last 2 x window into a new index. */
static int index_load(struct store *s, int64_t now)
{
    sqlite3_stmt *st = s->stmt[ST_INDEX_LOAD];
    struct story_index *x = story_index_new();
    int64_t from = now - 2 * s->dedup.window;
    int rc, r = 0;

    if (!x)
        return -ENOMEM;
    sqlite3_bind_int64(st, 1, from);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct story_rec rec = {
            .entry = sqlite3_column_int64(st, 0),
            .story = sqlite3_column_int64(st, 1),
            .feed = sqlite3_column_int64(st, 2),
            .t = sqlite3_column_int64(st, 3),
        };
        /* Fingerprints are not stored (they would add a fifth to every
         * row): made again from the stored title and lead. */
        story_fingerprint((const char *)sqlite3_column_text(st, 4),
                          (const char *)sqlite3_column_text(st, 5), &rec.fp);
        /* An entry it cannot hold (-EINVAL: a date decades away) is left out. */
        if ((r = story_index_add(x, &rec)) == -ENOMEM)
            break;
        r = 0;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = fail(s, rc, "loading the story index");
    done(st);
    if (r < 0) {
        story_index_free(x);
        return r;
    }
    story_index_free(s->index);
    s->index = x;
    s->index_from = s->index_pruned = from;
    return 0;
}

void store_story_index_size(const struct store *s, int64_t *ret_entries, int64_t *ret_bytes)
{
    *ret_entries = s->index ? (int64_t)story_index_size(s->index) : 0;
    *ret_bytes = s->index ? (int64_t)story_index_bytes(s->index) : 0;
}

/* Loaded when first needed; pruned as the horizon moves by a window. */
static int index_ready(struct store *s, int64_t now)
{
    int64_t from = now - 2 * s->dedup.window;

    if (!s->index)
        return index_load(s, now);
    if (from - s->index_pruned >= s->dedup.window) {
        int r = story_index_prune(s->index, from);
        if (r < 0)
            return r;
        s->index_pruned = from;
    }
    return 0;
}

int store_story_lookup(struct store *s, struct entry *e, int64_t feed_id, int64_t now,
                       int64_t *ret_entry, int64_t *ret_story, double *ret_similarity)
{
    struct dedup_opts o = s->dedup.prepare;
    struct story_rec match;
    int r;

    o.fingerprint = true;
    r = dedup_prepare_entry(e, &o);
    if (r == 0)
        r = index_ready(s, now);
    if (r < 0)
        return r;
    if (!story_index_match(s->index, &e->fp, feed_id, sort_time(e, now, now), s->dedup.window,
                           s->dedup.min_similarity / 100.0, &match, ret_similarity))
        return 0;
    *ret_entry = match.entry;
    *ret_story = match.story;
    return 1;
}

/* ---- ingest ------------------------------------------------------------------ */

/* Category terms joined by newlines (a term never holds one: the model's
 * text fields are single-line), or NULL. */
static void bind_categories(sqlite3_stmt *st, int i, const struct entry *e)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    for (size_t k = 0; k < e->n_categories; k++) {
        const char *t = e->categories[k].term ? e->categories[k].term : e->categories[k].label;
        if (!t)
            continue;
        if (b.len)
            buf_putc(&b, '\n');
        buf_puts(&b, t);
    }
    if (b.len && !b.err)
        sqlite3_bind_text(st, i, b.data, (int)b.len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
    buf_release(&b);
}

static void bind_entry(sqlite3_stmt *st, const struct entry *e, const char *hash)
{
    bind_text_static(st, 3, e->id);
    bind_text_static(st, 4, e->link);
    bind_text_static(st, 5, e->title);
    bind_text_static(st, 6, e->summary);
    bind_text_static(st, 7, e->content);
    bind_text_static(st, 8, e->author);
    bind_time(st, 9, e->published);
    bind_time(st, 10, e->updated);
    bind_text(st, 13, hash);
    bind_text(st, 14, e->canon);
    bind_categories(st, 23, e);
}

/* A stored entry one of the lookups found. */
struct found {
    int64_t id, first_seen, feed, group, story;
    char hash[HASH_HEX_LEN + 1];
    bool key_same; /* stored under the key being looked up */
};

/* Reads id, hash, first_seen and key (columns 0-3); key is the key the
 * entry is looked up under. */
static void read_found(sqlite3_stmt *st, struct found *f, const char *key)
{
    const unsigned char *h = sqlite3_column_text(st, 1);
    const unsigned char *k = sqlite3_column_text(st, 3);

    f->id = sqlite3_column_int64(st, 0);
    f->first_seen = sqlite3_column_int64(st, 2);
    snprintf(f->hash, sizeof(f->hash), "%s", h ? (const char *)h : "");
    f->key_same = k && strcmp((const char *)k, key) == 0;
}

/* By key: 1 and *f when stored, 0 if not, or a negative errno. */
static int find_by_key(struct store *s, int64_t feed_id, const char *key, struct found *f)
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_GET];
    int rc, r = 0;

    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_found(st, f, key);
        r = 1;
    } else if (rc != SQLITE_DONE) {
        r = fail(s, rc, "looking up an entry");
    }
    done(st);
    return r;
}

static int find_by_guid(struct store *s, int64_t feed_id, const char *guid, const char *key,
                        struct found *f)
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_BY_GUID];
    int rc, r = 0;

    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, guid);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_found(st, f, key);
        r = 1;
    } else if (rc != SQLITE_DONE) {
        r = fail(s, rc, "looking up an entry by guid");
    }
    done(st);
    return r;
}

/* By canonical link: the newest entry of this feed into *mine (bit 1 of
 * the result) and the earliest of another feed into *other (bit 2). */
static int find_by_canon(struct store *s, int64_t feed_id, const char *canon, const char *key,
                         struct found *mine, struct found *other)
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_BY_CANON];
    int rc, r = 0;

    bind_text(st, 1, canon);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t feed = sqlite3_column_int64(st, 4);

        if (feed == feed_id) {
            read_found(st, mine, key);
            r |= 1;
        } else if (!(r & 2)) {
            read_found(st, other, key);
            other->feed = feed;
            other->group = sqlite3_column_int64(st, 5);
            other->story = sqlite3_column_int64(st, 6);
            r |= 2;
        }
    }
    if (rc != SQLITE_DONE)
        r = fail(s, rc, "looking up an entry by link");
    done(st);
    return r;
}

/* Per document: which entries' guid and canonical link are unique in it.
 * A link that several entries of one document share (a feed that links
 * every entry to one page) identifies none of them; likewise a guid. */
struct doc_keys {
    bool *guid_ok, *link_ok;
};

struct keyed {
    uint64_t h;
    size_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;

    return x->h < y->h ? -1 : x->h > y->h;
}

static uint64_t str_hash(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return h;
}

/* Marks ok[i] false for entries whose string (guid or canon) is shared. */
static int mark_unique(const struct feed *doc, bool guid, bool *ok)
{
    struct keyed *k = malloc((doc->n_entries + 1) * sizeof(*k));
    size_t n = 0;

    if (!k)
        return -ENOMEM;
    for (size_t i = 0; i < doc->n_entries; i++) {
        const char *v = guid ? doc->entries[i].id : doc->entries[i].canon;

        ok[i] = v != NULL;
        if (v)
            k[n++] = (struct keyed){str_hash(v), i};
    }
    qsort(k, n, sizeof(*k), cmp_keyed);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;

        while (b < n && k[b].h == k[a].h)
            b++;
        /* Equal hashes: compare the strings (a collision is not a dup). */
        for (size_t x = a; x < b; x++) {
            for (size_t y = x + 1; y < b; y++) {
                const struct entry *ex = &doc->entries[k[x].i], *ey = &doc->entries[k[y].i];
                if (strcmp(guid ? ex->id : ex->canon, guid ? ey->id : ey->canon) == 0)
                    ok[k[x].i] = ok[k[y].i] = false;
            }
        }
        a = b;
    }
    free(k);
    return 0;
}

static int doc_keys_init(const struct feed *doc, struct doc_keys *dk)
{
    dk->guid_ok = calloc(doc->n_entries + 1, sizeof(bool));
    dk->link_ok = calloc(doc->n_entries + 1, sizeof(bool));
    if (!dk->guid_ok || !dk->link_ok)
        return -ENOMEM;
    int r = mark_unique(doc, true, dk->guid_ok);
    return r < 0 ? r : mark_unique(doc, false, dk->link_ok);
}

static void doc_keys_free(struct doc_keys *dk)
{
    free(dk->guid_ok);
    free(dk->link_ok);
}

/* A feed's identity state during one ingest. */
struct identity {
    bool by_link; /* id_mode "link" */
    int guid_churn, link_churn;
};

struct pending {
    struct story_rec *recs;
    size_t n, cap;
};

static int pending_add(struct pending *p, const struct story_rec *rec)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct story_rec *n = realloc(p->recs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        p->recs = n;
        p->cap = cap;
    }
    p->recs[p->n++] = *rec;
    return 0;
}

static char *make_key(const char *prefix, const char *v)
{
    size_t n = strlen(v) + 3;
    char *k = malloc(n);

    if (k)
        snprintf(k, n, "%s%s", prefix, v);
    return k;
}

static int insert_entry(struct store *s, int64_t feed_id, const struct entry *e, const char *key,
                        const char *hash, const char *id_rule, const struct found *other,
                        bool have_other, int64_t now, struct pending *pend,
                        struct store_ingest_stats *stats)
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_INSERT];
    int64_t t = sort_time(e, now, now);
    struct story_rec match = {0};
    double sim = 0;
    const char *rule = NULL;
    int r = 0;

    if (have_other && s->dedup.level >= DEDUP_LINK) {
        rule = "link";
    } else if (s->dedup.level == DEDUP_STORY && e->fp.n_terms && s->index) {
        if (story_index_match(s->index, &e->fp, feed_id, t, s->dedup.window,
                              s->dedup.min_similarity / 100.0, &match, &sim))
            rule = "story";
    }
    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, key);
    bind_entry(st, e, hash);
    sqlite3_bind_int64(st, 11, now);
    sqlite3_bind_int64(st, 12, t);
    if (rule && rule[0] == 'l') {
        sqlite3_bind_int64(st, 15, other->group);
        sqlite3_bind_int64(st, 16, other->story);
        sqlite3_bind_int64(st, 21, other->id);
    } else if (rule) {
        sqlite3_bind_int64(st, 16, match.story);
        sqlite3_bind_int64(st, 21, match.entry);
        sqlite3_bind_int(st, 22, (int)(sim * 100 + 0.5));
    }
    if (e->fp.n_terms && s->dedup.level == DEDUP_STORY) {
        sqlite3_bind_int(st, 18, e->fp.n_terms);
    }
    bind_text(st, 19, id_rule);
    bind_text(st, 20, rule);
    r = run(s, ST_ENTRY_INSERT, "storing an entry");
    if (r < 0)
        return r;
    stats->added++;

    int64_t id = sqlite3_last_insert_rowid(s->db), story = id;
    if (rule) {
        story = rule[0] == 'l' ? other->story : match.story;
        stats->merged++;
    }
    if (r == 0 && e->fp.n_terms && s->dedup.level == DEDUP_STORY) {
        struct story_rec rec = {.entry = id, .story = story, .feed = feed_id, .t = t, .fp = e->fp};
        r = pending_add(pend, &rec);
    }
    if (r == 0) {
        struct store_event ev = {.kind = STORE_EVENT_ENTRY_NEW,
                                 .at = now,
                                 .entry = e,
                                 .entry_id = id,
                                 .story_id = story,
                                 .joined = rule};
        r = emit(s, &ev);
    }
    return r;
}

static int update_entry(struct store *s, int64_t row, const struct entry *e, const char *key,
                        const char *hash, const char *old_hash, const char *id_rule,
                        int64_t first_seen, int64_t now)
{
    sqlite3_stmt *st = s->stmt[ST_ENTRY_UPDATE];
    bool revised = strncmp(hash, old_hash, DEDUP_TEXT_HEX) != 0;

    sqlite3_bind_int64(st, 1, row);
    bind_text(st, 2, key);
    bind_entry(st, e, hash);
    sqlite3_bind_int64(st, 11, sort_time(e, first_seen, now));
    sqlite3_bind_int64(st, 12, now);
    bind_text(st, 15, id_rule);
    sqlite3_bind_int(st, 16, revised);
    return run(s, ST_ENTRY_UPDATE, "updating an entry");
}

static int ingest_entry(struct store *s, int64_t feed_id, struct entry *e, bool guid_ok,
                        bool link_ok, struct identity *idn, int64_t now, struct pending *pend,
                        struct store_ingest_stats *stats)
{
    char hash[HASH_HEX_LEN + 1];
    struct found f = {0}, mine = {0}, other = {0};
    const char *id_rule;
    bool looked = false;
    char *key = NULL;
    int r, by_canon = 0;

    r = dedup_prepare_entry(e, &s->dedup.prepare);
    if (r < 0)
        return r;
    /* The primary key: the feed's identity key, when usable. */
    if (idn->by_link && e->canon && link_ok) {
        key = make_key("l:", e->canon);
        id_rule = "link";
        if (!key)
            return -ENOMEM;
    } else {
        r = dedup_entry_key(e, &key);
        if (r < 0)
            return r;
        id_rule = key[0] == 'g' ? "guid" : key[0] == 'l' ? "link" : "hash";
    }
    if (e->hash[0]) {
        memcpy(hash, e->hash, sizeof(hash)); /* computed on the thread pool */
        e->hash[0] = '\0';
    } else {
        r = dedup_entry_hash(e, hash);
    }
    if (r == 0)
        r = find_by_key(s, feed_id, key, &f);
    if (r == 0 && e->canon && link_ok) {
        /* Missed by its key: the same canonical link in this feed is the
         * same entry (a new guid on an old entry); in another feed, the
         * same story. */
        looked = true;
        r = by_canon = find_by_canon(s, feed_id, e->canon, key, &mine, &other);
        if (r >= 0 && (by_canon & 1)) {
            f = mine;
            r = 1;
            if (!idn->by_link && e->id) {
                id_rule = "link (guid changed)";
                idn->guid_churn++;
                stats->churned++;
            }
        } else if (r > 0) {
            r = 0;
        }
    }
    if (r == 0 && idn->by_link && e->id && guid_ok && key[0] == 'l') {
        r = find_by_guid(s, feed_id, e->id, key, &f);
        if (r == 1) {
            id_rule = "guid (link changed)";
            idn->link_churn++;
            stats->churned++;
        }
    }
    if (r < 0)
        goto out;
    if (r == 1) {
        if (strcmp(f.hash, hash) == 0 && f.key_same) {
            stats->unchanged++;
            /* Still in the feed's document: not to be pruned. */
            sqlite3_bind_int64(s->stmt[ST_ENTRY_SEEN], 1, f.id);
            sqlite3_bind_int64(s->stmt[ST_ENTRY_SEEN], 2, now);
            r = run(s, ST_ENTRY_SEEN, "marking an entry seen");
        } else {
            r = update_entry(s, f.id, e, key, hash, f.hash, id_rule, f.first_seen, now);
            if (r == 0)
                stats->updated++;
            if (r == 0 && strncmp(hash, f.hash, DEDUP_TEXT_HEX) != 0) {
                struct store_event ev = {
                    .kind = STORE_EVENT_ENTRY_REVISED, .at = now, .entry = e, .entry_id = f.id};
                r = emit(s, &ev);
            }
        }
        goto out;
    }
    if (!looked && e->canon && link_ok && s->dedup.level >= DEDUP_LINK) {
        by_canon = find_by_canon(s, feed_id, e->canon, key, &mine, &other);
        if (by_canon < 0) {
            r = by_canon;
            goto out;
        }
    }
    r = insert_entry(s, feed_id, e, key, hash, id_rule, &other, (by_canon & 2) != 0, now, pend,
                     stats);
out:
    free(key);
    return r;
}

static int identity_load(struct store *s, int64_t feed_id, struct identity *idn)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_IDENTITY_GET];
    int rc, r = 0;

    sqlite3_bind_int64(st, 1, feed_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        idn->by_link = mode && strcmp((const char *)mode, "link") == 0;
        idn->guid_churn = sqlite3_column_int(st, 1);
        idn->link_churn = sqlite3_column_int(st, 2);
    } else {
        r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc, "reading a feed's identity");
    }
    done(st);
    return r;
}

/* Saves the churn counts, switching the identity key at the threshold. */
static int identity_save(struct store *s, int64_t feed_id, struct identity *idn,
                         const struct identity *before, int64_t now,
                         struct store_ingest_stats *stats)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_IDENTITY_SET];
    const char *detail = NULL;
    int r;

    if (!idn->by_link && idn->guid_churn >= STORE_CHURN_SWITCH) {
        idn->by_link = true;
        detail = "link: guids changed while links stayed the same";
    } else if (idn->by_link && idn->link_churn >= STORE_CHURN_SWITCH) {
        idn->by_link = false;
        detail = "guid: links changed while guids stayed the same";
    }
    if (detail) {
        idn->guid_churn = idn->link_churn = 0;
        stats->identity_switch = idn->by_link ? "link" : "guid";
    } else if (idn->guid_churn == before->guid_churn && idn->link_churn == before->link_churn) {
        return 0;
    }
    sqlite3_bind_int64(st, 1, feed_id);
    bind_text(st, 2, idn->by_link ? "link" : "guid");
    sqlite3_bind_int(st, 3, idn->guid_churn);
    sqlite3_bind_int(st, 4, idn->link_churn);
    r = run(s, ST_FEED_IDENTITY_SET, "saving a feed's identity");
    if (r == 0 && detail)
        r = add_event(s, feed_id, now, "identity", detail);
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

/* Binds a poll's counters and hints from parameter i on: not modified,
 * throttled, retry_after, hint, hint_source, outcome. */
static void bind_counters(sqlite3_stmt *st, int i, const struct store_poll *poll,
                          const char *outcome)
{
    bool not_modified = poll->status == 304 || poll->unchanged;

    sqlite3_bind_int(st, i, not_modified && !poll->error);
    sqlite3_bind_int(st, i + 1, poll->status == 429);
    if (poll->retry_after > 0)
        sqlite3_bind_int64(st, i + 2, poll->retry_after);
    else
        sqlite3_bind_null(st, i + 2);
    if (poll->hint > 0)
        sqlite3_bind_int64(st, i + 3, poll->hint);
    else
        sqlite3_bind_null(st, i + 3);
    bind_text(st, i + 4, poll->hint > 0 ? poll->hint_source : NULL);
    bind_text(st, i + 5, outcome);
}

static int poll_events(struct store *s, int64_t feed_id, const struct store_poll *poll);

/* What every poll records besides its own update: counters, hints, a move
 * and a gone feed's event. Runs first, inside the poll's transaction. */
static int poll_extras(struct store *s, int64_t feed_id, const struct store_poll *poll,
                       const char *outcome)
{
    sqlite3_stmt *st = s->stmt[ST_FEED_COUNTERS];
    int r;

    sqlite3_bind_int64(st, 1, feed_id);
    bind_counters(st, 2, poll, outcome);
    r = run(s, ST_FEED_COUNTERS, "counting a poll");
    return r == 0 ? poll_events(s, feed_id, poll) : r;
}

/* A move (with its event), a gone feed's event and the poll's own event. */
static int poll_events(struct store *s, int64_t feed_id, const struct store_poll *poll)
{
    int r = 0;

    if (poll->moved_to) {
        sqlite3_bind_int64(s->stmt[ST_FEED_MOVED], 1, feed_id);
        bind_text(s->stmt[ST_FEED_MOVED], 2, poll->moved_to);
        r = run(s, ST_FEED_MOVED, "moving a feed");
        if (r == 0)
            r = add_event(s, feed_id, poll->polled_at, "moved", poll->moved_to);
        if (r == 0) {
            struct store_event ev = {.kind = STORE_EVENT_FEED_MOVED,
                                     .at = poll->polled_at,
                                     .status = poll->status,
                                     .moved_to = poll->moved_to};
            r = emit(s, &ev);
        }
    }
    if (r == 0 && poll->gone && poll->error) {
        r = add_event(s, feed_id, poll->polled_at, "gone", poll->error);
        if (r == 0) {
            struct store_event ev = {.kind = STORE_EVENT_FEED_GONE,
                                     .at = poll->polled_at,
                                     .status = poll->status,
                                     .error = poll->error};
            r = emit(s, &ev);
        }
    }
    if (r == 0) {
        struct store_event ev = {.kind =
                                     poll->error ? STORE_EVENT_POLL_FAILED : STORE_EVENT_POLL_OK,
                                 .at = poll->polled_at,
                                 .status = poll->status,
                                 .error = poll->error,
                                 .errors_before = s->cur.error_count,
                                 .errors = poll->error ? s->cur.error_count + 1 : 0};
        r = emit(s, &ev);
    }
    return r;
}

int store_ingest(struct store *s, int64_t feed_id, struct feed *doc, const struct store_poll *poll,
                 struct store_ingest_stats *ret_stats)
{
    struct store_ingest_stats stats = {.seen = (unsigned)doc->n_entries};
    struct identity idn = {0}, before;
    struct doc_keys dk = {0};
    struct pending pend = {0};
    int r;

    r = dedup_prepare(doc, &s->dedup.prepare);
    if (r == 0)
        r = doc_keys_init(doc, &dk);
    if (r == 0 && s->dedup.level == DEDUP_STORY)
        r = index_ready(s, poll->polled_at);
    if (r < 0)
        goto out;
    r = begin(s);
    if (r < 0)
        goto out;
    r = identity_load(s, feed_id, &idn);
    before = idn;
    if (r == 0)
        r = brief_load(s, feed_id, doc->title);
    if (r == 0)
        r = poll_extras(s, feed_id, poll, "updated");
    for (size_t i = 0; i < doc->n_entries && r == 0; i++)
        r = ingest_entry(s, feed_id, &doc->entries[i], dk.guid_ok[i], dk.link_ok[i], &idn,
                         poll->polled_at, &pend, &stats);
    if (r == 0)
        r = identity_save(s, feed_id, &idn, &before, poll->polled_at, &stats);
    if (r == 0)
        r = feed_ingested(s, feed_id, doc, poll);
    r = end(s, r);
    brief_clear(s);
    /* Only committed entries become story candidates (in a batch, those of
     * a released savepoint: store_batch_end() drops the index if the batch
     * fails), and only those within
     * the horizon: an older one (a feed's archive, a backdated post) could
     * only match others until the next prune or restart, and would hold
     * memory until then. */
    for (size_t i = 0; r == 0 && i < pend.n && s->index; i++) {
        if (pend.recs[i].t < poll->polled_at - 2 * s->dedup.window)
            continue;
        if (story_index_add(s->index, &pend.recs[i]) == -ENOMEM) {
            /* Out of memory: drop the index; it is reloaded when needed. An
             * entry it cannot hold (-EINVAL: a date decades away) is left out. */
            story_index_free(s->index);
            s->index = NULL;
        }
    }
    if (r == 0 && ret_stats)
        *ret_stats = stats;
out:
    free(pend.recs);
    doc_keys_free(&dk);
    return r;
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

/* One poll's record, inside a transaction. */
static int record_poll(struct store *s, int64_t feed_id, const struct store_poll *poll)
{
    enum stmt_id id = poll->error ? ST_FEED_POLLED_ERR : ST_FEED_POLLED_OK;
    sqlite3_stmt *st = s->stmt[id];
    int r = brief_load(s, feed_id, NULL);

    if (r < 0) {
        brief_clear(s);
        return r;
    }
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
    bind_counters(st, 10, poll, outcome_of(poll));
    r = run(s, id, "recording a poll");
    if (r == 0)
        r = poll_events(s, feed_id, poll);
    if (r == 0 && !poll->error && poll->unchanged)
        r = record_validators(s, feed_id, poll);
    brief_clear(s);
    return r;
}

int store_record_poll(struct store *s, int64_t feed_id, const struct store_poll *poll)
{
    int r = begin(s);

    if (r < 0)
        return r;
    return end(s, record_poll(s, feed_id, poll));
}

int store_record_polls(struct store *s, const struct store_poll_rec *recs, size_t n,
                       int *ret_results)
{
    int r;

    if (n == 1) {
        ret_results[0] = store_record_poll(s, recs[0].feed_id, &recs[0].poll);
        return ret_results[0];
    }
    r = begin(s);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n && r == 0; i++) {
        int one = run(s, ST_SAVEPOINT, "starting a savepoint");

        if (one < 0) {
            r = one;
            break;
        }
        one = record_poll(s, recs[i].feed_id, &recs[i].poll);
        /* This poll alone is undone; the others stay. */
        if (one < 0 && (r = run(s, ST_ROLLBACK_TO, "rolling back a poll")) < 0)
            break;
        r = run(s, ST_RELEASE, "releasing a savepoint");
        ret_results[i] = one;
    }
    return end(s, r);
}

/* ---- reading -------------------------------------------------------------------- */

static int read_merged_row(sqlite3_stmt *st, struct entry *e,
                           const char *(*title_of)(const char *, void *), void *ud)
{
    bool oom = false;
    const char *name = (const char *)sqlite3_column_text(st, 10);
    const char *title = name && title_of ? title_of(name, ud) : NULL;

    e->db_id = sqlite3_column_int64(st, 17);
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
    /* Categories: terms only (what output filters look at). */
    const char *cats = (const char *)sqlite3_column_text(st, 22);
    while (cats && *cats && !oom) {
        size_t n = strcspn(cats, "\n");
        struct category *c = model_grow(e->categories, e->n_categories, sizeof(*c));
        if (!c || !(c[e->n_categories].term = strndup(cats, n))) {
            if (c)
                e->categories = c;
            oom = true;
            break;
        }
        e->categories = c;
        e->n_categories++;
        cats += n + (cats[n] == '\n');
    }
    /* Changed in place without a new date from its feed: the change's
     * time (the "revised" column, reset when the feed dates a change). */
    if (sqlite3_column_type(st, 21) != SQLITE_NULL && sqlite3_column_int64(st, 21) > e->updated)
        e->updated = sqlite3_column_int64(st, 21);
    return oom ? -ENOMEM : 0;
}

/* One item of a merged output while it is read. */
struct merged_item {
    int64_t group;
    int64_t sort_time;
    size_t index;
};

static int rank_of(const struct store_merged_opts *o, const char *name)
{
    for (size_t i = 0; name && i < o->n_prefer; i++)
        if (strcmp(o->prefer[i], name) == 0)
            return (int)i;
    return INT32_MAX;
}

static int add_related(struct entry *rep, struct entry *other)
{
    struct entry_related *rel = model_grow(rep->related, rep->n_related, sizeof(*rel));

    if (!rel)
        return -ENOMEM;
    rep->related = rel;
    rel = &rel[rep->n_related++];
    rel->db_id = other->db_id;
    rel->link = other->link;
    rel->title = other->title;
    rel->source = other->source;
    other->link = other->title = NULL;
    memset(&other->source, 0, sizeof(other->source));
    return 0;
}

/* Replaces *e with the group's representative and its other sources. */
static int read_group(struct store *s, const struct store_merged_opts *o, int64_t group,
                      struct entry *e, int64_t *sort_time)
{
    enum stmt_id id = o->level == DEDUP_LINK ? ST_MEMBERS_LINK : ST_MEMBERS_STORY;
    sqlite3_stmt *st = s->stmt[id];
    struct feed *members = feed_new();
    size_t rep = 0;
    int64_t rep_time = 0;
    int best = INT32_MAX, rc, r = 0;

    if (!members)
        return -ENOMEM;
    sqlite3_bind_int64(st, 1, group);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct entry *m = feed_add_entry(members);
        int rank;

        if (!m || read_merged_row(st, m, o->title_of, o->ud) < 0) {
            r = -ENOMEM;
            break;
        }
        if (o->accept && !o->accept(m, (const char *)sqlite3_column_text(st, 10), o->ud)) {
            feed_drop_last_entry(members);
            continue;
        }
        rank = rank_of(o, (const char *)sqlite3_column_text(st, 10));
        if (members->n_entries == 1 || rank < best) {
            best = rank;
            rep = members->n_entries - 1;
            rep_time = sqlite3_column_int64(st, 20);
        }
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = fail(s, rc, "reading a story");
    done(st);
    if (r == 0 && members->n_entries > 1) {
        *sort_time = rep_time;
        entry_release(e);
        *e = members->entries[rep];
        memset(&members->entries[rep], 0, sizeof(*e));
        for (size_t i = 0; i < members->n_entries && r == 0; i++)
            if (i != rep)
                r = add_related(e, &members->entries[i]);
    }
    feed_free(members);
    return r;
}

static int cmp_item_time(const void *a, const void *b)
{
    const struct merged_item *x = a, *y = b;

    if (x->sort_time != y->sort_time)
        return x->sort_time < y->sort_time ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int store_max_entry_id(struct store *s, int64_t *ret)
{
    sqlite3_stmt *st = s->stmt[ST_MAX_ID];
    int rc = sqlite3_step(st);
    int r = 0;

    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    else
        r = fail(s, rc, "reading the last entry id");
    done(st);
    return r;
}

int store_merged(struct store *s, const struct store_merged_opts *o, struct feed **ret)
{
    bool archive = o->first_id > 0;
    sqlite3_stmt *st = s->stmt[archive ? ST_ARCHIVE : ST_MERGED];
    struct merged_item *items = calloc(o->limit + 1, sizeof(*items));
    struct feed *f = feed_new();
    int col = o->level == DEDUP_NONE ? 17 : o->level == DEDUP_LINK ? 18 : 19;
    size_t n = 0;
    int rc = SQLITE_DONE, r = 0;

    if (!f || !items) {
        free(items);
        feed_free(f);
        return -ENOMEM;
    }
    size_t max_scan = o->max_scan ? o->max_scan : 100 * o->limit + 1000, scanned = 0;
    if (archive) {
        sqlite3_bind_int64(st, 1, o->first_id);
        sqlite3_bind_int64(st, 2, o->last_id);
        max_scan = SIZE_MAX;
    }
    while (n < o->limit && scanned++ < max_scan && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t group = sqlite3_column_int64(st, col);
        bool seen = false;

        if (o->since && sqlite3_column_int64(st, 20) < o->since)
            break; /* rows come newest first: the rest are older */
        if (archive && group < o->first_id)
            continue; /* a story of an earlier page */
        for (size_t i = 0; i < n && !seen; i++)
            seen = items[i].group == group;
        if (seen)
            continue;
        struct entry *e = feed_add_entry(f);
        if (!e || read_merged_row(st, e, o->title_of, o->ud) < 0) {
            r = -ENOMEM;
            break;
        }
        if (o->accept && !o->accept(e, (const char *)sqlite3_column_text(st, 10), o->ud)) {
            feed_drop_last_entry(f);
            continue;
        }
        items[n].group = group;
        items[n].sort_time = sqlite3_column_int64(st, 20);
        items[n].index = n;
        n++;
    }
    if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        r = fail(s, rc, "reading the merged feed");
    done(st);
    /* Every entry of each group (the index holds only grouped ones), to
     * pick the representative; then the items in its order. */
    for (size_t i = 0; i < n && r == 0 && o->level != DEDUP_NONE; i++)
        r = read_group(s, o, items[i].group, &f->entries[i], &items[i].sort_time);
    if (r == 0 && o->level != DEDUP_NONE && n > 1) {
        struct entry *sorted = malloc(n * sizeof(*sorted));
        if (!sorted) {
            r = -ENOMEM;
        } else {
            qsort(items, n, sizeof(*items), cmp_item_time);
            for (size_t i = 0; i < n; i++)
                sorted[i] = f->entries[items[i].index];
            memcpy(f->entries, sorted, n * sizeof(*sorted));
            free(sorted);
        }
    }
    for (size_t i = 0; i < f->n_entries && r == 0; i++)
        if (f->updated == TIME_NONE || f->entries[i].updated > f->updated)
            f->updated = f->entries[i].updated;
    free(items);
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

void store_why_free(struct store_why *w)
{
    if (!w)
        return;
    free(w->feed);
    free(w->id_mode);
    free(w->key);
    free(w->id_rule);
    free(w->guid);
    free(w->link);
    free(w->canon);
    free(w->title);
    free(w->story_rule);
    free(w->ref_feed);
    free(w->ref_title);
    free(w->ref_link);
    free(w);
}

int store_why(struct store *s, const char *query, struct store_why **ret)
{
    sqlite3_stmt *st = s->stmt[ST_WHY];
    const char *num = query[0] == '#' ? query + 1 : query;
    struct entry probe = {.link = (char *)query};
    struct store_why *w;
    char *end = NULL;
    long long id = strtoll(num, &end, 10);
    bool oom = false;
    int rc, r;

    if (!*num || *end)
        id = -1;
    r = dedup_prepare_entry(&probe, &s->dedup.prepare);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, query);
    bind_text(st, 3, probe.canon ? probe.canon : query);
    free(probe.canon);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc, "finding an entry");
        done(st);
        return r;
    }
    if (!(w = calloc(1, sizeof(*w)))) {
        done(st);
        return -ENOMEM;
    }
    w->id = sqlite3_column_int64(st, 0);
    w->feed = column_text(st, 1, &oom);
    w->id_mode = column_text(st, 2, &oom);
    w->key = column_text(st, 3, &oom);
    w->id_rule = column_text(st, 4, &oom);
    w->guid = column_text(st, 5, &oom);
    w->link = column_text(st, 6, &oom);
    w->canon = column_text(st, 7, &oom);
    w->title = column_text(st, 8, &oom);
    w->first_seen = sqlite3_column_int64(st, 9);
    w->revised = column_time(st, 10);
    w->revisions = sqlite3_column_int(st, 11);
    w->has_fp = sqlite3_column_int(st, 12) != 0;
    w->story = sqlite3_column_int64(st, 13);
    w->story_rule = column_text(st, 14, &oom);
    w->story_ref = sqlite3_column_int64(st, 15);
    w->story_similarity = sqlite3_column_int(st, 16);
    w->ref_feed = column_text(st, 17, &oom);
    w->ref_title = column_text(st, 18, &oom);
    w->ref_link = column_text(st, 19, &oom);
    w->link_group = sqlite3_column_int64(st, 20);
    done(st);
    st = s->stmt[ST_WHY_COUNT];
    sqlite3_bind_int64(st, 1, w->story);
    rc = sqlite3_step(st);
    r = rc == SQLITE_ROW ? 0 : fail(s, rc, "counting a story's entries");
    if (r == 0)
        w->sources = sqlite3_column_int64(st, 0);
    done(st);
    if (r == 0 && oom)
        r = -ENOMEM;
    if (r < 0) {
        store_why_free(w);
        return r;
    }
    *ret = w;
    return 0;
}

/* ---- the webhook outbox ------------------------------------------------------ */

int store_delivery_add(struct store *s, const struct store_delivery_new *d)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_INSERT];

    bind_text(st, 1, d->webhook);
    bind_text(st, 2, d->msg_id);
    bind_text(st, 3, d->event);
    if (d->entry_id)
        sqlite3_bind_int64(st, 4, d->entry_id);
    if (d->feed_id)
        sqlite3_bind_int64(st, 5, d->feed_id);
    bind_text(st, 6, d->payload);
    bind_text(st, 7, d->title);
    sqlite3_bind_int64(st, 8, d->at);
    return run(s, ST_OUT_INSERT, "queueing a webhook delivery");
}

void store_deliveries_free(struct store_delivery *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].webhook);
        free(v[i].msg_id);
        free(v[i].event);
        free(v[i].payload);
        free(v[i].title);
        free(v[i].state);
        free(v[i].last_error);
    }
    free(v);
}

/* Reads the rows of a statement in OUT_COLS order. */
static int read_deliveries(struct store *s, sqlite3_stmt *st, struct store_delivery **ret,
                           size_t *ret_n)
{
    struct store_delivery *v = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    int rc, r = 0;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_delivery *d;

        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct store_delivery *nv = realloc(v, ncap * sizeof(*nv));
            if (!nv) {
                oom = true;
                break;
            }
            v = nv;
            cap = ncap;
        }
        d = &v[n++];
        *d = (struct store_delivery){
            .id = sqlite3_column_int64(st, 0),
            .webhook = column_text(st, 1, &oom),
            .msg_id = column_text(st, 2, &oom),
            .event = column_text(st, 3, &oom),
            .payload = column_text(st, 4, &oom),
            .title = column_text(st, 5, &oom),
            .state = column_text(st, 6, &oom),
            .attempts = sqlite3_column_int(st, 7),
            .last_status = sqlite3_column_int(st, 8),
            .last_error = column_text(st, 9, &oom),
            .created = sqlite3_column_int64(st, 10),
            .next_attempt = sqlite3_column_int64(st, 11),
            .last_attempt = column_time(st, 12),
            .delivered_at = column_time(st, 13),
            .batch = sqlite3_column_int64(st, 14),
        };
        if (oom)
            break;
    }
    if (oom)
        r = -ENOMEM;
    else if (rc != SQLITE_DONE)
        r = fail(s, rc, "reading webhook deliveries");
    done(st);
    if (r < 0) {
        store_deliveries_free(v, n);
        return r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int store_deliveries_due(struct store *s, const char *webhook, int64_t now, size_t max,
                         struct store_delivery **ret, size_t *ret_n)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_DUE];

    bind_text(st, 1, webhook);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    return read_deliveries(s, st, ret, ret_n);
}

int store_deliveries_batch(struct store *s, int64_t batch, struct store_delivery **ret,
                           size_t *ret_n)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_BATCH];

    sqlite3_bind_int64(st, 1, batch);
    return read_deliveries(s, st, ret, ret_n);
}

int store_deliveries_set_batch(struct store *s, const int64_t *ids, size_t n)
{
    int r = begin(s);

    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(s->stmt[ST_OUT_SET_BATCH], 1, ids[i]);
        sqlite3_bind_int64(s->stmt[ST_OUT_SET_BATCH], 2, ids[0]);
        r = run(s, ST_OUT_SET_BATCH, "batching webhook deliveries");
    }
    return end(s, r);
}

static const char *const delivery_states[] = {
    [STORE_DELIVERY_RETRY] = "pending",
    [STORE_DELIVERY_DELIVERED] = "delivered",
    [STORE_DELIVERY_DEAD] = "dead",
};

int store_deliveries_attempted(struct store *s, const int64_t *ids, size_t n,
                               const struct store_attempt *a)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_RESULT];
    int r = begin(s);

    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, a->at);
        if (a->status)
            sqlite3_bind_int(st, 3, a->status);
        bind_text(st, 4, a->error);
        bind_text(st, 5, delivery_states[a->outcome]);
        sqlite3_bind_int64(st, 6, a->next_attempt);
        r = run(s, ST_OUT_RESULT, "recording a webhook attempt");
    }
    return end(s, r);
}

int store_deliveries_next(struct store *s, const char *webhook, int64_t *ret)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_NEXT];
    int rc, r = 0;

    bind_text(st, 1, webhook);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
    else
        r = fail(s, rc, "reading the outbox");
    done(st);
    return r;
}

int store_deliveries_list(struct store *s, bool all, struct store_delivery **ret, size_t *ret_n)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_LIST];

    sqlite3_bind_int(st, 1, all);
    return read_deliveries(s, st, ret, ret_n);
}

int store_deliveries_requeue(struct store *s, int64_t id, int64_t now, int *ret_count)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_REQUEUE];
    int r;

    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    r = run(s, ST_OUT_REQUEUE, "requeueing webhook deliveries");
    if (r == 0 && ret_count)
        *ret_count = sqlite3_changes(s->db);
    return r;
}

int store_deliveries_count(struct store *s, int64_t *ret_pending, int64_t *ret_dead)
{
    sqlite3_stmt *st = s->stmt[ST_OUT_COUNTS];
    int rc = sqlite3_step(st), r = 0;

    if (rc == SQLITE_ROW) {
        *ret_pending = sqlite3_column_int64(st, 0);
        *ret_dead = sqlite3_column_int64(st, 1);
    } else {
        r = fail(s, rc, "counting webhook deliveries");
    }
    done(st);
    return r;
}

int store_deliveries_prune(struct store *s, int64_t before)
{
    sqlite3_bind_int64(s->stmt[ST_OUT_PRUNE], 1, before);
    return run(s, ST_OUT_PRUNE, "pruning delivered webhooks");
}

int store_webhook_disabled(struct store *s, const char *name, int64_t *ret_at, char **ret_reason)
{
    sqlite3_stmt *st = s->stmt[ST_HOOK_GET];
    bool oom = false;
    int rc, r = 0;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_at = sqlite3_column_int64(st, 0);
        if (ret_reason)
            *ret_reason = column_text(st, 1, &oom);
        r = oom ? -ENOMEM : 1;
    } else if (rc != SQLITE_DONE) {
        r = fail(s, rc, "reading a webhook's state");
    }
    done(st);
    return r;
}

int store_webhook_disable(struct store *s, const char *name, int64_t at, const char *reason)
{
    sqlite3_stmt *st = s->stmt[ST_HOOK_DISABLE];

    bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, reason);
    return run(s, ST_HOOK_DISABLE, "disabling a webhook");
}

int store_webhook_enable(struct store *s, const char *name, int *ret_changed)
{
    int r;

    bind_text(s->stmt[ST_HOOK_ENABLE], 1, name);
    r = run(s, ST_HOOK_ENABLE, "enabling a webhook");
    if (r == 0 && ret_changed)
        *ret_changed = sqlite3_changes(s->db);
    return r;
}

int store_story_sources(struct store *s, int64_t story, size_t max,
                        int (*each)(const char *feed, const char *feed_title, const char *title,
                                    const char *link, void *ud),
                        void *ud)
{
    sqlite3_stmt *st = s->stmt[ST_STORY_SOURCES];
    int rc, r = 0;

    sqlite3_bind_int64(st, 1, story);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = each((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                 ud);
    if (r == 0 && rc != SQLITE_DONE)
        r = fail(s, rc, "reading a story's sources");
    done(st);
    return r;
}

/* ---- maintenance ----------------------------------------------------------------- */

/* The scan: every entry may be read (a full pass, with a window function
 * for keep_per_feed), so it runs on its own read-only connection, off the
 * loop thread. */
#define PRUNE_KEEP                                                                                 \
    " AND doc IS NOT NULL AND seen < doc"                                                          \
    " AND id NOT IN (SELECT entry_id FROM deliveries WHERE state = 'pending'"                      \
    " AND entry_id IS NOT NULL) AND id NOT IN (SELECT value FROM json_each(?3)) LIMIT ?4"
static const char prune_sql[] = "SELECT id FROM (SELECT e.id AS id, e.first_seen AS first,"
                                " coalesce(e.last_seen, e.first_seen) AS seen, f.last_doc AS doc"
                                " FROM entries e JOIN feeds f ON f.id = e.feed_id"
                                " WHERE e.first_seen < ?1) WHERE ?2 = 0" PRUNE_KEEP;
static const char prune_ranked_sql[] =
    "SELECT id FROM (SELECT e.id AS id, e.first_seen AS first,"
    " coalesce(e.last_seen, e.first_seen) AS seen, f.last_doc AS doc,"
    " row_number() OVER (PARTITION BY e.feed_id ORDER BY e.sort_time DESC, e.id DESC) AS rank"
    " FROM entries e JOIN feeds f ON f.id = e.feed_id)"
    " WHERE (first < ?1 OR rank > ?2)" PRUNE_KEEP;

int store_prune_candidates(const char *path, const struct store_retention *rt, int64_t **ret_ids,
                           size_t *ret_n, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct buf protect;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc, r = 0;

    *ret_ids = NULL;
    *ret_n = 0;
    if (rt->keep_seconds <= 0 && rt->keep_per_feed <= 0)
        return 0;
    buf_init(&protect, SIZE_MAX / 2);
    buf_putc(&protect, '[');
    for (size_t i = 0; i < rt->n_protect; i++)
        buf_printf(&protect, i ? ",%lld" : "%lld", (long long)rt->protect[i]);
    buf_putc(&protect, ']');
    if (protect.err) {
        snprintf(err, errlen, "out of memory");
        buf_release(&protect);
        return -ENOMEM;
    }
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, rt->keep_per_feed > 0 ? prune_ranked_sql : prune_sql, -1, &st,
                                NULL);
    if (rc == SQLITE_OK) {
        /* No age limit: every entry is old enough (then rank decides). */
        sqlite3_bind_int64(st, 1, rt->keep_seconds > 0 ? rt->now - rt->keep_seconds : INT64_MAX);
        sqlite3_bind_int64(st, 2, rt->keep_per_feed > 0 ? rt->keep_per_feed : 0);
        sqlite3_bind_text(st, 3, protect.data, (int)protect.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)(rt->max_rows ? rt->max_rows : 1000));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                int64_t *v = realloc(ids, ncap * sizeof(*v));
                if (!v) {
                    r = -ENOMEM;
                    snprintf(err, errlen, "out of memory");
                    break;
                }
                ids = v;
                cap = ncap;
            }
            ids[n++] = sqlite3_column_int64(st, 0);
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        snprintf(err, errlen, "finding entries to prune: %s",
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        r = -EIO;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    buf_release(&protect);
    if (r < 0) {
        free(ids);
        return r;
    }
    *ret_ids = ids;
    *ret_n = n;
    return 0;
}

int store_prune_ids(struct store *s, const int64_t *ids, size_t n, size_t *ret_deleted)
{
    int r = begin(s);

    *ret_deleted = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(s->stmt[ST_PRUNE_ONE], 1, ids[i]);
        r = run(s, ST_PRUNE_ONE, "pruning an old entry");
        if (r == 0)
            *ret_deleted += (size_t)sqlite3_changes(s->db);
    }
    r = end(s, r);
    if (r < 0)
        *ret_deleted = 0;
    return r;
}

int store_prune(struct store *s, const struct store_retention *rt, size_t *ret_deleted)
{
    int64_t *ids;
    size_t n;
    int r = store_prune_candidates(s->path, rt, &ids, &n, s->errmsg, sizeof(s->errmsg));

    *ret_deleted = 0;
    if (r < 0)
        return r;
    r = store_prune_ids(s, ids, n, ret_deleted);
    free(ids);
    return r;
}

int store_checkpoint(struct store *s, int *ret_frames, int *ret_done)
{
    sqlite3_stmt *st = s->stmt[ST_CHECKPOINT];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        *ret_frames = sqlite3_column_int(st, 1);
        *ret_done = sqlite3_column_int(st, 2);
    }
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, rc, "checkpointing the WAL");
}

/* ---- checkpoints off the writer's thread ------------------------------------ */

static int on_wal_commit(void *userdata, sqlite3 *db, const char *name, int frames)
{
    struct store *s = userdata;

    (void)db;
    (void)name;
    s->wal_frames = frames;
    if (s->wal_fn)
        s->wal_fn(s->wal_ud, frames);
    return SQLITE_OK;
}

void store_defer_checkpoints(struct store *s, void (*fn)(void *userdata, int frames),
                             void *userdata)
{
    s->wal_fn = fn;
    s->wal_ud = userdata;
    /* Replaces the automatic checkpoint (sqlite3_wal_autocheckpoint is
     * this hook's other user). */
    sqlite3_wal_hook(s->db, on_wal_commit, s);
}

int store_wal_frames(const struct store *s)
{
    return s->wal_frames;
}

struct store_checkpointer {
    char *path;
    sqlite3 *db; /* opened by the first run */
};

struct store_checkpointer *store_checkpointer_new(const char *path)
{
    struct store_checkpointer *c = calloc(1, sizeof(*c));

    if (c && !(c->path = strdup(path))) {
        free(c);
        c = NULL;
    }
    return c;
}

int store_checkpointer_run(struct store_checkpointer *c, int *ret_frames, int *ret_done, char *err,
                           size_t errlen)
{
    int rc = SQLITE_OK;

    *ret_frames = *ret_done = 0;
    if (!c->db) {
        /* Never creates the file: the daemon's connection did. */
        rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        /* A new connection knows of the WAL only once it read the file
         * (a checkpoint before that reports -1 frames and does nothing). */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(c->db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
            sqlite3_close_v2(c->db);
            c->db = NULL;
            return -EIO;
        }
    }
    /* PASSIVE: never waits for the writer or readers, nor blocks them. */
    rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, ret_frames, ret_done);
    if ((rc == SQLITE_OK || rc == SQLITE_BUSY) && *ret_frames >= 0)
        return 0;
    if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
        snprintf(err, errlen, "the database is not in WAL mode");
        *ret_frames = *ret_done = 0;
        return -EIO;
    }
    snprintf(err, errlen, "%s", sqlite3_errmsg(c->db));
    /* Opened again next time: the file may have been replaced. */
    sqlite3_close_v2(c->db);
    c->db = NULL;
    return rc == SQLITE_FULL ? -ENOSPC : -EIO;
}

void store_checkpointer_free(struct store_checkpointer *c)
{
    if (!c)
        return;
    sqlite3_close_v2(c->db);
    free(c->path);
    free(c);
}

/* The copy is on disk (VACUUM INTO does not sync it) and sound. */
static int check_copy(const char *dest, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *ok = NULL;
    int fd = open(dest, O_RDONLY | O_CLOEXEC), r = 0;

    if (fd < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "%s: %s", dest, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    close(fd);
    if (sqlite3_open_v2(dest, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || !(ok = sqlite3_column_text(st, 0)) ||
        strcmp((const char *)ok, "ok") != 0) {
        snprintf(err, errlen, "%s: the copy does not check out: %s", dest,
                 ok ? (const char *)ok : sqlite3_errmsg(db));
        r = -EIO;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return r;
}

int store_backup(const char *path, const char *dest, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc;

    /* Any schema version: the copy is of the file as it is. */
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, dest, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        return -EIO;
    return check_copy(dest, err, errlen);
}

int store_check_file(struct store *s)
{
    struct stat sb;

    if (!s->path || !s->ino)
        return 0;
    if (stat(s->path, &sb) < 0 || sb.st_dev != s->dev || sb.st_ino != s->ino) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "%s was deleted or replaced while open: writes go to a file no one will read "
                 "(restart heraldd)",
                 s->path);
        return -ENOENT;
    }
    if (!(sb.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH))) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "%s was made read-only while open (chmod): heraldd cannot go on storing safely "
                 "(make it writable, or restart heraldd to have it refused)",
                 s->path);
        return -EROFS;
    }
    return 0;
}

int store_webhook_counts(struct store *s, const char *name, int64_t *ret_pending,
                         int64_t *ret_failed, int64_t *ret_dead)
{
    sqlite3_stmt *st = s->stmt[ST_HOOK_COUNTS];
    int rc, r = 0;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_pending = sqlite3_column_int64(st, 0);
        *ret_failed = sqlite3_column_int64(st, 1);
        *ret_dead = sqlite3_column_int64(st, 2);
    } else {
        r = fail(s, rc, "counting a webhook's deliveries");
    }
    done(st);
    return r;
}

int store_count_stories(struct store *s, int64_t *ret)
{
    sqlite3_stmt *st = s->stmt[ST_COUNT_STORIES];
    int rc = sqlite3_step(st), r = 0;

    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    else
        r = fail(s, rc, "counting stories");
    done(st);
    return r;
}
