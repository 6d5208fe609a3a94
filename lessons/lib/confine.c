/* confine.c - what a process that joins a container takes from it (see
 * confine.h). */
#define _GNU_SOURCE
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"

/* The whole of a small file, NUL-terminated, into buf: its length or -1. */
static ssize_t read_at(int dir, const char *path, char *buf, size_t size)
{
	int fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd == -1)
		return -1;
	while ((n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return n == -1 ? -1 : len;
}

int confine_read(int proc, pid_t pid, struct confinement *c, char *why,
		 size_t size)
{
	static const struct {
		const char *key;
		size_t offset;
	} caps[] = {
		{"CapInh:", offsetof(struct confinement, inh)},
		{"CapPrm:", offsetof(struct confinement, prm)},
		{"CapEff:", offsetof(struct confinement, eff)},
		{"CapBnd:", offsetof(struct confinement, bnd)},
		{"CapAmb:", offsetof(struct confinement, amb)},
	};
	char path[64], status[8192];
	unsigned found = 0;
	int nnp = 0;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%d/status", (int)pid);
	if (read_at(proc, path, status, sizeof(status)) == -1) {
		snprintf(why, size, "/proc/%s: %s", path, strerror(errno));
		return -1;
	}
	for (char *line = status, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (!strncmp(line, caps[i].key, strlen(caps[i].key)) &&
			    sscanf(line + strlen(caps[i].key), "%" SCNx64,
				   (uint64_t *)((char *)c + caps[i].offset)) == 1)
				found |= 1U << i;
		sscanf(line, "NoNewPrivs: %d", &nnp);
		sscanf(line, "Seccomp: %d", &c->seccomp);
	}
	c->no_new_privs = nnp == 1;
	if (found != (1U << (sizeof(caps) / sizeof(caps[0]))) - 1) {
		snprintf(why, size, "/proc/%s has no Cap* lines to copy", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	if (read_at(proc, path, c->cgroups, sizeof(c->cgroups)) == -1) {
		snprintf(why, size, "/proc/%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the cgroup ---------------------------------------------------------- */

/* Does the comma-separated list `opts` hold every word of `want`? */
static bool has_all(const char *opts, const char *want)
{
	char list[1100], w[1100], *save = NULL;

	snprintf(list, sizeof(list), ",%s,", opts);
	snprintf(w, sizeof(w), "%s", want);
	for (char *word = strtok_r(w, ",", &save); word;
	     word = strtok_r(NULL, ",", &save)) {
		char needle[1104];

		snprintf(needle, sizeof(needle), ",%s,", word);
		if (!strstr(list, needle))
			return false;
	}
	return true;
}

/* Where the hierarchy whose /proc/PID/cgroup line names `controllers`
 * ("" for v2, "pids" or "cpu,cpuacct" or "name=systemd" for v1) is
 * mounted here, whole (a mount of its root, not of a cgroup in it). */
static bool hierarchy_mount(const char *controllers, char *dir, size_t size)
{
	char line[4096], root[PATH_MAX], point[PATH_MAX], type[64], super[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS] - TYPE SOURCE SUPER */
		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2 ||
		    strcmp(root, "/") != 0)
			continue;
		if (*controllers ? !strcmp(type, "cgroup") && has_all(super, controllers)
				 : !strcmp(type, "cgroup2")) {
			snprintf(dir, size, "%s", point);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The path of the hierarchy `controllers` in a /proc/PID/cgroup text. */
static bool path_in(const char *text, const char *controllers, char *path,
		    size_t size)
{
	char copy[4096], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", text);
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *where = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!where)
			continue;
		*where = '\0';
		if (!strcmp(ctl + 1, controllers)) {
			snprintf(path, size, "%s", where + 1);
			return true;
		}
	}
	return false;
}

int confine_cgroups(const struct confinement *c, char *why, size_t size)
{
	char mine[4096], copy[4096], *save = NULL;

	if (read_at(AT_FDCWD, "/proc/self/cgroup", mine, sizeof(mine)) == -1) {
		snprintf(why, size, "/proc/self/cgroup: %s", strerror(errno));
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", c->cgroups);
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *where = ctl ? strchr(ctl + 1, ':') : NULL;
		char ours[PATH_MAX], mount[PATH_MAX], dir[2 * PATH_MAX];

		if (!where)
			continue;
		*where++ = '\0';
		ctl++;
		if (path_in(mine, ctl, ours, sizeof(ours)) && !strcmp(ours, where))
			continue; /* the same cgroup already */
		if (!hierarchy_mount(ctl, mount, sizeof(mount))) {
			snprintf(why, size, "the target is in cgroup %s of the %s "
				 "hierarchy, which is not mounted here", where,
				 *ctl ? ctl : "v2");
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s%s", mount, where);
		/* "0": the writer itself (cgroups(7), cgroup.procs). */
		if (!cg_try_write(dir, "cgroup.procs", "0")) {
			int e = errno;

			snprintf(why, size, "%s/cgroup.procs <- this process: %s", dir,
				 strerror(e));
			errno = e;
			return -1;
		}
	}
	return 0;
}

/* ---- the capabilities ---------------------------------------------------- */

int confine_keep_capabilities(char *why, size_t size)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		snprintf(why, size, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int confine_capabilities(const struct confinement *c, char *why, size_t size)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh},
		{(uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32),
		 (uint32_t)(c->inh >> 32)}};

	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) == -1) {
		snprintf(why, size, "capset(effective %016" PRIx64 ", permitted %016"
			 PRIx64 "): %s", c->eff, c->prm, strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		goto ambient;
	for (int cap = 0; cap < 64; cap++)
		if ((c->amb & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1)
			goto ambient;
	return 0;
ambient:
	snprintf(why, size, "prctl(PR_CAP_AMBIENT): %s", strerror(errno));
	return -1;
}

const char *confine_describe(const struct confinement *c, char *buf, size_t size)
{
	snprintf(buf, size, "CapEff %016" PRIx64 ", bounding %016" PRIx64 "%s%s",
		 c->eff, c->bnd, c->no_new_privs ? ", no_new_privs" : "",
		 c->seccomp == 2 ? ", a seccomp filter" : "");
	return buf;
}
