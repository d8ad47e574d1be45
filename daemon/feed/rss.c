/* rss: RSS 0.9x, 2.0 (<rss><channel>) and RSS 0.90 / 1.0 (<rdf:RDF>).
 *
 * RSS 2.0 elements have no namespace; RDF flavours put theirs in the RSS
 * 0.90 or 1.0 namespace and their items beside the channel rather than in
 * it. The core namespace is therefore taken from the <channel> element and
 * items are looked for in both places. Field choice is the tables below.
 */
#include <errno.h>
#include <string.h>

#include "feed/fields.h"
#include "feed/readers.h"
#include "feed/xml.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct field_rule channel_rules[] = {
    {NULL, "title", FIELD_TITLE, KIND_TEXT, 0},
    {NS_DC, "title", FIELD_TITLE, KIND_TEXT, 1},
    {NULL, "description", FIELD_SUBTITLE, KIND_TEXT, 0},
    {NS_DC, "description", FIELD_SUBTITLE, KIND_TEXT, 1},
    {NULL, "link", FIELD_LINK, KIND_URL, 0},
    {NS_ATOM10, "link", FIELD_LINK, KIND_LINK_ALT, 1},
    {NS_ATOM10, "link", FIELD_SELF, KIND_LINK_SELF, 0},
    {NULL, "managingEditor", FIELD_AUTHOR, KIND_RSS_PERSON, 0},
    {NS_DC, "creator", FIELD_AUTHOR, KIND_TEXT, 1},
    {NS_ATOM10, "author", FIELD_AUTHOR, KIND_ATOM_PERSON, 2},
    {NULL, "webMaster", FIELD_AUTHOR, KIND_RSS_PERSON, 3},
    {NULL, "lastBuildDate", FIELD_UPDATED, KIND_DATE, 0},
    {NS_ATOM10, "updated", FIELD_UPDATED, KIND_DATE, 1},
    {NS_DC, "date", FIELD_UPDATED, KIND_DATE, 2},
    {NULL, "pubDate", FIELD_UPDATED, KIND_DATE, 3},
};

/* A permalink guid is a link candidate below <link>. dc:date is the only
 * date RSS 1.0 items have, and it is their publication date. */
static const struct field_rule item_rules[] = {
    {NULL, "guid", FIELD_ID, KIND_GUID, 0},
    {NS_DC, "identifier", FIELD_ID, KIND_TEXT, 1},
    {NULL, "link", FIELD_LINK, KIND_URL, 0},
    {NULL, "guid", FIELD_LINK, KIND_GUID_LINK, 1},
    {NS_ATOM10, "link", FIELD_LINK, KIND_LINK_ALT, 2},
    {NULL, "title", FIELD_TITLE, KIND_TEXT, 0},
    {NS_DC, "title", FIELD_TITLE, KIND_TEXT, 1},
    {NULL, "description", FIELD_SUMMARY, KIND_HTML, 0},
    {NS_DC, "description", FIELD_SUMMARY, KIND_HTML, 1},
    {NS_CONTENT, "encoded", FIELD_CONTENT, KIND_HTML, 0},
    {NULL, "author", FIELD_AUTHOR, KIND_RSS_PERSON, 0},
    {NS_DC, "creator", FIELD_AUTHOR, KIND_TEXT, 1},
    {NS_ATOM10, "author", FIELD_AUTHOR, KIND_ATOM_PERSON, 2},
    {NULL, "pubDate", FIELD_PUBLISHED, KIND_DATE, 0},
    {NS_DC, "date", FIELD_PUBLISHED, KIND_DATE, 1},
    {NS_DCTERMS, "issued", FIELD_PUBLISHED, KIND_DATE, 2},
    {NS_ATOM10, "published", FIELD_PUBLISHED, KIND_DATE, 3},
    {NS_ATOM10, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {NS_DCTERMS, "modified", FIELD_UPDATED, KIND_DATE, 1},
};

static const xmlNode *find_channel(const xmlNode *root)
{
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "channel") == 0)
            return c;
    }
    return NULL;
}

/* RSS 1.0 items without any id rule: their rdf:about, the lowest
 * priority id source (an attribute of the item, so not in the table). */
static int rdf_about(const xmlNode *item, struct entry *e)
{
    xmlChar *about;
    int r;

    if (e->id || !xmlHasNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF))
        return 0;
    about = xmlGetNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF);
    if (!about)
        return -ENOMEM;
    r = model_set_trimmed(&e->id, (const char *)about, strlen((const char *)about));
    xmlFree(about);
    e->id_is_permalink = false;
    return r;
}

static int read_item(const struct field_ctx *c, const xmlNode *item, struct feed *f)
{
    struct entry *e = feed_add_entry(f);
    struct fields fl;
    int r;

    if (!e)
        return -ENOMEM;
    fields_init(&fl);
    r = fields_collect(c, item, item_rules, N(item_rules), &fl);
    if (r == 0) {
        fields_to_entry(&fl, e);
        r = rdf_about(item, e);
    }
    fields_release(&fl);
    return r;
}

int rss_read(const xmlNode *root, const char *url, struct feed *f)
{
    const xmlNode *channel = find_channel(root);
    struct field_ctx c = {.url = url};
    struct fields fl;
    int r;

    if (!channel)
        return -EBADMSG;
    c.core_ns = xml_ns(channel);
    f->format = xml_is(root, NS_RDF, "RDF") ? FEED_FORMAT_RDF : FEED_FORMAT_RSS;
    fields_init(&fl);
    r = fields_collect(&c, channel, channel_rules, N(channel_rules), &fl);
    if (r == 0)
        fields_to_feed(&fl, f);
    fields_release(&fl);
    if (r == 0)
        r = fields_read_items(&c, channel, "item", read_item, f);
    if (r == 0 && f->format == FEED_FORMAT_RDF)
        r = fields_read_items(&c, root, "item", read_item, f);
    return r;
}
