/* ipc.c - run a command with IPC objects of its own (lesson 02)
 *
 * The idea: System V message queues, shared memory segments and semaphore
 * sets are found by a key, a plain number that every process on the
 * machine can name, and POSIX message queues by a name like "/jobs". Those
 * names are global, so two containers that both use key 42 would meet in
 * the same queue, and an object nobody removes lives until reboot. An IPC
 * namespace gives each its own set of keys, names and objects: a child
 * created by clone(2) with CLONE_NEWIPC starts with none, sees none of the
 * host's (the Bastion's), and everything it creates dies with it.
 *
 * Usage: ipc [-q] [--] [COMMAND [ARG...]]
 *
 * Sample session (the account lines are wrapped here):
 *   $ sudo ./ipc -- sh -c 'ipcmk -Q; ipcs -q'
 *   ipc: parent pid 4242 in ipc:[4026531839], which holds 0 message
 *        queues, 0 shared memory segments and 0 semaphore sets
 *   ipc: child  pid 4243 in ipc:[4026532252], a new IPC namespace
 *   Message queue id: 0
 *
 *   ------ Message Queues --------
 *   key        msqid      owner      perms      used-bytes   messages
 *   0xc42977a1 0          root       644        0            0
 *
 *   ipc: command exited with status 0; ipc:[4026531839] still holds 0
 *        message queues, 0 shared memory segments and 0 semaphore sets
 *   $ ipcs -q        # on the host: no such queue, before or after
 *
 * Read: clone(2), ipc_namespaces(7), namespaces(7), sysvipc(7),
 * msgget(2), shmget(2), semget(2), mq_overview(7).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define STACK_SIZE (1024 * 1024)
/* The demonstration's names. The same key can name a queue, a segment and
 * a semaphore set at once: each kind has its own table of keys. */
#define DEMO_KEY ((key_t)0x6e736c62) /* "nslb" in ASCII */
#define DEMO_MQ "/nslab-demo"        /* POSIX names start with a slash */
#define DEMO_TEXT_MAX 64
#define DEMO_SHM_SIZE 4096

/* What the parent hands to the child through clone(). */
struct child_args {
	char **argv;      /* the command to run; NULL: the demonstration */
	int sync_pipe[2]; /* the child waits for EOF on [0] */
	pid_t parent;     /* the launcher, to detect its death */
};

/* The identifiers the kernel gave the demonstration's SysV objects. */
struct demo_ids {
	int msq, shm, sem;
};

static bool quiet;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-q] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND in a new IPC namespace: it sees none of the host's\n"
		"System V queues, shared memory segments, semaphore sets and\n"
		"POSIX message queues, and what it creates dies with it. Without\n"
		"COMMAND: a shell when stdin is a terminal, otherwise a short\n"
		"demonstration that creates one object of each kind inside.\n"
		"\n"
		"  -q           do not print the account of what happens on stderr\n"
		"  -h           show this help\n"
		"\n"
		"Creating a namespace needs root: sudo make lesson02 ARGS='-- ipcs'\n"
		"Exit status: COMMAND's, or 128+N if a signal N killed it.\n",
		prog);
}

/* One line of the account of what happens, on stderr, unless -q. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("ipc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Stops the program at a step the skeleton leaves to the student. The
 * solution never calls it. */
static __attribute__((noreturn, unused)) void todo(int n, const char *what)
{
	errx(EXIT_FAILURE, "TODO(%d) not done: %s", n, what);
}

/* "ipc:[4026531839]", the target of /proc/PID/ns/ipc, as ls -l shows it. */
static const char *ns_label(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	n = readlink(path, buf, size - 1);
	buf[n == -1 ? 0 : n] = '\0';
	return buf;
}

/* How many objects /proc/sysvipc/TYPE lists (TYPE: msg, shm or sem).
 * The kernel prints these files for the IPC namespace of the process that
 * reads them, one object a line under a header. -1 if unreadable. */
static int count_sysvipc(const char *type)
{
	char path[64], line[512];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", type);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* "1 message queue, 0 shared memory segments and 2 semaphore sets". */
static const char *describe_sysvipc(char *buf, size_t size)
{
	int q = count_sysvipc("msg"), m = count_sysvipc("shm"),
	    s = count_sysvipc("sem");

	snprintf(buf, size,
		 "%d message queue%s, %d shared memory segment%s and "
		 "%d semaphore set%s",
		 q, q == 1 ? "" : "s", m, m == 1 ? "" : "s", s, s == 1 ? "" : "s");
	return buf;
}

/* Print the key and id of each object /proc/sysvipc/TYPE lists here. The
 * file gives keys in decimal; ipcs(1) shows the same keys in hex. */
static void show_sysvipc(const char *type)
{
	char path[64], line[512];
	bool header = true, none = true;
	int key, id;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", type);
	if (!(f = fopen(path, "re")))
		err(EXIT_FAILURE, "fopen(%s)", path);
	while (fgets(line, sizeof(line), f)) {
		if (header) {
			header = false;
			continue;
		}
		if (sscanf(line, "%d %d", &key, &id) != 2)
			continue;
		printf("  %s: key %d (0x%08x) id %d\n", path, key,
		       (unsigned)key, id);
		none = false;
	}
	fclose(f);
	if (none)
		printf("  %s: (none)\n", path);
}

/* Refuse to run anything unless this process really is in an IPC
 * namespace of its own: without CLONE_NEWIPC the command, and the
 * demonstration, would create objects in the host's tables, where they
 * outlive the program. */
static void ensure_own_ipc(pid_t parent)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)parent);
	if (stat("/proc/self/ns/ipc", &mine) == -1 || stat(path, &theirs) == -1)
		err(EXIT_FAILURE, "stat(/proc/.../ns/ipc)");
	if (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino)
		errx(EXIT_FAILURE, "refusing to run: this process still shares "
		     "the host's IPC namespace (did clone() get CLONE_NEWIPC?)");
}

/* Create one System V object of each kind under DEMO_KEY: a message
 * queue holding `text`, a segment holding `text`, a set of one semaphore
 * raised to 1. Nobody removes them: the namespace's end will. */
static void create_sysv_objects(struct demo_ids *ids, const char *text)
{
	// BEGIN SOLUTION 1
	// STEP: TODO(1)
	// TODO: Create the three System V objects under the key DEMO_KEY,
	//       each with IPC_CREAT | IPC_EXCL | 0600 (IPC_EXCL: fail if
	//       the key is taken in this namespace), and keep their ids in
	//       ids->msq, ids->shm and ids->sem (sysvipc(7)). The queue:
	//       msgget(2), then msgsnd(2) one message of mtype 1 carrying
	//       `text` (a struct { long mtype; char mtext[...]; }). The
	//       segment: shmget(2) DEMO_SHM_SIZE bytes, shmat(2), copy `text`
	//       in, shmdt(2) (the segment stays). The semaphores: semget(2) a
	//       set of 1, then semop(2) +1 on semaphore 0. Check every call
	//       and name it in the error, as err(3) does elsewhere here.
	// STUB: (void)ids;
	// STUB: (void)text;
	// STUB: todo({n}, "msgget(), shmget() and semget() in the demonstration");
	// tag::sysv[]
	// tag::sysv_msg[]
	struct {
		long mtype;
		char mtext[DEMO_TEXT_MAX];
	} msg = {.mtype = 1};
	struct sembuf up = {.sem_num = 0, .sem_op = +1};
	size_t len = strlen(text) + 1;
	char *mem;

	ids->msq = msgget(DEMO_KEY, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->msq == -1)
		err(EXIT_FAILURE, "msgget(0x%08x)", (unsigned)DEMO_KEY);
	snprintf(msg.mtext, sizeof(msg.mtext), "%s", text);
	if (msgsnd(ids->msq, &msg, len, 0) == -1)
		err(EXIT_FAILURE, "msgsnd(%d)", ids->msq);
	// end::sysv_msg[]

	// tag::sysv_shm_sem[]
	ids->shm = shmget(DEMO_KEY, DEMO_SHM_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->shm == -1)
		err(EXIT_FAILURE, "shmget(0x%08x)", (unsigned)DEMO_KEY);
	mem = shmat(ids->shm, NULL, 0);
	if (mem == (void *)-1)
		err(EXIT_FAILURE, "shmat(%d)", ids->shm);
	memcpy(mem, text, len);
	if (shmdt(mem) == -1)
		err(EXIT_FAILURE, "shmdt(%d)", ids->shm);

	ids->sem = semget(DEMO_KEY, 1, IPC_CREAT | IPC_EXCL | 0600);
	if (ids->sem == -1)
		err(EXIT_FAILURE, "semget(0x%08x)", (unsigned)DEMO_KEY);
	if (semop(ids->sem, &up, 1) == -1)
		err(EXIT_FAILURE, "semop(%d, +1)", ids->sem);
	// end::sysv_shm_sem[]
	// end::sysv[]
	// END SOLUTION
}

/* Create the POSIX message queue DEMO_MQ and send it `text`. */
static mqd_t create_posix_queue(const char *text)
{
	mqd_t mq = (mqd_t)-1;

	// BEGIN SOLUTION 2
	// STEP: TODO(2)
	// TODO: Create the POSIX queue DEMO_MQ: mq_open(3) with O_CREAT |
	//       O_EXCL | O_WRONLY | O_CLOEXEC, mode 0600 and a struct mq_attr
	//       of 4 messages of DEMO_TEXT_MAX bytes at most; then mq_send(3)
	//       it `text` (strlen(text) + 1 bytes, priority 0). Return the
	//       descriptor (mq_overview(7)).
	// STUB: (void)text;
	// STUB: todo({n}, "mq_open() and mq_send() in the demonstration");
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

/* The demonstration: run when there is no COMMAND and no terminal. It
 * creates, inside the new namespace, one object of each kind under a
 * fixed key and name, which IPC_EXCL shows to be free here whatever the
 * host holds, then prints what this namespace lists. It removes nothing:
 * the kernel destroys all of it when the namespace ends. */
static int demonstrate(void)
{
	struct demo_ids ids = {-1, -1, -1};
	char label[32], text[DEMO_TEXT_MAX];
	struct msqid_ds mq_stat;
	struct shmid_ds shm_stat;
	struct mq_attr attr;
	const char *mem;
	mqd_t mq;

	ns_label(getpid(), label, sizeof(label));
	snprintf(text, sizeof(text), "hello from %s", label);
	printf("inside %s, a new IPC namespace:\n", label);

	create_sysv_objects(&ids, text);
	if (msgctl(ids.msq, IPC_STAT, &mq_stat) == -1)
		err(EXIT_FAILURE, "msgctl(%d, IPC_STAT)", ids.msq);
	printf("  msgget(0x%08x): message queue %d holds %lu message(s)\n",
	       (unsigned)DEMO_KEY, ids.msq, (unsigned long)mq_stat.msg_qnum);
	if (shmctl(ids.shm, IPC_STAT, &shm_stat) == -1)
		err(EXIT_FAILURE, "shmctl(%d, IPC_STAT)", ids.shm);
	if ((mem = shmat(ids.shm, NULL, SHM_RDONLY)) == (void *)-1)
		err(EXIT_FAILURE, "shmat(%d, SHM_RDONLY)", ids.shm);
	printf("  shmget(0x%08x): segment %d of %zu bytes holds \"%.*s\"\n",
	       (unsigned)DEMO_KEY, ids.shm, (size_t)shm_stat.shm_segsz,
	       DEMO_TEXT_MAX, mem);
	shmdt(mem);
	printf("  semget(0x%08x): semaphore set %d, semaphore 0 is %d\n",
	       (unsigned)DEMO_KEY, ids.sem, semctl(ids.sem, 0, GETVAL));

	mq = create_posix_queue(text);
	if (mq_getattr(mq, &attr) == -1)
		err(EXIT_FAILURE, "mq_getattr(%s)", DEMO_MQ);
	printf("  mq_open(%s): POSIX queue holds %ld message(s)\n", DEMO_MQ,
	       (long)attr.mq_curmsgs);

	/* /proc/sysvipc shows the reader's namespace: only what we made. */
	printf("what this namespace lists (keys in decimal):\n");
	show_sysvipc("msg");
	show_sysvipc("shm");
	show_sysvipc("sem");
	/* A mount of the mqueue file system lists the POSIX queues of the
	 * IPC namespace that mounted it, whoever reads it (mq_overview(7)). */
	printf("  POSIX queues: no /proc file; an mqueue mount made in this "
	       "namespace lists them\n");
	printf("nothing is removed: all of it dies with the namespace\n");
	return EXIT_SUCCESS;
}

/* Everything here runs inside the new IPC namespace. */
static int child_main(void *arg)
{
	struct child_args *a = arg;
	char c;

	/* If the launcher dies (even by SIGKILL), the kernel kills us too:
	 * nothing of the lesson may outlive it. getppid() catches the case
	 * where it died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_FAILURE, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->parent)
		errx(EXIT_FAILURE, "the launcher is gone");

	/* Wait until the parent has looked at us and closed its end. The
	 * child has a copy of every descriptor, so it must close its own
	 * write end first, or the read below never sees EOF. */
	close(a->sync_pipe[1]);
	if (read(a->sync_pipe[0], &c, 1) == -1)
		err(EXIT_FAILURE, "read(sync pipe)");
	close(a->sync_pipe[0]);

	ensure_own_ipc(a->parent);
	/* exit(), not return: clone()'s child ends with the bare exit
	 * system call, which would not flush stdio. */
	if (!a->argv)
		exit(demonstrate());

	execvp(a->argv[0], a->argv);
	/* The shell's convention: 127 when the command is not found, 126
	 * when it exists but cannot be run. */
	err(errno == ENOENT ? 127 : 126, "execvp(%s)", a->argv[0]);
}

/* Explain the errors a student meets when clone() refuses. */
static void __attribute__((noreturn)) clone_failed(void)
{
	const char *why = strerror(errno);

	if (errno == EPERM)
		errx(EXIT_FAILURE, "clone(CLONE_NEWIPC): %s: creating a namespace "
		     "needs CAP_SYS_ADMIN; run as root: sudo make lesson02", why);
	if (errno == ENOSPC)
		errx(EXIT_FAILURE, "clone(CLONE_NEWIPC): %s: too many IPC "
		     "namespaces; see /proc/sys/user/max_ipc_namespaces", why);
	if (errno == EINVAL)
		errx(EXIT_FAILURE, "clone(CLONE_NEWIPC): %s: this kernel was built "
		     "without IPC namespaces (CONFIG_IPC_NS)", why);
	errx(EXIT_FAILURE, "clone(CLONE_NEWIPC): %s", why);
}

/* The command's exit status, or 128+N if signal N killed it. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	static char *shell[] = {"/bin/sh", NULL};
	struct child_args args = {0};
	char label[64], objects[160];
	int opt, status;
	char *stack;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+hq")) != -1) {
		switch (opt) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_SUCCESS;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	args.argv = optind < argc ? &argv[optind] : isatty(0) ? shell : NULL;

	/* Line-buffer stdout: the child gets a copy of this process's
	 * memory, and a full buffer would be printed twice or lost. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The child blocks on this pipe until the parent closes its end.
	 * O_CLOEXEC: the command never inherits it. */
	if (pipe2(args.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_FAILURE, "pipe2");
	args.parent = getpid();

	/* clone() needs a stack for the child; it grows down, so clone is
	 * given its top. MAP_STACK tells the kernel what it is for. */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		err(EXIT_FAILURE, "mmap(stack)");

	say("parent pid %d in %s, which holds %s", (int)getpid(),
	    ns_label(getpid(), label, sizeof(label)),
	    describe_sysvipc(objects, sizeof(objects)));

	// BEGIN SOLUTION 3
	// STEP: TODO(3)
	// TODO: Start child_main(&args) in a new IPC namespace: clone(2) with
	//       the top of the stack (stack + STACK_SIZE) and the flags
	//       CLONE_NEWIPC (a new IPC namespace) | SIGCHLD (so that waitpid
	//       sees the child end). Keep the child's pid in pid.
	// STUB: (void)child_main;
	// STUB: todo({n}, "clone(child_main, ...) with CLONE_NEWIPC | SIGCHLD");
	// tag::clone[]
	pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWIPC | SIGCHLD, &args);
	// end::clone[]
	// END SOLUTION
	if (pid == -1)
		clone_failed();

	say("child  pid %d in %s, a new IPC namespace", (int)pid,
	    ns_label(pid, label, sizeof(label)));

	/* Release the child: closing the last write end gives it EOF. */
	close(args.sync_pipe[0]);
	close(args.sync_pipe[1]);

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	/* The child was the last process in its namespace: the kernel has
	 * destroyed the namespace and every object in it. The host's
	 * tables never saw them. */
	say("command exited with status %d; %s still holds %s",
	    exit_status(status), ns_label(getpid(), label, sizeof(label)),
	    describe_sysvipc(objects, sizeof(objects)));
	return exit_status(status);
}
