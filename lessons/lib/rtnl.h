/* rtnl.h - rtnetlink requests, for the lessons that wire up a network.
 *
 * `ip link`, `ip address` and `ip route` are thin wrappers around
 * messages sent to the kernel on a netlink socket of the NETLINK_ROUTE
 * family (netlink(7), rtnetlink(7)). A request is
 *
 *   struct nlmsghdr   length, type (RTM_NEWLINK...), flags, sequence
 *                     number, port id (linux/netlink.h)
 *   a fixed header    struct ifinfomsg for a link, ifaddrmsg for an
 *                     address, rtmsg for a route (linux/rtnetlink.h)
 *   attributes        struct rtattr (length, type), then the value,
 *                     padded to 4 bytes. A value may itself be a list of
 *                     attributes: a nest.
 *
 * The attribute types are in the kernel's headers: IFLA_* for links in
 * linux/if_link.h, IFA_* for addresses in linux/if_addr.h, RTA_* for
 * routes in linux/rtnetlink.h, and each kind of link has its own (veth's
 * in linux/veth.h). With NLM_F_ACK the kernel answers every request with
 * an NLMSG_ERROR message: 0 on success, or -errno (netlink(7)).
 *
 * A netlink socket talks to the network namespace it was created in, for
 * as long as it lives: open one in each namespace you configure.
 *
 * Lesson 05 teaches this; lesson 07 uses it.
 */
#ifndef RTNL_H
#define RTNL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A NETLINK_ROUTE socket of the caller's network namespace. */
struct rtnl {
	int fd;
	uint32_t port;  /* our port id, as the kernel bound it */
	uint32_t seq;   /* the sequence number of the last request */
	bool ext_ack;   /* NETLINK_EXT_ACK took effect: errors come with text */
	bool cap_ack;   /* NETLINK_CAP_ACK took effect: acks without our copy */
	char why[256];  /* the kernel's text about the last error, or "" */
};

/* Open and bind the socket, and ask for extended acks. 0 or -errno. */
int rtnl_open(struct rtnl *nl);
void rtnl_close(struct rtnl *nl);

/* tag::builder[] */
/* ---- building a request ------------------------------------------------ */

struct rtnl_req {
	struct nlmsghdr hdr; /* then the fixed header, then attributes */
	char room[1024];
};

/* Start a request of `type` (RTM_NEWLINK...) with `flags` besides
 * NLM_F_REQUEST | NLM_F_ACK (say NLM_F_CREATE | NLM_F_EXCL), and a fixed
 * header of `fixed` bytes, zeroed: returns it, to fill in. */
void *rtnl_start(struct rtnl_req *req, int type, int flags, size_t fixed);

/* Append an attribute of `type` with `len` bytes of `data` (NULL: zeros).
 * Returns it: any attribute can be opened as a nest, since everything
 * appended after it, until rtnl_nest_end(), becomes part of its value,
 * after the `len` bytes it started with. */
struct rtattr *rtnl_attr(struct rtnl_req *req, int type, const void *data,
			 size_t len);
/* A string attribute, with its terminating NUL; a 32-bit number. */
struct rtattr *rtnl_attr_str(struct rtnl_req *req, int type, const char *s);
struct rtattr *rtnl_attr_u32(struct rtnl_req *req, int type, uint32_t value);
/* An empty attribute that nested ones will fill: rtnl_attr(req, type,
 * NULL, 0). */
struct rtattr *rtnl_nest_begin(struct rtnl_req *req, int type);
/* Close a nest: its length now covers everything appended since it was
 * opened. Close the innermost first. */
void rtnl_nest_end(struct rtnl_req *req, struct rtattr *nest);

/* ---- talking to the kernel --------------------------------------------- */

/* Send the request and read the kernel's answer to it: the NLMSG_ERROR
 * with our sequence number and port id. 0, or -errno; on an error
 * nl->why holds the kernel's explanation when it gave one. */
int rtnl_talk(struct rtnl *nl, struct rtnl_req *req);

/* Unless `error` is 0, exit with a message: `fmt` (what was asked), the
 * errno text, the kernel's explanation, and the next step for the errors
 * students meet (EPERM: root; EOPNOTSUPP: the driver; EEXIST...). */
void rtnl_check(const struct rtnl *nl, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* end::builder[] */

/* tag::requests[] */
/* ---- the requests every network setup needs ---------------------------
 *
 * Each returns 0 or -errno (nl->why says more), and changes nothing on
 * failure. A link is named by its index, the number the kernel gave it:
 * a name can be given to another link in the meantime, an index is not
 * reused while the link lives. */

/* The index of link `name` in the caller's network namespace, or -errno
 * (-ENODEV: no such link here). */
int rtnl_link_index(const char *name);
/* ip link set dev INDEX up: RTM_NEWLINK on an existing link, ifi_change
 * saying which flags to touch and ifi_flags their new values. */
int rtnl_link_up(struct rtnl *nl, int index);
/* ip link delete dev INDEX: RTM_DELLINK. */
int rtnl_link_del(struct rtnl *nl, int index);
/* ip address add ADDR/PREFIX dev INDEX: RTM_NEWADDR. Once the link is
 * also up, the kernel adds the route to the subnet through it ("proto
 * kernel" in ip route), which makes the other hosts there reachable. */
int rtnl_addr_add(struct rtnl *nl, int index, struct in_addr addr, int prefix);
/* ip route add default via GATEWAY [dev INDEX] (index 0: any link):
 * RTM_NEWROUTE with a destination of length 0. The kernel accepts a
 * gateway only if a route to it exists already, on a link that is up. */
int rtnl_route_add_default(struct rtnl *nl, int index, struct in_addr gateway);
/* end::requests[] */

/* ---- looking ------------------------------------------------------------ */

/* "lo (up, 127.0.0.1/8), veth4242b (down)": the links of the caller's
 * network namespace (only link `only` unless it is NULL), in index
 * order, up or down, with their IPv4 addresses. */
const char *rtnl_describe_links(const char *only, char *buf, size_t size);
/* The gateway of the default IPv4 route of the main table, as text, or
 * "none" (/proc/self/net/route). */
const char *rtnl_default_gateway(char *buf, size_t size);
/* Wait, at most `ms` milliseconds, until link `name` is RUNNING: up with
 * its carrier on, which for a veth means both ends are up. The kernel
 * sets that a moment after "up", in the background (operstate, in the
 * kernel's Documentation/networking/operstates.rst). */
void rtnl_wait_running(const char *name, int ms);
/* Wait, at most `ms` milliseconds, until link `name` is gone from the
 * caller's network namespace: how many it took, or -1 if it is still
 * there. */
long rtnl_wait_gone(const char *name, int ms);

/* ---- options ------------------------------------------------------------ */

/* "10.200.0.1/30" (option -OPT) into an address and a prefix length from
 * 1 to 31; exit 2 with the reason if it is not one an interface can have. */
void parse_ipv4_prefix(char opt, const char *arg, struct in_addr *addr,
		       int *prefix);
/* Exit 2 unless the two ends (texts a, b) are distinct hosts of one
 * subnet with the same prefix: each reaches the other through the route
 * to that subnet. */
void check_ipv4_pair(const char *a, const char *b, struct in_addr host,
		     int host_prefix, struct in_addr inside, int inside_prefix);
/* "10.7.0.2/24": an address with a prefix length from 1 to 30 that is a
 * host of its subnet (not the first or the last), and the gateway a host
 * behind a veth uses: the subnet's first host address, or the second if
 * ADDR is the first. False if TEXT is not one. */
bool parse_ipv4_host(const char *text, struct in_addr *addr, int *prefix,
		     struct in_addr *gateway);
/* Exit 2 unless NAME, the start of link names (-n), has 1 to `max`
 * letters, digits, - or _: the rest of the 15 bytes is for a pid. */
void check_link_prefix(const char *name, int max);

#endif
