/* Lesson 06: user runs a command in a new user namespace, as an ordinary
 * user, with the uid and gid maps it was asked for: root inside, the caller
 * outside, and nothing the host's root owns within reach.
 *
 * Steps (solutions/06-user/user.c): 1 the child in a new user namespace,
 * 2 the maps in their order, each in one write, 3 the host's groups
 * dropped where setgroups is allowed, 4 the ids the command runs as (gid
 * before uid). A test named sN_ checks step N and
 * passes as soon as steps 1 to N are right (all_ tests check the whole
 * program: what the namespace's capabilities reach); the lesson's account lines
 * ("child  pid N after the maps: uid U gid G, setgroups S, supplementary
 * groups K", "child  pid N before exec: supplementary groups K")
 * let steps 2 and 3 be checked while step 4 still stops the program.
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
#include <linux/nsfs.h>
#include <sys/ioctl.h>
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
 * a forked child makes a user namespace and says so on a pipe, the test
 * writes its uid_map, then closes the other pipe to let it go. */
static void require_map_privilege(void)
{
	int ready[2], done[2], fd, e = 0, status;
	char path[64], c;
	pid_t pid;

	require_unshare(CLONE_NEWUSER, "CLONE_NEWUSER");
	cr_assert(pipe2(ready, O_CLOEXEC) == 0 && pipe2(done, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		if (unshare(CLONE_NEWUSER) == -1 || write(ready[1], "r", 1) != 1)
			_exit(1);
		_exit(read(done[0], &c, 1) == 0 ? 0 : 1);
	}
	close(ready[1]);
	close(done[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the probe child could not make a "
		     "user namespace");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "0 100000 2\n", 11) != 11)
		e = errno;
	if (fd != -1)
		close(fd);
	close(done[1]);
	close(ready[0]);
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

/* ---- what the lesson said ------------------------------------------------ */

/* The fix for a symptom on the lesson's stderr whose cause is a step:
 * every wrong turn the solution keeps (its WRONG lines) is named here;
 * anything else is why(). */
static const char *fix(const struct run *r)
{
	static const struct symptom known[] = {
		{"still the parent's user namespace", "", "the child is in its "
		 "parent's user namespace: ns_spawn() needs CLONE_NEWUSER in its "
		 "flags (step 1)"},
		{"Invalid argument", "written already", "write each file in a single "
		 "write(2), the whole text at once: the kernel takes a map once, at "
		 "offset 0, and refuses a second write() (EINVAL) (step 2)"},
		{"gid_map", "Operation not permitted; without CAP_SETGID", "without "
		 "CAP_SETGID the kernel takes a gid_map only after \"deny\" is "
		 "written to /proc/PID/setgroups: write setgroups before gid_map "
		 "(step 2)"},
		{"setgroups(0, NULL): Operation not permitted", "", "where the parent "
		 "denied setgroups, setgroups(2) is refused: drop the groups only "
		 "when setgroups is allowed, that is when the parent is privileged "
		 "(step 3)"},
		{"setresgid(", "Operation not permitted", "set the gid before the "
		 "uid: setresuid() to a uid other than 0 of the namespace clears "
		 "every capability, CAP_SETGID with it (capabilities(7), \"Effect of "
		 "user ID changes on capabilities\"), so setresgid() after it is "
		 "refused (step 4)"},
	};

	return why_known(r, known, sizeof(known) / sizeof(known[0]));
}

/* The child's account line after the maps, as the kernel shows its ids. */
struct after_maps {
	bool seen;
	unsigned uid, gid;
	char setgroups[8];
	int groups, kept; /* supplementary groups before and after step 3, -1: no line */
};

static struct after_maps after_maps(const struct run *r)
{
	struct after_maps m = {.groups = -1, .kept = -1};
	const char *line = strstr(r->err, " after the maps: "), *keeps;

	if (line)
		m.seen = sscanf(line, " after the maps: uid %u gid %u, setgroups %7[a-z?], "
				"supplementary groups %d", &m.uid, &m.gid, m.setgroups,
				&m.groups) == 4;
	if ((keeps = strstr(r->err, " before exec: ")))
		sscanf(keeps, " before exec: supplementary groups %d", &m.kept);
	return m;
}

/* ---- step 1: the child in a new user namespace --------------------------- */

/* Seen by the parent, before any map: holds while step 2 still stops the
 * program. */
Test(user, s1_child_runs_in_a_new_user_namespace)
{
	struct who w = ordinary_user();
	struct run r;

	run_as(&r, &w, ARGS("--", probe_bin()));
	check_account_new(&r, "user", NULL, "ns_spawn() needs CLONE_NEWUSER in its flags");
	run_free(&r);
}

/* ---- step 2: the maps ------------------------------------------------------ */

/* An ordinary user: uid_map, "deny", gid_map, in that order, and the
 * child, still waiting at step 3 if need be, reads its ids through them. */
Test(user, s2_maps_in_their_order_as_an_ordinary_user)
{
	struct who w = ordinary_user();
	char line[96];
	const char *u, *s, *g;
	struct after_maps m;
	struct run r;

	run_as(&r, &w, ARGS("--", probe_bin()));
	cr_assert(!strstr(r.err, "TODO(1)") && !strstr(r.err, "TODO(2)"),
		  "%s", why(&r));
	snprintf(line, sizeof(line), "uid_map <- \"0 %u 1\"", (unsigned)w.uid);
	u = strstr(r.err, line);
	s = strstr(r.err, "setgroups <- \"deny\"");
	snprintf(line, sizeof(line), "gid_map <- \"0 %u 1\"", (unsigned)w.gid);
	g = strstr(r.err, line);
	m = after_maps(&r);
	cr_assert(m.seen, "the child never said what the maps made of its ids: "
		  "the maps were refused? %s", fix(&r));
	cr_assert(m.uid == 0 && m.gid == 0, "after the maps, the child of uid %u "
		  "gid %u should read as uid 0 gid 0 inside, it reads as uid %u gid %u "
		  "(65534: that id is not in the map); %s", (unsigned)w.uid,
		  (unsigned)w.gid, m.uid, m.gid, fix(&r));
	cr_assert_str_eq(m.setgroups, "deny", "an ordinary user must write \"deny\" "
			 "to /proc/PID/setgroups before gid_map: the child reads "
			 "setgroups \"%s\"", m.setgroups);
	cr_assert(u && s && g && u < s && s < g, "the account should show uid_map, "
		  "setgroups \"deny\", gid_map, in that order; %s", why(&r));
	run_free(&r);
}

Test(user, s2_chosen_ids_read_as_mapped)
{
	struct who w = ordinary_user();
	unsigned uid_in = random_between(1, 60000), gid_in = random_between(1, 60000);
	char uspec[48], gspec[48];
	struct after_maps m;
	struct run r;

	snprintf(uspec, sizeof(uspec), "%u:%u:1", uid_in, (unsigned)w.uid);
	snprintf(gspec, sizeof(gspec), "%u:%u:1", gid_in, (unsigned)w.gid);
	run_as(&r, &w, ARGS("-u", uspec, "-g", gspec, "--", probe_bin()));
	m = after_maps(&r);
	cr_assert(m.seen, "with -u %s -g %s the child never said what the maps "
		  "made of its ids; %s", uspec, gspec, fix(&r));
	cr_assert(m.uid == uid_in && m.gid == gid_in, "with -u %s -g %s the child "
		  "should read as uid %u gid %u after the maps, it reads as uid %u "
		  "gid %u: write the maps that were asked", uspec, gspec, uid_in,
		  gid_in, m.uid, m.gid);
	run_free(&r);
}

/* Root: setgroups stays allowed, and the child, born with root's own
 * uid, reads as 65534 until step 4 switches it to the mapped 0. */
Test(user, s2_root_leaves_setgroups_allowed)
{
	char uspec[48], gspec[48];
	struct after_maps m;
	struct run r;

	require_map_privilege();
	snprintf(uspec, sizeof(uspec), "0:%d:1", random_between(100000, 900000));
	snprintf(gspec, sizeof(gspec), "0:%d:1", random_between(100000, 900000));
	run_lesson(&r, ARGS("-u", uspec, "-g", gspec, "--", probe_bin()));
	m = after_maps(&r);
	cr_assert(m.seen, "as root with -u %s -g %s the child never said what the "
		  "maps made of its ids; %s", uspec, gspec, fix(&r));
	cr_assert_str_eq(m.setgroups, "allow", "as root (CAP_SETGID) the parent may "
			 "write gid_map without \"deny\": leave setgroups allowed, so "
			 "that the child can drop the host's groups (step 3); the child "
			 "reads setgroups \"%s\"", m.setgroups);
	cr_assert(!strstr(r.err, "setgroups <-"), "as root, nothing should be "
		  "written to setgroups; %s", why(&r));
	cr_assert(m.uid == overflow_id("uid") && m.gid == overflow_id("gid"),
		  "with -u %s -g %s the child, still holding root's own ids, should "
		  "read as the overflow ids %u:%u after the maps, not %u:%u",
		  uspec, gspec, overflow_id("uid"), overflow_id("gid"), m.uid, m.gid);
	run_free(&r);
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
		  r.code, fix(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert(strstr(r.err, file) && strstr(r.err, "Operation not permitted"),
		  "the error should name %s and EPERM (Operation not permitted); %s",
		  file, fix(&r));
	cr_assert(strstr(r.err, cap), "the error should say why: without %s only "
		  "your own id may be mapped; %s", cap, fix(&r));
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		  "the error should be one line; %s", why(&r));
	run_free(&r);
}

Test(user, s2_map_not_allowed_says_eperm_and_why)
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

Test(user, s2_overlapping_ranges_are_refused)
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
		  r.code, fix(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert(strstr(r.err, "uid_map") && strstr(r.err, "Invalid argument"),
		  "the error should name uid_map and EINVAL; %s", fix(&r));
	run_free(&r);
}

/* ---- step 3: the host's groups -------------------------------------------- */

/* Root with supplementary groups of its own: with setgroups allowed the
 * child drops them, so the command cannot use them on the host's files. */
Test(user, s3_root_drops_the_host_groups)
{
	gid_t groups[2] = {random_between(30000, 40000), random_between(40001, 50000)};
	char uspec[48], gspec[48];
	struct after_maps m;
	struct run r;

	require_map_privilege();
	cr_assert_eq(setgroups(2, groups), 0, "setgroups: %s", strerror(errno));
	snprintf(uspec, sizeof(uspec), "0:%d:1", random_between(100000, 900000));
	snprintf(gspec, sizeof(gspec), "0:%d:1", random_between(100000, 900000));
	run_lesson(&r, ARGS("-u", uspec, "-g", gspec, "--", probe_bin()));
	m = after_maps(&r);
	cr_assert(m.seen && m.groups == 2, "the child was born with the launcher's "
		  "2 supplementary groups (%u, %u); its account should say so; %s",
		  (unsigned)groups[0], (unsigned)groups[1], fix(&r));
	cr_assert_str_eq(m.setgroups, "allow", "as root leave setgroups allowed "
			 "(it reads \"%s\"): else the child can never drop the host's "
			 "groups (step 2)", m.setgroups);
	cr_assert_eq(m.kept, 0, "as root the child should drop the host's groups "
		     "before it execs, it keeps %d: setgroups(2) in the child; %s",
		     m.kept, fix(&r));
	run_free(&r);
}

/* An ordinary user: setgroups is denied, the groups stay, and the child
 * must not try to drop them. */
Test(user, s3_groups_stay_where_setgroups_is_denied)
{
	struct who w = ordinary_user();
	struct after_maps m;
	struct run r;

	run_as(&r, &w, ARGS("--", probe_bin()));
	m = after_maps(&r);
	cr_assert(m.seen, "the child never said what the maps made of its ids; %s",
		  fix(&r));
	cr_assert(m.kept == m.groups, "with setgroups denied the child should keep "
		  "its %d supplementary groups, the account says %d; %s", m.groups,
		  m.kept, fix(&r));
	run_free(&r);
}

/* ---- step 4: the ids, and what root inside may do ------------------------- */

Test(user, s4_ids_inside_are_the_ones_mapped)
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
		     r.code, fix(&r));
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

Test(user, s4_seen_from_outside_it_is_the_caller)
{
	struct who w = ordinary_user();
	struct run_opts o = {.uid = w.self ? 0 : w.uid, .gid = w.self ? 0 : w.gid,
			     .keep_stdin = true};
	char expect[64], *uid_map, *gid_map;
	struct run r;
	pid_t child;

	run_hold(&r, ARGS("-q", "--", probe_bin(), "--hold"), &o);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	/* Root inside, and yet the host sees the caller. */
	cr_assert_eq(status_id(child, "Uid:"), w.uid, "seen from outside the command "
		     "runs as uid %ld, it should be the caller, %u",
		     status_id(child, "Uid:"), (unsigned)w.uid);
	cr_assert_eq(status_id(child, "Gid:"), w.gid, "seen from outside the command "
		     "runs as gid %ld, it should be the caller's, %u",
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
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, fix(&r));
	run_free(&r);
}

Test(user, s4_root_maps_ranges_as_asked)
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
		     "\"%s\" exited with %d; %s", expect[0], expect[1], r.code, fix(&r));
	got = normalise_map(r.out);
	cr_assert(strncmp(got, expect[0], strlen(expect[0])) == 0 &&
		  strcmp(got + strlen(expect[0]), expect[1]) == 0,
		  "inside, the maps read\n%s\nasked\n%s%s", got, expect[0], expect[1]);
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == 0 && p.gid == 0, "the command should run as uid 0 gid 0 "
		  "inside (the first INSIDE of each map), it is uid %u gid %u: "
		  "setresgid() and setresuid() in the child (step 4)", (unsigned)p.uid,
		  (unsigned)p.gid);
	free(got);
	run_free(&r);
}

/* Run `args` as root, hold the probe, and check its ids inside and out. */
static void check_ids(const char *const args[], unsigned uid_in, unsigned gid_in,
		      unsigned uid_out, unsigned gid_out, const char *asked)
{
	struct run_opts o = {.keep_stdin = true};
	struct run r;
	struct probe p;
	pid_t child;

	run_start(&r, args, &o);
	if (!run_wait_output(&r, "ready", RUN_TIMEOUT)) {
		run_finish(&r);
		cr_assert_fail("with %s the command never started (status %d); %s",
			       asked, r.code, fix(&r));
	}
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == uid_in && p.gid == gid_in, "with %s the command should be "
		  "uid %u gid %u inside, it is uid %u gid %u: the maps change how ids "
		  "read, not the child's own ids; setresgid() and setresuid() in the "
		  "child (step 4)", asked, uid_in, gid_in, (unsigned)p.uid,
		  (unsigned)p.gid);
	cr_assert_eq(status_id(child, "Uid:"), uid_out, "outside, the command should "
		     "be uid %u, it is %ld", uid_out, status_id(child, "Uid:"));
	cr_assert_eq(status_id(child, "Gid:"), gid_out, "outside, the command should "
		     "be gid %u, it is %ld", gid_out, status_id(child, "Gid:"));
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, fix(&r));
	run_free(&r);
}

Test(user, s4_root_mapped_elsewhere_runs_as_that_uid_outside)
{
	unsigned base = random_between(100000, 900000), gbase = random_between(100000, 900000);
	char uspec[48], gspec[48], asked[128];

	require_map_privilege();
	snprintf(uspec, sizeof(uspec), "0:%u:65536", base);
	snprintf(gspec, sizeof(gspec), "0:%u:65536", gbase);
	snprintf(asked, sizeof(asked), "-u %s -g %s", uspec, gspec);
	check_ids(ARGS("-q", "-u", uspec, "-g", gspec, "--", probe_bin(), "--hold"),
		  0, 0, base, gbase, asked);
}

/* The child starts as uid 0 of its namespace (root maps 0 to itself) and
 * must become another uid: only then does the order of setresgid() and
 * setresuid() matter, since leaving uid 0 drops CAP_SETGID. */
Test(user, s4_gid_before_uid_when_leaving_uid_0)
{
	unsigned uid_in = random_between(1, 60000), gid_in = random_between(1, 60000);
	unsigned base = random_between(100000, 900000), gbase = random_between(100000, 900000);
	char u1[48], g1[48], asked[160];

	require_map_privilege();
	snprintf(u1, sizeof(u1), "%u:%u:1", uid_in, base);
	snprintf(g1, sizeof(g1), "%u:%u:1", gid_in, gbase);
	snprintf(asked, sizeof(asked), "-u %s -u 0:0:1 -g %s -g 0:0:1", u1, g1);
	check_ids(ARGS("-q", "-u", u1, "-u", "0:0:1", "-g", g1, "-g", "0:0:1", "--",
		       probe_bin(), "--hold"), uid_in, gid_in, base, gbase, asked);
}

Test(user, s4_file_created_inside_belongs_to_the_caller)
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
	cr_assert_eq(r.code, 0, "touch %s inside failed (%d); %s", path, r.code, fix(&r));
	cr_assert_str_eq(r.out, "0:0\n", "inside, the new file should belong to "
			 "0:0 (root there), stat says %s", r.out);
	cr_assert_eq(found, 0, "the file made inside is not there outside");
	cr_assert(st.st_uid == w.uid && st.st_gid == w.gid, "outside, the file made "
		  "by root inside should belong to the caller %u:%u, it belongs to "
		  "%u:%u", (unsigned)w.uid, (unsigned)w.gid, (unsigned)st.st_uid,
		  (unsigned)st.st_gid);
	run_free(&r);
}

Test(user, s4_file_created_by_root_mapped_elsewhere_belongs_to_that_uid)
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
		     gspec, path, r.code, fix(&r));
	cr_assert_eq(found, 0, "the file made inside is not there outside");
	cr_assert(st.st_uid == base && st.st_gid == gbase, "outside, the file made "
		  "by root inside should belong to %u:%u (what 0 maps to), it belongs "
		  "to %u:%u", base, gbase, (unsigned)st.st_uid, (unsigned)st.st_gid);
	run_free(&r);
}

Test(user, s4_unmapped_owner_reads_as_overflow_id)
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
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, fix(&r));
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

Test(user, s4_unmapped_root_reads_as_overflow_id_when_root_maps_elsewhere)
{
	char uspec[48], gspec[48], expect[64];
	struct run r;

	require_map_privilege();
	snprintf(uspec, sizeof(uspec), "0:%d:1", random_between(100000, 900000));
	snprintf(gspec, sizeof(gspec), "0:%d:1", random_between(100000, 900000));
	run_lesson(&r, ARGS("-q", "-u", uspec, "-g", gspec, "--", "stat", "-c",
			    "%u:%g", "/"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, fix(&r));
	snprintf(expect, sizeof(expect), "%u:%u\n", overflow_id("uid"),
		 overflow_id("gid"));
	cr_assert_str_eq(r.out, expect, "with -u %s -g %s, / (owned by the host's "
			 "root, now unmapped) should read as %s inside, got %s", uspec,
			 gspec, expect, r.out);
	run_free(&r);
}

Test(user, all_full_capabilities_inside_make_a_uts_namespace)
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
		  "(CapEff = CapBnd), got \"%s\"; %s", r.out, fix(&r));
	cr_assert_eq(r.code, 0, "root inside a user namespace may create a UTS "
		     "namespace (unshare --uts), but it failed with %d; %s", r.code,
		     fix(&r));
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
		  "(EPERM), got status %d; %s", host, r.code, fix(&r));
	cr_assert(strstr(r.err, "hostname") && !strstr(r.err, "user: "),
		  "the command should run and be refused, not the lesson fail "
		  "before it; %s", fix(&r));
	run_free(&r);
}

Test(user, all_host_hostname_out_of_reach_as_ordinary_user)
{
	struct who w = ordinary_user();

	check_host_hostname_out_of_reach(&w);
}

Test(user, all_host_hostname_out_of_reach_even_for_root_mapped_to_root)
{
	struct who w = {.uid = geteuid(), .gid = getegid(), .self = true};

	require_unshare(CLONE_NEWUSER, "CLONE_NEWUSER");
	check_host_hostname_out_of_reach(&w);
}

Test(user, all_root_inside_cannot_write_host_roots_file)
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
		  r.code, fix(&r));
	run_free(&r);
}

Test(user, all_malformed_map_is_a_usage_error)
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

LESSON_BASICS(user, as_ordinary_user(), all)

/* ---- the challenge: -d DEPTH, user namespaces inside user namespaces -- */

/* How many NS_GET_PARENT steps lead from process pid's user namespace
 * to the test's own; -1 if none does within 40 (ioctl_ns(2)). */
static int levels_below_mine(pid_t pid)
{
	struct ns_id mine = my_ns("user");
	char path[64];
	struct stat st;
	int fd, parent;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_neq(fd, -1, "open(%s): %s", path, strerror(errno));
	for (int level = 0; level <= 40; level++) {
		cr_assert_eq(fstat(fd, &st), 0);
		if (st.st_dev == mine.dev && st.st_ino == mine.ino) {
			close(fd);
			return level;
		}
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		if (parent == -1)
			return -1;
		fd = parent;
	}
	close(fd);
	return -1;
}

Test(user, challenge_the_command_runs_depth_user_namespaces_deep)
{
	struct who w = ordinary_user();
	struct run_opts o = {.uid = w.self ? 0 : w.uid, .gid = w.self ? 0 : w.gid,
			     .keep_stdin = true};
	int depth = random_between(2, 6), got;
	char sdepth[8];
	struct probe p;
	struct run r;
	pid_t child;

	require_userns_as(&w);
	snprintf(sdepth, sizeof(sdepth), "%d", depth);
	run_hold(&r, ARGS("-q", "-d", sdepth, "--", probe_bin(), "--hold"), &o);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	got = levels_below_mine(child);
	cr_assert_eq(got, depth, "user -d %d: the command's user namespace is %d "
		     "level(s) below the caller's, not %d: each level is a new user "
		     "namespace made inside the one before (NS_GET_PARENT walks them)",
		     depth, got, depth);
	/* However deep, root inside is still the caller outside. */
	cr_assert_eq(status_id(child, "Uid:"), w.uid, "user -d %d: seen from outside the "
		     "command runs as uid %ld, it should be the caller, %u", depth,
		     status_id(child, "Uid:"), (unsigned)w.uid);
	p = probe_parse(r.out, &r);
	cr_assert_eq(p.uid, 0, "user -d %d: the command's uid inside is %u, not 0: "
		     "each inner map keeps the id it is given", depth, (unsigned)p.uid);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(user, challenge_a_depth_out_of_range_gets_a_clear_error)
{
	const struct bad_input rows[] = {
		BAD(2, "from 1 to 32", "-d", "0", "--", probe_bin()),
		BAD(2, "from 1 to 32", "-d", "33", "--", probe_bin()),
		BAD(2, "\"x\"", "-d", "x", "--", probe_bin()),
	};

	check_bad_inputs(as_ordinary_user(), rows, sizeof(rows) / sizeof(rows[0]));
}
