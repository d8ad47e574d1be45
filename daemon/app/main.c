/* main: heraldd's command line.
 *
 *   heraldd [run] [-c FILE]   run the daemon in the foreground
 *   heraldd check [-c FILE]   validate the configuration
 *   heraldd feeds [-c FILE] [--json]
 *   heraldd why [-c FILE] ENTRY
 *                             the status of every feed, from the database
 *   heraldd parse [--content-type TYPE] [--base URL] [--max-feed-size SIZE]
 *                 [--max-nesting N] [--max-feed-entries N] [--max-field-size SIZE] FILE|-
 *                             print a feed file (- for stdin) as JSON Feed 1.1
 *   heraldd export-opml [-c FILE]
 *                             print the configured feeds as OPML 2.0
 *   heraldd import-opml FILE  print an OPML file's feeds as [feed] sections
 *   heraldd deliveries [-c FILE] [--all] [--json] [--retry ID|all-dead] [--enable NAME]
 *   heraldd webhook-test [-c FILE] NAME
 *   heraldd backup [-c FILE] DEST
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/daemon.h"
#include "app/deliveries.h"
#include "app/feeds.h"
#include "app/opml.h"
#include "app/why.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "feed/jsonfeed_out.h"
#include "feed/parse.h"
#include "store/store.h"

static const char usage[] =
    "Usage: heraldd [run] [-c FILE]     run the feed aggregator in the foreground\n"
    "       heraldd check [-c FILE]     validate a configuration file\n"
    "       heraldd feeds [-c FILE] [--json]\n"
    "                                   the status of every feed, from the database\n"
    "       heraldd why [-c FILE] ENTRY how an entry (database id, guid or link) was\n"
    "                                   identified and grouped into its story\n"
    "       heraldd parse [--content-type TYPE] [--base URL] [--max-feed-size SIZE]\n"
    "                     [--max-nesting N] [--max-feed-entries N] [--max-field-size SIZE] FILE|-\n"
    "                                   print a feed file (- reads stdin) as JSON Feed 1.1\n"
    "       heraldd export-opml [-c FILE]\n"
    "                                   print the configured feeds as OPML 2.0\n"
    "       heraldd import-opml FILE    print an OPML file's feeds as [feed] sections\n"
    "       heraldd deliveries [-c FILE] [--all] [--json]\n"
    "                                   pending, failed and dead webhook deliveries\n"
    "       heraldd deliveries [-c FILE] --retry ID|all-dead | --enable WEBHOOK\n"
    "                                   requeue deliveries; enable a webhook disabled by a 410\n"
    "       heraldd webhook-test [-c FILE] WEBHOOK\n"
    "                                   send a signed test event to a webhook\n"
    "       heraldd backup [-c FILE] DEST\n"
    "                                   a consistent copy of the database (also while running)\n"
    "       heraldd --help | --version\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH ")\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "  --content-type TYPE (parse) the HTTP Content-Type to assume, for its charset\n"
    "  --base URL          (parse) the feed's URL, base of relative links\n"
    "  --max-feed-size SIZE, --max-nesting N, --max-feed-entries N, --max-field-size SIZE\n"
    "                      (parse) the parser's limits, as the configuration keys of the\n"
    "                      same names (defaults 16M, 128, 5000, 4M)\n"
    "  --json              (feeds, deliveries) print a JSON array instead of a table\n"
    "  --all               (deliveries) delivered ones too\n"
    "\n"
    "Environment: HERALD_LOG_LEVEL=error|warn|info|debug overrides log_level.\n";

enum command {
    CMD_RUN,
    CMD_CHECK,
    CMD_PARSE,
    CMD_FEEDS,
    CMD_WHY,
    CMD_EXPORT_OPML,
    CMD_IMPORT_OPML,
    CMD_DELIVERIES,
    CMD_WEBHOOK_TEST,
    CMD_BACKUP,
};

struct args {
    enum command cmd;
    const char *config;
    const char *file;         /* for parse, import-opml */
    const char *content_type; /* for parse: as if from HTTP */
    const char *base;         /* for parse: the document URL */
    const char *limit[4];     /* for parse: --max-feed-size, --max-nesting, --max-feed-entries,
                               * --max-field-size */
    bool json;                /* for feeds */
    const char *entry;        /* for why; the webhook for webhook-test */
    struct deliveries_opts deliveries;
};

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i over the
 * value. Returns 1 when matched, 0 when not, -EINVAL without a value. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **ret)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);

    if (strncmp(arg, name, len) != 0 || (arg[len] != '\0' && arg[len] != '='))
        return 0;
    if (arg[len] == '=') {
        *ret = arg + len + 1;
        return 1;
    }
    if (*i + 1 == argc) {
        fprintf(stderr, "heraldd: %s needs a value\n", name);
        return -EINVAL;
    }
    *ret = argv[++*i];
    return 1;
}

static const char *const limit_options[4] = {"--max-feed-size", "--max-nesting",
                                             "--max-feed-entries", "--max-field-size"};

static int parse_args(int argc, char **argv, struct args *a)
{
    int i = 1;

    *a = (struct args){.cmd = CMD_RUN, .config = CONFIG_DEFAULT_PATH};
    if (i < argc && argv[i][0] != '-') {
        if (strcmp(argv[i], "run") == 0) {
            a->cmd = CMD_RUN;
        } else if (strcmp(argv[i], "check") == 0) {
            a->cmd = CMD_CHECK;
        } else if (strcmp(argv[i], "parse") == 0) {
            a->cmd = CMD_PARSE;
        } else if (strcmp(argv[i], "feeds") == 0) {
            a->cmd = CMD_FEEDS;
        } else if (strcmp(argv[i], "why") == 0) {
            a->cmd = CMD_WHY;
        } else if (strcmp(argv[i], "export-opml") == 0) {
            a->cmd = CMD_EXPORT_OPML;
        } else if (strcmp(argv[i], "import-opml") == 0) {
            a->cmd = CMD_IMPORT_OPML;
        } else if (strcmp(argv[i], "deliveries") == 0) {
            a->cmd = CMD_DELIVERIES;
        } else if (strcmp(argv[i], "webhook-test") == 0) {
            a->cmd = CMD_WEBHOOK_TEST;
        } else if (strcmp(argv[i], "backup") == 0) {
            a->cmd = CMD_BACKUP;
        } else {
            fprintf(stderr, "heraldd: unknown command '%s'\n%s", argv[i], usage);
            return -EINVAL;
        }
        i++;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        int m = 0;

        if (a->cmd == CMD_PARSE) {
            m = option_value(argc, argv, &i, "--content-type", &a->content_type);
            if (m == 0)
                m = option_value(argc, argv, &i, "--base", &a->base);
            for (size_t k = 0; m == 0 && k < 4; k++)
                m = option_value(argc, argv, &i, limit_options[k], &a->limit[k]);
            if (m < 0)
                return m;
        }
        if (a->cmd == CMD_DELIVERIES) {
            m = option_value(argc, argv, &i, "--retry", &a->deliveries.retry);
            if (m == 0)
                m = option_value(argc, argv, &i, "--enable", &a->deliveries.enable);
            if (m < 0)
                return m;
        }
        if (m > 0)
            continue;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            printf("heraldd %s\n", HERALD_VERSION);
            exit(0);
        } else if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
            if (++i == argc) {
                fprintf(stderr, "heraldd: %s needs a file name\n", arg);
                return -EINVAL;
            }
            a->config = argv[i];
        } else if (strncmp(arg, "--config=", 9) == 0) {
            a->config = arg + 9;
        } else if (a->cmd == CMD_FEEDS && strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (a->cmd == CMD_DELIVERIES && strcmp(arg, "--json") == 0) {
            a->deliveries.json = true;
        } else if (a->cmd == CMD_DELIVERIES && strcmp(arg, "--all") == 0) {
            a->deliveries.all = true;
        } else if ((a->cmd == CMD_WHY || a->cmd == CMD_WEBHOOK_TEST) && !a->entry) {
            a->entry = arg;
        } else if (a->cmd == CMD_PARSE && !a->file && (arg[0] != '-' || !strcmp(arg, "-"))) {
            a->file = arg;
        } else if ((a->cmd == CMD_IMPORT_OPML || a->cmd == CMD_BACKUP) && !a->file &&
                   arg[0] != '-') {
            a->file = arg;
        } else {
            fprintf(stderr, "heraldd: unexpected argument '%s'\n%s", arg, usage);
            return -EINVAL;
        }
    }
    if (a->cmd == CMD_WHY && !a->entry) {
        fprintf(stderr, "heraldd: why needs an ENTRY (database id, guid or link)\n");
        return -EINVAL;
    }
    if (a->cmd == CMD_WEBHOOK_TEST && !a->entry) {
        fprintf(stderr, "heraldd: webhook-test needs a WEBHOOK name\n");
        return -EINVAL;
    }
    if (a->cmd == CMD_DELIVERIES && a->deliveries.retry && a->deliveries.enable) {
        fprintf(stderr, "heraldd: --retry and --enable go one at a time\n");
        return -EINVAL;
    }
    if (a->cmd == CMD_PARSE && !a->file) {
        fprintf(stderr, "heraldd: parse needs a FILE\n");
        return -EINVAL;
    }
    if (a->cmd == CMD_BACKUP && !a->file) {
        fprintf(stderr, "heraldd: backup needs a DEST file\n");
        return -EINVAL;
    }
    if (a->cmd == CMD_IMPORT_OPML && !a->file) {
        fprintf(stderr, "heraldd: import-opml needs a FILE\n");
        return -EINVAL;
    }
    return 0;
}

/* The configuration, or NULL after printing its errors. */
static struct config *load_or_report(const char *path)
{
    struct config *cfg = NULL;
    struct buf errors;

    buf_init(&errors, 1 << 20);
    if (config_load(path, &cfg, &errors) < 0) {
        fputs(buf_cstr(&errors), stderr);
        cfg = NULL;
    }
    buf_release(&errors);
    return cfg;
}

static int cmd_check(const char *path)
{
    struct config *cfg = load_or_report(path);

    if (!cfg)
        return 1;
    printf("%s: ok (%zu feeds)\n", path, cfg->n_feeds);
    config_free(cfg);
    return 0;
}

static int cmd_feeds(const struct args *a)
{
    struct config *cfg;
    int status;

    if (!(cfg = load_or_report(a->config)))
        return 1;
    status = feeds_print(cfg, a->json, clock_now(), stdout);
    config_free(cfg);
    return status;
}

static int cmd_why(const struct args *a)
{
    struct config *cfg;
    int status;

    if (!(cfg = load_or_report(a->config)))
        return 1;
    status = why_print(cfg, a->entry, stdout);
    config_free(cfg);
    return status;
}

static int cmd_deliveries(const struct args *a)
{
    struct config *cfg;
    int status;

    if (!(cfg = load_or_report(a->config)))
        return 1;
    status = a->cmd == CMD_DELIVERIES ? deliveries_cmd(cfg, &a->deliveries, stdout)
                                      : webhook_test_cmd(cfg, a->entry, stdout);
    config_free(cfg);
    return status;
}

static int cmd_backup(const struct args *a)
{
    struct config *cfg;
    char err[1024];
    int r;

    if (!(cfg = load_or_report(a->config)))
        return 1;
    r = store_backup(cfg->database, a->file, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "heraldd: backup: %s\n", err);
    else
        printf("%s: backed up to %s\n", cfg->database, a->file);
    config_free(cfg);
    return r < 0 ? 1 : 0;
}

static int cmd_export_opml(const struct args *a)
{
    struct config *cfg;
    char *doc;
    size_t len;
    int r;

    if (!(cfg = load_or_report(a->config)))
        return 1;
    r = opml_render(cfg, cfg->title, &doc, &len);
    config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "heraldd: %s\n", strerror(-r));
        return 1;
    }
    r = fwrite(doc, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;
    free(doc);
    return r;
}

static int cmd_import_opml(const struct args *a)
{
    struct opml_feed *f;
    size_t n;
    char err[512];
    int r;

    if (opml_read(a->file, &f, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "heraldd: %s\n", err);
        return 1;
    }
    printf("# %zu feeds from %s\n", n, a->file);
    r = opml_print_sections(f, n, stdout);
    opml_feeds_free(f, n);
    if (r == 0 && fflush(stdout) != 0)
        r = -EIO;
    if (r < 0) {
        fprintf(stderr, "heraldd: %s\n", strerror(-r));
        return 1;
    }
    return 0;
}

static int cmd_parse(const struct args *a)
{
    const char *path = a->file;
    struct buf body;
    struct feed *feed = NULL;
    char err[256], *json = NULL;
    int r;

    /* The limits given; 0 (not given) is the parser's default. */
    struct feed_limits lim = {0};
    size_t *fields[4] = {&lim.max_bytes, &lim.max_depth, &lim.max_entries, &lim.max_field};
    for (size_t k = 0; k < 4; k++) {
        int64_t v = 0;
        char *end = NULL;

        if (!a->limit[k])
            continue;
        if (k == 0 || k == 3) {
            r = config_parse_size(a->limit[k], &v);
        } else {
            errno = 0;
            v = strtoll(a->limit[k], &end, 10);
            r = errno || *end || end == a->limit[k] ? -EINVAL : 0;
        }
        if (r < 0 || v <= 0) {
            fprintf(stderr, "heraldd: %s: '%s' is not a positive %s\n", limit_options[k],
                    a->limit[k], k == 0 || k == 3 ? "size (e.g. 512k, 2M)" : "whole number");
            return 2;
        }
        *fields[k] = (size_t)v;
    }
    buf_init(&body, 64u << 20);
    r = buf_read_file(&body, path);
    if (r < 0) {
        fprintf(stderr, "heraldd: %s: %s\n", path, strerror(-r));
        buf_release(&body);
        return 1;
    }
    r = feed_parse_ex(buf_cstr(&body), body.len, a->base, a->content_type, &lim, &feed, err,
                      sizeof(err));
    buf_release(&body);
    if (r < 0) {
        fprintf(stderr, "heraldd: %s: %s\n", path, err[0] ? err : strerror(-r));
        return 1;
    }
    r = jsonfeed_render(feed, &json);
    feed_free(feed);
    if (r < 0) {
        fprintf(stderr, "heraldd: %s: %s\n", path, strerror(-r));
        return 1;
    }
    fputs(json, stdout);
    fputc('\n', stdout);
    free(json);
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    int status;

    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IOLBF, 0);
    log_init();
    if (parse_args(argc, argv, &a) < 0)
        return 2;
    if (a.cmd == CMD_CHECK)
        return cmd_check(a.config);
    if (a.cmd == CMD_FEEDS)
        return cmd_feeds(&a);
    if (a.cmd == CMD_WHY)
        return cmd_why(&a);
    if (a.cmd == CMD_EXPORT_OPML)
        return cmd_export_opml(&a);
    if (a.cmd == CMD_IMPORT_OPML)
        return cmd_import_opml(&a);
    if (a.cmd == CMD_BACKUP)
        return cmd_backup(&a);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "heraldd: cannot initialize libcurl\n");
        return 1;
    }
    feed_parse_init();
    if (a.cmd == CMD_DELIVERIES || a.cmd == CMD_WEBHOOK_TEST)
        status = cmd_deliveries(&a);
    else
        status = a.cmd == CMD_PARSE ? cmd_parse(&a) : daemon_run(a.config);
    feed_parse_cleanup();
    curl_global_cleanup();
    return status;
}
