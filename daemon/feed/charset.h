/* charset: the bytes of a feed document decoded to clean UTF-8.
 *
 * The encoding is chosen, in order, by a byte-order mark (UTF-8, UTF-16LE,
 * UTF-16BE), by the look of UTF-16 without one ("<" next to a NUL byte),
 * by the charset parameter of the HTTP Content-Type, by the encoding of
 * the XML declaration, else UTF-8 (RFC 7303 section 3). Labels for
 * ISO-8859-1 and US-ASCII mean windows-1252 (what such documents really
 * are, as browsers and feedparser-rs read them); a UTF-16 label on bytes
 * that are not UTF-16 is ignored. windows-1252 and UTF-16 are decoded
 * here; other encodings through iconv.
 *
 * The result is always valid UTF-8 holding only characters XML 1.0
 * allows: in UTF-8 input each byte that is not part of a valid sequence is
 * read as windows-1252; C0 controls other than tab, CR and LF, and
 * U+FFFE/U+FFFF, are removed; undecodable input becomes U+FFFD. Each
 * repair is reported (the first reason, for the bozo message). The BOM is
 * dropped. Depends on libc (iconv) only.
 */
#ifndef HERALD_FEED_CHARSET_H
#define HERALD_FEED_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#define CHARSET_NAME_MAX 40

struct charset_result {
    const char *data; /* UTF-8: the input itself, or out */
    size_t len;
    char *out;                   /* owned copy when the input had to change; else NULL */
    char name[CHARSET_NAME_MAX]; /* encoding read: "utf-8", "windows-1252", "utf-16le"... */
    const char *repair;          /* static text of the first repair, or NULL */
};

/* Decodes len bytes of data. content_type is the HTTP Content-Type (may be
 * NULL). Returns 0 and fills *ret (release with charset_release), or
 * -ENOMEM. */
int charset_decode(const char *data, size_t len, const char *content_type,
                   struct charset_result *ret);
void charset_release(struct charset_result *r);

#endif
