//! The extractors of the task and label routes: the bearer, the owner the
//! path addresses and, on routes of one task or label, its id, refused in the contract's
//! order (401 first, then 404) by [`TaskService::for_owner`](taskpulse_domain::TaskService::for_owner).

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use taskpulse_domain::label::LabelId;
use taskpulse_domain::task::TaskId;
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, OwnerTasks};

use super::authorized;
use crate::audit;
use crate::error::ApiError;

/// The tasks of the owner in the path (`{user_id}`), opened for the
/// bearer of `Authorization: Bearer <access token>`.
#[derive(Debug, Clone)]
pub struct OwnTasks(OwnerTasks);

/// One task of the owner in the path: [`OwnTasks`] and `{task_id}`.
#[derive(Debug, Clone)]
pub struct OneTask {
    /// The owner's tasks.
    pub tasks: OwnerTasks,
    /// The task the path names.
    pub id: TaskId,
}

/// One label of the owner in the path: [`OwnTasks`] and `{label_id}`.
#[derive(Debug, Clone)]
pub struct OneLabel {
    /// The owner's tasks (and labels).
    pub tasks: OwnerTasks,
    /// The label the path names.
    pub id: LabelId,
}

impl Deref for OwnTasks {
    type Target = OwnerTasks;

    fn deref(&self) -> &OwnerTasks {
        &self.0
    }
}

/// The owner a task path addresses: `{user_id}`, when it parses and any
/// `url_user_id` query parameter names the same user.
fn addressed_owner(req: &HttpRequest) -> Option<UserId> {
    let owner: UserId = req.match_info().get("user_id")?.parse().ok()?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs
        .iter()
        .filter(|(key, _)| key == "url_user_id")
        .all(|(_, value)| value.parse::<UserId>().ok() == Some(owner))
        .then_some(owner)
}

/// Opens the addressed owner's tasks: 401 without a valid token, 403 for a
/// personal access token without the route's scope, 404 for
/// an owner that is not the bearer (401 instead when the token was
/// revoked), logged as a cross-user attempt.
fn open(req: &HttpRequest) -> impl Future<Output = Result<OwnerTasks, ApiError>> + 'static {
    let authorized = authorized(req);
    let owner = addressed_owner(req);
    let req = req.clone();
    async move {
        let (bearer, state) = authorized.await?;
        let someone_else = owner.filter(|owner| *owner != bearer.user_id);
        let opened = state.tasks.for_owner(bearer, owner).await;
        if let (Err(Error::NotFound), Some(owner)) = (&opened, someone_else) {
            audit::cross_user_attempt(&req, &bearer, owner);
        }
        Ok(opened?)
    }
}

impl FromRequest for OwnTasks {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tasks = open(req);
        Box::pin(async move { tasks.await.map(Self) })
    }
}

impl FromRequest for OneTask {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tasks = open(req);
        let id = req
            .match_info()
            .get("task_id")
            .and_then(|raw| raw.parse::<TaskId>().ok())
            .ok_or(ApiError::NotFound);
        Box::pin(async move {
            let tasks = tasks.await?;
            let id = tasks.accept(id).await?;
            Ok(Self { tasks, id })
        })
    }
}

impl FromRequest for OneLabel {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tasks = open(req);
        let id = req
            .match_info()
            .get("label_id")
            .and_then(|raw| raw.parse::<LabelId>().ok())
            .ok_or(ApiError::NotFound);
        Box::pin(async move {
            let tasks = tasks.await?;
            let id = tasks.accept(id).await?;
            Ok(Self { tasks, id })
        })
    }
}
