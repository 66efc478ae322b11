/* clock — monotonic and CPU clocks in the units corral reports. */
#ifndef CORRAL_CLOCK_H
#define CORRAL_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_process_cpu_ns(void);
uint64_t clock_thread_cpu_ns(void);
double clock_ns_to_ms(uint64_t ns);
/* Unix time in milliseconds. */
int64_t clock_real_ms(void);

#endif
