#include "common/clock.h"

#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void) { return read_clock(CLOCK_MONOTONIC); }
uint64_t clock_process_cpu_ns(void) { return read_clock(CLOCK_PROCESS_CPUTIME_ID); }
uint64_t clock_thread_cpu_ns(void) { return read_clock(CLOCK_THREAD_CPUTIME_ID); }
double clock_ns_to_ms(uint64_t ns) { return (double)ns / 1e6; }
int64_t clock_real_ms(void) { return (int64_t)(read_clock(CLOCK_REALTIME) / 1000000ull); }
