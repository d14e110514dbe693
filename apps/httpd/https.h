/*
 * apps/httpd/https.h — HTTPS beside HTTP (https.c, guest only) and the
 * redirect of plain HTTP to it (redirect.c, plain C).
 */
#ifndef APPS_HTTPD_HTTPS_H
#define APPS_HTTPD_HTTPS_H

#include <stdbool.h>
#include <stdint.h>
#include "net/http/http.h"

/* Serve srv over TLS on port, in a task of its own, with the baked
 * certificate. false, with a console line saying why: not started
 * (no seeded entropy source, a bad certificate, the port taken). */
bool httpd_https_start(struct http_server *srv, uint16_t port);

/*
 * http_redirect=on: every plain HTTP request is answered 301 with
 * Location https://HOST[:PORT]/path?query, HOST the request's Host
 * without its port, PORT the HTTPS port unless 443, the path and query
 * as sent. A request without a usable Host is answered 400.
 * Its arg is a const uint16_t *: the HTTPS port.
 */
void httpd_redirect_serve(struct http_response *w, struct http_request *r,
			  void *arg);

#endif
