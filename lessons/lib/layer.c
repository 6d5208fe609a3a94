/* layer.c - the scratch file system of the container's writable layer
 * (see layer.h). */
#define _GNU_SOURCE
#include "layer.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void layer_init(struct layer *l, bool on_disk, unsigned long long size)
{
	uint32_t rnd;

	memset(l, 0, sizeof(*l));
	if (!on_disk) {
		snprintf(l->tmpfs, sizeof(l->tmpfs), "mode=755,size=%llu", size);
		return;
	}
	/* Random, not the pid or the container's name: in a directory
	 * every user writes, a name somebody could guess is one they
	 * could take first (mkdir() then fails, and we stop). */
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		err(EXIT_FAILURE, "getrandom");
	snprintf(l->disk, sizeof(l->disk), LAYER_DIR "/" LAYER_PREFIX "%08x", rnd);
}

/* Remove `name` in the directory `at`, and all below it. What the
 * container made is ours (rootless, root inside is the caller), but it
 * may have taken the permissions away (overlay's work directory is mode
 * 0): each directory is given them back before it is read. Depth first,
 * a descriptor per level. */
static int remove_tree(int at, const char *name)
{
	struct dirent *e;
	DIR *d;
	int fd, ok = 0;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == EACCES && fchmodat(at, name, 0700, 0) == 0)
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	fchmod(fd, 0700);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    remove_tree(dirfd(d), e->d_name) == -1)
			ok = -1;
	closedir(d);
	return unlinkat(at, name, AT_REMOVEDIR) == -1 ? -1 : ok;
}

/* The remover: in a session of its own, deaf to ^C and to a kill of the
 * launcher's process group (as the cgroup reaper), holding nothing of
 * the launcher's but stderr, the pidfd and the pipe it answers on. It
 * makes the directory itself, so that it removes only what it made (a
 * name somebody took first is theirs): then it says so on `ready` (0,
 * or why not: an errno), and waits. */
static __attribute__((noreturn)) void remover(const char *dir, int pidfd, int ready)
{
	static const int deaf[] = {SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE};
	struct pollfd p = {.events = POLLIN};
	struct rlimit nofile;
	int null, lo, hi, e = 0;

	/* Above stdin, stdout and stderr, whichever were closed. */
	pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	ready = fcntl(ready, F_DUPFD_CLOEXEC, 3);
	if (pidfd == -1 || ready == -1)
		_exit(EXIT_FAILURE);
	p.fd = pidfd;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	setsid();
	/* SIGPIPE too: the launcher may be gone before it reads the
	 * answer, and the directory made all the same must go. */
	for (size_t i = 0; i < sizeof(deaf) / sizeof(deaf[0]); i++)
		signal(deaf[i], SIG_IGN);
	if (null != -1) {
		dup2(null, 0);
		dup2(null, 1);
	}
	lo = pidfd < ready ? pidfd : ready;
	hi = pidfd < ready ? ready : pidfd;
	close_range(3, lo - 1, 0);
	close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
	/* A descriptor per level of the tree: as deep as the hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (mkdir(dir, 0700) == -1)
		e = errno;
	(void)!write(ready, &e, sizeof(e));
	if (e)
		_exit(EXIT_FAILURE);
	close(ready);
	/* A pidfd is readable once its process has ended; PID 1 ends only
	 * after every other process of its namespace (pid_namespaces(7)). */
	while (poll(&p, 1, -1) == -1 && errno == EINTR)
		;
	if (remove_tree(AT_FDCWD, dir) == -1) {
		warn("cannot remove the container's layer %s", dir);
		_exit(EXIT_FAILURE);
	}
	_exit(EXIT_SUCCESS);
}

void layer_create(struct layer *l, pid_t pid)
{
	int pidfd, ready[2], e = EPIPE;

	if (!l->disk[0])
		return;
	if ((pidfd = pidfd_open(pid, 0)) == -1)
		err(EXIT_FAILURE, "pidfd_open(%d), for the layer's remover", (int)pid);
	if (pipe2(ready, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	l->remover = fork();
	if (l->remover == -1)
		err(EXIT_FAILURE, "fork (the layer's remover)");
	if (l->remover == 0)
		remover(l->disk, pidfd, ready[1]);
	close(pidfd);
	close(ready[1]);
	while (read(ready[0], &e, sizeof(e)) == -1 && errno == EINTR)
		;
	close(ready[0]);
	if (e) {
		errno = e;
		err(EXIT_FAILURE, "mkdir(%s), the container's layer on disk%s", l->disk,
		    e == ENOENT ? ": " LAYER_DIR " is missing" : "");
	}
}

void layer_mount(const struct layer *l, const char *at)
{
	if (!l->disk[0]) {
		if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, l->tmpfs) == -1)
			err(EXIT_FAILURE, "mount(tmpfs, %s, tmpfs, %s)", at, l->tmpfs);
		return;
	}
	if (mount(l->disk, at, NULL, MS_BIND, NULL) == -1)
		err(EXIT_FAILURE, "mount(%s, %s, NULL, MS_BIND), the layer on disk",
		    l->disk, at);
}

bool layer_finish(struct layer *l)
{
	int status;

	if (l->remover <= 0)
		return true;
	while (waitpid(l->remover, &status, 0) == -1)
		if (errno != EINTR)
			return false;
	l->remover = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
