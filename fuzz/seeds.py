#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ from the captured
requests under tests/fixtures/ingest/ (each fixture in the input layout its target expects),
plus hand-made seeds for the targets that do not take a request: configurations (as JSON and
as a protobuf Struct), token and insertAll answers, service-account keys (from
tests/fixtures/google), API request bodies and log records. Idempotent."""

import base64
import hashlib
import json
import pathlib
import struct
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "tests" / "fixtures" / "ingest"
SERVICE_ACCOUNT = ROOT.parent / "tests" / "fixtures" / "google" / "test-service-account.json"
CORPUS = ROOT / "corpus"


def write(target, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def parse(raw):
    head, _, body = raw.partition(b"\n\n")
    lines = head.decode().split("\n")
    method, target = lines[0].split(" ", 1)
    path, _, query = target.partition("?")
    headers = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
    return method, path, query.encode(), headers, body


def loader_query(query):
    for pair in query.decode().split("&"):
        _, _, value = pair.partition("=")
        value = urllib.parse.unquote(value).replace("-", "+").replace("_", "/")
        try:
            text = base64.b64decode(value + "=" * (-len(value) % 4)).decode()
        except Exception:
            continue
        if text.startswith("/g/collect"):
            return text.partition("?")[2].encode()
    return None


for fixture in sorted(FIXTURES.glob("*.http")):
    method, path, query, headers, body = parse(fixture.read_bytes())
    name = fixture.stem
    if name.startswith("ga4_loader_"):
        decoded = loader_query(query)
        if decoded is not None:
            write("ga4_loader", decoded + b"\n" + body)
            write("ga4_post", decoded + b"\n" + body)
    elif name.startswith("ga4_"):
        write("ga4_get" if method == "GET" else "ga4_post", query if method == "GET" else query + b"\n" + body)
        write("ga4_post", query + b"\n" + body)
        write("json_encoder", query + b"\nhttps://a.example/\xe2\x80\x8b\"\\\nclick\x01\n")
    elif name.startswith("mp_"):
        write("mp", body)
    elif name.startswith("data_get_"):
        write("data_get", query)
    elif name.startswith("data_post_"):
        form = "form" in headers.get("content-type", "")
        write("data_post", (b"\x01" if form else b"\x00") + query + b"\n" + body)

CONFIGS = [
    b'{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": {"env": "KEY"}}',
    b'{"pixel_id": "p", "api_key": "k", "optimistic": true, "collect": {"endpoints": '
    b'[{"path": "/g/collect", "format": "ga4"}], "max_events_per_request": 1000}, '
    b'"event_name": {"setup": "custom", "custom": "Lead-Form"}, '
    b'"user_data": {"overrides": {"email": "{{event.user_data.email}}"}}, '
    b'"api": {"retry": {"max_attempts": 5}, "batch": {"max_delay_ms": 0}}}',
    b'{"pixel_id": "p", "api_key": {"env": "KEY"}, "logging": {"console": "always", '
    b'"full_bodies": false, "bigquery": {"project_id": "pr", "dataset_id": "ds", "table_id": "t", '
    b'"cluster": "bigquery", "access_token": {"service_account_key": {"env": "GOOGLE_KEY"}}}}}',
    b'{"pixel_id": "p", "api_key": "k", "metric_prefix": "shop_a", "logging": {"bigquery": '
    b'{"project_id": "pr", "dataset_id": "ds", "table_id": "t", "cluster": "bigquery", '
    b'"access_token": {"gcp_metadata": {"cluster": "gcp_metadata"}}}}, '
    b'"api": {"timeout_ms": 1500, "batch": {"held_window_ms": 2, "max_events": 100}}}',
]
for config in CONFIGS:
    write("config", config)


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, data):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(data)) + data


def proto_value(v):
    """google.protobuf.Value: null 1, number 2, string 3, bool 4, struct 5, list 6."""
    if v is None:
        return varint(1 << 3) + varint(0)
    if isinstance(v, bool):
        return varint(4 << 3) + varint(int(v))
    if isinstance(v, (int, float)):
        return varint(2 << 3 | 1) + struct.pack("<d", float(v))
    if isinstance(v, str):
        return field(3, v.encode())
    if isinstance(v, dict):
        return field(5, proto_struct(v))
    return field(6, b"".join(field(1, proto_value(x)) for x in v))


def proto_struct(d):
    """google.protobuf.Struct: its `fields` map, one entry (key 1, value 2) each."""
    return b"".join(field(1, field(1, k.encode()) + field(2, proto_value(v))) for k, v in d.items())


# The Struct form Envoy hands over for native YAML, and the JSON form through the same entry.
for config in CONFIGS:
    write("config_struct", proto_struct(json.loads(config)))
    write("config_struct", config)


def status(code):
    return struct.pack(">H", code)


for code, body in [
    (200, b'{"access_token":"ya29.c.metadata-token","expires_in":3599,"token_type":"Bearer"}'),
    (200, b'{"access_token":"ya29.oauth","expires_in":3600,"token_type":"Bearer","id_token":null}'),
    (200, b'{"access_token":"ya29.a","expires_in":0}'),
    (200, b'{"access_token":" ya29.\u0007 ","expires_in":18446744073709551615}'),
    (200, b'{"error":"internal_failure"}'),
    (400, b'{"error":"invalid_grant","error_description":"Invalid JWT Signature."}'),
    (403, b'<html>Forbidden</html>'),
    (503, b""),
]:
    write("token_response", status(code) + body)

for rows, code, body in [
    (1, 200, b'{"kind":"bigquery#tableDataInsertAllResponse"}'),
    (3, 200, b'{"kind":"bigquery#tableDataInsertAllResponse","insertErrors":[{"index":1,'
             b'"errors":[{"reason":"invalid","location":"x","message":"no such field: x."}]},'
             b'{"index":7,"errors":[]},{"index":1}]}'),
    (2, 200, b"<html>not json</html>"),
    (0x82, 401, b'{"error":{"code":401,"message":"Request had invalid authentication credentials."}}'),
    (4, 403, b'{"error":{"code":403,"status":"PERMISSION_DENIED"}}'),
    (5, 429, b""),
    (8, 503, b"upstream connect error"),
]:
    write("insert_answer", bytes([rows]) + status(code) + body)

key_file = SERVICE_ACCOUNT.read_bytes()
write("service_account_key", b"\x00" + key_file)
key = json.loads(key_file)
pem_line = key["private_key"].replace("\n", "\\n").encode()
for uri in [b"https://oauth2.googleapis.com/token", b"https://[::1]:8443/t?x=1", b"http://a/b", b""]:
    write("service_account_key", b"\x01" + pem_line + b"\n" + uri)
write("service_account_key", b"\x00" + json.dumps({k: v for k, v in key.items() if k != "private_key_id"}).encode())

API_BODY = json.dumps({
    "integration_source": "openai-capi-filter",
    "events": [{
        "id": "ev-1", "type": "order_created", "timestamp_ms": 1800000000000, "action_source": "web",
        "source_url": "https://user:pw@shop.example.com/thanks?utm_source=chatgpt#top",
        "oppref": "gAAAAB-click_1",
        "user": {"emails_sha256": ["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"],
                 "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (Macintosh)",
                 "cities": ["oslo"], "regions": ["oslo"], "postal_codes": ["0150"], "countries": ["NO"],
                 "obref": "0b6e1c1e"},
        "data": {"type": "contents", "amount": 1299, "currency": "EUR",
                 "contents": [{"id": "SKU-1", "content_type": "product", "quantity": 1}]},
    }, {
        "id": "ev-2", "type": "page_viewed", "timestamp_ms": 1800000000001, "action_source": "web",
        "source_url": "https://shop.example.com/", "user": {"ip_address": "2001:db8::1"},
        "data": {"type": "contents"},
    }],
}).encode()
for flags in [0, 1]:
    write("redaction", bytes([flags]) + API_BODY)
    write("redaction", bytes([flags]) + b'{"events":[{"user":null},1,{"user":{"ip_address":7}}]}')
    write("redaction", bytes([flags]) + "line\nbreak \u2028 \u202e bidi \x1b[31m".encode())

for flags in [0, 1, 2, 4, 5, 6]:
    write("bigquery_rows", bytes([flags]) + b"page_viewed\nhttps://bzr.openai.com/v1/events?pid=p\n"
          b"trace-1\n\xf0\x9f\x9b\x91 [ERROR] Request was not sent.\ninvalid amount\n"
          b"application/json\n" + API_BODY)
write("cookie_domain", b"https://www.shop.example.co.uk/p?q=1\nhttps://ref.example/\nsgtm.shop.example.co.uk\nclick-1")
write("cookie_domain", b"\n\nshop.example.com;Domain=evil.com\nv")
write("cookie_domain", b"http://[::1]:8080/\n\n127.0.0.1:443\n\"quoted\"")
