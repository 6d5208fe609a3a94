/* hoststate.c - the host state a lesson could damage, and the per-test
 * throwaway namespaces it is compared in (harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <sys/file.h>

/* ---- host state ------------------------------------------------------ */

/* Append the lines of `path`, keeping the columns listed in `cols`
 * (1-based, 0-terminated; NULL keeps the whole line), skipping `skip`
 * header lines. */
static void add_table(struct strbuf *sb, const char *tag, const char *path,
		      int skip, const int *cols)
{
	char *text = slurp(path), *line, *save = NULL;

	if (!text) {
		sb_printf(sb, "%s: (%s unreadable)\n", tag, path);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (skip > 0) {
			skip--;
			continue;
		}
		sb_printf(sb, "%s:", tag);
		if (!cols) {
			sb_printf(sb, " %s\n", line);
			continue;
		}
		for (const int *c = cols; *c; c++) {
			char *copy = strdup(line), *f, *s2 = NULL;
			int i = 1;

			for (f = strtok_r(copy, " \t", &s2); f && i < *c; i++)
				f = strtok_r(NULL, " \t", &s2);
			sb_printf(sb, " %s", f ? f : "-");
			free(copy);
		}
		sb_printf(sb, "\n");
	}
	free(text);
}

const char *harness_cgroup_parent(void)
{
	static char name[HARNESS_CGROUP_MAX];
	const char *sub = getenv("NSLAB_CGROUP_SUBTREE");

	/* Where systemd holds the root (Debian 12), the lab's cgroups
	 * belong in a subtree delegated to it: NSLAB_CGROUP_SUBTREE names
	 * it, below the root of the tree (make test-vm:
	 * nslab.slice/nslab-tests.scope, what systemd-run --scope -p
	 * Delegate=yes leaves; tools/run-lesson makes one for 07 and 09). */
	if (!sub || !*sub) {
		snprintf(name, sizeof(name), "nslab-test-%d", (int)getpid());
		return name;
	}
	if (sub[0] == '/' || strstr(sub, "..") || strstr(sub, "//") ||
	    sub[strlen(sub) - 1] == '/' || strlen(sub) > HARNESS_CGROUP_MAX - 32)
		cr_assert_fail("NSLAB_CGROUP_SUBTREE=\"%.200s\": give a path of "
			       "cgroup names below the root, such as nslab.slice",
			       sub);
	snprintf(name, sizeof(name), "%s/nslab-test-%d", sub, (int)getpid());
	return name;
}

/* The cgroups below this test's parent cgroup, in every tree under
 * /sys/fs/cgroup (v2: the tree itself; v1 and hybrid: one per controller):
 * a lesson's cgroup that outlives it is a leak. */
static void add_cgroups(struct strbuf *sb)
{
	DIR *trees = opendir("/sys/fs/cgroup");
	struct dirent *t;

	while (trees && (t = readdir(trees))) {
		char path[PATH_MAX];
		struct dirent *e;
		DIR *d;

		if (strcmp(t->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s", t->d_name,
			 harness_cgroup_parent());
		if (!(d = opendir(path)))
			continue;
		while ((e = readdir(d)))
			if (e->d_type == DT_DIR && e->d_name[0] != '.')
				sb_printf(sb, "cgroup: %s/%s/%s\n", t->d_name,
					  harness_cgroup_parent(), e->d_name);
		closedir(d);
	}
	if (trees)
		closedir(trees);
}

/* The leases lesson 07 holds in /run/nslab (lessons/lib/lease.h): one
 * whose flock is held is a live container's, and one left after a run
 * means something of it still runs. A lease whose lock nobody holds is
 * stale by design (its launcher was killed before its reaper started):
 * the next container removes it, so it is not state. */
static void add_leases(struct strbuf *sb)
{
	DIR *d = opendir(HARNESS_LEASE_DIR);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 && flock(fd, LOCK_SH | LOCK_NB) == -1)
			sb_printf(sb, "lease: %s/%s (held)\n", HARNESS_LEASE_DIR, e->d_name);
		if (fd != -1)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* The rootless layers lesson 07 keeps in HARNESS_LAYER_DIR. */
static void add_layers(struct strbuf *sb)
{
	DIR *d = opendir(HARNESS_LAYER_DIR);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, HARNESS_LAYER_PREFIX, strlen(HARNESS_LAYER_PREFIX)))
			sb_printf(sb, "layer: %s/%s\n", HARNESS_LAYER_DIR, e->d_name);
	if (d)
		closedir(d);
}

char *host_state(bool network)
{
	static const int mount_cols[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 0};
	static const int first_col[] = {1, 0};
	static const int ipc_cols[] = {1, 2, 0};
	struct strbuf sb = {0};
	struct utsname u;

	cr_assert_eq(uname(&u), 0);
	sb_printf(&sb, "hostname: %s\ndomainname: %s\n", u.nodename,
		  u.domainname);
	/* mountinfo without the mount ids: root, mount point, options,
	 * propagation, type, source, super options. */
	add_table(&sb, "mount", "/proc/self/mountinfo", 0, mount_cols);
	add_table(&sb, "link", "/proc/self/net/dev", 2, first_col);
	/* Routes and addresses change on a real host by themselves (DHCP,
	 * IPv6 privacy addresses): compare them only in a test's own
	 * network namespace. */
	if (network) {
		add_table(&sb, "route", "/proc/self/net/route", 1, NULL);
		add_table(&sb, "ipv6", "/proc/self/net/if_inet6", 0, NULL);
	}
	add_table(&sb, "msg", "/proc/sysvipc/msg", 1, ipc_cols);
	add_table(&sb, "shm", "/proc/sysvipc/shm", 1, ipc_cols);
	add_table(&sb, "sem", "/proc/sysvipc/sem", 1, ipc_cols);
	add_cgroups(&sb);
	add_leases(&sb);
	add_layers(&sb);
	return sb.s;
}

/* The first line of `a` that is not in `b`, copied into buf. */
static bool first_missing(const char *a, const char *b, char *buf, size_t size)
{
	const char *line = a;

	while (*line) {
		const char *end = strchrnul(line, '\n');
		size_t len = end - line;
		const char *p = b;
		bool found = false;

		while (*p && !found) {
			const char *e = strchrnul(p, '\n');

			found = (size_t)(e - p) == len && !memcmp(p, line, len);
			p = *e ? e + 1 : e;
		}
		if (!found) {
			snprintf(buf, size, "%.*s", (int)len, line);
			return true;
		}
		line = *end ? end + 1 : end;
	}
	return false;
}

/* Describe how `after` differs from `before`; NULL if they are equal. */
char *state_diff(const char *before, const char *after)
{
	char gone[512], added[512], *msg = NULL;

	if (strcmp(before, after) == 0)
		return NULL;
	if (first_missing(after, before, added, sizeof(added)))
		(void)!asprintf(&msg, "new: \"%s\"", added);
	else if (first_missing(before, after, gone, sizeof(gone)))
		(void)!asprintf(&msg, "gone: \"%s\"", gone);
	else
		(void)!asprintf(&msg, "the same lines in another order");
	return msg;
}

void assert_host_state(const char *before, const char *when)
{
	char *after = host_state(isolated);
	char *diff = state_diff(before, after);

	/* A network namespace's devices go a moment after its last process
	 * (the kernel cleans up in a worker): allow up to 2 s for that. */
	for (double end = now() + 2.0; diff && now() < end; nap(0.02)) {
		free(after);
		free(diff);
		after = host_state(isolated);
		diff = state_diff(before, after);
	}
	free(after);
	if (diff) {
		char copy[600];

		snprintf(copy, sizeof(copy), "%s", diff);
		free(diff);
		cr_assert_fail("the host changed %s (%s): a namespace the lesson should "
			"have made new was shared, or something it set up outlived it",
			when, copy);
	}
}

/* ---- per-test setup -------------------------------------------------- */

/* Where the current run was stopped, for check_kill_points' messages. */
char run_context[160] = "";
char *state_before;
pid_t kept[8];
/* The test's own HARNESS_LAYER_DIR, on the host's; "" if none. */
static char layer_dir[64];

bool harness_isolated(void)
{
	return isolated;
}

void harness_setup(void)
{
	/* Orphans of the lesson become our children, so none can hide. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET) == 0) {
		/* Cut every mount off from the real host first, then make
		 * them shared among our own copies, as systemd does on a
		 * real host: a lesson that forgets to make its mounts
		 * private leaks into this test's namespace, not the host's. */
		cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
			     "mount / rprivate: %s", strerror(errno));
		cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL), 0,
			     "mount / rshared: %s", strerror(errno));
		/* Lesson 07's leases of names and subnets, of this test's
		 * own: a directory of the host's would be shared with every
		 * other test, suite and container running at once. The mount
		 * point is made on the host as the container makes it. */
		if (mkdir(HARNESS_LEASE_DIR, 0700) == -1 && errno != EEXIST)
			cr_assert_fail("mkdir(%s): %s", HARNESS_LEASE_DIR, strerror(errno));
		cr_assert_eq(mount("nslab-test", HARNESS_LEASE_DIR, "tmpfs",
				   MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=1m"), 0,
			     "mount(tmpfs, %s): %s", HARNESS_LEASE_DIR, strerror(errno));
		/* And the rootless layers: a directory on the same disk
		 * (their overlay needs a file system with user.* xattrs, a
		 * tmpfs has them only from Linux 6.6), sticky and writable
		 * by all as the real one. */
		snprintf(layer_dir, sizeof(layer_dir), HARNESS_LAYER_DIR "/nslab-test-XXXXXX");
		cr_assert(mkdtemp(layer_dir), "mkdtemp(%s): %s", layer_dir, strerror(errno));
		cr_assert_eq(chmod(layer_dir, 01777), 0, "chmod(%s): %s", layer_dir,
			     strerror(errno));
		cr_assert_eq(mount(layer_dir, HARNESS_LAYER_DIR, NULL, MS_BIND, NULL), 0,
			     "mount(%s, %s, MS_BIND): %s", layer_dir, HARNESS_LAYER_DIR,
			     strerror(errno));
		isolated = true;
	}
	state_before = host_state(isolated);
}

void harness_keep(pid_t pid)
{
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (!kept[i]) {
			kept[i] = pid;
			return;
		}
	cr_assert_fail("harness_keep: too many kept processes");
}

void harness_rebase(void)
{
	free(state_before);
	state_before = host_state(isolated);
}

/* Remove a cgroup and the ones below it, ending what is still in them
 * (SIGKILL to each pid of cgroup.procs, then rmdir, retried while the
 * kernel lets the last processes go, up to a second). */
static void remove_cgroup_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[PATH_MAX], *procs;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			remove_cgroup_tree(sub);
		}
	closedir(d);
	snprintf(sub, sizeof(sub), "%s/cgroup.procs", path);
	for (double end = now() + 1.0; rmdir(path) == -1 && errno == EBUSY &&
	     now() < end; nap(0.02)) {
		procs = slurp(sub);
		for (char *p = procs; p && *p;) {
			long pid = strtol(p, &p, 10);

			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
			while (*p == '\n')
				p++;
		}
		free(procs);
	}
}

void harness_teardown(void)
{
	DIR *trees;
	struct dirent *t;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] > 0)
			kill(kept[i], SIGKILL);
	free(state_before);
	state_before = NULL;
	/* The test's layer directory, with what a failed run left in it
	 * (that run has failed already), seen again once unbound. */
	if (layer_dir[0] && umount2(HARNESS_LAYER_DIR, MNT_DETACH) == 0)
		remove_tree(layer_dir);
	layer_dir[0] = '\0';
	/* The parent cgroups a lesson made for this test. A cgroup a
	 * lesson left in it has already failed the run that left it (the
	 * host state above); the test machine is cleaned all the same: a
	 * skeleton that stops early, or a cleanup process the harness
	 * killed as a leftover, must not leave cgroups on the host. */
	if ((trees = opendir("/sys/fs/cgroup"))) {
		while ((t = readdir(trees))) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s",
				 strcmp(t->d_name, "..") ? t->d_name : ".",
				 harness_cgroup_parent());
			remove_cgroup_tree(path);
		}
		closedir(trees);
	}
}

void require_unshare(int flags, const char *what)
{
	pid_t pid = fork();
	int status;

	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(unshare(flags) == -1 ? errno : 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		int e = WEXITSTATUS(status);

		if (e == EPERM || e == EACCES || e == EINVAL || e == ENOSPC ||
		    e == EUSERS)
			cr_skip_test("this machine refuses unshare(%s) to this test "
				     "(%s); run it as root", what, strerror(e));
	}
}
