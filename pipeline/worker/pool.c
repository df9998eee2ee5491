#include "worker/pool.h"
#include "common/clock.h"
#include "worker/progress.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A worker's exit status when it stops for a problem that is not its
 * record's; the message is in its task. */
#define WORKER_EXIT_FATAL 3

/* What the supervisor tells every worker: which stages are open (the
 * night window, the load guard). */
typedef struct pool_shared {
	int open[KHO_POOL_MAX_STAGES];
} pool_shared;

struct kho_task {
	pid_t pid;
	int64_t job;
	int stage;              /* index of the job's stage */
	char record_id[96];
	int page;
	char activity[32];
	int64_t deadline_ms;
	int64_t done[KHO_POOL_MAX_STAGES];
	int64_t failed[KHO_POOL_MAX_STAGES];
	int64_t pages[KHO_POOL_MAX_STAGES];
	int64_t ms[KHO_POOL_MAX_STAGES];
	int64_t finished_pages; /* of records through the last stage */
	int stop;
	int timed_out;
	int killed_by_us;
	char fatal_msg[KHO_ERROR_MSG_MAX];
};

static volatile sig_atomic_t signals_seen;

static void on_stop_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

static void on_child(int sig)
{
	(void)sig; /* only to cut the supervisor's sleep short */
}

void kho_pool_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

int kho_pool_stop_requested(void)
{
	return signals_seen > 0;
}

int kho_pool_signals(void)
{
	return signals_seen;
}

/* The per-page limit of this worker, set before it takes work. */
static int page_timeout_ms = 300000;

/*
 * Fault injection for the reliability tests: KHO_FAULT=STAGE:RECORD:ACTION:
 * PAGE makes the worker of that stage crash (segv), abort (abort) or hang
 * (hang) as it starts that page of that record.  Unset in production.
 */
static struct {
	char stage[16];
	char record[96];
	char action[16];
	int page;
} fault;

static void parse_fault(void)
{
	memset(&fault, 0, sizeof(fault));
	const char *spec = getenv("KHO_FAULT");
	if (!spec)
		return;
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", spec);
	char *save = NULL;
	char *f_stage = strtok_r(buf, ":", &save);
	char *f_record = strtok_r(NULL, ":", &save);
	char *f_action = strtok_r(NULL, ":", &save);
	char *f_page = strtok_r(NULL, ":", &save);
	if (!f_stage || !f_record || !f_action)
		return;
	snprintf(fault.stage, sizeof(fault.stage), "%s", f_stage);
	snprintf(fault.record, sizeof(fault.record), "%s", f_record);
	snprintf(fault.action, sizeof(fault.action), "%s", f_action);
	fault.page = f_page ? (int)strtol(f_page, NULL, 10) : 1;
}

/* The stage of the job a worker holds, for the fault's test. */
static const char *current_stage;

static void maybe_fault(const kho_task *task, int page_no)
{
	if (!fault.stage[0] || page_no != fault.page ||
	    strcmp(task->record_id, fault.record) != 0 || !current_stage ||
	    strcmp(current_stage, fault.stage) != 0)
		return;
	if (strcmp(fault.action, "segv") == 0)
		raise(SIGSEGV);
	else if (strcmp(fault.action, "abort") == 0)
		abort();
	else if (strcmp(fault.action, "hang") == 0)
		for (;;)
			pause();
}

/* The page being worked and its clock; the worker moves its deadline,
 * the supervisor only reads it. */
static void set_page(kho_task *task, int page_no, const char *activity)
{
	__atomic_store_n(&task->page, page_no, __ATOMIC_RELAXED);
	snprintf(task->activity, sizeof(task->activity), "%s", activity);
	__atomic_store_n(&task->deadline_ms, kho_mono_ms() + page_timeout_ms,
			 __ATOMIC_RELEASE);
}

void kho_task_page(kho_task *task, int page_no, const char *activity)
{
	if (!task)
		return;
	set_page(task, page_no, activity);
	maybe_fault(task, page_no);
}

void kho_task_pages_done(kho_task *task, int pages)
{
	if (task)
		__atomic_add_fetch(&task->pages[task->stage], pages,
				   __ATOMIC_RELAXED);
}

/* A record through the last of several stages: its pages, for the
 * progress line only (a query that fails leaves them out of it). */
static void count_finished_pages(kho_catalog *cat, kho_task *task,
				 const kho_job *job)
{
	kho_page *pages = NULL;
	size_t n = 0;
	kho_error ignored = KHO_ERROR_INIT;
	if (job->record <= 0 ||
	    kho_records_pages(cat, job->record, &pages, &n, &ignored) != KHO_OK)
		return;
	free(pages);
	__atomic_add_fetch(&task->finished_pages, (int64_t)n,
			   __ATOMIC_RELAXED);
}

static void worker_fatal(kho_task *task, const kho_error *err)
{
	snprintf(task->fatal_msg, sizeof(task->fatal_msg), "%s", err->msg);
	_exit(WORKER_EXIT_FATAL);
}


void kho_worker_memory(void)
{
#ifdef __GLIBC__
	/* Blocks up to 1 GB from the heap, none given back as they are
	 * freed: malloc_trim does, once a job.  glibc refuses a threshold
	 * above half its heap size on some builds; 32 MB, its usual most,
	 * still keeps all but a 600 dpi page's largest buffers. */
	if (!mallopt(M_MMAP_THRESHOLD, 1 << 30))
		mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int kho_worker_job_done(void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
	if (mallinfo2().fordblks <= KHO_WORKER_KEEP_FREE)
		return 0;
#endif
#ifdef __GLIBC__
	malloc_trim(0);
	return 1;
#else
	return 0;
#endif
}

static void worker_main(const kho_pool_opts *o, kho_task *task,
			const pool_shared *shared, pid_t parent)
{
	/* Die with the supervisor: a killed run leaves no orphan worker
	 * holding records. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* ^C and a service manager's SIGTERM go to the whole group: the
	 * supervisor decides, and the worker finishes its record. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	page_timeout_ms = o->page_timeout_s * 1000;
	parse_fault();
	kho_worker_memory();

	kho_error err = KHO_ERROR_INIT;
	kho_catalog *cat = NULL;
	if (kho_catalog_open(&cat, o->catalog_path, KHO_CATALOG_OPEN,
			     o->program, o->log_dir, &err))
		worker_fatal(task, &err);
	kho_catalog_set_run(cat, o->run);

	while (!__atomic_load_n(&task->stop, __ATOMIC_ACQUIRE)) {
		/* The latest open stage with a job first. */
		kho_job job;
		int rc = 0, si = -1;
		for (int i = (int)o->n_stages - 1; i >= 0 && rc == 0; i--) {
			if (!__atomic_load_n(&shared->open[i], __ATOMIC_ACQUIRE))
				continue;
			rc = kho_jobs_claim(cat, o->stages[i].name,
					    (int)getpid(), &job, &err);
			si = i;
		}
		if (rc < 0)
			worker_fatal(task, &err);
		if (rc == 0)
			break;
		task->stage = si;
		current_stage = o->stages[si].name;
		snprintf(task->record_id, sizeof(task->record_id), "%s",
			 job.record_id);
		/* The job is the supervisor's to fail before anything that
		 * can crash or time out runs (a fault at page 0 included),
		 * and its clock is this job's, not the last one's. */
		set_page(task, 0, "starting");
		__atomic_store_n(&task->job, job.id, __ATOMIC_RELEASE);
		maybe_fault(task, 0);

		kho_error_clear(&err);
		const int64_t t0 = kho_mono_ms();
		rc = o->stages[si].fn(o->ctx, cat, task, &job, &err);
		kho_catalog_rollback(cat); /* nothing left open either way */
		__atomic_add_fetch(&task->ms[si], kho_mono_ms() - t0,
				   __ATOMIC_RELAXED);
		if (rc == KHO_OK) {
			__atomic_add_fetch(&task->done[si], 1,
					   __ATOMIC_RELAXED);
			if (o->n_stages > 1 && si == (int)o->n_stages - 1)
				count_finished_pages(cat, task, &job);
		} else if (rc == KHO_FAIL) {
			kho_error ferr = KHO_ERROR_INIT;
			if (kho_jobs_fail(cat, job.id, (int)getpid(), err.msg,
					  &ferr))
				worker_fatal(task, &ferr);
			__atomic_add_fetch(&task->failed[si], 1,
					   __ATOMIC_RELAXED);
		} else {
			kho_error rerr = KHO_ERROR_INIT;
			kho_jobs_release(cat, job.id, &rerr);
			worker_fatal(task, &err);
		}
		__atomic_store_n(&task->job, 0, __ATOMIC_RELEASE);
		current_stage = NULL;
		kho_job_release(&job);
		kho_worker_job_done();
	}
	kho_catalog_free(cat);
	_exit(0);
}

static int spawn(const kho_pool_opts *o, kho_task *task,
		 const pool_shared *shared, kho_error *err)
{
	/* The slot's counts carry over to the worker that takes it. */
	kho_task keep = *task;
	memset(task, 0, sizeof(*task));
	memcpy(task->done, keep.done, sizeof(task->done));
	memcpy(task->failed, keep.failed, sizeof(task->failed));
	memcpy(task->pages, keep.pages, sizeof(task->pages));
	memcpy(task->ms, keep.ms, sizeof(task->ms));
	task->finished_pages = keep.finished_pages;
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start a worker: %s",
				     strerror(errno));
	if (pid == 0)
		worker_main(o, task, shared, parent);
	task->pid = pid;
	return KHO_OK;
}

static void describe_death(const kho_pool_opts *o, const kho_task *t,
			   int status, char *msg, size_t cap)
{
	char where[96];
	int page = __atomic_load_n(&t->page, __ATOMIC_ACQUIRE);
	if (page > 0)
		snprintf(where, sizeof(where), "while %s page %d", t->activity,
			 page);
	else
		snprintf(where, sizeof(where), "while %s", t->activity);
	if (t->timed_out)
		snprintf(msg, cap,
			 "worker killed after exceeding the per-page time "
			 "limit of %d s (page_timeout) %s",
			 o->page_timeout_s, where);
	else if (WIFSIGNALED(status))
		snprintf(msg, cap, "worker killed by signal %d (%s) %s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)), where);
	else
		snprintf(msg, cap, "worker exited with status %d %s",
			 WEXITSTATUS(status), where);
}

typedef struct pool_state {
	const kho_pool_opts *o;
	kho_catalog *cat;
	kho_task *tasks;
	pool_shared *shared;
	int alive;
	int stopping;     /* no new records */
	int fatal;
	char fatal_msg[KHO_ERROR_MSG_MAX];
} pool_state;

/* No worker takes another record; each finishes the one it holds. */
static void stop_all(pool_state *ps)
{
	ps->stopping = 1;
	for (int i = 0; i < ps->o->workers; i++)
		__atomic_store_n(&ps->tasks[i].stop, 1, __ATOMIC_RELEASE);
}

static void reap(pool_state *ps, kho_pool_result *res, kho_error *err)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		kho_task *t = NULL;
		for (int i = 0; i < ps->o->workers; i++)
			if (ps->tasks[i].pid == pid)
				t = &ps->tasks[i];
		if (!t)
			continue;
		ps->alive--;
		t->pid = 0;
		int64_t job = __atomic_load_n(&t->job, __ATOMIC_ACQUIRE);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == WORKER_EXIT_FATAL) {
			if (!ps->fatal) {
				ps->fatal = 1;
				snprintf(ps->fatal_msg, sizeof(ps->fatal_msg),
					 "%s", t->fatal_msg);
			}
			stop_all(ps);
			continue;
		}
		if (!job)
			continue;
		kho_error ferr = KHO_ERROR_INIT;
		if (t->killed_by_us) {
			/* Stopped at once by a second ^C: not the record's
			 * fault, it goes back to the queue. */
			kho_catalog_begin(ps->cat, &ferr);
			kho_jobs_release(ps->cat, job, &ferr);
			kho_catalog_commit(ps->cat, &ferr);
			continue;
		}
		char msg[KHO_ERROR_MSG_MAX];
		describe_death(ps->o, t, status, msg, sizeof(msg));
		if (kho_jobs_fail(ps->cat, job, pid, msg, &ferr) == KHO_OK) {
			t->failed[t->stage]++;
		} else if (!ps->fatal) {
			ps->fatal = 1;
			stop_all(ps);
			snprintf(ps->fatal_msg, sizeof(ps->fatal_msg), "%s",
				 ferr.msg);
		}
	}
	(void)res;
	(void)err;
}

static void watch_deadlines(pool_state *ps)
{
	int64_t now = kho_mono_ms();
	for (int i = 0; i < ps->o->workers; i++) {
		kho_task *t = &ps->tasks[i];
		if (!t->pid || t->timed_out)
			continue;
		if (!__atomic_load_n(&t->job, __ATOMIC_ACQUIRE))
			continue;
		int64_t deadline =
			__atomic_load_n(&t->deadline_ms, __ATOMIC_ACQUIRE);
		if (deadline && now > deadline) {
			t->timed_out = 1;
			kill(t->pid, SIGKILL);
		}
	}
}

static void sum(const pool_state *ps, kho_pool_result *res)
{
	for (size_t k = 0; k < ps->o->n_stages; k++) {
		res->done[k] = res->failed[k] = res->pages[k] = res->ms[k] = 0;
		for (int i = 0; i < ps->o->workers; i++) {
			const kho_task *t = &ps->tasks[i];
			res->done[k] += __atomic_load_n(&t->done[k],
							__ATOMIC_RELAXED);
			res->failed[k] += __atomic_load_n(&t->failed[k],
							  __ATOMIC_RELAXED);
			res->pages[k] += __atomic_load_n(&t->pages[k],
							 __ATOMIC_RELAXED);
			res->ms[k] += __atomic_load_n(&t->ms[k],
						      __ATOMIC_RELAXED);
		}
	}
}

/*
 * Records through a pool of several stages: of the total (the records with
 * a job pending in one of its stages at the start), those with no job
 * pending or running in any of them now.  A record is through when its
 * last stage is done, when it failed in any stage, or when a stage ended
 * its work early (ingest found the same scans as before; a newer version
 * dropped an older one's jobs).  A record's jobs move forward only, so
 * counting stage by stage in pipeline order, pending before running,
 * counts a record that moves on between two counts twice, never zero
 * times: never more records than are through.  known on a catalog error.
 */
static int64_t records_through(pool_state *ps, int64_t total, int64_t known)
{
	static const kho_job_state states[] = { KHO_JOB_PENDING,
						KHO_JOB_RUNNING };
	int64_t left = 0;
	for (size_t i = 0; i < ps->o->n_stages; i++) {
		for (size_t k = 0; k < KHO_ARRAY_SIZE(states); k++) {
			int64_t n = 0;
			kho_error ignored = KHO_ERROR_INIT;
			if (kho_jobs_count(ps->cat, ps->o->stages[i].name,
					   states[k], &n, &ignored) != KHO_OK)
				return known;
			left += n;
		}
	}
	return KHO_MAX((int64_t)0, total - left);
}

/*
 * What the progress line shows.  One stage: its jobs done or failed and the
 * pages it reported, as ever.  Several (kho run): each record once, when it
 * is through them all (records_through), and each page once, as a page of
 * a record that got through the last stage: the pages ready for the
 * warehouse.  A stage's own page counts would count a page once per stage
 * that looks at it, and pages of records that later fail.
 */
static void progress_counts(pool_state *ps, const kho_pool_result *res,
			    int64_t total, int64_t *records, int64_t *pages)
{
	const kho_pool_opts *o = ps->o;
	if (o->n_stages == 1) {
		*records = res->done[0] + res->failed[0];
		*pages = res->pages[0];
		return;
	}
	*records = records_through(ps, total, *records);
	*pages = 0;
	for (int i = 0; i < o->workers; i++)
		*pages += __atomic_load_n(&ps->tasks[i].finished_pages,
					  __ATOMIC_RELAXED);
}

/* The 1-minute load average, or 0 when unknown. */
static double load_average(void)
{
	double l[1];
	return getloadavg(l, 1) == 1 ? l[0] : 0;
}

/*
 * Which stages are open now.  In the night window, a record at stage i
 * still needs the time of stages i.. n-1 (each as long as its jobs took
 * in this run, or before it as far as known) and the tail (pack): a stage
 * is open while that ends before the deadline.
 */
static void update_open(pool_state *ps, const kho_pool_result *res,
			int *window_closed)
{
	const kho_pool_opts *o = ps->o;
	const int64_t now = kho_mono_ms();
	const int loaded = o->max_load > 0 && load_average() > o->max_load;
	int64_t remaining = o->tail_ms;
	for (int i = (int)o->n_stages - 1; i >= 0; i--) {
		const int64_t n = res->done[i] + res->failed[i];
		const int64_t per = n > 0 ? res->ms[i] / n : o->stages[i].prior_ms;
		remaining += per;
		int open = !ps->stopping && !loaded;
		if (open && o->deadline_ms > 0 && now + remaining > o->deadline_ms) {
			open = 0;
			*window_closed = 1;
		}
		__atomic_store_n(&ps->shared->open[i], open, __ATOMIC_RELEASE);
	}
}

/* Work waits only for the load guard: the machine is too busy now, the
 * window is open, and jobs are pending. */
static int held_by_load(pool_state *ps, const kho_pool_result *res)
{
	const kho_pool_opts *o = ps->o;
	if (ps->stopping || o->max_load <= 0 || load_average() <= o->max_load)
		return 0;
	(void)res;
	if (o->deadline_ms > 0 && kho_mono_ms() > o->deadline_ms)
		return 0;
	for (size_t i = 0; i < o->n_stages; i++) {
		int64_t n = 0;
		kho_error e = KHO_ERROR_INIT;
		if (kho_jobs_count(ps->cat, o->stages[i].name, KHO_JOB_PENDING,
				   &n, &e) == KHO_OK &&
		    n > 0)
			return 1;
	}
	return 0;
}

/* Jobs waiting in the open stages. */
static int64_t waiting(pool_state *ps, kho_error *err, int *rc)
{
	int64_t sum_waiting = 0;
	for (size_t i = 0; i < ps->o->n_stages; i++) {
		if (!__atomic_load_n(&ps->shared->open[i], __ATOMIC_ACQUIRE))
			continue;
		int64_t n = 0;
		*rc = kho_jobs_count(ps->cat, ps->o->stages[i].name,
				     KHO_JOB_PENDING, &n, err);
		if (*rc)
			return 0;
		sum_waiting += n;
	}
	return sum_waiting;
}

int kho_pool_run(const kho_pool_opts *o, kho_pool_result *res,
		 kho_error *err)
{
	memset(res, 0, sizeof(*res));
	assert(o->workers > 0);
	assert(o->n_stages > 0 && o->n_stages <= KHO_POOL_MAX_STAGES);
	pool_state ps = { .o = o };
	int rc = kho_catalog_open(&ps.cat, o->catalog_path, KHO_CATALOG_OPEN,
				  o->program, o->log_dir, err);
	if (rc)
		return rc;
	kho_catalog_set_run(ps.cat, o->run);

	/* Each record to work has one job pending, in the stage it is at:
	 * the jobs pending are the records, progress_counts' total. */
	int64_t pending = 0;
	for (size_t i = 0; rc == KHO_OK && i < o->n_stages; i++) {
		int64_t n = 0;
		rc = kho_jobs_count(ps.cat, o->stages[i].name, KHO_JOB_PENDING,
				    &n, err);
		pending += n;
	}
	if (rc || pending == 0) {
		kho_catalog_free(ps.cat);
		return rc;
	}
	size_t bytes = sizeof(kho_task) * (size_t)o->workers +
		       sizeof(pool_shared);
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		kho_catalog_free(ps.cat);
		return kho_error_set(err, KHO_FATAL,
				     "cannot share memory with workers: %s",
				     strerror(errno));
	}
	memset(mem, 0, bytes);
	ps.shared = mem;
	ps.tasks = (kho_task *)((char *)mem + sizeof(pool_shared));

	kho_progress prog;
	int64_t prog_records = 0, prog_pages = 0, counted_ms = 0;
	kho_progress_start(&prog, o->n_stages == 1 ? o->stages[0].name : "run",
			   o->verb, pending, o->progress);

	int64_t last_check = 0;
	int signals_handled = signals_seen;
	update_open(&ps, res, &res->window_closed);
	for (;;) {
		if (signals_seen != signals_handled) {
			signals_handled = signals_seen;
			res->interrupted = 1;
			stop_all(&ps);
			if (signals_handled >= 2) {
				for (int i = 0; i < o->workers; i++) {
					if (!ps.tasks[i].pid)
						continue;
					ps.tasks[i].killed_by_us = 1;
					kill(ps.tasks[i].pid, SIGKILL);
				}
			}
		}
		const int alive_before = ps.alive;
		reap(&ps, res, err);
		watch_deadlines(&ps);

		/* Keep N workers while records are waiting in open stages:
		 * looked at every 200 ms, and at once when a worker has
		 * ended (the last one's end is the command's end: a short
		 * command, the archivist's re-run of one record, does not
		 * wait out the 200 ms). */
		int64_t now = kho_mono_ms();
		if (now - last_check >= 200 || ps.alive < alive_before) {
			last_check = now;
			sum(&ps, res);
			update_open(&ps, res, &res->window_closed);
			int64_t ready = 0;
			int qrc = KHO_OK;
			if (!ps.stopping)
				ready = waiting(&ps, err, &qrc);
			if (qrc != KHO_OK) {
				ps.fatal = 1;
				stop_all(&ps);
				snprintf(ps.fatal_msg, sizeof(ps.fatal_msg),
					 "%s", err->msg);
			}
			for (int i = 0; i < o->workers && ready > ps.alive;
			     i++) {
				if (ps.tasks[i].pid)
					continue;
				if (spawn(o, &ps.tasks[i], ps.shared, err) !=
				    KHO_OK) {
					ps.fatal = 1;
					stop_all(&ps);
					snprintf(ps.fatal_msg,
						 sizeof(ps.fatal_msg), "%s",
						 err->msg);
					break;
				}
				ps.alive++;
			}
			/* Done: nothing running and nothing to take now (an
			 * open stage may still fill while a worker runs).  A
			 * machine too loaded to start work waits, unless the
			 * window or a signal has closed every stage anyway. */
			if (ps.alive == 0 && ready == 0 &&
			    !held_by_load(&ps, res))
				break;
		}
		if (ps.alive == 0 && ps.stopping)
			break;
		sum(&ps, res);
		/* The bar is drawn five times a second; the records through
		 * are counted in the catalog at most once every two seconds
		 * (on a million pending jobs a count takes about 60 ms). */
		if (kho_progress_due(&prog)) {
			const int64_t at = kho_mono_ms();
			if (at - counted_ms >= 2000) {
				progress_counts(&ps, res, pending,
						&prog_records, &prog_pages);
				counted_ms = at;
			}
			kho_progress_update(&prog, prog_records, prog_pages);
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	sum(&ps, res);
	if (o->progress != KHO_PROGRESS_NONE)
		progress_counts(&ps, res, pending, &prog_records, &prog_pages);
	kho_progress_finish(&prog, prog_records, prog_pages);
	munmap(mem, bytes);
	kho_catalog_free(ps.cat);
	if (ps.fatal)
		return kho_error_set(err, KHO_FATAL, "%s", ps.fatal_msg);
	return KHO_OK;
}
