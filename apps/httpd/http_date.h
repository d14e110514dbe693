/*
 * apps/httpd/http_date.h — HTTP dates (RFC 9110 5.6.7) read from request
 * headers: If-Modified-Since, If-Range.
 *
 *   uint64_t t;
 *   if (http_date_parse(v, n, now, &t) == 0)  ...t is unix seconds...
 *
 * Three forms are accepted, as the RFC says a recipient must:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"   (what everyone sends)
 *   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"  (obsolete)
 *   asctime      "Sun Nov  6 08:49:37 1994"        (obsolete; the day
 *                                                  space- or 0-padded)
 * Names are case-sensitive, as HTTP-date is. The weekday must be a
 * weekday's name in the form's spelling but is not checked against the
 * date (as nginx and Go do not). RFC 850's two-digit year is read as the
 * RFC says: the year with those last digits that is not more than 50
 * years after now's (unix seconds). Leap second 60 is read as 59.
 *
 * Returns 0 with *t set, or -1 for anything else (another form, a field
 * out of range, a day the month does not have, a year before 1970, bytes
 * around the date): the caller then ignores the header, as RFC 9110
 * 13.1.3 and 13.1.5 ask. Pure, no allocation; host-tested and fuzzed.
 * Writing a date is http_date (response.h).
 */
#ifndef APPS_HTTPD_HTTP_DATE_H
#define APPS_HTTPD_HTTP_DATE_H

#include <stddef.h>
#include <stdint.h>

int http_date_parse(const char *s, size_t n, uint64_t now, uint64_t *t);

#endif
