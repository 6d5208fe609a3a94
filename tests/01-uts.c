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

static const struct lesson uts = {
	.program = "uts",
	.new_ns = "uts",
	.needs_root = true,
};

LESSON_BASICS(uts, &uts)

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

Test(uts, option_without_argument_exits_2)
{
	struct run r;

	run_lesson(&r, ARGS("-n"));
	cr_assert_eq(r.code, 2, "-n without a hostname should exit 2, got %d", r.code);
	cr_assert(strstr(r.err, "Usage"), "print the usage on stderr; %s", why(&r));
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

