/* publish: see publish.h. */
#include "app/publish.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/blob.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "feed/atom_out.h"

struct publisher {
    struct store *store;
    const struct config *cfg;
    bool stale;
    struct blob *atom;
    char etag[40]; /* "\"" + 32 hex + "\"" */
    int64_t last_modified;
    struct httpd_route routes[2];
};

static const char *title_of(const char *name, void *ud)
{
    const struct publisher *p = ud;
    const struct feed_conf *fc = config_find_feed(p->cfg, name);

    return fc ? fc->title : NULL;
}

static int render(struct publisher *p)
{
    struct atom_out_meta meta = {.title = p->cfg->title, .generator_version = HERALD_VERSION};
    char self[1024], id[1024], hash[HASH_HEX_LEN + 1];
    struct feed *merged = NULL;
    struct blob *blob;
    char *doc;
    size_t len;
    int r;

    struct store_merged_opts mo = {
        .level = (enum dedup_level)p->cfg->dedup,
        .limit = (size_t)p->cfg->max_entries,
        .prefer = (const char *const *)p->cfg->dedup_prefer.v,
        .n_prefer = p->cfg->dedup_prefer.n,
        .title_of = title_of,
        .ud = p,
    };
    r = store_merged(p->store, &mo, &merged);
    if (r < 0) {
        log_error("STORE", "cannot read the merged feed: %s", store_errmsg(p->store));
        return r;
    }
    snprintf(self, sizeof(self), "%s/feed.atom", p->cfg->public_url);
    snprintf(id, sizeof(id), "%s/", p->cfg->public_url);
    meta.self_url = self;
    meta.id = id;
    r = atom_render(&meta, merged, &doc, &len);
    feed_free(merged);
    if (r < 0)
        return r;
    hash_sha256_hex(doc, len, hash);
    if (p->atom && strncmp(p->etag + 1, hash, 32) == 0) {
        free(doc); /* same bytes: keep the validators */
        return 0;
    }
    blob = blob_new(doc, len);
    if (!blob)
        return -ENOMEM;
    blob_unref(p->atom);
    p->atom = blob;
    snprintf(p->etag, sizeof(p->etag), "\"%.32s\"", hash);
    p->last_modified = clock_now();
    return 0;
}

static void on_feed_atom(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    struct publisher *p = ud;

    (void)req;
    if ((p->stale || !p->atom) && render(p) == 0)
        p->stale = false;
    if (!p->atom) {
        res->status = 503;
        res->content_type = "text/plain; charset=utf-8";
        return;
    }
    res->content_type = "application/atom+xml; charset=utf-8";
    res->etag = p->etag;
    res->last_modified = p->last_modified;
    res->cache_control = "max-age=60";
    res->body = blob_ref(p->atom);
}

static void on_healthz(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    static char ok[] = "ok\n";
    char *body = malloc(sizeof(ok) - 1);

    (void)req;
    (void)ud;
    res->content_type = "text/plain; charset=utf-8";
    res->cache_control = "no-store";
    if (body) {
        memcpy(body, ok, sizeof(ok) - 1);
        res->body = blob_new(body, sizeof(ok) - 1);
    }
}

int publisher_new(struct store *store, const struct config *cfg, struct publisher **ret)
{
    struct publisher *p = calloc(1, sizeof(*p));

    if (!p)
        return -ENOMEM;
    p->store = store;
    p->cfg = cfg;
    p->stale = true;
    p->last_modified = TIME_NONE;
    p->routes[0] = (struct httpd_route){"/feed.atom", on_feed_atom, p};
    p->routes[1] = (struct httpd_route){"/healthz", on_healthz, p};
    *ret = p;
    return 0;
}

void publisher_free(struct publisher *p)
{
    if (!p)
        return;
    blob_unref(p->atom);
    free(p);
}

void publish_invalidate(struct publisher *p)
{
    p->stale = true;
}

const struct httpd_route *publish_routes(struct publisher *p, size_t *ret_n)
{
    *ret_n = sizeof(p->routes) / sizeof(p->routes[0]);
    return p->routes;
}
