/* container.c - a mini-container, safe by default (lesson 07)
 *
 * The idea: the kernel has no "container" object. A container is a
 * process that clone(2) started in a new namespace of every kind - user,
 * mount, PID, network, UTS, IPC - and that built a small world of its own
 * inside them, in an order that matters. Namespaces alone do not make it
 * safe: each measure here stops an escape that happened to a real runtime.
 * Root inside is not root outside (ids 0-65535 map to root's /etc/subuid
 * range, the rootfs is idmapped to match); the rootfs is never written
 * (an overlay with a tmpfs upper layer); /proc is Docker's (core_pattern
 * and the other knobs read-only, kcore and friends masked); only fds 0-2
 * cross (runc's CVE-2024-21626); PID 1 is not dumpable (CVE-2019-5736);
 * the command gets Docker's capabilities and no_new_privs.
 *
 * Steps, in run order: launcher 1 clone into six namespaces, 2 the id
 * maps and the idmapped rootfs; child 3 a throwaway root, 4 /proc and
 * /sys, 5 pivot_root, 6 the lock-down; then PID 1 runs the command.
 *
 * Usage: container [--rootfs DIR] [--hostname NAME] [--net none|veth]
 *                  [--ip ADDR/PREFIX] [--rootless | --identity-map] [-q]
 *                  [--] [COMMAND [ARG...]]
 *
 * Sample session (as root; the numbers will differ):
 *   $ sudo ./container --hostname box -- sh -c 'hostname; id -u'
 *   container: launcher pid 4242; the container's PID 1 is pid 4243 here
 *   container:   user:[4026532318], a new user namespace (the launcher's ...)
 *   ...
 *   container: uid_map "0 100000 65536", gid_map "0 100000 65536": root inside is uid 100000 here
 *   box
 *   0
 *   container: the command exited with status 0; veth nslab4242 removed
 *
 * Read: namespaces(7), user_namespaces(7), mount_setattr(2), open_tree(2),
 *       move_mount(2), pivot_root(2), proc(5), capabilities(7), prctl(2),
 *       close_range(2), veth(4), rtnetlink(7).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nslab.h"

/* The kernel keeps the hostname in a 65-byte array: 64 bytes at most. */
#define UTS_NAME_MAX HOST_NAME_MAX
#define DEFAULT_IP "10.7.0.2/24"
/* The container's end of the veth. */
#define INSIDE_IF "eth0"
/* Ids 0-65535 inside: all a distribution's files and users need. */
#define ID_COUNT 65536u
/* Root's host ids when /etc/subuid (/etc/subgid) gives root no range:
 * the first range useradd(8) hands out, as Docker and Podman use it. */
#define DEFAULT_SUBID 100000u
#define SIX_NEW (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
		 CLONE_NEWUTS | CLONE_NEWIPC)
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
	bool veth, rootless;       /* a veth to the parent; ids of the caller */
	struct in_addr addr, gw;   /* inside: own address, the parent's */
	int prefix;
	int tree;                  /* a detached copy of the rootfs mount, or -1 */
	int launcher;              /* a pidfd of the launcher */
	struct ns_id host[6];      /* the launcher's namespaces, as six[] */
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a mini-container: six new namespaces, a throwaway\n"
		"layer over the root file system DIR, Docker's /proc, capabilities\n"
		"and masks, a veth to this side. Without COMMAND: a shell when stdin\n"
		"is a terminal, otherwise a short demonstration.\n\n"
		"  --rootfs DIR      the root, never written (default: BUILD/rootfs\n"
		"                    beside this program's build tree; make rootfs)\n"
		"  --hostname NAME   hostname inside (default nslab-XXXXXX; <= %d bytes)\n"
		"  --net veth|none   a veth to this side (default as root), or only lo\n"
		"  --ip ADDR/PREFIX  the container's address (default " DEFAULT_IP ")\n"
		"  --rootless        map only root inside, to you (default for users)\n"
		"  --identity-map    as root: ids inside are the host's own, root is\n"
		"                    the host's root: a privileged container (default:\n"
		"                    root's /etc/subuid range, or %u-%u)\n"
		"  -q                no account of what happens on stderr\n"
		"  -h                show this help\n\n"
		"As root: sudo make lesson07. Exit status: COMMAND's, or 128+N if a\n"
		"signal N killed it.\n",
		prog, UTS_NAME_MAX, DEFAULT_SUBID, DEFAULT_SUBID + ID_COUNT - 1);
}

/* ==== rtnetlink: links, addresses, routes ============================
 * A compact copy of lesson 05's requests (lessons/lib/rtnl will hold
 * them once). A request is a netlink header, a fixed struct, then
 * attributes, each aligned to 4 bytes; an attribute can nest others. A
 * netlink socket talks to the network namespace it was created in. */

struct nl_req {
	struct nlmsghdr h;
	char data[512];
};

static void *nl_start(struct nl_req *r, int type, int flags, size_t fixed)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(fixed);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

static struct rtattr *nl_add(struct nl_req *r, int type, const void *data,
			     size_t len)
{
	struct rtattr *a;

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		errx(EXIT_FAILURE, "netlink request too long");
	a = (struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_end(struct nl_req *r, struct rtattr *nest)
{
	nest->rta_len = (char *)&r->h + r->h.nlmsg_len - (char *)nest;
}

/* Send the request and read the kernel's answer: 0, or -1 with errno. */
static int nl_talk(struct nl_req *r)
{
	union {
		struct nlmsghdr h;
		char buf[1024];
	} reply;
	struct nlmsgerr *e = NLMSG_DATA(&reply.h);
	int fd, saved;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	n = send(fd, &r->h, r->h.nlmsg_len, 0);
	if (n != -1)
		n = recv(fd, &reply, sizeof(reply), 0);
	saved = errno;
	close(fd);
	errno = saved;
	if (n == -1)
		return -1;
	if ((size_t)n < NLMSG_LENGTH(sizeof(*e)) || reply.h.nlmsg_type != NLMSG_ERROR) {
		errno = EPROTO;
		return -1;
	}
	errno = -e->error;
	return e->error ? -1 : 0;
}

/* ip link add NAME type veth peer name PEER netns PID: the peer is
 * created in the child's network namespace, so both ends are never
 * here at once. */
static int link_add_veth(const char *name, const char *peer, pid_t netns_of)
{
	struct rtattr *info, *data, *end;
	uint32_t pid = netns_of;
	struct nl_req r;

	nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	nl_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_add(&r, IFLA_LINKINFO, NULL, 0);
	nl_add(&r, IFLA_INFO_KIND, "veth", 4);
	data = nl_add(&r, IFLA_INFO_DATA, NULL, 0);
	end = nl_add(&r, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
	nl_add(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_add(&r, IFLA_NET_NS_PID, &pid, sizeof(pid));
	nl_end(&r, end);
	nl_end(&r, data);
	nl_end(&r, info);
	return nl_talk(&r);
}

/* ip link set NAME up */
static int link_set(const char *name, bool up, pid_t netns_of,
		    const char *new_name)
{
	struct ifinfomsg *ifi;
	struct nl_req r;
	uint32_t pid = netns_of;

	ifi = nl_start(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = if_nametoindex(name);
	if (ifi->ifi_index == 0)
		return -1;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (netns_of)
		nl_add(&r, IFLA_NET_NS_PID, &pid, sizeof(pid));
	if (new_name)
		nl_add(&r, IFLA_IFNAME, new_name, strlen(new_name) + 1);
	return nl_talk(&r);
}

/* ip link del NAME */
static int link_del(const char *name)
{
	struct nl_req r;

	nl_start(&r, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
	nl_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(&r);
}

/* ip addr add ADDR/PREFIX dev NAME */
static int addr_add(const char *name, struct in_addr addr, int prefix)
{
	struct ifaddrmsg *ifa;
	struct nl_req r;

	ifa = nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = if_nametoindex(name);
	if (ifa->ifa_index == 0)
		return -1;
	nl_add(&r, IFA_LOCAL, &addr, sizeof(addr));
	nl_add(&r, IFA_ADDRESS, &addr, sizeof(addr));
	return nl_talk(&r);
}

/* ip route add default via GW */
static int route_add_default(struct in_addr gw)
{
	struct nl_req r;
	struct rtmsg *rtm;

	rtm = nl_start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	nl_add(&r, RTA_GATEWAY, &gw, sizeof(gw));
	return nl_talk(&r);
}

/* The host end of the veth, once created; deleted at exit. */
static char veth_host[IF_NAMESIZE];

/* At exit of the launcher: remove the host end, which takes the
 * container's end with it (the child's copy of veth_host is empty). */
static void remove_veth(void)
{
	if (veth_host[0] && link_del(veth_host) == -1 && errno != ENODEV)
		warn("removing veth %s", veth_host);
	veth_host[0] = '\0';
}

/* The launcher's side: a veth whose peer, eth0, is created in the
 * child's network namespace; this end gets the parent's address. */
static void setup_veth(pid_t pid, const struct child_args *a)
{
	char here[INET_ADDRSTRLEN], there[INET_ADDRSTRLEN], name[IF_NAMESIZE];

	/* This launcher's pid keeps the name unique, in 15 characters. */
	snprintf(veth_host, sizeof(veth_host), "nslab%d", (int)getpid());
	snprintf(name, sizeof(name), "%s", veth_host);
	if (link_add_veth(veth_host, INSIDE_IF, pid) == -1) {
		if (errno == EEXIST) {
			veth_host[0] = '\0'; /* not ours: leave it alone */
			errx(EXIT_FAILURE, "RTM_NEWLINK veth %s: a link named %s "
			     "exists already; if an earlier run left it, delete "
			     "it: ip link del %s", name, name, name);
		}
		err(EXIT_FAILURE, "RTM_NEWLINK veth %s peer " INSIDE_IF " netns %d",
		    name, (int)pid);
	}
	if (addr_add(veth_host, a->gw, a->prefix) == -1)
		err(EXIT_FAILURE, "RTM_NEWADDR %s", veth_host);
	if (link_set(veth_host, true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK %s up", veth_host);
	inet_ntop(AF_INET, &a->gw, here, sizeof(here));
	inet_ntop(AF_INET, &a->addr, there, sizeof(there));
	say("veth %s %s/%d here, " INSIDE_IF " %s/%d inside", veth_host, here,
	    a->prefix, there, a->prefix);
}

/* The child's side: lo up; eth0 addressed and up, then the default
 * route (it needs the link up: the gateway must be reachable). */
static void setup_inside_net(const struct child_args *a)
{
	if (link_set("lo", true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK lo up");
	if (!a->veth)
		return;
	if (addr_add(INSIDE_IF, a->addr, a->prefix) == -1)
		err(EXIT_FAILURE, "RTM_NEWADDR " INSIDE_IF);
	if (link_set(INSIDE_IF, true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK " INSIDE_IF " up");
	if (route_add_default(a->gw) == -1)
		err(EXIT_FAILURE, "RTM_NEWROUTE default");
}

/* ==== id maps (lessons/lib/idmap will hold them once) ================ */

/* Write `text` to a /proc file in a single write(2), as map files need. */
static void write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1)
		err(EXIT_FAILURE, "open(%s)", path);
	if (write(fd, text, len) != (ssize_t)len)
		err(EXIT_FAILURE, "write(%s, \"%.*s\")", path,
		    (int)strcspn(text, "\n"), text);
	close(fd);
}

/* Ids 0..count-1 inside are uid..uid+count-1 (gid..) outside. With one
 * id (rootless) the kernel first wants setgroups denied, or a user could
 * drop a group that keeps it out of files (user_namespaces(7)). */
static void write_id_maps(pid_t pid, unsigned uid, unsigned gid, unsigned count)
{
	char path[64], map[64];

	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "0 %u %u\n", uid, count);
	write_file(path, map);
	if (count == 1) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		write_file(path, "deny");
	}
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "0 %u %u\n", gid, count);
	write_file(path, map);
}

/* ==== PID 1 and signals (lessons/lib/init will hold them once) ======= */

/* What a terminal or a service manager sends to stop a container: the
 * launcher passes them to PID 1, PID 1 to the command. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static void install_forwarding(void)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		if (sigaction(forwarded[i], &sa, NULL) == -1)
			err(EXIT_FAILURE, "sigaction(%d)", forwarded[i]);
}

static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

/* Start the command as a child of PID 1, in an environment of its own
 * (the host's PATH and HOME mean nothing here), the forwarded signals
 * back to their defaults. posix_spawn(3) borrows our memory until the
 * exec instead of copying our page tables. 127: not found, 126: cannot
 * be run, as a shell says. */
static pid_t spawn_command(char **argv, const sigset_t *forwarded_sigs)
{
	const char *term = getenv("TERM");
	char term_copy[64];
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid;
	int e;

	snprintf(term_copy, sizeof(term_copy), "%s", term ? term : "linux");
	clearenv();
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", term_copy, 1);
	setenv("container", "nslab", 1);
	sigemptyset(&none);
	if ((e = posix_spawnattr_init(&attr)) ||
	    (e = posix_spawnattr_setsigdefault(&attr, forwarded_sigs)) ||
	    (e = posix_spawnattr_setsigmask(&attr, &none)) ||
	    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
						     POSIX_SPAWN_SETSIGMASK))) {
		errno = e;
		err(EXIT_FAILURE, "posix_spawnattr");
	}
	e = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	if (e) {
		errno = e;
		err(e == ENOENT ? 127 : 126, "execvp(%s)", argv[0]);
	}
	posix_spawnattr_destroy(&attr);
	return pid;
}

/* PID 1 of the new PID namespace: the kernel re-parents every orphan in
 * it to us, and when we exit it kills all the others. Start the
 * command, forward it the signals (PID 1 gets only those it has handlers
 * for), reap every child until the command ends; its status. */
static int run_init(char **argv)
{
	sigset_t set;
	int status;
	pid_t pid, cmd;

	forwarded_set(&set);
	install_forwarding();
	cmd = spawn_command(argv, &set);
	forward_to = cmd;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		pid = wait(&status);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			err(EXIT_FAILURE, "wait");
		if (pid == cmd)
			return exit_status(status);
	}
}

/* ==== the container, in its order of operations ===================== */

/* mount(2) or stop, naming what failed. */
static void do_mount(const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) == -1)
		err(EXIT_FAILURE, "mount(%s, %s, %s%s%s)", src ? src : "NULL", dst,
		    type ? type : "NULL", data ? ", " : "", data ? data : "");
}

/* A detached copy of the rootfs mount (like mount --bind, attached
 * nowhere yet), read-only: only this descriptor reaches it. A copy joins
 * the peer group of its source: make it private, or a mount under it,
 * once it is attached in the container, would appear on the host too. */
static int open_rootfs(const char *rootfs)
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
static unsigned root_subid(const char *file)
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
static void __attribute__((noreturn)) idmap_failed(const char *rootfs)
{
	errx(EXIT_FAILURE, "mount_setattr(%s, MOUNT_ATTR_IDMAP): %s: the file "
	     "system of the rootfs cannot be idmapped here (it needs Linux 5.12 "
	     "or later and a file system that supports it: ext4, xfs, btrfs, "
	     "tmpfs since 6.3); put the rootfs on one that does, run as an "
	     "ordinary user (rootless), or accept a privileged container: "
	     "--identity-map", rootfs, strerror(errno));
}

/* The launcher, as root, while the child waits: ids 0-65535 inside are
 * a range of host ids, and the rootfs mount gets the same mapping. */
static void map_ids(pid_t pid, struct child_args *a, bool identity)
{
	struct mount_attr attr = {0};
	unsigned uid, gid;
	char path[64];
	int userns;

	if (a->rootless) {
		write_id_maps(pid, geteuid(), getegid(), 1);
		say("uid_map \"0 %u 1\", gid_map \"0 %u 1\": root inside is you "
		    "(uid %u) here, no other id is mapped", (unsigned)geteuid(),
		    (unsigned)getegid(), (unsigned)geteuid());
		return;
	}
	if (identity) {
		write_id_maps(pid, 0, 0, ID_COUNT);
		say("uid_map \"0 0 %u\": a privileged container: root inside is "
		    "the host's root", ID_COUNT);
		return;
	}
	/*
	 * TODO(2): Map ids 0-65535 inside to a range of host ids without 0:
	 *          root's range in /etc/subuid and /etc/subgid (root_subid()),
	 *          written with write_id_maps(). Then give the rootfs mount
	 *          a->tree the same mapping, so that its files, the host root's,
	 *          are root's inside. Afterwards `id -u` inside prints 0, ps on
	 *          the host shows the command as uid 100000, and `ls -ln /bin`
	 *          inside shows 0 0 (not 65534). Read user_namespaces(7),
	 *          "Defining user and group ID mappings", and mount_setattr(2),
	 *          "Idmapped mounts".
	 */
	(void)path; (void)attr; (void)userns; (void)uid; (void)gid;
	(void)root_subid; (void)idmap_failed;
	todo(2, "map the child's ids, and the rootfs like them");
	say("uid_map \"0 %u %u\", gid_map \"0 %u %u\": root inside is uid %u "
	    "here", uid, ID_COUNT, gid, ID_COUNT, uid);
	say("rootfs %s, idmapped: its files are root's inside", a->rootfs);
}

/* The child, released: take the ids of root inside (the maps exist now;
 * writing them changed nobody's credentials). A change of ids clears the
 * parent-death signal (prctl(2)): set it again, then check that the
 * launcher did not die in between: its pidfd is readable once it has. */
static void become_root(const struct child_args *a)
{
	struct pollfd launcher = {.fd = a->launcher, .events = POLLIN};

	if (!a->rootless && setgroups(0, NULL) == -1)
		err(EXIT_FAILURE, "setgroups(0)");
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
 * not; afterwards the current directory is that new root. */
static void make_root(struct child_args *a)
{
	/* Rootless, the launcher could not copy the rootfs mount: only
	 * here, in a mount namespace of our own, may we. */
	if (a->tree == -1)
		a->tree = open_rootfs(a->rootfs);
	/*
	 * TODO(3): Build the container's root so that nothing done here reaches
	 *          the host, and the rootfs is never written: no mount of ours
	 *          may propagate to the host's; the rootfs (the detached mount
	 *          a->tree) is the read-only lower layer of an overlay whose upper
	 *          layer lives in a tmpfs; end in the overlay's root (chdir).
	 *          Afterwards `rm -rf /bin` inside works, inside, and leaves
	 *          build/rootfs as it was. Read mount_namespaces(7), "Shared
	 *          subtrees"; move_mount(2); the kernel's
	 *          Documentation/filesystems/overlayfs.rst, "Upper and Lower".
	 */
	todo(3, "a throwaway root: an overlay over the rootfs");
}

/* The kernel's views of this container, on the new root (the current
 * directory): /proc for its PID namespace, /sys for its network
 * namespace, as Docker shows them. Before pivot_root: in a user
 * namespace the kernel allows a new proc or sysfs only while one is
 * fully visible in the mount namespace, and the old root is where it is. */
static void mount_proc_sys(void)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct stat st;

	do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	/*
	 * TODO(4): Hide what masked[] names (the host's kernel memory, keys,
	 *          timers...): a file behind /dev/null, a directory behind an
	 *          empty read-only tmpfs, skipping what this kernel has not. Make
	 *          what read_only[] names read-only: the kernel's knobs, such as
	 *          /proc/sys/kernel/core_pattern, whose program the kernel runs
	 *          as the host's root. Afterwards `cat /proc/timer_list` inside
	 *          prints nothing and a write to /proc/sys/kernel/msgmax (which
	 *          this container's root may change) says "Read-only file
	 *          system". Read proc(5), mount(2) "Creating
	 *          a bind mount", mount_setattr(2) MOUNT_ATTR_RDONLY.
	 */
	(void)ro; (void)st; (void)masked; (void)read_only;
	/* The host is safe without this step, so go on: */
	warnx("TODO(4) not done: /proc's secrets are not masked, its knobs not read-only");
}

/* A minimal /dev: what programs expect, nothing of the host's disks. A
 * user namespace may not create device nodes, but may bind the host's
 * onto empty files; devpts gets an instance of its own (devpts.rst). */
static void make_dev(void)
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
	do_mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) == -1)
			err(EXIT_FAILURE, "symlink(%s, %s)", links[i][0], links[i][1]);
}

/* Make the new root (the current directory) the root of this mount
 * namespace, and drop the old one with everything of the host's. */
static void enter_rootfs(void)
{
	/*
	 * TODO(5): Make the current directory the root of this mount namespace
	 *          and detach the old root, so that no path leads to the host's
	 *          files: afterwards /proc/self/mountinfo inside has one "/" and
	 *          only /proc, /sys and /dev below it. pivot_root(2) has no glibc
	 *          wrapper. Read pivot_root(2), NOTES ("pivot_root(\".\", \".\")").
	 */
	todo(5, "pivot_root into the new root and detach the old one");
}

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

/* The last thing PID 1 does before it starts the command. */
static void lock_down(void)
{
	/*
	 * TODO(6): Lock the container down as Docker does, now that nothing more
	 *          needs privilege: the capability bounding set is docker_caps,
	 *          and so are this process's own capabilities (set_capabilities);
	 *          no exec may gain privileges (no_new_privs); PID 1 is not
	 *          dumpable, so the command cannot open /proc/1/exe (runc's
	 *          CVE-2019-5736) or its memory; no descriptor but 0, 1 and 2
	 *          crosses into the container (CVE-2024-21626). Afterwards
	 *          /proc/self/status of the command shows CapBnd 00000000a80425fb
	 *          and NoNewPrivs 1. Read capabilities(7), "Capability bounding
	 *          set"; prctl(2); close_range(2).
	 */
	(void)set_capabilities; (void)docker_caps;
	/* The host is safe without this step, so go on: */
	warnx("TODO(6) not done: no lock-down (capabilities, no_new_privs, dumpable, descriptors)");
}

/* Everything here runs inside the new namespaces, in run order. */
static int child_main(void *arg)
{
	struct child_args *a = arg;

	become_root(a);
	make_root(a);
	mount_proc_sys();
	make_dev();
	enter_rootfs();
	if (sethostname(a->hostname, strlen(a->hostname)) == -1)
		err(EXIT_FAILURE, "sethostname(%s)", a->hostname);
	setup_inside_net(a);
	lock_down();
	return run_init(a->argv);
}

/* ---- the launcher ------------------------------------------------------ */

/* Parse ADDR/PREFIX into the container's address and the parent's: the
 * first host address of the subnet, or the second if ADDR is the first. */
static bool parse_ip(const char *text, struct child_args *a)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	uint32_t ip, mask, net;
	long prefix;

	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || prefix < 1 || prefix > 30 ||
	    inet_pton(AF_INET, buf, &a->addr) != 1)
		return false;
	ip = ntohl(a->addr.s_addr);
	mask = ~0u << (32 - prefix);
	net = ip & mask;
	if (ip == net || (ip | mask) == ~0u) /* the subnet's or broadcast */
		return false;
	a->gw.s_addr = htonl(ip == (net | 1) ? net | 2 : net | 1);
	a->prefix = (int)prefix;
	return true;
}

/* The rootfs as an absolute path, checked: BUILD/rootfs by default, for
 * BUILD/solutions/07-container/container, where make rootfs puts it. */
static const char *check_rootfs(const char *rootfs, char *path)
{
	char exe[PATH_MAX], sub[PATH_MAX + 8];
	ssize_t n;
	struct stat st;

	if (!rootfs) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n == -1)
			err(EXIT_FAILURE, "readlink(/proc/self/exe)");
		exe[n] = '\0';
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
		{"rootless", no_argument, NULL, 'R'},
		{"identity-map", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct child_args args = {.tree = -1};
	const char *rootfs = NULL, *net = NULL, *ip = NULL;
	char hostname[UTS_NAME_MAX + 1], label[96], host_label[32];
	char rootfs_path[PATH_MAX];
	bool identity = false;
	unsigned char rnd[3];
	struct ns_child child;
	sigset_t set;
	int opt, code;

	nslab_init("container", "07");
	while ((opt = getopt_long(argc, argv, "+hq", options, NULL)) != -1) {
		switch (opt) {
		case 'r': rootfs = optarg; break;
		case 'n': args.hostname = optarg; break;
		case 'N': net = optarg; break;
		case 'i': ip = optarg; break;
		case 'R': args.rootless = true; break;
		case 'I': identity = true; break;
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
	if (identity && geteuid() != 0)
		errx(EXIT_FAILURE, "--identity-map needs root: only a privileged "
		     "parent may map ids other than its own; sudo make lesson07");
	args.rootless |= geteuid() != 0;
	if (net && strcmp(net, "veth") != 0 && strcmp(net, "none") != 0)
		errx(EXIT_USAGE, "--net %s: expected veth or none", net);
	args.veth = net ? strcmp(net, "veth") == 0 : geteuid() == 0;
	if (args.veth && geteuid() != 0)
		errx(EXIT_FAILURE, "--net veth needs root: the veth's other end is "
		     "in the host's network namespace, where only root may add "
		     "links; use --net none (or sudo make lesson07)");
	if (ip && !args.veth)
		errx(EXIT_USAGE, "--ip %s needs --net veth", ip);
	if (!parse_ip(ip ? ip : DEFAULT_IP, &args))
		errx(EXIT_USAGE, "--ip %s: not an IPv4 address/prefix with prefix "
		     "1-30 and a host address, e.g. " DEFAULT_IP, ip);
	if (args.veth)
		check_subnet_free(args.addr, args.prefix, ip ? ip : DEFAULT_IP);
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
	args.rootfs = check_rootfs(rootfs, rootfs_path);
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	for (int i = 0; i < 6; i++)
		if (!ns_id_of(0, six[i], &args.host[i]))
			err(EXIT_FAILURE, "/proc/self/ns/%s", six[i]);
	ensure_proc_is_ours();

	/* What the child inherits: a detached copy of the rootfs mount (as
	 * root; the launcher gives it its id mapping in step 2), and a
	 * pidfd of the launcher, to learn of its death. */
	if (!args.rootless)
		args.tree = open_rootfs(args.rootfs);
	args.launcher = pidfd_open(getpid(), 0);
	if (args.launcher == -1)
		err(EXIT_FAILURE, "pidfd_open");
	/* Hold back the signals to forward until someone is there to get
	 * them; the child inherits the blocked set. */
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	atexit(remove_veth);

	/*
	 * TODO(1): Start child_main(&args) as a child in a new namespace of each
	 *          of the six kinds a container has (user, mount, PID, network,
	 *          UTS, IPC), held until ns_release(): the pattern you wrote in
	 *          01 is ns_spawn() in lessons/lib/nslab.h. Afterwards the
	 *          account below calls all six "new". Read namespaces(7), the
	 *          table of namespace types, and clone(2), "The flags mask".
	 */
	(void)child_main; child.pid = 0;
	todo(1, "start the child in the six new namespaces");
	say("launcher pid %d; the container's PID 1 is pid %d here", (int)getpid(),
	    (int)child.pid);
	for (int i = 0; i < 6; i++)
		say("  %s (the launcher's is %s)",
		    ns_account(child.pid, 0, six[i], label, sizeof(label)),
		    ns_label(0, six[i], host_label, sizeof(host_label)));

	/* While the child waits: its ids (and its rootfs), then its network. */
	map_ids(child.pid, &args, identity);
	if (args.veth)
		setup_veth(child.pid, &args);
	else
		say("network: none, only lo inside");
	say("hostname \"%s\"; writes go to a tmpfs layer, never to the rootfs",
	    args.hostname);
	ns_release(&child);
	forward_to = child.pid;
	install_forwarding();
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	code = wait_child(child.pid);
	if (veth_host[0]) {
		/* The pair goes with the container's network namespace, but the
		 * kernel frees that in the background: remove it now. */
		snprintf(label, sizeof(label), "%s", veth_host);
		remove_veth();
		say("the command exited with status %d; veth %s removed", code, label);
	} else {
		say("the command exited with status %d", code);
	}
	return code;
}
