/* pty.h - a terminal of its own for a command in a container.
 *
 * A shell started in a container with the launcher's pipes or terminal
 * is not at home there: `tty` says "not a tty", job control fails ("Cannot
 * set tty process group"), and the host's terminal device is one the
 * container should not hold. runc, crun and Docker (`-t`) give the
 * command a pseudo-terminal instead (pty(7)): a pair of devices, the
 * master that the launcher keeps and the slave, /dev/pts/N, that the
 * command has as its controlling terminal. Whatever the command writes
 * to the slave, the launcher reads from the master and copies to the
 * real terminal; whatever the user types, it writes to the master.
 *
 * The pair comes from the container's own devpts (the instance mounted
 * on its /dev/pts), so its number is the container's and the command sees
 * its terminal in its /dev/pts. The launcher, after joining the
 * container's namespaces, opens the container's ptmx through a directory
 * descriptor of the container's root:
 *
 *   struct pty pty;
 *   if (pty_open(&pty, root_fd, STDIN_FILENO) == -1)   // in the launcher
 *           err(EXIT_FAILURE, "pty_open");
 *   pid = fork();
 *   if (pid == 0) {                                     // the command
 *           if (pty_attach(&pty) == -1)
 *                   err(EXIT_FAILURE, "pty_attach");
 *           ... execvp(...);
 *   }
 *   code = pty_relay(&pty, pid);     // the launcher, until the command ends
 *
 * Lesson 08 (exec) uses it so. In lesson 07 (container) the launcher
 * cannot reach the container's devpts (it is mounted in the container's
 * mount namespace): PID 1 opens the pair and sends the master back, see
 * pty_send_master() below.
 *
 * Read: pty(7), pts(4), termios(3) (raw mode), tty_ioctl(4) (TIOCSCTTY,
 * TIOCSWINSZ, TIOCGPTPEER), setsid(2), credentials(7) (sessions),
 * Documentation/filesystems/devpts.rst.
 */
#ifndef NSLAB_PTY_H
#define NSLAB_PTY_H

#include <sys/types.h>

struct pty {
	int master; /* the launcher's end */
	int slave;  /* the command's end, /dev/pts/N; -1 once given away */
	int number; /* N, in the devpts instance it came from */
};

/* Open a new pseudo-terminal pair from the devpts of the root directory
 * `root_fd` (its dev/pts/ptmx, or dev/ptmx; AT_FDCWD: this process's own
 * /dev). With `like` a terminal (say STDIN_FILENO), the new one gets its
 * window size. Both ends are O_CLOEXEC. 0, or -1 with errno set. */
int pty_open(struct pty *p, int root_fd, int like);

/* In the child, before it execs: a new session whose controlling
 * terminal is the slave (setsid, TIOCSCTTY), the slave on 0, 1 and 2,
 * the master closed. 0, or -1 with errno set. */
int pty_attach(struct pty *p);

/* In the launcher, once the child `pid` runs: close the slave, put the
 * terminal on stdin in raw mode (if it is one), relay stdin to the
 * master and the master to stdout, pass window size changes on
 * (SIGWINCH), until the child ends; then put the terminal back as it was
 * (also when the launcher exits early, or dies of SIGTERM, SIGHUP,
 * SIGINT or SIGQUIT) and return the child's exit status, 128+N for
 * signal N. Only SIGKILL leaves the terminal raw (`reset` fixes it). */
int pty_relay(struct pty *p, pid_t pid);

/* Put the terminal back now, if pty_relay() changed it (safe to call
 * more than once, and from a signal handler). */
void pty_restore_terminal(void);

/* When the pair must come from a devpts that only the child can reach
 * (lesson 07: the container's own, mounted in its mount namespace), the
 * child opens it and hands the master over: a descriptor crosses
 * between processes only as SCM_RIGHTS on a unix socket (unix(7)), say
 * one end of a socketpair(2) made before the fork.
 *
 *   pty_send_master(sock, &pty)     in the child, then pty_attach()
 *   pty_receive_master(sock, &pty)  in the parent, then pty_relay()
 *
 * pty_send_master exits 1 on failure; pty_receive_master returns 0, or
 * -1 when the child sent none (it ended first), leaving p->master -1. */
void pty_send_master(int sock, const struct pty *p);
int pty_receive_master(int sock, struct pty *p);

#endif
