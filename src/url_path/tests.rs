use super::*;

#[test]
fn path_bytes_are_rfc_3986_pchar_and_slash() {
    let allowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%";
    for b in 0..=u8::MAX {
        assert_eq!(
            is_path_byte(b),
            allowed.as_bytes().contains(&b),
            "{:?}",
            char::from(b)
        );
    }
}
