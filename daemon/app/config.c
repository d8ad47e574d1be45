/* config: see config.h.
 *
 * inih reads the file through our own line reader so that we know the line
 * number of every key (Debian builds inih without INI_HANDLER_LINENO), can
 * reject over-long lines instead of silently splitting them, and strip
 * leading blanks (so indented keys are keys, never continuation lines).
 */
#include "app/config.h"
#include "app/opml.h"
#include "app/webhook.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/url.h"
#include "feed/dedup.h"
#include "feed/model.h"
#include "feed/parse.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_USER_AGENT                                                                         \
    "heraldd/" HERALD_VERSION " (feed aggregator; +https://github.com/herald-feeds/herald)"

enum section_kind {
    SECTION_NONE,
    SECTION_HERALD,
    SECTION_FEED,
    SECTION_OUTPUT,
    SECTION_WEBHOOK,
    SECTION_BAD,
};

enum value_type {
    TYPE_STRING,
    TYPE_PATH,
    TYPE_FILE,     /* a path that must name a readable file when the configuration is read */
    TYPE_DURATION, /* seconds */
    TYPE_DURATION_MS,
    TYPE_SIZE,
    TYPE_INT,
    TYPE_LISTEN,
    TYPE_FEED_URL,
    TYPE_HTTP_URL,
    TYPE_LOG_LEVEL,
    TYPE_BOOL,      /* yes/no, true/false, on/off, 1/0 */
    TYPE_HEADER,    /* a list: every line appends one "Name: value" (max: how many) */
    TYPE_USERNAME,  /* no ':' (HTTP basic) */
    TYPE_SECRET,    /* file:PATH or env:NAME, read now; never a literal */
    TYPE_PROXY_URL, /* http(s)://, socks4(a)://, socks5(h):// */
    TYPE_DEDUP,     /* none, link, story */
    TYPE_WORDS,     /* struct config_words (max: how many words) */
    TYPE_REGEX,     /* a PCRE2 pattern, compiled when the file is read */
    TYPE_FORMAT,    /* a webhook format */
};

struct key_rule {
    enum section_kind section;
    const char *key;
    enum value_type type;
    size_t offset; /* into struct config or struct feed_conf */
    int64_t min;
    int64_t max;
};

#define G(field) offsetof(struct config, field)
#define F(field) offsetof(struct feed_conf, field)
#define O(field) offsetof(struct output_conf, field)
#define W(field) offsetof(struct webhook_conf, field)

static const struct key_rule rules[] = {
    {SECTION_HERALD, "database", TYPE_PATH, G(database), 0, 0},
    {SECTION_HERALD, "listen", TYPE_LISTEN, 0, 0, 0},
    {SECTION_HERALD, "public_url", TYPE_HTTP_URL, G(public_url), 0, 0},
    {SECTION_HERALD, "title", TYPE_STRING, G(title), 1, 200},
    {SECTION_HERALD, "interval", TYPE_DURATION, G(interval), 1, 7 * 86400},
    {SECTION_HERALD, "min_interval", TYPE_DURATION, G(min_interval), 1, 7 * 86400},
    {SECTION_HERALD, "max_interval", TYPE_DURATION, G(max_interval), 1, 30 * 86400},
    {SECTION_HERALD, "max_backoff", TYPE_DURATION, G(max_backoff), 1, 30 * 86400},
    {SECTION_HERALD, "user_agent", TYPE_STRING, G(user_agent), 1, 190},
    {SECTION_HERALD, "ca_file", TYPE_FILE, G(ca_file), 0, 0},
    {SECTION_HERALD, "max_entries", TYPE_INT, G(max_entries), 1, 10000},
    {SECTION_HERALD, "max_concurrent", TYPE_INT, G(max_concurrent), 1, 1000},
    {SECTION_HERALD, "timeout", TYPE_DURATION_MS, G(timeout), 1, 3600},
    {SECTION_HERALD, "connect_timeout", TYPE_DURATION_MS, G(connect_timeout), 1, 600},
    {SECTION_HERALD, "max_feed_size", TYPE_SIZE, G(max_feed_size), 1024, 16 << 20},
    {SECTION_HERALD, "max_redirects", TYPE_INT, G(max_redirects), 0, 20},
    {SECTION_HERALD, "max_feed_entries", TYPE_INT, G(max_feed_entries), 1, 100000},
    {SECTION_HERALD, "max_nesting", TYPE_INT, G(max_nesting), 16, 1024},
    {SECTION_HERALD, "max_field_size", TYPE_SIZE, G(max_field_size), 1024, 16 << 20},
    {SECTION_HERALD, "per_site", TYPE_INT, G(per_site), 1, 100},
    {SECTION_HERALD, "per_host", TYPE_INT, G(per_site), 1, 100}, /* the same, by another name */
    {SECTION_HERALD, "site_gap", TYPE_DURATION_MS, G(site_gap), 0, 3600},
    {SECTION_HERALD, "log_level", TYPE_LOG_LEVEL, G(log_level), 0, 0},
    {SECTION_HERALD, "admin_token", TYPE_SECRET, G(admin_token), 16, 1024},
    {SECTION_HERALD, "dedup", TYPE_DEDUP, G(dedup), 0, 0},
    {SECTION_HERALD, "dedup_window", TYPE_DURATION, G(dedup_window), 3600, 30 * 86400},
    {SECTION_HERALD, "dedup_similarity", TYPE_INT, G(dedup_similarity), 1, 100},
    {SECTION_HERALD, "dedup_prefer", TYPE_WORDS, G(dedup_prefer), 0, 64},
    {SECTION_HERALD, "strip_params", TYPE_WORDS, G(strip_params), 0, 64},
    {SECTION_HERALD, "fold_scheme", TYPE_BOOL, G(fold_scheme), 0, 0},
    {SECTION_HERALD, "fold_slash", TYPE_BOOL, G(fold_slash), 0, 0},
    {SECTION_FEED, "url", TYPE_FEED_URL, F(url), 0, 0},
    {SECTION_FEED, "title", TYPE_STRING, F(title), 1, 200},
    {SECTION_FEED, "interval", TYPE_DURATION, F(interval), 1, 7 * 86400},
    {SECTION_FEED, "user_agent", TYPE_STRING, F(user_agent), 1, 190},
    {SECTION_FEED, "header", TYPE_HEADER, F(headers), 0, 32},
    {SECTION_FEED, "username", TYPE_USERNAME, F(username), 1, 100},
    {SECTION_FEED, "password", TYPE_SECRET, F(password), 1, 1024},
    {SECTION_FEED, "proxy", TYPE_PROXY_URL, F(proxy), 0, 0},
    {SECTION_FEED, "enabled", TYPE_BOOL, F(enabled), 0, 0},
    {SECTION_FEED, "tags", TYPE_WORDS, F(tags), 0, 32},
    {SECTION_HERALD, "default_output", TYPE_STRING, G(default_output), 1, 64},
    {SECTION_HERALD, "cache_max_age", TYPE_DURATION, G(cache_max_age), 0, 86400},
    {SECTION_HERALD, "cors", TYPE_BOOL, G(cors), 0, 0},
    {SECTION_HERALD, "export_dir", TYPE_PATH, G(export_dir), 0, 0},
    {SECTION_HERALD, "opml", TYPE_PATH, G(opml), 0, 0},
    {SECTION_OUTPUT, "title", TYPE_STRING, O(title), 1, 200},
    {SECTION_OUTPUT, "feeds", TYPE_WORDS, O(feeds), 0, 1000},
    {SECTION_OUTPUT, "tags", TYPE_WORDS, O(tags), 0, 64},
    {SECTION_OUTPUT, "include", TYPE_REGEX, O(include), 0, 0},
    {SECTION_OUTPUT, "exclude", TYPE_REGEX, O(exclude), 0, 0},
    {SECTION_OUTPUT, "case_sensitive", TYPE_BOOL, O(case_sensitive), 0, 0},
    {SECTION_OUTPUT, "max_entries", TYPE_INT, O(max_entries), 1, 10000},
    {SECTION_OUTPUT, "max_age", TYPE_DURATION, O(max_age), 60, 3650 * 86400},
    {SECTION_OUTPUT, "dedup", TYPE_DEDUP, O(dedup), 0, 0},
    {SECTION_HERALD, "failing_after", TYPE_INT, G(failing_after), 1, 1000},
    {SECTION_HERALD, "shutdown_timeout", TYPE_DURATION_MS, G(shutdown_timeout), 0, 300},
    {SECTION_HERALD, "keep_days", TYPE_INT, G(keep_days), 0, 36500},
    {SECTION_HERALD, "keep_per_feed", TYPE_INT, G(keep_per_feed), 0, 10000000},
    {SECTION_HERALD, "maintenance_interval", TYPE_DURATION, G(maintenance_interval), 1, 86400},
    {SECTION_WEBHOOK, "url", TYPE_HTTP_URL, W(url), 0, 0},
    {SECTION_WEBHOOK, "outputs", TYPE_WORDS, W(outputs), 0, 64},
    {SECTION_WEBHOOK, "events", TYPE_WORDS, W(event_words), 0, WEBHOOK_N_EVENTS},
    {SECTION_WEBHOOK, "format", TYPE_FORMAT, W(format), 0, 0},
    {SECTION_WEBHOOK, "template", TYPE_PATH, W(template_path), 0, 0},
    {SECTION_WEBHOOK, "secret", TYPE_SECRET, W(secret), 1, 1024},
    {SECTION_WEBHOOK, "header", TYPE_HEADER, W(headers), 0, 32},
    {SECTION_WEBHOOK, "timeout", TYPE_DURATION_MS, W(timeout), 1, 300},
    {SECTION_WEBHOOK, "max_attempts", TYPE_INT, W(max_attempts), 1, 100},
    {SECTION_WEBHOOK, "retry", TYPE_WORDS, W(retry_words), 0, WEBHOOK_MAX_RETRY},
    {SECTION_WEBHOOK, "batch", TYPE_INT, W(batch), 1, 100},
    {SECTION_WEBHOOK, "concurrency", TYPE_INT, W(concurrency), 1, 16},
};

#define MAX_SEEN_KEYS (sizeof(rules) / sizeof(rules[0]))

struct loader {
    const char *path;
    char *dir; /* folder of the file, for relative paths */
    struct config *cfg;
    struct buf *errors;
    int n_errors;
    bool oom;

    /* The reader's view of the file. */
    const char *next; /* next unread byte */
    int line;
    enum section_kind section;
    struct feed_conf *feed;       /* current [feed] section */
    struct output_conf *output;   /* current [output] section */
    struct webhook_conf *webhook; /* current [webhook] section */
    const struct key_rule *seen[MAX_SEEN_KEYS];
    size_t n_seen;
    /* Feed names seen so far: an open-addressing table of indexes + 1 into
     * cfg->feeds (0: empty), so that 10,000 feeds are not compared pairwise. */
    size_t *names;
    size_t names_cap; /* a power of two, at least twice the feeds */
};

static void errorf(struct loader *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errorf(struct loader *l, int line, const char *fmt, ...)
{
    va_list ap;

    l->n_errors++;
    if (line > 0)
        buf_printf(l->errors, "%s:%d: ", l->path, line);
    else
        buf_printf(l->errors, "%s: ", l->path);
    va_start(ap, fmt);
    buf_vprintf(l->errors, fmt, ap);
    va_end(ap);
    buf_putc(l->errors, '\n');
}

/* ---- value parsers ---------------------------------------------------- */

static int parse_int(const char *s, int64_t *ret)
{
    char *end;
    long long v;

    if (!isdigit((unsigned char)*s) && *s != '-')
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (end == s || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

int config_parse_duration_ms(const char *s, int64_t *ret_ms)
{
    int64_t total = 0;

    if (!*s)
        return -EINVAL;
    while (*s) {
        char *end;
        unsigned long long v;
        int64_t unit;
        size_t len = 1;

        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE || v > INT32_MAX)
            return -ERANGE;
        switch (*end) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            if (end[1] == 's') {
                unit = 1;
                len = 2;
            } else {
                unit = 60 * 1000;
            }
            break;
        case 'h':
            unit = 3600 * 1000;
            break;
        case 'd':
            unit = 86400 * 1000;
            break;
        case '\0':
            if (total != 0)
                return -EINVAL; /* "1h30" is ambiguous */
            unit = 1000;
            len = 0;
            break;
        default:
            return -EINVAL;
        }
        total += (int64_t)v * unit;
        if (total > (int64_t)INT32_MAX * 1000)
            return -ERANGE;
        s = end + len;
    }
    *ret_ms = total;
    return 0;
}

int config_parse_duration(const char *s, int64_t *ret_seconds)
{
    int64_t ms;
    int r = config_parse_duration_ms(s, &ms);

    if (r < 0)
        return r;
    if (ms % 1000)
        return -EINVAL; /* whole seconds only */
    *ret_seconds = ms / 1000;
    return 0;
}

int config_parse_size(const char *s, int64_t *ret_bytes)
{
    char *end;
    unsigned long long v;
    int shift = 0;

    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    default:
        return -EINVAL;
    }
    if (*end && end[1] != '\0' && strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0)
        return -EINVAL;
    if (v > (1ULL << 40) >> shift)
        return -ERANGE;
    *ret_bytes = (int64_t)(v << shift);
    return 0;
}

int config_parse_listen(const char *s, char **ret_host, int *ret_port)
{
    const char *colon, *host = s;
    size_t hostlen;
    int64_t port;
    char *h;

    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        host = s + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -EINVAL;
        hostlen = (size_t)(colon - s);
    }
    if (hostlen == 0 || parse_int(colon + 1, &port) < 0 || port < 1 || port > 65535)
        return -EINVAL;
    h = strndup(host, hostlen);
    if (!h)
        return -ENOMEM;
    *ret_host = h;
    *ret_port = (int)port;
    return 0;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static char *join_path(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

/* file:///abs, file:/abs, or file:rel (relative to the config's folder). */
static char *file_url(const struct loader *l, const char *s)
{
    const char *path = s + 5;
    char *joined = NULL, *url;
    size_t n;

    if (strncmp(path, "//", 2) == 0) {
        path += 2;
        if (*path != '/')
            return NULL; /* file://host/... is not ours */
    }
    if (*path == '\0')
        return NULL;
    if (*path != '/') {
        joined = join_path(l->dir, path);
        if (!joined)
            return NULL;
        path = joined;
    }
    n = strlen(path) + 8;
    url = malloc(n);
    if (url)
        snprintf(url, n, "file://%s", path);
    free(joined);
    return url;
}

/* "Name: value": a header field name (RFC 9110 token), a colon, and a
 * value of visible characters and blanks. Headers Herald sets itself are
 * refused: they would be sent twice or fight the conditional requests. */
/* A header line of a feed (webhook: of a webhook's requests). */
static const char *check_header(const char *s, bool webhook)
{
    static const char *const feed_reserved[] = {
        "host",       "if-none-match",  "if-modified-since", "authorization",
        "user-agent", "content-length", "accept-encoding"};
    /* Webhooks have no username/password: Authorization is theirs to set. */
    static const char *const hook_reserved[] = {
        "host",       "content-length",    "content-type",     "transfer-encoding",
        "webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *const *reserved = webhook ? hook_reserved : feed_reserved;
    size_t n_reserved = webhook ? sizeof(hook_reserved) / sizeof(hook_reserved[0])
                                : sizeof(feed_reserved) / sizeof(feed_reserved[0]);
    const char *colon = strchr(s, ':');
    size_t n;

    if (!colon || colon == s)
        return "header must be 'Name: value'";
    n = (size_t)(colon - s);
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
            return "header: bad character in the header name";
    }
    for (const char *p = colon + 1; *p; p++) {
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return "header: control character in the value";
    }
    for (size_t i = 0; i < n_reserved; i++) {
        if (strlen(reserved[i]) == n && strncasecmp(s, reserved[i], n) == 0)
            return webhook ? "header: Herald sets this header itself"
                           : "header: Herald sets this header itself (use user_agent, "
                             "username/password)";
    }
    return NULL;
}

static bool valid_proxy_url(const char *s)
{
    static const char *const schemes[] = {"http://",    "https://",  "socks4://",
                                          "socks4a://", "socks5://", "socks5h://"};

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        const char *rest = s + strlen(schemes[i]);
        if (!has_prefix_ci(s, schemes[i]))
            continue;
        if (*rest == '\0' || *rest == '/' || *rest == ':')
            return false;
        for (; *s; s++) {
            if ((unsigned char)*s <= 0x20 || *s == 0x7f)
                return false;
        }
        return true;
    }
    return false;
}

static int parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- the table-driven handler ---------------------------------------- */

static int set_string(struct loader *l, char **field, const char *value)
{
    char *copy = strdup(value);

    if (!copy) {
        l->oom = true;
        return -ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

static void *field_base(struct loader *l, const struct key_rule *r)
{
    if (r->section == SECTION_FEED)
        return l->feed;
    if (r->section == SECTION_WEBHOOK)
        return l->webhook;
    return r->section == SECTION_OUTPUT ? (void *)l->output : (void *)l->cfg;
}

static void apply_int(struct loader *l, const struct key_rule *r, int64_t v, const char *unit,
                      int64_t *field)
{
    if (v < r->min || v > r->max) {
        errorf(l, l->line, "%s must be between %lld and %lld%s", r->key, (long long)r->min,
               (long long)r->max, unit);
        return;
    }
    *field = v;
}

/* Reads a secret from file:PATH (relative to the config's folder; one
 * trailing line break dropped) or env:NAME into *ret. Messages name the
 * file or variable, never the secret. */
static int read_secret_file(struct loader *l, const char *key, const char *path, char **ret)
{
    char *full = *path == '/' ? strdup(path) : join_path(l->dir, path);
    FILE *f;
    char buf[1026];
    size_t n;

    if (!full) {
        l->oom = true;
        return -ENOMEM;
    }
    f = fopen(full, "re");
    if (!f) {
        errorf(l, l->line, "%s: cannot read %s: %s", key, full, strerror(errno));
        free(full);
        return -EINVAL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    if (ferror(f) || !feof(f)) {
        errorf(l, l->line, "%s: %s: %s", key, full,
               ferror(f) ? "read error" : "longer than 1024 bytes");
        fclose(f);
        free(full);
        return -EINVAL;
    }
    fclose(f);
    free(full);
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    *ret = strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    if (!*ret) {
        l->oom = true;
        return -ENOMEM;
    }
    return 0;
}

static void apply_secret(struct loader *l, const struct key_rule *r, const char *value,
                         char **field)
{
    char *secret = NULL;

    if (strncmp(value, "file:", 5) == 0 && value[5]) {
        if (read_secret_file(l, r->key, value + 5, &secret) < 0)
            return;
    } else if (strncmp(value, "env:", 4) == 0 && value[4]) {
        const char *v = getenv(value + 4);
        if (!v) {
            errorf(l, l->line, "%s: environment variable %s is not set", r->key, value + 4);
            return;
        }
        secret = strdup(v);
        if (!secret) {
            l->oom = true;
            return;
        }
    } else {
        /* The value is not echoed: it may be the password itself. */
        errorf(l, l->line,
               "%s must be file:PATH or env:NAME (a secret is never written in the "
               "configuration)",
               r->key);
        return;
    }
    if (strlen(secret) < (size_t)r->min || strlen(secret) > (size_t)r->max ||
        strpbrk(secret, "\r\n")) {
        errorf(l, l->line, "%s: the secret from %s is empty, too long or spans lines", r->key,
               value);
        free(secret);
        return;
    }
    if (*field) {
        explicit_bzero(*field, strlen(*field));
        free(*field);
    }
    *field = secret;
}

/* Appends the words of value (separated by commas or blanks). */
static void apply_words(struct loader *l, const struct key_rule *r, const char *value,
                        struct config_words *w)
{
    const char *p = value;

    w->line = l->line;
    while (*p) {
        size_t n;
        char **v;

        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (!n)
            break;
        if (w->n >= (size_t)r->max) {
            errorf(l, l->line, "%s: at most %lld words", r->key, (long long)r->max);
            return;
        }
        v = realloc(w->v, (w->n + 2) * sizeof(*v));
        if (!v) {
            l->oom = true;
            return;
        }
        w->v = v;
        if (!(v[w->n] = strndup(p, n))) {
            l->oom = true;
            v[w->n] = NULL;
            return;
        }
        v[++w->n] = NULL;
        p += n;
    }
}

static void free_words(struct config_words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
}

static void apply_header(struct loader *l, const struct key_rule *r, const char *value,
                         char ***field)
{
    size_t *n = l->webhook ? &l->webhook->n_headers : &l->feed->n_headers;
    const char *problem = check_header(value, l->webhook != NULL);
    char **list;

    if (problem) {
        errorf(l, l->line, "%s", problem);
        return;
    }
    if (*n >= (size_t)r->max) {
        errorf(l, l->line, "at most %lld header lines per section", (long long)r->max);
        return;
    }
    list = realloc(*field, (*n + 2) * sizeof(*list));
    if (!list) {
        l->oom = true;
        return;
    }
    *field = list;
    list[*n] = strdup(value);
    if (!list[*n]) {
        l->oom = true;
        list[*n] = NULL;
        return;
    }
    list[++*n] = NULL;
}

static const char *const format_names[] = {
    [WEBHOOK_JSON] = "json", [WEBHOOK_SLACK] = "slack",       [WEBHOOK_DISCORD] = "discord",
    [WEBHOOK_NTFY] = "ntfy", [WEBHOOK_TEMPLATE] = "template",
};

static const char *const event_names[WEBHOOK_N_EVENTS] = {
    "story.new", "story.updated", "story.source_added", "feed.moved",
    "feed.gone", "feed.failing",  "feed.recovered",
};

const char *config_webhook_event_name(unsigned bit)
{
    for (unsigned i = 0; i < WEBHOOK_N_EVENTS; i++)
        if (bit == 1u << i)
            return event_names[i];
    return NULL;
}

static void apply(struct loader *l, const struct key_rule *r, const char *value)
{
    char *base = field_base(l, r);
    int64_t *ifield = (int64_t *)(void *)(base + r->offset);
    char **sfield = (char **)(void *)(base + r->offset);
    int64_t v;

    switch (r->type) {
    case TYPE_STRING:
        if (strlen(value) < (size_t)r->min || strlen(value) > (size_t)r->max)
            errorf(l, l->line, "%s must be 1 to %lld characters", r->key, (long long)r->max);
        else
            set_string(l, sfield, value);
        break;
    case TYPE_PATH:
    case TYPE_FILE:
        if (!*value) {
            errorf(l, l->line, "%s must not be empty", r->key);
        } else if (*value == '/') {
            set_string(l, sfield, value);
        } else {
            char *p = join_path(l->dir, value);
            if (!p) {
                l->oom = true;
                break;
            }
            free(*sfield);
            *sfield = p;
        }
        if (r->type == TYPE_FILE && *sfield && access(*sfield, R_OK) != 0)
            errorf(l, l->line, "%s: cannot read %s: %s", r->key, *sfield, strerror(errno));
        break;
    case TYPE_DURATION:
        if (config_parse_duration(value, &v) < 0)
            errorf(l, l->line, "%s: bad duration '%s' (use e.g. 90s, 15m, 2h, 1d)", r->key, value);
        else
            apply_int(l, r, v, " seconds", ifield);
        break;
    case TYPE_DURATION_MS:
        /* Bounds in the table are seconds; the field holds milliseconds. */
        if (config_parse_duration_ms(value, &v) < 0)
            errorf(l, l->line, "%s: bad duration '%s' (use e.g. 500ms, 10s, 2m)", r->key, value);
        else if (v < r->min * 1000 || v > r->max * 1000)
            errorf(l, l->line, "%s must be between %lld and %lld seconds", r->key,
                   (long long)r->min, (long long)r->max);
        else
            *ifield = v;
        break;
    case TYPE_SIZE:
        if (config_parse_size(value, &v) < 0)
            errorf(l, l->line, "%s: bad size '%s' (use e.g. 512k, 8M)", r->key, value);
        else
            apply_int(l, r, v, " bytes", ifield);
        break;
    case TYPE_INT:
        if (parse_int(value, &v) < 0)
            errorf(l, l->line, "%s: '%s' is not a whole number", r->key, value);
        else
            apply_int(l, r, v, "", ifield);
        break;
    case TYPE_LISTEN: {
        char *host;
        int port, err = config_parse_listen(value, &host, &port);
        if (err == -ENOMEM) {
            l->oom = true;
        } else if (err < 0) {
            errorf(l, l->line, "listen: bad address '%s' (use HOST:PORT, e.g. 127.0.0.1:8080)",
                   value);
        } else {
            free(l->cfg->listen_host);
            l->cfg->listen_host = host;
            l->cfg->listen_port = port;
        }
        break;
    }
    case TYPE_FEED_URL:
        if (has_prefix_ci(value, "file:")) {
            char *u = file_url(l, value);
            if (!u) {
                errorf(l, l->line, "url: bad file URL '%s'", value);
                break;
            }
            free(*sfield);
            *sfield = u;
            break;
        }
        /* fall through */
    case TYPE_HTTP_URL:
        if (!url_is_http(value))
            errorf(l, l->line, "%s: '%s' is not an http:// or https:// URL", r->key, value);
        else
            set_string(l, sfield, value);
        break;
    case TYPE_LOG_LEVEL:
        if (strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info") &&
            strcmp(value, "debug"))
            errorf(l, l->line, "log_level must be error, warn, info or debug, not '%s'", value);
        else
            set_string(l, sfield, value);
        break;
    case TYPE_BOOL: {
        bool b;
        if (parse_bool(value, &b) < 0)
            errorf(l, l->line, "%s must be yes or no, not '%s'", r->key, value);
        else
            *(bool *)(void *)(base + r->offset) = b;
        break;
    }
    case TYPE_HEADER:
        apply_header(l, r, value, (char ***)(void *)(base + r->offset));
        break;
    case TYPE_DEDUP: {
        enum dedup_level lv;
        if (dedup_level_parse(value, &lv) < 0)
            errorf(l, l->line, "dedup must be none, link or story, not '%s'", value);
        else
            *(int *)(void *)(base + r->offset) = (int)lv;
        break;
    }
    case TYPE_WORDS:
        apply_words(l, r, value, (struct config_words *)(void *)(base + r->offset));
        break;
    case TYPE_REGEX:
        /* Compiled in finish(), where its line is reported. */
        if (!*value) {
            errorf(l, l->line, "%s must not be empty", r->key);
        } else if (set_string(l, sfield, value) == 0) {
            if (sfield == &l->output->include)
                l->output->include_line = l->line;
            else
                l->output->exclude_line = l->line;
        }
        break;
    case TYPE_USERNAME:
        if (strlen(value) < (size_t)r->min || strlen(value) > (size_t)r->max || strchr(value, ':'))
            errorf(l, l->line, "%s must be 1 to %lld characters without ':'", r->key,
                   (long long)r->max);
        else
            set_string(l, sfield, value);
        break;
    case TYPE_SECRET:
        apply_secret(l, r, value, sfield);
        break;
    case TYPE_FORMAT: {
        size_t i = 0;
        while (i < sizeof(format_names) / sizeof(format_names[0]) && strcmp(format_names[i], value))
            i++;
        if (i == sizeof(format_names) / sizeof(format_names[0]))
            errorf(l, l->line, "format must be json, slack, discord, ntfy or template, not '%s'",
                   value);
        else
            *(int *)(void *)(base + r->offset) = (int)i;
        break;
    }
    case TYPE_PROXY_URL:
        if (!valid_proxy_url(value))
            errorf(l, l->line,
                   "%s: '%s' is not a proxy URL (http://, https://, socks4://, socks5://...)",
                   r->key, value);
        else
            set_string(l, sfield, value);
        break;
    }
}

static const struct key_rule *find_rule(enum section_kind section, const char *key)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (rules[i].section == section && strcmp(rules[i].key, key) == 0)
            return &rules[i];
    }
    return NULL;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct loader *l = user;
    const struct key_rule *r;

    (void)section; /* tracked by the reader, with its line */
    if (l->section == SECTION_BAD)
        return 1; /* reported once at the section line */
    if (l->section == SECTION_NONE) {
        errorf(l, l->line, "'%s' outside of any section", key);
        return 1;
    }
    r = find_rule(l->section, key);
    if (!r) {
        errorf(l, l->line, "unknown key '%s' in [%s]", key,
               l->section == SECTION_FEED      ? "feed"
               : l->section == SECTION_OUTPUT  ? "output"
               : l->section == SECTION_WEBHOOK ? "webhook"
                                               : "herald");
        return 1;
    }
    for (size_t i = 0; i < l->n_seen && r->type != TYPE_HEADER; i++) {
        if (l->seen[i] == r) {
            errorf(l, l->line, "duplicate key '%s'", key);
            return 1;
        }
    }
    if (l->n_seen < MAX_SEEN_KEYS)
        l->seen[l->n_seen++] = r;
    apply(l, r, value);
    return 1;
}

/* ---- sections, seen by the line reader ------------------------------- */

/* Any printable text but quotes and backslashes: names show up in logs,
 * the database and (later) URLs, so control characters are refused. */
static bool valid_feed_name(const char *s, size_t n)
{
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static size_t name_hash(const char *name, size_t n)
{
    size_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

/* The slot of name in l->names: its feed's, or the empty one to take. */
static size_t *name_slot(struct loader *l, const char *name, size_t n)
{
    const struct config *c = l->cfg;
    size_t mask = l->names_cap - 1;

    for (size_t i = name_hash(name, n) & mask;; i = (i + 1) & mask) {
        size_t *slot = &l->names[i];
        const char *other = *slot ? c->feeds[*slot - 1].name : NULL;
        if (!other || (strncmp(other, name, n) == 0 && other[n] == '\0'))
            return slot;
    }
}

/* Room for one more name; false on OOM. */
static bool names_reserve(struct loader *l)
{
    const struct config *c = l->cfg;
    size_t *old = l->names, old_cap = l->names_cap;

    if ((c->n_feeds + 1) * 2 <= l->names_cap)
        return true;
    l->names_cap = old_cap ? old_cap * 2 : 64;
    l->names = calloc(l->names_cap, sizeof(*l->names));
    if (!l->names) {
        l->names = old;
        l->names_cap = old_cap;
        return false;
    }
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i]) {
            const char *name = c->feeds[old[i] - 1].name;
            *name_slot(l, name, strlen(name)) = old[i];
        }
    }
    free(old);
    return true;
}

static void add_feed(struct loader *l, const char *name, size_t n)
{
    struct config *c = l->cfg;
    struct feed_conf *feeds;
    size_t *slot;

    if (!names_reserve(l)) {
        l->oom = true;
        l->section = SECTION_BAD;
        return;
    }
    slot = name_slot(l, name, n);
    if (*slot) {
        errorf(l, l->line, "feed \"%.*s\" is already defined on line %d", (int)n, name,
               c->feeds[*slot - 1].line);
        l->section = SECTION_BAD;
        return;
    }
    feeds = realloc(c->feeds, (c->n_feeds + 1) * sizeof(*feeds));
    if (!feeds) {
        l->oom = true;
        l->section = SECTION_BAD;
        return;
    }
    c->feeds = feeds;
    l->feed = &feeds[c->n_feeds];
    *l->feed = (struct feed_conf){.name = strndup(name, n), .enabled = true, .line = l->line};
    if (!l->feed->name) {
        l->oom = true;
        l->section = SECTION_BAD;
        l->feed = NULL;
        return;
    }
    c->n_feeds++;
    *slot = c->n_feeds;
}

static bool valid_output_name(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void add_output(struct loader *l, const char *name, size_t n)
{
    struct config *c = l->cfg;
    struct output_conf *outs;

    for (size_t i = 0; i < c->n_outputs; i++) {
        if (strlen(c->outputs[i].name) == n && memcmp(c->outputs[i].name, name, n) == 0) {
            errorf(l, l->line, "output \"%.*s\" is already defined on line %d", (int)n, name,
                   c->outputs[i].line);
            l->section = SECTION_BAD;
            return;
        }
    }
    outs = realloc(c->outputs, (c->n_outputs + 2) * sizeof(*outs));
    if (!outs) {
        l->oom = true;
        l->section = SECTION_BAD;
        return;
    }
    c->outputs = outs;
    l->output = &outs[c->n_outputs];
    *l->output = (struct output_conf){.name = strndup(name, n), .dedup = -1, .line = l->line};
    if (!l->output->name)
        l->oom = true;
    c->n_outputs++;
}

static void add_webhook(struct loader *l, const char *name, size_t n)
{
    struct config *c = l->cfg;
    struct webhook_conf *hooks;

    for (size_t i = 0; i < c->n_webhooks; i++) {
        if (strlen(c->webhooks[i].name) == n && memcmp(c->webhooks[i].name, name, n) == 0) {
            errorf(l, l->line, "webhook \"%.*s\" is already defined on line %d", (int)n, name,
                   c->webhooks[i].line);
            l->section = SECTION_BAD;
            return;
        }
    }
    hooks = realloc(c->webhooks, (c->n_webhooks + 1) * sizeof(*hooks));
    if (!hooks) {
        l->oom = true;
        l->section = SECTION_BAD;
        return;
    }
    c->webhooks = hooks;
    l->webhook = &hooks[c->n_webhooks];
    *l->webhook = (struct webhook_conf){
        .name = strndup(name, n),
        .events = WEBHOOK_STORY_NEW,
        .timeout = 15 * 1000,
        .max_attempts = 8,
        .retry = {5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 24 * 3600},
        .n_retry = 7,
        .batch = 1,
        .concurrency = 1,
        .line = l->line,
    };
    if (!l->webhook->name)
        l->oom = true;
    c->n_webhooks++;
}

/* `[KIND "NAME"]` at name (len bytes between the brackets): the NAME, or
 * NULL. */
static const char *quoted_name(const char *name, size_t len, size_t kind_len, size_t *ret_n)
{
    const char *q = name + kind_len, *end = name + len;

    while (*q == ' ')
        q++;
    if (q < end && *q == '"' && end[-1] == '"' && end - 1 > q) {
        *ret_n = (size_t)(end - 1 - (q + 1));
        return q + 1;
    }
    return NULL;
}

/* s: the line, without leading blanks, starting with '['. */
static void begin_section(struct loader *l, const char *s)
{
    const char *end = strchr(s, ']');
    const char *name = s + 1;
    size_t len;

    l->n_seen = 0;
    l->feed = NULL;
    l->output = NULL;
    l->webhook = NULL;
    l->section = SECTION_BAD;
    if (!end) {
        return; /* inih reports the syntax error */
    }
    len = (size_t)(end - name);
    if (len == 6 && memcmp(name, "herald", 6) == 0) {
        l->section = SECTION_HERALD;
        return;
    }
    if (len > 5 && memcmp(name, "feed ", 5) == 0) {
        const char *q = name + 5;
        while (*q == ' ')
            q++;
        if (*q == '"' && end[-1] == '"' && end - 1 > q) {
            if (!valid_feed_name(q + 1, (size_t)(end - 1 - (q + 1)))) {
                errorf(l, l->line,
                       "bad feed name %.*s (1 to 100 characters, no quotes, backslashes or control "
                       "characters)",
                       (int)(end - q), q);
                return;
            }
            l->section = SECTION_FEED;
            add_feed(l, q + 1, (size_t)(end - 1 - (q + 1)));
            return;
        }
        errorf(l, l->line, "bad section [%.*s] (use [feed \"NAME\"])", (int)len, name);
        return;
    }
    if (len > 7 && memcmp(name, "output ", 7) == 0) {
        size_t n;
        const char *q = quoted_name(name, len, 7, &n);

        if (!q) {
            errorf(l, l->line, "bad section [%.*s] (use [output \"NAME\"])", (int)len, name);
        } else if (!valid_output_name(q, n)) {
            errorf(l, l->line,
                   "bad output name \"%.*s\" (1 to 64 letters, digits, '.', '_' or '-': it is "
                   "part of URLs)",
                   (int)n, q);
        } else {
            l->section = SECTION_OUTPUT;
            add_output(l, q, n);
        }
        return;
    }
    if (len > 8 && memcmp(name, "webhook ", 8) == 0) {
        size_t n;
        const char *q = quoted_name(name, len, 8, &n);

        if (!q) {
            errorf(l, l->line, "bad section [%.*s] (use [webhook \"NAME\"])", (int)len, name);
        } else if (!valid_output_name(q, n)) {
            errorf(l, l->line,
                   "bad webhook name \"%.*s\" (1 to 64 letters, digits, '.', '_' or '-')", (int)n,
                   q);
        } else {
            l->section = SECTION_WEBHOOK;
            add_webhook(l, q, n);
        }
        return;
    }
    errorf(l, l->line, "unknown section [%.*s]", (int)len, name);
}

/* inih's ini_reader: one line per call (fgets-like). */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *l = stream;
    const char *nl, *p = l->next;
    size_t len, linelen;

    if (!p || !*p)
        return NULL;
    l->line++;
    if (l->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a UTF-8 byte order mark */
    nl = strchr(p, '\n');
    linelen = nl ? (size_t)(nl - p) : strlen(p);
    l->next = nl ? nl + 1 : p + linelen;
    while (linelen > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        linelen--;
    }
    len = linelen;
    if (len + 2 > (size_t)num) {
        errorf(l, l->line, "line too long (at most %d characters)", num - 2);
        len = 0;
    }
    memcpy(str, p, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    if (len > 0 && *p == '[')
        begin_section(l, str);
    return str;
}

/* ---- loading ---------------------------------------------------------- */

static int read_file(const char *path, char **ret, struct buf *errors)
{
    FILE *f = fopen(path, "re");
    struct buf b;
    char chunk[4096];
    size_t n;
    int err = 0;

    if (!f) {
        err = -errno;
        buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
        return err;
    }
    buf_init(&b, 4 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) < 0)
            break;
    }
    if (ferror(f))
        err = -EIO;
    else if (b.err)
        err = b.err;
    fclose(f);
    if (err) {
        buf_printf(errors, "%s: cannot read: %s\n", path, strerror(-err));
        buf_release(&b);
        return err;
    }
    *ret = buf_steal(&b);
    return 0;
}

/* The absolute folder of path (which exists: it was just read). */
static char *dir_of(const char *path)
{
    char *abs = realpath(path, NULL), *slash, *dir;

    if (!abs)
        return NULL;
    slash = strrchr(abs, '/');
    dir = slash == abs ? strdup("/") : strndup(abs, (size_t)(slash - abs));
    free(abs);
    return dir;
}

static int set_defaults(struct config *c, const char *dir)
{
    c->database = join_path(dir, "herald.db");
    c->listen_host = strdup("127.0.0.1");
    c->listen_port = 8080;
    c->title = strdup("Herald");
    c->interval = 30 * 60;
    c->min_interval = 5 * 60;
    c->max_interval = 86400;
    c->max_backoff = 86400;
    c->user_agent = strdup(DEFAULT_USER_AGENT);
    c->max_entries = 100;
    c->max_concurrent = 16;
    c->timeout = 30 * 1000;
    c->connect_timeout = 10 * 1000;
    c->max_feed_size = 8 << 20;
    c->max_redirects = 5;
    c->max_feed_entries = FEED_MAX_ENTRIES;
    c->max_nesting = FEED_LIMIT_MAX_DEPTH;
    c->max_field_size = FEED_LIMIT_MAX_FIELD;
    c->per_site = 2;
    c->site_gap = 1000;
    c->log_level = strdup("info");
    c->dedup = DEDUP_STORY;
    c->dedup_window = 72 * 3600;
    c->dedup_similarity = STORE_DEFAULT_SIMILARITY;
    c->fold_scheme = true;
    c->fold_slash = true;
    c->default_output = strdup("all");
    c->cache_max_age = 60;
    c->failing_after = 3;
    c->shutdown_timeout = 10 * 1000;
    c->keep_days = 90;
    c->keep_per_feed = 1000;
    c->maintenance_interval = 600;
    if (!c->default_output)
        return -ENOMEM;
    if (!c->database || !c->listen_host || !c->title || !c->user_agent || !c->log_level)
        return -ENOMEM;
    return 0;
}

static void *compile_re(struct loader *l, const struct output_conf *o, const char *key,
                        const char *pattern, int line)
{
    int code;
    PCRE2_SIZE offset;
    uint32_t flags = PCRE2_UTF | PCRE2_UCP | (o->case_sensitive ? 0 : PCRE2_CASELESS);
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags, &code, &offset, NULL);

    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        errorf(l, line, "output \"%s\": %s: bad regular expression at offset %zu: %s", o->name, key,
               (size_t)offset, (const char *)msg);
        return NULL;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimization only */
    return re;
}

static bool has_tag(const struct config *c, const char *tag)
{
    for (size_t i = 0; i < c->n_feeds; i++)
        for (size_t k = 0; k < c->feeds[i].tags.n; k++)
            if (strcmp(c->feeds[i].tags.v[k], tag) == 0)
                return true;
    return false;
}

static int finish_outputs(struct loader *l)
{
    struct config *c = l->cfg;

    if (!config_find_output(c, "all")) {
        /* add_output() keeps room for one more */
        struct output_conf *all =
            c->outputs ? &c->outputs[c->n_outputs] : (c->outputs = calloc(1, sizeof(*all)));
        if (!all)
            return -ENOMEM;
        *all = (struct output_conf){.name = strdup("all"), .dedup = -1, .implicit = true};
        if (!all->name)
            return -ENOMEM;
        c->n_outputs++;
    }
    for (size_t i = 0; i < c->n_outputs; i++) {
        struct output_conf *o = &c->outputs[i];

        for (size_t k = 0; k < o->feeds.n; k++)
            if (!config_find_feed(c, o->feeds.v[k]))
                errorf(l, o->feeds.line, "output \"%s\": no feed is named \"%s\"", o->name,
                       o->feeds.v[k]);
        for (size_t k = 0; k < o->tags.n; k++)
            if (!has_tag(c, o->tags.v[k]))
                errorf(l, o->tags.line, "output \"%s\": no feed has the tag \"%s\"", o->name,
                       o->tags.v[k]);
        if (o->include)
            o->include_re = compile_re(l, o, "include", o->include, o->include_line);
        if (o->exclude)
            o->exclude_re = compile_re(l, o, "exclude", o->exclude, o->exclude_line);
    }
    if (!config_find_output(c, c->default_output))
        errorf(l, 0, "default_output: no output is named \"%s\"", c->default_output);
    return 0;
}

/* The outlines of the [herald] opml file whose URL no [feed] has become
 * enabled feeds, named as `heraldd import-opml` names them (opml.h).
 * Problems are errors of the config ("OPML:LINE: ..."); returns 0 or
 * -ENOMEM. */
static int add_opml_feeds(struct loader *l)
{
    struct config *c = l->cfg;
    struct opml_feed *f = NULL;
    size_t n = 0, n_add = 0;
    const char **titles = NULL, **taken = NULL;
    char **names = NULL, err[512];
    struct feed_conf *feeds;
    int r = opml_read(c->opml, &f, &n, err, sizeof(err));

    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        errorf(l, 0, "%s", err);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;

        for (size_t k = 0; k < c->n_feeds && !known; k++)
            known = c->feeds[k].url && strcmp(c->feeds[k].url, f[i].url) == 0;
        if (!known && !url_is_http(f[i].url))
            errorf(l, 0, "%s:%d: xmlUrl is not an http:// or https:// URL", c->opml, f[i].line);
        if (!known && url_is_http(f[i].url)) {
            struct opml_feed keep = f[n_add]; /* keeps the order of the added ones */
            f[n_add++] = f[i];
            f[i] = keep;
        }
    }
    titles = calloc(n_add + 1, sizeof(*titles));
    taken = calloc(c->n_feeds + 1, sizeof(*taken));
    feeds = realloc(c->feeds, (c->n_feeds + n_add + 1) * sizeof(*feeds));
    if (feeds)
        c->feeds = feeds;
    r = titles && taken && feeds ? 0 : -ENOMEM;
    for (size_t i = 0; i < n_add && r == 0; i++)
        titles[i] = f[i].title;
    for (size_t k = 0; k < c->n_feeds && r == 0; k++)
        taken[k] = c->feeds[k].name;
    if (r == 0)
        r = opml_names(titles, n_add, taken, c->n_feeds, &names);
    for (size_t i = 0; i < n_add && r == 0; i++) {
        bool titled = strcmp(f[i].title, f[i].url) != 0 && !opml_value_problem(f[i].title);

        c->feeds[c->n_feeds++] = (struct feed_conf){
            .name = names[i],
            .url = f[i].url,
            .title = titled ? f[i].title : NULL,
            .enabled = true,
            .tags = {.v = f[i].tags, .n = f[i].n_tags},
        };
        names[i] = NULL;
        f[i].url = NULL;
        f[i].tags = NULL;
        f[i].n_tags = 0;
        if (titled)
            f[i].title = NULL;
    }
    opml_names_free(names, n_add);
    free(titles);
    free(taken);
    opml_feeds_free(f, n);
    return r;
}

/* Reads a webhook's template (at most 64 KiB). */
static int read_template(struct loader *l, struct webhook_conf *w)
{
    struct buf errs;
    int r;

    buf_init(&errs, 4096);
    r = read_file(w->template_path, &w->template_text, &errs);
    if (r == -ENOMEM) {
        buf_release(&errs);
        return r;
    }
    if (r < 0)
        errorf(l, w->line, "webhook \"%s\": template: %s", w->name,
               errs.data ? errs.data : "cannot read it");
    else if (strlen(w->template_text) > 64 << 10)
        errorf(l, w->line, "webhook \"%s\": template %s is over 64 KiB", w->name, w->template_path);
    buf_release(&errs);
    return 0;
}

static int finish_webhooks(struct loader *l)
{
    struct config *c = l->cfg;

    for (size_t i = 0; i < c->n_webhooks; i++) {
        struct webhook_conf *w = &c->webhooks[i];
        size_t n = w->outputs.n ? w->outputs.n : 1;

        if (!w->url)
            errorf(l, w->line, "webhook \"%s\" has no url", w->name);
        w->outs = calloc(n, sizeof(*w->outs));
        if (!w->outs)
            return -ENOMEM;
        for (size_t k = 0; k < w->outputs.n; k++) {
            const struct output_conf *o = config_find_output(c, w->outputs.v[k]);
            if (!o)
                errorf(l, w->outputs.line, "webhook \"%s\": no output is named \"%s\"", w->name,
                       w->outputs.v[k]);
            else
                w->outs[w->n_outs++] = o;
        }
        if (!w->outputs.n && (w->outs[0] = config_find_output(c, c->default_output)))
            w->n_outs = 1;
        if (w->event_words.n)
            w->events = 0;
        for (size_t k = 0; k < w->event_words.n; k++) {
            unsigned e = 0;
            while (e < WEBHOOK_N_EVENTS && strcmp(event_names[e], w->event_words.v[k]))
                e++;
            if (e == WEBHOOK_N_EVENTS)
                errorf(l, w->event_words.line,
                       "webhook \"%s\": unknown event \"%s\" (story.new, story.updated, "
                       "story.source_added, feed.moved, feed.gone, feed.failing, feed.recovered)",
                       w->name, w->event_words.v[k]);
            else
                w->events |= 1u << e;
        }
        if (w->retry_words.n)
            w->n_retry = 0;
        for (size_t k = 0; k < w->retry_words.n; k++) {
            int64_t v;
            if (config_parse_duration(w->retry_words.v[k], &v) < 0 || v < 1 || v > 7 * 86400)
                errorf(l, w->retry_words.line,
                       "webhook \"%s\": retry: bad delay '%s' (1s to 7d, e.g. 5s 5m 30m 2h)",
                       w->name, w->retry_words.v[k]);
            else
                w->retry[w->n_retry++] = v;
        }
        if (w->format == WEBHOOK_TEMPLATE && !w->template_path)
            errorf(l, w->line, "webhook \"%s\": format template needs a template file", w->name);
        if (w->format != WEBHOOK_TEMPLATE && w->template_path)
            errorf(l, w->line, "webhook \"%s\": template is only used with format = template",
                   w->name);
        if (w->format == WEBHOOK_TEMPLATE && w->batch > 1)
            errorf(l, w->line,
                   "webhook \"%s\": format template sends one story per request (batch = 1)",
                   w->name);
        if (w->format == WEBHOOK_TEMPLATE && w->template_path && read_template(l, w) < 0)
            return -ENOMEM;
        if (w->template_text) {
            const char *problem = webhook_template_check(w->template_text);
            if (problem)
                errorf(l, w->line, "webhook \"%s\": template %s: %s", w->name, w->template_path,
                       problem);
        }
        if (w->format == WEBHOOK_NTFY && w->url) {
            char *url, *topic;
            int r = webhook_target(w, &url, &topic);
            if (r == -ENOMEM)
                return r;
            if (r < 0)
                errorf(l, w->line,
                       "webhook \"%s\": format ntfy needs the topic in the url "
                       "(https://ntfy.example/TOPIC)",
                       w->name);
            else {
                free(url);
                free(topic);
            }
        }
    }
    return 0;
}

static int finish(struct loader *l)
{
    struct config *c = l->cfg;

    if (c->min_interval > c->max_interval)
        errorf(l, 0, "min_interval (%llds) is above max_interval (%llds)",
               (long long)c->min_interval, (long long)c->max_interval);
    if (c->opml && add_opml_feeds(l) < 0)
        return -ENOMEM;

    for (size_t i = 0; i < c->n_feeds; i++) {
        struct feed_conf *fc = &c->feeds[i];

        if (!fc->url)
            errorf(l, fc->line, "feed \"%s\" has no url", fc->name);
        if (!fc->username != !fc->password) {
            errorf(l, fc->line, "feed \"%s\": username and password go together", fc->name);
        } else if (fc->username) {
            size_t n = strlen(fc->username) + strlen(fc->password) + 2;
            fc->userpwd = malloc(n);
            if (!fc->userpwd)
                return -ENOMEM;
            snprintf(fc->userpwd, n, "%s:%s", fc->username, fc->password);
        }
        if (fc->url && (fc->userpwd || fc->proxy || fc->n_headers) &&
            has_prefix_ci(fc->url, "file:"))
            errorf(l, fc->line, "feed \"%s\": header, username and proxy need an http(s) url",
                   fc->name);
    }
    if (finish_outputs(l) < 0 || finish_webhooks(l) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < c->dedup_prefer.n; i++)
        if (!config_find_feed(c, c->dedup_prefer.v[i]))
            errorf(l, c->dedup_prefer.line, "dedup_prefer: no feed is named \"%s\"",
                   c->dedup_prefer.v[i]);
    if (!c->public_url) {
        size_t n = strlen(c->listen_host) + 32;
        bool v6 = strchr(c->listen_host, ':') != NULL;

        c->public_url = malloc(n);
        if (!c->public_url)
            return -ENOMEM;
        snprintf(c->public_url, n, v6 ? "http://[%s]:%d" : "http://%s:%d", c->listen_host,
                 c->listen_port);
    } else {
        size_t n = strlen(c->public_url);
        while (n > 0 && c->public_url[n - 1] == '/')
            c->public_url[--n] = '\0';
    }
    return 0;
}

int config_load(const char *path, struct config **ret, struct buf *errors)
{
    struct loader l = {.path = path, .errors = errors};
    char *text = NULL;
    int r, line;

    r = read_file(path, &text, errors);
    if (r < 0)
        return r;
    l.cfg = calloc(1, sizeof(*l.cfg));
    l.dir = dir_of(path);
    if (!l.cfg || !l.dir || !(l.cfg->path = strdup(path)) || set_defaults(l.cfg, l.dir) < 0) {
        r = -ENOMEM;
        goto out;
    }
    l.next = text;
    line = ini_parse_stream(read_line, &l, on_key, &l);
    if (line > 0)
        errorf(&l, line, "syntax error (expected [section] or key = value)");
    else if (line < 0)
        l.oom = true;
    if (finish(&l) < 0 || l.oom) {
        r = -ENOMEM;
        goto out;
    }
    if (l.n_errors > 0) {
        r = -EINVAL;
        goto out;
    }
    *ret = l.cfg;
    l.cfg = NULL;
    r = 0;
out:
    if (r == -ENOMEM)
        buf_printf(errors, "%s: out of memory\n", path);
    config_free(l.cfg);
    free(l.names);
    free(l.dir);
    free(text);
    return r;
}

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_feeds; i++) {
        free(c->feeds[i].name);
        free(c->feeds[i].url);
        free(c->feeds[i].title);
        free(c->feeds[i].user_agent);
        for (size_t k = 0; k < c->feeds[i].n_headers; k++)
            free(c->feeds[i].headers[k]);
        free(c->feeds[i].headers);
        free(c->feeds[i].username);
        free_secret(c->feeds[i].password);
        free_secret(c->feeds[i].userpwd);
        free(c->feeds[i].proxy);
        free_words(&c->feeds[i].tags);
    }
    free(c->feeds);
    for (size_t i = 0; i < c->n_outputs; i++) {
        struct output_conf *o = &c->outputs[i];
        free(o->name);
        free(o->title);
        free_words(&o->feeds);
        free_words(&o->tags);
        free(o->include);
        free(o->exclude);
        pcre2_code_free(o->include_re);
        pcre2_code_free(o->exclude_re);
    }
    free(c->outputs);
    for (size_t i = 0; i < c->n_webhooks; i++) {
        struct webhook_conf *w = &c->webhooks[i];
        free(w->name);
        free(w->url);
        free_words(&w->outputs);
        free(w->outs);
        free_words(&w->event_words);
        free(w->template_path);
        free(w->template_text);
        free_secret(w->secret);
        for (size_t k = 0; k < w->n_headers; k++)
            free(w->headers[k]);
        free(w->headers);
        free_words(&w->retry_words);
    }
    free(c->webhooks);
    free(c->default_output);
    free(c->export_dir);
    free(c->opml);
    free(c->path);
    free(c->database);
    free(c->listen_host);
    free(c->public_url);
    free(c->title);
    free(c->user_agent);
    free(c->ca_file);
    free(c->log_level);
    free_secret(c->admin_token);
    free_words(&c->dedup_prefer);
    free_words(&c->strip_params);
    free(c);
}

const struct output_conf *config_find_output(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->n_outputs; i++)
        if (strcmp(c->outputs[i].name, name) == 0)
            return &c->outputs[i];
    return NULL;
}

bool config_output_has_feed(const struct output_conf *o, const struct feed_conf *fc)
{
    if (!o->feeds.n && !o->tags.n)
        return true;
    for (size_t i = 0; i < o->feeds.n; i++)
        if (strcmp(o->feeds.v[i], fc->name) == 0)
            return true;
    for (size_t i = 0; i < o->tags.n; i++)
        for (size_t k = 0; k < fc->tags.n; k++)
            if (strcmp(o->tags.v[i], fc->tags.v[k]) == 0)
                return true;
    return false;
}

static bool re_matches(void *re, const char *s, void *md)
{
    return s && pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) >= 0;
}

/* True when re matches the entry's title, content, author or a category. */
static bool entry_matches(void *re, const struct entry *e, void *md)
{
    if (re_matches(re, e->title, md) || re_matches(re, e->content ? e->content : e->summary, md) ||
        re_matches(re, e->author, md))
        return true;
    for (size_t i = 0; i < e->n_categories; i++)
        if (re_matches(re, e->categories[i].term, md))
            return true;
    return false;
}

bool config_output_matches(const struct output_conf *o, const struct entry *e, void *md)
{
    if (o->include_re && !entry_matches(o->include_re, e, md))
        return false;
    return !(o->exclude_re && entry_matches(o->exclude_re, e, md));
}

void *config_match_data(void)
{
    return pcre2_match_data_create(16, NULL);
}

void config_match_data_free(void *md)
{
    pcre2_match_data_free(md);
}

int config_output_dedup(const struct config *c, const struct output_conf *o)
{
    return o->dedup >= 0 ? o->dedup : c->dedup;
}

const struct webhook_conf *config_find_webhook(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->n_webhooks; i++)
        if (strcmp(c->webhooks[i].name, name) == 0)
            return &c->webhooks[i];
    return NULL;
}

int config_dedup_level(const struct config *c)
{
    int level = c->dedup;

    for (size_t i = 0; i < c->n_outputs; i++)
        if (c->outputs[i].dedup > level)
            level = c->outputs[i].dedup;
    return level;
}

void config_apply_dedup(const struct config *c, struct store *s)
{
    struct store_dedup d = {
        .level = (enum dedup_level)config_dedup_level(c),
        .prepare = {.canon = {.strip = (const char *const *)c->strip_params.v,
                              .fold_scheme = c->fold_scheme,
                              .fold_slash = c->fold_slash}},
        .window = c->dedup_window,
        .min_similarity = (unsigned)c->dedup_similarity,
    };

    store_set_dedup(s, &d);
}

const struct feed_conf *config_find_feed(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->n_feeds; i++) {
        if (strcmp(c->feeds[i].name, name) == 0)
            return &c->feeds[i];
    }
    return NULL;
}

void config_feed_limits(const struct config *c, struct feed_limits *ret)
{
    *ret = (struct feed_limits){
        .max_bytes = (size_t)c->max_feed_size,
        .max_depth = (size_t)c->max_nesting,
        .max_entries = (size_t)c->max_feed_entries,
        .max_field = (size_t)c->max_field_size,
    };
}
