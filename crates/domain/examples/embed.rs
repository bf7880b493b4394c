//! TaskPulse's rules in a plain program: no HTTP server, no database, no
//! async runtime. The in-memory adapters stand in for storage and a small
//! executor runs the services' async functions.
//!
//! Run it with `cargo run -p taskpulse-domain --example embed --features memory`.

use std::sync::Arc;

use chrono::Duration;
use taskpulse_domain::idempotency::{IdempotencyKey, StoredResponse};
use taskpulse_domain::memory::{
    FixedClock, HmacCodec, HmacOneTimeCodes, MemoryStore, RecordingMailer, SystemClock,
    TestPasswordHasher, UuidTokens,
};
use taskpulse_domain::ports::{Clock, LockoutPolicy};
use taskpulse_domain::rate_limit::RateLimiter;
use taskpulse_domain::session::ClientInfo;
use taskpulse_domain::task::{NewTask, Precondition, TaskChanges, TaskQuery, Title};
use taskpulse_domain::user::{Email, Password, Registration, UserName};
use taskpulse_domain::{
    AuthPorts, AuthService, AuthSettings, Error, IdempotencyService, TaskService,
};

type Outcome = Result<(), Box<dyn std::error::Error>>;

fn main() -> Outcome {
    futures_executor::block_on(run())
}

async fn run() -> Outcome {
    // One store for every repository; a clock we can move by hand.
    let store = MemoryStore::new();
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let auth = AuthService::new(
        AuthPorts {
            users: Arc::new(store.users()),
            sessions: Arc::new(store.sessions()),
            hasher: Arc::new(TestPasswordHasher),
            tokens: Arc::new(HmacCodec::new(b"embed example secret, 32 bytes.")),
            opaque: Arc::new(UuidTokens),
            access_tokens: Arc::new(store.access_tokens()),
            token_secrets: Arc::new(UuidTokens),
            factors: Arc::new(store.second_factors()),
            codes: Arc::new(HmacOneTimeCodes),
            mailer: Arc::new(RecordingMailer::new()),
            security: Arc::new(store.security_log()),
            verifications: Arc::new(store.email_verifications()),
            limiter: RateLimiter::new(Arc::new(store.rate_limits()), clock.clone()),
            clock: clock.clone(),
        },
        AuthSettings {
            access_token_ttl: Duration::hours(1),
            refresh_token_ttl: Duration::days(30),
            session_max_lifetime: Duration::days(90),
            lockout: LockoutPolicy {
                max_failures: 3,
                lockout: Duration::minutes(15),
            },
            max_external_token_ttl: Duration::days(1),
            require_verified_email: false,
            verification_ttl: Duration::hours(24),
        },
    );
    let tasks = TaskService::new(
        Arc::new(store.tasks()),
        Arc::new(store.labels()),
        Arc::new(store.users()),
        Arc::new(store.changes()),
        clock.clone(),
        Duration::days(30),
    );
    let idempotency = IdempotencyService::new(
        Arc::new(store.idempotency()),
        clock.clone(),
        Duration::hours(24),
        Duration::seconds(30),
    );

    // Accounts.
    let ada = auth
        .register(
            registration("Ada", "ada@example.com")?,
            ClientInfo::default(),
        )
        .await?;
    let bob = auth
        .register(
            registration("Bob", "bob@example.com")?,
            ClientInfo::default(),
        )
        .await?;
    let me = auth.authenticate(&ada.access_token).await?.user.id;
    // The task service takes the token's bearer (checked in memory) and
    // opens the tasks of the owner a request addresses: only the bearer's
    // own, and only while storage still vouches for the bearer.
    let ada_bearer = auth.bearer(&ada.access_token)?;
    let bob_bearer = auth.bearer(&bob.access_token)?;
    let adas = tasks.for_owner(ada_bearer, Some(me)).await?;
    println!(
        "registered {} and {}",
        ada.user.email.as_str(),
        bob.user.email.as_str()
    );
    println!("ada's access token checks out: user {me}");

    // Tasks, scoped to their owner.
    let report = adas.create(new_task("Write the report")?).await?;
    let groceries = adas.create(new_task("Buy groceries")?).await?;
    println!(
        "created #{} {:?} and #{} {:?}",
        report.id, report.title, groceries.id, groceries.title
    );

    // An idempotent create: the second request with the same key replays.
    let key = IdempotencyKey::parse("create-call-mom-1")?;
    for attempt in 1..=2 {
        let call_mom = new_task("Call mom")?;
        let answer = idempotency
            .run(me, &key, "title=Call mom", async {
                let task = adas.create(call_mom).await?;
                Ok(StoredResponse {
                    status: 201,
                    headers: vec![("location".into(), format!("/tasks/{}", task.id))],
                    body: task.title.into_bytes(),
                })
            })
            .await?;
        println!(
            "idempotent create, attempt {attempt}: {} {:?}",
            answer.status, answer.headers
        );
    }
    let all = adas.list(&TaskQuery::default()).await?;
    println!("ada has {} tasks: the repeat ran nothing", all.total);

    let done = adas
        .set_completion(groceries.id, None, Precondition::None)
        .await?;
    println!(
        "toggled #{}: completed = {}, version {}",
        done.id, done.completed, done.version
    );

    let stale = adas
        .update(
            report.id,
            retitle("Write the final report")?,
            Precondition::Version(7),
        )
        .await;
    println!(
        "update expecting version 7 of #{}: {}",
        report.id,
        describe(stale.map(|_| ()))
    );

    let open = TaskQuery {
        completed: Some(false),
        sort: "title".parse()?,
        ..TaskQuery::default()
    };
    let page = adas.list(&open).await?;
    let titles: Vec<&str> = page.tasks.iter().map(|t| t.title.as_str()).collect();
    println!(
        "ada's open tasks by title ({} in all): {titles:?}",
        page.total
    );

    let peek = tasks.for_owner(bob_bearer, Some(me)).await;
    println!(
        "bob reads ada's task #{}: {}",
        report.id,
        describe(peek.map(|_| ()))
    );

    // Sessions: a refresh rotates; replaying the old token ends them all.
    let renewed = auth
        .refresh(&ada.refresh_token, &ClientInfo::default())
        .await?;
    println!("refreshed: a new refresh token, the old one is used up");
    let replay = auth
        .refresh(&ada.refresh_token, &ClientInfo::default())
        .await;
    println!(
        "old refresh token presented again: {}",
        describe(replay.map(|_| ()))
    );
    let after = auth.authenticate(&renewed.access_token).await;
    println!(
        "the renewed access token after the replay: {}",
        describe(after.map(|_| ()))
    );

    // Lock-out, and the clock moving on.
    for _ in 0..3 {
        let wrong = auth
            .login("ada@example.com", "not her password", ClientInfo::default())
            .await;
        println!(
            "login with a wrong password: {}",
            describe(wrong.map(|_| ()))
        );
    }
    let locked = auth
        .login(
            "ada@example.com",
            "correct horse battery",
            ClientInfo::default(),
        )
        .await;
    println!(
        "login with the right password while locked: {}",
        describe(locked.map(|_| ()))
    );
    clock.advance(Duration::minutes(15));
    let back = auth
        .login(
            "ada@example.com",
            "correct horse battery",
            ClientInfo::default(),
        )
        .await;
    println!("15 minutes later: {}", describe(back.map(|_| ())));
    Ok(())
}

fn registration(name: &str, email: &str) -> Result<Registration, Box<dyn std::error::Error>> {
    Ok(Registration {
        name: UserName::parse(name)?,
        email: Email::parse(email)?,
        password: Password::parse("correct horse battery")?,
    })
}

fn new_task(title: &str) -> Result<NewTask, Box<dyn std::error::Error>> {
    Ok(NewTask::new(Title::parse(title)?))
}

fn retitle(title: &str) -> Result<TaskChanges, Box<dyn std::error::Error>> {
    Ok(TaskChanges {
        title: Some(Title::parse(title)?),
        ..TaskChanges::default()
    })
}

/// A result in a few words.
fn describe(result: Result<(), Error>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(err) => format!("refused ({err})"),
    }
}
