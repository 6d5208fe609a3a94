/* uts.c - run a command with a hostname of its own (lesson 01)
 *
 * The idea: the hostname is not a property of the machine but of a UTS
 * namespace. A child created by clone(2) with CLONE_NEWUTS starts with a
 * copy of its parent's hostname and NIS domain name; whatever it sets
 * afterwards stays in its namespace, and the host (the Bastion) keeps its
 * own name. Containers get their hostname this way.
 *
 * This lesson also teaches the pattern every later one reuses (there it
 * is ns_spawn() in lessons/lib): clone() a child on a stack of its own,
 * hold it on a pipe while the parent looks at it, let it exec the
 * command, wait for it and pass its exit status on.
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
 * Read: clone(2), uts_namespaces(7), namespaces(7), sethostname(2),
 * waitpid(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nslab.h"

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
	int sync_pipe[2];       /* the child waits for one byte on [0] */
	pid_t parent;           /* the launcher, to detect its death */
};

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
		// CHALLENGE BEGIN
		"  -j PID       run COMMAND in the UTS namespace of process PID\n"
		// CHALLENGE END
		"  -q           do not print the account of what happens on stderr\n"
		"  -h           show this help\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson01 ARGS='-n box'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, UTS_NAME_MAX, UTS_NAME_MAX);
}

/* Everything here runs inside the new UTS namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char go;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too.
	 * getppid() catches the case where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		errx(EXIT_FAILURE, "the launcher is gone");

	/* Wait until the parent has looked at us and says go. The child has
	 * a copy of every descriptor, so it closes its own write end first:
	 * then, if the parent dies instead, read() returns 0 (EOF). */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &go, 1) != 1)
		errx(EXIT_FAILURE, "the launcher did not release the child");
	close(a->sync_pipe[0]);

	/* A guard, not a step: without a namespace of its own the next call
	 * would rename the host itself. */
	ensure_own_ns(a->parent, "uts", "set the hostname");
	// BEGIN SOLUTION 2
	// STEP: the names inside are the ones asked
	// TODO: Give this namespace the names the user asked for: afterwards
	//       `hostname` run by the command prints a->hostname (and, when
	//       -d was given, `domainname` prints a->domainname), while the
	//       host's names stay as they were. Read sethostname(2) and
	//       uts_namespaces(7).
	// HINT: Two names live in a UTS namespace: the hostname and the NIS
	//       domain name. Each has a call that sets it for the caller's
	//       namespace only. The domain name is optional (NULL: keep it).
	// HINT: sethostname(2) and setdomainname(2) take the name and its
	//       length (no terminating NUL needed); both return -1 with errno
	//       set on failure: report it with err(3), naming the call.
	// HINT: if (sethostname(____, strlen(____)) == -1)
	//               err(EXIT_FAILURE, "sethostname(%s)", ____);
	//       and the same for the domain name, only when it is not NULL.
	// WRONG no_domain: "if (a->domainname &&" -> "if (false && a->domainname &&" : setdomainname
	// STUB: todo({n}, "set the names inside the new UTS namespace");
	// tag::sethostname[]
	if (sethostname(a->hostname, strlen(a->hostname)) == -1)
		err(EXIT_FAILURE, "sethostname(%s)", a->hostname);
	if (a->domainname &&
	    setdomainname(a->domainname, strlen(a->domainname)) == -1)
		err(EXIT_FAILURE, "setdomainname(%s)", a->domainname);
	// end::sethostname[]
	// END SOLUTION

	/* The command replaces this child and keeps its namespaces. */
	exec_command(a->argv);
}

/* Step 1: start fn(arg) in a child with the namespaces of `flags` new,
 * on `stack` (`size` bytes), a child its parent waits for as for a
 * forked one. From lesson 02 on, ns_spawn() (nslab.h) starts its child
 * with this function: the build takes it, between the EXPORT lines, from
 * this lesson's solution. */
// EXPORT BEGIN ns_clone
pid_t ns_clone(int (*fn)(void *), char *stack, size_t size, int flags,
	       void *arg)
{
	// BEGIN SOLUTION 1
	// STEP: the child runs in a new UTS namespace
	// TODO: Start fn(arg) as a child process that has the namespaces of
	//       `flags` new, and return its pid (-1 if clone fails). The
	//       child must run on `stack`, and the parent must be able to
	//       wait for it like for a forked child. Read clone(2):
	//       DESCRIPTION (the stack, the termination signal) and "The
	//       flags mask".
	// HINT: clone(2) is fork(2) with choices: which namespaces the child
	//       gets new (one CLONE_NEW* flag each), which function it runs,
	//       on which stack. A stack grows down on every architecture
	//       Linux runs on: which end of the mapping does it start from?
	// HINT: The glibc wrapper: clone(fn, stack_top, flags, arg). The
	//       flags are CLONE_NEWUTS and, in the low byte, the signal sent
	//       to the parent when the child ends: waitpid() without __WALL
	//       only sees children that end with SIGCHLD (clone(2), "The
	//       child termination signal").
	// HINT: return clone(fn, stack + ____, flags | ____, arg);
	//       and in main: pid = ns_clone(child_main, stack, STACK_SIZE, ____, &args);
	//       if (pid == -1) clone_failed("clone", ____);
	// WRONG stack_bottom: "stack + size," -> "stack + 0 * size," : top of the stack
	// WRONG no_sigchld: "flags | SIGCHLD" -> "flags" : SIGCHLD
	// STUB: (void)fn;
	// STUB: (void)stack;
	// STUB: (void)size;
	// STUB: (void)flags;
	// STUB: (void)arg;
	// STUB: todo({n}, "start the child in a new UTS namespace");
	// tag::clone[]
	return clone(fn, stack + size, flags | SIGCHLD, arg);
	// end::clone[]
	// END SOLUTION
}
// EXPORT END

/* Step 3: how the child ended, as a shell would report it. Every later
 * lesson waits for its child with these two (nslab.h): the build takes
 * them, between the EXPORT lines, from this lesson's solution. */
// EXPORT BEGIN wait_child
int exit_status(int status)
{
	// BEGIN SOLUTION 3
	// STEP: the exit status is the command's
	// TODO: Make the exit status of this program what a shell would
	//       report for the child: `status` is what waitpid() filled in;
	//       return the child's exit status, or 128+N when signal N killed
	//       it. Afterwards `echo $?` after `uts -- sh -c 'exit 7'` prints
	//       7, and after `uts -- sh -c 'kill -TERM $$'` prints 143. Read
	//       waitpid(2), the macros under "wstatus".
	// HINT: The parent learns how its child ended from waitpid(2), which
	//       fills an int with either an exit status or the number of the
	//       signal that killed it; the macros tell which.
	// HINT: waitpid(2) with the child's pid and a status to fill in,
	//       tried again when a signal interrupts it (EINTR); then the
	//       macros of "wstatus": WIFSIGNALED and WTERMSIG for a signal,
	//       WEXITSTATUS for an exit. The shell adds 128 to a signal.
	// HINT: here: return WIFSIGNALED(status) ? ____ : ____;
	//       in wait_child(): while (waitpid(____, &status, 0) == -1)
	//               if (errno != ____) err(EXIT_FAILURE, "waitpid");
	//       then return ____(status).
	// WRONG no_signal_status: "? 128 + WTERMSIG(status)" -> "? WTERMSIG(status)" : with 128+
	// STUB: (void)status;
	// STUB: todo({n}, "turn how the child ended into an exit status");
	// tag::status[]
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	// end::status[]
	// END SOLUTION
}

int wait_child(pid_t pid)
{
	// BEGIN SOLUTION 3
	// TODO: Part 2, here: wait for the child `pid` to end, and return
	//       exit_status() of how it ended.
	// STUB: /* A stand-in: lets the child finish first. */
	// STUB: if (waitpid(pid, NULL, 0) == -1)
	// STUB: 	err(EXIT_FAILURE, "waitpid");
	// STUB: todo({n}, "wait for the child and pass on its exit status");
	// tag::wait[]
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EXIT_FAILURE, "waitpid(%d)", (int)pid);
	return exit_status(status);
	// end::wait[]
	// END SOLUTION
}
// EXPORT END

// CHALLENGE BEGIN
/* The challenge: a namespace outlives no process, but any process may
 * join one that still has a member. The namespace is a file in /proc,
 * and setns(2) on it moves the caller itself at once (only a PID
 * namespace waits for the next child): no clone, no child, just exec. */
static void join_uts(const char *spec, char **argv)
{
	char path[64], label[96], host[UTS_NAME_MAX + 1];
	char *end;
	long pid;
	int ns;

	errno = 0;
	pid = strtol(spec, &end, 10);
	if (errno || end == spec || *end || pid < 1 || pid > INT_MAX)
		errx(EXIT_USAGE, "-j %s: give the pid of a running process", spec);
	snprintf(path, sizeof(path), "/proc/%ld/ns/uts", pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns == -1)
		err(EXIT_FAILURE, "open(%s): is pid %ld running?", path, pid);
	if (setns(ns, CLONE_NEWUTS) == -1) {
		if (errno == EPERM)
			errx(EXIT_FAILURE, "setns(%s, CLONE_NEWUTS): %s: joining "
			     "needs root: sudo make lesson01 ARGS='-j %ld'",
			     path, strerror(errno), pid);
		err(EXIT_FAILURE, "setns(%s, CLONE_NEWUTS)", path);
	}
	close(ns);
	gethostname(host, sizeof(host));
	say("joined %s of pid %ld, hostname \"%s\"",
	    ns_label(0, "uts", label, sizeof(label)), pid, host);
	exec_command(argv);
}

// CHALLENGE END
int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: hostname $(uname -n), "
			       "$(readlink /proc/self/ns/uts)\"",
			       NULL};
	struct child_args args = {.hostname = DEFAULT_HOSTNAME};
	char label[96], before[UTS_NAME_MAX + 1], after[UTS_NAME_MAX + 1];
	int opt, code = EXIT_FAILURE;
	// CHALLENGE BEGIN
	const char *join = NULL;
	// CHALLENGE END
	char *stack;
	pid_t pid = -1;

	nslab_init("uts", "01");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hqn:d:j:")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hqn:d:")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 'j':
			join = optarg;
			break;
		// CHALLENGE END
		case 'n':
			args.hostname = optarg;
			break;
		case 'd':
			args.domainname = optarg;
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
	if (strlen(args.hostname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "hostname \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.hostname, strlen(args.hostname),
		     UTS_NAME_MAX);
	if (args.domainname && strlen(args.domainname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "domain name \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.domainname,
		     strlen(args.domainname), UTS_NAME_MAX);
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	// CHALLENGE BEGIN
	if (join && (args.domainname || strcmp(args.hostname, DEFAULT_HOSTNAME) != 0))
		errx(EXIT_USAGE, "-j joins a namespace as it is: -n and -d would "
		     "rename it for everyone in it");
	if (join)
		join_uts(join, args.argv);
	// CHALLENGE END

	/* The child blocks on this pipe until the parent writes to it.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	/* clone() runs the child on a stack we give it. MAP_STACK tells the
	 * kernel what the memory is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	gethostname(before, sizeof(before));
	say("parent pid %d in %s, hostname \"%s\"", (int)getpid(),
	    ns_label(0, "uts", label, sizeof(label)), before);

	// BEGIN SOLUTION 1
	// TODO: Part 2, here: start child_main(&args) with ns_clone() in a
	//       UTS namespace of its own, on `stack`, and keep its pid in
	//       `pid`; on -1, clone_failed("clone", flags) (nslab.h) says
	//       why. Afterwards the account line below says "a new UTS
	//       namespace" next to an inode that differs from the parent's.
	// WRONG no_newuts: "STACK_SIZE, CLONE_NEWUTS," -> "STACK_SIZE, 0," : CLONE_NEWUTS
	// STUB: (void)child_main;
	// STUB: todo({n}, "start the child in a new UTS namespace");
	// tag::clone[]
	pid = ns_clone(child_main, stack, STACK_SIZE, CLONE_NEWUTS, &args);
	if (pid == -1)
		clone_failed("clone", CLONE_NEWUTS);
	// end::clone[]
	// END SOLUTION
	say("child  pid %d in %s", (int)pid,
	    ns_account(pid, 0, "uts", label, sizeof(label)));

	/* Release the child: one byte, then close our ends. */
	if (write(args.sync_pipe[1], "g", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	code = wait_child(pid);

	gethostname(after, sizeof(after));
	say("command exited with status %d; the host is still \"%s\"", code, after);
	return code;
}
