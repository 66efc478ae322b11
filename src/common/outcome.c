#include "common/outcome.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	int exit_code;
	const char *meaning;
} outcomes[] = {
#define OUTCOME_ROW(e, n, x, m) { n, x, m },
	OUTCOME_MAP(OUTCOME_ROW)
#undef OUTCOME_ROW
};

const char *outcome_name(enum outcome o)
{
	return (unsigned)o < OUTCOME__COUNT ? outcomes[o].name : "internal";
}

int outcome_exit_code(enum outcome o)
{
	return (unsigned)o < OUTCOME__COUNT ? outcomes[o].exit_code : 125;
}

const char *outcome_meaning(enum outcome o)
{
	return (unsigned)o < OUTCOME__COUNT ? outcomes[o].meaning : "";
}

int outcome_parse(const char *name, enum outcome *o)
{
	for (unsigned i = 0; i < OUTCOME__COUNT; i++) {
		if (strcmp(outcomes[i].name, name) == 0) {
			*o = (enum outcome)i;
			return 0;
		}
	}
	return -EINVAL;
}
