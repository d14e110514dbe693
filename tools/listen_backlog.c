/* listen() with a backlog of at least MIN_BACKLOG: an LD_PRELOAD shim for
 * QEMU, whose user networking (slirp) listens for a host forward with a
 * backlog of 1 (make run through tools/run.sh, tests/e2e/httpd.sh, the KVM
 * lane's httpd checks, bench/kvm.sh). Built with -DMIN_BACKLOG=N. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>
int listen(int fd, int backlog)
{
	static int (*real)(int, int);
	if (!real)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	return real(fd, backlog < MIN_BACKLOG ? MIN_BACKLOG : backlog);
}
