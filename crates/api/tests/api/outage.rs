//! Database outages: 503 within about a second while PostgreSQL is away,
//! recovery without a restart, and no acknowledged write lost.
//!
//! The server reaches PostgreSQL through a TCP proxy the test can cut.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskpulse_api::settings::Secret;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{Backend, error_body, spawn_app_with};

/// A loopback TCP proxy whose connections can be cut and refused.
struct CuttableProxy {
    port: u16,
    state: Arc<Mutex<ProxyState>>,
}

#[derive(Default)]
struct ProxyState {
    cut: bool,
    connections: Vec<JoinHandle<()>>,
}

impl CuttableProxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("bound").port();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = shared.lock().expect("proxy state");
                if state.cut {
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                state.connections.push(relay);
            }
        });
        Self { port, state }
    }

    /// Refuses new connections and drops every open one, returning once
    /// their sockets are closed (an aborted relay lets go of its sockets
    /// only when its task next runs, which under load could be after
    /// [`Self::restore`]).
    async fn cut(&self) {
        let relays: Vec<JoinHandle<()>> = {
            let mut state = self.state.lock().expect("proxy state");
            state.cut = true;
            state.connections.drain(..).collect()
        };
        for relay in relays {
            relay.abort();
            let _ = relay.await;
        }
    }

    fn restore(&self) {
        self.state.lock().expect("proxy state").cut = false;
    }
}

/// Sends the request built by `request` until it answers something other
/// than 503, as a client retrying after an outage would.
async fn until_available(
    deadline: Instant,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> reqwest::Response {
    loop {
        let response = request().send().await.expect("sent");
        if response.status() != StatusCode::SERVICE_UNAVAILABLE {
            return response;
        }
        assert!(Instant::now() < deadline, "still 503 after 15 s");
    }
}

async fn expect_unavailable_quickly(request: reqwest::RequestBuilder) {
    let started = Instant::now();
    let response = request.send().await.expect("sent");
    let elapsed = started.elapsed();

    assert!(
        elapsed < Duration::from_millis(2500),
        "answered after {elapsed:?}"
    );
    assert!(response.headers().contains_key("retry-after"));
    error_body(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_503_while_the_database_is_away_and_recovers_by_itself() {
    let upstream: SocketAddr = "127.0.0.1:5432".parse().expect("address");
    let proxy = CuttableProxy::start(upstream).await;
    let proxy_port = proxy.port;
    let rerouted = spawn_app_with(Backend::Postgres, |settings| {
        let mut url = reqwest::Url::parse(settings.database.url.expose()).expect("database URL");
        url.set_port(Some(proxy_port)).expect("port set");
        settings.database.url = Secret::new(url.to_string());
    });
    let Some(app) = rerouted.await else { return };
    let user = app.signed_up().await;
    let mut acknowledged = Vec::new();
    for n in 0..3 {
        acknowledged.push(
            app.create_task(&user, json!({"title": format!("before {n}")}))
                .await["id"]
                .clone(),
        );
    }

    proxy.cut().await;
    expect_unavailable_quickly(app.authed(Method::GET, &user.tasks(), &user)).await;
    expect_unavailable_quickly(
        app.authed(Method::POST, &user.tasks(), &user)
            .json(&json!({"title": "lost"})),
    )
    .await;
    let health = app
        .request(Method::GET, "/health")
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.json::<Value>().await.expect("json")["database"],
        "unreachable"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let health = app
            .request(Method::GET, "/health")
            .send()
            .await
            .expect("sent");
        if health.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery within 15 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each worker's pool finds a connection that the cut left dead on its
    // next use, answering 503 once for it; a client retries, and the
    // write that answers 201 is the one acknowledged.
    let created = until_available(deadline, || {
        app.authed(Method::POST, &user.tasks(), &user)
            .json(&json!({"title": "after"}))
    })
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("task body");
    acknowledged.push(created["id"].clone());
    let listed = until_available(deadline, || app.authed(Method::GET, &user.tasks(), &user)).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let tasks: Vec<Value> = listed.json().await.expect("json");
    app.teardown().await;

    let stored: Vec<&Value> = tasks.iter().map(|t| &t["id"]).collect();
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "no unacknowledged write appeared"
    );
    assert!(
        acknowledged.iter().all(|id| stored.contains(&id)),
        "every acknowledged write is there"
    );
}
