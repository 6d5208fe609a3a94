/* harness.h - the shared test harness of nslab.
 *
 * Every suite links harness.c, which owns main(): it snapshots the real
 * host before and after the whole run, refuses skipped tests when asked
 * (NSLAB_NO_SKIP=1), and writes a one-line result for `make grade`.
 *
 * Inside a test, harness_setup() (the suites' .init) moves the test into
 * throwaway namespaces when it can, so the "host" a lesson sees is a copy
 * the test owns, and every lesson run ends with a check that this copy is
 * exactly as it was before.
 */
#ifndef NSLAB_HARNESS_H
#define NSLAB_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <criterion/criterion.h>

/* The per-test budget every suite gives its tests (seconds). */
#define TEST_TIMEOUT 20.0
/* How long one run of a lesson may take before the harness kills it. */
#define RUN_TIMEOUT 8.0

/* The namespace types whose /proc/PID/ns entries the suites compare.
 * cgroup and time are listed too: a lesson must leave them shared. */
extern const char *const ns_names[];
#define NS_COUNT 8

/* A namespace's identity: two processes share a namespace iff both
 * st_dev and st_ino of /proc/PID/ns/NAME are equal (namespaces(7)). */
struct nsid {
	dev_t dev;
	ino_t ino;
};

bool ns_of(pid_t pid, const char *name, struct nsid *id);
bool ns_same(struct nsid a, struct nsid b);
/* Namespace of the test itself (fails the test if unreadable). */
struct nsid my_ns(const char *name);

/* One run of the program under test. */
struct run {
	pid_t pid;          /* the lesson process (its own process group) */
	int in_fd;          /* write end of its stdin, -1 once closed */
	int out_fd, err_fd; /* read ends, -1 at EOF */
	char *out, *err;    /* everything read so far, NUL-terminated */
	size_t out_len, err_len;
	int status;         /* raw wait status once reaped */
	int code;           /* exit code, 128+N if killed by signal N, -1 if timed out */
	bool reaped, timed_out;
};

/* Options of a run. uid/gid 0 keep the test's own credentials. */
struct run_opts {
	uid_t uid;
	gid_t gid;
	bool keep_stdin; /* leave stdin open (for `probe --hold`) */
	/* Rootless, as `make lessonNN` runs a lesson for an ordinary user
	 * (tools/run-lesson): after dropping to uid/gid, enter a new user
	 * namespace where that user is root, and with `rootless_net` a new
	 * network namespace too. */
	bool rootless, rootless_net;
	bool traced; /* for check_kill_points */
};

/* An unprivileged uid/gid for rootless runs, random per test. */
uid_t test_uid(void);

/* Path of the binary under test ($NSLAB_BIN) and of the probe. */
const char *lesson_bin(void);
const char *probe_bin(void);

/* Start the binary under test with the NULL-terminated argument list
 * (argv[0] is added). */
void run_start(struct run *r, const char *const args[], const struct run_opts *o);
/* run_start with stdin kept open, then wait until the command prints
 * "ready" (`probe --hold` does); fails the test if it never does. */
void run_hold(struct run *r, const char *const args[], const struct run_opts *o);
/* Read output until `needle` appears on stdout (true) or the lesson
 * exits or the timeout passes (false). */
bool run_wait_output(struct run *r, const char *needle, double timeout);
/* Close stdin, read everything, reap, then check that the lesson left
 * nothing behind (processes, and the host state of this test). */
void run_finish(struct run *r);
/* Send `sig` to the lesson process alone, reap it, and look for what it
 * left while the command's stdin is still open; then finish as above. */
void run_kill(struct run *r, int sig);
void run_free(struct run *r);
/* run_start + run_finish. */
void run_lesson(struct run *r, const char *const args[]);
void run_lesson_as(struct run *r, const char *const args[], uid_t uid, gid_t gid);

/* Host safety under faults: run the lesson with `args` once under ptrace
 * to count its system calls, then again for every system call from its
 * first clone() on (and `points` spread over the ones before), killing
 * the launcher with SIGKILL on entry to it: after the clone, after the
 * mounts, after the veth, while the command runs... Every time, nothing
 * may outlive it: no process (looked for while the command's stdin is
 * still open, so `probe --hold` is the command to give), no change to
 * the host. Every wait is bounded by RUN_TIMEOUT. */
void check_kill_points(const char *const args[], const struct run_opts *o,
		       int points);

/* The first descendant of `root` whose /proc/PID/comm is `comm`, waiting
 * up to `timeout` seconds for it to appear; 0 if none. */
pid_t find_descendant(pid_t root, const char *comm, double timeout);

/* What the probe reports about itself (tests/probe.c). */
struct probe {
	bool valid;
	pid_t pid, ppid;
	uid_t uid, euid;
	gid_t gid, egid;
	char hostname[72], domainname[72];
	struct nsid ns[NS_COUNT]; /* in ns_names order; ino 0 if absent */
};
/* Parse a probe report out of `text`. Fails the test if there is none. */
struct probe probe_parse(const char *text, const struct run *r);
int ns_index(const char *name);

/* A lowercase random name: prefix + hex, of total length len (< size). */
void random_name(char *buf, size_t size, const char *prefix, size_t len);
/* Monotonic time in seconds, and a sleep that resumes after signals. */
double now(void);
void nap(double seconds);

/* A random integer in [lo, hi]. */
int random_between(int lo, int hi);

/* The suites' .init and .fini: throwaway namespaces, subreaper, host state. */
void harness_setup(void);
void harness_teardown(void);
/* True when this test runs in throwaway namespaces (as root). Tests that
 * let a lesson change global state must skip otherwise. */
bool harness_isolated(void);
/* A process the test started itself and that may outlive a run. */
void harness_keep(pid_t pid);
/* Take the baseline host state again, after the test changed it on
 * purpose (say, created an IPC object of its own). */
void harness_rebase(void);
/* Skip the test unless unshare(flags) works here; says why. */
void require_unshare(int flags, const char *what);

/* The host state a lesson could damage: hostname, domain name, mount
 * table, network links (with `network`, routes and IPv6 addresses too),
 * SysV IPC objects. Caller frees. */
char *host_state(bool network);
/* Fails the test, naming the first difference, if the state changed. */
void assert_host_state(const char *before, const char *when);

/* A failure message that points the student at the lesson's own words:
 * its "TODO(n) not done" line when the skeleton stopped there, or its
 * stderr otherwise. */
const char *why(const struct run *r);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- what every lesson program does alike ------------------------------
 *
 * DESIGN.md gives every lesson one interface: NAME [OPTIONS] [--] COMMAND,
 * COMMAND's exit status (128+N for signal N), 127 for a missing command,
 * 2 and the usage for bad usage, an account on stderr that -q silences,
 * a one-line error naming sudo without privilege, and nothing left behind
 * wherever it is killed. A suite describes its lesson once and gets those
 * checks from LESSON_BASICS. */
struct lesson {
	const char *program;         /* its name in messages: "uts" */
	const char *new_ns;          /* the namespaces it makes: "uts", "pid mnt" */
	const char *const *opts;     /* options before "--" (no -q), or NULL */
	const char *probe;           /* the probe as the command sees it (NULL: probe_bin()) */
	struct run_opts run;         /* how it is started (say, as an ordinary user) */
	bool needs_root;             /* without privilege it must say to use sudo */
	const char *not_executable;  /* a file the command sees, mode 0644 (NULL: made here) */
	const char *needs_arg;       /* an option that takes an argument (bad usage alone) */
	const char *account_says;    /* words the account must contain, besides the inodes */
};

/* argv for the lesson: its opts, -q if quiet, "--", then cmd. The array
 * is the caller's (64 entries). */
const char *const *lesson_args(const char **argv, const struct lesson *l, bool quiet,
			       const char *const cmd[]);
/* The probe's path as the lesson's command sees it. */
const char *lesson_probe(const struct lesson *l);
/* Fails unless exactly the namespaces in l->new_ns differ from the test's
 * own (the namespaces the lesson started in), by st_dev and st_ino. */
void check_new_namespaces(const struct lesson *l, const struct nsid theirs[NS_COUNT],
			  const char *seen);
/* `ns:[inode]`, as the kernel names a namespace in /proc/PID/ns links. */
const char *ns_label(const char *name, struct nsid id);

void basic_new_namespaces_inside(const struct lesson *l);
void basic_new_namespaces_outside(const struct lesson *l);
void basic_exit_status(const struct lesson *l);
void basic_death_by_signal(const struct lesson *l);
void basic_missing_command(const struct lesson *l);
void basic_command_not_executable(const struct lesson *l);
void basic_bad_usage(const struct lesson *l);
void basic_account(const struct lesson *l);
void basic_without_root(const struct lesson *l);
void basic_sigkill_mid_run(const struct lesson *l);
void basic_kill_points(const struct lesson *l);
void basic_rootless(const struct lesson *l);

/* Bad input, table-driven: each row's whole argument list, the exit
 * status it must give, and words its error must contain. None may crash,
 * hang, run the command, or leave anything behind. */
struct bad_input {
	const char *const *args;
	int code;
	const char *says;
};
#define BAD(code, says, ...) {(const char *const[]){__VA_ARGS__, NULL}, code, says}
void check_bad_inputs(const struct lesson *l, const struct bad_input *rows, size_t n);

#define LESSON_BASICS(suite, L)                                                  \
	Test(suite, new_namespaces_seen_from_inside) { basic_new_namespaces_inside(L); } \
	Test(suite, new_namespaces_seen_from_outside) { basic_new_namespaces_outside(L); } \
	Test(suite, exit_status_passes_through) { basic_exit_status(L); }         \
	Test(suite, death_by_signal_is_128_plus_n) { basic_death_by_signal(L); }  \
	Test(suite, missing_command_exits_127) { basic_missing_command(L); }      \
	Test(suite, command_not_executable_exits_126) { basic_command_not_executable(L); } \
	Test(suite, bad_usage_exits_2) { basic_bad_usage(L); }               \
	Test(suite, account_names_the_namespaces) { basic_account(L); }           \
	Test(suite, without_root_says_how) { basic_without_root(L); }             \
	Test(suite, sigkill_mid_run_leaves_nothing) { basic_sigkill_mid_run(L); } \
	Test(suite, killed_at_any_step_leaves_nothing, .timeout = 150) { basic_kill_points(L); } \
	Test(suite, runs_for_an_ordinary_user_as_make_does) { basic_rootless(L); }

#endif
