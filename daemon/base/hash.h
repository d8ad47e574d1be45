/* hash: SHA-256 digests (OpenSSL EVP), as lower-case hex; change hashes
 * (XXH3-128, libxxhash); HMAC-SHA256 and base64 for webhook signatures.
 * Depends on libc, OpenSSL's libcrypto and libxxhash only.
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

/* Change hashes: XXH3-128 as CHASH_HEX_LEN lower-case hex digits, for
 * telling whether a body or an entry's text is the one seen last time.
 * Not cryptographic: a collision can only hide a change a publisher made
 * to their own document from that document's previous version, and it
 * hashes 10-20 times faster than SHA-256 (every polled byte goes through
 * it). Identifiers that others see (urn:sha256:) use SHA-256. The same
 * separator rules as hash_update_str(). */
#define CHASH_HEX_LEN 32

struct chash;

struct chash *chash_new(void);
void chash_update_str(struct chash *h, const char *s);
void chash_final_hex(struct chash *h, char out[CHASH_HEX_LEN + 1]);
void chash_hex(const void *p, size_t n, char out[CHASH_HEX_LEN + 1]);

#define HASH_HMAC_LEN 32

/* HMAC-SHA256 of the parts (n_parts of them, concatenated) with key.
 * Returns 0, or -EINVAL when OpenSSL fails. */
int hash_hmac_sha256(const void *key, size_t key_len, const void *const *parts, const size_t *lens,
                     size_t n_parts, unsigned char out[HASH_HMAC_LEN]);

/* Standard base64 with padding. base64_encode writes 4 * ((n + 2) / 3)
 * characters and a NUL to out. base64_decode returns the decoded length,
 * or -EINVAL for text that is not base64 (out has room for 3 * (n / 4)). */
#define BASE64_LEN(n) (4 * (((n) + 2) / 3))
void base64_encode(const void *p, size_t n, char *out);
long base64_decode(const char *s, size_t n, unsigned char *out);

#endif
