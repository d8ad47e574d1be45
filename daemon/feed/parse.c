/* parse: see parse.h.
 *
 * Flow: limits; bytes to clean UTF-8 (charset.h: BOM > HTTP charset >
 * XML declaration > UTF-8, stray bytes as windows-1252); JSON when the
 * text starts with "{"; XML otherwise, from the first "<" (junk before
 * "<?xml" or the root element is skipped, bozo). libxml2 always sees
 * UTF-8 with XML_PARSE_IGNORE_ENC, so the declaration cannot switch the
 * decoder after us.
 *
 * XML passes: a strict parse (NONET, COMPACT; never NOENT, DTDLOAD,
 * DTDATTR, DTDVALID, XINCLUDE or HUGE), through the push parser where it
 * builds the same tree (read_xml_push(); that tree is built into an
 * arena by tree.h rather than by SAX2's node-by-node malloc()), else or
 * after its failure through the pull parser. CDATA sections join the text as with
 * NOCDATA, but a SAX hook marks their element (xml_from_cdata: titles
 * written as escaped HTML inside CDATA are decoded). When the document is
 * not well-formed, repair() rewrites what it can recognise (a bare "&" or
 * "<", undeclared entity names, an unclosed CDATA section, unquoted
 * attribute values, nesting beyond REPAIR_DEPTH_MAX, and after an entity
 * loop the internal subset) and, if it changed anything, parses strictly
 * again; when that fails too, a last parse with RECOVER|NOERROR|NOWARNING.
 * Either way the feed is bozo with the first error of the first pass. All
 * of that runs only after the strict parse failed. Errors go to a
 * per-context structured handler, never to stderr.
 *
 * Junk before the document ("<br />\n<b>Warning</b>..." from PHP, then
 * "<?xml") is skipped up front when it does not start with "<"; when it
 * does, the document first fails as it is, then is read again from
 * "<?xml" or the root element (<rss, <feed, <rdf:RDF, <entry).
 *
 * Undeclared HTML entities (&nbsp;, &rsquo;...) are the most common
 * breakage of real feeds. Every pass installs a SAX getEntity hook that,
 * after the document's own declarations, answers HTML 4 entity names with
 * a predefined-type entity holding the character (libxml2's own
 * htmlEntityLookup table), and flags the feed bozo. This keeps such a
 * document on the strict path. It matters because libxml2 2.9.14 in
 * recover mode drops every entity reference, &amp; and &lt; included,
 * once the document has had its first error (xmlParseReference returns
 * early when !ctxt->wellFormed): after a real error, text loses its
 * entities, only character references (&#233;) survive. That is also why
 * repair() runs before recover mode. Inside attribute values the hook
 * declines (libxml2 copies one byte of a predefined entity there); there
 * repair() turns such names into character references.
 *
 * Element names with an undeclared prefix ("media:content" without
 * xmlns:media) are only a namespace error for libxml2: the document stays
 * well-formed, the readers match the usual prefixes (fields.c), and the
 * feed is bozo.
 */
#include "feed/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "base/buf.h"
#include "feed/charset.h"
#include "feed/readers.h"
#include "feed/tree.h"
#include "feed/xml.h"

#define HTML_ENTITIES_MAX 64          /* distinct names substituted per document */
#define JUNK_SCAN_MAX     (64u << 10) /* how far junk before the document is skipped */
#define ENTITY_NAME_MAX   32
#define REPAIR_DEPTH_MAX  200        /* element levels repair() keeps (libxml2 stops at 256) */
#define REPAIR_ATTRS_MAX  256        /* attributes repair() keeps on one tag */
#define PUSH_MAX          (8u << 20) /* below XML_MAX_LOOKUP_LIMIT (10,000,000) */

struct html_entity {
    xmlEntity ent;
    xmlChar name[ENTITY_NAME_MAX];
    xmlChar value[8];
};

/* Per-parse state, reached from the libxml2 context's _private. */
struct xml_state {
    struct tree tree;             /* first: tree.h finds it at _private */
    char error[200];              /* first error of the strict pass */
    int code;                     /* its xmlParserErrors code */
    char ns_error[120];           /* first namespace error (the document stays well-formed) */
    bool recording;               /* still in the first strict pass */
    char entity[ENTITY_NAME_MAX]; /* first HTML entity substituted */
    struct html_entity *ents[HTML_ENTITIES_MAX];
    size_t n_ents;
};

static xmlExternalEntityLoader default_loader;

static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    return NULL;
}

static void silent(void *ctx, const char *msg, ...)
{
}

void feed_parse_init(void)
{
    xmlInitParser();
    default_loader = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(refuse_entity);
    /* Belt and braces: nothing of libxml2's reaches stderr. */
    xmlSetGenericErrorFunc(NULL, silent);
    xmlThrDefSetGenericErrorFunc(NULL, silent);
}

void feed_parse_cleanup(void)
{
    if (default_loader)
        xmlSetExternalEntityLoader(default_loader);
    xmlCleanupParser();
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* libxml2's messages hold "\n" and quote input bytes: one clean line. */
static void one_line(char *s)
{
    size_t len;

    for (char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    }
    len = strlen(s);
    while (len && s[len - 1] == ' ')
        s[--len] = '\0';
}

static void on_xml_error(void *user, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = user;
    struct xml_state *st = ctxt->_private;

    if (!st->recording || e->level < XML_ERR_ERROR)
        return;
    if (e->domain == XML_FROM_NAMESPACE) {
        if (!st->ns_error[0]) {
            snprintf(st->ns_error, sizeof(st->ns_error), "%s", e->message ? e->message : "?");
            one_line(st->ns_error);
        }
        return;
    }
    if (st->error[0])
        return;
    st->code = e->code;
    snprintf(st->error, sizeof(st->error), "line %d: %s", e->line,
             e->message ? e->message : "error");
    one_line(st->error);
}

static xmlEntityPtr html_entity(struct xml_state *st, const xmlChar *name)
{
    const htmlEntityDesc *d = htmlEntityLookup(name);
    struct html_entity *h;
    size_t len = strlen((const char *)name);
    int n;

    if (!d || len >= sizeof(h->name))
        return NULL;
    for (size_t i = 0; i < st->n_ents; i++) {
        if (strcmp((const char *)st->ents[i]->name, (const char *)name) == 0)
            return &st->ents[i]->ent;
    }
    if (st->n_ents == HTML_ENTITIES_MAX || !(h = calloc(1, sizeof(*h))))
        return NULL;
    memcpy(h->name, name, len + 1);
    n = xmlCopyCharMultiByte(h->value, (int)d->value);
    h->ent.type = XML_ENTITY_DECL;
    h->ent.name = h->name;
    h->ent.content = h->value;
    h->ent.length = n > 0 ? n : 0;
    h->ent.etype = XML_INTERNAL_PREDEFINED_ENTITY;
    st->ents[st->n_ents++] = h;
    if (!st->entity[0])
        snprintf(st->entity, sizeof(st->entity), "%s", (const char *)name);
    return &h->ent;
}

static xmlEntityPtr on_get_entity(void *user, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = user;
    xmlEntityPtr ent = xmlSAX2GetEntity(ctxt, name);

    if (ent || ctxt->inSubset || ctxt->instate == XML_PARSER_ATTRIBUTE_VALUE)
        return ent;
    return html_entity(ctxt->_private, name);
}

/* Marks the element that holds a CDATA section (xml.h xml_from_cdata);
 * the text itself joins the element's text node as with NOCDATA. */
static void on_cdata(void *user, const xmlChar *value, int len)
{
    xmlParserCtxtPtr ctxt = user;

    ctxt->sax->characters(ctxt, value, len);
    if (ctxt->node)
        ctxt->node->_private = (void *)xml_cdata_mark;
}

/* After the document is freed (tree_free_doc()). */
static void state_release(struct xml_state *st)
{
    for (size_t i = 0; i < st->n_ents; i++)
        free(st->ents[i]);
    tree_release(&st->tree);
}

/* Back to a fresh strict pass: what the push pass saw is forgotten. */
static void state_reset(struct xml_state *st)
{
    state_release(st);
    *st = (struct xml_state){.recording = true};
}

/* Our hooks on a parser context: errors recorded, HTML entities, CDATA
 * marked. */
static void hook(xmlParserCtxtPtr ctxt, struct xml_state *st)
{
    ctxt->_private = st;
    ctxt->sax->serror = on_xml_error;
    ctxt->sax->getEntity = on_get_entity;
    ctxt->sax->cdataBlock = on_cdata;
}

/* Returns the document, or NULL when not well-formed (strict) or nothing
 * could be made of it; *ret_oom tells out-of-memory apart. */
static xmlDoc *read_xml(const char *p, size_t n, int opts, struct xml_state *st, bool *ret_oom)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDoc *doc;

    *ret_oom = !ctxt;
    if (!ctxt)
        return NULL;
    hook(ctxt, st);
    doc = xmlCtxtReadMemory(ctxt, p, (int)n, NULL, NULL, opts);
    *ret_oom = ctxt->errNo == XML_ERR_NO_MEMORY;
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* The strict pass through the push parser, the whole text as one final
 * chunk (as bench/sax_count does): libxml2 2.9.14's pull parser reads a
 * CDATA section a character at a time (xmlParseCDSect), the push parser
 * hands it over at once, and content:encoded is mostly CDATA. Same SAX2
 * tree builder, same hooks, same limits (nodePush()'s depth limit, the
 * entity checks). Used only where the two agree on the tree: no CR in the
 * text (the push parser does not turn CR LF into LF inside CDATA) and
 * below XML_MAX_LOOKUP_LIMIT (the push parser refuses larger input).
 * Returns the document, or NULL when it is not well-formed, the push
 * parser does not apply, or memory ran out (*ret_oom); the caller then
 * runs the pull parser from a reset state, so errors and bozo reasons
 * are always the pull parser's. The tree comes from tree.h's builder
 * (freed with tree_free_doc()); when the builder gives up (tree_failed()),
 * the pull parser runs as after a failure. */
static xmlDoc *read_xml_push(const char *p, size_t n, int opts, struct xml_state *st, bool *ret_oom)
{
    xmlParserCtxtPtr ctxt;
    xmlDoc *doc;

    *ret_oom = false;
    if (n < 4 || n > PUSH_MAX || memchr(p, '\r', n))
        return NULL;
    ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, NULL);
    *ret_oom = !ctxt;
    if (!ctxt)
        return NULL;
    hook(ctxt, st);
    tree_hook(&st->tree, ctxt);
    xmlCtxtUseOptions(ctxt, opts);
    xmlParseChunk(ctxt, p, (int)n, 1);
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    *ret_oom = ctxt->errNo == XML_ERR_NO_MEMORY || st->tree.oom;
    if (!ctxt->wellFormed || *ret_oom || tree_failed(&st->tree)) {
        tree_free_doc(&st->tree, doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* ---- repair --------------------------------------------------------------------- */

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Length of a well-formed reference at p ("&amp;", "&#233;", "&#xE9;"),
 * 0 if there is none; *ret_name is set for a named one. */
static size_t reference(const char *p, const char *end, struct slice *ret_name)
{
    const char *q = p + 1;

    ret_name->p = NULL;
    if (q < end && *q == '#') {
        bool hex = ++q < end && (*q == 'x' || *q == 'X');
        const char *digits = q += hex;

        while (q < end &&
               (hex ? strchr("0123456789abcdefABCDEF", *q) && *q : (*q >= '0' && *q <= '9')))
            q++;
        return q > digits && q < end && *q == ';' && q - digits < 10 ? (size_t)(q + 1 - p) : 0;
    }
    if (q >= end || !name_start((unsigned char)*q))
        return 0;
    while (q < end && name_char((unsigned char)*q) && q - p <= ENTITY_NAME_MAX)
        q++;
    if (q >= end || *q != ';')
        return 0;
    ret_name->p = p + 1;
    ret_name->len = (size_t)(q - (p + 1));
    return (size_t)(q + 1 - p);
}

static bool xml_predefined(const struct slice *n)
{
    static const char *const names[] = {"amp", "lt", "gt", "quot", "apos"};

    for (size_t i = 0; i < 5; i++) {
        if (strlen(names[i]) == n->len && !memcmp(names[i], n->p, n->len))
            return true;
    }
    return false;
}

/* A reference to an entity the document cannot have declared: HTML names
 * become character references, unknown names text. */
static void repair_reference(struct buf *b, const char *p, size_t len, const struct slice *name,
                             bool has_subset, bool *changed)
{
    char tmp[ENTITY_NAME_MAX + 1];
    const htmlEntityDesc *d;

    if (!name->p || has_subset || xml_predefined(name) || name->len >= sizeof(tmp)) {
        buf_append(b, p, len);
        return;
    }
    memcpy(tmp, name->p, name->len);
    tmp[name->len] = '\0';
    d = htmlEntityLookup((const xmlChar *)tmp);
    if (d)
        buf_printf(b, "&#%u;", d->value);
    else
        buf_printf(b, "&amp;%s;", tmp);
    *changed = true;
}

/* The name of the element whose start tag is the last before p. */
static struct slice open_element(const char *start, const char *p)
{
    struct slice s = {NULL, 0};

    while (p > start) {
        p--;
        if (*p == '<' && name_start((unsigned char)p[1])) {
            const char *q = p + 1;

            while (name_char((unsigned char)*q))
                q++;
            s.p = p + 1;
            s.len = (size_t)(q - s.p);
            return s;
        }
    }
    return s;
}

/* An unclosed CDATA section at p: closed before its element's end tag, or
 * at the end of the document. Returns where scanning goes on. */
static const char *close_cdata(struct buf *b, const char *start, const char *p, const char *end)
{
    struct slice el = open_element(start, p);
    char tag[72];
    const char *close = NULL;

    if (el.p && el.len + 4 < sizeof(tag)) {
        snprintf(tag, sizeof(tag), "</%.*s>", (int)el.len, el.p);
        close = memmem(p, (size_t)(end - p), tag, strlen(tag));
    }
    if (!close)
        close = end;
    buf_append(b, p, (size_t)(close - p));
    buf_puts(b, "]]>");
    return close;
}

/* One run of repair(). */
struct repair {
    struct buf *b;
    const char *start, *end;
    bool has_subset;  /* references may name the document's own entities */
    bool drop_subset; /* the internal subset held an entity bomb: leave it out */
    bool changed;
    size_t depth; /* elements open at the scan position */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The "&" at p: a reference as repair_reference() says, else "&amp;". */
static const char *put_amp(struct repair *rp, const char *p)
{
    struct slice name;
    size_t len = reference(p, rp->end, &name);

    if (len) {
        repair_reference(rp->b, p, len, &name, rp->has_subset, &rp->changed);
        return p + len;
    }
    buf_puts(rp->b, "&amp;");
    rp->changed = true;
    return p + 1;
}

/* An attribute value's bytes [p, q): "&" repaired, "<" (and, unquoted,
 * '"') escaped. */
static void put_value(struct repair *rp, const char *p, const char *q)
{
    while (p < q && !rp->b->err) {
        if (*p == '&') {
            p = put_amp(rp, p);
            continue;
        }
        if (*p == '<' || *p == '"') {
            buf_puts(rp->b, *p == '<' ? "&lt;" : "&quot;");
            rp->changed = true;
        } else {
            buf_putc(rp->b, *p);
        }
        p++;
    }
}

/* One attribute at p (a name start): quoted values kept, an unquoted one
 * (url=http://x/a.mp3) quoted, one without value given its name. */
static const char *put_attribute(struct repair *rp, const char *p)
{
    const char *q = p, *v;

    while (q < rp->end && name_char((unsigned char)*q))
        q++;
    buf_append(rp->b, p, (size_t)(q - p));
    for (v = q; v < rp->end && is_blank(*v); v++)
        ;
    if (v >= rp->end || *v != '=') {
        buf_printf(rp->b, "=\"%.*s\"", (int)(q - p), p);
        rp->changed = true;
        return q;
    }
    for (v++; v < rp->end && is_blank(*v); v++)
        ;
    if (v < rp->end && (*v == '"' || *v == '\'')) {
        const char *close = memchr(v + 1, *v, (size_t)(rp->end - v - 1));

        if (close) {
            buf_putc(rp->b, '=');
            buf_putc(rp->b, *v);
            put_value(rp, v + 1, close);
            buf_putc(rp->b, *v);
            return close + 1;
        }
    }
    /* Unquoted: up to white space, ">" or "/>". */
    for (q = v; q < rp->end && !is_blank(*q) && *q != '>' &&
                !(*q == '/' && q + 1 < rp->end && q[1] == '>');
         q++)
        ;
    buf_puts(rp->b, "=\"");
    put_value(rp, v, q);
    buf_putc(rp->b, '"');
    rp->changed = true;
    return q;
}

/* Where the tag at p ends (after its ">"), quotes honoured; *ret_empty
 * tells "/>". The end of the text when it is unclosed. */
static const char *skip_tag(const char *p, const char *end, bool *ret_empty)
{
    char quote = 0;

    for (const char *q = p + 1; q < end; q++) {
        if (quote) {
            quote = *q == quote ? 0 : quote;
        } else if (*q == '"' || *q == '\'') {
            quote = *q;
        } else if (*q == '>') {
            *ret_empty = q[-1] == '/';
            return q + 1;
        }
    }
    *ret_empty = false;
    return end;
}

/* A start tag at p ("<" and a name start). Tags deeper than
 * REPAIR_DEPTH_MAX are left out (their text stays, one level up), so that
 * libxml2, which stops at depth 256, reads the elements after them. */
static const char *put_start_tag(struct repair *rp, const char *p)
{
    const char *q = p + 1;
    bool empty = false;
    unsigned attrs = 0;

    if (rp->depth >= REPAIR_DEPTH_MAX) {
        q = skip_tag(p, rp->end, &empty);
        rp->depth += !empty;
        rp->changed = true;
        return q;
    }
    while (q < rp->end && name_char((unsigned char)*q))
        q++;
    buf_append(rp->b, p, (size_t)(q - p));
    while (q < rp->end && !rp->b->err) {
        if (is_blank(*q)) {
            buf_putc(rp->b, *q++);
        } else if (*q == '>') {
            buf_putc(rp->b, *q++);
            break;
        } else if (*q == '/' && q + 1 < rp->end && q[1] == '>') {
            buf_puts(rp->b, "/>");
            q += 2;
            empty = true;
            break;
        } else if (name_start((unsigned char)*q)) {
            size_t mark = rp->b->len;

            q = put_attribute(rp, q);
            /* Past REPAIR_ATTRS_MAX the rest are left out: libxml2's
             * recover mode appends each attribute by walking the list
             * (a million attributes on one tag: minutes). */
            if (++attrs > REPAIR_ATTRS_MAX && !rp->b->err) {
                rp->b->len = mark;
                rp->changed = true;
            }
        } else if (*q == '<') {
            buf_putc(rp->b, '>'); /* an unclosed tag: closed before the next one */
            rp->changed = true;
            break;
        } else {
            q++; /* a stray byte between attributes */
            rp->changed = true;
        }
    }
    rp->depth += !empty;
    return q;
}

static const char *put_end_tag(struct repair *rp, const char *p)
{
    bool empty;
    const char *q = skip_tag(p, rp->end, &empty);

    if (rp->depth > REPAIR_DEPTH_MAX)
        rp->changed = true;
    else
        buf_append(rp->b, p, (size_t)(q - p));
    if (rp->depth)
        rp->depth--;
    return q;
}

/* A DOCTYPE at p: copied, or left out with its internal subset. */
static const char *put_doctype(struct repair *rp, const char *p)
{
    bool empty;
    const char *q = skip_tag(p, rp->end, &empty);
    const char *lb = memchr(p, '[', (size_t)(q - p));

    if (lb) {
        const char *rb = memmem(lb, (size_t)(rp->end - lb), "]>", 2);

        q = rb ? rb + 2 : rp->end;
    }
    if (rp->drop_subset)
        rp->changed = true;
    else
        buf_append(rp->b, p, (size_t)(q - p));
    return q;
}

/* The markup at p ("<"); returns where scanning goes on. */
static const char *put_markup(struct repair *rp, const char *p)
{
    const char *end = rp->end, *stop;
    size_t left = (size_t)(end - p);

    if (left >= 9 && !memcmp(p, "<![CDATA[", 9)) {
        stop = memmem(p + 9, left - 9, "]]>", 3);
        if (!stop) {
            rp->changed = true;
            return close_cdata(rp->b, rp->start, p, end);
        }
        stop += 3;
    } else if (left >= 4 && !memcmp(p, "<!--", 4)) {
        stop = memmem(p + 4, left - 4, "-->", 3);
        stop = stop ? stop + 3 : end;
    } else if (left >= 9 && !memcmp(p, "<!DOCTYPE", 9)) {
        return put_doctype(rp, p);
    } else if (left >= 2 && p[1] == '?') {
        stop = memmem(p + 2, left - 2, "?>", 2);
        stop = stop ? stop + 2 : end;
    } else if (left >= 2 && name_start((unsigned char)p[1])) {
        return put_start_tag(rp, p);
    } else if (left >= 2 && p[1] == '/') {
        return put_end_tag(rp, p);
    } else if (left >= 2 && p[1] == '!') {
        stop = p + 1;
    } else {
        buf_puts(rp->b, "&lt;"); /* "1 < 2": a bare "<" */
        rp->changed = true;
        return p + 1;
    }
    buf_append(rp->b, p, (size_t)(stop - p));
    return stop;
}

/* Copies the document with a bare "&" or "<" escaped, undeclared entity
 * names replaced, an unclosed CDATA closed, unquoted attribute values
 * quoted, elements nested beyond REPAIR_DEPTH_MAX flattened and, when
 * drop_subset, the internal DTD subset left out (its entity references
 * then read as text); comments, CDATA sections and processing
 * instructions are copied as they are. *ret_changed says whether anything
 * was rewritten. */
static int repair(const char *p, size_t n, bool drop_subset, struct buf *b, bool *ret_changed)
{
    struct repair rp = {.b = b, .start = p, .end = p + n, .drop_subset = drop_subset};
    const char *doctype = memmem(p, n < 4096 ? n : 4096, "<!DOCTYPE", 9);

    if (doctype && !drop_subset) {
        const char *gt = memchr(doctype, '>', (size_t)(rp.end - doctype));
        const char *lb = memchr(doctype, '[', (size_t)(rp.end - doctype));

        rp.has_subset = lb && (!gt || lb < gt);
    }
    buf_init(b, 2 * n + 4096);
    /* The first "&" and "<" at or after p, each looked for again only once
     * p has passed it (NULL: none left): searching the rest of the text at
     * every markup was quadratic (7 MB of "<a>" without an "&": minutes). */
    const char *amp = memchr(p, '&', n), *lt = memchr(p, '<', n);
    while (p < rp.end && !b->err) {
        if (amp && amp < p)
            amp = memchr(p, '&', (size_t)(rp.end - p));
        if (lt && lt < p)
            lt = memchr(p, '<', (size_t)(rp.end - p));
        const char *next = amp && (!lt || amp < lt) ? amp : lt;

        if (!next) {
            buf_append(b, p, (size_t)(rp.end - p));
            break;
        }
        buf_append(b, p, (size_t)(next - p));
        p = *next == '&' ? put_amp(&rp, next) : put_markup(&rp, next);
    }
    *ret_changed = rp.changed;
    return b->err;
}

/* ---- XML ------------------------------------------------------------------------ */

static int dispatch(const xmlNode *root, const char *url, const struct feed_limits *lim,
                    struct feed *f, char *err, size_t errlen)
{
    int r;

    if (!root) {
        set_err(err, errlen, "%s", "not a feed: no root element");
        return -EBADMSG;
    }
    if (xml_is(root, NS_RDF, "RDF") || (strcmp((const char *)root->name, "rss") == 0 &&
                                        (!root->ns || !strcmp(xml_ns(root), NS_USERLAND)))) {
        r = rss_read(root, url, lim, f);
        if (r == -EBADMSG)
            set_err(err, errlen, "not a feed: <%.40s> without <channel>", (const char *)root->name);
        return r;
    }
    if (xml_is(root, NS_ATOM10, "feed") || xml_is(root, NS_ATOM03, "feed") ||
        xml_is(root, NS_ATOM10, "entry"))
        return atom_read(root, url, lim, f);
    set_err(err, errlen, "not a feed: root element <%.40s>", (const char *)root->name);
    return -EBADMSG;
}

/* The first reason the feed is bozo wins. */
static int add_bozo(struct feed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_bozo(struct feed *f, const char *fmt, ...)
{
    char msg[320];
    va_list ap;

    if (f->bozo)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f->bozo = true;
    return model_set_str(&f->bozo_message, msg);
}

static int xml_bozo(struct feed *f, const struct xml_state *st, bool repaired)
{
    if (repaired)
        return add_bozo(f, "not well-formed: %s", st->error[0] ? st->error : "?");
    if (st->entity[0])
        return add_bozo(f, "undeclared entity &%s; (read as HTML)", st->entity);
    if (st->ns_error[0])
        return add_bozo(f, "%s", st->ns_error);
    return 0;
}

/* Strict (push parser when it applies, else or on failure pull); then
 * repaired and strict; then recover mode on the repaired text.
 * *ret_repaired tells whether the first pass failed. */
static xmlDoc *parse_passes(const char *p, size_t n, struct xml_state *st, bool *ret_repaired,
                            bool *ret_oom)
{
    const int strict = XML_PARSE_NONET | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT;
    const int recover = strict | XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDoc *doc = read_xml_push(p, n, strict, st, ret_oom);
    bool changed = false;
    struct buf b;

    *ret_repaired = false;
    if (doc || *ret_oom)
        return doc;
    state_reset(st);
    doc = read_xml(p, n, strict, st, ret_oom);
    *ret_repaired = !doc && !*ret_oom;
    if (doc || *ret_oom)
        return doc;
    st->recording = false;
    if (repair(p, n, st->code == XML_ERR_ENTITY_LOOP, &b, &changed) < 0) {
        *ret_oom = b.err == -ENOMEM;
        buf_release(&b);
        return NULL;
    }
    if (changed) {
        doc = read_xml(b.data, b.len, strict, st, ret_oom);
        p = b.data;
        n = b.len;
    }
    if (!doc && !*ret_oom)
        doc = read_xml(p, n, recover, st, ret_oom);
    buf_release(&b);
    return doc;
}

static int parse_xml(const char *p, size_t n, const char *url, const struct feed_limits *lim,
                     struct feed *f, char *err, size_t errlen)
{
    struct xml_state st = {.recording = true};
    struct xml_budget budget;
    bool oom, repaired;
    xmlDoc *doc;
    int r;

    doc = parse_passes(p, n, &st, &repaired, &oom);
    if (!doc) {
        r = oom ? -ENOMEM : -EBADMSG;
        if (!oom)
            set_err(err, errlen, "not well-formed XML: %s", st.error);
        goto out;
    }
    /* Entity text expanded over the whole document: the body's own size
     * plus 1 MiB, enough for any honest use of internal entities. */
    budget.left = n + (1u << 20);
    budget.max_field = lim->max_field;
    budget.max_depth = lim->max_depth;
    doc->_private = &budget;
    r = dispatch(xmlDocGetRootElement(doc), url, lim, f, err, errlen);
    doc->_private = NULL;
    if (r == 0)
        r = xml_bozo(f, &st, repaired);
out:
    tree_free_doc(&st.tree, doc);
    state_release(&st);
    return r;
}

/* ---- JSON ----------------------------------------------------------------------- */

static int parse_json(const char *p, size_t n, const char *url, const struct feed_limits *lim,
                      struct feed *f, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(p, n, 0, &je);
    int r;

    if (!root) {
        set_err(err, errlen, "not valid JSON: %s", je.text);
        return -EBADMSG;
    }
    if (!json_is_object(root) || !jsonfeed_detect(root)) {
        set_err(err, errlen, "%s", "not a feed: JSON without a JSON Feed version");
        r = -EBADMSG;
    } else {
        r = jsonfeed_read(root, url, lim, f);
    }
    json_decref(root);
    return r;
}

/* ---- bytes ---------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Where an XML document starts after junk: "<?xml", else the first "<"
 * that opens a tag, a comment or a DOCTYPE; NULL when none is near. */
static const char *xml_start(const char *p, size_t n)
{
    size_t scan = n < JUNK_SCAN_MAX ? n : JUNK_SCAN_MAX;
    const char *decl = memmem(p, scan, "<?xml", 5);

    if (decl)
        return decl;
    for (const char *q = p; (q = memchr(q, '<', scan - (size_t)(q - p))) != NULL; q++) {
        if ((size_t)(q - p) + 1 < n && (name_start((unsigned char)q[1]) || q[1] == '!'))
            return q;
    }
    return NULL;
}

/* After a failure: a later "<?xml", else a root element start, past
 * junk that itself begins with "<"; NULL when there is none. */
static const char *late_start(const char *p, size_t n)
{
    static const char *const roots[] = {"<?xml", "<rss", "<rdf:RDF", "<feed", "<entry"};
    size_t scan = n < JUNK_SCAN_MAX ? n : JUNK_SCAN_MAX;

    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        size_t len = strlen(roots[i]);
        const char *q = scan > 1 ? memmem(p + 1, scan - 1, roots[i], len) : NULL;

        if (q && (i == 0 || (size_t)(q - p) + len < n) &&
            (i == 0 || is_space(q[len]) || q[len] == '>'))
            return q;
    }
    return NULL;
}

static int parse_text(const char *data, size_t len, const char *url, const struct feed_limits *lim,
                      struct feed *f, char *err, size_t errlen)
{
    size_t off = 0;
    const char *start;
    int r;

    while (off < len && is_space(data[off]))
        off++;
    if (off == len) {
        set_err(err, errlen, "%s", "empty document");
        return -EBADMSG;
    }
    if (data[off] == '{')
        return parse_json(data + off, len - off, url, lim, f, err, errlen);
    if (data[off] == '<') {
        r = parse_xml(data + off, len - off, url, lim, f, err, errlen);
        start = r == -EBADMSG ? late_start(data + off, len - off) : NULL;
        if (!start)
            return r; /* -EBADMSG leaves f as it was (readers.h) */
    } else {
        start = xml_start(data + off, len - off);
    }
    if (!start) {
        set_err(err, errlen, "%s", "not a feed: neither XML nor JSON");
        return -EBADMSG;
    }
    r = parse_xml(start, len - (size_t)(start - data), url, lim, f, err, errlen);
    if (r == 0) {
        f->bozo = false; /* the junk is the first reason */
        free(f->bozo_message);
        f->bozo_message = NULL;
        r = add_bozo(f, "%zu bytes of junk before the document", (size_t)(start - data) - off);
    }
    return r;
}

static void resolve_limits(const struct feed_limits *in, struct feed_limits *out)
{
    *out = in ? *in : (struct feed_limits){0};
    if (!out->max_bytes)
        out->max_bytes = FEED_LIMIT_MAX_BYTES;
    if (!out->max_depth)
        out->max_depth = FEED_LIMIT_MAX_DEPTH;
    if (!out->max_entries)
        out->max_entries = FEED_MAX_ENTRIES;
    if (!out->max_field)
        out->max_field = FEED_LIMIT_MAX_FIELD;
    if (out->max_field > XML_VALUE_MAX)
        out->max_field = XML_VALUE_MAX;
    if (out->max_bytes > INT32_MAX)
        out->max_bytes = INT32_MAX; /* libxml2 takes an int length */
}

int feed_parse_ex(const char *data, size_t len, const char *url, const char *content_type,
                  const struct feed_limits *lim, struct feed **ret_feed, char *err, size_t errlen)
{
    struct charset_result text;
    struct feed_limits l;
    struct feed *f;
    int r;

    if (err && errlen)
        err[0] = '\0';
    resolve_limits(lim, &l);
    if (len > l.max_bytes) {
        set_err(err, errlen, "document larger than %zu bytes", l.max_bytes);
        return -E2BIG;
    }
    if (!data)
        len = 0;
    f = feed_new();
    if (!f)
        return -ENOMEM;
    r = charset_decode(data ? data : "", len, content_type, &text);
    if (r == 0)
        r = model_set_str(&f->encoding, text.name);
    if (r == 0)
        r = parse_text(text.data, text.len, url, &l, f, err, errlen);
    if (r == 0 && text.repair)
        r = add_bozo(f, "%s", text.repair);
    charset_release(&text);
    if (r < 0) {
        feed_free(f);
        return r;
    }
    *ret_feed = f;
    return 0;
}

int feed_parse(const char *data, size_t len, const char *url, const char *content_type,
               struct feed **ret_feed, char *err, size_t errlen)
{
    return feed_parse_ex(data, len, url, content_type, NULL, ret_feed, err, errlen);
}
