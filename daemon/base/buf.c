/* buf: see buf.h. */
#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    *b = (struct buf){.max = max};
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int fail(struct buf *b, int err)
{
    buf_release(b);
    if (!b->err)
        b->err = err;
    return err;
}

static int grow(struct buf *b, size_t need)
{
    size_t cap;
    char *p;

    if (need > b->max)
        return fail(b, -E2BIG);
    if (need + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (!p)
        return fail(b, -ENOMEM);
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_reserve(struct buf *b, size_t n)
{
    if (b->err)
        return b->err;
    if (n > b->max - b->len)
        return fail(b, -E2BIG);
    return grow(b, b->len + n);
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int r;

    if (b->err)
        return b->err;
    if (n > b->max - b->len)
        return fail(b, -E2BIG);
    r = grow(b, b->len + n);
    if (r < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, r;

    if (b->err)
        return b->err;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return fail(b, -EINVAL);
    if ((size_t)n > b->max - b->len)
        return fail(b, -E2BIG);
    r = grow(b, b->len + (size_t)n);
    if (r < 0)
        return r;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

int buf_put_xml(struct buf *b, const char *s)
{
    const char *run = s;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *rep = NULL;

        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                rep = "";
        }
        if (rep) {
            buf_append(b, run, (size_t)(s - run));
            buf_puts(b, rep);
            run = s + 1;
        }
    }
    return buf_append(b, run, (size_t)(s - run));
}

char *buf_steal(struct buf *b)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    *b = (struct buf){.max = b->max};
    return p;
}

int buf_read_file(struct buf *b, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
    char chunk[65536];
    size_t n;
    int r = 0;

    if (!f)
        return -errno;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        r = buf_append(b, chunk, n);
        if (r < 0)
            break;
    }
    if (r == 0 && ferror(f))
        r = -EIO;
    if (f != stdin)
        fclose(f);
    return r;
}

int buf_put_xml_elem(struct buf *b, const char *indent, const char *name, const char *text)
{
    if (!text)
        return b->err;
    buf_printf(b, "%s<%s>", indent, name);
    buf_put_xml(b, text);
    return buf_printf(b, "</%s>\n", name);
}
