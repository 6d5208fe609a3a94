/* limit_options.h - Docker's values for the limits of lessons 07 and 09:
 * --memory, --cpus and --pids-limit take what `docker run` takes.
 *
 * A bad value is bad usage: each function exits 2 (EXIT_USAGE) with a
 * message that names `option` and says what it takes, as getopt's own
 * errors do; a good one is returned.
 */
#ifndef NSLAB_LIMIT_OPTIONS_H
#define NSLAB_LIMIT_OPTIONS_H

/* "64M": bytes, with a K, M or G suffix (powers of 1024; b or none:
 * bytes). */
long long cg_parse_size(const char *option, const char *value);
/* "1.5": CPUs' worth of time, from 0.01 to 1024. */
double cg_parse_cpus(const char *option, const char *value);
/* A process count, 1 or more. */
long cg_parse_count(const char *option, const char *value);

#endif
