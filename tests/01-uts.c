/* Lesson 01: uts runs a command in a new UTS namespace, with the hostname
 * and NIS domain name it was asked for, and leaves the host's alone. */
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

/* Check, namespace by namespace, that only uts differs from ours. */
static void check_only_uts_differs(const struct nsid theirs[NS_COUNT],
				   const char *seen)
{
	for (int i = 0; i < NS_COUNT; i++) {
		struct nsid mine;

		if (!ns_of(getpid(), ns_names[i], &mine) || theirs[i].ino == 0)
			continue; /* a namespace type this kernel lacks */
		if (strcmp(ns_names[i], "uts") == 0)
			cr_assert(!ns_same(mine, theirs[i]),
				  "%s, the command is still in the parent's UTS "
				  "namespace: clone() needs CLONE_NEWUTS", seen);
		else
			cr_assert(ns_same(mine, theirs[i]),
				  "%s, the command is in a new %s namespace; lesson 01 "
				  "must create only a UTS namespace", seen, ns_names[i]);
	}
}

Test(uts, only_uts_differs_seen_from_inside)
{
	char host[16];
	struct run r;
	struct probe p;

	random_name(host, sizeof(host), "box-", 12);
	run_lesson(&r, ARGS("-q", "-n", host, "--", probe_bin()));
	cr_assert_eq(r.code, 0, "uts -n %s -- probe exited with %d; %s", host,
		     r.code, why(&r));
	p = probe_parse(r.out, &r);
	check_only_uts_differs(p.ns, "seen from inside (/proc/self/ns)");
	run_free(&r);
}

Test(uts, only_uts_differs_seen_from_outside)
{
	struct run_opts o = {.keep_stdin = true};
	struct nsid theirs[NS_COUNT] = {{0, 0}};
	char host[16], path[64], link[64], expect[64];
	struct run r;
	struct probe p;
	pid_t child;

	random_name(host, sizeof(host), "box-", 12);
	run_start(&r, ARGS("-q", "-n", host, "--", probe_bin(), "--hold"), &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "the command never started; %s", why(&r));
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	for (int i = 0; i < NS_COUNT; i++)
		ns_of(child, ns_names[i], &theirs[i]);
	check_only_uts_differs(theirs, "seen from outside (/proc/PID/ns)");

	/* What ls -l shows agrees with stat(), and with the probe inside. */
	snprintf(expect, sizeof(expect), "uts:[%llu]",
		 (unsigned long long)theirs[ns_index("uts")].ino);
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)child);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = '\0';
	cr_assert_str_eq(link, expect);
	p = probe_parse(r.out, &r);
	cr_assert(ns_same(p.ns[ns_index("uts")], theirs[ns_index("uts")]),
		  "the probe inside and /proc/PID/ns outside disagree");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(uts, names_are_the_ones_asked)
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
	cr_assert_eq(r.code, 0, "uts -n %s -d %s exited with %d; %s", host, domain,
		     r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_str_eq(p.hostname, host, "the hostname inside is \"%s\", asked \"%s\": "
			 "sethostname() in the child", p.hostname, host);
	cr_assert_str_eq(p.domainname, domain, "the domain name inside is \"%s\", asked "
			 "\"%s\": setdomainname() in the child", p.domainname, domain);
	cr_assert_str_eq(after.nodename, before.nodename,
			 "the host's hostname changed from \"%s\" to \"%s\"",
			 before.nodename, after.nodename);
	cr_assert_str_eq(after.domainname, before.domainname,
			 "the host's domain name changed");
	run_free(&r);
}

Test(uts, sigkill_mid_run_leaves_nothing)
{
	struct run_opts o = {.keep_stdin = true};
	struct utsname before, after;
	char host[16];
	struct run r;

	random_name(host, sizeof(host), "box-", 12);
	uname(&before);
	run_start(&r, ARGS("-q", "-n", host, "--", probe_bin(), "--hold"), &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "the command never started; %s", why(&r));
	/* run_kill also fails the test if any process or change survives. */
	run_kill(&r, SIGKILL);
	uname(&after);
	cr_assert_eq(r.code, 128 + SIGKILL);
	cr_assert_str_eq(after.nodename, before.nodename,
			 "the host's hostname changed to \"%s\"", after.nodename);
	run_free(&r);
}

Test(uts, exit_status_passes_through)
{
	char code[8];
	int want = random_between(1, 120);
	struct run r;

	snprintf(code, sizeof(code), "%d", want);
	run_lesson(&r, ARGS("-q", "--", probe_bin(), "--exit", code));
	cr_assert_eq(r.code, want, "the command exited with %d, uts with %d: return "
		     "the child's exit status; %s", want, r.code, why(&r));
	run_free(&r);
}

Test(uts, death_by_signal_is_128_plus_n)
{
	static const int sigs[] = {SIGTERM, SIGUSR1, SIGHUP, SIGUSR2, SIGALRM};
	int sig = sigs[random_between(0, 4)];
	char num[8];
	struct run r;

	snprintf(num, sizeof(num), "%d", sig);
	run_lesson(&r, ARGS("-q", "--", probe_bin(), "--signal", num));
	cr_assert_eq(r.code, 128 + sig, "signal %d killed the command; uts should "
		     "exit with %d, not %d; %s", sig, 128 + sig, r.code, why(&r));
	run_free(&r);
}

Test(uts, missing_command_exits_127)
{
	char cmd[40];
	struct run r;

	random_name(cmd, sizeof(cmd), "/nonexistent/cmd-", 24);
	run_lesson(&r, ARGS("-q", "--", cmd));
	cr_assert_eq(r.code, 127, "a command that does not exist should give 127, "
		     "got %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, cmd), "the error should name the command; %s", why(&r));
	run_free(&r);
}

Test(uts, hostname_over_64_bytes_is_refused)
{
	char host[HOST_NAME_MAX + 8];
	struct utsname before, after;
	struct run r;

	random_name(host, sizeof(host), "long-", HOST_NAME_MAX + 1 + random_between(0, 5));
	uname(&before);
	run_lesson(&r, ARGS("-q", "-n", host, "--", probe_bin()));
	uname(&after);
	cr_assert(r.code != 0 && r.code < 126, "a %zu-byte hostname should be a clear "
		  "error, got status %d", strlen(host), r.code);
	cr_assert(strstr(r.err, "64"), "the error should give the limit, 64 bytes; %s",
		  why(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert_str_eq(after.nodename, before.nodename);
	run_free(&r);
}

Test(uts, bad_usage_exits_2)
{
	struct run r;

	run_lesson(&r, ARGS("-z", "--", probe_bin()));
	cr_assert_eq(r.code, 2, "an unknown option should exit 2, got %d", r.code);
	cr_assert(strstr(r.err, "Usage"), "print the usage on stderr; %s", why(&r));
	run_free(&r);
	run_lesson(&r, ARGS("-n"));
	cr_assert_eq(r.code, 2, "-n without a hostname should exit 2, got %d", r.code);
	run_free(&r);
}

Test(uts, account_names_both_namespaces)
{
	char label[64];
	struct run r, q;
	struct probe p;

	run_lesson(&r, ARGS("--", probe_bin()));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	snprintf(label, sizeof(label), "uts:[%llu]",
		 (unsigned long long)p.ns[ns_index("uts")].ino);
	cr_assert(strstr(r.err, label), "without -q, stderr should show the child's "
		  "namespace as %s; %s", label, why(&r));
	snprintf(label, sizeof(label), "uts:[%llu]",
		 (unsigned long long)my_ns("uts").ino);
	cr_assert(strstr(r.err, label), "without -q, stderr should show the parent's "
		  "namespace as %s; %s", label, why(&r));

	run_lesson(&q, ARGS("-q", "--", probe_bin()));
	cr_assert_eq(q.code, 0);
	cr_assert_str_empty(q.err, "-q should silence the account; %s", why(&q));
	run_free(&r);
	run_free(&q);
}

Test(uts, without_root_says_how)
{
	struct run r;

	if (geteuid() != 0)
		cr_skip_test("needs root to drop to an ordinary user");
	run_lesson_as(&r, ARGS("-q", "--", probe_bin()), 65534, 65534);
	cr_assert(r.code != 0 && r.code < 126, "as an ordinary user uts should fail "
		  "clearly, got status %d", r.code);
	cr_assert(strstr(r.err, "sudo"), "the error should say how to run it (sudo); %s",
		  why(&r));
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		  "the error should be one line; %s", why(&r));
	run_free(&r);
}

Test(uts, rootless_run_as_an_ordinary_user)
{
	struct run_opts o = {.rootless = true};
	char host[16];
	struct run r;
	struct probe p;

	if (geteuid() != 0)
		cr_skip_test("needs root to choose an ordinary user to run as");
	o.uid = o.gid = test_uid();
	random_name(host, sizeof(host), "box-", 12);
	run_start(&r, ARGS("-q", "-n", host, "--", probe_bin()), &o);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "rootless (as uid %u in a user namespace of its own, "
		     "as make lesson01 runs it) uts exited with %d; %s",
		     (unsigned)o.uid, r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_str_eq(p.hostname, host, "rootless, the hostname inside is \"%s\", "
			 "asked \"%s\"", p.hostname, host);
	cr_assert(!ns_same(p.ns[ns_index("uts")], my_ns("uts")),
		  "rootless, the command still shares the test's UTS namespace");
	run_free(&r);
}

Test(uts, killed_at_any_step_leaves_nothing, .timeout = 60)
{
	char host[16];

	random_name(host, sizeof(host), "box-", 12);
	check_kill_points(ARGS("-q", "-n", host, "--", probe_bin()), 40);
}
