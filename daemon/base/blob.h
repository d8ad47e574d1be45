/* blob: immutable, reference-counted bytes.
 *
 * A published output (a rendered feed with its ETag) is a blob: the
 * publisher swaps a new one in after each store commit while connections
 * still writing the old one hold their own reference. Single-threaded
 * (loop thread) reference counting. Depends on libc only.
 */
#ifndef HERALD_BASE_BLOB_H
#define HERALD_BASE_BLOB_H

#include <stddef.h>

struct blob {
    unsigned refs;
    size_t len;
    char *data;
};

/* Takes ownership of data (malloc'ed, len bytes). Returns NULL on OOM, in
 * which case data is freed. The new blob has one reference. */
struct blob *blob_new(char *data, size_t len);
struct blob *blob_ref(struct blob *b);
/* Drops one reference; NULL is a no-op. */
void blob_unref(struct blob *b);

#endif
