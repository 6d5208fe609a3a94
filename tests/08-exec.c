/* Lesson 08: exec runs a command inside the namespaces of a running
 * process, with its root, working directory and ids, and gives it a
 * terminal of its own from the container's devpts.
 *
 * Steps (solutions/08-exec/exec.c): 1 a pidfd of the target and the
 * namespaces to enter, 2 the launcher joins them (pidfd, or -f through
 * /proc/PID/ns), 3 the fork that puts the command in the PID namespace,
 * 4 the target's root, working directory and ids. A test named sN_ checks
 * step N and passes as soon as steps 1 to N are right; all_ tests check
 * the whole program (exit status, terminals, a killed launcher, bad input).
 *
 * The targets are containers this suite makes itself (not lesson 07's,
 * so the suite depends on no other lesson): a process that clone(2)
 * started in new UTS, IPC, mount, PID and network namespaces (and, for
 * the rootless one, a user namespace of an ordinary user), chrooted into
 * a tmpfs that holds the probe, busybox, a /proc and a devpts of its own.
 * It stays as the container's PID 1 and reaps what enters it. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The probe as the command sees it, in the target's root. */
#define PROBE "/nslab-probe"
#define TARGET_FLAGS (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)

/* A container made by the test. */
struct target {
	pid_t pid;      /* its PID 1, as the test sees it */
	pid_t owner;    /* its parent, which the test started */
	bool rootless;  /* in a user namespace of an ordinary user */
	bool locked;    /* PID 1 locked down as lesson 07's (lock_target) */
	uid_t uid;      /* its ids inside */
	gid_t gid;
	char hostname[24];
	char pidstr[16];
};

static struct target root_target, user_target;

/* ---- the target container ------------------------------------------ */

struct target_args {
	struct target *t;
	int ready, go, go_w; /* pipe ends: report to the test; wait for the owner */
	int probe, busybox;
};

/* Copy the file open on `from` to `path` with `mode`. */
static int copy_file(int from, const char *path, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int to = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (to == -1 || lseek(from, 0, SEEK_SET) == -1)
		return -1;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n)
			return -1;
	return close(to);
}

/* Docker's default capabilities, lesson 07's (CapBnd 00000000a80425fb). */
#define DOCKER_CAPS 0xa80425fbULL

/* The locked target's PID 1, as lesson 07's is: Docker's capabilities
 * and bounding set, no_new_privs, and a seccomp filter (here one that
 * allows everything: exec cannot read a filter, it loads lesson 07's
 * whenever the target runs under one, and that is what the test sees). */
static int lock_target(void)
{
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {.len = 1, .filter = allow};
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)DOCKER_CAPS, (uint32_t)DOCKER_CAPS, 0}, {0, 0, 0}};

	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(DOCKER_CAPS & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return -1;
	if (syscall(SYS_capset, &h, d) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In the child: fail with a message to the test. */
static void target_fail(int ready, const char *what)
{
	dprintf(ready, "e%s: %s", what, strerror(errno));
	_exit(1);
}

#define TRY(call, what) do { if ((call) == -1) target_fail(a->ready, what); } while (0)

static int target_main(void *arg)
{
	static const char *const applets[] = {"sh", "tty", "stty", "sleep", "echo",
					      "id", "ls", "cat", "ps", "hostname"};
	struct target_args *a = arg;
	char go, link[64];
	sigset_t chld;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(a->go_w); /* so that the owner's death is EOF */
	if (read(a->go, &go, 1) != 1)
		_exit(1);
	TRY(sethostname(a->t->hostname, strlen(a->t->hostname)), "sethostname");
	TRY(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "mount / rprivate");
	/* A root of its own: a tmpfs on /tmp, in this mount namespace only. */
	TRY(mount("nslab", "/tmp", "tmpfs", 0, "mode=0755"), "mount tmpfs");
	TRY(mkdir("/tmp/bin", 0755), "mkdir bin");
	TRY(mkdir("/tmp/proc", 0555), "mkdir proc");
	TRY(mkdir("/tmp/dev", 0755), "mkdir dev");
	TRY(mkdir("/tmp/dev/pts", 0755), "mkdir dev/pts");
	TRY(mkdir("/tmp/work", 0777), "mkdir work");
	TRY(copy_file(a->probe, "/tmp" PROBE, 0755), "copy the probe");
	TRY(copy_file(a->probe, "/tmp/not-executable", 0644), "copy not-executable");
	if (a->busybox != -1) {
		TRY(copy_file(a->busybox, "/tmp/bin/busybox", 0755), "copy busybox");
		for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
			snprintf(link, sizeof(link), "/tmp/bin/%s", applets[i]);
			TRY(symlink("busybox", link), "symlink");
		}
	}
	TRY(close(open("/tmp/dev/null", O_WRONLY | O_CREAT | O_CLOEXEC, 0666)), "dev/null");
	TRY(mount("/dev/null", "/tmp/dev/null", NULL, MS_BIND, NULL), "bind dev/null");
	/* As lesson 07's: /dev/tty names the opener's controlling terminal. */
	TRY(close(open("/tmp/dev/tty", O_WRONLY | O_CREAT | O_CLOEXEC, 0666)), "dev/tty");
	TRY(mount("/dev/tty", "/tmp/dev/tty", NULL, MS_BIND, NULL), "bind dev/tty");
	TRY(mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	    "mount proc");
	TRY(mount("devpts", "/tmp/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=620"), "mount devpts");
	TRY(chroot("/tmp"), "chroot");
	TRY(chdir("/work"), "chdir");
	TRY(setresgid(a->t->gid, a->t->gid, a->t->gid), "setresgid");
	TRY(setresuid(a->t->uid, a->t->uid, a->t->uid), "setresuid");
	prctl(PR_SET_DUMPABLE, 1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(a->probe);
	if (a->busybox != -1)
		close(a->busybox);
	if (a->t->locked)
		TRY(lock_target(), "lock down");

	/* PID 1: reap whatever enters and ends here, until killed. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (write(a->ready, "r", 1) != 1)
		_exit(1);
	close(a->ready);
	for (;;) {
		int sig;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sigwait(&chld, &sig);
	}
}

/* Write "inside outside 1" to /proc/PID/FILE. */
static int write_map(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return ok;
}

/* The owner: as the target's user, clone the target, write its maps,
 * tell the test its pid, let it go, and wait for it. */
static void run_owner(struct target *t, int ready, int probe, int busybox)
{
	struct target_args a = {.t = t, .ready = ready, .probe = probe, .busybox = busybox};
	int go[2], flags = TARGET_FLAGS | (t->rootless ? CLONE_NEWUSER : 0);
	char *stack = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	uid_t uid = test_uid();
	pid_t pid;
	char map[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (t->rootless && geteuid() == 0 &&
	    (setgroups(0, NULL) == -1 || setgid(uid) == -1 || setuid(uid) == -1))
		target_fail(ready, "setuid");
	if (t->rootless)
		uid = geteuid();
	prctl(PR_SET_DUMPABLE, 1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (stack == MAP_FAILED || pipe2(go, O_CLOEXEC) == -1)
		target_fail(ready, "mmap, pipe2");
	a.go = go[0];
	a.go_w = go[1];
	pid = clone(target_main, stack + (1 << 20), flags | SIGCHLD, &a);
	if (pid == -1)
		target_fail(ready, "clone");
	close(go[0]);
	if (t->rootless) {
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
		if (write_map(pid, "uid_map", map) == -1 ||
		    write_map(pid, "setgroups", "deny") == -1)
			target_fail(ready, "uid_map");
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)getegid());
		if (write_map(pid, "gid_map", map) == -1)
			target_fail(ready, "gid_map");
	}
	if (write(ready, &pid, sizeof(pid)) != sizeof(pid) || write(go[1], "g", 1) != 1)
		_exit(1);
	close(ready);
	waitpid(pid, NULL, 0);
	_exit(0);
}

static int open_busybox(void)
{
	static const char *const paths[] = {"/bin/busybox", "/usr/bin/busybox"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		if (fd != -1)
			return fd;
	}
	return -1;
}

/* Start a target container and wait until it is ready. */
static void start_target_locked(struct target *t, bool rootless, bool locked)
{
	int ready[2], probe, busybox;
	char msg[256] = "";
	struct pollfd p;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->rootless = rootless;
	t->locked = locked;
	random_name(t->hostname, sizeof(t->hostname), "box-", 12);
	/* The root container's command runs as an ordinary uid, so that
	 * exec must take it over; the rootless one is root inside, and so
	 * is the locked one, whose capabilities are Docker's. */
	if (!rootless && !locked)
		t->uid = t->gid = (uid_t)random_between(1000, 9999);
	probe = open(probe_bin(), O_RDONLY | O_CLOEXEC);
	cr_assert_neq(probe, -1, "cannot open the probe %s: %s", probe_bin(), strerror(errno));
	busybox = open_busybox();
	cr_assert(pipe2(ready, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	t->owner = fork();
	cr_assert_neq(t->owner, -1, "fork: %s", strerror(errno));
	if (t->owner == 0) {
		close(ready[0]);
		run_owner(t, ready[1], probe, busybox);
	}
	harness_keep(t->owner);
	close(ready[1]);
	close(probe);
	if (busybox != -1)
		close(busybox);
	p = (struct pollfd){.fd = ready[0], .events = POLLIN};
	n = poll(&p, 1, (int)(RUN_TIMEOUT * 1000)) == 1 ? read(ready[0], &t->pid, sizeof(t->pid)) : 0;
	if (n == sizeof(t->pid)) {
		harness_keep(t->pid);
		n = poll(&p, 1, (int)(RUN_TIMEOUT * 1000)) == 1 ? read(ready[0], msg, sizeof(msg) - 1) : 0;
	} else if (n > 0) {
		memmove(msg, &t->pid, (size_t)n);
		n += read(ready[0], msg + n, sizeof(msg) - 1 - (size_t)n);
	}
	close(ready[0]);
	cr_assert(n > 0 && msg[0] == 'r', "the test could not make its %s container: %s",
		  rootless ? "rootless" : "root's", n > 0 ? msg + 1 : "no answer");
	snprintf(t->pidstr, sizeof(t->pidstr), "%d", (int)t->pid);
}

static void start_target(struct target *t, bool rootless)
{
	start_target_locked(t, rootless, false);
}

/* ---- the suite ------------------------------------------------------- */

static const char *user_opts[] = {user_target.pidstr, NULL};

/* The shared checks run as an ordinary user against a rootless container
 * of the same user: all six namespaces differ, and no privilege is
 * needed to enter what is one's own. */
static struct lesson exec_lesson = {
	MANIFEST_08,
	.opts = user_opts,
	.probe = PROBE,
	.not_executable = "/not-executable",
};

static void setup(void)
{
	harness_setup();
	require_unshare(TARGET_FLAGS, "CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | "
			"CLONE_NEWPID | CLONE_NEWNET");
	if (geteuid() == 0) {
		exec_lesson.run.uid = exec_lesson.run.gid = test_uid();
		start_target(&root_target, false);
	}
	start_target(&user_target, true);
}

TestSuite(exec, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

LESSON_BASICS(exec, &exec_lesson, all)

/* ---- helpers ----------------------------------------------------------- */

static void need_root_target(void)
{
	if (!root_target.pid)
		cr_skip_test("needs root to make a container of root's");
}

static struct stat stat_of(pid_t pid, const char *what)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	cr_assert_eq(stat(path, &st), 0, "stat(%s): %s", path, strerror(errno));
	return st;
}

static bool same_file(struct stat a, struct stat b)
{
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The processes in the target's PID namespace besides its PID 1, given
 * a moment to die and be reaped: 0 when exec left nothing in it. */
static int others_in_target(const struct target *t)
{
	char path[64];
	int others;

	/* The container's own /proc lists exactly its processes. */
	snprintf(path, sizeof(path), "/proc/%d/root/proc", (int)t->pid);
	for (double end = now() + 2.0;; nap(0.02)) {
		DIR *d = opendir(path);
		struct dirent *e;

		cr_assert(d, "cannot list the container's processes in %s: %s", path,
			  strerror(errno));
		others = 0;
		while ((e = readdir(d)))
			others += atoi(e->d_name) > 1;
		closedir(d);
		if (others == 0 || now() > end)
			return others;
	}
}

/* ---- step 1: what to enter ------------------------------------------- */

Test(exec, s1_names_the_namespaces_to_enter)
{
	static const char *const differ[] = {"mnt", "pid", "net", "uts", "ipc"};
	struct run r;

	need_root_target();
	run_lesson(&r, ARGS(root_target.pidstr, "--", PROBE));
	if (strstr(r.err, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", why(&r));
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		struct ns_id id;
		char want[96];

		cr_assert(ns_of(root_target.pid, differ[i], &id), "the target is gone");
		snprintf(want, sizeof(want), "  %s (the launcher's is %s)",
			 ns_link(differ[i], id), ns_link(differ[i], my_ns(differ[i])));
		cr_assert(strstr(r.err, want), "the target is in a %s namespace of its "
			  "own, so the account should list \"%s\": t.flags needs %s "
			  "(ns_shared() and ns_flag() in nslab.h); %s", differ[i], want,
			  differ[i], why(&r));
	}
	cr_assert(!strstr(r.err, "  user:[") && !strstr(r.err, "  cgroup:[") &&
		  !strstr(r.err, "  time:["), "the target shares our user, cgroup and "
		  "time namespaces: enter only those that differ (setns(2) refuses "
		  "to re-enter one's own user namespace); %s", why(&r));
	run_free(&r);
}

Test(exec, s1_a_process_that_does_not_exist_gets_a_clear_error)
{
	char pid[16];
	struct run r;

	/* Above the largest PID this kernel gives: it cannot exist. */
	snprintf(pid, sizeof(pid), "%d", 4194304 + random_between(1, 1000));
	run_lesson(&r, ARGS(pid, "--", PROBE));
	cr_assert_eq(r.code, 1, "exec %s (no such process) should exit 1, not %d; %s",
		     pid, r.code, why(&r));
	cr_assert(strstr(r.err, "no process"), "the error should say \"no process %s\" "
		  "(pidfd_open(2) fails with ESRCH); %s", pid, why(&r));
	run_free(&r);
}

Test(exec, s1_our_own_namespaces_are_nothing_to_enter)
{
	char pid[16];
	struct run r;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	run_lesson(&r, ARGS(pid, "--", PROBE));
	cr_assert_eq(r.code, 1, "a process in the launcher's own namespaces should "
		     "give exit status 1, not %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, "nothing to enter"), "the error should say \"nothing "
		  "to enter\"; %s", why(&r));
	run_free(&r);
}

Test(exec, all_another_users_container_may_not_be_entered)
{
	struct run r;

	need_root_target();
	run_lesson_as(&r, ARGS(root_target.pidstr, "--", PROBE), test_uid(), test_uid());
	cr_assert_eq(r.code, 1, "an ordinary user entering root's container should "
		     "fail with 1, not %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, "may not enter") && strstr(r.err, "sudo"), "the error "
		  "should say \"may not enter\" and how to run it (sudo); %s", why(&r));
	cr_assert(!strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
}

/* ---- step 2: the launcher joins ---------------------------------------- */

/* The account after joining names every namespace of the target. */
static void check_joined(const struct target *t, const char *opt, const struct run_opts *o)
{
	static const char *const types[] = {"user", "mnt", "pid", "net", "uts", "ipc"};
	const char *argv[8] = {t->pidstr, "--", PROBE, NULL};
	struct run r;

	if (opt)
		argv[0] = opt, argv[1] = t->pidstr, argv[2] = "--", argv[3] = PROBE;
	run_start(&r, argv, o);
	run_finish(&r);
	if (strstr(r.err, "TODO(2)"))
		cr_assert_fail("step 2 is not done%s: %s", opt ? " (-f)" : "", why(&r));
	for (size_t i = t->rootless ? 0 : 1; i < sizeof(types) / sizeof(types[0]); i++) {
		struct ns_id id;
		char want[96];

		cr_assert(ns_of(t->pid, types[i], &id), "the target is gone");
		snprintf(want, sizeof(want), "the launcher is now in %s",
			 ns_link(types[i], id));
		if (t->rootless)
			cr_assert(strstr(r.err, want), "an ordinary user entering a rootless "
				  "container of their own%s: \"%s\" is missing. Join the "
				  "user namespace first: it gives the capabilities the "
				  "others ask for (user_namespaces(7)); %s",
				  opt ? " with -f" : "", want, why(&r));
		else
			cr_assert(strstr(r.err, want), "after joining%s, the account should "
				  "say \"%s\": setns(2) into each namespace in t->flags; %s",
				  opt ? " with -f" : "", want, why(&r));
	}
	run_free(&r);
}

Test(exec, s2_the_launcher_joins_through_a_pidfd)
{
	need_root_target();
	check_joined(&root_target, NULL, NULL);
}

Test(exec, s2_the_launcher_joins_through_proc_pid_ns)
{
	need_root_target();
	check_joined(&root_target, "-f", NULL);
}

Test(exec, s2_an_ordinary_user_joins_a_rootless_container_of_their_own)
{
	check_joined(&user_target, NULL, &exec_lesson.run);
	check_joined(&user_target, "-f", &exec_lesson.run);
}

/* ---- step 3: the fork -------------------------------------------------- */

Test(exec, s3_the_command_is_in_the_target_pid_namespace)
{
	int here = 0, inside = 0;
	const char *line;
	struct run r;

	need_root_target();
	run_lesson(&r, ARGS(root_target.pidstr, "--", PROBE));
	if (strstr(r.err, "TODO(3)"))
		cr_assert_fail("step 3 is not done: %s", why(&r));
	line = strstr(r.err, "the command is pid ");
	cr_assert(line && sscanf(line, "the command is pid %d here, pid %d", &here,
				 &inside) == 2,
		  "no account line \"the command is pid N here, pid M in the target's "
		  "PID namespace\": setns(CLONE_NEWPID) moves only the children of the "
		  "caller into the namespace: fork after joining; %s", why(&r));
	cr_assert(here != inside && inside > 1, "the command is pid %d here and %d "
		  "inside: it should be a new process in the target's PID namespace "
		  "(fork after joining); %s", here, inside, why(&r));
	run_free(&r);
}

/* Start exec traced, stop its child at birth (PTRACE_O_TRACEFORK: it has
 * not run one instruction), kill the launcher, then let the child go.
 * Returns the child (which the test, the subreaper, now reaps), or 0 if
 * the launcher never forked. */
static pid_t kill_the_launcher_at_its_fork(struct run *r, const char *const argv[])
{
	struct run_opts o = {.keep_stdin = true, .traced = true};
	unsigned long child = 0;
	int status, sig = 0;

	run_start(r, argv, &o);
	cr_assert_eq(waitpid(r->pid, &status, 0), r->pid, "waitpid(exec): %s",
		     strerror(errno));
	cr_assert(WIFSTOPPED(status), "exec did not stop at its exec under ptrace");
	ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
	       (void *)(long)(PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL));
	alarm((unsigned)RUN_TIMEOUT); /* a launcher that hangs: SIGALRM ends the test */
	while (ptrace(PTRACE_CONT, r->pid, NULL, (void *)(long)sig) == 0 &&
	       waitpid(r->pid, &status, 0) == r->pid && WIFSTOPPED(status)) {
		sig = 0;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
			ptrace(PTRACE_GETEVENTMSG, r->pid, NULL, &child);
			break;
		}
		if (WSTOPSIG(status) != SIGTRAP)
			sig = WSTOPSIG(status);
	}
	alarm(0);
	if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
	}
	r->status = status;
	r->reaped = true;
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (child) {
		/* The child starts in a ptrace stop of its own: let it run. */
		waitpid((pid_t)child, &status, __WALL);
		ptrace(PTRACE_DETACH, (pid_t)child, NULL, NULL);
	}
	return (pid_t)child;
}

/* The command dies with a launcher that is gone before the command's own
 * PR_SET_PDEATHSIG (which never fires for a parent already dead): the
 * pipe `alive` tells the child so, but only if it closed its copy of the
 * launcher's end (step 3). The launcher is killed at its fork, before the
 * child runs: the child must stop there and never start the command
 * (`probe --hold`, which would wait for its stdin, still open). */
Test(exec, s3_a_launcher_gone_before_the_child_runs_leaves_no_command)
{
	const char *argv[] = {root_target.pidstr, "-q", "--", PROBE, "--hold", NULL};
	struct run r;
	pid_t child;
	int status;
	bool ended = false;

	need_root_target();
	child = kill_the_launcher_at_its_fork(&r, argv);
	for (double end = now() + 2.0; child > 0 && !ended && now() < end; nap(0.02))
		ended = waitpid(child, &status, WNOHANG) == child;
	close(r.in_fd);
	r.in_fd = -1;
	if (child > 0 && !ended)
		waitpid(child, &status, 0);
	run_finish(&r);
	require_steps_done(&r, 3);
	cr_assert_gt(child, 0, "exec never forked its command's process: fork(2) "
		     "once it has joined the target's namespaces; %s", why(&r));
	cr_assert(ended, "exec was killed before its child ran, and the command "
		  "started all the same, in the container: the child must close its "
		  "copy of the launcher's end of the pipe `alive` (close(alive[1])), "
		  "so that it sees the launcher is gone");
	run_free(&r);
}

Test(exec, all_killed_launcher_leaves_nothing_in_the_container)
{
	const char *argv[] = {root_target.pidstr, "-q", "--", PROBE, "--hold", NULL};
	struct run r;

	need_root_target();
	run_hold(&r, argv, NULL);
	run_kill(&r, SIGKILL);
	cr_assert_eq(others_in_target(&root_target), 0, "after exec was killed, its "
		     "command still runs in the container: the child must die with "
		     "the launcher (PR_SET_PDEATHSIG, set after the ids change)");
	run_free(&r);
}

/* ---- step 4: the container's files and ids --------------------------- */

Test(exec, s4_the_command_has_the_containers_namespaces_root_and_ids)
{
	const char *argv[] = {root_target.pidstr, "-q", "--", PROBE, "--hold", NULL};
	struct run r;
	struct probe p;
	pid_t cmd;
	char path[96];
	struct stat st;

	need_root_target();
	run_start(&r, argv, &(struct run_opts){.keep_stdin = true});
	if (!run_wait_output(&r, "ready", RUN_TIMEOUT)) {
		run_finish(&r);
		if (strstr(r.err, "TODO(4)"))
			cr_assert_fail("step 4 is not done: %s", why(&r));
		cr_assert(r.code != 127, "the command " PROBE " was not found: it is in "
			  "the container's root, which the command does not see. chroot(2) "
			  "into the target's root (t->root); %s", why(&r));
		cr_assert(!strstr(r.err, "setresgid"), "the ids could not be changed: "
			  "set the gid before the uid (after setresuid() to an ordinary "
			  "uid, the process may no longer change its gid); %s", why(&r));
		cr_assert_fail("the command never printed \"ready\"; %s", why(&r));
	}
	cmd = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(cmd, 0, "cannot find the command among exec's children");
	/* From outside, by st_dev and st_ino: every namespace the target's. */
	for (int i = 0; i < NS_COUNT; i++) {
		struct ns_id a, b;

		if (!ns_of(root_target.pid, ns_names[i], &a))
			continue;
		cr_assert(ns_of(cmd, ns_names[i], &b) && ns_same(a, b), "the command's "
			  "%s namespace is not the target's (/proc/%d/ns/%s against "
			  "/proc/%d/ns/%s)", ns_names[i], (int)cmd, ns_names[i],
			  (int)root_target.pid, ns_names[i]);
	}
	cr_assert(same_file(stat_of(cmd, "root"), stat_of(root_target.pid, "root")),
		  "the command's root is not the container's: it sees the host's files. "
		  "chroot(2) into the target's root (t->root)");
	cr_assert(same_file(stat_of(cmd, "cwd"), stat_of(root_target.pid, "cwd")),
		  "the command's working directory is not the target's: fchdir(2) "
		  "into t->cwd after the chroot");
	p = probe_parse(r.out, &r);
	/* Seen from the container's PID 1: its /proc lists the command. */
	snprintf(path, sizeof(path), "/proc/%d/root/proc/%d", (int)root_target.pid,
		 (int)p.pid);
	cr_assert(stat(path, &st) == 0 && p.pid > 1 && p.pid != cmd, "the command "
		  "says it is pid %d, which the container's /proc does not list",
		  (int)p.pid);
	cr_assert(p.uid == root_target.uid && p.euid == root_target.uid &&
		  p.gid == root_target.gid && p.egid == root_target.gid,
		  "the command runs as uid %u gid %u, the target as uid %u gid %u: "
		  "setresgid(2), then setresuid(2), to t->gid and t->uid",
		  (unsigned)p.euid, (unsigned)p.egid, (unsigned)root_target.uid,
		  (unsigned)root_target.gid);
	cr_assert_str_eq(p.hostname, root_target.hostname, "the hostname inside is "
			 "not the container's");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert_eq(others_in_target(&root_target), 0, "the command ended, yet "
		     "something exec started still runs in the container");
	run_free(&r);
}

Test(exec, all_exit_status_and_signals_pass_through_from_roots_container)
{
	int code = random_between(3, 120), sig = SIGUSR1;
	char c[8], s[8];
	struct run r;

	need_root_target();
	snprintf(c, sizeof(c), "%d", code);
	snprintf(s, sizeof(s), "%d", sig);
	run_lesson(&r, ARGS("-q", root_target.pidstr, "--", PROBE, "--exit", c));
	cr_assert_eq(r.code, code, "the command exited with %d, exec with %d; %s",
		     code, r.code, why(&r));
	run_free(&r);
	run_lesson(&r, ARGS("-q", root_target.pidstr, "--", PROBE, "--signal", s));
	cr_assert_eq(r.code, 128 + sig, "signal %d killed the command: exec should "
		     "exit with %d, not %d; %s", sig, 128 + sig, r.code, why(&r));
	run_free(&r);
}

/* ---- step 4: a terminal of its own, through a real pseudo-terminal ---- */

Test(exec, all_a_shell_gets_a_terminal_of_its_own, .timeout = 40)
{
	struct tty_run t;

	need_root_target();
	if (open_busybox() == -1)
		cr_skip_test("busybox is missing: the container's shell is busybox "
			     "(make deps installs busybox-static)");
	check_terminal_session(&t, ARGS("-q", root_target.pidstr));
	cr_assert_eq(others_in_target(&root_target), 0, "the shell ended, yet something "
		     "exec started still runs in the container");
	tty_close(&t);
}

Test(exec, all_minus_T_keeps_the_callers_terminal)
{
	struct tty_run t;
	int code;

	need_root_target();
	if (open_busybox() == -1)
		cr_skip_test("busybox is missing (make deps installs busybox-static)");
	tty_start(&t, ARGS("-q", "-T", root_target.pidstr, "--", "/bin/sh", "-c",
			   "tty; exit 5"));
	code = tty_finish(&t);
	cr_assert_eq(code, 5, "exec -T exited with %d, the command with 5; %s", code,
		     t.out);
	cr_assert(strstr(t.out, "not a tty"), "with -T the command keeps exec's own "
		  "terminal, which does not exist in the container: `tty` says \"not a "
		  "tty\"; the terminal showed: %s", t.out);
	tty_close(&t);
}

Test(exec, all_bad_input_gets_a_clear_error)
{
	const struct bad_input rows[] = {
		BAD(2, "Usage", "-q"),
		BAD(2, "not a PID", "12x", "--", PROBE),
		BAD(2, "not a PID", "0", "--", PROBE),
		BAD(2, "Usage", user_target.pidstr, "-x", "--", PROBE),
	};

	check_bad_inputs(&exec_lesson, rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- what of the caller's reaches the command -------------------------- */

/* Without a terminal of its own (-T), stdin a terminal or not: the
 * caller's terminal is exec's controlling terminal, and must not be the
 * command's. */
Test(exec, s4_no_keystrokes_reach_the_callers_terminal, .timeout = 40)
{
	char marker[32];
	struct tty_run t;
	int code;

	need_root_target();
	for (int on_stdin = 0; on_stdin < 2; on_stdin++) {
		const char *const *args;

		random_name(marker, sizeof(marker), "injected-", 24);
		args = ARGS("-q", "-T", root_target.pidstr, "--", PROBE, "--tiocsti", marker);
		if (on_stdin)
			tty_start(&t, args);
		else
			tty_start_stdin_null(&t, args);
		code = tty_finish(&t);
		cr_assert_eq(code, 0, "exec -T -- nslab-probe --tiocsti exited with %d; "
			     "the terminal showed: %s", code, t.out);
		cr_assert(strstr(t.out, "devtty ENXIO"), "with -T%s, /dev/tty inside "
			  "opened the caller's terminal (it should fail with ENXIO): the "
			  "command must be a session of its own (setsid) also without a "
			  "terminal of its own; the terminal showed: %s",
			  on_stdin ? " and the terminal on stdin" : " and stdin not a terminal",
			  t.out);
		cr_assert(!strstr(t.out, marker) && tty_pending_input(&t) == 0, "with -T, "
			  "the command typed into the caller's terminal with ioctl(TIOCSTI) "
			  "(bubblewrap's CVE-2017-5226): it must be a session of its own "
			  "(setsid); the terminal showed: %s", t.out);
		tty_close(&t);
	}
}

Test(exec, s4_the_callers_keyring_is_out_of_reach)
{
	char desc[40], secret[40], want[80];
	struct run r;
	long key;

	need_root_target();
	random_name(desc, sizeof(desc), "nslab-key-", 24);
	random_name(secret, sizeof(secret), "secret-", 24);
	/* A session keyring of the test's own (it goes with the test), with
	 * a key that exec inherits. */
	cr_assert_neq(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL), -1,
		      "keyctl(KEYCTL_JOIN_SESSION_KEYRING): %s", strerror(errno));
	key = syscall(SYS_add_key, "user", desc, secret, strlen(secret),
		      KEY_SPEC_SESSION_KEYRING);
	cr_assert_neq(key, -1, "add_key(user, %s): %s", desc, strerror(errno));
	run_lesson(&r, ARGS("-q", root_target.pidstr, "--", PROBE, "--key", desc));
	cr_assert_eq(r.code, 0, "exec -- nslab-probe --key exited with %d; %s", r.code,
		     why(&r));
	snprintf(want, sizeof(want), "key %s ", desc);
	cr_assert(strstr(r.out, want), "the probe printed no \"%s\" line; %s", want,
		  why(&r));
	cr_assert(!strstr(r.out, secret) && !strstr(r.out, " found"), "the command "
		  "found the caller's key in its session keyring and read it: give it "
		  "a session keyring of its own, as runc exec does (keyctl "
		  "KEYCTL_JOIN_SESSION_KEYRING); the probe said: %s", strstr(r.out, want));
	run_free(&r);
}

/* ---- as locked down as the container's PID 1 (lessons/lib/confine.h) -- */

/* The locked target's cgroup, the test's own, below the harness's parent
 * (so that teardown removes it): v1 a directory in the pids and the
 * memory trees, v2 one in the unified tree. */
static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

static bool put(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return false;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok;
}

/* mkdir -p TOP/REL/NAME; on v2 each level hands pids and memory down. */
static void make_cgroup_dir(const char *top, const char *rel, const char *name,
			    bool v2, char *dir, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", top);
	snprintf(dir, size, "%s/%s/", rel, name);
	for (char *p = dir, *slash; (slash = strchr(p, '/')); p = slash + 1) {
		if (v2)
			put(path, "cgroup.subtree_control", "+pids +memory");
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%.*s",
			 (int)(slash - p), p);
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir(%s): %s",
			  path, strerror(errno));
	}
	snprintf(dir, size, "%s", path);
}

/* Put the locked target in a cgroup of its own with at most `pids`
 * processes and `memory` bytes, no swap beyond. */
static void limit_target(const struct target *t, long pids, long long memory)
{
	char name[32], dir[2][PATH_MAX], value[32];
	const char *top = is_fs("/sys/fs/cgroup", 0x63677270) ? "/sys/fs/cgroup"
							      : "/sys/fs/cgroup/unified";
	bool v2 = !is_fs("/sys/fs/cgroup/pids", 0x27e0eb);
	char *ctl;

	random_name(name, sizeof(name), "exec-target-", 20);
	if (v2) {
		snprintf(dir[0], sizeof(dir[0]), "%s/cgroup.controllers", top);
		ctl = slurp(dir[0]);
		if (!ctl || !strstr(ctl, "pids") || !strstr(ctl, "memory"))
			cr_skip_test("the cgroup v2 tree %s offers no pids and memory "
				     "controllers", top);
		free(ctl);
		make_cgroup_dir(top, harness_cgroup_parent(), name, true, dir[0],
				sizeof(dir[0]));
		snprintf(dir[1], sizeof(dir[1]), "%s", dir[0]);
	} else {
		make_cgroup_dir("/sys/fs/cgroup/pids", harness_cgroup_parent(), name,
				false, dir[0], sizeof(dir[0]));
		make_cgroup_dir("/sys/fs/cgroup/memory", harness_cgroup_parent(), name,
				false, dir[1], sizeof(dir[1]));
	}
	snprintf(value, sizeof(value), "%ld", pids);
	cr_assert(put(dir[0], "pids.max", value), "%s/pids.max: %s", dir[0], strerror(errno));
	snprintf(value, sizeof(value), "%lld", memory);
	cr_assert(put(dir[1], v2 ? "memory.max" : "memory.limit_in_bytes", value),
		  "the memory limit in %s: %s", dir[1], strerror(errno));
	if (v2)
		put(dir[1], "memory.swap.max", "0");
	else
		put(dir[1], "memory.memsw.limit_in_bytes", value);
	snprintf(value, sizeof(value), "%d", (int)t->pid);
	for (int i = 0; i < (v2 ? 1 : 2); i++)
		cr_assert(put(dir[i], "cgroup.procs", value), "%s/cgroup.procs <- %s: %s",
			  dir[i], value, strerror(errno));
	/* The test's own change of the host: the runs must leave it so. */
	harness_rebase();
}

/* The value of "self KEY" in the probe's --self output ("" if none). */
static const char *self_value(const struct run *r, const char *key, char *buf,
			      size_t size)
{
	char want[64];
	const char *at;

	snprintf(want, sizeof(want), "self %s", key);
	buf[0] = '\0';
	if ((at = strstr(r->out, want)))
		snprintf(buf, size, "%.*s", (int)strcspn(at + strlen(want), "\n"),
			 at + strlen(want));
	return buf;
}

static void check_same(const struct run *r, const struct target *t, const char *key,
		       const char *fix)
{
	char mine[128], theirs[128];

	status_line(t->pid, key, theirs, sizeof(theirs));
	self_value(r, key, mine, sizeof(mine));
	cr_assert(*theirs && strstr(theirs, mine) && *mine, "the command's %s should "
		  "be the container's PID 1's, \"%s\"; it is \"%s\": %s; %s", key,
		  theirs, mine, fix, why(r));
}

Test(exec, all_the_command_has_the_capabilities_and_filter_of_pid_1)
{
	struct target locked;
	struct run r;

	need_root_target();
	start_target_locked(&locked, false, true);
	run_lesson(&r, ARGS("-T", locked.pidstr, "--", PROBE, "--self", "--keyctl"));
	cr_assert_eq(r.code, 0, "exec into a locked-down container exited with %d; %s",
		     r.code, why(&r));
	check_same(&r, &locked, "CapBnd:", "drop every capability its bounding set "
		   "has not (prctl PR_CAPBSET_DROP), or a root command gets them all back "
		   "at execve");
	check_same(&r, &locked, "CapEff:", "its bounding set and capability sets "
		   "(PR_CAPBSET_DROP, capset)");
	check_same(&r, &locked, "NoNewPrivs:", "set no_new_privs as it has it "
		   "(prctl PR_SET_NO_NEW_PRIVS), or a setuid program inside gains what "
		   "the container may not");
	check_same(&r, &locked, "Seccomp:", "load the container's seccomp filter "
		   "(lessons/lib/syscall_filter.h), last before the command");
	cr_assert(strstr(r.out, "keyctl EPERM"), "the command reached the kernel's "
		  "keyrings (keyctl): under the container's seccomp filter it is "
		  "refused with EPERM; it printed: %s", r.out);
	run_free(&r);
}

Test(exec, all_the_command_is_in_the_containers_cgroup_and_limits)
{
	int n = random_between(8, 14);
	struct target locked;
	char mine[4096], *theirs, path[64];
	struct run r;

	need_root_target();
	start_target_locked(&locked, false, true);
	limit_target(&locked, n, 64LL << 20);
	run_lesson(&r, ARGS("-T", locked.pidstr, "--", PROBE, "--self"));
	cr_assert_eq(r.code, 0, "exec exited with %d; %s", r.code, why(&r));
	mine[0] = '\0';
	for (const char *at = r.out; (at = strstr(at, "self cgroup ")); at++)
		snprintf(mine + strlen(mine), sizeof(mine) - strlen(mine), "%.*s\n",
			 (int)strcspn(at + 12, "\n"), at + 12);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)locked.pid);
	theirs = slurp(path);
	cr_assert(theirs && !strcmp(mine, theirs), "the command should be in the "
		  "container's cgroup, where its limits are: move exec into the cgroup "
		  "of every hierarchy of /proc/PID/cgroup (cgroup.procs) before it "
		  "joins; the container's PID 1 is in:\n%s\nthe command in:\n%s",
		  theirs ? theirs : "?", mine);
	free(theirs);
	run_free(&r);
	/* Its PID 1, exec itself (in the cgroup, so that the command is
	 * born there) and the probe, then the probe's children. */
	check_fork_bomb(ARGS("-T", locked.pidstr, "--", PROBE, "--forks", "--hold"), n, 3,
			"the container's PID 1, exec, the probe");
}

Test(exec, all_a_memory_hog_through_exec_meets_the_containers_limit)
{
	struct target locked;

	need_root_target();
	start_target_locked(&locked, false, true);
	if (access("/bin/busybox", X_OK) == -1 && access("/usr/bin/busybox", X_OK) == -1)
		cr_skip_test("no busybox to copy into the container for sh");
	limit_target(&locked, 100, 32LL << 20);
	check_memory_hog(ARGS("-T", locked.pidstr, "--"), PROBE);
}

Test(exec, all_no_descriptor_of_ours_reaches_the_command)
{
	char fds[64];
	struct run r;

	need_root_target();
	run_lesson(&r, ARGS("-T", root_target.pidstr, "--", PROBE, "--self"));
	cr_assert_eq(r.code, 0, "exec exited with %d; %s", r.code, why(&r));
	self_value(&r, "fds", fds, sizeof(fds));
	cr_assert_str_eq(fds, " 0 1 2", "only 0, 1 and 2 may reach the command: a "
			 "descriptor of the host's (/proc, the target's root) is a way "
			 "out through openat(fd, \"..\"); close every other one "
			 "(close_range) before the command runs; it has fds%s", fds);
	run_free(&r);
}

/* While exec holds descriptors of the host's, no process of the container
 * may ptrace it or open its /proc/PID/fd (runc's CVE-2016-9962): it is
 * not dumpable, and the kernel then shows its /proc/PID/fd as root's,
 * not as its owner's (proc(5), "/proc/pid"). The child it forks inherits it,
 * until the command's execve. Seen as an ordinary user entering a
 * rootless container of their own, where the two owners differ. */
Test(exec, all_exec_is_not_dumpable_while_it_holds_host_descriptors)
{
	struct run_opts o = {.uid = test_uid(), .gid = test_uid()};
	struct stat st;
	char path[64];
	struct run r;
	int e;

	run_hold(&r, ARGS(user_target.pidstr, "--", PROBE, "--hold"), &o);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)r.pid);
	e = stat(path, &st) == -1 ? errno : 0;
	run_finish(&r);
	cr_assert_eq(e, 0, "stat(%s): %s", path, strerror(e));
	cr_assert_eq(st.st_uid, 0, "exec (uid %u) is dumpable while it holds the "
		     "host's /proc and the target's root: a process of the container "
		     "could ptrace its child before the command's execve and take "
		     "them (runc's CVE-2016-9962); prctl PR_SET_DUMPABLE 0 before "
		     "the first setns (its /proc/%d/fd belongs to uid %u)",
		     (unsigned)o.uid, (int)r.pid, (unsigned)st.st_uid);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

/* ---- the challenge: -w DIR, the command's working directory ---------- */

Test(exec, challenge_the_command_starts_in_the_directory_asked)
{
	const char *argv[] = {root_target.pidstr, "-q", "-T", "-w", "/bin", "--", PROBE,
			      "--hold", NULL};
	struct run r;
	pid_t cmd;

	need_root_target();
	run_start(&r, argv, &(struct run_opts){.keep_stdin = true});
	if (!run_wait_output(&r, "ready", RUN_TIMEOUT)) {
		run_finish(&r);
		cr_assert_fail("exec -w /bin: the command never printed \"ready\"; %s",
			       why(&r));
	}
	cmd = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(cmd, 0, "cannot find the command among exec's children");
	/* The container's /bin, not the host's, and not its usual /work. */
	cr_assert(same_file(stat_of(cmd, "cwd"), stat_of(root_target.pid, "root/bin")),
		  "exec -w /bin: the command's working directory is not the container's "
		  "/bin: resolve the path inside the container's root, after the chroot");
	cr_assert(same_file(stat_of(cmd, "root"), stat_of(root_target.pid, "root")),
		  "exec -w: the command's root is not the container's any more");
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(exec, challenge_a_directory_that_cannot_be_gets_a_clear_error)
{
	char missing[40];
	struct run r;

	need_root_target();
	random_name(missing, sizeof(missing), "/missing-", 20);
	run_lesson(&r, ARGS(root_target.pidstr, "-q", "-T", "-w", missing, "--", PROBE));
	cr_assert(r.code == 1 && strstr(r.err, missing), "exec -w %s (no such directory "
		  "in the container) should exit 1 naming it, got %d; %s", missing,
		  r.code, why(&r));
	cr_assert_null(strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
	run_lesson(&r, ARGS(root_target.pidstr, "-q", "-T", "-w", "bin", "--", PROBE));
	cr_assert(r.code == 2 && strstr(r.err, "absolute"), "exec -w bin (a relative "
		  "path) should exit 2 and ask for an absolute path, got %d; %s", r.code,
		  why(&r));
	run_free(&r);
}
