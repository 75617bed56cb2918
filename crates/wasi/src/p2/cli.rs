//! `wasi:cli` (environment, exit, standard streams, terminals), `wasi:clocks` and
//! `wasi:random`: the parts of the context that are plain values.

use spindle::component::Resource;
use spindle::{I32Exit, Result};

use super::bindings::wasi::{cli, clocks, random};
use super::io::{InputStream, OutputStream, Pollable};
use super::{TerminalInput, TerminalOutput, WasiCtxView, MAX_IO};

impl cli::environment::Host for WasiCtxView<'_> {
    fn get_environment(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.ctx.env.clone())
    }

    fn get_arguments(&mut self) -> Result<Vec<String>> {
        Ok(self.ctx.args.clone())
    }

    fn initial_cwd(&mut self) -> Result<Option<String>> {
        Ok(None)
    }
}

impl cli::exit::Host for WasiCtxView<'_> {
    fn exit(&mut self, status: Result<(), ()>) -> Result<()> {
        // Unwinds the guest; the embedder sees `I32Exit` (as with preview 1's `proc_exit`).
        Err(I32Exit(if status.is_ok() { 0 } else { 1 }).into())
    }

    fn exit_with_code(&mut self, status_code: u8) -> Result<()> {
        Err(I32Exit(status_code as i32).into())
    }
}

impl cli::stdin::Host for WasiCtxView<'_> {
    fn get_stdin(&mut self) -> Result<Resource<InputStream>> {
        self.push(InputStream::Stdin)
    }
}

impl cli::stdout::Host for WasiCtxView<'_> {
    fn get_stdout(&mut self) -> Result<Resource<OutputStream>> {
        self.push(OutputStream::Stdout)
    }
}

impl cli::stderr::Host for WasiCtxView<'_> {
    fn get_stderr(&mut self) -> Result<Resource<OutputStream>> {
        self.push(OutputStream::Stderr)
    }
}

impl cli::terminal_input::Host for WasiCtxView<'_> {}
impl cli::terminal_input::HostTerminalInput for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<TerminalInput>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl cli::terminal_output::Host for WasiCtxView<'_> {}
impl cli::terminal_output::HostTerminalOutput for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<TerminalOutput>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl cli::terminal_stdin::Host for WasiCtxView<'_> {
    fn get_terminal_stdin(&mut self) -> Result<Option<Resource<TerminalInput>>> {
        if self.ctx.stdin.is_terminal(0) {
            Ok(Some(self.push(TerminalInput)?))
        } else {
            Ok(None)
        }
    }
}

impl cli::terminal_stdout::Host for WasiCtxView<'_> {
    fn get_terminal_stdout(&mut self) -> Result<Option<Resource<TerminalOutput>>> {
        if self.ctx.stdout.is_terminal(1) {
            Ok(Some(self.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}

impl cli::terminal_stderr::Host for WasiCtxView<'_> {
    fn get_terminal_stderr(&mut self) -> Result<Option<Resource<TerminalOutput>>> {
        if self.ctx.stderr.is_terminal(2) {
            Ok(Some(self.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}

impl clocks::monotonic_clock::Host for WasiCtxView<'_> {
    fn now(&mut self) -> Result<u64> {
        Ok(self.ctx.clocks.monotonic())
    }

    fn resolution(&mut self) -> Result<u64> {
        Ok(self.ctx.clocks.monotonic_resolution())
    }

    fn subscribe_instant(&mut self, when: u64) -> Result<Resource<Pollable>> {
        self.push(Pollable::Until(when))
    }

    fn subscribe_duration(&mut self, when: u64) -> Result<Resource<Pollable>> {
        let now = self.ctx.clocks.monotonic();
        self.push(Pollable::Until(now.saturating_add(when)))
    }
}

impl clocks::wall_clock::Host for WasiCtxView<'_> {
    fn now(&mut self) -> Result<clocks::wall_clock::Datetime> {
        let ns = self.ctx.clocks.wall();
        Ok(clocks::wall_clock::Datetime {
            seconds: ns / 1_000_000_000,
            nanoseconds: (ns % 1_000_000_000) as u32,
        })
    }

    fn resolution(&mut self) -> Result<clocks::wall_clock::Datetime> {
        let r = self.ctx.clocks.wall_resolution();
        Ok(clocks::wall_clock::Datetime {
            seconds: r.as_secs(),
            nanoseconds: r.subsec_nanos(),
        })
    }
}

/// `len` random bytes, refusing (a trap: the interface has no error) more than [`MAX_IO`].
fn random_bytes(view: &mut WasiCtxView<'_>, len: u64) -> Result<Vec<u8>> {
    if len > MAX_IO {
        spindle::bail!("{len} random bytes asked for in one call (at most {MAX_IO})");
    }
    let mut buf = vec![0; len as usize];
    view.ctx.random.fill(&mut buf);
    Ok(buf)
}

fn random_u64(view: &mut WasiCtxView<'_>) -> u64 {
    let mut b = [0; 8];
    view.ctx.random.fill(&mut b);
    u64::from_le_bytes(b)
}

impl random::random::Host for WasiCtxView<'_> {
    fn get_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        random_bytes(self, len)
    }

    fn get_random_u64(&mut self) -> Result<u64> {
        Ok(random_u64(self))
    }
}

impl random::insecure::Host for WasiCtxView<'_> {
    fn get_insecure_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        let mut buf = random_bytes(self, len)?;
        if let Some(r) = &mut self.ctx.insecure_random {
            r.fill(&mut buf);
        }
        Ok(buf)
    }

    fn get_insecure_random_u64(&mut self) -> Result<u64> {
        let b = self.get_insecure_random_bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
}

impl random::insecure_seed::Host for WasiCtxView<'_> {
    fn insecure_seed(&mut self) -> Result<(u64, u64)> {
        Ok(match self.ctx.insecure_seed {
            Some(seed) => (seed as u64, (seed >> 64) as u64),
            None => (random_u64(self), random_u64(self)),
        })
    }
}
