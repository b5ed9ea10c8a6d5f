use super::*;

fn parse(args: &[&str]) -> Result<Option<StandinConfig>, String> {
    parse_args(args.iter().map(|s| s.to_string()))
}

#[test]
fn defaults_and_flags() {
    let d = parse(&[]).unwrap().unwrap();
    assert_eq!(
        (
            d.port,
            d.api_key.as_str(),
            d.pixel_id.as_str(),
            d.path.as_str(),
            d.verbose,
            d.listen
        ),
        (
            8081,
            "local-dev-key",
            "local-pixel",
            "/v1/events",
            true,
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        )
    );
    let c = parse(&[
        "--port",
        "9000",
        "--api-key=k",
        "--pixel-id",
        "p",
        "--path",
        "/x",
        "--quiet",
        "--listen=0.0.0.0",
    ])
    .unwrap()
    .unwrap();
    assert_eq!(c.listen, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert_eq!(
        (
            c.port,
            c.api_key.as_str(),
            c.pixel_id.as_str(),
            c.path.as_str(),
            c.verbose
        ),
        (9000, "k", "p", "/x", false)
    );
    assert!(parse(&["--help"]).unwrap().is_none());
    assert!(parse(&["--port"]).is_err());
    assert!(parse(&["--port", "x"]).is_err());
    assert!(parse(&["--path", "x"]).is_err());
    assert!(parse(&["--bogus"]).is_err());
    assert_eq!(parse(&["--google"]).unwrap().unwrap().path, GOOGLE);
    assert!(parse(&["--listen", "capi-standin"]).is_err());
}
