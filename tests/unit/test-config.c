/* test-config — parsing settings: whole numbers in a range, booleans, and an
 * error message that names the key and the range. */
#include "common/config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void accepts(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	char err[CONFIG_ERR_LEN] = "";
	uint64_t v = SENTINEL;
	int rc = config_parse_u64("k", s, min, max, &v, err);
	ok(rc == 0 && v == want, "u64 '%s' in [%llu, %llu] = %llu", s, (unsigned long long)min,
	   (unsigned long long)max, (unsigned long long)want);
	if (rc)
		diag("rc %d, err '%s'", rc, err);
}

/* A rejection returns -EINVAL, leaves *out alone, and says what and where. */
static int rejects(const char *key, const char *s, uint64_t min, uint64_t max)
{
	char err[CONFIG_ERR_LEN] = "";
	char range[64];
	uint64_t v = SENTINEL;
	int rc = config_parse_u64(key, s, min, max, &v, err);
	snprintf(range, sizeof range, "from %llu to %llu", (unsigned long long)min,
		 (unsigned long long)max);
	int pass = rc == -EINVAL && v == SENTINEL && strstr(err, key) && strstr(err, range);
	if (!pass)
		diag("rc %d, out %llu, err '%s'", rc, (unsigned long long)v, err);
	return pass;
}

static void test_u64_accepts(void)
{
	accepts("0", 0, 10, 0);
	accepts("1", CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX, 1);
	accepts("300000", CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX, 300000);
	accepts("32", CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, 32);
	accepts("65536", CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, 65536);
	accepts("1024", CONFIG_OUTPUT_MIN, CONFIG_OUTPUT_MAX, 1024);
	accepts("67108864", CONFIG_OUTPUT_MIN, CONFIG_OUTPUT_MAX, 64u << 20);
	accepts("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	accepts("007", 0, 10, 7);
	accepts("5", 5, 5, 5);
}

static void test_u64_rejects(void)
{
	ok(rejects("timeout_ms", "", 1, 300000), "empty string rejected");
	ok(rejects("timeout_ms", NULL, 1, 300000), "NULL rejected");
	ok(rejects("timeout_ms", "-1", 0, UINT64_MAX), "'-1' rejected even with max UINT64_MAX");
	ok(rejects("timeout_ms", "-0", 0, 10), "'-0' rejected");
	ok(rejects("timeout_ms", "+5", 0, 10), "'+5' rejected");
	ok(rejects("timeout_ms", " 5", 0, 10), "leading space rejected");
	ok(rejects("timeout_ms", "5 ", 0, 10), "trailing space rejected");
	ok(rejects("timeout_ms", "5x", 0, 10), "trailing junk rejected");
	ok(rejects("timeout_ms", "5\n", 0, 10), "trailing newline rejected");
	ok(rejects("timeout_ms", "0x10", 0, 100), "hex rejected");
	ok(rejects("timeout_ms", "1.5", 0, 10), "fraction rejected");
	ok(rejects("timeout_ms", "1e3", 0, 10000), "exponent rejected");
	ok(rejects("timeout_ms", "abc", 0, 10), "letters rejected");
	ok(rejects("timeout_ms", "99999999999999999999", 0, UINT64_MAX), "overflow rejected");
	ok(rejects("timeout_ms", "18446744073709551616", 0, UINT64_MAX), "2^64 rejected");
	ok(rejects("timeout_ms", "0", CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX), "below min rejected");
	ok(rejects("timeout_ms", "300001", CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX), "above max rejected");
	ok(rejects("memory_mb", "31", CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX), "memory below min rejected");
	ok(rejects("memory_mb", "65537", CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX), "memory above max rejected");

	/* strtoull skips any leading isspace(), and config.c only refuses ' '. */
	ok(rejects("timeout_ms", "\t5", 0, 10), "leading tab rejected");
	ok(rejects("timeout_ms", "\n5", 0, 10), "leading newline rejected");
	ok(rejects("timeout_ms", "\t-1", 0, UINT64_MAX), "'\\t-1' rejected (strtoull wraps it to 2^64-1)");
}

static void test_u64_message(void)
{
	char err[CONFIG_ERR_LEN] = "";
	uint64_t v;
	config_parse_u64("CORRAL_TIMEOUT_MS", "abc", 1, 300000, &v, err);
	is_str(err, "CORRAL_TIMEOUT_MS must be a whole number from 1 to 300000 (got 'abc')",
	       "the message names the key, the range and the value");
	config_parse_u64("timeout_ms", NULL, 1, 2, &v, err);
	is_str(err, "timeout_ms must be a whole number from 1 to 2 (got '')", "NULL shows as ''");

	/* A long value is cut to fit, never written past err. */
	struct {
		char err[CONFIG_ERR_LEN];
		char canary[16];
	} e;
	char big[2000];
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memset(e.canary, 0x77, sizeof e.canary);
	int rc = config_parse_u64("k", big, 0, 10, &v, e.err);
	int canary_ok = 1;
	for (size_t i = 0; i < sizeof e.canary; i++)
		canary_ok &= e.canary[i] == 0x77;
	ok(rc == -EINVAL && strlen(e.err) == CONFIG_ERR_LEN - 1 && canary_ok,
	   "a 2000-byte value is truncated inside err[CONFIG_ERR_LEN]");
}

static void test_bool(void)
{
	static const char *yes[] = { "1", "true", "yes", "on", "TRUE", "Yes", "oN" };
	static const char *no[] = { "0", "false", "no", "off", "FALSE", "No", "OFF" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		char err[CONFIG_ERR_LEN] = "";
		bool v = false;
		ok(config_parse_bool("k", yes[i], &v, err) == 0 && v, "bool '%s' is true", yes[i]);
	}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		char err[CONFIG_ERR_LEN] = "";
		bool v = true;
		ok(config_parse_bool("k", no[i], &v, err) == 0 && !v, "bool '%s' is false", no[i]);
	}
	static const char *bad[] = { "", "2", "truee", " true", "true ", "y", "n", "enabled", "-1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[CONFIG_ERR_LEN] = "";
		bool v = true;
		int rc = config_parse_bool("debug", bad[i], &v, err);
		ok(rc == -EINVAL && v && strstr(err, "debug"), "bool '%s' rejected, out untouched", bad[i]);
	}
	char err[CONFIG_ERR_LEN] = "";
	bool v = true;
	is_int(config_parse_bool("debug", NULL, &v, err), -EINVAL, "bool NULL rejected");
	config_parse_bool("CORRAL_DEBUG", "maybe", &v, err);
	is_str(err, "CORRAL_DEBUG must be true or false (got 'maybe')", "bool message names the key and the value");
}

static void test_ranges(void)
{
	ok(CONFIG_TIMEOUT_MS_MIN <= CONFIG_TIMEOUT_MS_MAX && CONFIG_MEMORY_MB_MIN <= CONFIG_MEMORY_MB_MAX &&
	   CONFIG_OUTPUT_MIN <= CONFIG_OUTPUT_MAX, "every range has min <= max");
}

int main(void)
{
	test_u64_accepts();
	test_u64_rejects();
	test_u64_message();
	test_bool();
	test_ranges();
	return done_testing();
}
