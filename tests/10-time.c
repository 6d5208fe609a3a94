/* Lesson 10: time runs a command in a new time namespace whose
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME are the host's plus offsets
 * (--monotonic, --boottime), or read a chosen uptime (--uptime); the
 * host's clocks and the wall clock stay as they are.
 *
 * Steps (solutions/10-time/time.c): 1 a new time namespace for the
 * children, 2 the offsets for --uptime, 3 the offsets written before the
 * child enters. A test named sN_ checks step N and passes as soon as
 * steps 1 to N are right; all_ tests check the whole program. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void setup(void)
{
	harness_setup();
	require_unshare(CLONE_NEWTIME, "CLONE_NEWTIME");
}

TestSuite(time, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

static const struct lesson timel = {MANIFEST_10};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value after "clock NAME " in the probe's output. */
static double probe_clock(const struct run *r, const char *name)
{
	char key[32];
	const char *p;
	double v = -1;

	snprintf(key, sizeof(key), "clock %s ", name);
	p = strstr(r->out, key);
	cr_assert(p && sscanf(p + strlen(key), "%lf", &v) == 1,
		  "the probe did not report CLOCK_%s; %s", name, why(r));
	return v;
}

Test(time, s1_the_children_go_to_a_new_time_namespace)
{
	char want[64];
	struct run r;

	run_lesson(&r, ARGS("--boottime", "5", "--", probe_bin()));
	if (strstr(r.err, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", why(&r));
	cr_assert(!strstr(r.err, "still go to"), "the children would still go to "
		  "the host's time namespace: unshare(CLONE_NEWTIME) makes a new one "
		  "for them (time_for_children); %s", why(&r));
	snprintf(want, sizeof(want), "parent pid %d in %s", (int)r.pid,
		 ns_link("time", my_ns("time")));
	cr_assert(strstr(r.err, want), "the launcher itself stays in the host's "
		  "time namespace; the account should say \"%s\"; %s", want, why(&r));
	cr_assert(strstr(r.err, "its children go to time:["), "the account should "
		  "name the children's new namespace; %s", why(&r));
	run_free(&r);
}

Test(time, s2_the_offsets_make_the_uptime_the_one_asked)
{
	long long want = random_between(0, 1000) * 86400LL + random_between(0, 86399);
	long long sec = 0;
	long nsec = -1;
	double host, got;
	char up[24];
	const char *line;
	struct run r;

	snprintf(up, sizeof(up), "%lld", want);
	host = clock_s(CLOCK_BOOTTIME);
	run_lesson(&r, ARGS("--uptime", up, "--", probe_bin()));
	if (strstr(r.err, "TODO(2)"))
		cr_assert_fail("step 2 is not done: %s", why(&r));
	line = strstr(r.err, "boottime ");
	cr_assert(line && sscanf(line, "boottime %lld %ld", &sec, &nsec) == 2,
		  "no \"offsets: ... boottime S NS\" in the account; %s", why(&r));
	cr_assert(nsec >= 0 && nsec < 1000000000L, "the boottime offset's "
		  "nanoseconds are %ld: the kernel takes 0 to 999999999, so a "
		  "negative part borrows a second from the seconds", nsec);
	got = host + sec + nsec / 1e9;
	cr_assert(got > want - 1.0 && got < want + 1.0, "--uptime %lld: the host's "
		  "boottime %.2f plus the offset %lld.%09ld makes %.2f, not %lld: the "
		  "offset is the uptime asked minus the host's clock", want, host, sec,
		  nsec, got, want);
	run_free(&r);
}

Test(time, s3_the_uptime_inside_is_the_one_asked)
{
	long long want = random_between(0, 1) ? 0 : random_between(1, 1000) * 86400LL;
	double inside = -1, before, after;
	char up[24];
	struct run r;

	snprintf(up, sizeof(up), "%lld", want);
	before = clock_s(CLOCK_BOOTTIME);
	run_lesson(&r, ARGS("-q", "--uptime", up, "--", "/bin/cat", "/proc/uptime"));
	after = clock_s(CLOCK_BOOTTIME);
	cr_assert(!strstr(r.err, "Invalid argument"), "the kernel refused the "
		  "offsets: each line is CLOCK SECONDS NANOSECONDS, with nanoseconds "
		  "from 0 to 999999999; %s", why(&r));
	cr_assert(!strstr(r.err, "Permission denied"), "the offsets can only be "
		  "written while the namespace is empty: before the child is made; %s",
		  why(&r));
	cr_assert_eq(r.code, 0, "time -- cat /proc/uptime exited %d; %s", r.code, why(&r));
	cr_assert(sscanf(r.out, "%lf", &inside) == 1, "cat /proc/uptime printed "
		  "\"%.60s\"", r.out);
	cr_assert(inside >= want - 1.0 && inside <= want + 1.0 + (after - before),
		  "--uptime %lld: /proc/uptime inside reads %.2f: the offset is the "
		  "uptime asked minus the host's clock", want, inside);
	/* The host's own uptime went on as before. */
	cr_assert(clock_s(CLOCK_BOOTTIME) >= after, "the host's CLOCK_BOOTTIME went back");
	run_free(&r);
}

Test(time, s3_offsets_add_to_the_hosts_clocks_not_to_the_wall_clock)
{
	long long mono = random_between(1, 100000), boot = random_between(100001, 10000000);
	double m0, b0, w0, m1, b1, w1, m, b, w;
	char smono[24], sboot[24];
	struct run r;

	snprintf(smono, sizeof(smono), "%lld", mono);
	snprintf(sboot, sizeof(sboot), "%lld", boot);
	m0 = clock_s(CLOCK_MONOTONIC), b0 = clock_s(CLOCK_BOOTTIME), w0 = clock_s(CLOCK_REALTIME);
	run_lesson(&r, ARGS("-q", "--monotonic", smono, "--boottime", sboot, "--",
			    probe_bin(), "--clocks"));
	m1 = clock_s(CLOCK_MONOTONIC), b1 = clock_s(CLOCK_BOOTTIME), w1 = clock_s(CLOCK_REALTIME);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	m = probe_clock(&r, "monotonic");
	b = probe_clock(&r, "boottime");
	w = probe_clock(&r, "realtime");
	cr_assert(m >= m0 + mono - 1 && m <= m1 + mono + 1, "--monotonic %lld: "
		  "CLOCK_MONOTONIC inside reads %.2f, the host's %.2f to %.2f: "
		  "\"monotonic SECONDS NANOSECONDS\" in timens_offsets", mono, m, m0, m1);
	cr_assert(b >= b0 + boot - 1 && b <= b1 + boot + 1, "--boottime %lld: "
		  "CLOCK_BOOTTIME inside reads %.2f, the host's %.2f to %.2f: "
		  "\"boottime SECONDS NANOSECONDS\" in timens_offsets", boot, b, b0, b1);
	cr_assert(w >= w0 - 1 && w <= w1 + 1, "CLOCK_REALTIME inside reads %.2f, "
		  "outside %.2f: no time namespace changes the wall clock", w, w0);
	run_free(&r);
}

LESSON_BASICS(time, &timel, s1)

Test(time, all_bad_input_gets_a_clear_error)
{
	const struct bad_input rows[] = {
		BAD(2, "Usage", "--uptime"),
		BAD(2, "0 or more", "--uptime", "-5", "--", probe_bin()),
		BAD(2, "whole seconds", "--monotonic", "1.5", "--", probe_bin()),
		BAD(2, "whole seconds", "--boottime", "soon", "--", probe_bin()),
		BAD(2, "alone", "--uptime", "10", "--boottime", "5", "--", probe_bin()),
	};

	check_bad_inputs(&timel, rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- the challenge: --uptime-of PID, a process's own uptime ---------- */

Test(time, challenge_uptime_of_a_process_counts_from_its_start)
{
	double started, elapsed, boot, mono;
	char spid[16];
	struct run r;
	pid_t pid;

	started = clock_s(CLOCK_BOOTTIME);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		pause();
		_exit(0);
	}
	harness_keep(pid);
	nap(random_between(800, 1800) / 1000.0);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	run_lesson(&r, ARGS("-q", "--uptime-of", spid, "--", probe_bin(), "--clocks"));
	elapsed = clock_s(CLOCK_BOOTTIME) - started;
	cr_assert_eq(r.code, 0, "time --uptime-of %s: exit status %d; %s", spid, r.code,
		     why(&r));
	boot = probe_clock(&r, "boottime");
	mono = probe_clock(&r, "monotonic");
	/* Inside, both clocks count from the process's start: no more than
	 * the test's own count since it forked it, nor much less. */
	cr_assert(boot <= elapsed + 0.05 && boot >= elapsed - 0.5, "time --uptime-of %s: "
		  "CLOCK_BOOTTIME inside reads %.2f s, but pid %s started %.2f s ago "
		  "(its start time: /proc/%s/stat, field 22)", spid, boot, spid, elapsed, spid);
	cr_assert(mono <= elapsed + 0.05 && mono >= elapsed - 0.5, "time --uptime-of %s: "
		  "CLOCK_MONOTONIC inside reads %.2f s, but pid %s started %.2f s ago: "
		  "both clocks count from its start", spid, mono, spid, elapsed);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	run_free(&r);
}

Test(time, challenge_uptime_of_bad_input_gets_a_clear_error)
{
	const struct bad_input rows[] = {
		BAD(2, "abc", "--uptime-of", "abc", "--", probe_bin()),
		BAD(1, "/proc/2147483647/stat", "--uptime-of", "2147483647", "--", probe_bin()),
		BAD(2, "--uptime-of sets both", "--uptime-of", "1", "--uptime", "5", "--",
		    probe_bin()),
	};

	check_bad_inputs(&timel, rows, sizeof(rows) / sizeof(rows[0]));
}
