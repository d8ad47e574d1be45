/* fill_db: the database and configuration of bench/serve (run.sh drives it;
 * not part of Herald).
 *
 *   fill_db -c CONFIG -D DATABASE [-n ENTRIES] [-f FEEDS] [-d DAYS] [-e PER_POLL]
 *           [-C CONTENT_BYTES] [-p PORT] [-m MAX_ENTRIES] [-s SEED] [-x]
 *
 * Writes heraldd's configuration CONFIG (listen 127.0.0.1:PORT, default
 * 8091; max_entries MAX_ENTRIES, default 100; dedup story; one [feed]
 * section per generated feed, see gen.h), then loads it with config_load()
 * as heraldd does and stores ENTRIES (default 1,000,000) generated entries
 * over FEEDS feeds (default 1,000) into DATABASE (which must not exist yet):
 * a stream of polls, each one feed's document of PER_POLL +-5 entries
 * (default 20) stored with one store_ingest() (one transaction), the feeds
 * taken in turn, the polls dated evenly over the last DAYS days (default
 * 60). Ingest deduplicates as the configuration says (config_apply_dedup()).
 * Every feed's next poll is stored a year ahead, so heraldd serving the
 * database polls nothing. Content is HTML of about CONTENT_BYTES (default
 * 3,300) per entry, so 100 entries render to an Atom document of ~500 KB.
 * -x only writes CONFIG (for a new port) and exits.
 *
 * Output: "FILL key=value ..." on stdout; progress on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/config.h"
#include "base/buf.h"
#include "base/clock.h"
#include "gen.h"
#include "load.h"
#include "store/store.h"

#define YEAR (365 * INT64_C(86400))

struct opts {
    const char *config, *database;
    size_t n;
    unsigned feeds, days, per_poll, port, max_entries;
    size_t content;
    uint64_t seed;
    bool config_only;
};

static void usage(void)
{
    fprintf(stderr, "usage: fill_db -c CONFIG -D DATABASE [-n ENTRIES] [-f FEEDS] [-d DAYS]\n"
                    "               [-e PER_POLL] [-C CONTENT_BYTES] [-p PORT] [-m MAX_ENTRIES]\n"
                    "               [-s SEED] [-x]\n");
    exit(2);
}

static unsigned long long number(const char *s, unsigned long long lo, unsigned long long hi)
{
    unsigned long long v;

    if (bench_number(s, lo, hi, &v) < 0)
        usage();
    return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    int c;

    *o = (struct opts){.n = 1000000,
                       .feeds = 1000,
                       .days = 60,
                       .per_poll = 20,
                       .port = 8091,
                       .max_entries = 100,
                       .content = 3300,
                       .seed = 1};
    while ((c = getopt(argc, argv, "c:D:n:f:d:e:C:p:m:s:x")) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'D':
            o->database = optarg;
            break;
        case 'n':
            o->n = (size_t)number(optarg, 1, 100000000);
            break;
        case 'f':
            o->feeds = (unsigned)number(optarg, 1, 9999);
            break;
        case 'd':
            o->days = (unsigned)number(optarg, 1, 3650);
            break;
        case 'e':
            o->per_poll = (unsigned)number(optarg, 6, 1000);
            break;
        case 'C':
            o->content = (size_t)number(optarg, 0, 1 << 19);
            break;
        case 'p':
            o->port = (unsigned)number(optarg, 1, 65535);
            break;
        case 'm':
            o->max_entries = (unsigned)number(optarg, 1, 10000);
            break;
        case 's':
            o->seed = number(optarg, 0, UINT64_MAX);
            break;
        case 'x':
            o->config_only = true;
            break;
        default:
            usage();
        }
    }
    if (!o->config || !o->database || optind != argc)
        usage();
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct sgen g;
    struct config *cfg = NULL;
    struct store *store = NULL;
    struct buf errors;
    struct stat sb;
    int64_t *ids = NULL, now = clock_now(), span, t0;
    size_t stored = 0, polls = 0, added = 0, merged = 0, doc_bytes = 0;
    double start = bench_now(), gen_s = 0, ingest_s = 0;
    char err[512];
    int r, status = 1;

    parse_opts(argc, argv, &o);
    if (sgen_init(&g, o.seed, o.feeds, o.content) < 0) {
        fprintf(stderr, "fill_db: out of memory\n");
        return 1;
    }
    r = sgen_write_config(&g, o.config, o.database, (int)o.port, (int)o.max_entries);
    if (r < 0) {
        fprintf(stderr, "fill_db: cannot write %s: %s\n", o.config, strerror(-r));
        goto out;
    }
    if (o.config_only) {
        status = 0;
        goto out;
    }
    if (stat(o.database, &sb) == 0) {
        fprintf(stderr, "fill_db: %s exists: fill a new database\n", o.database);
        goto out;
    }
    buf_init(&errors, 1 << 20);
    r = config_load(o.config, &cfg, &errors);
    if (r < 0)
        fprintf(stderr, "fill_db: %s", buf_cstr(&errors));
    buf_release(&errors);
    if (r < 0)
        goto out;
    r = store_open(cfg->database, &store, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "fill_db: cannot open %s: %s\n", cfg->database, err);
        goto out;
    }
    config_apply_dedup(cfg, store);
    if (!(ids = calloc(cfg->n_feeds, sizeof(*ids))))
        goto out;
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        struct store_feed_state *st;

        if (store_feed_register(store, cfg->feeds[i].name, cfg->feeds[i].url, &st) < 0) {
            fprintf(stderr, "fill_db: cannot register %s: %s\n", cfg->feeds[i].name,
                    store_errmsg(store));
            goto out;
        }
        ids[i] = st->id;
        store_feed_state_free(st);
    }

    span = (int64_t)o.days * 86400;
    t0 = now - 60 - span;
    while (stored < o.n) {
        uint64_t x = mix(o.seed ^ mix(polls));
        unsigned feed = (unsigned)(polls % o.feeds);
        unsigned n = o.per_poll - 5 + (unsigned)(x % 11);
        int64_t t = t0 + (int64_t)((double)span * (double)(stored + n) / (double)o.n);
        char hash[65];
        struct store_ingest_stats stats = {0};
        struct feed *doc = feed_new();
        double t1, t2;

        if (n > o.n - stored)
            n = (unsigned)(o.n - stored);
        if (t > now - 60)
            t = now - 60;
        t1 = bench_now();
        if (!doc || sgen_document(&g, doc, feed, t, stored, n) < 0) {
            feed_free(doc);
            fprintf(stderr, "fill_db: out of memory\n");
            goto out;
        }
        for (size_t i = 0; i < doc->n_entries; i++)
            doc_bytes += strlen(doc->entries[i].content) + strlen(doc->entries[i].summary) +
                         strlen(doc->entries[i].title) + 300;
        snprintf(hash, sizeof(hash), "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, x,
                 mix(x), mix(x + 1), mix(x + 2));
        struct store_poll poll = {
            .status = 200,
            .polled_at = t,
            .next_poll = now + YEAR,
            .body_hash = hash,
            .body_size = 100000,
        };
        t2 = bench_now();
        r = store_ingest(store, ids[feed], doc, &poll, &stats);
        ingest_s += bench_now() - t2;
        gen_s += t2 - t1;
        feed_free(doc);
        if (r < 0) {
            fprintf(stderr, "fill_db: store_ingest: %s\n", store_errmsg(store));
            goto out;
        }
        added += stats.added;
        merged += stats.merged;
        stored += n;
        polls++;
        if (stored / 100000 != (stored - n) / 100000)
            fprintf(stderr, "fill_db: %zu entries, %.0f s\n", stored, bench_now() - start);
    }
    store_close(store);
    store = NULL;
    if (stat(o.database, &sb) < 0)
        sb.st_size = 0;
    printf("FILL entries=%zu added=%zu merged=%zu polls=%zu feeds=%u days=%u content=%zu "
           "seed=%" PRIu64 " text_mb=%.0f db_mb=%.0f gen_s=%.1f ingest_s=%.1f wall_s=%.1f "
           "entries_per_s=%.0f\n",
           stored, added, merged, polls, o.feeds, o.days, o.content, o.seed,
           (double)doc_bytes / 1e6, (double)sb.st_size / 1e6, gen_s, ingest_s, bench_now() - start,
           (double)stored / ingest_s);
    status = 0;
out:
    free(ids);
    store_close(store);
    config_free(cfg);
    sgen_release(&g);
    return status;
}
