/* limits.c - the escapes a cgroup's limits stop, tried through the probe
 * (--forks, --hog): lessons 07 and 09 must both pass them. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void check_fork_bomb(const char *const args[], int limit, int others,
		     const char *who)
{
	int got = -1;
	pid_t kids[64];
	struct run r;
	char *line;

	cr_assert_leq(limit + 4, 64, "a limit of at most 60 processes");
	run_hold(&r, args, NULL);
	line = strstr(r.out, "forked ");
	cr_assert(line, "the probe did not report its forks; %s", why(&r));
	sscanf(line, "forked %d", &got);
	cr_assert(strstr(line, "then EAGAIN"), "fork() inside should fail with "
		  "EAGAIN at the limit: \"%.60s\"", line);
	cr_assert_eq(got + others, limit, "--pids-limit %d: %s and %d children fit, "
		     "the next fork fails; it forked %d (pids.max, and the child in "
		     "the cgroup before it runs)", limit, who, limit - others, got);
	/* Meanwhile the host forks freely: more than the limit, at once. */
	for (int i = 0; i < limit + 4; i++) {
		kids[i] = fork();
		cr_assert_neq(kids[i], -1, "the test itself cannot fork (%s): the "
			      "limit reached outside its cgroup", strerror(errno));
		if (kids[i] == 0)
			_exit(0);
	}
	for (int i = 0; i < limit + 4; i++)
		waitpid(kids[i], NULL, 0);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

void check_memory_hog(const char *const args[])
{
	size_t size = 96 << 20;
	struct run r;
	char *mem;

	run_lesson(&r, args);
	cr_assert(!strstr(r.out, "hog survived"), "the hog allocated 4 GiB inside "
		  "a memory limit of 32M: memory.limit_in_bytes (v2: memory.max) was "
		  "not set");
	cr_assert_eq(r.code, 128 + SIGKILL, "the hog should be killed by the OOM "
		     "killer, exit status 137, not %d; %s", r.code, why(&r));
	/* Outside, the same allocation is nothing special. */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(mem != MAP_FAILED, "the test cannot map 96 MiB itself");
	memset(mem, 1, size);
	munmap(mem, size);
	run_free(&r);
}
