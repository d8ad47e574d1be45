/* tree: see tree.h.
 *
 * Each callback follows its SAX2 counterpart step by step (the function
 * named in its comment); steps that only matter with a DTD, validation or
 * SAX1 are left out, the builder never runs with them. Not kept either:
 * xml:id registration (doc->ids, which nothing here reads).
 */
#include "feed/tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#define BLOCK_SIZE (64u << 10)
#define ALIGN      16u

struct tree_block {
    struct tree_block *next;
    _Alignas(ALIGN) char data[];
};

void tree_init(struct tree *t)
{
    *t = (struct tree){0};
}

void tree_release(struct tree *t)
{
    struct tree_block *b = t->blocks, *next;

    for (; b; b = next) {
        next = b->next;
        free(b);
    }
    free(t->text);
    tree_init(t);
}

bool tree_failed(const struct tree *t)
{
    return t->failed || t->oom;
}

static struct tree *tree_of(xmlParserCtxtPtr ctxt)
{
    return ctxt->_private;
}

static void out_of_memory(struct tree *t, xmlParserCtxtPtr ctxt)
{
    t->oom = true;
    xmlStopParser(ctxt);
}

/* A block of its own for a large request (the current block stays
 * current), else a new current block. */
static void *alloc_block(struct tree *t, size_t n)
{
    bool large = n > BLOCK_SIZE / 4;
    size_t size = large ? n : BLOCK_SIZE;
    struct tree_block *b = malloc(sizeof(*b) + size);

    if (!b)
        return NULL;
    if (large && t->blocks) {
        b->next = t->blocks->next;
        t->blocks->next = b;
        return b->data;
    }
    b->next = t->blocks;
    t->blocks = b;
    t->cur = b->data + n;
    t->end = b->data + size;
    return b->data;
}

static void *arena_alloc(struct tree *t, size_t n)
{
    void *p;

    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if ((size_t)(t->end - t->cur) < n)
        return alloc_block(t, n);
    p = t->cur;
    t->cur += n;
    return p;
}

static void *arena_zalloc(struct tree *t, size_t n)
{
    void *p = arena_alloc(t, n);

    if (p)
        memset(p, 0, n);
    return p;
}

static xmlChar *arena_strndup(struct tree *t, const xmlChar *s, size_t n)
{
    xmlChar *p = arena_alloc(t, n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static xmlChar *arena_strdup(struct tree *t, const xmlChar *s)
{
    return arena_strndup(t, s, strlen((const char *)s));
}

static xmlNode *new_node(struct tree *t, xmlParserCtxtPtr ctxt, xmlElementType type)
{
    xmlNode *n = arena_zalloc(t, sizeof(*n));

    if (!n) {
        out_of_memory(t, ctxt);
        return NULL;
    }
    n->type = type;
    n->doc = ctxt->myDoc;
    if (ctxt->linenumbers && ctxt->input)
        n->line = ctxt->input->line < USHRT_MAX ? (unsigned short)ctxt->input->line : USHRT_MAX;
    return n;
}

/* xmlAddChild() for a node that is not text (no merging). */
static void append_child(xmlNode *parent, xmlNode *n)
{
    n->parent = parent;
    if (!parent->children) {
        parent->children = n;
    } else {
        n->prev = parent->last;
        parent->last->next = n;
    }
    parent->last = n;
}

/* xmlSAX2TextNode(): a text node holding s[0..n). */
static xmlNode *text_node(struct tree *t, xmlParserCtxtPtr ctxt, const xmlChar *s, size_t n)
{
    xmlNode *node = new_node(t, ctxt, XML_TEXT_NODE);

    if (!node)
        return NULL;
    node->name = xmlStringText;
    node->content = arena_strndup(t, s, n);
    if (!node->content) {
        out_of_memory(t, ctxt);
        return NULL;
    }
    return node;
}

/* The text gathered since the last node, as one text node (xmlSAX2Text()
 * coalesces consecutive events into the last text child). */
static void flush_text(struct tree *t, xmlParserCtxtPtr ctxt)
{
    xmlNode *parent = t->text_parent, *node;

    if (!parent)
        return;
    t->text_parent = NULL;
    node = text_node(t, ctxt, (const xmlChar *)(t->text ? t->text : ""), t->text_len);
    if (node)
        append_child(parent, node);
    t->text_len = 0;
}

static bool text_reserve(struct tree *t, size_t n)
{
    size_t cap = t->text_cap ? t->text_cap : 4096;
    char *p;

    if (t->text_len + n < t->text_cap)
        return true;
    while (cap <= t->text_len + n)
        cap *= 2;
    p = realloc(t->text, cap);
    if (!p)
        return false;
    t->text = p;
    t->text_cap = cap;
    return true;
}

/* xmlSAX2Characters(); also ignorableWhitespace and parse.c's CDATA hook.
 * An empty event still makes a (possibly empty) text node, as in SAX2. */
static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct tree *t = tree_of(ctxt);

    if (!ctxt->node)
        return;
    if (!t->text_parent) {
        t->text_parent = ctxt->node;
        t->text_len = 0;
    }
    if (len <= 0)
        return;
    if (!text_reserve(t, (size_t)len)) {
        out_of_memory(t, ctxt);
        return;
    }
    memcpy(t->text + t->text_len, ch, (size_t)len);
    t->text_len += (size_t)len;
}

/* xmlNewNs(NULL, href, prefix): NULL (nothing to add) for the xml prefix
 * bound to its own namespace. */
static xmlNs *new_ns(struct tree *t, xmlParserCtxtPtr ctxt, const xmlChar *href,
                     const xmlChar *prefix, bool *ret_oom)
{
    xmlNs *ns;

    *ret_oom = false;
    if (prefix && xmlStrEqual(prefix, BAD_CAST "xml") && xmlStrEqual(href, XML_XML_NAMESPACE))
        return NULL;
    ns = arena_zalloc(t, sizeof(*ns));
    if (!ns)
        goto oom;
    ns->type = XML_LOCAL_NAMESPACE;
    if (href && !(ns->href = arena_strdup(t, href)))
        goto oom;
    if (prefix && !(ns->prefix = arena_strdup(t, prefix)))
        goto oom;
    return ns;
oom:
    *ret_oom = true;
    out_of_memory(t, ctxt);
    return NULL;
}

/* xmlNewNs(el, NULL, prefix): a declaration without a URI for a prefix the
 * parser resolved but the tree does not hold; none when el declares the
 * prefix already. */
static void add_dummy_ns(struct tree *t, xmlParserCtxtPtr ctxt, xmlNode *el, const xmlChar *prefix)
{
    xmlNs **tail = &el->nsDef;
    bool oom;

    for (; *tail; tail = &(*tail)->next) {
        if (xmlStrEqual((*tail)->prefix, prefix))
            return;
    }
    *tail = new_ns(t, ctxt, NULL, prefix, &oom);
}

/* The value handed over with a NUL at valueend had references (only
 * "&#38;" for "&" without a DTD) or was normalized: decoded as
 * xmlStringLenGetNodeList() does, into the scratch buffer. Returns the
 * length, or -1 for a named reference other than a predefined one (an
 * entity reference node: not ours to build). */
static long decode_value(struct tree *t, const xmlChar *cur, const xmlChar *end)
{
    const xmlChar *q = cur;

    t->text_len = 0;
    if (!text_reserve(t, (size_t)(end - cur) + 8))
        return -2;
    while (cur < end && *cur) {
        int charval = 0;
        xmlChar tmp;

        if (cur[0] != '&') {
            cur++;
            continue;
        }
        memcpy(t->text + t->text_len, q, (size_t)(cur - q));
        t->text_len += (size_t)(cur - q);
        q = cur;
        if (cur + 2 < end && cur[1] == '#' && cur[2] == 'x') {
            cur += 3;
            tmp = cur < end ? *cur : 0;
            while (tmp != ';') {
                if (tmp >= '0' && tmp <= '9')
                    charval = charval * 16 + (tmp - '0');
                else if (tmp >= 'a' && tmp <= 'f')
                    charval = charval * 16 + (tmp - 'a') + 10;
                else if (tmp >= 'A' && tmp <= 'F')
                    charval = charval * 16 + (tmp - 'A') + 10;
                else {
                    charval = 0;
                    break;
                }
                if (charval > 0x110000)
                    charval = 0x110000; /* no code point: nothing is written, no overflow */
                cur++;
                tmp = cur < end ? *cur : 0;
            }
            if (tmp == ';')
                cur++;
            q = cur;
        } else if (cur + 1 < end && cur[1] == '#') {
            cur += 2;
            tmp = cur < end ? *cur : 0;
            while (tmp != ';') {
                if (tmp >= '0' && tmp <= '9')
                    charval = charval * 10 + (tmp - '0');
                else {
                    charval = 0;
                    break;
                }
                if (charval > 0x110000)
                    charval = 0x110000; /* no code point: nothing is written, no overflow */
                cur++;
                tmp = cur < end ? *cur : 0;
            }
            if (tmp == ';')
                cur++;
            q = cur;
        } else {
            const xmlChar *name = ++cur;
            xmlEntityPtr ent;
            char tmpname[16];

            while (cur < end && *cur && *cur != ';')
                cur++;
            if (cur >= end || !*cur)
                return 0; /* unterminated: xmlStringLenGetNodeList() gives no node */
            if (cur == name) {
                q = ++cur; /* "&;" is dropped */
                continue;
            }
            if ((size_t)(cur - name) >= sizeof(tmpname))
                return -1;
            memcpy(tmpname, name, (size_t)(cur - name));
            tmpname[cur - name] = '\0';
            ent = xmlGetPredefinedEntity((const xmlChar *)tmpname);
            if (!ent)
                return -1;
            memcpy(t->text + t->text_len, ent->content, (size_t)ent->length);
            t->text_len += (size_t)ent->length;
            q = ++cur;
        }
        if (charval != 0) {
            xmlChar buffer[10];
            int l = xmlCopyCharMultiByte(buffer, charval);

            if (l > 0) {
                memcpy(t->text + t->text_len, buffer, (size_t)l);
                t->text_len += (size_t)l;
            }
        }
    }
    memcpy(t->text + t->text_len, q, (size_t)(cur - q));
    t->text_len += (size_t)(cur - q);
    return (long)t->text_len;
}

/* xmlSAX2AttributeNs() without entity substitution. */
static void add_attribute(struct tree *t, xmlParserCtxtPtr ctxt, xmlNode *el, xmlAttr **tail,
                          const xmlChar *name, const xmlChar *prefix, const xmlChar *value,
                          const xmlChar *valueend)
{
    xmlAttr *a = arena_zalloc(t, sizeof(*a));
    xmlNode *text = NULL;

    if (!a) {
        out_of_memory(t, ctxt);
        return;
    }
    a->type = XML_ATTRIBUTE_NODE;
    a->name = name;
    a->parent = el;
    a->doc = ctxt->myDoc;
    a->ns = prefix ? xmlSearchNs(ctxt->myDoc, el, prefix) : NULL;
    a->prev = *tail;
    if (*tail)
        (*tail)->next = a;
    else
        el->properties = a;
    *tail = a;
    if (*valueend != 0) {
        text = text_node(t, ctxt, value, (size_t)(valueend - value));
    } else {
        long n = decode_value(t, value, valueend);

        if (n == -1) {
            t->failed = true;
            xmlStopParser(ctxt);
        } else if (n < -1) {
            out_of_memory(t, ctxt);
        } else if (n > 0) {
            text = text_node(t, ctxt, (const xmlChar *)t->text, (size_t)n);
        }
        t->text_len = 0;
    }
    if (text) {
        text->parent = (xmlNode *)a;
        a->children = a->last = text;
    }
}

/* xmlSAX2StartElementNs(). */
static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct tree *t = tree_of(ctxt);
    xmlNode *parent = ctxt->node, *el;
    xmlNs **ns_tail;
    xmlAttr *attr_tail = NULL;
    bool oom;

    flush_text(t, ctxt);
    if (prefix && !URI) {
        const xmlChar *fullname = xmlDictQLookup(ctxt->dict, prefix, localname);

        if (fullname)
            localname = fullname;
    }
    el = new_node(t, ctxt, XML_ELEMENT_NODE);
    if (!el)
        return;
    el->name = localname;
    if (!parent)
        append_child((xmlNode *)ctxt->myDoc, el);
    ns_tail = &el->nsDef;
    for (int j = 0; j < nb_namespaces; j++) {
        const xmlChar *pref = namespaces[2 * j], *uri = namespaces[2 * j + 1];
        xmlNs *ns = new_ns(t, ctxt, uri, pref, &oom);

        if (oom)
            return;
        if (!ns)
            continue;
        *ns_tail = ns;
        ns_tail = &ns->next;
        if (URI && prefix == pref)
            el->ns = ns;
    }
    if (nodePush(ctxt, el) < 0)
        return; /* too deep: the parser has stopped, the document is dropped */
    if (parent)
        append_child(parent, el);
    if (nb_defaulted != 0 && (ctxt->loadsubset & XML_COMPLETE_ATTRS) == 0)
        nb_attributes -= nb_defaulted;
    if (URI && !el->ns) {
        el->ns = xmlSearchNs(ctxt->myDoc, parent, prefix);
        if (!el->ns && xmlStrEqual(prefix, BAD_CAST "xml"))
            el->ns = xmlSearchNs(ctxt->myDoc, el, prefix);
        if (!el->ns)
            add_dummy_ns(t, ctxt, el, prefix);
    }
    for (int i = 0, j = 0; i < nb_attributes; i++, j += 5) {
        const xmlChar *name = attributes[j], *apfx = attributes[j + 1];

        if (apfx && !attributes[j + 2]) {
            const xmlChar *fullname = xmlDictQLookup(ctxt->dict, apfx, name);

            if (fullname) {
                name = fullname;
                apfx = NULL;
            }
        }
        add_attribute(t, ctxt, el, &attr_tail, name, apfx, attributes[j + 3], attributes[j + 4]);
    }
}

/* xmlSAX2EndElementNs(). */
static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
    xmlParserCtxtPtr ctxt = ctx;

    flush_text(tree_of(ctxt), ctxt);
    nodePop(ctxt);
}

/* xmlSAX2Comment(); outside the root element, SAX2's own. */
static void on_comment(void *ctx, const xmlChar *value)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct tree *t = tree_of(ctxt);
    xmlNode *n;

    if (ctxt->inSubset || !ctxt->node) {
        xmlSAX2Comment(ctx, value);
        return;
    }
    flush_text(t, ctxt);
    n = new_node(t, ctxt, XML_COMMENT_NODE);
    if (!n)
        return;
    n->name = xmlStringComment;
    if (value && !(n->content = arena_strdup(t, value))) {
        out_of_memory(t, ctxt);
        return;
    }
    append_child(ctxt->node, n);
}

/* xmlSAX2ProcessingInstruction(); outside the root element, SAX2's own. */
static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct tree *t = tree_of(ctxt);
    xmlNode *n;

    if (ctxt->inSubset || !ctxt->node) {
        xmlSAX2ProcessingInstruction(ctx, target, data);
        return;
    }
    if (!target)
        return;
    flush_text(t, ctxt);
    n = new_node(t, ctxt, XML_PI_NODE);
    if (!n)
        return;
    n->name = arena_strdup(t, target);
    if (!n->name || (data && !(n->content = arena_strdup(t, data)))) {
        out_of_memory(t, ctxt);
        return;
    }
    append_child(ctxt->node, n);
}

/* Entity reference nodes come only with a DTD, which hands the document to
 * SAX2 before its first element. */
static void on_reference(void *ctx, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = ctx;

    tree_of(ctxt)->failed = true;
    xmlStopParser(ctxt);
}

static void use_sax2(xmlSAXHandler *sax)
{
    sax->startElementNs = xmlSAX2StartElementNs;
    sax->endElementNs = xmlSAX2EndElementNs;
    sax->characters = xmlSAX2Characters;
    sax->ignorableWhitespace = xmlSAX2Characters;
    sax->comment = xmlSAX2Comment;
    sax->processingInstruction = xmlSAX2ProcessingInstruction;
    sax->reference = xmlSAX2Reference;
    sax->internalSubset = xmlSAX2InternalSubset;
}

/* A DOCTYPE: SAX2 builds the whole tree. */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;

    tree_of(ctxt)->sax2 = true;
    use_sax2(ctxt->sax);
    xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

void tree_hook(struct tree *t, xmlParserCtxtPtr ctxt)
{
    xmlSAXHandler *sax = ctxt->sax;

    t->active = true;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->characters = on_characters;
    sax->ignorableWhitespace = on_characters;
    sax->comment = on_comment;
    sax->processingInstruction = on_pi;
    sax->reference = on_reference;
    sax->internalSubset = on_internal_subset;
}

void tree_free_doc(struct tree *t, xmlDoc *doc)
{
    xmlNode *n, *next;

    if (!doc)
        return;
    if (t->active && !t->sax2) {
        /* The elements at the document level are the arena's; unlinked,
         * xmlFreeDoc() frees what is SAX2's. */
        for (n = doc->children; n; n = next) {
            next = n->next;
            if (n->type != XML_ELEMENT_NODE)
                continue;
            if (n->prev)
                n->prev->next = n->next;
            else
                doc->children = n->next;
            if (n->next)
                n->next->prev = n->prev;
            else
                doc->last = n->prev;
        }
    }
    xmlFreeDoc(doc);
}
