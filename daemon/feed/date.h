/* date: the date forms found in real feeds, to seconds since the epoch.
 *
 * RFC 822/1123 (with the usual leniencies: missing weekday or seconds,
 * two-digit years, named and numeric zones), RFC 3339 / ISO 8601 (with
 * fractional seconds, lower-case t/z, missing zone taken as UTC).
 * Locale-independent. Depends on base/ only.
 */
#ifndef HERALD_FEED_DATE_H
#define HERALD_FEED_DATE_H

#include <stdint.h>

#include "base/clock.h" /* TIME_NONE */

/* Returns the time, or TIME_NONE when s is NULL or no known form. */
int64_t date_parse(const char *s);

#endif
