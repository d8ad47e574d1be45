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

#define CONFIG_DEFAULT_PATH "/etc/herald/heraldd.conf"

/* A list of words ("a, b c"): every line of the key appends to it. */
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
    int64_t max_entries;
    int64_t max_concurrent;
    int64_t timeout;         /* ms */
    int64_t connect_timeout; /* ms */
    int64_t max_feed_size;   /* bytes */
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
};

/* Reads and validates path. Returns 0 and a new config in *ret, -EINVAL
 * with one "FILE:LINE: message" line per problem appended to errors, or
 * -ENOMEM / -errno when the file cannot be read (message in errors too). */
int config_load(const char *path, struct config **ret, struct buf *errors);
void config_free(struct config *c);

struct store;
/* Hands the dedup settings to the store (store_set_dedup()). */
void config_apply_dedup(const struct config *c, struct store *s);

const struct feed_conf *config_find_feed(const struct config *c, const char *name);
const struct output_conf *config_find_output(const struct config *c, const char *name);
/* True when the output carries the feed's entries (feeds / tags). */
bool config_output_has_feed(const struct output_conf *o, const struct feed_conf *fc);
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
