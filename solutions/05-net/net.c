/* net.c - run a command in a network namespace of its own, wired to its
 * parent by a veth pair (lesson 05)
 *
 * The idea: network devices, addresses, routes, sockets and the loopback
 * device belong to a network namespace. A child created by clone(2) with
 * CLONE_NEWNET starts with nothing but its own "lo", and that is down. A
 * veth pair is a virtual cable: what goes into one end comes out of the
 * other, and each end may live in a different namespace. The parent
 * creates the pair with one end in the child's namespace, both sides give
 * their end an address, and the child routes everything through the
 * parent. All of it is said to the kernel over rtnetlink, the socket
 * protocol `ip` itself speaks. Containers get their network this way.
 *
 * Usage: net [-q] [-a PARENT_ADDR/PREFIX] [-b CHILD_ADDR/PREFIX] [-n NAME]
 *            [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo ./net -a 10.200.0.1/30 -b 10.200.0.2/30 -- ip -brief address
 *   net: parent pid 4242 in net:[4026531840]
 *   net: child  pid 4243 in net:[4026532612], a new network namespace
 *   net: veth4242a (here, 10.200.0.1/30, up) <=> veth4242b (in the child)
 *   net: inside at first: lo (down), veth4242b (down)
 *   net: inside now: lo up, veth4242b up with 10.200.0.2/30, default via 10.200.0.1
 *   lo               UNKNOWN        127.0.0.1/8 ::1/128
 *   veth4242b@if5    UP             10.200.0.2/30 fe80::a0b1:c2ff:fed3:e4f5/64
 *   net: command exited with status 0; veth4242a went with the namespace (1 ms)
 *
 * Read: clone(2), network_namespaces(7), veth(4), netlink(7), rtnetlink(7),
 *       netlink(3), rtnetlink(3), netdevice(7).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <ifaddrs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
#define DEFAULT_NAME "veth"
/* An interface name is at most IFNAMSIZ - 1 = 15 bytes. Ours are
 * NAME + the launcher's pid (at most 7 digits: pid_max is at most
 * 4194304) + "a" or "b", so NAME may have 15 - 7 - 1 = 7. */
#define IFNAME_MAX (IFNAMSIZ - 1)
#define NAME_MAX_LEN (IFNAME_MAX - 7 - 1)
/* How long the parent waits for its end to go with the namespace. */
#define VANISH_TIMEOUT_MS 3000

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;                /* the command to run */
	char host_if[IFNAMSIZ];     /* the parent's end of the pair */
	char inside_if[IFNAMSIZ];   /* the child's end */
	struct in_addr host_addr;   /* address of the parent's end */
	struct in_addr inside_addr; /* address of the child's end */
	int prefix;                 /* prefix length of both */
	int sync_pipe[2];           /* the child waits for EOF on [0] */
	pid_t parent;               /* the launcher, to detect its death */
};

static bool quiet;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-a PARENT_ADDR/PREFIX] [-b CHILD_ADDR/PREFIX] "
		"[-n NAME]\n"
		"       [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new network namespace, joined to this one by a "
		"veth pair\n"
		"named NAME<pid>a (here) and NAME<pid>b (inside). Without "
		"COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  -a ADDR/PREFIX  IPv4 address of the parent's end; also the "
		"child's\n"
		"                  default gateway (default 10.200.X.Y+1/30, "
		"X.Y from the pid)\n"
		"  -b ADDR/PREFIX  IPv4 address of the child's end, in the same "
		"subnet\n"
		"                  (default 10.200.X.Y+2/30); give both -a and -b, "
		"or neither\n"
		"  -n NAME         prefix of the interface names (default \""
		DEFAULT_NAME "\",\n"
		"                  at most %d characters: letters, digits, - and _)\n"
		"  -q              do not print the account of what happens on "
		"stderr\n"
		"  -h              show this help\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson05 "
		"ARGS='-- ip address'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, NAME_MAX_LEN);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("net: ", stderr);
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

/* "net:[4026531840]", the target of /proc/PID/ns/net, as ls -l shows it. */
static const char *ns_label(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* True if process `pid` is in the caller's network namespace: the same
 * st_dev and st_ino of /proc/PID/ns/net (namespaces(7)). */
static bool shares_my_net(pid_t pid)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &mine) == -1 || stat(path, &theirs) == -1)
		err(EXIT_FAILURE, "stat(%s)", path);
	return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
}

/* ---- rtnetlink: the helpers ------------------------------------------
 *
 * `ip` configures the network by sending messages to the kernel over a
 * netlink socket (netlink(7), rtnetlink(7)). A message is a struct
 * nlmsghdr (length, type such as RTM_NEWLINK, flags, sequence number),
 * then a fixed header for its type (struct ifinfomsg for links, ifaddrmsg
 * for addresses, rtmsg for routes), then attributes. An attribute is a
 * struct rtattr (length, type) followed by its value, padded to 4 bytes;
 * its value may itself be a list of attributes (a "nest"). With
 * NLM_F_ACK the kernel answers every request with an NLMSG_ERROR message
 * whose error field is 0 on success or -errno.
 *
 * A netlink socket talks to the network namespace it was created in, for
 * as long as it lives: the parent and the child each open their own. */
// tag::nl_helpers[]
struct nl_req {
	struct nlmsghdr hdr; /* then the fixed header, then attributes */
	char room[1024];
};

/* Text of the last error the kernel explained (NETLINK_EXT_ACK). */
static char nl_why[256];

static int nl_open(void)
{
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd == -1)
		err(EXIT_FAILURE, "socket(AF_NETLINK, NETLINK_ROUTE)");
	/* Errors come with a sentence ("Nexthop has invalid gateway")
	 * and without a copy of our request. Old kernels ignore these. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* Start a request: `type` (RTM_NEWLINK...), flags besides NLM_F_REQUEST
 * and NLM_F_ACK, and the fixed header of `len` bytes. */
static void nl_init(struct nl_req *req, int type, int flags,
		    const void *fixed, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(len);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&req->hdr), fixed, len);
}

/* Append an attribute; returns it, so that a nest can be closed. */
static struct rtattr *nl_attr(struct nl_req *req, int type, const void *data,
			      size_t len)
{
	size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)((char *)req + at);

	if (at + RTA_SPACE(len) > sizeof(*req))
		errx(EXIT_FAILURE, "netlink request too long");
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = at + RTA_SPACE(len);
	return rta;
}

/* Close a nest: it spans everything appended since it was opened. */
static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->hdr.nlmsg_len - (char *)nest;
}

/* Send a request and read the kernel's answer: 0 or -errno. */
static int nl_talk(int fd, struct nl_req *req)
{
	static unsigned int seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK}; /* pid 0 */
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));

	req->hdr.nlmsg_seq = ++seq;
	nl_why[0] = '\0';
	if (sendto(fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) == -1)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct nlmsgerr *e = NLMSG_DATA(nh);
			struct nlattr *a = (struct nlattr *)(e + 1);
			char *end = (char *)nh + nh->nlmsg_len;

			if (nh->nlmsg_seq != seq || nh->nlmsg_type != NLMSG_ERROR)
				continue;
			/* After the error: attributes, one may be a text. */
			for (; (nh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			       (char *)a + NLA_HDRLEN <= end && a->nla_len >= NLA_HDRLEN;
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
				if (a->nla_type == NLMSGERR_ATTR_MSG)
					snprintf(nl_why, sizeof(nl_why), " (%.*s)",
						 (int)(a->nla_len - NLA_HDRLEN),
						 (char *)a + NLA_HDRLEN);
			return e->error;
		}
	}
}

/* nl_talk(), and on an error stop with `what` in the message. */
static void __attribute__((format(printf, 3, 4)))
nl_do(int fd, struct nl_req *req, const char *what, ...)
{
	int e = nl_talk(fd, req);
	char msg[160];
	va_list ap;

	if (e == 0)
		return;
	va_start(ap, what);
	vsnprintf(msg, sizeof(msg), what, ap);
	va_end(ap);
	errno = -e;
	if (errno == EPERM)
		err(EXIT_FAILURE, "%s%s: needs CAP_NET_ADMIN; run as root: "
		    "sudo make lesson05", msg, nl_why);
	if (errno == EOPNOTSUPP)
		err(EXIT_FAILURE, "%s%s: is the veth driver there (modprobe veth)?",
		    msg, nl_why);
	err(EXIT_FAILURE, "%s%s", msg, nl_why);
}

/* The index of interface `name` in the caller's network namespace. */
static int link_index(const char *name)
{
	unsigned int index = if_nametoindex(name);

	if (index == 0)
		err(EXIT_FAILURE, "if_nametoindex(%s)", name);
	return (int)index;
}
// end::nl_helpers[]

/* ip link delete NAME: deleting either end of a veth deletes both. Quiet
 * and without exiting: it runs from the exit handler below. */
static int delete_link(const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_req req;
	int fd, e;

	if (!(ifi.ifi_index = (int)if_nametoindex(name)))
		return -errno;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1)
		return -errno;
	nl_init(&req, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	e = nl_talk(fd, &req);
	close(fd);
	return e;
}

/* ---- cleanup on an early failure (pitfall 8) ------------------------
 *
 * From the moment the pair exists until the command runs, an error makes
 * the launcher exit through err(3), that is exit(3), which runs this
 * handler: it deletes the pair by name, so that nothing is left behind.
 * (The child has a copy of the handler list; it must not run it.) */
static char created_veth[IFNAMSIZ];
static pid_t launcher;

static void delete_veth_on_exit(void)
{
	int e;

	if (getpid() != launcher || !created_veth[0])
		return;
	e = delete_link(created_veth);
	if (e == 0)
		say("deleted %s after the error", created_veth);
	else if (e != -ENODEV)
		warnx("could not delete %s: %s; do it by hand: ip link delete %s",
		      created_veth, strerror(-e), created_veth);
	created_veth[0] = '\0';
}

/* Note the pair as ours (and only once it exists: never delete a link
 * someone else made). */
static void remember_veth(const char *name)
{
	snprintf(created_veth, sizeof(created_veth), "%s", name);
	if (atexit(delete_veth_on_exit) != 0)
		errx(EXIT_FAILURE, "atexit");
}

/* ---- rtnetlink: the four requests of this lesson ---------------------- */

/* ip link add NAME type veth peer name PEER netns PID
 *
 * One RTM_NEWLINK creates both ends. The peer's own attributes travel
 * inside IFLA_LINKINFO > IFLA_INFO_DATA > VETH_INFO_PEER (veth's own
 * options, starting with a struct ifinfomsg of their own), and
 * IFLA_NET_NS_PID there puts the peer straight into the namespace of
 * process PID: there is never a moment when both ends are here, so even a
 * SIGKILL right after this call leaves nothing behind. (The two-step way,
 * `ip link set PEER netns PID`, is RTM_NEWLINK on the peer's index with
 * IFLA_NET_NS_PID; IFLA_NET_NS_FD takes an open /proc/PID/ns/net instead.) */
static void create_veth(int fd, const char *name, const char *peer, pid_t pid)
{
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Build and send the RTM_NEWLINK request that creates the pair
	//       (flags NLM_F_CREATE | NLM_F_EXCL, a zeroed struct ifinfomsg with
	//       ifi_family AF_UNSPEC): IFLA_IFNAME `name`, then the nest
	//       IFLA_LINKINFO holding IFLA_INFO_KIND "veth" and the nest
	//       IFLA_INFO_DATA, which holds the nest VETH_INFO_PEER: a struct
	//       ifinfomsg, IFLA_IFNAME `peer` and IFLA_NET_NS_PID `pid` (a
	//       uint32_t). Open a nest with nl_attr(req, TYPE, NULL, 0) (or with
	//       the ifinfomsg as its data) and close it with nl_nest_end().
	//       Send with nl_do(). rtnetlink(7), veth(4).
	// STUB: (void)fd, (void)name, (void)peer, (void)pid;
	// STUB: (void)nl_attr, (void)nl_nest_end, (void)nl_do;
	// STUB: todo({n}, "create_veth(): RTM_NEWLINK of kind veth, peer in the child");
	// tag::create_veth[]
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	uint32_t ns_pid = (uint32_t)pid;
	struct rtattr *linkinfo, *data, *peer_info;
	struct nl_req req;

	nl_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nl_attr(&req, IFLA_LINKINFO, NULL, 0);
	nl_attr(&req, IFLA_INFO_KIND, "veth", strlen("veth"));
	data = nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
	peer_info = nl_attr(&req, VETH_INFO_PEER, &ifi, sizeof(ifi));
	nl_attr(&req, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_attr(&req, IFLA_NET_NS_PID, &ns_pid, sizeof(ns_pid));
	nl_nest_end(&req, peer_info);
	nl_nest_end(&req, data);
	nl_nest_end(&req, linkinfo);
	nl_do(fd, &req, "RTM_NEWLINK %s type veth peer %s netns %d", name,
	      peer, (int)pid);
	// end::create_veth[]
	// END SOLUTION
	remember_veth(name);
}

/* ip link set NAME up
 *
 * RTM_NEWLINK on an existing link (by its index) changes it: ifi_change
 * says which flags to touch, ifi_flags their new values. */
static void set_link_up(int fd, const char *name)
{
	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Send RTM_NEWLINK (no extra flags) with a struct ifinfomsg whose
	//       ifi_index is link_index(name), ifi_flags IFF_UP and ifi_change
	//       IFF_UP; no attributes. rtnetlink(7), netdevice(7).
	// STUB: (void)fd, (void)name, (void)link_index;
	// STUB: todo({n}, "set_link_up(): RTM_NEWLINK with IFF_UP");
	// tag::set_link_up[]
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = link_index(name),
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct nl_req req;

	nl_init(&req, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_do(fd, &req, "RTM_NEWLINK %s up", name);
	// end::set_link_up[]
	// END SOLUTION
}

/* ip address add ADDR/PREFIX dev NAME
 *
 * The kernel also adds the route to the subnet through NAME (the
 * "connected" route, proto kernel), which is what makes the other end
 * reachable. */
static void add_address(int fd, const char *name, struct in_addr addr,
			int prefix)
{
	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Send RTM_NEWADDR (NLM_F_CREATE | NLM_F_EXCL) with a struct
	//       ifaddrmsg (ifa_family AF_INET, ifa_prefixlen `prefix`, ifa_scope
	//       RT_SCOPE_UNIVERSE, ifa_index link_index(name)) and the attributes
	//       IFA_LOCAL and IFA_ADDRESS, both `addr` (4 bytes, network order).
	//       rtnetlink(7).
	// STUB: (void)fd, (void)name, (void)addr, (void)prefix;
	// STUB: todo({n}, "add_address(): RTM_NEWADDR");
	// tag::add_address[]
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = (unsigned char)prefix,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned int)link_index(name),
	};
	struct nl_req req;

	nl_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	/* On a point-to-point link IFA_ADDRESS would be the peer's; on
	 * ours both are the address itself. */
	nl_attr(&req, IFA_LOCAL, &addr, sizeof(addr));
	nl_attr(&req, IFA_ADDRESS, &addr, sizeof(addr));
	nl_do(fd, &req, "RTM_NEWADDR %s/%d dev %s", inet_ntoa(addr), prefix,
	      name);
	// end::add_address[]
	// END SOLUTION
}

/* ip route add default via GATEWAY dev NAME
 *
 * A route with a destination of length 0 matches every address. */
static void add_default_route(int fd, const char *name, struct in_addr gateway)
{
	// BEGIN SOLUTION 4
	// STEP: TODO(4)
	// TODO: Send RTM_NEWROUTE (NLM_F_CREATE | NLM_F_EXCL) with a struct rtmsg
	//       (rtm_family AF_INET, rtm_dst_len 0, rtm_table RT_TABLE_MAIN,
	//       rtm_protocol RTPROT_BOOT, rtm_scope RT_SCOPE_UNIVERSE, rtm_type
	//       RTN_UNICAST) and the attributes RTA_GATEWAY `gateway` and RTA_OIF
	//       link_index(name) (an int). rtnetlink(7).
	// STUB: (void)fd, (void)name, (void)gateway;
	// STUB: todo({n}, "add_default_route(): RTM_NEWROUTE via the parent");
	// tag::add_route[]
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = 0,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT, /* what `ip route add` uses */
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	int oif = link_index(name);
	struct nl_req req;

	nl_init(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
	nl_attr(&req, RTA_GATEWAY, &gateway, sizeof(gateway));
	nl_attr(&req, RTA_OIF, &oif, sizeof(oif));
	nl_do(fd, &req, "RTM_NEWROUTE default via %s dev %s",
	      inet_ntoa(gateway), name);
	// end::add_route[]
	// END SOLUTION
}

/* Everything the parent does to connect the child: the pair, with its end
 * in the child's namespace, then its own end's address, then up. */
static void setup_veth(struct child_args *a, pid_t child)
{
	int fd;

	/* Refuse to put the "inside" end in our own namespace: without
	 * CLONE_NEWNET both ends, addresses and all, would land here. */
	if (shares_my_net(child))
		errx(EXIT_FAILURE, "refusing to create the veth: the child still "
		     "shares this network namespace (did clone() get CLONE_NEWNET?)");
	/* Opened after clone(): a socket talks to the namespace it was made
	 * in, and the child must not inherit one that talks to ours. */
	fd = nl_open();
	// BEGIN SOLUTION 5
	// STEP: TODO(5)
	// TODO: Create the pair with create_veth(): a->host_if here and
	//       a->inside_if in the namespace of `child`. Then give our end its
	//       address (add_address() with a->host_addr, a->prefix) and bring
	//       it up (set_link_up()). ip-link(8).
	// STUB: (void)fd, (void)a, (void)create_veth, (void)add_address, (void)set_link_up;
	// STUB: todo({n}, "setup_veth(): create the pair, address and bring up our end");
	// tag::setup_veth[]
	create_veth(fd, a->host_if, a->inside_if, child);
	add_address(fd, a->host_if, a->host_addr, a->prefix);
	set_link_up(fd, a->host_if);
	// end::setup_veth[]
	// END SOLUTION
	close(fd);
	say("%s (here, %s/%d, up) <=> %s (in the child)", a->host_if,
	    inet_ntoa(a->host_addr), a->prefix, a->inside_if);
}

/* "lo (down), veth4242b (down)": the links of the caller's namespace in
 * the order of their index (if_nameindex(3)), each with its IFF_UP flag
 * (SIOCGIFFLAGS, netdevice(7)). */
static const char *list_links(char *buf, size_t size)
{
	struct if_nameindex *links = if_nameindex(), *l;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t len = 0;

	if (!links || s == -1)
		err(EXIT_FAILURE, "if_nameindex");
	buf[0] = '\0';
	for (l = links; l->if_index && len < size; l++) {
		struct ifreq ifr = {0};
		bool up;

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->if_name);
		up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
		len += snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "",
				l->if_name, up ? "up" : "down");
	}
	if_freenameindex(links);
	close(s);
	return buf;
}

/* Wait (at most a second) until link `name` is RUNNING: up, and its
 * carrier on, which for a veth means both ends are up. The kernel sets
 * that state a moment after `up`, in the background (operstate in
 * Documentation/networking/operstates.rst); a command that sends a packet
 * at once is better served after it. */
static void wait_running(const char *name)
{
	struct timespec nap = {0, 2 * 1000 * 1000};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	for (int i = 0; s != -1 && i < 500; i++) {
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		nanosleep(&nap, NULL);
	}
	if (s != -1)
		close(s);
}

/* Everything here runs inside the new network namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char links[256], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	ssize_t n;
	char c;
	int fd;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too:
	 * nothing of the lesson may outlive it. getppid() catches the case
	 * where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		errx(EXIT_FAILURE, "the launcher is gone");

	/* Wait until the parent has put our end of the pair here. It writes
	 * one byte when it is done and then closes its end; EOF without
	 * that byte means it failed (it has already said why), so we stop
	 * quietly. We close our copy of the write end first, or the read
	 * would never see EOF. */
	close(a->sync_pipe[1]);
	while ((n = read(a->sync_pipe[0], &c, 1)) == -1 && errno == EINTR)
		;
	if (n == -1)
		err(EXIT_FAILURE, "read(sync pipe)");
	if (n == 0)
		_exit(EXIT_FAILURE);
	close(a->sync_pipe[0]);

	/* Configure nothing unless this really is a namespace of our own:
	 * a clone() without CLONE_NEWNET would change the host's network. */
	if (shares_my_net(a->parent))
		errx(EXIT_FAILURE, "refusing to configure the network: this process "
		     "still shares the host's network namespace (did clone() get "
		     "CLONE_NEWNET?)");
	/* This socket talks to our namespace: we made it here. */
	fd = nl_open();
	say("inside at first: %s", list_links(links, sizeof(links)));

	// BEGIN SOLUTION 6
	// STEP: TODO(6)
	// TODO: Configure the namespace from inside, over fd: bring "lo" up
	//       (set_link_up(); it starts down in every new network namespace),
	//       give our end a->inside_if its address a->inside_addr/a->prefix
	//       (add_address()), bring it up, then add the default route through
	//       the parent's end, a->host_addr (add_default_route()). The route
	//       needs the address first: the kernel only accepts a gateway it can
	//       reach. network_namespaces(7), ip-route(8).
	// STUB: (void)fd, (void)add_default_route;
	// STUB: todo({n}, "configure lo, the veth end, its address and the default route in the child");
	// tag::configure_inside[]
	set_link_up(fd, "lo");
	add_address(fd, a->inside_if, a->inside_addr, a->prefix);
	set_link_up(fd, a->inside_if);
	add_default_route(fd, a->inside_if, a->host_addr);
	// end::configure_inside[]
	// END SOLUTION
	close(fd);
	wait_running(a->inside_if);
	say("inside now: %s; %s/%d, default via %s", list_links(links, sizeof(links)),
	    inet_ntop(AF_INET, &a->inside_addr, addr, sizeof(addr)), a->prefix,
	    inet_ntop(AF_INET, &a->host_addr, gw, sizeof(gw)));

	execvp(a->argv[0], a->argv);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", a->argv[0]);
}

/* ---- options ---------------------------------------------------------- */

/* "10.200.0.1/30" into an address and a prefix length; exit 2 with the
 * reason if it is not one an interface can have. */
static void parse_address(char opt, const char *arg, struct in_addr *addr,
			  int *prefix)
{
	const char *slash = strchr(arg, '/');
	char host[INET_ADDRSTRLEN], *end;
	unsigned int first;
	long n;

	if (!slash || (size_t)(slash - arg) >= sizeof(host))
		errx(EXIT_USAGE, "-%c %s: expected an IPv4 address and a prefix "
		     "length, like 10.200.0.1/30", opt, arg);
	memcpy(host, arg, slash - arg);
	host[slash - arg] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1)
		errx(EXIT_USAGE, "-%c %s: \"%s\" is not an IPv4 address (four "
		     "numbers from 0 to 255, with dots)", opt, arg, host);
	n = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || n < 1 || n > 31)
		errx(EXIT_USAGE, "-%c %s: the prefix length must be a number from "
		     "1 to 31", opt, arg);
	*prefix = (int)n;
	first = ntohl(addr->s_addr) >> 24;
	if (first == 0 || first == 127 || first >= 224)
		errx(EXIT_USAGE, "-%c %s: not an address for an interface (0.x, "
		     "127.x loopback, and 224.x and up are reserved)", opt, arg);
}

/* Both ends must be distinct hosts of one subnet: the child reaches its
 * gateway through the connected route of that subnet. */
static void check_pair(const char *a, const char *b, struct in_addr host,
		       int host_prefix, struct in_addr inside, int inside_prefix)
{
	uint32_t h = ntohl(host.s_addr), i = ntohl(inside.s_addr);
	uint32_t mask = ~0U << (32 - host_prefix);

	if (host_prefix != inside_prefix)
		errx(EXIT_USAGE, "-a %s and -b %s: give both the same prefix "
		     "length", a, b);
	if (h == i)
		errx(EXIT_USAGE, "-a %s and -b %s: the two ends need different "
		     "addresses", a, b);
	if ((h & mask) != (i & mask))
		errx(EXIT_USAGE, "-a %s and -b %s: not in the same /%d subnet", a,
		     b, host_prefix);
	/* In a /31 both addresses are hosts (RFC 3021); otherwise the
	 * first and the last are the subnet's and its broadcast. */
	if (host_prefix <= 30 && ((h & ~mask) == 0 || (h & ~mask) == ~mask ||
				  (i & ~mask) == 0 || (i & ~mask) == ~mask))
		errx(EXIT_USAGE, "-a %s and -b %s: the first and last addresses "
		     "of a /%d are its network and broadcast addresses", a, b,
		     host_prefix);
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

/* NAME must leave room for the pid and "a"/"b" in 15 characters, and be
 * a name the kernel takes (no "/", ":", spaces; we ask for less). */
static void check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		errx(EXIT_USAGE, "-n \"%s\": %zu characters; NAME may have 1 to %d, "
		     "so that NAME, the pid (up to 7 digits) and \"a\" fit in the "
		     "%d characters of an interface name (IFNAMSIZ - 1)", name, len,
		     NAME_MAX_LEN, IFNAME_MAX);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_") != len)
		errx(EXIT_USAGE, "-n \"%s\": use only letters, digits, - and _",
		     name);
}

/* ---- main ----------------------------------------------------------- */

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	if (errno == EPERM)
		err(EXIT_FAILURE, "clone(CLONE_NEWNET): creating a namespace needs "
		    "CAP_SYS_ADMIN; run as root: sudo make lesson05");
	if (errno == ENOSPC)
		err(EXIT_FAILURE, "clone(CLONE_NEWNET): too many network namespaces; "
		    "see /proc/sys/user/max_net_namespaces");
	if (errno == EINVAL)
		err(EXIT_FAILURE, "clone(CLONE_NEWNET): this kernel was built "
		    "without network namespaces (CONFIG_NET_NS)");
	err(EXIT_FAILURE, "clone(CLONE_NEWNET)");
}

/* The child is gone. Its namespace goes with its last process (and its
 * last open reference); the kernel then destroys the namespace's devices,
 * and a veth cannot outlive its peer, so our end goes too. The kernel
 * does that in the background, a moment after the exit: watch for it.
 * Returns how many milliseconds it took, or -1 if the end was still there
 * after VANISH_TIMEOUT_MS (something else keeps the namespace alive, say
 * a process the command left behind), in which case we delete it. */
// tag::vanish[]
static long watch_veth_go(const char *name)
{
	struct timespec start, now, nap = {0, 2 * 1000 * 1000};
	long ms = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (if_nametoindex(name) != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 +
		     (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= VANISH_TIMEOUT_MS) {
			say("%s is still there after %ld ms; deleting it", name, ms);
			delete_veth_on_exit();
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	created_veth[0] = '\0'; /* gone: nothing left to clean up */
	return ms;
}
// end::vanish[]

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char demo_cmd[256];
	static char *demo[] = {"/bin/sh", "-c", demo_cmd, NULL};
	const char *name = DEFAULT_NAME, *opt_a = NULL, *opt_b = NULL;
	struct child_args args = {.prefix = 30};
	char label[64], gw[INET_ADDRSTRLEN];
	int opt, status;
	char *stack;
	long ms;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hqa:b:n:")) != -1) {
		switch (opt) {
		case 'a':
			opt_a = optarg;
			break;
		case 'b':
			opt_b = optarg;
			break;
		case 'n':
			name = optarg;
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
	launcher = getpid();
	check_name(name);
	if (!opt_a != !opt_b) {
		warnx("give both -a and -b, or neither");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	if (opt_a) {
		int prefix_b;

		parse_address('a', opt_a, &args.host_addr, &args.prefix);
		parse_address('b', opt_b, &args.inside_addr, &prefix_b);
		check_pair(opt_a, opt_b, args.host_addr, args.prefix,
			   args.inside_addr, prefix_b);
	} else {
		/* A /30 of 10.200.0.0/16 chosen by the pid, so that runs
		 * side by side get different subnets: .1 here, .2 inside. */
		uint32_t net = 0x0ac80000 | (uint32_t)(launcher % 16384) << 2;

		args.host_addr.s_addr = htonl(net + 1);
		args.inside_addr.s_addr = htonl(net + 2);
	}
	check_subnet_free(args.host_addr, args.prefix, opt_a ? opt_a : "the default subnet");
	/* Link names are per namespace, but ours start here, next to the
	 * host's: the pid keeps two runs apart. */
	snprintf(args.host_if, sizeof(args.host_if), "%s%da", name, (int)launcher);
	snprintf(args.inside_if, sizeof(args.inside_if), "%s%db", name,
		 (int)launcher);
	snprintf(demo_cmd, sizeof(demo_cmd),
		 "echo \"inside: $(readlink /proc/self/ns/net)\"; "
		 "ip -brief address; ip route; busybox ping -c 1 -W 2 %s",
		 inet_ntop(AF_INET, &args.host_addr, gw, sizeof(gw)));
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the parent has wired it up.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	say("parent pid %d in %s", (int)getpid(),
	    ns_label(getpid(), label, sizeof(label)));

	// BEGIN SOLUTION 7
	// STEP: TODO(7)
	// TODO: Start child_main(&args) in a new network namespace: clone(2)
	//       with the top of the stack (stack + STACK_SIZE) and the flags
	//       CLONE_NEWNET (a new network namespace: only a "lo", down) |
	//       SIGCHLD (so that waitpid sees the child end). Keep its pid in pid.
	// STUB: (void)child_main, (void)stack;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWNET | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWNET | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();
	say("child  pid %d in %s, a new network namespace", (int)pid,
	    ns_label(pid, label, sizeof(label)));

	setup_veth(&args, pid);

	/* Release the child: one byte says "ready", then EOF. */
	if (write(args.sync_pipe[1], "", 1) != 1)
		err(EXIT_FAILURE, "write(sync pipe)");
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	ms = watch_veth_go(args.host_if);
	if (ms >= 0)
		say("command exited with status %d; %s went with the namespace "
		    "(%ld ms)", exit_status(status), args.host_if, ms);
	else
		say("command exited with status %d", exit_status(status));
	return exit_status(status);
}
