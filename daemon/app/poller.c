/* poller: see poller.h. */
#include "app/poller.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/schedule.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "feed/parse.h"

/* Scheduling hints of the last parsed document: kept in memory, since a
 * 304 or an unchanged 200 is not parsed. */
struct doc_hints {
    int64_t ttl;       /* seconds, or -1 */
    int64_t sy_period; /* seconds, or -1 */
    uint32_t skip_hours;
    uint8_t skip_days; /* schedule.h's convention: bit 0 = Sunday */
};

struct feed_slot {
    struct poller *p;
    const struct feed_conf *conf;
    struct store_feed_state *state;
    struct doc_hints hints;
    int64_t adaptive;   /* learned interval, 0 until known */
    size_t idx;         /* position in p->slots */
    size_t heap;        /* position in p->heap, or NOT_QUEUED (retired slots) */
    int64_t due;        /* the heap key, ms: next_poll, or INT64_MAX while it cannot be polled */
    int64_t release_ms; /* the start-up spread's time for its first poll, or 0 */
    bool in_flight;
    bool discard; /* the poll in flight is for an old url or a removed feed: drop its result */
    bool retired; /* removed from the configuration by a reload */
};

struct poller {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct fetcher *fetcher;
    struct store *store;
    const struct config *cfg;
    poller_changed_cb changed;
    void *userdata;
    struct feed_slot **slots; /* one per configured feed; stable addresses */
    size_t n_slots;
    struct feed_slot **heap;    /* the same slots, a min-heap on (due, idx) */
    struct feed_slot **retired; /* removed by reloads; freed with the poller */
    size_t n_retired;
    unsigned active;     /* feeds in flight: fetching, parsing or waiting to be stored */
    unsigned max_active; /* bounds the bodies and documents held at once */
    unsigned jobs;       /* parse jobs on the thread pool or ready */
    uv_idle_t drain;     /* stores ready jobs a few at a time */
    struct parse_job *ready_head, *ready_tail;
    /* Record the queued polls: after the I/O phase that queued them (check),
     * or before the loop blocks again when a timer or idle callback queued
     * them (prepare): a check handle alone would wait for the next event. */
    uv_check_t commit;
    uv_prepare_t commit_early;
    struct store_poll_rec *recs; /* polls without a document, queued for one transaction */
    struct queued_rec *queued;   /* what each of recs needs besides */
    size_t n_recs;
    unsigned open_handles; /* timer, drain, commit and commit_early until their close callbacks */
    bool draining;         /* poller_drain(): no new polls */
    bool held;             /* poller_hold_writes(): finished polls wait to be stored */
    /* The documents stored in the current drain turn's batch (see on_drain),
     * undone in memory if its commit fails. */
    struct batched {
        struct feed_slot *slot;
        struct store_ingest_stats stats;
        char *old_url; /* the URL before a move the batch recorded */
    } * batched;
    size_t n_batched;
    bool in_batch;
    struct poller_counts stats; /* the counters since start, for /metrics */
    bool closing;
    void (*closed)(void *);
    void *closed_ud;
};

/* A 2xx body on its way through the thread pool: hashing and parsing run
 * there (they are the CPU-heavy part of a poll), everything else (the
 * store, the schedule, the slot) stays on the loop thread. The job owns
 * copies of what it needs from the fetch result, which is only borrowed
 * for the duration of the fetch callback. */
struct parse_job {
    uv_work_t work;
    struct parse_job *next; /* in the ready queue */
    struct feed_slot *slot;
    struct fetch_result res; /* strings point into the copies below */
    char *body, *etag, *last_modified, *content_type, *effective_url, *permanent_url;
    char *prev_hash;           /* the stored body's hash, to compare with */
    struct dedup_opts dedup;   /* the store's, copied: dedup keys are computed here too */
    struct feed_limits limits; /* the configuration's, copied */
    /* results of the work */
    char hash[HASH_HEX_LEN + 1];
    bool unchanged;
    int r;
    struct feed *doc;
    char err[256];
};

/* At most this many polls are recorded in one transaction. */
#define RECORD_BATCH 256

/* The strings of a queued store_poll_rec, owned; the slot, for the log. */
struct queued_rec {
    struct feed_slot *slot;
    char *etag, *last_modified, *error, *moved_to;
    bool ingest_failed; /* the poll's document could not be stored (health) */
};

static void arm(struct poller *p);
static void heap_fix(struct feed_slot *s);

static void set_in_flight(struct feed_slot *s, bool on)
{
    if (s->in_flight == on)
        return;
    s->in_flight = on;
    if (on)
        s->p->active++;
    else
        s->p->active--;
    heap_fix(s);
}

static int64_t interval_of(const struct feed_slot *s)
{
    return s->conf->interval ? s->conf->interval : s->p->cfg->interval;
}

/* A disabled feed, or one that answered 410, is never polled. */
static bool pollable(const struct feed_slot *s)
{
    return s->conf->enabled && !s->state->gone;
}

/* ---- the schedule: a min-heap of slots on (due, idx) ----------------------
 *
 * Every configured slot is in p->heap; one that is in flight, disabled or
 * gone has the key INT64_MAX and sinks. The timer wakes for the top, and
 * due feeds are taken from the top in (next_poll, configuration order):
 * finding the next one costs O(log n), not a scan of every feed after each
 * poll. Whoever changes a slot's next_poll, in_flight, state or conf calls
 * heap_fix() (or heap_build() after changing many). */
#define NOT_QUEUED SIZE_MAX

static bool heap_before(const struct feed_slot *a, const struct feed_slot *b)
{
    return a->due < b->due || (a->due == b->due && a->idx < b->idx);
}

static void heap_put(struct poller *p, size_t i, struct feed_slot *s)
{
    p->heap[i] = s;
    s->heap = i;
}

static void heap_up(struct poller *p, size_t i)
{
    struct feed_slot *s = p->heap[i];

    while (i > 0 && heap_before(s, p->heap[(i - 1) / 2])) {
        heap_put(p, i, p->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_put(p, i, s);
}

static void heap_down(struct poller *p, size_t i)
{
    struct feed_slot *s = p->heap[i];
    size_t n = p->n_slots;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_before(p->heap[c + 1], p->heap[c]))
            c++;
        if (!heap_before(p->heap[c], s))
            break;
        heap_put(p, i, p->heap[c]);
        i = c;
    }
    heap_put(p, i, s);
}

/* next_poll is in whole seconds; the start-up spread is finer. */
static int64_t due_of(const struct feed_slot *s)
{
    int64_t at;

    if (s->in_flight || !pollable(s))
        return INT64_MAX;
    at = s->state->next_poll * 1000;
    return s->release_ms > at ? s->release_ms : at;
}

static void heap_fix(struct feed_slot *s)
{
    int64_t before = s->due;

    if (s->heap == NOT_QUEUED)
        return;
    s->due = due_of(s);
    if (s->due < before)
        heap_up(s->p, s->heap);
    else if (s->due > before)
        heap_down(s->p, s->heap);
}

/* After p->slots changed (start, reload): every slot, in O(n). */
static void heap_build(struct poller *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        struct feed_slot *s = p->slots[i];
        s->idx = i;
        s->due = due_of(s);
        heap_put(p, i, s);
    }
    for (size_t i = p->n_slots / 2; i-- > 0;)
        heap_down(p, i);
}

static uint64_t random64(void)
{
    uint64_t r = 0;

    uv_random(NULL, NULL, &r, sizeof(r), 0, NULL);
    return r;
}

/* What one poll came to, before anything is stored. */
struct outcome {
    struct feed *doc;        /* parsed document of a changed 2xx, or NULL */
    bool unchanged;          /* a 2xx whose body is the last stored one */
    bool gone;               /* a 410 */
    const char *error_class; /* set when the poll failed */
    char error[320];         /* set when the poll failed */
    char hash[HASH_HEX_LEN + 1];
    const char *moved_to; /* the feed moved permanently (301/308) there */
    int64_t retry_after;
    int64_t hint; /* longest interval the server or document asks for, 0 if none */
    const char *hint_source;
};

static const char *fetch_class(enum fetch_error e)
{
    static const char *const names[] = {
        [FETCH_ERR_DNS] = "dns",
        [FETCH_ERR_CONNECT] = "connect",
        [FETCH_ERR_TLS] = "tls",
        [FETCH_ERR_TIMEOUT] = "timeout",
        [FETCH_ERR_TOO_LARGE] = "too-large",
        [FETCH_ERR_REDIRECTS] = "redirects",
        [FETCH_ERR_PROTOCOL] = "protocol",
        [FETCH_ERR_BLOCKED] = "blocked",
        [FETCH_ERR_CANCELED] = "other",
        [FETCH_ERR_OTHER] = "other",
    };

    if ((size_t)e < sizeof(names) / sizeof(names[0]) && names[e])
        return names[e];
    return "other";
}

/* sy:updatePeriod / sy:updateFrequency as seconds, or -1. */
static int64_t sy_seconds(const struct feed *doc)
{
    static const struct {
        const char *name;
        int64_t seconds;
    } periods[] = {{"hourly", 3600},
                   {"daily", 86400},
                   {"weekly", 7 * 86400},
                   {"monthly", 30 * 86400},
                   {"yearly", 365 * 86400}};
    int64_t freq = doc->sy_frequency > 0 ? doc->sy_frequency : 1;

    if (!doc->sy_period)
        return -1;
    for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
        if (strcmp(doc->sy_period, periods[i].name) == 0)
            return periods[i].seconds / freq;
    }
    return -1;
}

static void remember_hints(struct feed_slot *s, const struct feed *doc)
{
    uint8_t days = 0;

    /* model.h counts days from Monday, schedule.h from Sunday. */
    for (int d = 0; d < 7; d++) {
        if (doc->skip_days & (1u << d))
            days |= (uint8_t)(1u << ((d + 1) % 7));
    }
    s->hints = (struct doc_hints){
        .ttl = doc->ttl >= 0 ? doc->ttl * 60 : -1,
        .sy_period = sy_seconds(doc),
        .skip_hours = doc->skip_hours,
        .skip_days = days,
    };
}

/* A pool thread that parses yields the CPU to the event loop: with as many
 * parsing threads as cores, the loop thread otherwise waited its turn for
 * tens of milliseconds (bench/poll: stalls of 60-90 ms of which the loop
 * was on a CPU for under 20). Nice values are per thread on Linux; the
 * thread keeps it for the other pool work (checkpoints, retention scans,
 * exports, DNS), which is background work too. */
#define PARSE_THREAD_NICE 10

static void yield_to_loop(void)
{
    static _Thread_local bool done;

    if (!done) {
        done = true;
        (void)setpriority(PRIO_PROCESS, (id_t)gettid(), PARSE_THREAD_NICE);
    }
}

/* Runs on the thread pool: touches only the job. */
static void on_parse_work(uv_work_t *w)
{
    struct parse_job *j = w->data;

    yield_to_loop();

    chash_hex(j->body ? j->body : "", j->res.body_len, j->hash);
    if (j->prev_hash && strcmp(j->prev_hash, j->hash) == 0) {
        j->unchanged = true;
        return;
    }
    j->r = feed_parse_ex(j->body ? j->body : "", j->res.body_len, j->res.effective_url,
                         j->res.content_type, &j->limits, &j->doc, j->err, sizeof(j->err));
    /* Canonical links and fingerprints off the loop; on failure (no
     * memory) the store computes what is missing. */
    if (j->r == 0 && dedup_prepare(j->doc, &j->dedup) == 0) {
        /* The change hashes too (a hash of every entry's text: the
         * largest part of an ingest on the loop otherwise). */
        for (size_t i = 0; i < j->doc->n_entries; i++) {
            struct entry *e = &j->doc->entries[i];
            if (dedup_entry_hash(e, e->hash) < 0)
                e->hash[0] = '\0';
        }
    }
}

/* Back on the loop: what the parse job found, as an outcome. */
static void parse_outcome(struct feed_slot *s, struct parse_job *j, struct outcome *o)
{
    memcpy(o->hash, j->hash, sizeof(o->hash));
    if (j->unchanged) {
        o->unchanged = true;
        log_debug("FETCH", "feed \"%s\": unchanged (%zu bytes, same as stored)", s->conf->name,
                  j->res.body_len);
        return;
    }
    if (j->r == 0) {
        o->doc = j->doc;
        j->doc = NULL;
        if (o->doc->bozo)
            log_info("PARSE", "feed \"%s\": recovered from broken XML: %s", s->conf->name,
                     o->doc->bozo_message ? o->doc->bozo_message : "?");
        remember_hints(s, o->doc);
        return;
    }
    o->error_class = "parse";
    /* parse.c's messages say what is wrong ("not a feed: ...", "not
     * well-formed XML: ..."); other errors are limits or OOM. */
    if (j->r == -EBADMSG)
        snprintf(o->error, sizeof(o->error), "%s", j->err);
    else if (j->r == -E2BIG)
        snprintf(o->error, sizeof(o->error), "cannot parse: document beyond the parser's limits");
    else
        snprintf(o->error, sizeof(o->error), "cannot parse: %s", strerror(-j->r));
}

static void classify(struct feed_slot *s, const struct fetch_result *res, struct outcome *o)
{
    if (res->error != FETCH_OK) {
        o->error_class = fetch_class(res->error);
        snprintf(o->error, sizeof(o->error), "%s", res->errmsg);
    } else if (res->status == 304) {
        log_debug("FETCH", "feed \"%s\": not modified", s->conf->name);
    } else if (res->status >= 200 && res->status < 300) {
        /* parse_outcome() already filled o */
    } else {
        o->error_class = "http";
        o->gone = res->status == 410;
        snprintf(o->error, sizeof(o->error), o->gone ? "HTTP %ld (gone)" : "HTTP %ld", res->status);
        if (res->status == 429 || res->status == 503)
            o->retry_after = res->retry_after;
    }
    /* A feed moves only when its new home answered: a 301 to a broken
     * URL must not lose a working one. */
    if (res->error == FETCH_OK && res->permanent_url && !o->error[0] &&
        strcmp(res->permanent_url, s->state->url) != 0)
        o->moved_to = res->permanent_url;
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

/* The longest interval a hint asks for, and which hint, for the record. */
static void note_hint(struct outcome *o, int64_t seconds, const char *source)
{
    if (seconds > o->hint) {
        o->hint = seconds;
        o->hint_source = source;
    }
}

static int64_t next_poll(struct feed_slot *s, const struct fetch_result *res, struct outcome *o,
                         int64_t now)
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
        .ttl = s->hints.ttl,
        .sy_period = s->hints.sy_period,
        .skip_hours = s->hints.skip_hours,
        .skip_days = s->hints.skip_days,
        /* A feed's own interval pins it; the default one adapts. */
        .adaptive = s->conf->interval ? 0 : learn(s, o->doc),
    };

    note_hint(o, res->max_age, "max-age");
    if (res->expires > now)
        note_hint(o, res->expires - now, "expires");
    note_hint(o, s->hints.ttl, "ttl");
    note_hint(o, s->hints.sy_period, "sy:updatePeriod");
    if (o->retry_after > now)
        note_hint(o, o->retry_after - now, "retry-after");
    return schedule_next(&policy, &in, now, random64());
}

static void set_error(struct feed_slot *s, const char *msg, const char *error_class, int status)
{
    free(s->state->last_error);
    free(s->state->error_class);
    s->state->last_error = strdup(msg);
    s->state->error_class = strdup(error_class);
    s->state->last_status = status;
    s->state->error_count++;
}

static void record_failed(struct feed_slot *s)
{
    s->p->stats.write_failed = true;
    log_error("STORE", "feed \"%s\": cannot record the poll: %s", s->conf->name,
              store_errmsg(s->p->store));
}

static void queued_free(struct queued_rec *q)
{
    free(q->etag);
    free(q->last_modified);
    free(q->error);
    free(q->moved_to);
}

/* Records the queued polls in one transaction (store_record_polls: each
 * stays atomic, with its events). Called at the end of every loop turn
 * that queued one, and before anything else the poller stores, so that
 * the records keep their order with the feed's other writes. */
static void flush_records(struct poller *p)
{
    int results[RECORD_BATCH];
    int r;

    if (p->n_recs == 0 || (p->in_batch && p->n_recs < RECORD_BATCH))
        return; /* inside a batch: after its commit (on_drain) */
    r = store_record_polls(p->store, p->recs, p->n_recs, results);
    p->stats.write_failed = false;
    for (size_t i = 0; i < p->n_recs; i++) {
        if (r < 0 || results[i] < 0)
            record_failed(p->queued[i].slot);
        if (p->queued[i].ingest_failed)
            p->stats.write_failed = true; /* its document could not be stored */
        queued_free(&p->queued[i]);
    }
    p->n_recs = 0;
    uv_check_stop(&p->commit);
    uv_prepare_stop(&p->commit_early);
}

static void on_commit(uv_check_t *h)
{
    struct poller *p = h->data;

    if (!p->held)
        flush_records(p);
}

static void on_commit_early(uv_prepare_t *h)
{
    struct poller *p = h->data;

    if (!p->held)
        flush_records(p);
}

static bool copy_field(char **dst, const char **field)
{
    if (!*field)
        return true;
    *dst = strdup(*field);
    *field = *dst;
    return *dst != NULL;
}

/* A poll without a document is queued and recorded with the others of
 * this loop turn: a group commit instead of one transaction per 304. The
 * feed's in-memory state is already up to date; only the row waits. */
static void record(struct feed_slot *s, struct store_poll *poll)
{
    struct poller *p = s->p;
    struct store_poll_rec *rec;
    struct queued_rec *q;

    if (p->n_recs == RECORD_BATCH)
        flush_records(p);
    rec = &p->recs[p->n_recs];
    q = &p->queued[p->n_recs];
    *rec = (struct store_poll_rec){.feed_id = s->state->id, .poll = *poll};
    *q = (struct queued_rec){.slot = s};
    /* error_class and hint_source are string literals. */
    if (!copy_field(&q->etag, &rec->poll.etag) ||
        !copy_field(&q->last_modified, &rec->poll.last_modified) ||
        !copy_field(&q->error, &rec->poll.error) ||
        !copy_field(&q->moved_to, &rec->poll.moved_to)) {
        queued_free(q);
        if (store_record_poll(p->store, s->state->id, poll) < 0)
            record_failed(s);
        return;
    }
    rec->poll.body_hash = NULL; /* not read without a document */
    if (p->n_recs++ == 0) {
        uv_check_start(&p->commit, on_commit);
        uv_prepare_start(&p->commit_early, on_commit_early);
    }
}

static void fail(struct feed_slot *s, struct store_poll *poll, const struct outcome *o)
{
    poll->error = o->error;
    poll->error_class = o->error_class;
    poll->gone = o->gone;
    if (o->gone) {
        /* Logged once: the feed is not polled again. */
        log_warn("FETCH",
                 "feed \"%s\": gone (HTTP 410) at %s; no longer polled until its url "
                 "changes",
                 s->conf->name, s->state->url);
        s->state->gone = true;
    } else {
        log_warn("FETCH", "feed \"%s\": %s [%s] (%s); next poll in %llds", s->conf->name, o->error,
                 o->error_class, s->state->url, (long long)(poll->next_poll - poll->polled_at));
    }
    set_error(s, o->error, o->error_class, poll->status);
    record(s, poll);
}

static int replace_str(char **field, const char *v)
{
    char *copy = v ? strdup(v) : NULL;

    if (v && !copy)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

/* The in-memory state after a 200 was stored (or found unchanged). */
static void stored_200(struct feed_slot *s, const struct fetch_result *res, const struct outcome *o)
{
    struct store_feed_state *st = s->state;

    if (replace_str(&st->etag, res->etag) < 0 ||
        replace_str(&st->last_modified, res->last_modified) < 0 ||
        replace_str(&st->body_hash, o->hash) < 0)
        log_error("FETCH", "feed \"%s\": out of memory", s->conf->name);
    st->body_size = (int64_t)res->body_len;
}

static void store_doc(struct feed_slot *s, const struct fetch_result *res, struct outcome *o,
                      struct store_poll *poll)
{
    struct poller *p = s->p;
    struct store_ingest_stats stats;
    int r;

    poll->etag = res->etag;
    poll->last_modified = res->last_modified;
    poll->body_hash = o->hash;
    flush_records(p);
    r = store_ingest(p->store, s->state->id, o->doc, poll, &stats);
    if (r < 0) {
        /* Nothing was stored; the validators stay as they were, so the next
         * poll downloads the document again. */
        log_error("STORE", "feed \"%s\": cannot store %zu bytes of entries: %s", s->conf->name,
                  res->body_len, store_errmsg(p->store));
        snprintf(o->error, sizeof(o->error), "cannot store: %s", store_errmsg(p->store));
        o->error_class = "storage";
        poll->moved_to = NULL; /* not applied: the transaction rolled back */
        poll->error = o->error;
        poll->error_class = o->error_class;
        set_error(s, o->error, o->error_class, poll->status);
        record(s, poll);
        if (p->n_recs)
            p->queued[p->n_recs - 1].ingest_failed = true;
        p->stats.write_failed = true;
        return;
    }
    if (p->in_batch)
        p->batched[p->n_batched++] = (struct batched){.slot = s, .stats = stats};
    p->stats.write_failed = false;
    stored_200(s, res, o);
    s->state->error_count = 0;
    p->stats.entries_new += stats.added;
    p->stats.stories_new += stats.added - stats.merged;
    p->stats.entries_updated += stats.updated;
    log_info("FETCH", "feed \"%s\": %u entries, %u new (%u of known stories), %u updated (%lld ms)",
             s->conf->name, stats.seen, stats.added, stats.merged, stats.updated,
             (long long)res->elapsed_ms);
    if (stats.identity_switch)
        log_warn("STORE",
                 "feed \"%s\": its entries are now identified by %s (%s changed while %s stayed "
                 "the same); see heraldd why",
                 s->conf->name, stats.identity_switch,
                 stats.identity_switch[0] == 'l' ? "guids" : "links",
                 stats.identity_switch[0] == 'l' ? "links" : "guids");
    if ((stats.added || stats.updated) && p->changed)
        p->changed(p->userdata);
}

static void not_modified(struct feed_slot *s, const struct fetch_result *res,
                         const struct outcome *o, struct store_poll *poll)
{
    if (o->unchanged) {
        poll->unchanged = true;
        poll->etag = res->etag;
        poll->last_modified = res->last_modified;
        stored_200(s, res, o);
    }
    s->state->error_count = 0;
    record(s, poll);
}

static void apply_move(struct feed_slot *s, const char *url)
{
    log_warn("FETCH", "feed \"%s\": moved permanently from %s to %s; polling the new URL",
             s->conf->name, s->state->url, url);
    if (replace_str(&s->state->url, url) < 0)
        log_error("FETCH", "feed \"%s\": out of memory", s->conf->name);
}

/* Stores what one poll came to and schedules the next one. */
const double poller_duration_bounds[POLLER_DURATION_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1,
                                                                2.5,  5,   10,   30,  60};

static enum poller_result result_of(const struct fetch_result *res, const struct outcome *o)
{
    if (!o->error[0])
        return o->doc ? POLLER_OK : POLLER_NOT_MODIFIED;
    if (strcmp(o->error_class, "http") == 0)
        return POLLER_HTTP_ERROR;
    if (strcmp(o->error_class, "parse") == 0)
        return POLLER_PARSE_ERROR;
    if (strcmp(o->error_class, "storage") == 0)
        return POLLER_STORAGE_ERROR;
    return POLLER_NET_ERROR;
}

/* Called once the poll's outcome is final (after store_doc()). A 304
 * saved downloading the body stored last time. */
static void count_poll(struct poller *p, const struct fetch_result *res, const struct outcome *o,
                       int64_t saved)
{
    struct poller_counts *c = &p->stats;
    double seconds = (double)(res->elapsed_ms > 0 ? res->elapsed_ms : 0) / 1000.0;
    size_t b = 0;

    c->results[result_of(res, o)]++;
    while (b < POLLER_DURATION_BUCKETS && seconds > poller_duration_bounds[b])
        b++;
    c->duration_buckets[b]++;
    c->duration_ms_sum += (uint64_t)(res->elapsed_ms > 0 ? res->elapsed_ms : 0);
    c->bytes += res->body_len;
    if (res->error == FETCH_OK && res->status == 304 && saved > 0)
        c->bytes_saved += (uint64_t)saved;
}

/* Whether s's document was the last one stored in the current batch. */
static bool p_batched_last(const struct feed_slot *s)
{
    const struct poller *p = s->p;

    return p->in_batch && p->n_batched && p->batched[p->n_batched - 1].slot == s;
}

static void conclude(struct feed_slot *s, const struct fetch_result *res, struct outcome *o)
{
    int64_t stored_size = s->state->body_size;
    struct store_poll poll = {.status = (int)res->status};

    set_in_flight(s, false);
    classify(s, res, o);
    poll.polled_at = clock_now();
    poll.next_poll = next_poll(s, res, o, poll.polled_at);
    poll.retry_after = res->retry_after;
    poll.hint = o->hint;
    poll.hint_source = o->hint_source;
    poll.moved_to = o->moved_to;
    poll.body_size = (int64_t)res->body_len;
    s->state->next_poll = poll.next_poll;
    s->state->last_poll = poll.polled_at;
    if (o->error[0])
        fail(s, &poll, o);
    else if (o->doc)
        store_doc(s, res, o, &poll);
    else
        not_modified(s, res, o, &poll);
    /* store_doc() drops the move when its transaction failed. */
    if (poll.moved_to && p_batched_last(s))
        s->p->batched[s->p->n_batched - 1].old_url = strdup(s->state->url);
    if (poll.moved_to)
        apply_move(s, poll.moved_to);
    count_poll(s->p, res, o, stored_size);
    feed_free(o->doc);
    heap_fix(s);
    arm(s->p);
}

static void job_free(struct parse_job *j)
{
    feed_free(j->doc);
    free(j->body);
    free(j->etag);
    free(j->last_modified);
    free(j->content_type);
    free(j->effective_url);
    free(j->permanent_url);
    free(j->prev_hash);
    free(j);
}

static void free_poller(struct poller *p);

/* At most this long of storing per loop turn (at least one job): when
 * hundreds of transfers finish together, their transactions are spread
 * over several turns instead of stalling the sockets and the HTTP server. */
#define DRAIN_BUDGET_NS (5 * 1000 * 1000)

static void maybe_free(struct poller *p)
{
    if (p->closing && p->open_handles == 0 && p->jobs == 0)
        free_poller(p);
}

static void conclude_job(struct parse_job *j)
{
    struct feed_slot *s = j->slot;
    struct outcome o = {0};

    if (s->discard) {
        s->discard = false;
        set_in_flight(s, false);
        arm(s->p);
        return;
    }
    parse_outcome(s, j, &o);
    conclude(s, &j->res, &o);
}

/* The batch's commit failed: nothing of it was stored. Its documents'
 * feeds lose their validators (the next poll downloads the document again,
 * unconditionally, and stores it then), count a storage error, and go back
 * to their URL if the batch moved them. The polls recorded in the batch
 * are recorded again after it (they were queued, not yet written). */
static void batch_failed(struct poller *p, const char *why)
{
    for (size_t i = 0; i < p->n_batched; i++) {
        struct batched *b = &p->batched[i];
        struct store_feed_state *st = b->slot->state;
        char msg[512];

        snprintf(msg, sizeof(msg), "cannot store: %s", why);
        log_error("STORE", "feed \"%s\": cannot store %u new and %u updated entries: %s",
                  b->slot->conf->name, b->stats.added, b->stats.updated, why);
        (void)replace_str(&st->etag, NULL);
        (void)replace_str(&st->last_modified, NULL);
        (void)replace_str(&st->body_hash, NULL);
        st->body_size = 0;
        if (b->old_url) {
            free(st->url);
            st->url = b->old_url;
            b->old_url = NULL;
        }
        set_error(b->slot, msg, "storage", st->last_status);
        p->stats.entries_new -= b->stats.added;
        p->stats.stories_new -= b->stats.added - b->stats.merged;
        p->stats.entries_updated -= b->stats.updated;
        p->stats.results[POLLER_OK]--;
        p->stats.results[POLLER_STORAGE_ERROR]++;
    }
    p->stats.write_failed = true;
}

/* At most this many documents are stored in one drain turn's batch. */
#define DRAIN_MAX_BATCH 64

/* Stores the polls the thread pool finished, for up to DRAIN_BUDGET_NS of
 * a loop turn, in one transaction (store_batch_begin(): each poll still in
 * a savepoint of its own). */
static void on_drain(uv_idle_t *h)
{
    struct poller *p = h->data;
    uint64_t start = uv_hrtime();
    struct parse_job *j;

    if (p->held) {
        uv_idle_stop(&p->drain); /* started again by poller_hold_writes() */
        return;
    }
    flush_records(p); /* earlier polls first, outside the batch */
    p->n_batched = 0;
    p->in_batch = store_batch_begin(p->store) == 0; /* else a transaction each */
    while ((j = p->ready_head) && !p->closing) {
        p->ready_head = j->next;
        if (!p->ready_head)
            p->ready_tail = NULL;
        p->jobs--;
        conclude_job(j);
        job_free(j);
        if (uv_hrtime() - start >= DRAIN_BUDGET_NS || p->n_batched == DRAIN_MAX_BATCH)
            break;
    }
    if (p->in_batch) {
        p->in_batch = false;
        if (store_batch_end(p->store) < 0)
            batch_failed(p, store_errmsg(p->store));
        for (size_t i = 0; i < p->n_batched; i++)
            free(p->batched[i].old_url);
        p->n_batched = 0;
        flush_records(p);
    }
    if (!p->ready_head)
        uv_idle_stop(&p->drain);
}

static void on_parse_done(uv_work_t *w, int status)
{
    struct parse_job *j = w->data;
    struct feed_slot *s = j->slot;
    struct poller *p = s->p;

    if (status != 0 || p->closing) {
        set_in_flight(s, false);
        p->jobs--;
        job_free(j);
        maybe_free(p);
        return;
    }
    if (p->ready_tail)
        p->ready_tail->next = j;
    else
        p->ready_head = j;
    p->ready_tail = j;
    if (!p->held)
        uv_idle_start(&p->drain, on_drain);
}

/* Copies s (NULL stays NULL); false on OOM. */
static bool dup_into(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

static struct parse_job *job_new(struct feed_slot *s, const struct fetch_result *res)
{
    struct parse_job *j = calloc(1, sizeof(*j));
    bool ok;

    if (!j)
        return NULL;
    j->slot = s;
    j->res = *res;
    j->res.transfer = NULL;
    j->body = fetch_take_body(res);
    if (!j->body && (j->body = malloc(res->body_len + 1))) {
        memcpy(j->body, res->body ? res->body : "", res->body_len);
        j->body[res->body_len] = '\0';
    }
    ok = j->body && dup_into(&j->etag, res->etag) &&
         dup_into(&j->last_modified, res->last_modified) &&
         dup_into(&j->content_type, res->content_type) &&
         dup_into(&j->effective_url, res->effective_url) &&
         dup_into(&j->permanent_url, res->permanent_url) &&
         dup_into(&j->prev_hash, s->state->body_hash);
    if (!ok) {
        job_free(j);
        return NULL;
    }
    j->res.body = j->body;
    j->res.etag = j->etag;
    j->res.last_modified = j->last_modified;
    j->res.content_type = j->content_type;
    j->res.effective_url = j->effective_url;
    j->res.permanent_url = j->permanent_url;
    j->res.errmsg = "";
    j->work.data = j;
    return j;
}

static void on_fetched(const struct fetch_result *res, void *userdata)
{
    struct feed_slot *s = userdata;
    struct poller *p = s->p;
    struct outcome o = {0};
    struct parse_job *j;

    if (res->error == FETCH_ERR_CANCELED || p->closing || s->discard) {
        set_in_flight(s, false);
        if (s->discard) {
            s->discard = false;
            arm(p);
        }
        return;
    }
    if (res->error != FETCH_OK || res->status < 200 || res->status >= 300) {
        conclude(s, res, &o);
        return;
    }
    /* A 2xx: hash and parse on the thread pool; the feed stays in flight. */
    j = job_new(s, res);
    if (j) {
        j->dedup = store_get_dedup(p->store)->prepare;
        config_feed_limits(p->cfg, &j->limits);
    }
    if (!j || uv_queue_work(p->loop, &j->work, on_parse_work, on_parse_done) < 0) {
        if (j)
            job_free(j);
        o.error_class = "other";
        snprintf(o.error, sizeof(o.error), "out of memory");
        conclude(s, res, &o);
        return;
    }
    p->jobs++;
}

static void poll_feed(struct feed_slot *s)
{
    const struct feed_conf *c = s->conf;
    struct fetch_request req = {
        .url = s->state->url,
        .etag = s->state->etag,
        .last_modified = s->state->last_modified,
        /* Only a configured file: URL; a stored URL came from a redirect. */
        .allow_file = strncmp(s->state->url, "file:", 5) == 0 && strcmp(s->state->url, c->url) == 0,
        .user_agent = c->user_agent,
        .headers = (const char *const *)c->headers,
        .userpwd = c->userpwd,
        .proxy = c->proxy,
    };
    int r = fetch_start(s->p->fetcher, &req, on_fetched, s);

    if (r < 0) {
        log_error("FETCH", "feed \"%s\": cannot start a transfer: %s", c->name, strerror(-r));
        s->state->next_poll = clock_now() + interval_of(s);
        heap_fix(s);
        return;
    }
    set_in_flight(s, true);
    log_debug("FETCH", "feed \"%s\": polling %s", c->name, s->state->url);
}

static void on_timer(uv_timer_t *t)
{
    struct poller *p = t->data;
    int64_t now = clock_now_ms();

    if (p->draining)
        return;
    /* Due feeds beyond max_active wait for a poll to finish (conclude()
     * re-arms): a fast network cannot pile up more bodies and parsed
     * documents than the store keeps up with. poll_feed() moves the top
     * down (in flight, or rescheduled when it cannot start). */
    while (p->n_slots > 0 && p->active < p->max_active && p->heap[0]->due <= now) {
        p->heap[0]->release_ms = 0;
        poll_feed(p->heap[0]);
    }
    arm(p);
}

/* Wakes at the earliest due time of the feeds not in flight. */
static void arm(struct poller *p)
{
    int64_t now = clock_now_ms(), next = p->n_slots > 0 ? p->heap[0]->due : INT64_MAX;

    if (p->closing)
        return;
    if (p->draining) {
        uv_timer_stop(&p->timer);
        return;
    }
    if (p->active >= p->max_active) {
        uv_timer_stop(&p->timer); /* the next conclude() re-arms */
        return;
    }
    if (next == INT64_MAX) {
        uv_timer_stop(&p->timer);
        return;
    }
    uv_timer_start(&p->timer, on_timer, next <= now ? 0 : (uint64_t)(next - now), 0);
}

/* A slot for the feed fc, registered in the store (its state loaded). */
static struct feed_slot *slot_new(struct poller *p, const struct feed_conf *fc)
{
    struct feed_slot *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->p = p;
    s->conf = fc;
    s->heap = NOT_QUEUED; /* until heap_build() */
    s->hints = (struct doc_hints){.ttl = -1, .sy_period = -1};
    if (store_feed_register(p->store, fc->name, fc->url, &s->state) < 0) {
        log_error("STORE", "feed \"%s\": cannot register: %s", fc->name, store_errmsg(p->store));
        free(s);
        return NULL;
    }
    if (!fc->enabled)
        log_info("FETCH", "feed \"%s\": disabled, not polled", fc->name);
    else if (s->state->gone)
        log_info("FETCH", "feed \"%s\": gone (HTTP 410 at %s), not polled until its url changes",
                 fc->name, s->state->url);
    else if (strcmp(s->state->url, fc->url) != 0)
        log_info("FETCH", "feed \"%s\": polling %s, where %s moved", fc->name, s->state->url,
                 fc->url);
    return s;
}

static void slot_free(struct feed_slot *s)
{
    if (s) {
        store_feed_state_free(s->state);
        free(s);
    }
}

/* Marks every feed not in cfg (or disabled) inactive in the store. */
static int retain(struct poller *p, const struct config *cfg)
{
    const char **names = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*names));
    size_t n = 0;
    int r;

    if (!names)
        return -ENOMEM;
    /* A disabled feed is registered (its state is kept) but retired like a
     * removed one: its entries leave the merged feed. */
    for (size_t i = 0; i < cfg->n_feeds; i++)
        if (cfg->feeds[i].enabled)
            names[n++] = cfg->feeds[i].name;
    r = store_feeds_retain(p->store, names, n);
    if (r < 0)
        log_error("STORE", "cannot retire removed feeds: %s", store_errmsg(p->store));
    free(names);
    return r;
}

int poller_new(uv_loop_t *loop, struct fetcher *fetcher, struct store *store,
               const struct config *cfg, poller_changed_cb changed, void *userdata,
               struct poller **ret)
{
    struct poller *p = calloc(1, sizeof(*p));
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
    p->heap = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*p->heap));
    p->recs = calloc(RECORD_BATCH, sizeof(*p->recs));
    p->queued = calloc(RECORD_BATCH, sizeof(*p->queued));
    p->batched = calloc(DRAIN_MAX_BATCH, sizeof(*p->batched));
    if (!p->slots || !p->heap || !p->recs || !p->queued || !p->batched) {
        r = -ENOMEM;
        goto err;
    }
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        if (!(p->slots[i] = slot_new(p, &cfg->feeds[i]))) {
            r = -EIO;
            goto err;
        }
        p->n_slots++;
    }
    r = retain(p, cfg);
    if (r < 0)
        goto err;
    heap_build(p);
    p->max_active = (unsigned)cfg->max_concurrent * 2;
    uv_timer_init(loop, &p->timer);
    uv_idle_init(loop, &p->drain);
    uv_check_init(loop, &p->commit);
    uv_prepare_init(loop, &p->commit_early);
    p->timer.data = p->drain.data = p->commit.data = p->commit_early.data = p;
    p->open_handles = 4;
    *ret = p;
    return 0;
err:
    for (size_t i = 0; i < p->n_slots; i++)
        slot_free(p->slots[i]);
    free(p->slots);
    free(p->heap);
    free(p->recs);
    free(p->queued);
    free(p->batched);
    free(p);
    return r;
}

int poller_reload(struct poller *p, const struct config *cfg)
{
    struct feed_slot **slots = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*slots));
    struct feed_slot **heap = calloc(cfg->n_feeds ? cfg->n_feeds : 1, sizeof(*heap));
    struct feed_slot **retired;
    size_t n = 0, gone = 0;
    int r = 0;

    if (!slots || !heap) {
        free(slots);
        free(heap);
        return -ENOMEM;
    }
    flush_records(p); /* before the feeds' rows change */
    retired = realloc(p->retired, (p->n_retired + p->n_slots + 1) * sizeof(*retired));
    if (!retired) {
        free(slots);
        free(heap);
        return -ENOMEM;
    }
    p->retired = retired;
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        const struct feed_conf *fc = &cfg->feeds[i];
        struct feed_slot *s = NULL;

        for (size_t k = 0; k < p->n_slots && !s; k++)
            if (p->slots[k] && strcmp(p->slots[k]->conf->name, fc->name) == 0) {
                s = p->slots[k];
                p->slots[k] = NULL;
            }
        if (s && strcmp(s->conf->url, fc->url) != 0) {
            /* A new url: the feed starts afresh there (store_feed_register). */
            struct store_feed_state *st;
            if (store_feed_register(p->store, fc->name, fc->url, &st) < 0) {
                log_error("STORE", "feed \"%s\": cannot register: %s", fc->name,
                          store_errmsg(p->store));
                r = -EIO;
            } else {
                store_feed_state_free(s->state);
                s->state = st;
                s->adaptive = 0;
                s->hints = (struct doc_hints){.ttl = -1, .sy_period = -1};
                s->discard = s->in_flight;
                log_info("FETCH", "feed \"%s\": url changed to %s", fc->name, fc->url);
            }
        } else if (!s) {
            s = slot_new(p, fc);
            if (!s) {
                r = -EIO;
                continue;
            }
            log_info("FETCH", "feed \"%s\": added", fc->name);
        }
        if (s->conf != fc && !s->discard) {
            /* A shorter interval counts from the last poll (not in backoff). */
            int64_t before = interval_of(s), after = fc->interval ? fc->interval : cfg->interval;
            int64_t now = clock_now();
            if (after < before && s->state->error_count == 0 && s->state->last_poll != TIME_NONE &&
                s->state->next_poll > s->state->last_poll + after)
                s->state->next_poll =
                    s->state->last_poll + after > now ? s->state->last_poll + after : now;
        }
        s->conf = fc;
        slots[n++] = s;
    }
    /* Removed feeds: a poll in flight finishes and is dropped. */
    for (size_t k = 0; k < p->n_slots; k++) {
        struct feed_slot *s = p->slots[k];
        if (!s)
            continue;
        log_info("FETCH", "feed \"%s\": removed", s->conf->name);
        gone++;
        s->retired = true;
        s->discard = s->in_flight;
        s->heap = NOT_QUEUED;
        p->retired[p->n_retired++] = s;
    }
    free(p->slots);
    free(p->heap);
    p->slots = slots;
    p->heap = heap;
    p->n_slots = n;
    heap_build(p);
    p->cfg = cfg;
    p->max_active = (unsigned)cfg->max_concurrent * 2;
    if (retain(p, cfg) < 0)
        r = -EIO;
    arm(p);
    return r;
}

/* Feeds that are due at start-up (new ones, or all of them after a long
 * outage) are spread over a window instead of fired at once, in their
 * configuration order (which interleaves sites when the file does).
 *
 * The window is no longer than what the global cap enforces anyway: at
 * most max_concurrent transfers run at once (and max_active feeds are in
 * progress), each site sees at most per_site of them and one start per
 * site_gap, so due feeds are never fired at once whatever the window. On
 * top of that the spread releases one feed per transfer slot every
 * SCHEDULE_SPREAD_SLOT_MS (about the fastest a poll completes, even on a
 * LAN), at most 5 s and never more than the smallest of their intervals:
 * 10,000 due feeds at max_concurrent 64 take 1.6 s, where the former one
 * second per 200 feeds (whole seconds) took 5 s and left the transfer
 * slots idle most of that time. Release times are in milliseconds; the
 * stored next_poll keeps whole seconds. */
void poller_start(struct poller *p)
{
    int64_t now = clock_now(), now_ms = clock_now_ms(), shortest = -1, window;
    unsigned due = 0, k = 0;

    for (size_t i = 0; i < p->n_slots; i++) {
        struct feed_slot *s = p->slots[i];
        if (pollable(s) && s->state->next_poll <= now) {
            due++;
            if (shortest < 0 || interval_of(s) < shortest)
                shortest = interval_of(s);
        }
    }
    window = schedule_spread_window_ms(due, p->cfg->max_concurrent, shortest);
    for (size_t i = 0; i < p->n_slots; i++) {
        struct feed_slot *s = p->slots[i];
        if (pollable(s) && s->state->next_poll <= now) {
            s->release_ms = now_ms + schedule_spread(k++, due, window);
            s->state->next_poll = s->release_ms / 1000;
        }
    }
    heap_build(p);
    log_info("FETCH", "polling %zu feeds (%u due, spread over %lld ms)", p->n_slots, due,
             (long long)window);
    arm(p);
}

static void free_poller(struct poller *p)
{
    void (*done)(void *) = p->closed;
    void *ud = p->closed_ud;

    for (size_t i = 0; i < p->n_slots; i++)
        slot_free(p->slots[i]);
    free(p->slots);
    free(p->heap);
    free(p->recs);
    free(p->queued);
    free(p->batched);
    for (size_t i = 0; i < p->n_retired; i++)
        slot_free(p->retired[i]);
    free(p->retired);
    free(p);
    if (done)
        done(ud);
}

/* Parse jobs still on the thread pool hold slots: the last of them frees
 * the poller (their results are dropped: nothing is stored once closing). */
static void on_closed(uv_handle_t *h)
{
    struct poller *p = h->data;

    p->open_handles--;
    maybe_free(p);
}

void poller_close(struct poller *p, void (*done)(void *userdata), void *userdata)
{
    struct parse_job *j;

    if (p->closing)
        return;
    flush_records(p); /* polls that completed are kept */
    p->closing = true;
    p->closed = done;
    p->closed_ud = userdata;
    while ((j = p->ready_head)) {
        p->ready_head = j->next;
        p->jobs--;
        set_in_flight(j->slot, false);
        job_free(j);
    }
    p->ready_tail = NULL;
    uv_timer_stop(&p->timer);
    uv_idle_stop(&p->drain);
    uv_close((uv_handle_t *)&p->timer, on_closed);
    uv_close((uv_handle_t *)&p->drain, on_closed);
    uv_close((uv_handle_t *)&p->commit, on_closed);
    uv_close((uv_handle_t *)&p->commit_early, on_closed);
}

void poller_drain(struct poller *p)
{
    p->draining = true;
    uv_timer_stop(&p->timer);
}

void poller_hold_writes(struct poller *p, bool hold)
{
    p->held = hold;
    if (!hold && p->ready_head && !p->closing)
        uv_idle_start(&p->drain, on_drain);
}

unsigned poller_busy(const struct poller *p)
{
    return p->active + p->jobs;
}

void poller_counts(const struct poller *p, struct poller_counts *ret)
{
    *ret = p->stats;
    ret->feeds = (unsigned)p->n_slots;
    ret->failing = ret->disabled = ret->gone = 0;
    for (size_t i = 0; i < p->n_slots; i++) {
        const struct feed_slot *s = p->slots[i];

        if (!s->conf->enabled)
            ret->disabled++;
        else if (s->state->gone)
            ret->gone++;
        else if (s->state->error_count > 0)
            ret->failing++;
    }
}
