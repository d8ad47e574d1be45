/* fields: see fields.h. */
#include "feed/fields.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed/date.h"
#include "feed/xml.h"

/* A rule's priority is scaled so that a kind can add a rank below it. */
#define RANK_STEP 8

struct value {
    char *str;
    int64_t time;
    int rank;       /* 0..RANK_STEP-1, added to prio * RANK_STEP */
    bool permalink; /* KIND_GUID only */
};

/* How an Atom text construct (or Atom 0.3 content with mode) is encoded. */
enum text_type {
    TEXT_PLAIN,
    TEXT_HTML,
    TEXT_XHTML, /* inline markup */
    TEXT_SKIP,  /* base64 or a non-text media type */
};

void fields_init(struct fields *f)
{
    for (int i = 0; i < FIELD_MAX; i++) {
        f->str[i] = NULL;
        f->time[i] = TIME_NONE;
        f->rank[i] = INT_MAX;
    }
    f->permalink = false;
}

void fields_release(struct fields *f)
{
    for (int i = 0; i < FIELD_MAX; i++) {
        free(f->str[i]);
        f->str[i] = NULL;
    }
}

static bool attr_is(const xmlNode *el, const char *name, const char *value)
{
    xmlChar *v = xmlGetNoNsProp(el, (const xmlChar *)name);
    bool eq = v && strcasecmp((const char *)v, value) == 0;

    xmlFree(v);
    return eq;
}

static bool has_attr(const xmlNode *el, const char *name)
{
    return xmlHasProp(el, (const xmlChar *)name) != NULL;
}

/* Atom 1.0 type is text|html|xhtml; Atom 0.3 type is a media type and a
 * mode attribute says escaped|xml|base64. HTML that arrives as markup
 * rather than escaped text (0.3 mode=xml, or a broken feed) is inline. */
static int text_type(const xmlNode *el, enum text_type *ret)
{
    char *type = NULL;
    int r = xml_attr(el, "type", &type);

    if (r < 0)
        return r;
    if (attr_is(el, "mode", "base64"))
        *ret = TEXT_SKIP;
    else if (!type || !strcasecmp(type, "text") || !strcasecmp(type, "text/plain"))
        *ret = TEXT_PLAIN;
    else if (!strcasecmp(type, "html") || !strcasecmp(type, "text/html"))
        *ret = xml_count_elements(el) && !attr_is(el, "mode", "escaped") ? TEXT_XHTML : TEXT_HTML;
    else if (!strcasecmp(type, "xhtml") || !strcasecmp(type, "application/xhtml+xml"))
        *ret = TEXT_XHTML;
    else
        *ret = strncasecmp(type, "text/", 5) == 0 ? TEXT_PLAIN : TEXT_SKIP;
    free(type);
    return 0;
}

/* XHTML content is wrapped in one xhtml:div that is not part of it. */
static const xmlNode *xhtml_root(const xmlNode *el)
{
    xmlNode *div = xml_child(el, NS_XHTML, "div");

    return div && xml_count_elements(el) == 1 ? div : el;
}

static int atom_text(const xmlNode *el, struct value *v)
{
    enum text_type t;
    char *s = NULL;
    int r = text_type(el, &t);

    if (r < 0)
        return r;
    switch (t) {
    case TEXT_PLAIN:
        return xml_text(el, &v->str);
    case TEXT_HTML:
        r = xml_text(el, &s);
        if (r == 0 && s)
            r = xml_html_to_text(s, &v->str);
        free(s);
        return r;
    case TEXT_XHTML:
        return xml_text(xhtml_root(el), &v->str);
    default:
        return 0;
    }
}

static int atom_html(const xmlNode *el, struct value *v)
{
    enum text_type t;
    char *s = NULL;
    int r;

    if (has_attr(el, "src"))
        return 0; /* out-of-line content: nothing inline to keep */
    r = text_type(el, &t);
    if (r < 0)
        return r;
    switch (t) {
    case TEXT_PLAIN:
        r = xml_text(el, &s);
        if (r == 0 && s)
            r = xml_text_to_html(s, &v->str);
        free(s);
        return r;
    case TEXT_HTML:
        return xml_text(el, &v->str);
    case TEXT_XHTML:
        return xml_inner(xhtml_root(el), &v->str);
    default:
        return 0;
    }
}

/* RSS says escaped HTML, but inline markup is common enough to keep. */
static int html(const xmlNode *el, struct value *v)
{
    if (xml_count_elements(el) > 0)
        return xml_inner(el, &v->str);
    return xml_text(el, &v->str);
}

static int url(const struct field_ctx *c, const xmlNode *el, const char *ref, struct value *v)
{
    return ref ? xml_resolve(el, c->url, ref, &v->str) : 0;
}

static int text_url(const struct field_ctx *c, const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0)
        r = url(c, el, s, v);
    free(s);
    return r;
}

static int date(const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0)
        v->time = date_parse(s);
    free(s);
    return r;
}

static bool guid_is_permalink(const xmlNode *el)
{
    return !attr_is(el, "isPermaLink", "false");
}

static int guid(const xmlNode *el, struct value *v)
{
    v->permalink = guid_is_permalink(el);
    return xml_text(el, &v->str);
}

static int guid_link(const struct field_ctx *c, const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r;

    if (!guid_is_permalink(el))
        return 0;
    r = xml_text(el, &s);
    if (r == 0 && s && (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8)))
        r = url(c, el, s, v);
    free(s);
    return r;
}

/* "joe@example.com (Joe Bloggs)" -> "Joe Bloggs"; anything else as is. */
static int rss_person(const xmlNode *el, struct value *v)
{
    char *s = NULL, *open;
    size_t len;
    int r = xml_text(el, &s);

    if (r < 0 || !s)
        return r;
    len = strlen(s);
    open = strchr(s, '(');
    if (open && s[len - 1] == ')' && memchr(s, '@', (size_t)(open - s)))
        r = model_set_trimmed(&v->str, open + 1, (size_t)(s + len - 1 - (open + 1)));
    if (r == 0 && !v->str) {
        v->str = s;
        s = NULL;
    }
    free(s);
    return r;
}

static int atom_person(const xmlNode *el, struct value *v)
{
    const char *ns = xml_ns(el);
    xmlNode *name = xml_child(el, ns, "name"), *email = xml_child(el, ns, "email");
    int r = 0;

    if (name)
        r = xml_text(name, &v->str);
    if (r == 0 && !v->str && email)
        r = xml_text(email, &v->str);
    return r;
}

static bool rel_is(const xmlNode *el, const char *rel, bool is_default)
{
    static const char iana[] = "http://www.iana.org/assignments/relation/";
    xmlChar *v = xmlGetNoNsProp(el, (const xmlChar *)"rel");
    const char *s = (const char *)v;
    bool eq;

    if (!v)
        return is_default;
    if (!strncmp(s, iana, sizeof(iana) - 1))
        s += sizeof(iana) - 1;
    eq = strcmp(s, rel) == 0;
    xmlFree(v);
    return eq;
}

/* Rank: an HTML page first, then an untyped link, then other types. */
static int link_rank(const xmlNode *el)
{
    if (!has_attr(el, "type"))
        return 1;
    if (attr_is(el, "type", "text/html") || attr_is(el, "type", "application/xhtml+xml"))
        return 0;
    return 2;
}

static int atom_link(const struct field_ctx *c, const xmlNode *el, bool self, struct value *v)
{
    char *href = NULL;
    int r;

    if (!rel_is(el, self ? "self" : "alternate", !self))
        return 0;
    r = xml_attr(el, "href", &href);
    if (r == 0)
        r = url(c, el, href, v);
    v->rank = self ? 0 : link_rank(el);
    free(href);
    return r;
}

static int extract(const struct field_ctx *c, const xmlNode *el, enum field_kind kind,
                   struct value *v)
{
    switch (kind) {
    case KIND_TEXT:
        return xml_text(el, &v->str);
    case KIND_HTML:
        return html(el, v);
    case KIND_URL:
        return text_url(c, el, v);
    case KIND_DATE:
        return date(el, v);
    case KIND_GUID:
        return guid(el, v);
    case KIND_GUID_LINK:
        return guid_link(c, el, v);
    case KIND_RSS_PERSON:
        return rss_person(el, v);
    case KIND_ATOM_TEXT:
        return atom_text(el, v);
    case KIND_ATOM_HTML:
        return atom_html(el, v);
    case KIND_ATOM_PERSON:
        return atom_person(el, v);
    case KIND_LINK_ALT:
        return atom_link(c, el, false, v);
    case KIND_LINK_SELF:
        return atom_link(c, el, true, v);
    }
    return 0;
}

static bool rule_matches(const struct field_ctx *c, const xmlNode *el,
                         const struct field_rule *rule)
{
    return xml_is(el, rule->ns ? rule->ns : c->core_ns, rule->name);
}

static int apply(const struct field_ctx *c, const xmlNode *el, const struct field_rule *rule,
                 struct fields *f)
{
    struct value v = {.time = TIME_NONE};
    int base = rule->prio * RANK_STEP, r;

    if (base >= f->rank[rule->field])
        return 0; /* cannot win: spare the extraction */
    r = extract(c, el, rule->kind, &v);
    if (r < 0 || (!v.str && v.time == TIME_NONE) || base + v.rank >= f->rank[rule->field]) {
        free(v.str);
        return r;
    }
    free(f->str[rule->field]);
    f->str[rule->field] = v.str;
    f->time[rule->field] = v.time;
    f->rank[rule->field] = base + v.rank;
    if (rule->field == FIELD_ID)
        f->permalink = rule->kind == KIND_GUID && v.permalink;
    return 0;
}

int fields_collect(const struct field_ctx *c, const xmlNode *parent, const struct field_rule *rules,
                   size_t n_rules, struct fields *f)
{
    for (const xmlNode *el = parent->children; el; el = el->next) {
        if (el->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < n_rules; i++) {
            int r = rule_matches(c, el, &rules[i]) ? apply(c, el, &rules[i], f) : 0;

            if (r < 0)
                return r;
        }
    }
    return 0;
}

static void take(struct fields *f, enum field field, char **dst)
{
    free(*dst);
    *dst = f->str[field];
    f->str[field] = NULL;
}

void fields_to_feed(struct fields *f, struct feed *feed)
{
    take(f, FIELD_ID, &feed->id);
    take(f, FIELD_TITLE, &feed->title);
    take(f, FIELD_SUBTITLE, &feed->subtitle);
    take(f, FIELD_LINK, &feed->link);
    take(f, FIELD_SELF, &feed->self);
    take(f, FIELD_AUTHOR, &feed->author);
    feed->updated = f->time[FIELD_UPDATED];
}

void fields_to_entry(struct fields *f, struct entry *e)
{
    take(f, FIELD_ID, &e->id);
    e->id_is_permalink = e->id && f->permalink;
    take(f, FIELD_LINK, &e->link);
    take(f, FIELD_TITLE, &e->title);
    take(f, FIELD_SUMMARY, &e->summary);
    take(f, FIELD_CONTENT, &e->content);
    take(f, FIELD_AUTHOR, &e->author);
    e->published = f->time[FIELD_PUBLISHED];
    e->updated = f->time[FIELD_UPDATED];
}

int fields_read_items(const struct field_ctx *c, const xmlNode *parent, const char *name,
                      fields_item_cb read, struct feed *f)
{
    for (const xmlNode *n = parent->children; n && f->n_entries < FEED_MAX_ENTRIES; n = n->next) {
        int r = 0;

        if (xml_is(n, c->core_ns, name)) {
            r = read(c, n, f);
            if (r == 0)
                r = fields_read_items(c, n, name, read, f);
        }
        if (r < 0)
            return r;
    }
    return 0;
}
