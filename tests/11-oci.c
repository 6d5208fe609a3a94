/* Lesson 11: oci is an OCI runtime with runc's command line. The tests
 * call it as an engine does (create, start, state, kill, delete, exec) on
 * bundles they make from the lab's busybox rootfs, and check what the
 * runtime specification demands of each operation (runtime.md); then
 * podman drives it, with a configuration and a storage of the test's own.
 *
 * Steps (solutions/11-oci/oci.c): 1 the config's namespaces become the
 * clone's flags, 2 the create/start split (the init waits on a FIFO,
 * start releases it), 3 the status from the init and the FIFO, 4 delete
 * removes everything create made. A test named sN_ passes as soon as
 * steps 1 to N are right; all_ tests check the whole runtime;
 * challenge_ tests the page's challenge (hooks createRuntime, poststop). Every
 * container's cgroup is made under this test's parent cgroup, which the
 * harness compares before and after: one left behind fails the test. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test's own directory: the state root (--root), the bundle, the
 * output of each call and of the container. */
static char dir[PATH_MAX / 4], root[PATH_MAX / 4 + 16], bundle[PATH_MAX / 4 + 16];
static char cgpath[HARNESS_CGROUP_MAX + 32];
static char id[32];
/* podman's directory of this test (its tests only), and tmux's socket. */
static char pm_dir[PATH_MAX];
/* podman's runroot: at most 50 characters, podman says, so not under
 * the build tree, whose path is the checkout's. */
static char pm_run[32];
static int tmux(char *out, size_t size, const char *const args[]);

static const char *rootfs(void)
{
	const char *r = getenv("NSLAB_ROOTFS");

	return r && *r ? r : "build/rootfs";
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/* The init's pid, as create wrote it in the pid file; 0 if none. */
static pid_t init_pid(void)
{
	char path[PATH_MAX], *text;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pid", dir);
	if (!(text = slurp(path)))
		return 0;
	pid = (pid_t)atoi(text);
	free(text);
	return pid;
}

static void setup(void)
{
	char real[PATH_MAX], link[PATH_MAX];

	harness_setup();
	if (geteuid() != 0)
		cr_skip_test("an OCI runtime makes namespaces, mounts and cgroups: "
			     "run the suite as root");
	/* Under the build tree (BUILD/test/oci-XXXXXX, BUILD of the
	 * runtime's BUILD/solutions/11-oci/oci): podman's storage too. */
	cr_assert(realpath(lesson_bin(), real), "%s: %s", lesson_bin(), strerror(errno));
	for (int up = 0; up < 3 && strrchr(real, '/'); up++)
		*strrchr(real, '/') = '\0';
	snprintf(dir, sizeof(dir), "%.900s/test", real);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		cr_assert_fail("mkdir %s: %s", dir, strerror(errno));
	snprintf(dir, sizeof(dir), "%.900s/test/oci-XXXXXX", real);
	cr_assert(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
	snprintf(root, sizeof(root), "%s/state", dir);
	snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
	cr_assert_eq(mkdir(bundle, 0755), 0, "mkdir %s: %s", bundle, strerror(errno));
	cr_assert(realpath(rootfs(), real), "the rootfs %s: %s (make rootfs)", rootfs(),
		  strerror(errno));
	/* root.path is "rootfs", relative to the bundle (config.md). */
	snprintf(link, sizeof(link), "%s/rootfs", bundle);
	cr_assert_eq(symlink(real, link), 0, "symlink: %s", strerror(errno));
	random_name(id, sizeof(id), "box-", 12);
	snprintf(cgpath, sizeof(cgpath), "/%s/oci-%s", harness_cgroup_parent(), id + 4);
}

/* conmon leaves podman's own, and runs `podman container cleanup` when a
 * container ends; this test is a subreaper, so both are its children once
 * their parents have gone: end them, or they write into the test's
 * directory after it is removed. */
static void end_children(void)
{
	for (int round = 0; round < 50; round++) {
		char *kids = slurp("/proc/thread-self/children");
		bool any = false;

		for (char *p = kids, *next; p && *p; p = next) {
			long pid = strtol(p, &next, 10);

			if (next == p)
				break;
			kill((pid_t)pid, SIGKILL);
			any = true;
		}
		free(kids);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!any)
			return;
		nap(0.02);
	}
}

/* Whatever a test left: the init killed, reaped (this test is a
 * subreaper: the init is its child once create has returned), the
 * directory removed; the harness removes the cgroups. */
static void teardown(void)
{
	pid_t pid = *dir ? init_pid() : 0;

	if (pid > 0)
		kill(pid, SIGKILL);
	if (*pm_dir) {
		char out[256];

		tmux(out, sizeof(out), ARGS("kill-server"));
		end_children();
	}
	if (*pm_run) {
		nftw(pm_run, remove_one, 16, FTW_DEPTH | FTW_PHYS);
		*pm_run = '\0';
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (pid > 0) {
		for (int i = 0; i < 200 && kill(pid, 0) == 0; i++) {
			nap(0.01);
			waitpid(-1, NULL, WNOHANG);
		}
	}
	if (*dir)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	harness_teardown();
}

TestSuite(oci, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT);

/* ---- calling the runtime ------------------------------------------------ */

/* One call: oci --root ROOT ARGS..., stdin /dev/null, stdout and
 * stderr into a file of its own, which is what the container's init
 * inherits from create (so the test never waits for it to close). Its
 * exit status, and its output in `out`. */
static int call(char *out, size_t size, const char *const args[])
{
	static int n;
	char path[PATH_MAX], *text;
	const char *argv[32];
	int fd, status = 0, i = 0, k;
	pid_t pid;

	argv[i++] = lesson_bin();
	argv[i++] = "--root";
	argv[i++] = root;
	for (k = 0; args[k] && i < 31; k++)
		argv[i++] = args[k];
	argv[i] = NULL;
	snprintf(path, sizeof(path), "%s/call-%d", dir, n++);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	cr_assert_neq(fd, -1, "%s: %s", path, strerror(errno));
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		/* SANITIZE=1: exec joins the container's PID namespace, and
		 * LeakSanitizer's tracer at exit is a process of its own, born
		 * there, which cannot ptrace us: the check would hang. */
		if (strcmp(args[0], "exec") == 0)
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	for (double end = now() + RUN_TIMEOUT; waitpid(pid, &status, WNOHANG) == 0;) {
		if (now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			cr_assert_fail("oci %s %s did not return within %.0f s", args[0],
				       args[1] ? args[1] : "", RUN_TIMEOUT);
		}
		nap(0.005);
	}
	text = slurp(path);
	snprintf(out, size, "%s", text ? text : "");
	free(text);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
#define OCI(out, ...) call(out, sizeof(out), ARGS(__VA_ARGS__))

/* What a failure shows of the runtime's words: its TODO, or its output. */
static const char *said(const char *out)
{
	struct run r = {.err = (char *)out};

	return why(&r);
}

/* BUNDLE/config.json: the program `args` (a JSON list), the namespaces
 * `ns` (JSON), and `extra` fields for process, the top level and linux. */
struct cfg {
	const char *args, *ns, *process, *top, *linux_;
	int pids;
};

static void write_config(const struct cfg *c)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fprintf(f,
		"{\"ociVersion\": \"1.0.2\",\n"
		" \"process\": {\"args\": %s, \"env\": [\"PATH=/bin:/sbin\", \"MARK=env-ok\"],\n"
		"   \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}%s},\n"
		" \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
		" \"hostname\": \"%s\",\n"
		" \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\","
		"   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
		"   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
		"    \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
		"   {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
		"    \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\"]}],\n"
		" \"annotations\": {\"lab.nslab.test\": \"%s\"}%s,\n"
		" \"linux\": {\"namespaces\": %s,\n"
		"   \"cgroupsPath\": \"%s\", \"resources\": {\"pids\": {\"limit\": %d}},\n"
		"   \"maskedPaths\": [\"/proc/uptime\"], \"readonlyPaths\": [\"/proc/sys\"]%s}}\n",
		c->args ? c->args : "[\"/bin/sleep\", \"30\"]", c->process ? c->process : "",
		id, id, c->top ? c->top : "",
		c->ns ? c->ns : "[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, "
				"{\"type\": \"uts\"}, {\"type\": \"network\"}]",
		cgpath, c->pids ? c->pids : 64, c->linux_ ? c->linux_ : "");
	fclose(f);
}

/* The default bundle, created: the test fails unless create returned 0. */
static void create(const struct cfg *c)
{
	char out[4096], pidfile[PATH_MAX];

	write_config(c);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	if (OCI(out, "create", "--bundle", bundle, "--pid-file", pidfile, id) != 0)
		cr_assert_fail("oci create must make the container and return 0; %s",
			       said(out));
}

/* A process that has not ended (a zombie has). */
static bool alive(pid_t pid)
{
	char st[64];

	status_line(pid, "State:", st, sizeof(st));
	return *st && !strstr(st, "zombie");
}

/* The status `oci state` gives, in `buf`. */
static const char *status_now(char *buf, size_t size)
{
	char out[4096], *s;

	if (OCI(out, "state", id) != 0)
		cr_assert_fail("oci state of a container that exists must return 0; %s",
			       said(out));
	s = strstr(out, "\"status\"");
	cr_assert(s, "oci state must print the state as JSON with a \"status\"; it "
		  "printed: %.300s", out);
	s = strchr(s + 8, '"');
	cr_assert(s, "\"status\" without a value: %.300s", out);
	snprintf(buf, size, "%.*s", (int)strcspn(s + 1, "\""), s + 1);
	return buf;
}

/* The container's output (what its init inherited from create). */
static bool output_has(const char *needle, double timeout)
{
	for (double end = now() + timeout;; nap(0.02)) {
		char path[PATH_MAX], *text;
		bool found = false;

		for (int n = 0; n < 64 && !found; n++) {
			snprintf(path, sizeof(path), "%s/call-%d", dir, n);
			if ((text = slurp(path))) {
				found = strstr(text, needle) != NULL;
				free(text);
			}
		}
		if (found)
			return true;
		if (now() > end)
			return false;
	}
}

/* The directory of the container's cgroup in the pids tree (v1) or the
 * v2 tree. */
static void cgroup_dir(char *buf, size_t size)
{
	if (access("/sys/fs/cgroup/pids", F_OK) == 0)
		snprintf(buf, size, "/sys/fs/cgroup/pids%s", cgpath);
	else
		snprintf(buf, size, "/sys/fs/cgroup%s", cgpath);
}

/* ---- step 1: the namespaces ------------------------------------------ */

static const struct {
	const char *spec, *proc, *flag;
} kinds[] = {{"pid", "pid", "CLONE_NEWPID"}, {"mount", "mnt", "CLONE_NEWNS"},
	     {"ipc", "ipc", "CLONE_NEWIPC"}, {"uts", "uts", "CLONE_NEWUTS"},
	     {"network", "net", "CLONE_NEWNET"}};

/* --debug: the account says, before the init runs anything, which of
 * its namespaces are new (lessons/lib's ns_account). */
static void check_namespaces(const char *ns_json, const bool listed[5])
{
	char out[8192], want[96];

	write_config(&(struct cfg){.ns = ns_json});
	OCI(out, "--debug", "create", "--bundle", bundle, id);
	if (strstr(out, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", said(out));
	for (size_t k = 0; k < 5; k++) {
		const char *line;

		snprintf(want, sizeof(want), "  %s:[", kinds[k].proc);
		line = strstr(out, want);
		cr_assert(line, "oci --debug create must account for the init's %s "
			  "namespace (a line \"  %s:[INODE], ...\"); %s", kinds[k].proc,
			  kinds[k].proc, said(out));
		if (listed[k])
			cr_assert(strstr(line, ", a new") && strstr(line, ", a new") <
				  strchrnul(line, '\n'),
				  "the config lists %s, so the init's %s namespace must "
				  "be new: %s in the clone's flags; the account says: %.*s",
				  kinds[k].spec, kinds[k].proc, kinds[k].flag,
				  (int)strcspn(line, "\n"), line);
		else
			cr_assert(strstr(line, "still") && strstr(line, "still") <
				  strchrnul(line, '\n'),
				  "the config does not list %s, so the init must share "
				  "this %s namespace (no %s); the account says: %.*s",
				  kinds[k].spec, kinds[k].proc, kinds[k].flag,
				  (int)strcspn(line, "\n"), line);
	}
}

Test(oci, s1_every_namespace_the_config_lists_is_new)
{
	check_namespaces(NULL, (const bool[5]){true, true, true, true, true});
}

Test(oci, s1_a_namespace_the_config_omits_is_shared)
{
	check_namespaces("[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"uts\"}]",
			 (const bool[5]){true, true, false, true, false});
}

Test(oci, s1_an_unknown_namespace_type_is_refused_by_name)
{
	char out[4096], path[PATH_MAX];

	write_config(&(struct cfg){.ns = "[{\"type\": \"mount\"}, {\"type\": \"bogus\"}]"});
	cr_assert_neq(OCI(out, "create", "--bundle", bundle, id), 0,
		      "create must fail when linux.namespaces lists a type that is "
		      "not a namespace; %s", said(out));
	cr_assert(strstr(out, "bogus"), "the error must name the unknown type "
		  "\"bogus\"; %s", said(out));
	snprintf(path, sizeof(path), "%s/%s", root, id);
	cr_assert(access(path, F_OK) == -1, "a refused create must leave no state "
		  "directory (%s)", path);
}

/* ---- step 2: the create/start split ---------------------------------- */

Test(oci, s2_create_returns_while_the_init_waits)
{
	char fifo[PATH_MAX];
	pid_t pid;

	create(&(struct cfg){.args = "[\"/bin/sh\", \"-c\", \"echo the-program-ran; sleep 30\"]"});
	pid = init_pid();
	cr_assert_gt(pid, 0, "create --pid-file must write the init's pid");
	nap(0.3);
	cr_assert(alive(pid), "the init %d died when create returned: it must "
		  "outlive create (clear PR_SET_PDEATHSIG: create is not its "
		  "supervisor)", (int)pid);
	cr_assert(!output_has("the-program-ran", 0), "the program ran before start: "
		  "after create the init must wait on the FIFO until start opens it");
	snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", root, id);
	cr_assert(access(fifo, F_OK) == 0, "create must leave the FIFO %s for start",
		  fifo);
}

Test(oci, s2_start_runs_the_program_and_takes_the_fifo_away)
{
	char out[4096], fifo[PATH_MAX];

	create(&(struct cfg){.args = "[\"/bin/sh\", \"-c\", \"echo ran-as-$(hostname)-$MARK; sleep 30\"]"});
	cr_assert_eq(OCI(out, "start", id), 0, "oci start of a created container "
		     "must return 0; %s", said(out));
	cr_assert(output_has("ran-as-", 3.0), "after start the program must run "
		  "(start opens the FIFO, the init's open returns, it execs)");
	cr_assert(output_has("ran-as-" , 0) && output_has(id, 0),
		  "the program must run with the config's hostname %s", id);
	cr_assert(output_has("-env-ok", 0), "the program must get process.env");
	snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", root, id);
	cr_assert(access(fifo, F_OK) == -1, "start must take the FIFO away (unlink "
		  "it): that is what makes the container running");
}

/* ---- step 3: the status ------------------------------------------------ */

Test(oci, s3_state_is_created_then_running_then_stopped)
{
	char out[4096], st[32];
	pid_t pid;

	create(&(struct cfg){0});
	pid = init_pid();
	cr_assert_str_eq(status_now(st, sizeof(st)), "created",
			 "after create the status must be \"created\" (the init "
			 "waits on the FIFO), not \"%s\"", st);
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cr_assert_str_eq(status_now(st, sizeof(st)), "running",
			 "after start the status must be \"running\" (the init is "
			 "alive, the FIFO gone), not \"%s\"", st);
	kill(pid, SIGKILL);
	for (int i = 0; i < 200 && alive(pid); i++)
		nap(0.01);
	cr_assert_str_eq(status_now(st, sizeof(st)), "stopped",
			 "once the init has ended the status must be \"stopped\", "
			 "not \"%s\"", st);
	OCI(out, "delete", id);
}

Test(oci, s3_state_prints_the_specs_fields)
{
	char out[4096], want[160];

	create(&(struct cfg){0});
	cr_assert_eq(OCI(out, "state", id), 0, "state: %s", said(out));
	snprintf(want, sizeof(want), "%d", (int)init_pid());
	cr_assert(strstr(out, "\"ociVersion\"") && strstr(out, "\"bundle\"") &&
		  strstr(out, "\"pid\"") && strstr(out, want),
		  "state must print ociVersion, id, status, pid (%s), bundle and "
		  "annotations (runtime.md, \"State\"): %.500s", want, out);
	cr_assert(strstr(out, bundle), "state's bundle must be %s: %.500s", bundle, out);
	cr_assert(strstr(out, "lab.nslab.test"), "state must carry the config's "
		  "annotations: %.500s", out);
	OCI(out, "delete", "--force", id);
}

Test(oci, s3_start_of_a_running_container_fails)
{
	char out[4096];

	create(&(struct cfg){0});
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cr_assert_neq(OCI(out, "start", id), 0, "start of a running container "
		      "must fail (runtime.md: only a created container starts)");
	cr_assert(strstr(out, "start") && strstr(out, id), "the error must name the "
		  "operation and the ID in one line: %s", out);
	OCI(out, "delete", "--force", id);
}

/* ---- step 4: delete ---------------------------------------------------- */

Test(oci, s4_delete_of_a_running_container_fails_without_force)
{
	char out[4096], st[32];

	create(&(struct cfg){0});
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cr_assert_neq(OCI(out, "delete", id), 0, "delete of a running container "
		      "must fail without --force, and leave it as it was");
	if (strstr(out, "TODO(4)"))
		cr_assert_fail("step 4 is not done: %s", said(out));
	cr_assert(strstr(out, "delete") && strstr(out, id), "the error must name "
		  "the operation and the ID: %s", out);
	cr_assert_str_eq(status_now(st, sizeof(st)), "running", "a delete that "
			 "failed must not touch the container: it is %s", st);
	cr_assert_eq(OCI(out, "delete", "--force", id), 0, "delete --force: %s", said(out));
}

Test(oci, s4_delete_force_removes_everything_create_made)
{
	char out[4096], state[PATH_MAX], cg[300], ns[64];
	pid_t pid;

	create(&(struct cfg){0});
	pid = init_pid();
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)pid);
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cgroup_dir(cg, sizeof(cg));
	cr_assert(access(cg, F_OK) == 0, "create must make the cgroup %s "
		  "(linux.cgroupsPath)", cg);
	cr_assert_eq(OCI(out, "delete", "--force", id), 0, "delete --force of a "
		     "running container must kill it and remove it; %s", said(out));
	cr_assert(!alive(pid), "after delete --force the init %d must be gone "
		  "(SIGKILL)", (int)pid);
	snprintf(state, sizeof(state), "%s/%s", root, id);
	cr_assert(access(state, F_OK) == -1, "delete must remove the state "
		  "directory %s", state);
	cr_assert(access(cg, F_OK) == -1, "delete must remove the container's "
		  "cgroup %s (rmdir once it is empty)", cg);
	cr_assert(access(ns, F_OK) == -1, "the container's mount namespace (and its "
		  "mounts) must be gone with its processes");
	cr_assert_neq(OCI(out, "state", id), 0, "state of a deleted container must "
		      "fail: there is no such container");
}

Test(oci, s4_delete_of_a_stopped_container)
{
	char out[4096], state[PATH_MAX];
	pid_t pid;

	create(&(struct cfg){.args = "[\"/bin/true\"]"});
	pid = init_pid();
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	for (int i = 0; i < 300 && alive(pid); i++)
		nap(0.01);
	cr_assert_eq(OCI(out, "delete", id), 0, "delete of a stopped container "
		     "must work without --force; %s", said(out));
	snprintf(state, sizeof(state), "%s/%s", root, id);
	cr_assert(access(state, F_OK) == -1, "delete must remove %s", state);
}

/* ---- the whole runtime ------------------------------------------------- */

Test(oci, all_kill_of_a_created_container_stops_it)
{
	char out[4096], st[32];
	pid_t pid;

	create(&(struct cfg){0});
	pid = init_pid();
	cr_assert_eq(OCI(out, "kill", id, "KILL"), 0, "kill of a created container "
		     "must work (runtime.md, \"kill\"); %s", said(out));
	for (int i = 0; i < 200 && alive(pid); i++)
		nap(0.01);
	cr_assert_str_eq(status_now(st, sizeof(st)), "stopped", "after kill KILL "
			 "the container must be stopped, not %s", st);
	cr_assert_neq(OCI(out, "start", id), 0, "start of a stopped container must fail");
	cr_assert_eq(OCI(out, "delete", id), 0, "delete: %s", said(out));
}

Test(oci, all_kill_takes_signal_names_and_numbers)
{
	char out[4096], st[32];
	pid_t pid;

	create(&(struct cfg){.args = "[\"/bin/sh\", \"-c\", \"trap 'echo got-term; exit 3' "
				      "TERM; echo up; while :; do sleep 0.05; done\"]"});
	pid = init_pid();
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cr_assert(output_has("up", 3.0), "the program did not start");
	cr_assert_eq(OCI(out, "kill", id, "SIGTERM"), 0, "kill ID SIGTERM: %s", said(out));
	cr_assert(output_has("got-term", 3.0), "kill ID SIGTERM must reach the program");
	for (int i = 0; i < 300 && alive(pid); i++)
		nap(0.01);
	cr_assert_str_eq(status_now(st, sizeof(st)), "stopped", "it exited on TERM");
	cr_assert_neq(OCI(out, "kill", id, "9"), 0, "kill of a stopped container "
		      "must fail");
	OCI(out, "delete", id);
	create(&(struct cfg){0});
	cr_assert_neq(OCI(out, "kill", id, "NOSUCHSIG"), 0, "kill with a signal that "
		      "does not exist must fail");
	cr_assert(strstr(out, "NOSUCHSIG"), "the error must name the signal: %s", out);
	cr_assert_eq(OCI(out, "kill", id, "9"), 0, "kill ID 9 (a number): %s", said(out));
	OCI(out, "delete", "--force", id);
}

Test(oci, all_an_id_that_exists_is_refused)
{
	char out[4096], st[32];

	create(&(struct cfg){0});
	cr_assert_neq(OCI(out, "create", "--bundle", bundle, id), 0,
		      "create with the ID of an existing container must fail");
	cr_assert(strstr(out, "create") && strstr(out, id) && strstr(out, "exists"),
		  "the error must say the ID exists, naming create and the ID: %s", out);
	cr_assert_str_eq(status_now(st, sizeof(st)), "created", "the existing "
			 "container must be left as it was, not %s", st);
	OCI(out, "delete", "--force", id);
}

Test(oci, all_an_unknown_id_fails_every_operation)
{
	static const char *const ops[] = {"start", "state", "kill", "delete"};
	char out[4096];

	for (size_t i = 0; i < 4; i++) {
		cr_assert_neq(OCI(out, ops[i], "no-such-box"), 0, "%s of an unknown "
			      "ID must fail", ops[i]);
		cr_assert(strstr(out, ops[i]) && strstr(out, "no-such-box") &&
			  !strchr(strchr(out, '\n') ? strchr(out, '\n') + 1 : "", '\n'),
			  "%s of an unknown ID: one line naming the operation and the "
			  "ID; it said: %s", ops[i], out);
	}
}

Test(oci, all_a_bad_bundle_is_an_error_not_a_crash)
{
	char out[4096], path[PATH_MAX];
	FILE *f;

	cr_assert_eq(OCI(out, "create", "--bundle", "/nonexistent-bundle", id), 1,
		     "create of a missing bundle must fail with 1: %s", out);
	cr_assert(strstr(out, "/nonexistent-bundle"), "name the bundle: %s", out);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "{\"ociVersion\": \"1.0.2\",\n \"process\": [oops}\n");
	fclose(f);
	cr_assert_eq(OCI(out, "create", "--bundle", bundle, id), 1,
		     "create of a config.json that is not JSON must fail with 1: %s", out);
	cr_assert(strstr(out, "config.json:2:"), "the error must give the line of "
		  "the JSON error (config.json:2:COLUMN): %s", out);
	write_config(&(struct cfg){.args = "[]"});
	cr_assert_eq(OCI(out, "create", "--bundle", bundle, id), 1,
		     "create of a config with no program must fail: %s", out);
	snprintf(path, sizeof(path), "%s/%s", root, id);
	cr_assert(access(path, F_OK) == -1, "a failed create must leave no state "
		  "directory");
}

Test(oci, all_a_relative_root_path_is_the_bundles)
{
	char out[4096], real[PATH_MAX];

	create(&(struct cfg){0});
	cr_assert_eq(OCI(out, "state", id), 0, "state: %s", said(out));
	cr_assert(realpath(rootfs(), real));
	cr_assert(strstr(out, real), "root.path \"rootfs\" is relative to the bundle: "
		  "the state's rootfs must be %s: %.400s", real, out);
	OCI(out, "delete", "--force", id);
}

Test(oci, all_what_is_not_supported_is_refused_by_name)
{
	static const struct {
		const char *top, *linux_, *process, *name;
	} rows[] = {
		{", \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\"}]}", NULL, NULL, "hooks"},
		{NULL, ", \"intelRdt\": {\"closID\": \"x\"}", NULL, "intelRdt"},
		{NULL, NULL, ", \"apparmorProfile\": \"lab\"", "apparmorProfile"},
		{NULL, NULL, NULL, "systemd"},
	};
	char out[4096], path[PATH_MAX];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* The last row: a systemd unit as linux.cgroupsPath. */
		if (!strcmp(rows[i].name, "systemd"))
			snprintf(cgpath, sizeof(cgpath), "machine.slice:lab:box");
		write_config(&(struct cfg){.top = rows[i].top, .linux_ = rows[i].linux_,
					   .process = rows[i].process});
		cr_assert_neq(OCI(out, "create", "--bundle", bundle, id), 0,
			      "a config with %s must be refused", rows[i].name);
		cr_assert(strstr(out, rows[i].name), "the refusal must name %s: %s",
			  rows[i].name, out);
		snprintf(path, sizeof(path), "%s/%s", root, id);
		cr_assert(access(path, F_OK) == -1, "a refused create leaves nothing");
	}
	cr_assert_neq(OCI(out, "--systemd-cgroup", "state", id), 0,
		      "--systemd-cgroup must be refused with a clear message");
	cr_assert(strstr(out, "systemd-cgroup"), "say why: %s", out);
}

Test(oci, all_config_limits_hostname_and_masks_hold)
{
	char out[4096], file[PATH_MAX], *text;
	int limit = random_between(20, 90);
	pid_t pid;

	create(&(struct cfg){.pids = limit,
			     .args = "[\"/bin/sh\", \"-c\", \"echo host=$(hostname) "
				     "uptime=$(wc -c < /proc/uptime); echo x > /proc/sys/kernel/msgmax "
				     "|| echo sys-is-ro; sleep 30\"]"});
	pid = init_pid();
	cr_assert(cgroup_file(pid, "pids", "pids.max", file, sizeof(file)),
		  "the init must be in a cgroup of its own");
	text = slurp(file);
	cr_assert(text && atoi(text) == limit, "linux.resources.pids.limit %d must be "
		  "%s; it is %s", limit, file, text ? text : "(none)");
	free(text);
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	cr_assert(output_has("host=", 3.0) && output_has(id, 0), "the hostname must be "
		  "the config's");
	cr_assert(output_has("uptime=0", 0), "linux.maskedPaths /proc/uptime must read empty");
	cr_assert(output_has("sys-is-ro", 0), "linux.readonlyPaths /proc/sys must be "
		  "read-only");
	OCI(out, "delete", "--force", id);
}

Test(oci, all_exec_joins_the_running_container)
{
	char out[4096], path[PATH_MAX], pidfile[PATH_MAX], hostname[64];
	FILE *f;

	create(&(struct cfg){0});
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	snprintf(path, sizeof(path), "%s/process.json", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "{\"args\": [\"/bin/sh\", \"-c\", \"echo exec-in-$(hostname) "
		"pid1=$(cat /proc/1/comm); exit 7\"], \"cwd\": \"/\", "
		"\"env\": [\"PATH=/bin\"], \"user\": {\"uid\": 0, \"gid\": 0}}");
	fclose(f);
	snprintf(pidfile, sizeof(pidfile), "%s/exec.pid", dir);
	cr_assert_eq(OCI(out, "exec", "--process", path, "--pid-file", pidfile, id), 7,
		     "exec without --detach must return the process's exit status "
		     "(7); %s", said(out));
	snprintf(hostname, sizeof(hostname), "exec-in-%s", id);
	cr_assert(strstr(out, hostname), "the process must run in the container's "
		  "UTS namespace (%s): %s", hostname, out);
	cr_assert(strstr(out, "pid1=sleep"), "the process must see the container's "
		  "PID 1 (sleep) in its /proc: %s", out);
	cr_assert(access(pidfile, F_OK) == 0, "exec --pid-file must write the pid");
	OCI(out, "delete", "--force", id);
}

Test(oci, all_log_format_json_writes_the_error_as_conmon_reads_it)
{
	char out[4096], log[PATH_MAX], *text;

	snprintf(log, sizeof(log), "%s/log.json", dir);
	cr_assert_neq(OCI(out, "--log", log, "--log-format", "json", "start", id), 0);
	text = slurp(log);
	cr_assert(text && strstr(text, "\"level\":") && strstr(text, "\"error\"") &&
		  strstr(text, id),
		  "--log FILE --log-format json: one JSON object a line, level "
		  "error, the message naming the ID; the log holds: %s",
		  text ? text : "(nothing)");
	free(text);
}

/* ---- the challenge: hooks createRuntime and poststop ------------------- */

/* DIR/hook.sh, run by the host's /bin/sh: its stdin into OUT.state, the
 * net namespace of the pid it names into OUT.net, $HOOK_MARK into
 * OUT.env (OUT: its first argument). The hook's JSON, for the config. */
static void hook(char *buf, size_t size, const char *out)
{
	char path[PATH_MAX / 4 + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/hook.sh", dir);
	f = fopen(path, "w");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fprintf(f, "cat >\"$1.state\"\n"
		"pid=$(tr -d ' \\n' <\"$1.state\" | sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p')\n"
		"readlink \"/proc/$pid/ns/net\" >\"$1.net\"\n"
		"echo \"$HOOK_MARK\" >\"$1.env\"\n");
	fclose(f);
	snprintf(buf, size, "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"%s\", \"%s/%s\"], "
		 "\"env\": [\"PATH=/usr/bin:/bin\", \"HOOK_MARK=hook-env-ok\"]}",
		 path, dir, out);
}

/* DIR/NAME, or "" when it is not there. */
static char *file_of(const char *name)
{
	char path[PATH_MAX], *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = slurp(path);
	return text ? text : strdup("");
}

Test(oci, challenge_create_runtime_hook_gets_the_state_in_the_runtimes_namespaces)
{
	char h[4096], top[4400], want[64], ns[64], mine[64], out[4096];
	char *state, *net, *env;
	pid_t pid;
	ssize_t n;

	hook(h, sizeof(h), "cr");
	snprintf(top, sizeof(top), ", \"hooks\": {\"createRuntime\": [%s]}", h);
	create(&(struct cfg){.top = top});
	pid = init_pid();
	state = file_of("cr.state");
	net = file_of("cr.net");
	env = file_of("cr.env");
	cr_assert(*state, "create must run hooks.createRuntime (it wrote no %s/cr.state)",
		  dir);
	snprintf(want, sizeof(want), "%d", (int)pid);
	cr_assert(strstr(state, id) && strstr(state, "\"created\"") && strstr(state, want),
		  "the createRuntime hook's stdin must be the state: id %s, status "
		  "\"created\", pid %s (the init's); it got: %.500s", id, want, state);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
	n = readlink(ns, want, sizeof(want) - 1);
	cr_assert_gt(n, 0, "%s: %s", ns, strerror(errno));
	want[n] = '\0';
	cr_assert(!strncmp(net, want, (size_t)n), "the hook must run once the "
		  "container's namespaces exist: the init's net namespace is %s, the "
		  "hook read \"%s\" from the pid of its state", want, net);
	n = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1);
	cr_assert(n > 0 && strncmp(mine, want, (size_t)n) != 0, "the config lists network: "
		  "the init's net namespace must not be the runtime's");
	cr_assert(strstr(env, "hook-env-ok"), "the hook must get its env (HOOK_MARK); "
		  "it wrote \"%s\"", env);
	cr_assert(!strcmp(status_now(out, sizeof(out)), "created"), "after the hook "
		  "the container must be created, not %s", out);
	free(state);
	free(net);
	free(env);
	OCI(out, "delete", "--force", id);
}

/* A failing hook (the second, after one that records the pid), then one
 * that outlives its timeout: create fails and leaves nothing. */
Test(oci, challenge_a_failing_or_late_create_runtime_hook_fails_create_and_leaves_nothing)
{
	static const char *const bad[] = {
		"{\"path\": \"/bin/false\"}",
		"{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"30\"], \"timeout\": 1}"};
	char h[4096], top[4600], out[4096], path[PATH_MAX], cg[300], *state;

	for (size_t i = 0; i < 2; i++) {
		double t0 = now();
		pid_t pid = 0;
		int code;

		snprintf(path, sizeof(path), "%s/bad.state", dir);
		unlink(path);
		hook(h, sizeof(h), "bad");
		snprintf(top, sizeof(top), ", \"hooks\": {\"createRuntime\": [%s, %s]}", h,
			 bad[i]);
		write_config(&(struct cfg){.top = top});
		code = OCI(out, "create", "--bundle", bundle, id);
		cr_assert_neq(code, 0, "create must fail when a createRuntime hook %s; %s",
			      i ? "outlives its timeout" : "fails", said(out));
		cr_assert(!i || now() - t0 < 10, "a hook with a timeout of 1 s must be "
			  "killed after it: create took %.1f s", now() - t0);
		state = file_of("bad.state");
		cr_assert(*state, "the first createRuntime hook must have run before the "
			  "%s one; %s", i ? "late" : "failing", said(out));
		pid = (pid_t)atoi(strstr(state, "\"pid\"") ? strstr(state, "\"pid\"") + 6 +
				  strspn(strstr(state, "\"pid\"") + 6, " ") : "0");
		free(state);
		cr_assert_gt(pid, 0, "the state on the hook's stdin has no pid");
		for (int k = 0; k < 200 && alive(pid); k++)
			nap(0.01);
		cr_assert(!alive(pid), "a create that failed in a hook must leave no "
			  "process: the init %d is alive", (int)pid);
		snprintf(path, sizeof(path), "%s/%s", root, id);
		cr_assert(access(path, F_OK) == -1, "a create that failed in a hook must "
			  "leave no state directory (%s)", path);
		cgroup_dir(cg, sizeof(cg));
		cr_assert(access(cg, F_OK) == -1, "a create that failed in a hook must "
			  "leave no cgroup (%s)", cg);
	}
}

Test(oci, challenge_a_poststop_hook_runs_at_delete)
{
	char h[4096], top[4400], out[4096], *state;
	pid_t pid;

	hook(h, sizeof(h), "ps");
	snprintf(top, sizeof(top), ", \"hooks\": {\"poststop\": [%s]}", h);
	create(&(struct cfg){.top = top, .args = "[\"/bin/true\"]"});
	pid = init_pid();
	cr_assert_eq(OCI(out, "start", id), 0, "start: %s", said(out));
	for (int i = 0; i < 300 && alive(pid); i++)
		nap(0.01);
	state = file_of("ps.state");
	cr_assert(!*state, "the poststop hook ran before delete: %s", state);
	free(state);
	cr_assert_eq(OCI(out, "delete", id), 0, "delete: %s", said(out));
	state = file_of("ps.state");
	cr_assert(*state, "delete must run hooks.poststop (it wrote no %s/ps.state); %s",
		  dir, said(out));
	cr_assert(strstr(state, id), "the poststop hook's stdin must be the state, "
		  "with the id %s: %.500s", id, state);
	free(state);
}

/* ---- podman drives it ---------------------------------------------------- */

/* podman with this runtime, and nothing of the host's podman setup:
 * a containers.conf, storage.conf and registries.conf of the test's own
 * (cgroupfs, a file events log, limits within this machine's), storage
 * under a directory of the test's own (podman's database insists on
 * one run root per storage), the image imported from the lab's rootfs,
 * offline; all of it in the test's directory under BUILD/test/. */
static char pm_runtime[PATH_MAX], pm_image[64];

static void podman_setup(void)
{
	char path[PATH_MAX + 32], tar[PATH_MAX + 32], out[4096], real[PATH_MAX];
	FILE *f;

	if (access("/usr/bin/podman", X_OK) == -1 || access("/usr/bin/conmon", X_OK) == -1) {
		/* The VM image (make test-vm) has no podman: its runner says
		 * so, and there this part is checked on the host instead. */
		if (getenv("NSLAB_NO_PODMAN"))
			return;
		cr_assert_fail("podman and conmon are not installed here: make deps "
			       "installs them (apt-get install podman conmon)");
	}
	cr_assert(realpath(lesson_bin(), real), "%s: %s", lesson_bin(), strerror(errno));
	snprintf(pm_dir, sizeof(pm_dir), "%s/podman", dir);
	cr_assert_eq(mkdir(pm_dir, 0700), 0, "mkdir %s", pm_dir);
	snprintf(pm_run, sizeof(pm_run), "/run/nslab-pm-XXXXXX");
	cr_assert(mkdtemp(pm_run), "mkdtemp %s: %s", pm_run, strerror(errno));
	/* podman calls the runtime with a clean environment, and without
	 * its --runtime-flag options on delete: the runtime podman is given
	 * is the lesson's, with the test's own state root (--root), so that
	 * what a broken runtime leaves stays in the test's directory. */
	snprintf(pm_runtime, sizeof(pm_runtime), "%.2000s/runtime", pm_dir);
	f = fopen(pm_runtime, "w");
	cr_assert(f);
	/* exec: no LeakSanitizer under SANITIZE=1 (see call() above). */
	fprintf(f, "#!/bin/sh\nfor a; do [ \"$a\" = exec ] && "
		   "export ASAN_OPTIONS=detect_leaks=0; done\n"
		   "exec '%s' --root '%s' \"$@\"\n", real, root);
	fclose(f);
	cr_assert_eq(chmod(pm_runtime, 0755), 0, "chmod %s", pm_runtime);
	snprintf(path, sizeof(path), "%s/containers.conf", pm_dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "[containers]\n"
		   "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n"
		   "netns = \"none\"\n"
		   "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
		   "events_logfile_path = \"%s/events.log\"\n", pm_dir);
	fclose(f);
	setenv("CONTAINERS_CONF", path, 1);
	snprintf(path, sizeof(path), "%s/storage.conf", pm_dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "[storage]\ndriver = \"vfs\"\nrunroot = \"%s\"\n"
		   "graphroot = \"%s/root\"\n", pm_run, pm_dir);
	fclose(f);
	setenv("CONTAINERS_STORAGE_CONF", path, 1);
	snprintf(path, sizeof(path), "%s/registries.conf", pm_dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "unqualified-search-registries = []\n");
	fclose(f);
	setenv("CONTAINERS_REGISTRIES_CONF", path, 1);
	cr_assert(realpath(rootfs(), real));
	snprintf(tar, sizeof(tar), "%s/rootfs.tar", pm_dir);
	cr_assert_eq(run_here(ARGS("/bin/tar", "-C", real, "-cf", tar, "."), out,
			      sizeof(out)), 0, "tar of the rootfs: %s", out);
	snprintf(pm_image, sizeof(pm_image), "localhost/nslab-%s:1", id + 4);
}

/* podman --root ... --runtime OCI ARGS..., its exit status and output. */
static int podman(char *out, size_t size, const char *const args[])
{
	char r[PATH_MAX + 16], rr[PATH_MAX + 16], tmp[PATH_MAX + 16];
	const char *argv[48];
	int i = 0;

	snprintf(r, sizeof(r), "%s/root", pm_dir);
	snprintf(rr, sizeof(rr), "%s", pm_run);
	snprintf(tmp, sizeof(tmp), "%s/tmp", pm_dir);
	argv[i++] = "/usr/bin/podman";
	argv[i++] = "--root";
	argv[i++] = r;
	argv[i++] = "--runroot";
	argv[i++] = rr;
	argv[i++] = "--tmpdir";
	argv[i++] = tmp;
	argv[i++] = "--runtime";
	argv[i++] = pm_runtime;
	argv[i++] = "--cgroup-manager";
	argv[i++] = "cgroupfs";
	for (int k = 0; args[k] && i < 47; k++)
		argv[i++] = args[k];
	argv[i] = NULL;
	return run_here(argv, out, size);
}
#define PODMAN(out, ...) podman(out, sizeof(out), ARGS(__VA_ARGS__))

/* The image, imported offline from the lab's rootfs; false where podman
 * is not installed and the runner said so (NSLAB_NO_PODMAN). */
static bool podman_ready(void)
{
	char out[8192], tar[PATH_MAX + 32];

	podman_setup();
	if (!*pm_dir) {
		cr_log_info("podman is not installed here (%s): this part is "
			    "checked on the host", getenv("NSLAB_NO_PODMAN"));
		return false;
	}
	snprintf(tar, sizeof(tar), "%s/rootfs.tar", pm_dir);
	cr_assert_eq(PODMAN(out, "import", "-q", tar, pm_image), 0,
		     "podman import of the rootfs: %s", out);
	return true;
}

/* What podman keeps of its containers, and what the runtime keeps (its
 * state directory, under the test's --root): both must be empty of this
 * test's once it has removed its containers. */
static void check_nothing_left(const char *cid)
{
	char out[8192], path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	cr_assert_eq(PODMAN(out, "ps", "-aq", "--no-trunc"), 0, "podman ps: %s", out);
	cr_assert(!*cid || !strstr(out, cid), "podman still lists %s: %s", cid, out);
	snprintf(path, sizeof(path), "%s/%s", root, cid);
	cr_assert(!*cid || access(path, F_OK) == -1, "the runtime's state %s is left", path);
	if ((d = opendir(root))) {
		while ((e = readdir(d)))
			cr_assert(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."),
				  "delete must remove the state of %s from %s", e->d_name, root);
		closedir(d);
	}
}

/* The containers' cgroups under this test's parent (the harness checks
 * that none is left). */
#define CGROUP_PARENT(buf) snprintf(buf, sizeof(buf), "/%s", harness_cgroup_parent())

Test(oci, all_podman_run_rm_echo_hi)
{
	char out[8192], parent[HARNESS_CGROUP_MAX + 2], word[32];

	if (!podman_ready())
		return;
	CGROUP_PARENT(parent);
	random_name(word, sizeof(word), "hi-", 10);
	cr_assert_eq(PODMAN(out, "run", "--rm", "--network", "none", "--cgroup-parent",
			    parent, pm_image, "echo", word), 0,
		     "podman run --rm IMAGE echo %s with this runtime must work: %s",
		     word, out);
	cr_assert(strstr(out, word), "podman run must show the program's output "
		  "(%s): %s", word, out);
	check_nothing_left("");
}

Test(oci, all_podman_run_passes_the_exit_status)
{
	char out[8192], parent[HARNESS_CGROUP_MAX + 2], cmd[64];
	int code = random_between(3, 120);

	if (!podman_ready())
		return;
	CGROUP_PARENT(parent);
	snprintf(cmd, sizeof(cmd), "exit %d", code);
	cr_assert_eq(PODMAN(out, "run", "--rm", "--network", "none", "--cgroup-parent",
			    parent, pm_image, "sh", "-c", cmd), code,
		     "podman run --rm IMAGE sh -c '%s' must exit %d: %s", cmd, code, out);
}

Test(oci, all_podman_run_d_exec_stop_rm, .timeout = 60)
{
	char out[8192], cid[80], parent[HARNESS_CGROUP_MAX + 2], host[32], lim[16];
	char file[PATH_MAX], cgfile[PATH_MAX], *text;
	int limit = random_between(30, 90);
	struct { pid_t pid; } init = {0};

	if (!podman_ready())
		return;
	CGROUP_PARENT(parent);
	random_name(host, sizeof(host), "pod-", 10);
	snprintf(lim, sizeof(lim), "%d", limit);
	cr_assert_eq(PODMAN(out, "run", "-d", "--network", "none", "--cgroup-parent",
			    parent, "--hostname", host, "--pids-limit", lim, "--memory",
			    "64m", pm_image, "sleep", "60"), 0,
		     "podman run -d IMAGE sleep 60: %s", out);
	snprintf(cid, sizeof(cid), "%.64s", out);
	cr_assert_eq(strlen(cid), 64, "podman run -d prints the container's ID: %s", out);
	cr_assert_eq(PODMAN(out, "ps", "--no-trunc", "--format", "{{.ID}} {{.Status}}"), 0,
		     "podman ps: %s", out);
	cr_assert(strstr(out, cid) && strstr(out, "Up"), "podman ps must show the "
		  "container up while it runs: %s", out);
	cr_assert_eq(PODMAN(out, "exec", cid, "sh", "-c",
			    "echo in=$(hostname); cat /proc/1/comm; exit 4"), 4,
		     "podman exec must run in the container and pass its status (4): %s",
		     out);
	cr_assert(strstr(out, host), "podman exec: --hostname %s must be the "
		  "container's: %s", host, out);
	cr_assert(strstr(out, "sleep"), "podman exec must see the container's PID 1: %s",
		  out);
	cr_assert_eq(PODMAN(out, "inspect", "--format", "{{.State.Pid}}", cid), 0,
		     "podman inspect: %s", out);
	init.pid = (pid_t)atoi(out);
	cr_assert_gt(init.pid, 0, "podman inspect gives the init's pid: %s", out);
	cr_assert(cgroup_file(init.pid, "pids", "pids.max", file, sizeof(file)));
	text = slurp(file);
	cr_assert(text && atoi(text) == limit, "--pids-limit %d must be the "
		  "container's pids.max; %s holds %s", limit, file, text ? text : "-");
	free(text);
	cr_assert(cgroup_file(init.pid, "memory", access("/sys/fs/cgroup/memory", F_OK)
			      ? "memory.max" : "memory.limit_in_bytes", cgfile, sizeof(cgfile)));
	text = slurp(cgfile);
	cr_assert(text && atoll(text) == 64LL << 20, "--memory 64m must be the "
		  "container's limit; %s holds %s", cgfile, text ? text : "-");
	free(text);
	cr_assert_eq(PODMAN(out, "stop", "-t", "1", cid), 0, "podman stop (SIGTERM, "
		     "then SIGKILL after 1 s): %s", out);
	cr_assert(!alive(init.pid), "after podman stop the init must be gone");
	cr_assert_eq(PODMAN(out, "rm", cid), 0, "podman rm: %s", out);
	check_nothing_left(cid);
}

/* tmux -S SOCKET ARGS...: its exit status and output. */
static int tmux(char *out, size_t size, const char *const args[])
{
	char sock[PATH_MAX + 16];
	const char *argv[24];
	int i = 0;

	snprintf(sock, sizeof(sock), "%s/tmux.sock", pm_dir);
	argv[i++] = "/usr/bin/tmux";
	argv[i++] = "-S";
	argv[i++] = sock;
	for (int k = 0; args[k] && i < 23; k++)
		argv[i++] = args[k];
	argv[i] = NULL;
	return run_here(argv, out, size);
}
#define TMUX(out, ...) tmux(out, sizeof(out), ARGS(__VA_ARGS__))

/* What the terminal shows, once it shows `needle` (or the time is up). */
static bool screen_has(char *out, size_t size, const char *needle, double timeout)
{
	for (double end = now() + timeout; now() < end; nap(0.1)) {
		tmux(out, size, ARGS("capture-pane", "-p", "-t", "oci"));
		if (strstr(out, needle))
			return true;
	}
	return false;
}

Test(oci, all_podman_run_it_in_a_real_terminal, .timeout = 60)
{
	char out[16384], script[PATH_MAX + 32], parent[HARNESS_CGROUP_MAX + 2];
	char r[PATH_MAX + 16], rr[PATH_MAX + 16], tmp[PATH_MAX + 16];
	FILE *f;

	if (!podman_ready())
		return;
	cr_assert_eq(access("/usr/bin/tmux", X_OK), 0, "tmux gives the test a real "
		     "terminal: make deps installs it");
	CGROUP_PARENT(parent);
	snprintf(r, sizeof(r), "%s/root", pm_dir);
	snprintf(rr, sizeof(rr), "%s", pm_run);
	snprintf(tmp, sizeof(tmp), "%s/tmp", pm_dir);
	snprintf(script, sizeof(script), "%s/it.sh", pm_dir);
	f = fopen(script, "w");
	cr_assert(f);
	fprintf(f, "/usr/bin/podman --root %s --runroot %s --tmpdir %s --runtime %s "
		   "--cgroup-manager cgroupfs run --rm -it --network none "
		   "--cgroup-parent %s %s sh\necho podman-exited-$?\nsleep 60\n",
		r, rr, tmp, pm_runtime, parent, pm_image);
	fclose(f);
	cr_assert_eq(TMUX(out, "new-session", "-d", "-s", "oci", "-x", "100", "-y", "30",
			  "/bin/sh", script), 0, "tmux new-session: %s", out);
	cr_assert(screen_has(out, sizeof(out), "/ #", 15.0), "podman run -it must "
		  "give a shell prompt on the terminal; it shows: %s", out);
	TMUX(out, "send-keys", "-t", "oci", "tty; echo sum-$((6*7))", "Enter");
	cr_assert(screen_has(out, sizeof(out), "sum-42", 5.0), "the shell must answer: %s",
		  out);
	cr_assert(strstr(out, "/dev/pts/"), "tty inside must name a pseudo-terminal "
		  "of the container's devpts (the console socket's master): %s", out);
	TMUX(out, "send-keys", "-t", "oci", "sleep 50", "Enter");
	nap(0.5);
	TMUX(out, "send-keys", "-t", "oci", "C-c");
	TMUX(out, "send-keys", "-t", "oci", "echo after-$((1+1)); exit 3", "Enter");
	cr_assert(screen_has(out, sizeof(out), "after-2", 5.0), "Ctrl-C must reach the "
		  "foreground sleep, and the shell go on: %s", out);
	cr_assert(screen_has(out, sizeof(out), "podman-exited-3", 10.0), "exit 3 in "
		  "the shell must end podman run -it with 3: %s", out);
	TMUX(out, "kill-server");
}
