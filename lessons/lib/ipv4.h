/* ipv4.h - IPv4 addresses with a prefix length, as the lessons' options
 * take them ("10.200.0.1/30"), and how two subnets relate.
 *
 * These functions only compute: they return what is wrong, and the
 * lesson decides how to die (bad usage: exit 2, quoting the option).
 */
#ifndef NSLAB_IPV4_H
#define NSLAB_IPV4_H

#include <netinet/in.h>
#include <stdbool.h>

/* TEXT as ADDR/PREFIX, one rule for every lesson: four numbers from 0 to
 * 255, a prefix length from 1 to 31, an address an interface may have
 * (not 0.x, 127.x loopback, 224.x and up), and in a subnet of more than
 * two addresses neither its first (the network) nor its last (the
 * broadcast address): a /31 has two hosts and no such pair (RFC 3021).
 * NULL when it is one, with *addr and *prefix set; otherwise why not. */
const char *ipv4_parse(const char *text, struct in_addr *addr, int *prefix);

/* Do subnets A/PA and B/PB share an address? They do when they agree on
 * the bits of the shorter prefix. */
bool ipv4_overlap(struct in_addr a, int pa, struct in_addr b, int pb);

/* The gateway of a host ADDR/PREFIX at the end of a veth: the subnet's
 * first host address, or its second if ADDR is the first; in a /31, the
 * other address. */
struct in_addr ipv4_gateway(struct in_addr addr, int prefix);

/* The two ends of one link (lesson 05's -a and -b): distinct hosts of
 * one subnet, with the same prefix, so that each reaches the other
 * through the route to that subnet. NULL, or why not. */
const char *ipv4_pair(struct in_addr a, int pa, struct in_addr b, int pb);

#endif
