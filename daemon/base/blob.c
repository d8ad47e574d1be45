/* blob: see blob.h. */
#include "base/blob.h"

#include <stdlib.h>

struct blob *blob_new(char *data, size_t len)
{
    struct blob *b = malloc(sizeof(*b));

    if (!b) {
        free(data);
        return NULL;
    }
    *b = (struct blob){.refs = 1, .len = len, .data = data};
    return b;
}

struct blob *blob_ref(struct blob *b)
{
    b->refs++;
    return b;
}

void blob_unref(struct blob *b)
{
    if (!b || --b->refs > 0)
        return;
    free(b->data);
    free(b);
}
