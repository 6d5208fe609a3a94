/* Lesson 06: user runs a command in a new user namespace, as an ordinary
 * user, with the uid and gid maps it was asked for: root inside, the caller
 * outside, and nothing the host's root owns within reach.
 *
 * Most tests run the lesson as an ordinary user: a random uid and gid when
 * the test can take them (as root), else the test's own ids. The tests of
 * range maps need CAP_SETUID outside, so they run as the test itself and
 * skip, by probing, where it has no such privilege. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void setup(void)
{
	harness_setup();
}

TestSuite(user, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

/* No privilege needed: the shared checks run it as an ordinary user. */
static const struct lesson user_lesson = {MANIFEST_06};

/* ---- who runs the lesson --------------------------------------------- */

/* The ordinary user a test runs the lesson as. */
struct who {
	uid_t uid;
	gid_t gid;
	bool self; /* the test's own ids: it could not take others */
};

/* The first line of a small file, or "" (for the skip messages). */
static const char *first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return buf;
}

/* Drop to w's ids in a forked child; false if that is not possible. */
static bool drop_to(const struct who *w)
{
	if (w->self)
		return true;
	return setgroups(0, NULL) == 0 && setgid(w->gid) == 0 && setuid(w->uid) == 0;
}

/* Skip the test, with the kernel's settings as the reason, unless w may
 * create a user namespace here. Probed in a forked child that drops to
 * w's ids and calls unshare(CLONE_NEWUSER). */
static void require_userns_as(const struct who *w)
{
	char max[32], clone_ok[32], apparmor[32];
	pid_t pid = fork();
	int status, e;

	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(!drop_to(w) ? 255 : unshare(CLONE_NEWUSER) == -1 ? errno : 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255,
		  "cannot switch to uid %u gid %u to test", (unsigned)w->uid,
		  (unsigned)w->gid);
	e = WEXITSTATUS(status);
	if (e == 0)
		return;
	first_line("/proc/sys/user/max_user_namespaces", max, sizeof(max));
	first_line("/proc/sys/kernel/unprivileged_userns_clone", clone_ok,
		   sizeof(clone_ok));
	first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
		   apparmor, sizeof(apparmor));
	cr_skip_test("the kernel refuses unshare(CLONE_NEWUSER) to uid %u (%s); "
		     "user.max_user_namespaces=%s%s%s%s%s", (unsigned)w->uid,
		     strerror(e), *max ? max : "?",
		     *clone_ok ? ", kernel.unprivileged_userns_clone=" : "", clone_ok,
		     *apparmor ? ", kernel.apparmor_restrict_unprivileged_userns=" : "",
		     apparmor);
}

/* An ordinary user who may create a user namespace: a random uid and gid
 * (different ones) when the test can switch ids, else the test's own. */
static struct who ordinary_user(void)
{
	struct who w = {.uid = random_between(10000, 60000),
			.gid = random_between(10000, 60000)};
	pid_t pid = fork();
	int status;

	if (w.gid == w.uid)
		w.gid++;
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(drop_to(&w) ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		w = (struct who){.uid = geteuid(), .gid = getegid(), .self = true};
		cr_assert_neq(w.uid, 0, "root that cannot change its uid: "
			      "this test cannot run here");
	}
	require_userns_as(&w);
	return w;
}

/* Skip unless this test may write a range map (CAP_SETUID outside):
 * a forked child makes a user namespace, the test writes its uid_map. */
static void require_map_privilege(void)
{
	int sync[2];
	char path[64];
	pid_t pid;
	int fd, e = 0, status;

	require_unshare(CLONE_NEWUSER, "CLONE_NEWUSER");
	cr_assert_eq(pipe2(sync, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		close(sync[1]);
		if (unshare(CLONE_NEWUSER) == -1)
			_exit(1);
		_exit(read(sync[0], &c, 1) == 0 ? 0 : 1);
	}
	close(sync[0]);
	/* Wait until the child is in its new namespace. */
	for (int i = 0; i < 200; i++) {
		struct nsid theirs;

		if (ns_of(pid, "user", &theirs) && !ns_same(theirs, my_ns("user")))
			break;
		usleep(5000);
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "0 100000 2\n", 11) != 11)
		e = errno;
	if (fd != -1)
		close(fd);
	close(sync[1]);
	waitpid(pid, &status, 0);
	if (e == EPERM)
		cr_skip_test("mapping a range of uids needs CAP_SETUID outside the "
			     "namespace; run this suite as root");
	cr_assert_eq(e, 0, "writing a probe uid_map failed: %s", strerror(e));
}

static void run_as(struct run *r, const struct who *w, const char *const args[])
{
	if (w->self)
		run_lesson(r, args);
	else
		run_lesson_as(r, args, w->uid, w->gid);
}

/* ---- small helpers ----------------------------------------------------- */

static unsigned overflow_id(const char *which)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/sys/kernel/overflow%s", which);
	first_line(path, buf, sizeof(buf));
	return *buf ? (unsigned)strtoul(buf, NULL, 10) : 65534;
}

/* A map as the kernel prints it, normalised to "a b c\n" lines. */
static char *normalise_map(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *p = out;
	unsigned long a, b, c;
	int n;

	while (sscanf(text, " %lu %lu %lu%n", &a, &b, &c, &n) == 3) {
		p += sprintf(p, "%lu %lu %lu\n", a, b, c);
		text += n;
	}
	return out;
}

/* A map read from outside, /proc/PID/{uid,gid}_map, normalised. */
static char *map_of(pid_t pid, const char *name)
{
	char path[64], buf[4096] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_neq(fd, -1, "cannot read %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return normalise_map(buf);
}

/* The real uid (field 2) of "Uid:" or "Gid:" in /proc/PID/status, as the
 * test (outside) sees it. */
static unsigned status_id(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned id = ~0U;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	cr_assert_not_null(f, "cannot read %s", path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			sscanf(line + strlen(field), "%u", &id);
	fclose(f);
	return id;
}

/* A directory for files made inside, owned by uid:gid outside. */
static void make_dir_for(char *dir, uid_t uid, gid_t gid)
{
	strcpy(dir, "/tmp/nslab-06-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	if (chown(dir, uid, gid) == -1 && (uid != geteuid() || gid != getegid())) {
		rmdir(dir);
		cr_assert_fail("chown(%s): %s", dir, strerror(errno));
	}
}

/* Remove dir and the named files in it, whatever happened. */
static void remove_dir(const char *dir, const char *const names[])
{
	char path[128];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- the namespace ----------------------------------------------------- */

Test(user, only_user_differs_as_root)
{
	struct run r;
	struct probe p;

	require_unshare(CLONE_NEWUSER, "CLONE_NEWUSER");
	run_lesson(&r, ARGS("-q", "--", probe_bin()));
	cr_assert_eq(r.code, 0, "user -- probe exited with %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	check_new_namespaces(&user_lesson, p.ns, "run by the test itself, seen from inside");
	cr_assert(p.uid == 0 && p.gid == 0, "the command should be uid 0 gid 0 "
		  "inside, it is uid %u gid %u", (unsigned)p.uid, (unsigned)p.gid);
	run_free(&r);
}

Test(user, seen_from_outside_it_is_the_caller)
{
	struct who w = ordinary_user();
	struct run_opts o = {.uid = w.self ? 0 : w.uid, .gid = w.self ? 0 : w.gid,
			     .keep_stdin = true};
	struct nsid theirs[NS_COUNT] = {{0, 0}};
	char expect[64], *uid_map, *gid_map;
	struct run r;
	struct probe p;
	pid_t child;

	run_hold(&r, ARGS("-q", "--", probe_bin(), "--hold"), &o);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	for (int i = 0; i < NS_COUNT; i++)
		ns_of(child, ns_names[i], &theirs[i]);
	check_new_namespaces(&user_lesson, theirs, "seen from outside (/proc/PID/ns)");
	p = probe_parse(r.out, &r);
	cr_assert(ns_same(p.ns[ns_index("user")], theirs[ns_index("user")]),
		  "the probe inside and /proc/PID/ns outside disagree");

	/* Root inside, and yet the host sees the caller. */
	cr_assert_eq(status_id(child, "Uid:"), w.uid, "seen from outside the command "
		     "runs as uid %u, it should be the caller, %u",
		     status_id(child, "Uid:"), (unsigned)w.uid);
	cr_assert_eq(status_id(child, "Gid:"), w.gid, "seen from outside the command "
		     "runs as gid %u, it should be the caller's, %u",
		     status_id(child, "Gid:"), (unsigned)w.gid);
	uid_map = map_of(child, "uid_map");
	gid_map = map_of(child, "gid_map");
	snprintf(expect, sizeof(expect), "0 %u 1\n", (unsigned)w.uid);
	cr_assert_str_eq(uid_map, expect, "/proc/PID/uid_map read from outside is "
			 "\"%s\", expected \"%s\"", uid_map, expect);
	snprintf(expect, sizeof(expect), "0 %u 1\n", (unsigned)w.gid);
	cr_assert_str_eq(gid_map, expect, "/proc/PID/gid_map read from outside is "
			 "\"%s\", expected \"%s\"", gid_map, expect);
	free(uid_map);
	free(gid_map);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- the maps ---------------------------------------------------------- */

Test(user, maps_as_ordinary_user_deny_setgroups)
{
	struct who w = ordinary_user();
	char expect[128], cmd[160];
	struct run r;
	char *got;

	snprintf(cmd, sizeof(cmd), "cat /proc/self/uid_map /proc/self/gid_map; "
		 "echo setgroups; cat /proc/self/setgroups");
	run_as(&r, &w, ARGS("-q", "--", "/bin/sh", "-c", cmd));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	got = normalise_map(r.out);
	snprintf(expect, sizeof(expect), "0 %u 1\n0 %u 1\n", (unsigned)w.uid,
		 (unsigned)w.gid);
	cr_assert_str_eq(got, expect, "inside, uid_map and gid_map read \"%s\", "
			 "expected \"%s\" (0 inside is the caller outside)", got, expect);
	cr_assert(strstr(r.out, "setgroups\ndeny\n"), "/proc/self/setgroups should "
		  "read \"deny\": write it before gid_map; got \"%s\"", r.out);
	free(got);
	run_free(&r);
}

Test(user, chosen_ids_inside_are_the_ones_mapped)
{
	struct who w = ordinary_user();
	unsigned uid_in = random_between(1, 60000), gid_in = random_between(1, 60000);
	char uspec[48], gspec[48], expect[96];
	struct run r;
	struct probe p;
	char *got;

	snprintf(uspec, sizeof(uspec), "%u:%u:1", uid_in, (unsigned)w.uid);
	snprintf(gspec, sizeof(gspec), "%u:%u:1", gid_in, (unsigned)w.gid);
	run_as(&r, &w, ARGS("-q", "-u", uspec, "-g", gspec, "--", "/bin/sh", "-c",
			    "cat /proc/self/uid_map /proc/self/gid_map; exec \"$0\"",
			    probe_bin()));
	cr_assert_eq(r.code, 0, "user -u %s -g %s exited with %d; %s", uspec, gspec,
		     r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == uid_in && p.euid == uid_in, "with -u %s the command "
		  "should be uid %u inside, it is %u", uspec, uid_in, (unsigned)p.uid);
	cr_assert(p.gid == gid_in && p.egid == gid_in, "with -g %s the command "
		  "should be gid %u inside, it is %u", gspec, gid_in, (unsigned)p.gid);
	got = normalise_map(r.out);
	snprintf(expect, sizeof(expect), "%u %u 1\n%u %u 1\n", uid_in, (unsigned)w.uid,
		 gid_in, (unsigned)w.gid);
	cr_assert_str_eq(got, expect, "the maps inside read \"%s\", asked \"%s\"",
			 got, expect);
	free(got);
	run_free(&r);
}

Test(user, root_maps_ranges_as_asked)
{
	/* Two or three non-overlapping ranges on each side, random. */
	char specs[2][3][48], expect[2][256] = {"", ""}, *got;
	const char *args[24];
	unsigned lines = random_between(2, 3);
	size_t n = 0;
	struct run r;
	struct probe p;

	require_map_privilege();
	args[n++] = "-q";
	for (int m = 0; m < 2; m++) {
		unsigned inside = 0, outside = random_between(100000, 200000);

		for (unsigned i = 0; i < lines; i++) {
			unsigned count = random_between(1, 5000);

			snprintf(specs[m][i], sizeof(specs[m][i]), "%u:%u:%u", inside,
				 outside, count);
			snprintf(expect[m] + strlen(expect[m]), 64, "%u %u %u\n",
				 inside, outside, count);
			args[n++] = m ? "-g" : "-u";
			args[n++] = specs[m][i];
			inside += count + random_between(0, 100);
			outside += count + random_between(1000, 90000);
		}
	}
	args[n++] = "--";
	args[n++] = "/bin/sh";
	args[n++] = "-c";
	args[n++] = "cat /proc/self/uid_map; echo; cat /proc/self/gid_map; "
		    "echo; exec \"$0\"";
	args[n++] = probe_bin();
	args[n] = NULL;
	run_lesson(&r, args);
	cr_assert_eq(r.code, 0, "user with the uid map \"%s\" and the gid map "
		     "\"%s\" exited with %d; %s", expect[0], expect[1], r.code, why(&r));
	got = normalise_map(r.out);
	cr_assert(strncmp(got, expect[0], strlen(expect[0])) == 0 &&
		  strcmp(got + strlen(expect[0]), expect[1]) == 0,
		  "inside, the maps read\n%s\nasked\n%s%s", got, expect[0], expect[1]);
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == 0 && p.gid == 0, "the command should run as uid 0 gid 0 "
		  "inside (the first INSIDE of each map), it is uid %u gid %u: "
		  "setresuid()/setresgid() in the child", (unsigned)p.uid,
		  (unsigned)p.gid);
	free(got);
	run_free(&r);
}

Test(user, root_mapped_elsewhere_runs_as_that_uid_outside)
{
	unsigned base = random_between(100000, 900000), gbase = random_between(100000, 900000);
	char uspec[48], gspec[48];
	struct run r;
	struct probe p;
	pid_t child;

	require_map_privilege();
	snprintf(uspec, sizeof(uspec), "0:%u:65536", base);
	snprintf(gspec, sizeof(gspec), "0:%u:65536", gbase);
	run_hold(&r, ARGS("-q", "-u", uspec, "-g", gspec, "--", probe_bin(), "--hold"), NULL);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == 0 && p.gid == 0, "with -u %s -g %s the command should be "
		  "uid 0 gid 0 inside, it is uid %u gid %u: the maps change how ids "
		  "read, not the child's own ids; setresgid()/setresuid() in the child",
		  uspec, gspec, (unsigned)p.uid, (unsigned)p.gid);
	cr_assert_eq(status_id(child, "Uid:"), base, "outside, the command should be "
		     "uid %u (0 inside), it is %u", base, status_id(child, "Uid:"));
	cr_assert_eq(status_id(child, "Gid:"), gbase, "outside, the command should be "
		     "gid %u (0 inside), it is %u", gbase, status_id(child, "Gid:"));
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- files and ids ------------------------------------------------------ */

Test(user, file_created_inside_belongs_to_the_caller)
{
	struct who w = ordinary_user();
	char dir[32], name[24], path[64], cmd[160];
	struct stat st;
	struct run r;
	int found;

	random_name(name, sizeof(name), "made-inside-", 20);
	make_dir_for(dir, w.uid, w.gid);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "touch %s && stat -c %%u:%%g %s", path, path);
	run_as(&r, &w, ARGS("-q", "--", "/bin/sh", "-c", cmd));
	found = stat(path, &st);
	remove_dir(dir, ARGS(name));
	cr_assert_eq(r.code, 0, "touch %s inside failed (%d); %s", path, r.code, why(&r));
	cr_assert_str_eq(r.out, "0:0\n", "inside, the new file should belong to "
			 "0:0 (root there), stat says %s", r.out);
	cr_assert_eq(found, 0, "the file made inside is not there outside");
	cr_assert(st.st_uid == w.uid && st.st_gid == w.gid, "outside, the file made "
		  "by root inside should belong to the caller %u:%u, it belongs to "
		  "%u:%u", (unsigned)w.uid, (unsigned)w.gid, (unsigned)st.st_uid,
		  (unsigned)st.st_gid);
	run_free(&r);
}

Test(user, file_created_by_root_mapped_elsewhere_belongs_to_that_uid)
{
	unsigned base = random_between(100000, 900000), gbase = random_between(100000, 900000);
	char dir[32], name[24], path[64], uspec[48], gspec[48];
	struct stat st;
	struct run r;
	int found;

	require_map_privilege();
	random_name(name, sizeof(name), "made-inside-", 20);
	make_dir_for(dir, base, gbase);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(uspec, sizeof(uspec), "0:%u:1", base);
	snprintf(gspec, sizeof(gspec), "0:%u:1", gbase);
	run_lesson(&r, ARGS("-q", "-u", uspec, "-g", gspec, "--", "touch", path));
	found = stat(path, &st);
	remove_dir(dir, ARGS(name));
	cr_assert_eq(r.code, 0, "user -u %s -g %s -- touch %s failed (%d); %s", uspec,
		     gspec, path, r.code, why(&r));
	cr_assert_eq(found, 0, "the file made inside is not there outside");
	cr_assert(st.st_uid == base && st.st_gid == gbase, "outside, the file made "
		  "by root inside should belong to %u:%u (what 0 maps to), it belongs "
		  "to %u:%u", base, gbase, (unsigned)st.st_uid, (unsigned)st.st_gid);
	run_free(&r);
}

Test(user, unmapped_owner_reads_as_overflow_id)
{
	struct who w = ordinary_user();
	char dir[32], cmd[160], expect[64];
	struct run r;

	/* "/" belongs to the host's root, which is not in the map (unless
	 * the test runs as root itself); dir to the caller, which is 0. */
	make_dir_for(dir, w.uid, w.gid);
	snprintf(cmd, sizeof(cmd), "stat -c %%u:%%g / %s", dir);
	run_as(&r, &w, ARGS("-q", "--", "/bin/sh", "-c", cmd));
	remove_dir(dir, ARGS(NULL));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	if (w.uid != 0)
		snprintf(expect, sizeof(expect), "%u:%u\n0:0\n", overflow_id("uid"),
			 overflow_id("gid"));
	else
		snprintf(expect, sizeof(expect), "0:0\n0:0\n");
	cr_assert_str_eq(r.out, expect, "inside, stat of / (owned by the host's root, "
			 "unmapped) and of a directory the caller owns should give\n%s"
			 "got\n%s", expect, r.out);
	run_free(&r);
}

Test(user, unmapped_root_reads_as_overflow_id_when_root_maps_elsewhere)
{
	char uspec[48], gspec[48], expect[64];
	struct run r;

	require_map_privilege();
	snprintf(uspec, sizeof(uspec), "0:%d:1", random_between(100000, 900000));
	snprintf(gspec, sizeof(gspec), "0:%d:1", random_between(100000, 900000));
	run_lesson(&r, ARGS("-q", "-u", uspec, "-g", gspec, "--", "stat", "-c",
			    "%u:%g", "/"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	snprintf(expect, sizeof(expect), "%u:%u\n", overflow_id("uid"),
		 overflow_id("gid"));
	cr_assert_str_eq(r.out, expect, "with -u %s -g %s, / (owned by the host's "
			 "root, now unmapped) should read as %s inside, got %s", uspec,
			 gspec, expect, r.out);
	run_free(&r);
}

/* ---- what root inside may and may not do -------------------------------- */

Test(user, full_capabilities_inside_make_a_uts_namespace)
{
	struct who w = ordinary_user();
	unsigned long long eff = 0, bnd = 1;
	char host[16], cmd[200], *line;
	struct utsname before, after;
	struct run r;

	random_name(host, sizeof(host), "inner-", 14);
	snprintf(cmd, sizeof(cmd), "grep -E '^Cap(Eff|Bnd):' /proc/self/status && "
		 "unshare --uts /bin/sh -c 'hostname %s && echo \"name $(hostname)\"'",
		 host);
	uname(&before);
	run_as(&r, &w, ARGS("-q", "--", "/bin/sh", "-c", cmd));
	uname(&after);
	cr_assert_str_eq(after.nodename, before.nodename,
			 "the hostname outside changed to \"%s\"", after.nodename);
	if ((line = strstr(r.out, "CapEff:")))
		eff = strtoull(line + 7, NULL, 16);
	if ((line = strstr(r.out, "CapBnd:")))
		bnd = strtoull(line + 7, NULL, 16);
	cr_assert(eff != 0 && eff == bnd, "root inside should hold every capability "
		  "(CapEff = CapBnd), got \"%s\"; %s", r.out, why(&r));
	cr_assert_eq(r.code, 0, "root inside a user namespace may create a UTS "
		     "namespace (unshare --uts), but it failed with %d; %s", r.code,
		     why(&r));
	cr_assert(strstr(r.out, host), "inside a UTS namespace made inside, hostname "
		  "%s should work; got \"%s\"", host, r.out);
	run_free(&r);
}

/* sethostname in the UTS namespace the lesson started in: it belongs to
 * the initial user namespace, where root inside has no capability, even
 * when 0 inside is 0 outside. Run only in the test's throwaway UTS
 * namespace, so even a wrong lesson cannot rename the host. */
static void check_host_hostname_out_of_reach(const struct who *w)
{
	struct utsname before, after;
	char host[16];
	struct run r;

	if (!harness_isolated())
		cr_skip_test("this check runs only in a throwaway UTS namespace, "
			     "which needs the suite to run as root");
	random_name(host, sizeof(host), "taken-", 14);
	uname(&before);
	run_as(&r, w, ARGS("-q", "--", "hostname", host));
	uname(&after);
	cr_assert_str_eq(after.nodename, before.nodename, "root inside (uid %u "
			 "outside) renamed the UTS namespace it started in to \"%s\": "
			 "the command is not in a user namespace of its own",
			 (unsigned)w->uid, after.nodename);
	cr_assert(r.code != 0 && r.code < 126, "hostname %s inside should fail "
		  "(EPERM), got status %d; %s", host, r.code, why(&r));
	cr_assert(strstr(r.err, "hostname") && !strstr(r.err, "user: "),
		  "the command should run and be refused, not the lesson fail "
		  "before it; %s", why(&r));
	run_free(&r);
}

Test(user, host_hostname_out_of_reach_as_ordinary_user)
{
	struct who w = ordinary_user();

	check_host_hostname_out_of_reach(&w);
}

Test(user, host_hostname_out_of_reach_even_for_root_mapped_to_root)
{
	struct who w = {.uid = geteuid(), .gid = getegid(), .self = true};

	require_unshare(CLONE_NEWUSER, "CLONE_NEWUSER");
	check_host_hostname_out_of_reach(&w);
}

Test(user, root_inside_cannot_write_host_roots_file)
{
	struct who w = ordinary_user();
	char dir[32], path[64], cmd[160], buf[16] = "";
	struct run r;
	int fd;

	/* A file of the test's own (root's when the suite runs as root),
	 * mode 0644: root inside has CAP_DAC_OVERRIDE, but only over files
	 * whose owner is mapped into its namespace. */
	if (w.self)
		cr_skip_test("needs a file owned by someone other than the caller "
			     "(run the suite as root)");
	strcpy(dir, "/tmp/nslab-06-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/hosts-own", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, "host\n", 5), 5);
	close(fd);
	snprintf(cmd, sizeof(cmd), "grep -q CapEff:.*f /proc/self/status && "
		 "echo x >> %s", path);
	run_as(&r, &w, ARGS("-q", "--", "/bin/sh", "-c", cmd));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	remove_dir(dir, ARGS("hosts-own"));
	cr_assert(!strstr(r.err, "TODO("), "%s", why(&r));
	cr_assert_str_eq(buf, "host\n", "root inside (uid %u outside) wrote to a "
			 "file of uid %u", (unsigned)w.uid, (unsigned)geteuid());
	cr_assert(r.code != 0 && strstr(r.err, "ermission denied"), "writing a file "
		  "of an unmapped owner should fail with EACCES inside; status %d; %s",
		  r.code, why(&r));
	run_free(&r);
}

/* ---- bad maps ------------------------------------------------------------ */

Test(user, malformed_map_is_a_usage_error)
{
	char big[48], garbage[16];
	const char *bad[6];
	struct run r;

	random_name(garbage, sizeof(garbage), "0:x", 10);
	snprintf(big, sizeof(big), "4294967290:1:%d", random_between(6, 100));
	bad[0] = "0:1000";
	bad[1] = "0:1000:0";
	bad[2] = garbage;
	bad[3] = "-1:1000:1";
	bad[4] = big;
	bad[5] = "0:1000:1:";
	for (int i = 0; i < 6; i++) {
		const char *opt = i % 2 ? "-g" : "-u";

		run_lesson(&r, ARGS("-q", opt, bad[i], "--", probe_bin()));
		cr_assert_eq(r.code, 2, "%s %s is malformed and should exit 2, got %d; %s",
			     opt, bad[i], r.code, why(&r));
		cr_assert(strstr(r.err, bad[i]), "the error should quote the bad map "
			  "\"%s\"; %s", bad[i], why(&r));
		cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
		run_free(&r);
	}
}

/* The error for a map the kernel does not allow: one line, naming the
 * file and EPERM, saying why; and the command does not run. */
static void check_refused(const struct who *w, const char *opt, const char *spec,
			  const char *file, const char *cap)
{
	struct run r;

	run_as(&r, w, ARGS("-q", opt, spec, "--", probe_bin()));
	cr_assert(r.code != 0 && r.code < 126, "as uid %u, %s %s is not allowed and "
		  "should fail clearly, got status %d; %s", (unsigned)w->uid, opt, spec,
		  r.code, why(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert(strstr(r.err, file) && strstr(r.err, "Operation not permitted"),
		  "the error should name %s and EPERM (Operation not permitted); %s",
		  file, why(&r));
	cr_assert(strstr(r.err, cap), "the error should say why: without %s only "
		  "your own id may be mapped; %s", cap, why(&r));
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		  "the error should be one line; %s", why(&r));
	run_free(&r);
}

Test(user, map_not_allowed_says_eperm_and_why)
{
	struct who w = ordinary_user();
	char spec[48];

	if (w.self && w.uid == 0)
		cr_skip_test("root may map anything");
	snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)w.uid + random_between(1, 99));
	check_refused(&w, "-u", spec, "uid_map", "CAP_SETUID");
	snprintf(spec, sizeof(spec), "0:%u:%d", (unsigned)w.uid, random_between(2, 9));
	check_refused(&w, "-u", spec, "uid_map", "CAP_SETUID");
	snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)w.gid + random_between(1, 99));
	check_refused(&w, "-g", spec, "gid_map", "CAP_SETGID");
}

Test(user, overlapping_ranges_are_refused)
{
	unsigned base = random_between(100000, 200000), at = random_between(1, 9);
	char a[48], b[48];
	struct run r;

	require_map_privilege();
	snprintf(a, sizeof(a), "0:%u:10", base);
	snprintf(b, sizeof(b), "%u:%u:10", at, base + 50000);
	run_lesson(&r, ARGS("-q", "-u", a, "-u", b, "--", probe_bin()));
	cr_assert(r.code != 0 && r.code < 126, "-u %s -u %s overlap inside; the "
		  "kernel refuses that, and so should user, got status %d; %s", a, b,
		  r.code, why(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert(strstr(r.err, "uid_map") && strstr(r.err, "Invalid argument"),
		  "the error should name uid_map and EINVAL; %s", why(&r));
	run_free(&r);
}

/* ---- the program ------------------------------------------------------------ */

Test(user, account_shows_namespaces_and_maps_in_order)
{
	struct who w = ordinary_user();
	char label[64], line[96];
	const char *u, *s, *g;
	struct run r, q;
	struct probe p;

	run_as(&r, &w, ARGS("--", probe_bin()));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	snprintf(label, sizeof(label), "user:[%llu]",
		 (unsigned long long)p.ns[ns_index("user")].ino);
	cr_assert(strstr(r.err, label), "without -q, stderr should show the child's "
		  "namespace as %s; %s", label, why(&r));
	snprintf(label, sizeof(label), "user:[%llu]",
		 (unsigned long long)my_ns("user").ino);
	cr_assert(strstr(r.err, label), "without -q, stderr should show the parent's "
		  "namespace as %s; %s", label, why(&r));
	snprintf(line, sizeof(line), "uid_map <- \"0 %u 1\"", (unsigned)w.uid);
	u = strstr(r.err, line);
	cr_assert(u, "stderr should show %s; %s", line, why(&r));
	s = strstr(r.err, "setgroups <- \"deny\"");
	snprintf(line, sizeof(line), "gid_map <- \"0 %u 1\"", (unsigned)w.gid);
	g = strstr(r.err, line);
	cr_assert(s && g && u < s && s < g, "the order must be uid_map, setgroups "
		  "\"deny\", gid_map; %s", why(&r));

	run_as(&q, &w, ARGS("-q", "--", probe_bin()));
	cr_assert_eq(q.code, 0);
	cr_assert_str_empty(q.err, "-q should silence the account; %s", why(&q));
	run_free(&r);
	run_free(&q);
}

/* ---- what every lesson does alike, run as an ordinary user ----------- */

static const struct lesson *as_ordinary_user(void)
{
	static struct lesson l;
	struct who w = ordinary_user();

	l = user_lesson;
	if (!w.self) {
		l.run.uid = w.uid;
		l.run.gid = w.gid;
	}
	return &l;
}

LESSON_BASICS(user, as_ordinary_user(), 5)
