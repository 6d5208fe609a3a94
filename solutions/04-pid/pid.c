/* pid.c - run a command as PID 1 of a new PID namespace (lesson 04)
 *
 * The idea: process IDs are numbers in a PID namespace, not on the
 * machine. A child created by clone(2) with CLONE_NEWPID is PID 1 of a new
 * namespace: inside, it and its descendants are numbered 1, 2, 3...;
 * outside, the host (the Bastion) sees them under their ordinary PIDs.
 * /proc shows the PID namespace of whoever mounted it, so the child also
 * gets a mount namespace (CLONE_NEWNS) and mounts a fresh /proc there;
 * mounted in the host's mount namespace, it would replace the host's view
 * of its own processes.
 *
 * PID 1 has duties no other process has: orphans are given to it and it
 * must wait() for them or they stay zombies; the kernel delivers to it only
 * the signals it has a handler for; when it dies, the kernel kills every
 * other process of the namespace. By default COMMAND itself is PID 1 (as
 * with `unshare --pid --fork --mount-proc`); with -i a small init written
 * here is PID 1, forks COMMAND as PID 2, forwards signals to it and reaps
 * orphans (as with `docker run --init`).
 *
 * Usage: pid [-q] [-i] [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo ./pid -- sh -c 'echo "I am $$"; ps -e'
 *   pid: parent pid 4242 in pid:[4026531836], pid_for_children pid:[4026531836]
 *   pid: child  pid 4243 in pid:[4026532613], mnt:[4026532612]: it is PID 1 there
 *   pid: the parent's pid_for_children is still pid:[4026531836]: clone() moved only the child
 *   I am 1
 *       PID TTY          TIME CMD
 *         1 pts/0    00:00:00 sh
 *         2 pts/0    00:00:00 ps
 *   pid: command exited with status 0
 *
 * Read: pid_namespaces(7), clone(2), namespaces(7), proc(5), mount(2),
 *       mount_namespaces(7), wait(2), signal(7).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;      /* the command to run */
	bool init;        /* -i: PID 1 is our init, the command PID 2 */
	int sync_pipe[2]; /* the child waits for a byte on [0] */
	pid_t parent;     /* the launcher, as the host numbers it */
};

/* The signals a terminal, a service manager or kill(1) send to ask a
 * program to stop or reload. The launcher and the init pass them on. */
static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,
				SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static bool quiet;
/* Where forward_signal() sends what it receives; 0: nowhere yet. */
static volatile pid_t forward_to;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-i] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND as PID 1 of a new PID namespace, with a /proc of\n"
		"its own (in a new mount namespace). Without COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  -i  put a small init in front: it is PID 1, runs COMMAND as\n"
		"      PID 2, forwards signals to it and reaps orphans\n"
		"  -q  do not print the account of what happens on stderr\n"
		"  -h  show this help\n"
		"\n"
		"SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to\n"
		"%s are passed on. Without -i, COMMAND is PID 1 and the kernel\n"
		"drops every signal it has no handler for.\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson04 ARGS='-i'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, prog);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("pid: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Stops the program at a step the skeleton leaves to the student. The
 * solution never calls it. */
static __attribute__((noreturn, unused)) void todo(int n, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", n, what);
}

/* "pid:[4026531836]", the target of /proc/PID/ns/NAME, as ls -l shows it. */
static const char *ns_label(const char *pid, const char *name, char *buf,
			    size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, name);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The handler of every forwarded signal. kill() is async-signal-safe;
 * the test of forward_to matters: kill(0, sig) would signal our whole
 * process group, the shell that started us included. */
static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = saved;
}

/* From now on, pass the forwarded signals on to `pid`. */
static void forward_signals_to(pid_t pid)
{
	forward_to = pid;
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Install forward_signal() as the handler of each signal in
	//       forwarded[] with sigaction(2). SA_RESTART makes the wait()
	//       that the handler interrupts start again. A PID 1 that has a
	//       handler receives the signal; one without a handler never
	//       sees it (pid_namespaces(7)).
	// STUB: (void)forward_signal;
	// STUB: todo({n}, "sigaction() for the forwarded signals");
	// tag::forward[]
	struct sigaction sa = {.sa_handler = forward_signal,
			       .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		if (sigaction(forwarded[i], &sa, NULL) == -1)
			err(EXIT_FAILURE, "sigaction(%s)", sigabbrev_np(forwarded[i]));
	// end::forward[]
	// END SOLUTION
}

/* The exec that ends both kinds of child, PID 1 or the init's PID 2.
 * It returns only if the exec failed, with the status to exit with. */
static int run_command(char **argv)
{
	int saved;

	execvp(argv[0], argv);
	saved = errno;
	warn("execvp(%s)", argv[0]);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	return saved == ENOENT ? 127 : 126;
}

/* With -i: we are PID 1. Run the command as our child and do what the
 * kernel expects of an init until the command ends. */
static int run_init(char **argv)
{
	sigset_t fwd, old;
	pid_t command, pid;
	int status;

	// tag::fork[]
	/* A signal that arrives between fork() and our noting the pid would
	 * be lost: block the forwarded ones, and let them in once
	 * forward_to is set. */
	sigemptyset(&fwd);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&fwd, forwarded[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);

	command = fork();
	if (command == -1)
		err(EXIT_FAILURE, "fork");
	if (command == 0) {
		/* The command: default dispositions and mask, as it would
		 * have had without us. */
		for (size_t i = 0; i < NFORWARDED; i++)
			signal(forwarded[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(run_command(argv));
	}
	forward_signals_to(command);
	sigprocmask(SIG_SETMASK, &old, NULL);
	// end::fork[]
	say("init: I am PID %d; the command is PID %d", (int)getpid(),
	    (int)command);

	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Be the reaper of the namespace. Orphans are reparented to PID
	//       1, and a dead child stays a zombie until its parent waits for
	//       it. Loop on wait(2) (wait for ANY child): retry on EINTR; a pid
	//       that is not `command` is an orphan you just reaped; when it is
	//       `command`, return exit_status(status). Read: wait(2),
	//       pid_namespaces(7).
	// STUB: (void)pid;
	// STUB: (void)status;
	// STUB: todo({n}, "the init's wait() loop that reaps every child");
	// tag::reap[]
	for (;;) {
		pid = wait(&status);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			err(EXIT_FAILURE, "wait");
		if (pid == command)
			break;
		say("init: reaped orphan pid %d", (int)pid);
	}
	// end::reap[]
	// END SOLUTION
	/* Returning ends PID 1, and with it the namespace: the kernel sends
	 * SIGKILL to every process left in it (pid_namespaces(7)). */
	say("init: the command exited with status %d; the namespace ends with me",
	    exit_status(status));
	return exit_status(status);
}

/* Refuse to mount anything unless this process really has a mount
 * namespace of its own: a clone() without CLONE_NEWNS would put the new
 * /proc over the host's. */
static void ensure_own_mnt(pid_t parent)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)parent);
	if (stat("/proc/self/ns/mnt", &mine) == -1 || stat(path, &theirs) == -1)
		err(EXIT_FAILURE, "stat(/proc/.../ns/mnt)");
	if (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino)
		errx(EXIT_FAILURE, "refusing to mount /proc: this process still "
		     "shares the host's mount namespace (did clone() get "
		     "CLONE_NEWNS?)");
}

/* Refuse to mount /proc while "/" or "/proc" is still a shared mount: the
 * new /proc would propagate to the host's mount namespace
 * (mount_namespaces(7)). mountinfo marks a shared mount "shared:N"
 * among the optional fields before " - " (proc(5)). */
static void ensure_private(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[4096];

	if (!f)
		err(EXIT_FAILURE, "fopen(/proc/self/mountinfo)");
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 || !dash)
			continue;
		*dash = '\0';
		if ((!strcmp(point, "/") || !strcmp(point, "/proc")) &&
		    strstr(line, " shared:"))
			errx(EXIT_FAILURE, "refusing to mount /proc: \"%s\" is "
			     "still a shared mount and the new /proc would "
			     "propagate to the host; make \"/\" private first",
			     point);
	}
	fclose(f);
}

/* Everything here runs inside the new PID and mount namespaces, as PID 1. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	ssize_t n;
	char c;

	/* If the launcher dies (even by SIGKILL), the kernel kills us, and
	 * as we are PID 1, the whole namespace with us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");

	/* Wait until the parent has looked at us and sends one byte. Our
	 * parent lives outside this namespace, so getppid() returns 0 here:
	 * EOF without the byte is how we learn that it is already gone. The
	 * child's copy of the write end is closed first, or that EOF would
	 * never come. */
	close(a->sync_pipe[1]);
	n = read(a->sync_pipe[0], &c, 1);
	if (n == -1)
		err(EXIT_FAILURE, "read(sync pipe)");
	if (n == 0)
		errx(EXIT_FAILURE, "the launcher is gone");
	close(a->sync_pipe[0]);

	ensure_own_mnt(a->parent);
	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Make every mount of the new namespace private, on its own
	//       mount(2) call: mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
	//       NULL). The copy of a shared mount is still a peer of the
	//       host's, and the /proc you mount next would appear there too
	//       (mount_namespaces(7)).
	// STUB: todo({n}, "mount(\"/\", MS_REC | MS_PRIVATE) in the child");
	// tag::private[]
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_FAILURE, "mount(/, MS_REC | MS_PRIVATE)");
	// end::private[]
	// END SOLUTION

	ensure_private();
	// BEGIN SOLUTION 4
	// STEP: TODO(4)
	// TODO: Mount a fresh proc filesystem on /proc: mount(2) with source
	//       "proc", type "proc" and the flags MS_NOSUID | MS_NODEV |
	//       MS_NOEXEC (no set-uid programs, device files or executables
	//       in /proc). A proc mount shows the PID namespace of the
	//       process that mounts it: ours (proc(5), pid_namespaces(7)).
	// STUB: todo({n}, "mount(\"proc\", \"/proc\", \"proc\", ...) in the child");
	// tag::proc[]
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		err(EXIT_FAILURE, "mount(proc, /proc)");
	// end::proc[]
	// END SOLUTION

	if (a->init)
		return run_init(a->argv);
	return run_command(a->argv);
}

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	if (errno == EPERM)
		err(EXIT_FAILURE, "clone(CLONE_NEWPID | CLONE_NEWNS): creating a "
		    "namespace needs CAP_SYS_ADMIN; run as root: sudo make lesson04");
	if (errno == ENOSPC)
		err(EXIT_FAILURE, "clone(CLONE_NEWPID | CLONE_NEWNS): too many "
		    "namespaces; see /proc/sys/user/max_pid_namespaces and "
		    "max_mnt_namespaces");
	if (errno == EINVAL)
		err(EXIT_FAILURE, "clone(CLONE_NEWPID | CLONE_NEWNS): this kernel "
		    "was built without PID namespaces (CONFIG_PID_NS)");
	err(EXIT_FAILURE, "clone(CLONE_NEWPID | CLONE_NEWNS)");
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: I am pid $$ in "
			       "$(readlink /proc/self/ns/pid)\"; "
			       "echo \"inside: /proc lists\" /proc/[0-9]*",
			       NULL};
	struct child_args args = {0};
	char label[64], label2[64], child[16];
	int opt, status;
	char *stack;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hqi")) != -1) {
		switch (opt) {
		case 'i':
			args.init = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the parent writes to it.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	say("parent pid %d in %s, pid_for_children %s", (int)getpid(),
	    ns_label("self", "pid", label, sizeof(label)),
	    ns_label("self", "pid_for_children", label2, sizeof(label2)));
	say("parent mount namespace %s", ns_label("self", "mnt", label, sizeof(label)));

	// BEGIN SOLUTION 5
	// STEP: TODO(5)
	// TODO: Start child_main(&args) as PID 1 of a new PID namespace:
	//       clone(2) with the top of the stack (stack + STACK_SIZE) and
	//       the flags CLONE_NEWPID (a new PID namespace) | CLONE_NEWNS (a
	//       new mount namespace, for its own /proc) | SIGCHLD (so that
	//       waitpid sees the child end). Keep the child's pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWPID | CLONE_NEWNS | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE,
		    CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	/* The signals a user sends us are meant for the command. Set up
	 * after clone(): until now they simply end us, and the child with
	 * us (PR_SET_PDEATHSIG). */
	forward_signals_to(pid);

	snprintf(child, sizeof(child), "%d", (int)pid);
	say("child  pid %d in %s, %s: it is PID 1 there", (int)pid,
	    ns_label(child, "pid", label, sizeof(label)),
	    ns_label(child, "mnt", label2, sizeof(label2)));
	say("the parent's pid_for_children is still %s: clone() moved only "
	    "the child", ns_label("self", "pid_for_children", label,
				  sizeof(label)));

	/* Release the child with one byte, then close our ends. */
	if (write(args.sync_pipe[1], "x", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EXIT_FAILURE, "waitpid");
	say("command exited with status %d", exit_status(status));
	return exit_status(status);
}
