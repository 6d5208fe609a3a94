/* nslab.c - the shared runtime of the nslab lessons (see nslab.h). */
#define _GNU_SOURCE
#include "nslab.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

bool nslab_quiet;
static const char *prog = "nslab";
static char make_target[32] = "make";

void nslab_init(const char *name, const char *lesson)
{
	prog = name;
	/* err(3) prefixes its messages with this name. */
	program_invocation_short_name = (char *)name;
	snprintf(make_target, sizeof(make_target), "make lesson%s", lesson);
	/* Line-buffer stdout: a child made by clone() or fork() gets a copy
	 * of this process's memory, and a full buffer would be printed twice
	 * or lost (STYLE.md, pitfall 5). */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *nslab_prog(void)
{
	return prog;
}

const char *nslab_make_target(void)
{
	return make_target;
}

void say(const char *fmt, ...)
{
	va_list ap;

	if (nslab_quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void todo(int step, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", step, what);
}

/* ---- namespaces -------------------------------------------------------- */

static const struct {
	const char *type, *human, *config;
	int flag;
} ns_types[] = {
	{"uts", "UTS", "CONFIG_UTS_NS", CLONE_NEWUTS},
	{"ipc", "IPC", "CONFIG_IPC_NS", CLONE_NEWIPC},
	{"mnt", "mount", NULL, CLONE_NEWNS},
	{"pid", "PID", "CONFIG_PID_NS", CLONE_NEWPID},
	{"net", "network", "CONFIG_NET_NS", CLONE_NEWNET},
	{"user", "user", "CONFIG_USER_NS", CLONE_NEWUSER},
	{"cgroup", "cgroup", "CONFIG_CGROUPS", CLONE_NEWCGROUP},
	{"time", "time", "CONFIG_TIME_NS", CLONE_NEWTIME},
};
#define NS_TYPES (sizeof(ns_types) / sizeof(ns_types[0]))

static const char *flag_name(int flag)
{
	switch (flag) {
	case CLONE_NEWUTS: return "CLONE_NEWUTS";
	case CLONE_NEWIPC: return "CLONE_NEWIPC";
	case CLONE_NEWNS: return "CLONE_NEWNS";
	case CLONE_NEWPID: return "CLONE_NEWPID";
	case CLONE_NEWNET: return "CLONE_NEWNET";
	case CLONE_NEWUSER: return "CLONE_NEWUSER";
	case CLONE_NEWCGROUP: return "CLONE_NEWCGROUP";
	case CLONE_NEWTIME: return "CLONE_NEWTIME";
	}
	return NULL;
}

int ns_flag(const char *type)
{
	for (size_t i = 0; i < NS_TYPES; i++)
		if (strcmp(ns_types[i].type, type) == 0)
			return ns_types[i].flag;
	return 0;
}

const char *ns_human(const char *type)
{
	for (size_t i = 0; i < NS_TYPES; i++)
		if (strcmp(ns_types[i].type, type) == 0)
			return ns_types[i].human;
	return type;
}

static void ns_path(pid_t pid, const char *type, char *buf, size_t size)
{
	if (pid == 0)
		snprintf(buf, size, "/proc/self/ns/%s", type);
	else
		snprintf(buf, size, "/proc/%d/ns/%s", (int)pid, type);
}

bool ns_id_of(pid_t pid, const char *type, struct ns_id *id)
{
	char path[64];

	ns_path(pid, type, path, sizeof(path));
	return read_ns(path, id);
}

bool ns_shared(pid_t a, pid_t b, const char *type)
{
	struct ns_id x, y;

	if (!ns_id_of(a, type, &x) || !ns_id_of(b, type, &y))
		err(EXIT_FAILURE, "stat(/proc/%d/ns/%s)", (int)(a ? a : b), type);
	return x.dev == y.dev && x.ino == y.ino;
}

const char *ns_label(pid_t pid, const char *type, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	ns_path(pid, type, path, sizeof(path));
	n = readlink(path, buf, size - 1);
	if (n == -1)
		snprintf(buf, size, "%s:[?]", type);
	else
		buf[n] = '\0';
	return buf;
}

const char *ns_account(pid_t pid, pid_t ref, const char *type, char *buf,
		       size_t size)
{
	char label[64];
	struct ns_id a, b;
	bool new_one;

	if (!ns_id_of(pid, type, &a)) {
		snprintf(buf, size, "%s:[?], already gone (it ended before the "
			 "parent looked)", type);
		return buf;
	}
	new_one = ns_id_of(ref, type, &b) && (a.dev != b.dev || a.ino != b.ino);
	snprintf(buf, size, "%s, %s %s namespace",
		 ns_label(pid, type, label, sizeof(label)),
		 new_one ? "a new" : "still the parent's", ns_human(type));
	return buf;
}

/* ---- guards ------------------------------------------------------------ */

void ensure_own_ns(pid_t parent, const char *type, const char *doing)
{
	if (ns_shared(0, parent, type))
		errx(EXIT_FAILURE, "refusing to %s: this process is still in its "
		     "parent's %s namespace, the host's, so it would change the "
		     "host; the child needs its own %s namespace (clone(2), "
		     "namespaces(7))", doing, ns_human(type), ns_human(type));
}

void ensure_proc_is_ours(void)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n > 0)
		self[n] = '\0';
	if (n <= 0 || atoi(self) != getpid())
		errx(EXIT_FAILURE, "/proc is not the /proc of this PID namespace "
		     "(/proc/self is \"%s\", our pid is %d): mount a fresh one "
		     "(unshare --mount-proc) first", n > 0 ? self : "?", (int)getpid());
}

/* ---- starting, waiting, exit statuses ---------------------------------- */

void exec_command(char *const argv[])
{
	execvp(argv[0], argv);
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", argv[0]);
}

const char *clone_flags_str(int flags, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit; bit <<= 1) {
		const char *name = ((unsigned)flags & bit) ? flag_name((int)bit) : NULL;

		if (name && len < size)
			len += snprintf(buf + len, size - len, "%s%s",
					len ? " | " : "", name);
	}
	return buf;
}

void clone_failed(const char *call, int flags)
{
	int e = errno;
	char names[160], what[200], limits[300] = "", configs[160] = "";
	const char *why = strerror(e);

	snprintf(what, sizeof(what), "%s(%s)", call,
		 clone_flags_str(flags, names, sizeof(names)));
	for (size_t i = 0; i < NS_TYPES; i++) {
		if (!(flags & ns_types[i].flag))
			continue;
		snprintf(limits + strlen(limits), sizeof(limits) - strlen(limits),
			 "%s/proc/sys/user/max_%s_namespaces", *limits ? ", " : "",
			 strcmp(ns_types[i].type, "mnt") ? ns_types[i].type : "mnt");
		if (ns_types[i].config)
			snprintf(configs + strlen(configs), sizeof(configs) - strlen(configs),
				 "%s%s", *configs ? ", " : "", ns_types[i].config);
	}
	switch (e) {
	case EPERM:
		if (flags == CLONE_NEWUSER)
			errx(EXIT_FAILURE, "%s: %s: this system forbids ordinary "
			     "users to create user namespaces "
			     "(kernel.unprivileged_userns_clone=0, "
			     "kernel.apparmor_restrict_unprivileged_userns=1, or a "
			     "chroot; make doctor says which); run as root: sudo %s",
			     what, why, make_target);
		errx(EXIT_FAILURE, "%s: %s: creating these namespaces needs "
		     "CAP_SYS_ADMIN; run as root: sudo %s", what, why, make_target);
	case ENOSPC:
		errx(EXIT_FAILURE, "%s: %s: a namespace limit is reached: see %s "
		     "(0 turns a type off), or the nesting limit of 32 user or PID "
		     "namespaces", what, why, limits);
	case EUSERS:
		errx(EXIT_FAILURE, "%s: %s: user namespaces nest at most 32 deep "
		     "(kernels before 4.9 said EUSERS)", what, why);
	case EINVAL:
		errx(EXIT_FAILURE, "%s: %s: this kernel was built without %s, or "
		     "the flags do not go together (clone(2), ERRORS)", what, why,
		     *configs ? configs : "one of these namespace types");
	case ENOMEM:
		errx(EXIT_FAILURE, "%s: %s: out of memory, or the PID namespace's "
		     "init has already exited (pid_namespaces(7))", what, why);
	}
	errx(EXIT_FAILURE, "%s: %s", what, why);
}

/* ---- ns_spawn: the pattern of lesson 01 -------------------------------- */

#define STACK_SIZE (1024 * 1024)

/* What the child needs to find, in its copy of this process's memory. */
static struct {
	int (*fn)(void *);
	void *arg;
	int sync[2];
	pid_t parent;
} spawn;

static int spawn_trampoline(void *unused)
{
	char go;
	ssize_t n;

	(void)unused;
	/* Die with the launcher, even by SIGKILL; getppid() catches the
	 * case where it died before the prctl (prctl(2), PR_SET_PDEATHSIG).
	 * The first process of a new PID namespace sees its parent, outside,
	 * as pid 0: there the EOF on the pipe below says it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != spawn.parent && getppid() != 0)
		_exit(EXIT_FAILURE);
	/* Close our copy of the write end, or EOF never comes. */
	close(spawn.sync[1]);
	do
		n = read(spawn.sync[0], &go, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_FAILURE); /* the parent failed before releasing us */
	close(spawn.sync[0]);
	return spawn.fn(spawn.arg);
}

static int spawn_cgroup = -1;

void ns_spawn_into_cgroup(int dir_fd)
{
	spawn_cgroup = dir_fd;
}

/* clone3(2) has no glibc wrapper: a raw call, which returns twice as
 * fork(2) does (no CLONE_VM, so the child runs on its own copy of this
 * stack). 0 in the child, its pid here, or -1 with errno set. */
static pid_t clone_into_cgroup(int flags, int dir_fd)
{
	struct clone_args args = {
		.flags = (uint64_t)(unsigned)flags | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)dir_fd,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

pid_t ns_spawn(struct ns_child *c, int flags, int (*fn)(void *), void *arg)
{
	int saved, cgroup = spawn_cgroup;
	char *stack;

	spawn.fn = fn;
	spawn.arg = arg;
	spawn.parent = getpid();
	spawn_cgroup = -1;
	c->in_cgroup = false;
	/* O_CLOEXEC: the command never inherits the pipe. */
	if (pipe2(spawn.sync, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	if (cgroup >= 0) {
		c->pid = clone_into_cgroup(flags, cgroup);
		if (c->pid == 0)
			_exit(spawn_trampoline(NULL));
		if (c->pid > 0) {
			c->in_cgroup = true;
			close(spawn.sync[0]);
			c->go = spawn.sync[1];
			return c->pid;
		}
		/* Any refusal: clone() below either works (an older kernel,
		 * a v1 cgroup) or fails with the errno clone_failed() knows. */
	}
	/* Without CLONE_VM the child runs on its own copy of the stack, so
	 * the parent can unmap it. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");
	c->pid = ns_clone(spawn_trampoline, stack, STACK_SIZE, flags, NULL);
	saved = errno;
	munmap(stack, STACK_SIZE);
	close(spawn.sync[0]);
	if (c->pid == -1) {
		close(spawn.sync[1]);
		c->go = -1;
		errno = saved;
		return -1;
	}
	c->go = spawn.sync[1];
	return c->pid;
}

void ns_release(struct ns_child *c)
{
	if (c->go == -1)
		return;
	if (write(c->go, "g", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	close(c->go);
	c->go = -1;
}
