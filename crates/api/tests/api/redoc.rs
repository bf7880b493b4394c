//! `/redoc`: ReDoc served from the binary, loading only same-origin assets
//! under a policy whose one allowance for styles is a nonce per response.

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

backends!(redoc_is_served_from_the_binary_under_its_own_csp);

/// The values of every `attribute="…"` of `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.split(needle.as_str())
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

async fn redoc_is_served_from_the_binary_under_its_own_csp(app: &TestApp) {
    let mut nonces = Vec::new();
    for path in ["/redoc", "/redoc/"] {
        let response = app.request(Method::GET, path).send().await.expect("sent");

        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let body = response.text().await.expect("body");
        let nonce = attribute_values(&body, "content")
            .into_iter()
            .find(|value| value.len() == 32)
            .expect("the page's csp-nonce")
            .to_owned();
        assert!(
            csp.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
            "{csp}"
        );
        for directive in [
            "default-src 'none'",
            "script-src 'self';",
            "connect-src 'self';",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(!csp.contains("worker-src"), "{csp}");
        let links: Vec<&str> = ["src", "href", "spec-url"]
            .iter()
            .flat_map(|attribute| attribute_values(&body, attribute))
            .collect();
        assert!(links.contains(&"/redoc/redoc.standalone.js"), "{links:?}");
        assert!(links.contains(&"/openapi.json"), "{links:?}");
        for link in links {
            assert!(
                link == "data:," || (link.starts_with('/') && !link.starts_with("//")),
                "{link} is not same-origin"
            );
        }
        assert!(!body.contains("://"), "the page names no other host");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "each page has its own nonce");

    let bundle = app
        .request(Method::GET, "/redoc/redoc.standalone.js")
        .send()
        .await
        .expect("sent");
    assert_eq!(bundle.status(), StatusCode::OK);
    assert_eq!(
        bundle.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let script = bundle.text().await.expect("body");
    assert!(script.contains("Version: 3.0.1"));
    assert!(
        !script.contains("cdn.redoc.ly"),
        "the vendored bundle loads no logo from Redocly's CDN"
    );
}
