/*
 * apps/proxy/upstream.h — app=proxy's upstreams: the list from
 * proxy_upstreams=, round robin among those up, and their health checks.
 */
#ifndef APPS_PROXY_UPSTREAM_H
#define APPS_PROXY_UPSTREAM_H

#include <stdint.h>
#include "net/addr.h"

#define UPSTREAM_MAX 16

struct upstream {
	char addr[NET_HOST_MAX + 8];	/* "host:port" as given */
	int up;				/* atomic: 1 up, 0 down */
	uint64_t requests, errors;	/* atomic: picked, failed */
};

/* Read proxy_upstreams= (and the health keys), start a health-check task
   per upstream. Returns how many upstreams there are (0: none given). */
int upstream_init(uint64_t timeout);
/* The next upstream up in round robin order, or NULL when none is. */
struct upstream *upstream_next(void);
/* A connect to u failed: down until a health check finds it up. */
void upstream_mark_down(struct upstream *u, int err);
/* Count an exchange with u that failed. */
void upstream_note_error(const struct upstream *u, int err);

#endif
