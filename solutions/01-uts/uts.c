/* uts.c - run a command with a hostname of its own (lesson 01)
 *
 * The idea: the hostname is not a property of the machine but of a UTS
 * namespace. A child created by clone(2) with CLONE_NEWUTS starts with a
 * copy of its parent's hostname and NIS domain name; whatever it sets
 * afterwards stays in its namespace, and the host (the Bastion) keeps its
 * own name. Containers get their hostname this way.
 *
 * Usage: uts [-q] [-n HOSTNAME] [-d DOMAIN] [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo ./uts -n box -- hostname
 *   uts: parent pid 4242 in uts:[4026531838], hostname "vm"
 *   uts: child  pid 4243 in uts:[4026532611], a new UTS namespace
 *   box
 *   uts: command exited with status 0; the host is still "vm"
 *   $ hostname
 *   vm
 *
 * Read: clone(2), uts_namespaces(7), namespaces(7), sethostname(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_HOSTNAME "nslab"
/* The kernel keeps both names in 65-byte arrays (struct new_utsname),
 * so each holds at most 64 bytes: HOST_NAME_MAX. */
#define UTS_NAME_MAX HOST_NAME_MAX

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;            /* the command to run */
	const char *hostname;   /* to set in the new namespace */
	const char *domainname; /* NULL: keep the copy of the parent's */
	int sync_pipe[2];       /* the child waits for EOF on [0] */
	pid_t parent;           /* the launcher, to detect its death */
};

static bool quiet;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-n HOSTNAME] [-d DOMAIN] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new UTS namespace whose hostname is HOSTNAME\n"
		"(default \"" DEFAULT_HOSTNAME "\"). Without COMMAND: a shell when\n"
		"stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  -n HOSTNAME  hostname inside (at most %d bytes)\n"
		"  -d DOMAIN    NIS domain name inside (at most %d bytes)\n"
		"  -q           do not print the account of what happens on stderr\n"
		"  -h           show this help\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson01 ARGS='-n box'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, UTS_NAME_MAX, UTS_NAME_MAX);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("uts: ", stderr);
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

/* "uts:[4026531838]", the target of /proc/PID/ns/uts, as ls -l shows it. */
static const char *ns_label(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)pid);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* Refuse to touch the hostname unless this process really is in a UTS
 * namespace of its own: a clone() without CLONE_NEWUTS would otherwise
 * rename the host itself. */
static void ensure_own_uts(pid_t parent)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)parent);
	if (stat("/proc/self/ns/uts", &mine) == -1 || stat(path, &theirs) == -1)
		err(EXIT_FAILURE, "stat(/proc/.../ns/uts)");
	if (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino)
		errx(EXIT_FAILURE, "refusing to set the hostname: this process "
			"still shares the host's UTS namespace (did clone() get "
			"CLONE_NEWUTS?)");
}

/* Everything here runs inside the new UTS namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char c;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too:
	 * nothing of the lesson may outlive it. getppid() catches the case
	 * where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		errx(EXIT_FAILURE, "the launcher is gone");

	/* Wait until the parent has looked at us and closed its end. The
	 * child has a copy of every descriptor, so it must close its own
	 * write end first, or the read below never sees EOF. */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &c, 1) == -1)
		err(EXIT_FAILURE, "read(sync pipe)");
	close(a->sync_pipe[0]);

	ensure_own_uts(a->parent);
	// BEGIN SOLUTION
	// TODO: Give the new namespace its names: sethostname(2) with
	//       a->hostname and, when a->domainname is not NULL,
	//       setdomainname(2). Both change only the caller's UTS namespace
	//       (uts_namespaces(7)), so the host keeps its own.
	// STUB: todo({n}, "sethostname() in the child");
	// tag::sethostname[]
	if (sethostname(a->hostname, strlen(a->hostname)) == -1)
		err(EXIT_FAILURE, "sethostname(%s)", a->hostname);
	if (a->domainname &&
	    setdomainname(a->domainname, strlen(a->domainname)) == -1)
		err(EXIT_FAILURE, "setdomainname(%s)", a->domainname);
	// end::sethostname[]
	// END SOLUTION

	execvp(a->argv[0], a->argv);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", a->argv[0]);
}

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	const char *why = strerror(errno);

	if (errno == EPERM)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUTS): %s: creating a namespace "
		     "needs CAP_SYS_ADMIN; run as root: sudo make lesson01", why);
	if (errno == ENOSPC)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUTS): %s: too many UTS "
		     "namespaces; see /proc/sys/user/max_uts_namespaces", why);
	if (errno == EINVAL)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUTS): %s: this kernel was built "
		     "without UTS namespaces (CONFIG_UTS_NS)", why);
	errx(EXIT_FAILURE, "clone(CLONE_NEWUTS): %s", why);
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: hostname $(uname -n), "
			       "$(readlink /proc/self/ns/uts)\"",
			       NULL};
	struct child_args args = {.hostname = DEFAULT_HOSTNAME};
	char label[64], before[UTS_NAME_MAX + 1], after[UTS_NAME_MAX + 1];
	int opt, status;
	char *stack;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hqn:d:")) != -1) {
		switch (opt) {
		case 'n':
			args.hostname = optarg;
			break;
		case 'd':
			args.domainname = optarg;
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
	if (strlen(args.hostname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "hostname \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.hostname, strlen(args.hostname),
		     UTS_NAME_MAX);
	if (args.domainname && strlen(args.domainname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "domain name \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.domainname,
		     strlen(args.domainname), UTS_NAME_MAX);
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the parent closes its end.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	// tag::stack[]
	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");
	// end::stack[]

	gethostname(before, sizeof(before));
	say("parent pid %d in %s, hostname \"%s\"", (int)getpid(),
	    ns_label(getpid(), label, sizeof(label)), before);

	// BEGIN SOLUTION
	// TODO: Start child_main(&args) in a new UTS namespace: clone(2) with
	//       the top of the stack (stack + STACK_SIZE) and the flags
	//       CLONE_NEWUTS (a new UTS namespace) | SIGCHLD (so that waitpid
	//       sees the child end). Keep the child's pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWUTS | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWUTS | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	say("child  pid %d in %s, a new UTS namespace", (int)pid,
	    ns_label(pid, label, sizeof(label)));

	/* Release the child: closing the last write end gives it EOF. */
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	gethostname(after, sizeof(after));
	say("command exited with status %d; the host is still \"%s\"",
	    exit_status(status), after);
	return exit_status(status);
}
