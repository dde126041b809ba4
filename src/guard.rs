//! A last line of defence around third-party parsers that can panic on odd input
//! (pep508_rs 0.9 does on some extras and on non-ASCII text in markers): the panic
//! becomes `None`, and its message is not printed, so bad input stays a finding.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}
static QUIET_HOOK: Once = Once::new();

/// Runs `parse`; a panic inside it returns `None` instead of unwinding further.
pub fn catch_panic<T>(parse: impl FnOnce() -> T) -> Option<T> {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = GUARDED.with(|guarded| guarded.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(parse));
    GUARDED.with(|guarded| guarded.set(outer));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::catch_panic;

    #[test]
    fn a_panic_becomes_none_and_a_value_passes_through() {
        assert_eq!(catch_panic(|| 7), Some(7));
        assert_eq!(catch_panic(|| -> u8 { panic!("boom") }), None);
    }
}
