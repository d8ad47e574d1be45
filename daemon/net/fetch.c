/* fetch: see fetch.h.
 *
 * A transfer's life:
 *
 *   fetch_start() ──► QUEUED ──admit()──► RUNNING ──CURLMSG_DONE──► finish(): done_cb, freed
 *                        │                   │
 *                        └── fetcher_close() ┴──► finish(CANCELED)
 *
 * curl sockets: CURL_POLL_IN/OUT/INOUT start (or change) the socket's
 * uv_poll_t; CURL_POLL_REMOVE stops it and closes it at once, so a stale
 * handle never outlives its fd number. Easy handles are removed only from
 * check_done(), outside curl's callbacks (CURLM_RECURSIVE_API_CALL).
 */
#include "net/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct fetcher *f;
    struct sock *next, *prev; /* every sock not yet closed */
};

struct transfer {
    struct fetcher *f;
    CURL *easy;
    struct curl_slist *headers;
    struct buf body;
    char *etag, *last_modified, *content_type;
    char *cache_control, *expires, *retry_after;
    bool too_large;
    int64_t started_ms;
    fetch_done_cb done;
    void *userdata;
    struct transfer *next;                /* queue link */
    struct transfer *run_next, *run_prev; /* running list link */
    char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct fetch_options opts;
    char *user_agent;
    unsigned inflight;
    struct transfer *queue_head, *queue_tail;
    struct transfer *running;
    struct transfer *failed; /* could not be handed to curl; reported by `defer` */
    uv_timer_t defer;
    unsigned queued;
    struct sock *socks;
    bool closing;
    unsigned open_handles; /* timer + socks still to be closed */
    void (*closed)(void *);
    void *closed_ud;
};

static void check_done(struct fetcher *f);
static void admit(struct fetcher *f);

/* ---- handle bookkeeping --------------------------------------------------- */

static void maybe_finish_close(struct fetcher *f)
{
    if (!f->closing || f->open_handles > 0 || f->multi)
        return;
    void (*closed)(void *) = f->closed;
    void *ud = f->closed_ud;
    free(f->user_agent);
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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;

    if (buf_append(&t->body, ptr, n) < 0) {
        t->too_large = t->body.err == -E2BIG;
        return 0; /* CURLE_WRITE_ERROR */
    }
    return n;
}

/* Longest validator or content type kept: anything longer is not an
 * honest header, and echoing it back would make every poll fail. */
#define HEADER_VALUE_MAX 1024

/* Keeps a copy of the value when line is "Name: value". */
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

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nitems;

    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or a 100): forget the last one's. */
        free(t->etag);
        free(t->last_modified);
        free(t->content_type);
        free(t->cache_control);
        free(t->expires);
        free(t->retry_after);
        t->etag = t->last_modified = t->content_type = NULL;
        t->cache_control = t->expires = t->retry_after = NULL;
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

/* ---- transfers -------------------------------------------------------------------- */

static void transfer_free(struct transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    buf_release(&t->body);
    free(t->etag);
    free(t->last_modified);
    free(t->content_type);
    free(t->cache_control);
    free(t->expires);
    free(t->retry_after);
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

static void unlink_running(struct transfer *t)
{
    struct fetcher *f = t->f;

    if (t->run_prev)
        t->run_prev->run_next = t->run_next;
    else
        f->running = t->run_next;
    if (t->run_next)
        t->run_next->run_prev = t->run_prev;
    t->run_next = t->run_prev = NULL;
    curl_multi_remove_handle(f->multi, t->easy);
    f->inflight--;
}

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

static void finish(struct transfer *t, CURLcode rc, bool canceled)
{
    struct fetch_result res = {.errmsg = ""};
    char msg[CURL_ERROR_SIZE + 64];
    char *url = NULL;
    long status = 0;
    curl_off_t total_us = 0;

    res.error = canceled ? FETCH_ERR_CANCELED : classify(rc, t);
    if (res.error == FETCH_ERR_TOO_LARGE) {
        snprintf(msg, sizeof(msg), "body larger than %zu bytes", t->f->opts.max_body);
        res.errmsg = msg;
    } else if (canceled) {
        res.errmsg = "canceled";
    } else if (rc != CURLE_OK) {
        snprintf(msg, sizeof(msg), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        res.errmsg = msg;
    }
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    if (status == 0 && rc == CURLE_OK && url && strncasecmp(url, "file:", 5) == 0)
        status = 200;
    res.status = status;
    res.effective_url = url;
    res.etag = t->etag;
    res.last_modified = t->last_modified;
    res.content_type = t->content_type;
    res.max_age = max_age(t->cache_control);
    res.expires = http_date(t->expires);
    res.retry_after = retry_after(t->retry_after, clock_now());
    res.body = buf_cstr(&t->body);
    res.body_len = t->body.len;
    res.elapsed_ms = canceled ? 0 : (int64_t)(total_us / 1000);
    t->done(&res, t->userdata);
    transfer_free(t);
}

static void check_done(struct fetcher *f)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(f->multi, &left))) {
        struct transfer *t;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode rc = msg->data.result;
        unlink_running(t);
        finish(t, rc, false);
    }
    admit(f);
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    struct buf b;
    struct curl_slist *l;

    buf_init(&b, 16 << 10);
    buf_printf(&b, "%s: %s", name, value);
    if (b.err)
        return b.err;
    l = curl_slist_append(*list, b.data);
    buf_release(&b);
    if (!l)
        return -ENOMEM;
    *list = l;
    return 0;
}

static int setup(struct transfer *t, const struct fetch_request *req)
{
    const struct fetch_options *o = &t->f->opts;
    bool file = req->allow_file && strncasecmp(req->url, "file:", 5) == 0;
    CURL *e = t->easy;
    int r = add_header(&t->headers, "Accept",
                       "application/atom+xml, application/rss+xml, application/feed+json, "
                       "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5");

    /* A validator we would not have stored is not sent either. */
    if (r == 0 && req->etag && strlen(req->etag) <= HEADER_VALUE_MAX)
        r = add_header(&t->headers, "If-None-Match", req->etag);
    if (r == 0 && req->last_modified && strlen(req->last_modified) <= HEADER_VALUE_MAX)
        r = add_header(&t->headers, "If-Modified-Since", req->last_modified);
    if (r < 0)
        return r;
    if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
        return -ENOMEM;
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, file ? "file" : "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirects);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 16L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 20L);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, t->f->user_agent);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    return 0;
}

static void on_deferred(uv_timer_t *timer)
{
    struct fetcher *f = timer->data;
    struct transfer *t;

    while ((t = f->failed)) {
        f->failed = t->next;
        finish(t, CURLE_OUT_OF_MEMORY, false);
    }
}

/* Hands queued transfers to curl while there is room. */
static void admit(struct fetcher *f)
{
    while (!f->closing && f->queue_head && f->inflight < f->opts.max_inflight) {
        struct transfer *t = f->queue_head;

        f->queue_head = t->next;
        if (!f->queue_head)
            f->queue_tail = NULL;
        f->queued--;
        t->started_ms = clock_mono_ms();
        if (curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
            /* Never report from here: admit() runs inside fetch_start(). */
            t->next = f->failed;
            f->failed = t;
            uv_timer_start(&f->defer, on_deferred, 0, 0);
            continue;
        }
        f->inflight++;
        t->run_next = f->running;
        if (f->running)
            f->running->run_prev = t;
        f->running = t;
    }
}

int fetch_start(struct fetcher *f, const struct fetch_request *req, fetch_done_cb done,
                void *userdata)
{
    struct transfer *t;
    int r;

    if (f->closing)
        return -ESHUTDOWN;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->f = f;
    t->done = done;
    t->userdata = userdata;
    buf_init(&t->body, f->opts.max_body);
    t->easy = curl_easy_init();
    r = t->easy ? setup(t, req) : -ENOMEM;
    if (r < 0) {
        transfer_free(t);
        return r;
    }
    if (f->queue_tail)
        f->queue_tail->next = t;
    else
        f->queue_head = t;
    f->queue_tail = t;
    f->queued++;
    /* Admission happens now, but completion is always reported from the
     * loop (curl's timer callback fires on a later turn). */
    admit(f);
    return 0;
}

unsigned fetcher_pending(const struct fetcher *f)
{
    return f->inflight + f->queued;
}

/* ---- life cycle -------------------------------------------------------------------- */

static void defaults(struct fetch_options *o)
{
    if (!o->max_inflight)
        o->max_inflight = 16;
    if (!o->timeout_ms)
        o->timeout_ms = 30000;
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = 10000;
    if (!o->max_body)
        o->max_body = 8u << 20;
    if (!o->max_redirects)
        o->max_redirects = 5;
}

int fetcher_new(uv_loop_t *loop, const struct fetch_options *opts, struct fetcher **ret)
{
    struct fetcher *f = calloc(1, sizeof(*f));

    if (!f)
        return -ENOMEM;
    if (opts)
        f->opts = *opts;
    defaults(&f->opts);
    f->user_agent = strdup(f->opts.user_agent ? f->opts.user_agent : "heraldd/" HERALD_VERSION);
    f->opts.user_agent = NULL;
    f->loop = loop;
    f->multi = curl_multi_init();
    if (!f->user_agent || !f->multi) {
        curl_multi_cleanup(f->multi);
        free(f->user_agent);
        free(f);
        return -ENOMEM;
    }
    uv_timer_init(loop, &f->timer);
    uv_timer_init(loop, &f->defer);
    f->timer.data = f->defer.data = f;
    f->open_handles = 2;
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->opts.max_inflight * 2);
    *ret = f;
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
    struct transfer *t;

    if (f->closing)
        return;
    f->closing = true;
    f->closed = closed;
    f->closed_ud = userdata;
    while ((t = f->queue_head)) {
        f->queue_head = t->next;
        f->queued--;
        finish(t, CURLE_ABORTED_BY_CALLBACK, true);
    }
    f->queue_tail = NULL;
    while ((t = f->failed)) {
        f->failed = t->next;
        finish(t, CURLE_ABORTED_BY_CALLBACK, true);
    }
    /* Cancel what curl is running. Removing a transfer that is still
     * resolving waits for its resolver thread (curl 7.88's threaded
     * resolver joins it): bounded by the system resolver's own timeouts,
     * not by ours. Resolving with uv_getaddrinfo and CURLOPT_RESOLVE would
     * remove that wait. */
    while ((t = f->running)) {
        unlink_running(t);
        finish(t, CURLE_ABORTED_BY_CALLBACK, true);
    }
    /* curl may still call on_socket(REMOVE) during cleanup: the polls stay
     * open until it is done. */
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    while (f->socks)
        sock_close(f->socks);
    uv_timer_stop(&f->timer);
    uv_timer_stop(&f->defer);
    uv_close((uv_handle_t *)&f->timer, on_timer_closed);
    uv_close((uv_handle_t *)&f->defer, on_timer_closed);
}
