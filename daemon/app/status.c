/* status: see status.h. */
#include "app/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app/feeds.h"
#include "base/clock.h"

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.5em 0 .4em}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.num{text-align:right}"
    ".ok{color:#176117}.bad{color:#a11}.warn{color:#8a5a00}.muted{color:#777}";

static void put_html(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static const char *state_class(const char *state)
{
    if (strcmp(state, "ok") == 0)
        return "ok";
    if (strcmp(state, "error") == 0 || strcmp(state, "backing off") == 0 ||
        strcmp(state, "gone") == 0)
        return "bad";
    return "muted";
}

/* Numeric columns of the feeds table (right-aligned). */
static bool numeric(int col)
{
    const char *h = feeds_headings[col];

    return strcmp(h, "ENTRIES") == 0 || strcmp(h, "STATUS") == 0 || strcmp(h, "429S") == 0 ||
           strcmp(h, "304/SAME") == 0 || strcmp(h, "SAVED") == 0;
}

static int feeds_section(const struct config *cfg, struct store *s, int64_t now, struct buf *b,
                         unsigned *ret_ok, unsigned *ret_failing)
{
    char **cells;
    int state_col = -1;
    int r = feeds_cells(cfg, s, now, &cells);

    if (r < 0)
        return r;
    buf_printf(b, "<h2>Feeds</h2>\n<table id=\"feeds\">\n<tr>");
    for (int c = 0; c < FEEDS_COLUMNS; c++) {
        if (strcmp(feeds_headings[c], "STATE") == 0)
            state_col = c;
        buf_puts(b, "<th>");
        put_html(b, feeds_headings[c]);
        buf_puts(b, "</th>");
    }
    buf_puts(b, "</tr>\n");
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        char **row = &cells[i * FEEDS_COLUMNS];
        const char *state = state_col >= 0 ? row[state_col] : "";

        if (strcmp(state, "ok") == 0)
            (*ret_ok)++;
        else if (strcmp(state_class(state), "bad") == 0)
            (*ret_failing)++;
        buf_puts(b, "<tr>");
        for (int c = 0; c < FEEDS_COLUMNS; c++) {
            if (c == state_col)
                buf_printf(b, "<td class=\"%s\">", state_class(state));
            else
                buf_puts(b, numeric(c) ? "<td class=\"num\">" : "<td>");
            put_html(b, row[c]);
            buf_puts(b, "</td>");
        }
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</table>\n");
    feeds_cells_free(cells, cfg->n_feeds);
    return 0;
}

static void outputs_section(const struct config *cfg, struct buf *b)
{
    static const char *const exts[] = {"atom", "rss", "json"};

    buf_puts(b, "<h2>Outputs</h2>\n<table id=\"outputs\">\n"
                "<tr><th>NAME</th><th>TITLE</th><th>DEDUP</th><th>LINKS</th></tr>\n");
    for (size_t i = 0; i < cfg->n_outputs; i++) {
        const struct output_conf *o = &cfg->outputs[i];
        int level = config_output_dedup(cfg, o);

        buf_puts(b, "<tr><td>");
        put_html(b, o->name);
        if (strcmp(o->name, cfg->default_output) == 0)
            buf_puts(b, " <span class=\"muted\">(default)</span>");
        buf_puts(b, "</td><td>");
        put_html(b, o->title ? o->title : cfg->title);
        if (!o->title && strcmp(o->name, cfg->default_output) != 0) {
            buf_puts(b, " (");
            put_html(b, o->name);
            buf_puts(b, ")");
        }
        buf_printf(b, "</td><td>%s</td><td>", level == 0 ? "none" : level == 1 ? "link" : "story");
        for (size_t f = 0; f < 3; f++) {
            buf_printf(b, "%s<a href=\"", f ? " " : "");
            put_html(b, cfg->public_url);
            buf_puts(b, "/outputs/");
            put_html(b, o->name);
            buf_printf(b, ".%s\">%s</a>", exts[f], exts[f]);
        }
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n");
}

/* scheme://host[:port] of a URL: its path may hold a token. */
static void put_origin(struct buf *b, const char *url)
{
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : strlen(url);
    const char *at = memchr(url, '@', n);

    if (at && host) { /* user:password@ never shown */
        buf_append(b, url, (size_t)(host + 3 - url));
        buf_puts(b, "\xE2\x80\xA6@");
        n -= (size_t)(at + 1 - url);
        url = at + 1;
    }
    {
        char *origin = strndup(url, n);
        if (origin) {
            put_html(b, origin);
            free(origin);
        }
    }
}

static int webhooks_section(const struct config *cfg, struct store *s, struct buf *b,
                            int64_t *ret_pending, int64_t *ret_dead)
{
    static const char *const formats[] = {"json", "slack", "discord", "ntfy", "template"};

    buf_puts(b, "<h2>Webhooks</h2>\n");
    if (!cfg->n_webhooks) {
        buf_puts(b, "<p class=\"muted\">None configured.</p>\n");
        return 0;
    }
    buf_puts(b, "<table id=\"webhooks\">\n<tr><th>NAME</th><th>ENDPOINT</th><th>FORMAT</th>"
                "<th>STATE</th><th>PENDING</th><th>FAILED</th><th>DEAD</th></tr>\n");
    for (size_t i = 0; i < cfg->n_webhooks; i++) {
        const struct webhook_conf *w = &cfg->webhooks[i];
        int64_t pending, failed, dead, at;
        int r = store_webhook_counts(s, w->name, &pending, &failed, &dead);
        int disabled = r == 0 ? store_webhook_disabled(s, w->name, &at, NULL) : r;

        if (r < 0 || disabled < 0)
            return r < 0 ? r : disabled;
        *ret_pending += pending + failed;
        *ret_dead += dead;
        buf_puts(b, "<tr><td>");
        put_html(b, w->name);
        buf_puts(b, "</td><td>");
        put_origin(b, w->url);
        buf_printf(b, "</td><td>%s</td><td class=\"%s\">%s</td>", formats[w->format],
                   disabled ? "bad"
                   : failed ? "warn"
                            : "ok",
                   disabled ? "disabled (410)"
                   : failed ? "failing"
                            : "ok");
        buf_printf(b,
                   "<td class=\"num\">%" PRId64 "</td><td class=\"num\">%" PRId64
                   "</td><td class=\"num\">%" PRId64 "</td></tr>\n",
                   pending, failed, dead);
    }
    buf_puts(b, "</table>\n");
    return 0;
}

int status_render(const struct config *cfg, struct store *s, int64_t now, int64_t started,
                  struct buf *out)
{
    struct buf body;
    unsigned ok = 0, failing = 0;
    int64_t entries = 0, pending = 0, dead = 0;
    char when[CLOCK_RFC3339_LEN], since[CLOCK_RFC3339_LEN];
    int r;

    buf_init(&body, 64u << 20);
    r = feeds_section(cfg, s, now, &body, &ok, &failing);
    if (r == 0)
        outputs_section(cfg, &body);
    if (r == 0)
        r = webhooks_section(cfg, s, &body, &pending, &dead);
    if (r == 0)
        r = store_count_entries(s, &entries);
    if (r < 0) {
        buf_release(&body);
        return r;
    }
    clock_format_rfc3339(now, when);
    clock_format_rfc3339(started, since);
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width\">"
                  "<meta name=\"robots\" content=\"noindex\"><title>");
    put_html(out, cfg->title);
    buf_printf(out, " \xE2\x80\x94 Herald status</title><style>%s</style></head><body>\n<h1>",
               style);
    put_html(out, cfg->title);
    buf_printf(out,
               " <span class=\"muted\">heraldd " HERALD_VERSION " status</span></h1>\n"
               "<p id=\"summary\"><span class=\"ok\">%u feeds ok</span>, "
               "<span class=\"%s\">%u failing</span>, %zu configured; %" PRId64 " entries; %" PRId64
               " deliveries pending, %" PRId64 " dead.</p>\n"
               "<p class=\"muted\">As of %s; running since %s.</p>\n",
               ok, failing ? "bad" : "muted", failing, cfg->n_feeds, entries, pending, dead, when,
               since);
    buf_append(out, body.data, body.len);
    buf_puts(out, "</body></html>\n");
    buf_release(&body);
    return out->err;
}
