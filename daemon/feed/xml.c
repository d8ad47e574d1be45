/* xml: see xml.h. */
#include "feed/xml.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/entities.h>
#include <libxml/parserInternals.h>

#include "base/buf.h"
#include "base/url.h"
#include "feed/model.h"

/* Internal entities may nest; libxml2 already rejected loops and runaway
 * amplification while parsing, this bounds our own expansion as well. */
#define ENTITY_DEPTH_MAX 8
/* xml:base attributes honoured on the way from the root to a node. */
#define BASE_CHAIN_MAX 32
/* Levels of an HTML fragment walked for its text (the HTML parser's own
 * limit is 256, the tree may be as deep). */
#define HTML_DEPTH_MAX 128

static int finish(struct buf *b, char **ret)
{
    char *s = NULL;
    int r = b->err;

    if (r == 0)
        r = model_set_trimmed(&s, b->data, b->len);
    buf_release(b);
    if (r == 0)
        *ret = s;
    return r;
}

const char *xml_ns(const xmlNode *n)
{
    return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

bool xml_is(const xmlNode *n, const char *ns, const char *name)
{
    const char *href;

    if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return false;
    href = xml_ns(n);
    if (!ns || !href)
        return !ns && !href;
    return strcmp(ns, href) == 0;
}

xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name)
{
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (xml_is(c, ns, name))
            return c;
    }
    return NULL;
}

size_t xml_count_elements(const xmlNode *n)
{
    size_t count = 0;

    for (const xmlNode *c = n->children; c; c = c->next)
        count += c->type == XML_ELEMENT_NODE;
    return count;
}

static const struct xml_budget *limits_of(const xmlNode *n)
{
    return n && n->doc ? n->doc->_private : NULL;
}

size_t xml_max_field(const xmlNode *n)
{
    const struct xml_budget *b = limits_of(n);

    return b && b->max_field ? b->max_field : XML_VALUE_MAX;
}

static size_t max_depth(const xmlNode *n)
{
    const struct xml_budget *b = limits_of(n);

    return b && b->max_depth ? b->max_depth : 128;
}

/* Length of the longest prefix of s[0..len) that ends on a character
 * boundary: continuation bytes at the cut are dropped. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t k = len;

    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

int xml_set_bounded(char **field, const char *s, size_t len, size_t max)
{
    if (len > max)
        len = utf8_cut(s, max);
    return model_set_trimmed(field, s, len);
}

/* A text walk: appends until max bytes, then stops quietly. */
struct walk {
    struct buf b;
    size_t max;
    size_t max_depth;
    bool full;
};

static void walk_init(struct walk *w, const xmlNode *n)
{
    w->max = xml_max_field(n);
    w->max_depth = max_depth(n);
    w->full = false;
    buf_init(&w->b, w->max + 8);
}

static void walk_put(struct walk *w, const char *s, size_t n)
{
    if (w->full || w->b.err)
        return;
    if (n > w->max - w->b.len) {
        n = utf8_cut(s, w->max - w->b.len);
        w->full = true;
    }
    buf_append(&w->b, s, n);
}

static int walk_finish(struct walk *w, char **ret)
{
    char *s = NULL;
    int r = w->b.err;

    if (r == 0)
        r = model_set_trimmed(&s, w->b.data, w->b.len);
    buf_release(&w->b);
    if (r == 0)
        *ret = s;
    return r;
}

static void put_text(struct walk *w, const xmlNode *n, size_t depth);

/* Only internal entities declared by the document itself are expanded;
 * external ones were never loaded and stay empty. */
static void put_entity(struct walk *w, const xmlNode *ref, size_t depth)
{
    xmlEntity *ent = xmlGetDocEntity(ref->doc, ref->name);
    struct xml_budget *budget = ref->doc ? ref->doc->_private : NULL;
    size_t cost;

    if (!ent || ent->etype != XML_INTERNAL_GENERAL_ENTITY || depth >= ENTITY_DEPTH_MAX)
        return;
    cost = ent->length > 0 ? (size_t)ent->length : 1;
    if (!budget || cost > budget->left) {
        if (budget)
            budget->left = 0;
        return;
    }
    budget->left -= cost;
    put_text(w, ent->children, depth + 1);
}

static void put_text(struct walk *w, const xmlNode *n, size_t depth)
{
    for (; n && !w->b.err && !w->full; n = n->next) {
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (n->content)
                walk_put(w, (const char *)n->content, strlen((const char *)n->content));
            break;
        case XML_ELEMENT_NODE:
            if (depth + 1 < w->max_depth)
                put_text(w, n->children, depth + 1);
            break;
        case XML_ENTITY_REF_NODE:
            put_entity(w, n, depth);
            break;
        default:
            break;
        }
    }
}

int xml_text(const xmlNode *n, char **ret)
{
    struct walk w;
    const xmlNode *c = n->children;

    /* The common case, one text node: no copy through the buffer. */
    if (c && !c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
        const char *s = c->content ? (const char *)c->content : "";
        char *out = NULL;
        int r = xml_set_bounded(&out, s, strlen(s), xml_max_field(n));

        if (r == 0)
            *ret = out;
        return r;
    }
    walk_init(&w, n);
    put_text(&w, c, 0);
    return walk_finish(&w, ret);
}

int xml_inner(const xmlNode *n, char **ret)
{
    xmlBuffer *xb = xmlBufferCreate();
    struct walk w;

    if (!xb)
        return -ENOMEM;
    walk_init(&w, n);
    for (xmlNode *c = n->children; c && !w.b.err && !w.full; c = c->next) {
        xmlBufferEmpty(xb);
        if (xmlNodeDump(xb, n->doc, c, 0, 0) < 0) {
            w.b.err = -ENOMEM;
            break;
        }
        walk_put(&w, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
    }
    xmlBufferFree(xb);
    return walk_finish(&w, ret);
}

int xml_attr(const xmlNode *n, const char *name, char **ret)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s = NULL;
    int r;

    if (!v) {
        *ret = NULL;
        return 0;
    }
    r = xml_set_bounded(&s, (const char *)v, strlen((const char *)v), xml_max_field(n));
    xmlFree(v);
    if (r == 0)
        *ret = s;
    return r;
}

/* Replaces *base by the resolution of n's xml:base against it; an
 * unusable xml:base is ignored. */
static int apply_base(const xmlNode *n, char **base)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"base", XML_XML_NAMESPACE);
    char *next;
    int r = 0;

    if (!v)
        return -ENOMEM; /* the attribute was seen: only OOM makes this fail */
    if (*v) {
        r = url_resolve(*base, (const char *)v, &next);
        if (r == 0) {
            free(*base);
            *base = next;
        }
    }
    xmlFree(v);
    return r == -EINVAL ? 0 : r;
}

int xml_base(const xmlNode *n, const char *doc_url, char **ret)
{
    const xmlNode *chain[BASE_CHAIN_MAX];
    size_t k = 0;
    char *base = NULL;
    int r = 0;

    for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (k < BASE_CHAIN_MAX && p->properties &&
            xmlHasNsProp(p, (const xmlChar *)"base", XML_XML_NAMESPACE))
            chain[k++] = p;
    }
    if (doc_url) {
        base = strdup(doc_url);
        if (!base)
            return -ENOMEM;
    }
    while (k > 0 && r == 0)
        r = apply_base(chain[--k], &base);
    if (r < 0) {
        free(base);
        return r;
    }
    *ret = base;
    return 0;
}

const xmlNode *xml_base_owner(const xmlNode *n)
{
    for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (p->properties && xmlHasNsProp(p, (const xmlChar *)"base", XML_XML_NAMESPACE))
            return p;
    }
    return NULL;
}

int xml_resolve_with(const char *base, const char *ref, char **ret)
{
    char *out = NULL;
    int r = url_resolve(base, ref, &out);

    if (r == -EINVAL)
        r = model_set_trimmed(&out, ref, strlen(ref));
    if (r == 0)
        *ret = out;
    return r;
}

int xml_resolve(const xmlNode *n, const char *doc_url, const char *ref, char **ret)
{
    char *base;
    int r;

    if (!xml_base_owner(n))
        return xml_resolve_with(doc_url, ref, ret);
    r = xml_base(n, doc_url, &base);
    if (r < 0)
        return r;
    r = xml_resolve_with(base, ref, ret);
    free(base);
    return r;
}

static bool is_block(const xmlNode *n)
{
    static const char *const names[] = {"br", "p",  "div", "li", "tr", "td",         "h1",
                                        "h2", "h3", "h4",  "h5", "h6", "blockquote", "pre"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp((const char *)n->name, names[i]) == 0)
            return true;
    }
    return false;
}

/* White space runs become one space (ASCII white space only). */
static void put_collapsed(struct buf *b, const char *s)
{
    for (; *s && !b->err; s++) {
        bool space = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f';

        if (!space)
            buf_putc(b, *s);
        else if (b->len && b->data[b->len - 1] != ' ')
            buf_putc(b, ' ');
    }
}

static void put_html_text(struct buf *b, const xmlNode *n, size_t depth)
{
    if (depth >= HTML_DEPTH_MAX)
        return;
    for (; n && !b->err; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            put_collapsed(b, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE) {
            if (strcmp((const char *)n->name, "script") == 0 ||
                strcmp((const char *)n->name, "style") == 0)
                continue;
            if (is_block(n))
                put_collapsed(b, " ");
            put_html_text(b, n->children, depth + 1);
            if (is_block(n))
                put_collapsed(b, " ");
        }
    }
}

int xml_html_to_text(const char *html, char **ret)
{
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD | HTML_PARSE_NOIMPLIED |
                     HTML_PARSE_COMPACT;
    size_t len = strlen(html);
    htmlParserCtxtPtr ctxt;
    xmlDoc *doc;
    struct buf b;

    if (len == 0) {
        *ret = NULL;
        return 0;
    }
    if (len > XML_VALUE_MAX)
        len = XML_VALUE_MAX; /* the HTML parser copes with a cut */
    ctxt = htmlNewParserCtxt();
    if (!ctxt)
        return -ENOMEM;
    doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8", opts);
    htmlFreeParserCtxt(ctxt);
    buf_init(&b, XML_VALUE_MAX);
    if (doc)
        put_html_text(&b, doc->children, 0);
    xmlFreeDoc(doc);
    return finish(&b, ret);
}

const char xml_cdata_mark[] = "cdata";

bool xml_from_cdata(const xmlNode *n)
{
    return n->_private == (const void *)xml_cdata_mark;
}

/* The code point of the reference at p ("&amp;", "&#38;", "&#x26;"),
 * and its length in *ret_len; 0 when p starts none. */
static unsigned reference_at(const char *p, size_t *ret_len)
{
    const char *semi = strchr(p, ';');
    const htmlEntityDesc *d;
    char name[33];
    unsigned long v;
    char *e;

    if (!semi || semi - p < 3 || semi - p > (ptrdiff_t)sizeof(name))
        return 0;
    *ret_len = (size_t)(semi + 1 - p);
    if (p[1] == '#') {
        bool hex = p[2] == 'x' || p[2] == 'X';

        if (!(hex ? isxdigit((unsigned char)p[3]) : isdigit((unsigned char)p[2])))
            return 0;
        v = strtoul(p + 2 + hex, &e, hex ? 16 : 10);
        return e == semi && v > 0 && v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF) ? (unsigned)v : 0;
    }
    memcpy(name, p + 1, (size_t)(semi - p - 1));
    name[semi - p - 1] = '\0';
    for (const char *c = name; *c; c++) {
        if (!isalnum((unsigned char)*c))
            return 0;
    }
    d = htmlEntityLookup((const xmlChar *)name);
    return d ? d->value : 0;
}

int xml_decode_entities(char **s)
{
    struct buf b;
    const char *p;
    char *out = NULL;
    int r;

    if (!*s || !strchr(*s, '&'))
        return 0;
    buf_init(&b, strlen(*s) + 1);
    for (p = *s; *p && !b.err;) {
        xmlChar u[8];
        size_t len = 0;
        unsigned cp = *p == '&' ? reference_at(p, &len) : 0;
        int n = cp ? xmlCopyCharMultiByte(u, (int)cp) : 0;

        if (n > 0 && cp >= 0x20) {
            buf_append(&b, u, (size_t)n);
            p += len;
        } else {
            buf_putc(&b, *p++);
        }
    }
    r = b.err;
    if (r == 0)
        r = model_set_trimmed(&out, b.data ? b.data : "", b.len);
    buf_release(&b);
    if (r == 0) {
        free(*s);
        *s = out;
    }
    return r;
}

int xml_text_to_html(const char *text, char **ret)
{
    struct buf b;

    buf_init(&b, 6 * (size_t)XML_VALUE_MAX); /* "&quot;" per byte at worst */
    buf_put_xml(&b, text);
    return finish(&b, ret);
}
