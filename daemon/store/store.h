/* store: Herald's persistent state, and the only code that speaks SQL.
 *
 * The header speaks in Herald's terms (feeds, entries, poll results); no
 * SQLite type crosses it, so another backend can take its place. One
 * connection, used from one thread at a time (the loop thread). Writes of
 * one poll are one transaction (BEGIN IMMEDIATE ... COMMIT): the entries
 * and the feed's fetch state are stored together or not at all.
 *
 * Errors: functions return 0 or a negative errno (-EIO for SQLite errors,
 * -ENOSPC for a full disk, -EBUSY when another process holds the lock,
 * -ENOMEM); store_errmsg() then says what SQLite said. Depends on base/,
 * feed/model and sqlite3.
 */
#ifndef HERALD_STORE_STORE_H
#define HERALD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "feed/model.h"

struct store;

/* The persisted state of one configured feed. Owned by the caller after
 * store_feed_register(); free with store_feed_state_free(). */
struct store_feed_state {
    int64_t id;
    char *etag;          /* verbatim from the last 200, or NULL */
    char *last_modified; /* verbatim from the last 200, or NULL */
    int last_status;     /* HTTP status of the last poll, 0 if none */
    char *last_error;    /* NULL after a success */
    int error_count;     /* consecutive failures */
    int64_t last_poll;   /* TIME_NONE if never */
    int64_t next_poll;   /* 0 = due now */
};

/* What one poll gave, for store_ingest() and store_record_poll(). */
struct store_poll {
    int status;                /* HTTP status, 0 when no response */
    const char *etag;          /* from a 200, else ignored */
    const char *last_modified; /* from a 200, else ignored */
    const char *error;         /* NULL on success */
    int64_t polled_at;
    int64_t next_poll;
};

struct store_ingest_stats {
    unsigned seen;      /* entries in the document */
    unsigned added;     /* new entries */
    unsigned updated;   /* entries whose content changed */
    unsigned unchanged; /* entries already stored as they are */
};

/* Opens (creating if needed) and migrates the database at path. Returns 0
 * and a new store in *ret, or a negative errno with a message in err. */
int store_open(const char *path, struct store **ret, char *err, size_t errlen);
/* Finalizes statements and closes the connection. NULL is a no-op. */
void store_close(struct store *s);

const char *store_errmsg(const struct store *s);

/* Adds the feed NAME or updates its URL and configured title, and marks it
 * active. A changed URL forgets the validators and makes the feed due.
 * Returns its state in *ret (caller frees). */
int store_feed_register(struct store *s, const char *name, const char *url,
                        struct store_feed_state **ret);
void store_feed_state_free(struct store_feed_state *st);

/* Marks every feed whose name is not in names inactive: its entries leave
 * the merged output, its rows stay (a feed that comes back resumes). */
int store_feeds_retain(struct store *s, const char *const *names, size_t n);

/* Stores a parsed document and the poll's state in one transaction: new
 * entries are added, changed ones updated in place, the feed's title and
 * links refreshed, the validators replaced and the error cleared. */
int store_ingest(struct store *s, int64_t feed_id, const struct feed *doc,
                 const struct store_poll *poll, struct store_ingest_stats *ret_stats);

/* Records a poll that stored no document: a 304 (validators kept, error
 * cleared) or a failure (poll->error set, error count incremented). */
int store_record_poll(struct store *s, int64_t feed_id, const struct store_poll *poll);

/* The newest `limit` entries of active feeds, newest first, each with its
 * source filled in; titles overridden by title_of(name) when it returns
 * non-NULL. Returns a new feed (caller frees) whose `updated` is the
 * newest entry's date (TIME_NONE when empty). */
int store_merged(struct store *s, size_t limit, const char *(*title_of)(const char *name, void *ud),
                 void *ud, struct feed **ret);

/* Counts for status lines. */
int store_count_entries(struct store *s, int64_t *ret);

#endif
