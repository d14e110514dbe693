/*
 * apps/httpd/routes.c — what app=httpd serves, as handlers on the HTTP
 * library's mux (routes.h):
 *   /healthz   200 "ok"                            handler "healthz"
 *   /metrics   Prometheus text (metrics.h)         handler "metrics"
 *   /status    the live status page (status.html)  handler "status"
 *   /status/history  its last ten minutes, JSON (history.h)  "history"
 *   /          the static site (static.h)          handler "static"
 * and with debug=on (httpd.c) /debug/: tasks and profiles (debug.c).
 * Each answers GET and HEAD, and 405 with Allow to other methods.
 */
#include "apps/httpd/routes.h"

#include "apps/httpd/history.h"
#include "apps/httpd/metrics.h"
#include "apps/httpd/static.h"

static bool get_or_head(struct http_response *w, const struct http_request *r)
{
	if (r->method == HTTP_GET || r->method == HTTP_HEAD)
		return true;
	http_header_set(w, "Allow", "GET, HEAD");
	http_error(w, 405, NULL);
	return false;
}

static void healthz(struct http_response *w, struct http_request *r,
		    void *arg)
{
	(void)arg;
	if (!get_or_head(w, r))
		return;
	http_header_set(w, "Content-Type", "text/plain; charset=utf-8");
	http_set_content_length(w, 3);
	http_write(w, "ok\n", 3);
}

static void status(struct http_response *w, struct http_request *r,
		   void *arg)
{
	(void)arg;
	if (get_or_head(w, r))
		static_send_file(w, r, &site_status_page, false);
}

struct http_handler httpd_healthz = { "healthz", healthz, NULL, 0, 0 };
struct http_handler httpd_status = { "status", status, NULL, 0, 0 };
struct http_handler httpd_metrics = { "metrics", metrics_serve, NULL, 0, 0 };
struct http_handler httpd_history = { "history", history_serve, &httpd_history_ring, 0, 0 };

int httpd_routes(struct http_mux *m)
{
	int rc;

	httpd_metrics.arg = m;
	if ((rc = http_handle(m, "/healthz", &httpd_healthz)) < 0 ||
	    (rc = http_handle(m, "/metrics", &httpd_metrics)) < 0 ||
	    (rc = http_handle(m, "/status", &httpd_status)) < 0 ||
	    (rc = http_handle(m, "/status/history", &httpd_history)) < 0 ||
	    (rc = http_handle(m, "/", &static_handler)) < 0)
		return rc;
	return 0;
}
