//! landtrace's eBPF programs: the C sources (`bpf/`), the objects built
//! from them (`prebuilt/`, committed so that a machine without clang builds
//! and runs landtrace; `build.sh --check` fails when one is stale), the
//! Rust mirror of their records, and loading them with aya.

pub mod btf;
pub mod loader;
mod mapping;
pub mod records;

/// The compat source's programs (syscall tracepoints, reads of kernel
/// structures at offsets from the kernel's BTF).
pub static COMPAT_OBJ: &[u8] = aya::include_bytes_aligned!("../prebuilt/compat.bpf.o");

/// The tracepoint source's generic program.
pub static TRACEPOINT_OBJ: &[u8] = aya::include_bytes_aligned!("../prebuilt/tracepoint.bpf.o");
