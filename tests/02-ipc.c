/* Lesson 02: ipc runs a command in a new IPC namespace. The command sees
 * none of the System V and POSIX IPC objects of the host, what it creates
 * is invisible to the host and dies with the namespace, and every other
 * namespace stays shared.
 *
 * As root each test runs in a throwaway IPC namespace of its own
 * (harness_setup), so the "host" objects the tests create live there and
 * vanish with the test even if it crashes. /proc/sysvipc/{msg,shm,sem}
 * list the objects of the reader's IPC namespace, keys in decimal. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void setup(void)
{
	harness_setup();
	/* Every test here lets the lesson create an IPC namespace. */
	require_unshare(CLONE_NEWIPC, "CLONE_NEWIPC");
}

TestSuite(ipc, .init = setup, .fini = harness_teardown, .timeout = TEST_TIMEOUT);

static const struct lesson ipc = {MANIFEST_02};

LESSON_BASICS(ipc, &ipc, 3)

/* The command that lists, inside, what the three /proc/sysvipc files show. */
#define LIST_SYSVIPC "cat", "/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"

/* ---- small helpers (candidates for the harness) ---------------------- */

/* One object as /proc/sysvipc lists it. */
struct sysv_obj {
	const char *type; /* "msg", "shm" or "sem" */
	long key, id;
};

#define MAX_OBJS 32

/* Parse the listings of /proc/sysvipc/{msg,shm,sem} in `text` (as cat
 * prints them, each under its header) up to a probe report, if any.
 * Returns the number of objects; *headers counts the headers seen. */
static int parse_sysvipc(const char *text, struct sysv_obj objs[MAX_OBJS],
			 int *headers)
{
	char *copy = strdup(text), *line, *save = NULL;
	const char *type = NULL;
	int n = 0, h = 0;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		long key, id;

		if (strcmp(line, "nslab-probe report") == 0)
			break;
		if (strstr(line, " msqid "))
			type = "msg", h++;
		else if (strstr(line, " shmid "))
			type = "shm", h++;
		else if (strstr(line, " semid "))
			type = "sem", h++;
		else if (type && n < MAX_OBJS &&
			 sscanf(line, "%ld %ld", &key, &id) == 2)
			objs[n++] = (struct sysv_obj){type, key, id};
	}
	free(copy);
	if (headers)
		*headers = h;
	return n;
}

/* What this test's own IPC namespace lists. */
static int my_sysvipc(struct sysv_obj objs[MAX_OBJS])
{
	static const char *const files[] = {"/proc/sysvipc/msg", "/proc/sysvipc/shm",
					    "/proc/sysvipc/sem"};
	char text[16384];
	size_t len = 0;

	for (int i = 0; i < 3; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		ssize_t n;

		cr_assert_neq(fd, -1, "open(%s): %s", files[i], strerror(errno));
		while (len < sizeof(text) - 1 &&
		       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
			len += n;
		close(fd);
	}
	text[len] = '\0';
	return parse_sysvipc(text, objs, NULL);
}

static bool listed(const struct sysv_obj *objs, int n, const char *type, long key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(objs[i].type, type) == 0 && objs[i].key == key)
			return true;
	return false;
}

/* Objects the test creates in its own ("host") IPC namespace. */
struct host_objs {
	key_t key[3]; /* msg, shm, sem */
	int id[3];
	char mq[32];  /* a POSIX queue name, "" if none */
};

static const char *const types[3] = {"msg", "shm", "sem"};

/* A random key that is not IPC_PRIVATE (0) and fits the decimal column. */
static key_t random_key(void)
{
	return (key_t)random_between(1, 0x7ffffffe);
}

static int make_one(int kind, key_t key)
{
	int flags = IPC_CREAT | IPC_EXCL | 0600;

	switch (kind) {
	case 0:
		return msgget(key, flags);
	case 1:
		return shmget(key, 4096, flags);
	default:
		return semget(key, 1, flags);
	}
}

/* A message queue, a segment and a semaphore set with random keys (or
 * `key` for all three when it is not 0), and, when `with_mq`, a POSIX
 * queue with a random name. The harness's baseline is taken again. */
static void make_host_objects(struct host_objs *h, key_t key, bool with_mq)
{
	memset(h, 0, sizeof(*h));
	cr_assert(harness_isolated(), "this test creates IPC objects and must "
		  "run in a throwaway namespace (as root)");
	for (int i = 0; i < 3; i++) {
		do {
			h->key[i] = key ? key : random_key();
			h->id[i] = make_one(i, h->key[i]);
		} while (h->id[i] == -1 && errno == EEXIST && !key);
		cr_assert_neq(h->id[i], -1, "the test cannot create its own %s "
			      "object with key %d: %s", types[i], (int)h->key[i],
			      strerror(errno));
	}
	if (with_mq) {
		struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
		mqd_t mq;

		random_name(h->mq, sizeof(h->mq), "/nslab-test-", 24);
		mq = mq_open(h->mq, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
		cr_assert_neq(mq, (mqd_t)-1, "the test cannot create the POSIX queue "
			      "%s: %s", h->mq, strerror(errno));
		mq_close(mq);
	}
	harness_rebase();
}

/* The test's objects are all still there, under the same ids. */
static void check_host_objects(const struct host_objs *h, const char *when)
{
	struct sysv_obj objs[MAX_OBJS];
	int n = my_sysvipc(objs);

	for (int i = 0; i < 3; i++)
		cr_assert(listed(objs, n, types[i], h->key[i]),
			  "%s, the host's %s object with key %d is gone: the lesson "
			  "removed an object of the host, so it shared the host's "
			  "IPC namespace", when, types[i], (int)h->key[i]);
	if (h->mq[0]) {
		mqd_t mq = mq_open(h->mq, O_RDONLY | O_CLOEXEC);

		cr_assert_neq(mq, (mqd_t)-1, "%s, the host's POSIX queue %s is gone",
			      when, h->mq);
		mq_close(mq);
	}
}

static void remove_host_objects(const struct host_objs *h)
{
	msgctl(h->id[0], IPC_RMID, NULL);
	shmctl(h->id[1], IPC_RMID, NULL);
	semctl(h->id[2], 0, IPC_RMID);
	if (h->mq[0])
		mq_unlink(h->mq);
}

/* errno of mq_open(name) in the IPC namespace of `pid`, 0 if it opened:
 * what `nsenter --ipc --target PID` would see. */
static int mq_errno_in(pid_t pid, const char *name)
{
	char path[64];
	pid_t child;
	int status;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	child = fork();
	cr_assert_neq(child, -1, "fork: %s", strerror(errno));
	if (child == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		mqd_t mq;

		if (fd == -1 || setns(fd, CLONE_NEWIPC) == -1)
			_exit(255);
		mq = mq_open(name, O_RDONLY | O_CLOEXEC);
		_exit(mq == (mqd_t)-1 ? errno : 0);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255,
		  "cannot enter the IPC namespace of pid %d", (int)pid);
	return WEXITSTATUS(status);
}

/* Is any process still in the namespace `id` (an ipc namespace)? */
static pid_t process_in_ns(struct nsid id)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	cr_assert_not_null(d, "opendir(/proc): %s", strerror(errno));
	while (!found && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		struct nsid theirs;

		if (pid > 0 && ns_of(pid, "ipc", &theirs) && ns_same(theirs, id))
			found = pid;
	}
	closedir(d);
	return found;
}

/* Skip, saying why, when util-linux's ipcmk is missing. */
static void require_ipcmk(void)
{
	if (system("command -v ipcmk >/dev/null 2>&1") != 0)
		cr_skip_test("ipcmk(1) is missing: install util-linux");
}

/* ---- the tests ------------------------------------------------------- */

Test(ipc, host_objects_are_invisible_inside)
{
	struct sysv_obj objs[MAX_OBJS];
	struct host_objs h;
	struct run r;
	pid_t child;
	int n, headers, e;

	make_host_objects(&h, 0, true);
	/* The test's own view has them, or the check below proves nothing. */
	n = my_sysvipc(objs);
	for (int i = 0; i < 3; i++)
		cr_assert(listed(objs, n, types[i], h.key[i]));

	run_hold(&r, ARGS("-q", "--", "sh", "-c", "cat /proc/sysvipc/msg "
			   "/proc/sysvipc/shm /proc/sysvipc/sem && exec \"$0\" --hold",
			   probe_bin()), NULL);
	n = parse_sysvipc(r.out, objs, &headers);
	cr_assert_eq(headers, 3, "the command could not list /proc/sysvipc "
		     "inside; %s", why(&r));
	for (int i = 0; i < 3; i++)
		cr_assert(!listed(objs, n, types[i], h.key[i]),
			  "inside, /proc/sysvipc/%s lists the host's key %d: the "
			  "command shares the host's IPC namespace (CLONE_NEWIPC)",
			  types[i], (int)h.key[i]);
	cr_assert_eq(n, 0, "a new IPC namespace starts empty, but inside "
		     "/proc/sysvipc/%s lists key %ld", objs[0].type, objs[0].key);

	/* POSIX queues have no /proc list: look up the name from inside. */
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	e = mq_errno_in(child, h.mq);
	cr_assert_eq(e, ENOENT, "inside, mq_open(%s) of the host's POSIX queue "
		     "gave \"%s\", not ENOENT: the command shares the host's IPC "
		     "namespace", h.mq, e ? strerror(e) : "success");

	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	check_host_objects(&h, "after the run");
	remove_host_objects(&h);
	run_free(&r);
}

Test(ipc, objects_made_inside_stay_inside_and_die_with_it)
{
	struct run_opts o = {.keep_stdin = true};
	struct sysv_obj inside[MAX_OBJS], mine[MAX_OBJS], again[MAX_OBJS];
	struct nsid theirs;
	struct run r, q;
	pid_t child, left;
	int n, nmine, nagain, headers;
	bool seen[3] = {false, false, false};

	require_ipcmk();
	run_start(&r, ARGS("-q", "--", "sh", "-c", "ipcmk -Q >/dev/null && "
			   "ipcmk -M 4096 >/dev/null && ipcmk -S 1 >/dev/null && "
			   "cat /proc/sysvipc/msg /proc/sysvipc/shm /proc/sysvipc/sem "
			   "&& exec \"$0\" --hold", probe_bin()), &o);
	cr_assert(run_wait_output(&r, "ready", RUN_TIMEOUT),
		  "the command (ipcmk, then a probe) never got ready; %s", why(&r));
	n = parse_sysvipc(r.out, inside, &headers);
	cr_assert_eq(headers, 3, "the command could not list /proc/sysvipc "
		     "inside; %s", why(&r));
	for (int i = 0; i < n; i++)
		for (int t = 0; t < 3; t++)
			seen[t] |= strcmp(inside[i].type, types[t]) == 0;
	cr_assert(seen[0] && seen[1] && seen[2], "ipcmk created a queue, a "
		  "segment and a semaphore set inside, but /proc/sysvipc there "
		  "does not list all three");

	/* While they exist inside, the host does not see them. */
	nmine = my_sysvipc(mine);
	for (int i = 0; i < n; i++) {
		cr_assert(!listed(mine, nmine, inside[i].type, inside[i].key),
			  "the %s object with key %ld, made inside, is listed by the "
			  "host's /proc/sysvipc/%s: the command shares the host's IPC "
			  "namespace (CLONE_NEWIPC)", inside[i].type, inside[i].key,
			  inside[i].type);
		if (strcmp(inside[i].type, "msg") == 0)
			cr_assert(msgget((key_t)inside[i].key, 0) == -1 && errno == ENOENT,
				  "msgget(%ld) on the host finds the queue made inside",
				  inside[i].key);
	}
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	cr_assert(ns_of(child, "ipc", &theirs));
	cr_assert(!ns_same(theirs, my_ns("ipc")), "the command is in the host's "
		  "IPC namespace: clone() needs CLONE_NEWIPC");

	/* run_finish also checks that the host's tables are as before. */
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));

	/* No process holds that namespace any more, so the kernel has
	 * destroyed it with its objects; a new one starts empty. */
	left = process_in_ns(theirs);
	cr_assert_eq(left, 0, "pid %d is still in the lesson's IPC namespace "
		     "after it exited", (int)left);
	run_lesson(&q, ARGS("-q", "--", LIST_SYSVIPC));
	cr_assert_eq(q.code, 0, "ipc -- cat /proc/sysvipc/... exited with %d; %s",
		     q.code, why(&q));
	nagain = parse_sysvipc(q.out, again, &headers);
	cr_assert_eq(headers, 3);
	cr_assert_eq(nagain, 0, "a second run's new IPC namespace lists key %ld "
		     "in /proc/sysvipc/%s; a new namespace starts empty",
		     again[0].key, again[0].type);
	nmine = my_sysvipc(mine);
	cr_assert_eq(nmine, 0, "after the runs, the host lists key %ld in "
		     "/proc/sysvipc/%s", mine[0].key, mine[0].type);
	run_free(&r);
	run_free(&q);
}

/* Parse "  /proc/sysvipc/TYPE: key K ..." lines of the demonstration. */
static int parse_demo(const char *out, struct sysv_obj objs[3])
{
	int n = 0;

	for (int t = 0; t < 3; t++) {
		char needle[40];
		const char *p;

		snprintf(needle, sizeof(needle), "/proc/sysvipc/%s: key ", types[t]);
		if ((p = strstr(out, needle)) &&
		    sscanf(p + strlen(needle), "%ld", &objs[n].key) == 1) {
			objs[n].type = types[t];
			objs[n++].id = 0;
		}
	}
	return n;
}

Test(ipc, demonstration_creates_objects_inside_only)
{
	struct sysv_obj demo[3], mine[MAX_OBJS];
	char mq[64] = "";
	unsigned long long ino = 0;
	struct host_objs h;
	const char *p;
	struct run r;
	int n, nmine;

	/* No command, stdin not a terminal: the demonstration. */
	run_lesson(&r, ARGS("-q"));
	cr_assert_eq(r.code, 0, "the demonstration (ipc with no command, stdin "
		     "not a terminal) exited with %d; %s", r.code, why(&r));
	n = parse_demo(r.out, demo);
	cr_assert_eq(n, 3, "the demonstration should list a queue, a segment and "
		     "a semaphore set in /proc/sysvipc inside; it printed \"%.300s\"",
		     r.out);
	cr_assert(strstr(r.out, "holds 1 message(s)"), "the demonstration's "
		  "queue should hold the one message sent: msgsnd(); it printed "
		  "\"%.300s\"", r.out);
	cr_assert(strstr(r.out, "semaphore 0 is 1"), "the demonstration's "
		  "semaphore should be 1 after semop(+1)");
	p = strstr(r.out, "holds \"hello from ipc:[");
	cr_assert(p && sscanf(p, "holds \"hello from ipc:[%llu]", &ino) == 1,
		  "the demonstration's segment should hold the text copied in "
		  "after shmat(); it printed \"%.300s\"", r.out);
	cr_assert_neq(ino, (unsigned long long)my_ns("ipc").ino,
		      "the demonstration ran in the host's IPC namespace");
	p = strstr(r.out, "mq_open(/");
	cr_assert_not_null(p, "the demonstration should create a POSIX queue: "
			   "mq_open(); %s", why(&r));
	sscanf(p, "mq_open(%63[^)])", mq);
	cr_assert(strstr(p, "POSIX queue holds 1 message(s)"),
		  "the POSIX queue should hold the one message sent: mq_send()");

	/* None of it reached the host (run_lesson compared the tables). */
	nmine = my_sysvipc(mine);
	for (int i = 0; i < n; i++)
		cr_assert(!listed(mine, nmine, demo[i].type, demo[i].key),
			  "the demonstration's %s object (key %ld) is on the host",
			  demo[i].type, demo[i].key);
	cr_assert(mq_open(mq, O_RDONLY | O_CLOEXEC) == (mqd_t)-1 && errno == ENOENT,
		  "the demonstration's POSIX queue %s is on the host", mq);
	run_free(&r);

	/* The same key, taken on the host, is still free inside: the
	 * demonstration creates with IPC_EXCL and must succeed again. */
	make_host_objects(&h, (key_t)demo[0].key, false);
	run_lesson(&r, ARGS("-q"));
	cr_assert_eq(r.code, 0, "with the host holding key %ld, the demonstration "
		     "failed (%d): a new IPC namespace has its own keys; %s",
		     demo[0].key, r.code, why(&r));
	check_host_objects(&h, "after the demonstration");
	remove_host_objects(&h);
	run_free(&r);
}

Test(ipc, sigkill_mid_run_leaves_host_ipc_as_it_was)
{
	struct sysv_obj mine[MAX_OBJS];
	struct host_objs h;
	struct run r;
	int nmine;

	require_ipcmk();
	make_host_objects(&h, 0, true);
	run_hold(&r, ARGS("-q", "--", "sh", "-c", "ipcmk -Q >/dev/null && "
			   "ipcmk -M 4096 >/dev/null && exec \"$0\" --hold",
			   probe_bin()), NULL);
	/* run_kill also fails the test if any process, or any change to the
	 * host's IPC tables, survives. */
	run_kill(&r, SIGKILL);
	cr_assert_eq(r.code, 128 + SIGKILL);
	check_host_objects(&h, "after SIGKILL");
	nmine = my_sysvipc(mine);
	cr_assert_eq(nmine, 3, "after SIGKILL the host lists %d SysV objects, it "
		     "had its own 3", nmine);
	remove_host_objects(&h);
	run_free(&r);
}

