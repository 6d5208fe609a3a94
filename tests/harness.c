/* harness.c - spawn a lesson, watch it, and prove it left nothing behind.
 *
 * See harness.h for the interface. Two levels of host safety:
 *
 *   - in each test (harness_setup): as root the test first moves into new
 *     UTS, IPC, mount and network namespaces of its own, with "/" made
 *     private (cut off from the real host) and then shared again (so it
 *     behaves like a systemd host, where a mount made without care
 *     propagates). The lesson runs there; after every run the harness
 *     compares that state with the one it saw before, and fails the test
 *     on any difference or on a process the lesson left behind;
 *   - around the whole suite (main): the real host's state before and
 *     after, and a non-zero exit if it changed.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/hooks.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set by harness_setup when the test runs in throwaway namespaces. */
static bool isolated;

const char *const ns_names[NS_COUNT] = {"cgroup", "ipc", "mnt",  "net",
					"pid",    "time", "user", "uts"};

/* ---- small utilities ------------------------------------------------- */

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void nap(double seconds)
{
	struct timespec ts = {(time_t)seconds,
			      (long)((seconds - (time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Whole file as a NUL-terminated string, NULL if it cannot be read. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, size = 4096;
	char *buf;
	ssize_t n;

	if (fd == -1)
		return NULL;
	buf = malloc(size);
	while (buf && (n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len < 2) {
			char *bigger = realloc(buf, size *= 2);

			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

struct strbuf {
	char *s;
	size_t len, size;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->size - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->s ? sb->s + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			sb->len += n;
			return;
		}
		sb->size = sb->size * 2 + n + 64;
		sb->s = realloc(sb->s, sb->size);
		cr_assert_not_null(sb->s, "out of memory");
	}
}

void random_name(char *buf, size_t size, const char *prefix, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[128];
	size_t i = strlen(prefix);

	cr_assert(len < size && len <= sizeof(bytes) && i <= len);
	cr_assert_eq(getrandom(bytes, sizeof(bytes), 0), (ssize_t)sizeof(bytes));
	memcpy(buf, prefix, i);
	for (; i < len; i++)
		buf[i] = hex[bytes[i] & 15];
	buf[len] = '\0';
}

int random_between(int lo, int hi)
{
	unsigned int r;

	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	return lo + (int)(r % (unsigned int)(hi - lo + 1));
}

/* ---- namespaces ------------------------------------------------------ */

bool ns_of(pid_t pid, const char *name, struct nsid *id)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(path, &st) == -1)
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return true;
}

bool ns_same(struct nsid a, struct nsid b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

struct nsid my_ns(const char *name)
{
	struct nsid id = {0, 0};

	cr_assert(ns_of(getpid(), name, &id), "cannot stat /proc/self/ns/%s: %s",
		  name, strerror(errno));
	return id;
}

int ns_index(const char *name)
{
	for (int i = 0; i < NS_COUNT; i++)
		if (strcmp(ns_names[i], name) == 0)
			return i;
	return -1;
}

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
	static char name[32];

	snprintf(name, sizeof(name), "nslab-test-%d", (int)getpid());
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
static char *state_diff(const char *before, const char *after)
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
static char run_context[160] = "";
static char *state_before;
static pid_t kept[8];

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

void harness_teardown(void)
{
	DIR *trees;
	struct dirent *t;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] > 0)
			kill(kept[i], SIGKILL);
	free(state_before);
	state_before = NULL;
	/* The parent cgroups a lesson made for this test, once empty. */
	if ((trees = opendir("/sys/fs/cgroup"))) {
		while ((t = readdir(trees))) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s",
				 strcmp(t->d_name, "..") ? t->d_name : ".",
				 harness_cgroup_parent());
			rmdir(path);
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

/* ---- running the program under test --------------------------------- */

static const char *env_path(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

const char *lesson_bin(void)
{
	return env_path("NSLAB_BIN", "NSLAB_BIN-is-not-set");
}

const char *probe_bin(void)
{
	return env_path("NSLAB_PROBE", "build/tests/nslab-probe");
}

static void append_from(int *fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		*buf = realloc(*buf, *len + n + 1);
		cr_assert_not_null(*buf, "out of memory");
		memcpy(*buf + *len, chunk, n);
		*len += n;
		(*buf)[*len] = '\0';
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
	}
}

/* Poll the output pipes once for at most `timeout` seconds. */
static void pump(struct run *r, double timeout)
{
	struct pollfd p[2] = {{r->out_fd, POLLIN, 0}, {r->err_fd, POLLIN, 0}};

	if (r->out_fd == -1 && r->err_fd == -1) {
		nap(timeout);
		return;
	}
	if (poll(p, 2, (int)(timeout * 1000) + 1) <= 0)
		return;
	if (r->out_fd != -1 && p[0].revents)
		append_from(&r->out_fd, &r->out, &r->out_len);
	if (r->err_fd != -1 && p[1].revents)
		append_from(&r->err_fd, &r->err, &r->err_len);
}

static void try_reap(struct run *r)
{
	if (!r->reaped && waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
		r->reaped = true;
		if (WIFEXITED(r->status))
			r->code = WEXITSTATUS(r->status);
		else if (WIFSIGNALED(r->status))
			r->code = 128 + WTERMSIG(r->status);
	}
}

/* What tools/run-lesson does with `unshare --user --map-root-user`:
 * a user namespace where the caller's uid and gid are root. */
static int enter_rootless(const struct run_opts *o)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int fd;

	if (unshare(CLONE_NEWUSER) == -1)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if ((fd = open("/proc/self/uid_map", O_WRONLY)) == -1 ||
	    write(fd, map, strlen(map)) == -1 || close(fd) == -1)
		return -1;
	if ((fd = open("/proc/self/setgroups", O_WRONLY)) == -1 ||
	    write(fd, "deny", 4) == -1 || close(fd) == -1)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if ((fd = open("/proc/self/gid_map", O_WRONLY)) == -1 ||
	    write(fd, map, strlen(map)) == -1 || close(fd) == -1)
		return -1;
	return o->rootless_net ? unshare(CLONE_NEWNET) : 0;
}

uid_t test_uid(void)
{
	static uid_t uid;

	if (!uid)
		uid = (uid_t)random_between(20000, 60000);
	return uid;
}

void run_start(struct run *r, const char *const args[], const struct run_opts *o)
{
	int in[2], out[2], err[2];
	const char *argv[64];
	size_t n = 0;
	pid_t parent = getpid();

	memset(r, 0, sizeof(*r));
	argv[n++] = lesson_bin();
	for (; args && args[n - 1]; n++) {
		cr_assert(n < 63, "too many arguments");
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;
	r->out = strdup("");
	r->err = strdup("");
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	r->pid = fork();
	cr_assert_neq(r->pid, -1, "fork: %s", strerror(errno));
	if (r->pid == 0) {
		/* Own process group, so the whole tree can be signalled;
		 * dies with the test, so a crashed test leaves nothing. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* All other descriptors are O_CLOEXEC or closed here. */
		close_range(3, ~0U, 0);
		if (o && o->gid && (setgroups(0, NULL) == -1 || setgid(o->gid) == -1))
			_exit(125);
		if (o && o->uid && setuid(o->uid) == -1)
			_exit(125);
		/* setuid() made us non-dumpable, which makes /proc/self
		 * root's: undo that so we can write our own id maps. */
		prctl(PR_SET_DUMPABLE, 1);
		if (o && o->rootless && enter_rootless(o) == -1) {
			dprintf(2, "harness: cannot enter a user namespace: %s\n",
				strerror(errno));
			_exit(125);
		}
		/* Changing credentials cleared the parent-death signal. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		if (o && o->traced) {
			/* LeakSanitizer (SANITIZE=1) cannot work under ptrace. */
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		}
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	setpgid(r->pid, r->pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->err_fd = err[0];
	fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
	if (!(o && o->keep_stdin)) {
		close(r->in_fd);
		r->in_fd = -1;
	}
}

bool run_wait_output(struct run *r, const char *needle, double timeout)
{
	double end = now() + timeout;

	while (!strstr(r->out, needle) && now() < end) {
		if (r->out_fd == -1 && r->err_fd == -1) {
			try_reap(r);
			if (r->reaped)
				break;
		}
		pump(r, 0.05);
	}
	return strstr(r->out, needle) != NULL;
}

void run_hold(struct run *r, const char *const args[], const struct run_opts *o)
{
	struct run_opts held = o ? *o : (struct run_opts){0};

	held.keep_stdin = true;
	run_start(r, args, &held);
	cr_assert(run_wait_output(r, "ready", RUN_TIMEOUT),
		  "the command never printed \"ready\": it never started; %s", why(r));
}

/* Our children (we are a subreaper): pids of the lesson's leftovers.
 * Orphans are reparented to a thread of ours, so look at every thread. */
static size_t leftover_children(pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) && n < max) {
		char path[300], *text;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		text = slurp(path);
		for (char *p = text; p && *p && n < max;) {
			pid_t pid = (pid_t)strtol(p, &p, 10);
			bool keep = false;

			for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
				keep |= kept[i] == pid;
			if (pid > 0 && !keep)
				pids[n++] = pid;
			while (*p == ' ')
				p++;
		}
		free(text);
	}
	if (d)
		closedir(d);
	return n;
}

static void reap_zombies(void)
{
	int status;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] > 0)
			waitpid(kept[i], &status, WNOHANG); /* harmless */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

/* Under SANITIZE=1, ASan notes once per process that a child of clone()
 * runs on a stack it did not see made; that notice is the tool's, not
 * the lesson's output: take it out of stderr. */
static void drop_asan_stack_notice(char *err)
{
	static const char *const noise[] = {
		"WARNING: ASan is ignoring requested __asan_handle_no_return",
		"False positive error reports may follow",
		"For details see https://github.com/google/sanitizers/issues/189",
	};
	char *line = err;

	while (*line) {
		char *end = strchrnul(line, '\n');
		bool drop = false;

		for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
			drop |= memmem(line, end - line, noise[i], strlen(noise[i])) != NULL;
		if (drop)
			memmove(line, *end ? end + 1 : end, strlen(*end ? end + 1 : end) + 1);
		else
			line = *end ? end + 1 : end;
	}
}

/* Anything the lesson started must be gone with it: every process it
 * left (our children now: we are a subreaper) fails the test, and dies.
 * Give the kernel a moment to deliver parent-death signals. */
static void check_leftovers(void)
{
	pid_t left[16];
	size_t nleft;

	for (double grace = now() + 2.0;; nap(0.02)) {
		reap_zombies();
		nleft = leftover_children(left, 16);
		if (nleft == 0 || now() > grace)
			break;
	}
	if (nleft) {
		char comm[64] = "?", path[64], *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)left[0]);
		if ((c = slurp(path))) {
			snprintf(comm, sizeof(comm), "%s", strtok(c, "\n"));
			free(c);
		}
		for (size_t i = 0; i < nleft; i++)
			kill(left[i], SIGKILL);
		reap_zombies();
		cr_assert_fail("%zu process(es) outlived the lesson%s (the first: pid %d, "
			"%s): the child must die with its parent (PR_SET_PDEATHSIG) "
			"and be waited for", nleft, run_context, (int)left[0], comm);
	}
}

void run_finish(struct run *r)
{
	double end = now() + RUN_TIMEOUT;

	if (r->in_fd != -1) {
		close(r->in_fd);
		r->in_fd = -1;
	}
	while (!r->reaped && now() < end) {
		pump(r, 0.05);
		try_reap(r);
	}
	if (!r->reaped) {
		r->timed_out = true;
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, &r->status, 0);
		r->reaped = true;
		r->code = -1;
	}
	/* Drain what the lesson wrote just before it exited. */
	for (double grace = now() + 0.5;
	     (r->out_fd != -1 || r->err_fd != -1) && now() < grace;)
		pump(r, 0.05);
	if (r->out_fd != -1)
		close(r->out_fd);
	if (r->err_fd != -1)
		close(r->err_fd);
	r->out_fd = r->err_fd = -1;
	drop_asan_stack_notice(r->err);
	r->err_len = strlen(r->err);

	check_leftovers();
	cr_assert(!r->timed_out,
		  "the program did not finish within %.0f s and was killed; %s",
		  RUN_TIMEOUT, why(r));
	/* Under SANITIZE=1 a report must fail the test, whatever the status. */
	cr_assert(!strstr(r->err, "AddressSanitizer") && !strstr(r->err, "LeakSanitizer") &&
		  !strstr(r->err, "runtime error:"),
		  "the sanitizers found a bug: %s", why(r));
	if (state_before)
		assert_host_state(state_before, *run_context ? run_context
							    : "after the lesson ran");
}

void run_kill(struct run *r, int sig)
{
	kill(r->pid, sig);
	/* Reap the lesson, then look for what it left while the command's
	 * stdin is still open: a `probe --hold` that outlives the lesson
	 * stays, unless the kernel killed it with its parent. */
	for (double end = now() + RUN_TIMEOUT; !r->reaped && now() < end;) {
		pump(r, 0.05);
		try_reap(r);
	}
	if (r->reaped)
		check_leftovers();
	run_finish(r);
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void run_lesson(struct run *r, const char *const args[])
{
	run_start(r, args, NULL);
	run_finish(r);
}

void run_lesson_as(struct run *r, const char *const args[], uid_t uid, gid_t gid)
{
	struct run_opts o = {.uid = uid, .gid = gid};

	run_start(r, args, &o);
	run_finish(r);
}

const char *why(const struct run *r)
{
	static char bufs[4][600];
	static int next;
	char *buf = bufs[next++ % 4];
	const char *todo = r->err ? strstr(r->err, "TODO(") : NULL;

	/* Mistakes whose symptom on stderr is far from their cause. */
	static const struct {
		const char *a, *b, *fix;
	} known[] = {
		{"waitpid", "No child processes", "waitpid() finds no child: a "
		 "child made by clone() without SIGCHLD in its flags does not "
		 "count for waitpid() (clone(2), \"The child termination signal\")"},
	};

	for (size_t i = 0; r->err && i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(r->err, known[i].a) && strstr(r->err, known[i].b)) {
			snprintf(buf, 600, "%s; its stderr said: \"%.300s\"",
				 known[i].fix, r->err);
			for (char *p = buf; *p; p++)
				if (*p == '\n')
					*p = ' ';
			return buf;
		}
	if (todo) {
		snprintf(buf, 600, "the program stopped at \"%.*s\": do that step",
			 (int)strcspn(todo, "\n"), todo);
	} else if (r->err && *r->err) {
		snprintf(buf, 600, "its stderr said: \"%.400s\"", r->err);
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
	} else {
		snprintf(buf, 600, "it printed nothing on stderr (exit status %d)",
			 r->code);
	}
	return buf;
}

/* ---- killing a lesson at every step ---------------------------------- */

/* Let the traced lesson run to its exec stop, then on from one system
 * call entry to the next. Stops it with SIGKILL on entry to its
 * `kill_at`-th system call (never, if 0) and returns how many entries it
 * saw; *nr is the number of the system call it was killed in, and
 * *first_clone (if not NULL) the index of its first clone(). The
 * lesson's children are not traced: they run on, as they would. */
static void wake_up(int sig)
{
	(void)sig; /* only interrupts waitpid() */
}

static long trace_lesson(struct run *r, long kill_at, long *nr, long *first_clone)
{
	struct sigaction sa = {.sa_handler = wake_up}; /* no SA_RESTART */
	long entries = 0;
	int status, sig = 0;

	/* A lesson that never ends (a child that waits forever, say) must
	 * not hang the test: after RUN_TIMEOUT seconds waitpid() is
	 * interrupted and the lesson's process group killed. */
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)RUN_TIMEOUT);
	while (waitpid(r->pid, &status, 0) == -1) {
		if (errno != EINTR)
			return 0;
		r->timed_out = true;
		kill(-r->pid, SIGKILL);
	}
	if (!WIFSTOPPED(status))
		return 0;
	ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		struct __ptrace_syscall_info info;

		if (ptrace(PTRACE_SYSCALL, r->pid, NULL, (void *)(long)sig) == -1)
			break;
		sig = 0;
		if (waitpid(r->pid, &status, 0) != r->pid) {
			if (errno != EINTR)
				break;
			r->timed_out = true;
			kill(-r->pid, SIGKILL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			r->status = status;
			r->reaped = true;
			r->code = WIFEXITED(status) ? WEXITSTATUS(status)
						    : 128 + WTERMSIG(status);
			break;
		}
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* A signal for the lesson itself: deliver it. */
			if (WSTOPSIG(status) != SIGTRAP)
				sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, r->pid, (void *)sizeof(info),
			   &info) <= 0 || info.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		++entries;
		if (first_clone && !*first_clone &&
		    (info.entry.nr == SYS_clone || info.entry.nr == SYS_clone3))
			*first_clone = entries;
		/* About to wait for its command, and not to be killed here:
		 * let a command that holds until stdin closes finish. */
		if (entries != kill_at && r->in_fd != -1 &&
		    (info.entry.nr == SYS_wait4 || info.entry.nr == SYS_waitid)) {
			close(r->in_fd);
			r->in_fd = -1;
		}
		if (entries == kill_at) {
			*nr = (long)info.entry.nr;
			kill(r->pid, SIGKILL);
		}
	}
	alarm(0);
	/* Killed: the loop may have ended before it saw the exit. */
	if (!r->reaped && *nr != -1 && waitpid(r->pid, &status, 0) == r->pid) {
		r->status = status;
		r->reaped = true;
		r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return entries;
}

void check_kill_points(const char *const args[], const struct run_opts *how,
		       int points)
{
	struct run_opts o = how ? *how : (struct run_opts){0};
	long total, clone_at = 0, tried = 0, unreached = 0, nr = -1;
	struct run r;

	o.traced = true;
	/* A full run first: how many system calls does the lesson make, and
	 * where does it create its child? */
	run_start(&r, args, &o);
	total = trace_lesson(&r, 0, &nr, &clone_at);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "this test stops your program at each of its system "
		     "calls to kill it there, but the program failed even without "
		     "being killed (exit status %d); %s", r.code, why(&r));
	run_free(&r);
	cr_assert_gt(total, 0, "could not trace the lesson's system calls");
	cr_assert_gt(clone_at, 0, "the lesson never called clone()");

	/* Every system call from the clone on (that is where a child, mounts
	 * and links exist), and `points` more spread over the start. The
	 * command's stdin stays open while we look for leftovers, so a
	 * `probe --hold` the kernel did not kill with its parent is found. */
	o.keep_stdin = true;
	for (long k = 1; k <= total; k++) {
		if (k < clone_at && (k * points / clone_at) == ((k - 1) * points / clone_at))
			continue;
		nr = -1;
		run_start(&r, args, &o);
		trace_lesson(&r, k, &nr, NULL);
		if (nr == -1) {
			/* This run made fewer system calls: not killed there. */
			unreached++;
		} else {
			snprintf(run_context, sizeof(run_context),
				 " after SIGKILL on entry to its system call %ld of %ld "
				 "(number %ld)", k, total, nr);
			if (r.reaped)
				check_leftovers();
			tried++;
		}
		run_finish(&r);
		run_free(&r);
	}
	run_context[0] = '\0';
	/* For make test's summary (tools/suite): how many kill points. */
	if (getenv("NSLAB_KILLPOINTS")) {
		FILE *f = fopen(getenv("NSLAB_KILLPOINTS"), "a");

		if (f) {
			fprintf(f, "%ld %ld\n", tried, total);
			fclose(f);
		}
	}
	cr_assert_lt(unreached, tried, "the lesson made far fewer system calls in "
		     "most runs than in the first: %ld kill points never reached",
		     unreached);
	cr_log_info("killed the lesson at %ld of its %ld system calls (all from "
		    "its clone() on; %ld points not reached): nothing outlived it",
		    tried, total, unreached);
}

/* ---- processes ------------------------------------------------------- */

pid_t find_descendant(pid_t root, const char *comm, double timeout)
{
	double end = now() + timeout;

	do {
		pid_t queue[256];
		size_t head = 0, tail = 0;

		queue[tail++] = root;
		while (head < tail) {
			pid_t pid = queue[head++];
			char path[96], *text;
			DIR *d;
			struct dirent *e;

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (pid != root && (text = slurp(path))) {
				bool match = strcmp(strtok(text, "\n") ?: "", comm) == 0;

				free(text);
				if (match)
					return pid;
			}
			snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
			if (!(d = opendir(path)))
				continue;
			while ((e = readdir(d))) {
				char cpath[300];

				if (e->d_name[0] == '.')
					continue;
				snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children",
					 (int)pid, e->d_name);
				text = slurp(cpath);
				for (char *p = text; p && *p && tail < 256;) {
					pid_t c = (pid_t)strtol(p, &p, 10);

					if (c > 0)
						queue[tail++] = c;
					while (*p == ' ')
						p++;
				}
				free(text);
			}
			closedir(d);
		}
		nap(0.01);
	} while (now() < end);
	return 0;
}

/* ---- the probe's report ---------------------------------------------- */

struct probe probe_parse(const char *text, const struct run *r)
{
	struct probe p;
	const char *start = strstr(text, "nslab-probe report\n");
	char *copy, *line, *save = NULL;

	memset(&p, 0, sizeof(p));
	cr_assert_not_null(start,
			   "the command inside never reported (the probe printed "
			   "nothing); %s", why(r));
	copy = strdup(start);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long long dev, ino;
		long v;

		if (strcmp(line, "end") == 0) {
			p.valid = true;
			break;
		}
		if (sscanf(line, "ns %31s %llu %llu", name, &dev, &ino) == 3) {
			int i = ns_index(name);

			if (i >= 0)
				p.ns[i] = (struct nsid){(dev_t)dev, (ino_t)ino};
		} else if (sscanf(line, "hostname %71[^\n]", p.hostname) == 1 ||
			   sscanf(line, "domainname %71[^\n]", p.domainname) == 1) {
			continue;
		} else if (sscanf(line, "pid %ld", &v) == 1) {
			p.pid = v;
		} else if (sscanf(line, "ppid %ld", &v) == 1) {
			p.ppid = v;
		} else if (sscanf(line, "uid %ld", &v) == 1) {
			p.uid = v;
		} else if (sscanf(line, "euid %ld", &v) == 1) {
			p.euid = v;
		} else if (sscanf(line, "gid %ld", &v) == 1) {
			p.gid = v;
		} else if (sscanf(line, "egid %ld", &v) == 1) {
			p.egid = v;
		}
	}
	free(copy);
	cr_assert(p.valid, "the probe's report was cut short; %s", why(r));
	return p;
}

/* ---- the suite's main ------------------------------------------------ */

static size_t skipped;
static char first_failure[512];
static char first_failure_test[128];

/* Every test's result, one line each in $NSLAB_REPORT.tests: its name
 * (sN_...: the step it checks), passed/failed/skipped, and the first
 * failed assertion's message on one line. tools/suite makes the step
 * table of make checkNN and the points of make grade from it. */
static void record_test(const struct criterion_test_stats *st, const char *msg)
{
	const char *report = getenv("NSLAB_REPORT");
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (!report)
		return;
	snprintf(path, sizeof(path), "%s.tests", report);
	f = fopen(path, "a");
	if (!f)
		return;
	snprintf(line, sizeof(line), "%s\t%s\t%s", st->test->name,
		 st->test_status == CR_STATUS_FAILED  ? "failed"
		 : st->test_status == CR_STATUS_SKIPPED ? "skipped"
							: "passed",
		 msg ? msg : "");
	for (char *p = line + strlen(st->test->name) + 8; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	fprintf(f, "%s\n", line);
	fclose(f);
}

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	const char *msg = "crashed or timed out";

	if (st->test_status != CR_STATUS_FAILED) {
		record_test(st, NULL);
		return;
	}
	for (struct criterion_assert_stats *a = st->asserts; a; a = a->next)
		if (!a->passed && a->message && *a->message) {
			msg = a->message;
			break;
		}
	if (st->timed_out)
		msg = "timed out";
	record_test(st, msg);
	if (first_failure_test[0] && strcmp(st->test->name, first_failure_test) > 0)
		return;
	snprintf(first_failure_test, sizeof(first_failure_test), "%s", st->test->name);
	snprintf(first_failure, sizeof(first_failure), "%s: %s", st->test->name, msg);
	for (char *p = first_failure; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

static struct criterion_global_stats totals;

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	totals = *st;
	skipped = st->tests_skipped;
}

/* Exit codes: 0 all passed, 1 a test failed, 2 the suite could not run,
 * 3 the real host changed, 4 a test was skipped under NSLAB_NO_SKIP=1. */
int main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	const char *report = getenv("NSLAB_REPORT");
	char *before, *after, *diff;
	bool listing = false;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		listing |= !strcmp(argv[i], "-l") || !strcmp(argv[i], "--list");
	if (!listing && access(lesson_bin(), X_OK) == -1) {
		fprintf(stderr, "%s: cannot run the program under test \"%s\" (%s); "
			"set NSLAB_BIN, or use make check/test\n",
			argv[0], lesson_bin(), strerror(errno));
		return 2;
	}
	if (!listing && access(probe_bin(), X_OK) == -1) {
		fprintf(stderr, "%s: no probe at \"%s\" (%s); set NSLAB_PROBE\n",
			argv[0], probe_bin(), strerror(errno));
		return 2;
	}
	if (report && !listing) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s.tests", report);
		unlink(path);
	}
	before = host_state(false);
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true)) {
		rc = criterion_run_all_tests(tests) ? 0 : 1;
	} else if (!listing) {
		/* -h and --version end here too; anything else is a typo. */
		for (int i = 1; i < argc; i++)
			listing |= !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
				   !strcmp(argv[i], "--version");
		rc = listing ? 0 : 2;
	}
	criterion_finalize(tests);
	if (listing || rc == 2)
		return rc;
	if (totals.tests_passed + totals.tests_failed == 0) {
		fprintf(stderr, "nslab: no test ran (a --filter that matches none?)\n");
		rc = 2;
	}

	after = host_state(false);
	diff = state_diff(before, after);
	if (diff) {
		fprintf(stderr, "nslab: THE HOST CHANGED during this suite: %s\n", diff);
		rc = 3;
	} else if (skipped && getenv("NSLAB_NO_SKIP") && rc == 0) {
		fprintf(stderr, "nslab: %zu test(s) skipped, but this run may skip "
			"nothing (NSLAB_NO_SKIP)\n", skipped);
		rc = 4;
	}
	if (report) {
		FILE *f = fopen(report, "w");

		if (f) {
			fprintf(f, "%zu %zu %zu %d %s\n", totals.tests_passed,
				totals.nb_tests, skipped, rc, first_failure);
			fclose(f);
		}
	}
	free(before);
	free(after);
	free(diff);
	return rc;
}
