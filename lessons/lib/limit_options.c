/* limit_options.c - Docker's values for the limits (see limit_options.h). */
#define _GNU_SOURCE
#include "limit_options.h"

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "nslab.h"

long long cg_parse_size(const char *option, const char *value)
{
	char *end;
	long long n;
	int shift = 0;

	errno = 0;
	n = strtoll(value, &end, 10);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 'b': case 'B': end++; break;
	}
	if (errno || end == value || *end || n <= 0 || n > (LLONG_MAX >> shift))
		errx(EXIT_USAGE, "%s \"%s\": give a size in bytes, or with a K, M "
		     "or G suffix (64M)", option, value);
	return n << shift;
}

double cg_parse_cpus(const char *option, const char *value)
{
	char *end;
	double n;

	errno = 0;
	n = strtod(value, &end);
	/* The kernel's smallest quota is 1 ms per period: 0.01 CPU. */
	if (errno || end == value || *end || !(n >= 0.01 && n <= 1024))
		errx(EXIT_USAGE, "%s \"%s\": give a number of CPUs from 0.01 to "
		     "1024, such as 0.5 or 1.5", option, value);
	return n;
}

long cg_parse_count(const char *option, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < 1 || n > 4194304)
		errx(EXIT_USAGE, "%s \"%s\": give a number of processes, 1 or more",
		     option, value);
	return n;
}
