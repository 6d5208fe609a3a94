/* killpoints.c - the lesson under ptrace: SIGKILL on entry to every
 * system call, and what each kill leaves behind; the signal its first
 * child is made to send when it ends (harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* ---- killing a lesson at every step ---------------------------------- */

/* Let the traced lesson run to its exec stop, then on from one system
 * call entry to the next. Stops it with SIGKILL on entry to its
 * `kill_at`-th system call (never, if 0) and returns how many entries it
 * saw; *nr is the number of the system call it was killed in, and
 * *first_clone (if not NULL) the index of its first clone(). The
 * lesson's children are not traced: they run on, as they would. */
static void wake_up(int sig)
{
	(void)sig; /* only interrupts waitpid() */
}

static long trace_lesson(struct run *r, long kill_at, long *nr, long *first_clone)
{
	struct sigaction sa = {.sa_handler = wake_up}; /* no SA_RESTART */
	long entries = 0;
	int status, sig = 0;

	/* A lesson that never ends (a child that waits forever, say) must
	 * not hang the test: after RUN_TIMEOUT seconds waitpid() is
	 * interrupted and the lesson's process group killed. */
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)RUN_TIMEOUT);
	while (waitpid(r->pid, &status, 0) == -1) {
		if (errno != EINTR)
			return 0;
		r->timed_out = true;
		kill(-r->pid, SIGKILL);
	}
	if (!WIFSTOPPED(status))
		return 0;
	ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		struct __ptrace_syscall_info info;

		if (ptrace(PTRACE_SYSCALL, r->pid, NULL, (void *)(long)sig) == -1)
			break;
		sig = 0;
		if (waitpid(r->pid, &status, 0) != r->pid) {
			if (errno != EINTR)
				break;
			r->timed_out = true;
			kill(-r->pid, SIGKILL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			r->status = status;
			r->reaped = true;
			r->code = WIFEXITED(status) ? WEXITSTATUS(status)
						    : 128 + WTERMSIG(status);
			break;
		}
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* A signal for the lesson itself: deliver it. */
			if (WSTOPSIG(status) != SIGTRAP)
				sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, r->pid, (void *)sizeof(info),
			   &info) <= 0 || info.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		++entries;
		if (first_clone && !*first_clone &&
		    (info.entry.nr == SYS_clone || info.entry.nr == SYS_clone3))
			*first_clone = entries;
		/* About to wait for its command, and not to be killed here:
		 * let a command that holds until stdin closes finish. */
		if (entries != kill_at && r->in_fd != -1 &&
		    (info.entry.nr == SYS_wait4 || info.entry.nr == SYS_waitid)) {
			close(r->in_fd);
			r->in_fd = -1;
		}
		if (entries == kill_at) {
			*nr = (long)info.entry.nr;
			kill(r->pid, SIGKILL);
		}
	}
	alarm(0);
	/* Killed: the loop may have ended before it saw the exit. */
	if (!r->reaped && *nr != -1 && waitpid(r->pid, &status, 0) == r->pid) {
		r->status = status;
		r->reaped = true;
		r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return entries;
}

void check_kill_points(const char *const args[], const struct run_opts *how,
		       int points)
{
	struct run_opts o = how ? *how : (struct run_opts){0};
	long total, clone_at = 0, tried = 0, unreached = 0, nr = -1;
	struct run r;

	o.traced = true;
	/* A full run first: how many system calls does the lesson make, and
	 * where does it create its child? */
	run_start(&r, args, &o);
	total = trace_lesson(&r, 0, &nr, &clone_at);
	run_finish(&r);
	cr_assert_eq(r.code, 0, "this test stops your program at each of its system "
		     "calls to kill it there, but the program failed even without "
		     "being killed (exit status %d); %s", r.code, why(&r));
	run_free(&r);
	cr_assert_gt(total, 0, "could not trace the lesson's system calls");
	cr_assert_gt(clone_at, 0, "the lesson never called clone()");

	/* Every system call from the clone on (that is where a child, mounts
	 * and links exist), and `points` more spread over the start. The
	 * command's stdin stays open while we look for leftovers, so a
	 * `probe --hold` the kernel did not kill with its parent is found. */
	o.keep_stdin = true;
	for (long k = 1; k <= total; k++) {
		if (k < clone_at && (k * points / clone_at) == ((k - 1) * points / clone_at))
			continue;
		nr = -1;
		run_start(&r, args, &o);
		trace_lesson(&r, k, &nr, NULL);
		if (nr == -1) {
			/* This run made fewer system calls: not killed there. */
			unreached++;
		} else {
			snprintf(run_context, sizeof(run_context),
				 " after SIGKILL on entry to its system call %ld of %ld "
				 "(number %ld)", k, total, nr);
			if (r.reaped)
				check_leftovers();
			tried++;
		}
		run_finish(&r);
		run_free(&r);
	}
	run_context[0] = '\0';
	/* For make test's summary (tools/suite): how many kill points. */
	if (getenv("NSLAB_KILLPOINTS")) {
		FILE *f = fopen(getenv("NSLAB_KILLPOINTS"), "a");

		if (f) {
			fprintf(f, "%ld %ld\n", tried, total);
			fclose(f);
		}
	}
	cr_assert_lt(unreached, tried, "the lesson made far fewer system calls in "
		     "most runs than in the first: %ld kill points never reached",
		     unreached);
	cr_log_info("killed the lesson at %ld of its %ld system calls (all from "
		    "its clone() on; %ld points not reached): nothing outlived it",
		    tried, total, unreached);
}

/* ---- the signal a child sends its parent when it ends --------------------- */

/* Field 38 of /proc/PID/stat, exit_signal: what the child will send its
 * parent when it ends, as clone() was told (its low byte of the flags).
 * It can be read only before the child execs: execve() makes it SIGCHLD
 * whatever clone() said, which is why a lesson's waitpid() without
 * __WALL sometimes finds a child cloned without SIGCHLD (the command has
 * exec'd already) and sometimes does not (it has not). */
int first_child_exit_signal(struct run *r, const char *const args[],
			    const struct run_opts *how)
{
	struct run_opts o = how ? *how : (struct run_opts){0};
	struct sigaction sa = {.sa_handler = wake_up}; /* no SA_RESTART */
	int status, sig = 0, exit_signal = -1;

	o.traced = true;
	run_start(r, args, &o);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)RUN_TIMEOUT);
	/* The exec stop of PTRACE_TRACEME; then every fork, vfork and clone
	 * stops the lesson, and the new child stops before it runs. */
	if (waitpid(r->pid, &status, 0) != r->pid || !WIFSTOPPED(status))
		goto out;
	ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
	       (void *)(long)(PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			      PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL));
	while (ptrace(PTRACE_CONT, r->pid, NULL, (void *)(long)sig) != -1) {
		int event;
		unsigned long child = 0;

		sig = 0;
		if (waitpid(r->pid, &status, 0) != r->pid)
			break;
		if (!WIFSTOPPED(status)) {
			r->status = status;
			r->reaped = true;
			r->code = WIFEXITED(status) ? WEXITSTATUS(status)
						    : 128 + WTERMSIG(status);
			break;
		}
		event = status >> 16;
		if (event != PTRACE_EVENT_FORK && event != PTRACE_EVENT_VFORK &&
		    event != PTRACE_EVENT_CLONE) {
			/* A signal for the lesson itself: deliver it. */
			if (WSTOPSIG(status) != SIGTRAP)
				sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GETEVENTMSG, r->pid, NULL, &child) == -1 ||
		    waitpid((pid_t)child, &status, __WALL) != (pid_t)child)
			break;
		exit_signal = (int)stat_field((pid_t)child, 38);
		ptrace(PTRACE_DETACH, (pid_t)child, NULL, NULL);
		ptrace(PTRACE_DETACH, r->pid, NULL, NULL);
		break;
	}
out:
	alarm(0);
	return exit_signal;
}
