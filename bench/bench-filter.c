/* bench-filter — filter_buf over 1 MiB of realistic mixed output.
 *
 * The text is log lines (timestamps, ids, paths, latencies, JSON), about
 * one in ten with an e-mail address, plus one card number, one env secret
 * and one AWS key. The filter has 5 env secrets, the built-in patterns and
 * PII on. Prints the median and p95 of 20 runs; the target is 20 ms.
 *
 *   ninja -C build bench-filter && build/bench-filter */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/filter.h"

#define RUNS 20
#define SIZE (1024 * 1024)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void build_text(struct buf *t)
{
	static const char *paths[] = { "/api/users", "/api/orders", "/healthz", "/v1/functions/resize",
				       "/static/app.js" };
	static const char *names[] = { "alice", "bob.smith", "carol+test", "dave", "eve_ops" };
	uint32_t seed = 12345;
	for (unsigned i = 0; t->len < SIZE - 512; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;
		unsigned ms = 1700000000u + i;
		switch (r % 10) {
		case 0:
			buf_printf(t, "2026-11-23T12:%02u:%02u.%03uZ INFO user %s@example.com signed in from 10.0.%u.%u\n",
				   r % 60, (r >> 6) % 60, r % 1000, names[r % 5], r % 256, (r >> 8) % 256);
			break;
		case 1:
			buf_printf(t, "{\"level\":\"debug\",\"ts\":%u123,\"msg\":\"cache miss\",\"key\":\"user:%u\",\"size\":%u}\n",
				   ms, r % 100000, r % 4096);
			break;
		case 2:
			buf_printf(t, "    at Object.handler (/app/src/handlers/%s.js:%u:%u)\n", names[r % 5], r % 400,
				   r % 80);
			break;
		default:
			buf_printf(t, "2026-11-23T12:%02u:%02u.%03uZ INFO request id=%u path=%s/%u status=%u latency_ms=%u.%u\n",
				   r % 60, (r >> 6) % 60, r % 1000, r, paths[r % 5], r % 10000, 200 + (r % 3) * 100,
				   r % 300, r % 10);
		}
		if (i == 5000)
			buf_puts(t, "payment with card 4111 1111 1111 1111 accepted\n");
		if (i == 9000)
			buf_puts(t, "debug: using token sk-live-9f8e7d6c5b4a3928171615141312 for upstream\n");
		if (i == 12000)
			buf_puts(t, "aws: AKIAIOSFODNN7EXAMPLE in region eu-west-1\n");
	}
}

int main(void)
{
	const char *env[] = {
		"DATABASE_URL=postgres://app:Pa55w0rd-x1@db.internal:5432/app",
		"API_TOKEN=sk-live-9f8e7d6c5b4a3928171615141312",
		"STRIPE_SECRET=whsec_abcdefghijklmnop0123456789",
		"SESSION_KEY=3q2+7w==c0ffee-and-more-bytes",
		"SMTP_PASSWORD=correct horse battery staple",
	};
	struct filter_rules *rules;
	char err[FILTER_ERR_LEN];
	if (filter_rules_new(&rules, NULL, true, err, sizeof err)) {
		fprintf(stderr, "bench-filter: %s\n", err);
		return 1;
	}
	struct filter_opts o = { .env = env, .nenv = 5, .rules = { rules }, .nrules = 1, .pii = true };
	struct filter *f;
	if (filter_new(&f, &o)) {
		fprintf(stderr, "bench-filter: filter_new failed\n");
		return 1;
	}
	struct buf text = BUF_INIT(SIZE);
	build_text(&text);

	double ms[RUNS];
	int count = 0;
	for (int i = 0; i < RUNS; i++) {
		struct buf b = BUF_INIT(2 * SIZE);
		buf_append(&b, text.data, text.len);
		double t0 = now_ms();
		count = filter_buf(f, &b);
		ms[i] = now_ms() - t0;
		buf_release(&b);
	}
	qsort(ms, RUNS, sizeof ms[0], cmp_double);
	double median = (ms[RUNS / 2 - 1] + ms[RUNS / 2]) / 2, p95 = ms[(RUNS * 95 + 99) / 100 - 1];
	printf("text: %zu bytes, %d replacements per run\n", text.len, count);
	printf("median %.2f ms, p95 %.2f ms, min %.2f ms, max %.2f ms (%d runs)\n", median, p95, ms[0],
	       ms[RUNS - 1], RUNS);
	printf("filter 1 MiB: median %.2f ms (target <= 20 ms)\n", median);
	buf_release(&text);
	filter_free(f);
	filter_rules_free(rules);
	return 0;
}
