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

struct feed *feed_new(void)
{
    struct feed *f = calloc(1, sizeof(*f));

    if (f)
        f->updated = TIME_NONE;
    return f;
}

static void source_release(struct entry_source *s)
{
    free(s->id);
    free(s->title);
    free(s->link);
    free(s->url);
}

void entry_release(struct entry *e)
{
    free(e->id);
    free(e->link);
    free(e->title);
    free(e->summary);
    free(e->content);
    free(e->author);
    source_release(&e->source);
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_entries; i++)
        entry_release(&f->entries[i]);
    free(f->entries);
    free(f->id);
    free(f->title);
    free(f->subtitle);
    free(f->link);
    free(f->self);
    free(f->author);
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
