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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/dedup.h"
#include "feed/model.h"

struct store;

/* How ingest deduplicates (store_set_dedup()). Within a feed an entry is
 * always known by its guid, else its canonical link, else a hash of its
 * text; when that misses, by the other of guid and canonical link (an old
 * entry re-published with a new guid is not new). A feed whose guids
 * change while its links stay (STORE_CHURN_SWITCH times) is switched to
 * link identity, and back when the reverse happens; each switch is a
 * feed event ("identity") and reported in store_ingest_stats.
 *
 * Across feeds, at level link or story a new entry joins the story of an
 * earlier entry of another feed with the same canonical link; at level
 * story, else the story of the closest entry of another feed within
 * `window` whose fingerprint is at least min_similarity % similar (found
 * through the in-memory story index, which holds the entries of the last
 * 2 x window and is loaded from the database when first needed). The
 * level set here is what ingest computes; an output may fold less. */
struct store_dedup {
    enum dedup_level level;
    struct dedup_opts prepare; /* canonical link options; .fingerprint follows level */
    int64_t window;            /* seconds */
    unsigned min_similarity;   /* percent: story_index_match()'s threshold x 100 */
};

#define STORE_CHURN_SWITCH 3

/* Sets the dedup settings (defaults: level story, links folded, 72 h,
 * STORE_DEFAULT_SIMILARITY %). */
#define STORE_DEFAULT_SIMILARITY 20
void store_set_dedup(struct store *s, const struct store_dedup *d);
const struct store_dedup *store_get_dedup(const struct store *s);

/* The persisted state of one configured feed. Owned by the caller after
 * store_feed_register(); free with store_feed_state_free().
 *
 * A feed has two URLs: the configured one, and the one in use, which a
 * permanent redirect (301/308) moves (store_poll.moved_to). A restart keeps
 * the move; a new configured URL replaces both and forgets the feed's
 * validators, body hash and gone state. */
struct store_feed_state {
    int64_t id;
    char *url;           /* the URL in use */
    char *etag;          /* verbatim from the last 200, or NULL */
    char *last_modified; /* verbatim from the last 200, or NULL */
    int last_status;     /* HTTP status of the last poll, 0 if none */
    char *last_error;    /* NULL after a success */
    char *error_class;   /* "dns", "http", "parse"... with last_error, else NULL */
    int error_count;     /* consecutive failures */
    int64_t last_poll;   /* TIME_NONE if never */
    int64_t next_poll;   /* 0 = due now */
    bool gone;           /* a 410 was seen: not polled until the URL changes */
    char *body_hash;     /* change hash (hex, base/hash.h) of the last stored body, or NULL */
    int64_t body_size;   /* bytes of the last 200's body, 0 if unknown */
};

/* What one poll gave, for store_ingest() and store_record_poll(). Zero
 * means "none" for every optional field. */
struct store_poll {
    int status;                /* HTTP status, 0 when no response */
    const char *etag;          /* from a 200, else ignored */
    const char *last_modified; /* from a 200, else ignored */
    const char *error;         /* NULL on success */
    const char *error_class;   /* a short word with error: dns, connect, tls, timeout, http,
                                  too-large, redirects, protocol, blocked, parse, storage, other */
    int64_t polled_at;
    int64_t next_poll;
    bool unchanged;          /* a 200 whose body hash equals the stored one: counted as
                                not modified; validators and body size replaced, nothing parsed */
    const char *body_hash;   /* store_ingest(): hash of the stored body */
    int64_t body_size;       /* bytes of a 200's body */
    int64_t retry_after;     /* absolute time from Retry-After */
    int64_t hint;            /* the longest interval the server or document asked for, s */
    const char *hint_source; /* where hint came from: "max-age", "expires", "ttl"... */
    const char *moved_to;    /* the feed moved permanently there (301/308) */
    bool gone;               /* a 410: the feed is marked gone (with error set) */
};

/* One feed's status and politeness record, for `heraldd feeds`. Owned by
 * the caller; free with store_feed_info_free(). */
struct store_feed_info {
    char *url;        /* in use */
    char *config_url; /* as last configured */
    bool active;
    bool gone;
    int last_status;
    char *last_error;
    char *error_class;
    int error_count;
    char *last_outcome;   /* "updated", "unchanged", "not modified", "error", or NULL */
    int64_t last_poll;    /* TIME_NONE if never */
    int64_t last_success; /* TIME_NONE if never */
    int64_t next_poll;
    int64_t entries;
    int64_t polls;        /* every recorded poll */
    int64_t not_modified; /* 304s and unchanged 200s */
    int64_t bytes_saved;  /* approximate: the last body's size per not-modified poll */
    int64_t throttled;    /* 429s */
    int64_t retry_after;  /* the last Retry-After seen (absolute), 0 if none */
    int64_t hint;         /* as in store_poll, 0 if none */
    char *hint_source;
};

struct store_ingest_stats {
    unsigned seen;               /* entries in the document */
    unsigned added;              /* new entries (new stories and new sources of known ones) */
    unsigned merged;             /* of those, entries that joined a known story */
    unsigned updated;            /* entries that changed (text or metadata) */
    unsigned unchanged;          /* entries already stored as they are */
    unsigned churned;            /* entries found by their second key (a changed guid or link) */
    const char *identity_switch; /* "link" or "guid" when the feed's identity key changed */
};

/* Opens (creating if needed) and migrates the database at path. Returns 0
 * and a new store in *ret, or a negative errno with a message in err. */
int store_open(const char *path, struct store **ret, char *err, size_t errlen);
/* The same, for command-line tools that write beside a running daemon:
 * they wait up to busy_ms for its lock (from opening on) instead of
 * failing with -EBUSY. Never in the daemon (it would sleep on the loop). */
int store_open_shared(const char *path, int busy_ms, struct store **ret, char *err, size_t errlen);
/* Opens an existing database read-only, for status tools: nothing is
 * created or migrated (-EPROTO when its schema is not the current one). */
int store_open_readonly(const char *path, struct store **ret, char *err, size_t errlen);
/* Finalizes statements and closes the connection. NULL is a no-op. */
void store_close(struct store *s);

const char *store_errmsg(const struct store *s);

/* Adds the feed NAME or updates its configured URL, and marks it active.
 * A changed configured URL becomes the URL in use, forgets the validators,
 * body hash and gone state, makes the feed due and is recorded as a
 * "configured" event. Returns its state in *ret (caller frees). */
int store_feed_register(struct store *s, const char *name, const char *url,
                        struct store_feed_state **ret);
void store_feed_state_free(struct store_feed_state *st);

/* Marks every feed whose name is not in names inactive: its entries leave
 * the merged output, its rows stay (a feed that comes back resumes). */
int store_feeds_retain(struct store *s, const char *const *names, size_t n);

/* Stores a parsed document and the poll's state in one transaction: new
 * entries are added, changed ones updated in place, the feed's title and
 * links refreshed, the validators and body hash replaced, the error
 * cleared, the politeness counters updated, and a move (poll->moved_to)
 * applied and recorded as a "moved" event. Entries not yet prepared
 * (dedup_prepare()) are prepared here, which is why doc is not const. */
int store_ingest(struct store *s, int64_t feed_id, struct feed *doc, const struct store_poll *poll,
                 struct store_ingest_stats *ret_stats);

/* Records a poll that stored no document, in one transaction: a 304
 * (validators kept, error cleared), an unchanged 200 (validators
 * replaced, error cleared), or a failure (poll->error set, error count
 * incremented; poll->gone marks the feed gone and records a "gone" event).
 * Counters and moves as for store_ingest(). */
int store_record_poll(struct store *s, int64_t feed_id, const struct store_poll *poll);

/* Several writes in one transaction. Between store_batch_begin() and
 * store_batch_end(), each store_ingest() and store_record_poll[s]() runs
 * in a savepoint (it fails or succeeds alone, as outside a batch) and
 * nothing is committed before store_batch_end(). A page several of them
 * change (an index's) goes to the WAL once instead of once each: the
 * daemon stores the polls one loop turn finished in one batch, which
 * halved the WAL written by bench/poll's first round. If store_batch_end()
 * fails, the whole batch is rolled back: every write in it failed, whatever
 * it returned. Both return 0 or a negative errno (-EINVAL: already / not in
 * a batch). */
int store_batch_begin(struct store *s);
int store_batch_end(struct store *s);

/* Records n polls as store_record_poll() would, in one transaction (a group
 * commit: the commit is most of what a 304 costs). Each poll stays atomic:
 * it runs in its own savepoint, and one whose statements or event hook
 * fail is rolled back alone, with its error in ret_results[i] (0 for the
 * recorded ones). Returns 0 when the transaction committed, else the
 * error, and then no poll was recorded. */
struct store_poll_rec {
    int64_t feed_id;
    struct store_poll poll;
};
int store_record_polls(struct store *s, const struct store_poll_rec *recs, size_t n,
                       int *ret_results);

/* What store_merged() reads. */
struct store_merged_opts {
    enum dedup_level level;    /* none: every entry; link / story: one per group */
    size_t limit;              /* entries (stories) at most */
    const char *const *prefer; /* feed names whose entry represents a story, best first */
    size_t n_prefer;
    const char *(*title_of)(const char *name, void *ud); /* feed title override, or NULL */
    /* Which entries the output carries (feed, filters); NULL: all. A
     * story's representative is chosen among the entries it accepts. */
    bool (*accept)(const struct entry *e, const char *feed_name, void *ud);
    void *ud;      /* for title_of and accept */
    int64_t since; /* leave out entries sorting before it; 0: none */
    /* An archive page instead of the newest entries: the stories whose
     * first entry's id is in [first_id, last_id] (0: not an archive). */
    int64_t first_id, last_id;
    size_t max_scan; /* rows examined at most; 0: 100 x limit + 1000 */
};

/* The newest `limit` entries (or stories) of active feeds, newest first,
 * each with its source filled in. A story is represented by the entry of
 * the most preferred feed, else its earliest entry, with the others in
 * entry->related. An entry changed in place has `updated` at the time of
 * the change when its feed gave no later date. Returns a new feed (caller
 * frees) whose `updated` is the newest entry's (TIME_NONE when empty). */
int store_merged(struct store *s, const struct store_merged_opts *o, struct feed **ret);

/* The story lookup alone: the entry of another feed than feed_id that e
 * (prepared here if needed) would join at level story, as ingest would
 * find it at time `now`. Returns 1 with *ret_entry, *ret_story and
 * *ret_similarity, 0 when none, or a negative errno. For benchmarks and
 * diagnostics. */
int store_story_lookup(struct store *s, struct entry *e, int64_t feed_id, int64_t now,
                       int64_t *ret_entry, int64_t *ret_story, double *ret_similarity);

/* The largest entry id so far (0 when none): archive pages are blocks of
 * ids, closed once later ids exist. */
int store_max_entry_id(struct store *s, int64_t *ret);

/* Why an entry is where it is, for `heraldd why`. */
struct store_why {
    int64_t id;
    char *feed;    /* feed name */
    char *id_mode; /* the feed's identity key: "guid" or "link" */
    char *key;     /* "g:...", "l:...", "h:..." */
    char *id_rule; /* how it was last identified: "guid", "link", "hash",
                    * "link (guid changed)", "guid (link changed)" */
    char *guid, *link, *canon, *title;
    int64_t first_seen, revised; /* revised: TIME_NONE if never changed */
    int revisions;
    bool has_fp;
    int64_t story;        /* the story (its first entry's id) */
    int64_t link_group;   /* the link group (its first entry's id) */
    char *story_rule;     /* NULL: first of its story; "link" or "story" */
    int64_t story_ref;    /* the entry that made it join */
    int story_similarity; /* percent, when story_rule is "story" */
    char *ref_feed, *ref_title, *ref_link;
    int64_t sources; /* entries in its story */
};

/* Finds an entry by database id ("123" or "#123"), guid, link or
 * canonical link (the newest match). -ENOENT when none. */
int store_why(struct store *s, const char *query, struct store_why **ret);
void store_why_free(struct store_why *w);

/* The status of the feed NAME; -ENOENT when it was never registered. */
int store_feed_info(struct store *s, const char *name, struct store_feed_info **ret);
void store_feed_info_free(struct store_feed_info *info);

/* Counts for status lines. */
int store_count_entries(struct store *s, int64_t *ret);
/* Stories of active feeds: entries that started one (the others joined). */
int store_count_stories(struct store *s, int64_t *ret);

/* The story index's size (dedup = story): entries held and bytes
 * allocated; both 0 before it is first loaded. */
void store_story_index_size(const struct store *s, int64_t *ret_entries, int64_t *ret_bytes);

/* ---- maintenance ---- */

/* Which entries may go (store_prune()). An entry is pruned when Herald
 * first saw it more than keep_seconds ago (0: no age limit) or it is beyond
 * the newest keep_per_feed of its feed (0: no limit) -- and only when it
 * was not in its feed's last document (it would come back as new), no
 * pending delivery announces it, and it is not among protect (the entries
 * the outputs show). */
struct store_retention {
    int64_t keep_seconds;
    int64_t keep_per_feed;
    const int64_t *protect;
    size_t n_protect;
    size_t max_rows; /* per call (one transaction); 0: 1000 */
    int64_t now;
};
int store_prune(struct store *s, const struct store_retention *rt, size_t *ret_deleted);
/* The two halves of store_prune(), for a daemon that must not block: the
 * scan for up to max_rows candidates reads the whole entries table, on its
 * own read-only connection to the database at path (safe on any thread;
 * nothing shared); the deletion, on the store's thread, re-checks each
 * candidate (a delivery may have come to announce it, or its feed's
 * document may have had it again) in one short transaction. */
int store_prune_candidates(const char *path, const struct store_retention *rt, int64_t **ret_ids,
                           size_t *ret_n, char *err, size_t errlen);
int store_prune_ids(struct store *s, const int64_t *ids, size_t n, size_t *ret_deleted);
/* -ENOENT (message in store_errmsg()) when the database file was deleted
 * or replaced since it was opened (SQLite would go on writing to the
 * unlinked file), -EROFS when its write permissions were taken away
 * (writes through the open descriptor would still succeed); else 0. */
int store_check_file(struct store *s);
/* A passive WAL checkpoint (never waits for readers): *ret_frames in the
 * WAL, *ret_done of them written back to the database. */
int store_checkpoint(struct store *s, int *ret_frames, int *ret_done);

/* Checkpoints off the writer's thread (the daemon). By default SQLite
 * checkpoints the WAL at the commit that makes it pass 1,000 pages, on the
 * committing thread, and a checkpoint ends with an fsync of the database
 * file: a stall of the event loop of up to the disk's sync time, hundreds
 * of times while a first poll stores a gigabyte. After
 * store_defer_checkpoints(), commits never checkpoint; fn (if not NULL) is
 * told after each commit how many frames the WAL holds (store_wal_frames()
 * tells the last count), and the caller runs a store_checkpointer (its own
 * connection) on another thread when it has grown. fn runs inside the
 * commit's sqlite3_step() and must not use the store. */
void store_defer_checkpoints(struct store *s, void (*fn)(void *userdata, int frames),
                             void *userdata);
int store_wal_frames(const struct store *s);

struct store_checkpointer;

/* NULL when out of memory. The file is opened by the first run. */
struct store_checkpointer *store_checkpointer_new(const char *path);

/* A passive checkpoint (waits for nobody) through c's own connection: from
 * any one thread at a time. *ret_frames in the WAL, *ret_done written
 * back. Returns 0 (also when readers kept some frames), -ENOSPC or -EIO
 * with err filled. */
int store_checkpointer_run(struct store_checkpointer *c, int *ret_frames, int *ret_done, char *err,
                           size_t errlen);
void store_checkpointer_free(struct store_checkpointer *c);
/* A consistent copy of the database at path into dest (VACUUM INTO, from
 * a read-only connection, beside a running daemon). dest must not exist. */
int store_backup(const char *path, const char *dest, char *err, size_t errlen);

/* ---- events and the webhook outbox ----
 *
 * While a poll is stored, every event it makes is handed to the event hook
 * inside the poll's transaction; the hook may queue deliveries
 * (store_delivery_add()) in that same transaction. A hook failure rolls
 * the whole poll back: a delivery is never lost and never sent for an
 * entry that was not stored. */
enum store_event_kind {
    STORE_EVENT_ENTRY_NEW,     /* a new entry (entry, entry_id, story_id, joined) */
    STORE_EVENT_ENTRY_REVISED, /* an entry's text changed (entry, entry_id) */
    STORE_EVENT_FEED_MOVED,    /* a 301/308 (moved_to) */
    STORE_EVENT_FEED_GONE,     /* a 410 (error) */
    STORE_EVENT_POLL_OK,       /* a successful poll (errors_before) */
    STORE_EVENT_POLL_FAILED,   /* a failed poll (error, errors: the consecutive count now) */
};

struct store_event {
    enum store_event_kind kind;
    int64_t at;
    int64_t feed_id;
    const char *feed_name, *feed_title, *feed_url; /* feed_title may be NULL */
    const struct entry *entry;                     /* entry events */
    int64_t entry_id;
    int64_t story_id;   /* ENTRY_NEW: its story (its own id when it starts one) */
    const char *joined; /* ENTRY_NEW: NULL, "link" (same canonical link as another feed's
                           entry) or "story" (a similar story of another feed) */
    int status;
    const char *error;
    const char *moved_to;
    int errors_before, errors;
};

typedef int (*store_event_fn)(struct store *s, const struct store_event *ev, void *ud);
void store_set_event_hook(struct store *s, store_event_fn fn, void *ud);

struct store_delivery_new {
    const char *webhook;
    const char *msg_id;        /* the webhook-id, the same for every attempt */
    const char *event;         /* "story.new"... */
    int64_t entry_id, feed_id; /* 0: none */
    const char *payload;       /* the event as JSON */
    const char *title;         /* a line for listings */
    int64_t at;                /* queued at; due at once */
};
/* Queues a delivery: from the event hook (inside the poll's transaction)
 * or alone (its own statement). */
int store_delivery_add(struct store *s, const struct store_delivery_new *d);

struct store_delivery {
    int64_t id;
    char *webhook, *msg_id, *event, *payload, *title;
    char *state; /* "pending", "delivered", "dead" */
    int attempts;
    int last_status; /* 0: none */
    char *last_error;
    int64_t created, next_attempt;
    int64_t last_attempt, delivered_at; /* TIME_NONE: never */
    int64_t batch;                      /* the first delivery of its request; 0: not sent yet */
};
void store_deliveries_free(struct store_delivery *v, size_t n);

/* The webhook's pending deliveries due at `now`, oldest first, at most max. */
int store_deliveries_due(struct store *s, const char *webhook, int64_t now, size_t max,
                         struct store_delivery **ret, size_t *ret_n);
/* The pending deliveries of a batch (store_deliveries_set_batch()). */
int store_deliveries_batch(struct store *s, int64_t batch, struct store_delivery **ret,
                           size_t *ret_n);
/* Makes ids (first: ids[0]) one batch, for good. */
int store_deliveries_set_batch(struct store *s, const int64_t *ids, size_t n);

enum store_delivery_outcome {
    STORE_DELIVERY_RETRY,     /* stays pending, due at next_attempt */
    STORE_DELIVERY_DELIVERED, /* a 2xx */
    STORE_DELIVERY_DEAD,      /* given up: kept for inspection and --retry */
};
struct store_attempt {
    int64_t at;
    int status;        /* HTTP status, 0 if none */
    const char *error; /* NULL on success */
    enum store_delivery_outcome outcome;
    int64_t next_attempt;
};
/* Records one attempt of the deliveries ids (one request), in one transaction. */
int store_deliveries_attempted(struct store *s, const int64_t *ids, size_t n,
                               const struct store_attempt *a);
/* When the webhook's next pending delivery is due (0: none pending). */
int store_deliveries_next(struct store *s, const char *webhook, int64_t *ret);
/* Every pending and dead delivery (all: delivered ones too), oldest first. */
int store_deliveries_list(struct store *s, bool all, struct store_delivery **ret, size_t *ret_n);
/* Makes delivery id (0: every dead one) pending and due at now; its
 * attempts are kept. *ret_count: how many. */
int store_deliveries_requeue(struct store *s, int64_t id, int64_t now, int *ret_count);
int store_deliveries_count(struct store *s, int64_t *ret_pending, int64_t *ret_dead);
/* One webhook's deliveries: pending (never tried), failed (pending after a
 * failed attempt) and dead. */
int store_webhook_counts(struct store *s, const char *name, int64_t *ret_pending,
                         int64_t *ret_failed, int64_t *ret_dead);
/* Forgets deliveries delivered before `before`. */
int store_deliveries_prune(struct store *s, int64_t before);

/* Calls each() for the entries of a story (its first entry's id), oldest
 * first, at most max; a negative return stops and is returned. */
int store_story_sources(struct store *s, int64_t story, size_t max,
                        int (*each)(const char *feed, const char *feed_title, const char *title,
                                    const char *link, void *ud),
                        void *ud);

/* A webhook endpoint disabled by a 410 stays disabled across restarts
 * until enabled again. store_webhook_disabled() returns 1 (with when and
 * why), 0 when enabled, or a negative errno. */
int store_webhook_disabled(struct store *s, const char *name, int64_t *ret_at, char **ret_reason);
int store_webhook_disable(struct store *s, const char *name, int64_t at, const char *reason);
int store_webhook_enable(struct store *s, const char *name, int *ret_changed);

#endif
