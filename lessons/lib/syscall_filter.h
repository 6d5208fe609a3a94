/* syscall_filter.h - the system calls a container may not make.
 *
 * Capabilities say what root inside may do to the kernel's objects;
 * they say nothing of how much of the kernel a process may reach. A
 * process in a container may still create a user namespace of its own
 * (unshare -U), where it has every capability again and with them the
 * code of nf_tables, io_uring or overlayfs that only root used to reach:
 * most of the kernel's privilege escalations of recent years start so.
 * A seccomp filter (seccomp(2)) is a program the kernel runs at every
 * system call of the process and of all its descendants; it cannot be
 * removed, and execve(2) keeps it.
 *
 * Docker's default profile (moby's profiles/seccomp/default.json) is an
 * allowlist of some 350 calls. This one is the other way round: every
 * call is allowed but those below, which fail with EPERM. A denylist of
 * twenty is one a student can read, each line with its reason; its risk
 * is a call the kernel adds later that it does not name, which is why
 * Docker lists what it allows. The calls refused are those of Docker's
 * that a container of the lab has no use for:
 *
 *   unshare, clone with CLONE_NEWUSER   a user namespace of its own
 *   clone3 (ENOSYS)                     its flags are in memory, out of
 *                                       a filter's reach; ENOSYS makes
 *                                       glibc fall back to clone
 *   keyctl, add_key, request_key        the kernel's keyrings are not
 *                                       namespaced
 *   bpf, perf_event_open, userfaultfd,  the kernel's attack surface
 *   io_uring_setup/enter/register
 *   init/finit/delete_module, kexec_*   the host's kernel itself
 *   open_by_handle_at                   a path around the root (the
 *                                       "shocker" escape of 2014)
 *   fsopen, fsconfig, fsmount, fspick,  the new mount API, as Docker
 *   open_tree, move_mount               gives it only with CAP_SYS_ADMIN
 *
 * The kernel loads a filter only for a process with no_new_privs set
 * (prctl(2)) or CAP_SYS_ADMIN: otherwise a setuid program could be made
 * to run under a filter it did not expect. The filter is the last thing
 * before execve: it refuses nothing the launcher still needs to do.
 */
#ifndef NSLAB_SYSCALL_FILTER_H
#define NSLAB_SYSCALL_FILTER_H

/* Load the filter into this process (and all it will start): 0, or a
 * negative errno (-EACCES: neither no_new_privs nor CAP_SYS_ADMIN;
 * -ENOMEM). It does not set no_new_privs itself: the caller does, and
 * says so. The program is libseccomp's (as crun uses it), compiled at
 * build time (syscall_filter.c says why); `make syscall-filter` shows it. */
int filter_syscalls(void);

/* What filter_syscalls()'s error means, in words, for a message. */
const char *filter_error(int error);

#endif
