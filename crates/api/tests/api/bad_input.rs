//! "Bad input never hurts": property-based tests that send arbitrary bytes,
//! arbitrary JSON, arbitrary forms and over-long strings to every endpoint
//! that takes a body (the one table [`ENDPOINTS`]), with arbitrary content
//! types and arbitrary values of the headers the server parses
//! (`If-Match`, `Idempotency-Key`, `X-Request-Id`), and check that:
//!
//! - no answer is a 5xx (or no answer at all);
//! - every non-2xx answer has the contract's error shape: a JSON object with
//!   string `detail`, a `code` of the contract that goes with the status,
//!   `request_id` equal to the `X-Request-Id` header (the client's own when
//!   it is 1–128 visible ASCII characters), and for `VALIDATION_ERROR` an
//!   `errors` array of `{field, message}`;
//! - the attacker's token aimed at the victim's paths is always 404
//!   `NOT_FOUND`, and the victim's task under the attacker's own path is
//!   answered exactly like a task that does not exist (nothing to probe);
//! - the victim's tasks and profile, read after every case, stay
//!   byte-identical, and the victim can still log in with their password;
//! - anything presented as a personal access token (`tp_pat_…`) that is
//!   not one is 401 `UNAUTHORIZED`, on task, label and account routes.
//!
//! proptest's runner is synchronous, so each test draws its cases up front
//! with a deterministic [`TestRunner`] and sends them from the async test.
//! A failing case is shrunk by re-sending simpler values until none fails
//! the same way, and every distinct failure is reported at the end with its
//! minimal input. `PROPTEST_CASES` overrides the number of cases per
//! endpoint (default [`CASES`]).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderValue, IF_MATCH, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, TestUser};

backends!(
    arbitrary_bytes_never_hurt,
    arbitrary_json_never_hurts,
    over_long_strings_never_hurt,
    arbitrary_forms_never_hurt,
    arbitrary_personal_tokens_are_unauthorized,
);

/// Cases per endpoint and kind of input, unless `PROPTEST_CASES` says.
const CASES: u32 = 64;
/// Re-sends spent shrinking one failure.
const MAX_SHRINK_STEPS: usize = 400;
/// The server's default body limit.
const BODY_LIMIT: usize = 64 * 1024;
/// A task id that exists for nobody.
const MISSING_TASK_ID: i64 = i64::MAX;

// ---------------------------------------------------------------------------
// The endpoints

/// A request header the server parses, varied where an endpoint reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed {
    IfMatch,
    IdempotencyKey,
}

/// An endpoint that takes a body. `{user_id}` and `{task_id}` in its path
/// are filled in per [`Target`].
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    method: &'static str,
    path: &'static str,
    /// The fields of its body, which generated objects mostly use.
    fields: &'static [&'static str],
    /// Headers it parses, to be varied.
    headers: &'static [Parsed],
    /// Also takes `application/x-www-form-urlencoded`.
    form: bool,
    /// Failed attempts count towards a lock-out: the victim's email is
    /// never sent to it (locking the victim out is the contract, not harm).
    locks_out: bool,
}

impl Endpoint {
    const fn new(
        method: &'static str,
        path: &'static str,
        fields: &'static [&'static str],
    ) -> Self {
        Self {
            method,
            path,
            fields,
            headers: &[],
            form: false,
            locks_out: false,
        }
    }

    /// A task write: reads `If-Match` and `Idempotency-Key`.
    const fn task(
        method: &'static str,
        path: &'static str,
        fields: &'static [&'static str],
    ) -> Self {
        Self {
            headers: &[Parsed::IfMatch, Parsed::IdempotencyKey],
            ..Self::new(method, path, fields)
        }
    }

    const fn form(self) -> Self {
        Self { form: true, ..self }
    }

    const fn locks_out(self) -> Self {
        Self {
            locks_out: true,
            ..self
        }
    }

    fn reads(&self, header: Parsed) -> bool {
        self.headers.contains(&header)
    }

    /// Where the attacker sends each case.
    fn targets(&self) -> &'static [Target] {
        if self.path.contains("{task_id}") {
            &[Target::Own, Target::Victims, Target::Borrowed]
        } else if self.path.contains("{user_id}") {
            &[Target::Own, Target::Victims]
        } else {
            &[Target::Own]
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// The fields of a task body.
const TASK: &[&str] = &[
    "title",
    "description",
    "completed",
    "priority",
    "due_date",
    "due_at",
    "time_zone",
    "parent_id",
    "labels",
];

/// Every endpoint that takes a body: adding one is one line, such as
/// `Endpoint::new("POST", "/api/v1/auth/refresh", &["refresh_token"]),` or
/// `Endpoint::new("DELETE", "/api/v1/auth/me", &["password"]).locks_out(),`.
/// Every request carries the attacker's access token (public endpoints
/// ignore it); paths with `{user_id}` are also aimed at the victim.
#[rustfmt::skip]
const ENDPOINTS: &[Endpoint] = &[
    Endpoint::new("POST", "/api/v1/auth/register", &["name", "email", "password"]),
    Endpoint::new("POST", "/api/v1/auth/login", &["email", "password"]).form().locks_out(),
    Endpoint::task("POST", "/api/v1/users/{user_id}/tasks", TASK),
    Endpoint::task("PUT", "/api/v1/users/{user_id}/tasks/{task_id}", TASK),
    Endpoint::task("PATCH", "/api/v1/users/{user_id}/tasks/{task_id}", TASK),
    Endpoint::task("PATCH", "/api/v1/users/{user_id}/tasks/{task_id}/complete", &["completed"]),
    Endpoint::task("POST", "/api/v1/users/{user_id}/tasks/{task_id}/move", &["after", "parent_id"]),
    Endpoint::new("POST", "/api/v1/users/{user_id}/labels", &["name", "color"]),
    Endpoint::task("POST", "/api/v1/users/{user_id}/tasks/batch", &["atomic", "ops"]),
];

/// Whose resources a request is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// A public route, or the attacker's own user and task.
    Own,
    /// The victim's `{user_id}` (and task): must be 404 `NOT_FOUND`.
    Victims,
    /// The attacker's `{user_id}` with the victim's task id: must be
    /// answered like a task that does not exist.
    Borrowed,
}

// ---------------------------------------------------------------------------
// The inputs

/// What the tests draw: a body and the headers around it.
#[derive(Debug, Clone)]
struct Case {
    content_type: Option<String>,
    body: Vec<u8>,
    if_match: Option<String>,
    idempotency_key: Option<String>,
    request_id: Option<String>,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = [
            ("content-type", &self.content_type),
            ("if-match", &self.if_match),
            ("idempotency-key", &self.idempotency_key),
            ("x-request-id", &self.request_id),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                write!(f, "{name}: {} | ", preview(value.as_bytes()))?;
            }
        }
        write!(
            f,
            "body ({} bytes): {}",
            self.body.len(),
            preview(&self.body)
        )
    }
}

/// A readable, bounded rendering of bytes: runs of one character are
/// written `{'a' × 40000}`, invalid UTF-8 as `\xNN`.
fn preview(bytes: &[u8]) -> String {
    const MAX: usize = 600;
    let mut tokens: Vec<String> = Vec::new();
    for chunk in bytes.utf8_chunks() {
        tokens.extend(chunk.valid().chars().map(|c| c.escape_debug().to_string()));
        tokens.extend(chunk.invalid().iter().map(|b| format!("\\x{b:02x}")));
    }
    let mut out = String::from("\"");
    let mut i = 0;
    while i < tokens.len() {
        let run = tokens[i..].iter().take_while(|t| **t == tokens[i]).count();
        if run >= 8 {
            let _ = write!(out, "{{'{}' × {run}}}", tokens[i]);
        } else {
            for token in &tokens[i..i + run] {
                out.push_str(token);
            }
        }
        i += run;
        if out.len() > MAX {
            let _ = write!(out, "… ({} more characters)", tokens.len() - i);
            break;
        }
    }
    out.push('"');
    out
}

/// A JSON document, rendered by hand so that it can hold what
/// `serde_json::Value` cannot: huge numbers, duplicate keys, bad escapes.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    /// A number as written.
    Num(String),
    Str(String),
    /// A string literal's inside as written, escapes and all (`\ud800`).
    RawStr(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    /// `depth` nested arrays (or objects) around `0`.
    Deep {
        depth: usize,
        objects: bool,
    },
}

impl Json {
    fn render(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write(&mut out);
        out.into_bytes()
    }

    fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Num(n) => out.push_str(n),
            Self::Str(s) => out.push_str(&quoted(s)),
            Self::RawStr(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Self::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Self::Obj(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quoted(key));
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
            Self::Deep { depth, objects } => {
                let (open, close) = if *objects {
                    ("{\"a\":", "}")
                } else {
                    ("[", "]")
                };
                out.push_str(&open.repeat(*depth));
                out.push('0');
                out.push_str(&close.repeat(*depth));
            }
        }
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Strings the generated values sometimes take, so that they also reach
/// the paths behind validation: the users' emails and ids, the victim's
/// task id, valid titles and passwords.
#[derive(Debug, Clone)]
struct Pool {
    strings: Vec<String>,
    emails: Vec<String>,
    /// Task ids worth trying as a parent or sibling: both users' tasks.
    ids: Vec<i64>,
}

/// The fields of the contract's bodies, today's and tomorrow's.
const FIELDS: &[&str] = &[
    "title",
    "description",
    "completed",
    "priority",
    "due_date",
    "due_at",
    "time_zone",
    "parent_id",
    "after",
    "labels",
    "color",
    "atomic",
    "ops",
    "name",
    "email",
    "password",
    "username",
    "refresh_token",
    "current_password",
    "new_password",
    "token",
];

/// Odd keys next to the real ones.
const ODD_KEYS: &[&str] = &[
    "Title",
    "TITLE",
    "title ",
    " title",
    "title\u{0}",
    "__proto__",
    "constructor",
    "",
    "id",
    "user_id",
    "version",
    "is_active",
    "password_hash",
];

/// Strings that have broken servers before.
const SPECIAL: &[&str] = &[
    "\u{feff}",
    "\u{202e}evil",
    "\u{200b}",
    "𝄞",
    "é",
    "e\u{301}",
    "\u{fffd}",
    "\u{10ffff}",
    "\u{0}",
    "a\u{0}b",
    "İ",
    "ß",
    "'; DROP TABLE tasks; --",
    "%00",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "null",
    "true",
    "-1",
    "NaN",
    "1e999",
    "\\",
    "\"",
    " ",
];

/// Insides of string literals with escapes, valid and not.
const RAW_ESCAPES: &[&str] = &[
    "\\ud800",
    "\\udfff",
    "\\ud83d x",
    "\\u0000",
    "\\uD834\\uDD1E",
    "\\uFFFE",
    "\\x41",
    "\\u12",
    "\\uZZZZ",
    "\\",
    "\\q",
    "a\\/b",
    "tab\there",
    "raw\u{0}nul",
    "line\nbreak",
];

/// A control character, NUL most often.
fn control() -> BoxedStrategy<String> {
    prop_oneof![
        2 => Just("\u{0}".to_owned()),
        1 => "[\\x01-\\x1f\\x7f\\u{80}-\\u{9f}]{1,3}",
    ]
    .boxed()
}

fn text(pool: &Pool) -> BoxedStrategy<String> {
    prop_oneof![
        2 => any::<String>(),
        2 => vec(any::<char>(), 0..24).prop_map(|chars| chars.into_iter().collect::<String>()),
        3 => ("[A-Za-z ]{0,10}", control(), "[A-Za-z ]{0,10}").prop_map(|(a, c, b)| a + &c + &b),
        1 => "[ \\t\\n\\r]{0,4}",
        2 => "[A-Za-z0-9 ]{1,30}",
        2 => select(pool.strings.clone()),
        2 => select(SPECIAL).prop_map(str::to_owned),
    ]
    .boxed()
}

fn email(pool: &Pool) -> BoxedStrategy<String> {
    prop_oneof![
        2 => "[a-z0-9.]{1,12}@[a-z]{1,10}\\.[a-z]{2,4}",
        1 => select(pool.emails.clone()),
        1 => any::<String>().prop_map(|s| format!("{s}@example.com")),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "-?[1-9][0-9]{19,400}",
        "-?[0-9]\\.[0-9]{1,40}[eE][+-]?[0-9]{3,6}",
        select(
            &[
                "-0",
                "0.0",
                "1E400",
                "-1e-400",
                "1e2",
                "0e0",
                "9223372036854775808"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn key(fields: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(fields).prop_map(str::to_owned),
        3 => select(FIELDS).prop_map(str::to_owned),
        1 => select(ODD_KEYS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
    .boxed()
}

fn json_value(pool: &Pool, fields: &'static [&'static str]) -> BoxedStrategy<Json> {
    let leaf = prop_oneof![
        1 => Just(Json::Null),
        1 => any::<bool>().prop_map(Json::Bool),
        2 => number().prop_map(Json::Num),
        5 => text(pool).prop_map(Json::Str),
        1 => select(RAW_ESCAPES).prop_map(|s| Json::RawStr(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Json::Arr),
            vec((key(fields), inner), 0..6).prop_map(Json::Obj),
        ]
    })
    .boxed()
}

/// A value of roughly the right type for `field`.
fn field_value(field: &str, pool: &Pool) -> BoxedStrategy<Json> {
    let string = text(pool).prop_map(Json::Str).boxed();
    match field {
        "completed" | "atomic" => prop_oneof![
            4 => any::<bool>().prop_map(Json::Bool),
            1 => Just(Json::Null),
            1 => select(&["true", "1", "yes"][..]).prop_map(|s| Json::Str(s.to_owned())),
        ]
        .boxed(),
        "title" | "name" => prop_oneof![
            3 => "[A-Za-z][A-Za-z ]{0,30}".prop_map(Json::Str),
            2 => string,
            1 => Just(Json::Null),
        ]
        .boxed(),
        "email" | "username" => prop_oneof![
            4 => email(pool).prop_map(Json::Str),
            1 => string,
            1 => Just(Json::Null),
        ]
        .boxed(),
        "parent_id" | "after" | "priority" => prop_oneof![
            3 => select(pool.ids.clone()).prop_map(|id| Json::Num(id.to_string())),
            2 => (-1_i64..6).prop_map(|n| Json::Num(n.to_string())),
            1 => number().prop_map(Json::Num),
            1 => Just(Json::Null),
            1 => string,
        ]
        .boxed(),
        "ops" => prop_oneof![
            3 => vec(
                prop_oneof![
                    2 => Just(Json::Obj(vec![
                        ("op".to_owned(), Json::Str("create".to_owned())),
                        ("body".to_owned(), Json::Obj(vec![("title".to_owned(), Json::Str("T".to_owned()))])),
                    ])),
                    2 => (select(&["patch", "complete", "delete", "move", "create", "nope"][..]), select(pool.ids.clone()))
                        .prop_map(|(op, id)| Json::Obj(vec![
                            ("op".to_owned(), Json::Str(op.to_owned())),
                            ("id".to_owned(), Json::Num(id.to_string())),
                        ])),
                    1 => string.clone(),
                ],
                0..4,
            )
            .prop_map(Json::Arr),
            1 => Just(Json::Null),
            1 => string,
        ]
        .boxed(),
        "labels" => prop_oneof![
            3 => vec(prop_oneof![3 => "[A-Za-z][A-Za-z ]{0,12}".prop_map(Json::Str), 1 => string.clone()], 0..25)
                .prop_map(Json::Arr),
            1 => Just(Json::Null),
            1 => string,
        ]
        .boxed(),
        "due_date" | "due_at" | "time_zone" | "color" => prop_oneof![
            3 => select(&[
                "2026-12-24", "0000-01-01", "2026-02-30", "+2026-12-24",
                "2026-12-24T10:00:00Z", "2026-12-24T10:00:00+14:00", "9999-12-31T23:59:59-12:00",
                "Europe/Paris", "UTC", "utc", "Mars/Base", "#a0B1c2", "#12345",
            ][..])
            .prop_map(|s| Json::Str(s.to_owned())),
            2 => string,
            1 => Just(Json::Null),
        ]
        .boxed(),
        f if f.contains("password") => prop_oneof![
            3 => "[ -~]{8,20}".prop_map(Json::Str),
            2 => string,
            1 => Just(Json::Null),
        ]
        .boxed(),
        _ => prop_oneof![4 => string, 1 => Just(Json::Null)].boxed(),
    }
}

/// Objects of `fields` with values of roughly the right type, to reach
/// validation and the handlers behind it.
fn plausible(pool: &Pool, fields: &'static [&'static str]) -> BoxedStrategy<Json> {
    let present: Vec<BoxedStrategy<Option<(String, Json)>>> = fields
        .iter()
        .map(|&name| {
            proptest::option::weighted(
                0.8,
                field_value(name, pool).prop_map(move |v| (name.to_owned(), v)),
            )
            .boxed()
        })
        .collect();
    present
        .prop_map(|fields| Json::Obj(fields.into_iter().flatten().collect()))
        .boxed()
}

fn json_document(pool: &Pool, fields: &'static [&'static str]) -> BoxedStrategy<Json> {
    let value = json_value(pool, fields);
    prop_oneof![
        4 => vec((key(fields), value.clone()), 0..6).prop_map(Json::Obj),
        6 => plausible(pool, fields),
        1 => value,
        1 => (1usize..3000, any::<bool>(), select(FIELDS)).prop_map(|(depth, objects, field)| {
            Json::Obj(vec![(field.to_owned(), Json::Deep { depth, objects })])
        }),
        1 => (1usize..3000, any::<bool>()).prop_map(|(depth, objects)| Json::Deep { depth, objects }),
    ]
    .boxed()
}

/// Bodies that are not JSON, or JSON broken a little.
fn byte_body(pool: &Pool, fields: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    let json = json_document(pool, fields).prop_map(|j| j.render());
    prop_oneof![
        3 => vec(any::<u8>(), 0..512),
        2 => (json.clone(), any::<Index>(), any::<u8>()).prop_map(|(mut body, at, byte)| {
            if !body.is_empty() {
                let at = at.index(body.len());
                body[at] = byte;
            }
            body
        }),
        2 => (json.clone(), any::<Index>()).prop_map(|(mut body, at)| {
            body.truncate(at.index(body.len() + 1));
            body
        }),
        1 => (vec(any::<u8>(), 0..64), select(FIELDS)).prop_map(|(raw, field)| {
            let mut body = format!("{{\"{field}\":\"").into_bytes();
            body.extend(raw);
            body.extend(b"\"}");
            body
        }),
        1 => json.prop_map(|body| [&b"\xef\xbb\xbf"[..], &body].concat()),
        1 => select(&[
            "", " ", "\n", "null", "[]", "{}", "\"{}\"", "0", "true", "{", "}",
            "{\"title\":}", "{,}", "{\"title\" \"x\"}", "{\"title\":\"x\",}",
            "{'title':'x'}", "{title:\"x\"}", "\u{0}", "{\"title\":\"x\"}garbage",
            "{\"title\":\"x\"}{\"title\":\"y\"}", "/* c */{}", "{\"title\":\"x\"} //",
            "[{\"title\":\"x\"}]", "[\"x\", null, false]",
        ][..])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
    .boxed()
}

/// Strings of 10 000 characters and more (and some at the rules' bounds).
fn long_text() -> BoxedStrategy<String> {
    let unit = prop_oneof![
        3 => select(&[
            "a", "é", "𝄞", "\u{0}", "\t", "\n", " ", "\\", "\"", "\u{202e}", "\u{7f}", "ab ",
        ][..])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    let count = prop_oneof![
        1 => select(&[100usize, 101, 128, 129, 200, 201, 254, 255, 1000, 1001][..]),
        8 => 10_000usize..10_800,
        1 => 10_800usize..70_000,
    ];
    (unit, count).prop_map(|(unit, n)| unit.repeat(n)).boxed()
}

/// A `{"field": "aaa…"}` body of exactly `size` bytes.
fn sized_body(field: &str, size: usize) -> Vec<u8> {
    let head = format!("{{\"{field}\":\"");
    let padding = size.saturating_sub(head.len() + 2);
    let mut body = head.into_bytes();
    body.resize(body.len() + padding, b'a');
    body.extend(b"\"}");
    body
}

fn long_body(pool: &Pool, fields: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    let long_fields = prop_oneof![select(fields), select(FIELDS)];
    prop_oneof![
        10 => (plausible(pool, fields), vec((long_fields, long_text()), 1..2)).prop_map(|(base, long)| {
            let mut fields = match base {
                Json::Obj(fields) => fields,
                other => vec![("base".to_owned(), other)],
            };
            fields.extend(long.into_iter().map(|(k, v)| (k.to_owned(), Json::Str(v))));
            Json::Obj(fields).render()
        }),
        1 => long_text().prop_map(|key| Json::Obj(vec![(key, Json::Str("x".into()))]).render()),
        1 => (select(FIELDS), 1u8..=9, 10_000usize..60_000).prop_map(|(field, digit, n)| {
            let digits = char::from(b'0' + digit).to_string().repeat(n);
            Json::Obj(vec![(field.to_owned(), Json::Num(digits))]).render()
        }),
        1 => (select(FIELDS), -16isize..=16).prop_map(|(field, delta)| {
            sized_body(field, BODY_LIMIT.saturating_add_signed(delta))
        }),
        1 => (select(FIELDS), 1000usize..30_000).prop_map(|(field, n)| {
            format!("{{\"{field}\":[{}0]}}", "0,".repeat(n)).into_bytes()
        }),
        1 => (select(FIELDS), BODY_LIMIT + 1..4 * BODY_LIMIT)
            .prop_map(|(field, size)| sized_body(field, size)),
    ]
    .boxed()
}

/// A form value: text, percent-encoded, or bytes as they are.
#[derive(Debug, Clone)]
enum FormPart {
    Encoded(String),
    Raw(Vec<u8>),
}

impl FormPart {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Encoded(text) => serde_urlencoded::to_string([("", text)])
                .expect("a form encodes")
                .trim_start_matches('=')
                .as_bytes()
                .to_vec(),
            Self::Raw(bytes) => bytes.clone(),
        }
    }
}

fn form_part(pool: &Pool) -> BoxedStrategy<FormPart> {
    prop_oneof![
        4 => text(pool).prop_map(FormPart::Encoded),
        2 => email(pool).prop_map(FormPart::Encoded),
        1 => long_text().prop_map(FormPart::Encoded),
        1 => vec(any::<u8>(), 0..40).prop_map(FormPart::Raw),
        1 => "(%[0-9a-fA-Z]{0,2}|[+&=;]|%u[0-9a-f]{4}){1,8}".prop_map(|s| FormPart::Raw(s.into_bytes())),
    ]
    .boxed()
}

fn form_body(pool: &Pool) -> BoxedStrategy<Vec<u8>> {
    let name = prop_oneof![
        4 => select(&["username", "password", "email", "grant_type", "scope", "client_id"][..])
            .prop_map(|s| FormPart::Encoded(s.to_owned())),
        1 => form_part(pool),
    ];
    prop_oneof![
        4 => vec((name, form_part(pool)), 0..5).prop_map(|pairs| {
            let mut body = Vec::new();
            for (i, (name, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    body.push(b'&');
                }
                body.extend(name.bytes());
                body.push(b'=');
                body.extend(value.bytes());
            }
            body
        }),
        1 => vec(any::<u8>(), 0..256),
    ]
    .boxed()
}

/// Header values as a client could send them: anything that
/// `HeaderValue::from_str` takes.
fn header_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[!-~]{1,40}",
        2 => "[ -~\\t]{0,300}",
        1 => any::<String>(),
        1 => "[!-~]{120,260}",
        1 => select(&[
            "*", "\"1\"", "\"2\"", "W/\"1\"", "\"0\"", "\"-1\"", "\"99999999999999999999\"",
            "1", "\"1\", \"2\"", "\"*\"", "", " ", "null", "\"", "\"\"",
        ][..])
        .prop_map(str::to_owned),
    ]
    .prop_filter("a valid header value", |s| HeaderValue::from_str(s).is_ok())
    .boxed()
}

fn if_match_value() -> BoxedStrategy<String> {
    prop_oneof![
        3 => header_text(),
        1 => "\"[0-9]{1,2}\"",
    ]
    .boxed()
}

fn idempotency_key_value() -> BoxedStrategy<String> {
    prop_oneof![
        3 => header_text(),
        1 => select(&["k1", "k2"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

/// The kinds of input, one test each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bytes,
    Json,
    Long,
    Form,
}

fn content_type(kind: Kind, form: bool) -> BoxedStrategy<Option<String>> {
    let others = select(
        &[
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/json;charset=utf-16",
            "application/vnd.api+json",
            "application/jsonx",
            "text/plain",
            "text/json",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
        ][..],
    )
    .prop_map(|s| Some(s.to_owned()));
    let main = if kind == Kind::Form || (form && kind == Kind::Bytes) {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    prop_oneof![
        12 => Just(Some(main.to_owned())),
        3 => others,
        1 => Just(None),
        1 => header_text().prop_map(Some),
    ]
    .boxed()
}

fn cases(kind: Kind, endpoint: &Endpoint, pool: &Pool) -> BoxedStrategy<Case> {
    let body = match kind {
        Kind::Bytes => byte_body(pool, endpoint.fields),
        Kind::Json => json_document(pool, endpoint.fields)
            .prop_map(|j| j.render())
            .boxed(),
        Kind::Long => long_body(pool, endpoint.fields),
        Kind::Form => form_body(pool),
    };
    let header = |read: bool, value: BoxedStrategy<String>| {
        if read {
            proptest::option::weighted(0.5, value).boxed()
        } else {
            Just(None).boxed()
        }
    };
    (
        content_type(kind, endpoint.form),
        body,
        header(endpoint.reads(Parsed::IfMatch), if_match_value()),
        header(
            endpoint.reads(Parsed::IdempotencyKey),
            idempotency_key_value(),
        ),
        proptest::option::weighted(0.2, header_text()),
    )
        .prop_map(
            |(content_type, body, if_match, idempotency_key, request_id)| Case {
                content_type,
                body,
                if_match,
                idempotency_key,
                request_id,
            },
        )
        .boxed()
}

fn case_count() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES)
}

// ---------------------------------------------------------------------------
// The answers

/// The property an answer broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Broken {
    /// No answer, or none within the timeout.
    NoAnswer,
    /// A 5xx.
    ServerError,
    /// A non-2xx answer without the contract's error body or headers.
    ErrorShape,
    /// `X-Request-Id` missing, or not the client's valid one.
    RequestId,
    /// The victim's path answered something other than 404 `NOT_FOUND`.
    NotNotFound,
    /// The victim's task under the attacker's path answered unlike a task
    /// that does not exist.
    Probe,
    /// The victim's tasks or profile changed, or their login broke.
    VictimHarmed,
}

#[derive(Debug)]
struct Violation {
    broken: Broken,
    status: Option<u16>,
    detail: String,
}

impl Violation {
    fn new(broken: Broken, status: Option<u16>, detail: impl Into<String>) -> Self {
        Self {
            broken,
            status,
            detail: detail.into(),
        }
    }
}

/// An answer, as compared between two paths.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    code: Option<String>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} {code}", self.status),
            None => write!(f, "{}", self.status),
        }
    }
}

/// The contract's error codes and their statuses.
const CODES: &[(&str, u16)] = &[
    ("BAD_REQUEST", 400),
    ("INVALID_RESET_TOKEN", 400),
    ("UNAUTHORIZED", 401),
    ("INVALID_CREDENTIALS", 401),
    ("ACCOUNT_DISABLED", 403),
    ("INSUFFICIENT_SCOPE", 403),
    ("INVALID_CREDENTIALS", 403),
    ("NOT_FOUND", 404),
    ("METHOD_NOT_ALLOWED", 405),
    ("EMAIL_TAKEN", 409),
    ("IDEMPOTENCY_IN_PROGRESS", 409),
    ("PRECONDITION_FAILED", 412),
    ("PAYLOAD_TOO_LARGE", 413),
    ("UNSUPPORTED_MEDIA_TYPE", 415),
    ("VALIDATION_ERROR", 422),
    ("IDEMPOTENCY_KEY_REUSED", 422),
    ("RATE_LIMITED", 429),
    ("ACCOUNT_LOCKED", 429),
    ("SERVICE_UNAVAILABLE", 503),
];

/// The request id the server must echo: the client's, once the HTTP
/// parser has trimmed it, when it is 1–128 visible ASCII characters.
fn echoed_request_id(sent: &str) -> Option<&str> {
    let id = sent.trim_matches([' ', '\t']);
    ((1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())).then_some(id)
}

/// Checks an answer against the contract's error shape.
async fn check_answer(
    sent: Result<reqwest::Response, reqwest::Error>,
    request_id: Option<&str>,
) -> Result<Answer, Violation> {
    let no_answer = |e: reqwest::Error| Violation::new(Broken::NoAnswer, None, e.to_string());
    let response = sent.map_err(no_answer)?;
    let status = response.status();
    let code = Some(status.as_u16());
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(no_answer)?;
    let body = || preview(&bytes);
    if status.is_server_error() {
        return Err(Violation::new(Broken::ServerError, code, body()));
    }
    let header_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Violation::new(Broken::RequestId, code, "no X-Request-Id header"))?;
    if let Some(expected) = request_id.and_then(echoed_request_id)
        && header_id != expected
    {
        return Err(Violation::new(
            Broken::RequestId,
            code,
            format!("X-Request-Id {header_id:?}, expected the client's {expected:?}"),
        ));
    }
    if status.is_success() {
        return Ok(Answer {
            status: status.as_u16(),
            code: None,
        });
    }
    let shape = |why: &str| Violation::new(Broken::ErrorShape, code, format!("{why}: {}", body()));
    let json: Value = serde_json::from_slice(&bytes).map_err(|_| shape("not JSON"))?;
    if !json.is_object() {
        return Err(shape("not a JSON object"));
    }
    if !json["detail"].is_string() {
        return Err(shape("no string `detail`"));
    }
    let error_code = json["code"]
        .as_str()
        .ok_or_else(|| shape("no string `code`"))?;
    if !CODES.contains(&(error_code, status.as_u16())) {
        return Err(shape("a `code` the contract does not give this status"));
    }
    if json["request_id"] != header_id {
        return Err(shape(&format!(
            "`request_id` is not the X-Request-Id header {header_id:?}"
        )));
    }
    if error_code == "VALIDATION_ERROR" {
        let errors = json["errors"]
            .as_array()
            .filter(|errors| !errors.is_empty())
            .ok_or_else(|| shape("no `errors` array"))?;
        let well_formed = |e: &Value| {
            e["field"].is_string() && e["message"].as_str().is_some_and(|m| !m.is_empty())
        };
        if !errors.iter().all(well_formed) {
            return Err(shape(
                "an `errors` item without string `field` and `message`",
            ));
        }
    }
    if error_code == "UNAUTHORIZED"
        && headers
            .get(WWW_AUTHENTICATE)
            .is_none_or(|v| !v.as_bytes().starts_with(b"Bearer"))
    {
        return Err(shape("401 without `WWW-Authenticate: Bearer`"));
    }
    if matches!(status.as_u16(), 429 | 503) && !headers.contains_key(RETRY_AFTER) {
        return Err(shape("no Retry-After"));
    }
    if String::from_utf8_lossy(&bytes).contains(SECRET) {
        return Err(shape("the signing secret in the body"));
    }
    Ok(Answer {
        status: status.as_u16(),
        code: Some(error_code.to_owned()),
    })
}

// ---------------------------------------------------------------------------
// The run

/// The attacker, the victim and what the victim had before.
struct World<'a> {
    app: &'a TestApp,
    attacker: TestUser,
    victim: TestUser,
    attackers_task: i64,
    victims_task: i64,
    victims_data: (Vec<u8>, Vec<u8>),
}

impl<'a> World<'a> {
    async fn new(app: &'a TestApp) -> Self {
        let (attacker, victim) = (app.signed_up().await, app.signed_up().await);
        let attackers_task = app.create_task(&attacker, json!({"title": "Mine"})).await["id"]
            .as_i64()
            .expect("task id");
        let victims_task = app
            .create_task(
                &victim,
                json!({"title": "Private", "description": "secret"}),
            )
            .await["id"]
            .as_i64()
            .expect("task id");
        app.create_task(&victim, json!({"title": "Done", "completed": true}))
            .await;
        let mut world = Self {
            app,
            attacker,
            victim,
            attackers_task,
            victims_task,
            victims_data: (Vec::new(), Vec::new()),
        };
        world.victims_data = world.victims_data().await;
        world
    }

    fn pool(&self, endpoint: &Endpoint) -> Pool {
        let mut emails = vec![
            self.attacker.email.clone(),
            self.attacker.email.to_uppercase(),
            "ada@example.com".to_owned(),
        ];
        if !endpoint.locks_out {
            emails.push(self.victim.email.to_uppercase());
            emails.push(format!(" {} ", self.victim.email));
        }
        let mut strings = emails.clone();
        strings.extend([
            self.attacker.id.clone(),
            self.victim.id.clone(),
            self.victims_task.to_string(),
            "A fine title".to_owned(),
            "Tr0ub4dor&3-horse".to_owned(),
        ]);
        Pool {
            strings,
            emails,
            ids: vec![self.attackers_task, self.victims_task, 0, -1],
        }
    }

    fn path(&self, endpoint: &Endpoint, target: Target) -> String {
        let (user, task) = match target {
            Target::Own => (&self.attacker.id, self.attackers_task),
            Target::Victims => (&self.victim.id, self.victims_task),
            Target::Borrowed => (&self.attacker.id, self.victims_task),
        };
        endpoint
            .path
            .replace("{user_id}", user)
            .replace("{task_id}", &task.to_string())
    }

    async fn send(
        &self,
        endpoint: &Endpoint,
        path: &str,
        case: &Case,
    ) -> Result<Answer, Violation> {
        let method = Method::from_bytes(endpoint.method.as_bytes()).expect("an HTTP method");
        let mut request = self
            .app
            .authed(method, path, &self.attacker)
            .timeout(Duration::from_secs(20))
            .body(case.body.clone());
        let headers = [
            (CONTENT_TYPE.as_str(), &case.content_type),
            (IF_MATCH.as_str(), &case.if_match),
            ("idempotency-key", &case.idempotency_key),
            ("x-request-id", &case.request_id),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        check_answer(request.send().await, case.request_id.as_deref()).await
    }

    /// Sends `case` to `endpoint` aimed at `target`, and checks the answer.
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        target: Target,
        case: &Case,
    ) -> Result<(), Violation> {
        let answer = self
            .send(endpoint, &self.path(endpoint, target), case)
            .await?;
        match target {
            Target::Own => Ok(()),
            // Another user's `{user_id}` is refused before anything else of
            // the request counts: its body, its content type, its headers.
            // Only a body over the size limit is refused first (413), which
            // says nothing about the other user.
            Target::Victims
                if (answer.status == 404 && answer.code.as_deref() == Some("NOT_FOUND"))
                    || (answer.status == 413
                        && answer.code.as_deref() == Some("PAYLOAD_TOO_LARGE")) =>
            {
                Ok(())
            }
            Target::Victims => Err(Violation::new(
                Broken::NotNotFound,
                Some(answer.status),
                format!("answered {answer}, expected 404 NOT_FOUND"),
            )),
            Target::Borrowed => {
                let missing = endpoint
                    .path
                    .replace("{user_id}", &self.attacker.id)
                    .replace("{task_id}", &MISSING_TASK_ID.to_string());
                let expected = self.send(endpoint, &missing, case).await?;
                if answer == expected {
                    Ok(())
                } else {
                    Err(Violation::new(
                        Broken::Probe,
                        Some(answer.status),
                        format!(
                            "answered {answer} where a task that does not exist gets {expected}"
                        ),
                    ))
                }
            }
        }
    }

    /// The victim's task list and profile, as bytes.
    async fn victims_data(&self) -> (Vec<u8>, Vec<u8>) {
        let mut data = Vec::new();
        for path in [self.victim.tasks(), "/api/v1/auth/me".to_owned()] {
            let response = self.app.get(&path, &self.victim).await;
            let status = response.status();
            let mut bytes = format!("{status}\n").into_bytes();
            bytes.extend(response.bytes().await.expect("victim's data read"));
            data.push(bytes);
        }
        let me = data.pop().expect("profile");
        let tasks = data.pop().expect("tasks");
        (tasks, me)
    }

    /// Whether the victim's data is as it was; if not, it becomes the new
    /// reference so that later harm is told apart.
    async fn victim_unharmed(&mut self) -> Result<(), Violation> {
        let now = self.victims_data().await;
        if now == self.victims_data {
            return Ok(());
        }
        let detail = format!(
            "victim's tasks {} → {}; profile {} → {}",
            preview(&self.victims_data.0),
            preview(&now.0),
            preview(&self.victims_data.1),
            preview(&now.1),
        );
        self.victims_data = now;
        Err(Violation::new(Broken::VictimHarmed, None, detail))
    }

    /// Whether the victim can still log in (waiting out a rate limit once).
    async fn victim_can_log_in(&self) -> Result<(), Violation> {
        for _ in 0..2 {
            let response = self
                .app
                .login(&self.victim.email, &self.victim.password)
                .await;
            let status = response.status();
            if status == StatusCode::OK {
                return Ok(());
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let body = response.bytes().await.unwrap_or_default();
            let rate_limited = String::from_utf8_lossy(&body).contains("RATE_LIMITED");
            match retry_after {
                Some(secs) if rate_limited && secs <= 65 => {
                    tokio::time::sleep(Duration::from_secs(secs + 1)).await;
                }
                _ => {
                    return Err(Violation::new(
                        Broken::VictimHarmed,
                        Some(status.as_u16()),
                        format!("the victim cannot log in: {status} {}", preview(&body)),
                    ));
                }
            }
        }
        Err(Violation::new(
            Broken::VictimHarmed,
            Some(429),
            "the victim cannot log in: still rate-limited",
        ))
    }
}

/// How failures are grouped: one minimal example per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// `None` for the checks after the run.
    endpoint: Option<usize>,
    target: Target,
    broken: Broken,
    status: Option<u16>,
}

impl Key {
    fn of(endpoint: Option<usize>, target: Target, violation: &Violation) -> Self {
        let by_status = !matches!(violation.broken, Broken::NotNotFound | Broken::Probe);
        Self {
            endpoint,
            target,
            broken: violation.broken,
            status: violation.status.filter(|_| by_status),
        }
    }
}

#[derive(Debug)]
struct Found {
    example: String,
    shrunk: bool,
    count: usize,
}

/// Every distinct failure of a run.
#[derive(Debug, Default)]
struct Report {
    found: BTreeMap<Key, Found>,
    sent: usize,
}

impl Report {
    /// Records a failure, keeping a shrunk example over an unshrunk one.
    fn record(&mut self, key: Key, example: String, shrunk: bool) {
        let found = self.found.entry(key).or_insert(Found {
            example: String::new(),
            shrunk: false,
            count: 0,
        });
        found.count += 1;
        if found.example.is_empty() || (shrunk && !found.shrunk) {
            found.example = example;
            found.shrunk = shrunk;
        }
    }

    fn wants_shrinking(&self, key: &Key) -> bool {
        self.found.get(key).is_none_or(|f| !f.shrunk)
    }

    fn finish(self, kind: Kind) {
        if self.found.is_empty() {
            return;
        }
        let mut message = format!(
            "bad input ({kind:?}) hurt the server: {} distinct failure(s) in {} requests\n",
            self.found.len(),
            self.sent
        );
        for (key, found) in &self.found {
            let place = key.endpoint.map_or_else(
                || "after the run".to_owned(),
                |i| format!("{} aimed at {:?}", ENDPOINTS[i], key.target),
            );
            let _ = writeln!(
                message,
                "\n- {place}: {:?}{} in {} case(s); {} input:\n  {}",
                key.broken,
                key.status.map(|s| format!(" ({s})")).unwrap_or_default(),
                found.count,
                if found.shrunk { "minimal" } else { "first" },
                found.example,
            );
        }
        panic!("{message}");
    }
}

/// Shrinks a case that failed `key` on `target` while simpler values still
/// fail the same way; returns the simplest failing case and its violation.
async fn shrink(
    world: &World<'_>,
    endpoint_index: usize,
    target: Target,
    key: Key,
    tree: &mut dyn ValueTree<Value = Case>,
    mut last: (Case, Violation),
    report: &mut Report,
) -> (Case, Violation) {
    let endpoint = &ENDPOINTS[endpoint_index];
    let mut steps = 0;
    if !tree.simplify() {
        return last;
    }
    while steps < MAX_SHRINK_STEPS {
        steps += 1;
        let case = tree.current();
        report.sent += 1;
        let outcome = world.attempt(endpoint, target, &case).await;
        let still_fails = match outcome {
            Err(violation) if Key::of(Some(endpoint_index), target, &violation) == key => {
                last = (case, violation);
                true
            }
            _ => false,
        };
        let more = if still_fails {
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !more {
            break;
        }
    }
    last
}

async fn fuzz(app: &TestApp, kind: Kind) {
    let started = std::time::Instant::now();
    let mut world = World::new(app).await;
    let mut runner = TestRunner::deterministic();
    let mut report = Report::default();
    for (index, endpoint) in ENDPOINTS.iter().enumerate() {
        if kind == Kind::Form && !endpoint.form {
            continue;
        }
        let strategy = cases(kind, endpoint, &world.pool(endpoint));
        for _ in 0..case_count() {
            let mut tree = strategy.new_tree(&mut runner).expect("a case is drawn");
            let case = tree.current();
            let mut shrunk_one = false;
            for &target in endpoint.targets() {
                report.sent += 1;
                let Err(violation) = world.attempt(endpoint, target, &case).await else {
                    continue;
                };
                let key = Key::of(Some(index), target, &violation);
                let (case, violation, shrunk) = if !shrunk_one && report.wants_shrinking(&key) {
                    shrunk_one = true;
                    let (case, violation) = shrink(
                        &world,
                        index,
                        target,
                        key,
                        &mut *tree,
                        (case.clone(), violation),
                        &mut report,
                    )
                    .await;
                    (case, violation, true)
                } else {
                    (case.clone(), violation, false)
                };
                report.record(key, format!("{} — {case}", violation.detail), shrunk);
            }
            if let Err(violation) = world.victim_unharmed().await {
                let key = Key::of(Some(index), Target::Own, &violation);
                report.record(key, format!("{} — after {case}", violation.detail), false);
            }
        }
    }
    if let Err(violation) = world.victim_can_log_in().await {
        report.record(
            Key::of(None, Target::Own, &violation),
            violation.detail,
            false,
        );
    }
    eprintln!(
        "bad input ({kind:?}): {} requests in {:.1} s",
        report.sent,
        started.elapsed().as_secs_f64()
    );
    report.finish(kind);
}

async fn arbitrary_bytes_never_hurt(app: &TestApp) {
    fuzz(app, Kind::Bytes).await;
}

async fn arbitrary_json_never_hurts(app: &TestApp) {
    fuzz(app, Kind::Json).await;
}

async fn over_long_strings_never_hurt(app: &TestApp) {
    fuzz(app, Kind::Long).await;
}

async fn arbitrary_forms_never_hurt(app: &TestApp) {
    fuzz(app, Kind::Form).await;
}

/// Garbage presented as a personal access token: printable text, a
/// token-shaped random value, a very long one, or any header text, after
/// `tp_pat_`.
fn personal_token() -> BoxedStrategy<String> {
    prop_oneof![
        2 => header_text(),
        2 => "[A-Za-z0-9_-]{43}",
        1 => "[A-Za-z0-9_-]{0,4000}",
    ]
    .prop_map(|rest| format!("Bearer tp_pat_{rest}"))
    .prop_filter("a valid header value", |s| HeaderValue::from_str(s).is_ok())
    .boxed()
}

async fn arbitrary_personal_tokens_are_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let routes = [
        (Method::GET, user.tasks()),
        (Method::POST, user.tasks()),
        (Method::GET, format!("{}/1", user.tasks())),
        (Method::GET, format!("/api/v1/users/{}/labels", user.id)),
        (Method::GET, format!("/api/v1/users/{}/changes", user.id)),
        (Method::GET, "/api/v1/auth/me".to_owned()),
        (Method::GET, "/api/v1/auth/tokens".to_owned()),
    ];
    let strategy = personal_token();
    let mut runner = TestRunner::deterministic();
    let mut failures = Vec::new();

    for case in 0..case_count() as usize {
        let authorization = strategy.new_tree(&mut runner).expect("case").current();
        let (method, path) = &routes[case % routes.len()];
        let sent = app
            .request(method.clone(), path)
            .header(AUTHORIZATION, &authorization)
            .json(&json!({"title": "x"}))
            .send()
            .await;
        let answer = check_answer(sent, None).await;
        if !matches!(&answer, Ok(Answer { status: 401, .. })) {
            failures.push(format!(
                "{method} {path} {}: {answer:?}",
                preview(authorization.as_bytes())
            ));
        }
    }

    assert!(failures.is_empty(), "{failures:#?}");
}
