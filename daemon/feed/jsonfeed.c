/* jsonfeed: JSON Feed 1.0 and 1.1 (jsonfeed.org/version/1.1) via jansson.
 *
 * JSON Feed's summary and content_text are plain text and are escaped
 * into the model's HTML; content_html (sanitized against the document
 * URL) wins over content_text. 1.1's "authors" wins over 1.0's "author";
 * an item without authors inherits the feed's (as JSON Feed 1.1 says).
 * tags become categories, attachments enclosures, an item's image a
 * thumbnail. Ids that are numbers (seen in the wild) are kept as their
 * decimal string. Strings are cut at max_field bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "feed/date.h"
#include "feed/readers.h"
#include "feed/sanitize.h"
#include "feed/xml.h"

static const char version_prefix[] = "https://jsonfeed.org/version/";

struct jctx {
    const char *url;
    const struct feed_limits *lim;
};

bool jsonfeed_detect(const json_t *root)
{
    const char *v = json_string_value(json_object_get(root, "version"));

    return v && (strncmp(v, version_prefix, sizeof(version_prefix) - 1) == 0 ||
                 strncmp(v, "http://jsonfeed.org/version/", 28) == 0);
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int set_text(const struct jctx *j, char **field, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);

    return s ? xml_set_bounded(field, s, json_string_length(v), j->lim->max_field) : 0;
}

static int set_html_from_text(const struct jctx *j, char **field, const json_t *obj,
                              const char *key)
{
    char *text = NULL;
    int r = set_text(j, &text, obj, key);

    if (r == 0 && text)
        r = xml_text_to_html(text, field);
    free(text);
    return r;
}

static int set_html(const struct jctx *j, char **field, const json_t *obj, const char *key)
{
    char *html = NULL;
    int r = set_text(j, &html, obj, key);

    if (r == 0 && html) {
        r = sanitize_html(html, strlen(html), j->url, field);
        if (r == -E2BIG)
            r = 0;
    }
    free(html);
    return r;
}

static int set_url(const struct jctx *j, char **field, const json_t *obj, const char *key)
{
    char *s = NULL;
    int r = set_text(j, &s, obj, key);

    if (r == 0 && s)
        r = xml_resolve_with(j->url, s, field);
    free(s);
    return r;
}

static int add_person(const struct jctx *j, const json_t *a, struct person **arr, size_t *n)
{
    struct person p = {0}, *grown;
    int r;

    if (!json_is_object(a) || *n >= MODEL_MAX_PERSONS)
        return 0;
    r = set_text(j, &p.name, a, "name");
    if (r == 0)
        r = set_url(j, &p.uri, a, "url");
    if (r == 0 && p.uri && !strncmp(p.uri, "mailto:", 7)) {
        r = model_set_str(&p.email, p.uri + 7);
        free(p.uri);
        p.uri = NULL;
    }
    if (r < 0 || (!p.name && !p.email && !p.uri)) {
        person_release(&p);
        return r;
    }
    grown = model_grow(*arr, *n, sizeof(*grown));
    if (!grown) {
        person_release(&p);
        return -ENOMEM;
    }
    *arr = grown;
    grown[(*n)++] = p;
    return 0;
}

/* "authors" (1.1), else "author" (1.0). */
static int set_authors(const struct jctx *j, const json_t *obj, struct person **arr, size_t *n)
{
    const json_t *authors = json_object_get(obj, "authors"), *a;
    size_t i;
    int r = 0;

    json_array_foreach(authors, i, a)
    {
        if (r == 0)
            r = add_person(j, a, arr, n);
    }
    if (r == 0 && !*n)
        r = add_person(j, json_object_get(obj, "author"), arr, n);
    return r;
}

static int copy_persons(const struct person *src, size_t n, struct person **arr, size_t *ret_n)
{
    struct person *p;

    if (!n)
        return 0;
    p = calloc(n, sizeof(*p));
    if (!p)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (model_set_str(&p[i].name, src[i].name) < 0 ||
            model_set_str(&p[i].email, src[i].email) < 0 ||
            model_set_str(&p[i].uri, src[i].uri) < 0) {
            persons_free(p, n);
            return -ENOMEM;
        }
    }
    *arr = p;
    *ret_n = n;
    return 0;
}

static int set_id(const struct jctx *j, char **field, const json_t *item)
{
    const json_t *id = json_object_get(item, "id");
    char num[32];

    if (json_is_integer(id)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return model_set_str(field, num);
    }
    return set_text(j, field, item, "id");
}

static int add_tags(const struct jctx *j, const json_t *item, struct entry *e)
{
    const json_t *tags = json_object_get(item, "tags"), *t;
    size_t i;

    json_array_foreach(tags, i, t)
    {
        struct category c = {0}, *grown;
        const char *s = json_string_value(t);
        bool dup = false;
        int r;

        if (!s || e->n_categories >= MODEL_MAX_CATEGORIES)
            continue;
        r = xml_set_bounded(&c.term, s, json_string_length(t), j->lim->max_field);
        for (size_t k = 0; r == 0 && c.term && k < e->n_categories; k++)
            dup = dup || !strcmp(e->categories[k].term, c.term);
        if (r < 0 || !c.term || dup) {
            free(c.term);
            if (r < 0)
                return r;
            continue;
        }
        grown = model_grow(e->categories, e->n_categories, sizeof(*grown));
        if (!grown) {
            free(c.term);
            return -ENOMEM;
        }
        e->categories = grown;
        grown[e->n_categories++] = c;
    }
    return 0;
}

static int add_enclosure(const struct jctx *j, const json_t *obj, enum enclosure_kind kind,
                         const char *url_key, struct entry *e)
{
    struct enclosure enc = {.kind = kind, .length = -1, .duration = -1}, *grown;
    const json_t *size = json_object_get(obj, "size_in_bytes");
    const json_t *dur = json_object_get(obj, "duration_in_seconds");
    int r;

    if (e->n_enclosures >= MODEL_MAX_ENCLOSURES)
        return 0;
    r = set_url(j, &enc.url, obj, url_key);
    if (r == 0)
        r = set_text(j, &enc.type, obj, "mime_type");
    if (json_is_number(size) && json_number_value(size) >= 0)
        enc.length = (int64_t)json_number_value(size);
    if (json_is_number(dur) && json_number_value(dur) >= 0)
        enc.duration = (int64_t)json_number_value(dur);
    if (r < 0 || !enc.url) {
        enclosure_release(&enc);
        return r;
    }
    grown = model_grow(e->enclosures, e->n_enclosures, sizeof(*grown));
    if (!grown) {
        enclosure_release(&enc);
        return -ENOMEM;
    }
    e->enclosures = grown;
    grown[e->n_enclosures++] = enc;
    return 0;
}

static int add_attachments(const struct jctx *j, const json_t *item, struct entry *e)
{
    const json_t *list = json_object_get(item, "attachments"), *a;
    size_t i;
    int r = 0;

    json_array_foreach(list, i, a)
    {
        if (r == 0 && json_is_object(a))
            r = add_enclosure(j, a, ENCLOSURE_LINK, "url", e);
    }
    if (r == 0 && str(item, "image"))
        r = add_enclosure(j, item, ENCLOSURE_THUMBNAIL, "image", e);
    return r;
}

static int read_item(const struct jctx *j, const json_t *item, struct feed *f)
{
    struct entry *e = feed_add_entry(f);
    int r;

    if (!e)
        return -ENOMEM;
    e->id_is_permalink = false;
    r = set_id(j, &e->id, item);
    if (r == 0)
        r = set_url(j, &e->link, item, "url");
    if (r == 0)
        r = set_text(j, &e->title, item, "title");
    if (r == 0)
        r = set_html(j, &e->content, item, "content_html");
    if (r == 0 && !e->content)
        r = set_html_from_text(j, &e->content, item, "content_text");
    if (r == 0)
        r = set_html_from_text(j, &e->summary, item, "summary");
    if (r == 0)
        r = set_authors(j, item, &e->authors, &e->n_authors);
    if (r == 0 && !e->n_authors)
        r = copy_persons(f->authors, f->n_authors, &e->authors, &e->n_authors);
    if (r == 0)
        r = model_set_author(&e->author, e->authors, e->n_authors);
    if (r == 0)
        r = add_tags(j, item, e);
    if (r == 0)
        r = add_attachments(j, item, e);
    e->published = date_parse(str(item, "date_published"));
    e->updated = date_parse(str(item, "date_modified"));
    return r;
}

static int add_hubs(const struct jctx *j, const json_t *root, struct feed *f)
{
    const json_t *hubs = json_object_get(root, "hubs"), *h;
    size_t i;

    json_array_foreach(hubs, i, h)
    {
        char *url = NULL, **grown;
        int r;

        if (f->n_hubs >= MODEL_MAX_HUBS)
            break;
        r = set_url(j, &url, h, "url");
        if (r < 0)
            return r;
        if (!url)
            continue;
        grown = model_grow(f->hubs, f->n_hubs, sizeof(*grown));
        if (!grown) {
            free(url);
            return -ENOMEM;
        }
        f->hubs = grown;
        grown[f->n_hubs++] = url;
    }
    return 0;
}

int jsonfeed_read(const json_t *root, const char *url, const struct feed_limits *lim,
                  struct feed *f)
{
    const json_t *items = json_object_get(root, "items"), *item;
    const struct jctx j = {.url = url, .lim = lim};
    const char *v = str(root, "version");
    size_t i;
    int r;

    if (!jsonfeed_detect(root))
        return -EBADMSG;
    f->format = FEED_FORMAT_JSON;
    f->version = strstr(v, "/version/1.1") ? FEED_VERSION_JSON11 : FEED_VERSION_JSON10;
    r = set_text(&j, &f->title, root, "title");
    if (r == 0)
        r = set_text(&j, &f->subtitle, root, "description");
    if (r == 0)
        r = set_url(&j, &f->link, root, "home_page_url");
    if (r == 0)
        r = set_url(&j, &f->self, root, "feed_url");
    if (r == 0)
        r = set_url(&j, &f->logo, root, "icon");
    if (r == 0)
        r = set_url(&j, &f->icon, root, "favicon");
    if (r == 0)
        r = set_text(&j, &f->language, root, "language");
    if (r == 0)
        r = set_authors(&j, root, &f->authors, &f->n_authors);
    if (r == 0)
        r = model_set_author(&f->author, f->authors, f->n_authors);
    if (r == 0)
        r = add_hubs(&j, root, f);
    json_array_foreach(items, i, item)
    {
        if (r == 0 && json_is_object(item) && f->n_entries < lim->max_entries)
            r = read_item(&j, item, f);
    }
    return r;
}
