/* ipv4.c - IPv4 addresses with a prefix length (see ipv4.h). */
#define _GNU_SOURCE
#include "ipv4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(int prefix)
{
	return prefix ? ~0U << (32 - prefix) : 0;
}

const char *ipv4_parse(const char *text, struct in_addr *addr, int *prefix)
{
	char host[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(text, '/');
	uint32_t ip, mask;
	unsigned first;
	long n;

	if (!slash || (size_t)(slash - text) >= sizeof(host))
		return "expected an IPv4 address and a prefix length, like "
		       "10.200.0.1/30";
	memcpy(host, text, slash - text);
	host[slash - text] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1)
		return "not an IPv4 address (four numbers from 0 to 255, with "
		       "dots) and a prefix length";
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno || n < 1 || n > 31)
		return "the prefix length must be a number from 1 to 31";
	ip = ntohl(addr->s_addr);
	first = ip >> 24;
	if (first == 0 || first == 127 || first >= 224)
		return "not an address for an interface (0.x, 127.x loopback, "
		       "and 224.x and up are reserved)";
	mask = mask_of((int)n);
	if (n <= 30 && ((ip & ~mask) == 0 || (ip & ~mask) == ~mask))
		return "the first and last addresses of a subnet are its network "
		       "and broadcast addresses, not a host's";
	*prefix = (int)n;
	return NULL;
}

bool ipv4_overlap(struct in_addr a, int pa, struct in_addr b, int pb)
{
	uint32_t mask = mask_of(pa < pb ? pa : pb);

	return (ntohl(a.s_addr) & mask) == (ntohl(b.s_addr) & mask);
}

struct in_addr ipv4_gateway(struct in_addr addr, int prefix)
{
	uint32_t ip = ntohl(addr.s_addr), net = ip & mask_of(prefix);
	struct in_addr gw;

	if (prefix == 31)
		gw.s_addr = htonl(ip ^ 1);
	else
		gw.s_addr = htonl(ip == (net | 1) ? net | 2 : net | 1);
	return gw;
}

const char *ipv4_pair(struct in_addr a, int pa, struct in_addr b, int pb)
{
	if (pa != pb)
		return "give both the same prefix length";
	if (a.s_addr == b.s_addr)
		return "the two ends need different addresses";
	if (!ipv4_overlap(a, pa, b, pb))
		return "not in the same subnet";
	return NULL;
}
