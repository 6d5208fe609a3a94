/* exec.c - run a command inside a running container (lesson 08)
 *
 * The idea: a container is a process whose /proc/PID/ns links differ from
 * the host's, and setns(2) is the way in. `docker exec` and nsenter(1)
 * do what this program does: name the target process (a pidfd), join its
 * namespaces - the user namespace first, as it gives the capabilities
 * the others ask for - then fork, because joining a PID namespace only
 * moves the caller's future children into it. The child takes the
 * target's root and working directory and its uid and gid, and runs the
 * command. With -t (the default when stdin is a terminal) the command
 * gets a pseudo-terminal of its own from the container's devpts, as
 * `docker exec -it` does (lessons/lib/pty.c); with or without one, the
 * command is a session of its own (no terminal of ours is its /dev/tty)
 * with a session keyring of its own (none of our keys), as runc exec's.
 * And it is as locked down as the container's PID 1 (lessons/lib/
 * confine.h): the same capabilities and bounding set, no_new_privs, the
 * seccomp filter of lesson 07 (syscall_filter.h), the container's
 * cgroup, and no descriptor of ours once container code can reach it.
 *
 * Usage: exec [-q] [-t | -T] [-f] PID [--] [COMMAND [ARG...]]
 *
 * Sample session (a container of lesson 07 runs as pid 4243):
 *   $ sudo ./exec 4243 -- hostname
 *   exec: target pid 4243; the launcher is pid 5120
 *   exec:   user:[4026532250] (the launcher's is user:[4026531837])
 *   ...     (mnt, pid, net, uts and ipc alike)
 *   exec: joined with setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | ...)
 *   exec:   the launcher is now in user:[4026532250]
 *   ...
 *   exec: the command is pid 5121 here, pid 3 in the target's PID namespace
 *   box
 *   exec: the command exited with status 0
 *
 * Read: setns(2), pidfd_open(2), namespaces(7), pid_namespaces(7),
 *       user_namespaces(7), nsenter(1), chroot(2), pty(7), setsid(2),
 *       keyrings(7), capabilities(7), seccomp(2), cgroups(7).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "nslab.h"
#include "pty.h"
#include "syscall_filter.h"

/* Every namespace type a process can be in (namespaces(7)). */
static const char *const ns_types[] = {"user", "mnt",    "pid", "net",
				       "uts",  "ipc",    "cgroup", "time"};
#define NS_COUNT (sizeof(ns_types) / sizeof(ns_types[0]))

/* What the launcher holds of the target before it joins it. */
struct target {
	pid_t pid;
	int pidfd;     /* names the process, even if its PID is reused */
	int flags;     /* CLONE_NEW* of each namespace that differs from ours */
	int proc;      /* this /proc: after setns(CLONE_NEWNS), "/proc" is theirs */
	int root, cwd; /* its root and working directory (O_PATH) */
	uid_t uid;     /* its ids, as its own user namespace numbers them */
	gid_t gid;
	struct confinement conf; /* its capabilities, filter, cgroup */
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-t | -T] [-f] PID [--] [COMMAND [ARG...]]\n"
		"Run COMMAND inside the namespaces of the running process PID (a\n"
		"container), with its root, working directory, uid and gid. Without\n"
		"COMMAND: a shell when stdin is a terminal, otherwise a short\n"
		"demonstration.\n"
		"\n"
		"  -t   give COMMAND a terminal of its own, from the container's\n"
		"       /dev/pts (the default when stdin is a terminal)\n"
		"  -T   no terminal of its own: COMMAND gets our stdin, stdout, stderr\n"
		"  -f   join through the files /proc/PID/ns/*, one by one (as before\n"
		"       Linux 5.8), instead of all at once through a pidfd\n"
		"  -q   do not print the account of what happens on stderr\n"
		"  -h   show this help\n"
		"\n"
		"Entering another user's container needs root: sudo make lesson08 ARGS='PID'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

/* The target as a process: may we look at it at all? ENOENT is left to
 * pidfd_open(2), which names a process that does not exist. */
static void check_may_enter(pid_t pid)
{
	struct ns_id id;

	if (!ns_id_of(pid, "user", &id) && (errno == EACCES || errno == EPERM))
		errx(EXIT_FAILURE, "may not enter process %d: it is not yours (its "
		     "/proc/%d/ns is not readable: %s); as root: sudo make lesson08 "
		     "ARGS='%d'", (int)pid, (int)pid, strerror(errno), (int)pid);
}

/* An id of the target, as the target's user namespace numbers it: the
 * line of /proc/PID/uid_map (inside outside count) whose outside range,
 * in our numbers, holds it. With no user namespace to join, ours. */
static unsigned id_inside(const struct target *t, const char *map, unsigned id)
{
	char path[64];
	unsigned in, out, count;
	FILE *f;

	if (!(t->flags & CLONE_NEWUSER))
		return id;
	snprintf(path, sizeof(path), "%d/%s", (int)t->pid, map);
	if (!(f = fdopen(openat(t->proc, path, O_RDONLY | O_CLOEXEC), "r")))
		err(EXIT_FAILURE, "/proc/%s", path);
	while (fscanf(f, "%u %u %u", &in, &out, &count) == 3)
		if (id >= out && id - out < count) {
			fclose(f);
			return in + (id - out);
		}
	errx(EXIT_FAILURE, "the target's id %u has no number in its user "
	     "namespace (/proc/%s)", id, path);
}

/* What must be held before joining: after setns(CLONE_NEWNS) this
 * process's "/" and "/proc" are the container's, where PID names another
 * process or none. nsenter(1) opens everything first for this reason. */
static void hold_target(struct target *t)
{
	char path[32], line[256];
	unsigned uid = 0, gid = 0;
	FILE *f;

	if ((t->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAILURE, "open(/proc)");
	snprintf(path, sizeof(path), "%d/root", (int)t->pid);
	if ((t->root = openat(t->proc, path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAILURE, "open(/proc/%s)", path);
	snprintf(path, sizeof(path), "%d/cwd", (int)t->pid);
	if ((t->cwd = openat(t->proc, path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAILURE, "open(/proc/%s)", path);
	snprintf(path, sizeof(path), "%d/status", (int)t->pid);
	if (!(f = fdopen(openat(t->proc, path, O_RDONLY | O_CLOEXEC), "r")))
		err(EXIT_FAILURE, "open(/proc/%s)", path);
	/* Real, effective, saved, filesystem: the effective ids act. */
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Uid: %*u %u", &uid);
		sscanf(line, "Gid: %*u %u", &gid);
	}
	fclose(f);
	t->uid = id_inside(t, "uid_map", uid);
	t->gid = id_inside(t, "gid_map", gid);
}

/* setns(2) said no: the usual reasons, in words. */
static void setns_failed(const char *how, const struct target *t)
{
	char flags[160];

	clone_flags_str(t->flags, flags, sizeof(flags));
	if (errno == EPERM)
		err(EXIT_FAILURE, "setns(%s) for %s: the caller has no CAP_SYS_ADMIN "
		    "over these namespaces (they belong to a user namespace: join "
		    "it first, or run as root: sudo make lesson08 ARGS='%d')", how,
		    flags, (int)t->pid);
	if (errno == EINVAL)
		err(EXIT_FAILURE, "setns(%s) for %s: before Linux 5.8 setns() takes "
		    "no pidfd (try -f); or a PID namespace that is not below ours",
		    how, flags);
	err(EXIT_FAILURE, "setns(%s) for %s", how, flags);
}

static void join_namespaces(const struct target *t, bool by_files)
{
	if (!by_files) {
		/*
		 * TODO(2): Move this process into every namespace of the target
		 *          that differs from ours (t->flags), all at once, through
		 *          the pidfd; on failure call setns_failed() with the name
		 *          of the call. Afterwards the account line "the launcher is
		 *          now in" shows the target's namespaces. Read setns(2),
		 *          DESCRIPTION: "fd refers to a process" (Linux 5.8).
		 */
		(void)t;
		(void)setns_failed;
		todo(2, "join the target's namespaces through its pidfd");
		return;
	}
	/*
	 * TODO(2): With -f, do the same the way before Linux 5.8: one setns()
	 *          per file /proc/PID/ns/TYPE of each namespace in t->flags, in
	 *          an order that works for an ordinary user entering a rootless
	 *          container of their own (make check08 tries it), and with
	 *          every file opened before the first setns(). Read setns(2)
	 *          and user_namespaces(7), "Capabilities".
	 */
	todo(2, "join the target's namespaces through /proc/PID/ns");
}

/* The child dies with the launcher: PR_SET_PDEATHSIG, and the pipe whose
 * other end only the launcher holds, for the case where it is gone
 * already (getppid() cannot tell: it is 0 across PID namespaces). */
static void die_with_launcher(int alive)
{
	struct pollfd p = {.fd = alive, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (poll(&p, 1, 0) != 0)
		errx(EXIT_FAILURE, "the launcher is gone");
}

/* The bounding set of the container's PID 1, as lesson 07's step 5 made
 * it: every capability it has not is dropped, or a command run as root
 * gets them all back at execve (capabilities(7), "Transformation of
 * capabilities during execve()"). */
static void drop_bounding_set(uint64_t keep)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			err(EXIT_FAILURE, "prctl(PR_CAPBSET_DROP, %d)", cap);
}

/* Everything here runs in the child, inside the target's namespaces. */
static void run_command(const struct target *t, char **argv, struct pty *pty,
			int alive)
{
	char why[512];
	int e;

	if (pty && pty_attach(pty) == -1)
		err(EXIT_FAILURE, "a controlling terminal (setsid, TIOCSCTTY)");
	/* The target's bounding set while we may still change it (it takes
	 * CAP_SETPCAP, which a change of uid may take away), and our
	 * permitted capabilities kept across the ids, to be cut to the
	 * target's once they are set (confine.h). */
	// tag::bounding[]
	drop_bounding_set(t->conf.bnd);
	if (confine_keep_capabilities(why, sizeof(why)) == -1)
		errx(EXIT_FAILURE, "%s", why);
	// end::bounding[]
	/*
	 * TODO(4): Give this process the target's root directory and working
	 *          directory (held in t->root and t->cwd), and its ids
	 *          (t->gid, t->uid), so the command sees the container's files
	 *          and not the host's, and `id` inside prints the target's ids.
	 *          Read chroot(2), fchdir(2), setresuid(2), setgroups(2): in
	 *          which order may the ids change?
	 */
	(void)t;
	todo(4, "the target's root, working directory and ids");
	/* Without a terminal of its own, a session of its own all the same
	 * (setsid(2)): else the caller's terminal is the command's /dev/tty,
	 * and ioctl(TIOCSTI) on it types into the caller's shell
	 * (bubblewrap's CVE-2017-5226). With one, pty_attach() did it. */
	// tag::session[]
	if (!pty && setsid() == -1)
		err(EXIT_FAILURE, "setsid");
	/* An empty session keyring, as runc exec gives: the caller's holds
	 * the keys of whoever runs us (keyrings(7)). After the ids, so that
	 * it is the command's. ENOSYS: a kernel without keys. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) == -1 &&
	    errno != ENOSYS)
		err(EXIT_FAILURE, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
	// end::session[]
	/* After the ids: changing credentials clears PR_SET_PDEATHSIG. */
	die_with_launcher(alive);
	/* Only 0, 1 and 2 go in: a directory descriptor of the host's
	 * (t->proc) would be a way out, through openat(fd, ".."). Until
	 * the command runs, no process of the container may reach them
	 * either: this one is not dumpable (main), so none may ptrace it
	 * or open its /proc/PID/fd (runc's CVE-2016-9962). */
	close_range(3, ~0U, 0);
	/* Last, as the container's PID 1 had them: its capabilities, then
	 * no_new_privs, then the filter, which the kernel loads only under
	 * no_new_privs once CAP_SYS_ADMIN is gone. */
	// tag::last[]
	if (confine_capabilities(&t->conf, why, sizeof(why)) == -1)
		errx(EXIT_FAILURE, "%s", why);
	if (t->conf.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (t->conf.seccomp == 2 && (e = filter_syscalls()) != 0)
		errx(EXIT_FAILURE, "seccomp(SECCOMP_SET_MODE_FILTER): %s",
		     filter_error(e));
	// end::last[]
	exec_command(argv);
}

/* "pid 3 in the target's PID namespace": the NSpid line of the child,
 * its pid in each PID namespace from ours down to its own. */
static void tell_child(const struct target *t, pid_t pid)
{
	char path[32], line[256];
	int here = 0, inside = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%d/status", (int)pid);
	if (!(f = fdopen(openat(t->proc, path, O_RDONLY | O_CLOEXEC), "r")))
		return; /* gone already */
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "NSpid:", 6) == 0)
			for (char *p = line + 6; (p = strchr(p, '\t')); n++)
				inside = atoi(++p), here = here ? here : inside;
	fclose(f);
	if (n > 1)
		say("the command is pid %d here, pid %d in the target's PID "
		    "namespace", here, inside);
	else if (n == 1)
		say("the command is pid %d, in our own PID namespace", here);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: pid $$, hostname $(hostname), "
			       "$(readlink /proc/self/ns/mnt)\"",
			       NULL};
	struct target t = {.pidfd = -1};
	struct {
		bool tty, by_files;
		char **cmd;
	} o = {.tty = isatty(STDIN_FILENO)};
	struct pty pty;
	char label[96], mine[96], why[512], *end;
	int opt, self_ns, alive[2], code;
	pid_t pid;

	nslab_init("exec", "08");
	/* Options may come before and after PID: two rounds of getopt. */
	for (int round = 0; round < 2; round++) {
		while ((opt = getopt(argc, argv, "+hqtTf")) != -1) {
			switch (opt) {
			case 't':
			case 'T':
				o.tty = opt == 't';
				break;
			case 'f':
				o.by_files = true;
				break;
			case 'q':
				nslab_quiet = true;
				break;
			case 'h':
				usage(stdout, argv[0]);
				return EXIT_SUCCESS;
			default:
				usage(stderr, argv[0]);
				return EXIT_USAGE;
			}
		}
		if (round == 1)
			break;
		if (optind == argc) {
			warnx("which process? PID is missing");
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
		errno = 0;
		t.pid = (pid_t)strtol(argv[optind], &end, 10);
		if (errno || *end || end == argv[optind] || t.pid <= 0) {
			warnx("\"%s\" is not a PID", argv[optind]);
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
		optind++;
	}
	o.cmd = optind < argc ? &argv[optind] : isatty(STDIN_FILENO) ? shell : demo;

	check_may_enter(t.pid);
	/*
	 * TODO(1): Get a file descriptor that names the target process t.pid
	 *          (t.pidfd), with a clear error when there is no such process,
	 *          and set t.flags to the CLONE_NEW* flag of every namespace
	 *          type (ns_types) in which the target differs from this
	 *          process. Afterwards the account lists them, and a process in
	 *          our own namespaces gets "nothing to enter". Read
	 *          pidfd_open(2) and namespaces(7), "The /proc/[pid]/ns/
	 *          directory".
	 */
	todo(1, "a pidfd of the target, and the namespaces to enter");
	if (t.flags == 0)
		errx(EXIT_FAILURE, "process %d is in this process's own namespaces: "
		     "nothing to enter", (int)t.pid);

	say("target pid %d; the launcher is pid %d", (int)t.pid, (int)getpid());
	for (size_t i = 0; i < NS_COUNT; i++)
		if (t.flags & ns_flag(ns_types[i]))
			say("  %s (the launcher's is %s)",
			    ns_label(t.pid, ns_types[i], label, sizeof(label)),
			    ns_label(0, ns_types[i], mine, sizeof(mine)));
	hold_target(&t);
	/* The container's confinement, read while /proc is the host's, and
	 * its cgroup entered before any setns(): after setns(CLONE_NEWNS)
	 * the host's cgroup files are out of sight, after
	 * setns(CLONE_NEWCGROUP) the kernel refuses a move from a cgroup
	 * outside the new root, and the command, forked after, is born
	 * inside: every limit of the container counts it from its first
	 * instant (confine.h). Not dumpable from here to the command's
	 * execve: no process of the container may ptrace us or open our
	 * /proc/PID/fd while we hold descriptors of the host's. */
	// tag::confine[]
	if (confine_read(t.proc, t.pid, &t.conf, why, sizeof(why)) == -1)
		errx(EXIT_FAILURE, "%s", why);
	/* An ordinary user may move only between cgroups delegated to them:
	 * a rootless container of lesson 07 has no cgroup, nor limits, of
	 * its own, and its command may sit in another terminal's session
	 * scope, which is root's. Root is refused nothing here. */
	if (confine_cgroups(&t.conf, why, sizeof(why)) == -1) {
		if (geteuid() == 0 || (errno != EACCES && errno != EPERM))
			errx(EXIT_FAILURE, "%s", why);
		warnx("%s: the command stays in our cgroup (an ordinary user may move "
		      "only within cgroups delegated to them)", why);
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_DUMPABLE, 0)");
	// end::confine[]
	say("the command gets PID %d's %s, and its cgroup", (int)t.pid,
	    confine_describe(&t.conf, why, sizeof(why)));
	if ((self_ns = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAILURE, "open(/proc/self/ns)");

	join_namespaces(&t, o.by_files);

	/* Seen through our /proc/self/ns, opened before: "pid" and "time"
	 * are the ones for children, the only ones setns() changes. */
	clone_flags_str(t.flags, label, sizeof(label));
	say("joined with setns(%s, %s)", o.by_files ? "/proc/PID/ns/*" : "pidfd", label);
	for (size_t i = 0; i < NS_COUNT; i++) {
		const char *type = ns_types[i];
		char link[64], which[32];
		ssize_t n;

		if (!(t.flags & ns_flag(type)))
			continue;
		snprintf(which, sizeof(which), "%s%s", type,
			 ns_flag(type) & (CLONE_NEWPID | CLONE_NEWTIME) ? "_for_children" : "");
		n = readlinkat(self_ns, which, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		say("  the launcher is now in %s", n > 0 ? link : "?");
	}
	close(self_ns);

	if (o.tty) {
		/* The terminal's slave is made owned by the command's ids. */
		setfsgid(t.gid);
		setfsuid(t.uid);
		if (pty_open(&pty, t.root, STDIN_FILENO) == -1)
			err(EXIT_FAILURE, "a terminal from the container's /dev/pts/ptmx");
	}
	if (pipe2(alive, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");

	/*
	 * TODO(3): Start the command so that it really is in the target's PID
	 *          namespace: run_command(&t, o.cmd, o.tty ? &pty : NULL, alive[0])
	 *          must run in a process that setns() could place there, and
	 *          `pid` be that process as this one sees it. Afterwards the
	 *          account says "pid N in the target's PID namespace". Read
	 *          setns(2), "CLONE_NEWPID", and pid_namespaces(7).
	 */
	(void)run_command;
	todo(3, "start the command in the target's PID namespace");
	close(alive[0]);
	tell_child(&t, pid);
	code = o.tty ? pty_relay(&pty, pid) : wait_child(pid);
	say("the command exited with status %d", code);
	/* _exit, not exit: this process's children are now born in the
	 * container's PID namespace, and an exit handler that forks (the
	 * LeakSanitizer's, under make SANITIZE=1) would wait there forever. */
	fflush(NULL);
	_exit(code);
}
