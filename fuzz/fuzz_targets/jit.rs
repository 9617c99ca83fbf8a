#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| landtrace_fuzz::jit(data));
