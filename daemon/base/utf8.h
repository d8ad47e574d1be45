/* utf8: validation of UTF-8 sequences (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Depends on libc only.
 */
#ifndef HERALD_BASE_UTF8_H
#define HERALD_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1 to 4) of the valid sequence at p, which has n readable bytes
 * (bytes are read in order and a NUL fails any continuation, so a
 * NUL-terminated string may pass n = 4), and its code point in *ret_cp
 * (may be NULL); 0 when the sequence is invalid or truncated. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp);

#endif
