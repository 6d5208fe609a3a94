/* confine.h - what a process that joins a container takes from it.
 *
 * Joining a container's namespaces (setns(2), lesson 08) moves a process
 * into the container's view of the system, and nothing more: it keeps
 * its own capabilities (all of them, in a user namespace it joined),
 * may still gain privileges through a setuid program, runs under no
 * syscall filter, and stays in the cgroup it came from, out of reach of
 * the container's limits. `docker exec` (runc's setns_init_linux.go,
 * crun's exec) gives it the container's confinement instead. These
 * functions copy what the container's PID 1 has, as the kernel shows it
 * in /proc/PID/status and /proc/PID/cgroup, onto this process:
 *
 *   before joining   confine_read(), then confine_cgroups(): the host's
 *                    cgroup files are reachable only from here, and
 *                    every process started after is born inside
 *   before the ids   the bounding set (lesson 07's step 5, which the
 *                    lesson that joins does itself: it is 07's answer):
 *                    dropping from it needs CAP_SETPCAP, which a change
 *                    of uid takes away; and confine_keep_capabilities()
 *   after the ids    confine_capabilities(), then no_new_privs and the
 *                    filter (the lesson's, with syscall_filter.h's
 *                    filter_syscalls()), last before execve
 *
 * Each returns 0, or -1 with a message in `why`.
 */
#ifndef NSLAB_CONFINE_H
#define NSLAB_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct confinement {
	/* The capability sets, as CapInh, CapPrm, CapEff, CapBnd, CapAmb. */
	uint64_t inh, prm, eff, bnd, amb;
	bool no_new_privs;   /* NoNewPrivs: 1 */
	int seccomp;         /* Seccomp: 0 none, 1 strict, 2 a filter */
	char cgroups[4096];  /* /proc/PID/cgroup, as this process reads it */
};

/* Read the confinement of `pid` through `proc`, a descriptor of the
 * host's /proc (opened before joining anything). */
int confine_read(int proc, pid_t pid, struct confinement *c, char *why,
		 size_t size);

/* Move this process into the cgroup of every hierarchy in which the
 * target's differs from ours (cgroup v2: the one line "0::PATH"; v1: a
 * line per hierarchy), found through /proc/self/mountinfo. When the
 * kernel refuses a move, errno says why (EACCES: not our cgroup). */
int confine_cgroups(const struct confinement *c, char *why, size_t size);

/* Keep the permitted set across the change of ids that follows (a uid
 * other than 0 would clear it, prctl(2) PR_SET_KEEPCAPS), then, after
 * it, confine_capabilities(): the target's permitted, effective and
 * inheritable sets (capset(2)), and its ambient set. */
int confine_keep_capabilities(char *why, size_t size);
int confine_capabilities(const struct confinement *c, char *why, size_t size);

/* "CapEff 00000000a80425fb, bounding 00000000a80425fb, no_new_privs,
 * a seccomp filter": for the account. */
const char *confine_describe(const struct confinement *c, char *buf,
			     size_t size);

#endif
