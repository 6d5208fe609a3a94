/* net.c - run a command in a network namespace of its own, wired to its
 * parent by a veth pair (lesson 05)
 *
 * The idea: links, addresses, routes and sockets belong to a network
 * namespace. A child made with CLONE_NEWNET has nothing but its own "lo",
 * and that is down. A veth pair is a virtual cable whose ends may live in
 * different namespaces: the parent creates it with one end born in the
 * child's namespace, each side gives its end an address and brings it
 * up, and the child routes through the parent. It is all said to the
 * kernel over rtnetlink, as `ip` does (lessons/lib/rtnl.h). The child is
 * also PID 1 of a new PID namespace (lesson 04): when it dies, so does all
 * the command left running, and nothing keeps the pair alive.
 *
 * Usage: net [-q] [-a PARENT_ADDR/PREFIX -b CHILD_ADDR/PREFIX] [-n NAME]
 *            [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo build/solutions/05-net/net -a 10.200.0.1/30 -b 10.200.0.2/30 -- ip -br addr
 *   net: parent pid 4242 in net:[4026531840], pid:[4026531836]
 *   net: child  pid 4243 in net:[4026532612], a new network namespace; pid:[4026532613], a new PID namespace
 *   net: veth4242a here <=> veth4242b in the child's namespace, net:[4026532612]
 *   net: here: veth4242a (up, 10.200.0.1/30)
 *   net: inside at first: lo (down), veth4242b (down)
 *   net: inside: lo (up, 127.0.0.1/8)
 *   net: inside now: lo (up, 127.0.0.1/8), veth4242b (up, 10.200.0.2/30); default via 10.200.0.1
 *   lo               UNKNOWN        127.0.0.1/8 ::1/128
 *   veth4242b@if5    UP             10.200.0.2/30 fe80::a0b1:c2ff:fed3:e4f5/64
 *   net: command exited with status 0; veth4242a went with the namespace (1 ms)
 *
 * Read: network_namespaces(7), veth(4), rtnetlink(7), netlink(7),
 *       linux/if_link.h, linux/veth.h, ip-link(8), ip-route(8).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv4.h"
#include "links.h"
#include "nslab.h"
#include "rtnl.h"

#define DEFAULT_NAME "veth"
/* A link name has at most IFNAMSIZ - 1 = 15 bytes: NAME, the launcher's
 * pid (at most 7 digits) and "a" or "b" leave NAME 7. */
#define NAME_MAX_LEN (IFNAMSIZ - 1 - 7 - 1)

/* What the parent hands to the child. */
struct child_args {
	char **argv;                                 /* the command */
	char host_if[IFNAMSIZ], inside_if[IFNAMSIZ]; /* the two ends */
	struct in_addr host_addr, inside_addr;       /* their addresses */
	int prefix;                                  /* of both */
	pid_t parent;                                /* the launcher */
	// CHALLENGE BEGIN
	const char *bridge; /* -B: our end a port of this bridge, no address */
	// CHALLENGE END
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-a PARENT_ADDR/PREFIX -b CHILD_ADDR/PREFIX] [-n NAME]\n"
		"       [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in new network and PID namespaces, joined to this one by a\n"
		"veth pair NAME<pid>a (here) and NAME<pid>b (inside). Without COMMAND:\n"
		"a shell when stdin is a terminal, otherwise a demonstration.\n\n"
		"  -a ADDR/PREFIX  address of the parent's end, the child's gateway\n"
		"  -b ADDR/PREFIX  address of the child's end, in the same subnet\n"
		"                  (both or neither; default a /30 of 10.200.0.0/16)\n"
		"  -n NAME         prefix of the link names (default \"" DEFAULT_NAME "\", at\n"
		"                  most %d characters: letters, digits, - and _)\n"
		// CHALLENGE BEGIN
		"  -B BRIDGE       make the parent's end a port of BRIDGE (a bridge here)\n"
		"                  instead of giving it the -a address: children on one\n"
		"                  bridge reach each other (-a is then only their gateway)\n"
		// CHALLENGE END
		"  -q              do not print the account of what happens on stderr\n"
		"  -h              show this help\n\n"
		"Creating a namespace needs root: sudo make lesson05 ARGS='-- ip address'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog, NAME_MAX_LEN);
}

/* After an early failure (an err(3) runs exit(3), which runs this), the
 * launcher deletes its end, and the peer with it, by the index the kernel
 * gave it: a name may be someone else's link by then (pitfall 8). */
static int host_index;
static pid_t launcher;

static void delete_host_end(void)
{
	struct rtnl nl;
	int e;

	if (getpid() != launcher || host_index <= 0 || rtnl_open(&nl) != 0)
		return;
	e = rtnl_link_del(&nl, host_index);
	if (e != 0 && e != -ENODEV)
		warnx("could not delete link %d: %s", host_index, strerror(-e));
	else if (e == 0)
		say("deleted our end (link %d) after the error", host_index);
	host_index = 0;
	rtnl_close(&nl);
}

/* ip link add NAME type veth peer name PEER netns PID: one RTM_NEWLINK
 * makes both ends, the peer born in the namespace of process PID, so both
 * are never here together (`ip link set PEER netns PID` would move it). */
static void create_veth(struct rtnl *nl, const char *name, const char *peer,
			pid_t pid)
{
	// BEGIN SOLUTION 2
	// STEP: the veth request: one end here, its peer born in the child
	// TODO: Build and send the one RTM_NEWLINK request that creates a veth
	//       pair: this end, `name`, here, and its peer, `peer`, born in the
	//       network namespace of process `pid`. Afterwards the account says
	//       "NAME here <=> PEER in the child's namespace", and `ip link`
	//       here never shows PEER. The attributes and their nesting are
	//       yours to work out from the kernel headers linux/if_link.h and
	//       linux/veth.h (rtnetlink(7) documents only the basic ones),
	//       netlink(7) for a new request's flags, and lessons/lib/rtnl.h
	//       (the builder). What does `ip -d link` show of a veth?
	// HINT: A link's kind and its options travel nested: IFLA_LINKINFO
	//       holds IFLA_INFO_KIND and IFLA_INFO_DATA. A veth's one option,
	//       VETH_INFO_PEER, describes the peer like a whole link: a struct
	//       ifinfomsg, then the peer's own IFLA_* (its name, its namespace).
	// HINT: rtnl_start(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof
	//       (struct ifinfomsg)); rtnl_attr_str(), rtnl_attr_u32() for
	//       IFLA_NET_NS_PID; rtnl_nest_begin()/rtnl_nest_end() around each
	//       nest; the peer's nest opens with rtnl_attr(&req, ____, NULL,
	//       sizeof(struct ifinfomsg)); rtnl_check(nl, rtnl_talk(nl, &req), ...).
	// HINT: IFLA_IFNAME; li = begin(____); kind; data = begin(____);
	//       peer = attr(____, NULL, ifinfomsg size); its IFLA_IFNAME;
	//       ____ (pid); end(____); end(____); end(____); talk; check.
	// WRONG peer_on_host: "IFLA_NET_NS_PID, (uint32_t)pid" -> "IFLA_MTU, 1500" : IFLA_NET_NS_PID
	// WRONG nest_not_closed: "rtnl_nest_end(&req, data);" -> "(void)data;" : rtnl_nest_end
	// STUB: (void)nl, (void)name, (void)peer, (void)pid;
	// STUB: todo({n}, "create the veth pair (the RTM_NEWLINK request)");
	// tag::create_veth[]
	struct rtnl_req req;
	struct ifinfomsg *ifi = rtnl_start(&req, RTM_NEWLINK,
					   NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	struct rtattr *linkinfo, *data, *peer_info;

	ifi->ifi_family = AF_UNSPEC;
	rtnl_attr_str(&req, IFLA_IFNAME, name);
	linkinfo = rtnl_nest_begin(&req, IFLA_LINKINFO);
	rtnl_attr_str(&req, IFLA_INFO_KIND, "veth");
	data = rtnl_nest_begin(&req, IFLA_INFO_DATA);
	/* The peer: a struct ifinfomsg of its own, then its attributes. */
	peer_info = rtnl_attr(&req, VETH_INFO_PEER, NULL, sizeof(*ifi));
	rtnl_attr_str(&req, IFLA_IFNAME, peer);
	rtnl_attr_u32(&req, IFLA_NET_NS_PID, (uint32_t)pid);
	rtnl_nest_end(&req, peer_info);
	rtnl_nest_end(&req, data);
	rtnl_nest_end(&req, linkinfo);
	rtnl_check(nl, rtnl_talk(nl, &req), "RTM_NEWLINK %s type veth peer %s "
		   "netns %d", name, peer, (int)pid);
	// end::create_veth[]
	// END SOLUTION
}

/* One end of the cable, over the socket `nl` of the namespace it is in:
 * its address, the link up and, with a gateway (inside), the default
 * route through the other end. The parent runs it for its end, then the
 * child for its own. */
static void configure_end(struct rtnl *nl, const char *name, int index,
			  struct in_addr addr, int prefix,
			  const struct in_addr *gateway)
{
	// BEGIN SOLUTION 3
	// STEP: each end configured in an order the kernel accepts
	// TODO: Give link `index` (`name`) the address addr/prefix, bring it
	//       up and, when `gateway` is not NULL, add the default route
	//       through *gateway, in an order the kernel accepts: find it by
	//       experiment, lessons/lib/rtnl.h has a request for each part.
	//       Afterwards the account says "here: NAME (up, ADDR/PREFIX)",
	//       then "inside now: ...; default via GW", and the command can
	//       ping the parent. Read ip-address(8), ip-link(8), ip-route(8)
	//       and `ip route` on both sides after each request. Which of the
	//       three can fail when it comes too early, and why?
	// HINT: A gateway must be reachable through a route the kernel
	//       already has. Which route does the kernel add by itself, and
	//       when (`ip route`, "proto kernel")?
	// HINT: rtnl_addr_add(), rtnl_link_up() and rtnl_route_add_default()
	//       (lessons/lib/rtnl.h), each checked with rtnl_check(nl, error,
	//       "what was asked", ...); the route last: the subnet's route
	//       is there once the link has its address AND is up.
	// HINT: rtnl_check(nl, ____(nl, index, addr, prefix), ...);
	//       rtnl_check(nl, ____(nl, index), ...);
	//       if (gateway) rtnl_check(nl, ____(nl, index, *gateway), ...);
	// WRONG end_down: "rtnl_link_up(nl, index)" -> "0 * index" : bring the link up
	// WRONG no_route: "if (gateway)" -> "if (false && gateway)" : no default route
	// STUB: (void)nl, (void)name, (void)index, (void)addr, (void)prefix;
	// STUB: (void)gateway;
	// STUB: todo({n}, "configure this end: its address, up, and the route");
	// tag::configure_end[]
	rtnl_check(nl, rtnl_addr_add(nl, index, addr, prefix),
		   "RTM_NEWADDR %s/%d dev %s", inet_ntoa(addr), prefix, name);
	rtnl_check(nl, rtnl_link_up(nl, index), "RTM_NEWLINK %s up", name);
	if (gateway)
		rtnl_check(nl, rtnl_route_add_default(nl, index, *gateway),
			   "RTM_NEWROUTE default via %s", inet_ntoa(*gateway));
	// end::configure_end[]
	// END SOLUTION
}

// CHALLENGE BEGIN
/* The challenge, -B: a bridge is a switch in the kernel, and a link
 * whose master it is becomes one of its ports (ip link set END master
 * BRIDGE up: RTM_NEWLINK on the existing link with IFLA_MASTER, the
 * bridge's index; rtnetlink(7), linux/if_link.h). A port carries frames
 * and needs no address of its own: the children's ends behind two ports
 * are on one Ethernet and reach each other directly. */
static void join_bridge(struct rtnl *nl, const struct child_args *a, int port)
{
	struct rtnl_req req;
	struct ifinfomsg *ifi = rtnl_start(&req, RTM_NEWLINK, 0, sizeof(*ifi));
	int master = link_index(a->bridge);

	if (master < 0)
		errx(EXIT_FAILURE, "-B %s: no such link here any more", a->bridge);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = port;
	rtnl_attr_u32(&req, IFLA_MASTER, (uint32_t)master);
	rtnl_check(nl, rtnl_talk(nl, &req), "RTM_NEWLINK %s master %s (is %s a "
		   "bridge? ip -d link show %s)", a->host_if, a->bridge, a->bridge,
		   a->bridge);
	rtnl_check(nl, rtnl_link_up(nl, port), "RTM_NEWLINK %s up", a->host_if);
}

// CHALLENGE END
/* The parent's part: the pair, then its own end. */
static void setup_veth(struct child_args *a, pid_t child)
{
	char label[64], links[256];
	struct rtnl nl;
	int e;

	if (ns_shared(0, child, "net")) /* or the "inside" end lands here */
		errx(EXIT_FAILURE, "refusing to create the veth: the child is still "
		     "in this network namespace (clone(2), network_namespaces(7))");
	/* After clone(): a socket talks to the namespace it was made in,
	 * and the child must not inherit one that talks to ours. */
	if ((e = rtnl_open(&nl)) != 0)
		errx(EXIT_FAILURE, "socket(AF_NETLINK): %s", strerror(-e));
	create_veth(&nl, a->host_if, a->inside_if, child);
	host_index = link_index(a->host_if);
	if (host_index < 0)
		errx(EXIT_FAILURE, "the kernel took the request, but %s is not here: "
		     "the first IFLA_IFNAME names this end", a->host_if);
	if (link_index(a->inside_if) > 0)
		errx(EXIT_FAILURE, "%s, the child's end, was created here, in the "
		     "parent's namespace: the peer's own attributes say where it is "
		     "born (linux/if_link.h, veth(4))", a->inside_if);
	say("%s here <=> %s in the child's namespace, %s", a->host_if,
	    a->inside_if, ns_label(child, "net", label, sizeof(label)));
	// CHALLENGE BEGIN
	if (a->bridge) {
		join_bridge(&nl, a, host_index);
		rtnl_close(&nl);
		say("here: %s, a port of %s", describe_links(a->host_if, links,
		    sizeof(links)), a->bridge);
		return;
	}
	// CHALLENGE END

	configure_end(&nl, a->host_if, host_index, a->host_addr, a->prefix,
		      NULL);
	rtnl_close(&nl);
	say("here: %s", describe_links(a->host_if, links, sizeof(links)));
}

/* Everything here runs inside the new namespaces, as PID 1. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char links[256], gw[INET_ADDRSTRLEN];
	int lo, end, e;
	struct rtnl nl;
	pid_t cmd;

	ensure_own_ns(a->parent, "net", "configure the network");
	/* Made here, this socket talks to our new namespace. */
	if ((e = rtnl_open(&nl)) != 0)
		errx(EXIT_FAILURE, "socket(AF_NETLINK): %s", strerror(-e));
	say("inside at first: %s", describe_links(NULL, links, sizeof(links)));
	lo = link_index("lo");
	end = link_index(a->inside_if);
	if (end < 0)
		errx(EXIT_FAILURE, "%s is not in this namespace: the peer must be "
		     "born here (step 2)", a->inside_if);

	/* lo is down in every new network namespace, and until it is up
	 * even 127.0.0.1 does not answer (network_namespaces(7)). */
	// tag::lo_up[]
	rtnl_check(&nl, rtnl_link_up(&nl, lo), "RTM_NEWLINK lo up");
	// end::lo_up[]
	say("inside: %s", describe_links("lo", links, sizeof(links)));

	configure_end(&nl, a->inside_if, end, a->inside_addr, a->prefix,
		      &a->host_addr);
	rtnl_close(&nl);
	wait_link_running(a->inside_if, 1000);
	say("inside now: %s; default via %s",
	    describe_links(NULL, links, sizeof(links)),
	    default_gateway(gw, sizeof(gw)));

	/* PID 1 runs the command as its child: when PID 1 exits, the kernel
	 * kills all the command left (pid_namespaces(7)). */
	if ((cmd = fork()) == -1)
		err(EXIT_FAILURE, "fork");
	if (cmd == 0)
		exec_command(a->argv);
	return wait_child(cmd);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char demo_cmd[256];
	static char *demo[] = {"/bin/sh", "-c", demo_cmd, NULL};
	const char *name = DEFAULT_NAME, *opt_a = NULL, *opt_b = NULL, *why;
	struct child_args args = {.prefix = 30};
	char net_l[96], pid_l[96], gw[INET_ADDRSTRLEN];
	struct ns_child child = {.pid = -1, .go = -1};
	int opt, code, prefix_b;
	long ms;

	nslab_init("net", "05");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hqa:b:n:B:")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hqa:b:n:")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 'B': args.bridge = optarg; break;
		// CHALLENGE END
		case 'a': opt_a = optarg; break;
		case 'b': opt_b = optarg; break;
		case 'n': name = optarg; break;
		case 'q': nslab_quiet = true; break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	launcher = args.parent = getpid();
	check_link_prefix(name, NAME_MAX_LEN);
	if (!opt_a != !opt_b) {
		warnx("give both -a and -b, or neither");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	if (opt_a) {
		if ((why = ipv4_parse(opt_a, &args.host_addr, &args.prefix)))
			errx(EXIT_USAGE, "-a %s: %s", opt_a, why);
		if ((why = ipv4_parse(opt_b, &args.inside_addr, &prefix_b)))
			errx(EXIT_USAGE, "-b %s: %s", opt_b, why);
		if ((why = ipv4_pair(args.host_addr, args.prefix, args.inside_addr,
				     prefix_b)))
			errx(EXIT_USAGE, "-a %s and -b %s: %s", opt_a, opt_b, why);
	} else {
		/* A /30 of 10.200.0.0/16 chosen by the pid: runs side by side
		 * get different subnets, .1 here and .2 inside. */
		uint32_t net = 0x0ac80000 | (uint32_t)(launcher % 16384) << 2;

		args.host_addr.s_addr = htonl(net + 1);
		args.inside_addr.s_addr = htonl(net + 2);
	}
	// CHALLENGE BEGIN
	/* Before anything is made: a bridge that is not here is bad input. */
	if (args.bridge && link_index(args.bridge) < 0)
		errx(EXIT_FAILURE, "-B %s: no such link here; make the bridge "
		     "first: ip link add %s type bridge && ip link set %s up",
		     args.bridge, args.bridge, args.bridge);
	// CHALLENGE END
	check_subnet_free(args.host_addr, args.prefix,
			  opt_a ? opt_a : "the default subnet");
	/* Our end starts beside the host's links: the pid keeps runs apart. */
	snprintf(args.host_if, sizeof(args.host_if), "%s%da", name, (int)launcher);
	snprintf(args.inside_if, sizeof(args.inside_if), "%s%db", name, (int)launcher);
	snprintf(demo_cmd, sizeof(demo_cmd), "echo \"inside: $(readlink "
		 "/proc/self/ns/net)\"; ip -brief address; ip route; "
		 "busybox ping -c 1 -W 2 %s",
		 inet_ntop(AF_INET, &args.host_addr, gw, sizeof(gw)));
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	if (atexit(delete_host_end) != 0)
		errx(EXIT_FAILURE, "atexit");

	say("parent pid %d in %s, %s", (int)launcher,
	    ns_label(0, "net", net_l, sizeof(net_l)),
	    ns_label(0, "pid", pid_l, sizeof(pid_l)));
	// BEGIN SOLUTION 1
	// STEP: the child runs in new network and PID namespaces
	// TODO: Start child_main(&args) with ns_spawn() (the pattern you wrote
	//       in lesson 01, in lessons/lib/nslab.h) in a network namespace of
	//       its own, where it is also PID 1 of a new PID namespace: the
	//       safety net that takes whatever the command leaves running down
	//       with it. Afterwards the account line below says "a new network
	//       namespace" and "a new PID namespace". Read
	//       network_namespaces(7) and pid_namespaces(7).
	// HINT: ns_spawn() is clone() with the stack, the sync pipe and the
	//       parent-death signal done; you choose the namespaces.
	// HINT: ns_spawn(&child, flags, child_main, &args), flags made of
	//       CLONE_NEW* (clone(2)); on -1 call clone_failed("clone", flags).
	// HINT: if (ns_spawn(&child, ____ | ____, child_main, &args) == -1)
	//               clone_failed("clone", ____);
	// WRONG no_pidns: "CLONE_NEWNET | CLONE_NEWPID, child_main" -> "CLONE_NEWNET, child_main" : CLONE_NEWPID
	// STUB: (void)child_main;
	// STUB: todo({n}, "start the child in new network and PID namespaces");
	// tag::spawn[]
	if (ns_spawn(&child, CLONE_NEWNET | CLONE_NEWPID, child_main, &args) == -1)
		clone_failed("clone", CLONE_NEWNET | CLONE_NEWPID);
	// end::spawn[]
	// END SOLUTION
	say("child  pid %d in %s; %s", (int)child.pid,
	    ns_account(child.pid, 0, "net", net_l, sizeof(net_l)),
	    ns_account(child.pid, 0, "pid", pid_l, sizeof(pid_l)));

	setup_veth(&args, child.pid);
	ns_release(&child);
	code = wait_child(child.pid);
	/* The namespace goes with its last process, and with it, in the
	 * background, its devices: a veth end cannot outlive its peer. */
	// tag::vanish[]
	if ((ms = wait_link_gone(args.host_if, 3000)) >= 0) {
		host_index = 0; /* nothing left for exit() to delete */
		say("command exited with status %d; %s went with the namespace "
		    "(%ld ms)", code, args.host_if, ms);
	}
	// end::vanish[]
	else
		say("command exited with status %d; %s is still here after 3 s: "
		    "deleting it", code, args.host_if);
	return code;
}
