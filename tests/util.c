/* util.c - small utilities, namespace identity and process lookups of the
 * test harness (harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* Set by harness_setup when the test runs in throwaway namespaces. */
bool isolated;

const char *const ns_names[NS_COUNT] = {"cgroup", "ipc", "mnt",  "net",
					"pid",    "time", "user", "uts"};

/* ---- small utilities ------------------------------------------------- */

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void nap(double seconds)
{
	struct timespec ts = {(time_t)seconds,
			      (long)((seconds - (time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, size = 4096;
	char *buf;
	ssize_t n;

	if (fd == -1)
		return NULL;
	buf = malloc(size);
	while (buf && (n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len < 2) {
			char *bigger = realloc(buf, size *= 2);

			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

void __attribute__((format(printf, 2, 3)))
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->size - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->s ? sb->s + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			sb->len += n;
			return;
		}
		sb->size = sb->size * 2 + n + 64;
		sb->s = realloc(sb->s, sb->size);
		cr_assert_not_null(sb->s, "out of memory");
	}
}

void random_name(char *buf, size_t size, const char *prefix, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[128];
	size_t i = strlen(prefix);

	cr_assert(len < size && len <= sizeof(bytes) && i <= len);
	cr_assert_eq(getrandom(bytes, sizeof(bytes), 0), (ssize_t)sizeof(bytes));
	memcpy(buf, prefix, i);
	for (; i < len; i++)
		buf[i] = hex[bytes[i] & 15];
	buf[len] = '\0';
}

int random_between(int lo, int hi)
{
	unsigned int r;

	cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
	return lo + (int)(r % (unsigned int)(hi - lo + 1));
}

/* ---- namespaces ------------------------------------------------------ */

bool ns_of(pid_t pid, const char *name, struct ns_id *id)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(path, &st) == -1)
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return true;
}

bool ns_same(struct ns_id a, struct ns_id b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

struct ns_id my_ns(const char *name)
{
	struct ns_id id = {0, 0};

	cr_assert(ns_of(getpid(), name, &id), "cannot stat /proc/self/ns/%s: %s",
		  name, strerror(errno));
	return id;
}

int ns_index(const char *name)
{
	for (int i = 0; i < NS_COUNT; i++)
		if (strcmp(ns_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- processes ------------------------------------------------------- */

long stat_field(pid_t pid, int n)
{
	char path[64], *text, *p;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(text = slurp(path)))
		return -1;
	/* Field 2, the command in parentheses, may hold spaces: count the
	 * fields from its closing parenthesis on (field 3, the state). */
	p = strrchr(text, ')');
	for (int i = 3; p && *++p == ' ' && i <= n; i++) {
		if (i == n)
			v = strtol(p + 1, NULL, 10);
		p = strchrnul(p + 1, ' ') - 1;
	}
	free(text);
	return v;
}

pid_t find_descendant(pid_t root, const char *comm, double timeout)
{
	double end = now() + timeout;

	do {
		pid_t queue[256];
		size_t head = 0, tail = 0;

		queue[tail++] = root;
		while (head < tail) {
			pid_t pid = queue[head++];
			char path[96], *text;
			DIR *d;
			struct dirent *e;

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (pid != root && (text = slurp(path))) {
				bool match = strcmp(strtok(text, "\n") ?: "", comm) == 0;

				free(text);
				if (match)
					return pid;
			}
			snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
			if (!(d = opendir(path)))
				continue;
			while ((e = readdir(d))) {
				char cpath[300];

				if (e->d_name[0] == '.')
					continue;
				snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children",
					 (int)pid, e->d_name);
				text = slurp(cpath);
				for (char *p = text; p && *p && tail < 256;) {
					pid_t c = (pid_t)strtol(p, &p, 10);

					if (c > 0)
						queue[tail++] = c;
					while (*p == ' ')
						p++;
				}
				free(text);
			}
			closedir(d);
		}
		nap(0.01);
	} while (now() < end);
	return 0;
}

const char *status_line(pid_t pid, const char *key, char *buf, size_t size)
{
	char path[64], *text, *next;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	buf[0] = '\0';
	if (!(text = slurp(path)))
		return buf;
	for (char *line = text; *line; line = next) {
		char *end = strchrnul(line, '\n');

		next = *end ? end + 1 : end;
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(buf, size, "%.*s", (int)(end - line), line);
			break;
		}
	}
	free(text);
	return buf;
}

long status_id(pid_t pid, const char *key)
{
	char line[256], *end;
	long id;

	status_line(pid, key, line, sizeof(line));
	if (!line[0])
		return -1;
	id = strtol(line + strlen(key), &end, 10);
	return end == line + strlen(key) ? -1 : id;
}

int run_here(const char *const argv[], char *out, size_t size)
{
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out ? p[1] : null, 1);
		dup2(out ? p[1] : null, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	/* Read to EOF, keeping what fits: a child blocked on a full pipe
	 * would never exit. */
	for (;;) {
		char rest[512];

		n = out && len < size - 1 ? read(p[0], out + len, size - 1 - len)
					  : read(p[0], rest, sizeof(rest));
		if (n <= 0)
			break;
		if (out && len < size - 1)
			len += n;
	}
	if (out)
		out[len] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
