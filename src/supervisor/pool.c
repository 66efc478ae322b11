/* pool — see pool.h. */
#include "supervisor/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "supervisor/log.h"
#include "supervisor/metrics.h"
#include "common/clock.h"

struct pool_worker {
	struct evsrc sock_src;   /* the worker's socket */
	struct evsrc pid_src;    /* its pidfd: readable once it has exited */
	struct pool *pool;
	struct wproc *w;
	unsigned slot;
	bool bound;
	bool wasm;               /* started with WebAssembly on: serves only wasm bindings */
	char tenant[200];            /* the binding (see struct pool_job) */
	uint64_t idle_since;
	/* What share of wall time its recent executions spent on the CPU
	 * (a moving average): a busy tenant's next execution goes to another
	 * worker, and so to another core, when this is high. */
	double cpu_share;
	/* How busy its JS thread is now: the share of the last POOL_UTIL_NS
	 * its main thread spent running (/proc/PID/schedstat), sampled at
	 * most once per window. Sleeping executions have a low cpu_share, yet
	 * a burst of them keeps the thread busy starting them. */
	double util;
	uint64_t util_at_ns, util_run_ns;
	bool dying;              /* killed or closed; waiting to be reaped */
	bool retire;             /* its binding is gone: retire it once idle */
	bool reaped;
	struct pool_worker *next;
};

struct pool {
	struct pool_opts o;
	struct pool_worker *workers;   /* live ones */
	struct pool_worker *graveyard; /* reaped, freed at the next tick */
	struct cg_worker *slots;       /* one cgroup per slot, kept */
	bool *slot_used;
	struct pool_job *qhead, *qtail;
	unsigned queued;
	uint64_t created, destroyed, corrupted;
	uint64_t fn_evicted;
	bool draining;
};

static void dispatch(struct pool *p);
static void requeue(struct pool *p, struct pool_job *j);

/* Workers a job may be refused by (memory, or found dead) before it fails. */
#define POOL_JOB_RETRIES 2

static void worker_count(const struct pool *p, unsigned *total, unsigned *idle_unbound,
			 unsigned *starting_unbound)
{
	unsigned t = 0, iu = 0, su = 0;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (pw->dying)
			continue;
		t++;
		/* A wasm worker is started for its job: not part of the warm set. */
		if (!pw->bound && !pw->wasm && pw->w->state == WPROC_IDLE)
			iu++;
		if (!pw->bound && !pw->wasm && pw->w->state == WPROC_STARTING)
			su++;
	}
	if (total)
		*total = t;
	if (idle_unbound)
		*idle_unbound = iu;
	if (starting_unbound)
		*starting_unbound = su;
}

/* --- worker events ------------------------------------------------------ */

static void job_output(struct wproc *w, int stream, const char *d, size_t n, void *ud)
{
	struct pool_job *j = ud;
	if (j && j->ops)
		j->ops->output(j, stream, d, n);
}

static void job_done(struct wproc *w, struct result *r, void *ud)
{
	struct pool_job *j = ud;
	struct pool_worker *pw = j ? j->worker : NULL;
	if (!j) {
		/* Cancelled while it ran: nobody waits for it. */
		return;
	}
	struct pool *p = pw->pool;
	pw->idle_since = clock_mono_ns();
	if (r->not_started && j->retries < POOL_JOB_RETRIES) {
		/* Its worker died before it did anything: another runs it. */
		log_msg(LOG_INFO, "worker_gone", "worker %d died before job %s started: the job waits for another",
			(int)w->pid, r->id);
		requeue(p, j);
		return;
	}
	if (r->wall_ns) {
		double share = (double)r->cpu_ns / (double)r->wall_ns;
		pw->cpu_share = pw->cpu_share * 0.7 + (share > 1 ? 1 : share) * 0.3;
	}
	if (p->o.metrics)
		metrics_exec_done(p->o.metrics, r->status, (double)r->wall_ns / 1e6,
				  j ? (double)(j->started_ns - j->enqueued_ns) / 1e6 : 0);
	if (r->status == OUTCOME_KILLED || r->status == OUTCOME_INTERNAL) {
		p->corrupted++;
		if (p->o.metrics)
			metrics_pool_event(p->o.metrics, METRICS_WORKER_CORRUPTED);
	}
	j->worker = NULL;
	if (j->ops)
		j->ops->done(j, r, false);
}

static void on_ready(struct wproc *w, void *ud)
{
	struct pool_worker *pw = ud;
	pw->idle_since = clock_mono_ns();
}

static void on_fetch(struct wproc *w, struct egress_req *r, void *ud)
{
	struct pool_job *j = ud;
	if (!j || !j->worker) {
		egress_req_free(r);
		return;
	}
	snprintf(r->tenant, sizeof r->tenant, "%s", j->tenant);
	egress_submit(j->worker->pool->o.egress, r);
}

static void on_fetch_abort(struct wproc *w, uint64_t id, void *ud)
{
	struct pool_job *j = ud;
	if (j && j->worker)
		egress_abort(j->worker->pool->o.egress, w->serial, id);
}

static void on_response_head(struct wproc *w, int status, const char *const *h, size_t n, void *ud)
{
	struct pool_job *j = ud;
	if (j && j->ops && j->ops->response_head)
		j->ops->response_head(j, status, h, n);
}

static void on_response_body(struct wproc *w, const char *p, size_t n, void *ud)
{
	struct pool_job *j = ud;
	if (j && j->ops && j->ops->response_body)
		j->ops->response_body(j, p, n);
}

static const struct wproc_cb worker_cb = {
	.ready = on_ready, .output = job_output, .done = job_done, .fetch = on_fetch,
	.fetch_abort = on_fetch_abort, .response_head = on_response_head, .response_body = on_response_body,
};
static const struct wproc_cb worker_cb_nofetch = {
	.ready = on_ready, .output = job_output, .done = job_done,
	.response_head = on_response_head, .response_body = on_response_body,
};

/* Whether a binding is a function version's ("TENANT/NAME@V"); a session's
 * is "session:TENANT/ID", a code-mode tenant's has no slash. */
static bool fn_binding(const char *b)
{
	return strchr(b, '/') && strncmp(b, "session:", 8) != 0;
}

/* A session's context is its state: what it holds is its own to keep. */
static bool session_binding(const char *b)
{
	return strncmp(b, "session", 7) == 0;
}

static const char *binding_of(const struct pool_job *j)
{
	return j->binding[0] ? j->binding : j->tenant;
}

/* Whether a binding's executions may use WebAssembly ("...#process#wasm",
 * see struct pool_job): only workers started with it serve them, and they
 * serve nothing else. */
static bool wasm_binding(const char *b)
{
	return strstr(b, "#wasm") != NULL;
}

static const struct wproc_cb *cb_of(const struct pool_worker *pw)
{
	return pw->pool->o.egress ? &worker_cb : &worker_cb_nofetch;
}

static void worker_dying(struct pool_worker *pw)
{
	if (pw->dying)
		return;
	pw->dying = true;
	wproc_kill(pw->w, WPROC_KILL_RETIRE);
	if (pw->w->pidfd < 0) {
		/* No pidfd: the SIGKILL makes the wait short. */
		pw->pid_src.cb(&pw->pid_src, EPOLLIN);
	}
}

static void reap(struct pool_worker *pw)
{
	struct pool *p = pw->pool;
	if (pw->reaped)
		return;
	pw->reaped = true;
	evloop_del(p->o.loop, pw->w->fd);
	if (pw->w->pidfd >= 0)
		evloop_del(p->o.loop, pw->w->pidfd);
	wproc_reap(pw->w, cb_of(pw), pw);
	/* Off the live list, onto the graveyard (freed at the next tick: an
	 * event for it may still be in this epoll batch). */
	struct pool_worker **pp = &p->workers;
	while (*pp && *pp != pw)
		pp = &(*pp)->next;
	if (*pp)
		*pp = pw->next;
	pw->next = p->graveyard;
	p->graveyard = pw;
	p->slot_used[pw->slot] = false;
	p->destroyed++;
	if (pw->bound && fn_binding(pw->tenant))
		p->fn_evicted++;
	if (p->o.metrics)
		metrics_pool_event(p->o.metrics, METRICS_WORKER_DESTROYED);
	dispatch(p);
}

static void on_sock(struct evsrc *src, uint32_t events)
{
	struct pool_worker *pw = (struct pool_worker *)((char *)src - offsetof(struct pool_worker, sock_src));
	if (pw->reaped)
		return;
	int rc = wproc_on_readable(pw->w, cb_of(pw), pw);
	if (rc < 0 || (events & (EPOLLHUP | EPOLLERR)) || pw->w->kill_reason != WPROC_KILL_NONE) {
		worker_dying(pw);
		return;
	}
	/* Recycle after enough executions, one that holds too much after
	 * collecting (not a session's: that is its state), and a function's
	 * worker after every invocation when the module cache is off. */
	struct pool *p = pw->pool;
	if (pw->w->state == WPROC_IDLE && !pw->w->inflight &&
	    (pw->retire || (wproc_worn(pw->w) && !session_binding(pw->tenant)) || (p->o.max_execs && pw->w->execs >= p->o.max_execs) ||
	     (!p->o.fn_module_cache && pw->bound && fn_binding(pw->tenant) && pw->w->execs > 0))) {
		worker_dying(pw);
		return;
	}
	dispatch(p);
}

static void on_pid(struct evsrc *src, uint32_t events)
{
	struct pool_worker *pw = (struct pool_worker *)((char *)src - offsetof(struct pool_worker, pid_src));
	if (!pw->dying) {
		/* It exited on its own (after a timeout, or it crashed): make
		 * sure, then account for it. */
		pw->dying = true;
		wproc_kill(pw->w, WPROC_KILL_RETIRE);
	}
	reap(pw);
}

static int spawn_one(struct pool *p, bool wasm)
{
	unsigned slot;
	for (slot = 0; slot < p->o.max && p->slot_used[slot]; slot++)
		;
	if (slot == p->o.max)
		return -EAGAIN;
	struct pool_worker *pw = calloc(1, sizeof *pw);
	if (!pw)
		return -ENOMEM;
	pw->pool = p;
	pw->slot = slot;
	pw->wasm = wasm;
	pw->sock_src.cb = on_sock;
	pw->pid_src.cb = on_pid;
	struct cg_worker *cg = NULL;
	if (p->o.cg_root && p->o.cg_root->version && (p->o.caps->layers & SANDBOX_CGROUP)) {
		if (!p->slots[slot].version) {
			char name[32];
			snprintf(name, sizeof name, "slot%u", slot);
			if (cg_worker_create(p->o.cg_root, name, p->o.memory_bytes, WPROC_PIDS_CAP, &p->slots[slot]))
				p->slots[slot].version = 0;
		}
		if (p->slots[slot].version)
			cg = &p->slots[slot];
	}
	struct wproc_opts wo = {
		.caps = p->o.caps,
		.cg_root = cg ? NULL : p->o.cg_root,
		.cg_slot = cg,
		.memory_bytes = p->o.memory_bytes,
		.jit = p->o.jit,
		.warm_full = true,
		.wasm = wasm,
		.uid = (uid_t)(100000 + (unsigned)getpid() % 1000 * 100 + slot % 100),
	};
	int rc = wproc_start(&pw->w, &wo);
	if (rc) {
		log_msg(LOG_ERROR, "worker_start_failed", "cannot start a worker: %s", strerror(-rc));
		free(pw);
		return rc;
	}
	rc = evloop_add(p->o.loop, pw->w->fd, EPOLLIN, &pw->sock_src);
	if (!rc && pw->w->pidfd >= 0)
		rc = evloop_add(p->o.loop, pw->w->pidfd, EPOLLIN, &pw->pid_src);
	if (rc) {
		wproc_free(pw->w);
		free(pw);
		return rc;
	}
	p->slot_used[slot] = true;
	pw->next = p->workers;
	p->workers = pw;
	p->created++;
	if (p->o.metrics)
		metrics_pool_event(p->o.metrics, METRICS_WORKER_CREATED);
	return 0;
}

/* --- scheduling --------------------------------------------------------- */

/* How many executions a worker of this binding runs at once: one for a
 * session's (one snippet at a time, in the session's own context) and
 * for isolation "process" ("TENANT#process"); many otherwise. */
static unsigned binding_cap(const struct pool *p, const char *b)
{
	if (!strncmp(b, "session:", 8) || strstr(b, "#process") || p->o.worker_concurrency <= 1)
		return 1;
	return p->o.worker_concurrency;
}

/* Executions that lean on the CPU more than this share of their wall
 * time spread over more workers (cores) rather than queue in one; so do
 * executions of a worker whose thread is busier than POOL_UTIL_BOUND. */
#define POOL_CPU_BOUND 0.5
#define POOL_UTIL_BOUND 0.7
#define POOL_UTIL_NS 20000000ull

/* The worker's thread's busy share over the last window (see util). */
static double worker_util(struct pool_worker *pw, uint64_t now)
{
	if (now - pw->util_at_ns < POOL_UTIL_NS)
		return pw->util;
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pw->w->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return pw->util;
	buf[n] = '\0';
	uint64_t run = strtoull(buf, NULL, 10);
	if (pw->util_at_ns && run >= pw->util_run_ns)
		pw->util = (double)(run - pw->util_run_ns) / (double)(now - pw->util_at_ns);
	pw->util_at_ns = now;
	pw->util_run_ns = run;
	return pw->util;
}

static bool takes_more(const struct pool *p, const struct pool_worker *pw)
{
	return !pw->dying && wproc_has_room(pw->w) &&
	       !(p->o.max_execs && pw->w->execs + pw->w->inflight >= p->o.max_execs);
}

/* A worker for a job of this binding: the least loaded of its own with
 * room; an unbound one when it has none, or when its own are busy on the
 * CPU (and the binding has fewer workers than there are cores). A
 * tenant's sessions: the oldest of its own with room (below). */
static struct pool_worker *find_worker(struct pool *p, const char *binding)
{
	struct pool_worker *unbound = NULL, *best = NULL;
	unsigned mine = 0;
	/* A tenant's sessions stay in one worker while it has room: a session
	 * that moved would be rebuilt from the store, and what the store cannot
	 * hold (functions, classes) would be lost. The oldest such worker with
	 * room (the list is newest first), and no spreading. */
	bool sticky = strncmp(binding, "sessions:", 9) == 0;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (pw->dying)
			continue;
		if (pw->bound && strcmp(pw->tenant, binding) == 0) {
			mine++;
			if (takes_more(p, pw) && (sticky || !best || pw->w->inflight < best->w->inflight))
				best = pw;
		} else if (!pw->bound && !unbound && pw->w->state == WPROC_IDLE && takes_more(p, pw) &&
			   pw->wasm == wasm_binding(binding)) {
			unbound = pw;
		}
	}
	if (!sticky && best && best->w->inflight && unbound && mine < p->o.cpus &&
	    (best->cpu_share > POOL_CPU_BOUND ||
	     worker_util(best, clock_mono_ns()) > POOL_UTIL_BOUND))
		return unbound;
	return best ? best : unbound;
}

static struct pool_worker *oldest_idle_other(struct pool *p, const char *binding)
{
	struct pool_worker *best = NULL;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (!pw->dying && !pw->w->inflight && pw->bound && strcmp(pw->tenant, binding) != 0 &&
		    pw->w->state == WPROC_IDLE && (!best || pw->idle_since < best->idle_since))
			best = pw;
	return best;
}

static void job_refuse(struct pool *p, struct pool_job *j, const char *why)
{
	struct result r;
	result_init(&r);
	result_set_error(&r, "Overloaded", why);
	if (j->ops)
		j->ops->done(j, &r, true);
	result_release(&r);
}

/* MODULE_CACHE_MAX_SIZE: when one more worker has loaded a function and
 * that makes the cache too big, the longest-idle function-bound worker
 * goes (a busy one cannot: the cache stays over until one is idle). */
static void evict_loaded(struct pool *p)
{
	unsigned loaded = 0;
	struct pool_worker *lru = NULL;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (pw->dying || !pw->bound || !fn_binding(pw->tenant))
			continue;
		loaded++;
		if (!pw->w->inflight && pw->w->state == WPROC_IDLE && (!lru || pw->idle_since < lru->idle_since))
			lru = pw;
	}
	if (loaded > p->o.fn_cache_max && lru)
		worker_dying(lru);
}

/* Puts j back at the head of the queue: a worker could not take it, or
 * died before it started. */
static void requeue(struct pool *p, struct pool_job *j)
{
	j->worker = NULL;
	j->retries++;
	j->queued = true;
	j->next = p->qhead;
	p->qhead = j;
	if (!p->qtail)
		p->qtail = j;
	p->queued++;
}

static void start_job(struct pool *p, struct pool_worker *pw, struct pool_job *j)
{
	int rc = 0;
	j->cold = !pw->bound;
	if (!pw->bound) {
		pw->bound = true;
		snprintf(pw->tenant, sizeof pw->tenant, "%s", binding_of(j));
		rc = wproc_set_capacity(pw->w, binding_cap(p, pw->tenant), p->o.worker_memory_bytes);
		/* A function's worker gets its package once, before anything. */
		if (!rc && j->pkg)
			rc = wproc_load_package(pw->w, j->pkg);
	}
	j->started_ns = clock_mono_ns();
	j->worker = pw;
	if (j->cold && p->o.fn_cache_max && fn_binding(pw->tenant))
		evict_loaded(p);
	if (!rc)
		rc = wproc_exec(pw->w, &j->job, j, &j->slot);
	bool dead = rc == -EPIPE || rc == -ECONNRESET || rc == -ETIMEDOUT;
	if ((rc == -EDQUOT || dead) && j->retries < POOL_JOB_RETRIES) {
		/* The worker holds more than this job's memory cap (a fresher
		 * one, holding ~32 MB, can take it), or it has died: the job
		 * was not sent, and waits for another. */
		if (dead)
			log_msg(LOG_INFO, "worker_gone", "worker %d died before it could take a job (%s): the job waits for another",
				(int)pw->w->pid, strerror(-rc));
		else
			log_msg(LOG_INFO, "worker_memory", "worker %d holds more than the job's %llu MB cap: retired, the job waits for another",
				(int)pw->w->pid, (unsigned long long)(j->job.memory_bytes >> 20));
		worker_dying(pw);
		requeue(p, j);
		return;
	}
	if (rc) {
		j->worker = NULL;
			log_msg(LOG_ERROR, "worker_exec_failed", "cannot send a job to worker %d: %s",
			(int)pw->w->pid, strerror(-rc));
		worker_dying(pw);
		struct result r;
		result_init(&r);
		if (rc == -EDQUOT) {
			/* Fresh workers too: the cap is below what a worker holds
			 * before any code runs. The request's limit, not ours. */
			char msg[160];
			snprintf(msg, sizeof msg, "memory_mb %llu is below what a worker holds before any code runs",
				 (unsigned long long)(j->job.memory_bytes >> 20));
			r.status = OUTCOME_MEMORY_LIMIT;
			result_set_error(&r, "MemoryLimitError", msg);
		} else {
			result_set_error(&r, "InternalError", "the worker could not take the job");
		}
		if (j->ops)
			j->ops->done(j, &r, false);
		result_release(&r);
	}
}

static void dispatch(struct pool *p)
{
	/* Queued jobs, in order, onto workers that may take them. */
	struct pool_job **pj = &p->qhead, *prev = NULL;
	/* What still waits, in workers' worth: a job of a binding that runs
	 * many at once needs a share of a worker, not one of its own. */
	uint64_t units = 0, per = p->o.worker_concurrency > 1 ? p->o.worker_concurrency : 1;
	unsigned waiting = 0, wasm_waiting = 0;
	while (*pj) {
		struct pool_job *j = *pj;
		struct pool_worker *pw = find_worker(p, binding_of(j));
		if (!pw) {
			waiting++;
			if (wasm_binding(binding_of(j)))
				wasm_waiting++;
			else
				units += binding_cap(p, binding_of(j)) == 1 ? per : 1;
			prev = j;
			pj = &j->next;
			continue;
		}
		*pj = j->next;
		if (p->qtail == j)
			p->qtail = prev;
		j->queued = false;
		j->next = NULL;
		p->queued--;
		start_job(p, pw, j);
	}
	/* Start workers for what still waits, and keep the warm target. */
	unsigned total, idle_unbound, starting_unbound;
	worker_count(p, &total, &idle_unbound, &starting_unbound);
	/* A wasm worker for each waiting wasm job that none being started
	 * will take: they are started on demand only. */
	unsigned wasm_starting = 0;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (!pw->dying && !pw->bound && pw->wasm)
			wasm_starting++;
	while (!p->draining && wasm_waiting > wasm_starting && total < p->o.max && !spawn_one(p, true)) {
		wasm_starting++;
		total++;
	}
	if (!p->draining && wasm_waiting > wasm_starting && total >= p->o.max) {
		/* Full: an idle worker that is not a wasm one makes room (an
		 * unbound one first); its reap calls dispatch again. */
		struct pool_worker *victim = NULL;
		for (struct pool_worker *pw = p->workers; pw && !victim; pw = pw->next)
			if (!pw->dying && !pw->bound && !pw->wasm && pw->w->state == WPROC_IDLE)
				victim = pw;
		if (!victim)
			victim = oldest_idle_other(p, "");
		if (victim) {
			worker_dying(victim);
			return;
		}
	}
	unsigned need = (unsigned)((units + per - 1) / per);
	unsigned want = need > starting_unbound ? need - starting_unbound : 0;
	if (!p->draining && idle_unbound + starting_unbound < p->o.size)
		want = want > p->o.size - idle_unbound - starting_unbound ? want
			: p->o.size - idle_unbound - starting_unbound;
	while (want && !p->draining) {
		if (total >= p->o.max) {
			/* Full: make room by retiring the longest-idle worker of
			 * another tenant, if a queued job needs one. */
			if (!waiting || !p->qhead)
				break;
			struct pool_worker *victim = oldest_idle_other(p, binding_of(p->qhead));
			if (!victim)
				break;
			worker_dying(victim);
			break; /* its reap calls dispatch again */
		}
		if (spawn_one(p, false))
			break;
		total++;
		want--;
	}
}

/* --- API ---------------------------------------------------------------- */

int pool_new(struct pool **out, const struct pool_opts *o)
{
	struct pool *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->o = *o;
	if (p->o.max == 0)
		p->o.max = 1;
	if (p->o.size > p->o.max)
		p->o.size = p->o.max;
	p->slots = calloc(p->o.max, sizeof *p->slots);
	p->slot_used = calloc(p->o.max, sizeof *p->slot_used);
	if (!p->slots || !p->slot_used) {
		free(p->slots);
		free(p->slot_used);
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void pool_retire_binding(struct pool *p, const char *binding)
{
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (!pw->bound || pw->dying || strcmp(pw->tenant, binding) != 0)
			continue;
		if (pw->w->inflight)
			pw->retire = true; /* after the executions it runs */
		else
			worker_dying(pw);
	}
}

void pool_each_busy(const struct pool *p, void (*fn)(void *ud, int pid, unsigned inflight),
		    void *ud)
{
	for (const struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (!pw->dying && pw->w->inflight)
			fn(ud, (int)pw->w->pid, pw->w->inflight);
}

void pool_drop_session(struct pool *p, const char *binding, const char *id)
{
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (pw->bound && !pw->dying && strcmp(pw->tenant, binding) == 0 &&
		    wproc_drop_session(pw->w, id))
			worker_dying(pw); /* it cannot be told: it goes */
}

void pool_bindings(struct pool *p, const char *prefix, void (*cb)(void *ud, const char *binding), void *ud)
{
	/* Copied first: cb may retire workers, and a worker without a pidfd
	 * is reaped (moved off the list) at once. */
	size_t n = strlen(prefix), count = 0;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		count++;
	char (*b)[sizeof p->workers->tenant] = count ? calloc(count, sizeof *b) : NULL;
	size_t k = 0;
	for (struct pool_worker *pw = p->workers; b && pw && k < count; pw = pw->next)
		if (pw->bound && !pw->dying && !pw->retire && strncmp(pw->tenant, prefix, n) == 0)
			memcpy(b[k++], pw->tenant, sizeof b[0]);
	for (size_t i = 0; i < k; i++)
		cb(ud, b[i]);
	free(b);
}

void pool_start(struct pool *p)
{
	dispatch(p);
}

static unsigned inflight(const struct pool *p)
{
	unsigned n = 0;
	for (const struct pool_worker *pw = p->workers; pw; pw = pw->next)
		n += pw->w->inflight;
	return n;
}

int pool_submit(struct pool *p, struct pool_job *j)
{
	if (p->draining)
		return -ESHUTDOWN;
	if (p->o.node_max && inflight(p) + p->queued >= p->o.node_max)
		return -EAGAIN;
	j->enqueued_ns = clock_mono_ns();
	j->worker = NULL;
	j->next = NULL;
	struct pool_worker *pw = p->qhead ? NULL : find_worker(p, binding_of(j));
	if (pw) {
		j->queued = false;
		start_job(p, pw, j);
		return 0;
	}
	if (p->queued >= p->o.queue_max)
		return -EAGAIN;
	j->queued = true;
	if (p->qtail)
		p->qtail->next = j;
	else
		p->qhead = j;
	p->qtail = j;
	p->queued++;
	dispatch(p);
	return 0;
}

void pool_cancel(struct pool *p, struct pool_job *j)
{
	if (j->queued) {
		struct pool_job **pj = &p->qhead, *prev = NULL;
		while (*pj && *pj != j) {
			prev = *pj;
			pj = &(*pj)->next;
		}
		if (*pj) {
			*pj = j->next;
			if (p->qtail == j)
				p->qtail = prev;
			p->queued--;
		}
		j->queued = false;
			return;
	}
	if (j->worker) {
		/* Nobody waits for it: it stops, and no one is told. */
		wproc_forget(j->worker->w, j->slot);
		wproc_cancel(j->worker->w, j->slot);
		j->worker = NULL;
	}
}

int pool_stop(struct pool *p, struct pool_job *j)
{
	if (j->queued) {
		pool_cancel(p, j);
		struct result r;
		result_init(&r);
		r.status = OUTCOME_CANCELLED;
		result_set_error(&r, "CancelledError", "the execution was cancelled before it started");
		if (j->ops)
			j->ops->done(j, &r, false);
		result_release(&r);
		return 0;
	}
	return j->worker ? wproc_cancel(j->worker->w, j->slot) : -ESRCH;
}

void pool_tick(struct pool *p, uint64_t now)
{
	while (p->graveyard) {
		struct pool_worker *pw = p->graveyard;
		p->graveyard = pw->next;
		wproc_free(pw->w);
		free(pw);
	}
	/* Jobs that waited too long for a worker. */
	uint64_t limit = p->o.queue_timeout_ms * 1000000ull;
	while (p->qhead && now - p->qhead->enqueued_ns > limit) {
		struct pool_job *j = p->qhead;
		p->qhead = j->next;
		if (!p->qhead)
			p->qtail = NULL;
		p->queued--;
		j->queued = false;
		j->next = NULL;
		job_refuse(p, j, "no worker became free in time");
	}
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (pw->dying)
			continue;
		wproc_tick(pw->w, now);
		if (pw->w->kill_reason != WPROC_KILL_NONE) {
			worker_dying(pw);
			continue;
		}
		if (pw->bound && !pw->w->inflight && pw->w->state == WPROC_IDLE && p->o.idle_timeout_ms &&
		    now - pw->idle_since > p->o.idle_timeout_ms * 1000000ull)
			worker_dying(pw);
	}
	dispatch(p);
}

bool pool_ready(const struct pool *p)
{
	unsigned total, idle_unbound;
	worker_count(p, &total, &idle_unbound, NULL);
	for (const struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (!pw->dying && pw->w->state != WPROC_STARTING)
			return idle_unbound >= p->o.size || total >= p->o.max || idle_unbound > 0;
	return p->o.size == 0;
}

void pool_stats(const struct pool *p, struct pool_stats *s)
{
	memset(s, 0, sizeof *s);
	s->max = p->o.max;
	s->queued = p->queued;
	s->created = p->created;
	s->destroyed = p->destroyed;
	s->corrupted = p->corrupted;
	s->fn_evicted = p->fn_evicted;
	s->layers_min = p->o.caps->layers;
	for (const struct pool_worker *pw = p->workers; pw; pw = pw->next) {
		if (pw->dying)
			continue;
		s->total++;
		if (pw->bound && fn_binding(pw->tenant))
			s->fn_bound++;
		if (pw->w->state == WPROC_STARTING)
			s->starting++;
		else if (pw->w->inflight)
			s->active++;
		else
			s->available++;
		if (pw->w->state != WPROC_STARTING)
			s->layers_min &= pw->w->layers;
		s->inflight += pw->w->inflight;
		if (pw->w->inflight > s->inflight_max)
			s->inflight_max = pw->w->inflight;
	}
}

void pool_fetch_done(struct pool *p, struct egress_req *r)
{
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (!pw->dying && pw->w->serial == r->owner) {
			wproc_fetch_reply(pw->w, r);
			break;
		}
	egress_req_free(r);
}

bool pool_drain(struct pool *p)
{
	p->draining = true;
	if (p->qhead)
		return false;
	for (struct pool_worker *pw = p->workers; pw; pw = pw->next)
		if (pw->w->inflight)
			return false;
	return true;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	while (p->workers) {
		struct pool_worker *pw = p->workers;
		p->workers = pw->next;
		evloop_del(p->o.loop, pw->w->fd);
		if (pw->w->pidfd >= 0)
			evloop_del(p->o.loop, pw->w->pidfd);
		wproc_free(pw->w);
		free(pw);
	}
	while (p->graveyard) {
		struct pool_worker *pw = p->graveyard;
		p->graveyard = pw->next;
		wproc_free(pw->w);
		free(pw);
	}
	for (unsigned i = 0; i < p->o.max; i++)
		if (p->slots[i].version)
			cg_worker_destroy(&p->slots[i]);
	free(p->slots);
	free(p->slot_used);
	free(p);
}
