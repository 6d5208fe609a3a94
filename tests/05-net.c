/* Lesson 05: net runs a command in new network and PID namespaces, joined
 * to the test's own namespace by a veth pair with the addresses asked
 * for, and the pair is gone once the command is.
 *
 * Steps (solutions/05-net/net.c): 1 the child in new network and PID
 * namespaces, 2 the veth request (the peer born in the child), 3 each end
 * configured (address, link up, and inside the default route) in an order
 * the kernel accepts. lo up inside is given code.
 * A test named sN_ checks step N and passes as soon as steps 1 to N are
 * right; all_ tests check the whole program (packets across, no link
 * left, bad input).
 *
 * Every test runs in a network namespace of its own (harness_setup, as
 * root), so the parent's end of the pair lives there, and packets only go
 * to the two addresses the test asked the lesson to configure. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

static void setup(void)
{
	harness_setup();
	/* Every test here lets the lesson create a network namespace. */
	require_unshare(CLONE_NEWNET, "CLONE_NEWNET");
}

TestSuite(net, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

/* With its default addresses (the test is in a network namespace of its
 * own, so the parent's end of the pair is private too). */
static const struct lesson net_lesson = {
	MANIFEST_05,
	.account_says = "lo (down)",
};

LESSON_BASICS(net, &net_lesson, s1)

/* ---- helpers of this suite ------------------------------------------ */

/* Two addresses of one random subnet of a private range (RFC 1918). */
struct pair {
	struct in_addr host, inside;
	int prefix;
	char host_s[INET_ADDRSTRLEN], inside_s[INET_ADDRSTRLEN];
	char host_arg[24], inside_arg[24]; /* "A/P" for -a and -b */
};

static void random_pair(struct pair *p)
{
	uint32_t base, mask, net, hosts, h, i;

	p->prefix = random_between(16, 30);
	switch (random_between(0, 2)) {
	case 0:
		base = 10u << 24 | (uint32_t)random_between(0, 0xffffff);
		break;
	case 1:
		base = 172u << 24 | (uint32_t)random_between(16, 31) << 16 |
		       (uint32_t)random_between(0, 0xffff);
		break;
	default:
		base = 192u << 24 | 168u << 16 | (uint32_t)random_between(0, 0xffff);
		break;
	}
	mask = ~0u << (32 - p->prefix);
	net = base & mask;
	hosts = ~mask - 1; /* without the network and broadcast addresses */
	h = 1 + (uint32_t)random_between(0, (int)hosts - 1);
	i = 1 + (uint32_t)random_between(0, (int)hosts - 2);
	if (i >= h)
		i++;
	p->host.s_addr = htonl(net | h);
	p->inside.s_addr = htonl(net | i);
	inet_ntop(AF_INET, &p->host, p->host_s, sizeof(p->host_s));
	inet_ntop(AF_INET, &p->inside, p->inside_s, sizeof(p->inside_s));
	snprintf(p->host_arg, sizeof(p->host_arg), "%s/%d", p->host_s, p->prefix);
	snprintf(p->inside_arg, sizeof(p->inside_arg), "%s/%d", p->inside_s,
		 p->prefix);
}

/* A random -n NAME: "t" and 6 random characters, so 7, the longest. */
static void random_prefix(char *buf, size_t size)
{
	random_name(buf, size, "t", 7);
}

/* The links of the test's own network namespace whose names start with
 * `prefix` (from /proc/self/net/dev), into `names`; how many there are. */
static int links_here(const char *prefix, char *names, size_t size)
{
	FILE *f = fopen("/proc/self/net/dev", "re");
	char line[512];
	int n = 0;

	cr_assert_not_null(f, "cannot read /proc/self/net/dev");
	if (names && size)
		names[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;
		*colon = '\0';
		name += strspn(name, " ");
		if (strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		n++;
		if (names)
			snprintf(names + strlen(names), size - strlen(names), "%s ",
				 name);
	}
	fclose(f);
	return n;
}

/* Wait up to `timeout` seconds until no link here starts with `prefix`.
 * A namespace's devices are destroyed in the background, a moment after
 * its last process. */
static bool links_gone(const char *prefix, double timeout)
{
	struct timespec nap = {0, 10 * 1000 * 1000};

	for (int i = 0; i < (int)(timeout * 100); i++) {
		if (links_here(prefix, NULL, 0) == 0)
			return true;
		nanosleep(&nap, NULL);
	}
	return links_here(prefix, NULL, 0) == 0;
}

/* The interface names of a /proc/net/dev text, space-separated. */
static void dev_names(const char *text, char *names, size_t size)
{
	const char *line = text;

	names[0] = '\0';
	while (*line) {
		const char *end = strchrnul(line, '\n'), *colon = memchr(line, ':', end - line);
		const char *name = line + strspn(line, " ");

		if (colon && name < colon && !strchr("|", *name))
			snprintf(names + strlen(names), size - strlen(names), "%.*s ",
				 (int)(colon - name), name);
		line = *end ? end + 1 : end;
	}
}

/* The kernel's fallback tunnel devices: with the ipip, sit, ip_gre,
 * ip6_tunnel, ip6_gre or vti modules loaded, every new network namespace
 * gets one of each (tunl0, sit0, gre0, ip6tnl0...) unless
 * net.core.fb_tunnels_only_for_init_net is set. They are the kernel's,
 * not the lesson's: known by their type (ARPHRD_* in linux/if_arp.h),
 * or, for the Ethernet-like ones, by the name the kernel gives them. */
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823 /* linux/if_arp.h has it; glibc's net/if_arp.h not */
#endif
static bool fallback_device(const char *name, int type)
{
	static const char *const ether_like[] = {"gretap0", "erspan0",
						 "ip6gretap0", "ip6erspan0"};

	switch (type) {
	case ARPHRD_TUNNEL:  /* tunl0, ip_vti0 */
	case ARPHRD_TUNNEL6: /* ip6tnl0, ip6_vti0 */
	case ARPHRD_SIT:     /* sit0 */
	case ARPHRD_IPGRE:   /* gre0 */
	case ARPHRD_IP6GRE:  /* ip6gre0 */
		return true;
	case ARPHRD_ETHER:
		for (size_t i = 0; i < sizeof(ether_like) / sizeof(ether_like[0]); i++)
			if (strcmp(name, ether_like[i]) == 0)
				return true;
	}
	return false;
}

/* The links of the network namespace of process `pid`, in index order,
 * space-separated, without the kernel's fallback devices; those go to
 * `fallback`. A child of the test enters that namespace (setns(2)) and
 * asks each link's type (SIOCGIFHWADDR, netdevice(7)). */
static void links_inside(pid_t pid, char *names, size_t size, char *fallback,
			 size_t fsize)
{
	char path[64], buf[1024] = "";
	int p[2], status;
	ssize_t n;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	cr_assert_neq(child, -1);
	if (child == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC), s;
		struct if_nameindex *links, *l;

		if (fd == -1 || setns(fd, CLONE_NEWNET) == -1 ||
		    (s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
		    !(links = if_nameindex()))
			_exit(1);
		for (l = links; l->if_index; l++) {
			struct ifreq ifr = {0};
			int type = -1;

			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->if_name);
			if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
				type = ifr.ifr_hwaddr.sa_family;
			dprintf(p[1], "%s%s ", fallback_device(l->if_name, type) ? "+" : "",
				l->if_name);
		}
		_exit(0);
	}
	close(p[1]);
	for (size_t len = 0; len < sizeof(buf) - 1; len += n) {
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
	}
	close(p[0]);
	waitpid(child, &status, 0);
	cr_assert(*buf && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "cannot list the links of %s", path);
	names[0] = fallback[0] = '\0';
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (*w == '+')
			snprintf(fallback + strlen(fallback), fsize - strlen(fallback),
				 "%s ", w + 1);
		else
			snprintf(names + strlen(names), size - strlen(names), "%s ", w);
	}
}

/* The text between the markers "@@ TAG" and the next "@@" in `out`. */
static char *section(const char *out, const char *tag, char *buf, size_t size)
{
	char marker[32];
	const char *start, *end;

	snprintf(marker, sizeof(marker), "@@ %s\n", tag);
	start = strstr(out, marker);
	if (!start) {
		buf[0] = '\0';
		return buf;
	}
	start += strlen(marker);
	end = strstr(start, "@@");
	snprintf(buf, size, "%.*s", (int)(end ? end - start : (long)strlen(start)),
		 start);
	return buf;
}

/* The whole line of `text` where `needle` occurs ("" if nowhere). */
static char *line_of(const char *text, const char *needle, char *buf, size_t size)
{
	const char *at = strstr(text, needle), *start = at;

	buf[0] = '\0';
	if (!at)
		return buf;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(strchrnul(at, '\n') - start), start);
	return buf;
}

/* What the kernel said about a refused request, as a fix to make. */
static void check_no_refusal(const struct run *r)
{
	cr_assert(!strstr(r->err, "was created here"), "the child's end of the pair "
		  "was created in the parent's namespace: in the peer's own "
		  "attributes (inside VETH_INFO_PEER), IFLA_NET_NS_PID names the "
		  "process whose namespace it is born in; %s", why(r));
	cr_assert(!strstr(r->err, "RTM_NEWLINK") || !strstr(r->err, "type veth"),
		  "the kernel refused the veth request: check the nesting, "
		  "IFLA_LINKINFO > (IFLA_INFO_KIND \"veth\", IFLA_INFO_DATA > "
		  "VETH_INFO_PEER > (a struct ifinfomsg, IFLA_IFNAME, "
		  "IFLA_NET_NS_PID)), each nest closed with rtnl_nest_end() after "
		  "its last attribute, not before (linux/if_link.h, "
		  "linux/veth.h); %s", why(r));
	cr_assert(!strstr(r->err, "RTM_NEWROUTE"), "the kernel refused the default "
		  "route: its gateway is reachable only through the route to the "
		  "subnet, which the kernel adds once the link has its address and "
		  "is up: bring the link up before the route; %s", why(r));
}

/* ---- the tests -------------------------------------------------------- */

Test(net, s1_child_runs_in_new_network_and_pid_namespaces)
{
	unsigned long long net = 0;
	const char *line;
	struct run r;

	run_lesson(&r, ARGS("--", probe_bin()));
	require_steps_done(&r, 1);
	line = strstr(r.err, "child  pid ");
	cr_assert(line, "the account has no \"child  pid N in net:[...]\" line: "
		  "did ns_spawn() fail? %s", why(&r));
	cr_assert(sscanf(line, "child  pid %*d in net:[%llu]", &net) == 1,
		  "cannot read the child's network namespace in \"%.120s\"", line);
	cr_assert(net != (unsigned long long)my_ns("net").ino, "the child is in its "
		  "parent's network namespace: it must be made with CLONE_NEWNET; %s",
		  why(&r));
	cr_assert(strstr(line, "a new PID namespace"), "the child must also be "
		  "PID 1 of a new PID namespace (CLONE_NEWPID), the safety net for "
		  "what the command leaves running: \"%.160s\"", line);
	run_free(&r);
}

/* Step 2 seen while step 3 may still stop the program: the account says
 * which ends the kernel made where, and nothing is left afterwards. */
Test(net, s2_pair_has_one_end_here_and_the_peer_born_in_the_child)
{
	char name[8], want[64];
	struct run r;

	random_prefix(name, sizeof(name));
	run_lesson(&r, ARGS("-n", name, "--", probe_bin()));
	require_steps_done(&r, 1);
	cr_assert(!strstr(r.err, "TODO(2)"), "step 2 is not done: %s", why(&r));
	check_no_refusal(&r);
	snprintf(want, sizeof(want), "%s%da here <=> %s%db in the child's namespace",
		 name, (int)r.pid, name, (int)r.pid);
	cr_assert(strstr(r.err, want), "the account should say \"%s\": one "
		  "RTM_NEWLINK of kind veth, this end named by IFLA_IFNAME, the "
		  "peer's name and namespace inside VETH_INFO_PEER; %s", want, why(&r));
	cr_assert(links_gone(name, 0.1), "a link %s... is still here after net "
		  "exited", name);
	run_free(&r);
}

Test(net, s3_parent_end_has_its_address_and_is_up)
{
	char name[8], want[96];
	struct pair p;
	struct run r;

	random_prefix(name, sizeof(name));
	random_pair(&p);
	run_lesson(&r, ARGS("-a", p.host_arg, "-b", p.inside_arg, "-n", name, "--",
			    probe_bin()));
	require_steps_done(&r, 2);
	cr_assert(!strstr(r.err, "TODO(3)"), "step 3 is not done: %s", why(&r));
	check_no_refusal(&r);
	snprintf(want, sizeof(want), "here: %s%da (", name, (int)r.pid);
	cr_assert(strstr(r.err, want), "the account has no \"%s...)\" line; %s",
		  want, why(&r));
	snprintf(want, sizeof(want), "here: %s%da (down", name, (int)r.pid);
	cr_assert(!strstr(r.err, want), "the parent's end is down: bring the "
		  "parent's end up (its IFF_UP flag), or the child's packets go "
		  "nowhere and no route to the subnet exists here; %s", why(&r));
	snprintf(want, sizeof(want), "here: %s%da (up, %s)", name, (int)r.pid,
		 p.host_arg);
	cr_assert(strstr(r.err, want), "the account should say \"%s\": the "
		  "parent's end has the -a address %s; %s", want, p.host_arg, why(&r));
	cr_assert(links_gone(name, 0.1), "a link %s... is still here after net "
		  "exited", name);
	run_free(&r);
}

/* lo up is given code; it runs once the parent has configured its end
 * (step 3) and released the child. */
Test(net, s3_lo_is_up_inside)
{
	struct run r;

	run_lesson(&r, ARGS("--", probe_bin()));
	require_steps_done(&r, 3);
	check_no_refusal(&r);
	cr_assert(strstr(r.err, "inside at first: lo (down)"), "the account should "
		  "show lo down in the new namespace first; %s", why(&r));
	cr_assert(!strstr(r.err, "inside: lo (down"), "lo is still down inside: "
		  "bring lo up, it starts down in every new network namespace; %s",
		  why(&r));
	cr_assert(strstr(r.err, "inside: lo (up, 127.0.0.1/8)"), "the account "
		  "should say \"inside: lo (up, 127.0.0.1/8)\"; %s", why(&r));
	run_free(&r);
}

Test(net, s3_inside_only_lo_and_the_veth_end_with_the_addresses_asked)
{
	char name[8], want_if[IFNAMSIZ], buf[2048], names[256], extra[256], want[64];
	char gw_hex[16], line[256];
	pid_t inside;
	struct pair p;
	struct run r;

	random_prefix(name, sizeof(name));
	random_pair(&p);
	run_hold(&r, ARGS("-q", "-a", p.host_arg, "-b", p.inside_arg, "-n", name,
			  "--", BUSYBOX, "sh", "-c",
			  "echo '@@ addr'; busybox ip -o -4 addr; "
			  "echo '@@ link'; busybox ip -o link; "
			  "echo '@@ route'; cat /proc/net/route; echo '@@'; "
			  "exec \"$0\" --hold", probe_bin()), NULL);
	snprintf(want_if, sizeof(want_if), "%s%db", name, (int)r.pid);
	check_no_refusal(&r);

	/* Exactly two links, lo and our end of the pair, named as asked
	 * (besides the kernel's fallback tunnel devices, if any). */
	inside = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(inside, 0, "cannot find the command among net's children");
	links_inside(inside, names, sizeof(names), extra, sizeof(extra));
	snprintf(want, sizeof(want), "lo %s ", want_if);
	cr_assert_str_eq(names, want, "inside there are the links \"%s\"; expected "
			 "exactly lo and the veth end, \"%s\" (NAME + launcher pid "
			 "+ b)%s%s", names, want, *extra ? ", besides the kernel's "
			 "fallback devices " : "", extra);

	/* Both up; lo up gives it 127.0.0.1. */
	section(r.out, "link", buf, sizeof(buf));
	cr_assert(strstr(buf, "lo: <LOOPBACK,UP"), "lo is not up inside: bring lo "
		  "up, it starts down in a new namespace: %s", buf);
	snprintf(want, sizeof(want), "%s@", want_if);
	cr_assert(strstr(buf, want) && strstr(strstr(buf, want), ",UP"),
		  "the veth end %s is not up inside: %s", want_if, buf);
	section(r.out, "addr", buf, sizeof(buf));
	cr_assert(strstr(buf, "inet 127.0.0.1/8"), "lo has no 127.0.0.1 inside: "
		  "bring lo up: %s", buf);
	snprintf(want, sizeof(want), "inet %s/%d", p.inside_s, p.prefix);
	cr_assert(strstr(buf, want), "inside, the veth end should have %s/%d "
		  "(from -b); ip addr says: %s", p.inside_s, p.prefix, buf);
	cr_assert(strstr(line_of(buf, want, line, sizeof(line)), want_if),
		  "the address %s is not on %s: %s", p.inside_arg, want_if, line);

	/* The default route: destination 0, through the parent's address,
	 * out of our end (/proc/net/route prints addresses as %08X). */
	section(r.out, "route", buf, sizeof(buf));
	snprintf(gw_hex, sizeof(gw_hex), "%08X", (unsigned)p.host.s_addr);
	snprintf(want, sizeof(want), "%s\t00000000\t%s", want_if, gw_hex);
	cr_assert(strstr(buf, want), "no default route via %s (-a) on %s inside; "
		  "/proc/net/route says: %s", p.host_s, want_if, buf);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert(links_gone(name, 0.1), "%s%da is still here after net exited",
		  name, (int)r.pid);
	run_free(&r);
}

Test(net, all_packets_cross_the_pair_both_ways)
{
	struct run_opts o = {.keep_stdin = true};
	char name[8], host_if[IFNAMSIZ], cmd[256], buf[2048], want[64];
	struct pair p;
	struct run r;
	int rc;

	random_prefix(name, sizeof(name));
	random_pair(&p);
	/* Inside: ping the parent's end, say how it went, then hold. */
	snprintf(cmd, sizeof(cmd),
		 "if busybox ping -c 1 -W 3 %s >/dev/null; then echo out-ok; "
		 "else echo out-failed; fi; read x; echo bye",
		 p.host_s);
	run_start(&r, ARGS("-q", "-a", p.host_arg, "-b", p.inside_arg, "-n", name,
			   "--", BUSYBOX, "sh", "-c", cmd), &o);
	cr_assert(run_wait_output(&r, "out-", RUN_TIMEOUT),
		  "the command never ran; %s", why(&r));
	cr_assert(strstr(r.out, "out-ok"), "from inside, ping %s (the parent's end, "
		  "-a) got no answer: check both ends' addresses, that both are up "
		  "and the default route; %s", p.host_s, why(&r));

	/* Here: our end exists, with its address, and the child answers. */
	snprintf(host_if, sizeof(host_if), "%s%da", name, (int)r.pid);
	cr_assert_eq(links_here(host_if, NULL, 0), 1, "while the command runs, the "
		     "parent's end %s should be in the parent's namespace", host_if);
	rc = run_here(ARGS(BUSYBOX, "ip", "-o", "-4", "addr", "show", "dev", host_if),
		      buf, sizeof(buf));
	snprintf(want, sizeof(want), "inet %s/%d", p.host_s, p.prefix);
	cr_assert(rc == 0 && strstr(buf, want), "the parent's end %s should have "
		  "%s (from -a); ip addr says: %s", host_if, p.host_arg, buf);
	rc = run_here(ARGS(BUSYBOX, "ping", "-c", "1", "-W", "3", p.inside_s), buf,
		      sizeof(buf));
	cr_assert_eq(rc, 0, "from the parent's namespace, ping %s (the child's end, "
		     "-b) got no answer: %s", p.inside_s, buf);

	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	cr_assert(strstr(r.out, "bye"), "the command did not finish normally");
	cr_assert(links_gone(name, 0.1), "%s is still here after net exited: the pair "
		  "must go with the namespace", host_if);
	run_free(&r);
}

Test(net, s3_default_addresses_work)
{
	char name[8];
	struct run r;

	random_prefix(name, sizeof(name));
	run_lesson(&r, ARGS("-q", "-n", name, "--", BUSYBOX, "sh", "-c",
			    "gw=$(busybox ip route | busybox sed -n "
			    "'s/^default via \\([0-9.]*\\) .*/\\1/p'); echo gw=$gw; "
			    "busybox ping -c 1 -W 3 $gw >/dev/null && echo ping-ok"));
	cr_assert_eq(r.code, 0, "without -a and -b, the default addresses should "
		     "work (the command printed \"%s\"); %s", r.out, why(&r));
	cr_assert(strstr(r.out, "gw=1") && strstr(r.out, "ping-ok"),
		  "without -a and -b, there should be a default route whose gateway "
		  "answers: %s", r.out);
	run_free(&r);
}

Test(net, all_no_link_is_left_after_the_command_ends)
{
	char name[8], left[128], names[256], want_if[IFNAMSIZ];
	struct pair p;
	struct run r;

	random_prefix(name, sizeof(name));
	random_pair(&p);
	run_lesson(&r, ARGS("-q", "-a", p.host_arg, "-b", p.inside_arg, "-n", name,
			    "--", "/bin/cat", "/proc/net/dev"));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	snprintf(want_if, sizeof(want_if), "%s%db ", name, (int)r.pid);
	dev_names(r.out, names, sizeof(names));
	cr_assert(strstr(names, want_if), "the veth end %s was never inside (links "
		  "there: %s); %s", want_if, names, why(&r));
	/* The lesson has exited: checked right away, no grace. */
	cr_assert_eq(links_here(name, left, sizeof(left)), 0, "after net exited, "
		     "these links are still here: %s; the parent's end goes with "
		     "the child's namespace (wait for it, or delete it)", left);
	run_free(&r);
}

Test(net, all_sigkill_mid_run_leaves_no_link)
{
	char name[8], host_if[IFNAMSIZ], left[128];
	struct pair p;
	struct run r;

	random_prefix(name, sizeof(name));
	random_pair(&p);
	run_hold(&r, ARGS("-q", "-a", p.host_arg, "-b", p.inside_arg, "-n", name,
			   "--", probe_bin(), "--hold"), NULL);
	snprintf(host_if, sizeof(host_if), "%s%da", name, (int)r.pid);
	cr_assert_eq(links_here(host_if, NULL, 0), 1, "while the command runs, the "
		     "parent's end %s should be here", host_if);
	kill(r.pid, SIGKILL);
	/* The child dies with the launcher (PR_SET_PDEATHSIG); its
	 * namespace, and with it the pair, go a moment later. */
	cr_assert(links_gone(name, 5.0), "5 s after SIGKILL of net, links are still "
		  "here: %s", (links_here(name, left, sizeof(left)), left));
	run_finish(&r); /* also fails on any other leftover */
	cr_assert_eq(r.code, 128 + SIGKILL);
	run_free(&r);
}

/* What the command starts in the background keeps the network namespace,
 * and with it the parent's end of the pair, alive after a SIGKILL of the
 * launcher: unless the child is PID 1 of a PID namespace of its own,
 * whose death takes every process in it down. */
Test(net, all_sigkill_with_a_background_child_leaves_no_link_and_no_process)
{
	char name[8], host_if[IFNAMSIZ], left[128];
	struct run r;

	random_prefix(name, sizeof(name));
	run_hold(&r, ARGS("-q", "-n", name, "--", BUSYBOX, "sh", "-c",
			  "/bin/sleep 20 & exec \"$0\" --hold", probe_bin()), NULL);
	snprintf(host_if, sizeof(host_if), "%s%da", name, (int)r.pid);
	cr_assert_eq(links_here(host_if, NULL, 0), 1, "while the command runs, the "
		     "parent's end %s should be here", host_if);
	cr_assert_gt(find_descendant(r.pid, "sleep", 2.0), 0, "the command's "
		     "background sleep never started; %s", why(&r));
	kill(r.pid, SIGKILL);
	cr_assert(links_gone(name, 5.0), "5 s after SIGKILL of net, while the "
		  "command had a background child, links are still here: %s; the "
		  "child keeps the namespace alive unless it dies with the child, "
		  "PID 1 of a new PID namespace (CLONE_NEWPID)",
		  (links_here(name, left, sizeof(left)), left));
	run_finish(&r); /* fails on any process left, or other leftover */
	cr_assert_eq(r.code, 128 + SIGKILL);
	run_free(&r);
}

/* Bad -a/-b: exit 2, an error that quotes the argument, nothing created
 * (run_finish compares this namespace's links, routes and addresses). */
static void check_refused(const char *what, const char *a, const char *b,
			  const char *quoted)
{
	char name[8];
	struct run r;

	random_prefix(name, sizeof(name));
	if (b)
		run_lesson(&r, ARGS("-q", "-n", name, "-a", a, "-b", b, "--",
				    probe_bin()));
	else
		run_lesson(&r, ARGS("-q", "-n", name, "-a", a, "--", probe_bin()));
	cr_assert_eq(r.code, 2, "%s (-a %s -b %s) should exit 2, got %d; %s", what,
		     a, b ? b : "(none)", r.code, why(&r));
	cr_assert(strstr(r.err, quoted), "the error for %s should quote \"%s\"; %s",
		  what, quoted, why(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway (%s)", what);
	cr_assert(links_gone(name, 0.1), "a link is left after refusing %s", what);
	run_free(&r);
}

Test(net, all_bad_address_or_prefix_is_refused)
{
	int x = random_between(1, 254), y = random_between(1, 254);
	int prefix = random_between(16, 29);
	char a[40], b[40], bad[40];

	snprintf(a, sizeof(a), "10.%d.%d.1/%d", x, y, prefix);
	snprintf(b, sizeof(b), "10.%d.%d.2/%d", x, y, prefix);

	snprintf(bad, sizeof(bad), "10.%d.%d.%d/%d", x, y, random_between(256, 999),
		 prefix);
	check_refused("an octet over 255", bad, b, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d/%d", x, y, prefix);
	check_refused("three octets", bad, b, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d.1", x, y);
	check_refused("no prefix length", bad, b, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d.2/%d", x, y, random_between(33, 99));
	check_refused("a prefix over 32", a, bad, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d.2/0", x, y);
	check_refused("a prefix of 0", a, bad, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d.2/x%d", x, y, prefix);
	check_refused("a prefix that is not a number", a, bad, bad);
	snprintf(bad, sizeof(bad), "10.%d.%d.2/%d", x, y ^ 1, 24);
	snprintf(a, sizeof(a), "10.%d.%d.1/24", x, y);
	check_refused("two subnets", a, bad, a);
	check_refused("the same address twice", a, a, a);
	check_refused("-a without -b", a, NULL, "-b");
}

Test(net, all_name_too_long_or_odd_is_refused)
{
	char name[24];
	struct run r;

	/* NAME + pid + "a" must fit in 15 characters. */
	random_name(name, sizeof(name), "n", random_between(16, 23));
	run_lesson(&r, ARGS("-q", "-n", name, "--", probe_bin()));
	cr_assert_eq(r.code, 2, "a %zu-character -n should exit 2, got %d; %s",
		     strlen(name), r.code, why(&r));
	cr_assert(strstr(r.err, "15"), "the error should give the limit of an "
		  "interface name, 15 characters; %s", why(&r));
	cr_assert(!strstr(r.out, "nslab-probe"), "the command ran anyway");
	cr_assert(links_gone(name, 0.1), "a link is left after refusing the name");
	run_free(&r);

	random_name(name, sizeof(name), "a/", 5);
	run_lesson(&r, ARGS("-q", "-n", name, "--", probe_bin()));
	cr_assert_eq(r.code, 2, "-n %s (a \"/\" in a link name) should exit 2, got "
		     "%d; %s", name, r.code, why(&r));
	cr_assert(strstr(r.err, name), "the error should quote the name; %s", why(&r));
	run_free(&r);
}

Test(net, all_subnet_the_host_uses_is_refused)
{
	char used[64], a[32], b[32];
	int x = random_between(16, 250), y = random_between(0, 255);
	const struct lesson net_l = {.program = "net"};

	/* In the test's network namespace (private), an address on lo
	 * stands for the network a real host is on. */
	snprintf(used, sizeof(used), "ip addr add 10.%d.%d.1/24 dev lo", x, y);
	cr_assert_eq(system(used), 0, "cannot configure an address in the test's namespace");
	harness_rebase();
	snprintf(a, sizeof(a), "10.%d.%d.%d/30", x, y, 4 * random_between(2, 60) + 1);
	snprintf(b, sizeof(b), "10.%d.%d.%d/30", x, y, atoi(strrchr(a, '.') + 1) + 1);
	const struct bad_input rows[] = {
		BAD(1, "overlaps", "-q", "-a", a, "-b", b, "--", probe_bin()),
	};

	check_bad_inputs(&net_l, rows, 1);
}

/* ---- the challenge: -B BRIDGE, two children on one bridge ------------ */

/* A bridge of the test's own network namespace, up, with no address:
 * the two children's ends behind it are the only hosts on it. */
static void make_bridge(char *name, size_t size)
{
	char out[512];

	snprintf(name, size, "tbr%d", (int)getpid() % 1000000);
	cr_assert_eq(run_here(ARGS(BUSYBOX, "ip", "link", "add", name, "type", "bridge"),
			      out, sizeof(out)), 0, "ip link add %s type bridge: %s", name, out);
	cr_assert_eq(run_here(ARGS(BUSYBOX, "ip", "link", "set", name, "up"), out,
			      sizeof(out)), 0, "ip link set %s up: %s", name, out);
	/* The bridge is the test's, made on purpose. */
	harness_rebase();
}

/* Is `port` a port of `bridge` here: does `ip link show` name the
 * bridge its master? (/sys/class/net is the namespace of the sysfs
 * mount, the real host's, not the test's.) */
static bool is_port(const char *bridge, const char *port)
{
	char out[1024], master[32];

	snprintf(master, sizeof(master), " master %s ", bridge);
	return run_here(ARGS(BUSYBOX, "ip", "-o", "link", "show", "dev", port), out,
			sizeof(out)) == 0 && strstr(out, master);
}

/* Three addresses of one random /24 of 10.0.0.0/8: the gateway (.1, which
 * nobody has), and one for each of two children. */
struct lan {
	char gw[24], a[24], b[24], a_s[INET_ADDRSTRLEN];
};

static void random_lan(struct lan *l)
{
	int x = random_between(0, 255), y = random_between(0, 255);
	int ia = random_between(2, 126), ib = random_between(128, 254);

	snprintf(l->gw, sizeof(l->gw), "10.%d.%d.1/24", x, y);
	snprintf(l->a_s, sizeof(l->a_s), "10.%d.%d.%d", x, y, ia);
	snprintf(l->a, sizeof(l->a), "%s/24", l->a_s);
	snprintf(l->b, sizeof(l->b), "10.%d.%d.%d/24", x, y, ib);
}

Test(net, challenge_two_children_on_one_bridge_ping_each_other)
{
	char bridge[IFNAMSIZ], a_if[IFNAMSIZ], script[256], out[4096];
	struct run a;
	struct lan l;
	int code;

	if (!harness_isolated())
		cr_skip_test("a bridge needs a network namespace of the test's own (as root)");
	random_lan(&l);
	make_bridge(bridge, sizeof(bridge));

	run_hold(&a, ARGS("-q", "-B", bridge, "-a", l.gw, "-b", l.a, "--",
			  probe_bin(), "--hold"), NULL);
	snprintf(a_if, sizeof(a_if), "veth%da", (int)a.pid);
	cr_assert(is_port(bridge, a_if), "net -B %s: the parent's end %s is not a "
		  "port of %s (ip link show %s names no master %s); %s", bridge, a_if,
		  bridge, a_if, bridge, why(&a));
	snprintf(script, sizeof(script), "busybox ping -c 1 -W 3 %s >/dev/null && "
		 "echo ping-ok", l.a_s);
	/* The second child runs while the first holds, so the harness's
	 * check after each run would count the first one's end as a change:
	 * the second is run plainly, and the check after the first covers
	 * both. */
	code = run_here(ARGS(lesson_bin(), "-q", "-B", bridge, "-a", l.gw, "-b", l.b, "--",
			     "/bin/sh", "-c", script), out, sizeof(out));
	cr_assert(strstr(out, "ping-ok"), "net -B %s -b %s: from the second child, "
		  "ping %s (the first child's end, on the same bridge) failed: both "
		  "parents' ends must be ports of %s, and up; it printed \"%s\"",
		  bridge, l.b, l.a_s, bridge, out);
	cr_assert_eq(code, 0, "the second child: exit status %d; it printed \"%s\"",
		     code, out);
	run_finish(&a);
	cr_assert_eq(a.code, 0, "the first child: exit status %d; %s", a.code, why(&a));
	run_free(&a);
}

Test(net, challenge_bridge_port_has_no_address_and_goes_with_the_namespace)
{
	char bridge[IFNAMSIZ], a_if[IFNAMSIZ], out[512];
	struct run a;
	struct pair p;

	if (!harness_isolated())
		cr_skip_test("a bridge needs a network namespace of the test's own (as root)");
	random_pair(&p);
	make_bridge(bridge, sizeof(bridge));
	run_hold(&a, ARGS("-q", "-B", bridge, "-a", p.host_arg, "-b", p.inside_arg, "--",
			  probe_bin(), "--hold"), NULL);
	snprintf(a_if, sizeof(a_if), "veth%da", (int)a.pid);
	cr_assert(is_port(bridge, a_if), "net -B %s: %s is not a port of %s; %s",
		  bridge, a_if, bridge, why(&a));
	run_here(ARGS(BUSYBOX, "ip", "-o", "-4", "addr", "show", "dev", a_if), out,
		 sizeof(out));
	cr_assert(!strstr(out, p.host_s), "net -B: the port %s has the address %s "
		  "(\"%s\"): a bridge's port carries frames, -a is only the children's "
		  "gateway", a_if, p.host_s, out);
	run_finish(&a);
	cr_assert_eq(a.code, 0, "exit status %d; %s", a.code, why(&a));
	cr_assert(!is_port(bridge, a_if), "%s is still a port of %s after the "
		  "run", a_if, bridge);
	run_free(&a);
}

Test(net, challenge_missing_bridge_is_an_error)
{
	char missing[IFNAMSIZ];

	random_name(missing, sizeof(missing), "nobr", 10);
	const struct bad_input rows[] = {
		BAD(1, missing, "-B", missing, "--", probe_bin()),
	};

	check_bad_inputs(&net_lesson, rows, sizeof(rows) / sizeof(rows[0]));
}
