/* lease.h - what a container holds on the host, under a name of its own:
 * its name and its subnet, leased in /run/nslab.
 *
 * Two containers run at once must not take the same name (its cgroup,
 * its veth) or the same subnet. A pid is no name: pids repeat across PID
 * namespaces. A check of what is free followed by taking it is a race:
 * twenty launchers started at once all see 10.7.0.0/24 free. So both are
 * taken under a lock, as a lease:
 *
 *   /run/nslab/.lock   flock(2)ed by whoever reads or changes the leases
 *   /run/nslab/ID      a container's lease: "10.7.3.2/24 net DEV INO", its
 *                      address in its subnet and the network namespace
 *                      it is in; empty for a container without a
 *                      subnet (a file with data is one the file system
 *                      may have to write back, and wait for, when it is
 *                      removed, where /run is on a disk: the bench page),
 *                      flock()ed for the life of its launcher and of the
 *                      reaper that removes its cgroup
 *
 * A lease whose lock can be taken is stale: its holders died (SIGKILL),
 * and the kernel released their locks with their descriptors. The next
 * allocator removes it (lease_held()), the reaper removes its own. The
 * directory is root's, mode 0700: only root starts containers with a
 * veth and a cgroup, and no other user may plant a lease or a symlink.
 */
#ifndef NSLAB_LEASE_H
#define NSLAB_LEASE_H

#include <netinet/in.h>
#include <stdbool.h>

#define LEASE_DIR "/run/nslab"
/* A name: 1 to LEASE_NAME_MAX letters, digits, '-' or '_', first a
 * letter or a digit; "nslab" + the name is a link name (IFNAMSIZ - 1). */
#define LEASE_NAME_MAX 10
/* The most leases lease_held() reports. */
#define LEASE_MAX 1024

struct lease {
	int fd;            /* the lease's descriptor, flock()ed; -1: none */
	char name[LEASE_NAME_MAX + 1];
	char path[64];
};

/* A subnet that a live lease holds, and whose. */
struct lease_net {
	struct in_addr net;
	int prefix;
	char name[LEASE_NAME_MAX + 1];
};

/* NULL if `name` can be a container's name, else why not. */
const char *lease_name_invalid(const char *name);

/* Create LEASE_DIR (root's, 0700) if need be, refuse one that another
 * user could write, and take its lock: the descriptor that holds it
 * (lease_unlock() releases it), or exit 1 saying why. */
int lease_lock(void);
void lease_unlock(int lock);

/* With the lock: the subnets of the live leases of this network
 * namespace (only there can they collide), at most `max`, into `held`;
 * how many. Stale leases are removed on the way. */
int lease_held(struct lease_net *held, int max);
/* Does subnet NET/PREFIX overlap one of `held`? Its entry, or NULL. */
const struct lease_net *lease_overlap(const struct lease_net *held, int n,
				      struct in_addr net, int prefix);

/* With the lock: take the name, and record the subnet, as the
 * container's address ADDR/PREFIX in it (prefix 0: none).
 * False (errno EEXIST) if a live lease has that name; exits 1 if the
 * file cannot be made. The descriptor is close-on-exec. */
bool lease_take(struct lease *l, const char *name, struct in_addr addr, int prefix);

/* Give the lease back: remove its file, if it is still this lease's
 * (taking the lock for that), and close it. Nothing if l->fd is -1. */
void lease_release(struct lease *l);
/* lease_release(arg) as cg_reaper_also() calls it. */
void lease_give_back(void *arg);
/* Another process has given the lease back (the reaper, once it has
 * ended well): close this copy of its descriptor, and look no further
 * (a second lease_release() would take the lock for nothing). */
void lease_forget(struct lease *l);

#endif
