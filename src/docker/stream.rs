//! Reading one archive stream: the engine's chunks go through a channel to a blocking thread
//! where [`crate::inventory::tarscan`] reads the tar as it arrives.

use std::io::{self, Read};

use futures_util::StreamExt;

use super::{short, Engine, EngineApi, EngineError};
use crate::inventory::tarscan::{scan_tar_within, Budget, Collected};

impl<A: EngineApi> Engine<A> {
    /// Archive one container path and keep its metadata files. `Ok(None)` when it does not
    /// exist.
    /// What is kept counts against `budget`, shared by every folder of one inventory.
    pub(super) async fn scan_path(
        &self,
        id: &str,
        path: &str,
        budget: std::sync::Arc<Budget>,
    ) -> Result<Option<Collected>, EngineError> {
        let mut body = self.api.archive(id, path);
        // An engine that stops sending mid-stream is a timeout, not a hang.
        let timed_out = || EngineError::Timeout {
            context: format!("archiving {path}"),
            seconds: self.answer_timeout.as_secs(),
        };
        let first = match tokio::time::timeout(self.answer_timeout, body.next())
            .await
            .map_err(|_| timed_out())?
        {
            // Even an empty folder's tar has its end-of-archive blocks: nothing at all is a
            // stream that broke off, not an empty folder.
            None => {
                return Err(EngineError::Api {
                    context: format!("archiving {path}"),
                    message: "the archive stream broke off before any data; nothing was compared"
                        .into(),
                })
            }
            // A 404 is either "no such path" or "no such container": only the first is absence.
            Some(Err(e)) if e.no_endpoint() => {
                return Err(EngineError::api(
                    format!("archiving {path} (the engine has no archive endpoint)"),
                    e,
                ))
            }
            // A link loop at the archived path: the engine cannot resolve it (500, "too many
            // links"). Nothing is there for Python either; name it, read the rest.
            Some(Err(e)) if e.message.contains("too many links") => {
                let mut c = Collected::default();
                c.warnings.push(crate::inventory::Warning {
                    path: path.to_string(),
                    message: "is a loop of symbolic links; nothing through it was read".into(),
                });
                return Ok(Some(c));
            }
            Some(Err(e)) if e.container_gone() => {
                return Err(EngineError::ContainerGone(short(id)))
            }
            Some(Err(e)) if matches!(e.status, Some(404) | Some(400)) => return Ok(None),
            Some(Err(e)) => return Err(EngineError::api(format!("archiving {path}"), e)),
            Some(Ok(b)) => b,
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(16);
        let archived = path.to_string();
        let reader = tokio::task::spawn_blocking(move || {
            let mut c = Collected::default();
            scan_tar_within(
                ChannelReader {
                    rx,
                    cur: Vec::new(),
                    pos: 0,
                },
                &archived,
                &mut c,
                &budget,
            );
            c
        });
        let mut ok = tx.send(Ok(first)).await.is_ok();
        let mut broke = None;
        while ok {
            let Ok(next) = tokio::time::timeout(self.answer_timeout, body.next()).await else {
                let _ = tx
                    .send(Err(io::Error::other("the engine stopped sending")))
                    .await;
                drop(tx);
                return Err(timed_out());
            };
            match next {
                None => break,
                Some(Ok(b)) => ok = tx.send(Ok(b)).await.is_ok(),
                Some(Err(e)) => {
                    let _ = tx.send(Err(io::Error::other(e.message.clone()))).await;
                    broke = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        drop(body);
        let collected = reader.await.map_err(|e| EngineError::Api {
            context: format!("reading the archive of {path}"),
            message: e.to_string(),
        })?;
        // The engine's stream broke off (the container went away, the daemon restarted):
        // what was read is incomplete, and must not pass for the path's content.
        if let Some(e) = broke {
            return Err(EngineError::api(
                format!("archiving {path} (the stream broke off)"),
                e,
            ));
        }
        // The HTTP body ended properly but the tar did not (the engine failed while writing
        // it): as incomplete as a cut connection.
        if let Some(why) = &collected.broken {
            return Err(EngineError::Api {
                context: format!("archiving {path}"),
                message: format!("the archive stream broke off ({why}); nothing was compared"),
            });
        }
        Ok(Some(collected))
    }
}

/// Adapts a channel of byte chunks to `std::io::Read` for the tar reader.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => {
                    self.cur = b;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
