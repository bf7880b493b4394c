//! `/openapi.json` and `/docs`: a valid OpenAPI 3.1 document of exactly the
//! routes the server answers, and Swagger UI served from the binary.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use taskpulse_api::routes;

use crate::helpers::TestApp;

backends!(
    the_document_is_valid_openapi_3_1,
    every_schema_is_valid_json_schema_and_every_reference_resolves,
    the_document_has_exactly_the_route_table,
    every_documented_operation_is_answered,
    undocumented_methods_of_documented_paths_are_not_allowed,
    compatibility_aliases_are_answered_but_not_documented,
    every_error_answer_is_documented_with_the_error_body,
    signing_in_is_documented_for_swagger_uis_authorize,
    every_operation_declares_its_security_requirement_and_scopes,
    request_bodies_document_their_bounds,
    swagger_ui_is_served_from_the_binary_under_its_own_csp,
    every_enum_of_strings_names_its_values_for_client_generators,
    every_operation_is_shaped_for_client_generators,
);

/// The official JSON Schema of OpenAPI 3.1 documents (see `data/README.md`).
const OPENAPI_31_SCHEMA: &str = include_str!("data/openapi-3.1-schema.json");

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let response = app
        .request(Method::GET, "/openapi.json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON document")
}

/// `(method, path)` of every operation of `document`.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| (method.to_string(), path.clone()))
        })
        .collect()
}

/// `path` with each `{parameter}` replaced by a value of its kind.
fn concrete(path: &str) -> String {
    path.replace("{user_id}", &uuid::Uuid::new_v4().to_string())
        .replace("{session_id}", &uuid::Uuid::new_v4().to_string())
        .replace("{task_id}", "1")
        .replace("{file}", "swagger-ui.css")
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_ascii_uppercase().as_bytes()).expect("method")
}

async fn the_document_is_valid_openapi_3_1(app: &TestApp) {
    let document = document(app).await;
    let schema: Value = serde_json::from_str(OPENAPI_31_SCHEMA).expect("vendored schema");
    let validator = jsonschema::validator_for(&schema).expect("the OpenAPI 3.1 schema compiles");

    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();

    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = document.clone();
    broken["paths"]["/"]["get"]["responses"] = Value::String("none".into());
    assert!(
        !validator.is_valid(&broken),
        "the schema checks the document"
    );
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1."))
    );
}

/// Every `"$ref"` string in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

async fn every_schema_is_valid_json_schema_and_every_reference_resolves(app: &TestApp) {
    let document = document(app).await;
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        assert!(
            jsonschema::draft202012::meta::is_valid(schema),
            "{name} is not a valid JSON Schema: {schema}"
        );
    }
    let mut found = Vec::new();
    references(&document, &mut found);

    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
}

async fn the_document_has_exactly_the_route_table(app: &TestApp) {
    let documented = operations(&document(app).await);
    let table: BTreeSet<(String, String)> = routes::endpoints(true)
        .iter()
        .map(|e| (e.method.as_str().to_ascii_lowercase(), e.path.clone()))
        .collect();

    assert_eq!(documented, table);
    // The contract's canonical routes, spot-checked.
    for (method, path) in [
        ("get", "/health"),
        ("get", "/metrics"),
        ("post", "/api/v1/auth/login"),
        ("delete", "/api/v1/auth/sessions/{session_id}"),
        ("patch", "/api/v1/users/{user_id}/tasks/{task_id}/complete"),
    ] {
        assert!(
            documented.contains(&(method.into(), path.into())),
            "{method} {path}"
        );
    }
}

async fn every_documented_operation_is_answered(app: &TestApp) {
    for (method_name, path) in operations(&document(app).await) {
        let response = app
            .request(method(&method_name), &concrete(&path))
            .send()
            .await
            .expect("sent");

        // Anonymous probes: protected routes answer 401, public ones
        // something other than "no such route" or "wrong method".
        let status = response.status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method_name} {path}: {status}"
        );
    }
}

async fn undocumented_methods_of_documented_paths_are_not_allowed(app: &TestApp) {
    let documented = operations(&document(app).await);
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        for method_name in METHODS {
            if documented.contains(&(method_name.to_owned(), path.clone())) {
                continue;
            }
            let response = app
                .request(method(method_name), &concrete(path))
                .send()
                .await
                .expect("sent");

            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method_name} {path}"
            );
        }
    }
}

async fn compatibility_aliases_are_answered_but_not_documented(app: &TestApp) {
    let document = document(app).await;
    let paths = document["paths"].as_object().expect("paths");
    for endpoint in routes::endpoints(true) {
        for alias in &endpoint.aliases {
            assert!(!paths.contains_key(alias), "{alias} is documented");
            let response = app
                .request(method(endpoint.method.as_str()), &concrete(alias))
                .send()
                .await
                .expect("sent");
            let status = response.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{} {alias}: {status}",
                endpoint.method
            );
        }
    }
}

async fn every_error_answer_is_documented_with_the_error_body(app: &TestApp) {
    let document = document(app).await;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method_name in METHODS {
            let Some(responses) = item[method_name]["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                assert!(
                    response["headers"]["X-Request-Id"].is_object(),
                    "{method_name} {path} {status}: no X-Request-Id"
                );
                let error = status.as_str() >= "400";
                let health = path.ends_with("/health");
                if error && !health {
                    let content = &response["content"]["application/json"];
                    assert_eq!(
                        content["schema"]["$ref"], "#/components/schemas/ErrorBody",
                        "{method_name} {path} {status}"
                    );
                    assert!(content["example"]["code"].is_string());
                }
            }
        }
    }
    let error_body = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error_body["required"],
        serde_json::json!(["detail", "code", "request_id"])
    );
    assert!(error_body["properties"]["errors"].is_object());
}

async fn signing_in_is_documented_for_swagger_uis_authorize(app: &TestApp) {
    let document = document(app).await;
    let schemes = &document["components"]["securitySchemes"];

    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2"]["type"], "oauth2");
    assert_eq!(
        schemes["oauth2"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/login/access-token"
    );
    let login = &document["paths"]["/api/v1/auth/login"]["post"];
    let form_login = &document["paths"]["/api/v1/auth/login/access-token"]["post"];
    assert_eq!(
        media_types(&login["requestBody"]),
        ["application/json"],
        "the form is documented at its own path"
    );
    assert_eq!(
        media_types(&form_login["requestBody"]),
        ["application/x-www-form-urlencoded"]
    );
    assert_eq!(
        statuses(&login["responses"]),
        statuses(&form_login["responses"])
    );
    assert_eq!(
        login["responses"]["200"]["content"],
        form_login["responses"]["200"]["content"]
    );
    let me = &document["paths"]["/api/v1/auth/me"]["get"];
    assert!(me["security"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        document["paths"]["/api/v1/auth/register"]["post"]["security"],
        serde_json::json!([{}]),
        "public: no credential needed"
    );
}

async fn every_operation_declares_its_security_requirement_and_scopes(app: &TestApp) {
    let document = document(app).await;
    let flow_scopes =
        &document["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["scopes"];
    let mut lacking = Vec::new();

    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][&method];
        let Some(requirements) = operation["security"].as_array().filter(|r| !r.is_empty()) else {
            lacking.push(format!("{method} {path}: no security requirement"));
            continue;
        };
        if requirements == &[serde_json::json!({})] {
            if path.starts_with("/api/v1/users/") {
                lacking.push(format!("{method} {path}: public, but holds a user's data"));
            }
            continue;
        }
        let mut scopes = BTreeSet::new();
        for requirement in requirements {
            let schemes = requirement.as_object().expect("object");
            for (scheme, named) in schemes {
                let named = named.as_array().expect("scopes");
                if named.is_empty() {
                    lacking.push(format!("{method} {path}: {scheme} names no scope"));
                }
                for scope in named {
                    let scope = scope.as_str().expect("scope");
                    if flow_scopes.get(scope).is_none() {
                        lacking.push(format!("{method} {path}: undeclared scope {scope}"));
                    }
                    scopes.insert(scope.to_owned());
                }
            }
        }
        let tokens = requirements
            .iter()
            .any(|r| r.get("personal_access_token").is_some());
        let expected_family = if path.contains("/labels") {
            "labels:"
        } else {
            "tasks:"
        };
        // The export holds the account: it is an account route.
        if path.starts_with("/api/v1/users/") && !path.ends_with("/export") {
            let reads = method == "get";
            let expected = format!("{expected_family}{}", if reads { "read" } else { "write" });
            if scopes != BTreeSet::from([expected.clone()]) || !tokens {
                lacking.push(format!("{method} {path}: {scopes:?}, expected {expected}"));
            }
        } else if scopes != BTreeSet::from(["account".to_owned()]) || tokens {
            lacking.push(format!(
                "{method} {path}: {scopes:?}, expected account only"
            ));
        }
    }

    assert!(lacking.is_empty(), "{lacking:#?}");
}

/// The media types of a request body or response.
fn media_types(body: &Value) -> Vec<&str> {
    body["content"]
        .as_object()
        .map(|content| content.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn statuses(responses: &Value) -> Vec<&str> {
    responses
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect()
}

/// What openapi-python-client and @hey-api/openapi-ts need to generate a
/// working client (`.ci/clients` runs both): one request body media type
/// per operation, a schema for every answer that has a body (all but 204),
/// and unique snake_case operation ids, which name the generated functions.
async fn every_operation_is_shaped_for_client_generators(app: &TestApp) {
    let document = document(app).await;
    let mut ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method_name in METHODS {
            let operation = &item[method_name];
            let Some(id) = operation["operationId"].as_str() else {
                continue;
            };
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{id}"
            );
            assert!(ids.insert(id), "{id} is used twice");
            if operation.get("requestBody").is_some() {
                assert_eq!(
                    media_types(&operation["requestBody"]).len(),
                    1,
                    "{method_name} {path}"
                );
            }
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let types = media_types(response);
                assert_eq!(
                    types.is_empty(),
                    status == "204" || status == "304",
                    "{method_name} {path} {status}"
                );
                for media_type in types {
                    assert!(
                        response["content"][media_type]["schema"].is_object(),
                        "{method_name} {path} {status} {media_type}"
                    );
                }
            }
        }
    }
}

async fn request_bodies_document_their_bounds(app: &TestApp) {
    let document = document(app).await;
    let schemas = &document["components"]["schemas"];
    let register = &schemas["RegisterRequest"];
    let task = &schemas["TaskInput"];

    assert_eq!(
        register["required"],
        serde_json::json!(["name", "email", "password"])
    );
    assert_eq!(register["properties"]["name"]["maxLength"], 100);
    assert_eq!(register["properties"]["email"]["maxLength"], 254);
    assert_eq!(register["properties"]["password"]["minLength"], 8);
    assert_eq!(register["properties"]["password"]["maxLength"], 128);
    assert_eq!(task["required"], serde_json::json!(["title"]));
    assert_eq!(task["properties"]["title"]["minLength"], 1);
    assert_eq!(task["properties"]["title"]["maxLength"], 200);
    assert_eq!(task["properties"]["description"]["maxLength"], 1000);
    let list = &document["paths"]["/api/v1/users/{user_id}/tasks"]["get"]["parameters"];
    let limit = list
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit");
    assert_eq!(limit["schema"]["maximum"], 500);
}

async fn swagger_ui_is_served_from_the_binary_under_its_own_csp(app: &TestApp) {
    for path in ["/docs", "/docs/", "/docs/swagger-ui-bundle.js"] {
        let response = app.request(Method::GET, path).send().await.expect("sent");

        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        let body = response.text().await.expect("body");
        if path != "/docs/swagger-ui-bundle.js" {
            assert!(body.contains("<base href=\"/docs/\">"));
            assert!(
                !body.contains("https://"),
                "the page loads nothing from elsewhere"
            );
        }
    }
    let initializer = app
        .request(Method::GET, "/docs/swagger-initializer.js")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(initializer.contains("\"/openapi.json\""));
    assert!(initializer.contains("\"validatorUrl\": \"none\""));
    let missing = app
        .request(Method::GET, "/docs/no-such-file.js")
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The API keeps its strict policy.
    let api = app
        .request(Method::GET, "/openapi.json")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

/// Every string enum of a parameter names each value (`x-enum-varnames`,
/// which openapi-python-client and @hey-api/openapi-ts use for enum
/// members), one distinct name per value, so that generated clients say
/// `CREATED_AT_DESC` rather than `VALUE_1`.
async fn every_enum_of_strings_names_its_values_for_client_generators(app: &TestApp) {
    let document = document(app).await;
    let mut named = 0;
    for path in document["paths"].as_object().expect("paths").values() {
        for operation in path.as_object().expect("operations").values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &parameter["schema"];
                let Some(values) = schema["enum"].as_array() else {
                    continue;
                };
                let names = schema["x-enum-varnames"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{} names its values", parameter["name"]));
                assert_eq!(names.len(), values.len(), "{}", parameter["name"]);
                let distinct: BTreeSet<&str> = names.iter().filter_map(Value::as_str).collect();
                assert_eq!(distinct.len(), names.len(), "{}", parameter["name"]);
                named += 1;
            }
        }
    }
    assert!(named > 0, "the sort parameter at least");
}
