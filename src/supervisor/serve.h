/* serve — `corral serve`: configuration, start-up, the event loop, drain.
 *
 * Configuration comes from flags, then the environment, then defaults; the
 * specification's names (ISOLATE_*, FUNCTION_TIMEOUT_MS, …) are honoured
 * exactly and the rest are CORRAL_*. A bad value stops start-up with a
 * message naming the key. */
#ifndef CORRAL_SERVE_H
#define CORRAL_SERVE_H

#include <stdbool.h>
#include <stdint.h>

struct serve_config {
	char listen[256];
	char data_dir[1024];
	bool insecure;
	bool jit;
	uint64_t pool_size, pool_max, memory_mb, idle_timeout_ms, timeout_ms;
	uint64_t max_body, max_code, max_output, max_memory_mb;
	uint64_t queue_max, queue_timeout_ms, worker_max_execs;
	uint64_t worker_concurrency, worker_memory_mb, max_inflight;
	uint64_t rate_limit, rate_burst, tenant_concurrency;
	uint64_t max_connections, max_per_ip, conn_timeout_s, drain_timeout_s;
	uint64_t write_stall_s, max_unsent_mb;
	uint64_t exec_retention_s, exec_retention_rows;
	bool module_cache;
	uint64_t module_cache_max;
	char fetch_allow[4096];
	char allowed_origins[4096]; /* CORS: origins whose pages may call the API ("-": none) */
	char allowed_hosts[4096];
	char metrics_token[256];    /* with API keys: the Bearer token /metrics wants ("-": none) */   /* keyless mode: Host names served besides localhost and IPs */
	bool fetch_allow_private;
	uint64_t fetch_max_bytes, fetch_timeout_ms;
	uint64_t tmp_mb;
	uint64_t max_package;
	uint64_t session_ttl_s, session_ttl_max_s, sessions_per_tenant;
	uint64_t session_history_max, session_state_max, session_sweep_s;
	bool pii;                 /* PII tokens, for tenants that do not say */
	bool secret_patterns;     /* the built-in API-key shapes are redacted */
};

int serve_main(int argc, char **argv);

#endif
