/* syscall_filter.c - the system calls a container may not make (see
 * syscall_filter.h; named so that <seccomp.h> is libseccomp's). */
#define _GNU_SOURCE
#include "syscall_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

/* Refused outright, with EPERM. */
static const char *const refused[] = {
	"keyctl", "add_key", "request_key",
	"bpf", "perf_event_open", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load",
	"open_by_handle_at",
	"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount",
};

/* One rule per call; a call this architecture has not (kexec_file_load
 * on some) is no hole, and libseccomp says so with -EDOM or -EFAULT. */
static int refuse(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

int filter_syscalls(void)
{
	/* Everything else is allowed (a denylist: syscall_filter.h says why). */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int e = 0;

	if (!ctx)
		return -ENOMEM;
	/* libseccomp sets no_new_privs itself unless told not to: the
	 * lesson sets it, and a lesson that forgot must not be saved by
	 * the library without a word. */
	if ((e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
		goto out;
	/* The kernel's own errno when it refuses the filter (EACCES), not
	 * libseccomp's -ECANCELED for every such refusal. */
	if ((e = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) != 0)
		goto out;
	/* The 32-bit calls of an x86_64 kernel (int 0x80, x32) are other
	 * numbers: the same rules for them, else they would be a way round
	 * a denylist. Any other architecture the filter kills (libseccomp's
	 * default for an architecture it was not given). */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		e = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (e == 0 || e == -EEXIST)
			e = seccomp_arch_add(ctx, SCMP_ARCH_X32);
		if (e != 0 && e != -EEXIST)
			goto out;
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if ((e = refuse(ctx, refused[i])) != 0)
			goto out;
	/* A user namespace, the door to every capability: refused in the
	 * flags of unshare(2) and clone(2) (their first argument on every
	 * architecture here); other namespaces need CAP_SYS_ADMIN, which
	 * the container's root has not. */
	if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					  CLONE_NEWUSER))) != 0 ||
	    (e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					  CLONE_NEWUSER))) != 0)
		goto out;
	/* clone3(2) passes its flags in a struct in memory, which a filter
	 * cannot read: ENOSYS, as Docker answers, so that glibc (fork,
	 * pthread_create, posix_spawn) falls back to clone(2). */
	if ((e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
				  0)) != 0)
		goto out;
	e = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return e;
}

const char *filter_error(int error)
{
	if (error == -EACCES)
		return "the kernel loads a seccomp filter only under no_new_privs "
		       "(prctl PR_SET_NO_NEW_PRIVS first) or with CAP_SYS_ADMIN";
	if (error == -EINVAL)
		return "this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)";
	return strerror(-error);
}
