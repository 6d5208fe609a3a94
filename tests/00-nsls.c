/* Lesson 00: nsls lists the namespaces of processes by the numbers that
 * identify them, and marks exactly those that differ.
 *
 * Steps (solutions/00-nsls/nsls.c): 1 the entries of /proc/self/ns, 2 the
 * identity stat(2) gives, 3 the comparison. A test named sN_ checks step
 * N; each can pass while the later steps still stop the program. The
 * all_ tests check the whole program (usage, -h). */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(nsls, .init = harness_setup, .fini = harness_teardown,
	  .timeout = TEST_TIMEOUT);

#define MAX_ROWS 16

/* One row of nsls's table: a namespace name, its inode per PID, and
 * whether nsls marked it as differing. */
struct row {
	char name[32];
	unsigned long long ino[4];
	int ncols;
	bool differs;
};

/* Parse nsls's table; returns the number of rows. */
static int parse_table(const struct run *r, struct row rows[MAX_ROWS], int npids)
{
	char *copy = strdup(r->out), *line, *save = NULL;
	int n = 0;

	line = strtok_r(copy, "\n", &save);
	cr_assert(line && strncmp(line, "NAMESPACE", 9) == 0,
		  "nsls printed no table (no NAMESPACE header); %s", why(r));
	while ((line = strtok_r(NULL, "\n", &save)) && n < MAX_ROWS) {
		struct row *row = &rows[n++];
		char *p = line, *tok;

		memset(row, 0, sizeof(*row));
		tok = strtok_r(p, " ", &p);
		snprintf(row->name, sizeof(row->name), "%s", tok);
		while ((tok = strtok_r(NULL, " ", &p))) {
			if (strcmp(tok, "differs") == 0)
				row->differs = true;
			else if (row->ncols < 4)
				row->ino[row->ncols++] = strtoull(tok, NULL, 10);
		}
		cr_assert_eq(row->ncols, npids,
			     "the row of \"%s\" has %d numbers, expected one per PID (%d)",
			     row->name, row->ncols, npids);
	}
	free(copy);
	return n;
}

/* Count the entries of /proc/PID/ns. */
static int count_ns(pid_t pid)
{
	char path[64];
	int n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/ns", (int)pid);
	d = opendir(path);
	cr_assert_not_null(d, "opendir(%s): %s", path, strerror(errno));
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A helper process in new namespaces (flags) that waits until killed. */
static pid_t start_helper(int flags)
{
	int fds[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Dies with the test, even one that crashes or times out. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		if (unshare(flags) == -1)
			_exit(1);
		(void)!write(fds[1], "x", 1);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the helper could not unshare");
	close(fds[0]);
	harness_keep(pid);
	return pid;
}

/* Run nsls on this test and the helper, and check the marks against
 * stat() of both processes' /proc/PID/ns entries. */
static void check_marks(pid_t helper, const char *expected)
{
	char me[16], other[16];
	struct row rows[MAX_ROWS];
	struct run r;
	int n;

	snprintf(me, sizeof(me), "%d", (int)getpid());
	snprintf(other, sizeof(other), "%d", (int)helper);
	run_lesson(&r, ARGS(me, other));
	cr_assert_eq(r.code, 0, "nsls %s %s exited with %d; %s", me, other, r.code,
		     why(&r));
	n = parse_table(&r, rows, 2);
	cr_assert_eq(n, count_ns(helper), "nsls listed %d namespaces, /proc/%d/ns has %d",
		     n, (int)helper, count_ns(helper));
	for (int i = 0; i < n; i++) {
		struct ns_id a, b;

		cr_assert(ns_of(getpid(), rows[i].name, &a) &&
			  ns_of(helper, rows[i].name, &b), "no namespace named \"%s\"",
			  rows[i].name);
		cr_assert_eq(rows[i].ino[0], (unsigned long long)a.ino,
			     "%s of PID %s: nsls says %llu, stat() says %llu (step 2)",
			     rows[i].name, me, rows[i].ino[0], (unsigned long long)a.ino);
		cr_assert_eq(rows[i].ino[1], (unsigned long long)b.ino,
			     "%s of PID %s: nsls says %llu, stat() says %llu (step 2)",
			     rows[i].name, other, rows[i].ino[1], (unsigned long long)b.ino);
		cr_assert_eq(rows[i].differs, !ns_same(a, b),
			     "%s is %s but nsls %s it (expected marks: %s): same_ns() "
			     "is true only when both st_dev and st_ino are equal "
			     "(namespaces(7)), and all namespaces share one nsfs "
			     "st_dev", rows[i].name,
			     ns_same(a, b) ? "shared" : "different",
			     rows[i].differs ? "marked" : "did not mark", expected);
	}
	run_free(&r);
}

/* The entries of /proc/self/ns, sorted, space-separated after a space:
 * " cgroup ipc ...", as nsls's account line ends. */
static void my_ns_entries(char *buf, size_t size, int *count)
{
	struct dirent **e;
	int n = scandir("/proc/self/ns", &e, NULL, alphasort);

	cr_assert_neq(n, -1, "scandir(/proc/self/ns): %s", strerror(errno));
	buf[0] = '\0';
	*count = 0;
	for (int i = 0; i < n; i++) {
		if (e[i]->d_name[0] != '.') {
			snprintf(buf + strlen(buf), size - strlen(buf), " %s", e[i]->d_name);
			++*count;
		}
		free(e[i]);
	}
	free(e);
}

/* Step 1, seen in the account on stderr, which nsls prints before it
 * reads a single namespace: this holds while steps 2 and 3 still stop
 * the program. */
Test(nsls, s1_lists_every_entry_of_proc_self_ns)
{
	char want[512], got[512] = "";
	const char *line;
	struct run r;
	int count, n = -1;

	my_ns_entries(want, sizeof(want), &count);
	run_lesson(&r, ARGS(NULL));
	if (strstr(r.err, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", why(&r));
	line = strstr(r.err, "entries in /proc/self/ns:");
	cr_assert(line, "nsls printed no \"nsls: N entries in /proc/self/ns: ...\" "
		  "line on stderr; %s", why(&r));
	/* Back to the number before " entries". */
	while (line > r.err && (line[-1] == ' ' || (line[-1] >= '0' && line[-1] <= '9')))
		line--;
	cr_assert(sscanf(line, "%d entries in /proc/self/ns:%511[^\n]", &n, got) >= 1,
		  "cannot read the account line \"%.80s\"", line);
	cr_assert(!strstr(got, " . ") && !strstr(got, " ..") &&
		  strcmp(got, " .") != 0, "nsls lists \"%s\": skip the directory's "
		  "own entries . and .. (names that start with a dot); "
		  "/proc/self/ns has%s", got, want);
	cr_assert_str_eq(got, want, "nsls lists%s, but /proc/self/ns has%s: list "
			 "every entry of the directory, sorted (alphasort), and "
			 "nothing else", got, want);
	cr_assert_eq(n, count, "the account says %d entries and lists %d", n, count);
	run_free(&r);
}

Test(nsls, s2_lists_itself_by_stat_numbers)
{
	struct row rows[MAX_ROWS];
	struct run r;
	int n;

	run_lesson(&r, ARGS("-q"));
	cr_assert_eq(r.code, 0, "nsls -q without arguments exited with %d; %s", r.code,
		     why(&r));
	n = parse_table(&r, rows, 1);
	cr_assert_eq(n, count_ns(getpid()),
		     "nsls listed %d namespaces, but /proc/self/ns has %d entries", n,
		     count_ns(getpid()));
	for (int i = 0; i < n; i++) {
		struct ns_id id;

		/* nsls is our child: it shares all our namespaces. */
		cr_assert(ns_of(getpid(), rows[i].name, &id),
			  "nsls listed \"%s\", which /proc/self/ns does not have",
			  rows[i].name);
		cr_assert_eq(rows[i].ino[0], (unsigned long long)id.ino,
			     "nsls says %s is %llu, stat() of /proc/self/ns/%s says "
			     "%llu: the namespace is what the link points at; stat() "
			     "follows it, lstat() gives the inode of the link itself "
			     "in /proc", rows[i].name, rows[i].ino[0], rows[i].name,
			     (unsigned long long)id.ino);
		cr_assert(!rows[i].differs, "with one PID nothing can differ, but %s "
			  "is marked", rows[i].name);
	}
	cr_assert_str_empty(r.err, "-q should silence the account; %s", why(&r));
	run_free(&r);
}

Test(nsls, s3_marks_exactly_uts)
{
	require_unshare(CLONE_NEWUTS, "CLONE_NEWUTS");
	check_marks(start_helper(CLONE_NEWUTS), "uts only");
}

Test(nsls, s3_marks_a_random_set)
{
	static const struct {
		int flag;
		const char *name;
	} kinds[] = {{CLONE_NEWUTS, "uts"}, {CLONE_NEWIPC, "ipc"},
		     {CLONE_NEWNET, "net"}, {CLONE_NEWNS, "mnt"},
		     {CLONE_NEWCGROUP, "cgroup"}};
	char expected[128] = "";
	int flags = 0, pick = random_between(1, 31);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (pick & (1 << i)) {
			flags |= kinds[i].flag;
			strcat(expected, kinds[i].name);
			strcat(expected, " ");
		}
	require_unshare(flags, expected);
	check_marks(start_helper(flags), expected);
}

Test(nsls, s2_missing_pid_is_an_error)
{
	char pid[32];
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long max = 0;
	struct run r;

	cr_assert(f && fscanf(f, "%ld", &max) == 1, "cannot read pid_max");
	fclose(f);
	/* PIDs are always below pid_max, so this one cannot exist. */
	snprintf(pid, sizeof(pid), "%ld", max);
	run_lesson(&r, ARGS(pid));
	cr_assert_neq(r.code, 0, "nsls %s (no such process) exited with 0", pid);
	cr_assert_lt(r.code, 128, "nsls %s crashed (status %d)", pid, r.code);
	cr_assert(strstr(r.err, pid), "the error should name PID %s; %s", pid, why(&r));
	cr_assert(!strstr(r.out, "NAMESPACE"),
		  "nsls printed a table for a PID that does not exist");
	run_free(&r);
}

Test(nsls, s2_unreadable_pid_is_an_error)
{
	struct run r;

	/* An ordinary user may not look into PID 1's namespaces. */
	if (geteuid() == 0)
		run_lesson_as(&r, ARGS("1"), 65534, 65534);
	else
		run_lesson(&r, ARGS("1"));
	cr_assert_neq(r.code, 0, "nsls 1 as an ordinary user exited with 0");
	cr_assert_lt(r.code, 128, "nsls 1 crashed (status %d)", r.code);
	cr_assert(strstr(r.err, "root") || strstr(r.err, "ermission"),
		  "the error should say that this needs root; %s", why(&r));
	run_free(&r);
}

Test(nsls, all_bad_usage_exits_2)
{
	const char *bad[][2] = {{"abc", NULL}, {"-x", NULL}, {"12abc", NULL},
				{"--", "-5"}};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r;

		run_lesson(&r, bad[i][1] ? ARGS(bad[i][0], bad[i][1]) : ARGS(bad[i][0]));
		cr_assert_eq(r.code, 2, "nsls %s exited with %d, expected 2 (bad usage)",
			     bad[i][0], r.code);
		cr_assert(strstr(r.err, "Usage"), "nsls %s should print the usage on "
			  "stderr; %s", bad[i][0], why(&r));
		run_free(&r);
	}
}

Test(nsls, all_help_exits_0)
{
	struct run r;

	run_lesson(&r, ARGS("-h"));
	cr_assert_eq(r.code, 0, "nsls -h exited with %d", r.code);
	cr_assert(strstr(r.out, "Usage"), "nsls -h should print the usage on stdout");
	run_free(&r);
}

/* ---- the challenge: -u, the user namespace that owns each one -------- */

/* The owner nsls -u gives for namespace `name` in column `col` (0 the
 * first PID): its inode, 0 for "-"; fails the test if there is none. */
static unsigned long long owner_in(const struct run *r, const char *name, int col)
{
	const char *sec = strstr(r->out, "\nOWNED BY");
	char key[40], word[32];
	const char *p;
	int at;

	cr_assert(sec, "nsls -u printed no second table (no \"OWNED BY\" header after "
		  "the first); %s", why(r));
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(sec, key);
	cr_assert(p, "nsls -u: no row \"%s\" in the OWNED BY table; %s", name, why(r));
	p += strlen(key);
	for (int i = 0; i <= col; i++) {
		cr_assert(sscanf(p, " %31s%n", word, &at) == 1, "nsls -u: the row \"%s\" "
			  "of the OWNED BY table has no column %d", name, col + 1);
		p += at;
	}
	return strcmp(word, "-") ? strtoull(word, NULL, 10) : 0;
}

Test(nsls, challenge_owners_are_the_user_namespaces_that_own_them)
{
	struct ns_id mine = my_ns("user"), theirs;
	char me[16], other[16];
	struct run r;
	pid_t helper;

	require_unshare(CLONE_NEWUSER | CLONE_NEWUTS, "a user and a UTS namespace");
	helper = start_helper(CLONE_NEWUSER | CLONE_NEWUTS);
	cr_assert(ns_of(helper, "user", &theirs), "cannot read the helper's user namespace");
	snprintf(me, sizeof(me), "%d", (int)getpid());
	snprintf(other, sizeof(other), "%d", (int)helper);
	run_lesson(&r, ARGS("-q", "-u", me, other));
	cr_assert_eq(r.code, 0, "nsls -u %s %s exited with %d; %s", me, other, r.code,
		     why(&r));
	/* The helper made its UTS namespace inside its new user namespace:
	 * that one owns it. Its IPC namespace is the test's, owned by the
	 * test's user namespace, and so is its user namespace (the parent). */
	cr_assert_eq(owner_in(&r, "uts", 1), (unsigned long long)theirs.ino, "nsls -u: "
		     "the helper's uts namespace is owned by the user namespace it "
		     "was made in, %s (NS_GET_USERNS, ioctl_ns(2))", ns_link("user", theirs));
	cr_assert_eq(owner_in(&r, "ipc", 1), (unsigned long long)mine.ino, "nsls -u: "
		     "the helper's ipc namespace is the test's, owned by %s",
		     ns_link("user", mine));
	cr_assert_eq(owner_in(&r, "user", 1), (unsigned long long)mine.ino, "nsls -u: "
		     "a user namespace is owned by its parent, %s", ns_link("user", mine));
	cr_assert_eq(owner_in(&r, "uts", 0), owner_in(&r, "ipc", 0), "nsls -u: the "
		     "test's uts and ipc namespaces have one owner");
	run_free(&r);
}
