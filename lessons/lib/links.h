/* links.h - what the caller's network namespace has, read without
 * netlink: a link's index (if_nametoindex(3)), the links and their IPv4
 * addresses (if_nameindex(3), getifaddrs(3)), the default route
 * (/proc/self/net/route), and a link's flags (SIOCGIFFLAGS, netdevice(7)).
 * Lesson 05 teaches the netlink requests that change these (rtnl.h).
 */
#ifndef NSLAB_LINKS_H
#define NSLAB_LINKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* The index of link `name` in the caller's network namespace, or -errno
 * (-ENODEV: no such link here). A link is named by its index in a
 * request: a name can be given to another link in the meantime, an index
 * is not reused while the link lives. */
int link_index(const char *name);

/* "lo (up, 127.0.0.1/8), veth4242b (down)": the links of the caller's
 * network namespace (only link `only` unless it is NULL), in index
 * order, up or down, with their IPv4 addresses. */
const char *describe_links(const char *only, char *buf, size_t size);
/* The gateway of the default IPv4 route of the main table, as text, or
 * "none". */
const char *default_gateway(char *buf, size_t size);

/* Wait, at most `ms` milliseconds, until link `name` is RUNNING: up with
 * its carrier on, which for a veth means both ends are up. The kernel
 * sets that a moment after "up", in the background (operstate, in the
 * kernel's Documentation/networking/operstates.rst). */
void wait_link_running(const char *name, int ms);
/* Wait, at most `ms` milliseconds, until link `name` is gone from the
 * caller's network namespace: how many it took, or -1 if it is still
 * there. */
long wait_link_gone(const char *name, int ms);

/* Does this network namespace use subnet ADDR/PREFIX already: an
 * address of a link, or a route of the main table (not the default
 * route), in it? Then `why` says whose ("eth0's network (192.168.1.5/24)"). */
bool subnet_in_use(struct in_addr addr, int prefix, char *why, size_t size);
/* Refuse (exit 1) a subnet this network namespace already uses: an
 * address there would take over the host's own routes. `what` names the
 * option in the message. */
void check_subnet_free(struct in_addr addr, int prefix, const char *what);

/* Exit 2 unless NAME, the start of link names (-n), has 1 to `max`
 * letters, digits, - or _: the rest of the 15 bytes is for a pid. */
void check_link_prefix(const char *name, int max);

#endif
