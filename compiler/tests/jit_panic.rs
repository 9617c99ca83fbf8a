//! A panic in the host during compiled code unwinds like any Rust panic
//! (so every Drop runs, such as the one that restores the audit setting)
//! instead of aborting the process at the compiled frames (issue 11.1).

use landtrace_compiler::exec::{Backend, Host, MapValueOut};
use landtrace_compiler::jit::Jit;
use landtrace_compiler::typed::{FormatId, MapId};
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::{Event, Sealed, StrRef};
use landtrace_event::schema::{EventKind, SourceKind};
use landtrace_event::value::Val;

/// A host whose printf panics.
struct Panicky;

impl Host for Panicky {
    fn map_agg(&mut self, _: MapId, _: &[Val], _: i64) {}
    fn map_set(&mut self, _: MapId, _: &[Val], _: Val) {}
    fn map_get(&mut self, _: MapId, _: &[Val]) -> MapValueOut {
        MapValueOut::Int(0)
    }
    fn map_len(&mut self, _: MapId) -> i64 {
        0
    }
    fn map_delete(&mut self, _: MapId, _: &[Val]) {}
    fn clear(&mut self, _: MapId) {}
    fn printf(&mut self, _: FormatId, _: &[Val], _: Sealed<'_>) {
        panic!("the host failed");
    }
    fn print(&mut self, _: &[Val]) {}
    fn print_event(&mut self, _: Sealed<'_>) {}
    fn print_map(&mut self, _: MapId, _: Option<i64>) {}
    fn exit(&mut self) {}
    fn div_by_zero(&mut self) {}
    fn alloc(&mut self, _: &[u8]) -> StrRef {
        StrRef::EMPTY
    }
}

/// Set by a Drop during unwinding.
struct Restores<'a>(&'a std::cell::Cell<bool>);

impl Drop for Restores<'_> {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn a_host_panic_unwinds_through_compiled_code() {
    let c = compile("on deny_access_fs { printf(\"%s\\n\", comm) }", "-e", &CheckOptions::default()).unwrap();
    let mut jit = Jit::compile(&c.ir).unwrap();
    assert!(jit.fallbacks().is_empty(), "the action must be native code");
    let mut ev = Event::new();
    ev.reset(EventKind::DenyAccessFs, SourceKind::Replay);
    ev.set_comm(b"curl");
    ev.seal();
    let restored = std::cell::Cell::new(false);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = Restores(&restored);
        jit.run(&c.ir, c.ir.clauses[0].action, ev.sealed(), &mut Panicky);
    }));
    let payload = result.expect_err("the panic goes on after the compiled code returns");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the host failed"));
    assert!(restored.get(), "Drops ran while unwinding");
}
