/* config — parsing and validating settings, naming the bad one.
 *
 * Flags, then environment, then defaults: every setting is parsed by these
 * helpers, and a bad value is an error message naming the key and the range
 * it must be in, written into the caller's err[CONFIG_ERR_LEN]. */
#ifndef CORRAL_CONFIG_H
#define CORRAL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_ERR_LEN 256

/* Parses a whole decimal number in [min, max]. Returns 0 or -EINVAL with err. */
int config_parse_u64(const char *key, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out, char err[CONFIG_ERR_LEN]);
/* true/false/1/0/yes/no/on/off. Returns 0 or -EINVAL with err. */
int config_parse_bool(const char *key, const char *s, bool *out, char err[CONFIG_ERR_LEN]);

/* The limits one execution runs under, with their ranges. */
#define CONFIG_TIMEOUT_MS_MIN 1
#define CONFIG_TIMEOUT_MS_MAX 300000
#define CONFIG_MEMORY_MB_MIN 32
#define CONFIG_MEMORY_MB_MAX 65536
#define CONFIG_OUTPUT_MIN 1024
#define CONFIG_OUTPUT_MAX (64u << 20)

#endif
