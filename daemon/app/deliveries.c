/* deliveries: see deliveries.h. */
#include "app/deliveries.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/webhook.h"
#include "base/clock.h"
#include "net/fetch.h"
#include "store/store.h"

/* Read-only for listing; writing (--retry, --enable) waits for the
 * daemon's transactions, which are short. */
static struct store *open_db(const struct config *cfg, bool write)
{
    struct store *s;
    char err[512];
    int r = write ? store_open_shared(cfg->database, 5000, &s, err, sizeof(err))
                  : store_open_readonly(cfg->database, &s, err, sizeof(err));

    if (r < 0) {
        fprintf(stderr, "heraldd: cannot open the database %s\n", err);
        return NULL;
    }
    return s;
}

static const char *state_of(const struct store_delivery *d)
{
    if (strcmp(d->state, "pending") == 0 && d->attempts > 0)
        return "failed";
    return d->state;
}

static void fmt_time(int64_t t, char out[CLOCK_RFC3339_LEN])
{
    if (t == TIME_NONE || clock_format_rfc3339(t, out) < 0)
        strcpy(out, "-");
}

static int print_json(const struct store_delivery *v, size_t n, FILE *out)
{
    json_t *list = json_array();
    char *s;

    for (size_t i = 0; list && i < n; i++) {
        const struct store_delivery *d = &v[i];
        char next[CLOCK_RFC3339_LEN], last[CLOCK_RFC3339_LEN], created[CLOCK_RFC3339_LEN];
        json_t *o;

        fmt_time(strcmp(d->state, "pending") == 0 ? d->next_attempt : TIME_NONE, next);
        fmt_time(d->last_attempt, last);
        fmt_time(d->created, created);
        o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:s?}", "id",
                      (json_int_t)d->id, "webhook", d->webhook, "event", d->event, "msg_id",
                      d->msg_id, "state", state_of(d), "attempts", d->attempts, "last_status",
                      d->last_status ? json_integer(d->last_status) : json_null(), "last_error",
                      d->last_error ? json_string(d->last_error) : json_null(), "next_attempt",
                      next[0] != '-' ? json_string(next) : json_null(), "last_attempt",
                      last[0] != '-' ? json_string(last) : json_null(), "created",
                      json_string(created), "title", d->title);
        if (!o || json_array_append_new(list, o) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    s = list ? json_dumps(list, JSON_INDENT(2)) : NULL;
    json_decref(list);
    if (!s) {
        fprintf(stderr, "heraldd: out of memory\n");
        return 1;
    }
    fprintf(out, "%s\n", s);
    free(s);
    return 0;
}

static int print_table(struct store *s, const struct config *cfg, const struct store_delivery *v,
                       size_t n, FILE *out)
{
    int64_t pending = 0, dead = 0;

    for (size_t i = 0; i < cfg->n_webhooks; i++) {
        char *reason = NULL, when[CLOCK_RFC3339_LEN];
        int64_t at;
        int r = store_webhook_disabled(s, cfg->webhooks[i].name, &at, &reason);

        if (r == 1) {
            fmt_time(at, when);
            fprintf(out, "webhook %s: disabled since %s (%s); --enable %s sends again\n",
                    cfg->webhooks[i].name, when, reason ? reason : "?", cfg->webhooks[i].name);
        }
        free(reason);
    }
    fprintf(out, "%-6s %-16s %-18s %-9s %-8s %-20s %-20s %s\n", "ID", "WEBHOOK", "EVENT", "STATE",
            "ATTEMPTS", "LAST", "NEXT", "TITLE");
    for (size_t i = 0; i < n; i++) {
        const struct store_delivery *d = &v[i];
        char next[CLOCK_RFC3339_LEN], last[64];

        fmt_time(strcmp(d->state, "pending") == 0 ? d->next_attempt : TIME_NONE, next);
        if (d->last_error)
            snprintf(last, sizeof(last), "%.60s", d->last_error);
        else if (d->last_status)
            snprintf(last, sizeof(last), "HTTP %d", d->last_status);
        else
            strcpy(last, "-");
        fprintf(out, "%-6lld %-16s %-18s %-9s %-8d %-20s %-20s %.60s\n", (long long)d->id,
                d->webhook, d->event, state_of(d), d->attempts, last, next,
                d->title ? d->title : "");
    }
    if (store_deliveries_count(s, &pending, &dead) == 0)
        fprintf(out, "%lld pending, %lld dead\n", (long long)pending, (long long)dead);
    return 0;
}

int deliveries_cmd(const struct config *cfg, const struct deliveries_opts *o, FILE *out)
{
    struct store *s = open_db(cfg, o->enable || o->retry);
    int status = 0;

    if (!s)
        return 1;
    if (o->enable) {
        int changed = 0;
        if (!config_find_webhook(cfg, o->enable)) {
            fprintf(stderr, "heraldd: no webhook is named \"%s\"\n", o->enable);
            status = 1;
        } else if (store_webhook_enable(s, o->enable, &changed) < 0) {
            fprintf(stderr, "heraldd: %s\n", store_errmsg(s));
            status = 1;
        } else {
            fprintf(out, "webhook %s: %s\n", o->enable, changed ? "enabled" : "was not disabled");
        }
    } else if (o->retry) {
        int64_t id = 0;
        int count = 0;
        char *end;

        if (strcmp(o->retry, "all-dead") != 0) {
            id = strtoll(o->retry[0] == '#' ? o->retry + 1 : o->retry, &end, 10);
            if (*end || id <= 0) {
                fprintf(stderr, "heraldd: --retry needs a delivery id or all-dead, not '%s'\n",
                        o->retry);
                store_close(s);
                return 2;
            }
        }
        if (store_deliveries_requeue(s, id, clock_now(), &count) < 0) {
            fprintf(stderr, "heraldd: %s\n", store_errmsg(s));
            status = 1;
        } else if (id && !count) {
            fprintf(stderr, "heraldd: no pending or dead delivery #%lld\n", (long long)id);
            status = 1;
        } else {
            fprintf(out, "%d deliver%s requeued\n", count, count == 1 ? "y" : "ies");
        }
    } else {
        struct store_delivery *v;
        size_t n;

        if (store_deliveries_list(s, o->all, &v, &n) < 0) {
            fprintf(stderr, "heraldd: %s\n", store_errmsg(s));
            status = 1;
        } else {
            status = o->json ? print_json(v, n, out) : print_table(s, cfg, v, n, out);
            store_deliveries_free(v, n);
        }
    }
    store_close(s);
    return status;
}

/* ---- webhook-test -------------------------------------------------------------- */

struct test_run {
    struct fetcher *fetcher;
    long status;
    enum fetch_error error;
    char errmsg[256];
    int64_t elapsed_ms;
    bool done;
};

static void on_test_done(const struct fetch_result *res, void *ud)
{
    struct test_run *t = ud;

    t->done = true;
    t->status = res->status;
    t->error = res->error;
    t->elapsed_ms = res->elapsed_ms;
    snprintf(t->errmsg, sizeof(t->errmsg), "%s", res->errmsg);
    fetcher_close(t->fetcher, NULL, NULL);
}

int webhook_test_cmd(const struct config *cfg, const char *name, FILE *out)
{
    const struct webhook_conf *wc = config_find_webhook(cfg, name);
    struct fetch_options fo = {
        .user_agent = cfg->user_agent, .ca_file = cfg->ca_file, .max_inflight = 1};
    struct test_run t = {0};
    char msg_id[WEBHOOK_MSG_ID_LEN], *payload;
    const char *payloads[1];
    struct buf body;
    uv_loop_t loop;
    int r;

    if (!wc) {
        fprintf(stderr, "heraldd: no webhook is named \"%s\"\n", name);
        return 1;
    }
    payload = webhook_test_payload(wc, clock_now());
    buf_init(&body, 1 << 20);
    payloads[0] = payload;
    r = payload ? webhook_render(wc, payloads, 1, clock_now(), &body) : -ENOMEM;
    if (r == 0)
        r = webhook_msg_id(msg_id);
    if (r == 0)
        r = uv_loop_init(&loop);
    if (r < 0) {
        fprintf(stderr, "heraldd: %s\n", strerror(-r));
        free(payload);
        buf_release(&body);
        return 1;
    }
    r = fetcher_new(&loop, &fo, &t.fetcher);
    if (r == 0) {
        r = webhook_post(t.fetcher, wc, msg_id, body.data, body.len, on_test_done, &t);
        if (r < 0)
            fetcher_close(t.fetcher, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop);
    free(payload);
    buf_release(&body);
    if (r < 0 || !t.done) {
        fprintf(stderr, "heraldd: webhook %s: cannot send: %s\n", name, strerror(r < 0 ? -r : EIO));
        return 1;
    }
    if (t.error != FETCH_OK) {
        fprintf(stderr, "heraldd: webhook %s: %s\n", name, t.errmsg);
        return 1;
    }
    fprintf(out, "webhook %s: HTTP %ld in %lld ms (webhook-id %s)\n", name, t.status,
            (long long)t.elapsed_ms, msg_id);
    return t.status >= 200 && t.status < 300 ? 0 : 1;
}
