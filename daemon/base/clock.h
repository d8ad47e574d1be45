/* clock: wall-clock time and its RFC 3339 / RFC 1123 renderings.
 * Times are int64_t seconds since the Unix epoch (UTC). Depends on libc.
 */
#ifndef HERALD_BASE_CLOCK_H
#define HERALD_BASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* "No date": a time that was absent or unparseable. */
#define TIME_NONE INT64_MIN

#define CLOCK_RFC3339_LEN 21 /* "2006-01-02T15:04:05Z" + NUL */
#define CLOCK_RFC1123_LEN 30 /* "Mon, 02 Jan 2006 15:04:05 GMT" + NUL */

int64_t clock_now(void);

/* The same in milliseconds. */
int64_t clock_now_ms(void);
/* Milliseconds, monotonic: for durations only. */
int64_t clock_mono_ms(void);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (upper-case T and Z). Returns -ERANGE for
 * years outside 0..9999. */
int clock_format_rfc3339(int64_t t, char out[CLOCK_RFC3339_LEN]);
/* Writes an HTTP-date ("Mon, 02 Jan 2006 15:04:05 GMT"), locale-free. */
int clock_format_rfc1123(int64_t t, char out[CLOCK_RFC1123_LEN]);

#endif
