/* Lesson 02: ipc runs a command in a new IPC namespace. The command sees
 * none of the System V and POSIX IPC objects of the host, what it creates
 * is invisible to the host and dies with the namespace, and every other
 * namespace stays shared.
 *
 * Steps (solutions/02-ipc/ipc.c): 1 the child in a new IPC namespace
 * (ns_spawn), 2 the demonstration's System V objects, 3 its POSIX queue.
 * A test named sN_ checks step N and passes as soon as steps 1 to N are
 * right; all_ tests check the whole program. The step 1 tests run a command, which
 * never reaches steps 2 and 3, and the step 2 tests accept the stop at
 * TODO(3).
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

LESSON_BASICS(ipc, &ipc, s1)

/* The demonstration's key and POSIX queue (solutions/02-ipc/ipc.c). */
#define DEMO_KEY 0x6e736c62L
#define DEMO_MQ "/nslab-demo"

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

/* Is any process of the process group `pgid` (the lesson's) still in the
 * IPC namespace `id`? Other tests run at the same time and make IPC
 * namespaces too, and the kernel reuses a destroyed namespace's inode
 * number, so a process elsewhere may show the same one. */
static pid_t process_in_ns(struct ns_id id, pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	cr_assert_not_null(d, "opendir(/proc): %s", strerror(errno));
	while (!found && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		struct ns_id theirs;

		if (pid > 0 && getpgid(pid) == pgid && ns_of(pid, "ipc", &theirs) &&
		    ns_same(theirs, id))
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

Test(ipc, s1_host_objects_are_invisible_inside)
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

Test(ipc, s1_objects_made_inside_stay_inside_and_die_with_it)
{
	struct run_opts o = {.keep_stdin = true};
	struct sysv_obj inside[MAX_OBJS], mine[MAX_OBJS], again[MAX_OBJS];
	struct ns_id theirs;
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
	left = process_in_ns(theirs, r.pid);
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

/* What went wrong in the demonstration, in words that name the fix: the
 * lesson's own error line (err(3) names the call and the errno text). */
static const char *demo_failure(const struct run *r)
{
	static const struct symptom fixes[] = {
		{"msgsnd", "Invalid argument", "msgsnd() refused the message: a "
		 "System V message needs an mtype greater than 0, and its size "
		 "counts only the text after it (msgsnd(2))"},
		{"get(0x", "No such file", "msgget/shmget/semget found no object: "
		 "IPC_CREAT in the flags creates it when the key is free"},
		{"get(0x", "File exists", "IPC_EXCL found the key taken: the child "
		 "is not in an IPC namespace of its own (step 1, CLONE_NEWIPC)"},
		{"mq_open", "No such file", "mq_open() creates the queue only with "
		 "O_CREAT in its flags (then it takes a mode and a struct mq_attr)"},
		{"mq_send", "Bad file descriptor", "mq_send() needs a queue opened "
		 "for writing: O_WRONLY (or O_RDWR) in mq_open()'s flags"},
		{"mq_open", "Invalid argument", "mq_open(): the name is a slash and a "
		 "name with no other slash, and mq_maxmsg and mq_msgsize stay within "
		 "/proc/sys/fs/mqueue/msg_max and msgsize_max"},
		{"refusing", "", "the child is still in the host's IPC namespace: "
		 "ns_spawn() needs CLONE_NEWIPC in its flags (step 1)"},
	};

	return why_known(r, fixes, sizeof(fixes) / sizeof(fixes[0]));
}

/* The demonstration's own view: the objects it lists from /proc/sysvipc
 * inside ("  /proc/sysvipc/TYPE: key K (0x...) id I, size S"). */
static int parse_demo(const char *out, struct sysv_obj objs[3], long size[3])
{
	int n = 0;

	for (int t = 0; t < 3; t++) {
		char needle[40];
		const char *p;

		snprintf(needle, sizeof(needle), "/proc/sysvipc/%s: key ", types[t]);
		if ((p = strstr(out, needle)) &&
		    sscanf(p + strlen(needle), "%ld (0x%*x) id %ld, size %ld",
			   &objs[n].key, &objs[n].id, &size[n]) == 3)
			objs[n++].type = types[t];
	}
	return n;
}

/* Run the demonstration (no command, stdin not a terminal). It passes
 * step 2 when it exits 0, or stops at TODO(3) while step 3 is not done. */
static void run_demo(struct run *r, bool need_step3)
{
	run_lesson(r, ARGS("-q"));
	if (strstr(r->err, "TODO(1)") || strstr(r->err, "TODO(2)"))
		cr_assert_fail("the demonstration stopped before its objects: %s",
			       why(r));
	if (!need_step3 && r->code == 1 && strstr(r->err, "TODO(3)"))
		return;
	cr_assert_eq(r->code, 0, "the demonstration (ipc with no command, stdin "
		     "not a terminal) exited with %d: %s", r->code, demo_failure(r));
}

Test(ipc, s1_child_runs_in_a_new_ipc_namespace)
{
	struct run r;

	run_lesson(&r, ARGS("--", probe_bin()));
	check_account_new(&r, "ipc", NULL, "ns_spawn() needs CLONE_NEWIPC in its flags");
	cr_assert_eq(r.code, 0, "ipc -- probe exited with %d; %s", r.code, why(&r));
	run_free(&r);
}

Test(ipc, s2_demonstration_makes_sysv_objects_inside_only)
{
	struct sysv_obj demo[3], mine[MAX_OBJS];
	unsigned long long ino = 0;
	long size[3] = {0, 0, 0};
	char text[64] = "";
	const char *p;
	struct run r;
	int n, nmine, value = -1;

	run_demo(&r, false);
	p = strstr(r.out, "holding \"");
	cr_assert(p && sscanf(p, "holding \"%63[^\"]\"", text) == 1 &&
		  sscanf(text, "hello from ipc:[%llu]", &ino) == 1,
		  "the demonstration's segment should hold the text copied into it "
		  "after shmat(); it printed \"%.300s\"", r.out);
	cr_assert_neq(ino, (unsigned long long)my_ns("ipc").ino,
		      "the demonstration ran in the host's IPC namespace");
	p = strstr(r.out, "semaphore set ");
	cr_assert(p && sscanf(p, "semaphore set %*d at %d", &value) == 1 && value == 1,
		  "the demonstration's semaphore should be 1: raise it with "
		  "semop() +1 on semaphore 0; it printed \"%.300s\"", r.out);
	n = parse_demo(r.out, demo, size);
	cr_assert_eq(n, 3, "the demonstration should list a queue, a segment and "
		     "a semaphore set in /proc/sysvipc inside; it printed \"%.400s\"",
		     r.out);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(demo[i].key, DEMO_KEY, "/proc/sysvipc/%s lists the "
			     "demonstration's object under key %ld: create it under "
			     "DEMO_KEY (%ld), not IPC_PRIVATE (0), so that the "
			     "processes of the namespace can find it by its key",
			     demo[i].type, demo[i].key, DEMO_KEY);
	cr_assert_eq(size[0], (long)strlen(text) + 1, "the queue holds %ld bytes, "
		     "the message's text \"%s\" and its NUL are %zu: the size given "
		     "to msgsnd() counts only the text, not the long mtype before it",
		     size[0], text, strlen(text) + 1);
	cr_assert_eq(size[1], 4096, "the segment is %ld bytes, DEMO_SHM_SIZE is "
		     "4096", size[1]);
	cr_assert_eq(size[2], 1, "the semaphore set has %ld semaphores, asked 1",
		     size[2]);

	/* None of it reached the host (run_lesson compared the tables too). */
	nmine = my_sysvipc(mine);
	for (int i = 0; i < n; i++)
		cr_assert(!listed(mine, nmine, demo[i].type, demo[i].key),
			  "the demonstration's %s object (key %ld) is on the host",
			  demo[i].type, demo[i].key);
	run_free(&r);
}

Test(ipc, s2_key_taken_on_the_host_is_free_inside)
{
	struct host_objs h;
	struct run r;

	/* The same key, taken on the host: a new IPC namespace has its own
	 * keys, so the demonstration's IPC_EXCL must succeed all the same. */
	make_host_objects(&h, (key_t)DEMO_KEY, false);
	run_demo(&r, false);
	check_host_objects(&h, "after the demonstration");
	remove_host_objects(&h);
	run_free(&r);
}

Test(ipc, s3_demonstration_makes_a_posix_queue_inside_only)
{
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
	struct run r;
	mqd_t mq;

	/* A queue of the same name on the host: the demonstration's O_EXCL
	 * must not see it, and its message must not land in it. */
	cr_assert(harness_isolated(), "this test creates a POSIX queue and must "
		  "run in a throwaway namespace (as root)");
	mq = mq_open(DEMO_MQ, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0600, &attr);
	cr_assert_neq(mq, (mqd_t)-1, "the test cannot create its own %s: %s",
		      DEMO_MQ, strerror(errno));
	run_demo(&r, true);
	cr_assert(strstr(r.out, "POSIX queue " DEMO_MQ " holds 1 message(s)"),
		  "the POSIX queue should hold the one message sent with "
		  "mq_send(); it printed \"%.400s\"", r.out);
	cr_assert_eq(mq_getattr(mq, &attr), 0, "mq_getattr: %s", strerror(errno));
	cr_assert_eq(attr.mq_curmsgs, 0, "the host's queue %s received the "
		     "demonstration's message: mq_open() must run in the child, in "
		     "its new IPC namespace", DEMO_MQ);
	mq_close(mq);
	mq_unlink(DEMO_MQ);
	run_free(&r);
}

Test(ipc, s1_sigkill_mid_run_leaves_host_ipc_as_it_was)
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


/* ---- the challenge: -l, what the command left, before it goes -------- */

/* How many lines of `out` start with `prefix`. */
static int lines_starting(const char *out, const char *prefix)
{
	int n = 0;

	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		n += strncmp(l, prefix, strlen(prefix)) == 0;
	return n;
}

Test(ipc, challenge_leftovers_are_listed_then_die_with_the_namespace)
{
	int want[3] = {random_between(0, 3), random_between(0, 3), random_between(1, 3)};
	int code = random_between(1, 99);
	char script[512], key[64];
	struct run r;
	size_t len = 0;

	require_ipcmk();
	for (int i = 0; i < want[0]; i++)
		len += snprintf(script + len, sizeof(script) - len, "ipcmk -Q >/dev/null && ");
	for (int i = 0; i < want[1]; i++)
		len += snprintf(script + len, sizeof(script) - len, "ipcmk -M 4096 >/dev/null && ");
	for (int i = 0; i < want[2]; i++)
		len += snprintf(script + len, sizeof(script) - len, "ipcmk -S 1 >/dev/null && ");
	snprintf(script + len, sizeof(script) - len, "exit %d", code);
	run_lesson(&r, ARGS("-q", "-l", "--", "sh", "-c", script));
	cr_assert(strstr(r.out, "left in ipc:["), "ipc -l: after the command, a line "
		  "\"left in ipc:[INO] when the command ended:\", then the objects; %s",
		  why(&r));
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "  /proc/sysvipc/%s: key", types[i]);
		cr_assert_eq(lines_starting(r.out, key), want[i], "ipc -l: the command left "
			     "%d object(s) in /proc/sysvipc/%s, the list shows %d: list "
			     "them while the namespace still has a process, after the "
			     "command ended; it printed \"%s\"", want[i], types[i],
			     lines_starting(r.out, key), r.out);
	}
	/* Then they went with the namespace: run_lesson checked the host's
	 * tables, and the status is the command's. */
	cr_assert_eq(r.code, code, "ipc -l: exit status %d, the command's was %d; %s",
		     r.code, code, why(&r));
	run_free(&r);
}
