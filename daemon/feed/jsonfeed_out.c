/* jsonfeed_out: see jsonfeed_out.h.
 *
 * The document (JSON Feed 1.1; optional keys are omitted when the model
 * has no value, "_herald" keys marked "always" are always present):
 *
 *   {
 *     "version": "https://jsonfeed.org/version/1.1",
 *     "title": feed title ("" when none: JSON Feed requires it),
 *     "home_page_url": site link,
 *     "feed_url": self link,
 *     "next_url": older entries (an output's archive page), when set,
 *     "description": subtitle,
 *     "icon": logo (RSS image, Atom logo),
 *     "favicon": icon (Atom icon),
 *     "language": language,
 *     "authors": [{"name", "url" (uri, else "mailto:" + e-mail)}],
 *     "hubs": [{"type": "WebSub", "url": hub}],
 *     "_herald": {
 *       "format": "rss" | "rdf" | "atom" | "json" | "unknown",   always
 *       "version": "rss090" | "rss091n" | "rss091u" | "rss092" | "rss093" |
 *                  "rss094" | "rss20" | "rss" | "rss10" | "atom03" |
 *                  "atom10" | "json1" | "json11" | "",              always
 *       "encoding": the encoding the bytes were read in ("utf-8"...), always
 *       "id": Atom id | null,                                         always
 *       "bozo": bool,                                                 always
 *       "bozo_message": string | null,                                always
 *       "generator": string,
 *       "updated": RFC 3339 UTC,
 *       "ttl": minutes,
 *       "skip_hours": [0-23...],
 *       "skip_days": ["Monday"...],
 *       "sy": {"update_period", "update_frequency", "update_base"}
 *     },
 *     "items": [{
 *       "id": the entry id, else its link, else "urn:sha256:<hex>" of its
 *             title, summary, content and publication date (stable),
 *       "url": link,
 *       "title": title,
 *       "content_html": content, else summary;
 *       "content_text": "" instead when the entry has neither,
 *       "summary": summary as plain text, only when content is also there,
 *       "image": the first media:thumbnail,
 *       "date_published", "date_modified": RFC 3339 UTC,
 *       "authors": [{"name", "url"}],
 *       "tags": [category term...],
 *       "attachments": [{"url", "mime_type" (guessed from the extension when
 *                        the feed gave none), "size_in_bytes",
 *                        "duration_in_seconds"}]  every enclosure but thumbnails,
 *       "_herald": {
 *         "id": the original id verbatim | null,                      always
 *         "id_is_permalink": bool,                                    always
 *         "comments": URL of the comments page,
 *         "categories": [{"term", "scheme", "label"}],  when one has scheme or label
 *         "enclosures": [{"kind": "enclosure" | "media" | "thumbnail",
 *                         "url", "type", "length", "duration"}],
 *         "source": {"id", "title", "home_page_url", "feed_url",
 *                    "updated"}   only when entry->source.url is set,
 *         "sources": [{"url", "title", "source": {...as above}}]
 *                    the story's other sources, in a deduplicated output
 *       }
 *     }]
 *   }
 *
 * jansson rejects invalid UTF-8: such strings are repaired (each bad byte
 * becomes U+FFFD) rather than dropped.
 */
#include "feed/jsonfeed_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/hash.h"
#include "base/utf8.h"
#include "feed/xml.h"

#define JSONFEED_VERSION "https://jsonfeed.org/version/1.1"

static json_t *utf8_string(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct buf b;
    json_t *j;

    buf_init(&b, SIZE_MAX / 2);
    while (*p) {
        size_t n = utf8_decode(p, 4, NULL);

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

static int put_int(json_t *obj, const char *key, int64_t v)
{
    return v < 0 ? 0 : put(obj, key, json_integer((json_int_t)v));
}

static json_t *person_json(const struct person *p)
{
    json_t *a = json_object();
    char *mailto = NULL;
    int r;

    if (!a)
        return NULL;
    r = put_str(a, "name", p->name);
    if (r == 0 && !p->uri && p->email) {
        size_t n = strlen(p->email) + 8;

        mailto = malloc(n);
        if (mailto)
            snprintf(mailto, n, "mailto:%s", p->email);
        else
            r = -ENOMEM;
    }
    if (r == 0)
        r = put_str(a, "url", p->uri ? p->uri : mailto);
    free(mailto);
    if (r < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* The model's persons; a lone display name when a hand-built struct has
 * only that. */
static int put_authors(json_t *obj, const struct person *p, size_t n, const char *name)
{
    json_t *list;
    int r = 0;

    if (!n && !name)
        return 0;
    list = json_array();
    if (!list)
        return -ENOMEM;
    for (size_t i = 0; i < n && r == 0; i++)
        r = json_array_append_new(list, person_json(&p[i])) < 0 ? -ENOMEM : 0;
    if (r == 0 && !n)
        r = json_array_append_new(list, json_pack("{s:o}", "name", utf8_string(name))) < 0 ? -ENOMEM
                                                                                           : 0;
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return put(obj, "authors", list);
}

/* A media type for an attachment that came without one. */
static const char *guess_type(const struct enclosure *e)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".mp3", "audio/mpeg"},      {".m4a", "audio/mp4"},   {".ogg", "audio/ogg"},
        {".opus", "audio/ogg"},      {".wav", "audio/wav"},   {".mp4", "video/mp4"},
        {".m4v", "video/mp4"},       {".webm", "video/webm"}, {".mov", "video/quicktime"},
        {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".gif", "image/gif"},       {".webp", "image/webp"}, {".svg", "image/svg+xml"},
        {".pdf", "application/pdf"},
    };
    const char *end = e->url + strcspn(e->url, "?#");
    size_t len = (size_t)(end - e->url);

    if (e->type)
        return e->type;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t k = strlen(types[i].ext);

        if (len > k && !strncasecmp(end - k, types[i].ext, k))
            return types[i].type;
    }
    return e->kind == ENCLOSURE_THUMBNAIL ? "image/jpeg" : "application/octet-stream";
}

static int append(json_t *list, json_t *v)
{
    return json_array_append_new(list, v) < 0 ? -ENOMEM : 0;
}

static int put_list(json_t *obj, const char *key, json_t *list, int r)
{
    if (r < 0 || !json_array_size(list)) {
        json_decref(list);
        return r;
    }
    return put(obj, key, list);
}

static int put_attachments(json_t *item, const struct entry *e)
{
    json_t *list = json_array();
    int r = list ? 0 : -ENOMEM;

    for (size_t i = 0; i < e->n_enclosures && r == 0; i++) {
        const struct enclosure *x = &e->enclosures[i];
        json_t *a;

        if (x->kind == ENCLOSURE_THUMBNAIL)
            continue;
        a = json_pack("{s:o,s:o}", "url", utf8_string(x->url), "mime_type",
                      utf8_string(guess_type(x)));
        r = a ? 0 : -ENOMEM;
        if (r == 0)
            r = put_int(a, "size_in_bytes", x->length);
        if (r == 0)
            r = put_int(a, "duration_in_seconds", x->duration);
        r = r == 0 ? append(list, a) : (json_decref(a), r);
    }
    for (size_t i = 0; i < e->n_enclosures && r == 0; i++) {
        if (e->enclosures[i].kind == ENCLOSURE_THUMBNAIL) {
            r = put_str(item, "image", e->enclosures[i].url);
            break;
        }
    }
    return put_list(item, "attachments", list, r);
}

static int put_tags(json_t *item, const struct entry *e)
{
    json_t *list = json_array();
    int r = list ? 0 : -ENOMEM;

    for (size_t i = 0; i < e->n_categories && r == 0; i++)
        r = append(list, utf8_string(e->categories[i].term));
    return put_list(item, "tags", list, r);
}

static int put_categories_ext(json_t *ext, const struct entry *e)
{
    json_t *list;
    bool detailed = false;
    int r;

    for (size_t i = 0; i < e->n_categories; i++)
        detailed = detailed || e->categories[i].scheme || e->categories[i].label;
    if (!detailed)
        return 0;
    list = json_array();
    r = list ? 0 : -ENOMEM;
    for (size_t i = 0; i < e->n_categories && r == 0; i++) {
        const struct category *c = &e->categories[i];
        json_t *o = json_object();

        r = o ? put_str(o, "term", c->term) : -ENOMEM;
        if (r == 0)
            r = put_str(o, "scheme", c->scheme);
        if (r == 0)
            r = put_str(o, "label", c->label);
        r = r == 0 ? append(list, o) : (json_decref(o), r);
    }
    return put_list(ext, "categories", list, r);
}

static int put_enclosures_ext(json_t *ext, const struct entry *e)
{
    static const char *const kinds[] = {"enclosure", "media", "thumbnail"};
    json_t *list = json_array();
    int r = list ? 0 : -ENOMEM;

    for (size_t i = 0; i < e->n_enclosures && r == 0; i++) {
        const struct enclosure *x = &e->enclosures[i];
        json_t *o = json_pack("{s:s,s:o}", "kind", kinds[x->kind], "url", utf8_string(x->url));

        r = o ? put_str(o, "type", x->type) : -ENOMEM;
        if (r == 0)
            r = put_int(o, "length", x->length);
        if (r == 0)
            r = put_int(o, "duration", x->duration);
        r = r == 0 ? append(list, o) : (json_decref(o), r);
    }
    return put_list(ext, "enclosures", list, r);
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

static int put_related(json_t *ext, const struct entry *e)
{
    json_t *arr;
    int r = 0;

    if (!e->n_related)
        return 0;
    if (!(arr = json_array()))
        return -ENOMEM;
    for (size_t i = 0; i < e->n_related && r == 0; i++) {
        const struct entry_related *rel = &e->related[i];
        json_t *o = json_object(), *src = json_object();

        if (!o || !src) {
            json_decref(o);
            json_decref(src);
            r = -ENOMEM;
            break;
        }
        r = put_str(o, "url", rel->link);
        if (r == 0)
            r = put_str(o, "title", rel->title);
        if (r == 0)
            r = put_source(src, &rel->source);
        if (r == 0 && json_object_get(src, "source"))
            r = put(o, "source", json_incref(json_object_get(src, "source")));
        json_decref(src);
        if (r == 0)
            r = json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM;
        else
            json_decref(o);
    }
    if (r < 0) {
        json_decref(arr);
        return r;
    }
    return put(ext, "sources", arr);
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
        r = put_str(ext, "comments", e->comments);
    if (r == 0)
        r = put_categories_ext(ext, e);
    if (r == 0)
        r = put_enclosures_ext(ext, e);
    if (r == 0)
        r = put_source(ext, &e->source);
    if (r == 0)
        r = put_related(ext, e);
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
        r = put_authors(item, e->authors, e->n_authors, e->author);
    if (r == 0)
        r = put_tags(item, e);
    if (r == 0)
        r = put_attachments(item, e);
    if (r == 0)
        r = put_item_ext(item, e);
    free(id);
    if (r < 0) {
        json_decref(item);
        return r;
    }
    return json_array_append_new(items, item) < 0 ? -ENOMEM : 0;
}

static int put_skip(json_t *ext, const struct feed *f)
{
    static const char *const days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    json_t *hours = json_array(), *d = json_array();
    int r = hours && d ? 0 : -ENOMEM;

    for (int h = 0; h < 24 && r == 0; h++) {
        if (f->skip_hours & (1u << h))
            r = append(hours, json_integer(h));
    }
    for (int i = 0; i < 7 && r == 0; i++) {
        if (f->skip_days & (1u << i))
            r = append(d, json_string(days[i]));
    }
    r = put_list(ext, "skip_hours", hours, r);
    return put_list(ext, "skip_days", d, r);
}

static int put_sy(json_t *ext, const struct feed *f)
{
    json_t *sy;
    int r;

    if (!f->sy_period && f->sy_frequency < 0 && f->sy_base == TIME_NONE)
        return 0;
    sy = json_object();
    r = sy ? put_str(sy, "update_period", f->sy_period) : -ENOMEM;
    if (r == 0)
        r = put_int(sy, "update_frequency", f->sy_frequency);
    if (r == 0)
        r = put_date(sy, "update_base", f->sy_base);
    if (r < 0) {
        json_decref(sy);
        return r;
    }
    return put(ext, "sy", sy);
}

static int put_feed_ext(json_t *root, const struct feed *f)
{
    json_t *ext = json_object();
    int r;

    if (!ext)
        return -ENOMEM;
    r = put(ext, "format", json_string(feed_format_name(f->format)));
    if (r == 0)
        r = put(ext, "version", json_string(feed_version_name(f->version)));
    if (r == 0)
        r = put(ext, "encoding", utf8_string(f->encoding ? f->encoding : "utf-8"));
    if (r == 0)
        r = put_str_or_null(ext, "id", f->id);
    if (r == 0)
        r = put(ext, "bozo", json_boolean(f->bozo));
    if (r == 0)
        r = put_str_or_null(ext, "bozo_message", f->bozo_message);
    if (r == 0)
        r = put_str(ext, "generator", f->generator);
    if (r == 0)
        r = put_date(ext, "updated", f->updated);
    if (r == 0)
        r = put_int(ext, "ttl", f->ttl);
    if (r == 0)
        r = put_skip(ext, f);
    if (r == 0)
        r = put_sy(ext, f);
    if (r < 0) {
        json_decref(ext);
        return r;
    }
    return put(root, "_herald", ext);
}

static int put_hubs(json_t *root, const struct feed *f)
{
    json_t *list = json_array();
    int r = list ? 0 : -ENOMEM;

    for (size_t i = 0; i < f->n_hubs && r == 0; i++) {
        json_t *h = json_pack("{s:s,s:o}", "type", "WebSub", "url", utf8_string(f->hubs[i]));

        r = h ? append(list, h) : -ENOMEM;
    }
    return put_list(root, "hubs", list, r);
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
        r = put_str(root, "next_url", f->next_url);
    if (r == 0)
        r = put_str(root, "description", f->subtitle);
    if (r == 0)
        r = put_str(root, "icon", f->logo);
    if (r == 0)
        r = put_str(root, "favicon", f->icon);
    if (r == 0)
        r = put_str(root, "language", f->language);
    if (r == 0)
        r = put_authors(root, f->authors, f->n_authors, f->author);
    if (r == 0)
        r = put_hubs(root, f);
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
