/* tty.c - running a lesson on a real pseudo-terminal, as a user at a
 * shell would, and the interactive session that lessons 07 and 08 (a
 * terminal of the container's own, lessons/lib/pty.h) must both pass. */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <regex.h>
#include <sys/ioctl.h>
#include <termios.h>

/* The lesson on the terminal: stdout, stderr and the controlling
 * terminal; stdin too unless `in` is a descriptor of its own. */
static void start_on_terminal(struct tty_run *t, const char *const args[], int in)
{
	struct winsize ws = {.ws_row = 37, .ws_col = 111};
	const char *argv[16] = {lesson_bin()};
	pid_t parent = getpid();
	size_t n = 1;

	memset(t, 0, sizeof(*t));
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(t->master != -1 && grantpt(t->master) == 0 && unlockpt(t->master) == 0,
		  "posix_openpt: %s", strerror(errno));
	t->slave = open(ptsname(t->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_neq(t->slave, -1, "open(%s): %s", ptsname(t->master), strerror(errno));
	ioctl(t->master, TIOCSWINSZ, &ws);
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	t->pid = fork();
	cr_assert_neq(t->pid, -1, "fork: %s", strerror(errno));
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || setsid() == -1 ||
		    ioctl(t->slave, TIOCSCTTY, 0) == -1)
			_exit(125);
		dup2(in == -1 ? t->slave : in, 0);
		dup2(t->slave, 1);
		dup2(t->slave, 2);
		close_range(3, ~0U, 0);
		execv(argv[0], (char *const *)argv);
		_exit(125);
	}
}

void tty_start(struct tty_run *t, const char *const args[])
{
	start_on_terminal(t, args, -1);
}

void tty_start_stdin_null(struct tty_run *t, const char *const args[])
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_neq(null, -1, "open(/dev/null): %s", strerror(errno));
	start_on_terminal(t, args, null);
	close(null);
}

size_t tty_pending_input(struct tty_run *t)
{
	int n = 0;

	/* FIONREAD on the slave: what is waiting to be read there, as a
	 * shell on this terminal would read it (complete lines, in
	 * canonical mode). */
	if (ioctl(t->slave, FIONREAD, &n) == -1)
		return 0;
	return n > 0 ? (size_t)n : 0;
}

bool tty_wait(struct tty_run *t, const char *re, double timeout)
{
	double end = now() + timeout;
	regex_t rx;
	bool found = false;

	cr_assert_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0, "bad regex %s", re);
	while (!(found = regexec(&rx, t->out, 0, NULL, 0) == 0) && now() < end) {
		struct pollfd p = {.fd = t->master, .events = POLLIN};
		siginfo_t si = {0};
		ssize_t n;

		if (poll(&p, 1, 50) != 1) {
			/* the lesson ended, and everything it wrote is read */
			if (waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == t->pid)
				break;
			continue;
		}
		n = read(t->master, t->out + t->len, sizeof(t->out) - 1 - t->len);
		if (n <= 0)
			break;
		t->len += (size_t)n;
		t->out[t->len] = '\0';
		if (t->len > sizeof(t->out) - 256) {
			/* keep the last part only */
			memmove(t->out, t->out + t->len - 1024, 1024);
			t->len = 1024;
			t->out[t->len] = '\0';
		}
	}
	regfree(&rx);
	return found;
}

void tty_type(struct tty_run *t, const char *keys)
{
	cr_assert_eq(write(t->master, keys, strlen(keys)), (ssize_t)strlen(keys),
		     "write to the terminal: %s", strerror(errno));
}

int tty_finish(struct tty_run *t)
{
	int status = 0;

	for (double end = now() + RUN_TIMEOUT; now() < end;) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		tty_wait(t, "a^", 0.05); /* matches nothing: reads */
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &status, 0);
	return -1;
}

void tty_close(struct tty_run *t)
{
	close(t->master);
	close(t->slave);
}

/* Is pid's process group the foreground group of its controlling
 * terminal? /proc/PID/stat: field 5 the group, field 8 the terminal's
 * foreground group (proc(5)). Waits up to `timeout` seconds. */
static bool wait_foreground(pid_t pid, double timeout)
{
	char path[64], *text, *p;
	long pgrp, tpgid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (double end = now() + timeout; now() < end; nap(0.01)) {
		text = slurp(path);
		p = text ? strrchr(text, ')') : NULL;
		if (p && sscanf(p + 2, "%*c %*d %ld %*d %*d %ld", &pgrp, &tpgid) == 2 &&
		    pgrp == tpgid) {
			free(text);
			return true;
		}
		free(text);
	}
	return false;
}

void check_terminal_session(struct tty_run *t, const char *const args[])
{
	pid_t sleeper;
	struct winsize ws = {.ws_row = 40, .ws_col = 120};
	struct termios before, after;
	bool resized = false;
	int code;

	tty_start(t, args);
	tcgetattr(t->slave, &before);

	/* Echo shows what is typed; only the shell's answer matches. */
	tty_type(t, "echo T$(tty)T\n");
	cr_assert(tty_wait(t, "T/dev/pts/[0-9]+T", RUN_TIMEOUT), "`tty` inside should "
		  "name a terminal of the container's /dev/pts (pty_open from its "
		  "devpts, pty_attach before the command runs); the terminal showed: %s",
		  t->out);
	tty_type(t, "echo W$(stty size)W\n");
	cr_assert(tty_wait(t, "W37 111W", RUN_TIMEOUT), "`stty size` inside should "
		  "be the size of the launcher's terminal (37 111); the terminal "
		  "showed: %s", t->out);
	/* A new size reaches the launcher as SIGWINCH, the shell through it. */
	ioctl(t->master, TIOCSWINSZ, &ws);
	for (int i = 0; i < 20 && !resized; i++) {
		tty_type(t, "echo W$(stty size)W\n");
		resized = tty_wait(t, "W40 120W", 0.5);
	}
	cr_assert(resized, "after the window grew to 40x120, `stty size` inside "
		  "still says otherwise: the size must follow (SIGWINCH, TIOCSWINSZ); "
		  "the terminal showed: %s", t->out);

	/* Job control: ^C reaches the foreground job inside, once. */
	tty_type(t, "sleep 30\n");
	sleeper = find_descendant(t->pid, "sleep", RUN_TIMEOUT);
	cr_assert_gt(sleeper, 0, "the shell never started sleep; the terminal "
		     "showed: %s", t->out);
	/* ^C goes to the terminal's foreground group: wait until the shell
	 * has made sleep's group that (its own tcsetpgrp, after the fork). */
	cr_assert(wait_foreground(sleeper, RUN_TIMEOUT), "sleep never became the "
		  "foreground job of its terminal: the command's terminal must be "
		  "its controlling terminal (pty_attach); the terminal showed: %s",
		  t->out);
	tty_type(t, "\003");
	tty_type(t, "echo C$?C\n");
	cr_assert(tty_wait(t, "C130C", RUN_TIMEOUT), "^C should end the foreground "
		  "sleep with SIGINT (status 130): the command's terminal is its "
		  "controlling terminal, its process group the foreground one; the "
		  "terminal showed: %s", t->out);

	tty_type(t, "exit 3\n");
	code = tty_finish(t);
	cr_assert_eq(code, 3, "`exit 3` in the shell should end the launcher with "
		     "status 3, not %d; the terminal showed: %s", code, t->out);
	tcgetattr(t->slave, &after);
	cr_assert(before.c_lflag == after.c_lflag && before.c_iflag == after.c_iflag &&
		  before.c_oflag == after.c_oflag, "the launcher left the terminal in "
		  "raw mode: put its termios back when it ends (pty_relay)");
}
