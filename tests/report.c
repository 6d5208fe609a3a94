/* report.c - the suite's main: the real host before and after, skips,
 * and the result lines make grade and make checkNN read (harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* ---- the suite's main ------------------------------------------------ */

static size_t skipped;
static char first_failure[512];
static char first_failure_test[128];

/* Every test's result, one line each in $NSLAB_REPORT.tests: its name
 * (sN_...: step N; all_...: the whole program), passed/failed/skipped, and the first
 * failed assertion's message on one line. tools/suite makes the step
 * table of make checkNN and the points of make grade from it. */
static void record_test(const struct criterion_test_stats *st, const char *msg)
{
	const char *report = getenv("NSLAB_REPORT");
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (!report)
		return;
	snprintf(path, sizeof(path), "%s.tests", report);
	f = fopen(path, "a");
	if (!f)
		return;
	snprintf(line, sizeof(line), "%s\t%s\t%s", st->test->name,
		 st->test_status == CR_STATUS_FAILED  ? "failed"
		 : st->test_status == CR_STATUS_SKIPPED ? "skipped"
							: "passed",
		 msg ? msg : "");
	for (char *p = line + strlen(st->test->name) + 8; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* The step a test checks, by its name: N for sN_, and after every
 * step for all_ (and a name of neither kind). */
static int step_of(const char *name)
{
	int n;

	return sscanf(name, "s%d_", &n) == 1 && n > 0 ? n : INT_MAX;
}

/* Does test `a` come before `b` in the summary: the earlier step first,
 * and by name within a step? */
static bool reported_before(const char *a, const char *b)
{
	int sa = step_of(a), sb = step_of(b);

	return sa != sb ? sa < sb : strcmp(a, b) < 0;
}

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	const char *msg = "crashed or timed out";

	if (st->test_status != CR_STATUS_FAILED) {
		record_test(st, NULL);
		return;
	}
	for (struct criterion_assert_stats *a = st->asserts; a; a = a->next)
		if (!a->passed && a->message && *a->message) {
			msg = a->message;
			break;
		}
	if (st->timed_out)
		msg = "timed out";
	record_test(st, msg);
	if (first_failure_test[0] && !reported_before(st->test->name, first_failure_test))
		return;
	snprintf(first_failure_test, sizeof(first_failure_test), "%s", st->test->name);
	snprintf(first_failure, sizeof(first_failure), "%s: %s", st->test->name, msg);
	for (char *p = first_failure; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

static struct criterion_global_stats totals;

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	totals = *st;
	skipped = st->tests_skipped;
}

/* Could the tests move into throwaway namespaces (harness_setup)? Then
 * nothing a lesson did could reach the real host's hostname, mounts,
 * links or IPC objects, and the per-run checks inside judged it. */
static bool tests_were_isolated(void)
{
	int status;
	pid_t pid = fork();

	if (pid == -1)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET) ? 1 : 0);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* Exit codes: 0 all passed, 1 a test failed, 2 the suite could not run,
 * 3 the real host changed, 4 a test was skipped under NSLAB_NO_SKIP=1. */
/* A lesson must meet the signals a terminal gives a program: none
 * ignored, none blocked. A suite started from a background job of a
 * script inherits SIGINT and SIGQUIT ignored (a non-interactive shell
 * does that to what it puts in the background), and a shell run as the
 * lesson's command cannot trap a signal ignored on entry (POSIX, trap):
 * put every disposition back before any test runs. */
static void default_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			signal(sig, SIG_DFL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	const char *report = getenv("NSLAB_REPORT");
	char *before, *after, *diff;
	bool listing = false;
	int rc = 0;

	default_signals();
	for (int i = 1; i < argc; i++)
		listing |= !strcmp(argv[i], "-l") || !strcmp(argv[i], "--list");
	if (!listing && access(lesson_bin(), X_OK) == -1) {
		fprintf(stderr, "%s: cannot run the program under test \"%s\" (%s); "
			"set NSLAB_BIN, or use make check/test\n",
			argv[0], lesson_bin(), strerror(errno));
		return 2;
	}
	if (!listing && access(probe_bin(), X_OK) == -1) {
		fprintf(stderr, "%s: no probe at \"%s\" (%s); set NSLAB_PROBE\n",
			argv[0], probe_bin(), strerror(errno));
		return 2;
	}
	if (report && !listing) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s.tests", report);
		unlink(path);
	}
	before = host_state(false);
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true)) {
		rc = criterion_run_all_tests(tests) ? 0 : 1;
	} else if (!listing) {
		/* -h and --version end here too; anything else is a typo. */
		for (int i = 1; i < argc; i++)
			listing |= !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
				   !strcmp(argv[i], "--version");
		rc = listing ? 0 : 2;
	}
	criterion_finalize(tests);
	if (listing || rc == 2)
		return rc;
	if (totals.tests_passed + totals.tests_failed == 0) {
		fprintf(stderr, "nslab: no test ran (a --filter that matches none?)\n");
		rc = 2;
	}

	after = host_state(false);
	diff = state_diff(before, after);
	if (diff && tests_were_isolated()) {
		/* Every test ran in namespaces of its own, where the harness
		 * compared the lesson's host state after each run: a change
		 * out here was made by another program on this machine. */
		fprintf(stderr, "nslab: note: the real host changed while this suite "
			"ran (%s), but every test ran in namespaces of its own, so "
			"another program on this machine did it, not the lesson. "
			"Run again if in doubt.\n", diff);
		free(diff);
		diff = NULL;
	} else if (diff) {
		fprintf(stderr, "nslab: THE HOST CHANGED during this suite: %s\n", diff);
		rc = 3;
	}
	if (!diff && skipped && getenv("NSLAB_NO_SKIP") && rc == 0) {
		fprintf(stderr, "nslab: %zu test(s) skipped, but this run may skip "
			"nothing (NSLAB_NO_SKIP)\n", skipped);
		rc = 4;
	}
	if (report) {
		FILE *f = fopen(report, "w");

		if (f) {
			fprintf(f, "%zu %zu %zu %d %s\n", totals.tests_passed,
				totals.nb_tests, skipped, rc, first_failure);
			fclose(f);
		}
	}
	free(before);
	free(after);
	free(diff);
	return rc;
}
