/* model: see model.h. */
#include "feed/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *feed_format_name(enum feed_format f)
{
    switch (f) {
    case FEED_FORMAT_RSS:
        return "rss";
    case FEED_FORMAT_RDF:
        return "rdf";
    case FEED_FORMAT_ATOM:
        return "atom";
    case FEED_FORMAT_JSON:
        return "json";
    default:
        return "unknown";
    }
}

const char *feed_version_name(enum feed_version v)
{
    static const char *const names[] = {
        [FEED_VERSION_UNKNOWN] = "",        [FEED_VERSION_RSS090] = "rss090",
        [FEED_VERSION_RSS091N] = "rss091n", [FEED_VERSION_RSS091U] = "rss091u",
        [FEED_VERSION_RSS092] = "rss092",   [FEED_VERSION_RSS093] = "rss093",
        [FEED_VERSION_RSS094] = "rss094",   [FEED_VERSION_RSS20] = "rss20",
        [FEED_VERSION_RSS] = "rss",         [FEED_VERSION_RSS10] = "rss10",
        [FEED_VERSION_ATOM03] = "atom03",   [FEED_VERSION_ATOM10] = "atom10",
        [FEED_VERSION_JSON10] = "json1",    [FEED_VERSION_JSON11] = "json11",
    };

    if ((size_t)v >= sizeof(names) / sizeof(names[0]))
        return "";
    return names[v];
}

struct feed *feed_new(void)
{
    struct feed *f = calloc(1, sizeof(*f));

    if (f) {
        f->updated = TIME_NONE;
        f->ttl = -1;
        f->sy_frequency = -1;
        f->sy_base = TIME_NONE;
    }
    return f;
}

static void source_release(struct entry_source *s)
{
    free(s->id);
    free(s->title);
    free(s->link);
    free(s->url);
}

void person_release(struct person *p)
{
    free(p->name);
    free(p->email);
    free(p->uri);
}

void persons_free(struct person *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        person_release(&p[i]);
    free(p);
}

void category_release(struct category *c)
{
    free(c->term);
    free(c->scheme);
    free(c->label);
}

void enclosure_release(struct enclosure *e)
{
    free(e->url);
    free(e->type);
}

void entry_release(struct entry *e)
{
    free(e->id);
    free(e->link);
    free(e->title);
    free(e->summary);
    free(e->content);
    free(e->author);
    free(e->comments);
    persons_free(e->authors, e->n_authors);
    for (size_t i = 0; i < e->n_categories; i++)
        category_release(&e->categories[i]);
    free(e->categories);
    for (size_t i = 0; i < e->n_enclosures; i++)
        enclosure_release(&e->enclosures[i]);
    free(e->enclosures);
    source_release(&e->source);
    for (size_t i = 0; i < e->n_related; i++) {
        free(e->related[i].link);
        free(e->related[i].title);
        source_release(&e->related[i].source);
    }
    free(e->related);
    free(e->canon);
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_entries; i++)
        entry_release(&f->entries[i]);
    free(f->entries);
    free(f->next_url);
    free(f->encoding);
    free(f->id);
    free(f->title);
    free(f->subtitle);
    free(f->link);
    free(f->self);
    free(f->author);
    persons_free(f->authors, f->n_authors);
    for (size_t i = 0; i < f->n_hubs; i++)
        free(f->hubs[i]);
    free(f->hubs);
    free(f->language);
    free(f->icon);
    free(f->logo);
    free(f->generator);
    free(f->sy_period);
    free(f->bozo_message);
    free(f);
}

struct entry *feed_add_entry(struct feed *f)
{
    struct entry *e;

    if (f->n_entries == f->cap_entries) {
        size_t cap = f->cap_entries ? f->cap_entries * 2 : 16;
        struct entry *p = realloc(f->entries, cap * sizeof(*p));
        if (!p)
            return NULL;
        f->entries = p;
        f->cap_entries = cap;
    }
    e = &f->entries[f->n_entries++];
    *e = (struct entry){
        .id_is_permalink = true,
        .published = TIME_NONE,
        .updated = TIME_NONE,
        .source = {.updated = TIME_NONE},
    };
    return e;
}

void feed_drop_last_entry(struct feed *f)
{
    if (f->n_entries)
        entry_release(&f->entries[--f->n_entries]);
}

bool entry_is_empty(const struct entry *e)
{
    return !e->id && !e->link && !e->title && !e->summary && !e->content &&
           e->published == TIME_NONE && e->updated == TIME_NONE && !e->n_authors &&
           !e->n_enclosures;
}

void *model_grow(void *arr, size_t n, size_t size)
{
    char *p = realloc(arr, (n + 1) * size);

    if (p)
        memset(p + n * size, 0, size);
    return p;
}

int model_set_str(char **field, const char *s)
{
    char *copy = NULL;

    if (s) {
        copy = strdup(s);
        if (!copy)
            return -ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int model_set_trimmed(char **field, const char *s, size_t len)
{
    char *copy = NULL;

    while (s && len && is_space(s[0])) {
        s++;
        len--;
    }
    while (s && len && is_space(s[len - 1]))
        len--;
    if (s && len) {
        copy = strndup(s, len);
        if (!copy)
            return -ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

int model_set_author(char **field, const struct person *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].name || p[i].email)
            return model_set_str(field, p[i].name ? p[i].name : p[i].email);
    }
    return model_set_str(field, NULL);
}
