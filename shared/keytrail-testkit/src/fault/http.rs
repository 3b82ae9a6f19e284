//! Just enough HTTP/1.1 framing for the proxy: a message head, and a connection that reads a head
//! and a body framed by `Content-Length`, chunked encoding, or the end of the stream.

use std::io;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A message head: start line and headers in order.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) start: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub(crate) fn set_close(&mut self) {
        self.remove("connection");
        self.remove("keep-alive");
        self.headers
            .push(("Connection".to_owned(), "close".to_owned()));
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// A connection with the bytes read from it but not consumed yet.
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads more; false at end of stream.
    async fn more(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Takes the bytes up to and including `delim`.
    async fn until(&mut self, delim: &[u8]) -> io::Result<Vec<u8>> {
        loop {
            if let Some(at) = self.buf.windows(delim.len()).position(|w| w == delim) {
                return Ok(self.buf.drain(..at + delim.len()).collect());
            }
            if self.buf.len() > 1 << 20 || !self.more().await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.more().await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    pub(crate) async fn head(&mut self) -> io::Result<Head> {
        let bytes = self.until(b"\r\n\r\n").await?;
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
        let start = lines.next().unwrap_or("").to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
            .collect();
        Ok(Head { start, headers })
    }

    /// Reads a body framed as `head` says: chunked, `Content-Length`, or (a `response` without
    /// either) until the peer closes. Answers the raw bytes (framing kept) and the content.
    pub(crate) async fn body(
        &mut self,
        head: &Head,
        response: bool,
    ) -> io::Result<(Vec<u8>, Vec<u8>)> {
        let status = head.start.split(' ').nth(1).unwrap_or("");
        if response && (status.starts_with('1') || status == "204" || status == "304") {
            return Ok((Vec::new(), Vec::new()));
        }
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if chunked {
            let (mut raw, mut content) = (Vec::new(), Vec::new());
            loop {
                let line = self.until(b"\r\n").await?;
                raw.extend_from_slice(&line);
                let size = String::from_utf8_lossy(&line);
                let size = size.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size.trim(), 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size {size:?}")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        let line = self.until(b"\r\n").await?;
                        raw.extend_from_slice(&line);
                        if line == b"\r\n" {
                            return Ok((raw, content));
                        }
                    }
                }
                let data = self.take(size + 2).await?;
                content.extend_from_slice(&data[..size]);
                raw.extend_from_slice(&data);
            }
        }
        if let Some(length) = head.header("content-length") {
            let n = length
                .parse()
                .map_err(|_| io::Error::other(format!("bad content-length {length:?}")))?;
            let body = self.take(n).await?;
            return Ok((body.clone(), body));
        }
        if response {
            while self.more().await? {}
            let body = std::mem::take(&mut self.buf);
            return Ok((body.clone(), body));
        }
        Ok((Vec::new(), Vec::new()))
    }
}
