/* layer.h - the scratch file system the container's writable layer
 * lives in, for lesson 07: what its step 3 mounts its layers in, and
 * does not teach.
 *
 * As root, a tmpfs of a bounded size (tmpfs(5), size=), as Docker's
 * --tmpfs: memory, which goes with the container's mount namespace.
 *
 * Rootless, a directory on disk of the caller's, LAYER_DIR/nslab-layer-
 * and eight hex digits. The overlay is then mounted inside the user
 * namespace (userxattr), and keeps its whiteouts and opaque directories
 * in user.* extended attributes: ext4, xfs and btrfs have always taken
 * them, a tmpfs only from Linux 6.6 (on Debian 12's 6.1, rm -rf /bin
 * inside would give EIO). Rootless Podman keeps its layers on disk for
 * the same reason. A remover process deletes the directory once the
 * container has ended, however the launcher ends, SIGKILL included.
 */
#ifndef NSLAB_LAYER_H
#define NSLAB_LAYER_H

#include <stdbool.h>
#include <sys/types.h>

/* On disk on Debian 12 (its /tmp may be a tmpfs, its /var/tmp is not:
 * file-hierarchy(7)), writable by every user, sticky. */
#define LAYER_DIR "/var/tmp"
#define LAYER_PREFIX "nslab-layer-"

struct layer {
	char tmpfs[64];  /* as root: the tmpfs's options */
	char disk[64];   /* rootless: the directory, else "" */
	pid_t remover;   /* rootless: the process that removes it */
};

/* Fill in `l`: on disk a fresh random name, else a tmpfs of `size`
 * bytes. Nothing is made yet. */
void layer_init(struct layer *l, bool on_disk, unsigned long long size);

/* On disk: fork the remover, which makes the directory (mode 0700),
 * waits until the process `pid` (the container's PID 1, a child of the
 * caller: when it has ended, so has everything in its PID namespace)
 * has ended, then removes the directory and everything in it. Call it
 * after the clone, before the child builds its root. Exits 1 if it
 * cannot. A tmpfs needs nothing made. */
void layer_create(struct layer *l, pid_t pid);

/* The scratch file system over `at`, in the container's mount
 * namespace: the tmpfs, or the directory bound there. Exits 1 if it
 * cannot. */
void layer_mount(const struct layer *l, const char *at);

/* The normal end, once the container's PID 1 has been waited for: wait
 * for the remover. False (with a warning) if the directory could not
 * be removed; true for a tmpfs. */
bool layer_finish(struct layer *l);

#endif
