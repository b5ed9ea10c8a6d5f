//! A counting global allocator whose counters are per thread: each thread sees only the bytes it
//! allocated and freed itself, so a measurement taken on one thread is unaffected by whatever
//! the test harness, other tests or a runtime allocate meanwhile on theirs (a process-wide
//! counter made `memory_per_request` fail on a loaded machine with "900 B still allocated").
//!
//! The counters are `const`-initialized thread-locals of `Cell`s: reading or updating them never
//! allocates and never registers a destructor, so the allocator can use them from inside
//! `alloc` and `dealloc`, even while a thread is being torn down.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting on the calling thread.
pub struct ThreadCounting;

thread_local! {
    /// Bytes this thread allocated minus bytes it freed. Signed: a thread may free memory
    /// another thread allocated.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    /// The highest `CURRENT` since the last [`reset_peak`].
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    let _ = CURRENT.try_with(|current| {
        let now = current.get().saturating_add(bytes);
        current.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn sub(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    let _ = CURRENT.try_with(|current| current.set(current.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded to `System` with the same arguments; the counting touches
// only thread-local cells.
unsafe impl GlobalAlloc for ThreadCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // New before old: a moving realloc holds both for a moment, and the peak says so.
            add(new_size);
            sub(layout.size());
        }
        new
    }
}

/// Bytes the calling thread holds (allocated minus freed, since it started).
pub fn current() -> isize {
    CURRENT.with(Cell::get)
}

/// Starts a new peak on the calling thread at what it holds now.
pub fn reset_peak() {
    let now = current();
    PEAK.with(|peak| peak.set(now));
}

/// The most the calling thread held since its last [`reset_peak`].
pub fn peak() -> isize {
    PEAK.with(Cell::get)
}

#[cfg(test)]
mod tests;
