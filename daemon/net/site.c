/* site: see site.h. */
#include "net/site.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#ifdef HERALD_HAVE_LIBPSL
#include <libpsl.h>
#endif

/* Copies host without brackets, in lower case, without one trailing dot. */
static int normalize(const char *host, char out[SITE_KEY_MAX])
{
    size_t n = strlen(host);

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n > 1 && host[n - 1] == '.')
        n--;
    if (n == 0 || n >= SITE_KEY_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)host[i]);
    out[n] = '\0';
    return 0;
}

bool site_is_ip_literal(const char *host)
{
    char h[SITE_KEY_MAX];
    unsigned char a[sizeof(struct in6_addr)];

    if (normalize(host, h) < 0)
        return false;
    return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

int site_key(const char *host, char out[SITE_KEY_MAX])
{
    char h[SITE_KEY_MAX];
    const char *key = NULL;

    if (normalize(host, h) < 0)
        return -EINVAL;
    if (!site_is_ip_literal(h)) {
#ifdef HERALD_HAVE_LIBPSL
        const psl_ctx_t *psl = psl_builtin();

        if (psl)
            key = psl_registrable_domain(psl, h); /* a pointer into h */
#else
        const char *last = strrchr(h, '.');

        if (last) {
            const char *p = last;

            while (p > h && p[-1] != '.')
                p--;
            key = p;
        }
#endif
    }
    memmove(out, key ? key : h, strlen(key ? key : h) + 1);
    return 0;
}

/* Blocked IPv4 ranges, as {network, prefix length} (REFERENCE.md §1). */
static const struct {
    uint32_t net;
    unsigned len;
} v4_blocked[] = {
    {0x00000000u, 8},  /* 0/8 "this network" */
    {0x0a000000u, 8},  /* 10/8 private */
    {0x64400000u, 10}, /* 100.64/10 shared (CGN) */
    {0x7f000000u, 8},  /* 127/8 loopback */
    {0xa9fe0000u, 16}, /* 169.254/16 link-local, cloud metadata */
    {0xac100000u, 12}, /* 172.16/12 private */
    {0xc0a80000u, 16}, /* 192.168/16 private */
    {0xc6120000u, 15}, /* 198.18/15 benchmarking */
    {0xe0000000u, 4},  /* 224/4 multicast */
    {0xf0000000u, 4},  /* 240/4 reserved, broadcast */
};

static bool v4_is_public(uint32_t a)
{
    for (size_t i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_blocked[i].len);

        if ((a & mask) == v4_blocked[i].net)
            return false;
    }
    return true;
}

static bool v6_is_public(const uint8_t *b)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t zero[12] = {0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

    /* ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, which also covers
     * :: and ::1, as 0.0.0.0 and 0.0.0.1): judge the IPv4 address. */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0)
        return v4_is_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                            b[15]);
    if (memcmp(b, nat64, 12) == 0) /* 64:ff9b::/96 reaches any IPv4 address */
        return false;
    if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
        return false;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
        return false;
    if (b[0] == 0xff) /* ff00::/8 multicast */
        return false;
    return true;
}

bool site_addr_is_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        return v4_is_public(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        return v6_is_public(in6->sin6_addr.s6_addr);
    }
    return false;
}
