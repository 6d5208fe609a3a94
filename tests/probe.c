/* nslab-probe - run inside a namespace, report what it looks like there.
 *
 * Prints, between "nslab-probe report" and "end", its own pid and ppid,
 * real and effective ids, hostname and NIS domain name, and for every
 * /proc/self/ns entry the st_dev and st_ino that identify the namespace.
 * The suites parse this (probe_parse.c, probe_parse).
 *
 *   nslab-probe [--hold] [--exit N | --signal N]
 *
 *   --hold      after the report print "ready" and wait for EOF on stdin,
 *               so the test can look at this process from outside
 *   --exit N    exit with status N
 *   --signal N  kill itself with signal N
 *
 * It is linked statically so it can also run inside a container's rootfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void report(void)
{
	struct utsname u;
	DIR *d;
	struct dirent *e;

	printf("nslab-probe report\n");
	printf("pid %d\nppid %d\n", (int)getpid(), (int)getppid());
	printf("uid %u\neuid %u\ngid %u\negid %u\n", (unsigned)getuid(),
	       (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
	if (uname(&u) == 0)
		printf("hostname %s\ndomainname %s\n", u.nodename, u.domainname);
	if ((d = opendir("/proc/self/ns"))) {
		while ((e = readdir(d))) {
			char path[300];
			struct stat st;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/ns/%s", e->d_name);
			if (stat(path, &st) == 0)
				printf("ns %s %llu %llu\n", e->d_name,
				       (unsigned long long)st.st_dev,
				       (unsigned long long)st.st_ino);
		}
		closedir(d);
	}
	printf("end\n");
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	int hold = 0, code = 0, sig = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			code = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--signal") && i + 1 < argc)
			sig = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--hold] [--exit N | --signal N]\n",
				argv[0]);
			return 2;
		}
	}
	report();
	if (hold) {
		char c;

		printf("ready\n");
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
	}
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return code;
}
