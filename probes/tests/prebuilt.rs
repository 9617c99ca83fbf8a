//! The committed BPF objects must match their sources: prebuilt/SOURCES
//! records the hashes of the sources they were built from (by build.sh),
//! and this test fails when a source changed without a rebuild. CI also
//! rebuilds with clang and compares byte for byte (`build.sh --check`).

use std::path::Path;
use std::process::Command;

#[test]
fn prebuilt_objects_are_not_stale() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorded = std::fs::read_to_string(dir.join("prebuilt/SOURCES")).unwrap();
    let mut sources: Vec<String> = std::fs::read_dir(dir.join("bpf"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| std::path::Path::new(n).extension().is_some_and(|e| e == "c" || e == "h"))
        .collect();
    sources.sort();
    for name in &sources {
        let out = Command::new("sha256sum").arg(dir.join("bpf").join(name)).output().expect("sha256sum");
        let hash = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string();
        let line = format!("{hash}  {name}");
        assert!(
            recorded.lines().any(|l| l == line),
            "bpf/{name} changed since prebuilt/ was built: run probes/build.sh and commit prebuilt/"
        );
    }
    assert_eq!(recorded.lines().count(), sources.len(), "prebuilt/SOURCES lists other files than bpf/");
    for obj in ["compat.bpf.o", "tracepoint.bpf.o", "refused.bpf.o"] {
        assert!(dir.join("prebuilt").join(obj).exists(), "prebuilt/{obj} is missing");
    }
}

/// The length of the CO-RE relocation records in an ELF BPF object's
/// `.BTF.ext` section (0 when it has none).
fn core_relocations(elf: &[u8]) -> usize {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()));
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF object");
    let (shoff, shentsize, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let section = |i: usize| shoff + i * shentsize;
    let names = u64_at(section(shstrndx) + 0x18);
    for i in 0..shnum {
        let sh = section(i);
        let name = &elf[names + u32_at(sh)..];
        if name.starts_with(b".BTF.ext\0") {
            let ext = u64_at(sh + 0x18);
            let hdr_len = u32_at(ext + 4);
            // btf_ext_header: magic, version, flags, hdr_len, func_info
            // off/len, line_info off/len, then core_relo off/len.
            return if hdr_len >= 32 { u32_at(ext + 28) } else { 0 };
        }
    }
    0
}

/// The loader gives aya no kernel BTF (probes/src/btf.rs finds the offsets
/// the programs read at): an object with CO-RE relocations would load with
/// the offsets of bpf/kernel.h's declarations instead of the kernel's.
#[test]
fn objects_have_no_core_relocations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("prebuilt");
    for obj in ["compat.bpf.o", "tracepoint.bpf.o"] {
        let elf = std::fs::read(dir.join(obj)).unwrap();
        assert_eq!(
            core_relocations(&elf),
            0,
            "prebuilt/{obj} has CO-RE relocations: read kernel members through lt_kernel (bpf/kernel.h)"
        );
    }
}
