/* Lesson 04: pid runs a command as PID 1 of a new PID namespace with a
 * fresh /proc (in a new mount namespace), or, with -i, behind a small init
 * that reaps orphans and forwards signals; the host's /proc and mount
 * table stay as they were. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void setup(void)
{
	harness_setup();
	/* Every test here lets the lesson create PID and mount namespaces. */
	require_unshare(CLONE_NEWPID | CLONE_NEWNS, "CLONE_NEWPID | CLONE_NEWNS");
}

TestSuite(pid, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

/* The shared checks run with -i: behind the init, the command can die of
 * a signal it raises (as PID 1 it could not, see the tests below). */
static const struct lesson pid_init = {
	MANIFEST_04,
	.opts = (const char *const[]){"-i", NULL},
};
/* The default: the command itself is PID 1. */
static const struct lesson pid_plain = {MANIFEST_04};

LESSON_BASICS(pid, &pid_init, 5)

Test(pid, as_pid_1_new_namespaces_seen_from_outside)
{
	basic_new_namespaces_outside(&pid_plain);
}

Test(pid, as_pid_1_exit_status_passes_through)
{
	basic_exit_status(&pid_plain);
}

Test(pid, as_pid_1_missing_command_exits_127)
{
	basic_missing_command(&pid_plain);
}

Test(pid, as_pid_1_killed_at_any_step_leaves_nothing, .timeout = 150)
{
	basic_kill_points(&pid_plain);
}

/* ---- helpers (candidates for the harness) --------------------------- */

/* The children of `pid` (its main thread's), at most `max`. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[4096];
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (char *p = buf; *p && n < max;) {
		pid_t c = (pid_t)strtol(p, &p, 10);

		if (c > 0)
			out[n++] = c;
		while (*p == ' ')
			p++;
	}
	return n;
}

/* The state letter of /proc/PID/stat (R, S, Z...), 0 if pid is gone. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *paren;
	int fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* The process the lesson cloned (PID 1 inside), waiting up to 2 s. */
static pid_t lesson_child(const struct run *r)
{
	pid_t c[4];

	for (double end = now() + 2.0; now() < end; nap(0.01))
		if (children_of(r->pid, c, 4) > 0)
			return c[0];
	cr_assert_fail("the lesson (pid %d) has no child: it should clone() one; %s",
		       (int)r->pid, why(r));
	return 0;
}

/* How many zombies are among the descendants of `root`. */
static int zombies_under(pid_t root)
{
	pid_t queue[256];
	int head = 0, tail = 0, zombies = 0;

	queue[tail++] = root;
	while (head < tail) {
		pid_t pid = queue[head++];

		if (pid != root && state_of(pid) == 'Z')
			zombies++;
		tail += children_of(pid, queue + tail, 256 - tail);
	}
	return zombies;
}

/* A shell command line: `script` with "%d" and "%s" filled in. */
static const char *cmdline(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *cmdline(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/* ---- which namespaces, seen from both sides ------------------------- */

Test(pid, command_is_pid_1_seen_from_inside)
{
	struct run r;
	struct probe p;

	run_lesson(&r, ARGS("-q", "--", probe_bin()));
	cr_assert_eq(r.code, 0, "pid -- probe exited with %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.pid, 1, "getpid() inside is %d, not 1: the command must be "
		     "the first process of a new PID namespace (CLONE_NEWPID), "
		     "exec'd by the cloned child itself", (int)p.pid);
	cr_assert_eq(p.ppid, 0, "getppid() of PID 1 is %d; its parent lives outside "
		     "the namespace, so it should be 0", (int)p.ppid);
	check_new_namespaces(&pid_plain, p.ns, "seen from inside (/proc/self/ns)");
	run_free(&r);
}

Test(pid, with_init_the_command_is_pid_2)
{
	struct nsid init_ns, cmd_ns;
	struct run r;
	struct probe p;
	pid_t init, cmd;

	run_hold(&r, ARGS("-q", "-i", "--", probe_bin(), "--hold"), NULL);
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.pid, 2, "with -i the command should be PID 2 (the init is "
		     "PID 1 and forks it), not %d", (int)p.pid);
	cr_assert_eq(p.ppid, 1, "with -i the command's parent should be the init, "
		     "PID 1, not %d", (int)p.ppid);
	init = lesson_child(&r);
	cmd = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert(ns_of(init, "pid", &init_ns) && ns_of(cmd, "pid", &cmd_ns) &&
		  ns_same(init_ns, cmd_ns) && !ns_same(init_ns, my_ns("pid")),
		  "the init and the command should share one new PID namespace");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- /proc ----------------------------------------------------------- */

/* Run a shell that starts k sleepers and lists /proc (the glob is
 * expanded by the shell itself, no extra process); check the list. */
static void check_proc_lists(bool init)
{
	int k = random_between(1, 4), first = init ? 2 : 1, want = first + k;
	char script[256], *line, *end;
	bool seen[16] = {false};
	int count = 0;
	struct run r;

	cmdline(script, sizeof(script),
		"i=0; while [ $i -lt %d ]; do sleep 5 & i=$((i+1)); done; "
		"echo pids /proc/[0-9]*", k);
	if (init)
		run_lesson(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c", script));
	else
		run_lesson(&r, ARGS("-q", "--", "/bin/sh", "-c", script));
	cr_assert_eq(r.code, 0, "pid%s -- sh -c '...' exited with %d; %s",
		     init ? " -i" : "", r.code, why(&r));
	line = strstr(r.out, "pids ");
	cr_assert_not_null(line, "the shell printed no list of /proc; %s", why(&r));
	end = strchrnul(line, '\n');
	for (char *p = strstr(line, "/proc/"); p && p < end;
	     p = strstr(p + 1, "/proc/")) {
		long v = strtol(p + 6, NULL, 10);

		count++;
		if (v >= 1 && v < 16)
			seen[v] = true;
	}
	for (int v = 1; v <= want; v++)
		cr_assert(seen[v] && count == want,
			  "inside, /proc lists \"%.*s\"; the namespace holds exactly "
			  "%d processes, numbered 1 to %d%s: mount a fresh proc on "
			  "/proc from inside the new PID namespace", (int)(end - line - 5),
			  line + 5, want, want, init ? " (the init, the shell and its "
			  "sleepers)" : " (the shell and its sleepers)");
	run_free(&r);
}

Test(pid, proc_lists_only_the_namespace)
{
	check_proc_lists(false);
	check_proc_lists(true);
}

Test(pid, fresh_proc_is_private_nosuid_nodev_noexec)
{
	char *line, *save = NULL, *top = NULL;
	struct run r;

	/* The mount table inside: the last /proc line is the mount on top. */
	run_lesson(&r, ARGS("-q", "--", "/bin/cat", "/proc/self/mountinfo"));
	cr_assert_eq(r.code, 0, "pid -- cat /proc/self/mountinfo exited with %d; %s",
		     r.code, why(&r));
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char point[256], type[64];
		const char *dash = strstr(line, " - ");

		if (dash && sscanf(line, "%*s %*s %*s %*s %255s", point) == 1 &&
		    sscanf(dash, " - %63s", type) == 1 && !strcmp(point, "/proc") &&
		    !strcmp(type, "proc"))
			top = line;
	}
	cr_assert_not_null(top, "no proc filesystem on /proc inside; %s", why(&r));
	cr_assert(strstr(top, "nosuid") && strstr(top, "nodev") && strstr(top, "noexec"),
		  "the /proc inside is mounted \"%s\": mount it with MS_NOSUID | "
		  "MS_NODEV | MS_NOEXEC", top);
	*strstr(top, " - ") = '\0';
	cr_assert(!strstr(top, " shared:"), "the /proc inside is a shared mount "
		  "(\"%s\"): make \"/\" private (MS_REC | MS_PRIVATE) before mounting "
		  "it, or it propagates to the host", top);
	run_free(&r);
}

Test(pid, host_proc_and_mounts_unchanged_while_running)
{
	char *before = host_state(harness_isolated()), self[32], want[32];
	struct nsid theirs;
	struct run r;
	pid_t child;
	ssize_t n;

	run_hold(&r, ARGS("-q", "--", probe_bin(), "--hold"), NULL);
	/* The new /proc lives in the child's mount namespace only. */
	assert_host_state(before, "while the lesson ran (its /proc must stay in "
			  "its own mount namespace, made private first)");
	snprintf(want, sizeof(want), "%d", (int)getpid());
	n = readlink("/proc/self", self, sizeof(self) - 1);
	cr_assert_gt(n, 0, "/proc/self is unreadable on the host side");
	self[n] = '\0';
	cr_assert_str_eq(self, want, "on the host side /proc/self is \"%s\", not our "
			 "pid %s: the host's /proc was replaced", self, want);
	child = lesson_child(&r);
	cr_assert(ns_of(child, "pid", &theirs), "the host's /proc no longer shows the "
		  "lesson's child %d", (int)child);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	n = readlink("/proc/self", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	cr_assert_str_eq(self, want, "after the run /proc/self is \"%s\"", self);
	free(before);
	run_free(&r);
}

/* ---- PID 1's duties: orphans ---------------------------------------- */

/* A shell that leaves k orphans (each a sleep whose parent shell exits at
 * once) and then becomes a probe that holds, never calling wait(). */
static const char *orphan_script(char *buf, size_t size, int k)
{
	return cmdline(buf, size,
		       "i=0; while [ $i -lt %d ]; do sh -c 'sleep 0.1 &'; "
		       "i=$((i+1)); done; exec %s --hold", k, probe_bin());
}

Test(pid, init_reaps_orphans)
{
	int k = random_between(2, 5), zombies = 0, nchildren = 0;
	char script[512];
	pid_t init, kids[16];
	struct run r;

	orphan_script(script, sizeof(script), k);
	run_hold(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c", script), NULL);
	init = lesson_child(&r);
	/* Orphans go to PID 1, the init; once they are dead it must wait()
	 * for them, leaving it the command as its only child. */
	for (double end = now() + 3.0; now() < end; nap(0.05)) {
		zombies = zombies_under(init);
		nchildren = children_of(init, kids, 16);
		if (zombies == 0 && nchildren == 1)
			break;
	}
	cr_assert_eq(zombies, 0, "%d of the %d orphans stayed zombies in the "
		     "namespace: the init (PID 1) must wait() for every child, "
		     "not only the command; %s", zombies, k, why(&r));
	cr_assert_eq(nchildren, 1, "the init still has %d children; only the "
		     "command should be left", nchildren);
	cr_assert(state_of(kids[0]) != 'Z' && state_of(kids[0]) != 0,
		  "the command (the probe) should still be running");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, pid1_that_never_waits_keeps_zombies)
{
	char script[512];
	int zombies = 0;
	struct run r;
	pid_t child;

	/* The control for init_reaps_orphans: without -i the probe is PID 1,
	 * never waits, and the kernel leaves its dead orphans as zombies. */
	orphan_script(script, sizeof(script), random_between(2, 5));
	run_hold(&r, ARGS("-q", "--", "/bin/sh", "-c", script), NULL);
	child = lesson_child(&r);
	for (double end = now() + 3.0; now() < end && zombies == 0; nap(0.05))
		zombies = zombies_under(child);
	cr_assert_gt(zombies, 0, "a PID 1 that never calls wait() should collect "
		     "zombies; none appeared, so the orphans did not go to the "
		     "command as PID 1; %s", why(&r));
	/* Its death ends the namespace, and the zombies with it. */
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, processes_left_behind_end_with_the_namespace)
{
	for (int init = 0; init <= 1; init++) {
		int want = random_between(0, 120);
		char script[128];
		double start = now();
		struct run r;

		cmdline(script, sizeof(script),
			"sleep 30 & sh -c 'sleep 30 &'; exit %d", want);
		if (init)
			run_lesson(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c", script));
		else
			run_lesson(&r, ARGS("-q", "--", "/bin/sh", "-c", script));
		/* run_lesson also fails if any process outlived the run. */
		cr_assert_eq(r.code, want, "pid%s -- sh -c 'sleep 30 & exit %d' "
			     "exited with %d; %s", init ? " -i" : "", want, r.code,
			     why(&r));
		cr_assert_lt(now() - start, 5.0, "pid%s waited for the sleepers; when "
			     "the command ends, PID 1 ends and the kernel kills the "
			     "rest of the namespace", init ? " -i" : "");
		run_free(&r);
	}
}

/* ---- PID 1's duties: signals ---------------------------------------- */

Test(pid, sigterm_reaches_the_command)
{
	int want = random_between(1, 120);
	char script[160];
	struct run r;

	/* Without -i the shell is PID 1: it gets SIGTERM because it has a
	 * handler (the trap). */
	cmdline(script, sizeof(script),
		"trap 'exit %d' TERM; echo ready; while :; do sleep 0.05; done",
		want);
	run_hold(&r, ARGS("-q", "--", "/bin/sh", "-c", script), NULL);
	run_kill(&r, SIGTERM);
	cr_assert_eq(r.code, want, "SIGTERM sent to pid should reach the command "
		     "(a shell whose trap exits %d), but pid exited with %d: "
		     "forward it with a handler that calls kill(child, sig); %s",
		     want, r.code, why(&r));
	run_free(&r);
}

Test(pid, init_forwards_signals_to_the_command)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	int sig = sigs[random_between(0, 4)];
	struct run_opts o = {.keep_stdin = true};
	struct run r;

	/* With -i the command is PID 2 and has no handler: the signal kills
	 * it once the launcher and the init have passed it on. (Not a probe
	 * that holds: run_kill closes its stdin, and it would exit 0 before
	 * the signal arrived.) */
	run_start(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c",
			   "echo ready; exec sleep 30"), &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "pid -i: the command never started; %s", why(&r));
	run_kill(&r, sig);
	cr_assert_eq(r.code, 128 + sig, "%s sent to pid -i should reach the command "
		     "(PID 2) and kill it, so pid exits with %d, not %d: the "
		     "launcher forwards to the init, the init to the command; %s",
		     sigabbrev_np(sig), 128 + sig, r.code, why(&r));
	run_free(&r);
}

Test(pid, pid1_ignores_signals_it_does_not_handle)
{
	siginfo_t info = {0};
	struct run r;
	pid_t cmd;

	/* Without -i the probe is PID 1 and has no handler for SIGTERM: the
	 * forwarded signal is dropped by the kernel, and pid must not die
	 * of it either. */
	run_hold(&r, ARGS("-q", "--", probe_bin(), "--hold"), NULL);
	cmd = lesson_child(&r);
	kill(r.pid, SIGTERM);
	nap(0.3);
	/* Look at how pid ended, if it did, without reaping it (WNOWAIT):
	 * run_finish does that. */
	waitid(P_PID, r.pid, &info, WEXITED | WNOHANG | WNOWAIT);
	cr_assert(!(info.si_pid == r.pid && info.si_code != CLD_EXITED),
		  "pid died of SIGTERM: it should catch the signal and pass it on "
		  "to the command, not die of it; %s", why(&r));
	cr_assert(info.si_pid != r.pid && state_of(cmd) != 'Z' && state_of(cmd) != 0,
		  "the command died of the forwarded SIGTERM, but as PID 1 without "
		  "a handler the kernel should have dropped it: is it really PID 1 "
		  "of a new PID namespace (CLONE_NEWPID)? %s", why(&r));
	run_finish(&r);
	cr_assert_eq(r.code, 0, "after its stdin closed the probe should exit 0, "
		     "got %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- exit status and errors ----------------------------------------- */

Test(pid, rootless_run_as_an_ordinary_user)
{
	struct run_opts o = {.rootless = true};
	struct run r;
	struct probe p;

	if (geteuid() != 0)
		cr_skip_test("needs root to choose an ordinary user to run as");
	/* As make lesson04 runs it for an ordinary user: root only inside a
	 * user namespace of its own, which owns the new PID namespace and
	 * may therefore mount a proc for it. */
	o.uid = o.gid = test_uid();
	run_start(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c",
			   "echo pids /proc/[0-9]*; exec \"$0\"", probe_bin()), &o);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "rootless (as uid %u in a user namespace of its own, "
		     "as make lesson04 runs it) pid -i exited with %d; %s",
		     (unsigned)o.uid, r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.pid, 2, "rootless, with -i the command should be PID 2, not %d",
		     (int)p.pid);
	cr_assert(strstr(r.out, "pids /proc/1 /proc/2\n"), "rootless, /proc inside "
		  "should list the init and the shell only; the shell printed: %s",
		  r.out);
	cr_assert(!ns_same(p.ns[ns_index("pid")], my_ns("pid")),
		  "rootless, the command still shares the test's PID namespace");
	run_free(&r);
}
