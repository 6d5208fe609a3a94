/* nsbench.c - what creating each namespace costs, measured in-process
 *
 * The idea: a container starts fast because it is only a process that
 * clone(2) put in new namespaces. This program times clone() with each
 * CLONE_NEW* flag alone, with all six, with all six and an exec, and the
 * whole path of lesson 07's container (id maps, private mounts, a bind
 * mount of the rootfs, /proc, pivot_root, exec), each from clone() to the
 * parent's waitpid(), against fork() + exec of the same program as the
 * floor. Then it shows that a network namespace outlives the process that
 * made it: the kernel frees it later, from a workqueue.
 *
 * Usage: nsbench [-n ITERATIONS] [-o FILE.tsv] ROOTFS
 *        nsbench -t RUNS COMMAND [ARG...]
 *        nsbench -i RUNS FILE
 *
 * The second form runs COMMAND RUNS times (after 5 runs not counted), its
 * output to /dev/null, and prints the median, min, max and standard
 * deviation of its start-to-exit time in ms. The third is the side-by-side
 * comparison's: FILE has a command a line (words split at spaces), and
 * each of RUNS rounds runs every command once, starting one line further
 * each round; a line per command says the same four figures and the
 * median of its time divided by the first command's in the same round.
 * Interleaved, the commands share whatever the machine is doing: a busy
 * minute slows all of them, and the paired ratio holds (hyperfine runs
 * one command's runs, then the next's).
 *
 * ROOTFS is lesson 07's busybox root file system (make rootfs); its
 * /bin/true is the program every exec row runs. As root (clone() with
 * CLONE_NEW* other than CLONE_NEWUSER needs CAP_SYS_ADMIN). Run it inside
 * a network namespace of its own (make bench does: unshare --net): it
 * makes hundreds of network namespaces and wants no host's links near.
 *
 * Read: clone(2), namespaces(7), user_namespaces(7), pivot_root(2),
 *       network_namespaces(7), and /proc/sys/user/max_net_namespaces in
 *       namespaces(7) ("The /proc/sys/user directory").
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)
#define DEFAULT_ITERATIONS 200
#define TEARDOWN_ROUNDS 20
#define SIX (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
	     CLONE_NEWUTS | CLONE_NEWIPC)

/* What a child does once clone() has started it. */
enum work { EXIT_AT_ONCE, EXEC_TRUE, CONTAINER_PATH };

struct child_args {
	enum work work;
	const char *rootfs;  /* absolute */
	char true_path[PATH_MAX + 16]; /* ROOTFS/bin/true, seen from the host */
	int sync_pipe[2];    /* CONTAINER_PATH: the parent writes the maps, then go */
};

static char *stack_top;
static double floor_ms;
static FILE *tsv;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-n ITERATIONS] [-o FILE.tsv] ROOTFS\n"
		"       %s -t RUNS COMMAND [ARG...]\n"
		"       %s -i RUNS FILE\n"
		"Time clone() with each CLONE_NEW* flag, all six, all six + exec,\n"
		"and lesson 07's container path, against fork + exec of\n"
		"ROOTFS/bin/true; then show that a network namespace is freed\n"
		"after its last process is reaped. As root, inside a network\n"
		"namespace of its own (make bench).\n"
		"\n"
		"  -n ITERATIONS  per row (default %d)\n"
		"  -o FILE.tsv    also write the rows as tab-separated values\n"
		"  -t RUNS        instead, time COMMAND RUNS times and print its\n"
		"                 median, min, max and standard deviation (ms)\n"
		"  -i RUNS        instead, time FILE's commands (one a line) in RUNS\n"
		"                 interleaved rounds: the same four figures each,\n"
		"                 and the median ratio to the first, round by round\n",
		prog, prog, prog, DEFAULT_ITERATIONS);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, len) != (ssize_t)len)
		err(EXIT_FAILURE, "write(%s, \"%s\")", path, text);
	close(fd);
}

/* ---- the children ---------------------------------------------------- */

/* Lesson 07's steps, without its checks and its account: take root's ids,
 * make mounts private, bind the rootfs onto itself, mount /proc,
 * pivot_root into it, detach the old root, exec /bin/true. Any failure
 * exits 1, which the parent reports. */
static int container_path(struct child_args *a)
{
	char go;

	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &go, 1) != 1)
		_exit(1);
	if (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount(a->rootfs, a->rootfs, NULL, MS_BIND | MS_REC, NULL) == -1 ||
	    chdir(a->rootfs) == -1 ||
	    mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		_exit(1);
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

static int child_main(void *arg)
{
	struct child_args *a = arg;

	switch (a->work) {
	case EXIT_AT_ONCE:
		_exit(0);
	case EXEC_TRUE:
		execl(a->true_path, "true", (char *)NULL);
		_exit(127);
	case CONTAINER_PATH:
		return container_path(a);
	}
	_exit(1);
}

/* ---- one measurement: clone (or fork), the parent's part, waitpid ---- */

static double one_run(int flags, struct child_args *a)
{
	double t0 = now_ms();
	int status;
	char path[64];
	pid_t pid;

	if (a->work == CONTAINER_PATH && pipe2(a->sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	pid = clone(child_main, stack_top, flags | SIGCHLD, a);
	if (pid == -1)
		err(EXIT_FAILURE, "clone(0x%x)", (unsigned)flags);
	if (a->work == CONTAINER_PATH) {
		close(a->sync_pipe[0]);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		write_file(path, "0 0 65536\n");
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		write_file(path, "0 0 65536\n");
		if (write(a->sync_pipe[1], "g", 1) != 1)
			err(EXIT_FAILURE, "write(sync pipe)");
		close(a->sync_pipe[1]);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(EXIT_FAILURE, "clone(0x%x): the child failed (status 0x%x)",
		     (unsigned)flags, status);
	return now_ms() - t0;
}

static int compare_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Time `iterations` runs and print median, min, max and the ratio of the
 * median to the floor (the first row measured sets the floor). */
static void row(const char *name, int flags, enum work work,
		struct child_args *a, int iterations)
{
	double *t = calloc(iterations, sizeof(*t)), median;

	if (!t)
		err(EXIT_FAILURE, "calloc");
	a->work = work;
	for (int i = 0; i < 5; i++) /* warm-up: caches, page tables */
		one_run(flags, a);
	for (int i = 0; i < iterations; i++)
		t[i] = one_run(flags, a);
	qsort(t, iterations, sizeof(*t), compare_double);
	median = iterations % 2 ? t[iterations / 2]
				: (t[iterations / 2 - 1] + t[iterations / 2]) / 2;
	if (floor_ms == 0)
		floor_ms = median;
	printf("  %-46s %8.3f %8.3f %8.3f %7.2fx\n", name, median, t[0],
	       t[iterations - 1], median / floor_ms);
	fflush(stdout);
	if (tsv)
		fprintf(tsv, "%s\t%.4f\t%.4f\t%.4f\t%.3f\n", name, median, t[0],
			t[iterations - 1], median / floor_ms);
	free(t);
}

/* ---- -t: whole commands, from fork() to waitpid() -------------------- */

static double run_command(char **argv)
{
	double t0 = now_ms();
	int status, null;
	pid_t pid = fork();

	if (pid == -1)
		err(EXIT_FAILURE, "fork");
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		if (null == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
			err(127, "/dev/null");
		execvp(argv[0], argv);
		err(127, "execvp(%s)", argv[0]);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(EXIT_FAILURE, "%s failed (status 0x%x)", argv[0], status);
	return now_ms() - t0;
}

/* Median, min, max and standard deviation of t[0..n) (sorts it). */
static void print_stats(double *t, int n, const char *end)
{
	double sum = 0, sq = 0;

	for (int i = 0; i < n; i++)
		sum += t[i];
	for (int i = 0; i < n; i++)
		sq += (t[i] - sum / n) * (t[i] - sum / n);
	qsort(t, n, sizeof(*t), compare_double);
	printf("%.4f %.4f %.4f %.4f%s", n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2,
	       t[0], t[n - 1], n > 1 ? sqrt(sq / (n - 1)) : 0, end);
}

static int time_command(int runs, char **argv)
{
	double *t = calloc(runs, sizeof(*t));

	if (!t)
		err(EXIT_FAILURE, "calloc");
	for (int i = 0; i < 5; i++)
		run_command(argv);
	for (int i = 0; i < runs; i++)
		t[i] = run_command(argv);
	print_stats(t, runs, "\n");
	free(t);
	return EXIT_SUCCESS;
}

#define MAX_ROWS 16
#define MAX_WORDS 32

/* -i: FILE's commands in interleaved rounds (see the header). */
static int time_interleaved(int runs, const char *file)
{
	static char *argv[MAX_ROWS][MAX_WORDS + 1];
	char *line = NULL, *w;
	double *t[MAX_ROWS], paired[MAX_ROWS], *ratio;
	int rows = 0, words;
	size_t cap = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		err(EXIT_FAILURE, "fopen(%s)", file);
	while (getline(&line, &cap, f) != -1) {
		if (rows == MAX_ROWS)
			errx(2, "%s: more than %d commands", file, MAX_ROWS);
		words = 0;
		for (w = strtok(line, " \t\n"); w; w = strtok(NULL, " \t\n")) {
			if (words == MAX_WORDS)
				errx(2, "%s: a command of more than %d words", file,
				     MAX_WORDS);
			argv[rows][words++] = strdup(w);
		}
		if (words == 0)
			continue;
		argv[rows][words] = NULL;
		t[rows] = calloc(runs, sizeof(double));
		if (!t[rows] || !argv[rows][words - 1])
			err(EXIT_FAILURE, "calloc");
		rows++;
	}
	free(line);
	fclose(f);
	ratio = calloc(runs, sizeof(double));
	if (rows == 0 || !ratio)
		errx(2, "%s: no command", file);
	for (int r = -5; r < runs; r++) /* 5 rounds not counted */
		for (int k = 0; k < rows; k++) {
			int i = (k + (r < 0 ? 0 : r)) % rows;
			double ms = run_command(argv[i]);

			if (r >= 0)
				t[i][r] = ms;
		}
	/* The ratios first: print_stats() sorts each row's times. */
	for (int i = rows - 1; i >= 0; i--) {
		for (int r = 0; r < runs; r++)
			ratio[r] = t[i][r] / t[0][r];
		qsort(ratio, runs, sizeof(*ratio), compare_double);
		paired[i] = runs % 2 ? ratio[runs / 2] :
			(ratio[runs / 2 - 1] + ratio[runs / 2]) / 2;
	}
	for (int i = 0; i < rows; i++) {
		print_stats(t[i], runs, " ");
		printf("%.4f\n", paired[i]);
	}
	return EXIT_SUCCESS;
}

/* ---- network namespace teardown ------------------------------------ */

/* A user namespace may cap how many namespaces of a kind exist in it
 * (/proc/sys/user/max_*_namespaces). The count drops when the kernel has
 * really freed a namespace, so with a cap of 1 a second clone() fails
 * with ENOSPC until the first is gone. How long after waitpid() that is,
 * for `flag`: the UTS namespace is freed as its last process exits, the
 * network namespace later, by the kernel's cleanup_net worker. */
static void teardown(const char *kind, int flag, const char *sysctl,
		     struct child_args *a)
{
	double gone[TEARDOWN_ROUNDS], t0, t;
	long retries = 0;
	int status;
	pid_t pid;

	a->work = EXIT_AT_ONCE;
	/* The child must not print this process's pending output again. */
	fflush(NULL);
	pid = fork();
	if (pid == -1)
		err(EXIT_FAILURE, "fork");
	if (pid == 0) {
		/* In a throwaway user namespace of our own, cap the count at 1. */
		if (unshare(CLONE_NEWUSER) == -1)
			err(EXIT_FAILURE, "unshare(CLONE_NEWUSER)");
		write_file("/proc/self/uid_map", "0 0 1\n");
		write_file(sysctl, "1\n");
		pid = clone(child_main, stack_top, flag | SIGCHLD, a);
		for (int i = 0; i < TEARDOWN_ROUNDS; i++) {
			if (pid == -1 || waitpid(pid, &status, 0) == -1)
				err(EXIT_FAILURE, "clone(%s)", kind);
			t0 = now_ms();
			/* Poll: a refused clone() creates nothing and costs
			 * little. The namespace was gone when the clone() that
			 * succeeded began. */
			for (;;) {
				t = now_ms();
				pid = clone(child_main, stack_top, flag | SIGCHLD, a);
				if (pid != -1 || errno != ENOSPC)
					break;
				retries++;
				usleep(20);
			}
			gone[i] = t - t0;
		}
		if (pid == -1 || waitpid(pid, &status, 0) == -1)
			err(EXIT_FAILURE, "clone(%s)", kind);
		qsort(gone, TEARDOWN_ROUNDS, sizeof(gone[0]), compare_double);
		printf("  %-46s %8.3f %8.3f %8.3f   %ld refused clone() calls\n",
		       kind, gone[TEARDOWN_ROUNDS / 2], gone[0],
		       gone[TEARDOWN_ROUNDS - 1], retries);
		if (tsv)
			fprintf(tsv, "teardown %s\t%.4f\t%.4f\t%.4f\t%ld\n", kind,
				gone[TEARDOWN_ROUNDS / 2], gone[0],
				gone[TEARDOWN_ROUNDS - 1], retries);
		fflush(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		errx(EXIT_FAILURE, "teardown measurement for %s failed", kind);
}

/* The child sees a copy of the parent's memory: no pending output. */
static double back_to_back(int n, int flags, struct child_args *a)
{
	double t0 = now_ms();

	a->work = EXIT_AT_ONCE;
	for (int i = 0; i < n; i++)
		one_run(flags, a);
	return (now_ms() - t0) / n;
}

int main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int flag;
	} alone[] = {
		{"clone(CLONE_NEWUTS)", CLONE_NEWUTS},
		{"clone(CLONE_NEWIPC)", CLONE_NEWIPC},
		{"clone(CLONE_NEWUSER)", CLONE_NEWUSER},
		{"clone(CLONE_NEWNS)", CLONE_NEWNS},
		{"clone(CLONE_NEWPID)", CLONE_NEWPID},
		{"clone(CLONE_NEWNET)", CLONE_NEWNET},
	};
	static struct child_args args;
	int iterations = DEFAULT_ITERATIONS, opt;
	char rootfs[PATH_MAX];
	double each;
	char *stack;

	while ((opt = getopt(argc, argv, "+hi:n:o:t:")) != -1) {
		switch (opt) {
		case 'i':
			if (optind != argc - 1 || atoi(optarg) < 1) {
				usage(stderr, argv[0]);
				return 2;
			}
			return time_interleaved(atoi(optarg), argv[optind]);
		case 't':
			if (optind >= argc || atoi(optarg) < 1) {
				usage(stderr, argv[0]);
				return 2;
			}
			return time_command(atoi(optarg), &argv[optind]);
		case 'n':
			iterations = atoi(optarg);
			break;
		case 'o':
			tsv = fopen(optarg, "we");
			if (!tsv)
				err(EXIT_FAILURE, "fopen(%s)", optarg);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc - 1 || iterations < 1) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (!realpath(argv[optind], rootfs))
		err(EXIT_FAILURE, "rootfs %s", argv[optind]);
	args.rootfs = rootfs;
	snprintf(args.true_path, sizeof(args.true_path), "%s/bin/true", rootfs);
	if (access(args.true_path, X_OK) == -1)
		err(EXIT_FAILURE, "%s (make rootfs)", args.true_path);

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");
	stack_top = stack + STACK_SIZE;

	printf("In-process cost, clone() to waitpid(), %d iterations per row (ms)\n",
	       iterations);
	printf("  %-46s %8s %8s %8s %8s\n", "", "median", "min", "max", "ratio");
	if (tsv)
		fprintf(tsv, "case\tmedian_ms\tmin_ms\tmax_ms\tratio\n");
	row("fork + exec /bin/true (the floor)", 0, EXEC_TRUE, &args, iterations);
	row("fork, no exec", 0, EXIT_AT_ONCE, &args, iterations);
	for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
		row(alone[i].name, alone[i].flag, EXIT_AT_ONCE, &args, iterations);
	row("clone(all six)", SIX, EXIT_AT_ONCE, &args, iterations);
	row("clone(all six) + exec /bin/true", SIX, EXEC_TRUE, &args, iterations);
	row("container path (maps, pivot_root, /proc, exec)", SIX, CONTAINER_PATH,
	    &args, iterations);

	printf("\nTeardown: from waitpid() until the kernel has freed the "
	       "namespace (ms)\n");
	printf("  %-46s %8s %8s %8s\n", "", "median", "min", "max");
	fflush(stdout);
	teardown("uts namespace", CLONE_NEWUTS, "/proc/sys/user/max_uts_namespaces",
		 &args);
	teardown("network namespace", CLONE_NEWNET,
		 "/proc/sys/user/max_net_namespaces", &args);
	each = back_to_back(100, CLONE_NEWNET, &args);
	printf("\n  100 network namespaces made back to back: %.3f ms each; "
	       "the kernel's\n  cleanup worker frees the earlier ones on the "
	       "other CPU meanwhile\n", each);
	if (tsv)
		fprintf(tsv, "netns back to back\t%.4f\t\t\t\n", each);
	if (tsv && fclose(tsv) == EOF)
		err(EXIT_FAILURE, "fclose");
	return EXIT_SUCCESS;
}
