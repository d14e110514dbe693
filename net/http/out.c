/*
 * net/http/out.c — the output buffer and the parts every response
 * shares (status line, Server, Date, Connection). The contract is in
 * server.h.
 *
 * Numbers are formatted here, not with snprintf: the request path stays
 * clear of newlib's stdio (and of any buffer it might want), and the
 * formatting is a few lines.
 *
 * Date: Unix time is http_sys.epoch_ns (the wall clock at boot, or the
 * app's fallback, see listen.c) plus the uptime, in nanoseconds (rounding
 * each to seconds first could put Date a second early), and the civil
 * date comes from Howard Hinnant's days-to-civil algorithm (integer only,
 * exact for every date after 1970).
 */
#include <string.h>
#include "net/http/server.h"

struct http_sys http_sys;

void out_init(struct out *o, const struct http_io *io, void *c, char *buf,
	      size_t cap, uint64_t write_timeout)
{
	memset(o, 0, sizeof(*o));
	o->io = io;
	o->c = c;
	o->buf = buf;
	o->cap = cap;
	o->write_timeout = write_timeout;
}

/* Write p[0..n) to the connection under a fresh write deadline. */
static void write_through(struct out *o, const void *p, size_t n)
{
	ssize_t w;

	o->io->set_write_deadline(o->c, http_sys.now() + o->write_timeout);
	o->writes++;
	w = o->io->write(o->c, p, n);
	if (w < 0) {
		o->err = (int)w;
		return;
	}
	http_stat_add(&http_stats.bytes_out, n);
}

int out_flush(struct out *o)
{
	if (o->len && !o->err)
		write_through(o, o->buf, o->len);
	o->len = 0;
	return o->err;
}

/* out_mem when p[0..n) does not fit the buffer as it is (or an error is
 * kept): what fits, a write, the rest or straight from p. */
void out_mem_slow(struct out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n && !o->err) {
		size_t k = o->cap - o->len;

		if (o->len == 0 && n >= o->cap) {
			write_through(o, s, n); /* straight from the caller */
			return;
		}
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == o->cap)
			out_flush(o);
	}
}

/* Decimal digits of v, right-aligned in end[-20..0); returns the first. */
static char *fmt_u64(char *end, uint64_t v)
{
	char *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void out_u64(struct out *o, uint64_t v)
{
	char buf[20], *p = fmt_u64(buf + sizeof(buf), v);

	out_mem(o, p, (size_t)(buf + sizeof(buf) - p));
}

void out_hex(struct out *o, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[16], *p = buf + sizeof(buf);

	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	out_mem(o, p, (size_t)(buf + sizeof(buf) - p));
}

/* ---- Status line and shared headers ---- */

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
	{ 507, "Insufficient Storage" },
};

const char *http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

static void two(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void http_date(char out[HTTP_DATE_LEN + 1], uint64_t t)
{
	static const char wday[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 */
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	uint64_t days = t / 86400, z = days + 719468;
	unsigned secs = (unsigned)(t % 86400);
	uint64_t era = z / 146097, year;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	year = yoe + era * 400 + (m <= 2);
	if (year > 9999)
		year = 9999; /* four digits; not a date this server will see */
	memcpy(out, wday + days % 7 * 3, 3);
	memcpy(out + 3, ", ", 2);
	two(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, mon + (m - 1) * 3, 3);
	out[11] = ' ';
	two(out + 12, (unsigned)(year / 100));
	two(out + 14, (unsigned)(year % 100));
	out[16] = ' ';
	two(out + 17, secs / 3600);
	out[19] = ':';
	two(out + 20, secs / 60 % 60);
	out[22] = ':';
	two(out + 23, secs % 60);
	memcpy(out + 25, " GMT", 5); /* with the NUL */
}

uint64_t http_unix_time(void)
{
	return (http_sys.epoch_ns + http_sys.now()) / 1000000000u;
}

void resp_start(struct out *o, int status)
{
	uint64_t sec = (http_sys.epoch_ns + http_sys.now()) / 1000000000u;
	const char *reason;
	size_t rlen;
	char *p;

	if (sec == o->date_sec && status == o->head_status && o->head_len) {
		out_mem(o, o->head, o->head_len);
		return;
	}
	reason = http_reason(status);
	rlen = strlen(reason);
	if (rlen > sizeof(o->head) - 13 - 22 - HTTP_DATE_LEN - 3)
		rlen = sizeof(o->head) - 13 - 22 - HTTP_DATE_LEN - 3; /* never: 31 at most */
	p = o->head;
	memcpy(p, "HTTP/1.1 ", 9);
	p[9] = (char)('0' + status / 100 % 10);
	p[10] = (char)('0' + status / 10 % 10);
	p[11] = (char)('0' + status % 10);
	p[12] = ' ';
	p += 13;
	memcpy(p, reason, rlen);
	p += rlen;
	memcpy(p, "\r\nServer: weft\r\nDate: ", 22);
	p += 22;
	http_date(p, sec);
	p += HTTP_DATE_LEN;
	memcpy(p, "\r\n", 2);
	p += 2;
	o->head_len = (uint32_t)(p - o->head);
	o->head_status = status;
	o->date_sec = sec;
	out_mem(o, o->head, o->head_len);
}

void resp_end(struct out *o, bool keep_alive)
{
	if (keep_alive)
		out_str(o, "Connection: keep-alive\r\n\r\n");
	else
		out_str(o, "Connection: close\r\n\r\n");
}
