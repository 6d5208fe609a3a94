/* cgroup_reaper.h - a cgroup removed when its run ends, however it ends.
 *
 * A reaper process, forked before anything is created, waits for the
 * launcher to end (SIGKILL included: it reads EOF on a pipe whose write
 * end only the launcher holds), then kills whatever is left in the
 * cgroup and removes its directories. Lessons 07 and 09 use it; neither
 * is about it.
 */
#ifndef NSLAB_CGROUP_REAPER_H
#define NSLAB_CGROUP_REAPER_H

#include <stdbool.h>

#include "cgroup.h"

/* Fork the reaper first: from then on, whatever happens to the launcher,
 * the cgroup is removed when it ends. 0, or -1 with errno set (pipe2,
 * fork) and nothing started. cg_reaper_finish() is the normal end: the
 * launcher says it is done and waits until the cgroup is gone; it
 * returns false if the reaper could not remove it (true if none runs). */
int cg_reaper_start(struct cgroup *cg);
/* Before cg_reaper_start(): the reaper also keeps descriptor `fd` open
 * (a lease of the cgroup's name: -1, none), and once the cgroup is gone
 * calls then(arg) (NULL: nothing), so that what the run held is given
 * back only when nothing of it is left. */
void cg_reaper_also(int fd, void (*then)(void *), void *arg);
bool cg_reaper_finish(struct cgroup *cg);

/* Kill every process in the cgroup (cgroup.kill on v2, SIGKILL to each
 * pid of cgroup.procs until none is left on v1), then rmdir it and, if
 * no other run uses it, its parent. False (with a warning) if it could
 * not. */
bool cg_remove(const struct cgroup *cg);

#endif
