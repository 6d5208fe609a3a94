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
	.needs_arg = "-n",
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

Test(uts, bad_input_gets_a_clear_error)
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

