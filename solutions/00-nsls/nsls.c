/* nsls.c - list the namespaces of processes (lesson 00)
 *
 * The idea: to the host (the Bastion) a container is only a process
 * attached to other namespaces. Each process has one link per namespace
 * type under /proc/PID/ns, and the namespace is identified by what that
 * link points at: stat(2) follows the link and returns the device and
 * inode number of the namespace itself. Two processes share a namespace
 * if and only if both numbers are equal. This is `ls -lai /proc/PID/ns`,
 * in C, side by side for several processes. No namespace is created here.
 *
 * Usage: nsls [-q] [PID...]        (default: nsls itself)
 *
 * Sample session (4243 runs in a UTS namespace of its own):
 *   $ sudo ./nsls 1 4243
 *   nsls: 10 entries in /proc/self/ns: cgroup ipc mnt net pid ...
 *   NAMESPACE                   1        4243
 *   cgroup             4026531835  4026531835
 *   ipc                4026531839  4026531839
 *   ...
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
// CHALLENGE BEGIN
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
// CHALLENGE END
#include <sys/types.h>
#include <unistd.h>

#include "nslab.h"

#define MAX_PIDS 16
#define MAX_NS 16 /* today's kernels have 10 entries, 8 namespace types */
#define NAME_LEN 32

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [PID...]\n"
		"List the namespaces of each PID (default: this process) by the\n"
		"inode number that identifies them, and mark the namespaces that\n"
		"differ between the PIDs.\n"
		"\n"
		"  -q  do not print the account of what happens on stderr\n"
		// CHALLENGE BEGIN
		"  -u  then a second table: the user namespace that owns each one\n"
		// CHALLENGE END
		"  -h  show this help\n"
		"\n"
		"Another user's process needs root: sudo make lesson00 ARGS=\"1 $$\"\n",
		prog);
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

/* The entries of /proc/self/ns, sorted by name, into names[]; returns
 * how many. Every process has the same set, and our own is always
 * readable. */
static int list_ns_names(char names[][NAME_LEN])
{
	int count = 0;

	// BEGIN SOLUTION 1
	// STEP: every entry of /proc/self/ns is listed
	// TODO: Fill names[] with the name of every namespace this kernel
	//       shows in /proc/self/ns (at most MAX_NS), sorted as ls sorts
	//       them, and set `count`. Nothing that is not a namespace may be
	//       listed, and none may be left out: afterwards the account line
	//       names the same entries as `ls /proc/self/ns`. Read
	//       namespaces(7), "The /proc/[pid]/ns/ directory", and
	//       scandir(3) or readdir(3).
	// HINT: /proc/self/ns is a directory; its entries are the namespace
	//       types (plus pid_for_children and time_for_children). Do not
	//       hard-code the article's six: read the directory. Every
	//       directory also lists two entries that are not its content.
	// HINT: scandir(3) with alphasort returns the entries sorted, in an
	//       array you free entry by entry; each d_name is a name. Skip
	//       "." and "..", whose names start with a dot.
	// HINT: n = scandir("/proc/self/ns", &entries, NULL, ____);
	//       for (i = 0; i < n; i++) { if (entries[i]->d_name[0] != ____
	//       && count < MAX_NS) copy it into names[count++]; free(____); }
	// WRONG dot_entries: "entries[i]->d_name[0] != '.' &&" -> "" : . and ..
	// STUB: (void)names;
	// STUB: todo({n}, "list the entries of /proc/self/ns");
	// tag::list[]
	struct dirent **entries;
	int n = scandir("/proc/self/ns", &entries, NULL, alphasort);

	if (n == -1)
		err(EXIT_FAILURE, "scandir(/proc/self/ns)");
	for (int i = 0; i < n; i++) {
		if (entries[i]->d_name[0] != '.' && count < MAX_NS)
			snprintf(names[count++], NAME_LEN, "%.31s", entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	// end::list[]
	// END SOLUTION
	return count;
}

/* Fill *id with the identity of the namespace at `path`
 * (/proc/PID/ns/NAME). False, with errno set, if it cannot be read. The
 * other lessons' accounts (ns_id_of(), nslab.h) read namespaces with this
 * function: the build takes it, between the EXPORT lines, from this
 * lesson's solution. */
// EXPORT BEGIN read_ns
bool read_ns(const char *path, struct ns_id *id)
{
	// BEGIN SOLUTION 2
	// STEP: the numbers are the namespaces' own
	// TODO: Make *id the identity of the namespace `path` names, as
	//       namespaces(7) defines it (two numbers), and return true; on
	//       failure return false with errno as the call left it. The
	//       inode printed is then the one in the link's target,
	//       `uts:[4026531838]`, the same for every process in that
	//       namespace, not the inode of the link itself. Read stat(2)
	//       (which calls follow a symbolic link) and namespaces(7).
	// HINT: Each /proc/PID/ns entry is a symbolic link into nsfs. The
	//       namespace is what the link points at; the link itself is
	//       just a file in /proc with an inode of its own.
	// HINT: stat(2) follows symbolic links, lstat(2) does not. The
	//       struct stat it fills has st_dev and st_ino: keep both in
	//       *id (struct ns_id, lessons/lib/nslab.h).
	// HINT: struct stat st;
	//       if (____(path, &st) == -1) return ____;
	//       id->dev = st.____; id->ino = st.____;
	// WRONG lstat: "if (stat(path, &st) == -1)" -> "if (lstat(path, &st) == -1)" : lstat
	// STUB: (void)path;
	// STUB: (void)id;
	// STUB: todo({n}, "read the identity of /proc/PID/ns/NAME");
	// tag::read_ns[]
	struct stat st;

	if (stat(path, &st) == -1)
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	// end::read_ns[]
	// END SOLUTION
	return true;
}
// EXPORT END

/* Two processes share a namespace iff both numbers are equal. */
static bool same_ns(struct ns_id a, struct ns_id b)
{
	// BEGIN SOLUTION 3
	// STEP: exactly the namespaces that differ are marked
	// TODO: Return whether a and b are the same namespace. Afterwards
	//       `nsls $$ PID` marks "differs" on exactly the rows where the
	//       two processes are in different namespaces. The inode number
	//       alone is not what namespaces(7) promises: read its
	//       definition of "the same namespace".
	// HINT: namespaces(7): two processes are in the same namespace if
	//       the device and the inode of their /proc/PID/ns/NAME are both
	//       the same. All of them live on one nsfs device.
	// HINT: Compare the dev fields and the ino fields of struct ns_id;
	//       both comparisons must hold.
	// HINT: return a.____ == b.____ ____ a.____ == b.____;
	// WRONG either: "a.dev == b.dev && a.ino" -> "a.dev == b.dev || a.ino" : both st_dev and st_ino
	// STUB: (void)a;
	// STUB: (void)b;
	// STUB: todo({n}, "compare two namespace identities");
	// tag::same_ns[]
	return a.dev == b.dev && a.ino == b.ino;
	// end::same_ns[]
	// END SOLUTION
}

/* Why /proc/PID/ns/NAME could not be read, in words that say what to do. */
static __attribute__((noreturn)) void read_failed(pid_t pid, const char *path)
{
	int e = errno;

	if (e == ENOENT || e == ESRCH)
		errx(EXIT_FAILURE, "no process with PID %d (stat(%s): %s)", (int)pid,
		     path, strerror(e));
	if ((e == EACCES || e == EPERM) && geteuid() != 0)
		errx(EXIT_FAILURE, "stat(%s): %s: only a process that may ptrace PID "
		     "%d may look at its namespaces, so another user's needs root: "
		     "sudo %s ARGS='%d'", path, strerror(e), (int)pid,
		     nslab_make_target(), (int)pid);
	if (e == EACCES || e == EPERM)
		errx(EXIT_FAILURE, "stat(%s): %s, even for root: the kernel "
		     "refuses ptrace access to PID %d, so root is not the cause: "
		     "this machine is a sandbox or container whose PID 1 is "
		     "protected (a user namespace above ours, a security module, "
		     "or no CAP_SYS_PTRACE); look at a process of your own "
		     "instead, such as your shell's $$", path, strerror(e), (int)pid);
	errx(EXIT_FAILURE, "stat(%s): %s", path, strerror(e));
}

// CHALLENGE BEGIN
/* The challenge, -u: every namespace is owned by a user namespace, the
 * one its creator was in, and the capabilities that count for it are
 * the ones held there (user_namespaces(7)). ioctl(NS_GET_USERNS) on a
 * namespace's file opens its owner (for a user namespace: its parent);
 * EPERM when the owner is out of this process's view, as the initial
 * user namespace is (ioctl_ns(2)). */
static void print_owners(const pid_t *pids, int npids, char names[][NAME_LEN],
			 int nnames)
{
	printf("%-18s", "OWNED BY");
	for (int p = 0; p < npids; p++)
		printf("  %10d", (int)pids[p]);
	printf("\n");
	for (int n = 0; n < nnames; n++) {
		printf("%-18s", names[n]);
		for (int p = 0; p < npids; p++) {
			char path[64];
			struct stat st;
			int fd, owner;

			snprintf(path, sizeof(path), "/proc/%d/ns/%.31s", (int)pids[p],
				 names[n]);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				read_failed(pids[p], path);
			owner = ioctl(fd, NS_GET_USERNS);
			if (owner == -1 && errno != EPERM)
				err(EXIT_FAILURE, "ioctl(%s, NS_GET_USERNS)", path);
			close(fd);
			if (owner == -1) {
				printf("  %10s", "-");
				continue;
			}
			if (fstat(owner, &st) == -1)
				err(EXIT_FAILURE, "fstat(owner of %s)", path);
			close(owner);
			printf("  %10llu", (unsigned long long)st.st_ino);
		}
		printf("\n");
	}
}

// CHALLENGE END
int main(int argc, char *argv[])
{
	static struct ns_id ids[MAX_PIDS][MAX_NS];
	static char names[MAX_NS][NAME_LEN];
	char list[MAX_NS * NAME_LEN] = "";
	pid_t pids[MAX_PIDS];
	int opt, npids = 0, nnames;
	// CHALLENGE BEGIN
	bool owners = false;
	// CHALLENGE END

	nslab_init("nsls", "00");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hqu")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hq")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 'u':
			owners = true;
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
	if (argc - optind > MAX_PIDS) {
		warnx("at most %d PIDs at a time", MAX_PIDS);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		pids[npids++] = parse_pid(argv[i], argv[0]);
	if (npids == 0)
		pids[npids++] = getpid();

	nnames = list_ns_names(names);
	for (int n = 0; n < nnames; n++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s",
			 names[n]);
	say("%d entries in /proc/self/ns:%s", nnames, list);

	/* Read everything first, so an error never leaves half a table. */
	for (int p = 0; p < npids; p++)
		for (int n = 0; n < nnames; n++) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/ns/%.31s",
				 (int)pids[p], names[n]);
			if (!read_ns(path, &ids[p][n]))
				read_failed(pids[p], path);
		}

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
	// CHALLENGE BEGIN
	if (owners)
		print_owners(pids, npids, names, nnames);
	// CHALLENGE END
	return EXIT_SUCCESS;
}
