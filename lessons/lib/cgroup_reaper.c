/* cgroup_reaper.c - a cgroup removed when its run ends, however it
 * ends (see cgroup_reaper.h). */
#define _GNU_SOURCE
#include "cgroup_reaper.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGKILL to every process cgroup.procs lists; how many there were. */
static int kill_listed(const char *dir)
{
	char *list = cg_read(dir, "cgroup.procs");
	int n = 0;

	if (!list)
		return 0;
	for (char *p = list, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
		end += strspn(end, "\n");
	}
	free(list);
	return n;
}

bool cg_remove(const struct cgroup *cg)
{
	double deadline = now_s() + 5.0;
	bool ok = true;

	for (int i = 0; i < cg->ndirs && i < CG_NCTL; i++) {
		const char *dir = cg->dir[i];

		/* v2 (Linux 5.14 and later): one write ends them all, and
		 * processes forked meanwhile too. v1 has nothing like it:
		 * kill each process listed, again, until none is left. */
		// tag::remove[]
		if (cg->v2 && cg_has(dir, "cgroup.kill"))
			cg_try_write(dir, "cgroup.kill", "1");
		while (rmdir(dir) == -1) {
			struct timespec pause = {0, 5000000};

			if (errno == ENOENT)
				break;
			if (errno != EBUSY || now_s() > deadline) {
				warn("cannot remove the cgroup %s", dir);
				ok = false;
				break;
			}
			kill_listed(dir);
			nanosleep(&pause, NULL);
		}
		// end::remove[]
		/* The parent too, unless another run is in it (EBUSY). */
		rmdir(cg->parent[i]);
	}
	return ok;
}

/* What the next reaper also holds, and does once the cgroup is gone. */
static int also_fd = -1;
static void (*also_then)(void *);
static void *also_arg;

void cg_reaper_also(int fd, void (*then)(void *), void *arg)
{
	also_fd = fd;
	also_then = then;
	also_arg = arg;
}

/* Close every descriptor from 3 on but a and b (-1: none). */
static void close_all_but(int a, int b)
{
	int keep[2] = {a < b ? a : b, a < b ? b : a}, from = 3;

	for (int i = 0; i < 2; i++)
		if (keep[i] >= from) {
			if (keep[i] > from)
				close_range(from, keep[i] - 1, 0);
			from = keep[i] + 1;
		}
	close_range(from, ~0U, 0);
}

int cg_reaper_start(struct cgroup *cg)
{
	bool ok;
	int fds[2];
	char c;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	cg->reaper = fork();
	if (cg->reaper == -1) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		errno = e;
		return -1;
	}
	if (cg->reaper == 0) {
		/* The reaper: a session of its own, so neither ^C nor a kill
		 * of the launcher's process group ends it before its work. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		close(fds[1]);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		if (null != -1) {
			dup2(null, 0);
			dup2(null, 1);
		}
		/* Hold nothing of the launcher's but stderr, this pipe and
		 * what cg_reaper_also() gave (a lease): a pipe end kept here
		 * would keep someone else waiting for EOF. */
		close_all_but(fds[0], also_fd);
		// tag::reaper[]
		/* Every copy of the write end is the launcher's (O_CLOEXEC:
		 * its command gets none): EOF means the launcher has ended. */
		while (read(fds[0], &c, 1) == -1 && errno == EINTR)
			;
		ok = cg_remove(cg);
		/* Only then may another container take what it held. */
		if (also_then)
			also_then(also_arg);
		_exit(ok ? EXIT_SUCCESS : EXIT_FAILURE);
		// end::reaper[]
	}
	close(fds[0]);
	cg->reaper_fd = fds[1];
	return 0;
}

bool cg_reaper_finish(struct cgroup *cg)
{
	int status;

	if (cg->reaper <= 0)
		return true;
	close(cg->reaper_fd);
	cg->reaper_fd = -1;
	while (waitpid(cg->reaper, &status, 0) == -1)
		if (errno != EINTR)
			return false;
	cg->reaper = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

