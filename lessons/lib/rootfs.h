/* rootfs.h - the container's root file system, for lesson 07: what it
 * needs around its steps and does not teach.
 *
 * A root file system is a directory tree with what a distribution's
 * programs expect (bin, etc, and the empty mount points proc, sys, dev);
 * `make rootfs` builds one from busybox (tools/mkrootfs). The container
 * never writes it: it shows it through a read-only, detached copy of its
 * mount (open_tree(2)), idmapped when root inside is not the host's
 * root (mount_setattr(2), "Idmapped mounts").
 */
#ifndef NSLAB_ROOTFS_H
#define NSLAB_ROOTFS_H

#include <stddef.h>

/* Ids 0-65535 inside: all a distribution's files and users need. */
#define ID_COUNT 65536u
/* The system user whose subordinate ids are the lab's own, as Docker's
 * userns-remap has dockremap: `make deps` makes it (tools/subids). */
#define LAB_USER "nslab"

/* mount(2), or exit 1 naming what failed. */
void do_mount(const char *src, const char *dst, const char *type,
	      unsigned long flags, const char *data);

/* The rootfs as an absolute path in `path` (PATH_MAX bytes), checked:
 * `rootfs`, or NULL for BUILD/rootfs beside this program's build tree.
 * Exits 1 with the way out (make rootfs) unless it is a directory with
 * proc, sys and dev in it. */
const char *rootfs_find(const char *rootfs, char *path);

/* A detached, read-only, private copy of the rootfs mount (like mount
 * --bind, attached nowhere yet): only the descriptor reaches it. */
int rootfs_clone(const char *rootfs);

/* The first of USER's subordinate ids, read from its lines in
 * /etc/subuid and /etc/subgid together (subuid(5), subgid(5)): NULL and
 * *first set when each file has one line for USER (by name or uid), of
 * 65536 ids or more, not from 0, and both lines agree; otherwise what
 * is wrong and how to fix it (`sudo make deps`), in `why`. No fallback:
 * a range nobody reserved may be a user's own. */
const char *rootfs_subids(const char *user, unsigned *first, char *why, size_t size);

/* mount_setattr(MOUNT_ATTR_IDMAP) on the rootfs failed: say why, and
 * the ways out, and exit 1. */
__attribute__((noreturn)) void rootfs_idmap_failed(const char *rootfs);

/* A minimal /dev under the current directory (the new root): the
 * devices programs expect, bound from the host's onto empty files (a
 * user namespace may not mknod devices), nothing of its disks; a devpts
 * instance of its own (Documentation/filesystems/devpts.rst), /dev/shm
 * of `shm_size` (tmpfs(5) size=, "64m"; "0": no limit), and the usual
 * links. */
void rootfs_make_dev(const char *shm_size);

#endif
