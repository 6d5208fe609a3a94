/* run.c - running the program under test: spawn, capture, reap, and the
 * check that it left nothing behind (harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* ---- running the program under test --------------------------------- */

static const char *env_path(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

const char *lesson_bin(void)
{
	return env_path("NSLAB_BIN", "NSLAB_BIN-is-not-set");
}

const char *probe_bin(void)
{
	return env_path("NSLAB_PROBE", "build/tests/nslab-probe");
}

static void append_from(int *fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		*buf = realloc(*buf, *len + n + 1);
		cr_assert_not_null(*buf, "out of memory");
		memcpy(*buf + *len, chunk, n);
		*len += n;
		(*buf)[*len] = '\0';
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
	}
}

/* Poll the output pipes once for at most `timeout` seconds. */
static void pump(struct run *r, double timeout)
{
	struct pollfd p[2] = {{r->out_fd, POLLIN, 0}, {r->err_fd, POLLIN, 0}};

	if (r->out_fd == -1 && r->err_fd == -1) {
		nap(timeout);
		return;
	}
	if (poll(p, 2, (int)(timeout * 1000) + 1) <= 0)
		return;
	if (r->out_fd != -1 && p[0].revents)
		append_from(&r->out_fd, &r->out, &r->out_len);
	if (r->err_fd != -1 && p[1].revents)
		append_from(&r->err_fd, &r->err, &r->err_len);
}

static void try_reap(struct run *r)
{
	if (!r->reaped && waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
		r->reaped = true;
		if (WIFEXITED(r->status))
			r->code = WEXITSTATUS(r->status);
		else if (WIFSIGNALED(r->status))
			r->code = 128 + WTERMSIG(r->status);
	}
}

/* What tools/run-lesson does with `unshare --user --map-root-user`:
 * a user namespace where the caller's uid and gid are root. */
static int enter_rootless(const struct run_opts *o)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int fd;

	if (unshare(CLONE_NEWUSER) == -1)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if ((fd = open("/proc/self/uid_map", O_WRONLY)) == -1 ||
	    write(fd, map, strlen(map)) == -1 || close(fd) == -1)
		return -1;
	if ((fd = open("/proc/self/setgroups", O_WRONLY)) == -1 ||
	    write(fd, "deny", 4) == -1 || close(fd) == -1)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if ((fd = open("/proc/self/gid_map", O_WRONLY)) == -1 ||
	    write(fd, map, strlen(map)) == -1 || close(fd) == -1)
		return -1;
	return o->rootless_net ? unshare(CLONE_NEWNET) : 0;
}

uid_t test_uid(void)
{
	static uid_t uid;

	if (!uid)
		uid = (uid_t)random_between(20000, 60000);
	return uid;
}

void run_start(struct run *r, const char *const args[], const struct run_opts *o)
{
	int in[2], out[2], err[2];
	const char *argv[64];
	size_t n = 0;
	pid_t parent = getpid();

	memset(r, 0, sizeof(*r));
	argv[n++] = lesson_bin();
	for (; args && args[n - 1]; n++) {
		cr_assert(n < 63, "too many arguments");
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;
	r->out = strdup("");
	r->err = strdup("");
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	r->pid = fork();
	cr_assert_neq(r->pid, -1, "fork: %s", strerror(errno));
	if (r->pid == 0) {
		/* Own process group, so the whole tree can be signalled;
		 * dies with the test, so a crashed test leaves nothing. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* All other descriptors are O_CLOEXEC or closed here, but
		 * the one the test hands over as fd 9. */
		if (o && o->leak_fd > 0 && dup2(o->leak_fd, 9) == 9) {
			fcntl(9, F_SETFD, 0);
			close_range(3, 8, 0);
			close_range(10, ~0U, 0);
		} else {
			close_range(3, ~0U, 0);
		}
		if (o && o->gid && (setgroups(0, NULL) == -1 || setgid(o->gid) == -1))
			_exit(125);
		if (o && o->uid && setuid(o->uid) == -1)
			_exit(125);
		/* setuid() made us non-dumpable, which makes /proc/self
		 * root's: undo that so we can write our own id maps. */
		prctl(PR_SET_DUMPABLE, 1);
		if (o && o->rootless && enter_rootless(o) == -1) {
			dprintf(2, "harness: cannot enter a user namespace: %s\n",
				strerror(errno));
			_exit(125);
		}
		/* Changing credentials cleared the parent-death signal. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		if (o && o->traced) {
			/* LeakSanitizer (SANITIZE=1) cannot work under ptrace. */
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		}
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	setpgid(r->pid, r->pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->err_fd = err[0];
	fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
	if (!(o && o->keep_stdin)) {
		close(r->in_fd);
		r->in_fd = -1;
	}
}

bool run_wait_output(struct run *r, const char *needle, double timeout)
{
	double end = now() + timeout;

	while (!strstr(r->out, needle) && now() < end) {
		if (r->out_fd == -1 && r->err_fd == -1) {
			try_reap(r);
			if (r->reaped)
				break;
		}
		pump(r, 0.05);
	}
	return strstr(r->out, needle) != NULL;
}

void run_hold(struct run *r, const char *const args[], const struct run_opts *o)
{
	struct run_opts held = o ? *o : (struct run_opts){0};

	held.keep_stdin = true;
	run_start(r, args, &held);
	cr_assert(run_wait_output(r, "ready", RUN_TIMEOUT),
		  "the command never printed \"ready\": it never started; %s", why(r));
}

/* Our children (we are a subreaper): pids of the lesson's leftovers.
 * Orphans are reparented to a thread of ours, so look at every thread. */
size_t leftover_children(pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) && n < max) {
		char path[300], *text;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		text = slurp(path);
		for (char *p = text; p && *p && n < max;) {
			pid_t pid = (pid_t)strtol(p, &p, 10);
			bool keep = false;

			for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
				keep |= kept[i] == pid;
			if (pid > 0 && !keep)
				pids[n++] = pid;
			while (*p == ' ')
				p++;
		}
		free(text);
	}
	if (d)
		closedir(d);
	return n;
}

void reap_zombies(void)
{
	int status;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] > 0)
			waitpid(kept[i], &status, WNOHANG); /* harmless */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

/* Under SANITIZE=1, ASan notes once per process that a child of clone()
 * runs on a stack it did not see made; that notice is the tool's, not
 * the lesson's output: take it out of stderr. */
static void drop_asan_stack_notice(char *err)
{
	static const char *const noise[] = {
		"WARNING: ASan is ignoring requested __asan_handle_no_return",
		"False positive error reports may follow",
		"For details see https://github.com/google/sanitizers/issues/189",
	};
	char *line = err;

	while (*line) {
		char *end = strchrnul(line, '\n');
		bool drop = false;

		for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
			drop |= memmem(line, end - line, noise[i], strlen(noise[i])) != NULL;
		if (drop)
			memmove(line, *end ? end + 1 : end, strlen(*end ? end + 1 : end) + 1);
		else
			line = *end ? end + 1 : end;
	}
}

/* Anything the lesson started must be gone with it: every process it
 * left (our children now: we are a subreaper) fails the test, and dies.
 * Give the kernel a moment to deliver parent-death signals. */
void check_leftovers(void)
{
	pid_t left[16];
	size_t nleft;

	for (double grace = now() + 2.0;; nap(0.02)) {
		reap_zombies();
		nleft = leftover_children(left, 16);
		if (nleft == 0 || now() > grace)
			break;
	}
	if (nleft) {
		char comm[64] = "?", path[64], *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)left[0]);
		if ((c = slurp(path))) {
			snprintf(comm, sizeof(comm), "%s", strtok(c, "\n"));
			free(c);
		}
		for (size_t i = 0; i < nleft; i++)
			kill(left[i], SIGKILL);
		reap_zombies();
		cr_assert_fail("%zu process(es) outlived the lesson%s (the first: pid %d, "
			"%s): the child must die with its parent (PR_SET_PDEATHSIG) "
			"and be waited for", nleft, run_context, (int)left[0], comm);
	}
}

void run_finish(struct run *r)
{
	double end = now() + RUN_TIMEOUT;

	if (r->in_fd != -1) {
		close(r->in_fd);
		r->in_fd = -1;
	}
	while (!r->reaped && now() < end) {
		pump(r, 0.05);
		try_reap(r);
	}
	if (!r->reaped) {
		r->timed_out = true;
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, &r->status, 0);
		r->reaped = true;
		r->code = -1;
	}
	/* Drain what the lesson wrote just before it exited. */
	for (double grace = now() + 0.5;
	     (r->out_fd != -1 || r->err_fd != -1) && now() < grace;)
		pump(r, 0.05);
	if (r->out_fd != -1)
		close(r->out_fd);
	if (r->err_fd != -1)
		close(r->err_fd);
	r->out_fd = r->err_fd = -1;
	drop_asan_stack_notice(r->err);
	r->err_len = strlen(r->err);

	check_leftovers();
	cr_assert(!r->timed_out,
		  "the program did not finish within %.0f s and was killed; %s",
		  RUN_TIMEOUT, why(r));
	/* Under SANITIZE=1 a report must fail the test, whatever the status. */
	cr_assert(!strstr(r->err, "AddressSanitizer") && !strstr(r->err, "LeakSanitizer") &&
		  !strstr(r->err, "runtime error:"),
		  "the sanitizers found a bug: %s", why(r));
	if (state_before)
		assert_host_state(state_before, *run_context ? run_context
							    : "after the lesson ran");
}

void run_kill(struct run *r, int sig)
{
	kill(r->pid, sig);
	/* Reap the lesson, then look for what it left while the command's
	 * stdin is still open: a `probe --hold` that outlives the lesson
	 * stays, unless the kernel killed it with its parent. */
	for (double end = now() + RUN_TIMEOUT; !r->reaped && now() < end;) {
		pump(r, 0.05);
		try_reap(r);
	}
	if (r->reaped)
		check_leftovers();
	run_finish(r);
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void run_lesson(struct run *r, const char *const args[])
{
	run_start(r, args, NULL);
	run_finish(r);
}

void run_lesson_as(struct run *r, const char *const args[], uid_t uid, gid_t gid)
{
	struct run_opts o = {.uid = uid, .gid = gid};

	run_start(r, args, &o);
	run_finish(r);
}

/* The first row of `known` whose symptom shows on the lesson's stderr. */
static const struct symptom *symptom_of(const struct run *r,
					const struct symptom *known, size_t n)
{
	for (size_t i = 0; r->err && i < n; i++)
		if (strstr(r->err, known[i].a) && strstr(r->err, known[i].b))
			return &known[i];
	return NULL;
}

/* Does `line` (up to `end`) hold an error as err(3) prints one: ": "
 * followed by errno's text, or a stub's "not done"? */
static bool holds_error(const char *line, const char *end)
{
	for (const char *p = line; p < end; p++) {
		if (end - p >= 8 && !strncmp(p, "not done", 8))
			return true;
		if (end - p < 3 || p[0] != ':' || p[1] != ' ')
			continue;
		for (int e = 1; e < 134; e++) {
			const char *text = strerror(e);
			size_t n = strlen(text);

			if ((size_t)(end - p - 2) >= n && !strncmp(p + 2, text, n))
				return true;
		}
	}
	return false;
}

/* A quote of a lesson's stderr that fits in `size`: all of it when it
 * fits, else its end from the line that holds the error (the last such
 * line, else the last line) on, with as many lines before it as fit. The
 * first bytes are the account, the error that names the fix comes last:
 * a quote of the start would cut it off. Lines are joined by spaces. */
static void quote_stderr(const char *err, char *buf, size_t size)
{
	const char *end = err + strlen(err), *from, *line = NULL;
	size_t room = size - 8; /* the "..." marks and the NUL */

	while (end > err && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	from = err;
	if ((size_t)(end - err) > room) {
		/* The last line that holds an error, else the last line. */
		for (const char *eol = end; eol > err && !line;) {
			const char *bol = eol;

			while (bol > err && bol[-1] != '\n')
				bol--;
			if (holds_error(bol, eol))
				line = bol;
			eol = bol > err ? bol - 1 : err;
		}
		if (!line) {
			line = end;
			while (line > err && line[-1] != '\n')
				line--;
		}
		from = line;
		/* Lines before it, while they fit. */
		while (from > err) {
			const char *bol = from - 1;

			while (bol > err && bol[-1] != '\n')
				bol--;
			if ((size_t)(end - bol) > room)
				break;
			from = bol;
		}
		if ((size_t)(end - from) > room) {
			/* The line that holds the error is too long alone:
			 * keep its end, where errno's text is. */
			const char *eol = strchrnul(from, '\n');

			end = eol;
			if ((size_t)(end - from) > room)
				from = end - room;
		}
	}
	snprintf(buf, size, "%s%.*s%s", from > err ? "..." : "", (int)(end - from), from,
		 *end && end[strspn(end, "\n ")] ? "..." : "");
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

const char *why(const struct run *r)
{
	static char bufs[4][600];
	static int next;
	char *buf = bufs[next++ % 4];
	char quote[420];
	const char *todo = r->err ? strstr(r->err, "TODO(") : NULL;
	const char *last = todo;

	/* Mistakes whose symptom on stderr is far from their cause. */
	static const struct symptom known[] = {
		{"waitpid", "No child processes", "waitpid() finds no child: a "
		 "child made by clone() without SIGCHLD in its flags does not "
		 "count for waitpid() (clone(2), \"The child termination signal\")"},
	};
	const struct symptom *s = symptom_of(r, known, sizeof(known) / sizeof(known[0]));

	if (s) {
		quote_stderr(r->err, quote, 320);
		snprintf(buf, 600, "%s; its stderr said: \"%s\"", s->fix, quote);
		return buf;
	}
	/* A stub that only warns lets the program go on to a later one,
	 * which stops it: name the last, and the first if they differ. */
	for (const char *p = todo; p && (p = strstr(p + 1, "TODO("));)
		last = p;
	if (todo && last != todo) {
		snprintf(buf, 600, "the program stopped at \"%.*s\": do that step "
			 "(before that it said \"%.*s\")", (int)strcspn(last, "\n"), last,
			 (int)strcspn(todo, "\n"), todo);
	} else if (todo) {
		snprintf(buf, 600, "the program stopped at \"%.*s\": do that step",
			 (int)strcspn(todo, "\n"), todo);
	} else if (r->err && *r->err) {
		quote_stderr(r->err, quote, sizeof(quote));
		snprintf(buf, 600, "its stderr said: \"%s\"", quote);
	} else {
		snprintf(buf, 600, "it printed nothing on stderr (exit status %d)",
			 r->code);
	}
	return buf;
}

const char *why_known(const struct run *r, const struct symptom *known, size_t n)
{
	static char bufs[4][1024];
	static int next;
	const struct symptom *s = symptom_of(r, known, n);
	char *buf = bufs[next++ % 4];

	if (!s)
		return why(r);
	snprintf(buf, 1024, "%s; %s", s->fix, why(r));
	return buf;
}

void require_steps_done(const struct run *r, int steps)
{
	char todo[24];

	for (int n = 1; n <= steps; n++) {
		snprintf(todo, sizeof(todo), "TODO(%d)", n);
		cr_assert(!r->err || !strstr(r->err, todo), "step %d is not done: %s", n,
			  why(r));
	}
}

bool stopped_at_a_later_step(const struct run *r, int step)
{
	const char *last = NULL;

	for (const char *p = r->err; p && (p = strstr(p, "TODO(")); p++)
		last = p;
	return last && atoi(last + 5) > step && r->code != 0;
}
