/* time.c - run a command with clocks of its own (lesson 10)
 *
 * The idea: CLOCK_MONOTONIC and CLOCK_BOOTTIME count from when the
 * machine started, so a process moved to another machine (checkpoint and
 * restore, as CRIU does with containers) would see them jump. A time
 * namespace adds an offset of its own to each of the two, for every
 * process in it: the uptime inside reads what the namespace says, while
 * the host's clocks run on untouched. CLOCK_REALTIME, the wall clock, has
 * no offset: it is the same everywhere.
 *
 * The order is the lesson: unshare(CLONE_NEWTIME) does not move the
 * caller, only the children it makes afterwards (/proc/self/ns/
 * time_for_children); the offsets are written to /proc/PID/timens_offsets
 * while the namespace is still empty, because the first process to enter
 * freezes them. Then a fork puts the child in.
 *
 * Usage: time [-q] [--monotonic SECONDS] [--boottime SECONDS]
 *             [--uptime SECONDS] [--] [COMMAND [ARG...]]
 *
 * Sample session:
 *   $ sudo ./time --uptime 0 -- cat /proc/uptime
 *   time: parent pid 4242 in time:[4026531834], uptime 81234.56 s
 *   time: its children go to time:[4026532611], a new time namespace
 *   time: offsets: monotonic -81235 440000000, boottime -81235 440000000
 *   time: child  pid 4243 in time:[4026532611], a new time namespace
 *   0.00 160312.85
 *   time: command exited with status 0; the host's uptime is 81234.57 s
 *
 * Read: time_namespaces(7), unshare(2), clock_gettime(2), proc(5)
 * (/proc/uptime).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
// CHALLENGE BEGIN
#include <limits.h>
// CHALLENGE END
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nslab.h"

#define NSEC_PER_SEC 1000000000L

/* What the user asked: offsets (util-linux unshare's --monotonic and
 * --boottime), or the uptime the command should see. */
struct request {
	long long monotonic, boottime; /* seconds added to the host's */
	long long uptime;              /* -1: not asked */
};

/* The offsets written to timens_offsets: tv_nsec is 0 to 999999999,
 * also for a negative offset (-1.5 s is tv_sec -2, tv_nsec 500000000). */
struct offsets {
	struct timespec monotonic, boottime;
};

struct child_args {
	char **argv;
	pid_t parent;
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [--monotonic SECONDS] [--boottime SECONDS]\n"
		"          [--uptime SECONDS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new time namespace whose CLOCK_MONOTONIC and\n"
		"CLOCK_BOOTTIME are the host's plus an offset. Without COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  --monotonic SECONDS  add SECONDS to CLOCK_MONOTONIC inside\n"
		"  --boottime SECONDS   add SECONDS to CLOCK_BOOTTIME (the uptime) inside\n"
		"  --uptime SECONDS     make the uptime inside read SECONDS now (both\n"
		"                       clocks; not with --monotonic or --boottime)\n"
		// CHALLENGE BEGIN
		"  --uptime-of PID      make the uptime inside (both clocks) how long\n"
		"                       process PID has run: a container's own uptime\n"
		// CHALLENGE END
		"  -q                   do not print the account of what happens\n"
		"  -h                   show this help\n"
		"\n"
		"The wall clock (CLOCK_REALTIME) is the host's: no namespace changes it.\n"
		"Creating a namespace needs root: sudo make lesson10 ARGS='--uptime 0'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

static long long parse_seconds(const char *option, const char *value, long long min)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(value, &end, 10);
	/* The kernel keeps a clock inside below 2^62 ns or so: stay far off. */
	if (errno || end == value || *end || n < min || n > 1000000000000LL ||
	    n < -1000000000000LL)
		errx(EXIT_USAGE, "%s \"%s\": give whole seconds%s", option, value,
		     min == 0 ? ", 0 or more" : ", such as 86400 or -3600");
	return n;
}

static struct timespec now(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) == -1)
		err(EXIT_FAILURE, "clock_gettime");
	return ts;
}

static const char *uptime(char *buf, size_t size)
{
	FILE *f = fopen("/proc/uptime", "re");

	snprintf(buf, size, "?");
	if (f) {
		if (fscanf(f, "%31s", buf) != 1)
			snprintf(buf, size, "?");
		fclose(f);
	}
	return buf;
}

/* Step 2: what to add to each clock. */
static void compute_offsets(const struct request *req, struct offsets *off)
{
	off->monotonic = (struct timespec){req->monotonic, 0};
	off->boottime = (struct timespec){req->boottime, 0};
	if (req->uptime < 0)
		return;
	// BEGIN SOLUTION 2
	// STEP: the offsets give the uptime asked
	// TODO: --uptime U: set both offsets so that, inside, CLOCK_BOOTTIME
	//       (what /proc/uptime shows) and CLOCK_MONOTONIC read U seconds
	//       right now, whatever the host's clocks read. Keep each offset
	//       in the kernel's form: tv_nsec from 0 to 999999999, also when
	//       the offset is negative. Afterwards the account line
	//       "offsets: ..." shows them. Read time_namespaces(7),
	//       "/proc/PID/timens_offsets", and clock_gettime(2).
	// HINT: An offset is added to the host's clock: inside = host +
	//       offset. So the offset that makes the inside read U is U minus
	//       what the host's clock reads now, one per clock.
	// HINT: now(CLOCK_BOOTTIME) and now(CLOCK_MONOTONIC) (in this file)
	//       give the host's clocks as struct timespec. Subtract field by
	//       field; a negative tv_nsec borrows one second.
	// HINT: struct timespec b = now(CLOCK_BOOTTIME);
	//       off->boottime.tv_sec = ____ - b.tv_sec;
	//       off->boottime.tv_nsec = ____;
	//       if (____ < 0) { one second less; one second more of ns; }
	//       and the same for the monotonic clock.
	// WRONG uptime_sign: "{req->uptime - b.tv_sec, -b.tv_nsec}" -> "{b.tv_sec - req->uptime, b.tv_nsec}" : minus
	// WRONG no_borrow: "if (off->boottime.tv_nsec < 0)" -> "if (false)" : 0 to 999999999
	// STUB: (void)now;
	// STUB: todo({n}, "compute the offsets for --uptime");
	// tag::offsets[]
	struct timespec b = now(CLOCK_BOOTTIME), m = now(CLOCK_MONOTONIC);

	off->boottime = (struct timespec){req->uptime - b.tv_sec, -b.tv_nsec};
	off->monotonic = (struct timespec){req->uptime - m.tv_sec, -m.tv_nsec};
	/* The kernel takes 0 <= tv_nsec < 1 s: a negative part borrows. */
	if (off->boottime.tv_nsec < 0) {
		off->boottime.tv_sec--;
		off->boottime.tv_nsec += NSEC_PER_SEC;
	}
	if (off->monotonic.tv_nsec < 0) {
		off->monotonic.tv_sec--;
		off->monotonic.tv_nsec += NSEC_PER_SEC;
	}
	// end::offsets[]
	// END SOLUTION
}

// CHALLENGE BEGIN
/* The challenge, --uptime-of PID: a container's uptime is how long its
 * PID 1 has run. The kernel keeps when each process started, in clock
 * ticks on CLOCK_BOOTTIME (/proc/PID/stat field 22, starttime;
 * proc_pid_stat(5)): offsets that subtract it make both clocks inside
 * count from that start. */
static long long ns_of(struct timespec ts)
{
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct timespec timespec_of(long long ns)
{
	long long sec = ns / NSEC_PER_SEC - (ns % NSEC_PER_SEC < 0);

	return (struct timespec){sec, (long)(ns - sec * NSEC_PER_SEC)};
}

static void offsets_since_start_of(const char *spec, struct offsets *off)
{
	char path[64], text[1024], *end, *p;
	unsigned long long ticks;
	long long start, boot, mono;
	long pid, hz = sysconf(_SC_CLK_TCK);
	FILE *stat_file;
	int field;

	errno = 0;
	pid = strtol(spec, &end, 10);
	if (errno || end == spec || *end || pid < 1 || pid > INT_MAX)
		errx(EXIT_USAGE, "--uptime-of \"%s\": give the pid of a running process",
		     spec);
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(stat_file = fopen(path, "re")))
		err(EXIT_FAILURE, "--uptime-of %ld: open(%s)", pid, path);
	if (!fgets(text, sizeof(text), stat_file))
		text[0] = '\0';
	fclose(stat_file);
	/* The name in field 2 may hold spaces and ')': count from the last. */
	p = strrchr(text, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1 || hz <= 0)
		errx(EXIT_FAILURE, "--uptime-of %ld: no start time in %s", pid, path);
	start = (long long)(ticks / (unsigned long long)hz) * NSEC_PER_SEC +
		(long long)(ticks % (unsigned long long)hz) * NSEC_PER_SEC / hz;
	boot = ns_of(now(CLOCK_BOOTTIME));
	mono = ns_of(now(CLOCK_MONOTONIC));
	off->boottime = timespec_of(-start);
	off->monotonic = timespec_of(boot - start - mono);
	say("pid %ld started %.2f s ago: the clocks inside count from then", pid,
	    (double)(boot - start) / NSEC_PER_SEC);
}

// CHALLENGE END
/* Everything here runs in the child, inside the new time namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;

	exec_command(a->argv);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	static char *demo[] = {"/bin/sh", "-c",
			       "echo \"inside: $(readlink /proc/self/ns/time), up "
			       "$(cut -d' ' -f1 /proc/uptime) s, $(date -u)\"",
			       NULL};
	static const struct option longopts[] = {
		{"monotonic", required_argument, NULL, 'm'},
		{"boottime", required_argument, NULL, 'b'},
		{"uptime", required_argument, NULL, 'u'},
		// CHALLENGE BEGIN
		{"uptime-of", required_argument, NULL, 'U'},
		// CHALLENGE END
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct request req = {.uptime = -1};
	struct child_args args = {0};
	struct offsets off;
	struct ns_child child;
	char label[96], more[96], up[32];
	struct ns_id mine, theirs;
	bool clock_given = false;
	// CHALLENGE BEGIN
	const char *uptime_of = NULL;
	// CHALLENGE END
	int opt, code;
	pid_t pid;

	nslab_init("time", "10");
	while ((opt = getopt_long(argc, argv, "+hq", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			req.monotonic = parse_seconds("--monotonic", optarg, -1000000000000LL);
			clock_given = true;
			break;
		case 'b':
			req.boottime = parse_seconds("--boottime", optarg, -1000000000000LL);
			clock_given = true;
			break;
		case 'u':
			req.uptime = parse_seconds("--uptime", optarg, 0);
			break;
		// CHALLENGE BEGIN
		case 'U':
			uptime_of = optarg;
			break;
		// CHALLENGE END
		case 'q':
			nslab_quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (clock_given && req.uptime >= 0)
		errx(EXIT_USAGE, "--uptime sets both offsets: give it alone, not "
		     "with --monotonic or --boottime");
	// CHALLENGE BEGIN
	if (uptime_of && (clock_given || req.uptime >= 0))
		errx(EXIT_USAGE, "--uptime-of sets both offsets: give it alone, not "
		     "with --uptime, --monotonic or --boottime");
	// CHALLENGE END
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo;
	args.parent = getpid();
	say("parent pid %d in %s, uptime %s s", (int)getpid(),
	    ns_label(0, "time", label, sizeof(label)), uptime(up, sizeof(up)));

	// BEGIN SOLUTION 1
	// STEP: the children get a new time namespace
	// TODO: Make a new time namespace for the children this process will
	//       make, while it stays where it is: afterwards
	//       /proc/self/ns/time_for_children differs from /proc/self/ns/time,
	//       and the account line below says "a new time namespace". On
	//       failure, clone_failed() explains. Read time_namespaces(7),
	//       the first paragraphs, and unshare(2).
	// HINT: Which of clone(2) and unshare(2)? The offsets can only be
	//       written while no process is in the namespace yet: the child
	//       must not be made into it before they are.
	// HINT: unshare(2) with the time namespace flag; like the PID
	//       namespace, it takes effect for the caller's next children
	//       only (namespaces(7), time_for_children).
	// HINT: if (unshare(____) == -1)
	//               clone_failed("____", ____);
	// WRONG no_unshare: "if (unshare(CLONE_NEWTIME) == -1)" -> "if (false && unshare(CLONE_NEWTIME) == -1)" : CLONE_NEWTIME
	// STUB: todo({n}, "make a new time namespace for the children");
	// tag::unshare[]
	if (unshare(CLONE_NEWTIME) == -1)
		clone_failed("unshare", CLONE_NEWTIME);
	// end::unshare[]
	// END SOLUTION
	if (ns_id_of(0, "time", &mine) && ns_id_of(0, "time_for_children", &theirs) &&
	    mine.dev == theirs.dev && mine.ino == theirs.ino)
		errx(EXIT_FAILURE, "the children would still go to %s, the host's "
		     "time namespace: step 1 makes a new one for them", label);
	say("its children go to %s, a new time namespace",
	    ns_label(0, "time_for_children", more, sizeof(more)));

	compute_offsets(&req, &off);
	// CHALLENGE BEGIN
	if (uptime_of)
		offsets_since_start_of(uptime_of, &off);
	// CHALLENGE END
	say("offsets: monotonic %lld %ld, boottime %lld %ld",
	    (long long)off.monotonic.tv_sec, (long)off.monotonic.tv_nsec,
	    (long long)off.boottime.tv_sec, (long)off.boottime.tv_nsec);

	// BEGIN SOLUTION 3
	// STEP: the offsets are set before a child enters
	// TODO: Give the new namespace its offsets `off`, now, while it is
	//       still empty (the first process to enter it freezes them):
	//       afterwards a command run inside reads the host's clocks plus
	//       the offsets, e.g. /proc/uptime shows the uptime asked. Read
	//       time_namespaces(7), "/proc/PID/timens_offsets": the format,
	//       the clock names, and which namespace a process's file is about.
	// HINT: A file in /proc holds the offsets of the namespace a
	//       process's children go to. It takes one line per clock:
	//       the clock, seconds, nanoseconds.
	// HINT: open(2) /proc/self/timens_offsets for writing (O_CLOEXEC);
	//       dprintf(3) writes both lines; check the result and report
	//       errors with err(3), naming the file: EACCES means a process
	//       is already in the namespace, EINVAL a malformed line.
	// HINT: int fd = open("/proc/self/____", O_WRONLY | O_CLOEXEC);
	//       if (fd == -1 || dprintf(fd, "____ %lld %ld\n____ %lld %ld\n",
	//                               ____) < 0)
	//               err(EXIT_FAILURE, "/proc/self/timens_offsets");
	//       close(fd);
	// STUB: todo({n}, "write the offsets of the new time namespace");
	// tag::write[]
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);

	if (fd == -1 || dprintf(fd, "monotonic %lld %ld\nboottime %lld %ld\n",
				(long long)off.monotonic.tv_sec, off.monotonic.tv_nsec,
				(long long)off.boottime.tv_sec, off.boottime.tv_nsec) < 0)
		err(EXIT_FAILURE, "write(/proc/self/timens_offsets)");
	close(fd);
	// end::write[]
	// END SOLUTION

	/* A child made now (no CLONE_NEW* flag) enters the new namespace. */
	pid = ns_spawn(&child, 0, child_main, &args);
	if (pid == -1)
		err(EXIT_FAILURE, "clone");
	say("child  pid %d in %s", (int)pid,
	    ns_account(pid, 0, "time", label, sizeof(label)));
	ns_release(&child);

	code = wait_child(pid);
	say("command exited with status %d; the host's uptime is %s s", code,
	    uptime(up, sizeof(up)));
	return code;
}
