/* probe_parse.c - reading the probe's report (tests/probe.c, harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* ---- the probe's report ---------------------------------------------- */

struct probe probe_parse(const char *text, const struct run *r)
{
	struct probe p;
	const char *start = strstr(text, "nslab-probe report\n");
	/* "pid N", "ppid N"...: the numbers, in the order of struct probe. */
	static const char *const id_keys[] = {"pid", "ppid", "uid",
					      "euid", "gid", "egid"};
	long ids[6] = {0};
	char *copy, *line, *save = NULL;

	memset(&p, 0, sizeof(p));
	cr_assert_not_null(start,
			   "the command inside never reported (the probe printed "
			   "nothing); %s", why(r));
	copy = strdup(start);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long long dev, ino;
		long v;

		if (strcmp(line, "end") == 0) {
			p.valid = true;
			break;
		}
		if (sscanf(line, "ns %31s %llu %llu", name, &dev, &ino) == 3) {
			int i = ns_index(name);

			if (i >= 0)
				p.ns[i] = (struct ns_id){(dev_t)dev, (ino_t)ino};
		} else if (sscanf(line, "hostname %71[^\n]", p.hostname) == 1 ||
			   sscanf(line, "domainname %71[^\n]", p.domainname) == 1) {
			continue;
		} else if (sscanf(line, "%31s %ld", name, &v) == 2) {
			for (size_t i = 0; i < sizeof(id_keys) / sizeof(id_keys[0]); i++)
				if (strcmp(name, id_keys[i]) == 0)
					ids[i] = v;
		}
	}
	free(copy);
	p.pid = (pid_t)ids[0];
	p.ppid = (pid_t)ids[1];
	p.uid = (uid_t)ids[2];
	p.euid = (uid_t)ids[3];
	p.gid = (gid_t)ids[4];
	p.egid = (gid_t)ids[5];
	cr_assert(p.valid, "the probe's report was cut short; %s", why(r));
	return p;
}
