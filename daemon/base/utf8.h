/* utf8: validation of UTF-8 sequences (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Depends on libc only.
 */
#ifndef HERALD_BASE_UTF8_H
#define HERALD_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Length (1 to 4) of the valid sequence at p, which has n readable bytes
 * (bytes are read in order and a NUL fails any continuation, so a
 * NUL-terminated string may pass n = 4), and its code point in *ret_cp
 * (may be NULL); 0 when the sequence is invalid or truncated. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp);

/* Length of the longest prefix of p[0..n) whose bytes all lie in
 * [min, 0x7F] (1 <= min <= 0x7F): the ASCII run a scanner can take
 * without looking at each byte, 16 bytes at a time with SSE2. */
static inline size_t utf8_ascii_prefix(const unsigned char *p, size_t n, unsigned char min)
{
    size_t i = 0;

#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8((char)min);

    /* Signed compare: bytes from 0x80 are negative, so below min too. */
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, lo));

        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && p[i] >= min && p[i] < 0x80)
        i++;
    return i;
}

#endif
