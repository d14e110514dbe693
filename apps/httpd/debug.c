/*
 * apps/httpd/debug.c — /debug/, after Go's net/http/pprof; registered
 * only with debug=on (httpd.c), so without it these paths are the static
 * site's (404):
 *   /debug/          an index of what is here
 *   /debug/tasks     every task: id, name, state, why it waits, CPU, age
 *                    and its stack, symbolized, in the style of Go's
 *                    goroutine dump (runtime/debug.h, rt_tasks_each)
 *   /debug/profile   a CPU profile: ?seconds=N (1..60, default 5) of
 *                    samples from every busy CPU's timer interrupt at
 *                    RT_PROF_HZ, then ?format=svg (default: a flame graph
 *                    drawn here, flame.h), folded (Brendan Gregg's folded
 *                    stacks, folded.h) or pprof (gzip'd profile.proto for
 *                    `go tool pprof`, pprof.h); a bad parameter is 400, a
 *                    profile already running 409
 * Each answers GET and HEAD (405 otherwise) and allocates as it likes:
 * this is not the request path the allocation count watches. Guest only
 * (it reads the runtime); the formats are host-tested.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/httpd/flame.h"
#include "apps/httpd/folded.h"
#include "apps/httpd/pprof.h"
#include "apps/httpd/routes.h"
#include "runtime/debug.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

#define PROFILE_SECONDS_DEFAULT 5
#define PROFILE_SECONDS_MAX 60

static bool get_or_head(struct http_response *w, const struct http_request *r)
{
	if (r->method == HTTP_GET || r->method == HTTP_HEAD)
		return true;
	http_header_set(w, "Allow", "GET, HEAD");
	http_error(w, 405, NULL);
	return false;
}

static int put(struct http_response *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int put(struct http_response *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	ssize_t k = http_write(w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	return k < 0 ? (int)k : 0;
}

/* ---- /debug/ ---- */

static void index_page(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	if (!get_or_head(w, r))
		return;
	if (strcmp(r->path.ptr, "/debug/") != 0) {
		http_error(w, 404, NULL);
		return;
	}
	static const char page[] =
		"<!doctype html><html><head><meta charset=\"utf-8\">"
		"<title>Weft /debug/</title></head><body><h1>/debug/</h1><ul>"
		"<li><a href=\"/debug/tasks\">/debug/tasks</a>: every task and its stack</li>"
		"<li><a href=\"/debug/profile?seconds=5\">/debug/profile?seconds=5</a>: "
		"a CPU profile as a flame graph (SVG); "
		"<a href=\"/debug/profile?seconds=5&amp;format=folded\">folded stacks</a>, "
		"<a href=\"/debug/profile?seconds=5&amp;format=pprof\">pprof</a></li>"
		"</ul><p><a href=\"/status\">/status</a></p></body></html>\n";
	http_header_set(w, "Content-Type", "text/html; charset=utf-8");
	http_set_content_length(w, sizeof page - 1);
	http_write(w, page, sizeof page - 1);
}

/* ---- /debug/tasks ---- */

static void put_frame(struct http_response *w, unsigned i, uint64_t pc)
{
	uint64_t off;
	/* A return address follows its call: name the call (pc - 1). */
	uint64_t look = i ? pc - 1 : pc;
	const char *name = rt_symbol(look, &off);
	if (name)
		put(w, "  #%-2u %#018llx  %s+%#llx\n", i, (unsigned long long)pc, name,
		    (unsigned long long)off);
	else
		put(w, "  #%-2u %#018llx  ?\n", i, (unsigned long long)pc);
}

static void put_task(void *arg, const struct rt_task_info *t)
{
	struct http_response *w = arg;
	uint64_t age_ms = t->age_ns / 1000000;
	char where[48] = "";
	if (t->cpu >= 0)
		snprintf(where, sizeof where, ", cpu %d", t->cpu);
	put(w, "task %llu \"%s\" [%s%s%s%s%s, %llu.%03llu s]:\n",
	    (unsigned long long)t->id, t->name, t->state, t->reason ? ": " : "",
	    t->reason ? t->reason : "", where, t->pin >= 0 ? ", pinned" : "",
	    (unsigned long long)(age_ms / 1000), (unsigned long long)(age_ms % 1000));
	if (t->npc == 0) {
		if (!strcmp(t->state, "running"))
			put(w, "  running on cpu %d (its registers are that CPU's)\n", t->cpu);
		else if (!strcmp(t->state, "parking"))
			put(w, "  switching out on cpu %d\n", t->cpu);
		else
			put(w, "  (no saved stack yet)\n");
	}
	for (unsigned i = 0; i < t->npc; i++)
		put_frame(w, i, t->pc[i]);
	put(w, "\n");
}

static void tasks(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	if (!get_or_head(w, r))
		return;
	http_header_set(w, "Content-Type", "text/plain; charset=utf-8");
	if (r->method == HTTP_HEAD) {
		http_write_header(w, 200);
		return;
	}
	uint64_t up_ms = time_ns() / 1000000;
	put(w, "weft %s, %u CPUs, up %llu.%03llu s: tasks as [state: why it waits, "
	    "cpu, age]\n\n", rt_version(), rt_ncpus(),
	    (unsigned long long)(up_ms / 1000), (unsigned long long)(up_ms % 1000));
	size_t n = rt_tasks_each(put_task, w);
	put(w, "%zu tasks\n", n);
}

/* ---- /debug/profile ---- */

/* seconds=: 1..60, digits only. */
static bool parse_seconds(const char *v, long len, unsigned *out)
{
	unsigned n = 0;
	if (len <= 0 || len > 2)
		return false;
	for (long i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (unsigned)(v[i] - '0');
	}
	if (n < 1 || n > PROFILE_SECONDS_MAX)
		return false;
	*out = n;
	return true;
}

struct collect {
	struct fold f;
	uint64_t lost;			/* no memory to keep them */
};

static void add_sample(void *arg, const uint64_t *pc, unsigned n, unsigned cpu)
{
	struct collect *c = arg;
	(void)cpu;
	if (n && fold_add(&c->f, pc, n, 1) < 0)
		c->lost++;
}

static const char *sym(void *arg, uint64_t addr)
{
	(void)arg;
	uint64_t off;
	return rt_symbol(addr, &off);
}

static int svg_out(void *arg, const char *s, size_t len)
{
	ssize_t k = http_write(arg, s, len);
	return k < 0 ? (int)k : 0;
}

enum { FMT_SVG, FMT_FOLDED, FMT_PPROF };

static const char *const content_type[] = {
	"image/svg+xml", "text/plain; charset=utf-8", "application/octet-stream"
};

static void profile(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	if (!get_or_head(w, r))
		return;
	char v[16];
	long len;
	unsigned seconds = PROFILE_SECONDS_DEFAULT;
	int format = FMT_SVG;
	len = http_query_get(r->query, "seconds", v, sizeof v);
	if (len != -ENOENT && !parse_seconds(v, len, &seconds)) {
		http_error(w, 400, "seconds: a whole number from 1 to 60\n");
		return;
	}
	len = http_query_get(r->query, "format", v, sizeof v);
	if (len != -ENOENT) {
		if (len >= 0 && !strcmp(v, "folded"))
			format = FMT_FOLDED;
		else if (len >= 0 && !strcmp(v, "pprof"))
			format = FMT_PPROF;
		else if (len < 0 || strcmp(v, "svg")) {
			http_error(w, 400, "format: svg, folded or pprof\n");
			return;
		}
	}
	if (r->method == HTTP_HEAD) {	/* what a GET would get, without the wait */
		http_header_set(w, "Content-Type", content_type[format]);
		http_write_header(w, 200);
		return;
	}
	struct collect c = { .lost = 0 };
	if (fold_init(&c.f) < 0) {
		http_error(w, 503, "no memory for a profile\n");
		return;
	}
	int rc = rt_profile_start();
	if (rc < 0) {
		fold_free(&c.f);
		if (rc == -EBUSY)
			http_error(w, 409, "a profile is running already; one at a time\n");
		else
			http_error(w, 503, "no memory for a profile\n");
		return;
	}
	uint64_t unix_start = rt_unix_ns();
	uint64_t end = time_ns() + (uint64_t)seconds * 1000000000ull;
	for (uint64_t now; (now = time_ns()) < end;) {
		task_sleep(end - now < ms(100) ? end - now : ms(100));
		rt_profile_drain(add_sample, &c);
	}
	struct rt_profile_stats st;
	rt_profile_stop(add_sample, &c, &st);

	if (format == FMT_PPROF) {
		struct pprof_meta m = { unix_start, st.duration_ns,
					1000000000ull / RT_PROF_HZ, "weft" };
		uint8_t *pb;
		size_t len;
		if (pprof_encode(&c.f, sym, NULL, &m, &pb, &len) < 0) {
			fold_free(&c.f);
			http_error(w, 503, "no memory to encode the profile\n");
			return;
		}
		http_header_set(w, "Content-Type", content_type[format]);
		http_header_set(w, "Content-Disposition",
				"attachment; filename=\"weft.pb.gz\"");
		http_set_content_length(w, len);
		http_write(w, pb, len);
		free(pb);
		fold_free(&c.f);
		return;
	}
	struct fold_line *lines = NULL;
	size_t n = 0;
	if (fold_lines(&c.f, sym, NULL, &lines, &n) < 0) {
		fold_free(&c.f);
		http_error(w, 503, "no memory to fold the profile\n");
		return;
	}
	char hdr[32];
	snprintf(hdr, sizeof hdr, "%llu", (unsigned long long)st.samples);
	http_header_set(w, "X-Profile-Samples", hdr);
	snprintf(hdr, sizeof hdr, "%llu", (unsigned long long)(st.dropped + c.lost));
	http_header_set(w, "X-Profile-Dropped", hdr);
	snprintf(hdr, sizeof hdr, "%u", RT_PROF_HZ);
	http_header_set(w, "X-Profile-Hz", hdr);
	http_header_set(w, "Content-Type", content_type[format]);
	if (format == FMT_FOLDED) {
		for (size_t i = 0; i < n; i++)
			if (http_write_str(w, lines[i].text) < 0 ||
			    put(w, " %llu\n", (unsigned long long)lines[i].count) < 0)
				break;
		if (n == 0)
			http_write_header(w, 200);
	} else {
		char title[160];
		snprintf(title, sizeof title,
			 "CPU profile: %llu samples in %u s at %u Hz, %u CPUs (weft %s)",
			 (unsigned long long)st.samples, seconds, RT_PROF_HZ,
			 rt_ncpus(), rt_version());
		flame_svg(lines, n, title, svg_out, w);
	}
	fold_lines_free(lines, n);
	fold_free(&c.f);
}

static struct http_handler debug_index = { "debug", index_page, NULL, 0, 0 };
static struct http_handler debug_tasks = { "debug_tasks", tasks, NULL, 0, 0 };
static struct http_handler debug_profile = { "debug_profile", profile, NULL, 0, 0 };

int httpd_debug_routes(struct http_mux *m)
{
	int rc;
	if ((rc = http_handle(m, "/debug/", &debug_index)) < 0 ||
	    (rc = http_handle(m, "/debug/tasks", &debug_tasks)) < 0 ||
	    (rc = http_handle(m, "/debug/profile", &debug_profile)) < 0)
		return rc;
	return 0;
}
