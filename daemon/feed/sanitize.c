/* sanitize: untrusted HTML rebuilt from an allowlist (see sanitize.h).
 *
 * Three passes over the input:
 *   1. clean_utf8(): invalid UTF-8, NUL, U+FFFE and U+FFFF become U+FFFD.
 *      libxml2 2.9.14 copies invalid bytes into text nodes unchanged, so
 *      this is what keeps the output valid UTF-8 (and XML 1.0 text).
 *   2. libxml2's HTML parser (recover, no network, no implied html/body)
 *      over "<div>" + input + "</div>": the wrapper keeps leading text out
 *      of an implied <p> and makes sibling <p>s close each other.
 *   3. walk(): an iterative pre-order walk of the tree that writes start
 *      tags, escaped text and end tags into a struct buf. Nothing of the
 *      original tree is serialized by libxml2. At most DEPTH_MAX elements
 *      are open at once; deeper allowed elements are flattened (their
 *      children are kept without the wrapper).
 *
 * Elements and attributes are looked up with bsearch() in the sorted tables
 * below. URLs go through clean_url() (C0 controls removed, spaces trimmed,
 * as browsers do before looking at the scheme) and url_resolve().
 *
 * Depends on base/buf, base/url and libxml2's HTML parser.
 */
#include "feed/sanitize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "base/buf.h"
#include "base/url.h"

/* Open elements written at once; bounds the output's nesting, while the
 * walk itself needs no stack at all. */
#define DEPTH_MAX 64
/* Attribute markup and resolved URLs make the output larger than the
 * input (<a href=x> grows by the base URL and the rel attribute). */
#define OUTPUT_MAX (4 * (size_t)SANITIZE_MAX)

#define WRAP_OPEN  "<div>"
#define WRAP_CLOSE "</div>"

/* How an attribute value is checked. */
enum attr_kind {
    ATTR_TEXT,   /* escaped, otherwise as it is */
    ATTR_URL,    /* resolved; http and https only, unless url_flags */
    ATTR_SRCSET, /* each candidate's URL resolved, http and https only */
};

#define URL_MAILTO   0x1u /* mailto: allowed */
#define URL_DATA_IMG 0x2u /* data:image/(png|gif|jpeg|webp);base64, allowed */

struct attr_rule {
    const char *name;
    enum attr_kind kind;
    unsigned url_flags;
};

#define EL_DROP  0x1u  /* dropped with its content */
#define EL_VOID  0x2u  /* no end tag, children (if any) written after it */
#define EL_BARE  0x4u  /* no attributes at all, not even the global ones */
#define EL_MEDIA 0x8u  /* counts as content even without text */
#define EL_LINK  0x10u /* gets rel="noopener noreferrer" */

struct elem_rule {
    const char *name;
    unsigned flags;
    const struct attr_rule *attrs; /* sorted by name */
    size_t n_attrs;
};

#define RULES(a) a, sizeof(a) / sizeof((a)[0])

/* Every attribute table is sorted by name (strcmp order). */
static const struct attr_rule global_attrs[] = {
    {"dir", ATTR_TEXT, 0},
    {"lang", ATTR_TEXT, 0},
    {"title", ATTR_TEXT, 0},
};

static const struct attr_rule a_attrs[] = {
    {"href", ATTR_URL, URL_MAILTO},
    {"hreflang", ATTR_TEXT, 0},
    {"name", ATTR_TEXT, 0},
};

static const struct attr_rule img_attrs[] = {
    {"alt", ATTR_TEXT, 0},           {"height", ATTR_TEXT, 0},   {"loading", ATTR_TEXT, 0},
    {"src", ATTR_URL, URL_DATA_IMG}, {"srcset", ATTR_SRCSET, 0}, {"width", ATTR_TEXT, 0},
};

static const struct attr_rule cell_attrs[] = {
    {"align", ATTR_TEXT, 0},   {"colspan", ATTR_TEXT, 0}, {"headers", ATTR_TEXT, 0},
    {"rowspan", ATTR_TEXT, 0}, {"scope", ATTR_TEXT, 0},
};

static const struct attr_rule ol_attrs[] = {
    {"reversed", ATTR_TEXT, 0},
    {"start", ATTR_TEXT, 0},
    {"type", ATTR_TEXT, 0},
};

static const struct attr_rule li_attrs[] = {
    {"value", ATTR_TEXT, 0},
};

static const struct attr_rule cite_attrs[] = {
    {"cite", ATTR_URL, 0},
};

static const struct attr_rule time_attrs[] = {
    {"datetime", ATTR_TEXT, 0},
};

static const struct attr_rule media_attrs[] = {
    {"controls", ATTR_TEXT, 0}, {"height", ATTR_TEXT, 0}, {"poster", ATTR_URL, 0},
    {"src", ATTR_URL, 0},       {"width", ATTR_TEXT, 0},
};

static const struct attr_rule source_attrs[] = {
    {"media", ATTR_TEXT, 0},
    {"src", ATTR_URL, 0},
    {"srcset", ATTR_SRCSET, 0},
    {"type", ATTR_TEXT, 0},
};

static const struct attr_rule track_attrs[] = {
    {"kind", ATTR_TEXT, 0},
    {"label", ATTR_TEXT, 0},
    {"src", ATTR_URL, 0},
    {"srclang", ATTR_TEXT, 0},
};

/* Sorted by name (strcmp order). Elements not listed are unknown: they
 * are dropped and their children kept (html and body among them). */
static const struct elem_rule elems[] = {
    {"a", EL_LINK, RULES(a_attrs)},
    {"abbr", 0, NULL, 0},
    {"acronym", 0, NULL, 0},
    {"address", 0, NULL, 0},
    {"applet", EL_DROP, NULL, 0},
    {"audio", EL_MEDIA, RULES(media_attrs)},
    {"b", 0, NULL, 0},
    {"base", EL_DROP, NULL, 0},
    {"bdi", 0, NULL, 0},
    {"bdo", 0, NULL, 0},
    {"big", 0, NULL, 0},
    {"blockquote", 0, RULES(cite_attrs)},
    {"br", EL_VOID, NULL, 0},
    {"button", EL_DROP, NULL, 0},
    {"caption", 0, NULL, 0},
    {"center", 0, NULL, 0},
    {"cite", 0, NULL, 0},
    {"code", 0, NULL, 0},
    {"col", EL_VOID, NULL, 0},
    {"colgroup", 0, NULL, 0},
    {"dd", 0, NULL, 0},
    {"del", 0, RULES(cite_attrs)},
    {"details", 0, NULL, 0},
    {"dfn", 0, NULL, 0},
    {"div", 0, NULL, 0},
    {"dl", 0, NULL, 0},
    {"dt", 0, NULL, 0},
    {"em", 0, NULL, 0},
    {"embed", EL_DROP, NULL, 0},
    {"figcaption", 0, NULL, 0},
    {"figure", 0, NULL, 0},
    {"font", EL_BARE, NULL, 0},
    {"form", EL_DROP, NULL, 0},
    {"frame", EL_DROP, NULL, 0},
    {"frameset", EL_DROP, NULL, 0},
    {"h1", 0, NULL, 0},
    {"h2", 0, NULL, 0},
    {"h3", 0, NULL, 0},
    {"h4", 0, NULL, 0},
    {"h5", 0, NULL, 0},
    {"h6", 0, NULL, 0},
    {"head", EL_DROP, NULL, 0},
    {"hr", EL_VOID, NULL, 0},
    {"i", 0, NULL, 0},
    {"iframe", EL_DROP, NULL, 0},
    {"img", EL_VOID | EL_MEDIA, RULES(img_attrs)},
    {"input", EL_DROP, NULL, 0},
    {"ins", 0, RULES(cite_attrs)},
    {"kbd", 0, NULL, 0},
    {"li", 0, RULES(li_attrs)},
    {"link", EL_DROP, NULL, 0},
    {"mark", 0, NULL, 0},
    {"math", EL_DROP, NULL, 0},
    {"meta", EL_DROP, NULL, 0},
    {"noscript", EL_DROP, NULL, 0},
    {"object", EL_DROP, NULL, 0},
    {"ol", 0, RULES(ol_attrs)},
    {"p", 0, NULL, 0},
    {"picture", 0, NULL, 0},
    {"pre", 0, NULL, 0},
    {"q", 0, RULES(cite_attrs)},
    {"rp", 0, NULL, 0},
    {"rt", 0, NULL, 0},
    {"ruby", 0, NULL, 0},
    {"s", 0, NULL, 0},
    {"samp", 0, NULL, 0},
    {"script", EL_DROP, NULL, 0},
    {"select", EL_DROP, NULL, 0},
    {"small", 0, NULL, 0},
    {"source", EL_VOID, RULES(source_attrs)},
    {"span", 0, NULL, 0},
    {"strike", 0, NULL, 0},
    {"strong", 0, NULL, 0},
    {"style", EL_DROP, NULL, 0},
    {"sub", 0, NULL, 0},
    {"summary", 0, NULL, 0},
    {"sup", 0, NULL, 0},
    {"svg", EL_DROP, NULL, 0},
    {"table", 0, NULL, 0},
    {"tbody", 0, NULL, 0},
    {"td", 0, RULES(cell_attrs)},
    {"template", EL_DROP, NULL, 0},
    {"textarea", EL_DROP, NULL, 0},
    {"tfoot", 0, NULL, 0},
    {"th", 0, RULES(cell_attrs)},
    {"thead", 0, NULL, 0},
    {"time", 0, RULES(time_attrs)},
    {"title", EL_DROP, NULL, 0},
    {"tr", 0, NULL, 0},
    {"track", EL_VOID, RULES(track_attrs)},
    {"tt", 0, NULL, 0},
    {"u", 0, NULL, 0},
    {"ul", 0, NULL, 0},
    {"var", 0, NULL, 0},
    {"video", EL_MEDIA, RULES(media_attrs)},
    {"wbr", EL_VOID, NULL, 0},
};

struct open_elem {
    const xmlNode *node;
    const struct elem_rule *rule;
};

struct sanitizer {
    struct buf out;
    struct buf tmp;  /* scratch for one attribute value */
    char *base;      /* normalized http(s) base URL, or NULL; owned */
    size_t base_len; /* of base without its fragment */
    const xmlNode *wrapper;
    struct open_elem open[DEPTH_MAX];
    size_t n_open;
    bool substance; /* non-blank text or a media element was written */
};

static int cmp_elem(const void *key, const void *elem)
{
    return strcmp(key, ((const struct elem_rule *)elem)->name);
}

static int cmp_attr(const void *key, const void *attr)
{
    return strcmp(key, ((const struct attr_rule *)attr)->name);
}

static const struct elem_rule *find_elem(const char *name)
{
    return bsearch(name, elems, sizeof(elems) / sizeof(elems[0]), sizeof(elems[0]), cmp_elem);
}

static const struct attr_rule *find_attr(const struct elem_rule *el, const char *name)
{
    const struct attr_rule *a = NULL;

    if (el->flags & EL_BARE)
        return NULL;
    if (el->attrs)
        a = bsearch(name, el->attrs, el->n_attrs, sizeof(*a), cmp_attr);
    if (!a)
        a = bsearch(name, global_attrs, sizeof(global_attrs) / sizeof(global_attrs[0]), sizeof(*a),
                    cmp_attr);
    return a;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. U+FFFE
 * and U+FFFF are refused too: XML 1.0 does not allow them. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;

    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F; /* no surrogates */
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    if (len == 3 && c == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
        return 0;
    return len;
}

/* Appends html to b with every byte that does not start a valid sequence
 * replaced by U+FFFD (one per byte), and a leading BOM dropped. */
static int clean_utf8(struct buf *b, const char *html, size_t len)
{
    const unsigned char *s = (const unsigned char *)html;
    size_t i = 0, run = 0;

    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = run = 3;
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);

        if (n) {
            i += n;
            continue;
        }
        buf_append(b, s + run, i - run);
        buf_puts(b, "\xEF\xBF\xBD");
        run = ++i;
    }
    return buf_append(b, s + run, i - run);
}

/* Escapes &, <, > (and " in attribute values); drops the C0 controls that
 * XML 1.0 forbids. */
static void put_escaped(struct buf *b, const char *s, bool attr)
{
    const char *run = s;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *rep;

        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"' && attr)
            rep = "&quot;";
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            rep = "";
        else
            continue;
        buf_append(b, run, (size_t)(s - run));
        buf_puts(b, rep);
        run = s + 1;
    }
    buf_append(b, run, (size_t)(s - run));
}

/* True when s has something besides white space, U+00A0 and the C0
 * controls put_escaped() drops. */
static bool has_substance(const char *s)
{
    for (; *s; s++) {
        if (*s == '\xC2' && s[1] == '\xA0')
            s++;
        else if ((unsigned char)*s > 0x20)
            return true;
    }
    return false;
}

static bool is_url_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Copies the n bytes of a URL to b as a browser sees them: C0 controls
 * and DEL removed anywhere (browsers strip tab and newlines inside URLs,
 * so "java\tscript:" is javascript:), spaces trimmed at both ends and
 * percent-encoded inside. */
static int clean_url(struct buf *b, const char *s, size_t n)
{
    buf_reset(b);
    while (n && (unsigned char)*s <= 0x20) {
        s++;
        n--;
    }
    while (n && (unsigned char)s[n - 1] <= 0x20)
        n--;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ')
            buf_puts(b, "%20"); /* what browsers send; curl refuses spaces */
        else if ((unsigned char)s[i] > 0x20 && s[i] != 0x7f)
            buf_putc(b, s[i]);
    }
    return buf_append(b, "", 0);
}

/* Length of the RFC 3986 scheme of url (before its ':'), or 0 if none. */
static size_t scheme_len(const char *url)
{
    size_t i = 0;

    if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
        return 0;
    while (url[i] && url[i] != ':') {
        char c = url[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return 0;
        i++;
    }
    return url[i] == ':' ? i : 0;
}

static bool has_scheme(const char *url, size_t len, const char *scheme)
{
    return strlen(scheme) == len && strncasecmp(url, scheme, len) == 0;
}

/* data:image/(png|gif|jpeg|webp);base64, followed by base64 only. */
static bool is_data_image(const char *url)
{
    static const char *const types[] = {"gif", "jpeg", "png", "webp"};
    const char *p = url + strlen("data:");
    bool type_ok = false;

    if (strncasecmp(p, "image/", 6) != 0)
        return false;
    p += 6;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && !type_ok; i++) {
        size_t n = strlen(types[i]);

        if (strncasecmp(p, types[i], n) == 0 && strncasecmp(p + n, ";base64,", 8) == 0) {
            p += n + 8;
            type_ok = true;
        }
    }
    if (!type_ok)
        return false;
    return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
           strlen(p);
}

static bool is_http_scheme(const char *url, size_t len)
{
    return has_scheme(url, len, "http") || has_scheme(url, len, "https");
}

static bool is_http(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

static bool scheme_allowed(const char *url, size_t len, unsigned flags)
{
    if (is_http_scheme(url, len))
        return true;
    if (has_scheme(url, len, "mailto"))
        return flags & URL_MAILTO;
    if (has_scheme(url, len, "data"))
        return (flags & URL_DATA_IMG) && is_data_image(url);
    return false;
}

/* a (first alen bytes) followed by b, malloc'ed; NULL on out-of-memory. */
static char *join(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    char *p = malloc(alen + blen + 1);

    if (!p)
        return NULL;
    memcpy(p, a, alen);
    memcpy(p + alen, b, blen + 1);
    return p;
}

/* Decides what replaces url (already cleaned): returns 0 and the allowed
 * URL, malloc'ed, in *ret_url, or NULL there when the URL goes; -ENOMEM. */
static int check_url(const struct sanitizer *s, const char *url, unsigned flags, char **ret_url)
{
    size_t sl = scheme_len(url);
    char *abs = NULL;
    int r;

    if (!*url || (sl && !scheme_allowed(url, sl, flags))) {
        *ret_url = NULL;
        return 0;
    }
    if ((sl && !is_http_scheme(url, sl)) || (!sl && !s->base)) {
        abs = strdup(url);
    } else if (!sl && url[0] == '#') {
        /* curl 7.88 resolves "#x" against the base's directory. */
        abs = join(s->base, s->base_len, url);
    } else {
        r = url_resolve(sl ? NULL : s->base, url, &abs);
        if (r == -ENOMEM)
            return r;
        if (r < 0 || !is_http(abs)) {
            free(abs);
            *ret_url = NULL;
            return 0;
        }
    }
    if (!abs)
        return -ENOMEM;
    *ret_url = abs;
    return 0;
}

/* A srcset descriptor: tokens such as "2x", "1.5x", "640w". */
static bool valid_descriptor(const char *d, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t start = i;

        while (i < n && strchr("0123456789.eE+-", d[i]))
            i++;
        if (i == start || i == n || !strchr("wxh", d[i]))
            return false;
        i++;
        if (i < n && !is_url_space(d[i]))
            return false;
        while (i < n && is_url_space(d[i]))
            i++;
    }
    return true;
}

/* One srcset candidate: appends "url[ descriptor]" to out when both pass. */
static int put_candidate(const struct sanitizer *s, struct buf *out, struct slice url,
                         struct slice desc)
{
    struct buf clean;
    char *abs = NULL;
    int r;

    while (desc.len && is_url_space(desc.p[desc.len - 1]))
        desc.len--;
    if (!valid_descriptor(desc.p, desc.len))
        return 0;
    buf_init(&clean, OUTPUT_MAX);
    r = clean_url(&clean, url.p, url.len);
    if (r == 0)
        r = check_url(s, clean.data, 0, &abs);
    if (r == 0 && abs) {
        if (out->len)
            buf_puts(out, ", ");
        buf_puts(out, abs);
        if (desc.len) {
            buf_putc(out, ' ');
            buf_append(out, desc.p, desc.len);
        }
    }
    free(abs);
    buf_release(&clean);
    return r;
}

/* Splits srcset into candidates as the HTML standard does: a URL is a run
 * of non-space characters (trailing commas end the candidate), then an
 * optional descriptor up to the next comma. */
static int put_srcset(const struct sanitizer *s, struct buf *out, const char *v)
{
    while (*v) {
        struct slice url, desc = {"", 0};
        int r;

        while (*v && (is_url_space(*v) || *v == ','))
            v++;
        if (!*v)
            break;
        url.p = v;
        while (*v && !is_url_space(*v))
            v++;
        url.len = (size_t)(v - url.p);
        if (url.p[url.len - 1] == ',') {
            while (url.len && url.p[url.len - 1] == ',')
                url.len--;
        } else {
            while (is_url_space(*v))
                v++;
            desc.p = v;
            v += strcspn(v, ",");
            desc.len = (size_t)(v - desc.p);
        }
        r = put_candidate(s, out, url, desc);
        if (r < 0)
            return r;
    }
    return out->err;
}

/* The value of attr; *ret_copy is what the caller frees (NULL when the
 * value is borrowed from the tree). */
static int attr_value(const xmlAttr *attr, const char **ret, xmlChar **ret_copy)
{
    const xmlNode *c = attr->children;
    xmlChar *copy;

    if (!c) {
        *ret = ""; /* <video controls> */
        *ret_copy = NULL;
        return 0;
    }
    if (!c->next && c->type == XML_TEXT_NODE) {
        *ret = c->content ? (const char *)c->content : "";
        *ret_copy = NULL;
        return 0;
    }
    copy = xmlNodeListGetString(attr->doc, c, 1);
    if (!copy)
        return -ENOMEM;
    *ret = (const char *)copy;
    *ret_copy = copy;
    return 0;
}

/* Writes ` name="value"` for one allowed attribute, when its value
 * passes the rule. */
static int put_attr(struct sanitizer *s, const xmlAttr *attr, const struct attr_rule *rule)
{
    const char *value, *out = NULL;
    xmlChar *copy;
    char *url = NULL;
    int r;

    r = attr_value(attr, &value, &copy);
    if (r < 0)
        return r;
    switch (rule->kind) {
    case ATTR_TEXT:
        out = value;
        break;
    case ATTR_URL:
        r = clean_url(&s->tmp, value, strlen(value));
        if (r == 0)
            r = check_url(s, s->tmp.data, rule->url_flags, &url);
        out = url;
        break;
    case ATTR_SRCSET:
        buf_reset(&s->tmp);
        r = put_srcset(s, &s->tmp, value);
        out = s->tmp.len ? s->tmp.data : NULL;
        break;
    }
    if (r == 0 && out) {
        buf_putc(&s->out, ' ');
        buf_puts(&s->out, rule->name);
        buf_puts(&s->out, "=\"");
        put_escaped(&s->out, out, true);
        buf_putc(&s->out, '"');
    }
    free(url);
    xmlFree(copy);
    return r;
}

static int put_start_tag(struct sanitizer *s, const xmlNode *n, const struct elem_rule *el)
{
    buf_putc(&s->out, '<');
    buf_puts(&s->out, el->name);
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        const struct attr_rule *rule = find_attr(el, (const char *)a->name);
        int r;

        if (!rule)
            continue;
        r = put_attr(s, a, rule);
        if (r < 0)
            return r;
    }
    if (el->flags & EL_LINK)
        buf_puts(&s->out, " rel=\"noopener noreferrer\"");
    buf_putc(&s->out, '>');
    if (el->flags & EL_MEDIA)
        s->substance = true;
    return s->out.err;
}

/* Writes what n contributes before its children; *descend says whether
 * its children are walked at all. */
static int enter(struct sanitizer *s, const xmlNode *n, bool *descend)
{
    const struct elem_rule *el;
    int r;

    *descend = false;
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (!n->content)
            return 0;
        put_escaped(&s->out, (const char *)n->content, false);
        if (!s->substance)
            s->substance = has_substance((const char *)n->content);
        return s->out.err;
    }
    if (n->type != XML_ELEMENT_NODE)
        return 0; /* comments, processing instructions, DTDs */
    *descend = true;
    if (n == s->wrapper)
        return 0;
    el = find_elem((const char *)n->name);
    if (el && (el->flags & EL_DROP)) {
        *descend = false;
        return 0;
    }
    if (!el || (!(el->flags & EL_VOID) && s->n_open == DEPTH_MAX))
        return 0; /* unknown or too deep: children only */
    r = put_start_tag(s, n, el);
    if (r < 0 || (el->flags & EL_VOID))
        return r;
    s->open[s->n_open++] = (struct open_elem){n, el};
    return 0;
}

static void leave(struct sanitizer *s, const xmlNode *n)
{
    if (s->n_open == 0 || s->open[s->n_open - 1].node != n)
        return;
    s->n_open--;
    buf_puts(&s->out, "</");
    buf_puts(&s->out, s->open[s->n_open].rule->name);
    buf_putc(&s->out, '>');
}

/* Pre-order walk over the siblings starting at first and all their
 * descendants, with parent and next pointers instead of recursion. */
static int walk(struct sanitizer *s, const xmlNode *first)
{
    const xmlNode *n = first;

    while (n) {
        bool descend;
        int r = enter(s, n, &descend);

        if (r < 0)
            return r;
        if (descend && n->children) {
            n = n->children;
            continue;
        }
        while (n) {
            leave(s, n);
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (n && n->type != XML_ELEMENT_NODE)
                n = NULL; /* the document node */
        }
    }
    return s->out.err;
}

/* Keeps base only when it is an absolute http(s) URL; anything else
 * counts as no base, so relative links stay relative. */
static int set_base(struct sanitizer *s, const char *base)
{
    char *abs = NULL;
    int r;

    if (!base)
        return 0;
    r = url_resolve(NULL, base, &abs);
    if (r == -ENOMEM)
        return r;
    if (r < 0 || !is_http(abs)) {
        free(abs);
        return 0;
    }
    s->base = abs;
    s->base_len = strcspn(abs, "#");
    return 0;
}

static void silent(void *user, xmlErrorPtr e)
{
}

static int parse(const char *html, size_t len, xmlDoc **ret_doc)
{
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD | HTML_PARSE_NOIMPLIED |
                     HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC;
    htmlParserCtxtPtr ctxt;
    xmlDoc *doc;
    int r = 0;

    xmlInitParser();
    ctxt = htmlNewParserCtxt();
    if (!ctxt)
        return -ENOMEM;
    ctxt->sax->serror = silent; /* per context: nothing reaches stderr */
    doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8", opts);
    if (!doc && ctxt->errNo == XML_ERR_NO_MEMORY)
        r = -ENOMEM;
    htmlFreeParserCtxt(ctxt);
    *ret_doc = doc;
    return r;
}

static const xmlNode *first_element(const xmlDoc *doc)
{
    for (const xmlNode *n = doc->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return n;
    }
    return NULL;
}

/* Trims ASCII white space at both ends (only top-level text can have any,
 * so nothing inside <pre> is touched) and hands the output over. */
static void finish(struct sanitizer *s, char **ret)
{
    char *p = s->out.data;
    size_t start = 0, len = s->out.len;

    while (start < len && strchr(" \t\n\r\f", p[start]))
        start++;
    while (len > start && strchr(" \t\n\r\f", p[len - 1]))
        len--;
    if (start == len) {
        *ret = NULL;
        return;
    }
    memmove(p, p + start, len - start);
    p[len - start] = '\0';
    *ret = buf_steal(&s->out); /* data is not NULL: no allocation */
}

int sanitize_html(const char *html, size_t len, const char *base, char **ret)
{
    struct sanitizer s = {0};
    struct buf in;
    xmlDoc *doc = NULL;
    char *out = NULL;
    int r;

    if (len > SANITIZE_MAX)
        return -E2BIG;
    buf_init(&in, 3 * len + sizeof(WRAP_OPEN WRAP_CLOSE));
    buf_init(&s.out, OUTPUT_MAX);
    buf_init(&s.tmp, OUTPUT_MAX);
    buf_puts(&in, WRAP_OPEN);
    clean_utf8(&in, html ? html : "", html ? len : 0);
    r = buf_puts(&in, WRAP_CLOSE);
    if (r < 0)
        goto out;
    r = set_base(&s, base);
    if (r < 0)
        goto out;
    r = parse(in.data, in.len, &doc);
    buf_release(&in);
    if (r < 0)
        goto out;
    if (!doc) {
        *ret = NULL; /* nothing the parser could use */
        goto out;
    }
    s.wrapper = first_element(doc);
    r = walk(&s, doc->children);
    if (r < 0)
        goto out;
    if (s.substance)
        finish(&s, &out);
    *ret = out;
    r = 0;
out:
    xmlFreeDoc(doc);
    free(s.base);
    buf_release(&in);
    buf_release(&s.tmp);
    buf_release(&s.out);
    return r;
}
