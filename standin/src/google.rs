//! The Google stand-in: BigQuery `tabledata.insertAll`, the GCE metadata server's token
//! endpoint, and the OAuth 2.0 token endpoint, on one loopback port, as strict as Google.
//!
//! * `GET /computeMetadata/v1/instance/service-accounts/default/token` needs
//!   `Metadata-Flavor: Google` and no `X-Forwarded-For` (403 otherwise, as on GCE), and answers
//!   `{"access_token","expires_in","token_type":"Bearer"}` with a new token
//!   ([`GoogleConfig::token_lifetime_s`] is its `expires_in`, 3599 unless a test wants a
//!   token that expires at once).
//! * `POST /token` takes only the JWT bearer grant (`application/x-www-form-urlencoded`,
//!   `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`). The assertion must
//!   be an RS256 JWT signed by the configured service account's key, with `iss` = its e-mail,
//!   `aud` = the token URI, a `scope` holding `bigquery.insertdata` (or `bigquery`,
//!   `cloud-platform`), `iat` not in the future (one minute of skew) and `exp` after now and at
//!   most one hour after `iat`. Anything else is `400 {"error":"invalid_grant",…}`.
//! * `POST /bigquery/v2/projects/{p}/datasets/{d}/tables/{t}/insertAll` needs
//!   `Authorization: Bearer <a token this stand-in issued, or the configured static one>` (401),
//!   the configured table (404), a JSON body with only insertAll's keys and `rows` of
//!   `{"insertId", "json": {…}}` (400). Each row is checked against the shipped table schema
//!   (`docs/bigquery-schema.json`): required columns, INTEGER/STRING types, unknown columns
//!   (rejected unless `ignoreUnknownValues`). Bad rows come back in `insertErrors`; with
//!   `skipInvalidRows` the good ones are still stored. Rows are de-duplicated by `insertId`.

use crate::http::Response;
use crate::validate::Verdict;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::{json, Map, Value};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::Mutex;

pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
pub const OAUTH_TOKEN_PATH: &str = "/token";
const SCHEMA: &str = include_str!("../../docs/bigquery-schema.json");
const TOKEN_LIFETIME_S: u64 = 3599;

/// What the Google stand-in accepts.
#[derive(Clone, Debug)]
pub struct GoogleConfig {
    pub project: String,
    pub dataset: String,
    pub table: String,
    /// A token accepted without being issued here (the filter's literal `access_token`).
    pub static_token: Option<String>,
    /// The service account whose JWTs `/token` accepts: e-mail and public key (PEM, SPKI).
    pub service_account: Option<(String, String)>,
    /// The `aud` assertions must carry.
    pub token_uri: String,
    /// `expires_in` of every issued token (seconds); Google's is 3599.
    pub token_lifetime_s: u64,
    pub verbose: bool,
    pub port: u16,
}

impl Default for GoogleConfig {
    fn default() -> GoogleConfig {
        GoogleConfig {
            project: "capi-test".to_owned(),
            dataset: "capi_logs".to_owned(),
            table: "events".to_owned(),
            static_token: None,
            service_account: None,
            token_uri: "https://oauth2.googleapis.com/token".to_owned(),
            token_lifetime_s: TOKEN_LIFETIME_S,
            verbose: false,
            port: 0,
        }
    }
}

/// One stored table row.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub insert_id: String,
    pub json: Value,
}

#[derive(Default)]
struct Table {
    rows: Vec<TableRow>,
    seen_ids: HashSet<String>,
    issued: HashSet<String>,
    next_token: u64,
    /// Fault: rows whose JSON text contains this are refused in `insertErrors`.
    reject_rows_containing: Option<String>,
}

/// The Google service state shared by the server's connections.
pub(crate) struct Google {
    pub config: GoogleConfig,
    key: Option<(String, RsaPublicKey)>,
    table: Mutex<Table>,
}

fn lock(m: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn verdict(status: u16, message: &str) -> Verdict {
    Verdict {
        status,
        message: message.to_owned(),
        violations: if status == 200 {
            Vec::new()
        } else {
            vec![message.to_owned()]
        },
    }
}

/// Google's JSON error shape.
fn google_error(status: u16, message: &str) -> Response {
    let code = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        _ => "UNKNOWN",
    };
    Response::json(
        status,
        json!({"error": {"code": status, "message": message, "status": code}}).to_string(),
    )
}

impl Google {
    pub fn new(config: GoogleConfig) -> Result<Google, String> {
        let key = match &config.service_account {
            None => None,
            Some((email, pem)) => Some((
                email.clone(),
                RsaPublicKey::from_public_key_pem(pem)
                    .map_err(|e| format!("service-account public key: {e}"))?,
            )),
        };
        Ok(Google {
            config,
            key,
            table: Mutex::new(Table::default()),
        })
    }

    pub fn rows(&self) -> Vec<TableRow> {
        lock(&self.table).rows.clone()
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.table).issued.iter().cloned().collect()
    }

    /// Forgets every issued token, as if they had expired or been revoked.
    pub fn revoke_tokens(&self) {
        lock(&self.table).issued.clear();
    }

    pub fn reject_rows_containing(&self, needle: Option<String>) {
        lock(&self.table).reject_rows_containing = needle;
    }

    /// Handles one request: the verdict (for the record), the body as JSON, and the answer.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: u64,
    ) -> (Verdict, Option<Value>, Response) {
        let json = serde_json::from_slice::<Value>(body).ok();
        let (v, r) = if path == METADATA_TOKEN_PATH {
            self.metadata(method, headers)
        } else if path == OAUTH_TOKEN_PATH {
            self.oauth(method, headers, body, now_ms / 1000)
        } else if path.starts_with("/bigquery/v2/") {
            self.insert_all(method, path, headers, json.as_ref())
        } else {
            (verdict(404, "not found"), google_error(404, "Not Found"))
        };
        (v, json, r)
    }

    fn issue(&self, prefix: &str) -> Response {
        let mut table = lock(&self.table);
        table.next_token += 1;
        let token = format!("ya29.{prefix}-{}", table.next_token);
        table.issued.insert(token.clone());
        Response::json(
            200,
            json!({"access_token": token, "expires_in": self.config.token_lifetime_s, "token_type": "Bearer"})
                .to_string(),
        )
    }

    fn metadata(&self, method: &str, headers: &[(String, String)]) -> (Verdict, Response) {
        let header = |name: &str| hdr(headers, name);
        if method != "GET" {
            return (
                verdict(405, "metadata: method must be GET"),
                google_error(405, "Method Not Allowed"),
            );
        }
        if header("metadata-flavor") != Some("Google") {
            let m = "metadata: missing Metadata-Flavor: Google header";
            return (verdict(403, m), google_error(403, m));
        }
        if header("x-forwarded-for").is_some() {
            let m = "metadata: requests with X-Forwarded-For are refused";
            return (verdict(403, m), google_error(403, m));
        }
        if header("host") != Some("metadata.google.internal") {
            let m = "metadata: Host must be metadata.google.internal";
            return (verdict(403, m), google_error(403, m));
        }
        (verdict(200, ""), self.issue("metadata"))
    }

    fn oauth(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
        now_s: u64,
    ) -> (Verdict, Response) {
        let header = |name: &str| hdr(headers, name);
        let refuse = |m: String| {
            let response = Response::json(
                400,
                json!({"error": "invalid_grant", "error_description": m}).to_string(),
            );
            (verdict(400, &m), response)
        };
        if method != "POST" {
            return (
                verdict(405, "token: method must be POST"),
                google_error(405, "Method Not Allowed"),
            );
        }
        if !header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            return refuse("token: Content-Type must be application/x-www-form-urlencoded".into());
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if field("grant_type") != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
            return refuse("token: grant_type must be the JWT bearer grant".into());
        }
        let Some(assertion) = field("assertion") else {
            return refuse("token: assertion missing".into());
        };
        match self.verify_assertion(assertion, now_s) {
            Ok(()) => (verdict(200, ""), self.issue("sa")),
            Err(m) => refuse(format!("token: {m}")),
        }
    }

    fn verify_assertion(&self, jwt: &str, now_s: u64) -> Result<(), String> {
        let Some((email, key)) = &self.key else {
            return Err("no service account configured".into());
        };
        let parts: Vec<&str> = jwt.split('.').collect();
        let [h, c, s] = parts.as_slice() else {
            return Err("assertion is not header.claims.signature".into());
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let decode = |part: &str| -> Result<Value, String> {
            let bytes = b64.decode(part).map_err(|_| "bad base64url".to_owned())?;
            serde_json::from_slice(&bytes).map_err(|_| "not JSON".to_owned())
        };
        let header = decode(h).map_err(|e| format!("header: {e}"))?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err("alg must be RS256".into());
        }
        let signature = b64
            .decode(s)
            .map_err(|_| "signature: bad base64url".to_owned())?;
        let signature = Signature::try_from(signature.as_slice())
            .map_err(|_| "signature: malformed".to_owned())?;
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(format!("{h}.{c}").as_bytes(), &signature)
            .map_err(|_| "Invalid JWT Signature.".to_owned())?;
        let claims = decode(c).map_err(|e| format!("claims: {e}"))?;
        let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default();
        if text("iss") != email {
            return Err(format!("iss {:?} is not the service account", text("iss")));
        }
        if text("aud") != self.config.token_uri {
            return Err(format!(
                "aud {:?} is not {:?}",
                text("aud"),
                self.config.token_uri
            ));
        }
        let scopes: Vec<&str> = text("scope").split(' ').collect();
        if !scopes.iter().any(|s| {
            matches!(
                *s,
                "https://www.googleapis.com/auth/bigquery.insertdata"
                    | "https://www.googleapis.com/auth/bigquery"
                    | "https://www.googleapis.com/auth/cloud-platform"
            )
        }) {
            return Err("scope does not allow BigQuery inserts".into());
        }
        let (Some(iat), Some(exp)) = (
            claims.get("iat").and_then(Value::as_u64),
            claims.get("exp").and_then(Value::as_u64),
        ) else {
            return Err("iat and exp must be integers".into());
        };
        if iat > now_s + 60 {
            return Err("iat is in the future".into());
        }
        if exp <= now_s {
            return Err("assertion expired".into());
        }
        if exp < iat || exp - iat > 3600 {
            return Err("exp must be at most one hour after iat".into());
        }
        Ok(())
    }

    fn insert_all(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Value>,
    ) -> (Verdict, Response) {
        let header = |name: &str| hdr(headers, name);
        let fail = |status: u16, m: String| (verdict(status, &m), google_error(status, &m));
        if method != "POST" {
            return fail(405, "insertAll: method must be POST".into());
        }
        let expected = format!(
            "/bigquery/v2/projects/{}/datasets/{}/tables/{}/insertAll",
            self.config.project, self.config.dataset, self.config.table
        );
        if path != expected {
            return fail(404, format!("Not found: Table for path {path}"));
        }
        if header("host") != Some("bigquery.googleapis.com") {
            return fail(
                400,
                "insertAll: Host must be bigquery.googleapis.com".into(),
            );
        }
        let token = header("authorization").and_then(|a| a.strip_prefix("Bearer "));
        let authorized = token.is_some_and(|t| {
            self.config.static_token.as_deref() == Some(t) || lock(&self.table).issued.contains(t)
        });
        if !authorized {
            return fail(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token"
                    .into(),
            );
        }
        if !header("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return fail(
                400,
                "insertAll: Content-Type must be application/json".into(),
            );
        }
        let Some(Value::Object(body)) = body else {
            return fail(400, "insertAll: body must be a JSON object".into());
        };
        for key in body.keys() {
            if !matches!(
                key.as_str(),
                "kind"
                    | "skipInvalidRows"
                    | "ignoreUnknownValues"
                    | "templateSuffix"
                    | "rows"
                    | "traceId"
            ) {
                return fail(
                    400,
                    format!("Invalid JSON payload received. Unknown name \"{key}\""),
                );
            }
        }
        let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
        let (skip_invalid, ignore_unknown) = (flag("skipInvalidRows"), flag("ignoreUnknownValues"));
        let Some(Value::Array(rows)) = body.get("rows") else {
            return fail(400, "insertAll: rows must be an array".into());
        };
        if rows.is_empty() {
            return fail(400, "No rows present in the request.".into());
        }
        let mut parsed = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(obj) = row.as_object() else {
                return fail(400, format!("rows[{i}] must be an object"));
            };
            if let Some(k) = obj.keys().find(|k| *k != "insertId" && *k != "json") {
                return fail(400, format!("rows[{i}]: unknown name \"{k}\""));
            }
            let Some(Value::String(id)) = obj.get("insertId") else {
                return fail(
                    400,
                    format!("rows[{i}].insertId must be a string (this client always sends one)"),
                );
            };
            let Some(Value::Object(json)) = obj.get("json") else {
                return fail(400, format!("rows[{i}].json must be an object"));
            };
            parsed.push((id.clone(), json.clone()));
        }
        let mut table = lock(&self.table);
        let mut errors = Vec::new();
        for (i, (_, json)) in parsed.iter().enumerate() {
            let mut problems = row_problems(json, ignore_unknown);
            if let Some(needle) = &table.reject_rows_containing {
                if Value::Object(json.clone())
                    .to_string()
                    .contains(needle.as_str())
                {
                    problems.push(("".to_owned(), "row refused (injected fault)".to_owned()));
                }
            }
            if !problems.is_empty() {
                let errs: Vec<Value> = problems
                    .into_iter()
                    .map(|(location, message)| json!({"reason": "invalid", "location": location, "message": message}))
                    .collect();
                errors.push(json!({"index": i, "errors": errs}));
            }
        }
        let bad: HashSet<u64> = errors.iter().filter_map(|e| e["index"].as_u64()).collect();
        if !bad.is_empty() && !skip_invalid {
            // Without skipInvalidRows nothing is stored; every good row is reported "stopped".
            for i in 0..parsed.len() as u64 {
                if !bad.contains(&i) {
                    errors.push(json!({"index": i, "errors": [{"reason": "stopped", "location": "", "message": ""}]}));
                }
            }
        } else {
            for (i, (id, json)) in parsed.into_iter().enumerate() {
                if !bad.contains(&(i as u64)) && table.seen_ids.insert(id.clone()) {
                    table.rows.push(TableRow {
                        insert_id: id,
                        json: Value::Object(json),
                    });
                }
            }
        }
        let mut answer = Map::new();
        answer.insert("kind".into(), json!("bigquery#tableDataInsertAllResponse"));
        if !errors.is_empty() {
            answer.insert("insertErrors".into(), Value::Array(errors));
        }
        let answer = Value::Object(answer);
        (verdict(200, ""), Response::json(200, answer.to_string()))
    }
}

fn hdr<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Schema violations of one row: (column, message).
fn row_problems(json: &Map<String, Value>, ignore_unknown: bool) -> Vec<(String, String)> {
    let schema: Vec<Value> = serde_json::from_str(SCHEMA).unwrap_or_default();
    let mut problems = Vec::new();
    for column in &schema {
        let name = column["name"].as_str().unwrap_or_default();
        let kind = column["type"].as_str().unwrap_or_default();
        let required = column["mode"].as_str() == Some("REQUIRED");
        match json.get(name) {
            None | Some(Value::Null) => {
                if required {
                    problems.push((name.to_owned(), format!("Missing required field: {name}.")));
                }
            }
            Some(value) => {
                let ok = match kind {
                    "INTEGER" => {
                        value.as_i64().is_some()
                            || value.as_str().is_some_and(|s| s.parse::<i64>().is_ok())
                    }
                    "STRING" => value.is_string(),
                    _ => false,
                };
                if !ok {
                    problems.push((
                        name.to_owned(),
                        format!("Cannot convert value to {kind}: {value}"),
                    ));
                }
            }
        }
    }
    if !ignore_unknown {
        for key in json.keys() {
            if !schema.iter().any(|c| c["name"].as_str() == Some(key)) {
                problems.push((key.clone(), "no such field.".to_owned()));
            }
        }
    }
    problems
}

/// The verbose print of one Google request.
pub(crate) fn describe(method: &str, path: &str, json: Option<&Value>, status: u16) -> String {
    let mut out = format!("── Google  {method} {path}  -> {status}\n");
    if path.starts_with("/bigquery/") {
        if let Some(rows) = json.and_then(|j| j.get("rows")).and_then(Value::as_array) {
            out.push_str(&format!("   {} row(s):\n", rows.len()));
            for row in rows.iter().take(50) {
                let text = row.get("json").map(Value::to_string).unwrap_or_default();
                let shown: String = text.chars().take(400).collect();
                out.push_str(&format!("   {shown}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
