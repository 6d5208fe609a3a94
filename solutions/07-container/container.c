/* container.c - a mini-container, safe by default (lesson 07)
 *
 * The idea: the kernel has no "container" object. A container is a
 * process that clone(2) started in a new namespace of every kind - user,
 * mount, PID, network, UTS, IPC - and that built a small world of its own
 * inside them, in an order that matters. Namespaces alone do not make it
 * safe: each measure here stops an escape that happened to a real runtime.
 * Root inside is not root outside (ids 0-65535 map to the lab's own
 * range, the nslab user's in /etc/subuid and /etc/subgid, reserved by
 * make deps; the rootfs is idmapped to match); the rootfs is never written
 * (an overlay whose upper layer is a tmpfs of a bounded size as root,
 * a directory on disk removed after rootless, and /dev/shm Docker's 64
 * MiB); /proc is Docker's (knobs read-only, kcore and friends
 * masked); only fds 0-2 cross (runc's CVE-2024-21626); PID 1 is not
 * dumpable (CVE-2019-5736); the container is a session of its own, so no
 * terminal of the caller's is its /dev/tty (bubblewrap's CVE-2017-5226),
 * with a session keyring of its own (runc's); the command gets Docker's
 * capabilities and no_new_privs, and a seccomp filter refuses it the
 * calls of Docker's profile that reach the rest of the kernel, a user
 * namespace of its own first (lessons/lib/syscall_filter.h); a cgroup caps its processes (1024 unless
 * --pids-limit), memory and CPU, so a fork bomb or a memory hog inside
 * cannot take the host down; the host's end of the veth learns nothing
 * from the container (no router advertisements: CVE-2020-13401). What
 * it names on the host (cgroup, veth, lease) is named by an id of its
 * own, not a pid, and its subnet, the next free /24 of 10.7.0.0/16, is
 * leased under a lock (lessons/lib/lease.h), so that containers started
 * at once never share one.
 *
 * Steps, in run order: launcher 1 clone into six namespaces, 2 the id
 * maps and the idmapped rootfs; child 3 a throwaway root, 4 the new root
 * in the order the kernel allows (/proc, /sys, /dev, pivot_root), 5 the
 * lock-down; then PID 1 (lessons/lib/init.h)
 * runs the command, on a terminal of its own when stdin is one (pty.h).
 * What lessons 05, 06 and 09 taught is used through lessons/lib: rtnl.h,
 * idmap.h, cgroup.h; the parts the student writes in 04, 06 and 09 are
 * linked as generated from their solutions (GNUmakefile, EXPORTS).
 *
 * Sample session (as root; the numbers will differ):
 *   $ sudo ./container --hostname box -- sh -c 'hostname; id -u'
 *   container: container 5f3a09c1, subnet 10.7.0.2/24 (leased in /run/nslab)
 *   container: launcher pid 4242; the container's PID 1 is pid 4243 here
 *   ...
 *   box
 *   0
 *   container: the command exited with status 0; veth nslab5f3a09c1 removed
 *
 * Read: namespaces(7), user_namespaces(7), mount_namespaces(7),
 *       mount_setattr(2) ("ID-mapped mounts"), linux/mount.h (open_tree,
 *       move_mount: no man page in Debian 12), mount(8) ("Mount options
 *       for overlay"), pivot_root(2), proc(5), capabilities(7), prctl(2),
 *       close_range(2), cgroups(7), pty(7), setsid(2), keyrings(7),
 *       seccomp(2), tmpfs(5), Documentation/networking/ip-sysctl.rst.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/keyctl.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
// CHALLENGE BEGIN
#include <sys/statvfs.h>
// CHALLENGE END
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_reaper.h"
#include "idmap.h"
#include "init.h"
#include "ipv4.h"
#include "layer.h"
#include "lease.h"
#include "limit_options.h"
#include "links.h"
#include "nslab.h"
#include "pty.h"
#include "rootfs.h"
#include "rtnl.h"
#include "syscall_filter.h"

/* The kernel keeps the hostname in a 65-byte array: 64 bytes at most. */
#define UTS_NAME_MAX HOST_NAME_MAX
/* Without --ip, the container takes the first free /24 of this pool
 * (Docker's default-address-pools are /16s cut in subnets the same
 * way): 10.7.N.2 inside, 10.7.N.1 on this side. */
#define POOL_FIRST 0x0a070000u /* 10.7.0.0 */
#define POOL_SUBNETS 256
#define EXAMPLE_IP "10.7.0.2/24"
#define INSIDE_IF "eth0"   /* the container's end of the veth */
/* Docker's default --pids-limit is none; ours is a fork bomb's end. */
#define DEFAULT_PIDS 1024
/* Docker refuses a --memory under 6 MiB: below it a container dies of
 * the OOM killer before its command has started. */
#define MIN_MEMORY (6LL << 20)
/* As root the writable layer is a tmpfs (lessons/lib/layer.h), memory
 * the host cannot reclaim by killing the writer: a size, as --tmpfs-size
 * (Docker's --tmpfs has size=); and /dev/shm is Docker's, 64 MiB
 * (--shm-size's default). */
#define DEFAULT_LAYER_SIZE (256LL << 20)
#define MIN_LAYER_SIZE (1LL << 20)
#define SHM_SIZE "64m"
static const char *const six[] = {"user", "mnt", "pid", "net", "uts", "ipc"};

/* Docker's default capability set (moby's oci/caps/defaults.go), as a
 * mask: CapBnd 00000000a80425fb in /proc/PID/status. */
#define CAP(c) (1ULL << (c))
static const uint64_t docker_caps =
	CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FSETID) |
	CAP(CAP_FOWNER) | CAP(CAP_MKNOD) | CAP(CAP_NET_RAW) | CAP(CAP_SETGID) |
	CAP(CAP_SETUID) | CAP(CAP_SETFCAP) | CAP(CAP_SETPCAP) |
	CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SYS_CHROOT) | CAP(CAP_KILL) |
	CAP(CAP_AUDIT_WRITE);
/* Docker's maskedPaths and readonlyPaths (relative to the new root):
 * kernel memory, keys and timers of the host; the kernel's knobs. */
static const char *const masked[] = {
	"proc/acpi", "proc/asound", "proc/kcore", "proc/keys",
	"proc/latency_stats", "proc/timer_list", "proc/timer_stats",
	"proc/sched_debug", "proc/scsi", "sys/firmware",
	"sys/devices/virtual/powercap", NULL};
static const char *const read_only[] = {"proc/bus", "proc/fs", "proc/irq",
					"proc/sys", "proc/sysrq-trigger", NULL};

/* What the launcher hands to the child. */
struct child_args {
	char **argv;               /* the command to run */
	const char *rootfs;        /* absolute path of the rootfs */
	const char *hostname;      /* to set inside */
	struct layer layer;        /* where the writable layer lives */
	uid_t root_uid;            /* root inside, as the layer's maker sees it */
	gid_t root_gid;
	bool veth, rootless, tty;  /* a veth; ids of the caller; a terminal */
	bool unconfined;           /* --security-opt seccomp=unconfined */
	bool cgroupns;             /* a cgroup namespace of its own (v2) */
	struct in_addr addr, gw;   /* inside: own address, the parent's */
	int prefix;
	unsigned subid;            /* the first host id of the lab's range */
	int tree;                  /* a detached copy of the rootfs mount, or -1 */
	int launcher;              /* a pidfd of the launcher */
	int sock;                  /* to pass the terminal to the launcher */
	int in_cgroup[2];          /* a byte on [0] once the child is in its cgroup */
	int tasks[CG_NCTL];        /* v1: the cgroup's `tasks` files, to join it */
	int ntasks;
	int cgroup;                /* v2: the cgroup's directory, to be born in it */
	struct ns_id host[6];      /* the launcher's namespaces, as six[] */
	// CHALLENGE BEGIN
	bool read_only;            /* --read-only: the root not writable */
	// CHALLENGE END
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND (default: a shell on a terminal of its own when stdin is\n"
		"one, else a demonstration) in six new namespaces, on a throwaway layer\n"
		"over the rootfs, with Docker's /proc, capabilities and masks, a veth\n"
		"to this side and a cgroup's limits.\n\n"
		"  --rootfs DIR       the root, never written, not one that holds the\n"
		"                     build tree (default BUILD/rootfs)\n"
		"  --hostname NAME    hostname inside (default nslab-XXXXXX; <= %d bytes,\n"
		"                     letters, digits, '-' and '.' as RFC 1123 has them)\n"
		"  --net veth|none    a veth to this side (default as root), or only lo\n"
		"  --ip ADDR/PREFIX   the container's address (default: .2 of the first\n"
		"                     free /24 of 10.7.0.0/16, leased in " LEASE_DIR ")\n"
		"  --name NAME        the container's name on the host: its cgroup\n"
		"                     container-NAME, its veth nslabNAME (<= %d letters,\n"
		"                     digits, '-', '_'; default 8 random hex digits)\n"
		"  --rootless         map only root inside, to you (default for users)\n"
		"  --identity-map     as root, ids inside are the host's: a privileged\n"
		"                     container (default: the range of the user " LAB_USER "\n"
		"                     in /etc/subuid and /etc/subgid: sudo make deps)\n"
		"  --pids-limit N     at most N processes (default %d; as root)\n"
		"  --memory SIZE      at most SIZE of memory, K, M or G (at least 6M)\n"
		"  --tmpfs-size SIZE  as root, the writable layer holds SIZE (default\n"
		"                     %lldM; rootless it is on disk, in " LAYER_DIR "); the\n"
		"                     container's /dev/shm holds 64M, as Docker's\n"
		"  --cpus N.N         at most N.N CPUs' worth of time\n"
		"  --cgroup-parent P  make the cgroup under P (default \"%s\")\n"
		"  --security-opt seccomp=unconfined\n"
		"                     no syscall filter, as Docker's option (to see\n"
		"                     what the filter stops; never for real work)\n"
		// CHALLENGE BEGIN
		"  --read-only        the root read-only inside, as Docker's --read-only\n"
		"                     (/dev/shm, /proc and /sys as they are)\n"
		// CHALLENGE END
		"  -q                 no account on stderr;  -h  this help\n\n"
		"As root: sudo make lesson07. Exit status: COMMAND's, or 128+N if a\n"
		"signal N killed it (137: the OOM killer, at --memory).\n",
		prog, UTS_NAME_MAX, LEASE_NAME_MAX, DEFAULT_PIDS,
		DEFAULT_LAYER_SIZE >> 20, cg_default_parent());
}

/* ==== the launcher, while the child waits ============================ */

/* The launcher, while the child waits: ids 0-65535 inside are a range
 * of host ids, and the rootfs mount gets the same mapping (idmap.h
 * writes the maps by lesson 06's rule). */
static void map_ids(pid_t pid, struct child_args *a, bool identity)
{
	struct mount_attr attr = {0};
	char uid_map[32], gid_map[32], path[64];
	unsigned uid = 0, gid = 0; /* set by step 2 */
	int userns;

	if (a->rootless || identity) {
		/* Rootless: only you, as root inside; --identity-map: the host's
		 * own ids. Either way no idmapping is needed. */
		unsigned count = a->rootless ? 1 : ID_COUNT;
		char own[2][32];

		uid = a->rootless ? geteuid() : 0;
		snprintf(own[0], sizeof(own[0]), "0 %u %u", uid, count);
		snprintf(own[1], sizeof(own[1]), "0 %u %u", a->rootless ? getegid() : 0, count);
		idmap_set(pid, own[0], own[1]);
		say(a->rootless ? "root inside is you (uid %u) here, no other id is "
		    "mapped" : "a privileged container: root inside is the host's "
		    "root (uid %u)", uid);
		return;
	}
	// BEGIN SOLUTION 2
	// STEP: root inside owns the rootfs, and is not root outside
	// TODO: Map ids 0-65535 inside to a range of host ids without 0:
	//       the lab's own, from a->subid (main() read it from the nslab
	//       user's lines in /etc/subuid and /etc/subgid), written with
	//       idmap_set() (lessons/lib/idmap.h). Then give the
	//       rootfs mount a->tree the same mapping, so that its files, the
	//       host root's, are root's inside. Afterwards `id -u` inside
	//       prints 0, ps on the host shows the command as uid a->subid, and
	//       `ls -ln /bin` inside shows 0 0 (not 65534). Read
	//       user_namespaces(7), "Defining user and group ID mappings",
	//       and mount_setattr(2), "Idmapped mounts".
	// HINT: A user namespace is a table from ids inside to ids outside.
	//       Files carry host ids: with 0 inside = 100000 outside, the
	//       rootfs's files (host uid 0) are unmapped inside, unless the
	//       mount that shows them translates ids the same way.
	// HINT: Maps are "INSIDE OUTSIDE COUNT" lines. mount_setattr(2) with
	//       MOUNT_ATTR_IDMAP in attr_set and, in userns_fd, a descriptor
	//       of the child's /proc/PID/ns/user; it works on a detached mount
	//       such as a->tree. On failure rootfs_idmap_failed(a->rootfs).
	// HINT: uid = gid = ____;
	//       snprintf(uid_map, ..., "0 %u %u", ____); ... idmap_set(pid, ____, ____);
	//       userns = open(____, O_RDONLY | O_CLOEXEC);
	//       attr.attr_set = ____; attr.userns_fd = ____;
	//       if (mount_setattr(a->tree, "", ____, &attr, sizeof(attr)) == -1) ...
	// WRONG root_is_root: "uid = gid = a->subid;" -> "uid = gid = 0 * a->subid;" : /etc/subuid
	// WRONG subid_fallback: "if (!identity && !args.rootless &&" -> "args.subid = 100000; if (false &&" : make deps
	// WRONG pid_name: "\"%08x\", rnd);" -> "\"%08x\", (uint32_t)getpid());" : getrandom
	// WRONG no_lease: "if (lease_overlap(held, n, addr, 24))" -> "if (false)" : lease
	// WRONG no_idmap: "attr.attr_set = MOUNT_ATTR_IDMAP;" -> "attr.attr_set = 0;" : MOUNT_ATTR_IDMAP
	// WRONG accept_ra: "{\"ipv6\", \"accept_ra\", \"0\"}," -> "{\"ipv6\", \"accept_ra\", \"1\"}," : accept_ra
	// WRONG no_rp_filter: "{\"ipv4\", \"rp_filter\", \"1\"}," -> "{\"ipv4\", \"rp_filter\", \"0\"}," : rp_filter
	// STUB: (void)path; (void)attr; (void)userns;
	// STUB: (void)uid_map; (void)gid_map; (void)gid;
	// STUB: (void)rootfs_idmap_failed;
	// STUB: todo({n}, "map the child's ids, and the rootfs like them");
	// tag::map_ids[]
	uid = gid = a->subid;
	snprintf(uid_map, sizeof(uid_map), "0 %u %u", uid, ID_COUNT);
	snprintf(gid_map, sizeof(gid_map), "0 %u %u", gid, ID_COUNT);
	idmap_set(pid, uid_map, gid_map);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns == -1)
		err(EXIT_FAILURE, "open(%s), the user namespace to idmap with", path);
	attr.attr_set = MOUNT_ATTR_IDMAP;
	attr.userns_fd = userns;
	if (mount_setattr(a->tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == -1)
		rootfs_idmap_failed(a->rootfs);
	close(userns);
	// end::map_ids[]
	// END SOLUTION
	a->root_uid = uid;
	a->root_gid = gid;
	say("root inside is uid %u here", uid);
	say("rootfs %s, idmapped: its files are root's inside", a->rootfs);
}

/* The host end of the veth, once made: removed at exit, which takes the
 * container's end with it (the child's copy of it is 0). */
static int veth_index;

static void remove_veth(void)
{
	struct rtnl nl;
	int e;

	if (veth_index <= 0 || rtnl_open(&nl) != 0)
		return;
	e = rtnl_link_del(&nl, veth_index);
	if (e != 0 && e != -ENODEV)
		warnx("removing the veth: %s", strerror(-e));
	rtnl_close(&nl);
	veth_index = 0;
}

/* The host's end of the veth is a link of the host's whose only other
 * machine is the container: nothing the container sends on it may
 * configure the host. Set while the link is down, before a packet can
 * cross (ip-sysctl.rst): no router advertisements, which would give the
 * host a route, an address, or the container as its default IPv6 router
 * (Docker's CVE-2020-13401, the CNI plugins' CVE-2020-10749); no address
 * from their prefixes; no ICMPv6 redirects; and strict reverse-path
 * filtering: a packet whose source address the host would not route back
 * through this link (one the container made up) is dropped. A kernel
 * without IPv6 has no /proc/sys/net/ipv6, and nothing to refuse. */
// tag::harden[]
static void harden_host_end(const char *name)
{
	static const char *const knobs[][3] = {
		{"ipv6", "accept_ra", "0"},
		{"ipv6", "autoconf", "0"},
		{"ipv6", "accept_redirects", "0"},
		{"ipv4", "rp_filter", "1"},
	};
	char path[96];
	int fd;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s",
			 knobs[i][0], name, knobs[i][1]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT && !strcmp(knobs[i][0], "ipv6") &&
		    access("/proc/sys/net/ipv6", F_OK) == -1)
			continue;
		if (fd == -1 || write(fd, knobs[i][2], 1) != 1)
			err(EXIT_FAILURE, "%s <- %s", path, knobs[i][2]);
		close(fd);
	}
}
// end::harden[]

/* ip link add NAME type veth peer name eth0 netns PID (lesson 05's
 * request, built with lessons/lib/rtnl.h): the peer is created in the
 * child's network namespace, so both ends are never here at once. This
 * end is hardened, gets the parent's address, and goes up. */
static void setup_veth(pid_t pid, const struct child_args *a, const char *id,
		       char *name)
{
	char here[INET_ADDRSTRLEN], there[INET_ADDRSTRLEN];
	struct rtattr *info, *data, *peer;
	struct rtnl_req req;
	struct rtnl nl;
	int e;

	if ((e = rtnl_open(&nl)) != 0)
		errx(EXIT_FAILURE, "a netlink socket: %s", strerror(-e));
	/* The container's id keeps the name unique on the host, in 15
	 * characters (a pid would not: another PID namespace has it too). */
	snprintf(name, IF_NAMESIZE, "nslab%s", id);
	rtnl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	rtnl_attr_str(&req, IFLA_IFNAME, name);
	info = rtnl_nest_begin(&req, IFLA_LINKINFO);
	rtnl_attr_str(&req, IFLA_INFO_KIND, "veth");
	data = rtnl_nest_begin(&req, IFLA_INFO_DATA);
	peer = rtnl_attr(&req, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
	rtnl_attr_str(&req, IFLA_IFNAME, INSIDE_IF);
	rtnl_attr_u32(&req, IFLA_NET_NS_PID, (uint32_t)pid);
	rtnl_nest_end(&req, peer);
	rtnl_nest_end(&req, data);
	rtnl_nest_end(&req, info);
	rtnl_check(&nl, rtnl_talk(&nl, &req), "RTM_NEWLINK %s type veth peer "
		   INSIDE_IF " netns %d", name, (int)pid);
	veth_index = link_index(name);
	rtnl_check(&nl, veth_index < 0 ? veth_index : 0, "the index of %s", name);
	harden_host_end(name);
	rtnl_check(&nl, rtnl_addr_add(&nl, veth_index, a->gw, a->prefix),
		   "RTM_NEWADDR %s", name);
	rtnl_check(&nl, rtnl_link_up(&nl, veth_index), "RTM_NEWLINK %s up", name);
	rtnl_close(&nl);
	inet_ntop(AF_INET, &a->gw, here, sizeof(here));
	inet_ntop(AF_INET, &a->addr, there, sizeof(there));
	say("veth %s %s/%d here, " INSIDE_IF " %s/%d inside", name, here,
	    a->prefix, there, a->prefix);
}

/* ==== the child, in its order of operations ========================== */

/* On cgroup v1 the child joins its cgroup itself, first of all: it
 * writes "0" (itself) to the `tasks` file of each tree, through the
 * descriptors the launcher opened as root (the kernel checks the
 * credentials of the file's opener, not ours). A pid written to
 * cgroup.procs moves a whole thread group, under a lock whose writer
 * waits for an RCU grace period (cgroup_threadgroup_rwsem): 8 to 37 ms
 * in one start on the bench page's machine, its largest single cost. A
 * thread that moves itself alone needs no such lock, and this child is
 * a single thread, so it moves whole. */
static void enter_cgroup_v1(struct child_args *a)
{
	for (int i = 0; i < a->ntasks; i++) {
		if (write(a->tasks[i], "0", 1) != 1)
			err(EXIT_FAILURE, "write(tasks, \"0\"): joining the "
			    "container's cgroup");
		close(a->tasks[i]);
	}
}

/* The child, released: take the ids of root inside (the maps exist now;
 * writing them changed nobody's credentials). A change of ids clears the
 * parent-death signal (prctl(2)): set it again, then check that the
 * launcher did not die in between: its pidfd is readable once it has. */
static void become_root(const struct child_args *a)
{
	struct pollfd launcher = {.fd = a->launcher, .events = POLLIN};

	idmap_drop_groups(strcmp(idmap_setgroups(0), "allow") == 0);
	if (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1)
		err(EXIT_FAILURE, "setresuid(0) inside");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (poll(&launcher, 1, 0) != 0)
		_exit(EXIT_FAILURE);
	close(a->launcher);
	/* A guard, not a step: without all six namespaces what follows
	 * would mount, pivot_root and rename the host itself. */
	for (int i = 0; i < 6; i++) {
		struct ns_id mine;

		if (!ns_id_of(0, six[i], &mine))
			err(EXIT_FAILURE, "/proc/self/ns/%s", six[i]);
		if (mine.dev == a->host[i].dev && mine.ino == a->host[i].ino)
			errx(EXIT_FAILURE, "refusing to build the container: it still "
			     "shares the host's %s namespace", ns_human(six[i]));
	}
}

/* The new root, a layer the container may write over the rootfs it may
 * not; afterwards the current directory is that new root. It runs in the
 * container's mount namespace: rootless in the child, as root in the
 * launcher (make_root_as_host()), so that overlay keeps its whiteouts
 * and opaque directories in trusted.* xattrs, which every tmpfs takes.
 * Rootless they are user.* ones, which a tmpfs takes only from Linux
 * 6.6 (Debian 12's 6.1 gave EIO on rm -rf /bin): the layer is then a
 * directory on disk (lessons/lib/layer.h). */
static void make_root(struct child_args *a)
{
	/* Rootless, the launcher could not copy the rootfs mount: only
	 * here, in a mount namespace of our own, may we. */
	if (a->tree == -1)
		a->tree = rootfs_clone(a->rootfs);
	// BEGIN SOLUTION 3
	// STEP: the container writes a throwaway layer, never the rootfs
	// TODO: Build the container's root so that nothing done here reaches
	//       the host, and the rootfs is never written: no mount of ours
	//       may propagate to the host's; the rootfs (the detached mount
	//       a->tree) is the read-only lower layer of an overlay whose upper
	//       layer lives in the scratch file system of a->layer (mounted
	//       with layer_mount(), lessons/lib/layer.h: a tmpfs of a bounded
	//       size as root, a directory on disk rootless); end in the
	//       overlay's root (chdir).
	//       Afterwards `rm -rf /bin` inside works, inside, and leaves
	//       build/rootfs as it was. Read mount_namespaces(7), "Shared
	//       subtrees" and "Restrictions on mount namespaces"; mount(8),
	//       "Mount options for overlay"; linux/mount.h for move_mount()
	//       (no man page in Debian 12).
	// HINT: The order matters. First cut propagation, alone, for every
	//       mount. Then the scratch file system anywhere (over a->rootfs
	//       is fine: the host never sees it), with four directories in it:
	//       the lower layer, the upper layer (root's inside:
	//       a->root_uid, a->root_gid), overlay's work directory and the
	//       mount point of the overlay.
	// HINT: mount(2) with MS_REC | MS_PRIVATE on "/"; layer_mount();
	//       mkdir(2); chown(2); move_mount() (linux/mount.h) with
	//       MOVE_MOUNT_F_EMPTY_PATH attaches a->tree; mount(2) of type
	//       "overlay" with the options lowerdir=,upperdir=,workdir= (and,
	//       rootless, userxattr: then it is mounted in a user namespace).
	// HINT: do_mount(NULL, "/", NULL, ____, NULL);
	//       layer_mount(&a->layer, ____); chdir(____);
	//       mkdir lower, upper, work, root; chown("upper", ____, ____);
	//       move_mount(a->tree, "", AT_FDCWD, ____, ____);
	//       do_mount("overlay", ____, "overlay", 0, a->rootless ? "lowerdir=____,upperdir=____,workdir=____,userxattr" : "...");
	//       chdir("root");
	// WRONG no_overlay: "do_mount(\"overlay\", \"root\", \"overlay\", 0," -> "do_mount(\"lower\", \"root\", NULL, MS_BIND," : overlay
	// WRONG layer_unbounded: "(unsigned long long)layer_size);" -> "0ULL);" : --tmpfs-size
	// STUB: todo({n}, "a throwaway root: an overlay over the rootfs");
	// tag::make_root[]
	do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	layer_mount(&a->layer, a->rootfs);
	if (chdir(a->rootfs) == -1)
		err(EXIT_FAILURE, "chdir(%s)", a->rootfs);
	if (mkdir("lower", 0755) == -1 || mkdir("upper", 0755) == -1 ||
	    mkdir("work", 0755) == -1 || mkdir("root", 0755) == -1)
		err(EXIT_FAILURE, "mkdir(lower, upper, work, root)");
	if (chown("upper", a->root_uid, a->root_gid) == -1)
		err(EXIT_FAILURE, "chown(upper, %u, %u)", (unsigned)a->root_uid,
		    (unsigned)a->root_gid);
	if (move_mount(a->tree, "", AT_FDCWD, "lower", MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_FAILURE, "move_mount(rootfs, lower)");
	close(a->tree);
	do_mount("overlay", "root", "overlay", 0,
		 a->rootless ? "lowerdir=lower,upperdir=upper,workdir=work,userxattr"
			     : "lowerdir=lower,upperdir=upper,workdir=work");
	if (chdir("root") == -1)
		err(EXIT_FAILURE, "chdir(root)");
	// end::make_root[]
	// END SOLUTION
}

/* As root, the launcher makes the layer (make_root()), in the child's
 * mount namespace, while the child waits: the overlay then belongs to
 * the initial user namespace, as Docker's does (dockerd mounts it), and
 * keeps its whiteouts in trusted.* xattrs, which a tmpfs takes on every
 * kernel. setns(2) into that namespace, and back: the launcher's own
 * mounts are the host's. */
static void make_root_as_host(pid_t pid, struct child_args *a)
{
	struct ns_id host, theirs;
	char path[64];
	int here, there;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	here = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (here == -1 || there == -1)
		err(EXIT_FAILURE, "open(%s)", here == -1 ? "/proc/self/ns/mnt" : path);
	/* A guard, as the child's: never mount over the host's rootfs. */
	if (!ns_id_of(0, "mnt", &host) || !ns_id_of(pid, "mnt", &theirs))
		err(EXIT_FAILURE, "/proc/%d/ns/mnt", (int)pid);
	if (host.dev == theirs.dev && host.ino == theirs.ino)
		errx(EXIT_FAILURE, "refusing to build the container's root: the "
		     "child shares the host's mount namespace");
	if (setns(there, CLONE_NEWNS) == -1)
		err(EXIT_FAILURE, "setns(%s, CLONE_NEWNS)", path);
	make_root(a);
	if (setns(here, CLONE_NEWNS) == -1)
		err(EXIT_FAILURE, "setns(/proc/self/ns/mnt, CLONE_NEWNS), back to the host's");
	close(here);
	close(there);
}

/* The new root, from "the overlay is the current directory" to "it is
 * /, and nothing of the host's is in sight": the kernel's views of this
 * container as Docker shows them (/proc for its PID namespace, /sys for
 * its network namespace, secrets masked, knobs read-only), a minimal
 * /dev, then the new root as the root of this mount namespace and the
 * old one detached. The kernel decides the order. */
static void enter_new_root(void)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct stat st;

	// BEGIN SOLUTION 4
	// STEP: the new root, in the order the kernel allows
	// TODO: Make the current directory (the overlay) the container's /,
	//       with nothing of the host's in sight, as Docker makes it: a
	//       /proc of its own, a /sys of its own that cannot be written,
	//       the paths of masked[] hidden (what this kernel has not,
	//       skipped), those of read_only[] read-only (the kernel's knobs:
	//       core_pattern names a program the kernel runs as the host's
	//       root), the minimal /dev that rootfs_make_dev(SHM_SIZE) makes
	//       under the current directory (given: lessons/lib/rootfs.h), and
	//       the old root out of reach. The order is yours, and the kernel
	//       judges it: some of these are refused, or come out quietly
	//       wrong, once others are done. Afterwards /proc/self/mountinfo
	//       inside has one "/" and only /proc, /sys and /dev below it,
	//       `cat /proc/timer_list` prints nothing, and a write to
	//       /proc/sys/kernel/msgmax says "Read-only file system". Read
	//       proc(5), mount(2), mount_setattr(2), pivot_root(2) and
	//       user_namespaces(7). Before you write it: which of these needs
	//       something that only the old root still gives?
	// HINT: A file cannot be deleted from /proc, but something can be
	//       mounted over it; a bind mount of a path onto itself is a mount
	//       of its own, whose flags can change alone. pivot_root(".", ".")
	//       stacks the old root on the new one, and the old one can then
	//       be unmounted. Before you order them, ask of each: what does it
	//       need that the old root still gives?
	// HINT: /proc and /sys first: in a user namespace the kernel mounts a
	//       new proc or sysfs only while one is fully visible in the mount
	//       namespace (the host's, in the old root). The masks need /proc
	//       there. /dev binds the host's devices (/dev/null...), so it too
	//       comes before the old root goes. pivot_root and the detach
	//       last: syscall(SYS_pivot_root, ".", "."), then "." made
	//       MS_REC | MS_PRIVATE, then umount2(".", MNT_DETACH), chdir("/").
	// HINT: do_mount("proc", "proc", ____, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	//       do_mount("sysfs", "sys", ____, MS_RDONLY | ____, NULL);
	//       for (each *p of masked[]) { if (stat(____) fails) continue;
	//               S_ISDIR(st.st_mode) ? tmpfs ____ : bind "/dev/null" ____; }
	//       for (each *p of read_only[]) { bind *p onto *p;
	//               mount_setattr(AT_FDCWD, *p, AT_RECURSIVE, &ro, sizeof(ro)); }
	//       then /dev (the given call), then
	//       pivot_root(".", "."); private; umount2(".", ____); chdir("/");
	// WRONG no_mask: "if (stat(*p, &st) == -1)" -> "if (true)" : mask
	// WRONG no_read_only: "if (access(*p, F_OK) == -1)" -> "if (true)" : read-only
	// WRONG shm_unbounded: "rootfs_make_dev(SHM_SIZE);" -> "rootfs_make_dev(\"0\");" : /dev/shm
	// WRONG no_detach: "if (umount2(\".\", MNT_DETACH) == -1)" -> "if (false)" : MNT_DETACH
	// WRONG proc_after_detach: "do_mount(\"proc\", \"proc\", \"proc\", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);" -> "" : before the old root
	// WRONG proc_after_detach: "if (chdir(\"/\") == -1)" -> "do_mount(\"proc\", \"proc\", \"proc\", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); if (chdir(\"/\") == -1)" : before the old root
	// WRONG dev_after_detach: "rootfs_make_dev(SHM_SIZE);" -> "" : before the old root
	// WRONG dev_after_detach: "if (chdir(\"/\") == -1)" -> "rootfs_make_dev(SHM_SIZE); if (chdir(\"/\") == -1)" : before the old root
	// WRONG masks_before_proc: "do_mount(\"proc\", \"proc\", \"proc\", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);" -> "" : once /proc is mounted
	// WRONG masks_before_proc: "rootfs_make_dev(SHM_SIZE);" -> "do_mount(\"proc\", \"proc\", \"proc\", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); rootfs_make_dev(SHM_SIZE);" : once /proc is mounted
	// STUB: (void)ro; (void)st; (void)masked; (void)read_only;
	// STUB: todo({n}, "the new root: the container's /proc, /sys and /dev, and the host's out of reach");
	// tag::proc[]
	do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	for (const char *const *p = masked; *p; p++) {
		if (stat(*p, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode))
			do_mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
				 MS_NOEXEC, "size=4k");
		else
			do_mount("/dev/null", *p, NULL, MS_BIND, NULL);
	}
	for (const char *const *p = read_only; *p; p++) {
		if (access(*p, F_OK) == -1)
			continue;
		do_mount(*p, *p, NULL, MS_BIND | MS_REC, NULL);
		if (mount_setattr(AT_FDCWD, *p, AT_RECURSIVE, &ro, sizeof(ro)) == -1)
			err(EXIT_FAILURE, "mount_setattr(%s, MOUNT_ATTR_RDONLY)", *p);
	}
	// end::proc[]
	// tag::dev[]
	rootfs_make_dev(SHM_SIZE);
	// end::dev[]
	// tag::pivot[]
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		err(EXIT_FAILURE, "pivot_root(.): the new root must be a mount "
		    "point and no mount above it shared");
	do_mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL);
	if (umount2(".", MNT_DETACH) == -1)
		err(EXIT_FAILURE, "umount2(old root, MNT_DETACH)");
	if (chdir("/") == -1)
		err(EXIT_FAILURE, "chdir(/)");
	// end::pivot[]
	// END SOLUTION
}

// CHALLENGE BEGIN
/* The challenge, --read-only: Docker's --read-only. The root is the
 * overlay's mount, and read-only is a flag of that mount (mount(2),
 * "Remounting an existing mount", with MS_BIND: the mount, not the file
 * system); the remount takes the mount's other flags as they are, or it
 * would clear them. The mounts below / (/proc, /sys, /dev, /dev/shm) are
 * mounts of their own and keep theirs. Before the lock-down, which takes
 * CAP_SYS_ADMIN away. */
static void make_root_read_only(void)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ST_NOSUID, MS_NOSUID},     {ST_NODEV, MS_NODEV},
		{ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME},
		{ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
	struct statvfs sv;

	if (statvfs("/", &sv) == -1)
		err(EXIT_FAILURE, "statvfs(/)");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	if (mount(NULL, "/", NULL, flags, NULL) == -1)
		err(EXIT_FAILURE, "mount(/, MS_BIND | MS_REMOUNT | MS_RDONLY)");
	say("the root is read-only (--read-only)");
}

// CHALLENGE END
/* capset(2) without libcap: keep only `keep` in this process's permitted
 * and effective sets (so that the command, which gets the bounding set,
 * has no more capabilities than PID 1: ptrace(2), "access mode"). */
static void set_capabilities(uint64_t keep)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)keep, (uint32_t)keep, 0},
		{(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0}};

	if (syscall(SYS_capset, &h, d) == -1)
		err(EXIT_FAILURE, "capset");
}

/* Wait until the launcher says this process is in the container's
 * cgroup: nothing of the container's may run before its limits hold.
 * Where the launcher moves us (cgroup v2 without clone3), it does so
 * while we build the container: the move waits for an RCU grace period
 * (enter_cgroup_v1()), which building the root meanwhile partly hides.
 * EOF: the launcher died. */
static void wait_for_cgroup(const struct child_args *a)
{
	ssize_t n;
	char c;

	do
		n = read(a->in_cgroup[0], &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_FAILURE);
	close(a->in_cgroup[0]);
}

/* The last thing PID 1 does before it starts the command. */
static void lock_down(void)
{
	// BEGIN SOLUTION 5
	// STEP: nothing of the host's reaches the command
	// TODO: Lock the container down as Docker does, now that nothing more
	//       needs privilege: the capability bounding set is docker_caps,
	//       and so are this process's own capabilities (set_capabilities);
	//       no exec may gain privileges (no_new_privs); PID 1 is not
	//       dumpable, so the command cannot open /proc/1/exe (runc's
	//       CVE-2019-5736) or its memory; no descriptor but 0, 1 and 2
	//       crosses into the container (CVE-2024-21626). Afterwards
	//       /proc/self/status of the command shows CapBnd 00000000a80425fb
	//       and NoNewPrivs 1. Read capabilities(7), "Capability bounding
	//       set"; prctl(2); close_range(2).
	// HINT: Four measures, four calls. Only one of them needs a
	//       capability: keep that one while you need it, and any order
	//       works.
	// HINT: prctl(2): PR_CAPBSET_READ tells whether a capability exists,
	//       PR_CAPBSET_DROP takes one out of the bounding set;
	//       PR_SET_NO_NEW_PRIVS; PR_SET_DUMPABLE. close_range(2) from 3.
	// HINT: for (each cap, while prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0)
	//               if (cap is not in docker_caps && prctl(____, cap, 0, 0, 0) == -1) err(...);
	//       set_capabilities(____); prctl(____, 1, 0, 0, 0); prctl(____, 0, 0, 0, 0);
	//       close_range(____, ~0U, 0);
	// WRONG no_bounding_set: "if (!(docker_caps & CAP(cap)) &&" -> "if (false &&" : PR_CAPBSET_DROP
	// WRONG no_no_new_privs: "PR_SET_NO_NEW_PRIVS, 1," -> "PR_SET_NO_NEW_PRIVS, 0," : PR_SET_NO_NEW_PRIVS
	// WRONG dumpable: "PR_SET_DUMPABLE, 0," -> "PR_SET_DUMPABLE, 1," : PR_SET_DUMPABLE
	// WRONG no_close_range: "if (close_range(3," -> "if (close_range(~0U," : close_range
	// WRONG no_setsid: "} else if (setsid() == -1) {" -> "} else if (setpgid(0, 0) == -1) {" : setsid
	// WRONG host_keyring: "if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING" -> "if (false && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING" : KEYCTL_JOIN_SESSION_KEYRING
	// WRONG no_seccomp: "if (!a->unconfined && (e = filter_syscalls()) != 0)" -> "if (false && (e = filter_syscalls()) != 0)" : seccomp
	// STUB: (void)set_capabilities; (void)docker_caps;
	// STUB: /* The host is safe without this step, so go on: */
	// STUB: warnx("TODO({n}) not done: no lock-down (capabilities, no_new_privs, dumpable, descriptors)");
	// tag::lock_down[]
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(docker_caps & CAP(cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			err(EXIT_FAILURE, "prctl(PR_CAPBSET_DROP, %d)", cap);
	set_capabilities(docker_caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_DUMPABLE, 0)");
	if (close_range(3, ~0U, 0) == -1)
		err(EXIT_FAILURE, "close_range(3, ~0U)");
	// end::lock_down[]
	// END SOLUTION
}

/* The container's network, from inside: lo up; eth0 addressed and up,
 * then the default route (it needs the link up: the gateway must be
 * reachable). A netlink socket talks to the namespace it was made in. */
static void setup_inside_net(const struct child_args *a)
{
	struct rtnl nl;
	int e, end;

	if ((e = rtnl_open(&nl)) != 0)
		errx(EXIT_FAILURE, "a netlink socket inside: %s", strerror(-e));
	rtnl_check(&nl, rtnl_link_up(&nl, link_index("lo")), "RTM_NEWLINK lo up");
	if (a->veth) {
		end = link_index(INSIDE_IF);
		rtnl_check(&nl, rtnl_addr_add(&nl, end, a->addr, a->prefix),
			   "RTM_NEWADDR " INSIDE_IF);
		rtnl_check(&nl, rtnl_link_up(&nl, end), "RTM_NEWLINK " INSIDE_IF " up");
		rtnl_check(&nl, rtnl_route_add_default(&nl, end, a->gw),
			   "RTM_NEWROUTE default");
	}
	rtnl_close(&nl);
}

/* Everything here runs inside the new namespaces, in run order; then
 * this process is the container's PID 1 (init.h) until the command
 * ends, in an environment of its own (the host's PATH and HOME mean
 * nothing here). */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	const char *term = getenv("TERM");
	char term_copy[64];
	struct pty pty;
	int e;

	snprintf(term_copy, sizeof(term_copy), "%s", term ? term : "linux");
	/* Our copy of the write end, or the launcher's death is no EOF;
	 * and no descriptor of the host's cgroups stays open here. */
	close(a->in_cgroup[1]);
	if (a->cgroup != -1)
		close(a->cgroup);
	enter_cgroup_v1(a);
	become_root(a);
	if (a->rootless) {
		make_root(a);
	} else {
		/* The launcher made it (make_root_as_host()). */
		if (a->tree != -1)
			close(a->tree);
		if (chdir(a->rootfs) == -1 || chdir("root") == -1)
			err(EXIT_FAILURE, "chdir(%s/root), the layer", a->rootfs);
	}
	enter_new_root();
	// CHALLENGE BEGIN
	if (a->read_only)
		make_root_read_only();
	// CHALLENGE END
	if (sethostname(a->hostname, strlen(a->hostname)) == -1)
		err(EXIT_FAILURE, "sethostname(%s)", a->hostname);
	setup_inside_net(a);
	/* A session of its own, in every mode (setsid(2)): a session's
	 * terminal is the one its leader takes, so the caller's terminal
	 * is no longer the container's /dev/tty, and ioctl(TIOCSTI) on
	 * it, or on a descriptor of it on 0-2, types nothing into the
	 * caller's shell (bubblewrap's CVE-2017-5226). With a terminal:
	 * one from the container's own devpts, the launcher relays its
	 * master, PID 1 takes the slave as controlling terminal. */
	// tag::session[]
	if (a->tty) {
		if (pty_open(&pty, AT_FDCWD, STDIN_FILENO) == -1)
			err(EXIT_FAILURE, "a terminal from /dev/pts/ptmx");
		pty_send_master(a->sock, &pty);
		if (pty_attach(&pty) == -1)
			err(EXIT_FAILURE, "a controlling terminal (setsid, TIOCSCTTY)");
	} else if (setsid() == -1) {
		err(EXIT_FAILURE, "setsid");
	}
	/* A session keyring of its own, empty, as runc gives: the caller's
	 * (keyrings(7)) holds the keys of whoever started us, and a keyring
	 * is found through the process, whatever its namespaces. ENOSYS: a
	 * kernel without keys has nothing to hand over. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) == -1 &&
	    errno != ENOSYS)
		err(EXIT_FAILURE, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
	// end::session[]
	wait_for_cgroup(a);
	/* On cgroup v2, a cgroup namespace of its own, Docker's default
	 * there (cgroupns=private): we are in our cgroup now (born there,
	 * or moved while we built the root: wait_for_cgroup()), so that
	 * cgroup is its root and the command reads "0::/", not where the
	 * host keeps it. Lesson 09's step 4 (cgroup.h); v1 keeps the
	 * host's, as Docker does. */
	if (a->cgroupns) {
		char host[32], mine[32];

		ns_label(0, "cgroup", host, sizeof(host));
		cg_enter_namespace();
		say("  %s, new (the launcher's is %s)",
		    ns_label(0, "cgroup", mine, sizeof(mine)), host);
	}
	lock_down();
	/* The syscall filter (lessons/lib/syscall_filter.h), last: after
	 * no_new_privs, without which the kernel refuses it to a process
	 * that has dropped CAP_SYS_ADMIN, and after everything PID 1 does
	 * with the calls it refuses. PID 1 runs under it too, and every
	 * process it starts, lesson 08's included (it loads the same). */
	// tag::seccomp[]
	if (!a->unconfined && (e = filter_syscalls()) != 0)
		errx(EXIT_FAILURE, "seccomp(SECCOMP_SET_MODE_FILTER): %s",
		     filter_error(e));
	// end::seccomp[]
	clearenv();
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", term_copy, 1);
	setenv("container", "nslab", 1);
	return init_run(a->argv, a->tty);
}

/* ==== the launcher ==================================================== */

/* A hostname as RFC 1123 has them: dot-separated labels of 1 to 63
 * letters, digits and '-', none starting or ending with '-'. The kernel
 * takes any 64 bytes; the programs inside (and their logs) do not. */
static bool valid_hostname(const char *name)
{
	size_t label = 0;

	for (const char *c = name;; c++) {
		if (*c == '.' || *c == '\0') {
			if (label == 0 || label > 63 || c[-1] == '-')
				return false;
			if (*c == '\0')
				return true;
			label = 0;
		} else if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			   (*c >= '0' && *c <= '9') || (*c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}

/* --rootfs must be a root of its own: one that holds this program's
 * build tree (--rootfs /, or the checkout) would show the host's files
 * inside, this program among them, as root's. The build tree is BUILD
 * of BUILD/solutions/07-container/container: it holds it when one of
 * its directories, up to /, is the rootfs (by st_dev and st_ino). */
static void check_rootfs_apart(const char *rootfs)
{
	char path[PATH_MAX], build[PATH_MAX], up[PATH_MAX], *slash;
	struct stat root, st;

	if (!realpath(rootfs, path) || stat(path, &root) == -1 ||
	    !realpath("/proc/self/exe", build))
		return; /* rootfs_find() says what is wrong with it */
	for (int i = 0; i < 3 && (slash = strrchr(build, '/')); i++)
		*slash = '\0';
	snprintf(up, sizeof(up), "%s", build);
	for (;;) {
		if (stat(*up ? up : "/", &st) == 0 && st.st_dev == root.st_dev &&
		    st.st_ino == root.st_ino)
			errx(EXIT_USAGE, "--rootfs %s holds this program's build tree "
			     "%s: the container would see the host's files as its "
			     "own; give it a root file system of its own (make rootfs "
			     "builds one)", rootfs, build);
		if (!*up || !(slash = strrchr(up, '/')))
			return;
		*slash = '\0';
	}
}

/* The container's id: what it names on the host (its cgroup, its veth,
 * its lease) is named by it. Not the launcher's pid: pids repeat across
 * PID namespaces, and a launcher with the same pid in another one joined
 * a running container's cgroup, whose reaper then killed it. 32 random
 * bits (getrandom(2)), as 8 hex digits: lease_take() refuses one that a
 * live container holds, in case. */
// tag::make_id[]
static void make_id(char *id, size_t size)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		err(EXIT_FAILURE, "getrandom");
	snprintf(id, size, "%08x", rnd);
}
// end::make_id[]

/* The lease, given back by the launcher at its exit if no reaper does
 * (no cgroup); a child of ours that exits holds a copy, and gives back
 * nothing. */
static struct lease lease = {.fd = -1};
static pid_t launcher_pid;

static void give_back_lease(void)
{
	if (getpid() == launcher_pid)
		lease_release(&lease);
}

/* The name and the subnet, taken under the lock of the leases
 * (lessons/lib/lease.h): a check that a subnet is free, then taking it,
 * is a race two launchers started at once both win, unless no other may
 * check in between. --ip's subnet if it is free, else the first free
 * /24 of the pool. Free: no live lease holds it, and the host uses none
 * of it (an address, or a route). */
// tag::take_lease[]
static void take_lease(struct child_args *a, const char *ip, char *id, size_t size,
		       bool named)
{
	struct lease_net *held = calloc(LEASE_MAX, sizeof(*held));
	const struct lease_net *other;
	struct in_addr addr = {0};
	char why[160];
	int lock, n, i = 0;

	if (!held)
		err(EXIT_FAILURE, "calloc");
	lock = lease_lock();
	n = lease_held(held, LEASE_MAX);
	if (a->veth && ip) {
		if ((other = lease_overlap(held, n, a->addr, a->prefix)))
			errx(EXIT_FAILURE, "--ip %s: that subnet overlaps the one of the "
			     "running container %s; choose another, or leave --ip "
			     "out (the next free /24 of 10.7.0.0/16)", ip, other->name);
		check_subnet_free(a->addr, a->prefix, ip);
	} else if (a->veth) {
		for (i = 0; i < POOL_SUBNETS; i++) {
			addr.s_addr = htonl(POOL_FIRST + (i << 8) + 2);
			if (lease_overlap(held, n, addr, 24))
				continue;
			if (!subnet_in_use(addr, 24, why, sizeof(why)))
				break;
		}
		if (i == POOL_SUBNETS)
			errx(EXIT_FAILURE, "no /24 of the pool 10.7.0.0/16 is free: %d "
			     "containers hold one, this host uses the others; give a "
			     "subnet with --ip", n);
		a->addr = addr;
		a->prefix = 24;
	}
	a->gw = ipv4_gateway(a->addr, a->prefix);
	for (int tries = 0; !lease_take(&lease, id, a->addr, a->veth ? a->prefix : 0);
	     tries++) {
		if (named || tries == 3)
			errx(EXIT_FAILURE, "a running container is named %s already%s",
			     id, named ? "; give this one another --name" : "");
		make_id(id, size);
	}
	lease_unlock(lock);
	free(held);
	launcher_pid = getpid();
	atexit(give_back_lease);
}
// end::take_lease[]

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {
		"/bin/sh", "-c",
		"echo \"hostname $(hostname), uid $(id -u), in / only: $(echo $(ls /))\"; "
		"echo processes:; ps -o pid,user,comm; "
		"echo \"capabilities: $(grep CapBnd /proc/self/status)\"; "
		"ip -4 -o addr | awk '{print \"address: \" $2 \" \" $4}'; "
		"gw=$(ip route | awk '/^default/ {print $3}'); "
		"[ -z \"$gw\" ] || ping -c 1 -W 2 $gw | sed -n '2s/^/ping: /p'",
		NULL};
	static const struct option options[] = {
		{"rootfs", required_argument, NULL, 'r'},
		{"hostname", required_argument, NULL, 'n'},
		{"net", required_argument, NULL, 'N'},
		{"ip", required_argument, NULL, 'i'},
		{"name", required_argument, NULL, 'C'},
		{"rootless", no_argument, NULL, 'R'},
		{"identity-map", no_argument, NULL, 'I'},
		{"pids-limit", required_argument, NULL, 'p'},
		{"memory", required_argument, NULL, 'm'},
		{"tmpfs-size", required_argument, NULL, 's'},
		{"cpus", required_argument, NULL, 'c'},
		{"cgroup-parent", required_argument, NULL, 'P'},
		{"security-opt", required_argument, NULL, 'S'},
		// CHALLENGE BEGIN
		{"read-only", no_argument, NULL, 'o'},
		// CHALLENGE END
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct child_args args = {.tree = -1, .sock = -1, .cgroup = -1};
	const char *rootfs = NULL, *net = NULL, *ip = NULL, *parent = cg_default_parent(), *why;
	const char *name = NULL;
	char hostname[UTS_NAME_MAX + 1], label[96], host_label[32];
	char rootfs_path[PATH_MAX], veth[IF_NAMESIZE], text[PATH_MAX + 200];
	char id[LEASE_NAME_MAX + 1], cg_name[32];
	long long layer_size = DEFAULT_LAYER_SIZE;
	bool sized = false;
	struct cg_limits lim = {0};
	bool identity = false;
	unsigned char rnd[3];
	struct ns_child child;
	struct cgroup cg;
	struct pty pty;
	int opt, code, sock[2], kinds;

	nslab_init("container", "07");
	while ((opt = getopt_long(argc, argv, "+hq", options, NULL)) != -1) {
		switch (opt) {
		case 'r': rootfs = optarg; break;
		case 'n': args.hostname = optarg; break;
		case 'N': net = optarg; break;
		case 'i': ip = optarg; break;
		case 'C': name = optarg; break;
		case 'R': args.rootless = true; break;
		case 'I': identity = true; break;
		case 'p': lim.pids = cg_parse_count("--pids-limit", optarg); break;
		case 'm': lim.memory = cg_parse_size("--memory", optarg); break;
		case 's':
			layer_size = cg_parse_size("--tmpfs-size", optarg);
			sized = true;
			break;
		case 'c': lim.cpus = cg_parse_cpus("--cpus", optarg); break;
		case 'P': parent = optarg; break;
		case 'S':
			/* Docker's spelling; the one value this lab knows. */
			if (strcmp(optarg, "seccomp=unconfined") != 0)
				errx(EXIT_USAGE, "--security-opt %s: only "
				     "seccomp=unconfined is known here", optarg);
			args.unconfined = true;
			break;
		// CHALLENGE BEGIN
		case 'o': args.read_only = true; break;
		// CHALLENGE END
		case 'q': nslab_quiet = true; break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}

	/* Check everything before anything is created. */
	if (args.rootless && identity)
		errx(EXIT_USAGE, "--rootless and --identity-map exclude each other");
	if (lim.memory && lim.memory < MIN_MEMORY)
		errx(EXIT_USAGE, "--memory %lld bytes is under 6M, Docker's minimum: "
		     "the OOM killer would end the container before its command "
		     "ran", lim.memory);
	if (layer_size < MIN_LAYER_SIZE)
		errx(EXIT_USAGE, "--tmpfs-size %lld bytes: the writable layer needs "
		     "at least 1M", layer_size);
	if (identity && geteuid() != 0)
		errx(EXIT_FAILURE, "--identity-map needs root: only a privileged "
		     "parent may map ids other than its own; sudo make lesson07");
	args.rootless |= geteuid() != 0;
	if (sized && args.rootless)
		errx(EXIT_USAGE, "--tmpfs-size: rootless, the writable layer is a "
		     "directory on disk (in " LAYER_DIR "), not a tmpfs");
	/* As root the layer's tmpfs gets a size: without one it may take
	 * half the host's memory (tmpfs(5)), which no OOM kill of the
	 * writer frees. Rootless it is on disk (layer.h says why). */
	layer_init(&args.layer, args.rootless,
		   (unsigned long long)layer_size);
	if (net && strcmp(net, "veth") != 0 && strcmp(net, "none") != 0)
		errx(EXIT_USAGE, "--net %s: expected veth or none", net);
	args.veth = net ? strcmp(net, "veth") == 0 : geteuid() == 0;
	if (args.veth && geteuid() != 0)
		errx(EXIT_FAILURE, "--net veth needs root: the veth's other end is "
		     "in the host's network namespace, where only root may add "
		     "links; use --net none (or sudo make lesson07)");
	if (ip && !args.veth)
		errx(EXIT_USAGE, "--ip %s needs --net veth", ip);
	if (ip && (why = ipv4_parse(ip, &args.addr, &args.prefix)))
		errx(EXIT_USAGE, "--ip %s: %s, e.g. " EXAMPLE_IP, ip, why);
	if (name && (why = lease_name_invalid(name)))
		errx(EXIT_USAGE, "--name \"%.40s\": %s", name, why);
	if (!args.hostname) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			err(EXIT_FAILURE, "getrandom");
		snprintf(hostname, sizeof(hostname), "nslab-%02x%02x%02x", rnd[0],
			 rnd[1], rnd[2]);
		args.hostname = hostname;
	}
	if (strlen(args.hostname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "hostname \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.hostname, strlen(args.hostname),
		     UTS_NAME_MAX);
	if (!valid_hostname(args.hostname)) {
		/* Shown with its control characters as '?': a newline in
		 * it would break the message it is in. */
		snprintf(text, sizeof(text), "%s", args.hostname);
		for (char *c = text; *c; c++)
			*c = (unsigned char)*c < ' ' ? '?' : *c;
		errx(EXIT_USAGE, "--hostname \"%s\" is not a hostname: letters, "
		     "digits and '-', in dot-separated labels of 1 to 63 that "
		     "neither start nor end with '-' (RFC 1123)", text);
	}
	if (rootfs)
		check_rootfs_apart(rootfs);
	args.rootfs = rootfs_find(rootfs, rootfs_path);
	/* The lab's range of ids, reserved for it: never a guess (100000
	 * is the range useradd gives the first user who asks for one). */
	if (!identity && !args.rootless &&
	    (why = rootfs_subids(LAB_USER, &args.subid, text, sizeof(text))))
		errx(EXIT_FAILURE, "%s", why);
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	args.tty = isatty(STDIN_FILENO);
	for (int i = 0; i < 6; i++)
		if (!ns_id_of(0, six[i], &args.host[i]))
			err(EXIT_FAILURE, "/proc/self/ns/%s", six[i]);
	ensure_proc_is_ours();
	/* The name (and the subnet) are leased as root, the only one who
	 * makes cgroups and veths here; rootless, nothing is named. */
	if (name)
		snprintf(id, sizeof(id), "%s", name);
	else
		make_id(id, sizeof(id));
	if (geteuid() == 0) {
		take_lease(&args, ip, id, sizeof(id), name != NULL);
		cg_reaper_also(lease.fd, lease_give_back, &lease);
	}
	if (args.veth) {
		inet_ntop(AF_INET, &args.addr, text, sizeof(text));
		say("container %s, subnet %s/%d (leased in " LEASE_DIR ")", id, text,
		    args.prefix);
	} else {
		say("container %s", id);
	}
	snprintf(cg_name, sizeof(cg_name), "container-%s", id);
	/* The limits, as root (cgroup.h; lesson 09 teaches them): a process
	 * count always, so that a fork bomb inside ends in EAGAIN, not in a
	 * host that cannot fork. The cgroup goes when we do, however. */
	cg_start(&cg, parent, cg_name, &lim, DEFAULT_PIDS);
	if (cg.ndirs && !nslab_quiet) /* reads every limit file back */
		say("cgroup %s: %s", cg_relative(&cg), cg_describe_limits(&cg, text, sizeof(text)));
	args.cgroupns = cg.v2;
	if (args.cgroupns)
		say("cgroup v2: a cgroup namespace of its own, where its cgroup is \"/\"");

	/* What the child inherits: a detached copy of the rootfs mount (as
	 * root; the launcher gives it its id mapping in step 2), a pidfd of
	 * the launcher, to learn of its death, and a socket for the
	 * terminal. */
	if (!args.rootless)
		args.tree = rootfs_clone(args.rootfs);
	args.launcher = pidfd_open(getpid(), 0);
	if (args.launcher == -1)
		err(EXIT_FAILURE, "pidfd_open");
	if (args.tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) == -1)
		err(EXIT_FAILURE, "socketpair");
	args.sock = args.tty ? sock[1] : -1;
	if (pipe2(args.in_cgroup, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	for (int i = 0; i < cg.ndirs && !cg.v2; i++) {
		snprintf(text, sizeof(text), "%s/tasks", cg.dir[i]);
		if ((args.tasks[i] = open(text, O_WRONLY | O_CLOEXEC)) == -1)
			err(EXIT_FAILURE, "open(%s)", text);
		args.ntasks++;
	}
	/* On v2 the child is born in its cgroup (nslab.h). */
	if (cg.ndirs && cg.v2) {
		args.cgroup = open(cg.dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (args.cgroup == -1)
			err(EXIT_FAILURE, "open(%s)", cg.dir[0]);
		ns_spawn_into_cgroup(args.cgroup);
	}
	atexit(remove_veth);

	// BEGIN SOLUTION 1
	// STEP: the namespaces a container needs
	// TODO: Start child_main(&args) with ns_spawn() (lessons/lib/nslab.h),
	//       held until ns_release(), in the new namespaces a container
	//       needs: its command sees none of the host's processes, mounts,
	//       network, hostname or IPC objects, and its root is root over
	//       them only, not over the host. On -1, clone_failed("clone",
	//       the flags) says why. Afterwards every line of the account below
	//       says "new". Read namespaces(7), the table of namespace types,
	//       and clone(2), "The flags mask". Which namespace keeps each of
	//       those promises, and which one lets an ordinary user create
	//       all the others?
	// HINT: One flag per namespace type, each a promise: the account
	//       below lists the types a container has (six[]).
	// HINT: ns_spawn(&child, FLAGS, child_main, &args) returns the pid or
	//       -1. The user namespace owns the others the same clone()
	//       creates: the kernel makes it first (user_namespaces(7)), so
	//       its root may set up the other five without being root on the
	//       host. The flags: CLONE_NEW* of clone(2), one per line of
	//       six[].
	// HINT: kinds = CLONE_NEWUSER | CLONE_NEWNS | ____ | ____ | ____ | ____;
	//       if (ns_spawn(&child, ____, child_main, &args) == -1)
	//               clone_failed("clone", ____);
	// WRONG no_newpid: "CLONE_NEWPID | CLONE_NEWNET" -> "CLONE_NEWNET" : CLONE_NEWPID
	// WRONG no_newnet: "CLONE_NEWPID | CLONE_NEWNET" -> "CLONE_NEWPID" : CLONE_NEWNET
	// STUB: (void)child_main; (void)kinds; child.pid = 0;
	// STUB: todo({n}, "start the child in the namespaces of a container");
	// tag::clone[]
	kinds = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
		CLONE_NEWUTS | CLONE_NEWIPC;
	if (ns_spawn(&child, kinds, child_main, &args) == -1)
		clone_failed("clone", kinds);
	// end::clone[]
	// END SOLUTION
	/* The signals a user sends us are meant for the command (init.h). */
	forward_signals(child.pid);
	if (args.tty)
		close(sock[1]);
	close(args.in_cgroup[0]);
	for (int i = 0; i < args.ntasks; i++)
		close(args.tasks[i]);
	if (args.cgroup != -1)
		close(args.cgroup);
	say("launcher pid %d; the container's PID 1 is pid %d here", (int)getpid(),
	    (int)child.pid);
	if (cg.ndirs)
		say("  the child %s", child.in_cgroup ? "is born in its cgroup (clone3, "
		    "CLONE_INTO_CGROUP)" : cg.v2 ? "is moved into its cgroup (cgroup.procs)"
		    : "joins its cgroup itself (\"0\" to tasks, each v1 tree)");
	/* Under -q nothing is said: 24 lookups in /proc saved. */
	for (int i = 0; i < 6 && !nslab_quiet; i++)
		say("  %s (the launcher's is %s)",
		    ns_account(child.pid, 0, six[i], label, sizeof(label)),
		    ns_label(0, six[i], host_label, sizeof(host_label)));

	/* While the child waits: its ids (and its rootfs), then its
	 * network. */
	map_ids(child.pid, &args, identity);
	layer_create(&args.layer, child.pid);
	if (!args.rootless)
		make_root_as_host(child.pid, &args);
	veth[0] = '\0';
	if (args.veth)
		setup_veth(child.pid, &args, id, veth);
	else
		say("network: none, only lo inside");
	if (args.rootless)
		say("hostname \"%s\"; writes go to a layer on disk, %s, removed "
		    "when the container ends; never to the rootfs", args.hostname,
		    args.layer.disk);
	else
		say("hostname \"%s\"; writes go to a tmpfs layer of %lldM, never to "
		    "the rootfs", args.hostname, layer_size >> 20);
	say(args.unconfined ? "no syscall filter (--security-opt seccomp=unconfined)"
	    : "a seccomp filter refuses user namespaces, keyctl, bpf, io_uring...");
	ns_release(&child);
	/* The child is in its cgroup: on v2 born there, on v1 joined by
	 * itself (enter_cgroup_v1()). Else (v2 on a kernel before clone3)
	 * the launcher moves it while it builds the container: it waits
	 * for this byte before the lock-down and the command. */
	if (cg.ndirs && cg.v2 && !child.in_cgroup)
		cg_enter(&cg, child.pid);
	if (write(args.in_cgroup[1], "c", 1) != 1)
		err(EXIT_FAILURE, "write(the child's cgroup pipe)");
	close(args.in_cgroup[1]);

	if (args.tty && pty_receive_master(sock[0], &pty) == 0)
		code = pty_relay(&pty, child.pid);
	else
		code = wait_child(child.pid);
	/* The veth goes with the container's network namespace, but the
	 * kernel frees that in the background: remove it now. */
	remove_veth();
	if (cg.ndirs && !cg_reaper_finish(&cg))
		errx(EXIT_FAILURE, "the command exited with status %d, but its "
		     "cgroup %s could not be removed", code, cg.dir[0]);
	if (!layer_finish(&args.layer))
		errx(EXIT_FAILURE, "the command exited with status %d, but its "
		     "layer %s could not be removed", code, args.layer.disk);
	/* The reaper, ended well, gave the lease back (cg_reaper_also()). */
	if (cg.ndirs)
		lease_forget(&lease);
	say("the command exited with status %d%s%s%s", code, veth[0] ? "; veth " : "",
	    veth, veth[0] ? " removed" : "");
	return code;
}
