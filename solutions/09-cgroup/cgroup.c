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
// CHALLENGE BEGIN
#include <sys/resource.h>
#include <time.h>
// CHALLENGE END
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
		// CHALLENGE BEGIN
		"  --stats               at the end, what the command used: its CPU\n"
		"                        time, its share of a CPU, how often the\n"
		"                        kernel throttled it (even with -q)\n"
		// CHALLENGE END
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
	// BEGIN SOLUTION 1
	// STEP: a cgroup of its own
	// TODO: Create the cgroup of this run: afterwards each of the
	//       cg->ndirs directories cg->dir[i] exists (one on cgroup v2,
	//       one per controller tree on v1) and the kernel has filled it
	//       with files (`ls` one of them: which are the controllers'?).
	//       Read cgroups(7), "Creating cgroups and moving processes".
	// HINT: A cgroup is not made by a system call of its own: the
	//       cgroup file system turns a new directory into a new cgroup,
	//       and removing the directory removes the cgroup. On v1 every
	//       controller has its own tree, so the cgroup is one directory
	//       in each.
	// HINT: mkdir(2) each path, mode 0755 (root owns it); report a
	//       failure with err(3), naming the path. The parents already
	//       exist: cg_make_parents() made them.
	// HINT: for (int i = 0; i < ____; i++)
	//               if (mkdir(____, 0755) == -1)
	//                       err(EXIT_FAILURE, "mkdir(%s)", ____);
	// WRONG one_tree: "i < cg->ndirs;" -> "i < 1;" : in every tree
	// STUB: (void)cg;
	// STUB: todo({n}, "make the cgroup");
	// tag::mkdir[]
	for (int i = 0; i < cg->ndirs; i++)
		if (mkdir(cg->dir[i], 0755) == -1)
			err(EXIT_FAILURE, "mkdir(%s)", cg->dir[i]);
	// end::mkdir[]
	// END SOLUTION
}

/* Step 2: Docker's options, as the files of this cgroup version. */
void cg_set_limits(const struct cgroup *cg, const struct cg_limits *lim)
{
	char value[64];

	(void)value; /* until step 2 uses it */
	// BEGIN SOLUTION 2
	// STEP: the limits asked are in the cgroup's files
	// TODO: Write each limit that was asked (a field that is 0 was not)
	//       into the cgroup, in the file and the format of its cgroup
	//       version (cg->v2): the number of processes, the memory in
	//       bytes, and the CPU time as a quota per period of
	//       CG_CPU_PERIOD microseconds. Afterwards the account line
	//       "limits: ..." reads your values back from the kernel. Read
	//       the files step 1 made (ls), cgroups(7), "Cgroups version 1
	//       controllers" and "Cgroups version 2", and the kernel's
	//       Documentation/admin-guide/cgroup-v2.rst ("Interface Files"
	//       of PID, Memory, CPU) and cgroup-v1/ (pids.rst, memory.rst;
	//       the CPU quota in scheduler/sched-bwc.rst): in the kernel's
	//       source or at docs.kernel.org, not installed by Debian.
	// HINT: Each limit is one file of the controller's directory
	//       (cg_dir(cg, CG_PIDS)...). The process count has the same
	//       file on both versions; memory and CPU do not. --cpus 1.5
	//       means 1.5 periods' worth of run time in every period.
	// HINT: cg_write(dir, file, value) writes a string. v2: pids.max,
	//       memory.max, and cpu.max holding "QUOTA PERIOD". v1:
	//       pids.max, memory.limit_in_bytes, cpu.cfs_period_us then
	//       cpu.cfs_quota_us. The quota is lim->cpus times the period,
	//       in microseconds, rounded to a whole number.
	// HINT: if (lim->pids) { snprintf(value, sizeof(value), "%ld", ____);
	//                        cg_write(cg_dir(cg, CG_PIDS), "____", value); }
	//       memory: the file name depends on cg->v2 (memory.____ or
	//       memory.____); cpu: long quota = (long)(____ * ____ + 0.5); v2
	//       "%ld %d" into cpu.max, v1 the period and then the quota.
	// WRONG v2_memory_file: "cg->v2 ? \"memory.max\" : \"memory.limit_in_bytes\"" -> "\"memory.max\"" : memory.limit_in_bytes
	// WRONG v1_memory_file: "cg->v2 ? \"memory.max\" : \"memory.limit_in_bytes\"" -> "\"memory.limit_in_bytes\"" : on cgroup v2 the memory limit is memory.max
	// WRONG quota_not_scaled: "(long)(lim->cpus * CG_CPU_PERIOD + 0.5)" -> "(long)(lim->cpus + 0.5)" : microseconds
	// STUB: (void)cg;
	// STUB: (void)lim;
	// STUB: todo({n}, "write the limits into the cgroup");
	// tag::limits[]
	if (lim->pids) {
		snprintf(value, sizeof(value), "%ld", lim->pids);
		cg_write(cg_dir(cg, CG_PIDS), "pids.max", value);
	}
	if (lim->memory) {
		snprintf(value, sizeof(value), "%lld", lim->memory);
		cg_write(cg_dir(cg, CG_MEMORY),
			 cg->v2 ? "memory.max" : "memory.limit_in_bytes", value);
	}
	if (lim->cpus > 0) {
		long quota = (long)(lim->cpus * CG_CPU_PERIOD + 0.5);

		if (cg->v2) {
			snprintf(value, sizeof(value), "%ld %d", quota, CG_CPU_PERIOD);
			cg_write(cg_dir(cg, CG_CPU), "cpu.max", value);
		} else {
			snprintf(value, sizeof(value), "%d", CG_CPU_PERIOD);
			cg_write(cg_dir(cg, CG_CPU), "cpu.cfs_period_us", value);
			snprintf(value, sizeof(value), "%ld", quota);
			cg_write(cg_dir(cg, CG_CPU), "cpu.cfs_quota_us", value);
		}
	}
	// end::limits[]
	// END SOLUTION
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
	// BEGIN SOLUTION 3
	// STEP: the child is in the cgroup before it runs
	// TODO: Move the child `pid` into the cgroup, in every tree: after
	//       that the account line says "moved into" the cgroup's path,
	//       /proc/PID/cgroup of the child names it, and every process
	//       the command forks is counted against the limits. Read
	//       cgroups(7), "Creating cgroups and moving processes".
	// HINT: Membership is a file too: each cgroup lists its processes
	//       in one of its files, and writing a pid there moves that
	//       process (with all its threads) into the cgroup.
	// HINT: cg_write() the pid, as a decimal string, to cgroup.procs in
	//       each directory cg->dir[i]. The pid is the child's, the one
	//       ns_spawn() returned, not this process's.
	// HINT: snprintf(value, sizeof(value), "%d", (int)____);
	//       then, for each of the cg->ndirs directories:
	//               cg_write(____, "____", value);
	// WRONG launcher_pid: "\"%d\", (int)pid)" -> "\"%d\", (int)getpid())" : the child's pid
	// STUB: (void)cg;
	// STUB: (void)pid;
	// STUB: todo({n}, "move the child into the cgroup");
	// tag::enter[]
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (int i = 0; i < cg->ndirs; i++)
		cg_write(cg->dir[i], "cgroup.procs", value);
	// end::enter[]
	// END SOLUTION
}
/* Step 4, in the child, once it is in its cgroup: the cgroup namespace
 * (lesson 07's container takes it too, on v2, as Docker does). */
void cg_enter_namespace(void)
{
	// BEGIN SOLUTION 4
	// STEP: the command sees its cgroup as the root
	// TODO: Give the child a cgroup namespace of its own whose root is
	//       the cgroup it is in now: afterwards the account says "a new
	//       cgroup namespace", and `cat /proc/self/cgroup` run as the
	//       command reads "/" at the end of every line. Why here, in the
	//       child, and not in the flags of ns_spawn()? Read
	//       cgroup_namespaces(7), the first two paragraphs.
	// HINT: A cgroup namespace takes as its root the cgroups its
	//       creator is in at the moment it is made. This child was
	//       moved into the new cgroup while it waited: from here on,
	//       that cgroup is what a new namespace would take as "/".
	// HINT: unshare(2) with the CLONE_NEW* flag of cgroup namespaces
	//       moves the caller into a new one (its children follow); on
	//       failure clone_failed("unshare", flag) says why.
	// HINT: if (unshare(____) == -1)
	//               clone_failed("unshare", ____);
	// WRONG no_cgroupns: "if (unshare(CLONE_NEWCGROUP) == -1)" -> "if (false && unshare(CLONE_NEWCGROUP) == -1)" : CLONE_NEWCGROUP
	// STUB: todo({n}, "give the child a cgroup namespace of its own");
	// tag::unshare[]
	if (unshare(CLONE_NEWCGROUP) == -1)
		clone_failed("unshare", CLONE_NEWCGROUP);
	// end::unshare[]
	// END SOLUTION
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

// CHALLENGE BEGIN
/* The challenge, --stats: a limit proven by a measurement. The CPU time
 * is the command's own (getrusage(2), RUSAGE_CHILDREN: the children that
 * were waited for, and theirs); the throttling is the cgroup's, counted
 * by the kernel in cpu.stat (v2: nr_throttled, throttled_usec; v1's cpu
 * tree: nr_throttled, throttled_time in ns), read before the cgroup goes.
 * Without the cpu controller there is no such count: nothing throttles. */
static long stat_field(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, key, len) && l[len] == ' ')
			return strtol(l + len + 1, NULL, 10);
	return -1;
}

static void print_stats(const struct cgroup *cg, double wall)
{
	char *text = cg->ndirs ? cg_read(cg_dir(cg, CG_CPU), "cpu.stat") : NULL;
	long throttled = stat_field(text, "nr_throttled");
	long usec = stat_field(text, "throttled_usec");
	struct rusage ru;
	double cpu;

	if (usec < 0 && (usec = stat_field(text, "throttled_time")) >= 0)
		usec /= 1000;
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		err(EXIT_FAILURE, "getrusage(RUSAGE_CHILDREN)");
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	fprintf(stderr, "cgroup: stats: cpu %.3f s in %.3f s, %.2f CPUs; "
		"throttled %ld times (%.3f s)\n", cpu, wall,
		wall > 0 ? cpu / wall : 0.0, throttled < 0 ? 0 : throttled,
		usec < 0 ? 0.0 : usec / 1e6);
	free(text);
}

static double seconds_now(void)
{
	struct timespec at;

	if (clock_gettime(CLOCK_MONOTONIC, &at) == -1)
		err(EXIT_FAILURE, "clock_gettime(CLOCK_MONOTONIC)");
	return at.tv_sec + at.tv_nsec / 1e9;
}

// CHALLENGE END
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
		// CHALLENGE BEGIN
		{"stats", no_argument, NULL, 's'},
		// CHALLENGE END
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
	// CHALLENGE BEGIN
	bool stats = false;
	double started = 0;
	// CHALLENGE END

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
		// CHALLENGE BEGIN
		case 's':
			stats = true;
			break;
		// CHALLENGE END
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

	// CHALLENGE BEGIN
	started = seconds_now();
	// CHALLENGE END
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
	// CHALLENGE BEGIN
	if (stats)
		print_stats(&cg, seconds_now() - started);
	// CHALLENGE END
	if (!cg_reaper_finish(&cg))
		errx(EXIT_FAILURE, "command exited with status %d, but its cgroup "
		     "%s could not be removed", code, cg.dir[0]);
	say("command exited with status %d%s", code,
	    cg.ndirs ? "; its cgroup is removed" : "");
	return code;
}
