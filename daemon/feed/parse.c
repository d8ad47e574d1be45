/* parse: see parse.h.
 *
 * XML flow: a strict parse (NONET, NOCDATA; never NOENT, DTDLOAD, DTDATTR,
 * DTDVALID, XINCLUDE or HUGE), then, when the document is not well-formed,
 * a second parse with RECOVER|NOERROR|NOWARNING that marks the feed bozo
 * with the first error of the strict pass. Errors go to a per-context
 * structured handler, never to stderr.
 *
 * Undeclared HTML entities (&nbsp;, &rsquo;...) are the most common
 * breakage of real feeds. Both passes install a SAX getEntity hook that,
 * after the document's own declarations, answers HTML 4 entity names with
 * a predefined-type entity holding the character (libxml2's own
 * htmlEntityLookup table), and flags the feed bozo. This keeps such a
 * document on the strict path. It matters because libxml2 2.9.14 in
 * recover mode drops every entity reference, &amp; and &lt; included,
 * once the document has had its first error (xmlParseReference returns
 * early when !ctxt->wellFormed): after a real error, text loses its
 * entities, only character references (&#233;) survive. Inside attribute
 * values the hook declines (libxml2 copies one byte of a predefined
 * entity there), so such entities stay errors.
 *
 * Encoding: a UTF-8 BOM wins; then the XML declaration; then the charset
 * of content_type (latin-1 and ASCII labels read as windows-1252); then
 * UTF-8. libxml2 hands back UTF-8 in every case.
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

#include "feed/readers.h"
#include "feed/xml.h"

#define PARSE_MAX_BYTES   (16u << 20)
#define HTML_ENTITIES_MAX 64 /* distinct names substituted per document */
#define CHARSET_MAX       40

struct html_entity {
    xmlEntity ent;
    xmlChar name[32];
    xmlChar value[8];
};

/* Per-parse state, reached from the libxml2 context's _private. */
struct xml_state {
    char error[200]; /* first error of the strict pass */
    bool recording;  /* still in the strict pass */
    char entity[32]; /* first HTML entity substituted */
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

static void on_xml_error(void *user, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = user;
    struct xml_state *st = ctxt->_private;
    size_t len;

    if (!st->recording || e->level < XML_ERR_ERROR || st->error[0])
        return;
    snprintf(st->error, sizeof(st->error), "line %d: %s", e->line,
             e->message ? e->message : "error");
    for (char *c = st->error; *c; c++) {
        if ((unsigned char)*c < 0x20)
            *c = ' '; /* messages hold "\n", and quote input bytes */
    }
    len = strlen(st->error);
    while (len && st->error[len - 1] == ' ')
        st->error[--len] = '\0';
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

static void state_release(struct xml_state *st)
{
    for (size_t i = 0; i < st->n_ents; i++)
        free(st->ents[i]);
}

/* Returns the document, or NULL when not well-formed (strict) or nothing
 * could be made of it; *ret_oom tells out-of-memory apart. */
static xmlDoc *read_xml(const char *p, size_t n, const char *enc, int opts, struct xml_state *st,
                        bool *ret_oom)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDoc *doc;

    *ret_oom = !ctxt;
    if (!ctxt)
        return NULL;
    ctxt->_private = st;
    ctxt->sax->serror = on_xml_error;
    ctxt->sax->getEntity = on_get_entity;
    doc = xmlCtxtReadMemory(ctxt, p, (int)n, NULL, enc, opts);
    *ret_oom = ctxt->errNo == XML_ERR_NO_MEMORY;
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* The charset parameter of a Content-Type, as a label libxml2 knows. */
static const char *http_charset(const char *content_type, char out[CHARSET_MAX])
{
    const char *p = content_type ? strcasestr(content_type, "charset=") : NULL;
    xmlCharEncodingHandlerPtr handler;
    size_t len = 0;

    if (!p)
        return NULL;
    p += 8;
    if (*p == '"')
        p++;
    while (len + 1 < CHARSET_MAX && p[len] && strchr(";\" \t", p[len]) == NULL) {
        out[len] = p[len];
        len++;
    }
    out[len] = '\0';
    if (!strcasecmp(out, "iso-8859-1") || !strcasecmp(out, "latin1") ||
        !strcasecmp(out, "us-ascii") || !strcasecmp(out, "ascii"))
        snprintf(out, CHARSET_MAX, "%s", "windows-1252");
    if (!len)
        return NULL;
    handler = xmlFindCharEncodingHandler(out);
    if (!handler)
        return NULL;
    xmlCharEncCloseFunc(handler); /* frees an iconv handler; a no-op for built-in ones */
    return out;
}

static bool declares_encoding(const char *p, size_t n)
{
    const char *end;

    if (n < 5 || memcmp(p, "<?xml", 5) != 0)
        return false;
    end = memmem(p, n, "?>", 2);
    return end && memmem(p, (size_t)(end - p), "encoding", 8);
}

static int dispatch(const xmlNode *root, const char *url, struct feed *f, char *err, size_t errlen)
{
    int r;

    if (!root) {
        set_err(err, errlen, "%s", "not a feed: no root element");
        return -EBADMSG;
    }
    if (strcmp((const char *)root->name, "rss") == 0 || xml_is(root, NS_RDF, "RDF")) {
        r = rss_read(root, url, f);
        if (r == -EBADMSG)
            set_err(err, errlen, "not a feed: <%.40s> without <channel>", (const char *)root->name);
        return r;
    }
    if (xml_is(root, NS_ATOM10, "feed") || xml_is(root, NS_ATOM03, "feed"))
        return atom_read(root, url, f);
    set_err(err, errlen, "not a feed: root element <%.40s>", (const char *)root->name);
    return -EBADMSG;
}

static int set_bozo(struct feed *f, const struct xml_state *st, bool recovered)
{
    char msg[sizeof(st->error) + 64];

    if (recovered)
        snprintf(msg, sizeof(msg), "not well-formed: %s", st->error[0] ? st->error : "?");
    else if (st->entity[0])
        snprintf(msg, sizeof(msg), "undeclared entity &%s; (read as HTML)", st->entity);
    else
        return 0;
    f->bozo = true;
    return model_set_str(&f->bozo_message, msg);
}

static int parse_xml(const char *p, size_t n, const char *enc, const char *url, struct feed *f,
                     char *err, size_t errlen)
{
    const int strict = XML_PARSE_NONET | XML_PARSE_NOCDATA | (enc ? XML_PARSE_IGNORE_ENC : 0);
    const int recover = strict | XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    struct xml_state st = {.recording = true};
    struct xml_budget budget;
    bool oom, recovered = false;
    xmlDoc *doc;
    int r;

    doc = read_xml(p, n, enc, strict, &st, &oom);
    if (!doc && !oom) {
        st.recording = false;
        recovered = true;
        doc = read_xml(p, n, enc, recover, &st, &oom);
    }
    if (!doc) {
        r = oom ? -ENOMEM : -EBADMSG;
        if (!oom)
            set_err(err, errlen, "not well-formed XML: %s", st.error);
        goto out;
    }
    /* Entity text expanded over the whole document: the body's own size
     * plus 1 MiB, enough for any honest use of internal entities. */
    budget.left = n + (1u << 20);
    doc->_private = &budget;
    r = dispatch(xmlDocGetRootElement(doc), url, f, err, errlen);
    doc->_private = NULL;
    if (r == 0)
        r = set_bozo(f, &st, recovered);
out:
    xmlFreeDoc(doc);
    state_release(&st);
    return r;
}

static int parse_json(const char *p, size_t n, const char *url, struct feed *f, char *err,
                      size_t errlen)
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
        r = jsonfeed_read(root, url, f);
    }
    json_decref(root);
    return r;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int parse_bytes(const char *data, size_t len, const char *url, const char *content_type,
                       struct feed *f, char *err, size_t errlen)
{
    static const char utf8_bom[] = "\xEF\xBB\xBF";
    char charset[CHARSET_MAX];
    const char *enc = NULL;
    size_t off = 0;

    if (len >= 2 && ((unsigned char)data[0] == 0xFE || (unsigned char)data[0] == 0xFF) &&
        (unsigned char)data[1] == ((unsigned char)data[0] ^ 0x01))
        return parse_xml(data, len, NULL, url, f, err, errlen); /* UTF-16 BOM */
    if (len >= 3 && memcmp(data, utf8_bom, 3) == 0) {
        off = 3;
        enc = "UTF-8";
    }
    while (off < len && is_space(data[off]))
        off++;
    if (off == len) {
        set_err(err, errlen, "%s", "empty document");
        return -EBADMSG;
    }
    if (data[off] == '{')
        return parse_json(data + off, len - off, url, f, err, errlen);
    if (data[off] != '<') {
        set_err(err, errlen, "%s", "not a feed: neither XML nor JSON");
        return -EBADMSG;
    }
    if (!enc && !declares_encoding(data + off, len - off))
        enc = http_charset(content_type, charset);
    return parse_xml(data + off, len - off, enc, url, f, err, errlen);
}

int feed_parse(const char *data, size_t len, const char *url, const char *content_type,
               struct feed **ret_feed, char *err, size_t errlen)
{
    struct feed *f;
    int r;

    if (err && errlen)
        err[0] = '\0';
    if (len > PARSE_MAX_BYTES) {
        set_err(err, errlen, "%s", "document larger than 16 MiB");
        return -E2BIG;
    }
    f = feed_new();
    if (!f)
        return -ENOMEM;
    r = parse_bytes(data ? data : "", data ? len : 0, url, content_type, f, err, errlen);
    if (r < 0) {
        feed_free(f);
        return r;
    }
    *ret_feed = f;
    return 0;
}
