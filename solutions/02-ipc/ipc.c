/* ipc.c - run a command with IPC objects of its own (lesson 02)
 *
 * The idea: System V message queues, shared memory segments and semaphore
 * sets are found by a key, a plain number that every process on the
 * machine can name, and POSIX message queues by a name like "/jobs". Those
 * names are global, so two containers that both use key 42 would meet in
 * the same queue, and an object nobody removes lives until reboot. An IPC
 * namespace gives each its own set of keys, names and objects: a child
 * created with CLONE_NEWIPC starts with none, sees none of the host's (the
 * Bastion's), and everything it creates dies with it.
 *
 * The clone pattern of lesson 01 is ns_spawn() in lessons/lib.
 *
 * Usage: ipc [-q] [--] [COMMAND [ARG...]]
 *
 * Sample session (the account lines are cut short here):
 *   $ sudo ./ipc -- sh -c 'ipcmk -Q; ipcs -q'
 *   ipc: parent pid 4242 in ipc:[4026531839], which holds 0 message ...
 *   ipc: child  pid 4243 in ipc:[4026532252], a new IPC namespace
 *   Message queue id: 0 ...
 *   ipc: command exited with status 0; ipc:[4026531839] still holds 0 ...
 *
 * Read: clone(2), ipc_namespaces(7), namespaces(7), sysvipc(7),
 * msgget(2), shmget(2), semget(2), mq_overview(7).
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "nslab.h"

/* The demonstration's names. The same key can name a queue, a segment and
 * a semaphore set at once: each kind has its own table of keys. */
#define DEMO_KEY ((key_t)0x6e736c62) /* "nslb" in ASCII */
#define DEMO_MQ "/nslab-demo"        /* POSIX names start with a slash */
#define DEMO_TEXT_MAX 64
#define DEMO_SHM_SIZE 4096

/* The identifiers the kernel gave the demonstration's SysV objects. */
struct demo_ids {
	int msq, shm, sem;
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new IPC namespace: it sees none of the host's\n"
		"System V and POSIX IPC objects, and what it creates dies with it.\n"
		"Without COMMAND: a shell when stdin is a terminal, otherwise a\n"
		"demonstration that creates one object of each kind inside.\n"
		"\n"
		// CHALLENGE BEGIN
		"  -l           when COMMAND ends, list the System V objects it left\n"
		"               in the namespace, before the namespace goes\n"
		// CHALLENGE END
		"  -q           do not print the account of what happens on stderr\n"
		"  -h           show this help\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson02 ARGS='-- ipcs'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

/* The objects /proc/sysvipc/TYPE (msg, shm or sem) lists. The kernel
 * prints it for the IPC namespace of the reader, one object a line under
 * a header, keys in decimal (ipcs(1) shows hex). With `print`, shows each
 * one's key, id and size (msg: bytes queued; shm: bytes; sem: semaphores).
 * Returns how many (-1: unreadable). */
static int sysvipc(const char *type, bool print)
{
	char path[32], line[512];
	unsigned long size;
	int key, id, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", type);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %d %*o %lu", &key, &id, &size) != 3)
			continue; /* the header */
		if (print)
			printf("  %s: key %d (0x%08x) id %d, size %lu\n", path, key,
			       (unsigned)key, id, size);
		n++;
	}
	fclose(f);
	if (print && n == 0)
		printf("  %s: (none)\n", path);
	return n;
}

/* "1 message queue, 0 shared memory segments and 2 semaphore sets". */
static const char *describe_sysvipc(char *buf, size_t size)
{
	int q = sysvipc("msg", false), m = sysvipc("shm", false),
	    s = sysvipc("sem", false);

	snprintf(buf, size, "%d message queue%s, %d shared memory segment%s and "
		 "%d semaphore set%s", q, q == 1 ? "" : "s", m, m == 1 ? "" : "s",
		 s, s == 1 ? "" : "s");
	return buf;
}

/* One System V object of each kind under DEMO_KEY, made in this
 * namespace. Nobody removes them: the namespace's end will. */
static void make_sysv_objects(struct demo_ids *ids, const char *text)
{
	// BEGIN SOLUTION 2
	// STEP: System V objects the host cannot see
	// TODO: Under the key DEMO_KEY, make a message queue holding one
	//       message with `text`, a shared memory segment of DEMO_SHM_SIZE
	//       bytes holding `text`, and a set of one semaphore of value 1,
	//       ids in *ids. Each creation fails if the key is taken in this
	//       namespace: success proves it was free here, whatever the host
	//       holds. Afterwards /proc/sysvipc inside lists the three, the
	//       host none. Name the failed call in each error. Read sysvipc(7),
	//       msgget(2), msgsnd(2), shmget(2), shmop(2), semget(2), semop(2).
	// HINT: Three kinds, three tables, one key. Each object is made by
	//       its *get() call with flags that create, then used: a message
	//       sent, text copied into the attached segment (it stays after
	//       detaching), a semaphore raised.
	// HINT: msgget/shmget/semget(DEMO_KEY, ..., IPC_CREAT | IPC_EXCL |
	//       0600); msgsnd(2): a struct { long mtype; char mtext[]; }, an
	//       mtype > 0, a size that counts mtext only; shmat(2), shmdt(2);
	//       semop(2) with a struct sembuf of +1 on semaphore 0.
	// HINT: ids->msq = msgget(____, ____); msgsnd(ids->msq, &msg, ____, 0);
	//       ids->shm = shmget(____, DEMO_SHM_SIZE, ____); mem = shmat(...);
	//       memcpy(mem, text, ____); shmdt(mem);
	//       ids->sem = semget(____, 1, ____); semop(ids->sem, &up, 1);
	// WRONG mtype_zero: "{.mtype = 1}" -> "{.mtype = 0}" : mtype greater than 0
	// WRONG size_with_mtype: "&msg, len, 0)" -> "&msg, sizeof(msg), 0)" : counts only the text
	// WRONG ipc_private: "msgget(DEMO_KEY," -> "msgget(IPC_PRIVATE," : not IPC_PRIVATE
	// STUB: (void)ids;
	// STUB: (void)text;
	// STUB: todo({n}, "create the System V objects of the demonstration");
	// tag::sysv[]
	struct {
		long mtype;
		char mtext[DEMO_TEXT_MAX];
	} msg = {.mtype = 1};
	struct sembuf up = {.sem_num = 0, .sem_op = +1};
	size_t len = strlen(text) + 1;
	char *mem;

	snprintf(msg.mtext, sizeof(msg.mtext), "%s", text);
	ids->msq = msgget(DEMO_KEY, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->msq == -1)
		err(EXIT_FAILURE, "msgget(0x%08x)", (unsigned)DEMO_KEY);
	if (msgsnd(ids->msq, &msg, len, 0) == -1)
		err(EXIT_FAILURE, "msgsnd(%d)", ids->msq);

	ids->shm = shmget(DEMO_KEY, DEMO_SHM_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->shm == -1)
		err(EXIT_FAILURE, "shmget(0x%08x)", (unsigned)DEMO_KEY);
	if ((mem = shmat(ids->shm, NULL, 0)) == (void *)-1)
		err(EXIT_FAILURE, "shmat(%d)", ids->shm);
	memcpy(mem, text, len);
	if (shmdt(mem) == -1)
		err(EXIT_FAILURE, "shmdt(%d)", ids->shm);

	ids->sem = semget(DEMO_KEY, 1, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->sem == -1)
		err(EXIT_FAILURE, "semget(0x%08x)", (unsigned)DEMO_KEY);
	if (semop(ids->sem, &up, 1) == -1)
		err(EXIT_FAILURE, "semop(%d, +1)", ids->sem);
	// end::sysv[]
	// END SOLUTION
}

/* The POSIX message queue DEMO_MQ, made in this namespace, holding
 * `text`; its descriptor. */
static mqd_t make_posix_queue(const char *text)
{
	mqd_t mq = (mqd_t)-1;

	// BEGIN SOLUTION 3
	// STEP: a POSIX queue the host cannot see
	// TODO: Create the POSIX message queue DEMO_MQ with room for 4
	//       messages of DEMO_TEXT_MAX bytes, failing if the name is taken
	//       in this namespace, send it `text` with its NUL, and return its
	//       descriptor (the command must not inherit it). Afterwards the
	//       queue holds 1 message, and the host cannot open the name.
	//       Read mq_overview(7), mq_open(3), mq_send(3).
	// HINT: A POSIX queue is opened by name like a file: flags say to
	//       create it, that an existing one is an error, and how it is
	//       opened; a creator also gives a mode and the queue's size.
	// HINT: mq_open(3) with O_CREAT | O_EXCL, an access mode that lets
	//       you send, O_CLOEXEC, mode 0600 and a struct mq_attr
	//       (mq_maxmsg, mq_msgsize); mq_send(3) with a priority of 0.
	// HINT: struct mq_attr attr = {.mq_maxmsg = ____, .mq_msgsize = ____};
	//       mq = mq_open(DEMO_MQ, O_CREAT | O_EXCL | ____ | O_CLOEXEC, 0600, ____);
	//       if (mq_send(mq, text, ____, 0) == -1) err(...);
	// WRONG mq_rdonly: "O_CREAT | O_EXCL | O_WRONLY" -> "O_CREAT | O_EXCL | O_RDONLY" : O_WRONLY
	// WRONG mq_no_creat: "O_CREAT | O_EXCL | O_WRONLY" -> "O_EXCL | O_WRONLY" : O_CREAT
	// STUB: (void)text;
	// STUB: todo({n}, "create the POSIX queue of the demonstration");
	// tag::mqueue[]
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = DEMO_TEXT_MAX};

	mq = mq_open(DEMO_MQ, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600,
		     &attr);
	if (mq == (mqd_t)-1)
		err(EXIT_FAILURE, "mq_open(%s)", DEMO_MQ);
	if (mq_send(mq, text, strlen(text) + 1, 0) == -1)
		err(EXIT_FAILURE, "mq_send(%s)", DEMO_MQ);
	// end::mqueue[]
	// END SOLUTION
	return mq;
}

/* Without COMMAND and terminal: one object of each kind, under a fixed
 * key and name, and what this namespace lists. Nothing is removed: the
 * kernel destroys all of it when the namespace ends. */
static int demonstrate(void)
{
	struct demo_ids ids = {-1, -1, -1};
	char label[40], text[DEMO_TEXT_MAX];
	struct mq_attr attr;
	const char *mem;

	ns_label(0, "ipc", label, sizeof(label));
	snprintf(text, sizeof(text), "hello from %s", label);
	printf("inside %s, a new IPC namespace:\n", label);

	make_sysv_objects(&ids, text);
	if ((mem = shmat(ids.shm, NULL, SHM_RDONLY)) == (void *)-1)
		err(EXIT_FAILURE, "shmat(%d, SHM_RDONLY)", ids.shm);
	printf("  key 0x%08x: queue %d, segment %d holding \"%.*s\", semaphore "
	       "set %d at %d\n", (unsigned)DEMO_KEY, ids.msq, ids.shm,
	       DEMO_TEXT_MAX, mem, ids.sem, semctl(ids.sem, 0, GETVAL));
	shmdt(mem);
	/* /proc/sysvipc shows the reader's namespace: only what we made. */
	printf("what /proc/sysvipc lists here (keys in decimal):\n");
	sysvipc("msg", true);
	sysvipc("shm", true);
	sysvipc("sem", true);

	if (mq_getattr(make_posix_queue(text), &attr) == -1)
		err(EXIT_FAILURE, "mq_getattr(%s)", DEMO_MQ);
	/* No /proc file lists POSIX queues, and an mqueue mount lists those
	 * of the namespace that mounted it: /dev/mqueue shows the host's. */
	printf("  POSIX queue %s holds %ld message(s)\n", DEMO_MQ,
	       (long)attr.mq_curmsgs);
	printf("nothing is removed: all of it dies with the namespace\n");
	return EXIT_SUCCESS;
}

// CHALLENGE BEGIN
/* The challenge, -l: an IPC object outlives the process that made it,
 * not its namespace (ipc_namespaces(7)). While a member is left (this
 * child, which now runs the command as its own child and waits), the
 * objects are there to list; when it ends, the kernel destroys them. */
static bool list_leftovers;

static int run_and_list(char **cmd)
{
	char label[40];
	pid_t command = fork();
	int code;

	if (command == -1)
		err(EXIT_FAILURE, "fork");
	if (command == 0)
		exec_command(cmd);
	code = wait_child(command);
	printf("left in %s when the command ended:\n",
	       ns_label(0, "ipc", label, sizeof(label)));
	sysvipc("msg", true);
	sysvipc("shm", true);
	sysvipc("sem", true);
	return code;
}

// CHALLENGE END
/* Everything here runs inside the new IPC namespace. `arg` is the
 * command, or NULL for the demonstration. */
static int child_main(void *arg)
{
	char **cmd = arg;

	/* A guard, not a step: without a namespace of its own, what the
	 * child creates would land in the host's tables and outlive it.
	 * (ns_spawn made sure our parent is still the launcher.) */
	ensure_own_ns(getppid(), "ipc", cmd ? "run the command" :
		      "create the demonstration's objects");
	/* exit(), not return: the child of clone() ends with the bare exit
	 * system call, which would not flush stdio. */
	if (!cmd)
		exit(demonstrate());
	// CHALLENGE BEGIN
	if (list_leftovers)
		exit(run_and_list(cmd));
	// CHALLENGE END
	exec_command(cmd);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	struct ns_child child = {.pid = -1, .go = -1};
	char label[96], objects[160];
	char **cmd;
	int opt, code;

	nslab_init("ipc", "02");
	// CHALLENGE BEGIN
	while ((opt = getopt(argc, argv, "+hql")) != -1) {
	// SKELETON: while ((opt = getopt(argc, argv, "+hq")) != -1) {
	// CHALLENGE END
		switch (opt) {
		// CHALLENGE BEGIN
		case 'l':
			list_leftovers = true;
			break;
		// CHALLENGE END
		case 'q':
			nslab_quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	cmd = optind < argc ? &argv[optind] : isatty(0) ? shell : NULL;

	say("parent pid %d in %s, which holds %s", (int)getpid(),
	    ns_label(0, "ipc", label, sizeof(label)),
	    describe_sysvipc(objects, sizeof(objects)));

	// BEGIN SOLUTION 1
	// STEP: the child runs in a new IPC namespace
	// TODO: Start child_main(cmd) in a child with an IPC namespace of its
	//       own, held until ns_release(), in `child`. Afterwards the
	//       account below says "a new IPC namespace" next to an inode
	//       that differs from the parent's. Lesson 01's pattern is
	//       ns_spawn() now (lessons/lib/nslab.h); on -1,
	//       clone_failed("clone", flags) says why. Read clone(2), "The
	//       flags mask", and ipc_namespaces(7).
	// HINT: The clone pattern takes the namespaces to make new as flags,
	//       one CLONE_NEW* per type. Which one gives a process its own
	//       System V and POSIX IPC objects?
	// HINT: ns_spawn(&child, flags, fn, arg) (lessons/lib/nslab.h) adds
	//       SIGCHLD and the stack itself; the flag is CLONE_NEWIPC
	//       (clone(2)). On failure child.pid is -1, errno set.
	// HINT: if (ns_spawn(&child, ____, child_main, ____) == -1) (the arg is cmd)
	//               clone_failed("clone", ____);
	// WRONG no_newipc: "CLONE_NEWIPC, child_main" -> "0, child_main" : CLONE_NEWIPC
	// STUB: (void)child_main;
	// STUB: (void)cmd;
	// STUB: todo({n}, "start the child in a new IPC namespace");
	// tag::spawn[]
	if (ns_spawn(&child, CLONE_NEWIPC, child_main, cmd) == -1)
		clone_failed("clone", CLONE_NEWIPC);
	// end::spawn[]
	// END SOLUTION
	say("child  pid %d in %s", (int)child.pid,
	    ns_account(child.pid, 0, "ipc", label, sizeof(label)));

	ns_release(&child);
	code = wait_child(child.pid);
	/* The child was the last process in its namespace: the kernel has
	 * destroyed the namespace and every object in it. */
	say("command exited with status %d; %s still holds %s", code,
	    ns_label(0, "ipc", label, sizeof(label)),
	    describe_sysvipc(objects, sizeof(objects)));
	return code;
}
