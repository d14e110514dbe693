/*
 * bench/linux/echo.c — the Linux peer's TCP echo server (port 7 by default).
 *
 * Built by bench/linux/build.sh with `gcc -static -O2 -pthread` and put in
 * the Linux guest's initramfs; /init starts it for weft.role=echo. Not part
 * of Weft: it is what Weft's echo server is measured against.
 *
 * One thread per CPU, each with its own listening socket (SO_REUSEPORT, so
 * the kernel spreads connections over them) and its own epoll set, level
 * triggered. A connection reads into a 64 KiB buffer and writes it back;
 * when the peer does not take everything, the rest waits in the buffer and
 * the connection watches for EPOLLOUT instead of EPOLLIN until it is
 * drained (so a slow reader gets back-pressure, never unbounded memory).
 * TCP_NODELAY on every connection: echoes go out at once.
 *
 * usage: echo [PORT]   (prints "echo: listening on PORT, N threads")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_EVENTS 256

struct conn {
	int fd;
	size_t off, len; /* unsent bytes are buf[off, len) */
	char buf[BUF_SIZE];
};

static int port = 7;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int listener(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;
	struct sockaddr_in6 a;

	if (fd < 0) {
		/* No IPv6 in this kernel: IPv4 only. */
		struct sockaddr_in a4;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
			die("SO_REUSEPORT");
		memset(&a4, 0, sizeof a4);
		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		if (bind(fd, (struct sockaddr *)&a4, sizeof a4) < 0)
			die("bind");
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
			die("SO_REUSEPORT");
		memset(&a, 0, sizeof a);
		a.sin6_family = AF_INET6;
		a.sin6_port = htons(port);
		a.sin6_addr = in6addr_any;
		if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
			die("bind");
	}
	if (listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void conn_watch(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl MOD");
}

/* Write what is buffered. 1: all sent; 0: the socket is full; -1: error. */
static int conn_flush(struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);

		if (n > 0) {
			c->off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		} else {
			return -1;
		}
	}
	c->off = c->len = 0;
	return 1;
}

static void conn_event(int ep, struct conn *c, uint32_t events)
{
	if (c->len > 0) {
		/* Waiting for room to send the rest. */
		int r = conn_flush(c);

		if (r < 0) {
			conn_close(ep, c);
		} else if (r > 0) {
			conn_watch(ep, c, EPOLLIN | EPOLLRDHUP);
		} else if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(ep, c);
		}
		return;
	}
	/* Read and echo until the socket is empty or full. Bounded so that one
	 * busy connection cannot starve the others on this thread. */
	for (int round = 0; round < 16; round++) {
		ssize_t n = recv(c->fd, c->buf, BUF_SIZE, 0);
		int r;

		if (n == 0) {
			conn_close(ep, c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_close(ep, c);
			return;
		}
		c->off = 0;
		c->len = (size_t)n;
		r = conn_flush(c);
		if (r < 0) {
			conn_close(ep, c);
			return;
		}
		if (r == 0) {
			conn_watch(ep, c, EPOLLOUT);
			return;
		}
		if ((size_t)n < BUF_SIZE)
			return; /* most likely empty now; level triggering says if not */
	}
}

static void *worker(void *arg)
{
	int lfd = (int)(long)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[MAX_EVENTS];

	if (ep < 0)
		die("epoll_create1");
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl ADD listener");
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c != NULL) {
				conn_event(ep, c, evs[i].events);
				continue;
			}
			/* The listener: accept everything waiting. */
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				int one = 1;
				struct epoll_event cev;

				if (fd < 0) {
					if (errno == EINTR || errno == ECONNABORTED)
						continue;
					if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
					    errno == ENOBUFS)
						perror("accept4");
					break; /* EAGAIN, or out of resources: retry later */
				}
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				c = malloc(sizeof *c);
				if (c == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->off = c->len = 0;
				cev.events = EPOLLIN | EPOLLRDHUP;
				cev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) {
					close(fd);
					free(c);
				}
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (argc > 1) {
		port = atoi(argv[1]);
		if (port <= 0 || port > 65535) {
			fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
			return 2;
		}
	}
	if (ncpu < 1)
		ncpu = 1;
	signal(SIGPIPE, SIG_IGN);
	/* Every listening socket is bound before anything says "listening". */
	long lfds[ncpu];

	for (long i = 0; i < ncpu; i++)
		lfds[i] = listener();
	for (long i = 1; i < ncpu; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker, (void *)lfds[i]) != 0)
			die("pthread_create");
	}
	fprintf(stderr, "echo: listening on %d, %ld threads\n", port, ncpu);
	worker((void *)lfds[0]);
	return 0;
}
