/* poller: polls every configured feed when it is due and ingests what
 * comes back.
 *
 * One uv_timer_t wakes at the earliest due time; due feeds are handed to
 * the fetcher (which caps how many run at once). A response is classified
 * here: 2xx -> parse -> store_ingest (one transaction); 304 -> recorded,
 * nothing parsed; anything else -> the feed's error is recorded and logged
 * once, and the feed is polled again at its next interval. A failing feed
 * never stops the others.
 *
 * Borrows the loop, fetcher, store and config given to poller_new(); they
 * must outlive it.
 */
#ifndef HERALD_APP_POLLER_H
#define HERALD_APP_POLLER_H

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

/* Arms the timer: feeds that are due (or new) are polled at once. */
void poller_start(struct poller *p);

/* No new polls; responses still arriving are dropped (they were canceled
 * by closing the fetcher). Closes the timer and frees p in its close
 * callback, then calls done(userdata). */
void poller_close(struct poller *p, void (*done)(void *userdata), void *userdata);

struct poller_counts {
    unsigned feeds;
    unsigned failing;
};
void poller_counts(const struct poller *p, struct poller_counts *ret);

#endif
