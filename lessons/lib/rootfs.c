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

/* Root's first subordinate id in FILE (/etc/subuid or /etc/subgid,
 * "root:100000:65536", by name or by uid) if its range holds ID_COUNT
 * ids, else DEFAULT_SUBID (subuid(5)). */
unsigned rootfs_subid(const char *file)
{
	unsigned long start, count;
	unsigned found = DEFAULT_SUBID;
	char line[256], name[64];
	FILE *f = fopen(file, "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%lu:%lu", name, &start, &count) == 3 &&
		    (!strcmp(name, "root") || !strcmp(name, "0")) && start > 0 &&
		    count >= ID_COUNT && start + ID_COUNT <= UINT32_MAX) {
			found = start;
			break;
		}
	if (f)
		fclose(f);
	return found;
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
