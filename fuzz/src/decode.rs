//! Bodies of the decoder targets: they link the event model and the
//! trace decoders only, not the compiler.

use landtrace_event::record::Event;
use landtrace_trace::jsonl::json_event;
use landtrace_trace::{Format, decode_all, jsonl};

/// Whatever a decoder accepts, landtrace's JSON writes and reads back the
/// same, through the general JSON decoder and its fast path alike.
pub fn replay(format: Format, data: &[u8]) {
    if format == Format::Jsonl {
        jsonl_fast_vs_general(data);
    }
    let (events, _errors) = decode_all(format, data);
    for ev in events {
        let mut line = Vec::new();
        json_event(&mut line, &ev);
        let mut back = Event::new();
        assert!(jsonl::decode_line(&line, &mut back).expect("own JSON decodes"), "own JSON is an event");
        let mut fast = Event::new();
        let via_fast = jsonl::decode_line_fast(&line, &mut fast).expect("own JSON takes the fast path");
        assert!(via_fast.expect("fast path decodes"));
        let mut fast_line = Vec::new();
        json_event(&mut fast_line, &fast);
        assert_eq!(line, fast_line, "the fast path decoded differently");
        let mut again = Vec::new();
        json_event(&mut again, &back);
        assert_eq!(line, again, "JSON round trip changed the event");
    }
}

/// On any line, the JSON fast path either declines or agrees with the
/// general decoder.
fn jsonl_fast_vs_general(data: &[u8]) {
    for line in data.split(|b| *b == b'\n') {
        let mut fast = Event::new();
        if let Some(Ok(true)) = jsonl::decode_line_fast(line, &mut fast) {
            let mut general = Event::new();
            let general_result = jsonl::decode_line(line, &mut general);
            assert!(
                matches!(general_result, Ok(true)),
                "general decoder rejects a fast-path line: {general_result:?}"
            );
            let (mut a, mut b) = (Vec::new(), Vec::new());
            json_event(&mut a, &fast);
            json_event(&mut b, &general);
            assert_eq!(a, b, "fast path and general decoder disagree");
        }
    }
}
