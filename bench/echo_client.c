/*
 * bench/echo_client.c — the load generator of `make bench-net`
 * (bench/net.sh): drives a TCP echo server over many connections from one
 * host thread with epoll, and prints one line of results.
 *
 * usage: echo_client tput|lat HOST PORT CONNS WARMUP_S SECONDS [MSG_BYTES]
 *
 *   tput  throughput: every connection streams bytes at the server and
 *         reads the echo back at the same time (non-blocking, level-
 *         triggered epoll on both directions), with at most WINDOW bytes
 *         sent and not yet echoed per connection. The stream is a pattern
 *         that depends on the connection and the offset, and every byte
 *         that comes back is checked. Counted: the bytes echoed back
 *         (one direction; each crossed the link twice) during SECONDS,
 *         after WARMUP_S seconds that are not counted.
 *         prints: tput conns=N seconds=S bytes=B mbps=X (MB = 10^6 bytes)
 *   lat   round-trip latency: every connection sends MSG_BYTES (default
 *         64), waits until they are all back, and sends the next (one
 *         message in flight per connection: with CONNS > 1 the server has
 *         CONNS messages to juggle). TCP_NODELAY. Every round trip that
 *         ends inside the measured SECONDS is a sample.
 *         prints: lat conns=N seconds=S msgs=M rate=R p50_us=.. p90_us=..
 *                 p99_us=.. max_us=..
 *
 * Exits 1 (with a message on stderr) when a connection fails, is closed
 * early or gets back bytes other than those it sent; nothing is printed
 * on stdout then. At the end every connection is half-closed and drained
 * (bounded, 3 s), so the server sees orderly closes.
 *
 * Built on the host by bench/net.sh: gcc -O2 -Wall -o ... echo_client.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (16 * 1024)	/* bytes per write (tput) */
#define WINDOW (256 * 1024)	/* sent and not yet echoed, per connection */
#define MAX_CONNS 4096

struct conn {
	int fd;
	uint64_t sent, rcvd;	/* stream offsets (tput) / this message (lat) */
	uint64_t t_sent;	/* lat: when the message went out, ns */
	uint32_t seed;
	int want_out;		/* EPOLLOUT is in the interest set */
	int done;		/* drained at the end */
};

static struct conn conns[MAX_CONNS];
static int nconns, epfd;
static const char *mode;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "echo_client %s: %s\n", mode, what);
	exit(1);
}

static void die_errno(const char *what)
{
	fprintf(stderr, "echo_client %s: %s: %s\n", mode, what, strerror(errno));
	exit(1);
}

/* The stream's byte at offset off of a connection with this seed. */
static inline uint8_t pattern(uint32_t seed, uint64_t off)
{
	return (uint8_t)((off * 131u + seed + (off >> 12)) & 0xff);
}

static void fill(uint8_t *buf, uint32_t seed, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(seed, off + i);
}

static void set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		die_errno("epoll_ctl");
}

/* Blocking connect (bounded by a 10 s poll), then non-blocking. */
static int connect_one(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die_errno("socket");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		if (errno != EINPROGRESS)
			die_errno("connect");
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, 10000) != 1)
			die("connect: no answer in 10 s");
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			errno = err;
			die_errno("connect");
		}
	}
	return fd;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Half-close every connection and read until EOF (bounded, 3 s). */
static void drain_all(void)
{
	uint8_t buf[65536];
	int left = 0;
	for (int i = 0; i < nconns; i++) {
		shutdown(conns[i].fd, SHUT_WR);
		set_events(&conns[i], EPOLLIN);
		left++;
	}
	uint64_t end = now_ns() + 3000000000ull;
	struct epoll_event evs[256];
	while (left > 0 && now_ns() < end) {
		int n = epoll_wait(epfd, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->done)
				continue;
			ssize_t r = read(c->fd, buf, sizeof buf);
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;
			c->done = 1;	/* EOF or an error: this one is over */
			left--;
			epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		}
	}
	for (int i = 0; i < nconns; i++)
		close(conns[i].fd);
}

static void run_tput(double warmup, double seconds)
{
	static uint8_t wbuf[CHUNK], rbuf[65536];
	uint64_t t0 = now_ns();
	uint64_t t_start = t0 + (uint64_t)(warmup * 1e9);
	uint64_t t_end = t_start + (uint64_t)(seconds * 1e9);
	uint64_t counted = 0;
	struct epoll_event evs[256];
	for (;;) {
		uint64_t t = now_ns();
		if (t >= t_end)
			break;
		int n = epoll_wait(epfd, evs, 256, 50);
		if (n < 0 && errno != EINTR)
			die_errno("epoll_wait");
		t = now_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				ssize_t r = read(c->fd, rbuf, sizeof rbuf);
				if (r == 0)
					die("the server closed a connection");
				if (r < 0 && errno != EAGAIN)
					die_errno("read");
				if (r > 0) {
					for (ssize_t k = 0; k < r; k++)
						if (rbuf[k] != pattern(c->seed, c->rcvd + (uint64_t)k))
							die("echoed bytes differ from the bytes sent");
					c->rcvd += (uint64_t)r;
					if (t >= t_start && t < t_end)
						counted += (uint64_t)r;
				}
			}
			if (evs[i].events & EPOLLOUT) {
				uint64_t room = WINDOW - (c->sent - c->rcvd);
				size_t len = room < CHUNK ? (size_t)room : CHUNK;
				if (len > 0) {
					fill(wbuf, c->seed, c->sent, len);
					ssize_t w = write(c->fd, wbuf, len);
					if (w < 0 && errno != EAGAIN)
						die_errno("write");
					if (w > 0)
						c->sent += (uint64_t)w;
				}
			}
			/* Watch for room to write only while the window is open. */
			int open = c->sent - c->rcvd < WINDOW;
			if (open != c->want_out) {
				c->want_out = open;
				set_events(c, EPOLLIN | (open ? EPOLLOUT : 0));
			}
		}
	}
	drain_all();
	printf("tput conns=%d seconds=%.1f bytes=%llu mbps=%.3f\n", nconns, seconds,
	       (unsigned long long)counted, (double)counted / seconds / 1e6);
}

static void run_lat(double warmup, double seconds, size_t msg)
{
	uint8_t *wbuf = malloc(msg), *rbuf = malloc(msg);
	size_t cap = 1 << 16, ns = 0;
	uint64_t *samples = malloc(cap * sizeof *samples);
	if (!wbuf || !rbuf || !samples)
		die("out of memory");
	uint64_t t0 = now_ns();
	uint64_t t_start = t0 + (uint64_t)(warmup * 1e9);
	uint64_t t_end = t_start + (uint64_t)(seconds * 1e9);
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		set_events(c, EPOLLIN);
		fill(wbuf, c->seed, c->sent, msg);
		c->t_sent = now_ns();
		if (write(c->fd, wbuf, msg) != (ssize_t)msg)
			die("a short first write");	/* 64 bytes fit any socket buffer */
		c->sent += msg;
	}
	struct epoll_event evs[256];
	for (;;) {
		uint64_t t = now_ns();
		if (t >= t_end)
			break;
		int n = epoll_wait(epfd, evs, 256, 50);
		if (n < 0 && errno != EINTR)
			die_errno("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, rbuf, msg - c->rcvd);
			if (r == 0)
				die("the server closed a connection");
			if (r < 0) {
				if (errno == EAGAIN)
					continue;
				die_errno("read");
			}
			uint64_t base = c->sent - msg + c->rcvd;
			for (ssize_t k = 0; k < r; k++)
				if (rbuf[k] != pattern(c->seed, base + (uint64_t)k))
					die("echoed bytes differ from the bytes sent");
			c->rcvd += (uint64_t)r;
			if (c->rcvd < msg)
				continue;
			t = now_ns();
			if (t >= t_start && t < t_end) {
				if (ns == cap) {
					cap *= 2;
					samples = realloc(samples, cap * sizeof *samples);
					if (!samples)
						die("out of memory");
				}
				samples[ns++] = t - c->t_sent;
			}
			c->rcvd = 0;
			fill(wbuf, c->seed, c->sent, msg);
			c->t_sent = now_ns();
			ssize_t w = write(c->fd, wbuf, msg);
			if (w != (ssize_t)msg)
				die_errno("write");
			c->sent += msg;
		}
	}
	drain_all();
	if (ns == 0)
		die("no round trip completed in the measured time");
	qsort(samples, ns, sizeof *samples, cmp_u64);
#define PCT(p) (samples[(size_t)((double)(ns - 1) * (p) / 100.0 + 0.5)] / 1000.0)
	printf("lat conns=%d seconds=%.1f msgs=%zu rate=%.1f p50_us=%.1f p90_us=%.1f "
	       "p99_us=%.1f max_us=%.1f\n", nconns, seconds, ns, (double)ns / seconds,
	       PCT(50), PCT(90), PCT(99), samples[ns - 1] / 1000.0);
}

int main(int argc, char **argv)
{
	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: %s tput|lat HOST PORT CONNS WARMUP_S SECONDS [MSG_BYTES]\n",
			argv[0]);
		return 2;
	}
	mode = argv[1];
	int lat = strcmp(mode, "lat") == 0;
	if (!lat && strcmp(mode, "tput") != 0)
		die("mode must be tput or lat");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	nconns = atoi(argv[4]);
	double warmup = atof(argv[5]), seconds = atof(argv[6]);
	size_t msg = argc == 8 ? (size_t)atol(argv[7]) : 64;
	if (nconns < 1 || nconns > MAX_CONNS || seconds <= 0 || warmup < 0 || msg < 1 || msg > 65536)
		die("bad arguments");

	epfd = epoll_create1(0);
	if (epfd < 0)
		die_errno("epoll_create1");
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		c->fd = connect_one(&sa);
		c->seed = (uint32_t)i * 2654435761u;
		c->want_out = !lat;
		struct epoll_event e = { .events = EPOLLIN | (lat ? 0 : EPOLLOUT), .data.ptr = c };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0)
			die_errno("epoll_ctl");
	}
	if (lat)
		run_lat(warmup, seconds, msg);
	else
		run_tput(warmup, seconds);
	return 0;
}
