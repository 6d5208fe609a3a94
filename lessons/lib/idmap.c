/* idmap.c - the uid and gid maps of a child's user namespace (see idmap.h). */
#define _GNU_SOURCE
#include "idmap.h"
#include "nslab.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool idmap_privileged(void)
{
	struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	const unsigned want = 1U << CAP_SETUID | 1U << CAP_SETGID;

	if (syscall(SYS_capget, &head, data) == -1)
		return false;
	return (data[0].effective & want) == want;
}

/* The first line of /proc/PID/FILE (pid 0: self) into buf; "" if none. */
static const char *read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

const char *idmap_setgroups(pid_t pid)
{
	char buf[16];

	read_proc(pid, "setgroups", buf, sizeof(buf));
	return !strcmp(buf, "allow") ? "allow" : !strcmp(buf, "deny") ? "deny" : "?";
}

const char *idmap_show(const char *text, char *buf, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; text[i] && j + 3 < size; i++) {
		if (text[i] != '\n')
			buf[j++] = text[i];
		else if (text[i + 1])
			buf[j++] = ',', buf[j++] = ' ';
	}
	buf[j] = '\0';
	return buf;
}

void idmap_failed(pid_t pid, const char *file, const char *text)
{
	int e = errno;
	bool map = strstr(file, "_map") != NULL, gid = !strcmp(file, "gid_map");
	char shown[160], why[400] = "", seen[64];
	struct ns_id mine, theirs;

	if (e == ENOENT || e == ESRCH) {
		snprintf(why, sizeof(why), "the child is gone: did it end before "
			 "the parent wrote its maps?");
	} else if (e == EPERM && map && ns_id_of(pid, "user", &theirs) &&
		   ns_id_of(0, "user", &mine) && mine.dev == theirs.dev &&
		   mine.ino == theirs.ino) {
		snprintf(why, sizeof(why), "the child is still in this process's "
			 "user namespace, whose maps are fixed: start it with "
			 "CLONE_NEWUSER (clone(2), user_namespaces(7))");
	} else if (map && *read_proc(pid, file, seen, sizeof(seen))) {
		snprintf(why, sizeof(why), "the %s is written already: the kernel "
			 "takes a map once, whole, in a single write(2) at offset 0 "
			 "(a second write gives EINVAL on the same descriptor, EPERM "
			 "on a new one)", file);
	} else if (e == EPERM && gid && !idmap_privileged() &&
		   strcmp(idmap_setgroups(pid), "deny") != 0) {
		snprintf(why, sizeof(why), "without CAP_SETGID the kernel takes a "
			 "gid_map only after \"deny\" is written to /proc/%d/setgroups: "
			 "write setgroups before gid_map (user_namespaces(7))", (int)pid);
	} else if (e == EPERM && map && !idmap_privileged()) {
		snprintf(why, sizeof(why), "without CAP_SET%s in the parent user "
			 "namespace you may map only your own %s (%u), one line with "
			 "COUNT 1; root, or new%smap(1) with /etc/sub%s, can map more",
			 gid ? "GID" : "UID", gid ? "gid" : "uid",
			 gid ? (unsigned)getegid() : (unsigned)geteuid(),
			 gid ? "gid" : "uid", gid ? "gid" : "uid");
	} else if (e == EPERM && map) {
		snprintf(why, sizeof(why), "the ids outside must be mapped in this "
			 "process's own user namespace (user_namespaces(7))");
	} else if (e == EPERM) {
		snprintf(why, sizeof(why), "the gid_map is written already, or an "
			 "ancestor denied setgroups: write \"deny\" before gid_map");
	} else if (e == EINVAL && map) {
		snprintf(why, sizeof(why), "the kernel refused the map: ranges "
			 "overlap, a line is not INSIDE OUTSIDE COUNT, or it has more "
			 "lines than this kernel takes (340; 5 before Linux 4.15)");
	} else if (e == EINVAL) {
		snprintf(why, sizeof(why), "setgroups takes \"allow\" or \"deny\", "
			 "in a single write(2)");
	}
	errx(EXIT_FAILURE, "write(/proc/%d/%s, \"%s\"): %s%s%s", (int)pid, file,
	     idmap_show(text, shown, sizeof(shown)), strerror(e), *why ? "; " : "",
	     why);
}
