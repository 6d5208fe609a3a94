/* init.c - the PID-1 runtime of the nslab lessons (see init.h). */
#define _GNU_SOURCE
#include "init.h"
#include "nslab.h"

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <termios.h>
#include <unistd.h>

static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,
				SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

void forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(set, forwarded[i]);
}

/* ---- the terminal -------------------------------------------------------- */

static bool terminal_was_ours;

bool terminal_ours(void)
{
	terminal_was_ours = isatty(STDIN_FILENO) &&
			    tcgetpgrp(STDIN_FILENO) == getpgrp();
	return terminal_was_ours;
}

/* tcsetpgrp() from a process group that is not the foreground one
 * raises SIGTTOU (tcsetpgrp(3)), which would stop us: block it. */
static void set_foreground(pid_t pgrp)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	if (tcsetpgrp(STDIN_FILENO, pgrp) == -1)
		warn("tcsetpgrp(%d)", (int)pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void terminal_back(void)
{
	if (terminal_was_ours)
		set_foreground(getpgrp());
}

void own_process_group(bool terminal)
{
	if (setpgid(0, 0) == -1)
		err(EXIT_FAILURE, "setpgid(0, 0)");
	if (terminal)
		set_foreground(getpgrp());
}

/* ---- the launcher passes signals on -------------------------------------- */

static volatile sig_atomic_t child_fd = -1;

/* pidfd_send_signal() is a system call, safe in a handler. ESRCH: the
 * child has ended; the pidfd makes sure no other process gets it. */
static void pass_on(int sig)
{
	int saved = errno;

	if (child_fd != -1)
		pidfd_send_signal(child_fd, sig, NULL, 0);
	errno = saved;
}

void forward_signals(pid_t child)
{
	struct sigaction sa = {.sa_handler = pass_on, .sa_flags = SA_RESTART};
	int fd = pidfd_open(child, 0);

	/* The child cannot have been reaped yet (we have not waited), so
	 * its pid still names it here. */
	if (fd == -1)
		err(EXIT_FAILURE, "pidfd_open(%d)", (int)child);
	child_fd = fd;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		if (sigaction(forwarded[i], &sa, NULL) == -1)
			err(EXIT_FAILURE, "sigaction(%s)", sigabbrev_np(forwarded[i]));
}

/* ---- PID 1 ---------------------------------------------------------------- */

void init_block_signals(sigset_t *wait_for, sigset_t *old)
{
	forwarded_signals(wait_for);
	sigaddset(wait_for, SIGCHLD);
	/* A blocked signal is never dropped, not even for PID 1: it stays
	 * pending until sigwaitinfo() takes it (pid_namespaces(7)). */
	if (sigprocmask(SIG_BLOCK, wait_for, old) == -1)
		err(EXIT_FAILURE, "sigprocmask");
}

pid_t init_spawn(char *const argv[], const sigset_t *old, bool terminal,
		 int *pidfd)
{
	pid_t pid = fork();

	if (pid == -1)
		err(EXIT_FAILURE, "fork");
	if (pid == 0) {
		/* The command: what it would have had without an init. */
		for (size_t i = 0; i < NFORWARDED; i++)
			signal(forwarded[i], SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, old, NULL);
		own_process_group(terminal);
		exec_command(argv);
	}
	/* Also from this side, so the group exists before we go on
	 * (EACCES once the child has exec'd: it did it itself). */
	setpgid(pid, pid);
	*pidfd = pidfd_open(pid, 0);
	if (*pidfd == -1)
		err(EXIT_FAILURE, "pidfd_open(%d)", (int)pid);
	return pid;
}

void init_forward(int pidfd, const siginfo_t *si)
{
	if (pidfd_send_signal(pidfd, si->si_signo, NULL, 0) == -1 &&
	    errno != ESRCH)
		warn("pidfd_send_signal(%s)", sigabbrev_np(si->si_signo));
}

void init_end_the_rest(void)
{
	/* kill(-1) reaches every process we may signal; from PID 1 of a
	 * PID namespace, that is every other process of the namespace. */
	if (getpid() == 1)
		kill(-1, SIGKILL);
}

int init_run(char *const argv[], bool terminal)
{
	sigset_t wait_for, old;
	int fd;
	pid_t cmd;

	init_block_signals(&wait_for, &old);
	cmd = init_spawn(argv, &old, terminal, &fd);
	return init_loop(&wait_for, cmd, fd);
}
