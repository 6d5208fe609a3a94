/* oci.c - the container speaks OCI: a runtime that podman runs (lesson 11)
 *
 * The idea: every engine and orchestrator (Kubernetes through CRI-O or
 * containerd, podman, Docker) starts a container the same way. It writes
 * a bundle, a root file system and a config.json in the format of the OCI
 * runtime specification, and calls a runtime with runc's command line:
 * create, start, state, kill, delete. The container of lesson 07, split
 * along those lines, is such a runtime.
 *
 * The split is the lesson: `create` makes everything (namespaces, mounts,
 * cgroup, the pid file) and leaves the container's init waiting, on a
 * FIFO in the state directory as runc does; the engine sets up what it
 * must between the two (a network, hooks, its own supervisor: conmon);
 * `start` opens the FIFO and the init execs the user's program. The state
 * (created, running, stopped) is never stored: it is read from the init's
 * liveness and the FIFO, so it cannot go stale when the program ends.
 *
 * Steps, in run order: 1 the config's namespaces become clone flags;
 * 2 the init waits on the FIFO, start releases it (the create/start
 * split); 3 the status, from the init and the FIFO; 4 delete removes
 * everything create made. The rest (the config's mounts, devices, masks,
 * limits, user, capabilities, seccomp) is lesson 07's order of operations
 * driven by the config instead of options.
 *
 * Usage: oci [--root DIR] [--log FILE] [--log-format text|json] [--debug]
 *            COMMAND [OPTIONS] ID
 *   create [--bundle DIR] [--pid-file FILE] [--console-socket PATH] ID
 *   start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID
 *   exec --process FILE [--pid-file FILE] [--console-socket PATH] [--detach] ID
 *
 * Sample session (as root; a bundle is a directory with rootfs/ and
 * config.json; the pid will differ):
 *   $ oci create --bundle /tmp/b box; oci state box | grep status
 *     "status": "created",
 *   $ oci start box; oci state box | grep status
 *     "status": "running",
 *   $ oci kill box KILL; oci delete box
 *
 * With podman: podman --runtime $PWD/build/solutions/11-oci/oci run --rm IMAGE echo hi
 *
 * Read: the OCI runtime specification (runtime.md, config.md,
 * config-linux.md), runc(8), mkfifo(3), fifo(7), namespaces(7),
 * setns(2), pidfd_open(2), capabilities(7), seccomp_rule_add(3),
 * jansson's documentation (json_load_file).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "idmap.h"
#include "nslab.h"
#include "pty.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define DEFAULT_ROOT "/run/nslab-oci"
#define OCI_VERSION "1.0.2"
#define FIFO "exec.fifo"
#define STATE "state.json"
#define MAX_MOUNTS 64
#define MAX_RULES 64
#define MAX_GROUPS 64
/* How long delete --force waits for the container's processes to go. */
#define KILL_WAIT_MS 5000

/* ==== errors: one line, naming the operation and the ID ============== */

static const char *op = "oci"; /* create, start... */
static const char *cid = "";   /* the container's ID */
static FILE *log_file;          /* --log, for conmon to read */
static bool log_json;           /* --log-format json */
static int report_fd = -1;      /* exec's child: tells its parent it failed */

/* The line goes to stderr and, with --log, to the log as runc writes it:
 * conmon shows the log's last error when a call fails. */
static void log_line(const char *level, const char *msg)
{
	char when[40];
	time_t t = time(NULL);

	if (!log_file)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg,
				      "time", when);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (text)
			fprintf(log_file, "%s\n", text);
		free(text);
		json_decref(o);
	} else {
		fprintf(log_file, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fflush(log_file);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	char msg[2048], line[2200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s%s%s: %s", op, *cid ? " " : "", cid, msg);
	fprintf(stderr, "oci: %s\n", line);
	log_line("error", line);
	if (report_fd != -1 && write(report_fd, "e", 1) != 1)
		_exit(EXIT_FAILURE);
	exit(EXIT_FAILURE);
}

/* ==== tables: names in the config, numbers for the kernel ============= */

static const struct {
	const char *name;
	int flag;
	const char *proc; /* its name in /proc/PID/ns */
} ns_types[] = {
	{"user", CLONE_NEWUSER, "user"},  {"pid", CLONE_NEWPID, "pid"},
	{"network", CLONE_NEWNET, "net"}, {"mount", CLONE_NEWNS, "mnt"},
	{"ipc", CLONE_NEWIPC, "ipc"},     {"uts", CLONE_NEWUTS, "uts"},
	{"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", CLONE_NEWTIME, "time"},
};
#define NS_TYPES (sizeof(ns_types) / sizeof(ns_types[0]))

/* capabilities(7), by number. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE"};
#define NCAPS (int)(sizeof(cap_names) / sizeof(cap_names[0]))

/* getrlimit(2), by number. */
static const char *const rlimit_names[] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK",
	"RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
#define NRLIMITS (int)(sizeof(rlimit_names) / sizeof(rlimit_names[0]))

/* mount(8)'s options that are flags of mount(2); the rest is data for
 * the file system (tmpfs's size=, devpts's newinstance...). */
static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{"ro", MS_RDONLY, 0},           {"rw", 0, MS_RDONLY},
	{"nosuid", MS_NOSUID, 0},       {"suid", 0, MS_NOSUID},
	{"nodev", MS_NODEV, 0},         {"dev", 0, MS_NODEV},
	{"noexec", MS_NOEXEC, 0},       {"exec", 0, MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS, 0},    {"async", 0, MS_SYNCHRONOUS},
	{"dirsync", MS_DIRSYNC, 0},     {"remount", MS_REMOUNT, 0},
	{"mand", MS_MANDLOCK, 0},       {"nomand", 0, MS_MANDLOCK},
	{"atime", 0, MS_NOATIME},       {"noatime", MS_NOATIME, 0},
	{"diratime", 0, MS_NODIRATIME}, {"nodiratime", MS_NODIRATIME, 0},
	{"relatime", MS_RELATIME, 0},   {"norelatime", 0, MS_RELATIME},
	{"strictatime", MS_STRICTATIME, 0}, {"nostrictatime", 0, MS_STRICTATIME},
	{"bind", MS_BIND, 0},           {"rbind", MS_BIND | MS_REC, 0},
};
/* ...and the propagation types, a mount(2) call of their own. */
static const struct {
	const char *name;
	unsigned long flags;
} mount_propagation[] = {
	{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	{"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
	{"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ==== the config, as the container's options ========================== */

struct mount_entry {
	const char *dst, *src, *type;
	unsigned long flags, propagation;
	char data[512];
};

/* What process (in config.json, or exec's --process file) asks for. */
struct process {
	char **argv, **env;
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	long umask; /* -1: leave it */
	bool has_caps;
	uint64_t bounding, effective, permitted, inheritable, ambient;
	int rl_type[MAX_RULES];
	struct rlimit rl[MAX_RULES];
	int nrl;
	bool no_new_privs, terminal, has_oom;
	int oom_score_adj;
	unsigned short rows, cols;
};

struct config {
	json_t *json;
	char bundle[PATH_MAX], rootfs[PATH_MAX];
	bool readonly;
	const char *hostname, *domainname;
	int clone_flags;           /* the namespaces to make */
	int njoin;                 /* ...and those to join */
	int join_flag[NS_TYPES];
	const char *join_path[NS_TYPES];
	char uid_map[1024], gid_map[1024];
	struct mount_entry mounts[MAX_MOUNTS];
	int nmounts;
	unsigned long root_propagation;
	struct process proc;
	json_t *masked, *readonly_paths, *sysctl, *devices, *seccomp;
	char cgroups_path[PATH_MAX];
	struct cg_limits lim;
	long long cpu_shares;
	long long swap; /* memory + swap, when above the memory limit */
	json_t *device_rules;
	json_t *annotations;
	// CHALLENGE BEGIN
	json_t *create_runtime, *poststop; /* hooks: lists of {path, args...} */
	// CHALLENGE END
};

/* The config's own refusals: a field this runtime does not know, or
 * knows and does not do, is an error that names it (never skipped). */
static void check_keys(json_t *obj, const char *where, const char *const known[])
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		die("config.json: %s must be an object", where);
	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, key) == 0;
		if (!ok)
			die("config.json: %s%s%s is not supported by this runtime",
			    where, *where ? "." : "", key);
	}
}

static const char *get_str(json_t *obj, const char *key, const char *where)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return NULL;
	if (!json_is_string(v))
		die("config.json: %s.%s must be a string", where, key);
	return json_string_value(v);
}

static long long get_int(json_t *obj, const char *key, const char *where,
			 long long dflt)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return dflt;
	if (!json_is_integer(v))
		die("config.json: %s.%s must be an integer", where, key);
	return json_integer_value(v);
}

/* A list of strings as a NULL-terminated argv (pointing into the JSON). */
static char **get_strv(json_t *obj, const char *key, const char *where)
{
	json_t *arr = json_object_get(obj, key), *v;
	char **out;
	size_t i;

	if (!arr)
		return NULL;
	if (!json_is_array(arr))
		die("config.json: %s.%s must be a list of strings", where, key);
	out = calloc(json_array_size(arr) + 1, sizeof(*out));
	if (!out)
		die("out of memory");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			die("config.json: %s.%s[%zu] must be a string", where, key, i);
		out[i] = (char *)json_string_value(v);
	}
	return out;
}

/* A string that is set must be empty: the field names something this
 * runtime cannot do (an AppArmor profile, an SELinux label). */
static void refuse_nonempty(json_t *obj, const char *key, const char *where)
{
	const char *s = get_str(obj, key, where);

	if (s && *s)
		die("config.json: %s.%s (\"%s\") is not supported by this runtime",
		    where, key, s);
}

static uint64_t parse_caps(json_t *caps, const char *set)
{
	json_t *arr = json_object_get(caps, set), *v;
	uint64_t mask = 0;
	size_t i;

	if (arr && !json_is_array(arr))
		die("config.json: process.capabilities.%s must be a list", set);
	json_array_foreach(arr, i, v) {
		const char *name = json_string_value(v);
		int c;

		for (c = 0; c < NCAPS && name; c++)
			if (strcmp(cap_names[c], name) == 0)
				break;
		if (!name || c == NCAPS)
			die("config.json: process.capabilities.%s: unknown capability %s",
			    set, name ? name : "(not a string)");
		mask |= 1ULL << c;
	}
	return mask;
}

static void parse_process(json_t *p, struct process *pr, const char *where)
{
	static const char *const known[] = {
		"terminal", "consoleSize", "user", "args", "env", "cwd",
		"capabilities", "rlimits", "noNewPrivileges", "oomScoreAdj",
		"apparmorProfile", "selinuxLabel", NULL};
	static const char *const user_known[] = {"uid", "gid", "umask",
						 "additionalGids", "username", NULL};
	static const char *const caps_known[] = {"bounding", "effective", "permitted",
						 "inheritable", "ambient", NULL};
	json_t *user, *caps, *rl, *v, *groups, *size;
	size_t i;

	memset(pr, 0, sizeof(*pr));
	pr->umask = -1;
	check_keys(p, where, known);
	refuse_nonempty(p, "apparmorProfile", where);
	refuse_nonempty(p, "selinuxLabel", where);
	pr->argv = get_strv(p, "args", where);
	if (!pr->argv || !pr->argv[0])
		die("config.json: %s.args must name the program to run", where);
	pr->env = get_strv(p, "env", where);
	pr->cwd = get_str(p, "cwd", where);
	if (!pr->cwd || pr->cwd[0] != '/')
		die("config.json: %s.cwd must be an absolute path", where);
	pr->terminal = json_is_true(json_object_get(p, "terminal"));
	if ((size = json_object_get(p, "consoleSize"))) {
		pr->rows = (unsigned short)get_int(size, "height", "consoleSize", 0);
		pr->cols = (unsigned short)get_int(size, "width", "consoleSize", 0);
	}
	if ((user = json_object_get(p, "user"))) {
		check_keys(user, "process.user", user_known);
		refuse_nonempty(user, "username", "process.user");
		pr->uid = (uid_t)get_int(user, "uid", "process.user", 0);
		pr->gid = (gid_t)get_int(user, "gid", "process.user", 0);
		pr->umask = (long)get_int(user, "umask", "process.user", -1);
		groups = json_object_get(user, "additionalGids");
		json_array_foreach(groups, i, v) {
			if (i >= MAX_GROUPS || !json_is_integer(v))
				die("config.json: process.user.additionalGids: at most %d "
				    "numbers", MAX_GROUPS);
			pr->groups[pr->ngroups++] = (gid_t)json_integer_value(v);
		}
	}
	if ((caps = json_object_get(p, "capabilities"))) {
		check_keys(caps, "process.capabilities", caps_known);
		pr->has_caps = true;
		pr->bounding = parse_caps(caps, "bounding");
		pr->effective = parse_caps(caps, "effective");
		pr->permitted = parse_caps(caps, "permitted");
		pr->inheritable = parse_caps(caps, "inheritable");
		pr->ambient = parse_caps(caps, "ambient");
	}
	rl = json_object_get(p, "rlimits");
	json_array_foreach(rl, i, v) {
		const char *type = get_str(v, "type", "process.rlimits[]");
		int t;

		for (t = 0; t < NRLIMITS && type; t++)
			if (strcmp(rlimit_names[t], type) == 0)
				break;
		if (!type || t == NRLIMITS || pr->nrl == MAX_RULES)
			die("config.json: process.rlimits[%zu]: unknown type %s", i,
			    type ? type : "(none)");
		pr->rl_type[pr->nrl] = t;
		pr->rl[pr->nrl].rlim_cur = (rlim_t)get_int(v, "soft", "process.rlimits[]", 0);
		pr->rl[pr->nrl].rlim_max = (rlim_t)get_int(v, "hard", "process.rlimits[]", 0);
		pr->nrl++;
	}
	pr->no_new_privs = json_is_true(json_object_get(p, "noNewPrivileges"));
	if (json_object_get(p, "oomScoreAdj")) {
		pr->has_oom = true;
		pr->oom_score_adj = (int)get_int(p, "oomScoreAdj", where, 0);
	}
}

/* "a,b,c" of a mount's options into mount(2)'s flags and data. */
static void parse_mount(json_t *m, size_t n, struct mount_entry *e)
{
	static const char *const known[] = {"destination", "type", "source",
					    "options", "uidMappings", "gidMappings", NULL};
	json_t *opts = json_object_get(m, "options"), *v;
	char where[32];
	size_t i;

	snprintf(where, sizeof(where), "mounts[%zu]", n);
	check_keys(m, where, known);
	if (json_object_get(m, "uidMappings") || json_object_get(m, "gidMappings"))
		die("config.json: %s: idmapped mounts (uidMappings) are not "
		    "supported by this runtime", where);
	memset(e, 0, sizeof(*e));
	e->dst = get_str(m, "destination", where);
	e->src = get_str(m, "source", where);
	e->type = get_str(m, "type", where);
	if (!e->dst || e->dst[0] != '/' || strstr(e->dst, "/../") ||
	    (strlen(e->dst) >= 3 && !strcmp(e->dst + strlen(e->dst) - 3, "/..")))
		die("config.json: %s.destination must be an absolute path without ..",
		    where);
	json_array_foreach(opts, i, v) {
		const char *o = json_string_value(v);
		bool found = false;

		if (!o)
			die("config.json: %s.options[%zu] must be a string", where, i);
		for (size_t f = 0; f < COUNT(mount_flags) && !found; f++)
			if (strcmp(o, mount_flags[f].name) == 0) {
				e->flags = (e->flags | mount_flags[f].set) & ~mount_flags[f].clear;
				found = true;
			}
		for (size_t f = 0; f < COUNT(mount_propagation) && !found; f++)
			if (strcmp(o, mount_propagation[f].name) == 0) {
				e->propagation = mount_propagation[f].flags;
				found = true;
			}
		if (found)
			continue;
		if (!strcmp(o, "idmap") || !strcmp(o, "ridmap") || !strcmp(o, "tmpcopyup"))
			die("config.json: %s (%s): option %s is not supported by this "
			    "runtime", where, e->dst, o);
		if (strlen(e->data) + strlen(o) + 2 > sizeof(e->data))
			die("config.json: %s (%s): options too long", where, e->dst);
		if (*e->data)
			strcat(e->data, ",");
		strcat(e->data, o);
	}
	if (e->type && !strcmp(e->type, "bind"))
		e->flags |= MS_BIND;
	if ((e->flags & MS_BIND) && *e->data)
		die("config.json: %s (%s): option %s means nothing to a bind mount",
		    where, e->dst, e->data);
	if (!e->src && !(e->flags & MS_BIND))
		e->src = e->type ? e->type : "none";
	if (!e->src || (!e->type && !(e->flags & MS_BIND)))
		die("config.json: %s (%s) needs a source and a type", where, e->dst);
}

/* The limits of linux.resources (podman's --pids-limit, --memory,
 * --cpus, --cpu-shares), as lesson 09's struct, and the device rules. */
static void parse_resources(json_t *r, struct config *c)
{
	static const char *const known[] = {"devices", "pids", "memory", "cpu", NULL};
	static const char *const mem_known[] = {"limit", "swap", "reservation",
						"disableOOMKiller", "swappiness", NULL};
	static const char *const cpu_known[] = {"shares", "quota", "period", "cpus",
						"mems", NULL};
	json_t *mem, *cpu, *pids;

	check_keys(r, "linux.resources", known);
	c->device_rules = json_object_get(r, "devices");
	if ((pids = json_object_get(r, "pids"))) {
		long long limit = get_int(pids, "limit", "linux.resources.pids", 0);

		c->lim.pids = limit > 0 ? (long)limit : 0;
	}
	if ((mem = json_object_get(r, "memory"))) {
		long long swap = get_int(mem, "swap", "linux.resources.memory", 0);

		check_keys(mem, "linux.resources.memory", mem_known);
		c->lim.memory = get_int(mem, "limit", "linux.resources.memory", 0);
		if (c->lim.memory < 0)
			c->lim.memory = 0;
		/* Memory and swap together, as the spec has it (podman:
		 * twice --memory); lesson 09 gives none beyond the limit. */
		if (swap > 0 && swap < c->lim.memory)
			die("config.json: linux.resources.memory.swap %lld is below "
			    "the memory limit: it counts memory and swap together", swap);
		c->swap = swap > c->lim.memory && c->lim.memory ? swap : 0;
		if (json_object_get(mem, "reservation") || json_object_get(mem, "swappiness") ||
		    json_object_get(mem, "disableOOMKiller"))
			die("config.json: linux.resources.memory: reservation, "
			    "swappiness and disableOOMKiller are not supported by this "
			    "runtime");
	}
	if ((cpu = json_object_get(r, "cpu"))) {
		long long quota = get_int(cpu, "quota", "linux.resources.cpu", 0);
		long long period = get_int(cpu, "period", "linux.resources.cpu", CG_CPU_PERIOD);

		check_keys(cpu, "linux.resources.cpu", cpu_known);
		if (json_object_get(cpu, "cpus") || json_object_get(cpu, "mems"))
			die("config.json: linux.resources.cpu.cpus and .mems (cpusets) "
			    "are not supported by this runtime");
		if (quota > 0 && period > 0)
			c->lim.cpus = (double)quota / (double)period;
		c->cpu_shares = get_int(cpu, "shares", "linux.resources.cpu", 0);
	}
}

static void parse_linux(json_t *l, struct config *c)
{
	static const char *const known[] = {
		"namespaces", "uidMappings", "gidMappings", "sysctl", "resources",
		"cgroupsPath", "seccomp", "maskedPaths", "readonlyPaths", "devices",
		"rootfsPropagation", "mountLabel", NULL};
	json_t *nss = json_object_get(l, "namespaces"), *v;
	const char *s;
	size_t i;

	check_keys(l, "linux", known);
	refuse_nonempty(l, "mountLabel", "linux");
	// BEGIN SOLUTION 1
	// STEP: the config's namespaces become the clone's flags
	// TODO: Turn linux.namespaces into the container's namespaces: each
	//       entry without a "path" is a namespace to make (its CLONE_NEW*
	//       flag in c->clone_flags), each with a path one to join
	//       (c->join_flag[] and c->join_path[], c->njoin of them). A type
	//       this table does not know is refused by name; a type listed
	//       twice too. Afterwards `oci state` of a container whose config
	//       lists "pid" shows a pid whose /proc/PID/ns/pid is not yours.
	//       Read config-linux.md, "Namespaces", in the runtime
	//       specification, and namespaces(7).
	// HINT: ns_types[] pairs the spec's names ("network", "mount") with
	//       the kernel's flags (CLONE_NEWNET, CLONE_NEWNS).
	// HINT: json_array_foreach(nss, i, v) over the entries;
	//       get_str(v, "type", "linux.namespaces[]") and get_str(v,
	//       "path", ...); die() names what is wrong.
	// HINT: for (t = 0; t < NS_TYPES; t++) if (!strcmp(ns_types[t].name, type)) break;
	//       if (t == NS_TYPES) die(...);
	//       if (path) { c->join_flag[c->njoin] = ____; c->join_path[c->njoin++] = ____; }
	//       else c->clone_flags |= ____;
	// WRONG no_pid_ns: "c->clone_flags |= ns_types[t].flag;" -> "c->clone_flags |= ns_types[t].flag & ~CLONE_NEWPID;" : CLONE_NEWPID
	// STUB: (void)nss; (void)v; (void)i;
	// STUB: todo({n}, "the config's namespaces into clone flags");
	// tag::namespaces[]
	json_array_foreach(nss, i, v) {
		const char *type = get_str(v, "type", "linux.namespaces[]");
		const char *path = get_str(v, "path", "linux.namespaces[]");
		int seen = c->clone_flags;
		size_t t;

		for (int j = 0; j < c->njoin; j++)
			seen |= c->join_flag[j];
		for (t = 0; t < NS_TYPES && type; t++)
			if (strcmp(ns_types[t].name, type) == 0)
				break;
		if (!type || t == NS_TYPES)
			die("config.json: linux.namespaces[%zu]: type %s is not a "
			    "namespace this runtime knows", i, type ? type : "(none)");
		if (seen & ns_types[t].flag)
			die("config.json: linux.namespaces: %s is listed twice", type);
		if (path) {
			c->join_flag[c->njoin] = ns_types[t].flag;
			c->join_path[c->njoin++] = path;
		} else {
			c->clone_flags |= ns_types[t].flag;
		}
	}
	// end::namespaces[]
	// END SOLUTION
	for (int m = 0; m < 2; m++) {
		const char *key = m ? "gidMappings" : "uidMappings";
		char *map = m ? c->gid_map : c->uid_map;

		json_array_foreach(json_object_get(l, key), i, v) {
			char line[80];

			snprintf(line, sizeof(line), "%lld %lld %lld\n",
				 get_int(v, "containerID", key, 0),
				 get_int(v, "hostID", key, 0), get_int(v, "size", key, 0));
			if (strlen(map) + strlen(line) >= sizeof(c->uid_map))
				die("config.json: linux.%s: too many ranges", key);
			strcat(map, line);
		}
	}
	if ((*c->uid_map || *c->gid_map) && !(c->clone_flags & CLONE_NEWUSER))
		die("config.json: linux.uidMappings need a new user namespace in "
		    "linux.namespaces");
	if ((c->clone_flags & CLONE_NEWUSER) && (!*c->uid_map || !*c->gid_map))
		die("config.json: a new user namespace needs linux.uidMappings and "
		    "linux.gidMappings");
	c->sysctl = json_object_get(l, "sysctl");
	c->masked = json_object_get(l, "maskedPaths");
	c->readonly_paths = json_object_get(l, "readonlyPaths");
	c->devices = json_object_get(l, "devices");
	c->seccomp = json_object_get(l, "seccomp");
	if (json_object_get(l, "resources"))
		parse_resources(json_object_get(l, "resources"), c);
	s = get_str(l, "cgroupsPath", "linux");
	if (s && strchr(s, ':'))
		die("config.json: linux.cgroupsPath %s is a systemd unit "
		    "(slice:prefix:name): only cgroupfs paths are supported", s);
	if (s && (strstr(s, "..") || !*s))
		die("config.json: linux.cgroupsPath %s: a path of cgroup names", s);
	if (s)
		snprintf(c->cgroups_path, sizeof(c->cgroups_path), "%s%s",
			 s[0] == '/' ? "" : "/", s);
	if ((s = get_str(l, "rootfsPropagation", "linux"))) {
		size_t f;

		for (f = 0; f < COUNT(mount_propagation); f++)
			if (strcmp(mount_propagation[f].name, s) == 0)
				break;
		if (f == COUNT(mount_propagation))
			die("config.json: linux.rootfsPropagation %s is not a "
			    "propagation type", s);
		c->root_propagation = mount_propagation[f].flags;
	}
}

// CHALLENGE BEGIN
/* The challenge: the spec's hooks (config.md, "POSIX-platform Hooks").
 * Two of them are honoured, createRuntime and poststop; the others
 * (prestart, createContainer, startContainer, poststart) are refused by
 * name. Each hook is checked here, so that a bad one fails create before
 * anything is made. */
static void parse_hooks(json_t *hooks, struct config *c)
{
	static const char *const known[] = {"createRuntime", "poststop", NULL};
	static const char *const hook_known[] = {"path", "args", "env", "timeout", NULL};
	const char *key, *path;
	json_t *list, *h;
	char where[64];
	size_t i;

	check_keys(hooks, "hooks", known);
	json_object_foreach(hooks, key, list) {
		if (!json_is_array(list))
			die("config.json: hooks.%s must be a list", key);
		json_array_foreach(list, i, h) {
			snprintf(where, sizeof(where), "hooks.%s[%zu]", key, i);
			check_keys(h, where, hook_known);
			if (!(path = get_str(h, "path", where)) || path[0] != '/')
				die("config.json: %s.path must be an absolute path", where);
			free(get_strv(h, "args", where));
			free(get_strv(h, "env", where));
			if (get_int(h, "timeout", where, 1) <= 0)
				die("config.json: %s.timeout must be a number of seconds "
				    "above 0", where);
		}
	}
	c->create_runtime = json_object_get(hooks, "createRuntime");
	c->poststop = json_object_get(hooks, "poststop");
}

/* Run the hooks of `list` one after the other, in the runtime's own
 * namespaces (a child of the runtime, not of the container), each with
 * the state on its stdin; false, and why, at the first that fails or
 * outlives its timeout (then it is killed). */
static bool run_hooks(json_t *list, const char *name, const char *state, char *why,
		      size_t size)
{
	json_t *h;
	size_t i;

	json_array_foreach(list, i, h) {
		const char *path = json_string_value(json_object_get(h, "path"));
		char **args = get_strv(h, "args", "hooks"), **env = get_strv(h, "env", "hooks");
		long long timeout = get_int(h, "timeout", "hooks", 0);
		char *no_args[] = {(char *)path, NULL}, *no_env[] = {NULL};
		int in[2], status;
		pid_t pid, done;

		if (pipe2(in, O_CLOEXEC) == -1 || (pid = fork()) == -1)
			die("the %s hook %s: %s", name, path, strerror(errno));
		if (pid == 0) {
			signal(SIGPIPE, SIG_DFL); /* ignored below, for an earlier hook */
			dup2(in[0], STDIN_FILENO);
			execve(path, args ? args : no_args, env ? env : no_env);
			fprintf(stderr, "oci: the %s hook %s: %s\n", name, path,
				strerror(errno));
			_exit(127);
		}
		close(in[0]);
		/* A hook that does not read its stdin closes the pipe: no SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		if (write(in[1], state, strlen(state)) == -1 && errno != EPIPE)
			warn("the state to the %s hook %s", name, path);
		close(in[1]);
		free(args);
		free(env);
		for (long long ms = 0; (done = waitpid(pid, &status, WNOHANG)) == 0; ms++) {
			if (timeout > 0 && ms >= timeout * 1000) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				snprintf(why, size, "the %s hook %s did not end within its "
					 "timeout of %lld s", name, path, timeout);
				return false;
			}
			usleep(1000);
		}
		if (done == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			snprintf(why, size, "the %s hook %s failed (%s %d)", name, path,
				 done != -1 && WIFSIGNALED(status) ? "signal" : "exit status",
				 done == -1 ? -1 : WIFSIGNALED(status) ? WTERMSIG(status)
								   : WEXITSTATUS(status));
			return false;
		}
	}
	return true;
}

/* The state as a hook gets it (runtime.md, "State"), as text. */
static char *hook_state(const char *id, const char *status, pid_t pid,
			const char *bundle, json_t *annotations)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:O}", "ociVersion",
			      OCI_VERSION, "id", id, "status", status, "pid", (int)pid,
			      "bundle", bundle, "annotations",
			      annotations ? annotations : json_object());
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (!text)
		die("the state for the hooks: out of memory");
	json_decref(o);
	return text;
}

// CHALLENGE END
/* BUNDLE/config.json, read by jansson, every field honoured or refused. */
static void load_config(const char *bundle, struct config *c)
{
	static const char *const known[] = {"ociVersion", "process", "root",
					    "hostname", "domainname", "mounts",
					    "annotations", "linux", "hooks", NULL};
	char path[PATH_MAX + 16];
	json_error_t jerr;
	json_t *root, *mounts, *v, *hooks;
	const char *rp;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->root_propagation = MS_PRIVATE | MS_REC;
	if (!realpath(bundle, c->bundle))
		die("bundle %s: %s", bundle, strerror(errno));
	snprintf(path, sizeof(path), "%s/config.json", c->bundle);
	if (!(c->json = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)))
		die("bundle %s: %s:%d:%d: %s", bundle, path, jerr.line, jerr.column,
		    jerr.text);
	check_keys(c->json, "", known);
	if (!get_str(c->json, "ociVersion", "") ||
	    strncmp(get_str(c->json, "ociVersion", ""), "1.", 2) != 0)
		die("config.json: ociVersion must be a 1.x version of the spec");
	// CHALLENGE BEGIN
	if ((hooks = json_object_get(c->json, "hooks")))
		parse_hooks(hooks, c);
	// SKELETON: if ((hooks = json_object_get(c->json, "hooks")) && json_object_size(hooks))
		// SKELETON: die("config.json: hooks are not supported by this runtime");
	// CHALLENGE END
	if (!json_object_get(c->json, "process"))
		die("config.json: no process: create needs a program to run");
	parse_process(json_object_get(c->json, "process"), &c->proc, "process");
	root = json_object_get(c->json, "root");
	check_keys(root, "root", (const char *const[]){"path", "readonly", NULL});
	if (!(rp = get_str(root, "path", "root")))
		die("config.json: root.path is missing");
	/* A relative root.path is relative to the bundle (config.md). */
	snprintf(path, sizeof(path), "%s/%s", c->bundle, rp);
	if (!realpath(rp[0] == '/' ? rp : path, c->rootfs))
		die("config.json: root.path %s: %s", rp, strerror(errno));
	c->readonly = json_is_true(json_object_get(root, "readonly"));
	c->hostname = get_str(c->json, "hostname", "");
	c->domainname = get_str(c->json, "domainname", "");
	c->annotations = json_object_get(c->json, "annotations");
	mounts = json_object_get(c->json, "mounts");
	json_array_foreach(mounts, i, v) {
		if (i >= MAX_MOUNTS)
			die("config.json: more than %d mounts", MAX_MOUNTS);
		parse_mount(v, i, &c->mounts[c->nmounts++]);
	}
	if (!json_object_get(c->json, "linux"))
		die("config.json: no linux section: this runtime runs Linux containers");
	parse_linux(json_object_get(c->json, "linux"), c);
	if ((c->hostname || c->domainname) && !(c->clone_flags & CLONE_NEWUTS))
		die("config.json: hostname needs a new uts namespace (config.md)");
	if (c->proc.terminal && !(c->clone_flags & CLONE_NEWNS))
		die("config.json: process.terminal needs a new mount namespace for "
		    "the container's own /dev/pts");
	if (!(c->clone_flags & CLONE_NEWNS))
		die("config.json: linux.namespaces must make a new mount "
		    "namespace: the mounts would be the host's");
}

/* ==== the state directory: ROOT/ID ===================================== */

static const char *state_root = DEFAULT_ROOT;

static void state_dir(char *buf, size_t size, const char *id)
{
	snprintf(buf, size, "%s/%s", state_root, id);
}

/* An ID is a file name: letters, digits, '_', '-', '.', not "." or "..". */
static void check_id(const char *id)
{
	if (!*id || !strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
		die("the ID must be a name of 1 to 1024 characters");
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
			die("the ID may hold letters, digits, '_', '-' and '.' only");
}

/* The state create left: state.json of ROOT/ID, or an error naming it. */
struct state {
	json_t *json;
	pid_t pid;
	unsigned long long start_time;
	char dir[PATH_MAX];
};

static bool try_load_state(const char *id, struct state *s)
{
	char path[PATH_MAX + 16];

	state_dir(s->dir, sizeof(s->dir), id);
	snprintf(path, sizeof(path), "%s/" STATE, s->dir);
	if (!(s->json = json_load_file(path, 0, NULL)))
		return false;
	s->pid = (pid_t)json_integer_value(json_object_get(s->json, "pid"));
	s->start_time = (unsigned long long)json_integer_value(
		json_object_get(s->json, "nslab.starttime"));
	return true;
}

static void load_state(const char *id, struct state *s)
{
	char path[PATH_MAX + 16];
	json_error_t jerr;

	state_dir(s->dir, sizeof(s->dir), id);
	snprintf(path, sizeof(path), "%s/" STATE, s->dir);
	if (!(s->json = json_load_file(path, 0, &jerr)))
		die("no such container (%s: %s)", path, jerr.text);
	s->pid = (pid_t)json_integer_value(json_object_get(s->json, "pid"));
	s->start_time = (unsigned long long)json_integer_value(
		json_object_get(s->json, "nslab.starttime"));
}

/* Field 22 of /proc/PID/stat, the process's start time, and its state
 * (field 3): a pid is a name the kernel gives again once its process is
 * gone, the start time tells the process we started from a new one. */
static bool proc_stat(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The command's name, field 2, may hold spaces and ')'. */
	if (!(p = strrchr(buf, ')')))
		return false;
	*state = p[2];
	p += 2;
	for (int field = 3; field < 22; field++)
		if (!(p = strchr(p, ' ')))
			return false;
		else
			p++;
	*start = strtoull(p, NULL, 10);
	return true;
}

/* Is the container's init the process create started, and alive? A
 * zombie has ended: only its parent (conmon) has not read its status. */
static bool init_alive(const struct state *s)
{
	unsigned long long start;
	char st;

	return s->pid > 0 && proc_stat(s->pid, &start, &st) &&
	       start == s->start_time && st != 'Z' && st != 'X';
}

static const char *status_of(const struct state *s)
{
	char fifo[PATH_MAX + 16];

	snprintf(fifo, sizeof(fifo), "%s/" FIFO, s->dir);
	// BEGIN SOLUTION 3
	// STEP: the status, read from the init and its FIFO
	// TODO: Say where the container is in its life, as the spec names it:
	//       "stopped" once its init has ended (init_alive() is false),
	//       "created" while the init is alive and still waits on the FIFO
	//       (start has not opened it yet: it is still there), "running"
	//       once start has taken the FIFO away. Nothing is stored: the
	//       status follows the processes, so a container whose program
	//       ended on its own is stopped at once. Afterwards `oci state`
	//       says created, then running after start, then stopped.
	//       Read runtime.md, "State", in the runtime specification.
	// HINT: Three states, two facts: is the init alive, and is the
	//       FIFO still in the state directory?
	// HINT: access(2) with F_OK tells whether the FIFO is there.
	// HINT: if (!init_alive(____)) return "____";
	//       return access(____, F_OK) == 0 ? "____" : "____";
	// WRONG created_forever: "return access(fifo, F_OK) == 0 ? \"created\" : \"running\";" -> "return \"created\";" : running
	// STUB: (void)init_alive;
	// STUB: /* The host is safe without this step, so go on: */
	// STUB: warnx("TODO({n}) not done: the status is always \"created\" (%s)", fifo);
	// STUB: return "created";
	// tag::status[]
	if (!init_alive(s))
		return "stopped";
	return access(fifo, F_OK) == 0 ? "created" : "running";
	// end::status[]
	// END SOLUTION
}

/* Write TEXT to PATH all at once: a reader (podman, conmon) sees the
 * whole file or none of it (rename(2) is atomic). */
static void write_atomic(int dirfd, const char *path, const char *text)
{
	char tmp[PATH_MAX + 16];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, text, len) != (ssize_t)len || close(fd) == -1 ||
	    renameat(dirfd, tmp, dirfd, path) == -1)
		die("writing %s: %s", path, strerror(errno));
}

/* ==== create: the container, waiting ================================== */

/* What the init needs, in its copy of create's memory. */
struct init_args {
	struct config *c;
	int fifo;    /* O_PATH of ROOT/ID/exec.fifo */
	int ready;   /* the write end of the pipe to create */
	int console; /* the console socket, connected, or -1 */
};

/* mkdir -p of PATH (relative to the current directory, the rootfs). */
static void make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				die("mkdir(%s): %s", buf, strerror(errno));
			*p = '/';
		}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		die("mkdir(%s): %s", buf, strerror(errno));
}

/* The mount point of DST inside the rootfs (the current directory):
 * made if missing, a directory or (for a bind of a file) a file, and
 * never reached through a symlink that leaves the rootfs: the rootfs is
 * the image's, and an image may hold any link. */
static void mount_point(const char *dst, bool file, const struct config *c)
{
	char rel[PATH_MAX], real[PATH_MAX], *slash;
	size_t n = strlen(c->rootfs);
	int fd;

	snprintf(rel, sizeof(rel), ".%s", dst);
	if (file) {
		if ((slash = strrchr(rel, '/')) && slash != rel + 1) {
			*slash = '\0';
			make_dirs(rel, 0755);
			*slash = '/';
		}
		fd = open(rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd == -1 && errno != EISDIR && errno != ELOOP)
			die("mount point %s: %s", dst, strerror(errno));
		if (fd != -1)
			close(fd);
	} else {
		make_dirs(rel, 0755);
	}
	if (!realpath(rel, real) || strncmp(real, c->rootfs, n) != 0 ||
	    (real[n] != '/' && real[n] != '\0'))
		die("mount point %s leads out of the rootfs", dst);
}

/* The cgroup file system the config asks for at DST: cgroup2 on a v2
 * host; a v1 host has a tree per controller, and gets an empty
 * read-only tmpfs (runc binds each controller's tree there). */
static void mount_cgroup(const struct mount_entry *e, const char *rel)
{
	struct cgroup probe;

	if (cg_init(&probe, CG_DEFAULT_PARENT, getpid()) == 0 && probe.v2 &&
	    !strcmp(probe.root, "/sys/fs/cgroup")) {
		if (mount("cgroup2", rel, "cgroup2", e->flags & ~MS_BIND, NULL) == -1)
			die("mount(cgroup2, %s): %s", e->dst, strerror(errno));
		return;
	}
	say("%s: a cgroup v1 host: an empty read-only tmpfs", e->dst);
	if (mount("tmpfs", rel, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=755") == -1)
		die("mount(tmpfs, %s): %s", e->dst, strerror(errno));
}

/* One entry of mounts, into the rootfs (the current directory). */
static void do_config_mount(const struct mount_entry *e, const struct config *c)
{
	char rel[PATH_MAX], src[PATH_MAX * 2];
	unsigned long rest = e->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	struct stat st;

	snprintf(rel, sizeof(rel), ".%s", e->dst);
	if (e->flags & MS_BIND) {
		/* A bind's source is a path of the host's, or the bundle's. */
		snprintf(src, sizeof(src), "%s%s%s", e->src[0] == '/' ? "" : c->bundle,
			 e->src[0] == '/' ? "" : "/", e->src);
		if (stat(src, &st) == -1)
			die("mounts: bind of %s: %s", src, strerror(errno));
		mount_point(e->dst, !S_ISDIR(st.st_mode), c);
		if (mount(src, rel, NULL, MS_BIND | (e->flags & MS_REC), NULL) == -1)
			die("mount(%s, %s, MS_BIND): %s", src, e->dst, strerror(errno));
		/* Flags of a bind mount take a remount of it (mount(2)). */
		if (rest && mount(NULL, rel, NULL, MS_BIND | MS_REMOUNT | rest, NULL) == -1)
			die("mount(%s, MS_REMOUNT, the options of mounts): %s", e->dst,
			    strerror(errno));
	} else {
		mount_point(e->dst, false, c);
		if (!strcmp(e->type, "cgroup") || !strcmp(e->type, "cgroup2"))
			mount_cgroup(e, rel);
		else if (mount(e->src, rel, e->type, e->flags, *e->data ? e->data : NULL) == -1)
			die("mount(%s, %s, %s, \"%s\"): %s", e->src, e->dst, e->type,
			    e->data, strerror(errno));
	}
	if (e->propagation && mount(NULL, rel, NULL, e->propagation, NULL) == -1)
		die("mount(%s, the propagation of mounts): %s", e->dst, strerror(errno));
}

/* runc's default devices, always there (config-linux.md, "Default
 * Devices"): bound from the host's onto empty files, which works in a
 * user namespace too, where mknod(2) of a device does not. */
static void make_default_devices(void)
{
	static const char *const devs[] = {"null", "zero", "full", "random",
					   "urandom", "tty", NULL};
	static const char *const links[][2] = {
		{"/proc/self/fd", "dev/fd"}, {"/proc/self/fd/0", "dev/stdin"},
		{"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
		{"pts/ptmx", "dev/ptmx"}};
	char host[64], here[64];
	int fd;

	make_dirs("dev", 0755);
	for (const char *const *d = devs; *d; d++) {
		snprintf(host, sizeof(host), "/dev/%s", *d);
		snprintf(here, sizeof(here), "dev/%s", *d);
		if ((fd = open(here, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666)) == -1)
			die("%s: %s", here, strerror(errno));
		close(fd);
		if (mount(host, here, NULL, MS_BIND, NULL) == -1)
			die("mount(%s, MS_BIND): %s", host, strerror(errno));
	}
	for (size_t i = 0; i < COUNT(links); i++) {
		if (!strcmp(links[i][0], "pts/ptmx") && access("dev/pts/ptmx", F_OK) == -1)
			continue;
		if (symlink(links[i][0], links[i][1]) == -1 && errno != EEXIST)
			die("symlink(%s): %s", links[i][1], strerror(errno));
	}
}

/* linux.devices: device nodes the config asks for, made as root here. */
static void make_config_devices(const struct config *c)
{
	static const char *const known[] = {"type", "path", "major", "minor",
					    "fileMode", "uid", "gid", NULL};
	json_t *d;
	size_t i;

	json_array_foreach(c->devices, i, d) {
		const char *type = get_str(d, "type", "linux.devices[]");
		const char *path = get_str(d, "path", "linux.devices[]");
		mode_t mode = (mode_t)get_int(d, "fileMode", "linux.devices[]", 0666);
		char rel[PATH_MAX];

		check_keys(d, "linux.devices[]", known);
		if (!type || !path || path[0] != '/' || strstr(path, ".."))
			die("config.json: linux.devices[%zu] needs a type and an absolute path", i);
		if (c->clone_flags & CLONE_NEWUSER)
			die("config.json: linux.devices: a user namespace may not mknod(2) %s",
			    path);
		mode |= !strcmp(type, "b") ? S_IFBLK : !strcmp(type, "p") ? S_IFIFO : S_IFCHR;
		snprintf(rel, sizeof(rel), ".%s", path);
		if (mknod(rel, mode, makedev(get_int(d, "major", "linux.devices[]", 0),
					     get_int(d, "minor", "linux.devices[]", 0))) == -1 &&
		    errno != EEXIST)
			die("mknod(%s): %s", path, strerror(errno));
		if (chown(rel, (uid_t)get_int(d, "uid", "linux.devices[]", 0),
			  (gid_t)get_int(d, "gid", "linux.devices[]", 0)) == -1)
			die("chown(%s): %s", path, strerror(errno));
	}
}

/* The container's root: its own mounts, then pivot_root into it, as
 * lesson 07 does (STYLE.md's pitfalls 1 and 3). */
static void build_root(const struct config *c)
{
	if (mount(NULL, "/", NULL, c->root_propagation, NULL) == -1)
		die("mount(/, the rootfs propagation): %s", strerror(errno));
	/* pivot_root needs the new root to be a mount point. */
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) == -1)
		die("mount(%s, MS_BIND): %s", c->rootfs, strerror(errno));
	if (chdir(c->rootfs) == -1)
		die("chdir(%s): %s", c->rootfs, strerror(errno));
	for (int i = 0; i < c->nmounts; i++)
		do_config_mount(&c->mounts[i], c);
	make_default_devices();
	make_config_devices(c);
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		die("pivot_root(%s): %s", c->rootfs, strerror(errno));
	if (mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		die("detaching the old root: %s", strerror(errno));
	if (c->readonly) {
		struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) == -1)
			die("root.readonly: mount_setattr(/, MOUNT_ATTR_RDONLY): %s",
			    strerror(errno));
	}
}

/* linux.sysctl: each key is a file under /proc/sys (net.ipv4.x is
 * net/ipv4/x); the kernel allows those of the container's namespaces. */
static void write_sysctls(const struct config *c)
{
	const char *key;
	json_t *v;

	json_object_foreach(c->sysctl, key, v) {
		char path[PATH_MAX];
		const char *value = json_string_value(v);
		int fd;

		if (!value || strstr(key, "..") || strchr(key, '/'))
			die("config.json: linux.sysctl.%s must be a string", key);
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 ||
		    write(fd, value, strlen(value)) != (ssize_t)strlen(value))
			die("linux.sysctl %s = %s: %s", key, value, strerror(errno));
		close(fd);
	}
}

/* linux.maskedPaths behind /dev/null or an empty read-only tmpfs;
 * linux.readonlyPaths bound onto themselves read-only (lesson 07). */
static void mask_paths(const struct config *c)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct stat st;
	json_t *v;
	size_t i;

	json_array_foreach(c->masked, i, v) {
		const char *p = json_string_value(v);

		if (!p || stat(p, &st) == -1)
			continue; /* what this kernel has not, needs no mask */
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") == -1
					: mount("/dev/null", p, NULL, MS_BIND, NULL) == -1)
			die("linux.maskedPaths %s: %s", p, strerror(errno));
	}
	json_array_foreach(c->readonly_paths, i, v) {
		const char *p = json_string_value(v);

		if (!p || access(p, F_OK) == -1)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) == -1 ||
		    mount_setattr(AT_FDCWD, p, AT_RECURSIVE, &ro, sizeof(ro)) == -1)
			die("linux.readonlyPaths %s: %s", p, strerror(errno));
	}
}

/* linux.seccomp, as a libseccomp filter (built here, loaded later). */
static uint32_t seccomp_action(const char *name, long long errno_ret, const char *where)
{
	if (!name)
		die("config.json: %s: no action", where);
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		return SCMP_ACT_ALLOW;
	if (!strcmp(name, "SCMP_ACT_ERRNO"))
		return SCMP_ACT_ERRNO((uint16_t)errno_ret);
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		return SCMP_ACT_KILL;
	if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(name, "SCMP_ACT_TRAP"))
		return SCMP_ACT_TRAP;
	if (!strcmp(name, "SCMP_ACT_LOG"))
		return SCMP_ACT_LOG;
	die("config.json: %s: action %s is not supported by this runtime", where, name);
}

static scmp_filter_ctx build_seccomp(json_t *s)
{
	static const char *const known[] = {"defaultAction", "defaultErrnoRet",
					    "architectures", "syscalls", "flags", NULL};
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
		   {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
		   {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
		   {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
	long long dflt_errno = get_int(s, "defaultErrnoRet", "linux.seccomp", EPERM);
	uint32_t dflt;
	scmp_filter_ctx ctx;
	json_t *v, *rule, *a;
	size_t i, j, k;

	check_keys(s, "linux.seccomp", known);
	if (json_array_size(json_object_get(s, "flags")))
		die("config.json: linux.seccomp.flags are not supported by this runtime");
	dflt = seccomp_action(get_str(s, "defaultAction", "linux.seccomp"), dflt_errno,
			      "linux.seccomp.defaultAction");
	if (!(ctx = seccomp_init(dflt)))
		die("seccomp_init: out of memory");
	/* libseccomp sets no_new_privs itself unless told not to: that is
	 * process.noNewPrivileges's to decide. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0)
		die("seccomp_attr_set(SCMP_FLTATR_CTL_NNP): failed");
	json_array_foreach(json_object_get(s, "architectures"), i, v) {
		const char *name = json_string_value(v);
		uint32_t arch = name && !strncmp(name, "SCMP_ARCH_", 10)
					? seccomp_arch_resolve_name(name + 10) : 0;
		int e;

		/* The names are upper case in the spec, lower in libseccomp. */
		if (name && !arch) {
			char lower[32];

			snprintf(lower, sizeof(lower), "%s", name + 10);
			for (char *p = lower; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			arch = seccomp_arch_resolve_name(lower);
		}
		if (!arch)
			die("config.json: linux.seccomp.architectures: %s unknown",
			    name ? name : "(not a string)");
		if ((e = seccomp_arch_add(ctx, arch)) != 0 && e != -EEXIST)
			die("seccomp_arch_add(%s): %s", name, strerror(-e));
	}
	json_array_foreach(json_object_get(s, "syscalls"), i, rule) {
		static const char *const rule_known[] = {"names", "action", "errnoRet",
							 "args", "comment", "includes",
							 "excludes", NULL};
		struct scmp_arg_cmp cmp[6];
		uint32_t act;
		unsigned n = 0;

		check_keys(rule, "linux.seccomp.syscalls[]", rule_known);
		act = seccomp_action(get_str(rule, "action", "linux.seccomp.syscalls[]"),
				     get_int(rule, "errnoRet", "syscalls[]", EPERM),
				     "linux.seccomp.syscalls[]");
		json_array_foreach(json_object_get(rule, "args"), j, a) {
			const char *opname = get_str(a, "op", "syscalls[].args[]");
			size_t o;

			for (o = 0; o < COUNT(ops) && opname; o++)
				if (!strcmp(ops[o].name, opname))
					break;
			if (!opname || o == COUNT(ops) || n == 6)
				die("config.json: linux.seccomp.syscalls[%zu].args: op %s",
				    i, opname ? opname : "(none)");
			cmp[n++] = (struct scmp_arg_cmp){
				(unsigned)get_int(a, "index", "args[]", 0), ops[o].op,
				(scmp_datum_t)get_int(a, "value", "args[]", 0),
				(scmp_datum_t)get_int(a, "valueTwo", "args[]", 0)};
		}
		if (act == dflt)
			continue; /* libseccomp refuses a rule that changes nothing */
		json_array_foreach(json_object_get(rule, "names"), k, v) {
			const char *name = json_string_value(v);
			int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
			int e;

			/* A name this libseccomp does not know is a call it
			 * cannot filter, as runc skips it. */
			if (nr == __NR_SCMP_ERROR)
				continue;
			e = seccomp_rule_add_array(ctx, act, nr, n, cmp);
			if (e != 0 && e != -EEXIST)
				die("seccomp_rule_add(%s): %s", name, strerror(-e));
		}
	}
	return ctx;
}

/* capset(2) without libcap, as lesson 07 does. */
static void set_caps(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)}};

	if (syscall(SYS_capset, &h, d) == -1)
		die("capset: %s", strerror(errno));
}

/* The process, from root of the namespaces to what the config asks:
 * rlimits, the bounding set, the user, the capabilities, no_new_privs,
 * seccomp, the environment; then exec. Shared by create's init and exec. */
__attribute__((noreturn)) static void exec_process(const struct process *p,
						   json_t *seccomp_json)
{
	scmp_filter_ctx filter = seccomp_json ? build_seccomp(seccomp_json) : NULL;

	for (int i = 0; i < p->nrl; i++)
		if (setrlimit(p->rl_type[i], &p->rl[i]) == -1)
			die("setrlimit(%s, %llu, %llu): %s", rlimit_names[p->rl_type[i]],
			    (unsigned long long)p->rl[i].rlim_cur,
			    (unsigned long long)p->rl[i].rlim_max, strerror(errno));
	if (p->has_oom) {
		char v[16];
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		snprintf(v, sizeof(v), "%d", p->oom_score_adj);
		if (fd == -1 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
			die("oomScoreAdj %s: %s", v, strerror(errno));
		close(fd);
	}
	if (chdir(p->cwd) == -1)
		die("process.cwd %s: %s", p->cwd, strerror(errno));
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	/* Only fds 0-2 cross into the container (CVE-2024-21626). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		die("close_range: %s", strerror(errno));
	if (p->has_caps) {
		for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
			if (cap >= 64 || !(p->bounding & (1ULL << cap)))
				if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
					die("prctl(PR_CAPBSET_DROP, %d): %s", cap, strerror(errno));
	}
	/* Without no_new_privs the kernel takes a filter only from a
	 * process with CAP_SYS_ADMIN: load it while we still have it. */
	if (filter && !p->no_new_privs && seccomp_load(filter) != 0)
		die("seccomp_load: %s", strerror(errno));
	/* Keep the permitted set across the change of uid (prctl(2)). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		die("prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
	if (setgroups((size_t)p->ngroups, p->groups) == -1 && errno != EPERM)
		die("setgroups: %s", strerror(errno));
	if (setresgid(p->gid, p->gid, p->gid) == -1 || setresuid(p->uid, p->uid, p->uid) == -1)
		die("process.user %u:%u: %s", (unsigned)p->uid, (unsigned)p->gid,
		    strerror(errno));
	if (p->has_caps) {
		set_caps(p->effective, p->permitted, p->inheritable);
		for (int cap = 0; cap < NCAPS; cap++)
			if ((p->ambient & (1ULL << cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1)
				die("ambient %s: %s", cap_names[cap], strerror(errno));
	}
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		die("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	if (filter && p->no_new_privs && seccomp_load(filter) != 0)
		die("seccomp_load: %s", strerror(errno));
	clearenv();
	for (char **e = p->env; e && *e; e++)
		if (putenv(*e) != 0)
			die("process.env %s: %s", *e, strerror(errno));
	execvp(p->argv[0], p->argv);
	die("exec %s: %s", p->argv[0], strerror(errno));
}

/* The terminal the config asks for (process.terminal): a pair from the
 * container's own devpts, its master sent to the console socket (conmon
 * relays it, as runc's callers expect), the slave this process's. */
static void take_console(int sock, const struct process *p)
{
	struct winsize ws = {.ws_row = p->rows, .ws_col = p->cols};
	struct pty pty;

	if (pty_open(&pty, AT_FDCWD, -1) == -1)
		die("a terminal from /dev/pts/ptmx: %s", strerror(errno));
	if (ws.ws_row && ws.ws_col && ioctl(pty.master, TIOCSWINSZ, &ws) == -1)
		die("TIOCSWINSZ: %s", strerror(errno));
	pty_send_master(sock, &pty);
	close(sock);
	close(pty.master);
	if (pty_attach(&pty) == -1)
		die("a controlling terminal (setsid, TIOCSCTTY): %s", strerror(errno));
}

/* The container's init, in its new namespaces, released by create. */
static int init_main(void *arg)
{
	struct init_args *a = arg;
	struct config *c = a->c;
	char path[64];
	int fifo;

	op = "create (the container's init)";
	if ((c->clone_flags & CLONE_NEWUSER) &&
	    (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1))
		die("setresuid(0) in the new user namespace: %s", strerror(errno));
	build_root(c);
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) == -1)
		die("sethostname(%s): %s", c->hostname, strerror(errno));
	if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) == -1)
		die("setdomainname(%s): %s", c->domainname, strerror(errno));
	write_sysctls(c);
	mask_paths(c);
	/* A session of its own, or the console's (STYLE.md, pitfall 11). */
	if (a->console != -1)
		take_console(a->console, &c->proc);
	else if (setsid() == -1)
		die("setsid: %s", strerror(errno));
	/* The FIFO is in the state directory, which is no longer visible
	 * here: reopen it through the descriptor, as /proc shows it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->fifo);
	// BEGIN SOLUTION 2
	// STEP: create leaves the init waiting; start lets it run
	// TODO: The create/start split, the init's half: everything is
	//       ready, so tell create (one byte on a->ready; create then
	//       writes the pid file and returns), then wait until start
	//       opens the FIFO, and only then run the program. The init
	//       must no longer die with create (it did until now: ns_spawn
	//       set PR_SET_PDEATHSIG), since create returns now and conmon
	//       becomes its parent. Afterwards `oci create` returns while
	//       `oci state` says created, and the program has not run.
	//       Read fifo(7) (when an open of a FIFO blocks) and runtime.md,
	//       "Lifecycle", steps 5 to 8.
	// HINT: An open(2) of a FIFO for writing blocks until a reader
	//       opens it: the init sleeps in the kernel until start comes.
	// HINT: prctl(PR_SET_PDEATHSIG, 0); write(2) a byte on a->ready and
	//       close it; open(2) `path` with O_WRONLY; write(2) a byte.
	// HINT: if (prctl(PR_SET_PDEATHSIG, ____, 0, 0, 0) == -1) die(...);
	//       write(a->ready, ____, 1), then close(a->ready);
	//       fifo = open(path, ____ | O_CLOEXEC);
	//       on -1, or a write(fifo, ...) of other than one byte: die(...);
	// WRONG no_wait: "fifo = open(path, O_WRONLY | O_CLOEXEC);" -> "fifo = open(\"/dev/null\", O_WRONLY | O_CLOEXEC);" : FIFO
	// WRONG dies_with_create: "prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0)" -> "prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)" : PR_SET_PDEATHSIG
	// STUB: (void)fifo; (void)path;
	// STUB: todo({n}, "the init tells create it is ready, then waits on the FIFO");
	// tag::wait[]
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) == -1)
		die("prctl(PR_SET_PDEATHSIG, 0): %s", strerror(errno));
	if (write(a->ready, "r", 1) != 1)
		die("telling create the init is ready: %s", strerror(errno));
	close(a->ready);
	fifo = open(path, O_WRONLY | O_CLOEXEC);
	if (fifo == -1 || write(fifo, "0", 1) != 1)
		die("the exec FIFO: %s", strerror(errno));
	close(fifo);
	// end::wait[]
	// END SOLUTION
	close(a->fifo);
	op = "start (the container's init)";
	exec_process(&c->proc, c->seccomp);
}

/* linux.cgroupsPath as lesson 09's struct cgroup: the same layout, the
 * config's path in every tree (default /nslab-oci/ID), in `rel`. */
static void name_cgroup(struct cgroup *cg, const struct config *c, const char *id,
			char *rel, size_t size)
{
	if (cg_init(cg, CG_DEFAULT_PARENT, getpid()) != 0)
		die("%s", cg->why);
	if (*c->cgroups_path)
		snprintf(rel, size, "%s", c->cgroups_path);
	else
		snprintf(rel, size, "/nslab-oci/%s", id);
	for (int i = 0; i < cg->ndirs; i++) {
		char *slash;

		if (cg->v2)
			snprintf(cg->dir[i], sizeof(cg->dir[i]), "%.200s%.3000s",
				 cg->root, rel);
		else
			snprintf(cg->dir[i], sizeof(cg->dir[i]), "/sys/fs/cgroup/%s%.3000s",
				 cg_controller[i], rel);
		snprintf(cg->parent[i], sizeof(cg->parent[i]), "%s", cg->dir[i]);
		if ((slash = strrchr(cg->parent[i], '/')))
			*slash = '\0';
	}
}

/* The v1 devices controller, as runc fills it: the config's rules (podman:
 * "deny all"), then the default devices allowed. On v2 that takes a BPF
 * program: there only "deny all" is taken, which the container's /dev
 * (the default devices alone) and a bounding set without CAP_MKNOD keep. */
static void set_device_rules(const struct config *c, const char *path, char *dir,
			     size_t size)
{
	static const char *const defaults[] = {
		"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
		"c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", NULL};
	json_t *r;
	size_t i;

	*dir = '\0';
	if (!json_array_size(c->device_rules))
		return;
	if (access("/sys/fs/cgroup/devices", F_OK) == -1) {
		json_array_foreach(c->device_rules, i, r) {
			if (json_is_true(json_object_get(r, "allow")) ||
			    json_object_get(r, "type") || json_object_get(r, "major"))
				die("config.json: linux.resources.devices: rules other "
				    "than \"deny all\" need a BPF program on cgroup v2, "
				    "not supported by this runtime");
		}
		if (c->proc.bounding & (1ULL << CAP_MKNOD))
			die("config.json: linux.resources.devices on cgroup v2 with "
			    "CAP_MKNOD in the bounding set is not supported by this runtime");
		return;
	}
	snprintf(dir, size, "/sys/fs/cgroup/devices%.3000s", path);
	make_dirs(dir, 0755);
	json_array_foreach(c->device_rules, i, r) {
		const char *type = get_str(r, "type", "devices[]");
		const char *access_ = get_str(r, "access", "devices[]");
		long long maj = get_int(r, "major", "devices[]", -1);
		long long min = get_int(r, "minor", "devices[]", -1);
		char rule[64], mj[24], mn[24];

		snprintf(mj, sizeof(mj), maj < 0 ? "*" : "%lld", maj);
		snprintf(mn, sizeof(mn), min < 0 ? "*" : "%lld", min);
		if (!type || !strcmp(type, "a"))
			snprintf(rule, sizeof(rule), "a");
		else
			snprintf(rule, sizeof(rule), "%s %s:%s %s", type, mj, mn,
				 access_ ? access_ : "rwm");
		cg_write(dir, json_is_true(json_object_get(r, "allow")) ? "devices.allow"
									 : "devices.deny", rule);
	}
	for (const char *const *d = defaults; *d; d++)
		cg_write(dir, "devices.allow", *d);
}

/* Undo what create made, when it fails half-way. */
static struct {
	char state[PATH_MAX];
	struct cgroup *cg;
	char devices[PATH_MAX];
} undo;

static void remove_state_dir(const char *dir)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/" FIFO, dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" STATE, dir);
	unlink(path);
	rmdir(dir);
}

static void undo_create(void)
{
	if (undo.cg)
		for (int i = 0; i < undo.cg->ndirs; i++)
			rmdir(undo.cg->dir[i]);
	if (*undo.devices)
		rmdir(undo.devices);
	if (*undo.state)
		remove_state_dir(undo.state);
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("--console-socket %s: the path is too long for a socket", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("--console-socket %s: %s", path, strerror(errno));
	return fd;
}

static int cmd_create(const char *id, const char *bundle, const char *pid_file,
		      const char *console)
{
	static struct config c;
	static struct cgroup cg;
	struct init_args a = {.c = &c, .console = -1};
	struct ns_child child;
	char dir[PATH_MAX], path[PATH_MAX + 16], devices[PATH_MAX], when[40], pidtext[24];
	char rel[PATH_MAX];
	int ready[2];
	unsigned long long start;
	struct timespec ts;
	json_t *state;
	char st, *text;

	load_config(bundle ? bundle : ".", &c);
	if (c.proc.terminal && !console)
		die("process.terminal is true: create needs --console-socket");
	if (!c.proc.terminal && console)
		die("--console-socket, but process.terminal is false in config.json");
	if (mkdir(state_root, 0700) == -1 && errno != EEXIST)
		die("--root %s: %s", state_root, strerror(errno));
	state_dir(dir, sizeof(dir), id);
	if (mkdir(dir, 0700) == -1)
		die(errno == EEXIST ? "a container with this ID exists (%s)" : "mkdir(%s): %s",
		    dir, strerror(errno));
	snprintf(undo.state, sizeof(undo.state), "%s", dir);
	atexit(undo_create);
	snprintf(path, sizeof(path), "%s/" FIFO, dir);
	if (mkfifo(path, 0600) == -1 || (a.fifo = open(path, O_PATH | O_CLOEXEC)) == -1)
		die("mkfifo(%s): %s", path, strerror(errno));
	if (console)
		a.console = connect_socket(console);

	/* The limits first (lesson 09's steps, from its solution), so that
	 * the init is counted from its first instruction on. */
	name_cgroup(&cg, &c, id, rel, sizeof(rel));
	undo.cg = &cg;
	if (!cg_make_parents(&cg, cg_needs(&c.lim)))
		die("%s", cg.why);
	cg_make(&cg);
	cg_set_limits(&cg, &c.lim);
	if (c.swap) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", cg.v2 ? c.swap - c.lim.memory : c.swap);
		if (cg_has(cg_dir(&cg, CG_MEMORY), cg.v2 ? "memory.swap.max"
							 : "memory.memsw.limit_in_bytes"))
			cg_write(cg_dir(&cg, CG_MEMORY), cg.v2 ? "memory.swap.max"
							       : "memory.memsw.limit_in_bytes", v);
	}
	if (c.cpu_shares > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", cg.v2 ? 1 + ((c.cpu_shares - 2) * 9999) / 262142
						     : c.cpu_shares);
		cg_write(cg_dir(&cg, CG_CPU), cg.v2 ? "cpu.weight" : "cpu.shares", v);
	}
	set_device_rules(&c, rel, devices, sizeof(devices));
	snprintf(undo.devices, sizeof(undo.devices), "%s", devices);

	/* The namespaces to join: user first, which owns the others. */
	for (int i = 0; i < c.njoin; i++) {
		int nsfd = open(c.join_path[i], O_RDONLY | O_CLOEXEC);

		if (nsfd == -1 || setns(nsfd, c.join_flag[i]) == -1)
			die("setns(%s): %s", c.join_path[i], strerror(errno));
		close(nsfd);
	}
	if (pipe2(ready, O_CLOEXEC) == -1)
		die("pipe2: %s", strerror(errno));
	a.ready = ready[1];
	if (ns_spawn(&child, c.clone_flags, init_main, &a) == -1)
		clone_failed("clone", c.clone_flags);
	close(ready[1]);
	say("init pid %d; its namespaces:", (int)child.pid);
	for (size_t t = 0; t < NS_TYPES; t++) {
		char label[96];

		say("  %s", ns_account(child.pid, 0, ns_types[t].proc, label, sizeof(label)));
	}
	/* While the init waits on ns_spawn's pipe: its cgroup, its ids. */
	cg_enter(&cg, child.pid);
	snprintf(pidtext, sizeof(pidtext), "%d", (int)child.pid);
	if (*devices)
		cg_write(devices, "cgroup.procs", pidtext);
	if (c.clone_flags & CLONE_NEWUSER)
		idmap_set(child.pid, c.uid_map, c.gid_map);
	ns_release(&child);
	if (read(ready[0], &st, 1) != 1) {
		waitpid(child.pid, NULL, 0);
		die("the container's init failed before it was ready (its error is above)");
	}
	if (!proc_stat(child.pid, &start, &st))
		die("the container's init %d is gone", (int)child.pid);
	// CHALLENGE BEGIN
	/* createRuntime: the namespaces exist, the init waits on the FIFO.
	 * A hook that fails takes the container with it: the init killed
	 * and reaped, its cgroup emptied (undo_create removes it, and the
	 * state directory, at exit). */
	if (json_array_size(c.create_runtime)) {
		char *hs = hook_state(id, "created", child.pid, c.bundle, c.annotations);
		char why[PATH_MAX + 128];

		if (!run_hooks(c.create_runtime, "createRuntime", hs, why, sizeof(why))) {
			kill(child.pid, SIGKILL);
			waitpid(child.pid, NULL, 0);
			for (int i = 0; i < cg.ndirs; i++)
				for (int tries = 0; tries < KILL_WAIT_MS; tries++) {
					if (rmdir(cg.dir[i]) == 0 || errno != EBUSY)
						break;
					usleep(1000);
				}
			die("%s", why);
		}
		free(hs);
	}
	// CHALLENGE END

	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&ts.tv_sec));
	state = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:O, s:I, s:[], s:O}",
			  "ociVersion", OCI_VERSION, "id", id, "pid", (int)child.pid,
			  "bundle", c.bundle, "rootfs", c.rootfs, "created", when,
			  "annotations", c.annotations ? c.annotations : json_object(),
			  "nslab.starttime", (json_int_t)start, "nslab.cgroups",
			  /* exec's processes get the same filter */
			  "nslab.seccomp", c.seccomp ? c.seccomp : json_null());
	for (int i = 0; i < cg.ndirs; i++)
		json_array_append_new(json_object_get(state, "nslab.cgroups"),
				      json_string(cg.dir[i]));
	if (*devices)
		json_array_append_new(json_object_get(state, "nslab.cgroups"),
				      json_string(devices));
	// CHALLENGE BEGIN
	/* delete reads no config: the poststop hooks wait in the state. */
	if (state && c.poststop)
		json_object_set(state, "nslab.poststop", c.poststop);
	// CHALLENGE END
	if (!state || !(text = json_dumps(state, JSON_INDENT(2))))
		die("state.json: out of memory");
	snprintf(path, sizeof(path), "%s/" STATE, dir);
	write_atomic(AT_FDCWD, path, text);
	if (pid_file)
		write_atomic(AT_FDCWD, pid_file, pidtext);
	free(text);
	json_decref(state);
	/* Done: the container exists and waits; create's work stays. */
	undo.state[0] = undo.devices[0] = '\0';
	undo.cg = NULL;
	say("created %s: init pid %d waits on %s/" FIFO, id, (int)child.pid, dir);
	return 0;
}

/* ==== start, state, kill, delete ======================================= */

static int cmd_start(const char *id)
{
	struct state s;
	char fifo[PATH_MAX + 16], byte;
	const char *status;
	ssize_t n;
	int fd;

	load_state(id, &s);
	status = status_of(&s);
	if (strcmp(status, "created") != 0)
		die("the container is %s, not created: only a created container "
		    "starts (runtime.md, \"start\")", status);
	snprintf(fifo, sizeof(fifo), "%s/" FIFO, s.dir);
	// BEGIN SOLUTION 2
	// TODO: The create/start split, start's half: let the waiting init
	//       run the program, by opening its FIFO (fifo) for reading and
	//       reading the byte it writes; then take the FIFO away, which is
	//       what makes the container "running" from now on. The init may
	//       have died while it waited: open the FIFO without blocking
	//       and read until the byte comes or init_alive(&s) is false.
	//       Afterwards the program's output appears and `oci state`
	//       says running. Read fifo(7) and open(2), O_NONBLOCK.
	// HINT: Opened O_NONBLOCK for reading, a FIFO's open returns at once;
	//       read(2) then gives 0 or EAGAIN until the init has written.
	// HINT: open(2) with O_RDONLY | O_NONBLOCK; read(2) in a loop with a
	//       short pause (usleep(3)); unlink(2) the FIFO.
	// HINT: fd = open(fifo, ____);
	//       until read(fd, &byte, 1) gives 1: die(...) once the init is gone, else usleep(1000);
	//       close(fd); unlink(____);
	// WRONG fifo_kept: "if (unlink(fifo) == -1)" -> "if (false)" : unlink
	// STUB: (void)n; (void)fd; (void)byte;
	// STUB: todo({n}, "start opens the FIFO: the init runs the program");
	// tag::start[]
	if ((fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		die("open(%s): %s", fifo, strerror(errno));
	while ((n = read(fd, &byte, 1)) != 1) {
		if (n == -1 && errno != EAGAIN)
			die("read(%s): %s", fifo, strerror(errno));
		if (!init_alive(&s))
			die("the container's init ended before it started the program");
		usleep(1000);
	}
	close(fd);
	if (unlink(fifo) == -1)
		die("unlink(%s): %s", fifo, strerror(errno));
	// end::start[]
	// END SOLUTION
	json_decref(s.json);
	return 0;
}

/* The state, as runtime.md's "State" has it, on stdout. */
static int cmd_state(const char *id)
{
	struct state s;
	const char *status;
	json_t *out;
	char *text;

	load_state(id, &s);
	status = status_of(&s);
	out = json_pack("{s:s, s:s, s:s, s:i, s:O, s:O, s:O, s:O}", "ociVersion",
			OCI_VERSION, "id", id, "status", status, "pid",
			strcmp(status, "stopped") != 0 ? (int)s.pid : 0, "bundle",
			json_object_get(s.json, "bundle"), "rootfs",
			json_object_get(s.json, "rootfs"), "created",
			json_object_get(s.json, "created"), "annotations",
			json_object_get(s.json, "annotations"));
	if (!out || !(text = json_dumps(out, JSON_INDENT(2))))
		die("out of memory");
	printf("%s\n", text);
	free(text);
	json_decref(out);
	json_decref(s.json);
	return 0;
}

/* SIGTERM, TERM, 15: the names kill(1) takes, and numbers. */
static int parse_signal(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);

	if (*name && !*end && n > 0 && n < NSIG)
		return (int)n;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(abbrev, name))
			return sig;
	}
	die("%s is not a signal (a name such as TERM or KILL, or a number)", name);
}

/* Every process of the container's cgroup (its first tree), to SIG. */
static int signal_cgroup(const struct state *s, int sig)
{
	json_t *dirs = json_object_get(s->json, "nslab.cgroups");
	const char *dir = json_string_value(json_array_get(dirs, 0));
	char *procs = dir ? cg_read(dir, "cgroup.procs") : NULL;
	int n = 0;

	for (char *p = procs, *next; p && *p; p = next) {
		long pid = strtol(p, &next, 10);

		if (next == p)
			break;
		if (pid > 0 && kill((pid_t)pid, sig) == 0)
			n++;
	}
	free(procs);
	return n;
}

/* A signal to the init through a pidfd, which names that process and
 * no later one with its pid (pidfd_open(2)). */
static void signal_init(const struct state *s, int sig)
{
	int fd = pidfd_open(s->pid, 0);

	if (fd == -1 || !init_alive(s) || pidfd_send_signal(fd, sig, NULL, 0) == -1)
		die("signal %d to the init %d: %s", sig, (int)s->pid,
		    strerror(errno ? errno : ESRCH));
	close(fd);
}

static int cmd_kill(const char *id, const char *signame, bool all)
{
	int sig = parse_signal(signame ? signame : "TERM");
	struct state s;
	const char *status;

	load_state(id, &s);
	status = status_of(&s);
	if (!strcmp(status, "stopped"))
		die("the container is stopped: nothing to signal (runtime.md, \"kill\")");
	signal_init(&s, sig);
	if (all)
		signal_cgroup(&s, sig);
	json_decref(s.json);
	return 0;
}

/* Wait until the init has ended (a zombie, or reaped by conmon) and the
 * cgroup is empty, killing what is left in it; false on timeout. */
static bool wait_gone(const struct state *s)
{
	for (int ms = 0; ms < KILL_WAIT_MS; ms++) {
		if (!init_alive(s) && signal_cgroup(s, SIGKILL) == 0)
			return true;
		usleep(1000);
	}
	return false;
}

static int cmd_delete(const char *id, bool force)
{
	struct state s;
	const char *status;
	json_t *dirs, *d;
	size_t i;

	/* A create that failed half-way leaves a directory without a
	 * state: remove it; with --force that is no error (as runc). */
	if (!try_load_state(id, &s)) {
		char half_made[PATH_MAX];

		state_dir(half_made, sizeof(half_made), id);
		remove_state_dir(half_made);
		if (force)
			return 0;
		load_state(id, &s); /* says why */
	}
	status = status_of(&s);
	dirs = json_object_get(s.json, "nslab.cgroups");
	// BEGIN SOLUTION 4
	// STEP: delete removes everything create made
	// TODO: Delete the container, as runtime.md's "delete" demands: one
	//       that is not stopped is an error and stays as it is, unless
	//       --force, which kills it (SIGKILL to the init, signal_init(),
	//       and to every process left in its cgroup: wait_gone() does
	//       both until none is left). Then remove what create made: each
	//       cgroup directory of `dirs` (the state's list) and the state
	//       directory s.dir (remove_state_dir()). The mounts went with
	//       the mount namespace, when its last process ended. Afterwards
	//       `oci state` says there is no such container and no cgroup of
	//       it is left under /sys/fs/cgroup. Read runtime.md, "delete",
	//       and cgroups(7) (a cgroup is removed with rmdir(2) once empty).
	// HINT: Three cases: stopped, not stopped without --force (die()),
	//       not stopped with --force (kill, then wait). A cgroup may be
	//       busy a moment after its last process died: try rmdir again.
	// HINT: strcmp(3) of status; signal_init() with SIGKILL;
	//       wait_gone(&s); json_array_foreach(dirs, i, d) rmdir(2) of
	//       json_string_value(d), again after usleep(3) on EBUSY.
	// HINT: if (it is not stopped && ____) die(...);
	//       if (it is not stopped) signal_init(&s, ____);
	//       if (!wait_gone(&s)) die(...);
	//       json_array_foreach(dirs, i, d): rmdir(____), again while errno is ____;
	//       remove_state_dir(____);
	// WRONG delete_running: "if (strcmp(status, \"stopped\") != 0 && !force)" -> "if (false)" : --force
	// WRONG cgroup_kept: "if (rmdir(dir) == 0 || errno == ENOENT)" -> "if (true)" : cgroup
	// STUB: (void)force; (void)dirs; (void)d; (void)i; (void)wait_gone;
	// STUB: (void)remove_state_dir; (void)status;
	// STUB: todo({n}, "delete: kill with --force, remove the cgroup and the state");
	// tag::delete[]
	if (strcmp(status, "stopped") != 0 && !force)
		die("the container is %s: kill it first, or delete --force "
		    "(runtime.md, \"delete\")", status);
	if (strcmp(status, "stopped") != 0)
		signal_init(&s, SIGKILL);
	if (!wait_gone(&s))
		die("the container's processes did not end after SIGKILL");
	json_array_foreach(dirs, i, d) {
		const char *dir = json_string_value(d);

		for (int tries = 0; dir; tries++) {
			if (rmdir(dir) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY || tries == KILL_WAIT_MS)
				die("rmdir(%s): %s", dir, strerror(errno));
			usleep(1000);
		}
	}
	remove_state_dir(s.dir);
	// end::delete[]
	// END SOLUTION
	// CHALLENGE BEGIN
	/* poststop: once the container is deleted, before delete returns;
	 * one that fails is only a warning (config.md). */
	if (json_array_size(json_object_get(s.json, "nslab.poststop"))) {
		char *text = hook_state(id, "stopped", 0,
					json_string_value(json_object_get(s.json, "bundle")),
					json_object_get(s.json, "annotations"));
		char why[PATH_MAX + 128];

		if (!run_hooks(json_object_get(s.json, "nslab.poststop"), "poststop", text,
			       why, sizeof(why)))
			warnx("delete %s: %s", id, why);
		free(text);
	}
	// CHALLENGE END
	json_decref(s.json);
	return 0;
}

/* ==== exec: one more process in a running container ==================== */

/* Join the init's namespaces (the ones that differ from ours: setns(2)
 * of a pidfd takes them all at once) and its cgroup, then fork: the
 * child is in the container's PID namespace, runs the process, and with
 * --detach is left to whoever waits for it (conmon). This is lesson 08's
 * join, with the process from a file. */
static int cmd_exec(const char *id, const char *process_file, const char *pid_file,
		    const char *console, bool detach)
{
	static struct process p;
	struct state s;
	json_error_t jerr;
	json_t *pj, *cgroups, *d;
	char pidtext[24], name[PATH_MAX], *slash;
	int pidfd, flags = 0, sock = -1, report[2], piddir = AT_FDCWD;
	char e;
	ssize_t n;
	const char *pid_name = pid_file;
	pid_t pid;
	size_t i;

	if (!process_file)
		die("--process FILE is needed (a process object of config.json)");
	if (!(pj = json_load_file(process_file, JSON_REJECT_DUPLICATES, &jerr)))
		die("--process %s:%d:%d: %s", process_file, jerr.line, jerr.column, jerr.text);
	parse_process(pj, &p, "process");
	load_state(id, &s);
	if (strcmp(status_of(&s), "running") != 0)
		die("the container is %s, not running", status_of(&s));
	if (p.terminal && !console)
		die("process.terminal is true: exec needs --console-socket");
	if (console)
		sock = connect_socket(console);
	/* The pid file's directory, held open: after setns it is no longer
	 * at its path. */
	if (pid_file && (slash = strrchr(pid_file, '/'))) {
		snprintf(name, sizeof(name), "%.*s", (int)(slash - pid_file), pid_file);
		if ((piddir = open(*name ? name : "/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
			die("--pid-file %s: %s", pid_file, strerror(errno));
		pid_name = slash + 1;
	}
	cgroups = json_object_get(s.json, "nslab.cgroups");
	snprintf(pidtext, sizeof(pidtext), "%d", (int)getpid());
	json_array_foreach(cgroups, i, d) {
		cg_write(json_string_value(d), "cgroup.procs", pidtext);
	}
	for (size_t t = 0; t < NS_TYPES; t++) {
		struct ns_id theirs, ours;

		if (ns_id_of(s.pid, ns_types[t].proc, &theirs) &&
		    ns_id_of(0, ns_types[t].proc, &ours) &&
		    (theirs.dev != ours.dev || theirs.ino != ours.ino))
			flags |= ns_types[t].flag;
	}
	if ((pidfd = pidfd_open(s.pid, 0)) == -1 || !init_alive(&s) ||
	    setns(pidfd, flags) == -1)
		die("setns(the init %d's namespaces): %s", (int)s.pid, strerror(errno));
	close(pidfd);
	if (pipe2(report, O_CLOEXEC) == -1)
		die("pipe2: %s", strerror(errno));
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The join put us at the namespace's root; now take its view. */
		close(report[0]);
		if (sock != -1)
			take_console(sock, &p);
		else if (detach && setsid() == -1)
			die("setsid: %s", strerror(errno));
		/* An error before the exec goes to stderr; the exec itself
		 * closes report[1], which tells the parent it happened. */
		report_fd = report[1];
		d = json_object_get(s.json, "nslab.seccomp");
		exec_process(&p, json_is_object(d) ? d : NULL);
	}
	close(report[1]);
	/* EOF: the exec closed the pipe; a byte: the child failed before. */
	while ((n = read(report[0], &e, 1)) == -1 && errno == EINTR)
		;
	if (n == 1) {
		waitpid(pid, NULL, 0);
		die("the process did not start (its error is above)");
	}
	if (pid_file) {
		snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
		write_atomic(piddir, pid_name, pidtext);
	}
	if (detach)
		return 0;
	return wait_child(pid);
}

/* ==== the command line: runc's ========================================= */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: oci [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n"
		"An OCI runtime (the runtime specification's operations, runc's\n"
		"command line), built from the lab's container.\n\n"
		"  create [--bundle DIR] [--pid-file FILE] [--console-socket PATH] ID\n"
		"                 make the container of DIR/config.json; its init waits\n"
		"  start ID       let the created container's init run its program\n"
		"  state ID       the state as JSON: status created, running or stopped\n"
		"  kill [--all] ID [SIGNAL]   a signal (TERM, KILL, 9...; default TERM)\n"
		"  delete [--force] ID        remove a stopped container (--force: any)\n"
		"  exec --process FILE [--pid-file FILE] [--console-socket PATH]\n"
		"       [--detach] ID         run one more process in the container\n\n"
		"Global options:\n"
		"  --root DIR     the state directories (default " DEFAULT_ROOT ")\n"
		"  --log FILE     errors also go to FILE;  --log-format text|json\n"
		"  --debug        an account of what is done, on stderr\n"
		"  --systemd-cgroup  refused: cgroupsPath is a cgroupfs path here\n"
		"  -h, --help     this help\n\n"
		"As root. Exit status: 0, or 1 with one line on stderr naming the\n"
		"operation and the ID; exec without --detach: the process's.\n");
}

/* getopt_long over one command's options, in runc's spelling. */
struct cmd_opts {
	const char *bundle, *pid_file, *console, *process, *cwd;
	bool force, all, detach, tty;
};

static int parse_cmd_opts(int argc, char *argv[], struct cmd_opts *o)
{
	static const struct option options[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"pid-file", required_argument, NULL, 'p'},
		{"console-socket", required_argument, NULL, 'c'},
		{"process", required_argument, NULL, 'P'},
		{"force", no_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		{"detach", no_argument, NULL, 'd'},
		{"tty", no_argument, NULL, 't'},
		{"no-pivot", no_argument, NULL, 'N'},
		{"no-new-keyring", no_argument, NULL, 'K'},
		{NULL, 0, NULL, 0}};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+b:fadt", options, NULL)) != -1) {
		switch (opt) {
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console = optarg; break;
		case 'P': o->process = optarg; break;
		case 'f': o->force = true; break;
		case 'a': o->all = true; break;
		case 'd': o->detach = true; break;
		case 't': o->tty = true; break;
		case 'N':
			die("--no-pivot is not supported: the container always "
			    "pivot_roots");
		case 'K':
			die("--no-new-keyring is not supported by this runtime");
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	return optind;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"root", required_argument, NULL, 'r'},
		{"log", required_argument, NULL, 'l'},
		{"log-format", required_argument, NULL, 'F'},
		{"systemd-cgroup", no_argument, NULL, 's'},
		{"debug", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct cmd_opts o = {0};
	const char *cmd, *log_path = NULL;
	int opt, n;

	nslab_init("oci", "11");
	nslab_quiet = true;
	while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (opt) {
		case 'r': state_root = optarg; break;
		case 'l': log_path = optarg; break;
		case 'F':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				die("--log-format %s: json or text", optarg);
			log_json = !strcmp(optarg, "json");
			break;
		case 's':
			die("--systemd-cgroup is not supported: this runtime makes "
			    "cgroups itself (cgroupfs); set cgroup_manager = "
			    "\"cgroupfs\" in containers.conf");
		case 'D': nslab_quiet = false; break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (log_path && !(log_file = fopen(log_path, "ae")))
		die("--log %s: %s", log_path, strerror(errno));
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = op = argv[optind];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("oci version 0.1 (nslab lesson 11)\nspec: " OCI_VERSION "\n");
		return 0;
	}
	argc -= optind;
	argv += optind;
	n = parse_cmd_opts(argc, argv, &o);
	if (n >= argc) {
		fprintf(stderr, "oci: %s: no container ID given\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	cid = argv[n];
	check_id(cid);
	if (!strcmp(cmd, "create") || !strcmp(cmd, "run")) {
		if (n + 1 != argc)
			die("unexpected argument %s", argv[n + 1]);
		if (!strcmp(cmd, "run"))
			die("run is create then start: call them (this runtime "
			    "has no run)");
		return cmd_create(cid, o.bundle, o.pid_file, o.console);
	}
	if (!strcmp(cmd, "kill")) {
		if (n + 2 < argc)
			die("unexpected argument %s", argv[n + 2]);
		return cmd_kill(cid, n + 1 < argc ? argv[n + 1] : NULL, o.all);
	}
	if (n + 1 != argc && strcmp(cmd, "exec") != 0)
		die("unexpected argument %s", argv[n + 1]);
	if (!strcmp(cmd, "start"))
		return cmd_start(cid);
	if (!strcmp(cmd, "state"))
		return cmd_state(cid);
	if (!strcmp(cmd, "delete"))
		return cmd_delete(cid, o.force);
	if (!strcmp(cmd, "exec")) {
		if (n + 1 != argc)
			die("exec takes its process from --process FILE, not from "
			    "arguments");
		return cmd_exec(cid, o.process, o.pid_file, o.console, o.detach);
	}
	die("unknown command (create, start, state, kill, delete, exec)");
}
