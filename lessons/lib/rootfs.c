/* rootfs.c - the container's root file system (see rootfs.h). */
#define _GNU_SOURCE
#include "rootfs.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* mount(2) or stop, naming what failed. */
void do_mount(const char *src, const char *dst, const char *type,
	      unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) == -1)
		err(EXIT_FAILURE, "mount(%s, %s, %s%s%s)", src ? src : "NULL", dst,
		    type ? type : "NULL", data ? ", " : "", data ? data : "");
}

/* The rootfs as an absolute path, checked: BUILD/rootfs by default, for
 * BUILD/solutions/07-container/container, where make rootfs puts it. */
const char *rootfs_find(const char *rootfs, char *path)
{
	char exe[PATH_MAX], sub[PATH_MAX + 8];
	ssize_t n;
	struct stat st;

	if (!rootfs) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		snprintf(sub, sizeof(sub), "%s/rootfs", dirname(dirname(dirname(exe))));
		rootfs = sub;
	}
	if (!realpath(rootfs, path) || stat(path, &st) == -1)
		errx(EXIT_FAILURE, "rootfs %s: %s; build it with make rootfs, or "
		     "give one with --rootfs DIR", rootfs, strerror(errno));
	/* The mount points the child needs: without them a directory is
	 * not a root file system. */
	for (const char *const *d = (const char *const[]){"proc", "sys", "dev", NULL};
	     *d; d++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, *d);
		if (stat(sub, &st) == -1 || !S_ISDIR(st.st_mode))
			errx(EXIT_FAILURE, "rootfs %s: no /%s directory, so it is not "
			     "a root file system; build one with make rootfs", path, *d);
	}
	return path;
}

/* A detached copy of the rootfs mount (like mount --bind, attached
 * nowhere yet), read-only: only this descriptor reaches it. A copy joins
 * the peer group of its source: make it private, or a mount under it,
 * once it is attached in the container, would appear on the host too. */
int rootfs_clone(const char *rootfs)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY,
				.propagation = MS_PRIVATE};
	int tree = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree == -1)
		err(EXIT_FAILURE, "open_tree(%s, OPEN_TREE_CLONE)", rootfs);
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) == -1)
		err(EXIT_FAILURE, "mount_setattr(%s, MOUNT_ATTR_RDONLY, MS_PRIVATE)",
		    rootfs);
	return tree;
}

/* USER's uid as /etc/passwd has it, as text, or "" (subuid(5) lines
 * may name a user by uid). Read by hand: the container is linked
 * statically, where getpwnam(3) would need glibc's NSS modules. */
static void uid_of(const char *user, char *buf, size_t size)
{
	char line[512], name[64], uid[16];
	FILE *f = fopen("/etc/passwd", "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%*[^:]:%15[0-9]:", name, uid) == 2 &&
		    !strcmp(name, user)) {
			snprintf(buf, size, "%s", uid);
			break;
		}
	if (f)
		fclose(f);
}

/* USER's line in FILE ("nslab:100000:65536", subuid(5)): 1 and its
 * start and count, 0 if it has none, 2 if it has more than one. */
static int subid_line(const char *file, const char *user, const char *uid,
		      unsigned long *start, unsigned long *count)
{
	char line[256], name[64];
	unsigned long s, c;
	int found = 0;
	FILE *f = fopen(file, "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%lu:%lu", name, &s, &c) == 3 &&
		    (!strcmp(name, user) || (*uid && !strcmp(name, uid))) && found++ == 0) {
			*start = s;
			*count = c;
		}
	if (f)
		fclose(f);
	return found > 1 ? 2 : found;
}

const char *rootfs_subids(const char *user, unsigned *first, char *why, size_t size)
{
	unsigned long start[2] = {0, 0}, count[2] = {0, 0};
	static const char *const file[2] = {"/etc/subuid", "/etc/subgid"};
	char uid[16], fix[240];
	int lines[2];

	uid_of(user, uid, sizeof(uid));
	for (int i = 0; i < 2; i++)
		lines[i] = subid_line(file[i], user, uid, &start[i], &count[i]);
	snprintf(fix, sizeof(fix), "reserve the lab's range with sudo make deps "
		 "(useradd --system %s; usermod --add-subuids FIRST-LAST "
		 "--add-subgids FIRST-LAST %s, 65536 ids no other line overlaps)",
		 user, user);
	for (int i = 0; i < 2; i++) {
		if (lines[i] == 0) {
			snprintf(why, size, "%s has no line for the user %s: %s", file[i],
				 user, fix);
			return why;
		}
		if (lines[i] > 1) {
			snprintf(why, size, "%s has more than one line for the user %s: "
				 "keep one range, then %s", file[i], user, fix);
			return why;
		}
		if (start[i] == 0 || count[i] < ID_COUNT || start[i] + ID_COUNT > UINT32_MAX) {
			snprintf(why, size, "%s gives the user %s %lu ids from %lu: the "
				 "container needs 65536 (ids 0-65535 inside), none of them "
				 "0; %s", file[i], user, count[i], start[i], fix);
			return why;
		}
	}
	if (start[0] != start[1] || count[0] != count[1]) {
		snprintf(why, size, "/etc/subuid gives the user %s %lu ids from %lu, "
			 "/etc/subgid %lu from %lu: the uid and gid maps would disagree "
			 "(a file of uid N inside would be of another gid); give both "
			 "the same range: %s", user, count[0], start[0], count[1],
			 start[1], fix);
		return why;
	}
	*first = (unsigned)start[0];
	return NULL;
}

/* mount_setattr(MOUNT_ATTR_IDMAP) refused: say why, and the ways out. */
void rootfs_idmap_failed(const char *rootfs)
{
	errx(EXIT_FAILURE, "mount_setattr(%s, MOUNT_ATTR_IDMAP): %s: the file "
	     "system of the rootfs cannot be idmapped here (it needs a file "
	     "system that supports it: ext4 and xfs since Linux 5.12, btrfs "
	     "since 5.15, tmpfs since 6.3); put the rootfs on one that does, "
	     "run as an "
	     "ordinary user (rootless), or accept a privileged container: "
	     "--identity-map", rootfs, strerror(errno));
}

/* A minimal /dev: what programs expect, nothing of the host's disks. A
 * user namespace may not create device nodes, but may bind the host's
 * onto empty files; devpts gets an instance of its own (devpts.rst). */
void rootfs_make_dev(const char *shm_size)
{
	static const char *const devices[] = {"null", "zero", "full", "random",
					      "urandom", "tty", NULL};
	static const char *const links[][2] = {
		{"pts/ptmx", "dev/ptmx"}, {"/proc/self/fd", "dev/fd"},
		{"/proc/self/fd/0", "dev/stdin"}, {"/proc/self/fd/1", "dev/stdout"},
		{"/proc/self/fd/2", "dev/stderr"}};
	char src[64], dst[64];

	do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (const char *const *d = devices; *d; d++) {
		snprintf(src, sizeof(src), "/dev/%s", *d);
		snprintf(dst, sizeof(dst), "dev/%s", *d);
		if (mknod(dst, S_IFREG | 0666, 0) == -1)
			err(EXIT_FAILURE, "mknod(%s)", dst);
		do_mount(src, dst, NULL, MS_BIND, NULL);
	}
	if (mkdir("dev/pts", 0755) == -1 || mkdir("dev/shm", 01777) == -1)
		err(EXIT_FAILURE, "mkdir(dev/pts, dev/shm)");
	do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=620");
	snprintf(src, sizeof(src), "mode=1777,size=%s", shm_size);
	do_mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, src);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) == -1)
			err(EXIT_FAILURE, "symlink(%s, %s)", links[i][0], links[i][1]);
}
