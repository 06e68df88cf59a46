//! For random requests: a token signed for a request verifies for that request, and any single
//! change to its method, path or query makes it fail with `qsh_mismatch`.

#![allow(clippy::unwrap_used)]

use amj_connect::jwt::{Checks, QshCheck, Unverified, sign_hs256};
use amj_connect::qsh::qsh;
use amj_connect::{AuthReason, ConnectClaims};
use proptest::prelude::*;

const SECRET: &[u8] = b"property-secret";

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    params: Vec<(String, String)>,
}

impl Request {
    fn query(&self) -> Option<String> {
        if self.params.is_empty() {
            return None;
        }
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            out.append_pair(k, v);
        }
        Some(out.finish())
    }

    fn qsh(&self) -> String {
        qsh(&self.method, &self.path, self.query().as_deref(), "")
    }
}

fn request() -> impl Strategy<Value = Request> {
    let method =
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(str::to_owned);
    let segment = "[a-zA-Z0-9._~-]{1,8}";
    let path = prop::collection::vec(segment, 1..5).prop_map(|s| format!("/{}", s.join("/")));
    // Names avoid `jwt`, which the algorithm drops by design.
    let name = "[a-ik-zA-Z][a-zA-Z0-9_]{0,6}";
    let value = "[ -~\u{e9}\u{20ac}]{0,10}";
    let params = prop::collection::vec((name, value), 0..5);
    (method, path, params).prop_map(|(method, path, params)| Request {
        method,
        path,
        params,
    })
}

fn sign_for(request: &Request) -> String {
    let claims = ConnectClaims {
        iss: "c1".into(),
        sub: None,
        iat: 1_700_000_000,
        exp: 1_700_000_900,
        nbf: None,
        qsh: Some(request.qsh()),
        aud: None,
        context: None,
        jti: None,
    };
    sign_hs256(&claims, SECRET).unwrap()
}

fn verify(token: &str, request: &Request) -> Result<(), AuthReason> {
    let checks = Checks {
        now: 1_700_000_100,
        leeway_secs: 30,
        qsh: QshCheck::Exact(request.qsh()),
        audience: None,
    };
    Unverified::parse(token)
        .unwrap()
        .verify_hs256(SECRET, &checks)
        .map(|_| ())
        .map_err(|e| e.reason)
}

#[derive(Debug, Clone)]
enum Change {
    Method,
    Path,
    Value(usize),
    Name(usize),
    AddParam,
    DropParam(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Method),
        Just(Change::Path),
        any::<usize>().prop_map(Change::Value),
        any::<usize>().prop_map(Change::Name),
        Just(Change::AddParam),
        any::<usize>().prop_map(Change::DropParam),
    ]
}

fn apply(request: &Request, change: &Change) -> Option<Request> {
    let mut changed = request.clone();
    match change {
        Change::Method => {
            changed.method = if request.method == "GET" {
                "POST".into()
            } else {
                "GET".into()
            }
        }
        Change::Path => changed.path.push('x'),
        Change::Value(i) if !request.params.is_empty() => {
            changed.params[i % request.params.len()].1.push('x')
        }
        Change::Name(i) if !request.params.is_empty() => {
            changed.params[i % request.params.len()].0.push('x')
        }
        Change::AddParam => changed.params.push(("zzzAdded".into(), "1".into())),
        Change::DropParam(i) if !request.params.is_empty() => {
            let index = i % request.params.len();
            let (name, value) = changed.params.remove(index);
            // Dropping one of two identical pairs leaves a different multiset only if it was unique.
            if request
                .params
                .iter()
                .filter(|p| **p == (name.clone(), value.clone()))
                .count()
                > 1
            {
                return None;
            }
        }
        _ => return None,
    }
    Some(changed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_request_verifies(request in request()) {
        let token = sign_for(&request);
        prop_assert_eq!(verify(&token, &request), Ok(()));
    }

    #[test]
    fn any_single_change_fails(request in request(), change in change()) {
        if let Some(changed) = apply(&request, &change) {
            let token = sign_for(&request);
            prop_assert_eq!(verify(&token, &changed), Err(AuthReason::QshMismatch), "{:?}", change);
        }
    }

    #[test]
    fn parsing_never_panics(token in ".{0,300}") {
        let _ = Unverified::parse(&token);
    }
}
