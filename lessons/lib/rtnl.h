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
 * Lesson 05 teaches this; lesson 07 uses it. What a namespace has is read
 * without netlink: links.h.
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
 * failure. A link is named by its index, the number the kernel gave it
 * (link_index() in links.h). */

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

#endif
