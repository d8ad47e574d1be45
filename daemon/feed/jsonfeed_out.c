/* jsonfeed_out: see jsonfeed_out.h.
 *
 * The document (JSON Feed 1.1; optional keys are omitted when the model
 * has no value, "_herald" keys are always present):
 *
 *   {
 *     "version": "https://jsonfeed.org/version/1.1",
 *     "title": feed title ("" when none: JSON Feed requires it),
 *     "home_page_url": site link,
 *     "feed_url": self link,
 *     "description": subtitle,
 *     "authors": [{"name": author}],
 *     "_herald": {
 *       "format": "rss" | "rdf" | "atom" | "json" | "unknown",
 *       "id": Atom id | null,
 *       "bozo": bool,
 *       "bozo_message": string | null
 *     },
 *     "items": [{
 *       "id": the entry id, else its link, else "urn:sha256:<hex>" of its
 *             title, summary, content and publication date (stable),
 *       "url": link,
 *       "title": title,
 *       "content_html": content, else summary;
 *       "content_text": "" instead when the entry has neither,
 *       "summary": summary as plain text, only when content is also there,
 *       "date_published", "date_modified": RFC 3339 UTC,
 *       "authors": [{"name": author}],
 *       "_herald": {
 *         "id": the original id verbatim | null,
 *         "id_is_permalink": bool,
 *         "source": {"id", "title", "home_page_url", "feed_url",
 *                    "updated"}   only when entry->source.url is set
 *       }
 *     }]
 *   }
 *
 * jansson rejects invalid UTF-8: such strings are repaired (each bad byte
 * becomes U+FFFD) rather than dropped.
 */
#include "feed/jsonfeed_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/hash.h"
#include "feed/xml.h"

#define JSONFEED_VERSION "https://jsonfeed.org/version/1.1"

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return n;
}

static json_t *utf8_string(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct buf b;
    json_t *j;

    buf_init(&b, SIZE_MAX / 2);
    while (*p) {
        size_t n = utf8_seq(p);

        if (n)
            buf_append(&b, p, n);
        else
            buf_puts(&b, "\xEF\xBF\xBD");
        p += n ? n : 1;
    }
    j = b.err ? NULL : json_string(buf_cstr(&b));
    buf_release(&b);
    return j;
}

static int put(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) < 0 ? -ENOMEM : 0;
}

/* Optional string: nothing when s is NULL. */
static int put_str(json_t *obj, const char *key, const char *s)
{
    return s ? put(obj, key, utf8_string(s)) : 0;
}

static int put_str_or_null(json_t *obj, const char *key, const char *s)
{
    return put(obj, key, s ? utf8_string(s) : json_null());
}

static int put_date(json_t *obj, const char *key, int64_t t)
{
    char out[CLOCK_RFC3339_LEN];

    if (t == TIME_NONE || clock_format_rfc3339(t, out) < 0)
        return 0;
    return put(obj, key, json_string(out));
}

static int put_authors(json_t *obj, const char *name)
{
    json_t *a;

    if (!name)
        return 0;
    a = json_pack("[{s:o}]", "name", utf8_string(name));
    return put(obj, "authors", a);
}

static int item_id(const struct entry *e, char **ret)
{
    static const char prefix[] = "urn:sha256:";
    char hex[HASH_HEX_LEN + 1], date[32];
    struct hash_ctx *h;
    struct buf b;

    if (e->id || e->link)
        return model_set_str(ret, e->id ? e->id : e->link);
    h = hash_new();
    if (!h)
        return -ENOMEM;
    hash_update_str(h, e->title);
    hash_update_str(h, e->summary);
    hash_update_str(h, e->content);
    snprintf(date, sizeof(date), "%lld", (long long)e->published);
    hash_update_str(h, date);
    hash_final_hex(h, hex);
    buf_init(&b, sizeof(prefix) + HASH_HEX_LEN);
    buf_puts(&b, prefix);
    buf_puts(&b, hex);
    if (b.err)
        return b.err;
    *ret = buf_steal(&b);
    return *ret ? 0 : -ENOMEM;
}

static int put_source(json_t *ext, const struct entry_source *s)
{
    json_t *src;
    int r;

    if (!s->url)
        return 0;
    src = json_object();
    if (!src)
        return -ENOMEM;
    r = put_str_or_null(src, "id", s->id);
    if (r == 0)
        r = put_str(src, "title", s->title);
    if (r == 0)
        r = put_str(src, "home_page_url", s->link);
    if (r == 0)
        r = put_str(src, "feed_url", s->url);
    if (r == 0)
        r = put_date(src, "updated", s->updated);
    if (r < 0) {
        json_decref(src);
        return r;
    }
    return put(ext, "source", src);
}

static int put_item_ext(json_t *item, const struct entry *e)
{
    json_t *ext = json_object();
    int r;

    if (!ext)
        return -ENOMEM;
    r = put_str_or_null(ext, "id", e->id);
    if (r == 0)
        r = put(ext, "id_is_permalink", json_boolean(e->id_is_permalink));
    if (r == 0)
        r = put_source(ext, &e->source);
    if (r < 0) {
        json_decref(ext);
        return r;
    }
    return put(item, "_herald", ext);
}

static int put_body(json_t *item, const struct entry *e)
{
    char *summary = NULL;
    int r;

    if (!e->content && !e->summary)
        return put(item, "content_text", json_string(""));
    r = put_str(item, "content_html", e->content ? e->content : e->summary);
    if (r < 0 || !e->content || !e->summary)
        return r;
    r = xml_html_to_text(e->summary, &summary);
    if (r == 0)
        r = put_str(item, "summary", summary);
    free(summary);
    return r;
}

static int put_item(json_t *items, const struct entry *e)
{
    json_t *item = json_object();
    char *id = NULL;
    int r;

    if (!item)
        return -ENOMEM;
    r = item_id(e, &id);
    if (r == 0)
        r = put_str(item, "id", id);
    if (r == 0)
        r = put_str(item, "url", e->link);
    if (r == 0)
        r = put_str(item, "title", e->title);
    if (r == 0)
        r = put_body(item, e);
    if (r == 0)
        r = put_date(item, "date_published", e->published);
    if (r == 0)
        r = put_date(item, "date_modified", e->updated);
    if (r == 0)
        r = put_authors(item, e->author);
    if (r == 0)
        r = put_item_ext(item, e);
    free(id);
    if (r < 0) {
        json_decref(item);
        return r;
    }
    return json_array_append_new(items, item) < 0 ? -ENOMEM : 0;
}

static int put_feed_ext(json_t *root, const struct feed *f)
{
    json_t *ext = json_object();
    int r;

    if (!ext)
        return -ENOMEM;
    r = put(ext, "format", json_string(feed_format_name(f->format)));
    if (r == 0)
        r = put_str_or_null(ext, "id", f->id);
    if (r == 0)
        r = put(ext, "bozo", json_boolean(f->bozo));
    if (r == 0)
        r = put_str_or_null(ext, "bozo_message", f->bozo_message);
    if (r < 0) {
        json_decref(ext);
        return r;
    }
    return put(root, "_herald", ext);
}

static int put_items(json_t *root, const struct feed *f)
{
    json_t *items = json_array();
    int r = items ? 0 : -ENOMEM;

    for (size_t i = 0; i < f->n_entries && r == 0; i++)
        r = put_item(items, &f->entries[i]);
    if (r < 0) {
        json_decref(items);
        return r;
    }
    return put(root, "items", items);
}

static int build(json_t *root, const struct feed *f)
{
    int r = put(root, "version", json_string(JSONFEED_VERSION));

    if (r == 0)
        r = put(root, "title", utf8_string(f->title ? f->title : ""));
    if (r == 0)
        r = put_str(root, "home_page_url", f->link);
    if (r == 0)
        r = put_str(root, "feed_url", f->self);
    if (r == 0)
        r = put_str(root, "description", f->subtitle);
    if (r == 0)
        r = put_authors(root, f->author);
    if (r == 0)
        r = put_feed_ext(root, f);
    if (r == 0)
        r = put_items(root, f);
    return r;
}

int jsonfeed_render(const struct feed *f, char **ret)
{
    json_t *root = json_object();
    char *out;
    int r;

    if (!root)
        return -ENOMEM;
    r = build(root, f);
    if (r == 0) {
        out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (out)
            *ret = out;
        else
            r = -ENOMEM;
    }
    json_decref(root);
    return r;
}
