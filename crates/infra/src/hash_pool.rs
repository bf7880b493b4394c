//! A few threads that run password hashing only on CPU that the threads
//! serving requests leave idle: a storm of logins uses the spare CPU but
//! cannot starve ordinary requests.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use taskpulse_domain::{Error, Result};

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Its threads stop when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct HashPool {
    jobs: Sender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads.
    pub(crate) fn start(threads: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || work(&queue));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `task` on a hashing thread and waits for it without blocking the
    /// async executor. A task whose caller has stopped waiting (its client
    /// gone) by the time a thread is free is skipped: under overload, queued
    /// logins that nobody waits for cost no hashing.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _ = done.send(task());
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::internal("password hashing threads are gone"))?;
        result.await.map_err(Error::internal)
    }
}

/// Schedules the calling thread under `SCHED_IDLE`, so a request thread
/// that wakes takes the CPU from it at once, and it gets only the CPU that
/// nothing else wants. (At niceness 19 a hashing thread got a smaller share
/// but kept the CPU to the end of its time slice, which put a few
/// milliseconds into the requests that woke meanwhile.) Best effort:
/// without it hashing runs at normal priority.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let _ = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
}

/// Gives the calling thread the lowest priority the system offers (no
/// `SCHED_IDLE` here). Best effort.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn lower_priority() {
    use thread_priority::{ThreadPriority, set_current_thread_priority};
    let _ = set_current_thread_priority(ThreadPriority::Min);
}

fn work(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_hashing_thread() {
        let pool = HashPool::start(2);

        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .expect("ran");

        assert!(name.is_some_and(|n| n.starts_with("password-hash-")));
    }

    #[tokio::test]
    async fn a_task_nobody_waits_for_any_more_is_skipped() {
        let pool = HashPool::start(1);
        let (release, blocker) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || blocker.recv()).await }
        });
        tokio::task::yield_now().await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let abandoned = pool.run({
            let ran = ran.clone();
            move || ran.store(true, std::sync::atomic::Ordering::SeqCst)
        });

        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), abandoned).await;
        release.send(()).expect("the blocker waits");
        let after = pool.run(|| "done").await;

        assert!(gave_up.is_err(), "the only thread was busy");
        assert!(busy.await.is_ok_and(|r| r.is_ok()));
        assert_eq!(after.expect("ran"), "done");
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_only_on_idle_cpu() {
        let pool = HashPool::start(1);

        let stat = pool
            .run(|| std::fs::read_to_string("/proc/thread-self/stat"))
            .await
            .expect("ran")
            .expect("the thread's stat");

        // Fields after the command name: state is the 3rd, policy the 41st.
        let after_name = stat.rsplit_once(") ").expect("a command name").1;
        let policy = after_name.split(' ').nth(38).expect("a policy field");
        assert_eq!(policy, "5", "SCHED_IDLE");
    }
}
