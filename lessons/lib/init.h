/* init.h - the PID-1 runtime of the nslab lessons: an init in front of
 * the command, and signals passed on exactly once.
 *
 * Lesson 04 teaches PID 1's duties and has the student write its loop;
 * a later lesson (the container) needs the same init and is about other
 * things, so it calls init_run(). What both share lives here; the loop
 * itself is lesson 04's answer, so it is not here: the build takes it
 * from solutions/04-pid/pid.c (its EXPORT region, tools/mkskel) into
 * the library the later lessons link.
 *
 * Signals reach the command once. A launcher, its PID 1 and the command
 * would all share the terminal's foreground process group, so Ctrl-C
 * (sent by the terminal to the whole group) would reach the command
 * directly and again through each process that passes signals on. Here
 * each of them has a process group of its own, and the command's group
 * is made the terminal's foreground when the launcher's was: Ctrl-C goes
 * to the command alone, and a signal sent to the launcher, or to the
 * launcher's group, goes down the chain, one process at a time. Each hop
 * uses a pidfd (pidfd_open(2), pidfd_send_signal(2)): a signal that comes
 * late finds the process gone (ESRCH), never a new one with its old pid.
 */
#ifndef NSLAB_INIT_H
#define NSLAB_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The signals a terminal, a service manager or kill(1) send to ask a
 * program to stop or reload: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2. The launcher and the init pass these on. */
void forwarded_signals(sigset_t *set);

/* ---- the launcher's side ------------------------------------------------ */

/* True when stdin is a terminal whose foreground process group is this
 * process's: then the command's group takes the terminal over, and
 * terminal_back() returns it. Call before starting the child. */
bool terminal_ours(void);
/* Give the terminal back to this process's group (after the child
 * ended), if terminal_ours() said it was ours. */
void terminal_back(void);

/* From now on, pass each forwarded signal this process receives on to
 * `child`, through a pidfd. Call right after starting it. */
void forward_signals(pid_t child);

/* ---- the side of PID 1 and of the command ------------------------------ */

/* Put this process in a process group of its own, so that a signal sent
 * to its parent's group does not reach it directly; with `terminal`, make
 * that group the terminal's foreground (tcsetpgrp(3)). */
void own_process_group(bool terminal);

/* Block SIGCHLD and the forwarded signals, to wait for them with
 * sigwaitinfo(2) instead of handlers. `wait_for` gets the blocked set,
 * `old` the mask to give back to the command. */
void init_block_signals(sigset_t *wait_for, sigset_t *old);

/* fork(2) the command: in a process group of its own (the terminal's
 * foreground with `terminal`), with the default dispositions and `old`
 * as its mask, then exec argv. Returns its pid; *pidfd refers to it. */
pid_t init_spawn(char *const argv[], const sigset_t *old, bool terminal,
		 int *pidfd);

/* Pass the signal `si` on to the process `pidfd` refers to. */
void init_forward(int pidfd, const siginfo_t *si);

/* Once the command has ended: SIGKILL to every other process of this
 * PID namespace (kill(2) with pid -1, as PID 1), so that the loop's
 * wait() soon says ECHILD. Does nothing unless this process is PID 1. */
void init_end_the_rest(void);

/* Lesson 04's step 4, PID 1's loop: pass each signal of `wait_for` on
 * to the command (`cmd`, `cmdfd` its pidfd), reap every child, and once
 * the command has ended, end the rest, until no child is left. Returns
 * the command's exit status (128+N for a signal N). Defined by lesson
 * 04's program, and for the others generated from its solution. */
int init_loop(const sigset_t *wait_for, pid_t cmd, int cmdfd);

/* All of an init, for a lesson whose idea is something else: block the
 * signals, spawn argv, then init_loop(). Returns the command's exit
 * status. Call as PID 1 of a new PID namespace. */
int init_run(char *const argv[], bool terminal);

#endif
