/* idmap.h - the uid and gid maps of a child's user namespace.
 *
 * Lesson 06 teaches how a parent writes a child's maps: its program holds
 * idmap_write(), idmap_set() and idmap_drop_groups(), the student's
 * answer, so they are not here. The later lessons link them generated
 * from 06's solution (the EXPORT region idmap, tools/mkskel). Here are
 * the helpers around them: who may map what, what the files read, and
 * the errors explained.
 */
#ifndef NSLAB_IDMAP_H
#define NSLAB_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

/* Does this process hold CAP_SETUID and CAP_SETGID (effective, in its
 * own user namespace)? Then it may map other ids than its own, and
 * leaves setgroups allowed. */
bool idmap_privileged(void);

/* What /proc/PID/setgroups reads ("allow" or "deny"; "?" if it cannot
 * be read); pid 0: this process. */
const char *idmap_setgroups(pid_t pid);

/* A map on one line, for messages: "0 1000 1, 1 100000 65536". */
const char *idmap_show(const char *text, char *buf, size_t size);

/* Writing TEXT to /proc/PID/FILE ("uid_map", "gid_map", "setgroups")
 * failed, with errno set: say why, with the next step for the errnos
 * one meets (EPERM: not your own id, COUNT > 1, setgroups not denied
 * first, written already, no CLONE_NEWUSER; EINVAL: a second write, or
 * overlapping ranges), in one line, and exit 1. */
__attribute__((noreturn)) void idmap_failed(pid_t pid, const char *file,
					    const char *text);

/* Lesson 06's steps 2 and 3, defined by its program and, for the
 * others, generated from its solution. idmap_write(): TEXT into
 * /proc/PID/FILE, as the kernel takes it, or idmap_failed(); it says
 * "/proc/PID/FILE <- ..." in the account. idmap_set(): the maps of child
 * PID ("INSIDE OUTSIDE COUNT" lines), true when setgroups stays allowed.
 * idmap_drop_groups(), in the child before it execs: `allowed` is
 * whether setgroups is (idmap_setgroups(0), or idmap_set()'s answer). */
void idmap_write(pid_t pid, const char *file, const char *text);
bool idmap_set(pid_t pid, const char *uid_map, const char *gid_map);
void idmap_drop_groups(bool allowed);

#endif
