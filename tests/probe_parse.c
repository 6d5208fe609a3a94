/* probe_parse.c - reading the probe's report (tests/probe.c, harness.h).
 */
#define _GNU_SOURCE
#include "harness_internal.h"

/* ---- the probe's report ---------------------------------------------- */

struct probe probe_parse(const char *text, const struct run *r)
{
	struct probe p;
	const char *start = strstr(text, "nslab-probe report\n");
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
				p.ns[i] = (struct nsid){(dev_t)dev, (ino_t)ino};
		} else if (sscanf(line, "hostname %71[^\n]", p.hostname) == 1 ||
			   sscanf(line, "domainname %71[^\n]", p.domainname) == 1) {
			continue;
		} else if (sscanf(line, "pid %ld", &v) == 1) {
			p.pid = v;
		} else if (sscanf(line, "ppid %ld", &v) == 1) {
			p.ppid = v;
		} else if (sscanf(line, "uid %ld", &v) == 1) {
			p.uid = v;
		} else if (sscanf(line, "euid %ld", &v) == 1) {
			p.euid = v;
		} else if (sscanf(line, "gid %ld", &v) == 1) {
			p.gid = v;
		} else if (sscanf(line, "egid %ld", &v) == 1) {
			p.egid = v;
		}
	}
	free(copy);
	cr_assert(p.valid, "the probe's report was cut short; %s", why(r));
	return p;
}
