/* cgwatch DIR - print the name of every directory made in DIR, one a
 * line, as it is made (inotify(7), IN_CREATE), until killed.
 *
 * make test-vm runs it on the VM's root cgroup: a cgroup the lab makes
 * outside its delegated subtree is caught even when it is gone again by
 * the end of the run, which a listing before and after would miss. */
#define _GNU_SOURCE
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int fd;

	if (argc != 2) {
		fprintf(stderr, "Usage: %s DIR\n", argv[0]);
		return 2;
	}
	fd = inotify_init1(IN_CLOEXEC);
	if (fd == -1)
		err(EXIT_FAILURE, "inotify_init1");
	if (inotify_add_watch(fd, argv[1], IN_CREATE | IN_ONLYDIR) == -1)
		err(EXIT_FAILURE, "inotify_add_watch(%s)", argv[1]);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			err(EXIT_FAILURE, "read(inotify)");
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if ((e->mask & IN_ISDIR) && e->len)
				printf("%s\n", e->name);
			fflush(stdout);
			p += sizeof(*e) + e->len;
		}
	}
}
