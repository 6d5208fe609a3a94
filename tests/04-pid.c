/* Lesson 04: pid runs a command as PID 1 of a new PID namespace with a
 * fresh /proc (in a new mount namespace), or, with -i, behind an init that
 * reaps every child and passes signals on; the host's /proc and mount
 * table stay as they were, and each signal reaches the command once.
 *
 * Steps (solutions/04-pid/pid.c): 1 the child in new PID and mount
 * namespaces, 2 a fresh /proc, 3 PID 1's loop (with -i). Every mount
 * private before /proc is given code (lesson 03's step 2), checked with
 * step 1. A test named sN_ checks step N and passes as soon as steps
 * 1 to N are right; all_ tests check the whole program. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

/* ---- helpers ------------------------------------------------------------ */

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

/* The state letter of a process (R, S, Z...), 0 if it is gone. */
static char state_of(pid_t pid)
{
	char line[128];

	status_line(pid, "State:", line, sizeof(line));
	return line[0] ? line[7] : 0;
}

/* Is `sig` pending for `pid`, on its thread or its process? */
static bool pending(pid_t pid, int sig)
{
	char line[128];
	bool any = false;

	for (int i = 0; i < 2; i++) {
		unsigned long long mask;

		status_line(pid, i ? "ShdPnd:" : "SigPnd:", line, sizeof(line));
		if (line[0] && sscanf(line + 7, "%llx", &mask) == 1)
			any |= (mask >> (sig - 1)) & 1;
	}
	return any;
}

/* Is `pid` blocked in a system call? /proc/PID/syscall gives its number
 * then, "running" while it runs, and -1 when it waits outside one (a page
 * fault); a signal sent to a sleeper makes it "running" at once, until
 * its handler has run and it sleeps again (proc(5)). */
static bool asleep_in_a_system_call(pid_t pid)
{
	char path[64], *text;
	bool asleep;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if (!(text = slurp(path)))
		return true; /* gone: nothing left to wait for */
	asleep = text[0] >= '0' && text[0] <= '9';
	free(text);
	return asleep;
}

/* The process the lesson cloned (PID 1 inside), waiting up to 2 s. */
static pid_t lesson_child(const struct run *r)
{
	pid_t c[4];

	for (double end = now() + 2.0; now() < end; nap(0.01))
		if (children_of(r->pid, c, 4) > 0)
			return c[0];
	cr_assert_fail("the lesson (pid %d) has no child: it should start one; %s",
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

/* A shell command line: `fmt` with "%d" and "%s" filled in. */
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

/* The process group of `pid` (field 5 of /proc/PID/stat), 0 if gone. */
static pid_t pgrp_of(pid_t pid)
{
	char path[64], buf[512], *paren;
	int pgrp = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(buf, sizeof(buf), f) && (paren = strrchr(buf, ')')))
		sscanf(paren + 2, "%*c %*d %d", &pgrp);
	fclose(f);
	return pgrp;
}

/* How many times `needle` occurs in `text`. */
static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- step 1: the child in new PID and mount namespaces ------------------ */

/* Seen by the parent: its account names the child's namespaces before
 * the child runs anything, so this holds while steps 2 and 3 still stop
 * the program. */
Test(pid, s1_child_is_pid_1_of_new_pid_and_mount_namespaces)
{
	unsigned long long ino = 0, mnt = 0, pfc = 0;
	const char *line, *mline, *pline;
	struct run r;

	run_lesson(&r, ARGS("--", probe_bin()));
	require_steps_done(&r, 1);
	line = strstr(r.err, "child  pid ");
	mline = strstr(r.err, "child  mounts in ");
	pline = strstr(r.err, "pid_for_children ");
	cr_assert(line && mline, "the account has no \"child  pid N in pid:[...]\" "
		  "and \"child  mounts in mnt:[...]\" lines: did ns_spawn() fail? %s",
		  why(&r));
	cr_assert(sscanf(line, "child  pid %*d in pid:[%llu]", &ino) == 1 &&
		  sscanf(mline, "child  mounts in mnt:[%llu]", &mnt) == 1,
		  "cannot read the child's namespaces in \"%.160s\"", line);
	cr_assert(ino != (unsigned long long)my_ns("pid").ino, "the child is in "
		  "its parent's PID namespace (pid:[%llu]), so it is not PID 1 of "
		  "a new one: ns_spawn() needs CLONE_NEWPID in its flags", ino);
	cr_assert(mnt != (unsigned long long)my_ns("mnt").ino, "the child shares "
		  "its parent's mount namespace (mnt:[%llu]), and the /proc it "
		  "mounts would replace the host's: ns_spawn() needs CLONE_NEWNS "
		  "in its flags", mnt);
	cr_assert(strstr(line, "a new PID namespace") &&
		  strstr(mline, "a new mount namespace"),
		  "the account should call both namespaces new: \"%.160s\"", line);
	cr_assert(pline && sscanf(pline, "pid_for_children pid:[%llu]", &pfc) == 1 &&
		  pfc == (unsigned long long)my_ns("pid").ino, "the parent's "
		  "pid_for_children should stay its own PID namespace: clone() "
		  "moves only the child; %s", why(&r));
	run_free(&r);
}

/* ---- given: every mount private (lesson 03), seen with step 1 ----------- */

/* The test's own "/" is shared (harness_setup), as on a systemd host:
 * a mount namespace made from it starts with shared copies. */
Test(pid, s1_no_mount_inside_is_shared)
{
	struct run r;

	run_lesson(&r, ARGS("-q", "--", "/bin/cat", "/proc/self/mountinfo"));
	require_steps_done(&r, 1);
	cr_assert(!strstr(r.err, "still a shared mount"), "a mount inside is still "
		  "shared, so the new /proc would appear on the host: make \"/\" "
		  "private and every mount below it too (MS_REC with MS_PRIVATE, "
		  "in a mount() call of its own); %s", why(&r));
	cr_assert(!strstr(r.err, "mount(/"), "making the mounts private failed: "
		  "mount() with MS_REC | MS_PRIVATE must ask for nothing else "
		  "(no source, no MS_BIND); %s", why(&r));
	if (strstr(r.err, "TODO(2)") || !r.out[0]) {
		run_free(&r);
		return; /* the mount table inside is step 2's to show */
	}
	for (char *line = r.out; *line;) {
		char *end = strchrnul(line, '\n'), *dash = strstr(line, " - ");

		cr_assert(!dash || dash > end || !memmem(line, dash - line, " shared:", 8),
			  "a mount inside is shared: \"%.*s\": MS_REC with MS_PRIVATE "
			  "makes every mount private", (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
	run_free(&r);
}

/* ---- step 2: a fresh /proc ------------------------------------------------ */

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
	require_steps_done(&r, init ? 3 : 2);
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

Test(pid, s2_proc_lists_only_the_namespace)
{
	check_proc_lists(false);
}

Test(pid, s2_fresh_proc_is_nosuid_nodev_noexec)
{
	char *line, *save = NULL, *top = NULL;
	struct run r;

	/* The mount table inside: the last /proc line is the mount on top. */
	run_lesson(&r, ARGS("-q", "--", "/bin/cat", "/proc/self/mountinfo"));
	require_steps_done(&r, 2);
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
		  "MS_NODEV | MS_NOEXEC (a container's /proc needs no set-user-ID "
		  "programs, device files or executables)", top);
	run_free(&r);
}

Test(pid, s2_command_is_pid_1_seen_from_inside)
{
	struct run r;
	struct probe p;

	run_lesson(&r, ARGS("-q", "--", probe_bin()));
	require_steps_done(&r, 2);
	cr_assert_eq(r.code, 0, "pid -- probe exited with %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.pid, 1, "getpid() inside is %d, not 1: the command must be "
		     "the first process of a new PID namespace (CLONE_NEWPID)",
		     (int)p.pid);
	cr_assert_eq(p.ppid, 0, "getppid() of PID 1 is %d; its parent lives outside "
		     "the namespace, so it should be 0", (int)p.ppid);
	check_new_namespaces(&pid_plain, p.ns, "seen from inside (/proc/self/ns)");
	run_free(&r);
}

Test(pid, s2_host_proc_and_mounts_unchanged_while_running)
{
	char *before = host_state(harness_isolated()), self[32], want[32];
	struct ns_id theirs;
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
	free(before);
	run_free(&r);
}

/* A shell that leaves k orphans (each a sleep whose parent shell exits at
 * once) and then becomes a probe that holds, never calling wait(). */
static const char *orphan_script(char *buf, size_t size, int k)
{
	return cmdline(buf, size,
		       "i=0; while [ $i -lt %d ]; do sh -c 'sleep 0.1 &'; "
		       "i=$((i+1)); done; exec %s --hold", k, probe_bin());
}

Test(pid, s2_pid1_that_never_waits_keeps_zombies)
{
	char script[512];
	int zombies = 0;
	struct run r;
	pid_t child;

	/* The control for s3_init_reaps_orphans: without -i the probe is
	 * PID 1, never waits, and its dead orphans stay zombies. */
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

Test(pid, s2_pid1_drops_signals_it_does_not_handle)
{
	struct run r;
	siginfo_t how;
	pid_t cmd;

	/* Without -i the probe is PID 1 and has no handler for SIGTERM: the
	 * kernel drops the signal the launcher passes on, even though it
	 * comes from an ancestor namespace, and pid must not die of it. */
	run_hold(&r, ARGS("-q", "--", probe_bin(), "--hold"), NULL);
	cmd = lesson_child(&r);
	kill(r.pid, SIGTERM);
	/* The command can only be looked at once pid has passed the signal
	 * on: not when the signal stops being pending (pid's handler has
	 * yet to run), but when pid is back asleep in a system call with
	 * nothing pending, its handler done. A command that is not PID 1
	 * then has SIGTERM pending until it is gone. */
	for (double end = now() + RUN_TIMEOUT; now() < end; nap(0.01))
		if (state_of(r.pid) == 'Z' || state_of(r.pid) == 0 ||
		    (!pending(r.pid, SIGTERM) && asleep_in_a_system_call(r.pid)))
			break;
	/* How pid ended, if it did (the zombie stays for run_finish). */
	memset(&how, 0, sizeof(how));
	waitid(P_PID, (id_t)r.pid, &how, WEXITED | WNOHANG | WNOWAIT);
	cr_assert(!(how.si_pid == r.pid && how.si_code == CLD_KILLED &&
		    how.si_status == SIGTERM), "pid died of SIGTERM: it should "
		  "pass it on to the command, not die of it; %s", why(&r));
	cr_assert(!pending(cmd, SIGTERM) && state_of(cmd) != 'Z' && state_of(cmd) != 0,
		  "the command died of SIGTERM, but as PID 1 without a handler the "
		  "kernel should have dropped it: is it PID 1 of a new PID "
		  "namespace (CLONE_NEWPID)? %s", why(&r));
	cr_assert(how.si_pid != r.pid, "pid ended before its command; %s", why(&r));
	run_finish(&r);
	cr_assert_eq(r.code, 0, "after its stdin closed the probe should exit 0, "
		     "got %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, s2_sigterm_reaches_a_pid_1_that_handles_it)
{
	int want = random_between(3, 120);
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
		     "(a shell whose trap exits %d), but pid exited with %d; %s",
		     want, r.code, why(&r));
	run_free(&r);
}

Test(pid, s2_as_pid_1_exit_status_passes_through)
{
	basic_exit_status(&pid_plain);
}

Test(pid, s2_as_pid_1_killed_at_any_step_leaves_nothing, .timeout = 150)
{
	basic_kill_points(&pid_plain);
}

/* ---- step 3: PID 1's loop, behind -i --------------------------------------- */

Test(pid, s3_with_init_the_command_is_pid_2)
{
	struct ns_id init_ns, cmd_ns;
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
	require_steps_done(&r, 3);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, s3_proc_lists_only_the_namespace_behind_init)
{
	check_proc_lists(true);
}

Test(pid, s3_init_reaps_orphans)
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
	require_steps_done(&r, 3);
	cr_assert_eq(zombies, 0, "%d of the %d orphans stayed zombies in the "
		     "namespace: the init (PID 1) must reap any child, waitpid() "
		     "with pid -1, not only the command; %s", zombies, k, why(&r));
	cr_assert_eq(nchildren, 1, "the init still has %d children; only the "
		     "command should be left", nchildren);
	cr_assert(state_of(kids[0]) != 'Z' && state_of(kids[0]) != 0,
		  "the command (the probe) should still be running");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, s3_init_forwards_signals_to_the_command)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	int sig = sigs[random_between(0, 4)];
	struct run r;

	/* With -i the command is PID 2 and has no handler: the signal kills
	 * it once the launcher and the init have passed it on. (Not a probe
	 * that holds: run_kill closes its stdin, and it would exit 0 before
	 * the signal arrived.) */
	run_hold(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c",
			  "echo ready; exec sleep 30"), NULL);
	kill(r.pid, sig);
	/* Until it exits (the sleep holds its stdout open). */
	run_wait_output(&r, "\001never printed", RUN_TIMEOUT / 2);
	require_steps_done(&r, 3);
	cr_assert(r.reaped, "%s sent to pid -i did not end the command (PID 2, "
		  "with no handler for it): the launcher passes it to the init, "
		  "and the init (PID 1) must pass each signal it fetches on to "
		  "the command (init_forward); %s", sigabbrev_np(sig), why(&r));
	run_finish(&r);
	cr_assert_eq(r.code, 128 + sig, "%s sent to pid -i should reach the command "
		     "(PID 2) and kill it, so pid exits with %d, not %d: the "
		     "launcher passes it to the init, and the init (PID 1) must "
		     "pass each signal it fetches on to the command "
		     "(init_forward); %s", sigabbrev_np(sig), 128 + sig, r.code,
		     why(&r));
	run_free(&r);
}

Test(pid, s3_processes_left_behind_end_with_the_namespace)
{
	for (int init = 0; init <= 1; init++) {
		int want = random_between(3, 120);
		char script[128];
		double start = now();
		struct run r;

		cmdline(script, sizeof(script),
			"sleep 30 & sh -c 'sleep 30 &'; exit %d", want);
		if (init)
			run_start(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c", script), NULL);
		else
			run_start(&r, ARGS("-q", "--", "/bin/sh", "-c", script), NULL);
		/* Until it exits (the sleepers hold its stdout open). */
		run_wait_output(&r, "\001never printed", 5.0);
		cr_assert(r.reaped, "pid%s still runs 5 s after the command ended: "
			  "once the command has ended, the init ends the rest "
			  "(init_end_the_rest) and reaps them until no child is "
			  "left; %s", init ? " -i" : "", why(&r));
		/* run_finish also fails if any process outlived the run. */
		run_finish(&r);
		require_steps_done(&r, init ? 3 : 2);
		cr_assert_eq(r.code, want, "pid%s -- sh -c 'sleep 30 & exit %d' "
			     "exited with %d: once the command has ended, the init "
			     "ends the rest (init_end_the_rest) and reaps them until "
			     "no child is left; %s", init ? " -i" : "", want, r.code,
			     why(&r));
		cr_assert_lt(now() - start, 5.0, "pid%s waited for the sleepers; "
			     "once the command has ended, the init ends the rest "
			     "(init_end_the_rest)", init ? " -i" : "");
		run_free(&r);
	}
}

/* Has pid a handler for sig, or does it block it (to take it with
 * sigwaitinfo or a signalfd)? SigCgt and SigBlk of /proc/PID/status
 * (proc(5)); waits up to `timeout` seconds. */
static bool wait_signal_taken(pid_t pid, int sig, double timeout)
{
	char path[64], line[128];
	unsigned long long cgt, blk, bit = 1ULL << (sig - 1);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (double end = now() + timeout; now() < end; nap(0.01)) {
		FILE *f = fopen(path, "r");

		cgt = blk = 0;
		while (f && fgets(line, sizeof(line), f)) {
			sscanf(line, "SigCgt: %llx", &cgt);
			sscanf(line, "SigBlk: %llx", &blk);
		}
		if (f)
			fclose(f);
		if ((cgt | blk) & bit)
			return true;
	}
	return false;
}

/* The launcher, PID 1 and the command (a shell) each in a process group
 * of its own. */
static void check_own_groups(pid_t launcher, bool init)
{
	pid_t child = 0, cmd, kids[4];

	for (double end = now() + 2.0; !child && now() < end; nap(0.01))
		if (children_of(launcher, kids, 4) > 0)
			child = kids[0];
	cmd = init ? find_descendant(child, "sh", 2.0) : child;
	cr_assert(child && cmd, "cannot find PID 1 and the command");
	cr_assert(pgrp_of(child) != pgrp_of(launcher) &&
		  pgrp_of(cmd) != pgrp_of(launcher) &&
		  (cmd == child || pgrp_of(cmd) != pgrp_of(child)),
		  "pid%s: the launcher (group %d), PID 1 (group %d) and the command "
		  "(group %d) should each have a process group of its own, or a "
		  "signal sent to a group reaches the command directly and again "
		  "through each process that passes it on (lessons/lib/init.c, "
		  "own_process_group)", init ? " -i" : "", (int)pgrp_of(launcher),
		  (int)pgrp_of(child), (int)pgrp_of(cmd));
}

/* Issue: the launcher, PID 1 and the command would share one process
 * group, and a signal to the group would reach the command once directly
 * and once more through each process that passes signals on. */
static void check_sigint_once(bool init)
{
	int want = random_between(3, 120), got;
	char script[256];
	struct run r;

	cmdline(script, sizeof(script),
		"trap 'echo got INT' INT; trap 'echo got TERM; exit %d' TERM; "
		"echo ready; while :; do sleep 0.05; done", want);
	if (init)
		run_hold(&r, ARGS("-q", "-i", "--", "/bin/sh", "-c", script), NULL);
	else
		run_hold(&r, ARGS("-q", "--", "/bin/sh", "-c", script), NULL);
	/* Counting alone can miss a second copy (a signal that is still
	 * pending when the next arrives is counted once): look at the
	 * process groups too. */
	check_own_groups(r.pid, init);
	/* The launcher passes SIGINT on once it has set that up; until then
	 * a Ctrl-C ends it, as it would end any program still starting. */
	cr_assert(wait_signal_taken(r.pid, SIGINT, RUN_TIMEOUT), "pid%s never "
		  "caught or blocked SIGINT: it must pass signals on to the "
		  "command (forward_signals); %s", init ? " -i" : "", why(&r));
	/* The whole process group of the lesson, as kill -INT -PGID does. */
	kill(-r.pid, SIGINT);
	cr_assert(run_wait_output(&r, "got INT", RUN_TIMEOUT), "SIGINT sent to the "
		  "process group of pid%s never reached the command; %s",
		  init ? " -i" : "", why(&r));
	/* SIGTERM to the launcher alone comes down the same chain after any
	 * copy of SIGINT: when the command has it, every copy is in. */
	run_kill(&r, SIGTERM);
	got = count_of(r.out, "got INT");
	cr_assert_eq(r.code, want, "SIGTERM sent to pid%s should end the command "
		     "(its trap exits %d), got %d; %s", init ? " -i" : "", want,
		     r.code, why(&r));
	cr_assert_eq(got, 1, "one SIGINT sent to the process group of pid%s reached "
		     "the command %d times: the launcher and PID 1 each pass it "
		     "on, so the command must not be in their process group "
		     "(lessons/lib/init.c, own_process_group)", init ? " -i" : "",
		     got);
	run_free(&r);
}

Test(pid, s3_sigint_to_the_process_group_reaches_the_command_once)
{
	check_sigint_once(false);
	check_sigint_once(true);
}

/* Read the terminal's output until `needle` appears or `timeout` passes. */
static bool read_until(int master, char *buf, size_t size, size_t *len,
		       const char *needle, double timeout)
{
	for (double end = now() + timeout; !strstr(buf, needle) && now() < end;) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(master, buf + *len, size - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return strstr(buf, needle) != NULL;
}

/* Ctrl-C typed at a real terminal: the terminal sends SIGINT to its
 * foreground process group, which must be the command's. */
Test(pid, s3_ctrl_c_at_a_terminal_reaches_the_command_once)
{
	int want = random_between(3, 120), master, status = 0;
	char script[256], out[8192] = "";
	size_t len = 0;
	pid_t pid;

	cmdline(script, sizeof(script),
		"trap 'echo got INT' INT; trap 'echo got TERM; exit %d' TERM; "
		"echo ready; read line; echo \"read $line\"; "
		"while :; do sleep 0.05; done", want);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(master != -1 && grantpt(master) == 0 && unlockpt(master) == 0,
		  "cannot make a pseudo-terminal: %s", strerror(errno));
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* A session of its own, with the terminal as its controlling
		 * one: the lesson's group is the terminal's foreground. */
		int tty;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setsid() == -1 || (tty = open(ptsname(master), O_RDWR)) == -1)
			_exit(125);
		dup2(tty, 0);
		dup2(tty, 1);
		dup2(tty, 2);
		execl(lesson_bin(), lesson_bin(), "-q", "-i", "--", "/bin/sh", "-c",
		      script, (char *)NULL);
		_exit(125);
	}
	cr_assert(read_until(master, out, sizeof(out), &len, "ready", RUN_TIMEOUT),
		  "pid -i on a terminal: the command never started: %s", out);
	check_own_groups(pid, true);
	/* The command reads the terminal: its group must be the foreground,
	 * or it is stopped (SIGTTIN) and never reads. */
	cr_assert(write(master, "hello\n", 6) == 6, "write: %s", strerror(errno));
	cr_assert(read_until(master, out, sizeof(out), &len, "read hello", RUN_TIMEOUT),
		  "the command could not read the terminal: its process group "
		  "should be the terminal's foreground (tcsetpgrp); it printed: %s",
		  out);
	cr_assert(write(master, "\003", 1) == 1, "write: %s", strerror(errno));
	cr_assert(read_until(master, out, sizeof(out), &len, "got INT", RUN_TIMEOUT),
		  "Ctrl-C at the terminal never reached the command: %s", out);
	kill(pid, SIGTERM);
	cr_assert(read_until(master, out, sizeof(out), &len, "got TERM", RUN_TIMEOUT),
		  "SIGTERM to the launcher never reached the command: %s", out);
	for (double end = now() + RUN_TIMEOUT; now() < end; nap(0.02))
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	close(master);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == want, "pid -i on a "
		  "terminal should exit with the command's %d (status 0x%x): %s",
		  want, status, out);
	cr_assert_eq(count_of(out, "got INT"), 1, "one Ctrl-C reached the command "
		     "%d times: %s", count_of(out, "got INT"), out);
}

Test(pid, all_rootless_run_as_an_ordinary_user)
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
	require_steps_done(&r, 3);
	cr_assert_eq(r.code, 0, "rootless (as uid %u in a user namespace of its own, "
		     "as make lesson04 runs it) pid -i exited with %d; %s",
		     (unsigned)o.uid, r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.pid, 2, "rootless, with -i the command should be PID 2, not %d",
		     (int)p.pid);
	cr_assert(strstr(r.out, "pids /proc/1 /proc/2\n"), "rootless, /proc inside "
		  "should list the init and the shell only; the shell printed: %s",
		  r.out);
	run_free(&r);
}

LESSON_BASICS(pid, &pid_init, s1)

/* ---- the challenge: -s N, the command's PID chosen ------------------- */

Test(pid, challenge_the_command_gets_the_pid_asked)
{
	int want = random_between(3, 30000);
	char spid[16], me[32], next[32];
	struct run r;

	snprintf(spid, sizeof(spid), "%d", want);
	run_lesson(&r, ARGS("-q", "-i", "-s", spid, "--", "/bin/sh", "-c",
			    "echo \"me $$\"; /bin/true & echo \"next $!\"; wait"));
	snprintf(me, sizeof(me), "me %d\n", want);
	snprintf(next, sizeof(next), "next %d\n", want + 1);
	cr_assert(strstr(r.out, me), "pid -i -s %d: the command should be PID %d inside, "
		  "it printed \"%s\"; %s", want, want, r.out, why(&r));
	cr_assert(strstr(r.out, next), "pid -i -s %d: the command's first child should "
		  "be PID %d, the next number the namespace hands out; it printed "
		  "\"%s\"", want, want + 1, r.out);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(pid, challenge_a_pid_that_cannot_be_gets_a_clear_error)
{
	const struct bad_input with_init[] = {
		BAD(2, "from 2 to", "-s", "1", "--", probe_bin()),
		BAD(2, "\"abc\"", "-s", "abc", "--", probe_bin()),
		BAD(2, "from 2 to", "-s", "4194305", "--", probe_bin()),
	};
	const struct bad_input plain[] = {
		BAD(2, "-s needs -i", "-s", "5", "--", probe_bin()),
	};

	check_bad_inputs(&pid_init, with_init, sizeof(with_init) / sizeof(with_init[0]));
	check_bad_inputs(&pid_plain, plain, sizeof(plain) / sizeof(plain[0]));
}
