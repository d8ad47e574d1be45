/* buf: one growable byte buffer with a hard size limit.
 *
 * Invariants: data is NULL or NUL-terminated; len < cap; len <= max.
 * An append that would exceed max, or that fails to allocate, frees the
 * buffer and returns -E2BIG or -ENOMEM: after an error the buffer is empty
 * (the model of curl's dynbuf), so callers can append many times and check
 * once. Depends on libc only.
 */
#ifndef HERALD_BASE_BUF_H
#define HERALD_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    int err; /* first error of a series of appends, 0 if none */
};

/* A read-only slice of someone else's bytes. */
struct slice {
    const char *p;
    size_t len;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Makes room for n more bytes (within max, which it does not change) so
 * that appending them allocates nothing; contents unchanged. 0, or -E2BIG
 * / -ENOMEM as buf_append() would fail (the buffer is then freed). */
int buf_reserve(struct buf *b, size_t n);

int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Appends s with &, <, >, " and ' escaped, and characters that XML 1.0
 * forbids (C0 controls but tab, CR, LF) dropped. */
int buf_put_xml(struct buf *b, const char *s);

/* Returns the bytes (caller frees; "" rather than NULL) and empties b. */
char *buf_steal(struct buf *b);
/* INDENT<name>escaped text</name>\n; nothing when text is NULL. */
int buf_put_xml_elem(struct buf *b, const char *indent, const char *name, const char *text);
/* Appends the content of the file at path ("-": standard input). Returns
 * 0, -E2BIG beyond the buffer's limit, -EIO or -errno. */
int buf_read_file(struct buf *b, const char *path);

static inline const char *buf_cstr(const struct buf *b)
{
    return b->data ? b->data : "";
}

#endif
