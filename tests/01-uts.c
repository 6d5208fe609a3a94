/* Lesson 01: uts runs a command in a new UTS namespace, with the hostname
 * and NIS domain name it was asked for, and leaves the host's alone.
 *
 * Steps (solutions/01-uts/uts.c): 1 the child in a new UTS namespace,
 * 2 the names inside, 3 the exit status. A test named sN_ checks step N
 * and passes as soon as steps 1 to N are right; all_ tests check the
 * whole program (tests/harness.h, LESSON_BASICS). */
#define _GNU_SOURCE
#include "harness.h"

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void setup(void)
{
	harness_setup();
	/* Every test here lets the lesson create a UTS namespace. */
	require_unshare(CLONE_NEWUTS, "CLONE_NEWUTS");
}

TestSuite(uts, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

static const struct lesson uts = {MANIFEST_01};

/* Step 1, seen by the parent: its account names the child's namespace
 * before the child runs anything, so this holds while steps 2 and 3
 * still stop the program. Whether the child ends with SIGCHLD is read
 * from the child itself, stopped as clone() returns: by the time the
 * lesson waits, the command's execve() has made it SIGCHLD anyway, or
 * not yet, which made waitpid() a coin toss. */
Test(uts, s1_child_runs_in_a_new_uts_namespace)
{
	struct run r;
	int exit_signal;

	exit_signal = first_child_exit_signal(&r, ARGS("--", probe_bin()), NULL);
	run_finish(&r);
	cr_assert(r.code != 128 + SIGSEGV, "the child died of SIGSEGV before it "
		  "ran anything: a stack grows down, so clone() is given the top "
		  "of the stack, not its start (clone(2), DESCRIPTION)");
	cr_assert(!strstr(r.err, "already gone"), "the child was already gone when "
		  "the parent looked at it: did it crash at once? clone() is given "
		  "the top of the stack (it grows down); %s", why(&r));
	/* The skeleton's stand-in for step 3 waits for the child too: a
	 * child cloned without SIGCHLD is not one waitpid() sees. */
	cr_assert(!strstr(r.err, "No child processes"), "%s", why(&r));
	check_account_new(&r, "uts", NULL, "clone() needs CLONE_NEWUTS in its flags");
	cr_assert(exit_signal != -1, "the lesson made no child; %s", why(&r));
	cr_assert_eq(exit_signal, SIGCHLD, "the child is made to send signal %d "
		     "when it ends, not SIGCHLD: a child made by clone() without "
		     "SIGCHLD in its flags does not count for waitpid(), which then "
		     "finds no child or not, by chance (clone(2), \"The child "
		     "termination signal\")", exit_signal);
	run_free(&r);
}

Test(uts, s2_names_are_the_ones_asked)
{
	char host[HOST_NAME_MAX + 1], domain[24];
	struct utsname before, after;
	struct run r;
	struct probe p;

	/* Any length from 1 to the limit of 64 bytes must work. */
	random_name(host, sizeof(host), "h", random_between(1, HOST_NAME_MAX));
	random_name(domain, sizeof(domain), "nis-", 20);
	uname(&before);
	run_lesson(&r, ARGS("-q", "-n", host, "-d", domain, "--", probe_bin()));
	uname(&after);
	cr_assert_str_eq(after.nodename, before.nodename,
			 "the host's hostname changed from \"%s\" to \"%s\"",
			 before.nodename, after.nodename);
	cr_assert_str_eq(after.domainname, before.domainname,
			 "the host's domain name changed");
	cr_assert(strstr(r.out, "nslab-probe report"), "the command did not run: %s",
		  why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_str_eq(p.hostname, host, "the hostname inside is \"%s\", asked "
			 "\"%s\": sethostname() in the child (step 2)", p.hostname,
			 host);
	cr_assert_str_eq(p.domainname, domain, "the domain name inside is \"%s\", "
			 "asked \"%s\" with -d: setdomainname() in the child (step 2)",
			 p.domainname, domain);
	run_free(&r);
}

LESSON_BASICS(uts, &uts, s1)

/* ---- step 3: the exit status is the command's ----------------------- */

/* Step 3 is the lesson's exit status, so the shared checks of it are
 * this step's tests too (they are also all_ tests, with the rest). */
Test(uts, s3_exit_status_is_the_commands) { basic_exit_status(&uts); }
Test(uts, s3_death_by_signal_is_128_plus_n) { basic_death_by_signal(&uts); }

Test(uts, all_bad_input_gets_a_clear_error)
{
	char host[HOST_NAME_MAX + 8], domain[HOST_NAME_MAX + 8];

	random_name(host, sizeof(host), "long-", HOST_NAME_MAX + 1 + random_between(0, 5));
	random_name(domain, sizeof(domain), "nis-", HOST_NAME_MAX + 1);
	const struct bad_input rows[] = {
		BAD(2, "Usage", "-d"),
		BAD(2, "at most 64", "-n", host, "--", probe_bin()),
		BAD(2, "at most 64", "-d", domain, "--", probe_bin()),
		BAD(2, "Usage", "-n", "box", "-x", "--", probe_bin()),
	};

	check_bad_inputs(&uts, rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- the challenge: -j PID joins a running process's UTS namespace ---- */

/* A lesson run holding in a UTS namespace named `host`; the pid of its
 * command, which the joiner is given. */
static pid_t start_named(struct run *r, const char *host)
{
	pid_t child;

	run_hold(r, ARGS("-q", "-n", host, "--", probe_bin(), "--hold"), NULL);
	child = find_descendant(r->pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's "
		     "children; %s", why(r));
	/* The holder outlives the joiner's run on purpose. */
	harness_keep(r->pid);
	harness_keep(child);
	return child;
}

Test(uts, challenge_join_runs_in_the_uts_namespace_of_pid)
{
	char host[24], pid[16];
	struct ns_id theirs;
	struct run holder, r;
	struct utsname before, after;
	struct probe p;
	pid_t child;

	random_name(host, sizeof(host), "joined-", 16);
	uname(&before);
	child = start_named(&holder, host);
	cr_assert(ns_of(child, "uts", &theirs), "cannot read the UTS namespace of pid %d",
		  (int)child);
	snprintf(pid, sizeof(pid), "%d", (int)child);
	run_lesson(&r, ARGS("-q", "-j", pid, "--", probe_bin()));
	cr_assert(strstr(r.out, "nslab-probe report"), "uts -j %s -- probe: the "
		  "command did not run; %s", pid, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert(ns_same(p.ns[ns_index("uts")], theirs), "uts -j %s: the command "
		  "is not in the UTS namespace of pid %s (%s): it must join that "
		  "one, /proc/%s/ns/uts (setns(2)), not make a new one", pid, pid,
		  ns_link("uts", theirs), pid);
	cr_assert_str_eq(p.hostname, host, "uts -j %s: the hostname inside is "
			 "\"%s\", the namespace's is \"%s\"", pid, p.hostname, host);
	for (int i = 0; i < NS_COUNT; i++)
		cr_assert(!strcmp(ns_names[i], "uts") || ns_same(p.ns[i], my_ns(ns_names[i])),
			  "uts -j: the command's %s namespace is not the caller's: "
			  "join the UTS namespace only", ns_names[i]);
	cr_assert_eq(r.code, 0, "uts -j %s: exit status %d; %s", pid, r.code, why(&r));
	run_free(&r);
	run_finish(&holder);
	run_free(&holder);
	uname(&after);
	cr_assert_str_eq(after.nodename, before.nodename, "the host's hostname "
			 "changed from \"%s\" to \"%s\"", before.nodename, after.nodename);
}

Test(uts, challenge_join_passes_the_exit_status_on)
{
	char host[24], pid[16], code[8];
	struct run holder, r;
	int want = random_between(1, 99);

	random_name(host, sizeof(host), "joined-", 16);
	snprintf(pid, sizeof(pid), "%d", (int)start_named(&holder, host));
	snprintf(code, sizeof(code), "%d", want);
	run_lesson(&r, ARGS("-q", "-j", pid, "--", probe_bin(), "--exit", code));
	cr_assert(strstr(r.out, "nslab-probe report"), "uts -j %s -- probe: the "
		  "command did not run; %s", pid, why(&r));
	cr_assert_eq(r.code, want, "uts -j %s: exit status %d, the command's was %d",
		     pid, r.code, want);
	run_free(&r);
	run_finish(&holder);
	run_free(&holder);
}

Test(uts, challenge_join_bad_pid_gets_a_clear_error)
{
	const struct bad_input rows[] = {
		BAD(2, "abc", "-j", "abc", "--", probe_bin()),
		BAD(2, "-j 0", "-j", "0", "--", probe_bin()),
		BAD(1, "/proc/2147483647/ns/uts", "-j", "2147483647", "--", probe_bin()),
		BAD(2, "-n and -d", "-j", "1", "-n", "box", "--", probe_bin()),
	};

	check_bad_inputs(&uts, rows, sizeof(rows) / sizeof(rows[0]));
}
