/* serve — see serve.h. */
#include "supervisor/serve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "supervisor/api/api.h"
#include "sandbox/cg.h"
#include "common/config.h"
#include "supervisor/egress.h"
#include "supervisor/api/api_settings.h"
#include "supervisor/evloop.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/metrics.h"
#include "supervisor/pool.h"
#include "supervisor/ratelimit.h"
#include "sandbox/sandbox.h"
#include "supervisor/store/store.h"
#include "common/clock.h"

enum kind { K_U64, K_BOOL, K_STR };

/* Every setting: its environment name, its flag (or NULL), range, default. */
static const struct setting {
	const char *env;
	const char *flag;
	enum kind kind;
	size_t off;
	uint64_t min, max;
	const char *dflt;
} settings[] = {
#define U(env, flag, field, min, max, d) { env, flag, K_U64, offsetof(struct serve_config, field), min, max, d }
#define B(env, flag, field, d) { env, flag, K_BOOL, offsetof(struct serve_config, field), 0, 0, d }
#define S(env, flag, field, d) { env, flag, K_STR, offsetof(struct serve_config, field), 0, \
		sizeof(((struct serve_config *)0)->field), d }
	S("CORRAL_LISTEN", "listen", listen, "127.0.0.1:8080"),
	S("CORRAL_DATA_DIR", "data-dir", data_dir, "./data"),
	B("CORRAL_INSECURE", NULL, insecure, "false"),
	B("CORRAL_JIT", NULL, jit, "true"),
	U("ISOLATE_POOL_SIZE", "pool-size", pool_size, 0, 1000, "5"),
	U("ISOLATE_MAX_POOL_SIZE", "max-pool-size", pool_max, 1, 10000, "20"),
	U("ISOLATE_MEMORY_LIMIT_MB", NULL, memory_mb, CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, "128"),
	U("ISOLATE_IDLE_TIMEOUT_MS", NULL, idle_timeout_ms, 0, 86400000, "300000"),
	U("FUNCTION_TIMEOUT_MS", NULL, timeout_ms, CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX, "30000"),
	B("ENABLE_MODULE_CACHE", NULL, module_cache, "true"),
	U("MODULE_CACHE_MAX_SIZE", NULL, module_cache_max, 0, 1000000, "1000"),
	U("CORRAL_MAX_BODY_BYTES", NULL, max_body, 1024, 1ull << 30, "1048576"),
	U("CORRAL_MAX_CODE_BYTES", NULL, max_code, 1, 16u << 20, "102400"),
	U("CORRAL_MAX_OUTPUT_BYTES", NULL, max_output, CONFIG_OUTPUT_MIN, CONFIG_OUTPUT_MAX, "1048576"),
	U("CORRAL_MAX_MEMORY_MB", NULL, max_memory_mb, CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, "2048"),
	U("CORRAL_QUEUE_MAX", NULL, queue_max, 0, 1000000, "10000"),
	U("CORRAL_QUEUE_TIMEOUT_MS", NULL, queue_timeout_ms, 1, 600000, "10000"),
	U("CORRAL_WORKER_MAX_EXECUTIONS", NULL, worker_max_execs, 0, 1000000000, "10000"),
	U("CORRAL_WORKER_CONCURRENCY", NULL, worker_concurrency, 1, 100000, "2000"),
	U("CORRAL_WORKER_MEMORY_MB", NULL, worker_memory_mb, CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, "4096"),
	U("CORRAL_MAX_INFLIGHT", NULL, max_inflight, 0, 10000000, "20000"),
	U("CORRAL_RATE_LIMIT", NULL, rate_limit, 0, 1000000, "0"),
	U("CORRAL_RATE_BURST", NULL, rate_burst, 0, 1000000, "0"),
	U("CORRAL_TENANT_CONCURRENCY", NULL, tenant_concurrency, 0, 1000000, "10000"),
	U("CORRAL_MAX_CONNECTIONS", NULL, max_connections, 1, 1000000, "20000"),
	U("CORRAL_MAX_CONNECTIONS_PER_IP", NULL, max_per_ip, 0, 1000000, "0"),
	U("CORRAL_CONNECTION_TIMEOUT_S", NULL, conn_timeout_s, 1, 3600, "60"),
	U("CORRAL_DRAIN_TIMEOUT_S", NULL, drain_timeout_s, 0, 3600, "30"),
	U("CORRAL_WRITE_STALL_S", NULL, write_stall_s, 0, 3600, "30"),
	U("CORRAL_MAX_UNSENT_MB", NULL, max_unsent_mb, 0, 1u << 20, "256"),
	U("CORRAL_EXEC_RETENTION_S", NULL, exec_retention_s, 0, 365u * 86400, "86400"),
	U("CORRAL_EXEC_RETENTION_ROWS", NULL, exec_retention_rows, 0, 100000000, "100000"),
	S("CORRAL_FETCH_ALLOW", "fetch-allow", fetch_allow, "-"),
	S("CORRAL_ALLOWED_ORIGINS", NULL, allowed_origins, "-"),
	S("CORRAL_ALLOWED_HOSTS", NULL, allowed_hosts, "-"),
	S("CORRAL_METRICS_TOKEN", NULL, metrics_token, "-"),
	B("CORRAL_FETCH_ALLOW_PRIVATE", NULL, fetch_allow_private, "false"),
	U("CORRAL_FETCH_MAX_BYTES", NULL, fetch_max_bytes, 0, 1ull << 30, "10485760"),
	U("CORRAL_FETCH_TIMEOUT_MS", NULL, fetch_timeout_ms, 1, 600000, "30000"),
	U("CORRAL_TMP_MB", NULL, tmp_mb, 0, 4096, "10"),
	U("CORRAL_MAX_PACKAGE_BYTES", NULL, max_package, 1024, 1ull << 30, "52428800"),
	U("CORRAL_SESSION_TTL_S", NULL, session_ttl_s, 1, 365u * 86400, "3600"),
	U("CORRAL_SESSION_TTL_MAX_S", NULL, session_ttl_max_s, 1, 365u * 86400, "604800"),
	U("CORRAL_SESSIONS_PER_TENANT", NULL, sessions_per_tenant, 0, 100000000, "1000"),
	U("CORRAL_SESSION_HISTORY_MAX", NULL, session_history_max, 1, 1000000, "1000"),
	U("CORRAL_SESSION_STATE_MAX_BYTES", NULL, session_state_max, 1024, IPC_STATE_MAX, "1048576"),
	U("CORRAL_SESSION_SWEEP_S", NULL, session_sweep_s, 1, 86400, "60"),
	B("CORRAL_PII", NULL, pii, "false"),
	B("CORRAL_SECRET_PATTERNS", NULL, secret_patterns, "true"),
#undef U
#undef B
#undef S
};

static int set_value(struct serve_config *c, const struct setting *s, const char *key, const char *v,
		     char err[CONFIG_ERR_LEN])
{
	char *field = (char *)c + s->off;
	switch (s->kind) {
	case K_U64:
		return config_parse_u64(key, v, s->min, s->max, (uint64_t *)field, err);
	case K_BOOL:
		return config_parse_bool(key, v, (bool *)field, err);
	case K_STR: {
		size_t cap = (size_t)s->max;
		if (!v[0] || strlen(v) >= cap) {
			snprintf(err, CONFIG_ERR_LEN, "%s must be 1 to %zu characters", key, cap - 1);
			return -EINVAL;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	}
	}
	return -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: corral serve [--listen HOST:PORT] [--data-dir DIR] [--insecure] [--no-jit]\n"
		   "                    [--pool-size N] [--max-pool-size N]\n\n"
		   "Settings (flag > environment > default):\n");
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		fprintf(f, "  %-30s default %s%s%s%s\n", settings[i].env, settings[i].dflt,
			settings[i].flag ? "  (--" : "", settings[i].flag ? settings[i].flag : "",
			settings[i].flag ? ")" : "");
	/* Read where they act, not through the table. */
	fprintf(f, "  %-30s default %s\n", "CORRAL_LOG_LEVEL", "info");
	fprintf(f, "  %-30s default %s\n", "CORRAL_REGEX_JIT", "true");
	fprintf(f, "\n.env.example in the repository lists each with what it does.\n");
}

static int parse_config(int argc, char **argv, struct serve_config *c, char err[CONFIG_ERR_LEN])
{
	memset(c, 0, sizeof *c);
	size_t n = sizeof settings / sizeof settings[0];
	for (size_t i = 0; i < n; i++) {
		int rc = set_value(c, &settings[i], settings[i].env, settings[i].dflt, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = getenv(settings[i].env);
		if (v) {
			int rc = set_value(c, &settings[i], settings[i].env, v, err);
			if (rc)
				return rc;
		}
	}
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "fetch-allow", required_argument, NULL, 'f' },
		{ "pool-size", required_argument, NULL, 'p' },
		{ "max-pool-size", required_argument, NULL, 'P' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "no-jit", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		const char *flag = NULL;
		switch (ch) {
		case 'l': flag = "listen"; break;
		case 'd': flag = "data-dir"; break;
		case 'f': flag = "fetch-allow"; break;
		case 'p': flag = "pool-size"; break;
		case 'P': flag = "max-pool-size"; break;
		case 'i': c->insecure = true; continue;
		case 'J': c->jit = false; continue;
		case 'h': usage(stdout); exit(0);
		default:
			snprintf(err, CONFIG_ERR_LEN, "unknown or incomplete option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			if (settings[i].flag && strcmp(settings[i].flag, flag) == 0) {
				char key[64];
				snprintf(key, sizeof key, "--%s", flag);
				int rc = set_value(c, &settings[i], key, optarg, err);
				if (rc)
					return rc;
			}
		}
	}
	if (optind < argc) {
		snprintf(err, CONFIG_ERR_LEN, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (c->pool_size > c->pool_max) {
		snprintf(err, CONFIG_ERR_LEN, "ISOLATE_POOL_SIZE (%llu) must not be over ISOLATE_MAX_POOL_SIZE (%llu)",
			 (unsigned long long)c->pool_size, (unsigned long long)c->pool_max);
		return -EINVAL;
	}
	if (c->session_ttl_s > c->session_ttl_max_s) {
		snprintf(err, CONFIG_ERR_LEN, "CORRAL_SESSION_TTL_S (%llu) must not be over CORRAL_SESSION_TTL_MAX_S (%llu)",
			 (unsigned long long)c->session_ttl_s, (unsigned long long)c->session_ttl_max_s);
		return -EINVAL;
	}
	if (c->memory_mb > c->max_memory_mb)
		c->max_memory_mb = c->memory_mb;
	return 0;
}

static volatile sig_atomic_t got_signal;

struct sigsrc {
	struct evsrc src;
	int fd;
	int signo;
};

static void on_signal(struct evsrc *src, uint32_t events)
{
	struct sigsrc *s = (struct sigsrc *)src;
	struct signalfd_siginfo si;
	while (read(s->fd, &si, sizeof si) == sizeof si)
		s->signo = (int)si.ssi_signo;
}

struct egress_src {
	struct evsrc src;
	struct egress *e;
	struct pool **pool;
};

static void on_egress(struct evsrc *src, uint32_t events)
{
	struct egress_src *s = (struct egress_src *)src;
	struct egress_req *r;
	while ((r = egress_take(s->e)))
		pool_fetch_done(*s->pool, r);
}

static void banner(const struct serve_config *c, const struct sandbox_caps *caps, bool dev_mode, int port)
{
	char layers[256];
	sandbox_layers_str(caps->layers, layers, sizeof layers);
	struct buf b = BUF_INIT(8192);
	log_begin(&b, LOG_INFO, "start");
	log_kv_str(&b, "listen", c->listen);
	log_kv_int(&b, "port", port);
	log_kv_int(&b, "pool_size", (long long)c->pool_size);
	log_kv_int(&b, "pool_max", (long long)c->pool_max);
	log_kv_int(&b, "timeout_ms", (long long)c->timeout_ms);
	log_kv_int(&b, "memory_mb", (long long)c->memory_mb);
	log_kv_int(&b, "max_body_bytes", (long long)c->max_body);
	log_kv_int(&b, "max_code_bytes", (long long)c->max_code);
	log_kv_int(&b, "max_output_bytes", (long long)c->max_output);
	log_kv_str(&b, "store", "sqlite");
	log_kv_str(&b, "fetch_allow", strcmp(c->fetch_allow, "-") ? c->fetch_allow : "none (fetch refused)");
	log_kv_str(&b, "data_dir", c->data_dir);
	log_kv_str(&b, "sandbox_layers", layers);
	log_kv_str(&b, "cgroup", caps->cgroup_desc);
	if (caps->note[0])
		log_kv_str(&b, "weaker_sandbox", caps->note);
	log_kv_str(&b, "auth", dev_mode ? "dev mode: no API keys, loopback listener, tenant 'default'" : "API keys");
	log_end(&b, LOG_INFO);
	buf_release(&b);
}

int serve_main(int argc, char **argv)
{
	struct serve_config c;
	char err[CONFIG_ERR_LEN];
	if (parse_config(argc, argv, &c, err)) {
		fprintf(stderr, "corral serve: %s\n", err);
		return 2;
	}
	const char *lvl = getenv("CORRAL_LOG_LEVEL");
	if (lvl && !strcmp(lvl, "debug"))
		log_set_level(LOG_DEBUG);
	else if (lvl && !strcmp(lvl, "warn"))
		log_set_level(LOG_WARN);

	/* 10,000 idle connections need 10,000 fds. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);

	int code = 1;
	struct store *store = NULL;
	char serr[STORE_ERR_LEN];
	int rc = store_open(c.data_dir, &store, serr);
	if (rc) {
		fprintf(stderr, "corral serve: %s\n", serr);
		return 1;
	}
	store_tenant_ensure(store, "default");

	struct sandbox_caps caps;
	struct cg_root cg;
	sandbox_probe(&caps, &cg, true);

	struct evloop loop;
	struct egress *egress = NULL;
	struct egress_src egs = { .src.cb = on_egress };
	struct metrics *metrics = metrics_new();
	struct ratelimit *rlim = NULL;
	struct pool *pool = NULL;
	struct http_server *http = NULL;
	struct api api = { .cfg = &c, .caps = &caps, .store = store, .metrics = metrics };
	struct sigsrc sig = { .src.cb = on_signal, .fd = -1 };

	if (evloop_init(&loop) || !metrics) {
		fprintf(stderr, "corral serve: cannot set up the event loop\n");
		goto out;
	}
	if (c.rate_limit || c.tenant_concurrency) {
		double burst = c.rate_burst ? (double)c.rate_burst : (c.rate_limit ? (double)c.rate_limit : 1);
		rlim = ratelimit_new((double)c.rate_limit, burst, (unsigned)c.tenant_concurrency);
		api.rl = rlim;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig.fd < 0 || evloop_add(&loop, sig.fd, EPOLLIN, &sig.src)) {
		fprintf(stderr, "corral serve: cannot watch signals: %s\n", strerror(errno));
		goto out;
	}
	/* "-" (the default) means no allowlist: fetch is refused. */
	if (strcmp(c.fetch_allow, "-") != 0) {
		struct egress_opts eo = {
			.allow = c.fetch_allow,
			.allow_private = c.fetch_allow_private,
			.max_bytes = c.fetch_max_bytes,
			.max_timeout_ms = c.fetch_timeout_ms,
		};
		char eerr[256];
		if (egress_new(&egress, &eo, eerr)) {
			fprintf(stderr, "corral serve: %s\n", eerr);
			goto out;
		}
		egs.e = egress;
		egs.pool = &pool;
		if (evloop_add(&loop, egress_fd(egress), EPOLLIN, &egs.src)) {
			fprintf(stderr, "corral serve: cannot watch the egress queue\n");
			goto out;
		}
	}
	struct pool_opts po = {
		.size = (unsigned)c.pool_size,
		.max = (unsigned)c.pool_max,
		.idle_timeout_ms = c.idle_timeout_ms,
		.max_execs = (unsigned)c.worker_max_execs,
		.queue_max = (unsigned)c.queue_max,
		.queue_timeout_ms = c.queue_timeout_ms,
		.memory_bytes = c.memory_mb << 20,
		.jit = c.jit,
		.caps = &caps,
		.cg_root = &cg,
		.loop = &loop,
		.metrics = metrics,
		.egress = egress,
		.fn_module_cache = c.module_cache,
		.fn_cache_max = c.module_cache_max > UINT_MAX ? UINT_MAX : (unsigned)c.module_cache_max,
		.worker_concurrency = (unsigned)c.worker_concurrency,
		.worker_memory_bytes = c.worker_memory_mb << 20,
		.cpus = (unsigned)(sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1),
		.node_max = (unsigned)c.max_inflight,
	};
	if (pool_new(&pool, &po)) {
		fprintf(stderr, "corral serve: cannot create the worker pool\n");
		goto out;
	}
	api.pool = pool;
	/* A tenant's egress.allow narrows the service's allowlist. */
	if (egress)
		egress_set_policy(egress, api_settings_egress_allowed, &api);
	struct http_opts ho = {
		.listen = c.listen,
		/* Uploads of packages may be larger than other bodies; each
		 * route checks its own cap. */
		.max_body = c.max_body > c.max_package ? c.max_body : c.max_package,
		.max_connections = (unsigned)c.max_connections,
		.max_per_ip = (unsigned)c.max_per_ip,
		.timeout_s = (unsigned)c.conn_timeout_s,
		.stall_s = (unsigned)c.write_stall_s,
		.loop = &loop,
		.handlers = &api_handlers,
		.ud = &api,
	};
	char herr[256];
	if (http_start(&http, &ho, herr)) {
		fprintf(stderr, "corral serve: %s\n", herr);
		goto out;
	}
	api.http = http;
	uint64_t nkeys = 0;
	store_key_count(store, &nkeys);
	if (nkeys == 0 && !http_is_loopback(http) && !c.insecure) {
		fprintf(stderr, "corral serve: there are no API keys and %s is not a loopback address: "
				"create one (corral keys create --tenant NAME) or pass --insecure\n", c.listen);
		goto out;
	}
	api.dev_mode = nkeys == 0;
	banner(&c, &caps, api.dev_mode, http_port(http));
	pool_start(pool);

	uint64_t last_keys = clock_mono_ns(), last_prune = 0, last_sweep = 0, last_gone = 0, drain_deadline = 0;
	for (;;) {
		struct pool_stats ps;
		pool_stats(pool, &ps);
		int timeout = ps.active || ps.starting || ps.queued || api.draining ? WPROC_TICK_MS : 100;
		int ht = http_timeout_ms(http);
		if (ht >= 0 && ht < timeout)
			timeout = ht;
		evloop_run_once(&loop, timeout);
		http_run(http);
		uint64_t now = clock_mono_ns();
		pool_tick(pool, now);
		http_run(http);
		api_flush_records(&api);
		if (sig.signo && !api.draining) {
			log_msg(LOG_INFO, "drain", "signal %d: no new connections; finishing what runs (up to %llu s)",
				sig.signo, (unsigned long long)c.drain_timeout_s);
			api.draining = true;
			http_quiesce(http);
			drain_deadline = now + c.drain_timeout_s * 1000000000ull;
		}
		if (api.draining) {
			if ((pool_drain(pool) && http_inflight(http) == 0) || now > drain_deadline)
				break;
		}
		if (now - last_gone > 200000000ull) {
			/* Clients gone while their answer is awaited: stop theirs. */
			last_gone = now;
			http_sweep_gone(http);
		}
		if (now - last_keys > 2000000000ull) {
			/* Keys made by `corral keys` in another process end dev mode. */
			last_keys = now;
			if (store_key_count(store, &nkeys) == 0)
				api.dev_mode = nkeys == 0 && http_is_loopback(http);
		}
		if (now - last_sweep > c.session_sweep_s * 1000000000ull) {
			last_sweep = now;
			api_sweep(&api);
		}
		if (now - last_prune > 60000000000ull) {
			last_prune = now;
			store_executions_prune(store, c.exec_retention_s, c.exec_retention_rows, NULL);
		}
	}
	api_release(&api);
	log_msg(LOG_INFO, "stop", "drained; exiting");
	code = 0;
out:
	http_stop(http);
	pool_free(pool);
	egress_free(egress);
	if (sig.fd >= 0)
		close(sig.fd);
	evloop_release(&loop);
	ratelimit_free(rlim);
	metrics_free(metrics);
	store_close(store);
	cg_root_close(&cg);
	return code;
}
