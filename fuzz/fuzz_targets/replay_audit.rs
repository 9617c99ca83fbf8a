#![no_main]

use landtrace_trace::Format;

libfuzzer_sys::fuzz_target!(|data: &[u8]| landtrace_fuzz::replay(Format::Audit, data));
