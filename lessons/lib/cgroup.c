/* cgroup.c - control groups for the lessons (see cgroup.h). */
#define _GNU_SOURCE
#include "cgroup.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup_reaper.h"
#include "nslab.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_BASE "/sys/fs/cgroup"

const char *const cg_controller[CG_NCTL] = {"pids", "memory", "cpu"};

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* ---- the layout ---------------------------------------------------------- */

/* The root of the tree of cg->dir[i]: v2's one tree, or on v1 the
 * controller's own. */
static const char *tree_root(const struct cgroup *cg, int i, char *buf, size_t size)
{
	if (cg->v2)
		snprintf(buf, size, "%s", cg->root);
	else
		snprintf(buf, size, CG_BASE "/%s", cg_controller[i]);
	return buf;
}

int cg_init(struct cgroup *cg, const char *parent, pid_t pid)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%d", nslab_prog(), (int)pid);
	return cg_init_named(cg, parent, name);
}

int cg_init_named(struct cgroup *cg, const char *parent, const char *name)
{
	const char *force = getenv("NSLAB_CGROUP_LAYOUT");
	bool want_v2 = force && strcmp(force, "v2") == 0;
	bool want_v1 = force && strcmp(force, "v1") == 0;
	bool unified = is_fs(CG_BASE "/unified", CGROUP2_SUPER_MAGIC);

	memset(cg, 0, sizeof(*cg));
	cg->reaper = -1;
	cg->reaper_fd = -1;
	while (*parent == '/')
		parent++;
	if (!*parent || strstr(parent, "..") || strstr(parent, "//") ||
	    parent[strlen(parent) - 1] == '/' || strlen(parent) > 200) {
		snprintf(cg->why, sizeof(cg->why), "--cgroup-parent \"%.200s\": give "
			 "a path of cgroup names below the root, such as nslab or "
			 "nslab/tests", parent);
		return EXIT_USAGE;
	}
	if (is_fs(CG_BASE, CGROUP2_SUPER_MAGIC) && !want_v1) {
		cg->v2 = true;
		snprintf(cg->root, sizeof(cg->root), "%s", CG_BASE);
		cg->layout = "cgroup v2 (the unified hierarchy) at " CG_BASE;
	} else if (unified && (want_v2 || !is_fs(CG_BASE "/pids", CGROUP_SUPER_MAGIC))) {
		cg->v2 = true;
		snprintf(cg->root, sizeof(cg->root), "%s", CG_BASE "/unified");
		cg->layout = "cgroup v2 at " CG_BASE "/unified (a hybrid host: "
			     "v1 trees beside it)";
	} else {
		for (int c = 0; c < CG_NCTL; c++) {
			char path[64];

			snprintf(path, sizeof(path), CG_BASE "/%s", cg_controller[c]);
			if (!is_fs(path, CGROUP_SUPER_MAGIC)) {
				snprintf(cg->why, sizeof(cg->why), "no cgroup v2 tree at "
					 CG_BASE " and no v1 tree of the %s controller "
					 "at %s: this host mounts no cgroup file system "
					 "this lesson can use (cgroups(7); make doctor)",
					 cg_controller[c], path);
				return EXIT_FAILURE;
			}
		}
		cg->layout = unified ? "cgroup v1 (a hybrid host: pids, memory and "
				       "cpu on v1 trees; the v2 tree at " CG_BASE
				       "/unified has none of them)"
				     : "cgroup v1 (one tree per controller)";
	}
	cg->ndirs = cg->v2 ? 1 : CG_NCTL;
	for (int i = 0; i < cg->ndirs && i < CG_NCTL; i++) {
		char top[PATH_MAX];

		tree_root(cg, i, top, sizeof(top));
		snprintf(cg->parent[i], sizeof(cg->parent[i]), "%.200s/%.2000s", top, parent);
		snprintf(cg->dir[i], sizeof(cg->dir[i]), "%.3000s/%.64s", cg->parent[i],
			 name);
	}
	return 0;
}

const char *cg_default_parent(void)
{
	const char *sub = getenv("NSLAB_CGROUP_SUBTREE");

	return sub && *sub ? sub : CG_DEFAULT_PARENT;
}

const char *cg_dir(const struct cgroup *cg, int controller)
{
	return cg->dir[cg->v2 ? 0 : controller];
}

char *cg_read(const char *dir, const char *file)
{
	char path[PATH_MAX + 64], *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!(f = fopen(path, "re")))
		return NULL;
	if (getdelim(&text, &len, '\0', f) == -1) {
		free(text);
		text = strdup("");
	}
	fclose(f);
	return text;
}

/* Is `word` one of the space-separated words of `list`? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '+') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

bool cg_available(const struct cgroup *cg, int controller)
{
	char *list;
	bool ok;

	if (!cg->v2)
		return true;
	list = cg_read(cg->root, "cgroup.controllers");
	ok = has_word(list, cg_controller[controller]);
	free(list);
	return ok;
}

/* ---- files ---------------------------------------------------------------- */

bool cg_has(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

bool cg_try_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	size_t len = strlen(value);
	ssize_t n;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return false;
	/* A cgroup file takes one value per write(2). */
	n = write(fd, value, len);
	saved = errno;
	close(fd);
	errno = saved;
	if (n >= 0 && (size_t)n != len)
		errno = EIO;
	return n >= 0 && (size_t)n == len;
}

/* What a failed write to a cgroup file means, for errno `e`. */
static const char *write_hint(int e)
{
	const char *why = "";

	switch (e) {
	case ENOENT:
		why = ": no such file here; is the controller enabled for this "
		      "cgroup, and is this the file name of this cgroup version?";
		break;
	case EINVAL:
	case ERANGE:
		why = ": the kernel refused the value: check its format in the "
		      "kernel's Documentation/admin-guide/cgroup-v2.rst (or cgroup-v1/)";
		break;
	case EBUSY:
		why = ": on cgroup v2 a cgroup with processes of its own cannot "
		      "hand controllers to its children (\"no internal processes\")";
		break;
	case EACCES:
	case EPERM:
		why = ": changing cgroups needs root (or a delegated subtree)";
		break;
	}
	return why;
}

void cg_write(const char *dir, const char *file, const char *value)
{
	if (!cg_try_write(dir, file, value))
		errx(EXIT_FAILURE, "write(%s/%s, \"%.40s\"): %s%s", dir, file, value,
		     strerror(errno), write_hint(errno));
}

bool cg_may_create(const struct cgroup *cg)
{
	for (int i = 0; i < cg->ndirs && i < CG_NCTL; i++) {
		char top[PATH_MAX];

		if (access(tree_root(cg, i, top, sizeof(top)), W_OK) == -1)
			return false;
	}
	return true;
}

/* On v2, a child can only use the controllers its parent's
 * cgroup.subtree_control lists: hand the ones needed down one level. */
static bool hand_down(struct cgroup *cg, const char *level, unsigned need)
{
	for (int c = 0; c < CG_NCTL; c++) {
		char plus[16], *now;
		bool ok = true;

		if (!(need & (1u << c)))
			continue;
		now = cg_read(level, "cgroup.subtree_control");
		if (!has_word(now, cg_controller[c])) {
			snprintf(plus, sizeof(plus), "+%s", cg_controller[c]);
			ok = cg_try_write(level, "cgroup.subtree_control", plus);
			if (!ok)
				snprintf(cg->why, sizeof(cg->why), "write(%.3000s/cgroup."
					 "subtree_control, \"%s\"): %s%s", level, plus,
					 strerror(errno), write_hint(errno));
		}
		free(now);
		if (!ok)
			return false;
	}
	return true;
}

/* On v2, a parent that holds processes of its own (a login session's
 * scope, /user.slice/user-1000.slice/session-3.scope) cannot hand
 * controllers down: the "no internal processes" rule. Say so before
 * anything is written, with where the lab's cgroups belong instead:
 * the cgroup is systemd's, and a program that is not its owner must not
 * move the session's processes out of it. */
static bool parents_hold_no_processes(struct cgroup *cg)
{
	const char *parent = cg->parent[0];
	size_t root = strlen(cg->root), len = strlen(parent);

	for (size_t end = root + 1; end <= len; end++) {
		char level[PATH_MAX], *procs;
		bool busy;

		if (parent[end] != '/' && parent[end] != '\0')
			continue;
		snprintf(level, sizeof(level), "%.*s", (int)end, parent);
		procs = cg_read(level, "cgroup.procs");
		busy = procs && *procs;
		free(procs);
		if (busy) {
			snprintf(cg->why, sizeof(cg->why), "the parent cgroup %.2000s "
				 "holds processes of its own (a login session's "
				 "scope?): on cgroup v2 such a cgroup cannot hand "
				 "controllers to a child (\"no internal processes\"), "
				 "and it is not ours to empty. Give the lab a cgroup of "
				 "its own: sudo %s runs it in one that systemd "
				 "delegates, or --cgroup-parent " CG_DEFAULT_PARENT,
				 level + root, nslab_make_target());
			return false;
		}
	}
	return true;
}

bool cg_make_parents(struct cgroup *cg, unsigned need)
{
	if (cg->v2 && need && !parents_hold_no_processes(cg))
		return false;
	for (int i = 0; i < cg->ndirs && i < CG_NCTL; i++) {
		char level[PATH_MAX];

		/* mkdir -p below the root of the tree, handing the
		 * controllers down at each level on v2. */
		tree_root(cg, i, level, sizeof(level));
		for (;;) {
			const char *next;

			if (cg->v2 && !hand_down(cg, level, need))
				return false;
			if (strlen(level) >= strlen(cg->parent[i]))
				break;
			next = strchr(cg->parent[i] + strlen(level) + 1, '/');
			snprintf(level, sizeof(level), "%.*s",
				 next ? (int)(next - cg->parent[i]) : (int)strlen(cg->parent[i]),
				 cg->parent[i]);
			if (mkdir(level, 0755) == -1 && errno != EEXIST) {
				snprintf(cg->why, sizeof(cg->why), "mkdir(%.3000s): %s%s",
					 level, strerror(errno), errno == EACCES ||
					 errno == EPERM || errno == EROFS ? ": creating a "
					 "cgroup needs root" : "");
				return false;
			}
		}
	}
	return true;
}

/* ---- what lessons 07 and 09 do with it ------------------------------------ */

unsigned cg_needs(const struct cg_limits *lim)
{
	return (lim->pids ? 1u << CG_PIDS : 0) | (lim->memory ? 1u << CG_MEMORY : 0) |
	       (lim->cpus > 0 ? 1u << CG_CPU : 0);
}

const char *cg_missing(const struct cgroup *cg, const struct cg_limits *lim)
{
	for (int c = 0; c < CG_NCTL; c++)
		if ((cg_needs(lim) & (1u << c)) && !cg_available(cg, c))
			return cg_controller[c];
	return NULL;
}

/* cg_make_parents(), then 09's cg_make() and cg_set_limits(). */
static void cg_setup(struct cgroup *cg, const struct cg_limits *lim)
{
	if (!cg_make_parents(cg, cg_needs(lim)))
		errx(EXIT_FAILURE, "%s", cg->why);
	cg_make(cg);
	cg_set_limits(cg, lim);
}

bool cg_limit_swap(const struct cgroup *cg, long long memory)
{
	const char *dir = cg_dir(cg, CG_MEMORY);
	char value[32];

	snprintf(value, sizeof(value), "%lld", memory);
	if (cg->v2 && cg_has(dir, "memory.swap.max"))
		return cg_try_write(dir, "memory.swap.max", "0");
	if (!cg->v2 && cg_has(dir, "memory.memsw.limit_in_bytes"))
		return cg_try_write(dir, "memory.memsw.limit_in_bytes", value);
	return true;
}

const char *cg_describe_limits(const struct cgroup *cg, char *buf, size_t size)
{
	static const char *const v2[][2] = {
		{"pids", "pids.max"}, {"memory", "memory.max"}, {"cpu", "cpu.max"}};
	static const char *const v1[][2] = {
		{"pids", "pids.max"}, {"memory", "memory.limit_in_bytes"},
		{"cpu", "cpu.cfs_quota_us"}, {"cpu", "cpu.cfs_period_us"}};
	const char *const (*files)[2] = cg->v2 ? v2 : v1;
	size_t n = cg->v2 ? 3 : 4, len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int c = strcmp(files[i][0], "pids") == 0 ? CG_PIDS
			: strcmp(files[i][0], "memory") == 0 ? CG_MEMORY : CG_CPU;
		char *value = cg_read(cg_dir(cg, c), files[i][1]);

		if (value)
			value[strcspn(value, "\n")] = '\0';
		len += snprintf(buf + len, size - len, "%s%s %s", len ? ", " : "",
				files[i][1], value ? value : "(none)");
		free(value);
	}
	return buf;
}

const char *cg_relative(const struct cgroup *cg)
{
	const char *top = cg->v2 ? cg->root : CG_BASE "/pids";

	return cg->dir[0] + strlen(top);
}

const char *cg_path_of(const struct cgroup *cg, pid_t pid, char *buf, size_t size)
{
	char path[64], *text, *line, *save = NULL;

	snprintf(buf, size, "?");
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (!(text = cg_read(path, "cgroup")))
		return buf;
	/* Lines are ID:CONTROLLERS:PATH; v2's is 0::PATH. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *where = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!where)
			continue;
		*ctl = *where = '\0';
		if (cg->v2 ? strcmp(line, "0") == 0
			   : has_word(ctl + 1, "pids") || strstr(ctl + 1, ",pids")) {
			snprintf(buf, size, "%s", where + 1);
			break;
		}
	}
	free(text);
	return buf;
}

void cg_start(struct cgroup *cg, const char *parent, const char *name,
	      struct cg_limits *lim, long default_pids)
{
	bool asked = lim->pids || lim->memory || lim->cpus > 0;
	const char *missing;
	int code;

	if ((code = cg_init_named(cg, parent, name)) != 0)
		errx(code, "%s", cg->why);
	if (!cg_may_create(cg)) {
		if (asked)
			errx(EXIT_FAILURE, "mkdir(%s): limits need a cgroup, and making "
			     "one needs root: sudo %s", cg->dir[0], nslab_make_target());
		say("no cgroup, no limits: only root may make one here");
		cg->ndirs = 0;
		return;
	}
	if (!lim->pids)
		lim->pids = default_pids;
	/* On v1 each controller is a tree of its own: the cgroup goes only
	 * into the trees of the limits asked (pids always), as v2 hands
	 * down only their controllers. A memory cgroup that limits nothing
	 * is the costliest part of a start to make and remove (the bench
	 * page). cg_controller[] order: a count of trees says which. */
	if (!cg->v2)
		cg->ndirs = lim->cpus > 0 ? CG_CPU + 1 : lim->memory ? CG_MEMORY + 1
				       : CG_PIDS + 1;
	if ((missing = cg_missing(cg, lim)))
		errx(EXIT_FAILURE, "the %s tree offers no %s controller "
		     "(%s/cgroup.controllers): no limit on it here", cg->root,
		     missing, cg->root);
	if (cg_reaper_start(cg) == -1)
		err(EXIT_FAILURE, "the cgroup's reaper (pipe2, fork)");
	cg_setup(cg, lim);
}
