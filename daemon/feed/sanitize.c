/* sanitize: untrusted HTML rebuilt from an allowlist (see sanitize.h).
 *
 * Two ways to the same output. The fast path (fast_sanitize(), "fast
 * path" below) reads tidy HTML in one pass and declines anything else;
 * the parser path, the reference, handles everything. The parser path is
 * one pass of libxml2's HTML parser, no tree:
 *   1. clean_utf8(): invalid UTF-8, NUL, U+FFFE and U+FFFF become U+FFFD.
 *      libxml2 2.9.14 passes invalid bytes through (or switches the input
 *      to Latin-1), so this is what keeps the output valid UTF-8 (and XML
 *      1.0 text). Valid input is copied in long runs, found a word at a
 *      time.
 *   2. libxml2's HTML parser (recover, no network, no implied html/body)
 *      over "<div>" + input + "</div>" with our own SAX handler: the
 *      wrapper keeps leading text out of an implied <p> and makes sibling
 *      <p>s close each other. The callbacks (on_start, on_end, on_text)
 *      write start tags, escaped text and end tags straight into a struct
 *      buf; libxml2 builds no tree and serializes nothing.
 *   Input without '<' and '&' skips the parser: it is text only, and is
 *   escaped as the parser would have passed it on.
 *
 * The callbacks see the parser's element events, balanced (libxml2 closes
 * what the markup leaves open, <p>a<p>b included) and mirror them with
 * counters rather than a tree:
 *   depth      elements the parser has open (wrapper included)
 *   skip       depth of the dropped element being skipped, 0 when none:
 *              everything inside it is ignored
 *   open[]     elements written and not yet closed, each with its depth;
 *              at most DEPTH_MAX, deeper allowed elements are flattened
 *              (their children are kept without the wrapper)
 * Past PARSER_DEPTH_MAX open elements the parser is stopped and what is
 * open gets closed: the rest of the input is lost, as it was when libxml2
 * built a tree.
 *
 * Elements and attributes are looked up by binary search in the sorted
 * tables below. URLs go through clean_url() (C0 controls removed, spaces
 * trimmed, as browsers do before looking at the scheme) and check_url().
 *
 * Depends on base/buf, base/url and libxml2's HTML parser.
 */
#include "feed/sanitize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "base/buf.h"
#include "base/url.h"
#include "base/utf8.h"

/* Open elements written at once; bounds the output's nesting. */
#define DEPTH_MAX 64
/* Elements the parser may have open before it is stopped. libxml2's HTML
 * parser looks through its open elements for every end tag, so unbounded
 * nesting costs quadratic time; its tree builder stopped at this depth
 * (xmlParserMaxDepth), and so do we. */
#define PARSER_DEPTH_MAX 256
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
    const struct elem_rule *rule;
    unsigned depth; /* the parser's depth inside the element */
};

struct sanitizer {
    struct buf out;
    struct buf tmp;  /* one srcset value, or input with bad bytes replaced */
    struct buf url;  /* one URL, cleaned */
    struct buf vals; /* fast path: one start tag's attribute values */
    char *base;      /* normalized http(s) base URL, or NULL; owned */
    size_t base_len; /* of base without its fragment */
    htmlParserCtxtPtr ctxt;
    unsigned depth; /* elements the parser has open */
    unsigned skip;  /* depth of the dropped element being skipped, or 0 */
    bool wrapper_seen;
    bool stopped; /* the parser was told to stop: ignore what follows */
    int err;      /* why it was stopped, 0 for the depth limit */
    struct open_elem open[DEPTH_MAX];
    size_t n_open;
    bool substance; /* non-blank text or a media element was written */
};

/* Binary search in a table sorted by name whose rows start with the name
 * (elem_rule, attr_rule); the first byte settles most comparisons. */
static const void *lookup(const char *name, const void *table, size_t n, size_t size)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const void *row = (const char *)table + mid * size;
        const char *key = *(const char *const *)row;
        int c = (unsigned char)name[0] - (unsigned char)key[0];

        if (c == 0)
            c = strcmp(name, key);
        if (c == 0)
            return row;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const struct elem_rule *find_elem(const char *name)
{
    return lookup(name, elems, sizeof(elems) / sizeof(elems[0]), sizeof(elems[0]));
}

static const struct attr_rule *find_attr(const struct elem_rule *el, const char *name)
{
    const struct attr_rule *a = NULL;

    if (el->flags & EL_BARE)
        return NULL;
    if (el->attrs)
        a = lookup(name, el->attrs, el->n_attrs, sizeof(*a));
    if (!a)
        a = lookup(name, global_attrs, sizeof(global_attrs) / sizeof(global_attrs[0]), sizeof(*a));
    return a;
}

/* The name an element is known by: the part after the first colon, as in
 * libxml2's tree builder (xmlSplitQName), so <o:p> is a p and <x:script>
 * a script; ":p" and "p:" stay as they are. */
static const char *local_name(const char *name)
{
    const char *colon = name[0] == ':' ? NULL : strchr(name, ':');

    return colon && colon[1] ? colon + 1 : name;
}

/* buf_append() with its common case inline: room enough already. Keeps
 * struct buf's invariants (len < cap <= max + 1, NUL-terminated); an
 * empty or failed buffer (cap 0) takes the buf_append() path. */
static inline void put(struct buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        buf_append(b, p, n);
    }
}

static inline void put_str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Bit 7 set in some byte of the result when some byte of w is below n
 * (n <= 0x80), or equal to c. No false alarms when there is no match. */
static inline uint64_t any_below(uint64_t w, unsigned n)
{
    return (w - n * ONES) & ~w & HIGHS;
}

static inline uint64_t any_equal(uint64_t w, unsigned char c)
{
    return any_below(w ^ (c * ONES), 1);
}

/* Length of the prefix of p[0..n) with no byte below 0x20 and none equal
 * to a, b, c or d (repeat one to ask for fewer): 16 bytes at a time with
 * SSE2, else 8 with the word tricks above (which may flag a byte after
 * the first match, never one before it: the byte loop finds the first). */
static inline size_t span_plain(const unsigned char *p, size_t n, unsigned char a, unsigned char b,
                                unsigned char c, unsigned char d)
{
    size_t i = 0;

#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    const __m128i vc = _mm_set1_epi8((char)c), vd = _mm_set1_epi8((char)d);
    const __m128i c0 = _mm_set1_epi8(0x1F), zero = _mm_setzero_si128();

    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd)));
        /* v - 0x1F saturates to 0 exactly for the bytes up to 0x1F */
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_subs_epu8(v, c0), zero)));

        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#else
    for (; n - i >= 8; i += 8) {
        uint64_t w;

        memcpy(&w, p + i, 8);
        if (any_below(w, 0x20) | any_equal(w, a) | any_equal(w, b) | any_equal(w, c) |
            any_equal(w, d))
            break;
    }
#endif
    while (i < n && p[i] >= 0x20 && p[i] != a && p[i] != b && p[i] != c && p[i] != d)
        i++;
    return i;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. U+FFFE
 * and U+FFFF are refused too: XML 1.0 does not allow them. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;

    if (s[0] - 1u < 0x7Fu)
        return 1; /* ASCII but NUL, without a call */
    len = utf8_decode(s, n, &cp);

    /* Also refused here: NUL and the noncharacters U+FFFE and U+FFFF. */
    if (!len || cp == 0 || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

/* Length of the longest prefix of s (n bytes) that utf8_seq() accepts in
 * full. ASCII runs without NUL, the common case, are taken at once. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t len;

        i += utf8_ascii_prefix(s + i, n - i, 1);
        if (i == n)
            break;
        if (s[i] >= 0xC2 && s[i] <= 0xDF && n - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            i += 2; /* U+0080..U+07FF, without a call */
            continue;
        }
        len = utf8_seq(s + i, n - i);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

/* Appends html to b with every byte that does not start a valid sequence
 * replaced by U+FFFD (one per byte). */
static int clean_utf8(struct buf *b, const char *html, size_t len)
{
    const unsigned char *s = (const unsigned char *)html;
    size_t i = 0;

    for (;;) {
        size_t n = utf8_valid_prefix(s + i, len - i);

        buf_append(b, s + i, n);
        i += n;
        if (i == len)
            break;
        buf_append(b, "\xEF\xBF\xBD", 3);
        i++;
    }
    return b->err;
}

/* What put_escaped() does with a byte. */
enum esc {
    ESC_NONE,
    ESC_AMP,
    ESC_LT,
    ESC_GT,
    ESC_QUOT, /* in attribute values only */
    ESC_DROP, /* C0 controls but tab, LF and CR: XML 1.0 forbids them */
};

static const unsigned char esc_class[256] = {
    [0x00] = ESC_DROP, [0x01] = ESC_DROP, [0x02] = ESC_DROP, [0x03] = ESC_DROP, [0x04] = ESC_DROP,
    [0x05] = ESC_DROP, [0x06] = ESC_DROP, [0x07] = ESC_DROP, [0x08] = ESC_DROP, [0x0B] = ESC_DROP,
    [0x0C] = ESC_DROP, [0x0E] = ESC_DROP, [0x0F] = ESC_DROP, [0x10] = ESC_DROP, [0x11] = ESC_DROP,
    [0x12] = ESC_DROP, [0x13] = ESC_DROP, [0x14] = ESC_DROP, [0x15] = ESC_DROP, [0x16] = ESC_DROP,
    [0x17] = ESC_DROP, [0x18] = ESC_DROP, [0x19] = ESC_DROP, [0x1A] = ESC_DROP, [0x1B] = ESC_DROP,
    [0x1C] = ESC_DROP, [0x1D] = ESC_DROP, [0x1E] = ESC_DROP, [0x1F] = ESC_DROP, ['&'] = ESC_AMP,
    ['<'] = ESC_LT,    ['>'] = ESC_GT,    ['"'] = ESC_QUOT,
};

static const struct slice esc_text[] = {
    [ESC_AMP] = {"&amp;", 5},   [ESC_LT] = {"&lt;", 4}, [ESC_GT] = {"&gt;", 4},
    [ESC_QUOT] = {"&quot;", 6}, [ESC_DROP] = {"", 0},
};

/* Escapes &, <, > (and " in attribute values) in the n bytes at s;
 * drops the C0 controls that XML 1.0 forbids. Runs with nothing to
 * change are skipped at once (span_plain()). */
static void put_escaped(struct buf *b, const char *s, size_t n, bool attr)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;

    while (p < end) {
        unsigned k;

        p += span_plain(p, (size_t)(end - p), '&', '<', '>', attr ? '"' : '&');
        if (p == end)
            break;
        k = esc_class[*p];
        if (k != ESC_NONE && (k != ESC_QUOT || attr)) {
            put(b, run, (size_t)(p - run));
            put(b, esc_text[k].p, esc_text[k].len);
            run = p + 1;
        }
        p++;
    }
    put(b, run, (size_t)(p - run));
}

/* True when the n bytes at s have something besides white space, U+00A0
 * and the C0 controls put_escaped() drops. */
static bool has_substance(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\xC2' && i + 1 < n && s[i + 1] == '\xA0')
            i++;
        else if ((unsigned char)s[i] > 0x20)
            return true;
    }
    return false;
}

static void put_text(struct sanitizer *s, const char *text, size_t n)
{
    put_escaped(&s->out, text, n, false);
    if (!s->substance)
        s->substance = has_substance(text, n);
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
    size_t run = 0;

    buf_reset(b);
    while (n && (unsigned char)*s <= 0x20) {
        s++;
        n--;
    }
    while (n && (unsigned char)s[n - 1] <= 0x20)
        n--;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] > 0x20 && s[i] != 0x7f)
            continue;
        buf_append(b, s + run, i - run);
        if (s[i] == ' ')
            buf_append(b, "%20", 3); /* what browsers send; curl refuses spaces */
        run = i + 1;
    }
    return buf_append(b, s + run, n - run);
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

/* What check_url() decided. */
enum url_verdict {
    URL_DROP,     /* the attribute (or srcset candidate) goes */
    URL_AS_IS,    /* kept as cleaned */
    URL_ON_BASE,  /* "#x": appended to the base without its fragment */
    URL_RESOLVED, /* replaced by the resolved URL */
};

/* Decides what replaces url (cleaned, NUL-terminated): returns a verdict
 * and for URL_RESOLVED a malloc'ed URL in *ret_abs; or -ENOMEM. */
static int check_url(const struct sanitizer *s, const char *url, unsigned flags, char **ret_abs)
{
    size_t sl = scheme_len(url);
    char *abs = NULL;
    int r;

    if (!*url || (sl && !scheme_allowed(url, sl, flags)))
        return URL_DROP;
    if ((sl && !is_http_scheme(url, sl)) || (!sl && !s->base))
        return URL_AS_IS;
    if (!sl && url[0] == '#')
        return URL_ON_BASE; /* curl 7.88 resolves "#x" against the base's directory */
    if (sl && url_is_plain_absolute(url))
        return URL_AS_IS; /* url_resolve() would copy it as it is */
    r = url_resolve(sl ? NULL : s->base, url, &abs);
    if (r == -ENOMEM)
        return r;
    if (r < 0 || !is_http(abs)) {
        free(abs);
        return URL_DROP;
    }
    *ret_abs = abs;
    return URL_RESOLVED;
}

/* Appends the URL a verdict other than URL_DROP keeps, escaped or not. */
static void put_url(const struct sanitizer *s, struct buf *b, int verdict, const struct buf *url,
                    const char *abs, bool escape)
{
    struct slice p[2] = {{url->data, url->len}, {"", 0}};

    if (verdict == URL_ON_BASE) {
        p[1] = p[0];
        p[0] = (struct slice){s->base, s->base_len};
    } else if (verdict == URL_RESOLVED) {
        p[0] = (struct slice){abs, strlen(abs)};
    }
    for (size_t i = 0; i < 2; i++) {
        if (escape)
            put_escaped(b, p[i].p, p[i].len, true);
        else
            put(b, p[i].p, p[i].len);
    }
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

/* One srcset candidate: appends "url[ descriptor]" to s->tmp when both
 * pass. */
static int put_candidate(struct sanitizer *s, struct slice url, struct slice desc)
{
    char *abs = NULL;
    int r;

    while (desc.len && is_url_space(desc.p[desc.len - 1]))
        desc.len--;
    if (!valid_descriptor(desc.p, desc.len))
        return 0;
    r = clean_url(&s->url, url.p, url.len);
    if (r == 0)
        r = check_url(s, s->url.data, 0, &abs);
    if (r > URL_DROP) {
        if (s->tmp.len)
            put(&s->tmp, ", ", 2);
        put_url(s, &s->tmp, r, &s->url, abs, false);
        if (desc.len) {
            put(&s->tmp, " ", 1);
            put(&s->tmp, desc.p, desc.len);
        }
    }
    free(abs);
    return r < 0 ? r : s->tmp.err;
}

/* Splits srcset into candidates (into s->tmp) as the HTML standard does:
 * a URL is a run of non-space characters (trailing commas end the
 * candidate), then an optional descriptor up to the next comma. */
static int put_srcset(struct sanitizer *s, const char *v)
{
    buf_reset(&s->tmp);
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
        r = put_candidate(s, url, desc);
        if (r < 0)
            return r;
    }
    return s->tmp.err;
}

static void put_attr_name(struct sanitizer *s, const struct attr_rule *rule)
{
    put(&s->out, " ", 1);
    put_str(&s->out, rule->name);
    put(&s->out, "=\"", 2);
}

/* Writes ` name="value"` for one allowed attribute (value NULL when it
 * had none, as in <video controls>), when its value passes the rule. */
static int put_attr(struct sanitizer *s, const struct attr_rule *rule, const char *value)
{
    char *abs = NULL;
    int r = 0;

    if (!value)
        value = "";
    switch (rule->kind) {
    case ATTR_TEXT:
        put_attr_name(s, rule);
        put_escaped(&s->out, value, strlen(value), true);
        put(&s->out, "\"", 1);
        break;
    case ATTR_URL:
        r = clean_url(&s->url, value, strlen(value));
        if (r == 0)
            r = check_url(s, s->url.data, rule->url_flags, &abs);
        if (r > URL_DROP) {
            put_attr_name(s, rule);
            put_url(s, &s->out, r, &s->url, abs, true);
            put(&s->out, "\"", 1);
        }
        free(abs);
        break;
    case ATTR_SRCSET:
        r = put_srcset(s, value);
        if (r == 0 && s->tmp.len) {
            put_attr_name(s, rule);
            put_escaped(&s->out, s->tmp.data, s->tmp.len, true);
            put(&s->out, "\"", 1);
        }
        break;
    }
    return r < 0 ? r : s->out.err;
}

static int put_start_tag(struct sanitizer *s, const struct elem_rule *el, const xmlChar **atts)
{
    put(&s->out, "<", 1);
    put_str(&s->out, el->name);
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const struct attr_rule *rule = find_attr(el, (const char *)atts[i]);
        int r;

        if (!rule)
            continue;
        r = put_attr(s, rule, (const char *)atts[i + 1]);
        if (r < 0)
            return r;
    }
    if (el->flags & EL_LINK)
        put_str(&s->out, " rel=\"noopener noreferrer\"");
    put(&s->out, ">", 1);
    if (el->flags & EL_MEDIA)
        s->substance = true;
    return s->out.err;
}

static void put_end_tag(struct sanitizer *s)
{
    const char *name = s->open[--s->n_open].rule->name;

    put(&s->out, "</", 2);
    put_str(&s->out, name);
    put(&s->out, ">", 1);
}

/* Tells the parser to stop (from a callback): err < 0 fails the call, 0
 * keeps what was written so far. */
static void stop(struct sanitizer *s, int err)
{
    s->stopped = true;
    s->err = err;
    xmlStopParser(s->ctxt);
}

/* SAX startElement: atts holds name, value pairs (value NULL for a bare
 * attribute), NULL-terminated, or is NULL. */
static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    struct sanitizer *s = ctx;
    const struct elem_rule *el;
    int r;

    if (s->stopped)
        return;
    if (s->depth > PARSER_DEPTH_MAX) {
        stop(s, 0);
        return;
    }
    s->depth++;
    if (s->skip)
        return;
    if (!s->wrapper_seen) {
        s->wrapper_seen = true; /* the input starts with it */
        return;
    }
    el = find_elem(local_name((const char *)name));
    if (el && (el->flags & EL_DROP)) {
        s->skip = s->depth;
        return;
    }
    if (!el || (!(el->flags & EL_VOID) && s->n_open == DEPTH_MAX))
        return; /* unknown or too deep: children only */
    r = put_start_tag(s, el, atts);
    if (r < 0) {
        stop(s, r);
        return;
    }
    if (!(el->flags & EL_VOID))
        s->open[s->n_open++] = (struct open_elem){el, s->depth};
}

/* SAX endElement: one for every startElement, innermost first. */
static void on_end(void *ctx, const xmlChar *name)
{
    struct sanitizer *s = ctx;

    if (s->stopped || s->depth == 0)
        return;
    if (s->skip == s->depth)
        s->skip = 0;
    else if (s->n_open && s->open[s->n_open - 1].depth == s->depth)
        put_end_tag(s);
    s->depth--;
}

/* SAX characters and cdataBlock. Text outside every element (white space
 * after a stray </div> closed the wrapper) has no place to go. */
static void on_text(void *ctx, const xmlChar *text, int len)
{
    struct sanitizer *s = ctx;

    if (s->stopped || s->skip || s->depth == 0)
        return;
    put_text(s, (const char *)text, (size_t)len);
    if (s->out.err)
        stop(s, s->out.err);
}

static void silent(void *user, xmlErrorPtr e)
{
}

/* Only what builds the output; comments and processing instructions have
 * no callback and go. */
static const htmlSAXHandler sax_handler = {
    .startElement = on_start,
    .endElement = on_end,
    .characters = on_text,
    .cdataBlock = on_text,
    .initialized = XML_SAX2_MAGIC, /* for serror; the HTML parser calls no SAX2 callback */
    .serror = silent,
};

static int parse(struct sanitizer *s, const char *html, size_t len)
{
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD | HTML_PARSE_NOIMPLIED |
                     HTML_PARSE_IGNORE_ENC;
    htmlParserCtxtPtr ctxt;
    int r;

    xmlInitParser();
    ctxt = htmlCreateMemoryParserCtxt(html, (int)len);
    if (!ctxt)
        return -ENOMEM;
    *ctxt->sax = sax_handler; /* per context: nothing reaches stderr */
    ctxt->userData = s;
    htmlCtxtUseOptions(ctxt, opts);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8); /* no conversion, and no guessing */
    s->ctxt = ctxt;
    htmlParseDocument(ctxt);
    r = s->err;
    if (r == 0 && ctxt->errNo == XML_ERR_NO_MEMORY)
        r = -ENOMEM;
    s->ctxt = NULL;
    htmlFreeParserCtxt(ctxt);
    while (r == 0 && s->n_open)
        put_end_tag(s); /* left open when the depth limit stopped the parser */
    return r < 0 ? r : s->out.err;
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

/* Text without '<' and '&' is what the parser would pass on as it is:
 * escaped straight from the input unless it has bytes to replace. */
static int sanitize_text(struct sanitizer *s, const char *text, size_t len)
{
    if (utf8_valid_prefix((const unsigned char *)text, len) != len) {
        int r = clean_utf8(&s->tmp, text, len);

        if (r < 0)
            return r;
        text = s->tmp.data;
        len = s->tmp.len;
    }
    put_text(s, text, len);
    return s->out.err;
}

/* ---- fast path ------------------------------------------------------------------ */

/* Most feeds' HTML is tidy: lowercase or uppercase tags from the allowlist,
 * properly nested, quoted attributes, a few entities. fast_sanitize()
 * reads such input in one pass and writes what the parser path above
 * would write, through the same functions (put_text, put_start_tag,
 * put_attr, put_end_tag): the allowlist, the URL checks and the escaping
 * are shared, only the tokenizing differs. It declines (FAST_DECLINE) the
 * moment the input leaves the subset whose parse it can predict exactly,
 * and sanitize_markup() then starts over on the parser path. The subset,
 * as libxml2 2.9.14's HTML parser reads it:
 *   - valid UTF-8 (what clean_utf8() leaves as it is), no C0 control but
 *     tab and LF anywhere (no CR: libxml2 passes it on, browsers do not);
 *   - text without '<'; '&' only in a complete reference: "&#N;" or
 *     "&#xH;" of a character XML allows (htmlParseCharRef), or "&name;"
 *     that htmlEntityLookup() knows (htmlParseEntityRef) -- decoded as
 *     libxml2 decodes them;
 *   - start tags "<name" (letters and digits, either case, an allowlisted
 *     element that is not dropped) then attributes, each after white
 *     space: name (letters, digits, '-'), bare or ="..." or ='...'; no
 *     attribute twice; then ">" or "/>";
 *   - a start tag never auto-closes the open element (htmlAutoClose(): the
 *     table libxml2 consults, read once through htmlAutoCloseTag(), and by
 *     a probe parse for an element inside itself); "/>" and libxml2's
 *     empty elements (br, img, hr, col) close at once, like the parser
 *     does; our other void elements (source, track, wbr) must use "/>";
 *   - end tags "</name>" close the innermost open element, nothing else;
 *     everything is closed at the end; at most FAST_DEPTH_MAX levels;
 *   - no comments, processing instructions, doctypes or CDATA ("<!",
 *     "<?" and any other '<' decline).
 * Equality with the parser path is what makes it safe; the unit tests
 * (test_sanitize.c) and fuzz/fuzz_sanitize.c compare the two on every
 * input the fast path accepts. */

#define N_ELEMS            (sizeof(elems) / sizeof(elems[0]))
#define FAST_DECLINE       1
#define FAST_DEPTH_MAX     48 /* below DEPTH_MAX: nothing is ever flattened */
#define FAST_NAME_MAX      15
#define FAST_ATTR_NAME_MAX 31
#define FAST_ATTRS_MAX     16

/* What libxml2's HTML parser does with the elements of elems[], learnt
 * from libxml2 itself once per process (lx_init()). */
static struct {
    bool ok;                                /* the probes ran */
    bool empty[N_ELEMS];                    /* htmlTagLookup()->empty: closed at once */
    unsigned char closes[N_ELEMS][N_ELEMS]; /* a start tag [new] closes the open [old] */
} lx;
static pthread_once_t lx_once = PTHREAD_ONCE_INIT;

struct probe {
    int starts;
    bool closed; /* the first element inside the wrapper ended before the next start */
};

static void probe_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    ((struct probe *)ctx)->starts++;
}

static void probe_end(void *ctx, const xmlChar *name)
{
    struct probe *p = ctx;

    if (p->starts == 2)
        p->closed = true;
}

/* Whether "<name>" closes an open <name> (htmlAutoCloseTag() cannot say:
 * it treats equal names as no closing): parses "<div><name><name>". */
static int probe_self_close(const char *name, bool *ret)
{
    static const htmlSAXHandler sax = {
        .startElement = probe_start,
        .endElement = probe_end,
        .initialized = XML_SAX2_MAGIC,
        .serror = silent,
    };
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD | HTML_PARSE_NOIMPLIED |
                     HTML_PARSE_IGNORE_ENC;
    struct probe p = {0};
    char in[64];
    htmlParserCtxtPtr ctxt;
    int n = snprintf(in, sizeof(in), "<div><%s><%s>", name, name);

    ctxt = htmlCreateMemoryParserCtxt(in, n);
    if (!ctxt)
        return -ENOMEM;
    *ctxt->sax = sax;
    ctxt->userData = &p;
    htmlCtxtUseOptions(ctxt, opts);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    htmlParseDocument(ctxt);
    htmlFreeParserCtxt(ctxt);
    *ret = p.closed;
    return 0;
}

static void lx_init(void)
{
    xmlInitParser();
    for (size_t i = 0; i < N_ELEMS; i++) {
        const htmlElemDesc *d = htmlTagLookup((const xmlChar *)elems[i].name);
        xmlNode fake = {.type = XML_ELEMENT_NODE, .name = (const xmlChar *)elems[i].name};
        bool self = false;

        lx.empty[i] = d && d->empty;
        for (size_t j = 0; j < N_ELEMS; j++) {
            if (j != i)
                lx.closes[i][j] = htmlAutoCloseTag(NULL, (const xmlChar *)elems[j].name, &fake);
        }
        if (probe_self_close(elems[i].name, &self) < 0)
            return; /* lx.ok stays false: the fast path stays off */
        lx.closes[i][i] = self;
    }
    lx.ok = true;
}

struct fast {
    struct sanitizer *s;
    const char *p, *end;
    unsigned char stack[FAST_DEPTH_MAX]; /* elems[] rows open, [0] the wrapper <div> */
    size_t depth;
};

static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* A character libxml2's HTML parser passes on from a reference (IS_CHAR),
 * CR aside. */
static bool fast_char_ok(uint32_t v)
{
    return v == 0x9 || v == 0xA || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) ||
           (v >= 0x10000 && v <= 0x10FFFF);
}

static size_t put_utf8(char *u, uint32_t c)
{
    if (c < 0x80) {
        u[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | (c >> 18));
    u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    u[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The reference at p ('&') decoded into u (4 bytes at most, length in
 * *ret_n); returns its length in the input, 0 when it is not one the
 * fast path takes. */
static size_t fast_reference(const char *p, const char *end, char *u, size_t *ret_n)
{
    const char *q = p + 1;
    uint32_t v = 0;

    if (q < end && *q == '#') {
        bool hex = ++q < end && (*q == 'x' || *q == 'X');
        const char *digits = q += hex;
        int d;

        while (q < end && q - digits < 8 && (d = hex ? hex_value(*q) : *q - '0') >= 0 && d < 16 &&
               (hex || d < 10)) {
            v = v * (hex ? 16 : 10) + (uint32_t)d;
            q++;
        }
        if (q == digits || q >= end || *q != ';' || q - digits > (hex ? 6 : 7))
            return 0;
    } else {
        char name[32];
        size_t n = 0;
        const htmlEntityDesc *d;

        while (q < end && n < sizeof(name) - 1 && (is_alpha(*q) || is_digit(*q)))
            name[n++] = *q++;
        if (n == 0 || !is_alpha(name[0]) || q >= end || *q != ';')
            return 0;
        name[n] = '\0';
        d = htmlEntityLookup((const xmlChar *)name);
        if (!d)
            return 0;
        v = d->value;
    }
    if (!fast_char_ok(v))
        return 0;
    *ret_n = put_utf8(u, v);
    return (size_t)(q + 1 - p);
}

/* Bytes that end a run of text: '<', '&' and the C0 controls but tab and
 * LF (NUL included). */
static const unsigned char text_stop[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
    [0x08] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1, [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1,
    [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
    [0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['<'] = 1,  ['&'] = 1,
};

/* put_text() for a run fast_text() found: no '<', '&' or C0 control but
 * tab and LF, so '>' is all put_escaped() would change. */
static void fast_put_text(struct sanitizer *s, const char *p, size_t n)
{
    const char *end = p + n, *q = p;

    while (q < end) {
        const char *gt = memchr(q, '>', (size_t)(end - q));

        if (!gt) {
            put(&s->out, q, (size_t)(end - q));
            break;
        }
        put(&s->out, q, (size_t)(gt - q));
        put(&s->out, "&gt;", 4);
        q = gt + 1;
    }
    if (!s->substance)
        s->substance = has_substance(p, n);
}

static int fast_text(struct fast *f)
{
    const char *q = f->p;

    for (;;) {
        q += span_plain((const unsigned char *)q, (size_t)(f->end - q), '<', '&', '<', '<');
        if (q == f->end || text_stop[(unsigned char)*q])
            break;
        q++; /* tab or LF */
    }
    if (q < f->end && *q != '<' && *q != '&')
        return FAST_DECLINE;
    fast_put_text(f->s, f->p, (size_t)(q - f->p));
    f->p = q;
    return 0;
}

static int fast_ref(struct fast *f)
{
    char u[4];
    size_t n = 0, len = fast_reference(f->p, f->end, u, &n);

    if (!len)
        return FAST_DECLINE;
    put_text(f->s, u, n);
    f->p += len;
    return 0;
}

/* A name at *pp: letters and digits (and '-' when dash), either case,
 * lowercased into name; its length, 0 when there is none or it is too
 * long. */
static size_t fast_name(const char **pp, const char *end, char *name, size_t max, bool dash)
{
    const char *q = *pp;
    size_t n = 0;

    if (q >= end || !is_alpha(*q))
        return 0;
    while (q < end && (is_alpha(*q) || is_digit(*q) || (dash && *q == '-'))) {
        if (n == max)
            return 0;
        name[n++] = lower(*q++);
    }
    name[n] = '\0';
    *pp = q;
    return n;
}

static bool is_tag_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* An attribute value [p, q) decoded as htmlParseHTMLAttribute() does, as
 * a NUL-terminated string appended to s->vals. */
static int fast_value(struct sanitizer *s, const char *p, const char *q)
{
    while (p < q) {
        const char *amp = memchr(p, '&', (size_t)(q - p));
        const char *stop = amp ? amp : q;
        char u[4];
        size_t n = 0, len;

        for (const char *c = p; c < stop; c++) {
            if (text_stop[(unsigned char)*c])
                return FAST_DECLINE; /* a C0 control */
        }
        put(&s->vals, p, (size_t)(stop - p));
        if (!amp)
            break;
        len = fast_reference(amp, q, u, &n);
        if (!len)
            return FAST_DECLINE;
        put(&s->vals, u, n);
        p = amp + len;
    }
    put(&s->vals, "", 1);
    return s->vals.err ? FAST_DECLINE : 0;
}

struct fast_attr {
    char name[FAST_ATTR_NAME_MAX + 1];
    size_t value; /* offset in s->vals, or SIZE_MAX for none */
    bool kept;
};

/* The attributes of a start tag, from f->p (after the name) to its end
 * (">" or "/>", *ret_self for the latter). */
static int fast_attrs(struct fast *f, const struct elem_rule *el, struct fast_attr *a,
                      size_t *ret_n, bool *ret_self)
{
    const char *q = f->p, *end = f->end;
    size_t n = 0;

    for (;;) {
        const char *start = q;

        while (q < end && is_tag_blank(*q))
            q++;
        if (q < end && *q == '>') {
            *ret_self = false;
            q++;
            break;
        }
        if (end - q >= 2 && q[0] == '/' && q[1] == '>') {
            *ret_self = true;
            q += 2;
            break;
        }
        if (q == start || n == FAST_ATTRS_MAX ||
            !fast_name(&q, end, a[n].name, FAST_ATTR_NAME_MAX, true))
            return FAST_DECLINE;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(a[i].name, a[n].name) == 0)
                return FAST_DECLINE; /* libxml2 keeps the first: leave it to the parser */
        }
        a[n].kept = find_attr(el, a[n].name) != NULL;
        a[n].value = SIZE_MAX;
        if (q < end && *q == '=') {
            const char *close;

            if (++q >= end || (*q != '"' && *q != '\''))
                return FAST_DECLINE;
            close = memchr(q + 1, *q, (size_t)(end - q - 1));
            if (!close)
                return FAST_DECLINE;
            if (a[n].kept) {
                a[n].value = f->s->vals.len;
                if (fast_value(f->s, q + 1, close))
                    return FAST_DECLINE;
            }
            q = close + 1;
        } else {
            const char *r = q;

            while (r < end && is_tag_blank(*r))
                r++;
            if (r >= end || *r == '=' || (r == q && *r != '>' && *r != '/'))
                return FAST_DECLINE;
        }
        n++;
    }
    f->p = q;
    *ret_n = n;
    return 0;
}

/* Writes the start tag (and, for an element closed at once, its end). */
static int fast_start_tag(struct fast *f)
{
    struct sanitizer *s = f->s;
    struct fast_attr a[FAST_ATTRS_MAX];
    const xmlChar *atts[2 * FAST_ATTRS_MAX + 1];
    const struct elem_rule *el;
    char name[FAST_NAME_MAX + 1];
    size_t row, n = 0, k = 0;
    bool self = false;
    int r;

    f->p++;
    if (!fast_name(&f->p, f->end, name, FAST_NAME_MAX, false))
        return FAST_DECLINE;
    el = find_elem(name);
    if (!el || (el->flags & EL_DROP))
        return FAST_DECLINE;
    row = (size_t)(el - elems);
    if (lx.closes[row][f->stack[f->depth - 1]])
        return FAST_DECLINE;
    buf_reset(&s->vals);
    if (fast_attrs(f, el, a, &n, &self))
        return FAST_DECLINE;
    for (size_t i = 0; i < n; i++) {
        if (!a[i].kept)
            continue;
        atts[k++] = (const xmlChar *)a[i].name;
        atts[k++] = a[i].value == SIZE_MAX ? NULL : (const xmlChar *)s->vals.data + a[i].value;
    }
    atts[k] = NULL;
    if (!(self || lx.empty[row]) && (el->flags & EL_VOID))
        return FAST_DECLINE; /* libxml2 would keep it open */
    r = put_start_tag(s, el, k ? atts : NULL);
    if (r < 0)
        return FAST_DECLINE;
    if (el->flags & EL_VOID)
        return 0;
    s->open[s->n_open++] = (struct open_elem){el, (unsigned)f->depth + 1};
    if (self || lx.empty[row]) {
        put_end_tag(s);
        return 0;
    }
    if (f->depth == FAST_DEPTH_MAX)
        return FAST_DECLINE;
    f->stack[f->depth++] = (unsigned char)row;
    return 0;
}

static int fast_end_tag(struct fast *f)
{
    char name[FAST_NAME_MAX + 1];

    f->p += 2;
    if (!fast_name(&f->p, f->end, name, FAST_NAME_MAX, false) || f->p >= f->end || *f->p != '>')
        return FAST_DECLINE;
    f->p++;
    /* Only the innermost open element may end here: one comparison with
     * its name instead of a lookup (names in elems[] are unique). */
    if (f->depth < 2 || strcmp(name, elems[f->stack[f->depth - 1]].name) != 0)
        return FAST_DECLINE;
    f->depth--;
    put_end_tag(f->s);
    return 0;
}

/* 0 when the whole input was written as the parser path would write it,
 * FAST_DECLINE otherwise (s->out then holds part of it). */
static int fast_sanitize(struct sanitizer *s, const char *html, size_t len)
{
    struct fast f = {.s = s, .p = html, .end = html + len, .depth = 1};
    int r = 0;

    pthread_once(&lx_once, lx_init);
    if (!lx.ok || utf8_valid_prefix((const unsigned char *)html, len) != len)
        return FAST_DECLINE;
    if (buf_reserve(&s->out, len + len / 4 + 64) < 0)
        return FAST_DECLINE; /* the output is about as long as the input */
    f.stack[0] = (unsigned char)(find_elem("div") - elems); /* the parser path's wrapper */
    while (r == 0 && f.p < f.end) {
        if (*f.p != '<')
            r = *f.p == '&' ? fast_ref(&f) : fast_text(&f);
        else if (f.end - f.p >= 2 && f.p[1] == '/')
            r = fast_end_tag(&f);
        else if (f.end - f.p >= 2 && is_alpha(f.p[1]))
            r = fast_start_tag(&f);
        else
            r = FAST_DECLINE;
        if (s->out.err)
            r = FAST_DECLINE;
    }
    return r == 0 && f.depth == 1 ? 0 : FAST_DECLINE;
}

/* Forgets what a declined fast pass wrote. */
static void fast_reset(struct sanitizer *s)
{
    buf_reset(&s->out);
    s->n_open = 0;
    s->substance = false;
}

/* The parser path: libxml2's HTML parser over the input, wrapped. */
static int slow_markup(struct sanitizer *s, const char *html, size_t len)
{
    struct buf in;
    int r;

    buf_init(&in, len + 2 * len + sizeof(WRAP_OPEN WRAP_CLOSE)); /* 1 byte -> 3 at most */
    buf_append(&in, WRAP_OPEN, strlen(WRAP_OPEN));
    clean_utf8(&in, html, len);
    r = buf_append(&in, WRAP_CLOSE, strlen(WRAP_CLOSE));
    if (r == 0)
        r = parse(s, in.data, in.len);
    buf_release(&in);
    return r;
}

static int sanitize_markup(struct sanitizer *s, const char *html, size_t len, const char *base,
                           enum sanitize_path path)
{
    int r = set_base(s, base);

    if (r < 0 || path == SANITIZE_SLOW)
        return r < 0 ? r : slow_markup(s, html, len);
    if (fast_sanitize(s, html, len) == 0)
        return 0;
    if (path == SANITIZE_FAST)
        return -ENOTSUP;
    fast_reset(s);
    return slow_markup(s, html, len);
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

int sanitize_html_path(const char *html, size_t len, const char *base, enum sanitize_path path,
                       char **ret)
{
    struct sanitizer s = {0};
    char *out = NULL;
    int r;

    if (len > SANITIZE_MAX)
        return -E2BIG;
    if (!html)
        len = 0;
    if (len >= 3 && memcmp(html, "\xEF\xBB\xBF", 3) == 0) {
        html += 3; /* a BOM */
        len -= 3;
    }
    buf_init(&s.out, OUTPUT_MAX);
    buf_init(&s.tmp, OUTPUT_MAX);
    buf_init(&s.url, OUTPUT_MAX);
    buf_init(&s.vals, OUTPUT_MAX);
    if (len == 0)
        r = 0;
    else if (!memchr(html, '<', len) && !memchr(html, '&', len))
        r = sanitize_text(&s, html, len);
    else
        r = sanitize_markup(&s, html, len, base, path);
    if (r < 0)
        goto out;
    if (s.substance)
        finish(&s, &out);
    *ret = out;
    r = 0;
out:
    free(s.base);
    buf_release(&s.vals);
    buf_release(&s.url);
    buf_release(&s.tmp);
    buf_release(&s.out);
    return r;
}

int sanitize_html(const char *html, size_t len, const char *base, char **ret)
{
    return sanitize_html_path(html, len, base, SANITIZE_AUTO, ret);
}

/* ---- plain text, for notifications -------------------------------------------- */

/* The character an entity at s (after '&') stands for, and its length up
 * to and including ';'; 0 when it is none of those sanitize_html() writes. */
static size_t text_entity(const char *s, uint32_t *ret_cp)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } names[] = {{"amp;", '&'},  {"lt;", '<'},    {"gt;", '>'},
                 {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", ' '}};

    if (*s == '#') {
        char *end;
        unsigned long v =
            s[1] == 'x' || s[1] == 'X' ? strtoul(s + 2, &end, 16) : strtoul(s + 1, &end, 10);
        if (*end != ';' || end == s + 1 || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
            return 0;
        *ret_cp = (uint32_t)v == 0xA0 ? ' ' : (uint32_t)v;
        return (size_t)(end - s) + 1;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i].name);
        if (strncmp(s, names[i].name, n) == 0) {
            *ret_cp = names[i].cp;
            return n;
        }
    }
    return 0;
}

/* True for the tag at s (after '<') of an element that separates words:
 * block elements, line breaks, images and table cells. */
static bool breaks_words(const char *s)
{
    static const char *const names[] = {
        "address", "article", "aside", "blockquote", "br",      "caption", "dd",    "details",
        "div",     "dl",      "dt",    "figcaption", "figure",  "footer",  "h1",    "h2",
        "h3",      "h4",      "h5",    "h6",         "header",  "hr",      "img",   "li",
        "ol",      "p",       "pre",   "section",    "summary", "table",   "tbody", "td",
        "tfoot",   "th",      "thead", "tr",         "ul",      "video",   "audio"};
    size_t n;

    if (*s == '/')
        s++;
    n = strcspn(s, " \t\n\r/>");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
            return true;
    return false;
}

static void put_cp(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, u, n);
}

int sanitize_plain_text(const char *html, size_t max_chars, char **ret)
{
    struct buf b;
    size_t chars = 0, last_space = 0;
    bool space = false, cut = false;
    const char *p = html ? html : "";

    buf_init(&b, 4 * max_chars + 16);
    while (*p && !cut) {
        uint32_t cp;
        size_t n;

        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (breaks_words(p + 1))
                space = true; /* "a<br>b", "</p><p>"; not "un<b>bold</b>ed" */
            p = end ? end + 1 : p + strlen(p);
            continue;
        }
        if (*p == '&' && (n = text_entity(p + 1, &cp)) > 0) {
            p += n + 1;
        } else {
            n = utf8_decode((const unsigned char *)p, 4, &cp);
            if (!n)
                cp = 0xFFFD;
            p += n ? n : 1;
        }
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
            space = true;
            continue;
        }
        if (space && b.len) {
            if (chars + 1 >= max_chars) {
                cut = true;
                break;
            }
            last_space = b.len;
            buf_putc(&b, ' ');
            chars++;
        }
        space = false;
        if (chars >= max_chars) {
            cut = true;
            break;
        }
        put_cp(&b, cp);
        chars++;
    }
    if (cut || (*p && chars >= max_chars)) {
        /* Back to the last word break when it is near (within 20 %). */
        if (last_space && last_space * 5 >= b.len * 4)
            b.len = last_space;
        buf_puts(&b, "\u2026");
    }
    if (!b.data)
        buf_puts(&b, "");
    if (b.err) {
        buf_release(&b);
        return -ENOMEM;
    }
    *ret = buf_steal(&b);
    return 0;
}
