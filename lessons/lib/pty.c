/* pty.c - a terminal of its own for a command in a container (pty.h). */
#define _GNU_SOURCE
#include "pty.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "nslab.h"

int pty_open(struct pty *p, int root_fd, int like)
{
	/* A devpts mounted with newinstance has its own ptmx in it; older
	 * setups have a /dev/ptmx device that finds the pts beside it. */
	static const char *const ptmx[] = {"dev/pts/ptmx", "dev/ptmx"};
	int unlock = 0, saved;
	struct winsize ws;

	p->master = p->slave = p->number = -1;
	for (size_t i = 0; i < sizeof(ptmx) / sizeof(ptmx[0]) && p->master == -1; i++) {
		char path[32];

		/* AT_FDCWD: this process's own /dev, from its root. */
		snprintf(path, sizeof(path), "%s%s", root_fd == AT_FDCWD ? "/" : "",
			 ptmx[i]);
		p->master = openat(root_fd, path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (p->master == -1 && errno != ENOENT && errno != EACCES)
			return -1;
	}
	if (p->master == -1)
		return -1;
	// tag::ptmx[]
	/* unlockpt(3) and ptsname(3) by hand: the pair is born locked, and
	 * its number N is the one in this devpts, not in the host's. */
	if (ioctl(p->master, TIOCSPTLCK, &unlock) == -1 ||
	    ioctl(p->master, TIOCGPTN, &p->number) == -1)
		goto fail;
	/* The slave, without looking its name up in a /dev/pts that may not
	 * be this pair's (tty_ioctl(4), TIOCGPTPEER, Linux 4.13). */
	p->slave = ioctl(p->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave == -1)
		goto fail;
	// end::ptmx[]
	if (like >= 0 && ioctl(like, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws);
	return 0;
fail:
	saved = errno;
	close(p->master);
	p->master = -1;
	errno = saved;
	return -1;
}

int pty_attach(struct pty *p)
{
	// tag::attach[]
	/* A new session has no controlling terminal; its leader may take
	 * one, and then the terminal sends ^C's SIGINT, ^Z's SIGTSTP and
	 * SIGWINCH to the session's foreground process group. */
	if (setsid() == -1 || ioctl(p->slave, TIOCSCTTY, 0) == -1)
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(p->slave, fd) == -1)
			return -1;
	// end::attach[]
	if (p->slave > 2)
		close(p->slave);
	close(p->master);
	p->slave = p->master = -1;
	return 0;
}

/* ---- the launcher's side ------------------------------------------- */

static struct termios saved_termios;
static volatile sig_atomic_t raw_fd = -1;
static int wake[2] = {-1, -1};

void pty_restore_terminal(void)
{
	int fd = raw_fd;

	if (fd != -1) {
		raw_fd = -1;
		tcsetattr(fd, TCSADRAIN, &saved_termios);
	}
}

/* SIGCHLD and SIGWINCH: tell the poll loop (the self-pipe trick). */
static void note_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(wake[1], &c, 1) == -1) {
		/* the pipe is full: the loop will wake up anyway */
	}
	errno = saved;
}

/* A signal that ends the launcher: the terminal first, then die of it. */
static void end_by_signal(int sig)
{
	pty_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return; /* the reader is gone: nothing to relay to */
		buf += w;
		n -= w;
	}
}

/* The window of the terminal on stdin, passed to the pty: the kernel
 * then sends SIGWINCH to the command's foreground process group. */
static void copy_window_size(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Once the command is gone: what it wrote last, without blocking. */
static void drain(int master)
{
	char buf[4096];
	ssize_t n;

	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		write_all(STDOUT_FILENO, buf, n);
}

int pty_relay(struct pty *p, pid_t pid)
{
	static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
	static bool registered;
	struct sigaction sa = {.sa_handler = note_signal, .sa_flags = SA_RESTART};
	bool in_open = true, master_open = true;
	int status = 0;

	close(p->slave);
	p->slave = -1;
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		err(EXIT_FAILURE, "pipe2");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = end_by_signal;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);

	/* Raw mode (termios(3), cfmakeraw): no echo, no line editing, no
	 * ^C turned into SIGINT here. Every key goes to the pty as it is,
	 * and the pty's own line discipline, in the container, does all
	 * that for the command. */
	// tag::raw[]
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		struct termios raw = saved_termios;

		if (!registered)
			registered = atexit(pty_restore_terminal) == 0;
		cfmakeraw(&raw);
		raw_fd = STDIN_FILENO;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	}
	// end::raw[]
	note_signal(SIGCHLD); /* the child may have ended already */

	for (;;) {
		struct pollfd fds[3] = {
			{.fd = wake[0], .events = POLLIN},
			{.fd = master_open ? p->master : -1, .events = POLLIN},
			{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		char buf[4096];
		ssize_t n;

		if (poll(fds, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAILURE, "poll");
		}
		if (fds[0].revents & POLLIN) {
			bool winch = false;

			while ((n = read(wake[0], buf, sizeof(buf))) > 0)
				winch |= memchr(buf, SIGWINCH, (size_t)n) != NULL;
			// tag::winch[]
			if (winch)
				copy_window_size(p->master);
			// end::winch[]
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(p->master, buf, sizeof(buf));
			if (n > 0)
				write_all(STDOUT_FILENO, buf, n);
			else if (n == 0 || errno != EINTR)
				master_open = false; /* EIO: no one has the slave open */
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0) {
				write_all(p->master, buf, n);
			} else if (n == 0 || errno != EINTR) {
				/* End of input: the pty's end-of-file character
				 * (^D), as if typed at the end of a line. */
				struct termios t;

				in_open = false;
				if (tcgetattr(p->master, &t) == 0)
					write_all(p->master, (char *)&t.c_cc[VEOF], 1);
			}
		}
	}
	drain(p->master);
	pty_restore_terminal();
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	close(wake[0]);
	close(wake[1]);
	close(p->master);
	p->master = -1;
	return exit_status(status);
}

/* ---- handing the master over (SCM_RIGHTS) ---------------------------- */

void pty_send_master(int sock, const struct pty *p)
{
	char room[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)&p->number, .iov_len = sizeof(int)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = room, .msg_controllen = sizeof(room)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p->master, sizeof(int));
	if (sendmsg(sock, &m, 0) != (ssize_t)sizeof(int))
		err(EXIT_FAILURE, "sendmsg(the terminal's master, SCM_RIGHTS)");
}

int pty_receive_master(int sock, struct pty *p)
{
	char room[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &p->number, .iov_len = sizeof(int)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = room, .msg_controllen = sizeof(room)};
	struct cmsghdr *c;

	p->master = p->slave = -1;
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(int) ||
	    !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&p->master, CMSG_DATA(c), sizeof(int));
	return 0;
}
