/* nslab.h - what every nslab lesson needs and is not its idea.
 *
 * Each lesson is one program about one idea. What is not that idea lives
 * here, once, the way Kerrisk's TLPI examples share tlpi_hdr.h and
 * error_functions.c: the account on stderr, todo(), namespace labels and
 * identity, exit statuses, clone errors explained per errno and flag, the
 * guards that refuse to act while a namespace is still the host's, and
 * the start-a-child-in-new-namespaces pattern that lesson 01 teaches in
 * full (ns_spawn). Read it once; after that, each lesson file is its idea.
 *
 * Build: make lessonNN compiles the lesson with -I lessons/lib and links
 * it with lessons/lib/nslab.c (and rtnl.c where a lesson needs netlink).
 */
#ifndef NSLAB_H
#define NSLAB_H

#ifndef _GNU_SOURCE
#error "#define _GNU_SOURCE before any #include: the lessons use Linux calls"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit status for bad usage, as getopt-based tools use. */
#define EXIT_USAGE 2

/* ---- the account on stderr ------------------------------------------- */

/* Call first in main: names the program in every message ("uts: ..."),
 * and the make target that runs it ("01": "sudo make lesson01"). */
void nslab_init(const char *prog, const char *lesson);
/* -q: say() prints nothing. */
extern bool nslab_quiet;
/* The program's name and its make target, for messages. */
const char *nslab_prog(void);
const char *nslab_make_target(void);

/* One line of the account of what happens, on stderr, unless -q. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Stops the program at a step the skeleton leaves to the student:
 * "TODO(3) not done: ...". The solution never calls it. */
__attribute__((noreturn)) void todo(int step, const char *what);

/* ---- namespaces: identity and labels --------------------------------- */

/* A namespace's identity: two processes share a namespace iff st_dev
 * and st_ino of /proc/PID/ns/TYPE are both equal (namespaces(7)). */
struct ns_id {
	dev_t dev;
	ino_t ino;
};

/* TYPE is the name in /proc/PID/ns: "uts", "ipc", "mnt", "pid", "net",
 * "user", "cgroup", "time" (or "pid_for_children"...). pid 0: this
 * process. False (errno set) when it cannot be read. */
bool ns_id_of(pid_t pid, const char *type, struct ns_id *id);
/* Lesson 00's step 2, defined by its program and, for the others,
 * generated from its solution (the EXPORT region read_ns): the identity
 * of the namespace at `path` (/proc/PID/ns/NAME); false, errno set, when
 * it cannot be read. */
bool read_ns(const char *path, struct ns_id *id);
/* Do processes a and b share their TYPE namespace? (0: this process) */
bool ns_shared(pid_t a, pid_t b, const char *type);
/* "uts:[4026531838]", the link's target as ls -l shows it, or "?". */
const char *ns_label(pid_t pid, const char *type, char *buf, size_t size);
/* "uts:[4026532611], a new UTS namespace" when pid's TYPE namespace
 * differs from ref's, "uts:[4026531838], still the parent's UTS
 * namespace" when it does not: the account never calls a shared one new. */
const char *ns_account(pid_t pid, pid_t ref, const char *type, char *buf,
		       size_t size);
/* "CLONE_NEWUTS", for a type name; "UTS" for its human name. */
int ns_flag(const char *type);
const char *ns_human(const char *type);

/* ---- guards ----------------------------------------------------------- */

/* Refuse to go on (exit 1) unless this process's TYPE namespace differs
 * from `parent`'s: a step that changes a namespace must never run in the
 * host's. `doing` says what was about to happen ("set the hostname"). */
void ensure_own_ns(pid_t parent, const char *type, const char *doing);

/* The parent writes to /proc/PID with the pid clone() returned: that only
 * names the child if /proc shows this process's PID namespace. */
void ensure_proc_is_ours(void);

/* ---- starting, waiting, exit statuses -------------------------------- */

/* Lesson 01's step 3, defined by its program and, for the others,
 * generated from its solution (the EXPORT region wait_child, tools/mkskel):
 * the exit status a shell reports for a child that ended with this
 * waitpid() status, 128+N for signal N; and the wait for child `pid`,
 * which returns that. */
int exit_status(int status);
int wait_child(pid_t pid);

/* execvp(argv); on failure the shell's convention: exit 127 when the
 * command is not found, 126 when it cannot be run. */
__attribute__((noreturn)) void exec_command(char *const argv[]);

/* clone() or unshare() with these CLONE_NEW* flags failed: say why, in
 * words that name the next step (root, a limit, the kernel), and exit 1.
 * `call` is "clone" or "unshare". */
__attribute__((noreturn)) void clone_failed(const char *call, int flags);

/* The flags as words: "CLONE_NEWUTS | CLONE_NEWNS". */
const char *clone_flags_str(int flags, char *buf, size_t size);

/* ---- the start-a-child pattern of lesson 01 ---------------------------
 *
 * ns_spawn() starts fn(arg) in a child made by clone(2) with `flags`
 * (CLONE_NEW* ...; SIGCHLD is added), on a stack of its own. The child
 * first asks to die with the launcher (PR_SET_PDEATHSIG, and getppid()
 * for the case where it already has), then waits on a pipe until the
 * parent calls ns_release(): the parent can look at it, write its maps or
 * give it a veth before it runs on. If the parent exits or fails first,
 * the child sees EOF without the go byte and exits without running fn.
 * Returns the child's pid, or -1 with errno set if clone() failed. */
struct ns_child {
	pid_t pid;
	int go; /* the parent's end of the sync pipe, -1 once released */
	bool in_cgroup; /* born in the cgroup of ns_spawn_into_cgroup() */
};
pid_t ns_spawn(struct ns_child *c, int flags, int (*fn)(void *), void *arg);
/* The next ns_spawn() starts its child in the cgroup v2 whose directory
 * `dir_fd` is open for, with clone3(2) CLONE_INTO_CGROUP: born there, it
 * needs no move, and a move waits for an RCU grace period (the bench
 * page). Where the kernel cannot (before Linux 5.7, or a v1 cgroup),
 * ns_spawn() uses clone() as ever and c->in_cgroup stays false: then
 * move the child. One ns_spawn() only; -1 clears it. */
void ns_spawn_into_cgroup(int dir_fd);
/* Lesson 01's step 1, defined by its program and, for the others,
 * generated from its solution (the EXPORT region ns_clone): fn(arg) in a
 * child with the namespaces of `flags` new, on `stack` (`size` bytes),
 * that its parent waits for as for a forked one; its pid, or -1. */
pid_t ns_clone(int (*fn)(void *), char *stack, size_t size, int flags,
	       void *arg);
void ns_release(struct ns_child *c);

#endif
