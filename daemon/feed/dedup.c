/* dedup: see dedup.h. */
#include "feed/dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {
    [DEDUP_NONE] = "none",
    [DEDUP_LINK] = "link",
    [DEDUP_STORY] = "story",
};

const char *dedup_level_name(enum dedup_level l)
{
    return (unsigned)l < sizeof(level_names) / sizeof(level_names[0]) ? level_names[l] : "?";
}

int dedup_level_parse(const char *s, enum dedup_level *ret)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (enum dedup_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

static char *prefixed(const char *prefix, const char *s)
{
    size_t n = strlen(prefix) + strlen(s) + 1;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s%s", prefix, s);
    return p;
}

/* "https://host/" (any scheme, no path, no query): a site's front page. */
static bool is_root(const char *canon)
{
    const char *p = strstr(canon, "://");

    if (!p)
        return false;
    p = strchr(p + 3, '/');
    return !p || strcmp(p, "/") == 0;
}

int dedup_prepare_entry(struct entry *e, const struct dedup_opts *o)
{
    if (e->prepared)
        return 0;
    if (e->link) {
        char *canon = NULL;
        int r = url_canonical(e->link, &o->canon, &canon);

        if (r == -ENOMEM)
            return r;
        if (r == 0 && is_root(canon)) {
            free(canon);
            canon = NULL;
        }
        e->canon = canon;
    }
    if (o->fingerprint)
        story_fingerprint(e->title, e->summary ? e->summary : e->content, &e->fp);
    else
        e->fp.n_terms = 0;
    e->prepared = true;
    return 0;
}

int dedup_prepare(struct feed *doc, const struct dedup_opts *o)
{
    for (size_t i = 0; i < doc->n_entries; i++) {
        int r = dedup_prepare_entry(&doc->entries[i], o);
        if (r < 0)
            return r;
    }
    return 0;
}

int dedup_entry_key(const struct entry *e, char **ret)
{
    char *key;

    if (e->id) {
        key = prefixed("g:", e->id);
    } else if (e->link) {
        key = prefixed("l:", e->canon ? e->canon : e->link);
    } else {
        char hex[HASH_HEX_LEN + 1];
        struct hash_ctx *h = hash_new();

        if (!h)
            return -ENOMEM;
        hash_update_str(h, e->title);
        hash_update_str(h, e->content ? e->content : e->summary);
        hash_final_hex(h, hex);
        key = prefixed("h:", hex);
    }
    if (!key)
        return -ENOMEM;
    *ret = key;
    return 0;
}

int dedup_fields_hash(const char *id, const char *link, const char *title, const char *summary,
                      const char *content, const char *author, int64_t published, int64_t updated,
                      char out[HASH_HEX_LEN + 1])
{
    char dates[48];
    struct chash *h = chash_new();

    if (!h)
        return -ENOMEM;
    chash_update_str(h, title);
    chash_update_str(h, summary);
    chash_update_str(h, content);
    chash_final_hex(h, out); /* DEDUP_TEXT_HEX digits */
    if (!(h = chash_new()))
        return -ENOMEM;
    chash_update_str(h, id);
    chash_update_str(h, link);
    chash_update_str(h, author);
    snprintf(dates, sizeof(dates), "%lld/%lld", (long long)published, (long long)updated);
    chash_update_str(h, dates);
    chash_final_hex(h, out + DEDUP_TEXT_HEX);
    return 0;
}

int dedup_entry_hash(const struct entry *e, char out[HASH_HEX_LEN + 1])
{
    return dedup_fields_hash(e->id, e->link, e->title, e->summary, e->content, e->author,
                             e->published, e->updated, out);
}

int dedup_entry_urn_hash(const struct entry *e, char out[HASH_HEX_LEN + 1])
{
    char text[HASH_HEX_LEN + 1], meta[HASH_HEX_LEN + 1], dates[48];
    struct hash_ctx *h = hash_new();

    if (!h)
        return -ENOMEM;
    hash_update_str(h, e->title);
    hash_update_str(h, e->summary);
    hash_update_str(h, e->content);
    hash_final_hex(h, text);
    if (!(h = hash_new()))
        return -ENOMEM;
    hash_update_str(h, e->id);
    hash_update_str(h, e->link);
    hash_update_str(h, e->author);
    snprintf(dates, sizeof(dates), "%lld/%lld", (long long)e->published, (long long)e->updated);
    hash_update_str(h, dates);
    hash_final_hex(h, meta);
    memcpy(out, text, HASH_HEX_LEN / 2);
    memcpy(out + HASH_HEX_LEN / 2, meta, HASH_HEX_LEN / 2);
    out[HASH_HEX_LEN] = '\0';
    return 0;
}
