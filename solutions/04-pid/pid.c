/* pid.c - run a command as PID 1 of a new PID namespace (lesson 04)
 *
 * The idea: process IDs are numbers in a PID namespace, not on the
 * machine. A child created by clone(2) with CLONE_NEWPID is PID 1 of a new
 * namespace: inside, it and its descendants are numbered 1, 2, 3...;
 * outside, the host (the Bastion) sees them under their ordinary PIDs.
 * /proc shows the PID namespace of whoever mounted it, so the child also
 * gets a mount namespace (CLONE_NEWNS) and mounts a fresh /proc there.
 *
 * PID 1 has duties no other process has: orphans are reparented to it
 * and stay zombies until it wait()s for them; it receives only the
 * signals it handles or blocks to wait for (SIGKILL and SIGSTOP from an
 * ancestor namespace and its own faults excepted); when it dies, the
 * kernel kills the rest of the namespace. COMMAND itself is PID 1, or,
 * with -i, an init you write here (as `docker run --init`). The clone
 * pattern of lesson 01 is ns_spawn() in lessons/lib; starting the command
 * and passing signals on once, through pidfds, are in lessons/lib/init.c.
 *
 * Usage: pid [-q] [-i] [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo build/solutions/04-pid/pid -i -- sh -c 'echo "I am $$"; ps -o pid,comm'
 *   pid: parent pid 4242 in pid:[4026531836], pid_for_children pid:[4026531836], mnt:[4026531841]
 *   pid: child  pid 4243 in pid:[4026532613], a new PID namespace
 *   pid: child  mounts in mnt:[4026532612], a new mount namespace
 *   pid: the parent's pid_for_children is still pid:[4026531836]: clone() moved only the child
 *   pid: init: I am PID 1; the command is PID 2
 *   I am 2
 *       PID COMMAND
 *         1 pid
 *         2 sh
 *         3 ps
 *   pid: init: the command exited with status 0; no process is left
 *   pid: command exited with status 0
 *
 * Read: pid_namespaces(7), clone(2), proc(5), waitpid(2), sigwaitinfo(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "nslab.h"

/* What the parent hands to the child through ns_spawn(). */
struct child_args {
	char **argv;   /* the command to run */
	bool init;     /* -i: PID 1 is our init, the command PID 2 */
	bool terminal; /* the command's process group takes the terminal */
	pid_t parent;  /* the launcher, as the host numbers it */
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-i] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND as PID 1 of a new PID namespace, with a /proc of\n"
		"its own (in a new mount namespace). Without COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"  -i  an init is PID 1: it runs COMMAND as PID 2, passes signals\n"
		"      on to it and reaps every child\n"
		// CHALLENGE BEGIN
		"  -s N  with -i, COMMAND is PID N instead of 2 (2 to 4194304)\n"
		// CHALLENGE END
		"  -q  do not print the account of what happens on stderr\n"
		"  -h  show this help\n"
		"SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to\n"
		"%s are passed on, once. Without -i, COMMAND is PID 1 and the\n"
		"kernel drops every signal it has no handler for.\n"
		"Creating a namespace needs root: sudo make lesson04 ARGS='-i'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, prog);
}

/* PID 1's loop, event by event, until no child is left; the command's
 * exit status. Lesson 07's container runs this loop too (init_run() in
 * lessons/lib/init.h): the build takes it, between the EXPORT lines, from
 * this lesson's solution, so 07 works before this lesson is done. */
// EXPORT BEGIN init_loop
int init_loop(const sigset_t *wait_for, pid_t cmd, int cmdfd)
{
	int status, code = EXIT_FAILURE;
	siginfo_t si;
	pid_t pid;

	// BEGIN SOLUTION 3
	// STEP: PID 1 reaps every child and passes signals on
	// TODO: Be PID 1, event by event: a signal of `wait_for` for the
	//       command goes on to it (init_forward() to `cmdfd`); SIGCHLD
	//       means children ended: reap them all, orphans as well as `cmd`
	//       (its exit_status() goes in `code`, then init_end_the_rest()).
	//       Stop when no child is left. Afterwards, behind -i, orphans
	//       never stay zombies (Z in ps) and SIGTERM sent to pid ends the
	//       command. Read pid_namespaces(7), "The namespace init process",
	//       signal(7), "Synchronously accepting a signal", and waitpid(2).
	// HINT: The signals are blocked: nothing interrupts you, you fetch
	//       them. One call waits for any signal of a set; SIGCHLD then
	//       says "at least one child ended" (several endings may make
	//       one SIGCHLD), so reap in a loop until none is ready, and the
	//       loop is over when the kernel says you have no child at all.
	// HINT: sigwaitinfo(2) on `wait_for` (retry on EINTR) fills `si`;
	//       waitpid(2) with pid -1 (any child) and WNOHANG returns a pid,
	//       0 (none ended yet), or -1 with errno ECHILD (no child left).
	// HINT: for (;;) {
	//               if (sigwaitinfo(____, &si) == -1) ...
	//               if (si.si_signo != ____) { init_forward(____); continue; }
	//               while ((pid = waitpid(____, &status, ____)) > 0)
	//                       if (pid == cmd) { code = ____; /* end the rest */ }
	//               if (pid == -1 && errno == ____) break;
	//       }
	// WRONG wait_cmd_only: "waitpid(-1," -> "waitpid(cmd," : any child
	// WRONG no_forward: "init_forward(cmdfd, &si);" -> "(void)cmdfd;" : init_forward
	// WRONG no_end_the_rest: "init_end_the_rest();" -> "(void)0;" : init_end_the_rest
	// STUB: (void)wait_for;
	// STUB: (void)cmd;
	// STUB: (void)cmdfd;
	// STUB: (void)si;
	// STUB: (void)status;
	// STUB: (void)pid;
	// STUB: todo({n}, "PID 1's loop: pass signals on, reap every child");
	// tag::loop[]
	for (;;) {
		if (sigwaitinfo(wait_for, &si) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAILURE, "sigwaitinfo");
		}
		if (si.si_signo != SIGCHLD) {
			init_forward(cmdfd, &si);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != cmd) {
				say("init: reaped orphan pid %d", (int)pid);
				continue;
			}
			code = exit_status(status);
			init_end_the_rest();
		}
		/* With WNOHANG, -1 can only mean ECHILD: no child left. */
		if (pid == -1 && errno == ECHILD)
			break;
	}
	// end::loop[]
	// END SOLUTION
	return code;
}
// EXPORT END

// CHALLENGE BEGIN
/* The challenge, -s N: a PID namespace hands out the number after the
 * last it gave, and that number is a file of the namespace,
 * /proc/sys/kernel/ns_last_pid (pid_namespaces(7), "/proc/sys/kernel/
 * ns_last_pid"): written by PID 1 just before it forks, with nobody else
 * forking here, it sets the command's PID, as CRIU does to restore a
 * process under its old number. */
static long command_pid;

static void set_next_pid(long pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

	if (!f || fprintf(f, "%ld", pid - 1) < 0 || fclose(f) == EOF)
		err(EXIT_FAILURE, "write(/proc/sys/kernel/ns_last_pid, %ld)", pid - 1);
}

// CHALLENGE END
/* With -i: we are PID 1. Run the command as our child and do what the
 * kernel expects of PID 1 until no process is left in the namespace. */
static int run_init(char **argv, bool terminal)
{
	sigset_t wait_for, old;
	int cmdfd, code;
	pid_t cmd;

	/* SIGCHLD and the signals to pass on stay blocked: the loop fetches
	 * them, so none is lost or handled behind its back. */
	init_block_signals(&wait_for, &old);
	// CHALLENGE BEGIN
	if (command_pid)
		set_next_pid(command_pid);
	// CHALLENGE END
	cmd = init_spawn(argv, &old, terminal, &cmdfd);
	say("init: I am PID %d; the command is PID %d", (int)getpid(), (int)cmd);
	code = init_loop(&wait_for, cmd, cmdfd);
	/* Returning ends PID 1, and with it the namespace. */
	say("init: the command exited with status %d; no process is left", code);
	return code;
}

/* Refuse to mount /proc on a shared "/" or "/proc": it would propagate
 * to the host (mount_namespaces(7)). mountinfo marks a shared mount
 * "shared:N" among the fields before " - " (proc(5)). */
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
			     "still a shared mount (shared:N in mountinfo) and the "
			     "new /proc would show up on the host too", point);
	}
	fclose(f);
}

/* Everything here runs inside the new PID and mount namespaces, as PID 1. */
static int child_main(void *arg)
{
	struct child_args *a = arg;

	/* Guards: in the host's PID namespace the init's kill(-1) would
	 * reach every process of the machine; in its mount namespace the
	 * new /proc would hide the host's. */
	ensure_own_ns(a->parent, "pid", "act as PID 1");
	ensure_own_ns(a->parent, "mnt", "mount /proc");
	/* A process group of its own: a signal sent to the launcher's group
	 * reaches the launcher alone, which passes it on (init.h). */
	own_process_group(a->terminal && !a->init);

	/* Lesson 03's step 2, given here: a new mount namespace starts
	 * with copies of the host's mounts, and on a systemd host a copy of
	 * the shared "/" is a peer of it, so a /proc mounted below would show
	 * up on the host. Every mount private, in a call of its own
	 * (mount_namespaces(7), "Shared subtrees"). */
	// tag::private[]
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_FAILURE, "mount(/, MS_REC | MS_PRIVATE)");
	// end::private[]

	ensure_private();
	// BEGIN SOLUTION 2
	// STEP: a fresh /proc shows only the namespace
	// TODO: Give this namespace a /proc of its own: afterwards `ps -e`
	//       inside shows only the namespace's processes, numbered from 1,
	//       and findmnt /proc shows nosuid,nodev,noexec (no set-user-ID
	//       programs, device files or executables there). Read proc(5)
	//       and pid_namespaces(7), "/proc and PID namespaces".
	// HINT: A proc filesystem shows the PID namespace of the process that
	//       mounts it, and you are PID 1 of the new one. Mount a new one
	//       over the old /proc: the old one stays hidden underneath, in
	//       this mount namespace only.
	// HINT: mount(2) with source "proc", target "/proc", type "proc", the
	//       flags MS_NOSUID, MS_NODEV and MS_NOEXEC, and no data.
	// HINT: if (mount(____, "/proc", ____, ____ | ____ | ____, NULL) == -1)
	//               err(EXIT_FAILURE, "mount(____, /proc)");
	// WRONG proc_flags: "MS_NOSUID | MS_NODEV | MS_NOEXEC" -> "0" : MS_NOSUID
	// STUB: todo({n}, "mount a fresh /proc for the new PID namespace");
	// tag::proc[]
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		err(EXIT_FAILURE, "mount(proc, /proc)");
	// end::proc[]
	// END SOLUTION
	ensure_proc_is_ours();

	if (a->init)
		return run_init(a->argv, a->terminal);
	exec_command(a->argv);
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
	struct ns_child child;
	char label[96], label2[96], label3[96];
	int opt, code, flags = 0;
	pid_t pid = -1;

	nslab_init("pid", "04");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hqis:")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hqi")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 's': {
			char *end;

			errno = 0;
			command_pid = strtol(optarg, &end, 10);
			/* 4194304: PID_MAX_LIMIT, the most pid_max can be. */
			if (errno || end == optarg || *end || command_pid < 2 ||
			    command_pid > 4194304)
				errx(EXIT_USAGE, "-s \"%s\": give a PID from 2 to 4194304 "
				     "(1 is the init's)", optarg);
			break;
		}
		// CHALLENGE END
		case 'i':
			args.init = true;
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
	// CHALLENGE BEGIN
	if (command_pid && !args.init)
		errx(EXIT_USAGE, "-s needs -i: without an init the command is PID 1");
	// CHALLENGE END
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	args.parent = getpid();
	args.terminal = terminal_ours();

	say("parent pid %d in %s, pid_for_children %s, %s", (int)getpid(),
	    ns_label(0, "pid", label, sizeof(label)),
	    ns_label(0, "pid_for_children", label2, sizeof(label2)),
	    ns_label(0, "mnt", label3, sizeof(label3)));

	// BEGIN SOLUTION 1
	// STEP: the child is PID 1 of a new PID namespace
	// TODO: Start child_main(&args) with ns_spawn() (nslab.h: lesson 01's
	//       clone pattern) as the first process of a new PID namespace,
	//       with a mount namespace of its own for its /proc; keep its pid
	//       in `pid`. Afterwards the account says "a new PID namespace"
	//       and "a new mount namespace", while the parent's own
	//       pid_for_children stays. Read pid_namespaces(7), clone(2).
	// HINT: One call makes the child and its namespaces at once: the
	//       child is PID 1 of the new PID namespace, its parent stays.
	// HINT: ns_spawn(&child, flags, fn, arg) takes the CLONE_NEW* flags
	//       of clone(2): one for a PID namespace, one for a mount
	//       namespace (its name is older than the others': CLONE_NEWNS).
	// HINT: flags = ____ | ____;
	//       pid = ns_spawn(____, flags, ____, &args);
	// WRONG no_newpid: "CLONE_NEWPID | CLONE_NEWNS;" -> "CLONE_NEWNS;" : CLONE_NEWPID
	// WRONG no_newns: "CLONE_NEWPID | CLONE_NEWNS;" -> "CLONE_NEWPID;" : CLONE_NEWNS
	// STUB: (void)child_main;
	// STUB: (void)args;
	// STUB: todo({n}, "start the child in new PID and mount namespaces");
	// tag::clone[]
	flags = CLONE_NEWPID | CLONE_NEWNS;
	pid = ns_spawn(&child, flags, child_main, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed("clone", flags);
	/* The signals a user sends us are meant for the command. */
	forward_signals(pid);

	say("child  pid %d in %s", (int)pid,
	    ns_account(pid, 0, "pid", label, sizeof(label)));
	say("child  mounts in %s", ns_account(pid, 0, "mnt", label, sizeof(label)));
	say("the parent's pid_for_children is still %s: clone() moved only "
	    "the child", ns_label(0, "pid_for_children", label, sizeof(label)));

	ns_release(&child);
	code = wait_child(pid);
	terminal_back();
	say("command exited with status %d", code);
	return code;
}
