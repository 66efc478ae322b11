/* config — see config.h. */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int config_parse_u64(const char *key, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out, char err[CONFIG_ERR_LEN])
{
	char *end = NULL;
	if (!s || !isdigit((unsigned char)*s)) /* strtoull would skip spaces and take signs */
		goto bad;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, CONFIG_ERR_LEN, "%s must be a whole number from %llu to %llu (got '%s')",
		 key, (unsigned long long)min, (unsigned long long)max, s ? s : "");
	return -EINVAL;
}

int config_parse_bool(const char *key, const char *s, bool *out, char err[CONFIG_ERR_LEN])
{
	static const char *yes[] = { "1", "true", "yes", "on" };
	static const char *no[] = { "0", "false", "no", "off" };
	for (size_t i = 0; s && i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, CONFIG_ERR_LEN, "%s must be true or false (got '%s')", key, s ? s : "");
	return -EINVAL;
}
