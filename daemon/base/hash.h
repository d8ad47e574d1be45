/* hash: SHA-256 digests (OpenSSL EVP), as lower-case hex.
 * Depends on libc and OpenSSL's libcrypto only.
 */
#ifndef HERALD_BASE_HASH_H
#define HERALD_BASE_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64

struct hash_ctx;

/* Incremental hashing: parts are separated by hash_update_sep() so that
 * ("ab","c") and ("a","bc") differ. Returns NULL on OOM. */
struct hash_ctx *hash_new(void);
void hash_update(struct hash_ctx *h, const void *p, size_t n);
/* Adds a string (NULL counts as absent, distinct from "") and a separator. */
void hash_update_str(struct hash_ctx *h, const char *s);
/* Writes HASH_HEX_LEN hex digits and a NUL to out, and frees h. */
void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN + 1]);

void hash_sha256_hex(const void *p, size_t n, char out[HASH_HEX_LEN + 1]);

#endif
