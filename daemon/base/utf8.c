/* utf8: see utf8.h. */
#include "base/utf8.h"

size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    uint32_t cp;

    if (n == 0)
        return 0;
    if (p[0] < 0x80) {
        len = 1;
        cp = p[0];
        goto out;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2, cp = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3, cp = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0; /* no overlong forms */
    else if (p[0] == 0xED)
        hi = 0x9F; /* no surrogates */
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    for (size_t i = 1; i < len; i++) {
        unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;

        if (i >= n || p[i] < min || p[i] > max)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
out:
    if (ret_cp)
        *ret_cp = cp;
    return len;
}
