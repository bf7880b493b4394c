//! `/api/v1/users/{user_id}/labels`: the caller's labels. Each handler
//! parses its body, calls the owner's tasks that its extractor opened
//! ([`OwnTasks`], [`OneLabel`]) and answers the label.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::label::{Color, LabelChanges, LabelName, NewLabel};

use crate::dto::LabelBody;
use crate::error::ApiError;
use crate::extract::{Fields, OneLabel, OwnTasks, json_body, nullable};
use crate::routes::{Endpoint, LABELS_READ, LABELS_WRITE};

/// The label endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_list>(LABELS_READ, || web::route().to(list)),
        Endpoint::of::<__path_create>(LABELS_WRITE, || web::route().to(create)),
        Endpoint::of::<__path_get>(LABELS_READ, || web::route().to(get)),
        Endpoint::of::<__path_update>(LABELS_WRITE, || web::route().to(update)),
        Endpoint::of::<__path_delete>(LABELS_WRITE, || web::route().to(delete)),
    ]
}

/// The body of create and `PATCH`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LabelInput)]
pub(crate) struct LabelInput {
    /// 1–50 characters after trimming, no control characters; unique
    /// among the caller's labels ignoring case. Required on create.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = String, min_length = 1, max_length = 50, example = "Errands",
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u001F\u007F-\u009F]*$")]
    name: Option<Option<String>>,
    /// `#RRGGBB`, answered in lower case; `null` (or absent on create) is none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^#[0-9A-Fa-f]{6}$", example = "#2a9d8f")]
    color: Option<Option<String>>,
}

/// The fields of a label body: the name (`required` on create) and the
/// color, each `None` when absent.
fn label_fields(
    input: LabelInput,
    required: bool,
) -> Result<(Option<LabelName>, Option<Option<Color>>), ApiError> {
    let mut fields = Fields::default();
    let name = match input.name {
        None if !required => None,
        raw => fields.required("name", raw.flatten().as_deref(), LabelName::parse),
    };
    let color = input.color.map(|raw| match raw {
        None => None,
        Some(raw) => fields.parse("color", &raw, Color::parse),
    });
    fields.finish()?;
    Ok((name, color))
}

/// The caller's labels, by name.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/labels", operation_id = "list_labels",
    params(("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)")),
    responses(
        (status = 200, description = "Every label, by name ignoring case", body = [LabelBody]),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn list(tasks: OwnTasks) -> Result<HttpResponse, ApiError> {
    let labels: Vec<LabelBody> = tasks.labels().await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::build(StatusCode::OK).json(labels))
}

/// Creates a label.
#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/labels", operation_id = "create_label",
    params(("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)")),
    request_body(content = ref("#/components/schemas/LabelInput"), content_type = "application/json"),
    responses(
        (status = 201, description = "The new label", body = LabelBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "`user_id` is not the caller's"),
        (status = 409, description = "`LABEL_TAKEN`: another label has that name (ignoring case)"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule, or the caller has 500 labels"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn create(
    tasks: OwnTasks,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = json_body(&req, &body).and_then(|input| label_fields(input, true));
    let (name, color) = tasks.accept(input).await?;
    let name = name.ok_or(ApiError::Internal)?;
    let label = tasks
        .create_label(NewLabel {
            name,
            color: color.flatten(),
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(LabelBody::from(label)))
}

/// One label.
#[utoipa::path(
    get, path = "/api/v1/users/{user_id}/labels/{label_id}", operation_id = "get_label",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("label_id" = i64, Path, minimum = 1, description = "The label id"),
    ),
    responses(
        (status = 200, description = "The label", body = LabelBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such label of the caller's"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn get(label: OneLabel) -> Result<HttpResponse, ApiError> {
    let found = label.tasks.label(label.id).await?;
    Ok(HttpResponse::build(StatusCode::OK).json(LabelBody::from(found)))
}

/// Renames or recolors a label; a new name shows on every task that
/// carries the label.
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}/labels/{label_id}", operation_id = "update_label",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("label_id" = i64, Path, minimum = 1, description = "The label id"),
    ),
    request_body(content = ref("#/components/schemas/LabelInput"), content_type = "application/json"),
    responses(
        (status = 200, description = "The changed label", body = LabelBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such label of the caller's"),
        (status = 409, description = "`LABEL_TAKEN`: another label has that name (ignoring case)"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn update(
    label: OneLabel,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let OneLabel { tasks, id } = label;
    let input = json_body(&req, &body).and_then(|input| label_fields(input, false));
    let (name, color) = tasks.accept(input).await?;
    let changed = tasks.update_label(id, LabelChanges { name, color }).await?;
    Ok(HttpResponse::build(StatusCode::OK).json(LabelBody::from(changed)))
}

/// Deletes a label, taking it off every task that carries it.
#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}/labels/{label_id}", operation_id = "delete_label",
    params(
        ("user_id" = uuid::Uuid, Path, description = "The caller's own user id (any other is 404)"),
        ("label_id" = i64, Path, minimum = 1, description = "The label id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 404, description = "No such label of the caller's"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn delete(label: OneLabel) -> Result<HttpResponse, ApiError> {
    label.tasks.delete_label(label.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
