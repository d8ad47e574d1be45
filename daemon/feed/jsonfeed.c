/* jsonfeed: JSON Feed 1.0 and 1.1 (jsonfeed.org/version/1.1) via jansson.
 *
 * Basic fields only. JSON Feed's summary and content_text are plain text
 * and are escaped into the model's HTML; content_html wins over
 * content_text. 1.1's "authors" wins over 1.0's "author". Ids that are
 * numbers (seen in the wild) are kept as their decimal string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "feed/date.h"
#include "feed/readers.h"
#include "feed/xml.h"

static const char version_prefix[] = "https://jsonfeed.org/version/";

bool jsonfeed_detect(const json_t *root)
{
    const char *v = json_string_value(json_object_get(root, "version"));

    return v && strncmp(v, version_prefix, sizeof(version_prefix) - 1) == 0;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int set_text(char **field, const json_t *obj, const char *key)
{
    const char *s = str(obj, key);

    return s ? model_set_trimmed(field, s, strlen(s)) : 0;
}

static int set_html_from_text(char **field, const json_t *obj, const char *key)
{
    char *text = NULL;
    int r = set_text(&text, obj, key);

    if (r == 0 && text)
        r = xml_text_to_html(text, field);
    free(text);
    return r;
}

static int set_url(char **field, const json_t *obj, const char *key, const char *base)
{
    const char *s = str(obj, key);
    int r;

    if (!s || !*s)
        return 0;
    r = url_resolve(base, s, field);
    return r == -EINVAL ? model_set_trimmed(field, s, strlen(s)) : r;
}

/* The first author with a name, from "authors" (1.1) or "author" (1.0). */
static int set_author(char **field, const json_t *obj)
{
    const json_t *authors = json_object_get(obj, "authors"), *a;
    size_t i;

    json_array_foreach(authors, i, a)
    {
        if (str(a, "name"))
            return set_text(field, a, "name");
    }
    return set_text(field, json_object_get(obj, "author"), "name");
}

static int set_id(char **field, const json_t *item)
{
    const json_t *id = json_object_get(item, "id");
    char num[32];

    if (json_is_integer(id)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return model_set_str(field, num);
    }
    return set_text(field, item, "id");
}

static int read_item(const json_t *item, const char *url, struct feed *f)
{
    struct entry *e = feed_add_entry(f);
    int r;

    if (!e)
        return -ENOMEM;
    e->id_is_permalink = false;
    r = set_id(&e->id, item);
    if (r == 0)
        r = set_url(&e->link, item, "url", url);
    if (r == 0)
        r = set_text(&e->title, item, "title");
    if (r == 0)
        r = set_text(&e->content, item, "content_html");
    if (r == 0 && !e->content)
        r = set_html_from_text(&e->content, item, "content_text");
    if (r == 0)
        r = set_html_from_text(&e->summary, item, "summary");
    if (r == 0)
        r = set_author(&e->author, item);
    e->published = date_parse(str(item, "date_published"));
    e->updated = date_parse(str(item, "date_modified"));
    return r;
}

int jsonfeed_read(const json_t *root, const char *url, struct feed *f)
{
    const json_t *items = json_object_get(root, "items"), *item;
    size_t i;
    int r;

    if (!jsonfeed_detect(root))
        return -EBADMSG;
    f->format = FEED_FORMAT_JSON;
    r = set_text(&f->title, root, "title");
    if (r == 0)
        r = set_text(&f->subtitle, root, "description");
    if (r == 0)
        r = set_url(&f->link, root, "home_page_url", url);
    if (r == 0)
        r = set_url(&f->self, root, "feed_url", url);
    if (r == 0)
        r = set_author(&f->author, root);
    json_array_foreach(items, i, item)
    {
        if (r == 0 && json_is_object(item) && f->n_entries < FEED_MAX_ENTRIES)
            r = read_item(item, url, f);
    }
    return r;
}
