//! Compressed replay input, recognised by its magic bytes (whatever the
//! file is called, and on standard input): gzip (`kern.log.2.gz`, also a
//! file of several members, as `cat a.gz b.gz` makes), zstd and xz,
//! decompressed as it is read. A stream that ends early or is damaged
//! ends its input: what came before is read, and the error is kept for
//! the replay to report with the file's name.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// How a replay input is compressed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Compression {
    Gzip,
    Zstd,
    Xz,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
        }
    }

    fn of(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Compression::Xz)
        } else {
            None
        }
    }
}

/// Why a compressed input ended early, once it did.
pub type Failure = Arc<Mutex<Option<String>>>;

/// What [`open`] tells the replay about its input.
#[derive(Clone, Default)]
pub struct Found {
    /// Whether the input turned out to be compressed (known after the
    /// first read): a pipe read through a decoder is then read as it
    /// comes, its descriptor saying nothing of the decoder's buffer.
    pub compressed: Arc<AtomicBool>,
    /// Why its compressed data ended early, once it did.
    pub failure: Failure,
}

/// `reader`, decompressed if its first bytes say it is compressed. Nothing
/// is read until the replay first reads (a pipe is waited on as usual).
pub fn open(reader: Box<dyn Read + Send>) -> (Box<dyn Read + Send>, Found) {
    let found = Found::default();
    (Box::new(Sniffing { start: Some(reader), reading: Box::new(io::empty()), found: found.clone() }), found)
}

/// Reads the first bytes, then the input as they say it is.
struct Sniffing {
    start: Option<Box<dyn Read + Send>>,
    reading: Box<dyn Read + Send>,
    found: Found,
}

impl Read for Sniffing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(reader) = self.start.take() {
            self.reading = self.sniff(reader)?;
        }
        self.reading.read(buf)
    }
}

impl Sniffing {
    fn sniff(&mut self, mut reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
        // As many bytes as a magic number needs, while what came may still
        // be the start of one (text is told from its first read).
        const MAGICS: [&[u8]; 3] =
            [&[0x1f, 0x8b], &[0x28, 0xb5, 0x2f, 0xfd], &[0xfd, b'7', b'z', b'X', b'Z', 0]];
        let mut head = Vec::with_capacity(6);
        loop {
            let mut b = [0u8; 6];
            let n = match reader.read(&mut b[..6 - head.len()]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            head.extend_from_slice(&b[..n]);
            let maybe = MAGICS.iter().any(|m| m.len() > head.len() && m.starts_with(&head));
            if n == 0 || head.len() == 6 || !maybe {
                break;
            }
        }
        let kind = Compression::of(&head);
        let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(reader));
        let Some(kind) = kind else { return Ok(whole) };
        self.found.compressed.store(true, Ordering::Relaxed);
        let failure = self.found.failure.clone();
        let decoded: Box<dyn Read + Send> = match kind {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(whole))),
            Compression::Zstd => match ruzstd::decoding::StreamingDecoder::new(whole) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    *failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(format!("zstd data is damaged: {e}"));
                    Box::new(io::empty())
                }
            },
            Compression::Xz => Box::new(Threaded::xz(whole)),
        };
        Ok(Box::new(Checked { inner: decoded, kind, failure }))
    }
}

/// A decoder whose error ends the input (as end of file) and is kept.
struct Checked {
    inner: Box<dyn Read + Send>,
    kind: Compression,
    failure: Failure,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let mut f = self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if f.is_none() {
                        *f = Some(format!("{} data ends early or is damaged: {e}", self.kind.name()));
                    }
                    return Ok(0);
                }
                r => return r,
            }
        }
    }
}

/// xz, whose decoder writes rather than reads: it runs on a thread and
/// hands over its output in chunks.
struct Threaded {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: io::Cursor<Vec<u8>>,
}

/// Sends what a decoder writes, a chunk at a time.
struct Sender(mpsc::SyncSender<io::Result<Vec<u8>>>);

impl io::Write for Sender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.send(Ok(buf.to_vec())).map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Threaded {
    fn xz(input: Box<dyn Read + Send>) -> Threaded {
        let (tx, rx) = mpsc::sync_channel(8);
        std::thread::spawn(move || {
            let mut input = io::BufReader::new(input);
            let mut out = io::BufWriter::with_capacity(1 << 16, Sender(tx.clone()));
            let result = lzma_rs::xz_decompress(&mut input, &mut out)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
                .and_then(|()| io::Write::flush(&mut out));
            drop(out);
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        Threaded { chunks: rx, current: io::Cursor::new(Vec::new()) }
    }
}

impl Read for Threaded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) => self.current = io::Cursor::new(chunk),
                Ok(Err(e)) => return Err(e),
                // The decoder finished.
                Err(_) => return Ok(0),
            }
        }
    }
}
