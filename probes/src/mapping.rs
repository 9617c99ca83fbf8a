//! A read-only memory mapping of a descriptor, unmapped on drop: the
//! kernel's BTF (`btf.rs`) and the BPF bitmap of traced processes
//! (`loader.rs`) are read through one.

use std::os::fd::{AsRawFd, BorrowedFd};

pub(crate) struct Mapping {
    addr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value; whoever else
// writes the memory (the kernel, for a shared mapping) is read through
// atomics by the user of `as_ptr`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from offset 0, read-only, `MAP_SHARED` or
    /// `MAP_PRIVATE` (`flags`).
    pub(crate) fn new(fd: BorrowedFd<'_>, len: usize, flags: libc::c_int) -> std::io::Result<Mapping> {
        // SAFETY: a fresh read-only mapping of an open descriptor; the
        // result is checked before use.
        let addr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, flags, fd.as_raw_fd(), 0) };
        if addr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapping { addr, len })
    }

    /// The start of the mapping (page-aligned).
    pub(crate) fn as_ptr(&self) -> *const libc::c_void {
        self.addr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes, for memory nothing else writes while it is read.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: a live mapping of `len` readable bytes, unmapped only on
        // drop.
        unsafe { std::slice::from_raw_parts(self.addr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `Mapping::new`, not used after this.
        unsafe { libc::munmap(self.addr, self.len) };
    }
}
