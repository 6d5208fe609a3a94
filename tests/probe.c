/* nslab-probe - run inside a namespace, report what it looks like there.
 *
 * Prints, between "nslab-probe report" and "end", its own pid and ppid,
 * real and effective ids, hostname and NIS domain name, and for every
 * /proc/self/ns entry the st_dev and st_ino that identify the namespace.
 * The suites parse this (probe_parse.c, probe_parse).
 *
 *   nslab-probe [--clocks] [--forks] [--burn MS] [--hog] [--tiocsti TEXT]
 *               [--key DESC] [--unshare-user] [--keyctl] [--self]
 *               [--hold] [--exit N | --signal N]
 *
 *   --clocks    also print "clock NAME SECONDS" for CLOCK_MONOTONIC,
 *               CLOCK_BOOTTIME and CLOCK_REALTIME (lesson 10)
 *   --forks     fork children (they wait for the probe to end, at most 200) until
 *               fork() fails; print "forked N, then ERRNO" (lesson 09)
 *   --burn MS   spin until this process has used MS ms of CPU time; print
 *               "burned CPU_S in WALL_S" (seconds) (lesson 09)
 *   --hog       allocate and touch memory, 1 MiB at a time, up to 4 GiB;
 *               print "hog survived" if nothing stopped it (lesson 09)
 *   --tiocsti TEXT  push TEXT and a newline into the input of every terminal
 *               it can open (/dev/tty, fds 0-2, /dev/pts/N) with
 *               ioctl(TIOCSTI), the way bubblewrap's CVE-2017-5226 typed
 *               into the caller's shell; print "devtty open" or "devtty
 *               ERRNO", and "tiocsti WHERE injected" or "tiocsti WHERE
 *               ERRNO" for each, never TEXT itself (lesson 07, 08)
 *   --key DESC  look for the "user" key DESC from the session keyring
 *               (keyctl(2) KEYCTL_SEARCH, KEYCTL_READ); print "key DESC
 *               ERRNO", or "key DESC found: PAYLOAD" (lesson 07, 08)
 *   --unshare-user  try unshare(CLONE_NEWUSER), the door to a full set of
 *               capabilities that a seccomp filter closes; print
 *               "unshare-user ok" or "unshare-user ERRNO" (lesson 07, 08)
 *   --keyctl    try keyctl(KEYCTL_GET_KEYRING_ID) of the session keyring;
 *               print "keyctl ok" or "keyctl ERRNO" (lesson 07, 08)
 *   --self      print the locks this process runs under, as the kernel
 *               shows them: "self CapEff: HEX" (also CapPrm, CapInh,
 *               CapBnd, CapAmb, NoNewPrivs, Seccomp), "self cgroup LINE"
 *               for each line of /proc/self/cgroup, and "self fds N N..."
 *               with every descriptor open here (lesson 08)
 *   --hold      after the report print "ready" and wait for EOF on stdin,
 *               so the test can look at this process from outside
 *   --exit N    exit with status N
 *   --signal N  kill itself with signal N
 *
 * It is linked statically so it can also run inside a container's rootfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
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

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define FORKS_MAX 200

static void forks(void)
{
	int fds[2], n = 0;
	pid_t pid;

	if (pipe(fds) == -1)
		return;
	/* Each child waits for EOF: when the probe ends, they end. Never a
	 * real fork bomb: the tests' limits are at most 60, so past
	 * FORKS_MAX there is no limit to find, and the probe stops. */
	while (n < FORKS_MAX && (pid = fork()) > 0)
		n++;
	if (n == FORKS_MAX) {
		printf("forked %d, then no limit (stopped at %d)\n", n, FORKS_MAX);
		fflush(stdout);
		return;
	}
	if (pid == 0) {
		char c;

		close(fds[1]);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(0);
	}
	printf("forked %d, then %s\n", n, errno == EAGAIN ? "EAGAIN" : strerror(errno));
	fflush(stdout);
}

static void burn(long ms)
{
	double wall = clock_s(CLOCK_MONOTONIC), cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long spin = 0;

	while (clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu < ms / 1000.0)
		for (int i = 0; i < 10000; i++)
			spin++;
	printf("burned %.3f in %.3f\n", clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu,
	       clock_s(CLOCK_MONOTONIC) - wall);
	fflush(stdout);
}

static void hog(void)
{
	void **chain = NULL;

	/* Each MiB keeps a pointer to the one before: nothing is lost. */
	for (int mb = 0; mb < 4096; mb++) {
		void **p = malloc(1 << 20);

		if (!p)
			break;
		memset(p, mb | 1, 1 << 20);
		*p = chain;
		chain = p;
	}
	printf("hog survived\n");
	while (chain) {
		void **next = *chain;

		free(chain);
		chain = next;
	}
	fflush(stdout);
}

/* TIOCSTI on one terminal: the whole text, or the error of the first
 * byte the kernel refused. */
static void inject(int fd, const char *where, const char *text)
{
	const char *err = NULL;

	for (const char *c = text; *c && !err; c++)
		if (ioctl(fd, TIOCSTI, c) == -1)
			err = strerrorname_np(errno);
	if (!err && ioctl(fd, TIOCSTI, "\n") == -1)
		err = strerrorname_np(errno);
	printf("tiocsti %s %s\n", where, err ? err : "injected");
}

static void tiocsti(const char *text)
{
	char path[300], where[32];
	struct dirent *e;
	DIR *d;
	int fd;

	/* O_NOCTTY: opening a terminal must not make it ours. */
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("devtty %s\n", fd == -1 ? strerrorname_np(errno) : "open");
	if (fd != -1) {
		inject(fd, "/dev/tty", text);
		close(fd);
	}
	for (fd = 0; fd <= 2; fd++)
		if (isatty(fd)) {
			snprintf(where, sizeof(where), "fd%d", fd);
			inject(fd, where, text);
		}
	if ((d = opendir("/dev/pts"))) {
		while ((e = readdir(d))) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/dev/pts/%s", e->d_name);
			fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
			if (fd == -1) {
				printf("tiocsti %s %s\n", path, strerrorname_np(errno));
				continue;
			}
			inject(fd, path, text);
			close(fd);
		}
		closedir(d);
	}
	fflush(stdout);
}

static void key(const char *desc)
{
	char payload[256];
	long id, n;

	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
		     desc, 0);
	if (id == -1) {
		printf("key %s %s\n", desc, strerrorname_np(errno));
	} else {
		n = syscall(SYS_keyctl, KEYCTL_READ, id, payload, sizeof(payload) - 1);
		payload[n > 0 ? n : 0] = '\0';
		printf("key %s found: %s\n", desc, n >= 0 ? payload : strerrorname_np(errno));
	}
	fflush(stdout);
}

static void unshare_user(void)
{
	int e = unshare(CLONE_NEWUSER) == -1 ? errno : 0;

	printf("unshare-user %s\n", e ? strerrorname_np(e) : "ok");
	fflush(stdout);
}

static void try_keyctl(void)
{
	long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
			  KEY_SPEC_SESSION_KEYRING, 0);

	printf("keyctl %s\n", id == -1 ? strerrorname_np(errno) : "ok");
	fflush(stdout);
}

static void self(void)
{
	static const char *const keys[] = {"CapInh:", "CapPrm:", "CapEff:",
					   "CapBnd:", "CapAmb:", "NoNewPrivs:",
					   "Seccomp:"};
	char line[512];
	struct dirent *e;
	FILE *f;
	DIR *d;

	if ((f = fopen("/proc/self/status", "re"))) {
		while (fgets(line, sizeof(line), f))
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strncmp(line, keys[i], strlen(keys[i])))
					printf("self %s", line);
		fclose(f);
	}
	if ((f = fopen("/proc/self/cgroup", "re"))) {
		while (fgets(line, sizeof(line), f))
			printf("self cgroup %s", line);
		fclose(f);
	}
	/* The directory's own descriptor is one of them: leave it out. */
	printf("self fds");
	if ((d = opendir("/proc/self/fd"))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
				printf(" %s", e->d_name);
		closedir(d);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	const char *inject_text = NULL, *key_desc = NULL;
	int hold = 0, code = 0, sig = 0, do_clocks = 0, do_forks = 0, do_hog = 0;
	int do_unshare = 0, do_keyctl = 0, do_self = 0;
	long burn_ms = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--clocks"))
			do_clocks = 1;
		else if (!strcmp(argv[i], "--forks"))
			do_forks = 1;
		else if (!strcmp(argv[i], "--hog"))
			do_hog = 1;
		else if (!strcmp(argv[i], "--tiocsti") && i + 1 < argc)
			inject_text = argv[++i];
		else if (!strcmp(argv[i], "--unshare-user"))
			do_unshare = 1;
		else if (!strcmp(argv[i], "--keyctl"))
			do_keyctl = 1;
		else if (!strcmp(argv[i], "--self"))
			do_self = 1;
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key_desc = argv[++i];
		else if (!strcmp(argv[i], "--burn") && i + 1 < argc)
			burn_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			code = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--signal") && i + 1 < argc)
			sig = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--clocks] [--forks] [--burn MS] "
				"[--hog] [--tiocsti TEXT] [--key DESC] "
				"[--unshare-user] [--keyctl] [--self] [--hold] "
				"[--exit N | --signal N]\n",
				argv[0]);
			return 2;
		}
	}
	report();
	if (do_clocks) {
		printf("clock monotonic %.3f\nclock boottime %.3f\nclock realtime %.3f\n",
		       clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_BOOTTIME),
		       clock_s(CLOCK_REALTIME));
		fflush(stdout);
	}
	if (do_forks)
		forks();
	if (burn_ms)
		burn(burn_ms);
	if (do_hog)
		hog();
	if (inject_text)
		tiocsti(inject_text);
	if (key_desc)
		key(key_desc);
	if (do_unshare)
		unshare_user();
	if (do_keyctl)
		try_keyctl();
	if (do_self)
		self();
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
