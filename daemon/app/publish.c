/* publish: see publish.h. */
#include "app/publish.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <zlib.h>

#include "app/opml.h"
#include "base/blob.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "feed/atom_out.h"
#include "feed/jsonfeed_out.h"
#include "feed/rss_out.h"

enum format {
    FMT_ATOM,
    FMT_RSS,
    FMT_JSON,
    N_FORMATS,
};

static const char *const extensions[N_FORMATS] = {"atom", "rss", "json"};
static const char *const content_types[N_FORMATS] = {
    "application/atom+xml; charset=utf-8",
    "application/rss+xml; charset=utf-8",
    "application/feed+json; charset=utf-8",
};

/* One representation: its bytes and strong ETag. */
struct variant {
    struct blob *body;
    char etag[48]; /* "\"" + 32 hex + "-gzip" + "\"" */
};

/* One format of one output: identity and gzip variants of the same
 * render, and when its bytes last changed. */
struct rendition {
    struct variant plain, gzip; /* gzip: made on the first request that wants it */
    int64_t last_modified;
    bool stale; /* the entries changed since it was rendered */
};

#define ALL_FORMATS ((1u << N_FORMATS) - 1)

struct out;

/* A route's userdata: an output and a format. */
struct route_ud {
    struct out *out;
    enum format fmt;
};

struct out {
    struct publisher *p;
    const struct output_conf *conf;
    struct feed *merged; /* its entries as last read, for every format */
    bool merged_stale;
    struct rendition r[N_FORMATS];
    struct route_ud ud[N_FORMATS];
    char *paths[N_FORMATS];
    char exported[N_FORMATS][48];     /* the ETag last written to export_dir */
    char *archive_path;               /* the archive pages' route, ending in a star */
    struct rendition page[N_FORMATS]; /* the archive page last asked for */
    int64_t page_no[N_FORMATS];       /* which one; -1: none */
    char **feeds;                     /* names of the feeds it carries, sorted; NULL: every feed */
    size_t n_feeds;
    void *md; /* pcre2 match data for include/exclude (config_match_data()) */
};

struct publisher {
    struct store *store;
    const struct config *cfg;
    struct out *outs;
    size_t n_outs;
    struct httpd_route *routes;
    size_t n_routes;
    char cache_control[32];
    struct variant opml; /* /opml: the configuration's feeds, rendered once */
    unsigned exports;    /* export jobs on the thread pool (they write into outs) */
    bool freed;          /* publisher_free() ran: the last export job frees it */
};

/* ---- which entries an output carries ------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int out_init_feeds(struct out *o, const struct config *cfg)
{
    if (!o->conf->feeds.n && !o->conf->tags.n)
        return 0;
    o->feeds = calloc(cfg->n_feeds + 1, sizeof(*o->feeds));
    if (!o->feeds)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->n_feeds; i++)
        if (config_output_has_feed(o->conf, &cfg->feeds[i]))
            o->feeds[o->n_feeds++] = cfg->feeds[i].name;
    qsort(o->feeds, o->n_feeds, sizeof(*o->feeds), cmp_str);
    return 0;
}

static bool out_accepts(const struct entry *e, const char *feed, void *ud)
{
    struct out *o = ud;

    if (o->feeds && (!feed || !bsearch(&feed, o->feeds, o->n_feeds, sizeof(char *), cmp_str)))
        return false;
    return config_output_matches(o->conf, e, o->md);
}

static const char *title_of(const char *name, void *ud)
{
    const struct out *o = ud;
    const struct feed_conf *fc = config_find_feed(o->p->cfg, name);

    return fc ? fc->title : NULL;
}

/* ---- rendering ------------------------------------------------------------ */

/* gzip of len bytes at p, once per render. Level 1: a 500 KB feed in
 * about 8 ms to 30 % of its size, where level 6 takes 30 ms for 24 %;
 * this runs on the loop. Returns 0 or -ENOMEM. */
static int gzip(const char *p, size_t len, char **ret, size_t *ret_len)
{
    z_stream z = {0};
    uLong cap;
    char *out;
    int rc;

    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    cap = deflateBound(&z, (uLong)len) + 32;
    out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return -ENOMEM;
    }
    z.next_in = (Bytef *)(void *)p;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    rc = deflate(&z, Z_FINISH);
    *ret_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return -ENOMEM;
    }
    *ret = out;
    return 0;
}

/* The gzip variant of r, compressed once per render, when first wanted.
 * Returns 0 or -ENOMEM (the plain variant is served then). */
static int ensure_gzip(struct rendition *r)
{
    char *gz;
    size_t len;
    int rc;

    if (r->gzip.body || !r->plain.body)
        return 0;
    rc = gzip(r->plain.body->data, r->plain.body->len, &gz, &len);
    if (rc == 0 && !(r->gzip.body = blob_new(gz, len)))
        rc = -ENOMEM;
    return rc;
}

/* Swaps doc in as format fmt's new rendition, unless it has the same bytes
 * (then the validators stay). Takes doc. */
static int install(struct rendition *r, char *doc, size_t len)
{
    char hash[HASH_HEX_LEN + 1];
    struct blob *plain;

    r->stale = false;
    hash_sha256_hex(doc, len, hash);
    if (r->plain.body && strncmp(r->plain.etag + 1, hash, 32) == 0) {
        free(doc);
        return 0;
    }
    plain = blob_new(doc, len);
    if (!plain)
        return -ENOMEM;
    blob_unref(r->plain.body);
    blob_unref(r->gzip.body);
    r->plain.body = plain;
    r->gzip.body = NULL;
    snprintf(r->plain.etag, sizeof(r->plain.etag), "\"%.32s\"", hash);
    snprintf(r->gzip.etag, sizeof(r->gzip.etag), "\"%.32s-gzip\"", hash);
    r->last_modified = clock_now();
    return 0;
}

static bool is_default(const struct out *o)
{
    return strcmp(o->conf->name, o->p->cfg->default_output) == 0;
}

static size_t page_size(const struct out *o)
{
    const struct config *cfg = o->p->cfg;

    return (size_t)(o->conf->max_entries ? o->conf->max_entries : cfg->max_entries);
}

/* The newest closed archive page (a block of page_size() entry ids that
 * later entries follow), or -1 when none is closed yet. */
static int64_t last_closed_page(struct out *o)
{
    int64_t max_id = 0;

    if (store_max_entry_id(o->p->store, &max_id) < 0)
        return -1;
    return max_id / (int64_t)page_size(o) - 1;
}

static void page_url(const struct out *o, int64_t k, int fmt, char *out, size_t n)
{
    snprintf(out, n, "%s/outputs/%s/archive/%lld.%s", o->p->cfg->public_url, o->conf->name,
             (long long)k, extensions[fmt]);
}

/* Renders the output (page < 0) or its archive page `page` into rd[]. */
static void merged_opts(struct out *o, struct store_merged_opts *mo)
{
    const struct config *cfg = o->p->cfg;
    const struct output_conf *c = o->conf;

    *mo = (struct store_merged_opts){
        .level = (enum dedup_level)(c->dedup >= 0 ? c->dedup : cfg->dedup),
        .limit = (size_t)(c->max_entries ? c->max_entries : cfg->max_entries),
        .prefer = (const char *const *)cfg->dedup_prefer.v,
        .n_prefer = cfg->dedup_prefer.n,
        .title_of = title_of,
        .accept = o->feeds || c->include_re || c->exclude_re ? out_accepts : NULL,
        .ud = o,
        .since = c->max_age ? clock_now() - c->max_age : 0,
    };
}

/* The output's current entries in o->merged (read again when stale). */
static int read_current(struct out *o, const struct store_merged_opts *mo)
{
    struct feed *merged;
    int r;

    if (o->merged && !o->merged_stale)
        return 0;
    if ((o->conf->include_re || o->conf->exclude_re) && !o->md && !(o->md = config_match_data()))
        return -ENOMEM;
    r = store_merged(o->p->store, mo, &merged);
    if (r < 0) {
        log_error("STORE", "cannot read output \"%s\": %s", o->conf->name,
                  store_errmsg(o->p->store));
        return r;
    }
    feed_free(o->merged);
    o->merged = merged;
    o->merged_stale = false;
    return 0;
}

int publish_entry_ids(struct publisher *p, int64_t **ret, size_t *ret_n)
{
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;

    for (size_t i = 0; i < p->n_outs; i++) {
        struct out *o = &p->outs[i];
        struct store_merged_opts mo;
        int r;

        merged_opts(o, &mo);
        r = read_current(o, &mo);
        if (r < 0) {
            free(ids);
            return r;
        }
        for (size_t k = 0; k < o->merged->n_entries; k++) {
            const struct entry *e = &o->merged->entries[k];
            size_t need = n + 1 + e->n_related;
            if (need > cap) {
                int64_t *v = realloc(ids, (need * 2) * sizeof(*v));
                if (!v) {
                    free(ids);
                    return -ENOMEM;
                }
                ids = v;
                cap = need * 2;
            }
            ids[n++] = e->db_id;
            for (size_t j = 0; j < e->n_related; j++)
                ids[n++] = e->related[j].db_id;
        }
    }
    *ret = ids;
    *ret_n = n;
    return 0;
}

static int render_into(struct out *o, int64_t page, struct rendition rd[N_FORMATS],
                       unsigned formats)
{
    const struct config *cfg = o->p->cfg;
    const struct output_conf *c = o->conf;
    char self[3][1200], title[512], site[1100], *doc = NULL;
    struct store_merged_opts mo;
    char prev[N_FORMATS][1300], current[N_FORMATS][1200];
    int64_t closed = last_closed_page(o), prev_no = page < 0 ? closed : page - 1;

    merged_opts(o, &mo);
    if (page >= 0) {
        mo.since = 0;
        mo.first_id = page * (int64_t)mo.limit + 1;
        mo.last_id = (page + 1) * (int64_t)mo.limit;
    }
    struct feed *merged = NULL;
    size_t len = 0;
    int r;

    if ((c->include_re || c->exclude_re) && !o->md && !(o->md = config_match_data()))
        return -ENOMEM;
    if (page < 0) {
        r = read_current(o, &mo);
        if (r < 0)
            return r;
        merged = o->merged;
    } else {
        r = store_merged(o->p->store, &mo, &merged);
        if (r < 0) {
            log_error("STORE", "cannot read output \"%s\": %s", c->name, store_errmsg(o->p->store));
            return r;
        }
    }
    if (c->title)
        snprintf(title, sizeof(title), "%s", c->title);
    else if (is_default(o))
        snprintf(title, sizeof(title), "%s", cfg->title);
    else
        snprintf(title, sizeof(title), "%s (%s)", cfg->title, c->name);
    snprintf(site, sizeof(site), "%s/", cfg->public_url);
    for (int f = 0; f < N_FORMATS; f++) {
        snprintf(current[f], sizeof(current[f]), "%s/outputs/%s.%s", cfg->public_url, c->name,
                 extensions[f]);
        if (page >= 0)
            page_url(o, page, f, self[f], sizeof(self[f]));
        else
            memcpy(self[f], current[f], sizeof(self[f]));
        if (prev_no >= 0)
            page_url(o, prev_no, f, prev[f], sizeof(prev[f]));
    }

    struct atom_out_meta am = {
        .id = current[FMT_ATOM],
        .title = title,
        .self_url = self[FMT_ATOM],
        .site_url = site,
        .generator_version = HERALD_VERSION,
        .prev_archive = prev_no >= 0 ? prev[FMT_ATOM] : NULL,
        .current = page >= 0 ? current[FMT_ATOM] : NULL,
        .archive = page >= 0,
    };
    struct rss_out_meta rm = {
        .title = title,
        .site_url = site,
        .self_url = self[FMT_RSS],
        .generator_version = HERALD_VERSION,
        .prev_archive = prev_no >= 0 ? prev[FMT_RSS] : NULL,
        .current = page >= 0 ? current[FMT_RSS] : NULL,
        .archive = page >= 0,
    };
    /* The default output keeps the id it has always had; archive pages
     * share their output's id (RFC 5005). */
    if (is_default(o))
        am.id = site;
    r = 0;
    if (formats & (1u << FMT_ATOM) && (r = atom_render(&am, merged, &doc, &len)) == 0)
        r = install(&rd[FMT_ATOM], doc, len);
    if (r == 0 && formats & (1u << FMT_RSS) && (r = rss_render(&rm, merged, &doc, &len)) == 0)
        r = install(&rd[FMT_RSS], doc, len);
    if (r == 0 && formats & (1u << FMT_JSON) && !(r = model_set_str(&merged->title, title)) &&
        !(r = model_set_str(&merged->link, site)) &&
        !(r = model_set_str(&merged->self, self[FMT_JSON])) &&
        !(r = model_set_str(&merged->next_url, prev_no >= 0 ? prev[FMT_JSON] : NULL)) &&
        (r = jsonfeed_render(merged, &doc)) == 0)
        r = install(&rd[FMT_JSON], doc, strlen(doc));
    if (page >= 0)
        feed_free(merged);
    if (r < 0)
        log_error("HTTP", "cannot render output \"%s\": %s", c->name, strerror(-r));
    return r;
}

/* Renders the formats in `formats` of the output (not its pages). */
static int render(struct out *o, unsigned formats)
{
    return render_into(o, -1, o->r, formats);
}

/* ---- serving ---------------------------------------------------------------- */

/* Whether Accept-Encoding allows gzip (a "gzip", "x-gzip" or "*" coding
 * whose q is not 0). */
static bool accepts_gzip(const char *ae)
{
    const char *p = ae;

    while (p && *p) {
        size_t n;
        const char *q;

        p += strspn(p, " \t,");
        n = strcspn(p, ",");
        q = memchr(p, ';', n);
        size_t name = q ? (size_t)(q - p) : n;
        while (name && (p[name - 1] == ' ' || p[name - 1] == '\t'))
            name--;
        if ((name == 4 && !strncasecmp(p, "gzip", 4)) ||
            (name == 6 && !strncasecmp(p, "x-gzip", 6)) || (name == 1 && *p == '*')) {
            const char *qv = q ? strstr(q, "q=") : NULL;
            bool zero = qv && qv < p + n && strtod(qv + 2, NULL) == 0;
            return !zero;
        }
        p += n;
    }
    return false;
}

static void serve(struct out *o, const struct httpd_request *req, struct httpd_response *res,
                  struct rendition *r, int fmt, const char *cache_control)
{
    struct variant *v = &r->plain;

    if (accepts_gzip(req->accept_encoding) && ensure_gzip(r) == 0)
        v = &r->gzip;

    res->content_type = content_types[fmt];
    res->content_encoding = v == &r->gzip ? "gzip" : NULL;
    res->vary = "Accept-Encoding";
    res->etag = v->etag;
    res->last_modified = r->last_modified;
    res->cache_control = cache_control;
    res->allow_origin = o->p->cfg->cors ? "*" : NULL;
    res->body = blob_ref(v->body);
}

static void on_output(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct route_ud *ru = ud;
    struct out *o = ru->out;
    struct rendition *r = &o->r[ru->fmt];

    if (r->stale || !r->plain.body)
        (void)render(o, 1u << ru->fmt); /* on failure the last good one is served */
    if (!r->plain.body) {
        res->status = 503;
        res->content_type = "text/plain; charset=utf-8";
        res->cache_control = "no-store";
        return;
    }
    serve(o, req, res, r, ru->fmt, o->p->cache_control);
}

/* /outputs/NAME/archive/K.EXT: a closed archive page, immutable. */
static void on_archive(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct out *o = ud;
    const char *k = req->path + strlen(o->archive_path) - 1, *dot = strrchr(k, '.');
    char *end;
    long long page;
    int fmt = -1;

    res->status = 404;
    res->content_type = "text/plain; charset=utf-8";
    if (!dot || dot == k || k[0] < '0' || k[0] > '9' || (k[0] == '0' && dot - k > 1))
        return;
    page = strtoll(k, &end, 10);
    if (end != dot)
        return;
    for (int f = 0; f < N_FORMATS; f++)
        if (strcmp(dot + 1, extensions[f]) == 0)
            fmt = f;
    if (fmt < 0 || page > last_closed_page(o))
        return;
    if (o->page_no[fmt] != page || !o->page[fmt].plain.body) {
        if (render_into(o, page, o->page, ALL_FORMATS) < 0) {
            res->status = 503;
            return;
        }
        for (int f = 0; f < N_FORMATS; f++)
            o->page_no[f] = page;
    }
    res->status = 200;
    serve(o, req, res, &o->page[fmt], fmt, "max-age=31536000, immutable");
}

static void on_opml(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct publisher *p = ud;

    (void)req;
    res->content_type = "text/x-opml; charset=utf-8";
    res->etag = p->opml.etag;
    res->cache_control = p->cache_control;
    res->allow_origin = p->cfg->cors ? "*" : NULL;
    res->body = blob_ref(p->opml.body);
}

/* ---- set-up -------------------------------------------------------------------- */

static void add_route(struct publisher *p, const char *path, httpd_handler_cb cb, void *ud)
{
    p->routes[p->n_routes++] = (struct httpd_route){path, cb, ud};
}

int publisher_new(struct store *store, const struct config *cfg, struct publisher **ret)
{
    struct publisher *p = calloc(1, sizeof(*p));
    int r = 0;

    if (!p)
        return -ENOMEM;
    p->store = store;
    p->cfg = cfg;
    snprintf(p->cache_control, sizeof(p->cache_control), "max-age=%lld",
             (long long)cfg->cache_max_age);
    p->outs = calloc(cfg->n_outputs + 1, sizeof(*p->outs));
    p->routes = calloc(cfg->n_outputs * (N_FORMATS + 1) + N_FORMATS + 4, sizeof(*p->routes));
    if (!p->outs || !p->routes) {
        publisher_free(p);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_outputs && r == 0; i++) {
        struct out *o = &p->outs[p->n_outs++];

        o->p = p;
        o->conf = &cfg->outputs[i];
        o->merged_stale = true;
        r = out_init_feeds(o, cfg);
        if (r == 0) {
            size_t n = strlen(o->conf->name) + 32;
            if ((o->archive_path = malloc(n))) {
                snprintf(o->archive_path, n, "/outputs/%s/archive/*", o->conf->name);
                add_route(p, o->archive_path, on_archive, o);
            } else {
                r = -ENOMEM;
            }
        }
        for (int f = 0; f < N_FORMATS && r == 0; f++) {
            size_t n = strlen(o->conf->name) + 32;

            o->ud[f] = (struct route_ud){o, (enum format)f};
            o->r[f].last_modified = TIME_NONE;
            o->page_no[f] = -1;
            if (!(o->paths[f] = malloc(n))) {
                r = -ENOMEM;
                break;
            }
            snprintf(o->paths[f], n, "/outputs/%s.%s", o->conf->name, extensions[f]);
            add_route(p, o->paths[f], on_output, &o->ud[f]);
            if (strcmp(o->conf->name, cfg->default_output) == 0) {
                static const char *const feed_paths[N_FORMATS] = {"/feed.atom", "/feed.rss",
                                                                  "/feed.json"};
                add_route(p, feed_paths[f], on_output, &o->ud[f]);
            }
        }
    }
    if (r == 0) {
        char *doc, hash[HASH_HEX_LEN + 1];
        size_t len;

        r = opml_render(cfg, cfg->title, &doc, &len);
        if (r == 0) {
            hash_sha256_hex(doc, len, hash);
            snprintf(p->opml.etag, sizeof(p->opml.etag), "\"%.32s\"", hash);
            if (!(p->opml.body = blob_new(doc, len)))
                r = -ENOMEM;
        }
        add_route(p, "/opml", on_opml, p);
    }
    if (r < 0) {
        publisher_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

static void free_now(struct publisher *p)
{
    for (size_t i = 0; i < p->n_outs; i++) {
        struct out *o = &p->outs[i];

        for (int f = 0; f < N_FORMATS; f++) {
            blob_unref(o->r[f].plain.body);
            blob_unref(o->r[f].gzip.body);
            blob_unref(o->page[f].plain.body);
            blob_unref(o->page[f].gzip.body);
            free(o->paths[f]);
        }
        feed_free(o->merged);
        free(o->feeds);
        free(o->archive_path);
        config_match_data_free(o->md);
    }
    free(p->outs);
    free(p->routes);
    blob_unref(p->opml.body);
    free(p);
}

void publisher_free(struct publisher *p)
{
    if (!p)
        return;
    if (p->exports)
        p->freed = true; /* the last export job frees it */
    else
        free_now(p);
}

/* ---- static export ----------------------------------------------------------- */

/* One file to write, on the thread pool: the blob is only read there. */
struct export_file {
    char *path;
    struct blob *body;
    char *slot; /* out->exported[f], set to etag once written (NULL: none) */
    char etag[48];
};

struct export_job {
    uv_work_t work;
    struct publisher *p;
    char *dir;
    struct export_file files[2 * N_FORMATS];
    size_t n;
    char err[4400];
};

/* Writes body to path atomically: a temporary file in the same folder,
 * fsync, rename, then fsync of the folder. */
static int write_atomic(const char *dir, const char *path, const struct blob *body, char *err,
                        size_t errlen)
{
    char tmp[4200];
    int fd, r = 0;
    size_t off = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        r = -errno;
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return r;
    }
    while (off < body->len) {
        ssize_t n = write(fd, body->data + off, body->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        off += (size_t)n;
    }
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(-r));
        unlink(tmp);
        return r;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 0;
}

static void on_export_work(uv_work_t *w)
{
    struct export_job *j = w->data;

    for (size_t i = 0; i < j->n && !j->err[0]; i++)
        (void)write_atomic(j->dir, j->files[i].path, j->files[i].body, j->err, sizeof(j->err));
}

static void on_export_done(uv_work_t *w, int status)
{
    struct export_job *j = w->data;

    if (status == 0 && j->err[0])
        log_error("HTTP", "export_dir: cannot write %s", j->err);
    for (size_t i = 0; i < j->n; i++) {
        /* Written: not again until the bytes change (else: next time). */
        if (status == 0 && !j->err[0] && j->files[i].slot)
            memcpy(j->files[i].slot, j->files[i].etag, sizeof(j->files[i].etag));
        free(j->files[i].path);
        blob_unref(j->files[i].body);
    }
    free(j->dir);
    if (j->p && --j->p->exports == 0 && j->p->freed)
        free_now(j->p);
    free(j);
}

static int export_file(struct export_job *j, const char *name, const char *ext, struct blob *body,
                       char *slot, const char *etag)
{
    size_t n = strlen(j->dir) + strlen(name) + strlen(ext) + 4;
    struct export_file *f = &j->files[j->n];

    if (!(f->path = malloc(n)))
        return -ENOMEM;
    snprintf(f->path, n, "%s/%s.%s", j->dir, name, ext);
    f->body = blob_ref(body);
    f->slot = slot;
    snprintf(f->etag, sizeof(f->etag), "%s", etag ? etag : "");
    j->n++;
    return 0;
}

int publish_refresh(struct publisher *p, uv_loop_t *loop)
{
    const char *dir = p->cfg->export_dir;

    for (size_t i = 0; i < p->n_outs; i++) {
        struct out *o = &p->outs[i];
        struct export_job *j;
        int r = 0;

        unsigned formats = 0;

        /* The formats readers fetch (rendered before) stay ready; all of
         * them, with their gzip, when they are exported. */
        for (int f = 0; f < N_FORMATS; f++)
            if (dir ? o->r[f].stale || !o->r[f].plain.body : o->r[f].stale && o->r[f].plain.body)
                formats |= 1u << f;
        if (formats)
            (void)render(o, formats);
        if (!dir)
            continue;
        for (int f = 0; f < N_FORMATS; f++)
            if (ensure_gzip(&o->r[f]) < 0)
                return -ENOMEM;
        if (!(j = calloc(1, sizeof(*j))) || !(j->dir = strdup(dir))) {
            free(j);
            return -ENOMEM;
        }
        for (int f = 0; f < N_FORMATS && r == 0; f++) {
            struct rendition *rd = &o->r[f];
            char gz_ext[16];

            if (!rd->plain.body || strcmp(o->exported[f], rd->plain.etag) == 0)
                continue;
            snprintf(gz_ext, sizeof(gz_ext), "%s.gz", extensions[f]);
            /* The .gz first: a web server serving gzip_static then never
             * pairs a new plain file with an old compressed one. */
            r = export_file(j, o->conf->name, gz_ext, rd->gzip.body, NULL, NULL);
            if (r == 0)
                r = export_file(j, o->conf->name, extensions[f], rd->plain.body, o->exported[f],
                                rd->plain.etag);
        }
        j->work.data = j;
        j->p = p;
        p->exports++;
        if (r < 0 || !j->n || uv_queue_work(loop, &j->work, on_export_work, on_export_done) < 0)
            on_export_done(&j->work, -1);
        if (r < 0)
            return r;
    }
    return 0;
}

void publish_invalidate(struct publisher *p)
{
    for (size_t i = 0; i < p->n_outs; i++) {
        p->outs[i].merged_stale = true;
        for (int f = 0; f < N_FORMATS; f++)
            p->outs[i].r[f].stale = true;
    }
}

const struct httpd_route *publish_routes(struct publisher *p, size_t *ret_n)
{
    *ret_n = p->n_routes;
    return p->routes;
}
