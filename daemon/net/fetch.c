/* fetch: see fetch.h.
 *
 * A transfer's life (the function behind each move in brackets):
 *
 *                 fetch_start()
 *                       │
 *                       ▼
 *                    QUEUED ──(on_wake: start_hop)──┐ IP literal, file:, cached DNS
 *                       │ uv_getaddrinfo            │
 *                       ▼                           ▼
 *                   RESOLVING ──(on_resolved)──► WAITING_SITE ◄──────────────┐
 *                                               │  site FIFO, global cap     │
 *                                               │ (admit: run)               │
 *                                               ▼                            │
 *                                            RUNNING ── 3xx + Location ──► REDIRECT
 *                                               │     (check_done: redirect) │ (start_hop:
 *                                               │                            │  RESOLVING or
 *                                               ▼                            │  WAITING_SITE)
 *    every state ──(finish: bad URL, DNS, blocked, timeout, cancel)──►     DONE
 *
 * transfer_enter_state() checks each move against `moves`, logs it at debug
 * level, and refuses the others. In DONE, done_cb runs and the transfer is
 * freed. Nothing is done inside fetch_start() but queueing: the wake timer
 * (0 ms) starts the work, so done_cb never runs before fetch_start()
 * returns.
 *
 * Queues: QUEUED transfers are in f->queued, RESOLVING ones in their DNS
 * entry's waiters, WAITING_SITE ones in their site's FIFO (t->q says which).
 * The wake timer is armed for the earliest moment something can change
 * without an event: a site's gap or pause ending, a lookup's deadline.
 *
 * curl sockets: CURL_POLL_IN/OUT/INOUT start (or change) the socket's
 * uv_poll_t; CURL_POLL_REMOVE stops it and closes it at once, so a stale
 * handle never outlives its fd number. Easy handles are removed only from
 * check_done() and finish(), outside curl's callbacks
 * (CURLM_RECURSIVE_API_CALL).
 *
 * A done_cb may call fetch_start() or fetcher_close(): every loop over
 * transfers re-reads its list head and stops once the fetcher is closing.
 */
#include "net/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/site.h"

#define DNS_TTL_MS       60000
#define DNS_MAX_ADDRS    8
#define PAUSE_FIRST_MS   5000
#define PAUSE_MAX_MS     600000
#define RETRY_AFTER_MAX  3600    /* seconds a site may be paused by one response */
#define SITE_MEMORY_MS   3600000 /* a paused site's growing pause is kept this long */
#define HEADER_VALUE_MAX 1024    /* longest validator or content type kept */
#define HASH_BUCKETS     1024    /* sites and DNS entries, found by name */
#define GC_EVERY_MS      1000    /* idle sites and stale DNS answers are forgotten this often */
#define SPARE_EASY       64      /* easy handles kept for reuse */

enum transfer_state {
    TS_QUEUED,
    TS_RESOLVING,
    TS_WAITING_SITE,
    TS_RUNNING,
    TS_REDIRECT,
    TS_DONE,
};

static const char *const state_names[] = {
    [TS_QUEUED] = "QUEUED",   [TS_RESOLVING] = "RESOLVING", [TS_WAITING_SITE] = "WAITING_SITE",
    [TS_RUNNING] = "RUNNING", [TS_REDIRECT] = "REDIRECT",   [TS_DONE] = "DONE",
};

#define TO(s) (1u << (s))
static const unsigned moves[] = {
    [TS_QUEUED] = TO(TS_RESOLVING) | TO(TS_WAITING_SITE) | TO(TS_DONE),
    [TS_RESOLVING] = TO(TS_WAITING_SITE) | TO(TS_DONE),
    [TS_WAITING_SITE] = TO(TS_RUNNING) | TO(TS_DONE),
    [TS_RUNNING] = TO(TS_REDIRECT) | TO(TS_DONE),
    [TS_REDIRECT] = TO(TS_RESOLVING) | TO(TS_WAITING_SITE) | TO(TS_DONE),
    [TS_DONE] = 0,
};

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct fetcher *f;
    struct sock *next, *prev; /* every sock not yet closed */
};

struct transfer;

struct tqueue {
    struct transfer *head, *tail;
};

struct addrs {
    struct sockaddr_storage a[DNS_MAX_ADDRS];
    int n;
};

/* One host's lookup: pending (waiters share it) or an answer until expires. */
struct dns_entry {
    struct fetcher *f;
    char *name;
    uv_getaddrinfo_t req;
    bool pending;
    int err; /* libuv code of the last answer, 0 if it had addresses */
    int64_t expires_ms;
    struct addrs addrs;
    struct tqueue waiters;
    struct dns_entry *next, *prev;
    struct dns_entry *hnext; /* in f->dns_hash */
};

/* Politeness state of one registrable domain. */
struct site {
    char key[SITE_KEY_MAX];
    bool unlimited; /* file: reads */
    unsigned running;
    int64_t next_start_ms;   /* no request start before (site_gap_ms) */
    int64_t paused_until_ms; /* 429 / 503 */
    int64_t pause_ms;        /* the last pause without Retry-After, 0 after a success */
    struct tqueue waiting;
    struct site *next, *prev;
    struct site *hnext;         /* in f->site_hash */
    struct site *bnext, *bprev; /* in f->busy while listed */
    bool listed;
};

struct transfer {
    struct fetcher *f;
    enum transfer_state state;
    uint64_t seq; /* admission order */
    fetch_done_cb done;
    void *userdata;
    struct transfer *next, *prev;   /* f->transfers */
    struct tqueue *q;               /* the queue the transfer is in, or NULL */
    struct transfer *qnext, *qprev; /* link in *q */

    /* The request, copied. */
    char *req_etag, *req_last_modified, *user_agent, *userpwd, *proxy;
    char **req_headers; /* NULL-terminated, or NULL */
    bool allow_file;
    char *post; /* POST body, or NULL: a GET */
    size_t post_len;
    bool no_redirects, own_pace;
    long timeout_ms;
    char *origin; /* "scheme://host:port" of the configured URL: where credentials go */

    /* The current hop. */
    char *url;
    char host[SITE_KEY_MAX]; /* without brackets, IDN as punycode */
    long port;
    bool file, same_origin;
    struct dns_entry *dns; /* RESOLVING */
    struct site *site;     /* from WAITING_SITE to the end of RUNNING */
    struct curl_slist *resolve;
    int64_t deadline_ms; /* RESOLVING: give up then */
    CURL *easy;
    bool in_multi;
    struct curl_slist *headers;

    /* Across hops. */
    long hops;
    bool all_permanent, origin_private, started;
    int64_t first_start_ms, hop_start_ms, run_ms;

    /* The response (of the last hop). */
    long status;
    struct buf body;
    char *etag, *last_modified, *content_type;
    char *cache_control, *expires, *retry_after;
    bool too_large;
    char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's */
    uv_timer_t wake;  /* ours: queued work, gaps, pauses, DNS deadlines */
    struct fetch_options opts;
    char *user_agent;
    char *ca_file; /* or NULL: the system's CAs */
    unsigned inflight, pending;
    uint64_t seq;
    struct transfer *transfers;
    struct tqueue queued;
    struct site *sites;
    struct dns_entry *dns;
    /* Admission looks only at sites that had a transfer waiting since it
     * last looked (f->busy), not at every site known: with 500 sites and
     * a few dozen waiting, a scan per admission was most of its cost. */
    struct site *busy;
    struct site *site_hash[HASH_BUCKETS];
    struct dns_entry *dns_hash[HASH_BUCKETS];
    unsigned resolving; /* transfers in RESOLVING: their deadlines need the wake timer */
    int64_t gc_at_ms;
    /* Easy handles of finished transfers, reset and reused: creating one
     * per transfer (and freeing it) was a tenth of curl's work for a 304. */
    CURL *spare[SPARE_EASY];
    unsigned n_spare;
    unsigned gai_pending;
    struct sock *socks;
    bool closing;
    unsigned open_handles; /* timers + socks still to be closed */
    void (*closed)(void *);
    void *closed_ud;
};

static void check_done(struct fetcher *f);
static void admit(struct fetcher *f);
static void start_hop(struct transfer *t);
static void on_wake(uv_timer_t *timer);

/* ---- lists -------------------------------------------------------------------- */

static void tq_push(struct tqueue *q, struct transfer *t)
{
    t->qnext = NULL;
    t->qprev = q->tail;
    if (q->tail)
        q->tail->qnext = t;
    else
        q->head = t;
    q->tail = t;
    t->q = q;
}

static void tq_remove(struct transfer *t)
{
    struct tqueue *q = t->q;

    if (!q)
        return;
    if (t->qprev)
        t->qprev->qnext = t->qnext;
    else
        q->head = t->qnext;
    if (t->qnext)
        t->qnext->qprev = t->qprev;
    else
        q->tail = t->qprev;
    t->qnext = t->qprev = NULL;
    t->q = NULL;
}

static struct transfer *tq_pop(struct tqueue *q)
{
    struct transfer *t = q->head;

    if (t)
        tq_remove(t);
    return t;
}

static int transfer_enter_state(struct transfer *t, enum transfer_state to)
{
    if (!(moves[t->state] & TO(to))) {
        log_error("FETCH", "#%llu %s: impossible move %s -> %s refused", (unsigned long long)t->seq,
                  t->host[0] ? t->host : "-", state_names[t->state], state_names[to]);
        return -EINVAL;
    }
    log_debug("FETCH", "#%llu %s: %s -> %s", (unsigned long long)t->seq, t->host[0] ? t->host : "-",
              state_names[t->state], state_names[to]);
    if (t->state == TS_RESOLVING)
        t->f->resolving--;
    if (to == TS_RESOLVING)
        t->f->resolving++;
    t->state = to;
    return 0;
}

/* ---- handle bookkeeping --------------------------------------------------- */

/* FNV-1a, case-insensitive (host names). */
static size_t name_bucket(const char *name)
{
    uint32_t h = 2166136261u;

    for (const char *c = name; *c; c++)
        h = (h ^ (uint32_t)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c)) * 16777619u;
    return h % HASH_BUCKETS;
}

static void free_dns(struct dns_entry *e)
{
    struct dns_entry **b = &e->f->dns_hash[name_bucket(e->name)];

    while (*b != e)
        b = &(*b)->hnext;
    *b = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        e->f->dns = e->next;
    if (e->next)
        e->next->prev = e->prev;
    free(e->name);
    free(e);
}

static void busy_unlink(struct fetcher *f, struct site *s)
{
    if (!s->listed)
        return;
    if (s->bprev)
        s->bprev->bnext = s->bnext;
    else
        f->busy = s->bnext;
    if (s->bnext)
        s->bnext->bprev = s->bprev;
    s->bnext = s->bprev = NULL;
    s->listed = false;
}

static void free_site(struct fetcher *f, struct site *s)
{
    struct site **b = &f->site_hash[name_bucket(s->key)];

    while (*b != s)
        b = &(*b)->hnext;
    *b = s->hnext;
    busy_unlink(f, s);
    if (s->prev)
        s->prev->next = s->next;
    else
        f->sites = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s);
}

static void maybe_finish_close(struct fetcher *f)
{
    if (!f->closing || f->open_handles > 0 || f->multi || f->gai_pending > 0)
        return;
    void (*closed)(void *) = f->closed;
    void *ud = f->closed_ud;

    while (f->dns)
        free_dns(f->dns);
    while (f->sites)
        free_site(f, f->sites);
    free(f->user_agent);
    free(f->ca_file);
    free(f);
    if (closed)
        closed(ud);
}

static void on_sock_closed(uv_handle_t *h)
{
    struct sock *s = h->data;
    struct fetcher *f = s->f;

    free(s);
    f->open_handles--;
    maybe_finish_close(f);
}

static void sock_close(struct sock *s)
{
    struct fetcher *f = s->f;

    if (s->prev)
        s->prev->next = s->next;
    else
        f->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* ---- curl callbacks ----------------------------------------------------------- */

static void on_poll(uv_poll_t *handle, int status, int events)
{
    struct sock *s = handle->data;
    struct fetcher *f = s->f;
    int flags = 0, running;

    if (status < 0) {
        /* libuv reports EPOLLERR as an error status and then nothing more:
         * let curl look at the socket and fail the transfer. */
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(f->multi, s->fd, flags, &running);
    check_done(f);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct fetcher *f = userp;
    struct sock *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            curl_multi_assign(f->multi, fd, NULL);
            sock_close(s);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        if (uv_poll_init_socket(f->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->f = f;
        s->poll.data = s;
        s->next = f->socks;
        if (f->socks)
            f->socks->prev = s;
        f->socks = s;
        f->open_handles++;
        curl_multi_assign(f->multi, fd, s);
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timeout(uv_timer_t *timer)
{
    struct fetcher *f = timer->data;
    int running;

    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct fetcher *f = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&f->timer);
    else /* 0 fires on the next loop turn, never inside this callback */
        uv_timer_start(&f->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

char *fetch_take_body(const struct fetch_result *res)
{
    struct transfer *t = res->transfer;
    char *body;

    if (!t || !t->body.data || t->body.err || res->body != t->body.data)
        return NULL;
    body = t->body.data;
    t->body.data = NULL; /* transfer_free() releases an empty buffer */
    t->body.len = t->body.cap = 0;
    return body;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    curl_off_t length;

    /* Room for the whole body at once when the server said how long it is
     * (compressed, it is a start): the buffer would double a dozen times. */
    if (!t->body.cap && t->easy &&
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0 && (uint64_t)length < t->body.max)
        (void)buf_reserve(&t->body, (size_t)length); /* fails as the append would */
    if (buf_append(&t->body, ptr, n) < 0) {
        t->too_large = t->body.err == -E2BIG;
        return 0; /* CURLE_WRITE_ERROR */
    }
    return n;
}

/* Keeps a copy of the value when line is "Name: value". Anything longer
 * than HEADER_VALUE_MAX is not an honest header, and echoing it back would
 * make every poll fail. */
static void grab_header(const char *line, size_t n, const char *name, char **field)
{
    size_t len = strlen(name);
    const char *v, *end;

    if (n <= len || strncasecmp(line, name, len) != 0 || line[len] != ':')
        return;
    v = line + len + 1;
    end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    free(*field);
    *field = NULL;
    if (end - v > HEADER_VALUE_MAX)
        return;
    *field = strndup(v, (size_t)(end - v)); /* NULL on OOM: the header is lost, not the poll */
}

static void forget_response(struct transfer *t)
{
    free(t->etag);
    free(t->last_modified);
    free(t->content_type);
    free(t->cache_control);
    free(t->expires);
    free(t->retry_after);
    t->etag = t->last_modified = t->content_type = NULL;
    t->cache_control = t->expires = t->retry_after = NULL;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nitems;

    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        forget_response(t); /* a new response (after a 100): forget the last one's */
        return n;
    }
    grab_header(line, n, "ETag", &t->etag);
    grab_header(line, n, "Last-Modified", &t->last_modified);
    grab_header(line, n, "Content-Type", &t->content_type);
    grab_header(line, n, "Cache-Control", &t->cache_control);
    grab_header(line, n, "Expires", &t->expires);
    grab_header(line, n, "Retry-After", &t->retry_after);
    return n;
}

/* ---- response headers ------------------------------------------------------------ */

/* "max-age=N" of a Cache-Control value, or -1 (also for no-cache and
 * no-store, which ask for revalidation, not for a pause). */
static int64_t max_age(const char *cc)
{
    const char *p;
    char *end;
    long long v;

    if (!cc || strcasestr(cc, "no-cache") || strcasestr(cc, "no-store"))
        return -1;
    for (p = cc; (p = strcasestr(p, "max-age")); p += 7) {
        if (p > cc && p[-1] != ' ' && p[-1] != ',')
            continue; /* s-maxage and the like */
        if (p[7] != '=')
            continue;
        v = strtoll(p + 8, &end, 10);
        if (end == p + 8 || v < 0)
            return -1;
        return v > INT32_MAX ? INT32_MAX : v;
    }
    return -1;
}

/* An HTTP-date as epoch seconds, or 0. */
static int64_t http_date(const char *s)
{
    time_t t;

    if (!s)
        return 0;
    t = curl_getdate(s, NULL);
    return t > 0 ? (int64_t)t : 0;
}

/* Retry-After: delay-seconds or an HTTP-date, as an absolute time, or 0. */
static int64_t retry_after(const char *s, int64_t now)
{
    char *end;
    long long v;

    if (!s)
        return 0;
    v = strtoll(s, &end, 10);
    if (end != s && *end == '\0')
        return v < 0 ? 0 : now + (v > 30 * 86400 ? 30 * 86400 : v);
    return http_date(s);
}

/* Retry-After as a delay in milliseconds (at most RETRY_AFTER_MAX
 * seconds), or -1 when absent or unreadable. */
static int64_t retry_after_ms(const char *s)
{
    char *end;
    long long v;
    int64_t at;

    if (!s)
        return -1;
    v = strtoll(s, &end, 10);
    if (end != s && *end == '\0')
        return v < 0 ? -1 : (v > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : v) * 1000;
    at = http_date(s);
    if (at == 0)
        return -1;
    at -= clock_now();
    return at < 0 ? 0 : (at > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : at) * 1000;
}

/* ---- sites ------------------------------------------------------------------------- */

static struct site *site_get(struct fetcher *f, const char *key, bool unlimited)
{
    struct site **b = &f->site_hash[name_bucket(key)];
    struct site *s;

    for (s = *b; s; s = s->hnext)
        if (strcmp(s->key, key) == 0 && s->unlimited == unlimited)
            return s;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    memcpy(s->key, key, strlen(key) + 1);
    s->unlimited = unlimited;
    s->hnext = *b;
    *b = s;
    s->next = f->sites;
    if (f->sites)
        f->sites->prev = s;
    f->sites = s;
    return s;
}

static bool site_ready(const struct fetcher *f, const struct site *s, int64_t now)
{
    if (s->unlimited)
        return true;
    return s->running < f->opts.per_site && now >= s->next_start_ms && now >= s->paused_until_ms;
}

/* A 429, or a 503 with Retry-After, pauses the whole site; a success ends
 * the growing pause. */
static void site_feedback(struct site *s, const struct transfer *t, int64_t now)
{
    int64_t until, ra;

    if (s->unlimited)
        return;
    if (t->status >= 200 && t->status < 400) {
        s->pause_ms = 0;
        return;
    }
    if (t->status != 429 && !(t->status == 503 && t->retry_after))
        return;
    ra = retry_after_ms(t->retry_after);
    if (ra >= 0) {
        until = now + ra;
    } else {
        s->pause_ms = s->pause_ms ? s->pause_ms * 2 : PAUSE_FIRST_MS;
        if (s->pause_ms > PAUSE_MAX_MS)
            s->pause_ms = PAUSE_MAX_MS;
        until = now + s->pause_ms;
    }
    if (until > s->paused_until_ms)
        s->paused_until_ms = until;
    log_info("FETCH", "%s: HTTP %ld, site %s paused for %lld ms", t->host, t->status, s->key,
             (long long)(s->paused_until_ms - now));
}

static bool site_idle(const struct site *s, int64_t now)
{
    return !s->waiting.head && s->running == 0 && now >= s->next_start_ms &&
           now >= s->paused_until_ms &&
           (s->pause_ms == 0 || now >= s->paused_until_ms + SITE_MEMORY_MS);
}

/* ---- transfers -------------------------------------------------------------------- */

/* An easy handle for a new hop: a spare one reset to the defaults, or a new one. */
static CURL *easy_get(struct fetcher *f)
{
    if (f->n_spare == 0)
        return curl_easy_init();
    curl_easy_reset(f->spare[--f->n_spare]);
    return f->spare[f->n_spare];
}

/* Takes back an easy handle that is out of the multi. */
static void easy_put(struct fetcher *f, CURL *e)
{
    if (!e)
        return;
    if (f->closing || f->n_spare == SPARE_EASY)
        curl_easy_cleanup(e);
    else
        f->spare[f->n_spare++] = e;
}

static void transfer_free(struct transfer *t)
{
    easy_put(t->f, t->easy);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->resolve);
    buf_release(&t->body);
    forget_response(t);
    free(t->req_etag);
    free(t->req_last_modified);
    free(t->user_agent);
    if (t->userpwd) {
        explicit_bzero(t->userpwd, strlen(t->userpwd));
        free(t->userpwd);
    }
    free(t->proxy);
    free(t->post);
    if (t->req_headers) {
        for (char **h = t->req_headers; *h; h++)
            free(*h);
        free(t->req_headers);
    }
    free(t->origin);
    free(t->url);
    free(t);
}

static enum fetch_error classify(CURLcode rc, const struct transfer *t)
{
    switch (rc) {
    case CURLE_OK:
        return FETCH_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return FETCH_ERR_DNS;
    case CURLE_COULDNT_CONNECT:
        return FETCH_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return FETCH_ERR_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
        return FETCH_ERR_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return t->too_large ? FETCH_ERR_TOO_LARGE : FETCH_ERR_OTHER;
    case CURLE_TOO_MANY_REDIRECTS:
        return FETCH_ERR_REDIRECTS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return FETCH_ERR_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return FETCH_ERR_PROTOCOL;
    default:
        return FETCH_ERR_OTHER;
    }
}

/* Takes the easy handle out of curl; the site gets a slot back. */
static void stop_running(struct transfer *t)
{
    struct fetcher *f = t->f;

    if (!t->in_multi)
        return;
    curl_multi_remove_handle(f->multi, t->easy);
    t->in_multi = false;
    f->inflight--;
    t->site->running--;
    t->run_ms += clock_mono_ms() - t->hop_start_ms;
}

/* Takes t out of every list, reports, frees. */
static void finish(struct transfer *t, enum fetch_error err, const char *errmsg)
{
    struct fetcher *f = t->f;
    struct fetch_result res = {.error = err, .errmsg = errmsg ? errmsg : ""};

    tq_remove(t);
    stop_running(t);
    transfer_enter_state(t, TS_DONE);
    if (t->prev)
        t->prev->next = t->next;
    else
        f->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    f->pending--;

    res.status = t->status;
    res.effective_url = t->url;
    if (err == FETCH_OK && t->hops > 0 && t->all_permanent)
        res.permanent_url = t->url;
    res.etag = t->etag;
    res.last_modified = t->last_modified;
    res.content_type = t->content_type;
    res.max_age = max_age(t->cache_control);
    res.expires = http_date(t->expires);
    res.retry_after = retry_after(t->retry_after, clock_now());
    res.body = buf_cstr(&t->body);
    res.body_len = t->body.len;
    res.transfer = t;
    res.elapsed_ms = t->started ? clock_mono_ms() - t->first_start_ms : 0;
    if (err != FETCH_OK && err != FETCH_ERR_CANCELED)
        log_debug("FETCH", "#%llu %s: failed: %s", (unsigned long long)t->seq, t->host, res.errmsg);
    t->done(&res, t->userdata);
    transfer_free(t);
}

static void finish_curl(struct transfer *t, CURLcode rc)
{
    char msg[CURL_ERROR_SIZE + 64];
    enum fetch_error err = classify(rc, t);

    if (err == FETCH_ERR_TOO_LARGE)
        snprintf(msg, sizeof(msg), "body larger than %zu bytes", t->f->opts.max_body);
    else if (rc != CURLE_OK)
        snprintf(msg, sizeof(msg), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    else
        msg[0] = '\0';
    if (rc == CURLE_OK && t->file)
        t->status = 200;
    finish(t, err, msg);
}

/* ---- one hop: URL, addresses, easy handle ------------------------------------------- */

static bool is_scheme(const char *s, const char *name)
{
    return strcasecmp(s, name) == 0;
}

/* Host (no brackets, IDN as punycode) and port of a URL handle. */
static int url_host_port(CURLU *u, char host[SITE_KEY_MAX], long *port, bool default_port)
{
    char *h = NULL, *p = NULL;
    int r = -EINVAL;

    if (curl_url_get(u, CURLUPART_HOST, &h, CURLU_PUNYCODE) != CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
        goto out;
    if (site_key(h, host) < 0) /* only to validate the length */
        goto out;
    {
        size_t n = strlen(h);
        const char *s = h;

        if (n >= 2 && h[0] == '[') {
            s++;
            n -= 2;
        }
        if (n >= SITE_KEY_MAX)
            goto out;
        memcpy(host, s, n);
        host[n] = '\0';
    }
    *port = 0;
    if (curl_url_get(u, CURLUPART_PORT, &p, default_port ? CURLU_DEFAULT_PORT : 0) == CURLUE_OK)
        *port = strtol(p, NULL, 10);
    r = 0;
out:
    curl_free(h);
    curl_free(p);
    return r;
}

/* Parses t->url into the hop fields; on failure writes msg and returns the error. */
static enum fetch_error parse_hop(struct transfer *t, char *msg, size_t msglen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *origin = NULL;
    enum fetch_error err = FETCH_ERR_PROTOCOL;

    t->host[0] = '\0';
    t->file = false;
    if (!u) {
        snprintf(msg, msglen, "out of memory");
        return FETCH_ERR_OTHER;
    }
    if (curl_url_set(u, CURLUPART_URL, t->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        snprintf(msg, msglen, "malformed URL");
        goto out;
    }
    if (is_scheme(scheme, "file")) {
        if (t->allow_file && t->hops == 0) {
            t->file = true;
            memcpy(t->host, "file", 5);
            err = FETCH_OK;
        } else {
            snprintf(msg, msglen,
                     t->hops ? "redirect to a file: URL refused" : "file: URL refused");
        }
        goto out;
    }
    if (!is_scheme(scheme, "http") && !is_scheme(scheme, "https")) {
        snprintf(msg, msglen, "%sURL scheme \"%.16s\" refused", t->hops ? "redirect: " : "",
                 scheme);
        goto out;
    }
    if (url_host_port(u, t->host, &t->port, true) < 0 || !t->host[0]) {
        snprintf(msg, msglen, "malformed URL host");
        goto out;
    }
    {
        struct buf b;

        buf_init(&b, 2 * SITE_KEY_MAX);
        buf_printf(&b, "%s://%s:%ld", scheme, t->host, t->port);
        if (b.err) {
            snprintf(msg, msglen, "out of memory");
            err = FETCH_ERR_OTHER;
            goto out;
        }
        origin = buf_steal(&b);
    }
    for (char *c = origin; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    if (t->hops == 0) {
        free(t->origin);
        t->origin = origin;
        origin = NULL;
    }
    t->same_origin = t->origin && (!origin || strcmp(origin, t->origin) == 0);
    err = FETCH_OK;
out:
    free(origin);
    curl_free(scheme);
    curl_url_cleanup(u);
    return err;
}

static void addr_text(const struct sockaddr_storage *a, char *out, size_t len)
{
    const void *p = a->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;

    if (!inet_ntop(a->ss_family, p, out, (socklen_t)len))
        snprintf(out, len, "?");
}

/* The SSRF rule; false (with msg) when the hop must be refused. */
static bool vet(struct transfer *t, const struct addrs *a, char *msg, size_t msglen)
{
    int bad = -1;

    if (t->proxy)
        return true; /* the proxy resolves; documented in fetch.h */
    for (int i = 0; i < a->n; i++)
        if (!site_addr_is_public((const struct sockaddr *)&a->a[i]))
            bad = i;
    if (t->hops == 0) {
        t->origin_private = bad >= 0;
        return true;
    }
    if (bad < 0 || t->origin_private)
        return true;
    char text[INET6_ADDRSTRLEN];

    addr_text(&a->a[bad], text, sizeof(text));
    snprintf(msg, msglen, "redirect to %s refused: it resolves to the non-public address %s",
             t->host, text);
    return false;
}

/* "host:port:addr1,addr2" entries for CURLOPT_RESOLVE: curl never resolves. */
static int pin_addresses(struct transfer *t, const char *name, const long *ports, int nports,
                         const struct addrs *a)
{
    for (int k = 0; k < nports; k++) {
        struct buf b;
        struct curl_slist *l;

        buf_init(&b, 4096);
        buf_printf(&b, "%s:%ld:", name, ports[k]);
        for (int i = 0; i < a->n; i++) {
            char text[INET6_ADDRSTRLEN];

            addr_text(&a->a[i], text, sizeof(text));
            buf_printf(&b, a->a[i].ss_family == AF_INET6 ? "%s[%s]" : "%s%s", i ? "," : "", text);
        }
        if (b.err)
            return b.err;
        l = curl_slist_append(t->resolve, b.data);
        buf_release(&b);
        if (!l)
            return -ENOMEM;
        t->resolve = l;
    }
    return 0;
}

/* The name curl would resolve for this hop (the proxy's, with a proxy) and its ports. */
static int resolve_target(struct transfer *t, char name[SITE_KEY_MAX], long ports[2], int *nports)
{
    CURLU *u;
    long port;

    if (!t->proxy) {
        memcpy(name, t->host, strlen(t->host) + 1);
        ports[0] = t->port;
        *nports = 1;
        return 0;
    }
    u = curl_url();
    if (!u)
        return -ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, t->proxy, CURLU_NON_SUPPORT_SCHEME | CURLU_DEFAULT_SCHEME) !=
            CURLUE_OK ||
        url_host_port(u, name, &port, false) < 0) {
        curl_url_cleanup(u);
        return -EINVAL;
    }
    curl_url_cleanup(u);
    /* Without a port curl uses 1080 (443 for an https proxy): pin both. */
    ports[0] = port ? port : 1080;
    ports[1] = 443;
    *nports = port ? 1 : 2;
    return 0;
}

static void enter_waiting(struct transfer *t)
{
    char key[SITE_KEY_MAX];
    struct site *s;

    if (t->file)
        memcpy(key, "file:", 6);
    else if (site_key(t->host, key) < 0)
        memcpy(key, "-", 2);
    s = site_get(t->f, key, t->file || t->own_pace);
    if (!s) {
        finish(t, FETCH_ERR_OTHER, "out of memory");
        return;
    }
    if (transfer_enter_state(t, TS_WAITING_SITE) < 0)
        return;
    t->site = s;
    tq_push(&s->waiting, t);
    if (!s->listed) {
        s->listed = true;
        s->bprev = NULL;
        s->bnext = t->f->busy;
        if (t->f->busy)
            t->f->busy->bprev = s;
        t->f->busy = s;
    }
}

/* The hop's addresses are known (or failed): vet, pin, wait for the site. */
static void got_addresses(struct transfer *t, const char *name, int err, const struct addrs *a)
{
    char msg[600];
    long ports[2];
    int nports;

    if (err < 0 || a->n == 0) {
        snprintf(msg, sizeof(msg), "cannot resolve host \"%s\": %s", name,
                 err < 0 ? uv_strerror(err) : "no address");
        finish(t, FETCH_ERR_DNS, msg);
        return;
    }
    if (!vet(t, a, msg, sizeof(msg))) {
        finish(t, FETCH_ERR_BLOCKED, msg);
        return;
    }
    if (!site_is_ip_literal(name)) {
        char n2[SITE_KEY_MAX];

        if (resolve_target(t, n2, ports, &nports) < 0 ||
            pin_addresses(t, name, ports, nports, a) < 0) {
            finish(t, FETCH_ERR_OTHER, "out of memory");
            return;
        }
    }
    enter_waiting(t);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct dns_entry *e = req->data;
    struct fetcher *f = e->f;
    struct transfer *t;
    int64_t now = clock_mono_ms();

    f->gai_pending--;
    e->pending = false;
    e->addrs.n = 0;
    for (struct addrinfo *ai = status == 0 ? res : NULL; ai && e->addrs.n < DNS_MAX_ADDRS;
         ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(e->addrs.a[0]))
            continue;
        bool dup = false;

        for (int i = 0; i < e->addrs.n && !dup; i++)
            dup = memcmp(&e->addrs.a[i], ai->ai_addr, ai->ai_addrlen) == 0;
        if (!dup) {
            memset(&e->addrs.a[e->addrs.n], 0, sizeof(e->addrs.a[0]));
            memcpy(&e->addrs.a[e->addrs.n++], ai->ai_addr, ai->ai_addrlen);
        }
    }
    uv_freeaddrinfo(res);
    e->err = status < 0 ? status : e->addrs.n ? 0 : UV_EAI_NODATA;
    e->expires_ms = e->err ? now : now + DNS_TTL_MS; /* failures are not cached */
    if (f->closing) {
        maybe_finish_close(f);
        return;
    }
    while (!f->closing && (t = tq_pop(&e->waiters))) {
        t->dns = NULL;
        got_addresses(t, e->name, e->err, &e->addrs);
    }
    if (!f->closing)
        admit(f);
}

static struct dns_entry *dns_find(struct fetcher *f, const char *name)
{
    for (struct dns_entry *e = f->dns_hash[name_bucket(name)]; e; e = e->hnext)
        if (strcasecmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* Resolves name for t: from the cache, by joining a pending lookup, or by
 * starting one on libuv's thread pool. */
static void lookup(struct transfer *t, const char *name)
{
    struct fetcher *f = t->f;
    struct dns_entry *e = dns_find(f, name);
    int64_t now = clock_mono_ms();
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int r;

    if (e && !e->pending && e->expires_ms > now) {
        got_addresses(t, name, e->err, &e->addrs);
        return;
    }
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e || !(e->name = strdup(name))) {
            free(e);
            finish(t, FETCH_ERR_OTHER, "out of memory");
            return;
        }
        e->f = f;
        e->next = f->dns;
        if (f->dns)
            f->dns->prev = e;
        f->dns = e;
        e->hnext = f->dns_hash[name_bucket(e->name)];
        f->dns_hash[name_bucket(e->name)] = e;
    }
    if (!e->pending) {
        e->req.data = e;
        r = uv_getaddrinfo(f->loop, &e->req, on_resolved, e->name, NULL, &hints);
        if (r < 0) {
            got_addresses(t, name, r, &e->addrs);
            return;
        }
        e->pending = true;
        f->gai_pending++;
    }
    if (transfer_enter_state(t, TS_RESOLVING) < 0)
        return;
    t->dns = e;
    t->deadline_ms = now + f->opts.connect_timeout_ms;
    tq_push(&e->waiters, t);
}

/* QUEUED or REDIRECT: parse the hop's URL and find its addresses. */
static void start_hop(struct transfer *t)
{
    char msg[600], name[SITE_KEY_MAX];
    long ports[2];
    int nports;
    enum fetch_error err = parse_hop(t, msg, sizeof(msg));

    if (err != FETCH_OK) {
        finish(t, err, msg);
        return;
    }
    if (t->file) {
        enter_waiting(t);
        return;
    }
    if (resolve_target(t, name, ports, &nports) < 0) {
        finish(t, FETCH_ERR_PROTOCOL, "malformed proxy URL");
        return;
    }
    if (site_is_ip_literal(name)) {
        struct addrs a = {.n = 1};
        struct sockaddr_in *in = (struct sockaddr_in *)&a.a[0];
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.a[0];

        if (inet_pton(AF_INET, name, &in->sin_addr) == 1)
            in->sin_family = AF_INET;
        else if (inet_pton(AF_INET6, name, &in6->sin6_addr) == 1)
            in6->sin6_family = AF_INET6;
        got_addresses(t, name, 0, &a);
        return;
    }
    lookup(t, name);
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    struct buf b;
    struct curl_slist *l;

    buf_init(&b, 16 << 10);
    if (value)
        buf_printf(&b, "%s: %s", name, value);
    else
        buf_puts(&b, name);
    if (b.err)
        return b.err;
    l = curl_slist_append(*list, b.data);
    buf_release(&b);
    if (!l)
        return -ENOMEM;
    *list = l;
    return 0;
}

static bool header_is(const char *line, const char *name)
{
    size_t n = strlen(name);

    return strncasecmp(line, name, n) == 0 && (line[n] == ':' || line[n] == ';');
}

static int build_headers(struct transfer *t)
{
    int r = t->post ? add_header(&t->headers, "Expect:", NULL) /* no 100-continue wait */
                    : add_header(&t->headers, "Accept",
                                 "application/atom+xml, application/rss+xml, "
                                 "application/feed+json, application/xml;q=0.9, "
                                 "text/xml;q=0.8, */*;q=0.5");

    /* A validator we would not have stored is not sent either. */
    if (r == 0 && t->req_etag && strlen(t->req_etag) <= HEADER_VALUE_MAX)
        r = add_header(&t->headers, "If-None-Match", t->req_etag);
    if (r == 0 && t->req_last_modified && strlen(t->req_last_modified) <= HEADER_VALUE_MAX)
        r = add_header(&t->headers, "If-Modified-Since", t->req_last_modified);
    for (char **h = t->req_headers; r == 0 && h && *h; h++) {
        /* Credentials stay with the configured origin, as curl does. */
        if (!t->same_origin && (header_is(*h, "Authorization") || header_is(*h, "Cookie")))
            continue;
        r = add_header(&t->headers, *h, NULL);
    }
    return r;
}

static int setup(struct transfer *t, long timeout_ms)
{
    const struct fetch_options *o = &t->f->opts;
    CURL *e = easy_get(t->f);

    if (!e)
        return -ENOMEM;
    t->easy = e;
    if (build_headers(t) < 0 || curl_easy_setopt(e, CURLOPT_URL, t->url) != CURLE_OK)
        return -ENOMEM;
    t->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, t->file ? "file" : "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* hops are ours: check_done() */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 16L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 20L);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, t->user_agent ? t->user_agent : t->f->user_agent);
    if (t->f->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->f->ca_file);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    /* Wait for a multiplexed connection rather than open another, where
     * HTTP/2 can be negotiated (ALPN); over http:// it would only serialize
     * a site's transfers behind a slow HTTP/1.1 response. */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncasecmp(t->url, "https:", 6) == 0 ? 1L : 0L);
    /* "" rather than NULL: environment proxies (http_proxy...) are ignored. */
    curl_easy_setopt(e, CURLOPT_PROXY, t->proxy ? t->proxy : "");
    if (t->resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve);
    if (t->post) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->post_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->post);
    }
    if (t->userpwd && t->same_origin) {
        curl_easy_setopt(e, CURLOPT_USERPWD, t->userpwd);
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    return 0;
}

/* WAITING_SITE -> RUNNING: the easy handle goes to curl now, and its
 * timeouts start now. */
static void run(struct transfer *t, int64_t now)
{
    struct fetcher *f = t->f;
    long left = (t->timeout_ms > 0 ? t->timeout_ms : f->opts.timeout_ms) - (long)t->run_ms;

    if (left <= 0) {
        finish(t, FETCH_ERR_TIMEOUT, "redirects took longer than the timeout");
        return;
    }
    if (setup(t, left) < 0 || curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
        finish(t, FETCH_ERR_OTHER, "out of memory");
        return;
    }
    transfer_enter_state(t, TS_RUNNING);
    t->in_multi = true;
    f->inflight++;
    t->site->running++;
    if (f->opts.site_gap_ms > 0)
        t->site->next_start_ms = now + f->opts.site_gap_ms;
    if (!t->started) {
        t->started = true;
        t->first_start_ms = now;
    }
    t->hop_start_ms = now;
}

/* ---- admission ---------------------------------------------------------------------- */

/* Forgets idle sites and stale DNS answers (memory only: a forgotten
 * site's gap and pause are over). */
static void collect(struct fetcher *f, int64_t now)
{
    struct site *s, *sn;
    struct dns_entry *e, *en;

    for (s = f->sites; s; s = sn) {
        sn = s->next;
        if (site_idle(s, now))
            free_site(f, s);
    }
    for (e = f->dns; e; e = en) {
        en = e->next;
        if (!e->pending && e->expires_ms <= now)
            free_dns(e);
    }
}

/* Arms the wake timer for the next moment a site opens or a lookup expires,
 * and now and then forgets idle sites and stale DNS answers. Sites that
 * no longer have a transfer waiting leave f->busy here. */
static void arm_wake(struct fetcher *f, int64_t now)
{
    int64_t next = INT64_MAX;
    struct site *s, *sn;

    if (now >= f->gc_at_ms) {
        collect(f, now);
        f->gc_at_ms = now + GC_EVERY_MS;
    }
    for (s = f->busy; s; s = sn) {
        sn = s->bnext;
        if (!s->waiting.head) {
            busy_unlink(f, s);
            continue;
        }
        if (!s->unlimited && s->running < f->opts.per_site) {
            int64_t at =
                s->next_start_ms > s->paused_until_ms ? s->next_start_ms : s->paused_until_ms;
            if (at > now && at < next)
                next = at;
        }
    }
    for (struct transfer *t = f->resolving ? f->transfers : NULL; t; t = t->next)
        if (t->state == TS_RESOLVING && t->deadline_ms < next)
            next = t->deadline_ms;
    /* Transfers queued by fetch_start() start from on_wake(): never stop
     * the timer under them (with no site gap nothing else would re-arm it,
     * and they would wait forever). */
    if (f->queued.head)
        next = now;
    if (next == INT64_MAX)
        uv_timer_stop(&f->wake);
    else
        uv_timer_start(&f->wake, on_wake, (uint64_t)(next > now ? next - now : 0), 0);
}

/* Hands waiting transfers to curl while there is room, oldest first among
 * the sites that may start one now. */
static void admit(struct fetcher *f)
{
    int64_t now = clock_mono_ms();

    if (f->closing)
        return;
    while (!f->closing && f->inflight < f->opts.max_inflight) {
        struct site *best = NULL;

        for (struct site *s = f->busy; s; s = s->bnext)
            if (s->waiting.head && site_ready(f, s, now) &&
                (!best || s->waiting.head->seq < best->waiting.head->seq))
                best = s;
        if (!best)
            break;
        run(tq_pop(&best->waiting), now);
    }
    if (!f->closing)
        arm_wake(f, now);
}

/* Queued transfers start their first hop; lookups past their deadline fail. */
static void on_wake(uv_timer_t *timer)
{
    struct fetcher *f = timer->data;
    struct transfer *t;
    int64_t now = clock_mono_ms();

    while (!f->closing && (t = tq_pop(&f->queued)))
        start_hop(t);
    for (t = f->resolving ? f->transfers : NULL; !f->closing && t;) {
        if (t->state == TS_RESOLVING && t->deadline_ms <= now) {
            char msg[600];

            snprintf(msg, sizeof(msg), "cannot resolve host \"%s\": timed out after %ld ms",
                     t->dns->name, f->opts.connect_timeout_ms);
            finish(t, FETCH_ERR_DNS, msg);
            t = f->transfers; /* the callback may have changed the list */
            continue;
        }
        t = t->next;
    }
    admit(f);
}

/* ---- completion and redirects ------------------------------------------------------- */

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* RUNNING -> REDIRECT -> the next hop, with a fresh easy handle. */
static void redirect(struct transfer *t, const char *location)
{
    char msg[64];
    char *url = strdup(location);

    transfer_enter_state(t, TS_REDIRECT);
    if (!url) {
        finish(t, FETCH_ERR_OTHER, "out of memory");
        return;
    }
    if (++t->hops > t->f->opts.max_redirects) {
        free(url);
        snprintf(msg, sizeof(msg), "more than %ld redirects", t->f->opts.max_redirects);
        finish(t, FETCH_ERR_REDIRECTS, msg);
        return;
    }
    if (t->status != 301 && t->status != 308)
        t->all_permanent = false;
    log_debug("FETCH", "#%llu %s: HTTP %ld, redirected", (unsigned long long)t->seq, t->host,
              t->status);
    free(t->url);
    t->url = url;
    easy_put(t->f, t->easy);
    t->easy = NULL;
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->resolve);
    t->headers = t->resolve = NULL;
    buf_reset(&t->body);
    forget_response(t);
    t->site = NULL;
    start_hop(t);
}

/* One hop is over (curl is done with it). */
static void hop_done(struct transfer *t, CURLcode rc)
{
    char *location = NULL;

    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
    site_feedback(t->site, t, clock_mono_ms());
    if (rc == CURLE_OK && !t->file && !t->no_redirects && is_redirect(t->status) &&
        curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
        redirect(t, location);
        return;
    }
    finish_curl(t, rc);
}

static void check_done(struct fetcher *f)
{
    CURLMsg *msg;
    int left;

    while (!f->closing && (msg = curl_multi_info_read(f->multi, &left))) {
        struct transfer *t;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode rc = msg->data.result;
        stop_running(t);
        hop_done(t, rc);
    }
    admit(f);
}

/* ---- API ------------------------------------------------------------------------------ */

static int copy_str(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -ENOMEM;
}

/* No CR or LF: a header line must stay one line. */
static bool one_line(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

static int copy_request(struct transfer *t, const struct fetch_request *req)
{
    size_t n = 0;

    t->allow_file = req->allow_file;
    t->no_redirects = req->no_redirects;
    t->own_pace = req->own_pace;
    t->timeout_ms = req->timeout_ms;
    if (req->body) {
        t->post = malloc(req->body_len + 1);
        if (!t->post)
            return -ENOMEM;
        memcpy(t->post, req->body, req->body_len);
        t->post[req->body_len] = '\0';
        t->post_len = req->body_len;
    }
    if (copy_str(&t->url, req->url ? req->url : "") < 0 ||
        copy_str(&t->req_etag, one_line(req->etag) ? req->etag : NULL) < 0 ||
        copy_str(&t->req_last_modified, one_line(req->last_modified) ? req->last_modified : NULL) <
            0 ||
        copy_str(&t->user_agent, one_line(req->user_agent) ? req->user_agent : NULL) < 0 ||
        copy_str(&t->userpwd, req->userpwd) < 0 || copy_str(&t->proxy, req->proxy) < 0)
        return -ENOMEM;
    while (req->headers && req->headers[n])
        n++;
    if (n == 0)
        return 0;
    t->req_headers = calloc(n + 1, sizeof(char *));
    if (!t->req_headers)
        return -ENOMEM;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!one_line(req->headers[i]) || !strchr(req->headers[i], ':'))
            continue; /* not a header line: dropped rather than injected */
        if (copy_str(&t->req_headers[k++], req->headers[i]) < 0)
            return -ENOMEM;
    }
    return 0;
}

int fetch_start(struct fetcher *f, const struct fetch_request *req, fetch_done_cb done,
                void *userdata)
{
    struct transfer *t;

    if (f->closing)
        return -ESHUTDOWN;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->f = f;
    t->done = done;
    t->userdata = userdata;
    t->all_permanent = true;
    t->seq = ++f->seq;
    buf_init(&t->body, f->opts.max_body);
    if (copy_request(t, req) < 0) {
        transfer_free(t);
        return -ENOMEM;
    }
    t->next = f->transfers;
    if (f->transfers)
        f->transfers->prev = t;
    f->transfers = t;
    f->pending++;
    tq_push(&f->queued, t);
    /* The work starts on the next loop turn: done never runs in here. */
    uv_timer_start(&f->wake, on_wake, 0, 0);
    return 0;
}

unsigned fetcher_pending(const struct fetcher *f)
{
    return f->pending;
}

/* ---- life cycle -------------------------------------------------------------------- */

static void defaults(struct fetch_options *o)
{
    if (!o->max_inflight)
        o->max_inflight = 16;
    if (!o->per_site)
        o->per_site = 2;
    if (!o->site_gap_ms)
        o->site_gap_ms = 1000;
    if (!o->timeout_ms)
        o->timeout_ms = 30000;
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = 10000;
    if (!o->max_body)
        o->max_body = 8u << 20;
    if (!o->max_redirects)
        o->max_redirects = 5;
}

/* Connections curl keeps open after use. Polls cycle through sites (the
 * poller goes down the configuration, the site gap spaces a site's
 * requests), so a cache smaller than the sites in that cycle evicts the
 * very connection the next request needs: at max_inflight * 2 (128 for
 * 64), 10,000 feeds on 500 sites opened 10,000 connections for 10,000
 * requests. Eight per transfer slot keeps them for up to 512 sites at
 * max_concurrent 64; idle ones cost one descriptor each and close on the
 * server's keep-alive timeout or curl's (CURLOPT_MAXAGE_CONN). */
static long idle_connections(const struct fetch_options *o)
{
    return (long)o->max_inflight * 8;
}

/* Copies o's strings into f (replacing f's), and clears them in o. */
static int take_strings(struct fetcher *f, struct fetch_options *o)
{
    char *ua = strdup(o->user_agent ? o->user_agent : "heraldd/" HERALD_VERSION);
    char *ca = o->ca_file ? strdup(o->ca_file) : NULL;

    if (!ua || (o->ca_file && !ca)) {
        free(ua);
        free(ca);
        return -ENOMEM;
    }
    free(f->user_agent);
    free(f->ca_file);
    f->user_agent = ua;
    f->ca_file = ca;
    o->user_agent = o->ca_file = NULL;
    return 0;
}

int fetcher_new(uv_loop_t *loop, const struct fetch_options *opts, struct fetcher **ret)
{
    struct fetcher *f = calloc(1, sizeof(*f));

    if (!f)
        return -ENOMEM;
    if (opts)
        f->opts = *opts;
    defaults(&f->opts);
    f->loop = loop;
    f->multi = curl_multi_init();
    if (take_strings(f, &f->opts) < 0 || !f->multi) {
        curl_multi_cleanup(f->multi);
        free(f->user_agent);
        free(f->ca_file);
        free(f);
        return -ENOMEM;
    }
    uv_timer_init(loop, &f->timer);
    uv_timer_init(loop, &f->wake);
    f->timer.data = f->wake.data = f;
    f->open_handles = 2;
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, idle_connections(&f->opts));
    curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    *ret = f;
    return 0;
}

int fetcher_set_options(struct fetcher *f, const struct fetch_options *opts)
{
    struct fetch_options o = *opts;

    defaults(&o);
    if (take_strings(f, &o) < 0)
        return -ENOMEM;
    f->opts = o;
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, idle_connections(&f->opts));
    if (!f->closing)
        uv_timer_start(&f->wake, on_wake, 0, 0); /* a higher cap may admit more now */
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct fetcher *f = h->data;

    f->open_handles--;
    maybe_finish_close(f);
}

void fetcher_close(struct fetcher *f, void (*closed)(void *userdata), void *userdata)
{
    if (f->closing)
        return;
    f->closing = true;
    f->closed = closed;
    f->closed_ud = userdata;
    /* Every state, the running ones included: no transfer resolves inside
     * curl, so removing one never waits for a resolver thread. */
    while (f->transfers)
        finish(f->transfers, FETCH_ERR_CANCELED, "canceled");
    /* Lookups not started are canceled; running ones end on the thread
     * pool, and on_resolved() is awaited before f is freed. */
    for (struct dns_entry *e = f->dns; e; e = e->next)
        if (e->pending)
            uv_cancel((uv_req_t *)&e->req);
    /* curl may still call on_socket(REMOVE) during cleanup: the polls stay
     * open until it is done. */
    while (f->n_spare > 0)
        curl_easy_cleanup(f->spare[--f->n_spare]);
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    while (f->socks)
        sock_close(f->socks);
    uv_timer_stop(&f->timer);
    uv_timer_stop(&f->wake);
    uv_close((uv_handle_t *)&f->timer, on_timer_closed);
    uv_close((uv_handle_t *)&f->wake, on_timer_closed);
}
