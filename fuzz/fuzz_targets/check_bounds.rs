#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| landtrace_fuzz::check_bounds(data));
