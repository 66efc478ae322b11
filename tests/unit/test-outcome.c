/* test-outcome — the outcome table: names round-trip, exit codes are the
 * documented ones, and nothing else parses. */
#include "common/outcome.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

static const struct {
	enum outcome o;
	const char *name;
	int exit_code;
} want[] = {
	{ OUTCOME_OK, "ok", 0 },
	{ OUTCOME_ERROR, "error", 1 },
	{ OUTCOME_TIMEOUT, "timeout", 124 },
	{ OUTCOME_MEMORY_LIMIT, "memory_limit", 137 },
	{ OUTCOME_OUTPUT_LIMIT, "output_limit", 125 },
	{ OUTCOME_KILLED, "killed", 125 },
	{ OUTCOME_REJECTED, "rejected", 2 },
	{ OUTCOME_INTERNAL, "internal", 125 },
	{ OUTCOME_CANCELLED, "cancelled", 130 },
};

static void test_table(void)
{
	is_int(OUTCOME__COUNT, sizeof want / sizeof *want, "every outcome is listed here");
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		is_str(outcome_name(want[i].o), want[i].name, "name of outcome %d", (int)want[i].o);
		is_int(outcome_exit_code(want[i].o), want[i].exit_code, "%s exits %d", want[i].name,
		       want[i].exit_code);
	}
}

static void test_round_trip(void)
{
	for (int i = 0; i < OUTCOME__COUNT; i++) {
		enum outcome o = OUTCOME__COUNT;
		const char *name = outcome_name((enum outcome)i);
		ok(outcome_parse(name, &o) == 0 && o == (enum outcome)i, "'%s' parses back to %d", name, i);
		const char *m = outcome_meaning((enum outcome)i);
		ok(m && *m, "'%s' has a meaning", name);
	}
	int unique = 1;
	for (int i = 0; i < OUTCOME__COUNT; i++)
		for (int j = i + 1; j < OUTCOME__COUNT; j++)
			unique &= strcmp(outcome_name((enum outcome)i), outcome_name((enum outcome)j)) != 0;
	ok(unique, "names are unique");
	int distinct = 1;
	for (int i = 0; i < OUTCOME__COUNT; i++) {
		int x = outcome_exit_code((enum outcome)i);
		distinct &= x >= 0 && x <= 255;
		for (int j = i + 1; j < OUTCOME__COUNT && x != 125; j++)
			distinct &= x != outcome_exit_code((enum outcome)j);
	}
	ok(distinct, "exit codes fit a byte and only 125 is shared");
}

static void test_unknown(void)
{
	static const char *bad[] = { "", "OK", "Ok", "ok ", " ok", "okay", "internal\n",
				     "memory-limit", "memorylimit", "timeout_", "signal" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		enum outcome o = OUTCOME_ERROR;
		int rc = outcome_parse(bad[i], &o);
		ok(rc == -EINVAL && o == OUTCOME_ERROR, "unknown name '%s' rejected, out untouched", bad[i]);
	}
	is_str(outcome_name(OUTCOME__COUNT), "internal", "an out-of-range outcome is named internal");
	is_str(outcome_name((enum outcome)-1), "internal", "a negative outcome is named internal");
	is_int(outcome_exit_code(OUTCOME__COUNT), 125, "an out-of-range outcome exits 125");
	is_str(outcome_meaning((enum outcome)1000), "", "an out-of-range outcome has no meaning");
}

int main(void)
{
	test_table();
	test_round_trip();
	test_unknown();
	return done_testing();
}
