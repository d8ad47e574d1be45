/* render_time: how long heraldd takes to render its output again after an
 * ingest, on a database that fill_db filled (run.sh drives it; not part of
 * Herald).
 *
 *   render_time -c CONFIG [-i ITERATIONS] [-w WARMUP] [-C CONTENT_BYTES] [-s SEED]
 *
 * Opens what CONFIG names as heraldd does (config_load(), store_open(),
 * config_apply_dedup(), store_feed_register() of every feed,
 * store_feeds_retain(), publisher_new()) and takes the /feed.atom handler
 * from publish_routes(). Then, WARMUP (default 5) + ITERATIONS (default 50)
 * times: stores one poll of one feed (taken in turn) carrying one new entry
 * (generated as fill_db's, about CONTENT_BYTES of HTML, dated within the
 * last 10 minutes) with
 * store_ingest(), calls publish_invalidate() as heraldd does after a poll
 * that changed something, and times the handler call for a plain GET of
 * /feed.atom: that call renders the output again, i.e. store_merged(), the
 * Atom, RSS and JSON Feed documents, a SHA-256 and a gzip of each (publish.c
 * render_into()). The response must carry the new entry (its id, or its
 * link among a known story's related links when it joined one). The WARMUP
 * iterations are not counted.
 *
 * Then the same pieces are timed one by one on the same database (the
 * breakdown: store_merged, atom_render, rss_render, jsonfeed_render, and
 * sha256 + gzip -6 of the three documents), built here the way publish.c
 * builds them; their sum approximates the handler's time.
 *
 * The database keeps the added entries (ITERATIONS + WARMUP, each as large
 * as a filled one, so the output keeps its size).
 *
 * Output: "KEY key=value ..." lines on stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "app/config.h"
#include "app/publish.h"
#include "base/blob.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/hash.h"
#include "feed/atom_out.h"
#include "feed/jsonfeed_out.h"
#include "feed/rss_out.h"
#include "gen.h"
#include "load.h"
#include "net/httpd.h"
#include "store/store.h"

#define YEAR (365 * INT64_C(86400))

enum part {
    P_MERGED,
    P_ATOM,
    P_RSS,
    P_JSON,
    P_HASH_GZIP,
    N_PARTS,
};

static const char *const part_names[N_PARTS] = {"store_merged", "atom_render", "rss_render",
                                                "jsonfeed_render", "sha256_gzip"};

struct opts {
    const char *config;
    size_t iterations, warmup, content;
    uint64_t seed;
};

static void usage(void)
{
    fprintf(stderr, "usage: render_time -c CONFIG [-i ITERATIONS] [-w WARMUP] "
                    "[-C CONTENT_BYTES] [-s SEED]\n");
    exit(2);
}

static unsigned long long number(const char *s, unsigned long long lo, unsigned long long hi)
{
    unsigned long long v;

    if (bench_number(s, lo, hi, &v) < 0)
        usage();
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Prints "median_ms=... p90_ms=... min_ms=... max_ms=... mean_ms=..." of
 * n samples (seconds); sorts v. p90 is the nearest rank. */
static void print_stats(double *v, size_t n)
{
    double sum = 0;
    size_t k = (9 * n + 9) / 10;

    qsort(v, n, sizeof(*v), cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    printf("median_ms=%.2f p90_ms=%.2f min_ms=%.2f max_ms=%.2f mean_ms=%.2f",
           1e3 * (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2), 1e3 * v[k ? k - 1 : 0],
           1e3 * v[0], 1e3 * v[n - 1], 1e3 * sum / (double)n);
}

/* gzip as publish.c does it (level 6, gzip wrapper); returns the length, 0
 * on failure. */
static size_t gzip_len(const char *p, size_t len)
{
    z_stream z = {0};
    uLong cap;
    unsigned char *out;
    size_t n = 0;

    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    cap = deflateBound(&z, (uLong)len) + 32;
    if ((out = malloc(cap))) {
        z.next_in = (Bytef *)(void *)p;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END)
            n = z.total_out;
        free(out);
    }
    deflateEnd(&z);
    return n;
}

static const char *title_of(const char *name, void *ud)
{
    const struct config *cfg = ud;
    const struct feed_conf *fc = config_find_feed(cfg, name);

    return fc ? fc->title : NULL;
}

/* The output's pieces one by one, as publish.c's render_into() makes them;
 * adds each one's seconds to t[] and the documents' sizes to sizes[]. */
static int render_parts(struct store *store, const struct config *cfg, double t[N_PARTS],
                        size_t sizes[6])
{
    struct store_merged_opts mo = {
        .level = (enum dedup_level)cfg->dedup,
        .limit = (size_t)cfg->max_entries,
        .prefer = (const char *const *)cfg->dedup_prefer.v,
        .n_prefer = cfg->dedup_prefer.n,
        .title_of = title_of,
        .ud = (void *)cfg,
    };
    char site[1100], self[3][1200];
    struct feed *merged = NULL;
    char *docs[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    double t0;
    int r;

    snprintf(site, sizeof(site), "%s/", cfg->public_url);
    snprintf(self[0], sizeof(self[0]), "%s/outputs/all.atom", cfg->public_url);
    snprintf(self[1], sizeof(self[1]), "%s/outputs/all.rss", cfg->public_url);
    snprintf(self[2], sizeof(self[2]), "%s/outputs/all.json", cfg->public_url);
    struct atom_out_meta am = {.id = site,
                               .title = cfg->title,
                               .self_url = self[0],
                               .site_url = site,
                               .generator_version = HERALD_VERSION};
    struct rss_out_meta rm = {.title = cfg->title,
                              .site_url = site,
                              .self_url = self[1],
                              .generator_version = HERALD_VERSION};

    t0 = bench_now();
    r = store_merged(store, &mo, &merged);
    t[P_MERGED] += bench_now() - t0;
    if (r < 0)
        return r;
    t0 = bench_now();
    r = atom_render(&am, merged, &docs[0], &lens[0]);
    t[P_ATOM] += bench_now() - t0;
    if (r == 0) {
        t0 = bench_now();
        r = rss_render(&rm, merged, &docs[1], &lens[1]);
        t[P_RSS] += bench_now() - t0;
    }
    if (r == 0 && !(r = model_set_str(&merged->title, cfg->title)) &&
        !(r = model_set_str(&merged->link, site)) && !(r = model_set_str(&merged->self, self[2]))) {
        t0 = bench_now();
        r = jsonfeed_render(merged, &docs[2]);
        t[P_JSON] += bench_now() - t0;
        if (r == 0)
            lens[2] = strlen(docs[2]);
    }
    if (r == 0) {
        t0 = bench_now();
        for (int f = 0; f < 3; f++) {
            char hash[HASH_HEX_LEN + 1];

            hash_sha256_hex(docs[f], lens[f], hash);
            sizes[f] = lens[f];
            sizes[3 + f] = gzip_len(docs[f], lens[f]);
        }
        t[P_HASH_GZIP] += bench_now() - t0;
    }
    for (int f = 0; f < 3; f++)
        free(docs[f]);
    feed_free(merged);
    return r;
}

int main(int argc, char **argv)
{
    struct opts o = {.iterations = 50, .warmup = 5, .content = 3300, .seed = 1};
    struct config *cfg = NULL;
    struct store *store = NULL;
    struct publisher *pub = NULL;
    struct sgen g;
    struct buf errors;
    const struct httpd_route *routes, *atom = NULL;
    const char **names = NULL;
    int64_t *ids = NULL, count = 0;
    double *render = NULL, *ingest = NULL, *parts[N_PARTS] = {NULL};
    size_t n_routes, sizes[6] = {0}, plain_len = 0, joined = 0;
    char err[512];
    int c, r, status = 1;

    while ((c = getopt(argc, argv, "c:i:w:C:s:")) != -1) {
        switch (c) {
        case 'c':
            o.config = optarg;
            break;
        case 'i':
            o.iterations = (size_t)number(optarg, 1, 100000);
            break;
        case 'w':
            o.warmup = (size_t)number(optarg, 0, 100000);
            break;
        case 'C':
            o.content = (size_t)number(optarg, 0, 1 << 19);
            break;
        case 's':
            o.seed = number(optarg, 0, UINT64_MAX);
            break;
        default:
            usage();
        }
    }
    if (!o.config || optind != argc)
        usage();

    buf_init(&errors, 1 << 20);
    r = config_load(o.config, &cfg, &errors);
    if (r < 0)
        fprintf(stderr, "render_time: %s", buf_cstr(&errors));
    buf_release(&errors);
    if (r < 0)
        return 1;
    if (sgen_init(&g, o.seed, (unsigned)cfg->n_feeds, o.content) < 0) {
        config_free(cfg);
        return 1;
    }
    r = store_open(cfg->database, &store, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "render_time: cannot open %s: %s\n", cfg->database, err);
        goto out;
    }
    config_apply_dedup(cfg, store);
    ids = calloc(cfg->n_feeds + 1, sizeof(*ids));
    names = calloc(cfg->n_feeds + 1, sizeof(*names));
    render = calloc(o.iterations, sizeof(*render));
    ingest = calloc(o.iterations, sizeof(*ingest));
    for (int p = 0; p < N_PARTS; p++)
        parts[p] = calloc(o.iterations, sizeof(*parts[p]));
    if (!ids || !names || !render || !ingest || !parts[N_PARTS - 1] || !parts[0] || !parts[1] ||
        !parts[2] || !parts[3]) {
        fprintf(stderr, "render_time: out of memory\n");
        goto out;
    }
    /* As the poller does at start-up. */
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        struct store_feed_state *st;

        if (store_feed_register(store, cfg->feeds[i].name, cfg->feeds[i].url, &st) < 0) {
            fprintf(stderr, "render_time: cannot register %s: %s\n", cfg->feeds[i].name,
                    store_errmsg(store));
            goto out;
        }
        ids[i] = st->id;
        names[i] = cfg->feeds[i].name;
        store_feed_state_free(st);
    }
    if (store_feeds_retain(store, names, cfg->n_feeds) < 0 ||
        store_count_entries(store, &count) < 0) {
        fprintf(stderr, "render_time: %s\n", store_errmsg(store));
        goto out;
    }
    if (publisher_new(store, cfg, &pub) < 0) {
        fprintf(stderr, "render_time: cannot make the publisher\n");
        goto out;
    }
    routes = publish_routes(pub, &n_routes);
    for (size_t i = 0; i < n_routes; i++)
        if (strcmp(routes[i].path, "/feed.atom") == 0)
            atom = &routes[i];
    if (!atom) {
        fprintf(stderr, "render_time: no /feed.atom route\n");
        goto out;
    }

    /* The first render, as the first request after start-up has it. */
    {
        struct httpd_request req = {.method = "GET", .path = "/feed.atom"};
        struct httpd_response res = {0};
        double t0 = bench_now(), dt;

        atom->handler(&req, &res, atom->userdata);
        dt = bench_now() - t0;
        if (!res.body || (res.status != 0 && res.status != 200)) {
            fprintf(stderr, "render_time: /feed.atom answered %d\n", res.status);
            blob_unref(res.body);
            goto out;
        }
        printf("FIRST entries=%" PRId64 " feeds=%zu atom_bytes=%zu first_render_ms=%.2f\n", count,
               cfg->n_feeds, res.body->len, 1e3 * dt);
        blob_unref(res.body);
    }

    uint64_t seq0 = (UINT64_C(1) << 40) | ((uint64_t)clock_now() << 12);
    for (size_t i = 0; i < o.warmup + o.iterations; i++) {
        unsigned feed = (unsigned)(i % cfg->n_feeds);
        struct feed *doc = feed_new();
        struct store_ingest_stats stats = {0};
        struct httpd_request req = {.method = "GET", .path = "/feed.atom"};
        struct httpd_response res = {0};
        int64_t now = clock_now();
        char hash[65], id[96], link[256];
        double t0, t1, t2;

        snprintf(hash, sizeof(hash), "%064" PRIx64, seq0 + i);
        struct store_poll poll = {.status = 200,
                                  .polled_at = now,
                                  .next_poll = now + YEAR,
                                  .body_hash = hash,
                                  .body_size = 100000};
        if (!doc || sgen_document(&g, doc, feed, now, seq0 + i, 1) < 0) {
            feed_free(doc);
            fprintf(stderr, "render_time: out of memory\n");
            goto out;
        }
        snprintf(id, sizeof(id), "%s", doc->entries[0].id);
        snprintf(link, sizeof(link), "%s", doc->entries[0].link);
        t0 = bench_now();
        r = store_ingest(store, ids[feed], doc, &poll, &stats);
        t1 = bench_now();
        feed_free(doc);
        if (r < 0 || stats.added != 1) {
            fprintf(stderr, "render_time: store_ingest: %s (added %u)\n",
                    r < 0 ? store_errmsg(store) : "ok", stats.added);
            goto out;
        }
        joined += stats.merged;
        publish_invalidate(pub);
        t2 = bench_now();
        atom->handler(&req, &res, atom->userdata);
        double dt = bench_now() - t2;
        /* At level story the entry can join a known story: then its link is
         * one of that story's rel="related" links instead. */
        if (!res.body || (res.status != 0 && res.status != 200) ||
            (!memmem(res.body->data, res.body->len, id, strlen(id)) &&
             !memmem(res.body->data, res.body->len, link, strlen(link)))) {
            fprintf(stderr, "render_time: /feed.atom (%d) lacks the new entry %s\n", res.status,
                    id);
            blob_unref(res.body);
            goto out;
        }
        plain_len = res.body->len;
        blob_unref(res.body);
        if (i >= o.warmup) {
            size_t k = i - o.warmup;
            double t[N_PARTS] = {0};

            render[k] = dt;
            ingest[k] = t1 - t0;
            if (render_parts(store, cfg, t, sizes) < 0) {
                fprintf(stderr, "render_time: breakdown failed: %s\n", store_errmsg(store));
                goto out;
            }
            for (int p = 0; p < N_PARTS; p++)
                parts[p][k] = t[p];
            printf("ITER i=%zu render_ms=%.2f ingest_ms=%.2f\n", k, 1e3 * dt, 1e3 * (t1 - t0));
        }
    }
    (void)store_count_entries(store, &count);
    printf("SIZES atom=%zu rss=%zu json=%zu atom_gz=%zu rss_gz=%zu json_gz=%zu handler_atom=%zu\n",
           sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5], plain_len);
    printf("RENDER iterations=%zu entries=%" PRId64 " joined_a_story=%zu ", o.iterations, count,
           joined);
    print_stats(render, o.iterations);
    printf("\nINGEST ");
    print_stats(ingest, o.iterations);
    printf("\n");
    for (int p = 0; p < N_PARTS; p++) {
        printf("PART name=%s ", part_names[p]);
        print_stats(parts[p], o.iterations);
        printf("\n");
    }
    status = 0;
out:
    for (int p = 0; p < N_PARTS; p++)
        free(parts[p]);
    free(render);
    free(ingest);
    free(ids);
    free(names);
    publisher_free(pub);
    store_close(store);
    sgen_release(&g);
    config_free(cfg);
    return status;
}
