/* poller: polls every configured feed when it is due and ingests what
 * comes back.
 *
 * One uv_timer_t wakes at the earliest due time; due feeds are handed to
 * the fetcher (which caps how many run at once, per site too) with their
 * own user agent, headers, credentials and proxy. A response is
 * classified here:
 *
 *   2xx, body hash != stored -> parse -> store_ingest (one transaction)
 *   2xx, body hash == stored -> "unchanged": recorded like a 304, no parse
 *   304                      -> recorded, nothing parsed
 *   410                      -> the feed is gone: recorded, logged once,
 *                               never polled again until its url changes
 *   anything else            -> the error and its class (dns, connect, tls,
 *                               timeout, http, too-large, parse, blocked,
 *                               storage...) are recorded and logged; the feed
 *                               backs off
 *
 * Hashing and parsing a 2xx body run on libuv's thread pool (the feed
 * stays in flight meanwhile); the store transaction and all feed state stay
 * on the loop thread. poller_close() drops results still being parsed.
 *
 * A 2xx or 304 reached through 301/308 redirects only (permanent_url)
 * moves the feed: later polls, and restarts, use the new URL. A failing
 * feed never stops the others. Disabled feeds are registered but neither
 * polled nor part of the merged feed.
 *
 * Borrows the loop, fetcher, store and config given to poller_new(); they
 * must outlive it.
 */
#ifndef HERALD_APP_POLLER_H
#define HERALD_APP_POLLER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "app/config.h"
#include "net/fetch.h"
#include "store/store.h"

struct poller;

/* Called after a poll stored new or changed entries. */
typedef void (*poller_changed_cb)(void *userdata);

/* Registers the configured feeds in the store and loads their state.
 * Returns 0, -ENOMEM, or a store error (logged). */
int poller_new(uv_loop_t *loop, struct fetcher *fetcher, struct store *store,
               const struct config *cfg, poller_changed_cb changed, void *userdata,
               struct poller **ret);

/* Takes a new configuration (SIGHUP): feeds are matched by name. A new
 * feed is registered and polled at once; a removed one stops (a poll in
 * flight finishes and its result is dropped) and leaves the merged feed;
 * a changed url starts the feed afresh; other settings apply from the next
 * poll. Feed state (validators, schedule, backoff) is kept. cfg must
 * outlive the poller, as must the configuration it replaces (in-flight
 * polls may still read it). Returns 0, or -ENOMEM / -EIO (logged) after
 * applying what it could. */
int poller_reload(struct poller *p, const struct config *cfg);

/* Arms the timer: feeds that are due (or new) are polled at once. */
void poller_start(struct poller *p);

/* Shutting down gracefully: no new poll starts; the ones in flight are
 * fetched, parsed and stored as usual. poller_busy() counts them. */
void poller_drain(struct poller *p);
unsigned poller_busy(const struct poller *p);

/* While held, polls that finished are kept in memory instead of being
 * stored (fetching and parsing go on); released, they are stored in the
 * next loop turns. The daemon holds the writes for the moment a WAL
 * checkpoint needs no new commits to finish (see daemon.c). */
void poller_hold_writes(struct poller *p, bool hold);

/* No new polls; responses still arriving are dropped (they were canceled
 * by closing the fetcher). Closes the timer and frees p in its close
 * callback, then calls done(userdata). */
void poller_close(struct poller *p, void (*done)(void *userdata), void *userdata);

/* How polls ended, for /metrics. ok: new or changed content stored;
 * not_modified: a 304, or a 200 with the stored body; http_error: any other
 * status; net_error: the transfer failed (dns, connect, tls, timeout,
 * too-large, redirects, protocol, blocked, other); parse_error: the body is
 * not a feed; storage_error: the store transaction failed. */
enum poller_result {
    POLLER_OK,
    POLLER_NOT_MODIFIED,
    POLLER_HTTP_ERROR,
    POLLER_NET_ERROR,
    POLLER_PARSE_ERROR,
    POLLER_STORAGE_ERROR,
    POLLER_N_RESULTS,
};

/* Upper bounds (seconds) of the poll duration histogram's buckets; the
 * last bucket, +Inf, is implicit. */
#define POLLER_DURATION_BUCKETS 10
extern const double poller_duration_bounds[POLLER_DURATION_BUCKETS];

struct poller_counts {
    unsigned feeds;    /* configured */
    unsigned failing;  /* polled, and the last poll failed */
    unsigned disabled; /* enabled = no */
    unsigned gone;     /* answered 410: no longer polled */
    /* Since start: */
    uint64_t results[POLLER_N_RESULTS];
    uint64_t duration_buckets[POLLER_DURATION_BUCKETS + 1]; /* not cumulative; last: +Inf */
    uint64_t duration_ms_sum;
    uint64_t bytes;           /* body bytes received (decoded) */
    uint64_t bytes_saved;     /* stored body sizes not downloaded again thanks to a 304 */
    uint64_t entries_new;     /* entries stored for the first time */
    uint64_t stories_new;     /* of those, the ones that started a story */
    uint64_t entries_updated; /* entries whose text or metadata changed */
    bool write_failed;        /* the last store write (ingest or poll record) failed */
};
void poller_counts(const struct poller *p, struct poller_counts *ret);

#endif
