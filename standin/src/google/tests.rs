use super::*;

fn google() -> Google {
    Google::new(GoogleConfig {
        static_token: Some("lit".into()),
        ..GoogleConfig::default()
    })
    .unwrap()
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const PATH: &str = "/bigquery/v2/projects/capi-test/datasets/capi_logs/tables/events/insertAll";

fn insert(g: &Google, token: &str, body: Value) -> (u16, Value) {
    let headers = h(&[
        ("host", "bigquery.googleapis.com"),
        ("authorization", &format!("Bearer {token}")),
        ("content-type", "application/json"),
    ]);
    let (_, _, r) = g.handle("POST", PATH, &headers, body.to_string().as_bytes(), 0);
    (r.status, serde_json::from_slice(&r.body).unwrap())
}

fn row(id: &str, json: Value) -> Value {
    json!({"insertId": id, "json": json})
}

#[test]
fn insert_all_stores_valid_rows_once_per_insert_id() {
    let g = google();
    let good = json!({"timestamp": 1, "tag_name": "t", "type": "Request"});
    let body = json!({"ignoreUnknownValues": true, "skipInvalidRows": true, "rows": [row("a", good.clone()), row("a", good.clone()), row("b", good)]});
    let (status, answer) = insert(&g, "lit", body);
    assert_eq!(status, 200);
    assert!(answer.get("insertErrors").is_none());
    assert_eq!(g.rows().len(), 2);
}

#[test]
fn insert_all_checks_token_table_and_shape() {
    let g = google();
    let body = json!({"rows": [row("a", json!({"timestamp": 1, "tag_name": "t", "type": "x"}))]});
    assert_eq!(insert(&g, "nope", body.clone()).0, 401);
    assert_eq!(insert(&g, "lit", json!({"rows": []})).0, 400);
    assert_eq!(
        insert(&g, "lit", json!({"bogus": 1, "rows": body["rows"]})).0,
        400
    );
    let headers = h(&[
        ("host", "bigquery.googleapis.com"),
        ("authorization", "Bearer lit"),
        ("content-type", "application/json"),
    ]);
    let (_, _, r) = g.handle(
        "POST",
        "/bigquery/v2/projects/x/datasets/y/tables/z/insertAll",
        &headers,
        b"{}",
        0,
    );
    assert_eq!(r.status, 404);
}

#[test]
fn invalid_rows_come_back_in_insert_errors() {
    let g = google();
    let good = json!({"timestamp": 1, "tag_name": "t", "type": "Request"});
    let bad = json!({"timestamp": "soon", "tag_name": "t", "type": "Request", "extra": 1});
    let (status, answer) = insert(
        &g,
        "lit",
        json!({"skipInvalidRows": true, "rows": [row("a", good.clone()), row("b", bad.clone())]}),
    );
    assert_eq!(status, 200);
    let errors = answer["insertErrors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["index"], 1);
    assert_eq!(errors[0]["errors"].as_array().unwrap().len(), 2);
    assert_eq!(g.rows().len(), 1);
    // Without skipInvalidRows nothing is stored.
    let (_, answer) = insert(&g, "lit", json!({"rows": [row("c", good), row("d", bad)]}));
    assert_eq!(answer["insertErrors"].as_array().unwrap().len(), 2);
    assert_eq!(g.rows().len(), 1);
}

#[test]
fn metadata_server_wants_its_header_and_issues_tokens_bigquery_accepts() {
    let g = google();
    let (_, _, r) = g.handle(
        "GET",
        METADATA_TOKEN_PATH,
        &h(&[("host", "metadata.google.internal")]),
        b"",
        0,
    );
    assert_eq!(r.status, 403);
    let ok = h(&[
        ("host", "metadata.google.internal"),
        ("metadata-flavor", "Google"),
    ]);
    let (_, _, r) = g.handle("GET", METADATA_TOKEN_PATH, &ok, b"", 0);
    assert_eq!(r.status, 200);
    let answer: Value = serde_json::from_slice(&r.body).unwrap();
    let token = answer["access_token"].as_str().unwrap();
    assert_eq!(answer["expires_in"], 3599);
    let body = json!({"rows": [row("a", json!({"timestamp": 1, "tag_name": "t", "type": "x"}))]});
    assert_eq!(insert(&g, token, body).0, 200);
}

#[test]
fn issued_tokens_carry_the_configured_lifetime() {
    let g = Google::new(GoogleConfig {
        token_lifetime_s: 0,
        ..GoogleConfig::default()
    })
    .unwrap();
    let ok = h(&[
        ("host", "metadata.google.internal"),
        ("metadata-flavor", "Google"),
    ]);
    let (_, _, r) = g.handle("GET", METADATA_TOKEN_PATH, &ok, b"", 0);
    let answer: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer["expires_in"], 0);
}

fn sign(claims: Value) -> String {
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let key: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/google/test-service-account.json"
    ))
    .unwrap();
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(key["private_key"].as_str().unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!(
        "{}.{}",
        b64.encode(json!({"alg": "RS256", "typ": "JWT"}).to_string()),
        b64.encode(claims.to_string())
    );
    let sig = SigningKey::<Sha256>::new(private)
        .sign(input.as_bytes())
        .to_bytes();
    format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={input}.{}",
        b64.encode(sig)
    )
}

#[test]
fn oauth_accepts_a_signed_assertion_only_with_the_right_claims() {
    let g = Google::new(GoogleConfig {
        service_account: Some((
            "capi-logger@capi-test.iam.gserviceaccount.com".into(),
            include_str!("../../../tests/fixtures/google/test-service-account.pub.pem").into(),
        )),
        ..GoogleConfig::default()
    })
    .unwrap();
    let now = 1_800_000_000u64;
    let good = json!({
        "iss": "capi-logger@capi-test.iam.gserviceaccount.com",
        "scope": "https://www.googleapis.com/auth/bigquery.insertdata",
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now, "exp": now + 3600,
    });
    let form = h(&[("content-type", "application/x-www-form-urlencoded")]);
    let post = |claims: Value| {
        let (v, _, r) = g.handle(
            "POST",
            OAUTH_TOKEN_PATH,
            &form,
            sign(claims).as_bytes(),
            now * 1000,
        );
        (r.status, v.message)
    };
    assert_eq!(post(good.clone()).0, 200);
    for (key, value, why) in [
        ("iss", json!("someone@else.iam.gserviceaccount.com"), "iss"),
        ("aud", json!("https://example.com/token"), "aud"),
        (
            "scope",
            json!("https://www.googleapis.com/auth/devstorage.read_only"),
            "scope",
        ),
        ("exp", json!(now - 1), "expired"),
        ("iat", json!(now + 600), "future"),
        ("exp", json!(now + 7200), "one hour"),
    ] {
        let mut claims = good.clone();
        claims[key] = value;
        let (status, message) = post(claims);
        assert_eq!(status, 400, "{key}");
        assert!(message.contains(why), "{key}: {message}");
    }
}

#[test]
fn oauth_refuses_anything_but_a_signed_jwt_bearer_grant() {
    let key: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/google/test-service-account.json"
    ))
    .unwrap();
    let g = Google::new(GoogleConfig {
        service_account: Some((
            key["client_email"].as_str().unwrap().into(),
            include_str!("../../../tests/fixtures/google/test-service-account.pub.pem").into(),
        )),
        ..GoogleConfig::default()
    })
    .unwrap();
    let form = h(&[("content-type", "application/x-www-form-urlencoded")]);
    let (_, _, r) = g.handle(
        "POST",
        OAUTH_TOKEN_PATH,
        &form,
        b"grant_type=client_credentials",
        0,
    );
    assert_eq!(r.status, 400);
    let forged = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA";
    let (v, _, r) = g.handle("POST", OAUTH_TOKEN_PATH, &form, forged.as_bytes(), 0);
    assert_eq!(r.status, 400);
    assert!(
        v.message.contains("Signature") || v.message.contains("signature"),
        "{}",
        v.message
    );
}
