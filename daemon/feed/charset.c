/* charset: see charset.h. */
#include "feed/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"

/* windows-1252 0x80-0x9F; 0 where the code page has a hole. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

enum enc {
    ENC_UTF8,
    ENC_UTF16LE,
    ENC_UTF16BE,
    ENC_CP1252,
    ENC_ICONV,
};

struct out {
    char *p;
    size_t len, cap;
    int err;
};

static void out_reserve(struct out *o, size_t n)
{
    char *p;
    size_t cap;

    if (o->err || o->len + n + 1 <= o->cap)
        return;
    cap = o->cap ? o->cap : 256;
    while (cap < o->len + n + 1)
        cap *= 2;
    p = realloc(o->p, cap);
    if (!p) {
        o->err = -ENOMEM;
        return;
    }
    o->p = p;
    o->cap = cap;
}

/* XML 1.0 Char, less the controls: what may be written out. */
static bool xml_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return false;
    return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

static void put_cp(struct out *o, uint32_t cp)
{
    char *p;

    out_reserve(o, 4);
    if (o->err)
        return;
    p = o->p + o->len;
    if (cp < 0x80) {
        p[0] = (char)cp;
        o->len += 1;
    } else if (cp < 0x800) {
        p[0] = (char)(0xC0 | (cp >> 6));
        p[1] = (char)(0x80 | (cp & 0x3F));
        o->len += 2;
    } else if (cp < 0x10000) {
        p[0] = (char)(0xE0 | (cp >> 12));
        p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        o->len += 3;
    } else {
        p[0] = (char)(0xF0 | (cp >> 18));
        p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[3] = (char)(0x80 | (cp & 0x3F));
        o->len += 4;
    }
}

static uint32_t cp1252(unsigned char b)
{
    if (b >= 0x80 && b < 0xA0)
        return cp1252_high[b - 0x80] ? cp1252_high[b - 0x80] : 0xFFFD;
    return b;
}

static void note(struct charset_result *r, const char *why)
{
    if (!r->repair)
        r->repair = why;
}

/* Offset of the first byte that needs a repair, or len. */
static size_t utf8_clean_prefix(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n;

        i += utf8_ascii_prefix(p + i, len - i, 0x20); /* printable ASCII */
        if (i == len)
            break;
        if ((p[i] >= 0x20 && p[i] < 0x80) || p[i] == '\n' || p[i] == '\t' || p[i] == '\r') {
            i++;
            continue;
        }
        if (p[i] >= 0xC2 && p[i] <= 0xDF && len - i >= 2 && (p[i + 1] & 0xC0) == 0x80) {
            i += 2; /* U+0080..U+07FF, all XML characters, without a call */
            continue;
        }
        n = utf8_decode(p + i, len - i, &cp);
        if (!n || !xml_char(cp))
            return i;
        i += n;
    }
    return len;
}

/* UTF-8 with each stray byte read as windows-1252. */
static int decode_utf8(const char *data, size_t len, struct charset_result *r)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = utf8_clean_prefix(p, len);
    struct out o = {0};
    bool cp1252_used = false;

    if (i == len) {
        r->data = data;
        r->len = len;
        return 0;
    }
    out_reserve(&o, len + len / 2 + 16);
    if (!o.err) {
        memcpy(o.p, data, i);
        o.len = i;
    }
    while (i < len && !o.err) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);

        if (!n) {
            cp = cp1252(p[i]);
            n = 1;
            if (!cp1252_used)
                note(r, "bytes that are not UTF-8 were read as windows-1252");
            cp1252_used = true;
        }
        if (xml_char(cp))
            put_cp(&o, cp);
        else
            note(r, "control characters removed");
        i += n;
    }
    if (o.err) {
        free(o.p);
        return o.err;
    }
    if (cp1252_used)
        memcpy(r->name, "windows-1252", sizeof("windows-1252"));
    o.p[o.len] = '\0';
    r->out = o.p;
    r->data = o.p;
    r->len = o.len;
    return 0;
}

static int finish(struct out *o, struct charset_result *r)
{
    if (o->err) {
        free(o->p);
        return o->err;
    }
    out_reserve(o, 1);
    if (o->err) {
        free(o->p);
        return o->err;
    }
    o->p[o->len] = '\0';
    r->out = o->p;
    r->data = o->p;
    r->len = o->len;
    return 0;
}

static void put_checked(struct out *o, struct charset_result *r, uint32_t cp)
{
    if (xml_char(cp))
        put_cp(o, cp);
    else if (cp == 0xFFFD || cp > 0x10FFFF)
        put_cp(o, 0xFFFD);
    else
        note(r, "control characters removed");
}

static int decode_cp1252(const char *data, size_t len, struct charset_result *r)
{
    struct out o = {0};

    out_reserve(&o, len + len / 4 + 16);
    for (size_t i = 0; i < len && !o.err; i++)
        put_checked(&o, r, cp1252((unsigned char)data[i]));
    return finish(&o, r);
}

static int decode_utf16(const char *data, size_t len, bool be, struct charset_result *r)
{
    const unsigned char *p = (const unsigned char *)data;
    struct out o = {0};
    size_t i = 0;

    out_reserve(&o, len + len / 2 + 16);
    while (i + 1 < len && !o.err) {
        uint32_t u = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i + 1] << 8 | p[i]);

        i += 2;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len) {
            uint32_t lo = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i + 1] << 8 | p[i]);

            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) {
            note(r, "invalid UTF-16");
            u = 0xFFFD;
        }
        put_checked(&o, r, u);
    }
    if (i < len)
        note(r, "truncated UTF-16");
    return finish(&o, r);
}

static int decode_iconv(const char *data, size_t len, const char *label, struct charset_result *r)
{
    iconv_t cd = iconv_open("UTF-8", label);
    struct out o = {0};
    char *in = (char *)data;
    size_t left = len;
    int rc;

    if (cd == (iconv_t)-1)
        return -EINVAL;
    out_reserve(&o, len * 2 + 16);
    while (left && !o.err) {
        char *dst = o.p + o.len;
        size_t room = o.cap - o.len - 1;

        if (iconv(cd, &in, &left, &dst, &room) != (size_t)-1) {
            o.len = (size_t)(dst - o.p);
            break;
        }
        o.len = (size_t)(dst - o.p);
        if (errno == E2BIG) {
            out_reserve(&o, o.cap);
        } else {
            /* EILSEQ, or EINVAL at the end: one bad byte. */
            note(r, "bytes invalid in the declared encoding");
            put_cp(&o, 0xFFFD);
            in++;
            left--;
        }
    }
    iconv_close(cd);
    if (o.err) {
        free(o.p);
        return o.err;
    }
    /* iconv's output is UTF-8 but may hold controls: clean it too. */
    out_reserve(&o, 1);
    if (o.err) {
        free(o.p);
        return o.err;
    }
    o.p[o.len] = '\0';
    rc = decode_utf8(o.p, o.len, r);
    if (rc == 0 && r->out)
        free(o.p); /* decode_utf8 copied it */
    else if (rc == 0)
        r->out = o.p;
    else
        free(o.p);
    return rc;
}

/* ---- choosing ------------------------------------------------------------------- */

static void copy_label(char out[CHARSET_NAME_MAX], const char *p, size_t n)
{
    size_t k = 0;

    for (; k < n && k + 1 < CHARSET_NAME_MAX; k++) {
        char c = p[k];

        out[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[k] = '\0';
}

static bool label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

/* The charset parameter of a Content-Type, lower-cased; false if none. */
static bool http_label(const char *ct, char out[CHARSET_NAME_MAX])
{
    const char *p = ct ? strcasestr(ct, "charset=") : NULL;
    size_t n = 0;

    if (!p)
        return false;
    p += 8;
    if (*p == '"' || *p == '\'')
        p++;
    while (label_char(p[n]))
        n++;
    copy_label(out, p, n);
    return n > 0;
}

/* The encoding of an XML declaration at the start of p (after white
 * space), in an ASCII-compatible encoding. */
static bool decl_label(const char *p, size_t len, char out[CHARSET_NAME_MAX])
{
    const char *end, *e;
    size_t n = 0;
    char q;

    while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        len--;
    }
    if (len < 6 || memcmp(p, "<?xml", 5) != 0)
        return false;
    end = memmem(p, len < 512 ? len : 512, "?>", 2);
    if (!end)
        return false;
    e = memmem(p, (size_t)(end - p), "encoding", 8);
    if (!e)
        return false;
    e += 8;
    while (e < end && (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n'))
        e++;
    if (e >= end || *e != '=')
        return false;
    e++;
    while (e < end && (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n'))
        e++;
    if (e >= end || (*e != '"' && *e != '\''))
        return false;
    q = *e++;
    while (e + n < end && e[n] != q && label_char(e[n]))
        n++;
    copy_label(out, e, n);
    return n > 0;
}

static bool label_in(const char *label, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(label, names[i]))
            return true;
    }
    return false;
}

/* What a label means here; ENC_ICONV for anything else. */
static enum enc classify(const char *label)
{
    static const char *const utf8[] = {"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"};
    static const char *const w1252[] = {
        "windows-1252", "cp1252",     "x-cp1252",       "iso-8859-1",
        "iso8859-1",    "iso_8859-1", "latin1",         "latin-1",
        "l1",           "us-ascii",   "ascii",          "iso-ir-100",
        "ibm819",       "cp819",      "ansi_x3.4-1968", "iso_8859-1:1987"};

    if (label_in(label, utf8, sizeof(utf8) / sizeof(utf8[0])))
        return ENC_UTF8;
    if (label_in(label, w1252, sizeof(w1252) / sizeof(w1252[0])))
        return ENC_CP1252;
    if (!strcmp(label, "utf-16le"))
        return ENC_UTF16LE;
    if (!strcmp(label, "utf-16be") || !strcmp(label, "utf-16") || !strcmp(label, "ucs-2"))
        return ENC_UTF16BE;
    return ENC_ICONV;
}

/* UTF-16 without a BOM: "<" (or white space) beside a NUL byte. */
static int sniff_utf16(const unsigned char *p, size_t len)
{
    if (len < 4)
        return -1;
    if (p[0] && p[0] < 0x80 && !p[1] && p[2] && p[2] < 0x80 && !p[3])
        return ENC_UTF16LE;
    if (!p[0] && p[1] && p[1] < 0x80 && !p[2] && p[3] && p[3] < 0x80)
        return ENC_UTF16BE;
    return -1;
}

static void set_name(struct charset_result *r, const char *name)
{
    copy_label(r->name, name, strlen(name));
}

int charset_decode(const char *data, size_t len, const char *content_type, struct charset_result *r)
{
    const unsigned char *p = (const unsigned char *)data;
    char label[CHARSET_NAME_MAX];
    enum enc enc = ENC_UTF8;
    int sniff;

    memset(r, 0, sizeof(*r));
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        set_name(r, "utf-8");
        return decode_utf8(data + 3, len - 3, r);
    }
    if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        set_name(r, p[0] == 0xFE ? "utf-16be" : "utf-16le");
        return decode_utf16(data + 2, len - 2, p[0] == 0xFE, r);
    }
    sniff = sniff_utf16(p, len);
    if (sniff >= 0) {
        set_name(r, sniff == ENC_UTF16BE ? "utf-16be" : "utf-16le");
        return decode_utf16(data, len, sniff == ENC_UTF16BE, r);
    }
    if (!http_label(content_type, label) && !decl_label(data, len, label))
        set_name(r, "utf-8");
    else
        enc = classify(label);
    switch (enc) {
    case ENC_CP1252:
        set_name(r, "windows-1252");
        return decode_cp1252(data, len, r);
    case ENC_UTF16LE:
    case ENC_UTF16BE:
        /* Labelled UTF-16, but the bytes say otherwise (no NULs). */
        note(r, "labelled UTF-16 but not UTF-16: read as UTF-8");
        set_name(r, "utf-8");
        return decode_utf8(data, len, r);
    case ENC_ICONV: {
        int rc = decode_iconv(data, len, label, r);

        if (rc != -EINVAL) {
            set_name(r, label);
            return rc;
        }
        note(r, "unknown encoding: read as UTF-8");
        set_name(r, "utf-8");
        return decode_utf8(data, len, r);
    }
    default:
        set_name(r, "utf-8");
        return decode_utf8(data, len, r);
    }
}

void charset_release(struct charset_result *r)
{
    free(r->out);
    r->out = NULL;
}
