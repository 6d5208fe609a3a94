/* limits.c - the escapes a cgroup's limits stop, tried through the probe
 * (--forks, --hog) inside the cgroup under test: lessons 07 and 09 must
 * both pass them. What stopped the probe is read from that cgroup's own
 * event counters while the command still holds it open, so a death of
 * another cause cannot pass for the limit's work. */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <sys/statfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

bool cgroup_file(pid_t pid, const char *controller, const char *file, char *path,
		 size_t size)
{
	char proc[64], *text, *line, *save = NULL, v2[PATH_MAX] = "";
	bool found = false;
	struct statfs s;

	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	if (!(text = slurp(proc)))
		return false;
	/* "N:pids:/nslab-test-1/cgroup-2" on v1, one tree per controller;
	 * "0::/nslab-test-1/cgroup-2" for the v2 tree. The paths are from
	 * the root of each tree: the test is in the host's cgroup namespace. */
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *names = strchr(line, ':');
		char *rel = names ? strchr(names + 1, ':') : NULL;

		if (!rel)
			continue;
		*rel++ = '\0';
		names++;
		if (!*names) {
			snprintf(v2, sizeof(v2), "%s", rel);
		} else if (strcmp(names, controller) == 0 && strcmp(rel, "/") != 0) {
			snprintf(path, size, "/sys/fs/cgroup/%s%s/%s", controller, rel,
				 file);
			found = true;
		}
	}
	free(text);
	if (!found && *v2) {
		bool pure = statfs("/sys/fs/cgroup", &s) == 0 &&
			    (long)s.f_type == CGROUP2_SUPER_MAGIC;

		snprintf(path, size, "/sys/fs/cgroup%s%s/%s", pure ? "" : "/unified", v2,
			 file);
		found = true;
	}
	return found;
}

long cgroup_count(pid_t pid, const char *controller, const char *file, const char *key)
{
	char path[PATH_MAX + 64], *text, *at;
	long n = -1;

	if (!cgroup_file(pid, controller, file, path, sizeof(path)) ||
	    !(text = slurp(path)))
		return -1;
	/* "max 3" in pids.events, "oom_kill 1" in memory.events (v2) and
	 * memory.oom_control (v1): a key at the start of a line. */
	for (at = text; (at = strstr(at, key)); at += strlen(key))
		if ((at == text || at[-1] == '\n') && at[strlen(key)] == ' ') {
			n = strtol(at + strlen(key) + 1, NULL, 10);
			break;
		}
	free(text);
	return n;
}

/* The number in a cgroup file of one value (pids.max), -1 if none. */
static long cgroup_number(pid_t pid, const char *controller, const char *file)
{
	char path[PATH_MAX + 64], *text, *end;
	long n;

	if (!cgroup_file(pid, controller, file, path, sizeof(path)) ||
	    !(text = slurp(path)))
		return -1;
	n = strtol(text, &end, 10);
	if (end == text)
		n = -1;
	free(text);
	return n;
}

/* Inside only: `path`, a file of the command's cgroup, made the file
 * `file` of the cgroup above it (the test's), whose limits are not the
 * command's. */
static const char *above_file(char *path, size_t size, const char *file)
{
	*strrchr(path, '/') = '\0';
	snprintf(strrchr(path, '/'), size - (strrchr(path, '/') - path), "/%s", file);
	return path;
}

/* The held probe: the command itself, or a child of the shell that ran
 * the hog first. */
static pid_t held_probe(const struct run *r)
{
	pid_t probe = find_descendant(r->pid, "nslab-probe", RUN_TIMEOUT);

	cr_assert_gt(probe, 0, "cannot find the command among the lesson's "
		     "processes; %s", why(r));
	return probe;
}

void check_fork_bomb(const char *const args[], int limit, int others,
		     const char *who)
{
	char path[PATH_MAX + 64];
	long refused, max;
	char *above;
	int got = -1;
	struct run r;
	pid_t probe;
	char *line;

	run_hold(&r, args, NULL);
	line = strstr(r.out, "forked ");
	cr_assert(line, "the probe did not report its forks; %s", why(&r));
	sscanf(line, "forked %d", &got);
	cr_assert(strstr(line, "then EAGAIN"), "fork() inside should fail with "
		  "EAGAIN at the limit: \"%.60s\"", line);
	cr_assert_eq(got + others, limit, "--pids-limit %d: %s and %d children fit, "
		     "the next fork fails; it forked %d (pids.max, and the child in "
		     "the cgroup before it runs)", limit, who, limit - others, got);
	/* While the probe and its children still hold the cgroup: it is
	 * that cgroup's pids.max that refused the fork, no other limit. */
	probe = held_probe(&r);
	cr_assert(cgroup_file(probe, "pids", "pids.max", path, sizeof(path)),
		  "cannot tell the probe's cgroup from /proc/%d/cgroup", (int)probe);
	max = cgroup_number(probe, "pids", "pids.max");
	refused = cgroup_count(probe, "pids", "pids.events", "max");
	cr_log_info("%s: pids.max %ld, forks refused (pids.events max) %ld", path, max,
		    refused);
	above = slurp(above_file(path, sizeof(path), "pids.max"));
	run_finish(&r);
	cr_assert(above && strncmp(above, "max", 3) == 0, "the cgroup above the "
		  "command's has a process limit too (%s: %.20s): only the child's "
		  "own cgroup gets --pids-limit", path, above ? above : "unreadable");
	free(above);
	cr_assert_eq(max, limit, "the command's own cgroup should have pids.max %d "
		     "(%s reads %ld): it is the child's cgroup that holds the limit",
		     limit, path, max);
	cr_assert_gt(refused, 0, "pids.events of the command's cgroup counts no fork "
		     "refused at its limit (\"max %ld\"): what stopped the probe was "
		     "not the cgroup's pids.max", refused);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

void check_memory_hog(const char *const args[], const char *probe_path)
{
	const char *argv[64];
	char script[600], path[PATH_MAX + 64], *ended, *above;
	bool v2;
	long kills;
	size_t n = 0;
	struct run r;
	pid_t probe;

	/* The hog, then a probe that holds the cgroup open while the test
	 * reads what the kernel counted in it. */
	snprintf(script, sizeof(script),
		 "%s --hog; echo \"hog ended $?\"; exec %s --hold", probe_path,
		 probe_path);
	while (args[n])
		n++;
	cr_assert(n + 4 < 64, "too many arguments");
	memcpy(argv, args, n * sizeof(*argv));
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	run_hold(&r, argv, NULL);
	cr_assert(!strstr(r.out, "hog survived"), "the hog allocated 4 GiB inside "
		  "a memory limit of 32M: memory.limit_in_bytes (v2: memory.max) was "
		  "not set");
	ended = strstr(r.out, "hog ended ");
	cr_assert(ended && atoi(ended + 10) == 128 + SIGKILL, "the hog should be "
		  "killed by the OOM killer, exit status 137, not %d; %s",
		  ended ? atoi(ended + 10) : -1, why(&r));
	probe = held_probe(&r);
	kills = cgroup_count(probe, "memory", "memory.events", "oom_kill");
	v2 = kills != -1;
	if (!v2)
		kills = cgroup_count(probe, "memory", "memory.oom_control", "oom_kill");
	cr_log_info("the command's cgroup counts %ld OOM kill(s)", kills);
	cr_assert(cgroup_file(probe, "memory", "", path, sizeof(path)),
		  "cannot tell the probe's cgroup from /proc/%d/cgroup", (int)probe);
	above = slurp(above_file(path, sizeof(path), v2 ? "memory.max"
				 : "memory.limit_in_bytes"));
	run_finish(&r);
	cr_assert(above && strtoll(above, NULL, 10) != 32LL << 20, "the cgroup above "
		  "the command's has the memory limit too (%s: %.20s): only the "
		  "child's own cgroup gets --memory", path, above ? above : "unreadable");
	free(above);
	cr_assert_gt(kills, 0, "the hog died of SIGKILL, yet the command's own "
		     "cgroup counts no OOM kill (memory.events, v1: memory.oom_control, "
		     "\"oom_kill %ld\"): the memory limit must be on the child's cgroup",
		     kills);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}
