/* feeds: see feeds.h. */
#include "app/feeds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "store/store.h"

#define ERROR_WIDTH 48
#define URL_WIDTH   64

enum column {
    COL_NAME,
    COL_URL,
    COL_STATE,
    COL_LAST,
    COL_STATUS,
    COL_ERROR,
    COL_NEXT,
    COL_ENTRIES,
    COL_RATIO,
    COL_SAVED,
    COL_429,
    COL_INTERVAL,
    COL_HINT,
    N_COLUMNS,
};

_Static_assert(N_COLUMNS == FEEDS_COLUMNS, "feeds.h's column count");

const char *const feeds_headings[N_COLUMNS] = {
    "NAME",    "URL",      "STATE", "LAST FETCH", "STATUS",   "LAST ERROR", "NEXT POLL",
    "ENTRIES", "304/SAME", "SAVED", "429S",       "INTERVAL", "HINT",
};

static const char *state_of(const struct feed_conf *fc, const struct store_feed_info *in,
                            int64_t now)
{
    if (!fc->enabled)
        return "disabled";
    if (!in || in->last_poll == TIME_NONE)
        return "new";
    if (in->gone)
        return "gone";
    if (in->error_count >= 2 ||
        (in->error_count > 0 && in->retry_after > now && in->next_poll >= in->retry_after))
        return "backing off";
    return in->error_count > 0 ? "error" : "ok";
}

/* "90s", "15m", "2h30m", "3d4h". */
static void duration(char *out, size_t n, int64_t s)
{
    if (s < 0)
        snprintf(out, n, "-");
    else if (s < 120)
        snprintf(out, n, "%" PRId64 "s", s);
    else if (s < 7200)
        snprintf(out, n, "%" PRId64 "m", s / 60);
    else if (s < 2 * 86400)
        snprintf(out, n, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf(out, n, "%" PRId64 "d%" PRId64 "h", s / 86400, s % 86400 / 3600);
}

static void bytes(char *out, size_t n, int64_t b)
{
    if (b < 10 * 1024)
        snprintf(out, n, "%" PRId64 "B", b);
    else if (b < 10 * 1024 * 1024)
        snprintf(out, n, "%" PRId64 "KiB", b / 1024);
    else
        snprintf(out, n, "%" PRId64 "MiB", b / (1024 * 1024));
}

static void when(char *out, size_t n, int64_t t)
{
    char tmp[CLOCK_RFC3339_LEN];

    if (t == TIME_NONE || t <= 0 || clock_format_rfc3339(t, tmp) < 0)
        snprintf(out, n, "never");
    else
        snprintf(out, n, "%s", tmp);
}

/* Copies s, control characters as '?', cut to width with "...". */
static char *cell(const char *s, size_t width)
{
    size_t len = strlen(s), keep = len > width ? width - 3 : len;
    char *out = malloc(keep + 4);

    if (!out)
        return NULL;
    for (size_t i = 0; i < keep; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (keep < len) {
        memcpy(out + keep, "...", 3);
        keep += 3;
    }
    out[keep] = '\0';
    return out;
}

static int fill_row(char **row, const struct feed_conf *fc, const struct store_feed_info *in,
                    int64_t now)
{
    char t[128], err[400];

    row[COL_NAME] = cell(fc->name, 100);
    row[COL_URL] = cell(in ? in->url : fc->url, URL_WIDTH);
    row[COL_STATE] = cell(state_of(fc, in, now), 20);
    when(t, sizeof(t), in ? in->last_poll : TIME_NONE);
    row[COL_LAST] = cell(t, 40);
    snprintf(t, sizeof(t), in && in->last_status ? "%d" : "-", in ? in->last_status : 0);
    row[COL_STATUS] = cell(t, 10);
    if (in && in->last_error)
        snprintf(err, sizeof(err), "%s: %s", in->error_class ? in->error_class : "error",
                 in->last_error);
    else
        snprintf(err, sizeof(err), "-");
    row[COL_ERROR] = cell(err, ERROR_WIDTH);
    if (!in || !fc->enabled || in->gone)
        snprintf(t, sizeof(t), "-");
    else if (in->next_poll <= now)
        snprintf(t, sizeof(t), "due");
    else
        when(t, sizeof(t), in->next_poll);
    row[COL_NEXT] = cell(t, 40);
    snprintf(t, sizeof(t), "%" PRId64, in ? in->entries : 0);
    row[COL_ENTRIES] = cell(t, 20);
    if (in && in->polls > 0)
        snprintf(t, sizeof(t), "%" PRId64 "%%", in->not_modified * 100 / in->polls);
    else
        snprintf(t, sizeof(t), "-");
    row[COL_RATIO] = cell(t, 10);
    bytes(t, sizeof(t), in ? in->bytes_saved : 0);
    row[COL_SAVED] = cell(t, 20);
    snprintf(t, sizeof(t), "%" PRId64, in ? in->throttled : 0);
    row[COL_429] = cell(t, 20);
    duration(t, sizeof(t),
             in && in->last_poll != TIME_NONE && !in->gone ? in->next_poll - in->last_poll : -1);
    row[COL_INTERVAL] = cell(t, 20);
    if (in && in->hint > 0) {
        char d[32];
        duration(d, sizeof(d), in->hint);
        snprintf(t, sizeof(t), "%s %s", in->hint_source ? in->hint_source : "?", d);
    } else {
        snprintf(t, sizeof(t), "-");
    }
    row[COL_HINT] = cell(t, 40);
    for (int c = 0; c < N_COLUMNS; c++) {
        if (!row[c])
            return -ENOMEM;
    }
    return 0;
}

static void print_table(char **cells, size_t n_rows, FILE *out)
{
    size_t width[N_COLUMNS];

    for (int c = 0; c < N_COLUMNS; c++) {
        width[c] = strlen(feeds_headings[c]);
        for (size_t r = 0; r < n_rows; r++) {
            size_t w = strlen(cells[r * N_COLUMNS + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r <= n_rows; r++) {
        for (int c = 0; c < N_COLUMNS; c++) {
            const char *v = r == 0 ? feeds_headings[c] : cells[(r - 1) * N_COLUMNS + c];
            if (c == N_COLUMNS - 1)
                fprintf(out, "%s\n", v);
            else
                fprintf(out, "%-*s  ", (int)width[c], v);
        }
    }
}

/* ---- JSON ------------------------------------------------------------ */

static void json_str(struct buf *b, const char *s)
{
    if (!s) {
        buf_puts(b, "null");
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            buf_printf(b, "\\u%04x", c);
        else
            buf_putc(b, (char)c);
    }
    buf_putc(b, '"');
}

static void json_time(struct buf *b, int64_t t)
{
    char tmp[CLOCK_RFC3339_LEN];

    if (t == TIME_NONE || t <= 0 || clock_format_rfc3339(t, tmp) < 0)
        buf_puts(b, "null");
    else
        json_str(b, tmp);
}

static void json_feed(struct buf *b, const struct feed_conf *fc, const struct store_feed_info *in,
                      int64_t now)
{
    buf_puts(b, "{\"name\": ");
    json_str(b, fc->name);
    buf_puts(b, ", \"url\": ");
    json_str(b, in ? in->url : fc->url);
    buf_puts(b, ", \"config_url\": ");
    json_str(b, fc->url);
    buf_puts(b, ", \"state\": ");
    json_str(b, state_of(fc, in, now));
    buf_puts(b, ", \"last_fetch\": ");
    json_time(b, in ? in->last_poll : TIME_NONE);
    buf_puts(b, ", \"last_success\": ");
    json_time(b, in ? in->last_success : TIME_NONE);
    buf_printf(b, ", \"last_status\": %d, \"error_count\": %d", in ? in->last_status : 0,
               in ? in->error_count : 0);
    buf_puts(b, ", \"error_class\": ");
    json_str(b, in ? in->error_class : NULL);
    buf_puts(b, ", \"last_error\": ");
    json_str(b, in ? in->last_error : NULL);
    buf_puts(b, ", \"last_outcome\": ");
    json_str(b, in ? in->last_outcome : NULL);
    buf_puts(b, ", \"next_poll\": ");
    json_time(b, in && fc->enabled && !in->gone ? in->next_poll : TIME_NONE);
    if (in) {
        buf_printf(b,
                   ", \"entries\": %" PRId64 ", \"polls\": %" PRId64 ", \"not_modified\": %" PRId64
                   ", \"bytes_saved\": %" PRId64 ", \"throttled\": %" PRId64,
                   in->entries, in->polls, in->not_modified, in->bytes_saved, in->throttled);
    } else {
        buf_puts(b, ", \"entries\": 0, \"polls\": 0, \"not_modified\": 0, \"bytes_saved\": 0,"
                    " \"throttled\": 0");
    }
    buf_puts(b, ", \"retry_after\": ");
    json_time(b, in ? in->retry_after : TIME_NONE);
    if (in && in->last_poll != TIME_NONE && !in->gone)
        buf_printf(b, ", \"interval\": %" PRId64, in->next_poll - in->last_poll);
    else
        buf_puts(b, ", \"interval\": null");
    if (in && in->hint > 0) {
        buf_printf(b, ", \"hint\": %" PRId64 ", \"hint_source\": ", in->hint);
        json_str(b, in->hint_source);
    } else {
        buf_puts(b, ", \"hint\": null, \"hint_source\": null");
    }
    buf_putc(b, '}');
}

/* ---- the command ------------------------------------------------------ */

static int read_info(struct store *s, const struct config *cfg, struct store_feed_info **infos)
{
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        int r = store_feed_info(s, cfg->feeds[i].name, &infos[i]);
        if (r == -ENOENT)
            infos[i] = NULL;
        else if (r < 0)
            return r;
    }
    return 0;
}

static int print_json(const struct config *cfg, struct store_feed_info **infos, int64_t now,
                      FILE *out)
{
    struct buf b;

    buf_init(&b, 64u << 20);
    buf_puts(&b, "[");
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        buf_puts(&b, i ? ",\n " : "\n ");
        json_feed(&b, &cfg->feeds[i], infos[i], now);
    }
    buf_puts(&b, "\n]\n");
    if (b.err)
        return b.err;
    fputs(buf_cstr(&b), out);
    buf_release(&b);
    return 0;
}

static int make_cells(const struct config *cfg, struct store_feed_info **infos, int64_t now,
                      char ***ret)
{
    char **cells = calloc(cfg->n_feeds * N_COLUMNS + 1, sizeof(*cells));
    int r = 0;

    if (!cells)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->n_feeds && r == 0; i++)
        r = fill_row(&cells[i * N_COLUMNS], &cfg->feeds[i], infos[i], now);
    if (r < 0) {
        feeds_cells_free(cells, cfg->n_feeds);
        return r;
    }
    *ret = cells;
    return 0;
}

void feeds_cells_free(char **cells, size_t n_feeds)
{
    for (size_t i = 0; cells && i < n_feeds * N_COLUMNS; i++)
        free(cells[i]);
    free(cells);
}

static int print_text(const struct config *cfg, struct store_feed_info **infos, int64_t now,
                      FILE *out)
{
    char **cells;
    int r = make_cells(cfg, infos, now, &cells);

    if (r == 0) {
        print_table(cells, cfg->n_feeds, out);
        feeds_cells_free(cells, cfg->n_feeds);
    }
    return r;
}

int feeds_cells(const struct config *cfg, struct store *s, int64_t now, char ***ret)
{
    struct store_feed_info **infos = calloc(cfg->n_feeds + 1, sizeof(*infos));
    int r;

    if (!infos)
        return -ENOMEM;
    r = read_info(s, cfg, infos);
    if (r == 0)
        r = make_cells(cfg, infos, now, ret);
    for (size_t i = 0; i < cfg->n_feeds; i++)
        store_feed_info_free(infos[i]);
    free(infos);
    return r;
}

int feeds_print(const struct config *cfg, bool json, int64_t now, FILE *out)
{
    struct store_feed_info **infos = calloc(cfg->n_feeds + 1, sizeof(*infos));
    struct store *s = NULL;
    char err[512];
    int r;

    if (!infos) {
        fprintf(stderr, "heraldd: out of memory\n");
        return 1;
    }
    r = store_open_readonly(cfg->database, &s, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "heraldd: cannot read the database %s\n", err);
        free(infos);
        return 1;
    }
    r = read_info(s, cfg, infos);
    if (r < 0)
        fprintf(stderr, "heraldd: %s: %s\n", cfg->database,
                r == -ENOMEM ? "out of memory" : store_errmsg(s));
    else
        r = json ? print_json(cfg, infos, now, out) : print_text(cfg, infos, now, out);
    if (r == -ENOMEM || r == -E2BIG)
        fprintf(stderr, "heraldd: out of memory\n");
    for (size_t i = 0; i < cfg->n_feeds; i++)
        store_feed_info_free(infos[i]);
    free(infos);
    store_close(s);
    return r < 0 ? 1 : 0;
}
