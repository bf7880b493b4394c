//! A few threads that run password hashing at a lower OS priority than the
//! threads that serve requests: a storm of logins uses the spare CPU but
//! cannot starve ordinary requests.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use taskpulse_domain::{Error, Result};
use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};

type Job = Box<dyn FnOnce() + Send>;

/// The priority of hashing threads: niceness 10 on Linux, so the scheduler
/// gives request threads about ten times their share when both want CPU.
const HASHING_PRIORITY: u8 = 22;

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
    /// async executor.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(task());
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::internal("password hashing threads are gone"))?;
        result.await.map_err(Error::internal)
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    if let Ok(value) = ThreadPriorityValue::try_from(HASHING_PRIORITY) {
        // Best effort: without it hashing runs at normal priority.
        let _ = set_current_thread_priority(ThreadPriority::Crossplatform(value));
    }
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
}
