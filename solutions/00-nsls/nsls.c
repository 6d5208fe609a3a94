/* nsls.c - list the namespaces of processes (lesson 00)
 *
 * The idea: to the host (the Bastion) a container is only a process
 * attached to other namespaces. Each process has one link per namespace
 * type under /proc/PID/ns, and the namespace is identified by what that
 * link points at: stat(2) follows the link and returns the device and
 * inode number of the namespace itself. Two processes share a namespace
 * if and only if both numbers are equal. This is `ls -lai /proc/PID/ns`,
 * in C, side by side for several processes.
 *
 * Usage: nsls [-h] [PID...]        (default: nsls itself)
 *
 * Sample session (4243 runs in a UTS namespace of its own):
 *   $ sudo ./nsls 1 4243
 *   NAMESPACE                   1        4243
 *   cgroup             4026531835  4026531835
 *   ipc                4026531839  4026531839
 *   mnt                4026531841  4026531841
 *   net                4026531840  4026531840
 *   pid                4026531836  4026531836
 *   pid_for_children   4026531836  4026531836
 *   time               4026531834  4026531834
 *   time_for_children  4026531834  4026531834
 *   user               4026531837  4026531837
 *   uts                4026531838  4026532611  differs
 *
 * Read: namespaces(7) ("The /proc/[pid]/ns/ directory"), stat(2), proc(5).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_PIDS 16
#define MAX_NS 16 /* today's kernels have 10 entries, 8 namespace types */

/* A namespace as stat(2) sees it through /proc/PID/ns/NAME. */
struct nsid {
	dev_t dev;
	ino_t ino;
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-h] [PID...]\n"
		"List the namespaces of each PID (default: this process) by the\n"
		"inode number that identifies them, and mark the namespaces that\n"
		"differ between the PIDs.\n"
		"\n"
		"  -h  show this help\n"
		"\n"
		"Reading another user's process needs root: sudo make lesson00 ARGS='1 $$'\n",
		prog);
}

/* Stops the program at a step the skeleton leaves to the student. The
 * solution never calls it. */
static __attribute__((noreturn, unused)) void todo(int n, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", n, what);
}

static pid_t parse_pid(const char *s, const char *prog)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX) {
		warnx("not a process ID: \"%s\"", s);
		usage(stderr, prog);
		exit(EXIT_USAGE);
	}
	return (pid_t)v;
}

/* The entries of /proc/self/ns, sorted by name: one per namespace type
 * this kernel was built with, plus the *_for_children links. Every
 * process has the same set, and our own is always readable. */
static int list_ns_names(char names[][32])
{
	struct dirent **entries;
	int n, count = 0;

	n = scandir("/proc/self/ns", &entries, NULL, alphasort);
	if (n == -1)
		err(EXIT_FAILURE, "scandir(/proc/self/ns)");
	for (int i = 0; i < n; i++) {
		if (entries[i]->d_name[0] != '.' && count < MAX_NS)
			snprintf(names[count++], 32, "%.31s", entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	return count;
}

/* Fill *id with the identity of the namespace /proc/PID/ns/NAME. */
static void read_ns(pid_t pid, const char *name, struct nsid *id)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/ns/%.31s", (int)pid, name);
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: stat(2) the link: stat follows it to the namespace, whose
	//       device and inode number identify it (lstat would describe
	//       the link itself). Keep st_dev and st_ino in *id. On failure,
	//       ENOENT means the process is gone; EACCES that reading another
	//       user's namespaces needs ptrace access (root). See namespaces(7).
	// STUB: (void)id;
	// STUB: todo({n}, "stat() of /proc/PID/ns/NAME into *id");
	// tag::read_ns[]
	struct stat st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT || errno == ESRCH)
			errx(EXIT_FAILURE, "no process with PID %d (stat(%s): %s)",
			     (int)pid, path, strerror(errno));
		if ((errno == EACCES || errno == EPERM) && geteuid() != 0)
			errx(EXIT_FAILURE,
			     "stat(%s): %s: another user's namespaces are visible "
			     "only to root; run: sudo make lesson00 ARGS='%d'",
			     path, strerror(errno), (int)pid);
		err(EXIT_FAILURE, "stat(%s)", path);
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	// end::read_ns[]
	// END SOLUTION
}

/* Two processes share a namespace iff both numbers are equal. */
static bool same_ns(struct nsid a, struct nsid b)
{
	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Return whether a and b are the same namespace. The inode
	//       number alone is not enough: namespaces(7) defines identity
	//       as the same device (st_dev) and the same inode (st_ino).
	// STUB: (void)a;
	// STUB: (void)b;
	// STUB: todo({n}, "compare st_dev and st_ino in same_ns()");
	// tag::same_ns[]
	return a.dev == b.dev && a.ino == b.ino;
	// end::same_ns[]
	// END SOLUTION
}

int main(int argc, char *argv[])
{
	static struct nsid ids[MAX_PIDS][MAX_NS];
	static char names[MAX_NS][32];
	pid_t pids[MAX_PIDS];
	int opt, npids = 0, nnames;

	while ((opt = getopt(argc, argv, "+h")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > MAX_PIDS) {
		warnx("at most %d PIDs at a time", MAX_PIDS);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		pids[npids++] = parse_pid(argv[i], argv[0]);
	if (npids == 0)
		pids[npids++] = getpid();

	/* Read everything first, so an error never leaves half a table. */
	nnames = list_ns_names(names);
	for (int p = 0; p < npids; p++)
		for (int n = 0; n < nnames; n++)
			read_ns(pids[p], names[n], &ids[p][n]);

	printf("%-18s", "NAMESPACE");
	for (int p = 0; p < npids; p++)
		printf("  %10d", (int)pids[p]);
	printf("\n");
	for (int n = 0; n < nnames; n++) {
		bool differs = false;

		printf("%-18s", names[n]);
		for (int p = 0; p < npids; p++) {
			printf("  %10llu", (unsigned long long)ids[p][n].ino);
			if (p > 0 && !same_ns(ids[0][n], ids[p][n]))
				differs = true;
		}
		printf("%s\n", differs ? "  differs" : "");
	}
	return EXIT_SUCCESS;
}
