/* poller: see poller.h. */
#include "app/poller.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "feed/parse.h"

struct feed_slot {
    struct poller *p;
    const struct feed_conf *conf;
    struct store_feed_state *state;
    bool in_flight;
};

struct poller {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct fetcher *fetcher;
    struct store *store;
    const struct config *cfg;
    poller_changed_cb changed;
    void *userdata;
    struct feed_slot *slots;
    size_t n_slots;
    bool closing;
    void (*closed)(void *);
    void *closed_ud;
};

static void arm(struct poller *p);

static int64_t interval_of(const struct feed_slot *s)
{
    return s->conf->interval ? s->conf->interval : s->p->cfg->interval;
}

static void set_error(struct feed_slot *s, const char *msg, int status)
{
    free(s->state->last_error);
    s->state->last_error = strdup(msg);
    s->state->last_status = status;
    s->state->error_count++;
}

static void record(struct feed_slot *s, struct store_poll *poll)
{
    int r = store_record_poll(s->p->store, s->state->id, poll);

    if (r < 0)
        log_error("STORE", "feed \"%s\": cannot record the poll: %s", s->conf->name,
                  store_errmsg(s->p->store));
}

static void fail(struct feed_slot *s, struct store_poll *poll, const char *msg)
{
    log_warn("FETCH", "feed \"%s\": %s (%s); next poll in %llds", s->conf->name, msg, s->conf->url,
             (long long)(poll->next_poll - poll->polled_at));
    poll->error = msg;
    set_error(s, msg, poll->status);
    record(s, poll);
}

static void ingest(struct feed_slot *s, const struct fetch_result *res, struct store_poll *poll)
{
    struct poller *p = s->p;
    struct store_ingest_stats stats;
    struct feed *doc = NULL;
    char err[256], msg[320];
    int r;

    r = feed_parse(res->body, res->body_len, res->effective_url, res->content_type, &doc, err,
                   sizeof(err));
    if (r < 0) {
        /* parse.c's messages say what is wrong ("not a feed: ...",
         * "not well-formed XML: ..."); other errors are limits or OOM. */
        if (r == -EBADMSG)
            snprintf(msg, sizeof(msg), "%s", err);
        else if (r == -E2BIG)
            snprintf(msg, sizeof(msg), "cannot parse: document beyond the parser's limits");
        else
            snprintf(msg, sizeof(msg), "cannot parse: %s", strerror(-r));
        fail(s, poll, msg);
        return;
    }
    if (doc->bozo)
        log_info("PARSE", "feed \"%s\": recovered from broken XML: %s", s->conf->name,
                 doc->bozo_message ? doc->bozo_message : "?");
    poll->etag = res->etag;
    poll->last_modified = res->last_modified;
    r = store_ingest(p->store, s->state->id, doc, poll, &stats);
    feed_free(doc);
    if (r < 0) {
        /* Nothing was stored; the validators stay as they were, so the next
         * poll downloads the document again. */
        log_error("STORE", "feed \"%s\": cannot store %zu bytes of entries: %s", s->conf->name,
                  res->body_len, store_errmsg(p->store));
        set_error(s, store_errmsg(p->store), poll->status);
        return;
    }
    free(s->state->etag);
    free(s->state->last_modified);
    s->state->etag = res->etag ? strdup(res->etag) : NULL;
    s->state->last_modified = res->last_modified ? strdup(res->last_modified) : NULL;
    s->state->error_count = 0;
    log_info("FETCH", "feed \"%s\": %u entries, %u new, %u updated (%lld ms)", s->conf->name,
             stats.seen, stats.added, stats.updated, (long long)res->elapsed_ms);
    if ((stats.added || stats.updated) && p->changed)
        p->changed(p->userdata);
}

static void on_fetched(const struct fetch_result *res, void *userdata)
{
    struct feed_slot *s = userdata;
    struct store_poll poll = {.status = (int)res->status};
    char msg[320];

    s->in_flight = false;
    if (res->error == FETCH_ERR_CANCELED || s->p->closing)
        return;
    poll.polled_at = clock_now();
    poll.next_poll = poll.polled_at + interval_of(s);
    s->state->next_poll = poll.next_poll;
    s->state->last_poll = poll.polled_at;

    if (res->error != FETCH_OK) {
        fail(s, &poll, res->errmsg);
    } else if (res->status == 304) {
        log_debug("FETCH", "feed \"%s\": not modified", s->conf->name);
        s->state->error_count = 0;
        record(s, &poll);
    } else if (res->status >= 200 && res->status < 300) {
        ingest(s, res, &poll);
    } else {
        snprintf(msg, sizeof(msg), "HTTP %ld", res->status);
        fail(s, &poll, msg);
    }
    arm(s->p);
}

static void poll_feed(struct feed_slot *s)
{
    struct fetch_request req = {
        .url = s->conf->url,
        .etag = s->state->etag,
        .last_modified = s->state->last_modified,
        .allow_file = strncmp(s->conf->url, "file:", 5) == 0,
    };
    int r = fetch_start(s->p->fetcher, &req, on_fetched, s);

    if (r < 0) {
        log_error("FETCH", "feed \"%s\": cannot start a transfer: %s", s->conf->name, strerror(-r));
        s->state->next_poll = clock_now() + interval_of(s);
        return;
    }
    s->in_flight = true;
    log_debug("FETCH", "feed \"%s\": polling %s", s->conf->name, s->conf->url);
}

static void on_timer(uv_timer_t *t)
{
    struct poller *p = t->data;
    int64_t now = clock_now();

    for (size_t i = 0; i < p->n_slots; i++) {
        struct feed_slot *s = &p->slots[i];
        if (!s->in_flight && s->state->next_poll <= now)
            poll_feed(s);
    }
    arm(p);
}

/* Wakes at the earliest due time of the feeds not in flight. */
static void arm(struct poller *p)
{
    int64_t now = clock_now(), next = INT64_MAX;

    if (p->closing)
        return;
    for (size_t i = 0; i < p->n_slots; i++) {
        const struct feed_slot *s = &p->slots[i];
        if (!s->in_flight && s->state->next_poll < next)
            next = s->state->next_poll;
    }
    if (next == INT64_MAX) {
        uv_timer_stop(&p->timer);
        return;
    }
    uv_timer_start(&p->timer, on_timer, next <= now ? 0 : (uint64_t)(next - now) * 1000, 0);
}

int poller_new(uv_loop_t *loop, struct fetcher *fetcher, struct store *store,
               const struct config *cfg, poller_changed_cb changed, void *userdata,
               struct poller **ret)
{
    struct poller *p = calloc(1, sizeof(*p));
    const char **names = NULL;
    int r = 0;

    if (!p)
        return -ENOMEM;
    *p = (struct poller){.loop = loop,
                         .fetcher = fetcher,
                         .store = store,
                         .cfg = cfg,
                         .changed = changed,
                         .userdata = userdata};
    p->slots = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*p->slots));
    names = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*names));
    if (!p->slots || !names) {
        r = -ENOMEM;
        goto err;
    }
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        struct feed_slot *s = &p->slots[i];

        s->p = p;
        s->conf = &cfg->feeds[i];
        names[i] = cfg->feeds[i].name;
        r = store_feed_register(store, s->conf->name, s->conf->url, &s->state);
        if (r < 0) {
            log_error("STORE", "feed \"%s\": cannot register: %s", s->conf->name,
                      store_errmsg(store));
            goto err;
        }
        p->n_slots++;
    }
    r = store_feeds_retain(store, names, cfg->n_feeds);
    if (r < 0) {
        log_error("STORE", "cannot retire removed feeds: %s", store_errmsg(store));
        goto err;
    }
    free(names);
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    *ret = p;
    return 0;
err:
    free(names);
    for (size_t i = 0; i < p->n_slots; i++)
        store_feed_state_free(p->slots[i].state);
    free(p->slots);
    free(p);
    return r;
}

void poller_start(struct poller *p)
{
    log_info("FETCH", "polling %zu feeds", p->n_slots);
    arm(p);
}

static void on_closed(uv_handle_t *h)
{
    struct poller *p = h->data;
    void (*done)(void *) = p->closed;
    void *ud = p->closed_ud;

    for (size_t i = 0; i < p->n_slots; i++)
        store_feed_state_free(p->slots[i].state);
    free(p->slots);
    free(p);
    if (done)
        done(ud);
}

void poller_close(struct poller *p, void (*done)(void *userdata), void *userdata)
{
    if (p->closing)
        return;
    p->closing = true;
    p->closed = done;
    p->closed_ud = userdata;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, on_closed);
}

void poller_counts(const struct poller *p, struct poller_counts *ret)
{
    *ret = (struct poller_counts){.feeds = (unsigned)p->n_slots};
    for (size_t i = 0; i < p->n_slots; i++) {
        if (p->slots[i].state->error_count > 0)
            ret->failing++;
    }
}
