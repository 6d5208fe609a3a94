/* lease.c - a container's name and subnet, leased in /run/nslab (see
 * lease.h). */
#define _GNU_SOURCE
#include "lease.h"
#include "ipv4.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *lease_name_invalid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > LEASE_NAME_MAX)
		return "a name has 1 to 10 characters (nslab and the name are "
		       "the veth's name, at most 15)";
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_") != len || name[0] == '-' || name[0] == '_')
		return "use letters, digits, '-' and '_', and begin with a letter "
		       "or a digit";
	return NULL;
}

int lease_lock(void)
{
	struct stat st;
	int lock;

	if (mkdir(LEASE_DIR, 0700) == -1 && errno != EEXIST)
		err(EXIT_FAILURE, "mkdir(%s)%s", LEASE_DIR, errno == EACCES ?
		    ": the leases of names and subnets are root's" : "");
	/* A directory another user may write would let them plant a
	 * lease, or a symlink where one is made. */
	if (lstat(LEASE_DIR, &st) == -1)
		err(EXIT_FAILURE, "lstat(%s)", LEASE_DIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		errx(EXIT_FAILURE, "%s must be a directory of root's, mode 0700 "
		     "(it is %s, uid %u, mode %o): remove it, and it is made again",
		     LEASE_DIR, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		     (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	lock = open(LEASE_DIR "/.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock == -1)
		err(EXIT_FAILURE, "open(%s/.lock)", LEASE_DIR);
	while (flock(lock, LOCK_EX) == -1)
		if (errno != EINTR)
			err(EXIT_FAILURE, "flock(%s/.lock)", LEASE_DIR);
	return lock;
}

void lease_unlock(int lock)
{
	close(lock); /* the lock goes with the last descriptor of it */
}

/* This process's network namespace, as "net DEV INO" (namespaces(7):
 * st_dev and st_ino name it). */
static void my_net(char *buf, size_t size)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == -1)
		err(EXIT_FAILURE, "stat(/proc/self/ns/net)");
	snprintf(buf, size, "net %lu %lu", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino);
}

/* The subnet a lease file records, as an address in it ("10.7.3.2/24"),
 * if it is one of this network namespace: subnets collide only in one
 * (a container started in a namespace of its own, as make demo and the
 * tests do, has routes of its own). False for no subnet (an empty
 * lease), or another's. */
static bool read_subnet(int fd, struct lease_net *out)
{
	char text[128], net[64], *space;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return false;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	my_net(net, sizeof(net));
	if (!(space = strchr(text, ' ')) || strcmp(space + 1, net) != 0)
		return false;
	*space = '\0';
	return ipv4_parse(text, &out->net, &out->prefix) == NULL;
}

int lease_held(struct lease_net *held, int max)
{
	DIR *d = opendir(LEASE_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		err(EXIT_FAILURE, "opendir(%s)", LEASE_DIR);
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.' || lease_name_invalid(e->d_name))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* Nobody holds it: its launcher and reaper died. */
			unlinkat(dirfd(d), e->d_name, 0);
		} else if (n < max && read_subnet(fd, &held[n])) {
			/* lease_name_invalid() said it fits. */
			snprintf(held[n].name, sizeof(held[n].name), "%.*s",
				 LEASE_NAME_MAX, e->d_name);
			n++;
		}
		close(fd);
	}
	closedir(d);
	return n;
}

const struct lease_net *lease_overlap(const struct lease_net *held, int n,
				      struct in_addr net, int prefix)
{
	for (int i = 0; i < n; i++)
		if (ipv4_overlap(held[i].net, held[i].prefix, net, prefix))
			return &held[i];
	return NULL;
}

bool lease_take(struct lease *l, const char *name, struct in_addr addr, int prefix)
{
	char text[128] = "", shown[INET_ADDRSTRLEN], net[64];
	int fd;

	l->fd = -1;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->path, sizeof(l->path), LEASE_DIR "/%s", name);
	fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		err(EXIT_FAILURE, "open(%s)", l->path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		errno = EEXIST;
		return false; /* a live container has that name */
	}
	if (prefix) {
		inet_ntop(AF_INET, &addr, shown, sizeof(shown));
		my_net(net, sizeof(net));
		snprintf(text, sizeof(text), "%s/%d %s\n", shown, prefix, net);
	}
	/* No subnet: nothing written (lease.h says why). */
	if (ftruncate(fd, 0) == -1 ||
	    (*text && pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text)))
		err(EXIT_FAILURE, "write(%s)", l->path);
	l->fd = fd;
	return true;
}

void lease_release(struct lease *l)
{
	struct stat mine, there;
	int lock;

	if (l->fd == -1)
		return;
	/* Remove the file only if it is still ours: after a SIGKILL the
	 * name may have been taken again, by a file of its own. */
	lock = lease_lock();
	if (fstat(l->fd, &mine) == 0 && lstat(l->path, &there) == 0 &&
	    mine.st_dev == there.st_dev && mine.st_ino == there.st_ino)
		unlink(l->path);
	lease_unlock(lock);
	close(l->fd);
	l->fd = -1;
}

void lease_give_back(void *arg)
{
	lease_release(arg);
}

void lease_forget(struct lease *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}
