/* config: heraldd's configuration file (INI, read with inih).
 *
 * A table of {section, key, type, offset, min, max} rows drives parsing and
 * validation; defaults are set before the file is read. Every error names
 * the file and line ("FILE:LINE: message"); all errors of a file are
 * reported, not just the first. A loaded config is immutable: a reload
 * builds a new one and swaps it in only when it is valid.
 *
 * Paths and file: URLs that are relative are taken relative to the folder
 * of the configuration file. Depends on base/ and inih.
 */
#ifndef HERALD_APP_CONFIG_H
#define HERALD_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct entry;

#define CONFIG_DEFAULT_PATH "/etc/herald/heraldd.conf"

/* A list of words ("a, b c") on one line (a key appears once per section). */
struct config_words {
    char **v; /* NULL-terminated; NULL when empty */
    size_t n;
    int line; /* of the last line that set it */
};

struct feed_conf {
    char *name;
    char *url;        /* absolute: http(s):// or file:// */
    char *title;      /* overrides the feed's own title; NULL if unset */
    int64_t interval; /* seconds; 0 = the global interval */
    char *user_agent; /* overrides [herald] user_agent; NULL if unset */
    char **headers;   /* extra "Name: value" lines, NULL-terminated; NULL if none */
    size_t n_headers;
    char *username;           /* HTTP basic auth, with password; NULL if unset */
    char *password;           /* read from file:PATH or env:NAME at load time; a secret:
                               * never logged, never in an error message */
    char *userpwd;            /* "username:password" when both are set; a secret too */
    char *proxy;              /* proxy URL; NULL: direct */
    bool enabled;             /* false: not polled, entries leave the merged feed */
    struct config_words tags; /* for outputs' `tags` */
    int line;                 /* line of the [feed "NAME"] header */
};

/* An [output "NAME"] section: which entries a published feed carries. A
 * feed is in the output when `feeds` names it or it has one of `tags`
 * (with neither, every feed is); an entry is in it when its title, content,
 * author or categories match `include` (when set) and none matches
 * `exclude`. Patterns are PCRE2, compiled at load time, case-insensitive
 * unless case_sensitive. */
struct output_conf {
    char *name;  /* [A-Za-z0-9._-], at most 64: it is part of URLs */
    char *title; /* NULL: [herald] title, and " (NAME)" unless it is the default */
    struct config_words feeds;
    struct config_words tags;
    char *include, *exclude;
    int include_line, exclude_line;
    void *include_re, *exclude_re; /* pcre2_code *, owned */
    bool case_sensitive;
    int64_t max_entries; /* 0: [herald] max_entries */
    int64_t max_age;     /* seconds; 0: no limit */
    int dedup;           /* enum dedup_level; -1: [herald] dedup */
    bool implicit;       /* the "all" output, not configured */
    int line;
};

/* Webhook formats (app/webhook.h renders them). */
enum webhook_format {
    WEBHOOK_JSON,
    WEBHOOK_SLACK,
    WEBHOOK_DISCORD,
    WEBHOOK_NTFY,
    WEBHOOK_TEMPLATE,
};

/* Webhook events, as bits of webhook_conf.events. */
enum webhook_event {
    WEBHOOK_STORY_NEW = 1 << 0,
    WEBHOOK_STORY_UPDATED = 1 << 1,
    WEBHOOK_STORY_SOURCE_ADDED = 1 << 2,
    WEBHOOK_FEED_MOVED = 1 << 3,
    WEBHOOK_FEED_GONE = 1 << 4,
    WEBHOOK_FEED_FAILING = 1 << 5,
    WEBHOOK_FEED_RECOVERED = 1 << 6,
};
#define WEBHOOK_N_EVENTS 7
/* "story.new"... for bit 1 << i; NULL past the end. */
const char *config_webhook_event_name(unsigned bit);

#define WEBHOOK_MAX_RETRY 16

/* A [webhook "NAME"] section: where new stories (and feed events) of some
 * outputs are POSTed. */
struct webhook_conf {
    char *name;                      /* as an output name */
    char *url;                       /* http(s) */
    struct config_words outputs;     /* empty: the default output */
    const struct output_conf **outs; /* resolved `outputs`, n_outs of them */
    size_t n_outs;
    struct config_words event_words;
    unsigned events; /* enum webhook_event bits; default WEBHOOK_STORY_NEW */
    int format;      /* enum webhook_format */
    char *template_path;
    char *template_text; /* read at load time */
    char *secret;        /* file:PATH or env:NAME, read at load time; never logged */
    char **headers;      /* "Name: value", NULL-terminated; NULL if none */
    size_t n_headers;
    int64_t timeout;      /* ms */
    int64_t max_attempts; /* the last attempt's failure makes a delivery dead */
    struct config_words retry_words;
    int64_t retry[WEBHOOK_MAX_RETRY]; /* seconds before attempt 2, 3...; the last repeats */
    size_t n_retry;
    int64_t batch;       /* events per request */
    int64_t concurrency; /* requests at once */
    int line;
};

struct config {
    char *path;     /* as given */
    char *database; /* resolved against the config's folder */
    char *listen_host;
    int listen_port;
    char *public_url;     /* base URL readers use; default http://LISTEN */
    char *title;          /* title of the merged feed */
    int64_t interval;     /* seconds */
    int64_t min_interval; /* bounds for server hints and learned intervals */
    int64_t max_interval;
    int64_t max_backoff; /* longest wait after consecutive errors */
    char *user_agent;
    char *ca_file; /* CAs trusted for https instead of the system's; NULL: the system's */
    int64_t max_entries;
    int64_t max_concurrent;
    int64_t timeout;          /* ms */
    int64_t connect_timeout;  /* ms */
    int64_t max_feed_size;    /* bytes */
    int64_t max_feed_entries; /* entries a document may hold; the rest are ignored */
    int64_t max_nesting;      /* element depth the parser descends */
    int64_t max_field_size;   /* bytes of one value; longer ones are cut */
    int64_t max_redirects;
    int64_t per_site; /* transfers at once to one site */
    int64_t site_gap; /* ms between two request starts to one site */
    char *log_level;
    char *admin_token; /* bearer token for /metrics and /healthz, or NULL: loopback only */

    /* Dedup (feed/dedup.h, store.h). */
    int dedup;                        /* enum dedup_level of the merged feed */
    int64_t dedup_window;             /* seconds */
    int64_t dedup_similarity;         /* percent */
    struct config_words dedup_prefer; /* feed names whose entry represents a story */
    struct config_words strip_params; /* extra tracking parameters */
    bool fold_scheme;                 /* http:// and https:// links are one */
    bool fold_slash;                  /* a trailing "/" does not matter */

    /* Outputs (publish.h). */
    char *default_output;  /* served as /feed.atom, /feed.rss, /feed.json */
    int64_t cache_max_age; /* Cache-Control max-age of outputs, seconds */
    bool cors;             /* Access-Control-Allow-Origin: * on outputs */
    char *export_dir;      /* write every output's files there too; NULL: no */
    char *opml;            /* an OPML file whose outlines are feeds too; NULL: none */

    struct feed_conf *feeds;
    size_t n_feeds;
    struct output_conf *outputs; /* the configured ones, then "all" unless configured */
    size_t n_outputs;

    /* Webhooks (webhook.h). */
    struct webhook_conf *webhooks;
    size_t n_webhooks;
    int64_t failing_after;        /* consecutive failed polls that make feed.failing */
    int64_t shutdown_timeout;     /* ms that polls and deliveries in flight get at SIGTERM */
    int64_t keep_days;            /* retention: entries first seen longer ago may go; 0: kept */
    int64_t keep_per_feed;        /* retention: entries beyond a feed's newest N may go; 0: kept */
    int64_t maintenance_interval; /* seconds between pruning and WAL checkpoints */
};

/* Reads and validates path. Returns 0 and a new config in *ret, -EINVAL
 * with one "FILE:LINE: message" line per problem appended to errors, or
 * -ENOMEM / -errno when the file cannot be read (message in errors too). */
int config_load(const char *path, struct config **ret, struct buf *errors);
void config_free(struct config *c);

struct feed_limits;
/* What one document may cost the parser (feed/parse.h): max_feed_size,
 * max_nesting, max_feed_entries and max_field_size. */
void config_feed_limits(const struct config *c, struct feed_limits *ret);

struct store;
/* Hands the dedup settings to the store (store_set_dedup()). */
void config_apply_dedup(const struct config *c, struct store *s);

const struct feed_conf *config_find_feed(const struct config *c, const char *name);
const struct output_conf *config_find_output(const struct config *c, const char *name);
/* True when the output carries the feed's entries (feeds / tags). */
bool config_output_has_feed(const struct output_conf *o, const struct feed_conf *fc);
/* True when the entry passes the output's include / exclude patterns;
 * md is a pcre2_match_data * (config_match_data()) used while matching. */
bool config_output_matches(const struct output_conf *o, const struct entry *e, void *md);
/* A pcre2_match_data for config_output_matches(); free with
 * config_match_data_free(). NULL when out of memory. */
void *config_match_data(void);
void config_match_data_free(void *md);
/* The output's dedup level (its own, else [herald] dedup). */
int config_output_dedup(const struct config *c, const struct output_conf *o);
const struct webhook_conf *config_find_webhook(const struct config *c, const char *name);
/* The dedup level ingest must compute: the highest of the outputs'. */
int config_dedup_level(const struct config *c);

/* Parsers shared with tests: "90s", "15m", "2h", "1d", "1h30m", or plain
 * seconds. Return 0 or -EINVAL / -ERANGE. */
int config_parse_duration(const char *s, int64_t *ret_seconds);
/* The same, in milliseconds, with "ms" allowed too ("250ms", "1s500ms"). */
int config_parse_duration_ms(const char *s, int64_t *ret_ms);
/* "512", "64k", "8M", "1G" (binary multiples). */
int config_parse_size(const char *s, int64_t *ret_bytes);
/* "host:port", "[v6]:port". ret_host is malloc'ed. */
int config_parse_listen(const char *s, char **ret_host, int *ret_port);

#endif
