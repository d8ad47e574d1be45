/* rss: RSS 0.90, 0.91 (Netscape and UserLand), 0.92, 0.93, 0.94, 2.0
 * (<rss><channel>) and RSS 1.0 (<rdf:RDF>).
 *
 * RSS 0.9x/2.0 elements have no namespace (or, rarely, UserLand's); RDF
 * flavours put theirs in the RSS 0.90 or 1.0 namespace and their items
 * beside the channel rather than in it. The core namespace is therefore
 * taken from the <channel> element and items are looked for in both
 * places (RSS 2.0 items after </channel> are read too, as feedparser
 * does). The version is the version attribute of <rss> (0.91 with
 * Netscape's DOCTYPE is rss091n), or the RDF namespace.
 *
 * Field choice is the tables below: per field, the lowest priority wins.
 * Entry links: feedburner:origLink (the publisher's URL behind
 * FeedBurner's redirect) first, then <link>, a permalink guid, atom:link.
 */
#include <errno.h>
#include <string.h>

#include "feed/fields.h"
#include "feed/readers.h"
#include "feed/xml.h"

static const struct field_rule channel_rules[] = {
    {XNS_CORE, "title", FIELD_TITLE, KIND_TITLE, 0},
    {XNS_DC, "title", FIELD_TITLE, KIND_TITLE, 1},
    {XNS_CORE, "description", FIELD_SUBTITLE, KIND_TEXT, 0},
    {XNS_DC, "description", FIELD_SUBTITLE, KIND_TEXT, 1},
    {XNS_ITUNES, "subtitle", FIELD_SUBTITLE, KIND_TEXT, 2},
    {XNS_ITUNES, "summary", FIELD_SUBTITLE, KIND_TEXT, 3},
    {XNS_CORE, "link", FIELD_LINK, KIND_URL, 0},
    {XNS_ATOM10, "link", FIELD_LINK, KIND_LINK_ALT, 1},
    {XNS_ATOM10, "link", FIELD_SELF, KIND_LINK_SELF, 0},
    {XNS_ATOM10, "link", FIELD_NONE, KIND_LINK_HUB, 0},
    {XNS_CORE, "language", FIELD_LANGUAGE, KIND_TEXT, 0},
    {XNS_DC, "language", FIELD_LANGUAGE, KIND_TEXT, 1},
    {XNS_CORE, "image", FIELD_LOGO, KIND_RSS_IMAGE, 0},
    {XNS_ITUNES, "image", FIELD_LOGO, KIND_HREF, 1},
    {XNS_ATOM10, "logo", FIELD_LOGO, KIND_URL, 2},
    {XNS_ATOM10, "icon", FIELD_ICON, KIND_URL, 0},
    {XNS_CORE, "managingEditor", FIELD_AUTHORS, KIND_PERSON, 0},
    {XNS_DC, "creator", FIELD_AUTHORS, KIND_PERSON, 1},
    {XNS_ATOM10, "author", FIELD_AUTHORS, KIND_ATOM_PERSON, 2},
    {XNS_ITUNES, "author", FIELD_AUTHORS, KIND_PERSON, 3},
    {XNS_DC, "publisher", FIELD_AUTHORS, KIND_PERSON, 4},
    {XNS_CORE, "webMaster", FIELD_AUTHORS, KIND_PERSON, 5},
    {XNS_CORE, "lastBuildDate", FIELD_UPDATED, KIND_DATE, 0},
    {XNS_ATOM10, "updated", FIELD_UPDATED, KIND_DATE, 1},
    {XNS_DC, "date", FIELD_UPDATED, KIND_DATE, 2},
    {XNS_DCTERMS, "modified", FIELD_UPDATED, KIND_DATE, 3},
    {XNS_CORE, "pubDate", FIELD_UPDATED, KIND_DATE, 4},
    {XNS_CORE, "generator", FIELD_GENERATOR, KIND_TEXT, 0},
    {XNS_ADMIN, "generatorAgent", FIELD_GENERATOR, KIND_RESOURCE, 1},
    {XNS_CORE, "ttl", FIELD_TTL, KIND_INT, 0},
    {XNS_CORE, "skipHours", FIELD_NONE, KIND_SKIP_HOURS, 0},
    {XNS_CORE, "skipDays", FIELD_NONE, KIND_SKIP_DAYS, 0},
    {XNS_SY, "updatePeriod", FIELD_SY_PERIOD, KIND_SY_PERIOD, 0},
    {XNS_SY, "updateFrequency", FIELD_SY_FREQUENCY, KIND_INT, 0},
    {XNS_SY, "updateBase", FIELD_SY_BASE, KIND_DATE, 0},
};

/* A permalink guid is a link candidate below <link>. dc:date is the only
 * date RSS 1.0 items have, and it is their publication date. */
static const struct field_rule item_rules[] = {
    {XNS_CORE, "guid", FIELD_ID, KIND_GUID, 0},
    {XNS_DC, "identifier", FIELD_ID, KIND_TEXT, 1},
    {XNS_ATOM10, "id", FIELD_ID, KIND_TEXT, 2},
    {XNS_FEEDBURNER, "origLink", FIELD_LINK, KIND_URL, 0},
    {XNS_CORE, "link", FIELD_LINK, KIND_URL, 1},
    {XNS_CORE, "guid", FIELD_LINK, KIND_GUID_LINK, 2},
    {XNS_ATOM10, "link", FIELD_LINK, KIND_LINK_ALT, 3},
    {XNS_ATOM10, "link", FIELD_NONE, KIND_LINK_ENCLOSURE, 0},
    {XNS_ATOM10, "link", FIELD_COMMENTS, KIND_LINK_REPLIES, 1},
    {XNS_CORE, "comments", FIELD_COMMENTS, KIND_URL, 0},
    {XNS_CORE, "title", FIELD_TITLE, KIND_TITLE, 0},
    {XNS_DC, "title", FIELD_TITLE, KIND_TITLE, 1},
    {XNS_MEDIA, "title", FIELD_TITLE, KIND_TITLE, 2},
    {XNS_CORE, "description", FIELD_SUMMARY, KIND_HTML, 0},
    {XNS_DC, "description", FIELD_SUMMARY, KIND_HTML, 1},
    {XNS_ITUNES, "summary", FIELD_SUMMARY, KIND_TEXT_HTML, 2},
    {XNS_MEDIA, "description", FIELD_SUMMARY, KIND_TEXT_HTML, 3},
    {XNS_CONTENT, "encoded", FIELD_CONTENT, KIND_HTML, 0},
    {XNS_ATOM10, "content", FIELD_CONTENT, KIND_ATOM_HTML, 1},
    {XNS_CORE, "author", FIELD_AUTHORS, KIND_PERSON, 0},
    {XNS_DC, "creator", FIELD_AUTHORS, KIND_PERSON, 1},
    {XNS_ATOM10, "author", FIELD_AUTHORS, KIND_ATOM_PERSON, 2},
    {XNS_ITUNES, "author", FIELD_AUTHORS, KIND_PERSON, 3},
    {XNS_CORE, "pubDate", FIELD_PUBLISHED, KIND_DATE, 0},
    {XNS_DC, "date", FIELD_PUBLISHED, KIND_DATE, 1},
    {XNS_DCTERMS, "issued", FIELD_PUBLISHED, KIND_DATE, 2},
    {XNS_DCTERMS, "created", FIELD_PUBLISHED, KIND_DATE, 3},
    {XNS_DCTERMS, "date", FIELD_PUBLISHED, KIND_DATE, 4},
    {XNS_ATOM10, "published", FIELD_PUBLISHED, KIND_DATE, 5},
    {XNS_ATOM10, "updated", FIELD_UPDATED, KIND_DATE, 0},
    {XNS_DCTERMS, "modified", FIELD_UPDATED, KIND_DATE, 1},
    {XNS_CORE, "category", FIELD_NONE, KIND_CATEGORY, 0},
    {XNS_DC, "subject", FIELD_NONE, KIND_CATEGORY, 0},
    {XNS_ATOM10, "category", FIELD_NONE, KIND_ATOM_CATEGORY, 0},
    {XNS_ITUNES, "category", FIELD_NONE, KIND_ITUNES_CATEGORY, 0},
    {XNS_CORE, "enclosure", FIELD_NONE, KIND_ENCLOSURE, 0},
    {XNS_MEDIA, "content", FIELD_NONE, KIND_MEDIA_CONTENT, 0},
    {XNS_MEDIA, "thumbnail", FIELD_NONE, KIND_MEDIA_THUMBNAIL, 0},
    {XNS_MEDIA, "group", FIELD_NONE, KIND_MEDIA_GROUP, 0},
};

/* RSS 1.0 puts <image> beside the channel (which only points at it). */
static const struct field_rule rdf_rules[] = {
    {XNS_CORE, "image", FIELD_LOGO, KIND_RSS_IMAGE, 1},
};

static struct rule_table channel_table = RULE_TABLE(channel_rules);
static struct rule_table rdf_table = RULE_TABLE(rdf_rules);
static struct rule_table item_table = RULE_TABLE(item_rules);

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

    if (e->id || !item->properties ||
        !xmlHasNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF))
        return 0;
    about = xmlGetNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF);
    if (!about)
        return -ENOMEM;
    r = model_set_trimmed(&e->id, (const char *)about, strlen((const char *)about));
    xmlFree(about);
    e->id_is_permalink = false;
    return r;
}

static int read_item(struct field_ctx *c, const xmlNode *item, struct feed *f)
{
    struct entry *e = feed_add_entry(f);
    struct fields fl;
    int r;

    if (!e)
        return -ENOMEM;
    fields_init(&fl);
    r = fields_collect(c, item, &item_table, &fl);
    if (r == 0)
        r = fields_to_entry(&fl, e);
    if (r == 0)
        r = rdf_about(item, e);
    fields_release(&fl);
    if (r == 0 && entry_is_empty(e))
        feed_drop_last_entry(f); /* <item/>: nothing to show */
    return r;
}

static enum feed_version rss_version(const xmlNode *root)
{
    static const struct {
        const char *v;
        enum feed_version version;
    } versions[] = {
        {"0.91", FEED_VERSION_RSS091U}, {"0.92", FEED_VERSION_RSS092},
        {"0.93", FEED_VERSION_RSS093},  {"0.94", FEED_VERSION_RSS094},
        {"2.0", FEED_VERSION_RSS20},    {"2.0.1", FEED_VERSION_RSS20},
        {"2.01", FEED_VERSION_RSS20},   {"2", FEED_VERSION_RSS20},
    };
    xmlChar *v = xmlGetNoNsProp(root, (const xmlChar *)"version");
    enum feed_version version = FEED_VERSION_RSS;
    xmlDtd *dtd = root->doc ? xmlGetIntSubset(root->doc) : NULL;

    for (size_t i = 0; v && i < sizeof(versions) / sizeof(versions[0]); i++) {
        if (strcmp((const char *)v, versions[i].v) == 0)
            version = versions[i].version;
    }
    xmlFree(v);
    if (version == FEED_VERSION_RSS091U && dtd && dtd->ExternalID &&
        strstr((const char *)dtd->ExternalID, "Netscape"))
        version = FEED_VERSION_RSS091N;
    return version;
}

int rss_read(const xmlNode *root, const char *url, const struct feed_limits *lim, struct feed *f)
{
    const xmlNode *channel = find_channel(root);
    struct field_ctx c;
    struct fields fl;
    int r;

    if (!channel)
        return -EBADMSG;
    field_ctx_init(&c, url, lim);
    c.core_ns = xml_ns(channel);
    if (xml_is(root, NS_RDF, "RDF")) {
        f->format = FEED_FORMAT_RDF;
        f->version =
            c.core_ns && !strcmp(c.core_ns, NS_RSS090) ? FEED_VERSION_RSS090 : FEED_VERSION_RSS10;
    } else {
        f->format = FEED_FORMAT_RSS;
        f->version = rss_version(root);
    }
    fields_init(&fl);
    r = fields_collect(&c, channel, &channel_table, &fl);
    if (r == 0 && f->format == FEED_FORMAT_RDF)
        r = fields_collect(&c, root, &rdf_table, &fl);
    if (r == 0)
        r = fields_to_feed(&fl, f);
    fields_release(&fl);
    if (r == 0)
        r = fields_read_items(&c, channel, "item", read_item, f);
    if (r == 0)
        r = fields_read_items(&c, root, "item", read_item, f);
    field_ctx_release(&c);
    return r;
}
