/* basics.c - the checks every lesson program shares (harness.h,
 * LESSON_BASICS): its namespaces, exit status, errors, account, and
 * what a SIGKILL at any moment leaves behind. */
#define _GNU_SOURCE
#include "harness_internal.h"

#define MAX_ARGS 64

const char *const *lesson_args(const char **argv, const struct lesson *l, bool quiet,
			       const char *const cmd[])
{
	size_t n = 0;

	for (const char *const *o = l->opts; o && *o; o++)
		argv[n++] = *o;
	if (quiet)
		argv[n++] = "-q";
	argv[n++] = "--";
	for (; *cmd && n < MAX_ARGS - 1; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	return argv;
}

const char *check_account_new(const struct run *r, const char *type, const char *key,
			      const char *fix)
{
	char start[64], want[96];
	unsigned long long ino = 0;
	const char *line;

	if (strstr(r->err, "TODO(1)"))
		cr_assert_fail("step 1 is not done: %s", why(r));
	snprintf(start, sizeof(start), "%s", key ? key : "child  pid ");
	line = strstr(r->err, start);
	cr_assert(line, "the account has no \"%s... %s:[...]\" line: did the child "
		  "start? %s", start, type, why(r));
	snprintf(want, sizeof(want), "%s:[", type);
	line = strstr(line, want);
	cr_assert(line && sscanf(line + strlen(want), "%llu]", &ino) == 1,
		  "cannot read the child's %s namespace in the account: %s", type, why(r));
	cr_assert(ino != (unsigned long long)my_ns(type).ino, "the child is in its "
		  "parent's %s namespace (%s:[%llu]): %s", type, type, ino, fix);
	cr_assert(strstr(line, ", a new "), "the account should call the child's "
		  "%s namespace new: \"%.80s\"", type, line);
	return line;
}

const char *lesson_probe(const struct lesson *l)
{
	return l->probe ? l->probe : probe_bin();
}

const char *ns_link(const char *name, struct ns_id id)
{
	static char bufs[4][64];
	static int next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, 64, "%s:[%llu]", name, (unsigned long long)id.ino);
	return buf;
}

/* Is `name` one of the space-separated words of `list`? */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return true;
	return false;
}

/* The flag that makes a namespace of this type. */
static const char *clone_flag(const char *name)
{
	static const char *const flags[][2] = {
		{"cgroup", "CLONE_NEWCGROUP"}, {"ipc", "CLONE_NEWIPC"},
		{"mnt", "CLONE_NEWNS"},        {"net", "CLONE_NEWNET"},
		{"pid", "CLONE_NEWPID"},       {"time", "CLONE_NEWTIME"},
		{"user", "CLONE_NEWUSER"},     {"uts", "CLONE_NEWUTS"},
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flags[i][0], name) == 0)
			return flags[i][1];
	return "its CLONE_NEW* flag";
}

void check_new_namespaces(const struct lesson *l, const struct ns_id theirs[NS_COUNT],
			  const char *seen)
{
	for (int i = 0; i < NS_COUNT; i++) {
		struct ns_id mine;

		if (!ns_of(getpid(), ns_names[i], &mine) || theirs[i].ino == 0)
			continue; /* a namespace type this kernel lacks */
		if (listed(l->new_ns, ns_names[i]))
			cr_assert(!ns_same(mine, theirs[i]),
				  "%s, the command is still in the parent's %s namespace "
				  "(%s): the child must be made with %s", seen, ns_names[i],
				  ns_link(ns_names[i], mine), clone_flag(ns_names[i]));
		else
			cr_assert(ns_same(mine, theirs[i]),
				  "%s, the command is in a new %s namespace; %s must create "
				  "only: %s", seen, ns_names[i], l->program, l->new_ns);
	}
}

/* Run the lesson quietly with `cmd`; the test's own messages use why(). */
static void run_cmd(struct run *r, const struct lesson *l, bool quiet,
		    const char *const cmd[])
{
	const char *argv[MAX_ARGS];

	run_start(r, lesson_args(argv, l, quiet, cmd), &l->run);
	run_finish(r);
}

void basic_new_namespaces_inside(const struct lesson *l)
{
	struct run r;
	struct probe p;

	run_cmd(&r, l, true, ARGS(lesson_probe(l)));
	cr_assert_eq(r.code, 0, "%s -- probe exited with %d; %s", l->program, r.code,
		     why(&r));
	p = probe_parse(r.out, &r);
	check_new_namespaces(l, p.ns, "seen from inside (/proc/self/ns)");
	run_free(&r);
}

void basic_new_namespaces_outside(const struct lesson *l)
{
	const char *argv[MAX_ARGS];
	struct ns_id theirs[NS_COUNT] = {{0, 0}};
	struct run r;
	struct probe p;
	pid_t child;

	run_hold(&r, lesson_args(argv, l, true, ARGS(lesson_probe(l), "--hold")), &l->run);
	child = find_descendant(r.pid, "nslab-probe", 2.0);
	cr_assert_gt(child, 0, "cannot find the command among the lesson's children");
	for (int i = 0; i < NS_COUNT; i++)
		ns_of(child, ns_names[i], &theirs[i]);
	check_new_namespaces(l, theirs, "seen from outside (/proc/PID/ns)");

	/* What ls -l shows agrees with stat(), and with the probe inside. */
	p = probe_parse(r.out, &r);
	for (int i = 0; i < NS_COUNT; i++) {
		char path[64], link[64];
		ssize_t n;

		if (!theirs[i].ino)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)child, ns_names[i]);
		n = readlink(path, link, sizeof(link) - 1);
		cr_assert_gt(n, 0, "readlink(%s) failed", path);
		link[n] = '\0';
		cr_assert_str_eq(link, ns_link(ns_names[i], theirs[i]),
				 "readlink and stat disagree about %s", path);
		cr_assert(ns_same(p.ns[i], theirs[i]), "the probe inside and "
			  "/proc/PID/ns outside disagree about %s", ns_names[i]);
	}
	run_finish(&r);
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	run_free(&r);
}

void basic_exit_status(const struct lesson *l)
{
	/* Not 1 or 2: the program's own failures and usage errors. */
	int want = random_between(3, 120);
	char code[8];
	struct run r;

	snprintf(code, sizeof(code), "%d", want);
	run_cmd(&r, l, true, ARGS(lesson_probe(l), "--exit", code));
	cr_assert_eq(r.code, want, "the command exited with %d, %s with %d: return "
		     "the child's exit status; %s", want, l->program, r.code, why(&r));
	run_free(&r);
}

void basic_death_by_signal(const struct lesson *l)
{
	static const int sigs[] = {SIGTERM, SIGUSR1, SIGHUP, SIGUSR2, SIGALRM};
	int sig = sigs[random_between(0, 4)];
	char num[8];
	struct run r;

	snprintf(num, sizeof(num), "%d", sig);
	run_cmd(&r, l, true, ARGS(lesson_probe(l), "--signal", num));
	cr_assert_eq(r.code, 128 + sig, "signal %d killed the command; %s should exit "
		     "with 128+%d = %d, not %d; %s", sig, l->program, sig, 128 + sig,
		     r.code, why(&r));
	run_free(&r);
}

void basic_missing_command(const struct lesson *l)
{
	char cmd[40];
	struct run r;

	random_name(cmd, sizeof(cmd), "/nonexistent/cmd-", 24);
	run_cmd(&r, l, true, ARGS(cmd));
	cr_assert_eq(r.code, 127, "a command that does not exist should give 127, "
		     "got %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, cmd), "the error should name the command; %s", why(&r));
	run_free(&r);
}

void basic_command_not_executable(const struct lesson *l)
{
	char path[] = "/tmp/nslab-not-executable-XXXXXX";
	const char *cmd = l->not_executable;
	struct run r;
	int fd = -1;

	/* There, and not executable (not even by root): EACCES. */
	if (!cmd) {
		fd = mkstemp(path);
		cr_assert_neq(fd, -1, "mkstemp: %s", strerror(errno));
		fchmod(fd, 0644);
		close(fd);
		cmd = path;
	}
	run_cmd(&r, l, true, ARGS(cmd));
	if (fd != -1)
		unlink(path);
	cr_assert_eq(r.code, 126, "a command that is not executable should give 126, "
		     "got %d; %s", r.code, why(&r));
	cr_assert(strstr(r.err, cmd), "the error should name the command; %s", why(&r));
	run_free(&r);
}

void basic_bad_usage(const struct lesson *l)
{
	struct run r;
	const char *argv[MAX_ARGS] = {"--this-is-no-option"};
	size_t n = 0;

	lesson_args(argv + 1, l, true, ARGS(lesson_probe(l)));
	run_start(&r, argv, &l->run);
	run_finish(&r);
	cr_assert_eq(r.code, 2, "an unknown option should exit 2, got %d; %s", r.code,
		     why(&r));
	cr_assert(strstr(r.err, "Usage"), "print the usage on stderr; %s", why(&r));
	cr_assert(!strstr(r.out, "nslab-probe report"), "the command ran anyway");
	run_free(&r);
	if (!l->needs_arg)
		return;

	/* The option that takes an argument, given last and without one. */
	for (const char *const *o = l->opts; o && *o; o++)
		argv[n++] = *o;
	argv[n++] = l->needs_arg;
	argv[n] = NULL;
	run_start(&r, argv, &l->run);
	run_finish(&r);
	cr_assert_eq(r.code, 2, "%s without its argument should exit 2, got %d; %s",
		     l->needs_arg, r.code, why(&r));
	cr_assert(strstr(r.err, "Usage"), "print the usage on stderr; %s", why(&r));
	run_free(&r);
}

void basic_account(const struct lesson *l)
{
	struct run r, q;
	struct probe p;
	char *list = strdup(l->new_ns), *name, *save = NULL;

	run_cmd(&r, l, false, ARGS(lesson_probe(l)));
	cr_assert_eq(r.code, 0, "exit status %d; %s", r.code, why(&r));
	p = probe_parse(r.out, &r);
	for (name = strtok_r(list, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		const char *inside = ns_link(name, p.ns[ns_index(name)]);
		const char *outside = ns_link(name, my_ns(name));

		cr_assert(strstr(r.err, inside), "without -q, stderr should show the "
			  "child's %s namespace as %s; %s", name, inside, why(&r));
		cr_assert(strstr(r.err, outside), "without -q, stderr should show the "
			  "parent's %s namespace as %s; %s", name, outside, why(&r));
	}
	free(list);
	if (l->account_says)
		cr_assert(strstr(r.err, l->account_says), "without -q, stderr should "
			  "tell what the lesson does, with \"%s\"; %s", l->account_says,
			  why(&r));

	run_cmd(&q, l, true, ARGS(lesson_probe(l)));
	cr_assert_eq(q.code, 0, "exit status %d with -q; %s", q.code, why(&q));
	cr_assert_str_empty(q.err, "-q should silence the account; %s", why(&q));
	run_free(&r);
	run_free(&q);
}

void basic_without_root(const struct lesson *l)
{
	struct lesson user = *l;
	struct run r;

	if (geteuid() != 0)
		cr_skip_test("needs root to choose an ordinary user to run as");
	if (!user.run.uid)
		user.run.uid = user.run.gid = test_uid();
	run_cmd(&r, &user, true, ARGS(lesson_probe(l)));
	if (!l->needs_root) {
		cr_assert_eq(r.code, 0, "as an ordinary user (uid %u), %s should work: "
			     "it needs no privilege; %s", (unsigned)user.run.uid,
			     l->program, why(&r));
		run_free(&r);
		return;
	}
	cr_assert(r.code != 0 && r.code < 126, "as an ordinary user %s should fail "
		  "clearly, got status %d", l->program, r.code);
	cr_assert(strstr(r.err, "sudo"), "the error should say how to run it (sudo); %s",
		  why(&r));
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		  "the error should be one line; %s", why(&r));
	run_free(&r);
}

void basic_sigkill_mid_run(const struct lesson *l)
{
	const char *argv[MAX_ARGS];
	struct run r;

	run_hold(&r, lesson_args(argv, l, true, ARGS(lesson_probe(l), "--hold")), &l->run);
	/* run_kill fails the test if any process or change survives. */
	run_kill(&r, SIGKILL);
	cr_assert_eq(r.code, 128 + SIGKILL, "the lesson was killed, yet exited %d",
		     r.code);
	run_free(&r);
}

/* What the command starts in the background is not the lesson's child:
 * PR_SET_PDEATHSIG is cleared in a forked child, so after a SIGKILL of
 * the launcher a `sleep &` of the command lives on, and keeps the
 * lesson's namespaces alive. Nothing of them may show on the host while
 * it does (a veth end, a mount, a hostname); and where the lesson makes
 * a PID namespace, the survivor dies with the namespace's init. */
void basic_background_child(const struct lesson *l)
{
	const char *argv[MAX_ARGS];
	char script[600];
	bool pidns = listed(l->new_ns, "pid");
	pid_t left[16];
	size_t nleft;
	struct run r;

	snprintf(script, sizeof(script), "sleep 300 & exec %s --hold", lesson_probe(l));
	run_hold(&r, lesson_args(argv, l, true, ARGS("/bin/sh", "-c", script)), &l->run);
	cr_assert_gt(find_descendant(r.pid, "sleep", RUN_TIMEOUT), 0,
		     "the command's background sleep never started; %s", why(&r));
	kill(r.pid, SIGKILL);
	for (double end = now() + RUN_TIMEOUT; !r.reaped && now() < end; nap(0.01)) {
		int status;

		if (waitpid(r.pid, &status, WNOHANG) == r.pid)
			r.reaped = true;
	}
	cr_assert(r.reaped, "the lesson did not die of SIGKILL");
	/* While whatever survived is still alive: the host is as it was. */
	snprintf(run_context, sizeof(run_context), " after a SIGKILL while the "
		 "command had a background child");
	assert_host_state(state_before, run_context);
	if (pidns) {
		/* The namespace's init died with the launcher: the kernel
		 * kills every other process of the namespace. */
		check_leftovers();
	} else {
		/* The survivors are ours (we are a subreaper): kill them down
		 * to the last, as each death hands us its children, until
		 * none is left. */
		for (double end = now() + RUN_TIMEOUT; now() < end; nap(0.01)) {
			reap_zombies();
			nleft = leftover_children(left, 16);
			if (nleft == 0)
				break;
			for (size_t i = 0; i < nleft; i++)
				kill(left[i], SIGKILL);
		}
	}
	run_context[0] = '\0';
	r.code = 128 + SIGKILL;
	r.status = SIGKILL;
	if (r.in_fd != -1)
		close(r.in_fd);
	if (r.out_fd != -1)
		close(r.out_fd);
	if (r.err_fd != -1)
		close(r.err_fd);
	run_free(&r);
}

void basic_kill_points(const struct lesson *l)
{
	const char *argv[MAX_ARGS];

	check_kill_points(lesson_args(argv, l, true, ARGS(lesson_probe(l), "--hold")),
			  &l->run, 24);
}

/* As `make lessonNN` runs a lesson for an ordinary user (tools/run-lesson):
 * lessons that need root inside a user namespace of their own where that
 * user is root (with a network namespace too for the ones that need it,
 * run.rootless_net), the others as they are. */
void basic_rootless(const struct lesson *l)
{
	struct lesson user = *l;
	struct run r;
	struct probe p;

	if (geteuid() != 0)
		cr_skip_test("needs root to choose an ordinary user to run as");
	if (!user.run.uid)
		user.run.uid = user.run.gid = test_uid();
	user.run.rootless = l->needs_root;
	run_cmd(&r, &user, true, ARGS(lesson_probe(l)));
	cr_assert_eq(r.code, 0, "as an ordinary user (uid %u)%s, %s exited with %d; "
		     "%s", (unsigned)user.run.uid, l->needs_root ? ", in a user "
		     "namespace of its own as make runs it" : "", l->program, r.code,
		     why(&r));
	p = probe_parse(r.out, &r);
	for (int i = 0; i < NS_COUNT; i++)
		if (listed(l->new_ns, ns_names[i]))
			cr_assert(!ns_same(p.ns[i], my_ns(ns_names[i])), "run by an "
				  "ordinary user, the command still shares the test's %s "
				  "namespace", ns_names[i]);
	run_free(&r);
}

void check_bad_inputs(const struct lesson *l, const struct bad_input *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char shown[256] = "";
		struct run r;

		for (const char *const *a = rows[i].args; *a; a++)
			snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown),
				 " '%s'", *a);
		run_start(&r, rows[i].args, &l->run);
		run_finish(&r);
		cr_assert_eq(r.code, rows[i].code, "%s%s should exit with %d, not %d; %s",
			     l->program, shown, rows[i].code, r.code, why(&r));
		cr_assert(strstr(r.err, rows[i].says), "%s%s: the error should say "
			  "\"%s\"; %s", l->program, shown, rows[i].says, why(&r));
		cr_assert(!strstr(r.out, "nslab-probe report"), "%s%s: the command "
			  "ran anyway", l->program, shown);
		run_free(&r);
	}
}
