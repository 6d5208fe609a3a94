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

	/*
	 * TODO(1): Fill names[] with the name of every namespace this kernel
	 *          shows in /proc/self/ns (at most MAX_NS), sorted as ls sorts
	 *          them, and set `count`. Nothing that is not a namespace may be
	 *          listed, and none may be left out: afterwards the account line
	 *          names the same entries as `ls /proc/self/ns`. Read
	 *          namespaces(7), "The /proc/[pid]/ns/ directory", and
	 *          scandir(3) or readdir(3).
	 */
	(void)names;
	todo(1, "list the entries of /proc/self/ns");
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
	/*
	 * TODO(2): Make *id the identity of the namespace `path` names, as
	 *          namespaces(7) defines it (two numbers), and return true; on
	 *          failure return false with errno as the call left it. The
	 *          inode printed is then the one in the link's target,
	 *          `uts:[4026531838]`, the same for every process in that
	 *          namespace, not the inode of the link itself. Read stat(2)
	 *          (which calls follow a symbolic link) and namespaces(7).
	 */
	(void)path;
	(void)id;
	todo(2, "read the identity of /proc/PID/ns/NAME");
	return true;
}
// EXPORT END

/* Two processes share a namespace iff both numbers are equal. */
static bool same_ns(struct ns_id a, struct ns_id b)
{
	/*
	 * TODO(3): Return whether a and b are the same namespace. Afterwards
	 *          `nsls $$ PID` marks "differs" on exactly the rows where the
	 *          two processes are in different namespaces. The inode number
	 *          alone is not what namespaces(7) promises: read its
	 *          definition of "the same namespace".
	 */
	(void)a;
	(void)b;
	todo(3, "compare two namespace identities");
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

int main(int argc, char *argv[])
{
	static struct ns_id ids[MAX_PIDS][MAX_NS];
	static char names[MAX_NS][NAME_LEN];
	char list[MAX_NS * NAME_LEN] = "";
	pid_t pids[MAX_PIDS];
	int opt, npids = 0, nnames;

	nslab_init("nsls", "00");
	while ((opt = getopt(argc, argv, "+hq")) != -1) {
		switch (opt) {
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
	return EXIT_SUCCESS;
}
