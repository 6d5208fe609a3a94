/* rtnl.c - rtnetlink requests for the nslab lessons (see rtnl.h). */
#define _GNU_SOURCE
#include "rtnl.h"
#include "nslab.h"

#include <err.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rtnl_open(struct rtnl *nl)
{
	struct sockaddr_nl me = {.nl_family = AF_NETLINK}; /* nl_pid 0: any */
	socklen_t len = sizeof(me);
	int one = 1, got = 0;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd == -1)
		return -errno;
	/* Bound with port 0, the kernel picks our port id; the acks we
	 * wait for carry it (netlink(7), "nl_pid"). */
	if (bind(nl->fd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
	    getsockname(nl->fd, (struct sockaddr *)&me, &len) == -1) {
		int e = -errno;

		close(nl->fd);
		nl->fd = -1;
		return e;
	}
	nl->port = me.nl_pid;
	/* Errors with a sentence (NLMSGERR_ATTR_MSG), and acks without a
	 * copy of our request (netlink(7), NETLINK_EXT_ACK, NETLINK_CAP_ACK;
	 * Linux 4.12 and 4.3). Older kernels refuse: ask what took effect. */
	len = sizeof(got);
	nl->ext_ack = setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
				 sizeof(one)) == 0 &&
		      getsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &got, &len) == 0 &&
		      got == 1;
	len = sizeof(got);
	got = 0;
	nl->cap_ack = setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
				 sizeof(one)) == 0 &&
		      getsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &got, &len) == 0 &&
		      got == 1;
	return 0;
}

void rtnl_close(struct rtnl *nl)
{
	if (nl->fd != -1)
		close(nl->fd);
	nl->fd = -1;
}

/* ---- building a request ------------------------------------------------ */

void *rtnl_start(struct rtnl_req *req, int type, int flags, size_t fixed)
{
	if (NLMSG_SPACE(fixed) > sizeof(*req))
		errx(EXIT_FAILURE, "rtnetlink request: a fixed header of %zu bytes "
		     "does not fit", fixed);
	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(fixed);
	req->hdr.nlmsg_type = type;
	req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&req->hdr);
}

struct rtattr *rtnl_attr(struct rtnl_req *req, int type, const void *data,
			 size_t len)
{
	size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)((char *)req + at);

	if (at + RTA_SPACE(len) > sizeof(*req))
		errx(EXIT_FAILURE, "rtnetlink request: no room for attribute %d "
		     "(%zu bytes)", type, len);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(rta), data, len);
	else
		memset(RTA_DATA(rta), 0, len);
	req->hdr.nlmsg_len = at + RTA_SPACE(len);
	return rta;
}

struct rtattr *rtnl_attr_str(struct rtnl_req *req, int type, const char *s)
{
	return rtnl_attr(req, type, s, strlen(s) + 1);
}

struct rtattr *rtnl_attr_u32(struct rtnl_req *req, int type, uint32_t value)
{
	return rtnl_attr(req, type, &value, sizeof(value));
}

struct rtattr *rtnl_nest_begin(struct rtnl_req *req, int type)
{
	return rtnl_attr(req, type, NULL, 0);
}

void rtnl_nest_end(struct rtnl_req *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->hdr.nlmsg_len - (char *)nest;
}

/* ---- talking to the kernel --------------------------------------------- */

/* The kernel's sentence in an ack: after struct nlmsgerr (and, unless
 * NLM_F_CAPPED, after the copy of our request) come attributes, one of
 * them NLMSGERR_ATTR_MSG (linux/netlink.h). */
static void read_ext_ack(struct rtnl *nl, const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t payload = sizeof(e->error) +
			 (nh->nlmsg_flags & NLM_F_CAPPED ? sizeof(e->msg)
							 : e->msg.nlmsg_len);
	const char *at = (const char *)NLMSG_DATA(nh) + NLMSG_ALIGN(payload);
	const char *end = (const char *)nh + nh->nlmsg_len;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (at + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)at;

		if (a->nla_len < NLA_HDRLEN || at + a->nla_len > end)
			return;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(nl->why, sizeof(nl->why), "%.*s",
				 (int)strnlen(at + NLA_HDRLEN, a->nla_len - NLA_HDRLEN),
				 at + NLA_HDRLEN);
		at += NLA_ALIGN(a->nla_len);
	}
}

int rtnl_talk(struct rtnl *nl, struct rtnl_req *req)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK}; /* port 0 */
	/* Room for an ack that copies our whole request back. */
	char buf[sizeof(*req) + 1024] __attribute__((aligned(NLMSG_ALIGNTO)));

	req->hdr.nlmsg_seq = ++nl->seq;
	req->hdr.nlmsg_pid = nl->port;
	nl->why[0] = '\0';
	if (sendto(nl->fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) == -1)
		return -errno;
	for (;;) {
		struct sockaddr_nl from = {0};
		socklen_t len = sizeof(from);
		/* MSG_TRUNC: the real length, even of a message too long. */
		ssize_t n = recvfrom(nl->fd, buf, sizeof(buf), MSG_TRUNC,
				     (struct sockaddr *)&from, &len);
		ssize_t left;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		left = n;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			/* Only the answer to this request counts: an old ack,
			 * or a notification, has another number. */
			if (nh->nlmsg_seq != nl->seq || nh->nlmsg_pid != nl->port ||
			    nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG; /* too short to hold its error */
			if (e->error)
				read_ext_ack(nl, nh);
			return e->error;
		}
	}
}

void rtnl_check(const struct rtnl *nl, int error, const char *fmt, ...)
{
	char what[200], why[300] = "";
	const char *next = "";
	va_list ap;

	if (error == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl->why[0])
		snprintf(why, sizeof(why), " (the kernel says: \"%s\")", nl->why);
	switch (-error) {
	case EPERM:
		next = "; configuring a network namespace needs CAP_NET_ADMIN in it";
		break;
	case EOPNOTSUPP:
		next = "; the kernel found no kind of link it has a driver for: "
		       "the driver is missing (for a veth: modprobe veth), the "
		       "kind is misspelt, or the nesting is wrong";
		break;
	case EEXIST:
		next = "; it exists already: an earlier run left it, or another "
		       "program made it (ip link, ip address, ip route show it)";
		break;
	case ENETUNREACH:
	case ENETDOWN:
		next = "; a gateway must be reachable through a route that exists "
		       "already, on a link that is up";
		break;
	case ESRCH:
		next = "; the process whose namespace was named is gone";
		break;
	}
	if (-error == EPERM)
		errx(EXIT_FAILURE, "%s: %s%s%s; run as root: sudo %s", what,
		     strerror(-error), why, next, nslab_make_target());
	errx(EXIT_FAILURE, "%s: %s%s%s", what, strerror(-error), why, next);
}

/* ---- the requests every network setup needs --------------------------- */

int rtnl_link_up(struct rtnl *nl, int index)
{
	struct rtnl_req req;
	struct ifinfomsg *ifi = rtnl_start(&req, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return rtnl_talk(nl, &req);
}

int rtnl_link_del(struct rtnl *nl, int index)
{
	struct rtnl_req req;
	struct ifinfomsg *ifi = rtnl_start(&req, RTM_DELLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return rtnl_talk(nl, &req);
}

int rtnl_addr_add(struct rtnl *nl, int index, struct in_addr addr, int prefix)
{
	struct rtnl_req req;
	struct ifaddrmsg *ifa = rtnl_start(&req, RTM_NEWADDR,
					   NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)index;
	/* IFA_LOCAL is the address; IFA_ADDRESS the peer's on a
	 * point-to-point link, the same on ours (rtnetlink(7)). */
	rtnl_attr(&req, IFA_LOCAL, &addr, sizeof(addr));
	rtnl_attr(&req, IFA_ADDRESS, &addr, sizeof(addr));
	return rtnl_talk(nl, &req);
}

int rtnl_route_add_default(struct rtnl *nl, int index, struct in_addr gateway)
{
	struct rtnl_req req;
	struct rtmsg *rtm = rtnl_start(&req, RTM_NEWROUTE,
				       NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0; /* matches every destination */
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT; /* what `ip route add` says */
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	rtnl_attr(&req, RTA_GATEWAY, &gateway, sizeof(gateway));
	if (index > 0)
		rtnl_attr_u32(&req, RTA_OIF, (uint32_t)index);
	return rtnl_talk(nl, &req);
}
