/* fields: which source element fills which model field, as data.
 *
 * A reader describes its format with a table of rules {namespace, element,
 * field, kind, priority}; fields_collect() scans the element children of a
 * node once, extracts every element a rule names (the kind says how: text,
 * HTML, URL, date, guid, Atom text construct, Atom link, person...) and
 * keeps, per field, the value of the best rule: the lowest priority, then
 * the lower rank within it (an Atom link of type text/html beats one
 * without type), then the first in document order. An empty value or an
 * unparseable date never wins, so the next rule can fill the field (the
 * model of sfeed's TagId order). Internal to feed/. Depends on base/,
 * libxml2.
 */
#ifndef HERALD_FEED_FIELDS_H
#define HERALD_FEED_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "feed/model.h"

enum field {
    FIELD_ID,
    FIELD_LINK,
    FIELD_SELF,
    FIELD_TITLE,
    FIELD_SUBTITLE,
    FIELD_SUMMARY,
    FIELD_CONTENT,
    FIELD_AUTHOR,
    FIELD_PUBLISHED, /* dates: in fields.time[] */
    FIELD_UPDATED,
    FIELD_MAX,
};

enum field_kind {
    KIND_TEXT,        /* plain text content */
    KIND_HTML,        /* content that is HTML: escaped text, or inline markup */
    KIND_URL,         /* text content, a URL resolved against xml:base */
    KIND_DATE,        /* text content, date_parse() */
    KIND_GUID,        /* RSS guid: the id, and isPermaLink */
    KIND_GUID_LINK,   /* RSS guid, as a link: only a permalink http(s) URL */
    KIND_RSS_PERSON,  /* RSS author: "mail@host (Name)" gives Name */
    KIND_ATOM_TEXT,   /* Atom text construct (text/html/xhtml) as plain text */
    KIND_ATOM_HTML,   /* Atom text construct as HTML */
    KIND_ATOM_PERSON, /* Atom person: name, else email */
    KIND_LINK_ALT,    /* Atom link rel=alternate or no rel: href */
    KIND_LINK_SELF,   /* Atom link rel=self: href */
};

struct field_rule {
    const char *ns; /* namespace URI; NULL: the format's core namespace */
    const char *name;
    enum field field;
    enum field_kind kind;
    int prio; /* lower wins */
};

struct field_ctx {
    const char *url;     /* the document URL, base of relative links; may be NULL */
    const char *core_ns; /* namespace of the format's own elements; NULL: none */
};

struct fields {
    char *str[FIELD_MAX];
    int64_t time[FIELD_MAX];
    int rank[FIELD_MAX]; /* of the current value; INT_MAX when unset */
    bool permalink;      /* FIELD_ID came from a guid with isPermaLink true */
};

void fields_init(struct fields *f);
void fields_release(struct fields *f);

/* Applies rules to the element children of parent, on top of what f
 * already holds. Returns 0, -ENOMEM or -E2BIG. */
int fields_collect(const struct field_ctx *c, const xmlNode *parent, const struct field_rule *rules,
                   size_t n_rules, struct fields *f);

/* Move the values into the model (the fields a struct has); f keeps only
 * what was not moved and must still be released. */
/* Reads one item (entry) element into f. */
typedef int (*fields_item_cb)(const struct field_ctx *c, const xmlNode *node, struct feed *f);

/* Calls read for every element `name` (in c->core_ns) under parent, in
 * document order, and for those nested in them: that is how libxml2's
 * recover mode leaves the items that follow an unclosed tag. Stops at
 * FEED_MAX_ENTRIES entries in f. Returns 0 or read's error. */
int fields_read_items(const struct field_ctx *c, const xmlNode *parent, const char *name,
                      fields_item_cb read, struct feed *f);

void fields_to_feed(struct fields *f, struct feed *feed);
void fields_to_entry(struct fields *f, struct entry *e);

#endif
