/* fetch: HTTP(S) transfers on the loop, through one curl multi handle.
 *
 * curl's multi_socket API is driven by libuv: CURLMOPT_SOCKETFUNCTION maps
 * curl's sockets onto uv_poll_t handles, CURLMOPT_TIMERFUNCTION onto one
 * uv_timer_t (the pattern of curl's docs/examples/multi-uv.c, plus error
 * polls passed on as CURL_CSELECT_ERR).
 *
 * Admission control is ours, never curl's: a transfer is handed to curl
 * only when it may start, so its timeouts never run while it waits. It may
 * start when fewer than max_inflight transfers are in curl, fewer than
 * per_site are running for its site (registrable domain, see net/site.h),
 * site_gap_ms have passed since the last request start to that site, and
 * the site is not paused: a 429, or a 503 with Retry-After, pauses the
 * whole site until the Retry-After time (capped at one hour) or, without
 * one, for a pause that doubles from 5 s up to 10 min and is forgotten
 * after a success. Waiting transfers start in the order they came.
 * HTTP/2 streams are multiplexed where the server offers it (PIPEWAIT).
 *
 * Names are resolved with uv_getaddrinfo on libuv's thread pool and handed
 * to curl with CURLOPT_RESOLVE, so curl never resolves (curl 7.88's
 * threaded resolver would block the loop when a transfer is removed while
 * resolving). Answers are cached for 60 s per host; lookups of one host
 * are shared. Resolving counts against connect_timeout_ms.
 *
 * Redirects are followed here, hop by hop (max_redirects, http and https
 * only), each hop resolved, vetted and admitted like the first. SSRF rule:
 * when the configured URL resolved to public addresses only, a hop to a
 * host with any loopback, private, link-local or otherwise non-public
 * address fails with FETCH_ERR_BLOCKED. With a proxy the check cannot be
 * made (the proxy resolves and connects; only the proxy's own name is
 * resolved here): configuring a proxy trusts it with that. Credentials
 * (userpwd, Authorization and Cookie headers) go only to the scheme, host
 * and port of the configured URL, as curl does.
 *
 * Every transfer is bounded: protocols http and https (file only when the
 * request allows it, and never after a redirect), max_redirects, connect and
 * total timeouts (the total over all hops), a low-speed cut-off, and
 * max_body bytes of (decoded) body, enforced in the write callback. Every
 * content encoding curl supports is accepted. Environment proxies
 * (http_proxy...) are ignored: only fetch_request.proxy is used.
 *
 * Depends on base/, net/site, libuv and libcurl; knows nothing of feeds or
 * SQL. Every log line names the transfer's host, never its credentials.
 */
#ifndef HERALD_NET_FETCH_H
#define HERALD_NET_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fetcher;

struct fetch_options {
    unsigned max_inflight;   /* transfers in curl at once; default 16 */
    unsigned per_site;       /* transfers at once per site (registrable domain); default 2 */
    long site_gap_ms;        /* least time between two request starts to one site; default
                                1000, negative for none */
    long timeout_ms;         /* whole transfer; default 30000 */
    long connect_timeout_ms; /* DNS + TCP + TLS; default 10000 */
    size_t max_body;         /* bytes; default 8 MiB */
    long max_redirects;      /* default 5 */
    const char *user_agent;  /* copied */
    const char *ca_file;     /* PEM file of the CAs to trust instead of the system's, or NULL;
                                copied */
};

/* Borrowed: fetch_start() copies what it keeps. */
struct fetch_request {
    const char *url;
    const char *etag;           /* sent as If-None-Match, or NULL */
    const char *last_modified;  /* sent as If-Modified-Since, or NULL */
    bool allow_file;            /* a file:// URL may be read (configured URLs only) */
    const char *user_agent;     /* overrides the fetcher's, or NULL */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    const char *userpwd;        /* "user:password" for HTTP basic auth, or NULL; never logged */
    const char *proxy;          /* proxy URL, or NULL: direct (environment proxies are ignored);
                                   with a proxy the SSRF check is not made */
    /* A POST of body (body_len bytes, copied) instead of a GET; its
     * Content-Type goes in headers. */
    const char *body;
    size_t body_len;
    bool no_redirects; /* a 3xx is the result, never followed */
    bool own_pace;     /* not paced per site: the caller limits its own concurrency
                          (webhook endpoints); max_inflight still applies */
    long timeout_ms;   /* overrides the fetcher's whole-transfer timeout; 0: the default */
};

/* Failure classes, for logs and for the scheduler. */
enum fetch_error {
    FETCH_OK = 0,
    FETCH_ERR_DNS,
    FETCH_ERR_CONNECT,
    FETCH_ERR_TLS,
    FETCH_ERR_TIMEOUT,
    FETCH_ERR_TOO_LARGE,
    FETCH_ERR_REDIRECTS,
    FETCH_ERR_PROTOCOL, /* refused scheme, malformed response... */
    FETCH_ERR_BLOCKED,  /* a redirect to a loopback/private/link-local address from a public one */
    FETCH_ERR_CANCELED, /* the fetcher was closed */
    FETCH_ERR_OTHER,
};

/* Borrowed by the callback; everything is freed when it returns. */
struct fetch_result {
    enum fetch_error error;
    const char *errmsg; /* human-readable; "" on success */
    long status;        /* HTTP status of the final response; 200 for a file read; 0 if none */
    const char *etag;   /* response headers of the final response, or NULL */
    const char *last_modified;
    const char *content_type;
    int64_t max_age;     /* Cache-Control max-age in seconds, or -1 */
    int64_t expires;     /* Expires as epoch seconds, or 0 */
    int64_t retry_after; /* Retry-After as epoch seconds, or 0 */
    const char *effective_url;
    const char *permanent_url; /* the final URL when every redirect followed was a 301 or
                                  308 (the feed moved), else NULL */
    const char *body;
    size_t body_len;
    int64_t elapsed_ms; /* since the transfer started (not counting the queue) */
    void *transfer;     /* private: for fetch_take_body() */
};

/* Inside the done callback: takes res's body (body_len bytes and a NUL)
 * instead of copying it, the caller's to free(); res->body points at it
 * still. NULL when there is none to take (then copy res->body). */
char *fetch_take_body(const struct fetch_result *res);

typedef void (*fetch_done_cb)(const struct fetch_result *res, void *userdata);

/* opts may be NULL; zero fields take defaults. Returns 0 or -ENOMEM/-EIO. */
int fetcher_new(uv_loop_t *loop, const struct fetch_options *opts, struct fetcher **ret);

/* New options (a reload) for the transfers that start from now on; those
 * running keep their limits. Returns 0 or -ENOMEM. */
int fetcher_set_options(struct fetcher *f, const struct fetch_options *opts);

/* Starts (or queues) a GET. If it returns 0, done runs exactly once, never
 * before fetch_start() returns. Returns -ENOMEM, or -ESHUTDOWN once the
 * fetcher is closing. */
int fetch_start(struct fetcher *f, const struct fetch_request *req, fetch_done_cb done,
                void *userdata);

/* Transfers not finished yet: queued, resolving, waiting or running. */
unsigned fetcher_pending(const struct fetcher *f);

/* Cancels everything (done callbacks run with FETCH_ERR_CANCELED), closes
 * the handles, and calls closed(userdata) once they are gone; f is freed
 * then. Idempotent. */
void fetcher_close(struct fetcher *f, void (*closed)(void *userdata), void *userdata);

#endif
