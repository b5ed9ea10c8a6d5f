#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ from the captured
requests under tests/fixtures/ingest/ (each fixture in the input layout its target expects),
plus a few hand-made seeds for the targets that do not take a request. Idempotent."""

import base64
import hashlib
import pathlib
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "tests" / "fixtures" / "ingest"
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

write("config", b'{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": {"env": "KEY"}}')
write("config", b'{"pixel_id": "p", "api_key": "k", "optimistic": true, "collect": {"endpoints": '
      b'[{"path": "/g/collect", "format": "ga4"}], "max_events_per_request": 1000}, '
      b'"event_name": {"setup": "custom", "custom": "Lead-Form"}, '
      b'"user_data": {"overrides": {"email": "{{event.user_data.email}}"}}, '
      b'"api": {"retry": {"max_attempts": 5}, "batch": {"max_delay_ms": 0}}}')
write("cookie_domain", b"https://www.shop.example.co.uk/p?q=1\nhttps://ref.example/\nsgtm.shop.example.co.uk\nclick-1")
write("cookie_domain", b"\n\nshop.example.com;Domain=evil.com\nv")
write("cookie_domain", b"http://[::1]:8080/\n\n127.0.0.1:443\n\"quoted\"")
