/* links.c - what the caller's network namespace has, read without
 * netlink (see links.h). */
#define _GNU_SOURCE
#include "links.h"
#include "ipv4.h"
#include "nslab.h"

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int link_index(const char *name)
{
	unsigned int index = if_nametoindex(name);

	return index ? (int)index : -errno;
}

const char *describe_links(const char *only, char *buf, size_t size)
{
	struct if_nameindex *links = if_nameindex();
	struct ifaddrs *ifs = NULL;
	size_t len = 0;

	buf[0] = '\0';
	if (!links) {
		snprintf(buf, size, "? (if_nameindex: %s)", strerror(errno));
		return buf;
	}
	if (getifaddrs(&ifs) == -1)
		ifs = NULL;
	for (struct if_nameindex *l = links; l->if_index && len < size; l++) {
		bool up = false;
		char addrs[128] = "";

		if (only && strcmp(only, l->if_name) != 0)
			continue;
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			char text[INET_ADDRSTRLEN];
			uint32_t mask;

			if (strcmp(i->ifa_name, l->if_name) != 0)
				continue;
			up = i->ifa_flags & IFF_UP; /* every entry has the flags */
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
			    !i->ifa_netmask)
				continue;
			mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				  text, sizeof(text));
			snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs),
				 ", %s/%d", text, __builtin_popcount(mask));
		}
		len += snprintf(buf + len, size - len, "%s%s (%s%s)", len ? ", " : "",
				l->if_name, up ? "up" : "down", addrs);
	}
	if (ifs)
		freeifaddrs(ifs);
	if_freenameindex(links);
	return buf;
}

const char *default_gateway(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/net/route", "re");
	char line[256];

	snprintf(buf, size, "none");
	/* Iface Destination Gateway Flags ...: addresses as %08X, in
	 * network byte order read as a host number. */
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int dst, gw, mask;
		char dev[IF_NAMESIZE + 1];

		if (sscanf(line, "%16s %x %x %*x %*d %*d %*d %x", dev, &dst, &gw,
			   &mask) == 4 && dst == 0 && mask == 0 && gw != 0) {
			struct in_addr a = {.s_addr = gw};

			inet_ntop(AF_INET, &a, buf, size);
			break;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

void wait_link_running(const char *name, int ms)
{
	struct timespec nap = {0, 2 * 1000 * 1000};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	for (int i = 0; s != -1 && i < ms / 2; i++) {
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		nanosleep(&nap, NULL);
	}
	if (s != -1)
		close(s);
}

long wait_link_gone(const char *name, int ms)
{
	struct timespec start, now, nap = {0, 2 * 1000 * 1000};
	long spent = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (if_nametoindex(name) != 0) {
		if (spent >= ms)
			return -1;
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - start.tv_sec) * 1000 +
			(now.tv_nsec - start.tv_nsec) / 1000000;
	}
	return spent;
}

bool subnet_in_use(struct in_addr addr, int prefix, char *why, size_t size)
{
	struct ifaddrs *ifs, *i;
	char line[256], dev[IF_NAMESIZE + 1], text[INET_ADDRSTRLEN];
	bool used = false;
	FILE *f;

	if (getifaddrs(&ifs) == -1)
		err(EXIT_FAILURE, "getifaddrs");
	for (i = ifs; i && !used; i = i->ifa_next) {
		struct in_addr a;
		int plen;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !i->ifa_netmask)
			continue;
		a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		plen = __builtin_popcount(
			ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr));
		if ((used = ipv4_overlap(addr, prefix, a, plen))) {
			inet_ntop(AF_INET, &a, text, sizeof(text));
			snprintf(why, size, "%s's network (%s/%d)", i->ifa_name, text, plen);
		}
	}
	freeifaddrs(ifs);
	/* A route to it (a VPN's, say) takes its packets elsewhere: the main
	 * table's routes, /proc/self/net/route; the default route (prefix 0)
	 * is where everything else goes, and overlaps nothing. */
	f = fopen("/proc/self/net/route", "re");
	while (f && !used && fgets(line, sizeof(line), f)) {
		unsigned dst, mask;
		struct in_addr a;
		int plen;

		if (sscanf(line, "%16s %x %*x %*x %*d %*d %*d %x", dev, &dst, &mask) != 3 ||
		    mask == 0)
			continue;
		a.s_addr = dst;
		plen = __builtin_popcount(mask);
		if ((used = ipv4_overlap(addr, prefix, a, plen))) {
			inet_ntop(AF_INET, &a, text, sizeof(text));
			snprintf(why, size, "a route of %s (%s/%d)", dev, text, plen);
		}
	}
	if (f)
		fclose(f);
	return used;
}

void check_subnet_free(struct in_addr addr, int prefix, const char *what)
{
	char why[128];

	if (subnet_in_use(addr, prefix, why, sizeof(why)))
		errx(EXIT_FAILURE, "%s: that subnet overlaps %s; choose a subnet "
		     "this host does not use", what, why);
}

void check_link_prefix(const char *name, int max)
{
	size_t len = strlen(name);

	if (len == 0 || len > (size_t)max)
		errx(EXIT_USAGE, "-n \"%s\": %zu characters; NAME may have 1 to %d, "
		     "for NAME, the pid and \"a\" to fit in the 15 of a link name "
		     "(IFNAMSIZ - 1)", name, len, max);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_") != len)
		errx(EXIT_USAGE, "-n \"%s\": use only letters, digits, - and _", name);
}
