use super::*;

#[global_allocator]
static HEAP: ThreadCounting = ThreadCounting;

#[test]
fn a_thread_sees_its_own_allocations_and_frees() {
    let before = current();
    reset_peak();
    let held = std::hint::black_box(vec![0u8; 4096]);
    assert_eq!(current() - before, 4096);
    drop(held);
    assert_eq!(current(), before);
    assert!(peak() - before >= 4096);
}

#[test]
fn another_threads_allocations_never_count_here() {
    let before = current();
    reset_peak();
    let held = std::thread::spawn(|| std::hint::black_box(vec![0u8; 1 << 20]))
        .join()
        .unwrap_or_default();
    // Only the handle's bookkeeping is ours; the 1 MiB is the other thread's.
    assert!(peak() - before < 1 << 20, "peak {}", peak() - before);
    drop(held);
    // Freed here, allocated there: this thread's count goes below where it was.
    assert!(current() < before);
}

#[test]
fn a_growing_reallocation_peaks_at_old_plus_new() {
    let mut v: Vec<u8> = Vec::with_capacity(1000);
    let before = current();
    reset_peak();
    v.reserve_exact(3000);
    assert_eq!(current() - before, v.capacity() as isize - 1000);
    assert!(peak() - before >= v.capacity() as isize);
}
