/* hash: see hash.h. */
#include "base/hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct hash_ctx {
    EVP_MD_CTX *md;
};

struct hash_ctx *hash_new(void)
{
    struct hash_ctx *h = malloc(sizeof(*h));

    if (!h)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->md);
        free(h);
        return NULL;
    }
    return h;
}

void hash_update(struct hash_ctx *h, const void *p, size_t n)
{
    EVP_DigestUpdate(h->md, p, n);
}

void hash_update_str(struct hash_ctx *h, const char *s)
{
    static const unsigned char absent = 0x01, sep = 0x00;

    if (s)
        EVP_DigestUpdate(h->md, s, strlen(s));
    else
        EVP_DigestUpdate(h->md, &absent, 1);
    EVP_DigestUpdate(h->md, &sep, 1);
}

void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_DigestFinal_ex(h->md, md, &n);
    for (unsigned int i = 0; i < n && i < HASH_HEX_LEN / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[HASH_HEX_LEN] = '\0';
    EVP_MD_CTX_free(h->md);
    free(h);
}

void hash_sha256_hex(const void *p, size_t n, char out[HASH_HEX_LEN + 1])
{
    unsigned char md[32];
    static const char hex[] = "0123456789abcdef";

    EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[HASH_HEX_LEN] = '\0';
}
