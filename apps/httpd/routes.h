/*
 * apps/httpd/routes.h — app=httpd's handlers (routes.c lists them), for
 * httpd.c and the host tests.
 */
#ifndef APPS_HTTPD_ROUTES_H
#define APPS_HTTPD_ROUTES_H

#include "net/http/http.h"

extern struct http_handler httpd_healthz, httpd_status, httpd_metrics,
	httpd_history;

/* Register the app's handlers on m (and the static site at "/"):
 * 0 or http_handle's error. */
int httpd_routes(struct http_mux *m);
/* debug=on: /debug/ (debug.c; guest only): 0 or http_handle's error. */
int httpd_debug_routes(struct http_mux *m);

#endif
