use super::*;

#[test]
fn finds_the_first_wanted_byte_at_every_position() {
    for len in 0..40 {
        for at in 0..len {
            let mut bytes = vec![b'a'; len];
            bytes[at] = b'%';
            // Wanted bytes after the first one, and bytes that differ by one bit.
            for later in bytes.iter_mut().skip(at + 1).step_by(3) {
                *later = b'&';
            }
            assert_eq!(find_any(&bytes, [b'&', b'%']), Some(at), "{len} {at}");
        }
        assert_eq!(find_any(&vec![b'$'; len], [b'%', b'&']), None);
    }
    assert_eq!(find_any("é~".as_bytes(), [b'~']), Some(2));
    assert_eq!(
        find_any(&[0x00, 0x80, 0xff, 0x01, 0x7f, 0x25], [b'%']),
        Some(5)
    );
    assert_eq!(find_any(&[0u8; 16], [0]), Some(0));
}

#[test]
fn split_ascii_matches_str_split() {
    for text in [
        "",
        "~",
        "a",
        "a~b",
        "~a~~b~",
        "idÄ~nmé~~x",
        "0123456789~abcdefghij~k",
    ] {
        let ours: Vec<&str> = split_ascii(text, b'~').collect();
        let std: Vec<&str> = text.split('~').collect();
        assert_eq!(ours, std, "{text:?}");
    }
}

#[test]
fn a_replacement_character_is_found_wherever_it_is() {
    for (text, has) in [
        ("", false),
        ("v=2&en=page_view", false),
        ("\u{FFFD}", true),
        ("v=2&dl=caf\u{FFFD}&en=x", true),
        ("a long query before the mark\u{FFFD}", true),
        // Other characters that start with 0xEF are not the mark.
        ("\u{FFFC}\u{FEFF}", false),
        ("\u{FFFC}\u{FFFD}", true),
    ] {
        assert_eq!(has_replacement_char(text), has, "{text:?}");
        assert_eq!(text.contains('\u{FFFD}'), has, "{text:?}");
    }
}
