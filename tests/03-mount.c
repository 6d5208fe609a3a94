/* Lesson 03: mount runs a command in a new mount namespace whose mounts
 * were made private first, with a tmpfs on each -t DIR and a bind mount
 * for each -b SRC:DST, and none of it ever reaches the host.
 *
 * The harness runs each test in a mount namespace of its own whose "/" is
 * rshared, as on a systemd host: a lesson that forgets MS_PRIVATE leaks
 * its mounts into this test's /proc/self/mountinfo, where the tests look. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

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
		/* FTW_MOUNT: never descend into a mount that is still there. */
		nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
	scratch[0] = '\0';
}

TestSuite(mount, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT);

/* Without -t or -b it still makes its namespace and / private. */
static const struct lesson mount_lesson = {
	MANIFEST_03,
	.account_says = "was shared:",
};

LESSON_BASICS(mount, &mount_lesson, 4)

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

Test(mount, every_mount_inside_is_private)
{
	char *mine, *theirs, line[4096];
	struct run r;
	pid_t child;

	/* Our "/" is shared, as on a systemd host; the command's copy must
	 * not be, nor any mount under it. */
	mine = mountinfo_of(0);
	cr_assert_not_null(mount_at(mine, "/", line, sizeof(line)));
	cr_assert_not_null(strstr(line, " shared:"),
			   "the test's own / should be shared (harness): %s", line);
	free(mine);

	child = start_holding(&r, ARGS("-q", "--", probe_bin(), "--hold"));
	theirs = mountinfo_of(child);
	for (const char *l = theirs; *l;) {
		const char *end = strchrnul(l, '\n');
		const char *dash = strstr(l, " - ");
		const char *shared = strstr(l, " shared:");

		cr_assert(!(shared && dash && shared < dash && shared < end),
			  "a mount inside is still shared with the host: \"%.*s\"; "
			  "the first mount call in the new namespace must be "
			  "mount(NULL, \"/\", NULL, MS_REC | MS_PRIVATE, NULL)",
			  (int)(end - l), l);
		l = *end ? end + 1 : end;
	}
	free(theirs);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* The heart of the lesson: while the command runs, its tmpfs and its bind
 * mount are in its mountinfo, and not in ours; nor are they afterwards. */
Test(mount, mounts_inside_never_reach_the_host)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], spec[2 * PATH_MAX + 2];
	char line[4096], type[32], *mine, *theirs;
	struct run r;
	pid_t child;

	make_in_scratch(dir, sizeof(dir), "tmpfs-", false);
	make_in_scratch(src, sizeof(src), "src-", false);
	make_in_scratch(dst, sizeof(dst), "dst-", false);
	path_printf(spec, sizeof(spec), "%s:%s", src, dst);
	child = start_holding(&r, ARGS("-q", "-t", dir, "-b", spec, "--", probe_bin(),
				       "--hold"));

	theirs = mountinfo_of(child);
	cr_assert_not_null(mount_at(theirs, dir, line, sizeof(line)),
			   "nothing is mounted on %s inside (-t %s); %s", dir, dir,
			   why(&r));
	cr_assert_str_eq(fstype_of(line, type, sizeof(type)), "tmpfs",
			 "inside, %s should be a tmpfs: \"%s\"", dir, line);
	cr_assert_not_null(mount_at(theirs, dst, line, sizeof(line)),
			   "nothing is mounted on %s inside (-b %s); %s", dst, spec,
			   why(&r));
	free(theirs);

	mine = mountinfo_of(0);
	cr_assert_null(mount_at(mine, dir, line, sizeof(line)),
		       "while the command runs, its tmpfs is also mounted outside: "
		       "\"%s\". It propagated, because / was still shared: make "
		       "every mount private first (MS_REC | MS_PRIVATE)", line);
	cr_assert_null(mount_at(mine, dst, line, sizeof(line)),
		       "while the command runs, its bind mount is also mounted "
		       "outside: \"%s\". Make every mount private first", line);
	free(mine);

	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	mine = mountinfo_of(0);
	cr_assert_null(mount_at(mine, dir, line, sizeof(line)),
		       "after the run the tmpfs is still mounted outside: \"%s\"", line);
	cr_assert_null(mount_at(mine, dst, line, sizeof(line)),
		       "after the run the bind mount is still mounted outside: \"%s\"",
		       line);
	free(mine);
	run_free(&r);
}

Test(mount, file_written_inside_is_not_on_the_host)
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

Test(mount, bind_mount_shows_the_source)
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
	cr_assert_eq(r.code, 0, "mount -b %s -- sh -c '%s' exited with %d; %s", spec,
		     script, r.code, why(&r));
	cr_assert_not_null(strstr(r.out, word), "inside, %s should show %s (\"%s\"), "
			   "got \"%s\"", through, from, word, r.out);
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

Test(mount, mount_table_is_identical_after_the_run)
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

Test(mount, sigkill_mid_run_leaves_the_mount_table_as_it_was)
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

Test(mount, missing_mount_point_is_an_error)
{
	char dir[PATH_MAX], missing[PATH_MAX + 32];

	make_in_scratch(dir, sizeof(dir), "t-", false);
	path_printf(missing, sizeof(missing), "%s/nonexistent", dir);
	check_refused(ARGS("-q", "-t", missing, "--", probe_bin()),
		      "-t with a directory that does not exist", missing,
		      strerror(ENOENT));
}

Test(mount, file_as_tmpfs_mount_point_is_an_error)
{
	char file[PATH_MAX];

	make_in_scratch(file, sizeof(file), "file-", true);
	check_refused(ARGS("-q", "-t", file, "--", probe_bin()),
		      "-t with a file instead of a directory", file, "directory");
}

Test(mount, bad_bind_spec_is_an_error)
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

