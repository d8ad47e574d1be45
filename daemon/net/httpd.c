/* httpd: the HTTP/1.1 listener; see httpd.h for the contract.
 *
 * One struct conn per TCP connection, with its uv_tcp_t, its one uv_timer_t
 * and its write and shutdown requests embedded; it is freed only when both
 * handles have closed. Input is read into a fixed per-connection buffer and
 * fed to http-parser, which is paused at the end of each message: the
 * request is answered, reading stops while the response is written, and the
 * bytes left over (pipelined requests) are fed once the write completes.
 * So responses go out in request order and the input held per connection is
 * bounded by IN_CAP. The request line and headers are counted here, not by
 * http-parser (whose own limit is 80 KB): the parser is never given more
 * than max_header_bytes of one request's head.
 *
 * Absolute-form targets ("GET http://host/path") are accepted: the host is
 * ignored and the path and query are taken from the URL.
 *
 * Connection states. conn_enter_state() is the only place that changes
 * c->state; it arms the timer for the new state and starts or stops
 * reading, so each state has exactly one deadline:
 *
 *                  accept_one()
 *          NEW ─────────────────────► READING ◄─────────────────────┐
 *           │                          │   ▲                         │
 *           │ uv_accept() failed       │   │ on_write(): keep-alive, │ on_read():
 *           ▼                          │   │ pipelined bytes waiting │ first byte
 *        CLOSING        conn_send():   │   │                         │
 *                       a response or  ▼   │                         │
 *                       an error     WRITING ──────────────────────► IDLE
 *                                      │     on_write(): keep-alive,
 *                                      │     nothing buffered
 *              on_write(): the response│
 *              said "Connection: close"▼
 *                                   LINGERING  (conn_linger(): FIN sent, input
 *                                               read and dropped until EOF, so
 *                                               the peer sees the response
 *                                               rather than a reset)
 *
 * conn_close() moves any other state to CLOSING (final): on EOF or a read or
 * write error, OOM, httpd_close(), or the state's timer (on_timer()):
 *   READING    header_timeout, from accept or from the first byte of a
 *              request to its end (a 408 goes out first if bytes arrived)
 *   WRITING    write_timeout
 *   IDLE       idle_timeout
 *   LINGERING  LINGER_MS
 *
 * Depends on base/, libuv, http-parser and libcurl's curl_getdate(); must
 * not know about feeds, the store or SQL.
 */
#include "net/httpd.h"

#include <curl/curl.h>
#include <errno.h>
#include <http_parser.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

#define IN_CAP         8192        /* bytes read at once; one read in flight */
#define OUT_MAX        (64 * 1024) /* response head, or a small error body */
#define LISTEN_BACKLOG 511
#define LINGER_MS      2000
#define FIELD_MAX      32 /* longer header names are not ones we track */

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

enum conn_state {
    CONN_NEW,
    CONN_READING,
    CONN_WRITING,
    CONN_IDLE,
    CONN_LINGERING,
    CONN_CLOSING,
    CONN_NSTATES,
};

static const char *const state_names[CONN_NSTATES] = {
    [CONN_NEW] = "NEW",   [CONN_READING] = "READING",     [CONN_WRITING] = "WRITING",
    [CONN_IDLE] = "IDLE", [CONN_LINGERING] = "LINGERING", [CONN_CLOSING] = "CLOSING",
};

/* transitions[from][to]: every move the diagram above allows. */
static const bool transitions[CONN_NSTATES][CONN_NSTATES] = {
    [CONN_NEW] = {[CONN_READING] = true, [CONN_CLOSING] = true},
    [CONN_READING] = {[CONN_WRITING] = true, [CONN_CLOSING] = true},
    [CONN_WRITING] =
        {[CONN_READING] = true, [CONN_IDLE] = true, [CONN_LINGERING] = true, [CONN_CLOSING] = true},
    [CONN_IDLE] = {[CONN_READING] = true, [CONN_CLOSING] = true},
    [CONN_LINGERING] = {[CONN_CLOSING] = true},
};

/* The request headers the server or its handlers look at. */
enum hdr {
    HDR_NONE = -1,
    HDR_IF_NONE_MATCH,
    HDR_IF_MODIFIED_SINCE,
    HDR_ACCEPT_ENCODING,
    HDR_AUTHORIZATION,
    HDR_COUNT,
};

static const char *const hdr_names[HDR_COUNT] = {
    [HDR_IF_NONE_MATCH] = "If-None-Match",
    [HDR_IF_MODIFIED_SINCE] = "If-Modified-Since",
    [HDR_ACCEPT_ENCODING] = "Accept-Encoding",
    [HDR_AUTHORIZATION] = "Authorization",
};

/* What the parser callbacks collect about the request being read. */
struct request {
    struct buf url;
    struct buf hdr[HDR_COUNT];
    unsigned present; /* bit i: hdr[i] was sent */
    char field[FIELD_MAX];
    size_t field_len;  /* FIELD_MAX: too long to be tracked */
    bool in_value;     /* last callback was a value: a field starts a new name */
    int target;        /* enum hdr the current value goes to */
    size_t head_bytes; /* request line and headers given to the parser */
    int status;        /* answer decided by the callbacks (405, 413, 431), or 0 */
    int err;           /* -ENOMEM from a callback: the connection is dropped */
    /* Strictness the lenient parser lacks: the request line, kept until its
     * LF and checked then; a header line starting with a blank (obs-fold). */
    struct buf line;
    bool line_done;
    bool after_lf;  /* the last byte scanned was a LF */
    bool head_done; /* the blank line after the headers was scanned */
    bool keep_alive;
    bool head;
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    struct httpd *h;
    struct conn *prev, *next;
    enum conn_state state;
    int open_handles; /* freed when this drops to 0 */
    bool reading;
    bool close_after; /* the response being written ends the connection */
    http_parser parser;
    struct request req;
    struct buf out;    /* response head (and a small error body) */
    struct blob *body; /* reference held by the pending write */
    size_t in_off, in_len;
    char in[IN_CAP];
};

struct route {
    char *path;
    httpd_handler_cb handler;
    void *userdata;
};

struct httpd {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_tcp_t reject; /* accepts and closes what is beyond max_connections */
    struct httpd_limits lim;
    struct route *routes;
    size_t nroutes;
    struct conn *conns;
    unsigned nconns;
    unsigned nclosing; /* of nconns, closed and waiting for their handles */
    unsigned live;     /* listener, reject handle in use, connections not yet freed */
    bool listening;
    bool closing;
    bool reject_busy;
    bool accept_pending; /* a connection waits for the reject handle */
    bool limit_logged;
    void (*done)(void *userdata);
    void *done_ud;
};

/* A response about to be written. */
struct reply {
    int status;
    const char *content_type;
    const char *etag;
    int64_t last_modified;
    const char *cache_control;
    const char *content_encoding;
    const char *vary;
    const char *allow_origin;
    const char *www_authenticate;
    const char *extra; /* more header lines, CRLF-terminated */
    const char *text;  /* a short body kept in the head buffer, or NULL */
    struct blob *body; /* reference owned by the reply, or NULL */
};

static void conn_close(struct conn *c);
static void conn_process(struct conn *c);
static void on_timer(uv_timer_t *t);
static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void accept_one(struct httpd *h);

/* ---- the httpd object ---------------------------------------------------- */

static struct httpd_limits limits_or_defaults(const struct httpd_limits *in)
{
    struct httpd_limits l = in ? *in : (struct httpd_limits){0};

    if (!l.max_header_bytes)
        l.max_header_bytes = 8192;
    if (!l.header_timeout_ms)
        l.header_timeout_ms = 10000;
    if (!l.idle_timeout_ms)
        l.idle_timeout_ms = 30000;
    if (!l.write_timeout_ms)
        l.write_timeout_ms = 30000;
    if (!l.max_connections)
        l.max_connections = 1024;
    return l;
}

int httpd_new(uv_loop_t *loop, const struct httpd_limits *limits, struct httpd **ret)
{
    struct httpd *h = calloc(1, sizeof(*h));
    int r;

    if (!h)
        return -ENOMEM;
    h->loop = loop;
    h->lim = limits_or_defaults(limits);
    r = uv_tcp_init(loop, &h->listener);
    if (r < 0) {
        free(h);
        return r;
    }
    h->live = 1;
    *ret = h;
    return 0;
}

static void routes_free(struct route *routes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(routes[i].path);
    free(routes);
}

int httpd_set_routes(struct httpd *h, const struct httpd_route *routes, size_t n)
{
    struct route *copy = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!routes[i].path || !routes[i].handler)
            return -EINVAL;
    }
    if (n) {
        copy = calloc(n, sizeof(*copy));
        if (!copy)
            return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = (struct route){strdup(routes[i].path), routes[i].handler, routes[i].userdata};
        if (!copy[i].path) {
            routes_free(copy, i);
            return -ENOMEM;
        }
    }
    routes_free(h->routes, h->nroutes);
    h->routes = copy;
    h->nroutes = n;
    return 0;
}

static const struct route *route_find(const struct httpd *h, const char *path)
{
    for (size_t i = 0; i < h->nroutes; i++) {
        const char *rp = h->routes[i].path;
        size_t n = strlen(rp);

        if (n && rp[n - 1] == '*' ? strncmp(rp, path, n - 1) == 0 : strcmp(rp, path) == 0)
            return &h->routes[i];
    }
    return NULL;
}

/* Drops one of h->live; the last one frees h and reports to httpd_close(). */
static void httpd_unref(struct httpd *h)
{
    void (*done)(void *) = h->done;
    void *ud = h->done_ud;

    if (--h->live > 0)
        return;
    routes_free(h->routes, h->nroutes);
    free(h);
    if (done)
        done(ud);
}

/* ---- connection lifecycle ------------------------------------------------ */

static void req_reset(struct request *q)
{
    buf_reset(&q->url);
    for (int i = 0; i < HDR_COUNT; i++)
        buf_reset(&q->hdr[i]);
    q->present = 0;
    q->field_len = 0;
    q->in_value = true;
    q->target = HDR_NONE;
    q->head_bytes = 0;
    q->status = 0;
    q->err = 0;
    q->keep_alive = false;
    q->head = false;
    buf_reset(&q->line);
    q->line_done = false;
    q->after_lf = false;
    q->head_done = false;
}

static void req_init(struct request *q, size_t max)
{
    buf_init(&q->line, max);
    buf_init(&q->url, max);
    for (int i = 0; i < HDR_COUNT; i++)
        buf_init(&q->hdr[i], max);
    req_reset(q);
}

static void req_release(struct request *q)
{
    buf_release(&q->line);
    buf_release(&q->url);
    for (int i = 0; i < HDR_COUNT; i++)
        buf_release(&q->hdr[i]);
}

static void on_timer_freed(uv_handle_t *handle)
{
    free(container_of(handle, struct conn, timer));
}

static struct conn *conn_new(struct httpd *h)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (uv_timer_init(h->loop, &c->timer) < 0) {
        free(c);
        return NULL;
    }
    if (uv_tcp_init(h->loop, &c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->timer, on_timer_freed);
        return NULL;
    }
    c->h = h;
    c->open_handles = 2;
    c->state = CONN_NEW;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    req_init(&c->req, h->lim.max_header_bytes);
    buf_init(&c->out, OUT_MAX);
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    h->nconns++;
    h->live++;
    return c;
}

static void conn_free(struct conn *c)
{
    struct httpd *h = c->h;

    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    req_release(&c->req);
    buf_release(&c->out);
    blob_unref(c->body);
    if (c->state == CONN_CLOSING)
        h->nclosing--;
    free(c);
    if (--h->nconns < h->lim.max_connections)
        h->limit_logged = false;
    httpd_unref(h);
}

static void on_conn_handle_closed(uv_handle_t *handle)
{
    struct conn *c = handle->type == UV_TIMER ? container_of(handle, struct conn, timer)
                                              : container_of(handle, struct conn, tcp);

    if (--c->open_handles == 0)
        conn_free(c);
}

static uint64_t state_timeout(const struct conn *c, enum conn_state s)
{
    switch (s) {
    case CONN_READING:
        return c->h->lim.header_timeout_ms;
    case CONN_WRITING:
        return c->h->lim.write_timeout_ms;
    case CONN_IDLE:
        return c->h->lim.idle_timeout_ms;
    case CONN_LINGERING:
        return LINGER_MS;
    default:
        return 0;
    }
}

static int conn_set_reading(struct conn *c, bool on)
{
    int r = 0;

    if (on && !c->reading)
        r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    else if (!on && c->reading)
        r = uv_read_stop((uv_stream_t *)&c->tcp);
    if (r == 0)
        c->reading = on;
    return r;
}

/* Moves c to state `to`, arming that state's timer and reading in every
 * state but WRITING. An impossible move is a bug: it is logged and the
 * connection closed. Returns 0, or a negative errno when c is now closing. */
static int conn_enter_state(struct conn *c, enum conn_state to)
{
    enum conn_state from = c->state;
    int r;

    if (!transitions[from][to]) {
        log_error("HTTP", "impossible transition %s -> %s", state_names[from], state_names[to]);
        conn_close(c);
        return -EINVAL;
    }
    log_debug("HTTP", "%s -> %s", state_names[from], state_names[to]);
    c->state = to;
    if (to == CONN_CLOSING)
        return 0; /* uv_close() stops the timer and reading */
    uv_timer_start(&c->timer, on_timer, state_timeout(c, to), 0);
    r = conn_set_reading(c, to != CONN_WRITING);
    if (r < 0) {
        conn_close(c);
        return r;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    c->h->nclosing++;
    conn_enter_state(c, CONN_CLOSING);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = container_of(req, struct conn, shutdown_req);

    if (status < 0 && c->state == CONN_LINGERING)
        conn_close(c);
}

/* After a response that ends the connection: send FIN and drain the input
 * until the peer closes, so unread request bytes do not turn our close into
 * a reset that could destroy the response before the peer reads it. */
static void conn_linger(struct conn *c)
{
    c->in_off = c->in_len = 0;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        conn_close(c);
        return;
    }
    conn_enter_state(c, CONN_LINGERING);
}

/* ---- accepting ----------------------------------------------------------- */

static void on_reject_closed(uv_handle_t *handle)
{
    struct httpd *h = container_of(handle, struct httpd, reject);

    h->reject_busy = false;
    if (h->accept_pending && !h->closing) {
        h->accept_pending = false;
        accept_one(h);
    }
    httpd_unref(h);
}

/* Accepts the pending connection into h->reject and closes it at once,
 * without allocating. While the handle is busy the connection stays
 * pending, and libuv stops polling the listener until the next
 * uv_accept(): over the limit, accepting slows down instead of growing. */
static void reject_one(struct httpd *h)
{
    if (h->reject_busy || uv_tcp_init(h->loop, &h->reject) < 0) {
        h->accept_pending = true;
        return;
    }
    h->reject_busy = true;
    h->live++;
    (void)uv_accept((uv_stream_t *)&h->listener, (uv_stream_t *)&h->reject);
    uv_close((uv_handle_t *)&h->reject, on_reject_closed);
}

/* At the cap, the oldest connection that is idle between requests or still
 * waiting for its request makes room: a flood of idle or byte-a-second
 * connections then cannot lock newcomers out. Connections being answered
 * are never dropped. Returns false when there is none. */
static bool evict_one(struct httpd *h)
{
    struct conn *victim = NULL;

    for (struct conn *c = h->conns; c; c = c->next) /* newest first: the last wins */
        if (c->state == CONN_IDLE || c->state == CONN_READING)
            victim = c;
    if (!victim)
        return false;
    log_debug("HTTP", "%u connections: dropping the oldest waiting one", h->nconns);
    conn_close(victim);
    return true;
}

static void accept_one(struct httpd *h)
{
    struct conn *c = NULL;

    if (h->nconns - h->nclosing >= h->lim.max_connections && evict_one(h) && !h->limit_logged) {
        log_warn("HTTP", "%u connections: dropping the oldest waiting ones for new ones",
                 h->nconns);
        h->limit_logged = true;
    }
    if (h->nconns - h->nclosing < h->lim.max_connections)
        c = conn_new(h);
    else if (!h->limit_logged) {
        log_warn("HTTP", "%u connections: refusing new ones", h->nconns);
        h->limit_logged = true;
    }
    if (!c) {
        reject_one(h);
        return;
    }
    if (uv_accept((uv_stream_t *)&h->listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    conn_enter_state(c, CONN_READING);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct httpd *h = container_of(server, struct httpd, listener);

    if (status < 0) {
        log_warn("HTTP", "accept: %s", uv_strerror(status));
        return;
    }
    accept_one(h);
}

/* ---- responses ----------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

static void on_write(uv_write_t *req, int status)
{
    struct conn *c = container_of(req, struct conn, write_req);

    blob_unref(c->body);
    c->body = NULL;
    if (c->state != CONN_WRITING)
        return; /* closing: the write was cancelled */
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->close_after) {
        conn_linger(c);
        return;
    }
    req_reset(&c->req);
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) /* else it asserts */
        http_parser_pause(&c->parser, 0);
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        conn_enter_state(c, CONN_IDLE);
        return;
    }
    if (conn_enter_state(c, CONN_READING) == 0)
        conn_process(c);
}

/* Writes c->out and body (whose reference it takes) with one uv_write. */
static void conn_write(struct conn *c, struct blob *body)
{
    uv_buf_t bufs[2];
    unsigned n = 0;

    if (conn_enter_state(c, CONN_WRITING) < 0) {
        blob_unref(body);
        return;
    }
    bufs[n++] = uv_buf_init(c->out.data, (unsigned)c->out.len);
    if (body)
        bufs[n++] = uv_buf_init(body->data, (unsigned)body->len);
    c->body = body;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, n, on_write) < 0) {
        c->body = NULL;
        blob_unref(body);
        conn_close(c);
    }
}

static void put_header(struct buf *b, const char *name, const char *value)
{
    if (value)
        buf_printf(b, "%s: %s\r\n", name, value);
}

static void put_date(struct buf *b, const char *name, int64_t t)
{
    char date[CLOCK_RFC1123_LEN];

    if (t != TIME_NONE && clock_format_rfc1123(t, date) == 0)
        put_header(b, name, date);
}

static void put_connection(const struct conn *c, struct buf *b)
{
    if (c->close_after)
        buf_puts(b, "Connection: close\r\n");
    else if (c->parser.http_major == 1 && c->parser.http_minor == 0)
        buf_puts(b, "Connection: keep-alive\r\n");
}

/* Formats and writes r; takes r->body's reference. */
static void conn_send(struct conn *c, struct reply *r)
{
    struct buf *b = &c->out;
    bool has_body = r->status >= 200 && r->status != 204 && r->status != 304;
    size_t len = r->body ? r->body->len : r->text ? strlen(r->text) : 0;

    buf_reset(b);
    buf_printf(b, "HTTP/1.1 %d %s\r\n", r->status, reason(r->status));
    put_date(b, "Date", clock_now());
    buf_puts(b, "Server: heraldd\r\n");
    if (has_body)
        buf_printf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n", r->content_type, len);
    put_header(b, "ETag", r->etag);
    put_date(b, "Last-Modified", r->last_modified);
    put_header(b, "Cache-Control", r->cache_control);
    if (has_body)
        put_header(b, "Content-Encoding", r->content_encoding);
    put_header(b, "Vary", r->vary);
    put_header(b, "Access-Control-Allow-Origin", r->allow_origin);
    put_header(b, "WWW-Authenticate", r->www_authenticate);
    if (r->extra)
        buf_puts(b, r->extra);
    put_connection(c, b);
    buf_puts(b, "\r\n");
    if (r->text && has_body && !c->req.head)
        buf_puts(b, r->text);
    if (r->body && (!has_body || c->req.head || r->body->len == 0)) {
        blob_unref(r->body);
        r->body = NULL;
    }
    if (b->err) {
        blob_unref(r->body);
        conn_close(c);
        return;
    }
    conn_write(c, r->body);
}

/* Answers with a one-line text body; closes afterwards when close is set. */
static void conn_send_error(struct conn *c, int status, bool close)
{
    char text[64];
    struct reply r = {
        .status = status,
        .content_type = "text/plain; charset=utf-8",
        .last_modified = TIME_NONE,
        .text = text,
    };

    snprintf(text, sizeof(text), "%d %s\n", status, reason(status));
    if (status == 405)
        r.extra = "Allow: GET, HEAD\r\n";
    if (close)
        c->close_after = true;
    conn_send(c, &r);
}

/* ---- conditional requests ------------------------------------------------ */

static struct slice opaque_tag(const char *etag)
{
    if (etag[0] == 'W' && etag[1] == '/')
        etag += 2;
    return (struct slice){etag, strlen(etag)};
}

/* Weak comparison of etag against an If-None-Match list ("*" matches). */
static bool etag_list_matches(const char *list, const char *etag)
{
    struct slice want = opaque_tag(etag);
    const char *p = list;

    for (;;) {
        const char *start, *end;

        p += strspn(p, " \t,");
        if (!*p)
            return false;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        start = p;
        if (*p == '"') {
            end = strchr(p + 1, '"');
            if (!end)
                return false;
            end++;
        } else {
            end = p + strcspn(p, " \t,");
        }
        if ((end - start == 1 && *start == '*') ||
            ((size_t)(end - start) == want.len && memcmp(start, want.p, want.len) == 0))
            return true;
        p = end;
    }
}

static bool not_modified(const struct httpd_request *req, const struct httpd_response *res)
{
    time_t since;

    if (res->status != 200)
        return false;
    if (req->if_none_match) /* then If-Modified-Since is ignored (RFC 9110 13.1.3) */
        return res->etag && etag_list_matches(req->if_none_match, res->etag);
    if (!req->if_modified_since || res->last_modified == TIME_NONE)
        return false;
    since = curl_getdate(req->if_modified_since, NULL);
    return since != -1 && res->last_modified <= (int64_t)since;
}

/* ---- dispatch ------------------------------------------------------------ */

static bool header_safe(const char *s)
{
    for (; s && *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

static bool response_valid(const struct httpd_response *res)
{
    return res->status >= 200 && res->status <= 599 && header_safe(res->content_type) &&
           header_safe(res->etag) && header_safe(res->cache_control) &&
           header_safe(res->content_encoding) && header_safe(res->vary) &&
           header_safe(res->allow_origin) && header_safe(res->www_authenticate) &&
           (!res->body || res->body->len <= UINT_MAX);
}

static void conn_send_response(struct conn *c, const struct httpd_request *req,
                               struct httpd_response *res)
{
    struct reply r = {
        .status = res->status,
        .content_type = res->content_type ? res->content_type : "application/octet-stream",
        .etag = res->etag,
        .last_modified = res->last_modified,
        .cache_control = res->cache_control,
        .content_encoding = res->content_encoding,
        .vary = res->vary,
        .allow_origin = res->allow_origin,
        .www_authenticate = res->www_authenticate,
        .body = res->body,
    };

    if (!response_valid(res)) {
        log_error("HTTP", "invalid response from the handler of %s", req->path);
        blob_unref(res->body);
        conn_send_error(c, 500, false);
        return;
    }
    if (not_modified(req, res))
        r.status = 304;
    conn_send(c, &r);
}

/* Splits an absolute-form target in place; the host is ignored. */
static int split_absolute(char *s, size_t len, const char **ret_path, const char **ret_query)
{
    struct http_parser_url u;
    const char *path = "/", *query = NULL;

    http_parser_url_init(&u);
    if (http_parser_parse_url(s, len, 0, &u) != 0 || !(u.field_set & (1 << UF_HOST)))
        return -EINVAL;
    if (u.field_set & (1 << UF_QUERY)) {
        query = s + u.field_data[UF_QUERY].off;
        s[u.field_data[UF_QUERY].off + u.field_data[UF_QUERY].len] = '\0';
    }
    if (u.field_set & (1 << UF_PATH)) {
        path = s + u.field_data[UF_PATH].off;
        s[u.field_data[UF_PATH].off + u.field_data[UF_PATH].len] = '\0';
    }
    *ret_path = path;
    *ret_query = query;
    return 0;
}

/* Splits the request target (in url's own bytes) into path and query. */
static int split_target(struct buf *url, const char **ret_path, const char **ret_query)
{
    char *s = url->data, *q;

    if (!s || url->len == 0)
        return -EINVAL;
    if (s[0] != '/')
        return split_absolute(s, url->len, ret_path, ret_query);
    s[strcspn(s, "#")] = '\0';
    q = strchr(s, '?');
    if (q)
        *q++ = '\0';
    *ret_path = s;
    *ret_query = q;
    return 0;
}

static const char *hdr_value(struct request *q, int i)
{
    struct buf *b = &q->hdr[i];

    if (!(q->present & (1u << i)))
        return NULL;
    while (b->len > 0 && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
        b->data[--b->len] = '\0';
    return buf_cstr(b);
}

/* Answers the complete request the parser paused on. */
/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static bool peer_is_loopback(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static void conn_dispatch(struct conn *c)
{
    struct httpd_request req = {.method = http_method_str(c->parser.method)};
    struct httpd_response res = {.status = 200, .last_modified = TIME_NONE};
    const struct route *rt;
    httpd_handler_cb handler;
    void *ud;

    c->close_after = !c->req.keep_alive;
    if (c->req.status) { /* 405 for a request without a body */
        conn_send_error(c, c->req.status, false);
        return;
    }
    if (split_target(&c->req.url, &req.path, &req.query) < 0) {
        conn_send_error(c, 400, true);
        return;
    }
    rt = route_find(c->h, req.path);
    if (!rt) {
        conn_send_error(c, 404, false);
        return;
    }
    req.if_none_match = hdr_value(&c->req, HDR_IF_NONE_MATCH);
    req.if_modified_since = hdr_value(&c->req, HDR_IF_MODIFIED_SINCE);
    req.accept_encoding = hdr_value(&c->req, HDR_ACCEPT_ENCODING);
    req.authorization = hdr_value(&c->req, HDR_AUTHORIZATION);
    req.loopback = peer_is_loopback(c);
    handler = rt->handler; /* the handler may replace the route table */
    ud = rt->userdata;
    handler(&req, &res, ud);
    if (c->state != CONN_READING) { /* httpd_close() from the handler */
        blob_unref(res.body);
        return;
    }
    conn_send_response(c, &req, &res);
}

/* ---- parsing ------------------------------------------------------------- */

/* Records a failed append and stops the parser. */
static int req_fail(struct conn *c, int err)
{
    if (err == -E2BIG)
        c->req.status = 431;
    else
        c->req.err = err;
    return -1;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    int r = buf_append(&c->req.url, at, len);

    return r < 0 ? req_fail(c, r) : 0;
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct request *q = &((struct conn *)p->data)->req;

    for (size_t i = 0; i < len; i++) {
        if (!is_tchar((unsigned char)at[i])) {
            q->status = 400; /* "Bad Header:", "Host :" */
            return -1;
        }
    }

    if (q->in_value) {
        q->in_value = false;
        q->field_len = 0;
    }
    if (len < FIELD_MAX - q->field_len) {
        memcpy(q->field + q->field_len, at, len);
        q->field_len += len;
    } else {
        q->field_len = FIELD_MAX;
    }
    return 0;
}

static int hdr_lookup(const char *name, size_t len)
{
    for (int i = 0; i < HDR_COUNT; i++) {
        if (strlen(hdr_names[i]) == len && strncasecmp(hdr_names[i], name, len) == 0)
            return i;
    }
    return HDR_NONE;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    struct request *q = &c->req;
    int r = 0;

    if (!q->in_value) {
        q->in_value = true;
        q->target = hdr_lookup(q->field, q->field_len);
        if (q->target == HDR_NONE)
            return 0;
        if (q->present & (1u << q->target)) /* a repeated header is one list */
            r = buf_puts(&q->hdr[q->target], ", ");
        q->present |= 1u << q->target;
    }
    if (q->target == HDR_NONE)
        return 0;
    if (r == 0)
        r = buf_append(&q->hdr[q->target], at, len);
    return r < 0 ? req_fail(c, r) : 0;
}

static int on_headers_complete(http_parser *p)
{
    struct conn *c = p->data;
    bool body = (p->flags & F_CHUNKED) || p->uses_transfer_encoding ||
                ((p->flags & F_CONTENTLENGTH) && p->content_length > 0);

    /* p->upgrade is set for CONNECT and Upgrade requests: never kept open. */
    c->req.keep_alive = http_should_keep_alive(p) && !p->upgrade;
    c->req.head = p->method == HTTP_HEAD;
    if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
        c->req.status = 405;
        /* A body we do not read leaves the stream out of sync: stop here. */
        return body || p->upgrade ? -1 : 0;
    }
    if (p->http_major != 1) {
        c->req.status = p->http_major == 0 ? 400 : 505; /* HTTP/0.9, HTTP/2+ in text */
        return -1;
    }
    /* No request of ours has a body; one framed by Transfer-Encoding is a
     * smuggling attempt as often as not: refused outright. */
    if ((p->flags & F_CHUNKED) || p->uses_transfer_encoding) {
        c->req.status = 400;
        return -1;
    }
    if (body) {
        c->req.status = 413;
        return -1;
    }
    return 0;
}

static int on_message_complete(http_parser *p)
{
    /* One request at a time: the rest of the input waits for the response. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

/* Acts on the parser's state after http_parser_execute(). Returns true when
 * c left READING (answering or closing), false when it needs more input. */
static bool conn_after_parse(struct conn *c, size_t used, size_t given)
{
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

    if (c->req.err) {
        conn_close(c);
        return true;
    }
    /* A 405 without a body is answered in turn; anything else set by the
     * callbacks or scan_head() ends the connection. */
    if (e == HPE_PAUSED && (!c->req.status || c->req.status == 405)) {
        conn_dispatch(c);
        return true;
    }
    if (e == HPE_OK && used == given && !c->req.status)
        return false;
    if (!c->req.status) {
        log_debug("HTTP", "bad request: %s", http_errno_name(e));
        c->req.status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
    }
    conn_send_error(c, c->req.status, true);
    return true;
}

/* method SP target SP "HTTP/" DIGIT "." DIGIT, then CR LF or LF. */
static bool request_line_valid(const struct buf *line)
{
    const char *s = buf_cstr(line), *sp1, *sp2;
    size_t n = line->len;

    if (n && s[n - 1] == '\n')
        n--;
    if (n && s[n - 1] == '\r')
        n--;
    sp1 = memchr(s, ' ', n);
    if (!sp1 || sp1 == s)
        return false;
    for (const char *p = s; p < sp1; p++)
        if (!is_tchar((unsigned char)*p))
            return false;
    sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
    if (!sp2 || sp2 == sp1 + 1 || (size_t)(s + n - (sp2 + 1)) != 8)
        return false;
    return memcmp(sp2 + 1, "HTTP/", 5) == 0 && sp2[6] >= '0' && sp2[6] <= '9' && sp2[7] == '.' &&
           sp2[8] >= '0' && sp2[8] <= '9';
}

/* Scans the bytes p[0..n) the parser just took, for what it lets through:
 * a request line that is not METHOD SP TARGET SP HTTP/D.D, and a header
 * line folded onto the previous one. Sets q->status 400 when found. */
static void scan_head(struct request *q, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !q->head_done && !q->status; i++) {
        char ch = p[i];

        if (!q->line_done) {
            if (buf_putc(&q->line, ch) < 0) {
                q->status = 431;
                return;
            }
            if (ch == '\n') {
                q->line_done = true;
                q->after_lf = true;
                if (!request_line_valid(&q->line))
                    q->status = 400;
            }
            continue;
        }
        if (q->after_lf && (ch == ' ' || ch == '\t'))
            q->status = 400; /* obs-fold (RFC 9112 5.2: reject or replace) */
        else if (q->after_lf && (ch == '\r' || ch == '\n'))
            q->head_done = ch == '\n' || (i + 1 < n && p[i + 1] == '\n');
        q->after_lf = ch == '\n';
    }
}

/* Feeds the buffered input to the parser until it needs more bytes, pauses
 * at the end of a request, or fails. The parser never sees more than
 * max_header_bytes of one request: beyond that the answer is 431. */
static void conn_process(struct conn *c)
{
    size_t max = c->h->lim.max_header_bytes;

    while (c->state == CONN_READING && c->in_off < c->in_len) {
        size_t n = c->in_len - c->in_off, used;

        if (c->req.head_bytes >= max) {
            conn_send_error(c, 431, true);
            return;
        }
        if (n > max - c->req.head_bytes)
            n = max - c->req.head_bytes;
        used = http_parser_execute(&c->parser, &settings, c->in + c->in_off, n);
        if (!c->req.status)
            scan_head(&c->req, c->in + c->in_off, used);
        c->in_off += used;
        c->req.head_bytes += used;
        if (conn_after_parse(c, used, n))
            return;
    }
    c->in_off = c->in_len = 0;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = container_of(handle, struct conn, tcp);

    /* Reading only runs with the buffer empty; else UV_ENOBUFS closes c. */
    if (c->in_len)
        *buf = uv_buf_init(NULL, 0);
    else
        *buf = uv_buf_init(c->in, sizeof(c->in));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = container_of(stream, struct conn, tcp);

    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread != UV_EOF)
            log_debug("HTTP", "read: %s", uv_strerror((int)nread));
        conn_close(c);
        return;
    }
    if (c->state == CONN_LINGERING)
        return; /* dropped */
    if (c->state == CONN_IDLE && conn_enter_state(c, CONN_READING) < 0)
        return;
    if (c->state != CONN_READING)
        return;
    c->in_off = 0;
    c->in_len = (size_t)nread;
    conn_process(c);
}

static void on_timer(uv_timer_t *t)
{
    struct conn *c = container_of(t, struct conn, timer);

    log_debug("HTTP", "timeout in %s", state_names[c->state]);
    if (c->state == CONN_READING && c->req.head_bytes > 0) {
        conn_send_error(c, 408, true);
        return;
    }
    conn_close(c);
}

/* ---- listening and closing ----------------------------------------------- */

static int resolve_literal(const char *host, int port, struct sockaddr_storage *ret)
{
    struct sockaddr_storage ss;

    if (!host || port < 0 || port > 65535)
        return UV_EINVAL;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return UV_EINVAL;
    *ret = ss;
    return 0;
}

static int start_listening(struct httpd *h)
{
    int r = uv_listen((uv_stream_t *)&h->listener, LISTEN_BACKLOG, on_connection);

    if (r == 0)
        h->listening = true;
    return r;
}

int httpd_listen(struct httpd *h, const char *host, int port)
{
    struct sockaddr_storage ss;
    int r;

    if (h->closing || h->listening)
        return UV_EINVAL;
    r = resolve_literal(host, port, &ss);
    if (r < 0)
        return r;
    r = uv_tcp_bind(&h->listener, (const struct sockaddr *)&ss, 0);
    if (r < 0)
        return r;
    return start_listening(h);
}

int httpd_adopt_fd(struct httpd *h, int fd)
{
    int r;

    if (h->closing || h->listening) {
        close(fd);
        return UV_EINVAL;
    }
    r = uv_tcp_open(&h->listener, (uv_os_sock_t)fd);
    if (r < 0) {
        close(fd);
        return r;
    }
    return start_listening(h);
}

int httpd_port(const struct httpd *h)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    if (!h->listening || uv_tcp_getsockname(&h->listener, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static void on_listener_closed(uv_handle_t *handle)
{
    httpd_unref(container_of(handle, struct httpd, listener));
}

void httpd_close(struct httpd *h, void (*done)(void *userdata), void *userdata)
{
    if (!h || h->closing)
        return;
    h->closing = true;
    h->done = done;
    h->done_ud = userdata;
    uv_close((uv_handle_t *)&h->listener, on_listener_closed);
    for (struct conn *c = h->conns; c; c = c->next)
        conn_close(c);
}
