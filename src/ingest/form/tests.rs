use super::*;

fn pairs(input: &str) -> Vec<(String, String)> {
    parse_pairs(input.as_bytes(), true).unwrap()
}

#[test]
fn decodes_plus_and_percent_escapes() {
    assert_eq!(
        pairs("dt=Food+Shop%20%C3%A9&dl=https%3A%2F%2Fa.b%2F"),
        vec![
            ("dt".to_owned(), "Food Shop é".to_owned()),
            ("dl".to_owned(), "https://a.b/".to_owned())
        ]
    );
}

#[test]
fn bare_names_empty_segments_and_first_value_wins() {
    assert_eq!(
        pairs("v=2&&richsstsse&v=3&"),
        vec![
            ("v".to_owned(), "2".to_owned()),
            ("richsstsse".to_owned(), String::new())
        ]
    );
    assert_eq!(parse_pairs(b"richsstsse", false).unwrap().len(), 1);
    assert_eq!(parse_pairs(b"", true).unwrap(), vec![]);
}

#[test]
fn bad_escapes_are_errors_naming_the_parameter() {
    let err = parse_pairs(b"en=x&dl=%zz", true).unwrap_err();
    assert_eq!(
        err,
        FormError::BadEscape {
            param: Some("dl".to_owned())
        }
    );
    assert_eq!(
        err.to_string(),
        "invalid percent-escape in the value of `dl`"
    );
    assert!(matches!(
        parse_pairs(b"en=x&dt=%4", true),
        Err(FormError::BadEscape { .. })
    ));
    assert!(matches!(
        parse_pairs(b"e%Gn=x", true),
        Err(FormError::BadEscape { param: None })
    ));
}

#[test]
fn invalid_utf8_raw_or_escaped_is_an_error() {
    assert_eq!(
        parse_pairs(b"en=x&dt=%FF", true).unwrap_err(),
        FormError::NotUtf8 {
            param: Some("dt".to_owned())
        }
    );
    assert!(matches!(
        parse_pairs(b"en=\xff\xfe", true),
        Err(FormError::NotUtf8 { .. })
    ));
    // A lone continuation byte split across an escape.
    assert!(matches!(
        parse_pairs(b"en=%C3", true),
        Err(FormError::NotUtf8 { .. })
    ));
}

#[test]
fn lines_that_are_not_pairs_are_errors() {
    assert_eq!(
        parse_pairs(b"hello world", true).unwrap_err(),
        FormError::NotPairs
    );
    assert_eq!(
        parse_pairs(br#"{"en":"x","a":"b=c"}"#, true).unwrap_err(),
        FormError::BadName
    );
    assert_eq!(parse_pairs(b"=x", true).unwrap_err(), FormError::BadName);
    assert_eq!(
        parse_pairs(b"a\x01b=1", true).unwrap_err(),
        FormError::BadName
    );
    let long = format!("{}=1", "k".repeat(MAX_NAME_BYTES + 1));
    assert_eq!(
        parse_pairs(long.as_bytes(), true).unwrap_err(),
        FormError::BadName
    );
}

#[test]
fn repeated_names_among_many_keep_their_first_value() {
    for count in [10, 40, 64, 65, 300] {
        let mut query: Vec<String> = (0..count).map(|i| format!("p{i}={i}")).collect();
        query.push("p3=again".to_owned());
        query.insert(1, "p7=first".to_owned());
        let got = parse_pairs(query.join("&").as_bytes(), true).unwrap();
        assert_eq!(got.len(), count, "{count}");
        assert_eq!(got[1], ("p7".to_owned(), "first".to_owned()));
        assert!(got.iter().all(|(n, v)| n != "p3" || v == "3"));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        let mut expected: Vec<String> = (0..count).map(|i| format!("p{i}")).collect();
        expected.retain(|n| n != "p7");
        expected.insert(1, "p7".to_owned());
        assert_eq!(names, expected, "first occurrences, in order");
    }
}

#[test]
fn decode_without_plus_keeps_plus() {
    assert_eq!(decode(b"a+b%2B", false).unwrap(), "a+b+");
    assert_eq!(decode(b"a+b", true).unwrap(), "a b");
}
