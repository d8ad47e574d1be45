/* poller: see poller.h. */
#include "app/poller.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/schedule.h"
#include "base/clock.h"
#include "base/log.h"
#include "feed/parse.h"

struct feed_slot {
    struct poller *p;
    const struct feed_conf *conf;
    struct store_feed_state *state;
    int64_t adaptive; /* learned interval, 0 until known */
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

static uint64_t random64(void)
{
    uint64_t r = 0;

    uv_random(NULL, NULL, &r, sizeof(r), 0, NULL);
    return r;
}

/* What one poll came to, before anything is stored. */
struct outcome {
    struct feed *doc; /* parsed document of a 2xx, or NULL */
    char error[320];  /* set when the poll failed */
    int64_t retry_after;
};

static void parse_body(struct feed_slot *s, const struct fetch_result *res, struct outcome *o)
{
    char err[256];
    int r = feed_parse(res->body, res->body_len, res->effective_url, res->content_type, &o->doc,
                       err, sizeof(err));

    if (r == 0) {
        if (o->doc->bozo)
            log_info("PARSE", "feed \"%s\": recovered from broken XML: %s", s->conf->name,
                     o->doc->bozo_message ? o->doc->bozo_message : "?");
        return;
    }
    /* parse.c's messages say what is wrong ("not a feed: ...", "not
     * well-formed XML: ..."); other errors are limits or OOM. */
    if (r == -EBADMSG)
        snprintf(o->error, sizeof(o->error), "%s", err);
    else if (r == -E2BIG)
        snprintf(o->error, sizeof(o->error), "cannot parse: document beyond the parser's limits");
    else
        snprintf(o->error, sizeof(o->error), "cannot parse: %s", strerror(-r));
}

static void classify(struct feed_slot *s, const struct fetch_result *res, struct outcome *o)
{
    if (res->error != FETCH_OK) {
        snprintf(o->error, sizeof(o->error), "%s", res->errmsg);
    } else if (res->status == 304) {
        log_debug("FETCH", "feed \"%s\": not modified", s->conf->name);
    } else if (res->status >= 200 && res->status < 300) {
        parse_body(s, res, o);
    } else {
        snprintf(o->error, sizeof(o->error), "HTTP %ld", res->status);
        if (res->status == 429 || res->status == 503)
            o->retry_after = res->retry_after;
    }
}

/* The learned interval: from the document's entry dates when there is a
 * document, else the last one learned. */
static int64_t learn(struct feed_slot *s, const struct feed *doc)
{
    int64_t times[64];
    unsigned n = 0;

    if (!doc)
        return s->adaptive;
    for (size_t i = 0; i < doc->n_entries && n < 64; i++) {
        const struct entry *e = &doc->entries[i];
        times[n++] = e->published != TIME_NONE ? e->published : e->updated;
    }
    s->adaptive = schedule_learn(times, n);
    return s->adaptive;
}

static int64_t next_poll(struct feed_slot *s, const struct fetch_result *res,
                         const struct outcome *o, int64_t now)
{
    const struct config *cfg = s->p->cfg;
    struct schedule_policy policy = {
        .interval = interval_of(s),
        .min_interval = cfg->min_interval,
        .max_interval = cfg->max_interval,
        .backoff_cap = cfg->max_backoff,
    };
    struct schedule_input in = {
        .failed = o->error[0] != '\0',
        .error_count = s->state->error_count + 1,
        .retry_after = o->retry_after,
        .max_age = res->max_age,
        .expires = res->expires,
        .ttl = -1,
        .sy_period = -1,
        /* A feed's own interval pins it; the default one adapts. */
        .adaptive = s->conf->interval ? 0 : learn(s, o->doc),
    };

    return schedule_next(&policy, &in, now, random64());
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

static void store_doc(struct feed_slot *s, const struct fetch_result *res, struct feed *doc,
                      struct store_poll *poll)
{
    struct poller *p = s->p;
    struct store_ingest_stats stats;
    int r;

    poll->etag = res->etag;
    poll->last_modified = res->last_modified;
    r = store_ingest(p->store, s->state->id, doc, poll, &stats);
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
    struct outcome o = {0};

    s->in_flight = false;
    if (res->error == FETCH_ERR_CANCELED || s->p->closing)
        return;
    classify(s, res, &o);
    poll.polled_at = clock_now();
    poll.next_poll = next_poll(s, res, &o, poll.polled_at);
    s->state->next_poll = poll.next_poll;
    s->state->last_poll = poll.polled_at;
    if (o.error[0]) {
        fail(s, &poll, o.error);
    } else if (o.doc) {
        store_doc(s, res, o.doc, &poll);
    } else {
        s->state->error_count = 0;
        record(s, &poll);
    }
    feed_free(o.doc);
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

/* Feeds that are due at start-up (new ones, or all of them after a long
 * outage) are spread over a window instead of fired at once: one second
 * per 200 feeds (times are whole seconds), at most 5 s, and never more
 * than the smallest of their intervals. */
void poller_start(struct poller *p)
{
    int64_t now = clock_now(), window;
    unsigned due = 0, k = 0;

    for (size_t i = 0; i < p->n_slots; i++)
        due += p->slots[i].state->next_poll <= now;
    window = due / 200 < 5 ? due / 200 : 5;
    for (size_t i = 0; i < p->n_slots; i++) {
        if (p->slots[i].state->next_poll <= now && interval_of(&p->slots[i]) < window)
            window = interval_of(&p->slots[i]);
    }
    for (size_t i = 0; i < p->n_slots; i++) {
        struct store_feed_state *st = p->slots[i].state;
        if (st->next_poll <= now)
            st->next_poll = now + schedule_spread(k++, due, window);
    }
    log_info("FETCH", "polling %zu feeds (%u due, spread over %llds)", p->n_slots, due,
             (long long)window);
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
