/* harness_internal.h - what the parts of the test harness share with each
 * other and not with the suites (those use harness.h).
 *
 * The harness is in parts, one concern each:
 *   util.c        small utilities, namespace identity, process lookups
 *   hoststate.c   the host state a lesson could damage, per-test setup
 *   run.c         running a lesson: spawn, capture, reap, leftovers
 *   killpoints.c  the lesson under ptrace: SIGKILL at every system call
 *                 and what it leaves; the exit signal of its first child
 *   probe_parse.c the probe's report
 *   report.c      the suite's main and the result files
 *   basics.c      the checks every lesson shares (LESSON_BASICS)
 *   tty.c         a lesson on a real pseudo-terminal
 *   limits.c      the escapes a cgroup's limits stop
 *
 * Two levels of host safety:
 *   - in each test (harness_setup): as root the test first moves into new
 *     UTS, IPC, mount and network namespaces of its own, with "/" made
 *     private (cut off from the real host) and then shared again (so it
 *     behaves like a systemd host, where a mount made without care
 *     propagates). The lesson runs there; after every run the harness
 *     compares that state with the one it saw before, and fails the test
 *     on any difference or on a process the lesson left behind;
 *   - around the whole suite (main): the real host's state before and
 *     after, and a non-zero exit if it changed.
 */
#ifndef NSLAB_HARNESS_INTERNAL_H
#define NSLAB_HARNESS_INTERNAL_H

#include "harness.h"

/* The system headers the parts use, once for all of them. */
#include <criterion/hooks.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* util.c */
extern bool isolated;
struct strbuf {
	char *s;
	size_t len, size;
};
void __attribute__((format(printf, 2, 3))) sb_printf(struct strbuf *sb, const char *fmt, ...);

/* hoststate.c */
extern char run_context[160]; /* what the test was doing, for messages */
extern char *state_before;    /* the test's host state before the run */
extern pid_t kept[8];         /* processes the test started itself */
/* The first difference between two host_state() texts, or NULL. */
char *state_diff(const char *before, const char *after);

/* run.c */
/* Fails the test on a process the lesson left behind. */
void check_leftovers(void);
/* Our children that are not the test's own (kept): up to max pids. */
size_t leftover_children(pid_t *pids, size_t max);
void reap_zombies(void);

#endif
