/* Lesson 03: mount runs a command in a new mount namespace whose mounts
 * were cut off from the host's first (private, or with -s a slave of the
 * host's), with a tmpfs on each -t DIR and a bind mount for each -b
 * SRC:DST, and none of it ever reaches the host.
 *
 * Steps (solutions/03-mount/mount.c): 1 the child in a new mount
 * namespace, 2 every mount private before any mount, 3 with -s every mount
 * a slave, 4 a tmpfs on each -t DIR, 5 a bind mount for each -b. A test
 * named sN_ checks step N and passes as soon as steps 1 to N are right;
 * all_ tests check the whole program (the mount table after the run,
 * usage errors).
 *
 * The harness runs each test in a mount namespace of its own whose "/" is
 * rshared, as on a systemd host: a lesson that forgets to change the
 * propagation leaks its mounts into this test's /proc/self/mountinfo,
 * where the tests look. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory this test made under /tmp (empty if none); the suite's
 * .fini removes it, also when a test failed half-way. */
static char scratch[PATH_MAX];

static void setup(void)
{
	harness_setup();
	/* Every test here lets the lesson create a mount namespace. */
	require_unshare(CLONE_NEWNS, "CLONE_NEWNS");
}

/* Detach whatever a broken lesson leaked onto the scratch directory in
 * this test's own (throwaway) namespace, deepest first. */
static void unmount_leaks(void)
{
	size_t len = strlen(scratch);

	for (int tries = 0; tries < 64; tries++) {
		FILE *f = fopen("/proc/self/mountinfo", "re");
		char line[4096], point[4096], last[4096] = "";

		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
			    strncmp(point, scratch, len) == 0 &&
			    (point[len] == '/' || point[len] == '\0'))
				strcpy(last, point);
		fclose(f);
		if (!last[0] || umount2(last, MNT_DETACH) == -1)
			return;
	}
}

static void teardown(void)
{
	harness_teardown();
	if (scratch[0]) {
		if (harness_isolated())
			unmount_leaks();
		remove_tree(scratch);
	}
	scratch[0] = '\0';
}

TestSuite(mount, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT);

/* The shared checks run the whole program: a tmpfs on /mnt, and that
 * tmpfs bound on itself, so that every step runs. */
static const char *const whole[] = {"-t", "/mnt", "-b", "/mnt:/mnt", NULL};
static const struct lesson mount_lesson = {
	MANIFEST_03,
	.opts = whole,
	.account_says = "now private",
};

LESSON_BASICS(mount, &mount_lesson, s1)

/* snprintf that fails the test instead of cutting a path short. */
static void __attribute__((format(printf, 3, 4)))
path_printf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < size, "a path or script is too long: %s", buf);
}

/* A fresh directory under /tmp for this test, its real path in scratch. */
static const char *make_scratch(void)
{
	char tmpl[] = "/tmp/nslab-03-XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp(%s): %s", tmpl, strerror(errno));
	cr_assert_not_null(realpath(tmpl, scratch), "realpath(%s): %s", tmpl,
			   strerror(errno));
	return scratch;
}

/* A new directory (or, with `file`, an empty file) with a random name in
 * the scratch directory; its path goes to buf. */
static const char *make_in_scratch(char *buf, size_t size, const char *prefix,
				   bool file)
{
	char name[24];

	if (!scratch[0])
		make_scratch();
	random_name(name, sizeof(name), prefix, 16);
	path_printf(buf, size, "%s/%s", scratch, name);
	if (file) {
		int fd = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		cr_assert_neq(fd, -1, "creat(%s): %s", buf, strerror(errno));
		close(fd);
	} else {
		cr_assert_eq(mkdir(buf, 0755), 0, "mkdir(%s): %s", buf, strerror(errno));
	}
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "fopen(%s): %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Whole /proc/PID/mountinfo ("self" for pid 0); the caller frees it. */
static char *mountinfo_of(pid_t pid)
{
	char path[64], *text = NULL;
	size_t len = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	f = fopen(path, "re");
	cr_assert_not_null(f, "fopen(%s): %s", path, strerror(errno));
	cr_assert_neq(getdelim(&text, &len, '\0', f), -1, "read %s", path);
	fclose(f);
	return text;
}

/* The last line of `info` whose mount point (field 5) is `target`,
 * copied into buf; NULL if nothing is mounted there. */
static const char *mount_at(const char *info, const char *target, char *buf,
			    size_t size)
{
	const char *found = NULL;

	for (const char *line = info; *line;) {
		const char *end = strchrnul(line, '\n');
		char point[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    strcmp(point, target) == 0) {
			snprintf(buf, size, "%.*s", (int)(end - line), line);
			found = buf;
		}
		line = *end ? end + 1 : end;
	}
	return found;
}

/* The file system type of a mountinfo line (the field after " - "). */
static const char *fstype_of(const char *line, char *buf, size_t size)
{
	const char *dash = strstr(line, " - ");

	snprintf(buf, size, "?");
	if (dash)
		snprintf(buf, size, "%.*s", (int)strcspn(dash + 3, " "), dash + 3);
	return buf;
}

/* Start `mount -q ARGS... -- probe --hold` and return the probe's pid. */
static pid_t start_holding(struct run *r, const char *const args[])
{
	pid_t child;

	run_hold(r, args, NULL);
	child = find_descendant(r->pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	return child;
}


/* What went wrong in steps 2 and 3, from the lesson's stderr, in words
 * that name the fix. */
static const char *propagation_fix(const struct run *r)
{
	static char buf[900];
	const char *fix = NULL;

	if (strstr(r->err, "TODO("))
		return why(r);
	if (strstr(r->err, "below it is still shared"))
		fix = "only / itself changed: the mounts below it are still shared "
		      "with the host's. Add MS_REC, so that the change of step 2 "
		      "reaches every mount below / as well";
	else if (strstr(r->err, "is still shared"))
		fix = "a mount came while / was still shared with the host's: "
		      "change the propagation of every mount first, before "
		      "mounting anything";
	else if (strstr(r->err, "Invalid argument") && strstr(r->err, "MS_BIND"))
		fix = "MS_BIND with MS_PRIVATE is a bind mount to the kernel (EINVAL "
		      "with a NULL source), never a change of propagation: make "
		      "that change a call of its own";
	else if (strstr(r->err, "Invalid argument"))
		fix = "mount() refused the flags: a change of propagation takes "
		      "nothing else but MS_REC beside its one flag (MS_NOSUID or "
		      "MS_RDONLY beside MS_PRIVATE gives EINVAL)";
	if (!fix)
		return why(r);
	snprintf(buf, sizeof(buf), "%s; %s", fix, why(r));
	return buf;
}

/* Step 1, seen by the parent: its account names the child's namespace
 * before the child runs anything, so this holds while later steps still
 * stop the program. */
Test(mount, s1_child_runs_in_a_new_mount_namespace)
{
	struct run r;

	run_lesson(&r, ARGS("--", probe_bin()));
	check_account_new(&r, "mnt", NULL, "ns_spawn() needs CLONE_NEWNS in its flags");
	run_free(&r);
}

/* Step 2: the command's namespace has no shared mount left, and the
 * account says so, while no -t or -b asks for step 4 or 5. */
Test(mount, s2_every_mount_inside_is_private)
{
	char *mine, *theirs, line[4096];
	struct run r;
	pid_t child;

	/* Our "/" is shared, as on a systemd host. */
	mine = mountinfo_of(0);
	cr_assert_not_null(mount_at(mine, "/", line, sizeof(line)));
	cr_assert_not_null(strstr(line, " shared:"),
			   "the test's own / should be shared (harness): %s", line);
	free(mine);

	run_lesson(&r, ARGS("--", probe_bin()));
	cr_assert_eq(r.code, 0, "exit status %d: %s", r.code, propagation_fix(&r));
	cr_assert(strstr(r.err, "now private"), "the account should say that the "
		  "propagation of / is \"now private\": %s", propagation_fix(&r));
	run_free(&r);

	child = start_holding(&r, ARGS("-q", "--", probe_bin(), "--hold"));
	theirs = mountinfo_of(child);
	for (const char *l = theirs; *l;) {
		const char *end = strchrnul(l, '\n');
		const char *dash = strstr(l, " - ");
		const char *shared = strstr(l, " shared:");

		cr_assert(!(shared && dash && shared < dash && shared < end),
			  "a mount inside is still shared with the host: \"%.*s\"; "
			  "step 2 must change / and every mount below it (MS_REC)",
			  (int)(end - l), l);
		l = *end ? end + 1 : end;
	}
	free(theirs);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* Steps 2 and 3 both ways: the command mounts a tmpfs of its own while the
 * test (the host) mounts one too. Private: neither crosses. Slave (-s):
 * the host's reaches the command, the command's never reaches the host. */
static void check_directions(bool slave)
{
	char in[PATH_MAX], out[PATH_MAX], script[3 * PATH_MAX], line[4096];
	char *mine, *theirs;
	struct run r;
	pid_t child;

	if (!harness_isolated())
		cr_skip_test("this test mounts on the \"host\": it runs only in the "
			     "harness's throwaway namespaces (as root)");
	make_in_scratch(in, sizeof(in), "in-", false);
	make_in_scratch(out, sizeof(out), "out-", false);
	path_printf(script, sizeof(script), "mount -t tmpfs nslab-in %s && exec %s --hold",
		    in, probe_bin());
	run_hold(&r, slave ? ARGS("-s", "--", "/bin/sh", "-c", script)
			   : ARGS("--", "/bin/sh", "-c", script), NULL);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	cr_assert(strstr(r.err, slave ? "now master:" : "now private"), "the account "
		  "should say the propagation of / is now %s: %s",
		  slave ? "master:N: with -s every mount must become a slave of "
		  "the host's (MS_SLAVE, with MS_REC), receiving its new mounts"
		  : "private", propagation_fix(&r));

	/* The host mounts a tmpfs while the command runs. */
	cr_assert_eq(mount("nslab-out", out, "tmpfs", 0, NULL), 0, "mount(%s): %s",
		     out, strerror(errno));
	theirs = mountinfo_of(child);
	mine = mountinfo_of(0);
	umount2(out, MNT_DETACH);
	cr_assert_not_null(mount_at(theirs, in, line, sizeof(line)),
			   "the command's own tmpfs on %s is not in its mountinfo", in);
	cr_assert_null(mount_at(mine, in, line, sizeof(line)), "the command's tmpfs "
		       "on %s appeared on the host: \"%s\"; its mounts must never "
		       "reach the host", in, line);
	if (slave)
		cr_assert_not_null(mount_at(theirs, out, line, sizeof(line)),
				   "with -s, a tmpfs the host mounted on %s while the "
				   "command ran should show up inside: every mount must "
				   "be a slave of the host's, MS_SLAVE (with MS_REC); a "
				   "private mount receives nothing", out);
	else
		cr_assert_null(mount_at(theirs, out, line, sizeof(line)),
			       "without -s, a tmpfs the host mounted on %s shows up "
			       "inside: \"%s\"; every mount must be private (MS_PRIVATE)",
			       out, line);
	free(theirs);
	free(mine);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(mount, s2_private_cuts_both_ways)
{
	check_directions(false);
}

Test(mount, s3_slave_receives_the_hosts_mounts_and_sends_none)
{
	check_directions(true);
}

/* Step 4: while the command runs, its tmpfs is in its mountinfo, and not
 * in ours; nor afterwards. */
Test(mount, s4_tmpfs_inside_never_reaches_the_host)
{
	char dir[PATH_MAX], line[4096], type[32], *mine, *theirs;
	struct run r;
	pid_t child;

	make_in_scratch(dir, sizeof(dir), "tmpfs-", false);
	child = start_holding(&r, ARGS("-q", "-t", dir, "--", probe_bin(), "--hold"));
	theirs = mountinfo_of(child);
	cr_assert_not_null(mount_at(theirs, dir, line, sizeof(line)),
			   "nothing is mounted on %s inside (-t %s); %s", dir, dir,
			   why(&r));
	cr_assert_str_eq(fstype_of(line, type, sizeof(type)), "tmpfs",
			 "inside, %s should be a tmpfs: \"%s\"", dir, line);
	cr_assert(strstr(line, "nosuid") && strstr(line, "nodev"), "the tmpfs "
		  "should allow no set-uid programs and no device files "
		  "(MS_NOSUID, MS_NODEV): \"%s\"", line);
	free(theirs);
	mine = mountinfo_of(0);
	cr_assert_null(mount_at(mine, dir, line, sizeof(line)),
		       "while the command runs, its tmpfs is also mounted outside: "
		       "\"%s\": change the propagation of every mount first", line);
	free(mine);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	mine = mountinfo_of(0);
	cr_assert_null(mount_at(mine, dir, line, sizeof(line)),
		       "after the run the tmpfs is still mounted outside: \"%s\"", line);
	free(mine);
	run_free(&r);
}
Test(mount, s4_file_written_inside_is_not_on_the_host)
{
	char dir[PATH_MAX], hidden[PATH_MAX + 32], inner[PATH_MAX + 32];
	char word[24], script[3 * PATH_MAX];
	struct stat st;
	struct run r;

	/* A file of the host's in DIR is hidden under the tmpfs inside; a
	 * file written there inside exists only in the tmpfs. */
	make_in_scratch(dir, sizeof(dir), "t-", false);
	path_printf(hidden, sizeof(hidden), "%s/host-file", dir);
	write_file(hidden, "host\n");
	random_name(word, sizeof(word), "w-", 20);
	path_printf(inner, sizeof(inner), "%s/%s", dir, word);
	path_printf(script, sizeof(script),
		    "if test -e %s; then echo host file visible; exit 3; fi; "
		    "echo %s > %s && cat %s",
		    hidden, word, inner, inner);
	run_lesson(&r, ARGS("-q", "-t", dir, "--", "/bin/sh", "-c", script));
	cr_assert_neq(r.code, 3, "inside, %s still shows the host's files: no tmpfs "
		      "was mounted on it; %s", dir, why(&r));
	cr_assert_eq(r.code, 0, "writing %s inside failed with status %d; %s", inner,
		     r.code, why(&r));
	cr_assert_not_null(strstr(r.out, word), "the file written inside should "
			   "read back \"%s\", got \"%s\"", word, r.out);
	cr_assert_eq(stat(inner, &st), -1, "%s, written inside the tmpfs, is on the "
		     "host: -t must mount a tmpfs on the directory", inner);
	cr_assert_eq(stat(hidden, &st), 0, "the host's own %s is gone", hidden);
	run_free(&r);
}

Test(mount, s5_bind_mount_shows_the_source)
{
	char src[PATH_MAX], dst[PATH_MAX], spec[2 * PATH_MAX + 2];
	char word[24], back[24], from[PATH_MAX + 8], through[PATH_MAX + 32];
	char script[4 * PATH_MAX], written[PATH_MAX + 32];
	struct stat st;
	struct run r;

	make_in_scratch(src, sizeof(src), "src-", false);
	make_in_scratch(dst, sizeof(dst), "dst-", false);
	random_name(word, sizeof(word), "in-src-", 20);
	random_name(back, sizeof(back), "back-", 20);
	path_printf(from, sizeof(from), "%s/f", src);
	write_file(from, word);
	path_printf(through, sizeof(through), "%s/f", dst);
	path_printf(written, sizeof(written), "%s/%s", dst, back);
	path_printf(spec, sizeof(spec), "%s:%s", src, dst);
	path_printf(script, sizeof(script), "cat %s && echo && echo %s > %s",
		    through, back, written);
	run_lesson(&r, ARGS("-q", "-b", spec, "--", "/bin/sh", "-c", script));
	cr_assert(r.code == 0 && strstr(r.out, word), "mount -b %s -- sh -c '%s' "
		  "exited with %d: inside, %s should show %s (\"%s\"). mount(2) "
		  "takes the source first, then the target; %s", spec, script,
		  r.code, through, from, word, why(&r));
	/* A bind mount is the same files at a second place: what was
	 * written through DST is in SRC, and DST itself is untouched. */
	path_printf(written, sizeof(written), "%s/%s", src, back);
	cr_assert_eq(stat(written, &st), 0, "a file written inside through %s should "
		     "be in %s on the host: is it a bind mount?", dst, src);
	path_printf(written, sizeof(written), "%s/%s", dst, back);
	cr_assert_eq(stat(written, &st), -1, "%s appeared in the host's %s: the bind "
		     "mount reached the host", back, dst);
	run_free(&r);
}

Test(mount, all_mount_table_is_identical_after_the_run)
{
	char dir[PATH_MAX], src[PATH_MAX], spec[2 * PATH_MAX + 2];
	char *before, *after;
	struct run r;

	make_in_scratch(dir, sizeof(dir), "t-", false);
	make_in_scratch(src, sizeof(src), "s-", true);
	path_printf(spec, sizeof(spec), "%s:%s", src, src);
	before = mountinfo_of(0);
	run_lesson(&r, ARGS("-q", "-t", dir, "-t", dir, "-b", spec, "--", "true"));
	after = mountinfo_of(0);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert_str_eq(after, before, "/proc/self/mountinfo changed during the run");
	free(before);
	free(after);
	run_free(&r);
}

Test(mount, all_sigkill_mid_run_leaves_the_mount_table_as_it_was)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], spec[2 * PATH_MAX + 2];
	char *before, *after, *state;
	struct run r;

	make_in_scratch(dir, sizeof(dir), "t-", false);
	make_in_scratch(src, sizeof(src), "src-", false);
	make_in_scratch(dst, sizeof(dst), "dst-", false);
	path_printf(spec, sizeof(spec), "%s:%s", src, dst);
	before = mountinfo_of(0);
	state = host_state(harness_isolated());
	start_holding(&r, ARGS("-q", "-t", dir, "-b", spec, "--", probe_bin(), "--hold"));
	/* run_kill also fails the test if any process or change survives. */
	run_kill(&r, SIGKILL);
	cr_assert_eq(r.code, 128 + SIGKILL);
	assert_host_state(state, "after mount was killed with SIGKILL");
	after = mountinfo_of(0);
	cr_assert_str_eq(after, before, "/proc/self/mountinfo changed after SIGKILL");
	free(before);
	free(after);
	free(state);
	run_free(&r);
}

/* A bad mount point: a clear error naming it, and the command never runs. */
static void check_refused(const char *const args[], const char *what,
			  const char *named, const char *mention)
{
	struct run r;

	run_lesson(&r, args);
	cr_assert(r.code != 0 && r.code < 126, "%s should be a clear error, got "
		  "status %d; %s", what, r.code, why(&r));
	cr_assert_null(strstr(r.out, "nslab-probe report"), "%s: the command ran "
		       "anyway", what);
	cr_assert_not_null(strstr(r.err, named), "%s: the error should name %s; %s",
			   what, named, why(&r));
	if (mention)
		cr_assert_not_null(strstr(r.err, mention), "%s: the error should say "
				   "\"%s\"; %s", what, mention, why(&r));
	run_free(&r);
}

Test(mount, all_missing_mount_point_is_an_error)
{
	char dir[PATH_MAX], missing[PATH_MAX + 32];

	make_in_scratch(dir, sizeof(dir), "t-", false);
	path_printf(missing, sizeof(missing), "%s/nonexistent", dir);
	check_refused(ARGS("-q", "-t", missing, "--", probe_bin()),
		      "-t with a directory that does not exist", missing,
		      strerror(ENOENT));
}

Test(mount, all_file_as_tmpfs_mount_point_is_an_error)
{
	char file[PATH_MAX];

	make_in_scratch(file, sizeof(file), "file-", true);
	check_refused(ARGS("-q", "-t", file, "--", probe_bin()),
		      "-t with a file instead of a directory", file, "directory");
}

Test(mount, s5_bad_bind_spec_is_an_error)
{
	char dir[PATH_MAX], file[PATH_MAX], missing[PATH_MAX + 32];
	char spec[2 * PATH_MAX + 40];
	struct run r;

	make_in_scratch(dir, sizeof(dir), "d-", false);
	make_in_scratch(file, sizeof(file), "f-", true);

	/* No ':' at all, or an empty side: bad usage. */
	run_lesson(&r, ARGS("-q", "-b", dir, "--", probe_bin()));
	cr_assert_eq(r.code, 2, "-b without SRC:DST should exit 2, got %d", r.code);
	cr_assert_not_null(strstr(r.err, "SRC:DST"), "say -b wants SRC:DST; %s",
			   why(&r));
	cr_assert_null(strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
	path_printf(spec, sizeof(spec), "%s:", dir);
	run_lesson(&r, ARGS("-q", "-b", spec, "--", probe_bin()));
	cr_assert_eq(r.code, 2, "-b %s (no DST) should exit 2, got %d", spec, r.code);
	run_free(&r);

	path_printf(missing, sizeof(missing), "%s/nonexistent", dir);
	path_printf(spec, sizeof(spec), "%s:%s", missing, dir);
	check_refused(ARGS("-q", "-b", spec, "--", probe_bin()),
		      "-b with a source that does not exist", missing,
		      strerror(ENOENT));
	path_printf(spec, sizeof(spec), "%s:%s", dir, missing);
	check_refused(ARGS("-q", "-b", spec, "--", probe_bin()),
		      "-b with a destination that does not exist", missing,
		      strerror(ENOENT));
	path_printf(spec, sizeof(spec), "%s:%s", dir, file);
	check_refused(ARGS("-q", "-b", spec, "--", probe_bin()),
		      "-b binding a directory on a file", file, "directory");
}


/* ---- the challenge: -v SRC:DST, a read-only volume ------------------- */

Test(mount, challenge_readonly_volume_shows_the_source_and_refuses_writes)
{
	char src[PATH_MAX], dst[PATH_MAX], spec[2 * PATH_MAX + 2];
	char word[24], from[PATH_MAX + 8], script[4 * PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	struct run r;
	int fd;

	make_in_scratch(src, sizeof(src), "src-", false);
	make_in_scratch(dst, sizeof(dst), "dst-", false);
	random_name(word, sizeof(word), "in-src-", 20);
	path_printf(from, sizeof(from), "%s/f", src);
	write_file(from, word);
	path_printf(spec, sizeof(spec), "%s:%s", src, dst);
	path_printf(script, sizeof(script), "cat %s/f && echo && "
		    "if echo x > %s/new; then echo WROTE; else echo REFUSED; fi",
		    dst, dst);
	run_lesson(&r, ARGS("-q", "-v", spec, "--", "/bin/sh", "-c", script));
	cr_assert(r.code == 0 && strstr(r.out, word), "mount -v %s -- sh -c '%s' "
		  "exited with %d: inside, %s/f should show %s (\"%s\"), as with -b; %s",
		  spec, script, r.code, dst, from, word, why(&r));
	cr_assert(strstr(r.out, "REFUSED") && strstr(r.err, "Read-only file system"),
		  "mount -v %s: the command could write into %s (or failed for "
		  "another reason than EROFS): the volume must be read-only inside; "
		  "%s", spec, dst, why(&r));
	path_printf(path, sizeof(path), "%s/new", src);
	cr_assert_eq(stat(path, &st), -1, "a file written inside reached %s", src);
	/* Read-only is the mount's, not the file system's: the host's
	 * source stays writable. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_neq(fd, -1, "after mount -v, the host cannot write into %s (%s): "
		      "make the bind mount inside read-only, not the file system",
		      src, strerror(errno));
	close(fd);
	path_printf(path, sizeof(path), "%s/f", dst);
	cr_assert_eq(stat(path, &st), -1, "the volume reached the host's %s", dst);
	run_free(&r);
}

Test(mount, challenge_readonly_volume_leaves_the_mount_table_as_it_was)
{
	char src[PATH_MAX], dst[PATH_MAX], spec[2 * PATH_MAX + 2];
	char script[2 * PATH_MAX], *before, *after;
	struct run r;

	make_in_scratch(src, sizeof(src), "s-", false);
	make_in_scratch(dst, sizeof(dst), "d-", false);
	path_printf(spec, sizeof(spec), "%s:%s", src, dst);
	/* mountinfo: field 5 the mount point, field 6 its options. */
	path_printf(script, sizeof(script), "awk -v d=%s '$5 == d && $6 ~ /^ro(,|$)/ "
		    "{ found = 1 } END { exit !found }' /proc/self/mountinfo", dst);
	before = mountinfo_of(0);
	run_lesson(&r, ARGS("-q", "-v", spec, "--", "/bin/sh", "-c", script));
	after = mountinfo_of(0);
	cr_assert_eq(r.code, 0, "mount -v %s: no read-only mount inside (exit status "
		     "%d); %s", spec, r.code, why(&r));
	cr_assert_str_eq(after, before, "/proc/self/mountinfo changed during the run");
	free(before);
	free(after);
	run_free(&r);
}

Test(mount, challenge_readonly_volume_bad_spec_is_an_error)
{
	char dir[PATH_MAX], missing[PATH_MAX + 32], spec[2 * PATH_MAX + 40];
	struct run r;

	make_in_scratch(dir, sizeof(dir), "d-", false);
	run_lesson(&r, ARGS("-q", "-v", dir, "--", probe_bin()));
	cr_assert(r.code == 2 && strstr(r.err, "-v wants SRC:DST"), "mount -v %s "
		  "(no ':') should exit 2 and say \"-v wants SRC:DST\", got %d; %s",
		  dir, r.code, why(&r));
	cr_assert_null(strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
	path_printf(missing, sizeof(missing), "%s/missing", dir);
	path_printf(spec, sizeof(spec), "%s:%s", missing, dir);
	run_lesson(&r, ARGS("-q", "-v", spec, "--", probe_bin()));
	cr_assert(r.code == 1 && strstr(r.err, missing), "mount -v %s (no such "
		  "source) should exit 1 naming %s, got %d; %s", spec, missing,
		  r.code, why(&r));
	cr_assert_null(strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
}
