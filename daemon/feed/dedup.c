/* dedup: see dedup.h. */
#include "feed/dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *prefixed(const char *prefix, const char *s)
{
    size_t n = strlen(prefix) + strlen(s) + 1;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s%s", prefix, s);
    return p;
}

int dedup_entry_key(const struct entry *e, char **ret)
{
    char *key;

    if (e->id) {
        key = prefixed("g:", e->id);
    } else if (e->link) {
        key = prefixed("l:", e->link);
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

int dedup_entry_hash(const struct entry *e, char out[HASH_HEX_LEN + 1])
{
    struct hash_ctx *h = hash_new();
    char dates[48];

    if (!h)
        return -ENOMEM;
    hash_update_str(h, e->id);
    hash_update_str(h, e->link);
    hash_update_str(h, e->title);
    hash_update_str(h, e->summary);
    hash_update_str(h, e->content);
    hash_update_str(h, e->author);
    snprintf(dates, sizeof(dates), "%lld/%lld", (long long)e->published, (long long)e->updated);
    hash_update_str(h, dates);
    hash_final_hex(h, out);
    return 0;
}
