/* Lesson 07: container runs a command in all six namespaces at once, in a
 * throwaway layer over a busybox root file system, under a PID 1 of its
 * own, with a veth to its parent, safe by default, and leaves nothing
 * behind. Each escape the container stops is tried here.
 *
 * Steps (solutions/07-container/container.c): 1 six new namespaces, 2 root
 * inside is not root outside (maps, idmapped rootfs), 3 a throwaway root,
 * 4 the new root in the order the kernel allows (/proc masked and
 * read-only, /sys, /dev, pivot_root), 5 the lock-down before the command;
 * then the cgroup's limits and the terminal, from lessons/lib.
 * A test named sN_ checks step N and passes as soon as steps 1 to N are
 * right; all_ tests check the whole program (the namespaces seen from
 * inside, the network, the limits, the terminal, bad input). Nothing
 * runs inside before pivot_root (step 4): while the program stops at
 * TODO(4), the s3_ tests, which look inside, pass once steps 1 to 3 are
 * done (stopped_at_a_later_step), and judge what they look at once step
 * 4 is done; step 2's inside view is checked by all_ tests. An order of
 * step 4 that the kernel refuses, or that comes out quietly wrong, is
 * named by the symptom it shows (order_mistakes[]). */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The namespaces a container must make new; the others (time, and the
 * cgroup namespace on cgroup v1) it must leave shared. */
static const char *const six[] = {"user", "mnt", "pid", "net", "uts", "ipc"};
#define NOBODY 65534

static const char *rootfs(void);
static const struct lesson *container_lesson(void);
/* This test's parent cgroup: every run is given it (--cgroup-parent),
 * so the harness sees a cgroup left behind. */
static char parent[HARNESS_CGROUP_MAX];

static void setup(void)
{
	char probe[512];

	harness_setup();
	snprintf(parent, sizeof(parent), "%s", harness_cgroup_parent());
	snprintf(probe, sizeof(probe), "%s/bin/nslab-probe", rootfs());
	cr_assert_eq(access(probe, X_OK), 0, "no rootfs with the probe at %s (%s): "
		     "build it with make rootfs, or set NSLAB_ROOTFS", rootfs(),
		     strerror(errno));
	require_unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
				CLONE_NEWUTS | CLONE_NEWIPC,
			"all six CLONE_NEW* flags");
}

TestSuite(container, .init = setup, .fini = harness_teardown,
	  .timeout = TEST_TIMEOUT);

/* ---- helpers (candidates for the shared harness) --------------------- */

/* Does the container find cgroup v2 here (lessons/lib/cgroup.c's rule:
 * a pure v2 host, or a hybrid one told NSLAB_CGROUP_LAYOUT=v2, or one
 * whose v1 trees lack the pids controller)? */
static bool cgroup_v2(void)
{
	const char *force = getenv("NSLAB_CGROUP_LAYOUT");
	struct statfs s;

	if (statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == 0x63677270)
		return !(force && strcmp(force, "v1") == 0);
	if (statfs("/sys/fs/cgroup/unified", &s) == -1 || s.f_type != 0x63677270)
		return false;
	return (force && strcmp(force, "v2") == 0) ||
	       statfs("/sys/fs/cgroup/pids", &s) == -1 || s.f_type != 0x27e0eb;
}

/* The container as the shared checks run it: in the tests' rootfs, with
 * the probe that mkrootfs put there, and the default network (a veth as
 * root). It needs no root: as an ordinary user it runs rootless. On
 * cgroup v2 it has a cgroup namespace too (Docker's cgroupns=private). */
static const struct lesson *container_lesson(void)
{
	static const char *opts[5] = {"--rootfs", NULL, "--cgroup-parent"};
	static struct lesson l = {
		MANIFEST_07,
		.opts = opts,
		.probe = "/bin/nslab-probe",
		.not_executable = "/etc/hostname",
	};
	static const char *six_and_cgroup;
	static char with_cgroup[64];

	if (!six_and_cgroup) {
		snprintf(with_cgroup, sizeof(with_cgroup), "%s cgroup", l.new_ns);
		six_and_cgroup = l.new_ns;
	}
	l.new_ns = cgroup_v2() ? with_cgroup : six_and_cgroup;
	opts[1] = rootfs();
	opts[3] = parent;
	return &l;
}

LESSON_BASICS(container, container_lesson(), all)

/* The root file system the tests give the container ($NSLAB_ROOTFS). */
static const char *rootfs(void)
{
	const char *r = getenv("NSLAB_ROOTFS");

	return r && *r ? r : "build/rootfs";
}

/* The names of the links in a /proc/net/dev text, space-separated. */
static void link_names(const char *text, char *buf, size_t size)
{
	const char *line = text;

	buf[0] = '\0';
	while ((line = strchr(line, '\n'))) {
		const char *colon, *start = ++line;

		while (*start == ' ')
			start++;
		colon = strchr(start, ':');
		if (colon && colon < strchrnul(start, '\n') &&
		    !memchr(start, '|', colon - start))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%.*s",
				 *buf ? " " : "", (int)(colon - start), start);
	}
}

static char *read_text(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	buf[0] = '\0';
	if (fd == -1)
		return buf;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Links in the test's own network namespace ("lo" alone at the start). */
static void my_links(char *buf, size_t size)
{
	link_names(read_text("/proc/self/net/dev"), buf, size);
}

/* Skip unless an ordinary user may create a user namespace here and
 * read the rootfs: the probe the design asks for, not a uid check. */
static void require_rootless(void)
{
	char exe[512];
	int status;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/bin/busybox", rootfs());
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1)
			_exit(1);
		if (access(exe, X_OK) == -1)
			_exit(2);
		_exit(unshare(CLONE_NEWUSER) == -1 ? 3 : 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WEXITSTATUS(status) == 1)
		cr_skip_test("cannot switch to uid %d here (run the suite as root)",
			     NOBODY);
	if (WEXITSTATUS(status) == 2)
		cr_skip_test("uid %d cannot read the rootfs %s: put the tree where "
			     "every user can read it", NOBODY, rootfs());
	if (WEXITSTATUS(status) == 3)
		cr_skip_test("this machine forbids user namespaces to ordinary "
			     "users (kernel.unprivileged_userns_clone?)");
}

/* ---- what a container is ---------------------------------------------- */

Test(container, all_six_differ_seen_from_inside)
{
	char host[20], label[64];
	struct run r;
	struct probe p;

	random_name(host, sizeof(host), "box-", 12);
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--hostname", host, "--",
			    "/bin/sh", "-c",
			    "ls -lai /proc/self/ns; exec /bin/nslab-probe"));
	cr_assert_eq(r.code, 0, "container -- nslab-probe exited with %d; %s",
		     r.code, why(&r));
	p = probe_parse(r.out, &r);
	check_new_namespaces(container_lesson(), p.ns, "seen from inside (the probe's /proc/self/ns)");
	/* The article's view: ls -lai /proc/self/ns inside shows them too. */
	for (size_t i = 0; i < sizeof(six) / sizeof(six[0]); i++) {
		snprintf(label, sizeof(label), "%s:[%llu]", six[i],
			 (unsigned long long)p.ns[ns_index(six[i])].ino);
		cr_assert(strstr(r.out, label), "ls -lai /proc/self/ns inside "
			  "should show %s", label);
	}
	run_free(&r);
}

Test(container, all_pid_1_is_the_containers_and_ps_sees_only_it)
{
	char *line, *save = NULL;
	int lines = 0;
	bool init_seen = false;
	struct run r;
	struct probe p;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--", "/bin/sh", "-c",
			    "ps -o pid,comm; exec /bin/nslab-probe"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert(p.pid == 2 && p.ppid == 1, "the command should be PID 2, the "
		  "child of the container's own PID 1 (its init); it is PID %d with "
		  "parent %d", (int)p.pid, (int)p.ppid);
	/* ps: a header, PID 1, the shell (PID 2) and ps itself, no more. */
	for (line = strtok_r(r.out, "\n", &save); line && !strstr(line, "nslab-probe");
	     line = strtok_r(NULL, "\n", &save)) {
		long pid = strtol(line, NULL, 10);

		if (strstr(line, "PID"))
			continue;
		lines++;
		init_seen |= pid == 1;
		cr_assert(pid >= 1 && pid < 16, "ps inside shows \"%s\": only the "
			  "container's processes should be visible (a fresh /proc "
			  "in the new PID namespace)", line);
	}
	cr_assert(init_seen, "ps inside shows no PID 1; %s", why(&r));
	cr_assert_leq(lines, 3, "ps inside shows %d processes; only PID 1, the "
		      "command and ps should exist", lines);
	run_free(&r);
}

/* Step 4's order, as the kernel judges it: what a student's order shows
 * on stderr when the kernel refuses it. (An order that comes out quietly
 * wrong, /dev or the masks too late or too early, is named where its
 * result is checked.) */
static const struct symptom order_mistakes[] = {
	{"mount(proc", "Operation not permitted",
	 "step 4's order: in a user namespace the kernel mounts a new proc only "
	 "while one is fully visible in the mount namespace (user_namespaces(7), "
	 "mount_too_revealing() in the kernel), and the one there is the host's, "
	 "in the old root: mount /proc before the old root is detached"},
	{"mount(sysfs", "Operation not permitted",
	 "step 4's order: the kernel mounts a new sysfs in a user namespace only "
	 "while one is fully visible in the mount namespace, as for proc: mount "
	 "/sys before the old root is detached"},
	{"mount(/dev/null", "No such file or directory",
	 "step 4's order: a mask binds the host's /dev/null, in the old root; once "
	 "it is detached, /dev/null is the container's path, and its /dev is not "
	 "made yet: mask before the old root is detached"},
};

/* Did step 4's order fail in a way the kernel refused? */
static bool order_mistake(const struct run *r)
{
	return strcmp(why(r), why_known(r, order_mistakes, sizeof(order_mistakes) /
					sizeof(order_mistakes[0]))) != 0;
}

/* Fails, naming the fix, when step 4's order is one the kernel refused. */
static void require_no_order_mistake(const struct run *r)
{
	cr_assert(!order_mistake(r), "%s", why_known(r, order_mistakes,
		  sizeof(order_mistakes) / sizeof(order_mistakes[0])));
}

Test(container, s4_only_the_rootfs_is_visible)
{
	char planted[64], script[256], *line, *save = NULL;
	int roots = 0, fd;
	struct run r;

	/* A file on the host, outside the rootfs. */
	random_name(planted, sizeof(planted), "/tmp/nslab07-planted-", 32);
	fd = open(planted, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_neq(fd, -1, "cannot create %s: %s", planted, strerror(errno));
	close(fd);
	snprintf(script, sizeof(script),
		 "test -e %s && echo PLANTED-VISIBLE; cat /proc/self/mountinfo",
		 planted);
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--", "/bin/sh", "-c",
			    script));
	unlink(planted);
	require_steps_done(&r, 4);
	require_no_order_mistake(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert(!strstr(r.out, "PLANTED-VISIBLE"), "a file the test made on the "
		  "host, %s, is visible inside: pivot_root into the rootfs", planted);
	/* Mount points inside: "/" once, then only /proc, /sys, /dev. The
	 * old root, had it stayed, would be a second "/" or a directory of
	 * its own. */
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char point[256];

		if (sscanf(line, "%*s %*s %*s %*s %255s", point) != 1)
			continue;
		if (strcmp(point, "/") == 0) {
			roots++;
			continue;
		}
		cr_assert(!strncmp(point, "/proc", 5) || !strncmp(point, "/sys", 4) ||
			  !strncmp(point, "/dev", 4),
			  "inside, /proc/self/mountinfo still shows %s: after "
			  "pivot_root the old root must be detached (umount2 "
			  "MNT_DETACH); the line: %s", point, line);
	}
	cr_assert_eq(roots, 1, "inside, %d mounts sit on \"/\": pivot_root(\".\", "
		     "\".\") stacks the old root there; detach it", roots);
	run_free(&r);
}

Test(container, s4_proc_dev_and_sys_are_there)
{
	const char *self;
	struct run r;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--", "/bin/sh", "-c",
			    "echo zero=$(head -c 3 /dev/zero | wc -c) "
			    "null=$(cat /dev/null | wc -c) "
			    "pts=$(test -c /dev/pts/ptmx && echo y) "
			    "ptmx=$(readlink /dev/ptmx) "
			    "shm=$(test -d /dev/shm && echo y) "
			    "sys=$(test -d /sys/class/net/lo && echo y) "
			    "sysro=$(touch /sys/x 2>/dev/null || echo y) "
			    "disk=$(ls /dev | grep -c -e sd -e vd -e nvme) "
			    "chr=$(test -c /dev/null && test -c /dev/zero && echo y) "
			    "self=$(readlink /proc/self)"));
	require_steps_done(&r, 4);
	require_no_order_mistake(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert(strstr(r.out, "chr=y "), "inside, /dev/null and /dev/zero are not "
		  "devices: rootfs_make_dev() binds the host's (/dev/null of the old "
		  "root) onto the files it makes; called after the old root is "
		  "detached, \"/dev/null\" is that empty file itself. Step 4's order: "
		  "make /dev before the old root is detached; got %s", r.out);
	cr_assert(strstr(r.out, "zero=3 "), "/dev/zero does not work inside: %s", r.out);
	cr_assert(strstr(r.out, "null=0 "), "/dev/null does not work inside: %s", r.out);
	cr_assert(strstr(r.out, "pts=y "), "no /dev/pts/ptmx: mount a new devpts "
		  "instance on /dev/pts; got %s", r.out);
	cr_assert(strstr(r.out, "ptmx=pts/ptmx "), "/dev/ptmx should be a symlink to "
		  "pts/ptmx; got %s", r.out);
	cr_assert(strstr(r.out, "shm=y "), "no /dev/shm; got %s", r.out);
	cr_assert(strstr(r.out, "sys=y "), "no /sys/class/net/lo: mount sysfs on /sys "
		  "(it shows the container's network namespace); got %s", r.out);
	cr_assert(strstr(r.out, "sysro=y "), "/sys should be read-only inside; got %s",
		  r.out);
	cr_assert(strstr(r.out, "disk=0 "), "the host's disks are in /dev inside; "
		  "build /dev on a tmpfs; got %s", r.out);
	self = strstr(r.out, "self=");
	cr_assert(self && atoi(self + 5) > 1 && atoi(self + 5) < 100, "/proc inside "
		  "should be the container's (small pids); got %s", r.out);
	run_free(&r);
}

Test(container, all_hostname_is_the_one_asked)
{
	char host[HOST_NAME_MAX + 1], mine[HOST_NAME_MAX + 1], first[80];
	struct run r;
	struct probe p;

	/* One label: RFC 1123 allows 1 to 63 characters (the container refuses more). */
	random_name(host, sizeof(host), "h", random_between(1, 63));
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--hostname", host, "--",
			    "/bin/nslab-probe"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	cr_assert_str_eq(p.hostname, host, "the hostname inside is \"%s\", asked "
			 "\"%s\": sethostname() inside", p.hostname, host);
	run_free(&r);

	/* Without --hostname: a generated one, not ours, new each time. */
	gethostname(mine, sizeof(mine));
	for (int i = 0; i < 2; i++) {
		run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--",
				    "/bin/nslab-probe"));
		cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
		p = probe_parse(r.out, &r);
		cr_assert(p.hostname[0] && strcmp(p.hostname, mine) != 0,
			  "without --hostname the container should get a generated "
			  "hostname, not \"%s\"", p.hostname);
		if (i == 0)
			snprintf(first, sizeof(first), "%s", p.hostname);
		else
			cr_assert_str_neq(p.hostname, first, "two containers got the "
					  "same generated hostname \"%s\"", first);
		run_free(&r);
	}
}

/* ---- the network ------------------------------------------------------ */

Test(container, all_packets_cross_the_veth_both_ways)
{
	int a = random_between(16, 250), b = random_between(0, 255);
	char addr[32], cidr[40], gw[32], script[160], names[256], ping[512];
	struct run r;

	snprintf(addr, sizeof(addr), "10.%d.%d.%d", a, b, random_between(2, 254));
	snprintf(cidr, sizeof(cidr), "%s/24", addr);
	snprintf(gw, sizeof(gw), "10.%d.%d.1", a, b);
	snprintf(script, sizeof(script),
		 "ping -c 1 -W 3 %s >/dev/null && echo PING-OUT-OK; "
		 "cat /proc/net/dev; exec /bin/nslab-probe --hold", gw);
	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--ip", cidr, "--",
			   "/bin/sh", "-c", script), NULL);
	cr_assert(strstr(r.out, "PING-OUT-OK"), "ping from the container (%s) to "
		  "this side (%s) failed: the veth, its addresses, both ends up, "
		  "the default route; %s", addr, gw, why(&r));
	link_names(r.out, names, sizeof(names));
	cr_assert_str_eq(names, "lo eth0", "the links inside should be lo and eth0, "
			 "they are \"%s\"", names);
	/* And back, from this side, while the container holds. */
	snprintf(ping, sizeof(ping), "%s/bin/busybox", rootfs());
	cr_assert_eq(run_here(ARGS(ping, "ping", "-c", "1", "-W", "3", addr), NULL, 0), 0,
		     "ping from this side to the container's address %s failed", addr);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(container, all_net_none_has_only_lo)
{
	struct run_opts o = {.keep_stdin = true};
	char before[256], during[256], names[256];
	struct run r;

	my_links(before, sizeof(before));
	run_start(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			   "/bin/sh", "-c", "cat /proc/net/dev; exec /bin/nslab-probe --hold"),
		  &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "the command never started; %s", why(&r));
	link_names(r.out, names, sizeof(names));
	cr_assert_str_eq(names, "lo", "with --net none only lo is inside, not \"%s\"",
			 names);
	my_links(during, sizeof(during));
	cr_assert_str_eq(during, before, "with --net none no link should appear "
			 "on this side");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- statuses and signals ------------------------------------------- */

Test(container, all_signal_to_the_launcher_reaches_the_command)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct run_opts o = {.keep_stdin = true};
	int sig = sigs[random_between(0, 2)];
	struct run r;

	/* sleep, not the probe: closing its stdin must not end it first. */
	run_start(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--", "/bin/sh", "-c",
			   "echo ready; exec sleep 30"), &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "the command never started; %s", why(&r));
	cr_assert_gt(find_descendant(r.pid, "sleep", 2.0), 0,
		     "cannot find the command among the container's processes");
	/* run_kill signals the launcher alone, not its process group. */
	run_kill(&r, sig);
	cr_assert_eq(r.code, 128 + sig, "signal %d sent to the launcher should end "
		     "the command (status %d), got %d: the launcher forwards it to "
		     "PID 1, PID 1 to the command; %s", sig, 128 + sig, r.code,
		     why(&r));
	run_free(&r);
}

/* ---- user namespaces ------------------------------------------------- */

Test(container, all_rootless_as_an_ordinary_user)
{
	struct run_opts o = {.uid = NOBODY, .gid = NOBODY, .keep_stdin = true};
	struct ns_id theirs[NS_COUNT] = {{0, 0}};
	char name[40], script[200], path[600];
	struct run r;
	struct probe p;
	struct stat st;
	pid_t child;

	require_rootless();
	random_name(name, sizeof(name), "nslab07-owner-", 30);
	snprintf(script, sizeof(script), "cat /proc/self/uid_map; echo x >/tmp/%s; "
		 "exec /bin/nslab-probe --hold", name);
	snprintf(path, sizeof(path), "%s/tmp/%s", rootfs(), name);
	run_start(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--", "/bin/sh", "-c", script),
		  &o);
	if (!run_wait_output(&r, "ready", RUN_TIMEOUT)) {
		unlink(path);
		cr_assert_fail("as uid %d the container never started; %s", NOBODY,
			       why(&r));
	}
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the container's "
		     "processes");
	for (int i = 0; i < NS_COUNT; i++)
		ns_of(child, ns_names[i], &theirs[i]);
	check_new_namespaces(container_lesson(), theirs, "rootless, seen from outside");
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == 0 && p.euid == 0, "rootless, the command should be uid 0 "
		  "inside, it is %u", (unsigned)p.uid);
	cr_assert_eq(status_id(child, "Uid:"), NOBODY, "uid 0 inside should be uid "
		     "%d (the caller) outside", NOBODY);
	cr_assert(strstr(r.out, "0      65534          1"), "the uid_map inside "
		  "should map 0 to the caller, 65534, count 1; it reads: %.80s", r.out);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	if (stat(path, &st) == 0) {
		unlink(path);
		cr_assert_fail("the file written inside as /tmp/%s landed in the rootfs "
			       "at %s: the container writes an overlay's upper layer, "
			       "never the rootfs (step 3)", name, path);
	}
	run_free(&r);
}

/* Rootless the writable layer is a directory on disk, which no
 * namespace takes away: killed anywhere, the container leaves none
 * (the host state lists HARNESS_LAYER_DIR's layers). */
Test(container, all_rootless_killed_at_any_step_leaves_no_layer, .timeout = 150)
{
	struct run_opts o = {.uid = NOBODY, .gid = NOBODY};

	require_rootless();
	check_kill_points(ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--",
			       "/bin/sh", "-c", "mkdir -p /a/b && echo x >/a/b/f && "
			       "exec /bin/nslab-probe --hold"), &o, 24);
}

Test(container, all_rootless_veth_is_refused_clearly)
{
	struct run r;

	require_rootless();
	run_lesson_as(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "veth", "--",
			       "/bin/nslab-probe"), NOBODY, NOBODY);
	cr_assert(r.code != 0 && r.code < 126, "as an ordinary user --net veth "
		  "cannot work; it should fail clearly, got status %d", r.code);
	cr_assert(strstr(r.err, "root"), "the error should say it needs root; %s",
		  why(&r));
	cr_assert(!strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
}

/* ---- the program's interface ---------------------------------------- */

Test(container, all_without_a_command_it_demonstrates)
{
	char host[20];
	struct run r;

	random_name(host, sizeof(host), "demo-", 12);
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--hostname", host));
	cr_assert_eq(r.code, 0, "without a command (stdin not a terminal) the "
		     "demonstration should succeed, got %d; %s", r.code, why(&r));
	cr_assert(strstr(r.out, host), "the demonstration should show the "
		  "container's hostname %s; it printed: %.200s", host, r.out);
	run_free(&r);
}

/* The host's own subnet: in the test's network namespace (private), an
 * address on lo stands for the network a real host is on. */
static const char *host_subnet_address(void)
{
	static char used[32];
	char cmd[96];

	snprintf(used, sizeof(used), "10.%d.%d.1/24", random_between(16, 250),
		 random_between(0, 255));
	snprintf(cmd, sizeof(cmd), "ip addr add %s dev lo", used);
	cr_assert_eq(system(cmd), 0, "cannot configure %s in the test's namespace", used);
	harness_rebase();
	used[strlen(used) - 4] = '9'; /* x.y.z.9/24: same subnet, another host */
	return used;
}

Test(container, all_bad_input_gets_a_clear_error)
{
	int a = random_between(16, 250), b = random_between(0, 255);
	char missing[48], host[HOST_NAME_MAX + 8], bad[6][40], notfs[] = "/tmp/nslab-notfs-XXXXXX";

	random_name(missing, sizeof(missing), "/nonexistent/rootfs-", 32);
	random_name(host, sizeof(host), "long-", HOST_NAME_MAX + 1 + random_between(0, 5));
	snprintf(bad[0], sizeof(bad[0]), "10.%d.%d.%d", a, b, random_between(2, 254));
	snprintf(bad[1], sizeof(bad[1]), "10.%d.%d.0/24", a, b);
	snprintf(bad[2], sizeof(bad[2]), "10.%d.%d.255/24", a, b);
	snprintf(bad[3], sizeof(bad[3]), "%d.%d.0.2/24", random_between(256, 999), a);
	snprintf(bad[4], sizeof(bad[4]), "10.%d.%d.2/%d", a, b, random_between(33, 99));
	random_name(bad[5], sizeof(bad[5]), "host-", 12);
	cr_assert_not_null(mkdtemp(notfs));
	const char *r = rootfs(), *p = "/bin/nslab-probe", *used = host_subnet_address();
	const struct bad_input rows[] = {
		BAD(1, "make rootfs", "--rootfs", missing, "--", p),
		BAD(1, "not a root file system", "--rootfs", notfs, "--", p),
		BAD(2, "at most 64", "--rootfs", r, "--hostname", host, "--", p),
		BAD(2, bad[0], "--rootfs", r, "--ip", bad[0], "--", p),
		BAD(2, bad[1], "--rootfs", r, "--ip", bad[1], "--", p),
		BAD(2, bad[2], "--rootfs", r, "--ip", bad[2], "--", p),
		BAD(2, bad[3], "--rootfs", r, "--ip", bad[3], "--", p),
		BAD(2, bad[4], "--rootfs", r, "--ip", bad[4], "--", p),
		BAD(2, bad[5], "--rootfs", r, "--ip", bad[5], "--", p),
		BAD(1, "overlaps", "--rootfs", r, "--ip", used, "--", p),
		BAD(2, "veth or none", "--rootfs", r, "--net", "bridge", "--", p),
		BAD(2, "Usage", "--rootfs"),
		BAD(2, "exclude", "--rootfs", r, "--rootless", "--identity-map", "--", p),
	};

	check_bad_inputs(container_lesson(), rows, sizeof(rows) / sizeof(rows[0]));
	rmdir(notfs);
}

/* ---- step by step: the container's order of operations --------------- */

/* Step 1, seen by the launcher: its account names the six namespaces of
 * the child before anything runs in them, so this holds while step 2
 * still stops the program. */
Test(container, s1_six_new_namespaces_in_the_account)
{
	char needle[80];
	struct run r;

	run_lesson(&r, ARGS("--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			    "/bin/nslab-probe"));
	if (strstr(r.err, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", why(&r));
	cr_assert(strstr(r.err, "the container's PID 1 is pid"), "the launcher's "
		  "account has no \"the container's PID 1 is pid N\" line: did "
		  "ns_spawn() fail? %s", why(&r));
	for (size_t i = 0; i < sizeof(six) / sizeof(six[0]); i++) {
		snprintf(needle, sizeof(needle), "%s:[", six[i]);
		cr_assert(strstr(r.err, needle), "the account names no %s namespace; %s",
			  six[i], why(&r));
	}
	cr_assert(!strstr(r.err, "still the parent's"), "a namespace of the child "
		  "is still the launcher's: ns_spawn() needs CLONE_NEWUSER, "
		  "CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS and "
		  "CLONE_NEWIPC; %s", why(&r));
	run_free(&r);
}

/* The first id of the nslab user's range in /etc/subuid (make deps
 * reserves it, tools/subids): what the container must map root inside
 * to; the test fails, saying so, if there is none. */
static long expected_base(void)
{
	char line[256], name[64];
	unsigned long start, count;
	FILE *f = fopen("/etc/subuid", "re");
	long base = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%lu:%lu", name, &start, &count) == 3 &&
		    !strcmp(name, "nslab") && start > 0 && count >= 65536) {
			base = (long)start;
			break;
		}
	if (f)
		fclose(f);
	cr_assert_gt(base, 0, "/etc/subuid gives the user nslab no range of 65536 "
		     "ids: run sudo make deps, which reserves the lab's own");
	return base;
}

/* Step 2, seen by the launcher (later steps may still stop the child). */
Test(container, s2_maps_root_to_a_range_without_0)
{
	unsigned long inside = 1, outside = 0, count = 0;
	const char *map;
	struct run r;

	run_lesson(&r, ARGS("--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			    "/bin/nslab-probe"));
	if (strstr(r.err, "TODO(1)") || strstr(r.err, "TODO(2)"))
		cr_assert_fail("step 2 is not done: %s", why(&r));
	map = strstr(r.err, "uid_map <- \"");
	cr_assert(map && sscanf(map, "uid_map <- \"%lu %lu %lu\"", &inside, &outside,
				&count) == 3, "the account should show the uid_map "
		  "written; %s", why(&r));
	cr_assert(outside != 0, "root inside is the host's root (uid_map \"%lu %lu "
		  "%lu\"): as root, map ids 0-65535 to the lab's range (a->subid, the "
		  "nslab user's in /etc/subuid), never to 0", inside, outside, count);
	cr_assert(inside == 0 && (long)outside == expected_base() && count == 65536,
		  "the uid_map should be \"0 %ld 65536\" (the nslab user's range in "
		  "/etc/subuid, a->subid); it is \"%lu %lu %lu\"", expected_base(),
		  inside, outside, count);
	run_free(&r);
}

Test(container, all_root_inside_owns_the_rootfs_and_is_not_root_outside)
{
	struct run r;
	struct probe p;
	pid_t child;

	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			   "/bin/sh", "-c", "echo owner=$(stat -c %u:%g /bin/busybox); "
			   "exec /bin/nslab-probe --hold"), NULL);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the container's "
		     "processes");
	p = probe_parse(r.out, &r);
	cr_assert(p.uid == 0 && p.gid == 0, "the command should be root inside, it "
		  "is uid %u gid %u", (unsigned)p.uid, (unsigned)p.gid);
	cr_assert(status_id(child, "Uid:") != 0, "the container's root is the "
		  "host's root: map ids 0-65535 to the lab's range in /etc/subuid");
	cr_assert_eq(status_id(child, "Uid:"), expected_base(), "root inside should "
		     "be uid %ld outside", expected_base());
	cr_assert_eq(status_id(child, "Gid:"), expected_base(), "root's group "
		     "inside should be gid %ld outside (/etc/subgid)", expected_base());
	cr_assert(strstr(r.out, "owner=0:0"), "inside, /bin/busybox (the host "
		  "root's) should show as 0:0, it shows %.20s: give the rootfs mount "
		  "the container's mapping with mount_setattr(MOUNT_ATTR_IDMAP)",
		  strstr(r.out, "owner=") ? strstr(r.out, "owner=") : r.out);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(container, all_the_host_ids_only_when_asked)
{
	struct run r;
	pid_t child;

	run_hold(&r, ARGS("--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--identity-map",
			   "--", "/bin/nslab-probe", "--hold"), NULL);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0);
	cr_assert_eq(status_id(child, "Uid:"), 0, "with --identity-map root inside "
		     "is the host's root");
	cr_assert(strstr(r.err, "privileged container"), "with --identity-map the "
		  "account should warn that this is a privileged container; %s",
		  why(&r));
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* A listing of every file under dir with its size, time, mode and owner. */
static char *listing(const char *dir)
{
	char cmd[1200], *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size), *in;
	int c;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -exec stat -c '%%n %%s %%Y "
		 "%%a %%u %%g %%N' {} + | sort", dir);
	in = popen(cmd, "r");
	cr_assert(out && in, "cannot list %s", dir);
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	pclose(in);
	fclose(out);
	return text;
}

/* rm -rf /bin /etc inside a container run with these options, on a copy
 * of the rootfs: the container sees them gone, the copy is unchanged. */
static void check_rm_rf_inside(bool rootless)
{
	char copy[600], cmd[1400], *before, *after;
	struct run r;

	/* A copy beside the rootfs (the same file system, so that it can be
	 * idmapped), in case a container does write through. */
	snprintf(copy, sizeof(copy), "%s.rm-XXXXXX", rootfs());
	cr_assert_not_null(mkdtemp(copy), "mkdtemp(%s): %s", copy, strerror(errno));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", rootfs(), copy);
	cr_assert_eq(system(cmd), 0, "cannot copy the rootfs to %s", copy);
	before = listing(copy);
	run_lesson(&r, ARGS("-q", "--rootfs", copy, "--cgroup-parent", parent,
			    "--net", "none", rootless ? "--rootless" : "-q", "--",
			    "/bin/sh", "-c",
			    "echo x >/etc/new && rm -rf /bin /etc && echo REMOVED; "
			    "[ -e /bin/sh ] || echo GONE-INSIDE"));
	after = listing(copy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
	system(cmd);
	require_steps_done(&r, 3);
	/* Nothing runs inside before pivot_root (step 4): until then, or
	 * while step 4's order is one the kernel refuses (its tests say
	 * so), this step is right as far as anything can show. */
	if (stopped_at_a_later_step(&r, 3) || order_mistake(&r)) {
		free(before);
		free(after);
		run_free(&r);
		return;
	}
	cr_assert(strstr(r.out, "REMOVED") && strstr(r.out, "GONE-INSIDE"),
		  "inside, the container%s should be able to write its root (rm -rf "
		  "/bin): an overlay with the rootfs as its lower layer and its upper "
		  "in the file system layer_mount() gives; it printed \"%s\"; %s", rootless ? " (rootless)" : "",
		  r.out, why(&r));
	cr_assert_str_eq(after, before, "rm -rf /bin inside changed the rootfs "
			 "on the host: the container must write an overlay's upper "
			 "layer, never the rootfs");
	free(before);
	free(after);
	run_free(&r);
}

Test(container, s3_rm_rf_inside_leaves_the_rootfs_as_it_was)
{
	check_rm_rf_inside(false);
}

/* Rootless the overlay is mounted inside the user namespace (userxattr),
 * and its whiteouts of directories need user.* xattrs: a tmpfs has them
 * from Linux 6.6 only, so the layer is on disk (make test-vm runs this
 * on Debian 12's 6.1). */
Test(container, s3_rootless_rm_rf_inside_leaves_the_rootfs_as_it_was)
{
	check_rm_rf_inside(true);
}

Test(container, s4_proc_knobs_are_read_only)
{
	struct run r;

	/* core_pattern gets the value it has (no harm if it goes through). */
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			    "/bin/sh", "-c",
			    "p=$(cat /proc/sys/kernel/core_pattern); "
			    "echo \"$p\" >/proc/sys/kernel/core_pattern && echo CORE-WRITTEN; "
			    "m=$(cat /proc/sys/kernel/msgmax); "
			    "echo \"$m\" >/proc/sys/kernel/msgmax && echo SYSCTL-WRITTEN; "
			    "grep -E ' /proc/(sys|sysrq-trigger|irq|bus|fs) ' /proc/self/mountinfo"));
	require_steps_done(&r, 4);
	require_no_order_mistake(&r);
	cr_assert(!strstr(r.out, "CORE-WRITTEN"), "a write to "
		  "/proc/sys/kernel/core_pattern went through: the next crash on the "
		  "host would run the container's program as the host's root");
	cr_assert(!strstr(r.out, "SYSCTL-WRITTEN"), "the container's root could "
		  "write /proc/sys/kernel/msgmax (its own IPC namespace's): /proc/sys "
		  "must be read-only (a bind mount of it onto itself, then "
		  "MOUNT_ATTR_RDONLY), once /proc is mounted: before, there is "
		  "no /proc/sys to bind");
	cr_assert(strstr(r.err, "Read-only file system"), "a write under /proc/sys "
		  "should fail with \"Read-only file system\": make /proc/sys "
		  "read-only; %s", why(&r));
	cr_assert(strstr(r.out, " /proc/sys ro,"), "/proc/sys should be a "
		  "read-only mount of its own; mountinfo shows: %s", r.out);
	run_free(&r);
}

Test(container, s4_proc_secrets_are_masked)
{
	const char *unmasked;
	struct run r;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			    "/bin/sh", "-c",
			    "[ -n \"$(head -c 1 /proc/kcore 2>/dev/null | od -An -tx1)\" ] "
			    "&& echo KCORE-READ; "
			    "for f in kcore keys timer_list sched_debug latency_stats "
			    "timer_stats; do [ ! -e /proc/$f ] || [ -c /proc/$f ] || "
			    "echo UNMASKED-$f; done; echo done"));
	require_steps_done(&r, 4);
	require_no_order_mistake(&r);
	cr_assert(strstr(r.out, "done"), "the command did not run; %s", why(&r));
	unmasked = strstr(r.out, "UNMASKED-") ? strstr(r.out, "UNMASKED-") + 9 : NULL;
	cr_assert(!strstr(r.out, "KCORE-READ"), "the container read /proc/kcore, "
		  "the host's memory");
	cr_assert(!strstr(r.out, "UNMASKED"), "inside, /proc/%.*s is the host's: mask "
		  "it with /dev/null (bind mount), as Docker does, once /proc is "
		  "mounted: before, there is no such file to mask, and a mask "
		  "made under /proc would be hidden by the new proc",
		  unmasked ? (int)strcspn(unmasked, "\n") : 0,
		  unmasked ? unmasked : "");
	run_free(&r);
}

Test(container, s5_a_leaked_descriptor_does_not_cross)
{
	char dir[] = "/tmp/nslab07-leak-XXXXXX", secret[64], script[200];
	struct run_opts o = {0};
	struct run r;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	random_name(secret, sizeof(secret), "secret-", 20);
	snprintf(script, sizeof(script), "%s/%s", dir, secret);
	fd = open(script, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_neq(fd, -1);
	close(fd);
	o.leak_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_neq(o.leak_fd, -1);
	snprintf(script, sizeof(script), "[ -e /proc/self/fd/9 ] && echo FD9-OPEN; "
		 "ls /proc/self/fd/9/ 2>/dev/null; echo done");
	run_start(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			   "/bin/sh", "-c", script), &o);
	run_finish(&r);
	close(o.leak_fd);
	snprintf(script, sizeof(script), "%s/%s", dir, secret);
	unlink(script);
	rmdir(dir);
	cr_assert(strstr(r.out, "done"), "the command did not run; %s", why(&r));
	cr_assert(!strstr(r.out, "FD9-OPEN") && !strstr(r.out, secret), "a directory "
		  "descriptor the caller left open (fd 9) reached the command, and "
		  "with it the host's files (runc's CVE-2024-21626): close every "
		  "descriptor from 3 up before the command runs (close_range)");
	run_free(&r);
}

Test(container, all_pid_1_is_out_of_reach)
{
	struct run r;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			    "/bin/sh", "-c",
			    "readlink /proc/1/exe && echo EXE-REACHED; "
			    "head -c 1 /proc/1/maps >/dev/null 2>&1 && echo MAPS-REACHED; "
			    "echo done"));
	cr_assert(strstr(r.out, "done"), "the command did not run; %s", why(&r));
	cr_assert(!strstr(r.out, "EXE-REACHED") && !strstr(r.out, "MAPS-REACHED"),
		  "the command reached PID 1's executable or memory through "
		  "/proc/1 (the shape of runc's CVE-2019-5736): make PID 1 not "
		  "dumpable (prctl PR_SET_DUMPABLE); it printed: %s", r.out);
	run_free(&r);
}

Test(container, s5_docker_capabilities_and_no_new_privs)
{
	char bnd[64], nnp[64];
	struct run r;
	pid_t child;

	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none", "--",
			   "/bin/nslab-probe", "--hold"), NULL);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the container's "
		     "processes");
	status_line(child, "CapBnd:", bnd, sizeof(bnd));
	status_line(child, "NoNewPrivs:", nnp, sizeof(nnp));
	run_finish(&r);
	cr_assert(strstr(bnd, "00000000a80425fb"), "the command's capability "
		  "bounding set should be Docker's default, CapBnd 00000000a80425fb; "
		  "it is \"%s\": drop every other one (prctl PR_CAPBSET_DROP)", bnd);
	cr_assert(strstr(nnp, "1"), "the command should run with no_new_privs "
		  "(\"NoNewPrivs: 1\"), it has \"%s\": prctl PR_SET_NO_NEW_PRIVS", nnp);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* A copy of the rootfs on a ramfs at dir (mkdtemp's template): a file
 * system that cannot be idmapped. The test's own mount, not the lesson's. */
static void ramfs_rootfs(char *dir)
{
	char cmd[600];

	if (!harness_isolated())
		cr_skip_test("needs throwaway namespaces (root) to mount a ramfs");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mount -t ramfs ramfs %s && cp -a '%s/.' %s/",
		 dir, rootfs(), dir);
	cr_assert_eq(system(cmd), 0, "cannot make a ramfs rootfs in %s", dir);
	harness_rebase();
}

static void drop_ramfs(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "umount %s && rmdir %s", dir, dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove the ramfs at %s", dir);
	harness_rebase();
}

/* ramfs cannot be idmapped: the error must say so and name the ways out
 * (the launcher stops before the child runs: later steps may be stubs). */
Test(container, s2_a_rootfs_that_cannot_be_idmapped_names_the_way_out)
{
	char dir[] = "/tmp/nslab07-ramfs-XXXXXX";
	struct run r;

	ramfs_rootfs(dir);
	run_lesson(&r, ARGS("-q", "--rootfs", dir, "--cgroup-parent", parent,
			    "--net", "none", "--", "/bin/nslab-probe"));
	cr_assert(r.code == 1 && strstr(r.err, "MOUNT_ATTR_IDMAP") &&
		  strstr(r.err, "--identity-map"), "a rootfs on ramfs cannot be "
		  "idmapped: the program should stop with status 1 and say so, "
		  "naming the ways out (--identity-map...); got status %d; %s",
		  r.code, why(&r));
	cr_assert(!strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
	drop_ramfs(dir);
}

/* And where it cannot, --identity-map needs no idmapping (step 2's way
 * out, seen once the container runs: step 4). */
Test(container, all_identity_map_runs_where_idmapping_cannot)
{
	char dir[] = "/tmp/nslab07-ramfs-XXXXXX";
	struct run r;

	ramfs_rootfs(dir);
	run_lesson(&r, ARGS("-q", "--rootfs", dir, "--cgroup-parent", parent,
			    "--net", "none", "--identity-map", "--", "/bin/nslab-probe"));
	drop_ramfs(dir);
	cr_assert_eq(r.code, 0, "with --identity-map no idmapping is needed, so a "
		     "ramfs rootfs should work; %s", why(&r));
	run_free(&r);
}

/* ---- the cgroup's limits (lessons/lib/cgroup.h, as lesson 09) -------- */

static void require_cgroups(void)
{
	if (geteuid() != 0)
		cr_skip_test("limits need a cgroup, and making one needs root");
}

/* The pids.max of the cgroup of process `pid` (v1: the pids tree), or -1;
 * `path` keeps where it is, to see it go. */
static long pids_max_of(pid_t pid, char *path, size_t size)
{
	long max = -1;
	FILE *f;

	if (pid > 0 && !cgroup_file(pid, "pids", "pids.max", path, size))
		return -1;
	f = fopen(path, "re");
	if (f && fscanf(f, "%ld", &max) != 1)
		max = -1;
	if (f)
		fclose(f);
	return max;
}

Test(container, all_a_fork_bomb_ends_in_eagain_and_the_host_forks_on)
{
	int n = random_between(8, 16);
	char limit[16];

	require_cgroups();
	snprintf(limit, sizeof(limit), "%d", n);
	check_fork_bomb(ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			     "--net", "none", "--pids-limit", limit, "--",
			     "/bin/nslab-probe", "--forks", "--hold"), n, 2,
			"PID 1, the probe");
}

Test(container, all_a_memory_hog_meets_the_oom_killer_inside_only)
{
	require_cgroups();
	check_memory_hog(ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			      "--net", "none", "--memory", "32M", "--"),
			 "/bin/nslab-probe");
}

/* Docker's default on cgroup v2 is a private cgroup namespace: the
 * command reads its cgroup as "/" and cannot name where the host keeps
 * it. On v1 Docker keeps the host's, and so does the container. */
Test(container, all_on_cgroup_v2_its_cgroup_is_the_root)
{
	const char *line, *out;
	struct run r;
	bool v2 = cgroup_v2();

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--", "/bin/cat", "/proc/self/cgroup"));
	cr_assert_eq(r.code, 0, "container -- cat /proc/self/cgroup exited with %d; %s",
		     r.code, why(&r));
	out = r.out ? r.out : "";
	/* The line of the v2 tree: 0::PATH. */
	for (line = out; line && strncmp(line, "0::", 3) != 0;)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	if (v2)
		cr_assert(line && strncmp(line, "0::/\n", 5) == 0, "on cgroup v2 the container "
			  "should have a cgroup namespace of its own, made once the "
			  "child is in its cgroup (lesson 09's step 4, Docker's "
			  "cgroupns=private): /proc/self/cgroup inside should read "
			  "\"0::/\", it read \"%s\"", out);
	else if (geteuid() == 0)
		cr_assert(strstr(out, parent), "on cgroup v1 the container keeps "
			  "the host's cgroup namespace, as Docker does there: its "
			  "/proc/self/cgroup should name its cgroup under %s; it read "
			  "\"%s\"", parent, out);
	run_free(&r);
}

/* 1024 processes unless told, and the cgroup goes with a SIGKILL of the
 * launcher (the harness fails the test if it is left behind). */
Test(container, all_a_default_pids_limit_and_sigkill_leaves_no_cgroup)
{
	char path[PATH_MAX] = "";
	struct run r;
	long max;

	require_cgroups();
	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			  "--memory", "64M", "--cpus", "0.5", "--",
			  "/bin/nslab-probe", "--hold"), NULL);
	max = pids_max_of(find_descendant(r.pid, "nslab-probe", 2.0), path, sizeof(path));
	cr_assert_eq(max, 1024, "without --pids-limit the container's cgroup should "
		     "allow 1024 processes (pids.max), not %ld: a fork bomb inside must "
		     "not take the host down", max);
	run_kill(&r, SIGKILL);
	cr_assert_eq(pids_max_of(0, path, sizeof(path)), -1, "the cgroup %s outlived "
		     "the launcher", path);
	run_free(&r);
}

/* ---- the terminal (lessons/lib/pty.h), through a real pseudo-terminal -- */

/* Without a command, on a terminal: a shell, with a terminal of the
 * container's own devpts; PID 1 makes the shell's group its foreground. */
Test(container, all_an_interactive_shell_gets_a_terminal_of_its_own, .timeout = 40)
{
	struct tty_run t;

	check_terminal_session(&t, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent",
					parent, "--net", "none"));
	tty_close(&t);
}

/* ---- round three: what else of the host's reached the command -------- */

/* `echo | sudo make lesson07 ARGS=...`: stdin is not a terminal, so the
 * container gets none of its own, but the caller's terminal is still
 * the launcher's controlling terminal, and on 1 and 2. */
Test(container, s5_no_keystrokes_reach_the_callers_terminal, .timeout = 40)
{
	char marker[32];
	struct tty_run t;
	int code;

	random_name(marker, sizeof(marker), "injected-", 24);
	tty_start_stdin_null(&t, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
				      "--net", "none", "--", "/bin/nslab-probe", "--tiocsti",
				      marker));
	code = tty_finish(&t);
	cr_assert_eq(code, 0, "container -- nslab-probe --tiocsti exited with %d; the "
		     "terminal showed: %s", code, t.out);
	cr_assert(strstr(t.out, "devtty ENXIO"), "inside, /dev/tty opened the caller's "
		  "terminal (it should fail with ENXIO: no controlling terminal): the "
		  "container must be a session of its own in every mode, also when "
		  "stdin is not a terminal (setsid); the terminal showed: %s", t.out);
	cr_assert(!strstr(t.out, marker) && tty_pending_input(&t) == 0, "the command "
		  "typed into the caller's terminal with ioctl(TIOCSTI) (%zu bytes wait "
		  "there for the caller's shell: bubblewrap's CVE-2017-5226): the "
		  "container must be a session of its own (setsid); the terminal "
		  "showed: %s", tty_pending_input(&t), t.out);
	tty_close(&t);
}

/* A session keyring of the test's own, with a "user" key in it that the
 * launcher inherits; its serial. The keyring goes with the test. */
static long add_session_key(const char *desc, const char *payload)
{
	long key;

	cr_assert_neq(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL), -1,
		      "keyctl(KEYCTL_JOIN_SESSION_KEYRING): %s", strerror(errno));
	key = syscall(SYS_add_key, "user", desc, payload, strlen(payload),
		      KEY_SPEC_SESSION_KEYRING);
	cr_assert_neq(key, -1, "add_key(user, %s): %s", desc, strerror(errno));
	/* The test itself finds it: what the command must not. */
	cr_assert_eq(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
			     desc, 0), key, "the test cannot find its own key %s", desc);
	return key;
}

Test(container, s5_the_callers_keyring_is_out_of_reach)
{
	char desc[40], secret[40], want[80];
	struct run r;

	random_name(desc, sizeof(desc), "nslab-key-", 24);
	random_name(secret, sizeof(secret), "secret-", 24);
	add_session_key(desc, secret);
	/* Without the syscall filter, which refuses keyctl itself: this
	 * test is of the keyring alone, and the filter's is below. */
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net",
			    "none", "--security-opt", "seccomp=unconfined", "--",
			    "/bin/nslab-probe", "--key", desc));
	cr_assert_eq(r.code, 0, "container -- nslab-probe --key exited with %d; %s",
		     r.code, why(&r));
	snprintf(want, sizeof(want), "key %s ", desc);
	cr_assert(strstr(r.out, want), "the probe printed no \"%s\" line; %s", want,
		  why(&r));
	cr_assert(!strstr(r.out, secret) && !strstr(r.out, " found"), "the command "
		  "found the caller's key %s in its session keyring and read it: the "
		  "container needs a session keyring of its own, as runc gives "
		  "(keyctl KEYCTL_JOIN_SESSION_KEYRING); the probe said: %s", desc,
		  strstr(r.out, want));
	run_free(&r);
}

/* The host's shared memory (tmpfs pages), in KiB: /proc/meminfo Shmem. */
static long host_shmem_kib(void)
{
	const char *line = strstr(read_text("/proc/meminfo"), "\nShmem:");

	return line ? strtol(line + 7, NULL, 10) : -1;
}

/* The 1K-blocks df shows inside for the mount at `point`, or -1. */
static long df_kib(const char *out, const char *point)
{
	char key[32];
	const char *line;

	snprintf(key, sizeof(key), "size %s ", point);
	line = strstr(out, key);
	return line ? strtol(line + strlen(key), NULL, 10) : -1;
}

Test(container, all_the_memory_backed_mounts_have_sizes, .timeout = 40)
{
	int mib = random_between(8, 24), shm = 64, tried = 96;
	char size[16], script[640];
	long before, during, grew;
	struct run r;

	/* Without --tmpfs-size: bounded, and /dev/shm is Docker's 64 MiB. */
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net",
			    "none", "--", "/bin/sh", "-c",
			    "df -k / /dev/shm | awk 'NR > 1 { print \"size \" $6 \" \" $2 }'"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert(df_kib(r.out, "/") > 0 && df_kib(r.out, "/") <= 1024 * 1024,
		  "the writable layer should have a size by default (at most 1 GiB), "
		  "not %ld KiB (0 or -1: none): a tmpfs without size= may take half the "
		  "host's memory (--tmpfs-size); df said: %s", df_kib(r.out, "/"), r.out);
	cr_assert_eq(df_kib(r.out, "/dev/shm"), shm * 1024, "/dev/shm should hold "
		     "64 MiB, as Docker's, not %ld KiB (0 or -1: no size at all; "
		     "size=64m); df said: %s",
		     df_kib(r.out, "/dev/shm"), r.out);
	run_free(&r);

	/* With one: writing more fails inside, and the host's shmem grows
	 * by what the two mounts hold, not by what was written. */
	snprintf(size, sizeof(size), "%dM", mib);
	snprintf(script, sizeof(script),
		 "dd if=/dev/zero of=/tmp/fill bs=1M count=%d 2>&1 | grep -q 'No space' && "
		 "echo LAYER-ENOSPC; dd if=/dev/zero of=/dev/shm/fill bs=1M count=%d 2>&1 | "
		 "grep -q 'No space' && echo SHM-ENOSPC; exec /bin/nslab-probe --hold",
		 tried, tried);
	before = host_shmem_kib();
	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--net", "none",
			  "--tmpfs-size", size, "--", "/bin/sh", "-c", script), NULL);
	during = host_shmem_kib();
	grew = (during - before) / 1024;
	run_finish(&r);
	cr_assert(strstr(r.out, "LAYER-ENOSPC"), "writing %d MiB to /tmp inside, with "
		  "--tmpfs-size %s, should end in ENOSPC (\"No space left on device\"): "
		  "the writable layer's tmpfs needs size= (--tmpfs-size); %s", tried, size,
		  why(&r));
	cr_assert(strstr(r.out, "SHM-ENOSPC"), "writing %d MiB to /dev/shm inside "
		  "should end in ENOSPC: /dev/shm holds 64 MiB, as Docker's (size=64m); "
		  "%s", tried, why(&r));
	/* Other processes of the host may add some shmem meanwhile: 24 MiB. */
	cr_assert_leq(grew, mib + shm + 24, "the host's shmem grew by %ld MiB while the "
		      "container held what it wrote; its two memory-backed mounts hold "
		      "%d MiB (--tmpfs-size %s and /dev/shm's 64 MiB)", grew, mib + shm,
		      size);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* A file of /proc/sys/net for the link `name`, or -1 if there is none. */
static long net_knob(const char *family, const char *name, const char *knob)
{
	char path[400];
	const char *text;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%.64s/%s", family, name, knob);
	text = read_text(path);
	return *text ? strtol(text, NULL, 10) : -1;
}

Test(container, all_the_host_end_of_the_veth_learns_nothing_from_inside)
{
	static const char *const v6[][2] = {
		{"accept_ra", "router advertisements from inside would give this side a "
		 "route, an address, or the container as its default IPv6 router "
		 "(CVE-2020-13401, CVE-2020-10749)"},
		{"autoconf", "an address from a prefix the container advertises"},
		{"accept_redirects", "ICMPv6 redirects from inside would rewrite this "
		 "side's routes"},
	};
	bool ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	long seen[3], rp_filter;
	char names[256], *end;
	struct run r;

	/* Read while the container runs: the veth goes with it. */
	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--",
			  "/bin/nslab-probe", "--hold"), NULL);
	my_links(names, sizeof(names));
	end = names + 3;
	for (size_t i = 0; i < 3; i++)
		seen[i] = ipv6 ? net_knob("ipv6", end, v6[i][0]) : 0;
	rp_filter = net_knob("ipv4", end, "rp_filter");
	run_finish(&r);
	cr_assert(!strncmp(names, "lo ", 3), "this side should have lo and the veth's "
		  "end, it has \"%s\"", names);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(seen[i], 0, "on this side, the veth's end %s has %s %ld, "
			     "not 0: %s. Write 0 to /proc/sys/net/ipv6/conf/%s/%s while "
			     "the link is down (%s)", end, v6[i][0], seen[i], v6[i][1], end,
			     v6[i][0], v6[i][0]);
	cr_assert_eq(rp_filter, 1, "on this side, the veth's end %s has rp_filter %ld: "
		     "it should be 1 (strict), so that a packet from inside whose source "
		     "address this side would not route back there is dropped (rp_filter)",
		     end, rp_filter);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(container, all_bad_sizes_roots_and_hostnames_get_a_clear_error)
{
	char mem[16], checkout[PATH_MAX], *slash;
	const char *r = rootfs(), *p = "/bin/nslab-probe";

	snprintf(mem, sizeof(mem), "%dK", random_between(1, 6143));
	/* The directory that holds the build tree of the binary under test
	 * (BUILD/solutions/07-container/container: the checkout). */
	cr_assert_not_null(realpath(lesson_bin(), checkout), "realpath(%s)", lesson_bin());
	for (int up = 0; up < 4 && (slash = strrchr(checkout, '/')); up++)
		*slash = '\0';
	const struct bad_input rows[] = {
		BAD(2, "6M", "--rootfs", r, "--memory", "1", "--", p),
		BAD(2, "6M", "--rootfs", r, "--memory", mem, "--", p),
		BAD(2, "build tree", "--rootfs", "/", "--", p),
		BAD(2, "build tree", "--rootfs", *checkout ? checkout : "/", "--", p),
		BAD(2, "not a hostname", "--rootfs", r, "--hostname", "", "--", p),
		BAD(2, "not a hostname", "--rootfs", r, "--hostname", "box\nroot", "--", p),
		BAD(2, "not a hostname", "--rootfs", r, "--hostname", "../box", "--", p),
		BAD(2, "not a hostname", "--rootfs", r, "--hostname", "-box", "--", p),
		BAD(2, "at least 1M", "--rootfs", r, "--tmpfs-size", "100K", "--", p),
		BAD(2, "on disk", "--rootfs", r, "--rootless", "--tmpfs-size", "64M", "--", p),
		BAD(2, "--name", "--rootfs", r, "--name", "", "--", p),
		BAD(2, "--name", "--rootfs", r, "--name", "web/../x", "--", p),
		BAD(2, "--name", "--rootfs", r, "--name", "-web", "--", p),
		BAD(2, "--name", "--rootfs", r, "--name", "abcdefghijk", "--", p),
	};

	check_bad_inputs(container_lesson(), rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- the syscall filter (lessons/lib/syscall_filter.h) ---------------- */

/* A user namespace of its own would give the command every capability
 * again, and the kernel's keyrings are the host's: both refused, by the
 * filter (the same probe without it shows they would have worked), and
 * what the suite runs still works under it (every test above). */
Test(container, all_a_syscall_filter_refuses_user_namespaces_and_keyrings)
{
	struct run r, open;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--", "/bin/sh", "-c",
			    "/bin/nslab-probe --unshare-user --keyctl --self; "
			    "unshare -U true 2>/dev/null && echo BUSYBOX-UNSHARED; "
			    "echo done"));
	run_lesson(&open, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			       "--net", "none", "--security-opt", "seccomp=unconfined",
			       "--", "/bin/nslab-probe", "--unshare-user", "--keyctl"));
	cr_assert(strstr(r.out, "done"), "the command did not run; %s", why(&r));
	cr_assert(strstr(open.out, "unshare-user ok") && strstr(open.out, "keyctl ok"),
		  "with --security-opt seccomp=unconfined the probe should create a "
		  "user namespace and reach its keyring (this test needs both to "
		  "mean anything); it printed: %s; %s", open.out, why(&open));
	cr_assert(strstr(r.out, "self Seccomp:\t2"), "the command runs under no "
		  "seccomp filter (/proc/self/status should say \"Seccomp: 2\"): load "
		  "lessons/lib/syscall_filter.h's filter, last before the command "
		  "runs; %s", why(&r));
	cr_assert(strstr(r.out, "unshare-user EPERM") && !strstr(r.out, "BUSYBOX-UNSHARED"),
		  "the command created a user namespace of its own, where it has "
		  "every capability and the kernel's attack surface (nf_tables, "
		  "io_uring): the seccomp filter must refuse unshare and clone with "
		  "CLONE_NEWUSER (EPERM); it printed: %s", r.out);
	cr_assert(strstr(r.out, "keyctl EPERM"), "the command reached the kernel's "
		  "keyrings (keyctl), which are not namespaced: the seccomp filter "
		  "must refuse keyctl, add_key and request_key (EPERM); it printed: %s",
		  r.out);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
	run_free(&open);
}

/* The option's value is checked like every other: a clear error. */
Test(container, all_an_unknown_security_opt_is_refused)
{
	struct run r;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--security-opt", "seccomp=/tmp/x.json",
			    "--", "/bin/true"));
	cr_assert_eq(r.code, 2, "--security-opt seccomp=/tmp/x.json should be bad "
		     "usage (exit 2), not %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, "seccomp=unconfined"), "the error should name the "
		  "one value known (seccomp=unconfined): %s", r.err);
	run_free(&r);
}

/* ---- the challenge: --read-only, Docker's read-only root ------------- */

Test(container, challenge_read_only_root_refuses_writes_and_dev_shm_takes_them)
{
	struct run r;

	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--read-only", "--", "/bin/sh", "-c",
			    "if echo x >/etc/new; then echo WROTE; else echo REFUSED; fi; "
			    "if mkdir /new-dir; then echo WROTE; fi; "
			    "echo y >/dev/shm/f && echo SHM-OK; cat /proc/self/stat >/dev/null "
			    "&& echo PROC-OK"));
	cr_assert(!strstr(r.out, "WROTE") && strstr(r.out, "REFUSED") &&
		  strstr(r.err, "Read-only file system"), "container --read-only: the "
		  "command could write its root (or failed for another reason than "
		  "EROFS): / must be read-only inside; it printed \"%s\"; %s", r.out,
		  why(&r));
	cr_assert(strstr(r.out, "SHM-OK") && strstr(r.out, "PROC-OK"), "container "
		  "--read-only: /dev/shm must stay writable and /proc mounted (mounts "
		  "of their own, below the root); it printed \"%s\"; %s", r.out, why(&r));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(container, challenge_read_only_root_shows_ro_and_passes_the_status_on)
{
	char code[8];
	struct run r;
	int want = random_between(1, 99);

	snprintf(code, sizeof(code), "%d", want);
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--read-only", "--", "/bin/sh", "-c",
			    "awk '$5 == \"/\" && $6 ~ /^ro(,|$)/ { ro = 1 } END { exit !ro }' "
			    "/proc/self/mountinfo && echo ROOT-RO; exit $0", code));
	cr_assert(strstr(r.out, "ROOT-RO"), "container --read-only: / is not a "
		  "read-only mount in the container's /proc/self/mountinfo; %s", why(&r));
	cr_assert_eq(r.code, want, "container --read-only: exit status %d, the "
		     "command's was %d; %s", r.code, want, why(&r));
	run_free(&r);
}

Test(container, challenge_read_only_is_asked_for_never_the_default)
{
	struct run r;

	/* --read-only is asked for, never the default (s3's writable layer). */
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--read-only", "--", "/bin/true"));
	cr_assert_eq(r.code, 0, "container --read-only -- true: exit status %d; %s",
		     r.code, why(&r));
	run_free(&r);
	run_lesson(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
			    "--net", "none", "--", "/bin/sh", "-c",
			    "echo x >/etc/new && echo WROTE"));
	cr_assert(strstr(r.out, "WROTE"), "without --read-only the container must "
		  "write its layer as before; it printed \"%s\"; %s", r.out, why(&r));
	run_free(&r);
}

/* ---- names, subnets and ids of its own, not collisions ------------------ */

/* A container started by the test itself, not by run_start(): several
 * run at once here, and run_finish() would take the others for
 * processes left behind. With `pid_ns`, the launcher runs as pid 2 of a
 * PID namespace of its own (a fresh /proc in a mount namespace of its
 * own), as a second user's or terminal's launcher may have the pid of
 * the first in another namespace. Its stdout and stderr go to `out`. */
struct job {
	pid_t pid;
	int in, out;
	char text[8192];
	size_t len;
};

static void job_start(struct job *j, const char *const args[], bool pid_ns)
{
	const char *argv[64];
	int in[2], out[2], st;
	pid_t init, launcher;
	size_t n = 0;

	memset(j, 0, sizeof(*j));
	argv[n++] = lesson_bin();
	for (; args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	j->pid = fork();
	cr_assert_neq(j->pid, -1, "fork: %s", strerror(errno));
	if (j->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		/* Nothing of the test's: its copies of the other jobs' stdin
		 * would keep them from ever reading EOF. */
		close_range(3, ~0U, 0);
		if (pid_ns && unshare(CLONE_NEWPID | CLONE_NEWNS) == -1)
			_exit(125);
		if (pid_ns && (init = fork()) != 0) {
			/* The new namespace's PID 1 is `init`; wait for it. */
			if (init == -1 || waitpid(init, &st, 0) == -1)
				_exit(125);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		if (pid_ns) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
			    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  NULL) == -1 || (launcher = fork()) == -1)
				_exit(125);
			if (launcher != 0) {
				if (waitpid(launcher, &st, 0) == -1)
					_exit(125);
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			}
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		}
		execv(argv[0], (char *const *)argv);
		_exit(125);
	}
	close(in[0]);
	close(out[1]);
	j->in = in[1];
	j->out = out[0];
	fcntl(j->out, F_SETFL, O_NONBLOCK);
}

/* Read what the job printed until `needle` shows (true) or `timeout`. */
static bool job_wait(struct job *j, const char *needle, double timeout)
{
	double end = now() + timeout;

	while (!strstr(j->text, needle) && j->len + 1 < sizeof(j->text)) {
		struct pollfd p = {.fd = j->out, .events = POLLIN};
		ssize_t got;

		poll(&p, 1, timeout > 0 ? 50 : 0);
		got = read(j->out, j->text + j->len, sizeof(j->text) - 1 - j->len);
		if (got > 0)
			j->text[j->len += got] = '\0';
		else if (got == 0 || now() > end)
			break;
	}
	return strstr(j->text, needle) != NULL;
}

/* Close its stdin and wait for it (at most RUN_TIMEOUT): its status. */
static int job_end(struct job *j)
{
	int st = 0;

	close(j->in);
	for (double end = now() + RUN_TIMEOUT; waitpid(j->pid, &st, WNOHANG) == 0; nap(0.02)) {
		job_wait(j, "\1", 0); /* keep its pipe drained */
		if (now() > end) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &st, 0);
			close(j->out);
			return -1;
		}
	}
	job_wait(j, "\1", 0);
	close(j->out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The names in the test's LEASE_DIR but the lock's, space-separated. */
static void lease_files(char *buf, size_t size)
{
	DIR *d = opendir(HARNESS_LEASE_DIR);
	struct dirent *e;

	buf[0] = '\0';
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, ".lock") != 0)
			(void)!snprintf(buf + strlen(buf), size - strlen(buf), " %.64s",
					e->d_name);
	if (d)
		closedir(d);
}

/* Twenty containers started at once with the defaults: each takes a /24
 * of the pool of its own, under the lock of the leases. The test holds
 * that lock until all twenty wait for it in flock(2), then lets them go
 * at once: the check-then-act race at its worst, with no sleep. */
#define AT_ONCE 20
Test(container, all_twenty_at_once_each_take_a_subnet_of_their_own, .timeout = 150)
{
	static struct job jobs[AT_ONCE];
	char *before, subnet[AT_ONCE][32], left[256], *routes, *at;
	int lock, code;

	require_cgroups();
	if (!harness_isolated())
		cr_skip_test("needs the test's own network namespace (root)");
	before = host_state(true);
	lock = open(HARNESS_LEASE_DIR "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(lock != -1 && flock(lock, LOCK_EX) == 0, "cannot take %s/.lock: %s",
		  HARNESS_LEASE_DIR, strerror(errno));
	for (int i = 0; i < AT_ONCE; i++)
		job_start(&jobs[i], ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent,
					 "--", "/bin/sh", "-c", "ip -4 -o addr show dev eth0; "
					 "exec /bin/nslab-probe --hold"), false);
	/* All of them in flock(2) on the lock: the first field of
	 * /proc/PID/syscall is the number of the call it waits in. */
	for (int i = 0; i < AT_ONCE; i++) {
		char path[64], *text = NULL;

		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)jobs[i].pid);
		for (double end = now() + 30; now() < end; nap(0.01)) {
			free(text);
			text = slurp(path);
			if (text && atol(text) == SYS_flock)
				break;
		}
		cr_assert(text && atol(text) == SYS_flock, "container %d of %d never waited "
			  "for the lock of the leases (%s/.lock): it should take its subnet "
			  "under flock(2) on it; it said: %s", i + 1, AT_ONCE,
			  HARNESS_LEASE_DIR, (job_wait(&jobs[i], "\1", 0.5), jobs[i].text));
		free(text);
	}
	close(lock);
	for (int i = 0; i < AT_ONCE; i++) {
		cr_assert(job_wait(&jobs[i], "end\nready", 60), "container %d of %d started at "
			  "once never ran its command: each must get a subnet, the next "
			  "free /24 of the pool; it said: %s", i + 1, AT_ONCE, jobs[i].text);
		at = strstr(jobs[i].text, "inet 10.7.");
		cr_assert(at && sscanf(at, "inet %31s", subnet[i]) == 1, "container %d "
			  "has no address of the pool 10.7.0.0/16 on eth0; it said: %s",
			  i + 1, jobs[i].text);
		for (int k = 0; k < i; k++)
			cr_assert_str_neq(subnet[k], subnet[i], "containers %d and %d, started "
					  "at once, both got %s: the subnet must be taken under "
					  "a lock, each from what no live lease holds (lease)",
					  k + 1, i + 1, subnet[i]);
	}
	/* One route of this side per container, no two to one subnet. */
	routes = slurp("/proc/self/net/route");
	for (int i = 0; i < AT_ONCE; i++) {
		char want[16], *first;
		unsigned a, b, c;

		cr_assert(sscanf(subnet[i], "10.%u.%u.%u", &a, &b, &c) == 3);
		snprintf(want, sizeof(want), "\t%02X%02X%02X%02X\t", 0, b, a, 10);
		first = routes ? strstr(routes, want) : NULL;
		cr_assert(first, "this side has no route to container %d's %s", i + 1,
			  subnet[i]);
		cr_assert_null(strstr(first + 1, want), "this side has two routes to "
			       "%s: two containers took one subnet (lease)", subnet[i]);
	}
	free(routes);
	for (int i = 0; i < AT_ONCE; i++) {
		code = job_end(&jobs[i]);
		cr_assert_eq(code, 0, "container %d of %d exited with %d: %s", i + 1,
			     AT_ONCE, code, jobs[i].text);
	}
	lease_files(left, sizeof(left));
	cr_assert_str_empty(left, "leases left in %s after every container ended:%s; "
			    "each gives its own back", HARNESS_LEASE_DIR, left);
	assert_host_state(before, "after twenty containers at once");
	free(before);
}

/* The cgroup of process `pid` (its pids tree's on v1), as a path. */
static void cgroup_of(pid_t pid, char *path, size_t size)
{
	path[0] = '\0';
	if (pid <= 0 || !cgroup_file(pid, "pids", "cgroup.procs", path, size))
		snprintf(path, size, "?");
}

/* The pid is no name: two launchers that have the same pid, in two PID
 * namespaces, run two containers, each in a cgroup of its own. */
Test(container, all_two_launchers_with_one_pid_get_cgroups_of_their_own, .timeout = 60)
{
	struct job a, b;
	char *before, cg_a[PATH_MAX], cg_b[PATH_MAX];
	pid_t probe_a, probe_b;
	int code_a, code_b;

	require_cgroups();
	if (!harness_isolated())
		cr_skip_test("needs throwaway namespaces (root)");
	before = host_state(true);
	job_start(&a, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--",
			   "/bin/nslab-probe", "--hold"), true);
	cr_assert(job_wait(&a, "end\nready", 30), "the first container, its launcher pid 2 "
		  "of a PID namespace of its own, never ran; it said: %s", a.text);
	job_start(&b, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--",
			   "/bin/nslab-probe", "--hold"), true);
	cr_assert(job_wait(&b, "end\nready", 30), "a second launcher with the same pid (2), "
		  "in another PID namespace, could not start its container while the "
		  "first ran: what a container names on the host must be named by an "
		  "id unique on the host, such as 8 hex digits from getrandom, never "
		  "the pid; it said: %s", b.text);
	probe_a = find_descendant(a.pid, "nslab-probe", 2.0);
	probe_b = find_descendant(b.pid, "nslab-probe", 2.0);
	cgroup_of(probe_a, cg_a, sizeof(cg_a));
	cgroup_of(probe_b, cg_b, sizeof(cg_b));
	cr_assert(strcmp(cg_a, "?") != 0 && strcmp(cg_a, cg_b) != 0, "two launchers with the "
		  "same pid put their commands in one cgroup (%s and %s): name it by an "
		  "id of the container's (getrandom), not the pid", cg_a, cg_b);
	code_a = job_end(&a);
	code_b = job_end(&b);
	cr_assert(code_a == 0 && code_b == 0, "the two containers exited with %d and "
		  "%d (0 both): one launcher's end must not end the other's container "
		  "(its reaper removes its own cgroup only: getrandom); they said: %s "
		  "| %s", code_a, code_b, a.text, b.text);
	assert_host_state(before, "after two launchers with one pid");
	free(before);
}

/* --name gives the id, and two running containers cannot share one. */
Test(container, all_a_name_in_use_is_refused)
{
	char name[12], link[20], links[256];
	struct run r;
	struct job b;
	int code;

	require_cgroups();
	if (!harness_isolated())
		cr_skip_test("needs throwaway namespaces (root)");
	random_name(name, sizeof(name), "t", 10);
	run_hold(&r, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--name",
			  name, "--", "/bin/nslab-probe", "--hold"), NULL);
	snprintf(link, sizeof(link), "nslab%s", name);
	my_links(links, sizeof(links));
	cr_assert(strstr(links, link), "with --name %s the veth on this side should be "
		  "%s; this side has %s", name, link, links);
	job_start(&b, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--name",
			   name, "--", "/bin/nslab-probe"), false);
	code = job_end(&b);
	cr_assert(code == 1 && strstr(b.text, name) && !strstr(b.text, "nslab-probe report"),
		  "a second container named %s while the first runs should be refused "
		  "(status 1, naming it), it gave %d: %s", name, code, b.text);
	/* And --ip of the subnet it leased (the pool's first, 10.7.0.0/24,
	 * in the test's own network namespace). */
	job_start(&b, ARGS("-q", "--rootfs", rootfs(), "--cgroup-parent", parent, "--ip",
			   "10.7.0.9/24", "--", "/bin/nslab-probe"), false);
	code = job_end(&b);
	run_finish(&r);
	cr_assert(code == 1 && strstr(b.text, name) && !strstr(b.text, "nslab-probe report"),
		  "--ip 10.7.0.9/24, in the subnet the running container %s leased, "
		  "should be refused (status 1, naming it), it gave %d: %s", name, code,
		  b.text);
	cr_assert_eq(r.code, 0, "the first container exited with %d; %s", r.code, why(&r));
	run_free(&r);
}

/* The lab's range of ids, from fake /etc/subuid and /etc/subgid bound
 * over the host's in the test's own mount namespace (never written). */
static void fake_subids(const char *uid_lines, const char *gid_lines)
{
	static const char *const file[2] = {"/etc/subuid", "/etc/subgid"};
	const char *text[2] = {uid_lines, gid_lines};
	char path[64];

	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/tmp/nslab07-%s-%d", file[i] + 5, (int)getpid());
		cr_assert_not_null(f = fopen(path, "we"), "fopen(%s)", path);
		fputs(text[i], f);
		fclose(f);
		umount2(file[i], MNT_DETACH); /* the previous fake, if any */
		cr_assert_eq(mount(path, file[i], NULL, MS_BIND, NULL), 0, "bind %s on %s: %s",
			     path, file[i], strerror(errno));
		unlink(path);
	}
	harness_rebase();
}

static void real_subids(void)
{
	umount2("/etc/subuid", MNT_DETACH);
	umount2("/etc/subgid", MNT_DETACH);
	harness_rebase();
}

Test(container, all_without_the_labs_own_id_range_it_refuses, .timeout = 60)
{
	int base = random_between(3, 300) * 65536, other = base + 65536 * 7;
	char own[64], other_line[64], short_line[64], root_line[64];
	const char *r = rootfs(), *p = "/bin/nslab-probe";
	struct run run;
	pid_t child;
	struct {
		const char *uid, *gid, *what;
	} cases[5];

	if (!harness_isolated() || access("/etc/subuid", F_OK) == -1 ||
	    access("/etc/subgid", F_OK) == -1)
		cr_skip_test("needs throwaway namespaces (root) and /etc/subuid, "
			     "/etc/subgid to bind fakes over");
	snprintf(own, sizeof(own), "nslab:%d:65536\n", base);
	snprintf(other_line, sizeof(other_line), "nslab:%d:65536\n", other);
	snprintf(short_line, sizeof(short_line), "nslab:%d:%d\n", base,
		 random_between(1, 65535));
	/* root's line is not the lab's: the silent fallback of old. */
	snprintf(root_line, sizeof(root_line), "root:%d:65536\n", base);
	cases[0] = (typeof(cases[0])){root_line, root_line, "no line for the user nslab"};
	cases[1] = (typeof(cases[1])){own, "", "a line in /etc/subuid, none in /etc/subgid"};
	cases[2] = (typeof(cases[2])){short_line, short_line, "fewer than 65536 ids"};
	cases[3] = (typeof(cases[3])){own, other_line, "lines that disagree"};
	cases[4] = (typeof(cases[4])){own, short_line, "a short line in /etc/subgid"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_input row[] = {
			BAD(1, "make deps", "-q", "--rootfs", r, "--cgroup-parent", parent,
			    "--net", "none", "--", p),
		};

		fake_subids(cases[i].uid, cases[i].gid);
		run_lesson(&run, row[0].args);
		cr_assert(run.code == 1 && strstr(run.err, "make deps") &&
			  strstr(run.err, "usermod --add-subuids") &&
			  !strstr(run.out, "nslab-probe report"), "with %s (/etc/subuid: "
			  "\"%.40s\", /etc/subgid: \"%.40s\") the container must refuse, "
			  "status 1, naming sudo make deps and the usermod line, never "
			  "guess a range; it gave %d; %s", cases[i].what, cases[i].uid,
			  cases[i].gid, run.code, why(&run));
		cr_assert(strchr(run.err, '\n') == run.err + strlen(run.err) - 1,
			  "the refusal should be one line; it is: %s", run.err);
		run_free(&run);
	}
	/* And the two lines that agree are the range it maps to. */
	fake_subids(own, own);
	run_hold(&run, ARGS("-q", "--rootfs", r, "--cgroup-parent", parent, "--net", "none",
			    "--", p, "--hold"), NULL);
	child = find_descendant(run.pid, "nslab-probe", 2.0);
	cr_assert_eq(status_id(child, "Uid:"), base, "with nslab:%d:65536 in both files "
		     "root inside should be uid %d outside, not %ld", base, base,
		     status_id(child, "Uid:"));
	cr_assert_eq(status_id(child, "Gid:"), base, "root's group inside should be "
		     "gid %d outside (/etc/subgid)", base);
	run_finish(&run);
	cr_assert_eq(run.code, 0, "exit status %d; %s", run.code, why(&run));
	run_free(&run);
	real_subids();
}
