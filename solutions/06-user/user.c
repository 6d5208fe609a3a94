/* user.c - run a command as root of a user namespace, as an ordinary user (lesson 06)
 *
 * The idea: user and group ids are not global either. A child created
 * with CLONE_NEWUSER lives in a new user namespace whose ids are
 * translated to the parent's through two tables, /proc/PID/uid_map and
 * /proc/PID/gid_map, that a process in the parent namespace writes once,
 * while the child waits. Map 0 inside to your own uid outside and the
 * command is root in there, with every capability over that namespace,
 * yet to the host (the Bastion) it is still you. This is the one
 * namespace an ordinary user may create; rootless containers start here.
 *
 * Usage: user [-q] [-u IN:OUT:COUNT]... [-g IN:OUT:COUNT]... [--] [COMMAND [ARG...]]
 *
 * Sample session (as an ordinary user, uid 1000):
 *   $ ./user -- id -u
 *   user: parent pid 4242 in user:[4026531837], uid 1000 gid 1000, may map only its own ids
 *   user: child  pid 4243 in user:[4026532614], a new user namespace
 *   user: /proc/4243/uid_map <- "0 1000 1"
 *   user: /proc/4243/setgroups <- "deny"
 *   user: /proc/4243/gid_map <- "0 1000 1"
 *   user: child  pid 4243 after the maps: uid 0 gid 0, setgroups deny, supplementary groups 0
 *   user: child  pid 4243 before exec: supplementary groups 0
 *   0
 *   user: command exited with status 0
 *
 * Read: user_namespaces(7), capabilities(7), setgroups(2), clone(2),
 *       newuidmap(1).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "idmap.h"
#include "nslab.h"

/* The kernel takes a map in one write of less than a page, at most 340
 * lines (5 before Linux 4.15): user_namespaces(7). */
#define MAP_MAX 4096
/* uid 4294967295 is (uid_t)-1, "no id": a range may not reach it. */
#define ID_LAST 4294967294ULL

/* One of the two tables: "INSIDE OUTSIDE COUNT\n" lines. */
struct id_map {
	char text[MAP_MAX];
	size_t len;
	int lines;
	unsigned long first_inside; /* the id the command runs as */
};

/* What the child finds in its copy of the parent's memory. */
struct child_args {
	char **argv;     /* the command to run */
	uid_t uid;       /* the ids it runs as, inside */
	gid_t gid;
	bool privileged; /* the parent holds CAP_SETUID and CAP_SETGID */
	pid_t parent;    /* the launcher, to detect its death */
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [-u IN:OUT:COUNT]... [-g IN:OUT:COUNT]... [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new user namespace. By default uid 0 and gid 0 inside\n"
		"are your own uid and gid outside, so COMMAND is root in there (with\n"
		"every capability, over that namespace only). Without COMMAND: a shell\n"
		"when stdin is a terminal, otherwise a short demonstration.\n"
		"\n"
		"  -u IN:OUT:COUNT  map uids IN.. to OUT.. (COUNT of them); repeat for\n"
		"                   more lines; COMMAND runs as the first IN\n"
		"  -g IN:OUT:COUNT  the same for gids\n"
		// CHALLENGE BEGIN
		"  -d DEPTH         COMMAND runs DEPTH user namespaces deep (1 to 32),\n"
		"                   each inner one mapping the ids it is given\n"
		// CHALLENGE END
		"  -q               do not print the account of what happens on stderr\n"
		"  -h               show this help\n"
		"\n"
		"No root needed: make lesson06 ARGS='-- id'. An ordinary user may map only\n"
		"their own uid and gid, with COUNT 1; wider maps need CAP_SETUID and\n"
		"CAP_SETGID outside (root), or newuidmap(1) and /etc/subuid.\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

/* Add the line "INSIDE OUTSIDE COUNT" that option -opt spelt
 * "INSIDE:OUTSIDE:COUNT"; malformed input is a usage error. */
static void add_map_line(struct id_map *map, int opt, const char *spec)
{
	unsigned long long in, out, count;
	int end = 0, n;

	if (sscanf(spec, "%llu:%llu:%llu%n", &in, &out, &count, &end) != 3 ||
	    spec[end] || strspn(spec, "0123456789:") != strlen(spec))
		errx(EXIT_USAGE, "-%c %s: expected INSIDE:OUTSIDE:COUNT, three "
		     "decimal numbers such as 0:1000:1", opt, spec);
	if (count == 0 || in > ID_LAST || out > ID_LAST || count > ID_LAST ||
	    in + count - 1 > ID_LAST || out + count - 1 > ID_LAST)
		errx(EXIT_USAGE, "-%c %s: COUNT must be at least 1, and the range "
		     "may not go past id %llu", opt, spec, ID_LAST);
	if (map->lines++ == 0)
		map->first_inside = (unsigned long)in;
	n = snprintf(map->text + map->len, sizeof(map->text) - map->len,
		     "%llu %llu %llu\n", in, out, count);
	if (n < 0 || (size_t)n >= sizeof(map->text) - map->len)
		errx(EXIT_USAGE, "-%c: the map must fit in %d bytes", opt, MAP_MAX);
	map->len += n;
}

/* Steps 2 and 3 are what lesson 07's container does with its ids
 * (idmap.h): the build takes these three functions, between the EXPORT
 * lines, from this lesson's solution, so 07 works before this one is done.
 */
// EXPORT BEGIN idmap

/* Write `text` to /proc/PID/NAME, as the kernel wants it. */
void idmap_write(pid_t pid, const char *name, const char *text)
{
	char path[64], shown[160];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	// BEGIN SOLUTION 2
	// STEP: the maps, in their order, each in one write
	// TODO: Give the waiting child its maps: afterwards its account line
	//       says uid 0 gid 0 (or the ids of -u/-g) instead of 65534, and
	//       "setgroups deny" for an ordinary user. Here: put `text` into
	//       `path` so that the kernel takes it (it parses a map once,
	//       whole); on failure idmap_failed(pid, name, text) explains
	//       errno. Read user_namespaces(7), "Defining user and group ID
	//       mappings: writing to uid_map and gid_map".
	// HINT: The kernel checks a whole map at once (no overlaps), so it
	//       takes one write(2) at offset 0: a map in pieces is refused
	//       (EINVAL), and so is a later write (EPERM). In idmap_set(): uid_map;
	//       "deny" to setgroups, needed before gid_map by a writer without
	//       CAP_SETGID; gid_map. Root leaves setgroups allowed (step 3).
	// HINT: open(2) O_WRONLY | O_CLOEXEC, one write(2) of strlen(text)
	//       bytes (a short count fails too), close(2). In idmap_set(),
	//       idmap_write() three times, or twice when `privileged`.
	// HINT: int fd = open(____, O_WRONLY | O_CLOEXEC);
	//       if (fd == -1 || write(fd, ____, ____) != (ssize_t)____)
	//               idmap_failed(____);
	//       and in idmap_set(): uid_map, then (if ____) setgroups, then gid_map.
	// WRONG two_writes: "write(fd, text, len) != (ssize_t)len" -> "write(fd, text, len - 1) != (ssize_t)len - 1 || write(fd, text + len - 1, 1) != 1" : single write
	// STUB: (void)path;
	// STUB: todo({n}, "write the child's maps");
	// tag::write[]
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, len) != (ssize_t)len)
		idmap_failed(pid, name, text);
	close(fd);
	// end::write[]
	// END SOLUTION
	say("%s <- \"%s\"", path, idmap_show(text, shown, sizeof(shown)));
}

/* Step 2, part 2: the child's maps, in the order the kernel needs. True
 * when setgroups stays allowed (this process may map any ids). */
bool idmap_set(pid_t pid, const char *uid_map, const char *gid_map)
{
	bool privileged = idmap_privileged();

	// BEGIN SOLUTION 2
	// TODO: Part 2, here: write the child's uid_map, setgroups and
	//       gid_map files, with idmap_write(), in the order the
	//       kernel needs, setgroups only where it must be "deny".
	// WRONG gid_map_first: "\"setgroups\", \"deny\"" -> "\"gid_map\", gid_map" : before gid_map
	// STUB: (void)pid;
	// STUB: (void)uid_map;
	// STUB: (void)gid_map;
	// STUB: (void)privileged;
	// STUB: todo({n}, "write the child's maps");
	// tag::maps[]
	idmap_write(pid, "uid_map", uid_map);
	if (!privileged)
		idmap_write(pid, "setgroups", "deny");
	idmap_write(pid, "gid_map", gid_map);
	// end::maps[]
	// END SOLUTION
	return privileged;
}

/* Step 3, in the child, before it execs: `allowed` when the parent left
 * setgroups allowed (idmap_set() said so). */
void idmap_drop_groups(bool allowed)
{
	// BEGIN SOLUTION 3
	// STEP: the command keeps none of the host's groups
	// TODO: Keep none of the supplementary groups this process was born
	//       with (the launcher's; root's as root) where the parent left
	//       setgroups allowed (`allowed`); where it was denied they
	//       stay, and must. Afterwards, as root, the account says "before
	//       exec: supplementary groups 0". Read setgroups(2), and
	//       user_namespaces(7), "The /proc/[pid]/setgroups file".
	// HINT: Unmapped groups read as 65534 inside, yet on the host's files
	//       they still count. Where setgroups is allowed, the child may
	//       set its group list: to nothing.
	// HINT: setgroups(2) with a size of 0 empties the list; where
	//       setgroups is denied it fails with EPERM: call it only when
	//       `allowed`.
	// HINT: if (____ && setgroups(____, ____) == -1)
	//               err(EXIT_FAILURE, "____");
	// WRONG always_drop: "if (allowed && setgroups" -> "if ((allowed || true) && setgroups" : only when setgroups is allowed
	// STUB: (void)allowed;
	// STUB: todo({n}, "drop the supplementary groups where that is allowed");
	// tag::groups[]
	if (allowed && setgroups(0, NULL) == -1)
		err(EXIT_FAILURE, "setgroups(0, NULL)");
	// end::groups[]
	// END SOLUTION
}
// EXPORT END

// CHALLENGE BEGIN
/* The challenge, -d DEPTH: a user namespace may make another inside it
 * (up to 32 levels, user_namespaces(7), "Nested namespaces"), each with
 * a parent and maps to it: an id inside is translated level by level up
 * to the host. A process that made a user namespace with unshare(2) is
 * in it, and may write its own maps there, one line that maps its own
 * id, with setgroups denied first: the rules of an unprivileged user. */
static int depth = 1;

static void write_self(const char *name, const char *text)
{
	char path[64];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, text, len) != (ssize_t)len)
		err(EXIT_FAILURE, "write(%s, \"%.*s\")", path, (int)len - 1, text);
	close(fd);
}

static void nest_user_namespaces(void)
{
	char map[64], label[96];

	for (int level = 2; level <= depth; level++) {
		uid_t uid = geteuid();
		gid_t gid = getegid();

		if (unshare(CLONE_NEWUSER) == -1)
			err(EXIT_FAILURE, "unshare(CLONE_NEWUSER) at depth %d%s", level,
			    errno == EUSERS ? ": the kernel nests at most 32 levels" : "");
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
		write_self("uid_map", map);
		write_self("setgroups", "deny");
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
		write_self("gid_map", map);
		say("depth %d: %s, uid %u gid %u", level,
		    ns_label(0, "user", label, sizeof(label)), (unsigned)uid,
		    (unsigned)gid);
	}
}

// CHALLENGE END
/* Everything here runs inside the new user namespace, once the maps are
 * written (ns_spawn held us until ns_release). */
static int child_main(void *arg)
{
	struct child_args *a = arg;

	/* What the maps made of the ids we were born with: until they
	 * existed, every id read as the overflow id, 65534. */
	say("child  pid %d after the maps: uid %u gid %u, setgroups %s, "
	    "supplementary groups %d", (int)getpid(), (unsigned)getuid(),
	    (unsigned)getgid(), idmap_setgroups(0), getgroups(0, NULL));
	idmap_drop_groups(a->privileged);
	say("child  pid %d before exec: supplementary groups %d", (int)getpid(),
	    getgroups(0, NULL));
	// BEGIN SOLUTION 4
	// STEP: the command runs as the ids asked, inside
	// TODO: Make this process a->gid and a->uid inside (real, effective,
	//       saved): `id` run by the command prints them, also when root
	//       maps 0 to 100000 (a map changes how ids read, not who we are:
	//       the child still holds root's own uid) and when it starts as
	//       uid 0 inside and must become another. Read setresuid(2), and
	//       capabilities(7), "Effect of user ID changes on capabilities".
	// HINT: Two calls, and their order matters: once no uid of the process
	//       is 0 of this namespace, the kernel clears its capabilities,
	//       CAP_SETGID with them.
	// HINT: setresgid(2) and setresuid(2), each with the same id three
	//       times; EINVAL means the id is not in the map. The gid first.
	// HINT: if (setres____(a->____, a->____, a->____) == -1)
	//               err(EXIT_FAILURE, "setres____(%u)", (unsigned)a->____);
	//       twice, gid then uid.
	// WRONG uid_first: "if (setresgid(a->gid, a->gid, a->gid) == -1)" -> "if (setresuid(a->uid, a->uid, a->uid) == -1 || setresgid(a->gid, a->gid, a->gid) == -1)" : gid before the uid
	// STUB: todo({n}, "take the ids the command runs as");
	// tag::become[]
	if (setresgid(a->gid, a->gid, a->gid) == -1)
		err(EXIT_FAILURE, "setresgid(%u)", (unsigned)a->gid);
	if (setresuid(a->uid, a->uid, a->uid) == -1)
		err(EXIT_FAILURE, "setresuid(%u)", (unsigned)a->uid);
	// end::become[]
	// END SOLUTION
	// CHALLENGE BEGIN
	nest_user_namespaces();
	// CHALLENGE END

	/* A change of credentials clears the parent-death signal (prctl(2)):
	 * set it again, and catch a launcher that died meanwhile. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		_exit(EXIT_FAILURE);
	exec_command(a->argv);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	/* What root in a user namespace may and may not do. */
	static char *demo[] = {"/bin/sh", "-c",
		"echo \"inside: $(id), $(readlink /proc/self/ns/user)\"\n"
		"echo \"uid_map: $(cat /proc/self/uid_map)\"; grep CapEff /proc/self/status\n"
		"unshare --uts sh -c 'hostname inner && echo \"may:     make a UTS "
		"namespace and call it $(hostname)\"'\nhostname \"$(hostname)\" 2>/dev/null "
		"|| echo \"may not: sethostname in the host's UTS namespace\"\n"
		"echo \"owner of /: uid $(stat -c %u /) in here\"\n", NULL};
	struct id_map uid_map = {.len = 0}, gid_map = {.len = 0};
	struct child_args args;
	struct ns_child child;
	char label[96], spec[32];
	int opt, code;
	pid_t pid = -1;

	nslab_init("user", "06");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hqu:g:d:")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hqu:g:")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 'd': {
			char *end;
			long d;

			errno = 0;
			d = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || d < 1 || d > 32)
				errx(EXIT_USAGE, "-d \"%s\": give a depth from 1 to 32",
				     optarg);
			depth = (int)d;
			break;
		}
		// CHALLENGE END
		case 'u':
		case 'g':
			add_map_line(opt == 'u' ? &uid_map : &gid_map, opt, optarg);
			break;
		case 'q':
			nslab_quiet = true;
			break;
		default: /* -h, or bad usage */
			usage(opt == 'h' ? stdout : stderr, argv[0]);
			return opt == 'h' ? EXIT_SUCCESS : EXIT_USAGE;
		}
	}
	/* The default: root inside is whoever runs this, outside. The
	 * kernel checks the effective ids. */
	snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)geteuid());
	if (uid_map.lines == 0)
		add_map_line(&uid_map, 'u', spec);
	snprintf(spec, sizeof(spec), "0:%u:1", (unsigned)getegid());
	if (gid_map.lines == 0)
		add_map_line(&gid_map, 'g', spec);
	/* Privileged (root): may map any ids; leaves setgroups allowed. */
	args = (struct child_args){
		.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : demo,
		.uid = (uid_t)uid_map.first_inside,
		.gid = (gid_t)gid_map.first_inside,
		.privileged = idmap_privileged(),
		.parent = getpid(),
	};
	/* We write to /proc/PID with the pid clone() returns. */
	ensure_proc_is_ours();
	say("parent pid %d in %s, uid %u gid %u, %s", (int)getpid(),
	    ns_label(0, "user", label, sizeof(label)), (unsigned)geteuid(),
	    (unsigned)getegid(), args.privileged ? "may map any ids" :
	    "may map only its own ids");

	// BEGIN SOLUTION 1
	// STEP: the child runs in a new user namespace
	// TODO: Start child_main(&args) with ns_spawn() (the pattern you wrote
	//       in lesson 01, now in lessons/lib) in a user namespace of its
	//       own; keep its pid in `pid`. Afterwards the account line below
	//       says "a new user namespace" next to an inode that differs from
	//       the parent's, without sudo. Read clone(2), "The flags mask", and
	//       lessons/lib/nslab.h, ns_spawn().
	// HINT: ns_spawn() is lesson 01's clone, stack and sync pipe in one
	//       call; you choose the namespaces the child gets new. It waits
	//       until ns_release(): the parent writes its maps first.
	// HINT: ns_spawn(&child, FLAGS, fn, arg) returns the child's pid, or
	//       -1 with errno set (clone_failed("clone", flags) explains
	//       it); the flag for a user namespace is in clone(2).
	// HINT: pid = ns_spawn(&____, ____, child_main, &args);
	//       if (pid == -1) clone_failed("clone", ____);
	// WRONG no_newuser: "CLONE_NEWUSER, child_main" -> "0, child_main" : CLONE_NEWUSER
	// STUB: (void)child_main;
	// STUB: todo({n}, "start the child in a new user namespace");
	// tag::spawn[]
	pid = ns_spawn(&child, CLONE_NEWUSER, child_main, &args);
	if (pid == -1)
		clone_failed("clone", CLONE_NEWUSER);
	// end::spawn[]
	// END SOLUTION
	say("child  pid %d in %s", (int)pid,
	    ns_account(pid, 0, "user", label, sizeof(label)));

	/* The maps, written from here (the parent user namespace) while the
	 * child waits. If a write fails we exit, and the child with us. */
	idmap_set(pid, uid_map.text, gid_map.text);
	ns_release(&child);

	code = wait_child(pid);
	say("command exited with status %d", code);
	return code;
}
