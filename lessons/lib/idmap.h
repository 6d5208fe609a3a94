/* idmap.h - the uid and gid maps of a child's user namespace.
 *
 * Lesson 06 teaches this in full in its own file; from lesson 07 on it is
 * here. The rule (user_namespaces(7), "User and group ID mappings"):
 * a process in the parent user namespace writes /proc/PID/uid_map, then
 * /proc/PID/setgroups, then /proc/PID/gid_map, each in a single write(2),
 * while the child waits, before it execs.
 *
 * setgroups: a writer without CAP_SETGID here must write "deny" first, or
 * the kernel refuses its gid_map (since Linux 3.19, CVE-2014-8989: root
 * inside could otherwise drop a group that keeps it out of a file). The
 * deny is for good, for that namespace and every one nested in it. A
 * writer with CAP_SETGID leaves it "allow", and the child then drops the
 * supplementary groups it was born with, setgroups(0, NULL), before it
 * execs: otherwise the command keeps the launcher's groups (root's among
 * them), which read as 65534 inside but still open the host's files.
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

/* Write TEXT to /proc/PID/FILE in a single write(2); on failure
 * idmap_failed(). Says "/proc/PID/FILE <- ..." in the account. */
void idmap_write(pid_t pid, const char *file, const char *text);

/* The whole rule for child PID: uid_map, "deny" to setgroups unless
 * idmap_privileged(), gid_map. Maps are "INSIDE OUTSIDE COUNT" lines.
 * Returns true when setgroups stays allowed: the child must then call
 * idmap_drop_groups() (or setgroups(0, NULL)) before it execs. */
bool idmap_set(pid_t pid, const char *uid_map, const char *gid_map);

/* In the child, after the maps and before exec: drop every
 * supplementary group unless setgroups is denied (then they cannot be
 * dropped, and may not be: they may keep it out of files). Exits 1 on
 * failure. */
void idmap_drop_groups(void);

#endif
