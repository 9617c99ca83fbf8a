//! Random events: empty and non-UTF-8 strings, zero and all-ones masks,
//! extreme integers.

use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, FieldType, SourceKind};
use proptest::prelude::*;
use proptest::sample::select;

// --- events ---------------------------------------------------------

fn int_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        select(vec![0u64, 1, 2, 7, 63, 64, 255, 1000, 4242, u64::MAX, i64::MAX as u64, i64::MIN as u64]),
        any::<u64>(),
    ]
}

fn mask_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        select(vec![0u64, u64::MAX, 1, 4, 0x3, 0xffff, 0x1fffff]),
        (0u32..64).prop_map(|b| 1u64 << b),
        any::<u64>()
    ]
}

fn str_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        select(vec![
            &b""[..],
            b"/",
            b"/etc/passwd",
            b"/etc",
            b"/etc/",
            b"curl",
            b"nginx",
            b"passwd",
            b"a b=c\"d",
            b"\n",
            b"\x1b[31m",
            b"\xff\xfe",
            b"/usr/lib/x86_64-linux-gnu/libc.so.6",
            b"254:0",
            b"//a//b//",
            b"xxx",
            b"/usr/lib/x86_64-linux",
            b"/usr/lib/x86_64-linux-gnu",
            b"nginx-wo",
            b"nginx-worker",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 0..40),
        // Near misses of the program's literals: one byte changed, so a
        // comparison must look at every byte.
        (select(NEAR).prop_map(<[u8]>::to_vec), any::<usize>(), 1u8..=255).prop_map(|(mut s, at, x)| {
            if !s.is_empty() {
                let i = at % s.len();
                s[i] ^= x;
            }
            s
        }),
    ]
}

const NEAR: &[&[u8]] = &[
    b"/etc/passwd",
    b"/etc",
    b"curl",
    b"nginx",
    b"passwd",
    b"254:0",
    b"/usr/lib/",
    b"/usr/lib/x86_64-linux",
    b"/usr/lib/x86_64-linux-gnu/libc.so.6",
    b"nginx-wo",
    b"etc",
];

pub fn event(kinds: Vec<EventKind>) -> impl Strategy<Value = Event> {
    let kind = prop_oneof![4 => select(kinds), 1 => select(EventKind::ALL.to_vec())];
    (
        kind,
        prop::collection::vec(int_value(), 8),
        prop::collection::vec(mask_value(), 32),
        prop::collection::vec(str_value(), 8),
        prop::collection::vec(mask_value(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(kind, ints, masks, strs, grants, zero_wall)| {
            let mut e = Event::new();
            e.reset(kind, SourceKind::Replay);
            e.set_builtin(Builtin::Pid, ints[0] % 5000);
            e.set_builtin(Builtin::Tid, ints[1]);
            e.set_builtin(Builtin::Ppid, ints[2] % 3);
            e.set_builtin(Builtin::Uid, ints[3] % 1001);
            e.set_builtin(Builtin::Gid, ints[4]);
            e.set_builtin(Builtin::Cpu, ints[5] % 4);
            e.set_builtin(Builtin::Cgroup, ints[6]);
            e.set_builtin(
                Builtin::Walltime,
                (if zero_wall { 0 } else { 1_795_958_807_045_000_000 + (ints[7] % 1_000_000) as i64 }) as u64,
            );
            e.set_comm(&strs[7][..strs[7].len().min(15)]);
            for (i, &(id, ty)) in kind.def().fields.iter().enumerate() {
                match ty {
                    FieldType::Int | FieldType::Id => e.set(id, ints[i % 8].wrapping_add(i as u64)),
                    FieldType::Bool => e.set(id, masks[i] & 1),
                    FieldType::Mask(_) => e.set(id, masks[i]),
                    FieldType::Str => e.set_str(id, &strs[i % 7]),
                    FieldType::MaskList(_) => e.set_grants(&grants),
                }
            }
            e
        })
}
