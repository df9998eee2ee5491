#include "worker/pool.h"
#include "common/clock.h"
#include "worker/progress.h"

#include <errno.h>
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

struct kho_task {
	pid_t pid;
	int64_t job;
	char record_id[96];
	int page;
	char activity[32];
	int64_t deadline_ms;
	int64_t done;
	int64_t failed;
	int64_t pages;
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

static void parse_fault(const char *stage)
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
	if (!f_stage || !f_record || !f_action || strcmp(f_stage, stage) != 0)
		return;
	snprintf(fault.stage, sizeof(fault.stage), "%s", f_stage);
	snprintf(fault.record, sizeof(fault.record), "%s", f_record);
	snprintf(fault.action, sizeof(fault.action), "%s", f_action);
	fault.page = f_page ? (int)strtol(f_page, NULL, 10) : 1;
}

static void maybe_fault(const kho_task *task, int page_no)
{
	if (!fault.stage[0] || page_no != fault.page ||
	    strcmp(task->record_id, fault.record) != 0)
		return;
	if (strcmp(fault.action, "segv") == 0)
		raise(SIGSEGV);
	else if (strcmp(fault.action, "abort") == 0)
		abort();
	else if (strcmp(fault.action, "hang") == 0)
		for (;;)
			pause();
}

void kho_task_page(kho_task *task, int page_no, const char *activity)
{
	if (!task)
		return;
	__atomic_store_n(&task->page, page_no, __ATOMIC_RELAXED);
	snprintf(task->activity, sizeof(task->activity), "%s", activity);
	/* The worker moves its deadline; the supervisor only reads it. */
	__atomic_store_n(&task->deadline_ms, kho_mono_ms() + page_timeout_ms,
			 __ATOMIC_RELEASE);
	maybe_fault(task, page_no);
}

void kho_task_pages_done(kho_task *task, int pages)
{
	if (task)
		__atomic_add_fetch(&task->pages, pages, __ATOMIC_RELAXED);
}

static void worker_fatal(kho_task *task, const kho_error *err)
{
	snprintf(task->fatal_msg, sizeof(task->fatal_msg), "%s", err->msg);
	_exit(WORKER_EXIT_FATAL);
}

static void worker_main(const kho_pool_opts *o, kho_task *task,
			pid_t parent)
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
	parse_fault(o->stage);

	kho_error err = KHO_ERROR_INIT;
	kho_catalog *cat = NULL;
	if (kho_catalog_open(&cat, o->catalog_path, KHO_CATALOG_OPEN,
			     o->program, o->log_dir, &err))
		worker_fatal(task, &err);
	kho_catalog_set_run(cat, o->run);

	while (!__atomic_load_n(&task->stop, __ATOMIC_ACQUIRE)) {
		kho_job job;
		int rc = kho_jobs_claim(cat, o->stage, (int)getpid(), &job,
					&err);
		if (rc < 0)
			worker_fatal(task, &err);
		if (rc == 0)
			break;
		snprintf(task->record_id, sizeof(task->record_id), "%s",
			 job.record_id);
		kho_task_page(task, 0, "starting");
		__atomic_store_n(&task->job, job.id, __ATOMIC_RELEASE);

		kho_error_clear(&err);
		rc = o->fn(o->ctx, cat, task, &job, &err);
		kho_catalog_rollback(cat); /* nothing left open either way */
		if (rc == KHO_OK) {
			__atomic_add_fetch(&task->done, 1, __ATOMIC_RELAXED);
		} else if (rc == KHO_FAIL) {
			kho_error ferr = KHO_ERROR_INIT;
			if (kho_jobs_fail(cat, job.id, (int)getpid(), err.msg,
					  &ferr))
				worker_fatal(task, &ferr);
			__atomic_add_fetch(&task->failed, 1,
					   __ATOMIC_RELAXED);
		} else {
			kho_error rerr = KHO_ERROR_INIT;
			kho_jobs_release(cat, job.id, &rerr);
			worker_fatal(task, &err);
		}
		__atomic_store_n(&task->job, 0, __ATOMIC_RELEASE);
		kho_job_release(&job);
	}
	kho_catalog_free(cat);
	_exit(0);
}

static int spawn(const kho_pool_opts *o, kho_task *task, kho_error *err)
{
	int64_t done = task->done, failed = task->failed, pages = task->pages;
	memset(task, 0, sizeof(*task));
	task->done = done;
	task->failed = failed;
	task->pages = pages;
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start a %s worker: %s", o->stage,
				     strerror(errno));
	if (pid == 0)
		worker_main(o, task, parent);
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
			t->failed++;
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
	res->done = res->failed = res->pages = 0;
	for (int i = 0; i < ps->o->workers; i++) {
		res->done += __atomic_load_n(&ps->tasks[i].done,
					     __ATOMIC_RELAXED);
		res->failed += __atomic_load_n(&ps->tasks[i].failed,
					       __ATOMIC_RELAXED);
		res->pages += __atomic_load_n(&ps->tasks[i].pages,
					      __ATOMIC_RELAXED);
	}
}

int kho_pool_run(const kho_pool_opts *o, kho_pool_result *res,
		 kho_error *err)
{
	memset(res, 0, sizeof(*res));
	assert(o->workers > 0);
	pool_state ps = { .o = o };
	int rc = kho_catalog_open(&ps.cat, o->catalog_path, KHO_CATALOG_OPEN,
				  o->program, o->log_dir, err);
	if (rc)
		return rc;
	kho_catalog_set_run(ps.cat, o->run);

	int64_t pending = 0;
	rc = kho_jobs_count(ps.cat, o->stage, KHO_JOB_PENDING, &pending, err);
	if (rc || pending == 0) {
		kho_catalog_free(ps.cat);
		return rc;
	}
	size_t bytes = sizeof(kho_task) * (size_t)o->workers;
	ps.tasks = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ps.tasks == MAP_FAILED) {
		kho_catalog_free(ps.cat);
		return kho_error_set(err, KHO_FATAL,
				     "cannot share memory with workers: %s",
				     strerror(errno));
	}
	memset(ps.tasks, 0, bytes);

	kho_progress prog;
	kho_progress_start(&prog, o->stage, o->verb, pending, o->progress);

	int64_t last_check = 0;
	int signals_handled = signals_seen;
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
		reap(&ps, res, err);
		watch_deadlines(&ps);

		/* Keep N workers while records are waiting. */
		int64_t now = kho_mono_ms();
		if (!ps.stopping && ps.alive < o->workers &&
		    now - last_check >= 200) {
			last_check = now;
			int64_t waiting = 0;
			if (kho_jobs_count(ps.cat, o->stage, KHO_JOB_PENDING,
					   &waiting, err) != KHO_OK) {
				ps.fatal = 1;
				stop_all(&ps);
				snprintf(ps.fatal_msg, sizeof(ps.fatal_msg),
					 "%s", err->msg);
			}
			for (int i = 0; i < o->workers && waiting > ps.alive;
			     i++) {
				if (ps.tasks[i].pid)
					continue;
				if (spawn(o, &ps.tasks[i], err) != KHO_OK) {
					ps.fatal = 1;
					stop_all(&ps);
					snprintf(ps.fatal_msg,
						 sizeof(ps.fatal_msg), "%s",
						 err->msg);
					break;
				}
				ps.alive++;
			}
			if (ps.alive == 0 && waiting == 0)
				break;
		}
		if (ps.alive == 0 && ps.stopping)
			break;
		sum(&ps, res);
		kho_progress_update(&prog, res->done + res->failed, res->pages);
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	sum(&ps, res);
	kho_progress_finish(&prog, res->done + res->failed, res->pages);
	munmap(ps.tasks, bytes);
	kho_catalog_free(ps.cat);
	if (ps.fatal)
		return kho_error_set(err, KHO_FATAL, "%s", ps.fatal_msg);
	return KHO_OK;
}
