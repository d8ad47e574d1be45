/* atom: Atom 1.0 (RFC 4287) and the Atom 0.3 draft.
 *
 * Both share one set of element names in their own namespace (the core
 * namespace is the root's); 0.3-only names (tagline, issued, modified,
 * created, url in persons, mode on content) rank below their 1.0
 * equivalents. An entry without an author inherits those of its
 * atom:source, then the feed's (RFC 4287 4.2.1). The feed language is
 * the root's xml:lang. A standalone <entry> (an Atom Entry Document) is a
 * feed of that entry, without feed metadata.
 */
#include <errno.h>
#include <string.h>

#include "feed/fields.h"
#include "feed/readers.h"
#include "feed/xml.h"

static const struct field_rule feed_rules[] = {
    {XNS_CORE, "id", FIELD_ID, KIND_TEXT, 0},
    {XNS_CORE, "title", FIELD_TITLE, KIND_ATOM_TEXT, 0},
    {XNS_CORE, "subtitle", FIELD_SUBTITLE, KIND_ATOM_TEXT, 0},
    {XNS_CORE, "tagline", FIELD_SUBTITLE, KIND_ATOM_TEXT, 1},
    {XNS_CORE, "link", FIELD_LINK, KIND_LINK_ALT, 0},
    {XNS_CORE, "link", FIELD_SELF, KIND_LINK_SELF, 0},
    {XNS_CORE, "link", FIELD_NONE, KIND_LINK_HUB, 0},
    {XNS_CORE, "author", FIELD_AUTHORS, KIND_ATOM_PERSON, 0},
    {XNS_DC, "creator", FIELD_AUTHORS, KIND_PERSON, 1},
    {XNS_CORE, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {XNS_CORE, "modified", FIELD_UPDATED, KIND_DATE, 1},
    {XNS_CORE, "icon", FIELD_ICON, KIND_URL, 0},
    {XNS_CORE, "logo", FIELD_LOGO, KIND_URL, 0},
    {XNS_ITUNES, "image", FIELD_LOGO, KIND_HREF, 1},
    {XNS_CORE, "generator", FIELD_GENERATOR, KIND_TEXT, 0},
    {XNS_DC, "language", FIELD_LANGUAGE, KIND_TEXT, 1},
    {XNS_SY, "updatePeriod", FIELD_SY_PERIOD, KIND_SY_PERIOD, 0},
    {XNS_SY, "updateFrequency", FIELD_SY_FREQUENCY, KIND_INT, 0},
    {XNS_SY, "updateBase", FIELD_SY_BASE, KIND_DATE, 0},
};

static const struct field_rule entry_rules[] = {
    {XNS_CORE, "id", FIELD_ID, KIND_TEXT, 0},
    {XNS_FEEDBURNER, "origLink", FIELD_LINK, KIND_URL, 0},
    {XNS_CORE, "link", FIELD_LINK, KIND_LINK_ALT, 1},
    {XNS_CORE, "link", FIELD_NONE, KIND_LINK_ENCLOSURE, 0},
    {XNS_CORE, "link", FIELD_COMMENTS, KIND_LINK_REPLIES, 0},
    {XNS_CORE, "title", FIELD_TITLE, KIND_ATOM_TEXT, 0},
    {XNS_CORE, "summary", FIELD_SUMMARY, KIND_ATOM_HTML, 0},
    {XNS_CORE, "content", FIELD_CONTENT, KIND_ATOM_HTML, 0},
    {XNS_CORE, "author", FIELD_AUTHORS, KIND_ATOM_PERSON, 0},
    {XNS_DC, "creator", FIELD_AUTHORS, KIND_PERSON, 1},
    {XNS_ITUNES, "author", FIELD_AUTHORS, KIND_PERSON, 2},
    {XNS_CORE, "published", FIELD_PUBLISHED, KIND_DATE, 0},
    {XNS_CORE, "issued", FIELD_PUBLISHED, KIND_DATE, 1},
    {XNS_CORE, "created", FIELD_PUBLISHED, KIND_DATE, 2},
    {XNS_DCTERMS, "issued", FIELD_PUBLISHED, KIND_DATE, 3},
    {XNS_DC, "date", FIELD_PUBLISHED, KIND_DATE, 4},
    {XNS_CORE, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {XNS_CORE, "modified", FIELD_UPDATED, KIND_DATE, 1},
    {XNS_DCTERMS, "modified", FIELD_UPDATED, KIND_DATE, 2},
    {XNS_CORE, "category", FIELD_NONE, KIND_ATOM_CATEGORY, 0},
    {XNS_DC, "subject", FIELD_NONE, KIND_CATEGORY, 0},
    {XNS_MEDIA, "content", FIELD_NONE, KIND_MEDIA_CONTENT, 0},
    {XNS_MEDIA, "thumbnail", FIELD_NONE, KIND_MEDIA_THUMBNAIL, 0},
    {XNS_MEDIA, "group", FIELD_NONE, KIND_MEDIA_GROUP, 0},
};

static const struct field_rule source_rules[] = {
    {XNS_CORE, "author", FIELD_AUTHORS, KIND_ATOM_PERSON, 0},
};

static struct rule_table feed_table = RULE_TABLE(feed_rules);
static struct rule_table entry_table = RULE_TABLE(entry_rules);
static struct rule_table source_table = RULE_TABLE(source_rules);

static int inherit_authors(struct field_ctx *c, const xmlNode *entry, struct fields *fl,
                           const struct feed *f)
{
    const xmlNode *source = NULL;
    int r = 0;

    if (fl->n_authors)
        return 0;
    for (const xmlNode *n = entry->children; n && !source; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && fields_is(c, n, XNS_CORE, "source"))
            source = n;
    }
    if (source)
        r = fields_collect(c, source, &source_table, fl);
    if (r == 0 && !fl->n_authors)
        r = fields_copy_authors(fl, f->authors, f->n_authors);
    return r;
}

static int read_entry(struct field_ctx *c, const xmlNode *node, struct feed *f)
{
    struct entry *e;
    struct fields fl;
    int r;

    fields_init(&fl);
    r = fields_collect(c, node, &entry_table, &fl);
    if (r == 0)
        r = inherit_authors(c, node, &fl, f);
    e = r == 0 ? feed_add_entry(f) : NULL;
    if (r == 0 && !e)
        r = -ENOMEM;
    if (r == 0)
        r = fields_to_entry(&fl, e);
    fields_release(&fl);
    if (r == 0 && entry_is_empty(e))
        feed_drop_last_entry(f); /* <entry/>: nothing to show */
    return r;
}

static int read_lang(const xmlNode *root, struct feed *f)
{
    xmlChar *lang;
    int r;

    if (f->language || !root->properties ||
        !xmlHasNsProp(root, (const xmlChar *)"lang", XML_XML_NAMESPACE))
        return 0;
    lang = xmlGetNsProp(root, (const xmlChar *)"lang", XML_XML_NAMESPACE);
    if (!lang)
        return -ENOMEM;
    r = model_set_trimmed(&f->language, (const char *)lang, strlen((const char *)lang));
    xmlFree(lang);
    return r;
}

int atom_read(const xmlNode *root, const char *url, const struct feed_limits *lim, struct feed *f)
{
    struct field_ctx c;
    struct fields fl;
    int r;

    field_ctx_init(&c, url, lim);
    c.core_ns = xml_ns(root);
    f->format = FEED_FORMAT_ATOM;
    f->version =
        c.core_ns && !strcmp(c.core_ns, NS_ATOM03) ? FEED_VERSION_ATOM03 : FEED_VERSION_ATOM10;
    if (fields_is(&c, root, XNS_CORE, "entry")) {
        r = read_entry(&c, root, f); /* an Entry Document */
        field_ctx_release(&c);
        return r;
    }
    fields_init(&fl);
    r = fields_collect(&c, root, &feed_table, &fl);
    if (r == 0)
        r = fields_to_feed(&fl, f);
    fields_release(&fl);
    if (r == 0)
        r = read_lang(root, f);
    if (r == 0)
        r = fields_read_items(&c, root, "entry", read_entry, f);
    field_ctx_release(&c);
    return r;
}
