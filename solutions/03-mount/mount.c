/* mount.c - run a command with mounts of its own (lesson 03)
 *
 * The idea: the list of mounts a process sees is not the machine's but
 * its mount namespace's. A child created by clone(2) with CLONE_NEWNS
 * starts with a copy of its parent's mount table; mounts it adds or
 * removes afterwards change only its copy. Only afterwards, because
 * mounts can be linked across namespaces by "propagation": on a systemd
 * host every mount is shared, the copies stay shared with the host's
 * originals, and a mount made in the child would appear on the host (the
 * Bastion) too. So the first mount call in the new namespace makes every
 * mount private; then come a tmpfs and bind mounts that nobody else sees.
 * Every container does this before it builds its root filesystem.
 *
 * Usage: mount [-q] [-t DIR]... [-b SRC:DST]... [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ mkdir -p /tmp/scratch
 *   $ sudo ./mount -t /tmp/scratch -- sh -c 'touch /tmp/scratch/f; ls /tmp/scratch'
 *   mount: parent pid 4242 in mnt:[4026531841], 27 mounts
 *   mount: child  pid 4243 in mnt:[4026532612], a new mount namespace
 *   mount: propagation of / was shared:1, now private
 *   mount: tmpfs on /tmp/scratch
 *   f
 *   mount: command exited with status 0; the host still has 27 mounts (27 before)
 *   $ ls /tmp/scratch
 *   $
 *
 * Read: clone(2), mount_namespaces(7), mount(2), namespaces(7),
 *       proc_pid_mountinfo(5) (or proc(5)), findmnt(8).
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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
/* How many -t and how many -b options one run accepts. */
#define MAX_MOUNTS 16

/* One bind mount: SRC appears (also) at DST. */
struct bind {
	const char *src, *dst;
};

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;                   /* the command to run */
	const char *tmpfs[MAX_MOUNTS]; /* directories to cover with a tmpfs */
	int ntmpfs;
	struct bind binds[MAX_MOUNTS]; /* bind mounts, in command-line order */
	int nbinds;
	int sync_pipe[2];              /* the child waits for EOF on [0] */
	pid_t parent;                  /* the launcher, to detect its death */
};

static bool quiet;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-t DIR]... [-b SRC:DST]... [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new mount namespace. Every mount in it is made\n"
		"private first, so nothing mounted there appears outside; then a\n"
		"fresh tmpfs covers each DIR, and each SRC is bind-mounted on DST.\n"
		"Without COMMAND: a shell when stdin is a terminal, otherwise a\n"
		"short demonstration; with neither -t nor -b, a tmpfs on /mnt.\n"
		"\n"
		"  -t DIR      mount an empty tmpfs on DIR, an existing directory\n"
		"  -b SRC:DST  bind-mount SRC on DST; both must exist, and both be\n"
		"              directories or both not (SRC must not contain ':')\n"
		"  -q          do not print the account of what happens on stderr\n"
		"  -h          show this help\n"
		"\n"
		"Each of -t and -b may be given up to %d times; the tmpfs mounts\n"
		"come first, then the bind mounts, each in command-line order.\n"
		"Creating a namespace needs root: sudo make lesson03 ARGS='-t /mnt'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, MAX_MOUNTS);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("mount: ", stderr);
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

/* "mnt:[4026531841]", the target of /proc/PID/ns/mnt, as ls -l shows it. */
static const char *ns_label(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* How many mounts this process sees: the lines of /proc/self/mountinfo. */
static int count_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* The propagation of the mount at `target` (the last one stacked there)
 * as /proc/self/mountinfo gives it: the optional fields between the
 * mount options and the " - " separator, "shared:N", "master:N", both,
 * or none at all, which means private. See proc_pid_mountinfo(5). */
static const char *propagation_of(const char *target, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t len = 0;

	snprintf(buf, size, "unknown");
	if (!f)
		return buf;
	while (getline(&line, &len, f) != -1) {
		char point[4096], *opt, *dash;
		int end;

		/* id parent major:minor root mount-point options [optional...] - */
		if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%n", point, &end) != 1 ||
		    strcmp(point, target) != 0)
			continue;
		opt = line + end + strspn(line + end, " ");
		dash = strstr(opt, "- ");
		if (!dash)
			continue;
		while (dash > opt && dash[-1] == ' ')
			dash--;
		if (dash == opt)
			snprintf(buf, size, "private");
		else
			snprintf(buf, size, "%.*s", (int)(dash - opt), opt);
	}
	free(line);
	fclose(f);
	return buf;
}

/* Refuse to mount anything unless this process really is in a mount
 * namespace of its own: a clone() without CLONE_NEWNS would otherwise
 * change the host's own mount table. */
static void ensure_own_mnt(pid_t parent)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)parent);
	if (stat("/proc/self/ns/mnt", &mine) == -1 || stat(path, &theirs) == -1)
		err(EXIT_FAILURE, "stat(/proc/.../ns/mnt)");
	if (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino)
		errx(EXIT_FAILURE, "refusing to mount anything: this process "
		     "still shares the host's mount namespace (did clone() get "
		     "CLONE_NEWNS?)");
}

// tag::guard[]
/* Refuse to mount anything while a mount in this namespace is still
 * shared: a mount made under it would propagate to its peers, which are
 * the host's own mounts. Slave mounts (master:N alone) only receive. */
static void ensure_no_shared_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t size = 0;

	if (!f)
		err(EXIT_FAILURE, "fopen(/proc/self/mountinfo)");
	while (getline(&line, &size, f) != -1) {
		char *dash = strstr(line, " - ");
		char *shared = strstr(line, " shared:");

		if (shared && dash && shared < dash) {
			char point[4096] = "?";

			sscanf(line, "%*s %*s %*s %*s %4095s", point);
			errx(EXIT_FAILURE, "refusing to mount anything: %s is "
			     "still shared (%.*s), so a mount here would "
			     "appear on the host too; make every mount private "
			     "first: mount(NULL, \"/\", NULL, MS_REC | "
			     "MS_PRIVATE, NULL)", point,
			     (int)strcspn(shared + 1, " "), shared + 1);
		}
	}
	free(line);
	fclose(f);
}
// end::guard[]

/* Explain the errors a student meets when mount() refuses. */
static void __attribute__((noreturn)) mount_failed(const char *call)
{
	const char *why = strerror(errno);

	if (errno == EPERM)
		errx(EXIT_FAILURE, "%s: %s: mounting needs CAP_SYS_ADMIN; run "
		     "as root: sudo make lesson03", call, why);
	if (errno == ENOENT)
		errx(EXIT_FAILURE, "%s: %s: the mount point (or the source) does "
		     "not exist", call, why);
	if (errno == ENOTDIR)
		errx(EXIT_FAILURE, "%s: %s: a directory can only be mounted on a "
		     "directory, a file only on a file", call, why);
	if (errno == EINVAL)
		errx(EXIT_FAILURE, "%s: %s: check the flags (propagation flags "
		     "go alone, with at most MS_REC)", call, why);
	errx(EXIT_FAILURE, "%s: %s", call, why);
}

/* Cut every mount of this namespace off from its peers. */
static void make_mounts_private(void)
{
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Make every mount of the new namespace private: mount(2) with
	//       source NULL, target "/", type NULL, flags MS_REC | MS_PRIVATE
	//       (MS_REC: "/" and every mount below it) and data NULL. This
	//       call must be on its own: with MS_BIND or any other flag the
	//       kernel reads it as another kind of mount and the propagation
	//       flag is ignored (mount_namespaces(7), "MS_PRIVATE" in mount(2)).
	//       On failure call mount_failed("mount(/, MS_REC | MS_PRIVATE)").
	// STUB: (void)mount_failed;
	// STUB: todo({n}, "make every mount private (MS_REC | MS_PRIVATE)");
	// tag::private[]
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		mount_failed("mount(/, MS_REC | MS_PRIVATE)");
	// end::private[]
	// END SOLUTION
}

/* Cover `dir` with an empty tmpfs that only this namespace sees. */
static void mount_tmpfs(const char *dir)
{
	char call[4200];

	snprintf(call, sizeof(call), "mount(tmpfs, %s)", dir);
	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Mount a new tmpfs on dir: mount(2) with source "tmpfs" (any
	//       name; findmnt shows it), target dir, type "tmpfs", flags
	//       MS_NOSUID | MS_NODEV (no set-uid programs, no device files on
	//       a scratch file system) and data "mode=0755" (tmpfs(5)).
	//       On failure call mount_failed(call).
	// STUB: todo({n}, "mount a tmpfs on the -t directory");
	// tag::tmpfs[]
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == -1)
		mount_failed(call);
	// end::tmpfs[]
	// END SOLUTION
	say("tmpfs on %s", dir);
}

/* Make the file or directory b->src appear (also) at b->dst. */
static void bind_mount(const struct bind *b)
{
	char call[8300];

	snprintf(call, sizeof(call), "mount(%s, %s, MS_BIND)", b->src, b->dst);
	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Bind-mount b->src on b->dst: mount(2) with source b->src,
	//       target b->dst, type NULL, flags MS_BIND and data NULL. A bind
	//       mount creates no file system; it shows the same files at a
	//       second place (mount(2), "Creating a bind mount").
	//       On failure call mount_failed(call).
	// STUB: todo({n}, "bind-mount the -b source on its destination (MS_BIND)");
	// tag::bind[]
	if (mount(b->src, b->dst, NULL, MS_BIND, NULL) == -1)
		mount_failed(call);
	// end::bind[]
	// END SOLUTION
	say("%s bound on %s", b->src, b->dst);
}

/* Everything here runs inside the new mount namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char before[64], after[64];
	char c;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too:
	 * nothing of the lesson may outlive it. getppid() catches the case
	 * where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		errx(EXIT_FAILURE, "the launcher is gone");

	/* Wait until the parent has looked at us and closed its end. The
	 * child has a copy of every descriptor, so it must close its own
	 * write end first, or the read below never sees EOF. */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &c, 1) == -1)
		err(EXIT_FAILURE, "read(sync pipe)");
	close(a->sync_pipe[0]);

	/* Even making mounts private changes them: in the host's namespace
	 * it would cut the host's own mounts off from their peers. */
	ensure_own_mnt(a->parent);
	propagation_of("/", before, sizeof(before));
	// tag::order[]
	make_mounts_private();
	ensure_no_shared_mounts();
	say("propagation of / was %s, now %s", before,
	    propagation_of("/", after, sizeof(after)));

	for (int i = 0; i < a->ntmpfs; i++)
		mount_tmpfs(a->tmpfs[i]);
	for (int i = 0; i < a->nbinds; i++)
		bind_mount(&a->binds[i]);
	// end::order[]

	execvp(a->argv[0], a->argv);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", a->argv[0]);
}

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	const char *why = strerror(errno);

	if (errno == EPERM)
		errx(EXIT_FAILURE, "clone(CLONE_NEWNS): %s: creating a namespace "
		     "needs CAP_SYS_ADMIN; run as root: sudo make lesson03", why);
	if (errno == ENOSPC)
		errx(EXIT_FAILURE, "clone(CLONE_NEWNS): %s: too many mount "
		     "namespaces; see /proc/sys/user/max_mnt_namespaces", why);
	errx(EXIT_FAILURE, "clone(CLONE_NEWNS): %s", why);
}

/* Check before anything starts that `path` can be a mount point or a
 * bind source: it exists, and is a directory when `dir` says so. Its
 * type goes to *mode. */
static void check_path(const char *opt, const char *path, bool dir,
		       mode_t *mode)
{
	struct stat st;

	if (stat(path, &st) == -1)
		errx(EXIT_FAILURE, "%s %s: %s; give an existing %s", opt, path,
		     strerror(errno), dir ? "directory" : "path");
	if (dir && !S_ISDIR(st.st_mode))
		errx(EXIT_FAILURE, "%s %s: not a directory; a tmpfs can only "
		     "be mounted on a directory", opt, path);
	*mode = st.st_mode;
}

/* "-b SRC:DST" into b, checking both sides; false if malformed. */
static bool parse_bind(char *spec, struct bind *b)
{
	char *colon = strchr(spec, ':');
	mode_t src, dst;

	if (!colon || colon == spec || colon[1] == '\0')
		return false;
	*colon = '\0';
	b->src = spec;
	b->dst = colon + 1;
	check_path("-b", b->src, false, &src);
	check_path("-b", b->dst, false, &dst);
	if (S_ISDIR(src) != S_ISDIR(dst))
		errx(EXIT_FAILURE, "-b %s:%s: %s is %sa directory but %s is %s; "
		     "bind a directory on a directory, a file on a file",
		     b->src, b->dst, b->src, S_ISDIR(src) ? "" : "not ",
		     b->dst, S_ISDIR(dst) ? "one" : "not");
	return true;
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: $(readlink /proc/self/ns/mnt), "
			       "$(wc -l < /proc/self/mountinfo) mounts, the "
			       "last ones:\"; "
			       "findmnt -l -o TARGET,FSTYPE,PROPAGATION | head -n 1; "
			       "findmnt -l -n -o TARGET,FSTYPE,PROPAGATION | tail -n 3; "
			       "echo hello > /mnt/hello && "
			       "echo \"inside, /mnt holds: $(ls /mnt)\"",
			       NULL};
	struct child_args args = {.ntmpfs = 0};
	char label[64];
	int opt, status, before;
	mode_t mode;
	char *stack;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hqt:b:")) != -1) {
		switch (opt) {
		case 't':
			if (args.ntmpfs == MAX_MOUNTS)
				errx(EXIT_USAGE, "at most %d -t options", MAX_MOUNTS);
			check_path("-t", optarg, true, &mode);
			args.tmpfs[args.ntmpfs++] = optarg;
			break;
		case 'b':
			if (args.nbinds == MAX_MOUNTS)
				errx(EXIT_USAGE, "at most %d -b options", MAX_MOUNTS);
			if (!parse_bind(optarg, &args.binds[args.nbinds++])) {
				warnx("-b wants SRC:DST, two paths joined by ':', "
				      "not \"%s\"", optarg);
				usage(stderr, argv[0]);
				return EXIT_USAGE;
			}
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
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	/* Without a command and without mounts asked for, a tmpfs on /mnt,
	 * so that the shell or the demonstration has something to show. */
	if (optind == argc && args.ntmpfs == 0 && args.nbinds == 0) {
		check_path("-t", "/mnt", true, &mode);
		args.tmpfs[args.ntmpfs++] = "/mnt";
	}

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the parent closes its end.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	before = count_mounts();
	say("parent pid %d in %s, %d mounts", (int)getpid(),
	    ns_label(getpid(), label, sizeof(label)), before);

	// BEGIN SOLUTION 4
	// STEP: TODO(4)
	// TODO: Start child_main(&args) in a new mount namespace: clone(2)
	//       with the top of the stack (stack + STACK_SIZE) and the flags
	//       CLONE_NEWNS (a new mount namespace, a copy of ours) | SIGCHLD
	//       (so that waitpid sees the child end). Keep its pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWNS | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWNS | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	say("child  pid %d in %s, a new mount namespace", (int)pid,
	    ns_label(pid, label, sizeof(label)));

	/* Release the child: closing the last write end gives it EOF. */
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	say("command exited with status %d; the host still has %d mounts "
	    "(%d before)", exit_status(status), count_mounts(), before);
	return exit_status(status);
}
