/* user.c - run a command as root of a user namespace, as an ordinary user (lesson 06)
 *
 * The idea: user and group ids are not global either. A child created by
 * clone(2) with CLONE_NEWUSER lives in a new user namespace whose ids are
 * translated to the parent's through two tables, /proc/PID/uid_map and
 * /proc/PID/gid_map, that the parent writes once. Map 0 inside to your own
 * uid outside and the command is root in there, with every capability, yet
 * to the host (the Bastion) it is still you: files it creates are yours,
 * and what the host's root owns stays out of reach. This is the one
 * namespace an ordinary user may create, and rootless containers start
 * from it.
 *
 * Usage: user [-q] [-u INSIDE:OUTSIDE:COUNT]... [-g INSIDE:OUTSIDE:COUNT]...
 *             [--] [COMMAND [ARG...]]
 *
 * Sample session (as an ordinary user, uid 1000):
 *   $ ./user -- id
 *   user: parent pid 4242 in user:[4026531837], uid 1000 gid 1000
 *   user: child  pid 4243 in user:[4026532614], a new user namespace
 *   user: /proc/4243/uid_map <- "0 1000 1"
 *   user: /proc/4243/setgroups <- "deny"
 *   user: /proc/4243/gid_map <- "0 1000 1"
 *   uid=0(root) gid=0(root) groups=0(root),65534(nogroup)
 *   user: command exited with status 0
 *   $ ./user -u 0:1001:1 -- id
 *   user: write(/proc/4245/uid_map, "0 1001 1"): Operation not permitted; ...
 *
 * Read: user_namespaces(7), clone(2), namespaces(7), capabilities(7),
 *       newuidmap(1), subuid(5).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
/* The kernel reads a map in one write of less than a page, at most 340
 * lines (5 before Linux 4.15); see user_namespaces(7). */
#define MAP_MAX 4096
#define MAP_LINES_MAX 340
/* uid 4294967295 is (uid_t)-1, "no id": a range may not reach it. */
#define ID_LAST 4294967294ULL

/* One of the two tables: "INSIDE OUTSIDE COUNT\n" lines. */
struct id_map {
	char text[MAP_MAX];
	size_t len;
	int lines;
	unsigned long first_inside; /* the id the command runs as */
};

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;       /* the command to run */
	uid_t uid;         /* the ids it runs as, inside */
	gid_t gid;
	int sync_pipe[2];  /* the child waits for EOF on [0] */
	pid_t parent;      /* the launcher, to detect its death */
	dev_t parent_userns_dev; /* and its user namespace */
	ino_t parent_userns_ino;
};

static bool quiet;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-u INSIDE:OUTSIDE:COUNT]... [-g INSIDE:OUTSIDE:COUNT]...\n"
		"          [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new user namespace. By default uid 0 and gid 0 inside\n"
		"are your own uid and gid outside, so COMMAND is root in there (with\n"
		"every capability, over that namespace only). Without COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  -u INSIDE:OUTSIDE:COUNT  map uids INSIDE.. to OUTSIDE.. (COUNT of them);\n"
		"                           repeat for more lines; COMMAND runs as the\n"
		"                           first INSIDE\n"
		"  -g INSIDE:OUTSIDE:COUNT  the same for gids\n"
		"  -q                       do not print the account of what happens on stderr\n"
		"  -h                       show this help\n"
		"\n"
		"No root needed: make lesson06 ARGS='-- id'. An ordinary user may map only\n"
		"their own uid and gid, with COUNT 1; wider maps need CAP_SETUID and\n"
		"CAP_SETGID outside (root), or newuidmap(1) and /etc/subuid.\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("user: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Stops the program at a step the skeleton leaves to the student. The
 * solution never calls it. */
static __attribute__((noreturn, unused)) void todo(int n, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", n, what);
}

/* "user:[4026531837]", the target of /proc/PID/ns/user, as ls -l shows it. */
static const char *ns_label(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* A map on one line, for messages: "0 1000 1, 1 100000 65536". */
static const char *map_oneline(const char *text)
{
	static char buf[160];
	size_t j = 0;

	for (size_t i = 0; text[i] && j + 3 < sizeof(buf); i++) {
		if (text[i] != '\n')
			buf[j++] = text[i];
		else if (text[i + 1])
			buf[j++] = ',', buf[j++] = ' ';
	}
	buf[j] = '\0';
	return buf;
}

/* Add the line "INSIDE OUTSIDE COUNT" that option -opt spelt
 * "INSIDE:OUTSIDE:COUNT"; malformed input is a usage error. */
static void add_map_line(struct id_map *map, int opt, const char *spec)
{
	unsigned long long v[3];
	const char *p = spec;
	char *end;
	int n;

	for (int i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (!(*p >= '0' && *p <= '9') || errno || end == p ||
		    *end != (i < 2 ? ':' : '\0'))
			errx(EXIT_USAGE, "-%c %s: expected INSIDE:OUTSIDE:COUNT, three "
			     "decimal numbers such as 0:1000:1", opt, spec);
		p = end + 1;
	}
	if (v[2] == 0)
		errx(EXIT_USAGE, "-%c %s: COUNT must be at least 1", opt, spec);
	if (v[0] + v[2] - 1 > ID_LAST || v[1] + v[2] - 1 > ID_LAST)
		errx(EXIT_USAGE, "-%c %s: the range goes past id %llu, the last "
		     "valid one", opt, spec, ID_LAST);
	if (map->lines == MAP_LINES_MAX)
		errx(EXIT_USAGE, "-%c: the kernel takes at most %d lines per map",
		     opt, MAP_LINES_MAX);
	if (map->lines == 0)
		map->first_inside = (unsigned long)v[0];
	n = snprintf(map->text + map->len, sizeof(map->text) - map->len,
		     "%llu %llu %llu\n", v[0], v[1], v[2]);
	if (n < 0 || (size_t)n >= sizeof(map->text) - map->len)
		errx(EXIT_USAGE, "-%c: the map must fit in %d bytes", opt, MAP_MAX);
	map->len += n;
	map->lines++;
}

/* Translate the errno of a refused write to /proc/PID/{uid,gid}_map or
 * setgroups into what to do about it. */
static void __attribute__((noreturn))
write_failed(const char *path, const char *text)
{
	int e = errno;
	bool gid = strstr(path, "gid_map") != NULL;
	const char *hint = "";
	char buf[200];

	if (e == EPERM && strstr(path, "_map")) {
		snprintf(buf, sizeof(buf),
			 "without CAP_%s in the parent user namespace you may map only "
			 "your own %s (%u), one line with COUNT 1%s; root, or "
			 "new%smap(1) with /etc/sub%s, can map more",
			 gid ? "SETGID" : "SETUID", gid ? "gid" : "uid",
			 gid ? (unsigned)getegid() : (unsigned)geteuid(),
			 gid ? ", after \"deny\" in setgroups" : "",
			 gid ? "gid" : "uid", gid ? "gid" : "uid");
		hint = buf;
	} else if (e == EPERM) {
		hint = "a map was written already, or setgroups(2) was used";
	} else if (e == EINVAL) {
		hint = "the kernel refused the map: ranges overlap, or it has more "
		       "lines than this kernel takes (user_namespaces(7))";
	} else if (e == ENOENT) {
		hint = "the child is gone, or the kernel has no user namespaces";
	}
	errx(EXIT_FAILURE, "write(%s, \"%s\"): %s%s%s", path, map_oneline(text),
	     strerror(e), *hint ? "; " : "", hint);
}

/* Write `text` to /proc/PID/NAME. */
static void write_proc_file(pid_t pid, const char *name, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Open path write-only (O_CLOEXEC too) and write all of text in a
	//       single write(2): the kernel parses a map from one write and
	//       refuses a second one (user_namespaces(7)). On any failure, or a
	//       short write, call write_failed(path, text): it reads errno and
	//       explains. Close the file.
	// STUB: (void)path;
	// STUB: (void)text;
	// STUB: (void)write_failed;
	// STUB: todo({n}, "write_proc_file(): open /proc/PID/NAME, one write()");
	// tag::write[]
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, len) != (ssize_t)len)
		write_failed(path, text);
	close(fd);
	// end::write[]
	// END SOLUTION
	say("%s <- \"%s\"", path, map_oneline(text));
}

/* The identity of the user namespace of `path` (namespaces(7)). */
static void ns_id(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat(path, &st) == -1)
		err(EXIT_FAILURE, "stat(%s)", path);
	*dev = st.st_dev;
	*ino = st.st_ino;
}

/* Refuse to run anything unless this process really is in a user
 * namespace of its own: a clone() without CLONE_NEWUSER would run the
 * command with the launcher's privileges, on the host. (The launcher's
 * namespace is compared as it recorded it: from a child user namespace,
 * the launcher's /proc/PID/ns is out of reach.) */
static void ensure_own_userns(const struct child_args *a)
{
	dev_t dev;
	ino_t ino;

	ns_id("/proc/self/ns/user", &dev, &ino);
	if (dev == a->parent_userns_dev && ino == a->parent_userns_ino)
		errx(EXIT_FAILURE, "refusing to run the command: this process "
		     "still shares the host's user namespace (did clone() get "
		     "CLONE_NEWUSER?)");
}

/* Everything here runs inside the new user namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char c;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too:
	 * nothing of the lesson may outlive it. getppid() catches the case
	 * where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		_exit(EXIT_FAILURE); /* the launcher is gone; it said why */

	/* Wait while the parent writes our maps. Until then every id we
	 * hold reads as the overflow id 65534 in here. Close our copy of the
	 * write end first, or the read below never sees EOF. The parent
	 * sends one byte when the maps are in place; EOF without it means
	 * the parent gave up (it said why), so we leave quietly. */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &c, 1) != 1)
		_exit(EXIT_FAILURE);
	close(a->sync_pipe[0]);

	ensure_own_userns(a);
	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Become a->gid and a->uid inside, gid first (once the uid is not
	//       0 the capability to change the gid is gone): setresgid(2) and
	//       setresuid(2) with the same id three times. The maps did not
	//       change our credentials, only how they read; when root maps 0
	//       to another uid, we still hold root's own, unmapped uid until
	//       this call. EINVAL means the id is not in the map.
	// STUB: (void)a;
	// STUB: todo({n}, "setresgid()/setresuid() to the ids inside");
	// tag::become[]
	if (setresgid(a->gid, a->gid, a->gid) == -1)
		err(EXIT_FAILURE, "setresgid(%u)", (unsigned)a->gid);
	if (setresuid(a->uid, a->uid, a->uid) == -1)
		err(EXIT_FAILURE, "setresuid(%u)", (unsigned)a->uid);
	// end::become[]
	// END SOLUTION

	/* A change of credentials clears the parent-death signal
	 * (prctl(2)): set it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		_exit(EXIT_FAILURE); /* the launcher is gone; it said why */

	execvp(a->argv[0], a->argv);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", a->argv[0]);
}

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	if (errno == EPERM)
		err(EXIT_FAILURE, "clone(CLONE_NEWUSER): this system forbids "
		    "unprivileged user namespaces (kernel.unprivileged_userns_clone=0, "
		    "kernel.apparmor_restrict_unprivileged_userns=1, or a chroot); "
		    "run as root: sudo make lesson06");
	if (errno == ENOSPC)
		err(EXIT_FAILURE, "clone(CLONE_NEWUSER): too many user namespaces; "
		    "see /proc/sys/user/max_user_namespaces (0 turns them off)");
	if (errno == EUSERS)
		err(EXIT_FAILURE, "clone(CLONE_NEWUSER): user namespaces nest at "
		    "most 32 deep");
	if (errno == EINVAL)
		err(EXIT_FAILURE, "clone(CLONE_NEWUSER): this kernel was built "
		    "without user namespaces (CONFIG_USER_NS)");
	err(EXIT_FAILURE, "clone(CLONE_NEWUSER)");
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The parent writes the child's maps through /proc/PID, with the pid
 * clone() returned: that only works if /proc shows our PID namespace
 * (inside `unshare --pid --fork` without --mount-proc it shows the one
 * above, and PID would name somebody else). */
static void ensure_proc_is_ours(void)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n > 0)
		self[n] = '\0';
	if (n <= 0 || atoi(self) != getpid())
		errx(EXIT_FAILURE, "/proc is not the /proc of this PID namespace "
		     "(/proc/self is \"%s\", our pid is %d): mount a fresh one "
		     "(unshare --mount-proc) first", n > 0 ? self : "?", (int)getpid());
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	/* What root in a user namespace may and may not do. Renaming the
	 * host to its own name changes nothing even if it were allowed. */
	static char *demo[] = {
		"/bin/sh", "-c",
		"echo \"inside: $(id), $(readlink /proc/self/ns/user)\"\n"
		"echo \"uid_map: $(cat /proc/self/uid_map)\"\n"
		"grep CapEff /proc/self/status\n"
		"unshare --uts sh -c 'hostname inner && "
		"echo \"may:     make a UTS namespace and call it $(hostname)\"'\n"
		"hostname \"$(hostname)\" 2>/dev/null || "
		"echo \"may not: sethostname in the host's UTS namespace\"\n"
		"echo \"owner of /: uid $(stat -c %u /) in here\"\n",
		NULL};
	struct id_map uid_map = {.len = 0}, gid_map = {.len = 0};
	struct child_args args;
	char label[64];
	int opt, status;
	char *stack;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hqu:g:")) != -1) {
		switch (opt) {
		case 'u':
			add_map_line(&uid_map, opt, optarg);
			break;
		case 'g':
			add_map_line(&gid_map, opt, optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	/* The default: root inside is whoever runs this, outside. The
	 * kernel checks the effective ids. */
	if (uid_map.lines == 0) {
		char spec[32];

		snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)geteuid());
		add_map_line(&uid_map, 'u', spec);
	}
	if (gid_map.lines == 0) {
		char spec[32];

		snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)getegid());
		add_map_line(&gid_map, 'g', spec);
	}
	args = (struct child_args){
		.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo,
		.uid = (uid_t)uid_map.first_inside,
		.gid = (gid_t)gid_map.first_inside,
	};

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	ensure_proc_is_ours();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the maps are written.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();
	ns_id("/proc/self/ns/user", &args.parent_userns_dev,
	      &args.parent_userns_ino);

	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	say("parent pid %d in %s, uid %u gid %u", (int)getpid(),
	    ns_label(getpid(), label, sizeof(label)), (unsigned)geteuid(),
	    (unsigned)getegid());

	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Start child_main(&args) in a new user namespace: clone(2) with
	//       the top of the stack (stack + STACK_SIZE) and the flags
	//       CLONE_NEWUSER (a new user namespace; the one namespace that
	//       needs no privilege) | SIGCHLD (so that waitpid sees the child
	//       end). Keep the child's pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWUSER | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWUSER | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	say("child  pid %d in %s, a new user namespace", (int)pid,
	    ns_label(pid, label, sizeof(label)));

	/* The maps, while the child waits. If a write fails we exit, and
	 * the child dies with us (PR_SET_PDEATHSIG). */
	// BEGIN SOLUTION 4
	// STEP: TODO(4)
	// TODO: Write the uid map: write_proc_file(pid, "uid_map", uid_map.text).
	//       Only a process in the parent user namespace may write it, and
	//       without CAP_SETUID there only one line mapping its own uid.
	// STUB: (void)uid_map;
	// STUB: (void)write_proc_file;
	// STUB: todo({n}, "write /proc/PID/uid_map");
	// tag::uid_map[]
	write_proc_file(pid, "uid_map", uid_map.text);
	// end::uid_map[]
	// END SOLUTION

	// BEGIN SOLUTION 5
	// STEP: TODO(5)
	// TODO: Write "deny" to /proc/PID/setgroups, then the gid map to
	//       gid_map, in that order. Since Linux 3.19 (CVE-2014-8989) a
	//       writer without CAP_SETGID gets EPERM on gid_map until
	//       setgroups(2) is denied: otherwise root inside could drop a
	//       group that was there to keep it out of a file.
	// STUB: (void)gid_map;
	// STUB: todo({n}, "write \"deny\" to /proc/PID/setgroups, then gid_map");
	// tag::gid_map[]
	write_proc_file(pid, "setgroups", "deny");
	write_proc_file(pid, "gid_map", gid_map.text);
	// end::gid_map[]
	// END SOLUTION

	/* Release the child: one byte says "the maps are written". */
	close(args.sync_pipe[0]);
	if (write(args.sync_pipe[1], "", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	close(args.sync_pipe[1]);

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	say("command exited with status %d", exit_status(status));
	return exit_status(status);
}
