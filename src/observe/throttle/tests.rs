use super::*;

#[test]
fn one_line_per_minute_with_the_count_held_back() {
    let mut t = Throttle::new(ONCE_PER_MINUTE_MS);
    assert_eq!(t.admit(1_000), Some(0));
    assert_eq!(t.admit(2_000), None);
    assert_eq!(t.admit(60_999), None);
    assert_eq!(t.admit(61_000), Some(2));
    assert_eq!(t.admit(61_001), None);
    assert_eq!(t.admit(200_000), Some(1));
    // A clock that steps back never panics or unblocks early.
    assert_eq!(t.admit(100), None);
}
