/* cgroup.c - run a command in a cgroup of its own, with limits (lesson 09)
 *
 * The idea: a namespace changes what a process sees; a control group
 * changes what it may use. A cgroup is a directory in a cgroup file
 * system: make one, write limits into the files the kernel puts in it,
 * write a pid into the one that lists its members, and that process and
 * everything it starts from then on is counted and held to those limits. A fork
 * bomb gets EAGAIN, a memory hog meets the OOM killer, a busy loop gets
 * its share of the CPU and no more: the host goes on. Docker's
 * --pids-limit, --memory and --cpus are exactly these files.
 *
 * The seventh namespace goes with it: in a new cgroup namespace, made
 * after the move, the cgroup the process is in is its root, "/", so the
 * command cannot see (or name) where the host put it.
 *
 * cgroup v2 (one tree, every controller) comes first; on hosts whose
 * controllers are still in v1 trees, one per controller, the same steps
 * use those. Removing the cgroup when the run ends, however it ends, is
 * the work of a reaper process from lessons/lib (cgroup_reaper.h).
 *
 * Usage: cgroup [-q] [--pids-limit N] [--memory SIZE] [--cpus N.N]
 *               [--cgroup-parent PATH] [--] [COMMAND [ARG...]]
 *
 * Sample session (a hybrid host, controllers on v1):
 *   $ sudo ./cgroup --pids-limit 5 -- cat /proc/self/cgroup
 *   cgroup: found cgroup v1 (a hybrid host: pids, memory and cpu on v1 ...)
 *   cgroup: parent pid 4242 in cgroup:[4026531835], in cgroup /
 *   cgroup: made /sys/fs/cgroup/pids/nslab/cgroup-4242 and 2 more
 *   cgroup: limits: pids.max 5, memory.limit_in_bytes 9223372036854771712, ...
 *   cgroup: child  pid 4244 moved into /nslab/cgroup-4242
 *   cgroup: child  pid 4244 in cgroup:[4026532611], a new cgroup namespace
 *   8:pids:/
 *   ...
 *   0::/
 *   cgroup: command exited with status 0; its cgroup is removed
 *
 * Read: cgroups(7), cgroup_namespaces(7), the kernel's
 * Documentation/admin-guide/cgroup-v2.rst, unshare(2).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_reaper.h"
#include "limit_options.h"
#include "nslab.h"

/* What the parent hands to the child through ns_spawn(). */
struct child_args {
	char **argv;              /* the command to run */
	pid_t parent;             /* the launcher, to compare namespaces with */
	const struct cgroup *cg;  /* its cgroup, for the account */
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [--pids-limit N] [--memory SIZE] [--cpus N.N]\n"
		"          [--cgroup-parent PATH] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a cgroup of its own, with limits, and in a new cgroup\n"
		"namespace where that cgroup is the root. Without COMMAND: a shell when\n"
		"stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  --pids-limit N        at most N processes (pids.max)\n"
		"  --memory SIZE         at most SIZE of memory, K, M or G (memory.max)\n"
		"  --cpus N.N            at most N.N CPUs' worth of time (cpu.max)\n"
		"  --cgroup-parent PATH  make the cgroup under PATH (default \"%s\")\n"
		"  -q                    do not print the account of what happens\n"
		"  -h                    show this help\n"
		"\n"
		"Making a cgroup needs root: sudo make lesson09 ARGS='--pids-limit 5'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it (137: the\n"
		"OOM killer). The cgroup is removed when the run ends.\n",
		prog, cg_default_parent());
}

/* Steps 1 to 4 are what lesson 07's container uses for its limits and,
 * on v2, its cgroup namespace (cg_start(), cg_enter() and
 * cg_enter_namespace() in lessons/lib/cgroup.h): the build takes these
 * four functions, between the EXPORT lines, from this lesson's solution,
 * so 07 has them before this lesson is done. */
// EXPORT BEGIN cg_steps

/* Step 1: the cgroup itself, in every tree the controllers live in
 * (one on v2; pids, memory and cpu each have their own on v1). */
void cg_make(const struct cgroup *cg)
{
	/*
	 * TODO(1): Create the cgroup of this run: afterwards each of the
	 *          cg->ndirs directories cg->dir[i] exists (one on cgroup v2,
	 *          one per controller tree on v1) and the kernel has filled it
	 *          with files (`ls` one of them: which are the controllers'?).
	 *          Read cgroups(7), "Creating cgroups and moving processes".
	 */
	(void)cg;
	todo(1, "make the cgroup");
}

/* Step 2: Docker's options, as the files of this cgroup version. */
void cg_set_limits(const struct cgroup *cg, const struct cg_limits *lim)
{
	char value[64];

	(void)value; /* until step 2 uses it */
	/*
	 * TODO(2): Write each limit that was asked (a field that is 0 was not)
	 *          into the cgroup, in the file and the format of its cgroup
	 *          version (cg->v2): the number of processes, the memory in
	 *          bytes, and the CPU time as a quota per period of
	 *          CG_CPU_PERIOD microseconds. Afterwards the account line
	 *          "limits: ..." reads your values back from the kernel. Read
	 *          the files step 1 made (ls), cgroups(7), "Cgroups version 1
	 *          controllers" and "Cgroups version 2", and the kernel's
	 *          Documentation/admin-guide/cgroup-v2.rst ("Interface Files"
	 *          of PID, Memory, CPU) and cgroup-v1/ (pids.rst, memory.rst;
	 *          the CPU quota in scheduler/sched-bwc.rst): in the kernel's
	 *          source or at docs.kernel.org, not installed by Debian.
	 */
	(void)cg;
	(void)lim;
	todo(2, "write the limits into the cgroup");
	/* No swap beyond the memory limit (lessons/lib): a hog meets the
	 * OOM killer instead of crawling through swap. */
	if (lim->memory && !cg_limit_swap(cg, lim->memory))
		err(EXIT_FAILURE, "no swap beyond the memory limit (%s)",
		    cg_dir(cg, CG_MEMORY));
}

/* Step 3: the child, held on its pipe, joins the cgroup before it runs
 * anything; what it starts afterwards is born in it. */
void cg_enter(const struct cgroup *cg, pid_t pid)
{
	char value[24];

	(void)value, (void)pid; /* until step 3 uses them */
	/*
	 * TODO(3): Move the child `pid` into the cgroup, in every tree: after
	 *          that the account line says "moved into" the cgroup's path,
	 *          /proc/PID/cgroup of the child names it, and every process
	 *          the command forks is counted against the limits. Read
	 *          cgroups(7), "Creating cgroups and moving processes".
	 */
	(void)cg;
	(void)pid;
	todo(3, "move the child into the cgroup");
}
/* Step 4, in the child, once it is in its cgroup: the cgroup namespace
 * (lesson 07's container takes it too, on v2, as Docker does). */
void cg_enter_namespace(void)
{
	/*
	 * TODO(4): Give the child a cgroup namespace of its own whose root is
	 *          the cgroup it is in now: afterwards the account says "a new
	 *          cgroup namespace", and `cat /proc/self/cgroup` run as the
	 *          command reads "/" at the end of every line. Why here, in the
	 *          child, and not in the flags of ns_spawn()? Read
	 *          cgroup_namespaces(7), the first two paragraphs.
	 */
	todo(4, "give the child a cgroup namespace of its own");
}
// EXPORT END

/* A directory of a cgroup file system, v1 or v2: one that mkdir(2) made
 * there (statfs(2), linux/magic.h). */
static bool is_cgroup(const char *dir)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && (fs.f_type == CGROUP_SUPER_MAGIC ||
					 fs.f_type == CGROUP2_SUPER_MAGIC);
}

/* Everything here runs in the child, already in its cgroup. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char label[96], where[PATH_MAX];

	cg_enter_namespace();

	say("child  pid %d in %s, where its cgroup reads \"%s\"", (int)getpid(),
	    ns_account(0, a->parent, "cgroup", label, sizeof(label)),
	    cg_path_of(a->cg, getpid(), where, sizeof(where)));
	exec_command(a->argv);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: $(readlink /proc/self/ns/cgroup)\"; "
			       "cat /proc/self/cgroup",
			       NULL};
	static const struct option longopts[] = {
		{"pids-limit", required_argument, NULL, 'p'},
		{"memory", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'c'},
		{"cgroup-parent", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cg_limits lim = {0};
	struct child_args args = {0};
	const char *parent = cg_default_parent(), *missing;
	char label[96], text[PATH_MAX + 200];
	struct ns_child child;
	struct cgroup cg;
	int opt, code;
	pid_t pid;

	nslab_init("cgroup", "09");
	while ((opt = getopt_long(argc, argv, "+hq", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			lim.pids = cg_parse_count("--pids-limit", optarg);
			break;
		case 'm':
			lim.memory = cg_parse_size("--memory", optarg);
			break;
		case 'c':
			lim.cpus = cg_parse_cpus("--cpus", optarg);
			break;
		case 'P':
			parent = optarg;
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
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	args.parent = getpid();
	args.cg = &cg;

	if ((code = cg_init(&cg, parent, getpid())) != 0)
		errx(code, "%s", cg.why);
	say("found %s", cg.layout);
	say("parent pid %d in %s, in cgroup %s", (int)getpid(),
	    ns_label(0, "cgroup", label, sizeof(label)),
	    cg_path_of(&cg, getpid(), text, sizeof(text)));
	if (!cg_may_create(&cg)) {
		/* An ordinary user (or root of a user namespace) may not make
		 * cgroups here: the namespace still works, limits cannot. */
		if (lim.pids || lim.memory || lim.cpus > 0)
			errx(EXIT_FAILURE, "mkdir(%s): limits need a cgroup, and making "
			     "one needs root: sudo make lesson09", cg.dir[0]);
		say("no cgroup of its own: only root may make one here; the command "
		    "gets a new cgroup namespace, without limits");
		cg.ndirs = 0;
	}
	if ((missing = cg_missing(&cg, &lim)))
		errx(EXIT_FAILURE, "the %s tree offers no %s controller "
		     "(%s/cgroup.controllers): no limit on it here", cg.root,
		     missing, cg.root);

	if (cg.ndirs) {
		/* First the reaper: from here on the cgroup goes when we do. */
		if (cg_reaper_start(&cg) == -1)
			err(EXIT_FAILURE, "the cgroup's reaper (pipe2, fork)");
		if (!cg_make_parents(&cg, cg_needs(&lim)))
			errx(EXIT_FAILURE, "%s", cg.why);
		cg_make(&cg);
		for (int i = 0; i < cg.ndirs; i++)
			if (!is_cgroup(cg.dir[i]))
				errx(EXIT_FAILURE, "%s is not a cgroup: step 1 makes the "
				     "cgroup in every tree", cg.dir[i]);
		if (cg.ndirs > 1)
			say("made %s and %d more", cg.dir[0], cg.ndirs - 1);
		else
			say("made %s", cg.dir[0]);
		cg_set_limits(&cg, &lim);
		say("limits: %s", cg_describe_limits(&cg, text, sizeof(text)));
	}

	pid = ns_spawn(&child, 0, child_main, &args);
	if (pid == -1)
		err(EXIT_FAILURE, "clone");
	if (cg.ndirs) {
		char where[PATH_MAX];

		cg_enter(&cg, pid);
		cg_path_of(&cg, pid, where, sizeof(where));
		if (strcmp(where, cg_relative(&cg)) == 0)
			say("child  pid %d moved into %s", (int)pid, where);
		else
			say("child  pid %d is still in %s, not in %s", (int)pid, where,
			    cg_relative(&cg));
	}
	ns_release(&child);

	code = wait_child(pid);
	if (!cg_reaper_finish(&cg))
		errx(EXIT_FAILURE, "command exited with status %d, but its cgroup "
		     "%s could not be removed", code, cg.dir[0]);
	say("command exited with status %d%s", code,
	    cg.ndirs ? "; its cgroup is removed" : "");
	return code;
}
