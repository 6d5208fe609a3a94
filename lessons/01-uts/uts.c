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
	/*
	 * TODO(2): Give this namespace the names the user asked for: afterwards
	 *          `hostname` run by the command prints a->hostname (and, when
	 *          -d was given, `domainname` prints a->domainname), while the
	 *          host's names stay as they were. Read sethostname(2) and
	 *          uts_namespaces(7).
	 */
	todo(2, "set the names inside the new UTS namespace");

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
	/*
	 * TODO(1): Start fn(arg) as a child process that has the namespaces of
	 *          `flags` new, and return its pid (-1 if clone fails). The
	 *          child must run on `stack`, and the parent must be able to
	 *          wait for it like for a forked child. Read clone(2):
	 *          DESCRIPTION (the stack, the termination signal) and "The
	 *          flags mask".
	 */
	(void)fn;
	(void)stack;
	(void)size;
	(void)flags;
	(void)arg;
	todo(1, "start the child in a new UTS namespace");
}
// EXPORT END

/* Step 3: how the child ended, as a shell would report it. Every later
 * lesson waits for its child with these two (nslab.h): the build takes
 * them, between the EXPORT lines, from this lesson's solution. */
// EXPORT BEGIN wait_child
int exit_status(int status)
{
	/*
	 * TODO(3): Make the exit status of this program what a shell would
	 *          report for the child: `status` is what waitpid() filled in;
	 *          return the child's exit status, or 128+N when signal N killed
	 *          it. Afterwards `echo $?` after `uts -- sh -c 'exit 7'` prints
	 *          7, and after `uts -- sh -c 'kill -TERM $$'` prints 143. Read
	 *          waitpid(2), the macros under "wstatus".
	 */
	(void)status;
	todo(3, "turn how the child ended into an exit status");
}

int wait_child(pid_t pid)
{
	/*
	 * TODO(3): Part 2, here: wait for the child `pid` to end, and return
	 *          exit_status() of how it ended.
	 */
	/* A stand-in: lets the child finish first. */
	if (waitpid(pid, NULL, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	todo(3, "wait for the child and pass on its exit status");
}
// EXPORT END

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
	char *stack;
	pid_t pid = -1;

	nslab_init("uts", "01");
	while ((opt = getopt(argc, argv, "+hqn:d:")) != -1) {
		switch (opt) {
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

	/*
	 * TODO(1): Part 2, here: start child_main(&args) with ns_clone() in a
	 *          UTS namespace of its own, on `stack`, and keep its pid in
	 *          `pid`; on -1, clone_failed("clone", flags) (nslab.h) says
	 *          why. Afterwards the account line below says "a new UTS
	 *          namespace" next to an inode that differs from the parent's.
	 */
	(void)child_main;
	todo(1, "start the child in a new UTS namespace");
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
