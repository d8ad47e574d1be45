/* opml: see opml.h.
 *
 * Attribute values are read from their text children only: libxml2 keeps a
 * reference to an entity the document declares as an entity-reference
 * child of the attribute (we never set XML_PARSE_NOENT), so skipping those
 * children is what keeps declared entities unexpanded. Predefined entities
 * and character references are already text. A reference to an external
 * entity inside an attribute value is not well-formed XML: an error.
 *
 * URLs and names are checked for duplicates through a small open-addressing
 * hash set, so that a large file (OPML_FEEDS_MAX outlines with one title)
 * stays linear.
 */
#include "app/opml.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/buf.h"
#include "base/url.h"

/* Outline levels walked (libxml2 itself stops at 256 without HUGE). */
#define DEPTH_MAX 256

/* ---- a set of borrowed strings ------------------------------------------------ */

struct strset {
    const char **slot;
    size_t mask;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Room for n strings, with the load under one half. */
static int set_init(struct strset *set, size_t n)
{
    size_t cap = 16;

    while (cap < 2 * n + 2)
        cap *= 2;
    set->slot = calloc(cap, sizeof(*set->slot));
    set->mask = cap - 1;
    return set->slot ? 0 : -ENOMEM;
}

/* Adds s unless it is there; returns false when it was. */
static bool set_add(struct strset *set, const char *s)
{
    size_t i = (size_t)hash_str(s) & set->mask;

    for (; set->slot[i]; i = (i + 1) & set->mask) {
        if (strcmp(set->slot[i], s) == 0)
            return false;
    }
    set->slot[i] = s;
    return true;
}

static bool set_has(const struct strset *set, const char *s)
{
    size_t i = (size_t)hash_str(s) & set->mask;

    for (; set->slot[i]; i = (i + 1) & set->mask) {
        if (strcmp(set->slot[i], s) == 0)
            return true;
    }
    return false;
}

/* ---- reading ------------------------------------------------------------------ */

struct reader {
    const char *path;
    char *err;
    size_t errlen;
    struct opml_feed *v;
    size_t n, cap;
    struct strset urls;
    const char *folders[DEPTH_MAX]; /* tags of the enclosing outlines (NULL: none) */
};

static void set_err(char *err, size_t errlen, const char *path, int line, const char *msg)
{
    if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", path, line, msg);
    else
        snprintf(err, errlen, "%s: %s", path, msg);
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A copy of s[0..len) without leading and trailing blanks; NULL in *ret
 * when nothing is left. */
static int dup_trimmed(const char *s, size_t len, char **ret)
{
    while (len > 0 && is_blank((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank((unsigned char)s[len - 1]))
        len--;
    *ret = NULL;
    if (len == 0)
        return 0;
    *ret = strndup(s, len);
    return *ret ? 0 : -ENOMEM;
}

/* The un-namespaced attribute name (ASCII case ignored: "xmlURL" is
 * common), trimmed, from its text children only (see the top). */
static int attr(const xmlNode *n, const char *name, char **ret)
{
    struct buf b;
    int r;

    *ret = NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->ns || strcasecmp((const char *)a->name, name) != 0)
            continue;
        buf_init(&b, OPML_FILE_MAX);
        for (const xmlNode *c = a->children; c; c = c->next) {
            if (c->type == XML_TEXT_NODE && c->content)
                buf_puts(&b, (const char *)c->content);
        }
        r = b.err ? -ENOMEM : dup_trimmed(buf_cstr(&b), b.len, ret);
        buf_release(&b);
        return r;
    }
    return 0;
}

/* s[0..len) as a config word: runs of blanks and commas become one '-',
 * control characters go; NULL in *ret when nothing is left. */
static int make_word(const char *s, size_t len, char **ret)
{
    char *w = malloc(len + 1);
    size_t k = 0;
    bool gap = false;

    *ret = NULL;
    if (!w)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_blank(c) || c == ',') {
            gap = true;
        } else if (c >= 0x20 && c != 0x7f) {
            if (gap && k > 0)
                w[k++] = '-';
            gap = false;
            w[k++] = (char)c;
        }
    }
    w[k] = '\0';
    if (k == 0)
        free(w);
    else
        *ret = w;
    return 0;
}

/* Appends a copy of tag to f unless f has it or is full. */
static int add_tag(struct opml_feed *f, const char *tag)
{
    char **v;

    if (f->n_tags >= OPML_TAGS_MAX)
        return 0;
    for (size_t i = 0; i < f->n_tags; i++) {
        if (strcmp(f->tags[i], tag) == 0)
            return 0;
    }
    v = realloc(f->tags, (f->n_tags + 2) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    f->tags = v;
    if (!(v[f->n_tags] = strdup(tag)))
        return -ENOMEM;
    v[++f->n_tags] = NULL;
    return 0;
}

/* Adds the last path segment of every comma-separated value of cat. */
static int add_categories(struct opml_feed *f, const char *cat)
{
    const char *p = cat;
    int r = 0;

    while (*p && r == 0) {
        size_t n = strcspn(p, ",");
        size_t end = n, start;
        char *word;

        while (end > 0 && (p[end - 1] == '/' || is_blank((unsigned char)p[end - 1])))
            end--;
        start = end;
        while (start > 0 && p[start - 1] != '/')
            start--;
        r = make_word(p + start, end - start, &word);
        if (r == 0 && word)
            r = add_tag(f, word);
        free(word);
        p += n;
        if (*p == ',')
            p++;
    }
    return r;
}

static int add_feed(struct reader *rd, const xmlNode *n, size_t depth, char *url)
{
    struct opml_feed *f;
    char *cat = NULL;
    int r;

    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? 2 * rd->cap : 16;
        struct opml_feed *v = realloc(rd->v, cap * sizeof(*v));
        if (!v) {
            free(url);
            return -ENOMEM;
        }
        rd->v = v;
        rd->cap = cap;
    }
    f = &rd->v[rd->n++];
    *f = (struct opml_feed){.url = url, .line = (int)xmlGetLineNo(n)};
    set_add(&rd->urls, url);
    r = attr(n, "title", &f->title);
    if (r == 0 && !f->title)
        r = attr(n, "text", &f->title);
    if (r == 0 && !f->title && !(f->title = strdup(url)))
        r = -ENOMEM;
    for (size_t i = 0; i < depth && r == 0; i++) {
        if (rd->folders[i])
            r = add_tag(f, rd->folders[i]);
    }
    if (r == 0)
        r = attr(n, "category", &cat);
    if (r == 0 && cat)
        r = add_categories(f, cat);
    free(cat);
    return r;
}

/* The tag an outline gives the outlines inside it: its text, else title. */
static int folder_tag(const xmlNode *n, char **ret)
{
    char *s;
    int r = attr(n, "text", &s);

    if (r == 0 && !s)
        r = attr(n, "title", &s);
    if (r < 0 || !s) {
        *ret = NULL;
        return r;
    }
    r = make_word(s, strlen(s), ret);
    free(s);
    return r;
}

static int walk(struct reader *rd, const xmlNode *parent, size_t depth)
{
    int r = 0;

    for (const xmlNode *n = parent->children; n && r == 0; n = n->next) {
        char *url = NULL, *tag = NULL;

        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "outline") != 0)
            continue;
        r = attr(n, "xmlUrl", &url);
        if (r == 0 && url && set_has(&rd->urls, url)) {
            free(url);
        } else if (r == 0 && url) {
            if (rd->n == OPML_FEEDS_MAX) {
                free(url);
                set_err(rd->err, rd->errlen, rd->path, (int)xmlGetLineNo(n),
                        "more than 10000 feeds");
                return -EFBIG;
            }
            r = add_feed(rd, n, depth, url);
        }
        if (r < 0 || !n->children || depth + 1 >= DEPTH_MAX)
            continue;
        r = folder_tag(n, &tag);
        rd->folders[depth] = tag;
        if (r == 0)
            r = walk(rd, n, depth + 1);
        free(tag);
    }
    return r;
}

/* The first error of a parse (later ones tend to follow from it). */
struct first_error {
    char msg[200];
    int line;
    int code;
};

static void on_xml_error(void *user, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = user;
    struct first_error *fe = ctxt->_private;
    size_t len;

    if (fe->code || e->level < XML_ERR_ERROR)
        return;
    fe->code = e->code ? e->code : -1;
    fe->line = e->line;
    snprintf(fe->msg, sizeof(fe->msg), "%s", e->message ? e->message : "cannot parse");
    len = strlen(fe->msg);
    while (len > 0 && is_blank((unsigned char)fe->msg[len - 1]))
        fe->msg[--len] = '\0';
}

/* The document, or NULL with the message in rd->err and the error in
 * *ret_err. Errors reach on_xml_error() only, never stderr. */
static xmlDoc *parse(struct reader *rd, const struct buf *b, int *ret_err)
{
    const int opts =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    struct first_error fe = {.code = 0};
    xmlParserCtxtPtr ctxt;
    xmlDoc *doc;
    char msg[256];

    xmlInitParser();
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        *ret_err = -ENOMEM;
        return NULL;
    }
    ctxt->_private = &fe;
    ctxt->sax->serror = on_xml_error;
    doc = xmlCtxtReadMemory(ctxt, buf_cstr(b), (int)b->len, NULL, NULL, opts);
    xmlFreeParserCtxt(ctxt);
    *ret_err = 0;
    if (doc)
        return doc;
    *ret_err = fe.code == XML_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
    snprintf(msg, sizeof(msg), "not well-formed XML: %s", fe.code ? fe.msg : "cannot parse");
    set_err(rd->err, rd->errlen, rd->path, fe.line, msg);
    return NULL;
}

static int read_doc(struct reader *rd, const xmlDoc *doc)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    char msg[128];

    if (!root || strcmp((const char *)root->name, "opml") != 0) {
        snprintf(msg, sizeof(msg), "not an OPML document (the root element is <%.40s>)",
                 root ? (const char *)root->name : "");
        set_err(rd->err, rd->errlen, rd->path, root ? (int)xmlGetLineNo(root) : 0, msg);
        return -EINVAL;
    }
    for (const xmlNode *n = root->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "body") == 0)
            return walk(rd, n, 0);
    }
    return 0;
}

int opml_read(const char *path, struct opml_feed **ret, size_t *ret_n, char *err, size_t errlen)
{
    struct reader rd = {.path = path, .err = err, .errlen = errlen};
    struct buf b;
    xmlDoc *doc = NULL;
    int r;

    if (errlen > 0)
        err[0] = '\0';
    buf_init(&b, OPML_FILE_MAX);
    r = buf_read_file(&b, path);
    if (r == -E2BIG)
        r = -EFBIG;
    if (r < 0) {
        set_err(err, errlen, path, 0, r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
        goto out;
    }
    r = set_init(&rd.urls, OPML_FEEDS_MAX);
    if (r == 0)
        doc = parse(&rd, &b, &r);
    if (doc)
        r = read_doc(&rd, doc);
    if (r == -ENOMEM)
        set_err(err, errlen, path, 0, "out of memory");
out:
    xmlFreeDoc(doc);
    buf_release(&b);
    free(rd.urls.slot);
    if (r < 0) {
        opml_feeds_free(rd.v, rd.n);
        return r;
    }
    if (rd.n == 0) {
        free(rd.v);
        rd.v = NULL;
    }
    *ret = rd.v;
    *ret_n = rd.n;
    return 0;
}

void opml_feeds_free(struct opml_feed *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].title);
        free(f[i].url);
        for (size_t k = 0; k < f[i].n_tags; k++)
            free(f[i].tags[k]);
        free(f[i].tags);
    }
    free(f);
}

/* ---- rendering ---------------------------------------------------------------- */

static void put_outline(struct buf *b, const struct feed_conf *fc)
{
    const char *title = fc->title ? fc->title : fc->name;

    buf_puts(b, "    <outline type=\"rss\" text=\"");
    buf_put_xml(b, title);
    buf_puts(b, "\" title=\"");
    buf_put_xml(b, title);
    buf_puts(b, "\" xmlUrl=\"");
    buf_put_xml(b, fc->url);
    buf_putc(b, '"');
    for (size_t k = 0; k < fc->tags.n; k++) {
        buf_puts(b, k == 0 ? " category=\"" : ",");
        buf_put_xml(b, fc->tags.v[k]);
    }
    buf_puts(b, fc->tags.n ? "\"/>\n" : "/>\n");
}

int opml_render(const struct config *cfg, const char *title, char **ret, size_t *ret_len)
{
    struct buf b;
    size_t len;

    buf_init(&b, SIZE_MAX / 2);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<opml version=\"2.0\">\n"
                 "  <head>\n"
                 "    <title>");
    buf_put_xml(&b, title ? title : "Herald");
    buf_puts(&b, "</title>\n"
                 "  </head>\n"
                 "  <body>\n");
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        if (cfg->feeds[i].enabled && cfg->feeds[i].url)
            put_outline(&b, &cfg->feeds[i]);
    }
    buf_puts(&b, "  </body>\n"
                 "</opml>\n");
    if (b.err)
        return -ENOMEM;
    len = b.len;
    *ret = buf_steal(&b);
    *ret_len = len;
    return 0;
}

/* ---- names and sections ------------------------------------------------------- */

/* title's name before it is made unique; out has OPML_NAME_MAX + 1 bytes. */
static void base_name(const char *title, size_t index, char *out)
{
    size_t k = 0;

    for (const char *p = title; *p && k < OPML_NAME_MAX; p++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*p);

        if (c == ' ' || c == '\t')
            out[k++] = '-';
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == '-')
            out[k++] = (char)c;
    }
    out[k] = '\0';
    if (k == 0)
        snprintf(out, OPML_NAME_MAX + 1, "feed-%zu", index + 1);
}

/* Makes name unique in set with "-2", "-3"..., cutting it to keep within
 * OPML_NAME_MAX; returns a malloc'ed copy, added to set, or NULL. */
static char *unique_name(struct strset *set, const char *base)
{
    char name[OPML_NAME_MAX + 24], *copy;

    snprintf(name, sizeof(name), "%s", base);
    for (size_t k = 2; set_has(set, name); k++) {
        char suffix[24];
        int n = snprintf(suffix, sizeof(suffix), "-%zu", k);
        size_t keep = strlen(base);

        if (keep + (size_t)n > OPML_NAME_MAX)
            keep = OPML_NAME_MAX - (size_t)n;
        snprintf(name, sizeof(name), "%.*s%s", (int)keep, base, suffix);
    }
    copy = strdup(name);
    if (copy)
        set_add(set, copy);
    return copy;
}

void opml_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

int opml_names(const char *const *titles, size_t n, const char *const *taken, size_t n_taken,
               char ***ret)
{
    struct strset set;
    char **names = calloc(n ? n : 1, sizeof(*names));
    int r = names ? set_init(&set, n + n_taken) : -ENOMEM;

    if (r < 0) {
        free(names);
        return r;
    }
    for (size_t i = 0; i < n_taken; i++)
        set_add(&set, taken[i]);
    for (size_t i = 0; i < n; i++) {
        char base[OPML_NAME_MAX + 1];

        base_name(titles[i] ? titles[i] : "", i, base);
        if (!(names[i] = unique_name(&set, base))) {
            r = -ENOMEM;
            break;
        }
    }
    free(set.slot);
    if (r < 0) {
        opml_names_free(names, n);
        return r;
    }
    *ret = names;
    return 0;
}

const char *opml_value_problem(const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '\n' || c == '\r')
            return "spans lines";
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "has control characters";
        /* inih's inline comments: ';' at the start or after a blank */
        if (c == ';' && (p == s || is_blank((unsigned char)p[-1])))
            return "would be read as a comment";
    }
    if (strlen(s) > OPML_VALUE_MAX)
        return "is longer than 190 characters";
    return NULL;
}

/* Prints f's tags as "tags = a, b" lines that fit on a config line. */
static void print_tags(const struct opml_feed *f, FILE *out)
{
    size_t used = 0;

    for (size_t k = 0; k < f->n_tags; k++) {
        const char *tag = f->tags[k], *problem = opml_value_problem(tag);
        size_t len = strlen(tag);

        if (problem) {
            fprintf(out, "# tag %zu of line %d left out: it %s\n", k + 1, f->line, problem);
            continue;
        }
        if (used > 0 && used + 2 + len > OPML_VALUE_MAX) {
            fputc('\n', out);
            used = 0;
        }
        fprintf(out, used ? ", %s" : "tags = %s", tag);
        used += used ? 2 + len : len;
    }
    if (used > 0)
        fputc('\n', out);
}

static void print_section(const struct opml_feed *f, const char *name, FILE *out)
{
    const char *problem = opml_value_problem(f->url);

    if (!problem && !url_is_http(f->url))
        problem = "is not an http:// or https:// URL";
    if (problem) {
        fprintf(out, "\n# outline of line %d left out: its xmlUrl %s\n", f->line, problem);
        return;
    }
    fprintf(out, "\n[feed \"%s\"]\nurl = %s\n", name, f->url);
    if (strcmp(f->title, f->url) != 0) {
        problem = opml_value_problem(f->title);
        if (problem)
            fprintf(out, "# title of line %d left out: it %s\n", f->line, problem);
        else
            fprintf(out, "title = %s\n", f->title);
    }
    print_tags(f, out);
}

int opml_print_sections(const struct opml_feed *f, size_t n, FILE *out)
{
    const char **titles = calloc(n ? n : 1, sizeof(*titles));
    char **names = NULL;
    int r;

    if (!titles)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        titles[i] = f[i].title;
    r = opml_names(titles, n, NULL, 0, &names);
    free(titles);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        print_section(&f[i], names[i], out);
    opml_names_free(names, n);
    return ferror(out) ? -EIO : 0;
}
