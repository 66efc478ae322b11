/* keys — see keys.h.
 *
 * An operator's tool over the store: it opens the store (applying any
 * pending migration, as `corral serve` would), does one thing and exits.
 * It may run while `corral serve` holds the same database; WAL and the busy
 * timeout make that safe. */
#include "supervisor/keys.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "supervisor/store/store.h"

#define KEYS_EXIT_FAIL 1
#define KEYS_EXIT_USAGE 2

enum keys_cmd { KEYS_CREATE, KEYS_LIST, KEYS_REVOKE };

struct keys_args {
	enum keys_cmd cmd;
	const char *tenant;
	const char *data_dir;
	const char *which; /* revoke's ID|PREFIX */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corral keys create --tenant NAME [--data-dir DIR]\n"
		"       corral keys list [--tenant NAME] [--data-dir DIR]\n"
		"       corral keys revoke ID|PREFIX [--data-dir DIR]\n"
		"Manages the API keys clients present as 'Authorization: Bearer <key>'.\n"
		"\n"
		"  create           make a key for tenant NAME (created if new) and print it;\n"
		"                   it is stored only as a hash and cannot be shown again\n"
		"  list             show every key: id, tenant, prefix, created, last used, revoked\n"
		"  revoke           revoke the key with this id or prefix (as in 'list')\n"
		"\n"
		"  --tenant NAME    tenant: %s\n"
		"  --data-dir DIR   the store (default: $CORRAL_DATA_DIR, else %s)\n",
		STORE_TENANT_RULE, STORE_DEFAULT_DIR);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "corral keys: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see corral keys --help)\n");
	va_end(ap);
	return KEYS_EXIT_USAGE;
}

/* Returns 0, or the exit status to end with (after --help, or a usage error). */
static int parse_args(int argc, char **argv, struct keys_args *a, int *exit_code)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(a, 0, sizeof *a);
	*exit_code = 0;
	if (argc < 2) {
		usage(stderr);
		*exit_code = KEYS_EXIT_USAGE;
		return 1;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 1;
	}
	if (!strcmp(cmd, "create"))
		a->cmd = KEYS_CREATE;
	else if (!strcmp(cmd, "list"))
		a->cmd = KEYS_LIST;
	else if (!strcmp(cmd, "revoke"))
		a->cmd = KEYS_REVOKE;
	else {
		*exit_code = usage_error("unknown command '%s' (create, list or revoke)", cmd);
		return 1;
	}

	/* getopt scans argv[1..] of what it is given: the words after the
	 * command. GNU getopt permutes, so options may follow the operand
	 * (`revoke 3 --data-dir DIR`); no key id or prefix starts with '-'. */
	int sub_argc = argc - 1;
	char **sub_argv = argv + 1;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(sub_argc, sub_argv, ":t:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->tenant = optarg;
			break;
		case 'd':
			a->data_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			*exit_code = usage_error("option '%s' needs a value", sub_argv[optind - 1]);
			return 1;
		default:
			*exit_code = usage_error("unknown option '%s'", sub_argv[optind - 1]);
			return 1;
		}
	}
	if (optind < sub_argc)
		a->which = sub_argv[optind++];
	if (optind < sub_argc) {
		*exit_code = usage_error("unexpected argument '%s'", sub_argv[optind]);
		return 1;
	}

	if (a->cmd == KEYS_REVOKE && !a->which) {
		*exit_code = usage_error("revoke needs the key's ID or PREFIX (see corral keys list)");
		return 1;
	}
	if (a->cmd != KEYS_REVOKE && a->which) {
		*exit_code = usage_error("unexpected argument '%s'", a->which);
		return 1;
	}
	if (a->cmd == KEYS_REVOKE && a->tenant) {
		*exit_code = usage_error("revoke takes no --tenant: a key's id or prefix names it");
		return 1;
	}
	if (a->cmd == KEYS_CREATE && !a->tenant) {
		*exit_code = usage_error("create needs --tenant NAME");
		return 1;
	}
	if (a->tenant && !store_tenant_name_valid(a->tenant)) {
		fprintf(stderr, "corral keys: bad tenant name '%s': a tenant name is %s\n",
			a->tenant, STORE_TENANT_RULE);
		*exit_code = KEYS_EXIT_USAGE;
		return 1;
	}
	if (a->data_dir && !*a->data_dir) {
		*exit_code = usage_error("--data-dir needs a directory");
		return 1;
	}
	return 0;
}

static void format_time(char *out, size_t cap, int64_t ms)
{
	if (!ms) {
		snprintf(out, cap, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "%lld", (long long)ms);
}

static int cmd_create(struct store *s, const struct keys_args *a)
{
	char key[STORE_KEY_LEN + 1];
	int64_t id = 0;
	int rc = store_tenant_ensure(s, a->tenant);
	if (!rc)
		rc = store_key_create(s, a->tenant, key, &id);
	if (rc) {
		fprintf(stderr, "corral keys: cannot create a key for tenant '%s': %s\n", a->tenant,
			*store_last_error(s) ? store_last_error(s) : strerror(-rc));
		return KEYS_EXIT_FAIL;
	}
	printf("%s\n", key);
	fflush(stdout);
	fprintf(stderr,
		"corral keys: created key %lld for tenant '%s' (prefix %.*s).\n"
		"This is the only time the key is shown: corral keeps only its hash.\n",
		(long long)id, a->tenant, 3 + STORE_KEY_PREFIX_LEN, key);
	OPENSSL_cleanse(key, sizeof key);
	return ferror(stdout) ? KEYS_EXIT_FAIL : 0;
}

static int cmd_list(struct store *s, const struct keys_args *a)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	int rc = store_key_list(s, a->tenant, &keys, &n);
	if (rc) {
		fprintf(stderr, "corral keys: cannot list keys: %s\n",
			*store_last_error(s) ? store_last_error(s) : strerror(-rc));
		return KEYS_EXIT_FAIL;
	}
	if (!n) {
		if (a->tenant)
			fprintf(stderr, "corral keys: tenant '%s' has no keys\n", a->tenant);
		else
			fprintf(stderr, "corral keys: no keys (create one with corral keys create --tenant NAME)\n");
		return 0;
	}
	int tw = (int)strlen("TENANT");
	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(keys[i].tenant);
		if (l > tw)
			tw = l;
	}
	printf("%-6s %-*s %-11s %-20s %-20s %s\n", "ID", tw, "TENANT", "PREFIX", "CREATED",
	       "LAST USED", "REVOKED");
	for (size_t i = 0; i < n; i++) {
		char created[32], used[32], revoked[32], prefix[16];
		format_time(created, sizeof created, keys[i].created_at);
		format_time(used, sizeof used, keys[i].last_used_at);
		format_time(revoked, sizeof revoked, keys[i].revoked_at);
		snprintf(prefix, sizeof prefix, "%s%s", STORE_KEY_TAG, keys[i].prefix);
		printf("%-6lld %-*s %-11s %-20s %-20s %s\n", (long long)keys[i].id, tw,
		       keys[i].tenant, prefix, created, used, revoked);
	}
	free(keys);
	fflush(stdout);
	return ferror(stdout) ? KEYS_EXIT_FAIL : 0;
}

static int cmd_revoke(struct store *s, const struct keys_args *a)
{
	int64_t id = 0;
	int rc = store_key_revoke(s, a->which, &id);
	if (rc == -EALREADY) {
		fprintf(stderr, "corral keys: key %lld was already revoked\n", (long long)id);
		return 0;
	}
	if (rc == -EINVAL) {
		fprintf(stderr, "corral keys: %s\n", store_last_error(s));
		return KEYS_EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "corral keys: cannot revoke '%s': %s\n", a->which,
			*store_last_error(s) ? store_last_error(s) : strerror(-rc));
		return KEYS_EXIT_FAIL;
	}
	fprintf(stderr, "corral keys: revoked key %lld\n", (long long)id);
	return 0;
}

int keys_main(int argc, char **argv)
{
	struct keys_args a;
	int code;
	if (parse_args(argc, argv, &a, &code))
		return code;

	const char *where = a.data_dir ? a.data_dir : store_default_location();
	char err[STORE_ERR_LEN];
	struct store *s = NULL;
	int rc = store_open(where, &s, err);
	if (rc) {
		fprintf(stderr, "corral keys: %s\n", err);
		return KEYS_EXIT_FAIL;
	}
	switch (a.cmd) {
	case KEYS_CREATE:
		code = cmd_create(s, &a);
		break;
	case KEYS_LIST:
		code = cmd_list(s, &a);
		break;
	default:
		code = cmd_revoke(s, &a);
		break;
	}
	store_close(s);
	return code;
}
