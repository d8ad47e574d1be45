/* fields: which source element fills which model field, as data.
 *
 * A reader describes its format with tables of rules {namespace, element,
 * field, kind, priority}; fields_collect() scans the element children of a
 * node once and, for each, finds the rules naming it through a small hash
 * on the local name (built once per table), so the cost per element does
 * not grow with the table. The kind says how to extract (text, HTML, URL,
 * date, guid, Atom text construct, Atom link, person, enclosure...).
 *
 * Scalar fields keep the value of the best rule: the lowest priority, then
 * the lower rank within it (an Atom link of type text/html beats one
 * without type), then the first in document order. An empty value or an
 * unparseable date never wins, so the next rule can fill the field (the
 * model of sfeed's TagId order). Authors are a list that the best rule
 * fills with all of its elements (two dc:creator give two authors).
 * Categories, enclosures and hubs accumulate from every rule, without
 * duplicates. HTML values go through sanitize_html() with the base URL in
 * scope for their element (xml:base chain, then the document URL).
 *
 * Element namespaces are compared once per xmlNs (cached), not per rule.
 * Elements whose prefix was never declared ("media:content" without
 * xmlns:media) are matched by the usual prefix for the namespace.
 * Internal to feed/. Depends on base/, libxml2.
 */
#ifndef HERALD_FEED_FIELDS_H
#define HERALD_FEED_FIELDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "feed/model.h"
#include "feed/parse.h"

/* Namespaces rules can name. XNS_CORE is the reader's own namespace: none
 * for RSS 0.9x/2.0, the RSS 1.0 or 0.90 one for RDF, Atom's for Atom. */
enum xns {
    XNS_NONE,
    XNS_CORE,
    XNS_ATOM10,
    XNS_ATOM03,
    XNS_RDF,
    XNS_RSS10,
    XNS_RSS090,
    XNS_DC,
    XNS_DCTERMS,
    XNS_CONTENT,
    XNS_XHTML,
    XNS_MEDIA,
    XNS_ITUNES,
    XNS_FEEDBURNER,
    XNS_SY,
    XNS_ADMIN,
    XNS_USERLAND,
    XNS_OTHER,
};

enum field {
    FIELD_ID,
    FIELD_LINK,
    FIELD_SELF,
    FIELD_TITLE,
    FIELD_SUBTITLE,
    FIELD_SUMMARY,
    FIELD_CONTENT,
    FIELD_COMMENTS,
    FIELD_LANGUAGE,
    FIELD_ICON,
    FIELD_LOGO,
    FIELD_GENERATOR,
    FIELD_SY_PERIOD,
    FIELD_PUBLISHED, /* dates and numbers: in fields.num[] */
    FIELD_UPDATED,
    FIELD_SY_BASE,
    FIELD_TTL,
    FIELD_SY_FREQUENCY,
    FIELD_AUTHORS, /* a list: fields.authors */
    FIELD_MAX,
    FIELD_NONE = FIELD_MAX, /* accumulating kinds: categories, enclosures, hubs, skip* */
};

enum field_kind {
    KIND_TEXT,            /* plain text content */
    KIND_TITLE,           /* plain text content; from CDATA, HTML references decoded */
    KIND_TEXT_HTML,       /* plain text content, escaped into HTML */
    KIND_HTML,            /* content that is HTML: escaped text, or inline markup */
    KIND_URL,             /* text content, a URL resolved against the base */
    KIND_DATE,            /* text content, date_parse() */
    KIND_INT,             /* text content, a non-negative integer */
    KIND_SY_PERIOD,       /* hourly|daily|weekly|monthly|yearly */
    KIND_GUID,            /* RSS guid: the id, and isPermaLink */
    KIND_GUID_LINK,       /* RSS guid, as a link: only a permalink http(s) URL */
    KIND_PERSON,          /* "mail@host (Name)", "Name <mail@host>", or a name */
    KIND_ATOM_TEXT,       /* Atom text construct (text/html/xhtml) as plain text */
    KIND_ATOM_HTML,       /* Atom text construct or content as HTML */
    KIND_ATOM_PERSON,     /* Atom person: name, email, uri */
    KIND_LINK_ALT,        /* Atom link rel=alternate or no rel: href */
    KIND_LINK_SELF,       /* Atom link rel=self: href */
    KIND_LINK_REPLIES,    /* Atom link rel=replies (an HTML page): href */
    KIND_LINK_HUB,        /* Atom link rel=hub: appended to the hubs */
    KIND_LINK_ENCLOSURE,  /* Atom link rel=enclosure: an enclosure */
    KIND_RSS_IMAGE,       /* RSS <image>: its <url> */
    KIND_HREF,            /* the href attribute, a URL (itunes:image) */
    KIND_RESOURCE,        /* the rdf:resource attribute (admin:generatorAgent) */
    KIND_CATEGORY,        /* RSS category (domain = scheme), dc:subject */
    KIND_ATOM_CATEGORY,   /* term, scheme, label attributes */
    KIND_ITUNES_CATEGORY, /* text attribute */
    KIND_ENCLOSURE,       /* RSS enclosure: url, length, type */
    KIND_MEDIA_CONTENT,   /* media:content (and the thumbnails inside it) */
    KIND_MEDIA_THUMBNAIL,
    KIND_MEDIA_GROUP, /* media:group: its media:content and media:thumbnail */
    KIND_SKIP_HOURS,  /* <hour> children */
    KIND_SKIP_DAYS,   /* <day> children */
};

struct field_rule {
    enum xns ns;
    const char *name; /* local name */
    enum field field;
    enum field_kind kind;
    int prio; /* lower wins */
};

#define FIELDS_BUCKETS   64
#define FIELDS_RULES_MAX 120

/* A rule table and its name index, built on first use (thread-safe). */
struct rule_table {
    const struct field_rule *rules;
    size_t n;
    atomic_bool ready;
    uint8_t head[FIELDS_BUCKETS]; /* first rule + 1 per bucket; 0: none */
    uint8_t next[FIELDS_RULES_MAX];
};

#define RULE_TABLE(r)                                                                              \
    {                                                                                              \
        .rules = (r), .n = sizeof(r) / sizeof((r)[0])                                              \
    }

struct ns_cache_slot {
    const xmlNs *ns;
    enum xns id;
};

/* One per document read. */
struct field_ctx {
    const char *url;        /* the document URL, base of relative links; may be NULL */
    const char *core_ns;    /* namespace of the format's own elements; NULL: none */
    struct feed_limits lim; /* resolved: no zero field */
    struct ns_cache_slot ns_cache[8];
    unsigned ns_next;
    const xmlNode *base_owner; /* cache of the base in scope (xml.h xml_base_owner) */
    char *base;
};

struct fields {
    char *str[FIELD_MAX];
    int64_t num[FIELD_MAX];
    int rank[FIELD_MAX]; /* of the current value; INT_MAX when unset */
    bool permalink;      /* FIELD_ID came from a guid with isPermaLink true */
    struct person *authors;
    size_t n_authors;
    struct category *categories;
    size_t n_categories;
    struct enclosure *enclosures;
    size_t n_enclosures;
    char **hubs;
    size_t n_hubs;
    uint32_t skip_hours;
    uint8_t skip_days;
};

void field_ctx_init(struct field_ctx *c, const char *url, const struct feed_limits *lim);
void field_ctx_release(struct field_ctx *c);

/* The namespace of el as the rules see it, and its local name. */
enum xns fields_ns(struct field_ctx *c, const xmlNode *el, const char **ret_local);
/* True when el is an element in ns (XNS_CORE: the core one) named name. */
bool fields_is(struct field_ctx *c, const xmlNode *el, enum xns ns, const char *name);

void fields_init(struct fields *f);
void fields_release(struct fields *f);

/* Applies the rules of t to the element children of parent, on top of
 * what f already holds. Returns 0 or -ENOMEM. */
int fields_collect(struct field_ctx *c, const xmlNode *parent, struct rule_table *t,
                   struct fields *f);

/* Reads one item (entry) element into f. */
typedef int (*fields_item_cb)(struct field_ctx *c, const xmlNode *node, struct feed *f);

/* Calls read for every element `name` (in the core namespace) under
 * parent, in document order, and for those nested in them: that is how
 * libxml2's recover mode leaves the items that follow an unclosed tag.
 * Stops at max_entries entries in f, and at max_depth levels. Returns 0 or
 * read's error. */
int fields_read_items(struct field_ctx *c, const xmlNode *parent, const char *name,
                      fields_item_cb read, struct feed *f);

/* Move the values into the model (the fields a struct has); f keeps only
 * what was not moved and must still be released. */
int fields_to_feed(struct fields *f, struct feed *feed);
int fields_to_entry(struct fields *f, struct entry *e);

/* Copies n persons onto the authors of f (Atom inheritance). */
int fields_copy_authors(struct fields *f, const struct person *p, size_t n);

#endif
