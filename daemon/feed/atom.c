/* atom: Atom 1.0 (RFC 4287) and the Atom 0.3 draft.
 *
 * Both share one set of element names in their own namespace (the core
 * namespace is the root's); 0.3-only names (tagline, issued, modified,
 * created) rank below their 1.0 equivalents. An entry without an author
 * inherits that of its atom:source, then the feed's (RFC 4287 4.2.1).
 */
#include <errno.h>

#include "feed/fields.h"
#include "feed/readers.h"
#include "feed/xml.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct field_rule feed_rules[] = {
    {NULL, "id", FIELD_ID, KIND_TEXT, 0},
    {NULL, "title", FIELD_TITLE, KIND_ATOM_TEXT, 0},
    {NULL, "subtitle", FIELD_SUBTITLE, KIND_ATOM_TEXT, 0},
    {NULL, "tagline", FIELD_SUBTITLE, KIND_ATOM_TEXT, 1},
    {NULL, "link", FIELD_LINK, KIND_LINK_ALT, 0},
    {NULL, "link", FIELD_SELF, KIND_LINK_SELF, 0},
    {NULL, "author", FIELD_AUTHOR, KIND_ATOM_PERSON, 0},
    {NULL, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {NULL, "modified", FIELD_UPDATED, KIND_DATE, 1},
};

static const struct field_rule entry_rules[] = {
    {NULL, "id", FIELD_ID, KIND_TEXT, 0},
    {NULL, "link", FIELD_LINK, KIND_LINK_ALT, 0},
    {NULL, "title", FIELD_TITLE, KIND_ATOM_TEXT, 0},
    {NULL, "summary", FIELD_SUMMARY, KIND_ATOM_HTML, 0},
    {NULL, "content", FIELD_CONTENT, KIND_ATOM_HTML, 0},
    {NULL, "author", FIELD_AUTHOR, KIND_ATOM_PERSON, 0},
    {NULL, "published", FIELD_PUBLISHED, KIND_DATE, 0},
    {NULL, "issued", FIELD_PUBLISHED, KIND_DATE, 1},
    {NULL, "created", FIELD_PUBLISHED, KIND_DATE, 2},
    {NULL, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {NULL, "modified", FIELD_UPDATED, KIND_DATE, 1},
};

static const struct field_rule source_rules[] = {
    {NULL, "author", FIELD_AUTHOR, KIND_ATOM_PERSON, 0},
};

static int inherit_author(const struct field_ctx *c, const xmlNode *entry, struct fields *fl,
                          const struct feed *f)
{
    const xmlNode *source = xml_child(entry, c->core_ns, "source");
    int r = 0;

    if (fl->str[FIELD_AUTHOR])
        return 0;
    if (source)
        r = fields_collect(c, source, source_rules, N(source_rules), fl);
    if (r == 0 && !fl->str[FIELD_AUTHOR])
        r = model_set_str(&fl->str[FIELD_AUTHOR], f->author);
    return r;
}

static int read_entry(const struct field_ctx *c, const xmlNode *node, struct feed *f)
{
    struct entry *e = feed_add_entry(f);
    struct fields fl;
    int r;

    if (!e)
        return -ENOMEM;
    fields_init(&fl);
    r = fields_collect(c, node, entry_rules, N(entry_rules), &fl);
    if (r == 0)
        r = inherit_author(c, node, &fl, f);
    if (r == 0)
        fields_to_entry(&fl, e);
    fields_release(&fl);
    return r;
}

int atom_read(const xmlNode *root, const char *url, struct feed *f)
{
    struct field_ctx c = {.url = url, .core_ns = xml_ns(root)};
    struct fields fl;
    int r;

    f->format = FEED_FORMAT_ATOM;
    fields_init(&fl);
    r = fields_collect(&c, root, feed_rules, N(feed_rules), &fl);
    if (r == 0)
        fields_to_feed(&fl, f);
    fields_release(&fl);
    if (r == 0)
        r = fields_read_items(&c, root, "entry", read_entry, f);
    return r;
}
