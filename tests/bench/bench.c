/* Alternating-pairs timer for tests/bench/run.sh: runs command A and command B
 * one after the other N times (A first on even rounds, B first on odd ones),
 * each as a fresh child, and prints one line:
 *   LABEL wall_a_us wall_b_us cpu_a_us cpu_b_us rss_a_kb rss_b_kb ratio cpu_ratio
 * where the times are medians over the N runs, ratio and cpu_ratio are the
 * medians of the per-pair ratios A/B of wall and of CPU time (user + system,
 * steadier on a loaded machine) and rss the largest peak RSS seen.
 * Before every run, --reset SRC DST copies SRC over DST (not timed).
 * --env-a NAME=VALUE and --env-b NAME=VALUE set one variable in the
 * environment of A's runs or of B's only (tests/bench/rules.sh gives each
 * side its own BULKHEAD_CONFIG).
 * Usage: bench LABEL N [--reset SRC DST] [--env-a N=V] [--env-b N=V] -- A... -- B... */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void reset(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.bench-tmp", dst);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) != 0 ||
	    sendfile(out, in, NULL, (size_t)st.st_size) != st.st_size || rename(tmp, dst) != 0) {
		perror("bench: reset");
		exit(2);
	}
	close(in);
	close(out);
}

struct sample
{
	double wall, cpu;
	long rss;
};

static struct sample run(char **argv, char *env)
{
	struct timespec s, e;
	clock_gettime(CLOCK_MONOTONIC, &s);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		if (env != NULL && putenv(env) != 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
		perror("bench: wait4");
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &e);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s failed (status %d)\n", argv[0], status);
		exit(1);
	}
	struct sample out;
	out.wall = (double)(e.tv_sec - s.tv_sec) * 1e6 + (double)(e.tv_nsec - s.tv_nsec) / 1e3;
	out.cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	out.rss = ru.ru_maxrss;
	return out;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr,
		        "usage: bench LABEL N [--reset SRC DST] [--env-a N=V] [--env-b N=V] "
		        "-- A... -- B...\n");
		return 2;
	}
	const char *label = argv[1];
	int n = atoi(argv[2]), i = 3;
	const char *src = NULL, *dst = NULL;
	char *enva = NULL, *envb = NULL;
	for (;;) {
		if (i + 2 < argc && strcmp(argv[i], "--reset") == 0) {
			src = argv[i + 1];
			dst = argv[i + 2];
			i += 3;
		} else if (i + 1 < argc && strcmp(argv[i], "--env-a") == 0) {
			enva = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && strcmp(argv[i], "--env-b") == 0) {
			envb = argv[i + 1];
			i += 2;
		} else {
			break;
		}
	}
	if (n < 1 || i >= argc || strcmp(argv[i], "--") != 0)
		return 2;
	char **a = &argv[i + 1], **b = NULL;
	for (int k = i + 1; k < argc; k++)
		if (strcmp(argv[k], "--") == 0) {
			argv[k] = NULL;
			b = &argv[k + 1];
			break;
		}
	if (b == NULL || *b == NULL || *a == NULL)
		return 2;
	double *wa = calloc((size_t)n, sizeof(double)), *wb = calloc((size_t)n, sizeof(double));
	double *ca = calloc((size_t)n, sizeof(double)), *cb = calloc((size_t)n, sizeof(double));
	double *r = calloc((size_t)n, sizeof(double)), *rc = calloc((size_t)n, sizeof(double));
	long ra = 0, rb = 0;
	for (int k = 0; k < n; k++) {
		struct sample x = {0, 0, 0}, y = {0, 0, 0};
		for (int t = 0; t < 2; t++) {
			int first = (k + t) % 2 == 0;
			if (src)
				reset(src, dst);
			if (first)
				x = run(a, enva);
			else
				y = run(b, envb);
		}
		wa[k] = x.wall;
		wb[k] = y.wall;
		ca[k] = x.cpu;
		cb[k] = y.cpu;
		r[k] = x.wall / y.wall;
		rc[k] = x.cpu / (y.cpu > 0 ? y.cpu : 1);
		ra = x.rss > ra ? x.rss : ra;
		rb = y.rss > rb ? y.rss : rb;
	}
	printf("%s %.0f %.0f %.0f %.0f %ld %ld %.2f %.2f\n", label, median(wa, n), median(wb, n),
	       median(ca, n), median(cb, n), ra, rb, median(r, n), median(rc, n));
	return 0;
}
