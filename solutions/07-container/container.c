/* container.c - a mini-container: all six namespaces at once (lesson 07)
 *
 * The idea: the kernel has no "container" object. A container is an
 * ordinary process that clone(2) started in a new namespace of every
 * kind - user, mount, PID, network, UTS and IPC - and that then built a
 * small world of its own inside them: a root file system (pivot_root), a
 * fresh /proc, a minimal /dev, a hostname, a network link to its parent,
 * and a PID 1 that looks after the rest. Seen from the host (the Bastion)
 * it is still just a process whose /proc/PID/ns links all differ from the
 * host's. Every step is one that lessons 01 to 06 taught on its own.
 *
 * Usage: container [--rootfs DIR] [--hostname NAME] [--net none|veth]
 *                  [--ip ADDR/PREFIX] [--rootless | --remap] [-q]
 *                  [--] [COMMAND [ARG...]]
 *
 * Sample session (as root; the numbers will differ):
 *   $ sudo ./container --hostname box -- sh -c 'hostname; ps -o pid,comm'
 *   container: launcher pid 4242; the container's PID 1 is pid 4243 here
 *   container:   user:[4026532318]        (the launcher's is user:[4026531837])
 *   container:   mnt:[4026532319]         (the launcher's is mnt:[4026531841])
 *   ...                                    (pid, net, uts and ipc alike)
 *   container: uid_map "0 0 65536", gid_map "0 0 65536" (inside, outside, count)
 *   container: veth nslab4242 10.7.0.1/24 here, eth0 10.7.0.2/24 inside
 *   container: rootfs /home/me/nslab/build/rootfs, hostname "box"
 *   box
 *   PID   COMMAND
 *       1 container
 *       2 sh
 *       3 ps
 *   container: the command exited with status 0; veth nslab4242 removed
 *
 * Read: clone(2), namespaces(7), user_namespaces(7), mount_namespaces(7),
 *       pivot_root(2), pid_namespaces(7), network_namespaces(7), veth(4),
 *       rtnetlink(7), devpts (Documentation/filesystems/devpts.rst).
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
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <ifaddrs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
/* The kernel keeps the hostname in a 65-byte array: 64 bytes at most. */
#define UTS_NAME_MAX HOST_NAME_MAX
#define DEFAULT_IP "10.7.0.2/24"
/* --remap: root inside becomes this unprivileged host uid/gid, and the
 * 65536 ids after it are the container's (like Docker's userns-remap). */
#define REMAP_BASE 100000u
#define ID_COUNT 65536u
/* The container's end of the veth, once it is inside. */
#define INSIDE_IF "eth0"
/* The six namespaces a container gets, as /proc/PID/ns names them. */
#define NS_KINDS 6
static const char *const ns_kinds[NS_KINDS] = {"user", "mnt", "pid",
					       "net",  "uts", "ipc"};
/* Signals the launcher passes to the container's PID 1, and PID 1 to
 * the command: what a terminal or a service manager sends to stop it. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

enum id_mode {
	MAP_IDENTITY, /* as root: ids 0-65535 inside are 0-65535 outside */
	MAP_REMAP,    /* as root: 0-65535 inside are 100000-165535 outside */
	MAP_ROOTLESS, /* any user: root inside is the caller, nothing else */
};

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;              /* the command to run */
	const char *rootfs;       /* absolute path of the new root */
	const char *hostname;     /* to set inside */
	bool veth;                /* a veth to the parent, or only lo */
	struct in_addr addr, gw;  /* inside: own address, the parent's */
	int prefix;
	enum id_mode mode;        /* how ids are mapped */
	dev_t host_dev[NS_KINDS]; /* the launcher's namespaces, to check */
	ino_t host_ino[NS_KINDS]; /* that the child's are all new */
	int sync_pipe[2];         /* the parent writes one byte: go */
};

static bool quiet;
/* The host end of the veth, once created; deleted at exit. */
static char veth_host[IF_NAMESIZE];
/* Whom a forwarded signal goes to: the container's PID 1 (in the
 * launcher), the command (in PID 1). 0 until known. */
static volatile sig_atomic_t forward_to;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a mini-container: new user, mount, PID, network,\n"
		"UTS and IPC namespaces, the busybox root file system DIR, a\n"
		"fresh /proc, a minimal /dev, a hostname and a veth link to this\n"
		"side. Without COMMAND: a shell when stdin is a terminal,\n"
		"otherwise a short demonstration.\n"
		"\n"
		"  --rootfs DIR      the container's root (default: the rootfs of\n"
		"                    the build tree this program is in, BUILD/rootfs\n"
		"                    for BUILD/solutions/07-container/container;\n"
		"                    make rootfs builds it)\n"
		"  --hostname NAME   hostname inside (default: nslab-XXXXXX, random;\n"
		"                    at most %d bytes)\n"
		"  --net veth|none   a veth pair to this side (default as root), or\n"
		"                    only lo (default rootless)\n"
		"  --ip ADDR/PREFIX  the container's address (default " DEFAULT_IP
		");\n"
		"                    this side gets the first address of the subnet,\n"
		"                    or the second when ADDR is the first\n"
		"  --rootless        map only root inside, to the caller (the default\n"
		"                    when not run as root)\n"
		"  --remap           as root: map root inside to host uid/gid %u\n"
		"                    instead of 0 (default: ids 0-%u map to themselves)\n"
		"  -q                do not print the account of what happens on stderr\n"
		"  -h                show this help\n"
		"\n"
		"As root: sudo make lesson07. Rootless: run it as an ordinary user\n"
		"(--rootless is then the default, and there is no veth).\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, UTS_NAME_MAX, REMAP_BASE, ID_COUNT - 1);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("container: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Stops the program at a step the skeleton leaves to the student. The
 * solution never calls it. */
static __attribute__((noreturn, unused)) void todo(int n, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", n, what);
}

/* "uts:[4026531838]", the target of /proc/PID/ns/KIND, as ls -l shows it. */
static const char *ns_label(pid_t pid, const char *kind, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Write `text` to a /proc file in a single write(2), as the id map files
 * require. */
static void write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1)
		err(EXIT_FAILURE, "open(%s)", path);
	if (write(fd, text, len) != (ssize_t)len) {
		if (errno == EPERM)
			err(EXIT_FAILURE, "write(%s, \"%.*s\"): only root may map "
			    "ids other than its own; run as root (sudo make "
			    "lesson07) or use --rootless", path,
			    (int)strcspn(text, "\n"), text);
		err(EXIT_FAILURE, "write(%s, \"%.*s\")", path,
		    (int)strcspn(text, "\n"), text);
	}
	close(fd);
}

/* ---- rtnetlink: the kernel's interface for links, addresses, routes ----
 *
 * A compact copy of lesson 05's helpers. A request is a netlink header, a
 * fixed struct (ifinfomsg, ifaddrmsg or rtmsg), then attributes: type,
 * length, value, each aligned to 4 bytes; an attribute can nest others.
 * A netlink socket talks to the network namespace it was created in.
 */

struct nl_req {
	struct nlmsghdr h;
	char data[512];
};

/* Start a request of `type` whose fixed part is `fixed` bytes (zeroed);
 * returns the fixed part. NLM_F_ACK: the kernel always answers. */
static void *nl_start(struct nl_req *r, int type, int flags, size_t fixed)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(fixed);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->h);
}

/* Append an attribute (data NULL: `len` zero bytes); returns it, so that
 * nl_end() can close it when it holds nested attributes. */
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

/* Send the request to the kernel, in this process's network namespace,
 * and read its answer: 0, or -1 with errno set. */
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
	if ((size_t)n < NLMSG_LENGTH(sizeof(*e)) ||
	    reply.h.nlmsg_type != NLMSG_ERROR) {
		errno = EPROTO;
		return -1;
	}
	errno = -e->error;
	return e->error ? -1 : 0;
}

/* ip link add NAME type veth peer name PEER netns PID
 *
 * The peer is born in the child's network namespace: at no moment are
 * both ends here, so a launcher killed at any point leaves no pair behind
 * (the end here dies with its peer when the child's namespace goes). */
static int link_add_veth(const char *name, const char *peer, pid_t netns_of)
{
	struct rtattr *info, *data, *end;
	uint32_t pid = netns_of;
	struct nl_req r;

	nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
		 sizeof(struct ifinfomsg));
	nl_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_add(&r, IFLA_LINKINFO, NULL, 0);
	nl_add(&r, IFLA_INFO_KIND, "veth", 4);
	data = nl_add(&r, IFLA_INFO_DATA, NULL, 0);
	/* The peer is described like a link of its own: an ifinfomsg and
	 * its attributes, inside VETH_INFO_PEER. */
	end = nl_add(&r, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
	nl_add(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_add(&r, IFLA_NET_NS_PID, &pid, sizeof(pid));
	nl_end(&r, end);
	nl_end(&r, data);
	nl_end(&r, info);
	return nl_talk(&r);
}

/* ip link set NAME [up] [netns PID] [name NEW_NAME] */
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

	ifa = nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
		       sizeof(*ifa));
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

	rtm = nl_start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		       sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	nl_add(&r, RTA_GATEWAY, &gw, sizeof(gw));
	return nl_talk(&r);
}

/* At exit of the launcher: remove the host end of the veth, which takes
 * the container's end with it. Normally the pair is already going with
 * the container's network namespace; this covers every early failure
 * after the veth was made. (The child's copy of veth_host is empty: it
 * was copied at clone(), before the veth existed.) */
static void remove_veth(void)
{
	if (veth_host[0] && link_del(veth_host) == -1 && errno != ENODEV)
		warn("removing veth %s", veth_host);
	veth_host[0] = '\0';
}

/* ---- the parent's side: ids and network ------------------------------ */

/* Give the child's user namespace its uid and gid maps. Each line of a
 * map file is "INSIDE OUTSIDE COUNT". */
static void write_id_maps(pid_t pid, enum id_mode mode)
{
	char path[64], uid_map[64], gid_map[64];

	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Fill uid_map and gid_map with one line each, as the mode asks:
	//       MAP_IDENTITY "0 0 ID_COUNT"; MAP_REMAP "0 REMAP_BASE ID_COUNT";
	//       MAP_ROOTLESS "0 <geteuid()> 1" and "0 <getegid()> 1".
	//       Write /proc/PID/uid_map, then (rootless only) "deny" to
	//       /proc/PID/setgroups, then /proc/PID/gid_map, each with
	//       write_file(). An unprivileged process may map only its own
	//       id, and its gid only once setgroups(2) is denied, or it
	//       could drop groups that keep it out of files
	//       (user_namespaces(7), "Defining user and group ID mappings").
	// STUB: (void)path; (void)write_file;
	// STUB: snprintf(uid_map, sizeof(uid_map), "%d", (int)pid);
	// STUB: snprintf(gid_map, sizeof(gid_map), "%d", (int)mode);
	// STUB: todo({n}, "write the uid_map, setgroups and gid_map of the child");
	// tag::maps[]
	if (mode == MAP_ROOTLESS) {
		snprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)geteuid());
		snprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getegid());
	} else {
		unsigned base = mode == MAP_REMAP ? REMAP_BASE : 0;

		snprintf(uid_map, sizeof(uid_map), "0 %u %u\n", base, ID_COUNT);
		snprintf(gid_map, sizeof(gid_map), "0 %u %u\n", base, ID_COUNT);
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	write_file(path, uid_map);
	if (mode == MAP_ROOTLESS) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		write_file(path, "deny");
	}
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	write_file(path, gid_map);
	// end::maps[]
	// END SOLUTION
	say("uid_map \"%.*s\", gid_map \"%.*s\" (inside, outside, count)",
	    (int)strcspn(uid_map, "\n"), uid_map, (int)strcspn(gid_map, "\n"),
	    gid_map);
}

/* Make a veth pair with one end here and the other, eth0, in the network
 * namespace of the child `pid`, and give this end its address. */
static void setup_veth(pid_t pid, const struct child_args *a)
{
	char here[INET_ADDRSTRLEN], there[INET_ADDRSTRLEN];

	/* Names live in the network namespace's table of links: this
	 * launcher's pid keeps them unique, in 15 characters. */
	snprintf(veth_host, sizeof(veth_host), "nslab%d", (int)getpid());
	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Three rtnetlink requests, each failing with err(3): create the
	//       pair with its peer, INSIDE_IF, straight in the child's network
	//       namespace (link_add_veth(veth_host, INSIDE_IF, pid)); give this
	//       end the parent's address (addr_add(veth_host, a->gw,
	//       a->prefix)); bring it up (link_set(veth_host, true, 0, NULL)).
	//       See veth(4), rtnetlink(7). Once veth_host is set, an exit
	//       deletes the pair (remove_veth).
	// STUB: (void)pid; (void)a; (void)link_add_veth; (void)link_set; (void)addr_add;
	// STUB: veth_host[0] = '\0';
	// STUB: todo({n}, "create the veth pair with one end in the child");
	// tag::veth[]
	if (link_add_veth(veth_host, INSIDE_IF, pid) == -1) {
		if (errno == EEXIST)
			veth_host[0] = '\0'; /* not ours: leave it alone */
		err(EXIT_FAILURE, "RTM_NEWLINK veth %s peer " INSIDE_IF " netns %d",
		    veth_host, (int)pid);
	}
	if (addr_add(veth_host, a->gw, a->prefix) == -1)
		err(EXIT_FAILURE, "RTM_NEWADDR %s", veth_host);
	if (link_set(veth_host, true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK %s up", veth_host);
	// end::veth[]
	// END SOLUTION
	inet_ntop(AF_INET, &a->gw, here, sizeof(here));
	inet_ntop(AF_INET, &a->addr, there, sizeof(there));
	say("veth %s %s/%d here, " INSIDE_IF " %s/%d inside", veth_host, here,
	    a->prefix, there, a->prefix);
}

/* ---- the child's side: everything below runs inside the namespaces ---- */

/* Block until the launcher has written the maps and the veth and says
 * go. EOF instead means it failed (and said why) or died. */
static void wait_for_parent(struct child_args *a)
{
	char go;

	/* The child has a copy of the write end: close it, or EOF never
	 * comes. */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &go, 1) != 1)
		_exit(EXIT_FAILURE);
}

/* Stop if the launcher died before PR_SET_PDEATHSIG was (last) set.
 * getppid() cannot tell: in a new PID namespace it returns 0. But the
 * launcher keeps its end of the pipe open as long as it lives, so a
 * hang-up means it is gone. */
static void ensure_parent_alive(struct child_args *a)
{
	struct pollfd p = {.fd = a->sync_pipe[0], .events = POLLIN};

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
		_exit(EXIT_FAILURE);
	close(a->sync_pipe[0]);
}

/* Take the ids of root inside, now that the maps exist. Writing a map
 * changes no process's credentials: the child still has the host ids it
 * was born with. With the identity map and rootless that is already root
 * inside; with --remap (0 inside = 100000 outside) the host's root is not
 * mapped at all, and files it would create get EOVERFLOW. */
static void become_root(enum id_mode mode)
{
	// tag::become_root[]
	if (mode != MAP_ROOTLESS && setgroups(0, NULL) == -1)
		err(EXIT_FAILURE, "setgroups(0)");
	if (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1)
		err(EXIT_FAILURE, "setresuid(0) inside");
	/* A change of effective id clears the parent-death signal and the
	 * dumpable flag (prctl(2)): set them again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    prctl(PR_SET_DUMPABLE, 1) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG, PR_SET_DUMPABLE)");
	// end::become_root[]
}

/* Refuse to go on unless every namespace is new: a clone() without one
 * of the flags would otherwise mount, pivot_root, rename and reconfigure
 * the host itself. */
static void ensure_all_new(const struct child_args *a)
{
	for (int i = 0; i < NS_KINDS; i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_kinds[i]);
		if (stat(path, &st) == -1)
			err(EXIT_FAILURE, "stat(%s)", path);
		if (st.st_dev == a->host_dev[i] && st.st_ino == a->host_ino[i])
			errx(EXIT_FAILURE, "refusing to build the container: it "
			     "still shares the host's %s namespace (did clone() "
			     "get all six CLONE_NEW* flags?)", ns_kinds[i]);
	}
}

/* mount(2) or stop, naming what failed. */
static void do_mount(const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) == -1)
		err(EXIT_FAILURE, "mount(%s, %s, %s%s%s)", src ? src : "NULL",
		    dst, type ? type : "NULL", data ? ", " : "",
		    data ? data : "");
}

/* Mount the kernel's views of this container on the new root (the
 * current directory): /proc for its PID namespace, /sys for its network
 * namespace. Both come before pivot_root: in a user namespace the kernel
 * allows a new proc or sysfs only while one is already fully visible in
 * the mount namespace, and the old root is where that one is. */
static void mount_proc_sys(void)
{
	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Mount a new "proc" on "proc": it shows the PID namespace of
	//       its mounter, so ps sees only the container. MS_NOSUID |
	//       MS_NODEV | MS_NOEXEC: nothing there is a program or a device.
	//       Then "sysfs" on "sys", also MS_RDONLY: the kernel lets a user
	//       namespace mount sysfs only for a network namespace it owns,
	//       which this one is. Use do_mount() (proc(5), sysfs(5)).
	// STUB: todo({n}, "mount proc on /proc and sysfs on /sys");
	// tag::proc[]
	do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("sysfs", "sys", "sysfs",
		 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	// end::proc[]
	// END SOLUTION
}

/* Bind the host's device `name` onto an empty file in the new /dev. A
 * user namespace may not create device nodes (mknod); a bind mount
 * shares the host's node instead. */
static void bind_device(const char *name)
{
	char src[64], dst[64];
	int fd;

	snprintf(src, sizeof(src), "/dev/%s", name);
	snprintf(dst, sizeof(dst), "dev/%s", name);
	fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		err(EXIT_FAILURE, "open(%s, O_CREAT)", dst);
	close(fd);
	do_mount(src, dst, NULL, MS_BIND, NULL);
}

/* A symbolic link in /dev, or stop. */
static void dev_symlink(const char *target, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "dev/%s", name);
	if (symlink(target, path) == -1)
		err(EXIT_FAILURE, "symlink(%s, %s)", target, path);
}

/* A minimal /dev: what programs expect to find, and nothing of the
 * host's disks or consoles. */
static void make_dev(void)
{
	static const char *const devices[] = {"null",   "zero",    "full",
					      "random", "urandom", "tty"};

	// BEGIN SOLUTION 4
	// STEP: TODO(4)
	// TODO: A tmpfs on "dev" (MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	//       bind_device() each of devices[]; mkdir "dev/pts" (0755) and
	//       "dev/shm" (01777); a new devpts instance on "dev/pts"
	//       ("newinstance,ptmxmode=0666,mode=620": pty numbers of its own,
	//       not the host's); dev/ptmx a symlink to pts/ptmx; a tmpfs on
	//       "dev/shm" (MS_NOSUID | MS_NODEV, "mode=1777"); dev_symlink()
	//       fd, stdin, stdout, stderr to /proc/self/fd, /proc/self/fd/0,
	//       1 and 2. See tmpfs(5), pts(4), and the kernel's
	//       Documentation/filesystems/devpts.rst.
	// STUB: (void)devices; (void)bind_device; (void)dev_symlink;
	// STUB: todo({n}, "a minimal /dev: tmpfs, device binds, devpts, shm");
	// tag::dev[]
	do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		 "mode=755,size=64k");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		bind_device(devices[i]);
	if (mkdir("dev/pts", 0755) == -1 || mkdir("dev/shm", 01777) == -1)
		err(EXIT_FAILURE, "mkdir(dev/pts, dev/shm)");
	do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=620");
	dev_symlink("pts/ptmx", "ptmx");
	do_mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	dev_symlink("/proc/self/fd", "fd");
	dev_symlink("/proc/self/fd/0", "stdin");
	dev_symlink("/proc/self/fd/1", "stdout");
	dev_symlink("/proc/self/fd/2", "stderr");
	// end::dev[]
	// END SOLUTION
}

/* Make the new root (the current directory) the root of this mount
 * namespace, and drop the old one: nothing of the host's file system
 * stays reachable. */
static void enter_rootfs(const char *root)
{
	// BEGIN SOLUTION 5
	// STEP: TODO(5)
	// TODO: pivot_root(2) has no glibc wrapper: syscall(SYS_pivot_root,
	//       ".", ".") puts the old root on top of the new one, both at
	//       "/". Make the old root and everything under it private
	//       (mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL)), so its
	//       unmounting is not propagated anywhere, then detach it:
	//       umount2(".", MNT_DETACH). Then chdir("/"). An EINVAL from
	//       pivot_root: the new root is not a mount point, or its parent
	//       mount is shared (pivot_root(2), NOTES).
	// STUB: (void)root;
	// STUB: todo({n}, "pivot_root into the rootfs and detach the old root");
	// tag::pivot[]
	if (syscall(SYS_pivot_root, ".", ".") == -1) {
		if (errno == EINVAL)
			err(EXIT_FAILURE, "pivot_root(%s): the new root must be "
			    "a mount point and no mount above it shared", root);
		err(EXIT_FAILURE, "pivot_root(%s)", root);
	}
	do_mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL);
	if (umount2(".", MNT_DETACH) == -1)
		err(EXIT_FAILURE, "umount2(old root, MNT_DETACH)");
	if (chdir("/") == -1)
		err(EXIT_FAILURE, "chdir(/)");
	// end::pivot[]
	// END SOLUTION
}

/* Inside: lo up, the container's end of the veth addressed and up, and
 * the parent's end as the default gateway. Or, without a veth, only lo. */
static void setup_inside_net(const struct child_args *a)
{
	if (link_set("lo", true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK lo up");
	if (!a->veth)
		return;
	// BEGIN SOLUTION 6
	// STEP: TODO(6)
	// TODO: With rtnetlink from inside (a netlink socket talks to the
	//       namespace it was created in): addr_add(INSIDE_IF, a->addr,
	//       a->prefix), link_set(INSIDE_IF, true, 0, NULL), then
	//       route_add_default(a->gw); the route needs the link up, since
	//       the gateway must be reachable (rtnetlink(7)).
	// STUB: (void)route_add_default;
	// STUB: todo({n}, "address " INSIDE_IF ", bring it up, add the default route");
	// tag::inside_net[]
	if (addr_add(INSIDE_IF, a->addr, a->prefix) == -1)
		err(EXIT_FAILURE, "RTM_NEWADDR " INSIDE_IF);
	if (link_set(INSIDE_IF, true, 0, NULL) == -1)
		err(EXIT_FAILURE, "RTM_NEWLINK " INSIDE_IF " up");
	if (route_add_default(a->gw) == -1)
		err(EXIT_FAILURE, "RTM_NEWROUTE default");
	// end::inside_net[]
	// END SOLUTION
}

/* A signal handler: pass the signal on (see forward_to). */
static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/* Forward the signals of `forwarded` to whoever forward_to names. */
static void install_forwarding(void)
{
	struct sigaction sa = {.sa_handler = forward_signal,
			       .sa_flags = SA_RESTART};

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

/* Run the command in a clean environment, or exit 127 (not found) or
 * 126 (cannot be run), as a shell does. */
/* Start the command as a child of PID 1, in an environment of its own
 * (the host's PATH and HOME mean nothing here), with the signals PID 1
 * forwards back to their defaults and unblocked. posix_spawn(3) does
 * what fork + exec would, but with clone(CLONE_VM | CLONE_VFORK): the
 * child borrows our memory until it execs instead of getting a copy of
 * our page tables, which is a good part of a container's start time. The
 * exec's own error comes back as its return value: 127 when the command
 * is not there, 126 when it cannot be run, as a shell says. */
// tag::spawn[]
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
// end::spawn[]

/* This process is PID 1 of the new PID namespace: the kernel re-parents
 * every orphan in it to us, and when we exit it kills all the others.
 * Run the command as our child, pass it the signals of `forwarded`
 * (the kernel delivers to PID 1 only the signals it has handlers for),
 * reap every child until the command ends, and return its status. */
static int run_init(char **argv)
{
	sigset_t set;
	int status;
	pid_t pid, cmd;

	forwarded_set(&set);
	// BEGIN SOLUTION 7
	// STEP: TODO(7)
	// TODO: The forwarded signals are blocked (since before clone), so
	//       none is lost. install_forwarding(); start the command with
	//       spawn_command(argv, &set) (posix_spawn: no copy of our page
	//       tables); then forward_to = its pid, unblock the signals, and
	//       wait(2) in a loop: retry on EINTR, stop on ECHILD, and return
	//       exit_status(status) when the pid reaped is the command's;
	//       every other pid is an orphan, reaped so it is no zombie
	//       (pid_namespaces(7)).
	// STUB: (void)status; (void)pid; (void)cmd; (void)argv;
	// STUB: (void)install_forwarding; (void)spawn_command;
	// STUB: todo({n}, "PID 1: start the command, forward signals, reap orphans");
	// tag::init[]
	install_forwarding();
	cmd = spawn_command(argv, &set);
	forward_to = cmd;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		pid = wait(&status);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1 && errno == ECHILD)
			break;
		if (pid == -1)
			err(EXIT_FAILURE, "wait");
		if (pid == cmd)
			return exit_status(status);
	}
	// end::init[]
	// END SOLUTION
	return EXIT_FAILURE;
}

/* Everything here runs inside the new namespaces. */
static int child_main(void *arg)
{
	struct child_args *a = arg;

	/* If the launcher dies, even by SIGKILL, the kernel kills us, and
	 * with PID 1 the whole PID namespace: nothing outlives it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	wait_for_parent(a);
	become_root(a->mode);
	ensure_parent_alive(a);
	ensure_all_new(a);

	// BEGIN SOLUTION 8
	// STEP: TODO(8)
	// TODO: First, and alone: make every mount private (mount(NULL, "/",
	//       NULL, MS_REC | MS_PRIVATE, NULL)), so that nothing below
	//       propagates to the host. Then bind-mount a->rootfs onto itself
	//       (MS_BIND | MS_REC): pivot_root needs the new root to be a
	//       mount point (mount_namespaces(7), pivot_root(2)).
	// STUB: todo({n}, "make mounts private, bind-mount the rootfs onto itself");
	// tag::private[]
	do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	do_mount(a->rootfs, a->rootfs, NULL, MS_BIND | MS_REC, NULL);
	// end::private[]
	// END SOLUTION
	/* Into the bind mount (not the directory under it): from here on,
	 * paths without a leading / are in the new root. */
	if (chdir(a->rootfs) == -1)
		err(EXIT_FAILURE, "chdir(%s)", a->rootfs);
	mount_proc_sys();
	make_dev();
	enter_rootfs(a->rootfs);

	// BEGIN SOLUTION 9
	// STEP: TODO(9)
	// TODO: Set the hostname a->hostname with sethostname(2): the UTS
	//       namespace is the container's (uts_namespaces(7)).
	// STUB: todo({n}, "sethostname() inside");
	// tag::hostname[]
	if (sethostname(a->hostname, strlen(a->hostname)) == -1)
		err(EXIT_FAILURE, "sethostname(%s)", a->hostname);
	// end::hostname[]
	// END SOLUTION
	setup_inside_net(a);
	return run_init(a->argv);
}

/* ---- the launcher ----------------------------------------------------- */

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	const char *why = strerror(errno);

	if (errno == EPERM)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUSER | ...): %s: this system "
		     "forbids user namespaces to ordinary users; run as root: "
		     "sudo make lesson07", why);
	if (errno == ENOSPC || errno == EUSERS)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUSER | ...): %s: too many "
		     "namespaces; see /proc/sys/user/max_*_namespaces", why);
	if (errno == EINVAL)
		errx(EXIT_FAILURE, "clone(CLONE_NEWUSER | ...): %s: this kernel "
		     "lacks one of the six namespaces (CONFIG_*_NS)", why);
	errx(EXIT_FAILURE, "clone(CLONE_NEWUSER | ...): %s", why);
}

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
	/* Not the subnet's own address, nor its broadcast address. */
	if (ip == net || (ip | mask) == ~0u)
		return false;
	a->gw.s_addr = htonl(ip == (net | 1) ? net | 2 : net | 1);
	a->prefix = (int)prefix;
	return true;
}

/* Refuse a subnet the parent's network namespace already uses: giving
 * the parent's end an address there would take over the host's own
 * routes (its gateway, say) while the lesson runs. Two subnets overlap
 * when they agree on the bits of the shorter prefix. */
static void check_subnet_free(struct in_addr addr, int prefix, const char *what)
{
	struct ifaddrs *ifs, *i;
	uint32_t ours = ntohl(addr.s_addr);

	if (getifaddrs(&ifs) == -1)
		err(EXIT_FAILURE, "getifaddrs");
	for (i = ifs; i; i = i->ifa_next) {
		uint32_t theirs, mask;
		int p;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !i->ifa_netmask)
			continue;
		theirs = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		mask = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		p = __builtin_popcount(mask);
		if (p > prefix)
			p = prefix;
		mask = p ? ~0U << (32 - p) : 0;
		if ((ours & mask) == (theirs & mask))
			errx(EXIT_FAILURE, "%s: that subnet overlaps %s's network "
			     "(%s/%d); choose a subnet this host does not use",
			     what, i->ifa_name,
			     inet_ntoa(((struct sockaddr_in *)i->ifa_addr)->sin_addr),
			     __builtin_popcount(ntohl(((struct sockaddr_in *)
						      i->ifa_netmask)->sin_addr.s_addr)));
	}
	freeifaddrs(ifs);
}

/* The default rootfs: BUILD/rootfs for BUILD/solutions/07-container/
 * container, where make rootfs puts it. */
static const char *default_rootfs(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n == -1)
		err(EXIT_FAILURE, "readlink(/proc/self/exe)");
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/rootfs", dirname(dirname(dirname(exe))));
	return path;
}

/* The parent writes the child's maps through /proc/PID, with the pid
 * clone() returned: that only works if /proc shows our PID namespace
 * (inside `unshare --pid --fork` without --mount-proc it shows the one
 * above, and PID would name somebody else). */
static void ensure_proc_is_ours(void)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n > 0)
		self[n] = '\0';
	if (n <= 0 || atoi(self) != getpid())
		errx(EXIT_FAILURE, "/proc is not the /proc of this PID namespace "
		     "(/proc/self is \"%s\", our pid is %d): mount a fresh one "
		     "(unshare --mount-proc) first", n > 0 ? self : "?", (int)getpid());
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {
		"/bin/sh", "-c",
		"echo \"hostname $(hostname), uid $(id -u), in / only: "
		"$(echo $(ls /))\"; "
		"echo \"namespaces: $(cd /proc/self/ns && "
		"for n in user mnt pid net uts ipc; do printf '%s ' "
		"$(readlink $n); done)\"; "
		"echo processes:; ps -o pid,user,comm; "
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
		{"remap", no_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct child_args args = {0};
	const char *rootfs = NULL, *net = NULL, *ip = NULL;
	char hostname[UTS_NAME_MAX + 1], label[64], host_label[64];
	char rootfs_path[PATH_MAX];
	bool rootless = false, remap = false;
	unsigned char rnd[3];
	struct stat st;
	sigset_t set;
	int opt, status;
	char *stack;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "+hq", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rootfs = optarg;
			break;
		case 'n':
			args.hostname = optarg;
			break;
		case 'N':
			net = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'R':
			rootless = true;
			break;
		case 'M':
			remap = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}

	/* Check everything before anything is created. */
	if (rootless && remap)
		errx(EXIT_USAGE, "--rootless and --remap exclude each other");
	args.mode = geteuid() == 0 ? MAP_IDENTITY : MAP_ROOTLESS;
	if (rootless)
		args.mode = MAP_ROOTLESS;
	if (remap && geteuid() != 0)
		errx(EXIT_FAILURE, "--remap needs root: only a privileged parent "
		     "may map ids other than its own; sudo make lesson07");
	if (remap)
		args.mode = MAP_REMAP;
	if (net && strcmp(net, "veth") != 0 && strcmp(net, "none") != 0)
		errx(EXIT_USAGE, "--net %s: expected veth or none", net);
	args.veth = net ? strcmp(net, "veth") == 0 : geteuid() == 0;
	if (args.veth && geteuid() != 0)
		errx(EXIT_FAILURE, "--net veth needs root: the veth's other end "
		     "is in the host's network namespace, where only root may "
		     "add links; use --net none (or sudo make lesson07)");
	if (ip && !args.veth)
		errx(EXIT_USAGE, "--ip %s needs --net veth", ip);
	if (!parse_ip(ip ? ip : DEFAULT_IP, &args))
		errx(EXIT_USAGE, "--ip %s: not an IPv4 address/prefix with "
		     "prefix 1-30 and a host address, e.g. " DEFAULT_IP, ip);
	if (args.veth)
		check_subnet_free(args.addr, args.prefix, ip ? ip : DEFAULT_IP);
	if (!args.hostname) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			err(EXIT_FAILURE, "getrandom");
		snprintf(hostname, sizeof(hostname), "nslab-%02x%02x%02x",
			 rnd[0], rnd[1], rnd[2]);
		args.hostname = hostname;
	}
	if (strlen(args.hostname) > UTS_NAME_MAX)
		errx(EXIT_USAGE, "hostname \"%.16s...\" is %zu bytes; the kernel "
		     "allows at most %d", args.hostname,
		     strlen(args.hostname), UTS_NAME_MAX);
	if (!rootfs)
		rootfs = default_rootfs();
	if (!realpath(rootfs, rootfs_path) || stat(rootfs_path, &st) == -1)
		errx(EXIT_FAILURE, "rootfs %s: %s; build it with make rootfs, "
		     "or give one with --rootfs DIR", rootfs, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_FAILURE, "rootfs %s: not a directory", rootfs);
	/* The mount points the child needs must be there: a directory
	 * without them is not a root file system. */
	for (const char *const *d = (const char *const[]){"proc", "sys", "dev", NULL};
	     *d; d++) {
		char path[PATH_MAX + 8];

		snprintf(path, sizeof(path), "%s/%s", rootfs_path, *d);
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			errx(EXIT_FAILURE, "rootfs %s: no /%s directory, so it is not a "
			     "root file system; build one with make rootfs", rootfs, *d);
	}
	args.rootfs = rootfs_path;
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;

	/* Remember the launcher's namespaces, for ensure_all_new(). */
	for (int i = 0; i < NS_KINDS; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_kinds[i]);
		if (stat(path, &st) == -1)
			err(EXIT_FAILURE, "stat(%s)", path);
		args.host_dev[i] = st.st_dev;
		args.host_ino[i] = st.st_ino;
	}

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	ensure_proc_is_ours();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");
	/* Hold back the signals to forward until someone is there to get
	 * them; the child inherits the blocked set. */
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	atexit(remove_veth);

	// BEGIN SOLUTION 10
	// STEP: TODO(10)
	// TODO: Start child_main(&args) with clone(2) in six new namespaces:
	//       CLONE_NEWUSER (its own ids and capabilities; the kernel makes
	//       it first, so it owns the five others), CLONE_NEWNS (mounts),
	//       CLONE_NEWPID (the child is PID 1), CLONE_NEWNET (links),
	//       CLONE_NEWUTS (hostname), CLONE_NEWIPC (SysV IPC), | SIGCHLD.
	//       The stack's top is stack + STACK_SIZE. Keep the pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with the six CLONE_NEW* flags | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE,
		    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
			    CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD,
		    &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	say("launcher pid %d; the container's PID 1 is pid %d here", (int)getpid(),
	    (int)pid);
	for (int i = 0; i < NS_KINDS; i++)
		say("  %-24s (the launcher's is %s)",
		    ns_label(pid, ns_kinds[i], label, sizeof(label)),
		    ns_label(getpid(), ns_kinds[i], host_label, sizeof(host_label)));

	/* While the child waits: its ids, then its network. */
	write_id_maps(pid, args.mode);
	if (args.veth)
		setup_veth(pid, &args);
	say("rootfs %s, hostname \"%s\"", args.rootfs, args.hostname);
	if (!args.veth)
		say("network: none, only lo inside%s", geteuid() != 0 ?
		    " (rootless: a veth needs root in the host's network namespace)" : "");

	/* Release the child. Keep the write end open: its closing at our
	 * death is how a child still waiting learns of it. */
	// tag::release[]
	close(args.sync_pipe[0]);
	if (write(args.sync_pipe[1], "g", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	forward_to = pid;
	install_forwarding();
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	// end::release[]

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EXIT_FAILURE, "waitpid");
	if (veth_host[0]) {
		/* The pair goes with the container's network namespace, but
		 * the kernel frees that in the background: remove it now. */
		snprintf(label, sizeof(label), "%s", veth_host);
		remove_veth();
		say("the command exited with status %d; veth %s removed",
		    exit_status(status), label);
	} else {
		say("the command exited with status %d", exit_status(status));
	}
	return exit_status(status);
}
