/* cgroup.h - control groups for the lessons that limit what a command
 * may use (09 cgroup, and 07's container).
 *
 * A cgroup is a directory in a cgroup file system; a process belongs to
 * the cgroup whose cgroup.procs lists it, and the limits of a cgroup are
 * files beside it (cgroups(7)). Two layouts exist:
 *
 *   v2, the unified hierarchy: one tree at /sys/fs/cgroup (or at
 *       /sys/fs/cgroup/unified beside v1 trees, a "hybrid" host), every
 *       controller in it; a parent hands a controller to its children
 *       through cgroup.subtree_control; pids.max, memory.max, cpu.max,
 *       and cgroup.kill ends every process of a cgroup at once.
 *   v1: one tree per controller, /sys/fs/cgroup/pids, .../memory,
 *       .../cpu; pids.max, memory.limit_in_bytes, cpu.cfs_quota_us.
 *
 * This file finds the layout, names the cgroup of a run
 * (/sys/fs/cgroup[/CONTROLLER]/PARENT/PROG-PID, as Docker's cgroupfs
 * driver names /sys/fs/cgroup/docker/ID), and reads and writes its files.
 * Its removal is cgroup_reaper.h's; Docker's option values are
 * limit_options.h's. Lesson 09 teaches the creation, the limits and the
 * cgroup namespace: those steps are not here (a student of 09 reads this
 * file), but declared below, and generated from 09's solution for 07.
 *
 * NSLAB_CGROUP_LAYOUT=v2 in the environment makes a hybrid host use its
 * v2 tree (/sys/fs/cgroup/unified) even where it has none of the
 * controllers: the way to try the v2 code paths without limits there.
 */
#ifndef NSLAB_CGROUP_H
#define NSLAB_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* The controllers the lessons use, in this order. */
enum { CG_PIDS, CG_MEMORY, CG_CPU, CG_NCTL };
extern const char *const cg_controller[CG_NCTL];

/* The default parent cgroup, under the root of each tree: "nslab", as
 * Docker's cgroupfs driver makes /docker. Where systemd runs the tree it
 * owns the root, and a program's cgroups belong in a subtree delegated
 * to it (systemd.io/CGROUP_DELEGATION): tools/run-lesson runs 07 and 09
 * in a transient scope with Delegate=yes and names it in
 * NSLAB_CGROUP_SUBTREE, which cg_default_parent() then returns. */
#define CG_DEFAULT_PARENT "nslab"
const char *cg_default_parent(void);
/* The CPU period the quota of --cpus is measured in (microseconds). */
#define CG_CPU_PERIOD 100000

/* Docker's names: --pids-limit, --memory, --cpus. 0: no limit. */
struct cg_limits {
	long pids;          /* at most this many processes */
	long long memory;   /* bytes */
	double cpus;        /* CPUs' worth of time per period, 1.5 = 150 % */
};

struct cgroup {
	bool v2;
	const char *layout;      /* for the account: which layout was found */
	char root[PATH_MAX];     /* v2: the tree's root */
	/* The cgroup's directory in each tree: v2 uses dir[0] only, v1 one
	 * per controller (CG_PIDS, CG_MEMORY, CG_CPU). */
	char dir[CG_NCTL][PATH_MAX];
	char parent[CG_NCTL][PATH_MAX];
	int ndirs;
	pid_t reaper;            /* the process that removes it (cg_reaper_start) */
	int reaper_fd;           /* the launcher's end of the reaper's pipe */
	char why[PATH_MAX + 256]; /* what the last call that failed says */
};

/* Find the layout and name the cgroup PARENT/PROG-PID (pid: the launcher)
 * in every tree it needs. Creates nothing. 0, or the exit status the
 * lesson should die with, and cg->why: EXIT_USAGE for a PARENT that is
 * not a path below the root, EXIT_FAILURE when no cgroup file system is
 * usable. */
int cg_init(struct cgroup *cg, const char *parent, pid_t pid);
/* The same, named PARENT/NAME: NAME unique on the host (a pid is not:
 * pids repeat across PID namespaces), as 07's container-ID. */
int cg_init_named(struct cgroup *cg, const char *parent, const char *name);

/* The directory that holds `controller`'s files (CG_PIDS...). */
const char *cg_dir(const struct cgroup *cg, int controller);

/* Does the tree of cg->dir[0] (v2) offer this controller to a child of
 * the parent? (cgroup.controllers; always true on v1.) */
bool cg_available(const struct cgroup *cg, int controller);

/* Write `value` to DIR/FILE in a single write: true, or false with
 * errno set. */
bool cg_try_write(const char *dir, const char *file, const char *value);
/* The lessons' wrapper of it: exit 1 naming the file and the errno in
 * words (EBUSY, EINVAL, ENOENT) on failure. */
void cg_write(const char *dir, const char *file, const char *value);
/* Does DIR/FILE exist? */
bool cg_has(const char *dir, const char *file);
/* DIR/FILE's whole text (malloc'd, the caller frees it), or NULL. */
char *cg_read(const char *dir, const char *file);

/* May this process create cgroups in every tree? (Root may; an ordinary
 * user, even as root of a user namespace, may not, unless the tree was
 * delegated to it.) */
bool cg_may_create(const struct cgroup *cg);

/* The controllers the limits need, a bit per CG_* controller; the name
 * of one of them the tree does not offer (cg_available()), or NULL. */
unsigned cg_needs(const struct cg_limits *lim);
const char *cg_missing(const struct cgroup *cg, const struct cg_limits *lim);

/* Create the parent cgroups (mkdir -p) and, on v2, hand the controllers
 * in `need` (cg_needs()) down to the new cgroup through every
 * cgroup.subtree_control above it. False, with cg->why, if it could not. */
bool cg_make_parents(struct cgroup *cg, unsigned need);

/* Lesson 09's steps 1 to 3: make the cgroup's directories (cg->dir[i],
 * the parents made), write the limits asked into its files, move `pid`
 * into it. Defined by lesson 09's program, and for the others generated
 * from its solution (the EXPORT region cg_steps, tools/mkskel). */
void cg_make(const struct cgroup *cg);
void cg_set_limits(const struct cgroup *cg, const struct cg_limits *lim);
void cg_enter(const struct cgroup *cg, pid_t pid);
/* Lesson 09's step 4, in the child once it is in its cgroup: a cgroup
 * namespace of its own, whose root is that cgroup (/proc/self/cgroup
 * reads "0::/" on v2). Generated for 07 the same way; it exits with
 * clone_failed()'s message when the kernel refuses. */
void cg_enter_namespace(void);

/* All of it, for a lesson that only uses limits (07's container), and
 * that lesson's die-on-error wrapper: it exits with a clear message where
 * the calls above return one. Name the cgroup PARENT/NAME; unless
 * this process may make cgroups, exit 1 if limits were asked, else say so
 * and leave cg->ndirs 0 (no cgroup); otherwise a process limit of
 * `default_pids` unless lim->pids is set, on v1 only the trees of the
 * limits set (pids, then memory, then cpu), check that the trees offer the
 * controllers, start the reaper, make the parents, then cg_make() and
 * cg_set_limits(). Then cg_enter() the child, and cg_reaper_finish() at
 * the end (both do nothing when cg->ndirs is 0). */
void cg_start(struct cgroup *cg, const char *parent, const char *name,
	      struct cg_limits *lim, long default_pids);

/* After a memory limit: no swap beyond it (memory.swap.max 0 on v2,
 * memory.memsw.limit_in_bytes = the limit on v1, where they exist), so
 * that a process over the limit meets the OOM killer at once. False,
 * errno set, if the kernel refused. */
bool cg_limit_swap(const struct cgroup *cg, long long memory);

/* "pids.max 5, memory.limit_in_bytes 67108864, ...": the limit files of
 * the cgroup as the kernel reads them back. */
const char *cg_describe_limits(const struct cgroup *cg, char *buf, size_t size);

/* The cgroup's path as /proc/PID/cgroup shows it, relative to the root
 * of the tree: "/nslab/cgroup-4242". */
const char *cg_relative(const struct cgroup *cg);
/* Where process `pid` is, as /proc/PID/cgroup says (the line of the
 * unified tree on v2, of the pids tree on v1), or "?". */
const char *cg_path_of(const struct cgroup *cg, pid_t pid, char *buf, size_t size);

#endif
