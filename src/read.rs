//! Reading input files safely: only regular files, never more than a size cap.
//!
//! pindrift runs unattended on untrusted trees, so a FIFO (which blocks `open` and `read`
//! until a writer appears), a device (`/dev/zero` never ends), a socket or a folder is
//! refused before it is opened, and a regular file is read with `take(cap + 1)`, so one
//! that grows while it is read (or a `/proc` file that lies about its size) cannot
//! exhaust memory. The file type is checked on the path first and again on the opened
//! descriptor (`fstat`), and the open itself is non-blocking, so swapping the file for a
//! FIFO between the two cannot hang the run.

use std::io::Read;
use std::path::Path;

/// The default per-file size cap: far above any real requirements file or Dockerfile.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not a regular file: `a FIFO`, `a folder`, `a character device`, …
    NotRegular(&'static str),
    /// Larger than the cap (in bytes); nothing past the cap was read.
    TooLarge { limit: u64 },
    /// Missing, permission denied, …: the I/O error in words.
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(kind) => {
                write!(f, "{kind}, not a regular file: not opened")
            }
            ReadError::TooLarge { limit } => write!(
                f,
                "larger than the {} limit (--max-file-size, `max-file-size`): not read",
                human_size(*limit)
            ),
            ReadError::Io(message) => f.write_str(message),
        }
    }
}

/// `10 MiB`, `64 KiB`, `100 bytes`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * 1024 * 1024;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// Why a size (`--max-file-size`, `max-file-size`) is not one. `offset` is the byte in
/// the text where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("`{text}`: expected a size such as 10MiB, 512KiB or 4096")]
    NotANumber { text: String, offset: usize },
    #[error("`{text}`: unknown unit (expected B, KiB, MiB or GiB)")]
    UnknownUnit { text: String, offset: usize },
    #[error("`{text}`: too large")]
    TooLarge { text: String },
    #[error("`{text}`: must be more than 0")]
    Zero { text: String },
}

/// Parses a size: `10MiB`, `10 MB`, `512K`, `1G`, `4096` (bytes). Binary units either way.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let leading = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number.parse().map_err(|_| SizeError::NotANumber {
        text: text.to_string(),
        offset: leading,
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(SizeError::UnknownUnit {
                text: text.to_string(),
                offset: leading + digits,
            })
        }
    };
    let size = number
        .checked_mul(factor)
        .ok_or_else(|| SizeError::TooLarge {
            text: text.to_string(),
        })?;
    if size == 0 {
        return Err(SizeError::Zero {
            text: text.to_string(),
        });
    }
    Ok(size)
}

/// What kind of non-regular file a file type is, in words.
fn kind_of(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

/// Why `path` (symlinks followed) would not be read as a regular file, if it would not.
pub fn not_regular(path: &Path) -> Option<&'static str> {
    std::fs::metadata(path)
        .ok()
        .and_then(|metadata| kind_of(metadata.file_type()))
}

/// Opens `path` for reading without ever blocking on a FIFO.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads a regular file of at most `limit` bytes. Anything else is refused before it is
/// opened (and again after, on the descriptor), and a file past the cap is not read on.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    match read_at_most(path, limit, true)? {
        (_, true) => Err(ReadError::TooLarge { limit }),
        (bytes, false) => Ok(bytes),
    }
}

/// The first `limit` bytes of a regular file (all of it when it is smaller).
pub fn read_regular_prefix(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_at_most(path, limit, false).map(|(bytes, _)| bytes)
}

/// At most `limit` bytes of a regular file, and whether there was more. With
/// `refuse_large`, a file whose size is over the cap is not opened at all.
fn read_at_most(path: &Path, limit: u64, refuse_large: bool) -> Result<(Vec<u8>, bool), ReadError> {
    let io = |err: std::io::Error| ReadError::Io(crate::paths::io_message(&err));
    let metadata = std::fs::metadata(path).map_err(io)?;
    if let Some(kind) = kind_of(metadata.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    if refuse_large && metadata.len() > limit {
        return Ok((Vec::new(), true));
    }
    let file = open_nonblocking(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if let Some(kind) = kind_of(metadata.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    let mut bytes = Vec::with_capacity(metadata.len().min(limit) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let more = bytes.len() as u64 > limit;
    bytes.truncate(limit as usize);
    Ok((bytes, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("10 mb"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert_eq!(
            parse_size(" 10 parsecs"),
            Err(SizeError::UnknownUnit {
                text: " 10 parsecs".to_string(),
                offset: 3
            })
        );
        assert_eq!(
            parse_size("10 parsecs").map_err(|e| e.to_string()),
            Err("`10 parsecs`: unknown unit (expected B, KiB, MiB or GiB)".to_string())
        );
        assert!(parse_size("99999999999999999999G").is_err());
        assert_eq!(human_size(DEFAULT_MAX_FILE_SIZE), "10 MiB");
        assert_eq!(human_size(100), "100 bytes");
    }

    #[test]
    fn only_regular_files_under_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.txt");
        std::fs::write(&file, b"flask==1\n").unwrap();
        assert_eq!(read_regular(&file, 9).unwrap(), b"flask==1\n");
        assert_eq!(
            read_regular(&file, 8),
            Err(ReadError::TooLarge { limit: 8 })
        );
        assert_eq!(
            read_regular(dir.path(), 100),
            Err(ReadError::NotRegular("a folder"))
        );
        #[cfg(unix)]
        {
            assert_eq!(
                read_regular(Path::new("/dev/zero"), 100),
                Err(ReadError::NotRegular("a character device"))
            );
        }
        assert!(matches!(
            read_regular(&dir.path().join("missing"), 100),
            Err(ReadError::Io(_))
        ));
    }
}
