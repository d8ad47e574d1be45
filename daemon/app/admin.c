/* admin: see admin.h. */
#include "app/admin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/blob.h"
#include "base/log.h"

#define BODY_MAX (1 << 20)

struct admin {
    const char *token;
    admin_snapshot_cb snapshot_cb;
    void *userdata;
    admin_page_cb page_cb;
    void *page_ud;
    struct httpd_route routes[3];
    size_t n_routes;
};

/* Compares without an early exit, so the time taken does not tell how
 * much of a guess was right. */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;

    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)a[i] ^ (unsigned char)b[lb ? i % lb : 0];
    return d == 0;
}

/* RFC 6750 2.1: "Bearer" (any case), one or more spaces, the token. */
static bool bearer_matches(const char *authorization, const char *token)
{
    const char *p = authorization;

    if (!p || strncasecmp(p, "Bearer ", 7) != 0)
        return false;
    p += 7;
    while (*p == ' ')
        p++;
    return same_secret(p, token);
}

/* Answers 401/403 and returns false when the client may not see this. */
static bool allowed(const struct admin *a, const struct httpd_request *req,
                    struct httpd_response *res)
{
    if (a->token ? bearer_matches(req->authorization, a->token) : req->loopback)
        return true;
    res->status = a->token ? 401 : 403;
    res->www_authenticate = a->token ? "Bearer" : NULL;
    res->content_type = "text/plain; charset=utf-8";
    res->cache_control = "no-store";
    return false;
}

/* Hands the buffer's bytes to the response (nothing on error). */
static void give_body(struct httpd_response *res, struct buf *b)
{
    size_t len = b->len;
    char *data;

    if (b->err) {
        res->status = 500;
        buf_release(b);
        return;
    }
    data = buf_steal(b);
    if (!data || !(res->body = blob_new(data, len))) {
        free(data);
        res->status = 500;
    }
}

static void on_metrics(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct admin *a = ud;
    struct metrics_snapshot s;
    struct buf b;
    double recent;

    if (!allowed(a, req, res))
        return;
    a->snapshot_cb(&s, &recent, a->userdata);
    buf_init(&b, BODY_MAX);
    if (metrics_render(&s, &b) < 0)
        log_error("HTTP", "/metrics: cannot render: %s", strerror(-b.err));
    res->content_type = METRICS_CONTENT_TYPE;
    res->cache_control = "no-store";
    give_body(res, &b);
}

static void on_healthz(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct admin *a = ud;
    struct metrics_snapshot s;
    struct buf b;
    double recent;

    if (!allowed(a, req, res))
        return;
    a->snapshot_cb(&s, &recent, a->userdata);
    buf_init(&b, 4096);
    if (s.polls.write_failed)
        buf_puts(&b, "unhealthy: the last database write failed\n");
    if (s.database_problem) {
        char safe[512];

        log_escape(safe, sizeof(safe), s.database_problem, strlen(s.database_problem));
        buf_printf(&b, "unhealthy: %s\n", safe);
    }
    if (recent >= ADMIN_STALL_LIMIT_S)
        buf_printf(&b, "unhealthy: the event loop stalled for %.1f s in the last %.0f s\n", recent,
                   ADMIN_STALL_WINDOW_S);
    if (b.len == 0 && !b.err)
        buf_puts(&b, "ok\n");
    else
        res->status = 503;
    res->content_type = "text/plain; charset=utf-8";
    res->cache_control = "no-store";
    give_body(res, &b);
}

static void on_status_page(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct admin *a = ud;
    struct buf b;

    if (!allowed(a, req, res))
        return;
    buf_init(&b, 64u << 20);
    if (a->page_cb(&b, a->page_ud) < 0) {
        log_error("HTTP", "/: cannot render the status page");
        buf_release(&b);
        res->status = 500;
        res->content_type = "text/plain; charset=utf-8";
        res->cache_control = "no-store";
        return;
    }
    res->content_type = "text/html; charset=utf-8";
    res->cache_control = "no-store";
    give_body(res, &b);
}

void admin_set_page(struct admin *a, admin_page_cb cb, void *ud)
{
    a->page_cb = cb;
    a->page_ud = ud;
    if (a->n_routes == 2)
        a->routes[a->n_routes++] = (struct httpd_route){"/", on_status_page, a};
}

struct admin *admin_new(const char *token, admin_snapshot_cb snapshot_cb, void *userdata)
{
    struct admin *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->token = token;
    a->snapshot_cb = snapshot_cb;
    a->userdata = userdata;
    a->routes[0] = (struct httpd_route){"/metrics", on_metrics, a};
    a->routes[1] = (struct httpd_route){"/healthz", on_healthz, a};
    a->n_routes = 2;
    return a;
}

void admin_free(struct admin *a)
{
    free(a);
}

void admin_set_token(struct admin *a, const char *token)
{
    a->token = token;
}

const struct httpd_route *admin_routes(struct admin *a, size_t *ret_n)
{
    *ret_n = a->n_routes;
    return a->routes;
}
