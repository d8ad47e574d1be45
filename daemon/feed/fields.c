/* fields: see fields.h. */
#include "feed/fields.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "feed/date.h"
#include "feed/sanitize.h"
#include "feed/xml.h"

/* A rule's priority is scaled so that a kind can add a rank below it. */
#define RANK_STEP 8

struct value {
    char *str;
    int64_t num;
    int rank;       /* 0..RANK_STEP-1, added to prio * RANK_STEP */
    bool permalink; /* KIND_GUID only */
};

/* How an Atom text construct (or Atom 0.3 content with mode) is encoded. */
enum text_type {
    TEXT_PLAIN,
    TEXT_HTML,
    TEXT_XHTML,  /* inline markup */
    TEXT_XML,    /* inline XML of another type: shown as text */
    TEXT_BASE64, /* base64 of the media type in *ret_type */
    TEXT_SKIP,
};

/* ---- namespaces ----------------------------------------------------------------- */

static const struct {
    const char *uri;
    const char *prefix; /* the usual one, for undeclared prefixes */
    enum xns id;
} known_ns[] = {
    {NS_ATOM10, "atom", XNS_ATOM10},
    {NS_DC, "dc", XNS_DC},
    {NS_CONTENT, "content", XNS_CONTENT},
    {NS_MEDIA, "media", XNS_MEDIA},
    {NS_ITUNES, "itunes", XNS_ITUNES},
    {NS_RDF, "rdf", XNS_RDF},
    {NS_RSS10, NULL, XNS_RSS10},
    {NS_DCTERMS, "dcterms", XNS_DCTERMS},
    {NS_FEEDBURNER, "feedburner", XNS_FEEDBURNER},
    {NS_SY, "sy", XNS_SY},
    {NS_XHTML, "xhtml", XNS_XHTML},
    {NS_ATOM03, NULL, XNS_ATOM03},
    {NS_RSS090, NULL, XNS_RSS090},
    {NS_ADMIN, "admin", XNS_ADMIN},
    {NS_USERLAND, NULL, XNS_USERLAND},
    /* Common misspellings and variants seen in the wild. */
    {"http://search.yahoo.com/mrss", NULL, XNS_MEDIA},
    {"http://purl.org/dc/elements/1.0/", NULL, XNS_DC},
    {"https://www.itunes.com/dtds/podcast-1.0.dtd", NULL, XNS_ITUNES},
    {"http://www.itunes.com/DTDs/Podcast-1.0.dtd", NULL, XNS_ITUNES},
};

#define N_KNOWN_NS (sizeof(known_ns) / sizeof(known_ns[0]))

static enum xns classify_uri(const struct field_ctx *c, const char *uri)
{
    if (c->core_ns && strcmp(uri, c->core_ns) == 0)
        return XNS_CORE;
    for (size_t i = 0; i < N_KNOWN_NS; i++) {
        if (strcmp(uri, known_ns[i].uri) == 0)
            return known_ns[i].id;
    }
    return XNS_OTHER;
}

/* "media:content" left by an undeclared prefix. */
static enum xns classify_prefixed(const struct field_ctx *c, const char *name, const char **local)
{
    const char *colon = strchr(name, ':');
    size_t len;

    if (!colon)
        return c->core_ns ? XNS_NONE : XNS_CORE;
    len = (size_t)(colon - name);
    for (size_t i = 0; i < N_KNOWN_NS; i++) {
        const char *p = known_ns[i].prefix;

        if (p && strlen(p) == len && memcmp(p, name, len) == 0) {
            *local = colon + 1;
            return known_ns[i].id;
        }
    }
    return XNS_OTHER;
}

enum xns fields_ns(struct field_ctx *c, const xmlNode *el, const char **ret_local)
{
    const xmlNs *ns = el->ns;
    struct ns_cache_slot *slot;
    enum xns id;

    *ret_local = (const char *)el->name;
    if (!ns || !ns->href)
        return classify_prefixed(c, (const char *)el->name, ret_local);
    for (size_t i = 0; i < sizeof(c->ns_cache) / sizeof(c->ns_cache[0]); i++) {
        if (c->ns_cache[i].ns == ns)
            return c->ns_cache[i].id;
    }
    id = classify_uri(c, (const char *)ns->href);
    slot = &c->ns_cache[c->ns_next++ % (sizeof(c->ns_cache) / sizeof(c->ns_cache[0]))];
    slot->ns = ns;
    slot->id = id;
    return id;
}

bool fields_is(struct field_ctx *c, const xmlNode *el, enum xns ns, const char *name)
{
    const char *local;

    return el->type == XML_ELEMENT_NODE && fields_ns(c, el, &local) == ns &&
           strcmp(local, name) == 0;
}

void field_ctx_init(struct field_ctx *c, const char *url, const struct feed_limits *lim)
{
    *c = (struct field_ctx){.url = url, .lim = *lim};
}

void field_ctx_release(struct field_ctx *c)
{
    free(c->base);
    c->base = NULL;
    c->base_owner = NULL;
}

/* The base URL in scope for el; borrowed from the context. */
static int base_of(struct field_ctx *c, const xmlNode *el, const char **ret)
{
    const xmlNode *owner = xml_base_owner(el);
    char *base;
    int r;

    if (!owner) {
        *ret = c->url;
        return 0;
    }
    if (owner != c->base_owner) {
        r = xml_base(owner, c->url, &base);
        if (r < 0)
            return r;
        free(c->base);
        c->base = base;
        c->base_owner = owner;
    }
    *ret = c->base;
    return 0;
}

/* ---- the rule index ------------------------------------------------------------- */

static unsigned name_hash(const char *s)
{
    size_t len = strlen(s);

    return (unsigned)((len * 7u + (unsigned char)s[0] * 31u + (unsigned char)s[len ? len - 1 : 0]) %
                      FIELDS_BUCKETS);
}

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

static void index_build(struct rule_table *t)
{
    pthread_mutex_lock(&index_lock);
    if (!atomic_load_explicit(&t->ready, memory_order_relaxed)) {
        uint8_t tail[FIELDS_BUCKETS] = {0};

        memset(t->head, 0, sizeof(t->head));
        /* Chains keep table order: rules of one element apply in order. */
        for (size_t i = 0; i < t->n && i < FIELDS_RULES_MAX; i++) {
            unsigned h = name_hash(t->rules[i].name);

            t->next[i] = 0;
            if (tail[h])
                t->next[tail[h] - 1] = (uint8_t)(i + 1);
            else
                t->head[h] = (uint8_t)(i + 1);
            tail[h] = (uint8_t)(i + 1);
        }
        atomic_store_explicit(&t->ready, true, memory_order_release);
    }
    pthread_mutex_unlock(&index_lock);
}

/* ---- fields --------------------------------------------------------------------- */

void fields_init(struct fields *f)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < FIELD_MAX; i++) {
        f->num[i] = TIME_NONE;
        f->rank[i] = INT_MAX;
    }
}

void fields_release(struct fields *f)
{
    for (int i = 0; i < FIELD_MAX; i++) {
        free(f->str[i]);
        f->str[i] = NULL;
    }
    persons_free(f->authors, f->n_authors);
    for (size_t i = 0; i < f->n_categories; i++)
        category_release(&f->categories[i]);
    free(f->categories);
    for (size_t i = 0; i < f->n_enclosures; i++)
        enclosure_release(&f->enclosures[i]);
    free(f->enclosures);
    for (size_t i = 0; i < f->n_hubs; i++)
        free(f->hubs[i]);
    free(f->hubs);
    f->authors = NULL;
    f->categories = NULL;
    f->enclosures = NULL;
    f->hubs = NULL;
    f->n_authors = f->n_categories = f->n_enclosures = f->n_hubs = 0;
}

/* ---- attribute helpers ---------------------------------------------------------- */

/* The un-namespaced attribute's value, borrowed from the tree when it is a
 * single text node (the usual case), else NULL. */
static const char *attr_peek(const xmlNode *el, const char *name)
{
    for (const xmlAttr *a = el->properties; a; a = a->next) {
        if (!a->ns && strcmp((const char *)a->name, name) == 0) {
            const xmlNode *t = a->children;

            if (t && !t->next && t->type == XML_TEXT_NODE && t->content)
                return (const char *)t->content;
            return NULL;
        }
    }
    return NULL;
}

static bool attr_is(const xmlNode *el, const char *name, const char *value)
{
    const char *v = attr_peek(el, name);
    size_t len;

    if (!v)
        return false;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    len = strlen(value);
    return strncasecmp(v, value, len) == 0 &&
           (v[len] == '\0' || v[len] == ' ' || v[len] == '\t' || v[len] == '\n' || v[len] == '\r');
}

static bool has_attr(const xmlNode *el, const char *name)
{
    return xmlHasProp(el, (const xmlChar *)name) != NULL;
}

/* A non-negative integer (leading digits of a trimmed value), else -1. */
static int64_t to_int(const char *s)
{
    int64_t v = 0;
    int n = 0;

    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    for (; *s >= '0' && *s <= '9' && n < 18; s++, n++)
        v = v * 10 + (*s - '0');
    return n ? v : -1;
}

static int64_t attr_int(const xmlNode *el, const char *name)
{
    char *s = NULL;
    int64_t v = -1;

    if (xml_attr(el, name, &s) == 0) {
        v = to_int(s);
        free(s);
    }
    return v;
}

static int resolve(struct field_ctx *c, const xmlNode *el, const char *ref, char **ret)
{
    const char *base;
    int r;

    if (!ref)
        return 0;
    r = base_of(c, el, &base);
    if (r == 0)
        r = xml_resolve_with(base, ref, ret);
    return r;
}

static int attr_url(struct field_ctx *c, const xmlNode *el, const char *name, char **ret)
{
    char *ref = NULL;
    int r = xml_attr(el, name, &ref);

    if (r == 0 && ref)
        r = resolve(c, el, ref, ret);
    free(ref);
    return r;
}

/* ---- HTML ----------------------------------------------------------------------- */

/* Replaces *html by its sanitized form (resolved against el's base). */
static int sanitize(struct field_ctx *c, const xmlNode *el, char **html)
{
    const char *base;
    char *out = NULL;
    int r;

    if (!*html)
        return 0;
    r = base_of(c, el, &base);
    if (r == 0)
        r = sanitize_html(*html, strlen(*html), base, &out);
    if (r == -E2BIG) {
        out = NULL; /* beyond SANITIZE_MAX: drop rather than fail the feed */
        r = 0;
    }
    free(*html);
    *html = r == 0 ? out : NULL;
    if (r < 0)
        free(out);
    return r;
}

static int text_to_html(char **s)
{
    char *html = NULL;
    int r = 0;

    if (*s)
        r = xml_text_to_html(*s, &html);
    free(*s);
    *s = r == 0 ? html : NULL;
    return r;
}

/* ---- base64 --------------------------------------------------------------------- */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/* Decodes base64 (white space ignored, stops at '=' or garbage) into a
 * NUL-terminated string; NUL bytes in the result end it. */
static int base64_decode(const char *s, char **ret)
{
    size_t len = strlen(s);
    char *out = malloc(len / 4 * 3 + 4);
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;

    if (!out)
        return -ENOMEM;
    for (; *s && *s != '='; s++) {
        int v = b64_value((unsigned char)*s);

        if (v < 0)
            continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    *ret = out;
    return 0;
}

/* ---- Atom text constructs ------------------------------------------------------- */

static bool is_xml_type(const char *t)
{
    size_t len = strlen(t);

    return (len > 4 && !strcasecmp(t + len - 4, "+xml")) ||
           (len > 4 && !strcasecmp(t + len - 4, "/xml"));
}

/* Atom 1.0 type is text|html|xhtml or a media type (RFC 4287 4.1.3: XML
 * types inline, other non-text types base64); Atom 0.3 type is a media
 * type and a mode attribute says escaped|xml|base64. HTML that arrives as
 * markup rather than escaped text (0.3 mode=xml, or a broken feed) is
 * inline. *ret_type (borrowed) is the media type for TEXT_BASE64. */
static enum text_type text_type(const xmlNode *el, const char **ret_type)
{
    const char *type = attr_peek(el, "type");
    bool html, plain;

    *ret_type = type;
    if (!type || !*type)
        type = "text";
    html = !strcasecmp(type, "html") || !strcasecmp(type, "text/html");
    plain = !strcasecmp(type, "text") || !strcasecmp(type, "text/plain");
    if (attr_is(el, "mode", "base64"))
        return TEXT_BASE64;
    if (attr_is(el, "mode", "xml"))
        return plain ? TEXT_PLAIN : TEXT_XHTML;
    if (plain)
        return TEXT_PLAIN;
    if (html)
        return xml_count_elements(el) && !attr_is(el, "mode", "escaped") ? TEXT_XHTML : TEXT_HTML;
    if (!strcasecmp(type, "xhtml") || !strcasecmp(type, "application/xhtml+xml"))
        return TEXT_XHTML;
    if (is_xml_type(type))
        return TEXT_XML;
    if (!strncasecmp(type, "text/", 5))
        return TEXT_PLAIN;
    return strchr(type, '/') ? TEXT_BASE64 : TEXT_SKIP;
}

/* XHTML content is wrapped in one xhtml:div that is not part of it. */
static const xmlNode *xhtml_root(const xmlNode *el)
{
    xmlNode *div = xml_child(el, NS_XHTML, "div");

    return div && xml_count_elements(el) == 1 ? div : el;
}

/* Base64 content of a media type, as HTML: text types decoded, images
 * as an inline data: URL (sanitize keeps data:image/ in img src). */
static int base64_html(const xmlNode *el, const char *type, char **ret)
{
    static const char head[] = "<img src=\"data:";
    char *raw = NULL, *text = NULL;
    struct buf b;
    int r;

    if (!type || !*type)
        type = "text/plain";
    if (!strncasecmp(type, "image/", 6) && !strchr(type, '"')) {
        r = xml_text(el, &raw);
        if (r < 0 || !raw)
            return r;
        buf_init(&b, strlen(raw) + strlen(type) + sizeof(head) + 16);
        buf_printf(&b, "%s%s;base64,", head, type);
        for (const char *p = raw; *p; p++) {
            if (b64_value((unsigned char)*p) >= 0 || *p == '=')
                buf_putc(&b, *p);
        }
        buf_puts(&b, "\"/>");
        free(raw);
        if (b.err)
            return b.err;
        *ret = buf_steal(&b);
        return *ret ? 0 : -ENOMEM;
    }
    if (strncasecmp(type, "text/", 5) && strcasecmp(type, "html") && strcasecmp(type, "text"))
        return 0;
    r = xml_text(el, &raw);
    if (r == 0 && raw)
        r = base64_decode(raw, &text);
    free(raw);
    if (r < 0 || !text)
        return r;
    r = model_set_trimmed(ret, text, strlen(text));
    free(text);
    if (r == 0 && strcasecmp(type, "text/html") && strcasecmp(type, "html"))
        r = text_to_html(ret); /* text/plain and other text types */
    return r;
}

static int atom_text(const xmlNode *el, struct value *v)
{
    const char *type;
    char *s = NULL;
    int r;

    switch (text_type(el, &type)) {
    case TEXT_PLAIN:
    case TEXT_XML:
        return xml_text(el, &v->str);
    case TEXT_HTML:
        r = xml_text(el, &s);
        if (r == 0 && s)
            r = xml_html_to_text(s, &v->str);
        free(s);
        return r;
    case TEXT_XHTML:
        return xml_text(xhtml_root(el), &v->str);
    case TEXT_BASE64:
        r = base64_html(el, type, &s);
        if (r == 0 && s)
            r = xml_html_to_text(s, &v->str);
        free(s);
        return r;
    default:
        return 0;
    }
}

static int atom_html(struct field_ctx *c, const xmlNode *el, struct value *v)
{
    const char *type;
    int r;

    if (has_attr(el, "src"))
        return 0; /* out-of-line content: nothing inline to keep */
    switch (text_type(el, &type)) {
    case TEXT_PLAIN:
        r = xml_text(el, &v->str);
        return r == 0 ? text_to_html(&v->str) : r;
    case TEXT_XML:
        r = xml_inner(el, &v->str);
        return r == 0 ? text_to_html(&v->str) : r;
    case TEXT_HTML:
        r = xml_text(el, &v->str);
        break;
    case TEXT_XHTML:
        r = xml_inner(xhtml_root(el), &v->str);
        break;
    case TEXT_BASE64:
        r = base64_html(el, type, &v->str);
        break;
    default:
        return 0;
    }
    return r == 0 ? sanitize(c, el, &v->str) : r;
}

/* RSS says escaped HTML, but inline markup is common enough to keep. */
static int html(struct field_ctx *c, const xmlNode *el, struct value *v)
{
    int r;

    if (xml_count_elements(el) > 0)
        r = xml_inner(el, &v->str);
    else
        r = xml_text(el, &v->str);
    return r == 0 ? sanitize(c, el, &v->str) : r;
}

/* ---- scalar kinds --------------------------------------------------------------- */

static int text_url(struct field_ctx *c, const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0)
        r = resolve(c, el, s, &v->str);
    free(s);
    return r;
}

static int date(const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0)
        v->num = date_parse(s);
    free(s);
    return r;
}

static int integer(const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0) {
        int64_t n = to_int(s);

        v->num = n >= 0 ? n : TIME_NONE;
    }
    free(s);
    return r;
}

static int sy_period(const xmlNode *el, struct value *v)
{
    static const char *const periods[] = {"hourly", "daily", "weekly", "monthly", "yearly"};
    char *s = NULL;
    int r = xml_text(el, &s);

    for (size_t i = 0; r == 0 && s && i < sizeof(periods) / sizeof(periods[0]); i++) {
        if (!strcasecmp(s, periods[i]))
            r = model_set_str(&v->str, periods[i]);
    }
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

static int guid_link(struct field_ctx *c, const xmlNode *el, struct value *v)
{
    char *s = NULL;
    int r;

    if (!guid_is_permalink(el))
        return 0;
    r = xml_text(el, &s);
    /* A relative guid is a link only when it is a path ("posts/1",
     * "/p/1"): a bare token ("12345", "abc-42") is an identifier of a feed
     * that forgot isPermaLink="false", not a page beside the feed. */
    if (r == 0 && s && (strchr(s, ':') || strchr(s, '/')))
        r = resolve(c, el, s, &v->str);
    free(s);
    /* Only a Web address is a link (a tag: or urn: guid is not), judged
     * after resolution: "posts/1" against the feed URL is one. */
    if (r == 0 && v->str && strncasecmp(v->str, "http://", 7) &&
        strncasecmp(v->str, "https://", 8)) {
        free(v->str);
        v->str = NULL;
    }
    return r;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* rel as a keyword or as an IANA registry URI; no rel (or an empty one)
 * means alternate. */
static bool rel_is(const xmlNode *el, const char *rel, bool is_default)
{
    static const char iana[] = "http://www.iana.org/assignments/relation/";
    const char *s = attr_peek(el, "rel");
    size_t len = strlen(rel);

    if (!s)
        return is_default && !has_attr(el, "rel");
    while (is_blank(*s))
        s++;
    if (!strncmp(s, iana, sizeof(iana) - 1))
        s += sizeof(iana) - 1;
    if (!*s)
        return is_default;
    return strncasecmp(s, rel, len) == 0 && (s[len] == '\0' || is_blank(s[len]));
}

/* Rank: an HTML page first, then an untyped link, then other types. */
static int link_rank(const xmlNode *el)
{
    const char *type = attr_peek(el, "type");

    if (!type && !has_attr(el, "type"))
        return 1;
    if (type && (attr_is(el, "type", "text/html") || attr_is(el, "type", "application/xhtml+xml")))
        return 0;
    return 2;
}

static int atom_link(struct field_ctx *c, const xmlNode *el, const char *rel, bool is_default,
                     struct value *v)
{
    if (!rel_is(el, rel, is_default))
        return 0;
    v->rank = link_rank(el);
    return attr_url(c, el, "href", &v->str);
}

static int rss_image(struct field_ctx *c, const xmlNode *el, struct value *v)
{
    for (const xmlNode *ch = el->children; ch; ch = ch->next) {
        if (ch->type == XML_ELEMENT_NODE && strcmp((const char *)ch->name, "url") == 0)
            return text_url(c, ch, v);
    }
    return 0;
}

static int rdf_resource(const xmlNode *el, struct value *v)
{
    xmlChar *s = xmlGetNsProp(el, (const xmlChar *)"resource", (const xmlChar *)NS_RDF);
    int r = 0;

    if (s)
        r = xml_set_bounded(&v->str, (const char *)s, strlen((const char *)s), xml_max_field(el));
    xmlFree(s);
    return r;
}

/* ---- persons -------------------------------------------------------------------- */

static int set_email(char **field, const char *s, size_t len)
{
    if (len >= 7 && !strncasecmp(s, "mailto:", 7)) {
        s += 7;
        len -= 7;
    }
    return model_set_trimmed(field, s, len);
}

/* "jo@x.org (Jo Doe)", "Jo Doe <jo@x.org>", "jo@x.org", "Jo Doe". */
static int parse_person(const char *s, struct person *p)
{
    size_t len = strlen(s);
    const char *open, *lt;

    while (len && is_blank(s[len - 1]))
        len--;
    open = memchr(s, '(', len);
    lt = memchr(s, '<', len);
    if (open && memchr(s, '@', (size_t)(open - s))) {
        /* "jo@x.org (Jo Doe" (a cut document): the name runs to the end */
        size_t close = s[len - 1] == ')' ? 1 : 0;
        int r = model_set_trimmed(&p->name, open + 1, (size_t)(s + len - close - (open + 1)));

        return r == 0 ? set_email(&p->email, s, (size_t)(open - s)) : r;
    }
    if (lt && len && s[len - 1] == '>' && memchr(lt, '@', (size_t)(s + len - lt))) {
        int r = set_email(&p->email, lt + 1, (size_t)(s + len - 1 - (lt + 1)));
        size_t nlen = (size_t)(lt - s);

        while (nlen && is_blank(s[nlen - 1]))
            nlen--;
        if (nlen >= 2 && s[0] == '"' && s[nlen - 1] == '"')
            return r == 0 ? model_set_trimmed(&p->name, s + 1, nlen - 2) : r;
        return r == 0 ? model_set_trimmed(&p->name, s, nlen) : r;
    }
    if (!memchr(s, ' ', len) && memchr(s, '@', len))
        return set_email(&p->email, s, len);
    return model_set_trimmed(&p->name, s, len);
}

static int add_person(struct fields *f, int rank, struct person *p)
{
    struct person *arr;

    if (!p->name && !p->email && !p->uri) {
        person_release(p);
        return 0;
    }
    if (rank < f->rank[FIELD_AUTHORS]) {
        persons_free(f->authors, f->n_authors);
        f->authors = NULL;
        f->n_authors = 0;
        f->rank[FIELD_AUTHORS] = rank;
    }
    if (f->n_authors >= MODEL_MAX_PERSONS) {
        person_release(p);
        return 0;
    }
    arr = model_grow(f->authors, f->n_authors, sizeof(*arr));
    if (!arr) {
        person_release(p);
        return -ENOMEM;
    }
    f->authors = arr;
    arr[f->n_authors++] = *p;
    return 0;
}

static int text_person(const xmlNode *el, int rank, struct fields *f)
{
    struct person p = {0};
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0 && s)
        r = parse_person(s, &p);
    free(s);
    if (r < 0) {
        person_release(&p);
        return r;
    }
    return add_person(f, rank, &p);
}

static int atom_email(const xmlNode *el, struct person *p)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0 && s)
        r = set_email(&p->email, s, strlen(s));
    free(s);
    return r;
}

static int atom_uri(struct field_ctx *c, const xmlNode *el, struct person *p)
{
    char *s = NULL;
    int r = xml_text(el, &s);

    if (r == 0 && s)
        r = resolve(c, el, s, &p->uri);
    free(s);
    return r;
}

/* name, email, uri (Atom 0.3: url) in the person element's namespace. */
static int atom_person(struct field_ctx *c, const xmlNode *el, int rank, struct fields *f)
{
    struct person p = {0};
    const char *local;
    enum xns ns = fields_ns(c, el, &local);
    int r = 0;

    for (const xmlNode *ch = el->children; ch && r == 0; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE || fields_ns(c, ch, &local) != ns)
            continue;
        if (!strcmp(local, "name") && !p.name)
            r = xml_text(ch, &p.name);
        else if (!strcmp(local, "email") && !p.email)
            r = atom_email(ch, &p);
        else if ((!strcmp(local, "uri") || !strcmp(local, "url")) && !p.uri)
            r = atom_uri(c, ch, &p);
    }
    if (r < 0) {
        person_release(&p);
        return r;
    }
    return add_person(f, rank, &p);
}

int fields_copy_authors(struct fields *f, const struct person *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct person q = {0};

        if (model_set_str(&q.name, p[i].name) < 0 || model_set_str(&q.email, p[i].email) < 0 ||
            model_set_str(&q.uri, p[i].uri) < 0) {
            person_release(&q);
            return -ENOMEM;
        }
        if (add_person(f, INT_MAX - 1, &q) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- lists ---------------------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Takes the strings of cat. */
static int add_category(struct fields *f, struct category *cat)
{
    struct category *arr;

    if (!cat->term && cat->label) {
        cat->term = cat->label;
        cat->label = NULL;
    }
    for (size_t i = 0; cat->term && i < f->n_categories; i++) {
        if (same(f->categories[i].term, cat->term) && same(f->categories[i].scheme, cat->scheme))
            goto drop;
    }
    if (!cat->term || f->n_categories >= MODEL_MAX_CATEGORIES)
        goto drop;
    arr = model_grow(f->categories, f->n_categories, sizeof(*arr));
    if (!arr) {
        category_release(cat);
        return -ENOMEM;
    }
    f->categories = arr;
    arr[f->n_categories++] = *cat;
    return 0;
drop:
    category_release(cat);
    return 0;
}

static int category(struct field_ctx *c, const xmlNode *el, enum field_kind kind, struct fields *f)
{
    struct category cat = {0};
    int r;

    switch (kind) {
    case KIND_ATOM_CATEGORY:
        r = xml_attr(el, "term", &cat.term);
        if (r == 0)
            r = xml_attr(el, "scheme", &cat.scheme);
        if (r == 0)
            r = xml_attr(el, "label", &cat.label);
        break;
    case KIND_ITUNES_CATEGORY:
        r = xml_attr(el, "text", &cat.term);
        break;
    default:
        r = xml_text(el, &cat.term);
        if (r == 0)
            r = xml_attr(el, "domain", &cat.scheme);
        break;
    }
    if (r < 0) {
        category_release(&cat);
        return r;
    }
    return add_category(f, &cat);
}

/* Takes the strings of enc. */
static int add_enclosure(struct fields *f, struct enclosure *enc)
{
    struct enclosure *arr;

    for (size_t i = 0; enc->url && i < f->n_enclosures; i++) {
        struct enclosure *o = &f->enclosures[i];

        if (same(o->url, enc->url) &&
            (o->kind == ENCLOSURE_THUMBNAIL) == (enc->kind == ENCLOSURE_THUMBNAIL)) {
            if (!o->type) {
                o->type = enc->type;
                enc->type = NULL;
            }
            if (o->length < 0)
                o->length = enc->length;
            if (o->duration < 0)
                o->duration = enc->duration;
            goto drop;
        }
    }
    if (!enc->url || f->n_enclosures >= MODEL_MAX_ENCLOSURES)
        goto drop;
    arr = model_grow(f->enclosures, f->n_enclosures, sizeof(*arr));
    if (!arr) {
        enclosure_release(enc);
        return -ENOMEM;
    }
    f->enclosures = arr;
    arr[f->n_enclosures++] = *enc;
    return 0;
drop:
    enclosure_release(enc);
    return 0;
}

static int enclosure(struct field_ctx *c, const xmlNode *el, enum enclosure_kind kind,
                     const char *url_attr, const char *length_attr, struct fields *f)
{
    struct enclosure enc = {.kind = kind, .length = -1, .duration = -1};
    int r = attr_url(c, el, url_attr, &enc.url);

    if (r == 0 && kind != ENCLOSURE_THUMBNAIL)
        r = xml_attr(el, "type", &enc.type);
    if (length_attr)
        enc.length = attr_int(el, length_attr);
    if (kind == ENCLOSURE_MEDIA)
        enc.duration = attr_int(el, "duration");
    if (r < 0) {
        enclosure_release(&enc);
        return r;
    }
    return add_enclosure(f, &enc);
}

static int media(struct field_ctx *c, const xmlNode *el, enum field_kind kind, struct fields *f,
                 int depth)
{
    int r = 0;

    if (kind == KIND_MEDIA_CONTENT)
        r = enclosure(c, el, ENCLOSURE_MEDIA, "url", "fileSize", f);
    else if (kind == KIND_MEDIA_THUMBNAIL)
        return enclosure(c, el, ENCLOSURE_THUMBNAIL, "url", NULL, f);
    if (depth >= 2)
        return r;
    for (const xmlNode *ch = el->children; ch && r == 0; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE)
            continue;
        if (fields_is(c, ch, XNS_MEDIA, "content"))
            r = media(c, ch, KIND_MEDIA_CONTENT, f, depth + 1);
        else if (fields_is(c, ch, XNS_MEDIA, "thumbnail"))
            r = media(c, ch, KIND_MEDIA_THUMBNAIL, f, depth + 1);
    }
    return r;
}

static int hub(struct field_ctx *c, const xmlNode *el, struct fields *f)
{
    char *href = NULL, **arr;
    int r;

    if (!rel_is(el, "hub", false))
        return 0;
    r = attr_url(c, el, "href", &href);
    for (size_t i = 0; r == 0 && href && i < f->n_hubs; i++) {
        if (!strcmp(f->hubs[i], href))
            goto drop;
    }
    if (r < 0 || !href || f->n_hubs >= MODEL_MAX_HUBS)
        goto drop;
    arr = model_grow(f->hubs, f->n_hubs, sizeof(*arr));
    if (!arr) {
        free(href);
        return -ENOMEM;
    }
    f->hubs = arr;
    arr[f->n_hubs++] = href;
    return 0;
drop:
    free(href);
    return r;
}

static int skip_list(const xmlNode *el, bool days, struct fields *f)
{
    static const char *const names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    int r = 0;

    for (const xmlNode *ch = el->children; ch && r == 0; ch = ch->next) {
        char *s = NULL;

        if (ch->type != XML_ELEMENT_NODE ||
            strcmp((const char *)ch->name, days ? "day" : "hour") != 0)
            continue;
        r = xml_text(ch, &s);
        if (r == 0 && s && days) {
            for (int i = 0; i < 7; i++) {
                if (!strcasecmp(s, names[i]))
                    f->skip_days |= (uint8_t)(1u << i);
            }
        } else if (r == 0 && s) {
            int64_t h = to_int(s);

            if (h >= 0 && h <= 24)
                f->skip_hours |= 1u << (h % 24);
        }
        free(s);
    }
    return r;
}

/* ---- dispatch ------------------------------------------------------------------- */

static int extract(struct field_ctx *c, const xmlNode *el, enum field_kind kind, struct value *v)
{
    switch (kind) {
    case KIND_TEXT:
        return xml_text(el, &v->str);
    case KIND_TITLE: {
        int r = xml_text(el, &v->str);

        return r == 0 && xml_from_cdata(el) ? xml_decode_entities(&v->str) : r;
    }
    case KIND_TEXT_HTML: {
        int r = xml_text(el, &v->str);

        return r == 0 ? text_to_html(&v->str) : r;
    }
    case KIND_HTML:
        return html(c, el, v);
    case KIND_URL:
        return text_url(c, el, v);
    case KIND_DATE:
        return date(el, v);
    case KIND_INT:
        return integer(el, v);
    case KIND_SY_PERIOD:
        return sy_period(el, v);
    case KIND_GUID:
        return guid(el, v);
    case KIND_GUID_LINK:
        return guid_link(c, el, v);
    case KIND_ATOM_TEXT:
        return atom_text(el, v);
    case KIND_ATOM_HTML:
        return atom_html(c, el, v);
    case KIND_LINK_ALT:
        return atom_link(c, el, "alternate", true, v);
    case KIND_LINK_SELF:
        return atom_link(c, el, "self", false, v);
    case KIND_LINK_REPLIES:
        return attr_is(el, "type", "application/atom+xml") ? 0
                                                           : atom_link(c, el, "replies", false, v);
    case KIND_RSS_IMAGE:
        return rss_image(c, el, v);
    case KIND_HREF:
        return attr_url(c, el, "href", &v->str);
    case KIND_RESOURCE:
        return rdf_resource(el, v);
    default:
        return 0;
    }
}

static int apply_list(struct field_ctx *c, const xmlNode *el, const struct field_rule *rule,
                      struct fields *f)
{
    int rank = rule->prio * RANK_STEP;

    switch (rule->kind) {
    case KIND_PERSON:
        return rank > f->rank[FIELD_AUTHORS] ? 0 : text_person(el, rank, f);
    case KIND_ATOM_PERSON:
        return rank > f->rank[FIELD_AUTHORS] ? 0 : atom_person(c, el, rank, f);
    case KIND_LINK_HUB:
        return hub(c, el, f);
    case KIND_LINK_ENCLOSURE:
        return rel_is(el, "enclosure", false)
                   ? enclosure(c, el, ENCLOSURE_LINK, "href", "length", f)
                   : 0;
    case KIND_ENCLOSURE:
        return enclosure(c, el, ENCLOSURE_LINK, "url", "length", f);
    case KIND_MEDIA_CONTENT:
    case KIND_MEDIA_THUMBNAIL:
    case KIND_MEDIA_GROUP:
        return media(c, el, rule->kind, f, 0);
    case KIND_CATEGORY:
    case KIND_ATOM_CATEGORY:
    case KIND_ITUNES_CATEGORY:
        return category(c, el, rule->kind, f);
    case KIND_SKIP_HOURS:
    case KIND_SKIP_DAYS:
        return skip_list(el, rule->kind == KIND_SKIP_DAYS, f);
    default:
        return 0;
    }
}

/* A title longer than MODEL_TITLE_MAX is cut at a character boundary. */
static int cap_title(char **s)
{
    char *cut = NULL;
    int r = xml_set_bounded(&cut, *s, strlen(*s), MODEL_TITLE_MAX);

    free(*s);
    *s = cut;
    return r;
}

static int apply(struct field_ctx *c, const xmlNode *el, const struct field_rule *rule,
                 struct fields *f)
{
    struct value v = {.num = TIME_NONE};
    int base = rule->prio * RANK_STEP, r;

    if (rule->field == FIELD_NONE || rule->field == FIELD_AUTHORS)
        return apply_list(c, el, rule, f);
    if (base >= f->rank[rule->field])
        return 0; /* cannot win: spare the extraction */
    r = extract(c, el, rule->kind, &v);
    if (r == 0 && rule->field == FIELD_TITLE && v.str && strlen(v.str) > MODEL_TITLE_MAX)
        r = cap_title(&v.str);
    if (r < 0 || (!v.str && v.num == TIME_NONE) || base + v.rank >= f->rank[rule->field]) {
        free(v.str);
        return r;
    }
    free(f->str[rule->field]);
    f->str[rule->field] = v.str;
    f->num[rule->field] = v.num;
    f->rank[rule->field] = base + v.rank;
    if (rule->field == FIELD_ID)
        f->permalink = rule->kind == KIND_GUID && v.permalink;
    return 0;
}

int fields_collect(struct field_ctx *c, const xmlNode *parent, struct rule_table *t,
                   struct fields *f)
{
    if (!atomic_load_explicit(&t->ready, memory_order_acquire))
        index_build(t);
    for (const xmlNode *el = parent->children; el; el = el->next) {
        const char *local;
        enum xns ns;

        if (el->type != XML_ELEMENT_NODE)
            continue;
        ns = fields_ns(c, el, &local);
        for (unsigned i = t->head[name_hash(local)]; i; i = t->next[i - 1]) {
            const struct field_rule *rule = &t->rules[i - 1];
            int r;

            if (rule->ns != ns || strcmp(rule->name, local) != 0)
                continue;
            r = apply(c, el, rule, f);
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

static int64_t num_or(const struct fields *f, enum field field, int64_t none)
{
    return f->num[field] == TIME_NONE ? none : f->num[field];
}

int fields_to_feed(struct fields *f, struct feed *feed)
{
    take(f, FIELD_ID, &feed->id);
    take(f, FIELD_TITLE, &feed->title);
    take(f, FIELD_SUBTITLE, &feed->subtitle);
    take(f, FIELD_LINK, &feed->link);
    take(f, FIELD_SELF, &feed->self);
    take(f, FIELD_LANGUAGE, &feed->language);
    take(f, FIELD_ICON, &feed->icon);
    take(f, FIELD_LOGO, &feed->logo);
    take(f, FIELD_GENERATOR, &feed->generator);
    take(f, FIELD_SY_PERIOD, &feed->sy_period);
    feed->updated = f->num[FIELD_UPDATED];
    feed->sy_base = f->num[FIELD_SY_BASE];
    feed->ttl = num_or(f, FIELD_TTL, -1);
    feed->sy_frequency = num_or(f, FIELD_SY_FREQUENCY, -1);
    feed->skip_hours = f->skip_hours;
    feed->skip_days = f->skip_days;
    persons_free(feed->authors, feed->n_authors);
    feed->authors = f->authors;
    feed->n_authors = f->n_authors;
    f->authors = NULL;
    f->n_authors = 0;
    feed->hubs = f->hubs;
    feed->n_hubs = f->n_hubs;
    f->hubs = NULL;
    f->n_hubs = 0;
    return model_set_author(&feed->author, feed->authors, feed->n_authors);
}

int fields_to_entry(struct fields *f, struct entry *e)
{
    take(f, FIELD_ID, &e->id);
    e->id_is_permalink = e->id && f->permalink;
    take(f, FIELD_LINK, &e->link);
    take(f, FIELD_TITLE, &e->title);
    take(f, FIELD_SUMMARY, &e->summary);
    take(f, FIELD_CONTENT, &e->content);
    take(f, FIELD_COMMENTS, &e->comments);
    e->published = f->num[FIELD_PUBLISHED];
    e->updated = f->num[FIELD_UPDATED];
    e->authors = f->authors;
    e->n_authors = f->n_authors;
    e->categories = f->categories;
    e->n_categories = f->n_categories;
    e->enclosures = f->enclosures;
    e->n_enclosures = f->n_enclosures;
    f->authors = NULL;
    f->categories = NULL;
    f->enclosures = NULL;
    f->n_authors = f->n_categories = f->n_enclosures = 0;
    return model_set_author(&e->author, e->authors, e->n_authors);
}

static int read_items(struct field_ctx *c, const xmlNode *parent, const char *name,
                      fields_item_cb read, struct feed *f, size_t depth)
{
    if (depth >= c->lim.max_depth)
        return 0;
    for (const xmlNode *n = parent->children; n && f->n_entries < c->lim.max_entries; n = n->next) {
        int r = 0;

        if (n->type == XML_ELEMENT_NODE && fields_is(c, n, XNS_CORE, name)) {
            r = read(c, n, f);
            if (r == 0)
                r = read_items(c, n, name, read, f, depth + 1);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

int fields_read_items(struct field_ctx *c, const xmlNode *parent, const char *name,
                      fields_item_cb read, struct feed *f)
{
    return read_items(c, parent, name, read, f, 0);
}
